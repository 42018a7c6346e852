"""Queues of waiting work that find a person's next item without scanning the queue.

Items wait in buckets by (route, team) in arrival order. A person may take the head of a
bucket whose route includes their role; among those they take their own team's first (or
an item of no team, or any if they have none), then the longest-waiting. That is the same
choice as walking one long queue from its front, but it costs the number of buckets (a few
routes times the teams), not the number of items waiting: a backlog of hundreds of inbox
items carried over from day to day no longer slows every pull.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Final, Iterator

from sim.scenario.schema import WORK_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.contacts import Work

#: A clinic's queues of waiting work, in a fixed order: a plan block names the queues it
#: takes from by their places here, so that taking an item reads a list at a place rather
#: than looking each kind up by name (``late``: patients past their slot, a queue of its own).
QUEUE_KINDS: Final[tuple[str, ...]] = (*WORK_KINDS, "late")
#: The place that stands for a person's own arrived booked patients (not a clinic queue).
BOOKED: Final = -1
#: kind of work -> its place (``booked``: :data:`BOOKED`)
_PLACE_OF: Final[dict[str, int]] = {**{kind: i for i, kind in enumerate(QUEUE_KINDS)},
                                    "booked": BOOKED}
#: The phone's queue, whose items a person takes only on the lines they answer.
CALL_PLACE: Final = _PLACE_OF["call"]


def places_of(kinds: tuple[str, ...]) -> tuple[int, ...]:
    """The places in :data:`QUEUE_KINDS` of the kinds of work ``kinds`` (:data:`BOOKED` for
    ``booked``), in the same order."""
    return tuple(_PLACE_OF[kind] for kind in kinds)


class Bucket:
    """The items of one (route, team) waiting, in arrival order: (arrival number, item)."""

    __slots__ = ("roles", "line", "team", "entries")

    def __init__(self, roles: frozenset, line: str | None, team: str | None) -> None:
        self.roles = roles  # the route's roles: who may take these items
        self.line = line  # the route's phone line (calls only)
        self.team = team
        self.entries: deque[tuple[int, Work]] = deque()


class WorkQueue:
    __slots__ = ("_buckets", "_by_route", "count", "_seq")

    def __init__(self) -> None:
        #: the buckets, in the order they were first needed (the order a pull looks at them)
        self._buckets: list[Bucket] = []
        #: route -> team -> its bucket; a route is found by identity (its hash is its
        #: object's), where a (route id, team) key was a tuple hashed and compared each time
        self._by_route: dict[object, dict[str | None, Bucket]] = {}
        self.count = 0  # items waiting (read by dispatch instead of calling ``__bool__``)
        self._seq = 0

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def _bucket(self, item: Work) -> Bucket:
        """The bucket of ``item``'s route and team (made on first use)."""
        route = item.route
        assert route is not None  # routed before it is queued
        teams = self._by_route.get(route)
        if teams is None:
            teams = self._by_route[route] = {}
        bucket = teams.get(item.team)
        if bucket is None:
            bucket = teams[item.team] = Bucket(route.roles, route.line, item.team)
            self._buckets.append(bucket)
        return bucket

    def append(self, item: Work) -> None:
        self._bucket(item).entries.append((self._seq, item))
        self._seq += 1
        self.count += 1

    def remove(self, item: Work) -> None:
        """Take out one waiting item (a caller who hangs up); rare, so a linear search of
        its bucket is fine."""
        entries = self._bucket(item).entries
        for i, (_seq, queued) in enumerate(entries):
            if queued is item:
                del entries[i]
                self.count -= 1
                return
        raise ValueError("the item is not waiting in this queue")

    def pop_for(self, role: str, team: str | None, lines: frozenset[str] | None = None,
                accept=None) -> Work | None:
        """The item a person of ``role`` and ``team`` takes next (of the phone ``lines`` they
        answer, and that ``accept`` allows, if given), or None. With ``accept`` (a remote
        clinician, rare) a bucket is searched past items it refuses."""
        # the best so far: own team (or none) before another team's, then longest waiting;
        # compared as two numbers, not as a (other team, arrival) tuple made per bucket
        best: Bucket | None = None
        best_other, best_seq, best_index = True, 0, 0
        for bucket in self._buckets:
            entries = bucket.entries
            if not entries or role not in bucket.roles:
                continue
            if lines is not None and bucket.line not in lines:
                continue
            index = 0
            if accept is not None:
                index = next((i for i, (_s, item) in enumerate(entries) if accept(item)), -1)
                if index < 0:
                    continue
            item_team = bucket.team
            other = not (item_team is None or team is None or item_team == team)
            seq: int = entries[index][0]
            if best is None or (other < best_other if other != best_other
                                else seq < best_seq):
                best, best_other, best_seq, best_index = bucket, other, seq, index
        if best is None:
            return None
        self.count -= 1
        entries = best.entries
        if best_index == 0:
            return entries.popleft()[1]
        item = entries[best_index][1]
        del entries[best_index]
        return item

    def popleft(self):
        """The longest-waiting item of any route (for closing time)."""
        first = min((b for b in self._buckets if b.entries), key=lambda b: b.entries[0][0])
        self.count -= 1
        return first.entries.popleft()[1]

    def __iter__(self) -> Iterator:
        """Every waiting item, longest-waiting first."""
        entries = [e for bucket in self._buckets for e in bucket.entries]
        return iter([item for _seq, item in sorted(entries, key=lambda e: e[0])])
