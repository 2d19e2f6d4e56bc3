"""Unit tests of book/_ext/handbook.py: fingerprint, set-up cell, injection."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("handbook", ROOT / "book" / "_ext" / "handbook.py")
handbook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(handbook)


def test_fingerprint_changes_with_content_and_settings_only(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    first = handbook.fingerprint([tmp_path], environ={})
    assert handbook.fingerprint([tmp_path], environ={}) == first
    assert handbook.fingerprint([tmp_path], environ={"OTHER": "1"}) == first
    assert handbook.fingerprint([tmp_path], environ={"PW06_DATASET": "mnist"}) != first
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"junk")
    assert handbook.fingerprint([tmp_path], environ={}) == first
    (tmp_path / "a.py").write_text("x = 2\n")
    assert handbook.fingerprint([tmp_path], environ={}) != first


def test_setup_cell_is_injected_before_the_first_code_cell_only():
    page = "---\nkernelspec: {}\n---\n# T\n\ntext\n\n```{code-cell} ipython3\n1\n```\n"
    cell = handbook.setup_cell("abc", handbook.install_spec("https://github.com/o/r", "main"))
    out = handbook.inject_setup_cell(page, cell)
    assert out.index("Build fingerprint of code/ and settings: abc") < out.index(
        "```{code-cell} ipython3\n1"
    )
    assert out.count("remove-cell") == 1
    assert "pw06 @ git+https://github.com/o/r.git@main#subdirectory=code" in out
    assert handbook.inject_setup_cell("# plain page\n", cell) == "# plain page\n"
