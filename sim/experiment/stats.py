"""Streaming statistics over a sweep's parts: means, CIs and paired differences.

Parts are read one replication block at a time (all points of that block together), so
memory does not grow with the number of replications. Within a block, each point's
values are paired with the baseline's values of the same replication: under common
random numbers the paired difference has a much smaller variance than the difference of
two independent runs, and ``variance_reduction`` reports by how much
((var_point + var_baseline) / var_difference; above 1 means CRN paid off).

Each block becomes a dense array (point x replication x metric key); per point and key
the accumulators are the count and the sums of values and squared values, shifted by a
per-(point, key) constant taken from the first values seen, so that the variance does
not suffer from cancellation (and a constant metric has a variance of exactly zero).
"""
from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pandas as pd
from scipy import stats

KEYS = ["point", "metric", "role", "activity"]
_PART = re.compile(r"part-p(\d+)-r(\d+)-(\d+)\.parquet$")
_SEP = "\x1f"


def blocks_of(names: list[str]) -> dict[int, list[str]]:
    """Part names grouped by the replication they start at."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for name in names:
        match = _PART.search(name)
        if match:
            grouped[int(match.group(2))].append(name)
    return dict(sorted(grouped.items()))


class _Sums:
    """Count, shifted sum and shifted sum of squares per (point, key), growing with keys."""

    def __init__(self, points: int):
        self.n = np.zeros((points, 0))
        self.s1 = np.zeros((points, 0))
        self.s2 = np.zeros((points, 0))
        self.shift = np.zeros((points, 0))

    def grow(self, keys: int) -> None:
        extra = keys - self.n.shape[1]
        if extra > 0:
            pad = ((0, 0), (0, extra))
            self.n, self.s1, self.s2 = (np.pad(a, pad) for a in (self.n, self.s1, self.s2))
            self.shift = np.pad(self.shift, pad, constant_values=np.nan)

    def add(self, values: np.ndarray) -> None:
        """``values``: points x replications x keys, NaN where there is no value."""
        self.grow(values.shape[2])
        unset = np.isnan(self.shift)
        if unset.any():
            finite = np.isfinite(values)
            first_rep = finite.argmax(axis=1)  # first replication with a value
            first = np.take_along_axis(values, first_rep[:, None, :], axis=1)[:, 0, :]
            self.shift = np.where(unset & finite.any(axis=1), first, self.shift)
        shifted = values - np.nan_to_num(self.shift)[:, None, :]
        present = np.isfinite(shifted)
        shifted = np.where(present, shifted, 0.0)
        self.n += present.sum(axis=1)
        self.s1 += shifted.sum(axis=1)
        self.s2 += (shifted ** 2).sum(axis=1)

    def moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nan_to_num(self.shift) + self.s1 / n
            var = np.maximum(self.s2 - self.s1 ** 2 / n, 0.0) / (n - 1)
        var = np.where(n > 1, var, np.nan)
        mean = np.where(n > 0, mean, np.nan)
        return n, mean, var


def _ci(n: np.ndarray, mean: np.ndarray, var: np.ndarray, level: float):
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + level / 2, np.where(n > 1, n - 1, np.nan))
        half = t * np.sqrt(var / n)
    return mean - half, mean + half


def summarise_parts(store, baseline: int, level: float = 0.95) -> pd.DataFrame:
    """Mean, CI and paired difference against ``baseline`` per point and metric."""
    key_index: dict[str, int] = {}
    points: dict[int, int] = {}
    blocks = blocks_of(sorted(store.completed()))
    for names in blocks.values():
        for name in names:
            point = int(_PART.search(name).group(1))
            points.setdefault(point, len(points))
    if not blocks:
        return pd.DataFrame(columns=KEYS + ["mean", "ci_low", "ci_high", "replications"])
    order = sorted(points)
    points = {p: i for i, p in enumerate(order)}
    base = points.get(baseline)
    values_sums, diff_sums = _Sums(len(points)), _Sums(len(points))
    for start, names in blocks.items():
        rows = store.read_parts(names)
        keys = (rows["metric"].astype(str) + _SEP + rows["role"].fillna("").astype(str)
                + _SEP + rows["activity"].fillna("").astype(str))
        codes, uniques = pd.factorize(keys)
        lookup = np.array([key_index.setdefault(u, len(key_index)) for u in uniques])
        k = lookup[codes]
        p = rows["point"].map(points).to_numpy()
        r = rows["replication"].to_numpy() - start
        block = np.full((len(points), int(r.max()) + 1, len(key_index)), np.nan)
        block[p, r, k] = rows["value"].to_numpy(dtype=float)
        values_sums.add(block)
        if base is not None:
            diff_sums.add(block - block[base][None, :, :])
    n, mean, var = values_sums.moments()
    low, high = _ci(n, mean, var, level)
    dn, dmean, dvar = diff_sums.moments()
    dlow, dhigh = _ci(dn, dmean, dvar, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        reduction = (var + var[base][None, :]) / dvar if base is not None else dvar * np.nan
    parts = [key.split(_SEP) for key in key_index]
    out = []
    for point, i in points.items():
        for key, (metric, role, activity) in enumerate(parts):
            if n[i, key] == 0:
                continue
            is_base = i == base
            out.append((point, metric, role or None, activity or None, mean[i, key],
                        low[i, key], high[i, key], int(n[i, key]),
                        np.nan if is_base else dmean[i, key],
                        np.nan if is_base else dlow[i, key],
                        np.nan if is_base else dhigh[i, key],
                        int(dn[i, key]),
                        np.nan if is_base or not dvar[i, key] > 0 else reduction[i, key]))
    columns = KEYS + ["mean", "ci_low", "ci_high", "replications", "diff_mean", "diff_ci_low",
                      "diff_ci_high", "diff_replications", "variance_reduction"]
    table = pd.DataFrame(out, columns=columns)
    return table.sort_values(KEYS, na_position="first").reset_index(drop=True)
