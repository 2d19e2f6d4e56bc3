"""Checks on the built chapter "Review questions" (Exercise 5): glued evidence in its bands."""

from __future__ import annotations

import re

import pytest
from helpers import ROOT, visible_text
from pw06 import uncertainty

pytestmark = pytest.mark.slow

PAGE = "review_questions"
PAGE_SOURCE = ROOT / "book" / f"{PAGE}.md"
MLP_PARAMS = 784 * 300 + 300 + 300 * 10 + 10


def test_q1_gates(v):
    assert (v["rq_gate_x"], v["rq_gate_y"], v["rq_gate_z"], v["rq_gate_w"]) == (3, -4, 2, -1)
    assert v["rq_gate_f"] == -20.0
    assert v["rq_gate_upstream"] == 2.0
    assert v["rq_gate_dx"] == v["rq_gate_upstream"] * v["rq_gate_y"]  # multiply swaps
    assert v["rq_gate_dy"] == v["rq_gate_upstream"] * v["rq_gate_x"]
    assert (v["rq_gate_dz"], v["rq_gate_dw"]) == (v["rq_gate_upstream"], 0.0)  # max routes
    assert 0.0 <= v["rq_gate_max_abs_diff"] <= 1e-12
    assert v["rq_fanout_engine"] == v["rq_fanout_tape"] == -3.0
    assert v["rq_fanout_via_product"] == v["rq_gate_y"]  # ∂(x·y)/∂x = y
    assert v["rq_fanout_via_product"] + v["rq_fanout_via_sum"] == v["rq_fanout_engine"]


def test_q2_advantages(v):
    assert v["rq_mlp_n_tensors"] == 4
    assert v["rq_mlp_n_parameters"] == 20 * 16 + 16 + 16 * 3 + 3
    assert 0.0 <= v["rq_mlp_max_abs_diff_fd"] <= 1e-6
    assert v["rq_mlp_shape"] == "784-300-10"
    assert 12 <= v["rq_graph_n_operations"] <= 30
    assert 500 <= v["rq_graph_def_bytes"] <= 20000
    # the SavedModel, constant-folding and placement demos are on the Going-further pages
    # savedmodel_devices and tf_function (tests/test_book_savedmodel_devices.py, ..._tf_function)


def test_q3_static_vs_dynamic(v):
    assert v["rq_executing_eagerly"] == "True"
    assert v["rq_step_batch"] == 64
    assert 0.0 < v["rq_step_graph_ms"] < v["rq_step_eager_ms"] < 1000.0
    assert v["rq_step_speedup"] == pytest.approx(v["rq_step_eager_ms"] / v["rq_step_graph_ms"])
    assert v["rq_step_speedup"] > 1.0
    assert 0.0 < v["rq_step_trace_ms"] < v["rq_step_first_call_ms"] < 10_000.0
    assert 0.0 < v["rq_step_break_even_steps"] < 10_000.0
    # statement 6 of issue 17: medians of at least 5 repeats, with their range
    assert v["rq_step_repeats"] >= 5
    assert v["rq_step_eager_min_ms"] <= v["rq_step_eager_ms"] <= v["rq_step_eager_max_ms"]
    assert v["rq_step_graph_min_ms"] <= v["rq_step_graph_ms"] <= v["rq_step_graph_max_ms"]
    # AutoGraph's loop is on tf_function, "when does the graph pay?" on timing


#: Keys the sections of questions 1–6 glue, outside the MLP demonstrations.
MY_KEYS = re.compile(
    r"rq_(gate|fanout|fold|placement|autograph|collatz|overhead|trace|frozen|tfg|keras)_"
    r"|rq_(fig|table)_gates$"
)


def test_every_glued_key_is_read_by_a_page(v):
    """(The keys glued by the Going-further pages' demos are checked in their own tests.)"""
    pages = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "book").glob("*.md"))
    used = set(re.findall(r"\{glue:\w+\}`(?:[\w.]+::)?(\w+)", pages))
    used |= set(re.findall(r"```\{glue(?::\w+)?\} (\w+)", pages))
    unread = sorted(key for key in v if MY_KEYS.match(key) and key not in used)
    assert not unread, unread


def test_q4_tracing(v):
    assert (v["rq_trace_calls"], v["rq_trace_traces"], v["rq_trace_printed"]) == (6, 4, 6)
    assert (v["rq_trace_signature_calls"], v["rq_trace_signature_traces"]) == (3, 1)
    assert v["rq_frozen_before"] == v["rq_frozen_after"] == v["rq_frozen_traced_value"] == 0.1
    assert v["rq_frozen_python_value"] == 0.5


def test_q5_tf_gradients(v):
    assert v["rq_tfg_length"] == 3
    assert v["rq_tfg_dx"] == "[4.0, 6.0, 8.0]"
    assert v["rq_tfg_dw"] == 6.0
    assert v["rq_tfg_du"] == "None"
    assert v["rq_tfg_v1_graph"] == "[2.0, 4.0, 6.0]"  # a TensorFlow 1 graph works too
    assert v["rq_tfg_du_zero"] == 0.0
    assert v["rq_tfg_weighted"] == "[2.0, 0.0, 20.0]"
    assert (v["rq_tfg_total"], v["rq_tfg_partial"]) == (3.0, 1.0)
    assert v["rq_tfg_eager_error"] == "RuntimeError"
    assert "GradientTape" in v["rq_tfg_eager_message"]


def test_q6_keras(v, html):
    assert v["rq_keras_sequential_params"] == v["rq_keras_functional_params"] == MLP_PARAMS
    assert "mlp_sequential" in html and "mlp_functional" in html  # the Keras chapter's builders
    assert 0.0 <= v["rq_keras_max_abs_diff"] <= 1e-6
    assert v["rq_keras_outputs"] == uncertainty.outputs_verdict(v["rq_keras_max_abs_diff"])
    assert v["rq_keras_two_input_inputs"] == 2
    assert v["rq_keras_shared_params"] == 784 * 300 + 300
    assert v["rq_keras_two_input_params"] == MLP_PARAMS


def test_page_has_six_answers_figures_and_sources(v, html):
    assert html.count("sd-dropdown") >= 6
    for name in ("gates", "mlp-graph"):
        assert f'id="fig-review-questions-{name}"' in html, name
    for key in ("rq_fig_gates", "rq_fig_mlp_graph", "rq_table_gates"):
        assert key in v, key
    for url in (
        "tensorflow.org/api_docs/python/tf/function",
        "tensorflow.org/api_docs/python/tf/gradients",
        "keras.io/guides/sequential_model",
        "keras.io/guides/functional_api",
        "docs.pytorch.org/docs/stable/notes/autograd",
    ):
        assert url in html, url


def test_spoilers_are_folded(html):
    """No glue( on any page is checked in test_book_build.py; here: answers fold."""
    assert html.count("Show code cell output") >= 1  # spoilers folded: try first


def test_no_float32_noise_in_outputs(html):
    """0.1 in float32 prints as 0.10000000149011612 unless converted with care."""
    text = visible_text(html)
    assert not re.search(r"\d\.\d*0000000\d", text), re.search(r"\S*0000000\d\S*", text)


def test_every_demo_behind_a_claim_shows_its_source():
    source = PAGE_SOURCE.read_text(encoding="utf-8")
    called = set(re.findall(r"\brq\.(\w+)\(", source))
    shown = set(re.findall(r":pyobject: (\w+)", source))
    missing = called - shown
    assert not missing, f"called on the page, source not shown: {sorted(missing)}"
