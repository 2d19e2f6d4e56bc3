"""Check a TensorFlow installation: versions, devices, a small computation, CPU threads (Ex. 2).

Run it from a terminal in the environment you want to check::

    python -m pw06.installation

or in a notebook::

    from pw06.installation import verify_installation
    print(verify_installation())

Unlike the other modules, this one imports TensorFlow only inside :func:`verify_installation`
(still through :mod:`pw06.tf_quiet`): the check must load even when TensorFlow is missing or
broken, so that it can say so instead of failing with a traceback.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata

from pw06.environment import cpu_count

#: Side of the square matrices of ones multiplied by the check; the sum of the product is
#: ``size**3``, exact in float32 up to ``size = 256`` (256**3 = 2**24).
DEFAULT_SIZE = 256


@dataclass(frozen=True)
class PythonSupport:
    """Which Python versions a distribution declares, read from its installed metadata."""

    distribution: str
    version: str
    requires_python: str  # the ``Requires-Python`` field, e.g. ">=3.10"
    classifiers: tuple[str, ...]  # "3.10", "3.11", … from "Programming Language :: Python :: 3.x"

    @property
    def range(self) -> str:
        """The listed versions as a range, e.g. ``"3.10–3.13"`` (empty if none are listed)."""
        if not self.classifiers:
            return ""
        if len(self.classifiers) == 1:
            return self.classifiers[0]
        return f"{self.classifiers[0]}–{self.classifiers[-1]}"

    @property
    def minimum(self) -> str:
        """The lowest Python allowed: from ``Requires-Python`` (``>=3.10`` → ``3.10``), else the
        lowest listed version."""
        spec = self.requires_python.replace(" ", "")
        for clause in spec.split(","):
            if clause.startswith(">="):
                return clause[2:]
        return self.classifiers[0] if self.classifiers else ""

    def lists(self, python_version: str) -> bool:
        """Whether ``python_version`` (``"3.11.7"`` or ``"3.11"``) is among the listed versions."""
        major_minor = ".".join(python_version.split(".")[:2])
        return major_minor in self.classifiers


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def python_support(distribution: str = "tensorflow") -> PythonSupport:
    """Read ``Requires-Python`` and the ``Python :: 3.x`` classifiers
    of an installed package."""
    meta = metadata.metadata(distribution)
    prefix = "Programming Language :: Python :: "
    versions = set()
    for classifier in meta.get_all("Classifier") or []:
        value = classifier.removeprefix(prefix)
        if value != classifier and re.fullmatch(r"\d+\.\d+", value):
            versions.add(value)
    return PythonSupport(
        distribution=meta["Name"],
        version=meta["Version"],
        requires_python=meta.get("Requires-Python") or "",
        classifiers=tuple(sorted(versions, key=_version_key)),
    )


def normalized_name(requirement: str) -> str:
    """The project name of a requirement, normalized as PEP 503 does: ``Typing_Extensions>=4``
    → ``typing-extensions`` (metadata spells names in several ways)."""
    name = re.split(r"[<>=!~\[;( ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement(distribution: str, dependency: str) -> str:
    """The requirement that ``distribution`` declares on ``dependency``, e.g. ``numpy>=1.26.0``.

    Names match in any spelling (``typing_extensions``, ``typing-extensions``). Requirements
    that only apply with an extra (``; extra == "and-cuda"``) are skipped; returns ``""`` if
    there is none.
    """
    wanted = normalized_name(dependency)
    for line in metadata.requires(distribution) or []:
        spec, _, marker = line.partition(";")
        if "extra" in marker:
            continue
        if normalized_name(spec) == wanted:
            return spec.strip()
    return ""


def _capability(arch: str) -> str:
    """``sm_89`` → ``8.9``, ``compute_90`` → ``9.0``, ``sm_100`` → ``10.0``."""
    digits = arch.rsplit("_", 1)[-1]
    return f"{digits[:-1]}.{digits[-1]}" if digits.isdigit() and len(digits) >= 2 else arch


def gpu_build_info(tf) -> dict[str, str]:
    """CUDA and cuDNN versions and GPU architectures the installed TensorFlow was compiled for.

    Read from ``tf.sysconfig.get_build_info()``; empty strings for a build without CUDA (macOS,
    Windows). ``lowest_capability`` is the oldest NVIDIA compute capability it has code for.
    """
    info = tf.sysconfig.get_build_info()
    archs = list(info.get("cuda_compute_capabilities") or [])
    capabilities = sorted(
        {_capability(a) for a in archs}, key=lambda c: tuple(map(int, c.split(".")))
    )
    return {
        "cuda": str(info.get("cuda_version") or ""),
        "cudnn": str(info.get("cudnn_version") or ""),
        "architectures": ", ".join(archs),
        "lowest_capability": capabilities[0] if capabilities else "",
    }


def platform_name() -> str:
    """Operating system, its version and the processor architecture, e.g. ``macOS 14.5 (arm64)``."""
    system, release = platform.system(), platform.release()
    if system == "Darwin":
        system, release = "macOS", platform.mac_ver()[0] or release
    return f"{system} {release} ({platform.machine()})"


def os_thread_count() -> int | None:
    """Threads the operating system runs for this process, or ``None`` if it cannot be read."""
    try:
        return len(os.listdir("/proc/self/task"))  # Linux
    except OSError:
        pass
    try:
        import psutil  # optional: present in most Jupyter installs

        return psutil.Process().num_threads()
    except Exception:
        return None


def _threads(configured: int, env_var: str, cores: int) -> tuple[int, str]:
    """The size TensorFlow gives a thread pool, and why.

    TensorFlow's rule (``common_runtime/local_device.cc`` and ``process_util.cc``): the value set
    with ``tf.config.threading``, else the environment variable, else one thread per usable core.
    """
    if configured > 0:
        return configured, "set with tf.config.threading"
    value = os.environ.get(env_var, "")
    if value.isdigit() and int(value) > 0:
        return int(value), f"from {env_var}"
    return cores, "default: one per usable core"


@dataclass(frozen=True)
class InstallationReport:
    """Everything :func:`verify_installation` found; ``str(report)`` is the printable report."""

    python_version: str
    python_executable: str
    platform: str
    tensorflow_version: str | None = None
    keras_version: str | None = None
    keras_backend: str | None = None
    tensorflow_python: str = ""  # e.g. "3.10–3.13", from the installed metadata
    devices: tuple[str, ...] = ()  # physical devices, e.g. ("CPU:0",) or ("CPU:0", "GPU:0")
    built_with_cuda: bool = False
    matrix_size: int = 0
    matmul_sum: float | None = None
    matmul_expected: float | None = None
    matmul_device: str = ""
    gradient: float | None = None  # d(x²)/dx at x = 3, expected 6
    seconds: float | None = None  # time for the computation (after the import)
    usable_cores: int = 0
    intra_op_threads: int = 0  # threads one operation may use
    intra_op_source: str = ""
    inter_op_threads: int = 0  # operations run side by side
    inter_op_source: str = ""
    os_threads: int | None = None  # threads of this process, as the OS counts them
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when TensorFlow imported, computed the right numbers, and nothing else failed."""
        return not self.problems

    @property
    def gpu_count(self) -> int:
        return sum(device.startswith("GPU") for device in self.devices)

    def as_dict(self) -> dict[str, object]:
        """Plain Python values (for JSON, tables, glue)."""
        values = asdict(self)
        values["devices"] = list(self.devices)
        values["problems"] = list(self.problems)
        values["ok"] = self.ok
        values["gpu_count"] = self.gpu_count
        return values

    def __str__(self) -> str:
        def show(value) -> str:
            return "—" if value is None or value == "" else str(value)

        devices = ", ".join(self.devices) or "none"
        if self.tensorflow_version is not None and not self.gpu_count:
            devices += " (no GPU visible to TensorFlow)"
        lines = [
            f"PW06 installation check: {'OK' if self.ok else 'PROBLEMS FOUND'}",
            f"  Python        {self.python_version}  ({self.python_executable})",
            f"  Platform      {self.platform}",
            f"  TensorFlow    {show(self.tensorflow_version)}"
            + (f"  (supports Python {self.tensorflow_python})" if self.tensorflow_python else ""),
            f"  Keras         {show(self.keras_version)}"
            + (f"  (backend: {self.keras_backend})" if self.keras_backend else ""),
            f"  Devices       {devices}",
        ]
        if self.matmul_sum is not None:
            n = self.matrix_size
            lines += [
                f"  Computation   sum(ones({n}×{n}) @ ones({n}×{n})) = {self.matmul_sum:.0f},"
                f" expected {self.matmul_expected:.0f}, on {self.matmul_device}",
                f"                d(x²)/dx at x = 3 is {self.gradient:g}, expected 6"
                f"  (both in {self.seconds * 1000:.0f} ms)",
            ]
        lines += [
            f"  CPU threads   {self.usable_cores} usable cores",
            f"                per operation (intra-op): {self.intra_op_threads},"
            f" {self.intra_op_source}",
            f"                operations side by side (inter-op): {self.inter_op_threads},"
            f" {self.inter_op_source}",
            f"                threads of this process now: {show(self.os_threads)}",
        ]
        lines += [f"  PROBLEM: {problem}" for problem in self.problems]
        return "\n".join(lines)


def _short_device(name: str) -> str:
    """``/physical_device:CPU:0`` or ``/job:…/device:CPU:0`` → ``CPU:0``."""
    return ":".join(name.split(":")[-2:])


def _thread_fields(intra_setting: int, inter_setting: int, cores: int) -> dict:
    """The report's thread fields, from TensorFlow's settings (0 = not set) and the cores."""
    intra, intra_source = _threads(intra_setting, "TF_NUM_INTRAOP_THREADS", cores)
    inter, inter_source = _threads(inter_setting, "TF_NUM_INTEROP_THREADS", cores)
    return {
        "usable_cores": cores,
        "intra_op_threads": intra,
        "intra_op_source": intra_source,
        "inter_op_threads": inter,
        "inter_op_source": inter_source,
        "os_threads": os_thread_count(),
    }


def verify_installation(
    size: int = DEFAULT_SIZE,
    load=None,
) -> InstallationReport:
    """Import TensorFlow and Keras, list the devices, compute
    something known, count threads: an :class:`InstallationReport`.

    ``size`` is the side of the matrices of ones that are multiplied
    (the sum of the product must be ``size**3``). ``load`` returns the
    ``tensorflow`` module (default: ``pw06.tf_quiet.load``, which
    hides TensorFlow's start-up log); tests pass their own. Never
    raises for a broken installation: the report lists the problems.
    """
    base = {
        "python_version": platform.python_version(),
        "python_executable": sys.executable,
        "platform": platform_name(),
    }
    cores = cpu_count()  # the cores this process may run on (affinity)
    if load is None:
        from pw06.tf_quiet import load
    try:
        tf = load()
    except Exception as exc:  # ImportError, or a DLL error inside one
        problem = "TensorFlow could not be imported: "
        problem += f"{type(exc).__name__}: {exc}"
        threads = _thread_fields(0, 0, cores)
        report = dict(**base, **threads, problems=(problem,))
        return InstallationReport(**report)
    problems = []
    versions = _versions(base["python_version"], problems)
    devices = tf.config.list_physical_devices()
    computed = _known_results(tf, size, problems)
    threading = tf.config.threading
    threads = _thread_fields(
        threading.get_intra_op_parallelism_threads(),
        threading.get_inter_op_parallelism_threads(),
        cores,
    )
    return InstallationReport(
        **base,
        **versions,
        tensorflow_version=tf.__version__,
        devices=tuple(_short_device(d.name) for d in devices),
        built_with_cuda=bool(tf.test.is_built_with_cuda()),
        **computed,
        **threads,
        problems=tuple(problems),
    )


def _versions(python_version: str, problems: list) -> dict:
    """The Pythons TensorFlow lists, Keras's version and backend; what
    goes wrong is appended to ``problems``."""
    try:
        support = python_support("tensorflow")
        tf_python = support.range
        if support.classifiers and not support.lists(python_version):
            problems.append(
                f"Python {python_version} is not among the versions TensorFlow"
                f" {support.version} lists ({support.range})"
            )
    except metadata.PackageNotFoundError:
        tf_python = ""
    try:
        import keras

        keras_version, keras_backend = keras.__version__, keras.backend.backend()
    except Exception as exc:
        keras_version = keras_backend = None
        problems.append(f"Keras could not be imported: {type(exc).__name__}: {exc}")
    return dict(
        keras_version=keras_version, keras_backend=keras_backend, tensorflow_python=tf_python
    )


def _known_results(tf, size: int, problems: list) -> dict:
    """A matrix product and a gradient whose results are known, timed; a wrong result is
    appended to ``problems``."""
    start = time.perf_counter()
    ones = tf.ones((size, size), dtype=tf.float32)
    product_sum = tf.reduce_sum(tf.linalg.matmul(ones, ones))
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    gradient = float(tape.gradient(y, x))
    matmul_sum = float(product_sum)
    seconds = time.perf_counter() - start
    expected = float(size) ** 3
    if matmul_sum != expected:
        problems.append(f"matrix product sums to {matmul_sum}, expected {expected}")
    if gradient != 6.0:
        problems.append(f"gradient of x² at 3 is {gradient}, expected 6")
    return dict(
        matrix_size=size,
        matmul_sum=matmul_sum,
        matmul_expected=expected,
        matmul_device=_short_device(product_sum.device),
        gradient=gradient,
        seconds=seconds,
    )


def main() -> int:
    """Print the report; exit status 0 when the installation works, 1 otherwise."""
    report = verify_installation()
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
