"""The full strict build succeeds, renders every page, and the appendix carries its values."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow

CHAPTERS = [
    "intro",
    "computational_graphs",
    "installation",
    "lowlevel_mlp",
    "keras_mlp",
    "review_questions",
    "environment",
]


def test_every_chapter_is_rendered(book_build):
    html = book_build / "html"
    assert (html / "index.html").exists()
    for page in CHAPTERS:
        assert (html / f"{page}.html").exists(), page


def test_no_tensorflow_noise_or_tracebacks_on_any_page(book_build):
    noise = re.compile(
        r"oneDNN custom operations|cuda_platform|cudart_stub|absl::InitializeLog|Traceback"
        r"|cpu_feature_guard|\x1b\[|\x08"
    )
    for page in CHAPTERS:
        text = (book_build / "html" / f"{page}.html").read_text(encoding="utf-8")
        assert not noise.search(text), f"{page}: {noise.search(text).group(0)!r}"


def test_environment_appendix_values(glue):
    env = glue["environment"]
    assert re.fullmatch(r"3\.\d+\.\d+", env["env_python"])
    assert env["env_cores"] >= 1
    assert env["env_tensorflow"].startswith("2.")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", env["env_build_date"])
