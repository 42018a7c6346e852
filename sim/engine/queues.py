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
from typing import Iterator


class WorkQueue:
    __slots__ = ("_buckets", "count", "_seq")

    def __init__(self) -> None:
        #: (id of the route, team) -> (route roles, deque of (arrival number, item))
        self._buckets: dict[tuple[int, str | None], tuple[frozenset, deque]] = {}
        self.count = 0  # items waiting (read by dispatch instead of calling ``__bool__``)
        self._seq = 0

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def append(self, item) -> None:
        key = (id(item.route), item.team)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = (item.route.roles, deque())
        bucket[1].append((self._seq, item))
        self._seq += 1
        self.count += 1

    def remove(self, item) -> None:
        """Take out one waiting item (a caller who hangs up); rare, so a linear search of
        its bucket is fine."""
        entries = self._buckets[(id(item.route), item.team)][1]
        for i, (_seq, queued) in enumerate(entries):
            if queued is item:
                del entries[i]
                self.count -= 1
                return
        raise ValueError("the item is not waiting in this queue")

    def pop_for(self, role: str, team: str | None, lines: frozenset[str] | None = None,
                accept=None):
        """The item a person of ``role`` and ``team`` takes next (of the phone ``lines`` they
        answer, and that ``accept`` allows, if given), or None. With ``accept`` (a remote
        clinician, rare) a bucket is searched past items it refuses."""
        # the best so far: own team (or none) before another team's, then longest waiting;
        # compared as two numbers, not as a (other team, arrival) tuple made per bucket
        best_key: tuple[int, str | None] | None = None
        best_other, best_seq, best_index = True, 0, 0
        for key, (roles, entries) in self._buckets.items():
            if not entries or role not in roles:
                continue
            if lines is not None and entries[0][1].route.line not in lines:
                continue
            index = 0
            if accept is not None:
                index = next((i for i, (_s, item) in enumerate(entries) if accept(item)), -1)
                if index < 0:
                    continue
            item_team = key[1]
            other = not (item_team is None or team is None or item_team == team)
            seq: int = entries[index][0]
            if best_key is None or (other < best_other if other != best_other
                                    else seq < best_seq):
                best_key, best_other, best_seq, best_index = key, other, seq, index
        if best_key is None:
            return None
        self.count -= 1
        entries = self._buckets[best_key][1]
        if best_index == 0:
            return entries.popleft()[1]
        item = entries[best_index][1]
        del entries[best_index]
        return item

    def popleft(self):
        """The longest-waiting item of any route (for closing time)."""
        key = min((k for k, (_r, e) in self._buckets.items() if e),
                  key=lambda k: self._buckets[k][1][0][0])
        self.count -= 1
        return self._buckets[key][1].popleft()[1]

    def __iter__(self) -> Iterator:
        """Every waiting item, longest-waiting first."""
        entries = [e for _roles, bucket in self._buckets.values() for e in bucket]
        return iter([item for _seq, item in sorted(entries, key=lambda e: e[0])])
