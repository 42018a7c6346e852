"""Experiments: replications of one scenario, and sweeps over many.

* :mod:`~sim.experiment.replications`: R days of one scenario (common random numbers).
* :mod:`~sim.experiment.design`: experiment files and their designs (grid, list, LHS).
* :mod:`~sim.experiment.store`: a sweep's results directory (lock, manifest, parts).
* :mod:`~sim.experiment.backends`: where tasks run (in process, loky, Dask).
* :mod:`~sim.experiment.stats`: streaming means, CIs and paired differences.
* :mod:`~sim.experiment.sweep`: the sweep itself, with resume and sequential stopping.
"""
from __future__ import annotations

from sim._lazy import lazy_exports

_EXPORTS = {
    "ReplicationResults": "sim.experiment.replications",
    "metrics_block": "sim.experiment.replications",
    "run_replications": "sim.experiment.replications",
    "SweepError": "sim.experiment.errors",
    "SweepInterrupted": "sim.experiment.errors",
}
__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
