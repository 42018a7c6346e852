"""Every bundled case file against its fact box (seed 003), and every case runs."""
from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from sim.engine import CompiledScenario, RunCalendar, simulate_run
from sim.cases import case_file, catalogue, fact_boxes
from sim.cli import main
from sim.metrics import check_conservation
from sim.scenario import load_scenario

FACTS = fact_boxes().set_index("case")
CASES = list(FACTS.index)


def test_all_seventeen_cases_have_a_file():
    assert CASES == list(range(1, 18))
    assert all(case_file(c) is not None for c in CASES)
    assert catalogue()["file"].str.len().gt(0).all()


@pytest.mark.parametrize("case", CASES)
def test_case_matches_its_fact_box(case):
    s = load_scenario(f"case{case:02d}")
    fact = FACTS.loc[case]
    assert s.practice.case == case
    assert s.population.list_size == fact.patients
    base = load_scenario("default").population
    for field, column in (("share_70plus", "share_70plus_pct"), ("share_morbid",
                                                                  "share_morbid_pct")):
        expected = getattr(base, field) if pd.isna(fact[column]) else fact[column] / 100
        assert getattr(s.population, field) == pytest.approx(expected), field
    if isinstance(fact.delegation, str):
        allowed = fact.delegation.split("-")  # "low-medium": either reading
        assert s.delegation.degree in allowed
    assert s.practice.capacities == fact.capacities
    assert s.practice.doctors == str(fact.doctors_excl_trainees)
    if not pd.isna(fact.practice_staff):
        assert s.practice.practice_staff == pytest.approx(fact.practice_staff)


# --- the week -------------------------------------------------------------------------------


def cycle_weeks(s) -> int:
    """Weeks after which the roster repeats (the longest rotation; 1 without rotations)."""
    return max([p.rotation.every_weeks for p in s.staff.values() if p.rotation] or [1])


def doctors_on(s, weekday: str, week: int, listed_only: bool = False) -> int:
    """Doctors (not trainees) in on ``weekday`` of ``week`` (1 = the first of a cycle), by
    the roster's days and rotations; ``listed_only``: only those who hold a list."""
    n = 0
    for p in s.staff.values():
        role = s.roles[p.role]
        if not role.doctor or role.in_training or p.count == 0:
            continue
        if p.days is not None and weekday not in p.days:
            continue
        if p.rotation is not None and (week - 1) % p.rotation.every_weeks + 1 not in p.rotation.weeks:
            continue
        share = p.list_share if p.list_share is not None else (1.0 if role.keeps_list else 0.0)
        if listed_only and share == 0:
            continue
        n += p.count
    return n


def doctor_days(s, listed_only: bool = False) -> list[int]:
    """Doctor-days in each week of the roster's cycle."""
    return [sum(doctors_on(s, d, w, listed_only) for d in s.calendar.weekdays)
            for w in range(1, cycle_weeks(s) + 1)]


#: Doctor-days a week (trainees excluded) where the case's narrative states them, with the
#: seed quote: (lowest, highest), and whether only the doctors who hold a list count.
STATED_DOCTOR_DAYS = {
    1: ((17, 17), True),   # "En ansat speciallæge arbejder ... fem dage i ugen, mens de øvrige fire læger er i klinikken tre dage om ugen" (the locum's days are not stated)
    2: ((12, 12), False),  # "Lægerne har hver en ugedag, hvor de varetage eksterne funktioner" (3 x 4)
    3: ((20, 20), False),  # "så alle har en ugentlig fridag" (5 x 4)
    5: ((35, 35), False),  # "arbejder fuld tid og er tilstede fem dage i ugen" (7 doctors)
    6: ((5, 5), False),    # "Lægen arbejder fuld tid i klinikken"
    8: ((8, 8), False),    # "2 er der 3 dage/uge og 1 arbejder 2 dage/uge"
    9: ((6, 6), False),    # "hver arbejder 3 dage om ugen. Onsdag er begge lægerne til stede"
    10: ((4, 4), True),    # "fast i klinikken 4 dage om ugen" (and a locum the fifth)
    11: ((5, 5), False),   # "1 læge, der er ejerlægen (fuldtid i klinik)"
    13: ((16, 18), False), # "2 ejerlæger", "3-4 ansatte læger – 2 dage/uge hver" (owners full time: assumption)
    14: ((10, 10), False), # "der er altid 2 læger i fremmøde"
    15: ((5, 5), False),   # "Lægen passer telefonen dagligt"
    16: ((6, 6), False),   # "4 læger bemander praksis på skift 1 uge/måned. 1 dag/uge ... er 2 læger tilstede"
}

#: Doctors in on a named weekday where the narrative says so.
STATED_WEEKDAY_DOCTORS = {
    (9, "wed"): 2,   # "Onsdag er begge lægerne til stede"
    (10, "fri"): 1,  # "I lægens fravær bemandes klinikken med en vikarlæge"
    **{(14, d): 2 for d in ("mon", "tue", "wed", "thu", "fri")},  # "altid 2 læger i fremmøde"
    **{(16, d): 1 for d in ("mon", "tue", "thu", "fri")},         # "på skift 1 uge/måned"
}


@pytest.mark.parametrize("case", CASES)
def test_case_week_has_a_doctor_every_day_and_no_more_than_the_headcount(case):
    s = load_scenario(f"case{case:02d}")
    headcount = max(int(n) for n in re.findall(r"\d+", str(FACTS.loc[case].doctors_excl_trainees)))
    for week in range(1, cycle_weeks(s) + 1):
        for weekday in s.calendar.weekdays:
            # no case's narrative has a weekday without a doctor
            assert 1 <= doctors_on(s, weekday, week) <= headcount, (weekday, week)
    for (c, weekday), expected in STATED_WEEKDAY_DOCTORS.items():
        if c == case:
            assert all(doctors_on(s, weekday, w) == expected
                       for w in range(1, cycle_weeks(s) + 1)), weekday


@pytest.mark.parametrize("case", sorted(STATED_DOCTOR_DAYS))
def test_case_week_has_the_doctor_days_its_narrative_states(case):
    (low, high), listed_only = STATED_DOCTOR_DAYS[case]
    s = load_scenario(f"case{case:02d}")
    assert all(low <= days <= high for days in doctor_days(s, listed_only))


def test_rotating_duty_doctors_each_hold_one_week_of_the_cycle():
    s = load_scenario("case16")
    rota = [p.rotation for p in s.staff.values() if p.rotation is not None]
    assert len(rota) == 4 and all(r.every_weeks == 4 for r in rota)
    assert sorted(w for r in rota for w in r.weeks) == [1, 2, 3, 4]


@pytest.mark.parametrize("case", CASES)
def test_case_roster_is_consistent(case):
    """Days are working weekdays, weekday plans only on days in, rotations within their
    cycle; locums and agency doctors hold no list and someone holds the list unless the
    doctors change (case 17); part-timers' lists are no larger than full-timers'."""
    s = load_scenario(f"case{case:02d}")
    weekdays = set(s.calendar.weekdays)
    for group, p in s.staff.items():
        assert p.days is None or (set(p.days) <= weekdays and len(set(p.days)) == len(p.days))
        assert set(p.on) <= set(p.days or weekdays), group
        if p.rotation is not None:
            assert set(p.rotation.weeks) <= set(range(1, p.rotation.every_weeks + 1))
        if "locum" in group:
            assert p.list_share == 0, group
    holders = {g: (p.list_share if p.list_share is not None else 1.0)
               for g, p in s.staff.items() if s.roles[p.role].keeps_list}
    if case == 17:  # "De skiftende læger ansættes ... gennem et vikarbureau"
        assert not any(holders.values())
    else:
        assert any(holders.values())
    in_days = {g: len(s.staff[g].days or weekdays) for g in holders if holders[g] > 0}
    for a in in_days:
        for b in in_days:
            if in_days[a] < in_days[b]:
                assert holders[a] <= holders[b], (a, b)


def test_case_files_validate_without_warnings(capsys):
    files = sorted(str(case_file(c)) for c in CASES)
    assert main(["validate", *files]) == 0
    captured = capsys.readouterr()
    assert "warning:" not in captured.out + captured.err


@pytest.mark.parametrize("case", CASES)
def test_case_runs_a_week(case):
    s = load_scenario(f"case{case:02d}")
    model = CompiledScenario(s)
    run = list(simulate_run(model, 1, 0, RunCalendar(s.calendar, weeks=1, warmup_weeks=0)))
    check_conservation(run)
    assert all(records.arisen > 0 for records in run)
    assert not math.isnan(run[0].staff[0][6])


def test_cases_command_lists_every_case(capsys):
    assert main(["cases"]) == 0
    out = capsys.readouterr().out
    assert all(f"case{c:02d}" in out for c in CASES)
    assert "(missing)" not in out


def test_run_accepts_a_case_shorthand(capsys):
    assert main(["run", "case08", "-r", "2", "--json"]) == 0
    assert '"metric": "calls_offered"' in capsys.readouterr().out
