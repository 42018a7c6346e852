"""Bad input gets a clear error: which file, which field, what was expected, exit code 2."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiment.design import load_experiment
from sim.scenario import ScenarioError, load_scenario


def write(tmp_path: Path, text: str, name: str = "practice.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


# Each case: the file body and fragments that must appear in one reported problem.
BAD_FILES = {
    "empty file": ("", ["empty file"]),
    "not yaml": ("staff: [1, 2\n", ["valid YAML", "line"]),
    "not a mapping": ("- just\n- a list\n", ["a YAML mapping", "list"]),
    "unknown key": ("extends: default\npopulaton: {list_size: 5}\n",
                    ["populaton", "no such key", "population"]),
    "unknown nested key": ("extends: default\nstaff: {nurse: {cuont: 2}}\n",
                           ["staff.nurse.cuont", "no such key"]),
    "wrong type": ("extends: default\npopulation: {list_size: many}\n",
                   ["population.list_size", "'many'", "a whole number"]),
    # In quotes a number is text: pydantic would read "6.000" (Danish six thousand) as six.
    "thousands in quotes": ("extends: default\npopulation: {list_size: '6.000'}\n",
                            ["population.list_size", "'6.000'", "without quotes",
                             "write 6000"]),
    "count in quotes": ("extends: default\nstaff: {nurse: {count: '4'}}\n",
                        ["staff.nurse.count", "'4'", "a whole number written without quotes"]),
    "share in quotes": ("extends: default\npopulation: {share_70plus: '0.15'}\n",
                        ["population.share_70plus", "'0.15'", "a number written without"]),
    "negative count": ("extends: default\nstaff: {nurse: {count: -1}}\n",
                       ["staff.nurse.count", "-1", "greater than or equal to 0"]),
    "bad time": ("extends: default\nclinic: {open: '8 o clock'}\n",
                 ["clinic.open", "HH:MM"]),
    "nan": ("extends: default\npopulation: {share_70plus: .nan}\n",
            ["population.share_70plus"]),
    "infinity": ("extends: default\ndemand: {phone: {per_patient_year: .inf}}\n",
                 ["demand.phone.per_patient_year", "finite"]),
    "share above one": ("extends: default\npopulation: {share_morbid: 1.5}\n",
                        ["population.share_morbid", "less than or equal to 1"]),
    "block outside hours": (
        """\
        extends: default
        staff:
          hca: {blocks: [{kind: planned, start: "07:00", end: "09:00"}]}
        """, ["staff.hca.blocks[0]", "within the working hours 08:00-15:00", "07:00-09:00"]),
    "overlapping blocks": (
        """\
        extends: default
        staff:
          hca:
            blocks:
              - {kind: planned, start: "08:00", end: "10:00"}
              - {kind: lunch, start: "09:30", end: "10:30"}
        """, ["staff.hca.blocks[1]", "do not overlap"]),
    "unknown block kind": (
        """\
        extends: default
        staff:
          hca: {blocks: [{kind: siesta, start: "12:00", end: "12:30"}]}
        """, ["staff.hca.blocks[0].kind", "'siesta'", "a block kind"]),
    "phone window unstaffed": (
        """\
        extends: default
        staff:
          secretary:
            blocks: [{kind: phone, start: "08:00", end: "10:00"}]
        """, ["demand.phone.profile:", "no one on the phone 10:00-12:00",
              "windows 10:00-12:00 on mon, tue, wed, thu, fri"]),
    "contact type no present role may handle": (
        """\
        extends: default
        delegation: {degree: low}
        staff: {gp: {count: 0}, gp_visiting: {count: 0}}
        """, ["delegation.routes.low.acute", "a role on staff who may handle 'acute'"]),
    "probabilities do not sum to 1": (
        """\
        extends: default
        triage:
          outcomes:
            secretary: {resolved_on_phone: 0.5, same_day: 0.3, booked_later: 0.1,
                        e_consultation: 0, home_visit: 0, referred: 0}
        """, ["triage.outcomes.secretary", "sum to 1", "0.9"]),
    "mix does not sum to 1": ("extends: default\ndemand: {planned: {mix: {follow_up: 0.5}}}\n",
                              ["demand.planned.mix", "sum to 1"]),
    "role cannot do type on route": (
        """\
        extends: default
        delegation:
          routes:
            medium: {certificate: [nurse, gp]}
        """, ["delegation.routes.medium.certificate", "competent for 'certificate'", "nurse"]),
    "unknown role": ("extends: default\nstaff: {hca: {role: wizard}}\n",
                     ["staff.hca.role", "'wizard'", "a role"]),
    "period week of the year out of range": (
        """\
        extends: default
        staff:
          hca: {periods: [{weeks_of_year: [53]}]}
        """, ["staff.hca.periods[0].weeks_of_year[0]", "53", "less than or equal to 52"]),
    "week in two periods": (
        """\
        extends: default
        staff:
          hca: {periods: [{weeks_of_year: [7, 8], days: []}, {weeks_of_year: [8]}]}
        """, ["staff.hca.periods[1].weeks_of_year[0]", "week 8, also in periods[0]",
              "one period only"]),
    "period block outside its hours": (
        """\
        extends: default
        staff:
          hca:
            periods:
              - weeks_of_year: [30]
                "on": {mon: {end: "12:00", blocks: [{kind: planned, start: "11:00", end: "13:00"}]}}
        """, ["staff.hca.periods[0].on.mon.blocks[0]", "within the working hours 08:00-12:00",
              "11:00-13:00"]),
    "period plan on a day not in": (
        """\
        extends: default
        staff:
          hca: {periods: [{weeks_of_year: [30], days: [tue], "on": {mon: {end: "12:00"}}}]}
        """, ["staff.hca.periods[0].on.mon", "a weekday this person is in (tue)"]),
    "meeting of an unknown attendee": (
        """\
        extends: default
        meetings:
          huddle: {days: [mon], start: "08:00", end: "08:15", attendees: [gp, doctor]}
        """, ["meetings.huddle.attendees[1]", "'doctor'", "a staff entry"]),
    "meeting on a closed day": (
        """\
        extends: default
        meetings:
          huddle: {days: [sun], start: "08:00", end: "08:15"}
        """, ["meetings.huddle.days", "'sun'", "working weekdays"]),
    "meeting in a block kind with slots": (
        """\
        extends: default
        meetings:
          huddle: {days: [mon], start: "08:00", end: "08:15", kind: planned}
        """, ["meetings.huddle.kind", "without bookable slots", "'planned' with planned"]),
    "meeting week beyond its cycle": (
        """\
        extends: default
        meetings:
          monthly: {days: [wed], start: "12:00", end: "13:00", every_weeks: 4, weeks: [5]}
        """, ["meetings.monthly.weeks[0]", "a week of the 4-week cycle", "5"]),
    "absence given as a date": ("extends: default\nstaff: {gp: {absent: [2025-07-01]}}\n",
                                ["staff.gp.absent[0]", "found 2025-07-01;", "not a date",
                                 "{week: 5} or {week: 5, days: [mon, tue]}"]),
    "absence on a day not worked": (
        "extends: default\nstaff: {gp: {absent: [{week: 6, days: [sat]}]}}\n",
        ["staff.gp.absent[0].days", "'sat'", "working weekdays (mon, tue, wed, thu, fri)"]),
    "missing base": ("extends: nowhere/base.yaml\n", ["base.yaml", "no such file"]),
    "extends cycle": ("extends: practice.yaml\n", ["a chain of bases without a cycle"]),
    "yaml alias": ("extends: default\nname: &n x\ndescription: *n\n", ["aliases"]),
    "missing required field": ("extends: base\nname: x\n", ["staff"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_scenario_is_reported_with_file_and_field(tmp_path, case):
    body, fragments = BAD_FILES[case]
    path = write(tmp_path, body)
    found = problems(path)
    assert any(all(f in p for f in fragments) for p in found), (case, found)
    assert all(str(path) in p or "base.yaml" in p or "no such file" in p for p in found)


@pytest.mark.parametrize("body, path, found", [
    ('clinic: {open: "16:00", close: "08:00"}\n', "clinic.close", "16:00-08:00"),
    ('clinic: {"on": {wed: {open: "17:00"}}}\n', "clinic.on.wed", "17:00-16:00"),
    ("staff:\n  secretary: {blocks: [{kind: phone, start: \"12:00\", end: \"08:00\"}]}\n",
     "staff.secretary.blocks[0]", "12:00-08:00"),
])
def test_hours_that_end_before_they_start_are_one_problem(tmp_path, body, path, found):
    """Opening hours (or a phone block) that close before they open are the error; the
    demand windows outside such hours, or the phone hours such a block leaves unanswered,
    follow from it and are not listed as problems of their own."""
    found_problems = problems(write(tmp_path, "extends: default\n" + body))
    assert len(found_problems) == 1, found_problems
    assert f"{path}: found {found}" in found_problems[0], found_problems


def test_group_seats_on_a_block_without_slots_are_refused_on_every_day(tmp_path):
    """group_size needs slots to seat patients in: a lunch block with seats was refused
    on the usual day only, and passed on a weekday's own plan, a period's or a duty's."""
    found = problems(write(tmp_path, """\
        extends: default
        staff:
          hca:
            blocks: [{kind: lunch, start: "12:00", end: "12:30", group_size: 4}]
            "on": {mon: {blocks: [{kind: lunch, start: "12:00", end: "12:30",
                                   group_size: 4}]}}
            periods: [{weeks_of_year: [30], "on": {tue: {blocks: [
                {kind: admin, start: "08:00", end: "09:00", group_size: 6}]}}}]
        duties:
          rounds: {weekday: wed, rota: [hca],
                   blocks: [{kind: lunch, start: "12:00", end: "12:30", group_size: 3}]}
        """))
    expected = "expected a block kind with bookable slots (planned or acute)"
    for path, kind in (("staff.hca.blocks[0].group_size", "lunch"),
                       ("staff.hca.on.mon.blocks[0].group_size", "lunch"),
                       ("staff.hca.periods[0].on.tue.blocks[0].group_size", "admin"),
                       ("duties.rounds.blocks[0].group_size", "lunch")):
        assert any(f"{path}: found {kind}; {expected}" in p for p in found), (path, found)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Kl\xf8ver\n".encode("latin-1"))
    assert any("UTF-8" in p for p in problems(path))


def test_missing_file_and_directory(tmp_path):
    assert any("no such file" in p for p in problems(tmp_path / "nope.yaml"))
    assert any("a directory" in p for p in problems(tmp_path))


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, """\
        extends: default
        staff:
          hca: {blocks: [{kind: planned, start: "07:00", end: "09:00"}]}
          secretary: {blocks: [{kind: phone, start: "08:00", end: "10:00"}]}
        demand: {planned: {mix: {follow_up: 0.5}}}
        """)
    assert len(problems(path)) >= 3


@pytest.mark.parametrize("body, expected", [
    ("delegation: high\n", "delegation: found 'high'; expected a mapping (indented `key: "
     "value` lines) of delegation's settings, such as degree, routes, complex_routes"),
    ("staff: {nurse: 4}\n", "staff.nurse: found 4; expected a mapping (indented `key: value` "
     "lines) of nurse's settings, such as role, count, team, start"),
    ("staff: {hca: {blocks: [4]}}\n", "staff.hca.blocks[0]: found 4; expected a mapping "
     "(indented `key: value` lines) of settings, such as kind, start, end, slot_min"),
    ("staff: {nurse: {count: four}}\n", "staff.nurse.count: found 'four'; expected a whole "
     "number"),
    ("population: {share_70plus: some}\n", "population.share_70plus: found 'some'; expected "
     "a number"),
    ("roles: {gp: {doctor: maybe}}\n", "roles.gp.doctor: found 'maybe'; expected true or "
     "false"),
    ("calendar: {weekdays: mon}\n", "calendar.weekdays: found 'mon'; expected a list (lines "
     "starting with '- ', or [a, b] on one line)"),
    ("contact_types: {acute: {durations: {gp: 10}}}\n", "contact_types.acute.durations.gp: "
     "found 10; expected a distribution with dist: one of fixed, exponential, lognormal, "
     "gamma, uniform (a distribution is given whole, with all its fields)"),
])
def test_a_value_of_the_wrong_kind_is_named_in_words(tmp_path, body, expected):
    """A value of the wrong kind says what belongs there in a reader's words (a mapping
    and some of its keys, a whole number), not in pydantic's, which name the schema's
    classes ("instance of Delegation") and the parser ("unable to parse string")."""
    found = problems(write(tmp_path, "extends: default\n" + body))
    assert found == [f"{tmp_path / 'practice.yaml'}: {expected}"], found


def test_a_path_written_as_one_key_is_shown_nested(tmp_path):
    """``staff.nurse.count: 4`` is one key to YAML, named with dots: the problem shows the
    keys nested by indentation, and those lines make a file that loads; a dotted key
    whose first part is no key there is a misspelling as before."""
    found = problems(write(tmp_path, "extends: default\nstaff.nurse.count: 4\n"))
    assert found == [f"{tmp_path / 'practice.yaml'}: staff.nurse.count: found 4; expected the "
                     "keys nested by indentation, not joined by dots ('staff' is a key here, "
                     "'staff.nurse.count' is not): `staff:` / `  nurse:` / `    count: 4`, one "
                     "key a line, each indented under the one before"], found
    lines = found[0].split(": `", 1)[1].split("`, one key")[0].split("` / `")
    nested = load_scenario(write(tmp_path, "extends: default\n" + "\n".join(lines) + "\n"))
    assert nested.staff["nurse"].count == 4
    found = problems(write(tmp_path, "extends: default\nstaf.nurse.count: 4\n"))
    assert len(found) == 1 and "check the spelling" in found[0] and "nested" not in found[0]
    found = problems(write(tmp_path, "extends: default\nname.first: x\n"))  # no keys under
    assert len(found) == 1 and "nested" not in found[0], found


@pytest.mark.parametrize("value, hint", [
    ("1.6", "(a share between 0 and 1: if 1.6 % is meant, write 0.016)"),
    ("37.5", "(a share between 0 and 1: if 37.5 % is meant, write 0.375)"),
    ("13", "(a share between 0 and 1: 13 % is written 0.13)"),
    ("100", "(a share between 0 and 1: 100 % is written 1)"),
    ("150", None),
])
def test_a_share_above_one_is_read_as_a_percentage_only_if_it_could_be(tmp_path, value, hint):
    """A share written above 1 with decimals may be a percentage or not (1.6 may be a slip
    for 0.16): the hint on how a percentage is written is a condition there; a whole
    number up to 100 is one (13 for 13 %), and a value above 100 is none."""
    found = problems(write(tmp_path, f"extends: default\npopulation: {{share_70plus: {value}}}\n"))
    expected = f"population.share_70plus: found {value}; expected less than or equal to 1"
    assert found == [f"{tmp_path / 'practice.yaml'}: {expected}"
                     + (f" {hint}" if hint else "")], found


def test_a_new_entry_is_taken_for_a_misspelling_only_when_an_inherited_name_is_close(tmp_path):
    """A new staff entry named like none of those inherited is a new person: each missing
    field is its own problem; one named like an inherited entry is probably that entry
    misspelled, and one problem says so (the corpus has those)."""
    found = problems(write(tmp_path, "extends: default\nstaff: {locum: {count: 1}}\n"))
    assert sorted(found) == sorted(f"{tmp_path / 'practice.yaml'}: staff.locum.{field}: "
                                   "expected a value for this required field"
                                   for field in ("role", "start", "end"))
    found = problems(write(tmp_path, "extends: default\nstaff: {nurs: {count: 3}}\n"))
    assert len(found) == 1 and "did you mean 'nurse'?" in found[0]


def test_problem_in_base_names_the_loaded_file(tmp_path):
    path = write(tmp_path, "extends: default\nstaff: {gp: {count: 0}, gp_visiting: {count: 0}}\n"
                           "delegation: {degree: low}\n")
    found = problems(path)
    assert all(p.startswith(str(path)) for p in found)
    assert any("field set in the bundled base, models/defaults/base.yaml; override it in "
               "your file" in p for p in found)


def test_an_empty_mapping_a_file_gives_is_that_files_problem(tmp_path):
    """``staff: {}`` in the user's file empties the staff: the problem is the user's, not
    the base's (whose staff is empty too, so the merge kept the base as the field's
    file); a staff the file leaves out is still the base's."""
    found = problems(write(tmp_path, "extends: base\nname: x\npopulation: {list_size: 100}\n"
                                     "staff: {}\n"))
    assert found == [f"{tmp_path / 'practice.yaml'}: staff: found none; expected at least "
                     "one person on staff"], found
    found = problems(write(tmp_path, "extends: base\nname: x\npopulation: {list_size: 100}\n"))
    assert len(found) == 1 and "field set in the bundled base" in found[0], found


def test_the_other_kind_of_files_key_for_the_base_is_named_for_what_is_meant(tmp_path):
    """A scenario file written with an experiment's ``base:`` (or an experiment with a
    scenario's ``extends:``) is one problem that names the key meant, not a missing
    'extends' and every section it would have brought."""
    found = problems(write(tmp_path, "base: default\nstaff: {nurse: {count: 4}}\n"))
    assert found == [f"{tmp_path / 'practice.yaml'}: base: found 'default'; expected "
                     "'extends' in its place (a scenario file names the scenario it changes "
                     "with 'extends'; 'base' is an experiment file's key)"], found
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text("name: x\nextends: default\nreplications: 2\ndesign:\n  kind: grid\n"
                          "  factors:\n    staff.nurse.count: [2, 3]\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_experiment(experiment)
    assert [str(p) for p in err.value.problems] == [
        f"{experiment}: extends: found 'default'; expected 'base' in its place (an "
        "experiment file names its scenario with 'base'; 'extends' is a scenario file's "
        "key)"]


def test_a_day_plan_for_a_day_no_longer_worked_says_how_to_drop_it(tmp_path):
    """Case 8's GP C has a Monday plan; moving her to Wednesday and Thursday must say how
    to drop it, and that works."""
    moved = "extends: case08\nstaff:\n  gp_c:\n    days: [wed, thu]\n"
    found = problems(write(tmp_path, moved))
    assert any("staff.gp_c.on.mon" in p and '"on": {mon: null}' in p for p in found), found
    fixed = load_scenario(write(tmp_path, moved + '    "on": {mon: null}\n'))
    assert fixed.staff["gp_c"].days == ["wed", "thu"] and not fixed.staff["gp_c"].on


def test_times_after_noon_are_not_read_as_numbers(tmp_path):
    # YAML 1.1 reads 13:00 unquoted as the number 780; scenario files must not.
    path = write(tmp_path, """\
        extends: default
        staff:
          hca: {blocks: [{kind: lunch, start: 13:00, end: 13:30}]}
        """)
    scenario = load_scenario(path)
    assert scenario.staff["hca"].blocks[0].start == 13 * 60


def test_extending_a_scenario_overrides_only_what_differs(tmp_path):
    path = write(tmp_path, "extends: default\nname: Bigger\nstaff: {nurse: {count: 5}}\n")
    derived, default = load_scenario(path), load_scenario("default")
    assert derived.staff["nurse"].count == 5
    assert derived.staff["nurse"].blocks == default.staff["nurse"].blocks
    assert derived.population == default.population


# --- the command line ---------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("case", ["empty file", "unknown key", "phone window unstaffed",
                                  "probabilities do not sum to 1"])
def test_cli_validate_exits_2_without_traceback(tmp_path, case):
    path = write(tmp_path, BAD_FILES[case][0])
    done = run_cli("validate", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr


def test_cli_run_with_broken_scenario_exits_2(tmp_path):
    path = write(tmp_path, BAD_FILES["negative count"][0])
    done = run_cli("run", str(path), "-r", "1")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "staff.nurse.count" in done.stderr
    assert done.stdout == ""


def test_cli_validate_accepts_the_bundled_default():
    assert main(["validate", "default"]) == 0


def test_validate_counts_only_staff_who_work_some_day(tmp_path, capsys):
    """Nurses with days: [] were counted in validate's "9 staff" while they work no day
    (their warning says so): they are counted apart, so the head count is the staff who
    work."""
    assert main(["validate", "default"]) == 0
    assert "6,000 patients, 9 staff)" in capsys.readouterr().out
    path = write(tmp_path, "extends: default\n"
                           "staff: {nurse: {days: []}, gp_visiting: {days: []}}\n")
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "6,000 patients, 5 staff, not counting 4 who work no day)" in out, out
    assert "staff.nurse.days: found [] for 3 people" in err
    path = write(tmp_path, "extends: default\nstaff: {hca: {days: []}}\n")
    assert main(["validate", str(path)]) == 0
    assert "8 staff, not counting 1 who works no day)" in capsys.readouterr().out


@pytest.mark.parametrize("args, fragment", [
    (["run", "-r", "0"], "at least 1"),
    (["run", "--seed", "x"], "whole number"),
    (["run", "no_such_practice"], "bundled name"),
])
def test_cli_rejects_bad_options(args, fragment):
    done = run_cli(*args)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert fragment in done.stderr


@pytest.mark.parametrize("typed, meant", [("case4", "case04"), ("Case 12", "case12"),
                                          ("defualt", "default"), ("case99", None)])
def test_a_mistyped_bundled_name_is_answered_with_the_one_meant(typed, meant):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(typed)
    text = str(caught.value)
    assert "bundled name" in text
    assert (f"did you mean {meant}?" in text) if meant else "did you mean" not in text


def test_cli_events_path_not_writable(tmp_path):
    done = run_cli("run", "-r", "1", "--events", str(tmp_path / "missing" / "ev.csv"))
    assert done.returncode == 2 and "existing directory" in done.stderr


def test_null_removes_an_inherited_key(tmp_path):
    path = write(tmp_path, """\
        extends: default
        triage:
          durations: {hca: null, student: null}
          outcomes: {hca: null, student: null}
        demand:
          phone: {patience: null}
        """)
    scenario = load_scenario(path)
    assert "hca" not in scenario.triage.durations
    assert scenario.demand["phone"].patience is None


def test_libyaml_and_python_loaders_read_every_bundled_file_alike(monkeypatch):
    """Scenarios are read with libyaml's C parser when PyYAML has it; the Python loader
    (kept for files with aliases, deep nesting or errors, and for PyYAML without libyaml)
    must give the same data for every bundled file, numbers written with dots included."""
    import pickle

    import sim.scenario.loading as loading
    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "models").rglob("*.yaml")) + sorted((root / "experiments").glob("*.yaml"))
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast = loading._parse(text, str(path))
        monkeypatch.setattr(loading, "_FastLoader", None)
        slow = loading._parse(text, str(path))
        monkeypatch.undo()
        assert pickle.dumps(fast) == pickle.dumps(slow), path


def test_text_the_c_parser_refuses_gets_the_python_loaders_message():
    import yaml

    from sim.scenario.loading import _Loader, _parse
    text = "a: [1, 2\nb: 3\n"
    with pytest.raises(yaml.YAMLError) as caught:
        _parse(text, "x.yaml")
    with pytest.raises(yaml.YAMLError) as expected:
        _Loader(text).get_single_node()
    assert str(caught.value) == str(expected.value)


def test_with_changes_makes_a_validated_copy_and_names_a_wrong_path():
    from sim import with_changes

    today = load_scenario("default")
    more = with_changes(today, {"staff.nurse.count": 4, "delegation.degree": "high"},
                        name="More")
    assert (more.name, more.staff["nurse"].count, more.delegation.degree) == ("More", 4, "high")
    assert today.staff["nurse"].count == 3 and today.delegation.degree == "medium"
    for changes, fragments in (({"staff.nurce.count": 4}, ["staff.nurce.count",
                                                           "did you mean 'nurse'?"]),
                               ({"delegation.degre": "high"}, ["did you mean 'degree'?"]),
                               ({"staff.nurse.count": -1}, ["staff.nurse.count", "found -1"]),
                               # not a mapping of paths: once "no attribute 'split'"
                               ([("staff.nurse.count", 4)], ["changes: found [('staff.nurse",
                                                             "expected a mapping of field paths"]),
                               ({4: 4}, ["found {4: 4}", "expected a mapping of field paths"])):
        with pytest.raises(ScenarioError) as caught:
            with_changes(today, changes)
        text = str(caught.value)
        assert all(f in text for f in fragments), text


# --- warnings: valid, but probably not what was meant ---------------------------------------


def warnings_of(tmp_path: Path, body: str, name: str = "practice.yaml") -> list[str]:
    """The warnings of a file as validate prints them (after 'warning: ')."""
    from sim.scenario import Problem, scenario_warnings

    path = write(tmp_path, body, name)
    return [str(Problem(str(path), w.path, w.expected, w.found))
            for w in scenario_warnings(load_scenario(path))]


def test_a_weekday_added_without_its_demand_is_warned_of(tmp_path):
    """Saturday added to the default's weekdays: every working day gets the yearly rates
    over working_days_per_year (251), so the week brings a sixth day's demand, and Saturday
    has no factor beside Monday's to Friday's. Valid, so warnings; each says what it does."""
    found = warnings_of(tmp_path, "extends: default\n"
                                  "calendar: {weekdays: [mon, tue, wed, thu, fri, sat]}\n")
    assert any("calendar.demand_by_weekday: found no factor for sat: it is taken as 1.0" in w
               and "0.93 times an average working day's demand" in w for w in found), found
    assert any("clinic.working_days_per_year: found 251 beside 6 working weekdays" in w
               and "(312 days in 52 weeks)" in w and "1.24 times the yearly rates" in w
               for w in found), found
    # Saturday given its factor and the year its days: nothing to say
    assert warnings_of(tmp_path, "extends: default\nclinic: {working_days_per_year: 300}\n"
                                 "calendar: {weekdays: [mon, tue, wed, thu, fri, sat], "
                                 "demand_by_weekday: {sat: 0.5}}\n") == []


def test_a_staff_entry_in_on_no_weekday_is_warned_of(tmp_path):
    """``days: []`` on an entry with people in it: they work no day, silently, while
    validate counts them; an entry that comes in only in a period of the year is meant."""
    found = warnings_of(tmp_path, "extends: default\nstaff: {nurse: {days: []}}\n")
    assert found == [f"{tmp_path / 'practice.yaml'}: staff.nurse.days: found [] for 3 people: "
                     "in on no weekday, so they work no day of the run; expected the weekdays "
                     "they are in, or count: 0 if no one is meant to be"], found
    assert warnings_of(tmp_path, "extends: default\nstaff: {nurse: {days: [], periods: "
                                 "[{weeks_of_year: [28, 29, 30], days: [mon]}]}}\n") == []


def test_a_slot_length_on_a_block_without_slots_is_warned_of(tmp_path):
    """slot_min on a lunch block did nothing, silently: only blocks with slots have a slot
    length. A warning, not an error: the bundled acute_slots experiment turns acute blocks
    into buffer hours and leaves their slot_min behind, harmlessly."""
    found = warnings_of(tmp_path, """\
        extends: default
        staff:
          hca:
            blocks: [{kind: lunch, start: "12:00", end: "12:30", slot_min: 10}]
            "on": {mon: {blocks: [{kind: admin, start: "08:00", end: "09:00", slot_min: 15}]}}
        """)
    assert found == [
        f"{tmp_path / 'practice.yaml'}: staff.hca.blocks[0].slot_min: found 'lunch', a block "
        "kind without slots (block_kinds.lunch.slots: none): the 10 minutes are not used; "
        "expected slot_min only on a block kind with bookable slots (planned or acute), where "
        "it is the length of the slots",
        f"{tmp_path / 'practice.yaml'}: staff.hca.on.mon.blocks[0].slot_min: found 'admin', a "
        "block kind without slots (block_kinds.admin.slots: none): the 15 minutes are not "
        "used; expected slot_min only on a block kind with bookable slots (planned or acute), "
        "where it is the length of the slots"], found


def test_an_absence_the_run_never_measures_is_warned_of(tmp_path):
    """An absence counts weeks of the run, warm-up included: week 40 of a run of 4 + 3
    weeks never comes, and week 2 falls in the warm-up, which is discarded. Valid, so
    warnings, of the scenario's own calendar or of the run's weeks where a command sets
    them (--weeks, --warmup-weeks)."""
    from sim.scenario import scenario_warnings

    body = ("extends: default\ncalendar: {weeks: 3}\n"
            "staff: {gp: {absent: [{week: 40}, {week: 41}, {week: 6}]}, "
            "nurse: {absent: [{week: 2, days: [mon]}]}}\n")
    found = warnings_of(tmp_path, body)
    assert len(found) == 2, found
    assert "staff.gp.absent: found weeks 40 and 41, after the run's last (week 7): the " \
           "absences never happen; expected an absence in a measured week of the run, " \
           "weeks 5-7 (the run has 4 weeks of warm-up, then 3 measured" in found[0], found
    assert "staff.nurse.absent[0]: found week 2, within the warm-up (weeks 1-4), which is " \
           "simulated and discarded: the absence is never measured" in found[1], found
    scenario = load_scenario(tmp_path / "practice.yaml")
    longer = [str(w) for w in scenario_warnings(scenario, weeks=39, warmup_weeks=1)]
    assert len(longer) == 1 and "staff.gp.absent[1]: found week 41, after the run's last " \
        "(week 40)" in longer[0] and "(the run has 1 week of warm-up, then 39 measured" \
        in longer[0], longer
    assert scenario_warnings(scenario, weeks=50, warmup_weeks=0) == []


def test_an_absence_on_a_weekday_the_person_is_not_in_is_warned_of(tmp_path):
    """An absence on Friday for a nurse in Monday to Thursday took no one away, silently:
    the file meant another day, or another person. Said where none of its weekdays is one
    they are in that week; an absence that also names a day they are in (a whole week
    written mon-fri for a part-timer) is meant, and so is a whole week."""
    found = warnings_of(tmp_path, """\
        extends: default
        calendar: {weeks: 6}
        staff:
          nurse:
            days: [mon, tue, wed, thu]
            absent: [{week: 5, days: [fri]}, {week: 6, days: [thu, fri]}, {week: 7}]
          hca:
            days: [mon, tue]
            absent: [{week: 8, days: [wed, fri]}, {week: 9, days: [wed, fri]}]
        """)
    file = tmp_path / "practice.yaml"
    assert found == [
        f"{file}: staff.nurse.absent[0].days: found fri in week 5: they are in on mon, tue, "
        "wed and thu only, so the absence takes no one away; expected an absence on a "
        "weekday they are in (or under the staff entry of the person meant)",
        f"{file}: staff.hca.absent: found wed and fri in weeks 8 and 9: they are in on mon "
        "and tue only, so the absences take no one away; expected an absence on a weekday "
        "they are in (or under the staff entry of the person meant)"], found


def test_an_absence_is_held_to_the_days_of_its_week_of_the_year(tmp_path):
    """In a period of the year a person keeps the period's days: an absence in a week the
    run spends in that period is held to them (week 5 of a run that starts in week 30 is
    week 34 of the year), and one on a day only the period brings is meant."""
    found = warnings_of(tmp_path, """\
        extends: default
        calendar: {start_week: 30}
        staff:
          nurse:
            days: [mon, tue, wed, thu]
            periods:
              - {weeks_of_year: [34], days: [mon, tue]}
              - {weeks_of_year: [35], days: [mon, tue, wed, thu, fri]}
              - {weeks_of_year: [36], days: []}
            absent: [{week: 5, days: [wed]}, {week: 6, days: [fri]}, {week: 7, days: [mon]},
                     {week: 8, days: [wed]}]
        """)
    file = tmp_path / "practice.yaml"
    assert found == [
        f"{file}: staff.nurse.absent[0].days: found wed in week 5: in week 34 of the year "
        "(periods[0]) they are in on mon and tue only, so the absence takes no one away; "
        "expected an absence on a weekday they are in (or under the staff entry of the "
        "person meant)",
        f"{file}: staff.nurse.absent[2].days: found mon in week 7: in week 36 of the year "
        "(periods[2]) they are in on no weekday, so the absence takes no one away; "
        "expected an absence on a weekday they are in (or under the staff entry of the "
        "person meant)"], found


def test_an_absence_in_a_week_a_rotation_has_the_person_out_is_warned_of(tmp_path):
    """A rotation takes whole weeks: an absence, whole or of some days, in a week the
    rotation has them out took no one away, silently. Absences in their weeks in are
    meant, and are not said."""
    found = warnings_of(tmp_path, """\
        extends: default
        staff:
          nurse:
            rotation: {every_weeks: 2, weeks: [1]}
            absent: [{week: 6}, {week: 7, days: [mon]}, {week: 8, days: [mon]}]
          hca:
            rotation: {every_weeks: 3, weeks: [1, 2]}
            absent: [{week: 6, days: [fri]}, {week: 7}]
        """)
    file = tmp_path / "practice.yaml"
    assert found == [
        f"{file}: staff.nurse.absent: found weeks 6 and 8: their rotation has them in only "
        "in week 1 of every 2 (counted from the run's first week), so the absences take no "
        "one away; expected an absence in a week their rotation has them in (or under the "
        "staff entry of the person meant)",
        f"{file}: staff.hca.absent[0].week: found week 6: their rotation has them in only "
        "in weeks 1 and 2 of every 3 (counted from the run's first week), so the absence "
        "takes no one away; expected an absence in a week their rotation has them in (or "
        "under the staff entry of the person meant)"], found


def test_run_says_an_absence_outside_the_weeks_it_is_given(tmp_path):
    """The run's length may be set on the command line: the warning follows it."""
    path = write(tmp_path, "extends: default\nstaff: {gp: {absent: [{week: 2}]}}\n")
    done = run_cli("run", str(path), "-r", "1", "--weeks", "1", "--warmup-weeks", "0")
    assert done.returncode == 0, done.stderr
    assert (f"warning: {path}: staff.gp.absent[0]: found week 2, after the run's last "
            "(week 1): the absence never happens") in done.stderr, done.stderr


def test_with_changes_takes_numpy_s_texts_as_plain_ones():
    """A value or a name taken from a numpy array or a pandas table is numpy's own text
    type, a subclass of str: it failed with "can't intern numpy.str_"."""
    import numpy as np
    from sim import with_changes

    today = load_scenario("default")
    high = with_changes(today, {"delegation.degree": np.str_("high"),
                                np.str_("staff.nurse.count"): 4}, name=np.str_("More"))
    assert high == with_changes(today, {"delegation.degree": "high", "staff.nurse.count": 4},
                                name="More")
    assert type(high.delegation.degree) is str and type(high.name) is str


def test_a_list_of_no_patients_is_warned_of_and_searched(tmp_path):
    """list_size 0 (the bundled base's placeholder) runs a practice no contact reaches:
    a warning, not an error, since a capacity search of a staffing-only file sets the list
    itself."""
    from sim.capacity import CapacitySearch
    from sim.targets import parse_target

    found = warnings_of(tmp_path, "extends: default\npopulation: {list_size: 0}\n")
    assert any("population.list_size: found 0; expected the practice's listed patients" in w
               for w in found), found
    search = CapacitySearch(load_scenario(write(tmp_path, "extends: default\n"
                                                "population: {list_size: 0}\n", "zero.yaml")),
                            [parse_target("abandonment_rate <= 0.15")])
    assert search.scenario.population.list_size == 0
