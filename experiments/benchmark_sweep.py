"""Sweep benchmark: parallel efficiency, overhead per task and driver memory (not a test).

    python experiments/benchmark_sweep.py            # full run (about 7 minutes on 2 idle cores)
    python experiments/benchmark_sweep.py --quick    # smoke run (about 2 minutes): 12 tasks

What it measures, with ``run_sweep`` exactly as ``clinicsim sweep`` calls it (fresh
temporary results directories, ``progress=False``). A replication is a run of weeks (the
scenario's warm-up and measured weeks, or those the experiment sets), and a task is whole
runs:

1. Parallel efficiency of 2 workers against 1. A temporary experiment on the default
   scenario and its calendar (grid over ``delegation.degree``: low, high) with 200 tasks
   of the size that ``replications_per_task: auto`` gives it (``--quick``: 12 tasks, a
   smoke run). T1 is the sweep
   with ``jobs=1`` (the loky backend then runs tasks in this process); T2 is the same sweep
   with ``jobs=2`` on loky (first with a cold worker pool, then reusing it) and on Dask
   (``backend="dask"``, which starts and stops its own LocalCluster of 2 workers).
   Efficiency = T1 / (2 x T2). The cost of starting a 2-worker LocalCluster (and of its
   workers importing clinicsim) is timed on its own, so Dask's efficiency is also shown
   without it.
2. Overhead per task, two ways.
   (a) During the serial sweep every task's compute (``metrics_block``) is timed in
       process; overhead per task = (workers x wall time - sum of task compute) / tasks,
       i.e. worker time per task not spent computing (scheduling, pickling, writing parts,
       the final summary, and idle workers at the end). With 1 worker it is the sweep's own
       bookkeeping per task.
   (b) (full run only) The same 200 runs of one week of one point as 200 tasks of 1 run
       and as 4 tasks of 50: the extra wall time divided by the extra tasks is the
       marginal wall-clock cost of one more task at 2 workers.
3. Peak memory of the driver process for a sweep of 1,000 vs 10,000 runs of one week (no
   warm-up) of one point (``--quick``: 100 vs 1,000), loky with 2 workers, each in a
   fresh subprocess that
   reports its own peak RSS (VmHWM), so the two peaks do not mix. Not ru_maxrss: a child
   inherits its parent's ru_maxrss across vfork/exec on Linux. The peak is also reset
   after imports and loading (/proc/self/clear_refs), to show the sweep's own peak.

CPU time of the driver and of its worker processes (via psutil, when installed) is shown
next to wall time: on a shared machine, wall-clock efficiency also measures the other
processes, so the load average is printed at the start and the end. Nothing asserts on a
timing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

# before dask is imported (and inherited by its worker processes): a loaded machine makes
# workers log heartbeat timeouts while the cluster closes; task errors still surface as
# exceptions in this process
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")

from bench_machine import cpu_model, load_average  # noqa: E402 (beside this script)

#: Tasks per design point (2 points) in a full run and in --quick.
TASKS_PER_POINT = 100
QUICK_TASKS_PER_POINT = 6
#: A driver peak within this ratio of the smaller sweep's counts as flat (the issue's).
FLAT = 1.10

REPO = Path(__file__).resolve().parent.parent

EXPERIMENT = """\
    name: benchmark sweep ({points} points x {reps} replications)
    base: default
    seed: 1
    replications: {reps}
    replications_per_task: {per_task}
    weeks: {weeks}
    warmup_weeks: {warmup}
    design:
      kind: grid
      factors:
        delegation.degree: {degrees}
    """


#: Runs of the efficiency sweep: the default scenario's own calendar (null = the scenario's).
SCENARIO_CALENDAR = (None, None)
#: Runs of the memory and per-task sweeps: one measured week, no warm-up (many small runs).
ONE_WEEK = (1, 0)


def _yaml(value: int | None) -> str:
    return "null" if value is None else str(value)


def auto_task_size(calendar: tuple[int | None, int | None]) -> int:
    """Runs per task that replications_per_task: auto gives the default scenario."""
    from sim.experiment.design import load_experiment

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe.yaml"
        path.write_text(textwrap.dedent(EXPERIMENT.format(
            points=1, reps=1_000_000, per_task='"auto"', degrees='["low"]',
            weeks=_yaml(calendar[0]), warmup=_yaml(calendar[1]))), encoding="utf-8")
        return load_experiment(path).task_size


def write_experiment(folder: Path, name: str, points: int, reps: int, per_task: int,
                     calendar: tuple[int | None, int | None] = SCENARIO_CALENDAR) -> Path:
    degrees = ["low", "high", "medium"][:points]
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(EXPERIMENT.format(
        points=points, reps=reps, per_task=per_task, degrees=json.dumps(degrees),
        weeks=_yaml(calendar[0]), warmup=_yaml(calendar[1]))), encoding="utf-8")
    return path


# --- environment ---------------------------------------------------------------------------


def versions() -> str:
    import joblib
    import numpy
    import pandas
    import simpy

    import sim

    parts = [f"clinicsim {sim.__version__}", f"simpy {simpy.__version__}",
             f"numpy {numpy.__version__}", f"pandas {pandas.__version__}",
             f"joblib {joblib.__version__}"]
    try:
        import dask
        import distributed

        parts += [f"dask {dask.__version__}", f"distributed {distributed.__version__}"]
    except ImportError:
        parts.append("dask not installed")
    return ", ".join(parts)


def print_header(args, cfg: dict) -> None:
    print("# clinicsim sweep benchmark")
    command = shlex.join([os.path.relpath(sys.argv[0], os.getcwd())] + sys.argv[1:])
    print(f"command:   python {command}   (cwd {os.getcwd()})")
    print(f"python:    {sys.version.split()[0]} ({sys.executable})")
    print(f"versions:  {versions()}")
    print(f"platform:  {platform.platform()}")
    print(f"cpu:       {cpu_model()} ({os.cpu_count()} logical CPUs)")
    print(f"load avg:  {load_average()} (1, 5, 15 min) at start")
    print(f"mode:      {'quick' if args.quick else 'full'}: {cfg['points']} points x "
          f"{cfg['reps']} runs (the scenario's calendar), {cfg['per_task']} per task = "
          f"{cfg['tasks']} tasks; memory at {cfg['mem'][0]:,} vs {cfg['mem'][1]:,} runs of "
          "one week")
    print()


# --- measuring -----------------------------------------------------------------------------


class ChildCpu:
    """CPU seconds used by this process's descendants (loky or Dask workers) meanwhile.

    Polls psutil every 0.1 s and keeps the last reading per process, so a worker that
    exits loses at most its last 0.1 s.
    """

    def __init__(self):
        try:
            import psutil
        except ImportError:
            self.psutil = None
            return
        self.psutil = psutil
        self.me = psutil.Process()
        self.base = self._read()
        self.last = dict(self.base)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _read(self) -> dict:
        out = {}
        for p in self.me.children(recursive=True):
            try:
                t = p.cpu_times()
                out[(p.pid, p.create_time())] = t.user + t.system
            except (self.psutil.NoSuchProcess, self.psutil.AccessDenied):
                pass
        return out

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            self.last.update(self._read())

    def stop(self) -> float | None:
        if self.psutil is None:
            return None
        self._stop.set()
        self._thread.join()
        self.last.update(self._read())
        return sum(v - self.base.get(k, 0.0) for k, v in self.last.items())


class TaskTimer:
    """Wraps ``metrics_block`` in the sweep module (serial runs only: same process)."""

    def __init__(self):
        import sim.experiment.sweep as sweep_module

        self.module = sweep_module
        self.original = sweep_module.metrics_block
        self.wall = 0.0
        self.cpu = 0.0
        self.calls = 0

    def __enter__(self):
        def timed(*args):
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                return self.original(*args)
            finally:
                self.cpu += time.process_time() - c0
                self.wall += time.perf_counter() - w0
                self.calls += 1

        self.module.metrics_block = timed
        return self

    def __exit__(self, *exc):
        self.module.metrics_block = self.original


class SummaryTimer:
    """Times ``summarise_parts`` (the final summary, in the driver) inside ``run_sweep``."""

    def __init__(self):
        import sim.experiment.sweep as sweep_module

        self.module = sweep_module
        self.original = sweep_module.summarise_parts
        self.wall = 0.0

    def __enter__(self):
        def timed(*args, **kwargs):
            w0 = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.wall += time.perf_counter() - w0

        self.module.summarise_parts = timed
        return self

    def __exit__(self, *exc):
        self.module.summarise_parts = self.original


def timed_sweep(exp_path: Path, workdir: Path, label: str, backend: str, jobs: int,
                time_tasks: bool = False) -> dict:
    from sim.experiment.design import load_experiment
    from sim.experiment.sweep import run_sweep

    experiment = load_experiment(exp_path)
    out = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=workdir)) / "out"
    timer = TaskTimer() if time_tasks else None
    children = ChildCpu()
    w0, c0 = time.perf_counter(), time.process_time()
    with SummaryTimer() as summary:
        if timer:
            with timer:
                run_sweep(experiment, out, jobs=jobs, backend=backend, progress=False)
        else:
            run_sweep(experiment, out, jobs=jobs, backend=backend, progress=False)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    child_cpu = children.stop()
    parts = len(list((out / "results").glob("part-*.parquet")))
    shutil.rmtree(out.parent, ignore_errors=True)
    res = {"label": label, "backend": backend, "jobs": jobs, "wall": wall, "driver_cpu": cpu,
           "worker_cpu": child_cpu, "tasks": parts, "summary": summary.wall}
    if timer:
        res.update(task_wall=timer.wall, task_cpu=timer.cpu, task_calls=timer.calls)
    print(f"  {label:<28} {wall:7.2f} s wall; driver CPU {cpu:6.2f} s; workers CPU "
          f"{'n/a' if child_cpu is None else f'{child_cpu:6.2f} s'}; {parts} tasks; final "
          f"summary {summary.wall:.2f} s; "
          f"load {load_average()}", flush=True)
    return res


def dask_startup(jobs: int) -> dict:
    """Start and stop a LocalCluster like DaskBackend does, timing each step."""
    from dask.distributed import Client, LocalCluster

    w0 = time.perf_counter()
    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    client.wait_for_workers(jobs)
    start = time.perf_counter() - w0
    w1 = time.perf_counter()
    client.run(lambda: __import__("sim.experiment.sweep").__name__)
    imports = time.perf_counter() - w1
    w2 = time.perf_counter()
    client.close()
    cluster.close()
    stop = time.perf_counter() - w2
    print(f"  LocalCluster of {jobs}: start {start:.2f} s, workers import clinicsim "
          f"{imports:.2f} s, close {stop:.2f} s", flush=True)
    return {"start": start, "imports": imports, "stop": stop}


# --- memory (fresh subprocesses) -----------------------------------------------------------


def _status_kib(field: str) -> int | None:
    """A memory field of /proc/self/status in KiB (VmHWM = peak RSS, VmRSS = current)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child_memory(reps: int, per_task: int, jobs: int, workdir: str) -> None:
    """Runs in a fresh subprocess: one point, ``reps`` runs of one week; prints JSON.

    The peak is VmHWM from /proc/self/status, not ru_maxrss: a child started with
    vfork/exec inherits its parent's ru_maxrss (Linux keeps the larger of the pre-exec
    address space's peak and the new one), so ru_maxrss would report the benchmark
    driver's peak, not this process's.
    """
    from sim.experiment.design import load_experiment
    from sim.experiment.sweep import run_sweep

    folder = Path(workdir)
    exp = load_experiment(write_experiment(folder, f"memory-{reps}", 1, reps, per_task,
                                           ONE_WEEK))
    loaded_peak, loaded_rss = _status_kib("VmHWM"), _status_kib("VmRSS")
    reset = _reset_peak()
    w0 = time.perf_counter()
    run_sweep(exp, folder / f"out-{reps}", jobs=jobs, backend="loky", progress=False)
    wall = time.perf_counter() - w0
    sweep_peak = _status_kib("VmHWM")
    if loaded_peak is None or sweep_peak is None:  # no /proc: fall back to ru_maxrss
        loaded_peak = loaded_rss = sweep_peak = resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"reps": reps, "loaded_peak_kib": loaded_peak, "loaded_rss_kib": loaded_rss,
                      "sweep_peak_kib": sweep_peak if reset else None,
                      "peak_kib": max(loaded_peak, sweep_peak),
                      "end_rss_kib": _status_kib("VmRSS"),
                      "wall": wall}))


def measure_memory(reps: int, per_task: int, jobs: int, workdir: Path) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"memory-{reps}-", dir=workdir))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-memory", str(reps),
           "--child-per-task", str(per_task), "--child-jobs", str(jobs),
           "--child-dir", str(folder)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"memory subprocess failed:\n{done.stderr}")
    res = json.loads(done.stdout.strip().splitlines()[-1])
    sweep = ("n/a" if res["sweep_peak_kib"] is None
             else f"{res['sweep_peak_kib'] / 1024:.1f} MiB")
    print(f"  {reps:>6,} runs: driver peak RSS {res['peak_kib'] / 1024:7.1f} MiB; "
          f"after imports and loading {res['loaded_rss_kib'] / 1024:.1f} MiB "
          f"(peak so far {res['loaded_peak_kib'] / 1024:.1f}); peak during the sweep {sweep}; "
          f"{res['wall']:.1f} s wall", flush=True)
    return res


# --- main ----------------------------------------------------------------------------------


def efficiency(t1: float, t2: float, jobs: int = 2) -> float:
    return t1 / (jobs * t2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sweeps (smoke run)")
    parser.add_argument("--embedded", action="store_true",
                        help="run by benchmark_engine.py (accepted; the header is kept)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask backend")
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-per-task", type=int, default=20, help=argparse.SUPPRESS)
    parser.add_argument("--child-jobs", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_memory:
        child_memory(args.child_memory, args.child_per_task, args.child_jobs, args.child_dir)
        return

    # Tasks of the size a sweep of the default scenario gets by default
    # (replications_per_task: auto), 100 per point in a full run (200 tasks), 6 in --quick.
    per_task = auto_task_size(SCENARIO_CALENDAR)
    if args.quick:
        cfg = {"points": 2, "reps": QUICK_TASKS_PER_POINT * per_task, "per_task": per_task,
               "mem": (100, 1_000), "mem_per_task": 50}
    else:
        cfg = {"points": 2, "reps": TASKS_PER_POINT * per_task, "per_task": per_task,
               "mem": (1_000, 10_000), "mem_per_task": 20}
    cfg["tasks"] = cfg["points"] * -(-cfg["reps"] // cfg["per_task"])
    print_header(args, cfg)
    use_dask = not args.no_dask
    if use_dask:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            print("dask.distributed is not installed: the Dask rows are skipped\n")
            use_dask = False

    t_start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="clinicsim-bench-sweep-"))
    try:
        exp = write_experiment(workdir, "efficiency", cfg["points"], cfg["reps"],
                               cfg["per_task"])
        print(f"## 1. Parallel efficiency: {cfg['tasks']} tasks of {cfg['per_task']} "
              f"runs (default scenario and calendar, delegation low/high)")
        serial = timed_sweep(exp, workdir, "serial (jobs=1)", "loky", 1, time_tasks=True)
        n = serial["tasks"]
        loky = [timed_sweep(exp, workdir, "loky jobs=2 (cold pool)", "loky", 2)]
        if not args.quick:
            loky.append(timed_sweep(exp, workdir, "loky jobs=2 (warm pool)", "loky", 2))
        dask_sweep = startup = None
        if use_dask:
            startup = dask_startup(2)
            dask_sweep = timed_sweep(exp, workdir, "dask jobs=2 (LocalCluster)", "dask", 2)
        # serial again, last: T1 is the faster of the two serial runs, so that a busy moment
        # of the machine (or the order of the runs) does not inflate the efficiencies
        again = timed_sweep(exp, workdir, "serial (jobs=1), again", "loky", 1, time_tasks=True)
        serials = [serial, again]
        serial = min(serials, key=lambda r: r["wall"])
        print(f"  mean task compute (serial, in process): {serial['task_wall'] / n:.3f} s wall, "
              f"{serial['task_cpu'] / n:.3f} s CPU")
        print()

        marginal = {}
        if not args.quick:
            print("## 2b. Overhead per task: 200 runs of one week of one point as 200 tasks "
                  "of 1 vs 4 tasks of 50 (2 workers)")
            ones = write_experiment(workdir, "per-task-1", 1, 200, 1, ONE_WEEK)
            fifties = write_experiment(workdir, "per-task-50", 1, 200, 50, ONE_WEEK)
            backends = ["loky"] + (["dask"] if use_dask else [])
            for backend in backends:
                a = timed_sweep(ones, workdir, f"{backend} 200 x 1", backend, 2)
                b = timed_sweep(fifties, workdir, f"{backend} 4 x 50", backend, 2)
                extra = a["tasks"] - b["tasks"]
                marginal[backend] = ((a["wall"] - b["wall"]) / extra,
                                     (a["summary"] - b["summary"]) / extra)
                print(f"  -> {backend}: {1e3 * marginal[backend][0]:.1f} ms of wall time per "
                      f"extra task, of which {1e3 * marginal[backend][1]:.1f} ms in the final "
                      "summary")
            print()

        print(f"## 3. Driver peak memory (loky, 2 workers, {cfg['mem_per_task']} runs of one "
              "week per task, fresh subprocess each)")
        mem = [measure_memory(r, cfg["mem_per_task"], 2, workdir) for r in cfg["mem"]]
        ratio = mem[1]["peak_kib"] / mem[0]["peak_kib"]
        print(f"  -> ratio {ratio:.3f} ({cfg['mem'][1]:,} vs {cfg['mem'][0]:,} runs of one "
              f"week; target <= {FLAT:.2f}): {'met' if ratio <= FLAT else 'NOT met'}")
        print()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    # --- summary ---------------------------------------------------------------------------
    t1, compute, compute_cpu = serial["wall"], serial["task_wall"], serial["task_cpu"]
    rows = [(f"serial (jobs=1, in process), run {i + 1}{' = T1' if r is serial else ''}", r, 1)
            for i, r in enumerate(serials)]
    rows += [(r["label"], r, 2) for r in loky]
    if dask_sweep:
        rows.append(("dask jobs=2, incl. cluster start-up", dask_sweep, 2))
        excl = dask_sweep["wall"] - startup["start"] - startup["imports"] - startup["stop"]
        rows.append(("dask jobs=2, excl. start-up (start, import, close)",
                     {**dask_sweep, "wall": excl}, 2))

    print("## Method")
    print(textwrap.fill(
        "Efficiency = T1 / (2 x T2) with T1 the faster of two serial sweeps (one first, one "
        "last) and T2 the 2-worker sweep, both "
        "wall clock and including everything run_sweep does (writing the Parquet parts and the "
        "summary). Overhead per task (a) = (workers x wall - sum of the tasks' compute measured "
        "in process during the serial sweep) / tasks: worker time per task not spent "
        "simulating. CPU efficiency = the serial tasks' CPU time / (driver + worker CPU time "
        "of the parallel sweep); it leaves out time lost to other processes on the machine. "
        "Final summary = the time run_sweep spends in summarise_parts after the last task. "
        "The Dask row without start-up subtracts the separately timed LocalCluster start, "
        "its workers' first import of clinicsim and its close (CPU columns unchanged).",
        width=92))
    print()
    print(f"load avg at end: {load_average()}; total wall time "
          f"{time.perf_counter() - t_start:.0f} s")
    print()
    print("## Markdown table (paste into the README)")
    print()
    print(f"Sweep of {n} tasks x {cfg['per_task']} runs (default scenario and calendar, 2 "
          "points), "
          f"mean task {serial['task_wall'] / n:.2f} s; {os.cpu_count()} cores, "
          f"{cpu_model()}.")
    print()
    print("| run | wall time | speed-up | efficiency T1/(2 T2) | overhead per task (a) "
          "| CPU efficiency | final summary (driver) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, r, jobs in rows:
        own = jobs == 1  # a serial run is compared with its own task compute
        over = (jobs * r["wall"] - (r["task_wall"] if own else compute)) / n
        cpu_total = r["driver_cpu"] + (r["worker_cpu"] or 0.0)
        cpu_eff = (f"{(r['task_cpu'] if own else compute_cpu) / cpu_total:.2f}"
                   if own or r["worker_cpu"] is not None else "n/a")
        eff = "-" if own else f"{efficiency(t1, r['wall']):.2f}"
        speed = f"{t1 / r['wall']:.2f}"
        print(f"| {label} | {r['wall']:.1f} s | {speed} | {eff} | {1e3 * over:.0f} ms "
              f"| {cpu_eff} | {r['summary']:.1f} s |")
    if startup:
        print(f"| LocalCluster(2) start / import clinicsim / close | {startup['start']:.1f} / "
              f"{startup['imports']:.1f} / {startup['stop']:.1f} s | | | | | |")
    for backend, (m, summary_per_task) in marginal.items():
        print(f"| {backend}: extra wall per extra task (b: 200x1 vs 4x50) | {1e3 * m:.0f} ms "
              f"| | | | | {1e3 * summary_per_task:.0f} ms per extra task |")
    print()
    print("| driver (loky, 2 workers), one point | peak RSS | RSS after imports | peak during "
          "the sweep | sweep wall |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for m in mem:
        sweep = "n/a" if m["sweep_peak_kib"] is None else f"{m['sweep_peak_kib'] / 1024:.0f} MiB"
        print(f"| {m['reps']:,} runs of one week | {m['peak_kib'] / 1024:.0f} MiB | "
              f"{m['loaded_rss_kib'] / 1024:.0f} MiB | {sweep} | {m['wall']:.0f} s |")
    sweep_ratio = ("n/a" if mem[0]["sweep_peak_kib"] is None
                   else f"{mem[1]['sweep_peak_kib'] / mem[0]['sweep_peak_kib']:.2f}")
    print(f"| ratio {cfg['mem'][1]:,} / {cfg['mem'][0]:,} | {ratio:.2f} | | {sweep_ratio} | |")

if __name__ == "__main__":
    main()
