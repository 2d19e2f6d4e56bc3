"""The student's report: Exercise 1's saved values, the comparison, report.md and its figure."""

from __future__ import annotations

import json
import math
import re

import pytest
from pw06 import lab_report as lr
from pw06 import reports
from pw06.computational_graphs import logistic_regression_graph, node_gradients, node_values
from scipy import stats

INPUTS = dict(x1=-1.0, x2=-2.0, w1=2.0, w2=-3.0, b=-3.0)


def ex1_answers():
    graph = logistic_regression_graph(**INPUTS)
    graph.output.backward(1.0)
    return node_values(graph), node_gradients(graph)


LABELS = [0, 1, 2, 3] * 250  # 1,000 test digits


def measurements(yours_wrong=97, keras_wrong=81, both_wrong=60):
    """Yours and Keras's runs, wrong on the first digits: ``both_wrong`` shared."""

    def predict(wrong, offset):
        out = list(LABELS)
        for i in [*range(both_wrong), *range(offset, offset + wrong - both_wrong)]:
            out[i] = (LABELS[i] + 1) % 4
        return out

    yours = lr.Measurement(
        "my low-level loop (Ex. 3)",
        100,
        40,
        3.25,
        yours_wrong / 10,
        predictions=predict(yours_wrong, 100),
    )
    keras = lr.Measurement(
        "Keras fit (Ex. 4)", 32, 125, 1.5, keras_wrong / 10, predictions=predict(keras_wrong, 500)
    )
    return [yours, keras]


def report_kwargs(**changes):
    run = lr.Ex3Run(
        test_error=9.7,
        step_loss=[0.1 / (1 + i) for i in range(12)],
        steps_per_epoch=4,
        epochs=3,
        learning_rate=3.0,
    )
    kwargs = dict(
        run=run,
        comparison=measurements(),
        labels=LABELS,
    )
    kwargs.update(changes)
    return kwargs


def test_save_ex1_writes_every_node_and_load_reads_it_back(tmp_path):
    values, grads = ex1_answers()
    assert set(values) == set(lr.EX1_NODES), "the report names the nodes as the engine does"
    path = lr.save_ex1(values, grads, tmp_path)
    assert path == tmp_path / lr.EX1_FILE
    saved = lr.load_ex1(tmp_path)
    assert saved["values"] == pytest.approx(values) and saved["gradients"] == pytest.approx(grads)
    assert lr.load_ex1(tmp_path / "nowhere") is None


def test_save_ex1_refuses_incomplete_or_non_numeric_answers(tmp_path):
    values, grads = ex1_answers()
    with pytest.raises(ValueError, match="missing: d"):
        lr.save_ex1({k: v for k, v in values.items() if k != "d"}, grads, tmp_path)
    with pytest.raises(ValueError, match=r"values\['z'\] must be a number"):
        lr.save_ex1({**values, "z": "two"}, grads, tmp_path)
    with pytest.raises(ValueError, match="finite"):
        lr.save_ex1(values, {**grads, "e": math.nan}, tmp_path)
    with pytest.raises(TypeError):
        lr.save_ex1([1.0], grads, tmp_path)
    assert not (tmp_path / lr.EX1_FILE).exists(), "nothing half-written"


def test_a_measurement_refuses_impossible_numbers():
    with pytest.raises(ValueError, match="batch_size"):
        lr.Measurement("x", 0, 40, 1.0, 10.0)
    with pytest.raises(ValueError, match="test_error"):
        lr.Measurement("x", 100, 40, 1.0, 130.0)
    with pytest.raises(ValueError, match="cpu_seconds must be finite"):
        lr.Measurement("x", 100, 40, math.inf, 10.0)


def test_the_comparison_table_and_summary_are_computed_from_the_measurements():
    yours, keras = measurements()
    table = lr.comparison_table([yours, keras]).splitlines()
    assert table[2] == "| my low-level loop (Ex. 3) | 100 | 40 | 3.25 | 9.7 |"
    assert table[3] == "| Keras fit (Ex. 4) | 32 | 125 | 1.50 | 8.1 |"
    summary = lr.comparison_summary(yours, keras, LABELS)
    assert f"{1.5 / 3.25:.2f}× the CPU time" in summary
    assert "125 updates per epoch (batch 32) against 40 (batch 100)" in summary
    # 60 digits both wrong; 37 only yours, 21 only Keras's: 58 disagreements
    assert "disagree on 58 of the 1000 test digits" in summary
    assert "only yours wrong on 37, only Keras wrong on 21" in summary
    # the book's rule: McNemar's exact test on 21 (only Keras wrong) against 37 (only yours)
    p = stats.binomtest(21, 58, 0.5).pvalue
    assert p < 0.05
    assert f"a difference (Keras minus yours) of {-1.6:+.1f} points" in summary
    assert (
        "only yours wrong on 37, only Keras wrong on 21): significant at the 95 % level" in summary
    )
    assert f"(exact McNemar p = {p:.2g})" in summary
    close = lr.comparison_summary(*measurements(yours_wrong=90, keras_wrong=84), LABELS)
    assert "within noise at the 95 % level" in close
    unpaired = lr.Measurement("Keras fit (Ex. 4)", 32, 125, 1.5, 8.1)
    assert "compare several seeds" in lr.comparison_summary(yours, unpaired, LABELS)
    with pytest.raises(ValueError, match="every label"):
        lr.comparison_summary(yours, lr.Measurement("k", 32, 125, 1.5, 8.1, [0]), LABELS)


def test_the_report_holds_the_runs_numbers_and_a_placeholder_per_missing_text(tmp_path):
    values, grads = ex1_answers()
    lr.save_ex1(values, grads, tmp_path)
    schedule = {"learning_rates": [6.0, 6.0, 3.0], "test_error": 8.9}
    path = lr.write_report(tmp_path, **report_kwargs(schedule=schedule, student="Ada"))
    assert path == tmp_path / "report.md"
    text = path.read_text(encoding="utf-8")
    png = tmp_path / "report_files" / "convergence.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](report_files/convergence.png)" in text
    sections = re.findall(r"^## (Exercise \d)", text, re.M)
    assert sections == ["Exercise 1", "Exercise 3", "Exercise 4", "Exercise 5"]
    assert "Student: Ada" in text and "test error of 9.7 %" in text
    low, high = reports.LAB_BAND
    assert f"(the lab expects about {low:.0f}–{high:.0f} %)" in text
    assert f"| ŷ | {values['ŷ']:.4f} | {grads['ŷ']:.4f} |" in text
    assert f"| w1 | {values['w1']:.4f} | {grads['w1']:.4f} |" in text
    assert "learning rate per epoch 6, 6, 3, the test error is **8.9 %**" in text
    assert lr.comparison_table(measurements()) in text
    assert lr.comparison_summary(*measurements(), LABELS) in text
    todo = lr.placeholders(text)
    # the drawing, the convergence comment, the schedule, the Ex. 4 comment, 6 questions
    assert len(todo) == 1 + 1 + 1 + 1 + len(lr.REVIEW_QUESTIONS)
    assert all(len(line) > 40 for line in todo), "each placeholder says what is expected"
    assert any("ex1_drawing.jpg" in line for line in todo)
    assert any("your comment" in line for line in todo)


def test_without_ex1_results_the_report_says_which_cell_to_run(tmp_path):
    text = lr.write_report(tmp_path, **report_kwargs()).read_text(encoding="utf-8")
    ex1 = text.split("## Exercise 3")[0]
    assert "Run the last cell of the Exercise 1 workbook (`computational_graphs.ipynb`)" in ex1
    assert "| node |" not in ex1
    assert "your name" in text, "no name given: a placeholder asks for it"
    optional = text.count("Not done (the optional part of the notebook was skipped).")
    assert optional == 2, "the schedule and the softmax part"


def test_the_optional_softmax_table_and_bad_arguments(tmp_path):
    softmax = [
        lr.Measurement("my loop, softmax", 100, 40, 3.0, 7.5),
        lr.Measurement("Keras, softmax", 32, 125, 1.4, 7.0),
    ]
    text = lr.write_report(tmp_path, **report_kwargs(softmax=softmax)).read_text()
    assert lr.comparison_table(softmax) in text
    with pytest.raises(ValueError, match="two Measurements"):
        lr.write_report(tmp_path, **report_kwargs(comparison=measurements()[:1]))
    with pytest.raises(ValueError, match="at least one step"):
        lr.save_convergence([], 4, tmp_path / "c.png")


def test_a_tampered_ex1_file_is_refused(tmp_path):
    (tmp_path / lr.EX1_FILE).write_text(json.dumps({"values": {"z": 1.0}, "gradients": {}}))
    with pytest.raises(ValueError, match="must hold the nodes"):
        lr.load_ex1(tmp_path)
