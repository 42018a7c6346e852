"""Choosing one of several named outcomes from a uniform draw (a contact's type, a triage
call's outcome): compiled with the engine, since a choice is made for most contacts and a
call into plain Python from the compiled engine costs more than the choice itself."""
from __future__ import annotations

import numpy as np


def pick(table: tuple[tuple[float, str], ...], u: float) -> str:
    """Inverse-transform choice from a cumulative table (the last entry absorbs rounding)."""
    for edge, name in table:
        if u < edge:
            return name
    return table[-1][1]


def pick_all(table: tuple[tuple[float, str], ...], us: np.ndarray) -> list[str]:
    """:func:`pick` for a whole column of draws at once (the same choices, vectorised)."""
    edges = np.array([edge for edge, _ in table])
    names = [name for _, name in table]
    # typed: compiled, each choice is an index into a list of names, where an untyped
    # list's items were looked up generically (two fifths of the cost of the choices)
    chosen: list[int] = np.minimum(edges.searchsorted(us, side="right"),
                                   len(names) - 1).tolist()
    return [names[i] for i in chosen]
