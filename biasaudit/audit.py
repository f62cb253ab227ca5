"""audit(): pool + decision rule -> sufficient statistics -> metrics -> AuditResult."""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._provenance import provenance
from biasaudit.decisions import DecisionRule, above_median, make_rule
from biasaudit.engine import CellScores, SufficientStats, cell_index, mann_whitney_u, reduce_arrays
from biasaudit.engine._dask import is_dask, reduce_dask
from biasaudit.engine._duckdb import DuckDBSource, is_lake_path, is_relation, reduce_duckdb
from biasaudit.engine._lazy import collect_lazy, is_polars_lazy
from biasaudit.metrics import significance as sig
from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import FOUR_FIFTHS, TableSpec, column_names, group_table
from biasaudit.pool import CandidatePool, combinations_for
from biasaudit.ranking import check_ranking_roles, ranking_options, ranking_section
from biasaudit.result import AuditResult, findings_for, verdicts_for

__all__ = ["audit", "combinations_for", "pool_source", "result_from_stats"]


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
    ranking = ranking_options(ranking, top_k, reference_group)  # checked before any scoring
    if is_dask(data) and matcher is not None:  # scored on the workers, kept there
        data, score, job, metadata = _score_on_dask(data, attributes, locals())
    elif any(v is not None for v in (matcher, jobs, text_column, matcher_options)):
        from biasaudit.matchers._audit import score_for_audit  # scores go into a copy

        data, score, job, metadata = score_for_audit(
            data,
            matcher=matcher,
            jobs=jobs,
            text_column=text_column,
            matcher_options=matcher_options,
            attributes=attributes,
            score=score,
            job=job,
            label=label,
            selected=selected,
            cache=cache,
            progress=progress,
            metadata=metadata,
        )
    roles = {"attributes": attributes, "job": job, "score": score, "rank": rank, "label": label}
    if ranking is not None and not isinstance(data, CandidatePool):
        check_ranking_roles(job, score, rank)
    if is_lake_path(data) or is_relation(data):
        result = _audit_duckdb(data, attributes, locals())
        return _with_ranking(result, data, ranking, {**roles, "id": id})
    if is_dask(data):
        return _with_ranking(_audit_dask(data, attributes, locals()), data, ranking, roles)
    if is_polars_lazy(data):  # collected with the role columns only (projection pushdown)
        attrs = E.attribute_list(attributes)
        data = collect_lazy(data, [*attrs, job, label, score, selected, rank, id])
    if isinstance(data, CandidatePool):
        pool = data
    else:
        pool = CandidatePool(
            data,
            attributes=attributes or (),
            job=job,
            label=label,
            score=score,
            selected=selected,
            rank=rank,
            id=id,
        )
    _check_options(correction, min_share)
    if ranking is not None and pool is data:  # a CandidatePool brings its own roles
        check_ranking_roles(pool.job, pool.score, pool.rank)
    rule_given = any(v is not None for v in (threshold, top_k, top_fraction))
    if pool.selected is None and not rule_given and pool.score is None and pool.rank is None:
        raise E.ValidationError(E.NO_DECISION)
    rule = (
        make_rule(
            selected=pool.selected,
            threshold=threshold,
            top_k=top_k,
            top_fraction=top_fraction,
            per_job=per_job,
        )
        if rule_given or pool.selected is not None
        else None
    )
    known = {a: list(c.categories[: c.n_known]) for a, c in pool.attribute_codes.items()}
    spec = TableSpec(min_share, confidence, alpha, _reference(reference_group, known))
    combos = combinations_for(pool.attributes, intersections)
    selection, decision = _decide(pool, rule)
    stats = _reduce(pool, selection)
    auc = _exact_auc(pool, combos) if exact_auc and stats.has_label and pool.score else {}
    result = result_from_stats(
        stats,
        source=pool_source(pool),
        spec=spec,
        combinations=combos,
        decision=decision,
        correction=correction,
        exact_auc=auc,
        metadata=metadata,
    )
    return _with_ranking(result, pool, ranking, {"rank": pool.rank, "score": pool.score})


def _with_ranking(
    result: AuditResult, data: Any, options: Mapping[str, Any] | None, roles: Mapping[str, Any]
) -> AuditResult:
    """The result with ``sections["ranking"]`` when ``audit(ranking=...)`` asked for it."""
    if options is None:
        return result
    section = ranking_section(data, options, **roles)
    return dataclasses.replace(result, sections={**result.sections, "ranking": section})


def _rule_dict(options: Mapping[str, Any]) -> dict[str, Any]:
    given = [k for k in ("threshold", "top_k", "top_fraction") if options[k] is not None]
    make_rule(  # validates the values and that at most one rule is given
        selected=options["selected"],
        threshold=options["threshold"],
        top_k=options["top_k"],
        top_fraction=options["top_fraction"],
    )
    if not given:
        if options["selected"] is not None:
            return {"rule": "given"}
        if options["score"] is None:
            raise E.ValidationError(E.NO_DECISION)
        return {"rule": "none"}
    name = given[0]
    if options["score"] is None:
        raise E.ValidationError(E.RULE_NEEDS_SCORE.format(rule=name))
    if name == "top_k":
        return {"rule": "top_k", "k": int(options["top_k"])}
    if name == "top_fraction":
        return {
            "rule": "top_fraction",
            "fraction": float(options["top_fraction"]),
            "per_job": bool(options["per_job"]),
        }
    return {"rule": "threshold", "threshold": float(options["threshold"])}


def _audit_duckdb(data: Any, attributes: Any, options: Mapping[str, Any]) -> AuditResult:
    """The same audit, reduced by SQL in DuckDB (a relation, or Parquet files)."""
    _check_options(options["correction"], options["min_share"])
    attrs = E.attribute_list(attributes)
    roles = {k: options[k] for k in ("selected", "score", "label", "job", "rank", "id")}
    stats, source, auc, decision = reduce_duckdb(
        DuckDBSource.from_data(data),
        attributes=attrs,
        rule=_rule_dict(options),
        roles=roles,
        exact_auc=options["exact_auc"],
        intersections=options["intersections"],
    )
    known = {
        a: list(c[: len(c) - int(u)])
        for a, c, u in zip(stats.attributes, stats.categories, stats.has_unknown)
    }
    spec = TableSpec(
        options["min_share"],
        options["confidence"],
        options["alpha"],
        _reference(options["reference_group"], known),
    )
    return result_from_stats(
        stats,
        source=source,
        spec=spec,
        combinations=combinations_for(attrs, options["intersections"]),
        decision=decision,
        correction=options["correction"],
        exact_auc=auc,
        metadata=options["metadata"],
    )


def _score_on_dask(data: Any, attributes: Any, options: Mapping[str, Any]) -> tuple:
    """Score a Dask DataFrame partition by partition on its workers (see engine/_dask_scoring)."""
    from biasaudit.engine._dask_scoring import score_dask_for_audit

    _check_dask_rule(options)  # before paying for any scoring
    return score_dask_for_audit(
        data,
        matcher=options["matcher"],
        jobs=options["jobs"],
        text_column=options["text_column"],
        matcher_options=options["matcher_options"],
        attributes=attributes,
        roles={k: options[k] for k in ("score", "job", "label", "selected", "rank", "id")},
        cache=options["cache"],
        metadata=options["metadata"],
        progress=options["progress"],
    )


def _check_dask_rule(options: Mapping[str, Any]) -> None:
    for name in ("top_k", "top_fraction"):
        if options[name] is not None:
            raise E.ValidationError(E.DASK_RULE.format(rule=name))


def _audit_dask(data: Any, attributes: Any, options: Mapping[str, Any]) -> AuditResult:
    """The same audit, each partition reduced on its Dask worker."""
    _check_options(options["correction"], options["min_share"])
    attrs = E.attribute_list(attributes)
    rule = _rule_dict(options)  # validates the rule's values first
    _check_dask_rule(options)
    make = (
        None
        if rule["rule"] == "none"
        else {"selected": options["selected"]}
        if rule["rule"] == "given"
        else {"threshold": rule["threshold"]}
    )
    roles = {k: options[k] for k in ("selected", "score", "label", "job", "rank", "id")}
    stats, info = reduce_dask(data, attributes=attrs, roles=roles, rule=make)
    described = {
        "given": {"rule": "given", "column": options["selected"]},
        "none": {"rule": "none (scoring rate only)"},
    }.get(rule["rule"], {**rule, "score_column": options["score"]})
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
    spec = TableSpec(
        options["min_share"],
        options["confidence"],
        options["alpha"],
        _reference(options["reference_group"], known),
    )
    return result_from_stats(
        stats,
        source=source,
        spec=spec,
        combinations=combinations_for(attrs, options["intersections"]),
        decision=described,
        correction=options["correction"],
        metadata=options["metadata"],
    )


def _check_options(correction: str, min_share: float) -> None:
    if correction not in ("holm", "bh", "none"):
        raise E.ValidationError(
            E.BAD_RULE_VALUE.format(
                name="correction",
                expected="'holm', 'bh' or 'none'",
                value=correction,
                fix="Pass correction='holm'.",
            )
        )
    if not 0 <= min_share < 1:
        raise E.ValidationError(
            E.BAD_RULE_VALUE.format(
                name="min_share",
                expected="a number in [0, 1)",
                value=min_share,
                fix="Pass e.g. min_share=0.02.",
            )
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
