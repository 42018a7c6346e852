"""Named random streams derived from one seed with :class:`numpy.random.SeedSequence`.

Every kind of random decision in the model (how many calls arrive, when, each contact's
type, its triage outcome, its consultation time, ...) draws from its own stream, spawned
by name: keyed by the experiment seed, the replication number and a stable hash of the
stream's name. Hence:

* adding replications never changes earlier ones (replication is part of the spawn key);
* two scenarios run with the same seed see the same patients (common random numbers):
  a change of staffing changes who serves a contact, not which contacts arise;
* adding a decision or a demand stream to the model never shifts the draws of any other,
  since each has a stream of its own.

A contact's decisions are fixed at its arrival: it carries a row of uniforms, one per
decision in :data:`CONTACT_DRAWS`, and column ``j`` of a demand stream's rows comes from
the stream ``contacts.<demand stream>.<decision j>``, drawn for all of the day's contacts
of that demand stream in one vectorised call.
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
    "patient",
    "travel",
    "message",
)
DRAW = {name: i for i, name in enumerate(CONTACT_DRAWS)}


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (``hash()`` is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """The family of streams for one (seed, replication) pair."""

    def __init__(self, seed: int, replication: int):
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.seed = int(seed)
        self.replication = int(replication)
        self._generators: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, stream_key(name))
        )

    def generator(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (created on first use, then shared): a PCG64
        whose draws continue where the last call left off."""
        found = self._generators.get(name)
        if found is None:
            found = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._generators[name] = found
        return found

    def contact_draws(self, demand: str, n: int) -> np.ndarray:
        """The decision rows of ``n`` contacts of demand stream ``demand``: an (n, k) array
        whose column ``j`` comes from the decision's own stream (``CONTACT_DRAWS[j]``)."""
        rows = np.empty((n, len(CONTACT_DRAWS)))
        for j, decision in enumerate(CONTACT_DRAWS):
            rows[:, j] = self.generator(f"contacts.{demand}.{decision}").random(n)
        return rows
