"""The SimPy environment of a clinic day, with a tighter event loop, cheaper timers and
alarm clocks.

A day is a few thousand events, and each one passes through SimPy's ``run`` -> ``step``.
:class:`DayEnvironment` runs the same loop inline (same order, same failure check); its
timed calls (:meth:`DayEnvironment.call_at`) go into the heap as SimPy's ``Timeout``
does, without its per-timer checks and bookkeeping.

Most of a day's events are a process sleeping for some minutes or waiting idle until
someone hands it work. A process yields the minutes it sleeps (a number), or
:data:`UNTIL_WOKEN` to wait until its :meth:`DayProcess.wake`: each process has one
:class:`Nap`, which the heap holds under the number a timeout would have been given (or a
triggered event, for a wake), and the loop resumes the process itself when it comes due.
No event object, list of callbacks or call through them is made for these, and the order
of events is SimPy's (an interrupt calls a nap off by changing its number).

:class:`Alarm` is the timer an idle person sets for the end of their block. Someone who
goes idle ten times in a block used to leave ten timers in the event heap, nine of them
stale by the time they rang; an alarm keeps one, and takes the place in the order of
events that the timer of the latest idle stretch would have had (SimPy orders events at
the same time by priority, then by the number it gave them when they were scheduled; an
alarm takes that number when the stretch starts, exactly as a new timer would). So the
events that act happen in the same order as with one timer per stretch, and runs are
unchanged to the last digit.

SimPy's events and processes read and write an environment's clock and active process
(``_now``, ``_active_proc``), which its public API does not expose, and schedule
themselves through ``schedule``. :class:`DayEnvironment` keeps those as SimPy does, and
every event goes through its own heap and counter (``_queue``, ``_eid``) in SimPy's order.
The engine's modules read the clock as ``env._now`` too: the clock is read about twice per
event, so a property call there was 3 % of the engine's instructions.
``tests/test_environment.py`` compares the order of events with SimPy's own environment,
loop and timers, so a SimPy release that changed them would fail there first.
"""
from __future__ import annotations

from heapq import heappop, heappush
from functools import partial
from typing import Any, Callable, Final, Generator

import simpy
import simpy.core
import simpy.events

from sim.native import i64

#: SimPy's priorities and its value of an event not yet triggered, as constants of this
#: module: compiled, a name imported from another package is looked up by name at each use
NORMAL: Final = simpy.core.NORMAL
URGENT: Final = simpy.events.URGENT
PENDING: Final = simpy.events.PENDING

#: Whether this module runs compiled (a mypyc extension). The event heap is the engine's
#: busiest structure: about 1,000 pushes and pops a day, each a few comparisons of
#: (time, priority, number). Interpreted, it holds SimPy's tuples for the C ``heapq``,
#: which compares them as Python objects; compiled, it holds :class:`HeapEntry` records that
#: compiled code compares field by field (a sixth of the compiled engine's time went to
#: tuple comparisons). Either way events leave it in the same order, as the key is unique.
NATIVE_HEAP: Final = not __file__.endswith((".py", ".pyc"))


class HeapEntry:
    """One scheduled event in the compiled engine's heap."""

    __slots__ = ("t", "priority", "eid", "event")

    def __init__(self, t: float, priority: i64, eid: i64, event: Any) -> None:
        self.t, self.priority, self.eid, self.event = t, priority, eid, event


def _before(a: HeapEntry, b: HeapEntry) -> bool:
    """SimPy's order: time, then priority, then the number given when scheduled."""
    if a.t != b.t:
        return a.t < b.t
    if a.priority != b.priority:
        return a.priority < b.priority
    return a.eid < b.eid


def heap_add(heap: list[HeapEntry], entry: HeapEntry) -> None:
    """Put ``entry`` in the heap ``heap`` (``heapq.heappush`` for entries, four children a
    node: see :func:`heap_take`)."""
    pos: i64 = len(heap)
    heap.append(entry)
    while pos > 0:
        parent = (pos - 1) >> 2
        above = heap[parent]
        if not _before(entry, above):
            break
        heap[pos] = above
        pos = parent
    heap[pos] = entry


def heap_take(heap: list[HeapEntry]) -> HeapEntry:
    """Take the first entry out of the non-empty heap ``heap`` (``heapq.heappop``). The
    heap has four children a node, not two: half the levels, and a level's cost is in
    moving entries (a comparison is a few instructions). As ``heapq`` does, the hole left
    at the top moves down to a leaf, the least child rising each level, and the last
    entry goes into the hole and rises to its place (it came from the bottom, so it
    seldom rises far). The key is unique, so entries leave in the same order as from
    ``heapq``'s heap."""
    last = heap.pop()
    if not heap:
        return last
    first = heap[0]
    n: i64 = len(heap)
    pos: i64 = 0
    child: i64 = 1
    while child < n:
        least = child
        entry = heap[child]
        end = min(child + 4, n)
        c = child + 1
        while c < end:
            other = heap[c]
            if _before(other, entry):
                least, entry = c, other
            c += 1
        heap[pos] = entry
        pos = least
        child = 4 * pos + 1
    while pos > 0:
        parent = (pos - 1) >> 2
        above = heap[parent]
        if not _before(last, above):
            break
        heap[pos] = above
        pos = parent
    heap[pos] = last
    return first


def interrupt_of(cause: Any) -> simpy.Interrupt:
    """SimPy's ``Interrupt(cause)``, made without running its ``__init__``: that is
    interpreted Python (``super().__init__(cause)``), and an interrupt made two of them,
    this one and the copy thrown into the generator. ``BaseException.__new__`` keeps the
    same ``args``, which is all an ``Interrupt`` holds; read its cause as ``args[0]``
    (``Interrupt.cause`` is an interpreted property too)."""
    return simpy.Interrupt.__new__(simpy.Interrupt, cause)


class Due:
    """A timer that has already been triggered, as SimPy's ``Timeout`` is: a process may
    yield it, and callbacks run when it comes due. Only what SimPy's loop and processes
    read of an event is kept (``Timeout`` also checks and keeps its delay and value)."""

    __slots__ = ("callbacks",)
    _ok = True
    _value = None

    def __init__(self) -> None:
        self.callbacks: Any = []  # a list; None once it has rung, as SimPy sets it


class Nap:
    """A process's sleep: what a process yields a number of minutes for. Each process has
    one, reused for every sleep, and the heap holds it under the number the sleep was given;
    it rings only if that number is still its own (an interrupt calls a sleep off by
    changing it). A sleep is most of a day's events, and so it costs no timer object, no
    list of callbacks and no call through the event's callbacks."""

    __slots__ = ("process", "eid")

    def __init__(self, process: DayProcess) -> None:
        self.process: Any = process  # None once it has ended
        self.eid: i64 = -1  # the number of the sleep under way, -1 when none is


class Call:
    """A call due at a time (:meth:`DayEnvironment.call_at`): ``callback(*args)``.
    Callers' patience and the day's timed moments are a fifth of a day's events: no timer
    with a list of callbacks, and no closure made for each."""

    __slots__ = ("callback", "args")

    def __init__(self, callback: Callable[..., Any], args: tuple) -> None:
        self.callback, self.args = callback, args


class _UntilWoken:
    """What a process yields to wait until someone calls its ``wake()``."""

    __slots__ = ()


#: Yielded by a process to wait, with nothing in the event heap, until its ``wake()``.
UNTIL_WOKEN: Final = _UntilWoken()


class DayEnvironment:
    """A SimPy environment of one day: what SimPy's events and processes use of
    ``simpy.Environment`` (the clock, the event heap and its counter, the active process,
    ``schedule``, ``process``, ``event``, ``timeout``), with ``run()`` (to the end of the
    schedule) as one loop and cheaper timers: :meth:`sleep` and :meth:`call_at`.

    It is a class of its own rather than a subclass of ``simpy.Environment`` so that a
    compiled engine keeps the clock and the heap in fixed fields: the engine reads the
    clock about twice per event, and a subclass of a plain-Python class keeps its fields in
    a dict, looked up by name at every read."""

    def __init__(self, initial_time: float = 0.0) -> None:
        self._now: float = initial_time
        #: the scheduled events: SimPy's (time, priority, number, event) tuples, or
        #: :class:`HeapEntry` records where compiled (``NATIVE_HEAP``)
        self._queue: list[Any] = []
        #: compiled (``NATIVE_HEAP``): the events scheduled for now at normal priority, in
        #: the order they were scheduled (see :meth:`run`), and the next of them to take
        self._soon: list[HeapEntry] = []
        self._soon_next = 0
        #: compiled: entries the loop has taken, for the next events to reuse (an event's
        #: entry made new cost an allocation and a deallocation, 3 % of a run)
        self._spare: list[HeapEntry] = []
        #: compiled: calls set in time order as the day starts (:meth:`call_in_order`),
        #: and the next of them to take
        self._timetable: list[HeapEntry] = []
        self._timetable_next = 0
        self._eid: i64 = 0  # the number the next scheduled event gets
        self._active_proc: Any = None

    @property
    def now(self) -> float:
        """The current simulation time."""
        return self._now

    @property
    def active_process(self) -> Any:
        """The process running now, if any (SimPy's interrupts read it)."""
        return self._active_proc

    def push(self, t: float, priority: i64, eid: i64, event: Any) -> None:
        """Put ``event`` in the heap at ``t``, ordered by ``priority`` then ``eid``."""
        if NATIVE_HEAP:
            heap_add(self._queue, self._entry(t, priority, eid, event))
        else:
            heappush(self._queue, (t, priority, eid, event))

    def _entry(self, t: float, priority: i64, eid: i64, event: Any) -> HeapEntry:
        """A heap entry for ``event``: one the loop is done with, where there is one."""
        spare = self._spare
        if spare:
            entry = spare.pop()
            entry.t, entry.priority, entry.eid, entry.event = t, priority, eid, event
            return entry
        return HeapEntry(t, priority, eid, event)

    def schedule(self, event: Any, priority: i64 = NORMAL, delay: float = 0) -> i64:
        """Schedule ``event`` ``delay`` minutes from now, as SimPy's environment does;
        returns the number it is ordered by among events due at the same time."""
        eid = self._eid  # ``ticket()`` and ``push()`` inline: a few hundred times a day
        self._eid = eid + 1
        if NATIVE_HEAP:
            if delay == 0 and priority == NORMAL:
                self._soon.append(self._entry(self._now, priority, eid, event))
            else:
                heap_add(self._queue, self._entry(self._now + delay, priority, eid, event))
        else:
            heappush(self._queue, (self._now + delay, priority, eid, event))
        return eid

    def process(self, generator: Generator[Any, Any, Any]) -> DayProcess:
        """A process running ``generator`` in this environment."""
        return DayProcess(self, generator)

    def event(self) -> Signal:
        """An event of this environment, to be triggered by hand."""
        return Signal(self)

    def timeout(self, delay: float = 0, value: Any = None) -> simpy.Timeout:
        """SimPy's own timer (the engine's processes yield the minutes they sleep)."""
        return simpy.Timeout(self, delay, value)  # type: ignore[arg-type]

    def call_at(self, t: float, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(*args)`` at ``t`` (now, if ``t`` has passed), in the order a
        timeout set now would ring."""
        self.schedule(Call(callback, args), NORMAL, max(0.0, t - self._now))

    def call_in_order(self, t: float, callback: Callable[..., Any], *args: Any) -> None:
        """:meth:`call_at`, for calls set one after another in time order (today's booked
        patients as the day starts): compiled, they wait in a list of their own rather
        than in the heap, which they were half of (the loop takes the earliest of the
        list's next and the heap's first, so the order is the heap's to the event). A call
        earlier than the last one still waiting in the list goes to the heap, so the list
        stays in order whenever this is called."""
        delay = max(0.0, t - self._now)
        table = self._timetable
        if not NATIVE_HEAP or (self._timetable_next < len(table)
                               and self._now + delay < table[-1].t):
            self.schedule(Call(callback, args), NORMAL, delay)
            return
        eid = self._eid
        self._eid = eid + 1
        table.append(self._entry(self._now + delay, NORMAL, eid, Call(callback, args)))

    def run(self) -> None:
        """Process every scheduled event, as ``simpy.Environment.run()`` does without
        ``until``, with its ``step`` inlined."""
        queue, soon, spare, table = self._queue, self._soon, self._spare, self._timetable
        event: Any
        entry: HeapEntry
        while True:
            if NATIVE_HEAP:
                # A quarter of the events are scheduled for now (a person woken with work,
                # a call due now): they wait in ``soon``, in order, rather than climbing to
                # the top of the heap and down again. All of them are due now at normal
                # priority and numbered in turn, so ``soon`` is sorted as the heap would
                # sort them; so is the timetable (:meth:`call_in_order`). The earliest of
                # their next and the heap's first is the next event: the order is the
                # heap's alone, to the event.
                taken = self._soon_next
                listed = self._timetable_next
                found: i64 = 0  # where the next event is: 1 soon, 2 the timetable, 0 none
                if taken < len(soon):
                    entry = soon[taken]
                    found = 1
                if listed < len(table) and (found == 0 or _before(table[listed], entry)):
                    entry = table[listed]
                    found = 2
                if queue and (found == 0 or _before(queue[0], entry)):
                    entry = heap_take(queue)
                elif found == 0:
                    break
                elif found == 2:
                    self._timetable_next = listed + 1
                elif taken + 1 == len(soon):
                    soon.clear()
                    self._soon_next = 0
                else:
                    self._soon_next = taken + 1
                self._now, eid, event = entry.t, entry.eid, entry.event
                spare.append(entry)  # read: free for the next event (``soon`` does
                # not read its entries before ``_soon_next`` again)
            else:
                if not queue:
                    break
                self._now, _, eid, event = heappop(queue)
            if type(event) is Nap:  # the commonest: a process's sleep comes to its end
                nap: Nap = event
                if nap.eid == eid:  # not called off by an interrupt meanwhile
                    # ``nap.process._resume(None)`` inline, and its commonest outcome (the
                    # process sleeps again) too: a call less for most of the day's events
                    proc: DayProcess = nap.process
                    self._active_proc = proc
                    try:
                        then = proc._send(None)
                    except BaseException as failure:  # StopIteration: it has ended
                        proc._ended(failure)
                    else:
                        if type(then) is float and then >= 0.0:
                            eid = self._eid
                            self._eid = eid + 1
                            nap.eid = eid
                            if NATIVE_HEAP:
                                if then == 0.0:
                                    soon.append(self._entry(self._now, NORMAL, eid, nap))
                                else:
                                    heap_add(queue, self._entry(self._now + then, NORMAL,
                                                                eid, nap))
                            else:
                                heappush(queue, (self._now + then, NORMAL, eid, nap))
                        elif then is UNTIL_WOKEN:
                            nap.eid = -1  # nothing rings until ``wake()``
                        else:
                            again = proc._wait_for(then)
                            if again is not None:
                                proc._resume(again)
                    self._active_proc = None
                continue
            if type(event) is Call:
                call: Call = event  # typed, and its callback read as a field (compiled,
                callback = call.callback  # ``call.callback(...)`` looked it up by name)
                callback(*call.args)
                continue
            if isinstance(event, Due):  # most other events: typed, and never failed
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                continue
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc

    def ticket(self) -> i64:
        """The number SimPy would give an event scheduled now (used up, as scheduling
        would)."""
        eid = self._eid
        self._eid = eid + 1
        return eid

    def release(self) -> None:
        """Drop the day's events and the active process (reference cycles through them)."""
        self._queue = []
        self._soon = []
        self._soon_next = 0
        self._spare = []
        self._timetable = []
        self._timetable_next = 0
        self._active_proc = None


class Signal:
    """SimPy's ``Event`` as the engine uses it, compiled with the engine: a process waits
    for it until someone calls :meth:`succeed` (a person woken with work, an answer to a
    question); about 250 a day of case 3."""

    __slots__ = ("env", "callbacks", "_value")
    _ok = True

    def __init__(self, env: DayEnvironment) -> None:
        self.env = env
        self.callbacks: Any = []  # a list; None once it has fired, as SimPy sets it
        self._value: Any = PENDING

    @property
    def triggered(self) -> bool:
        """True once :meth:`succeed` has been called."""
        return self._value is not PENDING

    def succeed(self, value: Any = None) -> Signal:
        """Fire now with ``value``, for whoever waits for it."""
        if self._value is not PENDING:
            raise RuntimeError(f"{self} has already been triggered")
        self._value = value
        self.env.schedule(self)
        return self


class Thrown:
    """A failed event that resumes a process by throwing ``failure`` into it (an
    interrupt, or the error of a negative sleep)."""

    __slots__ = ("_value", "_defused")
    _ok = False

    def __init__(self, failure: BaseException) -> None:
        self._value = failure
        self._defused = True


class DayProcess:
    """SimPy's ``Process`` for the day's generators, compiled with the engine: the step
    that resumes a generator with the event it waited for is the engine's most frequent
    (about 1,300 a day of case 3). Same behaviour: started by an urgent event, resumed by
    its target event's callback, interruptible with SimPy's ``Interrupt``, an event itself
    that fires when the generator ends (failing with its exception if it raised)."""

    def __init__(self, env: DayEnvironment, generator: Generator[Any, Any, Any]) -> None:
        self.env = env
        self.callbacks: Any = []  # a list; None once it has fired, as SimPy sets it
        self._generator = generator
        #: the generator's bound ``send``, looked up once rather than at every resumption
        self._send: Callable[[Any], Any] = generator.send
        self._ok = True
        self._value: Any = PENDING
        #: the bound ``_resume``, made once: every wait appends it to an event's callbacks
        #: (a reference cycle through this process, broken when the generator ends)
        self._resumer: Any = self._resume
        self._nap = Nap(self)
        start = Due()  # SimPy's ``Initialize``: urgent, so it comes before interrupts
        start.callbacks.append(self._resumer)
        env.push(env._now, URGENT, env.ticket(), start)
        self._target: Any = start

    def interrupt(self, cause: Any = None) -> None:
        """Throw SimPy's ``Interrupt(cause)`` into the generator, urgently, as SimPy's
        ``Interruption`` does (same checks, same place in the order of events)."""
        if self._value is not PENDING:
            raise RuntimeError(f"{self} has terminated and cannot be interrupted.")
        if self is self.env._active_proc:
            raise RuntimeError("A process is not allowed to interrupt itself.")
        env = self.env
        due = Due()
        due.callbacks.append(partial(self._interrupted, Thrown(interrupt_of(cause))))
        env.push(env._now, URGENT, env.ticket(), due)

    def _interrupted(self, thrown: Thrown, _due: Due) -> None:
        """Call off what the process waits for and throw the interrupt into it (unless it
        has ended meanwhile)."""
        if self._value is not PENDING:
            return
        target = self._target
        if target is self._nap:
            target.eid = -1  # its sleep will not ring
        else:
            target.callbacks.remove(self._resumer)
        self._resume(thrown)

    def _resume(self, event: Any) -> None:
        """Send ``event``'s value into the generator (or throw its exception), until it
        yields an event still to come or a number of minutes to sleep, as
        ``simpy.Process._resume`` does for events. (The end of a sleep resumes the
        process in the day's loop.)"""
        env = self.env
        env._active_proc = self
        generator, send = self._generator, self._send
        while True:
            try:
                if isinstance(event, Due):  # the commonest: no value
                    event = send(None)
                elif isinstance(event, Signal):  # typed: read without a name lookup
                    event = send(event._value)
                elif event._ok:
                    event = send(event._value)
                else:
                    event._defused = True  # the process handles it (or fails with it)
                    failure = event._value
                    kind = type(failure)
                    exc = (interrupt_of(*failure.args) if kind is simpy.Interrupt
                           else kind(*failure.args))
                    exc.__cause__ = failure
                    event = generator.throw(exc)
            except BaseException as failure:  # StopIteration: it has ended
                self._ended(failure)
                break
            event = self._wait_for(event)
            if event is None:
                break
        env._active_proc = None

    def _wait_for(self, then: Any) -> Any:
        """Wait for what the generator yielded: a number of minutes to sleep (ordered as
        ``env.timeout(minutes)`` would be) or an event still to come. Returns None, or
        what to resume the generator with at once (an event that has happened already, or
        the error of a negative sleep)."""
        if isinstance(then, (float, int)):
            if then < 0:
                return Thrown(ValueError(f"negative delay {then}"))
            self._nap_after(then)
            self._target = self._nap
            return None
        if then is UNTIL_WOKEN:
            self._nap.eid = -1  # nothing rings until ``wake()``
            self._target = self._nap
            return None
        callbacks = then.callbacks
        if callbacks is None:
            return then  # it has happened: go on at once
        callbacks.append(self._resumer)
        self._target = then
        return None

    def wake(self) -> None:
        """Resume the process, waiting since it yielded ``UNTIL_WOKEN``, as an event
        triggered now would (``env.event()``, then ``succeed()``), with nothing sent in.
        A person woken with work reads it from their own fields: a waiting person is
        woken hundreds of times a day, and this saves the event and its callbacks."""
        self._nap_after(0.0)

    def _nap_after(self, delay: float) -> None:
        """Put the process's nap in the heap ``delay`` minutes from now, under the number
        a timeout or an event scheduled now would get. (The day's loop does the same
        inline for a process that sleeps again, the commonest case.)"""
        self._nap.eid = self.env.schedule(self._nap, NORMAL, delay)

    def _ended(self, failure: BaseException) -> None:
        """The generator has returned (``StopIteration``) or raised ``failure``: the
        process fires as an event with its value or its failure."""
        self._target = self._resumer = self._nap.process = None  # no target; no cycles
        if isinstance(failure, StopIteration):
            self._ok, self._value = True, failure.args[0] if failure.args else None
        else:
            self._ok, self._value = False, failure
        self.env.schedule(self)


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
        env = self.env
        ticket = env._eid  # ``env.ticket()`` inline: at every idle stretch
        env._eid = ticket + 1
        self._ticket = ticket
        if self._event is not None and self._at == at:
            return  # the pending event moves to this stretch's place when it rings
        self._at = at
        self._push(ticket)

    def _push(self, key: int) -> None:
        event = Due()
        event.callbacks.append(self._ring)
        self._event, self._key = event, key
        self.env.push(self._at, NORMAL, key, event)

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
