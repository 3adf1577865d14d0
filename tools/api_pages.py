"""Write the API reference's pages: one per public svdlab module, in book/api/.

    python tools/api_pages.py          # writes missing pages, leaves edited ones alone
    python tools/api_pages.py --check  # exit 1 if a public module has no page (used by tests)

A page is a title, an autosummary table of the module's public names (the ``api-summary``
directive of book/_ext/api_links.py, computed at build time) and ``automodule``. The
table of contents lists the pages with a glob (``book/api/svdlab*``), so a new page needs no
edit anywhere else.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "book" / "api"
sys.path.insert(0, str(ROOT / "book" / "_ext"))
sys.path.insert(0, str(ROOT))
from api_links import public_modules  # noqa: E402

TEMPLATE = """\
# `{mod}`

```{{api-summary}} {mod}
```

```{{eval-rst}}
.. automodule:: {mod}
   :members:
   :show-inheritance:
```
"""


def missing() -> list[str]:
    return [m for m in public_modules() if not (API / f"{m}.md").exists()]


def stale() -> list[str]:
    mods = set(public_modules())
    return sorted(p.stem for p in API.glob("svdlab*.md") if p.stem not in mods)


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = missing()
        for m in bad:
            print(f"no API page for {m}: run python tools/api_pages.py")
        for m in stale():
            print(f"book/api/{m}.md documents a module that no longer exists")
        return 1 if bad or stale() else 0
    API.mkdir(parents=True, exist_ok=True)
    for mod in missing():
        (API / f"{mod}.md").write_text(TEMPLATE.format(mod=mod), encoding="utf-8")
        print(f"wrote book/api/{mod}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
