"""Reduction of a candidate pool to sufficient statistics; :func:`reduce` picks the engine.

The in-memory engine reduces NumPy arrays; every metric is computed from the
resulting :class:`SufficientStats`, which add up across chunks. DuckDB
(relations, Parquet lakes) and Dask reduce where the data lives;
:func:`ranking_input` gives :func:`biasaudit.rank_audit` the ordered
role columns of any engine's data.
"""

from biasaudit.engine._numpy import DEFAULT_BINS, cell_index, reduce_arrays
from biasaudit.engine._ranking import ranking_input
from biasaudit.engine._ranksum import CellScores, mann_whitney_u
from biasaudit.engine._reduce import ReduceRequest, Reduction, check_dask_rule, pool_source, reduce
from biasaudit.engine._stats import OUTCOME_AXES, SufficientStats

__all__ = [
    "DEFAULT_BINS",
    "OUTCOME_AXES",
    "CellScores",
    "ReduceRequest",
    "Reduction",
    "SufficientStats",
    "cell_index",
    "check_dask_rule",
    "mann_whitney_u",
    "pool_source",
    "ranking_input",
    "reduce",
    "reduce_arrays",
]
