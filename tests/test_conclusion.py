"""sim.conclusion: every sentence agrees with the confidence intervals it was built from."""
from __future__ import annotations

import math
import re

import pandas as pd

from sim import load_scenario, with_changes
from sim.conclusion import (Effect, comparison_conclusion, design_paragraph, effects, phrase,
                            run_conclusion, size_with_ci)

COLUMNS = ["point", "name", "metric", "role", "activity", "weekday", "mean", "ci_low",
           "ci_high", "replications", "diff_mean", "diff_ci_low", "diff_ci_high"]

#: metric -> (baseline mean, design mean, difference, CI low, CI high): two clear effects
#: of known size (one better, one worse), one whose CI includes zero, and one with no
#: better direction.
KNOWN = {
    "doctor_time_min": (800.0, 759.0, -41.0, -47.0, -35.0),
    "call_to_consult_wait_mean_min": (45.0, 113.0, 68.0, 52.0, 84.0),
    "phone_wait_mean_min": (1.83, 1.91, 0.08, -0.1, 0.26),
    "nonphysician_consult_share": (0.40, 0.55, 0.15, 0.12, 0.18),
}


def summary() -> pd.DataFrame:
    rows = []
    for metric, (base, mean, diff, low, high) in KNOWN.items():
        rows.append((0, "Today", metric, None, None, None, base, base * 0.9, base * 1.1, 20,
                     math.nan, math.nan, math.nan))
        rows.append((1, "More delegation", metric, None, None, None, mean, mean * 0.9,
                     mean * 1.1, 20, diff, low, high))
    return pd.DataFrame(rows, columns=COLUMNS)


def test_effects_are_ranked_by_difference_over_half_width():
    found = effects(summary(), 1, 0)
    ratios = [e.ratio for e in found]
    assert ratios == sorted(ratios, reverse=True)
    assert found[0].metric == "doctor_time_min"  # 41 / 6 is the largest ratio
    assert {e.metric for e in found if not e.clear} == {"phone_wait_mean_min"}


def test_each_stated_effect_quotes_its_own_interval_in_the_right_direction():
    table = summary()
    paragraph = design_paragraph(effects(table, 1, 0), "More delegation", "Today")
    assert "frees 41 [35, 47] doctor minutes a day" in paragraph
    assert "patients wait 68 [52, 84] minutes longer from call to consultation" in paragraph
    assert "15 [12, 18] percentage points more consultations are done by non-doctors" in \
        paragraph or "15.0 [12.0, 18.0] percentage points more" in paragraph
    better = paragraph.split("Better:")[1].split("Worse:")[0]
    worse = paragraph.split("Worse:")[1].split("Also:")[0]
    assert "doctor minutes" in better and "call to consultation" in worse
    assert "non-doctors" in paragraph.split("Also:")[1]  # no better direction: neither
    # the unclear difference is never stated as an effect, only listed as unclear
    unclear = paragraph.split("No clear difference")[1]
    assert "mean phone wait" in unclear
    assert "answered" not in paragraph.split("No clear difference")[0]


def test_every_number_in_a_sentence_lies_in_its_interval():
    for metric, (_b, _m, diff, low, high) in KNOWN.items():
        effect = Effect(metric, diff, low, high, 0.0, 0.0)
        if not effect.clear:
            continue
        text = size_with_ci(effect)
        size, lo, hi = (float(v.replace(",", "")) for v in re.findall(r"[\d.,]+", text))
        scale = 100.0 if metric.endswith("share") else 1.0
        assert lo <= size <= hi
        assert math.isclose(size, abs(diff) * scale, rel_tol=0.01)
        assert math.isclose(lo, min(abs(low), abs(high)) * scale, rel_tol=0.01)
        assert math.isclose(hi, max(abs(low), abs(high)) * scale, rel_tol=0.01)
        assert phrase(effect).count("[") == 1


def test_between_lists_of_different_sizes_a_count_a_day_is_neither_better_nor_worse():
    more = Effect("contacts_handled_total", 58.0, 55.0, 60.0, 140.0, 198.0)
    assert more.verdict == "better"  # the same list: handling more of its demand is better
    other_list = Effect("contacts_handled_total", 58.0, 55.0, 60.0, 140.0, 198.0,
                        same_demand=False)
    assert other_list.clear and other_list.verdict is None
    # so is a total of the practice's day: a smaller practice costs less a day
    for metric in ("staff_cost_dkk", "doctor_time_min", "overtime_min"):
        assert Effect(metric, -5204.0, -5230.0, -5179.0, 20000.0, 14796.0).verdict == "better"
        assert Effect(metric, -5204.0, -5230.0, -5179.0, 20000.0, 14796.0,
                      same_demand=False).verdict is None
    # a figure per contact or a wait keeps its direction whatever the list
    assert Effect("cost_per_contact_dkk", -21.0, -25.0, -17.0, 106.0, 85.0,
                  same_demand=False).verdict == "better"
    table = summary()
    extra = [(p, n, "contacts_handled_total", None, None, None, m, m * 0.9, m * 1.1, 20,
              d, lo, hi) for p, n, m, d, lo, hi in (
                  (0, "Today", 140.0, math.nan, math.nan, math.nan),
                  (1, "More delegation", 198.0, 58.0, 55.0, 60.0))]
    table = pd.concat([table, pd.DataFrame(extra, columns=COLUMNS)], ignore_index=True)
    names = {0: "Today", 1: "More delegation"}
    same, closing = comparison_conclusion(table, names, 0, list_sizes={0: 6000, 1: 6000})
    assert "handles 58" in same.split("Better:")[1].split("Worse:")[0]
    assert "the same patients in every design" in closing
    other, closing = comparison_conclusion(table, names, 0, list_sizes={0: 6000, 1: 7500})
    assert "Its list is 7,500 patients against 6,000" in other
    assert "handles 58" not in other.split("Also:")[0]  # neither better nor worse
    assert "handles 58" in other.split("Also:")[1]
    assert "another list size meets the demand of its own list" in closing


def test_with_the_same_staff_a_longer_list_makes_totals_a_day_better_or_worse():
    """"What if our list grows": the same people for 7,500 patients instead of 6,000 work
    more overtime, which is worse, while the calls they handle are only more."""
    more_overtime = Effect("overtime_min", 40.0, 30.0, 50.0, 25.0, 65.0, same_demand=False,
                           same_staff=True)
    assert more_overtime.verdict == "worse"
    for count in ("contacts_handled_total", "doctor_time_min"):  # more work, more done
        assert Effect(count, 58.0, 55.0, 60.0, 140.0, 198.0, same_demand=False,
                      same_staff=True).verdict is None
    table = summary()
    extra = [(p, n, "overtime_min", None, None, None, m, m * 0.9, m * 1.1, 20, d, lo, hi)
             for p, n, m, d, lo, hi in ((0, "Today", 25.0, math.nan, math.nan, math.nan),
                                        (1, "Longer list", 65.0, 40.0, 30.0, 50.0))]
    table = pd.concat([table, pd.DataFrame(extra, columns=COLUMNS)], ignore_index=True)
    names, lists = {0: "Today", 1: "Longer list"}, {0: 6000, 1: 7500}
    same = comparison_conclusion(table, names, 0, list_sizes=lists,
                                 staffing={0: "two GPs", 1: "two GPs"})[0]
    assert "with the same staff" in same
    assert "more minutes of overtime" in same.split("Worse:")[1].split(".")[0]
    other = comparison_conclusion(table, names, 0, list_sizes=lists,  # other nurses
                                  staffing={0: '{"staff": {"n": {"role": "nurse"}}}',
                                            1: '{"staff": {"n": {"role": "nurse", '
                                               '"count": 3}}}'})[0]
    assert "with the same staff" not in other
    assert "more minutes of overtime" not in other.split("Worse:")[1].split(".")[0]
    assert comparison_conclusion(table, names, 0, list_sizes=lists)[0] == other


def test_staffing_sees_staff_hours_and_wages_but_not_the_list():
    base = load_scenario("default")
    longer = base.model_copy(update={"population": base.population.model_copy(
        update={"list_size": 7500})})
    assert longer.staffing() == base.staffing()
    for path, value in (("staff.nurse.count", 4), ("staff.gp.end", "17:00"),
                        ("roles.nurse.cost_per_hour", 400)):
        assert with_changes(base, {path: value}).staffing() != base.staffing(), path


def test_a_design_with_nothing_clear_says_so():
    table = summary()
    table.loc[table["point"] == 1, ["diff_ci_low", "diff_ci_high"]] = (-1e6, 1e6)
    paragraph = comparison_conclusion(table, {0: "Today", 1: "Same"}, 0)[0]
    assert "no difference is clear at the 95 % level" in paragraph
    assert "Better:" not in paragraph and "Worse:" not in paragraph


def test_a_run_conclusion_calls_a_trend_a_trend_only_when_its_interval_excludes_zero():
    def one(metric, mean, low, high):
        return (metric, None, None, None, mean, low, high, 10)

    base = [one("backlog_planned", 270.0, 250.0, 290.0)]
    columns = ["metric", "role", "activity", "weekday", "mean", "ci_low", "ci_high",
               "replications"]
    flat = pd.DataFrame(base + [one("backlog_trend_per_week", 1.0, -3.0, 5.0)], columns=columns)
    rising = pd.DataFrame(base + [one("backlog_trend_per_week", 4.0, 2.0, 6.0)], columns=columns)
    assert "no clear trend" in " ".join(run_conclusion(flat))
    assert "filling up" in " ".join(run_conclusion(rising))
    assert "filling up" not in " ".join(run_conclusion(flat))


def test_a_run_conclusion_names_the_slots_its_consultations_overrun():
    """Overtime the inputs make: the default's GPs' acute slots are shorter than the
    consultations booked in them (sim/slot_fit.py); case 8's all fit."""
    def one(metric, mean, low, high):
        return (metric, None, None, None, mean, low, high, 10)

    columns = ["metric", "role", "activity", "weekday", "mean", "ci_low", "ci_high",
               "replications"]
    table = pd.DataFrame([one("overtime_min", 27.0, 24.0, 30.0),
                          one("staff_cost_dkk", 20000.0, 19900.0, 20100.0)], columns=columns)
    default = " ".join(run_conclusion(table, load_scenario("default")))
    assert "Consultations longer than their slots on average" in default
    assert "in the gp role's 10-minute acute slots" in default
    case08 = " ".join(run_conclusion(table, load_scenario("case08")))
    assert "overtime a day in total" in case08
    assert "longer than their slots" not in case08


def test_a_conclusion_tells_callers_lost_from_rings_unanswered():
    """Rings and callers are different figures: a practice that lets its callers through
    on their redials has more unanswered rings than lost callers, and the conclusion says
    each in its own words. Every key figure has its phrases."""
    from sim.conclusion import KEY_METRICS, PHRASES

    assert set(KEY_METRICS) <= set(PHRASES)
    rows = []
    for metric, (base, mean) in {"abandonment_rate": (0.45, 0.31),
                                 "callers_gave_up_rate": (0.17, 0.10)}.items():
        diff = mean - base
        rows.append((0, "Phone to 12", metric, None, None, None, base, base - 0.01,
                     base + 0.01, 10, math.nan, math.nan, math.nan))
        rows.append((1, "Phone to 16", metric, None, None, None, mean, mean - 0.01,
                     mean + 0.01, 10, diff, diff - 0.005, diff + 0.005))
    paragraph = design_paragraph(effects(pd.DataFrame(rows, columns=COLUMNS), 1, 0),
                                 "Phone to 16", "Phone to 12")
    better = paragraph.split("Better:")[1]
    assert "percentage points fewer calls go unanswered (each ring counts)" in better
    assert "percentage points fewer callers never get through, after their redials" in better


def test_fewer_doctor_minutes_are_freed_only_with_the_same_doctors():
    """One GP fewer and more nurses: the doctors' minutes fall because a GP is not there,
    which the conclusion called 'Better: frees 245 doctor minutes a day'. With other
    doctors on staff the fall is said as it is, with no verdict; with the same doctors
    (more nurses alone) it is still freed time, and better."""
    from sim.labels import same_doctors

    base = load_scenario("default")
    designs = {0: base, 1: with_changes(base, {"staff.gp.count": 1, "staff.nurse.count": 5}),
               2: with_changes(base, {"staff.nurse.count": 5})}
    staffing = {i: s.staffing() for i, s in designs.items()}
    assert not same_doctors(staffing, 1, 0) and same_doctors(staffing, 2, 0)
    assert same_doctors(None, 1, 0)  # not known: as before staffing was known
    # the same doctors, their day planned or paid otherwise: freed time still
    for change in ({"roles.gp.slot_min": 20}, {"roles.gp.cost_per_hour": 900},
                   {"staff.gp.blocks": [{"kind": "planned", "start": "08:00",
                                         "end": "16:00"}]}):
        other = {0: staffing[0], 1: with_changes(base, change).staffing()}
        assert same_doctors(other, 1, 0), change
    for change in ({"staff.gp.count": 3}, {"staff.gp.absent": [{"week": 5}]},
                   {"staff.gp.days": ["mon", "tue", "wed", "thu"]}):
        other = {0: staffing[0], 1: with_changes(base, change).staffing()}
        assert not same_doctors(other, 1, 0), change
    table = summary()
    table = pd.concat([table, table[table["point"] == 1].assign(point=2, name="More nurses")],
                      ignore_index=True)
    names = {0: "Today", 1: "More delegation", 2: "More nurses"}
    fewer, nurses, *_ = comparison_conclusion(table, names, 0, staffing=staffing)
    assert "doctors work 41 [35, 47] fewer minutes a day, with other doctors on staff" in fewer
    assert "frees" not in fewer
    assert "Better: frees 41 [35, 47] doctor minutes a day" in nurses
    effect = Effect("doctor_time_min", -41.0, -47.0, -35.0, 800.0, 759.0, same_doctors=False)
    assert effect.clear and effect.verdict is None


def test_shorter_waits_beside_more_needs_turned_away_are_called_partly_care_not_booked():
    """A booking horizon shortened to 10 days turns away the reviews due beyond it; the
    waits count only the needs that found a slot, so they read "Better" while the care is
    not booked at all. The paragraph says so beside them; with no more turned away, or
    no shorter wait, it says nothing of it."""
    def paragraph(turned: tuple[float, float, float]) -> str:
        found = [Effect("tnaa_days", -10.0, -10.4, -9.6, 13.7, 3.7),
                 Effect("turned_away", *turned, 0.1, 6.2)]
        return design_paragraph(found, "Horizon 10 days", "Today")

    said = paragraph((6.1, 5.8, 6.4))
    assert "Better: the third next available appointment" in said
    assert ("Its shorter waits for appointments count only the needs that found a slot: "
            "6.1 [5.8, 6.4] more planned needs a day find none") in said
    assert "count only the needs" not in paragraph((0.1, -0.2, 0.4))  # not clear
    assert "count only the needs" not in paragraph((-1.0, -1.3, -0.7))  # fewer turned away
    longer = design_paragraph([Effect("tnaa_days", 2.0, 1.5, 2.5, 1.0, 3.0),
                               Effect("turned_away", 6.1, 5.8, 6.4, 0.1, 6.2)], "X", "Today")
    assert "count only the needs" not in longer
    # doctor minutes freed beside more turned away: part of them is consultations no
    # longer given, said alone or beside the waits
    freed = Effect("doctor_time_min", -22.0, -25.0, -19.0, 900.0, 878.0)
    minutes = design_paragraph([freed, Effect("turned_away", 6.1, 5.8, 6.4, 0.1, 6.2)], "X",
                               "Today")
    assert ("The doctor minutes it frees include consultations no longer given: 6.1 [5.8, "
            "6.4] more planned needs a day find none, so part of the gain is care no longer "
            "booked.") in minutes
    both = design_paragraph([freed, Effect("tnaa_days", -10.0, -10.4, -9.6, 13.7, 3.7),
                             Effect("turned_away", 6.1, 5.8, 6.4, 0.1, 6.2)], "X", "Today")
    assert ("Its shorter waits for appointments count only the needs that found a slot, and "
            "the doctor minutes it frees include consultations no longer given: 6.1") in both
    other_doctors = Effect("doctor_time_min", -22.0, -25.0, -19.0, 900.0, 878.0,
                           same_doctors=False)  # fewer doctors: no minutes are freed
    assert "no longer given" not in design_paragraph(
        [other_doctors, Effect("turned_away", 6.1, 5.8, 6.4, 0.1, 6.2)], "X", "Today")
