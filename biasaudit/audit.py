"""audit(): pool + decision rule -> sufficient statistics -> metrics -> AuditResult."""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, Options, instance_of, validate_params
from biasaudit.decisions import DecisionRule, above_median, make_rule
from biasaudit.engine import CellScores, SufficientStats, cell_index, mann_whitney_u, reduce_arrays
from biasaudit.engine._dask import is_dask, reduce_dask
from biasaudit.engine._dask_scoring import score_dask_for_audit
from biasaudit.engine._duckdb import DuckDBSource, is_lake_path, is_relation, reduce_duckdb
from biasaudit.engine._lazy import collect_lazy, is_polars_lazy
from biasaudit.matchers._audit import score_for_audit
from biasaudit.metrics import significance as sig
from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import FOUR_FIFTHS, TableSpec, column_names, group_table
from biasaudit.metrics._verdicts import findings_for, verdicts_for
from biasaudit.pool import CandidatePool, combinations_for
from biasaudit.ranking import check_ranking_roles, ranking_options, ranking_section
from biasaudit.results import AuditResult
from biasaudit.results._provenance import provenance

__all__ = [
    "AUDIT_CONSTRAINTS",
    "AuditConfig",
    "audit",
    "combinations_for",
    "pool_source",
    "result_from_stats",
]


def _reference(
    reference_group: Mapping[str, Any] | None, known_groups: Mapping[str, list[str]]
) -> dict[str, str]:
    out: dict[str, str] = {}
    for attribute, value in (reference_group or {}).items():
        if attribute not in known_groups:
            raise E.ValidationError(
                E.BAD_REFERENCE_ATTRIBUTE.format(column=attribute, attributes=list(known_groups))
            )
        known = known_groups[attribute]
        if str(value) not in known:
            raise E.ValidationError(
                E.BAD_REFERENCE.format(value=str(value), column=attribute, groups=known)
            )
        out[attribute] = str(value)
    return out


def _decide(pool: CandidatePool, rule: DecisionRule | None) -> tuple[np.ndarray | None, dict]:
    if rule is None:
        return None, {"rule": "none (scoring rate only)"}
    selected, facts = rule.apply(pool)
    described = rule.describe()
    if described["rule"] == "given":
        described["column"] = pool.selected
    else:
        described["score_column"] = pool.score if pool.score is not None else pool.rank
    return selected, {**described, **facts}


def _exact_auc(
    pool: CandidatePool, combos: list[tuple[str, ...]]
) -> dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Exact per-group Mann-Whitney U for every combination, from one bucketing."""
    names = list(pool.attributes)
    sizes = [len(pool.attribute_codes[a].categories) for a in names]
    cell = cell_index([pool.attribute_codes[a].codes for a in names], sizes)
    cells = CellScores(pool.arrays["score"], pool.arrays["label"], cell, int(np.prod(sizes)))
    del cell
    grid = np.indices(sizes).reshape(len(sizes), -1)  # each finest cell's codes
    out = {}
    for combo in combos:
        axes = [names.index(a) for a in combo]
        combo_sizes = [sizes[i] for i in axes]
        group_of_cell = cell_index([grid[i] for i in axes], combo_sizes)
        out[combo] = mann_whitney_u(cells, group_of_cell, int(np.prod(combo_sizes)))
    return out


def _reduce(pool: CandidatePool, selected: np.ndarray | None) -> SufficientStats:
    score = pool.arrays.get("score")
    threshold = above_median(score)[1] if score is not None else None
    return reduce_arrays(
        pool.attribute_codes,
        selected,
        jobs=pool.job_codes,
        label=pool.arrays.get("label"),
        score=score,
        scoring_threshold=threshold,
    )


def _adjust(groups: pd.DataFrame, method: str) -> tuple[pd.DataFrame, int]:
    """Correct the Z-test p-values of every family metric in the audit as one family."""
    columns = [
        column_names(m)["p"]
        for m in METRICS.values()
        if m.in_family and column_names(m)["p"] in groups
    ]
    stacked = groups[columns].to_numpy(dtype=float).ravel()
    adjusted = sig.adjust_pvalues(stacked, method).reshape(len(groups), len(columns))
    groups = groups.copy()
    for i, column in enumerate(columns):
        groups[column + "_adjusted"] = adjusted[:, i]
    return groups, int(np.isfinite(stacked).sum())


#: The values each audit() parameter accepts (checked by validate_params, one message shape).
AUDIT_CONSTRAINTS: dict[str, list[Any]] = {
    "threshold": [None, Interval(Real, None, None, fix="Pass e.g. threshold=0.5.")],
    "top_k": [None, Interval(Integral, 1, None, closed="left", fix="Pass e.g. top_k=10.")],
    "top_fraction": [
        None,
        Interval(Real, 0, 1, closed="right", fix="Pass e.g. top_fraction=0.2."),
    ],
    "per_job": [instance_of(bool)],
    "min_share": [Interval(Real, 0, 1, closed="left", fix="Pass e.g. min_share=0.02.")],
    "correction": [Options(str, ("holm", "bh", "none"), fix="Pass correction='holm'.")],
    "alpha": [Interval(Real, 0, 1, closed="neither", fix="Pass e.g. alpha=0.05.")],
    "confidence": [Interval(Real, 0, 1, closed="neither", fix="Pass e.g. confidence=0.95.")],
    "exact_auc": [instance_of(bool)],
    "progress": [None, instance_of(bool)],
}


@dataclass(frozen=True)
class AuditConfig:
    """Every option of one :func:`audit` call, checked once and handed down.

    ``audit()`` builds it from its keyword arguments; the engines and the
    result assembly read its fields (no option dictionaries keyed by strings).
    ``ranking`` holds the validated :func:`biasaudit.rank_audit` options, or
    ``None`` for no ranking section.
    """

    attributes: Sequence[str] | str | None = None
    selected: str | None = None
    score: str | None = None
    threshold: float | None = None
    top_k: int | None = None
    top_fraction: float | None = None
    per_job: bool = False
    job: str | None = None
    label: str | None = None
    rank: str | None = None
    id: str | None = None
    reference_group: Mapping[str, Any] | None = None
    min_share: float = 0.02
    intersections: Sequence[Sequence[str]] | None = None
    correction: str = "holm"
    alpha: float = 0.05
    confidence: float = 0.95
    exact_auc: bool = True
    metadata: Mapping[str, Any] | None = None
    matcher: Any = None
    jobs: Any = None
    text_column: str | None = None
    matcher_options: Mapping[str, Any] | None = None
    cache: Any = None
    progress: bool | None = None
    ranking: Mapping[str, Any] | None = None

    @property
    def attribute_list(self) -> list[str]:
        """The protected-attribute columns as a list."""
        return E.attribute_list(self.attributes)

    @property
    def roles(self) -> dict[str, str | None]:
        """The role columns: selected, score, label, job, rank and id."""
        return {k: getattr(self, k) for k in ("selected", "score", "label", "job", "rank", "id")}

    @property
    def scores_first(self) -> bool:
        """Whether a matcher scores the candidates before the audit."""
        options = (self.matcher, self.jobs, self.text_column, self.matcher_options)
        return any(v is not None for v in options)

    def spec(self, known: Mapping[str, list[str]]) -> TableSpec:
        """The group tables' settings, with the reference group checked against ``known``."""
        reference = _reference(self.reference_group, known)
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
    min_share: float = 0.02,
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
        ranking=ranking_options(ranking, top_k, reference_group),  # before any scoring
    )
    data, config = _scored(data, config)
    if config.ranking is not None and not isinstance(data, CandidatePool):
        check_ranking_roles(config.job, config.score, config.rank)
    if is_lake_path(data) or is_relation(data):
        roles = {**_section_roles(config), "id": config.id}
        return _with_ranking(_audit_duckdb(data, config), data, config.ranking, roles)
    if is_dask(data):
        return _with_ranking(
            _audit_dask(data, config), data, config.ranking, _section_roles(config)
        )
    if is_polars_lazy(data):  # collected with the role columns only (projection pushdown)
        c = config
        data = collect_lazy(
            data, [*c.attribute_list, c.job, c.label, c.score, c.selected, c.rank, c.id]
        )
    return _audit_pool(data, config)


def _section_roles(config: AuditConfig) -> dict[str, Any]:
    names = ("attributes", "job", "score", "rank", "label")
    return {k: getattr(config, k) for k in names}


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


def _audit_pool(data: Any, config: AuditConfig) -> AuditResult:
    """The in-memory audit of a frame, a file or a CandidatePool."""
    if isinstance(data, CandidatePool):
        pool = data
    else:
        roles = config.roles
        pool = CandidatePool(data, attributes=config.attributes or (), **roles)  # type: ignore[arg-type]
    if config.ranking is not None and pool is data:  # a CandidatePool brings its own roles
        check_ranking_roles(pool.job, pool.score, pool.rank)
    rule = _pool_rule(pool, config)
    known = {a: list(c.categories[: c.n_known]) for a, c in pool.attribute_codes.items()}
    spec = config.spec(known)
    combos = config.combinations(pool.attributes)
    selection, decision = _decide(pool, rule)
    stats = _reduce(pool, selection)
    auc = _exact_auc(pool, combos) if config.exact_auc and stats.has_label and pool.score else {}
    result = result_from_stats(
        stats,
        source=pool_source(pool),
        spec=spec,
        combinations=combos,
        decision=decision,
        correction=config.correction,
        exact_auc=auc,
        metadata=config.metadata,
    )
    return _with_ranking(result, pool, config.ranking, {"rank": pool.rank, "score": pool.score})


def _pool_rule(pool: CandidatePool, config: AuditConfig) -> DecisionRule | None:
    """The decision rule: the given selection, or one over the scores (None: scoring only)."""
    rule_given = any(v is not None for v in (config.threshold, config.top_k, config.top_fraction))
    if pool.selected is None and not rule_given and pool.score is None and pool.rank is None:
        raise E.ValidationError(E.NO_DECISION)
    if not (rule_given or pool.selected is not None):
        return None
    return make_rule(
        selected=pool.selected,
        threshold=config.threshold,
        top_k=config.top_k,
        top_fraction=config.top_fraction,
        per_job=config.per_job,
    )


def _with_ranking(
    result: AuditResult, data: Any, options: Mapping[str, Any] | None, roles: Mapping[str, Any]
) -> AuditResult:
    """The result with ``sections["ranking"]`` when ``audit(ranking=...)`` asked for it."""
    if options is None:
        return result
    section = ranking_section(data, options, **roles)
    return dataclasses.replace(result, sections={**result.sections, "ranking": section})


def _rule_dict(config: AuditConfig) -> dict[str, Any]:
    given = [k for k in ("threshold", "top_k", "top_fraction") if getattr(config, k) is not None]
    make_rule(  # validates the values and that at most one rule is given
        selected=config.selected,
        threshold=config.threshold,
        top_k=config.top_k,
        top_fraction=config.top_fraction,
    )
    if not given:
        if config.selected is not None:
            return {"rule": "given"}
        if config.score is None:
            raise E.ValidationError(E.NO_DECISION)
        return {"rule": "none"}
    name = given[0]
    if config.score is None:
        raise E.ValidationError(E.RULE_NEEDS_SCORE.format(rule=name))
    if name == "top_k":
        return {"rule": "top_k", "k": int(config.top_k)}
    if name == "top_fraction":
        return {
            "rule": "top_fraction",
            "fraction": float(config.top_fraction),
            "per_job": bool(config.per_job),
        }
    return {"rule": "threshold", "threshold": float(config.threshold)}


def _audit_duckdb(data: Any, config: AuditConfig) -> AuditResult:
    """The same audit, reduced by SQL in DuckDB (a relation, or Parquet files)."""
    attrs = config.attribute_list
    roles = config.roles
    stats, source, auc, decision = reduce_duckdb(
        DuckDBSource.from_data(data),
        attributes=attrs,
        rule=_rule_dict(config),
        roles=roles,
        exact_auc=config.exact_auc,
        intersections=config.intersections,
    )
    known = {
        a: list(c[: len(c) - int(u)])
        for a, c, u in zip(stats.attributes, stats.categories, stats.has_unknown)
    }
    spec = config.spec(known)
    return result_from_stats(
        stats,
        source=source,
        spec=spec,
        combinations=config.combinations(attrs),
        decision=decision,
        correction=config.correction,
        exact_auc=auc,
        metadata=config.metadata,
    )


def _score_on_dask(data: Any, config: AuditConfig) -> tuple:
    """Score a Dask DataFrame partition by partition on its workers (see engine/_dask_scoring)."""

    _check_dask_rule(config)  # before paying for any scoring
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


def _check_dask_rule(config: AuditConfig) -> None:
    for name in ("top_k", "top_fraction"):
        if getattr(config, name) is not None:
            raise E.ValidationError(E.DASK_RULE.format(rule=name))


def _audit_dask(data: Any, config: AuditConfig) -> AuditResult:
    """The same audit, each partition reduced on its Dask worker."""
    attrs = config.attribute_list
    rule = _rule_dict(config)  # validates the rule's values first
    _check_dask_rule(config)
    make = (
        None
        if rule["rule"] == "none"
        else {"selected": config.selected}
        if rule["rule"] == "given"
        else {"threshold": rule["threshold"]}
    )
    roles = config.roles
    stats, info = reduce_dask(data, attributes=attrs, roles=roles, rule=make)
    described = {
        "given": {"rule": "given", "column": config.selected},
        "none": {"rule": "none (scoring rate only)"},
    }.get(rule["rule"], {**rule, "score_column": config.score})
    digest = hashlib.sha256(repr((stats.attributes, stats.categories, stats.jobs)).encode())
    digest.update(np.ascontiguousarray(stats.cube).tobytes())
    source = {
        "source": f"dask dataframe ({info['partitions']} partitions)",
        "sha256": digest.hexdigest(),
        "sha256_of": "sufficient statistics (Dask DataFrame)",
        "roles": {"attributes": attrs, **{k: roles[k] for k in roles}},
        "rows": info["rows"],
        "unknown": info["unknown"],
        "engine": "dask",
    }
    known = {
        a: list(c[: len(c) - int(u)])
        for a, c, u in zip(stats.attributes, stats.categories, stats.has_unknown)
    }
    spec = config.spec(known)
    return result_from_stats(
        stats,
        source=source,
        spec=spec,
        combinations=config.combinations(attrs),
        decision=described,
        correction=config.correction,
        metadata=config.metadata,
    )


def _tables(
    stats: SufficientStats, combos: list[tuple[str, ...]], spec: TableSpec, auc: Mapping
) -> tuple[list[pd.DataFrame], list[dict], list[str]]:
    frames, tables = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for combo in combos:
            frame, info = group_table(stats, combo, spec, auc.get(combo))
            frames.append(frame)
            tables.append(info)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, __file__, 0)
    return frames, tables, [str(w.message) for w in caught]


def _configuration(
    stats: SufficientStats,
    spec: TableSpec,
    combos: list,
    decision: dict,
    correction: str,
    family: int,
) -> dict[str, Any]:
    return {
        "attributes": list(stats.attributes),
        "combinations": [list(c) for c in combos],
        "decision": decision,
        "primary_metric": "selection_rate" if stats.has_selection else "scoring_rate",
        "min_share": spec.min_share,
        "reference_group": spec.reference or None,
        "alpha": spec.alpha,
        "confidence": spec.confidence,
        "four_fifths_threshold": FOUR_FIFTHS,
        "multiple_testing": {
            "method": correction,
            "family_size": family,
            "family": "two-proportion Z tests of "
            + ", ".join(m.name for m in METRICS.values() if m.in_family)
            + " for every group of every table",
        },
        "intervals": {
            "rates": "Wilson score",
            "ratios": "Katz log (0.5 added to every cell when a count is zero)",
        },
        "scoring_threshold": stats.scoring_threshold,
    }


def pool_source(pool: CandidatePool) -> dict[str, Any]:
    """What the provenance records about an in-memory pool."""
    return {
        "source": pool.source,
        "sha256": pool.sha256,
        "sha256_of": "file bytes" if pool.source != "dataframe" else "role columns",
        "roles": pool.roles,
        "rows": pool.n_rows,
        "unknown": pool.unknown_counts(),
        "engine": "numpy",
    }


def result_from_stats(
    stats: SufficientStats,
    *,
    source: Mapping[str, Any],
    spec: TableSpec,
    combinations: list[tuple[str, ...]],
    decision: dict[str, Any],
    correction: str = "holm",
    exact_auc: Mapping | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> AuditResult:
    """Every metric, test, verdict and finding from sufficient statistics.

    This is where every engine meets: the in-memory engine, DuckDB and Dask
    all reduce their data to :class:`SufficientStats` and call this.
    """
    frames, tables, warned = _tables(stats, combinations, spec, exact_auc or {})
    groups, family = _adjust(pd.concat(frames, ignore_index=True), correction)
    config = _configuration(stats, spec, combinations, decision, correction, family)
    primary = config["primary_metric"]
    groups["verdict"] = verdicts_for(groups, primary, spec.alpha)
    return AuditResult(
        groups=groups,
        tables=tuple(tables),
        findings=tuple(findings_for(groups, primary, spec.alpha)),
        provenance=provenance(source, stats, config, metadata, warned),
        stats=stats,
    )
