"""Unit tests for pw06.environment (the reproducibility appendix)."""

import re

from pw06 import environment


def test_package_versions_reports_installed_and_missing():
    versions = environment.package_versions(("numpy", "surely-not-a-package-pw06"))
    assert re.match(r"\d+\.\d+", versions["numpy"])
    assert versions["surely-not-a-package-pw06"] == "not installed"


def test_hardware_summary_names_cpu_and_cores():
    summary = environment.hardware_summary()
    assert environment.cpu_model() in summary
    assert f"{environment.cpu_count()} cores" in summary
    assert environment.cpu_count() >= 1


def test_build_date_and_python_version_formats():
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", environment.build_date())
    assert re.fullmatch(r"3\.\d+\.\d+", environment.python_version())
