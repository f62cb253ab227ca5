"""Why a column cannot be audited, said cell by cell: the engines' shared input checks.

The pool refuses a column by its type (a score column read as text, an attribute
of lists). These checks say which cells are at fault: how many, the first few
with their row numbers as a user counts them (1 = the first row after the
header), and the fix. The in-memory engine runs them when the pool refuses its
input; the Dask engine runs them on each partition (the row numbers continue
across partitions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from biasaudit import _errors as E

__all__ = [
    "BINARY_ROLES",
    "MAX_SHOWN",
    "NUMERIC_ROLES",
    "ROW_NUMBERS",
    "bad_cells",
    "blank_mask",
    "blank_report",
    "cell_report",
    "check_columns_readable",
    "nested_kind",
    "refuse_blank_ids",
    "refuse_cells",
    "shown_cells",
]

ROW_NUMBERS = E.ROW_NUMBERS
NUMERIC_ROLES = ("score", "rank")
BINARY_ROLES = ("selected", "label")
_EXPECTED = {"score": "numbers", "rank": "numbers", "selected": "0 or 1", "label": "0 or 1"}
MAX_SHOWN = 5
_GROUPING = ("attributes", "job", "id")


def nested_kind(kind: pa.DataType) -> str | None:
    """The name of a nested Arrow type (list, struct, map, ...), or None for a plain one.

    Examples
    --------
    >>> nested_kind(pa.list_(pa.string())), nested_kind(pa.string())
    ('list (list<item: string>)', None)
    """
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if not pa.types.is_nested(kind):
        return None
    name = "map" if pa.types.is_map(kind) else "struct" if pa.types.is_struct(kind) else "list"
    if pa.types.is_union(kind):
        name = "union"
    return f"{name} ({kind})"


def blank_mask(values: pd.Series) -> np.ndarray:
    """Missing values and text that is empty or only spaces."""
    text = values.astype(object)
    blank = np.array(text.isna(), dtype=bool)
    is_text = np.fromiter((isinstance(v, str) for v in text), dtype=bool, count=len(text))
    if is_text.any():
        blank[is_text] |= text[is_text].str.strip().eq("").to_numpy(dtype=bool)
    return blank


def bad_cells(values: pd.Series, role: str) -> np.ndarray:
    """Where a numeric or 0/1 role column holds something else (text, a blank).

    Examples
    --------
    >>> bad_cells(pd.Series(["0.5", "abc", None, "2"]), "score").tolist()
    [False, True, True, False]
    >>> bad_cells(pd.Series(["0", "1", "yes", "2"]), "selected").tolist()
    [False, False, True, True]
    """
    numbers = pd.to_numeric(values.astype(object), errors="coerce").to_numpy(dtype=np.float64)
    if role in BINARY_ROLES:
        return ~((numbers == 0) | (numbers == 1))
    return ~np.isfinite(numbers)


def shown_cells(values: pd.Series, mask: np.ndarray, offset: int = 0) -> list[str]:
    """The first offending cells as ``row N: value`` (rows counted from 1 after ``offset``).

    Examples
    --------
    >>> shown_cells(pd.Series(["1", "abc", None]), np.array([False, True, True]), offset=10)
    ["row 12: 'abc'", 'row 13: (blank)']
    """
    shown = []
    for p in np.flatnonzero(mask)[:MAX_SHOWN]:
        value = values.iloc[p]
        text = "(blank)" if pd.isna(value) else repr(value)
        shown.append(f"row {offset + int(p) + 1}: {text}")
    return shown


def cell_report(values: pd.Series, role: str, offset: int = 0) -> tuple[int, list[str]]:
    """How many cells of a text column are not what ``role`` needs, and the first of them."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return 0, []
    bad = bad_cells(values, role)
    return int(bad.sum()), shown_cells(values, bad, offset)


def blank_report(values: pd.Series, offset: int = 0) -> tuple[int, list[int]]:
    """How many values are blank or missing, and the first of their rows (from 1)."""
    blank = blank_mask(values)
    return int(blank.sum()), [offset + int(p) + 1 for p in np.flatnonzero(blank)[:MAX_SHOWN]]


def refuse_cells(
    column: str, role: str, count: int, shown: list[str], rows: int, where: str = ROW_NUMBERS
) -> None:
    """Refuse a numeric or 0/1 column with ``count`` offending cells out of ``rows``.

    A 0/1 column whose every cell is off (``yes``/``no``) is left to the pool's
    list of its values, which says more than its first rows.
    """
    if count == 0 or (role in BINARY_ROLES and count == rows):
        return
    raise E.ValidationError(
        E.BAD_CELLS.format(
            column=column,
            role=role,
            expected=_EXPECTED[role],
            count=count,
            where=where,
            cells=", ".join(shown[:MAX_SHOWN]),
        )
    )


def refuse_blank_ids(column: str, count: int, rows: list[Any], where: str = ROW_NUMBERS) -> None:
    """Refuse an id column with ``count`` blank or missing values (first at ``rows``)."""
    if count:
        shown = ", ".join(str(r) for r in rows[:MAX_SHOWN])
        raise E.ValidationError(
            E.BLANK_IDS.format(column=column, count=count, where=where, rows=shown)
        )


def _as_pandas(frame: Any, column: str) -> pd.Series:
    native = frame[column]
    to_pandas = getattr(native, "to_pandas", None)
    return to_pandas() if to_pandas is not None else pd.Series(native)


def _arrow_type(frame: Any, column: str) -> pa.DataType | None:
    """The column's Arrow type, or None when its values have no single type."""
    try:
        return frame[column].to_arrow().type
    except (pa.ArrowException, TypeError, ValueError):
        return None


def check_columns_readable(
    frame: Any, attributes: Sequence[str], roles: dict[str, str | None]
) -> None:
    """Refuse the first column an audit cannot read, naming the column and its cells.

    ``frame`` is a narwhals DataFrame. Checked: an attribute, job or id column of
    lists or records; blank ids; score and rank cells that are not numbers; 0/1
    cells that are not 0 or 1 among others that are; any role column whose values
    mix types. A column found without fault is left to the pool's own checks.

    Raises
    ------
    biasaudit.ValidationError
        With the column, the offending cells and the fix.
    """
    present = set(frame.columns)
    used = [(a, "attributes") for a in attributes if a in present]
    used += [(c, r) for r, c in roles.items() if c is not None and c in present]
    for column, role in used:
        kind = _arrow_type(frame, column)
        nested = nested_kind(kind) if kind is not None and role in _GROUPING else None
        if nested:
            raise E.ValidationError(E.NESTED_COLUMN.format(column=column, role=role, kind=nested))
    id_column = roles.get("id")
    if id_column and id_column in present:
        refuse_blank_ids(id_column, *blank_report(_as_pandas(frame, id_column)))
    for role in (*NUMERIC_ROLES, *BINARY_ROLES):
        named = roles.get(role)
        if named and named in present:
            values = _as_pandas(frame, named)
            refuse_cells(named, role, *cell_report(values, role), rows=len(values))
    for column, role in used:
        if _arrow_type(frame, column) is None:
            types = sorted({type(v).__name__ for v in _as_pandas(frame, column).dropna()})
            raise E.ValidationError(E.MIXED_TYPES.format(column=column, role=role, types=types))
