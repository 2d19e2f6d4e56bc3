"""The jobs that every notebook the book publishes needs, each written once.

``handbook.py`` (the pages' hidden set-up cell, the Colab button), ``reader_notebook.py`` (the
reader notebooks) and ``workbooks.py`` (the workbooks and the student edition) all call these:
the solution-marker rule, the set-up cell's code, the pip requirement and the Colab address,
the theme's repository settings, and the per-page data each keeps in Sphinx's environment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: nbgrader's delimiters: a comment line ``### BEGIN SOLUTION`` / ``### END SOLUTION``. Any run
#: of ``#`` counts, so that a marker typed ``# END SOLUTION`` is never shown to a reader.
_MARKER = re.compile(r"^[ \t]*#+[ \t]*(BEGIN|END) SOLUTION[ \t]*\r?$")


def solution_marker(line: str) -> str | None:
    """``"BEGIN"`` or ``"END"`` when ``line`` is a solution-marker line, else None."""
    match = _MARKER.match(line)
    return match[1] if match else None


def strip_solution_markers(text: str) -> str:
    """``text`` without its marker lines: the whole solution, as the chapter shows it."""
    return "\n".join(line for line in text.split("\n") if solution_marker(line) is None)


def install_spec(repository_url: str, branch: str) -> str:
    """The pip requirement that installs ``pw06`` from the repository's ``code/`` folder."""
    return f"pw06 @ git+{repository_url.rstrip('/')}.git@{branch}#subdirectory=code"


def setup_code(install: str, tensorflow: bool, imports: Sequence[str] = ()) -> str:
    """Python of a set-up cell: ``pip install install`` when ``pw06`` is missing (Colab), then
    ``imports``, then TensorFlow without its start-up log lines if ``tensorflow``.

    ``install`` is anything pip installs: a requirement (:func:`install_spec`), a wheel's URL.
    """
    lines = [
        "import importlib.util, subprocess, sys",
        "if importlib.util.find_spec('pw06') is None:",
        "    subprocess.check_call(",
        f"        [sys.executable, '-m', 'pip', 'install', '-q', {install!r}]",
        "    )",
        *imports,
    ]
    if tensorflow:
        lines += [
            "from pw06.tf_quiet import load  # TensorFlow without its start-up log lines",
            "_ = load()",
        ]
    return "\n".join(lines)


def colab_url(repository_url: str, branch: str, book_path: str, notebook: str) -> str:
    """Colab's address for ``notebook`` (a path under the book folder) on ``branch``."""
    org_repo = repository_url.rstrip("/").split("github.com/")[-1]
    path = f"{book_path.strip('/')}/{notebook}" if book_path.strip("/") else notebook
    return f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{path}"


def keep_per_page(app, name: str) -> None:
    """Keep ``env.<name>``, a dict docname -> value, right when a page is purged (re-read or
    deleted) and when pages are read in parallel processes."""

    def purge(app, env, docname):
        getattr(env, name, {}).pop(docname, None)

    def merge(app, env, docnames, other):
        theirs = getattr(other, name, {})
        env.__dict__.setdefault(name, {}).update({d: theirs[d] for d in docnames if d in theirs})

    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)


def repository(config) -> tuple[str, str, str]:
    """(repository URL, branch, book folder) from the theme options of ``_config.yml``."""
    options = config.html_theme_options or {}
    return (
        options.get("repository_url", ""),
        options.get("repository_branch", "main"),
        options.get("path_to_docs", ""),
    )
