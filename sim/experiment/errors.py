"""Errors a sweep reports to the user (kept free of heavy imports for the CLI)."""


class SweepError(Exception):
    """A sweep cannot start or continue for a reason the user can fix."""


class SweepInterrupted(SweepError):
    """The user stopped a sweep; what finished is saved and ``--resume`` completes it."""
