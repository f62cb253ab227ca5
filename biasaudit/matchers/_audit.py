"""Scoring a pool with a matcher at the start of :func:`biasaudit.audit`."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._io import file_sha256
from biasaudit.matchers._engine import score_candidates, to_pandas
from biasaudit.matchers._jobs import load_jobs
from biasaudit.matchers._registry import _factory, get
from biasaudit.matchers.callable import CallableMatcher
from biasaudit.pool import CandidatePool

__all__ = ["DEFAULT_SCORE_COLUMN", "build_matcher", "score_for_audit"]

#: Column that receives the matcher's scores unless ``score=`` names another.
DEFAULT_SCORE_COLUMN = "matcher_score"


def build_matcher(
    matcher: Any, options: Mapping[str, Any] | None = None, text_column: str | None = None
) -> Any:
    """A matcher from a registry name, a matcher object or a plain function.

    Examples
    --------
    >>> build_matcher("tfidf", text_column="resume").text_column
    'resume'
    """
    options = dict(options or {})
    if isinstance(matcher, str):
        if text_column is not None:
            factory, _ = _factory(matcher)
            try:
                accepts = "text_column" in inspect.signature(factory).parameters
            except (TypeError, ValueError):
                accepts = True
            if not accepts:
                raise E.ValidationError(
                    E.MATCHER_ARGUMENT_CONFLICT.format(
                        problem=f"The {matcher!r} matcher reads no text column, "
                        f"but text_column={text_column!r} was given.",
                        fix="Leave text_column out, or use a text matcher (tfidf, embedding, llm).",
                    )
                )
            options.setdefault("text_column", text_column)
        return get(matcher, **options)
    if options or text_column is not None:
        raise E.ValidationError(
            E.MATCHER_ARGUMENT_CONFLICT.format(
                problem="matcher_options= and text_column= apply only to a matcher given by name.",
                fix="Pass those settings to the matcher object you built.",
            )
        )
    if hasattr(matcher, "score") and hasattr(matcher, "fingerprint"):
        return matcher
    if callable(matcher):
        return CallableMatcher(matcher)
    raise E.ValidationError(E.NOT_A_MATCHER.format(what=repr(matcher)[:80]))


def _frame(data: Any) -> tuple[pd.DataFrame, dict[str, Any]]:

    if isinstance(data, CandidatePool):
        raise E.ValidationError(
            E.MATCHER_ARGUMENT_CONFLICT.format(
                problem="A CandidatePool is already final and cannot be scored by a matcher.",
                fix="Pass the table itself (a DataFrame or a file) with matcher=.",
            )
        )
    facts: dict[str, Any] = {}
    if isinstance(data, (str, Path)) and Path(data).exists():
        facts = {"input_file": str(data), "input_file_sha256": file_sha256(data)}
    return to_pandas(data), facts


def _hidden(
    frame: pd.DataFrame, matcher: Any, attributes: Sequence[str], roles: Sequence[str | None]
) -> list[str]:
    """Columns a matcher must not see: protected attributes (unless it asks) and outcomes."""
    visible = set(getattr(matcher, "uses_attributes", ()) or ())
    hidden = [a for a in attributes if a not in visible]
    hidden += [r for r in roles if r is not None]
    return [c for c in dict.fromkeys(hidden) if c in frame.columns]


def score_for_audit(
    data: Any,
    *,
    matcher: Any,
    jobs: Any,
    text_column: str | None,
    matcher_options: Mapping[str, Any] | None,
    attributes: Sequence[str] | str | None,
    score: str | None,
    job: str | None,
    label: str | None,
    selected: str | None,
    cache: Any = None,
    progress: bool | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, str, str | None, dict[str, Any]]:
    """Score ``data`` with the matcher; return the new table, score and job columns, metadata.

    The caller's table is never modified: scores go into a new frame. The
    matcher sees every column except the protected attributes (unless it
    declares ``uses_attributes``), the label and the selected column, so it
    never knows about groups. With several jobs and no job column, every
    candidate is scored for every job and the table is repeated per job with
    a new ``job`` column.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["F", "M"], "years": [2, 6]})
    >>> new, score, job, meta = score_for_audit(
    ...     df, matcher=lambda c, j: c["years"] / 10, jobs=None, text_column=None,
    ...     matcher_options=None, attributes=["sex"], score=None, job=None, label=None,
    ...     selected=None)
    >>> new["matcher_score"].tolist(), "matcher_score" in df.columns
    ([0.2, 0.6], False)
    """
    if matcher is None:
        raise E.ValidationError(
            E.MATCHER_ARGUMENT_CONFLICT.format(
                problem="jobs=, text_column= or matcher_options= were given without a matcher.",
                fix="Pass matcher='tfidf' (or another matcher), or leave those out.",
            )
        )
    built = build_matcher(matcher, matcher_options, text_column)
    frame, facts = _frame(data)
    column = score or DEFAULT_SCORE_COLUMN
    if column in frame.columns:
        raise E.ValidationError(E.SCORE_COLUMN_EXISTS.format(column=column))
    attrs = E.attribute_list(attributes)
    job_list = load_jobs(jobs) if jobs is not None else None
    cross = job is None and job_list is not None and len(job_list) > 1
    visible = frame.drop(columns=_hidden(frame, built, attrs, [label, selected]))
    report = score_candidates(
        built, visible, job_list, job_column=job, cross=cross, cache=cache, progress=progress
    )
    report.raise_for_failures()
    if cross:
        job = "job" if "job" not in frame.columns else "matcher_job"
        assert job_list is not None  # cross mode: more than one job
        ids = [j.id for j in job_list]
        out = frame.iloc[np.tile(np.arange(len(frame)), len(ids))].reset_index(drop=True)
        out[job] = np.repeat(ids, len(frame))
    else:
        out = frame.copy(deep=False)
    out[column] = report.scores
    describe = getattr(built, "describe", None)
    info = describe() if callable(describe) else {"fingerprint": str(built.fingerprint)}
    info.setdefault("fingerprint", str(built.fingerprint))
    stats = getattr(built, "stats", None)
    record = {
        **info,
        "score_column": column,
        "job_column": job,
        "jobs": [j.id for j in job_list] if job_list else None,
        "every_candidate_for_every_job": cross,
        "hidden_columns": _hidden(frame, built, attrs, [label, selected]),
        "scoring": {**report.describe(), **(dict(stats) if isinstance(stats, Mapping) else {})},
        **facts,
    }
    return out, column, job, {**dict(metadata or {}), "matcher": record}
