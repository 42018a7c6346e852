"""The scenario's duration distributions as a run samples them: compiled with the engine.

The distributions themselves (:mod:`sim.distributions`) stay plain Python, since the
model that holds them is pickled for ``-j`` workers and mypyc's classes do not unpickle
as plain ones. Every task's length is a quantile of one of them, and each such call from
the compiled engine into a plain-Python method ran the interpreter (3 % of a large
case's run). A run therefore samples through a :class:`Duration` of its own, made from
the plain distribution when the run starts (:func:`durations_of`): for the kinds it
knows it computes the same quantile with the same float operations in the same order,
so the same bits; any other kind it hands to the distribution's own ``quantile``.
"""
from __future__ import annotations

import math
from typing import Final, TypeVar

from sim.distributions import Distribution, Exponential, Lognormal, Uniform, _inv_cdf

#: How a :class:`Duration` computes its quantile.
_OWN: Final = 0  # the plain distribution's own quantile
_LOGNORMAL: Final = 1
_EXPONENTIAL: Final = 2
_UNIFORM: Final = 3

K = TypeVar("K")


class Duration:
    """One distribution's quantile, from fields the compiled engine reads as numbers."""

    __slots__ = ("plain", "kind", "a", "b")

    def __init__(self, plain: Distribution) -> None:
        self.plain = plain
        self.kind = _OWN
        self.a = 0.0
        self.b = 0.0
        if type(plain) is Lognormal:
            self.kind, self.a, self.b = _LOGNORMAL, plain.mu, plain.sigma
        elif type(plain) is Exponential:
            self.kind, self.a = _EXPONENTIAL, float(plain.mean)
        elif type(plain) is Uniform:
            self.kind, self.a, self.b = _UNIFORM, float(plain.low), float(plain.high)

    @property
    def mean(self) -> float:
        return self.plain.mean

    def quantile(self, u: float) -> float:
        """The plain distribution's ``quantile(u)``, to the bit."""
        kind = self.kind
        if kind == _LOGNORMAL:
            if u <= 0.0:  # the normal quantile of 0 is minus infinity
                return 0.0
            return math.exp(self.a + self.b * _inv_cdf(u, 0.0, 1.0))
        if kind == _EXPONENTIAL:
            return -self.a * math.log1p(-u)
        if kind == _UNIFORM:
            return self.a + (self.b - self.a) * u
        return self.plain.quantile(u)


def durations_of(plain: dict[K, Distribution]) -> dict[K, Duration]:
    """Each distribution of ``plain`` as a :class:`Duration`, under the same key."""
    return {key: Duration(d) for key, d in plain.items()}
