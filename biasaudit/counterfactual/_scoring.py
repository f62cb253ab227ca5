"""Scoring variants with any matcher, through the shared engine (batches, cache, progress)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from biasaudit.counterfactual import _messages as M
from biasaudit.matchers._audit import build_matcher
from biasaudit.matchers._base import MatcherError
from biasaudit.matchers._engine import content_hashes, matcher_name, score_candidates
from biasaudit.matchers._registry import _factory

__all__ = ["describe_matcher", "is_rank_mode", "resolve_matcher", "score_rows"]


def resolve_matcher(
    matcher: Any, options: Mapping[str, Any] | None, text_column: str | None
) -> Any:
    """A matcher object; a matcher given by name reads ``text_column`` when it reads text.

    Examples
    --------
    >>> resolve_matcher("tfidf", None, "resume").text_column
    'resume'
    >>> resolve_matcher("skills", {"skills_column": "skills"}, "resume").text_column
    'resume'
    """

    if not isinstance(matcher, str):
        return build_matcher(matcher, options)
    options = dict(options or {})
    factory, _ = _factory(matcher)
    try:
        accepts = "text_column" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        accepts = False
    if accepts and text_column is not None:
        options.setdefault("text_column", text_column)
    return build_matcher(matcher, options)


def is_rank_mode(matcher: Any) -> bool:
    """True for a matcher whose scores are positions within a shortlist (``llm``, rank mode)."""
    return getattr(matcher, "mode", None) == "rank"


def describe_matcher(matcher: Any) -> dict[str, Any]:
    """Name, fingerprint and parameters, for the provenance."""
    describe = getattr(matcher, "describe", None)
    info = dict(describe()) if callable(describe) else {}
    info.setdefault("name", str(getattr(matcher, "name", None) or type(matcher).__name__))
    info.setdefault("fingerprint", str(matcher.fingerprint))
    return info


def score_rows(
    matcher: Any,
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    jobs: Any,
    job_column: str | None,
    ids: Sequence[Any],
    cache: Any = None,
    progress: bool | None = None,
    batch_size: int | None = None,
    dedupe: bool = True,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Scores of ``frame``'s rows (the matcher sees only ``columns``); stops on any gap.

    A deterministic pointwise matcher scores each distinct row once (``dedupe``):
    variants that happen to be identical share a score. A row the matcher could not
    score is an error naming the matcher, how many and the first variant ids.
    """

    visible = frame.loc[:, list(columns)]
    take = np.arange(len(visible))
    inverse = take
    if dedupe and getattr(matcher, "deterministic", True) and not is_rank_mode(matcher):
        hashes = content_hashes(visible)
        _, take, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        take, inverse = np.ravel(take), np.ravel(inverse)
    unique = visible.iloc[take].reset_index(drop=True)
    report = score_candidates(
        matcher,
        unique,
        jobs,
        job_column=job_column,
        cache=None if is_rank_mode(matcher) else cache,
        batch_size=batch_size,
        progress=progress,
    )
    scores = report.scores[inverse]
    failed = np.flatnonzero(np.isnan(scores))
    if len(failed):
        reasons = report.failures or {"no score (NaN)": int(np.isnan(report.scores).sum())}
        raise MatcherError(
            M.VARIANTS_UNSCORED.format(
                matcher=matcher_name(matcher),
                count=len(failed),
                total=len(scores),
                ids=[ids[i] for i in failed[:5]],
                reasons=dict(reasons),
            )
        )
    return scores, {**report.describe(), "distinct_rows": len(unique), "rows": len(frame)}
