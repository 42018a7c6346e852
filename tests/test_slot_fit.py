"""Consultations longer than their slots, from inputs alone: the arithmetic a consultant
can check before a run (sim/slot_fit.py), and where the command line says it."""
from __future__ import annotations

import pytest

from sim import load_scenario, scenario_from_dict
from sim.engine import CompiledScenario
from sim.slot_fit import overrun_sentence, overruns
from tests.conftest import raw


def found(scenario) -> dict[tuple[str, str, str, float], float]:
    """(role, contact type, slot kind, slot length) -> mean minutes, notes included."""
    return {(o.role, o.contact_type, o.slots, o.slot_min): o.mean_min
            for o in overruns(CompiledScenario(scenario))}


def test_the_mean_is_face_time_and_its_notes_against_the_slot():
    """The default's GPs hold 10-minute acute slots; a same-day acute consultation is
    8.2 minutes of face time (T8) and 0.247 of it in notes (T15): 10.2 minutes."""
    d = raw("default")
    scenario = scenario_from_dict(d)
    face = d["contact_types"]["acute"]["durations"]["gp"]["mean"]
    share = d["notes"]["share_of_consultation"]["gp"]
    got = found(scenario)
    assert got[("gp", "acute", "acute", 10.0)] == pytest.approx(face * (1 + share))
    # a review is a whole 15-minute slot, notes and all (T4): it fits the GP's planned slots
    assert not [k for k in got if k[2] == "planned"]


def test_a_duration_that_is_a_slot_used_in_full_gets_no_notes_on_top():
    d = raw("default")
    d["contact_types"]["chronic_review"]["durations_include_notes"] = False
    nurse_review = d["contact_types"]["chronic_review"]["durations"]["nurse"]["mean"]
    share = d["notes"]["share_of_consultation"]["nurse"]
    got = found(scenario_from_dict(d))
    assert got[("nurse", "chronic_review", "planned", 20.0)] == pytest.approx(
        nurse_review * (1 + share))


def test_only_the_roles_a_route_allows_and_the_slots_a_need_may_use_count():
    """A GP off the follow-up route books no follow-ups; a planned-only type (a review)
    never sits in an acute slot unless the carve-out releases them to planned booking."""
    d = raw("default")
    d["delegation"]["routes"]["medium"]["follow_up"] = ["nurse", "trainee"]
    assert ("gp", "follow_up", "acute", 10.0) not in found(scenario_from_dict(d))
    d = raw("default")
    assert ("gp", "chronic_review", "acute", 10.0) not in found(scenario_from_dict(d))
    d["booking"]["release_acute_days"] = 2
    assert ("gp", "chronic_review", "acute", 10.0) in found(scenario_from_dict(d))


def test_longer_slots_make_them_fit():
    d = raw("default")
    for group in ("gp", "gp_visiting", "nurse"):
        for block in d["staff"][group]["blocks"]:
            if block["kind"] == "acute":
                block["slot_min"] = 20
    scenario = scenario_from_dict(d)
    assert found(scenario) == {}
    assert overrun_sentence(overruns(CompiledScenario(scenario))) == ""


def test_the_sentence_names_each_role_slot_and_type():
    """One clause per role and slot length, its types longest first."""
    text = overrun_sentence(overruns(CompiledScenario(load_scenario("default"))))
    assert text.startswith("Consultations longer than their slots on average, notes "
                           "included: in the gp role's 10-minute acute slots, certificate "
                           "15.0, ")
    assert "acute 10.2 minutes; in the nurse role's 15-minute acute slots, mental health " \
           "20.0 minutes." in text
    assert "`slot_min`" in text


def test_case_14s_physiotherapy_fits_its_slot_with_its_notes():
    """24 minutes of face time and the nurses' notes share: 29.9 minutes in 30."""
    assert overruns(CompiledScenario(load_scenario("case14"))) == []


def test_validate_run_and_explain_give_the_note_where_a_slot_overruns(capsys):
    from sim.cli import main

    assert main(["validate", "default", "case08"]) == 0
    out = capsys.readouterr().out
    default, case08 = out.split("case08: valid")
    assert "note: Consultations longer than their slots on average" in default
    assert "Consultations longer than their slots" not in case08
    assert main(["run", "-r", "1", "--weeks", "1", "--warmup-weeks", "0"]) == 0
    assert "The slots, from the scenario's inputs alone:" in capsys.readouterr().out
    assert main(["run", "case08", "-r", "1", "--weeks", "1", "--warmup-weeks", "0"]) == 0
    assert "The slots, from the scenario's inputs alone:" not in capsys.readouterr().out
    assert main(["explain", "overtime_min", "--scenario", "case08"]) == 0
    assert "Every consultation fits its slot on average" in capsys.readouterr().out


def test_a_role_on_the_complex_patients_route_only_counts_too():
    """A route for complex patients may name a role the ordinary route leaves out."""
    d = raw("default")
    d["delegation"]["routes"]["medium"]["follow_up"] = ["nurse", "trainee"]
    d["delegation"]["complex_routes"] = {"follow_up": ["gp"]}
    assert ("gp", "follow_up", "acute", 10.0) in found(scenario_from_dict(d))
