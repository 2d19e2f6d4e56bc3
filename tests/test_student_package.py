"""The student package: a pw06 wheel without the solutions, whose checks still work.

The wheel is built (``scripts/student_package.py``) and installed, offline, from the file into a
fresh venv that holds nothing else of pw06 (its dependencies: the test venv's, through a path
file, so that nothing is downloaded). Then:

- no normalised line of any solution region of ``code/pw06`` is in any file of the installed
  package, its bytecode included, nor in the wheel;
- the checks, run in that venv on the reference answers and on every known mistake of
  ``code/tests/test_check.py`` (``scripts/check_answers.py``), print exactly the lines the full
  package prints with its live reference code: every reference ✓, every mistake its hint;
- an input the recording does not hold is said plainly (no reference), not graded wrongly;
- the filled-in Exercise 1 workbook and the hand-in command run in that venv.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT, code_cells

sys.path.insert(0, str(ROOT / "scripts"))
import check_answers
import student_package

pytestmark = pytest.mark.slow
NO_NETWORK = "http://127.0.0.1:9"  # the discard port: nothing listens (as conftest.py's)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return student_package.build(tmp_path_factory.mktemp("student-wheel"))


@pytest.fixture(scope="module")
def student_venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the student wheel installed offline (``--no-index``, from the file);
    its dependencies are the test venv's, on its path (a ``.pth`` line: the test venv's own
    editable pw06 is not loaded, its finder is registered only by a ``.pth`` of a site dir)."""
    venv = tmp_path_factory.mktemp("student-venv") / "venv"
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "_test_venv_packages.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = [str(python), "-m", "pip", "install", "--no-index", "-q", str(wheel)]
    result = subprocess.run(install, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return venv


def run_in(venv: Path, *args, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(venv / "bin" / "python"), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=kwargs.pop("cwd", venv),
        **kwargs,
    )


def installed_package(venv: Path) -> Path:
    result = run_in(venv, "-c", "import pw06, pathlib; print(pathlib.Path(pw06.__file__).parent)")
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def solution_lines() -> set[str]:
    """The normalised lines of every solution region, except those the given code of the
    package also has (a ``)``, ``else:``, a ``with tf.GradientTape() as tape:`` that another
    chapter's module shows): the given code of every module but the checks', whose text
    (hints included) is what the test searches."""
    from workbooks import clear_solutions

    given = " ".join(
        " ".join(clear_solutions(path.read_text(encoding="utf-8"))[0].split())
        for path in sorted((ROOT / "code" / "pw06").glob("*.py"))  # not the checks, pw06/check/
        if path.name != "recorded.py"
    )
    lines = {
        student_package.normalised(line)
        for region in student_package.solution_regions().values()
        for line in region
    }
    return {line for line in lines if line and line not in given}


def leaks(text: str, lines: set[str]) -> list[str]:
    flat = " ".join(text.split())
    return sorted(line for line in lines if line in flat)


def test_the_installed_student_package_holds_no_solution_line(wheel, student_venv):
    lines = solution_lines()
    assert len(lines) > 30, "the regions of data, lowlevel_mlp, keras_mlp"
    for line in ("return tf.matmul(h, W2) + b2", "losses.append(float(loss))"):
        assert line in lines
    full = " ".join((ROOT / "code" / "pw06" / "lowlevel_mlp.py").read_text().split())
    assert leaks(full, lines), "the comparison finds a region's lines in the full package"
    package = installed_package(student_venv)
    assert package.is_relative_to(student_venv), package
    compiled = run_in(student_venv, "-m", "compileall", "-q", package)  # every .pyc there
    assert compiled.returncode == 0, compiled.stderr
    files = [p for p in package.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pyc" for p in files) and (package / "_reference.json").is_file()
    found = {}
    for path in files:
        raw = path.read_bytes()
        for text in (raw.decode("utf-8", errors="replace"), raw.decode("latin-1")):
            if leaks(text, lines):
                found[str(path)] = leaks(text, lines)
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", errors="replace")
            if leaks(text, lines):
                found[f"{wheel.name}/{name}"] = leaks(text, lines)
    assert not found, found
    stub = (package / "lowlevel_mlp.py").read_text(encoding="utf-8")
    assert stub.count("raise NotImplementedError()") == 10, "each region cut to the stub"


def test_the_wheel_records_its_source_hash(wheel):
    from pw06 import recorded

    with zipfile.ZipFile(wheel) as archive:
        data = json.loads(archive.read("pw06/_reference.json"))
    assert data["meta"]["source_sha256"] == recorded.source_hash(ROOT / "code" / "pw06")
    assert wheel.name == f"pw06-{_version()}+student-py3-none-any.whl"


def _version() -> str:
    import re

    text = (ROOT / "code" / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'(?m)^version = "([^"]+)"$', text)[1]


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> Path:
    """The reference answers and every known mistake, plus a valid answer the recording does
    not hold (a fit that visits each epoch's shuffled order backwards)."""
    cases = check_answers.cases()
    sources = dict(cases[0]["sources"])
    old = "batch = order[start : start + batch_size]"
    assert sources["fit"].count(old) == 1
    sources["fit"] = sources["fit"].replace(old, "batch = order[::-1][start : start + batch_size]")
    cases.append({"label": "unrecorded", "sources": sources, "runs": [["fit", "fit", {}]]})
    path = tmp_path_factory.mktemp("answers") / "cases.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    return path


def lines_of(python: list[str], answers: Path, tmp_path: Path, cwd: Path) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "lines.json"
    script = ROOT / "scripts" / "check_answers.py"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [*python, str(script), "run", str(answers), str(out)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8"))


def test_student_and_full_package_print_the_same_line_for_every_answer(
    student_venv, answers, tmp_path
):
    student = lines_of(
        [str(student_venv / "bin" / "python")], answers, tmp_path / "s", student_venv
    )
    live = lines_of([sys.executable], answers, tmp_path / "l", ROOT)
    unrecorded = student.pop("unrecorded")["fit"]
    assert live.pop("unrecorded")["fit"].startswith("✓ fit: ")
    assert unrecorded.startswith("✗ fit: not checked — no reference result for train_step")
    assert "holds the reference results of the checks' fixed problems only" in unrecorded
    assert student == live, [
        (case, name, live[case][name], student[case].get(name))
        for case in live
        for name in live[case]
        if student[case].get(name) != live[case][name]
    ]
    assert all(line.startswith("✓ ") for line in student["reference"].values())
    cases = json.loads(answers.read_text(encoding="utf-8"))
    for case in cases[1:-1]:  # each known mistake: its hint, in the student package too
        failing = [line for line in student[case["label"]].values() if line.startswith("✗")]
        assert any(case["hint"] in line.split(" — hint: ", 1)[-1] for line in failing), case


def test_the_hand_in_command_works_in_the_student_package(student_venv):
    handin = student_venv / "bin" / "pw06-handin"
    result = subprocess.run([str(handin), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "usage" in result.stdout.lower(), result.stderr


def workbook_imports() -> str:
    """The import statements of every workbook's code cells, as the student runs them."""
    statements = []
    for page in sorted((ROOT / "workbooks").glob("*.md")):
        for _, source in code_cells(page):
            for node in ast.parse(source).body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    statements.append(ast.unparse(node))
    return "\n".join(statements)


#: What the workbooks use as given, after their own imports.
GIVEN = """
from pw06 import check
from pw06.computational_graphs import CS231N_INPUTS
images, labels = data.load_mnist5k_raw()
train, test = data.stratified_split(labels, test_fraction=0.2, seed=0)
h = History()
h.add_epoch(0, [0.5, 0.25], 1.0)
print(images.shape, len(train), h.step_loss, check_count(3, "n"))
print(default_batch_size(), check_learning_rate(0.5))
"""


def test_what_the_workbooks_import_as_given_works_in_the_student_package(student_venv):
    imports = workbook_imports()
    assert "from pw06.lowlevel_mlp import" in imports and "lab_report" in imports
    result = run_in(student_venv, "-c", imports + "\n" + GIVEN)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(5000, 784) 4000 [0.5, 0.25] 3" in result.stdout
    assert "32 None" in result.stdout


@pytest.fixture(scope="module")
def student_kernel(student_venv, tmp_path_factory) -> dict:
    """A kernel running in the student venv, with no network."""
    from jupyter_client.kernelspec import KernelSpecManager

    kernels = tmp_path_factory.mktemp("student-kernels")
    (kernels / "pw06-student").mkdir()
    spec = {
        "argv": [
            str(student_venv / "bin" / "python"),
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ],
        "display_name": "Python (student package)",
        "language": "python",
        "env": {
            "PIP_NO_INDEX": "1",
            "PYTHONPATH": "",
            **{name: NO_NETWORK for name in ("http_proxy", "https_proxy", "all_proxy")},
        },
    }
    (kernels / "pw06-student" / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return {
        "kernel_name": "pw06-student",
        "kernel_spec_manager": KernelSpecManager(kernel_dirs=[str(kernels)]),
    }


@pytest.mark.parametrize("name", ["computational_graphs", "mlp"])
def test_the_filled_workbook_passes_every_check_with_the_student_package(
    tmp_path, name, student_kernel
):
    """The blank workbook with the reference answers filled in (the solution workbook) runs
    to its end in the student venv, and every check under an answer prints ✓."""
    from notebook_runner import execute
    from test_workbooks import build, wb

    _, solution = build(name)
    probe = "import pw06.recorded as r; print('MODE', r.MODE)"
    solution.cells.append(__import__("nbformat").v4.new_code_cell(probe))
    if name == "mlp":  # Exercise 1's results, as its workbook saves them for the report
        from pw06 import lab_report
        from pw06.computational_graphs import (
            logistic_regression_graph,
            node_gradients,
            node_values,
        )

        graph = logistic_regression_graph(x1=-1.0, x2=-2.0, w1=2.0, w2=-3.0, b=-3.0)
        graph.output.backward(1.0)
        lab_report.save_ex1(node_values(graph), node_gradients(graph), tmp_path)
    run = execute(solution, **student_kernel, cwd=tmp_path)
    assert run.error is None, f"cell {run.failed_cell}: {run.error}"
    assert "MODE replay" in run.stdout(len(solution.cells) - 1), "the student package ran"
    checks = [i for i, c in enumerate(solution.cells) if wb.check_calls(c.source)]
    assert checks
    for i in checks:
        lines = run.stdout(i).strip().splitlines()
        assert lines and all(line.startswith("✓ ") for line in lines), lines
