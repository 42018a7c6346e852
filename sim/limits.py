"""Limits on what the command line and the input files accept, each with its reason.

Kept in one light module so the command line and the file schemas agree without the
command line importing the heavy experiment machinery.
"""
from __future__ import annotations

#: Seeds are stored as 64-bit signed integers (Parquet, JSON readers in other tools), so
#: the largest is 2^63 - 1; the command line and experiment files accept the same range.
MAX_SEED = 2**63 - 1
