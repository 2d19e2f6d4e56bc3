"""Sphinx extension: every page runs its scripts without an error, with no network.

Checked in a real browser by ``tests/test_site_offline.py``. Two fixes:

1. **A script declared twice.** Sphinx 7.4 lists an inline script that an extension adds once
   the builder exists (sphinx-thebe and sphinx-togglebutton do) twice on every page: once as
   added, once more when the builder re-reads its registry before writing. sphinx-thebe's
   ``const THEBE_JS_URL`` then fails with "Identifier 'THEBE_JS_URL' has already been
   declared". Each page keeps the first copy of every script.
2. **The colour mode.** The theme's default mode is empty, so a reader's first page logs "Got
   invalid theme mode" before falling back to ``auto``; ``_config.yml`` sets ``default_mode``.

MathJax itself is served from the site by the ``sphinx-mathjax-offline`` package
(``_static/mathjax``), named under ``sphinx.extra_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

import os


def _script_key(script) -> tuple:
    filename = os.fspath(script.filename or "")
    return filename, script.priority, tuple(sorted(script.attributes.items()))


def unique_scripts(scripts: list) -> list:
    """``scripts`` without repeats, in order; an inline script's missing file name is ``''``."""
    seen: set[tuple] = set()
    kept = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def _on_page_context(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = unique_scripts(scripts)


def setup(app):
    app.connect("html-page-context", _on_page_context)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
