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


def test_intro_results_table_shows_the_chapters_values(book_build, glue):
    intro = (book_build / "html" / "intro.html").read_text(encoding="utf-8")
    graphs, lowlevel = glue["computational_graphs"], glue["lowlevel_mlp"]
    expected = [
        f"{graphs['lr_yhat']:.3f}",
        f"{graphs['lr_grad_w1']:.3f}",
        f"{lowlevel['lowlevel_test_error_mean']:.1f}",
        glue["installation"]["inst_tf_version"],
    ]
    if "keras_mlp" in glue and "keras_test_error_mean" in glue["keras_mlp"]:
        expected.append(f"{glue['keras_mlp']['keras_test_error_mean']:.1f}")
    for text in expected:
        assert text in intro, text


def test_no_unresolved_roles_on_any_page(book_build):
    for page in CHAPTERS:
        text = (book_build / "html" / f"{page}.html").read_text(encoding="utf-8")
        assert "{glue" not in text and "{doc}" not in text, page


def test_environment_appendix_names_dataset_and_seeds(book_build, glue):
    page = (book_build / "html" / "environment.html").read_text(encoding="utf-8")
    assert glue["lowlevel_mlp"]["dataset_name"] in page
    assert "Execution time" in page or "exec" in page.lower()
    for chapter in ("lowlevel_mlp", "keras_mlp", "computational_graphs"):
        assert chapter in page, f"{chapter} missing from the execution-time table"


def test_figures_are_numbered_and_solutions_fold(book_build):
    html = book_build / "html"
    for page in ("computational_graphs", "lowlevel_mlp", "keras_mlp"):
        text = (html / f"{page}.html").read_text(encoding="utf-8")
        assert re.search(r"Figure \d+", text), f"{page}: no numbered figure"
    graphs = (html / "computational_graphs.html").read_text(encoding="utf-8")
    assert "dropdown" in graphs, "solutions must be folded in dropdowns"
