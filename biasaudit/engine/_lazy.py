"""Polars LazyFrames: collected with only the columns an audit reads.

A LazyFrame is collected into memory and reduced by the in-memory engine (one
``np.bincount`` pass per statistic, faster than a polars ``group_by`` over the
same keys; see benchmarks/README.md, "Engines"). Selecting the role columns
first lets polars push the projection into the plan: a ``scan_parquet`` or
``scan_csv`` reads no other column and nothing else is materialised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["collect_lazy", "is_polars_lazy"]


def is_polars_lazy(data: Any) -> bool:
    """Whether ``data`` is a polars LazyFrame.

    Examples
    --------
    >>> import polars as pl
    >>> is_polars_lazy(pl.LazyFrame({"a": [1]})), is_polars_lazy(pl.DataFrame({"a": [1]}))
    (True, False)
    """
    return type(data).__module__.startswith("polars") and type(data).__name__ == "LazyFrame"


def collect_lazy(lazy: Any, columns: Sequence[str | None]) -> Any:
    """Collect ``lazy`` with only ``columns`` (None entries ignored, order kept).

    When a column is missing, an empty frame with every column of the schema is
    returned (nothing computed), so that the pool reports the missing column with
    the list of every column present.

    Examples
    --------
    >>> import polars as pl
    >>> lazy = pl.LazyFrame({"sex": ["F", "M"], "hired": [1, 0], "resume": ["...", "..."]})
    >>> collect_lazy(lazy, ["sex", None, "hired"]).columns
    ['sex', 'hired']
    """
    wanted = [c for c in dict.fromkeys(columns) if c is not None]
    collect_schema = getattr(lazy, "collect_schema", None)  # polars >= 1.0
    schema = collect_schema() if collect_schema is not None else lazy.schema
    if not wanted or any(c not in schema for c in wanted):
        import polars as pl

        return pl.DataFrame(schema=schema)
    return lazy.select(wanted).collect()
