"""Screenshots of a student hand-out opened in JupyterLab, as a student sees it.

    python tools/lab_screenshot.py [CHAPTER_STEM] [--out DIR]

Needs the hand-outs (``make student`` or ``python tools/student.py _build/student --no-trees``),
JupyterLab with jupyterlab-myst (the ``book`` extra) and Playwright with a Chromium
(``/usr/bin/chromium`` by default, ``SVDLAB_CHROMIUM`` to override). Starts JupyterLab on a
free port in the hand-out folder, opens the chapter and saves the top of the notebook and
three views of its exercises to ``_build/screenshots/jupyterlab/``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chapter", nargs="?", default="11a_nmf")
    ap.add_argument("--handouts", default=str(ROOT / "_build" / "student" / "notebooks"))
    ap.add_argument("--out", default=str(ROOT / "_build" / "screenshots" / "jupyterlab"))
    args = ap.parse_args(argv)
    handouts, out = Path(args.handouts), Path(args.out)
    if not (handouts / f"{args.chapter}.ipynb").exists():
        ap.error(f"no hand-out {args.chapter}.ipynb in {handouts}: run `make student` first")
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={handouts}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/lab/tree/{args.chapter}.ipynb"
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=os.environ.get("SVDLAB_CHROMIUM", "/usr/bin/chromium"))
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url, timeout=120_000)
            page.wait_for_selector(".jp-Notebook", timeout=120_000)
            page.wait_for_timeout(8000)        # MathJax and the MyST renderer
            shots = [out / f"{args.chapter}-top.png"]
            page.screenshot(path=shots[0])
            for frac in (0.8, 0.84, 0.88):     # the exercises are at the end of a chapter
                page.evaluate("f => { const o = document.querySelector('.jp-WindowedPanel-outer');"
                              " o.scrollTop = o.scrollHeight * f; }", frac)
                page.wait_for_timeout(3000)
                shots.append(out / f"{args.chapter}-exercises-{int(frac * 100)}.png")
                page.screenshot(path=shots[-1])
            browser.close()
        print("\n".join(str(s) for s in shots))
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
