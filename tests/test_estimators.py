"""Estimates across runs: pooled means, intervals that respect a metric's range, and their
coverage measured by simulation from known truths."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.estimators import MIN_RUNS_FOR_INTERVALS, RatioSums, intervals
from sim.metrics import summarise

TRIALS = 1500
#: Coverage must be within this of 95 % (about 2.5 binomial standard errors at TRIALS).
SLACK = 0.014


def estimate(values: np.ndarray, weights: np.ndarray):
    sums = RatioSums(1)
    sums.add(values[None, :, None], weights[None, :, None])
    n, est, se = sums.estimate()
    return n[0, 0], est[0, 0], se[0, 0]


def coverage(generator, truth: float, runs: int, bounds: str, seed: int = 3):
    """Share of trials whose interval holds ``truth``, and the lowest and highest limits
    seen (to check the range)."""
    rng = np.random.default_rng(seed)
    hits, lowest, highest = 0, math.inf, -math.inf
    for _ in range(TRIALS):
        values, weights = generator(rng, runs)
        n, est, se = estimate(values, weights)
        low, high = intervals(np.array([est]), np.array([se]), np.array([n]), bounds)
        hits += low[0] <= truth <= high[0]
        lowest, highest = min(lowest, low[0]), max(highest, high[0])
    return hits / TRIALS, lowest, highest


def daily_counts(rate: float, days: int):
    """A per-day count: each run's mean over its days of Poisson(rate) counts."""
    return lambda rng, n: (rng.poisson(rate, (n, days)).mean(axis=1), np.full(n, float(days)))


def call_shares(p: float, calls: float):
    """A pooled share: each run's share of its calls (Poisson many) with the event."""
    def draw(rng, n):
        offered = rng.poisson(calls, n)
        events = rng.binomial(offered, p)
        return events / np.maximum(offered, 1), offered.astype(float)
    return draw


def waits(mean: float, calls: float):
    """A pooled per-call mean: each run's mean wait over its calls, weighted by calls."""
    def draw(rng, n):
        offered = rng.poisson(calls, n)
        total = np.array([rng.exponential(mean, k).sum() for k in offered])
        return total / np.maximum(offered, 1), offered.astype(float)
    return draw


CASES = [
    ("calls a day", daily_counts(40.0, 40), 40.0, "nonnegative"),
    ("a rare count (turned away, 0.2 a day, one-week runs)", daily_counts(0.2, 5), 0.2,
     "nonnegative"),
    ("abandonment (18 % of 600 calls)", call_shares(0.18, 600), 0.18, "share"),
    ("a rare share (2 % of 20)", call_shares(0.02, 20), 0.02, "share"),
    ("mean wait per call", waits(2.0, 50), 2.0, "nonnegative"),
]


@pytest.mark.parametrize("name, generator, truth, bounds", CASES, ids=[c[0] for c in CASES])
def test_intervals_cover_the_truth_from_the_documented_number_of_runs(name, generator, truth,
                                                                       bounds):
    for runs in (MIN_RUNS_FOR_INTERVALS, 2 * MIN_RUNS_FOR_INTERVALS):
        share, lowest, highest = coverage(generator, truth, runs, bounds)
        assert share >= 0.95 - SLACK, (name, runs, share)
        assert lowest >= 0.0, (name, runs, lowest)
        if bounds == "share":
            assert highest <= 1.0, (name, runs, highest)


def test_intervals_never_leave_the_range_even_with_two_runs():
    """Two runs of calls a day that differ a lot: a t-interval would go below zero (the
    issue's "Calls offered 40.5 [-42.1, 123.1]"); the log-scale one does not."""
    values, weights = np.array([0.0, 81.0]), np.array([40.0, 40.0])
    n, est, se = estimate(values, weights)
    t_low = est - stats.t.ppf(0.975, 1) * se
    assert t_low < 0
    low, high = intervals(np.array([est]), np.array([se]), np.array([n]), "nonnegative")
    assert 0 < low[0] < est < high[0]
    low, high = intervals(np.array([0.9]), np.array([0.2]), np.array([2]), "share")
    assert 0 < low[0] < 0.9 < high[0] < 1


#: Trials for the capacity search's first look: its misses are rare, so many are needed.
EARLY_TRIALS = 40_000
#: The most a side of the first look's interval may miss the truth: well under the 2.5 % a
#: side the search's 95 % allows on its last look.
EARLY_MISS = 0.01


@pytest.mark.parametrize("name, generator, truth, bounds", CASES, ids=[c[0] for c in CASES])
def test_the_capacity_searchs_first_look_rarely_misses_a_side(name, generator, truth,
                                                                 bounds):
    """The capacity search ends a list size when half its first runs already miss a target
    at INTERIM_CONFIDENCE. With so few runs the intervals are rough (see above), so the
    look is strict: on either side (a target missed from above or from below) its
    interval leaves out the truth less than EARLY_MISS of the time."""
    from sim.capacity import INTERIM_CONFIDENCE, INTERIM_RUNS

    rng = np.random.default_rng(11)
    values, weights = generator(rng, INTERIM_RUNS * EARLY_TRIALS)  # runs are independent
    values = values.reshape(EARLY_TRIALS, INTERIM_RUNS).T
    weights = weights.reshape(EARLY_TRIALS, INTERIM_RUNS).T
    sums = RatioSums(1)
    sums.add(values[None], weights[None])
    n, est, se = (a[0] for a in sums.estimate())
    trials = weights.sum(axis=0) if bounds == "share" else None  # as the summary passes them
    low, high = intervals(est, se, n, bounds, INTERIM_CONFIDENCE, trials=trials)
    assert np.mean(low > truth) < EARLY_MISS, name
    assert np.mean(high < truth) < EARLY_MISS, name


def test_too_few_runs_undercover_rare_events():
    """Why the summary warns below MIN_RUNS_FOR_INTERVALS runs: with three runs, a rare
    share's interval misses the truth far more often than 5 % of the time."""
    share, _, _ = coverage(call_shares(0.02, 20), 0.02, 3, "share")
    assert share < 0.9


def test_equal_weights_give_the_mean_and_student_t():
    rng = np.random.default_rng(1)
    values = rng.normal(10.0, 2.0, 12)
    n, est, se = estimate(values, np.full(12, 40.0))
    assert est == pytest.approx(values.mean(), rel=1e-12)
    assert se == pytest.approx(values.std(ddof=1) / math.sqrt(12), rel=1e-9)
    low, high = intervals(np.array([est]), np.array([se]), np.array([n]), "real")
    half = stats.t.ppf(0.975, 11) * values.std(ddof=1) / math.sqrt(12)
    assert high[0] - est == pytest.approx(half, rel=1e-9)
    assert est - low[0] == pytest.approx(half, rel=1e-9)


def test_pooled_mean_weighs_busy_runs_more():
    """Per-contact means pool every contact: a quiet run weighs as little as it has calls
    (the mean of daily means would weigh it like a busy one)."""
    values, weights = np.array([1.0, 3.0]), np.array([10.0, 90.0])
    _n, est, _se = estimate(values, weights)
    assert est == pytest.approx((1.0 * 10 + 3.0 * 90) / 100)
    assert est != pytest.approx(values.mean())


def test_a_constant_metric_has_no_spread_and_a_point_interval():
    n, est, se = estimate(np.full(5, 0.0), np.full(5, 3.0))
    low, high = intervals(np.array([est]), np.array([se]), np.array([n]), "nonnegative")
    assert (est, se, low[0], high[0]) == (0.0, 0.0, 0.0, 0.0)


def test_a_design_the_same_as_its_baseline_differs_by_exactly_nothing():
    """A scenario compared with itself: every pair of runs equal. var(a - b) comes out of
    sums of squares as rounding (about 1e-16 of var a + var b): it must read as zero, so
    the difference's interval is a point and no variance reduction is claimed."""
    from sim.estimators import PairedSums
    rng = np.random.default_rng(3)
    # figures nearly the same in every run (a day's staff cost, moved only by overtime):
    # their variance is rounding, which can come out below zero
    one = (rng.uniform(100, 30000, size=(1, 1, 200))
           + np.where(rng.random((1, 6, 200)) < 0.5, 0.0, rng.uniform(0, 1e-3, (1, 6, 200))))
    weights = np.ones((2, 6, 200))
    values = np.concatenate([one, one])  # point 1 is point 0 run for run
    sums, paired = RatioSums(2), PairedSums(2, 0)
    sums.add(values, weights)
    paired.add(values, weights, sums.shift)
    n, diff, se, reduction = paired.estimate(sums.shift)
    assert (diff[1] == 0).all() and (se[1] == 0).all()
    assert np.isnan(reduction[1]).all()
    low, high = intervals(diff[1], se[1], n[1], "real")
    assert (low == 0).all() and (high == 0).all()
    # a real difference, however small beside the runs' own spread, keeps its interval:
    # one run of one figure off by 0.01 in 20,000 is no certain difference
    values[1, 2, 7] += 0.01
    sums, paired = RatioSums(2), PairedSums(2, 0)
    sums.add(values, weights)
    paired.add(values, weights, sums.shift)
    n, diff, se, _reduction = paired.estimate(sums.shift)
    low, high = intervals(diff[1], se[1], n[1], "real")
    assert se[1, 7] > 0 and low[7] < 0 < high[7]
    assert (se[1, :7] == 0).all()  # the other figures are still the same in every run
    # a real spread of the differences is kept
    values[1] *= 1 + 0.01 * rng.standard_normal((6, 200))
    sums, paired = RatioSums(2), PairedSums(2, 0)
    sums.add(values, weights)
    paired.add(values, weights, sums.shift)
    assert (paired.estimate(sums.shift)[2][1] > 0).all()


def test_a_difference_the_same_in_every_pair_has_no_spread():
    """A staff cost per listed patient is set by the staff and the list: 75 DKK more in
    every pair of runs. Its sums of squares leave rounding of about 1e-16 of its square,
    which read as a spread gave an interval of [75, 75] with 'difference / half-width'
    of 3e8 and a variance reduction of 6e15; it is none."""
    from sim.estimators import PairedSums
    rng = np.random.default_rng(5)
    # figures the same in every run up to rounding, pooled with uneven weights
    base = (rng.uniform(100, 30000, size=(1, 1, 50)) * np.ones((1, 8, 50))
            * (1 + 1e-15 * rng.standard_normal((1, 8, 50))))
    values = np.concatenate([base, base + 75.0])
    weights = np.concatenate([rng.choice([1.0, 5.0], size=(1, 8, 50))] * 2)
    sums, paired = RatioSums(2), PairedSums(2, 0)
    sums.add(values, weights)
    paired.add(values, weights, sums.shift)
    n, diff, se, reduction = paired.estimate(sums.shift)
    assert np.allclose(diff[1], 75.0) and (se[1] == 0).all() and np.isnan(reduction[1]).all()
    # a real spread of a millionth of the mean is kept
    values[1, 3, :] += 1e-6 * values[1, 3, :]
    sums, paired = RatioSums(2), PairedSums(2, 0)
    sums.add(values, weights)
    paired.add(values, weights, sums.shift)
    n, diff, se, _reduction = paired.estimate(sums.shift)
    assert (se[1] > 0).all()


def test_a_tiny_real_difference_keeps_its_interval():
    """Runs that vary a lot (sd 1,000) and a design off by 0.01 in one run of ten: the
    difference is tiny beside the runs' spread, but real, so its interval straddles it
    and is no point (a threshold relative to the runs' variance took it for rounding)."""
    from sim.estimators import PairedSums
    rng = np.random.default_rng(5)
    base = rng.normal(20000, 1000, size=(1, 10, 1))
    values = np.concatenate([base, base])
    values[1, 4, 0] += 0.01
    weights = np.ones((2, 10, 1))
    sums, paired = RatioSums(2), PairedSums(2, 0)
    sums.add(values, weights)
    paired.add(values, weights, sums.shift)
    n, diff, se, _reduction = paired.estimate(sums.shift)
    low, high = intervals(diff[1], se[1], n[1], "real")
    assert se[1, 0] > 0 and low[0] < 0.001 < high[0] and low[0] < high[0]


def _accumulated(values: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    from sim.estimators import PairedSums
    sums, paired = RatioSums(values.shape[0]), PairedSums(values.shape[0], 0)
    sums.add(values, weights)
    paired.add(values, weights, sums.shift)
    out = {f"ratio_{n}": getattr(sums, n) for n in ("n", "sx", "sy", "sxx", "syy", "sxy",
                                                     "shift")}
    out.update({f"paired_{n}": getattr(paired, n) for n in PairedSums._NAMES})
    return out


def test_a_block_summed_a_few_keys_at_a_time_gives_the_same_bits(monkeypatch):
    """Many runs are summed over a few keys at a time to bound memory; the sums must not
    change in their last bit, so results stay byte-identical."""
    import sim.estimators as estimators
    rng = np.random.default_rng(3)
    shape = (3, 40, 23)
    values = rng.lognormal(0, 2, shape)
    values[rng.random(shape) < 0.1] = np.nan
    weights = rng.integers(0, 50, shape).astype(float)
    whole = _accumulated(values, weights)
    for elements in (3 * 40 * 2, 3 * 40 * 5, 1):
        monkeypatch.setattr(estimators, "CHUNK_ELEMENTS", elements)
        chunks = estimators.key_chunks(shape)
        assert len(chunks) > 1 and all(c.stop - c.start >= 2 for c in chunks)
        assert [i for c in chunks for i in range(c.start, c.stop)] == list(range(shape[2]))
        pieces = _accumulated(values, weights)
        for name, array in whole.items():
            assert np.array_equal(array, pieces[name], equal_nan=True), name


def test_key_chunks_leave_no_lone_key_except_a_single_one():
    from sim.estimators import key_chunks
    assert key_chunks((1, 1, 1)) == [slice(0, 1)]
    for keys in range(2, 40):
        chunks = key_chunks((2, 1 << 14, keys))  # two keys a chunk at most
        assert all(c.stop - c.start >= 2 for c in chunks)
        assert chunks[0].start == 0 and chunks[-1].stop == keys


def test_a_share_on_its_edge_gets_the_exact_binomial_limit_of_its_pooled_count():
    """0 calls abandoned of 100 over three runs has no spread across runs, yet is no proof
    that none ever is: the interval is Clopper-Pearson's [0, 1 - 0.025^(1/100)], not the
    point; all of 100 seen the same day mirrors it; a count given no trials keeps the point."""
    est, se, n = np.array([0.0, 1.0, 0.0]), np.zeros(3), np.full(3, 3)
    bounds = np.array(["share", "share", "nonnegative"], dtype=object)
    low, high = intervals(est, se, n, bounds, trials=np.array([100.0, 100.0, 100.0]))
    edge = 1 - 0.025 ** (1 / 100)
    assert low[0] == 0 and high[0] == pytest.approx(edge) and 0.036 < edge < 0.037
    assert low[1] == pytest.approx(1 - edge) and high[1] == 1
    assert low[2] == high[2] == 0
    low, high = intervals(est, se, n, bounds)
    assert (low == est).all() and (high == est).all()


def test_a_run_summary_gives_a_share_on_its_edge_an_interval():
    """A share of counted calls gets the limit of its pooled count; utilisation, whose
    denominator is minutes, not trials, keeps its point."""
    table = pd.DataFrame({"replication": [0, 1, 2] * 2,
                          "metric": ["abandonment_rate"] * 3 + ["utilisation"] * 3,
                          "role": [None] * 3 + ["nurse"] * 3, "activity": None,
                          "weekday": None, "value": [0.0] * 3 + [1.0] * 3,
                          "weight": [30.0, 40.0, 30.0] + [400.0] * 3})
    rows = summarise(table).set_index("metric")
    calls, busy = rows.loc["abandonment_rate"], rows.loc["utilisation"]
    assert calls["ci_low"] == 0 and calls["ci_high"] == pytest.approx(1 - 0.025 ** (1 / 100))
    assert busy["ci_low"] == busy["ci_high"] == 1


def test_a_count_at_zero_gets_the_exact_poisson_limit_of_its_days():
    """No patient turned away in 320 measured days is no proof that none ever is: the
    interval is [0, -ln(0.025) / 320], the exact Poisson limit of 0 events over the pooled
    days, not [0, 0]; a count above 0, a minutes figure at 0 (no exposure) and a trend at 0
    (not a count, its bounds real) keep their intervals."""
    est = np.array([0.0, 2.0, 0.0, 0.0])
    se, n = np.array([0.0, 0.3, 0.0, 0.0]), np.full(4, 4)
    bounds = np.array(["nonnegative", "nonnegative", "nonnegative", "real"], dtype=object)
    exposure = np.array([320.0, 320.0, np.nan, 320.0])
    low, high = intervals(est, se, n, bounds, exposure=exposure)
    limit = -math.log(0.025) / 320
    assert low[0] == 0 and high[0] == pytest.approx(limit) and 0.0115 < limit < 0.0116
    plain_low, plain_high = intervals(est, se, n, bounds)
    assert low[1:] == pytest.approx(plain_low[1:])
    assert high[1:] == pytest.approx(plain_high[1:])
    assert low[2] == high[2] == 0 and low[3] == high[3] == 0
    # at 90 % the limit is -ln(0.05) / days, as the binomial edge is taken two-sided
    assert intervals(est[:1], se[:1], n[:1], "nonnegative", 0.9, exposure=[320.0])[1][0] \
        == pytest.approx(-math.log(0.05) / 320)


def test_a_run_summary_gives_a_count_at_zero_the_poisson_limit_of_its_pooled_days():
    """A short run of the default practice turns no planned need away and leaves no
    question unanswered: 0.0 [0.0, 0.0] over 20 measured days said the rate is surely
    zero. Now each count at 0 reaches -ln(0.025) over the days its runs measured (the
    weekday's rows over that weekday's days); the work carried over at 0 (a stock at each
    close, not events) and every figure above 0 keep the intervals they had."""
    from sim.experiment.replications import run_replications
    from sim.labels import COUNTED_SHARES, metric_bounds
    from sim.metrics import KEYS, RUN_METRICS, SummaryStream

    results = run_replications("default", 4, 1, weeks=1, warmup_weeks=0)
    summary = results.summary()
    table = results.metrics
    turned = table[table["metric"] == "turned_away"]
    days = turned.loc[turned["weekday"].isna(), "weight"].sum()
    mondays = turned.loc[turned["weekday"] == "mon", "weight"].sum()
    assert days == 20 and mondays == 4
    whole = summary[(summary["metric"] == "turned_away") & summary["role"].isna()
                    & summary["weekday"].isna()].iloc[0]
    assert whole["mean"] == 0 and whole["ci_low"] == 0
    assert whole["ci_high"] == pytest.approx(-math.log(0.025) / days)
    monday = summary[(summary["metric"] == "turned_away") & (summary["weekday"] == "mon")]
    assert monday["ci_high"].iloc[0] == pytest.approx(-math.log(0.025) / mondays)
    unanswered = summary[(summary["metric"] == "questions_unanswered")
                         & summary["weekday"].isna()].iloc[0]
    assert unanswered["mean"] == 0 and unanswered["ci_high"] > 0
    # everything else as intervals without an exposure give it
    from sim.labels import counts_events
    stream = SummaryStream()
    stream.add(table)
    n, est, se = (a[0] for a in stream.sums.estimate())
    bounds = np.array([metric_bounds(label[0]) for label in stream.index], dtype=object)
    shares = np.array([label[0] in COUNTED_SHARES for label in stream.index])
    plain_low, plain_high = intervals(est, se, n, bounds,
                                      trials=np.where(shares, stream.sums.sx[0], np.nan))
    plain = pd.DataFrame(list(stream.index), columns=KEYS).assign(
        plain_low=plain_low, plain_high=plain_high)
    joined = summary.merge(plain, on=KEYS, how="left", validate="one_to_one")
    # every count of events is weighed by its days (5 a run here, 1 a weekday) or is a
    # run's own (1): its pooled weight is the exposure
    events = table[table["metric"].map(counts_events)]
    days_or_run = np.where(events["weekday"].isna(),
                           np.where(events["metric"].isin(RUN_METRICS), 1.0, 5.0), 1.0)
    assert (events["weight"].to_numpy() == days_or_run).all()
    zero_counts = (joined["mean"] == 0) & joined["metric"].map(counts_events)
    assert zero_counts.sum() >= 3 and (joined.loc[zero_counts, "ci_high"] > 0).all()
    kept = joined[~zero_counts & joined["plain_high"].notna()]
    assert len(kept) + zero_counts.sum() == len(summary) > 300
    assert np.allclose(kept["ci_low"], kept["plain_low"], equal_nan=True)
    assert np.allclose(kept["ci_high"], kept["plain_high"], equal_nan=True)
    # the work carried over at a day's close is a stock, not events: at 0 it keeps its point
    stock = joined[(joined["metric"] == "contacts_carried_over") & (joined["mean"] == 0)]
    assert len(stock) > 0 and (stock["ci_low"] == 0).all() and (stock["ci_high"] == 0).all()
    calls = joined[(joined["metric"] == "calls_offered") & joined["weekday"].isna()].iloc[0]
    assert 0 < calls["ci_low"] < calls["mean"] < calls["ci_high"]


def test_counts_of_events_are_the_volume_figures_less_the_day_end_stocks():
    """Calls, contacts, needs and questions a day, and contacts a run, count events; the
    work carried to the next day is a stock at each close (an item waiting a week counts
    on each of its days), as are the backlog and the minutes: those are no events."""
    from sim.labels import counts_events

    for metric in ("calls_offered", "turned_away", "questions_unanswered", "planned_requests",
                   "outcome_line_closed", "outcome_no_show", "outcome_carried_over"):
        assert counts_events(metric), metric
    for metric in ("contacts_carried_over", "backlog_planned", "overtime_min", "tnaa_days",
                   "abandonment_rate", "carried_trend_per_week", "time_use_min"):
        assert not counts_events(metric), metric


def test_a_sweep_gives_a_count_at_zero_the_poisson_limit_beside_its_baseline():
    """A sweep's table (its means and the baseline's over the paired runs) gives a count at
    0 the Poisson limit of its pooled days; its difference from the baseline is a real
    number, 0 [0, 0] where both are 0 in every pair, as before."""
    from sim.experiment.stats import PointSummary

    rows = pd.DataFrame({"point": [0, 0, 0, 1, 1], "replication": [0, 1, 2, 0, 1],
                         "metric": "turned_away", "role": None, "activity": None,
                         "weekday": None, "value": 0.0,
                         "weight": [20.0, 20.0, 20.0, 15.0, 15.0]})
    table = PointSummary([0, 1], 0)
    table.add(rows)
    out = table.table().set_index("point")
    assert out.loc[0, "ci_low"] == 0
    assert out.loc[0, "ci_high"] == pytest.approx(-math.log(0.025) / 60)
    assert out.loc[1, "ci_high"] == pytest.approx(-math.log(0.025) / 30)
    assert out.loc[1, "paired_base_ci_low"] == 0
    assert out.loc[1, "paired_base_ci_high"] == pytest.approx(-math.log(0.025) / 40)
    assert out.loc[1, "diff_ci_low"] == out.loc[1, "diff_ci_high"] == 0


@pytest.mark.parametrize("runs", [2, 3, 5, 6, 10])
def test_a_tie_of_few_pairs_is_no_certain_difference(runs):
    """The appointment book's trend moves in half steps: in two runs, 80.0 against 77.5
    and 74.5 against 72.0 gave a difference of 2.5 [2.5, 2.5], called a clear effect.
    Fewer like pairs than a sign test needs (6 at 95 %) could be a chance tie: the runs'
    own spreads then stand in. From 6 pairs on, a difference the same in every pair (a
    nurse's wage on top of the same overtime) keeps its point interval."""
    from sim.estimators import PairedSums, sign_test_runs

    assert sign_test_runs(0.95) == 6 and sign_test_runs(0.9) == 5
    base = np.array([80.0, 74.5, 77.0, 72.0, 79.0, 75.5, 73.0, 78.0, 76.5, 71.0])[:runs]
    values = np.stack([base, base - 2.5])[:, :, None]
    weights = np.ones_like(values)
    sums, paired = RatioSums(2), PairedSums(2, 0)
    sums.add(values, weights)
    paired.add(values, weights, sums.shift)
    n, diff, se, reduction = paired.estimate(sums.shift)
    low, high = intervals(diff[1], se[1], n[1], "real")
    assert diff[1, 0] == pytest.approx(-2.5) and np.isnan(reduction[1, 0])
    if runs < 6:
        assert low[0] < 0 < high[0]
        assert se[1, 0] == pytest.approx(np.sqrt(2 * np.var(base, ddof=1) / runs))
    else:
        assert low[0] == high[0] == pytest.approx(-2.5)
    # a design the same as its baseline in every run still differs by exactly nothing
    same = np.stack([base, base])[:, :, None]
    sums, paired = RatioSums(2), PairedSums(2, 0)
    sums.add(same, weights)
    paired.add(same, weights, sums.shift)
    assert paired.estimate(sums.shift)[2][1, 0] == 0
