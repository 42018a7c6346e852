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
from functools import lru_cache
from typing import Callable, Iterator

#: Seconds before a bar appears: commands quicker than this show none (progress is shown
#: for anything that runs longer than about two seconds).
SHOW_AFTER_S = 2.0

_tick: ContextVar[Callable[[int], object] | None] = ContextVar("clinicsim_tick", default=None)
_expect: ContextVar[Callable[[int], object] | None] = ContextVar("clinicsim_expect",
                                                                 default=None)


def tick(n: int = 1) -> None:
    """Count ``n`` units of work done on the open progress bar, if any."""
    update = _tick.get()
    if update is not None:
        update(n)


def expect(total: int) -> None:
    """Set the open bar's total to a new estimate (a search that learns how much is left as
    it goes), so that its time left follows; does nothing without a bar."""
    update = _expect.get()
    if update is not None:
        update(total)


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
        token, expecting = _tick.set(None), _expect.set(None)
        try:
            yield None
        finally:
            _tick.reset(token)
            _expect.reset(expecting)
        return
    with _bar_class()(total=total, desc=desc[:40], unit=unit, file=sys.stderr,
                      delay=SHOW_AFTER_S, dynamic_ncols=True, leave=False,
                      miniters=1) as bar:  # every tick may redraw (at most 10 a second)
        def retotal(n: int) -> None:
            bar.total = max(n, bar.n)
            bar.refresh()

        token, expecting = _tick.set(bar.update), _expect.set(retotal)
        try:
            yield bar.update
        finally:
            _tick.reset(token)
            _expect.reset(expecting)


@lru_cache(maxsize=None)
def _bar_class() -> type:
    """tqdm without its monitor thread, which redraws a bar that skips redraws between
    slow updates (ours redraw at any tick: ``miniters=1``). A second thread would make
    ``-j N`` start fresh workers instead of forking them (see
    :func:`sim.experiment.replications.forks_safely`). A subclass, so that other bars in
    the same process (a notebook's own) keep theirs."""
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0

    return Bar


def counting_bar(**options) -> object:
    """A tqdm bar a loop keeps itself (a sweep counting its tasks), with ``options`` as
    tqdm's, without tqdm's monitor thread: tqdm starts that thread as a bar is made, even
    a disabled one, and a sweep's workers were then never forked (each took 0.75 s of a
    core to start, and printed a traceback on a Ctrl-C meanwhile)."""
    return _bar_class()(**options)


__all__ = ["SHOW_AFTER_S", "counting_bar", "expect", "progress_bar", "tick", "wanted"]
