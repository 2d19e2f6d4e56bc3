"""Unit tests of the demonstrations behind the review answers (Exercise 5)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from pw06 import keras_mlp as km
from pw06 import lowlevel_mlp as ll
from pw06 import review_questions as rq
from pw06.tf_quiet import load

tf = load()


# --- Q1 -----------------------------------------------------------------------------------------
def test_gates_distribute_swap_and_route():
    r = rq.gate_demo(x=3.0, y=-4.0, z=2.0, w=-1.0)
    assert r.engine == {"f": -20.0, "x": -8.0, "y": 6.0, "z": 2.0, "w": 0.0}
    assert r.tape == pytest.approx(r.engine, abs=1e-12)
    assert r.max_abs_diff <= 1e-12
    up = r.upstream
    assert up == 2.0  # the ×2 gate scales 1.0 into the add gate
    assert r.engine["x"] == up * -4.0 and r.engine["y"] == up * 3.0  # multiply swaps
    assert (r.engine["z"], r.engine["w"]) == (up, 0.0)  # max routes to the winner
    assert r.output.label == "f"
    rows = {row["quantity"]: (row["engine"], row["tf.GradientTape"]) for row in r.rows()}
    assert list(rows) == ["f", "∂f/∂x", "∂f/∂y", "∂f/∂z", "∂f/∂w"]
    assert [engine for engine, _ in rows.values()] == [-20.0, -8.0, 6.0, 2.0, 0.0]
    assert all(engine == pytest.approx(tape) for engine, tape in rows.values())


def test_gate_numbers_are_plain_floats_named_for_the_page():
    numbers = rq.gate_demo(x=3, y=-4, z=2, w=-1).numbers()
    assert numbers == {
        "x": 3.0, "y": -4.0, "z": 2.0, "w": -1.0, "f": -20.0,
        "dx": -8.0, "dy": 6.0, "dz": 2.0, "dw": 0.0, "upstream": 2.0, "max_abs_diff": 0.0,
    }  # fmt: skip
    assert all(type(v) is float for v in numbers.values())


def test_max_routes_to_the_other_input_when_it_wins():
    r = rq.gate_demo(x=1.0, y=1.0, z=-5.0, w=4.0)
    assert (r.engine["z"], r.engine["w"]) == (0.0, 2.0)
    assert r.tape == pytest.approx(r.engine)


def test_fan_out_sums_the_paths():
    r = rq.fan_out_demo(x=3.0, y=-4.0)
    assert r.engine == r.tape == r.via_product + r.via_sum == -3.0
    assert rq.fan_out_demo(x=0.5, y=2.0).engine == 3.0  # y + 1, whatever x


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: rq.gate_demo(x="3"), TypeError, "x must be a number"),
        (lambda: rq.gate_demo(w=None), TypeError, "w must be a number"),
        (lambda: rq.gate_demo(z=math.nan), ValueError, "z must be finite"),
        (lambda: rq.fan_out_demo(y=True), TypeError, "y must be a number"),
    ],
)
def test_gate_inputs_must_be_numbers(call, error, name):
    with pytest.raises(error, match=name):
        call()


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


def test_constant_folding_demo_reports_median_times():
    r = rq.constant_folding_demo(size=32, n_matmuls=3, repeats=2)
    times = (r.constant_eager_ms, r.constant_graph_ms, r.input_eager_ms, r.input_graph_ms)
    assert all(t > 0 for t in times)
    assert r.graph_ratio == pytest.approx(r.input_graph_ms / r.constant_graph_ms)


def test_folding_verdict_follows_the_times():
    folded = rq.FoldingTimes(40.0, 0.5, 41.0, 39.0)
    assert folded.graph_ratio == 78.0 and "computed once" in folded.verdict()
    close = rq.FoldingTimes(40.0, 30.0, 41.0, 39.0)
    assert "no folding" in close.verdict()


def test_timing_arguments_are_checked():
    with pytest.raises(ValueError, match="repeats must be a positive integer, got 0"):
        rq.constant_folding_demo(size=8, n_matmuls=1, repeats=0)
    with pytest.raises(ValueError, match="n_matmuls must be a positive integer"):
        rq.matmul_chain(8, 2.5)
    with pytest.raises(ValueError, match="size must be a positive integer"):
        rq.overhead_demo(sizes=(8, -1), n_matmuls=1, repeats=1)
    with pytest.raises(ValueError, match="sizes must hold two sizes"):
        rq.overhead_demo(sizes=(8,))


def test_matmul_chain_computes_what_it_says():
    # ones/size, squared n times, stays ones/size: every entry is x / size
    assert float(rq.matmul_chain(4, 3)(tf.constant(1.0))) == pytest.approx(0.25)


def test_placement_is_recorded_and_branches_are_independent():
    r = rq.placement_demo()
    assert r.devices["branch_a"].endswith("CPU:0")
    assert r.devices["branch_b"] == ""  # left to the runtime
    assert r.independent is True


# --- Q3 -----------------------------------------------------------------------------------------
def test_step_time_demo_reports_consistent_times():
    r = rq.step_time_demo(n_inputs=20, n_hidden=8, n_outputs=3, batch=4, steps=5, repeats=5)
    assert r.traces == 1 and r.batch == 4 and r.repeats == 5
    assert r.eager_ms > 0 and r.graph_ms > 0 and r.first_call_ms > r.graph_ms
    assert r.eager_min_ms <= r.eager_ms <= r.eager_max_ms  # median within the range
    assert r.graph_min_ms <= r.graph_ms <= r.graph_max_ms
    with pytest.raises(ValueError, match="repeats"):
        rq.step_time_demo(n_inputs=20, n_hidden=8, n_outputs=3, batch=4, steps=5, repeats=0)
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
    assert r.python == r.eager == r.graph == {6: 8, 27: 111}
    assert r.traces == 1
    assert r.loop_op in ("While", "StatelessWhile")
    assert [line.split("(")[0] for line in r.converted] == ["ag__.if_stmt", "ag__.while_stmt"]
    assert r.rows() == [
        {"n": 6, "python": 8, "eager": 8, "graph": 8},
        {"n": 27, "python": 111, "eager": 111, "graph": 111},
    ]


def test_overhead_demo_times_each_size():
    rows = rq.overhead_demo(sizes=(4, 16), n_matmuls=2, repeats=2)
    assert [row.size for row in rows] == [4, 16]
    assert all(row.eager_ms > 0 and row.graph_ms > 0 for row in rows)
    assert rows[0].speedup == pytest.approx(rows[0].eager_ms / rows[0].graph_ms)


def test_overhead_verdict_follows_the_speedups():
    shrinking = [rq.Overhead(8, 10.0, 1.0), rq.Overhead(384, 12.0, 10.0)]
    text = rq.overhead_verdict(shrinking)
    assert (
        text == "the graph's advantage shrank from ×10.0 to ×1.2 between 8×8 and 384×384 matrices"
    )
    flat = [rq.Overhead(384, 12.0, 10.0), rq.Overhead(8, 2.0, 2.0)]  # any order
    assert "did not shrink" in rq.overhead_verdict(flat)


# --- Q4 -----------------------------------------------------------------------------------------
def test_tracing_counts(tmp_path):
    r = rq.tracing_demo(tmp_path / "calls.log")
    assert (len(r.calls), r.traces, r.tracing_count, r.printed) == (6, 4, 4, 6)
    assert r.traced_with == ["()", "(2,)", "3", "4"]
    assert (r.signature_calls, r.signature_traces) == (3, 1)
    assert r.signature_shape == "(None,)"
    assert r.rows() == [
        {"call": "double(tf.constant(1.0))", "traced": True},
        {"call": "double(tf.constant(2.0))", "traced": False},  # same dtype and shape
        {"call": "double(tf.constant([1.0, 2.0]))", "traced": True},  # new shape
        {"call": "double(3)", "traced": True},  # a Python value: traced per value
        {"call": "double(4)", "traced": True},
        {"call": "double(4)", "traced": False},
    ]
    assert r.numbers() == {
        "calls": 6, "traces": 4, "printed": 6, "signature_calls": 3, "signature_traces": 1,
    }  # fmt: skip
    assert (tmp_path / "calls.log").exists()


def test_tracing_demo_without_a_log_path_cleans_up():
    r = rq.tracing_demo()
    assert (len(r.calls), r.traces, r.printed) == (6, 4, 6)


def test_python_values_are_frozen_at_trace_time():
    r = rq.frozen_closure_demo(first=0.25, second=2.0)
    assert r.before == r.after == 0.25
    assert r.python_value == 2.0 and r.traced_value == 0.25


def test_frozen_values_carry_no_float32_noise():
    r = rq.frozen_closure_demo(first=0.1, second=0.2)
    assert (r.before, r.after) == (0.1, 0.1)  # not 0.10000000149011612
    assert repr(r.after) == "0.1"
    with pytest.raises(TypeError, match="second must be a number"):
        rq.frozen_closure_demo(second="0.5")


# --- Q5 -----------------------------------------------------------------------------------------
def test_tf_gradients_output():
    r = rq.tf_gradients_demo()
    assert r.grads == [[4.0, 6.0, 8.0], 6.0, None]  # Σ over ys: w + 2x; Σx; unconnected
    assert r.du_zero == 0.0
    assert r.weighted == [2.0, 0.0, 20.0]
    assert (r.total, r.partial) == (3.0, 1.0)
    assert r.v1_graph == [2.0, 4.0, 6.0]  # a TensorFlow 1 graph works too
    assert r.eager_error == "RuntimeError" and "GradientTape" in r.eager_message
    numbers = r.numbers()
    assert numbers["length"] == 3 and numbers["du"] == "None"
    assert (numbers["dx"], numbers["dw"]) == ("[4.0, 6.0, 8.0]", 6.0)
    assert (numbers["weighted"], numbers["v1_graph"]) == ("[2.0, 0.0, 20.0]", "[2.0, 4.0, 6.0]")
    table = {row["call"]: (row["result"], row["shape"]) for row in r.rows()}
    assert table["len(tf.gradients(ys, [x, w, u]))"] == ("3", "")
    assert table["tf.gradients(ys, [x, w, u])[0]"] == ("[4.0, 6.0, 8.0]", "[3]")
    assert table["tf.gradients(ys, [x, w, u])[1]"] == ("6.0", "[]")
    assert table["tf.gradients(ys, [x, w, u])[2]"] == ("None", "")
    assert table["tf.gradients(a + b, [a], stop_gradients=[b])[0]"] == ("1.0", "[]")
    assert table["tf.gradients(Σx², [x])[0] in a tf.Graph (tf.compat.v1)"] == (
        "[2.0, 4.0, 6.0]",
        "[3]",
    )
    assert table["tf.gradients(…) eagerly"] == ("RuntimeError", "")
    assert len(table) == len(r.rows()) == 10
    assert all(list(row) == ["call", "result", "shape"] for row in r.rows())


# --- Q6 -----------------------------------------------------------------------------------------
def test_both_apis_build_the_same_mlp():
    r = rq.keras_api_demo(n_inputs=12, n_hidden=7, n_outputs=3, seed=0)
    expected = 12 * 7 + 7 + 7 * 3 + 3
    numbers = r.numbers()
    assert numbers["sequential_params"] == numbers["functional_params"] == expected
    assert numbers["max_abs_diff"] == r.max_abs_diff == 0.0
    assert numbers["outputs"] == "identical (bit for bit)"  # a computed verdict, not "at most 0"
    assert numbers["two_input_inputs"] == 2
    assert numbers["shared_params"] == r.shared_params == 12 * 7 + 7
    assert numbers["two_input_params"] == expected  # the shared layer's weights count once
    assert r.two_input_output_shape == [4, 3]
    rows = r.models
    assert [row["API"] for row in rows] == ["Sequential", "Functional", "Functional"]
    assert [row["inputs"] for row in rows] == [1, 1, 2]
    assert [row["parameters"] for row in rows] == [expected] * 3
    assert rows[2]["layers"].count("InputLayer") == 2 and "Add" in rows[2]["layers"]


def test_the_mlp_comes_from_the_keras_chapter():
    r = rq.keras_api_demo(n_inputs=6, n_hidden=5, n_outputs=2, seed=3)
    names = [row["model"] for row in r.models]
    assert names[:2] == [
        km.build_sequential(6, 5, 2, seed=3).name,
        km.build_functional(6, 5, 2, seed=3).name,
    ]
    assert not hasattr(rq, "build_sequential") and not hasattr(rq, "build_functional")


def test_two_input_model():
    two = rq.build_two_input_model(4, 3, 2)
    assert len(two.inputs) == 2 and math.prod(two.outputs[0].shape[1:]) == 2
    assert two.count_params() == km.build_sequential(4, 3, 2).count_params()


def test_demos_return_small_dataclasses():
    """Issue 11: small dataclasses, not 6–12-key dicts."""
    for cls in (rq.GateGradients, rq.FanOut, rq.FoldingTimes, rq.Placement, rq.AutographRun,
                rq.Overhead, rq.Tracing, rq.FrozenClosure, rq.Gradients, rq.KerasApis):  # fmt: skip
        assert dataclasses.is_dataclass(cls) and len(dataclasses.fields(cls)) <= 8, cls
