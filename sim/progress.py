"""Progress bars for long commands, on stderr, without threading a callback everywhere.

A command opens :func:`progress_bar`; the loops that run the simulation call :func:`tick`
after each run (a context variable finds the open bar, or does nothing). The bar shows
only on a terminal (or when asked), never on stdout, so ``--json`` output and pipes stay
clean, and it appears only once a command has run for :data:`SHOW_AFTER_S` seconds, so
quick commands print nothing extra.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

#: Seconds before a bar appears: commands quicker than this show none (the issue asks for
#: progress on anything that runs "longer than about two seconds").
SHOW_AFTER_S = 2.0

_tick: ContextVar[Callable[[int], object] | None] = ContextVar("clinicsim_tick", default=None)


def tick(n: int = 1) -> None:
    """Count ``n`` units of work done on the open progress bar, if any."""
    update = _tick.get()
    if update is not None:
        update(n)


def wanted(flag: bool = False) -> bool:
    """Whether to show a bar: asked for, or stderr is a terminal."""
    if flag:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_bar(total: int | None, desc: str, unit: str = "run",
                 enabled: bool = True) -> Iterator[Callable[[int], object] | None]:
    """A bar on stderr counting ``unit``s towards ``total`` (with time left when the total
    is known); :func:`tick` inside the block advances it. Nested bars silence the outer
    one's ticks, so each loop counts its own unit."""
    if not enabled:
        token = _tick.set(None)
        try:
            yield None
        finally:
            _tick.reset(token)
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc[:40], unit=unit, file=sys.stderr, delay=SHOW_AFTER_S,
              dynamic_ncols=True, leave=False) as bar:
        token = _tick.set(bar.update)
        try:
            yield bar.update
        finally:
            _tick.reset(token)


__all__ = ["SHOW_AFTER_S", "progress_bar", "tick", "wanted"]
