"""Baseline comparison: has a group become measurably worse than in the baseline?

For a group ``g`` and a gated metric ``m`` (its value against the comparison group
each audit reports), the **regression** ``D`` is

- ``m_baseline - m_candidate`` when lower is worse (a ratio, or a metric the policy
  bounds from below only: a drop);
- ``m_candidate - m_baseline`` when the policy bounds the metric from above only;
- ``|m_candidate - parity| - |m_baseline - parity|`` when it is bounded on both sides
  (a difference, by default): the increase in distance from parity.

From ``B`` bootstrap replicates ``D*`` (paired over candidates when both audits
scored the same pool, see :mod:`biasaudit.gate._bootstrap`), the one-sided bounds
at confidence ``c`` are simultaneous over every check of the run: ``L = D - q sd``
and ``U = D + q' sd``, ``sd`` each check's bootstrap standard deviation and ``q``,
``q'`` the ``c`` quantiles of the largest scaled deviation over the checks in a
replicate (:func:`biasaudit.gate._bootstrap.simultaneous_bounds`). The chance that
a run with no real regression fails any check is then at most ``1 - c``, however
many groups and metrics it checks. With the margin ``δ``:

- ``test = "inferiority"`` (default): the check fails when ``L > δ``: a regression
  larger than the margin is established with confidence ``c``;
- ``test = "non-inferiority"``: the check fails unless ``U <= δ``: a regression
  larger than the margin must be ruled out with confidence ``c``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np

from biasaudit import _errors as E
from biasaudit._validation import (
    Constraint,
    Interval,
    MappingOf,
    Options,
    instance_of,
    validate_params,
)
from biasaudit.gate import _messages as M
from biasaudit.gate._bootstrap import (
    CellTable,
    Contrast,
    paired_bootstrap,
    simultaneous_bounds,
    unpaired_bootstrap,
)
from biasaudit.gate._metrics import GateMetric, default_direction, gate_metric
from biasaudit.gate._policy import (
    FAIL,
    PASS,
    Check,
    GroupRef,
    PolicyRules,
    comparison_row,
    insufficient_check,
    require_metric,
    select_groups,
)
from biasaudit.gate._policy import _insufficiency as insufficiency
from biasaudit.gate._records import Records, pairing_problems
from biasaudit.results import AuditResult
from biasaudit.results._audit import _row_counts as _result_row_counts

__all__ = ["Comparison", "RegressionSettings", "compare_results"]

#: Replicates whose statistic is undefined (an empty resampled group) above this share
#: make the bootstrap unreliable: the check reports insufficient data.
MAX_UNDEFINED = 0.01
TESTS = ("inferiority", "non-inferiority")


_MARGIN = Interval(Real, 0, None, fix="Pass e.g. margin=0.05.")
#: What the baseline comparison's settings accept (RegressionSettings, [baseline], testing).
REGRESSION_CONSTRAINTS: dict[str, list[Constraint]] = {
    "margin": [_MARGIN, MappingOf([_MARGIN])],
    "confidence": [Interval(Real, 0.5, 1, closed="left", fix="Pass e.g. confidence=0.95.")],
    "test": [
        Options(str, TESTS, fix="Pass test='inferiority' (fail only on an established regression).")
    ],
    "resamples": [Interval(Integral, 100, None, fix="Pass e.g. resamples=2000.")],
    "seed": [Interval(Integral, 0, None, fix="Pass e.g. seed=0.")],
}


@validate_params(REGRESSION_CONSTRAINTS)
@dataclass(frozen=True)
class RegressionSettings:
    """How a candidate is compared with the baseline.

    Parameters
    ----------
    metrics : sequence of str
        Metrics to compare; default: those the policy bounds, else the primary
        impact ratio (``impact_ratio``, or ``scoring_impact_ratio`` without a decision).
    margin : float or mapping
        Allowed regression, in the metric's units; one number for all metrics, or
        ``{metric: margin}``.
    confidence : float
        Confidence of the one-sided bootstrap bounds.
    test : {"inferiority", "non-inferiority"}
        Fail when a regression beyond the margin is established, or unless one is
        ruled out (see the module documentation).
    resamples, seed : int
        Bootstrap replicates and random seed (the result is deterministic).
    """

    metrics: tuple[str, ...] = ()
    margin: float | Mapping[str, float] = 0.05
    confidence: float = 0.95
    test: str = "inferiority"
    resamples: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", tuple(self.metrics))
        for metric in self.metrics:
            gate_metric(metric)
        if isinstance(self.margin, Mapping):
            for metric in self.margin:
                gate_metric(metric)
        object.__setattr__(self, "resamples", int(self.resamples))
        object.__setattr__(self, "seed", int(self.seed))

    def margin_for(self, metric: str) -> float:
        """The margin of one metric (the single margin, or its entry; 0.05 if absent)."""
        if isinstance(self.margin, Mapping):
            return float(self.margin.get(metric, 0.05))
        return float(self.margin)


@dataclass(frozen=True)
class Comparison:
    """The baseline comparison: one check per (metric, group) and how it was made."""

    paired: bool
    method: str
    checks: tuple[Check, ...]
    settings: RegressionSettings
    details: dict[str, Any] = field(default_factory=dict)


def _metrics(
    candidate: AuditResult, settings: RegressionSettings, rules: PolicyRules
) -> list[GateMetric]:
    names = list(settings.metrics) or list(dict.fromkeys(b.metric for b in rules.bounds))
    if not names:
        primary = candidate.primary_metric
        names = ["impact_ratio" if primary == "selection_rate" else "scoring_impact_ratio"]
    return [gate_metric(n) for n in names]


def _direction(metric: str, rules: PolicyRules) -> str:
    for bound in rules.bounds:
        if bound.metric == metric:
            return bound.direction
    return default_direction(metric)


@dataclass
class _Pending:
    """A (metric, group) pair that passed the data checks and awaits the bootstrap."""

    metric: GateMetric
    direction: str
    ref: GroupRef
    base_ref: GroupRef
    cmp: tuple[Any, Any]  # comparison rows of the baseline and the candidate


def _rule_text(metric: str, settings: RegressionSettings) -> str:
    return (
        f"{metric}: regression <= {settings.margin_for(metric):g} "
        f"({settings.test} test, {settings.confidence:.0%})"
    )


def _screen(
    baseline: AuditResult,
    base_groups: dict[tuple, GroupRef],
    metric: GateMetric,
    ref: GroupRef,
    rules: PolicyRules,
    rule: str,
) -> Check | _Pending:
    """An insufficient-data check, or the pair ready for the bootstrap."""
    cmp_c = comparison_row(ref, metric)
    reason = insufficiency(ref, cmp_c, metric, rules.min_group_size)
    if reason is None:
        base_ref = base_groups.get((ref.attributes, ref.values))
        if metric.column not in baseline.groups.columns:
            reason = f"the baseline audit has no {metric.column}"
        elif base_ref is None:
            reason = "the group is not in the baseline audit"
        else:
            cmp_b = comparison_row(base_ref, metric)
            why = insufficiency(base_ref, cmp_b, metric, rules.min_group_size)
            reason = None if why is None else f"in the baseline: {why}"
    if reason is not None:
        return insufficient_check("regression", rule, metric.column, ref, reason, rules)
    direction = _direction(metric.column, rules)
    return _Pending(metric, direction, ref, base_ref, (cmp_b, cmp_c))  # type: ignore[arg-type]


def _masks(records: Records, pending: _Pending) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    ref = pending.ref
    group = records.group_mask(ref.attributes, ref.values)
    base_cmp, cand_cmp = pending.cmp
    refs = (
        records.group_mask(ref.attributes, tuple(base_cmp["group"])),
        records.group_mask(ref.attributes, tuple(cand_cmp["group"])),
    )
    return group, refs


def _paired(
    baseline: AuditResult,
    candidate: AuditResult,
    pending: list[_Pending],
    settings: RegressionSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    base, cand = Records.of(baseline, "baseline"), Records.of(candidate, "candidate")
    problems = pairing_problems(base, cand)
    if problems:
        raise E.ValidationError(M.POOL_MISMATCH.format(details="; ".join(problems)))
    contrasts = [Contrast(p.metric, p.direction, *_masks(cand, p)) for p in pending]
    selected, above = [base.selected, cand.selected], [base.above_median, cand.above_median]
    table = CellTable.reduce(cand.cell, cand.label, selected, above)
    facts = {"candidates": table.total, "cells": len(table.count), "pool_sha256": cand.pool_sha256}
    if not pending:
        return (*_empty(), facts)
    values, observed, reps = paired_bootstrap(
        table, contrasts, resamples=settings.resamples, seed=settings.seed
    )
    return values, observed, reps, facts


def _row_counts(row: Any, metric: GateMetric) -> tuple[int, int]:
    c = _result_row_counts(row)
    return int(metric.rate.numerator(c)), int(metric.rate.denominator(c))


def _unpaired(
    pending: list[_Pending], settings: RegressionSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    counts = np.zeros((len(pending), 2, 4), dtype=np.int64)
    contrasts = []
    for i, p in enumerate(pending):
        refs = []
        for side, (row, cmp_row) in enumerate(((p.base_ref.row, p.cmp[0]), (p.ref.row, p.cmp[1]))):
            counts[i, side, :2] = _row_counts(row, p.metric)
            counts[i, side, 2:] = _row_counts(cmp_row, p.metric)
            same = list(row["group"]) == list(cmp_row["group"])
            refs.append(np.array([True]) if same else np.array([False]))
        contrasts.append(Contrast(p.metric, p.direction, np.array([True]), (refs[0], refs[1])))
    if not pending:
        return (*_empty(), {})
    values, observed, reps = unpaired_bootstrap(
        counts, contrasts, resamples=settings.resamples, seed=settings.seed
    )
    return values, observed, reps, {}


def _undefined(reps: np.ndarray) -> np.ndarray:
    """Share of the bootstrap replicates in which each check is undefined."""
    return 1 - np.isfinite(reps).mean(axis=0) if reps.size else np.zeros(reps.shape[1])


def _outcome(
    p: _Pending,
    values: np.ndarray,
    observed: float,
    undefined: float,
    bounds: tuple[float, float],
    settings: RegressionSettings,
    rules: PolicyRules,
    method: str,
) -> Check:
    rule, metric = _rule_text(p.metric.column, settings), p.metric.column
    if undefined > MAX_UNDEFINED or not np.isfinite(observed):
        reason = f"{metric} is undefined in {undefined:.1%} of the bootstrap replicates"
        return insufficient_check("regression", rule, metric, p.ref, reason, rules)
    c, margin = settings.confidence, settings.margin_for(metric)
    low, high = bounds
    base, cand = float(values[0]), float(values[1])
    failed = low > margin if settings.test == "inferiority" else high > margin
    head = (
        f"{p.ref.table} = {p.ref.group}: {metric} went from {base:.3f} (baseline) to {cand:.3f} "
        f"(candidate), a regression of {observed:+.3f} "
        f"[{c:.0%} simultaneous one-sided bounds {low:+.3f}, {high:+.3f}; {method}]"
    )
    if settings.test == "inferiority":
        tail = (
            f"the lower bound exceeds the margin {margin:g}: a regression beyond the margin "
            f"is established at {c:.0%} confidence"
            if failed
            else f"the lower bound does not exceed the margin {margin:g}"
        )
    else:
        tail = (
            f"the upper bound exceeds the margin {margin:g}: a regression beyond the margin "
            f"cannot be ruled out at {c:.0%} confidence"
            if failed
            else f"the upper bound is within the margin {margin:g}"
        )
    details = {
        "baseline": base,
        "candidate": cand,
        "regression": float(observed),
        "lower": low,
        "upper": high,
        "undefined_replicates": float(undefined),
        "direction": p.direction,
        "comparison_groups": [" / ".join(r["group"]) for r in p.cmp],
    }
    return Check(
        "regression",
        rule,
        metric,
        p.ref.table,
        p.ref.group,
        FAIL if failed else PASS,
        not failed,
        f"{head}; {tail}",
        value=cand,
        interval=(low, high),
        threshold=margin,
        n=None,
        details=details,
    )


@validate_params(
    {
        "settings": [None, instance_of(RegressionSettings)],
        "rules": [None, instance_of(PolicyRules)],
        "unpaired": [instance_of(bool)],
    }
)
def compare_results(
    baseline: AuditResult,
    candidate: AuditResult,
    settings: RegressionSettings | None = None,
    rules: PolicyRules | None = None,
    *,
    unpaired: bool = False,
) -> Comparison:
    """Compare a candidate audit with the baseline, group by group.

    Parameters
    ----------
    baseline, candidate : AuditResult
        For the paired comparison both need per-candidate records (from
        :func:`biasaudit.gate.audit_with_records` or ``biasaudit baseline update``)
        of the same pool.
    settings : RegressionSettings, optional
        Metrics, margin, confidence, test, resamples, seed.
    rules : PolicyRules, optional
        Scope, minimum group size and insufficient-data handling (shared with the
        policy checks), and the bounds whose direction says which way is worse.
    unpaired : bool
        Compare independent audits (pools differ) with the unpaired bootstrap.

    Returns
    -------
    Comparison

    Raises
    ------
    biasaudit.ValidationError
        When a paired comparison is asked for audits without records or of
        different pools, or a metric cannot be computed from the candidate audit.
    """
    settings = settings or RegressionSettings()
    rules = rules or PolicyRules()
    metrics = _metrics(candidate, settings, rules)
    for metric in metrics:
        require_metric(candidate, metric)
    checks: list[Check | _Pending] = []
    base_groups = {(g.attributes, g.values): g for g in select_groups(baseline, None)}
    groups = select_groups(candidate, rules.scope)
    for metric in metrics:
        rule = _rule_text(metric.column, settings)
        for ref in groups:
            checks.append(_screen(baseline, base_groups, metric, ref, rules, rule))
    pending = [c for c in checks if isinstance(c, _Pending)]
    method = _method(unpaired, settings)
    if unpaired:
        values, observed, reps, facts = _unpaired(pending, settings)
    else:
        values, observed, reps, facts = _paired(baseline, candidate, pending, settings)
    undefined = _undefined(reps)
    usable = (undefined <= MAX_UNDEFINED) & np.isfinite(observed)
    low, high = simultaneous_bounds(observed, reps, settings.confidence, usable)
    facts = {**facts, "family": int(usable.sum())}
    out = []
    for item in checks:
        if isinstance(item, _Pending):
            i = pending.index(item)
            bounds = (float(low[i]), float(high[i]))
            out.append(
                _outcome(
                    item, values[i], observed[i], undefined[i], bounds, settings, rules, method
                )
            )
        else:
            out.append(item)
    return Comparison(not unpaired, method, tuple(out), settings, facts)


def _method(unpaired: bool, settings: RegressionSettings) -> str:
    kind = "unpaired" if unpaired else "paired"
    return (
        f"{kind} bootstrap, {settings.resamples} resamples, seed {settings.seed}, "
        "simultaneous bounds"
    )


def _empty() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros((0, 2)), np.zeros(0), np.zeros((1, 0))
