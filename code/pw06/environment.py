"""Facts about the machine and software that built the handbook (reproducibility appendix)."""

from __future__ import annotations

import datetime as _dt
import os
import platform
from importlib import metadata

#: The packages whose versions change the handbook's numbers or pages.
KEY_PACKAGES = (
    "tensorflow",
    "keras",
    "numpy",
    "matplotlib",
    "mlxtend",
    "networkx",
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "jupyter-cache",
    "pw06",
)


def package_versions(names=KEY_PACKAGES) -> dict[str, str]:
    """Installed version of each package, or ``"not installed"``."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux, ``platform`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_count() -> int:
    """Cores this process may use (affinity-aware where the OS supports it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def hardware_summary() -> str:
    """One line naming the CPU and core count, for benchmark and timing tables."""
    return f"{cpu_model()}, {cpu_count()} cores, {platform.system()} {platform.machine()}"


def build_date() -> str:
    """Today's date in UTC, ISO format."""
    return _dt.datetime.now(_dt.timezone.utc).date().isoformat()


def python_version() -> str:
    """The running Python's version, e.g. ``3.11.7``."""
    return platform.python_version()
