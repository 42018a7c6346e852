"""Random streams: each stream's seed is numpy's SeedSequence of the seed, the replication
and the stream's name, however it is made."""
import numpy as np
import pytest

from sim.rng import RandomStreams, stream_key

SEEDS = [0, 1, 7, 2**32 - 1, 2**32, 2**64 + 5, 12345678901234567890123]
REPLICATIONS = [0, 1, 99, 2**32 - 1, 2**33]
NAMES = ["arrivals.walk_in", "contacts.phone.type", "phone.redial", ""]


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


def test_streams_differ_by_name_replication_and_seed():
    first = RandomStreams(1, 0).generator("a").random()
    assert first != RandomStreams(1, 0).generator("b").random()
    assert first != RandomStreams(1, 1).generator("a").random()
    assert first != RandomStreams(2, 0).generator("a").random()
