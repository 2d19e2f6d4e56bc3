"""The MLP of Exercise 3 in low-level TensorFlow 2: variables, GradientTape, tf.function.

D inputs → H hidden ReLU units → K outputs. The lab's network has sigmoid outputs trained with
the mean squared error (MSE) on one-hot targets; ``output="softmax"`` gives the optional variant,
a softmax output trained with the cross-entropy computed from the logits.

Only TensorFlow's core API is used here — ``tf.Variable``, ``tf.matmul``, ``tf.GradientTape``,
``assign_sub``, ``tf.function`` — no high-level layers, models, losses or optimizers (a unit
test checks it). Training is plain mini-batch stochastic gradient descent (SGD).

Three ways to run the same training step, for the chapter and the benchmark:

``"eager"``  a Python loop calling the step eagerly, operation by operation;
``"step"``   a Python loop calling the step compiled with ``tf.function``;
``"graph"``  the whole epoch (shuffled mini-batches, schedule, step) compiled into one graph.

The learning rate is a ``tf.Variable`` read by the compiled graph, so changing it (the piecewise
schedule) never re-traces the graph.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from pw06.lowlevel_mlp import LAB_CONFIG, LAB_SEEDS  # noqa: F401  (re-exported)
from pw06.tf_quiet import load

tf = load()

OUTPUTS = ("sigmoid", "softmax")
MODES = ("eager", "step", "graph")


#: What "converged" means for a run (``History.converged``): the final training loss is below
#: this fraction of the initial loss, and the training error (percent) below this bound.
CONVERGED_LOSS_FRACTION = 0.5
CONVERGED_MAX_TRAIN_ERROR = 50.0


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; the message names the epoch and step."""


def init_weights(n_inputs: int, n_hidden: int, n_outputs: int, seed: int) -> list[np.ndarray]:
    """Initial ``[W1, b1, W2, b2]`` (float32): Glorot-uniform weights, zero biases.

    Glorot (Xavier) uniform draws each weight of a layer from U(−a, a) with
    a = sqrt(6 / (fan_in + fan_out)); it is also the default of a Keras ``Dense`` layer.
    """
    rng = np.random.default_rng([seed, 0])
    a1 = math.sqrt(6.0 / (n_inputs + n_hidden))
    a2 = math.sqrt(6.0 / (n_hidden + n_outputs))
    return [
        rng.uniform(-a1, a1, size=(n_inputs, n_hidden)).astype(np.float32),
        np.zeros(n_hidden, dtype=np.float32),
        rng.uniform(-a2, a2, size=(n_hidden, n_outputs)).astype(np.float32),
        np.zeros(n_outputs, dtype=np.float32),
    ]


def piecewise_constant(step, boundaries, values):
    """The learning rate at ``step`` (a scalar or a vector of steps), inside a graph.

    ``values[i]`` once ``step`` has reached ``boundaries[i-1]``: ``boundaries`` (int64,
    increasing) and ``values`` (float32, one more than ``boundaries``) are tensors, so a new
    schedule of any length does not re-trace the graph.
    """
    step = tf.convert_to_tensor(step, tf.int64)
    i = tf.searchsorted(boundaries, tf.reshape(step, [-1]), side="right")
    return tf.reshape(tf.gather(values, i), tf.shape(step))


@dataclass(frozen=True)
class PiecewiseConstant:
    """A piecewise-constant learning-rate schedule, boundaries in epochs or in steps.

    ``PiecewiseConstant((5, 8), (2.0, 1.0, 0.5))``: 2.0 for epochs 0–4, 1.0 for epochs 5–7,
    0.5 from epoch 8 on. ``unit="step"`` counts mini-batch updates instead.
    """

    boundaries: tuple[int, ...]
    values: tuple[float, ...]
    unit: str = "epoch"

    def __post_init__(self):
        if self.unit not in ("epoch", "step"):
            raise ValueError(f"unit must be 'epoch' or 'step', got {self.unit!r}")
        if len(self.values) != len(self.boundaries) + 1:
            raise ValueError(
                f"a schedule needs one more value than boundaries, got {len(self.boundaries)} "
                f"boundaries and {len(self.values)} values"
            )
        if any(b <= a for a, b in itertools.pairwise(self.boundaries)) or any(
            b <= 0 for b in self.boundaries
        ):
            raise ValueError(f"boundaries must be positive and increasing, got {self.boundaries}")
        if any(not (v > 0 and math.isfinite(v)) for v in self.values):
            raise ValueError(f"learning rates must be positive and finite, got {self.values}")

    @classmethod
    def constant(cls, learning_rate: float) -> PiecewiseConstant:
        """A schedule with a single value."""
        return cls((), (float(learning_rate),))

    def step_boundaries(self, steps_per_epoch: int) -> tuple[int, ...]:
        """The boundaries counted in steps (updates)."""
        scale = steps_per_epoch if self.unit == "epoch" else 1
        return tuple(int(b) * scale for b in self.boundaries)

    def value(self, step: int, steps_per_epoch: int) -> float:
        """The learning rate for update number ``step`` (0-based), in Python."""
        i = sum(step >= b for b in self.step_boundaries(steps_per_epoch))
        return self.values[i]


class LowLevelMLP(tf.Module):
    """D → H (ReLU) → K (sigmoid with MSE, or softmax with cross-entropy), in tf.Variables."""

    def __init__(
        self,
        n_inputs: int = 784,
        n_hidden: int = 300,
        n_outputs: int = 10,
        *,
        output: str = "sigmoid",
        seed: int = 0,
    ):
        super().__init__(name="lowlevel_mlp")
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        self.n_inputs, self.n_hidden, self.n_outputs = n_inputs, n_hidden, n_outputs
        self.output = output
        w1, b1, w2, b2 = init_weights(n_inputs, n_hidden, n_outputs, seed)
        self.W1 = tf.Variable(w1, name="W1")
        self.b1 = tf.Variable(b1, name="b1")
        self.W2 = tf.Variable(w2, name="W2")
        self.b2 = tf.Variable(b2, name="b2")
        self.learning_rate = tf.Variable(0.1, trainable=False, name="learning_rate")
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        # Compiled versions of the training step and of a whole epoch. The input signatures
        # leave the batch dimension free, so one trace serves every batch size.
        x_spec = tf.TensorSpec([None, n_inputs], tf.float32)
        t_spec = tf.TensorSpec([None, n_outputs], tf.float32)
        self.compiled_step = tf.function(self.train_step, input_signature=[x_spec, t_spec])
        self.compiled_epoch = tf.function(
            self.train_epoch,
            input_signature=[
                x_spec,
                t_spec,
                tf.TensorSpec([None], tf.int32),  # the epoch's shuffled example indices
                tf.TensorSpec([], tf.int32),  # batch size
                tf.TensorSpec([None], tf.int64),  # schedule boundaries, in steps
                tf.TensorSpec([None], tf.float32),  # schedule values
            ],
        )
        self.compiled_evaluate = tf.function(self.evaluate, input_signature=[x_spec, t_spec])

    @property
    def parameters(self) -> list[tf.Variable]:
        return [self.W1, self.b1, self.W2, self.b2]

    def reset(self, seed: int) -> None:
        """Re-initialise the parameters for ``seed`` and the step counter (no re-tracing)."""
        for variable, value in zip(
            self.parameters,
            init_weights(self.n_inputs, self.n_hidden, self.n_outputs, seed),
            strict=True,
        ):
            variable.assign(value)
        self.step.assign(0)

    def logits(self, x):
        """The output layer's pre-activations z = ReLU(x W1 + b1) W2 + b2."""
        h = tf.nn.relu(tf.matmul(x, self.W1) + self.b1)
        return tf.matmul(h, self.W2) + self.b2

    def __call__(self, x):
        """The network's outputs: sigmoid(z), or softmax(z)."""
        z = self.logits(x)
        return tf.sigmoid(z) if self.output == "sigmoid" else tf.nn.softmax(z)

    def loss(self, x, t):
        """MSE between sigmoid outputs and one-hot targets (mean over examples and outputs),
        or the mean softmax cross-entropy computed from the logits (numerically stable)."""
        z = self.logits(x)
        if self.output == "sigmoid":
            return tf.reduce_mean(tf.square(tf.sigmoid(z) - t))
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z))

    def gradients(self, x, t):
        """The loss and its gradient with respect to [W1, b1, W2, b2]."""
        with tf.GradientTape() as tape:
            loss = self.loss(x, t)
        return loss, tape.gradient(loss, self.parameters)

    def train_step(self, x, t):
        """One SGD update on a mini-batch: p ← p − α ∂loss/∂p for every parameter p."""
        loss, grads = self.gradients(x, t)
        for p, g in zip(self.parameters, grads, strict=True):
            p.assign_sub(self.learning_rate * g)
        self.step.assign_add(1)
        return loss

    def train_epoch(self, x, t, order, batch_size, boundaries, values):
        """One epoch over the examples in ``order``, in mini-batches; returns each step's loss.

        Before every step the learning-rate variable is set from the schedule. The loop stops
        after the first non-finite loss, so the returned losses end there.
        """
        n_batches = (tf.shape(order)[0] + batch_size - 1) // batch_size
        x, t = tf.gather(x, order), tf.gather(t, order)  # the examples in this epoch's order
        steps = self.step + tf.range(tf.cast(n_batches, tf.int64))
        rates = piecewise_constant(steps, boundaries, values)  # one learning rate per step
        losses = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        i, loss = tf.constant(0), tf.constant(0.0)
        while tf.logical_and(i < n_batches, tf.math.is_finite(loss)):
            self.learning_rate.assign(rates[i])
            batch = slice(i * batch_size, (i + 1) * batch_size)
            loss = self.train_step(x[batch], t[batch])
            losses = losses.write(i, loss)
            i += 1
        return losses.stack()

    def evaluate(self, x, t):
        """The loss and the number of misclassified examples (argmax of outputs vs targets)."""
        wrong = tf.not_equal(tf.argmax(self.logits(x), axis=1), tf.argmax(t, axis=1))
        return self.loss(x, t), tf.reduce_sum(tf.cast(wrong, tf.int32))

    def predict(self, x) -> np.ndarray:
        """Predicted class of each example (NumPy)."""
        x = check_features(x, self.n_inputs)
        return np.argmax(self.logits(tf.constant(x)).numpy(), axis=1)


def check_features(x, n_features: int) -> np.ndarray:
    """``x`` as a float32 array (n, n_features), or ``ValueError`` saying what was expected."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(
            f"expected inputs of shape (n_examples, {n_features}) — {n_features} features per "
            f"example (28×28 pixels flattened) — but got shape {x.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("the inputs contain NaN or infinite values")
    return x


def check_data(x, y, n_features: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Validated inputs (float32) and integer labels, or ``ValueError`` naming the problem."""
    x = check_features(x, n_features)
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"expected the labels as a 1-D array of integers 0..{n_classes - 1}, "
            f"got shape {y.shape} and dtype {y.dtype}"
        )
    if len(x) != len(y):
        raise ValueError(
            f"expected as many labels as examples, got {len(x)} examples and {len(y)} labels"
        )
    if len(y) == 0:
        raise ValueError("expected at least one example, got none")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(
            f"expected labels in 0..{n_classes - 1}, got values from {y.min()} to {y.max()}"
        )
    return x, y.astype(np.int64)


class Stopwatch:
    """Seconds spent inside a ``with`` block: ``wall`` (time.perf_counter) and ``cpu``
    (time.process_time, all threads of this process)."""

    wall: float = 0.0
    cpu: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


@dataclass(frozen=True)
class Timing:
    """Training time split into tracing, the first (warm-up) epochs and the steady state."""

    trace_seconds: float  # explicit tracing before training (0 when nothing was traced)
    first_wall: float  # the warm-up epoch(s), wall seconds
    first_cpu: float
    epoch_wall: float  # steady state: median seconds per epoch after the warm-up
    epoch_cpu: float
    total_wall: float  # tracing + every epoch
    total_cpu: float


def summarize_timing(wall, cpu, *, warmup: int = 1, trace_seconds: float = 0.0) -> Timing:
    """Split per-epoch times into warm-up (the first ``warmup`` epochs) and steady state.

    The steady state is the median over the remaining epochs (robust to a stray slow epoch on
    a shared machine); with no epoch left after the warm-up it falls back to all epochs.
    """
    wall, cpu = list(map(float, wall)), list(map(float, cpu))
    if not wall or len(wall) != len(cpu):
        raise ValueError("need the same, non-zero number of wall and CPU times")
    steady_wall, steady_cpu = wall[warmup:] or wall, cpu[warmup:] or cpu
    return Timing(
        trace_seconds=float(trace_seconds),
        first_wall=sum(wall[:warmup]),
        first_cpu=sum(cpu[:warmup]),
        epoch_wall=float(np.median(steady_wall)),
        epoch_cpu=float(np.median(steady_cpu)),
        total_wall=float(trace_seconds) + sum(wall),
        total_cpu=float(trace_seconds) + sum(cpu),
    )


@dataclass
class History:
    """What happened during one training run; errors in percent."""

    mode: str
    seed: int
    batch_size: int
    initial_loss: float = math.nan
    # training loss and errors after each epoch (after the last only, if so asked)
    loss: list[float] = field(default_factory=list)
    train_error: list[float] = field(default_factory=list)
    test_error: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)  # at the end of each epoch
    step_loss: list[float] = field(default_factory=list)  # mini-batch loss of every step
    wall: list[float] = field(default_factory=list)  # training seconds of each epoch
    cpu: list[float] = field(default_factory=list)
    trace_seconds: float = 0.0
    test_predictions: np.ndarray | None = None  # predicted classes after the last epoch

    @property
    def final_test_error(self) -> float:
        return self.test_error[-1]

    @property
    def converged(self) -> bool:
        """Finite losses, the final loss below ``CONVERGED_LOSS_FRACTION`` of the initial one,
        and the training error (percent) below ``CONVERGED_MAX_TRAIN_ERROR``."""
        return (
            all(math.isfinite(v) for v in self.loss)
            and self.loss[-1] < CONVERGED_LOSS_FRACTION * self.initial_loss
            and self.train_error[-1] < CONVERGED_MAX_TRAIN_ERROR
        )

    def timing(self, warmup: int = 1) -> Timing:
        return summarize_timing(
            self.wall, self.cpu, warmup=warmup, trace_seconds=self.trace_seconds
        )


def error_rate(model: LowLevelMLP, x, t) -> tuple[float, float]:
    """(loss, error rate in percent) of ``model`` on inputs ``x`` and one-hot targets ``t``."""
    loss, wrong = model.compiled_evaluate(x, t)
    return float(loss), 100.0 * float(wrong) / int(x.shape[0])


def fit(
    model: LowLevelMLP,
    x_train,
    y_train,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float | PiecewiseConstant,
    seed: int,
    mode: str = "graph",
    x_test=None,
    y_test=None,
    eval_every_epoch: bool = True,
) -> History:
    """Train ``model`` with mini-batch SGD and record loss, errors and time of every epoch.

    ``seed`` shuffles the examples (a new order every epoch); the parameters are not
    re-initialised here (see ``LowLevelMLP(seed=...)`` and ``reset``). Only the training
    itself is timed; the evaluation (training loss and error, test error) and, in graph mode,
    the first tracing (``History.trace_seconds``) are measured apart. With
    ``eval_every_epoch=False`` the model is evaluated after the last epoch only (faster).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not (isinstance(epochs, int) and epochs >= 1):
        raise ValueError(f"expected epochs ≥ 1, got {epochs!r}")
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"expected batch_size ≥ 1, got {batch_size!r}")
    schedule = (
        learning_rate
        if isinstance(learning_rate, PiecewiseConstant)
        else PiecewiseConstant.constant(learning_rate)
    )
    x_train, y_train = check_data(x_train, y_train, model.n_inputs, model.n_outputs)
    x = tf.constant(x_train)
    t = tf.constant(np.eye(model.n_outputs, dtype=np.float32)[y_train])
    if x_test is not None:
        x_test, y_test = check_data(x_test, y_test, model.n_inputs, model.n_outputs)
        x_te = tf.constant(x_test)
        t_te = tf.constant(np.eye(model.n_outputs, dtype=np.float32)[y_test])

    n = len(x_train)
    steps_per_epoch = math.ceil(n / batch_size)
    bounds = tf.constant(schedule.step_boundaries(steps_per_epoch), tf.int64)
    values = tf.constant(schedule.values, tf.float32)
    rng = np.random.default_rng([seed, 1])
    history = History(mode=mode, seed=seed, batch_size=batch_size)
    history.initial_loss = error_rate(model, x, t)[0]
    if mode == "graph" and model.compiled_epoch.experimental_get_tracing_count() == 0:
        with Stopwatch() as trace:
            model.compiled_epoch.get_concrete_function()
        history.trace_seconds = trace.wall
    model.step.assign(0)
    step_fn = model.train_step if mode == "eager" else model.compiled_step

    for epoch in range(epochs):
        order = rng.permutation(n).astype(np.int32)
        with Stopwatch() as clock:
            if mode == "graph":
                losses = model.compiled_epoch(
                    x, t, tf.constant(order), tf.constant(batch_size), bounds, values
                ).numpy()
            else:
                losses = _python_loop(model, step_fn, x, t, order, batch_size, schedule)
        if len(losses) < steps_per_epoch or not np.all(np.isfinite(losses)):
            step = len(losses) - 1
            raise NonFiniteLossError(
                f"the training loss became {losses[-1]} at epoch {epoch}, step {step} (update "
                f"{epoch * steps_per_epoch + step} overall, learning rate "
                f"{float(model.learning_rate.numpy()):g}); try a smaller learning rate"
            )
        history.wall.append(clock.wall)
        history.cpu.append(clock.cpu)
        history.step_loss.extend(map(float, losses))
        history.learning_rate.append(float(model.learning_rate.numpy()))
        if eval_every_epoch or epoch == epochs - 1:
            loss, train_error = error_rate(model, x, t)
            history.loss.append(loss)
            history.train_error.append(train_error)
            if x_test is not None:
                history.test_error.append(error_rate(model, x_te, t_te)[1])
    if x_test is not None:
        history.test_predictions = model.predict(x_test)
    return history


def fit_seeds(
    data,
    *,
    n_hidden: int,
    learning_rate: float | PiecewiseConstant,
    batch_size: int,
    epochs: int,
    seeds,
    mode: str = "graph",
    output: str = "sigmoid",
    curves: str = "all",
) -> list[History]:
    """Train one run per seed on ``data`` (a :class:`pw06.data.Digits`); one History each.

    A single model is re-initialised for each seed, so its graph is traced once. ``curves``
    says which runs are evaluated after every epoch — ``"all"``, ``"first"`` or ``"none"`` —
    the others after their last epoch only.
    """
    if curves not in ("all", "first", "none"):
        raise ValueError(f"curves must be 'all', 'first' or 'none', got {curves!r}")
    model = LowLevelMLP(data.n_features, n_hidden, data.n_classes, output=output)
    runs = []
    for i, seed in enumerate(seeds):
        model.reset(seed)
        runs.append(
            fit(
                model,
                data.x_train,
                data.y_train,
                epochs=epochs,
                batch_size=batch_size,
                learning_rate=learning_rate,
                seed=seed,
                mode=mode,
                x_test=data.x_test,
                y_test=data.y_test,
                eval_every_epoch=curves == "all" or (curves == "first" and i == 0),
            )
        )
    return runs


def _python_loop(model, step_fn, x, t, order, batch_size, schedule) -> np.ndarray:
    """One epoch as a Python loop over mini-batches (the eager and the ``step`` modes)."""
    steps_per_epoch = math.ceil(len(order) / batch_size)
    first_step, rate = int(model.step.numpy()), float(model.learning_rate.numpy())
    losses = []
    for i in range(steps_per_epoch):
        new_rate = schedule.value(first_step + i, steps_per_epoch)
        if new_rate != rate:
            model.learning_rate.assign(new_rate)
            rate = new_rate
        batch = tf.constant(order[i * batch_size : (i + 1) * batch_size])
        loss = float(step_fn(tf.gather(x, batch), tf.gather(t, batch)))
        losses.append(loss)
        if not math.isfinite(loss):
            break
    return np.array(losses, dtype=np.float32)


def training_flops(n_examples: int, n_inputs: int, n_hidden: int, n_outputs: int) -> int:
    """Floating-point operations of one training epoch, counting the matrix products only.

    Forward: 2·n·(D·H + H·K). Backward: ∂W2 and ∂h cost 2·n·H·K each, ∂W1 costs 2·n·D·H
    (no gradient is needed for the inputs). Total 4·n·D·H + 6·n·H·K.
    """
    return 4 * n_examples * n_inputs * n_hidden + 6 * n_examples * n_hidden * n_outputs


def confusion_matrix(y_true, y_pred, n_classes: int = 10) -> np.ndarray:
    """Counts ``m[i, j]`` of examples of class i predicted as class j."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


# --- Figures for the chapters (Matplotlib is imported only when a figure is drawn) -----------


def plot_digits(images, titles=None, ncols: int = 10, size: float = 0.9):
    """A grid of 28×28 digits (rows of ``images`` may be flattened), with optional titles.

    The digits are tiled into one image (one ``imshow``, much faster than a subplot each).
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images).reshape(-1, 28, 28)
    nrows = math.ceil(len(images) / ncols)
    gap = 10 if titles is not None else 4  # pixels between digits (room for the titles)
    cell_h, cell_w = 28 + gap, 28 + 4
    canvas = np.zeros((nrows * cell_h, ncols * cell_w), dtype=np.float32)
    for i, image in enumerate(images):
        row, col = divmod(i, ncols)
        top, left = row * cell_h + gap - 2, col * cell_w + 2
        canvas[top : top + 28, left : left + 28] = image
    fig, ax = plt.subplots(figsize=(ncols * size, nrows * size * cell_h / cell_w))
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if titles is not None:
        for i, title in enumerate(titles[: len(images)]):
            row, col = divmod(i, ncols)
            ax.text(
                col * cell_w + cell_w / 2,
                row * cell_h + gap - 3,
                title,
                ha="center",
                va="bottom",
                fontsize=8,
            )
    fig.tight_layout(pad=0.2)
    return fig


def plot_confusion(matrix: np.ndarray, title: str = ""):
    """The confusion matrix as a heat map with the counts written in the cells."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    off_diagonal = matrix - np.diag(np.diag(matrix))
    image = ax.imshow(off_diagonal, cmap="Reds")
    k = len(matrix)
    for i in range(k):
        for j in range(k):
            if matrix[i, j]:
                color = "tab:green" if i == j else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8, color=color)
    ax.set(
        xticks=range(k),
        yticks=range(k),
        xlabel="predicted class",
        ylabel="true class",
        title=title,
    )
    fig.colorbar(image, ax=ax, label="misclassified examples (off-diagonal)")
    fig.tight_layout()
    return fig


def plot_convergence(runs: list[History]):
    """Left: the mini-batch loss at every step (one line per seed) and the training loss after
    each epoch. Right: training and test error after each epoch, mean ± std over seeds."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    steps_per_epoch = len(runs[0].step_loss) // len(runs[0].loss)
    for run in runs:
        left.plot(np.arange(1, len(run.step_loss) + 1), run.step_loss, lw=0.7, alpha=0.6)
    epochs = np.arange(0, len(runs[0].loss) + 1)
    mean_loss = np.mean([[run.initial_loss, *run.loss] for run in runs], axis=0)
    left.plot(epochs * steps_per_epoch, mean_loss, "ko-", label="training loss after each epoch")
    left.set(
        yscale="log",
        xlabel="step (mini-batch update)",
        ylabel="loss",
        title="Loss: mini-batches (one line per seed)",
    )
    left.legend()
    epochs = np.arange(1, len(runs[0].loss) + 1)
    for key, label in (("train_error", "training set"), ("test_error", "test set")):
        values = np.array([getattr(run, key) for run in runs])
        mean, std = values.mean(axis=0), values.std(axis=0, ddof=1) if len(runs) > 1 else 0
        right.errorbar(epochs, mean, yerr=std, marker="o", capsize=3, label=label)
    right.set(
        xticks=epochs,
        xlabel="epoch",
        ylabel="error rate (%)",
        title=f"Error rate, mean ± std over {len(runs)} seeds",
    )
    right.legend()
    fig.tight_layout()
    return fig


def plot_test_error_curves(curves: dict[str, list[History]], title: str = ""):
    """Test error after each epoch, mean ± std over seeds, one line per labelled set of runs.

    Runs evaluated after their last epoch only (``eval_every_epoch=False``) are left out.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for label, runs in curves.items():
        length = max(len(run.test_error) for run in runs)
        values = np.array([run.test_error for run in runs if len(run.test_error) == length])
        epochs = np.arange(1, values.shape[1] + 1)
        std = values.std(axis=0, ddof=1) if len(values) > 1 else None
        ax.errorbar(epochs, values.mean(axis=0), yerr=std, marker="o", capsize=3, label=label)
    ax.set(xticks=epochs, xlabel="epoch", ylabel="test error rate (%)", title=title)
    ax.legend()
    fig.tight_layout()
    return fig
