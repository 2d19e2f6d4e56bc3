"""The student's lab report: ``report.md`` pre-filled with the numbers of their own runs.

The lab sheet asks for a zip "with report and iPython notebook". The last cell of the lab
notebook (``mlp.ipynb``, Exercises 3 and 4) calls :func:`write_report`, which writes
``report.md`` beside the notebook, and its figure ``report_files/convergence.png``, from a
template with one section per exercise:

- Exercise 1: the values and gradients of the graph, read from ``ex1_results.json``, which the
  last cell of the Exercise 1 workbook writes (:func:`save_ex1`); a placeholder for the photo or
  scan of the hand drawing;
- Exercise 3: the test error, the convergence curve, the schedule's result if it was done;
- Exercise 4: the comparison table (CPU time, test error) and a placeholder for the comment;
- Exercise 5: a placeholder per review question.

Every number comes from the arguments (the student's own run); nothing is typed in. Every
placeholder starts with :data:`TODO` and says what is expected there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pw06 import uncertainty

EX1_FILE = "ex1_results.json"
REPORT_FILE = "report.md"
FIGURES = "report_files"
CONVERGENCE_PNG = "convergence.png"
#: The convergence figure, relative to the report.
CONVERGENCE = f"{FIGURES}/{CONVERGENCE_PNG}"
DRAWING = "ex1_drawing.jpg"
#: How every placeholder of the report starts: search for it to find what is left to write.
TODO = "✎ TODO"
#: The nodes of Exercise 1's graph, inputs first, as the Exercise 1 workbook names them.
EX1_NODES = ("x1", "x2", "w1", "w2", "b", "p1", "p2", "s", "z", "u", "e", "d", "ŷ")
#: The review questions of Exercise 5 (the lab sheet's wording, shortened).
REVIEW_QUESTIONS = (
    'Why is the "+" gate a *gradient distributor*? How can we qualify the multiplication gate '
    "and the max gate?",
    "Give 4 advantages of using computational graphs for learning strategies.",
    "Expected advantages and disadvantages of a static graph strategy (TensorFlow) versus a "
    "dynamic graph strategy (PyTorch)?",
    "What is the use of the `@tf.function` decorator in TensorFlow 2?",
    "What does `tf.gradients(ys, xs)` do? Describe its output precisely.",
    "The difference between the Keras Sequential and Functional APIs.",
)


def _number(value, name: str) -> float:
    """``value`` as a finite float, else ``ValueError`` naming it."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return number


def _placeholder(text: str) -> str:
    return f"> {TODO} — {text}"


# --- Exercise 1: the values the workbook saves -------------------------------------------------


def save_ex1(values, grads, folder=".") -> Path:
    """Write the graph's node values and gradients (dicts, node name → number) to
    ``folder/ex1_results.json``, where :func:`write_report` finds them. Returns the path."""
    if not isinstance(values, dict) or not isinstance(grads, dict):
        raise TypeError("values and grads must be dicts: node name → number")
    missing = [node for node in EX1_NODES if node not in values or node not in grads]
    if missing:
        raise ValueError(f"values and grads need every node; missing: {', '.join(missing)}")
    results = {
        "values": {node: _number(values[node], f"values[{node!r}]") for node in EX1_NODES},
        "gradients": {node: _number(grads[node], f"grads[{node!r}]") for node in EX1_NODES},
    }
    path = Path(folder) / EX1_FILE
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_ex1(folder=".") -> dict | None:
    """What :func:`save_ex1` wrote in ``folder``, or None if it is not there."""
    path = Path(folder) / EX1_FILE
    if not path.is_file():
        return None
    results = json.loads(path.read_text(encoding="utf-8"))
    for part in ("values", "gradients"):
        if set(results.get(part, {})) != set(EX1_NODES):
            raise ValueError(f"{path}: {part!r} must hold the nodes {', '.join(EX1_NODES)}")
    return results


# --- Exercises 3 and 4: the student's measurements ----------------------------------------------


@dataclass(frozen=True)
class Ex3Run:
    """Exercise 3's training run, as the report states it and draws its convergence curve."""

    test_error: float  # percent, on the test set
    step_loss: list[float]  # the loss of every step: ``History.step_loss``
    steps_per_epoch: int
    epochs: int
    learning_rate: float


@dataclass(frozen=True)
class Measurement:
    """One trained implementation in the comparison of Exercise 4: one run, one seed.

    ``predictions``: the predicted class of every test example, for the paired comparison
    (the two models are scored on the same test digits); not shown in the table.
    """

    implementation: str
    batch_size: int
    steps_per_epoch: int
    cpu_seconds: float  # the whole run's CPU time (time.process_time), tracing included
    test_error: float  # percent
    predictions: tuple[int, ...] | None = field(default=None, repr=False)

    def __post_init__(self):
        for name in ("batch_size", "steps_per_epoch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        cpu = _number(self.cpu_seconds, "cpu_seconds")
        error = _number(self.test_error, "test_error")
        if cpu < 0 or not 0 <= error <= 100:
            raise ValueError(f"need cpu_seconds ≥ 0 and 0 ≤ test_error ≤ 100, got {cpu}, {error}")
        if self.predictions is not None:
            predicted = tuple(int(c) for c in np.asarray(self.predictions).ravel())
            object.__setattr__(self, "predictions", predicted)


def comparison_table(rows) -> str:
    """The Markdown table of the comparison: one line per :class:`Measurement`."""
    lines = [
        "| implementation | batch | updates per epoch | CPU s per run | test error % |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row.implementation} | {row.batch_size} | {row.steps_per_epoch} "
            f"| {row.cpu_seconds:.2f} | {row.test_error:.1f} |"
        )
    return "\n".join(lines)


def comparison_summary(yours: Measurement, keras: Measurement, labels) -> str:
    """What the two measurements say, computed from them: the CPU ratio, the updates per
    epoch and, when both carry their predictions on the test ``labels``, the difference of
    test error judged by the handbook's rule (:func:`pw06.uncertainty.paired_difference`:
    McNemar's exact test on the test digits the two runs disagree on)."""
    ratio = keras.cpu_seconds / yours.cpu_seconds if yours.cpu_seconds > 0 else math.inf
    text = (
        f"{keras.implementation} used {ratio:.2f}× the CPU time of {yours.implementation} "
        f"({keras.cpu_seconds:.2f} s against {yours.cpu_seconds:.2f} s per run), with "
        f"{keras.steps_per_epoch} updates per epoch (batch {keras.batch_size}) against "
        f"{yours.steps_per_epoch} (batch {yours.batch_size}). Test error: "
        f"{keras.test_error:.1f} % against {yours.test_error:.1f} %"
    )
    if yours.predictions is None or keras.predictions is None:
        return text + "; one run each: compare several seeds before concluding."
    y = np.asarray(labels).ravel()
    a, b = (np.asarray(m.predictions).ravel() for m in (yours, keras))
    if not len(a) == len(b) == len(y) or len(y) == 0:
        raise ValueError(f"need predictions for every label: got {len(a)}, {len(b)}, {len(y)}")
    pair = uncertainty.paired_difference([a == y], [b == y])
    return text + (
        f", a difference (Keras minus yours) of {pair.mean:+.1f} points. The two disagree on "
        f"{pair.discordant} of the {len(y)} test digits (only yours wrong on "
        f"{pair.b_better}, only Keras wrong on {pair.b_worse}): {pair.verdict} at the "
        f"{100 * uncertainty.CONFIDENCE:.0f} % level (exact McNemar p = {pair.p_value:.2g}). "
        "This compares two runs on the same test digits; another seed gives other runs: "
        "repeat before concluding."
    )


def save_convergence(step_loss, steps_per_epoch: int, path) -> Path:
    """The convergence curve of Exercise 3 as a PNG: the loss of every mini-batch and its
    mean over each epoch, against the step."""
    from matplotlib.figure import Figure  # no pyplot: nothing is shown, no backend needed

    from pw06.plots import set_loss_per_step

    losses = [_number(v, "step_loss") for v in step_loss]
    if not losses or steps_per_epoch < 1:
        raise ValueError("the convergence curve needs the loss of at least one step")
    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    ax.plot(range(1, len(losses) + 1), losses, lw=0.8, label="mini-batch loss")
    epochs = [losses[i : i + steps_per_epoch] for i in range(0, len(losses), steps_per_epoch)]
    middles = [i * steps_per_epoch + (len(e) + 1) / 2 for i, e in enumerate(epochs)]
    ax.plot(middles, [sum(e) / len(e) for e in epochs], "ko-", label="mean over each epoch")
    set_loss_per_step(ax, "training loss", "Exercise 3: convergence of my training run")
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


# --- The report ---------------------------------------------------------------------------------


def _ex1_section(ex1: dict | None) -> list[str]:
    lines = ["## Exercise 1: the computational graph (pen and paper)", ""]
    lines += [
        _placeholder(
            f"photograph or scan your hand drawing of the graph (one node per operation, "
            f"the forward values and the back-propagated gradients on it), save it beside "
            f"this report as `{DRAWING}`: it then shows below."
        ),
        "",
        f"![My drawing of the graph]({DRAWING})",
        "",
    ]
    if ex1 is None:
        lines += [
            _placeholder(
                f"no `{EX1_FILE}` beside this notebook. Run the last cell of the Exercise 1 "
                "workbook (`computational_graphs.ipynb`) in this folder, then run the last "
                "cell of this notebook again: the values and gradients then appear here."
            ),
            "",
        ]
        return lines
    lines += [
        "The values of my forward pass and the gradients ∂ŷ/∂node of my backward pass "
        "(from 1.0 at the output), as checked in the Exercise 1 workbook:",
        "",
        "| node | value | gradient ∂ŷ/∂node |",
        "| --- | ---: | ---: |",
    ]
    for node in EX1_NODES:
        lines.append(f"| {node} | {ex1['values'][node]:.4f} | {ex1['gradients'][node]:.4f} |")
    return [*lines, ""]


def _ex3_section(run: Ex3Run, schedule) -> list[str]:
    from pw06.reports import LAB_BAND  # imported here: it loads TensorFlow

    test_error = _number(run.test_error, "test_error")
    low, high = LAB_BAND
    lines = [
        "## Exercise 3: the MLP in low-level TensorFlow 2",
        "",
        f"Trained for {run.epochs} epochs with the learning rate {run.learning_rate:g}, my "
        f"network has a **test error of {test_error:.1f} %** (the lab expects about "
        f"{low:.0f}–{high:.0f} %).",
        "",
        f"![The training loss of my run, step by step]({CONVERGENCE})",
        "",
        _placeholder(
            "one or two sentences: does the training converge (the loss decreasing and "
            "levelling off in the figure), and is the test error in the expected band?"
        ),
        "",
        "### Optional: a learning-rate schedule",
        "",
    ]
    if schedule is None:
        lines.append("Not done (the optional part of the notebook was skipped).")
    else:
        rates = ", ".join(f"{rate:g}" for rate in schedule["learning_rates"])
        lines += [
            f"With the learning rate per epoch {rates}, the test error is "
            f"**{schedule['test_error']:.1f} %** (constant rate: {test_error:.1f} %).",
            "",
            _placeholder("does the schedule help? Say how sure one run lets you be."),
        ]
    return [*lines, ""]


def _ex4_section(comparison, summary: str, softmax) -> list[str]:
    lines = [
        "## Exercise 4: the same MLP in Keras",
        "",
        "My low-level implementation of Exercise 3 and my Keras model, trained once each on "
        "the same data from the same initial weights; CPU time of the whole run "
        "(`time.process_time`, all threads, tracing included):",
        "",
        comparison_table(comparison),
        "",
        summary,
        "",
        _placeholder(
            "your comment: compare CPU time and accuracy and explain the differences (the "
            "updates per epoch, what `tf.function` compiles in each, Python's overhead per "
            "mini-batch, the noise of a single run)."
        ),
        "",
        "### Optional: softmax output and cross-entropy",
        "",
    ]
    if softmax is None:
        lines.append("Not done (the optional part of the notebook was skipped).")
    else:
        lines += [
            comparison_table(softmax),
            "",
            _placeholder("compare the softmax + cross-entropy runs with the sigmoid + MSE ones."),
        ]
    return [*lines, ""]


def _ex5_section() -> list[str]:
    lines = ["## Exercise 5 (optional): review questions", ""]
    for number, question in enumerate(REVIEW_QUESTIONS, start=1):
        lines += [
            f"{number}. {question}",
            "",
            "   " + _placeholder("your answer, a few sentences (or delete if you skip it)."),
            "",
        ]
    return lines


def render_report(
    *,
    student: str | None,
    ex1: dict | None,
    run: Ex3Run,
    comparison,
    labels,
    schedule: dict | None = None,
    softmax=None,
) -> str:
    """The report's Markdown text (see :func:`write_report` for the arguments)."""
    comparison = list(comparison)
    if len(comparison) != 2:
        raise ValueError("comparison must hold two Measurements: yours (Ex. 3), then Keras")
    lines = [
        "# PW06 — Deep learning frameworks: lab report",
        "",
        f"Student: {student}"
        if student
        else _placeholder("your name (the one you give `python -m pw06.handin --student`)."),
        "",
        "Every number below comes from my own runs of the lab notebooks. "
        f"Replace each {TODO} placeholder with your text.",
        "",
    ]
    lines += _ex1_section(ex1)
    lines += _ex3_section(run, schedule)
    summary = comparison_summary(comparison[0], comparison[1], labels)
    lines += _ex4_section(comparison, summary, None if softmax is None else list(softmax))
    lines += _ex5_section()
    return "\n".join(lines).rstrip("\n") + "\n"


def write_report(
    folder=".",
    *,
    run: Ex3Run,
    comparison,
    labels,
    schedule: dict | None = None,
    softmax=None,
    student: str | None = None,
) -> Path:
    """Write ``folder/report.md`` and ``folder/report_files/convergence.png``.

    ``run``: Exercise 3's run (:class:`Ex3Run`). ``comparison``: two :class:`Measurement`
    (yours, then Keras); ``labels``: the test labels. ``schedule``: ``{"learning_rates":
    [...], "test_error": ...}`` of the optional schedule, or None; ``softmax``: the optional
    part's Measurements, or None. Exercise 1's values are read from
    ``folder/ex1_results.json`` if it is there. Returns the report's path.
    """
    folder = Path(folder)
    save_convergence(run.step_loss, run.steps_per_epoch, folder / CONVERGENCE)
    text = render_report(
        student=student,
        ex1=load_ex1(folder),
        run=run,
        comparison=comparison,
        labels=labels,
        schedule=schedule,
        softmax=softmax,
    )
    path = folder / REPORT_FILE
    path.write_text(text, encoding="utf-8")
    return path


def placeholders(text: str) -> list[str]:
    """The lines of a report that still hold a placeholder."""
    return [line.strip() for line in text.splitlines() if f"> {TODO} — " in line]
