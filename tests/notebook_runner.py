"""Run a notebook the way a reader does: a fresh kernel, every cell top to bottom.

``execute`` takes the kernel's name (and, optionally, the kernelspec manager that knows it), so
that the same notebooks run in the book's environment (``python3``, the default) or in a
reader's fresh one: e.g. ``kernel_name="pw06-reader"`` with the ``KernelSpecManager`` of
``tests/test_reader_notebooks_run.py``'s fresh venv holding only ``pw06`` and ``ipykernel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


@dataclass
class Run:
    """An executed notebook, and where it stopped (``error`` is None when every cell ran)."""

    notebook: nbformat.NotebookNode
    error: CellExecutionError | None = None
    failed_cell: int | None = None  # index of the cell that raised

    def stdout(self, index: int) -> str:
        """What cell ``index`` printed."""
        outputs = self.notebook.cells[index].get("outputs", [])
        return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")


def execute(
    notebook: Path | nbformat.NotebookNode,
    *,
    kernel_name: str = "python3",
    kernel_spec_manager=None,
    timeout: int = 600,
    cwd: Path | None = None,
) -> Run:
    """Execute ``notebook`` (a path or a notebook) and return the run; stops at the first
    error, as "Run all" does."""
    if isinstance(notebook, str | Path):
        notebook = nbformat.read(notebook, as_version=4)
    manager = None
    if kernel_spec_manager is not None:
        manager = KernelManager(kernel_name=kernel_name, kernel_spec_manager=kernel_spec_manager)
    client = NotebookClient(
        notebook,
        km=manager,
        kernel_name=kernel_name,
        timeout=timeout,
        resources={"metadata": {"path": str(cwd)}} if cwd else {},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        failed = next(
            i
            for i, cell in enumerate(notebook.cells)
            if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        )
        return Run(notebook, error, failed)
    return Run(notebook)
