"""Unit tests of book/_ext/handbook.py: fingerprints per page, set-up cell, injection."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from pathlib import Path

import pytest
from helpers import jupyter_book, make_minibook, visible_text

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("handbook", ROOT / "book" / "_ext" / "handbook.py")
handbook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(handbook)


def test_fingerprint_changes_with_content_and_settings_only(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    first = handbook.fingerprint([tmp_path], environ={})
    assert handbook.fingerprint([tmp_path], environ={}) == first
    assert handbook.fingerprint([tmp_path], environ={"OTHER": "1"}) == first
    assert handbook.fingerprint([tmp_path], environ={"PW06_DATASET": "mnist"}) != first
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"junk")
    assert handbook.fingerprint([tmp_path], environ={}) == first
    (tmp_path / "a.py").write_text("x = 2\n")
    assert handbook.fingerprint([tmp_path], environ={}) != first


def test_fingerprint_names_files_relative_to_the_root(tmp_path):
    """A copy of the checkout in another folder has the same fingerprints (issue 19, item 7)."""
    for folder in ("here", "there/deeper"):
        (tmp_path / folder / "pkg").mkdir(parents=True)
        (tmp_path / folder / "pkg" / "a.py").write_text("x = 1\n")
    here, there = tmp_path / "here", tmp_path / "there" / "deeper"
    first = handbook.fingerprint([here / "pkg"], environ={}, root=here)
    assert handbook.fingerprint([there / "pkg"], environ={}, root=there) == first
    alone = handbook.fingerprint([here / "pkg"], environ={})  # named relative to the entry
    assert handbook.fingerprint([there / "pkg"], environ={}) == alone
    (there / "pkg" / "a.py").rename(there / "pkg" / "b.py")
    assert handbook.fingerprint([there / "pkg"], environ={}, root=there) != first


def test_setup_cell_is_injected_before_the_first_code_cell_only():
    page = "---\nkernelspec: {}\n---\n# T\n\ntext\n\n```{code-cell} ipython3\n1\n```\n"
    spec = handbook.install_spec("https://github.com/o/r", "main")
    cell = handbook.setup_cell("abc", spec, uses_tensorflow=True)
    out = handbook.inject_setup_cell(page, cell)
    assert out.index("and of the settings: abc") < out.index("```{code-cell} ipython3\n1")
    assert out.count("remove-cell") == 1 and "handbook-setup" in out
    assert "pw06 @ git+https://github.com/o/r.git@main#subdirectory=code" in out
    assert "from pw06.tf_quiet import load" in out
    assert "tf_quiet" not in handbook.setup_cell("abc", spec, uses_tensorflow=False)
    assert handbook.inject_setup_cell("# plain page\n", cell) == "# plain page\n"


def test_imported_names_include_functions_relative_imports_and_skip_magics():
    code = (
        "%matplotlib inline\nimport numpy as np\nfrom pw06 import data, lowlevel_mlp as ll\n"
        "def f():\n    import tensorflow as tf\n"
    )
    assert handbook.imported_names(code) == {
        "numpy",
        "pw06",
        "pw06.data",
        "pw06.lowlevel_mlp",
        "tensorflow",
    }
    assert handbook.imported_names("from . import a\nfrom .b import c", "pkg.mod") == {
        "pkg",
        "pkg.a",
        "pkg.b",
        "pkg.b.c",
    }
    assert handbook.imported_names("from . import a", "pkg", is_package=True) == {"pkg", "pkg.a"}


def make_package(root: Path) -> Path:
    """pkg: engine (no import), model (imports engine), lesson (imports model), other."""
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text("X = 1\n")
    (package / "model.py").write_text("from pkg import engine\nimport tensorflow\n")
    (package / "lesson.py").write_text("from .model import X\n")
    (package / "other.py").write_text("import numpy\n")
    return package


def page(*imports: str, include: str = "") -> str:
    cells = "".join(f"```{{code-cell}} ipython3\n:tags: [hide-input]\n{i}\n```\n" for i in imports)
    if include:
        cells += f"```{{literalinclude}} {include}\n:pyobject: X\n```\n"
    return f"# Page\n\n{cells}"


def test_pages_depend_on_the_modules_they_import_directly_or_not(tmp_path):
    package = make_package(tmp_path)
    graph = handbook.import_graph(package)
    assert graph["pkg.lesson"][0] == {"pkg", "pkg.model"}
    expected = {"pkg", "pkg.lesson", "pkg.model", "pkg.engine"}
    assert handbook.closure({"pkg.lesson"}, graph) == expected
    book = tmp_path / "book"
    book.mkdir()
    modules, _ = handbook.page_imports(page("from pkg import lesson"), book, package)
    assert modules == {"pkg", "pkg.lesson"}
    modules, _ = handbook.page_imports(page("x = 1", include="../pkg/other.py"), book, package)
    assert modules == {"pkg", "pkg.other"}


def test_a_module_change_changes_only_the_fingerprints_of_pages_that_import_it(tmp_path):
    package = make_package(tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("numpy==2\n")
    pages = {
        "lesson": page("from pkg.lesson import X"),
        "engine": page("import pkg.engine"),
        "other": page("from pkg import other"),
        "none": page("print(1)"),
    }

    def prints(environ=None):
        fp = handbook.PageFingerprints(package, [requirements], environ or {})
        return {name: fp.of(text, tmp_path) for name, text in pages.items()}

    before = prints()
    assert prints() == before
    (package / "engine.py").write_text("X = 2\n")
    after = prints()
    assert {name for name in pages if after[name] != before[name]} == {"lesson", "engine"}
    requirements.write_text("numpy==3\n")
    assert all(prints()[name] != after[name] for name in pages)
    assert all(prints({"PW06_DATASET": "mnist"})[n] != prints()[n] for n in pages)
    assert prints({"OTHER": "1"}) == prints()


def test_tensorflow_use_is_found_through_the_package(tmp_path):
    package = make_package(tmp_path)
    fp = handbook.PageFingerprints(package, [], {})
    assert fp.uses_tensorflow(page("from pkg import lesson"), tmp_path)
    assert fp.uses_tensorflow(page("import tensorflow as tf"), tmp_path)
    assert not fp.uses_tensorflow(page("from pkg import other"), tmp_path)


@pytest.mark.slow
def test_a_built_page_and_its_reader_notebook_hide_solution_markers(tmp_path):
    """The extension in a real build: literalinclude without markers, the reader notebook."""
    code = "import demo.sol\nfrom myst_nb import glue\nglue('y', demo.sol.f(1), display=False)"
    book = make_minibook(tmp_path, {"index": code})
    (book / "pkg" / "demo" / "sol.py").write_text(
        "def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    ### END SOLUTION\n    return y\n"
    )
    page = book / "book" / "index.md"
    page.write_text(
        page.read_text()
        + "\nThe answer is {glue:text}`y:d`.\n\n"
        + ":::{dropdown} Solution\n```{literalinclude} ../pkg/demo/sol.py\n:pyobject: f\n```\n:::\n"
    )
    env = {**os.environ, "PYTHONPATH": str(book / "pkg")}
    result = jupyter_book("build", "book/", "-W", "-n", "--keep-going", cwd=book, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (book / "_build" / "html" / "index.html").read_text(encoding="utf-8")
    assert "y = x + 1" in visible_text(html) and "SOLUTION" not in html
    notebook = json.loads(
        (book / "_build" / "html" / "_sources" / "index.ipynb").read_text(encoding="utf-8")
    )
    text = json.dumps(notebook)
    assert "The answer is 2." in text and "y = x + 1" in text
    assert "SOLUTION" not in text and "myst_nb" not in text and "glue" not in text
    assert notebook["cells"][0]["source"].startswith("#@title Set-up")


def test_merged_streams_leave_the_saved_notebook_without_repeated_lines():
    """merge_streams shows one block on the page; the executed notebook that myst-nb saves
    (and the reader notebook made from it) keeps each line once."""
    import nbformat
    from myst_nb.core import render

    def outputs():
        return [
            nbformat.v4.new_output("stream", name="stdout", text="config\n"),
            nbformat.v4.new_output("stream", name="stdout", text="160 steps\ntest error\n"),
        ]

    original = render.coalesce_streams
    try:
        saved = outputs()
        shown = original(saved)  # myst-nb's own: the saved list now repeats the last lines
        assert [o["text"] for o in saved] != [o["text"] for o in outputs()], "myst-nb fixed it?"
        handbook.merge_streams_on_a_copy()
        handbook.merge_streams_on_a_copy()  # idempotent: one copy, not a copy of a copy
        saved = outputs()
        shown = render.coalesce_streams(saved)
        assert [o["text"] for o in shown] == ["config\n160 steps\ntest error\n"]
        assert [o["text"] for o in saved] == ["config\n", "160 steps\ntest error\n"]
    finally:
        render.coalesce_streams = original


def test_a_cache_hit_saves_the_outputs_in_the_notebook_myst_nb_writes(tmp_path):
    """myst-nb saves the notebook it read (``_build/jupyter_execute``, the reader notebooks'
    source); on a cache hit, the cached outputs must be in that very notebook."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.execute.cache import NotebookClientCache

    def notebook(outputs):
        cell = nbformat.v4.new_code_cell("print(1)", outputs=outputs, execution_count=1)
        kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
        return nbformat.v4.new_notebook(cells=[cell], metadata=kernel)

    printed = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    (tmp_path / "page.ipynb").write_text(nbformat.writes(notebook([])))
    get_cache(tmp_path / "cache").cache_notebook_bundle(
        CacheBundleIn(notebook(printed), str(tmp_path / "page.ipynb")), check_validity=False
    )
    config = NbParserConfig(execution_mode="cache", execution_cache_path=str(tmp_path / "cache"))
    original = NotebookClientCache.start_client
    try:
        handbook.outputs_saved_on_cache_hits()
        handbook.outputs_saved_on_cache_hits()  # idempotent
        read = notebook([])
        with NotebookClientCache(read, tmp_path / "page.ipynb", config, logging.getLogger()) as c:
            assert c.notebook is read
        assert read.cells[0].outputs == printed
    finally:
        NotebookClientCache.start_client = original
