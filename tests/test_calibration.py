"""The calibration figures are computed as their definitions say, and the report builds."""
from __future__ import annotations

import math

import pytest

from sim.calibration import (FIGURES, NATIONAL, NATIONAL_LIST, at_national_inputs,
                             load_targets, markdown, national_list_lines, verdict)
from sim.engine.calendar import Day
from sim.engine.records import DayRecords
from sim.scenario import load_scenario
from sim.scenario.schema import ACTIVITIES


def day() -> DayRecords:
    """Two GPs, a nurse and a trainee; four contacts with known types and times."""
    def time(**minutes):
        t = dict.fromkeys(ACTIVITIES, 0.0)
        t.update(minutes)
        return t
    r = DayRecords(Day(0, 0, 0, "mon", 1.0, True))
    r.staff = [
        ("gp-1", "gp", "gp", None, 480, 960, 960, time(consulting=200, supervising=100,
                                                      inbox_admin=60, idle=90, **{"break": 30})),
        ("gp-2", "gp", "gp", None, 480, 960, 960, time(consulting=300, home_visits=60,
                                                      idle=90, **{"break": 30})),
        ("nurse", "nurse", "nurse", None, 480, 900, 900, time(consulting=300, idle=120)),
        ("trainee", "trainee", "trainee", None, 480, 960, 960, time(consulting=400, idle=80)),
    ]
    # (id, channel, type, team, day, t_arise, outcome, t_outcome, t_seen, seen_by, seen_by_id,
    #  same_day, patient, own_gp)
    r.contacts = [
        (0, "phone", "acute", None, 0, 480, "consulted", 500, 490, "nurse", "nurse", True, 1,
         "gp-1"),
        (1, "planned", "chronic_review", None, 0, 480, "consulted", 530, 500, "gp", "gp-1",
         False, 2, "gp-1"),
        (2, "phone", "musculoskeletal", None, 0, 490, "resolved_on_phone", 495, math.nan, "",
         "", False, 3, "gp-2"),
        (3, "inbox", "correspondence", None, 0, 500, "inbox_handled", 510, math.nan, "", "",
         False, 4, "gp-2"),
        (4, "phone", "acute", None, 0, 500, "abandoned", 505, math.nan, "", "", False, 5,
         "gp-1"),
    ]
    # (worker, kind, contact, t0, t1)
    r.tasks = [(2, "consult", 0, 490, 500), (0, "consult", 1, 500, 530),
               (1, "call", 2, 490, 495), (0, "inbox", 3, 505, 510)]
    r.arisen = len(r.contacts)
    return r


SCENARIO = load_scenario("default")


@pytest.mark.parametrize("target, expected", [
    ({"kind": "time_share", "roles": ["gp"], "numerator": ["supervising"],
      "denominator": "working"}, 100 / 720),
    ({"kind": "time_share", "roles": ["gp"], "numerator": ["consulting", "home_visits"],
      "denominator": ["consulting", "home_visits", "supervising"]}, 560 / 660),
    ({"kind": "consult_share", "roles": ["nurse"]}, 1 / 2),
    # handled patient contacts: 0, 1, 2 (3 is correspondence: not a patient contact)
    ({"kind": "type_share", "types": ["musculoskeletal"]}, 1 / 3),
    ({"kind": "type_time_share", "roles": "all", "types": ["chronic_review"],
      "denominator": "consult_time"}, 30 / 40),
    ({"kind": "type_time_share", "roles": ["gp"], "types": ["chronic_review"],
      "denominator": "working"}, 30 / 720),
    ({"kind": "contacts_per_patient_year"}, 3 * 251 / 6000),
    ({"kind": "contacts_per_gp_day"}, 3 / 2),  # the trainee is not a GP
    ({"kind": "face_to_face_per_gp_day"}, 2 / 2),
])
def test_figures_follow_their_definitions(target, expected):
    numerator, denominator = FIGURES[target["kind"]](day(), SCENARIO, target)
    assert numerator / denominator == pytest.approx(expected)


def test_national_contacts_leave_out_what_their_source_does_not_count():
    """Statistics Denmark does not count prescription renewals as contacts: a handled
    renewal adds to the figure only when the target does not leave it out."""
    records = day()
    records.contacts.append((5, "inbox", "prescription", None, 0, 500, "inbox_handled", 505,
                             math.nan, "", "", False, 6, "gp-1"))
    for kind, per in (("contacts_per_patient_year", 251 / 6000), ("contacts_per_gp_day", 1)):
        all_, _ = FIGURES[kind](records, SCENARIO, {"kind": kind})
        counted, _ = FIGURES[kind](records, SCENARIO, {"kind": kind,
                                                       "not_counted": ["prescription"]})
        assert all_ == pytest.approx(4 * per) and counted == pytest.approx(3 * per)


def test_planned_wait_with_the_doctor_or_with_same_day_consultations():
    """A wait "with the doctor" counts GP appointments only; a wait "for a consultation"
    counts the day's same-day consultations at 0 days as well."""
    records = day()
    # (id, source, request_day, due_day, appointment_day, time, staff, role, own_gp, urgent)
    records.bookings = [(10, "triage", 0, 0, 4, 500, "gp-1", "gp", "gp-1", False),
                        (11, "request", 0, 0, 2, 500, "nurse", "nurse", "gp-1", False),
                        (12, "carried_over", 0, 0, 1, 500, "gp-2", "gp", "gp-2", True)]
    records.same_day = [(0, True, True), (4, False, False)]  # 0 consulted; 4 abandoned
    wait = FIGURES["planned_wait_days"]
    assert wait(records, SCENARIO, {}) == (6.0, 2.0)
    assert wait(records, SCENARIO, {"roles": ["gp"]}) == (4.0, 1.0)
    assert wait(records, SCENARIO, {"sources": ["request", "triage", "carried_over"],
                                    "same_day": True}) == (7.0, 4.0)


def test_verdicts():
    assert verdict(0.5, 0.45, 0.55, 0.45, 0.55) == "within the stated range"
    assert verdict(0.40, 0.35, 0.46, 0.45, 0.55).startswith("borderline: mean below")
    assert verdict(0.70, 0.65, 0.75, 0.45, 0.55) == "outside: model above"


def test_targets_name_known_figures_and_cases():
    targets = load_targets()
    for t in targets["targets"]:
        assert t["kind"] in FIGURES
        assert t["low"] <= t["high"]
        assert t["case"] == "all" or 1 <= int(t["case"]) <= 17
        assert t["source"] and t["note"]
        assert set(t.get("not_counted") or ()) <= set(SCENARIO.contact_types)
    assert targets["fitted"] == []
    national = targets["national_inputs"]
    assert national["patients_per_gp_fte"] > 0
    assert set(national["why_still_outside"]) <= set(range(1, 18))


def test_report_has_a_row_for_every_target_and_case():
    from sim.calibration import _applies, calibrate_all, load_recognisability

    targets = load_targets()
    table, recognisable = calibrate_all(replications=2, targets=targets, weeks=1,
                                        warmup_weeks=0)

    expected = sum(1 for case in range(1, 18) for t in targets["targets"]
                   if _applies(t, case, load_scenario(f"case{case:02d}")))
    per_case = sum(1 for t in targets["targets"] if t["case"] != "all")
    assert len(table) == expected > per_case + 17
    assert table["model_mean"].notna().all()
    # the national checks, and only they, are read at a national list, with the case's
    # own list beside them
    national = table["target"].isin(NATIONAL)
    assert (table.loc[national, "read_at"] == NATIONAL_LIST).all()
    assert (table.loc[~national, "read_at"] == "the case").all()
    assert table.loc[national, "own_list_mean"].notna().all()
    assert table.loc[national, "own_list_verdict"].str.len().gt(0).all()
    assert table.loc[~national, "own_list_mean"].isna().all()
    assert (table.loc[~national, "own_list_verdict"] == "").all()
    # a case whose list differs from the national one reads differently there: case 3
    # has 2,800 patients per full-time GP, so more contacts per GP a day with its own
    per_gp = table[national & (table["case"] == 3) & (table["target"] == "contacts_per_gp_day")]
    assert (per_gp["own_list_mean"] > 1.3 * per_gp["model_mean"]).all()
    text = markdown(table, targets, 2, 1, "clinicsim calibrate")
    assert "Fitted targets:** none" in text
    assert text.count("\n| ") >= per_case + 17
    full = markdown(table, targets, 2, 1, "clinicsim calibrate", recognisable,
                    load_recognisability())
    rows = [line for line in full.splitlines() if line.startswith("| ")]
    assert rows
    in_tables = [line for line in full.splitlines()
                 if line.startswith("|") or line.endswith("|")]
    # every row of every table is one whole line: it starts and ends with a bar
    assert all(line.startswith("|") and line.rstrip().endswith("|") for line in in_tables)
    # each case's figures next to what its narrative says, one figure a row
    case1 = full.split("### Case 1 (")[1].split("###")[0]
    assert case1.count("\n| GP utilisation | ") == 1
    assert "not stated |" in case1


def test_new_kinds_of_figure_follow_their_definitions():
    from sim.calibration import _gp_consultations

    r = day()
    # one booking the patient asked for (wait 3 days), one follow-up (not a requested wait)
    r.bookings = [(0, "request", 0, 0, 3, 480.0, "gp-1", "gp", "gp-1", False),
                  (1, "follow_up", 0, 5, 6, 480.0, "gp-1", "gp", "gp-1", False)]
    assert FIGURES["planned_wait_days"](r, SCENARIO, {}) == (3.0, 1.0)
    # complex patients: contact 0 is not complex, 1 is; both were consulted
    r.contacts = [c[:14] + (c[0] == 1,) for c in r.contacts]
    num, den = FIGURES["patient_time_share"](r, SCENARIO, {"roles": "all"})
    assert num / den == pytest.approx(30 / 40)
    # time present: all but breaks, for the staff groups named
    num, den = FIGURES["time_share"](r, SCENARIO, {"staff": ["nurse"], "numerator":
                                                   ["consulting"], "denominator": "present"})
    assert num / den == pytest.approx(300 / 420)
    assert _gp_consultations(r, SCENARIO, {}) == (1.0, 2.0)  # the trainee is not a GP


def test_national_per_gp_checks_apply_to_the_degrees_they_name():
    from sim.calibration import _applies

    target = {"case": "all", "degrees": ["low", "medium"]}
    assert _applies(target, 6, load_scenario("case06"))          # low delegation
    assert not _applies(target, 1, load_scenario("case01"))      # high delegation
    assert _applies({"case": 1}, 1, load_scenario("case01"))


def test_acceptance_reads_the_wait_check_the_narrative_names():
    """Case 10's sentence is about the GP's wait: its acceptance line follows the check
    that measures that wait, not the table's wait over every appointment."""
    import pandas as pd

    from sim.calibration import COLUMNS, load_recognisability, recognisability_lines

    row = {"case": 10, "scenario": "case10", "delegation": "medium"}
    for key, _label, _metric, _share in COLUMNS:
        row.update({key: 0.1, f"{key}_low": 0.1, f"{key}_high": 0.1})
    row["planned_wait"] = 4.0  # within 3-10 over every appointment
    table = pd.DataFrame([row])
    narratives = load_recognisability()
    assert narratives[10]["planned_wait"]["check"] == "case10_planned_wait"

    def wait_lines(gp_wait):
        lines = recognisability_lines(table, narratives, {(10, "case10_planned_wait"): gp_wait})
        return [x for x in lines if "case10_planned_wait" in x or "appointment waits" in x]

    assert wait_lines(5.0) == []
    assert "1.2 working days" in wait_lines(1.2)[0]
    # the line says how full the GP's calendar is as each day begins (the table's figure)
    assert "10 % of the GPs' planned slots are booked (10-10 %)" in wait_lines(1.2)[0]
    # a wait too short beside a phone that loses callers says the phone holds demand back
    assert "holds part of that demand back" not in wait_lines(1.2)[0]
    table.loc[0, "callers_lost"] = 0.16
    assert "16 % of its callers never get through" in wait_lines(1.2)[0]
    assert "holds part of that demand back" not in wait_lines(12.0)[0]


def test_acceptance_flags_work_that_piles_up_only_when_confidently_growing():
    import pandas as pd

    from sim.calibration import COLUMNS, load_recognisability, recognisability_lines

    def pile_lines(trend, low, high):
        row = {"case": 3, "scenario": "case03", "delegation": "medium"}
        for key, _label, _metric, _share in COLUMNS:
            row.update({key: 0.1, f"{key}_low": 0.1, f"{key}_high": 0.1})
        row.update(carried_trend=trend, carried_trend_low=low, carried_trend_high=high)
        lines = recognisability_lines(pd.DataFrame([row]), load_recognisability(), {})
        return [x for x in lines if "carried to the next day" in x]

    assert pile_lines(3.5, -2.3, 9.3) == []
    assert "grows by 136 items a week (116-156)" in pile_lines(136.3, 116.2, 156.4)[0]
    # a small trend is written with the decimals it needs, never as "0 items (0-0)"
    assert "grows by 0.02 items a week (0.00-0.04)" in pile_lines(0.0197, 0.0001, 0.0394)[0]


def test_national_inputs_change_only_the_list():
    from sim.capacity import gp_fte

    case = load_scenario("case03")
    national = at_national_inputs(case, 1600)
    pop = national.population
    assert pop.list_size == round(1600 * gp_fte(case)) != case.population.list_size
    assert (pop.share_70plus, pop.share_morbid) == (pop.reference_share_70plus,
                                                    pop.reference_share_morbid)
    assert national.staff == case.staff and national.demand == case.demand
    assert case.population.share_70plus == 0.11  # the case itself is untouched


def test_national_list_lines_count_the_checks_at_both_lists():
    import pandas as pd

    def row(case, verdict_national, verdict_own):
        return {"case": case, "target": "contacts_per_gp_day", "statement": "About 49 X",
                "read_at": NATIONAL_LIST, "verdict": verdict_national, "model_mean": 50.0,
                "ci_low": 49.0, "ci_high": 51.0, "own_list_verdict": verdict_own,
                "own_list_mean": 80.0, "own_list_ci_low": 79.0, "own_list_ci_high": 81.0}
    table = pd.DataFrame([row(1, "within the stated range", "within the stated range"),
                          row(2, "within the stated range", "outside: model above"),
                          row(3, "outside: model above", "outside: model above"),
                          row(4, "outside: model above",
                              "borderline: mean above, CI overlaps")])
    text = "\n".join(national_list_lines(
        table, {"national_inputs": {"patients_per_gp_fte": 1600,
                                    "why_still_outside": {3: "a reason"}}}))
    assert "At the national list 2 of the 4 national checks fall within" in text
    assert "With the cases' own lists 1 does" in text
    assert "- case 3, about 49 X: 50.0 (49.0-51.0), outside: model above. Why: a reason." in text
    assert "- case 4, about 49 X" in text and "- case 2," not in text
    # without runs at national inputs there is nothing to say
    assert national_list_lines(table.assign(read_at="the case"), {}) == []


def test_acceptance_counts_callers_who_never_got_through_not_rings():
    """A caller who gets through on a redial is not lost: the ceiling reads callers, and
    says how many rings went unanswered beside it."""
    import pandas as pd

    from sim.calibration import COLUMNS, load_recognisability, recognisability_lines

    def phone_lines(rings, callers):
        row = {"case": 3, "scenario": "case03", "delegation": "medium"}
        for key, _label, _metric, _share in COLUMNS:
            row.update({key: 0.1, f"{key}_low": 0.1, f"{key}_high": 0.1})
        row.update(phone_access=rings, callers_lost=callers)
        lines = recognisability_lines(pd.DataFrame([row]), load_recognisability(), {})
        return [x for x in lines[lines.index("### Acceptance: figures the narratives make "
                                             "plain"):] if "through" in x]

    assert phone_lines(0.20, 0.06) == []
    found = phone_lines(0.45, 0.17)
    assert "17 % of callers never got through" in found[0]
    assert "45 % of rings went unanswered" in found[0]
    assert "counts callers, not rings" in found[1]


def test_calls_answered_share_counts_rings_in_its_window():
    r = day()
    # (contact, rung at, answered at (NaN: not), role, wait ended)
    r.calls = [(0, 480.0, 482.0, "secretary", 482.0), (1, 500.0, math.nan, "", 510.0),
               (1, 530.0, 531.0, "nurse", 531.0), (2, 700.0, math.nan, "", 705.0),
               (3, 730.0, 731.0, "secretary", 731.0)]  # after the window
    t = {"kind": "calls_answered_share", "window": ["08:00", "12:00"]}
    assert FIGURES["calls_answered_share"](r, SCENARIO, t) == (2.0, 4.0)


def test_a_regional_check_applies_to_the_cases_in_its_region():
    from sim.calibration import _applies

    t = {"case": "all", "regions": ["Hovedstaden"]}
    assert _applies(t, 3, load_scenario("case03"))       # Hovedstaden
    assert not _applies(t, 5, load_scenario("case05"))   # Nordjylland


def test_a_tiny_negative_figure_shows_as_zero_in_the_table():
    import pandas as pd

    from sim.calibration import _cell

    row = pd.Series({"x": -1e-9, "x_low": -0.02, "x_high": 0.01})
    assert _cell(row, "x", False) == "0.0 (0.0-0.0)"
    assert _cell(row.replace(-0.02, -0.2), "x", False) == "0.0 (-0.2-0.0)"
