"""Build the student edition and the autograder from the chapter notebooks.

    python tools/student.py [OUT] [--chapters NB ...] [--root DIR] [-j N]
                                         # default OUT = _build/student

For every chapter (exercises in the format of CONTRIBUTING.md, "Exercises and grading"):

1. ``OUT/grader/STEM/master.ipynb``: the otter-assign master notebook (tools/classroom.py):
   one question per exercise, named by its label, worth the sum of its test cells' points.
2. ``otter assign`` turns it into the autograder (hidden + public tests) and otter's
   student notebook (marked solution lines replaced by ``...``, hidden tests gone);
   ``OUT/grader/STEM/autograder.zip`` is otter's zip with the grading guard added to every
   test case (see tools/grade.py), ``handout.ipynb`` the pristine hand-out and
   ``manifest.json`` the exercises, points and test descriptions.
3. ``OUT/notebooks/STEM.ipynb``: the hand-out, in plain Markdown for Jupyter and Colab
   ("Exercise 6.3: ..." headings, citations as author-year links to the site's
   bibliography, no MyST fences), with a cell that sets otter up (installing it if
   missing) and a ``grader.check("label")`` cell after each exercise running its public
   tests.
4. ``OUT/src/``: the student edition's source tree, what the ``student`` branch holds
   (hand-outs in ``notebooks/``, the package, binder/, the book's pages; no solutions,
   tests or tools). Its ``_config.yml`` points the launch buttons at that branch.
5. ``OUT/site/``: the same tree with the chapters in MyST (numbered exercises, citations
   and glued numbers rendered by the book build), every answer and check cell tagged
   ``skip-execution``; ``make student`` builds the student site from it.

``make grade SUBMISSIONS=dir`` then grades submitted hand-outs with ``OUT/grader``.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import pprint
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classroom as cr  # noqa: E402

ROOT = cr.ROOT
GUARD_MODULE = "_svdlab_guard"
#: what the student tree leaves out: instructor-only material
STUDENT_TREE_EXCLUDE = {".ci", ".github", "tests", "tools", "benchmarks", "_build", ".venv",
                        "Makefile", "CONTRIBUTING.md", ".git", ".pytest_cache", "__pycache__",
                        ".ruff_cache", ".ipynb_checkpoints"}
OTTER_REQUIREMENT = "otter-grader>=7,<8"


# ----------------------------------------------------------------------------------------
# configuration read from _config.yml (one place for the repository and the site URL)
# ----------------------------------------------------------------------------------------

def _config(root: Path) -> dict:
    import yaml

    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}


def site_url(cfg: dict) -> str:
    """The published site: ``html.baseurl`` or, by default, GitHub Pages of the repository."""
    base = (cfg.get("html") or {}).get("baseurl")
    if base:
        return base.rstrip("/") + "/"
    url = (cfg.get("repository") or {}).get("url", "").rstrip("/")
    m = re.match(r"https?://github\.com/([^/]+)/([^/]+)$", url)
    return f"https://{m.group(1)}.github.io/{m.group(2)}/" if m else ""


def myst_context(root: Path, exercises: list[cr.Exercise]) -> cr.MystContext:
    cfg = _config(root)
    bibfiles = [root / f for f in cfg.get("bibtex_bibfiles", [])]
    base = site_url(cfg)
    return cr.MystContext(bib=cr.bibliography(bibfiles),
                          references_url=f"{base}book/references.html" if base else "",
                          exercise_numbers={e.label: e.number for e in exercises},
                          site_url=base)


# ----------------------------------------------------------------------------------------
# otter assign, and the autograder's test cases with the grading guard
# ----------------------------------------------------------------------------------------

def run_otter_assign(master: Path, dist: Path) -> None:
    if dist.exists():
        shutil.rmtree(dist)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "otter", "assign", "--no-pdfs", master.name,
                           str(dist.resolve())], cwd=master.parent, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0 or not list((dist / "autograder").glob("*.zip")):
        raise RuntimeError(f"otter assign failed on {master}:\n{proc.stdout}\n{proc.stderr}")


def module_imports(nb) -> list[str]:
    """Top-level import statements of a notebook's code cells (not inside if/try)."""
    import ast

    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or (cell.get("metadata", {}).get(cr.META) or {}).get(
                "role") in ("answer", "init"):
            continue
        try:
            tree = ast.parse(cr.src(cell))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                line = ast.unparse(node)
                if line not in out and "myst_nb" not in line:
                    out.append(line)
    return out


def guarded_case(code: str, imports: list[str]) -> str:
    """A test case that first checks the grading environment and re-imports the chapter's
    modules (a student may have rebound ``np``), and checks the environment again at the end
    (a function under test may have patched something while it ran)."""
    pre = [f">>> import {GUARD_MODULE} as {GUARD_MODULE}_",
           f">>> {GUARD_MODULE}_.verify(globals())"] + [f">>> {line}" for line in imports]
    post = [f">>> {GUARD_MODULE}_.verify(globals())"]
    return "\n".join(pre) + "\n" + code.rstrip("\n") + "\n" + "\n".join(post) + "\n"


def guard_autograder(src_zip: Path, dst_zip: Path, imports: list[str]) -> dict[str, list[str]]:
    """Copy otter's autograder zip, every test case guarded; return label -> case bodies."""
    bodies: dict[str, list[str]] = {}
    with zipfile.ZipFile(src_zip) as zin, zipfile.ZipFile(dst_zip, "w",
                                                           zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.startswith("tests/") and item.filename.endswith(".py"):
                scope: dict = {}
                exec(data.decode("utf-8"), scope)
                test = scope["test"]
                for case in test["suites"][0]["cases"]:
                    case["code"] = guarded_case(case["code"], imports)
                bodies[test["name"]] = [c["code"] for c in test["suites"][0]["cases"]]
                buf = io.StringIO()
                buf.write("OK_FORMAT = True\n\ntest = ")
                pprint.pprint(test, buf, indent=4, width=200)
                data = buf.getvalue().encode("utf-8")
            zout.writestr(item, data)
    return bodies


# ----------------------------------------------------------------------------------------
# the hand-out and the site's version of it
# ----------------------------------------------------------------------------------------

def init_cell_source(stem: str, public_tests: dict) -> str:
    blob = json.dumps(public_tests, indent=1, ensure_ascii=False)
    return f'''\
# Exercise checks (written by tools/student.py; run it, do not edit it). After each
# exercise, grader.check("label") runs the exercise's public tests with otter-grader;
# hidden tests, run when your notebook is graded, decide the points.
import importlib.util
import json
import pathlib
import subprocess
import sys
import tempfile

if importlib.util.find_spec("otter") is None:  # e.g. Colab: install the grader
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{OTTER_REQUIREMENT}"],
                   check=True)
import otter

_public_tests = json.loads(r"""{blob}""")
_tests_dir = pathlib.Path(tempfile.gettempdir(), "svdlab-public-tests", "{stem}")
_tests_dir.mkdir(parents=True, exist_ok=True)
for _name, _test in _public_tests.items():
    (_tests_dir / f"{{_name}}.py").write_text(f"OK_FORMAT = True\\n\\ntest = {{_test!r}}\\n",
                                            encoding="utf-8")
grader = otter.Notebook(tests_dir=str(_tests_dir))'''


def _code(source: str, metadata: dict, cell_id: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": metadata, "outputs": [], "source": source}


def _check_source(ex: cr.Exercise) -> str:
    lines = [f"# Public tests of Exercise {ex.number} ({ex.points} points in all):"]
    lines += [f"#   - {t.description}" for t in ex.public]
    n = len(ex.hidden)
    lines.append(f"# and {n} hidden test{'s' if n != 1 else ''} when your notebook is graded.")
    lines.append(f'grader.check("{ex.label}")')
    return "\n".join(lines)


def build_handouts(otter_nb: dict, exercises: list[cr.Exercise], stem: str,
                   ctx: cr.MystContext, chapter_title: str) -> tuple[dict, dict]:
    """(plain-Markdown hand-out, MyST site version) from otter's student notebook."""
    by_label = {e.label: e for e in exercises}
    public = (otter_nb.get("metadata", {}).get("otter", {}) or {}).get("tests", {})
    check_re = re.compile(r'^grader\.check\("([^"]+)"\)\s*$')
    hand, site = [], []
    setup_seen = intro_done = False
    answer_counts: dict[str, int] = {}
    intro = ("**Student edition.** Write your answer to each exercise in the code cell under "
             "it (replace each `...`), then run the `grader.check(...)` cell after it: it runs "
             "the exercise's public tests. Hidden tests decide the points when your notebook "
             "is graded; only your answer cells are graded, so keep them in place. Numbers "
             "the text quotes from a run appear as the name the chapter stores them under "
             "with `glue(\"name\", value)`"
             + (f"; [the book's site]({ctx.site_url}) shows them." if ctx.site_url else "."))
    for cell in otter_nb["cells"]:
        meta = (cell.get("metadata", {}).get(cr.META) or {})
        role = meta.get("role")
        if cell["cell_type"] == "markdown":
            text = cr.src(cell)
            md_hand = cr.myst_to_markdown(text, ctx)
            if role == "prompt":
                ex = by_label[meta["label"]]
                pts = f"\n\n*{ex.points} points.*" if ex.tests else \
                    "\n\n*Not autograded (no tests yet).*"
                md_hand = md_hand.rstrip() + pts + "\n"
                text = text.rstrip() + pts + "\n"
            cid = f"prompt-{meta['label']}" if role == "prompt" else f"md{len(site)}"
            if md_hand.strip():
                hand.append({"cell_type": "markdown", "id": cid,
                             "metadata": copy.deepcopy(cell.get("metadata", {})),
                             "source": md_hand})
            site.append({"cell_type": "markdown", "id": cid,
                         "metadata": copy.deepcopy(cell.get("metadata", {})), "source": text})
            if not intro_done and text.lstrip().startswith("# "):
                intro_done = True
                for nb_cells in (hand, site):
                    nb_cells.append({"cell_type": "markdown", "id": "student-intro",
                                     "metadata": {}, "source": intro})
            continue
        if cell["cell_type"] != "code":
            continue
        source = cr.src(cell)
        md = copy.deepcopy(cell.get("metadata", {}))
        m = check_re.match(source.strip())
        if m and m.group(1) in by_label:
            ex = by_label[m.group(1)]
            md[cr.META] = {"label": ex.label, "role": "check"}
            cid = f"check-{ex.label}"
            hand.append(_code(_check_source(ex), md, cid))
            site_md = copy.deepcopy(md)
            site_md.setdefault("tags", []).append("skip-execution")
            site.append(_code(_check_source(ex), site_md, cid))
            continue
        if role == "answer":
            k = answer_counts.get(meta["label"], 0)
            answer_counts[meta["label"]] = k + 1
            cid = f"answer-{meta['label']}-{k}"
        else:
            cid = f"code{len(site)}"
        hand.append(_code(source, md, cid))
        site_md = copy.deepcopy(md)
        if role == "answer":
            site_md.setdefault("tags", []).append("skip-execution")
        site.append(_code(source, site_md, cid))
        if not setup_seen:           # the first code cell is the setup cell (CONTRIBUTING)
            setup_seen = True
            init_md = {cr.META: {"role": "init"}, "jupyter": {"source_hidden": True},
                       "cellView": "form", "editable": False, "deletable": False}
            init = init_cell_source(stem, public)
            hand.append(_code(init, init_md, "otter-init"))
            site.append(_code(init, {**copy.deepcopy(init_md),
                                     "tags": ["skip-execution", "hide-input"]}, "otter-init"))
    meta = copy.deepcopy(otter_nb.get("metadata", {}))
    meta.setdefault("otter", {}).pop("tests", None)
    meta["otter"].pop("OK_FORMAT", None)
    nb_hand = {"cells": hand, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}
    nb_site = {"cells": site, "metadata": copy.deepcopy(meta), "nbformat": 4, "nbformat_minor": 5}
    return nb_hand, nb_site


# ----------------------------------------------------------------------------------------
# one chapter, and the trees
# ----------------------------------------------------------------------------------------

def _write(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def build_chapter(path: Path, out: Path, root: Path) -> dict:
    """Master, autograder, hand-out and site version of one chapter; returns its manifest."""
    stem = path.stem
    nb = json.loads(path.read_text(encoding="utf-8"))
    gdir = out / "grader" / stem
    if gdir.exists():
        shutil.rmtree(gdir)
    gdir.mkdir(parents=True)
    master, exercises = cr.to_master(nb, stem)
    master_path = gdir / "master" / f"{stem}.ipynb"
    _write(master_path, master)
    dist = gdir / "dist"
    run_otter_assign(master_path, dist)
    otter_student = json.loads((dist / "student" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    ctx = myst_context(root, exercises)
    hand, site = build_handouts(otter_student, exercises, stem, ctx, cr.title_of(nb))
    imports = module_imports(hand)
    bodies = guard_autograder(next((dist / "autograder").glob("*.zip")), gdir / "autograder.zip",
                              imports)
    _write(gdir / "handout.ipynb", hand)
    shutil.copy(dist / "autograder" / f"{stem}.ipynb", gdir / "instructor.ipynb")
    _write(out / "notebooks" / f"{stem}.ipynb", hand)
    _write(out / "site-notebooks" / f"{stem}.ipynb", site)
    manifest = {
        "chapter": stem, "title": cr.title_of(nb), "assignment": cr.assignment_name(stem),
        "number": cr.chapter_number(cr.title_of(nb), stem), "imports": imports,
        "exercises": [{"label": e.label, "number": e.number, "title": e.title,
                       "points": e.points, "graded": bool(e.tests),
                       "tests": [{"description": t.description, "hidden": t.hidden,
                                  "points": t.points, "body": body}
                                 for t, body in zip(e.tests, bodies.get(e.label, [None] * len(e.tests)),
                                                    strict=True)]}
                      for e in exercises],
    }
    (gdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _tracked_files(root: Path) -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root, capture_output=True,
                             check=True).stdout.decode()
        files = [root / f for f in out.split("\0") if f]
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = [p for p in root.rglob("*") if p.is_file()]
    return [f for f in files if f.exists()
            and not (set(f.relative_to(root).parts) & STUDENT_TREE_EXCLUDE)]


def student_config(text: str, branch: str) -> str:
    """The student edition's _config.yml: its title says so; launch buttons open `branch`."""
    text = re.sub(r'^title: "(.*)"', r'title: "\1 (student edition)"', text, count=1, flags=re.M)
    text = re.sub(r"^(repository:\n(?:[ \t]+.*\n)*?[ \t]+branch:[ \t]*)\S+", rf"\g<1>{branch}",
                  text, count=1, flags=re.M)
    return text


def build_trees(out: Path, root: Path, chapters: list[Path], branch: str) -> None:
    for name, notebooks in (("src", out / "notebooks"), ("site", out / "site-notebooks")):
        tree = out / name
        if tree.exists():
            shutil.rmtree(tree)
        for f in _tracked_files(root):
            rel = f.relative_to(root)
            if rel.parts[0] == "notebooks" and f.suffix == ".ipynb":
                continue
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, tree / rel)
        for ch in chapters:
            dst = tree / "notebooks" / f"{ch.stem}.ipynb"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(notebooks / f"{ch.stem}.ipynb", dst)
        cfg = tree / "_config.yml"
        cfg.write_text(student_config(cfg.read_text(encoding="utf-8"), branch), encoding="utf-8")


def chapter_paths(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default=str(ROOT / "_build" / "student"))
    ap.add_argument("--root", default=str(ROOT), help="the book's checkout (default: this one)")
    ap.add_argument("--chapters", nargs="*", help="chapter notebooks (default: all)")
    ap.add_argument("--branch", default="student",
                    help="the branch the student edition is published on (launch buttons)")
    ap.add_argument("--no-trees", action="store_true", help="only the grader and hand-outs")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    root, out = Path(args.root).resolve(), Path(args.out).resolve()
    chapters = [Path(c).resolve() for c in args.chapters] if args.chapters else chapter_paths(root)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("notebooks", "site-notebooks"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        manifests = list(pool.map(lambda p: build_chapter(p, out, root), chapters))
    if not args.no_trees:
        build_trees(out, root, chapters, args.branch)
    n_ex = sum(len(m["exercises"]) for m in manifests)
    graded = sum(e["graded"] for m in manifests for e in m["exercises"])
    points = sum(e["points"] for m in manifests for e in m["exercises"])
    print(f"{len(manifests)} chapters, {n_ex} exercises ({graded} autograded, {points} points): "
          f"hand-outs in {out / 'notebooks'}, grader in {out / 'grader'}"
          + ("" if args.no_trees else f", student tree in {out / 'src'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
