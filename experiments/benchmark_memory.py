"""Peak memory of whole commands as runs and weeks grow (a benchmark, not a test).

    python experiments/benchmark_memory.py            # about 5 minutes on one idle core
    python experiments/benchmark_memory.py --quick    # about a minute (smoke run)

Each command runs in a fresh subprocess of this Python, which reports its own peak resident
memory (VmHWM from /proc/self/status) when it exits, so the peaks never mix (not
ru_maxrss: a child inherits its parent's across exec on Linux). Memory should not grow
with the number of runs (the commands stream each run into their summary) nor with the
number of weeks (a run keeps its days' records only until they are counted). Pairs, the
smaller against the larger, all on one process (``-j 1``: every run's memory is in the
measured process):

[7] ``clinicsim run``: 1,000 against 10,000 runs of one week (quick: 20 against 200);
    2 runs of 4 against 40 weeks (quick: 2 against 10);
    ``clinicsim compare default case08``: 10 against 100 runs of one week (quick: 5
    against 50);
    ``clinicsim sweep``: an experiment of 2 points, 20 against 200 runs of one week
    (quick: 10 against 100);
    ``clinicsim capacity default``: 4 against 40 weeks (quick: 2 against 10), list sizes
    fixed by a coarse resolution.
[8] ``run_one`` of a year of the largest case against a quarter: 13 against 52 weeks, no
    warm-up (``run_one(model, 1, 0, run_calendar(case, weeks, 0))``, keep_days as default).

It prints each peak and the ratio of the larger to the smaller, next to the target (within
10 %). Nothing asserts on the figures.
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from bench_figures import Figure, Figures  # beside this script
from bench_machine import load_average, print_header

#: A peak within this ratio of the smaller run's counts as flat (the issue's target).
FLAT = 1.10
#: Runs of one week: smaller and larger, full and quick.
RUNS = {"full": (1_000, 10_000), "quick": (20, 200)}
#: Weeks of a run (and of the capacity search): smaller and larger, full and quick.
WEEKS = {"full": (4, 40), "quick": (2, 10)}
#: Runs of each design in ``compare``, and of each point in ``sweep``: the issue's sizes
#: (quick: half of them, still ten times more in the larger).
COMPARE_RUNS = {"full": (10, 100), "quick": (5, 50)}
SWEEP_RUNS = {"full": (20, 200), "quick": (10, 100)}
COMPARE_SCENARIOS = ("default", "case08")
#: The capacity search at list sizes 4,000 apart: a few list sizes, the same at any weeks.
CAPACITY_RESOLUTION = 4_000
#: [8] A quarter against a year of the largest case.
YEAR_WEEKS = (13, 52)

#: Prints this process's peak resident memory on stderr at exit (any way it exits).
_PEAK_AT_EXIT = textwrap.dedent("""\
    import atexit, sys

    def _peak():
        with open("/proc/self/status") as f:
            peak = next(line.split()[1] for line in f if line.startswith("VmHWM"))
        sys.stderr.write(f"PEAK_KB {peak}\\n")

    atexit.register(_peak)
    """)

#: ``clinicsim ARGS``, as the console script runs it (its entry point, which also sets
#: what the process asks of OpenBLAS; ``python -c`` leaves ARGS in ``sys.argv[1:]``).
_CLI = _PEAK_AT_EXIT + textwrap.dedent("""\
    from sim.cli import console
    sys.exit(console())
    """)

#: One ``run_one`` of a case: ARGS = case, weeks.
_RUN_ONE = _PEAK_AT_EXIT + textwrap.dedent("""\
    from sim import load_scenario
    from sim.engine import CompiledScenario, collector_paused
    from sim.experiment.replications import run_calendar, run_one
    scenario = load_scenario(sys.argv[1])
    with collector_paused():
        run_one(CompiledScenario(scenario), 1, 0, run_calendar(scenario, int(sys.argv[2]), 0))
    """)

#: An experiment of two design points, ``runs`` runs of one week each.
_EXPERIMENT = textwrap.dedent("""\
    name: memory benchmark ({runs} runs)
    base: default
    seed: 1
    replications: {runs}
    weeks: 1
    warmup_weeks: 0
    design:
      kind: grid
      factors:
        delegation.degree: [low, high]
    """)


@dataclass
class Pair:
    target_no: int
    name: str
    code: str                  # the wrapper the subprocess runs
    small: list[str]
    large: list[str]
    shown: str                 # the command as a user would type it (smaller of the two)


def peak_mib(code: str, args: list[str]) -> float:
    """Peak resident memory (MiB) of a fresh process running ``code`` with ``args``."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(args)} failed:\n{done.stderr[-2000:]}")
    line = next(x for x in done.stderr.splitlines() if x.startswith("PEAK_KB"))
    return int(line.split()[1]) / 1024


def pairs(mode: str, folder: Path, largest: str) -> list[Pair]:
    few, many = RUNS[mode]
    short, long = WEEKS[mode]
    compare_runs, sweep_runs = COMPARE_RUNS[mode], SWEEP_RUNS[mode]
    week = ["-w", "1", "--warmup-weeks", "0"]
    experiments = []
    for runs in sweep_runs:
        path = folder / f"memory-{runs}.yaml"
        path.write_text(_EXPERIMENT.format(runs=runs), encoding="utf-8")
        experiments.append(path)
    capacity = ["capacity", "default", "-r", "2", "--max-replications", "2", "--resolution",
                str(CAPACITY_RESOLUTION), "--warmup-weeks", "1", "-w"]
    compare = ["compare", *COMPARE_SCENARIOS, *week, "--json", "-r"]
    return [
        Pair(7, f"run, runs {few:,} -> {many:,}", _CLI,
             ["run", "-r", str(few), *week, "--json"], ["run", "-r", str(many), *week, "--json"],
             "clinicsim run -r N -w 1 --warmup-weeks 0 --json"),
        Pair(7, f"run, weeks {short} -> {long}", _CLI,
             ["run", "-r", "2", "-w", str(short), "--warmup-weeks", "1", "--json"],
             ["run", "-r", "2", "-w", str(long), "--warmup-weeks", "1", "--json"],
             "clinicsim run -r 2 -w N --warmup-weeks 1 --json"),
        Pair(7, f"compare, runs {compare_runs[0]} -> {compare_runs[1]}", _CLI,
             compare + [str(compare_runs[0])], compare + [str(compare_runs[1])],
             f"clinicsim compare {' '.join(COMPARE_SCENARIOS)} -w 1 --warmup-weeks 0 --json "
             "-r N"),
        Pair(7, f"sweep, runs {sweep_runs[0]} -> {sweep_runs[1]} (2 points)", _CLI,
             ["sweep", str(experiments[0]), "-o", str(folder / "sweep-small"), "-q"],
             ["sweep", str(experiments[1]), "-o", str(folder / "sweep-large"), "-q"],
             "clinicsim sweep EXPERIMENT -o DIR -q (2 points, N runs of 1 week)"),
        Pair(7, f"capacity, weeks {short} -> {long}", _CLI, capacity + [str(short)],
             capacity + [str(long)], "clinicsim " + shlex.join(capacity) + " N"),
        Pair(8, f"run_one {largest}, weeks {YEAR_WEEKS[0]} -> {YEAR_WEEKS[1]}", _RUN_ONE,
             [largest, str(YEAR_WEEKS[0])], [largest, str(YEAR_WEEKS[1])],
             f"run_one(model, 1, 0, run_calendar({largest}, N, 0))"),
    ]


def largest_case() -> str:
    from sim import load_scenario

    here = Path(__file__).resolve().parent.parent / "models" / "cases"
    sizes = {p.stem.split("_")[0]: load_scenario(str(p)).population.list_size
             for p in here.glob("case*.yaml")}
    return max(sizes, key=sizes.get)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke test)")
    parser.add_argument("--figures", help="write the figures as JSON to this file")
    parser.add_argument("--embedded", action="store_true",
                        help="run by benchmark_engine.py, which printed the header")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    title = "clinicsim peak-memory benchmark"
    if args.embedded:
        print(f"# {title} ({mode})\n")
    else:
        print_header(title, mode)
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="clinicsim-bench-memory-") as folder:
        todo = pairs(mode, Path(folder), largest_case())
        print("## [7] and [8] Peak memory (VmHWM of a fresh process each), one process\n")
        print(f"{'command':<36}{'smaller (MiB)':>15}{'larger (MiB)':>15}")
        measured = []
        for pair in todo:
            a, b = peak_mib(pair.code, pair.small), peak_mib(pair.code, pair.large)
            print(f"{pair.name:<36}{a:>15.1f}{b:>15.1f}", flush=True)
            measured.append((pair, a, b))
    print()
    for pair, a, b in measured:
        figures.add(Figure(pair.target_no, f"peak memory flat: {pair.name}", b / a, "x", "<=",
                           FLAT, f"{pair.shown}; peak RSS (VmHWM) of a fresh process each: "
                           f"{a:.0f} MiB -> {b:.0f} MiB", digits=3))
    print(f"\nload avg at the end of {Path(__file__).name}: {load_average()}")
    if args.figures:
        figures.save(args.figures)
    if not args.embedded:
        print("\n" + figures.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
