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


def test_it_compiles_what_the_compiled_install_compiles(bench):
    from tests.test_compiled_install import HOOK

    assert bench.COMPILED == tuple(p.lstrip("/") for p in HOOK["include"])


def test_without_mypyc_it_says_what_it_needs(bench, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mypyc", None)  # import mypyc raises ImportError
    assert bench.main(["--quick"]) == 2
    err = capsys.readouterr().err
    assert "pip install mypy" in err and "C compiler" in err
