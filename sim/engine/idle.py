"""Who is idle, indexed so that the best idle person for new work is found without scanning
everyone.

Idle people sit in buckets by (kind of work their block takes, role, team); a bucket holds
their indexes as bits (:class:`Bucket`): going idle and being woken set and clear a bit in
each of the person's buckets, and a bucket's first person is its lowest bit. The best
person for an item is the one with the lowest rank of its route, then of the item's own
team (when it has one), then the lowest index: the same choice as scanning every idle
person with that key, at the cost of a few bucket lookups, so dispatch does not slow down
as a practice grows from 9 to 120 people.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.contacts import Work
    from sim.engine.staff import Worker


#: People a word of a :class:`Bucket` holds: bits 0 to 61, the most a compiled engine's
#: integer holds in place (a larger one is an object of its own, made anew by every bit
#: operation on it).
WORD: Final = 62


class Bucket:
    """The idle people of one (kind of work, role, team): bit ``i`` of ``low`` is set while
    the person with index ``i`` is idle here, and bit ``i - WORD`` of ``high`` for the
    people from :data:`WORD` on. Sorted lists of indexes took a search and an insertion or
    a deletion in each of a person's buckets (about 3.7) every time they went idle or were
    woken, 7 % of a run; a bit is set or cleared in a few machine operations. One integer
    for everyone grew past a machine word beyond 62 people a day (120 at 80,000 patients),
    and every operation on it then made a new object: two words keep up to 124 people in
    place (beyond that, ``high`` grows, and the same operations stay right)."""

    __slots__ = ("low", "high")

    def __init__(self) -> None:
        self.low = 0
        self.high = 0

    def __bool__(self) -> bool:
        return self.low != 0 or self.high != 0

    def first(self) -> int:
        """The lowest index idle here (the bucket is not empty)."""
        low = self.low
        if low != 0:
            return (low & -low).bit_length() - 1
        high = self.high
        return WORD + (high & -high).bit_length() - 1

    def indexes(self) -> Iterator[int]:
        """The indexes idle here, lowest first."""
        for word, base in ((self.low, 0), (self.high, WORD)):
            while word:
                lowest = word & -word
                yield base + lowest.bit_length() - 1
                word ^= lowest


def set_idle(buckets: list[Bucket], index: int) -> None:
    """Set person ``index``'s bit in each of ``buckets`` (the word chosen once for all of
    them: a method call per bucket cost 1.1 % more instructions in a run)."""
    if index < WORD:
        bit = 1 << index
        for bucket in buckets:
            bucket.low |= bit
    else:
        bit = 1 << (index - WORD)
        for bucket in buckets:
            bucket.high |= bit


def clear_idle(buckets: list[Bucket], index: int) -> None:
    """Clear person ``index``'s bit in each of ``buckets``."""
    if index < WORD:
        mask = ~(1 << index)
        for bucket in buckets:
            bucket.low &= mask
    else:
        mask = ~(1 << (index - WORD))
        for bucket in buckets:
            bucket.high &= mask


#: A route's buckets of one kind of work: (buckets made when it was laid out, the route's
#: phone line, [(rank, team, bucket)] lowest rank first).
Layout = tuple[int, "str | None", "list[tuple[int, str | None, Bucket]]"]


class IdleIndex:
    """The idle people of a day, in buckets (one index a run: :meth:`clear` between
    days)."""

    __slots__ = ("_buckets", "count", "_lists", "_rungs", "_made", "_who")

    def __init__(self) -> None:
        #: kind -> role -> team -> the bucket of idle people
        self._buckets: dict[str, dict[str, dict[Any, Bucket]]] = {}
        #: by index, the person with that index today (set as they go idle; a list, read
        #: at a place, not a dict looked up)
        self._who: list[Worker] = []
        self.count = 0  # people idle (read by dispatch instead of calling ``__bool__``)
        #: (role, team, kinds served) -> the buckets such a person sits in while idle
        self._lists: dict[tuple, list[Bucket]] = {}
        #: kind -> route -> (buckets made so far, the route's phone line,
        #: [(rank, team, bucket)] in rank order): the buckets a route looks at, laid out
        #: once, not looked up role by role
        self._rungs: dict[str, dict[Any, Layout]] = {}
        #: (role, team, kinds served) sets laid out so far: a route's layout is redone
        #: when one is added
        self._made = 0

    def clear(self) -> None:
        """Empty every bucket, keeping the buckets and their layouts: a run keeps one
        index, cleared as each day ends, so a day does not lay out its routes again."""
        for roles in self._buckets.values():
            for teams in roles.values():
                for bucket in teams.values():
                    bucket.low = bucket.high = 0
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def _buckets_of(self, w: Worker) -> list[Bucket]:
        """The buckets ``w`` sits in while idle in their current block (one per kind of
        work it serves), looked up once per role, team and block kind, and kept with the
        person until what they serve changes."""
        serving = w.serving
        if w.idle_serving is serving:
            return w.idle_buckets
        key = (w.role, w.team, serving)
        found = self._lists.get(key)
        if found is None:
            found = self._lists[key] = [self._bucket(kind, w.role, w.team) for kind in serving]
            self._made += 1
        w.idle_serving, w.idle_buckets = serving, found
        return found

    def _bucket(self, kind: str, role: str, team: str | None) -> Bucket:
        """The bucket of (``kind``, ``role``, ``team``), made on first use."""
        teams = self._buckets.setdefault(kind, {}).setdefault(role, {})
        found = teams.get(team)
        if found is None:
            found = teams[team] = Bucket()
        return found

    def _layout(self, kind: str, route) -> Layout:
        """The buckets of ``kind`` that ``route``'s roles sit in, lowest rank first (with
        the route's phone line, read here once rather than at every dispatch)."""
        roles = self._buckets.get(kind, {})
        layout: Layout = (self._made, route.line,
                          [(rank, team, bucket) for rank, level in route.levels
                           for role in level for team, bucket in roles.get(role, {}).items()])
        self._rungs.setdefault(kind, {})[route] = layout
        return layout

    def append(self, w: Worker) -> None:
        """``w`` waits idle in their current block (what it serves is ``w.serving``)."""
        index = w.index
        who = self._who
        while len(who) <= index:
            who.append(w)
        who[index] = w
        set_idle(self._buckets_of(w), index)
        self.count += 1

    def remove(self, w: Worker) -> None:
        """``w`` is no longer idle: out of the buckets they were put in."""
        clear_idle(w.idle_buckets, w.index)
        self.count -= 1

    def best(self, kind: str, item: Work) -> Worker | None:
        """The preferred idle person for ``item`` among those whose block takes ``kind``:
        lowest competent level (its route's rank), then own team, then order; skipping
        people who cannot take it here (a phone line they do not answer, remote work)."""
        route, team = item.route, item.team
        routes = self._rungs.get(kind)
        layout = routes.get(route) if routes is not None else None
        if layout is None or layout[0] != self._made:
            layout = self._layout(kind, route)
        line = layout[1]
        found: Worker | None = None
        found_rank, found_other, found_index = 0, False, 0  # what the choice is ordered by
        for rank, worker_team, bucket in layout[2]:
            if bucket.low == 0 and bucket.high == 0:  # Bucket.__bool__, read in place
                continue
            if found is not None and rank > found_rank:
                break
            other = team is not None and worker_team != team
            w: Worker = self._who[bucket.first()]  # the bucket's first, unless a line or
            if w.remote or (line is not None and w.lines is not None  # remote work rules
                            and line not in w.lines):                 # them out
                fit = _first_fit(bucket, self._who, item)
                if fit is None:
                    continue
                w = fit
            if found is None or rank < found_rank or (rank == found_rank and (
                    other < found_other or (other == found_other and w.index < found_index))):
                found, found_rank, found_other, found_index = w, rank, other, w.index
        return found


def _first_fit(bucket: Bucket, who: list[Worker], item: Work) -> Worker | None:
    """The first person of a bucket who may take ``item`` (almost always the first)."""
    route = item.route
    assert route is not None  # routed before it is dispatched
    line = route.line
    for index in bucket.indexes():
        w = who[index]
        if line is not None and w.lines is not None and line not in w.lines:
            continue
        if w.remote and not w.takes_remotely(item):
            continue
        return w
    return None
