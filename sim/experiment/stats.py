"""Streaming statistics over a sweep's parts: means, CIs and paired differences.

Parts are read one replication block at a time (all points of that block together), so
memory does not grow with the number of replications. Within a block, each point's
values are paired with the baseline's values of the same replication: under common
random numbers the paired difference has a much smaller variance than the difference of
two independent runs, and ``variance_reduction`` reports by how much
((var_point + var_baseline) / var_difference; above 1 means CRN paid off).
"""
from __future__ import annotations

import math
import re
from collections import defaultdict

import numpy as np
import pandas as pd
from scipy import stats

KEYS = ["point", "metric", "role", "activity"]
_PART = re.compile(r"part-p(\d+)-r(\d+)-(\d+)\.parquet$")


def _moments(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    g = frame.groupby(KEYS, dropna=False, sort=False)[column]
    out = g.agg(n="count", mean="mean", var="var").reset_index()
    out["m2"] = out["var"].fillna(0.0) * (out["n"] - 1)
    return out.drop(columns="var")


def _merge(acc: pd.DataFrame | None, block: pd.DataFrame) -> pd.DataFrame:
    """Chan et al.'s parallel update of (n, mean, M2) per key."""
    if acc is None:
        return block
    both = acc.merge(block, on=KEYS, how="outer", suffixes=("_a", "_b"))
    for col in ("n", "mean", "m2"):
        both[f"{col}_a"] = both[f"{col}_a"].fillna(0.0)
        both[f"{col}_b"] = both[f"{col}_b"].fillna(0.0)
    n = both["n_a"] + both["n_b"]
    delta = both["mean_b"] - both["mean_a"]
    safe = n.where(n > 0, 1.0)
    both["mean"] = both["mean_a"] + delta * both["n_b"] / safe
    both["m2"] = both["m2_a"] + both["m2_b"] + delta**2 * both["n_a"] * both["n_b"] / safe
    both["n"] = n
    return both[KEYS + ["n", "mean", "m2"]]


def _ci(n: pd.Series, mean: pd.Series, m2: pd.Series, level: float):
    n = n.astype(float)
    sd = np.sqrt(m2 / (n - 1).where(n > 1))
    t = pd.Series(stats.t.ppf(0.5 + level / 2, (n - 1).where(n > 1)), index=n.index)
    half = t * sd / np.sqrt(n)
    return mean - half, mean + half, sd**2


def blocks_of(names: list[str]) -> dict[int, list[str]]:
    """Part names grouped by the replication they start at."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for name in names:
        match = _PART.search(name)
        if match:
            grouped[int(match.group(2))].append(name)
    return dict(sorted(grouped.items()))


def summarise_parts(store, baseline: int, level: float = 0.95) -> pd.DataFrame:
    """Mean, CI and paired difference against ``baseline`` per point and metric."""
    acc = pacc = None
    for _start, names in blocks_of(sorted(store.completed())).items():
        rows = store.read_parts(names)
        rows = rows[rows["value"].notna()]
        acc = _merge(acc, _moments(rows, "value"))
        base = rows[rows["point"] == baseline].drop(columns="point")
        paired = rows.merge(base, on=["replication", "metric", "role", "activity"],
                            suffixes=("", "_base"))
        paired["diff"] = paired["value"] - paired["value_base"]
        pacc = _merge(pacc, _moments(paired, "diff"))
    if acc is None:
        return pd.DataFrame(columns=KEYS + ["mean", "ci_low", "ci_high", "replications"])
    out = acc.copy()
    out["ci_low"], out["ci_high"], out["var"] = _ci(out["n"], out["mean"], out["m2"], level)
    out = out.rename(columns={"n": "replications"})
    p = pacc.rename(columns={"n": "diff_replications", "mean": "diff_mean"})
    p["diff_ci_low"], p["diff_ci_high"], p["diff_var"] = _ci(
        p["diff_replications"], p["diff_mean"], p["m2"], level)
    out = out.merge(p.drop(columns="m2"), on=KEYS, how="left")
    base_var = out[out["point"] == baseline].set_index(["metric", "role", "activity"])["var"]
    joined = out.join(base_var.rename("base_var"), on=["metric", "role", "activity"])
    independent = joined["var"] + joined["base_var"]
    out["variance_reduction"] = (independent / out["diff_var"]).where(
        (out["point"] != baseline) & (out["diff_var"] > 0))
    is_base = out["point"] == baseline
    for col in ("diff_mean", "diff_ci_low", "diff_ci_high"):
        out.loc[is_base, col] = math.nan
    out["replications"] = out["replications"].astype(int)
    out["diff_replications"] = out["diff_replications"].fillna(0).astype(int)
    columns = KEYS + ["mean", "ci_low", "ci_high", "replications", "diff_mean", "diff_ci_low",
                      "diff_ci_high", "diff_replications", "variance_reduction"]
    return out[columns].sort_values(KEYS, na_position="first").reset_index(drop=True)
