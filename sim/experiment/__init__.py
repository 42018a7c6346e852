"""Experiments: replications of one scenario, and sweeps over many.

* :mod:`~sim.experiment.replications`: R days of one scenario (common random numbers).
* :mod:`~sim.experiment.design`: experiment files and their designs (grid, list, LHS).
* :mod:`~sim.experiment.store`: a sweep's results directory (lock, manifest, parts).
* :mod:`~sim.experiment.backends`: where tasks run (in process, loky, Dask).
* :mod:`~sim.experiment.stats`: streaming means, CIs and paired differences.
* :mod:`~sim.experiment.sweep`: the sweep itself, with resume and sequential stopping.
"""
from sim.experiment.replications import ReplicationResults, metrics_block, run_replications

__all__ = ["ReplicationResults", "metrics_block", "run_replications"]
