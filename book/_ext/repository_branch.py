"""The site's "Repository" button opens the branch the site was built from.

sphinx-book-theme links the button to the repository's front page, which shows the default
branch: for the student edition that is the instructor's notebooks, solutions included. This
extension points it at ``repository.branch`` (``main`` for the book, ``student`` for the
student edition, set by tools/student.py), like the Colab, Binder and JupyterHub buttons.
"""

from __future__ import annotations


def _retarget(buttons, url, branch):
    for button in buttons or []:
        if button.get("label") == "source-repository-button" and button.get("url") == url:
            button["url"] = f"{url}/tree/{branch}"
        _retarget(button.get("buttons"), url, branch)


def _page(app, pagename, templatename, context, doctree):
    opts = app.config.html_theme_options or {}
    url, branch = (opts.get("repository_url") or "").rstrip("/"), opts.get("repository_branch")
    if url and branch:
        _retarget(context.get("header_buttons"), url, branch)


def setup(app):
    app.connect("html-page-context", _page, priority=999)   # after the theme made its buttons
    return {"parallel_read_safe": True, "parallel_write_safe": True}
