#!/usr/bin/env python3
"""Time a clean build of the book (every chapter executed) and a no-change rebuild.

    .venv/bin/python scripts/time_build.py [--output DIR]

Builds into a scratch folder (default: a new temporary one), so `_build/` is left alone. Prints
wall time and peak memory of each build: the peak resident memory of the largest single process
(what ``/usr/bin/time -v`` calls "Maximum resident set size") and the peak of the whole process
tree (Sphinx plus the notebook kernels), sampled every 0.1 s. Goals: clean ≤ 90 s, rebuild ≤ 15 s,
peak ≤ 4 GiB on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
JB = Path(sys.executable).parent / "jupyter-book"

from pw06.environment import hardware_summary  # noqa: E402


def timed_build(output: Path) -> tuple[float, float, float]:
    """Run one strict build; return (seconds, peak tree RSS in GiB, peak process RSS in GiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(JB), "build", "book/", "-W", "-n", "--keep-going", "--path-output", str(output)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    root = psutil.Process(proc.pid)
    peak_tree = 0
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            peak_tree = max(peak_tree, sum(p.memory_info().rss for p in procs))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"build failed:\n{proc.stderr.read()[-4000:]}")
    peak_process = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    return seconds, peak_tree / 2**30, peak_process / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None, help="scratch build folder")
    args = parser.parse_args()
    output = args.output or Path(tempfile.mkdtemp(prefix="pw06-build-"))
    print(f"Machine: {hardware_summary()}")
    print(f"Output:  {output}")
    clean = timed_build(output)
    print(
        f"clean build (all chapters executed): {clean[0]:6.1f} s, "
        f"peak memory {clean[1]:.2f} GiB (tree), {clean[2]:.2f} GiB (largest process)"
    )
    rebuild = timed_build(output)
    print(
        f"no-change rebuild:                   {rebuild[0]:6.1f} s, "
        f"peak memory {rebuild[1]:.2f} GiB (tree)"
    )


if __name__ == "__main__":
    main()
