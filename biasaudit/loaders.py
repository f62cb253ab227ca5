"""Load real applicant data: files, SQL queries, column mappings and EEO-1 categories.

A mapping file (TOML) says which source column plays which role and how category
values translate::

    [source]                       # optional, for a database: what to read
    query = "SELECT * FROM applicants WHERE year = 2025"

    [columns]                      # biasaudit name = source column
    id = "applicant_id"
    selected = "hired"
    job = "requisition"
    sex = "gender"                 # any name that is not a role is a protected attribute
    race = "ethnicity"

    [categories.race]              # extra spellings, checked before the built-in ones
    "Asian/Pacific Islander" = "Unknown"

    [categories]
    age_band = "as-is"             # keep an attribute's values unchanged

A separate yes/no Hispanic-or-Latino question (``hispanic_or_latino = "column"`` in
``[columns]``) is folded into the race attribute as EEO-1 does: Hispanic or Latino of
any race counts as Hispanic or Latino.

Attributes named ``sex`` are normalised to the EEO-1 sex categories and attributes
named ``race``, ``race_ethnicity`` or ``ethnicity`` to the EEO-1 race/ethnicity
categories. A value that neither the built-in spellings nor the mapping's
``[categories]`` table know is never guessed: loading stops and lists every such
value with its number of rows.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Options, validate_params
from biasaudit.pool import UNKNOWN
from biasaudit.regulations import EEO1_RACE, EEO1_SEX

__all__ = [
    "EEO1_RACE",
    "EEO1_SEX",
    "HISPANIC_FLAG",
    "ROLES",
    "ColumnMapping",
    "Normalized",
    "load",
    "normalize_eeo1",
    "read_mapping",
    "read_sql",
]

#: Keys of ``[columns]`` that are roles; every other key is a protected attribute.
ROLES: tuple[str, ...] = ("id", "job", "label", "score", "selected", "rank")
#: ``[columns]`` key of a separate Hispanic-or-Latino question (EEO-1 asks it apart from race).
HISPANIC_FLAG = "hispanic_or_latino"
_FLAG_SPELLINGS = {
    "Yes": ("yes", "y", "true", "t", "1", "1 0", "hispanic", "hispanic or latino", "latino",
            "latina", "latinx", "hispanic latino"),
    "No": ("no", "n", "false", "f", "0", "0 0", "not hispanic", "not hispanic or latino",
           "non hispanic", "nonhispanic", "not hispanic latino"),
}  # fmt: skip
_KINDS = {"sex": "sex", "race": "race", "race_ethnicity": "race", "ethnicity": "race"}
_KIND_NAMES = {
    "sex": "EEO-1 sex",
    "race": "EEO-1 race/ethnicity",
    "hispanic": "EEO-1 Hispanic-or-Latino answer",
    "as-is": "listed",
}

_UNKNOWN_SPELLINGS = (
    "",
    "unknown",
    "unk",
    "na",
    "n a",
    "none",
    "null",
    "nan",
    "missing",
    "not specified",
    "unspecified",
    "not provided",
    "not reported",
    "not disclosed",
    "undisclosed",
    "declined",
    "decline",
    "decline to state",
    "declined to state",
    "decline to answer",
    "declined to answer",
    "decline to self identify",
    "declined to self identify",
    "prefer not to say",
    "prefer not to answer",
    "i prefer not to answer",
    "i don t wish to answer",
    "i do not wish to answer",
    "do not wish to answer",
    "choose not to disclose",
    "i choose not to disclose",
)
_SEX_SPELLINGS = {
    "Female": ("female", "f", "woman", "women"),
    "Male": ("male", "m", "man", "men"),
}
_RACE_SPELLINGS = {
    "White": (
        "white",
        "caucasian",
        "cauc",
        "white caucasian",
        "white american",
        "european american",
    ),
    "Black or African American": (
        "black",
        "african american",
        "black or african american",
        "black african american",
        "african american black",
        "black american",
        "afam",
        "afr am",
    ),
    "Hispanic or Latino": (
        "hispanic",
        "latino",
        "latina",
        "latinx",
        "latine",
        "hispanic or latino",
        "hispanic latino",
        "hispanic or latina",
        "hispanic latina",
        "hispanic or latinx",
        "hispanic latinx",
        "latino hispanic",
        "latinx hispanic",
        "hispanic of any race",
    ),
    "Asian": ("asian", "asian american"),
    "Native Hawaiian or Pacific Islander": (
        "native hawaiian or pacific islander",
        "native hawaiian or other pacific islander",
        "native hawaiian pacific islander",
        "native hawaiian other pacific islander",
        "pacific islander",
        "native hawaiian",
        "hawaiian",
        "nhpi",
        "nhopi",
    ),
    "Native American or Alaska Native": (
        "native american or alaska native",
        "american indian or alaska native",
        "american indian or alaskan native",
        "native american or alaskan native",
        "american indian alaska native",
        "native american alaska native",
        "native american",
        "american indian",
        "alaska native",
        "alaskan native",
        "aian",
        "ai an",
    ),
    "Two or More Races": (
        "two or more races",
        "two or more",
        "2 or more races",
        "2 or more",
        "multiracial",
        "multi racial",
        "mixed",
        "mixed race",
        "biracial",
        "multiple races",
    ),
}
# "Non-Hispanic White" and "White (Not Hispanic or Latino)" mean White: the EEO-1
# race categories other than Hispanic or Latino are non-Hispanic by definition.
_NON_HISPANIC = (
    "not hispanic or latino",
    "not hispanic or latinx",
    "not hispanic",
    "non hispanic",
    "nonhispanic",
    "nh",
)


def _key(value: Any) -> str:
    text = str(value).lower().replace("&", " and ").replace("'", " ")
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


def _builtin(kind: str) -> dict[str, str]:
    table = dict.fromkeys(_UNKNOWN_SPELLINGS, UNKNOWN)
    spellings = _SEX_SPELLINGS if kind == "sex" else _RACE_SPELLINGS
    for category, keys in spellings.items():
        table.update(dict.fromkeys(keys, category))
    return table


def _lookup_race(key: str, table: dict[str, str]) -> str | None:
    if key in table:
        return table[key]
    for qualifier in _NON_HISPANIC:
        for base in (key.removeprefix(qualifier + " "), key.removesuffix(" " + qualifier)):
            found = table.get(base.strip())
            if base != key and found not in (None, UNKNOWN, "Hispanic or Latino"):
                return found
    return None


@dataclass(frozen=True)
class Normalized:
    """Result of :func:`normalize_eeo1`.

    Attributes
    ----------
    values : pandas.Series
        The normalised values (missing and unknown spellings become ``"Unknown"``;
        with ``errors="report"`` unmappable values also become ``"Unknown"``, and
        ``unmapped`` lists them).
    mapping : dict
        Every distinct source value and the category it became.
    unmapped : dict
        Every value that could not be mapped, with its number of rows.
    """

    values: pd.Series
    mapping: dict[Any, str]
    unmapped: dict[Any, int] = field(default_factory=dict)


@validate_params(
    {
        "kind": [Options(str, ("sex", "race"), fix="Pass kind='sex' or kind='race'.")],
        "errors": [Options(str, ("raise", "report"))],
    }
)
def normalize_eeo1(
    values: Any,
    kind: str,
    *,
    extra: Mapping[Any, str] | None = None,
    errors: str = "raise",
    column: str | None = None,
) -> Normalized:
    """Map common spellings of sex or race/ethnicity onto the EEO-1 categories.

    Matching ignores case, spacing and punctuation ("BLACK/AFRICAN-AMERICAN",
    "Hispanic or Latino", "Non-Hispanic White", "Caucasian"). Missing values and
    spellings of "unknown" or "declined to state" become ``"Unknown"``. Values that
    could mean more than one category (for example "Asian/Pacific Islander", "Other"
    or a one-letter code) are never guessed: they are reported.

    Parameters
    ----------
    values : array-like
        The raw values (a pandas Series keeps its index).
    kind : {"sex", "race"}
        Which EEO-1 categories.
    extra : mapping, optional
        Additional ``{raw value: category}`` entries, checked first (exact value,
        then the same case- and punctuation-insensitive match). Categories must be
        EEO-1 categories or ``"Unknown"``.
    errors : {"raise", "report"}
        ``"raise"``: a :class:`biasaudit.ValidationError` lists every unmappable
        value with its row count. ``"report"``: they become ``"Unknown"`` and are
        listed in ``Normalized.unmapped``.
    column : str, optional
        Column name for messages.

    Returns
    -------
    Normalized

    Raises
    ------
    biasaudit.ValidationError
        With ``errors="raise"``, if any value cannot be mapped, or if ``extra`` maps
        to a category that is not an EEO-1 one.

    Examples
    --------
    >>> out = normalize_eeo1(["Caucasian", "AFRICAN AMERICAN", "Latina", None,
    ...                       "White (Not Hispanic or Latino)", "Other"],
    ...                      "race", errors="report")
    >>> out.values.tolist()
    ['White', 'Black or African American', 'Hispanic or Latino', 'Unknown', 'White', 'Unknown']
    >>> out.unmapped
    {'Other': 1}
    >>> normalize_eeo1(["F", "male", "Woman"], "sex").values.tolist()
    ['Female', 'Male', 'Female']
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    name = column or (str(series.name) if series.name is not None else kind)
    allowed = EEO1_SEX if kind == "sex" else EEO1_RACE
    exact, fuzzy = _extra_tables(extra or {}, name, kind, allowed)
    table = {**_builtin(kind), **fuzzy}
    counts = series.astype(object).where(series.notna(), None).value_counts(dropna=False)
    mapping: dict[Any, str] = {}
    unmapped: dict[Any, int] = {}
    for raw, count in counts.items():
        found = _map_one(raw, kind, exact, table)
        if found is None:
            unmapped[raw] = int(count)
        else:
            mapping[raw] = found
    if unmapped and errors == "raise":
        raise E.ValidationError(_unmappable_message(name, _KIND_NAMES[kind], unmapped))
    out = series.astype(object).map(mapping)  # unmapped (errors="report") and missing: NaN
    return Normalized(out.where(out.notna(), UNKNOWN).astype(object), mapping, unmapped)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value)


def _map_one(raw: Any, kind: str, exact: dict[Any, str], table: dict[str, str]) -> str | None:
    if not _present(raw) or (isinstance(raw, str) and raw.strip() == ""):
        return UNKNOWN
    if raw in exact:
        return exact[raw]
    key = _key(raw)
    return _lookup_race(key, table) if kind == "race" else table.get(key)


def _extra_tables(
    extra: Mapping[Any, str], column: str, kind: str, allowed: tuple[str, ...]
) -> tuple[dict[Any, str], dict[str, str]]:
    for raw, target in extra.items():
        if target not in (*allowed, UNKNOWN):
            raise E.ValidationError(
                E.BAD_CATEGORY_TARGET.format(
                    column=column,
                    value=raw,
                    target=target,
                    kind=_KIND_NAMES[kind],
                    allowed=[*allowed, UNKNOWN],
                )
            )
    return dict(extra), {_key(raw): target for raw, target in extra.items()}


def _unmappable_message(column: str, target: str, unmapped: dict[Any, int]) -> str:
    ordered = dict(sorted(unmapped.items(), key=lambda item: (-item[1], str(item[0]))))
    example = str(next(iter(ordered)))
    return E.UNMAPPABLE_VALUES.format(
        column=column, count=len(ordered), target=target, values=ordered, example=example
    )


# -- mapping files ---------------------------------------------------------------------------


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # pragma: no cover - Python 3.10: a dependency there (pyproject.toml)

    return tomli  # pragma: no cover


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column plays which role, and how category values translate.

    Parameters
    ----------
    columns : mapping
        ``{biasaudit name: source column}``. Keys in ``ROLES`` (``id``, ``job``,
        ``label``, ``score``, ``selected``, ``rank``) are roles; ``hispanic_or_latino``
        names a separate yes/no Hispanic-or-Latino question that is folded into the
        race attribute (see :meth:`apply`); every other key is a protected attribute.
    categories : mapping
        Per attribute, either a ``{raw value: category}`` table (added to the built-in
        EEO-1 spellings for ``sex`` and ``race``; exhaustive for other attributes),
        or one of the strings ``"sex"``, ``"race"`` (normalise as that EEO-1
        attribute) or ``"as-is"`` (keep the values).
    query : str, optional
        SQL query to run when the data is a database.
    path : str, optional
        Where the mapping was read from (for messages).

    Examples
    --------
    >>> import pandas as pd
    >>> mapping = ColumnMapping({"sex": "gender", "selected": "hired"})
    >>> raw = pd.DataFrame({"gender": ["F", "M", "Declined"], "hired": [1, 0, 1]})
    >>> mapping.apply(raw)["sex"].tolist()
    ['Female', 'Male', 'Unknown']
    >>> mapping.audit_options()
    {'attributes': ['sex'], 'selected': 'selected'}
    """

    columns: Mapping[str, str]
    categories: Mapping[str, Any] = field(default_factory=dict)
    query: str | None = None
    path: str = "<mapping>"

    def __post_init__(self) -> None:
        fix = 'Write [columns] as name = "source column".'
        if not self.columns or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.columns.items()
        ):
            raise E.ValidationError(
                E.BAD_MAPPING_FILE.format(
                    path=self.path, error="[columns] is missing, empty or not all text", fix=fix
                )
            )
        if not self.attributes:
            raise E.ValidationError(
                E.MAPPING_NO_ATTRIBUTES.format(path=self.path, roles=list(ROLES))
            )
        if HISPANIC_FLAG in self.columns and self._race_attribute() is None:
            raise E.ValidationError(
                E.BAD_MAPPING_FILE.format(
                    path=self.path,
                    error=f"[columns] has {HISPANIC_FLAG} but no race attribute to fold it into",
                    fix='Add e.g. race = "race column" to [columns].',
                )
            )
        for name, spec in self.categories.items():
            if name == HISPANIC_FLAG and HISPANIC_FLAG in self.columns:
                continue
            if name not in self.attributes:
                raise E.ValidationError(
                    E.BAD_MAPPING_FILE.format(
                        path=self.path,
                        error=f"[categories] names {name!r}, which is not an attribute in "
                        f"[columns] (attributes: {self.attributes})",
                        fix="Name an attribute from [columns], or add it there.",
                    )
                )
            if isinstance(spec, str) and spec not in ("sex", "race", "as-is"):
                raise E.ValidationError(
                    E.BAD_MAPPING_FILE.format(
                        path=self.path,
                        error=f"[categories] {name} = {spec!r} is not 'sex', 'race' or 'as-is'",
                        fix="Use one of those, or a [categories." + name + "] table.",
                    )
                )

    @property
    def attributes(self) -> list[str]:
        """The protected attributes: every ``[columns]`` key that is not a role."""
        return [name for name in self.columns if name not in (*ROLES, HISPANIC_FLAG)]

    def audit_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`biasaudit.audit` on the mapped frame."""
        roles = {name: name for name in self.columns if name in ROLES}
        return {"attributes": self.attributes, **roles}

    def _race_attribute(self) -> str | None:
        return next((a for a in self.attributes if self._kind(a) == "race"), None)

    def _kind(self, attribute: str) -> str:
        spec = self.categories.get(attribute)
        if isinstance(spec, str):
            return spec
        return _KINDS.get(attribute, "as-is")

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rename the mapped columns and normalise the attributes' categories.

        The mapped columns come first under their biasaudit names; the other source
        columns follow unchanged (a source column whose name a mapped column takes is
        left out). The input is not modified.

        Raises
        ------
        biasaudit.ValidationError
            If a mapped column is absent, or any attribute holds a value that cannot be
            mapped (every such value of every attribute is listed).

        Notes
        -----
        With a ``hispanic_or_latino`` column (yes/no spellings; extra ones under
        ``[categories.hispanic_or_latino]``), EEO-1's rule applies: "Yes" makes the
        race attribute "Hispanic or Latino" whatever the race answer; "No" keeps the
        race answer; an unknown answer makes a non-Hispanic race answer "Unknown",
        because that person may be Hispanic or Latino. The column is kept, normalised
        to Yes / No / Unknown.
        """
        present = [str(c) for c in frame.columns]
        missing = [c for c in dict.fromkeys(self.columns.values()) if c not in present]
        if missing:
            raise E.ValidationError(
                E.MAPPING_MISSING_COLUMNS.format(missing=missing, present=present, path=self.path)
            )
        out = {name: frame[source] for name, source in self.columns.items()}
        used = set(self.columns.values()) | set(self.columns)
        out.update({c: frame[c] for c in frame.columns if c not in used})
        result = pd.DataFrame(out, index=frame.index)
        problems = []
        for attribute in self.attributes:
            try:
                result[attribute] = self._normalize(attribute, result[attribute])
            except E.ValidationError as exc:
                problems.append(str(exc))
        if HISPANIC_FLAG in self.columns:
            try:
                result[HISPANIC_FLAG] = self._flag(result[HISPANIC_FLAG])
            except E.ValidationError as exc:
                problems.append(str(exc))
        if problems:
            raise E.ValidationError("\n".join(problems))
        if HISPANIC_FLAG in self.columns:
            race = self._race_attribute()
            result[race] = _fold_hispanic(result[race], result[HISPANIC_FLAG])
        return result

    def _flag(self, values: pd.Series) -> pd.Series:
        table = {**dict.fromkeys(_UNKNOWN_SPELLINGS, UNKNOWN)}
        for answer, keys in _FLAG_SPELLINGS.items():
            table.update(dict.fromkeys(keys, answer))
        extra = self.categories.get(HISPANIC_FLAG)
        extra = extra if isinstance(extra, Mapping) else {}
        _extra_tables(extra, HISPANIC_FLAG, "hispanic", ("Yes", "No"))
        table.update({_key(k): v for k, v in extra.items()})
        counts = values.astype(object).where(values.notna(), None).value_counts(dropna=False)
        mapping = {raw: _map_one(raw, "sex", dict(extra), table) for raw in counts.index}
        unmapped = {raw: int(counts[raw]) for raw, found in mapping.items() if found is None}
        if unmapped:
            raise E.ValidationError(_unmappable_message(HISPANIC_FLAG, "yes/no", unmapped))
        out = values.astype(object).map(mapping)
        return out.where(out.notna(), UNKNOWN).astype(object)

    def _normalize(self, attribute: str, values: pd.Series) -> pd.Series:
        kind = self._kind(attribute)
        table = self.categories.get(attribute)
        table = table if isinstance(table, Mapping) else {}
        if kind in ("sex", "race"):
            return normalize_eeo1(values, kind, extra=table, column=attribute).values
        if not table:
            return values
        lookup = {**{_key(k): v for k, v in table.items()}, **dict(table)}
        mapped = values.map(
            lambda v: lookup.get(v, lookup.get(_key(v))) if _present(v) else UNKNOWN
        )
        bad = values[mapped.isna() & values.notna()]
        if len(bad):
            unmapped = {k: int(v) for k, v in bad.value_counts().items()}
            raise E.ValidationError(_unmappable_message(attribute, "listed", unmapped))
        return mapped


def _fold_hispanic(race: pd.Series, flag: pd.Series) -> pd.Series:
    """EEO-1: Hispanic or Latino first; an unknown answer leaves a race answer undecided."""
    hispanic = "Hispanic or Latino"
    undecided = (flag == UNKNOWN) & (race != hispanic)
    out = race.where(flag != "Yes", hispanic)
    return out.where(~undecided, UNKNOWN)


def read_mapping(path: str | Path) -> ColumnMapping:
    """Read a column mapping from a TOML file with ``[columns]``, ``[categories]``, ``[source]``.

    Parameters
    ----------
    path : str or Path
        The TOML file.

    Returns
    -------
    ColumnMapping

    Raises
    ------
    biasaudit.ValidationError
        If the file is missing, is not valid TOML, or has unknown tables.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.toml").write_text('[columns]\\nsex = "gender"\\nselected = "hired"\\n')
    >>> read_mapping(folder / "m.toml").audit_options()
    {'attributes': ['sex'], 'selected': 'selected'}
    """
    path = Path(path)
    fix = "Write a TOML file with a [columns] table (see biasaudit.loaders)."
    if not path.is_file():
        raise E.ValidationError(E.MISSING_FILE.format(path=str(path)))
    try:
        document = _toml().loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise E.ValidationError(
            E.BAD_MAPPING_FILE.format(path=str(path), error=str(exc).splitlines()[0], fix=fix)
        ) from exc
    unknown = sorted(set(document) - {"columns", "categories", "source"})
    if unknown:
        raise E.ValidationError(
            E.BAD_MAPPING_FILE.format(
                path=str(path),
                error=f"unknown table(s) {unknown}",
                fix="Use only [columns], [categories] and [source].",
            )
        )
    source = document.get("source", {})
    return ColumnMapping(
        columns=document.get("columns", {}),
        categories=document.get("categories", {}),
        query=source.get("query") if isinstance(source, Mapping) else None,
        path=str(path),
    )


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
        path = Path(database)
        if not path.is_file():
            raise E.ValidationError(E.MISSING_FILE.format(path=str(path)))
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
        path = Path(source)
        if not path.exists():
            raise E.ValidationError(E.MISSING_FILE.format(path=str(path)))
        frame = _read_file(path, format or _format_of(path), query)
    else:
        if not query:
            raise E.ValidationError(E.SQL_NEEDS_QUERY.format(path=type(source).__name__))
        frame = read_sql(query, source)
    return mapping.apply(frame) if mapping is not None else frame
