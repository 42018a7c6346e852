"""sim.plots: every plot is a labelled Figure drawn from a small real run, and the pure
helpers (non_dominated, phone_calls, queue lengths, paired summaries) are right."""
from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim import load_scenario, run_replications
from sim import plots
from sim.calibration import calibrate, load_targets
from tests.conftest import scenario_with


SHORT = dict(weeks=1, warmup_weeks=1)  # one measured week after one of warm-up


@pytest.fixture(scope="module")
def run():
    return run_replications(load_scenario("default"), 3, 1, event_log=True, **SHORT)


@pytest.fixture(scope="module")
def grid():
    """A 2 x 2 'sweep' of paired runs (delegation x nurses) with its scenarios table."""
    design = [("low", 3), ("low", 4), ("medium", 3), ("medium", 4)]
    runs = {f"degree={d},nurses={n}": run_replications(
        scenario_with(delegation__degree=d, staff__nurse__count=n), 3, 1, **SHORT)
        for d, n in design}
    summary = plots.paired_summary(runs, baseline="degree=medium,nurses=3")
    scenarios = pd.DataFrame([{"point": i, "name": name, "delegation.degree": d,
                               "staff.nurse.count": n}
                              for i, (name, (d, n)) in enumerate(zip(runs, design))])
    return summary, scenarios


def labelled(fig: Figure) -> None:
    """A Figure with axes, a title, and labelled axes; it also renders to PNG."""
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison
            and not hasattr(ax, "_colorbar")]
    assert axes, "no axes"
    first = axes[0]
    titles = [first.get_title(loc) for loc in ("left", "center", "right")]
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    assert any(titles) or suptitle, "no title"
    assert first.get_ylabel(), "no y label"
    for ax in axes:
        assert ax.get_xlabel(), f"axes {ax.get_title()!r} has no x label"
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


# --- one day --------------------------------------------------------------------------------


def test_staff_gantt(run):
    fig = plots.staff_gantt(run, replication=1)
    labelled(fig)
    ax = fig.axes[0]
    first = run.day_staff[run.day_staff["replication"] == 1]
    people = first.loc[first["day"] == first["day"].min(), "staff_id"].nunique()
    assert len(ax.get_yticklabels()) == people
    assert ":" in ax.xaxis.get_major_formatter()(480, 0)  # clock times
    assert ax.xaxis.get_major_formatter()(510, 0) == "08:30"
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    for term in ("Phone triage (telefonvisitation)", "Idle", "Being supervised"):
        assert term in legend


def test_back_to_back_tasks_are_drawn_as_separate_bars():
    """Three consultations back to back, then two calls: each is a bar of its own, edged
    in white so that they do not run together into one long consultation; idle time keeps
    its grey edge and the hatched wait for a doctor keeps its hatching's colour."""
    import matplotlib.colors as mcolors
    import pandas as pd

    timeline = pd.DataFrame(
        [(0, "nurse-1", "consulting", 480.0, 500.0), (0, "nurse-1", "consulting", 500.0, 520.0),
         (0, "nurse-1", "consulting", 520.0, 540.0), (0, "nurse-1", "phone", 540.0, 546.0),
         (0, "nurse-1", "phone", 546.0, 552.0), (0, "nurse-1", "idle", 552.0, 560.0),
         (0, "nurse-1", "being_supervised", 560.0, 563.0)],
        columns=["replication", "staff_id", "activity", "start", "end"])
    ax = plots.staff_gantt(timeline).axes[0]
    bars = {activity: next(c for c in ax.collections
                           if mcolors.same_color(c.get_facecolor()[0],
                                                 plots.ACTIVITY_COLOURS[activity]))
            for activity in ("consulting", "phone", "idle", "being_supervised")}
    assert len(bars["consulting"].get_paths()) == 3 and len(bars["phone"].get_paths()) == 2
    for activity in ("consulting", "phone"):
        assert mcolors.same_color(bars[activity].get_edgecolor()[0], "white")
        assert bars[activity].get_linewidth()[0] > 0
    assert mcolors.same_color(bars["idle"].get_edgecolor()[0], "#b0b0b0")
    assert bars["being_supervised"].get_hatch() == "///"
    assert len(bars["being_supervised"].get_edgecolor()) == 0  # "none": the hatch's own colour


def test_staff_gantt_from_tables_and_errors(run):
    labelled(plots.staff_gantt(run.timeline))  # the timeline alone is enough
    with pytest.raises(ValueError, match="replication 99"):
        plots.staff_gantt(run, replication=99)
    no_log = run_replications(load_scenario("default"), 1, 1, **SHORT)
    with pytest.raises(ValueError, match="event_log=True"):
        plots.staff_gantt(no_log)


def _drawn(fig: Figure):
    """``fig`` drawn on an Agg canvas, and its renderer (to measure what was drawn)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def test_the_appointment_books_legends_keep_off_the_data(run):
    """The appointment book's legends sit beside their panels (inside, the TNAA legend hid
    a role's line along the panel's top)."""
    fig = plots.access_over_run(run)
    renderer = _drawn(fig)
    for ax in fig.axes:
        legend = ax.get_legend()
        assert legend is not None
        assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
        assert legend.get_window_extent(renderer).x1 <= fig.bbox.width + 1


def test_one_name_is_a_list_of_one_and_a_role_the_days_lack_is_named(run):
    """A single text where a list is expected was read letter by letter ("no metric
    'a'"), and a role the days do not have left the TNAA panel empty without a word."""
    def tnaa_lines(fig: Figure) -> list[str]:
        return [line.get_label() for line in fig.axes[1].get_lines()]

    assert tnaa_lines(plots.access_over_run(run, roles="gp")) == \
        tnaa_lines(plots.access_over_run(run, roles=["gp"])) == [
            plots._role_label("gp", run.scenario)]
    with pytest.raises(ValueError, match=r"^roles must name roles whose TNAA the days hold "
                                         r"\(gp, hca, nurse\); found 'gq'"):
        plots.access_over_run(run, roles=["gq"])
    with pytest.raises(TypeError, match="^roles must be a role's name, or a list of them"):
        plots.access_over_run(run, roles=7)
    table = plots.paired_summary({"a": run, "b": run})
    one = plots.paired_differences(table, metrics="abandonment_rate")
    assert [ax.get_title() for ax in one.axes if ax.get_visible()] == \
        [plots._metric_info("abandonment_rate")[0]]
    frame = pd.DataFrame({"cost": [1.0, 2.0, 3.0], "access": [0.5, 0.9, 0.4]})
    assert plots.non_dominated(frame, minimise="cost", maximise="access").tolist() == \
        plots.non_dominated(frame, minimise=["cost"], maximise=["access"]).tolist()


def test_the_roster_takes_a_scenario_s_name_and_says_what_it_takes(run):
    """week_roster("default") failed on a missing attribute, as did results in place of
    their scenario: a name or a file is loaded, anything else is named."""
    by_name = plots.week_roster("default")
    loaded = plots.week_roster(load_scenario("default"))
    assert [t.get_text() for t in by_name.axes[0].get_yticklabels()] == \
        [t.get_text() for t in loaded.axes[0].get_yticklabels()]
    with pytest.raises(TypeError, match=r"^scenario must be a Scenario, a bundled name or a "
                                        r"file, not ReplicationResults \(its \.scenario"):
        plots.week_roster(run)


def _titles(fig: Figure) -> list:
    """Every title drawn in ``fig``: each axes' three, and the figure's own."""
    texts = [t for ax in fig.axes for t in (ax.title, ax._left_title, ax._right_title)]
    if fig._suptitle is not None:
        texts.append(fig._suptitle)
    return [t for t in texts if t.get_text()]


def test_every_title_naming_the_practice_stays_within_its_figure(run):
    """The week's roster lost the end of case 10's name at the figure's edge, as the day's
    Gantt had case 3's: every figure whose title names the practice wraps it instead
    (``_left_title`` is the Text a title set with loc="left" is drawn by)."""
    import copy

    name = "A practice with a long name " * 4
    long_name = run.scenario.model_copy(update={"name": name})
    named = copy.copy(run)
    named.scenario = long_name
    figures = {
        "roster": plots.week_roster(long_name),
        "time use": plots.time_use(run, scenario=long_name),
        "phone queue": plots.phone_queue(run, replication=0, scenario=long_name),
        "book": plots.access_over_run(named),
        "gantt": plots.staff_gantt(run, replication=1, scenario=long_name),
        "differences": plots.paired_differences(
            plots.paired_summary({name: run, name + " again": run}, baseline=name)),
    }
    for what, fig in figures.items():
        renderer = _drawn(fig)
        titles = _titles(fig)
        assert titles, what
        for title in titles:
            box = title.get_window_extent(renderer)
            assert box.x0 >= -1 and box.x1 <= fig.bbox.width + 1, (what, title.get_text())


def test_phone_calls_and_queue(run):
    calls = plots.phone_calls(run.events)
    m = run.metrics[run.metrics["weekday"].isna()]
    total = lambda metric: (m.loc[m["metric"] == metric, "value"]  # noqa: E731
                            * m.loc[m["metric"] == metric, "weight"]).sum()
    offered, abandoned = total("calls_offered"), total("calls_abandoned")
    assert len(calls) == pytest.approx(offered)
    assert offered == run.days.loc[run.days["measured"], "calls_offered"].sum()
    assert (calls["outcome"] == "abandoned").sum() == pytest.approx(abandoned)
    assert (calls["wait_min"] >= 0).all()
    queue = plots.phone_queue_length(run.events)
    assert (queue["queue"] >= 0).all()
    last = queue.sort_values("time").groupby(["replication", "day"]).tail(1)
    assert (last["queue"] == 0).all()  # everyone answered or gone at the end
    fig = plots.phone_queue(run, replication=0)
    labelled(fig)
    assert "telefonkø" in fig.axes[0].get_title(loc="left")


def test_time_use(run):
    fig = plots.time_use(run)
    labelled(fig)
    assert "hours" in fig.axes[0].get_xlabel()
    # 3 runs of one measured week of 5 working days: the mean is of 15 days, not of 3
    assert "mean of 15 simulated days (3 runs)" in fig.axes[0].get_title(loc="left")
    table = plots.time_use_table(run.metrics)
    staff_minutes = run.staff.groupby("role")["minutes_per_day"].sum() / run.replications
    assert np.allclose(table.groupby("role")["mean"].sum().sort_index(),
                       staff_minutes.sort_index())
    labelled(plots.time_use(run, per_person=True))
    with pytest.raises(ValueError, match="scenario"):
        plots.time_use(run.metrics, per_person=True)


# --- comparisons and sweeps -------------------------------------------------------------------


def test_paired_summary_pairs_by_replication(run):
    same = plots.paired_summary({"a": run, "b": run})
    b = same[same["name"] == "b"].dropna(subset=["diff_mean"])
    assert not b.empty and (b["diff_mean"].abs() < 1e-12).all()
    assert same.loc[same["name"] == "a", "diff_mean"].isna().all()
    with pytest.raises(ValueError, match="baseline"):
        plots.paired_summary({"a": run}, baseline="z")


def test_heatmap(grid):
    summary, scenarios = grid
    fig = plots.heatmap(summary, scenarios, "doctor_min_per_contact", "delegation.degree",
                        "staff.nurse.count")
    labelled(fig)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "baseline" in texts
    assert fig.axes[0].get_xlabel().startswith("Delegation degree (delegationsgrad)")
    labelled(plots.heatmap(summary, scenarios, "cost_per_contact_dkk", "delegation.degree",
                           "staff.nurse.count", value="diff_mean"))
    labelled(plots.heatmap(summary, scenarios, "overtime_min", "staff.nurse.count",
                           where={"delegation.degree": "low"}))
    with pytest.raises(ValueError, match="not a factor"):
        plots.heatmap(summary, scenarios, "overtime_min", "staff.gp.count")
    with pytest.raises(ValueError, match="share each"):
        plots.heatmap(summary, scenarios, "overtime_min", "staff.nurse.count")


def test_heatmap_names_a_fixed_factor_or_value_the_sweep_does_not_have(grid):
    """``where=`` with a value no point has ended in matplotlib's "number of
    FixedLocator locations (0)", and with a factor the sweep lacks in a KeyError: each is
    a ValueError naming the factor, what was given and what the sweep has."""
    import re

    summary, scenarios = grid
    draw = lambda where: plots.heatmap(summary, scenarios, "overtime_min",  # noqa: E731
                                       "staff.nurse.count", where=where)
    with pytest.raises(ValueError, match=re.escape(
            "where: delegation.degree has no value 'high' in this sweep (its values: "
            "['low', 'medium'])")):
        draw({"delegation.degree": "high"})
    with pytest.raises(ValueError, match=re.escape(
            "where: staff.nurse.count has no value '3' in this sweep (its values: [3, 4])")):
        draw({"staff.nurse.count": "3"})  # a text where the sweep has numbers
    with pytest.raises(ValueError, match=re.escape(
            "where: staff.nurse.count has no value 5 among the points with "
            "delegation.degree = 'low' (their values: [3, 4])")):
        draw({"delegation.degree": "low", "staff.nurse.count": 5})
    with pytest.raises(ValueError, match=re.escape(
            "where: 'staff.gp.count' is not a factor of this sweep (factors: "
            "['delegation.degree', 'staff.nurse.count'])")):
        draw({"staff.gp.count": 2})
    with pytest.raises(TypeError, match=re.escape(
            "where: staff.nurse.count takes one value, not list [3, 4] (its values: [3, 4]); "
            "draw one picture per value")):
        draw({"staff.nurse.count": [3, 4]})  # pandas' own error about lengths before
    labelled(draw({"delegation.degree": "medium"}))


def test_a_baseline_the_summary_has_no_point_for_is_refused(grid):
    """``baseline=99`` on a sweep of points 0-3 drew the heatmap, the forest plot and the
    trade-off as if there were no baseline, and True or 1.5 were taken as points 1 and 1:
    a number no point has is a ValueError naming the points, and what is neither a name
    nor a whole number a TypeError."""
    import re

    summary, scenarios = grid
    pictures = {
        "heatmap": lambda baseline: plots.heatmap(
            summary, scenarios, "overtime_min", "staff.nurse.count",
            where={"delegation.degree": "low"}, baseline=baseline),
        "paired_differences": lambda baseline: plots.paired_differences(
            summary, "overtime_min", baseline=baseline),
        "tradeoff": lambda baseline: plots.tradeoff(summary, "cost_per_contact_dkk",
                                                    "phone_wait_mean_min", baseline=baseline),
    }
    for name, draw in pictures.items():
        for wrong in (99, -1, np.int64(4)):
            with pytest.raises(ValueError, match=re.escape(
                    f"baseline {int(wrong)} is not a design point of the summary; its "
                    f"points are 0-3")):
                draw(wrong)
        for wrong, shown in ((True, "bool True"), (1.5, "float 1.5"), (2.0, "float 2.0"),
                             ([2], "list [2]")):
            with pytest.raises(TypeError, match=re.escape(
                    f"baseline must be a design point's name or number, not {shown}")):
                draw(wrong)
        labelled(draw(np.int64(2)))
    with pytest.raises(ValueError, match=re.escape(
            "baseline 0 is not a design point of the summary; its points are 1, 3")):
        plots.paired_differences(summary[summary["point"].isin([1, 3])], baseline=0)
    # a name the summary lacks is refused with the names it has; a summary without
    # names (a sweep's own summary.csv) says to give a number, not a KeyError
    with pytest.raises(ValueError, match=re.escape(
            "no design point named 'degree=high'; the summary's points are named "
            "'degree=low,nurses=3', 'degree=low,nurses=4', 'degree=medium,nurses=3', "
            "'degree=medium,nurses=4'")):
        plots.paired_differences(summary, "overtime_min", baseline="degree=high")
    with pytest.raises(ValueError, match=re.escape(
            "baseline 'degree=low,nurses=3' is a name, but the summary has no 'name' "
            "column; give the baseline as a design point's number: 0-3")):
        plots.heatmap(summary.drop(columns="name"), scenarios, "overtime_min",
                      "staff.nurse.count", where={"delegation.degree": "low"},
                      baseline="degree=low,nurses=3")


def test_paired_differences(grid):
    summary, _ = grid
    fig = plots.paired_differences(summary)
    labelled(fig)
    assert "degree=medium,nurses=3" in fig._suptitle.get_text()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(plots.DIFF_METRICS)
    assert len(visible[0].get_yticklabels()) == 3  # every point but the baseline
    assert "(same patients)" in fig._suptitle.get_text()
    points = sorted(summary["point"].unique())
    other = plots.paired_differences(summary, list_sizes={p: 3000 + 1000 * (p == points[-1])
                                                          for p in points})
    assert "same patients where the list size is the same" in other._suptitle.get_text()


def test_tradeoff(grid):
    summary, _ = grid
    fig = plots.tradeoff(summary, "cost_per_contact_dkk", "phone_wait_mean_min")
    labelled(fig)
    key = " ".join(t.get_text() for t in fig.axes[1].texts)
    assert "non-dominated" in key and "baseline" in key
    # points are numbered as in the summary's point column, in the plot and its key
    numbers = {t.get_text() for t in fig.axes[1].texts if t.get_text().isdigit()}
    assert numbers == {str(p) for p in summary["point"].unique()}
    labels = {n for t in fig.axes[0].texts for n in t.get_text().split(", ")
              if n.isdigit()}
    assert labels <= numbers
    # the baseline's number sits clear of the square that frames its point
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    square = next(line for line in fig.axes[0].lines if line.get_marker() == "s")
    framed = square.get_window_extent(renderer)
    at = tuple(square.get_xydata()[0])
    base = [t for t in fig.axes[0].texts if tuple(getattr(t, "xy", ())) == at]
    assert len(base) == 1 and not base[0].get_window_extent(renderer).overlaps(framed)
    with pytest.raises(ValueError, match="direction"):
        plots.tradeoff(summary, "cost_per_contact_dkk", "calls_offered")
    labelled(plots.tradeoff(summary, "cost_per_contact_dkk", "calls_offered",
                            minimise=["cost_per_contact_dkk"], maximise=["calls_offered"]))


def test_trade_off_labels_of_points_drawn_together_are_not_drawn_over_each_other(grid):
    """Points whose means differ by little against wide CI crosses sit on top of each
    other as drawn, though far apart against the points' own spread: they share a label
    ("0, 2") rather than print their numbers over one another."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    summary, _ = grid
    summary = summary.copy()
    for metric, base, step, half in (("cost_per_contact_dkk", 70.0, 0.02, 0.5),
                                     ("phone_wait_mean_min", 2.8, 0.004, 0.3)):
        rows = (summary["metric"] == metric) & summary["role"].isna()
        mean = base + step * summary.loc[rows, "point"]
        summary.loc[rows, "mean"] = mean
        summary.loc[rows, "ci_low"], summary.loc[rows, "ci_high"] = mean - half, mean + half
    fig = plots.tradeoff(summary, "cost_per_contact_dkk", "phone_wait_mean_min")
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts
             if t.get_text()[:1].isdigit()]
    assert boxes
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_a_figure_that_hardly_varies_reads_as_itself(grid):
    """Same-day needs seen today near 100 % at every point: the trade-off's axis shows
    99.999 and 100.000, not an offset "+9.999e1" over ticks 0.006-0.010; and a forest
    panel of tiny differences keeps its tick labels apart."""
    summary, _ = grid
    summary = summary.copy()
    rows = (summary["metric"] == "acute_same_day_rate") & summary["role"].isna()
    for column, base in (("mean", 0.99999), ("ci_low", 0.99996), ("ci_high", 1.0)):
        summary.loc[rows, column] = base - 0.00001 * summary.loc[rows, "point"]
    fig = plots.tradeoff(summary, "cost_per_contact_dkk", "acute_same_day_rate")
    fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert any(t.get_text().startswith("99.99") for t in ax.get_yticklabels())
    forest = plots.paired_differences(summary)
    forest.canvas.draw()
    for panel in (a for a in forest.axes if a.get_visible()):
        low, high = panel.get_xlim()
        shown = [t for t in panel.get_xticks() if low <= t <= high]
        assert len(shown) <= plots.FOREST_TICKS + 1


def test_non_dominated_on_a_hand_made_table():
    table = pd.DataFrame({
        "cost": [100, 90, 120, 90, 80, math.nan, 100],
        "access": [0.90, 0.90, 0.95, 0.90, 0.70, 0.99, 0.85],
    }, index=list("abcdefg"))
    got = plots.non_dominated(table, minimise=["cost"], maximise=["access"])
    # a is beaten by b (cheaper, same access); c best access; b and d tie (neither beats the
    # other); e cheapest; f has a missing value; g is beaten by a and b
    assert got.to_dict() == {"a": False, "b": True, "c": True, "d": True, "e": True,
                             "f": False, "g": False}
    assert got.index.equals(table.index)
    only_cost = plots.non_dominated(table, minimise=["cost"])
    assert only_cost[only_cost].index.tolist() == ["e"]
    both_min = plots.non_dominated(table.assign(wait=[1, 2, 3, 1, 9, 1, 1]),
                                   minimise=["cost", "wait"])
    assert both_min[both_min].index.tolist() == ["d", "e"]  # d: cost 90 wait 1 beats a, b, g
    with pytest.raises(ValueError):
        plots.non_dominated(table)
    with pytest.raises(ValueError, match="not in the table"):
        plots.non_dominated(table, minimise=["price"])


# --- calibration ------------------------------------------------------------------------------


def test_calibration_ranges():
    targets = load_targets()
    few = [t for t in targets["targets"] if t["case"] != "all"][:3]
    national = [{**t, "case": 8} for t in targets["targets"] if t["case"] == "all"]
    table = calibrate(2, targets={**targets, "targets": few + national}, weeks=1,
                      warmup_weeks=0)  # a plot of the table: short runs do
    fig = plots.calibration_ranges(table)
    labelled(fig)
    assert "Calibration" in fig._suptitle.get_text()
    assert "(2 runs per case)" in fig._suptitle.get_text()


def test_calibration_ranges_draw_waits_in_days_not_as_shares():
    """Case 10's planned wait (3-10 working days) on an axis of working days, not the
    shares' axis at 300-1,000 %."""
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    table = pd.read_csv(repo / "experiments" / "calibration" / "report.csv")
    fig = plots.calibration_ranges(table)
    axes = {ax.get_xlabel().split(":")[0]: ax for ax in fig.get_axes()}
    days = axes["Working days"]
    labels = [t.get_text() for t in days.get_yticklabels()]
    assert any("Case 10" in t and "about a week" in t for t in labels)
    assert not any("about a week" in t.get_text()
                   for t in axes["Share (%)"].get_yticklabels())
    assert days.get_xlim()[1] >= 10  # the stated 3-10 days fit


def test_heatmap_colours_only_differences_the_interval_supports():
    """1.91 against 1.83 minutes with a CI including zero is white, not "full red against
    full green"; a clear but small difference is pale; a large clear one is deep."""
    def row(point, mean, diff, low, high):
        return {"point": point, "name": f"p{point}", "metric": "phone_wait_mean_min",
                "role": None, "activity": None, "weekday": None, "mean": mean,
                "ci_low": mean * 0.95, "ci_high": mean * 1.05, "replications": 20,
                "diff_mean": diff, "diff_ci_low": low, "diff_ci_high": high}

    summary = pd.DataFrame([row(0, 1.83, np.nan, np.nan, np.nan),
                            row(1, 1.91, 0.08, -0.10, 0.26),
                            row(2, 1.92, 0.09, 0.05, 0.13),
                            row(3, 2.90, 1.07, 0.90, 1.24)])
    scenarios = pd.DataFrame({"point": [0, 1, 2, 3], "name": ["p0", "p1", "p2", "p3"],
                              "staff.nurse.count": [3, 4, 5, 6]})
    fig = plots.heatmap(summary, scenarios, "phone_wait_mean_min", "staff.nurse.count")
    scores = np.asarray(fig.axes[0].images[0].get_array())[0]
    assert scores[0] == 0 and scores[1] == 0          # the baseline, and no clear difference
    assert -0.3 < scores[2] < 0                        # clearly worse, but by about 5 %
    assert scores[3] == -1                             # clearly worse by more than a quarter
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("no clear difference") == 1
    # the colour bar's label stays within a one-row heatmap's figure (it ran off both ends)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    label = fig.axes[1].yaxis.label.get_window_extent(canvas.get_renderer())
    whole = fig.bbox
    assert whole.y0 <= label.y0 and label.y1 <= whole.y1 and label.x1 <= whole.x1


def test_heatmap_does_not_call_a_longer_lists_counts_better():
    """Contacts handled against a baseline of another list size have no better direction,
    also when the cells shown are filtered to one list size (the baseline's is another)."""
    def row(point, mean, diff):
        return {"point": point, "name": f"p{point}", "metric": "contacts_handled_total",
                "role": None, "activity": None, "weekday": None, "mean": mean,
                "ci_low": mean * 0.98, "ci_high": mean * 1.02, "replications": 20,
                "diff_mean": diff, "diff_ci_low": diff * 0.9 if diff == diff else diff,
                "diff_ci_high": diff * 1.1 if diff == diff else diff}

    summary = pd.DataFrame([row(0, 200.0, np.nan), row(1, 210.0, 10.0),
                            row(2, 240.0, 40.0), row(3, 250.0, 50.0)])
    scenarios = pd.DataFrame({"point": [0, 1, 2, 3], "name": ["p0", "p1", "p2", "p3"],
                              "population.list_size": [5000, 5000, 6000, 6000],
                              "staff.nurse.count": [3, 4, 3, 4]})
    for y, where in (("population.list_size", None), (None, {"population.list_size": 6000})):
        fig = plots.heatmap(summary, scenarios, "contacts_handled_total", "staff.nurse.count",
                            y=y, where=where)
        scores = np.asarray(fig.axes[0].images[0].get_array())
        assert np.nanmax(np.abs(scores)) == 0, (where, scores)  # no green, no red
    same = scenarios.drop(columns=["population.list_size"]).assign(
        **{"staff.hca.count": [0, 0, 1, 1]})
    fig = plots.heatmap(summary, same, "contacts_handled_total", "staff.nurse.count",
                        y="staff.hca.count")
    assert np.nanmax(np.asarray(fig.axes[0].images[0].get_array())) > 0  # same list: better


def test_the_roster_figure_shows_the_cycle_of_rotations_duties_and_meetings():
    """A four-week rotation shows four weeks; a three-week duty rota with a monthly meeting
    repeats every twelve weeks, of which the figure shows the first four."""
    from sim import load_scenario, scenario_from_dict
    from sim.plots import roster_weeks
    from tests.conftest import raw

    assert roster_weeks(load_scenario("default")) == 1
    assert roster_weeks(load_scenario("case16")) == 4
    d = raw("default")
    gp = d["staff"].pop("gp")
    for name in ("gp_a", "gp_b", "gp_c"):
        d["staff"][name] = dict(gp, count=1)
    d["duties"] = {"home_day": {"weekday": "wed", "rota": ["gp_a", "gp_b", "gp_c"],
                                "blocks": [{"kind": "home_visits", "start": "09:00",
                                            "end": "15:00"}]}}
    d["meetings"] = {"staff": {"days": ["thu"], "start": "14:00", "end": "15:00",
                               "every_weeks": 4}}
    s = scenario_from_dict(d)
    assert roster_weeks(s, most=520) == 12 and roster_weeks(s) == 4


def test_the_roster_colours_a_scenario_s_own_block_kind_by_what_it_is():
    """Case 8's secretary spends the afternoon in 'admin_acute_line' (admin, answering the
    acute line first): drawn as admin, not as the grey of lunch and buffers."""
    from sim import load_scenario

    case08 = load_scenario("case08")
    assert plots._roster_kind("admin_acute_line", case08) == "admin"
    assert plots._roster_kind("planned", case08) == "planned"
    assert plots._roster_kind("lunch", case08) == "lunch"
    plots.week_roster(case08)


def _lab(colour: str) -> np.ndarray:
    """CIELAB (D65) of a matplotlib colour: distances in it follow how far apart colours look."""
    from matplotlib.colors import to_rgb

    c = np.array(to_rgb(colour))
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ c / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_every_block_kind_has_a_colour_of_its_own_in_the_roster():
    """The roster drew the floor doctor's blocks in supervision's purple and open
    consultation in nearly planned slots' blue: every kind of the base scenario is a row of
    ROSTER_KINDS or drawn as the kind it is, and no two rows look alike (at least 20 apart
    in CIELAB; the two blues were 17 apart, floor and supervision 0)."""
    from itertools import combinations

    base = load_scenario("default")
    for kind in base.block_kinds:
        assert plots._roster_kind(kind, base) in plots.ROSTER_KINDS, kind
    own = set(base.block_kinds) - {"planned_questions_first"}  # planned slots, drawn so
    assert own <= set(plots.ROSTER_KINDS)
    assert plots._roster_kind("planned_questions_first", base) == "planned"
    labels = [label for _, label in plots.ROSTER_KINDS.values()]
    assert len(set(labels)) == len(labels)
    for (a, (ca, _)), (b, (cb, _)) in combinations(plots.ROSTER_KINDS.items(), 2):
        assert np.linalg.norm(_lab(ca) - _lab(cb)) >= 20, (a, b)


def test_the_roster_legend_names_every_kind_it_draws_and_no_other():
    """Case 4's floor doctor: the legend names 'floor' (as the day plan in the report does)
    beside 'open' and 'buffer', and no kind the picture does not show (no supervision);
    every colour drawn is in the legend."""
    import matplotlib.colors as mcolors

    fig = plots.week_roster(load_scenario("case04"))
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert {"floor", "open", "buffer", "planned", "lunch"} <= set(labels)
    assert "supervision" not in labels
    in_legend = {mcolors.to_hex(h.get_facecolor()) for h in legend.legend_handles}
    drawn = {mcolors.to_hex(p.get_facecolor()) for p in fig.axes[0].patches}
    assert drawn == in_legend
    floor = mcolors.to_hex(legend.legend_handles[labels.index("floor")].get_facecolor())
    assert floor == plots.ROSTER_KINDS["floor"][0] != plots.ROSTER_KINDS["supervision"][0]


def test_paired_summary_refuses_runs_that_do_not_face_the_same_patients():
    """Results of another seed, or runs of another length, cannot be paired run by run:
    paired_summary says so instead of labelling their differences common random numbers."""
    one = run_replications(load_scenario("default"), 2, 1, **SHORT)
    for other, what in ((run_replications(load_scenario("default"), 2, 2, **SHORT), "seed"),
                        (run_replications(load_scenario("default"), 2, 1, weeks=2,
                                          warmup_weeks=1), "weeks"),
                        (run_replications(load_scenario("default"), 3, 1, **SHORT).metrics,
                         "different runs")):
        with pytest.raises(ValueError, match=what):
            plots.paired_summary({"today": one, "other": other})
    assert len(plots.paired_summary({"today": one, "again": one}))


def test_a_misspelt_metric_or_the_wrong_table_is_named_not_skipped(run):
    table = plots.paired_summary({"a": run, "b": run})
    with pytest.raises(ValueError, match="did you mean abandonment_rate"):
        plots.paired_differences(table, metrics=["overtime_min", "abandonmnet_rate"])
    with pytest.raises(ValueError, match="no metric 'phone_wait_mean' .* phone_wait_mean_min"):
        plots.tradeoff(table, y="phone_wait_mean")
    with pytest.raises(TypeError, match="not ReplicationResults"):
        plots.paired_differences(run)
    with pytest.raises(ValueError, match="lacks the columns"):
        plots.paired_differences(run.summary())


def test_sweep_staffing_reads_the_staffing_factors_only():
    scenarios = pd.DataFrame({"point": [0, 1, 2], "name": ["a", "b", "c"],
                              "population.list_size": [6000, 7500, 7500],
                              "staff.nurse.count": [3, 3, 4],
                              "delegation.degree": ["low", "high", "high"]})
    staffing = plots.sweep_staffing(scenarios)
    assert staffing[0] == staffing[1] != staffing[2]


def test_the_roster_and_the_time_charts_colour_the_same_work_alike():
    """A report shows the roster beside the staff's time by activity: supervision and
    admin were indigo and bluish green in one, purple and green in the other."""
    from sim import plots

    alike = {"consulting": "planned", "phone": "phone", "supervising": "supervision",
             "inbox_admin": "admin", "home_visits": "home_visits"}
    for activity, kind in alike.items():
        assert plots.ACTIVITY_COLOURS[activity] == plots.ROSTER_KINDS[kind][0], activity
