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

from sim.distributions import Distribution, Exponential, Lognormal, Uniform

#: ``math.log1p`` held as a constant: compiled, ``math.log1p`` is looked up by name at each
#: call (``math.exp`` and ``math.log`` are the compiler's own)
_LOG1P: Final = math.log1p
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
            return math.exp(self.a + self.b * normal_quantile(u))
        if kind == _EXPONENTIAL:
            return -self.a * _LOG1P(-u)
        if kind == _UNIFORM:
            return self.a + (self.b - self.a) * u
        return self.plain.quantile(u)


def normal_quantile(p: float) -> float:
    """The standard normal's quantile of ``p`` in (0, 1): Wichura's AS241, the algorithm
    and float operations of the standard library's ``statistics._normal_dist_inv_cdf``
    (mean 0, sd 1), so the same bits (``tests/test_durations.py``), without a call into
    it with three boxed floats for every duration drawn."""
    q = p - 0.5
    if math.fabs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2.5090809287301226727e+3 * r +
                     3.3430575583588128105e+4) * r +
                     6.7265770927008700853e+4) * r +
                     4.5921953931549871457e+4) * r +
                     1.3731693765509461125e+4) * r +
                     1.9715909503065514427e+3) * r +
                     1.3314166789178437745e+2) * r +
                     3.3871328727963666080e+0) * q
        den = (((((((5.2264952788528545610e+3 * r +
                     2.8729085735721942674e+4) * r +
                     3.9307895800092710610e+4) * r +
                     2.1213794301586595867e+4) * r +
                     5.3941960214247511077e+3) * r +
                     6.8718700749205790830e+2) * r +
                     4.2313330701600911252e+1) * r +
                     1.0)
        return 0.0 + (num / den) * 1.0  # as mu + (x * sigma)
    r = p if q <= 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r = r - 1.6
        num = (((((((7.7454501427834140764e-4 * r +
                     2.2723844989269184583e-2) * r +
                     2.4178072517745061177e-1) * r +
                     1.2704582524523683826e+0) * r +
                     3.6478483247632045368e+0) * r +
                     5.7694972214606914055e+0) * r +
                     4.6303378461565452959e+0) * r +
                     1.4234371107496835773e+0)
        den = (((((((1.0507500716444168432e-9 * r +
                     5.4759380849953449460e-4) * r +
                     1.5198666563616457197e-2) * r +
                     1.4810397642748007459e-1) * r +
                     6.8976733498510000455e-1) * r +
                     1.6763848301838038494e+0) * r +
                     2.0531916266377588219e+0) * r +
                     1.0)
    else:
        r = r - 5.0
        num = (((((((2.0103343992922881327e-7 * r +
                     2.7115555687434875782e-5) * r +
                     1.2426609473880784386e-3) * r +
                     2.6532189526576123093e-2) * r +
                     2.9656057182850489123e-1) * r +
                     1.7848265399172913358e+0) * r +
                     5.4637849111641143699e+0) * r +
                     6.6579046435011037772e+0)
        den = (((((((2.0442631033899397856e-15 * r +
                     1.4215117583164458887e-7) * r +
                     1.8463183175100546818e-5) * r +
                     7.8686913114561325910e-4) * r +
                     1.4875361290850614852e-2) * r +
                     1.3692988092273580531e-1) * r +
                     5.9983220655588793769e-1) * r +
                     1.0)
    x = num / den
    if q < 0.0:
        x = -x
    return 0.0 + (x * 1.0)


def durations_of(plain: dict[K, Distribution]) -> dict[K, Duration]:
    """Each distribution of ``plain`` as a :class:`Duration`, under the same key."""
    return {key: Duration(d) for key, d in plain.items()}
