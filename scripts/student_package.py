#!/usr/bin/env python3
"""Build the student package: a ``pw06`` wheel without the solutions, whose checks still work.

    .venv/bin/python scripts/student_package.py [OUTPUT_DIR]    # default: _build/student-package

(The student edition, ``python3 tasks.py book --student``, runs it and publishes the wheel on
its site.) Three steps, in a copy of ``code/``:

1. record: the checks run on the reference answers and on every known mistake of
   ``code/tests/test_check.py`` with the live reference code (``scripts/check_answers.py``),
   and the results of every reference call they make are written to ``pw06/_reference.json``
   with the SHA-256 of the source they came from (:mod:`pw06.recorded`);
2. cut: every ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region of ``pw06/**/*.py`` becomes
   ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, by the same function that makes the
   blank workbooks (``book/_ext/workbooks.py``'s ``clear_solutions``);
3. build: ``pip wheel`` of the copy, offline, version ``<version>+student``.

The checks of the student package then compare with the recorded results (``replay``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ROOT / "code"
DATA = Path("pw06") / "_reference.json"
LOCAL_VERSION = "student"
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from workbooks import clear_solutions  # noqa: E402  (the blank workbooks' cutter)


def solution_regions(code_dir: Path = CODE / "pw06") -> dict[str, list[str]]:
    """``{file: [each region's source lines]}`` (files relative to ``code_dir``, subpackages
    included): what the student package must not hold."""
    from workbooks import BEGIN_SOLUTION, END_SOLUTION

    regions: dict[str, list[str]] = {}
    for path in sorted(Path(code_dir).rglob("*.py")):
        inside = False
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip() == BEGIN_SOLUTION:
                inside = True
            elif line.strip() == END_SOLUTION:
                inside = False
            elif inside:
                regions.setdefault(path.relative_to(code_dir).as_posix(), []).append(line)
    return regions


def normalised(line: str) -> str:
    """A line with its whitespace collapsed (and none around it): how the leak test compares."""
    return " ".join(line.split())


def stage(into: Path) -> Path:
    """A copy of ``code/`` without tests, caches or build folders, every region cut."""
    ignore = shutil.ignore_patterns(
        "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".*cache", "tests"
    )
    target = into / "code"
    shutil.copytree(CODE, target, ignore=ignore)
    for path in sorted((target / "pw06").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        cut, found = clear_solutions(text)
        if found:
            path.write_text(cut, encoding="utf-8")
    pyproject = target / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    text, n = re.subn(r'(?m)^version = "([^"+]+)"$', rf'version = "\1+{LOCAL_VERSION}"', text)
    assert n == 1, "pyproject.toml: no version line"
    text = text.replace(
        "[tool.setuptools]",
        '[tool.setuptools.package-data]\npw06 = ["_reference.json"]\n\n[tool.setuptools]',
    )
    pyproject.write_text(text, encoding="utf-8")
    return target


def record(data_file: Path, work: Path, python: str = sys.executable) -> dict:
    """Run the checks on the reference answers and the known mistakes, live; write the results
    of their reference calls to ``data_file``; return the lines printed ({case: {check: line}})."""
    import json

    cases, lines = work / "cases.json", work / "live-lines.json"
    script = str(ROOT / "scripts" / "check_answers.py")
    for args in (["cases", cases], ["run", cases, lines, "--record", data_file]):
        result = subprocess.run(
            [python, script, *map(str, args)], capture_output=True, text=True, cwd=ROOT
        )
        if result.returncode:
            raise RuntimeError(f"check_answers {args[0]} failed:\n{result.stderr[-4000:]}")
    return json.loads(lines.read_text(encoding="utf-8"))


def build(out_dir: Path) -> Path:
    """Build the student wheel into ``out_dir``; return its path."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pw06-student-") as tmp:
        work = Path(tmp)
        record(work / "reference.json", work)
        target = stage(work)
        shutil.copy(work / "reference.json", target / DATA)
        for old in out_dir.glob("pw06-*.whl"):
            old.unlink()
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        command += ["--no-index", "-q", "-w", str(out_dir), str(target)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"pip wheel failed:\n{result.stdout}\n{result.stderr}")
    (wheel,) = out_dir.glob("pw06-*.whl")
    return wheel


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    target = Path(sys.argv[1] if len(sys.argv) == 2 else ROOT / "_build" / "student-package")
    print(build(target))
