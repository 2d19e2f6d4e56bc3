#!/usr/bin/env python3
"""Copy the reader notebooks of a built book into a folder, for Colab or a fresh Jupyter.

    python3 tasks.py book                                   # build first
    .venv/bin/python scripts/export_notebooks.py OUTPUT_DIR [--build _build]

The build writes one reader notebook per executed chapter to ``_build/html/_sources/<page>.ipynb``
(book/_ext/handbook.py): plain Jupyter with this build's outputs and values, the file behind
the page's download button. This script copies exactly those files, so the download button,
the Colab button (CI publishes OUTPUT_DIR on the ``notebooks`` branch) and a local export all
give the same notebook. The student workbooks of the build (``_build/html/workbooks/``, blank,
and ``solutions/``; book/_ext/workbooks.py) go to ``OUTPUT_DIR/workbooks/``, where the
workbook box of each chapter points Colab. Nothing is converted or executed here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUP_TITLE = "#@title Set-up"


def reader_notebooks(build: Path) -> list[Path]:
    """The reader notebooks of the build in ``build`` (a ``_build`` folder)."""
    sources = build / "html" / "_sources"
    found = []
    for path in sorted(sources.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        first = "".join(cells[0].get("source", "")) if cells else ""
        if not first.startswith(SETUP_TITLE):
            raise SystemExit(
                f"{path} is not a reader notebook (no set-up cell first): was the book built "
                "with the handbook extension (python3 tasks.py book)?"
            )
        found.append(path)
    if not found:
        raise SystemExit(
            f"no notebooks in {sources}: build the book first (python3 tasks.py book), or "
            "pass the build folder with --build"
        )
    return found


def workbooks(build: Path) -> list[Path]:
    """The student workbooks of the build in ``build``: blank ones and their solutions."""
    folder = build / "html" / "workbooks"
    found = sorted(folder.rglob("*.ipynb"))
    if not found:
        raise SystemExit(f"no workbooks in {folder}: build the book first (python3 tasks.py book)")
    return found


def export(out_dir: Path, build: Path = ROOT / "_build") -> list[Path]:
    """Copy every reader notebook and workbook of ``build`` into ``out_dir``; return the copies."""
    out_dir.mkdir(parents=True, exist_ok=True)
    copies = [Path(shutil.copy2(path, out_dir / path.name)) for path in reader_notebooks(build)]
    for path in workbooks(build):
        target = out_dir / "workbooks" / path.relative_to(build / "html" / "workbooks")
        target.parent.mkdir(parents=True, exist_ok=True)
        copies.append(Path(shutil.copy2(path, target)))
    return copies


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="folder to write <page>.ipynb into")
    parser.add_argument("--build", type=Path, default=ROOT / "_build", help="the _build folder")
    args = parser.parse_args(argv)
    for path in export(args.out_dir, args.build):
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
