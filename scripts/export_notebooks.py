#!/usr/bin/env python3
"""Write every chapter of the book as a Jupyter notebook, ready for Colab or a fresh Jupyter.

    .venv/bin/python scripts/export_notebooks.py OUTPUT_DIR

Colab cannot open MyST ``.md`` pages, so CI publishes these ``.ipynb`` files on the
``notebooks`` branch, where the Colab button of each page points; the student workbooks go to
``OUTPUT_DIR/workbooks/`` (blank) and ``OUTPUT_DIR/workbooks/solutions/``. Each notebook starts with the
same set-up cell the build injects (book/_ext/handbook.py): it installs the ``pw06`` package
from the repository when it is missing. The notebooks are not executed here: the reader runs
them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import jupytext
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _extension(name: str = "handbook"):
    spec = importlib.util.spec_from_file_location(name, ROOT / "book" / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _handbook_extension():
    return _extension("handbook")


def export(out_dir: Path) -> list[Path]:
    """Convert each executable chapter of book/ into OUTPUT_DIR/<chapter>.ipynb."""
    handbook = _handbook_extension()
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]
    spec = handbook.install_spec(repo["url"], repo.get("branch", "main"))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for page in sorted((ROOT / "book").glob("*.md")):
        source = page.read_text(encoding="utf-8")
        if "{code-cell}" not in source:
            continue  # a text-only page: nothing to run
        source = handbook.inject_setup_cell(source, handbook.setup_cell("exported", spec))
        notebook = jupytext.reads(source, fmt="md:myst")
        target = out_dir / f"{page.stem}.ipynb"
        jupytext.write(notebook, target, fmt="ipynb")
        written.append(target)
    # The student workbooks (blank, and filled in under solutions/), as the site has them.
    written += _extension("workbooks").write_workbooks(
        ROOT / "workbooks", out_dir / "workbooks", code_dir=ROOT / "code", install_spec=spec
    )
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for path in export(Path(sys.argv[1])):
        print(path)
