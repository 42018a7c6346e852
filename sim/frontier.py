"""The staffing frontier: capacity and cost of each staffing mix, and the mixes that no
other mix beats on both (serves more patients for less)."""
from __future__ import annotations

import math
import textwrap

import pandas as pd

from sim.capacity import find_capacity
from sim.experiment.design import LoadedExperiment
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario
from sim.targets import Target, parse_target
from sim.workers import shared_out


def non_dominated(table: pd.DataFrame, maximise: list[str], minimise: list[str]) -> pd.Series:
    """True for rows no other row beats: at least as good on every column, better on one.
    Rows with a missing value are never on the frontier."""
    values = table[maximise + minimise].to_numpy(dtype=float)
    sign = [1.0] * len(maximise) + [-1.0] * len(minimise)
    good = values * sign
    out = []
    for i, row in enumerate(good):
        if any(math.isnan(v) for v in row):
            out.append(False)
            continue
        dominated = any(
            j != i and all(o >= r for o, r in zip(other, row)) and any(
                o > r for o, r in zip(other, row))
            for j, other in enumerate(good) if not any(math.isnan(v) for v in other))
        out.append(not dominated)
    return pd.Series(out, index=table.index)


def _one(point, targets, seed, options):
    result = find_capacity(point.scenario, targets, seed=seed, **options)
    cost = result.at_capacity
    return {"point": point.index, "name": point.name, **point.factors,
            "capacity": result.capacity, "settled": result.settled,
            "missed_from": result.upper,
            "binding_target": result.settled_binding,
            "gp_fte": result.gp_fte,
            "patients_per_gp_fte": result.patients_per_gp_fte,
            "staff_cost_dkk_day": cost.get("staff_cost_dkk", math.nan),
            "cost_per_patient_year_dkk": cost.get("cost_per_patient_year_dkk", math.nan)}


def day_staff_cost(scenario: Scenario) -> float:
    """The staff cost of a usual day (every group's people at their usual hours and their
    role's hourly cost): a costlier staff serves a longer list, and a capacity search's
    runs grow with the list. Used only to hand out the longest searches first."""
    return math.fsum(group.count * (group.end - group.start) / 60.0
                     * scenario.roles[group.role].cost_per_hour
                     for group in scenario.staff.values())


def staffing_frontier(experiment: LoadedExperiment, targets: list[Target], jobs: int = 1,
                      **options) -> pd.DataFrame:
    """Capacity and cost per listed patient of every design point, frontier marked.

    On more than one process the mixes are handed out costliest staff first (longest
    searches first), so that the last to finish are short ones and no process waits long
    for the others; in the grid's order the costliest mixes came last and ran alone.
    Each mix's search has its own seeds, so the results do not depend on the order, nor
    on where it ran (a mix a lost worker held is searched again here: :func:`shared_out`)."""
    from sim.progress import progress_bar, tick

    seed = experiment.spec.seed
    rows = []
    if jobs == 1:
        for p in experiment.points:
            with progress_bar(None, "", enabled=False):  # count mixes, not the runs inside
                rows.append(_one(p, targets, seed, options))
            tick()
    else:
        longest_first = sorted(experiment.points, key=lambda p: day_staff_cost(p.scenario),
                               reverse=True)
        found = {}
        for _i, row in shared_out(_one, [(p, targets, seed, options) for p in longest_first],
                                  jobs):
            found[row["point"]] = row
            tick()
        rows = [found[p.index] for p in experiment.points]
    table = pd.DataFrame(rows)
    table.loc[table["capacity"] == 0, "cost_per_patient_year_dkk"] = math.nan
    table["on_frontier"] = non_dominated(table, ["capacity"], ["cost_per_patient_year_dkk"])
    return table


RESULT_COLUMNS = {"point", "name", "capacity", "settled", "missed_from", "binding_target",
                  "gp_fte",
                  "patients_per_gp_fte", "staff_cost_dkk_day", "cost_per_patient_year_dkk",
                  "on_frontier"}


def short_labels(table: pd.DataFrame) -> pd.Series:
    """Each mix named by the factors that vary, shortly: ``gp 1, nurse 5, hca 2``."""
    factors = [c for c in table.columns if c not in RESULT_COLUMNS and table[c].nunique() > 1]
    if not factors:
        return table["name"].astype(str)

    def short(path: str) -> str:
        parts = path.split(".")
        return parts[-2] if parts[-1] in ("count", "degree") and len(parts) > 1 else parts[-1]

    return table[factors].apply(
        lambda row: ", ".join(f"{short(f)} {row[f]}" for f in factors), axis=1)


def unserved_note(table: pd.DataFrame) -> str:
    """What the mixes that serve no list share, in words: they have no cost per patient, so
    the plot cannot place them, and a reader must still learn that they were tried."""
    zero = table[table["capacity"] <= 0]
    if zero.empty:
        return ""
    drawn = table[table["capacity"] > 0]
    factors = [c for c in table.columns if c not in RESULT_COLUMNS]
    shared = [f"{c} = {zero[c].iloc[0]}" for c in factors
              if zero[c].nunique() == 1 and not (drawn[c] == zero[c].iloc[0]).any()]
    binding = zero["binding_target"].dropna().astype(str).value_counts()
    text = (f"Not drawn: {len(zero)} of {len(table)} mixes serve no list within the targets"
            + (f" (every one has {', '.join(shared)})" if shared else ""))
    if len(binding):
        text += "; first target missed: " + "; ".join(
            f"{_target_words(target)}, by {n} {'mix' if n == 1 else 'mixes'}"
            for target, n in binding.items())
    return text + "."


def _target_words(text: str) -> str:
    """A target as the results name it (``tnaa_days <= 10``), in words."""
    try:
        return parse_target(text).words()
    except ScenarioError:
        return text


def _label_frontier(ax, front: pd.DataFrame, labels: pd.Series) -> None:
    """Name each frontier mix above and to the left of its point: no mix lies there (it
    would serve more for less), so a label covers no other point. Labels that would touch
    are moved up (still in that empty corner), the axis is widened to the left as far as
    the longest label needs and raised as far as the highest needs (a label above the
    axes runs into the title); twice, since widening and the layout move the points."""
    fig = ax.figure
    texts = [ax.annotate(labels[i], (r["cost_per_patient_year_dkk"], r["capacity"]),
                         xytext=(-7, 3), textcoords="offset points", ha="right", va="bottom",
                         fontsize=8, zorder=4, bbox=dict(boxstyle="round,pad=0.15", fc="white",
                                                         ec="none", alpha=0.85))
             for i, r in front.sort_values("capacity").iterrows()]
    for _ in range(2):
        fig.canvas.draw()  # settle the limits and the layout before measuring text
        renderer = fig.canvas.get_renderer()
        for below, text in zip(texts, texts[1:]):  # boxes with their padding, 3 px apart
            low_box = below.get_bbox_patch().get_window_extent(renderer)
            box = text.get_bbox_patch().get_window_extent(renderer)
            if box.x0 < low_box.x1 and low_box.x0 < box.x1 and box.y0 < low_box.y1 + 3:
                lift = (low_box.y1 + 3 - box.y0) * 72 / fig.dpi
                text.xyann = (text.xyann[0], text.xyann[1] + lift)
        axes = ax.get_window_extent(renderer)
        low, high = ax.get_xlim()
        for text in texts:  # pixels the label takes left of its point, within the axes
            need = text.get_window_extent(renderer).width + 7 * fig.dpi / 72 + 4
            if need < axes.width:
                low = min(low, (text.xy[0] * axes.width - need * high) / (axes.width - need))
        ax.set_xlim(low, high)
        bottom, top = ax.get_ylim()
        for text in texts:  # the share of the axes' height the label needs above its point
            point_y = ax.transData.transform(text.xy)[1]
            need = text.get_bbox_patch().get_window_extent(renderer).y1 - point_y + 3
            if 0 < need < axes.height:
                top = max(top, bottom + (text.xy[1] - bottom) / (1 - need / axes.height))
        ax.set_ylim(bottom, top)


#: Where the legend's top sits, in axes heights below the axes: under the axis label.
LEGEND_BELOW = -0.11
#: The note under the plot: characters a line (8-point text across the 8-inch figure, with
#: room to spare).
NOTE_CHARS = 140


def plot_frontier(table: pd.DataFrame, title: str = "Staffing frontier"):
    """Capacity against cost per listed patient, the non-dominated mixes joined up; mixes
    that serve no list are named in a note under the axes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), constrained_layout=True)
    ok = table[table["capacity"] > 0]
    front = ok[ok["on_frontier"]].sort_values("capacity")
    settled = ok["settled"].astype(bool) if "settled" in ok else pd.Series(True, ok.index)
    ax.scatter(ok.loc[settled, "cost_per_patient_year_dkk"], ok.loc[settled, "capacity"],
               color="0.6", s=30, label="staffing mix")
    if not settled.all():  # a lower bound: more runs might show a longer list served
        ax.scatter(ok.loc[~settled, "cost_per_patient_year_dkk"],
                   ok.loc[~settled, "capacity"], facecolors="none", edgecolors="0.4", s=30,
                   label="capacity at least this (search not settled)")
    ax.plot(front["cost_per_patient_year_dkk"], front["capacity"], "o-", color="C3", ms=8,
            label="not dominated (no mix serves more for less)")
    ax.set_xlabel("Staff cost per listed patient a year (DKK)")
    ax.set_ylabel("Capacity: listed patients served within the targets")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    # under the axes, not in them: placed "best" inside, it still hid a mix of the
    # committed frontier; below the axis label it covers no point, label or note
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, LEGEND_BELOW), ncols=2,
              frameon=False, fontsize=9)
    note = unserved_note(table)
    if note:
        # a figure label, so that the layout keeps room for it under the legend
        fig.supxlabel("\n".join(textwrap.wrap(note, NOTE_CHARS)), x=0.01, ha="left",
                      fontsize=8, color="0.3")
    _label_frontier(ax, front, short_labels(table))  # last: it measures the settled layout
    return fig
