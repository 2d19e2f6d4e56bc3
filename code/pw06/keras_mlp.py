"""The MLP of Exercise 3 again, in Keras (Exercise 4), and a fair comparison of the two.

Same network as :mod:`pw06.lowlevel_mlp` — D inputs, H ReLU units, K sigmoid outputs trained
with the MSE (or, with ``output="softmax"``, linear outputs trained with the softmax
cross-entropy from the logits) — with the same initial weights for the same seed, the same loss
and plain SGD with the same learning rate. Built twice: with the Sequential API and with the
Functional API.

For the comparison, every run is timed epoch by epoch with ``time.perf_counter`` (wall) and
``time.process_time`` (CPU of the whole process, all threads); the first epoch, which includes
tracing the training graph, is kept apart from the steady state.
"""

from __future__ import annotations

import functools
import math
import statistics
import time

import numpy as np

from pw06 import training as ll
from pw06.tf_quiet import load

tf = load()
import keras  # noqa: E402  (after TensorFlow, so its start-up log stays hidden)


def _output_activation(output: str):
    if output not in ll.OUTPUTS:
        raise ValueError(f"output must be one of {ll.OUTPUTS}, got {output!r}")
    # softmax: the model outputs logits; the loss applies the softmax (numerically stable)
    return "sigmoid" if output == "sigmoid" else None


def build_sequential(
    n_inputs: int = 784,
    n_hidden: int = 300,
    n_outputs: int = 10,
    *,
    output: str = "sigmoid",
    seed: int = 0,
) -> keras.Sequential:
    """The MLP as a ``keras.Sequential`` stack, initialised like ``LowLevelMLP(seed=seed)``."""
    model = keras.Sequential(
        [
            keras.Input(shape=(n_inputs,), name="pixels"),
            keras.layers.Dense(n_hidden, activation="relu", name="hidden"),
            keras.layers.Dense(n_outputs, activation=_output_activation(output), name="output"),
        ],
        name="mlp_sequential",
    )
    model.set_weights(ll.init_weights(n_inputs, n_hidden, n_outputs, seed))
    return model


def build_functional(
    n_inputs: int = 784,
    n_hidden: int = 300,
    n_outputs: int = 10,
    *,
    output: str = "sigmoid",
    seed: int = 0,
) -> keras.Model:
    """The same MLP with the Functional API: layers called on tensors, from Input to Model."""
    inputs = keras.Input(shape=(n_inputs,), name="pixels")
    hidden = keras.layers.Dense(n_hidden, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(n_outputs, activation=_output_activation(output), name="output")(
        hidden
    )
    model = keras.Model(inputs=inputs, outputs=outputs, name="mlp_functional")
    model.set_weights(ll.init_weights(n_inputs, n_hidden, n_outputs, seed))
    return model


def compile_model(model: keras.Model, learning_rate: float, output: str = "sigmoid"):
    """Plain SGD and the loss of the low-level model: MSE, or cross-entropy from logits."""
    _output_activation(output)
    loss = (
        keras.losses.MeanSquaredError()
        if output == "sigmoid"
        else keras.losses.CategoricalCrossentropy(from_logits=True)
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss)
    return model


class _BatchProbe(keras.layers.Layer):
    """Identity layer that records the batch size of every call (eager runs only)."""

    def __init__(self):
        super().__init__()
        self.sizes: list[int] = []

    def call(self, x):
        if x.shape[0] is not None:  # None while Keras builds the model symbolically
            self.sizes.append(int(x.shape[0]))
        return x


@functools.cache
def default_batch_size() -> int:
    """The batch size ``model.fit`` uses when it is not given, observed on a tiny model.

    The model is run eagerly so that a probe layer sees each mini-batch's real size.
    """
    probe = _BatchProbe()
    model = keras.Sequential([keras.Input(shape=(1,)), probe, keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    n = 100
    model.fit(np.zeros((n, 1), np.float32), np.zeros((n, 1), np.float32), epochs=1, verbose=0)
    return max(probe.sizes)


class EpochClock(keras.callbacks.Callback):
    """Times each epoch of ``fit`` (wall and process CPU) into a ``History``, then evaluates.

    The first epoch is timed from ``start()`` — called just before ``fit`` — so it includes
    the set-up and the tracing of Keras's training function. The evaluation after each epoch
    (training loss and error, test error) is not timed.
    """

    def __init__(self, history: ll.History, x, y, x_test=None, y_test=None, every_epoch=True):
        super().__init__()
        self.record = history
        self.data = (x, y, x_test, y_test)
        self.every_epoch = every_epoch

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def on_epoch_begin(self, epoch, logs=None):
        if epoch > 0:
            self.start()

    def on_epoch_end(self, epoch, logs=None):
        self.record.wall.append(time.perf_counter() - self._wall)
        self.record.cpu.append(time.process_time() - self._cpu)
        self.record.learning_rate.append(float(self.model.optimizer.learning_rate.numpy()))
        if not (self.every_epoch or epoch == self.params["epochs"] - 1):
            return
        x, y, x_test, y_test = self.data
        loss, train_error = evaluate(self.model, x, y)
        self.record.loss.append(loss)
        self.record.train_error.append(train_error)
        if x_test is not None:
            self.record.test_error.append(evaluate(self.model, x_test, y_test)[1])


def evaluate(model: keras.Model, x, y) -> tuple[float, float]:
    """(loss, error rate in percent) of a compiled Keras model on inputs and integer labels."""
    outputs = model(x, training=False)
    targets = ll.tf.one_hot(y, outputs.shape[-1])
    loss = float(model.loss(targets, outputs))
    wrong = np.argmax(outputs.numpy(), axis=1) != np.asarray(y)
    return loss, 100.0 * float(np.mean(wrong))


def fit_keras(
    model: keras.Model,
    x_train,
    y_train,
    *,
    epochs: int,
    batch_size: int | None,
    seed: int,
    x_test=None,
    y_test=None,
    eval_every_epoch: bool = True,
    callbacks=(),
) -> ll.History:
    """``model.fit`` on one-hot targets (``batch_size=None``: Keras's default), timed.

    ``seed`` seeds Keras's shuffling. The model keeps its current weights (set them with
    ``model.set_weights(ll.init_weights(...))`` for a new run). ``callbacks``: more Keras
    callbacks, called after the timing one.
    """
    x_train, y_train = ll.check_data(
        x_train, y_train, model.input_shape[-1], model.output_shape[-1]
    )
    n_outputs = model.output_shape[-1]
    if x_test is not None:
        x_test, y_test = ll.check_data(x_test, y_test, model.input_shape[-1], n_outputs)
    keras.utils.set_random_seed(seed)
    history = ll.History(mode="keras", seed=seed, batch_size=batch_size or default_batch_size())
    history.initial_loss = evaluate(model, x_train, y_train)[0]
    clock = EpochClock(history, x_train, y_train, x_test, y_test, eval_every_epoch)
    targets = np.eye(n_outputs, dtype=np.float32)[y_train]
    clock.start()
    model.fit(
        x_train,
        targets,
        batch_size=batch_size,
        epochs=epochs,
        verbose=0,
        callbacks=[clock, *callbacks],
    )
    if not all(math.isfinite(v) for v in history.loss):
        raise ll.NonFiniteLossError(f"the Keras training loss became non-finite: {history.loss}")
    if x_test is not None:
        history.test_predictions = np.argmax(model(x_test, training=False).numpy(), axis=1)
    return history


def _every_epoch(curves: str, i: int) -> bool:
    if curves not in ("all", "first", "none"):
        raise ValueError(f"curves must be 'all', 'first' or 'none', got {curves!r}")
    return curves == "all" or (curves == "first" and i == 0)


def fit_seeds(
    data, *, n_hidden, learning_rate, batch_size, epochs, seeds, output="sigmoid", curves="first"
) -> list[ll.History]:
    """One compiled Sequential model, given each seed's initial weights, fitted per seed.

    Like the low-level runs, the model (and its traced training function) is reused: only the
    weights are reset, so tracing happens in the first run's first epoch only.
    """
    model = compile_model(
        build_sequential(data.n_features, n_hidden, data.n_classes, output=output),
        learning_rate,
        output,
    )
    runs = []
    for i, seed in enumerate(seeds):
        model.set_weights(ll.init_weights(data.n_features, n_hidden, data.n_classes, seed))
        runs.append(
            fit_keras(
                model,
                data.x_train,
                data.y_train,
                epochs=epochs,
                batch_size=batch_size,
                seed=seed,
                x_test=data.x_test,
                y_test=data.y_test,
                eval_every_epoch=_every_epoch(curves, i),
            )
        )
    return runs


def summarize(label: str, runs: list[ll.History]) -> dict[str, float | str | int]:
    """One row of the comparison: timing of the first run's first epoch (with tracing),
    steady-state seconds per epoch (median over the later epochs of every run), totals per
    run (mean), and the test error's mean and sample standard deviation over the runs."""
    first = runs[0].timing()
    # Steady state: every epoch but the first run's first (later runs reuse the traced graph).
    wall = runs[0].wall[1:] + [w for run in runs[1:] for w in run.wall] or runs[0].wall
    cpu = runs[0].cpu[1:] + [c for run in runs[1:] for c in run.cpu] or runs[0].cpu
    errors = [run.final_test_error for run in runs]
    return {
        "implementation": label,
        "batch size": runs[0].batch_size,
        "tracing + first epoch (s)": first.trace_seconds + first.first_wall,
        "wall s / epoch": float(np.median(wall)),
        "CPU s / epoch": float(np.median(cpu)),
        "wall s / run": statistics.fmean(run.timing().total_wall for run in runs),
        "CPU s / run": statistics.fmean(run.timing().total_cpu for run in runs),
        "test error (%)": statistics.fmean(errors),
        "std over seeds": statistics.stdev(errors) if len(errors) > 1 else 0.0,
        "runs": len(runs),
    }
