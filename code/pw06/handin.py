"""Hand in the lab: run your notebooks again from the top and pack them into one zip.

    pw06-handin --student alice
    python -m pw06.handin --student alice computational_graphs.ipynb mlp.ipynb --report report.md

Without file names it takes ``computational_graphs.ipynb``, ``mlp.ipynb`` and ``report.md``
from the current folder. Each notebook runs top to bottom in a fresh kernel, one after the
other in a scratch folder, so nothing in your folder changes (your ``report.md`` is not
overwritten). Every cell runs, even after one fails, so every blank is found. The command
writes ``pw06-<student>.zip`` holding:

- each notebook with the outputs of this run, and an HTML export of it;
- ``report.md`` and the figures it shows (``![…](report_files/…)``), at the same paths (a
  missing figure, and each placeholder ``> ✎ TODO — …`` left, are listed);
- ``MANIFEST.json``: every check line (✓/✗) of each notebook, the exercises still blank
  (a ``raise NotImplementedError()`` left in), every other failing cell, the versions, the
  machine, the date and the SHA-256 of each file in the zip.

An unfinished or failing notebook is packed all the same, so you can always hand in: the
command says plainly what is missing or failing and exits 0. What is left under a heading
that starts with "Optional" is listed apart, and does not count as missing. It exits 2,
writing nothing, when it cannot start: a file is missing, a notebook is not a notebook, the
zip exists already (``--force`` replaces it), or the kernel does not start.

The kernel is this Python's (``ipykernel``), whatever the notebooks' metadata say, so a
student venv with ``pip install pw06`` just works; ``--kernel NAME`` picks a Jupyter kernel
instead. Without ``--student`` the zip is named after your login name
(``getpass.getuser()``); give the name or id your course uses instead.
"""

from __future__ import annotations

import argparse
import ast
import atexit
import contextlib
import getpass
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import platform
import re
import secrets
import sys
import tempfile
import time
import urllib.parse
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

PASS, FAIL = "✓", "✗"  # the first character of a check's line (pw06.check)
DEFAULT_NOTEBOOKS = ("computational_graphs.ipynb", "mlp.ipynb")
DEFAULT_REPORT = "report.md"
STUDENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
VERSIONS = ("pw06", "tensorflow", "keras", "numpy")
MANIFEST = "MANIFEST.json"
EXIT_BAD_INPUT = 2


class HandinError(Exception):
    """Bad input: the hand-in stops before writing anything."""


# --- Reading the input -----------------------------------------------------------------------


def read_notebook(path: Path):
    """The notebook at ``path``, or :class:`HandinError` saying why it cannot be one."""
    import nbformat

    if not path.is_file():
        raise HandinError(f"{path}: no such file" + _where(path))
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HandinError(
            f"{path}: not a notebook (not JSON: {error}). Save it from Jupyter as .ipynb."
        ) from None
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat's errors differ from one version to the next
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise HandinError(f"{path}: JSON, but not a Jupyter notebook ({first}).") from None
    return notebook


def _where(path: Path) -> str:
    return "" if path.is_absolute() else f" (in {Path.cwd()})"


_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_IMG_TAG = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.I)


def report_figures(markdown: str) -> list[str]:
    """The local image paths a Markdown report shows, in order, each once (no URLs)."""
    found = []
    images = [m[1] or m[2] for m in _IMAGE.finditer(markdown)]
    for target in [*images, *(m[1] for m in _IMG_TAG.finditer(markdown))]:
        target = urllib.parse.unquote(target.split("#")[0].split("?")[0].strip())
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or not target:
            continue  # http:, https:, data:, …
        if target not in found:
            found.append(target)
    return found


def student_name(given: str | None) -> tuple[str, str]:
    """The student's name for the zip, and how it was chosen."""
    if given is None:
        try:
            login = getpass.getuser()
        except Exception:
            raise HandinError(
                "no --student given and no login name found: add --student NAME"
            ) from None
        if not STUDENT_NAME.fullmatch(login):
            raise HandinError(
                f"no --student given, and the login name {login!r} cannot name a zip: "
                "add --student NAME"
            )
        return login, f"no --student given: named after your login name {login!r}"
    if not STUDENT_NAME.fullmatch(given):
        raise HandinError(
            f"--student {given!r}: use letters, digits, '.', '_' or '-' (no spaces), "
            "for example the id your course uses, like jean-dupont"
        )
    return given, ""


# --- Running a notebook ----------------------------------------------------------------------


def _this_python_kernel_manager():
    """A kernel manager whose kernel is this very Python (its ipykernel), whatever the
    notebook's kernelspec says: a student venv with ``pw06`` and ``ipykernel`` just works."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python {platform.python_version()} ({sys.executable})",
                language="python",
                name=kernel_name,
            )

    class Manager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _default_specs(self):
            return ThisPython(data_dir=self.data_dir)

    return Manager


def _quiet_logger(name: str) -> logging.Logger:
    log = logging.getLogger(f"pw06.handin.{name}")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


def execute(notebook, *, kernel: str | None, timeout: int, cwd: Path, log: Path) -> str | None:
    """Run every cell of ``notebook`` in place, in a fresh kernel started in ``cwd``,
    continuing past errors; a cell over ``timeout`` seconds is interrupted. The kernel's own
    log (ipykernel's start-up warnings) goes to the file ``log``, not to the terminal; what
    the cells print is in their outputs. Returns why the run stopped early (the kernel
    died), or None."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    options = dict(
        timeout=timeout,
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
        log=_quiet_logger("nbclient"),
    )
    if kernel:
        options["kernel_name"] = kernel
    else:
        options["kernel_manager_class"] = _this_python_kernel_manager()
        options["kernel_name"] = "python3"
    client = NotebookClient(notebook, **options)
    try:
        with log.open("w", encoding="utf-8") as stderr:
            client.execute(stderr=stderr)
    except Exception as error:
        atexit.unregister(client._cleanup_kernel)  # nbclient's, left behind by a failed start
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        said = f" — its last words: {' | '.join(tail)}" if tail else ""
        if client.code_cells_executed == 0 and not isinstance(error, DeadKernelError):
            raise HandinError(
                f"the kernel did not start ({type(error).__name__}: {error}){said}. Check that "
                f"{sys.executable} -m ipykernel_launcher --help works, or name the kernel your "
                "notebooks run with: --kernel NAME (jupyter kernelspec list)"
            ) from None
        return f"the kernel died ({error}){said}; the cells after it did not run"
    return None


# --- What a run shows ------------------------------------------------------------------------


@dataclass
class NotebookResult:
    """What one notebook's run showed: its check lines, blanks and failing cells."""

    name: str
    seconds: float = 0.0
    python: str = ""
    checks: list[dict] = field(default_factory=list)
    blanks: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    stopped: str | None = None
    html: str | None = None

    @property
    def passed(self) -> int:
        return sum(c["ok"] for c in self.checks)

    @property
    def failed(self) -> int:
        """Failed checks outside the optional parts."""
        return sum(not c["ok"] for c in self.required(self.checks))

    @staticmethod
    def required(items: list[dict]) -> list[dict]:
        return [item for item in items if not item["optional"]]

    @staticmethod
    def optional(items: list[dict]) -> list[dict]:
        return [item for item in items if item["optional"]]

    @property
    def complete(self) -> bool:
        """Every required check ✓, no required blank, no failing cell, a whole run."""
        blanks, errors = self.required(self.blanks), self.required(self.errors)
        return not (self.failed or blanks or errors or self.stopped)

    def manifest(self) -> dict:
        out = asdict(self)
        out.update(passed=self.passed, failed=self.failed, complete=self.complete)
        out.pop("html")
        return out


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
_FRAME = re.compile(r"\bin (\w+)\(")


def _parse(source: str) -> ast.Module | None:
    """A cell's code, with IPython's ``%magic`` and ``!shell`` lines blanked out."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _is_not_implemented(node: ast.AST) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def blanks_in(source: str, fallback: str) -> list[str]:
    """The names of the blanks in a cell's code: the function around each
    ``raise NotImplementedError()``, or ``fallback`` for one at the top level."""
    tree = _parse(source)
    if tree is None:
        return [fallback] if re.search(r"raise\s+NotImplementedError\b", source) else []
    names = []

    def visit(node, function):
        if _is_not_implemented(node):
            names.append(function or fallback)
        inside = node.name if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None
        for child in ast.iter_child_nodes(node):
            visit(child, inside or function)

    visit(tree, None)
    return list(dict.fromkeys(names))


def _cell_label(cell, index: int) -> str:
    """A name for a top-level blank: its nbgrader id, the first name it assigns, or its cell."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
    if grade_id.startswith("answer-"):
        return grade_id.removeprefix("answer-")
    tree = _parse(cell.source)
    for node in tree.body if tree else []:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
    return f"cell {index}"


def analyse(notebook, name: str) -> NotebookResult:
    """The check lines, the blanks and the failing cells of an executed notebook.

    Cells are numbered from 1, as they appear; ``section`` is the last heading above. A cell
    is ``optional`` under a heading that starts with "Optional" (up to the next heading of the
    same or a higher level): what is left there does not make the hand-in incomplete."""
    result = NotebookResult(name=name)
    result.python = notebook.metadata.get("language_info", {}).get("version", "")
    headings: list[tuple[int, str]] = []  # the headings above, one per level
    for index, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "markdown":
            for hashes, title in _HEADING.findall(cell.source):
                headings = [h for h in headings if h[0] < len(hashes)] + [(len(hashes), title)]
            continue
        if cell.cell_type != "code":
            continue
        optional = any(title.lower().startswith("optional") for _, title in headings)
        where = {
            "cell": index,
            "section": headings[-1][1] if headings else "",
            "optional": optional,
        }
        own = blanks_in(cell.source, _cell_label(cell, index))
        result.blanks += [{"name": blank, **where} for blank in own]
        stdout = "".join(
            out.get("text", "")
            for out in cell.get("outputs", [])
            if out.output_type == "stream" and out.get("name") == "stdout"
        )
        for line in stdout.splitlines():
            if line.startswith((PASS, FAIL)):
                result.checks.append({"ok": line.startswith(PASS), "line": line, **where})
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                result.errors.append(_error(out, own, where))
    known = {blank["name"] for blank in result.blanks}
    for error in result.errors:  # a blank's function called later: name that blank
        if error["error"].startswith("NotImplementedError") and not error.get("blank"):
            called = [n for n in error.pop("frames") if n in known]
            if called:
                error["blank"] = called[-1]
        error.pop("frames", None)
    # the cell that is itself a top-level blank is listed as a blank, not as an error
    result.errors = [e for e in result.errors if not e.pop("own_blank", False)]
    return result


def _error(out, own: list[str], where: dict) -> dict:
    message = " ".join(_ANSI.sub("", str(out.get("evalue", ""))).split())
    if len(message) > 200:
        message = message[:199] + "…"
    ename = out.get("ename", "Error")
    traceback = _ANSI.sub("", "\n".join(out.get("traceback", [])))
    frames = _FRAME.findall(traceback)
    own_blank = ename == "NotImplementedError" and bool(own) and not (set(frames) & set(own))
    return {
        "error": f"{ename}: {message}" if message else ename,
        "frames": frames,
        "own_blank": own_blank,
        **where,
    }


# --- The zip ---------------------------------------------------------------------------------


def environment() -> dict:
    """Versions, machine and date, for the manifest."""
    versions = {"python": platform.python_version()}
    for name in VERSIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpu": _cpu_name(),
            "cpu_count": os.cpu_count(),
        },
    }


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def export_html(notebook) -> str:
    """The executed notebook as a standalone HTML page (nbconvert's ``lab`` template)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", log=_quiet_logger("nbconvert"))
    body, _ = exporter.from_notebook_node(notebook)
    return body


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_zip(target: Path, files: dict[str, bytes], manifest: dict, *, force: bool) -> None:
    """Write ``files`` and ``MANIFEST.json`` (with each file's SHA-256) to ``target`` through a
    temporary file renamed at the end: the zip is complete, or absent."""
    manifest["files"] = {
        name: {"sha256": sha256(data), "bytes": len(data)} for name, data in files.items()
    }
    entries = {**files, MANIFEST: (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")}
    stamp = datetime.now().timetuple()[:6]
    temporary = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    try:
        with (
            temporary.open("xb") as handle,  # mode 0666 less the umask, like any new file
            zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            for name, data in entries.items():
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        if target.exists() and not force:
            raise HandinError(f"{target} appeared while packing; add --force to replace it")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# --- The command -----------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="pw06-handin",
        description=(
            "Run your lab notebooks again from the top in a fresh kernel and pack them, "
            "with report.md and its figures, into pw06-<student>.zip."
        ),
        epilog=(
            "Unfinished or failing notebooks are packed too, and listed: exit status 0. "
            "Exit status 2, and nothing written: a missing file, a notebook that is not one, "
            "or an existing zip without --force."
        ),
    )
    cli.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        default=[Path(name) for name in DEFAULT_NOTEBOOKS],
        help=f"the notebooks to hand in (default: {' '.join(DEFAULT_NOTEBOOKS)})",
    )
    cli.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="PATH",
        help="default: report.md, packed when it exists (a lab not yet finished has none)",
    )
    cli.add_argument(
        "--student",
        metavar="NAME",
        help="your name or student id, as the course asks: the zip is pw06-STUDENT.zip "
        "(default: your login name)",
    )
    cli.add_argument(
        "--out-dir",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="where to write the zip (default: here)",
    )
    cli.add_argument("--force", action="store_true", help="replace an existing zip")
    cli.add_argument(
        "--kernel",
        metavar="NAME",
        help="a Jupyter kernel name to run the notebooks with "
        "(default: this Python, the one running pw06-handin)",
    )
    cli.add_argument(
        "--timeout",
        type=int,
        default=600,
        metavar="SECONDS",
        help="seconds a cell may run before it is interrupted (default: %(default)s)",
    )
    return cli


def say(*lines: str) -> None:
    for line in lines:
        print(line, flush=True)


def _check_inputs(args) -> tuple[str, str, Path, dict, str, list[str]]:
    student, how = student_name(args.student)
    if not args.out_dir.is_dir():
        raise HandinError(f"--out-dir {args.out_dir}: no such folder")
    target = args.out_dir / f"pw06-{student}.zip"
    if target.exists() and not args.force:
        raise HandinError(f"{target} exists already; add --force to replace it")
    notebooks = {}
    for path in args.notebooks:
        if path.name in notebooks:
            raise HandinError(f"two notebooks are named {path.name}: rename one")
        if path.suffix != ".ipynb":
            raise HandinError(f"{path}: a notebook's name ends in .ipynb")
        notebooks[path.name] = (path, read_notebook(path))
    if not notebooks:
        raise HandinError("no notebook to hand in")
    if args.report is None:
        # The default report is written by the lab notebook's last cell: a lab not finished
        # yet has none, and is still handed in (the zip says the report is missing).
        args.report = Path(DEFAULT_REPORT)
        if not args.report.exists():
            args.report = None
    if args.report is not None and not args.report.is_file():
        raise HandinError(
            f"{args.report}: no such file{_where(args.report)}. The last cell of your lab "
            "notebook writes report.md; complete it, or name yours with --report PATH"
        )
    try:
        report = args.report.read_text(encoding="utf-8") if args.report else None
    except UnicodeDecodeError:
        raise HandinError(f"{args.report}: not a text file (UTF-8 Markdown expected)") from None
    if args.kernel:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        try:
            KernelSpecManager().get_kernel_spec(args.kernel)
        except NoSuchKernel:
            raise HandinError(f"--kernel {args.kernel}: no such Jupyter kernel") from None
    elif importlib.util.find_spec("ipykernel") is None:
        raise HandinError(
            f"ipykernel is not installed in {sys.executable}: "
            "python -m pip install ipykernel (or name a kernel with --kernel)"
        )
    return student, how, target, notebooks, report, report_figures(report or "")


def _figures(report_path: Path, wanted: list[str]) -> tuple[dict[str, bytes], list[dict]]:
    """The report's figures that exist beside it (zip path → bytes), and the problems."""
    files, problems = {}, []
    base = report_path.resolve().parent
    for figure in wanted:
        path = (base / figure).resolve()
        inside = PurePosixPath(figure).as_posix()
        if not path.is_relative_to(base) or inside.startswith("/"):
            problems.append({"figure": figure, "problem": "outside the report's folder"})
        elif not path.is_file():
            problems.append({"figure": figure, "problem": "no such file"})
        else:
            files[PurePosixPath(*path.relative_to(base).parts).as_posix()] = path.read_bytes()
    return files, problems


def _checked(line: str) -> str:
    """The name a check line is about: ``✗ fit: …`` → ``fit``."""
    return line[1:].split(":", 1)[0].strip()


def _problems(result: NotebookResult, optional: bool = False) -> list[str]:
    """What is left, printed: each blank (not its ✗ line again), the other ✗ lines, the
    failing cells; of the required parts, or of the ``optional`` ones."""
    pick = result.optional if optional else result.required
    blanks = pick(result.blanks)
    named = {blank["name"] for blank in result.blanks}  # a blank's ✗ line says it again
    lines = [
        f"    {c['line']}"
        for c in pick(result.checks)
        if not c["ok"] and _checked(c["line"]) not in named
    ]
    for blank in blanks:
        lines.append(
            f"    {'not done' if optional else 'still blank'}: {blank['name']}, {_place(blank)}"
        )
    for error in pick(result.errors):
        if error.get("blank"):
            lines.append(f"    {_place(error)}: stopped, it calls {error['blank']} (still blank)")
        else:
            lines.append(f"    {_place(error)}: failed with {error['error']}")
    if result.stopped and not optional:
        lines.append(f"    {result.stopped}")
    if result.html and not optional:
        lines.append(f"    no HTML export: {result.html}")
    return lines


def _place(item: dict) -> str:
    return f"cell {item['cell']}" + (f" under “{item['section']}”" if item["section"] else "")


def _summary(result: NotebookResult) -> str:
    checks = result.required(result.checks)
    passed = sum(c["ok"] for c in checks)
    parts = [
        f"{_count(len(checks), 'check')}: {passed} {PASS}, {result.failed} {FAIL}",
        _count(len(result.required(result.blanks)), "blank"),
        _count(len(result.required(result.errors)), "other failing cell"),
    ]
    if optional := result.optional(result.blanks):
        parts.append(f"optional not done: {', '.join(b['name'] for b in optional)}")
    if result.stopped:
        parts.append("stopped early")
    return f"{result.name}: ran in {result.seconds:.0f} s — " + " · ".join(parts)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _finish(notebook, name: str, stopped, started: float, files: dict) -> NotebookResult:
    """Analyse a notebook that has run, add it and its HTML to ``files``, say how it went."""
    import nbformat

    result = analyse(notebook, name)
    result.seconds, result.stopped = round(time.perf_counter() - started, 1), stopped
    files[name] = nbformat.writes(notebook).encode("utf-8")
    try:
        files[Path(name).with_suffix(".html").name] = export_html(notebook).encode("utf-8")
    except Exception as error:  # the notebook itself is still handed in
        result.html = f"{type(error).__name__}: {error}"
    say(f"      {_summary(result)}")
    return result


def _run_all(notebooks: dict, args, files: dict) -> list[NotebookResult]:
    """Run every notebook in order, in one scratch folder; add each and its HTML to ``files``."""
    kernel = f"kernel {args.kernel!r}" if args.kernel else f"this Python ({sys.executable})"
    results = []
    # One scratch folder for all the notebooks, run in order, as in the student's folder (the
    # lab notebook reads what Exercise 1's wrote), which stays as it is: report.md included.
    scratch = tempfile.TemporaryDirectory(prefix="pw06-handin-")
    work = Path(scratch.name) / "lab"
    work.mkdir()
    with scratch:
        for number, (name, (_, notebook)) in enumerate(notebooks.items(), start=1):
            step = f"[{number}/{len(notebooks)}] {name}"
            say(f"{step}: running all cells in a fresh kernel, {kernel} …")
            started = time.perf_counter()
            log = Path(scratch.name) / f"kernel-{number}.log"
            stopped = execute(notebook, kernel=args.kernel, timeout=args.timeout, cwd=work, log=log)
            results.append(_finish(notebook, name, stopped, started, files))
    return results


def _collect_report(report: str | None, path: Path, wanted, files: dict) -> dict:
    """Add the report and its figures to ``files``; the manifest's ``report`` entry."""
    from pw06 import lab_report  # here, not at the top: it loads SciPy (a second)

    if report is None:
        figures, figure_problems, placeholders = {}, [], 0
    else:
        files["report.md"] = report.encode("utf-8")
        figures, figure_problems = _figures(path, wanted)
        placeholders = len(lab_report.placeholders(report))
    for figure, data in figures.items():
        files.setdefault(figure, data)
    return {
        "file": "report.md" if report is not None else None,
        "figures": sorted(figures),
        "problems": figure_problems,
        "placeholders": placeholders,
    }


def _manifest(student: str, kernel, results: list[NotebookResult], report: dict) -> dict:
    """What the zip says about itself: who, where, each notebook, the report, the summary."""
    return {
        "manifest_version": 1,
        "student": student,
        "tool": "pw06-handin",
        **environment(),
        "kernel": kernel or "this Python",
        "notebooks": [result.manifest() for result in results],
        "report": report,
        "summary": {
            "complete": all(r.complete for r in results)
            and report["file"] is not None
            and not (report["problems"] or report["placeholders"]),
            "checks_passed": sum(r.passed for r in results),
            "checks_failed": sum(r.failed for r in results),
            "blanks": [f"{r.name}: {b['name']}" for r in results for b in r.required(r.blanks)],
            "failing_cells": sum(len(r.required(r.errors)) for r in results),
            "optional_not_done": [
                f"{r.name}: {b['name']}" for r in results for b in r.optional(r.blanks)
            ],
        },
    }


def _each_problem(results: list[NotebookResult], optional: bool = False) -> list[str]:
    """The required (or optional) problems of every notebook, under the notebook's name."""
    lines = []
    for result in results:
        if found := _problems(result, optional=optional):
            lines += [f"  {result.name}", *found]
    return lines


def _say_outcome(results: list[NotebookResult], report: dict, report_path: Path) -> None:
    """Tell the student what is still missing or failing, then the optional parts."""
    from pw06.lab_report import TODO

    problems = _each_problem(results)
    if report["file"] is None:
        problems += [
            f"  {DEFAULT_REPORT}",
            "    not written yet: the last cell of your lab notebook writes it once the lab runs",
        ]
    placeholders = report["placeholders"]
    if report["problems"] or placeholders:
        problems.append(f"  {report_path.name}")
        problems += [f"    figure {p['figure']}: {p['problem']}" for p in report["problems"]]
        if placeholders:
            problems.append(f"    {_count(placeholders, 'placeholder')} ({TODO}) to replace")
    if problems:
        say(
            "",
            "Still missing or failing (packed as it is: you can hand this zip in, or fix it",
            "and run this command again with --force):",
            *problems,
        )
    else:
        say("", f"Everything required ran: every check {PASS}, no blank left, no failing cell.")
    if optional := _each_problem(results, optional=True):
        say("Optional parts, not done or not right (they do not count against you):", *optional)


def hand_in(args) -> int:
    """Run every notebook afresh, pack them, their HTML and the report in a zip; say how it went."""
    student, how, target, notebooks, report, wanted = _check_inputs(args)
    if how:
        say(f"{how} → {target.name} (choose the name with --student NAME)")
    files: dict[str, bytes] = {}
    results = _run_all(notebooks, args, files)
    report_entry = _collect_report(report, args.report, wanted, files)
    manifest = _manifest(student, args.kernel, results, report_entry)
    write_zip(target, files, manifest, force=args.force)
    _say_outcome(results, report_entry, args.report)
    size = target.stat().st_size / 1e6
    say(f"Wrote {target} ({len(files) + 1} files, {size:.1f} MB). Hand in this file.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``pw06-handin``: 0 once the zip is written (complete or not), 2 on bad input."""
    args = parser().parse_args(argv)
    try:
        return hand_in(args)
    except HandinError as error:
        print(f"pw06-handin: error: {error}", file=sys.stderr, flush=True)
        print("Nothing was written.", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("pw06-handin: interrupted; no zip was written.", file=sys.stderr, flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
