"""Ranking audits over DuckDB, Parquet lakes, Dask and polars LazyFrames.

Ranking metrics (exposure, NDKL, rND, FA*IR, ...) read every job's whole
ordered list, so they do not reduce to small mergeable statistics the way
selection rates do. The engines therefore do the heavy, data-sized work where
the data lives (read only the role columns, order each job's rows) and hand
:func:`biasaudit.rank_audit` one compact Arrow table: attributes and jobs
dictionary-encoded, scores as float64, rows sorted by (job, score descending,
tie-break). Memory on the caller's side is that table plus rank_audit's own
arrays: about 30 bytes per row for two attributes, a job, a score and a label,
and roughly three times that at the peak of rank_audit (see the README).

Ties are broken as in memory, by pool order, wherever a pool order exists:
Parquet files in name order then row order within each file, and Dask
partitions in order. A DuckDB relation has no row order: ties are broken by
``id`` when given and are otherwise unspecified (rank_audit reports the number
of jobs with ties at each cut-off either way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from biasaudit import _errors as E
from biasaudit.engine._dask import is_dask
from biasaudit.engine._duckdb import DuckDBSource, _q, column_type, is_lake_path, is_relation
from biasaudit.engine._lazy import collect_lazy, is_polars_lazy

__all__ = ["is_engine_input", "ranking_input"]

_BATCH_ROWS = 1 << 20


def is_engine_input(data: Any) -> bool:
    """Whether ``data`` is audited by an engine (DuckDB, a Parquet lake, Dask, a LazyFrame).

    Examples
    --------
    >>> import pandas as pd
    >>> is_engine_input("lake/*.parquet"), is_engine_input(pd.DataFrame({"a": [1]}))
    (True, False)
    """
    return is_lake_path(data) or is_relation(data) or is_dask(data) or is_polars_lazy(data)


def _roles(
    attributes: Sequence[str] | str,
    job: str | None,
    score: str | None,
    rank: str | None,
    label: str | None,
) -> tuple[list[str], list[str]]:
    attrs = E.attribute_list(attributes)
    columns = [c for c in dict.fromkeys([*attrs, job, score, rank, label]) if c is not None]
    return attrs, columns


def _encode(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """Dictionary-encode text columns (a few bytes per row instead of a string each)."""
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            column = pc.dictionary_encode(column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _combine(tables: list[pa.Table]) -> pa.Table:
    if not tables:
        return pa.table({})
    table = pa.concat_tables(tables, promote_options="permissive")
    return table.unify_dictionaries().combine_chunks()


def _from_duckdb(
    data: Any, attrs: list[str], columns: list[str], roles: dict[str, Any], id: str | None
) -> pa.Table:
    source = DuckDBSource.from_data(data, row_order=True)
    relation, has_order = source.relation, bool(source.files)
    present = [c for c in relation.columns if not has_order or c not in _ORDER_COLUMNS]
    E.check_columns(present, attrs, {**roles, "id": id})
    order: list[str] = []
    if roles["job"] is not None:
        order.append(_q(roles["job"]))
    if roles["score"] is not None:
        order.append(f"{_q(roles['score'])} DESC")
        if has_order:
            order += ['"filename"', '"file_row_number"']
        elif id is not None:
            order.append(_q(id))
    select = ", ".join(
        f"CAST({_q(c)} AS DOUBLE) AS {_q(c)}"
        if column_type(relation, c).startswith("DECIMAL")
        else _q(c)
        for c in columns
    )
    sql = f"SELECT {select} FROM src" + (f" ORDER BY {', '.join(order)}" if order else "")
    result = relation.query("src", sql)
    stream = getattr(result, "to_arrow_reader", None) or result.fetch_record_batch
    return _combine([_encode(batch) for batch in stream(_BATCH_ROWS)])


_ORDER_COLUMNS = ("filename", "file_row_number")


def _part_table(part: Any, schema: pa.Schema) -> pa.Table:
    """One partition as Arrow, with the frame's schema (an all-null partition keeps its types)."""
    return _encode(pa.Table.from_pandas(part[schema.names], schema=schema, preserve_index=False))


def _from_dask(data: Any, attrs: list[str], columns: list[str], roles: dict[str, Any]) -> pa.Table:
    import dask

    E.check_columns(list(data.columns), attrs, roles)
    schema = pa.Schema.from_pandas(data._meta[columns], preserve_index=False)
    parts = data[columns].to_delayed()
    return _combine(list(dask.compute(*[dask.delayed(_part_table)(p, schema) for p in parts])))


def ranking_input(
    data: Any,
    *,
    attributes: Sequence[str] | str,
    job: str | None = None,
    score: str | None = None,
    rank: str | None = None,
    label: str | None = None,
    id: str | None = None,
) -> Any:
    """What :func:`biasaudit.rank_audit` reads, from any engine's data.

    A DuckDB relation, a Parquet folder or glob, a Dask DataFrame or a polars
    LazyFrame becomes a pyarrow Table with only the role columns (text
    dictionary-encoded), its rows ordered by job, then score descending, then
    the engine's tie-break; the ordering and the column projection run in
    DuckDB (with spilling to disk) or on the Dask workers. Any other input is
    returned unchanged.

    Parameters
    ----------
    data : DuckDB relation, str, Path, Dask DataFrame, polars LazyFrame or table
        The candidates, one row per (job, candidate).
    attributes : sequence of str
        Protected-attribute columns.
    job : str, optional
        Job column (one ranking per job).
    score : str, optional
        Score column (higher is better); the rows are ordered by it.
    rank : str, optional
        Rank column (1 is best), passed through as it is.
    label : str, optional
        Relevance / qualification column.
    id : str, optional
        Tie-break for a DuckDB relation, which has no row order of its own.

    Returns
    -------
    pyarrow.Table or the input

    Examples
    --------
    >>> import duckdb
    >>> rel = duckdb.sql("SELECT * FROM (VALUES ('a', 'F', 0.2), ('a', 'M', 0.9), "
    ...                  "('b', 'F', 0.7)) t(job, sex, score)")
    >>> table = ranking_input(rel, attributes=["sex"], job="job", score="score")
    >>> table.column("score").to_pylist(), table.column("sex").type
    ([0.9, 0.2, 0.7], DictionaryType(dictionary<values=string, indices=int32, ordered=0>))
    """
    attrs, columns = _roles(attributes, job, score, rank, label)
    roles = {"job": job, "score": score, "rank": rank, "label": label}
    if is_polars_lazy(data):
        return collect_lazy(data, columns)
    if is_dask(data):
        return _from_dask(data, attrs, columns, roles)
    if is_engine_input(data):
        return _from_duckdb(data, attrs, columns, roles, id)
    return data
