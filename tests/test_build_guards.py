"""The build fails loudly: a raising cell or stray stderr output stops it.

Each guard is shown twice: with the repository's configuration the build fails, and with that
one protection switched off the same book builds — so the test would notice if the protection
were removed from _config.yml.
"""

from __future__ import annotations

import pytest
from helpers import jupyter_book, make_minibook

pytestmark = pytest.mark.slow

FAILING_CELL = "raise ValueError('this cell is broken on purpose')"
STDERR_CELL = "import sys\nprint('a warning nobody reads', file=sys.stderr)"


def test_a_raising_cell_fails_the_plain_build(tmp_path):
    book = make_minibook(tmp_path, {"index": "print('fine')", "broken": FAILING_CELL})
    result = jupyter_book("build", "book/", cwd=book)  # no -W: the default command
    assert result.returncode != 0
    assert "this cell is broken on purpose" in result.stdout + result.stderr


def test_without_raise_on_error_the_same_book_would_pass(tmp_path):
    book = make_minibook(
        tmp_path, {"index": "print('fine')", "broken": FAILING_CELL}, raise_on_error=False
    )
    assert jupyter_book("build", "book/", cwd=book).returncode == 0


def test_stderr_output_fails_the_strict_build(tmp_path):
    book = make_minibook(tmp_path, {"index": STDERR_CELL})
    result = jupyter_book("build", "book/", "-W", "-n", "--keep-going", cwd=book)
    assert result.returncode != 0
    assert "stderr" in (result.stdout + result.stderr).lower()


def test_stderr_would_pass_if_it_were_only_shown(tmp_path):
    book = make_minibook(tmp_path, {"index": STDERR_CELL}, stderr_output="show")
    assert jupyter_book("build", "book/", "-W", "-n", "--keep-going", cwd=book).returncode == 0
