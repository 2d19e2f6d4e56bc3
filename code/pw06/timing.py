"""Wall and CPU time of training, for the chapters' tables and the benchmark.

Wall time is ``time.perf_counter``; CPU time is ``time.process_time`` — all threads of this
process, so TensorFlow's worker threads count. The clocks are arguments, so that tests can
drive a :class:`Stopwatch` with a fake clock instead of sleeping.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


class Stopwatch:
    """Seconds between ``start()`` and ``stop()`` (or inside a ``with`` block), wall and CPU."""

    def __init__(self, wall_clock=time.perf_counter, cpu_clock=time.process_time):
        self._clocks = (wall_clock, cpu_clock)
        self._started: tuple[float, float] | None = None
        self.wall = 0.0
        self.cpu = 0.0

    def start(self) -> Stopwatch:
        self._started = (self._clocks[0](), self._clocks[1]())
        return self

    def stop(self) -> tuple[float, float]:
        """Stop; return and keep ``(wall, cpu)`` seconds since ``start()``."""
        if self._started is None:
            raise RuntimeError("stop() called before start()")
        self.wall = self._clocks[0]() - self._started[0]
        self.cpu = self._clocks[1]() - self._started[1]
        self._started = None
        return self.wall, self.cpu

    def __enter__(self) -> Stopwatch:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass(frozen=True)
class Timing:
    """Training time split into tracing, the first (warm-up) epochs and the steady state."""

    trace_seconds: float  # explicit tracing before training, wall (0 when nothing was traced)
    trace_cpu: float
    first_wall: float  # the warm-up epoch(s), wall seconds
    first_cpu: float
    epoch_wall: float  # steady state: median seconds per epoch after the warm-up
    epoch_cpu: float
    total_wall: float  # tracing + every epoch
    total_cpu: float


def summarize_timing(
    wall, cpu, *, warmup: int = 1, trace_seconds: float = 0.0, trace_cpu: float = 0.0
) -> Timing:
    """Split per-epoch times into warm-up (the first ``warmup`` epochs) and steady state.

    The steady state is the median over the remaining epochs (robust to a stray slow epoch on
    a shared machine); with no epoch left after the warm-up it falls back to all epochs.
    """
    wall, cpu = [float(w) for w in wall], [float(c) for c in cpu]
    if not wall or len(wall) != len(cpu):
        raise ValueError(
            f"wall and cpu must hold one time per epoch, got {len(wall)} and {len(cpu)} values"
        )
    steady_wall, steady_cpu = wall[warmup:] or wall, cpu[warmup:] or cpu
    return Timing(
        trace_seconds=float(trace_seconds),
        trace_cpu=float(trace_cpu),
        first_wall=sum(wall[:warmup]),
        first_cpu=sum(cpu[:warmup]),
        epoch_wall=statistics.median(steady_wall),
        epoch_cpu=statistics.median(steady_cpu),
        total_wall=float(trace_seconds) + sum(wall),
        total_cpu=float(trace_cpu) + sum(cpu),
    )
