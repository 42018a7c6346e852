"""Streaming statistics over a sweep's parts: pooled means, CIs and paired differences.

Parts are read one replication block at a time (all points of that block together), so
memory does not grow with the number of replications. Each block becomes dense arrays
(point x run x metric key) of values and weights, fed to the ratio-estimator accumulators
of :mod:`sim.estimators`: each point's pooled mean and CI, and its paired difference from
the baseline over the same runs. Under common random numbers the paired difference has a
much smaller variance than the difference of two independent runs, and
``variance_reduction`` reports by how much ((var_point + var_baseline) / var_difference;
above 1 means CRN paid off).
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Sequence

import numpy as np
import pandas as pd

from sim.arguments import confidence
from sim.estimators import PairedSums, RatioSums, intervals
from sim.labels import COUNTED_SHARES, counts_events, metric_bounds

KEYS = ["point", "metric", "role", "activity", "weekday"]
_PART = re.compile(r"part-p(\d+)-r(\d+)-(\d+)\.parquet$")
_SEP = "\x1f"
#: The columns that, with the point, name a metric row.
_KEY_PARTS = KEYS[1:]


def blocks_of(names: list[str]) -> dict[int, list[str]]:
    """Part names grouped by the replication they start at."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for name in names:
        match = _PART.search(name)
        if match:
            grouped[int(match.group(2))].append(name)
    return dict(sorted(grouped.items()))


class PointSummary:
    """Pooled means and paired differences of several design points, fed blocks of runs
    as tidy rows (point, replication, metric, role, activity, weekday, value, weight)."""

    def __init__(self, points: list[int], baseline: int | None):
        self.points = {p: i for i, p in enumerate(sorted(points))}
        self.base = self.points.get(baseline) if baseline is not None else None
        self.key_index: dict[str, int] = {}
        self.values = RatioSums(len(self.points))
        self.diffs = PairedSums(len(self.points), self.base) if self.base is not None else None

    def add(self, rows: pd.DataFrame) -> None:
        """A block of runs as one table of tidy rows with a ``point`` column."""
        self.add_parts([(None, rows)])

    def add_parts(self, parts: Sequence[tuple[int | None, pd.DataFrame]]) -> None:
        """A block of runs given in parts, each (point, rows) or (None, rows with a
        ``point`` column): the same as :meth:`add` of the parts concatenated in order, with
        no concatenated copy of their text columns."""
        parts = [(point, rows) for point, rows in parts if not rows.empty]
        if not parts:
            return
        k = np.concatenate([self._key_codes(rows) for _, rows in parts])
        p = np.concatenate([np.full(len(rows), self.points[point]) if point is not None
                            else rows["point"].map(self.points).to_numpy()
                            for point, rows in parts])
        runs, r = np.unique(np.concatenate([rows["replication"].to_numpy() for _, rows in parts]),
                            return_inverse=True)
        shape = (len(self.points), len(runs), len(self.key_index))
        values, weights = np.full(shape, np.nan), np.zeros(shape)
        values[p, r, k] = np.concatenate([rows["value"].to_numpy(dtype=float)
                                          for _, rows in parts])
        weights[p, r, k] = np.concatenate([rows["weight"].to_numpy(dtype=float)
                                           for _, rows in parts])
        self.values.add(values, weights)
        if self.diffs is not None:
            self.diffs.add(values, weights, self.values.shift)

    def _key_codes(self, rows: pd.DataFrame) -> np.ndarray:
        """Each row's metric key (metric, role, activity, weekday) as an index into
        ``key_index``; new keys are numbered in the order they first appear. Each column is
        factorised on its own and the codes combined, so no joined text is built per row."""
        columns = [pd.factorize(rows[name], use_na_sentinel=False) for name in _KEY_PARTS]
        combined = np.zeros(len(rows), dtype=np.int64)
        for codes, uniques in columns:
            combined = combined * len(uniques) + codes
        codes, _ = pd.factorize(combined)  # numbered in the order of first appearance
        _, first = np.unique(codes, return_index=True)
        found = [self.key_index.setdefault(
                     _SEP.join("" if pd.isna(u[c[row]]) else str(u[c[row]]) for c, u in columns),
                     len(self.key_index))
                 for row in first]
        return np.asarray(found, dtype=np.int64)[codes]

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Each point's pooled means and ``level`` intervals, with its paired difference
        from the baseline (sorted by point and metric)."""
        level = confidence("level", level)
        columns = KEYS + ["mean", "ci_low", "ci_high", "replications", "diff_mean",
                          "diff_ci_low", "diff_ci_high", "diff_replications",
                          "variance_reduction", "paired_base_mean", "paired_base_ci_low",
                          "paired_base_ci_high"]
        if not self.key_index:
            return pd.DataFrame(columns=columns)
        parts = [key.split(_SEP) for key in self.key_index]
        bounds = np.array([[metric_bounds(metric) for metric, *_ in parts]] * len(self.points),
                          dtype=object)
        n, mean, se = self.values.estimate()
        counted = np.array([[metric in COUNTED_SHARES for metric, *_ in parts]])
        # a count's pooled weight is its days (or runs): the exposure of its events
        events = np.array([[counts_events(metric) for metric, *_ in parts]])
        low, high = intervals(mean, se, n, bounds, level,
                              trials=np.where(counted, self.values.sx, np.nan),
                              exposure=np.where(events, self.values.sx, np.nan))
        base = self.base
        if self.diffs is not None:
            dn, dmean, dse, reduction = self.diffs.estimate(self.values.shift, level)
            dlow, dhigh = intervals(dmean, dse, dn, "real", level)
            bmean, bse, bweight = self.diffs.baseline(self.values.shift)
            blow, bhigh = intervals(bmean, bse, dn, bounds, level,
                                    trials=np.where(counted, bweight, np.nan),
                                    exposure=np.where(events, bweight, np.nan))
        else:
            dn = np.zeros_like(n)
            dmean = dlow = dhigh = reduction = np.full_like(mean, np.nan)
            bmean = blow = bhigh = dmean
        out = []
        for point, i in self.points.items():
            for key, (metric, role, activity, weekday) in enumerate(parts):
                if n[i, key] == 0:
                    continue
                is_base = i == base
                out.append((point, metric, role or None, activity or None, weekday or None,
                            mean[i, key], low[i, key], high[i, key], int(n[i, key]),
                            np.nan if is_base else dmean[i, key],
                            np.nan if is_base else dlow[i, key],
                            np.nan if is_base else dhigh[i, key],
                            int(dn[i, key]),
                            np.nan if is_base else reduction[i, key],
                            np.nan if is_base else bmean[i, key],
                            np.nan if is_base else blow[i, key],
                            np.nan if is_base else bhigh[i, key]))
        table = pd.DataFrame(out, columns=columns)
        return table.sort_values(KEYS, na_position="first").reset_index(drop=True)


def beside_baseline(rows: pd.DataFrame, point: int, baseline: int,
                    on: list[str]) -> pd.DataFrame:
    """Design ``point``'s rows of a summary with its baseline's mean and CI beside them
    (``base_mean``, ``base_ci_low``, ``base_ci_high``, joined ``on`` the figure's keys; a
    row the baseline lacks has none), over the runs the difference pairs
    (:func:`paired_baseline`)."""
    runs = ["replications"] if "replications" in rows else []  # a hand-made table may lack it
    base = rows.loc[rows["point"] == baseline, [*on, "mean", "ci_low", "ci_high", *runs]]
    base = base.rename(columns={"mean": "base_mean", "ci_low": "base_ci_low",
                                "ci_high": "base_ci_high", "replications": "base_replications"})
    return paired_baseline(rows[rows["point"] == point].merge(base, on=on, how="left"))


def paired_baseline(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (a design's rows beside its baseline's ``base_mean``, ``base_ci_low``,
    ``base_ci_high`` over ``base_replications``) with the baseline's figures over the runs
    its difference pairs, where the design has fewer runs than the baseline (a sweep's
    point that stopped early): beside a difference over 4 runs, the baseline's mean over
    its 10 would not be the mean the difference is from, and can even disagree with it in
    sign."""
    if "paired_base_mean" not in table or "base_replications" not in table:
        return table
    fewer = (table["diff_replications"] < table["base_replications"]) & (
        table["paired_base_mean"].notna())
    if fewer.any():
        table = table.copy()
        for column in ("mean", "ci_low", "ci_high"):
            table[f"base_{column}"] = table[f"base_{column}"].where(
                ~fewer, table[f"paired_base_{column}"])
    return table


def summarise_parts(store, baseline: int, level: float = 0.95) -> pd.DataFrame:
    """Pooled mean, CI and paired difference against ``baseline`` per point and metric,
    read one replication block at a time."""
    level = confidence("level", level)  # before reading any part
    blocks = blocks_of(sorted(store.completed()))
    points = sorted({int(_PART.search(name).group(1)) for names in blocks.values()
                     for name in names})
    if not blocks:
        return pd.DataFrame(columns=KEYS + ["mean", "ci_low", "ci_high", "replications"])
    summary = PointSummary(points, baseline)
    for names in blocks.values():
        summary.add(store.read_parts(names))
    return summary.table(level)
