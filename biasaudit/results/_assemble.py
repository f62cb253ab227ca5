"""An AuditResult from sufficient statistics: every metric, test, verdict and finding.

Every engine meets here: the in-memory engine, DuckDB and Dask all reduce their
data to :class:`~biasaudit.engine.SufficientStats`, and :func:`result_from_stats`
turns them into the frozen result.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit.engine import SufficientStats
from biasaudit.metrics import significance as sig
from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import FOUR_FIFTHS, TableSpec, column_names, group_table
from biasaudit.metrics._verdicts import findings_for, verdicts_for
from biasaudit.results._audit import AuditResult
from biasaudit.results._provenance import provenance

__all__ = ["check_reference", "result_from_stats"]


def check_reference(
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
