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

import math
from dataclasses import dataclass, field

import numpy as np

from pw06 import lowlevel_mlp as ll
from pw06.data import stratified_split
from pw06.tf_quiet import load
from pw06.timing import Stopwatch, Timing, summarize_timing

tf = load()

MODES = ("eager", "step", "graph")
#: Which runs of several seeds are evaluated after every epoch (the others after the last).
CURVES = ("all", "first", "none")


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


def fit_graph(
    params, x, t, *, epochs, batch_size, learning_rate, seed, run_epoch, on_epoch_end=None
) -> ll.History:
    """The lesson's ``fit`` with each epoch run by ``run_epoch`` (from :func:`epoch_graph`).

    Same order of the examples for the same seed, same schedule, same history as ``ll.fit``.
    If ``on_epoch_end(epoch, history)`` returns True, training stops after that epoch.
    """
    x, t = ll.check_inputs(x, params, "x"), ll.check_targets(t, params, len(x), "t")
    ll.check_count(epochs, "epochs")
    ll.check_count(batch_size, "batch_size")
    history = ll.History()
    for epoch, order in enumerate(shuffled_orders(len(x), epochs, seed)):
        rate = learning_rate(epoch) if callable(learning_rate) else learning_rate
        losses = run_epoch(x, t, order, tf.constant(batch_size), tf.constant(rate, tf.float32))
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
        x,
        labels,
        *,
        epochs: int,
        batch_size: int,
        learning_rate,
        seed: int,
        x_test=None,
        labels_test=None,
        every_epoch: bool = True,
        x_val=None,
        labels_val=None,
        stop: Plateau | None = None,
    ) -> Run:
        """Train from the initial weights of ``seed``; time every epoch and evaluate after it
        (after the last only, with ``every_epoch=False``). Evaluation is not timed.

        With a validation set (``x_val``, ``labels_val``) its error and the test error are
        recorded after every epoch; with ``stop`` (graph mode), training ends when
        ``stop.stop`` says so, at most after ``epochs`` epochs.
        """
        for variable, value in zip(self.params, ll.init_params(*self.sizes, seed), strict=True):
            variable.assign(value)
        x = ll.check_inputs(x, self.params, "x")
        labels = ll.check_labels(labels, self.params, len(x), "labels")
        t = tf.one_hot(labels, self.sizes[-1])
        test = self._evaluation_set(x_test, labels_test, "test")
        validation = self._evaluation_set(x_val, labels_val, "val")
        if stop is not None and (self.mode != "graph" or validation is None):
            raise ValueError(
                "stop needs mode='graph' and a validation set (x_val, labels_val), got "
                f"mode={self.mode!r} and x_val={'given' if x_val is not None else None}"
            )
        record = Run(mode=self.mode, seed=seed, batch_size=batch_size, train_examples=len(x))
        record.validation_examples = 0 if validation is None else len(validation[2])
        record.initial_loss = self.evaluate(x, t, labels)[0]
        record.trace_seconds, record.trace_cpu = self.trace()
        clock = Stopwatch()

        def on_epoch_end(epoch, history):
            wall, cpu = clock.stop()
            record.wall.append(wall)
            record.cpu.append(cpu)
            done = False
            if validation is not None:  # the curves of a run to a plateau: every epoch
                record.validation_error.append(self.evaluate(*validation)[1])
                if test is not None:
                    record.test_error.append(self.evaluate(*test)[1])
                done = stop is not None and stop.stop(record.validation_error)
            if every_epoch or done or epoch == epochs - 1:
                loss, train_error = self.evaluate(x, t, labels)
                record.loss.append(loss)
                record.train_error.append(train_error)
                if test is not None and validation is None:
                    record.test_error.append(self.evaluate(*test)[1])
            clock.start()
            return done

        settings = dict(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate)
        clock.start()
        if self.mode == "graph":
            history = fit_graph(
                self.params,
                x,
                t,
                **settings,
                seed=seed,
                run_epoch=self.run_epoch,
                on_epoch_end=on_epoch_end,
            )
        else:
            history = ll.fit(
                self.params,
                x,
                t,
                **settings,
                seed=seed,
                output=self.output,
                step=self.step,
                on_epoch_end=on_epoch_end,
            )
        clock.stop()
        record.step_loss, record.learning_rate = history.step_loss, history.learning_rate
        if test is not None:
            record.test_predictions = self.compiled_evaluate(*test[:2])[1].numpy()
        return record

    def _evaluation_set(self, x, labels, name):
        """(inputs, one-hot targets, labels) of a test or validation set, checked; or None."""
        if x is None:
            return None
        x = ll.check_inputs(x, self.params, f"x_{name}")
        labels = ll.check_labels(labels, self.params, len(x), f"labels_{name}")
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


def fit_seeds(
    data,
    *,
    n_hidden: int,
    learning_rate,
    batch_size: int,
    epochs: int,
    seeds,
    mode: str = "graph",
    output: str = "sigmoid",
    curves: str = "all",
) -> list[Run]:
    """Train one run per seed on ``data`` (a :class:`pw06.data.Digits`); one :class:`Run` each.

    One :class:`Trainer` serves every seed. ``curves`` says which runs are evaluated after every
    epoch — ``"all"``, ``"first"`` or ``"none"`` — the others after their last epoch only.
    """
    seeds, curves = check_seeds(seeds), check_curves(curves)
    trainer = Trainer(data.n_features, n_hidden, data.n_classes, mode=mode, output=output)
    check_data(data, trainer.params)
    return [
        trainer.run(
            data.x_train,
            data.y_train,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            seed=seed,
            x_test=data.x_test,
            labels_test=data.y_test,
            every_epoch=curves == "all" or (curves == "first" and i == 0),
        )
        for i, seed in enumerate(seeds)
    ]


def fit_to_plateau(
    data,
    *,
    n_hidden: int,
    learning_rate,
    batch_size: int,
    seeds,
    rule: Plateau,
    validation_fraction: float = 0.2,
    split_seed: int = 0,
) -> list[Run]:
    """One run per seed, trained until its validation error reaches a
    plateau (``rule``).

    The validation digits are held out from the training digits of
    ``data``: a stratified split seeded by ``split_seed``, the same for
    every seed. The test digits play no part in deciding when to stop.
    Validation and test errors are recorded after every epoch.
    """
    seeds = check_seeds(seeds)
    if not isinstance(rule, Plateau):
        message = f"rule must be a training.Plateau, got {rule!r}"
        raise ValueError(message)
    sizes = (data.n_features, n_hidden, data.n_classes)
    trainer = Trainer(*sizes)  # the graph mode
    check_data(data, trainer.params)
    labels = np.asarray(data.y_train)
    fraction = validation_fraction
    train, val = stratified_split(labels, fraction, split_seed)
    return [
        trainer.run(
            data.x_train[train],
            labels[train],
            epochs=rule.max_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            seed=seed,
            x_test=data.x_test,
            labels_test=data.y_test,
            x_val=data.x_train[val],
            labels_val=labels[val],
            stop=rule,
            every_epoch=False,  # training error: last epoch
        )
        for seed in seeds
    ]


def confusion_matrix(labels, predicted, n_classes: int) -> np.ndarray:
    """Counts ``m[i, j]`` of examples of class i predicted as class j."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predicted)), 1)
    return matrix
