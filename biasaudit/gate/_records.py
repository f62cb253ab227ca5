"""Per-candidate records: what a paired comparison of two audits of one pool needs.

For every audited row (a candidate, or a candidate-job pair when every candidate is
scored for every job) a record holds the finest attribute cell, the label and the
decision (selected, and above the median score). Rows are kept in a canonical order,
sorted by (id, job) as text, so two audits of the same pool line up row by row.

The records travel inside the result as ``sections["gate"]["records"]`` (compact:
decisions bit-packed, cells as 16-bit codes, both in base64: under 3.5 bytes per
candidate), so a baseline is one JSON file that still validates against the result
schema.

Two audits can be paired when their ``pool_sha256`` agree: the SHA-256 of the
columns that define the candidates (see :func:`pool_identity`): with a matcher,
every column of the pool except ``selected`` (everything the matcher reads, and the
roles); with given scores, the id, attribute, job and label columns.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit.gate import _messages as M
from biasaudit.results import AuditResult

__all__ = ["RECORDS_FORMAT", "Records", "pool_identity"]

#: Version of the records' JSON layout; a baseline with another one is refused.
RECORDS_FORMAT = 1
_UPDATE = "biasaudit baseline update"


def _plain(values: pd.Series) -> list[Any]:
    """Column values as plain Python objects, missing values as None."""
    objects = values.astype(object)
    return objects.where(values.notna().to_numpy(), None).tolist()


def pool_identity(frame: pd.DataFrame, *, id: str | None, columns: Sequence[str]) -> str:
    """SHA-256 of the pool's ``columns``: what makes two audits' candidates the same.

    Rows are taken in the order of the ``id`` column (as text; row order when there
    is none) and columns in name order, so re-sorting a file with ids, or adding a
    column that is not listed (the scores of another matcher), keeps the identity;
    any change to a listed column (a candidate, an attribute, a label) changes it.

    Examples
    --------
    >>> df = pd.DataFrame({"cid": [2, 1], "sex": ["F", "M"], "score": [0.1, 0.9]})
    >>> a = pool_identity(df, id="cid", columns=["cid", "sex"])
    >>> b = pool_identity(df.iloc[::-1].assign(score=[5, 6]), id="cid", columns=["cid", "sex"])
    >>> a == b, a == pool_identity(df.assign(sex=["M", "M"]), id="cid", columns=["cid", "sex"])
    (True, False)
    """
    if id is not None:
        order = np.argsort(frame[id].astype(str).to_numpy(), kind="stable")
    else:
        order = np.arange(len(frame))
    digest = hashlib.sha256(f"rows={len(frame)};id={id}".encode())
    for column in sorted(dict.fromkeys(columns), key=str):
        values = _plain(frame[column].iloc[order])
        digest.update(json.dumps([str(column), values], default=str).encode())
    return digest.hexdigest()


def _bits(values: np.ndarray | None) -> str | None:
    if values is None:
        return None
    return base64.b64encode(np.packbits(np.asarray(values, dtype=bool)).tobytes()).decode("ascii")


def _unbits(text: str | None, count: int) -> np.ndarray | None:
    if text is None:
        return None
    packed = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    return np.unpackbits(packed, count=count).astype(bool)


@dataclass(frozen=True)
class Records:
    """Per-row facts of one audit, in canonical (id, job) order.

    ``cell`` indexes the product of ``categories`` (one tuple per attribute, with
    ``Unknown`` last when present), as ``numpy.ravel_multi_index`` does.
    """

    attributes: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    cell: np.ndarray
    label: np.ndarray | None
    selected: np.ndarray | None
    above_median: np.ndarray | None
    pool_sha256: str
    keys_sha256: str
    id_column: str | None = None
    job_column: str | None = None
    pool_sha256_of: str = ""

    @property
    def count(self) -> int:
        """Number of audited rows."""
        return len(self.cell)

    @classmethod
    def build(
        cls,
        pool: Any,
        *,
        selected: np.ndarray | None,
        above_median: np.ndarray | None,
        ids: np.ndarray,
        pool_sha256: str,
        id_column: str | None,
        pool_sha256_of: str = "",
    ) -> Records:
        """Records of an audited :class:`~biasaudit.CandidatePool` and its decisions."""
        names = tuple(pool.attributes)
        codes = [pool.attribute_codes[a] for a in names]
        sizes = [len(c.categories) for c in codes]
        cell = np.ravel_multi_index([c.codes.astype(np.int64) for c in codes], sizes)
        id_text = np.asarray([str(x) for x in ids])
        if pool.job_codes is not None:
            job_text = np.asarray(pool.job_codes.categories, dtype=object)[pool.job_codes.codes]
            job_text = job_text.astype(str)
        else:
            job_text = np.full(len(id_text), "")
        order = np.lexsort((job_text, id_text))
        keys = json.dumps([id_text[order].tolist(), job_text[order].tolist()])
        take = lambda a: None if a is None else np.asarray(a, dtype=bool)[order]  # noqa: E731
        return cls(
            attributes=names,
            categories=tuple(tuple(c.categories) for c in codes),
            cell=cell[order],
            label=take(pool.arrays.get("label")),
            selected=take(selected),
            above_median=take(above_median),
            pool_sha256=pool_sha256,
            keys_sha256=hashlib.sha256(keys.encode()).hexdigest(),
            id_column=id_column,
            job_column=pool.job,
            pool_sha256_of=pool_sha256_of,
        )

    def group_mask(self, attributes: Sequence[str], values: Sequence[str]) -> np.ndarray:
        """Boolean mask over the finest cells: which cells belong to the group."""
        sizes = [len(c) for c in self.categories]
        grid = np.unravel_index(np.arange(int(np.prod(sizes))), sizes)
        mask = np.ones(int(np.prod(sizes)), dtype=bool)
        for attribute, value in zip(attributes, values):
            if attribute not in self.attributes:
                return np.zeros_like(mask)
            i = self.attributes.index(attribute)
            if value not in self.categories[i]:
                return np.zeros_like(mask)
            mask &= grid[i] == self.categories[i].index(value)
        return mask

    # -- JSON ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """JSON-able form (``sections["gate"]["records"]``)."""
        n_cells = int(np.prod([len(c) for c in self.categories]))
        dtype = "<u2" if n_cells <= np.iinfo(np.uint16).max else "<u4"
        return {
            "format": RECORDS_FORMAT,
            "count": self.count,
            "order": "rows sorted by (id, job) as text",
            "pool_sha256": self.pool_sha256,
            "pool_sha256_of": self.pool_sha256_of,
            "keys_sha256": self.keys_sha256,
            "id_column": self.id_column,
            "job_column": self.job_column,
            "attributes": list(self.attributes),
            "categories": [list(c) for c in self.categories],
            "cell": {
                "dtype": dtype,
                "data": base64.b64encode(self.cell.astype(dtype).tobytes()).decode("ascii"),
            },
            "encoding": "decisions bit-packed with numpy.packbits (big-endian), base64",
            "label": _bits(self.label),
            "selected": _bits(self.selected),
            "above_median": _bits(self.above_median),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Records:
        """Records from :meth:`to_json` output (format checked by the caller)."""
        count = int(data["count"])
        cell = np.frombuffer(base64.b64decode(data["cell"]["data"]), dtype=data["cell"]["dtype"])
        return cls(
            attributes=tuple(data["attributes"]),
            categories=tuple(tuple(c) for c in data["categories"]),
            cell=cell.astype(np.int64),
            label=_unbits(data.get("label"), count),
            selected=_unbits(data.get("selected"), count),
            above_median=_unbits(data.get("above_median"), count),
            pool_sha256=str(data["pool_sha256"]),
            keys_sha256=str(data["keys_sha256"]),
            id_column=data.get("id_column"),
            job_column=data.get("job_column"),
            pool_sha256_of=str(data.get("pool_sha256_of", "")),
        )

    @classmethod
    def of(cls, result: AuditResult, which: str) -> Records:
        """The records inside a result, or a clear error naming ``which`` audit."""
        data = ((result.sections or {}).get("gate") or {}).get("records")
        if not isinstance(data, dict):
            raise E.ValidationError(M.NO_RECORDS.format(which=which))
        if data.get("format") != RECORDS_FORMAT:
            raise E.ValidationError(
                M.RECORDS_FORMAT.format(
                    which=which, found=data.get("format"), expected=RECORDS_FORMAT, command=_UPDATE
                )
            )
        return cls.from_json(data)


def pairing_problems(baseline: Records, candidate: Records) -> list[str]:
    """Why two audits' rows cannot be paired (empty when they can)."""
    problems = []
    if baseline.pool_sha256 != candidate.pool_sha256:
        problems.append(
            f"pool content SHA-256 {baseline.pool_sha256[:12]}… (baseline) vs "
            f"{candidate.pool_sha256[:12]}… (candidate)"
        )
    if baseline.count != candidate.count:
        problems.append(f"{baseline.count} vs {candidate.count} audited rows")
    elif baseline.keys_sha256 != candidate.keys_sha256:
        problems.append("different candidate ids or jobs")
    elif (baseline.label is None) != (candidate.label is None) or (
        baseline.label is not None
        and candidate.label is not None
        and not np.array_equal(baseline.label, candidate.label)
    ):
        problems.append("different labels")
    return problems
