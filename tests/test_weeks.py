"""A practice over weeks: the appointment book behaves as a queue, rosters by weekday,
continuity against speed, the warm-up, and the command line's runs of weeks."""
from __future__ import annotations

import json
import math

import pytest

from sim import load_scenario, run_replications, scenario_from_dict
from sim.cli import main
from sim.engine import CompiledScenario, RunCalendar, simulate_run
from sim.engine.population import Patients
from sim.experiment.warmup import warmup_days
from sim.metrics import overall
from sim.rng import RandomStreams
from tests.conftest import raw

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
SLOT_MIN = 20
#: One nurse with bookable 20-minute slots from 08:00 to 16:00: 24 slots a working day.
SLOTS_A_DAY = (16 - 8) * 60 // SLOT_MIN


def book_only(requests_a_day: float, extra_nurse_days: list[str] | None = None):
    """A practice whose only demand is requests for a later appointment, booked into one
    nurse's slots (fixed 20-minute consultations, no no-shows, follow-ups, reviews or
    notes, a horizon long enough that nothing is turned away)."""
    d = raw("default")
    working_days = d["clinic"]["working_days_per_year"]
    list_size = d["population"]["list_size"]
    for stream in d["demand"].values():
        stream["per_patient_year"] = 0.0
    d["demand"]["planned"].update(mix={"follow_up": 1.0},
                                  per_patient_year=requests_a_day * working_days / list_size)
    d["population"].update(share_70plus=d["population"]["reference_share_70plus"],
                           share_morbid=d["population"]["reference_share_morbid"])
    d["contact_types"]["follow_up"]["durations"]["nurse"] = {"dist": "fixed",
                                                             "value": SLOT_MIN}
    d["delegation"]["routes"]["medium"]["follow_up"] = ["nurse"]
    d["calendar"]["demand_by_weekday"] = {}
    d["booking"].update(horizon_days=260, no_show_by_weekday={}, own_gp_extra_days=0,
                        own_team_extra_days=0)
    d["reviews"] = None
    d["follow_ups"]["after_same_day"] = {}
    d["notes"]["share_of_consultation"] = {}
    d["supervision"].update(questions={}, triage_questions={})
    nurse = {"role": "nurse", "count": 1, "start": "08:00", "end": "16:00",
             "blocks": [{"kind": "planned", "start": "08:00", "end": "16:00",
                         "slot_min": SLOT_MIN}]}
    d["staff"] = {"nurse": nurse, "secretary": dict(d["staff"]["secretary"], count=1)}
    if extra_nurse_days:
        d["staff"]["nurse_part_time"] = dict(nurse, days=extra_nurse_days)
    return scenario_from_dict(d)


def figures(scenario, runs: int = 6, weeks: int = 6, warmup: int = 2, seed: int = 5):
    return overall(run_replications(scenario, runs, seed, weeks=weeks,
                                    warmup_weeks=warmup).summary()).set_index("metric")


def test_below_supply_the_backlog_is_stable_and_the_wait_short():
    s = figures(book_only(0.8 * SLOTS_A_DAY))
    trend = s.loc["backlog_trend_per_week"]
    assert trend.ci_low <= 0.0 <= trend.ci_high or abs(trend["mean"]) < 3
    assert s.loc["tnaa_days", "mean"] < 3
    assert s.loc["turned_away", "mean"] == 0


def test_the_third_next_available_counts_from_the_first_day_a_need_may_book():
    """A need books from the next working day (``booking.earliest_days: 1``), so today's
    free slots are no appointment a patient could have: with the book nearly empty the
    third next available is tomorrow, 1 working day, not 0 (before, today's slots made a
    practice whose patients all wait a day read as same-day access). Where a need may book
    today, today's free slots count."""
    from sim import with_changes

    quiet = book_only(0.3 * SLOTS_A_DAY)
    for earliest, expected in ((1, 1), (0, 0), (2, 2)):
        days = run_replications(with_changes(quiet, {"booking.earliest_days": earliest}),
                                2, 5, weeks=2, warmup_weeks=1).days
        measured = days[days["measured"]]
        assert (measured["tnaa_days"] == expected).all(), earliest
        assert (measured["tnaa_days_nurse"] == expected).all(), earliest


def test_the_wait_for_a_requested_appointment_counts_only_what_patients_asked_for():
    """The planned wait pools reviews and pre-tests, booked for the day they fall due (a
    wait of 0 by construction), so it read below the least wait a patient who asks can
    have. The requested wait counts the bookings patients asked for, from the day asked,
    pooled over every one of them: at least 1 working day, booked from the next."""
    results = run_replications("default", 2, 3, weeks=2, warmup_weeks=1, event_log=True)
    s = overall(results.summary()).set_index("metric")
    days = results.days
    measured = days.loc[days["measured"], ["replication", "day"]]
    bookings = results.bookings.merge(measured, on=["replication", "day"])
    asked = bookings[bookings["source"].isin(["request", "triage"])]
    waits = asked["appointment_day"] - asked["due_day"]
    assert (asked["due_day"] == asked["request_day"]).all()
    assert s.loc["requested_wait_mean_days", "mean"] == pytest.approx(waits.mean(), rel=1e-12)
    assert waits.min() >= 1
    assert s.loc["planned_wait_mean_days", "mean"] < s.loc["requested_wait_mean_days", "mean"]


def test_above_supply_the_backlog_grows_by_demand_minus_supply():
    """Murray's panel equation marks the boundary: list size x visits per patient a year =
    slots a day x working days a year. Past it, the book fills at about demand minus
    supply a day: 28.8 - 24 = 4.8 appointments a day, 24 a week."""
    demand = 1.2 * SLOTS_A_DAY
    s = figures(book_only(demand))
    expected = (demand - SLOTS_A_DAY) * len(WEEKDAYS)
    trend = s.loc["backlog_trend_per_week"]
    assert trend["mean"] == pytest.approx(expected, rel=0.15)
    assert trend.ci_low > 0
    assert s.loc["tnaa_days", "mean"] > 3  # the wait for a routine slot keeps lengthening


def test_slots_booked_ahead_follow_demand_against_supply():
    """Below supply each day's requests book the next working days' first free slots, so
    as a day begins about demand / supply of its slots are taken; past supply none is
    left. The nurse is the only role with slots, so her row and the practice's agree."""
    half = run_replications(book_only(0.5 * SLOTS_A_DAY), 4, 5, weeks=4, warmup_weeks=2)
    s = overall(half.summary()).set_index("metric").loc["planned_slots_booked_ahead"]
    assert s["mean"] == pytest.approx(0.5, abs=0.08)
    assert 0.0 <= s.ci_low <= s["mean"] <= s.ci_high <= 1.0
    nurse = half.summary()
    nurse = nurse[(nurse.metric == "planned_slots_booked_ahead") & (nurse.role == "nurse")
                  & nurse.weekday.isna()].iloc[0]
    assert nurse["mean"] == pytest.approx(s["mean"])
    full = figures(book_only(1.2 * SLOTS_A_DAY), runs=3, weeks=4)
    assert full.loc["planned_slots_booked_ahead", "mean"] > 0.97


def test_the_panel_equation_marks_where_the_backlog_starts_to_grow():
    scenario = book_only(1.0)
    days = scenario.clinic.working_days_per_year
    panel = SLOTS_A_DAY * days / scenario.demand["planned"].per_patient_year  # patients
    below = figures(book_only(0.9 * panel * scenario.demand["planned"].per_patient_year
                              / days))
    above = figures(book_only(1.1 * panel * scenario.demand["planned"].per_patient_year
                              / days))
    assert below.loc["backlog_trend_per_week", "mean"] < 3
    assert above.loc["backlog_trend_per_week", "ci_low"] > 5


def test_one_more_nurse_day_shortens_the_wait_for_an_appointment():
    """At 97 % of supply a sixth nurse day a week leaves slots free: patients who ask wait
    clearly less (paired over the same runs), and the third next available appointment,
    which cannot fall below the next working day (1), comes down to it."""
    near = 0.97 * SLOTS_A_DAY
    base = run_replications(book_only(near), 6, 5, weeks=6, warmup_weeks=2)
    more = run_replications(book_only(near, ["wed"]), 6, 5, weeks=6, warmup_weeks=2)
    a = overall(base.summary()).set_index("metric").loc["tnaa_days"]
    b = overall(more.summary()).set_index("metric").loc["tnaa_days"]
    assert b["mean"] < a["mean"] and b["mean"] == 1.0
    from sim.plots import paired_summary

    paired = paired_summary({"base": base, "more": more})
    row = paired[(paired.name == "more") & (paired.metric == "requested_wait_mean_days")
                 & paired.role.isna() & paired.weekday.isna()].iloc[0]
    assert row.diff_ci_high < 0


def test_a_calendar_works_its_days_out_once_and_pickles_without_them():
    """Days come from the calendar's store after the first ask; a day past the run's end
    (the book looks ahead) is worked out as before; a pickled calendar carries no days,
    and gives the same ones."""
    import pickle

    d = raw("default")
    d["calendar"]["season"] = {"peak_to_trough": 1.3, "quietest_week": 30}
    calendar = RunCalendar(scenario_from_dict(d).calendar, weeks=3, warmup_weeks=1)
    days = calendar.days()
    assert [day.index for day in days] == list(range(calendar.total_days))
    assert calendar.day(7) is days[7] and calendar.day(7) == calendar._make_day(7)
    assert not days[4].measured and days[5].measured
    ahead = calendar.day(calendar.total_days + 3)
    assert ahead == calendar._make_day(calendar.total_days + 3) and ahead.measured
    assert calendar.day(calendar.total_days + 3) is ahead
    assert calendar.days() == days  # the run's days alone, not those looked ahead
    with pytest.raises(IndexError):
        calendar.day(-1)
    copy = pickle.loads(pickle.dumps(calendar))
    assert copy._days == {} and calendar._days
    assert copy.days() == days


def test_a_gp_rostered_on_monday_and_thursday_works_no_other_day():
    d = raw("default")
    d["staff"]["gp_part_time"] = dict(d["staff"]["gp"], count=1, days=["mon", "thu"])
    scenario = scenario_from_dict(d)
    model = CompiledScenario(scenario)
    calendar = RunCalendar(scenario.calendar, weeks=2, warmup_weeks=0)
    worked = {}
    for records in simulate_run(model, 1, 0, calendar):
        for row in records.staff:
            worked.setdefault(row[0], set()).add(records.day.name)
        tasks = {records.staff[w][0] for w, *_ in records.tasks}
        if records.day.name not in ("mon", "thu"):
            assert "gp_part_time" not in tasks
    assert worked["gp_part_time"] == {"mon", "thu"}
    assert worked["gp-1"] == set(WEEKDAYS)


def test_rotation_and_absences_take_people_out_of_their_weeks():
    d = raw("default")
    d["staff"]["locum"] = dict(d["staff"]["gp"], count=1,
                               rotation={"every_weeks": 2, "weeks": [2]})
    d["staff"]["nurse"]["absent"] = [{"week": 1, "days": ["tue"]}]
    scenario = scenario_from_dict(d)
    model = CompiledScenario(scenario)
    calendar = RunCalendar(scenario.calendar, weeks=4, warmup_weeks=0)
    seen = {}
    for day in calendar.days():
        for person in model.people_on(day):
            seen.setdefault(person.id, set()).add((day.week + 1, day.name))
    assert {w for w, _ in seen["locum"]} == {2, 4}
    assert (1, "tue") not in seen["nurse-1"] and (2, "tue") in seen["nurse-1"]


def test_periods_of_the_year_change_who_is_in_and_their_hours():
    """A locum in only in weeks 3-4 of the year, and a nurse who works short Mondays in
    weeks 2 and 4: the plans and the simulated days follow the week of the year, from
    the calendar's start week."""
    d = raw("default")
    d["staff"]["locum"] = dict(d["staff"]["gp"], count=1, days=[],
                               periods=[{"weeks_of_year": [3, 4], "days": WEEKDAYS}])
    d["staff"]["nurse"]["periods"] = [{"weeks_of_year": [2, 4],
                                       "on": {"mon": {"end": "12:00", "blocks": []}}}]
    d["calendar"]["start_week"] = 52  # the run's weeks are weeks 52, 1, 2, 3, 4 of the year
    scenario = scenario_from_dict(d)
    model = CompiledScenario(scenario)
    calendar = RunCalendar(scenario.calendar, weeks=5, warmup_weeks=0)
    locum_weeks, nurse_monday_minutes = set(), {}
    for records in simulate_run(model, 1, 0, calendar):
        day = records.day
        ids = {p.id for p in model.people_on(day)}
        if "locum" in ids:
            locum_weeks.add(day.week_of_year)
        if day.name == "mon":
            nurse_monday_minutes[day.week_of_year] = {
                row[0]: sum(row[7].values()) for row in records.staff
                if row[0].startswith("nurse")}
    assert locum_weeks == {3, 4}
    nurse = scenario.staff["nurse"]
    for week, minutes in nurse_monday_minutes.items():  # present to 12:00 in the period
        hours = (12 * 60 if week in (2, 4) else nurse.end) - nurse.start
        assert all(hours <= m < hours + 90 for m in minutes.values()), (week, minutes)
    assert set(nurse_monday_minutes) == {52, 1, 2, 3, 4}


def test_case09_has_no_evening_consultation_in_school_holidays():
    model = CompiledScenario(load_scenario("case09"))
    calendar = RunCalendar(model.scenario.calendar, weeks=8, warmup_weeks=0)
    ends = {d.week_of_year: p.end for d in calendar.days() if d.name == "wed"
            for p in model.people_on(d) if p.group == "gp_b"}
    assert ends[7] == 16 * 60 and ends[1] == 16 * 60  # winter holiday, Christmas
    assert {ends[w] for w in (2, 3, 4, 5, 6, 8)} == {18 * 60}


def three_gps_one_away() -> dict:
    """The default practice with its GPs as gp_a, gp_b and gp_c, gp_b away in week 2, and
    a block kind for a Wednesday round."""
    d = raw("default")
    gp = d["staff"].pop("gp")
    for name in ("gp_a", "gp_b", "gp_c"):
        d["staff"][name] = dict(gp, count=1)
    d["staff"]["gp_b"]["absent"] = [{"week": 2}]
    d["block_kinds"]["round"] = {"activity": "home_visits", "serves": []}
    return d


@pytest.mark.parametrize("cover, holder", [("none", None), ("next_in_rota", "gp_c")])
def test_a_duty_whose_member_is_out_is_covered_only_if_the_duty_says_so(cover, holder):
    """gp_b, whose turn is week 2, is away that week: with no cover no one holds the
    Wednesday round; covered, the next rota member in (gp_c) holds it. Other weeks keep
    their turns."""
    d = three_gps_one_away()
    d["duties"] = {"home_day": {"weekday": "wed", "rota": ["gp_a", "gp_b", "gp_c"],
                                "cover": cover,
                                "blocks": [{"kind": "round", "start": "09:00",
                                            "end": "15:00"}]}}
    scenario = scenario_from_dict(d)
    model = CompiledScenario(scenario)
    calendar = RunCalendar(scenario.calendar, weeks=4, warmup_weeks=0)
    holders = {d_.week + 1: {p.id for p in model.people_on(d_)
                             if any(b.kind == "round" for b in p.plan)}
               for d_ in calendar.days() if d_.name == "wed"}
    assert holders[1] == {"gp_a"} and holders[3] == {"gp_c"} and holders[4] == {"gp_a"}
    assert holders[2] == (set() if holder is None else {holder})


def test_a_member_on_one_duty_does_not_cover_another_that_day():
    """Two Wednesday duties over the same three GPs, a week apart in their turns; gp_b is
    away in week 2, when the round is his: the next member in, gp_c, holds the office duty
    that week (his own turn), so the round passes to gp_a, and each duty has one holder."""
    d = three_gps_one_away()
    d["block_kinds"]["office"] = {"activity": "inbox_admin", "serves": ["inbox"]}
    d["duties"] = {
        "home_day": {"weekday": "wed", "rota": ["gp_a", "gp_b", "gp_c"],
                     "cover": "next_in_rota",
                     "blocks": [{"kind": "round", "start": "09:00", "end": "15:00"}]},
        "phone_day": {"weekday": "wed", "rota": ["gp_b", "gp_c", "gp_a"],
                      "cover": "next_in_rota",
                      "blocks": [{"kind": "office", "start": "08:00", "end": "12:00"}]}}
    model = CompiledScenario(scenario_from_dict(d))
    calendar = RunCalendar(model.scenario.calendar, weeks=3, warmup_weeks=0)
    wednesday = next(d_ for d_ in calendar.days() if d_.name == "wed" and d_.week == 1)
    people = model.people_on(wednesday)
    holds = {kind: {p.id for p in people if any(b.kind == kind for b in p.plan)}
             for kind in ("round", "office")}
    assert holds == {"round": {"gp_a"}, "office": {"gp_c"}}


def test_a_monthly_meeting_takes_its_attendees_from_their_plan_and_slots():
    """The GPs and nurses meet on Wednesdays 11:00-12:00 in the first week of every
    two: in those weeks the attendees' plans hold the meeting there (planned time before
    and after it kept), their slots in it are not offered, and the time counts as admin;
    other weeks, days and people are untouched."""
    d = raw("default")
    d["meetings"] = {"staff_meeting": {"days": ["wed"], "start": "11:00", "end": "12:00",
                                       "every_weeks": 2, "weeks": [1],
                                       "attendees": ["gp", "nurse"]}}
    scenario = scenario_from_dict(d)
    model = CompiledScenario(scenario)
    plain = CompiledScenario(scenario_from_dict(raw("default")))
    calendar = RunCalendar(scenario.calendar, weeks=4, warmup_weeks=0)
    met = set()
    for records in simulate_run(model, 1, 0, calendar):
        day = records.day
        usual = {p.id: p.plan for p in plain.people_on(day)}
        admin = {row[0]: row[7]["inbox_admin"] for row in records.staff}
        for p in model.people_on(day):
            meeting = [b for b in p.plan if b.kind == "meeting"]
            if not meeting:
                assert p.plan == usual[p.id]
                continue
            met.add((day.week + 1, day.name, p.group))
            (block,) = meeting
            assert (block.start, block.end) == (11 * 60, 12 * 60)
            assert [b.kind for b in p.plan if b.start < block.start][-1] == "planned"
            assert admin[p.id] >= 60
            assert not any(block.start <= t < block.end
                           for t, pid in model_slots(model, day) if pid == p.id)
    assert {(w, d_, g) for w, d_, g in met} == {(w, "wed", g) for w in (1, 3)
                                                for g in ("gp", "nurse")}


def model_slots(model, day):
    """(time, person id) of every slot offered that day."""
    from sim.engine.book import day_slots

    return [slot for slots in day_slots(model.people_on(day)).values() for slot in slots]


def test_a_duty_goes_round_its_rota_one_week_each():
    """A Wednesday home-visit day taken in turn by three GPs: each works its blocks in their
    week of three and their own day otherwise, in the plan and in the simulated day."""
    d = raw("default")
    gp = d["staff"].pop("gp")
    for name in ("gp_a", "gp_b", "gp_c"):
        d["staff"][name] = dict(gp, count=1)
    d["block_kinds"]["round"] = {"activity": "home_visits", "serves": []}  # 6 h out
    d["duties"] = {"home_day": {"weekday": "wed", "rota": ["gp_a", "gp_b", "gp_c"],
                                "blocks": [{"kind": "round", "start": "09:00",
                                            "end": "15:00"}]}}
    scenario = scenario_from_dict(d)
    model = CompiledScenario(scenario)
    calendar = RunCalendar(scenario.calendar, weeks=6, warmup_weeks=0)
    on_duty = {}
    for records in simulate_run(model, 1, 0, calendar):
        day = records.day
        plans = {p.id: {b.kind for b in p.plan} for p in model.people_on(day)}
        visiting = {row[0]: row[7].get("home_visits", 0) for row in records.staff
                    if row[0] in ("gp_a", "gp_b", "gp_c")}
        holders = {pid for pid in ("gp_a", "gp_b", "gp_c") if "round" in plans[pid]}
        if day.name == "wed":
            on_duty[day.week + 1] = holders
            (holder,) = holders
            assert visiting[holder] > 300 > max(v for k, v in visiting.items() if k != holder)
        else:
            assert holders == set()
    assert on_duty == {1: {"gp_a"}, 2: {"gp_b"}, 3: {"gp_c"}, 4: {"gp_a"}, 5: {"gp_b"},
                       6: {"gp_c"}}


def test_preferring_the_own_gp_raises_continuity_and_the_wait():
    """GPs in on different weekdays: the more days a patient accepts to wait for their own
    GP, the more GP consultations are with them, and the longer planned needs wait."""
    d = raw("default")
    gp = d["staff"].pop("gp")
    d["staff"]["gp_early"] = dict(gp, count=1, days=["mon", "tue", "wed"])
    d["staff"]["gp_late"] = dict(gp, count=1, days=["wed", "thu", "fri"])
    out = {}
    for extra in (0, 3, 8):
        d["booking"]["own_gp_extra_days"] = extra
        out[extra] = figures(scenario_from_dict(d), runs=4, weeks=2, warmup=1)
    continuity = [out[e].loc["continuity_own_gp", "mean"] for e in (0, 3, 8)]
    wait = [out[e].loc["planned_wait_mean_days", "mean"] for e in (0, 3, 8)]
    assert continuity[0] < continuity[1] < continuity[2]
    assert wait[0] < wait[1] < wait[2]


def listed(patients: Patients, field: str) -> list:
    """Each patient's ``field`` of their listing (team, own GP, own clinicians, morbidity)."""
    return [getattr(listing, field) for listing in patients.listing_of]


def test_only_the_morbid_have_a_fixed_gp_where_the_practice_says_so():
    """``own_gp_for: morbid``: the other patients keep their team but have no own GP, so
    their needs book with no own-GP preference and continuity counts the morbid only;
    nothing else about the list (ages, morbidity, teams) changes."""
    d = raw("default")
    d["booking"]["own_gp_extra_days"] = 5
    everyone = scenario_from_dict(d)
    d["population"]["own_gp_for"] = "morbid"
    morbid_only = scenario_from_dict(d)
    a = Patients(CompiledScenario(everyone), RandomStreams(1, 0))
    b = Patients(CompiledScenario(morbid_only), RandomStreams(1, 0))
    assert (a.morbid == b.morbid).all() and (a.team == b.team).all()
    assert all(g is not None for g in listed(a, "own_gp"))
    assert [g is not None for g in listed(b, "own_gp")] == b.morbid.tolist()
    assert [g for g, m in zip(listed(b, "own_gp"), b.morbid) if m] == \
        [g for g, m in zip(listed(a, "own_gp"), a.morbid) if m]
    model = CompiledScenario(morbid_only)
    calendar = RunCalendar(morbid_only.calendar, days=5, warmup_days=0)
    contacts = [c for rec in simulate_run(model, 1, 0, calendar) for c in rec.contacts]
    assert contacts and all((c[13] is not None) == c[14] for c in contacts)
    seen_by_gp = [c for c in contacts if c[6] == "consulted" and c[9] == "gp"]
    assert any(c[13] is None for c in seen_by_gp) and any(c[13] is not None
                                                         for c in seen_by_gp)


def test_a_fixed_nurse_is_a_list_of_its_own_beside_the_gp_list():
    """``own_clinician: {nurse: morbid}``: every morbid patient is listed with one nurse
    (shares exact; a group with ``list_share: 0`` gets none), the others with none; the
    own GP, ages, morbidity and teams do not change; and a consultation's record names
    the own nurse only when a nurse saw a patient who has one."""
    d = raw("default")
    before = Patients(CompiledScenario(scenario_from_dict(d)), RandomStreams(1, 0))
    d["staff"]["nurse_acute"] = dict(d["staff"]["nurse"], count=1, list_share=0)
    d["population"]["own_clinician"] = {"nurse": "morbid"}
    model = CompiledScenario(scenario_from_dict(d))
    p = Patients(model, RandomStreams(1, 0))
    assert listed(p, "own_gp") == listed(before, "own_gp")
    assert (p.morbid == before.morbid).all() and (p.team == before.team).all()
    assert [o is not None for o in listed(p, "own_others")] == p.morbid.tolist()
    nurses = [o["nurse"] for o in listed(p, "own_others") if o is not None]
    counts = {nurse: nurses.count(nurse) for nurse in set(nurses)}
    assert set(counts) == {"nurse-1", "nurse-2", "nurse-3"}
    assert max(counts.values()) - min(counts.values()) <= 1
    calendar = RunCalendar(model.scenario.calendar, weeks=1, warmup_weeks=0)
    contacts = [c for rec in simulate_run(model, 1, 0, calendar) for c in rec.contacts]
    seen = [c for c in contacts if c[6] == "consulted"]
    assert any(c[15] is not None for c in seen)
    for c in seen:
        own = p.listing_of[c[12]].own_others
        assert c[15] == (own["nurse"] if own is not None and c[9] == "nurse" else None)


def test_a_patients_listing_says_what_the_lists_arrays_say(monkeypatch):
    """Each patient's listing is their team, own GP, own nurse and morbidity as the list's
    arrays hold them; patients alike share one object, and numbering the kinds afresh
    part way (codes that would outgrow their limit) gives the same listings."""
    import sim.engine.population as population

    d = raw("default")
    d["staff"]["nurse_acute"] = dict(d["staff"]["nurse"], count=1, list_share=0)
    d["population"]["own_clinician"] = {"nurse": "morbid"}
    model = CompiledScenario(scenario_from_dict(d))
    p = Patients(model, RandomStreams(1, 0))
    teams, gps = [*p.teams, None], [*p.holders, None]
    nurses = [pid for pid, _team, _share in model.clinician_holders["nurse"]]
    mine = p.own_clinicians["nurse"].tolist()
    expected = [(teams[t], gps[g], {"nurse": nurses[n]} if n >= 0 else None, m)
                for t, g, n, m in zip(p.team.tolist(), p.own_gp.tolist(), mine,
                                      p.morbid.tolist())]
    got = [(x.team, x.own_gp, x.own_others, x.complex) for x in p.listing_of]
    assert got == expected
    kinds = {(t, g, None if o is None else o["nurse"], m) for t, g, o, m in expected}
    assert len({id(x) for x in p.listing_of}) == len(kinds) < p.size // 100
    monkeypatch.setattr(population, "_DENSE_CODES", 4)  # afresh, sorted, at every column
    again = Patients(model, RandomStreams(1, 0))
    assert [(x.team, x.own_gp, x.own_others, x.complex) for x in again.listing_of] == got


def test_preferring_the_own_nurse_raises_her_continuity_and_the_wait():
    """Nurses in on different weekdays: the more days a patient accepts to wait for their
    fixed nurse, the more nurse consultations are with her, and the longer planned needs
    wait; the GPs' continuity is measured apart and the figure is given by role."""
    d = raw("default")
    nurse = d["staff"].pop("nurse")
    d["staff"]["nurse_early"] = dict(nurse, count=1, days=["mon", "tue", "wed"])
    d["staff"]["nurse_late"] = dict(nurse, count=1, days=["wed", "thu", "fri"])
    d["population"]["own_clinician"] = {"nurse": "all"}
    continuity, wait = [], []
    for extra in (0, 3, 8):
        d["booking"]["own_clinician_extra_days"] = extra
        summary = run_replications(scenario_from_dict(d), 4, 5, weeks=2,
                                   warmup_weeks=1).summary()
        whole = summary[summary["weekday"].isna()]
        row = whole[(whole.metric == "continuity_own_clinician")]
        assert row.role.tolist() == ["nurse"]
        continuity.append(float(row["mean"].iloc[0]))
        wait.append(float(whole[(whole.metric == "planned_wait_mean_days")
                                & whole.role.isna()]["mean"].iloc[0]))
    assert continuity[0] < continuity[1] < continuity[2]
    assert wait[0] < wait[1] < wait[2]


def test_a_fixed_nurse_no_one_waits_for_changes_nothing_but_her_figure():
    """With no extra days for her, listing patients with a nurse changes no booking and no
    figure: the runs equal those without the lists, less the continuity rows."""
    d = raw("default")
    without = run_replications(scenario_from_dict(d), 2, 3, weeks=2, warmup_weeks=1).metrics
    d["population"]["own_clinician"] = {"nurse": "all"}
    d["booking"]["own_clinician_extra_days"] = 0
    with_lists = run_replications(scenario_from_dict(d), 2, 3, weeks=2, warmup_weeks=1).metrics
    assert (with_lists.metric == "continuity_own_clinician").any()
    rest = with_lists[with_lists.metric != "continuity_own_clinician"].reset_index(drop=True)
    assert rest.equals(without.reset_index(drop=True))


def test_a_variant_can_drop_the_fixed_nurses(tmp_path):
    """``own_clinician`` is replaced whole, not merged: ``{}`` in a file that extends a case
    with fixed nurses leaves the patients with their GP only."""
    variant = tmp_path / "variant.yaml"
    variant.write_text("extends: case04\nname: no fixed nurses\n"
                       "population: {own_clinician: {}}\n")
    assert load_scenario("case04").population.own_clinician == {"nurse": "morbid"}
    assert load_scenario(variant).population.own_clinician == {}


def test_no_fixed_nurse_no_such_figure():
    """A scenario that lists patients with GPs only has no ``continuity_own_clinician``
    rows (its results are unchanged by the option existing)."""
    summary = run_replications(load_scenario("default"), 1, 1, weeks=1,
                               warmup_weeks=0).summary()
    assert "continuity_own_clinician" not in set(summary.metric)


def test_hours_no_one_is_in_for_change_nothing():
    """A practice open to 18:00 on Wednesdays whose people all go home by 16:00 closes
    when they do: its runs are the same as if it closed at 16:00 (same-day patients still
    waiting at 16:00 are seen in overtime, not left until an 18:00 closing)."""
    def records(d):
        s = scenario_from_dict(d)
        calendar = RunCalendar(s.calendar, days=5, warmup_days=0)
        return [(rec.contacts, rec.staff, rec.carried)
                for r in range(3) for rec in simulate_run(CompiledScenario(s), 2, r, calendar)]

    d = raw("default")
    d["demand"]["walk_in"].update(per_patient_year=0.5,  # patients still waiting at 16:00
                                  profile=[{"start": "15:30", "end": "16:00"}])
    assert max(p.get("end", "16:00") for p in d["staff"].values()) <= "16:00"
    closes_at_four = repr(records(d))  # repr: a record's NaN equals itself
    d["clinic"]["on"] = {"wed": {"close": "18:00"}}
    assert repr(records(d)) == closes_at_four


def test_the_default_warm_up_covers_the_backlog_settling():
    """MSER-5 on the default practice's backlog (the mean of runs started with an empty
    book) truncates within the default warm-up: measuring starts after the climb."""
    scenario = load_scenario("default")
    results = run_replications(scenario, 5, 1, weeks=12, warmup_weeks=0)
    truncate = warmup_days(results.days)
    assert truncate <= scenario.calendar.warmup_weeks * len(scenario.calendar.weekdays)


def test_run_of_weeks_on_the_command_line_is_reproducible(capsys):
    args = ["run", "--weeks", "2", "--warmup-weeks", "1", "-r", "2", "--json"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    rows = json.loads(first)
    names = {r["metric"] for r in rows}
    for metric in ("tnaa_days", "planned_wait_mean_days", "planned_wait_p90_days",
                   "backlog_planned", "backlog_trend_per_week", "continuity_own_gp",
                   "turned_away", "calls_retried"):
        assert metric in names, metric
    assert {r["weekday"] for r in rows} >= {None, "mon", "fri"}
    gp = [r for r in rows if r["metric"] == "tnaa_days" and r["role"] == "gp"
          and r["weekday"] is None]
    assert len(gp) == 1 and not math.isnan(gp[0]["mean"])


def test_demand_follows_the_weekday_pattern():
    results = run_replications(load_scenario("default"), 4, 2, weeks=4, warmup_weeks=1)
    s = results.summary()
    by_day = s[(s.metric == "calls_offered") & s.weekday.notna()].set_index("weekday")["mean"]
    assert by_day["mon"] > by_day["fri"] * 1.1  # D14: Monday ~18 % above Friday


def inbox_only(items_a_day: float):
    """A practice whose only demand is e-consultations, answered by one nurse in an admin
    block all day at a fixed 10 minutes each: 48 a working day."""
    d = raw("default")
    working_days = d["clinic"]["working_days_per_year"]
    list_size = d["population"]["list_size"]
    for stream in d["demand"].values():
        stream["per_patient_year"] = 0.0
    d["demand"]["e_consultations"]["per_patient_year"] = items_a_day * working_days / list_size
    d["population"].update(share_70plus=d["population"]["reference_share_70plus"],
                           share_morbid=d["population"]["reference_share_morbid"])
    d["contact_types"]["econsult"]["durations"]["nurse"] = {"dist": "fixed", "value": 10}
    d["delegation"]["routes"]["medium"]["econsult"] = ["nurse"]
    d["calendar"]["demand_by_weekday"] = {}
    d["reviews"] = None
    d["follow_ups"]["after_same_day"] = {}
    d["notes"]["share_of_consultation"] = {}
    d["supervision"].update(questions={}, triage_questions={})
    nurse = {"role": "nurse", "count": 1, "start": "08:00", "end": "16:00",
             "blocks": [{"kind": "admin", "start": "08:00", "end": "16:00"}]}
    d["staff"] = {"nurse": nurse, "secretary": dict(d["staff"]["secretary"], count=1)}
    return scenario_from_dict(d)


def test_work_carried_over_grows_by_demand_minus_supply_only_past_capacity():
    """The inbox is a queue too: below what the staff can answer its carry-over has no
    trend; past it, the work carried to the next day grows by about demand minus supply
    (57.6 - 48 = 9.6 items a day, 48 a week), while the appointment book stays empty."""
    below = figures(inbox_only(0.8 * 48))
    trend = below.loc["carried_trend_per_week"]
    assert trend.ci_low <= 0.0 <= trend.ci_high or abs(trend["mean"]) < 3
    above = figures(inbox_only(1.2 * 48))
    trend = above.loc["carried_trend_per_week"]
    assert trend["mean"] == pytest.approx((1.2 * 48 - 48) * len(WEEKDAYS), rel=0.2)
    assert trend.ci_low > 0
    assert above.loc["backlog_planned", "mean"] == 0


def test_a_meeting_attendee_with_no_one_in_it_is_warned_of():
    """Case 5's lab technician set to count 0 is still on the morning meeting's list: the
    meeting goes on without her, and the scenario says so as a warning (it is valid)."""
    from sim.scenario import load_scenario, scenario_from_dict
    from sim.scenario.checks import scenario_warnings

    case = load_scenario("case05")
    assert not [w for w in scenario_warnings(case) if w.path[0] == "meetings"]
    data = case.model_dump(mode="json", exclude_unset=True)
    data["staff"]["lab"]["count"] = 0
    warned = [str(w) for w in scenario_warnings(scenario_from_dict(data))
              if w.path[0] == "meetings"]
    assert warned and "meetings.morning.attendees" in warned[0] and "'lab' with count 0" in \
        warned[0]


def test_chronic_reviews_start_as_a_steady_stream_not_a_first_day_burst():
    """Each morbid patient is somewhere in their cycle of review requests when the run
    starts, so the first day asks for about as many as any other; spreading the due days
    instead put every review due within the booking lead time onto day 0 (four times a
    normal day's requests in case 8), and its echo (day 37 on: the reviews then turned
    away asked again) fell inside the measured weeks. The cycle is the same for every
    review after the first, so the start's spacing holds: when it ran from the last
    booking, case 8's pre-test (booked 5 days before its review) shortened it to 42 days
    and the second cycle's requests piled onto the first's at days 42-46."""
    from sim.experiment.replications import run_calendar

    scenario = load_scenario("case08")
    model = CompiledScenario(scenario)
    runs = [[r.requests for r in simulate_run(model, 1, k, run_calendar(scenario, 12, 0))]
            for k in range(6)]
    mean = [sum(day) / len(day) for day in zip(*runs)]
    later = sum(mean[1:]) / len(mean[1:])
    assert mean[0] < 1.5 * later
    echo, overlap = mean[35:39], mean[42:47]
    assert sum(echo) / len(echo) < 1.2 * later
    assert sum(overlap) / len(overlap) < 1.12 * later


def test_a_run_without_day_rows_keeps_no_warm_up_detail_and_the_same_results():
    """A run's metrics read only its measured days, so a run that builds no day table
    leaves its warm-up days' contact-level lists empty; its rows and staff time are the
    same as a run that kept them, and its measured days' records too."""
    from sim.experiment.replications import run_calendar, run_one

    scenario = load_scenario("case05")
    model, calendar = CompiledScenario(scenario), run_calendar(scenario, 2, 2)
    full = list(simulate_run(model, 3, 1, calendar))
    lean = list(simulate_run(model, 3, 1, calendar, warmup_detail=False))
    lists = ("contacts", "calls", "tasks", "bookings", "same_day")
    for kept, bare in zip(full, lean):
        if kept.day.measured:
            # as text: the same nan in two runs is two objects in the compiled engine
            assert bare.detail and all(repr(getattr(kept, k)) == repr(getattr(bare, k))
                                       for k in lists)
        else:
            assert not bare.detail and not any(getattr(bare, k) for k in lists)
            assert kept.contacts and kept.tasks  # a warm-up day with work to keep
            assert (kept.arisen, kept.offered, kept.backlog, kept.staff) == (
                bare.arisen, bare.offered, bare.backlog, bare.staff)
    with_days = run_one(model, 3, 1, calendar, keep_days=True)
    without = run_one(model, 3, 1, calendar, keep_days=False)
    assert repr(with_days.rows) == repr(without.rows)  # NaN is not equal to itself
    assert repr(with_days.staff) == repr(without.staff)
    assert len(with_days.days) == calendar.total_days and not without.days
