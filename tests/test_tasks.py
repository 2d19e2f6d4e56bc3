"""tasks.py turns away a Python the handbook cannot run on, before it creates anything, and
makes ``.venv`` anew when another Python made it.

The version checks fake ``sys.version_info``; one test runs a real Python 3.9 when this machine
has one (pyenv), as a student with macOS's own ``python3`` would.
"""

from __future__ import annotations

import glob
import importlib.util
import shutil
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import pytest
from helpers import ROOT


def load_tasks(root: Path | None = None):
    """tasks.py as a module; with ``root``, a copy in ``root`` (its .venv is ``root/.venv``)."""
    path = ROOT / "tasks.py"
    if root is not None:
        path = Path(shutil.copy(path, root / "tasks.py"))
    spec = importlib.util.spec_from_file_location("tasks_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VersionInfo = namedtuple("VersionInfo", "major minor micro releaselevel serial")


class FakeSys:
    """``sys`` as tasks.py sees it, with another ``version_info`` (the real one stays put)."""

    def __init__(self, version_info):
        self.version_info = version_info

    def __getattr__(self, name):
        return getattr(sys, name)


def fake_version(monkeypatch, tasks, major: int, minor: int, micro: int = 0) -> None:
    """Make ``tasks`` see Python ``major.minor.micro`` as its ``sys.version_info``."""
    monkeypatch.setattr(tasks, "sys", FakeSys(VersionInfo(major, minor, micro, "final", 0)))


@pytest.mark.parametrize(
    ("version", "supported"),
    [((3, 9, 18), False), ((3, 10, 0), True), ((3, 13, 5), True), ((3, 14, 0), False)],
)
def test_only_the_supported_pythons_pass(monkeypatch, version, supported):
    tasks = load_tasks()
    fake_version(monkeypatch, tasks, *version)
    problem = tasks.python_problem()
    if supported:
        assert problem is None
        return
    running = ".".join(map(str, version))
    assert f"This is Python {running}" in problem
    assert "Python 3.10 to 3.13" in problem
    assert "3.12" in problem and "python.org" in problem and "package manager" in problem
    assert "Colab" in problem and "Docker" in problem and "installation" in problem


@pytest.mark.parametrize("version", [(3, 9, 18), (3, 14, 0)])
def test_an_unsupported_python_stops_before_creating_the_venv(
    monkeypatch, tmp_path, capsys, version
):
    tasks = load_tasks(tmp_path)
    fake_version(monkeypatch, tasks, *version)
    monkeypatch.setattr(sys, "argv", ["tasks.py", "book"])
    monkeypatch.setattr(tasks, "run", lambda *a, **k: pytest.fail(f"ran {a}"))
    started = time.perf_counter()
    with pytest.raises(SystemExit) as stop:
        tasks.main()
    assert time.perf_counter() - started < 1
    assert "3.10 to 3.13" in str(stop.value.code)
    assert not (tmp_path / ".venv").exists()


@pytest.mark.parametrize("version", [(3, 10, 13), (3, 13, 0)])
def test_a_supported_python_goes_on_to_the_venv(monkeypatch, tmp_path, version):
    tasks = load_tasks(tmp_path)
    fake_version(monkeypatch, tasks, *version)
    monkeypatch.setattr(sys, "argv", ["tasks.py", "book"])
    reached = []
    monkeypatch.setattr(tasks, "ensure_venv", reached.append)
    monkeypatch.setattr(tasks, "run", lambda *args, **kwargs: None)
    tasks.main()
    assert reached == ["requirements.txt"]


def test_a_venv_made_by_another_python_is_made_anew(monkeypatch, tmp_path):
    tasks = load_tasks(tmp_path)
    for name in ("requirements.txt", "requirements-dev.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "pyproject.toml").write_text("", encoding="utf-8")
    old = tmp_path / ".venv"
    (old / "bin").mkdir(parents=True)
    (old / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.9.18\n", encoding="utf-8")
    (old / "bin" / "python").write_text("", encoding="utf-8")
    leftover = old / "lib" / "python3.9" / "site-packages" / "stale.py"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("", encoding="utf-8")
    created = []

    class Builder:
        def __init__(self, **options):
            pass

        def create(self, path):
            created.append(Path(path))
            (Path(path) / "bin").mkdir(parents=True)
            (Path(path) / "bin" / "python").write_text("", encoding="utf-8")
            running = f"{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}"
            (Path(path) / "pyvenv.cfg").write_text(f"version = {running}\n", encoding="utf-8")

    monkeypatch.setattr(tasks.venv, "EnvBuilder", Builder)
    installs = []
    monkeypatch.setattr(tasks, "run", lambda *args, **kwargs: installs.append(args))
    tasks.ensure_venv("requirements.txt")
    assert created == [old] and not leftover.exists(), "the 3.9 venv was replaced"
    assert any("install" in args for args in installs)
    # The same Python again: the venv and its install are kept.
    created.clear()
    installs.clear()
    tasks.ensure_venv("requirements.txt")
    assert created == [] and installs == []


def test_the_install_stamp_covers_every_file_it_installs_from():
    source = (ROOT / "tasks.py").read_text(encoding="utf-8")
    assert 'ROOT / "code" / "pyproject.toml"' in source and 'ROOT / "requirements.txt"' in source


def _python39() -> str | None:
    found = sorted(glob.glob("/root/.pyenv/versions/3.9*/bin/python")) or [
        shutil.which("python3.9") or ""
    ]
    return found[-1] or None


@pytest.mark.skipif(_python39() is None, reason="no Python 3.9 on this machine")
def test_a_real_python_3_9_is_told_which_python_to_use(tmp_path):
    shutil.copy(ROOT / "tasks.py", tmp_path / "tasks.py")
    for name in ("requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    started = time.perf_counter()
    result = subprocess.run(
        [_python39(), "tasks.py", "book"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert time.perf_counter() - started < 5
    assert result.returncode != 0
    assert "This is Python 3.9." in result.stderr and "3.10 to 3.13" in result.stderr
    assert "pip" not in result.stdout + result.stderr.replace("pip install", "")
    assert not (tmp_path / ".venv").exists()
