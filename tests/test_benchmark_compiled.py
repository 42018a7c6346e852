"""The compiled-engine benchmark: what it compiles exists, and without mypyc it says what
it needs (exit 2) instead of failing with a traceback."""
from __future__ import annotations

import sys


def test_it_compiles_what_the_compiled_install_compiles(benchmark_compiled):
    hook = benchmark_compiled.hook_config()
    assert benchmark_compiled.COMPILED == tuple(p.lstrip("/") for p in hook["include"])


def test_without_mypyc_it_says_what_it_needs(benchmark_compiled, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mypyc", None)  # import mypyc raises ImportError
    assert benchmark_compiled.main(["--quick"]) == 2
    err = capsys.readouterr().err
    assert "pip install mypy" in err and "C compiler" in err
