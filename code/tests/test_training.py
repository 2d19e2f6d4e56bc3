"""Training runs: the three modes train the lesson's network alike, trace once, record, check."""

from __future__ import annotations

import numpy as np
import pytest
from pw06 import lowlevel_mlp as ll
from pw06 import training
from pw06.training import tf
from tinynet import D, H, K, digits_like, tiny_data


def test_the_three_modes_give_the_same_weights_as_the_lesson_fit():
    x, y = tiny_data(45)  # 45 examples, batch 10: the last batch is smaller
    schedule = ll.PiecewiseConstant((1,), (1.0, 0.5))
    params = ll.init_params(D, H, K, seed=5)
    ll.fit(params, x, ll.tf.one_hot(y, K), epochs=3, batch_size=10, learning_rate=schedule, seed=5)
    for mode in training.MODES:
        trainer = training.Trainer(D, H, K, mode=mode)
        run = trainer.run(x, y, epochs=3, batch_size=10, learning_rate=schedule, seed=5)
        assert run.learning_rate == [1.0, 0.5, 0.5] and len(run.step_loss) == 15
        for a, b in zip(params, trainer.params, strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=mode)


def test_compiled_modes_trace_once_across_runs_batch_sizes_and_schedules():
    x, y = tiny_data(40)
    for mode, count in (
        ("graph", lambda t: t.run_epoch.experimental_get_tracing_count()),
        ("step", lambda t: t.compiled_step.experimental_get_tracing_count()),
    ):
        trainer = training.Trainer(D, H, K, mode=mode)
        schedule = ll.PiecewiseConstant((1,), (1, 0.5))
        first = trainer.run(x, y, epochs=2, batch_size=10, seed=0, learning_rate=schedule)
        again = trainer.run(x, y, epochs=1, batch_size=7, learning_rate=0.3, seed=1)
        assert count(trainer) == 1, mode
        assert first.trace_seconds > 0 and again.trace_seconds == again.trace_cpu == 0, mode


def test_epoch_graph_runs_the_lessons_train_step():
    params = ll.init_params(D, H, K, seed=0)
    x, y = tiny_data(20)
    t = tf.one_hot(y, K)
    run_epoch = training.epoch_graph(params, "sigmoid")
    order = tf.range(20, dtype=tf.int32)
    copy = [tf.Variable(p) for p in params]
    losses = run_epoch(x, t, order, tf.constant(8), tf.constant(0.5))
    assert losses.shape == (3,)  # batches of 8, 8 and 4
    expected = [ll.train_step(copy, x[i : i + 8], t[i : i + 8], 0.5) for i in (0, 8, 16)]
    np.testing.assert_allclose(losses.numpy(), [float(e) for e in expected], rtol=1e-5)
    for a, b in zip(params, copy, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_run_records_evaluation_and_time_and_converges():
    x, y = tiny_data(200)
    trainer = training.Trainer(D, 16, K, output="softmax")
    run = trainer.run(
        x, y, epochs=20, batch_size=20, learning_rate=0.5, seed=0, x_test=x, labels_test=y
    )
    assert len(run.loss) == len(run.train_error) == len(run.test_error) == len(run.wall) == 20
    assert run.converged and run.final_test_error < 20 and run.loss[-1] < run.initial_loss
    assert run.final_test_error == pytest.approx(ll.error_rate(trainer.params, x, y))
    assert np.array_equal(run.test_predictions, ll.predict(trainer.params, x))
    assert all(w > 0 for w in run.wall) and all(c >= 0 for c in run.cpu)
    assert run.timing().total_wall == pytest.approx(run.trace_seconds + sum(run.wall))
    only_last = trainer.run(x, y, epochs=3, batch_size=20, learning_rate=0.5, seed=0,
                            every_epoch=False)  # fmt: skip
    assert len(only_last.loss) == 1 and len(only_last.wall) == 3 and not only_last.test_error


def test_converged_needs_a_lower_loss_and_a_low_training_error():
    run = training.Run(mode="graph", seed=0, batch_size=1, initial_loss=1.0)
    run.loss, run.train_error = [0.4], [10.0]
    assert run.converged
    run.loss = [0.6]
    assert not run.converged
    run.loss, run.train_error = [0.4], [60.0]
    assert not run.converged
    run.loss, run.train_error = [float("nan")], [10.0]
    assert not run.converged


@pytest.mark.parametrize("mode", training.MODES)
def test_non_finite_loss_stops_training_with_epoch_and_step(mode):
    x, y = tiny_data(40)
    trainer = training.Trainer(D, H, K, mode=mode, output="softmax")
    schedule = ll.PiecewiseConstant((1,), (0.1, 1e30))
    with pytest.raises(ll.NonFiniteLossError, match=r"at epoch 1, step 1 \("):
        trainer.run(x, y, epochs=3, batch_size=10, learning_rate=schedule, seed=0)


def test_fit_seeds_traces_once_and_records_what_was_asked():
    d = digits_like()
    kwargs = dict(n_hidden=H, learning_rate=0.5, batch_size=10, epochs=3, seeds=[0, 1, 2])
    runs = training.fit_seeds(d, **kwargs, curves="first")
    assert [run.seed for run in runs] == [0, 1, 2]
    assert [len(run.test_error) for run in runs] == [3, 1, 1]
    assert all(len(run.wall) == 3 and len(run.step_loss) == 12 for run in runs)
    assert runs[0].trace_seconds > 0 and runs[1].trace_seconds == 0
    assert runs[0].test_predictions.shape == (20,)
    again = training.fit_seeds(d, **kwargs, curves="all")
    assert [run.final_test_error for run in again] == [run.final_test_error for run in runs]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_hidden": -3}, "n_hidden must be a positive integer, got -3"),
        ({"n_hidden": 2.5}, "n_hidden must be a positive integer, got 2.5"),
        ({"seeds": ()}, "seeds must hold at least one seed, got none"),
        ({"seeds": [0, 1.5]}, r"seeds must be integers, got 1.5"),
        ({"seeds": 3}, "seeds must be a sequence of integers, got 3"),
        ({"curves": "some"}, "curves must be one of"),
        ({"mode": "fast"}, "mode must be one of"),
        ({"output": "tanh"}, "output must be one of"),
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
        ({"batch_size": 2.5}, "batch_size must be a positive integer, got 2.5"),
    ],
)
def test_fit_seeds_bad_settings_name_the_argument(change, message):
    kwargs = dict(n_hidden=H, learning_rate=0.5, batch_size=10, epochs=1, seeds=[0])
    with pytest.raises(ValueError, match=message):
        training.fit_seeds(digits_like(), **{**kwargs, **change})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: setattr(d, "x_test", d.x_test[:, :-1]),
            r"data\.x_test must have as many columns .* data\.x_train has shape \(40, 6\), "
            r"data\.x_test has shape \(20, 5\)",
        ),
        (
            lambda d: setattr(d, "x_train", d.x_train * 255),
            "data.x_train holds values from .* divide the 0–255 pixels by 255",
        ),
        (lambda d: setattr(d, "y_test", d.y_test + 5), r"data\.y_test must be in 0\.\.2"),
        (
            lambda d: setattr(d, "y_train", d.y_train[:-1]),
            "data.y_train must have one label per example: 40 examples, 39",
        ),
    ],
)
def test_fit_seeds_bad_data_names_the_array(change, message):
    d = digits_like()
    change(d)
    with pytest.raises(ValueError, match=message):
        training.fit_seeds(d, n_hidden=H, learning_rate=0.5, batch_size=10, epochs=1, seeds=[0])


def test_confusion_matrix():
    m = training.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], 3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
