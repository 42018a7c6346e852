"""Random streams: each stream's seed is numpy's SeedSequence of the seed, the replication
and the stream's name, however it is made."""
import numpy as np
import pytest

from sim.rng import CONTACT_DRAWS, RandomStreams, stream_key

SEEDS = [0, 1, 7, 2**32 - 1, 2**32, 2**64 + 5, 12345678901234567890123]
REPLICATIONS = [0, 1, 99, 2**32 - 1, 2**33]
NAMES = ["arrivals.walk_in", "contacts.phone.type", "phone.redial", "",
         *(f"contacts.stream{i}.{draw}" for i, draw in enumerate(CONTACT_DRAWS))]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_streams_seed_is_numpys_seed_sequence_with_its_spawn_key(seed):
    for replication in REPLICATIONS:
        streams = RandomStreams(seed, replication)
        for name in NAMES:
            numpys = np.random.SeedSequence(entropy=seed,
                                            spawn_key=(replication, stream_key(name)))
            ours = streams.seed_sequence(name)
            assert (ours.generate_state(8) == numpys.generate_state(8)).all()
            assert (streams.generator(name).random(3)
                    == np.random.Generator(np.random.PCG64(numpys)).random(3)).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_streams_opened_at_once_have_the_seed_words_of_streams_opened_one_by_one(seed):
    """A run opens the streams earlier runs opened all at once (``_words_ahead``), and a new
    one by itself: both give the PCG64 the same words."""
    from sim.rng import _OPENED

    for name in NAMES:
        _OPENED.setdefault(name, stream_key(name))
    for replication in REPLICATIONS:
        streams = RandomStreams(seed, replication)
        ahead = streams._words_ahead(tuple(NAMES))
        for name in NAMES:
            assert ahead[name].dtype == np.uint64 and ahead[name].flags.c_contiguous
            assert (ahead[name] == streams._pcg64_words(name)).all()


def test_streams_differ_by_name_replication_and_seed():
    first = RandomStreams(1, 0).generator("a").random()
    assert first != RandomStreams(1, 0).generator("b").random()
    assert first != RandomStreams(1, 1).generator("a").random()
    assert first != RandomStreams(2, 0).generator("a").random()


@pytest.mark.parametrize("scenario", ["default", "models/cases/case03_copenhagen_area_doctor_phone.yaml"])
def test_a_days_demand_is_the_same_whatever_the_days_worked_out_at_once(monkeypatch, scenario):
    """A stream's arrivals are worked out some days at a time (``CHUNK_ROWS`` arrivals at
    most) and an outreach stream's day in plain Python or with NumPy (``FEW``): the same
    draws in the same order and the same operations, so the same run whatever the chunks
    (case 3's phone has a profile of its own on some weekdays and days of hundreds of
    calls; the default's streams few a day)."""
    from sim import load_scenario
    from sim.engine import CompiledScenario, demand
    from sim.experiment.replications import run_calendar, run_one

    sc = load_scenario(scenario)
    model = CompiledScenario(sc)
    calendar = run_calendar(sc, 2, 0)

    def rows(chunk: int, few: int = demand.FEW):
        monkeypatch.setattr(demand, "CHUNK_ROWS", chunk)
        monkeypatch.setattr(demand, "FEW", few)
        out = run_one(model, 3, 1, calendar, event_log=True)
        return repr(out.rows), [t.to_csv() for k in sorted(out.tables) for t in out.tables[k]]

    usual = rows(demand.CHUNK_ROWS)
    assert rows(1) == usual  # a day at a time
    assert rows(10**9, 0) == usual  # the whole run at once
    assert rows(50, 10**9) == usual


@pytest.mark.parametrize("name", ["default", "case01"])
def test_a_run_opens_only_streams_it_draws_from(name, monkeypatch):
    """A demand stream with no arrival profile on the run's weekdays (planned requests,
    placed at opening) or an outreach stream (its arrivals come with its block) takes no
    arrival draws, and opens no streams for them: every stream a run opens is drawn from
    (case 1 has an outreach stream)."""
    import sim.rng as rng
    from sim.engine import CompiledScenario
    from sim.experiment.replications import run_calendar, run_one
    from sim.scenario.loading import load_scenario

    first_state: dict[str, int] = {}  # each stream's state when opened
    kept: dict[str, np.random.Generator] = {}
    runs: set[int] = set()
    opened = rng.RandomStreams.generator

    def generator(self, stream):
        new = stream not in self._generators
        found = opened(self, stream)
        if new:
            runs.add(id(self))
            first_state[stream] = found.bit_generator.state["state"]["state"]
        kept[stream] = found
        return found

    monkeypatch.setattr(rng.RandomStreams, "generator", generator)
    scenario = load_scenario(name)
    run_one(CompiledScenario(scenario), 1, 0, run_calendar(scenario, 2, 0), keep_days=False)
    undrawn = sorted(stream for stream, found in kept.items()
                     if found.bit_generator.state["state"]["state"] == first_state[stream])
    assert len(runs) == 1 and len(kept) > 20 and undrawn == []
