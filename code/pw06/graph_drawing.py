"""Figures and tables of a computational graph (Exercise 1, Exercise 5).

Draws any graph of ``computational_graphs.Value`` nodes — blank for pen
and paper, with forward values, or with gradients and the local derivative
on each edge — and TensorFlow's traced graphs, from the graph objects
themselves, laid out left to right (or top to bottom) with Matplotlib.
Tables list the nodes (forward pass) and the edges (backward pass).

The layout is hand-written (``layered_positions``, ~25 lines) because
NetworkX's ``multipartite_layout`` centres each layer in insertion order,
which crosses the edges of the traced graph, and Graphviz's ``dot`` is a
system program, not a Python package. Importing this module does not
import TensorFlow: traced graphs are read through their ``Operation``
objects' attributes only.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.textpath import TextPath

from pw06.computational_graphs import Value

VALUE_COLOR = "#1f4e9c"  # forward values: blue
GRAD_COLOR = "#b2182b"  # gradients: red
LOCAL_COLOR = "#1b6e20"  # local derivatives on the edges: green
INPUT_FILL = "#fff3c4"  # inputs (leaves, placeholders, constants): pale yellow
OPERATION_FILL = "#eeeeee"  # operations: light grey
FONT_SIZE = 14  # points; the figures are wide and shrink to the page width
LINE_STEP = 0.28  # inches between two lines of text in a box
BLANK = "_______"  # a slot to fill in by hand
EDGE_SLOT = "−0.0000"  # sizes an empty box on an edge, drawn in white


def short_number(x: float, digits: int = 4) -> str:
    """Like ``number``, but a whole number without decimals: 2, −1."""
    return number(x, 0) if x == round(x) else number(x, digits)


def number(x: float, digits: int = 3) -> str:
    """``x`` rounded to ``digits`` decimals, with a true minus sign."""
    text = f"{x:.{digits}f}"
    if float(text) == 0.0:  # no "−0.000"
        text = text.lstrip("-")
    return text.replace("-", "−")


# --- graphs as NetworkX DiGraphs -------------------------------------------------------
def value_graph(output: Value) -> nx.DiGraph:
    """The engine's graph (edges input → operation); nodes keep the Value."""
    if not isinstance(output, Value):
        kind = type(output).__name__
        raise TypeError(f"output: expected the output Value of a graph, got {kind}")
    graph = nx.DiGraph()
    for node in output.topological_order():
        graph.add_node(id(node), value=node)
        for child, local in zip(node.inputs, node.local_grads, strict=True):
            graph.add_edge(id(child), id(node), local=local)
    return graph


def tf_graph(concrete_function) -> nx.DiGraph:
    """TensorFlow's traced graph; nodes keep the ``tf.Operation``."""
    graph = nx.DiGraph()
    for op in concrete_function.graph.get_operations():
        graph.add_node(op.name, op=op)
        for tensor in op.inputs:
            graph.add_edge(tensor.op.name, op.name)
    return graph


def layered_positions(graph: nx.DiGraph) -> dict[object, tuple[float, float]]:
    """Left-to-right layout: each node as far right as its users allow.

    The column of a node is set by the longest path from it to an output
    (NetworkX's topological generations of the reversed graph), so an input
    sits just left of the operation that uses it (``b``, constants). Within
    a column, nodes are ordered by the mean height of the nodes they feed,
    so chains stay straight and edges do not cross. Returns (column, row)
    per node, rows counted downwards.
    """
    to_output = {}
    for distance, generation in enumerate(nx.topological_generations(graph.reverse(copy=False))):
        for node in generation:
            to_output[node] = distance
    last = max(to_output.values())
    column = {n: 0 if nx.is_isolate(graph, n) else last - d for n, d in to_output.items()}
    order = list(graph)  # insertion order breaks ties
    row: dict[object, float] = {}
    for col in sorted(set(column.values()), reverse=True):
        nodes = [n for n in graph if column[n] == col]
        targets = {
            n: sum(row[s] for s in graph.successors(n)) / graph.out_degree(n)
            if graph.out_degree(n)
            else 0.0
            for n in nodes
        }
        nodes.sort(key=lambda n: (targets[n], order.index(n)))
        centre = sum(targets.values()) / len(nodes)
        for i, n in enumerate(nodes):
            row[n] = centre + i - (len(nodes) - 1) / 2
    return {n: (column[n], row[n]) for n in graph}


# --- drawing ---------------------------------------------------------------------------
def _text_width(text: str, fontsize: float, weight: str = "normal") -> float:
    """Width of ``text`` in inches, as Matplotlib's default font draws it."""
    path = TextPath((0, 0), text, size=fontsize, prop=FontProperties(weight=weight))
    return path.get_extents().width / 72


@dataclass(frozen=True)
class _Layout:
    """Where each box of a drawing goes: centres ``xy``, widths, one height, the limits."""

    xy: dict
    width: dict
    height: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    vertical: bool


def _layout(graph, fontsize, vertical) -> _Layout:
    """Box centres and sizes: layers as columns (rows if ``vertical``), each box fitting its
    lines, each gap between columns fitting its edge labels. Sizes are in inches."""
    lines = dict(graph.nodes(data="lines"))
    edge_labels = {(u, v): text for u, v, text in graph.edges(data="label") if text is not None}
    n_lines = max(len(texts) for texts in lines.values())
    height = 0.16 + LINE_STEP * n_lines  # every box fits the most lines, plus a margin
    fits = {n: 0.16 + max(_text_width(t, fontsize, w) for t, _, w in lines[n]) for n in graph}
    positions = layered_positions(graph)
    if vertical:  # layers become rows, read downwards; one box width for all
        width = dict.fromkeys(graph, max(fits.values()))
        dx, dy = max(fits.values()) + 0.25, height + (0.5 if edge_labels else 0.3)
        xy = {n: (r * dx, -c * dy) for n, (c, r) in positions.items()}
    else:  # each column as wide as its widest box, each gap as wide as its labels
        column = {n: c for n, (c, _) in positions.items()}
        columns = sorted(set(column.values()))
        column_width = {c: max(fits[n] for n in graph if column[n] == c) for c in columns}
        gap = dict.fromkeys(columns, 0.3)
        for (source, _), text in edge_labels.items():
            needed = _text_width(text, fontsize - 2) + 0.4
            gap[column[source]] = max(gap[column[source]], needed)
        centre, left = {}, 0.0
        for c in columns:
            centre[c] = left + column_width[c] / 2
            left += column_width[c] + gap[c]
        width = {n: column_width[column[n]] for n in graph}
        dy = height + 0.18  # distance between rows
        xy = {n: (centre[c], -r * dy) for n, (c, r) in positions.items()}
    xlim = (
        min(x - width[n] / 2 for n, (x, _) in xy.items()) - 0.05,
        max(x + width[n] / 2 for n, (x, _) in xy.items()) + 0.05,
    )
    ys = [y for _, y in xy.values()]
    ylim = (min(ys) - height / 2 - 0.05, max(ys) + height / 2 + 0.05)
    return _Layout(xy, width, height, xlim, ylim, vertical)


def _draw_edges(ax, graph, layout: _Layout, label_color, label_size) -> None:
    """An arrow per edge, with its label (if any) in a white box halfway."""
    xy, width, height = layout.xy, layout.width, layout.height
    for source, target, label in graph.edges(data="label"):
        (x0, y0), (x1, y1) = xy[source], xy[target]
        if layout.vertical:  # the inputs of a node arrive side by side, in their order
            inputs = sorted(graph.predecessors(target), key=lambda n: xy[n][0])
            port = inputs.index(source) - (len(inputs) - 1) / 2
            x1 += port * min(0.3, width[target] / (len(inputs) + 1))
            start, end = (x0, y0 - height / 2), (x1, y1 + height / 2)
        else:
            start, end = (x0 + width[source] / 2, y0), (x1 - width[target] / 2, y1)
        arrow = FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=13, color="0.3", linewidth=1.1
        )
        ax.add_patch(arrow)
        if label is not None:
            ax.text(
                (start[0] + end[0]) / 2,
                (start[1] + end[1]) / 2,
                label,
                ha="center",
                va="center",
                color=label_color,
                size=label_size,
                bbox={
                    "boxstyle": "round,pad=0.15",
                    "facecolor": "white",
                    "edgecolor": LOCAL_COLOR,
                    "linewidth": 0.6,
                },
            )


def _draw_boxes(ax, graph, layout: _Layout, fontsize) -> None:
    """A rounded box per node, filled with its ``fill``, its ``lines`` centred."""
    for node, (x, y) in layout.xy.items():
        width, height = layout.width[node], layout.height
        box = FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.08",
            facecolor=graph.nodes[node]["fill"],
            edgecolor="0.25",
            linewidth=1.0,
        )
        ax.add_patch(box)
        texts = graph.nodes[node]["lines"]
        for i, (text, colour, weight) in enumerate(texts):
            ty = y + LINE_STEP * ((len(texts) - 1) / 2 - i)
            ax.text(
                x, ty, text, ha="center", va="center", color=colour, size=fontsize, weight=weight
            )


def _draw(
    graph,
    *,
    label_color=LOCAL_COLOR,
    ax=None,
    title="",
    fontsize=FONT_SIZE,
    vertical=False,
):
    """Draw a DAG left to right (top to bottom if ``vertical``), each node a rounded box.

    Each node's ``lines`` attribute is a list of (text, colour, weight), its ``fill`` the box
    colour; an edge's optional ``label`` attribute a text on the edge, in ``label_color``
    (white: an empty box of the text's size). Sizes are in inches.
    Creates a figure sized to the graph unless ``ax`` is given; returns the figure. A
    figure created here is closed to pyplot at once: it is not shown automatically at
    the end of a notebook cell, only where it is displayed, saved or glued.
    """
    layout = _layout(graph, fontsize, vertical)
    xlim, ylim = layout.xlim, layout.ylim
    if ax is None:
        size = (xlim[1] - xlim[0], ylim[1] - ylim[0])
        fig, ax = plt.subplots(figsize=(size[0], size[1] + (0.5 if title else 0.1)))
        plt.close(fig)  # still drawable; just not shown twice in a notebook
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9 if title else 0.99)
    _draw_edges(ax, graph, layout, label_color, fontsize - 2)
    _draw_boxes(ax, graph, layout, fontsize)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize + 1, loc="left")
    return ax.figure


def draw_graph(
    output: Value,
    *,
    values: bool = True,
    grads: bool = True,
    local_grads: bool = False,
    blank: bool = False,
    digits: int = 4,
    vertical: bool = False,
):
    """Draw the graph that computes ``output``, from the graph object itself.

    Each box shows the operation and the name of the value it produces
    (inputs: just the name), then optionally the forward value (blue,
    ``v =``) and the gradient of the output with respect to it (red,
    ``g =``); ``local_grads`` writes on each edge the local derivative
    ∂(operation)/∂(input) (green). ``blank`` leaves every number as a slot
    to fill in by hand. Numbers have ``digits`` decimals, whole numbers none.
    ``vertical`` lays the graph out top to bottom. Returns the figure
    (``figure.axes[0].set_title`` gives it a title).
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ValueError(f"digits: expected a whole number from 0 to 10, got {digits!r}")
    graph = value_graph(output)

    def show(x: float) -> str:
        return BLANK if blank else short_number(x, digits)

    for data in graph.nodes.values():
        node = data["value"]
        texts = [(f"{node.op} → {node.label}" if node.op else node.label, "black", "bold")]
        if values:
            texts.append((f"v = {show(node.data)}", VALUE_COLOR, "normal"))
        if grads:
            texts.append((f"g = {show(node.grad)}", GRAD_COLOR, "bold"))
        data["lines"] = texts
        data["fill"] = OPERATION_FILL if node.op else INPUT_FILL
    if local_grads:
        for data in graph.edges.values():
            data["label"] = EDGE_SLOT if blank else short_number(data["local"], digits)
    label_color = "white" if blank else LOCAL_COLOR
    return _draw(graph, label_color=label_color, vertical=vertical)


def _const_value(op) -> str:
    """The value of a scalar ``Const`` operation, read from its TensorProto."""
    proto = op.get_attr("value")
    for field in ("double_val", "float_val", "int64_val", "int_val"):
        items = list(getattr(proto, field, []))
        if len(items) == 1:
            return f"{items[0]:g}"
    return "tensor"


def _placeholder_label(op) -> str:
    """What a ``Placeholder`` stands for: the argument it is named after, or,
    for a resource handle, a variable the function captured."""
    if getattr(op.get_attr("dtype"), "name", "") == "resource":
        return "captured variable"
    return op.name


def draw_tf_graph(concrete_function, *, names: bool = True, vertical=False, ax=None, title=""):
    """Draw the operations of a traced TensorFlow graph.

    An operation shows its type in bold and its generated name below (if ``names``);
    a ``Placeholder`` — an input fed when the function is called — shows the name
    of the argument it stands for (or "captured variable"), a scalar ``Const`` its value.
    ``vertical`` lays the graph out top to bottom, for long chains.
    """
    graph = tf_graph(concrete_function)
    for name, data in graph.nodes(data=True):
        op = data["op"]
        if op.type == "Placeholder":
            texts = [(_placeholder_label(op), "black", "bold"), ("Placeholder", "0.3", "normal")]
        elif op.type == "Const":
            texts = [("Const", "black", "bold"), (f"= {_const_value(op)}", "0.3", "normal")]
        else:
            texts = [(op.type, "black", "bold")] + ([(name, "0.3", "normal")] if names else [])
        data["lines"] = texts
        data["fill"] = INPUT_FILL if op.type in ("Placeholder", "Const") else OPERATION_FILL
    return _draw(graph, ax=ax, title=title, fontsize=FONT_SIZE - 1, vertical=vertical)


# --- tables ----------------------------------------------------------------------------
def forward_table(output: Value, digits: int = 3) -> pd.DataFrame:
    """One row per node in topological order: operation, how it is computed, value."""
    rows = [
        {
            "node": node.label,
            "operation": node.op or "input",
            "computed as": node.expression if node.op else "given",
            "value": round(node.data, digits),
        }
        for node in output.topological_order()
    ]
    return pd.DataFrame(rows).set_index("node")


def backward_table(output: Value, digits: int = 4) -> pd.DataFrame:
    """One row per edge, from the output back: local derivative × upstream = downstream.

    Call ``output.backward()`` first. Where a node feeds several operations, its
    gradient is the sum of the downstream values of its rows. With 4 digits the
    products of the rounded numbers check out to the last digit on eq. 2.
    """
    rows = []
    for node in reversed(output.topological_order()):
        edges = zip(node.inputs, node.local_grads, node.local_formulas, strict=True)
        for child, local, formula in edges:
            rows.append(
                {
                    "node": f"{node.label} = {node.expression}",
                    "input": child.label,
                    "local derivative": f"∂{node.label}/∂{child.label} = {formula}",
                    "local value": round(local, digits),
                    "upstream": round(node.grad, digits),
                    "downstream": round(local * node.grad, digits),
                }
            )
    return pd.DataFrame(rows).set_index(["node", "input"])
