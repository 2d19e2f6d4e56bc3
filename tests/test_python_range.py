"""One range of Pythons, stated once (code/pyproject.toml's classifiers) and held everywhere:
tasks.py's check, the README, the installation chapter, the lock and its check, CI, and the
lowest declared versions that CI installs."""

from __future__ import annotations

import importlib.util
import re

import yaml
from helpers import ROOT, pinned_versions, supported_pythons
from packaging.requirements import Requirement


def _module(path):
    spec = importlib.util.spec_from_file_location(f"range_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PYPROJECT = (ROOT / "code" / "pyproject.toml").read_text(encoding="utf-8")
PYTHONS = supported_pythons()
OLDEST, NEWEST = PYTHONS[0], PYTHONS[-1]


def test_pyproject_lists_consecutive_pythons_from_its_requires_python():
    assert len(PYTHONS) >= 2
    minors = [int(version.split(".")[1]) for version in PYTHONS]
    assert minors == list(range(minors[0], minors[-1] + 1)), PYTHONS
    assert re.search(rf'^requires-python = ">={re.escape(OLDEST)}"', PYPROJECT, re.M)


def test_tasks_py_accepts_exactly_that_range():
    tasks = _module(ROOT / "tasks.py")
    (old_major, old_minor), (new_major, new_minor) = tasks.SUPPORTED_PYTHON
    assert (f"{old_major}.{old_minor}", f"{new_major}.{new_minor}") == (OLDEST, NEWEST)


def test_readme_states_the_range_and_the_tensorflow_it_comes_from():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tensorflow = ".".join(pinned_versions()["tensorflow"].split(".")[:2])
    statement = (
        f"Python {OLDEST} to {NEWEST}, the versions TensorFlow {tensorflow} ships wheels for"
    )
    assert statement in " ".join(readme.split()), statement
    # Every other mention of a range of Pythons says the same.
    for low, high in re.findall(r"Python (3\.\d+)(?:–| to )(3\.\d+)", readme):
        assert (low, high) == (OLDEST, NEWEST), (low, high)
    assert "3.10+" not in readme


def test_installation_chapter_glues_the_range_from_the_package_metadata():
    page = (ROOT / "book" / "installation.md").read_text(encoding="utf-8")
    assert 'glue("inst_pw06_python_range", pw06_support.range' in page
    assert "{glue:text}`inst_pw06_python_range`" in page
    # Issue 17, statement 3: pw06 runs on no Python older than requires-python says.
    assert "a Python from 3.9" not in page and "with Python 3.9" not in page


def test_the_lock_is_compiled_for_the_oldest_python_and_checked_on_every_one():
    lock = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert f"--universal --python-version {OLDEST} " in lock.splitlines()[1]
    assert _module(ROOT / "scripts" / "lock.py").lowest_python() == OLDEST
    assert _module(ROOT / "tests" / "test_lock.py").PYTHONS == PYTHONS


def test_ci_builds_on_the_oldest_and_newest_and_checks_the_lowest_versions_on_the_oldest():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text("utf-8"))
    jobs = workflow["jobs"]
    assert jobs["pythons"]["strategy"]["matrix"]["python"] == [OLDEST, NEWEST]
    assert any("tasks.py book" in step.get("run", "") for step in jobs["pythons"]["steps"])
    runs = {
        entry["constraints"]: entry["python"]
        for entry in jobs["versions"]["strategy"]["matrix"]["include"]
    }
    assert runs["code/constraints-lowest.txt"] == OLDEST
    assert runs["code/constraints-colab.txt"] in PYTHONS
    steps = " ".join(step.get("run", "") for step in jobs["versions"]["steps"])
    assert "scripts/check_versions.py" in steps


def _pins(path) -> dict[str, str]:
    return {
        Requirement(line).name.lower(): str(Requirement(line).specifier)[2:]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }


def test_the_lowest_constraints_are_the_lower_bounds_pyproject_declares():
    block = re.search(r"^dependencies = \[(.*?)^\]", PYPROJECT, re.M | re.S)[1]
    declared = [Requirement(r) for r in re.findall(r'^\s*"([^"]+)"', block, re.M)]
    lowest = _pins(ROOT / "code" / "constraints-lowest.txt")
    for requirement in declared:
        (bound,) = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        pinned = lowest[requirement.name.lower()]
        # tensorflow>=2.16: 2.16.1 is the first release (2.16.0 was never published).
        assert pinned == bound or pinned.startswith(bound + "."), (requirement, pinned)


def test_the_readme_names_colabs_versions_as_ci_checks_them():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    colab = _pins(ROOT / "code" / "constraints-colab.txt")
    names = {"tensorflow": "TensorFlow", "keras": "Keras", "numpy": "NumPy", "pandas": "pandas"}
    for name, version in colab.items():
        assert f"{names[name]} {version}" in readme, (name, version)
