"""Scoring a Dask DataFrame with a matcher on the workers, before the Dask reduction.

Each partition is scored where it lives by the in-memory scoring engine
(:func:`biasaudit.matchers.score_candidates`: batches, the matcher's own
concurrency, the score cache) with its own copy of the matcher, sent once per
worker with cloudpickle. Only the columns the audit reads, plus the new score
column, are kept and persisted on the workers; the Dask reduction then runs on
that persisted frame, so every pass over it (median, histograms, statistics)
reads scores that were computed once.

The score cache is *shared*: every partition opens the same SQLite file, whose
path (made absolute on the client) must be reachable from every worker. SQLite's
file lock serialises the writers; each finished batch is one short transaction,
so a failing or interrupted run keeps every batch already answered, on every
worker, and a rerun scores only what is missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit.engine._dask import _require_dask
from biasaudit.matchers._audit import DEFAULT_SCORE_COLUMN, _hidden, build_matcher
from biasaudit.matchers._base import MatcherError
from biasaudit.matchers._engine import _progress_bar, check_job_ids, matcher_name, score_candidates
from biasaudit.matchers._jobs import load_jobs

__all__ = ["score_dask_for_audit"]


@dataclass(frozen=True)
class _Spec:
    """What every partition task needs to know (sent once, as one graph key)."""

    fingerprint: str
    name: str
    jobs: tuple[Any, ...] | None
    job: str | None
    cross: bool
    cache: str | None
    hidden: tuple[str, ...]
    keep: tuple[str, ...]
    column: str
    out_job: str | None


class _Pinned:
    """The worker's copy of a matcher, answering to the client's fingerprint.

    A function's fingerprint hashes its source; on a worker without the source
    (a notebook cell, a ``__main__`` script) it would fall back to bytecode and
    the cache keys would differ from the client's. Pinning keeps them equal.
    """

    def __init__(self, matcher: Any, fingerprint: str, name: str) -> None:
        self._matcher = matcher
        self.fingerprint = fingerprint
        self.name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._matcher, attribute)

    def score(self, candidates: pd.DataFrame, job: Any) -> Any:
        return self._matcher.score(candidates, job)


def _counters(matcher: Any) -> dict[str, int | float | np.number]:
    stats = getattr(matcher, "stats", None)
    if not isinstance(stats, Mapping):
        return {}
    return {str(k): v for k, v in stats.items() if isinstance(v, (int, float, np.number))}


def _assemble(part: pd.DataFrame, scores: np.ndarray, spec: _Spec) -> pd.DataFrame:
    """The columns the audit reads, repeated per job in cross mode, plus the scores."""
    frame = part[list(spec.keep)].reset_index(drop=True)
    if spec.cross:
        assert spec.jobs is not None  # cross mode scores every row against every job
        ids = [j.id for j in spec.jobs]
        n = len(frame)
        frame = frame.iloc[np.tile(np.arange(n), len(ids))].reset_index(drop=True)
        frame[spec.out_job] = pd.array(np.repeat(np.asarray(ids, dtype=object), n), dtype=object)
    frame[spec.column] = np.asarray(scores, dtype=np.float64)
    return frame


def _score_partition(part: pd.DataFrame, blob: bytes, spec: _Spec) -> tuple[pd.DataFrame, dict]:
    """Score one partition on its worker; return the scored columns and a summary."""
    import cloudpickle

    summary: dict[str, Any] = {"rows": len(part), "pairs": 0, "scored": 0, "from_cache": 0}
    summary.update(failed=0, failures={}, failed_rows=[], stats={})
    if len(part) == 0:
        return _assemble(part, np.zeros(0), spec), summary
    matcher = _Pinned(cloudpickle.loads(blob), spec.fingerprint, spec.name)
    before = _counters(matcher)
    report = score_candidates(
        matcher,
        part.drop(columns=list(spec.hidden)),
        spec.jobs,
        job_column=spec.job,
        cross=spec.cross,
        cache=spec.cache,
        quiet=True,
    )
    after = _counters(matcher)
    failed = np.isnan(report.scores)
    summary.update(report.describe())
    summary["failures"] = dict(report.failures)
    summary["failed_rows"] = report.rows[failed][:5].tolist()
    summary["stats"] = {k: v - before.get(k, 0) for k, v in after.items()}
    return _assemble(part, report.scores, spec), summary


def _check_jobs(ddf: Any, matcher: Any, job_list: Any, job: str | None, dask: Any) -> None:
    """The errors the scoring engine would raise per partition, raised once for the pool."""

    if not job_list and getattr(matcher, "needs_job", False):
        raise E.ValidationError(E.MATCHER_NEEDS_JOB.format(matcher=matcher_name(matcher)))
    if job is None or not job_list:
        return
    values, has_missing = dask.compute(
        ddf[job].dropna().astype(str).drop_duplicates(split_out=1), ddf[job].isna().any()
    )
    present = [*values.tolist(), *([None] if has_missing else [])]
    check_job_ids(job, present, [j.id for j in job_list])


def _cache_path(cache: Any) -> str | None:
    """An absolute path every worker opens (a ScoreCache object gives its file)."""
    if cache is None:
        return None
    path = getattr(cache, "path", cache)
    return str(Path(path).expanduser().resolve())


def _run(
    ddf: Any, blob: bytes, spec: _Spec, dask: Any, progress: bool | None = None
) -> tuple[Any, list[dict]]:
    """Score every partition; persist the scored frame on the workers; gather the summaries."""
    import dask.dataframe as dd

    meta = _assemble(ddf._meta, np.zeros(0), spec)
    blob_key, spec_key = dask.delayed(blob), dask.delayed(spec)
    tasks = dask.persist(
        *[
            dask.delayed(_score_partition, nout=2)(part, blob_key, spec_key)
            for part in ddf.to_delayed()
        ]
    )
    _wait_for_all(list(tasks), progress, spec.name)
    summaries = dask.compute(*[t[1] for t in tasks])  # raises the first partition's error
    scored = dd.from_delayed([t[0] for t in tasks], meta=meta, verify_meta=False)
    return scored, list(summaries)


def _wait_for_all(collections: list[Any], progress: bool | None = None, name: str = "") -> None:
    """On a cluster, let every partition finish (or fail) before any error is raised.

    A partition that fails does not cut the others short: their scores reach the
    cache, so the rerun after a fix pays only for what failed. The progress bar
    (on a terminal or in a notebook, or as ``progress=`` says) counts partitions.
    """
    try:
        from distributed import as_completed, futures_of, wait
    except ImportError:  # pragma: no cover - the local scheduler computed everything
        return

    futures = futures_of(collections)
    if not futures:
        return
    bar = _progress_bar(progress, False, len(futures), f"{name} on dask", unit="partition")
    if bar is None:
        wait(futures)
        return
    with bar:
        for _ in as_completed(futures):
            bar.update(1)


def _failures(summaries: list[dict], name: str) -> None:
    """One MatcherError for the whole pool, with global row positions."""

    count = sum(s["failed"] for s in summaries)
    if not count:
        return
    offsets = np.concatenate(([0], np.cumsum([s["rows"] for s in summaries])[:-1]))
    rows = [int(o) + r for s, o in zip(summaries, offsets) for r in s["failed_rows"]][:5]
    reasons: Counter[str] = Counter()
    for s in summaries:
        reasons.update(s["failures"])
    raise MatcherError(
        E.MATCHER_FAILED_ROWS.format(
            matcher=name,
            count=count,
            total=sum(s["pairs"] for s in summaries),
            rows=rows,
            reasons=dict(reasons) or {"no score returned": count},
        )
    )


def score_dask_for_audit(
    ddf: Any,
    *,
    matcher: Any,
    jobs: Any,
    text_column: str | None,
    matcher_options: Mapping[str, Any] | None,
    attributes: Sequence[str] | str | None,
    roles: Mapping[str, Any],
    cache: Any = None,
    metadata: Mapping[str, Any] | None = None,
    progress: bool | None = None,
) -> tuple[Any, str, str | None, dict[str, Any]]:
    """Score a Dask DataFrame on its workers; return the scored frame, columns and metadata.

    The counterpart of :func:`biasaudit.matchers._audit.score_for_audit` for a
    Dask DataFrame: the same hidden columns, job handling (each row for its own
    job, or every candidate for every job) and provenance record; the scoring
    runs partition by partition on the workers and the result is persisted
    there, keeping only the columns the audit reads.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The candidates.
    matcher, jobs, text_column, matcher_options :
        As for :func:`biasaudit.audit`.
    attributes : sequence of str
        Protected attributes (hidden from the matcher unless it asks for them).
    roles : mapping
        The audit's ``score``, ``job``, ``label``, ``selected``, ``rank`` and ``id`` columns.
    cache : str, Path or ScoreCache, optional
        The shared score cache; its absolute path must be reachable from every worker.
    metadata : mapping, optional
        The caller's metadata; the matcher record is added under ``"matcher"``.
    progress : bool, optional
        A progress bar over partitions (default: on a terminal or in a notebook).

    Returns
    -------
    scored, score_column, job_column, metadata
    """
    import cloudpickle

    dask = _require_dask()
    built = build_matcher(matcher, matcher_options, text_column)
    column = roles.get("score") or DEFAULT_SCORE_COLUMN
    if column in ddf.columns:
        raise E.ValidationError(E.SCORE_COLUMN_EXISTS.format(column=column))
    attrs = E.attribute_list(attributes)
    given = {k: v for k, v in roles.items() if k != "score"}
    E.check_columns(ddf.columns, attrs, given)
    job = roles.get("job")
    job_list = load_jobs(jobs) if jobs is not None else None
    _check_jobs(ddf, built, job_list, job, dask)
    cross = job is None and job_list is not None and len(job_list) > 1
    out_job = ("job" if "job" not in ddf.columns else "matcher_job") if cross else job
    hidden = _hidden(ddf, built, attrs, [roles.get("label"), roles.get("selected")])
    keep = [c for c in dict.fromkeys([*attrs, *given.values()]) if c is not None]
    spec = _Spec(
        fingerprint=str(built.fingerprint),
        name=matcher_name(built),
        jobs=job_list,
        job=job,
        cross=cross,
        cache=_cache_path(cache),
        hidden=tuple(hidden),
        keep=tuple(keep),
        column=column,
        out_job=out_job,
    )
    scored, summaries = _run(ddf, cloudpickle.dumps(built), spec, dask, progress)
    _failures(summaries, spec.name)
    return scored, column, out_job, _record(built, spec, summaries, metadata)


def _record(
    built: Any, spec: _Spec, summaries: list[dict], metadata: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The provenance's matcher record, as for an in-memory audit, plus where it ran."""
    describe = getattr(built, "describe", None)
    info = describe() if callable(describe) else {"fingerprint": spec.fingerprint}
    info.setdefault("fingerprint", spec.fingerprint)
    totals = {k: sum(s[k] for s in summaries) for k in ("pairs", "scored", "from_cache", "failed")}
    counters: Counter[str] = Counter(_counters(built))
    for s in summaries:
        counters.update(s["stats"])
    record = {
        **info,
        "score_column": spec.column,
        "job_column": spec.out_job,
        "jobs": [j.id for j in spec.jobs] if spec.jobs else None,
        "every_candidate_for_every_job": spec.cross,
        "hidden_columns": list(spec.hidden),
        "scoring": {**totals, **dict(counters)},
        "scored_on": f"dask workers ({len(summaries)} partitions)",
        "cache": "shared SQLite file, one per audit, opened by every worker"
        if spec.cache
        else None,
    }
    return {**dict(metadata or {}), "matcher": record}
