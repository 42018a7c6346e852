import pytest

from sim import load_scenario, run_replications
from sim.metrics import overall


def test_default_scenario_runs_and_conserves_contacts():
    results = run_replications(load_scenario("default"), replications=3, seed=1, weeks=1,
                               warmup_weeks=1)
    summary = overall(results.summary()).set_index("metric")
    assert summary.loc["contacts_arisen", "mean"] > 0


def test_a_summary_never_shows_minus_zero():
    """A trend of -0.00001 a week is shown as 0.0, not -0.0 (nor -0.0 in an interval)."""
    from sim.report import _fmt
    assert _fmt(-1e-5, 1.0, 1) == "0.0"
    assert _fmt(-0.06, 1.0, 1) == "-0.1"
    assert _fmt(-0.004, 100.0, 0) == "0"
    assert _fmt(1234.56, 1.0, 0) == "1,235"


def test_the_summary_counts_its_runs_and_weeks_in_words():
    import pandas as pd

    from sim.report import text_summary
    empty = pd.DataFrame(columns=["metric", "role", "activity", "weekday", "mean", "ci_low",
                                  "ci_high", "n"])
    line = text_summary(empty, "t", 1, 1, weeks=1, warmup_weeks=1).splitlines()[1]
    assert line.startswith("1 run of 1 week (after 1 week of warm-up), seed 1.")
    line = text_summary(empty, "t", 1, 10, weeks=8, warmup_weeks=4).splitlines()[1]
    assert line.startswith("10 runs of 8 weeks (after 4 weeks of warm-up), seed 1.")


def test_the_python_api_refuses_impossible_runs_with_a_plain_message():
    """What a notebook user mistypes is a ValueError naming the argument, before any run
    (negative or zero weeks used to run and return near-empty tables)."""
    scenario = load_scenario("default")
    for wrong, name in ((dict(weeks=-1), "weeks"), (dict(weeks=0), "weeks"),
                        (dict(warmup_weeks=-2), "warmup_weeks"), (dict(jobs=0), "jobs"),
                        (dict(replications=0), "replications"),
                        (dict(first_replication=-1), "first_replication")):
        with pytest.raises(ValueError, match=f"^{name} must be a whole number"):
            run_replications(scenario, **{"replications": 1, **wrong})
    with pytest.raises(TypeError, match="a Scenario, a bundled name or a file"):
        run_replications(42)


def test_a_bundled_name_runs_and_the_results_read_in_a_line():
    results = run_replications("case08", 2, weeks=1, warmup_weeks=0)
    assert repr(results) == ("<ReplicationResults 'Case 08: Midtjysk delepraksis': 2 runs of "
                             "1 week, seed 1; tables: metrics, staff, days>")
    with pytest.raises(ValueError, match="level is a probability"):
        results.summary(level=95)


def test_summarise_and_overall_name_the_table_they_take():
    from sim import summarise

    results = run_replications("default", 2, weeks=1, warmup_weeks=0)
    with pytest.raises(ValueError, match=r"summarise's table, the runs' rows \(results.metrics"):
        summarise(results.summary())
    with pytest.raises(ValueError, match="overall's table, a summary .* lacks the columns"):
        overall(results.summary().drop(columns=["role"]))
