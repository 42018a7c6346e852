"""Mechanisms the practice cases name, each as data a scenario can set, each with a test of
its behaviour: routing and durations by the patient's complexity, supervision by message,
inbox questions put in a doctor's calendar, questions before the next patient, outreach on
rostered days, phone lines with their own hours, two-stage visits (booked days apart, or a
history taken the same day), an inbox that filled overnight, people shared with another
practice, remote video consultations (with a nurse beside the patient) and group
sessions."""
from __future__ import annotations

import pandas as pd
import pytest

from sim import load_scenario, scenario_from_dict
from sim.engine import CompiledScenario, RunCalendar, simulate_run
from sim.experiment.replications import run_replications
from sim.metrics import RunMetrics, check_conservation
from sim.scenario.errors import ScenarioError
from tests.conftest import raw
from tests.test_engine import tables


def joined(contacts: pd.DataFrame, tasks: pd.DataFrame, kind: str = "consult") -> pd.DataFrame:
    """Each task of ``kind`` with its contact's row."""
    return tasks[tasks.kind == kind].merge(contacts, on=["replication", "contact_id"],
                                           suffixes=("", "_contact"))


def test_complex_patients_follow_their_own_route():
    """High delegation sends acute needs to nurses first; a complex (morbid) patient's
    acute need goes to a GP."""
    d = raw("default")
    d["delegation"]["degree"] = "high"
    d["delegation"]["complex_routes"] = {"acute": ["gp"]}
    contacts, _, _ = tables(scenario_from_dict(d), days=3)
    acute = contacts[(contacts.contact_type == "acute") & (contacts.outcome == "consulted")]
    assert (acute[acute.complex].seen_by == "gp").all() and acute.complex.sum() > 5
    assert (acute[~acute.complex].seen_by == "nurse").mean() > 0.3


def test_consultations_with_complex_patients_take_longer():
    d = raw("default")
    d["population"]["morbid_duration_factor"] = 2.0
    d["notes"]["share_of_consultation"] = {}
    contacts, _, tasks = tables(scenario_from_dict(d), days=3)
    seen = joined(contacts, tasks)
    seen = seen[seen.contact_type == "follow_up"]
    length = (seen.t1 - seen.t0).groupby(seen.complex).median()
    assert length[True] > 1.6 * length[False]


def test_a_question_sent_as_a_message_does_not_hold_the_patient_or_the_nurse():
    """Nurses send every question as a message: no nurse waits for a doctor, and the
    doctors still spend the answering time, in their gaps."""
    d = raw("default")
    d["supervision"]["messages"] = {"nurse": 1.0, "hca": 1.0}
    contacts, staff, tasks = tables(scenario_from_dict(d), days=2)
    nurse = staff[staff.role == "nurse"]
    asked = tasks[tasks.kind == "message"]
    assert len(asked) > 5 and set(asked.role) == {"gp"}
    held = nurse[nurse.activity == "being_supervised"].minutes.sum()
    assert held == pytest.approx(0.0, abs=1e-9)
    assert staff[(staff.role == "gp") & (staff.activity == "supervising")].minutes.sum() > 0
    seen = contacts[contacts.seen_by == "nurse"]
    assert (seen.t_outcome >= seen.t_seen).all()  # finished when the consultation ends


def test_a_caller_is_held_at_most_call_hold_minutes():
    """A triager's question about a call that no doctor takes within
    `supervision.call_hold` minutes stays with the doctors as a message: the triager goes
    back to the phone after exactly that hold, a doctor still answers it, and fewer
    callers hang up than when each caller is held until a doctor answers."""
    def run(hold: float | None):
        d = raw("default")
        d["supervision"]["triage_questions"] = {"secretary": 0.3}
        d["supervision"]["call_hold"] = hold
        scenario = scenario_from_dict(d)
        calendar = RunCalendar(scenario.calendar, days=3, warmup_days=0)
        return list(simulate_run(CompiledScenario(scenario), seed=3, replication=0,
                                 calendar=calendar, event_log=True))

    def abandoned(records) -> float:
        calls = [c for rec in records for c in rec.calls]
        return sum(c[2] != c[2] for c in calls) / len(calls)  # NaN: never answered

    held, unheld = run(2.0), run(None)
    check_conservation(held)
    moved = 0
    for rec in held:
        asked = {}
        for t, cid, event, sid in rec.events:
            if event == "question":
                asked[cid, sid] = t
            elif event == "held_to_message":
                assert sid.startswith("secretary") and t - asked[cid, sid] == pytest.approx(2.0)
                moved += 1
    answered = sum(1 for rec in held for t in rec.tasks if t[1] == "message")
    unanswered = sum(rec.unanswered for rec in held)
    assert moved > 5 and answered + unanswered >= moved and answered > 0
    assert not any(e[2] == "held_to_message" for rec in unheld for e in rec.events)
    assert abandoned(held) < abandoned(unheld)


def test_an_inbox_question_put_in_the_calendar_takes_a_doctors_slot():
    """Nurses put every inbox item they have a question about into a GP's calendar: it
    takes a GP's planned slot, the GP handles it there (no no-show, one outcome), the
    nurse never waits for an answer about it, and no patient's planned wait counts it."""
    d = raw("default")
    d["supervision"]["calendar"] = {"nurse": 1.0}
    scenario = scenario_from_dict(d)
    model = CompiledScenario(scenario)
    calendar = RunCalendar(scenario.calendar, days=4, warmup_days=0)
    records = list(simulate_run(model, seed=3, replication=0, calendar=calendar))
    check_conservation(records)
    booked = {b[0]: b for rec in records for b in rec.bookings if b[1] == "calendar_task"}
    assert len(booked) > 10 and {b[7] for b in booked.values()} == {"gp"}
    handled = {}
    for rec in records:
        for worker, kind, cid, t0, _t1 in rec.tasks:
            if cid in booked and kind == "inbox":
                handled.setdefault(cid, []).append((rec.day.index, rec.staff[worker][2], t0))
    ended = {c[0]: c[6] for rec in records for c in (*rec.contacts, *rec.after_run)
             if c[0] in booked}
    for cid, b in booked.items():
        if ended[cid] == "booked_after_run":
            continue
        assert ended[cid] == "inbox_handled"
        nurse_review, gp_task = handled[cid]  # the nurse's review, then the GP's task
        assert nurse_review[1] == "nurse" and gp_task[1] == "gp"
        assert gp_task[0] == b[4] and gp_task[2] >= b[5] - 1e-9  # on its day, from its slot
    questions = sum(1 for rec in records for t in rec.tasks if t[1] == "question"
                    and t[2] in booked)
    assert questions == 0
    # the event log shows the move to the calendar
    logged = list(simulate_run(model, seed=3, replication=0, calendar=calendar,
                               event_log=True))
    moved = {cid for rec in logged for _t, cid, event, _sid in rec.events
             if event == "to_calendar"}
    assert moved == {b[0] for rec in logged for b in rec.bookings if b[1] == "calendar_task"}
    # a patient's planned wait leaves the tasks out
    waits = [b[4] - b[3] for rec in records for b in rec.bookings if b[1] != "calendar_task"]
    metrics = RunMetrics(model, scenario.calendar.weekdays)
    for rec in records:
        metrics.add(rec)
    mean = next(r[4] for r in metrics.rows()
                if r[0] == "planned_wait_mean_days" and r[1:4] == (None, None, None))
    assert mean == pytest.approx(sum(waits) / len(waits))


def test_a_calendar_share_above_what_messages_leave_is_refused():
    d = raw("default")
    d["supervision"]["messages"] = {"nurse": 0.6}
    d["supervision"]["calendar"] = {"nurse": 0.6}
    with pytest.raises(ScenarioError, match="supervision.calendar.nurse"):
        scenario_from_dict(d)


def test_questions_first_answers_before_the_next_booked_patient():
    """A GP in a block that lists questions before booked patients answers a nurse's
    question at once; in an ordinary planned block the nurse waits for the patient in hand
    and the next booked one."""
    def nurse_wait(kind: str) -> float:
        d = raw("default")
        for block in d["staff"]["gp"]["blocks"]:
            if block["kind"] == "planned":
                block["kind"] = kind
        d["staff"]["gp_visiting"]["count"] = 0  # no floor doctor to answer instead
        _, staff, tasks = tables(scenario_from_dict(d), days=2)
        asked = (tasks.kind == "question").sum()
        waited = staff[(staff.role == "nurse")
                       & (staff.activity == "being_supervised")].minutes.sum()
        return waited / asked

    assert nurse_wait("planned_questions_first") < 0.8 * nurse_wait("planned")


def test_outreach_arises_on_rostered_days_and_is_served_in_its_block():
    """A Wednesday nursing-home round: its residents' needs arise only on Wednesdays and
    are seen in the round (visiting time), the yearly volume spread over those days."""
    d = raw("default")
    d["staff"]["gp_visiting"]["on"] = {"wed": {"blocks": [
        {"kind": "acute", "start": "08:00", "end": "10:30", "slot_min": 10},
        {"kind": "nursing_home", "start": "10:30", "end": "12:00"},
        {"kind": "lunch", "start": "12:00", "end": "12:30"},
        {"kind": "floor", "start": "12:30", "end": "16:00"}]}}
    d["demand"]["nursing_home_round"] = {
        "channel": "outreach", "block": "nursing_home", "per_patient_year": 0.05,
        "mix": {"chronic_review": 1.0}}
    scenario = scenario_from_dict(d)
    contacts, staff, tasks = tables(scenario, seeds=[0, 1], days=5)
    rounds = contacts[contacts.channel == "outreach"]
    assert len(rounds) > 3
    assert set(rounds.day_arise) == {2}  # the third day of a Monday-start run: Wednesday
    seen = joined(contacts, tasks, "outreach")
    in_hours = seen[seen.t0 < 16 * 60]  # what the round leaves is seen after closing
    assert set(in_hours.staff_id) == {"gp_visiting"}
    assert ((in_hours.t0 >= 10.5 * 60) & (in_hours.t0 < 12 * 60)).all()
    from sim.engine import CompiledScenario

    model = CompiledScenario(scenario)
    per_day = model.expected_per_day("nursing_home_round")
    assert per_day == pytest.approx(0.05 * 6000 * model.mix_factor / 251 * 5, rel=1e-9)


def test_a_phone_line_with_its_own_hours_and_purpose():
    """An acute line 12-16 answered by a nurse, whose calls all go to a same-day slot; the
    main line 08-12 stays with the secretaries."""
    d = raw("default")
    d["block_kinds"]["phone_main"] = dict(d["block_kinds"]["phone"], lines=["main"])
    d["block_kinds"]["phone_acute"] = dict(d["block_kinds"]["phone"], lines=["acute"])
    d["staff"]["secretary"]["blocks"][0]["kind"] = "phone_main"
    d["staff"]["nurse_phone"] = dict(d["staff"]["nurse"], count=1, start="12:00", end="16:00",
                                     blocks=[{"kind": "phone_acute", "start": "12:00",
                                              "end": "16:00"}])
    d["demand"]["acute_line"] = dict(
        d["demand"]["phone"], per_patient_year=1.0, mix={"acute": 1.0}, line="acute",
        profile=[{"start": "12:00", "end": "16:00"}],
        triage_outcomes={"nurse": {"same_day": 1.0}})
    contacts, _, tasks = tables(scenario_from_dict(d), seeds=[0, 1], days=2)
    calls = joined(contacts, tasks, "call")
    line = calls[calls.t_arise >= 12 * 60]
    main = calls[calls.t_arise < 12 * 60]
    assert len(line) > 5 and set(line.staff_id) == {"nurse_phone"}
    assert set(main.staff_id) <= {"secretary-1", "secretary-2"}
    acute_line = contacts[(contacts.channel == "phone") & (contacts.t_arise >= 12 * 60)]
    assert acute_line[acute_line.outcome.isin(["consulted"])].same_day.all()


def test_callers_ring_again_only_while_the_line_takes_calls():
    """A line open 08-09 and 11-11:30 with one secretary: many callers hang up, and those
    who ring again the same day do so within the line's windows; a redial that would fall
    in the gap or after 11:30 rings on the next working day instead, within its windows."""
    d = raw("default")
    d["staff"]["secretary"]["count"] = 1
    d["demand"]["phone"]["profile"] = [{"start": "08:00", "end": "09:00", "weight": 0.7},
                                       {"start": "11:00", "end": "11:30", "weight": 0.3}]
    contacts, _, _, events = tables(scenario_from_dict(d), seeds=[0, 1], days=3,
                                    event_log=True)
    redials = events[events.event == "redial"]
    assert len(events[events.event == "hang_up"]) > 50 and len(redials) > 20
    assert (redials.time.between(8 * 60, 9 * 60, inclusive="left")
            | redials.time.between(11 * 60, 11.5 * 60, inclusive="left")).all()
    first = events[events.event == "arise"].merge(
        contacts[contacts.channel == "phone"][["contact_id", "replication", "day_arise"]],
        on=["contact_id", "replication"])
    on_a_later_day = redials.merge(first, on=["contact_id", "replication"])
    assert (on_a_later_day.day_x > on_a_later_day.day_arise).any()


def test_a_pre_test_is_booked_before_its_review_with_its_own_role():
    """Chronic reviews with a pre-test two days before: each review brings a lab sample
    booked with the healthcare assistant, on or before the review's day, before it."""
    d = raw("default")
    d["contact_types"]["chronic_review"]["pre_test"] = {"contact_type": "lab_sample",
                                                        "days_before": 2}
    d["delegation"]["routes"]["medium"]["lab_sample"] = ["hca"]
    from sim.engine import CompiledScenario, RunCalendar, simulate_run

    model = CompiledScenario(scenario_from_dict(d))
    calendar = RunCalendar(model.scenario.calendar, days=8, warmup_days=0)
    bookings = pd.DataFrame([b for rec in simulate_run(model, 3, 0, calendar)
                             for b in rec.bookings],
                            columns=["contact_id", "source", "request_day", "due_day",
                                     "appointment_day", "time", "staff_id", "role", "own_gp",
                                     "urgent"])
    reviews = bookings[bookings.source == "review"]
    tests = bookings[bookings.source == "pre_test"]
    assert len(tests) > 20 and set(tests.role) == {"hca"}
    # each pre-test is the one booked right after its review; it comes first
    pairs = bookings.reset_index(drop=True)
    for i in pairs.index[pairs.source == "pre_test"]:
        review = pairs.loc[i - 1]
        test = pairs.loc[i]
        assert review.source == "review"
        assert (test.appointment_day, test.time) < (review.appointment_day, review.time)
        assert test.appointment_day >= review.appointment_day - 2
    assert len(reviews) >= len(tests)


def test_a_free_nurse_takes_the_history_before_the_gp_sees_a_same_day_patient():
    """Two-stage same-day visit: when a GP is about to see a same-day acute patient and a
    nurse is free, she takes the history first; the patient then goes back to that GP,
    who sees them after it for half the usual time. One outcome per patient, seen by the
    GP; with no nurse free the GP sees the patient alone."""
    d = raw("default")
    d["contact_types"]["acute"]["history_taking"] = {
        "by": ["nurse"], "before": ["gp"], "later_share": 0.5,
        "duration": {"dist": "lognormal", "mean": 6.0, "sd": 3.0}}
    contacts, _, tasks = tables(scenario_from_dict(d), days=4)
    histories = joined(contacts, tasks, "history")
    assert len(histories) > 20 and set(histories.role) == {"nurse"}
    consults = joined(contacts, tasks)
    after = histories.merge(consults, on=["replication", "contact_id"], suffixes=("", "_gp"))
    assert len(after) == len(histories)  # every history is followed by its consultation
    assert (after.role_gp == "gp").all() and (after.staff_id_gp == after.seen_by_id).all()
    assert (after.t0_gp >= after.t1).all() and (after.t_seen == after.t0_gp).all()
    assert (after.outcome == "consulted").all()
    gp_acute = consults[(consults.role == "gp") & (consults.contact_type == "acute")
                        & ~consults.complex]
    taken = set(zip(histories.replication, histories.contact_id))
    shared = pd.Series([k in taken for k in zip(gp_acute.replication, gp_acute.contact_id)])
    assert 0 < shared.sum() < len(gp_acute)  # some GPs saw their patient alone
    length = (gp_acute.t1 - gp_acute.t0).groupby(shared.values).median()
    assert 0.3 < length[True] / length[False] < 0.75


def test_history_taking_before_a_role_that_cannot_see_the_type_is_refused():
    d = raw("default")
    d["contact_types"]["acute"]["history_taking"] = {
        "by": ["nurse"], "before": ["secretary"], "later_share": 0.5,
        "duration": {"dist": "lognormal", "mean": 6.0, "sd": 3.0}}
    with pytest.raises(ScenarioError, match="history_taking.before"):
        scenario_from_dict(d)


def test_inbox_items_that_came_in_overnight_wait_for_the_first_person_in():
    """An inbox profile may start before opening: those items are all there when the first
    person starts (07:00 here), in the share the profile gives, and are handled from then;
    a phone profile may not."""
    d = raw("default")
    d["demand"]["e_consultations"]["profile"] = [
        {"start": "00:00", "end": "08:00", "weight": 0.5},
        {"start": "08:00", "end": "16:00", "weight": 0.5}]
    d["staff"]["nurse"]["start"] = "07:00"  # nurses answer e-consultations (medium)
    d["staff"]["nurse"]["blocks"].insert(0, {"kind": "admin", "start": "07:00", "end": "08:00"})
    contacts, _, tasks = tables(scenario_from_dict(d), days=3)
    econsult = contacts[(contacts.contact_type == "econsult") & (contacts.channel == "inbox")]
    overnight = (econsult.t_arise == 7 * 60).mean()
    assert 0.4 < overnight < 0.6 and (econsult.t_arise >= 7 * 60).all()
    handled = joined(contacts, tasks, "inbox")
    assert (handled.t0 < 8 * 60).any()  # the early start has overnight mail to work on
    d["demand"]["phone"]["profile"] = [{"start": "07:00", "end": "12:00"}]
    with pytest.raises(ScenarioError, match="within opening hours"):
        scenario_from_dict(d)


def test_a_question_asked_before_any_doctor_is_in_is_left_as_a_message():
    """Nurses in at 07:00 with the overnight inbox ask about every item; the GPs come at
    08:00. Questions asked before then are left as messages (no one waits for the doctors
    to arrive); from 08:00 the nurse waits for the answer as before."""
    d = raw("default")
    d["demand"]["e_consultations"]["profile"] = [
        {"start": "00:00", "end": "08:00", "weight": 0.5},
        {"start": "08:00", "end": "16:00", "weight": 0.5}]
    d["staff"]["nurse"]["start"] = "07:00"
    d["staff"]["nurse"]["blocks"].insert(0, {"kind": "admin", "start": "07:00", "end": "08:00"})
    d["supervision"]["questions"]["nurse"] = 1.0
    scenario = scenario_from_dict(d)
    calendar = RunCalendar(scenario.calendar, days=2, warmup_days=0)
    records = list(simulate_run(CompiledScenario(scenario), seed=3, replication=0,
                                calendar=calendar, event_log=True))
    check_conservation(records)
    early = [e for rec in records for e in rec.events if e[0] < 8 * 60 and e[3].startswith(
        "nurse") and e[2] in ("question", "message")]
    assert len(early) > 5 and {e[2] for e in early} == {"message"}
    later = [e for rec in records for e in rec.events if e[0] >= 8 * 60 and e[3].startswith(
        "nurse") and e[2] == "question"]
    assert later
    waited = [t for rec in records for t in rec.timeline
              if t[1] == "being_supervised" and t[2] < 8 * 60]
    assert not waited
    assert sum(1 for rec in records for t in rec.tasks if t[1] == "message") > 0


def test_time_for_another_practice_is_neither_idle_nor_paid_here():
    """A secretary shared with another practice works for it 12:30-16:00: that time is
    her own activity, not idle, not available and not part of this practice's cost."""
    from sim.metrics import overall

    d = raw("default")
    d["block_kinds"]["other_practice"] = {"activity": "other_practice", "serves": []}
    base = run_replications_short(scenario_from_dict(d))
    d["staff"]["secretary"]["blocks"].append({"kind": "other_practice", "start": "12:30",
                                              "end": "16:00"})
    shared = run_replications_short(scenario_from_dict(d))
    s = shared.summary()
    away = s[(s.metric == "time_use_min") & (s.role == "secretary")
             & (s.activity == "other_practice") & s.weekday.isna()]["mean"].iloc[0]
    assert away == pytest.approx(2 * 210, rel=0.02)
    cost = lambda r: overall(r.summary()).set_index("metric").loc["staff_cost_dkk", "mean"]  # noqa: E731
    rate = scenario_from_dict(d).roles["secretary"].cost_per_hour
    assert cost(base) - cost(shared) == pytest.approx(2 * 3.5 * rate, rel=0.02)


def run_replications_short(scenario):
    from sim import run_replications

    return run_replications(scenario, 2, 1, weeks=1, warmup_weeks=0)


def test_a_remote_gp_takes_only_what_can_be_done_remotely():
    """A GP working by video takes follow-ups and e-consultations (remote types) and no
    other consultation; the practice's own GPs take the rest."""
    d = raw("default")
    for ctype in ("follow_up", "econsult", "prescription"):
        d["contact_types"][ctype]["remote"] = True
    d["staff"]["gp_remote"] = dict(d["staff"]["gp"], count=1, remote=True)
    contacts, _, tasks = tables(scenario_from_dict(d), days=3)
    remote = tasks[(tasks.staff_id == "gp_remote")
                   & tasks.kind.isin(["consult", "inbox", "home_visit"])]
    merged = remote.merge(contacts[["replication", "contact_id", "contact_type"]],
                          on=["replication", "contact_id"])
    assert len(merged) > 10
    assert set(merged.contact_type) <= {"follow_up", "econsult", "prescription"}


def test_a_nurse_is_with_the_patient_through_each_video_consultation():
    """A remote GP assisted by a nurse: each consultation waits until a nurse comes, who is
    then with the patient for its length (time consulting); the GP's time before it is
    idle, or answering questions. One outcome each, every one assisted."""
    d = raw("default")
    d["contact_types"]["follow_up"]["remote"] = True
    d["delegation"]["routes"]["medium"]["follow_up"] = ["gp"]
    d["staff"]["gp_remote"] = dict(d["staff"]["gp"], count=1, remote=True, blocks=[],
                                   assisted_by=["nurse"])  # planned all day (role default)
    contacts, staff, tasks = tables(scenario_from_dict(d), days=3)
    video = joined(contacts, tasks)
    video = video[video.staff_id == "gp_remote"]
    assists = tasks[tasks.kind == "assist"]
    assert len(video) > 10 and set(assists.role) == {"nurse"}
    both = video.merge(assists, on=["replication", "contact_id"], suffixes=("", "_nurse"))
    assert len(both) == len(video)  # a nurse in every one
    assert (both.t1_nurse <= both.t1 + 1e-9).all() and (both.t0_nurse >= both.t0).all()
    assert ((both.t1 - both.t0_nurse) >= (both.t1_nurse - both.t0_nurse) - 1e-9).all()
    assert (both.outcome == "consulted").all() and (both.t_seen >= both.t0_nurse).all()
    assert (both.t0_nurse > both.t0).any()  # some waited for a nurse to come
    remote = staff[staff.staff_id == "gp_remote"]
    assert remote[remote.activity == "being_supervised"].minutes.sum() == 0
    # the event log starts the consultation when the nurse has come, as t_seen does
    events = run_replications(scenario_from_dict(d), replications=1, seed=1, weeks=1,
                              warmup_weeks=0, event_log=True).events
    key = ["day", "contact_id"]
    came = events[events.event == "assist_answered"].set_index(key).time
    started = events[(events.event == "consult_start")
                     & events.set_index(key).index.isin(came.index)].set_index(key).time
    assert len(started) == len(came) > 5
    assert (started.sort_index() >= came.sort_index()).all()


def test_a_gp_waiting_for_an_assistant_answers_the_nurses_questions():
    """The only GP is assisted by nurses and every nurse consultation brings a question
    the nurse waits for: he answers them while he waits, so no one is stuck (the run
    finishes with every contact's outcome and every minute accounted for)."""
    d = raw("default")
    d["staff"] = {"gp": dict(d["staff"]["gp"], count=1, assisted_by=["nurse"]),
                  "nurse": d["staff"]["nurse"], "secretary": d["staff"]["secretary"]}
    d["supervision"]["questions"] = {"nurse": 1.0}
    contacts, staff, tasks = tables(scenario_from_dict(d), days=3)  # checks conservation
    assert (tasks.kind == "assist").sum() > 10 and (tasks.kind == "question").sum() > 10
    gp = tasks[tasks.role == "gp"]
    consults = gp[gp.kind == "consult"]
    answered = gp[gp.kind == "question"]
    inside = answered.merge(consults, on=["replication", "day", "worker"],
                            suffixes=("", "_c"))
    inside = inside[(inside.t0 >= inside.t0_c) & (inside.t1 <= inside.t1_c)]
    assert len(inside) > 0  # questions answered while a consultation waited for a nurse


def test_a_group_session_sees_its_patients_together():
    """Group consultations book seats in a nurse's 90-minute group slot of 8 seats: the
    patients who come are all seen in one session, by one task."""
    d = raw("default")
    d["contact_types"]["group_consultation"]["group"] = True
    d["demand"]["planned"]["mix"] = {"group_consultation": 0.1, "follow_up": 0.9}
    d["demand"]["planned"]["per_patient_year"] = 2.0
    d["staff"]["nurse"]["blocks"].append({"kind": "planned", "start": "14:00", "end": "15:30",
                                          "slot_min": 90, "group_size": 8})
    contacts, _, tasks = tables(scenario_from_dict(d), seeds=range(2), days=6)
    group = contacts[(contacts.contact_type == "group_consultation")
                     & (contacts.outcome == "consulted")]
    assert len(group) > 8
    sessions = group.groupby(["replication", "day", "seen_by_id", "t_seen"]).size()
    assert sessions.max() > 1 and (sessions <= 8).all()
    consults = joined(contacts, tasks)
    led = consults[consults.contact_type == "group_consultation"]
    assert len(led) == len(sessions)  # one task per session, however many patients
    assert (led.t0 >= 14 * 60).all()  # never before its slot (later if the nurse runs late)


def test_notes_lengthen_consultations_of_their_role_only():
    """Notes add minutes in proportion to face time for the role they are set for; calls
    and other roles' consultations keep their length."""
    def lengths(share: dict[str, float]) -> pd.DataFrame:
        d = raw("default")
        d["notes"]["share_of_consultation"] = share
        _, _, tasks = tables(scenario_from_dict(d), days=3)
        tasks = tasks.assign(length=tasks.t1 - tasks.t0)
        return tasks.groupby(["kind", "role"]).length.median()

    without, with_notes = lengths({}), lengths({"gp": 0.5})
    assert with_notes["consult", "gp"] == pytest.approx(1.5 * without["consult", "gp"], rel=0.1)
    assert with_notes["consult", "nurse"] == pytest.approx(without["consult", "nurse"], rel=0.1)
    assert with_notes["call", "secretary"] == pytest.approx(without["call", "secretary"], rel=0.1)


def test_a_slot_used_in_full_holds_its_notes():
    """A contact type whose durations are a booked slot used in full (child examinations in
    base.yaml) takes the same time with or without notes; one whose durations are face time
    (follow-ups, T1) takes the notes on top. Without the flag, the examinations take them
    too."""
    def lengths(share: dict[str, float], slot_sized: bool = True) -> pd.Series:
        d = raw("default")
        d["notes"]["share_of_consultation"] = share
        d["contact_types"]["child_exam"]["durations_include_notes"] = slot_sized
        contacts, _, tasks = tables(scenario_from_dict(d), days=5)
        seen = joined(contacts, tasks).assign(length=lambda t: t.t1 - t.t0)
        seen = seen[~seen.complex & (seen.role == "nurse")]  # complex patients take longer
        return seen.groupby("contact_type").length.median()

    share = {"nurse": 0.5}
    without, with_notes = lengths({}), lengths(share)
    assert with_notes["child_exam"] == pytest.approx(without["child_exam"], rel=0.1)
    assert with_notes["follow_up"] == pytest.approx(1.5 * without["follow_up"], rel=0.1)
    assert lengths(share, slot_sized=False)["child_exam"] == pytest.approx(
        1.5 * without["child_exam"], rel=0.1)


def test_a_weekday_with_its_own_opening_hours_and_phone_profile():
    """An evening consultation on Wednesdays (case 9) and a phone open only in the morning on
    Fridays (case 3): Wednesday's GP sees booked patients 16-18 on Wednesdays only, and no
    call rings after 10 on a Friday while calls ring until noon on other days."""
    d = raw("default")
    d["clinic"]["on"] = {"wed": {"close": "18:00"}}
    # the evening GP books patients only 16-18 (planned, the GP's default block), and holds
    # a share of the list whose patients wait for their own GP's slots
    d["staff"]["gp_evening"] = {"role": "gp", "count": 1, "start": "10:00", "end": "18:00",
                                "days": ["wed"],
                                "blocks": [{"kind": "admin", "start": "10:00", "end": "16:00"}]}
    d["demand"]["phone"]["on"] = {"fri": {"profile": [{"start": "08:00", "end": "10:00"}]}}
    scenario = scenario_from_dict(d)
    from sim.scenario.checks import scenario_warnings

    # the secretaries keep the default's phone hours to 12 on Fridays: that is warned of;
    # the evening GP's slots, inside Wednesday's hours, are not
    assert [str(p.path) for p in scenario_warnings(scenario)] == ["('staff', 'secretary')"]
    closes_at_16 = {**d, "clinic": {k: v for k, v in d["clinic"].items() if k != "on"}}
    assert any("after closing" in str(p) and "16:00-18:00" in str(p)
               for p in scenario_warnings(scenario_from_dict(closes_at_16)))
    assert scenario.clinic.hours("wed") == (480.0, 1080.0)
    assert scenario.clinic.hours("tue") == (480.0, 960.0)
    contacts, _, tasks = tables(scenario, seeds=[0, 1], days=10)
    seen = joined(contacts, tasks)
    evening = seen[seen.staff_id == "gp_evening"]
    assert len(evening) > 5 and (evening.t0 >= 16 * 60).all()
    assert set(evening.day % 5) == {2}  # Wednesdays only (a run starts on a Monday)
    calls = contacts[contacts.channel == "phone"]
    friday = calls[calls.day_arise % 5 == 4]
    others = calls[calls.day_arise % 5 != 4]
    assert len(friday) > 20 and friday.t_arise.max() < 10 * 60
    assert others.t_arise.max() > 11 * 60


def test_practice_text_names_the_weekdays_with_other_hours():
    from sim.practice_text import practice_sentences

    d = raw("default")
    d["clinic"]["on"] = {"wed": {"close": "18:00"}}
    assert "Monday to Friday (Wed 08:00-18:00)." in practice_sentences(scenario_from_dict(d))[0]


def test_practice_text_names_the_duties_taken_in_turn():
    from sim.practice_text import days_text, practice_sentences

    s = load_scenario("case13")
    assert ("Duties in turn: the Thu home visit day by gp_owner_2 and gp_owner_1, one week "
            "each.") in practice_sentences(s)
    assert days_text(s, s.staff["gp_owner_1"], "gp_owner_1") == (
        "every working day (other hours or blocks on Mon); the Thu home visit day duty one "
        "week in 2")


def test_a_calendar_no_answerer_can_handle_the_inbox_in_is_refused():
    """Nurses' inbox questions go to a doctor's calendar, but the only supervising role
    above them has no duration for any inbox contact type."""
    d = raw("default")
    d["supervision"]["calendar"] = {"nurse": 1.0}
    for ctype in ("econsult", "correspondence", "prescription"):
        d["contact_types"][ctype]["durations"].pop("gp", None)
        for level in d["delegation"]["routes"].values():
            level[ctype] = [r for r in level[ctype] if r != "gp"] or ["nurse"]
    with pytest.raises(ScenarioError, match="duration for an inbox contact type"):
        scenario_from_dict(d)


def test_practice_text_names_how_questions_reach_a_doctor():
    from sim.practice_text import practice_sentences

    assert not any(t.startswith("Questions to a doctor")
                   for t in practice_sentences(load_scenario("default")))
    assert ("Questions to a doctor: nurses (100 %) put that share of their questions about "
            "inbox items in a doctor's calendar as a task, in a planned slot."
            ) in practice_sentences(load_scenario("case10"))


def test_practice_text_names_visits_with_two_people():
    from sim.practice_text import practice_sentences

    assert not any(t.startswith("Two people") for t in practice_sentences(
        load_scenario("default")))
    assert ("Two people in one visit: a free nurse takes the history before a GP sees a "
            "same-day patient (acute).") in practice_sentences(load_scenario("case16"))
    assert ("Two people in one visit: a nurse is with the patient through each "
            "consultation of gp_remote.") in practice_sentences(load_scenario("case17"))


def test_waiting_for_the_own_gp_need_not_take_nurse_work_to_the_doctors():
    """Patients who wait up to 10 days for their own GP: with the preference on every
    route, needs the route gives a nurse first go to the GPs instead; held to routes that
    start with a GP, the nurses keep them and GP visits are with the own GP more often."""
    def planned(extra: float, first_rung_only: bool) -> pd.DataFrame:
        d = raw("default")
        d["booking"].update(own_gp_extra_days=extra, own_gp_first_rung_only=first_rung_only)
        contacts, _, _ = tables(scenario_from_dict(d), seeds=[0, 1], days=10)
        seen = contacts[(contacts.outcome == "consulted")
                        & contacts.channel.isin(["planned", "review", "follow_up"])]
        return seen

    def nurse_share(seen: pd.DataFrame) -> float:
        return (seen.seen_by == "nurse").mean()

    def own(seen: pd.DataFrame) -> float:
        gp = seen[seen.seen_by == "gp"]
        return (gp.seen_by_id == gp.own_gp).mean()

    base, every_route, gp_routes = planned(0, False), planned(10, False), planned(10, True)
    assert nurse_share(every_route) < nurse_share(base) - 0.1
    assert nurse_share(gp_routes) > nurse_share(base) - 0.05
    assert own(gp_routes) > own(base) + 0.2


def test_a_stated_demand_factor_replaces_the_mix_factor():
    """A list whose contact rate a source states (case 6's GP: 2,500 city patients work
    like 1,500 in the provinces) contacts the practice at that rate, whatever its shares
    aged 70+ and morbid would give; at national inputs the rate is the reference's again."""
    from sim.calibration import at_national_inputs

    d = raw("default")
    d["population"].update(share_70plus=0.05, share_morbid=0.10)
    by_mix = CompiledScenario(scenario_from_dict(d))
    d["population"]["demand_factor"] = 0.5
    stated = scenario_from_dict(d)
    model = CompiledScenario(stated)
    assert by_mix.mix_factor == pytest.approx(0.871, abs=1e-3)
    assert model.mix_factor == 0.5
    assert model.expected_per_day("phone") == pytest.approx(
        4.5 * 6000 * 0.5 / 251, rel=1e-9)
    calendar = RunCalendar(stated.calendar, weeks=1, warmup_weeks=0)
    arisen = {name: sum(r.arisen for r in simulate_run(m, 3, 0, calendar))
              for name, m in (("mix", by_mix), ("stated", model))}
    # the demand streams scale; chronic reviews (one per morbid patient's cycle) do not
    assert 0.95 < arisen["stated"] / arisen["mix"] / (0.5 / by_mix.mix_factor) < 1.15
    national = CompiledScenario(at_national_inputs(stated, 1600))
    assert national.mix_factor == pytest.approx(1.0)
    from sim.practice_text import practice_sentences

    assert ("0.50 times the contacts of the reference population, as the scenario states"
            in practice_sentences(stated)[0])


def test_a_role_the_practice_does_not_have_takes_no_rung():
    """Booking waits up to ``level_extra_days`` per rung for the lowest competent level,
    and the own-GP preference may hold only on routes a GP starts: both count the rungs
    of roles the practice has. Trainees (none in the default practice), between the
    others in the base routes or first in every route they can take, change nothing;
    before, each one added two days a GP's slot had to beat a nurse's by, and one put
    first turned the own-GP preference off."""
    def booked(with_trainees: bool) -> pd.DataFrame:
        d = raw("default")
        d["booking"].update(own_gp_extra_days=3, own_gp_first_rung_only=True)
        routes = d["delegation"]["routes"]["medium"]
        can = {t for t, c in d["contact_types"].items() if "trainee" in c["durations"]}
        if with_trainees:
            for ctype, roles in routes.items():
                if ctype in can:
                    routes[ctype] = ["trainee", *(r for r in roles if r != "trainee")]
        assert routes["follow_up"][:3] == (["trainee", "nurse", "gp"] if with_trainees
                                           else ["nurse", "trainee", "gp"])
        contacts, _, _ = tables(scenario_from_dict(d), seeds=[0, 1], days=10)
        return contacts

    pd.testing.assert_frame_equal(booked(False), booked(True))
