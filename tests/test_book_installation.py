"""The installation chapter as built: glued values, the rendered report, no typed versions."""

from __future__ import annotations

import platform
import re
from importlib import metadata

import pytest
from helpers import ROOT, pinned_versions, supported_pythons, visible_text
from packaging.requirements import Requirement

pytestmark = pytest.mark.slow

PAGE = ROOT / "book" / "installation.md"


@pytest.fixture(scope="module")
def values(glue) -> dict[str, object]:
    return glue["installation"]


@pytest.fixture(scope="module")
def html(page_html) -> str:
    return page_html("installation")


def test_versions_are_the_pinned_and_installed_ones(values):
    pins = pinned_versions()
    assert values["inst_tf_version"] == pins["tensorflow"] == metadata.version("tensorflow")
    assert values["inst_keras_version"] == pins["keras"] == metadata.version("keras")
    assert values["inst_keras_backend"] == "tensorflow"
    assert values["inst_python_version"] == platform.python_version()
    assert values["inst_docker_image"] == f"tensorflow/tensorflow:{pins['tensorflow']}-jupyter"


def test_supported_pythons_come_from_the_metadata(values):
    listed = values["inst_tf_python_list"].split(", ")
    assert all(re.fullmatch(r"3\.\d+", v) for v in listed)
    assert values["inst_tf_python_min"] == listed[0] and values["inst_tf_python_max"] == listed[-1]
    assert values["inst_tf_python_range"] == f"{listed[0]}–{listed[-1]}"
    assert ".".join(platform.python_version().split(".")[:2]) in listed
    assert values["inst_tf_requires_python"] == metadata.metadata("tensorflow")["Requires-Python"]
    assert values["inst_keras_requires_python"].startswith(">=3.")
    assert values["inst_pw06_requires_python"].startswith(">=3.")


def test_the_handbooks_pythons_are_glued_from_pw06s_metadata(values, html):
    """The range of code/pyproject.toml's classifiers (tests/test_python_range.py ties README
    and tasks.py to it), read from the installed package; 3.10 is where pw06 starts."""
    pythons = supported_pythons()
    assert values["inst_pw06_python_range"] == f"{pythons[0]}–{pythons[-1]}"
    assert values["inst_pw06_python_min"] == pythons[0] == "3.10"
    text = " ".join(visible_text(html).split())
    assert f"tested on Python {values['inst_pw06_python_range']}" in text
    assert f"from {pythons[0]} to 3.12" in text, "Intel Macs: TF 2.16.2"


def test_requirements_quoted_in_the_troubleshooting_table(values):
    assert values["inst_pw06_tf_requirement"].startswith("tensorflow>=")
    assert values["inst_tf_keras_requirement"].startswith("keras>=3")
    assert values["inst_tf_numpy_requirement"].startswith("numpy")
    assert values["inst_tf_protobuf_requirement"].startswith("protobuf")


def test_the_verification_passed_on_the_build_machine(values):
    assert values["inst_ok"] == "OK"
    devices = values["inst_devices"].split(", ")
    assert "CPU:0" in devices
    assert values["inst_gpu_count"] == sum(d.startswith("GPU:") for d in devices)
    assert values["inst_matmul_sum"] == float(values["inst_matrix_size"]) ** 3
    assert values["inst_gradient"] == 6.0
    assert 0 < values["inst_check_ms"] < 5000
    assert values["inst_usable_cores"] >= 1
    assert values["inst_intra_op_threads"] >= 1 and values["inst_inter_op_threads"] >= 1
    assert values["inst_os_threads"] >= 1


def test_intel_mac_advice_meets_the_package_requirement(values):
    """2.16.2, the last macOS x86-64 wheel, satisfies what pw06 asks for: the page says so."""
    requirement = Requirement(values["inst_pw06_tf_requirement"])
    assert requirement.name == "tensorflow"
    assert requirement.specifier.contains("2.16.2")
    assert "tensorflow==2.16.2" in PAGE.read_text(encoding="utf-8")


def test_gpu_build_facts_are_read_from_tensorflow(values):
    if values["inst_cuda_version"] == "none":  # a build without CUDA (macOS, Windows)
        return
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", values["inst_cuda_version"])
    assert re.fullmatch(r"\d+(\.\d+)*", values["inst_cudnn_version"])
    assert re.fullmatch(r"\d+\.\d", values["inst_cuda_lowest_capability"])
    assert "sm_" in values["inst_cuda_architectures"]


def test_the_page_shows_the_real_report_and_the_tabs(html, values):
    report = re.search(r"PW06 installation check: OK.*?</pre>", html, re.DOTALL)
    assert report, "the executed report is on the page"
    assert "PROBLEM" not in report.group(0)
    assert "CPU:0" in report.group(0) and "usable cores" in report.group(0)
    assert 'id="installation-linux-commands"' in html
    for tab in ("Linux", "macOS", "Windows"):
        assert re.search(rf"<label[^>]*>\s*{tab}\s*</label>", html), tab
    text = re.sub(r"<[^>]+>", "", html)
    assert f"TensorFlow {values['inst_tf_version']}" in " ".join(text.split())


def test_no_computable_version_is_typed_in_the_page_source(values):
    source = PAGE.read_text(encoding="utf-8")
    for key in (
        "inst_tf_version",
        "inst_keras_version",
        "inst_python_version",
        "inst_tf_python_range",
        "inst_tf_requires_python",
        "inst_keras_requires_python",
        "inst_tf_numpy_requirement",
        "inst_tf_protobuf_requirement",
        "inst_cuda_version",
    ):
        assert str(values[key]) not in source, f"{values[key]!r} is typed by hand; glue {key}"


def test_gpu_routes_are_stated_as_documented_today():
    """Docker GPUs are not Linux-only; the plain wheel's GPU needs system CUDA; no stale edition."""
    source = " ".join(PAGE.read_text(encoding="utf-8").split())
    assert "2.4 edition" not in source and "written for TensorFlow 2.4" not in source
    for url in (
        "https://www.tensorflow.org/install/docker",
        "https://www.tensorflow.org/install/pip",
        "https://docs.docker.com/desktop/features/gpu/",
    ):
        assert url in source, url
    assert "Docker Desktop with the WSL 2 backend" in source
    assert "NVIDIA on Linux only" not in source
    assert "Plain `tensorflow` on Linux" not in source
