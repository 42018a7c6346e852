"""Limits on what the command line and the input files accept, each with its reason.

Kept in one light module so the command line and the file schemas agree without the
command line importing the heavy experiment machinery.
"""
from __future__ import annotations

#: Seeds are stored as 64-bit signed integers (Parquet, JSON readers in other tools), so
#: the largest is 2^63 - 1; the command line and experiment files accept the same range.
MAX_SEED = 2**63 - 1

#: Weeks a run may measure, and weeks of warm-up, at most: ten years. Runs keep their
#: memory flat over weeks, so the limit only catches typos (--weeks 5200 for 520): a
#: year of the largest case takes about 2 s, so ten years about 20 s a run.
MAX_WEEKS = 520

#: The longest list a scenario may have (``population.list_size``), and so the largest a
#: capacity search may try: far above any practice's (the bundled ones list up to about
#: 11,000 patients), so that only a typo's extra zeros meet it.
MAX_LIST_SIZE = 1_000_000

#: The longest list a capacity search tries unless told (``find_capacity``'s
#: ``max_list_size``; the command line's searches have no option for it), and so the
#: coarsest resolution they take.
DEFAULT_MAX_LIST_SIZE = 200_000

#: Runs a capacity search gives a list size at most, unless told or starting with more
#: (``clinicsim capacity --max-replications`` and ``find_capacity``'s ``max_replications``).
DEFAULT_MAX_SEARCH_RUNS = 40

#: Design points an experiment may have unless the user raises the limit (--max-points).
#: Every point is validated and held as a scenario before anything runs: about 160 kB
#: and 3 ms each, so 10,000 points already take some 1.6 GB and half a minute, and a grid
#: of 910,000 points would exhaust memory before the first task. Larger questions are
#: better asked with a Latin hypercube (design kind lhs) or in several sweeps.
MAX_DESIGN_POINTS = 10_000

#: The shortest booked slot a scenario may set, in minutes. The appointment book lays out
#: every slot of every person's day over the booking horizon before the run: a slot of
#: 0.0001 minutes (a typo) made millions of slots a person a day and took 6 GB for one week
#: of the default practice. The bundled practices book 10 to 90 minutes; a minute is far
#: below any real appointment.
MIN_SLOT_MIN = 1.0
