"""Whole commands as users wait for them: start-up, -j 2 against -j 1, whole workloads.

    python experiments/benchmark_commands.py                   # everything (workloads: tens
                                                               #   of minutes on 2 cores)
    python experiments/benchmark_commands.py --quick           # smoke run, no workloads
    python experiments/benchmark_commands.py --skip-workloads  # start-up and -j only

Every figure is the wall-clock time of whole ``clinicsim`` processes started from here
(the console script installed beside this Python), output discarded, so it includes
everything a user waits for: the interpreter, imports, loading, simulating, printing.

[2] Start-up: ``clinicsim --version`` and ``clinicsim run --help``, median of 5 processes.
    The work before the first simulated day of ``clinicsim run``: the same command run by
    a small wrapper (``python -c``) that imports what ``clinicsim run`` imports, calls the
    command line's ``main``, and at the start of the run's first day (the engine's loop
    asking the run's calendar for day 0, hooked in the wrapper only) prints the time and
    exits. The figure is that moment minus the moment this script started the process:
    interpreter start, imports, loading and checking the scenario, compiling it and
    setting up the run's patients. It is split into interpreter start, imports and the rest.
[1] ``clinicsim run case03 --weeks 1 --warmup-weeks 0 -r 200`` (1,000 days of the largest
    case) with ``-j 2`` against ``-j 1``; and small runs, where ``-j 2`` must not be slower
    than ``-j 1`` (the worker pool's start-up against a second of work). Both are read
    from alternating pairs of each pair's ratio (the speed-up as their median; the small
    runs as slower only where the median's interval lies above 1): the machine's speed
    drifts between runs of the same command, and a pair's two commands run minutes apart
    at most, where the quickest run of each may come from different hours' speeds. Beside
    the speed-up, the machine's ceiling for it now: how much longer two CPU-bound
    processes take side by side than one alone (a pure-Python loop, and the command's own
    work: two ``-j 1`` runs of half the runs), and the command's serial part, which only
    the main process does (a 2-run command on ``-j 1`` less its two runs, less the imports
    of its tables and reports, which ``-j 2`` makes while its worker simulates); and the
    CPU time of ``-j 2`` against ``-j 1``, workers included.
    ``-j`` is capped at the CPUs available, so with one CPU there is nothing to measure.
[6] Whole workloads, one run each: every case with ``clinicsim run caseNN -r 20 --weeks 52
    --warmup-weeks 4 -j 2`` (17 commands, their times summed), and beside it the least it
    can take: one run of each case timed in one process, its CPU times 20 over the cores
    (no start-up, summaries or cores slowing each other); and the least it can take at
    [5]'s pace, every contact as quick as a customer of bare SimPy's M/M/3 (timed in the
    same process): the contacts of that run of each case over those customers per second,
    times 20 over the cores, beside the engine's own pace against it (above 1, the engine
    is already quicker, and the targets ask for more still); ``clinicsim capacity
    case03`` with the default targets; ``clinicsim frontier
    experiments/frontier_medium.yaml -j 2``, and about its time at [5]'s pace (its time
    scaled by the cases' contacts per CPU second over the reference's customers).
    A workload still running after ``--workload-cap`` times its target is stopped (its
    process group, started here) and reported as longer than that.

Nothing asserts on a timing: a missed target is printed "NOT met".
"""
from __future__ import annotations

import argparse
import glob
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from bench_figures import Figure, Figures  # beside this script
from bench_machine import REPO, available_cpus, load_average, print_header

# --- targets (the issue's; printed, never asserted) -------------------------------------------
TARGET_VERSION_S = 0.2
TARGET_HELP_S = 0.3
TARGET_FIRST_DAY_S = 0.4
#: [1] -j 2 over -j 1 on 1,000 days of the largest case.
TARGET_SPEEDUP = 1.8
#: [1] -j 2's time over -j 1's on small runs: never slower.
TARGET_SMALL_RATIO = 1.0
TARGET_CASES_S = 60.0
TARGET_CAPACITY_S = 30.0
TARGET_FRONTIER_S = 120.0

# --- what is measured ------------------------------------------------------------------------
#: [2] Processes per start-up figure (the median counts).
STARTUP_PROCESSES = {"full": 5, "quick": 3}
#: [1] Runs of one week of the largest case: 200 x 5 days = 1,000 days (quick: 100 days).
PARALLEL_RUNS = {"full": 200, "quick": 20}
#: [1] Alternating pairs of the 1,000-day command on -j 1 and -j 2 (the median of the
#: pairs' speed-ups counts).
PARALLEL_PAIRS = {"full": 5, "quick": 1}
#: [1] Repeats of the 2-run command that sizes the serial part (the best counts).
PARALLEL_REPEATS = {"full": 3, "quick": 1}
#: [1] The machine's own ceiling: a CPU-bound pure-Python loop (no I/O, little memory) of
#: this many steps, one process alone against two at once, alternating; pairs (the median
#: counts). On 2 real cores two processes take as long as one; on shared ones longer.
SPIN_STEPS = {"full": 20_000_000, "quick": 5_000_000}
SPIN_PAIRS = {"full": 5, "quick": 2}
SPIN_CODE = "x = 0\nfor i in range({steps}):\n    x += i & 7\n"
#: [1] The command's own work side by side: two ``-j 1`` runs of half the runs at once
#: against one alone; pairs (the median counts). The loop above fits in a core's own
#: cache; two simulations share the machine's last-level cache and memory.
WORK_PAIRS = {"full": 3, "quick": 1}
#: [1] Small runs: a few runs of one week, where the pool's start-up weighs most. A
#: small command takes about a second, and the machine's noise between two runs of the same
#: command is several per cent: the figure is the median over alternating pairs, each
#: pair's -j 2 time over its -j 1 time. Four runs of the default or of the largest case
#: leave less than a worker needs (``FORKED_POOL_START_S``), so both commands keep their
#: runs in one process and the ratio is the noise between two runs of the same work;
#: eight of the default leave more, so ``-j 2`` starts a worker with the least work that
#: does, where its start-up weighs most.
SMALL_RUNS = 4
SMALL_FORKING_RUNS = 8
SMALL_PAIRS = {"full": 8, "quick": 2}
#: [1] Small runs: -j 2 counts as slower where its pairs show it, not where their median
#: lands above 1 by chance. Each command's median pair ratio gets a distribution-free
#: interval (two order statistics of the pairs, as the sign test gives them) of at least
#: this coverage where the pairs allow it (eight pairs: the 2nd and 7th, 93 %), and the
#: figure is the highest lower end of the commands': above 1, the pairs show -j 2
#: slower. (Both of the four-run commands keep their runs in one process on -j 2 as on
#: -j 1: the worse of their two medians alone lands above 1 three times in four from
#: noise.)
SMALL_LEVEL = 0.9
#: [6] Each case's workload: runs, measured weeks, warm-up weeks, workers.
WORKLOAD_RUNS, WORKLOAD_WEEKS, WORKLOAD_WARMUP, WORKLOAD_JOBS = 20, 52, 4, 2
FRONTIER_EXPERIMENT = REPO / "experiments" / "frontier_medium.yaml"
#: [6] Stop a workload still running after this many times its target (0: never).
WORKLOAD_CAP = 10.0
#: Seconds to let a stopped workload's processes end before killing them.
STOP_GRACE_S = 5


def clinicsim_executable() -> list[str]:
    """The ``clinicsim`` console script of this Python's environment (what users run)."""
    beside = Path(sys.executable).parent / "clinicsim"
    found = str(beside) if beside.exists() else shutil.which("clinicsim")
    if not found:
        raise SystemExit("the clinicsim command is not installed in this environment "
                         "(pip install -e .)")
    return [found]


@dataclass
class Outcome:
    seconds: float
    stopped: bool = False   # stopped at the cap: ``seconds`` is a lower bound
    #: user + system CPU seconds of the process and the workers it waited for
    cpu: float = math.nan


def run_timed(cmd: list[str], timeout: float | None = None, cwd: str | None = None) -> Outcome:
    """Wall-clock time of one whole process, output discarded, and its CPU time with its
    workers'. The process gets a group of its own, so that when it outlives ``timeout`` it
    is stopped with the workers it started, and nothing else."""
    c0 = children_cpu()
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, cwd=cwd)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(proc)
        return Outcome(time.perf_counter() - w0, stopped=True)
    seconds = time.perf_counter() - w0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n"
                         f"{err.decode(errors='replace')[-2000:]}")
    return Outcome(seconds, cpu=children_cpu() - c0)


def children_cpu() -> float:
    """User + system CPU seconds of this process's children that have ended and been
    waited for, with their own waited-for children (a command's workers); NaN where the
    platform does not count them."""
    try:
        import resource
    except ImportError:  # not on Unix
        return math.nan
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stop_group(proc: subprocess.Popen) -> None:
    """End the process group this script started for ``proc``: politely, then firmly."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=STOP_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue


# --- [2] start-up ----------------------------------------------------------------------------

#: The imports ``clinicsim run`` makes on its way to its first day (at module level and
#: inside cmd_run / _run_summary; the tables and reports it imports after its runs are not
#: among them), as the console script makes them: the child processes below start with them.
_RUN_IMPORTS = textwrap.dedent("""\
    import sim.cli
    sim.cli.limit_blas_threads()  # as the console script does, before NumPy loads
    import sim.scenario.loading, sim.workers, sim.progress, sim.experiment.replications
    import sim.metrics
    """)

#: Runs ``clinicsim ARGS`` as the console script does, and prints three moments (time.time)
#: on stderr: the wrapper starts (the interpreter is up), the command's imports are done,
#: the run's first day starts; then exits at once. The imports are :data:`_RUN_IMPORTS`,
#: made here first so that the split is meaningful; the total does not depend on it.
#: The first day starts where the run's day loop asks its calendar for day 0: the run's
#: calendar is given a subclass whose ``day`` stops the process (``days``, which the
#: run's set-up uses, still lays out every day). The calendar is plain Python in either
#: engine, so the loop calls it through Python even when the engine is compiled, where a
#: method patched on the engine's own classes would never be called.
_FIRST_DAY_WRAPPER = textwrap.dedent("""\
    import os, sys, time
    t_entry = time.time()
    """) + _RUN_IMPORTS + textwrap.dedent("""\
    import sim.experiment.replications as replications
    from sim.engine.calendar import RunCalendar
    t_imported = time.time()

    class FirstDay(RunCalendar):
        def days(self):
            return [RunCalendar.day(self, i) for i in range(self.total_days)]

        def day(self, index):
            sys.stderr.write(f"MOMENTS {t_entry!r} {t_imported!r} {time.time()!r}\\n")
            sys.stderr.flush()
            os._exit(0)

    simulate_run = replications.simulate_run

    def first_day(model, seed, replication, calendar, *args, **kwargs):
        calendar.__class__ = FirstDay
        return simulate_run(model, seed, replication, calendar, *args, **kwargs)

    replications.simulate_run = first_day
    sys.exit(sim.cli.main(sys.argv[1:]))
    """)


#: Times ``sim.cli._import_reporting`` (the tables' and reports' imports, which ``clinicsim
#: run`` on -j 2 makes while its workers simulate) in a process that has made the imports
#: a command has made by then (:data:`_RUN_IMPORTS`) and loaded the scenario
#: ``sys.argv[1]``; prints the seconds.
_REPORTING_IMPORT = "import sys, time\n" + _RUN_IMPORTS + textwrap.dedent("""\
    sim.cli._load_and_warn(sys.argv[1])
    started = time.perf_counter()
    sim.cli._import_reporting()
    print(time.perf_counter() - started)
    """)


def python_child(argv: list[str]) -> subprocess.CompletedProcess:
    """``argv`` run by this Python (``-c CODE ...``), output captured, started outside the
    checkout: ``python -c`` puts its working directory first on ``sys.path``, so from the
    checkout it would import the sources, not the engine ``clinicsim`` uses (a compiled
    install)."""
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True,
                          check=False, cwd=tempfile.gettempdir())


def first_day_moments(args: list[str]) -> tuple[float, float, float]:
    """(interpreter start, imports, loading and set-up) in seconds for one process."""
    launch = time.time()
    done = python_child(["-c", _FIRST_DAY_WRAPPER, *args])
    line = next((x for x in done.stderr.splitlines() if x.startswith("MOMENTS")), None)
    if line is None:
        raise SystemExit(f"clinicsim {' '.join(args)} never reached its first day:\n"
                         f"{done.stderr[-2000:]}")
    entry, imported, day = (float(x) for x in line.split()[1:])
    return entry - launch, imported - entry, day - imported


def shared_imports_s(scenario: str, repeats: int) -> float:
    """Seconds of the imports a command on -j 2 makes while its workers simulate (best of
    ``repeats`` processes): after the runs on -j 1, shared out with the runs on -j 2."""
    best = math.inf
    for _ in range(repeats):
        done = python_child(["-c", _REPORTING_IMPORT, scenario])
        if done.returncode != 0:
            raise SystemExit(f"timing the reporting imports failed:\n{done.stderr[-2000:]}")
        best = min(best, float(done.stdout.split()[-1]))
    return best


def import_profile(top: int = 8) -> list[tuple[float, str]]:
    """The slowest imports (cumulative ms) of what ``clinicsim run`` imports, from
    ``python -X importtime``: where start-up time goes."""
    done = python_child(["-X", "importtime", "-c", _RUN_IMPORTS])
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            if len(name) - len(name.lstrip()) <= 2:  # top-level imports only
                rows.append((int(parts[1]) / 1e3, name.strip()))
    return sorted(rows, reverse=True)[:top]


def section_startup(figures: Figures, mode: str, exe: list[str], largest: str) -> None:
    n = STARTUP_PROCESSES[mode]
    print(f"## [2] Start-up: whole processes, wall clock, median of {n}", flush=True)
    for args, target, label in ((["--version"], TARGET_VERSION_S, "clinicsim --version"),
                                (["run", "--help"], TARGET_HELP_S, "clinicsim run --help")):
        times = [run_timed(exe + args).seconds for _ in range(n)]
        figures.add(Figure(2, label, statistics.median(times), "s", "<=", target,
                           f"whole process, wall clock, median of {n} "
                           f"({', '.join(f'{t:.2f}' for t in times)} s)"))
    for scenario in ([], [largest]):
        args = ["run", *scenario, "-r", "1", "--weeks", "1", "--warmup-weeks", "0"]
        moments = [first_day_moments(args) for _ in range(n)]
        totals = [sum(m) for m in moments]
        start, imports, setup = (statistics.median(m[i] for m in moments) for i in range(3))
        figures.add(Figure(2, f"before the first simulated day: clinicsim {' '.join(args)}",
                           statistics.median(totals), "s", "<=", TARGET_FIRST_DAY_S,
                           "from starting the process to the start of the run's first day "
                           "(the day loop asking the run's calendar for day 0, hooked in a "
                           "python -c wrapper that calls "
                           f"sim.cli.main); median of {n}: interpreter {start:.2f} s, "
                           f"imports {imports:.2f} s, loading the scenario and setting up "
                           f"the run {setup:.2f} s"))
    print("slowest top-level imports of clinicsim run (python -X importtime, cumulative):")
    for ms, name in import_profile():
        print(f"    {ms:7.1f} ms  {name}")
    print(flush=True)


# --- [1] -j 2 against -j 1 -------------------------------------------------------------------


def taking_turns(cmd: list[str], pairs: int) -> tuple[list[Outcome], list[Outcome]]:
    """``pairs`` runs each of ``cmd -j 1`` and ``cmd -j 2``, taking turns so the machine's
    drift hits both alike: their outcomes, pair by pair."""
    outcomes: dict[int, list[Outcome]] = {1: [], 2: []}
    for rep in range(pairs):
        for jobs in ((1, 2) if rep % 2 == 0 else (2, 1)):
            outcomes[jobs].append(run_timed(cmd + ["-j", str(jobs)]))
    return outcomes[1], outcomes[2]


def ratios_by_pair(ones: list[Outcome], twos: list[Outcome]) -> list[float]:
    """Each pair's -j 2 wall time over its -j 1 wall time, sorted."""
    return sorted(b.seconds / a.seconds for a, b in zip(ones, twos))


def median_interval(ordered: list[float], level: float) -> tuple[float, float, float]:
    """A distribution-free interval for the median of the population ``ordered`` (sorted)
    was drawn from: its ``k``-th lowest and highest values, which hold the median with
    probability 1 - 2 P(Binomial(n, 1/2) < k) (the sign test's interval). The narrowest
    such interval of at least ``level``; too few values for that give the widest, the
    lowest and highest. Returns (low, high, its coverage)."""
    n = len(ordered)
    if n == 0:
        raise ValueError("no values to bound a median with")

    def coverage(k: int) -> float:
        return 1.0 - 2.0 * sum(math.comb(n, i) for i in range(k)) / 2.0 ** n

    k = 1
    while k + 1 <= (n + 1) // 2 and coverage(k + 1) >= level:
        k += 1
    return ordered[k - 1], ordered[n - k], coverage(k)


def best_of(cmd: list[str], repeats: int) -> float:
    return min(run_timed(cmd).seconds for _ in range(repeats))


def two_at_once(mode: str) -> float:
    """How much longer two CPU-bound processes take side by side than one alone (median
    over alternating pairs): 1.0 on two real cores, more where the cores are shared."""
    return side_by_side([sys.executable, "-c", SPIN_CODE.format(steps=SPIN_STEPS[mode])],
                        SPIN_PAIRS[mode])


def side_by_side(cmd: list[str], pairs: int) -> float:
    """How much longer two copies of ``cmd`` take side by side than one alone, median
    over ``pairs`` pairs (each a process alone, then two at once)."""
    ratios = []
    for _ in range(pairs):
        alone = run_timed(cmd).seconds
        w0 = time.perf_counter()
        procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL) for _ in range(2)]
        if any(proc.wait() != 0 for proc in procs):
            raise SystemExit(f"{' '.join(cmd)} failed")
        ratios.append((time.perf_counter() - w0) / alone)
    return statistics.median(ratios)


def parallel_ceiling(t1: float, serial: float, slowdown: float) -> float:
    """The best -j 2 speed-up of a command taking ``t1`` on -j 1, of which ``serial``
    seconds only the main process can do (start-up, the summary), when two processes
    run ``slowdown`` times slower side by side than alone."""
    return t1 / (serial + (t1 - serial) / 2 * slowdown)


def section_parallel(figures: Figures, mode: str, exe: list[str], largest: str,
                     weekdays: int) -> None:
    print("## [1] clinicsim run -j 2 against -j 1: whole processes, wall clock", flush=True)
    if available_cpus() < 2:
        for name, target, op in (("-j 2 speed-up", TARGET_SPEEDUP, ">="),
                                 ("-j 2 / -j 1 on small runs", TARGET_SMALL_RATIO, "<=")):
            figures.add(Figure(1, name, None, "x", op, target, "whole processes",
                               note=f"{available_cpus()} CPU available: -j is capped at it"))
        return
    runs, pairs, repeats = PARALLEL_RUNS[mode], PARALLEL_PAIRS[mode], PARALLEL_REPEATS[mode]
    big = exe + ["run", largest, "-r", str(runs), "--weeks", "1", "--warmup-weeks", "0"]
    ones, twos = taking_turns(big, pairs)
    speedups = [1.0 / r for r in reversed(ratios_by_pair(ones, twos))]  # ascending
    speedup = statistics.median(speedups)
    t1 = statistics.median(o.seconds for o in ones)
    t2 = statistics.median(o.seconds for o in twos)
    cpu1 = statistics.median(o.cpu for o in ones)
    cpu2 = statistics.median(o.cpu for o in twos)
    best = min(o.seconds for o in ones) / min(o.seconds for o in twos)
    # what no split can share: a 2-run command on -j 1 less its two runs, less the imports
    # that -j 2 makes while its workers simulate (shared out with the runs)
    two = best_of(exe + ["run", largest, "-r", "2", "--weeks", "1", "--warmup-weeks", "0",
                         "-j", "1"], repeats)
    beyond_runs = max(0.0, two - 2 * t1 / runs)
    shared = min(beyond_runs, shared_imports_s(largest, repeats))
    serial = beyond_runs - shared
    slowdown = two_at_once(mode)
    ceiling = parallel_ceiling(t1, serial, slowdown)
    # the same with this command's own work side by side, which feels the shared cache
    half = exe + ["run", largest, "-r", str(runs // 2), "--weeks", "1", "--warmup-weeks", "0",
                  "-j", "1"]
    own = side_by_side(half, WORK_PAIRS[mode])
    own_ceiling = parallel_ceiling(t1, serial, own)
    days = runs * weekdays
    figures.add(Figure(1, f"-j 2 speed-up over -j 1, {days:,} days of {largest}", speedup, "x",
                       ">=", TARGET_SPEEDUP,
                       f"clinicsim run {largest} -r {runs} --weeks 1 --warmup-weeks 0, -j 1: "
                       f"{t1:.2f} s, -j 2: {t2:.2f} s (medians); wall clock, median over "
                       f"{pairs} alternating pairs of each pair's -j 1 time over its -j 2 time",
                       note=f"pairs {speedups[0]:.2f}-{speedups[-1]:.2f}, quickest over "
                            f"quickest {best:.2f}; "
                            f"the machine's ceiling now {ceiling:.2f}: two CPU-bound "
                            f"processes side by side take {slowdown:.2f} times as long as "
                            f"one (median of {SPIN_PAIRS[mode]} pairs), and {serial:.2f} s "
                            "of start-up and summary are the main process's alone (of the "
                            f"{beyond_runs:.2f} s a -j 1 command takes beyond its runs, less "
                            f"{shared:.2f} s of imports -j 2 makes while its worker "
                            "simulates); "
                            f"{own_ceiling:.2f} for this command's own work, two -j 1 runs "
                            f"of {runs // 2} side by side taking {own:.2f} times as long as "
                            f"one (median of {WORK_PAIRS[mode]} pairs); CPU time, workers "
                            f"included, medians, -j 1 {cpu1:.2f} s, -j 2 {cpu2:.2f} s "
                            f"({cpu2 / cpu1:.2f} times)"))
    smalls = [["run", "-r", str(SMALL_RUNS), "--weeks", "1"],
              ["run", largest, "-r", str(SMALL_RUNS), "--weeks", "1", "--warmup-weeks", "0"],
              ["run", "-r", str(SMALL_FORKING_RUNS), "--weeks", "1"]]
    lows = []
    for args in smalls:
        ones, twos = taking_turns(exe + args, SMALL_PAIRS[mode])
        found = ratios_by_pair(ones, twos)
        low, high, level = median_interval(found, SMALL_LEVEL)
        lows.append((low, f"clinicsim {' '.join(args)}: median {statistics.median(found):.3f}"
                          f", {level:.0%} interval {low:.3f}-{high:.3f} (pairs "
                          f"{found[0]:.2f}-{found[-1]:.2f}; -j 1 "
                          f"{statistics.median(o.seconds for o in ones):.2f} s, -j 2 "
                          f"{statistics.median(o.seconds for o in twos):.2f} s)"))
        print(f"    small run: {lows[-1][1]}", flush=True)
    worst = max(lows)
    figures.add(Figure(1, "-j 2 time / -j 1 time on small runs: the lower end of the median's "
                       "interval (worst)", worst[0], "x", "<=", TARGET_SMALL_RATIO,
                       "; ".join(r[1] for r in lows)
                       + f"; wall clock, {SMALL_PAIRS[mode]} alternating pairs of each "
                         "pair's -j 2 time over its -j 1 time, the median's interval from "
                         "two of them (sign test): above 1, the pairs show -j 2 slower",
                       digits=3))
    print(flush=True)


# --- [6] whole workloads ---------------------------------------------------------------------


def case_names() -> list[str]:
    return sorted(Path(p).stem.split("_")[0]
                  for p in glob.glob(str(REPO / "models" / "cases" / "case*.yaml")))


def cap_seconds(target: float, cap: float) -> float | None:
    return None if cap <= 0 else cap * target


#: [6] One run of each named case, timed in one process, with the contacts that arose in it;
#: and in the same process bare SimPy's M/M/3 customers per second, the pace [5] sets
#: for a contact (printed as JSON): the work the all-cases workload repeats
#: WORKLOAD_RUNS times, without start-up.
ONE_RUN_EACH_CODE = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, sys.argv[1])  # the reference, in benchmark_engine beside this script
    import sim.experiment.replications as replications
    from benchmark_engine import (REF_CUSTOMERS, REF_LAMBDA, REF_MU, REF_SEED, REF_SERVERS,
                                  Timing, mmc_reference, timed_pass)
    from sim import load_scenario
    from sim.engine import CompiledScenario, collector_paused
    weeks, warmup, customers, names = (int(sys.argv[2]), int(sys.argv[3]),
                                       int(sys.argv[4]) or REF_CUSTOMERS, sys.argv[5:])
    cpu, contacts = {}, {}
    simulate_run = replications.simulate_run

    def counted(*args, **kwargs):  # the run's days as run_one takes them, contacts summed
        for records in simulate_run(*args, **kwargs):
            contacts[name] += records.arisen
            yield records
            del records  # not held through the next day: run_one frees them before it

    replications.simulate_run = counted
    for name in names:
        scenario = load_scenario(name)
        model = CompiledScenario(scenario)
        calendar = replications.run_calendar(scenario, weeks, warmup)
        contacts[name] = 0
        with collector_paused():
            t0 = time.process_time()
            replications.run_one(model, 1, 0, calendar, keep_days=False)
            cpu[name] = time.process_time() - t0
    reference = Timing()  # best of 3, as [5] times it
    for _ in range(3):
        with timed_pass(reference):
            served = mmc_reference(customers, REF_LAMBDA, REF_MU, REF_SERVERS, REF_SEED)
    print(json.dumps({"cpu": cpu, "contacts": contacts,
                      "customers_per_s": served["customers"] / reference.best_cpu}))
""")


@dataclass(frozen=True)
class OneRunEach:
    """One run of each case: its CPU seconds and contacts, by case, and bare SimPy's
    M/M/3 customers per second in the same process."""
    cpu: dict[str, float]
    contacts: dict[str, int]
    customers_per_s: float


def one_run_each(names: list[str], weeks: int, warmup: int,
                 reference_customers: int = 0) -> OneRunEach:
    """One run of each case (``weeks`` measured after ``warmup``), timed in a child of this
    Python, so with the engine the ``clinicsim`` command uses; the reference with
    ``reference_customers`` (0: as many as [5]'s)."""
    import json

    out = python_child(["-c", ONE_RUN_EACH_CODE, str(REPO / "experiments"), str(weeks),
                        str(warmup), str(reference_customers), *names])
    if out.returncode != 0:
        raise SystemExit(f"timing one run of each case failed:\n{out.stderr}")
    return OneRunEach(**json.loads(out.stdout))


def workload_floor(cpu_one_run_each: float, runs: int, cores: int) -> float:
    """The least wall time of ``runs`` runs of every case on ``cores`` cores: their CPU
    split perfectly, with no start-up, summaries or cores slowing each other."""
    return cpu_one_run_each * runs / max(1, cores)


def above_floor(wall: float, floor: float, cpu: float, cores: int, commands: int) -> str:
    """What the workload's ``wall`` time (``commands`` whole commands) holds beyond its
    ``floor``: the commands' CPU time, workers included, against the runs' alone, and the
    rest per command, the time the cores were not both simulating (a command's start-up
    before its workers share the runs, its last run's tail, its summary and exit)."""
    if math.isnan(cpu):  # the platform does not count the children's CPU
        return f"{wall - floor:.1f} s above it, {(wall - floor) / commands:.2f} s a command"
    idle = wall - cpu / cores
    alone = cpu / (floor * cores)
    return (f"the commands used {cpu:.0f} s of CPU, workers included ({alone:.2f} x the "
            f"runs' alone), {cpu / cores:.1f} s split over the cores, and "
            f"{idle:.1f} s more, {idle / commands:.2f} s a command, the cores not both busy "
            "(start-up before the workers share the runs, the last run's tail, the summary)")


def section_workloads(figures: Figures, exe: list[str], largest: str, cap: float) -> None:
    print(f"## [6] Whole workloads on {min(available_cpus(), WORKLOAD_JOBS)} cores: one run "
          "each, wall clock" + (f"; stopped after {cap:g} x the target" if cap > 0 else ""),
          flush=True)
    # every case, summed; first the least it can take: one run of each, its CPU split
    # perfectly over the cores
    names = case_names()
    cores = min(available_cpus(), WORKLOAD_JOBS)
    each = one_run_each(names, WORKLOAD_WEEKS, WORKLOAD_WARMUP)
    cpu = each.cpu
    floor = workload_floor(sum(cpu.values()), WORKLOAD_RUNS, cores)
    print(f"    one run of each case in one process: {sum(cpu.values()):.1f} s CPU (largest "
          f"{max(cpu, key=cpu.get)} {max(cpu.values()):.2f} s), so {WORKLOAD_RUNS} runs of "
          f"each take at least {floor:.0f} s on {cores} cores, split perfectly", flush=True)
    # [5]'s pace: every contact as quick as a customer of bare SimPy's M/M/3
    contacts = sum(each.contacts.values())
    at_pace = workload_floor(contacts / each.customers_per_s, WORKLOAD_RUNS, cores)
    pace = contacts / sum(cpu.values()) / each.customers_per_s  # the engine's, against it
    print(f"    at [5]'s pace (each contact as quick as a bare SimPy M/M/3 customer, "
          f"{each.customers_per_s:,.0f} a second in the same process), the {contacts:,} "
          f"contacts of one run of each case take {contacts / each.customers_per_s:.1f} s, "
          f"so {WORKLOAD_RUNS} runs of each at least {at_pace:.0f} s on {cores} cores "
          f"({at_pace / TARGET_CASES_S:.2f} x the target); the engine runs at {pace:.2f} "
          "of that pace", flush=True)
    limit = cap_seconds(TARGET_CASES_S, cap)
    total, stopped, done, used = 0.0, False, 0, 0.0
    for name in names:
        args = ["run", name, "-r", str(WORKLOAD_RUNS), "--weeks", str(WORKLOAD_WEEKS),
                "--warmup-weeks", str(WORKLOAD_WARMUP), "-j", str(WORKLOAD_JOBS)]
        out = run_timed(exe + args, None if limit is None else max(limit - total, 1.0))
        total += out.seconds
        used += out.cpu
        if out.stopped:
            stopped = True
            print(f"    {name}: stopped; {total:.1f} s so far (cap {limit:.0f} s)", flush=True)
            break
        done += 1
        print(f"    {name}: {out.seconds:6.1f} s; {total:7.1f} s so far; load {load_average()}",
              flush=True)
    figures.add(Figure(6, f"all {len(names)} cases, {WORKLOAD_RUNS} runs of {WORKLOAD_WEEKS} "
                          f"weeks each, -j {WORKLOAD_JOBS}", total, "s", "<=", TARGET_CASES_S,
                       f"clinicsim run caseNN -r {WORKLOAD_RUNS} --weeks {WORKLOAD_WEEKS} "
                       f"--warmup-weeks {WORKLOAD_WARMUP} -j {WORKLOAD_JOBS} for each case, "
                       "whole processes one after another, wall clock summed",
                       note=(f"stopped after {done} of {len(names)} cases; " if stopped
                             else "") + f"at least {floor:.0f} s with the runs' CPU split "
                             f"perfectly over {cores} cores ({sum(cpu.values()):.1f} s of "
                             f"CPU for one run of each case)"
                             + ("" if stopped else "; " + above_floor(total, floor, used,
                                                                     cores, done))
                             + f"; {at_pace:.0f} s at [5]'s pace, every contact as quick as "
                             f"a bare SimPy M/M/3 customer, where the engine runs at "
                             f"{pace:.2f} of it",
                       digits=1, at_least=stopped))
    # the capacity search of the largest case
    out = run_timed(exe + ["capacity", largest, "-j", str(WORKLOAD_JOBS)],
                    cap_seconds(TARGET_CAPACITY_S, cap))
    figures.add(Figure(6, f"clinicsim capacity {largest} -j {WORKLOAD_JOBS}", out.seconds, "s",
                       "<=", TARGET_CAPACITY_S, "default targets and options, whole process, "
                       "wall clock", note="stopped" if out.stopped else "", digits=1,
                       at_least=out.stopped))
    # the staffing frontier
    with tempfile.TemporaryDirectory(prefix="clinicsim-bench-frontier-") as folder:
        out = run_timed(exe + ["frontier", str(FRONTIER_EXPERIMENT), "-o", folder, "-j",
                               str(WORKLOAD_JOBS)], cap_seconds(TARGET_FRONTIER_S, cap))
    # its runs are of the default practice: at [5]'s pace, about its time at the cases' pace
    figures.add(Figure(6, "clinicsim frontier experiments/frontier_medium.yaml -j 2",
                       out.seconds, "s", "<=", TARGET_FRONTIER_S,
                       "into a temporary directory, whole process, wall clock",
                       note=("stopped; " if out.stopped else "") + f"at [5]'s pace "
                       f"{'at least' if out.stopped else 'about'} {out.seconds * pace:.0f} s "
                       f"(this time x {pace:.2f}, the cases' contacts per CPU second over "
                       "the bare SimPy customers'; its runs are like theirs)",
                       digits=1, at_least=out.stopped))
    print(flush=True)


# --- main ------------------------------------------------------------------------------------


def add_workload_options(parser: argparse.ArgumentParser, cap: float | None) -> None:
    """--workloads, --skip-workloads and --workload-cap, as this benchmark takes them and
    benchmark_engine.py passes them on (with ``cap`` None: this script's default)."""
    parser.add_argument("--workloads", action="store_true",
                        help="run the whole workloads [6] even with --quick")
    parser.add_argument("--skip-workloads", action="store_true",
                        help="skip the whole workloads [6] (they take tens of minutes)")
    parser.add_argument("--workload-cap", type=float, default=cap, metavar="FACTOR",
                        help="stop a workload after FACTOR x its target and report it as "
                             f"longer (default {WORKLOAD_CAP:g}; 0: never stop one)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer processes and runs; workloads skipped")
    add_workload_options(parser, WORKLOAD_CAP)
    parser.add_argument("--figures", help="write the figures as JSON to this file")
    parser.add_argument("--embedded", action="store_true",
                        help="run by benchmark_engine.py, which printed the header")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    workloads = not args.skip_workloads and (args.workloads or not args.quick)
    title = "clinicsim whole-command benchmark"
    if args.embedded:
        print(f"# {title} ({mode}; workloads {'run' if workloads else 'skipped'})\n")
    else:
        print_header(title, f"{mode}; workloads {'run' if workloads else 'skipped'}")
    t0 = time.perf_counter()
    exe = clinicsim_executable()
    largest, weekdays = largest_case()
    figures = Figures()
    section_startup(figures, mode, exe, largest)
    section_parallel(figures, mode, exe, largest, weekdays)
    if workloads:
        section_workloads(figures, exe, largest, args.workload_cap)
    else:
        print("## [6] Whole workloads: skipped (--quick or --skip-workloads; --workloads "
              "runs them)\n")
    print(f"load avg at the end of {Path(__file__).name}: {load_average()}; wall time "
          f"{time.perf_counter() - t0:.0f} s")
    if args.figures:
        figures.save(args.figures)
    if not args.embedded:
        print("\n" + figures.markdown())
    return 0


def largest_case() -> tuple[str, int]:
    """Short name of the bundled case with the largest list, and its working days a week."""
    from sim import load_scenario

    scenarios = {Path(p).stem.split("_")[0]: load_scenario(p)
                 for p in glob.glob(str(REPO / "models" / "cases" / "case*.yaml"))}
    name = max(scenarios, key=lambda n: scenarios[n].population.list_size)
    return name, len(scenarios[name].calendar.weekdays)


if __name__ == "__main__":
    sys.exit(main())
