"""Machine integers for the compiled modules' index arithmetic (the engine's, and the
blocks of random draws in :mod:`sim.draws`).

mypyc compiles a plain ``int`` as an arbitrary-precision integer: each ``2 * pos + 1`` of a
heap's or a sorted list's search is a checked call, and each index a tagged value
released after use. ``i64`` (from ``mypy_extensions``, which the compiler brings) is a
64-bit machine integer there; without ``mypy_extensions`` (plain Python, or a compiled
install that does not have it) it is ``int``, the same numbers.
"""
from __future__ import annotations

try:
    from mypy_extensions import i64
except ImportError:  # plain Python without mypy_extensions: the same numbers as ints
    i64 = int  # type: ignore[misc, assignment]

__all__ = ["i64"]
