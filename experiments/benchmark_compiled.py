"""The engine compiled with mypyc against the same engine interpreted: same runs? how fast?

    pip install mypy                                   # mypyc comes with it; needs a C compiler
    python experiments/benchmark_compiled.py           # a year of case 3, best of 3 per pass
    python experiments/benchmark_compiled.py --quick   # 4 weeks, 3 cases compared

The engine's annotations say what runs, so its modules compile as they are. This script
copies ``sim/`` to a scratch folder, compiles ``COMPILED`` there with mypyc (about a
minute): the modules a standard install compiles (``pyproject.toml``), and then:

1. runs the default scenario and the 17 cases in a process of each engine (two
   replications of three weeks, event log on) and compares a hash of every day's records
   and event log: the compiled engine must give the same runs to the last digit;
2. times a 52-week year of the largest case in a process of each engine, the two taking
   turns, CPU time of the run alone (best of ``--repeats`` within each process), and
   prints each pass's ratio and the median ratio, next to the [8] target of 2 s.

``COMPILED`` leaves out the modules whose objects are pickled for ``-j`` workers (a run's
calendar, and the duration distributions inside the shipped scenario): mypyc's classes do
not pickle as plain Python classes do. Nothing is installed or changed outside the scratch
folder, and nothing asserts on a timing.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import tomllib
from pathlib import Path

from bench_machine import REPO, print_header  # beside this script
from benchmark_engine import TARGET_YEAR_S, YEAR_WEEKS, bundled_cases, largest_case



def hook_config() -> dict:
    """pyproject.toml's build hook that compiles the engine (hatch_build.py)."""
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["custom"]


def compiled_modules() -> tuple[str, ...]:
    """The modules a standard install compiles: the engine's per-contact path,
    the run around it, its records."""
    return tuple(pattern.lstrip("/") for pattern in hook_config()["include"])


COMPILED = compiled_modules()
#: Weeks of the timed run ([8]'s year, or a smoke run's 4), passes (each engine once a
#: pass).
WEEKS = {"full": YEAR_WEEKS, "quick": 4}
PASSES = {"full": 5, "quick": 3}
#: Scenarios whose runs are compared: every bundled case (and the default), or a few.
COMPARED = {"full": None, "quick": ("default", "case03", "case16")}
#: The compared runs: replications, measured weeks, warm-up weeks, seed.
HASH_REPLICATIONS, HASH_WEEKS, HASH_WARMUP_WEEKS, HASH_SEED = 2, 2, 1, 1
#: Seconds allowed for compiling, and for one child process.
COMPILE_TIMEOUT_S, CHILD_TIMEOUT_S = 900, 900

#: The child that hashes runs: argv = scenario references.
HASH_CHILD = textwrap.dedent(f"""
    import dataclasses, hashlib, sys
    from sim import load_scenario
    from sim.engine import CompiledScenario
    from sim.engine.run import simulate_run
    from sim.experiment.replications import run_calendar
    from sim import engine_build
    print("engine", engine_build())
    for ref in sys.argv[1:]:
        scenario = load_scenario(ref)
        model = CompiledScenario(scenario)
        h = hashlib.sha256()
        for rep in range({HASH_REPLICATIONS}):
            calendar = run_calendar(scenario, {HASH_WEEKS}, {HASH_WARMUP_WEEKS})
            for rec in simulate_run(model, {HASH_SEED}, rep, calendar, event_log=True):
                d = {{f.name: getattr(rec, f.name) for f in dataclasses.fields(rec)
                      if f.name != "day"}}
                h.update(repr(sorted(d.items(), key=lambda kv: kv[0])).encode())
        print(ref, h.hexdigest())
""")
#: The child that times a run: argv = scenario, weeks, repeats.
TIME_CHILD = textwrap.dedent("""
    import gc, sys, time
    from sim import load_scenario
    from sim.engine import CompiledScenario, collector_paused
    from sim.experiment.replications import run_calendar, run_one
    scenario = load_scenario(sys.argv[1])
    weeks, repeats = int(sys.argv[2]), int(sys.argv[3])
    model = CompiledScenario(scenario)
    run_one(model, 1, 0, run_calendar(scenario, 1, 0))  # tables built, code warm
    calendar = run_calendar(scenario, weeks, 0)
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        with collector_paused():
            t = time.process_time()
            run_one(model, 1, 0, calendar)
            best = min(best, time.process_time() - t)
    print(best)
""")


def compile_engine(scratch: Path) -> Path:
    """A copy of ``sim/`` (and the bundled ``models/`` it reads) with ``COMPILED`` compiled
    beside their sources; its folder."""
    shutil.copytree(REPO / "sim", scratch / "sim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
    shutil.copytree(REPO / "models", scratch / "models")
    cmd = [sys.executable, "-m", "mypyc", *COMPILED]
    done = subprocess.run(cmd, cwd=scratch, capture_output=True, text=True,
                          timeout=COMPILE_TIMEOUT_S)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        sys.exit(f"mypyc failed ({' '.join(cmd[2:4])} ...):\n{tail}")
    return scratch


def child(code: str, path: Path, args: list[str]) -> str:
    """Run ``code`` in a fresh interpreter that imports ``sim`` from ``path``."""
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=path, capture_output=True,
                          text=True, timeout=CHILD_TIMEOUT_S,
                          env={**os.environ, "PYTHONPATH": str(path)})
    if done.returncode != 0:
        sys.exit(f"a child process failed in {path}:\n{done.stderr.strip()[-2000:]}")
    return done.stdout


def scenarios(mode: str) -> list[str]:
    chosen = COMPARED[mode]
    if chosen is not None:
        return [ref if ref == "default" else _case_file(ref) for ref in chosen]
    return ["default"] + sorted(str(p) for p in (REPO / "models" / "cases").glob("case*.yaml"))


def _case_file(name: str) -> str:
    return str(next((REPO / "models" / "cases").glob(f"{name}_*.yaml")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 weeks, 3 scenarios compared")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs in each process")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    try:
        importlib.import_module("mypyc")
        mypy_version = importlib.import_module("mypy.version").__version__
    except ImportError:
        print("benchmark_compiled.py needs mypyc, which comes with mypy: pip install mypy "
              "(and a C compiler)", file=sys.stderr)
        return 2
    print_header("The engine compiled with mypyc against the same engine interpreted", mode)
    with tempfile.TemporaryDirectory(prefix="clinicsim-compiled-") as tmp:
        compiled = compile_engine(Path(tmp))
        print(f"compiled:  {len(COMPILED)} modules with mypyc (mypy {mypy_version}): "
              f"{', '.join(Path(m).stem for m in COMPILED)}")

        refs = scenarios(mode)
        plain, fast = (child(HASH_CHILD, where, refs).splitlines() for where in (REPO, compiled))
        print(f"\n## Same runs? {len(refs)} scenarios, {HASH_REPLICATIONS} replications of "
              f"{HASH_WEEKS} weeks after {HASH_WARMUP_WEEKS} of warm-up, event log on")
        print(f"{plain[0]} against {fast[0]}")
        differ = [a.split()[0] for a, b in zip(plain[1:], fast[1:]) if a != b]
        print("identical: every day's records and event log" if not differ
              else f"DIFFERENT in {len(differ)}: {', '.join(Path(r).stem for r in differ)}")
        digest = hashlib.sha256(" ".join(line.split()[1] for line in plain[1:])
                                .encode()).hexdigest()[:16]  # not the files' paths
        print(f"hash of the interpreted runs: {digest}")

        weeks = WEEKS[mode]
        largest = largest_case(bundled_cases())[0]
        print(f"\n## A {weeks}-week run of {largest}: CPU of the run, best of {args.repeats} "
              f"in each process, the engines taking turns")
        case = _case_file(largest)
        ratios, fast_times = [], []
        for p in range(PASSES[mode]):
            order = [(REPO, "interpreted"), (compiled, "compiled")]
            if p % 2:
                order.reverse()
            times = {name: float(child(TIME_CHILD, where, [case, str(weeks), str(args.repeats)]))
                     for where, name in order}
            ratios.append(times["compiled"] / times["interpreted"])
            fast_times.append(times["compiled"])
            print(f"pass {p + 1}: interpreted {times['interpreted']:.3f} s, compiled "
                  f"{times['compiled']:.3f} s, ratio {ratios[-1]:.3f}", flush=True)
        print(f"compiled / interpreted: median {statistics.median(ratios):.3f} "
              f"({min(ratios):.3f}-{max(ratios):.3f})")
        if weeks == YEAR_WEEKS:
            best = min(fast_times)
            verdict = "met" if best <= TARGET_YEAR_S else "NOT met"
            print(f"[8] a year of {largest}, compiled: {best:.2f} s (best pass), target <= "
                  f"{TARGET_YEAR_S:g} s: {verdict}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
