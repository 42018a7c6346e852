"""Speed where users wait: every figure of the performance targets, each next to its target.

    python experiments/benchmark_engine.py                 # everything (workloads included:
                                                           #   tens of minutes on 2 cores)
    python experiments/benchmark_engine.py --quick         # smoke run, no workloads (about
                                                           #   2 minutes on 2 idle cores,
                                                           #   3 at a load average of 5)
    python experiments/benchmark_engine.py --skip-workloads  # all but the long workloads
    python experiments/benchmark_engine.py --only engine,metrics   # some sections
    python experiments/benchmark_engine.py --profile       # also: cProfile of the largest case
    python experiments/benchmark_engine.py --sweep         # also: benchmark_sweep.py

Sections, and the targets (numbered as in the issue) each prints:

engine    [5] clinicsim's SimPy event rate against bare SimPy's (an M/M/3 queue on
          ``simpy.Resource``, in this process) and contacts per second against the
          reference's customers per second, each the median over pairs of passes (the
          reference's, then the largest case's); [8] ms per simulated day of the largest
          case and the default scenario, within runs of weeks.
metrics   [3] run_one (engine + RunMetrics) against simulate_run alone, for every case;
          each step of a run (a day, the set-up, the rows) its best over passes.
scale     [4] CPU time per contact from 2,000 to 80,000 listed patients, staff in
          proportion; each simulated day's best time over passes that take turns. Beside
          it, what the cost is made of: the same days keeping no records, a day's memory
          (traced) against the core's caches, and the machine's own curve (the same
          plain-Python work per item in days of as many items).
year      [8] a 52-week year of the largest case: CPU seconds of one run_one.
commands  [1] ``clinicsim run -j 2`` against ``-j 1``; [2] start-up of the command line;
          [6] whole workloads on 2 cores. Whole processes, timed by wall clock, in
          ``benchmark_commands.py`` (a subprocess).
memory    [7] peak memory flat in runs and weeks for run, compare, sweep and capacity;
          [8] a 52-week run against a 13-week run. Fresh subprocesses reporting their
          peak RSS, in ``benchmark_memory.py`` (a subprocess).

In-process timings use the process's CPU time (``time.process_time``), so other
processes on a shared machine distort them less than wall clock, the best of a number of
repeats, and Python's cyclic garbage collector paused around the loop, as every loop of
the product over runs pauses it (``sim.engine.collector_paused``); the bare SimPy reference
is timed the same way, so their ratio is like for like, and the figures with the collector
running are printed too. Events are counted in a separate counting pass over the same
runs (the same seed and replication give the same run): the reference's as calls of
``simpy.Environment.step``, the engine's as the events its day loop takes from its heap,
each patched for that pass only, so the timed passes run unpatched. Nothing in the package
is modified and no simulated number changes. The load average is printed at the start and
the end: on a loaded machine every figure is worse.
Nothing asserts on a timing: a missed target is printed "NOT met".
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import glob
import io
import math
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import simpy

from bench_figures import Figure, Figures  # beside this script
from bench_machine import REPO, cache_sizes, load_average, print_header
from benchmark_commands import add_workload_options

if TYPE_CHECKING:
    from sim.engine import CompiledScenario, RunCalendar
    from sim.scenario.schema import Scenario

HERE = Path(__file__).resolve().parent

# --- targets (the issue's; printed, never asserted) -------------------------------------------
#: [5] clinicsim's SimPy events per second, relative to bare SimPy's.
TARGET_EVENT_RATIO = 0.6
#: [5] clinicsim's contacts per second, relative to the reference's customers per second.
TARGET_CONTACT_RATIO = 1.0
#: [8] CPU ms per simulated day of the largest case.
TARGET_DAY_MS = 50.0
#: [3] run_one's time over simulate_run's: metrics and tables at most 15 % on top.
TARGET_METRICS_RATIO = 1.15
#: [4] largest over smallest CPU time per contact across list sizes: flat within 10 %.
TARGET_SCALE_RATIO = 1.10
#: [8] CPU seconds of a 52-week run of the largest case, on one core.
TARGET_YEAR_S = 2.0

# --- what is measured ------------------------------------------------------------------------
#: The M/M/c reference: arrival rate, service rate, servers, seed (rho = 0.85).
REF_LAMBDA, REF_MU, REF_SERVERS, REF_SEED = 2.55, 1.0, 3, 12345
#: Customers in the reference (200,000 take about a second and a half on one core).
REF_CUSTOMERS = 200_000
#: [5]/[8] Each engine run: 4 measured weeks after no warm-up, several runs per pass.
ENGINE_WEEKS = 4
ENGINE_RUNS = {"full": 10, "quick": 3}
#: [3] Each run in the metrics comparison: 2 measured weeks, no warm-up.
METRICS_WEEKS = 2
METRICS_RUNS = {"full": 4, "quick": 2}
#: [3] ... or more, so that a pass over them takes about this much CPU time (seconds).
METRICS_PASS_CPU_S = {"full": 0.5, "quick": 0.15}
#: [3] A ratio of two timings is noisier than either: two repeats even in a quick run.
METRICS_REPEATS = {"full": 3, "quick": 2}
#: [4] List sizes; staff scale with them from the default scenario's own list size.
SCALE_LIST_SIZES = (2_000, 6_000, 20_000, 80_000)
SCALE_WEEKS = {"full": 4, "quick": 1}
SCALE_REPEATS = {"full": 5, "quick": 3}
#: [4] Runs at the largest list size; smaller lists run proportionally more runs, so every
#: list size simulates about the same number of contacts (and of timing).
SCALE_RUNS_AT_LARGEST = 1
#: [4] A day's memory: the days of the long run measured after its first few (untimed,
#: traced): days skipped, then days measured.
SCALE_MEMORY_DAYS = (3, 8)
#: [4] The machine's own curve: items of the same plain-Python work per pass at every
#: day size (about 40 of the largest list's days).
CONTROL_ITEMS = 150_000
#: [8] The year: 52 measured weeks after no warm-up, replication 0 of seed 1.
YEAR_WEEKS = 52
#: Timed repeats (the best counts), full and quick.
REPEATS = {"full": 3, "quick": 1}
#: Passes of the reference and of each scenario's runs. [5] pairs each of the largest
#: case's passes with a pass of the reference just before it: the machine's speed drifts by
#: a third within an hour, and a ratio of two bests timed a minute apart moved by as much
#: (0.49 and 0.67 of the reference's event rate, compiled, in two runs minutes apart).
ENGINE_REPEATS = {"full": 5, "quick": 1}
#: Rows of the cProfile listing.
PROFILE_ROWS = 22
#: Runs of the largest case profiled.
PROFILE_RUNS = {"full": 5, "quick": 2}
#: Statements timed for the cost of one ``log is not None`` check.
CHECK_STATEMENTS = 1_000_000
CHECK_REPEATS = 5

IN_PROCESS = ("engine", "metrics", "scale", "year")
SUBPROCESS = {"commands": "benchmark_commands.py", "memory": "benchmark_memory.py"}
SECTIONS = IN_PROCESS + tuple(SUBPROCESS)


# --- timing helpers ----------------------------------------------------------------------------


@dataclass
class Timing:
    """CPU and wall seconds of repeated passes of the same work; the best counts."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    @property
    def best_cpu(self) -> float:
        return min(self.cpu)

    @property
    def best_wall(self) -> float:
        return min(self.wall)


@contextmanager
def timed_pass(timing: Timing) -> Iterator[None]:
    """Time one pass as the product runs its loops: a fresh heap, the collector paused."""
    from sim.engine import collector_paused

    gc.collect()
    with collector_paused():
        w0, c0 = time.perf_counter(), time.process_time()
        yield
        timing.cpu.append(time.process_time() - c0)
        timing.wall.append(time.perf_counter() - w0)


class _Counter:
    steps = 0


@contextmanager
def counting_steps() -> Iterator[_Counter]:
    """Count processed events: ``simpy.Environment.step`` calls in SimPy's own
    environments (the reference), and events the engine's day environments take from
    their heap, which their loop (interpreted) takes with ``heapq.heappop``, one per event.

    The engine builds its own environment every day, so the count comes from patching
    for the duration of a counting pass. The final ``step`` that finds the schedule empty
    raises ``EmptySchedule`` before the counter moves, so it is not counted.
    """
    from sim.engine import environment

    original_step, original_pop = simpy.Environment.step, environment.heappop
    counter = _Counter()

    def step(self):
        original_step(self)
        counter.steps += 1

    def pop(heap):
        counter.steps += 1
        return original_pop(heap)

    simpy.Environment.step = step
    environment.heappop = pop
    try:
        yield counter
    finally:
        simpy.Environment.step = original_step
        environment.heappop = original_pop


#: The counting pass in a child on the sources, for a compiled install (see count_events).
COUNT_CHILD = """
import sys
from benchmark_engine import counting_steps, engine_calendar, run_days
from sim import engine_build, load_scenario
from sim.engine import CompiledScenario
reference, seed, runs, weeks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
assert engine_build() == "interpreted", "the sources in the checkout are compiled"
scenario = load_scenario(reference)
with counting_steps() as counter:
    contacts = run_days(CompiledScenario(scenario), seed, runs, engine_calendar(scenario, weeks))
print(counter.steps, contacts)
"""


def count_events(model: CompiledScenario, reference: str, seed: int, runs: int,
                 calendar: RunCalendar) -> tuple[int, int]:
    """SimPy events and contacts of the runs, counted in a pass with ``step`` patched.

    A compiled engine (a standard install, hatch_build.py) calls its loop and SimPy's
    directly, past any patch, so its events are counted on the checkout's sources in a
    child process: the same seeds give the same runs, and so the same events."""
    import sim

    if sim.engine_build() == "interpreted":
        with counting_steps() as counter:
            contacts = run_days(model, seed, runs, calendar)
        return counter.steps, contacts
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "experiments")])}
    done = subprocess.run([sys.executable, "-c", COUNT_CHILD, reference, str(seed), str(runs),
                           str(ENGINE_WEEKS)], env=env, capture_output=True, text=True,
                          check=True)
    steps, contacts = (int(x) for x in done.stdout.split())
    return steps, contacts


# --- [5] the bare SimPy reference ------------------------------------------------------------


def mmc_reference(customers: int, lam: float, mu: float, c: int, seed: int) -> dict:
    """M/M/c on simpy.Resource, written the idiomatic way: an arrival process and one
    process per customer that requests, holds and releases a server. About 6 SimPy events
    per customer: arrival timeout, process start, request, service timeout, release,
    process end."""
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits: list[float] = []

    def customer(env):
        arrive = env.now
        with servers.request() as req:
            yield req
            waits.append(env.now - arrive)
            yield env.timeout(rng.expovariate(mu))

    def arrivals(env):
        for _ in range(customers):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env))

    env.process(arrivals(env))
    env.run()
    return {"customers": len(waits), "mean_wait": statistics.fmean(waits)}


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C): checks that the reference is the queue it
    claims to be."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def reference_pass(customers: int, timing: Timing | None = None) -> float:
    """CPU seconds of one timed pass of the reference, added to ``timing`` if given."""
    timing = Timing() if timing is None else timing
    with timed_pass(timing):
        mmc_reference(customers, REF_LAMBDA, REF_MU, REF_SERVERS, REF_SEED)
    return timing.cpu[-1]


def run_reference(customers: int, repeats: int) -> dict:
    """Count the reference's events once, then time it ``repeats`` times (collector
    paused, like clinicsim's passes) and once with the collector running."""
    args = (customers, REF_LAMBDA, REF_MU, REF_SERVERS, REF_SEED)
    with counting_steps() as counter:
        info = mmc_reference(*args)
    timing = Timing()
    for _ in range(repeats):
        reference_pass(customers, timing)
    gc.collect()
    c0 = time.process_time()
    mmc_reference(*args)
    cpu_gc_on = time.process_time() - c0
    events, cpu = counter.steps, timing.best_cpu
    ref = {"customers": customers, "events": events, "events_per_customer": events / customers,
           "cpu": cpu, "wall": timing.best_wall, "customers_per_s": customers / cpu,
           "events_per_s": events / cpu, "events_per_s_wall": events / timing.best_wall,
           "events_per_s_gc_on": events / cpu_gc_on, "mean_wait": info["mean_wait"],
           "erlang_c_wait": erlang_c_wait(REF_LAMBDA, REF_MU, REF_SERVERS)}
    print(f"## Reference: bare SimPy M/M/{REF_SERVERS} (lambda {REF_LAMBDA}, mu {REF_MU}, "
          "simpy.Resource)")
    print(f"customers            {customers:,}; SimPy events {events:,} "
          f"({ref['events_per_customer']:.3f} per customer)")
    print(f"time                 CPU {cpu:.3f} s, wall {timing.best_wall:.3f} s (best of "
          f"{repeats}, collector paused)")
    print(f"customers/s          {ref['customers_per_s']:,.0f}; events/s "
          f"{ref['events_per_s']:,.0f} (CPU), {ref['events_per_s_wall']:,.0f} (wall), "
          f"{ref['events_per_s_gc_on']:,.0f} (CPU, collector running)")
    print(f"check: mean wait     {ref['mean_wait']:.3f} (Erlang C: {ref['erlang_c_wait']:.3f})")
    print(flush=True)
    return ref


# --- scenarios ---------------------------------------------------------------------------------


def bundled_cases() -> list[tuple[str, Scenario]]:
    """Every bundled case (short name, scenario), in file order."""
    from sim import load_scenario

    cases = []
    for path in sorted(glob.glob(str(REPO / "models" / "cases" / "case*.yaml"))):
        cases.append((Path(path).stem.split("_")[0], load_scenario(path)))
    if not cases:
        raise SystemExit("no bundled case files found under models/cases")
    return cases


def largest_case(cases: list[tuple[str, Scenario]]) -> tuple[str, Scenario]:
    """The case with the largest list: the one users wait longest for."""
    return max(cases, key=lambda c: c[1].population.list_size)


def staff_count(scenario: Scenario) -> int:
    return sum(s.count for s in scenario.staff.values())


def engine_calendar(scenario: Scenario, weeks: int) -> RunCalendar:
    """Runs of ``weeks`` measured weeks and no warm-up: every simulated day is timed."""
    from sim.experiment.replications import run_calendar

    return run_calendar(scenario, weeks, 0)


# --- [5] and [8]: the engine within runs ---------------------------------------------------


def run_days(model: CompiledScenario, seed: int, runs: int, calendar: RunCalendar,
             event_log: bool = False, per_day: list[float] | None = None,
             day_contacts: list[tuple[bool, int]] | None = None,
             warmup_records: bool = True) -> int:
    """Simulate ``runs`` runs; return the contacts that arose (and each day's CPU time,
    and whether it was its run's first day with the contacts that arose in it: a run's
    first day also sets the run up). Without ``warmup_records`` the warm-up days keep no
    contact-level records (``simulate_run``'s ``warmup_detail``)."""
    from sim.engine import simulate_run

    contacts = 0
    for r in range(runs):
        days = simulate_run(model, seed, r, calendar, event_log, warmup_records)
        first = True
        while True:
            d0 = time.process_time()
            records = next(days, None)
            if records is None:
                break
            arisen = records.arisen
            del records  # freed before the next day, as run_one frees them, and timed
            if per_day is not None:
                per_day.append(time.process_time() - d0)
            if day_contacts is not None:
                day_contacts.append((first, arisen))
            contacts += arisen
            first = False
    return contacts


def log_check_ns() -> float:
    """Cost of the ``log is not None`` check that guards every logged moment (the only
    event-log code that runs with the log off), above an empty statement."""
    names = {"clinic": types.SimpleNamespace(log=None)}
    check = min(timeit.repeat("if clinic.log is not None: pass", number=CHECK_STATEMENTS,
                              repeat=CHECK_REPEATS, globals=names))
    empty = min(timeit.repeat("pass", number=CHECK_STATEMENTS, repeat=CHECK_REPEATS,
                              globals=names))
    return max(0.0, check - empty) / CHECK_STATEMENTS * 1e9


def bench_engine(label: str, scenario: Scenario, runs: int, repeats: int,
                 seed: int, reference: str,
                 paired_with: Callable[[], float] | None = None) -> dict:
    """Time runs of ``scenario`` with the event log off and on (alternating, so drift in
    the machine's load hits both alike), then count their SimPy events and logged
    moments in separate passes. With ``paired_with`` (a pass of the bare SimPy reference,
    returning its CPU seconds), each pass with the log off comes just after one of it:
    ``pairs`` holds (reference, engine) CPU seconds of each."""
    from sim.engine import CompiledScenario, simulate_run

    model = CompiledScenario(scenario)
    calendar = engine_calendar(scenario, ENGINE_WEEKS)
    run_days(model, seed, 1, calendar)  # first run builds the compiled tables: not timed
    timing = {False: Timing(), True: Timing()}
    per_day: dict[bool, list[float]] = {False: [], True: []}
    contacts = 0
    pairs: list[tuple[float, float]] = []
    for rep in range(repeats):
        for log in ((False, True) if rep % 2 == 0 else (True, False)):
            ref_cpu = paired_with() if paired_with is not None and not log else None
            days: list[float] = []
            with timed_pass(timing[log]):
                contacts = run_days(model, seed, runs, calendar, log, days)
            if timing[log].cpu[-1] == timing[log].best_cpu:
                per_day[log] = days
            if ref_cpu is not None:
                pairs.append((ref_cpu, timing[log].cpu[-1]))
    gc.collect()
    c0 = time.process_time()
    run_days(model, seed, runs, calendar)
    cpu_gc_on = time.process_time() - c0
    steps, counted = count_events(model, reference, seed, runs, calendar)
    if counted != contacts:  # the same seeds must give the same runs, patched or not
        raise RuntimeError(f"the counting pass simulated {counted} contacts, the timed "
                           f"passes {contacts}")
    logged = 0
    for r in range(runs):
        logged += sum(len(rec.events) for rec in simulate_run(model, seed, r, calendar, True))
    n_days = runs * calendar.total_days
    cpu, wall = timing[False].best_cpu, timing[False].best_wall
    median_off = statistics.median(per_day[False])
    check_ns = log_check_ns()
    return {
        "label": label, "list_size": scenario.population.list_size,
        "staff": staff_count(scenario), "runs": runs, "days": n_days, "repeats": repeats,
        "contacts": contacts, "contacts_per_day": contacts / n_days,
        "events": steps, "events_per_contact": steps / contacts,
        "cpu": cpu, "wall": wall, "contacts_per_s": contacts / cpu,
        "events_per_s": steps / cpu, "events_per_s_wall": steps / wall,
        "events_per_s_gc_on": steps / cpu_gc_on,
        "ms_per_day": 1e3 * cpu / n_days, "ms_per_day_median": 1e3 * median_off,
        "ms_per_day_max": 1e3 * max(per_day[False]), "ms_per_day_wall": 1e3 * wall / n_days,
        "ms_per_day_gc_on": 1e3 * cpu_gc_on / n_days,
        "log_ratio": timing[True].best_cpu / cpu,
        "logged_per_day": logged / n_days, "log_check_ns": check_ns,
        "log_off_share": (logged / n_days) * check_ns * 1e-9 / median_off,
        "pairs": pairs,
    }


def paired_ratios(engine: dict, ref: dict) -> dict[str, list[float]]:
    """[5]'s two ratios in each pair of passes (the reference's, then the engine's), sorted:
    the engine's events (contacts) per CPU second over the reference's events
    (customers) per CPU second in the pass just before."""
    events, contacts = [], []
    for ref_cpu, cpu in engine["pairs"]:
        events.append(engine["events"] / cpu / (ref["events"] / ref_cpu))
        contacts.append(engine["contacts"] / cpu / (ref["customers"] / ref_cpu))
    return {"events": sorted(events), "contacts": sorted(contacts)}


def print_engine(s: dict, ref: dict) -> None:
    print(f"## clinicsim: {s['label']} (list size {s['list_size']:,}, {s['staff']} staff)")
    print(f"runs                 {s['runs']} runs of {ENGINE_WEEKS} weeks, no warm-up = "
          f"{s['days']:,} days; best of {s['repeats']} passes: {s['cpu']:.2f} s CPU, "
          f"{s['wall']:.2f} s wall (collector paused)")
    print(f"contacts             {s['contacts']:,} arisen ({s['contacts_per_day']:.1f} per "
          f"day); SimPy events {s['events']:,} ({s['events_per_contact']:.2f} per contact)")
    print(f"contacts/s           {s['contacts_per_s']:,.0f} (CPU) = "
          f"{s['contacts_per_s'] / ref['customers_per_s']:.2f} x the reference's customers/s")
    print(f"events/s             {s['events_per_s']:,.0f} (CPU) = "
          f"{s['events_per_s'] / ref['events_per_s']:.2f} x the reference; wall "
          f"{s['events_per_s_wall'] / ref['events_per_s_wall']:.2f} x; both with the "
          f"collector running {s['events_per_s_gc_on'] / ref['events_per_s_gc_on']:.2f} x")
    print(f"ms per day           CPU mean {s['ms_per_day']:.2f}, median "
          f"{s['ms_per_day_median']:.2f}, max {s['ms_per_day_max']:.1f}; wall mean "
          f"{s['ms_per_day_wall']:.2f}; collector running: {s['ms_per_day_gc_on']:.2f}")
    print(f"event log on / off   {s['log_ratio']:.3f} (best passes); with it off, "
          f"{s['logged_per_day']:.0f} logged moments a day x {s['log_check_ns']:.0f} ns "
          f"(the `log is not None` check) = {100 * s['log_off_share']:.2f} % of a median day")
    print(flush=True)


def section_engine(figures: Figures, mode: str, args: argparse.Namespace, case_name: str,
                   case: Scenario) -> list[dict]:
    from sim import load_scenario

    repeats = ENGINE_REPEATS[mode]
    ref = run_reference(args.customers, repeats)
    results = []
    for label, scenario, reference in ((f"{case_name} (largest case)", case, case_name),
                                       ("default scenario", load_scenario("default"),
                                        "default")):
        paired = (lambda: reference_pass(args.customers)) if not results else None
        res = bench_engine(label, scenario, ENGINE_RUNS[mode], repeats, args.seed, reference,
                           paired)
        print_engine(res, ref)
        results.append(res)
    big = results[0]
    ratios = paired_ratios(big, ref)
    how = (f"{big['label']}: {big['runs']} runs of {ENGINE_WEEKS} weeks, no warm-up; CPU "
           f"time, collector paused; median of {len(big['pairs'])} pairs of passes, a pass "
           f"of the reference (bare SimPy M/M/3, {args.customers:,} customers, timed alike) "
           "just before each pass of the case; SimPy events counted in a separate pass (the "
           "day loop's heap pops counted; for a compiled engine, on the checkout's sources "
           "in a child process)")

    def spread(values: list[float], bests: float) -> str:
        return (f" (pairs {values[0]:.2f}-{values[-1]:.2f}; best pass over best pass "
                f"{bests:.2f})")
    figures.add(Figure(5, "engine events/s vs bare SimPy's",
                       statistics.median(ratios["events"]), "x", ">=", TARGET_EVENT_RATIO,
                       how + spread(ratios["events"],
                                    big["events_per_s"] / ref["events_per_s"])))
    figures.add(Figure(5, "engine contacts/s vs bare SimPy's customers/s",
                       statistics.median(ratios["contacts"]), "x", ">=",
                       TARGET_CONTACT_RATIO, "contacts = sum of records.arisen over the same "
                       "runs; " + how.split("; SimPy")[0]
                       + spread(ratios["contacts"],
                                big["contacts_per_s"] / ref["customers_per_s"])))
    figures.add(Figure(8, f"ms per simulated day, {case_name}", big["ms_per_day"], "ms",
                       "<=", TARGET_DAY_MS, "mean CPU ms per day of the runs above (median "
                       f"{big['ms_per_day_median']:.1f} ms; default scenario "
                       f"{results[1]['ms_per_day']:.1f} ms)", digits=1))
    return [ref] + results


def _paired(result: dict, ref: dict, what: str) -> str:
    """A paired ratio of [5] for the engine table: the median of the pairs (blank where the
    scenario's passes were not paired with the reference's)."""
    if not result.get("pairs"):
        return ""
    return f"{statistics.median(paired_ratios(result, ref)[what]):.2f}"


def engine_table(ref: dict, results: list[dict]) -> str:
    """The engine's figures beside the reference's, as in the README."""
    cols = ["SimPy M/M/3 reference"] + [r["label"] for r in results]

    def row(name: str, ref_value: str, key: Callable[[dict], str]) -> str:
        return f"| {name} | {ref_value} | " + " | ".join(key(r) for r in results) + " |"

    return "\n".join([
        "| one core, CPU time | " + " | ".join(cols) + " |",
        "| --- | " + " | ".join("---:" for _ in cols) + " |",
        row("list size", "", lambda r: f"{r['list_size']:,}"),
        row("contacts per day", "", lambda r: f"{r['contacts_per_day']:.0f}"),
        row("SimPy events per contact", f"{ref['events_per_customer']:.2f}",
            lambda r: f"{r['events_per_contact']:.2f}"),
        row("contacts simulated per second", f"{ref['customers_per_s']:,.0f}",
            lambda r: f"{r['contacts_per_s']:,.0f}"),
        row("SimPy events per second", f"{ref['events_per_s']:,.0f}",
            lambda r: f"{r['events_per_s']:,.0f}"),
        row(f"events per second, ratio to the reference (target >= {TARGET_EVENT_RATIO})",
            "1.00", lambda r: f"{r['events_per_s'] / ref['events_per_s']:.2f}"),
        row("contacts per second, ratio to the reference's customers (target >= "
            f"{TARGET_CONTACT_RATIO:g})", "1.00",
            lambda r: f"{r['contacts_per_s'] / ref['customers_per_s']:.2f}"),
        row("events per second, ratio in pairs of passes (median)", "1.00",
            lambda r: _paired(r, ref, "events")),
        row("contacts per second, ratio in pairs of passes (median)", "1.00",
            lambda r: _paired(r, ref, "contacts")),
        row("ms per simulated day within a run (mean / median)", "",
            lambda r: f"{r['ms_per_day']:.1f} / {r['ms_per_day_median']:.1f}"),
        row("event log on / off", "", lambda r: f"{r['log_ratio']:.2f}"),
        row("share of a day spent in event-log code with the log off", "",
            lambda r: f"{100 * r['log_off_share']:.1f} %"),
    ])


# --- [3] metrics on top of the engine ------------------------------------------------------


class _Timed:
    """An object whose ``add`` and ``rows`` are timed into ``spent[0]`` on their way to the
    object it wraps (a wrapper, not a subclass: a class compiled with mypyc takes no
    interpreted subclass)."""

    def __init__(self, inner: Any, spent: list[float]):
        self._inner, self._spent = inner, spent

    def _timed_call(self, method: Callable, *args: Any) -> Any:
        c0 = time.process_time()
        try:
            return method(*args)
        finally:
            self._spent[0] += time.process_time() - c0

    def add(self, records: Any) -> None:
        self._timed_call(self._inner.add, records)

    def rows(self, *args: Any) -> Any:
        return self._timed_call(self._inner.rows, *args)


def _timed(cls: type, spent: list[float]) -> Callable[..., _Timed]:
    """Makes ``cls``'s objects, wrapped in :class:`_Timed`."""
    return lambda *args, **kwargs: _Timed(cls(*args, **kwargs), spent)


@contextmanager
def timing_metric_code() -> Iterator[list[float]]:
    """CPU time spent in run_one's metric code (RunMetrics and each person's time), timed
    where it runs: the classes run_one builds are swapped in its own module, for the
    duration, for makers of timed wrappers (:class:`_Timed`). A cross-check of the ratio of
    two passes, which is noisier: here the engine and the metrics share one pass."""
    import sim.experiment.replications as module

    spent = [0.0]
    originals = module.RunMetrics, module.StaffTime
    module.RunMetrics = _timed(originals[0], spent)  # type: ignore[assignment]
    module.StaffTime = _timed(originals[1], spent)  # type: ignore[assignment]
    try:
        yield spent
    finally:
        module.RunMetrics, module.StaffTime = originals


def run_timed(model: CompiledScenario, seed: int, replication: int, calendar: RunCalendar,
              metrics: bool, keep_days: bool, times: list[float]) -> tuple | None:
    """One run as ``run_one`` makes it (with ``metrics``; else simulate_run alone), with the
    CPU time of each of its steps appended to ``times``: the metric objects' set-up, each
    day (the engine's, then the metric code's for it) and the run's rows at the end. The
    same run gives the same steps, so passes can be compared step by step. Returns what
    run_one returns (metric rows, each person's time, the day rows), or None."""
    from sim.engine import simulate_run
    from sim.experiment import replications

    c0 = time.process_time()
    if metrics:
        run = replications.RunMetrics(model, calendar.weekdays)
        staff = replications.StaffTime()
    kept: list[dict] = []
    times.append(time.process_time() - c0)
    days = simulate_run(model, seed, replication, calendar)
    while True:
        c0 = time.process_time()
        records = next(days, None)
        done = records is None
        if not done and metrics:
            run.add(records)
            staff.add(records)
            if keep_days:
                kept.append(replications.day_row(records))
        del records  # freed within its day's step, as run_one frees each day's records
        times.append(time.process_time() - c0)
        if done:
            break
    if not metrics:
        return None
    c0 = time.process_time()
    out = (run.rows(), staff.rows(replication), kept)
    times.append(time.process_time() - c0)
    return out


def bench_metrics(scenario: Scenario, min_runs: int, pass_cpu_s: float, repeats: int,
                  seed: int) -> dict:
    """CPU time of the same runs through simulate_run alone and as run_one makes them
    (engine, RunMetrics and each person's time; with and without the day rows).

    A ratio of two timings is noisier than either, so each run is timed the three ways
    back to back (order reversed every repeat, so the machine's drift hits all alike),
    each step of a run (a day, the set-up, the rows) timed on its own (``run_timed``).
    The ratio is of the sums over steps of each step's best over the repeats: a step
    lasts milliseconds, so its best is close to its time on an undisturbed machine. Each
    whole run's best is summed too, for comparison (the figure before). There are enough
    runs for a pass to take about ``pass_cpu_s`` of CPU time. A last pass times the metric
    code inside run_one itself (``timing_metric_code``)."""
    from sim.engine import CompiledScenario
    from sim.experiment.replications import run_one

    model = CompiledScenario(scenario)
    calendar = engine_calendar(scenario, METRICS_WEEKS)
    ways = {"engine": (False, False), "metrics": (True, False), "days": (True, True)}
    c0 = time.process_time()
    # the first run builds the compiled tables and sizes the passes: not timed
    run_timed(model, seed, 0, calendar, False, False, [])
    runs = max(min_runs, math.ceil(pass_cpu_s / max(time.process_time() - c0, 1e-6)))
    steps: dict[str, list[list[list[float]]]] = {name: [[] for _ in range(runs)]
                                                 for name in ways}
    for rep in range(repeats):
        order = list(ways) if rep % 2 == 0 else list(reversed(ways))
        with timed_pass(Timing()):  # one collection per repeat: a full one takes ~50 ms
            for r in range(runs):
                for name in order:
                    times: list[float] = []
                    run_timed(model, seed, r, calendar, *ways[name], times)
                    steps[name][r].append(times)
    step_best = {name: math.fsum(best_steps(passes) for passes in steps[name])
                 for name in ways}
    run_best = {name: math.fsum(min(math.fsum(t) for t in passes) for passes in steps[name])
                for name in ways}
    inside = Timing()
    with timing_metric_code() as spent, timed_pass(inside):
        for r in range(runs):
            run_one(model, seed, r, calendar, keep_days=False)
    base = step_best["engine"]
    return {"runs": runs, "engine_ms_per_day": 1e3 * base / (runs * calendar.total_days),
            "ratio": step_best["metrics"] / base,
            "ratio_days": step_best["days"] / base,
            "ratio_runs": run_best["metrics"] / run_best["engine"],
            "ratio_inside": inside.best_cpu / (inside.best_cpu - spent[0])}


def section_metrics(figures: Figures, mode: str, args: argparse.Namespace,
                    cases: list[tuple[str, Scenario]]) -> list[tuple[str, dict]]:
    from sim import load_scenario

    runs, repeats = METRICS_RUNS[mode], METRICS_REPEATS[mode]
    print(f"## [3] Metrics on top of the engine: runs of {METRICS_WEEKS} weeks (no warm-up), "
          f"at least {runs} and about {METRICS_PASS_CPU_S[mode]:g} s of CPU time per "
          f"scenario; each day's CPU time (and the set-up and rows), best of {repeats}, "
          "collector paused; whole runs' best and the metric code timed inside run_one "
          "for comparison")
    print(f"{'scenario':<10}{'runs':>6}{'engine ms/day':>15}{'run_one / engine':>18}"
          f"{'with day rows':>15}{'whole runs':>12}{'timed inside':>14}{'target':>10}")
    rows = []
    for name, scenario in cases + [("default", load_scenario("default"))]:
        res = bench_metrics(scenario, runs, METRICS_PASS_CPU_S[mode], repeats, args.seed)
        verdict = "met" if res["ratio"] <= TARGET_METRICS_RATIO else "NOT met"
        target = f"<= {TARGET_METRICS_RATIO:g}"
        print(f"{name:<10}{res['runs']:>6}{res['engine_ms_per_day']:>15.2f}"
              f"{res['ratio']:>18.3f}{res['ratio_days']:>15.3f}{res['ratio_runs']:>12.3f}"
              f"{res['ratio_inside']:>14.3f}"
              f"{target:>10}  {verdict}", flush=True)
        rows.append((name, res))
    worst_name, worst = max(rows, key=lambda r: r[1]["ratio"])
    inside_name, inside = max(rows, key=lambda r: r[1]["ratio_inside"])
    runs_name, by_runs = max(rows, key=lambda r: r[1]["ratio_runs"])
    figures.add(Figure(3, "metrics on top of the engine, worst case (run_one / simulate_run)",
                       worst["ratio"], "x", "<=", TARGET_METRICS_RATIO,
                       f"each of {len(rows) - 1} cases and default: the same runs of "
                       f"{METRICS_WEEKS} weeks through simulate_run alone and through "
                       "run_one's loop (engine + RunMetrics, no day rows); each day's CPU "
                       f"time, best of {repeats}",
                       note=f"worst: {worst_name}; whole runs' best: worst "
                            f"{by_runs['ratio_runs']:.3f} ({runs_name}); metric code timed "
                            f"inside run_one: worst {inside['ratio_inside']:.3f} "
                            f"({inside_name})",
                       digits=3))
    return rows


def metrics_table(rows: list[tuple[str, dict]]) -> str:
    lines = ["| scenario | engine ms per day | run_one / simulate_run (target <= "
             f"{TARGET_METRICS_RATIO:g}) | with day rows | whole runs' best | metric code "
             "timed inside run_one |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in rows:
        lines.append(f"| {name} | {r['engine_ms_per_day']:.1f} | {r['ratio']:.2f} | "
                     f"{r['ratio_days']:.2f} | {r['ratio_runs']:.2f} | "
                     f"{r['ratio_inside']:.2f} |")
    return "\n".join(lines)


# --- [4] cost per contact against list size ------------------------------------------------


def round_half_up(x: float) -> int:
    """Round to the nearest whole number, halves up (not Python's round-half-to-even)."""
    return math.floor(x + 0.5)


def scaled_scenario(scenario: Scenario, list_size: int) -> Scenario:
    """``scenario`` with ``list_size`` patients and its staff in proportion: every staff
    group's count x list_size / its list size, rounded half up, so that a group that comes
    to less than half a person is left out (``model_copy``; nothing else moves).

    From the default scenario's 9 people for 6,000 patients this gives 3, 30 and 120 for
    2,000, 20,000 and 80,000: the same patients per person at every size. Keeping at least
    one of each group instead gave 5 people at 2,000 (a visiting doctor and an assistant
    a third of a person each), 400 patients a person against 667, and the figure then
    counted their extra days per contact; the three who remain do the same work (the same
    contacts end the same way, to within a few: home visits go to the GP)."""
    factor = list_size / scenario.population.list_size
    staff = {name: group.model_copy(update={"count": round_half_up(group.count * factor)})
             for name, group in scenario.staff.items()}
    if not any(group.count for group in staff.values()):
        raise ValueError(f"no one is left at {list_size:,} patients")
    return scenario.model_copy(update={
        "population": scenario.population.model_copy(update={"list_size": list_size}),
        "staff": staff})


def best_steps(passes: list[list[float]]) -> float:
    """The sum over steps (a simulated day; in [3] also a run's set-up and rows) of each
    step's best CPU time across passes of the same runs.

    The same seeds give the same steps in every pass, so a step's time differs between
    passes only by what the machine did meanwhile; on this shared machine its speed moves
    by a third within minutes, and a whole pass's best still depends on which minutes it
    ran in. A step lasts milliseconds, so its best over a few passes is close to its time
    on an undisturbed machine, alike for every list size and scenario."""
    return math.fsum(min(times) for times in zip(*passes))


def kept_days(passes: list[list[float]], day_contacts: list[tuple[bool, int]],
              keep: list[bool]) -> tuple[float, int]:
    """The CPU time (:func:`best_steps`) and the contacts of the days ``keep`` marks, among
    each pass's days and the workload's (first day of its run?, contacts) of each day."""
    cpu = best_steps([[t for t, kept in zip(days, keep) if kept] for days in passes])
    return cpu, sum(arisen for (_first, arisen), kept in zip(day_contacts, keep) if kept)


def section_scale(figures: Figures, mode: str, args: argparse.Namespace) -> list[dict]:
    from sim import load_scenario
    from sim.engine import CompiledScenario
    from sim.experiment.replications import run_calendar

    base = load_scenario("default")
    weeks, repeats = SCALE_WEEKS[mode], SCALE_REPEATS[mode]
    largest = max(SCALE_LIST_SIZES)
    print(f"## [4] Cost per contact against list size: the default scenario at each list size, "
          f"staff x list size / {base.population.list_size:,} (rounded); runs of {weeks} "
          f"week(s), no warm-up; CPU time of each day, best of {repeats} passes with the "
          "sizes taking turns (and of each whole pass); and the same contacts in one run "
          "of as many weeks, which sets a run up once, with and without its records kept; "
          "a day's memory traced in a pass of its own")
    print(f"{'list size':>10}{'staff':>7}{'runs':>6}{'contacts':>10}{'CPU s':>8}"
          f"{'us per contact':>16}{'best pass':>11}{'one run':>9}{'its later days':>16}"
          f"{'without records':>17}{'a day, MB':>12}")
    sizes = []
    for n in SCALE_LIST_SIZES:
        scenario = scaled_scenario(base, n)
        model = CompiledScenario(scenario)
        runs = max(1, round_half_up(SCALE_RUNS_AT_LARGEST * largest / n))
        short, long = engine_calendar(scenario, weeks), engine_calendar(scenario, weeks * runs)
        # the long run again as warm-up, which keeps no records (and a measured week after)
        no_records = run_calendar(scenario, 1, weeks * runs)
        run_days(model, args.seed, 1, short)  # builds the compiled tables: not timed
        sizes.append((n, scenario, model, runs, ((short, runs), (long, 1), (no_records, 1)),
                      Timing(), ([], [], [])))
    # The list sizes take turns within each repeat (in reverse order every other repeat),
    # so a drift in the machine's speed hits them alike rather than the last sizes only.
    contacts: dict[tuple[int, int], int] = {}
    # (first day of its run?, contacts arisen) of each day of each workload: alike in
    # every pass
    day_contacts: dict[tuple[int, int], list[tuple[bool, int]]] = {}
    for rep in range(repeats):
        for n, _scenario, model, _runs, workloads, timing, passes in (
                sizes if rep % 2 == 0 else sizes[::-1]):
            for k, (calendar, runs) in enumerate(workloads):
                days: list[float] = []
                marks: list[tuple[bool, int]] = []
                # (the whole-pass best is the short runs' alone)
                with timed_pass(timing if k == 0 else Timing()):
                    contacts[n, k] = run_days(model, args.seed, runs, calendar, per_day=days,
                                              day_contacts=marks, warmup_records=k != 2)
                passes[k].append(days)
                day_contacts[n, k] = marks
    rows = []
    for n, scenario, model, runs, workloads, timing, passes in sizes:
        cpu, cpu_long = best_steps(passes[0]), best_steps(passes[1])
        firsts = [first for first, _arisen in day_contacts[n, 0]]
        first_cpu, _ = kept_days(passes[0], day_contacts[n, 0], firsts)
        # the long run without its first day: no set-up at any size (the arrivals a run
        # works out ahead on its first day are at most a few days' at the small sizes)
        later = [not first for first, _arisen in day_contacts[n, 1]]
        long_later_cpu, long_later = kept_days(passes[1], day_contacts[n, 1], later)
        # the same days without their records: the no-records run's warm-up days after
        # its first
        unrecorded = [not first and not day.measured for (first, _arisen), day
                      in zip(day_contacts[n, 2], workloads[2][0].days())]
        bare_cpu, bare_contacts = kept_days(passes[2], day_contacts[n, 2], unrecorded)
        row = {"list_size": n, "staff": staff_count(scenario), "runs": runs,
               "contacts": contacts[n, 0], "cpu": cpu,
               "us_per_contact": 1e6 * cpu / contacts[n, 0],
               "us_per_contact_pass": 1e6 * timing.best_cpu / contacts[n, 0],
               "us_per_contact_one_run": 1e6 * cpu_long / contacts[n, 1],
               "us_per_contact_steady": 1e6 * long_later_cpu / long_later,
               "us_per_contact_bare": 1e6 * bare_cpu / bare_contacts,
               "first_day_ms": 1e3 * first_cpu / firsts.count(True),
               "later_day_ms": 1e3 * (cpu - first_cpu) / firsts.count(False),
               "first_share": first_cpu / cpu,
               "contacts_a_day": long_later / sum(later),
               "day_mb": day_memory(model, args.seed, workloads[1][0]) / 1e6}
        print(f"{n:>10,}{row['staff']:>7}{runs:>6}{contacts[n, 0]:>10,}{row['cpu']:>8.2f}"
              f"{row['us_per_contact']:>16.2f}{row['us_per_contact_pass']:>11.2f}"
              f"{row['us_per_contact_one_run']:>9.2f}"
              f"{row['us_per_contact_steady']:>16.2f}{row['us_per_contact_bare']:>17.2f}"
              f"{row['day_mb']:>12.2f}", flush=True)
        rows.append(row)
    costs = [r["us_per_contact"] for r in rows]
    by_pass = [r["us_per_contact_pass"] for r in rows]
    one_run = [r["us_per_contact_one_run"] for r in rows]
    steady = [r["us_per_contact_steady"] for r in rows]
    bare_costs = [r["us_per_contact_bare"] for r in rows]
    smallest = rows[0]
    figures.add(Figure(4, "CPU time per contact, largest / smallest over 2,000-80,000 patients",
                       max(costs) / min(costs), "x", "<=", TARGET_SCALE_RATIO,
                       "default scenario with list size N and every staff group x N/"
                       f"{base.population.list_size:,} (rounded half up), N = "
                       f"{', '.join(f'{n:,}' for n in SCALE_LIST_SIZES)}; runs of {weeks} "
                       "week(s), about the same contacts at every N; CPU time per contact "
                       f"arisen, each day's best of {repeats} passes with the sizes taking "
                       "turns",
                       note=f"whole passes' best: {max(by_pass) / min(by_pass):.3f}; at "
                       f"{smallest['list_size']:,} patients ({smallest['runs']} runs) a "
                       f"run's first day took {smallest['first_day_ms']:.2f} ms, a later day "
                       f"{smallest['later_day_ms']:.2f} ms, the first days "
                       f"{smallest['first_share']:.0%} of that size's time",
                       digits=3))
    low, high = rows[steady.index(min(steady))], rows[steady.index(max(steady))]
    # the machine alone: the same plain-Python work per item in days as large as each
    # list size's (its ratio is what a day's objects outgrowing the cache cost here)
    control = memory_control([max(1, round(r["contacts_a_day"])) for r in rows], repeats)
    for r, per_item in zip(rows, control):
        r["control_ns"] = 1e9 * per_item
    day_sizes = ", ".join(f"{round(r['contacts_a_day']):,}" for r in rows)
    per_item = ", ".join(f"{r['control_ns']:.0f}" for r in rows)
    print(f"the same plain-Python work per item in days of as many items as each size's "
          f"contacts a day ({day_sizes}): {per_item} ns an item; caches {cache_sizes()}",
          flush=True)
    figures.add(Figure(4, "the same, in a run under way: one run per list size, after its "
                       "first day", max(steady) / min(steady), "x", "<=", TARGET_SCALE_RATIO,
                       "as above, each list size's runs made one run of as many weeks "
                       f"({' / '.join(str(weeks * r['runs']) for r in rows)}), its first "
                       "day left out: no run's set-up (its patients, streams and book, which "
                       "grow with the list) at any size, where the small lists' many short "
                       "runs each set theirs up, and one run of the largest sets its up "
                       "over few weeks",
                       note=f"lowest at {low['list_size']:,} patients "
                       f"({low['us_per_contact_steady']:.2f} us), highest at "
                       f"{high['list_size']:,} ({high['us_per_contact_steady']:.2f} us); "
                       "one run with its first day: "
                       f"{max(one_run) / min(one_run):.3f}; the same days keeping no "
                       f"records: {max(bare_costs) / min(bare_costs):.3f}; a day's memory "
                       f"{smallest['day_mb']:.2f} MB at {smallest['list_size']:,} patients, "
                       f"{rows[-1]['day_mb']:.2f} MB at {rows[-1]['list_size']:,} (caches "
                       f"{cache_sizes()}); the machine alone, the same plain-Python work per "
                       f"item in days of {round(rows[-1]['contacts_a_day']):,} items against "
                       f"{round(smallest['contacts_a_day']):,}: "
                       f"{rows[-1]['control_ns'] / smallest['control_ns']:.3f}",
                       digits=3))
    return rows


def day_memory(model: CompiledScenario, seed: int, calendar: RunCalendar) -> float:
    """Bytes a day of a run under way takes at its peak above what it started with: the
    mean over :data:`SCALE_MEMORY_DAYS` of traced memory (every Python object and NumPy
    buffer the day makes, its records among them), the collector paused as in a run."""
    import tracemalloc

    from sim.engine import collector_paused, simulate_run

    skip, measured = SCALE_MEMORY_DAYS
    skip = min(skip, calendar.total_days - 1)  # a short run: at least its last day
    gc.collect()
    peaks = []
    with collector_paused():
        days = simulate_run(model, seed, 0, calendar)
        for _ in range(skip):
            next(days)
        tracemalloc.start()
        try:
            for _ in range(measured):
                tracemalloc.reset_peak()
                start = tracemalloc.get_traced_memory()[0]
                records = next(days, None)
                if records is None:
                    break
                peaks.append(tracemalloc.get_traced_memory()[1] - start)
                del records
        finally:
            tracemalloc.stop()
        days.close()
    return statistics.fmean(peaks)


def _control_day(n: int, start: float) -> None:
    """A day of ``n`` items of plain-Python work, all kept until the day ends: each item's
    objects are a contact's records as the engine keeps them (a 16-field contact tuple, a
    call and two tasks of 5 fields, eight new floats)."""
    contacts, calls, tasks = [], [], []
    for i in range(n):
        t = start + i / n
        contacts.append((i, "phone", "acute", "team", 3, t, "seen", t + 1.0, t + 0.5, "gp",
                         7, True, i, 1, False, 2))
        calls.append((i, t, t + 0.1, "secretary", t + 0.2))
        tasks.append((4, "consult", i, t + 0.5, t + 1.0))
        tasks.append((2, "triage", i, t + 0.1, t + 0.2))


def memory_control(day_sizes: list[int], repeats: int) -> list[float]:
    """Seconds of CPU an item of :func:`_control_day` takes, in days of each size (best of
    ``repeats`` passes of :data:`CONTROL_ITEMS` items, the sizes taking turns): the work
    per item is the same at every size, so the ratio between sizes is what this machine
    does to a day's objects as they outgrow a core's cache, whatever the engine does."""
    from sim.engine import collector_paused

    best = [math.inf] * len(day_sizes)
    for rep in range(repeats):
        order = list(enumerate(day_sizes))
        for k, n in (order if rep % 2 == 0 else order[::-1]):
            days = max(1, CONTROL_ITEMS // n)
            gc.collect()
            with collector_paused():
                c0 = time.process_time()
                for d in range(days):
                    _control_day(n, float(d))
                best[k] = min(best[k], (time.process_time() - c0) / (days * n))
    return best


def scale_table(rows: list[dict]) -> str:
    lines = ["| listed patients | staff | contacts simulated | µs CPU per contact "
             "(each day's best) | (best whole pass) | (the same contacts in one run) | "
             "(that run after its first day) | (the same, keeping no records) | "
             "contacts a day | a day's memory, MB | the same plain-Python work per item, ns |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['list_size']:,} | {r['staff']} | {r['contacts']:,} | "
              f"{r['us_per_contact']:.2f} | {r['us_per_contact_pass']:.2f} | "
              f"{r['us_per_contact_one_run']:.2f} | {r['us_per_contact_steady']:.2f} | "
              f"{r['us_per_contact_bare']:.2f} | {r['contacts_a_day']:,.0f} | "
              f"{r['day_mb']:.2f} | {r['control_ns']:.0f} |"
              for r in rows]
    return "\n".join(lines)


# --- [8] a year of the largest case ------------------------------------------------------


def section_year(figures: Figures, mode: str, case_name: str, case: Scenario) -> None:
    from sim.engine import CompiledScenario
    from sim.experiment.replications import run_calendar, run_one

    repeats = REPEATS[mode]
    model = CompiledScenario(case)
    calendar = run_calendar(case, YEAR_WEEKS, 0)
    run_one(model, 1, 0, run_calendar(case, 1, 0))  # builds the compiled tables: not timed
    timing = Timing()
    for _ in range(repeats):
        with timed_pass(timing):
            run_one(model, 1, 0, calendar)
    print(f"## [8] A year of {case_name}: run_one(model, 1, 0, run_calendar({case_name}, "
          f"{YEAR_WEEKS}, 0)), {calendar.total_days} days")
    figures.add(Figure(8, f"a {YEAR_WEEKS}-week run of {case_name}, CPU seconds",
                       timing.best_cpu, "s", "<=", TARGET_YEAR_S,
                       f"run_one(model, 1, 0, run_calendar({case_name}, {YEAR_WEEKS}, 0)) on "
                       "one core, model compiled and its tables built beforehand (a one-week "
                       f"run), CPU time, best of {repeats}, "
                       f"collector paused (wall {timing.best_wall:.2f} s)"))


# --- cProfile ------------------------------------------------------------------------------


def profile_runs(label: str, scenario: Scenario, runs: int, seed: int) -> None:
    """Where a run's time goes: cProfile of runs of the largest case, by own time."""
    from sim.engine import CompiledScenario, collector_paused

    model = CompiledScenario(scenario)
    calendar = engine_calendar(scenario, ENGINE_WEEKS)
    run_days(model, seed, 1, calendar)
    profiler = cProfile.Profile()
    gc.collect()
    with collector_paused():  # collections would land on whatever function allocates
        profiler.enable()
        run_days(model, seed, runs, calendar)
        profiler.disable()
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).strip_dirs().sort_stats("tottime").print_stats(
        PROFILE_ROWS)
    text = buf.getvalue()
    start = text.find("   ncalls")
    print(f"## cProfile: {runs} runs of {ENGINE_WEEKS} weeks of {label} (collector paused), "
          f"top {PROFILE_ROWS} by own time")
    print(text[start:].rstrip() if start >= 0 else text.rstrip())
    print(flush=True)


# --- the other scripts -----------------------------------------------------------------------


def run_script(section: str, args: argparse.Namespace, figures: Figures) -> None:
    """Run a benchmark script beside this one as a subprocess (its output shown as it
    comes), and gather the figures it hands back."""
    script = HERE / SUBPROCESS.get(section, "benchmark_sweep.py")
    with tempfile.TemporaryDirectory(prefix="clinicsim-bench-") as folder:
        handoff = Path(folder) / "figures.json"
        cmd = [sys.executable, str(script), "--embedded"]
        cmd += ["--quick"] if args.quick else []
        if section != "sweep":
            cmd += ["--figures", str(handoff)]
        if section == "commands":
            if args.workloads:
                cmd.append("--workloads")
            if args.skip_workloads:
                cmd.append("--skip-workloads")
            if args.workload_cap is not None:
                cmd += ["--workload-cap", str(args.workload_cap)]
        print(f"## Running {script.name} ({' '.join(cmd[2:])})", flush=True)
        done = subprocess.run(cmd, cwd=os.getcwd(), check=False)
        if done.returncode != 0:
            print(f"{script.name} failed (exit code {done.returncode}); its figures are "
                  "missing below", flush=True)
        figures.extend(Figures.load(handoff))


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: fewer runs and repeats, workloads skipped")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections, of: {', '.join(SECTIONS)}")
    add_workload_options(parser, None)  # passed on to benchmark_commands.py
    parser.add_argument("--sweep", action="store_true",
                        help="also run benchmark_sweep.py (parallel efficiency of sweeps)")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of runs of the largest case")
    parser.add_argument("--customers", type=int, default=REF_CUSTOMERS,
                        help="customers in the M/M/3 reference")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; known: "
                     f"{', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    workloads = ("skipped" if args.skip_workloads or (args.quick and not args.workloads)
                 else "run")
    print_header("clinicsim performance benchmark",
                 f"{mode}; sections {', '.join(args.sections)}"
                 f"{'' if 'commands' not in args.sections else f'; workloads {workloads}'}"
                 f"{'; then benchmark_sweep.py' if args.sweep else ''}")
    t_start = time.perf_counter()
    figures = Figures()
    details: list[str] = []
    cases = bundled_cases()
    case_name, case = largest_case(cases)
    print(f"largest case: {case_name} ({case.population.list_size:,} patients, "
          f"{staff_count(case)} staff); {len(cases)} cases\n")

    def timed(section: str, work: Callable[[], object]) -> object:
        """Run one section and say how long it took (wall clock) and the load after it."""
        w0 = time.perf_counter()
        result = work()
        print(f"({section}: {time.perf_counter() - w0:.0f} s wall; load {load_average()})\n",
              flush=True)
        return result

    if "engine" in args.sections:
        ref, *results = timed("engine", lambda: section_engine(figures, mode, args, case_name,
                                                               case))
        details.append("Engine (one core, CPU time):\n\n" + engine_table(ref, results))
    if "metrics" in args.sections:
        rows = timed("metrics", lambda: section_metrics(figures, mode, args, cases))
        details.append("Metrics on top of the engine, per scenario:\n\n" + metrics_table(rows))
    if "scale" in args.sections:
        rows = timed("scale", lambda: section_scale(figures, mode, args))
        details.append("Cost per contact against list size:\n\n" + scale_table(rows))
    if "year" in args.sections:
        timed("year", lambda: section_year(figures, mode, case_name, case))
    if args.profile:
        timed("profile", lambda: profile_runs(case_name, case, PROFILE_RUNS[mode], args.seed))
    for section in SUBPROCESS:
        if section in args.sections:
            timed(section, lambda: run_script(section, args, figures))
    if args.sweep:
        timed("sweep", lambda: run_script("sweep", args, figures))

    print(f"load avg at end: {load_average()}; total wall time "
          f"{time.perf_counter() - t_start:.0f} s")
    print()
    print("## Every figure against its target")
    print(figures.summary())
    print()
    print("## Markdown (paste into the README's Performance section)")
    print()
    print(figures.markdown())
    for text in details:
        print()
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
