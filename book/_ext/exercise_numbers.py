"""Number exercises per chapter: "Exercise 6.3" is the third exercise of chapter 6.

sphinx-exercise numbers exercises through Sphinx's numfig, which counts across the whole
book when the table of contents is not numbered (ours is not: chapter titles carry their
own number, "# 6. Recommenders ...", and some are "4b" or "10a"). After Sphinx assigns its
numbers, this extension renumbers each document's exercises as (chapter, 1), (chapter, 2),
... in their order on the page, so every caption and every reference ("Solution to
Exercise 6.3") shows the chapter's number. The chapter number comes from the title, or else
from the file name (``06_recsys.ipynb`` -> 6, ``04b_x.ipynb`` -> 4b): no notebook needs an
edit. ``tools/classroom.py`` uses the same rule for the student hand-outs.
"""

from __future__ import annotations

import re

TITLE_RE = re.compile(r"^\s*(?:Chapter\s+)?(\d+[a-z]?)[.:]\s")
STEM_RE = re.compile(r"^0*(\d+[a-z]?)_")


def chapter_number(title: str, stem: str = "") -> str:
    """The chapter's number as written: "6", "4b", or "" when neither title nor name has one.

    >>> chapter_number("6. Recommenders and latent semantics", "06_recommenders_and_lsa")
    '6'
    >>> chapter_number("A title without a number", "10a_attention")
    '10a'
    >>> chapter_number("Notation", "notation")
    ''
    """
    m = TITLE_RE.match(title or "")
    if m:
        return m.group(1)
    m = STEM_RE.match(stem.rsplit("/", 1)[-1])
    return m.group(1) if m else ""


def _renumber(app, env):
    for docname, numbers in env.toc_fignumbers.items():
        exercises = numbers.get("exercise")
        if not exercises:
            continue
        title = env.titles[docname].astext() if docname in env.titles else ""
        chap = chapter_number(title, docname)
        if not chap:
            continue
        ordered = sorted(exercises, key=lambda ident: exercises[ident])
        for k, ident in enumerate(ordered, start=1):
            exercises[ident] = (chap, k)
    return []


def setup(app):
    # after sphinx's TocTreeCollector has assigned figure numbers (priority 500)
    app.connect("env-get-updated", _renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
