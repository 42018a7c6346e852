"""Results are locked: each bundled back-test must reproduce its stored table exactly.

Regenerate with ``python -m tests.backtests`` when a change is meant to alter results,
and commit the stored files with it (see tests/backtests.py)."""
from __future__ import annotations

import difflib

import pytest

from tests.backtests import CASES, current_text, expected_path


@pytest.mark.parametrize("name", sorted(CASES))
def test_results_match_the_stored_back_test(name):
    expected = expected_path(name).read_text(encoding="utf-8")
    found = current_text(name)
    if found != expected:
        diff = "".join(list(difflib.unified_diff(
            expected.splitlines(keepends=True), found.splitlines(keepends=True),
            "stored", "now", n=0))[:40])
        pytest.fail(f"results of {name} changed (python -m tests.backtests to regenerate "
                    f"if this is intended):\n{diff}")
