"""Peak memory of whole commands as runs and weeks grow (a benchmark, not a test).

    python experiments/benchmark_memory.py            # about 4 minutes on one core
    python experiments/benchmark_memory.py --quick    # about 40 seconds

Each command runs in a fresh subprocess of this Python, which reports its own peak resident
memory (VmHWM from /proc/self/status) when it exits, so the peaks never mix. Memory should
not grow with the number of runs (the command line streams each run into the summary) nor
with the number of weeks (a run keeps its days' records only until they are counted):

* ``clinicsim run -r 1,000`` against ``-r 10,000`` (one measured week a run, no warm-up);
* ``clinicsim run -r 2 --weeks 4`` against ``--weeks 40``;
* ``clinicsim capacity default --weeks 4`` against ``--weeks 40`` (fixed list sizes).

It prints each peak and the ratio of the larger to the smaller, next to the target (within
10 %). Nothing asserts on the figures.
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import textwrap

import platform

from bench_machine import cpu_model, load_average

#: A peak within this ratio of the smaller run's counts as flat (issues' target).
FLAT = 1.10

_WRAPPER = textwrap.dedent("""\
    import sys
    from sim.cli import main
    code = main(sys.argv[1:])
    with open("/proc/self/status") as f:
        peak = next(line.split()[1] for line in f if line.startswith("VmHWM"))
    sys.stderr.write(f"PEAK_KB {peak}\\n")
    sys.exit(code)
    """)


def peak_mib(args: list[str]) -> float:
    """Peak resident memory (MiB) of ``clinicsim ARGS`` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"clinicsim {shlex.join(args)} failed:\n{done.stderr[-2000:]}")
    line = next(x for x in done.stderr.splitlines() if x.startswith("PEAK_KB"))
    return int(line.split()[1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke test)")
    args = parser.parse_args()
    few, many = (100, 1000) if args.quick else (1000, 10_000)
    short, long = (2, 10) if args.quick else (4, 40)
    pairs = [
        (f"run, runs {few:,} -> {many:,}",
         ["run", "-r", str(few), "-w", "1", "--warmup-weeks", "0", "--json"],
         ["run", "-r", str(many), "-w", "1", "--warmup-weeks", "0", "--json"]),
        (f"run, weeks {short} -> {long}",
         ["run", "-r", "2", "-w", str(short), "--warmup-weeks", "1", "--json"],
         ["run", "-r", "2", "-w", str(long), "--warmup-weeks", "1", "--json"]),
        (f"capacity, weeks {short} -> {long}",
         ["capacity", "default", "-r", "2", "--max-replications", "2", "--resolution",
          "4000", "-w", str(short), "--warmup-weeks", "1"],
         ["capacity", "default", "-r", "2", "--max-replications", "2", "--resolution",
          "4000", "-w", str(long), "--warmup-weeks", "1"]),
    ]
    print(f"Python {platform.python_version()} on {cpu_model()}; load average {load_average()}")
    print(f"\n{'command':<34}{'smaller (MiB)':>15}{'larger (MiB)':>15}{'ratio':>8}"
          f"{'target':>10}")
    for name, small, large in pairs:
        a, b = peak_mib(small), peak_mib(large)
        ratio = b / a
        verdict = "met" if ratio <= FLAT else "NOT met"
        print(f"{name:<34}{a:>15.1f}{b:>15.1f}{ratio:>8.3f}{'<= ' + format(FLAT, '.2f'):>10}"
              f"  {verdict}")
    print("\nCommands: clinicsim " + "; clinicsim ".join(shlex.join(p[1]) for p in pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
