"""pw06-handin: tiny notebooks, made here with nbformat, run in a real kernel and packed.

Each run starts a kernel (this Python's ipykernel), about a second."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import datetime
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from packaging.requirements import Requirement
from pw06 import handin

GRAPHS = [
    new_markdown_cell("# Exercise 1\n\n## b) The forward pass"),
    new_code_cell('values = {"x1": -1.0}\nvalues["p1"] = 2.0 * values["x1"]'),
    new_code_cell('print("✓ node_values: every node as the reference")'),
]

MLP = [
    new_markdown_cell("# Exercise 3\n\n## The forward pass"),
    new_code_cell("def logits(x):\n    return 2 * x"),
    new_code_cell('print(f"✓ logits: {logits(3)} as the reference")'),
    new_markdown_cell("## Training"),
    new_code_cell("import os\nprint('ran in', os.getcwd())"),
]

BLANK = [
    new_markdown_cell("# Exercise 3\n\n## The forward pass"),
    new_code_cell("def logits(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"),
    new_code_cell('print("✗ logits: replace `# YOUR CODE HERE` with your code")'),
    new_markdown_cell("## Training"),
    new_code_cell("errors = logits(3)"),
    new_code_cell("history = []\n# YOUR CODE HERE\nraise NotImplementedError()"),
    new_code_cell("1 / 0"),
    new_code_cell('print("✓ error_rate: as the reference")'),
]

REPORT = """# PW06 report

![Convergence](report_files/curve.png "the loss per epoch")
![a logo from the web](https://example.org/logo.png)
<img src="report_files/curve.png" alt="the same figure again">
"""


def write_notebook(path: Path, cells, outputs: dict[int, str] | None = None) -> Path:
    notebook = new_notebook(cells=[cell.copy() for cell in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    for index, text in (outputs or {}).items():  # outputs saved by an earlier run
        notebook.cells[index].outputs = [new_output("stream", name="stdout", text=text)]
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """A student's folder: the two notebooks, report.md and its figure; the current folder."""
    write_notebook(tmp_path / "computational_graphs.ipynb", GRAPHS)
    write_notebook(tmp_path / "mlp.ipynb", MLP, outputs={2: "✗ logits: a stale output\n"})
    (tmp_path / "report.md").write_text(REPORT, encoding="utf-8")
    (tmp_path / "report_files").mkdir()
    (tmp_path / "report_files" / "curve.png").write_bytes(b"\x89PNG\r\n\x1a\n not a real one")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def unpack(path: Path) -> tuple[dict[str, bytes], dict]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        files = {name: archive.read(name) for name in archive.namelist()}
    return files, json.loads(files.pop(handin.MANIFEST))


def test_a_complete_lab_makes_one_zip_with_every_file_and_their_hashes(lab, capsys):
    before = files_in(lab)
    assert handin.main(["--student", "alice"]) == 0
    out = capsys.readouterr().out

    files, manifest = unpack(lab / "pw06-alice.zip")
    assert sorted(files) == [
        "computational_graphs.html",
        "computational_graphs.ipynb",
        "mlp.html",
        "mlp.ipynb",
        "report.md",
        "report_files/curve.png",
    ]
    assert set(manifest["files"]) == set(files)
    for name, data in files.items():
        assert manifest["files"][name] == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
    assert files["report.md"] == REPORT.encode()
    assert files["report_files/curve.png"] == before["report_files/curve.png"]

    # the notebooks are those of this run: the stale ✗ saved in mlp.ipynb is gone
    checks = {nb["name"]: [c["line"] for c in nb["checks"]] for nb in manifest["notebooks"]}
    assert checks == {
        "computational_graphs.ipynb": ["✓ node_values: every node as the reference"],
        "mlp.ipynb": ["✓ logits: 6 as the reference"],
    }
    assert not any("✗" in line for lines in checks.values() for line in lines)
    assert manifest["notebooks"][1]["checks"][0]["section"] == "The forward pass"
    mlp = nbformat.reads(files["mlp.ipynb"].decode(), as_version=4)
    assert mlp.cells[2].outputs[0].text == "✓ logits: 6 as the reference\n"
    ran_in = mlp.cells[4].outputs[0].text.split("ran in ")[1].strip()
    assert Path(ran_in).resolve() != lab.resolve()  # a scratch folder: the lab is untouched
    assert "✓ logits: 6 as the reference" in files["mlp.html"].decode()
    assert files["mlp.html"].decode().lstrip().lower().startswith("<!doctype html>")

    assert all(
        nb["complete"] and not nb["blanks"] and not nb["errors"] for nb in manifest["notebooks"]
    )
    assert manifest["summary"] == {
        "complete": True,
        "checks_passed": 2,
        "checks_failed": 0,
        "blanks": [],
        "failing_cells": 0,
        "optional_not_done": [],
    }
    assert manifest["student"] == "alice"
    assert set(manifest["versions"]) == {"python", "pw06", "tensorflow", "keras", "numpy"}
    assert manifest["versions"]["pw06"] and manifest["versions"]["numpy"]
    assert manifest["machine"]["cpu"] and manifest["machine"]["platform"]
    assert datetime.fromisoformat(manifest["date"]).tzinfo is not None

    assert "[1/2] computational_graphs.ipynb" in out and "[2/2] mlp.ipynb" in out
    assert "1 check: 1 ✓, 0 ✗ · 0 blanks · 0 other failing cells" in out
    assert "Everything required ran" in out and "pw06-alice.zip" in out
    assert "Optional" not in out
    assert files_in(lab) == {**before, "pw06-alice.zip": (lab / "pw06-alice.zip").read_bytes()}


def test_a_blank_notebook_is_still_packed_and_its_blanks_are_named(lab, capsys):
    write_notebook(lab / "mlp.ipynb", BLANK)
    assert handin.main(["--student", "bob"]) == 0
    out = capsys.readouterr().out

    files, manifest = unpack(lab / "pw06-bob.zip")
    assert "mlp.ipynb" in files and "mlp.html" in files
    mlp = manifest["notebooks"][1]
    required = {"optional": False}
    assert mlp["blanks"] == [
        {"name": "logits", "cell": 2, "section": "The forward pass", **required},
        {"name": "history", "cell": 6, "section": "Training", **required},
    ]
    # the cell that calls the blank is named with it; the top-level blank is not an error
    assert mlp["errors"] == [
        {"error": "NotImplementedError", "blank": "logits", "cell": 5, "section": "Training"}
        | required,
        {"error": "ZeroDivisionError: division by zero", "cell": 7, "section": "Training"}
        | required,
    ]
    # every cell ran, past the errors: the last check is there
    assert [c["ok"] for c in mlp["checks"]] == [False, True]
    assert mlp["complete"] is False
    assert manifest["summary"]["blanks"] == ["mlp.ipynb: logits", "mlp.ipynb: history"]
    assert manifest["summary"]["checks_failed"] == 1
    assert manifest["summary"]["complete"] is False

    assert "still blank: logits, cell 2 under “The forward pass”" in out
    assert "still blank: history, cell 6 under “Training”" in out
    assert "cell 5 under “Training”: stopped, it calls logits (still blank)" in out
    assert "cell 7 under “Training”: failed with ZeroDivisionError: division by zero" in out
    assert "✗ logits: replace" not in out  # said once, by "still blank: logits"
    assert "✓" not in out.split("Still missing")[1]
    assert "you can hand this zip in" in out


def test_optional_parts_left_undone_do_not_make_the_hand_in_incomplete(lab, capsys):
    """Under a heading "Optional…", up to the next heading of its level: blanks and ✗ are
    listed apart; the notebooks share one scratch folder, run in order, as the lab does."""
    write_notebook(
        lab / "computational_graphs.ipynb",
        [*GRAPHS, new_code_cell("open('ex1_results.json', 'w').write('{\"p1\": -2.0}')")],
    )
    cells = [
        *MLP,
        new_code_cell('assert "values" not in globals(), "the kernel of the last notebook"'),
        new_markdown_cell("### Optional: a schedule\n\nDo it if you have time."),
        new_code_cell(
            "def schedule(epoch):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
        ),
        new_code_cell('print("✗ schedule: replace `# YOUR CODE HERE` with your code")'),
        new_markdown_cell("#### Its plot"),
        new_code_cell('print("✗ schedule_plot: the plot has no title")'),
        new_markdown_cell("## Your report"),
        new_code_cell(
            "import json\n"
            "p1 = json.load(open('ex1_results.json'))['p1']\n"
            'print(f"✓ report: Exercise 1\'s p1 = {p1} read")'
        ),
    ]
    write_notebook(lab / "mlp.ipynb", cells)
    assert handin.main(["--student", "gina"]) == 0
    out = capsys.readouterr().out
    _, manifest = unpack(lab / "pw06-gina.zip")
    mlp = manifest["notebooks"][1]
    assert [(c["line"][:13], c["optional"]) for c in mlp["checks"]] == [
        ("✓ logits: 6 a", False),
        ("✗ schedule: r", True),
        ("✗ schedule_pl", True),
        ("✓ report: Exe", False),
    ]
    assert mlp["blanks"] == [
        {"name": "schedule", "cell": 8, "section": "Optional: a schedule", "optional": True}
    ]
    assert mlp["failed"] == 0 and mlp["complete"] is True
    assert manifest["summary"]["complete"] is True
    assert manifest["summary"]["optional_not_done"] == ["mlp.ipynb: schedule"]
    assert not (lab / "ex1_results.json").exists()  # written in the scratch folder only
    assert "optional not done: schedule" in out
    assert "Everything required ran" in out
    optional = out.split("Optional parts, not done or not right")[1]
    assert "not done: schedule, cell 8 under “Optional: a schedule”" in optional
    assert "✗ schedule_plot: the plot has no title" in optional
    assert "✗ schedule: replace" not in optional  # said once, by "not done: schedule"


def test_a_kernel_that_dies_or_a_cell_that_hangs_still_gives_a_zip(lab, capsys):
    write_notebook(
        lab / "computational_graphs.ipynb",
        [
            new_code_cell("import time\ntime.sleep(60)"),
            new_code_cell('print("✓ after the timeout: the next cell ran")'),
        ],
    )
    write_notebook(lab / "mlp.ipynb", [new_code_cell("import os\nos._exit(1)"), *MLP])
    assert handin.main(["--student", "carol", "--timeout", "3"]) == 0
    out = capsys.readouterr().out
    _, manifest = unpack(lab / "pw06-carol.zip")
    graphs, mlp = manifest["notebooks"]
    assert graphs["errors"][0]["error"].startswith("KeyboardInterrupt")
    assert graphs["checks"][0]["line"] == "✓ after the timeout: the next cell ran"
    assert mlp["stopped"].startswith("the kernel died") and not mlp["checks"]
    assert "the kernel died" in out


def test_missing_figures_and_placeholders_left_in_the_report_are_named(lab, capsys):
    todo = "> ✎ TODO — your comment\n\nReplace each ✎ TODO placeholder.\n> ✎ TODO — answer\n"
    (lab / "report.md").write_text(
        REPORT + "![drawing](drawing.jpg)\n![elsewhere](../secret.png)\n" + todo,
        encoding="utf-8",
    )
    (lab.parent / "secret.png").write_bytes(b"elsewhere")
    assert handin.main(["--student", "dan"]) == 0
    out = capsys.readouterr().out
    files, manifest = unpack(lab / "pw06-dan.zip")
    assert sorted(n for n in files if n.endswith((".png", ".jpg"))) == ["report_files/curve.png"]
    assert manifest["report"]["problems"] == [
        {"figure": "drawing.jpg", "problem": "no such file"},
        {"figure": "../secret.png", "problem": "outside the report's folder"},
    ]
    assert manifest["summary"]["complete"] is False
    assert "figure drawing.jpg: no such file" in out
    assert manifest["report"]["placeholders"] == 2
    assert "2 placeholders (✎ TODO) to replace" in out


def test_explicit_paths_an_output_folder_and_force(lab, capsys):
    other = lab / "elsewhere"
    other.mkdir()
    (lab / "graphs-copy.ipynb").write_bytes((lab / "computational_graphs.ipynb").read_bytes())
    (other / "my-report.md").write_text("# only text\n", encoding="utf-8")
    (lab / "pw06-erin.zip").write_bytes(b"an older hand-in")
    args = ["graphs-copy.ipynb", "--report", "elsewhere/my-report.md", "--student", "erin"]
    assert handin.main([*args, "--force"]) == 0
    files, manifest = unpack(lab / "pw06-erin.zip")
    assert sorted(files) == ["graphs-copy.html", "graphs-copy.ipynb", "report.md"]
    assert files["report.md"] == b"# only text\n"
    assert [nb["name"] for nb in manifest["notebooks"]] == ["graphs-copy.ipynb"]
    out_dir = lab / "out"
    out_dir.mkdir()
    assert handin.main([*args, "--out-dir", "out"]) == 0
    assert (out_dir / "pw06-erin.zip").is_file()


def test_without_student_the_zip_is_named_after_the_login(lab, capsys, monkeypatch):
    monkeypatch.setattr(handin.getpass, "getuser", lambda: "frank")
    assert handin.main(["computational_graphs.ipynb"]) == 0
    out = capsys.readouterr().out
    assert "no --student given: named after your login name 'frank'" in out
    assert unpack(lab / "pw06-frank.zip")[1]["student"] == "frank"


def not_json(lab):
    (lab / "mlp.ipynb").write_text("{ this is not JSON", encoding="utf-8")


def not_a_notebook(lab):
    (lab / "mlp.ipynb").write_text('{"cells": "none"}', encoding="utf-8")


def zip_exists(lab):
    (lab / "pw06-alice.zip").write_bytes(b"handed in before")


BAD = {
    "missing notebook": (
        lambda lab: (lab / "mlp.ipynb").unlink(),
        [],
        "mlp.ipynb: no such file",
    ),
    "missing named report": (
        lambda lab: None,
        ["--report", "notes/report.md"],
        "notes/report.md: no such file",
    ),
    "not JSON": (not_json, [], "mlp.ipynb: not a notebook (not JSON"),
    "JSON but not a notebook": (not_a_notebook, [], "mlp.ipynb: JSON, but not a Jupyter notebook"),
    "zip exists": (zip_exists, [], "pw06-alice.zip exists already; add --force"),
    "name with a space": (lambda lab: None, ["--student", "jean dupont"], "no spaces"),
    "unknown kernel": (lambda lab: None, ["--kernel", "no-such-kernel"], "no such Jupyter kernel"),
    "not .ipynb": (lambda lab: None, ["report.md"], "ends in .ipynb"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(lab, capsys, case):
    spoil, extra, message = BAD[case]
    spoil(lab)
    before = files_in(lab)
    args = ["--student", "alice", *extra] if "--student" not in extra else extra
    assert handin.main(args) == handin.EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert message in captured.err
    assert (
        captured.err.startswith("pw06-handin: error: ") and "Nothing was written." in captured.err
    )
    assert captured.out == ""  # nothing ran
    assert files_in(lab) == before  # no zip, no temporary file, the old zip untouched


def test_a_lab_without_its_report_yet_is_still_handed_in(lab, capsys):
    """The lab notebook's last cell writes report.md: a student who has not got that far
    still hands in, and is told the report is missing."""
    (lab / "report.md").unlink()
    assert handin.main(["--student", "alice"]) == 0
    out = capsys.readouterr().out
    files, manifest = unpack(lab / "pw06-alice.zip")
    assert "report.md" not in files and "report_files/curve.png" not in files
    assert manifest["report"]["file"] is None
    assert manifest["summary"]["complete"] is False
    assert "  report.md\n    not written yet: the last cell of your lab notebook" in out


def test_a_kernel_that_cannot_start_is_bad_input(lab, capsys, monkeypatch, tmp_path_factory):
    kernels = tmp_path_factory.mktemp("jupyter") / "kernels" / "broken"
    kernels.mkdir(parents=True)
    argv = [sys.executable, "-c", "import sys; sys.exit('ipykernel is broken here')"]
    (kernels / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "broken", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(kernels.parents[1]))
    before = files_in(lab)
    assert handin.main(["--student", "alice", "--kernel", "broken"]) == handin.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "the kernel did not start" in err and "ipykernel is broken here" in err
    assert "--kernel NAME" in err and "Nothing was written." in err
    assert files_in(lab) == before


def test_a_failure_while_packing_leaves_no_temporary_file(tmp_path, monkeypatch):
    def full_disk(source, target):
        assert Path(source).name.startswith(".pw06-alice.zip.") and Path(source).is_file()
        raise OSError("No space left on device")

    monkeypatch.setattr(handin.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        handin.write_zip(tmp_path / "pw06-alice.zip", {"a.txt": b"a"}, {}, force=False)
    assert list(tmp_path.iterdir()) == []


def test_the_report_figures_are_its_local_images_in_order_each_once():
    markdown = (
        "![a](report_files/a.png) text ![b](<report_files/b c.png>) ![](report_files/b%20c.png)\n"
        '![t](fig.svg "title") ![web](https://x.org/y.png) ![d](data:image/png;base64,AA==)\n'
        '<IMG alt="x" src="report_files/a.png"> <img src=\'photo.jpg\'>'
    )
    assert handin.report_figures(markdown) == [
        "report_files/a.png",
        "report_files/b c.png",
        "fig.svg",
        "photo.jpg",
    ]


def test_blanks_are_named_by_their_function_or_else_by_their_cell():
    source = (
        "%matplotlib inline\n"
        "def fit(x):\n"
        "    def step():\n"
        "        raise NotImplementedError()\n"
        "    raise NotImplementedError\n"
        "raise NotImplementedError()\n"
        "raise ValueError('not a blank')\n"
    )
    assert handin.blanks_in(source, "cell 4") == ["step", "fit", "cell 4"]
    assert handin.blanks_in("def f():\n    return 1\n", "cell 1") == []
    assert handin.blanks_in("a = (\nraise NotImplementedError()", "cell 2") == ["cell 2"]


def test_the_console_script_and_python_dash_m(tmp_path):
    """The installed package's metadata (every Python, 3.10 included) names the script and
    what the hand-in runs the notebooks with."""
    scripts = metadata.entry_points(group="console_scripts")
    assert [e.value for e in scripts if e.name == "pw06-handin"] == ["pw06.handin:main"]
    needed = {"nbclient", "nbconvert", "nbformat", "ipykernel", "jupyter-client"}
    declared = {Requirement(r).name for r in metadata.requires("pw06")}
    assert needed <= declared
    result = subprocess.run(
        [sys.executable, "-m", "pw06.handin", "--student", "x", "missing.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "pw06-handin: error: missing.ipynb: no such file" in result.stderr
    assert list(tmp_path.iterdir()) == []
