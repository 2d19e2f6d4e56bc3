"""Sphinx extension for the PW06 handbook: a never-stale execution cache and a working Colab link.

Why it exists
-------------
1. **Stale cache.** jupyter-cache keys a notebook on its code-cell source only, and Sphinx does
   not even re-read a page whose file did not change. Edit ``code/`` and the book would keep
   showing results of the old code. This extension computes a *fingerprint* — a hash of the
   files under ``handbook_fingerprint_paths`` (``code/pw06`` and ``requirements.txt``) and of
   the ``PW06_*`` environment variables — and

   * stores it in a config value with ``rebuild="env"``: when it changes, Sphinx re-reads
     every page;
   * writes it into a set-up cell injected at the top of every executable page: the cell
     source changes, so jupyter-cache re-executes the page.

   With nothing changed, the fingerprint is the same and the cached outputs are reused.

2. **Colab and fresh runtimes.** The injected set-up cell (hidden on the HTML page, present in
   the downloaded ``.ipynb``) installs the ``pw06`` package from the repository when it is not
   importable, so a notebook runs on a fresh Colab runtime. Colab cannot open ``.md``, so the
   theme's Colab button is pointed at the ``.ipynb`` that CI publishes on the branch named by
   ``handbook_notebooks_branch`` (see ``scripts/export_notebooks.py``).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

FINGERPRINT_ENV_PREFIX = "PW06_"
_CODE_CELL = re.compile(r"^(```+|~~~+)\{code-cell\}", re.MULTILINE)


def fingerprint(paths: list[Path], environ: dict[str, str] | None = None) -> str:
    """Hash the content of every file under ``paths`` and the ``PW06_*`` settings.

    Caches, bytecode and build output are skipped: they change without the code changing.
    """
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(path.as_posix().encode())
            digest.update(path.read_bytes())
    for key in sorted(k for k in environ if k.startswith(FINGERPRINT_ENV_PREFIX)):
        digest.update(f"{key}={environ[key]}".encode())
    return digest.hexdigest()[:16]


def install_spec(repository_url: str, branch: str) -> str:
    """The pip requirement that installs ``pw06`` from the repository's ``code/`` folder."""
    return f"pw06 @ git+{repository_url.rstrip('/')}.git@{branch}#subdirectory=code"


def setup_cell(fingerprint_value: str, spec: str) -> str:
    """The MyST code cell injected at the top of each page (hidden on the HTML page)."""
    return (
        "```{code-cell} ipython3\n"
        ":tags: [remove-cell]\n"
        "# Set-up for Colab or any fresh environment: install the handbook's package if missing.\n"
        f"# Build fingerprint of code/ and settings: {fingerprint_value}\n"
        "import importlib.util, subprocess, sys\n"
        "if importlib.util.find_spec('pw06') is None:\n"
        f"    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', {spec!r}])\n"
        "```\n\n"
    )


def inject_setup_cell(source: str, cell: str) -> str:
    """Insert ``cell`` before the first code cell of a MyST notebook; other pages are unchanged."""
    match = _CODE_CELL.search(source)
    if match is None:
        return source
    return source[: match.start()] + cell + source[match.start() :]


def _repository(config) -> tuple[str, str]:
    options = config.html_theme_options or {}
    return options.get("repository_url", ""), options.get("repository_branch", "main")


def _on_config_inited(app, config):
    srcdir = Path(app.srcdir)
    paths = [srcdir / p for p in config.handbook_fingerprint_paths]
    config.handbook_fingerprint = fingerprint(paths)


def _on_source_read(app, docname, source):
    url, branch = _repository(app.config)
    cell = setup_cell(app.config.handbook_fingerprint, install_spec(url, branch))
    source[0] = inject_setup_cell(source[0], cell)


def _on_page_context(app, pagename, templatename, context, doctree):
    """Point the theme's Colab button at the published .ipynb (Colab cannot open .md)."""
    url, _ = _repository(app.config)
    org_repo = url.rstrip("/").split("github.com/")[-1]
    options = app.config.html_theme_options or {}
    book_path = options.get("path_to_docs", "").strip("/")
    notebook = f"{book_path}/{pagename}.ipynb" if book_path else f"{pagename}.ipynb"
    branch = app.config.handbook_notebooks_branch
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            if button.get("text") == "Colab":
                button["url"] = (
                    f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{notebook}"
                )


def setup(app):
    app.add_config_value(
        "handbook_fingerprint_paths", ["../code/pw06", "../requirements.txt"], "env"
    )
    app.add_config_value("handbook_fingerprint", "", "env")
    app.add_config_value("handbook_notebooks_branch", "notebooks", "html")
    app.connect("config-inited", _on_config_inited)
    app.connect("source-read", _on_source_read)
    app.connect("html-page-context", _on_page_context, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
