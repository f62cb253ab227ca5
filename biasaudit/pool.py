"""CandidatePool: a table plus the roles of its columns, validated once.

The pool reads each role column once into a NumPy array (attributes as integer
codes with their category labels), so every later step works on arrays and never
on the caller's frame, which is never modified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from biasaudit import _errors as E
from biasaudit._io import file_sha256, read_table, to_narwhals

__all__ = ["UNKNOWN", "CandidatePool", "Codes"]

#: The explicit category that missing or unknown attribute values become.
UNKNOWN = "Unknown"
_DEFAULT_UNKNOWN_VALUES = ("Unknown", "unknown", "UNKNOWN", "")
_MAX_SHOWN = 5


@dataclass(frozen=True)
class Codes:
    """A categorical column as integer codes into ``categories``.

    ``categories`` lists the known values in a stable order, followed by
    ``UNKNOWN`` when ``has_unknown`` is true (its code is then the last one).
    """

    codes: np.ndarray
    categories: tuple[str, ...]
    has_unknown: bool

    @property
    def n_known(self) -> int:
        """Number of known categories (``Unknown`` excluded)."""
        return len(self.categories) - int(self.has_unknown)


def _arrow(frame: Any, column: str) -> pa.Array:
    array = frame[column].to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array


def _where(ids: np.ndarray | None, mask: np.ndarray) -> str:
    """The first rows where ``mask`` holds: their ids, else their row numbers from 1."""
    positions = np.flatnonzero(mask)[:_MAX_SHOWN]
    if ids is None:
        return E.first_rows([int(p) + 1 for p in positions], by_id=False)
    return E.first_rows(
        [ids[p].item() if hasattr(ids[p], "item") else ids[p] for p in positions], by_id=True
    )


def _sorted_labels(values: list[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _check_job_ids(jobs: pa.Array, column: str, ids: np.ndarray | None) -> None:
    """Refuse missing or blank job ids: each would be ranked as a job of its own."""
    blank = pc.is_null(jobs)
    if pa.types.is_string(jobs.type) or pa.types.is_large_string(jobs.type):
        blank = pc.or_(blank, pc.equal(pc.utf8_trim_whitespace(jobs), ""))
    mask = np.asarray(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), dtype=bool)
    if mask.any():
        raise E.ValidationError(
            E.BLANK_JOB_IDS.format(column=column, count=int(mask.sum()), where=_where(ids, mask))
        )


def _encode(array: pa.Array, unknown_values: Sequence[str]) -> Codes:
    """Dictionary-encode a column; nulls and unknown spellings become ``UNKNOWN``."""
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    dictionary = array.dictionary.to_pylist()
    indices = pc.fill_null(array.indices, 0).to_numpy(zero_copy_only=False)
    # The explicit category's own name is always unknown, so it can never appear twice.
    unknown_set = {str(u) for u in unknown_values} | {UNKNOWN}
    known = [v for v in dict.fromkeys(dictionary) if v is not None and str(v) not in unknown_set]
    ordered = _sorted_labels(known)
    position = {value: i for i, value in enumerate(ordered)}
    unknown_code = len(ordered)
    lookup = np.array(
        [position.get(v, unknown_code) if v is not None else unknown_code for v in dictionary]
        or [unknown_code],
        dtype=np.int64,
    )
    n_labels = len(ordered) + 1
    small = np.int8 if n_labels < 2**7 else np.int16 if n_labels < 2**15 else np.int64
    # Remap the (small) dictionary, then gather once into the small dtype.
    codes = lookup.astype(small)[indices] if len(dictionary) else np.zeros(len(array), small)
    if array.null_count:
        codes[np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = unknown_code
    has_unknown = bool((codes == unknown_code).any())
    labels = tuple(str(v) for v in ordered) + ((UNKNOWN,) if has_unknown else ())
    return Codes(codes, labels, has_unknown)


def _numeric(frame: Any, column: str, role: str, ids: np.ndarray | None) -> np.ndarray:
    array = _arrow(frame, column)
    kind = array.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
        examples = array.slice(0, 3).to_pylist()
        raise E.ValidationError(
            E.NON_NUMERIC_SCORE.format(column=column, dtype=str(kind), examples=examples)
        )
    values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        raise E.ValidationError(
            E.NON_FINITE_SCORE.format(column=column, count=int(bad.sum()), where=_where(ids, bad))
        )
    return values


def _binary(frame: Any, column: str, role: str, ids: np.ndarray | None) -> np.ndarray:
    array = _arrow(frame, column)
    if array.null_count:
        mask = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        raise E.ValidationError(
            E.MISSING_BINARY.format(
                column=column, role=role, count=int(mask.sum()), where=_where(ids, mask)
            )
        )
    if pa.types.is_boolean(array.type):
        return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        values = array.to_numpy(zero_copy_only=False)
        ok = (values == 0) | (values == 1)
        if ok.all():
            return values == 1
        offending = _sorted_labels(list(dict.fromkeys(values[~ok].tolist())))
    else:
        offending = _sorted_labels([str(v) for v in pc.unique(array).to_pylist()])
    raise E.ValidationError(
        E.NOT_BINARY.format(column=column, role=role, values=offending[:_MAX_SHOWN])
    )


@dataclass(frozen=True)
class CandidatePool:
    """A table of candidates and the roles its columns play in an audit.

    Parameters
    ----------
    data : DataFrame, pyarrow.Table, str or Path
        A pandas or polars DataFrame (a polars LazyFrame is collected), a pyarrow
        Table, or a path to a CSV or Parquet file. It is read, never modified.
    attributes : sequence of str
        Protected-attribute columns (e.g. ``["sex", "race"]``). Missing values
        and the spellings in ``unknown_values`` become the ``"Unknown"`` group.
    job, label, score, selected, rank, id : str, optional
        Columns for the requisition, ground-truth qualification (binary), the
        matcher's score (higher is better), the decision (binary), the rank
        within the job (1 is best) and a unique candidate id.
    unknown_values : sequence of str
        Attribute values that mean "unknown".

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["F", "M", "F", None], "hired": [1, 0, 1, 1]})
    >>> pool = CandidatePool(df, attributes=["sex"], selected="hired")
    >>> pool.n_rows, pool.attribute_codes["sex"].categories
    (4, ('F', 'M', 'Unknown'))
    """

    data: Any = field(repr=False)
    attributes: tuple[str, ...]
    job: str | None = None
    label: str | None = None
    score: str | None = None
    selected: str | None = None
    rank: str | None = None
    id: str | None = None
    unknown_values: tuple[str, ...] = _DEFAULT_UNKNOWN_VALUES
    columns: tuple[str, ...] = field(init=False, repr=False)
    n_rows: int = field(init=False)
    attribute_codes: dict[str, Codes] = field(init=False, repr=False)
    job_codes: Codes | None = field(init=False, repr=False)
    arrays: dict[str, np.ndarray] = field(init=False, repr=False)
    source: str = field(init=False)
    sha256: str = field(init=False, repr=False)

    def __init__(
        self,
        data: Any,
        *,
        attributes: Sequence[str] | str,
        job: str | None = None,
        label: str | None = None,
        score: str | None = None,
        selected: str | None = None,
        rank: str | None = None,
        id: str | None = None,
        unknown_values: Sequence[str] = _DEFAULT_UNKNOWN_VALUES,
    ) -> None:
        attrs = tuple(E.attribute_list(attributes))
        source, sha = "dataframe", None
        if isinstance(data, (str, Path)):
            source, sha = str(data), None
            if Path(data).exists():
                sha = file_sha256(data)
            data = read_table(data)
        frame = to_narwhals(data)
        roles = dict(job=job, label=label, score=score, selected=selected, rank=rank, id=id)
        _set = object.__setattr__
        for name, value in roles.items():
            _set(self, name, value)
        _set(self, "data", data)
        _set(self, "attributes", attrs)
        _set(self, "unknown_values", tuple(unknown_values))
        _set(self, "source", source)
        _set(self, "columns", tuple(frame.columns))
        E.check_columns(frame.columns, attrs, roles)
        _set(self, "n_rows", int(frame.shape[0]))
        if self.n_rows == 0:
            raise E.ValidationError(E.EMPTY_POOL)
        self._extract(frame, attrs, roles)
        _set(self, "sha256", sha or self._fingerprint())

    # -- construction helpers -------------------------------------------------
    def _extract(self, frame: Any, attrs: tuple[str, ...], roles: dict) -> None:
        arrays: dict[str, np.ndarray] = {}
        ids = None
        if roles["id"] is not None:
            ids = np.asarray(_arrow(frame, roles["id"]).to_numpy(zero_copy_only=False))
            self._check_unique(ids, roles["id"])
            arrays["id"] = ids
        codes = {a: _encode(_arrow(frame, a), self.unknown_values) for a in attrs}
        for name, column in roles.items():
            if column is None or name in ("id", "job"):
                continue
            reader = _binary if name in ("label", "selected") else _numeric
            arrays[name] = reader(frame, column, name, ids)
        job_codes = None
        if roles["job"] is not None:
            jobs = _arrow(frame, roles["job"])
            _check_job_ids(jobs, roles["job"], ids)
            job_codes = _encode(jobs, ())
        object.__setattr__(self, "attribute_codes", codes)
        object.__setattr__(self, "job_codes", job_codes)
        object.__setattr__(self, "arrays", arrays)
        for attribute, code in codes.items():
            E.check_known_groups(attribute, list(code.categories[: code.n_known]))

    @staticmethod
    def _check_unique(ids: np.ndarray, column: str) -> None:
        values, counts = np.unique(
            ids.astype(str) if ids.dtype == object else ids, return_counts=True
        )
        dup = values[counts > 1]
        if len(dup):
            shown = [v.item() if hasattr(v, "item") else v for v in dup[:_MAX_SHOWN]]
            raise E.ValidationError(
                E.DUPLICATE_IDS.format(column=column, count=len(dup), values=shown)
            )

    def _fingerprint(self) -> str:
        """SHA-256 over the role columns in a canonical form (codes and labels)."""
        digest = hashlib.sha256()
        for name, code in sorted(self.attribute_codes.items()):
            digest.update(name.encode())
            digest.update(repr(code.categories).encode())
            digest.update(np.ascontiguousarray(code.codes).data)
        if self.job_codes is not None:
            digest.update(repr(self.job_codes.categories).encode())
            digest.update(np.ascontiguousarray(self.job_codes.codes).data)
        for name, values in sorted(self.arrays.items()):
            digest.update(name.encode())
            if values.dtype == object:
                digest.update(repr(values.tolist()).encode())
            else:
                digest.update(np.ascontiguousarray(values).data)
        return digest.hexdigest()

    # -- public API -----------------------------------------------------------
    @property
    def roles(self) -> dict[str, Any]:
        """The column playing each role (``None`` where a role is not used)."""
        return {
            "attributes": list(self.attributes),
            "job": self.job,
            "label": self.label,
            "score": self.score,
            "selected": self.selected,
            "rank": self.rank,
            "id": self.id,
        }

    def unknown_counts(self) -> dict[str, int]:
        """Number of candidates whose value of each attribute is unknown."""
        out = {}
        for name, code in self.attribute_codes.items():
            out[name] = int((code.codes == code.n_known).sum()) if code.has_unknown else 0
        return out


def combinations_for(
    attributes: Sequence[str], intersections: Sequence[Sequence[str]] | None = None
) -> list[tuple[str, ...]]:
    """Each attribute alone, all of them crossed, then any requested combination.

    Examples
    --------
    >>> combinations_for(["sex", "race"])
    [('sex',), ('race',), ('sex', 'race')]
    """
    combos: list[tuple[str, ...]] = [(a,) for a in attributes]
    if len(attributes) > 1:
        combos.append(tuple(attributes))
    for extra in intersections or ():
        combo = tuple(E.attribute_list(extra))  # refuses an attribute named twice
        unknown = [a for a in combo if a not in attributes]
        if unknown:
            raise E.ValidationError(
                E.UNKNOWN_INTERSECTION.format(column=unknown[0], attributes=list(attributes))
            )
        if len(combo) < 2:
            raise E.ValidationError(E.SHORT_INTERSECTION.format(combination=list(combo)))
        if combo not in combos:
            combos.append(combo)
    return combos
