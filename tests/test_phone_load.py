"""The busiest phone hour's load, from inputs alone: the arithmetic a consultant can
check, and what the simulated phone does with it."""
from __future__ import annotations

import pytest

from sim import load_scenario, scenario_from_dict
from sim.engine import CompiledScenario, RunCalendar, simulate_run
from sim.phone_load import (busiest_phone_hour, load_sentence, phone_hours, phone_weeks,
                             week_sentence)
from tests.conftest import raw

CALLS_A_DAY = 30
TRIAGE_MIN = 4


def one_phone_hour(secretaries: int):
    """Calls only, all between 08:00 and 09:00, on every weekday alike; ``secretaries``
    on the phone 08:00-09:00, each call a fixed 4 minutes, callers patient for ever."""
    d = raw("default")
    working_days = d["clinic"]["working_days_per_year"]
    list_size = d["population"]["list_size"]
    for stream in d["demand"].values():
        stream["per_patient_year"] = 0.0
    d["population"].update(share_70plus=d["population"]["reference_share_70plus"],
                           share_morbid=d["population"]["reference_share_morbid"])
    d["demand"]["phone"].update(
        per_patient_year=CALLS_A_DAY * working_days / list_size,
        profile=[{"start": "08:00", "end": "09:00", "weight": 1.0}],
        patience={"dist": "fixed", "value": 600}, redial=None)
    d["calendar"]["demand_by_weekday"] = {}
    d["triage"]["durations"]["secretary"] = {"dist": "fixed", "value": TRIAGE_MIN}
    d["staff"]["secretary"].update(count=secretaries, blocks=[
        {"kind": "phone", "start": "08:00", "end": "09:00"},
        {"kind": "lunch", "start": "12:00", "end": "12:30"}])
    return scenario_from_dict(d)


@pytest.mark.parametrize("secretaries, load", [(1, 2.0), (2, 1.0), (4, 0.5)])
def test_load_is_offered_triage_minutes_over_staffed_minutes(secretaries, load):
    model = CompiledScenario(one_phone_hour(secretaries))
    peak = busiest_phone_hour(model)
    assert peak.start == 8 * 60 and peak.line == "main"
    assert peak.calls == pytest.approx(CALLS_A_DAY)
    assert peak.offered_min == pytest.approx(CALLS_A_DAY * TRIAGE_MIN)
    assert peak.staffed_min == pytest.approx(60 * secretaries)
    assert peak.load == pytest.approx(load)
    # no calls after 09:00, and no one on the phone then either
    assert all(h.calls == pytest.approx(0) for h in phone_hours(model) if h.start >= 9 * 60)
    assert f"a load of {load:.2f}" in load_sentence(peak)


@pytest.mark.parametrize("secretaries, load", [(1, 2.0), (4, 0.5)])
def test_the_week_sums_every_hour_of_the_line(secretaries, load):
    """The week's load is its triage minutes over its staffed minutes on that line: here
    the same single hour on each of the week's working days."""
    scenario = one_phone_hour(secretaries)
    days = len(scenario.calendar.weekdays)
    model = CompiledScenario(scenario)
    (week,) = phone_weeks(model)
    assert week.line == "main"
    assert week.calls == pytest.approx(CALLS_A_DAY * days)
    assert week.offered_min == pytest.approx(CALLS_A_DAY * TRIAGE_MIN * days)
    assert week.staffed_min == pytest.approx(60 * secretaries * days)
    assert week.load == pytest.approx(load)
    text = week_sentence(week, busiest_phone_hour(model))
    assert f"a load of {load:.2f}" in text
    assert ("more phone hours are needed" in text) == (load > 1)
    # every hour is the busiest here: below 1 it is not short of people either
    assert ("short of people" in text) is False
    assert ("not for want of phone hours" in text) == (load <= 1)


def test_a_line_no_one_answers_is_said_in_words_not_as_an_infinite_load():
    from sim.phone_load import PhoneWeek

    text = week_sentence(PhoneWeek("acute", 20.0, 80.0, 0.0))
    assert text == ("Over an average week its acute line gets about 20 calls and no one "
                    "answers it in any hour.")


def test_a_peak_above_one_can_sit_in_a_week_below_it():
    """Case 12's Monday 09-10 is offered more than its secretary can do (1.47), yet over
    the week its phone hours would answer every first ring if calls came evenly."""
    model = CompiledScenario(load_scenario("case12"))
    assert busiest_phone_hour(model).load > 1
    (main,) = [w for w in phone_weeks(model) if w.line == "main"]
    assert main.load < 1
    assert "it is the peak that is short of people" in week_sentence(
        main, busiest_phone_hour(model))


def test_above_a_load_of_one_the_hour_cannot_answer_every_call():
    """One secretary, load 2: of 30 calls in the hour, at most 15 are answered in it; the
    rest wait past 09:00, when the phone closes, and are lost. With four (load 0.5) nearly
    all are answered (a call in the hour's last minutes may find everyone busy)."""
    for secretaries, most in ((1, 60 // TRIAGE_MIN + 1), (4, None)):
        scenario = one_phone_hour(secretaries)
        model = CompiledScenario(scenario)
        calendar = RunCalendar(scenario.calendar, weeks=2, warmup_weeks=0)
        rings = answered = 0
        for records in simulate_run(model, 1, 0, calendar):
            day_answered = [c for c in records.calls if c[2] == c[2]]
            rings += len(records.calls)
            answered += len(day_answered)
            if most is not None:
                assert len(day_answered) <= most
        if most is None:
            assert answered >= 0.95 * rings
        else:
            assert answered < 0.6 * rings


def test_validate_notes_a_phone_offered_more_than_it_can_do(capsys):
    from sim.cli import main

    assert main(["validate", "case10", "case16"]) == 0
    out = capsys.readouterr().out
    assert "a load of 1.75 before any redial" in out  # case 10: one nurse, Monday 08-09
    assert "a load of 1.01, more than its people can do in all their phone hours" in out
    assert out.count("note:") == 1                    # case 16's busiest hour is 0.68


def test_run_ends_with_the_phone_note_where_the_busiest_hour_is_overloaded(capsys):
    """A consultant reading 40 % of calls abandoned sees why, in words, under the summary;
    a phone that copes in every hour gets no note."""
    from sim.cli import main

    assert main(["run", "case10", "-r", "1", "--weeks", "1", "--warmup-weeks", "0"]) == 0
    out = capsys.readouterr().out
    assert "The phone, from the scenario's inputs alone:" in out
    assert "a load of 1.75 before any redial" in " ".join(out.split())
    assert main(["run", "case16", "-r", "1", "--weeks", "1", "--warmup-weeks", "0"]) == 0
    assert "The phone, from the scenario's inputs alone:" not in capsys.readouterr().out


def test_a_week_near_full_load_is_said_to_have_little_to_spare():
    """Random calls queue long as the load nears 1 (Erlang C), so a week at 0.95 is not
    called enough, whether or not its busiest hour is over 1."""
    from sim.phone_load import PhoneHour, PhoneWeek

    near, easy = PhoneWeek("main", 100.0, 950.0, 1000.0), PhoneWeek("main", 100.0, 500.0, 1000.0)
    calm_peak = PhoneHour("mon", 480.0, "main", 10.0, 55.0, 60.0)
    busy_peak = PhoneHour("mon", 480.0, "main", 10.0, 90.0, 60.0)
    for peak in (calm_peak, busy_peak):
        assert "little to spare" in week_sentence(near, peak)
        assert "little to spare" not in week_sentence(easy, peak)
    assert "not for want of phone hours" not in week_sentence(near, calm_peak)
