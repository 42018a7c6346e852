"""Random draws handed out in blocks: a stream's decision rows (:class:`DecisionRows`) and
its uniforms one at a time (:class:`Uniforms`), each drawn ahead with one NumPy call per
block rather than one per contact or decision. Apart from :mod:`sim.rng`, which seeds the
streams, since these are on the per-contact path: the compiled engine calls them as its
own classes, where a call into plain Python took a generic method call each time."""
from __future__ import annotations

import numpy as np

#: Rows a :class:`DecisionRows` (values a :class:`Uniforms`) draws ahead: its first block,
#: and the most it doubles to.
FIRST_BLOCK_ROWS, MAX_BLOCK_ROWS = 64, 1024


class DecisionRows:
    """Decision rows drawn ahead in blocks, one vectorised call per decision and block
    rather than per decision and day: a small practice's day has a few contacts per
    demand stream, and fifteen calls for each cost more than the contacts themselves.
    Each column continues its stream where the last block ended (a generator's
    ``random(a)`` then ``random(b)`` are its ``random(a + b)``), so the rows are the
    same whatever the blocks."""

    __slots__ = ("_generators", "_block", "_next", "_size")

    def __init__(self, generators: list[np.random.Generator], first: int = FIRST_BLOCK_ROWS):
        """``first``: the rows of the first block (at most :data:`MAX_BLOCK_ROWS`); a
        caller that knows how many rows a run takes asks for them at once, since a block
        costs a call per decision whatever its size."""
        self._generators = generators
        self._block = np.empty((0, len(generators)))
        self._next = 0  # the first row not yet handed out
        self._size = max(1, min(first, MAX_BLOCK_ROWS))

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` rows (a view of a block that is never written again)."""
        start = self._next
        if start + n > len(self._block):
            left = self._block[start:]
            more = max(n - len(left), self._size)
            self._size = min(2 * self._size, MAX_BLOCK_ROWS)
            block = np.empty((len(left) + more, len(self._generators)))
            block[:len(left)] = left
            for j, generator in enumerate(self._generators):
                block[len(left):, j] = generator.random(more)
            self._block, start = block, 0
        self._next = start + n
        return self._block[start:start + n]


class Uniforms:
    """A stream's uniforms one at a time, drawn ahead in blocks: a scalar draw from a
    numpy generator costs as much as a block of dozens. The values are the generator's
    own sequence (``random()`` twice is ``random(2)``), whatever the blocks."""

    __slots__ = ("_generator", "_ahead", "_size")

    def __init__(self, generator: np.random.Generator):
        self._generator = generator
        self._ahead: list[float] = []  # drawn, not yet handed out, last first
        self._size = FIRST_BLOCK_ROWS

    def next(self) -> float:
        if not self._ahead:
            self._ahead = self._generator.random(self._size).tolist()[::-1]
            self._size = min(2 * self._size, MAX_BLOCK_ROWS)
        return self._ahead.pop()
