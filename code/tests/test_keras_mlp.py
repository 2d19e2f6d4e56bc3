"""The Keras MLP: both APIs match the low-level model; fitting, timing with a fake clock."""

from __future__ import annotations

import numpy as np
import pytest
from pw06 import keras_mlp as km
from pw06 import keras_training as kt
from pw06 import lowlevel_mlp as ll
from pw06 import training
from pw06.timing import Stopwatch
from pw06.training import Examples, Settings
from tinynet import D, H, K, digits_like, tiny_data


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_both_apis_match_the_lowlevel_model(output):
    x, _ = tiny_data(9)
    params = ll.init_params(D, H, K, seed=4)
    expected = (ll.forward(params, x) if output == "sigmoid" else ll.logits(params, x)).numpy()
    for build in (km.build_sequential, km.build_functional):
        model = build(D, H, K, output=output, seed=4)
        assert model.count_params() == D * H + H + H * K + K
        # softmax models output logits: the loss applies the softmax
        np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert isinstance(km.build_sequential(D, H, K), km.keras.Sequential)
    assert [layer.name for layer in km.build_functional(D, H, K).layers] == [
        "pixels",
        "hidden",
        "output",
    ]


def test_the_module_imports_what_it_uses():
    import inspect

    source = inspect.getsource(km)
    assert "ll.tf" not in source and "\nimport keras" in source


def test_other_seed_other_weights_and_bad_output():
    a = km.build_sequential(D, H, K, seed=0).get_weights()[0]
    b = km.build_sequential(D, H, K, seed=1).get_weights()[0]
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError, match="output"):
        km.build_functional(D, H, K, output="tanh")


def test_default_batch_size_is_computed():
    assert kt.default_batch_size() == 32  # what Keras documents for fit(batch_size=None)


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_one_keras_epoch_equals_lowlevel_sgd_on_one_batch(output):
    """Same loss, same SGD update: one full-batch step gives the same weights."""
    x, y = tiny_data(16)
    params = ll.init_params(D, H, K, seed=2)
    ll.fit(params, x, np.eye(K)[y], epochs=1, batch_size=16, learning_rate=0.5, seed=0,
           output=output)  # fmt: skip
    model = km.compile_model(km.build_sequential(D, H, K, output=output, seed=2), 0.5, output)
    kt.fit_keras(model, Examples(x, y), Settings(1, 16, 0.5, output=output, order="keras"))
    for a, b in zip(model.get_weights(), params, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_same_order_gives_keras_the_lowlevel_sgd_path(output):
    """Several mini-batches and epochs (45 examples, batch 10: a short last batch): fed the
    low-level loop's order, Keras ends with the low-level weights; with its own shuffling not."""
    x, y = tiny_data(45)
    params = ll.init_params(D, H, K, seed=2)
    ll.fit(params, x, np.eye(K)[y], epochs=3, batch_size=10, learning_rate=0.5, seed=7,
           output=output)  # fmt: skip
    distance = {}
    for order in kt.ORDERS:
        model = km.compile_model(km.build_sequential(D, H, K, output=output, seed=2), 0.5, output)
        settings = Settings(3, 10, 0.5, seed=7, output=output, order=order)
        run = kt.fit_keras(model, Examples(x, y), settings)
        assert len(run.wall) == 3 and run.train_examples == 45
        pairs = zip(model.get_weights(), params, strict=True)
        distance[order] = max(float(np.abs(a - b.numpy()).max()) for a, b in pairs)
    assert distance["lowlevel"] < 1e-5
    assert distance["keras"] > 1e-3  # another order, another path


def test_ordered_batches_follow_the_orders_epoch_by_epoch():
    x = np.arange(10, dtype=np.float32)[:, None]
    orders = np.array([[3, 1, 4, 0, 2], [0, 1, 2, 3, 4]], dtype=np.int32)
    batches = [b[0].numpy().ravel().tolist() for b in kt.ordered_batches(x, x, orders, 2)]
    assert batches == [[3, 1], [4, 0], [2], [0, 1], [2, 3], [4]]  # no batch crosses epochs


def test_settings_refuse_an_unknown_order():
    with pytest.raises(ValueError, match=r"order must be one of \('lowlevel', 'keras'\)"):
        Settings(1, 8, 0.5, order="numpy")


def test_fit_keras_records_times_and_errors():
    x, y = tiny_data(64)
    model = km.compile_model(km.build_sequential(D, H, K, seed=0), 0.5)
    settings = Settings(3, None, 0.5, order="keras")
    run = kt.fit_keras(model, Examples(x, y), settings, test=Examples(x, y))
    assert run.batch_size == 32 and run.mode == "keras" and isinstance(run, training.Run)
    assert len(run.wall) == len(run.cpu) == len(run.test_error) == 3
    assert all(w > 0 for w in run.wall) and run.learning_rate == pytest.approx([0.5] * 3)
    assert run.test_predictions.shape == (64,)
    assert np.array_equal(run.test_correct, run.test_predictions == y)
    assert run.setup_epochs == 1  # epoch 0 is timed with fit's set-up: never a timed repeat
    assert run.weights_digest == training.weights_digest(model.get_weights())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda x, y: (x, y + 3), r"train\.labels must be in 0\.\.2"),
        (lambda x, y: (x[:, :4], y), r"train\.x must have shape \(n_examples, 6\)"),
        (lambda x, y: (255 * x, y), "train.x holds values .* divide the 0–255 pixels by 255"),
        (lambda x, y: (x, y[:-1]), "train.labels must have one label per example"),
    ],
)
def test_fit_keras_bad_data_names_the_array(change, message):
    x, y = tiny_data(64)
    model = km.compile_model(km.build_sequential(D, H, K, seed=0), 0.5)
    bad_x, bad_y = change(x, y)
    with pytest.raises(ValueError, match=message):
        kt.fit_keras(model, Examples(bad_x, bad_y), Settings(1, 8, 0.5))
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        kt.fit_keras(model, Examples(x, y), Settings(0, 8, 0.5))


def test_fit_seeds_reuses_one_model_and_checks_its_arguments():
    d = digits_like()
    kwargs = dict(n_hidden=H, learning_rate=0.5, batch_size=10, epochs=2, seeds=[0, 1])
    kwargs["mode"] = "keras"
    runs = training.fit_seeds(d, **kwargs, order="keras", curves="first")
    assert [len(run.test_error) for run in runs] == [2, 1]
    assert [run.seed for run in runs] == [0, 1]
    again = training.fit_seeds(d, **kwargs, order="keras", curves="none")
    assert [r.final_test_error for r in again] == [r.final_test_error for r in runs]
    lowlevel = training.fit_seeds(d, **kwargs, order="lowlevel", curves="first")
    graph = training.fit_seeds(d, **{**kwargs, "mode": "graph"})
    assert [r.final_test_error for r in lowlevel] == [r.final_test_error for r in graph]
    # the same updates in the same order: the same weights, bit for bit
    assert [r.weights_digest for r in lowlevel] == [r.weights_digest for r in graph]
    assert all(
        np.array_equal(a.test_correct, b.test_correct) for a, b in zip(lowlevel, graph, strict=True)
    )
    with pytest.raises(ValueError, match="curves"):
        training.fit_seeds(d, **kwargs, curves="most")
    with pytest.raises(ValueError, match="seeds must hold at least one seed"):
        training.fit_seeds(d, **{**kwargs, "seeds": ()})
    with pytest.raises(ValueError, match="n_hidden must be a positive integer, got -3"):
        training.fit_seeds(d, **{**kwargs, "n_hidden": -3})
    with pytest.raises(ValueError, match="mode='keras' takes a number as learning_rate"):
        training.fit_seeds(d, **{**kwargs, "learning_rate": ll.PiecewiseConstant((1,), (1, 0.5))})
    with pytest.raises(ValueError, match="mode must be one of"):
        training.fit_seeds(d, **{**kwargs, "mode": "jax"})
    d.x_test = d.x_test[:, :-1]
    with pytest.raises(ValueError, match=r"data\.x_test must have as many columns"):
        training.fit_seeds(d, **kwargs)


class FakeClock:
    """Two clocks (wall, CPU) that only move when the test says so."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    def stopwatch(self) -> Stopwatch:
        return Stopwatch(wall_clock=lambda: self.wall, cpu_clock=lambda: self.cpu)


class Work(km.keras.callbacks.Callback):
    """Advances the fake clocks: waiting before the first epoch (wall time, no CPU, like
    tracing), computing during the second (CPU time = wall time), and while evaluating."""

    def __init__(self, clock):
        super().__init__()
        self.clock = clock

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 0:
            self.clock.wall += 2.0
        self.clock.wall += 1.0
        self.clock.cpu += 0.5 if epoch != 1 else 1.0


def test_epoch_clock_times_epochs_with_the_given_clock_and_keeps_evaluation_out(monkeypatch):
    clock = FakeClock()
    evaluate = kt.evaluate

    def slow_evaluate(*args):  # evaluation takes 10 s on the fake clock: never counted
        clock.wall += 10.0
        return evaluate(*args)

    monkeypatch.setattr(kt, "evaluate", slow_evaluate)
    x, y = tiny_data(32)
    model = km.compile_model(km.build_sequential(D, H, K), 0.1)
    run = kt.fit_keras(
        model, Examples(x, y), Settings(3, 16, 0.1, order="keras"), callbacks=[Work(clock)],
        stopwatch=clock.stopwatch(),
    )  # fmt: skip
    # Work runs after the clock's on_epoch_begin, but inside the epoch's timing window
    assert run.wall == [3.0, 1.0, 1.0] and run.cpu == [0.5, 1.0, 0.5]
    timing = run.timing()
    assert (timing.first_wall, timing.epoch_wall, timing.epoch_cpu) == (3.0, 1.0, 0.75)
