#!/usr/bin/env python3
"""Run the package's tests, the reader notebooks and the workbook solutions against other
versions of TensorFlow and friends than the handbook's lock: the ranges code/pyproject.toml
declares must hold where students install ``pw06`` (their own Python, Colab).

    python3.10 scripts/check_versions.py code/constraints-lowest.txt NOTEBOOKS WORKDIR
    python3.12 scripts/check_versions.py code/constraints-colab.txt NOTEBOOKS WORKDIR

Run it with the Python to check. It creates ``WORKDIR/venv`` with that Python, installs
``./code`` (a copy), ``ipykernel`` and the test runners into it with the constraints file's
versions, then in that venv runs ``code/tests``, every reader notebook ``NOTEBOOKS/*.ipynb``
and every workbook solution ``NOTEBOOKS/workbooks/solutions/*.ipynb`` (the output of
scripts/export_notebooks.py). A notebook passes when every cell runs, no cell writes to stderr
and no cell prints the same lines twice. It prints one row of the table "Python × versions →
unit tests, reader notebooks, workbooks" and exits non-zero when anything failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Installed next to pw06: a kernel and the runners of the checks, not pw06's dependencies.
TOOLS = ["ipykernel", "nbclient", "nbformat", "pytest"]
#: The versions the table reports.
REPORTED = ["tensorflow", "keras", "numpy", "pandas", "matplotlib"]

#: Runs in the checked venv: execute one notebook, report its failures (one per line).
RUNNER = r"""
import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
path, cwd = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
problems = []
try:
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": cwd}}).execute()
except CellExecutionError as error:
    problems.append("error: " + str(error).strip().splitlines()[-1][:300])
for number, cell in enumerate(nb.cells):
    if cell.cell_type != "code":
        continue
    streams = {}
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            streams[out["name"]] = streams.get(out["name"], "") + out["text"]
    if streams.get("stderr"):
        problems.append(f"cell {number}: stderr {streams['stderr'][:300]!r}")
    lines = [line for line in streams.get("stdout", "").splitlines() if line.strip()]
    half = len(lines) // 2
    if half and lines[:half] == lines[half:]:
        problems.append(f"cell {number}: stdout printed twice {lines[:half][:2]!r}")
print("\n".join(problems))
"""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    shown = ["RUNNER" if str(c) == RUNNER else str(c) for c in command]
    print("+", " ".join(shown), flush=True)
    return subprocess.run([str(c) for c in command], text=True, **kwargs)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("constraints", type=Path, help="pip constraints: the versions to check")
    parser.add_argument("notebooks", type=Path, help="scripts/export_notebooks.py's folder")
    parser.add_argument("workdir", type=Path, help="where the venv and the runs go")
    args = parser.parse_args(argv)
    constraints = args.constraints.resolve()
    notebooks = args.notebooks.resolve()
    work = args.workdir.resolve()
    readers = sorted(notebooks.glob("*.ipynb"))
    solutions = sorted((notebooks / "workbooks" / "solutions").glob("*.ipynb"))
    if not readers or not solutions:
        sys.exit(f"no reader notebooks or workbook solutions in {notebooks}")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    venv = work / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", venv], check=True)
    code = work / "code"  # a copy: building the package writes build/ next to its source
    shutil.rmtree(code, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".*cache")
    shutil.copytree(ROOT / "code", code, ignore=ignore)
    started = time.perf_counter()
    pip = [python, "-m", "pip", "install", "-q", "-c", constraints]
    run([*pip, code, *TOOLS], env=env, check=True)
    print(f"installed in {time.perf_counter() - started:.0f} s", flush=True)
    versions = run(
        [
            python,
            "-c",
            "import sys, importlib.metadata as m; print(sys.version.split()[0]); "
            f"print(*(m.version(n) for n in {REPORTED!r}))",
        ],
        env=env,
        capture_output=True,
        check=True,
    ).stdout.split()

    tests = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", ROOT / "code" / "tests"],
        env=env,
        cwd=work,
        capture_output=True,
    )
    print(tests.stdout[-3000:], tests.stderr[-2000:], sep="\n", flush=True)
    summary = (tests.stdout.strip().splitlines() or ["no output"])[-1].strip("= ")

    results = {}
    for group, paths in (("reader notebooks", readers), ("workbooks", solutions)):
        passed = 0
        for path in paths:
            cwd = work / "run" / group.split()[0] / path.stem
            cwd.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            result = run([python, "-c", RUNNER, path, cwd], env=env, capture_output=True)
            problems = result.stdout.strip() or (
                result.stderr.strip()[-1000:] if result.returncode else ""
            )
            status = "ok" if not problems else "FAILED\n  " + problems.replace("\n", "\n  ")
            print(
                f"{group}: {path.name} {time.perf_counter() - started:.0f} s {status}", flush=True
            )
            passed += not problems
        results[group] = f"{passed}/{len(paths)}"

    python_version, *package_versions = versions
    pinned = ", ".join(f"{n} {v}" for n, v in zip(REPORTED, package_versions, strict=True))
    print("\n| Python | versions | unit tests | reader notebooks | workbooks |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| {python_version} | {pinned} | {summary} | {results['reader notebooks']} "
        f"| {results['workbooks']} |"
    )
    ok = tests.returncode == 0 and all(r.split("/")[0] == r.split("/")[1] for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
