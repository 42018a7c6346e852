"""The ``clinicsim`` command line.

Exit codes: 0 done; 2 bad input (a broken scenario or experiment, an option out of
range, an output path that cannot be written), reported before any long computation;
1 an output that could not be written (a full disk), with nothing partial left behind;
130 interrupted; 141 the reader of the output went away (``clinicsim run --json | head``),
as a shell reports for a program ended by SIGPIPE. Every failure is a message on stderr,
never a traceback.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from sim.limits import MAX_DESIGN_POINTS, MAX_SEED
from sim.scenario import ScenarioError, load_scenario, scenario_file, scenario_warnings
from sim.experiment.errors import SweepError, SweepInterrupted
from sim.scenario.errors import Problem

EXIT_INVALID = 2
#: An output could not be written (a full disk, say): not the input's fault.
EXIT_WRITE_FAILED = 1
#: The reader of stdout closed the pipe: 128 + SIGPIPE (13), what a shell reports for
#: `yes | head`, so a pipeline with `set -o pipefail` sees it like any other tool's.
EXIT_BROKEN_PIPE = 141


def _whole_number(low: int, high: int, expected: str):
    """An argparse type: a whole number in [low, high], else ``expected`` in the message."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}"
                                             ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {expected}, found {value}")
        return value
    return parse


_positive_int = _whole_number(1, 2**63 - 1, "a number of at least 1")
_seed = _whole_number(0, MAX_SEED, "a seed from 0 to 2^63-1")


def _open_unit_interval(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1 (a confidence level; 0 and 1
    would make every interval a point or the whole line)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value < 1.0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1 (exclusive), "
                                         f"such as 0.95; found {text!r}")
    return value


def _writable(path: Path, option: str) -> None:
    """Check, before any work, that a file can be written at ``path``."""
    from sim.outputs import unwritable_file

    problem = unwritable_file(path)
    if problem:
        raise ScenarioError([Problem(option, (), *problem)])


def _writable_dir(path: Path, option: str, marker: str | None = None) -> None:
    """Check, before any work, that an output directory can be written at ``path``."""
    from sim.outputs import unwritable_directory

    problem = unwritable_directory(path, marker)
    if problem:
        raise ScenarioError([Problem(option, (), *problem)])


def _load_and_warn(reference: str):
    """Load a scenario and print its warnings (a valid day that makes no sense) on stderr,
    each prefixed ``warning:`` and naming file and field."""
    scenario = load_scenario(reference)
    file = str(scenario_file(reference))
    for w in scenario_warnings(scenario):
        print(f"warning: {Problem(file, w.path, w.expected, w.found)}", file=sys.stderr)
    return scenario


def _workers(requested: int, tasks: int) -> int:
    """Worker processes to start: ``--jobs`` capped at the CPUs and tasks, said on stderr."""
    from sim.workers import usable_workers

    jobs, note = usable_workers(requested, tasks)
    if note:
        print(note, file=sys.stderr)
    return jobs


def _run_summary(scenario, args) -> tuple:
    """Run the replications and summarise them; keep every table only when saving, and
    otherwise stream each run into the summary so memory stays flat in replications."""
    from sim.experiment.replications import iter_runs, run_calendar, run_replications
    from sim.metrics import SummaryStream

    keep_log = bool(args.events or args.save)
    if keep_log:
        results = run_replications(scenario, args.replications, args.seed, weeks=args.weeks,
                                   warmup_weeks=args.warmup_weeks, event_log=True,
                                   jobs=args.jobs)
        return results, results.summary()
    calendar = run_calendar(scenario, args.weeks, args.warmup_weeks)
    stream = SummaryStream()
    for out in iter_runs(scenario, range(args.replications), args.seed, calendar,
                         keep_days=False, jobs=args.jobs):
        stream.add_rows(out.replication, [row[1:] for row in out.rows])
    return None, stream.table()


def cmd_run(args: argparse.Namespace) -> int:
    from sim.outputs import atomic_file
    from sim.report import json_rows, text_summary

    scenario = _load_and_warn(args.scenario)
    if args.events:
        _writable(Path(args.events), "--events")
    if args.save:
        _writable_dir(Path(args.save), "--save", marker="run.json")
    args.jobs = _workers(args.jobs, args.replications)
    results, summary = _run_summary(scenario, args)
    if args.events:
        with atomic_file(args.events) as tmp:
            results.events.to_csv(tmp, index=False)
    if args.save:
        results.save(args.save)
    if args.json:
        print(json_rows(summary))
    else:
        title = f"clinicsim: {scenario.name}"
        weeks = scenario.calendar.weeks if args.weeks is None else args.weeks
        warmup = scenario.calendar.warmup_weeks if args.warmup_weeks is None else \
            args.warmup_weeks
        print(text_summary(summary, title, args.seed, args.replications, weeks, warmup))
        if args.events:
            print(f"\nEvent log written to {args.events}")
        if args.save:
            print(f"\nResults saved in {args.save} (clinicsim report {args.save} -o report.html)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    status = 0
    for reference in args.scenarios:
        try:
            scenario = _load_and_warn(reference)
        except ScenarioError as err:
            print(f"{reference}: {err.report()}", file=sys.stderr)
            status = EXIT_INVALID
        else:
            people = sum(s.count for s in scenario.staff.values())
            print(f"{reference}: valid ({scenario.name}; {scenario.population.list_size:,} "
                  f"patients, {people} staff)")
    return status


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiment.design import load_experiment
    from sim.experiment.sweep import run_sweep
    from sim.report import sweep_summary

    experiment = load_experiment(args.experiment, max_points=args.max_points)
    jobs = args.jobs if args.scheduler else _workers(args.jobs, experiment.task_count)
    summary = run_sweep(experiment, args.out, jobs=jobs, backend=args.backend,
                        scheduler=args.scheduler, resume=args.resume,
                        progress=not args.quiet)
    print(sweep_summary(summary, experiment.baseline.name, args.out))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration import write_report
    from sim.outputs import atomic_files

    out = Path(args.out)
    _writable_dir(out, "--out")
    weeks = "" if args.weeks is None else f" --weeks {args.weeks}"
    weeks += "" if args.warmup_weeks is None else f" --warmup-weeks {args.warmup_weeks}"
    with atomic_files(out, ["report.csv", "report.md"]) as staging:
        table = write_report(staging, args.replications, args.seed,
                             command=f"clinicsim calibrate --out {args.out} "
                                     f"-r {args.replications} --seed {args.seed}{weeks}",
                             weeks=args.weeks, warmup_weeks=args.warmup_weeks)
    counts = table["verdict"].str.split(":").str[0].value_counts()
    print(f"Calibration report written to {out / 'report.md'} and {out / 'report.csv'}")
    print(", ".join(f"{n} {v}" for v, n in counts.items()))
    return 0


def cmd_capacity(args: argparse.Namespace) -> int:
    from sim.capacity import default_targets, describe, find_capacity, parse_target

    targets = [parse_target(t) for t in args.target] if args.target else default_targets()
    scenario = load_scenario(args.scenario)
    result = find_capacity(scenario, targets, seed=args.seed, replications=args.replications,
                           max_replications=args.max_replications, weeks=args.weeks,
                           warmup_weeks=args.warmup_weeks,
                           resolution=args.resolution, confidence=args.confidence)
    if args.json:
        print(json.dumps({
            "scenario": result.scenario, "targets": [str(t) for t in targets],
            "capacity": result.capacity, "missed_from": result.upper,
            "binding_target": result.binding, "gp_fte": result.gp_fte,
            "patients_per_gp_fte": result.patients_per_gp_fte,
            "at_capacity": result.at_capacity,
            "tried": result.table().to_dict(orient="records")}, indent=1, default=str))
    else:
        print(describe(result))
    return 0


def cmd_frontier(args: argparse.Namespace) -> int:
    from sim.capacity import default_targets, parse_target
    from sim.experiment.design import load_experiment
    from sim.frontier import plot_frontier, staffing_frontier
    from sim.outputs import atomic_files

    experiment = load_experiment(args.experiment, max_points=args.max_points)
    texts = args.target or experiment.spec.targets
    targets = [parse_target(t) for t in texts] if texts else default_targets()
    _writable_dir(Path(args.out), "--out")
    table = staffing_frontier(experiment, targets,
                              jobs=_workers(args.jobs, len(experiment.points)),
                              replications=args.replications,
                              max_replications=args.max_replications,
                              weeks=args.weeks if args.weeks is not None
                              else experiment.spec.weeks,
                              warmup_weeks=args.warmup_weeks if args.warmup_weeks is not None
                              else experiment.spec.warmup_weeks,
                              resolution=args.resolution)
    out = Path(args.out)
    with atomic_files(out, ["frontier.csv", "frontier.png"]) as staging:
        table.to_csv(staging / "frontier.csv", index=False)
        plot_frontier(table, f"{experiment.spec.name}: capacity and cost").savefig(
            staging / "frontier.png", dpi=120)
    cols = ["name", "capacity", "binding_target", "patients_per_gp_fte",
            "cost_per_patient_year_dkk", "on_frontier"]
    ranked = table[cols].sort_values("capacity", ascending=False)
    print(f"Targets: {'; '.join(str(t) for t in targets)}")
    print(ranked.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    print(f"\nWritten {out / 'frontier.csv'} and {out / 'frontier.png'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sim.html_report import build_report
    from sim.outputs import atomic_file

    out = Path(args.output)
    _writable(out, "--output")
    try:
        with atomic_file(out) as tmp:
            build_report(args.results, tmp)
    except ValueError as err:
        print(f"clinicsim: {err}", file=sys.stderr)
        return EXIT_INVALID
    print(f"Report written to {out}")
    return 0


def cmd_cases(args: argparse.Namespace) -> int:
    from sim.cases import catalogue

    table = catalogue()

    def text(value, width: int) -> str:
        if isinstance(value, float):
            value = "?" if value != value else (f"{value:g}")
        return str(value)[:width]

    print(f"{'name':<8} {'form':<24} {'patients':>8} {'GPs':>4} {'staff':>5} "
          f"{'delegation':<11} {'region':<12} file")
    for r in table.itertuples(index=False):
        print(f"{r.name:<8} {text(r.practice_form, 24):<24} {r.patients:>8,} "
              f"{text(r.doctors_excl_trainees, 4):>4} {text(r.practice_staff, 5):>5} "
              f"{text(r.delegation, 11):<11} {text(r.region, 12):<12} {r.file or '(missing)'}")
    print("\nRun one with: clinicsim run case08")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinicsim",
        description="Simulate a day in a Danish general practice and what delegation does.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and print a summary",
                         description="Run independent runs of a scenario's weeks and print "
                                     "means per working day with 95 %% confidence intervals "
                                     "across runs.")
    run.add_argument("scenario", nargs="?", default="default",
                     help="scenario file or bundled name (default: the bundled default)")
    run.add_argument("--seed", type=_seed, default=1, help="random seed (default 1)")
    run.add_argument("--replications", "-r", type=_positive_int, default=10,
                     help="number of independent runs (default 10)")
    run.add_argument("--weeks", "-w", type=_positive_int, default=None,
                     help="weeks measured in each run (default: the scenario's calendar)")
    run.add_argument("--warmup-weeks", type=_whole_number(0, 520, "0 to 520 weeks"),
                     default=None, help="weeks simulated and discarded before measuring "
                                        "(default: the scenario's calendar)")
    run.add_argument("--jobs", "-j", type=_positive_int, default=1,
                     help="worker processes (results do not depend on it)")
    run.add_argument("--json", action="store_true", help="print tidy JSON rows instead")
    run.add_argument("--events", metavar="FILE", help="write the event log as CSV")
    run.add_argument("--save", metavar="DIR",
                     help="save the results (with the event log) for clinicsim report")
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check scenario files and report every problem")
    validate.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    validate.set_defaults(func=cmd_validate)

    def add_max_points(p: argparse.ArgumentParser) -> None:
        p.add_argument("--max-points", type=_positive_int, default=MAX_DESIGN_POINTS,
                       metavar="N", help="refuse designs of more than N points (default "
                       f"{MAX_DESIGN_POINTS:,}; each point is held in memory)")

    sweep = sub.add_parser("sweep", help="run an experiment over many scenarios",
                           description="Run every design point of an experiment file for its "
                                       "replications, writing Parquet results as tasks finish.")
    sweep.add_argument("experiment", help="experiment file (see experiments/)")
    sweep.add_argument("--out", "-o", required=True, help="results directory")
    sweep.add_argument("--jobs", "-j", type=_positive_int, default=1,
                       help="worker processes (results do not depend on it)")
    sweep.add_argument("--backend", choices=["loky", "dask"], default="loky")
    sweep.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://host:8786")
    sweep.add_argument("--resume", action="store_true",
                       help="finish an interrupted sweep in --out")
    sweep.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_max_points(sweep)
    sweep.set_defaults(func=cmd_sweep)

    def add_search_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--replications", "-r", type=_positive_int, default=10,
                       help="runs per list size to start with (default 10)")
        p.add_argument("--max-replications", type=_positive_int, default=40,
                       help="runs per list size at most, when the CI straddles a target "
                            "(default 40)")
        p.add_argument("--weeks", "-w", type=_positive_int, default=None,
                       help="weeks measured in each run (default: the scenario's calendar)")
        p.add_argument("--warmup-weeks", type=_whole_number(0, 520, "0 to 520 weeks"),
                       default=None, help="weeks of warm-up in each run (default: the "
                                          "scenario's calendar)")
        p.add_argument("--resolution", type=_positive_int, default=100,
                       help="stop when the capacity is known to this many patients")

    capacity = sub.add_parser("capacity", help="largest list size a scenario's staffing serves "
                                               "within service targets")
    capacity.add_argument("scenario")
    capacity.add_argument("--target", "-t", action="append",
                          help="e.g. 'acute_same_day_rate>=0.95' (repeat for more; default: "
                               "the targets in models/defaults/targets.yaml)")
    add_search_options(capacity)
    capacity.add_argument("--confidence", type=_open_unit_interval, default=0.95,
                          help="confidence of the interval that must meet each target")
    capacity.add_argument("--seed", type=_seed, default=1)
    capacity.add_argument("--json", action="store_true")
    capacity.set_defaults(func=cmd_capacity)

    frontier = sub.add_parser("frontier", help="capacity and cost of every staffing mix of an "
                                               "experiment, with the non-dominated mixes")
    frontier.add_argument("experiment")
    frontier.add_argument("--target", "-t", action="append",
                          help="service target (default: the experiment file's targets, "
                               "else those in models/defaults/targets.yaml)")
    frontier.add_argument("--out", "-o", required=True, help="directory for the table and plot")
    frontier.add_argument("--jobs", "-j", type=_positive_int, default=1)
    add_search_options(frontier)
    add_max_points(frontier)
    frontier.set_defaults(func=cmd_frontier)

    calibrate = sub.add_parser("calibrate", help="set the model against the figures the "
                                                 "sources state, for every case")
    calibrate.add_argument("--out", "-o", default="experiments/calibration",
                           help="directory for report.md and report.csv")
    calibrate.add_argument("--replications", "-r", type=_positive_int, default=10,
                           help="independent runs per case (default 10)")
    calibrate.add_argument("--seed", type=_seed, default=1)
    calibrate.add_argument("--weeks", "-w", type=_positive_int, default=None,
                           help="weeks measured in each run (default: each case's calendar)")
    calibrate.add_argument("--warmup-weeks", type=_whole_number(0, 520, "0 to 520 weeks"),
                           default=None, help="weeks of warm-up in each run (default: each "
                                              "case's calendar)")
    calibrate.set_defaults(func=cmd_calibrate)

    report = sub.add_parser("report", help="write a self-contained HTML report of saved results")
    report.add_argument("results", help="a directory from clinicsim run --save or clinicsim "
                                        "sweep --out")
    report.add_argument("--output", "-o", default="report.html", help="HTML file to write")
    report.set_defaults(func=cmd_report)

    cases = sub.add_parser("cases", help="list the bundled practice cases and their files")
    cases.set_defaults(func=cmd_cases)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    return code


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so Python's own flush at exit cannot fail again (the
    recipe of the Python documentation for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command; user-facing failures become a message and an exit code."""
    from sim.outputs import OutputError

    try:
        return args.func(args)
    except OutputError as err:
        print(f"clinicsim: {err}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    except ScenarioError as err:
        print(err.report(), file=sys.stderr)
        return EXIT_INVALID
    except SweepInterrupted as err:
        print(f"clinicsim: {err}", file=sys.stderr)
        return 130
    except SweepError as err:
        print(f"clinicsim: {err}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
