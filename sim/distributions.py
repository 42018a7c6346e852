"""Duration distributions, sampled by inverse transform from a uniform draw.

Sampling by quantile lets each contact carry its own uniform draw for "how long will my
consultation take": whichever role ends up serving it, the contact lands at the same
quantile of that role's distribution. This is what makes common random numbers work
across staffing mixes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Protocol

import statistics
from statistics import NormalDist

#: The standard normal's quantile (Wichura's AS241, relative error about 1e-16) from the
#: standard library: scipy.special's ndtri gave the same to the last bit or two, but
#: importing scipy.special took 0.19 s of every command's start. ``NormalDist().inv_cdf``
#: checks its argument and calls the module's C function with mean 0 and sd 1; a
#: duration's draw is always inside (0, 1), so the function is called directly where
#: the module has it (one Python call less per duration drawn).
_inv_cdf: Callable[[float, float, float], float] = (
    getattr(statistics, "_normal_dist_inv_cdf", None)
    or (lambda p, mu, sigma: NormalDist(mu, sigma).inv_cdf(p)))


class Distribution(Protocol):
    """A non-negative duration in minutes."""

    @property
    def mean(self) -> float: ...

    def quantile(self, u: float) -> float: ...


@dataclass(frozen=True)
class Fixed:
    value: float

    @property
    def mean(self) -> float:
        return self.value

    def quantile(self, u: float) -> float:
        return self.value


@dataclass(frozen=True)
class Exponential:
    mean: float

    def quantile(self, u: float) -> float:
        return -self.mean * math.log1p(-u)


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def quantile(self, u: float) -> float:
        return self.low + (self.high - self.low) * u


@dataclass(frozen=True)
class Lognormal:
    """Parameterised by the mean and standard deviation of the duration itself."""

    mean: float
    sd: float
    mu: float = field(init=False)
    sigma: float = field(init=False)

    def __post_init__(self) -> None:
        sigma = math.sqrt(math.log1p((self.sd / self.mean) ** 2))
        object.__setattr__(self, "sigma", sigma)
        object.__setattr__(self, "mu", math.log(self.mean) - 0.5 * sigma**2)

    def quantile(self, u: float) -> float:
        if u <= 0.0:  # the normal quantile of 0 is minus infinity
            return 0.0
        return math.exp(self.mu + self.sigma * _inv_cdf(u, 0.0, 1.0))


@dataclass(frozen=True)
class Gamma:
    """Parameterised by mean and standard deviation (shape = (mean/sd)^2)."""

    mean: float
    sd: float
    shape: float = field(init=False)
    scale: float = field(init=False)
    #: scipy's inverse of the regularised incomplete gamma function, imported only where a
    #: scenario has a gamma duration (no bundled one does): it costs 0.19 s of start-up
    inverse: Callable[[float, float], float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from scipy.special import gammaincinv  # type: ignore[import-untyped]
        object.__setattr__(self, "shape", (self.mean / self.sd) ** 2)
        object.__setattr__(self, "scale", self.sd**2 / self.mean)
        object.__setattr__(self, "inverse", gammaincinv)

    def quantile(self, u: float) -> float:
        return float(self.inverse(self.shape, u)) * self.scale


def build(spec) -> Distribution:
    """Turn a validated scenario distribution spec into a sampler."""
    kind = spec.dist
    if kind == "fixed":
        return Fixed(spec.value)
    if kind == "exponential":
        return Exponential(spec.mean)
    if kind == "uniform":
        return Uniform(spec.low, spec.high)
    if kind == "lognormal":
        return Lognormal(spec.mean, spec.sd)
    if kind == "gamma":
        return Gamma(spec.mean, spec.sd)
    raise ValueError(f"unknown distribution {kind!r}")
