#!/usr/bin/env python3
"""The handbook's two commands, for a fresh machine with only Python 3 and pip.

    python3 tasks.py book   # create .venv, install, build the HTML into _build/html
    python3 tasks.py test   # create .venv, install with test tools, lint, run every test

For instructors, ``python3 tasks.py book --student`` builds the student edition (no solutions)
into _build/student/_build/html, reusing the chapters' outputs of the main build.

Both create the virtual environment ``.venv`` on first use and reinstall only when
``requirements*.txt`` or ``code/pyproject.toml`` change. Standard library only, so it runs
before anything is installed, on Linux, macOS and Windows alike.
"""

from __future__ import annotations

import hashlib
import os
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


def run(*args, **kwargs) -> None:
    """Run a command from the repository root; stop with its exit code if it fails."""
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, **kwargs)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(requirements: str) -> None:
    """Create .venv and install ``requirements`` unless it is already up to date."""
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


if __name__ == "__main__":
    tasks = {"book": book, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(tasks)}}} [pytest arguments]")
    tasks[sys.argv[1]]()
