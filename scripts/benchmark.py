#!/usr/bin/env python3
"""Benchmark the lab's MLP training on this machine, as ratios measured in one run.

    .venv/bin/python scripts/benchmark.py [--rounds 3] [--epochs 3] [--batch-size 100]

Prints the CPU, then, for the same data, network and batch size:

* a large float32 matrix product — the reference rate (GFLOP/s) of this machine;
* the low-level training step of ``pw06.lowlevel_mlp``, run by ``pw06.training``: eagerly,
  compiled with ``tf.function`` and called from a Python loop, and compiled as a whole epoch —
  tracing time and the first (warm-up) epoch apart, then seconds per epoch (wall and CPU) and
  the achieved GFLOP/s as a fraction of the matrix product's;
* Keras ``fit`` (``pw06.keras_mlp``) with its default batch size and with the low-level batch
  size and order, and the low-level graph's time per epoch as a fraction of Keras's.

The machine may be shared, so its speed changes from second to second. The measurements are
therefore interleaved: ``--rounds`` rounds, each measuring the matrix product and then
``--epochs`` epochs of every implementation. "Typical" figures are medians over all rounds;
"best" figures (fastest epoch, fastest matrix product) estimate the unloaded machine. Every
ratio compares numbers measured in this run. It reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from pw06 import data, environment, training
from pw06.tf_quiet import load

tf = load()

#: Goals from the handbook's issues: the compiled epoch reaches at least this fraction of the
#: matrix-product rate, and takes at most this fraction of Keras fit's time per epoch.
GOAL_MATMUL_FRACTION = 0.5
GOAL_KERAS_RATIO = 0.7

GRAPH = "low-level, tf.function epoch (graph)"
STEP = "low-level, tf.function step + Python loop"
EAGER = "low-level, eager"


def training_flops(n_examples: int, n_inputs: int, n_hidden: int, n_outputs: int) -> int:
    """Floating-point operations of one training epoch, counting the matrix products only.

    Forward: 2·n·(D·H + H·K). Backward: ∂W2 and ∂h cost 2·n·H·K each, ∂W1 costs 2·n·D·H
    (no gradient is needed for the inputs). Total 4·n·D·H + 6·n·H·K.
    """
    return 4 * n_examples * n_inputs * n_hidden + 6 * n_examples * n_hidden * n_outputs


def matmul_gflops(n: int = 2048, repeats: int = 5) -> list[float]:
    """GFLOP/s of a compiled n×n float32 matrix product, one value per timed repeat."""
    a = tf.random.stateless_uniform((n, n), seed=(1, 2))
    b = tf.random.stateless_uniform((n, n), seed=(3, 4))
    product = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))
    product(a, b).numpy()  # trace and warm up
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        product(a, b).numpy()
        rates.append(2 * n**3 / (time.perf_counter() - start) / 1e9)
    return rates


class Row:
    """One implementation: how to run ``epochs`` more epochs, and the times collected."""

    def __init__(self, label: str, batch: int, run_epochs, trace: float | None = None):
        self.label, self.batch, self.run_epochs, self.trace = label, batch, run_epochs, trace
        self.first: float | None = None  # the very first epoch (warm-up, tracing for Keras)
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def measure(self, epochs: int) -> None:
        history = self.run_epochs(epochs)
        wall, cpu = history.wall, history.cpu
        if self.first is None:
            self.first, wall, cpu = wall[0], wall[1:], cpu[1:]
            if history.trace_seconds:
                self.trace = history.trace_seconds
        self.wall += wall
        self.cpu += cpu


def lowlevel_row(mode, label, digits, args) -> Row:
    """The lesson's network and step in ``mode``; tracing (step, graph) is timed apart."""
    trainer = training.Trainer(digits.n_features, args.hidden, digits.n_classes, mode=mode)

    def run_epochs(epochs):
        settings = training.Settings(epochs, args.batch_size, args.learning_rate, seed=0)
        return trainer.run(training.data_sets(digits)[0], settings, every_epoch=False)

    return Row(label, args.batch_size, run_epochs, trace=0.0 if mode == "eager" else None)


def keras_row(batch, digits, args) -> Row:
    from pw06 import keras_mlp as km
    from pw06 import keras_training as kt

    model = km.compile_model(
        km.build_sequential(digits.n_features, args.hidden, digits.n_classes, seed=0),
        args.learning_rate,
    )
    # at the low-level batch, fed the low-level loop's order (as on the Keras page)
    label = f"Keras fit, batch {batch}, same order" if batch else "Keras fit, default batch"

    def run_epochs(epochs):
        order = "lowlevel" if batch else "keras"
        settings = training.Settings(epochs, batch, args.learning_rate, seed=0, order=order)
        train = training.data_sets(digits)[0]
        return kt.fit_keras(model, train, settings, every_epoch=False)

    return Row(label, batch or kt.default_batch_size(), run_epochs)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per row and round")
    parser.add_argument("--batch-size", type=int, default=100, help="the lab's batch size")
    parser.add_argument("--hidden", type=int, default=300, help="hidden units H")
    parser.add_argument("--learning-rate", type=float, default=3.0)
    parser.add_argument("--source", default=None, help="data source (default: $PW06_DATASET)")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras rows")
    args = parser.parse_args(argv)

    digits = data.load(args.source)
    n, d, k, h = len(digits.y_train), digits.n_features, digits.n_classes, args.hidden
    flops = training_flops(n, d, h, k)
    versions = environment.package_versions(("tensorflow", "keras"))
    print(f"Machine:   {environment.hardware_summary()}")
    print(
        f"Software:  TensorFlow {versions['tensorflow']}, Keras {versions['keras']}; "
        f"threads: intra-op {tf.config.threading.get_intra_op_parallelism_threads() or 'auto'}, "
        f"inter-op {tf.config.threading.get_inter_op_parallelism_threads() or 'auto'}"
    )
    print(
        f"Workload:  {digits.name}: {n} training examples, MLP {d}-{h}-{k}, "
        f"{flops / 1e9:.2f} GFLOP per epoch (matrix products)"
    )
    print(
        f"Method:    {args.rounds} interleaved rounds × {args.epochs} epochs per implementation "
        "(the very first epoch apart), matmul before and after each round; typical = median, "
        "best = fastest\n"
    )

    rows = [
        lowlevel_row("eager", EAGER, digits, args),
        lowlevel_row("step", STEP, digits, args),
        lowlevel_row("graph", GRAPH, digits, args),
    ]
    if not args.no_keras:
        rows += [keras_row(None, digits, args), keras_row(args.batch_size, digits, args)]
    references = []  # GFLOP/s of every timed matrix product, before and between the rounds
    for _ in range(args.rounds):
        references += matmul_gflops()
        for row in rows:
            row.measure(args.epochs)
    references += matmul_gflops()
    ref_typical, ref_best = statistics.median(references), max(references)
    print(
        f"Reference: 2048×2048 float32 matmul, {ref_typical:.0f} GFLOP/s typical, "
        f"{ref_best:.0f} best (from {min(references):.0f} to {max(references):.0f})\n"
    )

    by_label = {row.label: row for row in rows}
    graph_wall = statistics.median(by_label[GRAPH].wall)
    header = (
        f"{'implementation':42} {'batch':>5} {'trace s':>8} {'1st ep s':>8} {'s/epoch':>8} "
        f"{'CPU s/ep':>8} {'best s/ep':>9} {'GFLOP/s':>8} {'% matmul':>8} {'÷ graph':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        wall, cpu, best = statistics.median(row.wall), statistics.median(row.cpu), min(row.wall)
        trace = "in 1st" if row.trace is None else f"{row.trace:.3f}" if row.trace else "none"
        print(
            f"{row.label:42} {row.batch:5d} {trace:>8} {row.first:8.3f} {wall:8.4f} {cpu:8.4f} "
            f"{best:9.4f} {flops / best / 1e9:8.1f} {100 * flops / best / 1e9 / ref_best:7.0f}% "
            f"{wall / graph_wall:8.2f}"
        )
    print(
        "(trace: separate tracing, or 'in 1st' epoch; s/epoch, CPU s/ep: medians; GFLOP/s and "
        "% matmul: best epoch against best matmul;\n ÷ graph: median time per epoch divided by "
        "the graph's)\n"
    )

    graph, step, eager = by_label[GRAPH], by_label[STEP], by_label[EAGER]
    best_fraction = flops / min(graph.wall) / 1e9 / ref_best
    typical_fraction = flops / graph_wall / 1e9 / ref_typical
    met = "met" if best_fraction >= GOAL_MATMUL_FRACTION else "NOT met"
    print(
        f"Graph-mode epoch at batch {args.batch_size}: {100 * best_fraction:.0f}% of the matmul "
        f"rate (best vs best), {100 * typical_fraction:.0f}% (typical vs typical); goal ≥ "
        f"{100 * GOAL_MATMUL_FRACTION:.0f}%: {met}."
    )
    print(
        f"Plain loop (compiled step called from Python): "
        f"{100 * flops / min(step.wall) / 1e9 / ref_best:.0f}% of the matmul rate (best)."
    )
    print(
        f"tf.function over eager: ×{statistics.median(eager.wall) / graph_wall:.1f} faster per "
        f"epoch (whole epoch compiled), ×"
        f"{statistics.median(eager.wall) / statistics.median(step.wall):.1f} (step compiled)."
    )
    if not args.no_keras:
        same = by_label[f"Keras fit, batch {args.batch_size}, same order"]
        default = by_label["Keras fit, default batch"]
        ratio = graph_wall / statistics.median(same.wall)
        cpu_ratio = statistics.median(graph.cpu) / statistics.median(same.cpu)
        print(
            f"Low-level graph ÷ Keras fit at equal batch {args.batch_size}: {ratio:.2f} of the "
            f"wall time per epoch, {cpu_ratio:.2f} of the CPU time (goal ≤ {GOAL_KERAS_RATIO}: "
            f"{'met' if ratio <= GOAL_KERAS_RATIO else 'NOT met'})."
        )
        print(
            f"Low-level graph ÷ Keras fit at its default batch {default.batch}: "
            f"{graph_wall / statistics.median(default.wall):.2f} (wall), "
            f"{statistics.median(graph.cpu) / statistics.median(default.cpu):.2f} (CPU)."
        )


if __name__ == "__main__":
    main()
