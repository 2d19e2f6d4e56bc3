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


def test_reader_features_are_on(book_build):
    """Download as .ipynb/.md, Colab on the notebooks branch, repository buttons, copy buttons."""
    import json

    html = book_build / "html"
    page = (html / "lowlevel_mlp.html").read_text(encoding="utf-8")
    assert "_sources/lowlevel_mlp.ipynb" in page and "_sources/lowlevel_mlp.md" in page
    colab = re.search(r'https://colab\.research\.google\.com/github/[^"]+', page).group(0)
    assert colab.endswith("/blob/notebooks/book/lowlevel_mlp.ipynb"), colab
    assert "/edit/main/book/lowlevel_mlp.md" in page
    assert "/issues/new?" in page
    assert "copybutton" in page
    # The downloadable notebook is the executed one and starts with the install cell.
    notebook = json.loads((html / "_sources" / "lowlevel_mlp.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert "subdirectory=code" in sources[0] and "find_spec('pw06')" in sources[0]
    assert any(cell.get("outputs") for cell in notebook["cells"] if cell["cell_type"] == "code")


def test_copy_button_skips_prompts_and_outputs():
    import yaml
    from conftest import ROOT

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    assert config["copybutton_prompt_is_regexp"] is True
    assert ">>> " in config["copybutton_prompt_text"] and "\\$ " in config["copybutton_prompt_text"]
    assert ".go" in config["copybutton_exclude"] and ".gp" in config["copybutton_exclude"]
    assert config["numfig"] is True
