"""Unit tests of pw06.installation: metadata reading, thread rules, and the verification itself."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib import metadata

import pytest
from pw06 import installation
from pw06.environment import cpu_count
from pw06.installation import (
    InstallationReport,
    PythonSupport,
    python_support,
    requirement,
    verify_installation,
)
from pw06.tf_quiet import load


@pytest.fixture(scope="module")
def report() -> InstallationReport:
    return verify_installation(size=64)


def test_python_support_reads_the_installed_tensorflow_metadata():
    support = python_support("tensorflow")
    assert support.distribution == "tensorflow"
    assert support.version == metadata.version("tensorflow")
    assert support.requires_python.startswith(">=3.")
    assert support.classifiers, "TensorFlow lists its Python versions as classifiers"
    assert list(support.classifiers) == sorted(
        support.classifiers, key=lambda v: tuple(map(int, v.split(".")))
    )
    # The interpreter running the tests has TensorFlow installed, so it must be listed.
    assert support.lists(platform.python_version())


def test_python_support_range_and_membership():
    support = PythonSupport("x", "1.0", ">=3.10", ("3.10", "3.11", "3.12", "3.13"))
    assert support.range == "3.10–3.13"
    assert support.lists("3.12.4") and support.lists("3.10")
    assert not support.lists("3.9.18") and not support.lists("3.1")
    assert PythonSupport("x", "1.0", "", ("3.12",)).range == "3.12"
    assert PythonSupport("x", "1.0", "", ()).range == ""
    assert support.minimum == "3.10"
    assert PythonSupport("x", "1.0", "<4, >= 3.11", ()).minimum == "3.11"
    assert PythonSupport("x", "1.0", "", ("3.12", "3.13")).minimum == "3.12"


def test_requirement_finds_plain_dependencies_and_skips_extras():
    numpy = requirement("tensorflow", "numpy")
    assert numpy.startswith("numpy") and ">=" in numpy
    assert requirement("tensorflow", "protobuf").startswith("protobuf")
    # Releases spell this name differently (typing_extensions in 2.21, typing-extensions before).
    typing = requirement("tensorflow", "Typing.Extensions")
    assert installation.normalized_name(typing) == "typing-extensions"
    # Only needed with the and-cuda extra: not a plain requirement.
    assert requirement("tensorflow", "nvidia-cudnn-cu12") == ""
    assert requirement("tensorflow", "no-such-package") == ""


def test_requirement_matches_any_spelling_of_a_name(monkeypatch):
    declared = [
        "Typing_Extensions>=3.6.6",
        "ml-dtypes (<1.0.0,>=0.5.1)",
        "zope.interface>=5",
        'nvidia-cudnn-cu12==9.3.0.75; extra == "and-cuda"',
    ]
    monkeypatch.setattr(installation.metadata, "requires", lambda name: declared)
    assert requirement("x", "typing-extensions") == "Typing_Extensions>=3.6.6"
    assert requirement("x", "typing_extensions") == "Typing_Extensions>=3.6.6"
    assert requirement("x", "ML_DTYPES") == "ml-dtypes (<1.0.0,>=0.5.1)"
    assert requirement("x", "zope-interface") == "zope.interface>=5"
    assert requirement("x", "nvidia-cudnn-cu12") == ""
    assert requirement("x", "typing") == ""
    assert installation.normalized_name("Typing_Extensions>=3.6.6") == "typing-extensions"


@pytest.mark.parametrize(
    ("configured", "env", "expected"),
    [
        (3, "5", (3, "set with tf.config.threading")),
        (0, "5", (5, "from TF_NUM_INTRAOP_THREADS")),
        (0, "", (4, "default: one per usable core")),
        (0, "zero", (4, "default: one per usable core")),
    ],
)
def test_thread_pool_size_follows_tensorflows_rule(monkeypatch, configured, env, expected):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", env)
    assert installation._threads(configured, "TF_NUM_INTRAOP_THREADS", 4) == expected


def test_verify_installation_on_this_machine(report):
    assert report.ok, report.problems
    assert report.tensorflow_version == metadata.version("tensorflow")
    assert report.keras_version == metadata.version("keras")
    assert report.keras_backend == "tensorflow"
    assert report.python_version == platform.python_version()
    assert "CPU:0" in report.devices
    assert report.gpu_count == sum(d.startswith("GPU") for d in report.devices)
    assert report.matrix_size == 64
    assert report.matmul_sum == report.matmul_expected == 64.0**3
    assert report.matmul_device.endswith(":0")
    assert report.gradient == 6.0
    assert report.seconds > 0
    assert report.usable_cores == cpu_count() >= 1  # the affinity-aware count
    assert report.intra_op_threads >= 1 and report.inter_op_threads >= 1
    assert report.os_threads is None or report.os_threads >= 1
    assert report.tensorflow_python == python_support("tensorflow").range


def test_printable_report_names_every_fact(report):
    text = str(report)
    assert text.splitlines()[0] == "PW06 installation check: OK"
    for fact in (
        report.tensorflow_version,
        report.keras_version,
        report.python_version,
        "CPU:0",
        f"{64**3}",
        f"{report.usable_cores} usable cores",
        "intra-op",
        "inter-op",
    ):
        assert fact in text, fact
    assert "PROBLEM" not in text


def test_as_dict_holds_plain_json_values(report):
    values = report.as_dict()
    assert json.loads(json.dumps(values)) == values
    assert values["ok"] is True and values["gpu_count"] == report.gpu_count


def test_a_tensorflow_that_cannot_be_imported_is_reported_not_raised():
    def broken():
        raise ImportError("DLL load failed while importing _pywrap_tensorflow_internal")

    result = verify_installation(load=broken)
    assert not result.ok
    assert result.tensorflow_version is None and result.matmul_sum is None
    assert "DLL load failed" in result.problems[0]
    text = str(result)
    assert "PROBLEMS FOUND" in text and "PROBLEM: TensorFlow could not be imported" in text
    assert result.usable_cores >= 1


def test_a_wrong_result_is_reported(monkeypatch):
    tf = load()
    monkeypatch.setattr(tf.linalg, "matmul", lambda a, b: a)  # sum becomes n², not n³
    result = verify_installation(size=8)
    assert not result.ok
    assert result.problems == ("matrix product sums to 64.0, expected 512.0",)


def test_main_prints_the_report_and_returns_zero(capsys):
    assert installation.main() == 0
    out = capsys.readouterr().out
    assert out.startswith("PW06 installation check: OK")


def test_module_runs_from_a_terminal_without_noise():
    result = subprocess.run(
        [sys.executable, "-m", "pw06.installation"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("PW06 installation check: OK")
    assert result.stderr == ""
