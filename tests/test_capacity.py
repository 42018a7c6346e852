"""Service targets, the capacity search and the staffing frontier."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim.capacity import find_capacity, gp_fte
from sim.targets import Target, parse_target
from sim.cli import main
from sim.frontier import non_dominated
from sim.scenario import ScenarioError, load_scenario
from tests.conftest import raw, scenario_with

#: Short runs (one measured week after one of warm-up) keep the searches fast.
FAST = dict(replications=10, max_replications=20, resolution=400, weeks=1, warmup_weeks=1)


def test_targets_parse_and_judge_with_the_confidence_interval():
    t = parse_target("acute_same_day_rate >= 0.95")
    assert t == Target("acute_same_day_rate", ">=", 0.95)
    assert t.status(0.97, 0.96, 0.98) == "met"
    assert t.status(0.97, 0.94, 0.99) == "unclear"  # mean fine, CI not
    assert t.status(0.90, 0.88, 0.92) == "violated"
    w = parse_target("phone_wait_p90_min<=10")
    assert w.status(8, 7, 9) == "met" and w.status(9, 8, 11) == "unclear"
    assert w.status(12, 11, 13) == "violated"


def test_a_steady_trend_is_missed_only_on_all_its_runs():
    """A backlog trend whose interval lies above 0 in the first runs is not yet missed:
    it gets the rest of its runs, and only the last look may call it missed."""
    t = parse_target("backlog_trend_per_week <= 0")
    assert t.status(3.4, 0.05, 6.7, final=False) == "unclear"
    assert t.status(3.4, 0.05, 6.7, final=True) == "violated"
    assert t.status(0.3, -2.1, 2.7, final=False) == "met"
    assert t.status(0.3, -2.1, 2.7, final=True) == "met"
    other = parse_target("phone_wait_p90_min <= 10")  # an ordinary target may stop early
    assert other.status(12, 11, 13, final=False) == "violated"


def test_the_search_gives_a_trend_that_looks_high_in_its_first_runs_all_its_runs(monkeypatch):
    """The first 10 runs put the backlog's trend confidently above 0, all 40 do not (as
    at 5,156 patients of the frontier's mixes): the size is met, on 40 runs."""
    import sim.capacity as capacity
    runs_seen: list[int] = []

    def fake_runs(self, list_size, start, stop, stream, look_after=None):
        runs_seen.append(stop)

    def fake_overall(_stream, _confidence):
        early = runs_seen[-1] < 40
        low, high = (0.05, 6.7) if early else (-2.1, 2.7)
        return {"backlog_trend_per_week": ((low + high) / 2, low, high)}

    monkeypatch.setattr(capacity.CapacitySearch, "_runs", fake_runs)
    monkeypatch.setattr(capacity.SummaryStream, "practice_intervals", fake_overall)
    search = capacity.CapacitySearch(load_scenario("default"),
                                     [parse_target("backlog_trend_per_week <= 0")],
                                     replications=10, max_replications=40)
    e = search.evaluate(5156)
    assert e.replications == 40 and e.all_met and runs_seen == [10, 20, 30, 40]
    runs_seen.clear()
    monkeypatch.setattr(capacity.SummaryStream, "practice_intervals",
                        lambda self, confidence: {"backlog_trend_per_week": (1.5, 0.2, 2.8)})
    e = search.evaluate(6000)
    assert e.replications == 40 and e.violated


@pytest.mark.parametrize("text, fragment", [
    ("phone_wait_p90 <= 10", "did you mean phone_wait_p90_min"),
    ("acute_same_day_rate = 0.9", "METRIC >= VALUE"),
    ("acute_same_day_rate >= lots", "METRIC >= VALUE"),
    # nearly right: how to write it
    ("abandonment_rate = 0.1", r"a target is a bound: abandonment_rate <= VALUE or "),
    ("abandonment_rate <= 15%", r"a share is written as a fraction: abandonment_rate <= 0.15\)"),
    ("phone_wait_p90_min <= 10%", "phone_wait_p90_min is not a share"),
    ("acute_same_day_rate => 0,95", r"write acute_same_day_rate >= 0.95\)"),
    ("phone_wait_p90_min ≤ 10", r"write phone_wait_p90_min <= 10\)"),
])
def test_bad_targets_are_explained(text, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        parse_target(text)


def test_gp_fte_counts_gps_not_trainees():
    assert gp_fte(load_scenario("default")) == pytest.approx(3.0)
    data = raw("default")
    data["staff"]["trainee"] = dict(data["staff"]["gp"], role="trainee", count=2)
    from sim import scenario_from_dict
    assert gp_fte(scenario_from_dict(data)) == pytest.approx(3.0)


def test_gp_fte_counts_a_doctor_in_for_part_of_the_year_for_that_share():
    """A locum in every weekday of 13 weeks of the year (a quarter) adds a quarter of a
    full-time GP; a period that only changes which weekdays someone works counts those."""
    from sim import scenario_from_dict
    data = raw("default")
    data["staff"]["locum"] = dict(data["staff"]["gp"], count=1, days=[], periods=[
        {"weeks_of_year": list(range(27, 40)), "days": ["mon", "tue", "wed", "thu", "fri"]}])
    assert gp_fte(scenario_from_dict(data)) == pytest.approx(3.25)
    data = raw("default")
    data["staff"]["gp"]["periods"] = [{"weeks_of_year": list(range(1, 27)),
                                       "days": ["mon", "tue", "wed", "thu"]}]
    assert gp_fte(scenario_from_dict(data)) == pytest.approx(3.0 - 2 * 0.5 / 5)  # two GPs


def nurse_limited(nurses: int):
    """High delegation, same-day needs that do not fit the acute slots go to tomorrow."""
    return scenario_with(delegation__degree="high", acute__overflow="next_day",
                         staff__nurse__count=nurses)


def test_capacity_reports_a_list_size_its_uncertainty_and_the_binding_target():
    result = find_capacity(nurse_limited(3), [parse_target("acute_same_day_rate >= 0.9"),
                                              parse_target("phone_wait_p90_min <= 15")],
                           **FAST)
    assert result.capacity > 0
    assert result.upper is None or result.upper > result.capacity
    assert result.binding == "acute_same_day_rate >= 0.9"
    table = result.table()
    at = table[table.list_size == result.capacity]
    assert (at.status == "met").all()
    assert result.patients_per_gp_fte == pytest.approx(result.capacity / 3.0)
    assert result.at_capacity["cost_per_patient_year_dkk"] > 0


def test_adding_a_nurse_raises_a_nurse_limited_capacity():
    target = [parse_target("acute_same_day_rate >= 0.9")]
    three = find_capacity(nurse_limited(3), target, **FAST)
    four = find_capacity(nurse_limited(4), target, **FAST)
    assert three.binding == "acute_same_day_rate >= 0.9"
    assert four.capacity > three.capacity


def test_capacity_does_not_depend_on_the_processes(monkeypatch):
    """-j 2 shares each list size's runs with a worker: the search finds the same."""
    from sim.experiment import replications

    monkeypatch.setattr(replications, "POOL_START_S", 0.0)  # share even short rounds
    monkeypatch.setattr(replications, "FORKED_POOL_START_S", 0.0)
    target = [parse_target("acute_same_day_rate >= 0.9")]
    quick = dict(FAST, replications=4, max_replications=4, resolution=2000)
    one = find_capacity(nurse_limited(3), target, **quick)
    two = find_capacity(nurse_limited(3), target, jobs=2, **quick)
    assert len(one.table()) > 2  # a search, not a single list size
    assert one.table().equals(two.table())


def test_a_size_missed_early_on_two_processes_drops_its_later_runs(monkeypatch):
    """On -j 2 a size's first runs are asked for in one call and the early look is taken
    as they come in: a size missed there drops the runs after the look, wherever they
    were running, and the next search's runs (the workers kept) are the same as on -j 1."""
    from sim.capacity import CapacitySearch
    from sim.experiment import replications

    monkeypatch.setattr(replications, "POOL_START_S", 0.0)  # share even short rounds
    monkeypatch.setattr(replications, "FORKED_POOL_START_S", 0.0)
    monkeypatch.setattr(replications, "BATCH_S", 0.0)  # a batch per run
    scenario, metric = load_scenario("default"), "phone_wait_p90_min"

    def evaluations(jobs):
        found = []
        for bound in (1.0, 1e9):  # missed by the first 5 runs, then met on all 10
            search = CapacitySearch(scenario, [Target(metric, "<=", bound)], replications=10,
                                    jobs=jobs, **QUICK)
            found.append(search.evaluate(6000))
        return found

    one, two = evaluations(1), evaluations(2)
    assert [e.replications for e in two] == [5, 10] and two[0].missed_early
    assert [e.rows for e in two] == [e.rows for e in one]


def test_capacity_tells_its_runs_how_many_more_it_expects(monkeypatch):
    """Each list size's batches are small; the search says how many runs it still expects
    (its progress bar's estimate), so that -j 2 starts a worker for the whole search."""
    import sim.capacity as module

    calls = []
    iter_runs = module.iter_runs

    def logged(model, replications, *args, runs_after=0, **kwargs):
        calls.append((replications, runs_after))
        return iter_runs(model, replications, *args, runs_after=runs_after, **kwargs)

    monkeypatch.setattr(module, "iter_runs", logged)
    result = find_capacity(nurse_limited(3), [parse_target("acute_same_day_rate >= 0.9")],
                           **dict(FAST, max_replications=10))
    assert len(result.table()) > 2
    first_runs, first_after = calls[0]
    assert first_runs == range(0, 10) and first_after >= FAST["replications"]
    assert all(after >= 0 for _, after in calls)
    assert calls[-1][1] < first_after


#: One measured week, no warm-up: the runs of the tests that look at one list size.
QUICK = dict(weeks=1, warmup_weeks=0)


def _first_runs(metric: str) -> tuple[float, float]:
    """The mean of ``metric`` and its interval's upper limit over 4 such runs of the
    default practice at 2,000 patients (a target that always holds, to read them)."""
    from sim.capacity import CapacitySearch

    row = CapacitySearch(load_scenario("default"), [Target(metric, "<=", 1e9)],
                         replications=4, **QUICK).evaluate(2000).rows[0]
    return row["mean"], row["ci_high"]


def test_a_list_size_with_a_violated_target_gets_no_more_runs():
    """More runs cannot change the verdict that matters (the size is not met), so a target
    still unclear beside a violated one does not send the size to its maximum of runs."""
    from sim.capacity import CapacitySearch

    scenario, quick = load_scenario("default"), QUICK
    mean, high = _first_runs("abandonment_rate")
    # inside the interval of 4 runs, outside the one 8 runs with their spread would give
    unclear = Target("abandonment_rate", "<=", mean + 0.8 * (high - mean))
    alone = CapacitySearch(scenario, [unclear], replications=4, max_replications=8,
                           **quick).evaluate(2000)
    assert alone.replications == 8
    both = CapacitySearch(scenario, [unclear, parse_target("phone_wait_mean_min <= 0")],
                          replications=4, max_replications=8, **quick).evaluate(2000)
    assert both.statuses == ["unclear", "violated"] and both.replications == 4


def test_a_size_missed_by_half_its_first_runs_ends_there():
    """A target missed far beyond its interval by the first 5 of 10 runs ends the size
    after them (violated, as all 10 find it too); a target at the runs' mean is not
    missed early and gets its runs, the same runs (the same seeds) either way."""
    from sim.capacity import INTERIM_CONFIDENCE, CapacityResult, CapacitySearch, describe

    scenario, metric = load_scenario("default"), "phone_wait_p90_min"

    def search(target):
        return CapacitySearch(scenario, [target], replications=10, **QUICK)

    everything = search(Target(metric, "<=", 1e9))
    everything._first_look = lambda: 10  # no first look: all 10 runs at once
    whole = everything.evaluate(6000).rows[0]
    far = Target(metric, "<=", whole["mean"] / 2)
    early = search(far).evaluate(6000)
    assert early.replications == 5 and early.violated and early.missed_early == str(far)
    at_mean = search(Target(metric, "<=", whole["mean"])).evaluate(6000)
    assert at_mean.replications >= 10 and at_mean.missed_early is None
    assert at_mean.rows[0]["mean"] == whole["mean"]  # the first 10 runs, in two halves
    result = CapacityResult("P", [far], 0, 6000, str(far), 1.0, [early], {}, 0.95)
    assert result.table()["missed_early"].tolist() == [True]
    text = describe(result)
    assert f"missed at {100 * INTERIM_CONFIDENCE:.1f} %" in text
    assert "ended after half their first runs" in text and "rough" not in text
    strict = describe(CapacityResult("P", [far], 0, 6000, str(far), 1.0, [early], {}, 0.9999))
    assert "whole 99.99 % confidence interval" in strict  # not rounded to 100 %
    assert "missed at 99.99 %" in strict  # the first look is never looser than the search


def test_a_size_gets_more_runs_only_where_they_could_settle_an_unclear_target():
    """An unclear target whose interval, at its runs' mean and spread, would shrink clear
    of its value by the maximum of runs gets them; one whose value sits at its mean would
    still be unclear after them, so the size stops: it is not met either way."""
    from sim.capacity import CapacityResult, CapacitySearch

    scenario, quick = load_scenario("default"), QUICK
    mean, high = _first_runs("phone_wait_p90_min")
    at_mean = Target("phone_wait_p90_min", "<=", mean)
    stopped = CapacitySearch(scenario, [at_mean], replications=4, max_replications=16,
                             **quick).evaluate(2000)
    assert stopped.statuses == ["unclear"] and stopped.replications == 4
    assert stopped.beyond_runs == str(at_mean)
    table = CapacityResult("P", [at_mean], 0, None, None, 1.0, [stopped], {}, 0.95).table()
    assert table["stopped_runs"].tolist() == [True]
    # inside the interval of 4 runs, outside what 16 runs with that spread would give
    near_edge = Target("phone_wait_p90_min", "<=", mean + 0.8 * (high - mean))
    more = CapacitySearch(scenario, [near_edge], replications=4, max_replications=16,
                          **quick).evaluate(2000)
    assert more.replications > 4


@pytest.mark.parametrize("missed_from, settled", [(12_000, True), (30_000, False)])
def test_with_no_confident_miss_above_the_search_tries_twice_the_list(monkeypatch,
                                                                      missed_from, settled):
    """Every size above 5,000 stays unclear up to 12,000: the search tries one list twice
    the largest it tried (6,000, the default's) and, if a target is confidently missed
    there, gives a capacity with that bound instead of a lower bound; no further sizes."""
    from sim.capacity import CapacitySearch, Evaluation

    text = "overtime_min <= 60"

    def evaluate(self, size):
        status = ("met" if size <= 5000 else "violated" if size >= missed_from
                  else "unclear")
        return self._cache.setdefault(size, Evaluation(size, 10, [
            {"target": text, "status": status, "margin": 0.0}]))

    monkeypatch.setattr(CapacitySearch, "evaluate", evaluate)
    search = CapacitySearch(load_scenario("default"), [parse_target(text)])
    result = search.run()
    assert 4900 <= result.capacity <= 5000
    assert max(e.list_size for e in result.evaluations) == 12_000
    assert result.settled is settled
    assert result.upper == (12_000 if settled else None)


def test_a_trend_that_looks_missed_keeps_a_size_running(monkeypatch):
    """Overtime at its line would stay unclear however many runs: alone it stops the
    size after its first runs. Beside a backlog trend whose first runs lie above 0, the
    size gets all its runs, so that the trend can be called missed on the last look and
    the capacity below it is an answer, not a lower bound."""
    import sim.capacity as capacity
    runs_seen: list[int] = []
    rows = {"overtime_min": (60.0, 55.0, 65.0), "backlog_trend_per_week": (3.0, 0.5, 5.5)}
    monkeypatch.setattr(capacity.CapacitySearch, "_runs",
                        lambda self, size, start, stop, stream, look_after=None:
                        runs_seen.append(stop))
    monkeypatch.setattr(capacity.SummaryStream, "practice_intervals",
                        lambda self, confidence, runs=None: rows)
    overtime = parse_target("overtime_min <= 60")
    trend = parse_target("backlog_trend_per_week <= 0")
    alone = capacity.CapacitySearch(load_scenario("default"), [overtime]).evaluate(5000)
    assert alone.replications == 10 and alone.beyond_runs == str(overtime)
    both = capacity.CapacitySearch(load_scenario("default"), [overtime, trend]).evaluate(5000)
    assert both.replications == 40 and both.violated and both.beyond_runs is None


def test_a_projected_interval_narrows_as_the_root_of_the_runs():
    """SummaryStream.table(runs=k): the same means, the spread between runs kept, the
    interval k runs would give (Student's t with k - 1 degrees of freedom; a real-valued
    metric, whose interval is not on a log or logit scale)."""
    from scipy.stats import t as student

    from sim.metrics import SummaryStream

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"replication": range(10), "metric": "backlog_trend_per_week",
                          "role": None, "activity": None, "weekday": None,
                          "value": rng.normal(-1, 3, 10), "weight": 1.0})
    stream = SummaryStream()
    stream.add(frame)
    now = stream.table().iloc[0]
    same = stream.table(runs=10).iloc[0]
    assert same["ci_low"] == pytest.approx(now["ci_low"])
    later = stream.table(runs=40).iloc[0]
    assert later["mean"] == now["mean"] and later["replications"] == 40
    ratio = (later["ci_high"] - later["ci_low"]) / (now["ci_high"] - now["ci_low"])
    expected = student.ppf(0.975, 39) / student.ppf(0.975, 9) * math.sqrt(10 / 40)
    assert ratio == pytest.approx(expected)


def test_the_whole_practice_table_is_overalls_rows_of_the_full_table():
    """What a capacity search reads after each batch of runs (the rows for the practice as
    a whole, worked out alone) is overall() of the full table, row for row, projected or
    not; and its intervals by metric hold the same numbers, bit for bit."""
    from sim.engine import CompiledScenario
    from sim.experiment.replications import run_calendar, run_one
    from sim.metrics import SummaryStream, overall

    scenario = load_scenario("default")
    model, calendar = CompiledScenario(scenario), run_calendar(scenario, 1, 0)
    stream = SummaryStream()
    for r in range(3):
        stream.add_rows(r, run_one(model, 1, r, calendar, keep_days=False).rows)
    for runs in (None, 40):
        full = overall(stream.table(0.9, runs=runs)).reset_index(drop=True)
        alone = stream.table(0.9, runs=runs, whole_practice=True)
        assert len(alone) > 20 and alone["role"].isna().all()
        pd.testing.assert_frame_equal(alone, full)
        by_metric = stream.practice_intervals(0.9, runs=runs)
        assert by_metric == {r.metric: (r.mean, r.ci_low, r.ci_high)
                             for r in full.itertuples()}


def test_unreachable_targets_give_zero_capacity():
    result = find_capacity(load_scenario("default"), [parse_target("phone_wait_mean_min <= 0")],
                           **FAST)
    assert result.capacity == 0


def test_non_dominated_marks_the_frontier():
    table = pd.DataFrame({"capacity": [8000, 9000, 7000, 9000, 10000],
                          "cost": [500, 520, 550, 600, math.nan]})
    front = non_dominated(table, ["capacity"], ["cost"])
    assert front.tolist() == [True, True, False, False, False]


def test_mixes_that_serve_no_list_are_named_under_the_plot():
    from sim.frontier import unserved_note

    table = pd.DataFrame({"name": list("abcd"), "staff.gp.count": [0, 0, 1, 1],
                          "staff.nurse.count": [2, 3, 2, 3], "capacity": [0, 0, 4000, 5000],
                          "binding_target": ["tnaa_days <= 10"] * 2 + [None, None]})
    note = unserved_note(table)
    assert note == ("Not drawn: 2 of 4 mixes serve no list within the targets (every one "
                    "has staff.gp.count = 0); first target missed: Third next available "
                    "appointment (TNAA) at most 10 working days, by 2 mixes.")
    assert unserved_note(table[table["capacity"] > 0]) == ""


def test_capacity_command(capsys):
    code = main(["capacity", "default", "-t", "phone_wait_p90_min<=10", "-r", "5",
                 "--max-replications", "10", "--resolution", "1000", "--weeks", "1",
                 "--warmup-weeks", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Capacity:" in out and "Binding target:" in out and "per full-time GP" in out
    assert "with 5 runs per list size the intervals are rough" in out
    assert "trend target" not in out  # none was asked for
    assert "fewer than the 4 the scenario sets" in out


def test_capacity_command_draws_the_search_on_request(tmp_path, capsys):
    """--plot writes the picture (beside --json's output, which stays JSON); a picture
    of a kind it does not write, or in a missing folder, is refused before any run."""
    picture = tmp_path / "capacity.png"
    code = main(["capacity", "default", "-t", "phone_wait_p90_min<=10", "-r", "5",
                 "--max-replications", "5", "--resolution", "3000", "--weeks", "1",
                 "--warmup-weeks", "1", "--json", "--plot", str(picture)])
    captured = capsys.readouterr()
    found = json.loads(captured.out)
    assert code == 0 and found["capacity"] > 0
    # the JSON says what the runs were, and the warm-up shorter than the scenario's, as
    # the text does (a trend read after 1 week of warm-up may be the book filling)
    assert found["weeks"] == 1 and found["warmup_weeks"] == 1
    assert len(found["notes"]) == 1 and found["notes"][0].startswith(
        "Note: 1 week of warm-up, fewer than the 4 the scenario sets")
    assert captured.err.strip() == f"Picture written to {picture}"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for bad, fragment in (("capacity.webp", "a picture file ending .png, .pdf or .svg"),
                          ("missing/capacity.png", "does not exist")):
        assert main(["capacity", "default", "--plot", str(tmp_path / bad)]) == 2
        assert fragment in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["capacity.png"]


def test_the_search_drawn_shows_each_target_its_line_and_the_capacity():
    """One panel per target: its mean and CI at each size tried, coloured by status, the
    target's value as a dashed line (in the figure's scale: a share in %), and the
    capacity as a vertical line, dotted where it is a lower bound only."""
    from sim.capacity import CapacityResult
    from sim.plots import capacity_search

    targets = [parse_target("abandonment_rate <= 0.15"), parse_target("overtime_min <= 60")]
    tried = [_evaluation(3000, 10, {str(targets[0]): "met", str(targets[1]): "met"}),
             _evaluation(4000, 20, {str(targets[0]): "met", str(targets[1]): "violated"})]

    def drawn(settled_above: bool):
        if not settled_above:
            tried[1].rows[1]["status"] = "unclear"
        result = CapacityResult("Test practice", targets, 3000, 4000 if settled_above else None,
                                str(targets[1]), 1.0, tried, {}, 0.95)
        return result, capacity_search(result)

    result, fig = drawn(True)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 2 and "3,000 listed patients" in fig._suptitle.get_text()
    assert "bound by: Overtime" in fig._suptitle.get_text()
    for ax, scale in zip(panels, (100.0, 1.0)):
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert [ln.get_ydata()[0] for ln in dashed] == [pytest.approx(
            (0.15 if scale == 100 else 60) * scale)]
        vertical = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [3000, 3000]
                    and ln.get_linestyle() in ("-", ":")]
        assert vertical and vertical[-1].get_linestyle() == "-"
    colours = {ln.get_color() for ln in panels[1].get_lines() if ln.get_marker() == "o"}
    assert {"#1a9641", "#d7191c"} <= colours  # met, then missed
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0] == "met (whole 95 % CI on the good side)"
    result, fig = drawn(False)
    assert not result.settled and "at least 3,000" in fig._suptitle.get_text()
    ax = [a for a in fig.axes if a.get_visible()][0]
    assert [ln.get_linestyle() for ln in ax.get_lines()
            if list(ln.get_xdata()) == [3000, 3000]][-1] == ":"
    # a trend's target is met unless confidently missed, and the legend says so
    trend = parse_target("backlog_trend_per_week <= 0")
    fig = capacity_search(CapacityResult("Test practice", [trend], 3000, 4000, str(trend),
                                         1.0, [_evaluation(3000, 10, {str(trend): "met"})],
                                         {}, 0.9))
    assert [t.get_text() for t in fig.legends[0].get_texts()][0] == (
        "met (whole 90 % CI on the good side; a trend's: not wholly on the bad side)")


def _evaluation(size: int, runs: int, statuses: dict[str, str]):
    from sim.capacity import Evaluation

    return Evaluation(size, runs, [{"target": t, "mean": 0.5, "ci_low": 0.4, "ci_high": 0.6,
                                    "status": s, "margin": 0.0} for t, s in statuses.items()])


def test_a_search_that_did_not_settle_says_so_instead_of_naming_a_capacity():
    """With few runs a target can stay unclear at every size above the capacity: the
    capacity is then a lower bound, and 'no list size meets every target' would claim
    more than the runs show."""
    from sim.capacity import CapacityResult, describe

    targets = [parse_target("acute_same_day_in_hours_rate >= 0.95"),
               parse_target("overtime_min <= 60")]
    a, o = (str(t) for t in targets)
    a_words = f"Same-day needs seen today before closing at least 95 % ({a})"
    met = _evaluation(400, 3, {a: "met", o: "met"})
    unclear = _evaluation(800, 5, {a: "unclear", o: "met"})
    lower = describe(CapacityResult("P", targets, 400, None, a, 1.0, [met, unclear], {}, 0.95))
    assert "Capacity: at least 400 listed patients" in lower
    assert f"at 800 patients the target {a_words} stays unclear after 5 runs" in lower
    assert "Binding target: not settled" in lower
    assert "patients per full-time GP: 400" in lower  # a lower bound still gets its figures
    none = describe(CapacityResult("P", targets, 0, None, a, 1.0,
                                   [_evaluation(800, 5, {a: "unclear", o: "met"})], {}, 0.95))
    assert "No list size tried meets every target with confidence" in none
    assert "none is confidently missed" in none and "cannot reach" not in none
    missed = describe(CapacityResult("P", targets, 0, 1600, a, 1.0,
                                     [_evaluation(800, 5, {a: "unclear", o: "met"}),
                                      _evaluation(1600, 3, {a: "met", o: "violated"})], {},
                                     0.95))
    assert f"at 800 patients the target {a_words} stays unclear" in missed
    assert "a target is confidently missed at 1,600 patients" in missed
    assert "none is confidently missed" not in missed
    # unclear at 800, confidently missed from 1,600: bracketed, the unclear size named
    between = CapacityResult("P", targets, 400, 1600, a, 1.0,
                             [met, unclear, _evaluation(1600, 3, {a: "met", o: "violated"})],
                             {}, 0.95)
    assert between.settled
    text = describe(between)
    assert ("Capacity: 400 listed patients (every target met up to here; a target is "
            "confidently missed at 1,600 patients; between the two, at 800 patients "
            f"the target {a_words} stays unclear after 5 runs)") in text
    unclear.beyond_runs = a  # stopped: the maximum of runs would not have settled it
    text = describe(between)
    assert (f"at 800 patients the target {a_words} stays unclear after 5 runs, and, "
            "projected from its mean and spread so far, would likely stay so after the most "
            "runs a list size may get (not run)") in text
    assert f"800 (5 runs; projected: more would not settle {a})" in text
    settled = CapacityResult("P", targets, 400, 800, o, 1.0,
                             [met, _evaluation(800, 3, {a: "unclear", o: "violated"})],
                             {}, 0.95)
    assert settled.settled
    text = describe(settled)
    assert "Capacity: 400 listed patients" in text and "confidently missed at 800" in text
    # the binding target in the summary's words, with its own text for --target
    assert f"Binding target: Overtime, all staff (overarbejde) at most 60 min/day ({o})" in text


def test_the_binding_target_is_one_confidently_missed_not_an_unclear_one_near_its_line():
    """Above the capacity a size with only unclear targets: the binding one is the target
    confidently missed further up, not whichever mean is nearest its line."""
    from sim.capacity import CapacitySearch, Evaluation

    a, o = "acute_same_day_in_hours_rate >= 0.95", "overtime_min <= 60"

    def at(size, acute, overtime, margins):
        return Evaluation(size, 40, [{"target": a, "status": acute, "margin": margins[0]},
                                     {"target": o, "status": overtime, "margin": margins[1]}])

    search = CapacitySearch(load_scenario("default"), [parse_target(a), parse_target(o)])
    search._cache = {4200: at(4200, "met", "met", (0.05, 0.5)),
                     4900: at(4900, "unclear", "unclear", (0.047, 0.19)),
                     11201: at(11201, "unclear", "violated", (0.004, -2.3))}
    result = search._result(4200)
    assert result.binding == o and result.upper == 11201 and result.settled
    # a target met at the next size does not bind there, whatever happens further up
    search._cache[4900] = at(4900, "unclear", "met", (0.047, 0.19))
    assert search._result(4200).binding == a
    search._cache[4900] = at(4900, "violated", "unclear", (-0.01, 0.19))
    assert search._result(4200).binding == a  # missed at the next size: that one binds


def test_no_capacity_for_a_trend_alone_points_at_the_warm_up():
    """A book still filling after one week of warm-up grows at every size: the answer
    'the staffing cannot reach them' then says to check the warm-up first."""
    from sim.capacity import CapacityResult, describe

    targets = [parse_target("backlog_trend_per_week <= 0"), parse_target("overtime_min <= 60")]
    b, o = (str(t) for t in targets)
    trend_only = CapacityResult("P", targets, 0, 800, b, 1.0,
                                [_evaluation(800, 40, {b: "violated", o: "met"})], {}, 0.95)
    assert "check the warm-up" in describe(trend_only)
    both = CapacityResult("P", targets, 0, 800, o, 1.0,
                          [_evaluation(800, 10, {b: "violated", o: "violated"})], {}, 0.95)
    assert "check the warm-up" not in describe(both)


def test_capacity_states_the_rule_its_trend_targets_are_judged_by():
    from sim.capacity import CapacityResult, describe

    targets = [parse_target("abandonment_rate <= 0.15"),
               parse_target("backlog_trend_per_week <= 0")]
    text = describe(CapacityResult("P", targets, 0, None, None, 1.0, [], {}, 0.95))
    assert ("Backlog trend is a trend target: it is met unless the whole 95 % interval is "
            "on the bad side") in text


def test_frontier_command_writes_table_and_plot(tmp_path, capsys):
    exp = tmp_path / "mixes.yaml"
    exp.write_text("""\
name: tiny frontier
base: default
replications: 5
design:
  kind: list
  points:
    - {name: base, set: {}}
    - {name: extra-nurse, set: {staff.nurse.count: 4}}
targets: [phone_wait_p90_min <= 10]
""")
    code = main(["frontier", str(exp), "-o", str(tmp_path / "out"), "-r", "5",
                 "--max-replications", "10", "--resolution", "2000", "--weeks", "1",
                 "--warmup-weeks", "1"])
    assert code == 0
    table = pd.read_csv(tmp_path / "out" / "frontier.csv")
    assert list(table.name) == ["base", "extra-nurse"]
    assert table.on_frontier.any()
    assert table.settled.dtype == bool
    assert (tmp_path / "out" / "frontier.png").stat().st_size > 10_000


def test_frontier_warns_of_its_base_scenario_once(tmp_path, capsys):
    """frontier searched its mixes without the warnings capacity prints: its base
    scenario's are said once, before any search, for the weeks it runs (the experiment
    file's, or the command line's)."""
    base = tmp_path / "practice.yaml"
    base.write_text("extends: default\nstaff: {gp: {absent: [{week: 40}]}}\n")
    exp = tmp_path / "mixes.yaml"
    exp.write_text("name: tiny\nbase: practice.yaml\nreplications: 5\nweeks: 2\n"
                   "warmup_weeks: 1\ndesign:\n  kind: list\n  points:\n"
                   "    - {name: base, set: {}}\n"
                   "    - {name: extra-nurse, set: {staff.nurse.count: 4}}\n")
    taken = tmp_path / "taken"
    taken.write_text("")  # a file where --out's directory goes: refused before any search
    assert main(["frontier", str(exp), "-o", str(taken)]) == 2
    err = capsys.readouterr().err
    assert err.count("warning:") == 1, err
    assert (f"warning: {base}: staff.gp.absent[0]: found week 40, after the run's last "
            "(week 3)") in err, err
    assert main(["frontier", str(exp), "-o", str(taken), "--weeks", "39"]) == 2
    assert "warning:" not in capsys.readouterr().err  # 1 + 39 weeks reach week 40


def test_search_runs_come_from_the_experiment_file_and_never_exceed_the_maximum(
        tmp_path, capsys):
    """The frontier starts each list size with the experiment file's runs (-r overrides);
    a maximum below the start is an error naming where the start came from, not a silent
    change of either."""
    exp = tmp_path / "mixes.yaml"
    exp.write_text("name: tiny\nbase: default\nreplications: 12\ndesign:\n  kind: list\n"
                   "  points:\n    - {name: base, set: {}}\n")
    code = main(["frontier", str(exp), "-o", str(tmp_path / "out"), "--max-replications", "8"])
    err = capsys.readouterr().err
    assert code == 2 and "--max-replications" in err and "(12, from the experiment file)" in err
    assert not (tmp_path / "out").exists()
    # a file that starts with more runs than the default maximum raises the maximum
    import argparse
    from sim.cli import _search_runs
    args = argparse.Namespace(replications=None, max_replications=None)
    assert _search_runs(args, 60) == 60 and args.max_replications == 60
    args = argparse.Namespace(replications=None, max_replications=None)
    assert _search_runs(args, 10) == 10 and args.max_replications == 40
    code = main(["capacity", "default", "-r", "10", "--max-replications", "8"])
    err = capsys.readouterr().err
    assert code == 2 and "(10, from --replications)" in err and "found 8" in err


def _drawn_points(ax, table: pd.DataFrame):
    """Where the mixes that serve a list are drawn, in display pixels."""
    ok = table[table.capacity > 0]
    return ax.transData.transform(ok[["cost_per_patient_year_dkk", "capacity"]].to_numpy())


def test_frontier_labels_cover_no_point_and_no_other_label():
    """Each frontier mix is named in the empty corner above and left of its point; labels
    of neighbouring mixes are moved apart, and the axes make room for the longest and the
    highest (the committed frontier's best mix is its largest: its label ran into the
    title)."""
    from sim.frontier import plot_frontier

    # a stored frontier of 72 mixes with six on the frontier, several of them close together
    six = pd.read_csv("tests/data/frontier_six_mixes.csv")
    committed = pd.read_csv("experiments/results/frontier_medium/frontier.csv")
    for table in (six, committed):
        fig = plot_frontier(table, "frontier")
        fig.canvas.draw()
        ax, renderer = fig.axes[0], fig.canvas.get_renderer()
        boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts]
        assert len(boxes) == int(table.on_frontier.sum()) > 1
        points = _drawn_points(ax, table)
        inside = ax.get_window_extent(renderer)
        for i, box in enumerate(boxes):
            assert box.x0 >= inside.x0 - 1  # within the axes: not into the tick labels
            assert box.y1 <= inside.y1 + 1  # nor into the title
            assert not any(box.contains(x, y) for x, y in points)
            assert not any(box.overlaps(other) for other in boxes[i + 1:])


def test_frontier_legend_covers_no_point_label_or_note():
    """The legend sits under the axis label: placed "best" inside the axes it still hid a
    mix of the committed frontier. Nor may it run into the axis label or the note under
    it, with the third entry (mixes whose search did not settle) as well."""
    from matplotlib.text import Text

    from sim.frontier import plot_frontier

    committed = pd.read_csv("experiments/results/frontier_medium/frontier.csv")
    unsettled = committed.copy()
    unsettled.loc[unsettled.index[-1], "settled"] = False
    for table in (committed, unsettled):
        fig = plot_frontier(table, "frontier")
        fig.canvas.draw()
        ax, renderer = fig.axes[0], fig.canvas.get_renderer()
        legend = ax.get_legend()
        box = legend.get_window_extent(renderer)
        assert len(legend.get_texts()) == (3 if (~table.settled.astype(bool)).any() else 2)
        points = _drawn_points(ax, table)
        assert not any(box.contains(x, y) for x, y in points)
        assert box.y1 < ax.xaxis.label.get_window_extent(renderer).y0
        assert not box.overlaps(ax.get_window_extent(renderer))
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width  # within the figure
        notes = [t for t in fig.findobj(Text) if t.get_text().startswith("Not drawn")]
        assert len(notes) == 1  # the note of mixes that serve no list
        note = notes[0].get_window_extent(renderer)
        assert not box.overlaps(note) and note.y0 >= 0  # under the legend, in the figure


def test_workers_get_the_model_as_bytes_pickled_before_this_process_simulates(monkeypatch):
    """The pool pickles a task in a thread of its own while this process simulates with
    the same model, whose caches fill as it runs; a live model there failed with
    "dictionary changed size during iteration". Tasks carry the model pickled once, in
    the caller's thread, and give the same runs."""
    from concurrent.futures import Future

    import sim.experiment.replications as R
    from sim.engine import CompiledScenario

    submitted = []

    class Inline:
        def submit(self, fn, *args):
            submitted.append(args)
            future = Future()
            future.set_result(fn(*args))
            return future

    monkeypatch.setattr(R, "_pool", lambda workers: Inline())
    monkeypatch.setattr(R, "_LAST_RUN_S", [R.BATCH_S / 2])  # batches of two runs
    monkeypatch.setattr(R, "_UNPACKED", {})
    scenario = load_scenario("default")
    model, calendar = CompiledScenario(scenario), R.run_calendar(scenario, 1, 0)
    shared = list(R._run_shared(model, 3, range(6), calendar, False, False, 2))
    assert submitted and all(isinstance(args[0], R._Shipped) for args in submitted)
    assert not any(isinstance(a, CompiledScenario) for args in submitted for a in args)
    alone = [R.run_one(model, 3, r, calendar, False, False) for r in range(6)]
    assert [o.rows for o in shared] == [o.rows for o in alone]


def test_a_model_ships_with_the_standard_pickler_or_else_loky_s():
    """A model of plain data, its caches filled by a run, ships as the standard pickler
    writes it (no joblib to import); one holding a function made at run time goes
    through loky's pickler, as the pool would send it, and unpickles whole."""
    import pickle
    import types

    import sim.experiment.replications as R
    from sim.engine import CompiledScenario

    scenario = load_scenario("default")
    model = CompiledScenario(scenario)
    R.run_one(model, 1, 0, R.run_calendar(scenario, 1, 0))  # fills the model's caches
    assert R._Shipped(model).data == pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    made_now = types.SimpleNamespace(answer=lambda: 42)
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(made_now)
    assert pickle.loads(R._Shipped(made_now).data).answer() == 42  # type: ignore[arg-type]


def test_no_capacity_names_what_the_smallest_list_still_misses():
    """A target missed even by the smallest list tried (case 11's same-day needs seen in
    hours: home visits asked for on a day without a visiting block are made after closing)
    is the practice's set-up, not its list: the answer names the target with its figures,
    rather than only 'the staffing cannot reach them'."""
    from sim.capacity import CapacityResult, describe

    targets = [parse_target("acute_same_day_in_hours_rate >= 0.95"),
               parse_target("overtime_min <= 60")]
    a, o = (str(t) for t in targets)
    smallest = _evaluation(100, 20, {a: "violated", o: "met"})
    smallest.rows[0].update(mean=0.9303, ci_low=0.9052, ci_high=0.9497)
    text = describe(CapacityResult("P", targets, 0, 100, a, 1.0,
                                   [smallest, _evaluation(200, 10, {a: "violated",
                                                                    o: "met"})], {}, 0.95))
    words = " ".join(text.split())
    assert ("Even the smallest list tried, 100 patients, misses Same-day needs seen today "
            "before closing 93.03 % [90.52, 94.97] against at least 95 % "
            "(acute_same_day_in_hours_rate >= 0.95)") in words
    assert "the set-up to change, not the list" in words
    assert "clinicsim explain acute_same_day_in_hours_rate" in words


def test_a_target_reads_in_its_figures_name_and_unit():
    """The capacity summary says each target as the run summary names its figure, the
    share scaled to per cent, with the target's own text beside it."""
    from sim.targets import parse_target

    assert parse_target("abandonment_rate <= 0.15").words() == \
        "Calls abandoned (share) at most 15 %"
    assert parse_target("acute_same_day_in_hours_rate >= 0.95").words() == \
        "Same-day needs seen today before closing at least 95 %"
    assert parse_target("tnaa_days <= 10").words() == \
        "Third next available appointment (TNAA) at most 10 working days"


def test_capacity_help_counts_the_default_targets(capsys):
    from sim.targets import default_targets

    with pytest.raises(SystemExit):
        main(["capacity", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert f"the {len(default_targets())} targets in models/defaults/targets.yaml" in out


@pytest.mark.parametrize("options, error, fragment", [
    (dict(replications=0), ValueError, "^replications must be a whole number of at least 1"),
    (dict(replications=-1), ValueError, "^replications must be a whole number"),
    (dict(replications="2"), ValueError, r"^replications must be .*, not '2'"),
    (dict(replications=1.5), ValueError, r"^replications must be .*, not 1.5"),
    (dict(replications=10, max_replications=8), ValueError,
     r"^max_replications must be a whole number of at least 10 \(replications"),
    (dict(confidence=95), ValueError, r"^confidence must be a number between 0 and 1 "
                                      r"\(exclusive\), such as 0.95, not 95"),
    (dict(confidence=0), ValueError, "^confidence must be a number between 0 and 1"),
    (dict(confidence=float("nan")), ValueError, "^confidence must be"),
    (dict(max_list_size=10), ValueError,
     r"^max_list_size \(10\) must be at least resolution \(100\): a search to the nearest"),
    (dict(resolution=500, max_list_size=400), ValueError, r"^max_list_size \(400\) must"),
    (dict(max_list_size=-1), ValueError,
     "^max_list_size must be a whole number from 1 to 1,000,000 .*, not -1"),
    (dict(max_list_size=10**7), ValueError, "^max_list_size must be"),
    (dict(resolution=-5), ValueError, "^resolution must be a whole number from 1"),
    (dict(resolution=0), ValueError, "^resolution must be"),
    (dict(jobs=0), ValueError, "^jobs must be a whole number of at least 1"),
    (dict(seed=-1), ValueError, "^seed must be a whole number from 0"),
    (dict(weeks=0), ValueError, "^weeks must be a whole number"),
    (dict(targets=[]), ValueError, "^targets must hold at least one target: a search needs"),
    (dict(targets=[("abandonment_rate", "<=", 0.15)]), TypeError,
     r"^targets must hold targets, each a Target or a text .*, not tuple"),
])
def test_find_capacity_refuses_options_it_cannot_search_with_before_any_run(
        monkeypatch, options, error, fragment):
    """No runs per list size made the search loop for ever, a confidence of 95 or a
    limit below the resolution gave a wrong answer without a word, and no target searched
    to the limit: each is an error naming the option before any run."""
    import sim.capacity as capacity

    def no_runs(*_args, **_kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr(capacity.CapacitySearch, "_runs", no_runs)
    targets = options.pop("targets", ["abandonment_rate <= 0.15"])
    with pytest.raises(error, match=fragment):
        find_capacity("case08", targets, **{"weeks": 1, "warmup_weeks": 0, **options})


def test_one_target_is_a_list_of_one(monkeypatch):
    """A single text was read letter by letter ("found 'a'"): one target, as a text or a
    Target, searches as a list of one does."""
    import sim.capacity as capacity

    seen = []
    monkeypatch.setattr(capacity.CapacitySearch, "run", lambda self: seen.append(self.targets))
    text = "abandonment_rate <= 0.15"
    for one in (text, [text], parse_target(text), (text,)):
        find_capacity("default", one)
    assert seen == [[parse_target(text)]] * 4
    with pytest.raises(TypeError, match=r"^targets must be a Target or a text .*, or a list "
                                        r"of them, not int"):
        find_capacity("default", 42)


def test_a_search_reads_in_a_line():
    """A notebook cell ending with a search showed every list size tried: its line says
    the capacity, where a target is missed, the binding target and how many sizes were
    tried (the table has the rest)."""
    from sim.capacity import CapacityResult

    target = parse_target("abandonment_rate <= 0.15")
    text = str(target)
    sizes = [_evaluation(n, 10, {text: status})
             for n, status in ((3000, "met"), (3100, "met"), (3200, "violated"))]
    settled = CapacityResult("Case 08", [target], 3100, 3200, text, 3.0, sizes, {}, 0.95)
    assert repr(settled) == ("<CapacityResult 'Case 08': capacity 3,100, a target missed "
                             "at 3,200; binding abandonment_rate <= 0.15; 3 list sizes "
                             "tried>")
    sizes[-1] = _evaluation(3200, 40, {text: "unclear"})
    lower = CapacityResult("Case 08", [target], 3100, None, text, 3.0, sizes, {}, 0.95)
    assert repr(lower) == ("<CapacityResult 'Case 08': capacity at least 3,100; closest to "
                           "binding abandonment_rate <= 0.15; 3 list sizes tried>")


def test_find_capacity_documents_every_option_and_what_it_points_to():
    """find_capacity's docstring named :func:`describe`, which had none, and left out
    max_list_size: it names every option of the search, and what it points to says what
    it does."""
    import inspect

    from sim import capacity

    doc = inspect.getdoc(capacity.find_capacity)
    options = [name for name in inspect.signature(capacity.CapacitySearch).parameters
               if name not in ("scenario", "targets")]
    assert [o for o in options if f"``{o}``" not in doc] == []
    assert ":func:`sim.capacity.describe`" in doc
    for documented in (capacity.describe, capacity.CapacityResult):
        assert not inspect.getdoc(documented).startswith(documented.__name__ + "(")


def test_a_search_s_most_runs_default_as_on_the_command_line():
    """Without max_replications a search gives a size at most 40 runs, or the runs it
    starts with if more, as ``clinicsim capacity`` does; a maximum below the start is an
    error, never a silent change of either."""
    from sim.capacity import CapacitySearch

    default = load_scenario("default")
    target = [parse_target("abandonment_rate <= 0.15")]
    assert CapacitySearch(default, target).max_replications == 40
    assert CapacitySearch(default, target, replications=60).max_replications == 60
    assert CapacitySearch(default, target, replications=4,
                          max_replications=8).max_replications == 8


def test_capacity_warns_of_a_scenario_as_run_does(tmp_path, capsys):
    """capacity loaded its scenario without its warnings: an absence after the run's last
    week went unsaid, as run and compare now say it (the weeks the search runs)."""
    practice = tmp_path / "practice.yaml"
    practice.write_text("extends: default\nstaff: {gp: {absent: [{week: 40}]}}\n")
    # a picture of a kind it cannot write stops the command before any run
    assert main(["capacity", str(practice), "--weeks", "2", "--warmup-weeks", "1",
                 "--plot", str(tmp_path / "search.webp")]) == 2
    err = capsys.readouterr().err
    assert "warning:" in err and "found week 40, after the run's last (week 3)" in err
