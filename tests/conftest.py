"""Shared fixtures: one full, strict build of the book per test session, and its glued values.

By default the build goes to a fresh temporary folder, so every chapter is executed from scratch
(no cache from an earlier build can hide a regression). ``$HANDBOOK_BUILD_DIR`` names another
folder (relative to the repository root): CI sets it to ``.``, so the suite's build lands in
``_build/`` with its execution cache and the site step after it executes nothing again. The
variable's name must not start with ``PW06_``: those settings are part of the cache key. Chapter
tests read the glued numbers through the ``glue`` fixture and check each against its band.
Plain helpers live in ``helpers.py``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from helpers import BUILD_ARGS, BUILD_DIR_VARIABLE, ROOT, jupyter_book, read_glue


def build_output_folder(tmp_path_factory, environ=os.environ) -> Path:
    """Where the session build goes: ``$HANDBOOK_BUILD_DIR`` (from the root), else a fresh one."""
    chosen = environ.get(BUILD_DIR_VARIABLE)
    return (ROOT / chosen).resolve() if chosen else tmp_path_factory.mktemp("book")


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> Path:
    """Build the whole book strictly (see BUILD_DIR_VARIABLE for where); return ``_build``."""
    out = build_output_folder(tmp_path_factory)
    result = jupyter_book(*BUILD_ARGS, "--path-output", out)
    log = result.stdout + result.stderr
    (out / "_build").mkdir(parents=True, exist_ok=True)
    (out / "_build" / "build.log").write_text(log, encoding="utf-8")
    assert result.returncode == 0, f"strict book build failed:\n{log[-8000:]}"
    return out / "_build"


@pytest.fixture(scope="session")
def page_html(book_build):
    """``page_html(name)``: the built HTML of ``book/<name>.md``, read once per session."""

    @functools.cache
    def read(name: str) -> str:
        return (book_build / "html" / f"{name}.html").read_text(encoding="utf-8")

    return read


@pytest.fixture(scope="session")
def glue(book_build) -> dict[str, dict[str, object]]:
    """``glue[page][key]``: every value glued by the executed chapters of the session build."""
    return read_glue(book_build)
