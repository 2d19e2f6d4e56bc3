"""Checks on the Going-further page "Why sigmoid + MSE learns slowly" (deepens Exercise 3)."""

from __future__ import annotations

import pytest
from helpers import visible_text

pytestmark = pytest.mark.slow

PAGE = "sigmoid_mse"


def test_sigmoid_mse_gradient_is_smaller(v, glue):
    assert v["lowlevel_grad_ratio"] > 2
    assert 0 < v["lowlevel_sigma_prime_init"] <= 0.25
    assert 0 < v["lowlevel_sigma_prime_wrong"] <= 0.25
    # the ratio splits into K/2 (the constant), the σ′ part and the outputs' part
    assert v["lowlevel_grad_factor_k"] == glue["lowlevel_mlp"]["dataset_classes"] / 2
    assert v["lowlevel_grad_factor_sigma"] >= 4.0  # σ′ ≤ 1/4
    assert 0 < v["lowlevel_grad_factor_outputs"] < 1  # sigmoid outputs start farther off
    product = (
        v["lowlevel_grad_factor_k"]
        * v["lowlevel_grad_factor_sigma"]
        * v["lowlevel_grad_factor_outputs"]
    )
    assert product == pytest.approx(v["lowlevel_grad_ratio"], rel=1e-3)


def test_the_page_prints_the_glued_numbers(v, page_html):
    text = " ".join(visible_text(page_html(PAGE)).split())
    assert f"{v['lowlevel_grad_ratio']:.1f} times smaller" in text
    assert f"{v['lowlevel_grad_factor_k']:g} from the 2/K" in text.replace("\\(", "").replace(
        "\\)", ""
    )
    assert "def output_gradients(" in text
