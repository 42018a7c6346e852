"""How long a run must warm up: MSER-5 on an output series (White 1997; Hoad, Robinson &
Davies 2010 recommend it for automated warm-up selection in DES).

The series is batched into means of 5 observations; for each candidate truncation point d
in the first half, MSER(d) = variance of the remaining batch means / their number; the
truncation point is the d that minimises it, in observations. A run starts with an empty
appointment book, so the backlog climbs for a while: the warm-up must cover that climb.
"""
from __future__ import annotations

import numpy as np

#: MSER-5: observations per batch.
BATCH = 5


def mser_truncation(series: np.ndarray, batch: int = BATCH) -> int:
    """The MSER-``batch`` truncation point of ``series`` in observations (a multiple of
    ``batch``); only the first half is searched, so a trend to the end is not mistaken
    for a warm-up."""
    x = np.asarray(series, dtype=float)
    k = len(x) // batch
    if k < 4:
        return 0
    means = x[: k * batch].reshape(k, batch).mean(axis=1)
    best, best_d = np.inf, 0
    for d in range(k // 2):
        rest = means[d:]
        stat = rest.var() / len(rest)
        if stat < best:
            best, best_d = stat, d
    return best_d * batch


def warmup_days(days, column: str = "backlog_planned", batch: int = BATCH) -> int:
    """MSER truncation of the mean over runs of ``column`` in a run's day table
    (``results.days``: replication, day, ...), in working days."""
    series = days.groupby("day")[column].mean().sort_index().to_numpy()
    return mser_truncation(series, batch)
