"""Drop duplicate <script> entries from every page.

jupyter-book 1.0.4 registers sphinx-thebe's inline configuration script twice, which makes
the browser raise "Identifier 'THEBE_JS_URL' has already been declared" on every page. This
extension keeps the first copy of each script (same file and same inline body).
"""


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        filename = getattr(js, "filename", None) or ("" if hasattr(js, "filename") else str(js))
        key = (filename, getattr(js, "attributes", {}).get("body", ""))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
