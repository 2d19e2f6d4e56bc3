"""The MLP of Exercise 3 again, in Keras (Exercise 4): both APIs,
``compile`` and ``fit``.

The network of :mod:`pw06.lowlevel_mlp` — D inputs, H ReLU units, K
sigmoid outputs trained with the MSE (or, with ``output="softmax"``,
linear outputs trained with the softmax cross-entropy of the logits) —
with the same initial weights for the same seed, the same loss and
plain SGD at the same learning rate. Built twice: with the Sequential
API and with the Functional API.

For the comparison (:mod:`pw06.comparison`), every run is timed epoch
by epoch, wall and CPU (:mod:`pw06.timing`), into the same
:class:`pw06.training.Run` records as the low-level runs; the first
epoch, which includes tracing the training graph, is kept apart.
Lines are at most 72 characters: the pages show this code.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from pw06 import lowlevel_mlp as ll
from pw06 import training
from pw06.data import N_CLASSES, N_FEATURES
from pw06.lowlevel_mlp import init_params
from pw06.tf_quiet import load
from pw06.timing import Stopwatch

tf = load()
import keras  # noqa: E402  (after TensorFlow: its start-up log stays hidden)


def _output_activation(output: str):
    """The output layer's activation; softmax models output logits,
    and their loss applies the softmax (numerically stable)."""
    if output not in ll.OUTPUTS:
        raise ValueError(f"output must be one of {ll.OUTPUTS}, got {output!r}")
    return "sigmoid" if output == "sigmoid" else None


def initial_weights(n_inputs, n_hidden, n_outputs, seed) -> list:
    """The low-level chapter's initial ``[W1, b1, W2, b2]`` for
    ``seed``, as NumPy arrays (``init_params`` checks the sizes)."""
    params = init_params(n_inputs, n_hidden, n_outputs, seed)  # a workbook's own
    return [p.numpy() for p in params]


def build_sequential(
    n_inputs=N_FEATURES,
    n_hidden=300,
    n_outputs=N_CLASSES,
    *,
    output="sigmoid",
    seed=0,
) -> keras.Sequential:
    """The MLP as a ``keras.Sequential`` stack, initialised like
    ``ll.init_params(..., seed)``."""
    weights = initial_weights(n_inputs, n_hidden, n_outputs, seed)
    activation = _output_activation(output)
    ### BEGIN SOLUTION
    model = keras.Sequential(
        [
            keras.Input(shape=(n_inputs,), name="pixels"),
            keras.layers.Dense(n_hidden, "relu", name="hidden"),
            keras.layers.Dense(n_outputs, activation, name="output"),
        ],
        name="mlp_sequential",
    )
    ### END SOLUTION
    model.set_weights(weights)
    return model


def build_functional(
    n_inputs=N_FEATURES,
    n_hidden=300,
    n_outputs=N_CLASSES,
    *,
    output="sigmoid",
    seed=0,
) -> keras.Model:
    """The same MLP with the Functional API: layers called on
    tensors, from ``keras.Input`` to ``keras.Model``."""
    weights = initial_weights(n_inputs, n_hidden, n_outputs, seed)
    activation = _output_activation(output)
    ### BEGIN SOLUTION
    inputs = keras.Input(shape=(n_inputs,), name="pixels")
    hidden = keras.layers.Dense(n_hidden, "relu", name="hidden")
    last = keras.layers.Dense(n_outputs, activation, name="output")
    outputs = last(hidden(inputs))
    model = keras.Model(inputs, outputs, name="mlp_functional")
    ### END SOLUTION
    model.set_weights(weights)
    return model


def compile_model(model, learning_rate, output="sigmoid"):
    """Plain SGD and the loss of the low-level model: the MSE, or
    the cross-entropy from the logits."""
    _output_activation(output)
    ### BEGIN SOLUTION
    if output == "sigmoid":
        loss = keras.losses.MeanSquaredError()
    else:
        loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    sgd = keras.optimizers.SGD(learning_rate=learning_rate)
    model.compile(optimizer=sgd, loss=loss)
    ### END SOLUTION
    return model


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
    is not timed. ``stopwatch``: a :class:`pw06.timing.Stopwatch`,
    whose clocks a test may replace.
    """

    def __init__(self, record, data, every_epoch=True, stopwatch=None):
        super().__init__()
        self.record = record  # a training.Run
        self.data = data  # (x, labels, x_test, labels_test)
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
        x, labels, x_test, labels_test = self.data
        loss, train_error = evaluate(self.model, x, labels)
        record.loss.append(loss)
        record.train_error.append(train_error)
        if x_test is not None:
            test_error = evaluate(self.model, x_test, labels_test)[1]
            record.test_error.append(test_error)


def evaluate(model, x, labels) -> tuple[float, float]:
    """(loss, error rate in percent) of a compiled Keras model on
    inputs and integer labels."""
    outputs = model(x, training=False)
    targets = tf.one_hot(labels, outputs.shape[-1])
    loss = float(model.loss(targets, outputs))
    predicted = np.argmax(outputs.numpy(), axis=1)
    return loss, 100.0 * float(np.mean(predicted != np.asarray(labels)))


#: How ``fit_keras`` orders the examples: Keras shuffles them with its
#: own generator, or it visits them in the low-level loop's order.
ORDERS = ("keras", "lowlevel")


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


def fit_keras(
    model,
    x_train,
    y_train,
    *,
    epochs,
    batch_size,
    seed,
    x_test=None,
    y_test=None,
    every_epoch=True,
    callbacks=(),
    stopwatch=None,
    order="keras",
) -> training.Run:
    """``model.fit`` on one-hot targets, timed; ``batch_size=None``
    leaves the batch size to Keras.

    ``order="keras"``: Keras shuffles, seeded by ``seed``;
    ``"lowlevel"``: each epoch visits the examples in the order of the
    low-level loop for ``seed`` (``training.shuffled_orders``), fed by
    ``ordered_batches``. The model keeps its weights (set them with
    ``model.set_weights(initial_weights(...))`` for a new run).
    ``callbacks``: more callbacks, after the timing one.
    """
    weights = model.weights  # [W1, b1, W2, b2]: the lesson's checks
    x_train = ll.check_inputs(x_train, weights, "x_train").numpy()
    n = len(x_train)
    y_train = ll.check_labels(y_train, weights, n, "y_train")
    if x_test is not None:
        x_test = ll.check_inputs(x_test, weights, "x_test").numpy()
        n_test = len(x_test)
        y_test = ll.check_labels(y_test, weights, n_test, "y_test")
    ll.check_count(epochs, "epochs")
    if batch_size is not None:
        ll.check_count(batch_size, "batch_size")
    if order not in ORDERS:
        message = f"order must be one of {ORDERS}, got {order!r}"
        raise ValueError(message)
    keras.utils.set_random_seed(seed)
    batch = batch_size or default_batch_size()
    record = training.Run(mode="keras", seed=seed, batch_size=batch)
    record.setup_epochs = 1  # epoch 0 is timed with fit's set-up
    record.train_examples = n
    record.initial_loss = evaluate(model, x_train, y_train)[0]
    data = (x_train, y_train, x_test, y_test)
    clock = EpochClock(record, data, every_epoch, stopwatch)
    k = model.output_shape[-1]
    targets = np.eye(k, dtype=np.float32)[y_train]
    if order == "keras":
        inputs = dict(x=x_train, y=targets, batch_size=batch_size)
    else:
        orders = training.shuffled_orders(n, epochs, seed)
        batches = ordered_batches(x_train, targets, orders, batch)
        steps = -(-n // batch)
        inputs = dict(x=batches, steps_per_epoch=steps, shuffle=False)
    clock.start()
    model.fit(
        **inputs,
        epochs=epochs,
        verbose=0,
        callbacks=[clock, *callbacks],
    )
    if not all(math.isfinite(v) for v in record.loss):
        message = f"the Keras training loss became {record.loss}"
        raise ll.NonFiniteLossError(message)
    if x_test is not None:
        outputs = model(x_test, training=False).numpy()
        record.test_predictions = np.argmax(outputs, axis=1)
        record.test_correct = record.test_predictions == y_test
    record.weights_digest = training.weights_digest(model.get_weights())
    return record


def fit_seeds(
    data,
    *,
    n_hidden,
    learning_rate,
    batch_size,
    epochs,
    seeds,
    output="sigmoid",
    curves="first",
    order="keras",
) -> list[training.Run]:
    """One compiled Sequential model, given each seed's initial weights, fitted per seed.

    Like the low-level runs, the model (and its traced training function) is reused: only the
    weights are reset, so tracing happens in the first run's first epoch only. ``order``: see
    :func:`fit_keras`.
    """
    seeds, curves = training.check_seeds(seeds), training.check_curves(curves)
    sizes = (data.n_features, n_hidden, data.n_classes)
    model = compile_model(build_sequential(*sizes, output=output), learning_rate, output)
    training.check_data(data, model.weights)
    runs = []
    for i, seed in enumerate(seeds):
        model.set_weights(initial_weights(*sizes, seed))
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
                every_epoch=curves == "all" or (curves == "first" and i == 0),
                order=order,
            )
        )
    return runs
