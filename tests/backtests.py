"""Back-tests: stored expected results for fixed scenarios and seeds.

The stored files under ``tests/data/backtests/`` hold the tidy per-run metrics of the
bundled default practice and three cases, exactly as ``run_replications`` returns them,
with every float written by ``repr`` (its shortest exact form). ``test_backtests.py``
recomputes them and compares the text, so any change of results, however small, fails
the test and shows as a diff of the stored file when they are regenerated with::

    python -m tests.backtests

A change that should not alter results must leave these files byte-identical; one that
should alter them regenerates them in the same commit, so the diff is reviewed.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from sim import load_scenario, run_replications

DIRECTORY = Path(__file__).resolve().parent / "data" / "backtests"
SEED = 20261201
#: (scenario, runs): the default practice and three cases of different form, size and
#: delegation (the largest, a shared practice, a large partnership clinic).
CASES: dict[str, int] = {"default": 2, "case03": 1, "case08": 2, "case13": 1}
#: Each run: one week of warm-up, then two measured weeks (short, so the test stays fast,
#: long enough that bookings, follow-ups and redials carry from day to day).
WEEKS, WARMUP_WEEKS = 2, 1


def expected_path(name: str) -> Path:
    return DIRECTORY / f"{name}.csv"


def current_text(name: str) -> str:
    """The back-test table of ``name`` as computed by this checkout."""
    results = run_replications(load_scenario(name), replications=CASES[name], seed=SEED,
                               weeks=WEEKS, warmup_weeks=WARMUP_WEEKS)
    table = results.metrics.copy()
    for column in table.columns:
        if table[column].dtype.kind == "f":
            table[column] = [repr(float(v)) for v in table[column]]
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv else None) or list(CASES)
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = expected_path(name)
        text = current_text(name)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        path.write_text(text, encoding="utf-8")
        print(f"{path}: {'unchanged' if old == text else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
