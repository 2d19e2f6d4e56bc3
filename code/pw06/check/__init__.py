"""Self-checks for the workbooks: one line that says what is right, or which mistake it sees.

    from pw06 import check
    check.train_step(train_step)
    ✗ train_step: the parameters did not change — hint: `W = W - learning_rate * g` only …
    ✓ train_step: GradientTape + assign_sub: every parameter updated in place like the reference

Each check runs your function on a small fixed problem, compares it with the handbook's tested
reference (the same package), prints one line and returns a :class:`Result`, true when the
check passed. Where the answer is wrong, it looks for the known mistakes — each one is a
variant of the reference computed on the same problem — and names the one that matches.
A check never crashes on a wrong answer: exceptions from your code, wrong types or shapes, and
a function not written yet are explained in the same one line.

One function at a time: while a check runs your function, the other workbook functions it
calls (``logits`` inside ``forward``, ``model_loss`` inside ``train_step``, ``train_step``
inside ``fit``…) are the handbook's reference versions, swapped into your notebook's globals
for the call and put back after it (:func:`references`). So one mistake fails exactly one
check; a function that holds its own version in a closure or a same-named default argument is
called as a copy holding the reference. Where no swap is possible (a method or a callable
object holding its own version) and the answer is wrong, the check says which function it
calls fails its own check: ``✗ forward: not checked — logits fails its check; fix it
first``. Exercise 1 does the same for gradients that are right for your own (wrong) forward
values: ``✗ node_gradients: not checked — node_values fails its check; fix it first``.

For instructors: when nbgrader's autograder runs the notebook (``NBGRADER_EXECUTION`` is set),
a failed check also raises :class:`CheckFailed`, so that its test cell scores zero. A "not
checked … fix it first" line does not raise: the one mistake already costs the points of the
check that names it (whose cell fails), and is not charged twice.

In the student package (the student edition's wheel, without the solutions) the reference
versions are results recorded when the wheel was built, for the checks' fixed problems
(:mod:`pw06.recorded`); the lines printed are the same. For an input that was not recorded,
the check says so: ``✗ fit: not checked — no reference result for train_step …``.

Importing this module does not import TensorFlow; the checks that need it load it.

The checks live in one module per workbook: :mod:`pw06.check.computational_graphs`
(Exercise 1) and :mod:`pw06.check.mlp` (Exercises 3 and 4). What every check shares — the line,
the call of a student's function, the comparison "equal, or the known mistake it shows, or
the largest difference" — is :mod:`pw06.check._core`; the handbook's versions and their swap
into a notebook are :mod:`pw06.check._references`.
"""

from pw06.check._core import CheckFailed, Mistake, NotChecked, Result
from pw06.check._references import _USES as _USES  # the tests swap what a check swaps
from pw06.check._references import references
from pw06.check.computational_graphs import (
    HAND_TOLERANCE,
    node_gradients,
    node_values,
)
from pw06.check.computational_graphs import (
    _reference_graph as _reference_graph,  # the tests read the reference graph
)
from pw06.check.mlp import (
    LAB_CHECKS,
    SOFTMAX_CHECKS,
    build_functional,
    build_sequential,
    compile_model,
    cross_entropy_loss,
    error_rate,
    fit,
    forward,
    forward_softmax,
    init_params,
    keras_fit,
    keras_used,
    logits,
    mse_loss,
    one_hot,
    piecewise_constant,
    preprocess,
    train_step,
    training_data,
)

__all__ = [
    "HAND_TOLERANCE",
    "LAB_CHECKS",
    "SOFTMAX_CHECKS",
    "CheckFailed",
    "Mistake",
    "NotChecked",
    "Result",
    "build_functional",
    "build_sequential",
    "compile_model",
    "cross_entropy_loss",
    "error_rate",
    "fit",
    "forward",
    "forward_softmax",
    "init_params",
    "keras_fit",
    "keras_used",
    "logits",
    "mse_loss",
    "node_gradients",
    "node_values",
    "one_hot",
    "piecewise_constant",
    "preprocess",
    "references",
    "train_step",
    "training_data",
]
