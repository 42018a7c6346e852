"""How many listed patients can a staffing mix serve while meeting service targets?

A target is a metric, a comparison and a value (``acute_same_day_rate >= 0.95``). A
target is *met* at a list size when the whole confidence interval of the metric's mean
lies on its good side, *violated* when the whole interval lies on the bad side, and
*unclear* otherwise; unclear list sizes get more replications, up to a maximum, and
count as not met if they stay unclear. A list size where a target is already violated
gets no more runs: it is not met at the search's confidence, and further runs would only
spend time on a decision already taken (above the capacity, such sizes took many of a
search's runs while another target stayed unclear). Nor does a size whose unclear target
would, at its runs' mean and spread, stay unclear after the maximum of runs: near the
capacity such sizes took most of a search's runs, at its largest lists, mostly to end
unclear. A size's first runs come in two halves: a target missed after the first half
with 99.9 % confidence ends the size there (``INTERIM_CONFIDENCE``); far above the
capacity that halves the runs of the largest, slowest lists. Demand scales with the list
size through the patient-mix rates; every list size is run with the same seeds (common
random numbers).

The search brackets the capacity by doubling or halving the list size, then bisects to
the requested resolution; where no size above the answer is confidently missed, it tries
one list twice the largest tried, so that a confident miss brackets the answer. The
answer is the largest list size where every target is met, with the smallest list size
where a target is confidently violated as its upper bound, the target that binds first,
and patients per full-time GP.
"""
from __future__ import annotations

import math
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from sim.arguments import confidence as confidence_level
from sim.arguments import most_search_runs, one_or_more, whole_number
from sim.engine import CompiledScenario
from sim.estimators import MIN_RUNS_FOR_INTERVALS
from sim.experiment.replications import iter_runs, run_calendar
from sim.metrics import SummaryStream
from sim.limits import DEFAULT_MAX_LIST_SIZE, DEFAULT_MAX_SEARCH_RUNS, MAX_LIST_SIZE
from sim.progress import expect
from sim.rng import check_seed
from sim.scenario.schema import Scenario
from sim.targets import STEADY_STATE, Target

#: Reported at the capacity found, whatever the targets.
COST_METRICS = ("staff_cost_dkk", "cost_per_patient_year_dkk", "cost_per_contact_dkk")
#: The confidence of the look after the first half of a size's first runs: a target missed
#: at it ends the size. Assumption: strict enough that the look adds few wrong misses. At 5
#: runs, on the estimator tests' metrics, an interval at this level leaves the truth out on
#: one side at most 0.12 % of the time (a rare count's upper limit 0.64 %; the test keeps
#: each side under 1 %, tests/test_estimators.py), against the 2.5 % a side the search's
#: 95 % allows on its last look. Far above the capacity a target is missed by much more
#: than the interval's width, so the look still ends most sizes that will not be met.
INTERIM_CONFIDENCE = 0.999
#: The fewest runs at which the search looks early: those of the coverage measured above.
INTERIM_RUNS = 5


def interim_confidence(confidence: float) -> float:
    """The first look's confidence for a search at ``confidence``: never looser."""
    return max(INTERIM_CONFIDENCE, confidence)


@dataclass
class Evaluation:
    """The targets at one list size."""

    list_size: int
    replications: int
    rows: list[dict] = field(default_factory=list)
    costs: dict[str, float] = field(default_factory=dict)
    #: The target that stopped this size's runs before the maximum: unclear, and at its
    #: runs' mean and spread the maximum number of runs would leave it unclear too.
    beyond_runs: str | None = None
    #: The target missed with ``INTERIM_CONFIDENCE`` after the first half of the size's
    #: first runs, which ended the size there.
    missed_early: str | None = None

    @property
    def statuses(self) -> list[str]:
        return [r["status"] for r in self.rows]

    @property
    def all_met(self) -> bool:
        return all(s == "met" for s in self.statuses)

    @property
    def violated(self) -> bool:
        return any(s == "violated" for s in self.statuses)


@dataclass
class CapacityResult:
    """What a capacity search found (:func:`find_capacity`): the capacity, the smallest
    list size with a target confidently missed (``upper``), the binding target, full-time
    GPs, every list size tried (``evaluations``; :meth:`table`) and the staff cost at the
    capacity. :func:`describe` says it in words."""

    scenario: str
    targets: list[Target]
    capacity: int
    upper: int | None
    binding: str | None
    gp_fte: float
    evaluations: list[Evaluation]
    at_capacity: dict[str, float]
    confidence: float

    def __repr__(self) -> str:
        """One line, not every list size tried (a notebook shows this when a cell ends
        with a search; :meth:`table` has them all)."""
        capacity = f"{self.capacity:,}" if self.settled else f"at least {self.capacity:,}"
        missed = f", a target missed at {self.upper:,}" if self.upper is not None else ""
        binding = ("no binding target" if self.binding is None
                   else f"binding {self.binding}" if self.settled
                   else f"closest to binding {self.binding}")
        tried = len(self.evaluations)
        return (f"<CapacityResult {self.scenario!r}: capacity {capacity}{missed}; {binding}; "
                f"{tried} list size{'s' if tried != 1 else ''} tried>")

    @property
    def patients_per_gp_fte(self) -> float:
        return self.capacity / self.gp_fte if self.gp_fte > 0 else math.nan

    @property
    def first_above(self) -> Evaluation | None:
        """The smallest list size tried above the capacity that not every target met."""
        return min((e for e in self.evaluations
                    if e.list_size > self.capacity and not e.all_met),
                   key=lambda e: e.list_size, default=None)

    @property
    def settled(self) -> bool:
        """Whether the capacity is bracketed: a size tried above it has a target
        confidently missed, so the capacity lies below that size (or the search ran out of
        range with every target met). If not, it is a lower bound only: more runs might
        show a larger list served."""
        first = self.first_above
        return first is None or first.violated or (self.capacity > 0
                                                   and self.upper is not None)

    @property
    def settled_binding(self) -> str | None:
        """The binding target where the capacity is settled; None for a lower bound (whose
        ``binding`` is only the target closest to being missed)."""
        return self.binding if self.settled else None

    def unclear_above(self) -> str:
        """Which targets stayed unclear, after how many runs, at the first list size above
        the capacity that not every target met, when none was confidently missed there
        ('' when one was)."""
        first = self.first_above
        if first is None or first.violated:
            return ""
        unclear = [r["target"] for r in first.rows if r["status"] == "unclear"]
        beyond = ""
        if first.beyond_runs:
            who = ("" if unclear == [first.beyond_runs]
                   else f" ({self.in_words(first.beyond_runs)})")
            beyond = (f", and, projected from its mean and spread so far, would{who} likely "
                      "stay so after the most runs a list size may get (not run)")
        many = len(unclear) > 1
        return (f"at {first.list_size:,} patients the target{'s' if many else ''} "
                f"{'; '.join(map(self.in_words, unclear))} "
                f"{'stay' if many else 'stays'} unclear after "
                f"{first.replications} runs{beyond}")

    def target(self, text: str) -> Target | None:
        """The target of the search its results name ``text`` (its own text)."""
        return next((t for t in self.targets if str(t) == text), None)

    def in_words(self, text: str) -> str:
        """A target of the search, as its results name it, in words with its own text."""
        found = self.target(text)
        return f"{found.words()} ({text})" if found is not None else text

    def table(self) -> pd.DataFrame:
        """Every list size tried, with each target's mean, CI and status;
        ``stopped_runs`` is True for the target that stopped a size's runs before the
        maximum (unclear, and the maximum would not settle it at the runs' spread), and
        ``missed_early`` for the one missed after the first half of its first runs."""
        return pd.DataFrame([{"list_size": e.list_size, "replications": e.replications, **r,
                              "stopped_runs": r["target"] == e.beyond_runs,
                              "missed_early": r["target"] == e.missed_early}
                             for e in sorted(self.evaluations, key=lambda e: e.list_size)
                             for r in e.rows])


def gp_fte(scenario: Scenario | str | Path) -> float:
    """GPs present (doctors not in training) on an average working day, as full days of the
    clinic's usual opening hours (a weekday with longer hours does not change the yardstick):
    their hours over the week, a rotating person counted for the share of weeks they are in
    (absences, being one-off, are not counted), a duty's own hours for their turns; over
    the 52 weeks of the year where a staff entry keeps other hours in some of them (a
    periods' doctor counts for the share of the year they are in). ``scenario``: a loaded
    one, a bundled name or a file."""
    from sim.scenario.loading import as_scenario

    scenario = as_scenario(scenario)
    model = CompiledScenario(scenario)
    day = scenario.clinic.close - scenario.clinic.open
    weeks = range(1, 53) if model.period_people else (1,)  # all weeks alike without periods
    terms = []
    for i, weekday in enumerate(scenario.calendar.weekdays):
        turns = {pid: (person, len(rota))
                 for rota, on_duty, _cover in model.duties.get(weekday, ())
                 for pid, person in on_duty.items()}
        for week in weeks:
            for p in model.weekday_people_in(i, week):
                role = scenario.roles[p.role]
                if not role.doctor or role.in_training:
                    continue
                rotation = scenario.staff[p.group].rotation
                share = len(rotation.weeks) / rotation.every_weeks if rotation else 1.0
                hours = p.end - p.start
                if p.id in turns:  # one week in len(rota) on duty
                    duty, every = turns[p.id]
                    hours += ((duty.end - duty.start) - hours) / every
                terms.append(hours / day * share)
    return math.fsum(terms) / len(weeks) / len(model.weekday_people)


class CapacitySearch:
    """The search of :func:`find_capacity`; its options are checked before any run (see
    there)."""

    def __init__(self, scenario: Scenario | str | Path, targets: list[Target], seed: int = 1,
                 replications: int = 10, max_replications: int | None = None,
                 resolution: int = 100, confidence: float = 0.95,
                 max_list_size: int = DEFAULT_MAX_LIST_SIZE, weeks: int | None = None,
                 warmup_weeks: int | None = None, jobs: int = 1):
        from sim.scenario.loading import as_scenario

        scenario = as_scenario(scenario)
        self.scenario, self.targets = scenario, _checked_targets(targets)
        self.seed = check_seed("seed", seed)
        # processes for each list size's runs (results do not depend on it)
        self.jobs = whole_number("jobs", jobs, 1)
        self.calendar = run_calendar(scenario, weeks, warmup_weeks)
        self.replications = whole_number("replications", replications, 1)
        self.max_replications = whole_number(
            "max_replications", most_search_runs(self.replications, max_replications),
            self.replications, " (replications, the runs each list size starts with; None: "
            f"{DEFAULT_MAX_SEARCH_RUNS}, or replications if more)")
        self.resolution = whole_number("resolution", resolution, 1, most=MAX_LIST_SIZE)
        self.max_list_size = whole_number("max_list_size", max_list_size, 1,
                                          " (the longest list a scenario may have)",
                                          most=MAX_LIST_SIZE)
        if self.max_list_size < self.resolution:  # the search started above the limit
            raise ValueError(f"max_list_size ({self.max_list_size:,}) must be at least "
                             f"resolution ({self.resolution:,}): a search to the nearest "
                             f"{self.resolution:,} patients tries no shorter list")
        self.confidence = confidence_level("confidence", confidence)
        self._cache: dict[int, Evaluation] = {}
        self._expected_runs = 0  # the runs the search will take, as far as it can tell
        self._model: tuple[int, CompiledScenario] | None = None  # see :meth:`_model_of`

    def _runs(self, list_size: int, start: int, stop: int, stream: SummaryStream,
              look_after: int | None = None) -> str | None:
        """Add runs ``start..stop-1`` at ``list_size`` to ``stream`` (same seeds at every
        list size: common random numbers). ``look_after``: once that many runs are in,
        look early (:meth:`_missed_early`), and stop there if a target is already missed,
        returning it. The runs after the look are asked for with the ones before it, so
        that on ``-j N`` one call shares them all: two calls of 5 runs each ended after 3
        runs at best on two processes. Runs are added in order either way, so the look
        and the figures are the same."""
        model = self._model_of(list_size)
        after = max(0, self._expected_runs - self._runs_done() - stop)
        with closing(iter_runs(model, range(start, stop), self.seed, self.calendar,
                               keep_days=False, jobs=self.jobs, runs_after=after)) as runs:
            for out in runs:
                stream.add_rows(out.replication, out.rows)
                if out.replication - start + 1 == look_after:
                    missed = self._missed_early(stream)
                    if missed is not None:
                        return missed  # the runs not yet added are dropped
        return None

    def _model_of(self, list_size: int) -> CompiledScenario:
        """The scenario at ``list_size``, compiled once for all the size's batches of runs
        (the last size's only: a search finishes one size before it tries another, and a
        model's first run lays out its tables, about a tenth of a 4-week run's time)."""
        if self._model is None or self._model[0] != list_size:
            population = self.scenario.population.model_copy(update={"list_size": list_size})
            scenario = self.scenario.model_copy(update={"population": population})
            self._model = (list_size, CompiledScenario(scenario))
        return self._model[1]

    def evaluate(self, list_size: int) -> Evaluation:
        found = self._cache.get(list_size)
        if found is not None:
            return found
        stream = SummaryStream()
        first = self._first_look()
        missed_early = self._runs(list_size, 0, self.replications, stream,
                                  look_after=first if first < self.replications else None)
        runs = first if missed_early is not None else self.replications
        while True:
            summary = stream.practice_intervals(self.confidence)
            evaluation = Evaluation(list_size, runs, missed_early=missed_early)
            final = runs >= self.max_replications
            for t in self.targets:
                mean, low, high = _interval(summary, t.metric)
                evaluation.rows.append({"target": str(t), "mean": mean, "ci_low": low,
                                        "ci_high": high,
                                        "status": t.status(mean, low, high, final),
                                        "margin": t.margin(mean)})
            evaluation.costs = {m: _interval(summary, m)[0] for m in COST_METRICS}
            if evaluation.violated or "unclear" not in evaluation.statuses or final:
                break  # settled: one confidently missed target already fails this size
            evaluation.beyond_runs = self._beyond_runs(stream, evaluation)
            if evaluation.beyond_runs:
                break  # not met at the search's confidence, and more runs would not say so
            more = min(self.replications, self.max_replications - runs)
            self._runs(list_size, runs, runs + more, stream)
            runs += more
        self._cache[list_size] = evaluation
        return evaluation

    def _first_look(self) -> int:
        """The runs after which the search first looks at a size: half its first runs,
        or all of them where half would be fewer than ``INTERIM_RUNS``."""
        half = self.replications // 2
        return half if half >= INTERIM_RUNS else self.replications

    def _missed_early(self, stream: SummaryStream) -> str | None:
        """The first target the runs so far miss with ``INTERIM_CONFIDENCE`` (or the
        search's own confidence, if stricter); never a trend target, which only all the
        runs may call missed. Its interval at the search's confidence lies inside that
        one, so the size is violated there too, and not met whatever more runs show."""
        summary = stream.practice_intervals(interim_confidence(self.confidence))
        for t in self.targets:  # (a metric the summary lacks is unclear, never missed)
            if t.metric not in STEADY_STATE and t.status(*_interval(summary, t.metric)) == \
                    "violated":
                return str(t)
        return None

    def _beyond_runs(self, stream: SummaryStream, evaluation: Evaluation) -> str | None:
        """The first target, unclear now, whose interval would still hold its value after
        the maximum number of runs if the mean and the spread between runs stayed as they
        are; None if more runs could settle every unclear target, or while a trend
        target's interval lies on its bad side (only all the runs may call it missed, and
        a size confidently missed is what makes the capacity an answer, not a lower bound).

        Such a size is not met at the search's confidence whatever the other targets do,
        and the runs up to the maximum would most likely only confirm it. A trend target
        is never the reason: a steady trend's interval straddles its value at any number
        of runs."""
        unclear = [t for t, row in zip(self.targets, evaluation.rows)
                   if row["status"] == "unclear" and t.metric not in STEADY_STATE]
        trend_looks_missed = any(row["status"] == "unclear" and t.metric in STEADY_STATE
                                 for t, row in zip(self.targets, evaluation.rows))
        if not unclear or trend_looks_missed:
            return None  # all runs may show the trend confidently missed: a settled answer
        projected = stream.practice_intervals(self.confidence, runs=self.max_replications)
        for t in unclear:
            if t.metric in projected and t.status(*_interval(projected, t.metric)) == \
                    "unclear":
                return str(t)
        return None

    def _expect(self, lo: int | None, hi: int | None, size: int) -> None:
        """Work out how many runs the search will take, as far as it can tell: the runs
        so far, and the initial runs of every list size still to try (the bracket closing
        at the next size, then bisection to the resolution)."""
        done = self._runs_done()
        span = (hi - lo) if lo is not None and hi is not None else size
        left = max(0, math.ceil(math.log2(max(1.0, span / self.resolution))))
        if lo is None or hi is None:
            left += 1
        self._expect_runs(done + left * self.replications)

    def _runs_done(self) -> int:
        """The runs of the list sizes the search has finished."""
        return sum(e.replications for e in self._cache.values())

    def _expect_runs(self, total: int) -> None:
        """The runs the search will take, as far as it can tell: for the progress bar,
        and for the runs' sharing (their batches are small, and the workers, once
        started, are kept for the next ones)."""
        self._expected_runs = total
        expect(total)

    def run(self) -> CapacityResult:
        start = self.scenario.population.list_size or 1000
        start = max(self.resolution, min(start, self.max_list_size))
        lo, hi = None, None
        self._expect(lo, hi, start)
        e = self.evaluate(start)
        if e.all_met:
            lo = start
            size = start
            while size < self.max_list_size:
                size = min(self.max_list_size, size * 2)
                self._expect(lo, hi, size)
                if self.evaluate(size).all_met:
                    lo = size
                else:
                    hi = size
                    break
        else:
            hi = start
            size = start
            while size > self.resolution:
                size = max(self.resolution, size // 2)
                self._expect(lo, hi, size)
                if self.evaluate(size).all_met:
                    lo = size
                    break
                hi = size
        if lo is not None and hi is not None:
            while hi - lo > self.resolution:
                mid = (lo + hi) // 2
                self._expect(lo, hi, mid)
                if self.evaluate(mid).all_met:
                    lo = mid
                else:
                    hi = mid
            self._bracket_above(lo)
        return self._result(lo or 0)

    def _bracket_above(self, capacity: int) -> None:
        """Where no size above the capacity is confidently missed (each stayed unclear),
        try one list twice the largest tried: a target confidently missed there brackets
        the capacity and names the one that binds, where the answer would otherwise be a
        lower bound only. One size, not a doubling to the search's limit: a target still
        unclear at twice the list leaves the lower bound, without runs of huge lists."""
        if any(e.violated for e in self._cache.values() if e.list_size > capacity):
            return
        largest = max(self._cache)
        size = min(self.max_list_size, 2 * largest)
        if size > largest:
            self._expect_runs(self._runs_done() + self.replications)
            self.evaluate(size)

    def _result(self, capacity: int) -> CapacityResult:
        tried = sorted(self._cache.values(), key=lambda e: e.list_size)
        upper = next((e.list_size for e in tried if e.list_size > capacity and e.violated),
                     None)
        binding = None
        above = [e for e in tried if e.list_size > capacity and not e.all_met]
        if above:
            # a target confidently missed at the next size binds; if none is, one of those
            # unclear there that is confidently missed further up, else the closest to it
            first = above[0]
            missed = [r for r in first.rows if r["status"] == "violated"]
            if not missed and upper is not None:
                later = {r["target"] for r in self._cache[upper].rows
                         if r["status"] == "violated"}
                missed = [r for r in first.rows
                          if r["status"] == "unclear" and r["target"] in later]
            worst = min(missed or [r for r in first.rows if r["status"] != "met"],
                        key=lambda r: r["margin"])
            binding = worst["target"]
        at = self._cache.get(capacity)
        return CapacityResult(self.scenario.name, self.targets, capacity, upper, binding,
                              gp_fte(self.scenario), tried, dict(at.costs) if at else {},
                              self.confidence)


def _checked_targets(targets: object) -> list[Target]:
    """``targets`` if it is a list of at least one :class:`Target`, else a ValueError or
    TypeError naming it: with none, every size is met and the search ran to its largest
    list; any other object failed on its first use, after the first runs."""
    if not isinstance(targets, (list, tuple)):
        raise TypeError(f"targets must be a list of Target, not {type(targets).__name__} "
                        "(find_capacity also takes texts such as 'abandonment_rate <= 0.15')")
    if not targets:
        raise ValueError("targets must hold at least one target: a search needs one to "
                         "judge list sizes by (None gives find_capacity the default "
                         f"targets), not {targets!r}")
    wrong = next((t for t in targets if not isinstance(t, Target)), None)
    if wrong is not None:
        raise TypeError(f"targets must hold targets, each a Target or a text such as "
                        f"'abandonment_rate <= 0.15', not {type(wrong).__name__} {wrong!r}")
    return list(targets)


#: A metric the runs did not define: no target calls it met or missed.
_UNDEFINED = (math.nan, math.nan, math.nan)


def _interval(summary: dict[str, tuple[float, float, float]], metric: str
              ) -> tuple[float, float, float]:
    """``metric``'s mean and interval in :meth:`SummaryStream.practice_intervals`
    (NaN where it has none)."""
    return summary.get(metric, _UNDEFINED)


def find_capacity(scenario: Scenario | str | Path,
                  targets: Sequence[Target | str] | Target | str | None = None,
                  **options) -> CapacityResult:
    """The largest list size ``scenario`` (a loaded scenario, a bundled name or a file)'s
    staffing serves within ``targets`` (written as on the command line, such as
    ``"abandonment_rate <= 0.15"``, one or a list; None: the default targets of
    ``models/defaults/targets.yaml``). ``options``: :class:`CapacitySearch`'s (``seed``,
    ``replications``, ``max_replications``, ``resolution``, ``confidence``,
    ``max_list_size``, ``weeks``, ``warmup_weeks``, ``jobs``): ``clinicsim capacity``'s
    options, and ``max_list_size``, the longest list tried (200,000 unless told, as on
    the command line); each is checked before any run. :func:`sim.capacity.describe`
    puts the result in words, as the command prints it, and
    :func:`sim.plots.capacity_search` in a picture."""
    from sim.scenario.loading import as_scenario
    from sim.targets import default_targets, parse_target

    scenario = as_scenario(scenario)
    if targets is None:
        chosen = default_targets()
    else:  # one target, as a text or not, is a list of one (not read letter by letter)
        given = [targets] if isinstance(targets, Target) else one_or_more(
            "targets", targets, "a Target or a text such as 'abandonment_rate <= 0.15'")
        chosen = [parse_target(t, "targets") if isinstance(t, str) else t for t in given]
    return CapacitySearch(scenario, chosen, **options).run()


def _unsettled(result: CapacityResult) -> str:
    """Where the search did not settle: which target stayed unclear, and after how many
    runs, at the first list size above the capacity where not every target was met (or,
    with no capacity, at the smallest size tried). '' where it settled, or ran out of
    range with every target met."""
    if result.settled:
        return ""
    unclear = result.unclear_above()
    return f"{unclear} (more runs, --max-replications, might settle it)" if unclear else ""


def _missed_at_smallest(result: CapacityResult) -> tuple[int, list[dict]]:
    """The smallest list size tried and the rows of the targets confidently missed there
    (none if nothing was tried)."""
    if not result.evaluations:
        return 0, []
    smallest = min(result.evaluations, key=lambda e: e.list_size)
    return smallest.list_size, [r for r in smallest.rows if r["status"] == "violated"]


def _only_trends_missed(result: CapacityResult) -> bool:
    """Whether the smallest list size tried misses trend targets only (a book still
    filling after a short warm-up misses them at any size)."""
    missed = [r["target"].split()[0] for r in _missed_at_smallest(result)[1]]
    return bool(missed) and all(m in STEADY_STATE for m in missed)


def _none_met(result: CapacityResult) -> str:
    """Why no list size meets the targets, in words: the targets the smallest list tried
    still misses, with their figures. A target missed with so few patients is held back by
    the practice's set-up (its hours, phone lines, day plans, staff), not by its list: a
    consultant should change the set-up, not look for a shorter list."""
    size, missed = _missed_at_smallest(result)
    if not missed:
        return "No list size meets every target: the staffing cannot reach them."
    figures = "; ".join(_against(result, r) for r in missed)
    first = missed[0]["target"].split(" ", 1)[0]
    return (f"No list size meets every target. Even the smallest list tried, "
            f"{size:,} patients, misses {figures}: a target missed with so few "
            "patients is held back by how the practice is set up (its opening and phone "
            "hours, day plans and staff), not by the length of its list: it is the set-up "
            f"to change, not the list (`clinicsim explain {first}` says what moves it).")


def _against(result: CapacityResult, row: dict) -> str:
    """A list size's figure for a target, against the target, in words."""
    found = result.target(row["target"])
    if found is None:
        return (f"{row['target']}: {row['mean']:.4g} [{row['ci_low']:.4g}, "
                f"{row['ci_high']:.4g}]")
    return found.against(row["mean"], row["ci_low"], row["ci_high"])


def describe(result: CapacityResult, notes: Sequence[str] = ()) -> str:
    """``result`` in words, as ``clinicsim capacity`` prints it: the targets, the capacity
    (or why there is none, or a lower bound and which target stayed unclear), the binding
    target, patients per full-time GP, the staff cost at capacity, and every list size
    tried; ``notes`` (a warm-up shorter than the scenario's) go with the search's own."""
    level = f"{100 * result.confidence:g} %"  # 95 %, 99.99 % (not rounded to 100 %)
    lines = [f"Capacity of {result.scenario}",
             f"Targets, each met when its whole {level} confidence interval is on the good "
             "side:"]
    lines += [f"  {t.words()} ({t})" for t in result.targets]
    trends = [t.label() for t in result.targets if t.metric in STEADY_STATE]
    if trends:
        which = (f"{trends[0]} is a trend target: it is" if len(trends) == 1
                 else f"{' and '.join(trends)} are trend targets: they are")
        lines.append(f"{which} met unless the whole {level} interval is on the bad side "
                     "after every run a list size may get (--max-replications): a steady "
                     "trend is zero give or take noise, so its interval straddles the target, "
                     "and the first runs alone lie above it by chance more often than all "
                     "of them do.")
    runs = min((e.replications for e in result.evaluations if e.missed_early is None),
               default=0)  # a size missed at the first look is confidently missed
    if runs and runs < MIN_RUNS_FOR_INTERVALS:
        lines.append(f"Note: with {runs} runs per list size the intervals are rough; use -r "
                     f"{MIN_RUNS_FOR_INTERVALS} or more before relying on the capacity.")
    lines += notes
    early = sorted(e.list_size for e in result.evaluations if e.missed_early)
    strict = f"{100 * interim_confidence(result.confidence):g} %"
    if early:
        lines.append(f"{len(early)} of the {len(result.evaluations)} list sizes tried "
                     f"({', '.join(f'{n:,}' for n in early)}) ended after half their first "
                     f"runs: a target was already missed with {strict} confidence.")
    lines.append("")
    unsettled = _unsettled(result)
    missed = (f"a target is confidently missed at {result.upper:,} patients"
              if result.upper else "")
    if result.capacity == 0:
        if unsettled:
            lines.append("No list size tried meets every target with confidence: "
                         f"{unsettled}; {missed or 'none is confidently missed'}.")
        else:
            lines.append(_none_met(result))
            if _only_trends_missed(result):
                lines.append("Only a trend target is missed at the smallest size tried: an "
                             "appointment book still filling after too short a warm-up "
                             "grows too, so check the warm-up (--warmup-weeks; "
                             "docs/validation.md) before reading this as the staffing's "
                             "limit.")
    elif unsettled:
        lines.append(f"Capacity: at least {result.capacity:,} listed patients (every target "
                     "met up to here); above it no target is confidently missed, but "
                     f"{unsettled}, so the capacity may be higher.")
        closest = result.in_words(result.binding) if result.binding else "no target"
        lines.append(f"Binding target: not settled ({closest} is the closest to being missed)")
    else:
        between = result.unclear_above()  # sizes between, at their targets' lines
        lines.append(f"Capacity: {result.capacity:,} listed patients (every target met up to "
                     f"here{'; ' + missed if missed else ''}"
                     f"{'; between the two, ' + between if between and missed else ''}).")
        lines.append("Binding target: " + (result.in_words(result.binding) if result.binding
                                           else "none within the searched range"))
    if result.capacity > 0:
        lines.append(f"Full-time GPs: {result.gp_fte:.2f}; patients per full-time GP: "
                     f"{result.patients_per_gp_fte:,.0f}")
        c = result.at_capacity
        if c:
            lines.append(f"Staff cost at capacity: {c['staff_cost_dkk']:,.0f} DKK a day, "
                         f"{c['cost_per_patient_year_dkk']:,.0f} DKK per listed patient a "
                         f"year, {c['cost_per_contact_dkk']:,.1f} DKK per handled contact")
    lines += ["", "List sizes tried:"]
    for e in sorted(result.evaluations, key=lambda e: e.list_size):
        marks = ", ".join(f"{r['target'].split()[0]} {r['mean']:.3g} ({r['status']})"
                          for r in e.rows)
        beyond = (f"; projected: more would not settle {e.beyond_runs}" if e.beyond_runs
                  else f"; {e.missed_early} missed at {strict}"
                  if e.missed_early else "")
        lines.append(f"  {e.list_size:>7,} ({e.replications} runs{beyond}): {marks}")
    return "\n".join(lines)
