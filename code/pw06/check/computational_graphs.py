"""The checks of Exercise 1 (``workbooks/computational_graphs.md``): the computational graph
of logistic regression by hand, its forward values and its gradients."""

from __future__ import annotations

import math

from pw06.check._core import Mistake, NotChecked, _check, _is_number, _passes

#: How close a hand-computed number must be (three decimals are enough).
HAND_TOLERANCE = {"rel_tol": 1e-2, "abs_tol": 6e-3}
_INPUTS = ("x1", "x2", "w1", "w2", "b")


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, **HAND_TOLERANCE)


def _reference_graph(inputs: dict | None):
    from pw06 import computational_graphs as cg

    given = dict(cg.CS231N_INPUTS)
    if inputs:
        given.update({k: inputs[k] for k in _INPUTS if _is_number(inputs.get(k))})
    try:
        graph = cg.logistic_regression_graph(**{k: float(given[k]) for k in _INPUTS})
    except ValueError as error:  # exp overflows, 1/0
        raise Mistake(
            f"the inputs {', '.join(f'{k} = {given[k]:g}' for k in _INPUTS)} give {error}",
            "choose inputs with a moderate w1·x1 + w2·x2 + b (|z| < 700)",
        ) from None
    graph.output.backward(1.0)
    return graph


def _hand_values(answer, graph, what: str) -> dict[str, float]:
    """The student's dict checked for form: one number per node ("yhat" may name ŷ)."""
    if not isinstance(answer, dict):
        raise Mistake(
            f"expected a dict {{node name: number}}, got {type(answer).__name__}",
            "build a dict, e.g. values = {'x1': -1.0, …}, with one entry per node",
        )
    answer = {("ŷ" if k == "yhat" else k): v for k, v in answer.items()}
    names = [node.label for node in graph.nodes()]
    missing = [n for n in names if n not in answer]
    if missing:
        raise Mistake(
            f"no {what} for {', '.join(missing)}",
            f"one entry per node of the graph: {', '.join(names)} ('yhat' also names ŷ)",
        )
    for name in names:
        value = answer[name]
        if not _is_number(value) or not math.isfinite(float(value)):
            raise Mistake(
                f"the {what} of {name} is {value!r}, not a finite number",
                "write a number, or an expression that computes one (math.exp, 1 / d, …)",
            )
    return {n: float(answer[n]) for n in names}


def _fmt(x: float) -> str:
    return f"{x:.3f}".replace("-", "−")


@_check("node_values")
def node_values(values) -> str:
    """Exercise 1 b): the forward value of every node, ``{name: value}``.

    The inputs are read from ``values`` (default: CS231n's x = (−1, −2), w = (2, −3), b = −3).
    The line names the first wrong node, and any later node that is wrong on its own (wrong
    for the values of its own inputs, as you wrote them).
    """
    graph = _reference_graph(values if isinstance(values, dict) else None)
    got = _hand_values(values, graph, "value")
    wrong = [node for node in graph.nodes() if not _same(got[node.label], node.data)]
    if not wrong:
        return f"all {len(graph.nodes())} node values are right (ŷ = {graph.output.data:.3f})"
    node = wrong[0]  # its inputs are right: every node before it is
    name, expected = node.label, node.data
    args = ", ".join(f"{c.label} = {_fmt(got[c.label])}" for c in node.inputs)
    what = f"{name} = {node.expression} should be {_fmt(expected)} ({args})"
    what += f"; you have {_fmt(got[name])}"
    also = [n.label for n in wrong[1:] if not _same(got[n.label], _recompute(n, got))]
    if also:
        what += f"; also wrong for its own inputs: {', '.join(also)}"
    raise Mistake(what, _value_hint(node, got))


def _exp(x: float) -> float:
    return math.exp(x) if x < 700 else math.inf


def _recompute(node, got) -> float:
    """``node``'s operation applied to the values ``got`` of its inputs (inf where undefined)."""
    ins = [got[child.label] for child in node.inputs]
    if not node.op:
        return got[node.label]
    if node.op == "exp":
        return _exp(ins[0])
    if node.op == "1/x":
        return 1.0 / ins[0] if ins[0] else math.inf
    if node.op == "max":
        return max(ins)
    if len(ins) == 2:
        return {"×": ins[0] * ins[1], "+": ins[0] + ins[1], "−": ins[0] - ins[1]}[node.op]
    if node.op.startswith("×"):  # times a constant
        return node.local_grads[0] * ins[0]
    return ins[0] + (node.data - node.inputs[0].data)  # plus a constant


def _value_variants(node, ins):
    """(value, hint) of each known mistake for ``node``, from the values ``ins`` of its inputs."""
    label, expression = node.label, node.expression
    if label == "z" and len(ins) == 2:
        yield (
            ins[0] - ins[1],
            "the sign of b: eq. 1 reads exp(−wᵀx + b), i.e. z = wᵀx − b, but this workbook "
            "follows eq. 2, z = w1·x1 + w2·x2 + b",
        )
    if label == "u" and len(ins) == 1:
        yield ins[0], "u = −z: the minus sign of exp(−z)"
    if label == "e" and len(ins) == 1:
        yield _exp(-ins[0]), "e = exp(u): u already holds the minus sign"
    if label == "d" and len(ins) == 1:
        yield ins[0], "d = e + 1: the '1 +' of the denominator"
        yield ins[0] - 1, "d = e + 1, not e − 1"
    if label == "ŷ" and len(ins) == 1:
        yield ins[0], "ŷ = 1/d: the reciprocal closes the sigmoid"
    if node.op == "×" and len(ins) == 2:
        yield ins[0] + ins[1], f"{label} is a product: {expression}"
    if node.op == "+" and len(ins) == 2:
        yield ins[0] - ins[1], f"{label} is a sum: {expression}"
        yield ins[0] * ins[1], f"{label} is a sum, not a product: {expression}"


def _value_hint(node, got) -> str:
    """The likely mistake behind a wrong forward value of ``node`` (its inputs are right)."""
    ins = [got[child.label] for child in node.inputs]
    for expected, hint in _value_variants(node, ins):
        if math.isfinite(expected) and _same(got[node.label], expected):
            return hint
    if node.inputs:
        return f"recompute {node.label} = {node.expression} from the values above"
    return "the inputs x1, x2, w1, w2, b are given: keep them"


@_check("node_gradients")
def node_gradients(grads, values=None) -> str:
    """Exercise 1 c): the gradient ∂ŷ/∂node of every node after back-propagating 1.0.

    ``values``: the forward values (for their inputs); default CS231n's inputs.

    Each gradient is graded on its own, from the output back: it must be the local derivative
    (at the reference forward values) times the gradient upstream *as you wrote it*, so one
    wrong gradient is named once, not again in every gradient computed from it. A gradient that
    is right for your own forward values, where those are wrong, is not blamed: the line says
    that node_values fails its check instead.
    """
    graph = _reference_graph(values if isinstance(values, dict) else None)
    got = _hand_values(grads, graph, "gradient")
    try:
        mine = _hand_values(values, graph, "value") if isinstance(values, dict) else None
    except Mistake:
        mine = None
    parents: dict[int, list] = {id(node): [] for node in graph.nodes()}
    for node in graph.nodes():
        for i, (child, local, formula) in enumerate(
            zip(node.inputs, node.local_grads, node.local_formulas, strict=True)
        ):
            parents[id(child)].append((node, local, formula, i))
    from_own_values = []
    for node in reversed(graph.nodes()):
        name, users = node.label, parents[id(node)]
        expected = sum(local * got[p.label] for p, local, _, _ in users) if users else node.grad
        if _same(got[name], expected):
            continue
        if mine is not None and any(
            _same(got[name], total) for total in _own_chain_rule(users, got, mine)
        ):
            from_own_values.append(name)
            continue
        what = f"∂ŷ/∂{name} should be {_fmt(expected)}"
        if not _same(expected, node.grad):
            upstream = ", ".join(f"∂ŷ/∂{p.label} = {_fmt(got[p.label])}" for p, *_ in users)
            what += f" from your {upstream}"
        what += f"; you have {_fmt(got[name])}"
        raise Mistake(what, _gradient_hint(node, got, users, expected))
    if from_own_values and not _passes(node_values, values):
        raise NotChecked("node_values fails its check")
    return (
        f"all {len(graph.nodes())} gradients are right (∂ŷ/∂w1 = {graph.inputs['w1'].grad:.3f}, "
        f"∂ŷ/∂b = {graph.inputs['b'].grad:.3f})"
    )


def _own_chain_rule(users, got, mine) -> list[float]:
    """The gradient of a node by the chain rule with the local derivatives at the student's
    own forward values ``mine`` (each way a student may write them)."""
    if len(users) != 1:
        return []
    parent, local, _, i = users[0]
    upstream = got[parent.label]
    if parent.op == "×" and len(parent.inputs) == 2:
        options = [mine[parent.inputs[1 - i].label]]
    elif parent.op == "exp":
        options = [mine[parent.label], _exp(mine[parent.inputs[0].label])]
    elif parent.op == "1/x":
        d = mine[parent.inputs[0].label]
        options = [-1.0 / d**2 if d else math.inf, -(mine[parent.label] ** 2)]
    else:
        options = [local]
    return [option * upstream for option in options if math.isfinite(option)]


def _gradient_hint(node, got, parents, expected) -> str:
    """The likely mistake behind a wrong gradient of ``node`` (its users' gradients are taken
    as written); ``expected``: the right one given those."""
    v = got[node.label]
    if not parents:
        return "the backward pass starts at the output with ∂ŷ/∂ŷ = 1.0"
    if node.label == "b" and _same(v, -expected):
        return (
            "the sign of b: with eq. 1 (z = wᵀx − b) ∂ŷ/∂b = −σ′(z); this workbook follows "
            "eq. 2, z = w1·x1 + w2·x2 + b, so ∂ŷ/∂b = +σ′(z) = ∂ŷ/∂z"
        )
    if len(parents) == 1:
        parent, local, formula, _ = parents[0]
        upstream = got[parent.label]
        chain = (
            f"∂ŷ/∂{node.label} = ∂{parent.label}/∂{node.label} × ∂ŷ/∂{parent.label} = "
            f"({formula}) × ∂ŷ/∂{parent.label} = {_fmt(local)} × {_fmt(upstream)}"
        )
        if not _same(upstream, 1.0) and _same(v, local):
            return (
                f"chain rule: you wrote the local derivative ∂{parent.label}/∂{node.label} "
                f"only; multiply it by the upstream gradient: {chain}"
            )
        if not _same(local, 1.0) and _same(v, upstream):
            return f"multiply the upstream gradient by the local derivative: {chain}"
        if parent.op == "×" and _same(v, node.data * upstream):
            return (
                f"the multiply gate swaps: {node.label} receives the upstream gradient times the "
                f"*other* input ({formula}), not times itself: {chain}"
            )
        if _same(v, -expected):
            return f"a sign: {chain}"
        return chain
    total = " + ".join(f"{_fmt(local)} × {_fmt(got[p.label])}" for p, local, _, _ in parents)
    return f"{node.label} feeds several nodes: add their contributions, {total}"
