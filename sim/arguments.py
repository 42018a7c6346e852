"""Checks of what the public functions and the command line take, shared by both: a
mistyped argument is a ValueError or TypeError naming it, what was found and what was
expected, before any run. Unchecked, a notebook's slip ran for ever (no runs per list
size), gave a silently wrong answer (a confidence of 95) or failed deep inside with
Python's own words.

Light (the standard library and :mod:`sim.limits` only): the command line imports it
before it knows what it will run.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import TypeGuard

from sim.limits import DEFAULT_MAX_SEARCH_RUNS

#: A confidence level, as every error about one says it: 0 and 1 would make every
#: interval a point or the whole line, and 95 (a percentage) is a slip for 0.95.
CONFIDENCE = "a number between 0 and 1 (exclusive), such as 0.95"


def whole_number(name: str, value: object, least: int, other: str = "",
                 most: int | None = None) -> int:
    """``value`` if it is a whole number of at least ``least`` (and at most ``most``),
    else a ValueError naming ``name``; ``other`` adds to what is expected (a bool, a
    float or a text such as "2" is refused, never rounded or read)."""
    number = int(value) if isinstance(value, Integral) and not isinstance(value, bool) \
        else None
    if number is None or number < least or most is not None and number > most:
        bound = f"of at least {least}" if most is None else f"from {least:,} to {most:,}"
        raise ValueError(f"{name} must be a whole number {bound}{other}, not {value!r}")
    return number


def is_confidence(value: object) -> TypeGuard[Real]:
    """Whether ``value`` is a confidence level (:data:`CONFIDENCE`; NaN is not)."""
    return (isinstance(value, Real) and not isinstance(value, bool)
            and 0.0 < float(value) < 1.0)


def confidence(name: str, value: object) -> float:
    """``value`` if it is a confidence level, else a ValueError naming ``name``."""
    if is_confidence(value):
        return float(value)
    raise ValueError(f"{name} must be {CONFIDENCE}, not {value!r}")


def flag(name: str, value: object) -> bool:
    """``value`` if it is True or False (numpy's too, as a plain bool), else a TypeError
    naming ``name``: a text such as "false" is true to Python, so taken as it is it turns
    on what it says to turn off."""
    if isinstance(value, bool):
        return value
    numpy = sys.modules.get("numpy")  # not imported: the value cannot be numpy's
    if numpy is not None and isinstance(value, numpy.bool_):
        return bool(value)
    raise TypeError(f"{name} must be True or False, not {type(value).__name__} {value!r}")


def one_or_more(name: str, value: object, what: str) -> list:
    """``value`` as a list: one text is a list of one. Iterated as it is, a text where a
    list was meant is read letter by letter ("found 'a'", "no metric 'a'"); a mapping or a
    single object of another kind is a TypeError naming ``name`` and ``what`` it takes."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (Mapping, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be {what}, or a list of them, not "
                        f"{type(value).__name__}")
    return list(value)


def texts(name: str, value: object, what: str) -> list[str]:
    """:func:`one_or_more` of texts (names of metrics, roles, columns): any other item is
    a TypeError naming ``name``."""
    items = one_or_more(name, value, what)
    wrong = [item for item in items if not isinstance(item, str)]
    if wrong:
        raise TypeError(f"{name} must be {what}, or a list of them; found "
                        f"{type(wrong[0]).__name__} {wrong[0]!r}")
    return items


def most_search_runs(replications: int, max_replications: int | None) -> int:
    """The runs a capacity search gives a list size at most: ``max_replications``, or
    where not given :data:`~sim.limits.DEFAULT_MAX_SEARCH_RUNS`, or the runs it starts
    with if more (the command line's default and the Python API's are one)."""
    if max_replications is None:
        return max(DEFAULT_MAX_SEARCH_RUNS, replications)
    return max_replications
