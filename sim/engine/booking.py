"""Bookable slots: planned consultations at the start of the day, acute slots during it.

Slots come from the blocks of the day plan whose kind has ``slots: planned`` or
``slots: acute``: a block of length L with slot length s gives floor(L / s) slots. A slot
no one books is not lost: the person in that block takes other waiting work (squeeze-ins,
walk-ins, inbox), which is how practices release unused acute time.
"""
from __future__ import annotations

import bisect
import math
from typing import Iterable

EPS = 1e-9


FreeSlots = dict[tuple[str, str], list[tuple[float, int]]]


def free_slots(people: Iterable) -> FreeSlots:
    """Every slot of the day by (slot kind, role): a sorted list of (start time, person
    index). The same every day, so it is built once per scenario and copied per day."""
    free: FreeSlots = {}
    for index, person in enumerate(people):
        for block in person.plan:
            if block.slots == "none":
                continue
            n = math.floor((block.end - block.start) / block.slot_min + EPS)
            slots = free.setdefault((block.slots, person.role), [])
            for i in range(n):
                slots.append((block.start + i * block.slot_min, index))
    for slots in free.values():
        slots.sort()
    return free


class SlotBook:
    """The day's free slots by kind and role, each a sorted list of (start time, worker
    index); booking a slot removes it."""

    def __init__(self, free: FreeSlots) -> None:
        self._free = {key: list(slots) for key, slots in free.items()}

    def take(self, kind: str, route_roles: list[str], earliest: float,
             prefer: str) -> tuple[float, int] | None:
        """Book the first free slot at or after ``earliest``.

        ``prefer="lowest_level"`` tries the route's roles in order (a nurse slot at 14:00
        before a GP slot at 09:00); ``"earliest"`` takes the earliest slot of any of them.
        """
        best: tuple[float, int] | None = None
        best_key: tuple[str, str] | None = None
        best_pos = -1
        for role in route_roles:
            slots = self._free.get((kind, role))
            if not slots:
                continue
            pos = bisect.bisect_left(slots, (earliest - EPS, -1))
            if pos >= len(slots):
                continue
            if best is None or slots[pos] < best:
                best, best_key, best_pos = slots[pos], (kind, role), pos
            if prefer == "lowest_level":
                break
        if best is None or best_key is None:
            return None
        del self._free[best_key][best_pos]
        return best
