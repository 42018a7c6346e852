"""clinicsim compare and the command line that guides: paired differences sorted by effect
size with a conclusion, saved comparisons and their reports (rendered in Chromium), reports
that describe the practice they were given, --save that refuses to replace without
--force, provenance in every saved result, help with examples, --version, progress."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sim import __version__, engine_build
from sim.cli import EXAMPLES, build_parser, main
from sim.html_report import build_report
from tests.test_html_report import browser, probe, self_contained  # noqa: F401

SHORT = ["-w", "1", "--warmup-weeks", "1"]
CASE08 = str(next((Path(__file__).resolve().parent.parent / "models" / "cases").glob(
    "case08_*.yaml")))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A comparison of the default practice and case 08, saved, with its printed output."""
    root = tmp_path_factory.mktemp("compare")
    out = root / "deep" / "er" / "cmp"  # missing parents are created
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["compare", "default", CASE08, "-r", "3", *SHORT, "--save", str(out)])
    assert code == 0
    return out, buffer.getvalue()


def test_compare_prints_a_conclusion_and_differences_sorted_by_effect_size(saved):
    out, text = saved
    assert "What the figures say" in text
    assert "against Default medium practice" in text
    table = text.split("B against A")[1]
    ratios = [float(line.split()[-1]) for line in table.splitlines()
              if re.search(r"\s\d+\.\d$", line)]
    assert len(ratios) > 5 and ratios == sorted(ratios, reverse=True)
    assert "[baseline]" in text and "common random numbers" in text
    assert f"clinicsim report {out}" in text
    # each design's phone in words, under its name: the default's peak is short of people,
    # and beside it case 08's busiest hour is said with what its people can do
    phone = " ".join(text.split("The phone, from each design's inputs alone:")[1].split())
    assert phone.startswith("Default medium practice: In its busiest phone hour")
    default, case08 = phone.split("Case 08")[:2]
    assert "Callers will queue past their patience" in default
    load = float(re.search(r"a load of (\d\.\d\d) before any redial", case08).group(1))
    assert load <= 1 and "Callers will queue" not in case08
    assert "even its busiest hour has more staffed minutes than minutes of triage" in case08
    # likewise the slots: the default's acute slots are shorter than its consultations,
    # case 08's fit
    slots = " ".join(text.split("The slots, from each design's inputs alone:")[1].split())
    default, case08 = slots.split("Case 08")[:2]
    assert default.startswith("Default medium practice: Consultations longer than their slots")
    assert "Every consultation fits its slot on average, notes included." in case08


def test_designs_with_other_list_sizes_are_read_as_such(saved):
    """The default practice and case 08 list different numbers of patients: the header
    says so, and a count a day (contacts, calls) gets no verdict, while a figure per
    contact keeps its direction."""
    _out, text = saved
    assert "listed patients  [baseline]" in text
    words = " ".join(text.split())  # the conclusion is wrapped
    assert "a design with another list size meets the demand of its own list" in words
    assert "Its list is 3,351 patients against" in words
    table = text.split("B against A")[1]
    rows = {line.split("(")[0].strip(): line for line in table.splitlines()
            if line.startswith("  ") and "[" in line}
    for volume in ("Contacts handled", "Calls offered"):
        assert not re.search(r"\s(better|worse)\s", rows[volume]), rows[volume]
    assert re.search(r"\s(better|worse)\s", rows["Staff cost per handled contact"])


def test_a_difference_the_same_in_every_pair_of_runs_ranks_first():
    """A difference with no spread across paired runs (a 90th percentile one day longer in
    every run) is as clear as a difference gets: it must not sink below the noisy ones."""
    import pandas as pd

    from sim.compare import difference_table, ranked

    def row(point, metric, mean, diff=None, low=None, high=None):
        return {"point": point, "metric": metric, "role": None, "activity": None,
                "weekday": None, "mean": mean, "ci_low": mean, "ci_high": mean,
                "diff_mean": diff, "diff_ci_low": low, "diff_ci_high": high}

    summary = pd.DataFrame([
        row(0, "planned_wait_p90_days", 1.0), row(0, "calls_offered", 100.0),
        row(0, "overtime_min", 40.0),
        row(1, "planned_wait_p90_days", 2.0, 1.0, 1.0, 1.0),
        row(1, "calls_offered", 80.0, -20.0, -22.0, -18.0),
        row(1, "overtime_min", 40.0, 0.0, 0.0, 0.0)])
    table = ranked(summary, 1, 0)
    assert list(table["metric"]) == ["planned_wait_p90_days", "calls_offered", "overtime_min"]
    text = "\n".join(difference_table(summary, 1, 0, {0: "A", 1: "B"}, everything=True))
    assert "every pair" in text.splitlines()[1]


def test_a_figure_only_one_design_has_is_shown_as_such_both_ways(tmp_path, capsys):
    """A design listing patients with a fixed nurse has a figure the other lacks: it is
    named as one design's own, with its CI, never as 'no clear difference'; in the text and
    in the HTML report, whichever design is the baseline."""
    variant = tmp_path / "fixed_nurse.yaml"
    variant.write_text("extends: default\nname: With a fixed nurse\n"
                       "population: {own_clinician: {nurse: morbid}}\n", encoding="utf-8")
    for order, who in (((str(variant), "default"), "A"), (("default", str(variant)), "B")):
        out = tmp_path / f"cmp-{who}"
        assert main(["compare", *order, "-r", "3", *SHORT, "--save", str(out)]) == 0
        text = capsys.readouterr().out
        one_sided = [line for line in text.splitlines() if f"Only {who} has" in line]
        assert len(one_sided) == 1 and "own clinician, nurse" in one_sided[0]
        clear = [line for line in text.splitlines() if line.lstrip().startswith("No clear")]
        assert not any("own clinician" in line for line in clear)
        html = build_report(out, tmp_path / f"{who}.html").read_text(encoding="utf-8")
        assert ("only the baseline has it" if who == "A" else "only this design has it") in html
        # the two have the same phone and slots: each note once, naming both
        names = ("With a fixed nurse", "Default medium practice")[::1 if who == "A" else -1]
        words = " ".join(text.split())
        for topic, start in (("phone", "In its busiest phone hour"),
                             ("slots", "Consultations longer than their slots")):
            note = words.split(f"The {topic}, from each design's inputs alone: ")[1]
            assert note.startswith(f"{names[0]} and {names[1]} alike: {start}"), note[:200]
            assert start not in note.split(start, 1)[1].split("The ")[0]


def test_designs_named_alike_are_told_apart_by_their_files(tmp_path, capsys):
    """A file that changes only the degree keeps the name of the case it extends: the
    designs are then told apart by their files' names, not by a number the consultant
    has to trace back; a folder's name does the same for saved runs."""
    from sim.compare import unique_names

    assert unique_names(["P", "P", "P"], ["p", "low", "high"]) == ["P", "P (low)", "P (high)"]
    assert unique_names(["P", "Q", "P"], ["p", "q", "p"]) == ["P", "Q", "P (p)"]
    assert unique_names(["P", "P"]) == ["P", "P (2)"]  # nothing to tell them apart by
    high = tmp_path / "high.yaml"
    high.write_text("extends: default\ndelegation: {degree: high}\n", encoding="utf-8")
    assert main(["compare", "default", str(high), "-r", "2", *SHORT]) == 0
    out = capsys.readouterr().out
    assert "B  Default medium practice (high)  (" in out
    assert "Default medium practice (high) against Default medium practice:" in " ".join(
        out.split())
    saved = []
    for name, scenario in (("today", "default"), ("more_nurses", str(high))):
        saved.append(str(tmp_path / name))
        assert main(["run", scenario, "-r", "2", *SHORT, "--save", saved[-1]]) == 0
    capsys.readouterr()
    assert main(["report", *saved, "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Default medium practice (more_nurses)" in html


def test_saved_comparison_records_what_it_rests_on(saved):
    out, _ = saved
    manifest = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "comparison" and manifest["seed"] == 1
    assert manifest["clinicsim_version"]
    assert manifest["engine"] == engine_build()  # compiled or interpreted: which ran
    assert manifest["command"].startswith("clinicsim compare default")
    paths = [s["path"] for s in manifest["scenarios"]]
    assert paths[0].endswith("default.yaml") and paths[1] == CASE08
    assert all(len(s["sha256"]) == 64 for s in manifest["scenarios"])
    assert [d["name"] for d in manifest["designs"]] == ["Default medium practice",
                                                        "Case 08: Midtjysk delepraksis"]


def test_comparison_report(saved, tmp_path):
    out, _ = saved
    page = build_report(out, tmp_path / "c.html").read_text(encoding="utf-8")
    images = self_contained(page)
    # forest plot, and each design's week roster and appointment book
    assert len(images) == 5
    for text in ("What the figures say", "Paired differences from the baseline",
                 "difference / CI half-width", "Who takes what at medium delegation",
                 "Case 08: Midtjysk delepraksis", "3,351 listed patients", "The weeks",
                 "How the figures are computed", "Callers&#x27; patience", "Assumptions"):
        assert text in page, text
    assert page.index("What the figures say") < page.index("Paired differences")
    explained = page.split("How the figures are computed")[1]
    for name in ("Default medium practice", "Case 08: Midtjysk delepraksis"):
        assert f"{name}: Callers&#x27; patience" in explained  # each design's own phone


def test_saved_runs_of_one_seed_are_compared_and_of_two_seeds_refused(tmp_path, capsys):
    a, b, c = (str(tmp_path / n) for n in "abc")
    assert main(["run", "-r", "2", *SHORT, "--save", a]) == 0
    assert main(["run", "case08", "-r", "2", *SHORT, "--save", b]) == 0
    assert main(["run", "case08", "-r", "2", "--seed", "2", *SHORT, "--save", c]) == 0
    assert main(["report", a, b, "-o", str(tmp_path / "ab.html")]) == 0
    page = (tmp_path / "ab.html").read_text(encoding="utf-8")
    assert "What the figures say" in page
    assert "version not recorded" not in page and f"clinicsim {__version__}" in page
    assert "clinicsim run case08 -r 2" in page  # each saved run's command
    capsys.readouterr()
    assert main(["report", a, c, "-o", str(tmp_path / "ac.html")]) == 2
    assert "same patients" in capsys.readouterr().err


def test_saved_runs_of_other_lengths_are_refused(tmp_path, capsys):
    """Runs of other lengths do not face the same patients, and a count a day or a trend
    differs with the length alone: the report names the lengths instead."""
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert main(["run", "-r", "2", *SHORT, "--save", a]) == 0
    assert main(["run", "-r", "2", "--weeks", "2", "--warmup-weeks", "1", "--save", b]) == 0
    capsys.readouterr()
    assert main(["report", a, b, "-o", str(tmp_path / "ab.html")]) == 2
    err = capsys.readouterr().err
    assert "2 measured weeks after 1 of warm-up" in err and "Traceback" not in err
    assert not (tmp_path / "ab.html").exists()


def test_comparison_report_renders_in_chromium(saved, browser, tmp_path):  # noqa: F811
    out, _ = saved
    page = build_report(out, tmp_path / "c.html").read_text(encoding="utf-8")
    result = probe(page, browser, tmp_path)
    assert result["errors"] == []
    assert result["title"].startswith("clinicsim comparison")
    assert result["headings"] >= 5
    assert result["images"] and all(i["complete"] and i["width"] > 0 and i["shown"] > 0
                                    for i in result["images"])


# --- the report describes the practice it was given -------------------------------------------

OURS = """\
extends: default
name: Our practice
population:
  list_size: 6500
staff:
  hca:
    count: 0
"""


@pytest.mark.parametrize("own", [None, "Our own words about the practice."])
def test_report_describes_the_scenario_not_its_base(tmp_path, own):
    path = tmp_path / "ours.yaml"
    path.write_text(OURS + (f"description: {own}\n" if own else ""), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(path), "-r", "2", *SHORT, "--save", str(out)]) == 0
    page = build_report(out, tmp_path / "r.html").read_text(encoding="utf-8")
    lead = page.split("The practice simulated")[1].split("<table")[0]
    assert "6,500 listed patients" in lead
    assert "no healthcare assistant" in lead
    assert "6,000 listed patients" not in page  # the base's description is never repeated
    assert ("Our own words about the practice." in lead) == bool(own)
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["description"] == own
    assert run["scenarios"][0]["path"] == str(path)
    assert [Path(f["path"]).name for f in run["scenarios"][0]["extends"]] == ["default.yaml",
                                                                            "base.yaml"]


# --- the command line ------------------------------------------------------------------------


def test_save_creates_parents_and_replaces_only_with_force(tmp_path, capsys):
    out = tmp_path / "a" / "b" / "run"
    assert main(["run", "-r", "1", *SHORT, "--save", str(out)]) == 0
    before = (out / "run.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["run", "-r", "1", *SHORT, "--save", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and str(out) in err and "earlier output" in err
    assert (out / "run.json").stat().st_mtime_ns == before
    assert main(["run", "-r", "1", *SHORT, "--save", str(out), "--force"]) == 0
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep", encoding="utf-8")
    assert main(["run", "-r", "1", *SHORT, "--save", str(foreign), "--force"]) == 2
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep"


def test_sweep_manifest_records_provenance_and_resume_ignores_the_command(tmp_path):
    experiment = tmp_path / "e.yaml"
    experiment.write_text("name: tiny\nbase: default\nseed: 3\nreplications: 2\nweeks: 1\n"
                          "warmup_weeks: 1\nreplications_per_task: 2\ndesign:\n  kind: grid\n"
                          "  factors:\n    delegation.degree: [low, high]\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(experiment), "-o", str(out), "-q"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["clinicsim_version"] and manifest["seed"] == 3
    assert manifest["engine"] == engine_build()
    assert manifest["command"].startswith("clinicsim sweep")
    assert manifest["experiment_file"]["path"] == str(experiment)
    assert manifest["scenarios"][0]["path"].endswith("default.yaml")
    assert main(["sweep", str(experiment), "--out", str(out), "--resume", "-q"]) == 0


def test_sweep_summary_shows_the_largest_effect(tmp_path, capsys):
    experiment = tmp_path / "e.yaml"
    experiment.write_text("name: tiny\nbase: default\nreplications: 3\nweeks: 1\n"
                          "warmup_weeks: 1\nbaseline: delegation.degree=low\ndesign:\n"
                          "  kind: grid\n  factors:\n    delegation.degree: [low, high]\n",
                          encoding="utf-8")
    assert main(["sweep", str(experiment), "-o", str(tmp_path / "o"), "-q"]) == 0
    text = capsys.readouterr().out
    assert "What the figures say" in text
    assert "Call to consultation, mean" in text  # the missing largest effect


def test_compare_json_has_the_paired_differences(capsys):
    assert main(["compare", "default", "case08", "-r", "2", *SHORT, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    second = [r for r in rows if r["point"] == 1 and r["metric"] == "doctor_time_min"]
    assert second and second[0]["name"] == "Case 08: Midtjysk delepraksis"
    assert second[0]["diff_ci_low"] <= second[0]["diff_mean"] <= second[0]["diff_ci_high"]


def test_run_with_two_scenarios_points_to_compare(capsys):
    assert main(["run", "default", "case08"]) == 2
    assert "clinicsim compare default case08" in capsys.readouterr().err


def test_every_command_has_a_description_an_example_and_shows_defaults(capsys):
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert set(commands) == set(EXAMPLES)
    for name, sub in commands.items():
        text = sub.format_help()
        assert sub.description, name
        assert "examples:" in text and f"clinicsim {name}" in text.split("examples:")[1], name
        assert "%%" not in text, name
    assert "(default: 10)" in commands["run"].format_help()
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("clinicsim ")


def test_explain_quotes_the_scenarios_patience(capsys):
    assert main(["explain", "abandonment_rate", "--scenario", "case08"]) == 0
    text = capsys.readouterr().out
    assert "patience" in text and "exponential" in text and "ring again" in text
    # a same-day redial rings only while the line takes calls (else the next working day)
    assert "if the line still takes calls then; if not, the next working day" in " ".join(
        text.split())
    assert main(["explain", "abandonmnet_rate"]) == 2
    assert "abandonment_rate" in capsys.readouterr().err


def test_explain_without_a_metric_lists_every_metric_with_its_name(capsys):
    """What a reader asks first: which figures are there? Every metric explain accepts,
    one a line with the summary's name and unit."""
    from sim.explain import known_metrics

    assert main(["explain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = [line.split()[0] for line in lines[1:]]
    assert listed == known_metrics()
    text = "\n".join(lines)
    assert "  abandonment_rate" in text and "Calls abandoned (share), %" in text
    assert "Call to consultation, mean (min)" in text
    assert ") (" not in text  # never two parentheses in a row


def test_a_label_in_parentheses_takes_its_unit_after_a_comma():
    """"Calls abandoned (share) (%)" read as two asides; every table, axis and explanation
    builds a figure's label with its unit in one place."""
    from sim.compare import _row_label
    from sim.labels import with_unit
    from sim.plots import metric_label

    assert with_unit("Phone wait, mean", "min") == "Phone wait, mean (min)"
    assert with_unit("Calls abandoned (share)", "%") == "Calls abandoned (share), %"
    assert with_unit("Backlog trend", "") == "Backlog trend"
    assert metric_label("abandonment_rate") == "Calls abandoned (share), %"
    assert metric_label("abandonment_rate", diff=True) == (
        "Calls abandoned (share), percentage points")
    assert _row_label("acute_same_day_rate", None) == "Same-day needs seen today (akuttider), pp"


def test_every_outcome_figure_has_its_own_label_and_unit():
    """A run reports contacts by how they ended (``outcome_<outcome>``); each reads as
    words with a unit, not its code name capitalised."""
    from sim.engine.contacts import OUTCOMES
    from sim.labels import METRICS, metric_info

    for outcome in OUTCOMES:
        metric = f"outcome_{outcome}"
        assert metric in METRICS, metric
        label, unit, _, _ = metric_info(metric)
        assert unit.startswith("contacts/") and label != metric.replace("_", " ").capitalize()


def test_every_explanation_is_of_a_reported_metric_and_names_its_inputs():
    """Each explained metric is one a run or a comparison reports (with its label), and
    the access-over-weeks figures a consultant reads in the run summary are explained."""
    from sim.explain import EXPLANATIONS
    from sim.labels import METRICS
    from sim.metrics import OVERALL_METRICS, ROLE_METRICS

    assert set(EXPLANATIONS) <= set(OVERALL_METRICS) | set(ROLE_METRICS) | {
        "doctor_time_min"}  # a comparison's
    assert set(EXPLANATIONS) <= set(METRICS)
    assert all(e.how and e.inputs for e in EXPLANATIONS.values())
    assert {"tnaa_days", "planned_wait_mean_days", "planned_wait_p90_days", "backlog_planned",
            "backlog_trend_per_week", "turned_away", "continuity_own_gp",
            "utilisation"} <= set(EXPLANATIONS)


def test_calibrate_writes_a_new_folder_and_never_replaces_a_report_unasked(tmp_path,
                                                                           monkeypatch,
                                                                           capsys):
    monkeypatch.chdir(tmp_path)
    fast = ["-r", "1", *SHORT]
    assert main(["calibrate", *fast]) == 0
    made = list(tmp_path.glob("calibration-*"))
    assert len(made) == 1 and (made[0] / "report.md").exists()
    # the report shows its picture, written beside it
    assert (made[0] / "calibration.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](calibration.png)" in (made[0] / "report.md").read_text(encoding="utf-8")
    assert main(["calibrate", "--out", str(made[0]), *fast]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["calibrate", "--out", str(made[0]), "--force", *fast]) == 0


def test_calibrate_gives_the_same_report_on_two_processes(tmp_path):
    """The cases may share processes; every run is seeded by the seed and its replication
    alone, so the report's files are the same bytes (its picture included)."""
    fast = ["-r", "1", "--weeks", "1", "--warmup-weeks", "0"]
    assert main(["calibrate", "--out", str(tmp_path / "one"), *fast]) == 0
    assert main(["calibrate", "--out", str(tmp_path / "two"), "-j", "2", *fast]) == 0
    for name in ("report.csv", "recognisability.csv", "report.md", "calibration.png"):
        one = (tmp_path / "one" / name).read_bytes()
        two = (tmp_path / "two" / name).read_bytes()
        if name == "report.md":  # the command it names differs by its folder
            one, two = (x.replace(str(tmp_path).encode(), b"") for x in (one, two))
            one, two = one.replace(b"/one", b""), two.replace(b"/two", b"")
        assert one == two, name


def test_capacity_progress_has_a_total_to_show_time_left(monkeypatch, capsys):
    """The search does not know its length ahead; it tells the bar its estimate as it
    goes, so the bar shows done/total and time left, not a bare count."""
    import sim.progress

    monkeypatch.setattr(sim.progress, "SHOW_AFTER_S", 0.0)
    assert main(["capacity", "default", "-r", "1", "--max-replications", "1", *SHORT,
                 "--resolution", "1500", "--progress"]) == 0
    err = capsys.readouterr().err
    totals = re.findall(r"capacity search: .*?(\d+)/(\d+) ", err)
    assert totals, err
    assert all(int(done) <= int(total) for done, total in totals)
    assert "<" in err  # tqdm's elapsed<remaining


def test_progress_goes_to_stderr_and_never_into_json(monkeypatch, capsys):
    import sim.progress

    monkeypatch.setattr(sim.progress, "SHOW_AFTER_S", 0.0)
    bar = re.compile(r"Default medium practice: .*\d/2 ")  # redrawn at most every 0.1 s
    assert main(["run", "-r", "2", *SHORT, "--progress"]) == 0
    captured = capsys.readouterr()
    assert bar.search(captured.err) and not bar.search(captured.out)
    assert main(["run", "-r", "2", *SHORT, "--json"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)
    assert not bar.search(captured.err)


def test_a_progress_bar_starts_no_thread():
    """A bar (shown on every terminal) leaves the process with one thread, so that
    ``-j N`` still forks its workers rather than starting fresh ones."""
    import subprocess
    import sys

    code = ("import threading\n"
            "from sim.progress import progress_bar, tick\n"
            "with progress_bar(10, 'x', enabled=True):\n"
            "    tick()\n"
            "    print(threading.active_count())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["1"]


def test_summary_fed_in_parts_equals_the_concatenated_table():
    """``add_parts`` (no concatenated copy of the text columns) gives exactly what ``add``
    of the concatenated rows gives."""
    import pandas as pd
    from sim.experiment.stats import PointSummary
    rows = [(0, r, m, role, None, wd, float(r * 7 + i) / 3, float(1 + r % 3))
            for r in range(5)
            for i, (m, role, wd) in enumerate([("a", None, None), ("a", None, "mon"),
                                               ("b", "gp", None), ("c", "nurse", "tue")])]
    first = pd.DataFrame(rows, columns=["point", "replication", "metric", "role",
                                        "activity", "weekday", "value", "weight"])
    second = first.assign(point=1, value=first["value"] * 1.5)
    whole = PointSummary([0, 1], 0)
    whole.add(pd.concat([first, second], ignore_index=True))
    parts = PointSummary([0, 1], 0)
    parts.add_parts([(0, first.drop(columns="point")), (None, second)])
    pd.testing.assert_frame_equal(whole.table(), parts.table(), check_exact=True)


def test_compact_rows_build_the_table_a_list_of_rows_builds():
    import pandas as pd
    from sim.experiment.replications import METRIC_COLUMNS, _CompactRows
    rows = [(0, "a", None, None, None, 0.5, 3.0), (0, "b", "gp", "consult", "mon", 1.25, 1.0),
            (1, "a", None, None, None, float("nan"), 0.0), (1, "b", "gp", "consult", "mon",
                                                             2.0, 2.0)]
    compact = _CompactRows(METRIC_COLUMNS, {"replication": "q", "value": "d", "weight": "d"})
    compact.extend(rows[:2])
    compact.extend(rows[2:])
    pd.testing.assert_frame_equal(compact.frame(), pd.DataFrame(rows, columns=METRIC_COLUMNS),
                                  check_exact=True)
    empty = _CompactRows(METRIC_COLUMNS, {"replication": "q", "value": "d", "weight": "d"})
    assert list(empty.frame().columns) == METRIC_COLUMNS and empty.frame().empty
    # a run's rows leave its replication out: given once, as the lead of every row
    led = _CompactRows(METRIC_COLUMNS, {"replication": "q", "value": "d", "weight": "d"})
    led.extend([row[1:] for row in rows[:2]], lead=(0,))
    led.extend([row[1:] for row in rows[2:]], lead=(1,))
    pd.testing.assert_frame_equal(led.frame(), compact.frame(), check_exact=True)


def test_a_summary_fed_run_by_run_equals_the_summary_of_the_table():
    """``run`` streams each run's rows into the summary without a table per run; it must
    give exactly what ``summarise`` of the whole tidy table gives (case 8: roles, weekdays,
    and metrics some runs lack)."""
    import pandas as pd
    from sim.experiment.replications import iter_runs, run_calendar
    from sim.metrics import SummaryStream, summarise
    from sim.scenario import load_scenario
    scenario = load_scenario("case08")
    calendar = run_calendar(scenario, weeks=1, warmup_weeks=0)
    stream, rows = SummaryStream(), []
    for out in iter_runs(scenario, range(3), 5, calendar, keep_days=False):
        stream.add_rows(out.replication, out.rows)
        rows.extend((out.replication, *row) for row in out.rows)
    table = pd.DataFrame(rows, columns=["replication", "metric", "role", "activity",
                                        "weekday", "value", "weight"])
    pd.testing.assert_frame_equal(stream.table(), summarise(table), check_exact=True)


def test_one_run_says_it_has_no_intervals_and_calls_nothing_clear(capsys):
    code = main(["compare", "default", CASE08, "-r", "1", *SHORT])
    out = capsys.readouterr().out
    assert code == 0
    words = " ".join(out.split())
    assert ("one run gives no confidence intervals (they come from the spread between runs), "
            "so no difference is called clear" in words)
    assert "the 95 % CI includes zero" not in words and "is clear at the 95 % level" not in words
    row = next(line for line in out.splitlines()
               if line.strip().startswith("Calls abandoned (share)"))
    assert "[-, -]" in row and "no CI" in row and row.rstrip().endswith("-")


def test_a_small_clear_difference_is_printed_with_the_digits_that_show_it():
    """A share of 100 % against 99.84 %: the difference and its interval are not rounded
    to 0, and the means get the same decimals, so that their difference adds up."""
    from sim.compare import _digits, _num

    d = max(_digits([-0.0016, -0.002, -0.0012], "acute_same_day_rate"),
            _digits([1.0, 0.9984], "acute_same_day_rate"))
    assert d == 2 and _num(-0.0016, "acute_same_day_rate", d, True) == "-0.16"
    # a difference that rounds to zero has no sign of its own: never "-0.000"
    assert _num(-0.00004, "phone_wait_mean_min", 3, True) == "+0.000"
    assert _num(-0.00004, "phone_wait_mean_min", 3) == "0.000"
    assert _digits([0.004], "phone_wait_mean_min") == 4  # two significant digits: 0.0040
    assert _digits([155.4, 156.9], "contacts_handled_total") == 0
    assert _digits([1.5, 1.2, 1.8], "contacts_handled_total") == 1


def test_the_report_shows_a_clear_difference_with_the_terminals_digits():
    """A clear difference whose CI ends near zero (-0.7 [-1.34, -0.03] pp), and one of 0.03
    calls a day: the terminal and the HTML report give each the decimals that show it, never
    a bound of 0.0 or -0.0 beside the word "worse" (the report used the headline's fixed
    decimals: "+0.0 [0.0, 0.1]")."""
    import pandas as pd

    from sim.compare import difference_table
    from sim.html_report import _difference_rows

    def row(point, metric, mean, diff=None, low=None, high=None):
        return {"point": point, "metric": metric, "role": None, "activity": None,
                "weekday": None, "mean": mean, "ci_low": mean, "ci_high": mean,
                "diff_mean": diff, "diff_ci_low": low, "diff_ci_high": high}

    summary = pd.DataFrame([
        row(0, "acute_same_day_in_hours_rate", 0.9695),
        row(0, "outcome_line_closed", 0.04),
        row(1, "acute_same_day_in_hours_rate", 0.9627, -0.0068, -0.0134, -0.0003),
        row(1, "outcome_line_closed", 0.07, 0.03, 0.004, 0.056)])
    text = "\n".join(difference_table(summary, 1, 0, {0: "A", 1: "B"}, everything=True))
    html = _difference_rows(summary, 1, 0)
    for shown in (text, html):
        assert "-0.68 [-1.34, -0.03]" in shown
        assert "+0.030 [" in shown and "0.004, " in shown
        assert "-0.0]" not in shown and "0.0 [0.0, 0.1]" not in shown


def test_compare_refuses_a_design_twice_and_lists_every_bad_file(tmp_path, capsys):
    """A design compared with itself differs by exactly nothing, which compare worded as
    'no difference is clear'; and of two broken designs only the first was reported."""
    from sim.cli import main

    twin = tmp_path / "twin.yaml"
    twin.write_text("extends: default\nname: Our practice, copied\n")
    # alike but for a fact the day does not depend on, and the weeks --weeks sets for all
    runs_alike = tmp_path / "runs_alike.yaml"
    runs_alike.write_text("extends: default\npractice: {region: Zealand}\n"
                          "calendar: {weeks: 3}\n")
    for pair in (["default", "default"], ["default", str(twin)],
                 ["default", str(runs_alike)]):
        assert main(["compare", *pair, "-r", "1", "--weeks", "1"]) == 2
        assert "describes the same practice as 'default'" in capsys.readouterr().err
    bad = [tmp_path / "bad1.yaml", tmp_path / "bad2.yaml"]
    bad[0].write_text("extends: default\nstaff: {nurse: {cuont: 2}}\n")
    bad[1].write_text("extends: default\npopulation: {list_size: -3}\n")
    assert main(["compare", "default", *map(str, bad)]) == 2
    err = capsys.readouterr().err
    assert "2 problems" in err and "cuont" in err and "list_size" in err


def test_a_comparison_counts_the_next_designs_runs_when_sharing_its_runs(monkeypatch):
    """Each design's runs alone may be too few to pay for a worker on -j 2; the designs
    after it are counted too, as the workers are kept for them."""
    import sim.compare as module
    from sim.scenario import load_scenario

    asked = []
    run_replications = module.run_replications

    def logged(scenario, replications, seed, runs_after=0, **kwargs):
        asked.append(runs_after)
        return run_replications(scenario, replications, seed, runs_after=runs_after, **kwargs)

    monkeypatch.setattr(module, "run_replications", logged)
    designs = [(name, load_scenario(name)) for name in ("default", "case08", "case06")]
    module.run_comparison(designs, 2, 1, weeks=1, warmup_weeks=0)
    assert asked == [4, 2, 0]
