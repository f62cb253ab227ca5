"""Reading applicant data: CSV, TSV, Parquet, JSON Lines, SQLite and DuckDB files and queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from biasaudit import _errors as E
from biasaudit._io import EXCEL_SUFFIXES, check_input_file
from biasaudit._validation import Options, validate_params
from biasaudit.loaders._mapping import ColumnMapping, read_mapping

# -- reading data ----------------------------------------------------------------------------

_FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".csv.bz2": "csv",
    ".csv.zip": "csv",
    ".csv.xz": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".duckdb": "duckdb",
    ".ddb": "duckdb",
    ".sqlite": "database",
    ".sqlite3": "database",
    ".db": "database",
}
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for suffix, kind in sorted(_FORMATS.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            if kind == "database":
                with open(path, "rb") as handle:
                    head = handle.read(16)
                return "sqlite" if head == _SQLITE_MAGIC else "duckdb"
            return kind
    if name.endswith(EXCEL_SUFFIXES):
        raise E.ValidationError(E.EXCEL_FILE.format(path=str(path)))
    raise E.ValidationError(E.UNKNOWN_DATA_FORMAT.format(path=str(path)))


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:
        raise ImportError(E.MISSING_DUCKDB) from exc
    return duckdb


def read_sql(query: str, database: Any) -> pd.DataFrame:
    """Run a SQL query against a SQLite or DuckDB database and return a DataFrame.

    Parameters
    ----------
    query : str
        The query, e.g. ``"SELECT * FROM applicants"``.
    database : str, Path or connection
        A database file (SQLite is recognised by its header; ``.duckdb`` files and
        other headers are opened with DuckDB, read-only), a ``sqlite3.Connection``,
        or a DuckDB connection.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    biasaudit.ValidationError
        If the file is missing or the query fails.
    ImportError
        If a DuckDB database is given and duckdb is not installed
        (``pip install 'biasaudit[duckdb]'``).

    Examples
    --------
    >>> import sqlite3
    >>> connection = sqlite3.connect(":memory:")
    >>> _ = connection.execute("CREATE TABLE t (sex TEXT, hired INT)")
    >>> _ = connection.execute("INSERT INTO t VALUES ('F', 1), ('M', 0)")
    >>> read_sql("SELECT * FROM t", connection).shape
    (2, 2)
    """
    if isinstance(database, (str, Path)):
        path = check_input_file(database, "database")
        kind = "sqlite" if _format_of_db(path) == "sqlite" else "duckdb"
        if kind == "sqlite":
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                return _run_sqlite(query, connection, str(path))
            finally:
                connection.close()
        duckdb = _duckdb()
        try:
            connection = duckdb.connect(str(path), read_only=True)
        except Exception as exc:  # not a DuckDB file, or a newer storage version
            error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise E.ValidationError(E.SQL_FAILED.format(database=str(path), error=error)) from exc
        try:
            return _run_duckdb(query, connection, str(path))
        finally:
            connection.close()
    if isinstance(database, sqlite3.Connection):
        return _run_sqlite(query, database, "sqlite connection")
    return _run_duckdb(query, database, type(database).__name__)


def _format_of_db(path: Path) -> str:
    with open(path, "rb") as handle:
        return "sqlite" if handle.read(16) == _SQLITE_MAGIC else "duckdb"


def _run_sqlite(query: str, connection: sqlite3.Connection, name: str) -> pd.DataFrame:
    try:
        return pd.read_sql_query(query, connection)
    except Exception as exc:
        raise E.ValidationError(E.SQL_FAILED.format(database=name, error=exc)) from exc


def _run_duckdb(query: str, connection: Any, name: str) -> pd.DataFrame:
    try:
        return connection.execute(query).df()
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise E.ValidationError(E.SQL_FAILED.format(database=name, error=message)) from exc


def _read_file(path: Path, kind: str, query: str | None) -> pd.DataFrame:
    if kind in ("sqlite", "duckdb"):
        if not query:
            raise E.ValidationError(E.SQL_NEEDS_QUERY.format(path=str(path)))
        return read_sql(query, path)
    try:
        if kind in ("csv", "tsv"):
            return pd.read_csv(path, sep="\t" if kind == "tsv" else ",")
        if kind == "parquet":
            return pd.read_parquet(path)
        return pd.read_json(path, lines=True, dtype=False)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        label = {"csv": "CSV", "tsv": "TSV", "parquet": "Parquet", "jsonl": "JSON Lines"}[kind]
        raise E.ValidationError(
            E.UNREADABLE_FILE.format(path=str(path), kind=label, error=first)
        ) from exc


_READABLE = ("csv", "tsv", "parquet", "jsonl", "sqlite", "duckdb")


@validate_params(
    {"format": [None, Options(str, _READABLE, fix="Leave format out to read it from the name.")]}
)
def load(
    source: Any,
    *,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None = None,
    query: str | None = None,
    format: str | None = None,
) -> pd.DataFrame:
    """Load applicant data from a file, a database or a frame, and apply a column mapping.

    Parameters
    ----------
    source : str, Path, pandas.DataFrame or connection
        A CSV / TSV, Parquet or JSON Lines file; a SQLite or DuckDB database file or
        connection (with ``query``); or a DataFrame (only the mapping is applied).
    mapping : ColumnMapping, mapping, str or Path, optional
        A mapping object, a dict with ``columns`` / ``categories`` / ``query``, or the
        path of a TOML mapping file.
    query : str, optional
        SQL query for a database (defaults to the mapping's ``[source] query``).
    format : {"csv", "tsv", "parquet", "jsonl", "sqlite", "duckdb"}, optional
        Override the format read from the file name.

    Returns
    -------
    pandas.DataFrame
        The data; with a mapping, renamed to biasaudit's names with attributes
        normalised (pass ``**mapping.audit_options()`` to :func:`biasaudit.audit`).

    Raises
    ------
    biasaudit.ValidationError
        For a missing or unreadable file, a failed query, a mapping naming absent
        columns, or unmappable category values.

    Examples
    --------
    >>> import pandas as pd, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "applicants.jsonl"
    >>> _ = path.write_text('{"gender": "female", "hired": 1}\\n{"gender": "M", "hired": 0}\\n')
    >>> load(path, mapping={"columns": {"sex": "gender", "selected": "hired"}})
          sex  selected
    0  Female         1
    1    Male         0
    """
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        if isinstance(mapping, Mapping):
            mapping = ColumnMapping(
                columns=mapping.get("columns", {}),
                categories=mapping.get("categories", {}),
                query=mapping.get("query"),
            )
        else:
            mapping = read_mapping(mapping)
    query = query or (mapping.query if mapping is not None else None)
    if isinstance(source, pd.DataFrame):
        frame = source
    elif isinstance(source, (str, Path)):
        path = check_input_file(source)
        frame = _read_file(path, format or _format_of(path), query)
    else:
        if not query:
            raise E.ValidationError(E.SQL_NEEDS_QUERY.format(path=type(source).__name__))
        frame = read_sql(query, source)
    return mapping.apply(frame) if mapping is not None else frame
