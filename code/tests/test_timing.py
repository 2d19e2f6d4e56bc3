"""Stopwatch and timing summaries, driven by a fake clock (no sleeping, no busy loops)."""

from __future__ import annotations

import pytest
from pw06.timing import Stopwatch, summarize_timing


def test_stopwatch_reads_the_clocks_it_is_given():
    now = {"wall": 100.0, "cpu": 5.0}
    watch = Stopwatch(wall_clock=lambda: now["wall"], cpu_clock=lambda: now["cpu"])
    with watch:
        now["wall"] += 2.5  # waiting: wall time only
        now["cpu"] += 0.25
    assert (watch.wall, watch.cpu) == (2.5, 0.25)
    watch.start()
    now["wall"] += 1.0
    assert watch.stop() == (1.0, 0.0)
    with pytest.raises(RuntimeError, match="before start"):
        watch.stop()


def test_stopwatch_defaults_to_wall_and_process_time():
    import time

    watch = Stopwatch()
    assert watch._clocks == (time.perf_counter, time.process_time)


def test_summarize_timing_keeps_warm_up_and_tracing_apart():
    timing = summarize_timing(
        [5.0, 1.0, 3.0, 1.0], [4.0, 2.0, 2.0, 9.0], trace_seconds=0.5, trace_cpu=0.25
    )
    assert timing.first_wall == 5.0 and timing.first_cpu == 4.0
    assert timing.epoch_wall == 1.0 and timing.epoch_cpu == 2.0  # medians of the later epochs
    assert timing.total_wall == 10.5 and timing.total_cpu == 17.25  # CPU counted as CPU
    assert summarize_timing([2.0], [1.0]).epoch_wall == 2.0
    with pytest.raises(ValueError, match="one time per epoch"):
        summarize_timing([], [])
    with pytest.raises(ValueError, match="got 2 and 1 values"):
        summarize_timing([1.0, 2.0], [1.0])
