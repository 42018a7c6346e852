"""Errors a sweep reports to the user, and warnings of a run (kept free of heavy imports
for the CLI)."""


class SweepError(Exception):
    """A sweep cannot start or continue for a reason the user can fix."""


class SweepInterrupted(SweepError):
    """The user stopped a sweep; what finished is saved and ``--resume`` completes it."""


class WorkerLost(RuntimeWarning):
    """A worker process ended before its runs were done (killed, or out of memory): its
    runs, and the rest, are simulated in the main process, with the same results."""
