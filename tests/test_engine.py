"""The engine does what the scenario says: one test per workflow element of the model
specification, plus the behaviours a consultant relies on first."""
from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from concurrent.futures import Executor, Future

import numpy as np
import pandas as pd
import pytest

from sim import run_replications as _run_replications
from sim import simulate_day
from sim.engine import CompiledScenario, RunCalendar, simulate_run
from sim.metrics import check_conservation, contacts_table, overall, staff_table
from sim.scenario import load_scenario, scenario_from_dict
from tests.conftest import command_with_workers, live_parent, raw, scenario_with


def run_replications(scenario, replications, seed, weeks=1, warmup_weeks=0, **options):
    """Short runs (one week, no warm-up) keep the engine's tests fast."""
    return _run_replications(scenario, replications=replications, seed=seed, weeks=weeks,
                             warmup_weeks=warmup_weeks, **options)


def tables(scenario, seeds=range(3), event_log=False, days=3):
    """Contacts, staff time and tasks of runs of ``days`` working days (no warm-up), with
    replication and day columns; each contact appears once, on the day of its outcome (or
    with its after-run outcome on the last day)."""
    model = CompiledScenario(scenario)
    contacts, staff, tasks, events = [], [], [], []
    for r in seeds:
        calendar = RunCalendar(model.scenario.calendar, days=days, warmup_days=0)
        run = list(simulate_run(model, seed=11, replication=r, calendar=calendar,
                                event_log=event_log))
        check_conservation(run)
        for rec in run:
            day = rec.day.index
            c = contacts_table(rec)
            c["replication"], c["day"] = r, day
            contacts.append(c)
            s = staff_table(rec)
            s["replication"], s["day"] = r, day
            staff.append(s)
            role_of = {i: row[2] for i, row in enumerate(rec.staff)}
            id_of = {i: row[0] for i, row in enumerate(rec.staff)}
            t = pd.DataFrame(rec.tasks, columns=["worker", "kind", "contact_id", "t0", "t1"])
            t["role"], t["staff_id"] = t["worker"].map(role_of), t["worker"].map(id_of)
            t["replication"], t["day"] = r, day
            tasks.append(t)
            if event_log:
                e = pd.DataFrame(rec.events, columns=["time", "contact_id", "event", "staff_id"])
                e["replication"], e["day"] = r, day
                events.append(e)
    out = [pd.concat(contacts), pd.concat(staff), pd.concat(tasks)]
    if event_log:
        out.append(pd.concat(events))
    return out


def minutes(staff: pd.DataFrame, role: str, activity: str) -> float:
    return staff[(staff.role == role) & (staff.activity == activity)].minutes.sum()


def paired(a, b, metric, role=None, activity=None):
    """Per-replication values of a metric in two results (same seed, same replications)."""
    def values(res):
        m = res.metrics
        sel = m.metric == metric
        sel &= m.role.isna() if role is None else m.role == role
        sel &= m.activity.isna() if activity is None else m.activity == activity
        return m[sel].set_index("replication").value
    return values(a), values(b)


def paired_ci(diff: pd.Series) -> tuple[float, float]:
    from scipy import stats
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / math.sqrt(len(diff))
    return diff.mean() - half, diff.mean() + half


# --- reproducibility and common random numbers --------------------------------------------


def test_same_seed_same_results_and_replications_are_stable():
    scenario = load_scenario("default")
    a = run_replications(scenario, replications=4, seed=5).metrics
    b = run_replications(scenario, replications=4, seed=5, jobs=2).metrics
    pd.testing.assert_frame_equal(a, b)
    fewer = run_replications(scenario, replications=2, seed=5).metrics
    pd.testing.assert_frame_equal(fewer, a[a.replication < 2].reset_index(drop=True))
    other = run_replications(scenario, replications=2, seed=6).metrics
    assert not other.value.equals(fewer.value)


@pytest.mark.parametrize("pool_start_s, batch_s", [(0.0, 0.25), (0.0, 0.0), (1e9, 0.25)])
def test_runs_on_a_pool_or_kept_here_give_the_same_results_in_order(monkeypatch,
                                                                    pool_start_s, batch_s):
    """Whether the runs after the first are shared with workers (in batches, some
    simulated here while the workers take others) or stay in this process (too little
    work to pay for starting one) changes nothing."""
    from sim.experiment import replications as module

    monkeypatch.setattr(module, "POOL_START_S", pool_start_s)
    monkeypatch.setattr(module, "FORKED_POOL_START_S", pool_start_s)
    monkeypatch.setattr(module, "BATCH_S", batch_s)  # 0: a batch per run
    monkeypatch.setattr(module, "BATCHES_AHEAD", 2)
    scenario = load_scenario("default")
    calendar = module.run_calendar(scenario, weeks=1, warmup_weeks=0)
    order = [out.replication for out in module.iter_runs(scenario, range(3, 12), 5, calendar,
                                                         jobs=2)]
    assert order == list(range(3, 12))
    a = run_replications(scenario, replications=9, seed=5, weeks=1, warmup_weeks=0).metrics
    b = run_replications(scenario, replications=9, seed=5, weeks=1, warmup_weeks=0,
                         jobs=2).metrics
    pd.testing.assert_frame_equal(a, b)


def use_pool(monkeypatch, pool) -> None:
    """Runs after the first go to ``pool`` (a stub of the worker pool), a batch per run."""
    from sim.experiment import replications as module

    monkeypatch.setattr(module, "POOL_START_S", 0.0)
    monkeypatch.setattr(module, "FORKED_POOL_START_S", 0.0)
    monkeypatch.setattr(module, "BATCH_S", 0.0)  # a batch per run
    monkeypatch.setattr(module, "_POOL", {})
    monkeypatch.setattr(module, "_POOL_UP", set())
    monkeypatch.setattr(module, "_pool", lambda workers: module._POOL.setdefault(workers,
                                                                                 pool))


class InThreadWorker(Executor):
    """A stub pool that answers every task at once, in this thread, telling ``seen``
    each task's function and arguments first."""

    def __init__(self, seen: Callable[[Callable, tuple], None]):
        self.seen = seen

    def submit(self, fn, *args, **kwargs):
        self.seen(fn, args)
        future = Future()
        future.set_running_or_notify_cancel()
        future.set_result(fn(*args))
        return future

    def shutdown(self, wait=True, **kwargs):
        pass


def test_a_worker_that_has_not_started_never_holds_up_a_run(monkeypatch):
    """A worker gets runs only once it has answered its first task: until then this
    process does them all, in order and with the same results."""
    import threading
    from concurrent.futures import Executor, Future

    from sim.experiment import replications as module

    class NeverStarts(Executor):
        def __init__(self):
            self.tasks = []

        def submit(self, fn, *args, **kwargs):
            self.tasks.append(fn)
            future = Future()
            future.set_running_or_notify_cancel()  # handed to a worker, which never answers
            late = threading.Timer(30, future.set_exception, [TimeoutError("waited for it")])
            late.daemon = True  # a run that waits fails here rather than hangs
            late.start()
            return future

        def shutdown(self, wait=True, **kwargs):
            pass

    pool = NeverStarts()
    use_pool(monkeypatch, pool)
    scenario = load_scenario("default")
    calendar = module.run_calendar(scenario, weeks=1, warmup_weeks=0)
    shared = list(module.iter_runs(scenario, range(4), 5, calendar, jobs=2))
    here = list(module.iter_runs(scenario, range(4), 5, calendar, jobs=1))
    assert [out.replication for out in shared] == [0, 1, 2, 3]
    assert [out.rows for out in shared] == [out.rows for out in here]
    assert pool.tasks == [module._ready]  # its first task only: no runs


def test_workers_at_work_let_this_process_do_the_callers_later_work_once(monkeypatch):
    """Once a worker has batches, this process calls ``while_waiting`` (the CLI imports
    its report code there), once, and the workers take more of the runs meanwhile; the
    runs and their order do not change, and a run with no workers never calls it."""
    import threading
    from concurrent.futures import Executor, Future

    from sim.experiment import replications as module

    def answer(future, fn, args):
        try:
            future.set_result(fn(*args))
        except Exception as error:  # a failing batch fails the test rather than hangs it
            future.set_exception(error)

    class SlowWorker(Executor):
        """Answers its first task at once, and each batch 0.3 s after it is sent."""

        def submit(self, fn, *args, **kwargs):
            future = Future()
            future.set_running_or_notify_cancel()
            if fn is module._ready:
                future.set_result(None)
            else:
                threading.Timer(0.3, answer, [future, fn, args]).start()
            return future

        def shutdown(self, wait=True, **kwargs):
            pass

    pool = SlowWorker()
    use_pool(monkeypatch, pool)
    monkeypatch.setattr(module, "BATCHES_AHEAD", 1)
    scenario = load_scenario("default")
    calendar = module.run_calendar(scenario, weeks=1, warmup_weeks=0)
    calls = []
    shared = list(module.iter_runs(scenario, range(6), 5, calendar, jobs=2,
                                   while_waiting=lambda: calls.append("waited")))
    assert calls == ["waited"]
    here = list(module.iter_runs(scenario, range(6), 5, calendar, jobs=1,
                                 while_waiting=lambda: calls.append("here")))
    assert calls == ["waited"]
    assert [out.replication for out in shared] == list(range(6))
    assert [out.rows for out in shared] == [out.rows for out in here]


def test_runs_lost_with_a_worker_are_simulated_here_with_a_warning(monkeypatch):
    """A worker that ends before its runs are done (killed, out of memory: its pool is
    broken) loses nothing: its batches, and the runs not yet handed out, are simulated in
    this process, in order and with the same results, with one WorkerLost warning; no
    more batches go to workers in that call."""
    from concurrent.futures import Executor, Future
    from concurrent.futures.process import BrokenProcessPool

    from sim.experiment import replications as module
    from sim.experiment.errors import WorkerLost

    class Lost(Future):
        """A batch of the broken pool: notes when this process has seen it lost."""

        def result(self, timeout=None):
            pool.seen_lost = True
            return super().result(timeout)

    class DiesAfterOne(Executor):
        """Answers its first task and its first batch, then is broken."""

        def __init__(self):
            self.batches = self.after_loss = 0
            self.seen_lost = False

        def submit(self, fn, *args, **kwargs):
            self.after_loss += self.seen_lost
            future = Future() if self.batches == 0 or fn is module._ready else Lost()
            future.set_running_or_notify_cancel()
            if fn is module._ready:
                future.set_result(None)
            elif self.batches == 0:
                self.batches += 1
                future.set_result(fn(*args))
            else:
                self.batches += 1
                future.set_exception(BrokenProcessPool("a worker was killed"))
            return future

        def shutdown(self, wait=True, **kwargs):
            pass

    pool = DiesAfterOne()
    use_pool(monkeypatch, pool)
    monkeypatch.setattr(module, "_drop_pool", lambda: None)
    scenario = load_scenario("default")
    calendar = module.run_calendar(scenario, weeks=1, warmup_weeks=0)
    with pytest.warns(WorkerLost) as caught:
        shared = list(module.iter_runs(scenario, range(8), 5, calendar, jobs=2))
    here = list(module.iter_runs(scenario, range(8), 5, calendar, jobs=1))
    assert len(caught) == 1
    assert [out.replication for out in shared] == list(range(8))
    assert [out.rows for out in shared] == [out.rows for out in here]
    assert pool.seen_lost and pool.batches >= 2 and pool.after_loss == 0  # none after


def test_the_command_says_a_lost_worker_in_one_plain_line(capsys):
    """The CLI shows a WorkerLost warning as its notes, one line on stderr; other
    warnings as before."""
    from sim.cli import _show_warning
    from sim.experiment.errors import WorkerLost

    shown = []
    _show_warning(lambda *args: shown.append(args), WorkerLost("a worker ended"), WorkerLost,
                  "x.py", 1)
    assert capsys.readouterr().err == "clinicsim: a worker ended\n" and not shown
    _show_warning(lambda *args: shown.append(args), UserWarning("other"), UserWarning,
                  "x.py", 1)
    assert len(shown) == 1


@pytest.mark.parametrize("runs, size, jobs", [(199, 4, 2), (7, 3, 2), (50, 1, 4), (1, 6, 2),
                                              (300, 25, 3)])
def test_batches_cover_every_run_in_order_and_shrink_to_single_runs(runs, size, jobs):
    """Batches hand out every run once, in order; none is larger than asked, or than a
    share of the runs left, so the last ones are single runs and no process finishes
    long after the others."""
    from sim.experiment.replications import END_SHARES, _Batches

    batches = _Batches(range(10, 10 + runs), size, jobs)
    taken = []
    while batches.left:
        left, last = batches.left, batches.next_is_last
        _, batch = batches.take()
        assert 1 <= len(batch) <= max(1, min(size, -(-left // (jobs * END_SHARES))))
        assert last == (batches.left == 0)  # told ahead which batch empties it
        taken.append(batch)
    assert [r for batch in taken for r in batch] == list(range(10, 10 + runs))
    assert batches.handed == len(taken) and len(taken[-1]) == 1
    assert len(_Batches(range(runs), size, jobs).take(1)[1]) == 1  # asked for one: one


def test_the_last_batch_goes_to_a_worker_only_if_one_is_free():
    """A worker counts as free while fewer batches sent are unfinished than there are
    workers; otherwise the process asking for the last batch keeps it."""
    from concurrent.futures import Future

    from sim.experiment.replications import _workers_free

    done, running = Future(), Future()
    done.set_result([])
    assert _workers_free({}, 1) and _workers_free({0: done}, 1)
    assert not _workers_free({0: running}, 1) and not _workers_free({0: done, 1: running}, 1)
    assert _workers_free({0: running}, 2)


def test_least_seconds_counts_the_runs_days_and_expected_contacts():
    """The lower bound that lets workers start with the first run grows with the runs, the
    days and the list, and is nothing for no runs."""
    from sim.experiment.replications import QUICKEST_CONTACT_S, least_seconds, run_calendar

    scenario = load_scenario("default")
    model, larger = CompiledScenario(scenario), CompiledScenario(scenario_with(
        population__list_size=2 * scenario.population.list_size))
    week, four = run_calendar(scenario, 1, 0), run_calendar(scenario, 4, 0)
    one = least_seconds(model, week, 1)
    assert one > 0 and least_seconds(model, week, 0) == 0
    assert least_seconds(model, week, 3) == pytest.approx(3 * one)
    assert least_seconds(model, four, 1) == pytest.approx(4 * one)
    assert least_seconds(larger, week, 1) == pytest.approx(2 * one)
    per_day = sum(model.expected_per_day(name) for name, stream in scenario.demand.items()
                  if stream.channel != "outreach")
    assert one == pytest.approx(week.total_days * per_day * QUICKEST_CONTACT_S)


@pytest.mark.parametrize("contact_s, early", [(1.0, True), (1e-12, False)])
def test_workers_start_with_the_first_run_where_they_surely_pay(monkeypatch, contact_s,
                                                                early):
    """Where the runs after the first surely take longer than a forked worker's start,
    the worker is asked for before this process simulates anything, and takes runs from
    the start; otherwise the first run is timed here first. The runs and their order are
    the same either way."""
    from sim.experiment import replications as module

    events = []
    worker = InThreadWorker(lambda fn, args: events.append(
        "worker asked" if fn is module._ready else ("worker runs", *args[2])))

    run_one = module.run_one

    def logged(model, seed, replication, *args):
        out = run_one(model, seed, replication, *args)
        events.append(("ran", replication))
        return out

    use_pool(monkeypatch, worker)
    monkeypatch.setattr(module, "FORKED_POOL_START_S", 0.6)
    monkeypatch.setattr(module, "QUICKEST_CONTACT_S", contact_s)
    monkeypatch.setattr(module, "forks_safely", lambda: True)
    monkeypatch.setattr(module, "_LAST_RUN_S", [])
    monkeypatch.setattr(module, "run_one", logged)
    scenario = load_scenario("default")
    calendar = module.run_calendar(scenario, weeks=1, warmup_weeks=0)
    runs = list(module.iter_runs(scenario, range(4), 5, calendar, jobs=2))
    assert [out.replication for out in runs] == [0, 1, 2, 3]
    assert [out.rows for out in runs] == [
        out.rows for out in module.iter_runs(scenario, range(4), 5, calendar, jobs=1)]
    asked = events.index("worker asked") if "worker asked" in events else len(events)
    assert (asked < events.index(("ran", 0))) == early
    if early:  # the worker's first batch is a single run, before any run is timed here
        assert events[asked + 1] == ("worker runs", 0)


@pytest.mark.parametrize("runs_after, early", [(0, False), (20, True)])
def test_runs_the_caller_will_ask_for_next_count_towards_starting_workers(
        monkeypatch, runs_after, early):
    """A capacity search asks for a few runs at a time, each too few alone to pay for a
    worker, and kept them all in this process on -j 2: the runs it will ask for next
    count too, since the workers, once started, are kept for them."""
    from sim.experiment import replications as module

    asked = []
    use_pool(monkeypatch, InThreadWorker(lambda fn, args: asked.append(fn)))
    monkeypatch.setattr(module, "FORKED_POOL_START_S", 0.6)
    monkeypatch.setattr(module, "forks_safely", lambda: True)
    monkeypatch.setattr(module, "_LAST_RUN_S", [])
    scenario = load_scenario("default")
    calendar = module.run_calendar(scenario, weeks=1, warmup_weeks=0)
    model = module.CompiledScenario(scenario)
    # a run surely takes a tenth of a second: the 3 runs after the first, 0.3 s
    monkeypatch.setattr(module, "QUICKEST_CONTACT_S",
                        module.QUICKEST_CONTACT_S * 0.1 / module.least_seconds(model, calendar, 1))
    runs = list(module.iter_runs(model, range(4), 5, calendar, jobs=2, runs_after=runs_after))
    assert [out.replication for out in runs] == [0, 1, 2, 3]
    assert bool(asked) == early
    with pytest.raises(ValueError, match="runs_after"):
        list(module.iter_runs(model, range(4), 5, calendar, jobs=2, runs_after=-1))


_FORKED_RUNS = """
import hashlib, sys
from sim.experiment import replications as module
from sim.scenario import load_scenario
module.POOL_START_S = module.FORKED_POOL_START_S = 0.0  # every run after the first
module.BATCH_S = 0.0  # to the pool, a batch per run
tasks = []
submit = module.submit_to_pool
module.submit_to_pool = lambda workers, fn, *args: tasks.append(fn.__name__) or submit(
    workers, fn, *args)
scenario = load_scenario("default")
calendar = module.run_calendar(scenario, weeks=1, warmup_weeks=0)
outs = list(module.iter_runs(scenario, range(2, 8), 5, calendar, jobs=2))
pool = next(iter(module._POOL.values()))
print(type(pool).__module__, hashlib.sha256(repr([o.rows for o in outs]).encode()).hexdigest(),
      "joblib" in sys.modules, ",".join(sorted(set(tasks))))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_forked_workers_give_the_runs_of_a_fresh_worker_and_of_one_process(monkeypatch):
    """Where forking is safe (Linux, one thread) workers are forked, already holding
    clinicsim; elsewhere loky starts fresh ones. Either way, and in one process, the
    same runs come back in the same order. A forked pool's command never imports joblib
    (its package took about 55 ms to import, only for loky's pickler, before the workers
    could start), and its worker gets runs from the start, with no first task to answer
    (answered a moment after this process had started a run of its own, it left the
    worker idle through that run)."""
    import hashlib
    import subprocess

    from sim.experiment import replications as module

    forked = subprocess.run([sys.executable, "-c", _FORKED_RUNS], capture_output=True,
                            text=True, timeout=120, check=True).stdout.split()
    assert forked[0] == "concurrent.futures.process"  # the standard library's, forked
    assert forked[2] == "False"  # joblib never imported
    assert forked[3] == "_run_shipped"  # runs only: no first task to answer

    def digest(outs) -> str:
        return hashlib.sha256(repr([o.rows for o in outs]).encode()).hexdigest()

    scenario = load_scenario("default")
    calendar = module.run_calendar(scenario, weeks=1, warmup_weeks=0)
    here = list(module.iter_runs(scenario, range(2, 8), 5, calendar, jobs=1))
    monkeypatch.setattr(module, "POOL_START_S", 0.0)
    monkeypatch.setattr(module, "FORKED_POOL_START_S", 0.0)
    monkeypatch.setattr(module, "BATCH_S", 0.0)
    monkeypatch.setattr(module, "_POOL", {})
    monkeypatch.setattr(module, "_POOL_UP", set())
    monkeypatch.setattr(module, "forks_safely", lambda: False)
    try:
        fresh = list(module.iter_runs(scenario, range(2, 8), 5, calendar, jobs=2))
        assert "loky" in type(module._POOL[1]).__module__
    finally:
        module._drop_pool()
    assert forked[1] == digest(fresh) == digest(here)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
@pytest.mark.parametrize("stop, group, code", [("SIGKILL", False, -9), ("SIGINT", True, 130),
                                               ("SIGTERM", False, 143)])
def test_forked_workers_end_with_the_command(stop, group, code):
    """However ``clinicsim run -j 2`` ends (kill -9, Ctrl-C at the terminal, which reaches
    every process of its group, or SIGTERM), no forked worker is left behind; Ctrl-C and
    SIGTERM give their exit codes without a traceback."""
    import os
    import signal
    import time

    proc, workers = command_with_workers(["run", "case03", "-r", "400", "--weeks", "1",
                                          "--warmup-weeks", "0", "-j", "2"])
    assert workers, "the run never started a worker"
    time.sleep(0.5)  # the worker at work, its set-up done
    number = getattr(signal, stop)
    if group:
        os.killpg(proc.pid, number)
    else:
        os.kill(proc.pid, number)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code and "Traceback" not in err
    deadline = time.time() + 10
    while time.time() < deadline and any(live_parent(w) is not None for w in workers):
        time.sleep(0.05)
    assert not any(live_parent(w) is not None for w in workers)


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX signals")
@pytest.mark.parametrize("stop, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_stop_inside_an_import_gives_the_commands_exit_code(tmp_path, stop, code):
    """Ctrl-C or SIGTERM that comes while a module is being imported (the report code
    is imported while workers run): under ``python -m``, CPython ends a process by
    SIGINT once a plain KeyboardInterrupt has passed through ``exec`` of a string, as
    SciPy's imports run, even though the command caught it. The command's own stop
    keeps its exit code."""
    import signal
    import subprocess

    (tmp_path / "stop_in_exec.py").write_text(
        "import sys\n"
        "from sim import cli\n"
        "with cli._stop_on_signals() as terminated:\n"
        "    try:\n"
        f"        exec('import os, signal, time; os.kill(os.getpid(), signal.{stop}); "
        "time.sleep(30)')\n"
        "    except KeyboardInterrupt:\n"
        "        pass\n"
        "sys.exit(143 if terminated else 130)\n")
    proc = subprocess.run([sys.executable, "-m", "stop_in_exec"], cwd=tmp_path, timeout=60,
                          capture_output=True, text=True,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.returncode == code, proc.stderr


def test_workers_are_forked_only_from_a_single_thread():
    """A fork copies a lock another thread holds as held for ever: with a second thread
    running (a Jupyter kernel has several), workers start fresh."""
    import threading

    from sim.experiment.replications import forks_safely

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forks_safely()
    finally:
        stop.set()
        other.join()


def test_the_command_asks_openblas_for_one_thread_unless_told():
    """OpenBLAS starts a thread per core as it loads, and each spins waiting for work the
    command never gives it: ``clinicsim`` asks for one, keeping a number the user set."""
    from sim.cli import BLAS_THREADS, limit_blas_threads

    unset, told = {}, {"OPENBLAS_NUM_THREADS": "4"}
    limit_blas_threads(unset)
    limit_blas_threads(told)
    assert unset == {"OPENBLAS_NUM_THREADS": BLAS_THREADS}
    assert told == {"OPENBLAS_NUM_THREADS": "4"}


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="threads read from /proc")
def test_the_command_starts_no_blas_threads():
    """The ``clinicsim`` entry limits the threads before NumPy and SciPy load: where they
    start threads of their own, the command's process has none but its own."""
    import subprocess

    count = ("import os, numpy, scipy.special, scipy.stats; "
             "print(len(os.listdir('/proc/self/task')))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    plain = subprocess.run([sys.executable, "-c", count], env=env, capture_output=True,
                           text=True, check=True)
    if int(plain.stdout) == 1:
        pytest.skip("NumPy and SciPy start no threads here: nothing to limit")
    entry = ("import sim.cli as cli; cli.main = lambda: 0; cli.console(); " + count)
    limited = subprocess.run([sys.executable, "-c", entry], env=env, capture_output=True,
                             text=True, check=True)
    assert int(limited.stdout) == 1


def test_common_random_numbers_same_patients_whatever_the_staffing():
    """The same seed brings the same new needs (who, what, when) whatever the staffing;
    only what the practice does with them (and the follow-ups that creates) differs."""
    base, more = load_scenario("default"), scenario_with(staff__nurse__count=4)
    ca = contacts_table(simulate_day(base, 3, 0))
    cb = contacts_table(simulate_day(more, 3, 0))
    cols = ["channel", "contact_type", "t_arise", "patient"]
    exogenous = ("phone", "inbox", "walk_in", "home_visit", "planned")
    arrivals = lambda c: c[c.channel.isin(exogenous)][cols].sort_values(cols)  # noqa: E731
    pd.testing.assert_frame_equal(arrivals(ca).reset_index(drop=True),
                                  arrivals(cb).reset_index(drop=True))


def test_more_phone_staff_never_makes_phone_waits_worse():
    two = load_scenario("default")
    three = scenario_with(staff__secretary__count=3)
    a = run_replications(two, replications=15, seed=2)
    b = run_replications(three, replications=15, seed=2)
    for metric in ("phone_wait_mean_min", "abandonment_rate"):
        x, y = paired(a, b, metric)
        low, high = paired_ci(y - x)
        assert high < 0, (metric, low, high)


# --- delegation and routing -----------------------------------------------------------------


def test_low_delegation_keeps_doctor_types_with_doctors():
    scenario = scenario_with(delegation__degree="low")
    # three weeks: the nurse's types at low delegation are mostly booked ahead (reviews)
    contacts, _, _ = tables(scenario, days=15)
    routes = scenario.delegation.routes["low"]
    by_nurse = contacts[(contacts.seen_by == "nurse") & (contacts.outcome == "consulted")]
    assert len(by_nurse) > 0
    for ctype in by_nurse.contact_type.unique():
        assert "nurse" in routes[ctype], ctype
    doctor_only = [t for t, roles in routes.items() if "nurse" not in roles]
    assert not by_nurse.contact_type.isin(doctor_only).any()


def test_higher_delegation_moves_consultations_to_nurses_and_adds_supervision():
    results = {d: run_replications(scenario_with(delegation__degree=d), replications=8, seed=4)
               for d in ("low", "high")}
    low, high = paired(results["low"], results["high"], "nonphysician_consult_share")
    assert (high - low).mean() > 0.1
    low, high = paired(results["low"], results["high"], "time_use_min", "gp", "supervising")
    assert paired_ci(high - low)[0] > 0


def test_lowest_competent_level_first():
    # High delegation: the acute route is nurse, trainee, gp. With fewer same-day needs
    # than nurse acute slots, booking the lowest competent level first puts them all in
    # the nurses' 13-14 slots, though the GPs' slots are earlier; booking the earliest
    # slot fills the GPs' slots first. Same patients in both.
    def nurse_share(prefer: str) -> float:
        contacts, _, _ = tables(scenario_with(delegation__degree="high", acute__prefer=prefer,
                                              demand__phone__per_patient_year=1.0), days=1)
        acute = contacts[(contacts.contact_type == "acute") & contacts.same_day &
                         (contacts.outcome == "consulted")]
        return (acute.seen_by == "nurse").mean()

    lowest, earliest = nurse_share("lowest_level"), nurse_share("earliest")
    assert lowest > 0.9 and earliest < 0.5, (lowest, earliest)


# --- supervision --------------------------------------------------------------------------


def test_supervision_minutes_show_up_in_doctors_time():
    _, staff, tasks = tables(load_scenario("default"))
    answered = tasks[tasks.kind.isin(["question", "message"])]  # incl. callers not held
    assert len(answered) > 0 and set(answered.role) == {"gp"}
    supervising = minutes(staff, "gp", "supervising")
    assert supervising == pytest.approx((answered.t1 - answered.t0).sum())
    assert minutes(staff, "nurse", "being_supervised") >= supervising * 0.5


def test_no_questions_no_supervision():
    scenario = scenario_with(supervision__questions={}, supervision__triage_questions={})
    _, staff, _ = tables(scenario)
    assert minutes(staff, "gp", "supervising") == 0
    assert minutes(staff, "nurse", "being_supervised") == 0


def test_interrupting_a_doctor_shortens_the_nurses_wait():
    wait = run_replications(load_scenario("default"), replications=8, seed=3)
    interrupt = run_replications(scenario_with(supervision__mode="interrupt"),
                                 replications=8, seed=3)
    a, b = paired(wait, interrupt, "time_use_min", "nurse", "being_supervised")
    assert b.mean() < a.mean()


def test_joint_consultations_take_doctor_time():
    scenario = scenario_with(supervision__joint={"nurse": 0.3}, supervision__questions={},
                             supervision__triage_questions={})
    _, staff, tasks = tables(scenario)
    joint = tasks[tasks.kind == "joint"]
    assert len(joint) > 0 and set(joint.role) == {"gp"}
    assert minutes(staff, "gp", "supervising") == pytest.approx((joint.t1 - joint.t0).sum())


def test_scheduled_supervision_block_counts_for_both_sides():
    data = raw("default")
    data["staff"]["nurse"]["blocks"].append({"kind": "supervision", "start": "14:00",
                                             "end": "14:30"})
    data["staff"]["gp"]["blocks"][-1] = {"kind": "supervision", "start": "15:00", "end": "15:30"}
    data["staff"]["gp"]["blocks"].append({"kind": "acute", "start": "15:30", "end": "16:00"})
    data["supervision"]["questions"] = {}
    data["supervision"]["triage_questions"] = {}
    data["notes"]["share_of_consultation"] = {}  # consultations end on time for the block
    _, staff, _ = tables(scenario_from_dict(data), seeds=[0], days=1)
    assert minutes(staff, "nurse", "being_supervised") == pytest.approx(3 * 30, abs=31)
    assert minutes(staff, "gp", "supervising") == pytest.approx(2 * 30, abs=31)


def test_floor_doctor_answers_questions():
    """A doctor on the floor has no patients booked and takes every question at once."""
    data = raw("default")
    for kind in ("planned", "acute", "admin"):
        data["block_kinds"][kind]["serves"] = [
            w for w in data["block_kinds"][kind]["serves"] if w != "question"]
    data["staff"]["gp_visiting"]["blocks"] = [
        {"kind": "floor", "start": "08:00", "end": "12:00"},
        {"kind": "lunch", "start": "12:00", "end": "12:30"},
        {"kind": "floor", "start": "12:30", "end": "16:00"}]
    _, staff, tasks = tables(scenario_from_dict(data))
    answered = tasks[tasks.kind == "question"]
    during_floor = answered[(answered.t0 < 12 * 60)
                            | ((answered.t0 >= 12.5 * 60) & (answered.t0 < 16 * 60))]
    assert len(during_floor) > 0 and set(during_floor.staff_id) == {"gp_visiting"}


def test_escalation_ladder_questions_go_to_lowest_supervising_level_above():
    data = raw("default")
    data["roles"]["gp_junior"] = dict(data["roles"]["gp"], level=3, label="younger GP")
    data["roles"]["trainee"]["level"] = 2
    data["roles"]["nurse"]["level"] = 1
    data["staff"]["gp_junior"] = dict(data["staff"]["gp"], role="gp_junior", count=1)
    for ctype in ("acute", "follow_up", "chronic_review", "mental_health", "certificate",
                  "child_exam", "pregnancy", "econsult", "musculoskeletal", "home_visit",
                  "correspondence", "prescription"):
        if "gp" in data["contact_types"][ctype]["durations"]:
            data["contact_types"][ctype]["durations"]["gp_junior"] = \
                data["contact_types"][ctype]["durations"]["gp"]
            for routes in data["delegation"]["routes"].values():
                if ctype in routes and "gp" in routes[ctype]:
                    routes[ctype] = [r for r in routes[ctype] if r != "gp"] + ["gp_junior", "gp"]
    _, _, tasks = tables(scenario_from_dict(data))
    answered = tasks[tasks.kind == "question"]
    assert (answered.role == "gp_junior").sum() > 0
    assert (answered.role == "gp_junior").mean() > 0.2


# --- demand channels --------------------------------------------------------------------------


def test_phone_abandonment_follows_patience():
    patient = scenario_with(demand__phone__patience={"dist": "exponential", "mean": 60})
    impatient = scenario_with(demand__phone__patience={"dist": "exponential", "mean": 0.5})
    a = run_replications(patient, replications=5, seed=1)
    b = run_replications(impatient, replications=5, seed=1)
    x, y = paired(a, b, "abandonment_rate")
    assert (y > x).all()


def test_calls_arrive_only_in_phone_windows_and_peak_at_opening():
    contacts, _, _ = tables(load_scenario("default"), seeds=range(5))
    calls = contacts[contacts.channel == "phone"]
    assert calls.t_arise.between(8 * 60, 12 * 60).all()
    first_hour = (calls.t_arise < 9 * 60).mean()
    assert first_hour == pytest.approx(0.40, abs=0.08)


def test_demand_scales_with_list_size_and_patient_mix():
    small = run_replications(scenario_with(population__list_size=3000), replications=5, seed=1)
    old = run_replications(scenario_with(population__share_70plus=0.32), replications=5, seed=1)
    base = run_replications(load_scenario("default"), replications=5, seed=1)
    mean = lambda r: overall(r.summary()).set_index("metric").loc["contacts_arisen", "mean"]  # noqa: E731
    assert mean(small) == pytest.approx(mean(base) / 2, rel=0.1)
    assert mean(old) > mean(base) * 1.1


def test_walk_in_window_serves_walk_ins():
    data = raw("default")
    data["demand"]["walk_in"]["per_patient_year"] = 1.0
    data["demand"]["walk_in"]["profile"] = [{"start": "08:00", "end": "09:00"}]
    data["staff"]["gp"]["blocks"][0] = {"kind": "open", "start": "08:00", "end": "09:00"}
    contacts, _, _ = tables(scenario_from_dict(data))
    walk = contacts[contacts.channel == "walk_in"]
    assert len(walk) > 0
    assert (walk.outcome == "consulted").all()
    assert walk.t_arise.between(8 * 60, 9 * 60).all()


def test_walk_ins_can_be_squeezed_between_bookings():
    data = raw("default")
    data["demand"]["walk_in"]["per_patient_year"] = 0.5
    data["demand"]["walk_in"]["profile"] = [{"start": "08:00", "end": "16:00"}]
    data["block_kinds"]["planned"]["serves"] = ["booked", "question", "walk_in", "inbox"]
    contacts, _, tasks = tables(scenario_from_dict(data))
    walk = contacts[contacts.channel == "walk_in"]
    assert len(walk) > 0 and (walk.outcome == "consulted").mean() > 0.95


def test_inbox_is_worked_in_gaps_and_admin_blocks():
    contacts, staff, tasks = tables(load_scenario("default"))
    inbox = contacts[contacts.channel == "inbox"]
    assert set(inbox.outcome) <= {"inbox_handled", "carried_over"}
    assert (inbox.outcome == "inbox_handled").mean() > 0.8
    assert minutes(staff, "secretary", "inbox_admin") > 0
    assert set(tasks[tasks.kind == "inbox"].role) >= {"secretary", "nurse"}


def test_inbox_left_at_closing_is_carried_over_or_done_in_overtime():
    flood = dict(demand__e_consultations__per_patient_year=30.0)
    carry = tables(scenario_with(**flood), seeds=[0])[0]
    assert (carry[carry.channel == "inbox"].outcome == "carried_over").sum() > 0
    overtime = tables(scenario_with(end_of_day__inbox="overtime", **flood), seeds=[0])
    inbox = overtime[0][overtime[0].channel == "inbox"]
    assert (inbox.outcome == "inbox_handled").all()
    assert (overtime[1].drop_duplicates("staff_id").overtime_min > 0).any()


def test_planned_bookings_with_no_shows():
    every = {d: 1.0 for d in ("mon", "tue", "wed", "thu", "fri")}
    contacts, _, _ = tables(scenario_with(booking__no_show_by_weekday=every), days=4)
    planned = contacts[contacts.channel == "planned"]
    assert set(planned.outcome) <= {"no_show", "booked_after_run"}
    assert (planned.outcome == "no_show").sum() > 0
    none = tables(scenario_with(booking__no_show_by_weekday={}), days=4)[0]
    assert (none.outcome == "no_show").sum() == 0


def test_planned_needs_arrive_on_their_day_or_are_turned_away():
    """A request books a later day's slot and is seen that day; with more requests than
    the book holds within its horizon, the rest are turned away, never dropped."""
    contacts, _, _ = tables(scenario_with(demand__planned__per_patient_year=8.0,
                                          booking__horizon_days=3), seeds=[0], days=6)
    planned = contacts[contacts.channel == "planned"]
    seen = planned[planned.outcome == "consulted"]
    assert len(seen) > 50 and (seen.day > seen.day_arise).all()
    assert (planned.outcome == "turned_away").sum() > 0


# --- acute slots ---------------------------------------------------------------------------


def test_acute_slots_are_reserved_by_role_and_time_window():
    contacts, _, tasks = tables(load_scenario("default"), event_log=False)
    same_day = contacts[contacts.same_day & (contacts.outcome == "consulted")]
    nurse = same_day[same_day.seen_by == "nurse"]
    # nurses' acute slots are 13:00-14:00 (default scenario); booked patients start then
    assert (nurse.t_seen >= 13 * 60).mean() > 0.8


def test_unused_acute_time_is_released_to_other_work():
    scenario = scenario_with(demand__phone__per_patient_year=0.5)
    _, _, tasks = tables(scenario)
    gp_morning = tasks[(tasks.staff_id == "gp-1") & (tasks.t0 < 9 * 60)]
    assert (gp_morning.kind == "inbox").any()


@pytest.mark.parametrize("overflow", ["squeeze_in", "overtime", "next_day"])
def test_acute_overflow_policy(overflow):
    data = raw("default")
    data["demand"]["phone"]["per_patient_year"] = 12.0
    data["acute"]["overflow"] = overflow
    contacts, staff, _ = tables(scenario_from_dict(data), seeds=[0, 1], days=2)
    phone = contacts[(contacts.channel == "phone") & (contacts.outcome == "consulted")]
    same_day = phone[phone.same_day]
    assert len(same_day) > 0
    if overflow == "overtime":
        late = same_day[same_day.t_seen >= 16 * 60]
        assert len(late) > 0
        assert staff.drop_duplicates(["replication", "day", "staff_id"]).overtime_min.sum() > 0
    if overflow == "next_day":  # booked the next working day, not seen late
        assert (phone.day > phone.day_arise).sum() > 0


# --- home visits, teams, end of day -----------------------------------------------------------


def test_home_visits_include_travel():
    scenario = scenario_with(triage__outcomes__secretary={
        "resolved_on_phone": 0.2, "same_day": 0.3, "booked_later": 0.3, "e_consultation": 0.0,
        "home_visit": 0.2, "referred": 0.0})
    contacts, staff, tasks = tables(scenario)
    visits = tasks[tasks.kind == "home_visit"]
    assert len(visits) > 0
    assert (visits.t1 - visits.t0).mean() > 11.8 + 23.9 * 0.8
    by_gp = visits[visits.role == "gp"]
    assert minutes(staff, "gp", "home_visits") == pytest.approx((by_gp.t1 - by_gp.t0).sum())


def test_teams_route_work_within_the_team_first():
    """With idle nurses in both teams, a walk-in goes to a nurse of the patient's team."""
    data = raw("default")
    data["population"]["teams"] = {"a": 0.5, "b": 0.5}
    nurse = data["staff"].pop("nurse")
    open_day = [{"kind": "open", "start": "08:00", "end": "12:00"}]
    data["staff"]["nurse_a"] = dict(nurse, count=2, team="a", blocks=open_day)
    data["staff"]["nurse_b"] = dict(nurse, count=2, team="b", blocks=open_day)
    for stream in ("planned", "e_consultations", "correspondence", "prescriptions"):
        data["demand"][stream]["per_patient_year"] = 0.0
    data["demand"]["walk_in"].update(per_patient_year=0.5, mix={"follow_up": 1.0},
                                     profile=[{"start": "08:00", "end": "12:00"}])
    data["supervision"]["questions"] = {}
    data["delegation"]["routes"]["medium"]["follow_up"] = ["nurse"]
    contacts, _, tasks = tables(scenario_from_dict(data))
    merged = tasks[tasks.kind == "consult"].merge(
        contacts[["replication", "contact_id", "team", "channel"]],
        on=["replication", "contact_id"])
    walk = merged[merged.channel == "walk_in"]
    assert len(walk) > 20
    assert (walk.staff_id.str[6] == walk.team).mean() > 0.9


def test_staff_finish_the_patient_in_hand_and_overtime_is_recorded():
    data = raw("default")
    data["demand"]["phone"]["per_patient_year"] = 12.0
    contacts, staff, tasks = tables(scenario_from_dict(data), seeds=[0], days=1)
    people = staff.drop_duplicates("staff_id").set_index("staff_id")
    for sid, person in people.iterrows():
        own = tasks[tasks.staff_id == sid]
        if len(own):
            assert own.t1.max() <= person.left + 1e-9
            assert person.overtime_min == pytest.approx(max(0.0, person.left - person.end))
    assert people.overtime_min.sum() > 0


@pytest.mark.parametrize("policy", ["carry_over", "overtime"])
def test_end_of_day_policy_for_waiting_patients(policy):
    """Walk-ins still waiting at closing are carried over, or seen in overtime."""
    data = raw("default")
    data["demand"]["walk_in"].update(per_patient_year=3.0, mix={"follow_up": 1.0},
                                     profile=[{"start": "15:00", "end": "16:00"}])
    data["end_of_day"]["patients"] = policy
    contacts, staff, _ = tables(scenario_from_dict(data), seeds=[0, 1], days=2)
    walk = contacts[contacts.channel == "walk_in"]
    if policy == "carry_over":  # booked for the next working day
        seen = walk[walk.outcome == "consulted"]
        assert (seen.day > seen.day_arise).sum() > 0
        today = walk[walk.day == walk.day_arise]
        assert not (today.t_seen >= 16 * 60).any()  # none kept waiting into overtime
    else:
        assert (walk.outcome == "consulted").all()
        assert (walk.t_seen >= 16 * 60).any()
        assert staff.drop_duplicates(["replication", "staff_id"]).overtime_min.sum() > 0


# --- accounting ----------------------------------------------------------------------------------


def test_time_use_adds_up_to_hours_plus_overtime():
    _, staff, _ = tables(load_scenario("default"))
    per_person = staff.groupby(["replication", "day", "staff_id"]).agg(
        total=("minutes", "sum"), start=("start", "first"), end=("end", "first"),
        overtime=("overtime_min", "first"))
    expected = per_person.end - per_person.start + per_person.overtime
    np.testing.assert_allclose(per_person.total, expected, atol=1e-6)


def test_each_persons_minutes_come_in_the_order_of_activities():
    """The metrics sum a person's minutes by position (sim.metrics.RunMetrics, StaffTime):
    every day's record of a person's time lists every activity, in ACTIVITIES order."""
    from sim.scenario.schema import ACTIVITIES

    for name in ("default", "case09"):
        model = CompiledScenario(load_scenario(name))
        calendar = RunCalendar(model.scenario.calendar, days=5, warmup_days=0)
        days = list(simulate_run(model, 1, 0, calendar))
        assert days and all(records.staff for records in days)
        for records in days:
            for person in records.staff:
                assert tuple(person[-1]) == ACTIVITIES


def test_every_contact_has_exactly_one_outcome_over_a_run():
    from sim.metrics import RunMetrics

    model = CompiledScenario(load_scenario("default"))
    calendar = RunCalendar(model.scenario.calendar, days=10, warmup_days=0)
    run = list(simulate_run(model, 1, 0, calendar))
    ids = [c[0] for rec in run for c in rec.contacts + rec.after_run]
    arisen = sum(rec.arisen for rec in run)
    assert len(ids) == len(set(ids)) == arisen > 0
    metrics = RunMetrics(model, calendar.weekdays)
    for rec in run:
        metrics.add(rec)
    rows = {(m, r, a, w): (v, wt) for m, r, a, w, v, wt in metrics.rows()}
    total = sum(v * (10 if wt == 10 else 1) for (m, _, _, w), (v, wt) in rows.items()
                if m.startswith("outcome_") and w is None)
    assert total == pytest.approx(arisen)


def test_a_runs_percentiles_are_numpys_to_the_last_bit():
    """The 90th percentiles of a run's waits are computed by hand, with the float
    operations of NumPy's default method: the same bits as ``numpy.percentile`` for any
    number of values, ties, whole days and the two ends of the interpolation."""
    from sim.metrics import percentile

    rng = np.random.default_rng(3)
    samples = [rng.exponential(4.0, n) for n in (1, 2, 3, 7, 10, 11, 21, 99, 300, 1001)]
    samples += [rng.integers(0, 15, n).astype(float) for n in (1, 5, 40, 333)]
    samples += [np.full(6, 2.5), np.array([0.1, 0.2, 0.30000000000000004, 1e-300])]
    for values in samples:
        ordered = np.sort(values)
        for q in (0, 1, 10, 25, 50, 89, 90, 95, 99, 100):
            mine = percentile(len(ordered), q, ordered.__getitem__)
            assert mine == float(np.percentile(values, q)), (len(values), q)


def test_the_planned_wait_percentile_reads_the_counted_waits():
    """A run counts its planned waits by whole days; the percentile over the counts is the
    percentile over every wait."""
    from sim.metrics import RunMetrics

    model = CompiledScenario(load_scenario("default"))
    metrics = RunMetrics(model, ("mon",))
    waits = [0, 0, 1, 3, 3, 3, 4, 9, 12, 2, 2, 30]
    for wait in waits:
        metrics.planned_waits[wait] = metrics.planned_waits.get(wait, 0) + 1
    assert metrics._planned_p90() == float(np.percentile(np.array(waits, dtype=float), 90))


def test_a_trend_is_the_exact_slope_rounded_once():
    """A stock's trend is its least-squares slope worked out in whole numbers and rounded
    once; here the numerator is past 2^53, where dividing two doubles rounds twice."""
    from fractions import Fraction

    from sim.metrics import RunMetrics

    metrics = RunMetrics(CompiledScenario(load_scenario("default")),
                         ("mon", "tue", "wed", "thu", "fri"))
    series = [(0, 125923660425467411), (1, 80285825831741558), (2, 80557958297454195),
              (3, 54666213845656185)]
    exact = float(Fraction(-2135002072737210410, 20))
    assert float(-2135002072737210410) / 20.0 != exact  # the case tells the two apart
    assert metrics._trend(series) == exact


def test_a_runs_rows_come_sorted_in_an_order_kept_until_a_new_cell_is_made():
    """A run's rows are sorted by metric, role, activity and weekday (None first); the
    order is worked out once for a set of cells, again when a run makes a new one, and
    leaves out the cells that only add to another (a weekday's by activity or role)."""
    from sim.metrics import RUN_METRICS, Cell, MetricCells

    def by_key(key):
        return tuple("" if part is None else part for part in key)

    cells = MetricCells()
    keys = [("b", None, None, None), ("a", "gp", None, "mon"), ("a", None, None, None),
            ("a", "gp", None, None), ("a", None, "phone", None), ("c", None, None, "fri"),
            ("utilisation", "gp", None, "tue"), ("a", None, "phone", "mon")]
    for key in keys:
        cells.sums[key] = Cell()
    giving = [k for k in keys if k not in (("a", "gp", None, "mon"), ("a", None, "phone", "mon"))]
    whole = [(m, None, None, None) for m in RUN_METRICS]
    first = cells.in_row_order()
    assert [k for k, _ in first] == sorted(giving + whole, key=by_key)
    assert cells.in_row_order() is first  # kept
    cells.sums[("a0", None, None, None)] = Cell()
    assert [k for k, _ in cells.in_row_order()] == sorted(
        giving + whole + [("a0", None, None, None)], key=by_key)

    model = CompiledScenario(load_scenario("default"))
    calendar = RunCalendar(model.scenario.calendar, days=5, warmup_days=0)
    from sim.metrics import RunMetrics

    metrics = RunMetrics(model, calendar.weekdays)
    for rec in simulate_run(model, 1, 0, calendar):
        metrics.add(rec)
    rows = metrics.rows()
    assert rows == sorted(rows, key=lambda r: by_key(r[:4])) and len(rows) > 100


def test_a_runs_cells_go_to_the_next_run_and_give_only_the_rows_it_looked_up():
    """A run's metric cells are zeroed for the scenario's next run rather than made afresh;
    the next run's rows are those a run making its cells afresh gives, though it looks up
    fewer cells (here one weekday's, not five); a run's metrics end with its rows."""
    from sim.metrics import RunMetrics, _setup_of

    model = CompiledScenario(load_scenario("default"))
    calendar = RunCalendar(model.scenario.calendar, days=5, warmup_days=0)
    days = list(simulate_run(model, 1, 0, calendar))
    _setup_of(model).spare_cells.clear()

    def rows_of(records):
        metrics = RunMetrics(model, calendar.weekdays)
        for rec in records:
            metrics.add(rec)
        return metrics, metrics.rows()

    week, week_rows = rows_of(days)
    with pytest.raises(RuntimeError, match="rows are read"):
        week.add(days[0])
    kept = _setup_of(model).spare_cells[-1]
    monday = RunMetrics(model, calendar.weekdays)
    assert monday.cells is kept  # the week's cells, zeroed
    monday.add(days[0])
    monday_rows = monday.rows()
    _setup_of(model).spare_cells.clear()
    afresh, afresh_rows = rows_of(days[:1])
    # (as text: a nan is equal to itself only as the same object, as the interpreted
    # engine's may be and the compiled engine's are not)
    assert afresh.cells is None and repr(afresh_rows) == repr(monday_rows)
    assert {r[3] for r in monday_rows} == {None, days[0].day.name}
    assert len(week_rows) > len(monday_rows)


def test_event_log_is_off_by_default_and_complete_when_on():
    scenario = load_scenario("default")
    assert simulate_day(scenario, 1, 0).events is None
    rec = simulate_day(scenario, 1, 0, event_log=True)
    events = pd.DataFrame(rec.events, columns=["time", "contact_id", "event", "staff_id"])
    assert (events.event == "arise").sum() == rec.arisen
    from sim.engine.contacts import AFTER_RUN, OUTCOMES

    finals = events[events.event.isin([o for o in OUTCOMES if o not in AFTER_RUN])]
    assert finals.contact_id.is_unique
    assert len(finals) + len(rec.after_run) == rec.arisen
    assert events.time.is_monotonic_increasing


# --- remaining workflow elements ---------------------------------------------------------------


def test_who_triages_changes_the_outcome():
    """A GP on the phone resolves more calls there than a secretary (model spec)."""
    data = raw("default")
    data["staff"]["gp"]["blocks"][0] = {"kind": "phone", "start": "08:00", "end": "09:00"}
    data["staff"]["secretary"]["blocks"][0] = {"kind": "phone", "start": "09:00",
                                               "end": "12:00"}
    data["staff"]["secretary"]["blocks"].insert(0, {"kind": "admin", "start": "08:00",
                                                    "end": "09:00"})
    contacts, _, tasks = tables(scenario_from_dict(data), seeds=range(6))
    calls = tasks[tasks.kind == "call"].merge(contacts, on=["replication", "contact_id"])
    resolved = calls.groupby("role").outcome.apply(lambda o: (o == "resolved_on_phone").mean())
    assert resolved["gp"] > resolved["secretary"] + 0.1


def test_nursing_home_round_is_home_visit_time():
    data = raw("default")
    data["staff"]["gp_visiting"]["blocks"][1] = {"kind": "nursing_home", "start": "10:30",
                                                 "end": "12:00"}
    _, staff, _ = tables(scenario_from_dict(data), seeds=[0])
    person = staff[staff.staff_id == "gp_visiting"]
    assert person[person.activity == "home_visits"].minutes.sum() >= 90


def test_buffer_time_absorbs_squeeze_ins():
    data = raw("default")
    data["demand"]["phone"]["per_patient_year"] = 10.0
    data["staff"]["secretary"]["count"] = 4  # answer enough calls to overflow acute slots
    data["block_kinds"]["planned"]["serves"] = ["booked", "question", "inbox"]
    data["staff"]["gp"]["blocks"][-1] = {"kind": "buffer", "start": "15:00", "end": "16:00"}
    contacts, _, tasks = tables(scenario_from_dict(data), seeds=[0, 1])
    squeezed = tasks[(tasks.kind == "consult") & tasks.staff_id.str.startswith("gp-")
                     & (tasks.t0 >= 15 * 60) & (tasks.t0 < 16 * 60)]
    assert len(squeezed) > 0


def test_home_visit_requests_as_their_own_channel():
    data = raw("default")
    data["demand"]["home_visit_requests"] = {
        "channel": "home_visit", "per_patient_year": 0.3, "mix": {"home_visit": 1.0},
        "profile": [{"start": "08:00", "end": "10:00"}]}
    contacts, _, _ = tables(scenario_from_dict(data), seeds=[0])
    visits = contacts[contacts.channel == "home_visit"]
    assert len(visits) > 0 and set(visits.outcome) <= {"home_visit", "carried_over"}


def test_group_consultation_is_a_planned_nurse_session():
    data = raw("default")
    data["demand"]["planned"]["mix"] = {"group_consultation": 0.05, "follow_up": 0.95}
    data["staff"]["nurse"]["blocks"].append({"kind": "planned", "start": "14:00",
                                             "end": "15:30", "slot_min": 90})
    contacts, _, tasks = tables(scenario_from_dict(data), seeds=range(4), days=5)
    group = contacts[(contacts.contact_type == "group_consultation")
                     & (contacts.outcome == "consulted")]
    assert len(group) > 0 and set(group.seen_by) == {"nurse"}


def test_overall_metric_list_matches_what_a_run_reports():
    from sim.metrics import OVERALL_METRICS

    results = run_replications(load_scenario("default"), 1, 1, weeks=1)
    m = results.metrics
    overall = set(m[m.role.isna() & m.activity.isna() & m.weekday.isna()].metric)
    assert overall == set(OVERALL_METRICS)


def test_a_contacts_random_draws_do_not_depend_on_how_many_arrive():
    from sim.rng import RandomStreams

    few = RandomStreams(4, 2).contact_draws("phone", 3).tolist()
    many = RandomStreams(4, 2).contact_draws("phone", 300).tolist()
    assert many[:3] == few


def test_decision_rows_are_the_same_whatever_the_blocks():
    """Rows are drawn ahead in blocks: taking them a few or many at a time, across block
    ends, gives the rows each decision's own stream gives in one call."""
    import numpy as np

    from sim.draws import MAX_BLOCK_ROWS
    from sim.rng import CONTACT_DRAWS, RandomStreams

    streams = RandomStreams(4, 2)
    sizes = [1, 0, 63, 2, 200, MAX_BLOCK_ROWS + 5, 7, 3 * MAX_BLOCK_ROWS]
    taken = np.vstack([streams.contact_draws("phone", n) for n in sizes])
    fresh = RandomStreams(4, 2)
    whole = np.column_stack([fresh.generator(f"contacts.phone.{d}").random(sum(sizes))
                             for d in CONTACT_DRAWS])
    assert taken.shape == (sum(sizes), len(CONTACT_DRAWS))
    assert np.array_equal(taken, whole)
    # single uniforms: the stream's own sequence across blocks too
    ahead = streams.uniforms("phone.redial")
    one_by_one = [ahead.next() for _ in range(3 * MAX_BLOCK_ROWS)]
    assert one_by_one == fresh.generator("phone.redial").random(3 * MAX_BLOCK_ROWS).tolist()


def test_adding_a_nurse_does_not_raise_same_day_misses():
    """Under common random numbers, one more nurse never makes same-day access worse
    beyond noise; where nurses hold the acute slots that are short, it improves it."""
    busy = dict(delegation__degree="high", acute__overflow="next_day",
                demand__phone__per_patient_year=6.0, staff__secretary__count=3)
    three = run_replications(scenario_with(**busy), replications=12, seed=8)
    four = run_replications(scenario_with(staff__nurse__count=4, **busy), replications=12,
                            seed=8)
    x, y = paired(three, four, "acute_same_day_rate")
    low, high = paired_ci(y - x)
    assert (y - x).mean() > 0 and low > -0.01, (low, high)


def test_a_finished_day_frees_itself_without_the_cycle_collector():  # noqa: D103
    """Loops keep the collector paused across days, so a day must not leave cycles."""
    import gc

    from sim.engine import collector_paused

    model = CompiledScenario(load_scenario("default"))
    simulate_day(model, 1, 0)
    gc.collect()
    with collector_paused():
        for r in range(20):
            simulate_day(model, 1, r)
        leftover = gc.collect()
    assert leftover < 200, f"{leftover} objects in reference cycles after 20 days"
    assert gc.isenabled()


def test_finished_runs_leave_no_reference_cycles():
    """A whole run frees itself too (its days, the SimPy environments, the book), so the
    memory of a long command is flat in runs with the collector paused."""
    import gc

    from sim.experiment.replications import run_calendar, run_one

    model = CompiledScenario(load_scenario("default"))
    calendar = run_calendar(model.scenario, weeks=1, warmup_weeks=0)
    run_one(model, 1, 0, calendar, keep_days=False)
    gc.collect()
    gc.disable()
    try:
        for r in range(5):
            run_one(model, 1, r, calendar, keep_days=False)
        leftover = gc.collect()
    finally:
        gc.enable()
    assert leftover == 0, f"{leftover} objects in reference cycles after 5 runs"


def test_work_arriving_the_instant_a_block_ends_goes_to_someone_awake():
    """Fixed durations make events coincide: a nurse's 20-minute consultations end at
    09:00 exactly, when the GPs' acute block ends too, and every consultation ends with a
    question. The question must not be handed to a GP whose block-end timer has already
    woken them in that same instant."""
    data = raw("default")
    for stream in data["demand"].values():
        stream["per_patient_year"] = 0.0
    data["demand"]["planned"].update(per_patient_year=6.0, mix={"follow_up": 1.0})
    data["booking"]["no_show_by_weekday"] = {}
    data["reviews"] = None
    data["follow_ups"]["after_same_day"] = {}
    data["notes"]["share_of_consultation"] = {}  # exactly 20 minutes a consultation
    data["contact_types"]["follow_up"]["durations"]["nurse"] = {"dist": "fixed", "value": 20}
    data["delegation"]["routes"]["medium"]["follow_up"] = ["nurse"]
    data["supervision"]["questions"] = {"nurse": 1.0}
    data["supervision"]["question_duration"] = {"dist": "fixed", "value": 0}
    data["staff"]["gp_visiting"]["count"] = 0  # both GPs' acute blocks end at 09:00
    model = CompiledScenario(scenario_from_dict(data))
    for r in range(3):  # planned patients come from the second day on (booked ahead)
        run = list(simulate_run(model, 1, r, RunCalendar(model.scenario.calendar, days=2,
                                                         warmup_days=0)))
        check_conservation(run)
        assert any(kind == "question" and t0 == 9 * 60 for _, kind, _, t0, _ in run[1].tasks)


def test_rows_are_the_same_whatever_the_first_block_and_however_taken():
    """A demand stream asks for its run's rows in its first block, and takes them a chunk
    of days at a time: the same draws whatever the first block's size and the chunks."""
    import numpy as np

    from sim.draws import MAX_BLOCK_ROWS
    from sim.rng import RandomStreams

    sizes = [1, 0, 63, 2, 200, MAX_BLOCK_ROWS + 5, 7, 3 * MAX_BLOCK_ROWS]
    expected = RandomStreams(4, 2).contact_draws("phone", sum(sizes))
    for first in (1, 64, 300, 10 * MAX_BLOCK_ROWS):
        rows = RandomStreams(4, 2).decision_rows("phone", first)
        assert np.array_equal(np.vstack([rows.take(n) for n in sizes]), expected)


def test_a_contact_reads_its_own_row_of_the_flat_draws():
    """Contacts keep their day's rows of decision draws as one vector of doubles, 8 bytes
    a draw (a waiting inbox item holds them for weeks), and where their own row starts:
    each reads the same floats, bit for bit, as its row of the draws."""
    import numpy as np

    from sim.engine.contacts import Contact
    from sim.engine.demand import ROW, flat_rows
    from sim.rng import CONTACT_DRAWS
    draws = np.random.default_rng(2).random((7, len(CONTACT_DRAWS)))
    flat = flat_rows(draws)
    held = memoryview(flat)
    assert (held.format, held.nbytes) == ("d", 7 * ROW * 8)
    for i, row in enumerate(draws.tolist()):
        c = Contact(i, "phone", "acute", None, 0, 0.0, flat, i * ROW, i, None)
        assert [c.draw(k) for k in range(ROW)] == row
    assert len(flat_rows(np.empty((0, ROW)))) == 0


def test_contacts_the_run_makes_read_their_rows_in_order_across_pieces():
    """A follow-up's or review's row comes from its source's rows in order, across the
    pieces (of fewer than 256 draws) and the blocks they are cut from."""
    from sim.engine.contacts import Contact
    from sim.engine.demand import PIECE, ROW
    from sim.engine.run import ROW_BLOCK, RowSource
    from sim.rng import RandomStreams

    assert PIECE % ROW == 0 and PIECE + ROW > 256 >= PIECE
    n = 3 * ROW_BLOCK + 5
    expected = RandomStreams(4, 2).decision_rows("follow_up").take(n).tolist()
    source = RowSource(RandomStreams(4, 2), "follow_up")
    for i in range(n):
        pieces = source.pieces()
        at = pieces.next()
        c = Contact(i, "follow_up", "acute", None, 0, 0.0, pieces.rows, at, i, None)
        assert [c.draw(k) for k in range(ROW)] == expected[i]
        assert len(pieces.rows) <= PIECE


def test_a_model_pickled_after_runs_leaves_its_id_keyed_caches_behind():
    """Runs fill the model's caches; two are keyed by the ids of this process's objects
    (the slots laid out for a day's people, the people in a meeting), which in a worker
    would be other objects' ids. A model pickled after runs arrives without them, and
    runs there as a fresh model does."""
    import pickle

    from joblib.externals.loky.backend.reduction import dumps  # as the workers' pool

    from sim import load_scenario
    from sim.engine import CompiledScenario
    from sim.experiment.replications import run_calendar, run_one

    sc = load_scenario("models/cases/case03_copenhagen_area_doctor_phone.yaml")
    model = CompiledScenario(sc)
    calendar = run_calendar(sc, 1, 0)
    first = run_one(model, 2, 0, calendar)
    assert model.slot_templates and model._in_meeting
    shipped = pickle.loads(bytes(dumps(model)))
    assert shipped.slot_templates == {} and shipped._in_meeting == {}
    again = run_one(shipped, 2, 0, calendar)
    fresh = run_one(CompiledScenario(sc), 2, 0, calendar)
    assert repr(again.rows) == repr(first.rows) == repr(fresh.rows)
