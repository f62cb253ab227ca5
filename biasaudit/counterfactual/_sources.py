"""The resumes to vary: validated ids and texts, and where each one states its name."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import validate_params
from biasaudit.counterfactual import _messages as M
from biasaudit.counterfactual._design import _ON_MISSING, BOOKKEEPING


# -- sources: validated resumes and their names ----------------------------------------
@dataclass
class _Source:
    frame: pd.DataFrame  # the caller's data (never modified)
    rows: np.ndarray  # kept row positions, one per unit
    ids: np.ndarray  # source id per unit
    jobs: np.ndarray | None  # job per unit (cross mode), else None
    first: list[str]
    last: list[str | None]
    full: list[str]
    text: list[str]
    patterns: list[re.Pattern[str]]
    counts: dict[str, Any]


def _column(frame: pd.DataFrame, column: str | None, role: str) -> None:
    if column is not None and column not in frame.columns:
        raise E.ValidationError(
            E.MISSING_COLUMN.format(column=column, present=list(frame.columns), role=role)
        )


def _as_text(series: pd.Series) -> list[str | None]:
    values = series.astype(object).where(series.notna(), None).tolist()
    return [None if v is None or str(v).strip() == "" else str(v).strip() for v in values]


def _names(
    frame: pd.DataFrame, name_column: str | None, first_column: str | None, last_column: str | None
) -> tuple[list[str | None], list[str | None], list[str | None]]:
    """(first, last, full) per row; None where a name is missing."""
    if name_column is not None:
        full = _as_text(frame[name_column])
        parts = [None if f is None else f.split() for f in full]
        first = [None if p is None else p[0] for p in parts]
        last = [None if p is None or len(p) < 2 else p[-1] for p in parts]
        return first, last, full
    first = _as_text(frame[first_column])
    last = _as_text(frame[last_column]) if last_column else [None] * len(frame)
    if last_column:
        full = [None if f is None or s is None else f"{f} {s}" for f, s in zip(first, last)]
    else:
        full = list(first)
    return first, last, full


def _word(text: str) -> str:
    return r"(?<!\w)" + re.escape(text) + r"(?!\w)"


def _name_pattern(first: str, last: str | None, full: str) -> re.Pattern[str]:
    """Whole-word matches of the full name, first and last name, as written and in capitals."""
    forms = {full, full.upper(), first, first.upper()}
    if last:
        forms |= {last, last.upper()}
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")


def _check_columns(frame: pd.DataFrame, id_column: str | None) -> None:
    clash = [c for c in BOOKKEEPING if c in frame.columns]
    if clash:
        raise E.ValidationError(M.COLUMN_CLASH.format(columns=clash))
    if id_column is not None:
        counts = frame[id_column].value_counts()
        dup = counts[counts > 1]
        if len(dup):
            raise E.ValidationError(
                M.DUPLICATE_IDS.format(
                    column=id_column, count=len(dup), values=[_plain(v) for v in dup.index[:5]]
                )
            )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@validate_params({"on_missing": _ON_MISSING})
def prepare(
    frame: pd.DataFrame,
    *,
    text_column: str,
    name_column: str | None,
    first_name_column: str | None,
    last_name_column: str | None,
    id_column: str | None,
    on_missing: str,
    need_name: bool = True,
) -> _Source:
    """Validate the resumes, find each name in its text, and drop or refuse those without."""
    _column(frame, text_column, "text_column")
    for column, role in (
        (name_column, "name_column"),
        (first_name_column, "first_name_column"),
        (last_name_column, "last_name_column"),
        (id_column, "id"),
    ):
        _column(frame, column, role)
    if need_name and name_column is None and first_name_column is None:
        if last_name_column is not None:
            raise E.ValidationError(M.LAST_WITHOUT_FIRST.format(last=last_name_column))
        raise E.ValidationError(M.NO_NAME_COLUMN.format(present=list(frame.columns)))
    if name_column is not None and first_name_column is not None:
        raise E.ValidationError(
            M.CONFLICTING_NAME_COLUMNS.format(name=name_column, first=first_name_column)
        )
    _check_columns(frame, id_column)
    ids = (
        np.asarray([_plain(v) for v in frame[id_column]], dtype=object)
        if id_column is not None
        else np.arange(len(frame), dtype=object)
    )
    text = [str(t) if t is not None else "" for t in _as_raw_text(frame[text_column])]
    if need_name:
        first, last, full = _names(frame, name_column, first_name_column, last_name_column)
    else:
        first = last = full = [None] * len(frame)
    what = f"column {name_column!r}" if name_column else f"column {first_name_column!r}"
    if last_name_column:
        what = f"columns {first_name_column!r} + ' ' + {last_name_column!r}"
    names = (first, last, full)
    return _find_names(frame, ids, text, names, on_missing, what, text_column, need_name)


def _as_raw_text(series: pd.Series) -> list[str | None]:
    return series.astype(object).where(series.notna(), None).tolist()


def _find_names(frame, ids, text, names, on_missing, what, text_column, need_name) -> _Source:
    first, last, full = names
    n = len(frame)
    keep, patterns, no_value, absent = [], [], [], []
    for i in range(n):
        if not need_name:
            keep.append(i)
            continue
        if full[i] is None:
            no_value.append(i)
            continue
        if re.search(_word(full[i]) + "|" + _word(full[i].upper()), text[i]) is None:
            absent.append(i)
            continue
        keep.append(i)
        patterns.append(_name_pattern(first[i], last[i], full[i]))
    if on_missing == "raise" and no_value:
        raise E.ValidationError(
            M.MISSING_NAME_VALUE.format(
                count=len(no_value), what=what, ids=[_plain(ids[i]) for i in no_value[:5]]
            )
        )
    if on_missing == "raise" and absent:
        raise E.ValidationError(
            M.NAME_NOT_IN_TEXT.format(
                count=len(absent),
                total=n,
                what=what,
                column=text_column,
                ids=[_plain(ids[i]) for i in absent[:5]],
            )
        )
    dropped = sorted(no_value + absent)
    if not keep:
        raise E.ValidationError(M.NO_RESUME_LEFT.format(count=n))
    if dropped:
        warnings.warn(
            f"{len(dropped)} of {n} resume(s) left out: no name found in the text "
            f"(first ids: {[_plain(ids[i]) for i in dropped[:5]]}).",
            E.BiasAuditWarning,
            stacklevel=4,
        )
    rows = np.asarray(keep, dtype=np.int64)
    counts = {
        "resumes": n,
        "kept": len(keep),
        "dropped_without_name": len(dropped),
        "dropped_ids": [_plain(ids[i]) for i in dropped[:20]],
    }
    return _Source(
        frame=frame,
        rows=rows,
        ids=ids[rows],
        jobs=None,
        first=[first[i] for i in keep],
        last=[last[i] for i in keep],
        full=[full[i] for i in keep],
        text=[text[i] for i in keep],
        patterns=patterns,
        counts=counts,
    )


def cross_jobs(source: _Source, job_ids: Sequence[str]) -> _Source:
    """Every resume paired with every job: the compared unit becomes a resume-job pair."""
    k = len(job_ids)
    take = np.repeat(np.arange(len(source.rows)), k)

    def rep(values: list) -> list:
        return [values[i] for i in take]

    return _Source(
        frame=source.frame,
        rows=source.rows[take],
        ids=source.ids[take],
        jobs=np.tile(np.asarray(job_ids, dtype=object), len(source.rows)),
        first=rep(source.first),
        last=rep(source.last),
        full=rep(source.full),
        text=rep(source.text),
        patterns=rep(source.patterns) if source.patterns else [],
        counts={**source.counts, "jobs_per_resume": k},
    )
