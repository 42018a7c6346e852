import re

import numpy as np
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


def test_the_summary_of_too_few_runs_says_what_their_intervals_are_worth():
    """One run has no interval at all (its lines show none), which the note says, rather
    than calling absent intervals rough; 2-9 runs have rough ones; 10 none."""
    import pandas as pd

    from sim.report import text_summary
    empty = pd.DataFrame(columns=["metric", "role", "activity", "weekday", "mean", "ci_low",
                                  "ci_high", "n"])
    notes = [text_summary(empty, "t", 1, runs).splitlines()[2] for runs in (1, 3, 10)]
    assert notes == ["Note: one run gives no confidence intervals (they come from the spread "
                     "between runs); use -r 10 or more.",
                     "Note: with 3 runs the intervals are rough; use -r 10 or more before "
                     "relying on them.", ""]


def test_a_warm_up_shorter_than_the_scenarios_is_noted(tmp_path):
    """A run starts with an empty book: after 1 week of warm-up where the scenario sets 4,
    the book still fills in the measured weeks, and the report read its trend as a book
    'filling up ... waits would keep lengthening'. The terminal and the saved run's report
    both say why that may be the filling."""
    import pandas as pd

    from sim.cli import main
    from sim.report import short_warmup_note, text_summary
    empty = pd.DataFrame(columns=["metric", "role", "activity", "weekday", "mean", "ci_low",
                                  "ci_high", "n"])
    note = ("Note: 1 week of warm-up, fewer than the 4 the scenario sets: the appointment "
            "book may still be filling as the measured weeks begin, and a book that seems "
            "to grow may only be filling; use --warmup-weeks 4.")
    assert text_summary(empty, "t", 1, 10, 2, 1, 4).splitlines()[2] == note
    assert note not in text_summary(empty, "t", 1, 10, 2, 4, 4)
    assert short_warmup_note([(0, 0), (0, 2)], "{} weeks").startswith(
        "Note: 0 weeks of warm-up, fewer than the 2")
    assert short_warmup_note([(4, 4), (4, 2)], "{}") == ""
    # designs that each ran the warm-up their own file sets: nothing short
    assert short_warmup_note([(1, 1), (2, 2)], "{}") == ""
    saved = tmp_path / "saved"
    assert main(["run", "-r", "1", "--weeks", "1", "--warmup-weeks", "0", "--save",
                 str(saved)]) == 0
    assert main(["report", str(saved), "-o", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "0 weeks of warm-up, fewer than the 4 the scenario sets" in page


def test_the_summary_never_cuts_a_label_or_an_activity_name():
    """A label longer than the label column is wrapped between words, its figures on its
    last line; the staff table names each activity whole (it used to print "being super"
    and "Planned needs turned away (no slot in time; pre-tests in")."""
    import pandas as pd

    from sim.labels import metric_info
    from sim.report import LABEL, text_summary
    from sim.scenario.schema import ACTIVITIES
    rows = [dict(metric="turned_away", role=None, activity=None, weekday=None, mean=1.5,
                 ci_low=1.0, ci_high=2.0, n=10),
            dict(metric="tnaa_days", role="a_role_with_a_rather_long_name", activity=None,
                 weekday=None, mean=0.5, ci_low=0.4, ci_high=0.6, n=10)]
    rows += [dict(metric="time_use_min", role="nurse", activity=a, weekday=None, mean=10.0,
                  ci_low=9.0, ci_high=11.0, n=10) for a in ACTIVITIES]
    text = text_summary(pd.DataFrame(rows), "t", 1, 10)
    label = metric_info("turned_away")[0]
    assert len(label) > LABEL
    words = " ".join(text.split())
    assert label in words and f"{metric_info('tnaa_days')[0]}: a_role_with_a_rather_long_name" \
        in words
    figure_line = next(line for line in text.splitlines() if "needs/day" in line)
    assert "[1.0, 2.0]" in figure_line and label.split()[-1] in figure_line
    header = text.splitlines()[text.splitlines().index(
        "Staff time use, minutes per day (all people in the role; means)") + 1:][:2]
    for activity in ACTIVITIES:
        assert all(word in " ".join(header).split() for word in activity.split("_"))


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
    for seed in (1.5, "1", -1, True, 2**63):  # 1.5 was once cut to 1, giving seed 1's runs
        with pytest.raises(ValueError, match="^seed must be a whole number from 0 to 2\\^63-1"):
            run_replications(scenario, 1, seed=seed)
    for name in ("weeks", "warmup_weeks"):  # as a scenario's calendar and the command line
        with pytest.raises(ValueError, match=f"^{name} must be at most 520"):
            run_replications(scenario, 1, **{name: 521})
    with pytest.raises(TypeError, match="a Scenario, a bundled name or a file"):
        run_replications(42)


def test_the_event_log_flag_is_true_or_false_not_a_text():
    """``event_log="false"`` is true to Python, so it kept every event it said not to
    keep (and 0 or 1 passed too): a flag is a bool (numpy's too), else a TypeError naming
    it and what was found, before any run."""
    import numpy as np

    for wrong, shown in (("false", "str 'false'"), ("True", "str 'True'"), (0, "int 0"),
                         (1, "int 1"), (None, "NoneType None")):
        with pytest.raises(TypeError, match=f"^event_log must be True or False, not "
                                            f"{re.escape(shown)}$"):
            run_replications("case08", 1, weeks=1, warmup_weeks=0, event_log=wrong)
    kept = run_replications("case08", 1, weeks=1, warmup_weeks=0, event_log=np.True_)
    left = run_replications("case08", 1, weeks=1, warmup_weeks=0, event_log=np.False_)
    assert kept.events is not None and left.events is None
    from sim import simulate_day

    with pytest.raises(TypeError, match="^event_log must be True or False, not str 'false'$"):
        simulate_day("case08", seed=1, event_log="false")


def test_every_public_function_takes_a_scenario_as_run_replications_does(tmp_path):
    """A bundled name or a file is loaded wherever a scenario is taken (with_changes,
    scenario_warnings and simulate_day failed on a missing attribute); anything else is a
    TypeError naming the argument and what it takes."""
    from sim import find_capacity, scenario_warnings, simulate_day, with_changes

    default = load_scenario("default")
    file = tmp_path / "mine.yaml"
    file.write_text("extends: default\nname: Mine\n")
    for given in ("default", file, str(file)):
        assert with_changes(given, {"staff.nurse.count": 4}).staff["nurse"].count == 4
        assert scenario_warnings(given) == scenario_warnings(default)
    assert repr(simulate_day("default", seed=1).contacts) == \
        repr(simulate_day(default, seed=1).contacts)  # repr: a record's NaN equals itself
    results = run_replications(default, 1, weeks=1, warmup_weeks=0)
    for call in (lambda: with_changes(results, {}), lambda: scenario_warnings(results),
                 lambda: simulate_day(results, seed=1), lambda: run_replications(results),
                 lambda: find_capacity(results)):
        with pytest.raises(TypeError, match=r"^scenario must be a Scenario, a bundled name "
                                            r"or a file, not ReplicationResults \(its "
                                            r"\.scenario is one"):
            call()
    with pytest.raises(TypeError, match="^scenario must be .*, not dict$"):
        with_changes({"name": "x"}, {})


def test_the_public_modules_are_reached_from_the_package_on_first_use():
    """``import sim; sim.plots`` raised AttributeError though ``from sim import plots``
    worked, and dir(sim) left out plots, __version__ and engine_build. A fresh interpreter:
    the modules are reached as attributes, listed, and imported only on first use
    (importing sim must not import matplotlib: every command would start slower)."""
    import subprocess
    import sys

    code = ("import sys, sim; listed = dir(sim); before = 'matplotlib' in sys.modules; "
            "print(before, sim.plots.__name__, sim.html_report.__name__, "
            "callable(sim.capacity.find_capacity), sorted(set(sim.__all__) - set(listed)), "
            "[n for n in ('plots', 'html_report', '__version__', 'engine_build') "
            "if n not in listed])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip().split(maxsplit=4)
    assert out == ["False", "sim.plots", "sim.html_report", "True", "[] []"]


def test_a_bundled_name_runs_and_the_results_read_in_a_line():
    results = run_replications("case08", 2, weeks=1, warmup_weeks=0)
    assert repr(results) == ("<ReplicationResults 'Case 08: Midtjysk delepraksis': 2 runs of "
                             "1 week, seed 1; tables: metrics, staff, days>")
    with pytest.raises(ValueError, match="^level must be a number between 0 and 1"):
        results.summary(level=95)


def test_every_confidence_level_a_notebook_gives_is_checked_by_name():
    """``results.summary(level="0.9")`` failed on Python's '<' between int and str, the
    comparison's paired summary on a "math domain error", and summarise and
    time_use_table gave a table for a level of 95. Every public function and method
    taking a confidence level refuses what is not one with a ValueError naming it."""
    from types import SimpleNamespace

    from sim import plots, summarise
    from sim.compare import Comparison, paired
    from sim.estimators import PairedSums, intervals, no_event_limit, sign_test_runs
    from sim.experiment.stats import PointSummary, summarise_parts
    from sim.metrics import SummaryStream

    results = run_replications("case08", 2, weeks=1, warmup_weeks=0)
    other = run_replications("case08", 2, weeks=1, warmup_weeks=0)
    stream = SummaryStream()
    stream.add(results.metrics)
    points = PointSummary([0, 1], 0)
    points.add_parts([(0, results.metrics), (1, other.metrics)])
    no_parts = SimpleNamespace(completed=lambda: [])  # a sweep's store before any run
    sums = PairedSums(2, 0)
    sums.add(np.array([[1.0, 2.0, 3.0], [2.0, 2.5, 4.0]])[:, :, None], np.ones((2, 3, 1)),
             np.zeros((2, 1)))
    calls = {
        "ReplicationResults.summary": lambda level: results.summary(level=level),
        "summarise": lambda level: summarise(results, level),
        "SummaryStream.table": lambda level: stream.table(level),
        "SummaryStream.practice_intervals": lambda level: stream.practice_intervals(level),
        "PointSummary.table": lambda level: points.table(level),
        "summarise_parts": lambda level: summarise_parts(no_parts, 0, level),
        "paired": lambda level: paired([results, other], ["a", "b"], 0, level),
        "Comparison.summary": lambda level: Comparison(["a", "b"], [results, other])
        .summary(level),
        "time_use_table": lambda level: plots.time_use_table(results, level),
        "paired_summary": lambda level: plots.paired_summary({"a": results, "b": other},
                                                             level=level),
        # the estimators under them, which a researcher may call on their own sums
        "intervals": lambda level: intervals(np.array([1.0]), np.array([0.1]),
                                             np.array([5]), "nonnegative", level),
        "sign_test_runs": lambda level: sign_test_runs(level),
        "no_event_limit": lambda level: no_event_limit(320.0, level),
        "PairedSums.estimate": lambda level: sums.estimate(np.zeros((2, 1)), level),
    }
    for name, call in calls.items():
        call(0.9)  # a level is taken as it was
        for wrong in ("0.9", 95, 0, 1, True, None, float("nan")):
            with pytest.raises(ValueError, match=re.escape(
                    f"level must be a number between 0 and 1 (exclusive), such as 0.95, "
                    f"not {wrong!r}")):
                call(wrong)


def test_results_compare_as_objects_not_table_by_table():
    """``results == other`` raised pandas' "truth value of a DataFrame is ambiguous":
    results are equal only to themselves, and may key a mapping."""
    one = run_replications("default", 2, weeks=1, warmup_weeks=0)
    again = run_replications("default", 2, weeks=1, warmup_weeks=0)
    assert one == one and one != again and again not in [one]
    assert {one: "today", again: "again"}[again] == "again"
    assert one.metrics.equals(again.metrics)  # the same runs: their tables tell


def test_a_scenario_and_a_day_read_in_a_line():
    """A notebook cell ending with a scenario showed 19,000 characters, one ending with a
    day 72,000: each reads in a line now, while the scenario's fields and JSON are as
    they were."""
    import json

    from sim import simulate_day
    from sim.scenario import Scenario

    default = load_scenario("default")
    assert repr(default) == ("<Scenario 'Default medium practice': 6,000 patients; staff "
                             "2 secretary, 3 gp, 3 nurse, 1 hca>")
    # people in on no day are counted apart, as validate's head count does
    away = default.staff["nurse"].model_copy(update={"days": [], "periods": []})
    idle = default.model_copy(update={"staff": {**default.staff, "nurse": away}})
    assert repr(idle) == ("<Scenario 'Default medium practice': 6,000 patients; staff "
                          "2 secretary, 3 gp, 1 hca; 3 on staff who work no day>")
    dumped = default.model_dump_json()
    assert "<Scenario" not in dumped and json.loads(dumped)["name"] == default.name
    assert Scenario.model_validate_json(dumped) == default
    assert default.model_dump()["population"]["list_size"] == 6000
    day = simulate_day(default, seed=1)
    assert repr(day) == ("<DayRecords day 0 (mon, week 1): 283 contacts arisen, 197 reached "
                         "an outcome, 131 calls, 9 staff; backlog 78>")
    assert repr(simulate_day("case08", seed=1, event_log=True)).endswith("; event log>")


def test_every_public_name_and_method_says_what_it_does():
    """``help()`` in a notebook: every name ``sim`` exports, and every public method of
    its classes (ReplicationResults.load had no docstring), has a docstring of its own
    (a dataclass's generated signature is not one)."""
    import inspect

    import sim

    missing = []
    for name in sim.__all__:
        obj = getattr(sim, name)
        members = [(name, obj)]
        if inspect.isclass(obj):
            members += [(f"{name}.{m}", getattr(obj, m)) for m in vars(obj)
                        if not m.startswith("_") and callable(getattr(obj, m))]
        missing += [label for label, member in members
                    if not (member.__doc__ or "").strip()
                    or member.__doc__.startswith(f"{getattr(member, '__name__', '')}(")]
    assert missing == []


def test_summarise_and_overall_name_the_table_they_take():
    from sim import summarise

    results = run_replications("default", 2, weeks=1, warmup_weeks=0)
    with pytest.raises(ValueError, match=r"summarise's table, the runs' rows \(results.metrics"):
        summarise(results.summary())
    with pytest.raises(ValueError, match="overall's table, a summary .* lacks the columns"):
        overall(results.summary().drop(columns=["role"]))


def test_every_function_taking_a_scenario_takes_a_name(tmp_path):
    """The README says every function that takes a scenario also takes a bundled name or
    a file; the time charts, the phone picture, the roster's weeks, explain and gp_fte
    failed on a missing attribute of a text."""
    from sim import plots
    from sim.capacity import gp_fte
    from sim.explain import explain

    results = run_replications("default", 1, weeks=1, warmup_weeks=0, event_log=True)
    loaded = load_scenario("default")
    assert plots.roster_weeks("case08") == plots.roster_weeks(load_scenario("case08"))
    assert gp_fte("default") == gp_fte(loaded)
    assert explain("tnaa_days", "default") == explain("tnaa_days", loaded)
    for draw in (lambda s: plots.time_use(results.metrics, scenario=s),
                 lambda s: plots.phone_queue(results.events, scenario=s),
                 lambda s: plots.staff_gantt(results.timeline, staff=results.day_staff,
                                             scenario=s)):
        assert draw("default") is not None
    with pytest.raises(TypeError, match="scenario must be a Scenario, a bundled name or a file"):
        plots.time_use(results.metrics, scenario=results)


def test_the_event_log_gives_no_one_as_a_missing_value():
    """A contact no one saw had ``seen_by`` "" beside a missing ``t_seen``, and an event of
    no person's ``staff_id`` "": ``isna()`` missed them, and a Parquet file stored them as
    a person called "". They are missing, as every other column without a value."""
    results = run_replications("default", 1, weeks=1, warmup_weeks=0, event_log=True)
    contacts, events = results.contacts, results.events
    unseen = contacts[contacts["t_seen"].isna()]
    assert len(unseen) > 0 and unseen["seen_by"].isna().all() \
        and unseen["seen_by_id"].isna().all()
    seen = contacts[contacts["t_seen"].notna()]
    assert seen["seen_by"].notna().all() and seen["seen_by_id"].notna().all()
    assert events["staff_id"].isna().any() and not (events["staff_id"] == "").any()
    assert not (contacts[["seen_by", "seen_by_id"]] == "").any().any()
