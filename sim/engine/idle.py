"""Who is idle, indexed so that the best idle person for new work is found without
scanning everyone.

Idle people sit in sorted buckets by (kind of work their block takes, role, team), ordered
by their index; a bucket holds the indexes alone (plain integers compare in a fraction of
the time a tuple does, and a bucket's insertions and removals are mostly comparisons). The
best person for an item is the one with the lowest rank of its route, then of the item's
own team (when it has one), then the lowest index: the same choice as scanning every idle
person with that key, at the cost of a few bucket lookups, so dispatch does not slow down
as a practice grows from 9 to 120 people.
"""
from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.staff import Worker


class IdleIndex:
    """The idle people of a day, in buckets (one index a run: :meth:`clear` between
    days)."""

    __slots__ = ("_buckets", "count", "_lists", "_rungs", "_made", "_who")

    def __init__(self) -> None:
        #: kind -> role -> team -> sorted [index of an idle person]
        self._buckets: dict[str, dict[str, dict]] = {}
        #: index -> the person with that index today (set as they go idle)
        self._who: dict[int, Worker] = {}
        self.count = 0  # people idle (read by dispatch instead of calling ``__bool__``)
        #: (role, team, kinds served) -> the buckets such a person sits in while idle
        self._lists: dict[tuple, list[list]] = {}
        #: kind -> route -> (buckets made so far, [(rank, team, bucket)] in rank order):
        #: the buckets a route looks at, laid out once, not looked up role by role
        self._rungs: dict[str, dict] = {}
        self._made = 0  # bucket lists made so far: a route's layout is redone when it grows

    def clear(self) -> None:
        """Empty every bucket, keeping the buckets and their layouts: a run keeps one
        index, cleared as each day ends, so a day does not lay out its routes again."""
        for roles in self._buckets.values():
            for teams in roles.values():
                for bucket in teams.values():
                    bucket.clear()
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def _buckets_of(self, w: Worker) -> list[list]:
        """The buckets ``w`` sits in while idle in their current block (one per kind of
        work it serves), looked up once per role, team and block kind, and kept with the
        person until what they serve changes."""
        serving = w.serving
        if w.idle_serving is serving:
            return w.idle_buckets
        key = (w.role, w.team, serving)
        found = self._lists.get(key)
        if found is None:
            found = self._lists[key] = [
                self._buckets.setdefault(kind, {}).setdefault(w.role, {}).setdefault(w.team, [])
                for kind in serving]
            self._made += 1
        w.idle_serving, w.idle_buckets = serving, found
        return found

    def _layout(self, kind: str, route) -> tuple[int, list[tuple[int, str | None, list]]]:
        """The buckets of ``kind`` that ``route``'s roles sit in, lowest rank first."""
        roles = self._buckets.get(kind, {})
        layout = (self._made, [(rank, team, bucket) for rank, level in route.levels
                               for role in level for team, bucket in roles.get(role, {}).items()])
        self._rungs.setdefault(kind, {})[route] = layout
        return layout

    def append(self, w: Worker) -> None:
        """``w`` waits idle in their current block (what it serves is ``w.serving``)."""
        index = w.index
        self._who[index] = w
        for bucket in self._buckets_of(w):
            bisect.insort(bucket, index)
        self.count += 1

    def remove(self, w: Worker) -> None:
        """``w`` is no longer idle: out of the buckets they were put in."""
        index = w.index
        for bucket in w.idle_buckets:
            del bucket[bisect.bisect_left(bucket, index)]
        self.count -= 1

    def best(self, kind: str, item) -> Worker | None:
        """The preferred idle person for ``item`` among those whose block takes ``kind``:
        lowest competent level (its route's rank), then own team, then order; skipping
        people who cannot take it here (a phone line they do not answer, remote work)."""
        route, team = item.route, item.team
        layout = self._rungs.get(kind, {}).get(route)
        if layout is None or layout[0] != self._made:
            layout = self._layout(kind, route)
        line = route.line
        found, found_key = None, None
        for rank, worker_team, bucket in layout[1]:
            if not bucket:
                continue
            if found is not None and rank > found_key[0]:  # type: ignore[index]
                break
            other = team is not None and worker_team != team
            w: Worker = self._who[bucket[0]]  # the bucket's first, unless a line or
            if w.remote or (line is not None and w.lines is not None  # remote work rules
                            and line not in w.lines):                 # them out
                fit = _first_fit(bucket, self._who, item)
                if fit is None:
                    continue
                w = fit
            key = (rank, other, w.index)
            if found_key is None or key < found_key:
                found, found_key = w, key
        return found


def _first_fit(bucket: list[int], who: dict[int, Worker], item) -> Worker | None:
    """The first person of a bucket who may take ``item`` (almost always the first)."""
    line = item.route.line
    for index in bucket:
        w = who[index]
        if line is not None and w.lines is not None and line not in w.lines:
            continue
        if w.remote and not w.takes_remotely(item):
            continue
        return w
    return None
