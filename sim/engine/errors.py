"""The engine's own error, in a module of plain Python: the engine's other modules hold
only its data and behaviour, with annotations that match what runs."""
from __future__ import annotations


class ConservationError(RuntimeError):
    """A contact ended with no outcome, or with two: a bug in the engine, never in input."""
