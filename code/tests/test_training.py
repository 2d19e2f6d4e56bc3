"""The low-level MLP: no Keras, shapes, gradients, training, schedule, errors, timing."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest
from pw06 import training as ll
from pw06.training import tf
from tinynet import D, H, K, digits_like, tiny_data


def test_module_uses_no_keras_api():
    tree = ast.parse(inspect.getsource(ll))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
    assert not [name for name in names if "keras" in name.lower()]


def test_initialisation_is_glorot_uniform_and_seeded():
    w1, b1, w2, b2 = ll.init_weights(784, 300, 10, seed=1)
    assert w1.shape == (784, 300) and w2.shape == (300, 10) and w1.dtype == np.float32
    assert np.abs(w1).max() <= np.sqrt(6 / (784 + 300)) and np.abs(w2).max() <= np.sqrt(6 / 310)
    assert not b1.any() and not b2.any()
    assert np.array_equal(w1, ll.init_weights(784, 300, 10, seed=1)[0])
    assert not np.array_equal(w1, ll.init_weights(784, 300, 10, seed=2)[0])


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_shapes_and_output_ranges(output):
    model = ll.LowLevelMLP(D, H, K, output=output, seed=0)
    x, _ = tiny_data(7)
    y = model(tf.constant(x)).numpy()
    assert model.logits(tf.constant(x)).shape == (7, K) and y.shape == (7, K)
    assert np.all((y > 0) & (y < 1))
    if output == "softmax":
        assert np.allclose(y.sum(axis=1), 1, atol=1e-6)
    assert model.predict(x).shape == (7,)
    assert sum(int(np.prod(p.shape)) for p in model.parameters) == D * H + H + H * K + K


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_gradient_equals_finite_differences(output):
    model = ll.LowLevelMLP(D, H, K, output=output, seed=3)
    model.b1.assign(tf.fill([H], 0.1))  # keep every hidden unit away from ReLU's kink
    x, y = tiny_data(8)
    t = tf.constant(np.eye(K, dtype=np.float32)[y])
    x = tf.constant(x)
    _, grads = model.gradients(x, t)
    eps = 1e-2
    rng = np.random.default_rng(0)
    for param, grad in zip(model.parameters, grads, strict=True):
        for _ in range(4):
            index = tuple(int(rng.integers(0, n)) for n in param.shape)
            original = param.numpy()
            bumped = original.copy()
            bumped[index] += eps
            param.assign(bumped)
            up = float(model.loss(x, t))
            bumped[index] -= 2 * eps
            param.assign(bumped)
            down = float(model.loss(x, t))
            param.assign(original)
            numeric = (up - down) / (2 * eps)
            assert grad.numpy()[index] == pytest.approx(numeric, rel=2e-2, abs=2e-4)


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_one_step_lowers_the_loss(output):
    model = ll.LowLevelMLP(D, H, K, output=output, seed=0)
    x, y = tiny_data()
    t = tf.constant(np.eye(K, dtype=np.float32)[y])
    x = tf.constant(x)
    model.learning_rate.assign(0.5)
    before = float(model.loss(x, t))
    model.compiled_step(x, t)
    assert float(model.loss(x, t)) < before
    assert int(model.step.numpy()) == 1


def test_training_converges_on_a_learnable_rule():
    x, y = tiny_data(200)
    model = ll.LowLevelMLP(D, 16, K, output="softmax", seed=0)
    history = ll.fit(
        model, x, y, epochs=30, batch_size=20, learning_rate=0.5, seed=0, x_test=x, y_test=y
    )
    assert history.converged and history.final_test_error < 20
    assert len(history.loss) == len(history.wall) == len(history.test_error) == 30


def test_eager_step_and_graph_modes_give_the_same_weights():
    x, y = tiny_data(50)
    weights = {}
    for mode in ll.MODES:
        model = ll.LowLevelMLP(D, H, K, seed=5)
        ll.fit(model, x, y, epochs=2, batch_size=8, learning_rate=1.0, seed=1, mode=mode)
        weights[mode] = [p.numpy() for p in model.parameters]
    for mode in ("step", "graph"):
        for a, b in zip(weights["eager"], weights[mode], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_schedule_values_at_the_boundaries():
    schedule = ll.PiecewiseConstant((2, 4), (1.0, 0.5, 0.25))
    assert [schedule.value(s, steps_per_epoch=3) for s in (0, 5, 6, 11, 12, 99)] == [
        1.0,
        1.0,
        0.5,
        0.5,
        0.25,
        0.25,
    ]
    in_steps = ll.PiecewiseConstant((5,), (1.0, 0.1), unit="step")
    assert in_steps.step_boundaries(100) == (5,)
    assert [in_steps.value(s, 100) for s in (4, 5)] == [1.0, 0.1]
    assert ll.PiecewiseConstant.constant(0.3).value(10**6, 7) == 0.3
    bounds, values = tf.constant([2, 4], tf.int64), tf.constant([1.0, 0.5, 0.25])
    got = [float(ll.piecewise_constant(tf.constant(s, tf.int64), bounds, values)) for s in range(6)]
    assert got == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    vector = ll.piecewise_constant(tf.range(6, dtype=tf.int64), bounds, values)
    assert vector.numpy().tolist() == got
    empty = tf.constant([], tf.int64)
    assert float(ll.piecewise_constant(3, empty, tf.constant([0.5]))) == 0.5


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (ll.PiecewiseConstant((1, 3), (1.0, 0.5, 0.25)), [1.0, 0.5, 0.5, 0.25]),
        # 40 examples, batch 10: 4 steps per epoch; the switch falls inside epoch 1
        (ll.PiecewiseConstant((6,), (1.0, 0.1), unit="step"), [1.0, 0.1, 0.1, 0.1]),
    ],
)
def test_schedule_switches_without_retracing(schedule, expected):
    x, y = tiny_data(40)
    model = ll.LowLevelMLP(D, H, K, seed=0)
    history = ll.fit(model, x, y, epochs=4, batch_size=10, learning_rate=schedule, seed=0)
    assert history.learning_rate == pytest.approx(expected)
    assert model.compiled_epoch.experimental_get_tracing_count() == 1
    # a second run, with another schedule and another batch size, reuses the same graph
    model.reset(1)
    ll.fit(model, x, y, epochs=1, batch_size=7, learning_rate=0.3, seed=0)
    assert model.compiled_epoch.experimental_get_tracing_count() == 1


def test_step_mode_follows_the_schedule_with_one_trace():
    x, y = tiny_data(40)
    model = ll.LowLevelMLP(D, H, K, seed=0)
    schedule = ll.PiecewiseConstant((6,), (1.0, 0.1), unit="step")
    history = ll.fit(
        model, x, y, epochs=3, batch_size=10, learning_rate=schedule, seed=0, mode="step"
    )
    assert history.learning_rate == pytest.approx([1.0, 0.1, 0.1])
    assert model.compiled_step.experimental_get_tracing_count() == 1


@pytest.mark.parametrize(
    ("boundaries", "values", "unit", "message"),
    [
        ((2,), (1.0,), "epoch", "one more value"),
        ((3, 2), (1.0, 0.5, 0.1), "epoch", "increasing"),
        ((0,), (1.0, 0.5), "epoch", "positive"),
        ((), (-1.0,), "epoch", "positive and finite"),
        ((), (1.0,), "batch", "unit"),
    ],
)
def test_bad_schedules_are_rejected(boundaries, values, unit, message):
    with pytest.raises(ValueError, match=message):
        ll.PiecewiseConstant(boundaries, values, unit)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda x, y: (x[:, :-1], y), r"shape \(n_examples, 6\)"),
        (lambda x, y: (x[0], y), r"shape \(n_examples, 6\)"),
        (lambda x, y: (x, y + 1), r"labels in 0\.\.2, got values from 1 to 3"),
        (lambda x, y: (x, y - 1), r"labels in 0\.\.2, got values from -1"),
        (lambda x, y: (x, y[:-1]), "40 examples and 39 labels"),
        (lambda x, y: (x, y.astype(float)), "integers"),
        (lambda x, y: (np.where(x > 0.5, np.nan, x), y), "NaN"),
        (lambda x, y: (x[:0], y[:0]), "at least one example"),
    ],
)
def test_bad_inputs_raise_a_clear_value_error(change, message):
    x, y = tiny_data(40)
    bad_x, bad_y = change(x, y)
    with pytest.raises(ValueError, match=message):
        ll.fit(
            ll.LowLevelMLP(D, H, K),
            bad_x,
            bad_y,
            epochs=1,
            batch_size=10,
            learning_rate=0.1,
            seed=0,
        )


def test_bad_test_set_and_settings_raise_a_clear_value_error():
    x, y = tiny_data(40)
    model = ll.LowLevelMLP(D, H, K)
    kwargs = dict(epochs=1, batch_size=10, learning_rate=0.1, seed=0)
    with pytest.raises(ValueError, match=r"labels in 0\.\.2"):
        ll.fit(model, x, y, x_test=x, y_test=y + 5, **kwargs)
    with pytest.raises(ValueError, match="mode"):
        ll.fit(model, x, y, mode="fast", **kwargs)
    with pytest.raises(ValueError, match="batch_size"):
        ll.fit(model, x, y, **{**kwargs, "batch_size": 0})
    with pytest.raises(ValueError, match="epochs"):
        ll.fit(model, x, y, **{**kwargs, "epochs": 0})
    with pytest.raises(ValueError, match="output"):
        ll.LowLevelMLP(D, H, K, output="tanh")
    with pytest.raises(ValueError, match="shape"):
        model.predict(np.zeros((2, D + 1)))


@pytest.mark.parametrize("mode", ll.MODES)
def test_non_finite_loss_stops_training_with_epoch_and_step(mode):
    x, y = tiny_data(40)  # 4 steps per epoch; the rate explodes at the start of epoch 1
    model = ll.LowLevelMLP(D, H, K, output="softmax", seed=0)
    schedule = ll.PiecewiseConstant((1,), (0.1, 1e30))
    with pytest.raises(ll.NonFiniteLossError, match=r"at epoch 1, step 1 \(update 5 overall"):
        ll.fit(model, x, y, epochs=3, batch_size=10, learning_rate=schedule, seed=0, mode=mode)
    assert int(model.step.numpy()) == 6  # stopped right after the first non-finite loss


def test_summarize_timing_keeps_warm_up_and_tracing_apart():
    timing = ll.summarize_timing([5.0, 1.0, 3.0, 1.0], [4.0, 2.0, 2.0, 9.0], trace_seconds=0.5)
    assert timing.first_wall == 5.0 and timing.first_cpu == 4.0
    assert timing.epoch_wall == 1.0 and timing.epoch_cpu == 2.0  # medians of the later epochs
    assert timing.total_wall == 10.5 and timing.total_cpu == 17.5
    assert ll.summarize_timing([2.0], [1.0]).epoch_wall == 2.0
    with pytest.raises(ValueError):
        ll.summarize_timing([], [])


def test_graph_mode_records_tracing_apart_from_the_first_epoch():
    x, y = tiny_data(40)
    model = ll.LowLevelMLP(D, H, K, seed=0)
    first = ll.fit(model, x, y, epochs=2, batch_size=10, learning_rate=0.1, seed=0)
    again = ll.fit(model, x, y, epochs=2, batch_size=10, learning_rate=0.1, seed=0)
    assert first.trace_seconds > 0 and again.trace_seconds == 0
    assert all(w > 0 for w in first.wall) and first.timing().total_wall > sum(first.wall)


def test_training_flops():
    assert ll.training_flops(1, 784, 300, 10) == 4 * 784 * 300 + 6 * 300 * 10


def test_fit_seeds_traces_once_and_records_what_was_asked():
    d = digits_like()
    kwargs = dict(n_hidden=H, learning_rate=0.5, batch_size=10, epochs=3, seeds=[0, 1, 2])
    runs = ll.fit_seeds(d, **kwargs, curves="first")
    assert [run.seed for run in runs] == [0, 1, 2]
    assert [len(run.test_error) for run in runs] == [3, 1, 1]
    assert all(len(run.wall) == 3 and len(run.step_loss) == 12 for run in runs)
    assert runs[0].trace_seconds > 0 and runs[1].trace_seconds == 0
    assert runs[0].test_predictions.shape == (20,)
    again = ll.fit_seeds(d, **kwargs, curves="all")
    assert [run.final_test_error for run in again] == [run.final_test_error for run in runs]
    with pytest.raises(ValueError, match="curves"):
        ll.fit_seeds(d, **kwargs, curves="some")


def test_confusion_matrix():
    m = ll.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], 3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_figures_draw():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = digits_like()
    runs = ll.fit_seeds(d, n_hidden=H, learning_rate=0.5, batch_size=10, epochs=2, seeds=[0, 1])
    ragged = ll.fit_seeds(
        d, n_hidden=H, learning_rate=0.5, batch_size=10, epochs=2, seeds=[2], curves="none"
    )[0]
    figures = [
        ll.plot_digits(np.zeros((3, 784)), ["a", "b", "c"], ncols=2),
        ll.plot_confusion(ll.confusion_matrix([0, 1], [1, 1], 3), "title"),
        ll.plot_convergence(runs),
        ll.plot_test_error_curves({"runs": runs, "first": [runs[0], ragged]}, "title"),
    ]
    assert all(len(fig.axes) >= 1 for fig in figures)
    plt.close("all")
