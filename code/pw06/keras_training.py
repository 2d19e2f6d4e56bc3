"""Tooling around the Keras lesson (:mod:`pw06.keras_mlp`): fit, time
and evaluate its models the way :mod:`pw06.training` runs the
low-level network.

Every run is timed epoch by epoch, wall and CPU (:mod:`pw06.timing`),
into the same :class:`pw06.training.Run` records as the low-level
runs; the first epoch, which includes ``fit``'s set-up and the tracing
of the training graph, is kept apart. :func:`pw06.training.fit_seeds`
with ``mode="keras"`` trains one run per seed through
:class:`KerasTrainer`. Lines are at most 72 characters: the pages show
this code.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from pw06 import keras_mlp as km
from pw06 import lowlevel_mlp as ll
from pw06 import training
from pw06.tf_quiet import load
from pw06.timing import Stopwatch

tf = load()
import keras  # noqa: E402  (after TensorFlow: its start-up log stays hidden)

#: How ``fit_keras`` orders the examples (``Settings.order``).
ORDERS = training.ORDERS


class _BatchProbe(keras.layers.Layer):
    """Identity layer recording the batch size of every call (eager
    runs only)."""

    def __init__(self):
        super().__init__()
        self.sizes: list[int] = []

    def call(self, x):
        if x.shape[0] is not None:  # None while Keras builds the model
            self.sizes.append(int(x.shape[0]))
        return x


@functools.cache
def default_batch_size() -> int:
    """The batch size ``model.fit`` uses when none is given, observed
    on a tiny model run eagerly: a probe layer sees each mini-batch."""
    probe = _BatchProbe()
    layers = [keras.Input(shape=(1,)), probe, keras.layers.Dense(1)]
    model = keras.Sequential(layers)
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    zeros = np.zeros((100, 1), np.float32)
    model.fit(zeros, zeros, epochs=1, verbose=0)
    return max(probe.sizes)


class EpochClock(keras.callbacks.Callback):
    """Times each epoch of ``fit`` (wall and CPU) into a ``Run``, then
    evaluates.

    The first epoch is timed from ``start()`` — called just before
    ``fit`` — so it includes ``fit``'s set-up (every run) and the
    tracing of Keras's training function (the first run): the record
    says so (``setup_epochs``), and it is never a timed repeat. The
    evaluation after each epoch (training loss and error, test error)
    is not timed. ``train``, ``test``: ``training.Examples`` (``test``
    may be None). ``stopwatch``: a :class:`pw06.timing.Stopwatch`,
    whose clocks a test may replace.
    """

    def __init__(
        self,
        record,
        train,
        test=None,
        *,
        every_epoch=True,
        stopwatch=None,
    ):
        super().__init__()
        self.record = record  # a training.Run
        self.train, self.test = train, test
        self.every_epoch = every_epoch
        self.stopwatch = stopwatch or Stopwatch()

    def start(self) -> None:
        self.stopwatch.start()

    def on_epoch_begin(self, epoch, logs=None):
        if epoch > 0:
            self.start()

    def on_epoch_end(self, epoch, logs=None):
        wall, cpu = self.stopwatch.stop()
        record = self.record
        record.wall.append(wall)
        record.cpu.append(cpu)
        rate = self.model.optimizer.learning_rate.numpy()
        record.learning_rate.append(float(rate))
        last = epoch == self.params["epochs"] - 1
        if not (self.every_epoch or last):
            return
        loss, train_error = evaluate(self.model, *self.train)
        record.loss.append(loss)
        record.train_error.append(train_error)
        if self.test is not None:
            test_error = evaluate(self.model, *self.test)[1]
            record.test_error.append(test_error)


def evaluate(model, x, labels) -> tuple[float, float]:
    """(loss, error rate in percent) of a compiled Keras model on
    inputs and integer labels."""
    outputs = model(x, training=False)
    targets = tf.one_hot(labels, outputs.shape[-1])
    loss = float(model.loss(targets, outputs))
    predicted = np.argmax(outputs.numpy(), axis=1)
    return loss, 100.0 * float(np.mean(predicted != np.asarray(labels)))


def ordered_batches(x, targets, orders, batch_size):
    """The mini-batches of every epoch, in ``orders`` (one row of
    example indices per epoch), as one ``tf.data.Dataset``."""
    x, targets = tf.constant(x), tf.constant(targets)

    def epoch(order):
        indices = tf.data.Dataset.from_tensor_slices(order)
        return indices.batch(batch_size)

    def gather(batch):
        return tf.gather(x, batch), tf.gather(targets, batch)

    epochs = tf.data.Dataset.from_tensor_slices(orders)
    batches = epochs.flat_map(epoch).map(gather)
    return batches.prefetch(tf.data.AUTOTUNE)


def _fit_inputs(train, targets, settings, batch) -> dict:
    """``model.fit``'s data arguments for ``settings.order``."""
    if settings.order == "keras":
        return dict(x=train.x, y=targets, batch_size=settings.batch_size)
    n = len(train.x)
    orders = training.shuffled_orders(n, settings.epochs, settings.seed)
    batches = ordered_batches(train.x, targets, orders, batch)
    steps = -(-n // batch)
    return dict(x=batches, steps_per_epoch=steps, shuffle=False)


def fit_keras(
    model,
    train,
    settings,
    *,
    test=None,
    every_epoch=True,
    callbacks=(),
    stopwatch=None,
) -> training.Run:
    """``model.fit`` on ``train`` (a ``training.Examples``) with
    ``settings`` (a ``training.Settings``), timed; a ``batch_size`` of
    None leaves the batch size to Keras.

    ``settings.order="keras"``: Keras shuffles, seeded by the seed;
    ``"lowlevel"``: each epoch visits the examples in the order of the
    low-level loop for the seed (``training.shuffled_orders``), fed by
    ``ordered_batches``. The model keeps its weights (set them with
    ``model.set_weights(initial_weights(...))`` for a new run).
    The optimizer takes the settings' learning rate (a number).
    ``callbacks``: more callbacks, after the timing one.
    """
    if callable(settings.learning_rate):
        message = "mode='keras' takes a number as learning_rate"
        raise ValueError(f"{message}, got {settings.learning_rate!r}")
    model.optimizer.learning_rate.assign(settings.learning_rate)
    weights = model.weights  # [W1, b1, W2, b2]: the lesson's checks
    train = train.checked(weights, "train", numpy=True)
    if test is not None:
        test = test.checked(weights, "test", numpy=True)
    keras.utils.set_random_seed(settings.seed)
    batch = settings.batch_size or default_batch_size()
    record = training.Run("keras", settings.seed, batch)
    record.setup_epochs = 1  # epoch 0 is timed with fit's set-up
    record.train_examples = len(train.x)
    record.initial_loss = evaluate(model, *train)[0]
    clock = EpochClock(record, train, test, every_epoch=every_epoch)
    clock.stopwatch = stopwatch or clock.stopwatch
    targets = np.eye(model.output_shape[-1], dtype=np.float32)
    inputs = _fit_inputs(train, targets[train.labels], settings, batch)
    clock.start()
    model.fit(
        **inputs,
        epochs=settings.epochs,
        verbose=0,
        callbacks=[clock, *callbacks],
    )
    if not all(math.isfinite(v) for v in record.loss):
        message = f"the Keras training loss became {record.loss}"
        raise ll.NonFiniteLossError(message)
    if test is not None:
        outputs = model(test.x, training=False).numpy()
        record.test_predictions = np.argmax(outputs, axis=1)
        record.test_correct = record.test_predictions == test.labels
    weights = model.get_weights()
    record.weights_digest = training.weights_digest(weights)
    return record


class KerasTrainer:
    """One compiled Sequential model, re-used across runs and seeds:
    ``run`` gives it the seed's initial weights, so Keras traces its
    training function in the first run's first epoch only."""

    def __init__(self, sizes, *, output="sigmoid", learning_rate=0.1):
        self.sizes = tuple(sizes)  # (n_inputs, n_hidden, n_outputs)
        self.output = output
        model = km.build_sequential(*self.sizes, output=output)
        self.model = km.compile_model(model, learning_rate, output)
        self.params = self.model.weights

    def run(self, train, settings, *, test=None, every_epoch=True):
        """``fit_keras`` from the initial weights of the seed."""
        training.check_same_output(settings, self.output)
        weights = km.initial_weights(*self.sizes, settings.seed)
        self.model.set_weights(weights)
        return fit_keras(self.model, train, settings, test=test, every_epoch=every_epoch)
