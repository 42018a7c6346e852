"""The SimPy environment of a clinic day, with a tighter event loop, cheaper timers and
alarm clocks.

A day is a few thousand events, and each one passes through SimPy's ``run`` -> ``step``.
:class:`DayEnvironment` runs the same loop inline (same order, same failure check); its
timers (:meth:`DayEnvironment.sleep`, :meth:`DayEnvironment.call_at`) go into the heap
as SimPy's ``Timeout`` does, without its per-timer checks and bookkeeping.

:class:`Alarm` is the timer an idle person sets for the end of their block. Someone who
goes idle ten times in a block used to leave ten timers in the event heap, nine of them
stale by the time they rang; an alarm keeps one, and takes the place in the order of
events that the timer of the latest idle stretch would have had (SimPy orders events at
the same time by priority, then by the number it gave them when they were scheduled; an
alarm takes that number when the stretch starts, exactly as a new timer would). So the
events that act happen in the same order as with one timer per stretch, and runs are
unchanged to the last digit.

All of this reads SimPy's event heap and counters (``_queue``, ``_eid``, ``_now``), which
its public API does not expose. The engine's modules read the clock as ``env._now`` too:
it is what SimPy's ``now`` property returns, and the clock is read about twice per event,
so the property call was 3 % of the engine's instructions. ``tests/test_environment.py``
compares the order of events with SimPy's own loop and timers, so a SimPy release that
changed them would fail there first.
"""
from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Callable

import simpy
from simpy.core import NORMAL

#: ``heappush`` for SimPy's heap, whose entries type-checkers take to hold SimPy events
#: only: a :class:`Due` stands in for one.
_heap_push: Callable[[Any, Any], None] = heappush


class Due:
    """A timer that has already been triggered, as SimPy's ``Timeout`` is: a process may
    yield it, and callbacks run when it comes due. Only what SimPy's loop and processes
    read of an event is kept (``Timeout`` also checks and keeps its delay and value)."""

    __slots__ = ("callbacks",)
    _ok = True
    _value = None

    def __init__(self) -> None:
        self.callbacks: Any = []  # a list; None once it has rung, as SimPy sets it


class DayEnvironment(simpy.Environment):
    """A SimPy environment whose ``run()`` (to the end of the schedule) is one loop, with
    cheaper timers: :meth:`sleep` and :meth:`call_at`."""

    def sleep(self, delay: float) -> Due:
        """A timer ``delay`` minutes from now, ordered as ``timeout(delay)`` would be."""
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        due = Due()
        _heap_push(self._queue, (self._now + delay, NORMAL, next(self._eid), due))
        return due

    def call_at(self, t: float, callback: Callable) -> None:
        """Call ``callback(event)`` at ``t`` (now, if ``t`` has passed)."""
        now = self._now
        due = Due()
        due.callbacks.append(callback)
        _heap_push(self._queue, (now + max(0.0, t - now), NORMAL, next(self._eid), due))

    def run(self, until=None):
        """Process every scheduled event, as ``simpy.Environment.run()`` does without
        ``until``, with ``step`` inlined; with ``until``, SimPy's own loop."""
        if until is not None:
            return super().run(until)
        queue = self._queue
        while queue:
            self._now, _, _, event = heappop(queue)
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
        return None

    def ticket(self) -> int:
        """The number SimPy would give an event scheduled now (used up, as scheduling
        would)."""
        return next(self._eid)


class Alarm:
    """One person's alarm clock for the end of an idle stretch.

    ``set(at)`` is called at the start of every idle stretch; ``then()`` is called at ``at``
    if the stretch is still going on (``waiting()`` says whether it is). Whatever the number
    of stretches ending at the same ``at``, one event waits in the heap."""

    __slots__ = ("env", "waiting", "_event", "_at", "_ticket", "_key", "_then")

    def __init__(self, env: DayEnvironment, waiting: Callable[[], bool],
                 then: Callable[[], None]):
        self.env = env
        self.waiting, self._then = waiting, then
        self._event: Due | None = None  # the pending event, if any
        self._at = 0.0
        self._ticket = -1  # the current stretch's place among events at ``_at``
        self._key = -1  # the place the pending event holds in the heap

    def set(self, at: float) -> None:
        """A new idle stretch that ends at ``at``: the time a timer set now would ring at
        (``now + (end - now)``, which floating point need not round to ``end``)."""
        ticket = self.env.ticket()
        self._ticket = ticket
        if self._event is not None and self._at == at:
            return  # the pending event moves to this stretch's place when it rings
        self._at = at
        self._push(ticket)

    def _push(self, key: int) -> None:
        event = Due()
        event.callbacks.append(self._ring)
        self._event, self._key = event, key
        _heap_push(self.env._queue, (self._at, NORMAL, key, event))

    def _ring(self, event: Due) -> None:
        if event is not self._event:
            return  # left behind when a stretch with another end time began
        self._event = None
        if not self.waiting():
            return
        if self._ticket == self._key:
            self._then()
        else:  # a later stretch with the same end: ring in its place
            self._push(self._ticket)
