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
from itertools import islice
from numbers import Integral
from typing import Iterator

import numpy as np

from sim.draws import FIRST_BLOCK_ROWS, DecisionRows, Uniforms
from sim.limits import MAX_SEED

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
#: A contact is visited at home or seen in two stages (a history first), never both, so the
#: history's duration uses the travel column: no new stream, and the other draws stay as
#: they were.
DRAW["history_duration"] = DRAW["travel"]


#: numpy's SeedSequence pool size (its default), to which a seed's words are padded
_POOL_SIZE = np.random.SeedSequence(0).pool_size

# numpy's SeedSequence (M. O'Neill's seed_seq): the multipliers of its two hashes and of
# its mix, on 32-bit words
_HASH_A, _MULT_A = 0x43B0D7E5, 0x931E8875  # mixing entropy into the pool
_HASH_B, _MULT_B = 0x8B51F9DD, 0x58F38DED  # drawing words from the pool
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_MASK = 0xFFFFFFFF
_SHIFT = 16
#: Words of state a PCG64 takes from its seed sequence: four 64-bit words, as 32-bit ones
_PCG64_WORDS = 8


def _words(n: int) -> list[int]:
    """``n`` as SeedSequence reads an integer: 32-bit words, least significant first."""
    words = [n & 0xFFFFFFFF]
    n >>= 32
    while n:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
    return words


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (``hash()`` is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


def _hash_steps(first: int, mult: int) -> Iterator[tuple[int, int]]:
    """The multiplier a hash xors each next word with, then multiplies it by, from
    ``first``: it moves on by ``mult`` every step, whatever the words, so the steps can be
    laid out ahead."""
    before = first
    while True:
        after = (before * mult) & _MASK
        yield before, after
        before = after


def _hashed(value: int, before: int, after: int) -> int:
    value = ((value ^ before) * after) & _MASK
    return value ^ (value >> _SHIFT)


def _mixed(x: int, y: int) -> int:
    value = (_MIX_L * x - _MIX_R * y) & _MASK
    return value ^ (value >> _SHIFT)


def _pool_of(words: list[int], steps: Iterator[tuple[int, int]]) -> list[int]:
    """SeedSequence's pool after mixing in ``words`` (at least the pool's size), taking
    the hash's ``steps`` as it goes."""
    n = _POOL_SIZE
    pool = [_hashed(w, *next(steps)) for w in words[:n]]
    for src in range(n):
        for dst in range(n):
            if src != dst:
                pool[dst] = _mixed(pool[dst], _hashed(pool[src], *next(steps)))
    for w in words[n:]:
        for dst in range(n):
            pool[dst] = _mixed(pool[dst], _hashed(w, *next(steps)))
    return pool


#: The steps of the hash that draws a PCG64's words from the pool (the same for every pool)
_DRAW_STEPS = list(islice(_hash_steps(_HASH_B, _MULT_B), _PCG64_WORDS))


class _Seeded(np.random.bit_generator.ISeedSequence):
    """A PCG64's seed words, worked out ahead (see :meth:`RandomStreams.generator`)."""

    def __init__(self, state: np.ndarray):
        self.state = state

    def generate_state(self, n_words, dtype=np.uint32):
        if n_words != _PCG64_WORDS // 2 or np.dtype(dtype) != np.uint64:
            raise ValueError("a stream's seed words are a PCG64's: 4 of 64 bits")
        return self.state


def check_seed(name: str, value: object, most: int | None = MAX_SEED) -> int:
    """``value`` as a seed or a replication number: a whole number from 0 to ``most``
    (None: any size, as numpy's SeedSequence takes), else a ValueError naming ``name`` (a
    seed of 1.5 was once cut to 1 without a word, and "1" failed on a comparison). The
    product's entry points keep seeds to 2^63-1, which every results file can store."""
    number = int(value) if isinstance(value, Integral) and not isinstance(value, bool) else -1
    if number < 0 or most is not None and number > most:
        bound = ("of 0 or more" if most is None
                 else f"from 0 to {'2^63-1' if most == MAX_SEED else most}")
        raise ValueError(f"{name} must be a whole number {bound}, not {value!r}")
    return number


#: Every stream name opened in this process, with its key, in the order first opened: a
#: run works out the seed words of all of them at once when it opens its first stream (the
#: runs of one scenario open the same streams). Only the speed depends on it.
_OPENED: dict[str, int] = {}


class RandomStreams:
    """The family of streams for one (seed, replication) pair."""

    def __init__(self, seed: int, replication: int):
        self.seed = check_seed("seed", seed, most=None)
        self.replication = check_seed("replication", replication, most=None)
        self._generators: dict[str, np.random.Generator] = {}
        self._rows: dict[str, DecisionRows] = {}  # by their streams' common prefix
        # The words SeedSequence(seed, spawn_key=(replication, key)) mixes into its pool,
        # up to the stream's key: the seed's 32-bit words, padded with zeros to the pool's
        # size, then the replication's words (numpy's SeedSequence.get_assembled_entropy).
        seed_words = _words(self.seed)
        self._prefix = (seed_words + [0] * (_POOL_SIZE - len(seed_words))
                        + _words(self.replication))
        # SeedSequence mixes the words in turn, the stream's key last: the pool before the
        # key, and the hash's steps for the key, are the same for every stream of the run
        steps = _hash_steps(_HASH_A, _MULT_A)
        self._pool = _pool_of(self._prefix, steps)
        self._key_steps = list(islice(steps, _POOL_SIZE))  # a key is one word (a CRC-32)
        self._ahead: dict[str, np.ndarray] | None = None  # see :meth:`generator`

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """Stream ``name``'s seed sequence: the state of
        ``SeedSequence(seed, spawn_key=(replication, stream_key(name)))``, made from its
        words at once. :meth:`generator` seeds the stream's PCG64 as this would, without
        making it; ``tests/test_rng.py`` checks the two give the same states and draws."""
        return np.random.SeedSequence(
            np.array(self._prefix + _words(stream_key(name)), dtype=np.uint32))

    def generator(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (created on first use, then shared): a PCG64
        whose draws continue where the last call left off, seeded as by
        :meth:`seed_sequence`."""
        found = self._generators.get(name)
        if found is None:
            if self._ahead is None:  # the run's first stream: the known ones' words at once
                self._ahead = self._words_ahead(tuple(_OPENED))
            words = self._ahead.get(name)
            if words is None:
                words = self._pcg64_words(name)
                _OPENED.setdefault(name, stream_key(name))
            # numpy's stubs name SeedSequence; at run time PCG64 takes any ISeedSequence
            seeded = _Seeded(words)
            found = np.random.Generator(np.random.PCG64(seeded))  # type: ignore[arg-type]
            self._generators[name] = found
        return found

    def _pcg64_words(self, name: str) -> np.ndarray:
        """The four 64-bit words stream ``name``'s seed sequence gives a PCG64, worked out
        from the run's pool with the stream's key mixed in last: a run opens about 126
        streams, and numpy's SeedSequence mixes every word again for each and draws the
        PCG64's words one NumPy scalar at a time (about 13 of the 16 µs a stream took to
        open). ``tests/test_rng.py`` checks the generators' draws against numpy's."""
        key = stream_key(name)
        pool = []
        for word, (before, after) in zip(self._pool, self._key_steps):  # _hashed, _mixed
            h = ((key ^ before) * after) & _MASK
            h = (_MIX_L * word - _MIX_R * (h ^ (h >> _SHIFT))) & _MASK
            pool.append(h ^ (h >> _SHIFT))
        words = []
        for i, (before, after) in enumerate(_DRAW_STEPS):  # _hashed, inline
            h = ((pool[i % _POOL_SIZE] ^ before) * after) & _MASK
            words.append(h ^ (h >> _SHIFT))
        return np.array([words[i] | (words[i + 1] << 32) for i in range(0, _PCG64_WORDS, 2)],
                        dtype=np.uint64)

    def _words_ahead(self, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        """:meth:`_pcg64_words` of every one of ``names`` in one NumPy pass: the same
        32-bit arithmetic on 64-bit words (a product of two 32-bit words fits, and a
        difference that wraps below zero is still right modulo 2^32). A small practice's
        run opens its 126 streams in about 0.55 ms one by one, a third of the work before
        its first day, and much the same whatever its size (experiments/performance.md,
        "[4]: a small practice's fixed costs")."""
        if not names:
            return {}
        keys = np.array([_OPENED[name] for name in names], dtype=np.uint64)[:, None]
        before, after = (np.array(k, dtype=np.uint64) for k in zip(*self._key_steps))
        h = ((keys ^ before) * after) & _MASK
        pool_words = np.array(self._pool, dtype=np.uint64)
        h = (_MIX_L * pool_words - _MIX_R * (h ^ (h >> _SHIFT))) & _MASK
        pool = h ^ (h >> _SHIFT)  # (names, pool words)
        draw_before, draw_after = (np.array(k, dtype=np.uint64) for k in zip(*_DRAW_STEPS))
        spread = pool[:, np.arange(_PCG64_WORDS) % _POOL_SIZE]  # pool words, repeated
        h = ((spread ^ draw_before) * draw_after) & _MASK
        words = h ^ (h >> _SHIFT)
        state = np.ascontiguousarray(words[:, 0::2] | (words[:, 1::2] << np.uint64(32)))
        return dict(zip(names, state))

    def decision_rows(self, source: str, first: int = FIRST_BLOCK_ROWS) -> DecisionRows:
        """The decision rows of the contacts of ``source`` (a demand stream, or a kind of
        contact the run itself creates), column ``j`` from stream
        ``contacts.<source>.<CONTACT_DRAWS[j]>`` (``first``: see :class:`DecisionRows`)."""
        return self._rows_of(f"contacts.{source}", CONTACT_DRAWS, first)

    def arrival_rows(self, demand: str, first: int = FIRST_BLOCK_ROWS) -> DecisionRows:
        """Two draws for each arrival of demand stream ``demand``: its window of the day's
        profile (column 0, stream ``arrivals.<demand>.window``) and its time within the
        window (column 1, ``arrivals.<demand>.offset``), drawn ahead in blocks rather than
        two NumPy calls a day."""
        return self._rows_of(f"arrivals.{demand}", ("window", "offset"), first)

    def _rows_of(self, prefix: str, columns: tuple[str, ...], first: int) -> DecisionRows:
        """Rows whose column ``j`` comes from stream ``<prefix>.<columns[j]>`` (made on
        first use, then shared)."""
        found = self._rows.get(prefix)
        if found is None:
            found = self._rows[prefix] = DecisionRows(
                [self.generator(f"{prefix}.{c}") for c in columns], first)
        return found

    def uniforms(self, name: str) -> Uniforms:
        """Stream ``name``'s uniforms one at a time (see :class:`Uniforms`)."""
        return Uniforms(self.generator(name))

    def contact_draws(self, demand: str, n: int) -> np.ndarray:
        """The decision rows of the next ``n`` contacts of demand stream ``demand``: an
        (n, k) array whose column ``j`` comes from the decision's own stream."""
        return self.decision_rows(demand).take(n)
