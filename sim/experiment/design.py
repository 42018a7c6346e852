"""Experiment files: a base scenario, factors to vary, and a design over them.

A factor is any scenario field named by its path (``staff.nurse.count``,
``delegation.degree``, ``staff.gp.blocks[0].kind``, ``demand.phone.per_patient_year``).
Designs: ``grid`` (every combination), ``list`` (named points), ``lhs`` (a Latin
hypercube sample over numeric ranges, for large spaces). Every point is validated as a
scenario before anything runs, and problems name the experiment file and the point.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError
from scipy.stats import qmc

from sim.scenario.changes import set_path, unknown_entries
from sim.scenario.errors import Problem, ScenarioError, show
from sim.scenario.loading import load_raw, read_yaml_mapping, resolve_reference, scenario_from_dict
from sim.scenario.wording import validation_problems
from sim.limits import MAX_DESIGN_POINTS, MAX_SEED, MAX_WEEKS
from sim.scenario.schema import (
    Name,
    NonNegativeWhole,
    Number,
    PositiveWhole,
    Scenario,
    Strict,
    whole_number,
)


class Range(Strict):
    low: Number
    high: Number
    integer: bool = False


class Point(Strict):
    name: Name
    set: dict[str, Any] = Field(default_factory=dict)


class Design(Strict):
    kind: Literal["grid", "list", "lhs"]
    factors: dict[str, list[Any]] = Field(default_factory=dict,
                                          description="grid: path -> values")
    points: list[Point] = Field(default_factory=list, description="list: named points")
    ranges: dict[str, Range] = Field(default_factory=dict, description="lhs: path -> range")
    samples: PositiveWhole | None = Field(default=None, description="lhs: number of points")


class Stopping(Strict):
    """Add replications until each metric's CI half-width is at most its target; the
    baseline is given every replication any point is given (see sim.experiment.sweep)."""

    half_widths: dict[str, Annotated[Number, Field(gt=0)]]
    max_replications: PositiveWhole


class Experiment(Strict):
    name: str
    description: str = ""
    base: str = Field(description="scenario: bundled name or path relative to this file")
    seed: Annotated[NonNegativeWhole, Field(le=MAX_SEED)] = 1
    replications: PositiveWhole = Field(description="independent runs per design point")
    weeks: Annotated[PositiveWhole, Field(le=MAX_WEEKS)] | None = Field(
        default=None, description="weeks measured per run (default: the scenario's calendar)")
    warmup_weeks: Annotated[NonNegativeWhole, Field(le=MAX_WEEKS)] | None = Field(
        default=None, description="weeks of warm-up per run (default: the scenario's)")
    replications_per_task: Annotated[PositiveWhole | Literal["auto"],
                                     BeforeValidator(whole_number)] = Field(
        default="auto", description="runs per task; auto sizes tasks by expected contacts")
    baseline: str | None = Field(default=None, description="point to compare against")
    design: Design
    stopping: Stopping | None = None
    targets: list[str] = Field(default_factory=list,
                               description="service targets for clinicsim frontier")


@dataclass(frozen=True)
class DesignPoint:
    index: int
    name: str
    factors: dict[str, Any]
    scenario: Scenario


#: Contacts a task should simulate when its size is "auto": about half a second of work at
#: the engine's ~100,000 contacts a second (experiments/benchmark_engine.py), so the cost of
#: dispatching a task (tens of ms with loky or Dask) stays small. A run of weeks is one
#: task's minimum.
CONTACTS_PER_TASK = 40_000
#: How a stopping rule lays out its rounds' parts, in a sweep's fingerprint: 2 since each
#: round starts where the last one's parts end and the baseline gets every point's runs.
STOPPING_LAYOUT = 2
#: ... but at most 1/this of a design point's runs a task (rounded up), so a small sweep
#: still spreads over the workers: 4 tasks a point where the runs divide evenly, 3 of 2, 2
#: and 1 runs for 5 (the layout of a sweep's parts, so kept as it is).
MIN_TASKS_PER_POINT = 4


@dataclass(frozen=True)
class LoadedExperiment:
    spec: Experiment
    path: Path
    points: list[DesignPoint]

    def days_per_run(self, scenario: Scenario) -> int:
        """Working days simulated in one run of ``scenario`` (warm-up included)."""
        from sim.experiment.replications import run_calendar

        return run_calendar(scenario, self.spec.weeks, self.spec.warmup_weeks).total_days

    @property
    def task_size(self) -> int:
        """Runs per task. "auto" sizes tasks from the busiest point's expected contacts a
        run: a deterministic rule, so the results layout never depends on timing."""
        size = self.spec.replications_per_task
        if size != "auto":
            return int(size)
        from sim.engine import CompiledScenario

        busiest = max(sum(CompiledScenario(p.scenario).expected_per_day(name)
                          for name in p.scenario.demand) * self.days_per_run(p.scenario)
                      for p in self.points)
        by_work = max(1, round(CONTACTS_PER_TASK / max(busiest, 1.0)))
        by_spread = max(1, -(-self.spec.replications // MIN_TASKS_PER_POINT))
        return min(by_work, by_spread)

    @property
    def task_count(self) -> int:
        """Tasks of the first round (all of them without a stopping rule)."""
        return len(self.points) * -(-self.spec.replications // self.task_size)

    @property
    def base_file(self) -> Path:
        """The base scenario's file (a bundled name's file, or a path relative to the
        experiment file)."""
        return resolve_reference(self.spec.base, self.path, field="base")

    @property
    def baseline(self) -> DesignPoint:
        name = self.spec.baseline
        return next((p for p in self.points if p.name == name), self.points[0])

    def fingerprint(self) -> str:
        """Changes whenever the experiment, any scenario it runs, or the way its replications
        are cut into tasks changes (so a resumed sweep never mixes two layouts)."""
        from sim import __version__

        blob = json.dumps({
            "version": __version__,
            "replications_per_task": self.task_size,
            # a stopping rule's rounds: each starts where the last one's parts end, and the
            # baseline is given every run any point is (so an earlier sweep is not resumed)
            **({"stopping_layout": STOPPING_LAYOUT} if self.spec.stopping else {}),
            "experiment": self.spec.model_dump(mode="json", exclude={"description"}),
            "points": [(p.name, p.scenario.model_dump(mode="json")) for p in self.points],
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


def _label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _points(spec: Experiment) -> list[tuple[str, dict[str, Any]]]:
    d = spec.design
    if d.kind == "grid":
        paths = list(d.factors)
        combos = itertools.product(*(d.factors[p] for p in paths))
        return [(",".join(f"{p}={_label(v)}" for p, v in zip(paths, combo)),
                 dict(zip(paths, combo))) for combo in combos]
    if d.kind == "list":
        return [(p.name, dict(p.set)) for p in d.points]
    paths = list(d.ranges)
    sampler = qmc.LatinHypercube(d=len(paths), seed=spec.seed)
    out = []
    for i, row in enumerate(sampler.random(d.samples or 0)):
        values = {}
        for p, u in zip(paths, row.tolist()):
            r = d.ranges[p]
            values[p] = (int(r.low + int(u * (r.high - r.low + 1))) if r.integer
                         else r.low + u * (r.high - r.low))
        out.append((f"lhs-{i + 1:03d}", values))
    return out


def design_size(spec: Experiment) -> int:
    """How many points the design has, computed without building them."""
    d = spec.design
    if d.kind == "grid":
        return math.prod(len(values) for values in d.factors.values()) if d.factors else 0
    if d.kind == "list":
        return len(d.points)
    return d.samples or 0


def _size_problem(spec: Experiment, file: str, max_points: int) -> Problem | None:
    size = design_size(spec)
    if size <= max_points:
        return None
    return Problem(file, ("design",), f"at most {max_points:,} design points (each is "
                   "validated and held in memory before anything runs; raise the limit "
                   "with --max-points N, or sample the space with kind: lhs)",
                   f"{size:,} design points")


def _design_problems(spec: Experiment, file: str) -> list[Problem]:
    d, problems = spec.design, []
    need = {"grid": "factors", "list": "points", "lhs": "ranges"}[d.kind]
    if not getattr(d, need):
        problems.append(Problem(file, ("design", need), f"at least one entry for a {d.kind} "
                                "design", "none"))
    if d.kind == "lhs" and not d.samples:
        problems.append(Problem(file, ("design", "samples"), "a number of points to sample",
                                "none"))
    for path, values in d.factors.items():
        if not values:
            problems.append(Problem(file, ("design", "factors", path), "at least one value",
                                    "[]"))
    for path, r in d.ranges.items():
        if r.high < r.low:
            problems.append(Problem(file, ("design", "ranges", path), "high >= low",
                                    f"{r.low} to {r.high}"))
    if spec.stopping and spec.stopping.max_replications < spec.replications:
        problems.append(Problem(file, ("stopping", "max_replications"),
                                f"at least replications ({spec.replications})",
                                str(spec.stopping.max_replications)))
    return problems


def _with_range_hint(spec: Experiment, problem: Problem) -> str:
    """What a point's problem expects, saying how to fix the range a Latin hypercube drew
    a decimal from where a whole number is meant (a count of staff, a list size)."""
    path = ".".join(map(str, problem.path))
    rng = spec.design.ranges.get(path)
    if rng is not None and not rng.integer and "whole number" in problem.expected:
        return (f"{problem.expected}; the range design.ranges.{path} draws decimals: add "
                "'integer: true' to it")
    return problem.expected


def load_experiment(path: str | Path, max_points: int = MAX_DESIGN_POINTS
                    ) -> LoadedExperiment:
    """Read and validate an experiment file and every scenario point it defines; a design
    of more than ``max_points`` points is refused before its points are built."""
    path = Path(path)
    file = str(path)
    data = read_yaml_mapping(path)
    try:
        spec = Experiment.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(validation_problems(err, data, Experiment, lambda _loc: file)
                            ) from None
    too_big = _size_problem(spec, file, max_points)
    if too_big:
        raise ScenarioError([too_big])
    problems = _design_problems(spec, file)
    if problems:
        raise ScenarioError(problems)
    base_path = resolve_reference(spec.base, path, field="base")
    base, origin = load_raw(base_path)
    all_points = _points(spec)
    problems = [Problem(file, ("design", "factors", factor), expected, found)
                for factor, expected, found in
                unknown_entries(base, {f for _name, fs in all_points for f in fs})]
    if problems:
        raise ScenarioError(problems)
    points: list[DesignPoint] = []
    names = set()
    #: each point's problems, the same problem (field and what it expects) once, with
    #: how many points share it
    seen: dict[tuple, list] = {}
    for index, (name, factors) in enumerate(all_points):
        where = f"{file} (design point {name!r})"
        if name in names:
            problems.append(Problem(file, ("design",), "unique point names", show(name)))
            continue
        names.add(name)
        data = copy.deepcopy(base)
        try:
            for factor, value in factors.items():
                set_path(data, factor, value)
            scenario = scenario_from_dict(data, origin, str(base_path))
        except KeyError as err:
            found = [Problem(where, (factor,), "a scenario field path", str(err))]
        except ScenarioError as err:
            found = [Problem(where, p.path, _with_range_hint(spec, p), p.found)
                     for p in err.problems]
        else:
            points.append(DesignPoint(index, name, factors, scenario))
            continue
        for p in found:
            seen.setdefault((p.path, p.expected), [p, 0])[1] += 1
    for first, count in seen.values():
        if count > 1:  # say it once, for every point it concerns
            first = Problem(f"{first.file} and {count - 1} other design "
                            f"point{'s' if count > 2 else ''}", first.path, first.expected,
                            first.found)
        problems.append(first)
    if spec.baseline is not None and spec.baseline not in names and not seen:
        # (where points have problems, a misspelt factor misnames them all: the baseline
        # is checked once they are right)
        problems.append(Problem(file, ("baseline",), f"a point name ({', '.join(names)})",
                                show(spec.baseline)))
    from sim.targets import parse_target

    for i, text in enumerate(spec.targets):
        try:
            parse_target(text)
        except ScenarioError as err:
            problems += [Problem(file, ("targets", i), p.expected, p.found)
                         for p in err.problems]
    if spec.stopping:
        from sim.metrics import OVERALL_METRICS, practice_metric_expected

        for metric in spec.stopping.half_widths:
            if metric not in OVERALL_METRICS:
                problems.append(Problem(file, ("stopping", "half_widths", metric),
                                        practice_metric_expected(metric), show(metric)))
    if problems:
        raise ScenarioError(problems)
    return LoadedExperiment(spec, path, points)
