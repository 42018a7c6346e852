"""Every bundled case file against its fact box (seed 003), and every case runs."""
from __future__ import annotations

import functools
import math
import re

import pandas as pd
import pytest

from sim.engine import CompiledScenario, RunCalendar, simulate_run
from sim.cases import case_file, catalogue, fact_boxes
from sim.cli import main
from sim.metrics import check_conservation
from sim.scenario.schema import parse_clock
from sim.scenario import load_scenario
from sim.scenario.checks import all_blocks
from tests.conftest import raw

FACTS = fact_boxes().set_index("case")
CASES = list(FACTS.index)


def test_all_seventeen_cases_have_a_file():
    assert CASES == list(range(1, 18))
    assert all(case_file(c) is not None for c in CASES)
    assert catalogue()["file"].str.len().gt(0).all()


def test_the_catalogue_gives_a_degree_the_fact_box_lacks_from_the_case_file(capsys):
    """Case 7's fact box repeats case 6's, so it has no delegation degree; the list a
    consultant picks the nearest case from shows the degree the case's file takes from the
    narrative, marked as such, rather than '?'."""
    table = catalogue().set_index("case")
    assert pd.isna(table.loc[7, "delegation"]) and table.loc[7, "scenario_delegation"] == (
        load_scenario("case07").delegation.degree)
    assert main(["cases"]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("case07"))
    assert f" {table.loc[7, 'scenario_delegation']}* " in line
    assert "* not in the case's fact box" in out


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


@pytest.mark.parametrize("degree", ["low", "medium", "high"])
def test_every_case_takes_every_delegation_degree(tmp_path, degree, capsys):
    """The product's question, "what if this practice delegates more?", asked of any case
    by a file that changes only the degree: every case's own contact types have a route
    at every degree, so the file is valid (case 4's moment consultations had one at its
    own degree only), and every role of its own gets work there (case 5's younger GP
    had routes at medium only, and sat idle at low and high; case 10's manager kept
    planned slots no one was booked in)."""
    files = []
    for case in CASES:
        path = tmp_path / f"case{case:02d}_{degree}.yaml"
        path.write_text(f"extends: case{case:02d}\ndelegation: {{degree: {degree}}}\n")
        files.append(str(path))
    assert main(["validate", *files]) == 0
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert "no work reaches" not in said and "which no route names" not in said


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


# --- the mechanisms each narrative names -------------------------------------------------------


@functools.lru_cache(maxsize=None)
def case_scenario(case: int):
    return load_scenario(f"case{case:02d}")


def _holders(s, kind: str) -> set[str]:
    """Roles of the people on staff who have a block of ``kind`` on some weekday (their
    own day plans and the duties they take in turn)."""
    return {p.role for sid, p in s.staff.items() if p.count > 0
            for b in all_blocks(s, sid) if b.kind == kind}


def _may_take(s, ctype: str) -> set[str]:
    """Roles that may take ``ctype`` for any patient: in its route and its complex route."""
    route = set(s.delegation.routes[s.delegation.degree][ctype])
    return route & set(s.delegation.complex_routes.get(ctype, route))


def complex_to_doctor(*ctypes):
    def check(s):
        for ctype in ctypes:
            route = s.delegation.complex_routes.get(ctype)
            assert route and all(s.roles[r].doctor for r in route), (ctype, route)
            assert route != s.delegation.routes[s.delegation.degree][ctype], ctype
    return f"complex routes to a doctor: {', '.join(ctypes)}", check


def outreach(block: str):
    """Demand that arises on the days someone has ``block`` and is served in it, by them,
    for every patient (a complex route must not take a resident away from the round)."""
    def check(s):
        streams = [n for n, d in s.demand.items() if d.channel == "outreach"
                   and d.block == block and d.per_patient_year > 0]
        assert streams and "outreach" in s.block_kinds[block].serves
        holders = _holders(s, block)
        model = CompiledScenario(s)
        for name in streams:
            assert model.expected_per_day(name) > 0, name
            for ctype in s.demand[name].mix:
                assert holders & _may_take(s, ctype), (name, ctype, holders)
    return f"an outreach stream in {block}", check


def phone_line(line: str, answerer: str):
    """A second phone stream on ``line``, triaged with its own outcomes by ``answerer``, who
    has a block answering that line only; its calls are moved from the main line, so the
    practice's calls a patient a year stay the base's."""
    def check(s):
        streams = [d for d in s.demand.values() if d.channel == "phone" and d.line == line
                   and d.per_patient_year > 0]
        assert len(streams) == 1 and answerer in streams[0].triage_outcomes
        kinds = {k for k, bk in s.block_kinds.items() if bk.lines == [line] and "call" in bk.serves}
        assert any(answerer in _holders(s, k) for k in kinds), kinds
        calls = sum(d.per_patient_year for d in s.demand.values() if d.channel == "phone")
        assert calls == pytest.approx(load_scenario("default").demand["phone"].per_patient_year)
    return f"a phone stream on line {line} answered by {answerer}", check


def messages(*roles):
    def check(s):
        assert all(s.supervision.messages.get(r, 0) > 0 for r in roles)
        assert set(roles) <= s.present_roles()
    return f"questions sent as messages by {', '.join(roles)}", check


def fixed_gp_for_the_morbid():
    def check(s):
        assert s.population.own_gp_for == "morbid" and s.population.share_morbid > 0
    return "a fixed GP for morbid patients only", check


def fixed_nurse_for_the_morbid(nurses: int):
    """The morbid are listed with one of ``nurses`` nurses as well as a GP, and booking
    prefers her."""
    def check(s):
        assert s.population.own_clinician == {"nurse": "morbid"}
        assert s.booking.own_clinician_extra_days > 0
        holders = CompiledScenario(s).clinician_holders["nurse"]
        assert len(holders) == nurses and all(share > 0 for _p, _t, share in holders)
    return f"a fixed nurse (one of {nurses}) for morbid patients", check


def calendar_tasks(role: str, doctor: str):
    """Questions about inbox items go into a doctor's calendar, and a doctor who answers
    ``role`` can handle the inbox's contact types."""
    def check(s):
        assert s.supervision.calendar.get(role, 0) > 0 and role in s.present_roles()
        model = CompiledScenario(s)
        inbox = {t for d in s.demand.values() if d.channel == "inbox" for t in d.mix}
        assert inbox and all(model.calendar_roles(t, role) == [doctor] for t in inbox)
    return f"inbox questions of {role} put in the {doctor}'s calendar", check


def pre_test(ctype: str, test: str, by: str):
    def check(s):
        spec = s.contact_types[ctype].pre_test
        assert spec is not None and spec.contact_type == test
        route = [r for r in s.delegation.routes[s.delegation.degree][test]
                 if r in s.present_roles()]
        assert route[0] == by, route  # the first role on staff who takes it
    return f"a {test} pre-test before {ctype} by {by}", check


def other_practice(role: str):
    def check(s):
        kinds = {k for k, bk in s.block_kinds.items() if bk.activity == "other_practice"}
        assert any(role in _holders(s, k) for k in kinds)
    return f"{role} hours for another practice", check


def group_sessions(ctype: str):
    def check(s):
        assert s.contact_types[ctype].group
        seats = [(p.role, b.group_size) for p in s.staff.values() if p.count > 0
                 for b in [*p.blocks, *(b for d in p.on.values() for b in (d.blocks or []))]
                 if b.group_size]
        assert any(role in _may_take(s, ctype) and 6 <= n <= 10 for role, n in seats), seats
        assert any(d.mix.get(ctype, 0) > 0 and d.per_patient_year > 0
                   for d in s.demand.values() if d.channel == "planned")
    return f"group sessions of 6-10 for {ctype}", check


def remote_doctor(*ctypes, assisted_by: str | None = None):
    def check(s):
        remote = [p for p in s.staff.values()
                  if p.remote and s.roles[p.role].doctor and p.count > 0]
        assert remote and all(s.contact_types[t].remote for t in ctypes)
        if assisted_by is not None:
            assert all(assisted_by in p.assisted_by for p in remote)
    with_whom = f", a {assisted_by} with the patient" if assisted_by else ""
    return f"a remote doctor taking {', '.join(ctypes)}{with_whom}", check


def supervisor_between(role: str, asker: str, above: str):
    """``role`` supervises at a level between ``asker`` and ``above``, so the asker's
    questions go to it first (the ladder of case 5)."""
    def check(s):
        r = s.roles[role]
        assert r.supervises and s.roles[asker].level < r.level < s.roles[above].level
        ladder = CompiledScenario(s).answerers[asker]
        assert min(ladder.roles, key=ladder.rank.__getitem__) == role
    return f"{role} answers {asker}s' questions before {above}", check


def morbid_consultations_longer():
    def check(s):
        assert s.population.morbid_duration_factor > 1
    return "consultations with morbid patients take longer", check


def history_first(ctype: str, by: str, before: str):
    def check(s):
        h = s.contact_types[ctype].history_taking
        assert h is not None and by in h.by and before in h.before and h.later_share < 1
    return f"a {by} takes the history of a same-day {ctype} patient before the {before}", check


def overnight_inbox(stream: str, start: str):
    """Part of an inbox stream comes in while the practice is closed, and someone starts
    before opening to work on it."""
    def check(s):
        opens = s.clinic.hours(s.calendar.weekdays[0])[0]
        assert any(w.start < opens and w.weight > 0 for w in s.demand[stream].profile)
        early = parse_clock(start)
        assert any(p.start == early and p.count > 0 for p in s.staff.values())
    return f"{stream} that came in overnight worked on from {start}", check


def slot_length(role: str, minutes: float):
    def check(s):
        assert s.roles[role].slot_min == minutes
        assert s.population.morbid_duration_factor == 1  # the slot is the stated fact
    return f"{role} slots of {minutes:g} minutes", check


def duty_in_turn(weekday: str, block: str, people: int):
    """A day's duty with ``block`` on ``weekday`` that ``people`` doctors take in turn: each
    works it in one week of the cycle, and only then."""
    def check(s):
        (name,) = [n for n, d in s.duties.items() if d.weekday == weekday
                   and any(b.kind == block for b in d.blocks)]
        rota = s.duties[name].rota
        assert len(rota) == people and all(s.roles[s.staff[p].role].doctor for p in rota)
        model = CompiledScenario(s)
        days = [d for d in RunCalendar(s.calendar, weeks=2 * people, warmup_weeks=0).days()
                if d.name == weekday]
        on_duty = [[p.id for p in model.people_on(d) if p.id in rota
                    and any(b.kind == block for b in p.plan)] for d in days]
        assert on_duty == [[rota[w % people]] for w in range(2 * people)]
    return f"a {weekday} {block} duty taken in turn by {people}", check


def meeting(every_weeks: int, minutes: float, days: int = 1):
    """A meeting held on ``days`` weekdays of one week in ``every_weeks``, of ``minutes``,
    that takes at least one person's time in the simulated weeks' plans."""
    def check(s):
        found = [m for m in s.meetings.values() if m.every_weeks == every_weeks
                 and len(m.days) == days and m.end - m.start == minutes]
        assert found, [(m.every_weeks, m.days, m.end - m.start) for m in s.meetings.values()]
        model = CompiledScenario(s)
        held = [p for d in RunCalendar(s.calendar, weeks=every_weeks, warmup_weeks=0).days()
                for p in model.people_on(d) if any(b.kind == found[0].kind and
                                                   b.start >= found[0].start and
                                                   b.end <= found[0].end for b in p.plan)]
        assert held
    return f"a {minutes:g}-minute meeting every {every_weeks} weeks on {days} days", check


#: What each case's narrative (seed 003) names, as checks on its loaded scenario.
CASE_MECHANISMS = {
    1: [pre_test("chronic_review", "lab_sample", "student"),  # "anvendes praksisass. til forprøver til årskontroller"
        outreach("nursing_home"),       # "en læge besøger centret 1-2 gange om ugen i faste blokke"
        outreach("residential_homes")],  # "kører ud 1 gang ugentlig til test, prøver mv."
    2: [complex_to_doctor("acute", "follow_up"),  # "Multisyge eller dårlige patienter visiteres til tid hos en læge"
        outreach("nursing_home"),       # "en praksissygeplejerske særligt dedikeret til opgaver på plejecentrene"
        group_sessions("group_consultation"),  # "Gruppekonsultation for 6-10 patienter"
        overnight_inbox("e_consultations", "07:00"),  # "starter dagen kl. 7 med at tømme indbakke"
        meeting(1, 15, days=5),         # "Hver morgen mødes ledelsesgruppen et kvarter"
        meeting(4, 60),                 # "Lederteamet holder møde en gang om måneden"
        fixed_gp_for_the_morbid()],     # "patienter med kendt sygdom har en fast læge og sygeplejersker"
    3: [complex_to_doctor("acute", "follow_up", "mental_health"),  # "Udfordrende patienter og multisyge får tid hos en af de erfarne læger"
        meeting(4, 60),                 # "En gang om måneden er der personalemøde"
        fixed_gp_for_the_morbid()],     # "Denne patientgruppe har sædvanligvis en fast læge, hvilket ikke gælder generelt"
    4: [complex_to_doctor("follow_up", "mental_health"),  # "patienter, som ... har komplekse problemstillinger ... mens SPL tager lettere, afklarede tilfælde"
        meeting(1, 60),                 # "chefgruppen mødes en gang ugentligt"; "Den samlede personalegruppe mødes en gang om ugen"
        fixed_nurse_for_the_morbid(2)],  # "Patienter med kronisk sygdom fx diabetes er tilmeldt en fast sygeplejerske"
    5: [messages("nurse", "trainee", "junior_gp"),  # "Spørgsmål og kommunikation håndteres løbende via EPJ-systemet, så intern ventetid undgås"
        pre_test("chronic_review", "lab_sample", "lab"),  # "turkis (forprøve før konsultation med læge)"
        outreach("nursing_home"),       # "ugentligt afsættes en dag til stuegang/besøg på plejehjemmet med 80 borgere"
        duty_in_turn("wed", "nursing_home", 3),  # "Tre af lægerne i klinikken er en del af plejehjemslægeordningen"
        meeting(1, 15, days=5),         # "et dagligt morgenmøde"
        meeting(4, 120),                # "hver måned et længere formelt interessentskabsmøde"
        meeting(4, 60),                 # "et fælles månedligt personalemøde for alle i klinikken"
        fixed_gp_for_the_morbid(),      # "uden en fast læge. Dog er patienter med kronisk sygdom ... tilknyttet et team bestående af en fast læge"
        fixed_nurse_for_the_morbid(2)],  # "... et team bestående af en fast læge og sygeplejerske" (the two consulting nurses)
    6: [other_practice("secretary"),    # "1 fælles sekretær 4 dage/uge"; "Praksispersonale ½"
        meeting(4, 60)],                # "De tre holder møde en gang om måneden"
    7: [other_practice("secretary"),    # "1 fælles sekretær (deles med anden praksis)"
        meeting(1, 60)],                # "ugentlige klinik- og lægemøder i samarbejdspraksis"
    8: [complex_to_doctor("acute", "follow_up"),  # "Tager sig primært af komplicerede kroniske patienter ... og de komplicerede akutte patienter"
        pre_test("chronic_review", "lab_sample", "student"),  # "tager formøde + årsstatus"
        phone_line("acute", "secretary"),  # "akutknap ved akutte tilfælde frem til kl. 16"
        meeting(13, 120)],              # "4 længerevarende ledelsesmøder årligt"
    9: [pre_test("chronic_review", "lab_sample", "hca"),  # SSA: "forberedelse af årskontrol"
        other_practice("secretary"),    # "2 sekretærer (deles med anden praksis)"
        meeting(4, 60)],                # "En gang om måneden afholdes klinikmøde i delepraksis"
    10: [supervisor_between("manager", "nurse", "gp"),  # "Praksismanager superviserer og oplærer de andre sygeplejersker"
         phone_line("acute", "nurse"),  # "Efter kl. 12 er der et akutnummer"
         calendar_tasks("nurse", "gp")],  # "lægge de beskeder, de ikke selv kan håndtere ind som en opgave i lægens kalender"
    11: [complex_to_doctor("follow_up"),  # "Læger håndterer primært ... opfølgning på kronikere"
         phone_line("acute", "nurse")],  # "akutnummer ... fra kl. 8 – 16. Tlf. vagten og akutnummer håndteres af sygeplejersker"
    12: [complex_to_doctor("acute", "follow_up"),  # "Lægerne fokuserer primært på ... de mere komplicerede, kroniske og akutte patienter"
         phone_line("acute", "secretary")],  # "adgang til akuttelefon i hele åbningstiden"; "Resten af dagen er det lægesekretær"
    13: [complex_to_doctor("acute", "follow_up"),  # "fokuserer primært på de komplicerede, kroniske og akutte patienter"
         phone_line("acute", "secretary"),  # "akuttelefon i hele åbningstiden (sekretær tager denne)"
         outreach("nursing_home"),      # "fast tilknyttet to plejecentre, som der køres ud til"
         outreach("home_samples"),      # "Bioanalytiker tager prøver på hjemmebesøg"
         duty_in_turn("thu", "home_visits", 2)],  # "en fast dag ugentligt til hjemmebesøg, som lægerne ligeledes skiftes til"
    14: [],  # complex patients to doctors is the plan ("Fremover ..."); today staff "skal fortsat håndtere mere komplekse patienter"
    15: [outreach("laboratory")],       # "prøvetagning på bestilling af andre læger og hospitalsafdelinger"
    16: [outreach("nursing_home"),      # "Lægen kommer på plejehjemmet en dag om ugen"
         meeting(4, 60),                # "Lægegruppen koordinerer indbyrdes på et månedligt, virtuelt møde"
         meeting(1, 60),                # "Den centrale leder og gruppen af praksisledere mødes virtuelt en gang om ugen"
         morbid_consultations_longer(),  # "der er ikke nogen lette konsultationer"
         history_first("acute", "nurse", "gp")],  # "fx at en sygeplejerske tager anamnesen på en akut patient"
    17: [complex_to_doctor("acute", "follow_up"),  # "Generelt varetager sygeplejersker de almindelige raske patienter"
         remote_doctor("follow_up", "mental_health", assisted_by="nurse"),  # "konsultationen via video med en læge i København"; "med assistance fra en sygeplejerske"
         slot_length("gp", 20)],        # "konsultationstiden 20 minutter pr. patient"
}


def test_every_case_has_its_mechanisms_listed():
    assert sorted(CASE_MECHANISMS) == CASES


@pytest.mark.parametrize("case, check", [
    pytest.param(case, check, id=f"case{case:02d}: {name}")
    for case, checks in CASE_MECHANISMS.items() for name, check in checks])
def test_case_uses_what_its_narrative_names(case, check):
    check(case_scenario(case))


def test_case10_nurses_ask_the_manager_on_her_days_and_the_acute_line_rings_after_12():
    """Monday without the manager, Tuesday with her: her days' nurse questions go to her
    first; calls after 12 come on the acute line, answered by the nurses."""
    from tests.test_engine import tables
    from tests.test_mechanisms import joined

    s = case_scenario(10)
    contacts, _, tasks = tables(s, seeds=[0, 1], days=2)
    answered = tasks[tasks.kind.isin(["question", "joint"])]
    assert (answered[answered.day == 0].role == "gp").all()
    tuesday = answered[answered.day == 1]
    assert (tuesday.role == "manager").sum() > 0
    calls = joined(contacts, tasks, "call")
    late = calls[calls.t_arise >= 12 * 60]
    assert len(late) > 0 and set(late.role) == {"nurse"}


def test_trainees_may_see_every_patient_a_gp_sees():
    """Trainees are doctors (glossary: uddannelseslæge) whom the narratives give unselected
    patients (cases 3-5): every kind of patient a GP may see, a trainee may see too (a
    duration in the base), and at every degree a route that gives it to a GP gives it to a
    trainee, but for chronic reviews, which the base keeps with nurses and GPs (case 5's
    ladder gives its trainees "kronikere" of its own). Inbox work (e-consultations, letters,
    renewals) is the routes' own matter."""
    d = raw("default")
    inbox = {ctype for stream in d["demand"].values() if stream["channel"] == "inbox"
             for ctype in stream["mix"]}
    seen_by_gp = {ctype for ctype, c in d["contact_types"].items()
                  if "gp" in c["durations"] and c.get("patient_contact", True)
                  and ctype not in inbox}
    assert {"acute", "musculoskeletal", "child_exam", "pregnancy", "home_visit"} <= seen_by_gp
    for ctype in sorted(seen_by_gp):
        assert "trainee" in d["contact_types"][ctype]["durations"], ctype
        for degree, routes in d["delegation"]["routes"].items():
            if "gp" in routes.get(ctype, []) and ctype != "chronic_review":
                assert "trainee" in routes[ctype], (degree, ctype)


def test_a_name_is_one_string_object_wherever_the_files_give_it():
    """A contact type named in a demand mix (base.yaml) and as a key of contact_types
    (perhaps in the case's own file) is one object, so the engine's look-ups by name
    recognise it without comparing characters; the same for a dict built at run time."""
    scenario = load_scenario("case05")
    keys = {name: name for name in scenario.contact_types}
    mixed = [name for stream in scenario.demand.values() for name in stream.mix]
    assert mixed and all(keys[name] is name for name in mixed)

    import sys

    from sim.scenario.loading import _interned

    built = "".join(["acu", "te"])  # a string made at run time, not interned
    assert built is not sys.intern("acute")
    data = _interned({built: [built, 1.5], "x": ("".join(["a", "b"]),)})
    (key, value), = [(k, v) for k, v in data.items() if k == "acute"]
    assert key is sys.intern("acute") and value[0] is key and value[1] == 1.5
    assert data["x"] == ("ab",)  # a tuple is left as it is
