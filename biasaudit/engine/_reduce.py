"""One entry to the engines: :func:`reduce` picks the backend for the data.

The in-memory engine (pandas, polars, pyarrow, files, a CandidatePool), DuckDB
(relations, Parquet lakes) and Dask (partitions on the workers) each reduce the
candidates to :class:`SufficientStats`, apply the decision rule where the data
live, and compute the exact per-group AUC where they can. :func:`biasaudit.audit`
calls :func:`reduce` and never asks which engine ran.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from biasaudit import _errors as E
from biasaudit._io import read_table, to_narwhals
from biasaudit._validation import instance_of, validate_params
from biasaudit.decisions import RULE_CONSTRAINTS, DecisionRule, above_median, make_rule
from biasaudit.engine._dask import is_dask, reduce_dask
from biasaudit.engine._duckdb import DuckDBSource, is_lake_path, is_relation, reduce_duckdb
from biasaudit.engine._inputs import blank_report, check_columns_readable, refuse_blank_ids
from biasaudit.engine._lazy import collect_lazy, is_polars_lazy
from biasaudit.engine._numpy import cell_index, reduce_arrays
from biasaudit.engine._ranksum import CellScores, mann_whitney_u
from biasaudit.engine._stats import SufficientStats
from biasaudit.pool import CandidatePool, combinations_for

__all__ = ["ReduceRequest", "Reduction", "check_dask_rule", "pool_source", "reduce"]


@validate_params({**RULE_CONSTRAINTS, "exact_auc": [instance_of(bool)]})
@dataclass(frozen=True)
class ReduceRequest:
    """What an engine needs: the attribute and role columns, the rule, the AUC wish."""

    attributes: Sequence[str] | str | None = None
    selected: str | None = None
    score: str | None = None
    label: str | None = None
    job: str | None = None
    rank: str | None = None
    id: str | None = None
    threshold: float | None = None
    top_k: int | None = None
    top_fraction: float | None = None
    per_job: bool = False
    exact_auc: bool = True
    intersections: Sequence[Sequence[str]] | None = None

    @property
    def attribute_list(self) -> list[str]:
        """The protected-attribute columns as a list."""
        return E.attribute_list(self.attributes)

    @property
    def roles(self) -> dict[str, str | None]:
        """The role columns: selected, score, label, job, rank and id."""
        return {k: getattr(self, k) for k in ("selected", "score", "label", "job", "rank", "id")}


@dataclass(frozen=True)
class Reduction:
    """An engine's answer: the statistics and what the result records about them.

    ``ranking_data`` and ``ranking_roles`` are what a ranking section reads: the
    pool itself in memory, the engine's own input elsewhere.
    """

    stats: SufficientStats
    source: dict[str, Any]
    decision: dict[str, Any]
    auc: Mapping[tuple[str, ...], Any] = field(default_factory=dict)
    ranking_data: Any = None
    ranking_roles: dict[str, Any] = field(default_factory=dict)

    @property
    def known_groups(self) -> dict[str, list[str]]:
        """Each attribute's known groups (Unknown left out)."""
        s = self.stats
        return {
            a: list(c[: len(c) - int(u)])
            for a, c, u in zip(s.attributes, s.categories, s.has_unknown)
        }


def reduce(data: Any, request: ReduceRequest) -> Reduction:
    """Reduce ``data`` on the engine that suits it.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["F", "M", "M", "F"], "hired": [1, 0, 1, 1]})
    >>> r = reduce(df, ReduceRequest(attributes=["sex"], selected="hired"))
    >>> r.source["engine"], r.known_groups
    ('numpy', {'sex': ['F', 'M']})
    """
    if is_lake_path(data) or is_relation(data):
        return _duckdb(data, request)
    if is_dask(data):
        return _dask(data, request)
    if is_polars_lazy(data):  # collected with the role columns only (projection pushdown)
        r = request
        roles = [r.job, r.label, r.score, r.selected, r.rank, r.id]
        data = collect_lazy(data, [*r.attribute_list, *roles])
    return _memory(data, request)


def _ranking_roles(request: ReduceRequest, *, with_id: bool) -> dict[str, Any]:
    names = ("attributes", "job", "score", "rank", "label", *(("id",) if with_id else ()))
    return {k: getattr(request, k) for k in names}


# -- in memory -------------------------------------------------------------------------


def _memory(data: Any, request: ReduceRequest) -> Reduction:
    """The in-memory reduction of a frame, a file or a CandidatePool."""
    pool = data if isinstance(data, CandidatePool) else _pool(data, request)
    rule = _pool_rule(pool, request)
    combos = combinations_for(pool.attributes, request.intersections)
    selection, decision = _decide(pool, rule)
    stats = _reduce(pool, selection)
    wanted = request.exact_auc and stats.has_label and pool.score
    return Reduction(
        stats,
        source=pool_source(pool),
        decision=decision,
        auc=_exact_auc(pool, combos) if wanted else {},
        ranking_data=pool,
        ranking_roles={"rank": pool.rank, "score": pool.score},
    )


def _pool(data: Any, request: ReduceRequest) -> CandidatePool:
    """The pool of a frame or a file; a refused column is explained cell by cell.

    The pool refuses a column by its type; when it does, the frame (the file read
    again: only on this error path) is searched for the offending cells, so the
    message names them (:func:`check_columns_readable`).
    """
    try:
        pool = CandidatePool(data, attributes=request.attributes or (), **request.roles)  # type: ignore[arg-type]
    except (E.ValidationError, pa.ArrowException) as refused:
        frame = to_narwhals(read_table(data) if isinstance(data, (str, Path)) else data)
        check_columns_readable(frame, request.attribute_list, request.roles)
        raise refused
    if pool.id is not None:  # one blank id is unique, so the pool let it through
        refuse_blank_ids(pool.id, *blank_report(pd.Series(pool.arrays["id"])))
    return pool


def _pool_rule(pool: CandidatePool, config: ReduceRequest) -> DecisionRule | None:
    """The decision rule: the given selection, or one over the scores (None: scoring only)."""
    rule_given = any(v is not None for v in (config.threshold, config.top_k, config.top_fraction))
    if pool.selected is None and not rule_given and pool.score is None and pool.rank is None:
        raise E.ValidationError(E.NO_DECISION)
    if not (rule_given or pool.selected is not None):
        if pool.score is None:  # a rank alone: nothing to select, nothing to rate
            raise E.ValidationError(E.RANK_WITHOUT_RULE)
        return None
    return make_rule(
        selected=pool.selected,
        threshold=config.threshold,
        top_k=config.top_k,
        top_fraction=config.top_fraction,
        per_job=config.per_job,
    )


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


# -- DuckDB and Dask ---------------------------------------------------------------------


def _rule_dict(config: ReduceRequest) -> dict[str, Any]:
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
    # make_rule above refused two rules: the one given is the one that is not None.
    if config.top_k is not None:
        return {"rule": "top_k", "k": int(config.top_k)}
    if config.top_fraction is not None:
        return {
            "rule": "top_fraction",
            "fraction": float(config.top_fraction),
            "per_job": bool(config.per_job),
        }
    assert config.threshold is not None
    return {"rule": "threshold", "threshold": float(config.threshold)}


def _duckdb(data: Any, request: ReduceRequest) -> Reduction:
    """Reduced by SQL in DuckDB (a relation, or Parquet files)."""
    ranked_cut = request.top_k is not None or request.top_fraction is not None
    stats, source, auc, decision = reduce_duckdb(
        DuckDBSource.from_data(data, row_order=ranked_cut and request.id is None),
        attributes=request.attribute_list,
        rule=_rule_dict(request),
        roles=request.roles,
        exact_auc=request.exact_auc,
        intersections=request.intersections,
    )
    roles = _ranking_roles(request, with_id=True)
    return Reduction(stats, source, decision, auc, ranking_data=data, ranking_roles=roles)


def check_dask_rule(config: ReduceRequest) -> None:
    for name in ("top_k", "top_fraction"):
        if getattr(config, name) is not None:
            raise E.ValidationError(E.DASK_RULE.format(rule=name))


def _dask(data: Any, request: ReduceRequest) -> Reduction:
    """Each partition reduced on its Dask worker."""
    attrs = request.attribute_list
    rule = _rule_dict(request)  # validates the rule's values first
    check_dask_rule(request)
    make = (
        None
        if rule["rule"] == "none"
        else {"selected": request.selected}
        if rule["rule"] == "given"
        else {"threshold": rule["threshold"]}
    )
    roles = request.roles
    stats, info = reduce_dask(data, attributes=attrs, roles=roles, rule=make)
    described: dict[str, Any]
    if rule["rule"] == "given":
        described = {"rule": "given", "column": request.selected}
    elif rule["rule"] == "none":
        described = {"rule": "none (scoring rate only)"}
    else:
        described = {**rule, "score_column": request.score}
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
    roles_for_ranking = _ranking_roles(request, with_id=False)
    return Reduction(stats, source, described, ranking_data=data, ranking_roles=roles_for_ranking)
