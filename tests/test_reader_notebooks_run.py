"""Every chapter's reader notebook runs the way a reader runs it.

The notebooks are those of the session build, found through each page's download button
(``_sources/<page>.ipynb``): the very files a reader downloads, and the files
``scripts/export_notebooks.py`` publishes for Colab. They run top to bottom in ONE fresh
virtual environment per session holding only ``pip install ./code`` and ``ipykernel`` (pip's
wheel cache makes that quick; the versions are the pinned ones of ``requirements.txt``): no
myst-nb, no jupyter-book. The kernel gets no network: its proxy points at a closed port and
pip may not use an index, so the set-up cell must find ``pw06`` installed rather than fetch it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from helpers import ROOT
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

spec = importlib.util.spec_from_file_location(
    "reader_notebook", ROOT / "book" / "_ext" / "reader_notebook.py"
)
rn = sys.modules.setdefault("reader_notebook", importlib.util.module_from_spec(spec))
spec.loader.exec_module(rn)

#: Every page that runs code, so every page that has a reader notebook.
CHAPTERS = sorted(
    page.stem
    for page in (ROOT / "book").glob("*.md")
    if "{code-cell}" in page.read_text(encoding="utf-8")
)


def download_notebook(book_build: Path, page: str) -> Path:
    """The file behind the page's ``.ipynb`` download button."""
    html = (book_build / "html" / f"{page}.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]*_sources/[^"]+\.ipynb)"', html))
    assert len(links) == 1, f"{page}: download links {links}"
    return (book_build / "html" / links.pop()).resolve()


def test_every_chapter_has_a_reader_notebook_behind_its_download_button(book_build):
    assert {"lowlevel_mlp", "keras_mlp", "computational_graphs"} <= set(CHAPTERS)
    for page in CHAPTERS:
        path = download_notebook(book_build, page)
        assert path == book_build / "html" / "_sources" / f"{page}.ipynb"
        notebook = json.loads(path.read_text(encoding="utf-8"))
        nbformat.validate(nbformat.from_dict(notebook))
        assert notebook["cells"][0]["source"].startswith("#@title Set-up")
        assert repeated_output(notebook) == [], f"{page}: printed twice"


def repeated_output(notebook: dict) -> list[str]:
    """Stream outputs whose text an earlier output of the same cell already holds (what
    myst-nb's in-place ``merge_streams`` left in saved notebooks)."""
    repeated = []
    for cell in notebook["cells"]:
        earlier = []
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            if output.get("output_type") != "stream":
                continue
            text = "".join(output["text"]).strip()
            if text and any(text in before for before in earlier):
                repeated.append(text[:80])
            earlier.append(text)
    return repeated


def test_the_export_script_publishes_the_same_notebooks(book_build, tmp_path):
    script = ROOT / "scripts" / "export_notebooks.py"
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path), "--build", str(book_build)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.stem for p in tmp_path.glob("*.ipynb")) == CHAPTERS
    for page in CHAPTERS:
        exported = (tmp_path / f"{page}.ipynb").read_bytes()
        assert exported == download_notebook(book_build, page).read_bytes(), page


@pytest.mark.parametrize("page", CHAPTERS)
def test_reader_notebook_runs_in_a_fresh_environment(book_build, reader_kernel, page, tmp_path):
    path = download_notebook(book_build, page)
    text = path.read_text(encoding="utf-8")
    assert "myst_nb" not in text and "jupyter_book" not in text, f"{page}: refers to the build"
    notebook = nbformat.reads(text, as_version=4)
    assert rn.myst_leftovers(notebook) == [], f"{page}: MyST left in Markdown cells"

    kernel_specs, venv = reader_kernel
    check = (
        "import importlib.util, sys, pw06\n"
        "print(sys.executable)\nprint(pw06.__file__)\n"
        "print('myst_nb' in sys.modules, importlib.util.find_spec('myst_nb') is None)"
    )
    notebook.cells.append(nbformat.v4.new_code_cell(check))
    manager = KernelManager(kernel_name="pw06-reader", kernel_spec_manager=kernel_specs)
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=600,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    print(f"{page}: executed in {time.perf_counter() - started:.1f} s")

    printed = notebook.cells[-1].outputs[0]["text"].splitlines()
    assert printed[0].startswith(str(venv)), "the kernel is the reader's fresh venv"
    assert printed[1].startswith(str(venv)), "pw06 is the installed package, not the repository"
    assert printed[2] == "False True", "myst_nb is neither imported nor installed"
    stderr = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("name") == "stderr"
    ]
    assert not stderr, f"{page}: the reader sees stderr output: {stderr[:3]}"
