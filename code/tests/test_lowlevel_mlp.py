"""The lesson of Exercise 3: parameters, forward, losses, step, fit, error rate, schedule."""

from __future__ import annotations

import ast
import inspect
import math

import numpy as np
import pytest
from pw06 import lowlevel_mlp as ll
from pw06.lowlevel_mlp import tf
from tinynet import D, H, K, tiny_data


def one_hot(y, k=K):
    return np.eye(k, dtype=np.float32)[y]


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


def test_solution_regions_are_balanced_and_inside_the_student_functions():
    source = inspect.getsource(ll)
    assert source.count("### BEGIN SOLUTION") == source.count("### END SOLUTION") >= 8
    for name in (
        "init_params",
        "logits",
        "forward",
        "mse_loss",
        "train_step",
        "error_rate",
        "piecewise_constant",
        "fit",
    ):
        body = inspect.getsource(getattr(ll, name))
        head, _, rest = body.partition("### BEGIN SOLUTION")
        assert rest and "### END SOLUTION" in rest, name
        assert '"""' in head, f"{name}: the docstring stays outside the region"


def test_fit_is_short_enough_to_read_on_one_screen():
    assert len(inspect.getsource(ll.fit).splitlines()) <= 45


def test_init_params_is_glorot_uniform_float32_and_seeded():
    params = ll.init_params(784, 300, 10, seed=1)
    assert [p.name.split(":")[0] for p in params] == ["W1", "b1", "W2", "b2"]
    assert all(isinstance(p, tf.Variable) and p.dtype == tf.float32 for p in params)
    w1, b1, w2, b2 = (p.numpy() for p in params)
    assert w1.shape == (784, 300) and w2.shape == (300, 10) and b1.shape == (300,)
    assert np.abs(w1).max() <= math.sqrt(6 / 1084) and np.abs(w2).max() <= math.sqrt(6 / 310)
    assert np.abs(w1).max() > 0.9 * math.sqrt(6 / 1084)  # uniform up to the bound
    assert not b1.any() and not b2.any()
    assert np.array_equal(w1, ll.init_params(784, 300, 10, seed=1)[0].numpy())
    assert not np.array_equal(w1, ll.init_params(784, 300, 10, seed=2)[0].numpy())


def test_forward_is_sigmoid_of_relu_layers():
    params = ll.init_params(D, H, K, seed=0)
    params[1].assign(tf.fill([H], -0.2))  # some hidden units negative: ReLU matters
    x, _ = tiny_data(7)
    w1, b1, w2, b2 = (p.numpy() for p in params)
    z = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(ll.logits(params, x).numpy(), z, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ll.forward(params, x).numpy(), 1 / (1 + np.exp(-z)), rtol=1e-5)
    soft = ll.forward_softmax(params, x).numpy()
    np.testing.assert_allclose(soft.sum(axis=1), 1, rtol=1e-6)
    assert ll.forward(params, x).shape == (7, K)


def test_losses():
    y = tf.constant([[0.5, 0.0], [1.0, 1.0]])
    t = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    assert float(ll.mse_loss(y, t)) == pytest.approx((0.25 + 0 + 1 + 0) / 4)
    z = tf.constant([[2.0, 0.0]])
    expected = -math.log(math.exp(2) / (math.exp(2) + 1))
    assert float(ll.cross_entropy_loss(z, tf.constant([[1.0, 0.0]]))) == pytest.approx(expected)
    params = ll.init_params(D, H, K, seed=0)
    x, labels = tiny_data(5)
    assert float(ll.model_loss(params, x, one_hot(labels))) == pytest.approx(
        float(ll.mse_loss(ll.forward(params, x), one_hot(labels)))
    )
    with pytest.raises(ValueError, match="output must be one of"):
        ll.model_loss(params, x, one_hot(labels), output="tanh")


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_train_step_is_sgd_on_the_tape_gradient(output):
    params = ll.init_params(D, H, K, seed=3)
    params[1].assign(tf.fill([H], 0.1))
    x, labels = tiny_data(8)
    t = one_hot(labels)
    with tf.GradientTape() as tape:
        loss = ll.model_loss(params, x, t, output)
    grads = [g.numpy() for g in tape.gradient(loss, params)]
    before = [p.numpy() for p in params]
    variables = [id(p) for p in params]
    returned = ll.train_step(params, x, t, 0.5, output)
    assert float(returned) == pytest.approx(float(loss))  # the loss before the update
    assert [id(p) for p in params] == variables  # updated in place (assign_sub)
    for p, b, g in zip(params, before, grads, strict=True):
        np.testing.assert_allclose(p.numpy(), b - 0.5 * g, rtol=1e-5, atol=1e-7)
    assert float(ll.model_loss(params, x, t, output)) < float(loss)


def test_gradient_equals_finite_differences():
    params = ll.init_params(D, H, K, seed=3)
    params[1].assign(tf.fill([H], 0.1))  # keep every hidden unit away from ReLU's kink
    x, labels = tiny_data(8)
    t = one_hot(labels)
    with tf.GradientTape() as tape:
        loss = ll.model_loss(params, x, t)
    grads = tape.gradient(loss, params)
    eps, rng = 1e-2, np.random.default_rng(0)
    for param, grad in zip(params, grads, strict=True):
        for _ in range(4):
            index = tuple(int(rng.integers(0, n)) for n in param.shape)
            original = param.numpy()
            bumped = original.copy()
            bumped[index] += eps
            param.assign(bumped)
            up = float(ll.model_loss(params, x, t))
            bumped[index] -= 2 * eps
            param.assign(bumped)
            down = float(ll.model_loss(params, x, t))
            param.assign(original)
            numeric = (up - down) / (2 * eps)
            assert grad.numpy()[index] == pytest.approx(numeric, rel=2e-2, abs=2e-4)


def test_error_rate_and_predict():
    params = ll.init_params(D, H, K, seed=0)
    x, _ = tiny_data(10)
    predicted = ll.predict(params, x)
    assert predicted.shape == (10,)
    assert ll.error_rate(params, x, predicted) == 0.0
    assert ll.error_rate(params, x, (predicted + 1) % K) == 100.0
    labels = predicted.copy()
    labels[:3] = (labels[:3] + 1) % K
    assert ll.error_rate(params, x, labels) == pytest.approx(30.0)
    assert isinstance(ll.error_rate(params, x, labels), float)


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_fit_learns_a_learnable_rule(output):
    x, labels = tiny_data(200)
    params = ll.init_params(D, 16, K, seed=0)
    before = ll.error_rate(params, x, labels)
    history = ll.fit(
        params,
        x,
        one_hot(labels),
        epochs=30,
        batch_size=20,
        learning_rate=0.5 if output == "softmax" else 3.0,
        seed=0,
        output=output,
    )
    assert (
        len(history.step_loss) == 30 * 10
        and history.learning_rate == [history.learning_rate[0]] * 30
    )
    assert np.mean(history.step_loss[-10:]) < 0.5 * np.mean(history.step_loss[:10])
    assert ll.error_rate(params, x, labels) < min(before, 20)


def test_fit_is_seeded_calls_back_and_takes_another_step():
    x, labels = tiny_data(40)
    weights, calls = [], []
    for _ in range(2):
        params = ll.init_params(D, H, K, seed=5)
        ll.fit(params, x, one_hot(labels), epochs=2, batch_size=16, learning_rate=1.0, seed=1)
        weights.append([p.numpy() for p in params])
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)
    params = ll.init_params(D, H, K, seed=5)
    compiled = tf.function(ll.train_step)

    def step(*args):
        calls.append(len(args[1]))
        return compiled(*args)

    ll.fit(
        params,
        x,
        one_hot(labels),
        epochs=2,
        batch_size=16,
        learning_rate=1.0,
        seed=1,
        step=step,
        on_epoch_end=lambda epoch, history: calls.append(f"end {epoch}"),
    )
    assert calls == [16, 16, 8, "end 0", 16, 16, 8, "end 1"]  # the last batch is smaller
    for a, b in zip(weights[0], params, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)


def test_a_schedule_does_not_retrace_the_compiled_step():
    """fit hands the step its rate in a tf.Variable: two rates, one trace, the same updates."""
    x, labels = tiny_data(48)  # three full mini-batches of 16: one input shape
    schedule = ll.PiecewiseConstant((1,), (2.0, 0.5))
    compiled = tf.function(ll.train_step)
    seen = []

    def step(params, xb, tb, rate, *args):
        seen.append(rate)
        return compiled(params, xb, tb, rate, *args)

    params = ll.init_params(D, H, K, seed=5)
    settings = dict(epochs=3, batch_size=16, learning_rate=schedule, seed=1)
    history = ll.fit(params, x, one_hot(labels), step=step, **settings)
    assert history.learning_rate == [2.0, 0.5, 0.5]
    assert all(isinstance(rate, tf.Variable) for rate in seen)
    assert compiled.experimental_get_tracing_count() == 1
    # the same weights as the eager step, which reads the same rates
    eager = ll.init_params(D, H, K, seed=5)
    ll.fit(eager, x, one_hot(labels), **settings)
    for a, b in zip(eager, params, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    # a Python float in its place would trace once per rate
    by_value = tf.function(ll.train_step)
    for rate in (2.0, 0.5):
        by_value(ll.init_params(D, H, K, seed=5), x[:16], one_hot(labels)[:16], rate)
    assert by_value.experimental_get_tracing_count() == 2


def test_piecewise_constant():
    rates = [ll.piecewise_constant(e, (2, 4), (1.0, 0.5, 0.25)) for e in range(6)]
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert ll.piecewise_constant(7, (), (0.3,)) == 0.3
    schedule = ll.PiecewiseConstant((2,), (6.0, 3.0))
    assert [schedule(e) for e in range(4)] == [6.0, 6.0, 3.0, 3.0]
    x, labels = tiny_data(40)
    history = ll.fit(
        ll.init_params(D, H, K, seed=0),
        x,
        one_hot(labels),
        epochs=4,
        batch_size=10,
        learning_rate=ll.PiecewiseConstant((1, 3), (1.0, 0.5, 0.25)),
        seed=0,
    )
    assert history.learning_rate == [1.0, 0.5, 0.5, 0.25]


@pytest.mark.parametrize(
    ("boundaries", "values", "message"),
    [
        ((2,), (1.0,), "one more value"),
        ((3, 2), (1.0, 0.5, 0.1), "increasing"),
        ((0,), (1.0, 0.5), "positive and increasing"),
        ((), (-1.0,), "positive and finite"),
        ((), (math.inf,), "positive and finite"),
    ],
)
def test_bad_schedules_are_rejected(boundaries, values, message):
    with pytest.raises(ValueError, match=message):
        ll.PiecewiseConstant(boundaries, values)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ((D, -3, K), "n_hidden must be a positive integer, got -3"),
        ((D, 2.5, K), "n_hidden must be a positive integer, got 2.5"),
        ((0, H, K), "n_inputs must be a positive integer, got 0"),
        ((D, H, True), "n_outputs must be a positive integer, got True"),
    ],
)
def test_bad_sizes_name_the_argument(sizes, message):
    with pytest.raises(ValueError, match=message):
        ll.init_params(*sizes, seed=0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda x, t: (x[:, :-1], t), r"x must have shape \(n_examples, 6\)"),
        (lambda x, t: (x[0], t), r"x must have shape \(n_examples, 6\)"),
        (lambda x, t: (x * 255, t), r"x holds values from .* to 2\d\d.*divide .* by 255"),
        (lambda x, t: (np.where(x > 0.5, np.nan, x), t), "x contains NaN"),
        (lambda x, t: (x[:0], t[:0]), "x must hold at least one example"),
        (lambda x, t: (x, t[:-1]), r"t must be one-hot targets of shape \(40, 3\)"),
        (lambda x, t: (x, t.argmax(axis=1)), r"labels\? one-hot encode them"),
        (lambda x, t: (x, 2 * t), "t must be one-hot: each row has a single 1"),
    ],
)
def test_bad_training_data_gets_a_message_naming_the_argument(change, message):
    x, labels = tiny_data(40)
    bad_x, bad_t = change(x, one_hot(labels))
    with pytest.raises(ValueError, match=message):
        ll.fit(
            ll.init_params(D, H, K, seed=0),
            bad_x,
            bad_t,
            epochs=1,
            batch_size=10,
            learning_rate=0.1,
            seed=0,
        )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
        ({"batch_size": 2.5}, "batch_size must be a positive integer, got 2.5"),
    ],
)
def test_bad_settings_name_the_argument(setting, message):
    x, labels = tiny_data(40)
    kwargs = {"epochs": 1, "batch_size": 10, "learning_rate": 0.1, "seed": 0, **setting}
    with pytest.raises(ValueError, match=message):
        ll.fit(ll.init_params(D, H, K, seed=0), x, one_hot(labels), **kwargs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda y: y + 1, r"labels must be in 0\.\.2, got values from 1 to 3"),
        (lambda y: y[:-1], "40 examples, 39 labels"),
        (lambda y: y.astype(float), "integer classes"),
        (lambda y: one_hot(y), "1-D array"),
    ],
)
def test_bad_labels_for_the_error_rate(change, message):
    x, labels = tiny_data(40)
    with pytest.raises(ValueError, match=message):
        ll.error_rate(ll.init_params(D, H, K, seed=0), x, change(labels))


def test_non_finite_loss_stops_training_with_epoch_and_step():
    x, labels = tiny_data(40)
    params = ll.init_params(D, H, K, seed=0)
    with pytest.raises(ll.NonFiniteLossError, match=r"at epoch 1, step 1 \(learning rate 1e\+30"):
        ll.fit(
            params,
            x,
            one_hot(labels),
            epochs=3,
            batch_size=10,
            learning_rate=ll.PiecewiseConstant((1,), (0.1, 1e30)),
            seed=0,
            output="softmax",
        )
