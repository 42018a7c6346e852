"""sim.html_report: one self-contained HTML file for a saved run or a sweep, checked as text
and rendered in headless Chromium (skipped when Chromium is not installed)."""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario, run_replications
from sim.html_report import build_report

IMAGE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)

EXPERIMENT = """\
name: Delegation x nurses (test)
base: default
seed: 1
replications: 3
weeks: 1
warmup_weeks: 1
replications_per_task: 3
baseline: delegation.degree=medium,staff.nurse.count=3
design:
  kind: grid
  factors:
    delegation.degree: [low, medium]
    staff.nurse.count: [3, 4]
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return run_replications(load_scenario("default"), 3, 1, weeks=1, warmup_weeks=1,
                            event_log=True).save(out)


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    from sim.experiment.design import load_experiment
    from sim.experiment.sweep import run_sweep

    root = tmp_path_factory.mktemp("sweep")
    (root / "experiment.yaml").write_text(EXPERIMENT, encoding="utf-8")
    run_sweep(load_experiment(root / "experiment.yaml"), root / "out", progress=False)
    return root / "out"


@pytest.fixture(scope="module")
def reports(run_dir, sweep_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return {"run": build_report(run_dir, out / "run.html"),
            "sweep": build_report(sweep_dir, out / "sub" / "sweep.html")}


def self_contained(page: str) -> list[bytes]:
    """The page has no external references; returns its embedded PNG images."""
    assert page.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    images = [base64.b64decode(m) for m in IMAGE.findall(page)]
    assert all(img[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    assert page.count("<img") == len(images)  # every image is an embedded PNG
    return images


def test_run_report(reports):
    page = reports["run"].read_text(encoding="utf-8")
    # the week's roster, the book over the run, time use, the day's Gantt chart, the phone
    assert len(self_contained(page)) == 5
    for text in ("Default medium practice", "6,000", "Key figures", "Access", "Cost",
                 "The weeks", "Third next available appointment",
                 "Phone triage (telefonvisitation)", "Acute slots (akuttider)",
                 "Delegation degree (delegationsgrad)", "medium", "Overtime",
                 "utilisation", "Assumptions", "Common random numbers", "Conservation",
                 "Not modelled", "2 x Medical secretary", "08:00-12:00",
                 "<td>e_consultations</td>"):  # a stream named as in the scenario file
        assert text in page, text
    assert ("<p class='note'>Note: with 3 runs the intervals are rough; use 10 runs or more "
            "before relying on them.</p>") in page  # as the terminal says it
    assert re.search(r"Phone wait, mean[^<]*</td><td class=\"num\">[\d.]+ \[", page)
    assert page.count("before any redial") == 1  # the busiest phone hour, quoted once


def test_sweep_report(reports):
    page = reports["sweep"].read_text(encoding="utf-8")
    images = self_contained(page)
    assert len(images) >= 4  # paired differences, trade-offs, heatmaps
    for text in ("Delegation x nurses (test)", "4 design points, 3 independent runs of 1 week "
                 "(after 1 week of warm-up) each", "(baseline)",
                 "Note: with 3 runs per point the intervals are rough",
                 "delegation.degree", "staff.nurse.count", "&Delta;", "Paired differences",
                 "non-dominated", "The base practice", "Assumptions",
                 "paired run by run"):
        assert text in page, text


def test_run_saved_without_the_event_log(tmp_path):
    results = run_replications(load_scenario("default"), 2, 1, weeks=1, warmup_weeks=1)
    page = build_report(results.save(tmp_path / "run"), tmp_path / "r.html").read_text(
        encoding="utf-8")
    assert "2 independent runs of 1 week (after 1 week of warm-up)" in page
    assert len(self_contained(page)) == 3  # the roster, the book over the run, time use
    assert "without the event log" in page


def test_one_run_without_warm_up_is_said_as_such(tmp_path):
    """One run: "1 independent run", no warm-up named, and a note that one run has no
    intervals (the terminal's words)."""
    results = run_replications(load_scenario("case06"), 1, 1, weeks=1, warmup_weeks=0)
    page = build_report(results.save(tmp_path / "run"), tmp_path / "r.html").read_text(
        encoding="utf-8")
    assert "1 independent run of 1 week, seed 1." in page
    assert "Note: one run gives no confidence intervals" in page


def test_a_fixed_nurse_shows_among_the_key_figures(tmp_path):
    """A practice that lists patients with a fixed nurse reports her continuity by role,
    next to the own GP's; one that does not, has no such row."""
    results = run_replications(load_scenario("case04"), 2, 1, weeks=1, warmup_weeks=1)
    page = build_report(results.save(tmp_path / "run"), tmp_path / "r.html").read_text(
        encoding="utf-8")
    assert "own clinician: nurse" in page and "own GP (continuity)" in page
    assert "own clinician: nurse" not in build_report(
        run_replications(load_scenario("default"), 2, 1, weeks=1, warmup_weeks=1).save(
            tmp_path / "default"), tmp_path / "d.html").read_text(encoding="utf-8")


def test_unfinished_sweep_is_reported_from_its_parts(sweep_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(sweep_dir, copy)
    (copy / "summary.parquet").unlink()
    page = build_report(copy, tmp_path / "s.html").read_text(encoding="utf-8")
    assert "has not finished" in page
    assert len(self_contained(page)) >= 4


def test_a_saved_table_gone_is_damage_not_a_shorter_report(run_dir, tmp_path):
    """A save lists the tables it wrote: one deleted since was left out of the report in
    silence (its sections missing, exit 0). A save from before the list keeps its
    tables optional."""
    import json

    from sim.experiment.replications import ReplicationResults

    assert json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["tables"] == list(
        ReplicationResults.TABLES)  # event_log=True: every table
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    (copy / "days.parquet").unlink()
    with pytest.raises(ValueError) as err:
        build_report(copy, tmp_path / "r.html")
    assert "days.parquet missing, though run.json lists it" in str(err.value)
    assert not (tmp_path / "r.html").exists()
    run = json.loads((copy / "run.json").read_text(encoding="utf-8"))
    del run["tables"]
    (copy / "run.json").write_text(json.dumps(run), encoding="utf-8")
    assert ReplicationResults.load(copy).days is None
    assert "tables" not in (ReplicationResults.load(run_dir).provenance or {})


@pytest.mark.parametrize("make", ["empty", "missing", "bad_run", "file"])
def test_neither_run_nor_sweep_is_a_clear_error(tmp_path, make):
    target = tmp_path / make
    if make == "empty":
        target.mkdir()
    elif make == "bad_run":
        target.mkdir()
        (target / "run.json").write_text(json.dumps({"kind": "sweep"}), encoding="utf-8")
    elif make == "file":
        target.write_text("x", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        build_report(target, tmp_path / "out.html")
    message = str(err.value)
    assert str(target) in message and "\n" not in message
    assert not (tmp_path / "out.html").exists()


# --- rendered in a browser ----------------------------------------------------------------------

#: Added to a copy of the report (the report itself has no script): records load errors
#: and console errors, then writes what it found into the page for --dump-dom.
PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || e));
}, true);
var __error = console.error;
console.error = function () { window.__errors.push([].join.call(arguments, " "));
                              __error.apply(console, arguments); };
window.addEventListener("load", function () {
  var images = Array.from(document.images).map(function (img) {
    return {complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
            shown: img.getBoundingClientRect().width};
  });
  var pre = document.createElement("pre");
  pre.id = "probe-result";
  pre.textContent = JSON.stringify({images: images, errors: window.__errors,
                                    title: document.title,
                                    headings: document.querySelectorAll("h2").length});
  document.body.appendChild(pre);
});
</script>"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _browse(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def browser():
    found = _chromium()
    if found is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); the "
                    "browser rendering checks need it")
    return found


def probe(page: str, browser: str, folder: Path) -> dict:
    """Render ``page`` in headless Chromium with :data:`PROBE` injected; what the probe
    found once the page had loaded (errors, title, headings, images)."""
    probed = folder / "probed.html"
    probed.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    done = _browse(browser, folder / "profile", "--virtual-time-budget=10000", "--dump-dom",
                   probed.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r'<pre id="probe-result">(.*?)</pre>', done.stdout, re.S)
    assert match, f"the page did not finish loading:\n{done.stderr[-2000:]}"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))


@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_report_renders_in_chromium(reports, browser, tmp_path, kind):
    page = reports[kind].read_text(encoding="utf-8")
    result = probe(page, browser, tmp_path)
    assert result["errors"] == []
    assert result["title"].startswith("clinicsim")
    assert result["headings"] >= 4
    images = result["images"]
    assert len(images) == page.count("<img") and images
    for img in images:
        assert img["complete"] and img["width"] > 0 and img["height"] > 0 and img["shown"] > 0


def test_report_screenshot_shows_content(reports, browser, tmp_path):
    shot = tmp_path / "shot.png"
    done = _browse(browser, tmp_path / "profile", "--window-size=1280,2400",
                   f"--screenshot={shot}", reports["run"].as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.shape[1] >= 1200
    # not a blank page: text, tables and plots give many distinct colours
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50


def test_what_made_the_results_names_the_engine():
    from sim.html_report import _made_by

    assert _made_by({"clinicsim_version": "0.1.0", "engine": "compiled"}).startswith(
        "clinicsim 0.1.0 (compiled engine)")
    assert "engine" not in _made_by({"clinicsim_version": "0.1.0"})  # saved before it was


def test_the_practice_says_whether_its_consultations_fit_their_slots():
    """The report's description of the practice carries the slot note (sim/slot_fit.py),
    for each design of a comparison too."""
    from sim.html_report import describe_scenario

    default = describe_scenario(load_scenario("default"))
    assert "Consultations against their slots" in default
    assert "in the gp role&#x27;s 10-minute acute slots" in default
    assert "Every consultation fits its slot on average" in describe_scenario(
        load_scenario("case08"))


def test_a_comparison_report_warns_of_absences_in_the_weeks_it_ran(tmp_path):
    """The comparison page checked a design's absences against its file's calendar (4
    weeks of warm-up), not the weeks it ran: a nurse away in week 2 of a run with no
    warm-up was said to be 'within the warm-up ... never measured'."""
    from sim.cli import main

    design = tmp_path / "away.yaml"
    design.write_text("extends: default\nstaff: {nurse: {absent: [{week: 2}]}}\n")
    saved, page = tmp_path / "cmp", tmp_path / "cmp.html"
    assert main(["compare", "default", str(design), "-r", "1", "--weeks", "2",
                 "--warmup-weeks", "0", "--save", str(saved)]) == 0
    assert main(["report", str(saved), "-o", str(page)]) == 0
    assert "within the warm-up" not in page.read_text(encoding="utf-8")


def test_a_saved_run_is_not_compared_with_itself(tmp_path, capsys):
    from sim.cli import main

    saved = tmp_path / "saved"
    assert main(["run", "-r", "1", "--weeks", "1", "--warmup-weeks", "0", "--save",
                 str(saved)]) == 0
    assert main(["report", str(saved), str(tmp_path / "." / "saved"), "-o",
                 str(tmp_path / "r.html")]) == 2
    assert "is the same saved run as" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
