"""The DuckDB engine: the reduction runs as SQL where the data lives.

A DuckDB relation, a DuckDB table or a folder / glob of Parquet files is reduced
to :class:`SufficientStats` by a handful of ``GROUP BY`` queries; only the
grouped counts (cells x jobs x 8 outcomes, and the histograms) come into Python,
so datasets larger than memory are audited with bounded memory.
"""

from __future__ import annotations

import glob as _glob
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from biasaudit import _errors as E
from biasaudit.engine._inputs import (
    BINARY_ROLES,
    MAX_SHOWN,
    ROW_NUMBERS,
    refuse_blank_ids,
    refuse_cells,
)
from biasaudit.engine._numpy import DEFAULT_BINS
from biasaudit.engine._stats import SufficientStats
from biasaudit.pool import UNKNOWN, _sorted_labels, combinations_for

__all__ = ["DuckDBSource", "is_lake_path", "reduce_duckdb"]

_MAX_SHOWN = MAX_SHOWN
_IN_FILE = "a file's row 1 is its first row"


def _require_duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - exercised without the extra
        raise ImportError(E.MISSING_DUCKDB) from exc
    return duckdb


def is_relation(data: Any) -> bool:
    """Whether ``data`` is a DuckDB relation (its class lives in ``_duckdb`` on DuckDB 1.x
    and in ``duckdb._relation`` on 2.x, so the module name alone does not tell).

    Examples
    --------
    >>> import duckdb
    >>> is_relation(duckdb.sql("SELECT 1 AS a")), is_relation("lake/*.parquet")
    (True, False)
    """
    kind = type(data)
    return "duckdb" in kind.__module__.lower() and kind.__name__ == "DuckDBPyRelation"


def is_lake_path(data: Any) -> bool:
    """Whether ``data`` names a folder or a glob of Parquet files (DuckDB engine).

    Examples
    --------
    >>> is_lake_path("lake/*.parquet"), is_lake_path("pool.csv")
    (True, False)
    """
    if not isinstance(data, (str, Path)):
        return False
    text = str(data)
    return any(c in text for c in "*?[") or Path(text).is_dir()


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _lit(value: float) -> str:
    """An exact SQL double literal."""
    return f"CAST({float(value)!r} AS DOUBLE)"


@dataclass
class DuckDBSource:
    """A relation to audit and what the provenance says about it."""

    relation: Any
    source: str
    files: list[str]

    @classmethod
    def from_data(cls, data: Any, row_order: bool = False) -> DuckDBSource:
        """Open a relation, a folder of Parquet files or a glob.

        With ``row_order``, files also carry the columns ``filename`` and
        ``file_row_number``: the pool order (files by name, rows within each) for
        breaking ties the way the in-memory engine does.
        """
        duckdb = _require_duckdb()
        if isinstance(data, duckdb.DuckDBPyRelation):
            return cls(data, "duckdb relation", [])
        text = str(data)
        folder = Path(text).is_dir()
        pattern = str(Path(text) / "**" / "*.parquet") if folder else text
        files = sorted(_glob.glob(pattern, recursive=True))
        if not files and folder:
            others = sorted(p.name for p in Path(text).rglob("*") if p.is_file())
            seen = f"; it has {len(others)} other file(s), such as {others[0]!r}" if others else ""
            raise E.ValidationError(E.EMPTY_FOLDER.format(path=text, others=seen))
        if not files:
            raise E.ValidationError(E.NO_MATCHING_FILES.format(pattern=text))
        order = {"filename": True, "file_row_number": True} if row_order else {}
        try:
            relation = duckdb.read_parquet(files, **order)
        except duckdb.Error as exc:
            raise _unreadable(text, files, exc) from exc
        return cls(relation, text, files)

    def unreadable(self, exc: Exception) -> E.ValidationError:
        """The refusal of a query that failed: the lake's bad file named, when it is one."""
        if self.files:
            return _unreadable(self.source, self.files, exc)
        return E.ValidationError(E.SQL_FAILED.format(database=self.source, error=_first_line(exc)))

    def locate(self, column: str, where: str) -> tuple[list[tuple[str, Any]], str]:
        """The first rows where ``where`` holds, as (``file row N`` or ``row N``, value),
        and how those rows count."""
        if self.files:
            duckdb = _require_duckdb()
            located = duckdb.read_parquet(self.files, filename=True, file_row_number=True)
            rows = located.query(
                "src",
                f"SELECT filename, file_row_number + 1, {_q(column)} FROM src WHERE {where} "
                f"ORDER BY filename, file_row_number LIMIT {_MAX_SHOWN}",
            ).fetchall()
            return [(f"{f} row {n}", v) for f, n, v in rows], _IN_FILE
        rows = self.relation.query(
            "src",
            f"SELECT rn, {_q(column)} FROM (SELECT *, row_number() OVER () AS rn FROM src) "
            f"WHERE {where} ORDER BY rn LIMIT {_MAX_SHOWN}",
        ).fetchall()
        return [(f"row {n}", v) for n, v in rows], ROW_NUMBERS

    def sha256(self, stats: SufficientStats) -> tuple[str, str]:
        """SHA-256 of the files' bytes (in name order), else of the statistics."""
        digest = hashlib.sha256()
        if self.files:
            for name in self.files:
                with open(name, "rb") as handle:
                    while block := handle.read(1 << 22):
                        digest.update(block)
            return digest.hexdigest(), "file bytes"
        digest.update(repr((stats.attributes, stats.categories, stats.jobs)).encode())
        digest.update(np.ascontiguousarray(stats.cube).tobytes())
        return digest.hexdigest(), "sufficient statistics (DuckDB relation)"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


def _unreadable(path: str, files: list[str], exc: Exception) -> E.ValidationError:
    """Name the file of a lake that cannot be read: the first whose footer does not
    parse, else the one DuckDB's message names, else DuckDB's message alone."""
    for name in files:
        try:
            pq.read_metadata(name)
        except Exception as probe:  # any failure to parse the footer names the file
            error = _first_line(probe)
            return E.ValidationError(
                E.BAD_LAKE_FILE.format(file=name, count=len(files), path=path, error=error)
            )
    differs = _schema_mismatch(files)
    if differs:
        name, error = differs
        return E.ValidationError(
            E.BAD_LAKE_FILE.format(file=name, count=len(files), path=path, error=error)
        )
    named = [name for name in files if name in str(exc)]
    error = _first_line(exc)
    if named:
        return E.ValidationError(
            E.BAD_LAKE_FILE.format(file=named[0], count=len(files), path=path, error=error)
        )
    return E.ValidationError(E.SQL_FAILED.format(database=path, error=error))


def _in_words(kind: pa.DataType) -> str:
    """An Arrow type as a reader says it: text, numbers, true/false, else its name."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return f"numbers ({kind})"
    return "true/false" if pa.types.is_boolean(kind) else str(kind)


def _schema_mismatch(files: list[str]) -> tuple[str, str] | None:
    """The first file whose column types differ from the first file's, and how."""
    first = pq.read_schema(files[0])
    for name in files[1:]:
        schema = pq.read_schema(name)
        for field in schema:
            index = first.get_field_index(field.name)
            if index >= 0 and first.field(index).type != field.type:
                error = (
                    f"its column {field.name!r} holds {_in_words(field.type)}, but "
                    f"{_in_words(first.field(index).type)} in {files[0]!r}"
                )
                return name, error
    return None


class _Query:
    """Runs SQL against one relation, named ``src`` inside the query.

    A query that fails (a corrupt file of a lake) is refused with the source's
    message (:meth:`DuckDBSource.unreadable`).
    """

    def __init__(self, source: DuckDBSource) -> None:
        self.source = source
        self.relation = source.relation

    def _fetch(self, sql: str, how: str) -> Any:
        duckdb = _require_duckdb()
        try:
            return getattr(self.relation.query("src", sql), how)()
        except duckdb.Error as exc:
            raise self.source.unreadable(exc) from exc

    def rows(self, sql: str) -> list[tuple]:
        return self._fetch(sql, "fetchall")

    def values(self, sql: str) -> np.ndarray:
        """The first column of the result as a NumPy array (no Python objects per row)."""
        result = self._fetch(sql, "fetchnumpy")
        return np.asarray(next(iter(result.values())), dtype=np.float64)


def _where(q: _Query, where: str, id_column: str | None) -> str:
    """The first rows where ``where`` holds: their ids, else their row numbers from 1."""
    ident = _q(id_column) if id_column else "rn"
    rows = q.rows(
        f"SELECT {ident} FROM (SELECT *, row_number() OVER () AS rn FROM src) "
        f"WHERE {where} ORDER BY rn LIMIT {_MAX_SHOWN}"
    )
    return E.first_rows([r[0] for r in rows], by_id=id_column is not None)


def column_type(relation: Any, column: str) -> str:
    """The DuckDB type of ``column``, upper case (e.g. ``"DECIMAL(10,2)"``, ``"VARCHAR"``)."""
    return str(dict(zip(relation.columns, relation.types))[column]).upper()


def _blank(column: str) -> str:
    """SQL: the value is missing, or text that is empty or only spaces."""
    return f"({_q(column)} IS NULL OR trim(CAST({_q(column)} AS VARCHAR)) = '')"


def _validate_plain(relation: Any, attributes: Sequence[str], roles: dict[str, Any]) -> None:
    """Refuse an attribute, job or id column of lists, records or maps."""
    grouping = [(a, "attributes") for a in attributes]
    grouping += [(roles[r], r) for r in ("job", "id") if roles.get(r)]
    for column, role in grouping:
        kind = column_type(relation, column)
        if kind.endswith("]") or kind.startswith(("STRUCT", "MAP", "UNION")):
            name = "list" if kind.endswith("]") else kind.split("(")[0].lower()
            raise E.ValidationError(
                E.NESTED_COLUMN.format(column=column, role=role, kind=f"{name} ({kind})")
            )


def _refuse_text_cells(q: _Query, column: str, role: str, n_rows: int) -> None:
    """Name the cells of a text column that are not numbers (or not 0/1)."""
    number = f"TRY_CAST({_q(column)} AS DOUBLE)"
    fits = f"{number} IN (0, 1)" if role in BINARY_ROLES else f"isfinite({number})"
    bad = f"({number} IS NULL OR NOT ({fits}))"
    count = q.rows(f"SELECT count(*) FROM src WHERE {bad}")[0][0]
    if count:
        located, where = q.source.locate(column, bad)
        cells = [f"{at}: {'(blank)' if v is None else repr(v)}" for at, v in located]
        refuse_cells(column, role, count, cells, rows=n_rows, where=where)


def _validate_numeric(q: _Query, relation: Any, column: str, role: str, ids: str | None) -> None:
    kind = column_type(relation, column)
    numeric = any(t in kind for t in (*_NUMERIC_TYPES, "BOOL"))
    if not numeric:
        _refuse_text_cells(q, column, role, q.rows("SELECT count(*) FROM src")[0][0])
        examples = [r[0] for r in q.rows(f"SELECT {_q(column)} FROM src LIMIT 3")]
        raise E.ValidationError(
            E.NON_NUMERIC_SCORE.format(column=column, dtype=kind.lower(), examples=examples)
        )
    bad = f"({_q(column)} IS NULL OR NOT isfinite(CAST({_q(column)} AS DOUBLE)))"
    count = q.rows(f"SELECT count(*) FROM src WHERE {bad}")[0][0]
    if count:
        raise E.ValidationError(
            E.NON_FINITE_SCORE.format(column=column, count=count, where=_where(q, bad, ids))
        )


_NUMERIC_TYPES = ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL")


def _validate_binary(q: _Query, relation: Any, column: str, role: str, ids: str | None) -> None:
    """0/1 numbers or booleans, as the in-memory engine accepts; never the text 'true'."""
    col = _q(column)
    kind = column_type(relation, column)
    text = kind != "BOOLEAN" and not any(t in kind for t in _NUMERIC_TYPES)
    if text:  # a few stray cells among 0/1 text are named, as in memory
        _refuse_text_cells(q, column, role, q.rows("SELECT count(*) FROM src")[0][0])
    nulls = q.rows(f"SELECT count(*) FROM src WHERE {col} IS NULL")[0][0]
    if nulls:
        raise E.ValidationError(
            E.MISSING_BINARY.format(
                column=column, role=role, count=nulls, where=_where(q, f"{col} IS NULL", ids)
            )
        )
    if kind == "BOOLEAN":
        return
    where = "" if text else f"WHERE CAST({col} AS DOUBLE) NOT IN (0, 1)"
    values = q.rows(f"SELECT DISTINCT {col} FROM src {where} LIMIT 50")
    if values:
        shown = [v[0] if where else str(v[0]) for v in values]
        offending = _sorted_labels(shown)[:_MAX_SHOWN]
        raise E.ValidationError(E.NOT_BINARY.format(column=column, role=role, values=offending))


def _validate_ids(q: _Query, column: str) -> None:
    blank = q.rows(f"SELECT count(*) FROM src WHERE {_blank(column)}")[0][0]
    if blank:
        located, where = q.source.locate(column, _blank(column))
        refuse_blank_ids(column, blank, [at.removeprefix("row ") for at, _ in located], where)
    dup = q.rows(
        f"SELECT {_q(column)} FROM src GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT {_MAX_SHOWN}"
    )
    if dup:
        count = q.rows(
            f"SELECT count(*) FROM (SELECT 1 FROM src GROUP BY {_q(column)} HAVING count(*) > 1)"
        )[0][0]
        raise E.ValidationError(
            E.DUPLICATE_IDS.format(column=column, count=count, values=[d[0] for d in dup])
        )


def _validate_jobs(q: _Query, column: str, ids: str | None) -> None:
    """Refuse blank job ids, as the in-memory pool does: each would be a job of its own."""
    count = q.rows(f"SELECT count(*) FROM src WHERE {_blank(column)}")[0][0]
    if count:
        where = _where(q, _blank(column), ids)
        raise E.ValidationError(E.BLANK_JOB_IDS.format(column=column, count=count, where=where))


#: The columns DuckDB adds to a lake read with its row order (DuckDBSource.from_data).
_ROW_ORDER = ("filename", "file_row_number")


def _tie_break(roles: dict[str, Any], q: _Query) -> tuple[str, str]:
    """The ORDER BY tail that breaks ties at a cut-off, and its name in the provenance.

    By id when given, as in memory; else by the files' row order when the source
    is a lake (the pool order the in-memory engine uses); a relation has no row
    order, so its ties are broken arbitrarily and the provenance says so.
    """
    if roles.get("id"):
        return f", {_q(roles['id'])}", "id column"
    if all(c in q.relation.columns for c in _ROW_ORDER):
        return ", " + ", ".join(_ROW_ORDER), "pool order (files by name, rows within each)"
    return "", "unspecified (a DuckDB relation has no row order; give an id column)"


def _decision_sql(
    rule: dict[str, Any], roles: dict[str, Any], q: _Query
) -> tuple[str | None, dict[str, Any]]:
    """SQL expression of the decision (0/1) and the facts recorded about it."""
    kind = rule["rule"]
    if kind == "none":
        return None, {"rule": "none (scoring rate only)"}
    if kind == "given":
        return f"CAST(CAST({_q(roles['selected'])} AS DOUBLE) AS INTEGER)", {
            "rule": "given",
            "column": roles["selected"],
        }
    score = _q(roles["score"])
    if kind == "threshold":
        return f"CAST(CAST({score} AS DOUBLE) >= {_lit(rule['threshold'])} AS INTEGER)", {
            "rule": "threshold",
            "threshold": rule["threshold"],
            "score_column": roles["score"],
        }
    per_job = roles["job"] is not None and (kind == "top_k" or rule.get("per_job"))
    part = f"PARTITION BY {_q(roles['job'])}" if per_job else ""
    tie, tie_break = _tie_break(roles, q)
    order = f"ORDER BY {score} DESC{tie}"
    if kind == "top_k":
        quota = str(int(rule["k"]))
    else:
        quota = f"ceil({_lit(rule['fraction'])} * count(*) OVER ({part}) - 1e-9)"
    facts = {
        "rule": kind,
        **{k: v for k, v in rule.items() if k != "rule"},
        "score_column": roles["score"],
        "tie_break": tie_break,
    }
    return f"CAST(row_number() OVER ({part} {order}) <= {quota} AS INTEGER)", facts


_SELECT_BINS = 4096
_GATHER_LIMIT = 2_000_000


def _median(q: _Query, score: str, n: int, low: float, high: float) -> float:
    """The exact median (mean of the two middle values when ``n`` is even), in bounded memory.

    DuckDB's ``median()`` keeps every value of the column in memory; this finds
    the middle order statistics by histogram narrowing instead: a pass counts
    the values per bin, the bins holding the wanted ranks become the new range,
    and once it holds at most ``_GATHER_LIMIT`` values they are fetched and
    partitioned in NumPy. Usually two passes over the score column.
    """
    ks = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    return float(np.mean(_order_stats(q, score, ks, low, high)))


def _order_stats(q: _Query, score: str, ks: list[int], low: float, high: float) -> list[float]:
    """Consecutive order statistics (0-based ranks ``ks``) of ``score``, by histogram narrowing."""
    below = 0  # values smaller than ``low``
    while True:
        if low == high:  # every value left in range is the same
            return [low for _ in ks]
        inside = f"{score} >= {_lit(low)} AND {score} <= {_lit(high)}"
        offset = f"({score} - {_lit(low)}) * {_lit(_SELECT_BINS / (high - low))}"
        index = f"least(CAST(floor({offset}) AS BIGINT), {_SELECT_BINS - 1})"
        counts = np.zeros(_SELECT_BINS, dtype=np.int64)
        for b, c in q.rows(f"SELECT {index} AS b, count(*) FROM src WHERE {inside} GROUP BY b"):
            counts[int(b)] = c
        cumulative = np.cumsum(counts)
        bins = [int(np.searchsorted(cumulative, k - below, side="right")) for k in ks]
        if bins[0] != bins[-1]:
            # Two consecutive ranks in different bins: the largest value of the first
            # bin and the smallest of the second (the bins between them are empty).
            sql = (
                f"SELECT max({score}) FILTER (WHERE {index} = {bins[0]}), "
                f"min({score}) FILTER (WHERE {index} = {bins[-1]}) FROM src WHERE {inside}"
            )
            return [float(v) for v in q.rows(sql)[0]]
        b = bins[0]
        before = below + (int(cumulative[b - 1]) if b else 0)
        chosen = f"{inside} AND {index} = {b}"
        if counts[b] <= _GATHER_LIMIT:
            values = q.values(f"SELECT {score} FROM src WHERE {chosen}")
            ranks = [k - before for k in ks]
            values = np.partition(values, ranks)
            return [float(values[r]) for r in ranks]
        # Narrow to the bin's own extremes: every value between them is in the bin.
        sql = f"SELECT min({score}), max({score}) FROM src WHERE {chosen}"
        low, high = (float(v) for v in q.rows(sql)[0])
        below = before


def _encode_values(values: list[Any], unknown_values: Sequence[str]) -> tuple[dict, tuple, bool]:
    """Map raw values to codes as the in-memory engine does (sorted, Unknown last)."""
    unknown = {str(u) for u in unknown_values} | {UNKNOWN}
    known = _sorted_labels(
        [v for v in dict.fromkeys(values) if v is not None and str(v) not in unknown]
    )
    code = {v: i for i, v in enumerate(known)}
    has_unknown = any(v is None or str(v) in unknown for v in values)
    mapping = {v: code.get(v, len(known)) for v in set(values)}
    labels = tuple(str(v) for v in known) + ((UNKNOWN,) if has_unknown else ())
    return mapping, labels, has_unknown


def reduce_duckdb(
    source: DuckDBSource,
    *,
    attributes: Sequence[str],
    rule: dict[str, Any],
    roles: dict[str, Any],
    unknown_values: Sequence[str] = ("Unknown", "unknown", "UNKNOWN", ""),
    n_bins: int = DEFAULT_BINS,
    exact_auc: bool = True,
    intersections: Sequence[Sequence[str]] | None = None,
) -> tuple[SufficientStats, dict[str, Any], dict, dict[str, Any]]:
    """Reduce a DuckDB relation to sufficient statistics with SQL.

    Parameters
    ----------
    source : DuckDBSource
        The relation (or Parquet files) to audit.
    attributes : sequence of str
        Protected-attribute columns.
    rule : dict
        ``{"rule": "given" | "threshold" | "top_k" | "top_fraction" | "none", ...}``.
    roles : dict
        Columns for ``selected``, ``score``, ``label``, ``job`` and ``id``.
    unknown_values : sequence of str
        Attribute spellings that mean unknown.
    n_bins : int
        Histogram bins.
    exact_auc : bool
        Compute exact per-group Mann-Whitney statistics with window functions.
    intersections : sequence of sequence of str, optional
        Extra attribute combinations, as in :func:`biasaudit.audit`; exact AUC
        covers them too.

    Returns
    -------
    stats, source_info, exact_auc, decision
    """
    relation, q = source.relation, _Query(source)
    E.check_columns(relation.columns, attributes, roles)
    n_rows = q.rows("SELECT count(*) FROM src")[0][0]
    if n_rows == 0:
        raise E.ValidationError(E.EMPTY_POOL)
    _validate_plain(relation, attributes, roles)
    if roles.get("id"):
        _validate_ids(q, roles["id"])
    if roles.get("job"):
        _validate_jobs(q, roles["job"], roles.get("id"))
    for role in ("score", "rank"):
        if roles.get(role):
            _validate_numeric(q, relation, roles[role], role, roles.get("id"))
    for role in ("selected", "label"):
        if roles.get(role):
            _validate_binary(q, relation, roles[role], role, roles.get("id"))
    decision_sql, decision = _decision_sql(rule, roles, q)
    score = f"CAST({_q(roles['score'])} AS DOUBLE)" if roles.get("score") else None
    median = low = high = None
    if score:
        low, high = q.rows(f"SELECT min({score}), max({score}) FROM src")[0]
        median = _median(q, score, int(n_rows), float(low), float(high))
    stats, info = _grouped(
        q, attributes, roles, decision_sql, score, median, (low, high), unknown_values, n_bins
    )
    if decision.get("rule") in ("top_k", "top_fraction"):
        # the ranked lists: one per job, or the whole pool for a pool-wide top fraction
        pool_wide = decision["rule"] == "top_fraction" and not decision.get("per_job")
        decision["jobs"] = 1 if pool_wide else len(stats.jobs)
    auc = (
        _exact_u(
            q, attributes, roles, score, info, combinations_for(list(attributes), intersections)
        )
        if exact_auc and score and roles.get("label")
        else {}
    )
    sha, sha_of = source.sha256(stats)
    source_info = {
        "source": source.source,
        "sha256": sha,
        "sha256_of": sha_of,
        "roles": {
            "attributes": list(attributes),
            **{k: roles.get(k) for k in ("job", "label", "score", "selected", "rank", "id")},
        },
        "rows": int(n_rows),
        "unknown": info["unknown_counts"],
        "engine": "duckdb",
    }
    return stats, source_info, auc, decision


def _grouped(
    q: _Query,
    attributes: Sequence[str],
    roles: dict,
    decision_sql: str | None,
    score: str | None,
    median: float | None,
    bin_range: tuple,
    unknown_values: Sequence[str],
    n_bins: int,
) -> tuple[SufficientStats, dict]:
    attrs = [f"{_q(a)} AS a{i}" for i, a in enumerate(attributes)]
    job = _q(roles["job"]) if roles.get("job") else "'(all)'"
    label = f"CAST(CAST({_q(roles['label'])} AS DOUBLE) AS INTEGER)" if roles.get("label") else "0"
    above = f"CAST({score} > {_lit(median)} AS INTEGER)" if score and median is not None else "0"
    sel = decision_sql or "0"
    keys = ", ".join(f"a{i}" for i in range(len(attributes)))
    inner = (
        f"SELECT {', '.join(attrs)}, {job} AS j, {sel} AS s, {label} AS l, {above} AS ab, "
        f"{score or '0'} AS x FROM src"
    )
    rows = q.rows(
        f"SELECT {keys}, j, s, l, ab, count(*), sum(x), sum(x * x) FROM ({inner}) GROUP BY ALL"
    )
    k = len(attributes)
    maps, labels, unknown_flags = [], [], []
    for i in range(k):
        mapping, names, has_unknown = _encode_values([r[i] for r in rows], unknown_values)
        maps.append(mapping)
        labels.append(names)
        unknown_flags.append(has_unknown)
    raw_jobs = {r[k] for r in rows}
    jobs = _sorted_labels([j for j in raw_jobs if j is not None]) + (
        [None] if None in raw_jobs else []
    )
    job_code = {j: i for i, j in enumerate(jobs)}
    sizes = [len(names) for names in labels] + [len(jobs)]
    cube = np.zeros((*sizes, 2, 2, 2), dtype=np.int64)
    ssum = np.zeros(sizes)
    ssq = np.zeros(sizes)
    for r in rows:
        cell = (*(maps[i][r[i]] for i in range(k)), job_code[r[k]])
        counts_at = (*cell, int(r[k + 1]), int(r[k + 2]), int(r[k + 3]))
        cube[counts_at] += r[k + 4]
        ssum[cell] += r[k + 5] or 0.0
        ssq[cell] += r[k + 6] or 0.0
    info: dict[str, Any] = {"maps": maps, "labels": labels, "unknown_counts": {}}
    for i, a in enumerate(attributes):
        info["unknown_counts"][a] = (
            int(cube.take(len(labels[i]) - 1, axis=i).sum()) if unknown_flags[i] else 0
        )
    for i, a in enumerate(attributes):
        known = len(labels[i]) - int(unknown_flags[i])
        E.check_known_groups(a, list(labels[i][:known]))
    hist = None
    if score:
        hist = _histograms(q, attributes, roles, score, bin_range, n_bins, maps, sizes[:-1])
    stats = SufficientStats(
        attributes=tuple(attributes),
        categories=tuple(labels),
        has_unknown=tuple(unknown_flags),
        jobs=tuple(UNKNOWN if j is None else str(j) for j in jobs),
        cube=cube,
        score_sum=ssum if score else None,
        score_sq=ssq if score else None,
        hist=hist,
        bin_range=(float(bin_range[0]), float(bin_range[1])) if score else None,
        scoring_threshold=float(median) if score and median is not None else None,
        has_label=bool(roles.get("label")),
        has_selection=decision_sql is not None,
    )
    return stats, info


def _histograms(
    q: _Query,
    attributes: Sequence[str],
    roles: dict,
    score: str,
    bin_range: tuple,
    n_bins: int,
    maps: list[dict],
    sizes: list[int],
) -> np.ndarray:
    low, high = float(bin_range[0]), float(bin_range[1])
    scale = n_bins / ((high - low) or 1.0)
    # Same arithmetic as the in-memory engine: trunc((score - low) * scale), clipped.
    index = f"least(greatest(trunc(({score} - {_lit(low)}) * {_lit(scale)}), 0), {n_bins - 1})"
    label = f"CAST(CAST({_q(roles['label'])} AS DOUBLE) AS INTEGER)" if roles.get("label") else "0"
    attrs = ", ".join(_q(a) for a in attributes)
    rows = q.rows(
        f"SELECT {attrs}, {label} AS l, CAST({index} AS BIGINT) AS b, count(*) FROM src "
        "GROUP BY ALL"
    )
    k = len(attributes)
    hist = np.zeros((*sizes, 2, n_bins), dtype=np.int64)
    for r in rows:
        cell = tuple(maps[i][r[i]] for i in range(k))
        bin_at = (*cell, int(r[k]), int(r[k + 1]))
        hist[bin_at] += r[k + 2]
    return hist


def _exact_u(
    q: _Query,
    attributes: Sequence[str],
    roles: dict,
    score: str,
    info: dict,
    combinations: Sequence[tuple[str, ...]],
) -> dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per-group Mann-Whitney U for every combination, with window functions."""
    label = f"CAST(CAST({_q(roles['label'])} AS DOUBLE) AS INTEGER)"
    out = {}
    for combo in combinations:
        cols = ", ".join(_q(a) for a in combo)
        rows = q.rows(
            f"SELECT {cols}, sum(r) FILTER (WHERE l = 1), count(*) FILTER (WHERE l = 1), "
            f"count(*) FROM (SELECT {cols}, {label} AS l, "
            f"rank() OVER (PARTITION BY {cols} ORDER BY {score}) "
            f"+ (count(*) OVER (PARTITION BY {cols}, {score}) - 1) / 2.0 AS r FROM src) "
            "GROUP BY ALL"
        )
        idx = [list(attributes).index(a) for a in combo]
        shape = [len(info["labels"][i]) for i in idx]
        u, pos, total = (np.zeros(math.prod(shape)) for _ in range(3))
        for r in rows:
            flat = np.ravel_multi_index(
                tuple(info["maps"][i][r[j]] for j, i in enumerate(idx)), shape
            )
            n_pos = r[-2] or 0
            u[flat] += r[-3] or 0.0
            pos[flat] += n_pos
            total[flat] += r[-1]
        # Rank sums are per raw value; groups that merge raw values (Unknown) are
        # not used for AUC, so U = R - P(P+1)/2 holds for every known group.
        u = u - pos * (pos + 1) / 2.0
        out[tuple(combo)] = (u, pos, total - pos)
    return out
