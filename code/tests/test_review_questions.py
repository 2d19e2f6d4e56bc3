"""Unit tests of the demonstrations behind the review answers (Exercise 5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pw06 import keras_mlp as km
from pw06 import lowlevel_mlp as ll
from pw06 import review_questions as rq
from pw06.review_questions import tf


# --- Q1 -----------------------------------------------------------------------------------------
def test_gates_distribute_swap_and_route():
    r = rq.gate_demo(x=3.0, y=-4.0, z=2.0, w=-1.0)
    assert r["engine"] == {"f": -20.0, "x": -8.0, "y": 6.0, "z": 2.0, "w": 0.0}
    assert r["tape"] == pytest.approx(r["engine"], abs=1e-12)
    assert r["max_abs_diff"] <= 1e-12
    up = r["upstream"]
    assert up == 2.0  # the ×2 gate scales 1.0 into the add gate
    assert r["engine"]["x"] == up * -4.0 and r["engine"]["y"] == up * 3.0  # multiply swaps
    assert (r["engine"]["z"], r["engine"]["w"]) == (up, 0.0)  # max routes to the winner
    assert r["output"].label == "f"
    rows = {row["quantity"]: (row["engine"], row["tf.GradientTape"]) for row in r["table"]}
    assert list(rows) == ["f", "∂f/∂x", "∂f/∂y", "∂f/∂z", "∂f/∂w"]
    assert [engine for engine, _ in rows.values()] == [-20.0, -8.0, 6.0, 2.0, 0.0]
    assert all(engine == pytest.approx(tape) for engine, tape in rows.values())


def test_max_routes_to_the_other_input_when_it_wins():
    r = rq.gate_demo(x=1.0, y=1.0, z=-5.0, w=4.0)
    assert (r["engine"]["z"], r["engine"]["w"]) == (0.0, 2.0)
    assert r["tape"] == pytest.approx(r["engine"])


def test_fan_out_sums_the_paths():
    r = rq.fan_out_demo(x=3.0, y=-4.0)
    assert r["engine"] == r["tape"] == r["via_product"] + r["via_sum"] == -3.0


# --- Q2 -----------------------------------------------------------------------------------------
def test_mlp_gradients_are_automatic_and_right():
    r = rq.mlp_gradient_demo(n_inputs=5, n_hidden=4, n_outputs=2, batch=3, seed=1)
    assert r.n_tensors == 4
    assert r.n_parameters == 5 * 4 + 4 + 4 * 2 + 2
    assert r.shapes_match is True
    assert r.max_abs_diff_fd <= 1e-7
    assert set(r.glue()) == {"rq_mlp_n_tensors", "rq_mlp_n_parameters", "rq_mlp_max_abs_diff_fd"}


def test_the_mlp_demos_reuse_the_lessons_model():
    for name in ("mlp_params", "mlp_forward", "mlp_loss"):
        assert not hasattr(rq, name), name  # no second MLP
    params = rq.float64_params(6, 5, 3, seed=0)
    lesson = ll.init_params(6, 5, 3, seed=0)
    assert all(p.dtype == tf.float64 for p in params)
    for a, b in zip(params, lesson, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy())
    x, t = rq.random_batch(4, 6, 3, seed=0)
    assert t.sum(axis=1).tolist() == [1.0] * 4 and 0 <= x.min() and x.max() < 1
    traced = rq.traced_mlp_forward(6, 5, 3, seed=0)
    np.testing.assert_allclose(traced(tf.constant(x)), ll.forward(lesson, x), rtol=1e-6)
    arrays = [p.numpy() for p in params]
    assert rq._numpy_loss(arrays, x, t) == pytest.approx(float(ll.model_loss(lesson, x, t)))


def test_graph_is_an_inspectable_data_structure():
    r = rq.graph_structure_demo(n_inputs=6, n_hidden=5, n_outputs=3)
    types = r.op_types
    assert types["MatMul"] == 2 and types["Relu"] == 1 and types["Sigmoid"] == 1
    assert r.n_operations == r.graph_def_nodes == sum(types.values()) == len(r.operations)
    assert r.graph_def_bytes > 0
    assert r.glue()["rq_mlp_shape"] == "6-5-3"


def test_export_and_reload_without_python_code(tmp_path):
    r = rq.export_demo(tmp_path / "saved", n_inputs=6, n_hidden=5, n_outputs=3)
    assert "saved_model.pb" in r.files and "variables" in r.files
    assert r.max_abs_diff == 0.0
    assert (tmp_path / "saved" / "saved_model.pb").exists()
    assert rq.export_demo(n_inputs=4, n_hidden=3, n_outputs=2).max_abs_diff == 0.0
    assert r.glue()["rq_export_files"] == ", ".join(r.files)


def test_constant_subgraph_is_folded():
    r = rq.constant_folding_demo(size=64, n_matmuls=10, repeats=3)
    assert all(v > 0 for v in r.values())
    assert r["constant_graph_ms"] < r["constant_eager_ms"]


def test_placement_is_recorded_and_branches_are_independent():
    r = rq.placement_demo()
    assert r["device_a"].endswith("CPU:0")
    assert r["independent"] is True
    assert r["devices"]["branch_b"] == ""  # left to the runtime


# --- Q3 -----------------------------------------------------------------------------------------
def test_step_time_demo_reports_consistent_times():
    r = rq.step_time_demo(n_inputs=20, n_hidden=8, n_outputs=3, batch=4, steps=5)
    assert r.traces == 1 and r.batch == 4
    assert r.eager_ms > 0 and r.graph_ms > 0 and r.first_call_ms > r.graph_ms
    glued = r.glue()
    assert glued["rq_step_speedup"] == pytest.approx(r.eager_ms / r.graph_ms)
    assert glued["rq_step_trace_ms"] == pytest.approx(r.first_call_ms - r.graph_ms)
    assert glued["rq_step_break_even_steps"] > 0


def test_break_even_is_infinite_when_the_graph_is_not_faster():
    r = rq.StepTiming(batch=1, eager_ms=1.0, graph_ms=2.0, first_call_ms=10.0, traces=1)
    assert r.break_even_steps == math.inf and r.trace_ms == 8.0
    r = rq.StepTiming(batch=1, eager_ms=3.0, graph_ms=1.0, first_call_ms=11.0, traces=1)
    assert r.break_even_steps == 5.0


def test_collatz_is_plain_python():
    assert [rq.collatz_steps(n) for n in (1, 2, 6, 27)] == [0, 1, 8, 111]


def test_autograph_turns_python_control_flow_into_one_graph():
    r = rq.autograph_demo(starts=(6, 27))
    assert r["python"] == r["eager"] == r["graph"] == {6: 8, 27: 111}
    assert r["traces"] == 1
    assert r["loop_op"] in ("While", "StatelessWhile")
    assert any("while_stmt" in line for line in r["converted_statements"])
    assert any("if_stmt" in line for line in r["converted_statements"])


# --- Q4 -----------------------------------------------------------------------------------------
def test_tracing_counts(tmp_path):
    r = rq.tracing_demo(tmp_path / "calls.log")
    assert (r["calls"], r["traces"], r["tracing_count"], r["printed"]) == (6, 4, 4, 6)
    assert r["traced_with"] == ["()", "(2,)", "3", "4"]
    assert (r["signature_calls"], r["signature_traces"]) == (3, 1)
    assert r["signature_shape"] == "(None,)"
    assert r["calls_table"] == [
        {"call": "double(tf.constant(1.0))", "traced": True},
        {"call": "double(tf.constant(2.0))", "traced": False},  # same dtype and shape
        {"call": "double(tf.constant([1.0, 2.0]))", "traced": True},  # new shape
        {"call": "double(3)", "traced": True},  # a Python value: traced per value
        {"call": "double(4)", "traced": True},
        {"call": "double(4)", "traced": False},
    ]
    assert (tmp_path / "calls.log").exists()


def test_tracing_demo_without_a_log_path_cleans_up():
    r = rq.tracing_demo()
    assert (r["calls"], r["traces"], r["printed"]) == (6, 4, 6)


def test_python_values_are_frozen_at_trace_time():
    r = rq.frozen_closure_demo(first=0.25, second=2.0)
    assert r["before"] == r["after"] == 0.25
    assert r["python_value"] == 2.0 and r["traced_value"] == 0.25


# --- Q5 -----------------------------------------------------------------------------------------
def test_tf_gradients_output():
    r = rq.tf_gradients_demo()
    assert r["length"] == 3
    assert r["dx"] == [4.0, 6.0, 8.0]  # Σ over ys: w + 2x
    assert r["dw"] == 6.0 and r["shapes"] == [[3], [], None]
    assert r["is_none"] == [False, False, True]
    assert r["du_zero"] == 0.0
    assert r["weighted"] == [2.0, 0.0, 20.0]
    assert (r["total"], r["partial"]) == (3.0, 1.0)
    assert r["eager_error"] == "RuntimeError" and "GradientTape" in r["eager_message"]
    table = {row["call"]: (row["result"], row["shape"]) for row in r["calls_table"]}
    assert table["len(tf.gradients(ys, [x, w, u]))"] == ("3", "")
    assert table["tf.gradients(ys, [x, w, u])[0]"] == ("[4.0, 6.0, 8.0]", "[3]")
    assert table["tf.gradients(ys, [x, w, u])[1]"] == ("6.0", "[]")
    assert table["tf.gradients(ys, [x, w, u])[2]"] == ("None", "")
    assert table["tf.gradients(a + b, [a], stop_gradients=[b])[0]"] == ("1.0", "[]")
    assert table["tf.gradients(…) called eagerly"] == ("RuntimeError", "")
    assert len(table) == len(r["calls_table"]) == 9


# --- Q6 -----------------------------------------------------------------------------------------
def test_both_apis_build_the_same_mlp():
    r = rq.keras_api_demo(n_inputs=12, n_hidden=7, n_outputs=3, seed=0)
    expected = 12 * 7 + 7 + 7 * 3 + 3
    assert r["sequential_params"] == r["functional_params"] == expected
    assert r["max_abs_diff_outputs"] == 0.0
    assert r["two_input_inputs"] == 2
    assert r["shared_params"] == 12 * 7 + 7
    assert r["two_input_params"] == expected  # the shared layer's weights count once
    assert r["two_input_output_shape"] == [4, 3]
    rows = r["models"]
    assert [row["API"] for row in rows] == ["Sequential", "Functional", "Functional"]
    assert [row["inputs"] for row in rows] == [1, 1, 2]
    assert [row["parameters"] for row in rows] == [expected] * 3
    assert rows[2]["layers"].count("InputLayer") == 2 and "Add" in rows[2]["layers"]


def test_the_mlp_comes_from_the_keras_chapter():
    r = rq.keras_api_demo(n_inputs=6, n_hidden=5, n_outputs=2, seed=3)
    names = [row["model"] for row in r["models"]]
    assert names[:2] == [
        km.build_sequential(6, 5, 2, seed=3).name,
        km.build_functional(6, 5, 2, seed=3).name,
    ]
    assert not hasattr(rq, "build_sequential") and not hasattr(rq, "build_functional")


def test_two_input_model():
    two = rq.build_two_input_model(4, 3, 2)
    assert len(two.inputs) == 2 and math.prod(two.outputs[0].shape[1:]) == 2
    assert two.count_params() == km.build_sequential(4, 3, 2).count_params()
