#!/usr/bin/env python3
"""The handbook's two commands, for a fresh machine with only Python 3 and pip.

    python3 tasks.py book   # create .venv, install, build the HTML into _build/html
    python3 tasks.py test   # create .venv, install with test tools, lint, run every test

For instructors, ``python3 tasks.py book --student`` builds the student edition (no solutions)
into _build/student/_build/html, reusing the chapters' outputs of the main build.

Both create the virtual environment ``.venv`` on first use and reinstall only when
``requirements*.txt`` or ``code/pyproject.toml`` change. Standard library only, so it runs
before anything is installed, on Linux, macOS and Windows alike. It runs on the Pythons
TensorFlow ships wheels for (SUPPORTED_PYTHON) and stops at once on any other, before it
creates anything; a ``.venv`` left by another Python is made anew.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

#: The strict build: every warning is an error, every reference is checked, and all
#: problems are reported before failing.
BUILD_ARGS = ["build", "book/", "-W", "-n", "--keep-going"]

#: The oldest and newest Python the handbook runs on: those TensorFlow 2.21 ships wheels for.
#: tests/test_python_range.py keeps it equal to code/pyproject.toml's classifiers, the README,
#: the installation chapter and the Pythons the lock (requirements.txt) is checked against.
SUPPORTED_PYTHON = ((3, 10), (3, 13))


def python_problem(version_info=None) -> str | None:
    """Why this Python cannot run the handbook (None when it can); ``version_info`` defaults
    to ``sys.version_info``."""
    version = tuple(version_info or sys.version_info)[:3]
    oldest, newest = SUPPORTED_PYTHON
    if oldest <= version[:2] <= newest:
        return None
    running = ".".join(str(part) for part in version)
    supported = f"{oldest[0]}.{oldest[1]} to {newest[0]}.{newest[1]}"
    return (
        f"This is Python {running}; the handbook needs Python {supported} (the versions "
        f"TensorFlow ships wheels for), so nothing was installed.\n"
        f"Install Python 3.12 (from https://www.python.org/downloads/ or your system's package "
        f"manager, e.g. `sudo apt install python3.12-venv` or `brew install python@3.12`) and "
        f"run this command with it, e.g. `python3.12 tasks.py {' '.join(sys.argv[1:2]) or 'book'}`"
        f"; or use Colab or Docker instead (see the installation chapter, book/installation.md)."
    )


def venv_python_version() -> str | None:
    """The ``major.minor`` of the Python that made ``.venv`` (None without a .venv)."""
    config = VENV / "pyvenv.cfg"
    if not config.exists():
        return None
    for line in config.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            return ".".join(value.strip().split(".")[:2])
    return None


def run(*args, **kwargs) -> None:
    """Run a command from the repository root; stop with its exit code if it fails."""
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, **kwargs)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(requirements: str) -> None:
    """Create .venv and install ``requirements`` unless it is already up to date."""
    made_by = venv_python_version()
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if VENV.exists() and made_by != running:
        print(f"{VENV} was made by Python {made_by or '(unknown)'}; making it anew with {running}")
        shutil.rmtree(VENV)
    if not PYTHON.exists():
        print(f"Creating the virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    inputs = [ROOT / requirements, ROOT / "requirements.txt", ROOT / "code" / "pyproject.toml"]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs)).hexdigest()[:16]
    stamp = VENV / f".installed-{Path(requirements).stem}-{digest}"
    if stamp.exists():
        return
    run(PYTHON, "-m", "pip", "install", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "-r", requirements)
    for old in VENV.glob(f".installed-{Path(requirements).stem}-*"):
        old.unlink()
    stamp.touch()


def book() -> None:
    """Set up and build the book (strict), into _build/html; ``--student``: the student
    edition, without solutions, into _build/student/_build/html."""
    ensure_venv("requirements.txt")
    if sys.argv[2:] == ["--student"]:
        run(PYTHON, ROOT / "scripts" / "student_edition.py", ROOT / "_build" / "student")
        return
    if sys.argv[2:]:
        sys.exit("usage: python3 tasks.py book [--student]")
    run(BIN / "jupyter-book", *BUILD_ARGS)
    print(f"\nOpen {ROOT / '_build' / 'html' / 'index.html'} in a browser.")


def test() -> None:
    """Set up, lint, and run the whole test suite (it includes one full build of the book)."""
    ensure_venv("requirements-dev.txt")
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(PYTHON, "-m", "pytest", *sys.argv[2:])


def main() -> None:
    tasks = {"book": book, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(tasks)}}} [pytest arguments]")
    problem = python_problem()
    if problem:
        sys.exit(problem)
    tasks[sys.argv[1]]()


if __name__ == "__main__":
    main()
