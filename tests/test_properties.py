"""Invariants that hold for any valid scenario (property-based, with hypothesis)."""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim import ScenarioError, scenario_from_dict
from sim.engine import CompiledScenario, RunCalendar, simulate_run
from sim.metrics import RunMetrics, check_conservation
from tests.conftest import raw

BASE = raw("default")


@st.composite
def scenarios(draw):
    data = copy.deepcopy(BASE)
    for group in data["staff"]:
        data["staff"][group]["count"] = draw(st.integers(0, 4), label=f"{group} count")
    data["population"]["list_size"] = draw(st.integers(0, 14000), label="list size")
    data["population"]["share_70plus"] = draw(st.floats(0, 0.4), label="share 70+")
    data["delegation"]["degree"] = draw(st.sampled_from(["low", "medium", "high"]))
    data["supervision"]["mode"] = draw(st.sampled_from(["wait", "interrupt"]))
    data["supervision"]["joint"] = {"nurse": draw(st.floats(0, 0.3))}
    data["acute"]["overflow"] = draw(st.sampled_from(["squeeze_in", "overtime", "next_day"]))
    data["acute"]["prefer"] = draw(st.sampled_from(["lowest_level", "earliest"]))
    data["end_of_day"]["patients"] = draw(st.sampled_from(["overtime", "carry_over"]))
    data["end_of_day"]["inbox"] = draw(st.sampled_from(["overtime", "carry_over"]))
    data["demand"]["phone"]["per_patient_year"] = draw(st.floats(0, 12))
    data["demand"]["phone"]["patience"] = draw(st.sampled_from(
        [None, {"dist": "exponential", "mean": 2.0}, {"dist": "fixed", "value": 5.0}]))
    no_show = draw(st.floats(0, 0.5))
    data["booking"]["no_show_by_weekday"] = {d: no_show for d in ("mon", "tue", "wed")}
    data["booking"]["horizon_days"] = draw(st.integers(1, 30))
    data["booking"]["own_gp_extra_days"] = draw(st.sampled_from([0, 2, 10]))
    data["demand"]["walk_in"]["per_patient_year"] = draw(st.sampled_from([0.0, 0.5, 2.0]))
    data["demand"]["walk_in"]["profile"] = [{"start": "08:00", "end": "10:00"}]
    if draw(st.booleans(), label="history taken first"):
        data["contact_types"]["acute"]["history_taking"] = {
            "by": ["nurse"], "before": ["gp"], "later_share": draw(st.floats(0.1, 1.0)),
            "duration": {"dist": "exponential", "mean": 5.0}}
    if draw(st.booleans(), label="assisted GP"):
        data["staff"]["gp"]["assisted_by"] = ["nurse"]
    if draw(st.booleans(), label="overnight inbox"):
        data["demand"]["e_consultations"]["profile"] = [
            {"start": "00:00", "end": "08:00"}, {"start": "08:00", "end": "16:00"}]
    if draw(st.booleans(), label="teams"):
        data["population"]["teams"] = {"a": 0.6, "b": 0.4}
        data["staff"]["nurse"]["team"] = "a"
        data["staff"]["gp"]["team"] = "b"
    try:
        return scenario_from_dict(data)
    except ScenarioError:
        assume(False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much,
                                                                 HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1), replication=st.integers(0, 50))
def test_any_valid_scenario_runs_and_keeps_its_books(scenario, seed, replication):
    model = CompiledScenario(scenario)
    calendar = RunCalendar(scenario.calendar, days=3, warmup_days=1)
    run = list(simulate_run(model, seed, replication, calendar))
    check_conservation(run)  # one outcome per contact over the run; time adds up per person
    metrics = RunMetrics(model, calendar.weekdays)
    for records in run:
        metrics.add(records)
    metrics.rows()

    for records in run:
        today = records.day.index
        # no consultation or visit starts before its contact arose
        for row in records.contacts:
            day_arise, t_arise, t_outcome, t_seen = row[4], row[5], row[7], row[8]
            assert day_arise <= today
            if day_arise == today:
                assert not t_seen < t_arise - 1e-9
                assert t_outcome >= t_arise - 1e-9
        # a planned need is booked from its request day on, within the horizon
        for b in records.bookings:
            assert today <= b[4] < today + scenario.booking.horizon_days

        # nobody works in two places at once: a person's tasks never partly overlap (an
        # interrupting question sits wholly inside the consultation it interrupted, as do
        # questions answered while waiting for an assistant, from the consultation's start)
        by_worker: dict[int, list[tuple[float, float]]] = {}
        for worker, _kind, _cid, t0, t1 in records.tasks:
            by_worker.setdefault(worker, []).append((t0, t1))
        for spans in by_worker.values():
            spans.sort(key=lambda span: (span[0], -span[1]))  # the enclosing one first
            open_ends: list[float] = []
            for t0, t1 in spans:
                open_ends = [e for e in open_ends if e > t0 + 1e-9]
                for end in open_ends:
                    assert t1 <= end + 1e-9, "partly overlapping tasks"
                open_ends.append(t1)

    # the same seed gives the same run
    again = list(simulate_run(model, seed, replication, calendar))
    for a, b in zip(again, run):
        assert repr(a.contacts) == repr(b.contacts)  # repr: NaN-safe comparison
        assert repr(a.staff) == repr(b.staff)


# --- the engine's own searches of sorted lists -----------------------------------------------
# The compiled engine searches the book's slots and the idle buckets with loops of its own
# (comparing machine numbers); as plain Python it calls ``bisect``. Here the loops run as
# plain Python too, against ``bisect``.
slot_lists = st.lists(st.tuples(st.sampled_from([0.0, 7.5, 15.0, 480.0, 495.0, 960.0]),
                                st.sampled_from(["gp", "gp-2", "nurse", "hca"])),
                      max_size=12).map(sorted)


@given(slots=slot_lists, low=st.sampled_from([-float("inf"), -1e-9, 0.0, 7.5 - 1e-9, 15.0,
                                              500.0, 960.0, 1e9]),
       probe=st.tuples(st.sampled_from([0.0, 7.5, 480.0, 1000.0]),
                       st.sampled_from(["", "gp", "gp-2", "zz"])))
def test_the_books_searches_are_bisects(slots, low, probe):
    import bisect

    import sim.engine.book as book

    with pytest.MonkeyPatch.context() as m:
        m.setattr(book, "COMPILED", True)
        assert book._from(slots, low) == bisect.bisect_left(slots, (low, ""))
        assert book._place(slots, probe) == bisect.bisect_left(slots, probe)
        for slot in slots:
            assert slots[book._place(slots, slot)] == slot


@given(people=st.lists(st.integers(0, 130), max_size=20, unique=True))
def test_an_idle_bucket_holds_its_people_in_order(people):
    """A bucket's bits: its first person and its people in order are the sorted indexes'
    (in both words and beyond them: up to 130 people)."""
    from sim.engine.idle import Bucket, clear_idle, set_idle

    bucket = Bucket()
    for index in people:
        set_idle([bucket], index)
    assert bool(bucket) == bool(people)
    assert list(bucket.indexes()) == sorted(people)
    if people:
        assert bucket.first() == min(people)
    for index in people:
        clear_idle([bucket], index)
    assert not bucket and bucket.low == bucket.high == 0


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 5000), old=st.floats(0, 1), morbid=st.floats(0, 1),
       rate_old=st.floats(0.01, 100), rate_morbid=st.floats(0.01, 100),
       seed=st.integers(0, 2**32 - 1))
def test_a_patient_drawn_is_the_binary_searchs(size, old, morbid, rate_old, rate_morbid, seed):
    """The guide table finds, for every draw, the patient a binary search through the
    running sums of contact rates finds: for random draws and for draws at, just below
    and just above every sum, whatever the list's mix of rates."""
    import numpy as np

    from sim.engine.population import Patients
    from sim.rng import RandomStreams

    assume(rate_old + rate_morbid > 1)  # or no rate for patients aged 70+ and morbid
    data = copy.deepcopy(BASE)
    data["population"].update(list_size=size, share_70plus=old, share_morbid=morbid,
                              relative_rate_70plus=rate_old, relative_rate_morbid=rate_morbid)
    patients = Patients(CompiledScenario(scenario_from_dict(data)), RandomStreams(seed, 0))
    sums = np.cumsum(patients.weight)
    total = sums[-1]
    at_sums = sums[:-1] / total
    u = np.concatenate([np.random.default_rng(seed).random(2000), at_sums,
                        np.nextafter(at_sums, 0), np.nextafter(at_sums, 1),
                        [0.0, np.nextafter(1.0, 0)]])
    u = u[(u >= 0) & (u < 1)]
    expected = sums[:-1].searchsorted(u * total, side="right")
    assert patients.pick(u).tolist() == expected.tolist()


def test_a_patient_drawn_from_a_large_list_is_the_binary_searchs():
    """The same at 80,000 patients, the list size the guide table is for."""
    import numpy as np

    from sim.engine.population import Patients
    from sim.rng import RandomStreams

    data = copy.deepcopy(BASE)
    data["population"]["list_size"] = 80_000
    patients = Patients(CompiledScenario(scenario_from_dict(data)), RandomStreams(3, 0))
    sums = np.cumsum(patients.weight)
    u = np.concatenate([np.random.default_rng(3).random(200_000), sums[:-1] / sums[-1]])
    expected = sums[:-1].searchsorted(u * sums[-1], side="right")
    assert (patients.pick(u) == expected).all()
