"""A run's compiled durations give the scenario distributions' own quantiles, to the bit."""
from __future__ import annotations

import math
import statistics
import struct

import numpy as np
import pytest

from sim.distributions import Exponential, Fixed, Gamma, Lognormal, Uniform
from sim.engine.durations import Duration, durations_of, normal_quantile


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _draws() -> list[float]:
    """Uniform draws as a run makes them, and the edges of AS241's three regions."""
    edges = [1e-300, 5e-324, 1e-12, 1e-6, 0.0001, 0.01, 0.075, 0.0750000001, 0.5,
             0.925, 0.9249999999, 0.99, 1 - 1e-12, 1 - 2**-53]
    tails = [math.exp(-25.0 * k) for k in (0.99, 1.0, 1.01)]  # sqrt(-log p) near 5
    return edges + tails + np.random.default_rng(7).random(20_000).tolist()


def test_normal_quantile_is_the_standard_librarys_to_the_bit():
    inv_cdf = statistics._normal_dist_inv_cdf  # the C function the distributions used
    for p in _draws():
        assert _bits(normal_quantile(p)) == _bits(inv_cdf(p, 0.0, 1.0)), p


# (a fixed value as a scenario gives it: a float, as the schema makes it, and as the
# compiled engine returns it)
@pytest.mark.parametrize("plain", [
    Lognormal(12.0, 6.0), Lognormal(3, 1), Exponential(5), Exponential(2.5),
    Uniform(2, 9), Uniform(0.5, 1.25), Fixed(4.0), Gamma(10.0, 4.0)])
def test_a_duration_gives_its_distributions_quantiles(plain):
    twin = Duration(plain)
    assert twin.mean == plain.mean
    for u in [0.0] + _draws():
        mine, theirs = twin.quantile(u), plain.quantile(u)
        assert _bits(float(mine)) == _bits(float(theirs)) and type(mine) is type(theirs), u


def test_durations_keep_their_keys():
    plain = {"a": Lognormal(12.0, 6.0), "b": Fixed(3.0)}
    twins = durations_of(plain)
    assert list(twins) == ["a", "b"] and all(isinstance(d, Duration) for d in twins.values())
