"""Reduction of a candidate pool to sufficient statistics.

The in-memory engine reduces NumPy arrays; every metric is computed from the
resulting :class:`SufficientStats`, which add up across chunks.
"""

from biasaudit.engine._numpy import DEFAULT_BINS, cell_index, reduce_arrays
from biasaudit.engine._ranksum import CellScores, mann_whitney_u
from biasaudit.engine._stats import OUTCOME_AXES, SufficientStats

__all__ = [
    "DEFAULT_BINS",
    "OUTCOME_AXES",
    "CellScores",
    "SufficientStats",
    "cell_index",
    "mann_whitney_u",
    "reduce_arrays",
]
