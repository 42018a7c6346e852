"""Named random streams derived from one seed with :class:`numpy.random.SeedSequence`.

Every random process in the model (phone arrivals, the attributes of each phone contact,
planned bookings, ...) draws from its own stream, keyed by the experiment seed, the
replication number and a stable hash of the stream's name. Hence:

* adding replications never changes earlier ones (replication is part of the spawn key);
* two scenarios run with the same seed see the same patients (common random numbers):
  a change of staffing changes who serves a contact, not which contacts arise;
* adding a stream to the model does not shift any other stream.

Each stream draws all the rows a day needs in one vectorised call (far cheaper than
scalar numpy draws), one row of uniforms per contact, which fixes each contact's random
attributes at its arrival.
"""
from __future__ import annotations

import zlib

import numpy as np

#: Uniform draws attached to each contact, one per random decision about it. The names
#: index into the row a contact carries (see :class:`sim.engine.contacts.Contact`).
CONTACT_DRAWS: tuple[str, ...] = (
    "type",
    "patience",
    "triage_duration",
    "triage_outcome",
    "service",
    "question",
    "question_duration",
    "joint",
    "joint_duration",
    "no_show",
    "triage_question",
    "triage_question_duration",
    "team",
    "travel",
)
DRAW = {name: i for i, name in enumerate(CONTACT_DRAWS)}


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (``hash()`` is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


class Stream:
    """One named random stream: a PCG64 generator that hands out rows of uniforms."""

    __slots__ = ("name", "generator", "_width")

    def __init__(self, name: str, seed_sequence: np.random.SeedSequence, width: int):
        self.name = name
        self.generator = np.random.Generator(np.random.PCG64(seed_sequence))
        self._width = width

    def draw(self, n: int) -> np.ndarray:
        """The next ``n`` rows of ``width`` U(0, 1) draws, in one vectorised call. The
        generator fills rows in order, so row i is the same whatever ``n`` is: a larger
        practice sees the same first patients plus more."""
        return self.generator.random((n, self._width))


class RandomStreams:
    """The family of streams for one (seed, replication) pair."""

    def __init__(self, seed: int, replication: int):
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.seed = int(seed)
        self.replication = int(replication)
        self._streams: dict[str, Stream] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, stream_key(name))
        )

    def stream(self, name: str, width: int = len(CONTACT_DRAWS)) -> Stream:
        """The stream called ``name`` (created on first use, then shared)."""
        found = self._streams.get(name)
        if found is None:
            found = Stream(name, self.seed_sequence(name), width)
            self._streams[name] = found
        return found

    def generator(self, name: str) -> np.random.Generator:
        """The raw generator of stream ``name`` for vectorised draws."""
        return self.stream(name).generator
