"""Publish a chapter's results to its pages: one call per result object, in a removed cell.

A result is a mapping of glue keys to values, or an object with a ``glue()`` method returning
one (the chapters' report dataclasses). Values must be plain Python ``int``, ``float``, ``str``
or ``bool`` — NumPy scalars and tensors break ``{glue:text}`` formats — or Matplotlib figures,
which are closed once glued so that they are shown only where the page places them.
"""

from __future__ import annotations

from collections.abc import Mapping

PLAIN = (bool, int, float, str)


def glue_items(*results) -> dict[str, object]:
    """The ``key → value`` pairs of ``results``, checked: plain values or figures, unique keys."""
    items: dict[str, object] = {}
    for result in results:
        mapping = result if isinstance(result, Mapping) else result.glue()
        for key, value in mapping.items():
            if key in items:
                raise ValueError(f"glue key {key!r} is published twice")
            if not (type(value) in PLAIN or _is_figure(value)):
                raise TypeError(
                    f"glue key {key!r}: expected a plain int, float, str or bool, or a figure, "
                    f"got {type(value).__name__} {value!r}; convert it with float(), int() or str()"
                )
            items[key] = value
    return items


def publish(*results) -> None:
    """Glue every key of ``results`` (not displayed here), and close the glued figures."""
    from myst_nb import glue

    for key, value in glue_items(*results).items():
        glue(key, value, display=False)
        if _is_figure(value):
            import matplotlib.pyplot as plt

            plt.close(value)


def _is_figure(value) -> bool:
    return type(value).__name__ == "Figure" and hasattr(value, "savefig")
