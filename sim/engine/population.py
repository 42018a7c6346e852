"""The listed patients of one run, as arrays (one entry per patient, no object each), and
what a contact takes from its patient, a :class:`Listing` that patients alike share.

A patient has an age band (70+ or not), a morbidity class (morbid or not), a team and an
own GP. The shares of the fact box are met exactly: round(list size x share) patients are
70+, and as many are morbid, placed at random (independently of each other: no source
gives their overlap). A patient's contact rate relative to the reference mix follows the
population section's relative rates (D6, D8), so the practice's expected demand is the
same as the rate x list size x patient-mix factor the streams are scaled by; each contact
that arises is drawn from the list in proportion to these rates.

Teams get their shares of the list exactly; within a team, patients are listed with its
list-keeping people (their own GP) in proportion to each person's ``list_share``; where a
team has none, with everyone who keeps a list. Where only the morbid have a fixed doctor
(``own_gp_for: morbid``), the others keep their team but have no own GP.

A role in ``own_clinician`` (a fixed nurse) keeps lists of its own, made the same way
from a permutation of its own (independent of the own GP: no source pairs them), of all
patients or of the morbid only (then the morbid are what is shared out exactly).
"""
from __future__ import annotations

import numpy as np

from sim.engine.model import CompiledScenario
from sim.rng import RandomStreams


def _exact_counts(total: int, shares: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``shares`` (largest remainder, so it adds up)."""
    weights = np.asarray(shares, dtype=float)
    if total == 0 or weights.sum() <= 0:
        return [0] * len(shares)
    raw = total * weights / weights.sum()
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


def _flag(n: int, share: float, generator: np.random.Generator) -> np.ndarray:
    """A boolean array with round(n x share) True entries at random places."""
    flags = np.zeros(n, dtype=bool)
    flags[generator.permutation(n)[: int(round(n * share))]] = True
    return flags


#: Codes of patients alike (:meth:`Patients._listings`) are numbered afresh, from 0, when
#: they could reach this: numbering makes arrays as long as the codes' range (17 MB at
#: most, for a few milliseconds), where sorting 80,000 codes took 6 ms against 0.3.
_DENSE_CODES = 1 << 20


def _numbered(code: np.ndarray, radix: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes (each below ``radix``) numbered afresh from 0 in their order, with one
    patient who has each and how many there are. Codes in a range too wide for an array
    as long are sorted instead."""
    if radix > _DENSE_CODES:
        _codes, anyone, numbers = np.unique(code, return_index=True, return_inverse=True)
        return numbers.reshape(-1), anyone, len(anyone)
    present = np.zeros(radix, dtype=bool)
    present[code] = True
    number = np.cumsum(present) - 1
    who = np.empty(radix, dtype=np.int64)
    who[code] = np.arange(len(code))  # any patient of a code will do: they are alike
    return number[code], who[present], int(number[-1]) + 1  # (radix is at least 1)


class Listing:
    """What a contact takes from its patient as it arises: their team, own GP, own
    clinicians of other roles ({role: person id}, or None) and whether they are morbid.
    Read only: patients alike share one."""

    __slots__ = ("team", "own_gp", "own_others", "complex")

    def __init__(self, team: str | None, own_gp: str | None,
                 own_others: dict[str, str] | None, is_complex: bool) -> None:
        self.team = team
        self.own_gp = own_gp
        self.own_others = own_others
        self.complex = is_complex


class Patients:
    __slots__ = ("size", "age70", "morbid", "weight", "team", "own_gp",
                 "teams", "holders", "own_clinicians", "listing_of", "_total", "_sums",
                 "_scale", "_guide", "_steps")

    def __init__(self, model: CompiledScenario, streams: RandomStreams):
        pop = model.scenario.population
        n = self.size = pop.list_size
        self.age70 = _flag(n, pop.share_70plus, streams.generator("population.age"))
        self.morbid = _flag(n, pop.share_morbid, streams.generator("population.morbidity"))
        weight = (1.0 + (pop.relative_rate_70plus - 1.0) * self.age70
                  + (pop.relative_rate_morbid - 1.0) * self.morbid)
        self.weight = weight
        self._guide_draws()
        self.teams: list[str] = list(pop.teams)
        self.team = np.full(n, -1, dtype=np.int32)
        order = streams.generator("population.team").permutation(n)
        if self.teams:
            counts = _exact_counts(n, [pop.teams[t] for t in self.teams])
            start = 0
            for index, count in enumerate(counts):
                self.team[order[start:start + count]] = index
                start += count
        self.holders: list[str] = [pid for pid, _team, _share in model.list_holders]
        self.own_gp = self._list(model.list_holders, order)
        if pop.own_gp_for == "morbid":  # only patients with known disease have a fixed GP
            self.own_gp[~self.morbid] = -1
        #: role -> each patient's own clinician of that role (index into its holders, -1)
        self.own_clinicians: dict[str, np.ndarray] = {}
        for role, who in pop.own_clinician.items():
            order = streams.generator(f"population.own.{role}").permutation(n)
            if who == "morbid":  # the list is theirs: shared exactly among the holders
                order = order[self.morbid[order]]
            self.own_clinicians[role] = self._list(model.clinician_holders.get(role, []),
                                                   order)
        #: each patient's listing (:meth:`_listings`)
        self.listing_of: list[Listing] = self._listings(model)

    def _listings(self, model: CompiledScenario) -> list[Listing]:
        """Each patient's :class:`Listing`, one object for all patients alike, found as
        equal codes: a patient's team, own GP, morbidity and own clinicians, numbered
        together (patients alike are a few hundred kinds at most). A contact takes its
        patient's from this one list, where it read four (team, own GP, own clinicians,
        morbidity): at 80,000 patients each is 640 kB, and the four outgrew a core's
        cache; and arrivals take theirs ahead, many days' at once (:meth:`listings`)."""
        holders_of = {role: [pid for pid, _team, _share in model.clinician_holders.get(role, [])]
                      for role in self.own_clinicians}
        columns = [(self.team, len(self.teams)), (self.own_gp, len(self.holders)),
                   (self.morbid.astype(np.int64) - 1, 1),
                   *((mine, len(holders_of[role])) for role, mine in self.own_clinicians.items())]
        code = np.zeros(self.size, dtype=np.int64)
        radix = 1  # codes are below it
        for column, values in columns:  # each -1 (none) to values - 1, as 0 to values
            if radix * (values + 1) > _DENSE_CODES:
                code, _anyone, radix = _numbered(code, radix)
            code = code * (values + 1) + (column.astype(np.int64) + 1)
            radix *= values + 1
        kind_of, anyone, _kinds = _numbered(code, radix)
        teams, gps = [*self.teams, None], [*self.holders, None]
        listings = np.empty(len(anyone), dtype=object)
        for kind, patient in enumerate(anyone.tolist()):
            others = {role: holders_of[role][int(mine[patient])]
                      for role, mine in self.own_clinicians.items() if mine[patient] >= 0}
            listings[kind] = Listing(teams[int(self.team[patient])],
                                     gps[int(self.own_gp[patient])], others or None,
                                     bool(self.morbid[patient]))
        return listings[kind_of].tolist()

    def listings(self, patients: list[int]) -> list[Listing]:
        """The listings of ``patients`` (arrivals of a stream, many days' at a time), read
        in one loop: at 80,000 patients the list outgrows a core's cache, and a read as
        each contact arose waited for memory on its own, where the reads of a loop
        overlap (experiments/performance.md, "[4]: patients alike share a listing")."""
        listing_of = self.listing_of
        return [listing_of[patient] for patient in patients]

    def _list(self, holders: list[tuple[str, str | None, float]],
              order: np.ndarray) -> np.ndarray:
        """Each patient's list holder (index into ``holders``; -1: none), within their team
        where the team has holders, in proportion to the holders' shares."""
        listed = np.full(self.size, -1, dtype=np.int32)
        if not holders:
            return listed
        groups: dict[int, np.ndarray] = {}
        if self.teams:
            team_of_order = self.team[order]
            for index in range(len(self.teams)):
                groups[index] = order[team_of_order == index]
        else:
            groups[-1] = order
        for team_index, patients in groups.items():
            team = self.teams[team_index] if team_index >= 0 else None
            mine = [i for i, (_pid, t, _s) in enumerate(holders) if t == team]
            if not mine:
                mine = list(range(len(holders)))
            counts = _exact_counts(len(patients), [holders[i][2] for i in mine])
            start = 0
            for holder, count in zip(mine, counts):
                listed[patients[start:start + count]] = holder
                start += count
        return listed

    def _guide_draws(self) -> None:
        """A guide table for :meth:`pick`: the total weight cut into ``m`` equal buckets
        (``m`` the power of two at or above the list size), each with how many running
        sums fall in the buckets before it. A draw then reads its bucket's entry and steps
        past the few sums in that bucket, where a binary search through the whole list's
        sums missed the cache at every level for a large list (100 ns a draw at 80,000
        patients against 22 at 6,000). The sums compared are the same, so the patient is
        the same."""
        n = self.size
        sums = np.cumsum(self.weight)
        self._total = float(sums[-1]) if n else 0.0
        # the sums before the last patient's count; a draw at or past them all is the
        # last patient's: infinity in the last place stops every step there
        below = sums[:-1]
        if n:
            sums[-1] = np.inf
        self._sums = sums
        m = 1 << max(0, (n - 1).bit_length())
        self._scale = m / self._total if n else 0.0
        # bucket of a sum: the same product a draw's bucket is found by, so a sum in a
        # lower bucket than a draw's is never above the draw (the product is monotone)
        counts = np.bincount((below * self._scale).astype(np.intp), minlength=m + 1)
        self._guide = np.zeros(len(counts) + 1, dtype=np.int32)
        np.cumsum(counts, out=self._guide[1:])
        self._steps = int(counts.max()) if n else 0

    def pick(self, u: np.ndarray) -> np.ndarray:
        """Patients for uniform draws ``u``, in proportion to their contact rates: the
        number of running sums (all but the last) at or below ``u`` x the total, as
        ``searchsorted(side="right")`` counts them. The guide gives a lower bound, and a
        draw steps past at most its own bucket's sums: ``_steps``, the most any holds."""
        if self.size == 0:
            return np.zeros(len(u), dtype=np.int64)
        x = u * self._total
        found = self._guide[(x * self._scale).astype(np.intp)]
        sums = self._sums
        for _ in range(self._steps):
            found += sums[found] <= x
        return found
