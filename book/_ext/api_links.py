"""Links between the chapters and the API reference, both ways, with no chapter edited.

* **API -> chapter**: "Taught in chapter 6" (or "chapters 3 and 4", "chapter 6.2") in a
  docstring becomes a link to that chapter; each entry also gets a line "Used in chapter
  ..." listing the chapters whose code calls it.
* **chapter -> API**: inline code naming an svdlab object (```svdlab.linalg.svd```, or
  ```sl.svd``` when the chapter did ``import svdlab.linalg as sl``) links to its entry, and
  each chapter ends with "svdlab API used in this chapter": links to every svdlab object its
  code cells call (found by reading the imports and attribute chains of the code cells).
* ``{api-summary} svdlab.linalg``: a directive that writes an autosummary table of a
  module's public names (``__all__``, or the public names the module defines), so the API
  pages stay current as modules grow.

Chapter numbers come from titles and file names (``exercise_numbers.chapter_number``).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from exercise_numbers import chapter_number
from sphinx import addnodes

NUMBER = r"\d+[a-z]?(?:\.\d+)?"
TAUGHT_RE = re.compile(rf"Taught\s+in\s+(?P<word>chapters?)\s+(?P<nums>{NUMBER}"
                       rf"(?:(?:\s*,\s*|\s+and\s+|\s*&\s*|\s*-\s*){NUMBER})*)")


def public_names(modname: str) -> list[str]:
    """The public names of a module: ``__all__``, else the public functions and classes it
    defines or re-exports from its private submodules (``svdlab.text`` from ``._lsa``)."""
    mod = importlib.import_module(modname)
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n, v in vars(mod).items() if not n.startswith("_")
                 and ((getattr(v, "__module__", None) or "") == modname
                      or (getattr(v, "__module__", None) or "").startswith(modname + "._"))
                 and (inspect.isfunction(v) or inspect.isclass(v))]
    return [n for n in names if not n.startswith("_") and not inspect.ismodule(getattr(mod, n, None))]


def public_modules() -> list[str]:
    """svdlab's public modules: its submodules, and their public submodules."""
    import pkgutil

    import svdlab

    out = []
    for name in svdlab._SUBMODULES:
        full = f"svdlab.{name}"
        mod = importlib.import_module(full)
        out.append(full)
        if hasattr(mod, "__path__"):
            out += [f"{full}.{m.name}" for m in pkgutil.iter_modules(mod.__path__)
                    if not m.name.startswith("_")]
    return out


# ---------------------------------------------------------------------------------------
# reading the chapters
# ---------------------------------------------------------------------------------------

def _title(nb) -> str:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            m = re.search(r"^#\s+(.+)$", text, re.M)
            if m:
                return m.group(1)
    return ""


def _aliases_and_uses(code: str) -> tuple[dict[str, str], set[str]]:
    aliases, uses = {}, set()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return aliases, uses
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "svdlab":
                    aliases[a.asname or "svdlab"] = a.name if a.asname else "svdlab"
        elif isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split(".")[0] == "svdlab" and node.level == 0:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain, cur = [], node
            while isinstance(cur, ast.Attribute):
                chain.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name):
                uses.add(".".join([cur.id, *reversed(chain)]))
        elif isinstance(node, ast.Name):
            uses.add(node.id)
    return aliases, uses


def _resolve(dotted: str, aliases: dict[str, str], known: dict[str, str]) -> str | None:
    """The documented name that ``dotted`` (as written in a chapter) refers to, if any."""
    head, _, rest = dotted.partition(".")
    if head not in aliases:
        return None
    full = aliases[head] + ("." + rest if rest else "")
    parts = full.split(".")
    for k in range(len(parts), 1, -1):       # longest documented prefix: svdlab.recsys.ALS.fit
        cand = ".".join(parts[:k])
        if cand in known:
            return known[cand]
    return None


def documented_objects() -> dict[str, str]:
    """name (as importable) -> the name its API entry is documented under."""
    known = {}
    for mod in public_modules():
        for name in public_names(mod):
            obj = getattr(importlib.import_module(mod), name, None)
            documented = f"{mod}.{name}"
            known[documented] = documented
            origin = getattr(obj, "__module__", None)
            if origin and getattr(obj, "__name__", None):
                known.setdefault(f"{origin}.{obj.__name__}", documented)
    return known


def scan_chapters(srcdir: Path) -> dict:
    known = documented_objects()
    chapters, used_in = {}, {}
    for path in sorted((srcdir / "notebooks").glob("[0-9][0-9]*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        docname = f"notebooks/{path.stem}"
        number = chapter_number(_title(nb), path.stem)
        aliases, names = {}, set()
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            code = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            a, u = _aliases_and_uses(code)
            aliases.update(a)
            names |= u
        objs = sorted({r for n in names if (r := _resolve(n, aliases, known))})
        chapters[docname] = {"number": number, "aliases": aliases, "objects": objs}
        for o in objs:
            used_in.setdefault(o, []).append(docname)
    return {"known": known, "chapters": chapters, "used_in": used_in,
            "by_number": {v["number"]: k for k, v in chapters.items() if v["number"]}}


def _data(app) -> dict:
    if not hasattr(app, "_svdlab_api"):      # per build, not pickled with the environment
        app._svdlab_api = scan_chapters(Path(app.srcdir))
    return app._svdlab_api


# ---------------------------------------------------------------------------------------
# API -> chapter
# ---------------------------------------------------------------------------------------

def _link_numbers(nums: str, by_number: dict[str, str]) -> str:
    def one(m):
        n = m.group(0)
        doc = by_number.get(n.split(".")[0])
        return f":doc:`{n} </{doc}>`" if doc else n
    return re.sub(NUMBER, one, nums)


DISPLAY_RE = re.compile(r"^(?P<ind>[ \t]*)\$\$(?P<body>.*?)\$\$[ \t]*(?P<tail>[.,;]?)[ \t]*$",
                        re.M | re.S)
INLINE_RE = re.compile(r"(?<![\\$])\$(?!\$)(?P<body>[^$\n]+?)(?<!\\)\$(?!\$)")


def dollar_math(text: str) -> str:
    """The package's docstrings write math as in the chapters, ``$...$`` and ``$$...$$``;
    reStructuredText reads ``|x|`` and ``S_`` in them as markup. Make them math roles."""
    def display(m):
        ind = m.group("ind")
        body = " ".join(line.strip() for line in m.group("body").strip().splitlines())
        return f"\n{ind}.. math::\n\n{ind}   {body}\n"

    text = DISPLAY_RE.sub(display, text)
    return INLINE_RE.sub(lambda m: f":math:`{m.group('body')}`", text)


def lift_chapter_notes(lines: list[str]) -> list[str]:
    """Move a paragraph "Taught in chapter N." that stands after a NumPy section (where
    napoleon reads it as one more field) up before the first section."""
    header = next((i for i in range(len(lines) - 1)
                   if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())
                   and not lines[i].startswith(" ")), None)
    if header is None:
        return lines
    out, moved, i = lines[:header], [], header
    while i < len(lines):
        para_end = i
        while para_end < len(lines) and lines[para_end].strip():
            para_end += 1
        para = lines[i:para_end]
        starts_para = i == 0 or not lines[i - 1].strip()
        if para and starts_para and not para[0].startswith(" ") and \
                re.fullmatch(rf"\s*{TAUGHT_RE.pattern}[^\n]*", " ".join(para)) and \
                not (para_end < len(lines) - 1 and re.fullmatch(r"-{3,}", lines[para_end].strip())):
            moved += para + [""]
            i = para_end + 1 if para_end < len(lines) else para_end
            continue
        out += lines[i:para_end + 1]
        i = para_end + 1
    if not moved:
        return lines
    head = out[:header]
    while head and not head[-1].strip():
        head.pop()
    return head + [""] + moved + out[header:]


def process_docstring(app, what, name, obj, options, lines):
    data = _data(app)
    lines[:] = lift_chapter_notes(list(lines))
    text = dollar_math("\n".join(lines))
    text = TAUGHT_RE.sub(lambda m: f"Taught in {m.group('word')} "
                         + _link_numbers(m.group("nums"), data["by_number"]), text)
    lines[:] = text.split("\n")
    docs = data["used_in"].get(name)
    if docs:
        refs = ", ".join(f":doc:`{data['chapters'][d]['number'] or d} </{d}>`" for d in docs)
        word = "chapter" if len(docs) == 1 else "chapters"
        lines += ["", f"*Used in {word}* {refs}."]


# ---------------------------------------------------------------------------------------
# chapter -> API
# ---------------------------------------------------------------------------------------

def _xref(target: str, text: str) -> addnodes.pending_xref:
    ref = addnodes.pending_xref("", refdomain="py", reftype="obj", reftarget=target,
                                refexplicit=True, refwarn=False)
    ref += nodes.literal(text, text, classes=["xref", "py", "py-obj"])
    return ref


def link_chapter(app, doctree):
    docname = app.env.docname
    data = _data(app)
    chap = data["chapters"].get(docname)
    if chap is None:
        return
    aliases = {"svdlab": "svdlab", **chap["aliases"]}
    for lit in list(doctree.findall(nodes.literal)):
        if isinstance(lit.parent, (addnodes.pending_xref, nodes.reference, nodes.literal_block)):
            continue
        text = lit.astext()
        m = re.fullmatch(r"([A-Za-z_][\w.]*)(\(.*\))?", text)
        if not m:
            continue
        target = _resolve(m.group(1), aliases, data["known"])
        if target:
            lit.replace_self(_xref(target, text))
    if not chap["objects"]:
        return
    section = doctree.next_node(nodes.section)
    if section is None:
        return
    para = nodes.paragraph()
    para += nodes.strong(text="svdlab API used in this chapter: ")
    for i, target in enumerate(chap["objects"]):
        if i:
            para += nodes.Text(", ")
        para += _xref(target, target.removeprefix("svdlab."))
    para += nodes.Text(".")
    box = nodes.container(classes=["svdlab-api-used"])
    box += para
    section += box


# ---------------------------------------------------------------------------------------
# {api-summary} module
# ---------------------------------------------------------------------------------------

class ApiSummary(Directive):
    required_arguments = 1

    def run(self):
        mod = self.arguments[0]
        names = public_names(mod)
        rst = [".. autosummary::", "   :nosignatures:", ""] + [f"   {mod}.{n}" for n in names]
        node = nodes.container()
        self.state.nested_parse(StringList(rst, source=f"api-summary {mod}"), self.content_offset,
                                node)
        return node.children


def skip_member(app, what, name, obj, skip, options):
    """scikit-learn's generated ``set_*_request`` methods are not this package's API."""
    if re.fullmatch(r"set_\w+_request", name) or \
            (getattr(obj, "__module__", "") or "").startswith("sklearn"):
        return True
    return None


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx.ext.autosummary")
    app.add_directive("api-summary", ApiSummary)
    app.connect("autodoc-process-docstring", process_docstring, priority=400)  # before napoleon
    app.connect("autodoc-skip-member", skip_member)
    app.connect("doctree-read", link_chapter)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
