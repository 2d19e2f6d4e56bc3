"""The MLP of Exercise 3 in low-level TensorFlow 2: variables,
GradientTape, assign_sub.

D inputs → H hidden ReLU units → K sigmoid outputs, trained on one-hot
targets with the mean squared error (MSE) by plain mini-batch
stochastic gradient descent (SGD). The optional variant has a softmax
output trained with the cross-entropy (``output="softmax"``); the
optional schedule is a piecewise-constant learning rate.

Only TensorFlow's core API is used — ``tf.Variable``, ``tf.matmul``,
``tf.GradientTape``, ``assign_sub`` — no Keras layers, models, losses
or optimizers (a unit test checks it). The lines a student writes sit
between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the rest checks
the arguments, so that a mistake gets a message saying what was
expected. Lines are at most 72 characters: the pages show this code.

Timing, run histories, the compiled execution modes and the figures
are tooling, in :mod:`pw06.training`, :mod:`pw06.timing` and
:mod:`pw06.plots`; they call the functions of this module.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from pw06.tf_quiet import load

tf = load()

#: The lab configuration of both MLP chapters: the test error of
#: sigmoid + MSE lands in the lab's 8–12% band on the default data,
#: robustly over seeds, in little time.
LAB_CONFIG = {
    "n_hidden": 300,
    "learning_rate": 3.0,
    "batch_size": 100,
    "epochs": 4,
}
#: The seeds of every multi-seed result (weights and mini-batch order).
LAB_SEEDS = (0, 1, 2, 3, 4)
#: The output layers: the lab's sigmoid (with the MSE), the optional
#: softmax (with the cross-entropy).
OUTPUTS = ("sigmoid", "softmax")


def init_params(n_inputs, n_hidden, n_outputs, seed) -> list:
    """``[W1, b1, W2, b2]`` as float32 ``tf.Variable``: Glorot-uniform
    weights, zero biases.

    Glorot (Xavier) uniform draws the weights of a layer from U(−a, a),
    a = sqrt(6 / (fan_in + fan_out)): Keras's default for ``Dense``.
    """
    check_count(n_inputs, "n_inputs")
    check_count(n_hidden, "n_hidden")
    check_count(n_outputs, "n_outputs")
    rng = np.random.default_rng([seed, 0])
    ### BEGIN SOLUTION
    a1 = math.sqrt(6.0 / (n_inputs + n_hidden))
    a2 = math.sqrt(6.0 / (n_hidden + n_outputs))
    w1 = rng.uniform(-a1, a1, size=(n_inputs, n_hidden))
    w2 = rng.uniform(-a2, a2, size=(n_hidden, n_outputs))
    W1 = tf.Variable(w1.astype(np.float32), name="W1")
    b1 = tf.Variable(tf.zeros([n_hidden]), name="b1")
    W2 = tf.Variable(w2.astype(np.float32), name="W2")
    b2 = tf.Variable(tf.zeros([n_outputs]), name="b2")
    ### END SOLUTION
    return [W1, b1, W2, b2]


def logits(params, x) -> tf.Tensor:
    """The outputs' pre-activations Z = ReLU(x W1 + b1) W2 + b2."""
    W1, b1, W2, b2 = params
    ### BEGIN SOLUTION
    h = tf.nn.relu(tf.matmul(x, W1) + b1)
    return tf.matmul(h, W2) + b2
    ### END SOLUTION


def forward(params, x) -> tf.Tensor:
    """The lab's network: outputs sigmoid(Z), one row per example."""
    ### BEGIN SOLUTION
    return tf.sigmoid(logits(params, x))
    ### END SOLUTION


def forward_softmax(params, x) -> tf.Tensor:
    """The optional variant's outputs softmax(Z): each row sums to 1."""
    ### BEGIN SOLUTION
    return tf.nn.softmax(logits(params, x))
    ### END SOLUTION


def mse_loss(y, t) -> tf.Tensor:
    """The mean squared error between outputs ``y`` and one-hot
    targets ``t``, averaged over the examples and the outputs."""
    ### BEGIN SOLUTION
    return tf.reduce_mean(tf.square(y - t))
    ### END SOLUTION


def cross_entropy_loss(z, t) -> tf.Tensor:
    """The mean softmax cross-entropy of logits ``z`` against one-hot
    targets ``t``, computed from the logits (numerically stable)."""
    ### BEGIN SOLUTION
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z))
    ### END SOLUTION


def model_loss(params, x, t, output="sigmoid") -> tf.Tensor:
    """The training loss: MSE of the sigmoid outputs, or the
    cross-entropy of the softmax."""
    if output == "sigmoid":
        return mse_loss(forward(params, x), t)
    if output == "softmax":
        return cross_entropy_loss(logits(params, x), t)
    raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")


def train_step(params, x, t, learning_rate, output="sigmoid"):
    """One SGD update on a mini-batch: p ← p − α ∂loss/∂p for every
    parameter p. Returns the loss before the update."""
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        loss = model_loss(params, x, t, output)
    grads = tape.gradient(loss, params)
    for p, g in zip(params, grads, strict=True):
        p.assign_sub(learning_rate * g)
    ### END SOLUTION
    return loss


def predict(params, x) -> np.ndarray:
    """The predicted class of each example: its largest output."""
    x = check_inputs(x, params, "x")
    return np.argmax(logits(params, x).numpy(), axis=1)


def error_rate(params, x, labels) -> float:
    """The percentage of examples whose predicted class is not their
    label (an integer class)."""
    x = check_inputs(x, params, "x")
    labels = check_labels(labels, params, len(x), "labels")
    ### BEGIN SOLUTION
    predicted = np.argmax(logits(params, x).numpy(), axis=1)
    return 100.0 * float(np.mean(predicted != labels))
    ### END SOLUTION


def piecewise_constant(epoch, boundaries, values) -> float:
    """The learning rate of ``epoch`` (from 0): ``values[i]`` from
    epoch ``boundaries[i-1]`` on. Boundaries (2,) and values
    (6.0, 3.0) give 6.0 for epochs 0 and 1, then 3.0."""
    ### BEGIN SOLUTION
    for boundary, value in zip(boundaries, values, strict=False):
        if epoch < boundary:
            return value
    return values[-1]
    ### END SOLUTION


@dataclass(frozen=True)
class PiecewiseConstant:
    """A piecewise-constant schedule, boundaries in epochs; called
    with the epoch: ``PiecewiseConstant((2,), (6.0, 3.0))(epoch)``."""

    boundaries: tuple[int, ...]
    values: tuple[float, ...]

    def __post_init__(self):
        check_schedule(self.boundaries, self.values)

    def __call__(self, epoch: int) -> float:
        rate = piecewise_constant(epoch, self.boundaries, self.values)
        return float(rate)


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite (epoch and step)."""


@dataclass
class History:
    """What ``fit`` records: the loss of every step, the learning rate
    of every epoch."""

    step_loss: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)

    def add_epoch(self, epoch, losses, learning_rate) -> None:
        """Record one epoch; a NaN or infinite loss stops training."""
        bad = [i for i, v in enumerate(losses) if not math.isfinite(v)]
        if bad:
            raise NonFiniteLossError(
                f"the training loss became {losses[bad[0]]} at epoch "
                f"{epoch}, step {bad[0]} (learning rate "
                f"{learning_rate:g}); try a smaller learning_rate"
            )
        self.step_loss.extend(losses)
        self.learning_rate.append(float(learning_rate))


def fit(
    params,
    x,
    t,
    *,
    epochs,
    batch_size,
    learning_rate,
    seed,
    output="sigmoid",
    step=train_step,
    on_epoch_end=None,
) -> History:
    """Mini-batch SGD of ``params`` on inputs ``x``, one-hot targets
    ``t``: one ``step`` per batch, each epoch in an order fixed by
    ``seed``. ``learning_rate``: > 0, or a :class:`PiecewiseConstant`
    of the epoch, read by ``step`` from a ``tf.Variable`` (no re-trace
    for a new rate). ``on_epoch_end(epoch, history)``: after each."""
    x = check_inputs(x, params, "x")
    t = check_targets(t, params, len(x), "t")
    check_count(epochs, "epochs")
    check_count(batch_size, "batch_size")
    check_learning_rate(learning_rate)
    rng = np.random.default_rng([seed, 1])
    history = History()
    rate_var = tf.Variable(0.0, trainable=False)
    for epoch in range(epochs):
        rate = learning_rate
        if callable(learning_rate):
            rate = learning_rate(epoch)
        rate_var.assign(rate)
        order = rng.permutation(len(x))
        # x, t: tensors (tf.gather); losses: float(loss) of each step
        ### BEGIN SOLUTION
        losses = []
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            x_batch, t_batch = tf.gather(x, batch), tf.gather(t, batch)
            loss = step(params, x_batch, t_batch, rate_var, output)
            losses.append(float(loss))
        ### END SOLUTION
        history.add_epoch(epoch, losses, rate)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    return history


# --- Checks: a message that names the argument and what was expected


def check_count(value, name: str) -> int:
    """``value`` if it is a positive integer, else ``ValueError``."""
    integer = isinstance(value, int | np.integer)
    if isinstance(value, bool) or not integer or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_learning_rate(value, name="learning_rate") -> None:
    """``ValueError`` unless ``value`` is a positive, finite number
    (a rate <= 0 would not descend the loss) or a schedule: a
    function of the epoch, whose rates are checked when it is made."""
    if callable(value):
        return
    number = isinstance(value, int | float | np.floating | np.integer)
    if isinstance(value, bool) or not number or not 0 < value < math.inf:
        message = f"{name} must be a positive, finite number"
        raise ValueError(f"{message}, got {value!r}")


def check_schedule(boundaries, values) -> None:
    """``ValueError`` unless there is one rate more than boundaries,
    the boundaries are positive increasing epochs and the rates are
    positive and finite."""
    boundaries, values = tuple(boundaries), tuple(values)
    if len(values) != len(boundaries) + 1:
        raise ValueError(
            "a schedule needs one more value than boundaries, got "
            f"{len(boundaries)} boundaries and {len(values)} values"
        )
    pairs = itertools.pairwise(boundaries)
    if any(b <= 0 for b in boundaries) or any(b <= a for a, b in pairs):
        raise ValueError(f"boundaries must be positive and increasing epochs, got {boundaries}")
    if not all(v > 0 and math.isfinite(v) for v in values):
        raise ValueError(f"learning rates (values) must be positive and finite, got {values}")


def check_inputs(x, params, name="x") -> tf.Tensor:
    """``x`` as float32 (n, D) for the network ``params``; refuses
    pixels left at 0–255."""
    n_inputs = int(params[0].shape[0])
    array = np.asarray(x, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != n_inputs:
        raise ValueError(
            f"{name} must have shape (n_examples, {n_inputs}) — "
            f"{n_inputs} features per example, as W1 has {n_inputs} "
            f"rows — but has shape {array.shape}"
        )
    if len(array) == 0:
        raise ValueError(f"{name} must hold at least one example")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    low, high = array.min(), array.max()
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"{name} holds values from {low:g} to {high:g}, but the "
            "network expects pixels scaled to [0, 1]: divide the "
            "0–255 pixels by 255 (pw06.data.preprocess does it)"
        )
    return tf.constant(array)


def check_targets(t, params, n_examples, name="t") -> tf.Tensor:
    """``t`` as float32 one-hot targets (n_examples, K)."""
    n_outputs = int(params[-1].shape[0])
    array = np.asarray(t, dtype=np.float32)
    if array.shape != (n_examples, n_outputs):
        hint = ""
        if array.ndim == 1:
            hint = " (labels? one-hot encode them: pw06.data.one_hot)"
        raise ValueError(
            f"{name} must be one-hot targets of shape ({n_examples}, "
            f"{n_outputs}) — one row per example of x, one column per "
            f"output — but has shape {array.shape}{hint}"
        )
    one_hot = np.isin(array, (0.0, 1.0)).all()
    if not (one_hot and np.all(array.sum(axis=1) == 1)):
        raise ValueError(f"{name} must be one-hot: each row has a single 1, the rest 0")
    return tf.constant(array)


def check_labels(labels, params, n_examples, name="labels"):
    """``labels`` as integers 0..K−1, one per example."""
    k = int(params[-1].shape[0])
    array = np.asarray(labels)
    integers = np.issubdtype(array.dtype, np.integer)
    if array.ndim != 1 or not integers:
        raise ValueError(
            f"{name} must be a 1-D array of integer classes "
            f"0..{k - 1}, got shape {array.shape} and dtype "
            f"{array.dtype}"
        )
    if len(array) != n_examples:
        raise ValueError(
            f"{name} must have one label per example: {n_examples} examples, {len(array)} labels"
        )
    if array.min() < 0 or array.max() >= k:
        raise ValueError(
            f"{name} must be in 0..{k - 1}, got values from {array.min()} to {array.max()}"
        )
    return array.astype(np.int64)
