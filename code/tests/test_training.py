"""Training runs: the three modes train the lesson's network alike, trace once, record, check."""

from __future__ import annotations

import numpy as np
import pytest
from pw06 import lowlevel_mlp as ll
from pw06 import training
from pw06.training import Examples, Settings, tf
from tinynet import D, H, K, digits_like, tiny_data


def test_the_three_modes_give_the_same_weights_as_the_lesson_fit():
    x, y = tiny_data(45)  # 45 examples, batch 10: the last batch is smaller
    schedule = ll.PiecewiseConstant((1,), (1.0, 0.5))
    params = ll.init_params(D, H, K, seed=5)
    ll.fit(params, x, ll.tf.one_hot(y, K), epochs=3, batch_size=10, learning_rate=schedule, seed=5)
    for mode in training.MODES:
        trainer = training.Trainer(D, H, K, mode=mode)
        run = trainer.run(Examples(x, y), Settings(3, 10, schedule, seed=5))
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
        first = trainer.run(Examples(x, y), Settings(2, 10, schedule, seed=0))
        again = trainer.run(Examples(x, y), Settings(1, 7, 0.3, seed=1))
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
    settings = Settings(epochs=20, batch_size=20, learning_rate=0.5, seed=0, output="softmax")
    run = trainer.run(Examples(x, y), settings, test=Examples(x, y))
    assert len(run.loss) == len(run.train_error) == len(run.test_error) == len(run.wall) == 20
    assert run.final_test_error < 20 and run.loss[-1] < run.initial_loss
    assert run.final_test_error == pytest.approx(ll.error_rate(trainer.params, x, y))
    assert np.array_equal(run.test_predictions, ll.predict(trainer.params, x))
    assert np.array_equal(run.test_correct, run.test_predictions == y)  # per digit, for pairs
    assert 100 * np.mean(~run.test_correct) == pytest.approx(run.final_test_error)
    assert run.weights_digest == training.weights_digest(p.numpy() for p in trainer.params)
    assert run.setup_epochs == 0
    assert all(w > 0 for w in run.wall) and all(c >= 0 for c in run.cpu)
    assert run.timing().total_wall == pytest.approx(run.trace_seconds + sum(run.wall))
    three = Settings(epochs=3, batch_size=20, learning_rate=0.5, output="softmax")
    only_last = trainer.run(Examples(x, y), three, every_epoch=False)
    assert len(only_last.loss) == 1 and len(only_last.wall) == 3 and not only_last.test_error


def test_weights_digest_is_equal_only_bit_for_bit():
    a = [np.zeros((2, 3), np.float32), np.ones(3, np.float32)]
    same = [np.zeros((2, 3), np.float32), np.ones(3, np.float32)]
    assert training.weights_digest(a) == training.weights_digest(same)
    nudged = [a[0], np.nextafter(a[1], np.float32(2))]  # one ulp
    assert training.weights_digest(a) != training.weights_digest(nudged)
    assert training.weights_digest(a) != training.weights_digest([a[0].reshape(3, 2), a[1]])
    assert training.weights_digest(a) != training.weights_digest([a[0].astype(np.float64), a[1]])


def test_best_epoch_counts_from_one_and_takes_the_first_on_a_tie():
    assert training.best_epoch([9.0, 7.0, 8.0, 7.0]) == 2
    assert training.best_epoch([5.0]) == 1
    with pytest.raises(ValueError, match="got none"):
        training.best_epoch([])


@pytest.mark.parametrize(
    ("errors", "reached"),
    [
        ([20, 15, 12, 11, 10, 9], False),  # still improving
        ([20, 15, 12, 12.5, 13, 12.1], True),  # no new best in the last 3 epochs
        ([20, 15, 12, 12.5, 13, 11.9], False),  # a new best at the last epoch
        ([20, 15, 12, 12, 12], False),  # equal is no improvement, but only 2 epochs since
        ([20, 15, 12, 12, 12, 12], True),
        ([], False),
    ],
)
def test_plateau_is_reached_after_patience_epochs_without_a_new_best(errors, reached):
    rule = training.Plateau(patience=3, max_epochs=100)
    assert rule.reached(errors) == reached
    assert rule.stop(errors) == reached


@pytest.mark.parametrize(
    ("errors", "reached"),
    [
        ([10, 9.5, 9.2, 9.1], True),  # gains of 0.5, 0.3, 0.1: none measurable, patience runs
        ([10, 9.5, 9.2, 8.9], False),  # 8.9 is 1.1 below the best that counted (10)
        ([10, 8.8, 8.5, 8.4, 8.0], True),  # 8.8 counted; 8.0 is only 0.8 below it
        ([10, 8.8, 8.5, 8.4, 7.7], False),  # 7.7 is 1.1 below 8.8: a new best
    ],
)
def test_plateau_with_a_minimum_improvement(errors, reached):
    """One more correct digit (a tiny gain) no longer resets the patience."""
    rule = training.Plateau(patience=3, max_epochs=100, min_improvement=1.0)
    assert rule.reached(errors) == reached
    # without a minimum, any gain resets it
    assert not training.Plateau(patience=3, max_epochs=100).reached(errors)


def test_plateau_minimum_improvement_is_checked():
    for bad in (-0.5, float("nan"), float("inf"), "1", True):
        with pytest.raises(ValueError, match="min_improvement must be"):
            training.Plateau(patience=2, max_epochs=4, min_improvement=bad)
    assert training.Plateau(patience=2, max_epochs=4).last_improvement([3, 2, 2, 5]) == 2
    with pytest.raises(ValueError, match="errors must hold one error per epoch"):
        training.Plateau(patience=2, max_epochs=4).last_improvement([])


def test_plateau_stops_at_the_cap_and_checks_its_arguments():
    rule = training.Plateau(patience=3, max_epochs=4)
    assert rule.stop([10, 9, 8, 7]) and not rule.reached([10, 9, 8, 7])
    assert not rule.stop([10, 9, 8])
    with pytest.raises(ValueError, match="patience must be a positive integer, got 0"):
        training.Plateau(patience=0, max_epochs=4)
    with pytest.raises(ValueError, match="max_epochs must be a positive integer"):
        training.Plateau(patience=2, max_epochs=2.5)


def test_shuffled_orders_are_the_orders_of_the_lessons_fit():
    x, y = tiny_data(12)
    seen = []

    def spy(params, x_batch, t_batch, rate, output):
        seen.append(x_batch.numpy())
        return ll.train_step(params, x_batch, t_batch, rate, output)

    params = ll.init_params(D, H, K, seed=0)
    ll.fit(params, x, ll.tf.one_hot(y, K), epochs=3, batch_size=5, learning_rate=0.1, seed=4,
           step=spy)  # fmt: skip
    orders = training.shuffled_orders(12, 3, seed=4)
    assert orders.shape == (3, 12) and orders.dtype == np.int32
    np.testing.assert_array_equal(np.concatenate(seen), x[orders.ravel()])
    assert sorted(orders[1]) == list(range(12)) and not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders, training.shuffled_orders(12, 3, seed=5))


def test_fit_graph_stops_when_the_callback_says_so():
    x, y = tiny_data(20)
    trainer = training.Trainer(D, H, K)
    history = training.fit_graph(
        trainer.params, x, ll.tf.one_hot(y, K), Settings(10, 5, 0.1, seed=0),
        run_epoch=trainer.run_epoch, on_epoch_end=lambda epoch, _: epoch == 2,
    )  # fmt: skip
    assert len(history.learning_rate) == 3 and len(history.step_loss) == 12


def test_run_with_a_validation_set_stops_at_the_plateau():
    x, y = tiny_data(120)
    trainer = training.Trainer(D, 16, K, output="softmax")
    rule = training.Plateau(patience=2, max_epochs=60)
    settings = Settings(rule.max_epochs, 20, 0.5, seed=0, output="softmax")
    run = trainer.run(
        Examples(x[:80], y[:80]), settings, test=Examples(x[100:], y[100:]),
        validation=Examples(x[80:100], y[80:100]), stop=rule, every_epoch=False,
    )  # fmt: skip
    epochs = len(run.validation_error)
    assert len(run.test_error) == len(run.wall) == epochs  # both curves, every epoch
    assert len(run.train_error) == 1  # the training error after the last epoch only
    assert rule.reached(run.validation_error) and epochs < rule.max_epochs
    assert not rule.reached(run.validation_error[:-1])  # it stopped at the first plateau
    assert run.best_epoch == epochs - rule.patience
    assert run.test_error_at_best == run.test_error[run.best_epoch - 1]
    # the per-digit correctness at the best epoch gives its test error
    assert 100 * np.mean(~run.test_correct_at_best) == pytest.approx(run.test_error_at_best)
    assert (run.train_examples, run.validation_examples) == (80, 20)
    with pytest.raises(ValueError, match="stop needs mode='graph' and a validation set"):
        trainer.run(Examples(x, y), Settings(2, 20, 0.5, output="softmax"), stop=rule)
    with pytest.raises(ValueError, match="this run has no validation error"):
        _ = training.Run(mode="graph", seed=0, batch_size=1).best_epoch


def test_fit_to_plateau_holds_out_a_stratified_validation_split():
    d = digits_like(n_train=50, n_test=20)
    rule = training.Plateau(patience=2, max_epochs=8)
    runs = training.fit_to_plateau(
        d, n_hidden=H, learning_rate=0.5, batch_size=10, seeds=[0, 1], rule=rule
    )
    assert [run.seed for run in runs] == [0, 1]
    for run in runs:
        assert run.validation_examples == 10 and run.train_examples == 40
        assert len(run.validation_error) == len(run.test_error) <= rule.max_epochs
        assert rule.stop(run.validation_error)
    with pytest.raises(ValueError, match=r"rule must be a training\.Plateau"):
        training.fit_to_plateau(d, n_hidden=H, learning_rate=0.5, batch_size=10, seeds=[0],
                                rule=5)  # fmt: skip


@pytest.mark.parametrize("mode", training.MODES)
def test_non_finite_loss_stops_training_with_epoch_and_step(mode):
    x, y = tiny_data(40)
    trainer = training.Trainer(D, H, K, mode=mode, output="softmax")
    schedule = ll.PiecewiseConstant((1,), (0.1, 1e30))
    with pytest.raises(ll.NonFiniteLossError, match=r"at epoch 1, step 1 \("):
        trainer.run(Examples(x, y), Settings(3, 10, schedule, output="softmax"))


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


def test_rate_sweep_scores_each_rate_on_the_validation_digits():
    d = digits_like(n_train=50, n_test=20)
    kwargs = dict(n_hidden=H, batch_size=10, epochs=2, seed=0, output="softmax")
    errors = training.rate_sweep(d, rates=(0.1, 0.5), **kwargs)
    assert list(errors) == [0.1, 0.5] and all(0 <= e <= 100 for e in errors.values())
    # the same run as training on the training split and scoring the validation split
    train, val = training.stratified_split(np.asarray(d.y_train), 0.2, 0)
    trainer = training.Trainer(d.n_features, H, d.n_classes, output="softmax")
    run = trainer.run(
        Examples(d.x_train[train], d.y_train[train]), Settings(2, 10, 0.5, output="softmax"),
        test=Examples(d.x_train[val], d.y_train[val]),
    )  # fmt: skip
    assert errors[0.5] == run.final_test_error
    with pytest.raises(ValueError, match="rates must be positive learning rates"):
        training.rate_sweep(d, rates=(0.1, -1.0), **kwargs)


def test_fit_to_plateau_trains_the_output_asked_for():
    d = digits_like(n_train=50, n_test=20)
    rule = training.Plateau(patience=2, max_epochs=6)
    kwargs = dict(n_hidden=H, learning_rate=0.5, batch_size=10, seeds=[0], rule=rule)
    sigmoid = training.fit_to_plateau(d, **kwargs)[0]
    softmax = training.fit_to_plateau(d, **kwargs, output="softmax")[0]
    assert sigmoid.weights_digest != softmax.weights_digest
    assert softmax.test_correct_at_best.shape == (20,)


@pytest.mark.parametrize("rate", [0, -1.0, float("nan"), float("inf"), "0.5", True])
def test_settings_refuse_a_learning_rate_that_does_not_descend(rate):
    """learning_rate <= 0 would climb the loss (gradient ascent); NaN and inf never train."""
    with pytest.raises(ValueError, match="learning_rate must be a positive, finite number"):
        Settings(epochs=1, batch_size=10, learning_rate=rate)
    x, y = tiny_data(20)
    params = ll.init_params(D, H, K, seed=0)
    with pytest.raises(ValueError, match="learning_rate must be a positive, finite number"):
        ll.fit(params, x, tf.one_hot(y, K), epochs=1, batch_size=10, learning_rate=rate, seed=0)
    with pytest.raises(ValueError, match="learning_rate must be a positive, finite number"):
        training.fit_seeds(digits_like(), n_hidden=H, learning_rate=rate, batch_size=10,
                           epochs=1, seeds=[0])  # fmt: skip


def test_settings_name_each_bad_argument():
    for kwargs, message in (
        (dict(epochs=0), "epochs must be a positive integer"),
        (dict(batch_size=0), "batch_size must be a positive integer"),
        (dict(seed=1.5), "seed must be an integer"),
        (dict(output="tanh"), "output must be one of"),
        (dict(order="numpy"), "order must be one of"),
    ):
        with pytest.raises(ValueError, match=message):
            Settings(**{"epochs": 1, "batch_size": 10, "learning_rate": 0.5, **kwargs})
    trainer = training.Trainer(D, H, K)
    x, y = tiny_data(20)
    with pytest.raises(ValueError, match="built for 'sigmoid'"):
        trainer.run(Examples(x, y), Settings(1, 10, 0.5, output="softmax"))
    with pytest.raises(ValueError, match="need a batch_size and order='lowlevel'"):
        trainer.run(Examples(x, y), Settings(1, None, 0.5))
    with pytest.raises(ValueError, match=r"train\.labels must"):
        trainer.run(Examples(x, y[:-1]), Settings(1, 10, 0.5))
