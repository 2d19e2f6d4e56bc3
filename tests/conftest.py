"""Shared fixtures: one full, strict build of the book per test session, and its glued values.

The build goes to a fresh temporary folder, so every chapter is executed from scratch (no cache
from an earlier build can hide a regression). Chapter tests read the glued numbers through the
``glue`` fixture and check each against its expected band. Plain helpers live in ``helpers.py``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from helpers import BUILD_ARGS, jupyter_book, read_glue


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> Path:
    """Build the whole book strictly into a fresh folder; return that build folder."""
    out = tmp_path_factory.mktemp("book")
    result = jupyter_book(*BUILD_ARGS, "--path-output", out)
    log = result.stdout + result.stderr
    (out / "build.log").write_text(log, encoding="utf-8")
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
