"""The lab path: short lab pages, deep dives on Going-further pages that the lab pages link to.

Issue 17: prose on the lab pages (words outside code, math, tables and directive options) at most
1,800 a page and 6,500 in all; every Going-further page in the TOC, linked from a lab page, and
opening with one sentence that names the exercise it deepens; every lab page opens with a
"What you do" box. Source-only: no build needed.
"""

from __future__ import annotations

import re

import pytest
from helpers import ROOT, prose_words, toc_part

LAB = toc_part("The lab")
FURTHER = toc_part("Going further")
PAGE_LIMIT = 1800
TOTAL_LIMIT = 6500
#: The Going-further pages other helpers and tests rely on, by file name.
EXPECTED_FURTHER = {
    "timing",
    "comparing_networks",
    "sigmoid_mse",
    "tf_function",
    "savedmodel_devices",
}


def source(page: str) -> str:
    return (ROOT / "book" / f"{page}.md").read_text(encoding="utf-8")


def body(page: str) -> str:
    """The page without its front matter and its title line."""
    text = re.sub(r"\A---\n.*?\n---\n", "", source(page), flags=re.S).lstrip()
    return text.split("\n", 1)[1] if text.startswith("# ") else text


# --- the counter itself, on samples whose count is known ----------------------------------------
def test_prose_words_counts_plain_words_and_roles():
    assert prose_words("# A title\n\nOne two three.\n") == 5
    assert prose_words("Read {doc}`the low-level page <lowlevel_mlp>` now.") == 5
    assert prose_words("Error {glue:text}`lowlevel_test_error_mean:.1f` %.") == 2  # value = 1


def test_prose_words_skips_code_math_tables_options_and_front_matter():
    sample = "\n".join(
        [
            "---",
            "kernelspec: {name: python3}",
            "---",
            "Before the code.",
            "```{code-cell} ipython3",
            ":tags: [remove-cell]",
            "x = many words in a code cell",
            "```",
            "$$",
            "a + b = c",
            "$$",
            "| a table | with words |",
            "| --- | --- |",
            "```{list-table} A caption",
            ":header-rows: 1",
            "* - listed words",
            "```",
            "```bash",
            "pip install things",
            "```",
            "(a-label)=",
            "After: $x^2$ and `code`.",
        ]
    )
    # "Before the code." (3) + "After:" + one word for $x^2$ + "and" + one for `code` (4)
    assert prose_words(sample) == 7


def test_prose_words_keeps_admonitions_and_dropdowns_but_not_their_options():
    sample = "```{admonition} What you do\n:class: tip\nRead the page.\n```\n" + (
        ":::{dropdown} Solution: the step\n```{literalinclude} ../code/x.py\n:pyobject: f\n```\n"
        "Two words.\n:::\n"
    )
    # titles "What you do" (3) and "Solution: the step" (3), "Read the page." (3), "Two words." (2)
    assert prose_words(sample) == 11


# --- the lab pages ------------------------------------------------------------------------------
def test_the_toc_has_the_lab_and_the_going_further_parts():
    assert LAB == [
        "computational_graphs",
        "installation",
        "lowlevel_mlp",
        "keras_mlp",
        "review_questions",
    ]
    assert set(FURTHER) == EXPECTED_FURTHER
    for page in FURTHER:
        assert (ROOT / "book" / f"{page}.md").exists(), page


@pytest.mark.parametrize("page", LAB)
def test_a_lab_page_holds_at_most_1800_words_of_prose(page):
    words = prose_words(source(page))
    assert words <= PAGE_LIMIT, f"{page}: {words} words of prose (limit {PAGE_LIMIT})"


def test_the_lab_pages_hold_at_most_6500_words_of_prose_in_all():
    counts = {page: prose_words(source(page)) for page in LAB}
    assert sum(counts.values()) <= TOTAL_LIMIT, counts


@pytest.mark.parametrize("page", LAB)
def test_a_lab_page_opens_with_a_what_you_do_box(page):
    opening = body(page).lstrip()
    assert opening.startswith("```{admonition} What you do"), opening[:80]
    box = opening.split("\n```\n", 1)[0]
    assert re.search(r"\d+ min", box), "each step gives a rough time"
    assert "workbook" in box.lower(), "the box names the workbook (or says there is none)"


# --- the Going-further pages --------------------------------------------------------------------
@pytest.mark.parametrize("page", sorted(EXPECTED_FURTHER))
def test_a_going_further_page_opens_with_the_exercise_it_deepens(page):
    first = body(page).lstrip().split("\n\n", 1)[0]
    first = " ".join(first.split())
    assert first.startswith("This page deepens Exercise"), first
    assert re.match(r"This page deepens Exercise \d\b", first), first
    assert first.count(". ") == 0 and first.rstrip().endswith((".", ":", "?")), first


@pytest.mark.parametrize("page", sorted(EXPECTED_FURTHER))
def test_a_going_further_page_is_linked_from_a_lab_page(page):
    link = re.compile(r"\{doc\}`(?:[^`<]*<)?" + re.escape(page) + r">?`")
    linking = [lab for lab in LAB if link.search(source(lab))]
    assert linking, f"no lab page links to {page}"
