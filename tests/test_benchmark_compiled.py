"""The compiled-engine benchmark: what it compiles exists, and without mypyc it says what
it needs (exit 2) instead of failing with a traceback."""
from __future__ import annotations

import importlib
import sys

import pytest

from tests.conftest import REPO


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "experiments"))
    return importlib.import_module("benchmark_compiled")


def test_every_compiled_module_exists_and_crosses_no_process(bench):
    for module in bench.COMPILED:
        assert (REPO / module).is_file(), module
    # objects of these are pickled for -j workers: they stay plain Python
    for kept in ("calendar.py", "model.py", "distributions.py"):
        assert not any(m.endswith(kept) for m in bench.COMPILED)


def test_without_mypyc_it_says_what_it_needs(bench, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mypyc", None)  # import mypyc raises ImportError
    assert bench.main(["--quick"]) == 2
    err = capsys.readouterr().err
    assert "pip install mypy" in err and "C compiler" in err
