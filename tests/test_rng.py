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
def test_a_days_demand_is_the_same_placed_in_python_or_with_numpy(monkeypatch, scenario):
    """Streams with few arrivals a day are placed in plain Python, busier ones with NumPy
    (``sim.engine.demand.FEW``): the same draws and operations, so the same run whichever
    way each day goes (case 3's phone has both kinds of day, the default's streams few)."""
    from sim import load_scenario
    from sim.engine import CompiledScenario, demand
    from sim.experiment.replications import run_calendar, run_one

    sc = load_scenario(scenario)
    model = CompiledScenario(sc)
    calendar = run_calendar(sc, 1, 0)

    def rows(few: int):
        monkeypatch.setattr(demand, "FEW", few)
        out = run_one(model, 3, 1, calendar, event_log=True)
        return repr(out.rows), [t.to_csv() for k in sorted(out.tables) for t in out.tables[k]]

    mixed = rows(demand.FEW)
    assert rows(0) == mixed
    assert rows(10**9) == mixed
