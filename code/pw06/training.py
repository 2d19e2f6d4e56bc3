"""Training runs of the lesson's MLP for the chapters and the benchmark: histories, modes, seeds.

The network, its loss and its training step are those of :mod:`pw06.lowlevel_mlp`; this module
only runs them and records what happened. Three execution modes of the same ``train_step``:

``"eager"``  the lesson's ``fit`` calling ``train_step`` eagerly, operation by operation;
``"step"``   the lesson's ``fit`` calling ``tf.function(train_step)``: a Python loop over
             mini-batches around a compiled step, what a student writes;
``"graph"``  the whole epoch — every mini-batch's ``train_step`` — compiled into one graph.

A :class:`Trainer` keeps one set of parameters and its compiled functions across runs, so each
graph is traced once however many seeds are trained. :func:`fit_to_plateau` trains until the
error on a held-out validation split stops improving (:class:`Plateau`, the convergence
criterion of the chapter).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from sklearn import metrics

from pw06 import lowlevel_mlp as ll
from pw06.data import stratified_split
from pw06.tf_quiet import load
from pw06.timing import Stopwatch, Timing, summarize_timing

tf = load()

MODES = ("eager", "step", "graph")
#: The implementations ``fit_seeds`` trains: the low-level modes, and Keras's ``fit``
#: (:mod:`pw06.keras_training`).
IMPLEMENTATIONS = (*MODES, "keras")
#: How the examples are ordered in each epoch: the low-level loop's permutations for the seed
#: (:func:`shuffled_orders`), or, for Keras, its own shuffling.
ORDERS = ("lowlevel", "keras")
#: The learning rate of the softmax + cross-entropy runs (Exercise 4's option): its gradient
#: with respect to the logits is many times larger than sigmoid + MSE's, so its rate is
#: smaller. Chosen on the validation digits, never the test digits (:func:`rate_sweep`).
SOFTMAX_LEARNING_RATE = 0.5
#: Which runs of several seeds are evaluated after every epoch (the others after the last).
CURVES = ("all", "first", "none")


@dataclass(frozen=True)
class Settings:
    """How one run trains: ``epochs``, ``batch_size`` (None: Keras chooses), ``learning_rate``
    (a number, or a function of the epoch such as :class:`pw06.lowlevel_mlp.PiecewiseConstant`),
    ``seed`` (initial weights and order of the examples), ``output`` (the output layer and its
    loss) and ``order`` (:data:`ORDERS`). Each is checked here, with the argument named."""

    epochs: int
    batch_size: int | None
    learning_rate: float | Callable[[int], float]
    seed: int = 0
    output: str = "sigmoid"
    order: str = "lowlevel"

    def __post_init__(self):
        ll.check_count(self.epochs, "epochs")
        if self.batch_size is not None:
            ll.check_count(self.batch_size, "batch_size")
        ll.check_learning_rate(self.learning_rate)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if self.output not in ll.OUTPUTS:
            raise ValueError(f"output must be one of {ll.OUTPUTS}, got {self.output!r}")
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {self.order!r}")


class Examples(NamedTuple):
    """Inputs (one row per example) and their integer labels: a training, test or validation
    set. Unpacks as ``x, labels``."""

    x: Any
    labels: Any

    def checked(self, params, name: str, *, numpy: bool = False) -> Examples:
        """These examples checked against the network ``params``; a message names
        ``{name}.x`` or ``{name}.labels``. ``numpy``: inputs as a NumPy array."""
        x = ll.check_inputs(self.x, params, f"{name}.x")
        labels = ll.check_labels(self.labels, params, len(x), f"{name}.labels")
        return Examples(x.numpy() if numpy else x, labels)


def data_sets(data) -> tuple[Examples, Examples]:
    """The training and test :class:`Examples` of ``data`` (a :class:`pw06.data.Digits`)."""
    return Examples(data.x_train, data.y_train), Examples(data.x_test, data.y_test)


def check_same_output(settings: Settings, output: str) -> None:
    """``ValueError`` unless ``settings`` train the output layer a trainer was built for."""
    if settings.output != output:
        raise ValueError(
            f"settings.output is {settings.output!r}, but this trainer was built for {output!r}"
        )


@dataclass
class Run:
    """What happened during one training run; errors in percent, times in seconds."""

    mode: str
    seed: int
    batch_size: int
    train_examples: int = 0
    validation_examples: int = 0  # 0: no validation split
    initial_loss: float = math.nan
    # training loss and errors after each epoch (after the last only, if so asked)
    loss: list[float] = field(default_factory=list)
    train_error: list[float] = field(default_factory=list)
    test_error: list[float] = field(default_factory=list)
    validation_error: list[float] = field(default_factory=list)  # runs with a validation split
    learning_rate: list[float] = field(default_factory=list)  # of each epoch
    step_loss: list[float] = field(default_factory=list)  # mini-batch loss of every step
    wall: list[float] = field(default_factory=list)  # training time of each epoch
    cpu: list[float] = field(default_factory=list)
    trace_seconds: float = 0.0  # tracing before the first epoch (wall, then CPU)
    trace_cpu: float = 0.0
    test_predictions: np.ndarray | None = None  # predicted classes after the last epoch
    # per test digit, True where those predictions are right: what paired comparisons count
    test_correct: np.ndarray | None = None
    test_correct_at_best: np.ndarray | None = None  # … at the best validation epoch
    weights_digest: str = ""  # SHA-256 of the trained weights: equal only if bit for bit
    # leading epochs of this run that include set-up (Keras's ``fit``): never timed repeats
    setup_epochs: int = 0

    @property
    def final_test_error(self) -> float:
        return self.test_error[-1]

    @property
    def best_epoch(self) -> int:
        """The epoch (from 1) of the lowest validation error; the first one on a tie."""
        if not self.validation_error:
            raise ValueError("this run has no validation error: train it with a validation split")
        return best_epoch(self.validation_error)

    @property
    def test_error_at_best(self) -> float:
        """The test error after the epoch of the lowest validation error."""
        return self.test_error[self.best_epoch - 1]

    def timing(self, warmup: int = 1) -> Timing:
        return summarize_timing(
            self.wall,
            self.cpu,
            warmup=warmup,
            trace_seconds=self.trace_seconds,
            trace_cpu=self.trace_cpu,
        )


def weights_digest(arrays) -> str:
    """SHA-256 of the weights ``arrays`` (shapes, dtypes and bytes, in order): two networks
    have the same digest only if their weights are the same, bit for bit."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def best_epoch(errors) -> int:
    """The epoch (from 1) of the lowest of ``errors`` (one per epoch); the first one on a tie."""
    errors = list(errors)
    if not errors:
        raise ValueError("errors must hold one error per epoch, got none")
    return errors.index(min(errors)) + 1


@dataclass(frozen=True)
class Plateau:
    """The convergence criterion: the validation error has reached a
    plateau when it has not improved on its best value by at least
    ``min_improvement`` (points) for ``patience`` epochs. Training stops
    then, or after ``max_epochs`` (the cap). With ``min_improvement`` of
    about one standard error of the validation error, an improvement
    must be measurable to reset the patience."""

    patience: int
    max_epochs: int
    min_improvement: float = 0.0

    def __post_init__(self):
        ll.check_count(self.patience, "patience")
        ll.check_count(self.max_epochs, "max_epochs")
        value = self.min_improvement
        ok = not isinstance(value, bool)
        ok = ok and isinstance(value, int | float)
        if not (ok and 0 <= value < math.inf):
            message = "min_improvement must be a number >= 0"
            raise ValueError(f"{message}, got {value!r}")

    def last_improvement(self, errors) -> int:
        """The epoch (from 1) of the last improvement on the best error
        so far by at least ``min_improvement`` (by any amount if 0)."""
        errors = list(errors)
        if not errors:
            raise ValueError("errors must hold one error per epoch")
        best, epoch = errors[0], 1
        for i, error in enumerate(errors[1:], start=2):
            if error < best and best - error >= self.min_improvement:
                best, epoch = error, i
        return epoch

    def reached(self, errors) -> bool:
        """True once the last ``patience`` of ``errors`` (one per epoch)
        improve on none of the earlier ones by ``min_improvement``."""
        errors = list(errors)
        if not errors:
            return False
        since = len(errors) - self.last_improvement(errors)
        return since >= self.patience

    def stop(self, errors) -> bool:
        """Stop training after these epochs: a plateau, or the cap."""
        return len(errors) >= self.max_epochs or self.reached(errors)


def shuffled_orders(n_examples, epochs, seed) -> np.ndarray:
    """The order of the examples in each epoch, one row per epoch:
    the permutations the lesson's ``fit`` draws for ``seed``, so that
    other loops (the epoch graph, Keras) follow the same order."""
    rng = np.random.default_rng([seed, 1])  # as in ll.fit
    orders = [rng.permutation(n_examples) for _ in range(epochs)]
    return np.stack(orders).astype(np.int32)


def epoch_graph(params, output="sigmoid"):
    """One epoch of mini-batch SGD for ``params``, as a single graph.

    Every mini-batch is a call of the lesson's ``train_step``;
    AutoGraph turns the loop over ``tf.range`` into graph control
    flow. Arguments: inputs, one-hot targets, the epoch's shuffled
    example indices, batch size, learning rate — all tensors, so one
    trace serves every epoch, batch size and schedule. Returns the
    loss of every step.
    """
    n_inputs = int(params[0].shape[0])
    n_outputs = int(params[-1].shape[0])
    signature = [
        tf.TensorSpec([None, n_inputs], tf.float32),  # x
        tf.TensorSpec([None, n_outputs], tf.float32),  # t
        tf.TensorSpec([None], tf.int32),  # order
        tf.TensorSpec([], tf.int32),  # batch_size
        tf.TensorSpec([], tf.float32),  # learning rate
    ]

    @tf.function(input_signature=signature)
    def run_epoch(x, t, order, batch_size, rate):
        n = (tf.size(order) + batch_size - 1) // batch_size
        losses = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            batch = order[i * batch_size : (i + 1) * batch_size]
            x_batch = tf.gather(x, batch)
            t_batch = tf.gather(t, batch)
            loss = ll.train_step(params, x_batch, t_batch, rate, output)
            losses = losses.write(i, loss)
        return losses.stack()

    return run_epoch


def fit_graph(params, x, t, settings: Settings, *, run_epoch, on_epoch_end=None) -> ll.History:
    """The lesson's ``fit`` with each epoch run by ``run_epoch`` (from :func:`epoch_graph`).

    Same order of the examples for the same seed, same schedule, same history as ``ll.fit``
    with the same ``settings``. If ``on_epoch_end(epoch, history)`` returns True, training
    stops after that epoch.
    """
    x, t = ll.check_inputs(x, params, "x"), ll.check_targets(t, params, len(x), "t")
    ll.check_count(settings.batch_size, "batch_size")
    batch_size, learning_rate = tf.constant(settings.batch_size), settings.learning_rate
    history = ll.History()
    for epoch, order in enumerate(shuffled_orders(len(x), settings.epochs, settings.seed)):
        rate = learning_rate(epoch) if callable(learning_rate) else learning_rate
        losses = run_epoch(x, t, order, batch_size, tf.constant(rate, tf.float32))
        history.add_epoch(epoch, losses.numpy().tolist(), rate)
        if on_epoch_end is not None and on_epoch_end(epoch, history):
            break
    return history


class Trainer:
    """The lesson's network trained in one execution mode; re-used across runs and seeds.

    ``run`` re-initialises the parameters for its seed (assigning new values to the same
    variables), so the compiled step or epoch is traced only once.
    """

    def __init__(
        self, n_inputs: int, n_hidden: int, n_outputs: int, *, mode="graph", output="sigmoid"
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if output not in ll.OUTPUTS:
            raise ValueError(f"output must be one of {ll.OUTPUTS}, got {output!r}")
        self.sizes = (n_inputs, n_hidden, n_outputs)
        self.params = ll.init_params(n_inputs, n_hidden, n_outputs, seed=0)
        self.mode, self.output = mode, output
        self.compiled_step = tf.function(ll.train_step, reduce_retracing=True)
        self.run_epoch = epoch_graph(self.params, output)
        self.compiled_evaluate = tf.function(
            lambda x, t: (
                ll.model_loss(self.params, x, t, output),
                tf.argmax(ll.logits(self.params, x), axis=1),
            ),
            reduce_retracing=True,
        )

    def step(self, params, x, t, learning_rate, output):
        """``train_step`` for the mode: eager, or compiled (the rate passed as a tensor, so a
        schedule does not re-trace; ``ll.fit`` passes a ``tf.Variable``, read here)."""
        if self.mode == "eager":
            return ll.train_step(params, x, t, learning_rate, output)
        rate = tf.convert_to_tensor(learning_rate, tf.float32)
        return self.compiled_step(params, x, t, rate, output)

    def trace(self) -> tuple[float, float]:
        """Trace the compiled function of this mode now, if not done yet: (wall, CPU) seconds."""
        n_inputs, _, n_outputs = self.sizes
        if self.mode == "graph" and self.run_epoch.experimental_get_tracing_count() == 0:
            with Stopwatch() as clock:
                self.run_epoch.get_concrete_function()
        elif self.mode == "step" and self.compiled_step.experimental_get_tracing_count() == 0:
            with Stopwatch() as clock:
                self.compiled_step.get_concrete_function(
                    self.params,
                    tf.TensorSpec([None, n_inputs], tf.float32),
                    tf.TensorSpec([None, n_outputs], tf.float32),
                    tf.TensorSpec([], tf.float32),
                    self.output,
                )
        else:
            return 0.0, 0.0
        return clock.wall, clock.cpu

    def evaluate(self, x, t, labels) -> tuple[float, float]:
        """(loss, error rate in percent) on inputs, one-hot targets and labels: the lesson's
        ``model_loss`` and ``logits``, compiled into one graph (evaluation is frequent)."""
        loss, predicted = self.compiled_evaluate(x, t)
        return float(loss), 100.0 * float(np.mean(predicted.numpy() != labels))

    def run(
        self,
        train: Examples,
        settings: Settings,
        *,
        test: Examples | None = None,
        validation: Examples | None = None,
        every_epoch: bool = True,
        stop: Plateau | None = None,
    ) -> Run:
        """Train on ``train`` with ``settings`` from the initial weights of their seed; time
        every epoch and evaluate after it (after the last only, with ``every_epoch=False``).
        Evaluation is not timed.

        With a ``validation`` set its error and the test error are recorded after every
        epoch; with ``stop`` (graph mode), training ends when ``stop.stop`` says so, at most
        after ``settings.epochs`` epochs.
        """
        self._check_run(settings, validation, stop)
        initial = ll.init_params(*self.sizes, settings.seed)
        for variable, value in zip(self.params, initial, strict=True):
            variable.assign(value)
        train, test, validation = (
            None if examples is None else self._evaluation_set(examples, name)
            for examples, name in ((train, "train"), (test, "test"), (validation, "validation"))
        )
        record = Run(self.mode, settings.seed, settings.batch_size, len(train[0]))
        record.validation_examples = 0 if validation is None else len(validation[2])
        record.initial_loss = self.evaluate(*train)[0]
        record.trace_seconds, record.trace_cpu = self.trace()
        clock = Stopwatch()

        def on_epoch_end(epoch, history):
            wall, cpu = clock.stop()
            record.wall.append(wall)
            record.cpu.append(cpu)
            done = self._validate(record, epoch, test, validation, stop)
            if every_epoch or done or epoch == settings.epochs - 1:
                self._record_errors(record, train, test if validation is None else None)
            clock.start()
            return done

        clock.start()
        history = self._fit(train, settings, on_epoch_end)
        clock.stop()
        record.step_loss, record.learning_rate = history.step_loss, history.learning_rate
        if test is not None:
            record.test_predictions = self.compiled_evaluate(*test[:2])[1].numpy()
            record.test_correct = record.test_predictions == test[2]
        record.weights_digest = weights_digest(p.numpy() for p in self.params)
        return record

    def _check_run(self, settings, validation, stop) -> None:
        check_same_output(settings, self.output)
        if settings.batch_size is None or settings.order != "lowlevel":
            raise ValueError(
                "the low-level modes need a batch_size and order='lowlevel', got "
                f"batch_size={settings.batch_size!r} and order={settings.order!r}"
            )
        if stop is not None and (self.mode != "graph" or validation is None):
            raise ValueError(
                "stop needs mode='graph' and a validation set (validation), got "
                f"mode={self.mode!r} and validation={'given' if validation else None}"
            )

    def _fit(self, train, settings, on_epoch_end) -> ll.History:
        """``fit_graph`` (graph mode) or the lesson's ``fit`` (eager and step modes)."""
        x, t = train[0], train[1]
        if self.mode == "graph":
            return fit_graph(
                self.params, x, t, settings, run_epoch=self.run_epoch, on_epoch_end=on_epoch_end
            )
        return ll.fit(
            self.params,
            x,
            t,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            learning_rate=settings.learning_rate,
            seed=settings.seed,
            output=self.output,
            step=self.step,
            on_epoch_end=on_epoch_end,
        )

    def _validate(self, record, epoch, test, validation, stop) -> bool:
        """With a validation set (the curves of a run to a plateau): its error and the test
        error after this epoch; True if ``stop`` says training ends here."""
        if validation is None:
            return False
        record.validation_error.append(self.evaluate(*validation)[1])
        if test is not None:
            correct = self.compiled_evaluate(*test[:2])[1].numpy() == test[2]
            record.test_error.append(100.0 * float(np.mean(~correct)))
            if record.best_epoch == epoch + 1:  # a new lowest validation error
                record.test_correct_at_best = correct
        return stop is not None and stop.stop(record.validation_error)

    def _record_errors(self, record, train, test) -> None:
        """The training loss and error, and the test error if ``test`` is given."""
        loss, train_error = self.evaluate(*train)
        record.loss.append(loss)
        record.train_error.append(train_error)
        if test is not None:
            record.test_error.append(self.evaluate(*test)[1])

    def _evaluation_set(self, examples: Examples, name: str):
        """(inputs, one-hot targets, labels) of a set of examples, checked."""
        x, labels = examples.checked(self.params, name)
        return x, tf.one_hot(labels, self.sizes[-1]), labels


def check_seeds(seeds) -> tuple[int, ...]:
    """``seeds`` as a non-empty tuple of integers, or ``ValueError`` naming the argument."""
    try:
        seeds = tuple(seeds)
    except TypeError:
        raise ValueError(f"seeds must be a sequence of integers, got {seeds!r}") from None
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got none: e.g. seeds=(0, 1, 2)")
    bad = [s for s in seeds if isinstance(s, bool) or not isinstance(s, int | np.integer)]
    if bad:
        raise ValueError(f"seeds must be integers, got {bad[0]!r} in {seeds!r}")
    return seeds


def check_curves(curves: str) -> str:
    if curves not in CURVES:
        raise ValueError(f"curves must be one of {CURVES}, got {curves!r}")
    return curves


def check_data(data, params) -> None:
    """The arrays of ``data`` fit the network ``params``; a message names the wrong array.

    Both sets must have as many columns (features per example) as W1 has rows, pixels in
    [0, 1], and one integer label per example.
    """
    train, test = np.shape(data.x_train), np.shape(data.x_test)
    if len(train) == len(test) == 2 and train[1] != test[1]:
        raise ValueError(
            "data.x_test must have as many columns (features per example) as data.x_train: "
            f"data.x_train has shape {train}, data.x_test has shape {test}"
        )
    for name in ("train", "test"):
        x, labels = getattr(data, f"x_{name}"), getattr(data, f"y_{name}")
        x = ll.check_inputs(x, params, f"data.x_{name}")
        ll.check_labels(labels, params, len(x), f"data.y_{name}")


def make_trainer(data, n_hidden: int, mode: str = "graph", output: str = "sigmoid", **keras):
    """The trainer of ``mode`` (:data:`IMPLEMENTATIONS`) for ``data``'s sizes, its network
    checked against ``data``: a :class:`Trainer`, or for ``"keras"`` a
    :class:`pw06.keras_training.KerasTrainer` (``keras``: its ``learning_rate``)."""
    if mode not in IMPLEMENTATIONS:
        raise ValueError(f"mode must be one of {IMPLEMENTATIONS}, got {mode!r}")
    sizes = (data.n_features, n_hidden, data.n_classes)
    if mode == "keras":
        from pw06.keras_training import KerasTrainer  # it imports this module

        trainer = KerasTrainer(sizes, output=output, **keras)
    else:
        trainer = Trainer(*sizes, mode=mode, output=output)
    check_data(data, trainer.params)
    return trainer


def fit_seeds(
    data, *, n_hidden: int, seeds, mode: str = "graph", curves: str = "all", **settings
) -> list[Run]:
    """Train one run per seed on ``data`` (a :class:`pw06.data.Digits`); one :class:`Run` each.

    ``settings``: the :class:`Settings` but the seed (``epochs``, ``batch_size``,
    ``learning_rate``, ``output``, ``order``). ``mode``: one of :data:`IMPLEMENTATIONS`, the
    low-level modes or ``"keras"``. One trainer serves every seed: only the weights are reset,
    so tracing happens in the first run only. ``curves`` says which runs are evaluated after
    every epoch — ``"all"``, ``"first"`` or ``"none"`` — the others after their last epoch.
    """
    seeds, curves = check_seeds(seeds), check_curves(curves)
    runs = [Settings(**settings, seed=seed) for seed in seeds]
    rate = runs[0].learning_rate
    keras = {"learning_rate": rate} if mode == "keras" and not callable(rate) else {}
    trainer = make_trainer(data, n_hidden, mode, runs[0].output, **keras)
    train, test = data_sets(data)
    return [
        trainer.run(
            train,
            run,
            test=test,
            every_epoch=curves == "all" or (curves == "first" and i == 0),
        )
        for i, run in enumerate(runs)
    ]


def validation_split(data, fraction: float, seed: int) -> tuple[Examples, Examples]:
    """The training digits of ``data`` split into training and validation :class:`Examples`:
    a stratified split (every class in the same proportion) seeded by ``seed``."""
    labels = np.asarray(data.y_train)
    train, val = stratified_split(labels, fraction, seed)
    return Examples(data.x_train[train], labels[train]), Examples(data.x_train[val], labels[val])


def fit_to_plateau(
    data,
    *,
    n_hidden: int,
    seeds,
    rule: Plateau,
    validation_fraction: float = 0.2,
    split_seed: int = 0,
    **settings,
) -> list[Run]:
    """One run per seed, trained until its validation error reaches a
    plateau (``rule``); ``settings``: ``learning_rate``,
    ``batch_size`` and ``output`` (see :class:`Settings`).

    The validation digits are held out from the training digits of
    ``data``: a stratified split seeded by ``split_seed``, the same for
    every seed. The test digits play no part in deciding when to stop.
    Validation and test errors are recorded after every epoch.
    """
    seeds = check_seeds(seeds)
    if not isinstance(rule, Plateau):
        message = f"rule must be a training.Plateau, got {rule!r}"
        raise ValueError(message)
    epochs = rule.max_epochs
    runs = [Settings(epochs, **settings, seed=s) for s in seeds]
    output = runs[0].output
    trainer = make_trainer(data, n_hidden, output=output)  # graph mode
    fraction = validation_fraction
    train, val = validation_split(data, fraction, split_seed)
    test = data_sets(data)[1]
    return [
        trainer.run(
            train,
            run,
            test=test,
            validation=val,
            stop=rule,
            every_epoch=False,  # training error: last epoch
        )
        for run in runs
    ]


def rate_sweep(
    data,
    *,
    rates,
    n_hidden: int,
    validation_fraction: float = 0.2,
    split_seed: int = 0,
    **settings,
) -> dict[float, float]:
    """The validation error (percent) after ``epochs`` epochs for each learning rate of
    ``rates``, one run each; ``settings``: ``epochs``, ``batch_size``, ``seed``, ``output``
    (see :class:`Settings`). How a rate is chosen without the test digits: the validation
    digits are held out from the training digits as in :func:`fit_to_plateau`."""
    rates = tuple(float(r) for r in rates)
    if not rates or any(not math.isfinite(r) or r <= 0 for r in rates):
        raise ValueError(f"rates must be positive learning rates, got {rates!r}")
    runs = {rate: Settings(**settings, learning_rate=rate) for rate in rates}
    trainer = make_trainer(data, n_hidden, output=runs[rates[0]].output)
    train, val = validation_split(data, validation_fraction, split_seed)
    # scored on the validation digits
    return {
        rate: trainer.run(train, run, test=val, every_epoch=False).final_test_error
        for rate, run in runs.items()
    }


def confusion_matrix(labels, predicted, n_classes: int) -> np.ndarray:
    """Counts ``m[i, j]`` of examples of class i predicted as class j (scikit-learn's)."""
    matrix = metrics.confusion_matrix(labels, predicted, labels=np.arange(n_classes))
    return matrix.astype(np.int64)
