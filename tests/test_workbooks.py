"""The student workbooks and the student edition of the site.

- the blanking tool (nbgrader's ClearSolutions rules) and the include of package functions;
- the workbooks built from workbooks/*.md (Exercise 1's, and the lab notebook of Exercises 3
  and 4): nbgrader metadata, blanks where the solutions were;
- executed as a reader runs them: the blank one stops at its first blank with
  NotImplementedError, the solution one runs to the end with every check passing, the same
  numbers on a second run, and writes the student's files (Exercise 1's results, report.md);
- nbgrader itself, in its own venv: generate_assignment gives the site's blanks, autograde runs;
- Exercise 1's mistakes injected into the workbook's own solution get their hints;
- publishing: the built site holds both notebooks, each chapter links its workbook;
- the student edition holds no solution text (a mini-book for the mechanics, the real book
  built from the session build's execution cache).
"""

from __future__ import annotations

import ast
import contextlib
import html
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from helpers import ROOT, config, jupyter_book, make_minibook
from notebook_runner import execute

spec = importlib.util.spec_from_file_location("workbooks", ROOT / "book" / "_ext" / "workbooks.py")
wb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wb)

WORKBOOKS = sorted(path.stem for path in (ROOT / "workbooks").glob("*.md"))
CHAPTERS = wb.workbook_chapters(ROOT / "workbooks")  # chapter → (workbook, its title)
SPEC = "pw06 @ git+https://example.org/r.git@main#subdirectory=code"


def build(name: str):
    text = (ROOT / "workbooks" / f"{name}.md").read_text(encoding="utf-8")
    return wb.build_workbook(text, name=name, code_dir=ROOT / "code", install_spec=SPEC)


# --- The blanking tool -----------------------------------------------------------------------

REGION = """def f(x):
    \"\"\"Doc.\"\"\"
    y = 2
    ### BEGIN SOLUTION
    z = x * y
    return z
    ### END SOLUTION
"""


def test_a_region_becomes_the_stub_at_its_indentation():
    blank, found = wb.clear_solutions(REGION)
    assert found
    assert blank == (
        'def f(x):\n    """Doc."""\n    y = 2\n'
        "    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )
    top, _ = wb.clear_solutions("a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\nc = 3")
    assert top == "a = 1\n# YOUR CODE HERE\nraise NotImplementedError()\nc = 3"
    assert wb.clear_solutions("x = 1") == ("x = 1", False)


def test_shown_code_may_end_inside_a_region():
    """Sphinx's ``:pyobject:`` ends at the last statement, before a final END marker."""
    cut = REGION.replace("    ### END SOLUTION\n", "")
    with pytest.raises(wb.WorkbookError):
        wb.clear_solutions(cut)
    assert wb.clear_solutions(cut, strict=False)[0] == wb.clear_solutions(REGION)[0].rstrip()


def test_two_regions_are_both_cleared_and_bad_markers_are_refused():
    twice = REGION + "\n" + REGION.replace("def f", "def g")
    blank, _ = wb.clear_solutions(twice)
    assert blank.count("raise NotImplementedError()") == 2 and "z = x * y" not in blank
    for bad in (
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
    ):
        with pytest.raises(wb.WorkbookError):
            wb.clear_solutions(bad)


def test_strip_markers_keeps_the_whole_solution():
    assert wb.strip_markers(REGION) == (
        'def f(x):\n    """Doc."""\n    y = 2\n    z = x * y\n    return z\n'
    )


def test_an_include_is_the_package_source_with_its_markers(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(
        "import functools\n\n\n" + REGION + "\n\nclass C:\n    @functools.cache\n"
        "    def m(self):\n        ### BEGIN SOLUTION\n        return 1\n"
        "        ### END SOLUTION\n\n    def n(self):\n        return 2\n"
    )
    assert wb.function_source(tmp_path, "pkg.mod.f") == REGION.rstrip("\n")
    method = wb.function_source(tmp_path, "pkg.mod.C.m")
    assert method.startswith("@functools.cache\ndef m(self):") and method.endswith("END SOLUTION")
    code, names = wb.expand_includes("x = 0\n    # workbook: include pkg.mod.f", tmp_path)
    assert names == ["f"] and code.splitlines()[1] == "    def f(x):"
    for missing in ("pkg.mod.nothing", "pkg.other.f", "nowhere"):
        with pytest.raises(wb.WorkbookError, match=missing.split(".")[-1]):
            wb.function_source(tmp_path, missing)


def test_every_include_of_the_workbooks_resolves():
    for name in WORKBOOKS:
        text = (ROOT / "workbooks" / f"{name}.md").read_text(encoding="utf-8")
        for target in re.findall(r"# workbook: include ([\w.]+)", text):
            assert wb.function_source(ROOT / "code", target).startswith("def ")


# --- The notebooks ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", WORKBOOKS)
def test_the_workbook_has_nbgrader_cells_and_its_blank_holds_no_solution(name):
    blank, solution = build(name)
    assert len(blank.cells) == len(solution.cells)
    kinds = {"answer": 0, "check": 0}
    ids = set()
    for b, s in zip(blank.cells, solution.cells, strict=True):
        assert b.id == s.id and b.id not in ids
        ids.add(b.id)
        meta = s.metadata.get("nbgrader")
        if s.cell_type == "code" and wb.BEGIN_SOLUTION in s.source:
            assert meta["solution"] and not meta["locked"] and meta["schema_version"] == 3
            assert "raise NotImplementedError()" in b.source and wb.BEGIN_SOLUTION not in b.source
            hidden = wb.strip_markers(s.source).split("\n")
            solution_lines = set(hidden) - set(b.source.split("\n"))
            assert solution_lines and not any(line in b.source for line in solution_lines if line)
            kinds["answer"] += 1
        elif s.cell_type == "markdown" and meta:  # a written answer, graded by hand
            assert meta["solution"] and meta["grade"] and not meta["locked"]
            assert wb.TEXT_STUB in b.source and wb.BEGIN_SOLUTION not in b.source
            assert b.source.split(wb.TEXT_STUB)[0] in s.source, "the question stays"
        elif s.cell_type == "code" and wb.check_calls(s.source):
            assert meta["grade"] and meta["locked"] and meta["points"] == 1
            assert s.metadata["editable"] is False and b.source == s.source
            kinds["check"] += 1
        else:
            assert b.source == s.source
    assert kinds["answer"] >= 2 and kinds["check"] >= kinds["answer"]
    setup = solution.cells[next(i for i, c in enumerate(solution.cells) if c.cell_type == "code")]
    assert setup.metadata["nbgrader"]["grade_id"] == "setup" and SPEC in setup.source
    assert "from pw06 import check" in setup.source
    assert nbformat.writes(build(name)[0]) == nbformat.writes(blank), "generation is stable"


def test_workbook_markdown_is_plain_jupyter():
    for name in WORKBOOKS:
        for cell in build(name)[0].cells:
            if cell.cell_type == "markdown":
                for myst in ("{glue", "```{", ":::{", "{doc}", "{numref}", "{eq}", "{ref}"):
                    assert myst not in cell.source, (name, myst)


def test_each_exercise_chapter_names_the_notebook_it_belongs_to():
    assert WORKBOOKS == ["computational_graphs", "mlp"]
    notebooks = {chapter: name for chapter, (name, _) in CHAPTERS.items()}
    assert notebooks == {
        "computational_graphs": "computational_graphs",
        "lowlevel_mlp": "mlp",
        "keras_mlp": "mlp",
    }
    assert CHAPTERS["keras_mlp"][1] == "Lab notebook — Exercises 3 and 4"
    for chapter, (name, title) in CHAPTERS.items():
        assert (ROOT / "book" / f"{chapter}.md").is_file()
        box = wb.workbook_box(name, "https://colab.example/x", solutions=True, title=title)
        assert box.startswith(f":::{{admonition}} Workbook: {name}.ipynb\n")
        assert f"`{name}.ipynb` ({title})" in box and f'href="workbooks/{name}.ipynb"' in box
        assert f'href="workbooks/solutions/{name}.ipynb"' in box
        assert "solutions/" not in wb.workbook_box(name, "https://c/x", solutions=False)


def test_a_chapter_cannot_have_two_workbooks(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.md").write_text("---\nworkbook:\n  chapters: [page]\n---\n# T\n")
    with pytest.raises(wb.WorkbookError, match="'page' has two workbooks"):
        wb.workbook_chapters(tmp_path)


def _trainings(source: str) -> list[ast.Call]:
    """The calls in ``source`` that train: ``fit(...)`` (Exercise 3) and ``….fit(...)``."""
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    return [
        call
        for call in calls
        if (isinstance(call.func, ast.Name) and call.func.id == "fit")
        or (
            isinstance(call.func, ast.Attribute)
            and call.func.attr == "fit"
            and ast.unparse(call.func.value) != "check"
        )
    ]


def test_the_lab_notebook_follows_the_sheet_and_every_training_is_seeded():
    _, solution = build("mlp")
    cells = [cell.source for cell in solution.cells if cell.cell_type == "code"]
    text = "\n".join(cell.source for cell in solution.cells)
    # Exercise 3 first, then Exercise 4 in cells at its end, then the report
    steps = ("def train_step", "def fit(", "## Exercise 4", "def build_sequential", "write_report(")
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)
    optional = re.findall(r"^#+ Optional: (.*)$", text, re.M)
    assert optional == [
        "a piecewise-constant learning rate",
        "a softmax output and the cross-entropy",
    ]
    trained = 0
    for source in cells:
        for call in _trainings(source) if "def fit(" not in source else []:
            trained += 1
            if isinstance(call.func, ast.Name):  # your fit: the seed is an argument
                assert "seed" in [k.arg for k in call.keywords], source
            else:  # Keras's fit shuffles: its random seed is set before, in the same cell
                before = source[: source.index(ast.get_source_segment(source, call))]
                assert "keras.utils.set_random_seed(SEED)" in before, source
    assert trained >= 6, "Ex. 3, the schedule, Keras, the comparison, the softmax pair"
    fit_text = text[text.index("### The mini-batch loop") : text.index("def fit(")]
    assert "tf.gather" in fit_text and "x[batch]" in fit_text and "tensors" in fit_text
    assert "`losses` holds" in fit_text and "float(loss)" in fit_text


# --- Running them like a reader ------------------------------------------------------------------


@pytest.fixture(scope="session")
def workbook_kernel(reader_kernel) -> dict:
    """How the workbooks run: as a reader runs them, in the session's fresh venv holding only
    ``pw06`` and a kernel (the ``reader_kernel`` fixture of conftest.py), with no network."""
    specs, _ = reader_kernel
    return {"kernel_name": "pw06-reader", "kernel_spec_manager": specs}


def answer_cells(notebook) -> list[int]:
    return [
        i
        for i, c in enumerate(notebook.cells)
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    ]


def first_use(notebook, answer: int) -> int:
    """The cell where the blank ``answer`` cell first raises: the first cell from it on that
    runs code — not a check (a check explains a missing answer instead of raising), not a
    cell that only defines functions or imports."""
    defines = (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    for i in range(answer, len(notebook.cells)):
        cell = notebook.cells[i]
        if cell.cell_type != "code" or wb.check_calls(cell.source):
            continue
        if not all(isinstance(node, defines) for node in ast.parse(cell.source).body):
            return i
    raise AssertionError("no cell uses the first answer")


@pytest.mark.slow
@pytest.mark.parametrize("name", WORKBOOKS)
def test_the_blank_workbook_stops_at_its_first_blank(tmp_path, name, workbook_kernel):
    blank, _ = build(name)
    first = answer_cells(blank)[0]
    run = execute(blank, **workbook_kernel, cwd=tmp_path)
    assert run.error is not None, "a blank workbook cannot run to the end"
    assert run.error.ename == "NotImplementedError", run.error
    assert run.failed_cell == first_use(blank, first), "it stops at its first blank"
    for i in range(first + 1, run.failed_cell):  # the checks on the way say why
        if wb.check_calls(blank.cells[i].source):
            assert "is not written yet" in run.stdout(i), run.stdout(i)


def probe_cell(name: str, solution) -> str:
    """A cell appended to a solution workbook: it prints, as JSON lines, what the run computed
    (what the student's files must hold) and, for the lab notebook, the same runs again."""
    if name == "computational_graphs":
        return "import json\nprint(json.dumps({'values': values, 'grads': grads}))"
    sources = [c.source for c in solution.cells if c.cell_type == "code"]
    ex3 = next(source for source in sources if "ex3_history = fit(" in source)
    keras_fit = next(source for source in sources if "history = model.fit(" in source)
    return "\n".join(
        [
            "import dataclasses, json",
            "rows = lambda ms: None if ms is None else [dataclasses.asdict(m) for m in ms]",
            "print(json.dumps({'test_error': ex3_test_error, 'epochs': LAB['epochs'],",
            "    'learning_rate': LAB['learning_rate'], 'labels': y_test.tolist(),",
            "    'schedule': schedule_result, 'comparison': rows(comparison),",
            "    'softmax': rows(softmax_result), 'step_loss': ex3_history.step_loss,",
            "    'steps_per_epoch': steps_per_epoch, 'keras_loss': history.history['loss']}))",
            ex3,  # both trainings again: a seeded run repeats to the digit
            keras_fit,
            "print(json.dumps({'step_loss': ex3_history.step_loss, 'test_error': ex3_test_error,",
            "    'keras_loss': history.history['loss']}))",
        ]
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", WORKBOOKS)
def test_the_solution_workbook_runs_with_every_check_passing(tmp_path, name, workbook_kernel):

    from pw06 import lab_report
    from pw06.computational_graphs import logistic_regression_graph, node_gradients, node_values

    _, solution = build(name)
    solution.cells.append(nbformat.v4.new_code_cell(probe_cell(name, solution)))
    if name == "mlp":  # Exercise 1's results, as the Exercise 1 workbook saves them
        graph = logistic_regression_graph(x1=-1.0, x2=-2.0, w1=2.0, w2=-3.0, b=-3.0)
        graph.output.backward(1.0)
        lab_report.save_ex1(node_values(graph), node_gradients(graph), tmp_path)
    run = execute(solution, **workbook_kernel, cwd=tmp_path)
    assert run.error is None, f"cell {run.failed_cell}: {run.error}"
    checks = [i for i, c in enumerate(solution.cells) if wb.check_calls(c.source)]
    for i in checks:
        lines = run.stdout(i).strip().splitlines()
        assert lines and all(line.startswith("✓ ") for line in lines), lines
    for i, cell in enumerate(run.notebook.cells):
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", f"cell {i} wrote to stderr: {output['text']}"
    lines = run.stdout(len(solution.cells) - 1).splitlines()
    printed = [json.loads(line) for line in lines if line.startswith("{")]
    if name == "computational_graphs":  # its last cell saved the values for the report
        saved = lab_report.load_ex1(tmp_path)
        assert saved == {"values": printed[0]["values"], "gradients": printed[0]["grads"]}
        return
    ran, again = printed
    assert again["step_loss"] == ran["step_loss"] and again["test_error"] == ran["test_error"]
    assert again["keras_loss"] == ran["keras_loss"], "Keras's fit repeats to the digit"
    assert ran["schedule"] is not None and ran["softmax"] is not None, "the optional parts ran"
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    png = tmp_path / "report_files" / "convergence.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    comparison = [lab_report.Measurement(**row) for row in ran["comparison"]]
    softmax = [lab_report.Measurement(**row) for row in ran["softmax"]]
    assert report == lab_report.render_report(
        student=None,
        ex1=lab_report.load_ex1(tmp_path),
        run=lab_report.Ex3Run(
            test_error=ran["test_error"],
            step_loss=ran["step_loss"],
            steps_per_epoch=ran["steps_per_epoch"],
            epochs=ran["epochs"],
            learning_rate=ran["learning_rate"],
        ),
        comparison=comparison,
        labels=ran["labels"],
        schedule=ran["schedule"],
        softmax=softmax,
    ), "report.md holds exactly the numbers of the run"
    assert f"test error of {ran['test_error']:.1f} %" in report
    assert f"the test error is **{ran['schedule']['test_error']:.1f} %**" in report
    for row in comparison + softmax:
        assert f"| {row.cpu_seconds:.2f} | {row.test_error:.1f} |" in report
    assert (
        comparison[0].implementation.startswith("my low-level")
        and comparison[1].steps_per_epoch > comparison[0].steps_per_epoch
    )
    for row in comparison:  # the predictions of the paired comparison are those of the run
        wrong = sum(p != y for p, y in zip(row.predictions, ran["labels"], strict=True))
        assert 100 * wrong / len(ran["labels"]) == pytest.approx(row.test_error)
    assert "| ŷ | 0.7311 | 1.0000 |" in report, "Exercise 1's saved values"


OPTIONAL = ("piecewise_constant", "forward_softmax", "cross_entropy_loss")


@pytest.mark.slow
def test_the_lab_notebook_runs_to_its_report_with_the_optional_parts_left_blank(
    tmp_path, workbook_kernel
):
    """A student who skips the optional parts: "Run all" still reaches the report, which says
    that they were not done."""
    _, solution = build("mlp")
    for cell in solution.cells:
        if cell.cell_type == "code" and any(f"def {name}(" in cell.source for name in OPTIONAL):
            cell.source = wb.clear_solutions(cell.source)[0]
    run = execute(solution, **workbook_kernel, cwd=tmp_path)
    assert run.error is None, f"cell {run.failed_cell}: {run.error}"
    skipped = [i for i, c in enumerate(solution.cells) if "Optional part skipped" in run.stdout(i)]
    assert len(skipped) == 2, "the schedule's and the softmax's training cells say so"
    for i, cell in enumerate(solution.cells):
        names = wb.check_calls(cell.source) or []
        if set(names) & set(OPTIONAL):
            assert "is not written yet" in run.stdout(i), run.stdout(i)
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert report.count("Not done (the optional part of the notebook was skipped).") == 2
    assert "Run the last cell of the Exercise 1 workbook" in report, "no ex1_results.json here"


# --- nbgrader itself, in its own venv ----------------------------------------------------------

NBGRADER = "nbgrader==0.9.6"  # the version the workbooks were graded with (issue 16)


@pytest.fixture(scope="session")
def nbgrader_venv(tmp_path_factory) -> Path:
    """A fresh venv holding only nbgrader (about a hundred packages, none the handbook's):
    its ``bin/`` folder. The notebooks it grades run in the reader kernel."""

    venv = tmp_path_factory.mktemp("nbgrader") / "venv"
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", NBGRADER]
    result = subprocess.run(pip, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return venv / "bin"


def nbgrader_env(bin_dir: Path) -> dict[str, str]:
    """The environment of nbgrader's venv: its ``bin/`` first on PATH (nbgrader runs
    ``alembic`` from there), no other venv's settings."""

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    return env


def nbgrader(bin_dir: Path, course: Path, kernels: Path, *args: str) -> str:
    """Run ``nbgrader *args`` in ``course``; the kernels of ``kernels/kernels/`` are found."""

    env = nbgrader_env(bin_dir)
    env["JUPYTER_PATH"] = str(kernels)
    result = subprocess.run(
        [str(bin_dir / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    return log


SCORES = """
import json
from nbgrader.api import Gradebook

with Gradebook("sqlite:///gradebook.db") as gb:
    scores = {}
    for student in ("filled", "blank"):
        for notebook in ("computational_graphs", "mlp"):
            sub = gb.find_submission_notebook(notebook, "lab", student)
            scores[f"{student}/{notebook}"] = {
                g.name: [g.score, g.max_score, g.needs_manual_grade] for g in sub.grades
            }
print(json.dumps(scores))
"""


@pytest.mark.slow
def test_nbgrader_releases_the_sites_blanks_and_autogrades_a_filled_notebook(
    tmp_path, nbgrader_venv, reader_kernel
):
    """``generate_assignment`` on the solution notebooks gives the site's blank notebooks, cell
    for cell; ``autograde`` of the released notebooks, filled in by a student, gives every
    check its points, and a blank submission none (the checks run in the reader kernel)."""

    course = tmp_path / "course"
    (course / "source" / "lab").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'pw06'\n"
        "c.Execute.timeout = 900\n"
        "c.Execute.kernel_name = 'pw06-reader'\n"
    )
    blanks = {}
    for name in WORKBOOKS:
        blanks[name], solution = build(name)
        nbformat.write(solution, course / "source" / "lab" / f"{name}.ipynb")
    nbgrader(nbgrader_venv, course, tmp_path, "generate_assignment", "lab", "--force")
    for name in WORKBOOKS:
        released = nbformat.read(course / "release" / "lab" / f"{name}.ipynb", as_version=4)
        ours = blanks[name]
        assert [c.cell_type for c in released.cells] == [c.cell_type for c in ours.cells]
        for mine, theirs in zip(ours.cells, released.cells, strict=True):
            assert theirs.source == mine.source, (name, mine.id)
            grading = theirs.metadata.get("nbgrader", {})
            assert grading.get("grade_id") == mine.metadata.get("nbgrader", {}).get("grade_id")
    # the kernels folder of the reader venv: JUPYTER_PATH/kernels/pw06-reader
    specs, _ = reader_kernel
    kernel_root = Path(specs.kernel_dirs[0]).parent
    for student in ("filled", "blank"):
        folder = course / "submitted" / student / "lab"
        folder.mkdir(parents=True)
        for name in WORKBOOKS:
            shutil.copy(course / "release" / "lab" / f"{name}.ipynb", folder)
    for name in WORKBOOKS:  # the filled student writes the solution into every answer cell
        path = course / "submitted" / "filled" / "lab" / f"{name}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        solution = build(name)[1]
        answers = {
            c.id: c.source for c in solution.cells if c.metadata.get("nbgrader", {}).get("solution")
        }
        for cell in notebook.cells:
            cell.source = wb.strip_markers(answers.get(cell.id, cell.source))
        nbformat.write(notebook, path)
    nbgrader(nbgrader_venv, course, kernel_root, "autograde", "lab", "--create", "--force")
    result = subprocess.run(
        [str(nbgrader_venv / "python"), "-c", SCORES],
        cwd=course,
        env=nbgrader_env(nbgrader_venv),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    scores = json.loads(result.stdout)
    for name in WORKBOOKS:
        checks = {
            c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
            for c in blanks[name].cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
        }
        filled, blank = scores[f"filled/{name}"], scores[f"blank/{name}"]
        assert checks and {gid: filled[gid][:2] for gid in checks} == {
            gid: [points, points] for gid, points in checks.items()
        }, f"{name}: every check of the filled notebook gets its points"
        assert all(blank[gid][0] == 0 for gid in checks), f"{name}: a blank scores nothing"
        for gid, (_, _, manual) in filled.items():  # the written comment is graded by hand
            assert manual == (gid not in checks), gid
    assert (course / "autograded" / "filled" / "lab" / "report.md").is_file()


# --- Exercise 1: mistakes injected into the workbook's own solution ------------------------------


def run_ex1(replace: tuple[str, str] | None = None) -> list[str]:
    """Execute the solution cells of Exercise 1 in-process, with one line of the solution
    replaced; returns the lines the checks printed."""
    from pw06 import check

    _, solution = build("computational_graphs")
    namespace = {"check": check}
    out = io.StringIO()
    folder = tempfile.TemporaryDirectory()  # the last cell writes ex1_results.json
    with folder, contextlib.chdir(folder.name):
        run_cells(solution, namespace, replace, out)
    return [line for line in out.getvalue().splitlines() if line[:2] in ("✓ ", "✗ ")]


def run_cells(solution, namespace, replace, out) -> None:
    for cell in solution.cells:
        if cell.cell_type != "code" or "computational_graphs as cg" in cell.source:
            continue
        source = cell.source
        if replace and replace[0] in source:
            source = source.replace(*replace)
        if "importlib.util" in source:  # the set-up cell: pw06 is installed here
            source = "from pw06 import check"
        with contextlib.redirect_stdout(out):
            exec(source, namespace)


def test_exercise_1_solution_passes_and_injected_mistakes_get_their_hints():
    assert [line.split(":")[0] for line in run_ex1()] == ["✓ node_values", "✓ node_gradients"]
    wrong_b = run_ex1(('values["s"] + b', 'values["s"] - b'))[0]
    assert wrong_b.startswith("✗ node_values: z = s + b should be") and "eq. 1" in wrong_b
    no_chain = run_ex1(('grads["e"] = 1.0 * grads["d"]', 'grads["e"] = 1.0'))[1]
    assert no_chain.startswith("✗ node_gradients: ∂ŷ/∂e should be") and "chain rule" in no_chain
    no_swap = run_ex1(('grads["w1"] = x1 * grads["p1"]', 'grads["w1"] = w1 * grads["p1"]'))[1]
    assert "the multiply gate swaps" in no_swap


# --- Publishing ------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_site_publishes_the_workbooks_and_each_chapter_links_its_own(book_build, page_html):
    html = book_build / "html"
    repo = config()["repository"]["url"].rstrip("/").split("github.com/")[-1]
    for name in WORKBOOKS:
        blank = nbformat.read(html / "workbooks" / f"{name}.ipynb", as_version=4)
        solution = nbformat.read(html / "workbooks" / "solutions" / f"{name}.ipynb", as_version=4)
        assert "raise NotImplementedError()" in "".join(c.source for c in blank.cells)
        assert wb.BEGIN_SOLUTION in "".join(c.source for c in solution.cells)
    assert not (html / "workbooks" / "keras_mlp.ipynb").exists(), "one notebook for Ex. 3 and 4"
    for chapter, (name, _) in CHAPTERS.items():
        page = page_html(chapter)
        assert f"Workbook: {name}.ipynb" in visible_text(page), "the box names the notebook"
        assert f'href="workbooks/{name}.ipynb"' in page
        assert f'href="workbooks/solutions/{name}.ipynb"' in page
        colab = f"https://colab.research.google.com/github/{repo}/blob/notebooks/book/workbooks/"
        assert f'href="{colab}{name}.ipynb"' in page
    code = re.findall(r"<pre>(.*?)</pre>", page_html("lowlevel_mlp"), re.S)
    shown = visible_text("\n".join(code))
    assert "assign_sub" in shown, "the chapter shows the solution code"
    assert wb.BEGIN_SOLUTION not in shown, "the chapters show the code without the markers"


@pytest.mark.slow
def test_the_notebooks_branch_gets_the_workbooks_the_colab_links_open(book_build, tmp_path):
    """scripts/export_notebooks.py (CI publishes its output on the notebooks branch, under
    book/) copies the site's workbooks, with the repository's install address."""
    spec_ = importlib.util.spec_from_file_location(
        "export", ROOT / "scripts" / "export_notebooks.py"
    )
    export = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(export)
    export.export(tmp_path, build=book_build)
    url = config()["repository"]["url"].rstrip("/")
    for name in WORKBOOKS:
        for part in (f"{name}.ipynb", f"solutions/{name}.ipynb"):
            copy = (tmp_path / "workbooks" / part).read_bytes()
            assert copy == (book_build / "html" / "workbooks" / part).read_bytes()
        blank = nbformat.read(tmp_path / "workbooks" / f"{name}.ipynb", as_version=4)
        setup = next(c for c in blank.cells if c.cell_type == "code")
        assert f"pw06 @ git+{url}.git@" in setup.source


# --- The student edition ----------------------------------------------------------------------

SECRET = "spoiler_4217"
MINI_PAGE = f"""---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---

# Page

```{{code-cell}} ipython3
print("visible output")
```

```{{code-cell}} ipython3
:tags: [hide-output]
print("spoiler_" + str(4217), "folded")  # the input is no spoiler, its output is
```

:::{{dropdown}} Solution: the answer
The answer is {SECRET} in prose.

```{{figure}} pic.png
:name: fig-secret

The {SECRET} figure.
```
:::

:::{{dropdown}} More details
Not a solution: stays.
:::

See {{numref}}`fig-secret` and {{ref}}`that figure <fig-secret>`.

```{{literalinclude}} ../pkg/mod.py
:pyobject: f
```
"""


MINI_WHEEL = "https://example.org/site/pw06-1.0.0+student-py3-none-any.whl"


def setup_cell(notebook: Path) -> str:
    """The set-up cell of a built workbook: its first code cell."""
    cells = nbformat.read(notebook, as_version=4).cells
    return next(c.source for c in cells if c.cell_type == "code")


def minibook(root: Path, student: bool) -> Path:
    """A one-page book with a solution dropdown, a folded output, a referenced figure and the
    code of a function with a solution region; built with or without the student edition."""
    book = make_minibook(root, {"index": "1"})
    settings = yaml.safe_load((book / "_config.yml").read_text())
    settings["sphinx"]["local_extensions"]["workbooks"] = str(ROOT / "book" / "_ext")
    settings["sphinx"]["config"].update(
        handbook_student_edition=student, handbook_workbooks_path="../wb", handbook_code_path=".."
    )
    if student:
        settings["sphinx"]["config"]["handbook_student_wheel"] = MINI_WHEEL
    (book / "_config.yml").write_text(yaml.safe_dump(settings))
    (book / "book" / "index.md").write_text(MINI_PAGE)
    (book / "pkg" / "mod.py").write_text(REGION.replace("z = x * y", f"z = x * y  # {SECRET}"))
    import matplotlib.image

    matplotlib.image.imsave(book / "book" / "pic.png", [[0.0, 1.0], [1.0, 0.0]])
    (book / "wb").mkdir()
    (book / "wb" / "index.md").write_text(
        "# W\n\n```{code-cell} ipython3\n# workbook: include pkg.mod.f\n```\n\n"
        "```{code-cell} ipython3\ncheck.f(f)\n```\n"
    )
    result = jupyter_book("build", "book/", "-W", "-n", "--keep-going", cwd=book)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    return book / "_build" / "html"


def site_text(site: Path) -> str:
    """Every text file of a built site, concatenated, as plain text (tags removed, entities
    decoded): highlighted code is split into spans, and quotes are escaped."""
    raw = "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(site.rglob("*"))
        if path.is_file() and path.suffix in (".html", ".txt", ".md", ".ipynb", ".js", ".json")
    )
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.slow
def test_the_student_edition_mechanics_on_a_minibook(tmp_path):
    normal = minibook(tmp_path / "normal", student=False)
    page = (normal / "index.html").read_text()
    assert site_text(normal).count(SECRET) >= 4, "the normal edition shows every solution"
    assert "Figure 1" in visible_text(page) and wb.BEGIN_SOLUTION not in page
    assert (normal / "workbooks" / "solutions" / "index.ipynb").is_file()

    student = minibook(tmp_path / "student", student=True)
    page = (student / "index.html").read_text()
    text = visible_text(page)
    assert SECRET not in site_text(student), "no solution text anywhere in the student site"
    assert "Solution: the answer: not in the student edition." in text
    assert "Not a solution: stays." in text and "visible output" in text
    assert "a figure of the solution" in text and "that figure" in text
    assert "# YOUR CODE HERE" in text and "raise NotImplementedError()" in text
    assert not (student / "workbooks" / "solutions").exists()
    assert (student / "workbooks" / "index.ipynb").is_file()
    assert not (student / "_sources").exists(), "no page sources (they hold the solutions)"
    assert repr(MINI_WHEEL) in setup_cell(student / "workbooks" / "index.ipynb")  # pip's argument
    assert "git+" in setup_cell(normal / "workbooks" / "index.ipynb"), "the full package"


def solution_prose(page: str) -> list[str]:
    """Plain sentences (no roles, code or math) inside the Solution/Answer dropdowns of a
    chapter's MyST source: text that must not reach the student edition."""
    blocks = re.findall(r"^:::\{dropdown\} (?:Solution|Answer).*?\n(.*?)^:::$", page, re.S | re.M)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [ln for ln in lines if len(ln) > 30 and re.fullmatch(r"[\w ,.;:()/-]+", ln)]


@pytest.fixture(scope="session")
def student_site(book_build, tmp_path_factory) -> Path:
    """The student edition of the real book, built from the session build's execution cache
    (nothing is executed again: the same cells, the same cache keys)."""
    spec = importlib.util.spec_from_file_location(
        "student_edition", ROOT / "scripts" / "student_edition.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("student")
    result = module.build(out, cache=book_build / ".jupyter_cache")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Executing" not in result.stdout, "the student edition re-executed a chapter"
    return out / "_build" / "html"


@pytest.mark.slow
def test_the_student_edition_of_the_book_holds_no_solution(book_build, student_site):
    normal_text, student_text = site_text(book_build / "html"), site_text(student_site)
    prose = [
        line
        for path in sorted((ROOT / "book").glob("*.md"))
        for line in solution_prose(path.read_text(encoding="utf-8"))
    ]
    in_normal = [line for line in prose if line in normal_text]
    assert len(in_normal) >= 3, "the check needs solution text that the normal site shows"
    assert not [line for line in in_normal if line in student_text]
    modules = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "code" / "pw06").glob("*.py"))]
    given = "\n".join(
        [wb.clear_solutions(text)[0] for text in modules]
        + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "book").glob("*.md"))]
    )
    regions = [  # lines only a solution has: not in given code, nor in a chapter's own cells
        line.strip()
        for text in modules
        for line in solution_lines(text)
        if len(line.strip()) > 20 and line.strip() not in given
    ]
    shown = [line for line in regions if line in normal_text]
    assert shown, "the normal site shows solution code"
    assert not [line for line in shown if line in student_text]
    assert not (student_site / "workbooks" / "solutions").exists()
    assert not (student_site / "_sources").exists()
    for name in WORKBOOKS:
        assert (student_site / "workbooks" / f"{name}.ipynb").is_file()
    # the student package: published, installed by the set-up cells, without solution code
    (wheel,) = student_site.glob("pw06-*+student-py3-none-any.whl")
    for name in WORKBOOKS:
        cell = setup_cell(student_site / "workbooks" / f"{name}.ipynb")
        assert f"/{wheel.name}'" in cell and "git+" not in cell, cell  # pip's argument, repr
    assert f'href="{wheel.name}"' in (student_site / "lowlevel_mlp.html").read_text()
    flat = [" ".join(line.split()) for line in regions]
    with zipfile.ZipFile(wheel) as archive:
        packed = " ".join(
            " ".join(archive.read(n).decode("utf-8", errors="replace").split())
            for n in archive.namelist()
        )
    assert "def train_step(" in packed, "the package is there, its solutions are not"
    assert not [line for line in flat if line and line in packed]


def solution_lines(source: str) -> list[str]:
    """The lines inside the solution regions of a module."""
    blank, _ = wb.clear_solutions(source)
    return sorted(set(wb.strip_markers(source).split("\n")) - set(blank.split("\n")))
