"""The day's event loop and the idle alarm keep SimPy's order of events exactly."""
from __future__ import annotations

import heapq
import random

import simpy

from sim.engine import environment
from sim.engine.environment import (UNTIL_WOKEN, Alarm, DayEnvironment, HeapEntry, heap_add,
                                    heap_take)


def _trace(env_class: type, use_alarm: bool, use_wake: bool = False
           ) -> list[tuple[float, str]]:
    """A sleeper idles three times towards the same end (10), woken early twice by a
    waker; other events land at 10 before, between and after the stretches' timers. It
    waits for an event triggered by hand, or (``use_wake``) yields ``UNTIL_WOKEN`` and is
    woken by its process's ``wake()``."""
    env = env_class()
    log: list[tuple[float, str]] = []
    state: dict = {"wake": None}

    def idle() -> bool:
        return state["wake"] is not None

    def wake_up(why: str) -> None:
        wake, state["wake"] = state["wake"], None
        if use_wake:
            state["why"] = why
            state["process"].wake()
        else:
            wake.succeed(why)

    def ring() -> None:
        log.append((env.now, "rang"))
        wake_up("end")

    alarm = Alarm(env, idle, ring) if use_alarm else None

    def mark(name: str):
        return lambda _e: log.append((env.now, name))

    def sleeper():
        for stretch in range(3):
            wake = state["wake"] = object() if use_wake else env.event()
            if use_alarm:
                alarm.set(env.now + (10 - env.now))
            else:
                def timer(_e, wake=wake):
                    if state["wake"] is wake:
                        ring()
                env.timeout(10 - env.now).callbacks.append(timer)
            env.timeout(10 - env.now).callbacks.append(mark(f"other after stretch {stretch}"))
            why = yield (UNTIL_WOKEN if use_wake else wake)
            if use_wake:
                why = state["why"]
            log.append((env.now, f"sleeper woke: {why}"))
            if why == "end":
                return
            yield env.timeout(1)

    def waker():
        for t in (2, 5):
            yield env.timeout(t - env.now)
            wake_up("work")

    env.timeout(10).callbacks.append(mark("other first"))
    state["process"] = env.process(sleeper())
    env.process(waker())
    env.run()
    return log


def test_day_loop_and_alarm_keep_simpy_order():
    reference = _trace(simpy.Environment, use_alarm=False)
    assert _trace(DayEnvironment, use_alarm=False) == reference
    assert _trace(DayEnvironment, use_alarm=True) == reference
    assert _trace(DayEnvironment, use_alarm=True, use_wake=True) == reference
    assert _trace(DayEnvironment, use_alarm=False, use_wake=True) == reference
    # the alarm rang in the third stretch's place among the events at 10
    at_ten = [name for t, name in reference if t == 10]
    assert at_ten == ["other first", "other after stretch 0", "other after stretch 1", "rang",
                      "other after stretch 2", "sleeper woke: end"]


def test_alarm_keeps_one_event_for_stretches_with_one_end():
    env = DayEnvironment()
    rang = []
    alarm = Alarm(env, lambda: True, lambda: rang.append(env.now))
    for _ in range(5):
        alarm.set(10.0)
    assert len(env._queue) == 1
    env.run()
    assert rang == [10.0]


def test_day_loop_raises_a_failed_event():
    env = DayEnvironment()

    def fails():
        yield env.timeout(1)
        raise ValueError("boom")

    env.process(fails())
    try:
        env.run()
    except ValueError as exc:
        assert str(exc) == "boom"
    else:  # pragma: no cover
        raise AssertionError("the failure was swallowed")


def _timers_trace(cheap: bool) -> list[tuple[float, str]]:
    """Processes sleeping and callbacks due at tied times, one process interrupted in
    its sleep: the order of what happens. Cheap: the engine's timers (processes yield
    the minutes they sleep; ``call_at``); else SimPy's timeouts."""
    env = DayEnvironment()
    log: list[tuple[float, str]] = []

    def sleep(delay: float):
        return delay if cheap else env.timeout(delay)

    def at(t: float, name: str) -> None:
        if cheap:
            env.call_at(t, lambda what: log.append((env.now, what)), name)
        else:
            env.timeout(max(0.0, t - env.now)).callbacks.append(
                lambda _e: log.append((env.now, name)))

    def worker(name: str, gaps: list[float]):
        for gap in gaps:
            try:
                yield sleep(gap)
                log.append((env.now, f"{name} done"))
            except simpy.Interrupt as stop:
                log.append((env.now, f"{name} interrupted by {stop.cause}"))
            at(env.now + 1, f"{name} follow-up")

    def boss(target):
        yield sleep(2.5)
        target.interrupt("a question")

    a = env.process(worker("a", [1, 2, 2]))
    env.process(worker("b", [2, 1, 2]))
    env.process(boss(a))
    at(3, "three")
    at(-1, "past")
    env.run()
    return log


def test_cheap_timers_keep_simpy_order():
    reference = _timers_trace(cheap=False)
    assert _timers_trace(cheap=True) == reference
    assert (2.5, "a interrupted by a question") in reference


def test_an_interrupt_is_simpys_with_its_cause():
    """The interrupt thrown into a process is made without SimPy's ``__init__``: it must
    be the one SimPy throws all the same (type, cause, text, the first one as its cause)."""
    env = DayEnvironment()
    caught: list[BaseException] = []

    def sleeper():
        try:
            yield 5.0
        except simpy.Interrupt as stop:
            caught.append(stop)

    def boss(target):
        yield 1.0
        target.interrupt(("question", 2.0))

    env.process(boss(env.process(sleeper())))
    env.run()
    reference = simpy.Interrupt(("question", 2.0))
    (stop,) = caught
    assert type(stop) is simpy.Interrupt
    assert stop.args == reference.args and stop.cause == ("question", 2.0)
    assert str(stop) == str(reference)
    assert type(stop.__cause__) is simpy.Interrupt and stop.__cause__.args == reference.args


def test_a_negative_sleep_fails_in_the_process_that_asked_for_it():
    env = DayEnvironment()
    seen = []

    def sleeper():
        try:
            yield -1.0
        except ValueError as err:
            seen.append(str(err))
        yield 2  # whole minutes are minutes too
        seen.append(env.now)

    env.process(sleeper())
    env.run()
    assert seen == ["negative delay -1.0", 2.0]


def test_compiled_heap_gives_heapq_order():
    """The heap a compiled engine uses takes events out in the order ``heapq`` takes
    SimPy's tuples, ties in time and priority included."""
    rng = random.Random(3)
    heap: list = []
    tuples: list = []
    taken, expected = [], []
    for eid in range(3000):
        t = float(rng.randint(0, 40))  # many ties in time
        priority = rng.randint(0, 1)
        heap_add(heap, HeapEntry(t, priority, eid, eid))
        heapq.heappush(tuples, (t, priority, eid, eid))
        if rng.random() < 0.4:
            taken.append(heap_take(heap).event)
            expected.append(heapq.heappop(tuples)[3])
    while heap:
        taken.append(heap_take(heap).event)
        expected.append(heapq.heappop(tuples)[3])
    assert taken == expected and not tuples


def test_day_loop_keeps_simpy_order_on_the_compiled_heap(monkeypatch):
    """The loop and timers on the compiled engine's heap, run here interpreted."""
    reference = _trace(simpy.Environment, use_alarm=False)
    monkeypatch.setattr(environment, "NATIVE_HEAP", True)
    assert _trace(DayEnvironment, use_alarm=False) == reference
    assert _trace(DayEnvironment, use_alarm=True) == reference
    assert _trace(DayEnvironment, use_alarm=True, use_wake=True) == reference
    assert _timers_trace(cheap=True) == _timers_trace(cheap=False)
