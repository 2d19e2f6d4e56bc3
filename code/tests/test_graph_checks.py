"""Unit tests of the checks of the hand-built graph: shortcut, tape, finite differences, tracing."""

from __future__ import annotations

import random
import sys

import pytest
from pw06 import computational_graphs as cg
from pw06 import graph_checks as gc


def random_inputs(rng: random.Random) -> dict[str, float]:
    return {name: rng.uniform(-3.0, 3.0) for name in cg.INPUT_NAMES}


# --- gradients -------------------------------------------------------------------------------
def test_engine_matches_gradient_tape_on_random_inputs():
    rng = random.Random(0)
    for _ in range(200):
        inputs = random_inputs(rng)
        assert gc.max_abs_diff(gc.engine_gradients(**inputs), gc.tape_gradients(**inputs)) <= 1e-6


def test_engine_matches_shortcut_and_finite_differences_on_random_inputs():
    rng = random.Random(1)
    for _ in range(200):
        inputs = random_inputs(rng)
        engine = gc.engine_gradients(**inputs)
        assert gc.max_abs_diff(engine, gc.sigmoid_shortcut_gradients(**inputs)) <= 1e-12
        fd = gc.finite_difference_gradients(gc.lr_forward, inputs)
        assert gc.max_abs_diff(engine, fd) <= 1e-6
        assert set(fd) == set(engine) == {"yhat", *cg.INPUT_NAMES}


def test_finite_differences_of_a_known_function():
    grads = gc.finite_difference_gradients(lambda a, b: a * a * b, {"a": 2.0, "b": 3.0})
    assert grads == pytest.approx({"yhat": 12.0, "a": 12.0, "b": 4.0}, abs=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match=r"^w1: expected a real number, got str"):
        gc.tape_gradients(0.0, 0.0, "2", 0.0, 0.0)
    with pytest.raises(ValueError, match=r"^x2: expected a finite number"):
        gc.lr_forward(0.0, float("nan"), 0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"^h: expected a step > 0"):
        gc.finite_difference_gradients(gc.lr_forward, cg.CS231N_INPUTS, h=0.0)
    with pytest.raises(TypeError, match=r"^f: expected a function"):
        gc.finite_difference_gradients(0.5, cg.CS231N_INPUTS)
    with pytest.raises(TypeError, match=r"^inputs: expected a non-empty dict"):
        gc.finite_difference_gradients(gc.lr_forward, [1.0, 2.0])
    with pytest.raises(TypeError, match=r"^inputs\['b'\]: expected a real number"):
        gc.finite_difference_gradients(gc.lr_forward, {**cg.CS231N_INPUTS, "b": None})
    with pytest.raises(ValueError, match="no key in common"):
        gc.max_abs_diff({"a": 1.0}, {"b": 1.0})


def test_input_sets_with_wrong_names_are_refused_by_name():
    wrong = {**cg.CS231N_INPUTS}
    wrong["w3"] = wrong.pop("w2")
    with pytest.raises(ValueError, match=r"input_sets\[1\].*missing \['w2'\].*unexpected \['w3'\]"):
        gc.largest_differences([cg.CS231N_INPUTS, wrong])
    with pytest.raises(TypeError, match=r"input_sets\[0\]: expected a dict"):
        gc.finite_difference_error([(1, 2, 3, 4, 5)], h=1e-5)


def test_random_inputs_are_seeded_in_range_and_checked():
    first = gc.random_inputs(5, seed=3)
    assert first == gc.random_inputs(5, seed=3) != gc.random_inputs(5, seed=4)
    assert all(-3.0 <= v < 3.0 for row in first for v in row.values())
    assert all(set(row) == set(cg.INPUT_NAMES) for row in first)
    with pytest.raises(ValueError, match=r"^n: expected a whole number ≥ 1, got 2.5"):
        gc.random_inputs(2.5, seed=0)
    with pytest.raises(ValueError, match=r"^low, high: expected low < high"):
        gc.random_inputs(3, seed=0, low=1.0, high=-1.0)


def test_largest_differences_are_tiny():
    worst = gc.largest_differences([cg.CS231N_INPUTS, *gc.random_inputs(20, seed=0)])
    assert set(worst) == {"shortcut", "tape", "finite_differences"}
    assert all(0.0 <= v <= 1e-6 for v in worst.values())
    assert worst["shortcut"] <= 1e-14 and worst["tape"] <= 1e-14  # float64 rounding only


# --- the size of the finite-difference error -------------------------------------------------
def test_finite_difference_error_is_truncation_for_large_steps_rounding_for_small():
    sets = [cg.CS231N_INPUTS, *gc.random_inputs(50, seed=0)]
    large, default, small = (gc.finite_difference_error(sets, h) for h in (1e-3, 1e-5, 1e-7))
    assert large.truncation > 100 * large.rounding
    assert small.rounding > 100 * small.truncation
    assert 0.1 < default.truncation / default.rounding < 10  # comparable at h = 1e-5
    for err in (large, default, small):
        assert err.rounding == pytest.approx(sys.float_info.epsilon / err.h) == gc.EPSILON / err.h
        # the estimates bound the measurement, and are not far above it
        assert err.measured <= 1.5 * (err.truncation + err.rounding)
        assert err.measured >= 0.1 * max(err.truncation, err.rounding)


def test_truncation_estimate_follows_the_largest_slope():
    """|f'''| ≤ |a|³/8 for ŷ = σ(a·v + c): the largest input, cubed, sets the bound."""
    inputs = {"x1": 0.5, "x2": 2.0, "w1": 0.1, "w2": 0.2, "b": 5.0}  # b's slope is 1, not 5
    err = gc.finite_difference_error([inputs], h=1e-3)
    assert err.truncation == pytest.approx(1e-6 * 2.0**3 / 48)
    assert err.measured <= err.truncation + err.rounding


# --- TensorFlow's graph ----------------------------------------------------------------------
def test_traced_graph_has_the_same_operations():
    ops = gc.graph_operations(gc.traced_lr_graph())
    types = [op["type"] for op in ops]
    assert types.count("Placeholder") == 5
    assert {"Mul", "AddV2", "Neg", "Exp", "RealDiv", "Identity"} <= set(types)
    counts = gc.operation_counts(gc.traced_lr_graph())
    assert counts.total == len(ops) == 16
    assert counts.computing == len(cg.logistic_regression_graph(1, 1, 1, 1, 1).operations())
    assert counts.computing_types == "Mul, Mul, AddV2, AddV2, Neg, Exp, AddV2, RealDiv"


def test_fused_sigmoid_traces_to_one_operation():
    types = [op["type"] for op in gc.graph_operations(gc.traced_lr_graph(gc.lr_tf_sigmoid))]
    assert types.count("Sigmoid") == 1 and "Exp" not in types
    assert gc.operation_counts(gc.traced_lr_graph(gc.lr_tf_sigmoid)).computing == 5
