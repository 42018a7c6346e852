"""Invariants that hold for any valid scenario (property-based, with hypothesis)."""
from __future__ import annotations

import copy

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim import ScenarioError, scenario_from_dict, simulate_day
from sim.metrics import check_conservation, day_metrics
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
    data["demand"]["planned"]["no_show"] = draw(st.floats(0, 0.5))
    data["demand"]["walk_in"]["per_patient_year"] = draw(st.sampled_from([0.0, 0.5, 2.0]))
    data["demand"]["walk_in"]["profile"] = [{"start": "08:00", "end": "10:00"}]
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
    records = simulate_day(scenario, seed, replication)
    check_conservation(records)  # one outcome per contact; time adds up per person
    day_metrics(records, scenario)

    # no consultation or visit starts before its contact arose
    for row in records.contacts:
        t_arise, t_seen = row[4], row[7]
        assert not t_seen < t_arise - 1e-9
        assert row[6] >= t_arise - 1e-9

    # nobody works in two places at once: a person's tasks never partly overlap (an
    # interrupting question sits wholly inside the consultation it interrupted)
    by_worker: dict[int, list[tuple[float, float]]] = {}
    for worker, _kind, _cid, t0, t1 in records.tasks:
        by_worker.setdefault(worker, []).append((t0, t1))
    for spans in by_worker.values():
        spans.sort()
        open_ends: list[float] = []
        for t0, t1 in spans:
            open_ends = [e for e in open_ends if e > t0 + 1e-9]
            for end in open_ends:
                assert t1 <= end + 1e-9, "partly overlapping tasks"
            open_ends.append(t1)

    # the same seed gives the same day
    again = simulate_day(scenario, seed, replication)
    assert repr(again.contacts) == repr(records.contacts)  # repr: NaN-safe comparison
    assert repr(again.staff) == repr(records.staff)
