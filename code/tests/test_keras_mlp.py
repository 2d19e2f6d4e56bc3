"""The Keras MLP: both APIs match the low-level model; fitting, timing and the comparison rows."""

from __future__ import annotations

import time

import numpy as np
import pytest
from pw06 import keras_mlp as km
from pw06 import training as ll
from pw06.training import tf
from tinynet import D, H, K, digits_like, tiny_data


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_both_apis_match_the_lowlevel_model(output):
    x, _ = tiny_data(9)
    lowlevel = ll.LowLevelMLP(D, H, K, output=output, seed=4)
    expected = (lowlevel(tf.constant(x)) if output == "sigmoid" else lowlevel.logits(x)).numpy()
    n_parameters = sum(int(np.prod(p.shape)) for p in lowlevel.parameters)
    for build in (km.build_sequential, km.build_functional):
        model = build(D, H, K, output=output, seed=4)
        assert model.count_params() == n_parameters == D * H + H + H * K + K
        # softmax models output logits: the loss applies the softmax
        np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert isinstance(km.build_sequential(D, H, K), km.keras.Sequential)
    assert [layer.name for layer in km.build_functional(D, H, K).layers] == [
        "pixels",
        "hidden",
        "output",
    ]


def test_other_seed_other_weights_and_bad_output():
    a = km.build_sequential(D, H, K, seed=0).get_weights()[0]
    b = km.build_sequential(D, H, K, seed=1).get_weights()[0]
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError, match="output"):
        km.build_functional(D, H, K, output="tanh")


def test_default_batch_size_is_computed():
    assert km.default_batch_size() == 32  # what Keras documents for fit(batch_size=None)


@pytest.mark.parametrize("output", ll.OUTPUTS)
def test_one_keras_epoch_equals_lowlevel_sgd_on_one_batch(output):
    """Same loss, same SGD update: one full-batch step gives the same weights."""
    x, y = tiny_data(16)
    lowlevel = ll.LowLevelMLP(D, H, K, output=output, seed=2)
    ll.fit(lowlevel, x, y, epochs=1, batch_size=16, learning_rate=0.5, seed=0)
    model = km.compile_model(km.build_sequential(D, H, K, output=output, seed=2), 0.5, output)
    km.fit_keras(model, x, y, epochs=1, batch_size=16, seed=0)
    for a, b in zip(model.get_weights(), lowlevel.parameters, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-4, atol=1e-6)


def test_fit_keras_records_times_and_errors():
    x, y = tiny_data(64)
    model = km.compile_model(km.build_sequential(D, H, K, seed=0), 0.5)
    history = km.fit_keras(model, x, y, epochs=3, batch_size=None, seed=0, x_test=x, y_test=y)
    assert history.batch_size == 32 and history.mode == "keras"
    assert len(history.wall) == len(history.cpu) == len(history.test_error) == 3
    assert all(w > 0 for w in history.wall) and history.learning_rate == pytest.approx([0.5] * 3)
    assert history.converged is not None and history.test_predictions.shape == (64,)
    with pytest.raises(ValueError, match=r"labels in 0\.\.2"):
        km.fit_keras(model, x, y + 3, epochs=1, batch_size=8, seed=0)
    with pytest.raises(ValueError, match=r"shape \(n_examples, 6\)"):
        km.fit_keras(model, x[:, :4], y, epochs=1, batch_size=8, seed=0)


def test_fit_seeds_reuses_one_model():
    d = digits_like()
    kwargs = dict(n_hidden=H, learning_rate=0.5, batch_size=10, epochs=2, seeds=[0, 1])
    runs = km.fit_seeds(d, **kwargs, curves="first")
    assert [len(run.test_error) for run in runs] == [2, 1]
    assert [run.seed for run in runs] == [0, 1]
    again = km.fit_seeds(d, **kwargs, curves="none")
    assert [r.final_test_error for r in again] == [r.final_test_error for r in runs]
    with pytest.raises(ValueError, match="curves"):
        km.fit_seeds(d, **kwargs, curves="most")


class SlowStart(km.keras.callbacks.Callback):
    """Waits before the first epoch (like tracing: wall time, no CPU) and computes during the
    second one (CPU time ≈ wall time)."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 0:
            time.sleep(0.2)

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 0:
            end = time.perf_counter() + 0.1
            while time.perf_counter() < end:
                pass

    def on_epoch_end(self, epoch, logs=None):
        self.epoch = epoch + 1

    epoch = 0


def test_epoch_clock_uses_process_time_and_keeps_the_first_epoch_apart():
    x, y = tiny_data(32)
    model = km.compile_model(km.build_sequential(D, H, K), 0.1)
    history = km.fit_keras(
        model,
        x,
        y,
        epochs=3,
        batch_size=16,
        seed=0,
        eval_every_epoch=False,
        callbacks=[SlowStart()],
    )
    wall, cpu = history.wall, history.cpu
    assert wall[0] >= 0.2 and cpu[0] < wall[0] - 0.15  # waiting is wall time, not CPU time
    assert wall[1] >= 0.1 and cpu[1] >= 0.08  # computing is CPU time
    assert len(history.loss) == 1  # evaluated after the last epoch only
    timing = history.timing()
    assert timing.first_wall == wall[0] and timing.epoch_wall == pytest.approx(np.median(wall[1:]))


def test_summarize_keeps_the_first_epoch_apart_and_averages_over_seeds():
    def run(seed, wall, error):
        h = ll.History(
            mode="graph", seed=seed, batch_size=10, trace_seconds=0.5 if seed == 0 else 0
        )
        h.wall, h.cpu, h.test_error = wall, [2 * w for w in wall], [error]
        return h

    runs = [run(0, [3.0, 1.0, 1.0], 10.0), run(1, [1.0, 2.0, 1.0], 12.0)]
    row = km.summarize("x", runs)
    assert row["tracing + first epoch (s)"] == 3.5
    assert row["wall s / epoch"] == 1.0 and row["CPU s / epoch"] == 2.0  # medians, warm-up out
    assert row["wall s / run"] == pytest.approx((5.5 + 4.0) / 2)
    assert row["test error (%)"] == 11.0 and row["std over seeds"] == pytest.approx(2**0.5)
