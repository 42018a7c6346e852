"""The staffing frontier: capacity and cost of each staffing mix, and the mixes that no
other mix beats on both (serves more patients for less)."""
from __future__ import annotations

import math

import pandas as pd
from joblib import Parallel, delayed

from sim.capacity import Target, find_capacity
from sim.experiment.design import LoadedExperiment


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
            "capacity": result.capacity, "missed_from": result.upper,
            "binding_target": result.binding, "gp_fte": result.gp_fte,
            "patients_per_gp_fte": result.patients_per_gp_fte,
            "staff_cost_dkk_day": cost.get("staff_cost_dkk", math.nan),
            "cost_per_patient_year_dkk": cost.get("cost_per_patient_year_dkk", math.nan)}


def staffing_frontier(experiment: LoadedExperiment, targets: list[Target], jobs: int = 1,
                      **options) -> pd.DataFrame:
    """Capacity and cost per listed patient of every design point, frontier marked."""
    from sim.progress import progress_bar, tick

    seed = experiment.spec.seed
    rows = []
    if jobs == 1:
        for p in experiment.points:
            with progress_bar(None, "", enabled=False):  # count mixes, not the runs inside
                rows.append(_one(p, targets, seed, options))
            tick()
    else:
        for row in Parallel(n_jobs=jobs, return_as="generator")(
                delayed(_one)(p, targets, seed, options) for p in experiment.points):
            rows.append(row)
            tick()
    table = pd.DataFrame(rows)
    table.loc[table["capacity"] == 0, "cost_per_patient_year_dkk"] = math.nan
    table["on_frontier"] = non_dominated(table, ["capacity"], ["cost_per_patient_year_dkk"])
    return table


RESULT_COLUMNS = {"point", "name", "capacity", "missed_from", "binding_target", "gp_fte",
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
        text += "; first target missed: " + ", ".join(
            f"{target} ({n})" for target, n in binding.items())
    return text + "."


def plot_frontier(table: pd.DataFrame, title: str = "Staffing frontier"):
    """Capacity against cost per listed patient, the non-dominated mixes joined up; mixes
    that serve no list are named in a note under the axes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), constrained_layout=True)
    ok = table[table["capacity"] > 0]
    front = ok[ok["on_frontier"]].sort_values("capacity")
    ax.scatter(ok["cost_per_patient_year_dkk"], ok["capacity"], color="0.6", s=30,
               label="staffing mix")
    ax.plot(front["cost_per_patient_year_dkk"], front["capacity"], "o-", color="C3", ms=8,
            label="not dominated (no mix serves more for less)")
    labels = short_labels(table)
    for i, r in front.iterrows():
        ax.annotate(labels[i], (r["cost_per_patient_year_dkk"], r["capacity"]), fontsize=8,
                    xytext=(6, -3), textcoords="offset points")
    ax.set_xlabel("Staff cost per listed patient a year (DKK)")
    ax.set_ylabel("Capacity: listed patients served within the targets")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    note = unserved_note(table)
    if note:
        fig.text(0.01, 0.0, note, fontsize=8, color="0.3", ha="left", va="bottom", wrap=True)
        fig.get_layout_engine().set(h_pad=0.25)
    return fig
