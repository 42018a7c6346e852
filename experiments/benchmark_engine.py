"""Engine speed of clinicsim against bare SimPy (a benchmark script, not a test).

    python experiments/benchmark_engine.py            # full run (about a minute)
    python experiments/benchmark_engine.py --quick    # smoke run (about 15 s)
    python experiments/benchmark_engine.py --profile  # also: cProfile of the largest case

What it measures, in one process on one core:

(a) The reference: an M/M/3 queue (lambda = 2.55, mu = 1, c = 3) of 200,000 customers on
    ``simpy.Resource``, written the idiomatic way (an arrival process and one process per
    customer that requests, holds and releases a server). About 6 SimPy events per
    customer: arrival timeout, process start, request, service timeout, release, process end.
(b) clinicsim's ``simulate_day`` on the largest bundled case (by list size, among the case
    files that load) and on the default scenario: many replications of one day (about
    ``--seconds`` of timing per scenario), the same days run several times.

SimPy events are counted as calls of ``simpy.Environment.step`` (one call = one processed
event); ``simulate_day`` builds its own Environment, so the count comes from temporarily
patching ``simpy.Environment.step`` in this script. Counting runs in a separate pass over
the same replications (the same (seed, replication) gives the same day), so the timed
passes run unpatched SimPy. Nothing in the package is modified.

Rates are per core and use the process's CPU time (``time.process_time``), so other
processes on a shared machine distort them less than wall clock; wall-clock figures are
printed next to them, with the load average at the start and the end. The reference and
clinicsim are timed the same way, so their ratio is like for like: the best of the same
number of repeats, each with the cyclic garbage collector paused (as every loop over days
in the product runs; the figures with it running are printed too). Nothing asserts on a
timing.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import glob
import io
import math
import os
import platform
import pstats
import random
import resource
import shlex
import statistics
import subprocess
import sys
import time
import timeit
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import simpy

from bench_machine import cpu_model, load_average  # noqa: E402 (beside this script)

REPO = Path(__file__).resolve().parent.parent

# targets from the brief, printed for context only (never asserted)
TARGET_RATIO = 0.6
TARGET_DAY_MS = 50.0


# --- environment ---------------------------------------------------------------------------


def git_revision() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "sim"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return f"{rev}{' (sim/ has uncommitted changes)' if dirty else ''}" if rev else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def print_header(args: argparse.Namespace) -> None:
    import sim

    print("# clinicsim engine benchmark")
    command = shlex.join([os.path.relpath(sys.argv[0], os.getcwd())] + sys.argv[1:])
    print(f"command:   python {command}   (cwd {os.getcwd()})")
    print(f"python:    {sys.version.split()[0]} ({sys.executable})")
    print(f"simpy:     {simpy.__version__}   numpy: {np.__version__}   "
          f"clinicsim: {sim.__version__} @ {git_revision()}")
    print(f"platform:  {platform.platform()}")
    print(f"cpu:       {cpu_model()} ({os.cpu_count()} logical CPUs; this benchmark uses one)")
    print(f"load avg:  {load_average()} (1, 5, 15 min) at start")
    print(f"mode:      {'quick' if args.quick else 'full'}; >= {args.seconds:g} s of timing per "
          f"scenario; reference {args.customers:,} customers")
    print()


def peak_rss_kib() -> float:
    """Peak RSS of this process: VmHWM, or ru_maxrss where there is no /proc (ru_maxrss
    can carry over a larger peak of the process that started this one)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# --- counting SimPy events -----------------------------------------------------------------


class _Counter:
    steps = 0


@contextmanager
def counting_steps():
    """Count ``simpy.Environment.step`` calls (processed events) in any Environment.

    The final ``step`` that finds the schedule empty raises ``EmptySchedule`` before the
    counter moves, so it is not counted.
    """
    original = simpy.Environment.step
    counter = _Counter()

    def step(self):
        original(self)
        counter.steps += 1

    simpy.Environment.step = step
    try:
        yield counter
    finally:
        simpy.Environment.step = original


# --- (a) the bare SimPy reference ----------------------------------------------------------


def mmc_reference(customers: int, lam: float, mu: float, c: int, seed: int) -> dict:
    """M/M/c on simpy.Resource: arrival process + one process per customer."""
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
    return {"customers": len(waits), "mean_wait": statistics.fmean(waits), "end": env.now}


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C), for a sanity check of the reference."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


class GcTimer:
    """Wall time spent in the cyclic garbage collector (``gc.callbacks``), by generation."""

    def __init__(self):
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._t0
            self.collections[info["generation"]] += 1

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


def run_reference(customers: int, repeats: int) -> dict:
    from sim.engine import collector_paused

    lam, mu, c, seed = 2.55, 1.0, 3, 12345
    with counting_steps() as counter:
        info = mmc_reference(customers, lam, mu, c, seed)
    events = counter.steps
    walls, cpus = [], []
    for _ in range(repeats):
        gc.collect()
        with collector_paused():  # like clinicsim's timed passes: no cyclic GC in the loop
            w0, c0 = time.perf_counter(), time.process_time()
            mmc_reference(customers, lam, mu, c, seed)
            cpus.append(time.process_time() - c0)
            walls.append(time.perf_counter() - w0)
    gc.collect()
    c0 = time.process_time()
    mmc_reference(customers, lam, mu, c, seed)
    cpu_gc_on = time.process_time() - c0
    wall, cpu = min(walls), min(cpus)
    out = {
        "customers": customers, "events": events, "events_per_customer": events / customers,
        "wall": wall, "cpu": cpu, "customers_per_s": customers / cpu,
        "events_per_s": events / cpu, "events_per_s_wall": events / wall,
        "events_per_s_gc_on": events / cpu_gc_on,
        "mean_wait": info["mean_wait"], "erlang_c_wait": erlang_c_wait(lam, mu, c),
    }
    print("## (a) Reference: bare SimPy M/M/3 (lambda 2.55, mu 1, c 3, simpy.Resource)")
    print(f"customers            {customers:,}")
    print(f"SimPy events         {events:,}  ({out['events_per_customer']:.3f} per customer)")
    print(f"time                 CPU {cpu:.3f} s, wall {wall:.3f} s (best of {repeats}, cyclic "
          f"GC paused; wall: {', '.join(f'{x:.3f}' for x in walls)})")
    print(f"customers/s          {out['customers_per_s']:,.0f} (CPU time)")
    print(f"events/s             {out['events_per_s']:,.0f} (CPU time); "
          f"{out['events_per_s_wall']:,.0f} (wall); with the cyclic GC running: "
          f"{out['events_per_s_gc_on']:,.0f}")
    print(f"sanity: mean wait    {out['mean_wait']:.3f} (Erlang C: {out['erlang_c_wait']:.3f})")
    print()
    return out


# --- (b) clinicsim -------------------------------------------------------------------------


def pick_largest_case() -> tuple[str, object, list[str]]:
    """The bundled case with the largest list size among those that load and simulate."""
    from sim import load_scenario, simulate_day

    best, skipped = None, []
    for path in sorted(glob.glob(str(REPO / "models" / "cases" / "case*.yaml"))):
        name = Path(path).stem
        try:
            scenario = load_scenario(path)
            simulate_day(scenario, 1, 0)
        except Exception as err:  # a case file may be in progress: skip it, say so
            first = (str(err).splitlines() or [""])[0][:90]
            skipped.append(f"{name}: {type(err).__name__}: {first}")
            continue
        size = scenario.population.list_size
        if best is None or size > best[0]:
            best = (size, name, scenario)
    if best is None:
        raise SystemExit("no bundled case file loads")
    return best[1], best[2], skipped


def bench_scenario(label: str, scenario, seconds: float, min_days: int, seed: int,
                   repeats: int) -> dict:
    from sim.engine import CompiledScenario, collector_paused, simulate_day
    from sim.engine.clinic import Clinic
    from sim.experiment import metrics_block
    from sim.metrics import day_metrics
    from sim.rng import RandomStreams

    # 0. a cold day: a freshly compiled scenario builds its distributions and tables on the
    #    first day (every sweep task does this once, in metrics_block)
    cold = []
    for r in range(5):
        fresh = CompiledScenario(scenario)
        c0 = time.process_time()
        simulate_day(fresh, seed, r)
        cold.append(time.process_time() - c0)
    model = CompiledScenario(scenario)
    for r in range(3):  # warm up
        simulate_day(model, seed, r)
    warm = []
    for r in range(5):
        c0 = time.process_time()
        simulate_day(model, seed, r)
        warm.append(time.process_time() - c0)

    # 1. timed passes, run as the product runs days (run_replications, sweep tasks, capacity
    #    searches): the cyclic collector paused across the loop. The same days are run
    #    `repeats` times with the event log off and on, alternating (order swapped every
    #    repeat, so drift in machine load hits both alike); the best repeat counts, as for
    #    the reference. Every day's CPU time is kept for the distribution.
    wall = {False: [], True: []}
    cpu = {False: [], True: []}
    per_day = {False: [], True: []}

    def timed(log: bool, n_days: int | None) -> int:
        """One pass over days 0.. (n_days, or until seconds / repeats of CPU time)."""
        gc.collect()
        spent, r = 0.0, 0
        with collector_paused():
            w0, c0 = time.perf_counter(), time.process_time()
            while (r < n_days) if n_days is not None else (
                    spent < seconds / repeats or r < min_days):
                d0 = time.process_time()
                simulate_day(model, seed, r, log)
                d1 = time.process_time()
                per_day[log].append(d1 - d0)
                spent += d1 - d0
                r += 1
            cpu[log].append(time.process_time() - c0)
            wall[log].append(time.perf_counter() - w0)
        return r

    days = timed(False, None)
    timed(True, days)
    for rep in range(1, repeats):
        for log in ((True, False) if rep % 2 else (False, True)):
            timed(log, days)
    contacts = sum(simulate_day(model, seed, r).arisen for r in range(days))

    # 1b. the same days as a plain loop of simulate_day with the collector running (a
    #     standalone script that does not pause it): what the cyclic GC costs there
    gc.collect()
    with GcTimer() as gct:
        c0 = time.process_time()
        for r in range(days):
            simulate_day(model, seed, r)
        cpu_gc_on = time.process_time() - c0

    # 2. counting pass over the same days: SimPy events and metric cost (log off), then
    #    log_event calls with the log on: each is one `log is not None` check when it is off
    t_metrics: list[float] = []
    with counting_steps() as counter:
        for r in range(days):
            rec = simulate_day(model, seed, r)
            c0 = time.process_time()
            day_metrics(rec, scenario)
            t_metrics.append(time.process_time() - c0)
    events = counter.steps
    log_calls = 0
    original_log = Clinic.log_event

    def counting_log(self, cid, event, worker):
        nonlocal log_calls
        log_calls += 1
        return original_log(self, cid, event, worker)

    Clinic.log_event = counting_log
    try:
        for r in range(days):
            simulate_day(model, seed, r, True)
    finally:
        Clinic.log_event = original_log

    # 3. the sweep task path (metrics_block: compile + simulate + day_metrics + DataFrame)
    block = min(days, 200)
    c0 = time.process_time()
    metrics_block(scenario, seed, 0, 0, block)
    t_block = (time.process_time() - c0) / block

    # 4. cost of the check that guards each log_event call (the only event-log code on the
    #    event_log=False path), above the cost of an empty statement
    clinic = Clinic(model, RandomStreams(seed, 0), False)
    n = 1_000_000
    names = {"clinic": clinic}
    check = min(timeit.repeat("if clinic.log is not None: pass", number=n, repeat=5,
                              globals=names)) / n
    empty = min(timeit.repeat("pass", number=n, repeat=5, globals=names)) / n
    log_cost = max(0.0, check - empty)

    # 5. memory of one day: Python allocations (tracemalloc) with the event log off and on
    peaks = {}
    for log in (False, True):
        gc.collect()
        tracemalloc.start()
        simulate_day(model, seed, 0, log)
        peaks[log] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    cpu_off, wall_off = min(cpu[False]), min(wall[False])
    mean_off, mean_on = cpu_off / days, min(cpu[True]) / days
    med_off, med_on = statistics.median(per_day[False]), statistics.median(per_day[True])
    return {
        "label": label, "list_size": scenario.population.list_size,
        "staff": len(model.people), "days": days, "repeats": repeats, "contacts": contacts,
        "contacts_per_day": contacts / days, "events": events,
        "events_per_day": events / days, "events_per_contact": events / contacts,
        "cpu": cpu_off, "wall": wall_off,
        "contacts_per_s": contacts / cpu_off, "contacts_per_s_wall": contacts / wall_off,
        "events_per_s": events / cpu_off, "events_per_s_wall": events / wall_off,
        "events_per_s_gc_on": events / cpu_gc_on,
        "days_per_s": days / cpu_off, "days_per_s_wall": days / wall_off,
        "ms_per_day": 1e3 * mean_off, "ms_per_day_median": 1e3 * med_off,
        "ms_per_day_p90": 1e3 * float(np.percentile(per_day[False], 90)),
        "ms_per_day_max": 1e3 * max(per_day[False]),
        "ms_per_day_wall": 1e3 * wall_off / days,
        "ms_per_day_log": 1e3 * mean_on, "ms_per_day_log_median": 1e3 * med_on,
        "log_ratio_mean": mean_on / mean_off, "log_ratio": med_on / med_off,
        "log_calls_per_day": log_calls / days, "log_call_ns": 1e9 * log_cost,
        "log_off_share": (log_calls / days) * log_cost / med_off,
        "ms_per_day_gc_on": 1e3 * cpu_gc_on / days,
        "gc_share": gct.seconds / cpu_gc_on,
        "gc_ms_per_day": 1e3 * gct.seconds / days, "gc_full": gct.collections[2],
        "cold_ms": 1e3 * statistics.median(cold), "warm_ms": 1e3 * statistics.median(warm),
        "metrics_ms": 1e3 * statistics.fmean(t_metrics),
        "metrics_share": statistics.fmean(t_metrics) / mean_off,
        "block_ms": 1e3 * t_block, "block": block,
        "trace_peak_kib": peaks[False] / 1024, "trace_peak_log_kib": peaks[True] / 1024,
    }


def print_scenario(s: dict, ref: dict) -> None:
    ratio = s["events_per_s"] / ref["events_per_s"]
    print(f"## (b) clinicsim: {s['label']} (list size {s['list_size']:,}, "
          f"{s['staff']} staff)")
    print(f"clinic-days          {s['days']:,} (one replication each), run {s['repeats']} times "
          f"with the event log off and on; best pass with it off: {s['cpu']:.2f} s CPU, "
          f"{s['wall']:.2f} s wall (cyclic GC paused, as in the product's loops)")
    print(f"contacts simulated   {s['contacts']:,} ({s['contacts_per_day']:.1f} per day)")
    print(f"SimPy events         {s['events']:,} ({s['events_per_day']:.0f} per day, "
          f"{s['events_per_contact']:.2f} per contact)")
    print(f"contacts/s per core  {s['contacts_per_s']:,.0f} (CPU time); "
          f"{s['contacts_per_s_wall']:,.0f} (wall)")
    print(f"engine events/s      {s['events_per_s']:,.0f} (CPU time) -> {ratio:.2f} x the bare "
          f"SimPy reference (target >= {TARGET_RATIO}); wall: "
          f"{s['events_per_s_wall'] / ref['events_per_s_wall']:.2f} x; both with the cyclic "
          f"GC running: {s['events_per_s_gc_on'] / ref['events_per_s_gc_on']:.2f} x")
    print(f"contacts/s vs ref    {s['contacts_per_s'] / ref['customers_per_s']:.2f} x the "
          "reference's customers/s (a contact does more than a customer: routing, triage, "
          "slots, supervision)")
    print(f"clinic-days/s        {s['days_per_s']:,.1f} (CPU time); {s['days_per_s_wall']:,.1f} "
          f"(wall)")
    print(f"ms per clinic-day    CPU: mean {s['ms_per_day']:.2f}, median "
          f"{s['ms_per_day_median']:.2f}, p90 {s['ms_per_day_p90']:.2f}, max "
          f"{s['ms_per_day_max']:.1f}; wall: mean {s['ms_per_day_wall']:.2f} (target <= "
          f"{TARGET_DAY_MS:g} for the largest case)")
    print(f"first day, cold      {s['cold_ms']:.2f} ms CPU on a freshly compiled scenario vs "
          f"{s['warm_ms']:.2f} ms warm (medians of 5)")
    print(f"cyclic GC running    a plain simulate_day loop: {s['ms_per_day_gc_on']:.2f} ms/day, "
          f"{100 * s['gc_share']:.1f} % of it in the collector ({s['gc_ms_per_day']:.2f} "
          f"ms/day; {s['gc_full']} full collections)")
    print(f"event log on         CPU median {s['ms_per_day_log_median']:.2f} ms/day -> on/off "
          f"{s['log_ratio']:.3f} (ratio of medians; of means: {s['log_ratio_mean']:.3f})")
    print(f"event log off        {s['log_calls_per_day']:.0f} logged moments/day x "
          f"{s['log_call_ns']:.0f} ns (the `log is not None` check, above an empty "
          "statement) = "
          f"{100 * s['log_off_share']:.2f} % of a median day")
    print(f"day_metrics          {s['metrics_ms']:.3f} ms CPU/day = "
          f"{100 * s['metrics_share']:.1f} % of the simulation alone")
    print(f"metrics_block        {s['block_ms']:.2f} ms CPU/day (sweep task path: compile, "
          f"simulate, day_metrics, DataFrame; {s['block']} days in one block)")
    print(f"tracemalloc peak     {s['trace_peak_kib']:,.0f} KiB for one day "
          f"({s['trace_peak_log_kib']:,.0f} KiB with the event log)")
    print()


def profile_day(label: str, scenario, days: int, seed: int, top: int = 18) -> None:
    from sim.engine import CompiledScenario, simulate_day

    model = CompiledScenario(scenario)
    simulate_day(model, seed, 0)
    gc.collect()
    gc.disable()  # GC pauses land on whatever function allocates; GC is reported above
    profiler = cProfile.Profile()
    profiler.enable()
    for r in range(days):
        simulate_day(model, seed, r)
    profiler.disable()
    gc.enable()
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    print(f"## cProfile: {days} days of {label} (GC off while profiling), top {top} by own time")
    text = buf.getvalue()
    start = text.find("   ncalls")
    print(text[start:].rstrip() if start >= 0 else text.rstrip())
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.strip_dirs().sort_stats("cumulative").print_callees("schedule_demand")
    lines = [ln for ln in buf.getvalue().splitlines() if "->" in ln or "(" in ln]
    total = sum(v[3] for k, v in stats.stats.items() if k[2] == "simulate_day")
    own = sum(v[3] for k, v in stats.stats.items() if k[2] == "schedule_demand")
    print(f"schedule_demand (putting the day's contacts on the calendar): "
          f"{100 * own / total:.0f} % of simulate_day; its callees:")
    print("\n".join(lines))
    print()


# --- main ----------------------------------------------------------------------------------


def markdown_table(ref: dict, results: list[dict], peak_rss_mib: float) -> str:
    cols = ["SimPy M/M/3 reference"] + [r["label"] for r in results]

    def row(name: str, ref_value: str, key) -> str:
        cells = [ref_value] + [key(r) for r in results]
        return f"| {name} | " + " | ".join(cells) + " |"

    lines = [
        "| one core, CPU time unless noted | " + " | ".join(cols) + " |",
        "| --- | " + " | ".join("---:" for _ in cols) + " |",
        row("list size", "", lambda r: f"{r['list_size']:,}"),
        row("contacts per day", f"{ref['customers']:,} customers",
            lambda r: f"{r['contacts_per_day']:.0f}"),
        row("SimPy events per contact", f"{ref['events_per_customer']:.2f}",
            lambda r: f"{r['events_per_contact']:.2f}"),
        row("contacts/s", f"{ref['customers_per_s']:,.0f}",
            lambda r: f"{r['contacts_per_s']:,.0f}"),
        row("SimPy events/s", f"{ref['events_per_s']:,.0f}",
            lambda r: f"{r['events_per_s']:,.0f}"),
        row("events/s vs reference (target >= 0.6)", "1.00",
            lambda r: f"{r['events_per_s'] / ref['events_per_s']:.2f}"),
        row("clinic-days/s", "", lambda r: f"{r['days_per_s']:,.0f}"),
        row("ms per clinic-day: mean / median", "",
            lambda r: f"{r['ms_per_day']:.1f} / {r['ms_per_day_median']:.1f}"),
        row("ms per clinic-day, wall: mean", "", lambda r: f"{r['ms_per_day_wall']:.1f}"),
        row("events/s vs reference, both with the cyclic GC running",
            f"{ref['events_per_s_gc_on']:,.0f} events/s",
            lambda r: f"{r['events_per_s_gc_on'] / ref['events_per_s_gc_on']:.2f}"),
        row("contacts/s vs the reference's customers/s", "1.00",
            lambda r: f"{r['contacts_per_s'] / ref['customers_per_s']:.2f}"),
        row("event log on / off (medians)", "", lambda r: f"{r['log_ratio']:.2f}"),
        row("event-log code with the log off", "",
            lambda r: f"{100 * r['log_off_share']:.1f} %"),
        row("day_metrics per day", "",
            lambda r: f"{r['metrics_ms']:.2f} ms ({100 * r['metrics_share']:.0f} %)"),
        row("peak Python memory per day (tracemalloc)", "",
            lambda r: f"{r['trace_peak_kib'] / 1024:.1f} MiB"),
    ]
    lines.append(f"\nPeak RSS (VmHWM) of the whole benchmark process: {peak_rss_mib:,.0f} MiB.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="shorter timing (1 s per scenario, two repeats)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="seconds of timing per clinicsim scenario (default 3, quick 1)")
    parser.add_argument("--customers", type=int, default=200_000,
                        help="customers in the M/M/3 reference (default 200,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of days of the largest case")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 1.0 if args.quick else 3.0
    print_header(args)

    from sim import load_scenario

    t_start = time.perf_counter()
    repeats = 2 if args.quick else 3
    ref = run_reference(args.customers, repeats=repeats)

    case_name, case, skipped = pick_largest_case()
    if skipped:
        print("case files skipped (do not load or simulate): " + "; ".join(skipped))
        print()
    scenarios = [(f"{case_name.split('_')[0]} (largest case)", case),
                 ("default scenario", load_scenario("default"))]
    print(f"largest case that loads: {case_name} "
          f"(list size {case.population.list_size:,})")
    print()
    results = []
    for label, scenario in scenarios:
        res = bench_scenario(label, scenario, args.seconds, min_days=20, seed=args.seed,
                             repeats=repeats)
        print_scenario(res, ref)
        results.append(res)
    if args.profile:
        profile_day(scenarios[0][0], scenarios[0][1], 30 if args.quick else 100, args.seed)

    peak_rss_mib = peak_rss_kib() / 1024
    print(f"peak RSS (VmHWM) of this process: {peak_rss_mib:,.0f} MiB")
    print(f"load avg at end: {load_average()}; total wall time "
          f"{time.perf_counter() - t_start:.0f} s")
    print()
    print("## Markdown table (paste into the README)")
    print()
    print(markdown_table(ref, results, peak_rss_mib))


if __name__ == "__main__":
    main()
