"""Estimates across independent runs: pooled means, their confidence intervals, and paired
differences under common random numbers.

Each run (replication) reports, per metric, a value and a weight: a per-day count has the
run's measured days as weight, a per-contact mean (a wait) its number of contacts, so that
``sum(value x weight) / sum(weight)`` over the runs is the pooled estimate: the mean per
day, or the mean per contact over every contact of every run (a busy day weighs more than
a quiet one). Its standard error is the ratio estimator's (the delta method over runs,
which are independent; days within a run are not, so they are never the unit):

    R = sum(y) / sum(x),  var(R) ~ sum((y_i - R x_i)^2) / (n (n - 1) xbar^2)

with ``y = value x weight`` and ``x = weight``. With equal weights this is the ordinary mean
and Student-t standard error. A paired difference of two designs linearises both ratios
run by run and takes the variance of the difference of the linearised terms, over the runs
where both have a value.

Sums are kept as streaming accumulators (count, sums, sums of squares and cross-products)
so memory never grows with the number of runs; each key's values are shifted by its first
run's ratio to avoid cancellation (a constant metric has a variance of exactly zero).

Intervals respect a metric's range (:func:`sim.labels.metric_bounds`): shares get a
logit-scale interval, non-negative metrics a log-scale one, both from the delta method
and Student's t with n - 1 degrees of freedom, so "calls offered" can never be shown with
a negative lower bound. ``tests/test_estimators.py`` measures their coverage. A counted
share at 0 or 1 and a count of events at 0 in every run get an exact limit (binomial,
Poisson) from the pooled count or days instead of a point (:func:`intervals`).
"""
from __future__ import annotations

import math

import numpy as np

from sim.arguments import confidence

#: Below this many runs an interval is shown with a warning: the coverage test
#: (tests/test_estimators.py) finds the log- and logit-scale intervals at their nominal 95 %
#: (within sampling error) from 10 runs on, for skewed counts and rare shares alike, while
#: with 3 runs a rare share's interval misses the truth more than 10 % of the time.
MIN_RUNS_FOR_INTERVALS = 10
#: A spread below this share of a mean is floating-point rounding, not variation: sums of
#: squares of a value the same in every run leave about 1e-16 of its square.
ROUNDING = 1e-9


#: Elements of a (points x runs x keys) block handled at once: a block of many runs is
#: summed over a few keys at a time, so its temporaries stay at a few MB however many runs.
CHUNK_ELEMENTS = 1 << 16


def _zeros(shape: tuple[int, ...]) -> np.ndarray:
    return np.zeros(shape)


def key_chunks(shape: tuple[int, int, int]) -> list[slice]:
    """Slices of the keys axis of a (points x runs x keys) block, each of at most about
    CHUNK_ELEMENTS elements. No slice holds a single key unless there is only one: numpy
    sums a run axis sequentially when keys are the inner axis, and pairwise when a lone key
    leaves runs innermost, so a lone key would change the sums' last bits."""
    points, runs, keys = shape
    step = max(2, CHUNK_ELEMENTS // max(points * runs, 1))
    starts = list(range(0, keys, step))
    if len(starts) > 1 and keys - starts[-1] == 1:
        starts.pop()
    return [slice(a, b) for a, b in zip(starts, starts[1:] + [keys])]


class RatioSums:
    """Streaming sums for ratio estimates: arrays of shape ``(points, keys)``, fed blocks of
    runs shaped ``(points, runs, keys)`` with NaN (or zero weight) where there is no value."""

    def __init__(self, points: int, keys: int = 0):
        shape = (points, keys)
        self.n, self.sx, self.sy, self.sxx, self.syy, self.sxy = (_zeros(shape) for _ in range(6))
        self.shift = np.full(shape, np.nan)

    @property
    def keys(self) -> int:
        return self.n.shape[1]

    def grow(self, keys: int) -> None:
        extra = keys - self.keys
        if extra > 0:
            pad = ((0, 0), (0, extra))
            for name in ("n", "sx", "sy", "sxx", "syy", "sxy"):
                setattr(self, name, np.pad(getattr(self, name), pad))
            self.shift = np.pad(self.shift, pad, constant_values=np.nan)

    def present(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.isfinite(values) & np.isfinite(weights) & (weights > 0)

    def add(self, values: np.ndarray, weights: np.ndarray) -> None:
        self.grow(values.shape[2])
        for keys in key_chunks(values.shape):
            self._add(values[:, :, keys], weights[:, :, keys], keys)

    def _add(self, values: np.ndarray, weights: np.ndarray, keys: slice) -> None:
        ok = self.present(values, weights)
        shift = self.shift[:, keys]
        unset = np.isnan(shift) & ok.any(axis=1)
        if unset.any():
            first = np.take_along_axis(values, ok.argmax(axis=1)[:, None, :], axis=1)[:, 0, :]
            self.shift[:, keys] = shift = np.where(unset, first, shift)
        x = np.where(ok, weights, 0.0)
        y = np.where(ok, (values - np.nan_to_num(shift)[:, None, :]) * x, 0.0)
        self.n[:, keys] += ok.sum(axis=1)
        self.sx[:, keys] += x.sum(axis=1)
        self.sy[:, keys] += y.sum(axis=1)
        self.sxx[:, keys] += (x * x).sum(axis=1)
        self.syy[:, keys] += (y * y).sum(axis=1)
        self.sxy[:, keys] += (x * y).sum(axis=1)

    def estimate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(runs with a value, pooled estimate, its standard error) per point and key."""
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            r = self.sy / self.sx  # on the shifted scale
            xbar = self.sx / n
            ss = np.maximum(self.syy - 2 * r * self.sxy + r * r * self.sxx, 0.0)
            se = np.sqrt(ss / (n * (n - 1))) / xbar
        estimate = np.where(n > 0, np.nan_to_num(self.shift) + r, np.nan)
        return n, estimate, np.where(n > 1, se, np.nan)


def sign_test_runs(level: float) -> int:
    """The fewest pairs whose differences, all of one sign, show a difference at ``level``
    by the sign test (6 at 95 %): the chance of n like signs with no difference is
    2 * 0.5 ** n."""
    level = confidence("level", level)
    return math.ceil(math.log2(2 / (1 - level)) - 1e-12)


class PairedSums:
    """Streaming sums for paired differences of each point from a base point, over the runs
    where both have a value (common random numbers pair run i with run i)."""

    _NAMES = ("n", "xa", "ya", "xxa", "yya", "xya", "xb", "yb", "xxb", "yyb", "xyb",
              "yayb", "yaxb", "xayb", "xaxb", "differ")

    def __init__(self, points: int, base: int):
        self.base = base
        for name in self._NAMES:
            setattr(self, name, _zeros((points, 0)))

    def grow(self, keys: int) -> None:
        extra = keys - self.n.shape[1]
        if extra > 0:
            for name in self._NAMES:
                setattr(self, name, np.pad(getattr(self, name), ((0, 0), (0, extra))))

    def add(self, values: np.ndarray, weights: np.ndarray, shift: np.ndarray) -> None:
        """``shift``: the value accumulator's shifts (points x keys), for precision."""
        self.grow(values.shape[2])
        for keys in key_chunks(values.shape):
            self._add(values[:, :, keys], weights[:, :, keys], shift[:, keys], keys)

    def _add(self, values: np.ndarray, weights: np.ndarray, shift: np.ndarray,
             keys: slice) -> None:
        ok = np.isfinite(values) & np.isfinite(weights) & (weights > 0)
        both = ok & ok[self.base][None, :, :]
        xa = np.where(both, weights, 0.0)
        ya = np.where(both, (values - np.nan_to_num(shift)[:, None, :]) * xa, 0.0)
        xb = np.broadcast_to(np.where(both, weights[self.base][None], 0.0), xa.shape)
        base_shift = np.nan_to_num(shift[self.base])[None, None, :]
        yb = np.where(both, (values[self.base][None] - base_shift) * xb, 0.0)
        # pairs whose value or weight differs from the baseline's: with none, the design
        # is the baseline run for run, and its difference has no spread at all
        differ = both & ((values != values[self.base][None])
                         | (weights != weights[self.base][None]))
        for name, term in (("n", both), ("xa", xa), ("ya", ya), ("xb", xb), ("yb", yb),
                           ("differ", differ)):
            getattr(self, name)[:, keys] += term.sum(axis=1)
        for name, left, right in (("xxa", xa, xa), ("yya", ya, ya), ("xya", xa, ya),
                                  ("xxb", xb, xb), ("yyb", yb, yb), ("xyb", xb, yb),
                                  ("yayb", ya, yb), ("yaxb", ya, xb), ("xayb", xa, yb),
                                  ("xaxb", xa, xb)):
            getattr(self, name)[:, keys] += (left * right).sum(axis=1)

    def estimate(self, shift: np.ndarray, level: float = 0.95
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(paired runs, mean difference, its standard error, variance reduction), given the
        value accumulator's shifts (the same ones :meth:`add` was given) and the level of
        the intervals to be drawn from them; the
        variance reduction is (var a + var b) / var(a - b) over the paired runs; above 1
        means common random numbers paid off."""
        level = confidence("level", level)
        n = self.n
        rb, ubb = self._base_spread()
        with np.errstate(invalid="ignore", divide="ignore"):
            ra = self.ya / self.xa
            xa_bar, xb_bar = self.xa / n, self.xb / n
            uaa = np.maximum(self.yya - 2 * ra * self.xya + ra * ra * self.xxa, 0.0)
            uab = self.yayb - rb * self.yaxb - ra * self.xayb + ra * rb * self.xaxb
            # a covariance within its bound sd a * sd b (a variance can round below 0)
            bound = np.sqrt(uaa * ubb)
            uab = np.clip(uab, -bound, bound)
            var_a = uaa / xa_bar ** 2
            var_b = ubb / xb_bar ** 2
            var_d = np.maximum(var_a + var_b - 2 * uab / (xa_bar * xb_bar), 0.0)
            # var(a - b) is a difference of sums of squares: for a design the same as the
            # baseline in every run it is rounding (the covariance is summed in another
            # order than the variances), so where no pair differs it is exactly 0
            var_d = np.where(self.differ > 0, var_d, 0.0)
            # and where every pair differs by the same amount (a cost per listed patient
            # set by the staff and the list alone) the sums leave only rounding, some 1e-16
            # of the squared means: a spread below a billionth of the mean is none at all
            shift = np.nan_to_num(shift)  # the sums are of values less these shifts
            scale = np.maximum(np.abs(shift + ra), np.abs(shift[self.base][None, :] + rb))
            tiny = (ROUNDING * scale) ** 2
            var_a, var_b, var_d = (np.where(v <= tiny, 0.0, v) for v in (var_a, var_b, var_d))
            # pairs that differ, all by the same amount, while the runs themselves vary:
            # either the designs differ by a constant (a nurse's wage on top of the same
            # overtime) or a figure of coarse steps (a count, a trend in halves) tied by
            # chance. Too few pairs to tell the two apart (fewer than a sign test needs,
            # :func:`sign_test_runs`), a spread of zero would call a chance tie certain:
            # there the runs' own spreads stand in, as if the designs had not shared their
            # patients.
            tied = (self.differ > 0) & (var_d <= ROUNDING * (var_a + var_b)) & (
                var_a + var_b > 0) & (n < sign_test_runs(level))
            var_d = np.where(tied, 0.0, var_d)
            se = np.sqrt(np.where(tied, var_a + var_b, var_d) / (n * (n - 1)))
            reduction = (var_a + var_b) / var_d
        diff = (shift + ra) - (shift[self.base][None, :] + rb)
        return n, diff, np.where(n > 1, se, np.nan), np.where(var_d > 0, reduction, np.nan)

    def _base_spread(self) -> tuple[np.ndarray, np.ndarray]:
        """The base point's ratio over the runs paired with each point (on the shifted
        scale) and its sum of squared residuals, which the difference's variance and the
        base's own interval both rest on."""
        with np.errstate(invalid="ignore", divide="ignore"):
            rb = self.yb / self.xb
            return rb, np.maximum(self.yyb - 2 * rb * self.xyb + rb * rb * self.xxb, 0.0)

    def baseline(self, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(the base point's pooled estimate, its standard error, its pooled weight) over
        the runs paired with each point: where a point has fewer runs than the base (a
        sweep whose points stop at different counts), its difference is against this
        mean, not the base's mean over all its runs."""
        n = self.n
        rb, ubb = self._base_spread()
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(ubb / (n * (n - 1))) / (self.xb / n)
        estimate = np.where(n > 0, np.nan_to_num(shift[self.base])[None, :] + rb, np.nan)
        return estimate, np.where(n > 1, se, np.nan), self.xb


def no_event_limit(exposure: float | np.ndarray, level: float = 0.95) -> float | np.ndarray:
    """The exact Poisson upper limit of a rate with no events over ``exposure`` (days, or
    runs), taken two-sided at ``level`` as the binomial edge is: -ln((1 - level) / 2) /
    exposure, 3.7 / exposure at 95 %."""
    level = confidence("level", level)
    return -math.log((1.0 - level) / 2) / exposure


def intervals(estimate: np.ndarray, se: np.ndarray, n: np.ndarray, bounds: np.ndarray | str,
              level: float = 0.95, trials: np.ndarray | None = None,
              exposure: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits that respect each value's range: ``real`` (estimate +- t se),
    ``nonnegative`` (on the log scale) or ``share`` (on the logit scale); an estimate on
    the edge of its range, or with no spread, gets the point itself as its interval.

    Except a share on its edge where ``trials`` (the pooled denominator: calls, needs,
    consultations over every run) is given: 0 of them abandoned in three runs is no proof
    that none ever is, so it gets the exact binomial limit of 0 (or all) of ``trials``,
    e.g. [0, 3.7 %] for 0 of 100 at 95 %. Across runs the spread is zero there, and a
    point interval made a capacity search count a target as confidently met on a few
    dozen patients. The limit takes the pooled contacts as independent, which calls of
    one busy morning are not, so it is the least the uncertainty can be; give ``trials``
    as NaN where the denominator is not a count (minutes).

    Likewise a count of events at 0 where ``exposure`` (the pooled days, or runs for a
    count per run) is given: no patient turned away in 320 measured days is no proof that
    none ever is, so it gets the exact Poisson limit of 0 events over that exposure,
    [0, -ln((1 - level) / 2) / exposure] (0.0115 a day over 320 days at 95 %), taken
    two-sided as the binomial edge is. Give ``exposure`` as NaN where the figure is not a
    count of events (minutes, appointments in the book, a trend)."""
    # the t quantile from scipy.special (what scipy.stats.t.ppf computes, without
    # importing scipy.stats), imported here: runs and their workers need it only for a
    # summary, not to simulate
    from scipy.special import stdtrit

    level = confidence("level", level)
    estimate, se, n = (np.asarray(a, dtype=float) for a in (estimate, se, n))
    bounds = np.broadcast_to(np.asarray(bounds, dtype=object), estimate.shape)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        t = stdtrit(np.where(n > 1, n - 1, np.nan), 0.5 + level / 2)
        half = t * se
        low, high = estimate - half, estimate + half
        positive = estimate > 0
        ratio = np.where(positive, half / np.where(positive, estimate, 1.0), np.nan)
        log_low, log_high = estimate * np.exp(-ratio), estimate * np.exp(ratio)
        inside = (estimate > 0) & (estimate < 1)
        m = np.where(inside, estimate, 0.5)
        logit = np.log(m / (1 - m))
        spread = half / (m * (1 - m))
        share_low = 1 / (1 + np.exp(-(logit - spread)))
        share_high = 1 / (1 + np.exp(-(logit + spread)))
    is_share = bounds == "share"
    is_nonneg = bounds == "nonnegative"
    low = np.where(is_share, np.where(inside, share_low, estimate),
                   np.where(is_nonneg, np.where(positive, log_low, estimate), low))
    high = np.where(is_share, np.where(inside, share_high, estimate),
                    np.where(is_nonneg, np.where(positive, log_high, estimate), high))
    flat = (se == 0) & np.isfinite(estimate)
    low = np.where(flat, estimate, low)
    high = np.where(flat, estimate, high)
    if trials is not None:
        count = np.broadcast_to(np.asarray(trials, dtype=float), estimate.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            edge = 1.0 - ((1.0 - level) / 2) ** (1.0 / count)  # Clopper-Pearson, 0 of count
        usable = is_share & (count > 0) & np.isfinite(count)
        high = np.where(usable & (estimate == 0), edge, high)
        low = np.where(usable & (estimate == 1), 1.0 - edge, low)
    if exposure is not None:
        days = np.broadcast_to(np.asarray(exposure, dtype=float), estimate.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = no_event_limit(days, level)
        usable = is_nonneg & (days > 0) & np.isfinite(days) & (estimate == 0)
        low = np.where(usable, 0.0, low)
        high = np.where(usable, rate, high)
    missing = ~np.isfinite(se)
    return np.where(missing, np.nan, low), np.where(missing, np.nan, high)
