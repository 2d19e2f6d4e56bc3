"""Unit tests of book/_ext/reader_notebook.py: one test per conversion rule.

The reader notebook is the chapter as plain Jupyter. Each MyST construct the chapters use has
a rule here; the end-to-end check of the real notebooks (executed in a fresh environment) is
in test_reader_notebooks_run.py.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest
from sphinx.directives.code import LiteralIncludeReader

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "reader_notebook", ROOT / "book" / "_ext" / "reader_notebook.py"
)
rn = sys.modules.setdefault("reader_notebook", importlib.util.module_from_spec(spec))
spec.loader.exec_module(rn)  # (a dataclass needs its module in sys.modules)

BASE = "https://o.github.io/r/"
PNG = base64.b64encode(b"\x89PNG fake").decode()


def plain(value) -> dict:
    return {"data": {"text/plain": repr(value)}, "metadata": {"scrapbook": {"name": "k"}}}


class _Config:
    source_encoding = "utf-8"


def context(tmp_path: Path | None = None, **overrides) -> rn.Context:
    def read_include(path, options):
        typed = rn.literalinclude_options(options)
        return LiteralIncludeReader(str(tmp_path / path), typed, _Config).read()[0]

    settings = dict(
        page="chapter",
        glue={
            "chapter": {
                "error": plain(10.6789),
                "count": plain(7),
                "name": plain("MNIST <5k> *sample*"),
                "pipe": plain("a|b"),
                "fig": {"data": {"text/plain": "<Figure>", "image/png": PNG}},
                "table": {
                    "data": {
                        "text/plain": "df",
                        "text/html": "<div>\n<style scoped>\n  td {}\n\n</style>\n"
                        "<table>\n\n<tr><td>1</td></tr>\n</table>\n</div>",
                    }
                },
                "note": {"data": {"text/markdown": "So **this** holds.", "text/plain": "md"}},
            },
            "other": {"seeds": plain(5)},
        },
        base_url=BASE,
        titles={"chapter": "The chapter", "other": "Other page"},
        labels={
            "sec-a": ("other", "sec-a", "Section A"),
            "fig-x": ("chapter", "fig-x", "A caption"),
        },
        numbers={"fig-x": ("3", "Figure %s")},
        equations={"eq-one": ("chapter", "1")},
        read_include=read_include if tmp_path else None,
    )
    settings.update(overrides)
    return rn.Context(**settings)


def md(text: str, ctx: rn.Context | None = None) -> str:
    return rn.convert_markdown(text, ctx or context())


# ---- glue -----------------------------------------------------------------------------------


def test_glue_text_roles_become_the_formatted_values():
    out = md(
        "Error {glue:text}`error:.1f`%, {glue:text}`count:d` runs, seeds "
        "{glue:text}`other.md::seeds:d`."
    )
    assert out == "Error 10.7%, 7 runs, seeds 5."


def test_glued_text_is_escaped_for_markdown():
    assert md("{glue:text}`name:s`") == r"MNIST \<5k> \*sample\*"


def test_a_missing_glue_key_is_reported():
    ctx = context()
    md("{glue:text}`nope:.2f`", ctx)
    assert ctx.warnings and "nope" in ctx.warnings[0]


def test_glue_figure_becomes_an_embedded_image_with_its_numbered_caption():
    out = md("```{glue:figure} fig\n:name: fig-x\n\nThe {glue:text}`count:d` digits.\n```")
    assert out.startswith(f"![Figure 3](data:image/png;base64,{PNG})")
    assert out.endswith("**Figure 3.** The 7 digits.")


def test_glued_html_is_one_html_block_without_style():
    out = md("```{glue} table\n```")
    assert "<style" not in out and "<td>1</td>" in out
    assert "\n\n" not in out.strip()


def test_glue_md_role_and_directive_paste_markdown():
    assert md("Thus: {glue:md}`note`") == "Thus: So **this** holds."
    assert md("```{glue:md} note\n:format: myst\n```") == "So **this** holds."


# ---- source code ------------------------------------------------------------------------------


SOURCE = '''"""Module."""


def helper(x):
    """Help."""
    ### BEGIN SOLUTION
    y = x + 1
    ### END SOLUTION
    return y


class Model:
    def forward(self, x):
        return x
'''


def test_literalinclude_becomes_the_real_source_without_solution_markers(tmp_path):
    (tmp_path / "mod.py").write_text(SOURCE)
    out = md("```{literalinclude} mod.py\n:pyobject: helper\n```", context(tmp_path))
    assert out == ('```python\ndef helper(x):\n    """Help."""\n    y = x + 1\n    return y\n```')


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (":pyobject: Model.forward", "    def forward(self, x):\n        return x"),
        (":lines: 1", '"""Module."""'),
        (":start-after: class Model:\n:dedent: 4", "def forward(self, x):\n    return x"),
    ],
)
def test_literalinclude_options_select_as_on_the_page(tmp_path, options, expected):
    (tmp_path / "mod.py").write_text(SOURCE)
    ctx = context(tmp_path)
    out = md(f"```{{literalinclude}} mod.py\n{options}\n```", ctx)
    assert out == f"```python\n{expected}\n```"


def test_strip_solution_markers_keeps_the_solution():
    text = "a\n    ### BEGIN SOLUTION\n    b\n    # END SOLUTION\nc"
    assert rn.strip_solution_markers(text) == "a\n    b\nc"


def test_code_block_becomes_a_fence_with_its_caption():
    out = md("```{code-block} bash\n:name: cmds\n:caption: Linux\n\nls -l\n```")
    assert out == "*Linux*\n\n```bash\nls -l\n```"


def test_plain_code_fences_are_left_alone():
    text = "```python\nx = {glue:text}`count:d`\n```"
    assert md(text) == text


def test_inline_code_that_shows_a_role_is_left_alone():
    out = md("Write `{doc}` or {doc}`other`.")
    assert out == f"Write `{{doc}}` or [Other page]({BASE}other.html)."


# ---- structure --------------------------------------------------------------------------------


def test_dropdown_becomes_details_with_converted_content(tmp_path):
    (tmp_path / "mod.py").write_text(SOURCE)
    out = md(
        ":::{dropdown} Solution: `helper`\n:open:\nThe code, {glue:text}`count:d` lines:\n\n"
        "```{literalinclude} mod.py\n:pyobject: helper\n```\n:::",
        context(tmp_path),
    )
    assert out.startswith("<details open>\n<summary>Solution: <code>helper</code></summary>\n\n")
    assert "The code, 7 lines:" in out and "```python\ndef helper(x):" in out
    assert out.endswith("\n\n</details>")


def test_backtick_dropdown_and_tabs_become_details():
    out = md("````{dropdown} More\nText.\n````")
    assert out == "<details>\n<summary>More</summary>\n\nText.\n\n</details>"
    tabs = md(
        "::::{tab-set}\n:::{tab-item} Linux\n:sync: linux\n\nA\n:::\n"
        ":::{tab-item} Mac\nB\n:::\n::::"
    )
    assert tabs.count("<details>") == 2 and "<summary>Linux</summary>" in tabs
    assert ":sync:" not in tabs


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("```{note}\nBe careful.\n```", "Note"),
        ("```{warning}\nBe careful.\n```", "Warning"),
        ("```{admonition} The sign of $b$\n:class: warning\nBe careful.\n```", "The sign of $b$"),
    ],
)
def test_admonitions_become_quotes_with_a_bold_title(source, title):
    assert md(source) == f"> **{title}**\n>\n> Be careful."


def test_references_become_links_to_the_hosted_pages():
    out = md(
        "See {doc}`other`, {doc}`the other <other>`, {ref}`sec-a`, {ref}`here <sec-a>`, "
        "{numref}`fig-x`, {numref}`Fig. %s <fig-x>` and {eq}`eq-one`."
    )
    assert out == (
        f"See [Other page]({BASE}other.html), [the other]({BASE}other.html), "
        f"[Section A]({BASE}other.html#sec-a), [here]({BASE}other.html#sec-a), "
        f"[Figure 3]({BASE}chapter.html#fig-x), [Fig. 3]({BASE}chapter.html#fig-x) and "
        f"[(1)]({BASE}chapter.html#equation-eq-one)."
    )


def test_an_unknown_reference_is_reported():
    ctx = context()
    assert md("{ref}`nowhere`", ctx) == "nowhere"
    assert "nowhere" in ctx.warnings[0]


def test_math_stays_and_labelled_equations_get_their_number():
    assert md("Inline $x_1$ and\n\n$$\na = b\n$$") == "Inline $x_1$ and\n\n$$\na = b\n$$"
    assert md("$$\na = b\n$$ (eq-one)") == "$$\na = b\n\\tag{1}\n$$"
    assert md("```{math}\n:label: eq-one\n\na = b\n```") == "$$\na = b\n\\tag{1}\n$$"


def test_targets_and_comments_disappear():
    assert md("(sec-a)=\n## Section A\n% a comment\ntext") == "## Section A\ntext"


def test_list_table_becomes_a_markdown_table():
    out = md(
        "```{list-table} Errors and fixes.\n:header-rows: 1\n:name: tab-e\n\n"
        "* - What you see\n  - Fix\n* - `a | b`\n  - run {glue:text}`count:d`\n    times\n"
        "* - {glue:text}`pipe:s`\n  - x\n```"
    )
    assert out == (
        "Errors and fixes.\n\n| What you see | Fix |\n| --- | --- |\n| `a \\| b` | run 7 times |\n"
        "| a\\|b | x |"
    )


def test_figure_and_image_are_embedded(tmp_path):
    (tmp_path / "pic.png").write_bytes(b"png")
    ctx = context(read_file=lambda path: (tmp_path / path).read_bytes())
    uri = "data:image/png;base64," + base64.b64encode(b"png").decode()
    assert md("```{image} pic.png\n:alt: A pic\n```", ctx) == f"![A pic]({uri})"
    assert md("```{figure} pic.png\n:name: fig-x\n\nCaption.\n```", ctx) == (
        f"![]({uri})\n\n**Figure 3.** Caption."
    )


def test_an_unknown_directive_is_reported_and_its_content_kept():
    ctx = context()
    assert md("```{exercise} Try\nDo it.\n```", ctx) == "**Try**\n\nDo it."
    assert "exercise" in ctx.warnings[0]


def test_site_url_is_the_github_pages_address():
    assert rn.site_url("https://github.com/pw06-handbook/pw06-handbook") == (
        "https://pw06-handbook.github.io/pw06-handbook/"
    )
    assert rn.site_url("https://github.com/Me/me.github.io/") == "https://me.github.io/"
    with pytest.raises(ValueError, match="repository url"):
        rn.site_url("https://gitlab.com/o/r")


# ---- code cells -------------------------------------------------------------------------------


def test_glue_bookkeeping_is_stripped_from_visible_code():
    code = (
        "from myst_nb import glue\n\nfrom pw06 import data\n\n"
        "d = data.load()\n# publish\nglue('n', len(d), display=False)\n"
        "for k, v in d.items():\n    glue(k, v, display=False)\n_ = plt.ioff()\nd"
    )
    assert rn.strip_glue(code) == "from pw06 import data\n\nd = data.load()\nd"


def test_a_branch_left_empty_gets_pass():
    code = "if x:\n    glue('a', 1)\nelse:\n    y = 2"
    assert rn.strip_glue(code) == "if x:\n    pass\nelse:\n    y = 2"


def test_a_removed_cell_keeps_only_what_later_cells_need():
    code = (
        "%matplotlib inline\nimport time\nfrom myst_nb import glue\n\n"
        "start = time.perf_counter()\nseed0 = runs[0]\ntiming = seed0.timing()\n"
        "glue('t', timing.total, display=False)\nplt.close(fig)\n"
        "for key, value in LAB.items():\n    name = key.upper()\n    glue(name, value)\n"
        "tf.random.set_seed(0)\nfig"
    )
    assert rn.prune_removed_cell("# a note\nglue('t', 1)  # proof\n", set()) == ""
    assert rn.prune_removed_cell(code, set()) == "tf.random.set_seed(0)"
    kept = rn.prune_removed_cell(code, {"timing"})
    assert kept == "seed0 = runs[0]\ntiming = seed0.timing()\ntf.random.set_seed(0)"


def test_publish_calls_and_their_import_are_bookkeeping():
    """``pw06.publish`` glues result objects: a reader without myst-nb needs none of it."""
    setup = (
        "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
        "from pw06.publish import publish\n_ = plt.ioff()"
    )
    assert rn.prune_removed_cell(setup, set()) == ""
    published = 'publish(reports.summarize_seeds(runs, "lowlevel"), {"fig_x": fig})'
    assert rn.prune_removed_cell(published, set()) == ""
    assert rn.strip_glue("from pw06.publish import publish\nx = 1\npublish(x)") == "x = 1"


def test_liveness_sees_through_redefinitions_and_loop_variables():
    live = rn._update_live("seed0 = runs[1]\nfor name in names:\n    print(name, seed0)", set())
    assert live == {"runs", "names", "print"}
    removed = "seed0 = runs[0]\nname = 'x'\nnames = ['a']"
    assert rn.prune_removed_cell(removed, live) == "names = ['a']"


def test_clean_outputs_drops_stderr_and_glue_records():
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "ok\n"},
        {"output_type": "stream", "name": "stderr", "text": "noise\n"},
        {"output_type": "display_data", "data": {"text/plain": "1"}, "metadata": {"scrapbook": {}}},
        {
            "output_type": "display_data",
            "data": {"application/papermill.record/text/plain": 1},
            "metadata": {},
        },
    ]
    assert rn.clean_outputs(outputs) == [outputs[0]]


def test_setup_code_installs_and_loads_tensorflow_only_when_used():
    with_tf = rn.setup_code("pw06 @ git+https://x/r.git@main#subdirectory=code", True)
    compile(with_tf, "setup", "exec")
    assert "find_spec('pw06')" in with_tf and "tf_quiet" in with_tf
    assert "tf_quiet" not in rn.setup_code("pw06", False)


# ---- the whole notebook -----------------------------------------------------------------------


def executed_notebook() -> dict:
    def code(source, tags=(), outputs=()):
        meta = {"tags": list(tags)} if tags else {}
        return {
            "cell_type": "code",
            "metadata": meta,
            "source": source,
            "execution_count": 1,
            "outputs": list(outputs),
        }

    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "jupytext": {"text_representation": {"format_name": "myst"}},
            "mystnb": {"merge_streams": True},
            "source_map": [1, 2],
        },
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title\n\nIntro."},
            code("# fingerprint abc\nimport os", tags=["remove-cell", rn.SETUP_TAG]),
            code("%matplotlib inline\nfrom myst_nb import glue\n_ = plt.ioff()", ["remove-cell"]),
            code(
                "import tensorflow as tf\nx = 2\nprint(x)",
                outputs=[
                    {"output_type": "stream", "name": "stdout", "text": "2\n"},
                    {"output_type": "stream", "name": "stderr", "text": "oneDNN noise\n"},
                ],
            ),
            code(
                "glue('x', x, display=False)",
                ["remove-cell"],
                outputs=[
                    {
                        "output_type": "display_data",
                        "data": {"text/plain": "2"},
                        "metadata": {"scrapbook": {"name": "x"}},
                    },
                ],
            ),
            {"cell_type": "markdown", "metadata": {}, "source": "x is {glue:text}`count:d`."},
            {"cell_type": "markdown", "metadata": {}, "source": ":::{note}\nSee {doc}`other`."},
            code(
                "x",
                tags=["hide-input"],
                outputs=[
                    {
                        "output_type": "execute_result",
                        "execution_count": 3,
                        "data": {"text/plain": "2"},
                        "metadata": {},
                    },
                ],
            ),
        ],
    }


def test_reader_notebook_is_plain_jupyter():
    ctx = context()
    nb = rn.reader_notebook(executed_notebook(), ctx, install_spec="pw06", uses_tensorflow=True)
    nbformat.validate(nbformat.from_dict(nb))
    assert ctx.warnings == []
    kinds = [cell["cell_type"] for cell in nb["cells"]]
    assert kinds == ["code", "markdown", "code", "markdown", "code"]
    setup, _, visible, text, last = nb["cells"]
    assert setup["source"].startswith("#@title") and "tf_quiet" in setup["source"]
    assert setup["metadata"]["jupyter"]["source_hidden"] is True
    assert visible["source"] == "import tensorflow as tf\nx = 2\nprint(x)"
    assert visible["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "2\n"}]
    assert text["source"].startswith("x is 7.\n\n> **Note**")
    assert last["metadata"]["jupyter"] == {"source_hidden": True}
    assert last["outputs"][0]["data"] == {"text/plain": "2"}
    assert set(nb["metadata"]) == {"kernelspec"}
    assert rn.myst_leftovers(nb) == []
    assert "myst_nb" not in json.dumps(nb)


def test_myst_leftovers_are_found():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "a {glue:text}`x` and :::{note}"},
            {"cell_type": "code", "source": "'{doc}'"},
        ]
    }
    assert rn.myst_leftovers(nb) == [(0, "{glue"), (0, ":::{")]
