"""The lock (requirements.txt, requirements-dev.txt) installs on every supported Python.

requirements-dev.txt holds every pin of requirements.txt (checked here for every Python), so
it is the one to look up. For each supported Python (code/pyproject.toml's classifiers), its
pins whose environment markers hold for that Python go to ONE call of ``pip install
--dry-run --no-deps --only-binary=:all: --python-version X``: pip looks every pinned version
up on PyPI and finds a wheel for that Python on this platform, or names the first pin that
has none. Nothing is installed. This is how the 20 pins frozen on 3.11 without a 3.10 release
were found (issue 22). The platform is this machine's (Linux x86-64 here and in CI). pip
fetches each wheel to read it (TensorFlow's is 570 MB), so the check takes a minute or two on
a fast network. It needs PyPI, so it is opt-in (`pytest -m network`; the workflow runs it in a
step of its own) and skipped, with the reason, when PyPI cannot be reached. The same opt-in
check reads PyPI's index for the versions CI's lowest and Colab runs pin
(code/constraints-*.txt): none may be yanked, as scipy 1.11.0 was.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request

import pytest
from helpers import ROOT, pinned_versions, supported_pythons
from packaging.markers import default_environment
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

PYTHONS = supported_pythons()
LOCKS = ["requirements.txt", "requirements-dev.txt"]
PYPI = "https://pypi.org/simple"


def _pypi_unreachable() -> str:
    """Why PyPI cannot be used from here ("" when it can)."""
    try:
        with urllib.request.urlopen(f"{PYPI}/pip/", timeout=15) as response:
            response.read(100)
    except OSError as error:
        return f"PyPI ({PYPI}) unreachable: {error}"
    return ""


def marker_environment(full_version: str) -> dict[str, str]:
    """PEP 508 marker values of this machine, for Python ``full_version``."""
    environment = default_environment()
    environment["python_full_version"] = full_version
    environment["python_version"] = ".".join(full_version.split(".")[:2])
    return environment


def full_versions(python: str) -> list[str]:
    """``python`` (``3.11``) at ``.0`` and at every patch level a lock's marker names
    (``python_full_version >= '3.11.5'``): each gets its own set of pins."""
    text = "".join((ROOT / name).read_text(encoding="utf-8") for name in LOCKS)
    named = set(re.findall(rf"python_full_version [<>=!]+ '({re.escape(python)}\.\d+)'", text))
    return sorted({f"{python}.0", *named}, key=lambda v: int(v.split(".")[2]))


def test_marker_evaluation_picks_one_pin_per_package_and_python():
    """The lock has packages pinned twice, for different Pythons; each Python gets one."""
    oldest, newest = (
        pinned_versions(environment=marker_environment(f"{p}.0")) for p in (PYTHONS[0], PYTHONS[-1])
    )
    assert oldest["tensorflow"] == newest["tensorflow"], "one TensorFlow for every Python"
    differing = sorted(name for name in oldest if oldest[name] != newest.get(name))
    assert "numpy" in differing, "numpy's newest release needs a newer Python than the oldest"
    assert full_versions("3.99") == ["3.99.0"]


@pytest.mark.parametrize("python", PYTHONS)
def test_the_dev_lock_holds_the_book_lock(python):
    for version in full_versions(python):
        environment = marker_environment(version)
        book = pinned_versions(ROOT / "requirements.txt", environment)
        dev = pinned_versions(ROOT / "requirements-dev.txt", environment)
        assert {name: dev.get(name) for name in book} == book, version
    for name in LOCKS:
        assert "-e ./code" in (ROOT / name).read_text(encoding="utf-8").splitlines()


@pytest.mark.network
def test_every_pin_has_a_release_for_every_supported_python(tmp_path):
    lock = "requirements-dev.txt"
    unreachable = _pypi_unreachable()
    if unreachable:
        pytest.skip(unreachable)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    # PyPI only: no configured wheel folder, extra index or constraint may stand in for it.
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=PYPI,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
    )
    missing = {}
    for python in PYTHONS:
        for version in full_versions(python):
            pins = pinned_versions(ROOT / lock, marker_environment(version))
            requirements = tmp_path / f"{version}.txt"
            lines = [f"{name}=={pinned}" for name, pinned in sorted(pins.items())]
            requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
            result = subprocess.run(
                [
                    sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps",
                    "--only-binary=:all:", "--python-version", version,
                    "--target", str(tmp_path / "target"), "-r", str(requirements),
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
            )  # fmt: skip
            if result.returncode != 0:
                found = re.findall(r"No matching distribution found for (\S+)", result.stderr)
                missing[version] = found or [result.stderr.strip()[-500:]]
            else:
                would = re.search(r"Would install (.*)", result.stdout)
                assert would and len(would[1].split()) == len(pins), result.stdout[-500:]
    assert not missing, f"{lock}: pins with no wheel for these Pythons (first found): {missing}"


def _release(filename: str) -> Version | None:
    """The version of a wheel or sdist file name (None for other files)."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def _yanked_files(name: str, version: str) -> dict[str, str]:
    """PyPI's files of ``name==version`` that are yanked, with the reason (PEP 691 JSON)."""
    request = urllib.request.Request(
        f"{PYPI}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    ours = [f for f in files if _release(f["filename"]) == Version(version)]
    assert ours, f"PyPI has no file of {name} {version}"
    return {f["filename"]: f["yanked"] for f in ours if f.get("yanked")}


@pytest.mark.network
@pytest.mark.parametrize("constraints", ["constraints-lowest.txt", "constraints-colab.txt"])
def test_no_constraint_pins_a_yanked_release(constraints):
    """A yanked pin still installs (with a warning) but no student's pip picks it: the lowest
    and Colab checks would test versions nobody has (scipy 1.11.0 was one)."""
    unreachable = _pypi_unreachable()
    if unreachable:
        pytest.skip(unreachable)
    pins = pinned_versions(ROOT / "code" / constraints, marker_environment("3.10.0"))
    yanked = {name: _yanked_files(name, version) for name, version in pins.items()}
    assert not {name: files for name, files in yanked.items() if files}
