"""The full strict build succeeds, renders every page, and the shared pages carry their values."""

from __future__ import annotations

import json
import re

import pytest
from helpers import config, visible_text

pytestmark = pytest.mark.slow

#: The executed chapters, in TOC order.
EXECUTED = [
    "computational_graphs",
    "installation",
    "lowlevel_mlp",
    "keras_mlp",
    "review_questions",
    "timing",
    "comparing_networks",
    "sigmoid_mse",
    "tf_function",
    "savedmodel_devices",
    "environment",
]
CHAPTERS = ["intro", *EXECUTED]


def test_every_chapter_is_rendered(book_build):
    html = book_build / "html"
    assert (html / "index.html").exists()
    for page in CHAPTERS:
        assert (html / f"{page}.html").exists(), page


@pytest.mark.parametrize("page", CHAPTERS)
def test_no_tensorflow_noise_tracebacks_or_unresolved_roles(page_html, page):
    noise = re.compile(
        r"oneDNN custom operations|cuda_platform|cudart_stub|absl::InitializeLog|Traceback"
        r"|cpu_feature_guard|\x1b\[|\x08"
    )
    text = page_html(page)
    assert not noise.search(text), f"{page}: {noise.search(text).group(0)!r}"
    assert "{glue" not in text and "{doc}" not in text, page


@pytest.mark.parametrize("page", EXECUTED)
def test_code_cells_show_no_glue_bookkeeping(page_html, page):
    """Glue calls sit in removed cells; the reader sees the instructive code and its output."""
    assert "glue(" not in visible_text(page_html(page))


def test_environment_appendix_values(glue):
    env = glue["environment"]
    assert re.fullmatch(r"3\.\d+\.\d+", env["env_python"])
    assert env["env_cores"] >= 1
    assert env["env_tensorflow"].startswith("2.")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", env["env_build_date"])


def exec_table_rows(page: str) -> dict[str, tuple[str, float, str]]:
    """``chapter -> (method, run time in s, status)`` from myst-nb's execution-time table."""
    text = " ".join(visible_text(page).split())
    row = re.compile(r"(\w+) \d{4}-\d{2}-\d{2} \d{2}:\d{2} (\w+) ([\d.]+|-) (\S)")
    return {m[1]: (m[2], float(m[3]) if m[3] != "-" else -1.0, m[4]) for m in row.finditer(text)}


def test_environment_appendix_names_dataset_and_seeds(page_html, glue):
    page = page_html("environment")
    assert glue["lowlevel_mlp"]["dataset_name"] in page
    assert "Run Time (s)" in visible_text(page), "the execution-time table is rendered"
    rows = exec_table_rows(page)
    for chapter in EXECUTED[:-1]:  # the appendix itself runs while the table is being made
        assert chapter in rows, f"{chapter} missing from the execution-time table"
        method, seconds, status = rows[chapter]
        assert method in ("cache", "force", "auto"), (chapter, method)
        assert seconds > 0 and status == "✅", (chapter, seconds, status)


def test_reader_features_are_on(book_build, page_html):
    """Download as .ipynb/.md, Colab on the notebooks branch, repository buttons, copy buttons."""
    page = page_html("lowlevel_mlp")
    assert "_sources/lowlevel_mlp.ipynb" in page and "_sources/lowlevel_mlp.md" in page
    colab = re.search(r'https://colab\.research\.google\.com/github/[^"]+', page).group(0)
    assert colab.endswith("/blob/notebooks/book/lowlevel_mlp.ipynb"), colab
    assert "/edit/main/book/lowlevel_mlp.md" in page
    assert "/issues/new?" in page
    assert "copybutton" in page
    # The downloadable notebook is the reader notebook: its install cell first, then outputs.
    path = book_build / "html" / "_sources" / "lowlevel_mlp.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    first = "".join(code[0]["source"])
    assert "subdirectory=code" in first and "find_spec('pw06')" in first
    assert any(cell.get("outputs") for cell in code)


def test_copy_button_skips_prompts_and_outputs():
    settings = config()["sphinx"]["config"]
    assert settings["copybutton_prompt_is_regexp"] is True
    assert ">>> " in settings["copybutton_prompt_text"]
    assert "\\$ " in settings["copybutton_prompt_text"]
    assert ".go" in settings["copybutton_exclude"] and ".gp" in settings["copybutton_exclude"]
    assert settings["numfig"] is True


def test_intro_results_table_shows_the_chapters_values(page_html, glue):
    intro = page_html("intro")
    graphs, lowlevel = glue["computational_graphs"], glue["lowlevel_mlp"]
    expected = [
        f"{graphs['lr_yhat']:.3f}",
        f"{graphs['lr_grad_w1']:.3f}",
        f"{lowlevel['lowlevel_test_error_mean']:.1f}",
        f"{lowlevel['lowlevel_plateau_test_error_mean']:.1f}",
        f"{lowlevel['schedule_constant_high_test_error']:.1f}",
        f"{glue['keras_mlp']['keras_test_error_mean']:.1f}",
        f"{glue['keras_mlp']['lowlevel_step_vs_keras_cpu_ratio']:.2f}",
        glue["keras_mlp"]["keras_same_vs_graph"],
        glue["installation"]["inst_tf_version"],
    ]
    for text in expected:
        assert text in intro, text


def test_figures_are_numbered_and_solutions_fold(page_html):
    for page in ("computational_graphs", "lowlevel_mlp", "keras_mlp"):
        assert re.search(r"Figure \d+", page_html(page)), f"{page}: no numbered figure"
    assert "dropdown" in page_html("computational_graphs"), "solutions must be folded"
