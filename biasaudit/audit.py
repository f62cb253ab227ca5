"""audit(): one configuration -> engine reduction -> metrics -> AuditResult.

``audit()`` checks its arguments (``validate_params``), builds one frozen
:class:`AuditConfig`, scores the candidates first when a matcher is given, asks
:func:`biasaudit.engine.reduce` for the sufficient statistics (the engine picks
itself from the data), and assembles the result
(:func:`biasaudit.results._assemble.result_from_stats`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from biasaudit._validation import Interval, instance_of, validate_params
from biasaudit.decisions import RULE_CONSTRAINTS
from biasaudit.engine import ReduceRequest, check_dask_rule, pool_source, reduce
from biasaudit.engine._dask import is_dask
from biasaudit.engine._dask_scoring import score_dask_for_audit
from biasaudit.matchers._audit import score_for_audit
from biasaudit.metrics._table import MAX_GROUPS, TableSpec, check_table_sizes
from biasaudit.metrics.significance import ALPHA, CONFIDENCE, CORRECTION
from biasaudit.pool import CandidatePool, combinations_for
from biasaudit.ranking import check_ranking_roles, ranking_options, ranking_section
from biasaudit.regulations import MIN_SHARE
from biasaudit.results import AuditResult
from biasaudit.results._assemble import check_reference, result_from_stats

__all__ = [
    "AUDIT_CONSTRAINTS",
    "MAX_GROUPS",
    "AuditConfig",
    "audit",
    "combinations_for",
    "pool_source",
    "result_from_stats",
]


#: The values each audit() parameter accepts (checked by validate_params, one message shape).
AUDIT_CONSTRAINTS: dict[str, list[Any]] = {
    **RULE_CONSTRAINTS,
    "min_share": [Interval(Real, 0, 1, closed="left", fix="Pass e.g. min_share=0.02.")],
    "correction": [CORRECTION],
    "alpha": [ALPHA],
    "confidence": [CONFIDENCE],
    "exact_auc": [instance_of(bool)],
    "progress": [None, instance_of(bool)],
    "max_groups": [Interval(Integral, 1, None, fix="Pass e.g. max_groups=5000.")],
}


@dataclass(frozen=True)
class AuditConfig(ReduceRequest):
    """Every option of one :func:`audit` call, checked once and handed down.

    ``audit()`` builds it from its keyword arguments. It is the engine's
    :class:`~biasaudit.engine.ReduceRequest` (the columns, the decision rule,
    the AUC wish) plus what the result assembly, the scoring and the ranking
    section read: no option dictionaries keyed by strings. ``ranking`` holds
    the validated :func:`biasaudit.rank_audit` options, or ``None`` for no
    ranking section.
    """

    reference_group: Mapping[str, Any] | None = None
    min_share: float = MIN_SHARE
    correction: str = "holm"
    alpha: float = 0.05
    confidence: float = 0.95
    metadata: Mapping[str, Any] | None = None
    matcher: Any = None
    jobs: Any = None
    text_column: str | None = None
    matcher_options: Mapping[str, Any] | None = None
    cache: Any = None
    progress: bool | None = None
    ranking: Mapping[str, Any] | None = None
    max_groups: int = MAX_GROUPS

    @property
    def scores_first(self) -> bool:
        """Whether a matcher scores the candidates before the audit."""
        options = (self.matcher, self.jobs, self.text_column, self.matcher_options)
        return any(v is not None for v in options)

    def spec(self, known: Mapping[str, list[str]]) -> TableSpec:
        """The group tables' settings, with the reference group checked against ``known``."""
        reference = check_reference(self.reference_group, known)
        return TableSpec(self.min_share, self.confidence, self.alpha, reference)

    def combinations(self, attributes: Sequence[str]) -> list[tuple[str, ...]]:
        """Each attribute alone, all crossed, then the requested intersections."""
        return combinations_for(attributes, self.intersections)


@validate_params(AUDIT_CONSTRAINTS)
def audit(
    data: Any,
    *,
    attributes: Sequence[str] | str | None = None,
    selected: str | None = None,
    score: str | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    top_fraction: float | None = None,
    per_job: bool = False,
    job: str | None = None,
    label: str | None = None,
    rank: str | None = None,
    id: str | None = None,
    reference_group: Mapping[str, Any] | None = None,
    min_share: float = MIN_SHARE,
    intersections: Sequence[Sequence[str]] | None = None,
    correction: str = "holm",
    alpha: float = 0.05,
    confidence: float = 0.95,
    exact_auc: bool = True,
    metadata: Mapping[str, Any] | None = None,
    matcher: Any = None,
    jobs: Any = None,
    text_column: str | None = None,
    matcher_options: Mapping[str, Any] | None = None,
    cache: Any = None,
    progress: bool | None = None,
    ranking: bool | Mapping[str, Any] | None = None,
    max_groups: int = MAX_GROUPS,
) -> AuditResult:
    """Audit a candidate pool for adverse impact and error-rate gaps.

    Parameters
    ----------
    data : DataFrame, pyarrow.Table, CandidatePool, str or Path
        The candidates: a pandas or polars frame, a pyarrow Table, a
        :class:`CandidatePool`, or a CSV / Parquet path.
    attributes : list of str
        Protected-attribute columns; each is audited alone, all are crossed
        (intersectional cells) and ``intersections`` adds other combinations.
    selected : str, optional
        Column holding the decision (0/1). Use it, or ``score`` with a rule.
    score : str, optional
        Matcher score column (higher is better). With no rule, only the LL144
        scoring rate is audited.
    threshold, top_k, top_fraction : optional
        Decision rule over the score: ``score >= threshold``; the best ``top_k``
        per job; the best ``ceil(top_fraction * n)`` overall (per job with
        ``per_job=True``).
    per_job : bool
        Apply ``top_fraction`` within each job rather than over the pool.
    job, label, rank, id : str, optional
        Requisition, ground-truth qualification (0/1), rank within job, id.
    reference_group : mapping, optional
        E.g. ``{"race": "White"}``: ratios and tests compare against this group
        in every table whose attributes it names; otherwise against the
        highest-rate group (LL144).
    intersections : list of tuple of str, optional
        Extra attribute combinations to audit, e.g. ``[("sex", "age_band")]``.
    min_share : float
        Groups below this share of the known candidates of a table are
        reported but left out of impact ratios and tests (LL144 allows 2%).
    correction : {"holm", "bh", "none"}
        Multiple-comparison correction over every Z test in the audit.
    alpha, confidence : float
        Significance level and interval confidence.
    exact_auc : bool
        Exact tie-aware per-group AUC (one sort); otherwise binned.
    metadata : mapping, optional
        Free-form facts recorded in the provenance (data source, tool).
    matcher : str, Matcher or callable, optional
        Score the candidates first: a registry name (``"tfidf"``, ``"skills"``,
        ...; see :func:`biasaudit.matchers.get`), a matcher object or a function
        ``f(candidates, job)``. Scores go into a new column (``score``, default
        ``"matcher_score"``) of a copy; the fingerprint goes into the provenance.
    jobs : Job, list, str or Path, optional
        Job postings (a CSV/JSON file, see :func:`biasaudit.matchers.load_jobs`);
        with a ``job`` column each row is scored for its own job, otherwise
        every candidate for every job.
    text_column, matcher_options : optional
        Resume text column and other options for a matcher given by name.
    cache : str or Path, optional
        Score cache directory: an interrupted run resumes without rescoring.
    progress : bool, optional
        Force the scoring progress bar on or off (default: on a terminal).
    ranking : bool or dict, optional
        Also audit each job's ranked list with :func:`biasaudit.rank_audit`
        (same attributes, job, label; ordered by ``rank`` when given, else by
        ``score``) and attach it as ``result.sections["ranking"]`` (see
        :meth:`biasaudit.RankingResult.to_section`). A dict passes rank_audit
        options, e.g. ``{"k": (10, 20), "n_bootstrap": 500}``; ``k`` defaults
        to 10, 20 and the audit's ``top_k``. Needs ``job`` and a score or rank.
    max_groups : int
        The most groups one table may have (crossed attributes: the product of
        their group counts); more is refused before any test runs, since it
        usually means an id or free-text column was named as an attribute.

    Returns
    -------
    AuditResult

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["F"] * 50 + ["M"] * 50,
    ...                    "hired": [1] * 10 + [0] * 40 + [1] * 25 + [0] * 25})
    >>> result = audit(df, attributes=["sex"], selected="hired")
    >>> round(float(result.groups_frame().set_index("group_label").loc["F", "impact_ratio"]), 2)
    0.4
    """
    config = AuditConfig(
        attributes=attributes,
        selected=selected,
        score=score,
        threshold=threshold,
        top_k=top_k,
        top_fraction=top_fraction,
        per_job=per_job,
        job=job,
        label=label,
        rank=rank,
        id=id,
        reference_group=reference_group,
        min_share=min_share,
        intersections=intersections,
        correction=correction,
        alpha=alpha,
        confidence=confidence,
        exact_auc=exact_auc,
        metadata=metadata,
        matcher=matcher,
        jobs=jobs,
        text_column=text_column,
        matcher_options=matcher_options,
        cache=cache,
        progress=progress,
        ranking=ranking_options(ranking, top_k, reference_group, min_share),  # before scoring
        max_groups=max_groups,
    )
    data, config = _scored(data, config)
    if config.ranking is not None:  # a CandidatePool brings its own roles
        roles = data if isinstance(data, CandidatePool) else config
        check_ranking_roles(roles.job, roles.score, roles.rank)
    reduced = reduce(data, config)
    combinations = config.combinations(list(reduced.stats.attributes))
    check_table_sizes(reduced.known_groups, combinations, config.max_groups)
    result = result_from_stats(
        reduced.stats,
        source=reduced.source,
        spec=config.spec(reduced.known_groups),
        combinations=combinations,
        decision=reduced.decision,
        correction=config.correction,
        exact_auc=reduced.auc,
        metadata=config.metadata,
    )
    if config.ranking is None:
        return result
    section = ranking_section(reduced.ranking_data, config.ranking, **reduced.ranking_roles)
    return dataclasses.replace(result, sections={**result.sections, "ranking": section})


def _scored(data: Any, config: AuditConfig) -> tuple[Any, AuditConfig]:
    """Score the candidates first when a matcher is given (on Dask: on the workers)."""
    if is_dask(data) and config.matcher is not None:  # scored on the workers, kept there
        data, score, job, metadata = _score_on_dask(data, config)
    elif config.scores_first:
        data, score, job, metadata = score_for_audit(
            data,
            matcher=config.matcher,
            jobs=config.jobs,
            text_column=config.text_column,
            matcher_options=config.matcher_options,
            attributes=config.attributes,
            score=config.score,
            job=config.job,
            label=config.label,
            selected=config.selected,
            cache=config.cache,
            progress=config.progress,
            metadata=config.metadata,
        )
    else:
        return data, config
    return data, dataclasses.replace(config, score=score, job=job, metadata=metadata)


def _score_on_dask(data: Any, config: AuditConfig) -> tuple:
    """Score a Dask DataFrame partition by partition on its workers (see engine/_dask_scoring)."""

    check_dask_rule(config)  # before paying for any scoring
    return score_dask_for_audit(
        data,
        matcher=config.matcher,
        jobs=config.jobs,
        text_column=config.text_column,
        matcher_options=config.matcher_options,
        attributes=config.attributes,
        roles=config.roles,
        cache=config.cache,
        metadata=config.metadata,
        progress=config.progress,
    )
