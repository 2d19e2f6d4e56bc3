"""The MLP of Exercise 3 in low-level TensorFlow 2: variables, GradientTape, assign_sub.

D inputs → H hidden ReLU units → K sigmoid outputs, trained on one-hot targets with the mean
squared error (MSE) by plain mini-batch stochastic gradient descent (SGD). The optional variant
has a softmax output trained with the cross-entropy (``output="softmax"``); the optional
schedule is a piecewise-constant learning rate.

Only TensorFlow's core API is used — ``tf.Variable``, ``tf.matmul``, ``tf.GradientTape``,
``assign_sub`` — no Keras layers, models, losses or optimizers (a unit test checks it). The
lines a student writes sit between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the rest
checks the arguments, so that a mistake gets a message saying what was expected.

Timing, run histories, the compiled execution modes and the figures are tooling, in
:mod:`pw06.training`, :mod:`pw06.timing` and :mod:`pw06.plots`; they call these functions.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from pw06.tf_quiet import load

tf = load()

#: The lab configuration used by both MLP chapters (chosen so that the test error of sigmoid +
#: MSE lands in the lab's 8–12% band on the default data, robustly over seeds, in little time).
LAB_CONFIG = {"n_hidden": 300, "learning_rate": 3.0, "batch_size": 100, "epochs": 4}
#: The seeds of every multi-seed result (initial weights and mini-batch order).
LAB_SEEDS = (0, 1, 2, 3, 4)
#: The output layers and their losses: the lab's sigmoid + MSE, the optional softmax + CE.
OUTPUTS = ("sigmoid", "softmax")


def init_params(n_inputs: int, n_hidden: int, n_outputs: int, seed: int) -> list[tf.Variable]:
    """``[W1, b1, W2, b2]`` as float32 variables: Glorot-uniform weights, zero biases.

    Glorot (Xavier) uniform draws each weight of a layer from U(−a, a) with
    a = sqrt(6 / (fan_in + fan_out)), the default of a Keras ``Dense`` layer.
    """
    for name, value in (("n_inputs", n_inputs), ("n_hidden", n_hidden), ("n_outputs", n_outputs)):
        check_count(value, name)
    rng = np.random.default_rng([seed, 0])
    ### BEGIN SOLUTION
    a1 = math.sqrt(6.0 / (n_inputs + n_hidden))
    a2 = math.sqrt(6.0 / (n_hidden + n_outputs))
    w1 = rng.uniform(-a1, a1, size=(n_inputs, n_hidden)).astype(np.float32)
    w2 = rng.uniform(-a2, a2, size=(n_hidden, n_outputs)).astype(np.float32)
    W1 = tf.Variable(w1, name="W1")
    b1 = tf.Variable(tf.zeros([n_hidden]), name="b1")
    W2 = tf.Variable(w2, name="W2")
    b2 = tf.Variable(tf.zeros([n_outputs]), name="b2")
    ### END SOLUTION
    return [W1, b1, W2, b2]


def logits(params, x) -> tf.Tensor:
    """The output layer's pre-activations Z = ReLU(x W1 + b1) W2 + b2."""
    W1, b1, W2, b2 = params
    ### BEGIN SOLUTION
    h = tf.nn.relu(tf.matmul(x, W1) + b1)
    return tf.matmul(h, W2) + b2
    ### END SOLUTION


def forward(params, x) -> tf.Tensor:
    """The network's outputs sigmoid(Z), one row per example: the lab's network."""
    ### BEGIN SOLUTION
    return tf.sigmoid(logits(params, x))
    ### END SOLUTION


def forward_softmax(params, x) -> tf.Tensor:
    """The optional variant's outputs softmax(Z): each row is a probability distribution."""
    ### BEGIN SOLUTION
    return tf.nn.softmax(logits(params, x))
    ### END SOLUTION


def mse_loss(y, t) -> tf.Tensor:
    """The mean squared error between outputs ``y`` and one-hot targets ``t``, averaged over
    the examples and the outputs."""
    ### BEGIN SOLUTION
    return tf.reduce_mean(tf.square(y - t))
    ### END SOLUTION


def cross_entropy_loss(z, t) -> tf.Tensor:
    """The mean softmax cross-entropy of logits ``z`` against one-hot targets ``t``.

    Computed from the logits, never as log(softmax(z)): numerically stable.
    """
    ### BEGIN SOLUTION
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z))
    ### END SOLUTION


def model_loss(params, x, t, output: str = "sigmoid") -> tf.Tensor:
    """The training loss: MSE of the sigmoid outputs, or cross-entropy of the softmax."""
    if output == "sigmoid":
        return mse_loss(forward(params, x), t)
    if output == "softmax":
        return cross_entropy_loss(logits(params, x), t)
    raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")


def train_step(params, x, t, learning_rate, output: str = "sigmoid") -> tf.Tensor:
    """One SGD update on a mini-batch, p ← p − α ∂loss/∂p for every parameter; returns the
    loss before the update."""
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        loss = model_loss(params, x, t, output)
    grads = tape.gradient(loss, params)
    for p, g in zip(params, grads, strict=True):
        p.assign_sub(learning_rate * g)
    ### END SOLUTION
    return loss


def predict(params, x) -> np.ndarray:
    """The predicted class of each example: the output with the largest value."""
    x = check_inputs(x, params, "x")
    return np.argmax(logits(params, x).numpy(), axis=1)


def error_rate(params, x, labels) -> float:
    """The percentage of examples whose predicted class is not their label (integers)."""
    x, labels = check_inputs(x, params, "x"), check_labels(labels, params, len(x), "labels")
    ### BEGIN SOLUTION
    predicted = np.argmax(logits(params, x).numpy(), axis=1)
    return 100.0 * float(np.mean(predicted != labels))
    ### END SOLUTION


def piecewise_constant(epoch: int, boundaries, values) -> float:
    """The learning rate of ``epoch`` (0-based): ``values[i]`` from epoch ``boundaries[i-1]``
    on, e.g. boundaries (2,) and values (6.0, 3.0) give 6.0 for epochs 0–1, then 3.0."""
    ### BEGIN SOLUTION
    for boundary, value in zip(boundaries, values, strict=False):
        if epoch < boundary:
            return value
    return values[-1]
    ### END SOLUTION


@dataclass(frozen=True)
class PiecewiseConstant:
    """A piecewise-constant learning-rate schedule, boundaries in epochs; call it with the
    epoch: ``PiecewiseConstant((2,), (6.0, 3.0))(epoch)``."""

    boundaries: tuple[int, ...]
    values: tuple[float, ...]

    def __post_init__(self):
        check_schedule(self.boundaries, self.values)

    def __call__(self, epoch: int) -> float:
        return float(piecewise_constant(epoch, self.boundaries, self.values))


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; the message names the epoch and step."""


@dataclass
class History:
    """What ``fit`` records: the loss of every step, and the learning rate of every epoch."""

    step_loss: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)

    def add_epoch(self, epoch: int, losses: list[float], learning_rate: float) -> None:
        """Record one epoch; stop with :class:`NonFiniteLossError` on a NaN or infinite loss."""
        bad = [i for i, loss in enumerate(losses) if not math.isfinite(loss)]
        if bad:
            raise NonFiniteLossError(
                f"the training loss became {losses[bad[0]]} at epoch {epoch}, step {bad[0]} "
                f"(learning rate {learning_rate:g}); try a smaller learning_rate"
            )
        self.step_loss.extend(losses)
        self.learning_rate.append(float(learning_rate))


def fit(
    params,
    x,
    t,
    *,
    epochs: int,
    batch_size: int,
    learning_rate,
    seed: int,
    output: str = "sigmoid",
    step=train_step,
    on_epoch_end=None,
) -> History:
    """Train ``params`` on inputs ``x`` and one-hot targets ``t`` with mini-batch SGD.

    Each epoch visits the examples in a new random order (fixed by ``seed``), one ``step`` per
    mini-batch. ``learning_rate`` is a number or a schedule (a function of the epoch, such as
    :class:`PiecewiseConstant`). ``on_epoch_end(epoch, history)``, if given, runs after each
    epoch (the tooling evaluates and times there).
    """
    x, t = check_inputs(x, params, "x"), check_targets(t, params, len(x), "t")
    check_count(epochs, "epochs")
    check_count(batch_size, "batch_size")
    rng = np.random.default_rng([seed, 1])
    history = History()
    for epoch in range(epochs):
        rate = learning_rate(epoch) if callable(learning_rate) else learning_rate
        order = rng.permutation(len(x))
        ### BEGIN SOLUTION
        losses = []
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            loss = step(params, tf.gather(x, batch), tf.gather(t, batch), rate, output)
            losses.append(float(loss))
        ### END SOLUTION
        history.add_epoch(epoch, losses, rate)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    return history


# --- Checks: a wrong argument gets a message that names it and says what was expected -------


def check_count(value, name: str) -> int:
    """``value`` if it is a positive integer, else ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_schedule(boundaries, values) -> None:
    """``ValueError`` unless ``values`` has one rate more than ``boundaries``, the boundaries
    are positive increasing epochs and the rates positive and finite."""
    boundaries, values = tuple(boundaries), tuple(values)
    if len(values) != len(boundaries) + 1:
        raise ValueError(
            f"a schedule needs one more value than boundaries, got {len(boundaries)} "
            f"boundaries and {len(values)} values"
        )
    if any(b <= 0 for b in boundaries) or any(b <= a for a, b in itertools.pairwise(boundaries)):
        raise ValueError(f"boundaries must be positive and increasing epochs, got {boundaries}")
    if not all(v > 0 and math.isfinite(v) for v in values):
        raise ValueError(f"learning rates (values) must be positive and finite, got {values}")


def check_inputs(x, params, name: str = "x") -> tf.Tensor:
    """``x`` as float32 (n, D) for the network ``params``; refuses unscaled 0–255 pixels."""
    n_inputs = int(params[0].shape[0])
    array = np.asarray(x, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != n_inputs:
        raise ValueError(
            f"{name} must have shape (n_examples, {n_inputs}) — {n_inputs} features per "
            f"example, as many as W1 has rows — but has shape {array.shape}"
        )
    if len(array) == 0:
        raise ValueError(f"{name} must hold at least one example, got none")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if array.max() > 1.0 or array.min() < 0.0:
        raise ValueError(
            f"{name} holds values from {array.min():g} to {array.max():g}, but the network "
            "expects pixels scaled to [0, 1]: divide the 0–255 pixels by 255 "
            "(pw06.data.preprocess does it)"
        )
    return tf.constant(array)


def check_targets(t, params, n_examples: int, name: str = "t") -> tf.Tensor:
    """``t`` as float32 one-hot targets (n_examples, K) for the network ``params``."""
    n_outputs = int(params[-1].shape[0])
    array = np.asarray(t, dtype=np.float32)
    if array.shape != (n_examples, n_outputs):
        hint = (
            " (integer labels? one-hot encode them: pw06.data.one_hot)" if array.ndim == 1 else ""
        )
        raise ValueError(
            f"{name} must be one-hot targets of shape ({n_examples}, {n_outputs}) — one row "
            f"per example of x, one column per output — but has shape {array.shape}{hint}"
        )
    if not (np.isin(array, (0.0, 1.0)).all() and np.all(array.sum(axis=1) == 1)):
        raise ValueError(f"{name} must be one-hot: each row has a single 1, the rest 0")
    return tf.constant(array)


def check_labels(labels, params, n_examples: int, name: str = "labels") -> np.ndarray:
    """``labels`` as integers 0..K−1, one per example, for the network ``params``."""
    n_outputs = int(params[-1].shape[0])
    array = np.asarray(labels)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"{name} must be a 1-D array of integer classes 0..{n_outputs - 1}, "
            f"got shape {array.shape} and dtype {array.dtype}"
        )
    if len(array) != n_examples:
        raise ValueError(
            f"{name} must have one label per example: {n_examples} examples, {len(array)} labels"
        )
    if array.min() < 0 or array.max() >= n_outputs:
        raise ValueError(
            f"{name} must be in 0..{n_outputs - 1}, got values from {array.min()} to {array.max()}"
        )
    return array.astype(np.int64)
