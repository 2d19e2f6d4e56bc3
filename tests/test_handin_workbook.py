"""pw06-handin on the real Exercise 1 workbook, as a student runs it: in the reader venv that
holds only ``pip install ./code`` and a kernel (the ``reader_kernel`` fixture), with no network.

The solution workbook is handed in complete (every check ✓); the blank one is handed in too,
and its two blanks are named by the dictionaries the student fills in. And the README's
nbgrader settings collect every file of such a zip, under the student's id."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import zipfile

import nbformat
import pytest
from helpers import ROOT
from pw06 import handin

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


@pytest.mark.slow
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
    assert "Everything required ran" in result.stdout


@pytest.mark.slow
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


def readme_setting(name: str):
    """The value the README's ``nbgrader_config.py`` gives ``FileNameCollectorPlugin.<name>``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (value,) = re.findall(rf"^\s*c\.FileNameCollectorPlugin\.{name} = (.+)$", readme, re.M)
    return ast.literal_eval(value)


@pytest.mark.parametrize("student", ["alice", "jean.dupont-2", "S_12345"])
def test_the_readme_regexp_collects_every_file_of_a_handin_zip(tmp_path, student):
    """As nbgrader 0.9's ``zip_collect`` does: each archive unpacked into a folder named after
    it, below the LMS's own folders; ``re.match(named_regexp, path)`` on each file's absolute
    path; files whose extension is not in ``valid_ext`` skipped (``plugins/zipcollect.py``)."""
    named_regexp, valid_ext = readme_setting("named_regexp"), readme_setting("valid_ext")
    names = ["computational_graphs.ipynb", "computational_graphs.html", "mlp.ipynb", "mlp.html"]
    names += ["report.md", "report_files/curve.png", "report_files/drawing.jpg"]
    zipped = tmp_path / f"pw06-{student}.zip"
    handin.write_zip(zipped, {name: b"x" for name in names}, {}, force=False)
    extracted = tmp_path / "downloaded" / "pw06" / "extracted" / "Jean Dupont_42_file_"
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(extracted / zipped.stem)
    collected = {}
    for path in sorted(extracted.rglob("*")):
        if path.is_file() and path.suffix in valid_ext:
            match = re.match(named_regexp, str(path))
            assert match, path
            collected[match["file_id"]] = match["student_id"]
    assert collected == dict.fromkeys([*names, handin.MANIFEST], student)
