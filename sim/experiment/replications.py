"""Replications of one scenario: independent runs of weeks with common random numbers.

Replication r of seed s always draws from the same streams, so results do not depend on
how many replications run, in what order, or on how many workers. Every caller runs days
through the one loop :func:`sim.engine.simulate_run` and turns them into metrics with
:class:`sim.metrics.RunMetrics`; this module keeps, per run, the tidy rows and (when
asked) the day-by-day tables behind the plots and reports.
"""
from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import sys
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from sim.arguments import confidence, flag, whole_number
from sim.engine import CompiledScenario, RunCalendar, collector_paused, simulate_run
from sim.engine.records import DayRecords
from sim.experiment.errors import WorkerLost
from sim.limits import MAX_WEEKS
from sim.progress import tick
from sim.rng import check_seed
from sim.metrics import (KEYS, RunMetrics, StaffTime, bookings_table, contacts_table,
                         day_row, events_table, summarise)
from sim.scenario.schema import Scenario

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

METRIC_COLUMNS = ["replication", *KEYS, "value", "weight"]
STAFF_COLUMNS = ["replication", "staff_id", "group", "role", "team", "activity",
                 "minutes_per_day", "days_present"]
DAY_STAFF_COLUMNS = ["replication", "day", "staff_id", "group", "role", "team", "start", "end",
                     "left", "overtime_min"]


def run_calendar(scenario: Scenario, weeks: int | None = None,
                 warmup_weeks: int | None = None) -> RunCalendar:
    """The calendar of a run: the scenario's weeks and warm-up unless overridden (at
    least one measured week, no negative warm-up, at most ``MAX_WEEKS`` of each)."""
    for name, value, least in (("weeks", weeks, 1), ("warmup_weeks", warmup_weeks, 0)):
        if value is not None:
            whole_number(name, value, least, " (or None for the scenario's own)")
            if value > MAX_WEEKS:
                raise ValueError(f"{name} must be at most {MAX_WEEKS} (ten years), not "
                                 f"{value!r}")
    return RunCalendar(scenario.calendar, weeks=weeks, warmup_weeks=warmup_weeks)


@dataclass
class RunOutput:
    """What one run leaves: its metric rows, per-person time, and day tables if asked. The
    metric rows are :meth:`RunMetrics.rows`'s, without the replication (``replication``
    says it once): a tidy table puts it in front (``METRIC_COLUMNS``), a summary takes
    them as they are (``SummaryStream.add_rows``)."""

    replication: int
    rows: list[tuple]
    staff: list[tuple]
    days: list[dict] = field(default_factory=list)
    tables: dict[str, list[pd.DataFrame]] = field(default_factory=dict)


def run_one(model: CompiledScenario, seed: int, replication: int, calendar: RunCalendar,
            event_log: bool = False, keep_days: bool = True) -> RunOutput:
    """One run: its metric rows, each person's time, and (if asked) its day tables."""
    metrics = RunMetrics(model, calendar.weekdays)
    staff = StaffTime()
    days: list[dict] = []
    tables: dict[str, list[pd.DataFrame]] = {}
    # the day rows read every day's detail; the metrics only the measured days'
    for records in simulate_run(model, seed, replication, calendar, event_log,
                                warmup_detail=keep_days):
        metrics.add(records)
        staff.add(records)
        if keep_days:
            days.append(day_row(records))
        if event_log and records.day.measured:
            _keep_tables(tables, records, replication)
        # freed before the next day runs, not after it (the loop's name held them while it
        # ran): its objects then reuse this day's memory rather than take fresh memory, about
        # 5 % of a day's time at 80,000 patients ([4] of the benchmark)
        del records
    return RunOutput(replication, metrics.rows(), staff.rows(replication), days, tables)


def _keep_tables(tables: dict[str, list[pd.DataFrame]], records: DayRecords,
                 replication: int) -> None:
    import pandas as pd

    day = records.day.index
    timeline = pd.DataFrame(records.timeline, columns=["staff_id", "activity", "start", "end"])
    day_staff = pd.DataFrame([(s[0], s[1], s[2], s[3], s[4], s[5], s[6], max(0.0, s[6] - s[5]))
                              for s in records.staff], columns=DAY_STAFF_COLUMNS[2:])
    for name, table in (("events", events_table(records)), ("timeline", timeline),
                        ("contacts", contacts_table(records)),
                        ("bookings", bookings_table(records)), ("day_staff", day_staff)):
        table.insert(0, "day", day)
        table.insert(0, "replication", replication)
        tables.setdefault(name, []).append(table)


def iter_runs(scenario: Scenario | CompiledScenario, replications: range, seed: int,
              calendar: RunCalendar, event_log: bool = False, keep_days: bool = True,
              jobs: int = 1, while_waiting: Callable[[], None] | None = None,
              runs_after: int = 0) -> Iterator[RunOutput]:
    """The runs of ``replications``, in order, on ``jobs`` processes: this one and
    ``jobs - 1`` workers. ``while_waiting`` is called once, as soon as the workers have
    runs to do: work the caller would do after the runs anyway (importing what its
    tables need) is then shared out, the workers taking more runs meanwhile. Workers take
    runs from the first where the runs surely pay for a forked one (:func:`least_seconds`);
    otherwise the first run is timed here to tell.

    ``runs_after``: runs of models like this one the caller will ask for after these, as
    far as it can tell (a capacity search's next list sizes, a comparison's next
    designs). The workers, once started, are kept for them, so they count when weighing
    whether workers pay: a search of many small batches, each too small alone, kept
    every run in this process on ``-j 2``."""
    model = scenario if isinstance(scenario, CompiledScenario) else CompiledScenario(scenario)
    runs_after = whole_number("runs_after", runs_after, 0)
    if jobs == 1 or len(replications) < 2:
        yield from _run_here(model, seed, replications, calendar, event_log, keep_days)
        return
    if jobs - 1 in _POOL and _LAST_RUN_S:  # workers already started (a capacity search's
        # next round): share from the first run, batched by the last run's time
        yield from _run_shared(model, seed, replications, calendar, event_log, keep_days,
                               jobs, while_waiting)
        return
    least_run = least_seconds(model, calendar, 1)
    if forks_safely() and least_run * (len(replications) - 1 + runs_after) >= \
            FORKED_POOL_START_S:
        # workers surely pay: share from the first run
        yield from _run_shared(model, seed, replications, calendar, event_log, keep_days,
                               jobs, while_waiting, first_guess=least_run)
        return
    # The first run here, timed: workers pay only when there is more work left than it
    # takes to start one (a small run on -j 2 must not be slower than on -j 1).
    with collector_paused():
        started = time.perf_counter()
        out = run_one(model, seed, replications[0], calendar, event_log, keep_days)
        first = time.perf_counter() - started
    _LAST_RUN_S[:] = [first]
    tick()
    yield out
    rest = replications[1:]
    if first * (len(rest) + runs_after) <= (FORKED_POOL_START_S if forks_safely()
                                            else POOL_START_S):
        yield from _run_here(model, seed, rest, calendar, event_log, keep_days)
        return
    yield from _run_shared(model, seed, rest, calendar, event_log, keep_days, jobs,
                           while_waiting)


#: Seconds the last run timed in this process took: what sizes the next batches.
_LAST_RUN_S: list[float] = []


def least_seconds(model: CompiledScenario, calendar: RunCalendar, runs: int) -> float:
    """Seconds ``runs`` runs take at least, before any is timed: their days' new contacts
    expected from the list (follow-ups and outreach left out) at :data:`QUICKEST_CONTACT_S`
    each. Where this alone exceeds a forked worker's start, the worker starts with the
    first run rather than after it: timing the first run alone left one core idle through
    it (0.93 s in each command of 52-week runs of case 5)."""
    per_day = math.fsum(model.expected_per_day(name)
                        for name, stream in model.scenario.demand.items()
                        if stream.channel != "outreach")
    return runs * calendar.total_days * per_day * QUICKEST_CONTACT_S


#: Seconds of runs left after the first below which starting workers does not pay: a
#: worker's start (a process, clinicsim imported, the scenario shipped: 1.5 s on an idle
#: 2-core machine, 4 s at a load of 6), its first runs in a fresh process and the wait
#: for its last batch. Measured with ``clinicsim run -r R --weeks 1`` of the default
#: (runs of about 0.4 s) on a busy day, -j 2's wall time over -j 1's, median of 3-5
#: pairs: R = 6 (2 s left) 1.17, R = 10 (3.6 s) 0.81, R = 16 0.70; so 2.5 s.
POOL_START_S = 2.5
#: The same for a worker forked from this process (see :func:`_new_pool`), up in
#: milliseconds: -j 2's wall time over that of the same command keeping its runs here,
#: ``clinicsim run -r R --weeks 1`` of the default, median of 8 alternating pairs: R = 2
#: (0.4 s left) 1.00, R = 3 (0.8 s) 0.94, R = 4 (1.2 s) 0.91; so 0.6 s.
FORKED_POOL_START_S = 0.6
#: The least CPU time a contact has cost, used only to tell before any run whether
#: workers surely pay (:func:`least_seconds`): a contact took 4.3-6.5 µs compiled and
#: 12-13 µs as plain Python on the 2-core test machine ([4] of the benchmark, every list
#: size, 2026-12-05); this allows for a machine twice as fast as that one compiled.
QUICKEST_CONTACT_S = 2e-6
#: Seconds of simulation per batch of runs (from the last run's time): long enough that
#: shipping a batch costs little (a compiled case pickles in about 2 ms), short enough that
#: this process and the workers finish together.
BATCH_S = 0.25
#: Before this process starts a run of its own while no fresh worker (loky's) has answered
#: yet, it waits for a first answer up to this share of a run's time: without the wait the
#: worker sat idle through this process's run before it got any. A worker slow to start
#: (a fresh process, 0.75 s) costs this process at most this share of one run per try.
#: Forked workers do not wait to be asked: they get runs from the start (``_POOL_UP``).
FIRST_ANSWER_WAIT_SHARE = 0.1
#: Batches each worker holds at a time, so that it never waits for the next.
BATCHES_PER_WORKER = 2
#: Batches this process may simulate ahead of the one it yields next (held in memory until
#: then): about two seconds of work at ``BATCH_S``, the time a worker takes to start.
BATCHES_AHEAD = 8
#: A batch is at most the runs not yet handed out over this many times the processes
#: (guided self-scheduling takes one share each): a worker holds the batch it simulates
#: and the next (``BATCHES_PER_WORKER``), so when the last run is handed out each
#: process holds about one share of what was left.
END_SHARES = 2


def _run_here(model: CompiledScenario, seed: int, replications: range, calendar: RunCalendar,
              event_log: bool, keep_days: bool) -> Iterator[RunOutput]:
    with collector_paused():
        for r in replications:
            out = run_one(model, seed, r, calendar, event_log, keep_days)
            tick()
            yield out


def _run_shared(model: CompiledScenario, seed: int, replications: range,
                calendar: RunCalendar, event_log: bool, keep_days: bool,
                jobs: int, while_waiting: Callable[[], None] | None = None,
                first_guess: float | None = None) -> Iterator[RunOutput]:
    """Batches of runs shared between this process and ``jobs - 1`` workers, yielded in
    order. Forked workers get runs from the start. Fresh ones (loky's, where forking is
    not safe) get runs only once one has answered a first small task (unpacking the
    model): such a worker can take seconds to start on a busy machine, and this process
    simulates the runs itself until then, one at a time so that it hands batches out as
    soon as one answers, and waits a moment for that answer before each of its runs. From
    then on the workers are kept fed with the next batches (``while_waiting`` is called
    once, then, and the workers take more batches while it runs); this process simulates
    the batch after those meanwhile, but runs at most a few batches ahead of the ones it
    yields: memory stays flat in runs. Batches shrink towards the end (:class:`_Batches`)
    so that this process and the workers finish together. A run gives the same result
    wherever it runs: a batch lost with its worker (killed, or out of memory) is
    simulated here, as are the runs not yet handed out, with a :class:`WorkerLost`
    warning.

    ``first_guess``: no run of this model is timed yet, and a run takes at least this
    many seconds (:func:`least_seconds`): batches are sized from the guess until this
    process has timed one, and it waits for a fresh worker's first answer up to its share
    of the guess. The guess is below a run's time (about half of it), so the first
    batches are larger than timed ones would be, and like every batch at most a share of
    the runs left: single runs there left a forked worker of a command of short runs idle
    while this process imported what its summary uses (``while_waiting``)."""
    run_s = _LAST_RUN_S[0] if first_guess is None else first_guess
    batches = _Batches(replications, _batch_size(run_s), jobs)
    workers = jobs - 1
    shipped = _Shipped(model)  # before this process simulates beside the pool's feeder
    _pool(workers)  # made now if need be: a forked one is up from the start
    up = workers in _POOL_UP  # forked, or a worker of this pool has answered before
    pings = [] if up else [submit_to_pool(workers, _ready, shipped) for _ in range(workers)]
    sent: dict[int, Future] = {}
    runs_of: dict[int, range] = {}  # each sent batch's runs, to redo here if it is lost
    here: dict[int, list[RunOutput]] = {}
    # paused as in _run_here: the results of the workers' runs, unpacked here, and the
    # caller's work on them would otherwise set off full collections (76 ms a command)
    with collector_paused():
        try:
            i = 0
            while i < batches.handed or batches.left:
                while i not in here and not (i in sent and sent[i].done()):
                    if not up and batches.left:  # a worker may answer within a moment
                        wait(pings, timeout=FIRST_ANSWER_WAIT_SHARE * run_s,
                             return_when=FIRST_COMPLETED)
                    if not up and any(ping.done() for ping in pings):
                        up = True
                        _POOL_UP.add(workers)
                    while up and batches.left and len(sent) < workers * BATCHES_PER_WORKER:
                        if batches.next_is_last and not _workers_free(sent, workers):
                            break  # the last batch: this process is free for it now
                        n, batch = batches.take()
                        runs_of[n] = batch
                        sent[n] = submit_to_pool(workers, _run_shipped, shipped, seed,
                                                 list(batch), calendar, event_log, keep_days)
                    if up and while_waiting is not None:
                        while_waiting()  # once, while the workers have batches to do
                        while_waiting = None
                        continue
                    if batches.left and (len(here) < BATCHES_AHEAD or not sent):
                        n, batch = batches.take(None if up else 1)
                        started = time.perf_counter()
                        here[n] = _run_chunk(model, seed, list(batch), calendar, event_log,
                                             keep_days)
                        run_s = (time.perf_counter() - started) / len(batch)
                        _LAST_RUN_S[:] = [run_s]
                        if first_guess is not None:  # the first run timed: sized from now
                            batches.size, first_guess = _batch_size(run_s), None
                    else:
                        break  # nothing left to do here: wait for the worker's batch
                try:
                    part = here.pop(i) if i in here else sent.pop(i).result()
                except BrokenProcessPool:  # a worker ended (killed, out of memory)
                    if up:  # the first batch seen lost (batches go out only while up)
                        _drop_pool()  # the next call starts a new one
                        warnings.warn(WorkerLost(
                            "a worker process ended before its runs were done (killed, "
                            "or out of memory?); its runs and the rest are simulated in "
                            "this process, with the same results"), stacklevel=2)
                    up, pings = False, []  # no more batches to workers in this call
                    part = _run_chunk(model, seed, list(runs_of[i]), calendar, event_log,
                                      keep_days)
                runs_of.pop(i, None)
                tick(len(part))
                yield from part
                i += 1
        finally:
            for future in [*sent.values(), *pings]:
                future.cancel()


def _workers_free(sent: dict[int, Future], workers: int) -> bool:
    """Whether a worker has nothing to do: fewer of the batches sent are unfinished than
    there are workers. The last batch goes to a worker only then; otherwise this process,
    free when it asks, takes it: queued behind a worker's batch it left this process idle
    for a whole batch at the end (0.6 s of one core in each 52-week command of case 5)."""
    return sum(1 for future in sent.values() if not future.done()) < workers


def _batch_size(run_s: float) -> int:
    """Runs a batch holds when a run takes ``run_s`` seconds: about :data:`BATCH_S`."""
    return max(1, round(BATCH_S / max(run_s, 1e-6)))


class _Batches:
    """Runs handed out in order, in batches of about ``BATCH_S`` of simulation each, and
    smaller towards the end: a batch is at most a share of what is left (guided
    self-scheduling), so the last batches are single runs and no process is left
    simulating a long batch while the others wait."""

    def __init__(self, replications: range, size: int, jobs: int):
        self.replications, self.size, self.jobs = replications, size, jobs
        self.start = 0
        self.handed = 0  # batches handed out so far: the next one's number

    @property
    def left(self) -> int:
        return len(self.replications) - self.start

    def _next_size(self, most: int | None = None) -> int:
        share = -(-self.left // (self.jobs * END_SHARES))
        return max(1, min(self.size if most is None else most, share))

    @property
    def next_is_last(self) -> bool:
        """Whether the next batch (of ``size``) is all that is left."""
        return self.left <= self._next_size()

    def take(self, most: int | None = None) -> tuple[int, range]:
        """The next batch's number and runs: ``size`` runs (or ``most``), at most a share
        of those left."""
        n = self._next_size(most)
        batch = self.replications[self.start:self.start + n]
        self.start += n
        self.handed += 1
        return self.handed - 1, batch


def submit_to_pool(workers: int, *task) -> Future:
    """Send a task to the kept pool of ``workers`` processes (a new one if a worker of an
    earlier call died): a run's batches, and whole tasks shared out
    (:func:`sim.workers.shared_out`), forked where that is safe. Ctrl-C and SIGTERM wait
    while it sends: the first task forks the workers, and a stop in between left a worker
    forked with the command's own handlers (a traceback) or a pool with workers but no
    thread to end them, which the command's exit then waited for, for ever."""
    with _stops_held():
        try:
            return _pool(workers).submit(*task)
        except BrokenProcessPool:
            _drop_pool()
            return _pool(workers).submit(*task)


#: The signals a command stops on (Ctrl-C, SIGTERM), held back while a pool forks.
_STOPS = ("SIGINT", "SIGTERM")


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back in this thread for the block, then delivered; a
    process forked in the block starts with them held (:func:`_forked_worker` lets them
    through once it has set its own handlers)."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: no fork either
        yield
        return
    held = {getattr(signal, name) for name in _STOPS}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


_POOL: dict[int, Executor] = {}
#: Sizes of kept pools whose workers get runs from the start: a forked pool's (a forked
#: worker is up as soon as the pool hands it a task, with clinicsim already imported), or
#: one of which a worker has answered. A forked worker once waited for its first answer
#: to be seen: it answered in about 25 ms, after this process had started its own run,
#: and sat idle through that run (0.45 s of one core in each 52-week command of case 1).
_POOL_UP: set[int] = set()


def _pool(workers: int) -> Executor:
    """A pool of ``workers`` processes, kept for the next call in this process (a capacity
    search runs many rounds of runs); a pool of its own, so that it never shares
    joblib's."""
    pool = _POOL.get(workers)
    if pool is None:
        _drop_pool()
        pool = _POOL[workers] = _new_pool(workers)
    return pool


def _new_pool(workers: int) -> Executor:
    """Workers forked from this process where forking is safe, else loky's executor, as
    joblib uses (a fresh Python process that imports what a task needs).

    A forked worker starts with clinicsim already imported: it is up in a few
    milliseconds instead of the 0.75 s of one core a fresh process takes (Python, then
    the simulation's imports), time the main process otherwise simulates alone. Forking
    is safe only where it is the platform's own way (Linux) and while this process runs
    a single thread: a fork copies a lock another thread holds (a Jupyter kernel's, a
    Dask client's) as held for ever."""
    if forks_safely():
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        _POOL_UP.add(workers)
        return ProcessPoolExecutor(max_workers=workers, initializer=_forked_worker,
                                   initargs=(os.getpid(),),
                                   mp_context=multiprocessing.get_context("fork"))
    from joblib.externals.loky import ProcessPoolExecutor as LokyPoolExecutor
    return LokyPoolExecutor(max_workers=workers)


def _forked_worker(parent: int) -> None:
    """Set up a forked worker. The fork copies this process's state: the collector,
    which a caller may have paused, is turned back on; the command line's signal
    handlers give way to the defaults, with Ctrl-C (sent to every process of the
    terminal's group) left to the main process, which stops the pool. A worker
    also ends with the main process however that ends (Linux's parent-death signal), so
    none is left waiting for tasks after a ``kill -9``."""
    import signal

    gc.enable()
    _POOL.clear()  # the main process's pools: not this process's to use
    _POOL_UP.clear()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # forked with them held (_stops_held): a Ctrl-C that came meanwhile is dropped now
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {getattr(signal, n) for n in _STOPS})
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: the pool's own shutdown still ends it
        pass
    if os.getppid() != parent:  # the main process ended before the signal was set
        os._exit(0)


#: Linux's ``prctl`` option that sends a signal to a process when its parent ends.
_PR_SET_PDEATHSIG = 1


def forks_safely() -> bool:
    """Whether workers may be forked from this process: on Linux (where fork is always
    a start method), while it runs one thread."""
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


def _drop_pool(kill: bool = False) -> None:
    """Forget the kept pool (a worker died, or another size is wanted); with ``kill``, end
    its workers now, mid-task, where its own shutdown lets them finish their tasks."""
    for pool in _POOL.values():
        if not kill:
            pool.shutdown(wait=False)
        elif "loky" in type(pool).__module__:
            pool.shutdown(wait=False, kill_workers=True)  # type: ignore[call-arg]
        else:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
    _POOL.clear()
    _POOL_UP.clear()


def stop_worker_pool() -> None:
    """End the kept pool's workers now and forget the pool: a command stopped while its
    workers hold long tasks (a whole capacity search each) would otherwise wait at its
    exit for those tasks to end."""
    _drop_pool(kill=True)


class _Shipped:
    """A compiled scenario pickled once, in the caller's thread, for the workers. The
    pool pickles a task in a thread of its own, after ``submit`` returns, while this
    process goes on simulating with the same model, whose lookup caches fill as it runs:
    pickling the live model there failed with "dictionary changed size during
    iteration" (``clinicsim capacity case03 -j 2``). Bytes do not change.

    The standard pickler does for a model of plain data, as the engine's are: at the
    highest protocol its bytes are then loky's own, and a command spares importing joblib
    for loky's pickler (about 55 ms before the workers could start, where a forked pool
    needs nothing else of joblib). Anything it cannot pickle (a function made at run
    time) goes through loky's, as the pool itself would send it."""

    def __init__(self, model: CompiledScenario):
        import pickle
        import uuid

        self.token = uuid.uuid4().hex
        try:
            self.data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError):
            from joblib.externals.loky.backend.reduction import dumps
            self.data = bytes(dumps(model))


#: The model of the last shipment a worker unpacked, by token: later batches reuse it.
_UNPACKED: dict[str, CompiledScenario] = {}


def _unpack(shipped: _Shipped) -> CompiledScenario:
    """The shipped model, unpacked once per worker (a worker's first task)."""
    model = _UNPACKED.get(shipped.token)
    if model is None:
        import pickle
        _UNPACKED.clear()
        model = _UNPACKED[shipped.token] = pickle.loads(shipped.data)
    return model


def _ready(shipped: _Shipped) -> None:
    """A worker's first task: it is up, and has the model (nothing to send back)."""
    _unpack(shipped)


def _run_shipped(shipped: _Shipped, seed: int, replications: list[int],
                 calendar: RunCalendar, event_log: bool, keep_days: bool) -> list[RunOutput]:
    return _run_chunk(_unpack(shipped), seed, replications, calendar, event_log, keep_days)


def _run_chunk(model: CompiledScenario, seed: int, replications: list[int],
               calendar: RunCalendar, event_log: bool, keep_days: bool) -> list[RunOutput]:
    with collector_paused():
        return [run_one(model, seed, r, calendar, event_log, keep_days) for r in replications]


@dataclass(eq=False)
class ReplicationResults:
    """Tidy results of R runs (replications) of one scenario, from
    :func:`run_replications` or :meth:`load`. Two results objects are equal only if they
    are one object (compared field by field, their tables made ``==`` ambiguous); compare
    their tables (``metrics.equals``) to tell whether two sets of runs agree.

    ``metrics`` holds one row per run and figure (replication, metric, role, activity,
    weekday, value, weight: the README's "Metrics"); :meth:`summary` pools them into a
    mean and 95 % CI per figure. ``staff`` holds each person's minutes a day by activity
    (replication, staff_id, group, role, team, activity, minutes_per_day, days_present);
    ``days`` one row per run and simulated day, warm-up flagged (day, week, weekday,
    measured, backlog_planned, tnaa_days and tnaa_days_<role>, calls_offered,
    contacts_arisen, consultations, planned_requests, turned_away, overtime_min). With the
    event log the tables below hold every contact, booking, event and stretch of time."""

    scenario: Scenario
    seed: int
    #: one row per run x metric: replication, metric, role, activity, weekday, value, weight
    metrics: pd.DataFrame
    #: each person's minutes per measured day, by run and activity
    staff: pd.DataFrame
    #: one row per run x day (warm-up included, flagged): backlog, TNAA, calls, ...
    days: pd.DataFrame | None = None
    #: with the event log (measured days only): replication, day, time, contact_id, event,
    #: staff_id
    events: pd.DataFrame | None = None
    #: with the event log: replication, day, staff_id, activity, start, end (every stretch
    #: of everyone's day, for Gantt charts)
    timeline: pd.DataFrame | None = None
    #: with the event log: one row per contact, on the day of its outcome
    contacts: pd.DataFrame | None = None
    #: with the event log: one row per booking of a planned need
    bookings: pd.DataFrame | None = None
    #: with the event log: each person's hours and overtime, by run and day
    day_staff: pd.DataFrame | None = None
    weeks: int | None = None
    warmup_weeks: int | None = None
    #: what the results rest on (:func:`sim.provenance.provenance`: version, command,
    #: scenario files and hashes, seed) and ``description``: the one the scenario file
    #: itself wrote, if any; saved in ``run.json``
    provenance: dict | None = None

    TABLES = ("days", "events", "timeline", "contacts", "bookings", "day_staff")

    def save(self, directory: str | Path) -> Path:
        """Write the results to a directory that :meth:`load` and ``clinicsim report`` read.

        The directory is written beside its place and renamed when complete, so a failed
        save (a full disk) leaves no half-written results; it replaces an earlier save
        (a directory with ``run.json``) or an empty directory, never other files."""
        from sim.outputs import atomic_directory

        with atomic_directory(directory, marker="run.json") as out:
            self._write(out)
        return Path(directory)

    def _write(self, out: Path) -> None:
        self.metrics.to_parquet(out / "metrics.parquet", index=False)
        self.staff.to_parquet(out / "staff.parquet", index=False)
        written = []
        for name in self.TABLES:
            table = getattr(self, name)
            if table is not None:
                table.to_parquet(out / f"{name}.parquet", index=False)
                written.append(name)
        (out / "scenario.json").write_text(self.scenario.model_dump_json(indent=1),
                                           encoding="utf-8")
        (out / "run.json").write_text(json.dumps({
            **(self.provenance or {}),
            "kind": "run", "scenario": self.scenario.name, "seed": self.seed,
            "replications": self.replications, "weeks": self.weeks,
            "warmup_weeks": self.warmup_weeks, "tables": written}, indent=1),
            encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> "ReplicationResults":
        """The results :meth:`save` (or ``clinicsim run --save``) wrote to ``directory``,
        with the scenario they ran and what they rest on (``provenance``). A table that
        ``run.json`` lists but that is gone is a ValueError: a report would otherwise
        leave out what it shows without a word."""
        import pandas as pd
        root = Path(directory)
        run = json.loads((root / "run.json").read_text(encoding="utf-8"))
        # A save lists the tables it wrote (one without, from before, leaves them optional):
        # a listed table that is gone is damage, which a report would otherwise pass over
        # in silence, leaving out what that table shows.
        missing = [f"{name}.parquet" for name in run.get("tables", ())
                   if not (root / f"{name}.parquet").exists()]
        if missing:
            raise ValueError(f"{', '.join(missing)} missing, though run.json lists "
                             f"{'it' if len(missing) == 1 else 'them'}")
        optional = {name: pd.read_parquet(root / f"{name}.parquet")
                    if (root / f"{name}.parquet").exists() else None
                    for name in cls.TABLES}
        scenario = Scenario.model_validate_json((root / "scenario.json").read_text(
            encoding="utf-8"))
        known = {"kind", "scenario", "seed", "replications", "weeks", "warmup_weeks", "tables"}
        return cls(scenario, int(run["seed"]), pd.read_parquet(root / "metrics.parquet"),
                   pd.read_parquet(root / "staff.parquet"), **optional,
                   weeks=run.get("weeks"), warmup_weeks=run.get("warmup_weeks"),
                   provenance={k: v for k, v in run.items() if k not in known} or None)

    @property
    def replications(self) -> int:
        """The number of runs."""
        return int(self.metrics["replication"].nunique())

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Each figure's mean over the runs with its ``level`` confidence interval (metric,
        role, activity, weekday, mean, ci_low, ci_high, replications)."""
        return summarise(self.metrics, confidence("level", level))

    def __repr__(self) -> str:
        """A line, not the whole scenario (a notebook shows this when a cell ends with
        the results)."""
        weeks = (f" of {self.weeks} week{'s' if self.weeks != 1 else ''}"
                 if self.weeks else "")
        tables = ", ".join(n for n in ("metrics", "staff", *self.TABLES)
                           if getattr(self, n) is not None)
        return (f"<ReplicationResults {self.scenario.name!r}: {self.replications} runs"
                f"{weeks}, seed {self.seed}; tables: {tables}>")


class _CompactRows:
    """Rows of a tidy table kept as numbers while runs arrive: each distinct combination of
    the text columns once, then per row its code and the number columns in typed arrays.
    A list of tuples costs several times as much, and the memory it took stays with the
    process after the table is built, so a comparison of many runs grew with them."""

    def __init__(self, columns: list[str], numbers: dict[str, str]) -> None:
        from array import array
        self.columns = columns
        #: (position in a row, typed array) of each number column ("q" int, "d" float)
        self.numbers = [(columns.index(name), array(code)) for name, code in numbers.items()]
        self.key_at = [i for i, name in enumerate(columns) if name not in numbers]
        self.codes: dict[tuple, int] = {}
        self.key = array("q")

    def extend(self, rows: list[tuple], lead: tuple = ()) -> None:
        """Add ``rows``; ``lead``: the values of the first columns, the same for all of
        them, which the rows leave out (a run's replication: a run's rows do not repeat it)."""
        shift = len(lead)
        codes, key = self.codes, self.key.append
        key_at = [i - shift for i in self.key_at]
        assert all(i >= 0 for i in key_at)  # the lead columns are number columns
        numbers = [(i - shift, values.append) for i, values in self.numbers if i >= shift]
        for row in rows:
            k = tuple([row[i] for i in key_at])
            code = codes.get(k)
            if code is None:
                code = codes[k] = len(codes)
            key(code)
            for i, append in numbers:
                append(row[i])
        for i, values in self.numbers:
            if i < shift:
                values.extend([lead[i]] * len(rows))

    def frame(self) -> pd.DataFrame:
        """The rows as ``pd.DataFrame(rows, columns=columns)`` would build them: the text
        columns' types are inferred from the distinct combinations, which hold the same
        values as the rows."""
        import numpy as np
        import pandas as pd
        if not self.key:
            return pd.DataFrame([], columns=self.columns)
        names = [self.columns[i] for i in self.key_at]
        keys = pd.DataFrame(list(self.codes), columns=names)
        keys = keys.take(np.frombuffer(self.key, dtype=np.int64)).reset_index(drop=True)
        columns = {name: keys[name] for name in names}
        for i, values in self.numbers:
            columns[self.columns[i]] = np.array(values, dtype=np.dtype(values.typecode))
        return pd.DataFrame(columns, columns=self.columns, copy=False)


def run_replications(scenario: Scenario | str | Path, replications: int = 10, seed: int = 1,
                     weeks: int | None = None, warmup_weeks: int | None = None,
                     event_log: bool = False, jobs: int = 1,
                     first_replication: int = 0, runs_after: int = 0) -> ReplicationResults:
    """Run ``replications`` independent runs of ``scenario`` (a loaded scenario, a bundled
    name such as ``"case08"``, or a file), each ``warmup_weeks`` of warm-up then ``weeks``
    measured (both default to the scenario's calendar), and return their tidy results.

    Run *r* of ``seed`` always draws the same random numbers, whatever ``jobs`` (processes
    to run on) and whatever other runs are made: ``first_replication`` starts the
    numbering elsewhere, to add runs to earlier ones. ``event_log`` keeps every contact,
    booking, event and stretch of staff time (for Gantt charts and the phone queue).
    ``runs_after``: runs the caller will ask for next, which the workers' start is
    weighed against (see :func:`iter_runs`)."""
    import pandas as pd
    from sim.scenario.loading import as_scenario

    scenario = as_scenario(scenario)
    for name, value, least in (("replications", replications, 1), ("jobs", jobs, 1),
                               ("first_replication", first_replication, 0)):
        whole_number(name, value, least)
    check_seed("seed", seed)
    event_log = flag("event_log", event_log)
    calendar = run_calendar(scenario, weeks, warmup_weeks)
    indices = range(first_replication, first_replication + replications)
    rows = _CompactRows(METRIC_COLUMNS, {"replication": "q", "value": "d", "weight": "d"})
    staff = _CompactRows(STAFF_COLUMNS, {"replication": "q", "minutes_per_day": "d",
                                         "days_present": "q"})
    days = []
    tables: dict[str, list[pd.DataFrame]] = {}
    for out in iter_runs(scenario, indices, seed, calendar, event_log, True, jobs,
                         runs_after=runs_after):
        rows.extend(out.rows, lead=(out.replication,))
        staff.extend(out.staff)
        days += [{"replication": out.replication, **d} for d in out.days]
        for name, parts in out.tables.items():
            tables.setdefault(name, []).extend(parts)
    metrics = rows.frame()
    staff_frame = staff.frame()
    joined = {name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()}
    n = len(calendar.weekdays)
    return ReplicationResults(
        scenario, seed, metrics, staff_frame, pd.DataFrame(days), **joined,
        weeks=calendar.measured_days // n if calendar.measured_days % n == 0 else None,
        warmup_weeks=calendar.warmup_days // n if calendar.warmup_days % n == 0 else None)


def metrics_block(scenario: Scenario, seed: int, point: int, start: int, stop: int,
                  weeks: int | None = None, warmup_weeks: int | None = None) -> pd.DataFrame:
    """Tidy metric rows of runs ``start..stop-1`` of one design point (a sweep task)."""
    import pandas as pd
    calendar = run_calendar(scenario, weeks, warmup_weeks)
    rows = [(point, out.replication, *row)
            for out in iter_runs(scenario, range(start, stop), seed, calendar, keep_days=False)
            for row in out.rows]
    return pd.DataFrame(rows, columns=["point", *METRIC_COLUMNS])


__all__ = ["ReplicationResults", "RunOutput", "iter_runs", "metrics_block", "run_calendar",
           "run_one", "run_replications"]
