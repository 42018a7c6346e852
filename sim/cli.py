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
import contextlib
import functools
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from pathlib import Path

from sim import __version__, engine_build
from sim.arguments import CONFIDENCE, is_confidence, most_search_runs
from sim.limits import DEFAULT_MAX_LIST_SIZE, MAX_DESIGN_POINTS, MAX_SEED, MAX_WEEKS
from sim.experiment.errors import SweepError, SweepInterrupted, WorkerLost
from sim.scenario.errors import Problem, ScenarioError


def load_scenario(reference):
    """Load a scenario (imported on use: the schema is slow to import, and --version and
    --help need none of it)."""
    from sim.scenario.loading import load_scenario as load

    return load(reference)

EXIT_INVALID = 2
#: An output could not be written (a full disk, say): not the input's fault.
EXIT_WRITE_FAILED = 1
#: The reader of stdout closed the pipe: 128 + SIGPIPE (13), what a shell reports for
#: `yes | head`, so a pipeline with `set -o pipefail` sees it like any other tool's.
EXIT_BROKEN_PIPE = 141
#: 128 + SIGTERM, as a shell reports a process ended by it
EXIT_TERMINATED = 143


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
    if not is_confidence(value):  # the Python API's check (find_capacity's confidence)
        raise argparse.ArgumentTypeError(f"expected {CONFIDENCE}; found {text!r}")
    return value


def _writable(path: Path, option: str, reads: Iterable[Path] = ()) -> None:
    """Check, before any work, that a file can be written at ``path`` and is none of the
    files the command ``reads`` (a scenario, a saved result): an output written over its
    own input would destroy it without a word."""
    from sim.outputs import unwritable_file

    problem = unwritable_file(path)
    if problem:
        raise ScenarioError([Problem(option, (), *problem)])
    target = path.resolve()
    for read in reads:
        if read.resolve() == target:
            raise ScenarioError([Problem(option, (), "a file other than those this command "
                                         "reads (choose another name)",
                                         f"{path}, which it reads as input")])


def _saved_files(folders: Iterable[str]) -> list[Path]:
    """The files of saved results a report reads: all but its earlier HTML pages, which a
    report may replace (``report out/run -o out/run/report.html`` twice)."""
    return [f for folder in folders if Path(folder).is_dir()
            for f in Path(folder).rglob("*")
            if f.is_file() and f.suffix.lower() not in (".html", ".htm")]


def _writable_dir(path: Path, option: str, marker: str | None = None) -> None:
    """Check, before any work, that an output directory can be written at ``path``."""
    from sim.outputs import unwritable_directory

    problem = unwritable_directory(path, marker)
    if problem:
        raise ScenarioError([Problem(option, (), *problem)])


def _check_save(path: Path, option: str, marker: str, force: bool) -> None:
    """Before any work: ``path`` can be written, and an existing, non-empty ``path`` is
    replaced only with ``--force`` (and only if it holds an earlier output, ``marker``)."""
    if path.is_dir() and any(path.iterdir()) and not force:
        if (path / marker).exists():
            expected, what = ("a new or empty directory (or --force to replace the earlier "
                              "output there)", "an earlier output")
        else:  # --force would not help: it replaces only this command's own output
            expected, what = ("a new or empty directory", f"other files (no {marker}, so not "
                              "an output of this command that --force could replace)")
        raise ScenarioError([Problem(option, (), expected, f"{path} already holds {what}")])
    _writable_dir(path, option, marker=marker)


def _load_and_warn(reference: str, weeks: int | None = None,
                   warmup_weeks: int | None = None):
    """Load a scenario and print its warnings (a valid day that makes no sense) on stderr,
    each prefixed ``warning:`` and naming file and field; ``weeks`` and ``warmup_weeks``
    are the run's where the command line sets them (an absence outside them is said)."""
    from sim.scenario import scenario_file

    scenario = load_scenario(reference)
    _print_warnings(scenario, str(scenario_file(reference)), weeks, warmup_weeks)
    return scenario


def _print_warnings(scenario, file: str, weeks: int | None,
                    warmup_weeks: int | None) -> list:
    """A loaded scenario's warnings on stderr, each ``warning: FILE: FIELD: ...``; the
    warnings, returned."""
    from sim.scenario import scenario_warnings

    found = scenario_warnings(scenario, weeks=weeks, warmup_weeks=warmup_weeks)
    for w in found:
        _print_warning(file, w)
    return found


def _print_warning(file: str, w) -> None:
    print(f"warning: {Problem(file, w.path, w.expected, w.found)}", file=sys.stderr)


def _warn_base(experiment, weeks: int | None, warmup_weeks: int | None) -> None:
    """The warnings of an experiment's base scenario, once, for the weeks the experiment
    runs, as run prints a scenario's; then each warning only a design point's changes
    bring (nurses' acute slots that low delegation gives them none of), once, naming the
    points it holds for. A point's change may be just what the experiment asks, so these
    are said, not refused. A base that is valid only with its points' changes has no
    warnings of its own to give."""
    from sim.scenario import scenario_warnings

    file = experiment.base_file
    try:
        scenario = load_scenario(file)
    except ScenarioError:
        base = []
    else:
        base = _print_warnings(scenario, str(file), weeks, warmup_weeks)
    said = {(tuple(w.path), w.expected, w.found) for w in base}
    points: dict[tuple, tuple[Problem, list[str]]] = {}  # a warning, and its points
    for point in experiment.points:
        for w in scenario_warnings(point.scenario, weeks=weeks, warmup_weeks=warmup_weeks):
            key = (tuple(w.path), w.expected, w.found)
            if key not in said:
                points.setdefault(key, (w, []))[1].append(point.name)
    for w, names in points.values():
        shown = ", ".join(repr(n) for n in names[:POINTS_NAMED])
        more = f" and {len(names) - POINTS_NAMED} more" if len(names) > POINTS_NAMED else ""
        _print_warning(f"{experiment.path}, design point{'s' if len(names) > 1 else ''} "
                       f"{shown}{more}", w)


#: Design points named in a warning that holds for several; the rest are counted.
POINTS_NAMED = 3


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

    from sim.progress import progress_bar, wanted

    keep_log = bool(args.events or args.save)
    show = wanted(args.progress) and not args.json
    with progress_bar(args.replications, scenario.name, enabled=show):
        if keep_log:
            results = run_replications(scenario, args.replications, args.seed,
                                       weeks=args.weeks, warmup_weeks=args.warmup_weeks,
                                       event_log=True, jobs=args.jobs)
            return results, results.summary()
        calendar = run_calendar(scenario, args.weeks, args.warmup_weeks)
        stream = SummaryStream()
        for out in iter_runs(scenario, range(args.replications), args.seed, calendar,
                             keep_days=False, jobs=args.jobs,
                             while_waiting=_import_reporting):
            stream.add_rows(out.replication, out.rows)
    return None, stream.table()


def _import_reporting() -> None:
    """Import what the summary and its report use after the runs (pandas, SciPy's t
    quantile, the report code: about 0.4 s) while workers simulate (``-j 2`` and more),
    which take more of the runs meanwhile, so that after the runs only the summary itself
    is left."""
    import importlib

    for module in ("pandas", "scipy.special", "sim.outputs", "sim.provenance", "sim.report"):
        importlib.import_module(module)


def cmd_run(args: argparse.Namespace) -> int:
    if len(args.scenario) > 1:
        raise ScenarioError([Problem("clinicsim run", ("SCENARIO",), "one scenario (to "
                                     "compare designs: clinicsim compare "
                                     + " ".join(args.scenario) + ")",
                                     f"{len(args.scenario)} scenarios")])
    args.scenario = args.scenario[0] if args.scenario else "default"
    scenario = _load_and_warn(args.scenario, args.weeks, args.warmup_weeks)
    if args.events:
        from sim.provenance import extends_chain
        from sim.scenario import scenario_file

        _writable(Path(args.events), "--events", extends_chain(scenario_file(args.scenario)))
    if args.save:
        _check_save(Path(args.save), "--save", "run.json", args.force)
    args.jobs = _workers(args.jobs, args.replications)
    results, summary = _run_summary(scenario, args)
    # imported once the runs are done: the tables and reports, not the simulation, use them
    from sim.outputs import atomic_file
    from sim.provenance import own_description, provenance
    from sim.report import json_rows, text_summary

    if args.events:
        with atomic_file(args.events) as tmp:
            results.events.to_csv(tmp, index=False)
    if args.save:
        results.provenance = provenance([args.scenario], args.seed, args.command_text,
                                        description=own_description(args.scenario))
        results.save(args.save)
    if args.json:
        print(json_rows(summary))
    else:
        title = f"clinicsim: {scenario.name}"
        weeks = scenario.calendar.weeks if args.weeks is None else args.weeks
        warmup = scenario.calendar.warmup_weeks if args.warmup_weeks is None else \
            args.warmup_weeks
        print(text_summary(summary, title, args.seed, args.replications, weeks, warmup,
                           scenario.calendar.warmup_weeks))
        _print_input_notes("the scenario's", [("", scenario)])
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
            print(f"{reference}: valid ({scenario.name}; {scenario.population.list_size:,} "
                  f"patients, {_head_count(scenario)})")
            from sim.slot_fit import slot_note

            for note in (_phone_words(scenario), slot_note(scenario)):
                if note:
                    print(f"  note: {note}")
    return status


def _head_count(scenario) -> str:
    """The staff who work, for validate's line: "9 staff". People who are in on no day
    (``days: []``, warned of) are counted apart, so that the figure is the practice's
    working staff and still adds up to the file's counts."""
    idle = sum(s.count for s in scenario.staff.values() if s.never_in())
    working = sum(s.count for s in scenario.staff.values()) - idle
    if not idle:
        return f"{working} staff"
    return f"{working} staff, not counting {idle} who work{'s' if idle == 1 else ''} no day"


def _print_input_notes(whose: str, designs: list[tuple[str, object]]) -> None:
    """What the inputs alone say (as validate says it), for each named design (a name of
    '' for a lone scenario): why callers hang up, where the busiest phone hour is short of
    people; and why days run late, where consultations are longer than their slots. In a
    comparison, once one design has such a note, every design gets its words on the topic:
    a design that answers its busiest hour, or fits its slots, shows the fix. Designs
    whose inputs say the same get it once, named together."""
    import textwrap

    from sim.practice_text import and_list
    from sim.slot_fit import FITS, slot_note

    topics = (("The phone", _phone_words, lambda s: _phone_words(s, always=True)),
              ("The slots", slot_note, lambda s: FITS))
    for topic, note_of, otherwise in topics:
        notes = [(name, note_of(scenario)) for name, scenario in designs]
        if not any(note for _name, note in notes):
            continue
        if len(designs) > 1:
            notes = [(name, note or otherwise(scenario))
                     for (name, note), (_name, scenario) in zip(notes, designs)]
        alike: dict[str, list[str]] = {}
        for name, note in notes:
            if note:
                alike.setdefault(note, []).append(name)
        print(f"\n{topic}, from {whose} inputs alone:")
        for note, names in alike.items():
            who = and_list(names) + (" alike" if len(names) > 1 else "")
            print(textwrap.fill(f"{who}: {note}" if who else note, width=92,
                                initial_indent="  ", subsequent_indent="  "))


def _phone_words(scenario, always: bool = False) -> str:
    """The busiest phone hour and the week of its line in words, where that hour is
    offered more than its people can do: valid, but callers will queue past their patience
    (sim/phone_load.py); or ``always``, wherever the scenario has calls."""
    from sim.engine import CompiledScenario
    from sim.phone_load import busiest_phone_hour, load_sentence, week_of, week_sentence

    model = CompiledScenario(scenario)
    peak = busiest_phone_hour(model)
    if peak is None or (peak.load <= 1 and not always):
        return ""
    advice = (" Callers will queue past their patience: more people on the phone then, or "
              "shorter calls, lower it." if peak.load > 1 else "")
    return load_sentence(peak) + advice + " " + week_sentence(week_of(model, peak), peak)


def _refuse_twins(references: list[str], scenarios: list,
                  weeks: int | None = None, warmup_weeks: int | None = None) -> None:
    """Refuse a design given twice (the same file, or files that run the same practice:
    alike but for their names, their facts the day does not depend on (``practice``) and
    the calendar's weeks ``--weeks`` or ``--warmup-weeks`` set for all): under common
    random numbers its every difference is exactly zero, which the comparison would word
    as 'no clear difference'."""
    set_for_all = {name for name, given in (("weeks", weeks), ("warmup_weeks", warmup_weeks))
                   if given is not None}
    seen: dict[str, int] = {}
    for i, scenario in enumerate(scenarios):
        practice = scenario.model_dump_json(exclude={
            "name": True, "description": True, "practice": True,
            **({"calendar": set_for_all} if set_for_all else {})})
        if practice in seen:
            first = seen[practice]
            raise ScenarioError([Problem(
                "clinicsim compare", ("SCENARIO",), "designs that differ (under common "
                "random numbers a design compared with itself differs by exactly nothing)",
                f"{references[i]!r} describes the same practice as {references[first]!r}")])
        seen[practice] = i


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import comparison_text, run_comparison
    from sim.progress import progress_bar, wanted
    from sim.provenance import own_description, provenance

    if len(args.scenarios) < 2:
        raise ScenarioError([Problem("clinicsim compare", ("SCENARIO",),
                                     "two or more scenarios (the first is the baseline)",
                                     f"{len(args.scenarios)}")])
    scenarios, problems = [], []
    for reference in args.scenarios:  # every file's problems at once, as validate lists them
        try:
            scenarios.append(_load_and_warn(reference, args.weeks, args.warmup_weeks))
        except ScenarioError as err:
            problems += err.problems
    if problems:
        raise ScenarioError(problems)
    _refuse_twins(args.scenarios, scenarios, args.weeks, args.warmup_weeks)
    if args.save:
        _check_save(Path(args.save), "--save", "comparison.json", args.force)
    jobs = _workers(args.jobs, args.replications)
    record = provenance(args.scenarios, args.seed, args.command_text)
    show = wanted(args.progress) and not args.json
    with progress_bar(len(scenarios) * args.replications, "compare", enabled=show):
        comparison = run_comparison([(s.name, s) for s in scenarios], args.replications,
                                    args.seed, args.weeks, args.warmup_weeks, jobs, record,
                                    [own_description(s) for s in args.scenarios])
    summary = comparison.summary()
    if args.save:
        comparison.save(args.save)
    if args.json:
        from sim.compare import json_table

        print(json_table(summary))
        return 0
    first = comparison.results[0]
    print(comparison_text(comparison, summary, first.weeks, first.warmup_weeks,
                          args.scenarios, everything=args.all))
    _print_input_notes("each design's", list(zip(comparison.names, scenarios)))
    if args.save:
        print(f"\nComparison saved in {args.save} (clinicsim report {args.save} -o "
              "comparison.html)")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from sim.explain import explain, known_metrics, metric_list

    if args.metric is None:
        print(metric_list())
        return 0
    if args.metric not in known_metrics():
        import difflib

        close = difflib.get_close_matches(args.metric, known_metrics(), n=3)
        raise ScenarioError([Problem("clinicsim explain", ("METRIC",),
                                     "a metric name" + (f", such as {', '.join(close)}"
                                                        if close else
                                                        " (see the README's Metrics table)"),
                                     args.metric)])
    scenario = _load_and_warn(args.scenario)
    print(explain(args.metric, scenario))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiment.design import load_experiment
    from sim.experiment.sweep import run_sweep
    from sim.report import sweep_summary

    from sim.progress import wanted
    from sim.provenance import sweep_provenance

    experiment = load_experiment(args.experiment, max_points=args.max_points)
    _warn_base(experiment, experiment.spec.weeks, experiment.spec.warmup_weeks)
    jobs = args.jobs if args.scheduler else _workers(args.jobs, experiment.task_count)
    summary = run_sweep(experiment, args.out, jobs=jobs, backend=args.backend,
                        scheduler=args.scheduler, resume=args.resume,
                        progress=not args.quiet and wanted(args.progress),
                        provenance=sweep_provenance(experiment, args.command_text))
    print(sweep_summary(summary, experiment.baseline.index, args.out, list_sizes={
        p.index: int(p.scenario.population.list_size or 0) for p in experiment.points},
        stopping=experiment.spec.stopping,
        staffing={p.index: p.scenario.staffing() for p in experiment.points}))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from datetime import datetime

    from sim.calibration import CASES, PICTURE, RUNS_PER_REPLICATION, write_report
    from sim.outputs import atomic_files
    from sim.progress import progress_bar, wanted

    if args.out is None:
        args.out = datetime.now().strftime(CALIBRATION_DIR)
    out = Path(args.out)
    if (out / "report.md").exists() and not args.force:
        raise ScenarioError([Problem("--out", (), "a directory without a calibration report "
                                     "(or --force to replace it)",
                                     f"{out} already holds report.md")])
    _writable_dir(out, "--out")
    jobs = _workers(args.jobs, len(CASES))
    weeks = "" if args.weeks is None else f" --weeks {args.weeks}"
    weeks += "" if args.warmup_weeks is None else f" --warmup-weeks {args.warmup_weeks}"
    with atomic_files(out, ["report.csv", "recognisability.csv", PICTURE, "report.md"]
                      ) as staging, \
            progress_bar(len(CASES) * args.replications * RUNS_PER_REPLICATION,
                         "calibrate",
                         enabled=wanted(args.progress)):
        table = write_report(staging, args.replications, args.seed,
                             command=f"clinicsim calibrate --out {args.out} "
                                     f"{'--force ' if args.force else ''}"
                                     f"-r {args.replications} --seed {args.seed}{weeks}",
                             weeks=args.weeks, warmup_weeks=args.warmup_weeks, jobs=jobs)
    counts = table["verdict"].str.split(":").str[0].value_counts()
    print(f"Calibration report written to {out / 'report.md'}, with {out / PICTURE} "
          f"and {out / 'report.csv'}")
    print(", ".join(f"{n} {v}" for v, n in counts.items()))
    return 0


def _search_runs(args: argparse.Namespace, default: int) -> int:
    """The runs each list size starts with; more than --max-replications is an error, not a
    silent change of either."""
    runs = args.replications if args.replications is not None else default
    args.max_replications = most_search_runs(runs, args.max_replications)
    if args.max_replications < runs:
        where = "--replications" if args.replications is not None else "the experiment file"
        raise ScenarioError([Problem("--max-replications", (),
                                     f"at least the runs each list size starts with ({runs}, "
                                     f"from {where})", str(args.max_replications))])
    return runs


def cmd_capacity(args: argparse.Namespace) -> int:
    from sim.capacity import describe, find_capacity
    from sim.targets import default_targets, parse_target

    from sim.progress import progress_bar, wanted

    targets = [parse_target(t) for t in args.target] if args.target else default_targets()
    runs = _search_runs(args, 10)
    scenario = _load_and_warn(args.scenario, args.weeks, args.warmup_weeks)
    picture = _picture_path(args.plot, "--plot") if args.plot else None
    jobs = _workers(args.jobs, args.max_replications)
    with progress_bar(None, "capacity search", enabled=wanted(args.progress) and not args.json):
        result = find_capacity(scenario, targets, seed=args.seed, replications=runs,
                               max_replications=args.max_replications, weeks=args.weeks,
                               warmup_weeks=args.warmup_weeks,
                               resolution=args.resolution, confidence=args.confidence,
                               jobs=jobs)
    from sim.report import short_warmup_note

    calendar = scenario.calendar
    warmup = short_warmup_note([(args.warmup_weeks, calendar.warmup_weeks)],
                               "--warmup-weeks {}")
    if args.json:
        print(json.dumps({
            "scenario": result.scenario, "targets": [str(t) for t in targets],
            "weeks": args.weeks if args.weeks is not None else calendar.weeks,
            "warmup_weeks": (args.warmup_weeks if args.warmup_weeks is not None
                             else calendar.warmup_weeks),
            "notes": [warmup] if warmup else [],
            "capacity": result.capacity, "settled": result.settled,
            "missed_from": result.upper,
            "binding_target": result.settled_binding,
            "closest_target": None if result.settled else result.binding,
            "gp_fte": result.gp_fte,
            "patients_per_gp_fte": result.patients_per_gp_fte,
            "at_capacity": result.at_capacity,
            "tried": result.table().to_dict(orient="records")}, indent=1, default=str))
    else:
        print(describe(result, [warmup] if warmup else []))
    if picture is not None:
        from sim.outputs import atomic_file
        from sim.plots import capacity_search

        with atomic_file(picture) as tmp:
            capacity_search(result).savefig(tmp, dpi=PICTURE_DPI)
        print(f"Picture written to {picture}", file=sys.stderr if args.json else sys.stdout)
    return 0


#: Resolution of a picture a command writes on request (``capacity --plot``).
PICTURE_DPI = 100
#: Endings of the pictures it writes: those matplotlib writes with what it installs
#: (not .pgf, which needs LaTeX, nor the kinds only some builds of Pillow write).
PICTURE_KINDS = ("png", "pdf", "svg", "eps", "ps", "jpg", "jpeg", "tif", "tiff")


def _picture_path(text: str, option: str) -> Path:
    """A picture's file, checked before any work: a kind it writes (by its ending), in a
    place that can be written."""
    path = Path(text)
    if path.suffix.lower().lstrip(".") not in PICTURE_KINDS:
        raise ScenarioError([Problem(
            option, (), "a picture file ending .png, .pdf or .svg (or "
            f"{', '.join('.' + k for k in PICTURE_KINDS[3:])})", repr(text))])
    _writable(path, option)
    return path


def cmd_frontier(args: argparse.Namespace) -> int:
    from sim.targets import default_targets, parse_target
    from sim.experiment.design import load_experiment
    from sim.frontier import plot_frontier, staffing_frontier
    from sim.outputs import atomic_files

    experiment = load_experiment(args.experiment, max_points=args.max_points)
    texts = args.target or experiment.spec.targets
    targets = [parse_target(t) for t in texts] if texts else default_targets()
    runs = _search_runs(args, experiment.spec.replications)
    weeks = args.weeks if args.weeks is not None else experiment.spec.weeks
    warmup_weeks = (args.warmup_weeks if args.warmup_weeks is not None
                    else experiment.spec.warmup_weeks)
    _warn_base(experiment, weeks, warmup_weeks)
    from sim.progress import progress_bar, wanted

    _writable_dir(Path(args.out), "--out")
    with progress_bar(len(experiment.points), "frontier", unit="mix",
                      enabled=wanted(args.progress)):
        table = staffing_frontier(
            experiment, targets, jobs=_workers(args.jobs, len(experiment.points)),
            replications=runs, max_replications=args.max_replications,
            weeks=weeks, warmup_weeks=warmup_weeks, resolution=args.resolution)
    out = Path(args.out)
    with atomic_files(out, ["frontier.csv", "frontier.png"]) as staging:
        table.to_csv(staging / "frontier.csv", index=False)
        plot_frontier(table, f"{experiment.spec.name}: capacity and cost").savefig(
            staging / "frontier.png", dpi=120)
    cols = ["name", "capacity", "binding_target", "patients_per_gp_fte",
            "cost_per_patient_year_dkk", "on_frontier"]
    ranked = table.sort_values("capacity", ascending=False)
    shown = ranked[cols].astype({"capacity": object})
    shown["capacity"] = [f"{c:,}" if s else f"at least {c:,}"
                         for c, s in zip(ranked["capacity"], ranked["settled"])]
    shown["binding_target"] = [
        b if isinstance(b, str) else "not settled" if not settled else "none within range"
        for b, settled in zip(shown["binding_target"], ranked["settled"])]
    print(f"Targets: {'; '.join(str(t) for t in targets)}")
    print(shown.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    if not ranked["settled"].all():
        print(f"\n{(~ranked['settled']).sum()} of {len(ranked)} mixes have a capacity that "
              "is a lower bound: above it a target stayed unclear, after --max-replications "
              f"({args.max_replications}) runs or after fewer whose mean and spread projected "
              f"that {args.max_replications} would not settle it, with none confidently "
              "missed first.")
    print(f"\nWritten {out / 'frontier.csv'} and {out / 'frontier.png'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sim.html_report import build_report

    out = Path(args.output)
    if out.suffix.lower() not in (".html", ".htm"):  # -o more_nurses.yaml replaced a scenario
        raise ScenarioError([Problem("--output", (), "an HTML file, ending .html",
                                     repr(args.output))])
    _writable(out, "--output", _saved_files(args.results))
    try:
        build_report(args.results if len(args.results) > 1 else args.results[0], out)
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

    def degree(r) -> str:
        """The fact box's degree, else the one the case file takes from the narrative (*)."""
        if isinstance(r.delegation, str):
            return text(r.delegation, 11)
        return f"{r.scenario_delegation}*" if r.scenario_delegation else "?"

    print(f"{'name':<8} {'form':<24} {'patients':>8} {'GPs':>4} {'staff':>5} "
          f"{'delegation':<11} {'region':<12} file")
    for r in table.itertuples(index=False):
        print(f"{r.name:<8} {text(r.practice_form, 24):<24} {r.patients:>8,} "
              f"{text(r.doctors_excl_trainees, 4):>4} {text(r.practice_staff, 5):>5} "
              f"{degree(r):<11} {text(r.region, 12):<12} {r.file or '(missing)'}")
    if any(not isinstance(d, str) and s for d, s in zip(table["delegation"],
                                                         table["scenario_delegation"])):
        print("* not in the case's fact box: the degree its file takes from the narrative "
              "(the file's header says why); ? not stated.")
    print("\nRun one with: clinicsim run case08")
    return 0


#: Where ``clinicsim calibrate`` writes without ``--out``: a new folder per call (a
#: strftime pattern), so the committed report in experiments/calibration is never replaced
#: by accident.
CALIBRATION_DIR = "calibration-%Y%m%d-%H%M%S"

#: Examples shown at the end of each command's --help.
EXAMPLES: dict[str, list[str]] = {
    "run": ["clinicsim run                                  # the bundled default practice",
            "clinicsim run case08 -r 30 --save out/case08   # keep results for a report",
            "clinicsim run my_practice.yaml -r 20 --seed 7 --json"],
    "compare": ["clinicsim compare default case08 -r 20",
                "clinicsim compare ours.yaml more_delegation.yaml add_nurse.yaml "
                "--save out/cmp",
                "clinicsim report out/cmp -o comparison.html"],
    "validate": ["clinicsim validate my_practice.yaml",
                 "clinicsim validate models/cases/*.yaml"],
    "explain": ["clinicsim explain                     # every metric, with its name and unit",
                "clinicsim explain abandonment_rate",
                "clinicsim explain call_to_consult_wait_mean_min --scenario case08"],
    "sweep": ["clinicsim sweep experiments/delegation_degree.yaml --out out/delegation -j 2",
              "clinicsim sweep experiments/delegation_degree.yaml --out out/delegation "
              "--resume"],
    "capacity": ['clinicsim capacity default -t "acute_same_day_rate>=0.95" '
                 '-t "phone_wait_p90_min<=10"'],
    "frontier": ["clinicsim frontier experiments/frontier_medium.yaml --out out/frontier -j 2"],
    "calibrate": ["clinicsim calibrate                       # into calibration-<date-time>/",
                  "clinicsim calibrate --out experiments/calibration --force -r 10 --seed 1",
                  "clinicsim calibrate -j 2                  # the cases on two processes"],
    "report": ["clinicsim report out/case08 -o case08.html      # a saved run",
               "clinicsim report out/cmp -o comparison.html     # a saved comparison",
               "clinicsim report out/delegation -o sweep.html   # a sweep directory",
               "clinicsim report out/a out/b -o a_vs_b.html      # saved runs, same seed"],
    "cases": ["clinicsim cases", "clinicsim run case08"],
}


class _Help(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples as written; every option's default shown (unless its
    help already says it, or there is none to show)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("default" in text or action.default in (None, False, argparse.SUPPRESS)
                or (not action.option_strings and action.nargs not in ("?", "*"))):
            return text
        return text + " (default: %(default)s)"


def _command(sub, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    examples = "\n".join(f"  {line}" for line in EXAMPLES.get(name, []))
    return sub.add_parser(name, help=summary, description=description,
                          epilog=f"examples:\n{examples}" if examples else None,
                          formatter_class=_Help)


def _add_progress(p: argparse.ArgumentParser) -> None:
    p.add_argument("--progress", action="store_true",
                   help="show a progress bar on stderr even when it is not a terminal "
                        "(on a terminal it shows by itself after 2 s)")


def _add_weeks(p: argparse.ArgumentParser, whose: str = "the scenario's") -> None:
    p.add_argument("--weeks", "-w", type=_whole_number(1, MAX_WEEKS, f"1 to {MAX_WEEKS} weeks"),
                   default=None,
                   help=f"weeks measured in each run (default: {whose} calendar)")
    p.add_argument("--warmup-weeks", type=_whole_number(0, MAX_WEEKS, f"0 to {MAX_WEEKS} weeks"),
                   default=None, help="weeks simulated and discarded before measuring "
                                      f"(default: {whose} calendar)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinicsim", formatter_class=_Help,
        description="Simulate weeks of a Danish general practice (phone triage, "
                    "delegation to nurses, acute slots, the appointment book) and compare "
                    "designs under common random numbers.",
        epilog="start with:\n  clinicsim run\n  clinicsim compare default case08\n  "
               "clinicsim <command> --help")
    parser.add_argument("--version", action="version",
                        version=f"clinicsim {__version__} ({engine_build()} engine)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _command(sub, "run", "run a scenario and print a summary",
                   "Run independent runs of a scenario's weeks and print means per working "
                   "day with 95 % confidence intervals across runs.")
    run.add_argument("scenario", nargs="*", metavar="SCENARIO",
                     help="scenario file or bundled name (default: the bundled default)")
    run.add_argument("--seed", type=_seed, default=1, help="random seed")
    run.add_argument("--replications", "-r", type=_positive_int, default=10,
                     help="number of independent runs")
    _add_weeks(run)
    run.add_argument("--jobs", "-j", type=_positive_int, default=1,
                     help="processes sharing the runs, this one included (results do "
                          "not depend on it)")
    run.add_argument("--json", action="store_true", help="print tidy JSON rows instead")
    run.add_argument("--events", metavar="FILE", help="write the event log as CSV")
    run.add_argument("--save", metavar="DIR",
                     help="save the results (with the event log) for clinicsim report; "
                          "missing folders are created")
    run.add_argument("--force", action="store_true",
                     help="let --save replace an earlier saved run in DIR")
    _add_progress(run)
    run.set_defaults(func=cmd_run)

    compare = _command(sub, "compare", "run two or more designs on the same patients and "
                                       "compare them",
                       "Run every scenario with the same seed and runs (common random "
                       "numbers: designs of the same list size face the same patients), then "
                       "print a conclusion and, for each design, its paired difference from the "
                       "first with a 95 % CI, largest effects relative to their uncertainty "
                       "first.")
    compare.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                         help="scenario files or bundled names; the first is the baseline")
    compare.add_argument("--seed", type=_seed, default=1, help="random seed")
    compare.add_argument("--replications", "-r", type=_positive_int, default=10,
                         help="independent runs per design")
    _add_weeks(compare, "each scenario's")
    compare.add_argument("--jobs", "-j", type=_positive_int, default=1,
                         help="processes sharing the runs, this one included (results do "
                              "not depend on it)")
    compare.add_argument("--json", action="store_true",
                         help="print tidy JSON rows (with the paired differences) instead")
    compare.add_argument("--all", action="store_true",
                         help="list every figure, not only key figures and clear differences")
    compare.add_argument("--save", metavar="DIR",
                         help="save the comparison for clinicsim report; missing folders are "
                              "created")
    compare.add_argument("--force", action="store_true",
                         help="let --save replace an earlier saved comparison in DIR")
    _add_progress(compare)
    compare.set_defaults(func=cmd_compare)

    validate = _command(sub, "validate", "check scenario files and report every problem",
                        "Check scenario files (with their bases) and list every problem, "
                        "naming file, field, what was found and what was expected; also "
                        "warn about days that are valid but probably not meant. Exit code 2 "
                        "if any file is invalid.")
    validate.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                          help="scenario files or bundled names")
    validate.set_defaults(func=cmd_validate)

    explain = _command(sub, "explain", "say how a metric is computed and what moves it",
                       "Say how a metric is computed, which scenario inputs move it most, "
                       "and the scenario's own assumptions behind it (for abandonment: the "
                       "callers' patience and who rings again).")
    explain.add_argument("metric", metavar="METRIC", nargs="?",
                         help="a metric name, e.g. abandonment_rate (left out: the list of "
                              "every metric, with its name and unit)")
    explain.add_argument("--scenario", "-s", default="default",
                         help="scenario whose assumptions to quote")
    explain.set_defaults(func=cmd_explain)

    def add_max_points(p: argparse.ArgumentParser) -> None:
        p.add_argument("--max-points", type=_positive_int, default=MAX_DESIGN_POINTS,
                       metavar="N", help="refuse designs of more than N points (each point "
                       "is held in memory)")

    sweep = _command(sub, "sweep", "run an experiment over many scenarios",
                     "Run every design point of an experiment file for its replications, "
                     "writing Parquet results as tasks finish; then print each point's "
                     "paired differences from the baseline, largest effects first.")
    sweep.add_argument("experiment", help="experiment file (see experiments/)")
    sweep.add_argument("--out", "-o", required=True, help="results directory")
    sweep.add_argument("--jobs", "-j", type=_positive_int, default=1,
                       help="worker processes (results do not depend on it)")
    sweep.add_argument("--backend", choices=["loky", "dask"], default="loky",
                       help="how tasks are run in parallel")
    sweep.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://host:8786")
    sweep.add_argument("--resume", action="store_true",
                       help="finish an interrupted sweep in --out")
    sweep.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _add_progress(sweep)
    add_max_points(sweep)
    sweep.set_defaults(func=cmd_sweep)

    def add_search_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--replications", "-r", type=_positive_int, default=None,
                       help="runs per list size to start with (default: 10; for frontier, "
                            "the experiment file's replications)")
        p.add_argument("--max-replications", type=_positive_int, default=None,
                       help="runs per list size at most, when the CI straddles a target "
                            "(default: 40, or the runs to start with if more)")
        _add_weeks(p)
        p.add_argument("--resolution", type=_whole_number(
                           1, DEFAULT_MAX_LIST_SIZE, f"1 to {DEFAULT_MAX_LIST_SIZE:,} "
                           "patients (the longest list a search tries)"), default=100,
                       help="stop when the capacity is known to this many patients")
        _add_progress(p)

    capacity = _command(sub, "capacity", "largest list size a scenario's staffing serves "
                                         "within service targets",
                        "Search the largest list size at which every target holds with "
                        "confidence (the whole CI on its good side; a trend's target holds "
                        "unless its whole CI is on the bad side), and report patients per "
                        "GP and the staff cost at capacity. Without --target, the 7 targets "
                        "in models/defaults/targets.yaml: same-day access, unanswered calls, "
                        "the phone wait, the routine wait, an appointment book and carried-"
                        "over work that do not grow, and overtime.")
    capacity.add_argument("scenario", help="scenario file or bundled name")
    capacity.add_argument("--target", "-t", action="append",
                          help="e.g. 'acute_same_day_rate>=0.95' (repeat for more; default: "
                               "the targets in models/defaults/targets.yaml)")
    add_search_options(capacity)
    capacity.add_argument("--confidence", type=_open_unit_interval, default=0.95,
                          help="confidence of the interval that must meet each target")
    capacity.add_argument("--seed", type=_seed, default=1, help="random seed")
    capacity.add_argument("--jobs", "-j", type=_positive_int, default=1,
                          help="processes for each list size's runs (results do not depend "
                               "on it)")
    capacity.add_argument("--json", action="store_true", help="print JSON instead")
    capacity.add_argument("--plot", metavar="FILE",
                          help="also draw the search: each target's figure with its 95 %% "
                               "CI at every list size tried, the target and the capacity "
                               "(capacity.png; .pdf and .svg too)")
    capacity.set_defaults(func=cmd_capacity)

    frontier = _command(sub, "frontier", "capacity and cost of every staffing mix of an "
                                         "experiment, with the non-dominated mixes",
                        "Run the capacity search for every design point of an experiment "
                        "and mark the mixes no other mix beats on both capacity and cost; "
                        "writes frontier.csv and frontier.png.")
    frontier.add_argument("experiment", help="experiment file (see experiments/)")
    frontier.add_argument("--target", "-t", action="append",
                          help="service target (default: the experiment file's targets, "
                               "else those in models/defaults/targets.yaml)")
    frontier.add_argument("--out", "-o", required=True, help="directory for the table and plot")
    frontier.add_argument("--jobs", "-j", type=_positive_int, default=1,
                          help="worker processes (results do not depend on it)")
    add_search_options(frontier)
    add_max_points(frontier)
    frontier.set_defaults(func=cmd_frontier)

    calibrate = _command(sub, "calibrate", "set the model against the figures the sources "
                                           "state, for every case",
                         "Run every practice case and set the model's figures against those "
                         "the sources state (time shares, contacts per patient and per GP), "
                         "each with a 95 % CI and a verdict. Writes report.md with its "
                         "picture calibration.png, report.csv and recognisability.csv into "
                         "a new folder calibration-<date>-<time> "
                         "unless --out says otherwise; a folder that already holds a report is replaced only "
                         "with --force.")
    calibrate.add_argument("--out", "-o", default=None,
                           help="directory for report.md, calibration.png, report.csv and "
                                "recognisability.csv "
                                "(default: a new calibration-YYYYMMDD-HHMMSS in the current "
                                "directory)")
    calibrate.add_argument("--force", action="store_true",
                           help="replace a report already in --out")
    calibrate.add_argument("--replications", "-r", type=_positive_int, default=10,
                           help="independent runs per case")
    calibrate.add_argument("--seed", type=_seed, default=1, help="random seed")
    calibrate.add_argument("--jobs", "-j", type=_positive_int, default=1,
                           help="processes sharing the cases, this one included (the "
                                "report does not depend on it)")
    _add_weeks(calibrate, "each case's")
    _add_progress(calibrate)
    calibrate.set_defaults(func=cmd_calibrate)

    report = _command(sub, "report", "write a self-contained HTML report of saved results",
                      "Write one self-contained HTML file (no network needed) of a saved run, "
                      "a saved comparison or a sweep directory: a conclusion in words, the "
                      "practice as simulated, key figures with 95 % CIs, plots and the "
                      "assumptions. Several saved runs of the same seed are compared.")
    report.add_argument("results", nargs="+", metavar="DIR",
                        help="a directory from clinicsim run --save, compare --save or "
                             "sweep --out (or several saved runs)")
    report.add_argument("--output", "-o", default="report.html", help="HTML file to write")
    report.set_defaults(func=cmd_report)

    cases = _command(sub, "cases", "list the bundled practice cases and their files",
                     "List the 17 bundled practice cases (form, list size, GPs, staff, "
                     "delegation degree, region) and their scenario files; run one by its "
                     "short name.")
    cases.set_defaults(func=cmd_cases)
    return parser


def _command_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """The parser of command ``name``: an option it does not know is reported by it, as
    ``clinicsim run: error: ...``, where the top parser named no command (``-o`` is
    ``sweep``'s and ``report``'s, not ``run``'s)."""
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[name]


#: Arrow's memory pool for a command's tables (kept if the user sets
#: ARROW_DEFAULT_MEMORY_POOL). Arrow's default, mimalloc, keeps the pages a built table
#: freed, so a command's peak grew with its runs: ``compare`` of 100 runs peaked 11 MB
#: higher than with the system allocator (experiments/benchmark_memory.py). A command
#: builds its tables once, so the allocator's speed does not show.
ARROW_MEMORY_POOL = "system"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)  # --version and --help end here
    if unknown:
        _command_parser(parser, args.command).error(
            f"unrecognized arguments: {' '.join(unknown)} "
            f"(clinicsim {args.command} --help lists its options)")
    from sim.provenance import command_line

    args.command_text = command_line(argv)
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", ARROW_MEMORY_POOL)  # before pyarrow loads
    stops: list[int] = []
    with _stop_on_signals(stops) as terminated, warnings.catch_warnings():
        # restored as the command ends
        warnings.showwarning = functools.partial(_show_warning, warnings.showwarning)
        try:
            code = _dispatch(args)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        except BrokenPipeError:
            _discard_stdout()
            return EXIT_BROKEN_PIPE
        except Exception:
            if not stops:
                raise
            code = _interrupted()  # it failed on what the signal did to its workers
        else:
            if stops and code != 130:  # the stop never reached _dispatch's handler
                code = _interrupted()
    return EXIT_TERMINATED if terminated and code == 130 else code


def _show_warning(shown: Callable[..., None], message, category, filename, lineno,
                  file=None, line=None) -> None:
    """A run's own warning (:class:`WorkerLost`) as one plain line on stderr, as the
    command says its notes; any other as ``shown``, the way shown before, shows it."""
    if issubclass(category, WorkerLost):
        print(f"clinicsim: {message}", file=sys.stderr)
    else:
        shown(message, category, filename, lineno, file, line)


#: Seconds after a stop was lost before it is raised again: long enough for the callback
#: that lost it to have returned (assumption: a callback Python ignores runs for less).
LOST_STOP_AGAIN_S = 0.01


def _interrupted() -> int:
    """A command a stop signal reached, whose stop was lost on the way: said as
    :func:`_dispatch` says an interrupted one."""
    print("interrupted", file=sys.stderr)
    return 130


class Stopped(KeyboardInterrupt):
    """Ctrl-C or SIGTERM, raised by this command's own handlers. Caught wherever a
    KeyboardInterrupt is, but not a plain one: CPython's ``python -m`` ends a process by
    SIGINT, whatever exit code it returns, once a plain KeyboardInterrupt has passed
    through code run by ``exec`` of a string (as SciPy's and the dataclasses' imports do),
    even if it was caught later."""


@contextlib.contextmanager
def _stop_on_signals(stops: list[int] | None = None) -> Iterator[list[bool]]:
    """Stop on SIGTERM (what a batch scheduler or ``kill`` sends) as on Ctrl-C: worker
    pools shut down, a sweep keeps its finished tasks and frees its folder for --resume;
    the exit code is then 143 (128 + SIGTERM), and 130 for Ctrl-C, wherever they come.
    Only in the main thread, where Python delivers signals; the list says whether
    SIGTERM came, and ``stops`` (if given) gets every stop signal that came. The earlier
    handlers are restored.

    A handler's exception can come while Python runs a callback whose exceptions it
    ignores (an import's lock, a finalizer): Python then only prints it, and the command
    would go on, or fail on what the signal did to its workers. Such a lost stop is taken
    out of that print and raised again in the main thread (as a Ctrl-C is), so that it
    comes where it is caught; :func:`main` gives any command that a signal reached its
    exit code."""
    import _thread
    import signal
    import threading

    came: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield came
        return

    def stop(signum, _frame) -> None:
        if stops is not None:
            stops.append(signum)
        if signum == signal.SIGTERM:
            came.append(True)
            # a second one may not cut cleanup short
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stopped

    mine = [signal.SIGTERM]
    # Ctrl-C too, unless it is ignored (as in a job a script starts in the background)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        mine.append(signal.SIGINT)
    before = {number: signal.signal(number, stop) for number in mine}
    hook = sys.unraisablehook

    def lost(unraisable) -> None:
        if not isinstance(unraisable.exc_value, Stopped):
            hook(unraisable)
        elif signal.SIGINT in mine:  # raised again by this command's own Ctrl-C handler,
            # from another thread once this hook has returned (raised in the hook, it would
            # be ignored again)
            threading.Timer(LOST_STOP_AGAIN_S, _thread.interrupt_main, (signal.SIGINT,)).start()

    sys.unraisablehook = lost
    try:
        yield came
    finally:
        sys.unraisablehook = hook
        for number, handler in before.items():
            signal.signal(number, handler)


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


#: Threads each BLAS library (NumPy's and SciPy's own OpenBLAS) may start in a
#: ``clinicsim`` process, unless the environment names a number. Its linear algebra is a
#: few small arrays (trends, intervals), which one thread does at once; but OpenBLAS
#: starts a thread per core as it loads, and each spins about 0.1 s waiting for work that
#: never comes. With ``-j 2`` SciPy loads while the worker simulates, and its spinning
#: thread took a core from the runs (experiments/performance.md).
BLAS_THREADS = "1"


def limit_blas_threads(environ: MutableMapping[str, str] = os.environ) -> None:
    """Ask OpenBLAS (the BLAS of NumPy's and SciPy's wheels) for :data:`BLAS_THREADS`
    threads, keeping any number the user set. It reads the number as it loads, so this
    must come before NumPy is imported (``clinicsim`` imports it later); ``-j`` workers
    inherit it. Other BLAS builds (MKL, Accelerate) were not measured and are left alone."""
    environ.setdefault("OPENBLAS_NUM_THREADS", BLAS_THREADS)


def console() -> int:
    """The ``clinicsim`` command: :func:`main`, then a quick exit. Every file is written
    and closed by then, so the cyclic collector's passes as the interpreter exits (over
    every object: 0.08 s once pandas and SciPy are loaded) have nothing to free that
    matters; frozen objects are skipped."""
    import gc

    limit_blas_threads()
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())
