"""pw06-handin on the real Exercise 1 workbook, as a student runs it: in the reader venv that
holds only ``pip install ./code`` and a kernel (the ``reader_kernel`` fixture), with no network.

The solution workbook is handed in complete (every check ✓); the blank one is handed in too,
and its two blanks are named by the dictionaries the student fills in."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import zipfile

import nbformat
import pytest
from helpers import ROOT

pytestmark = pytest.mark.slow

spec = importlib.util.spec_from_file_location("workbooks", ROOT / "book" / "_ext" / "workbooks.py")
wb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wb)

NAME = "computational_graphs"
SPEC = "pw06 @ git+https://example.org/r.git@main#subdirectory=code"


def hand_in(reader_kernel, folder, notebook, student):
    """Run ``python -m pw06.handin`` of the reader venv in ``folder``; its result."""
    specs, venv = reader_kernel
    nbformat.write(notebook, folder / f"{NAME}.ipynb")
    (folder / "report.md").write_text("# Report\n\nExercise 1: see the notebook.\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(specs.get_kernel_spec("pw06-reader").env)  # no network, no package index
    command = [str(venv / "bin" / "python"), "-m", "pw06.handin", f"{NAME}.ipynb"]
    result = subprocess.run(
        [*command, "--student", student],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(folder / f"pw06-{student}.zip") as archive:
        names = sorted(archive.namelist())
        manifest = json.loads(archive.read("MANIFEST.json"))
    return result, names, manifest


def test_the_solution_workbook_is_handed_in_with_every_check_passing(reader_kernel, tmp_path):
    text = (ROOT / "workbooks" / f"{NAME}.md").read_text(encoding="utf-8")
    _, solution = wb.build_workbook(text, name=NAME, code_dir=ROOT / "code", install_spec=SPEC)
    checks = sum(len(wb.check_calls(c.source) or []) for c in solution.cells)
    result, names, manifest = hand_in(reader_kernel, tmp_path, solution, "solution")
    print(result.stdout)
    assert names == ["MANIFEST.json", f"{NAME}.html", f"{NAME}.ipynb", "report.md"]
    (notebook,) = manifest["notebooks"]
    assert len(notebook["checks"]) == checks >= 2
    assert all(check["line"].startswith("✓ ") for check in notebook["checks"])
    assert notebook["blanks"] == [] and notebook["errors"] == [] and notebook["complete"]
    assert manifest["versions"]["pw06"] and manifest["versions"]["tensorflow"]
    assert "Everything ran" in result.stdout


def test_the_blank_workbook_is_handed_in_and_its_blanks_are_named(reader_kernel, tmp_path):
    text = (ROOT / "workbooks" / f"{NAME}.md").read_text(encoding="utf-8")
    blank, _ = wb.build_workbook(text, name=NAME, code_dir=ROOT / "code", install_spec=SPEC)
    result, names, manifest = hand_in(reader_kernel, tmp_path, blank, "blank")
    print(result.stdout)
    assert f"{NAME}.ipynb" in names and f"{NAME}.html" in names
    (notebook,) = manifest["notebooks"]
    assert [(b["name"], b["section"]) for b in notebook["blanks"]] == [
        ("values", "b) The forward pass"),
        ("grads", "c) The backward pass"),
    ]
    assert notebook["checks"] and not any(c["ok"] for c in notebook["checks"])
    assert manifest["summary"]["blanks"] == [f"{NAME}.ipynb: values", f"{NAME}.ipynb: grads"]
    assert "still blank: values" in result.stdout and "still blank: grads" in result.stdout
