"""Policy evaluation: thresholds on the group table, one outcome per (rule, group).

Shared by ``biasaudit gate`` and :mod:`biasaudit.testing`. It reads only the
:class:`~biasaudit.AuditResult` (its ``groups``, ``tables`` and configuration),
never raw rows, so it works the same on a fresh audit and on one loaded from JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from numbers import Integral
from typing import Any

import pandas as pd

from biasaudit import _errors as E
from biasaudit._json import clean
from biasaudit._validation import Constraint, Interval, Options, instance_of, validate_params
from biasaudit.gate import _messages as M
from biasaudit.gate._metrics import Bound, GateMetric
from biasaudit.results import AuditResult
from biasaudit.results._audit import _row_counts

__all__ = [
    "FAIL",
    "INSUFFICIENT",
    "PASS",
    "Check",
    "GroupRef",
    "PolicyRules",
    "denominator",
    "evaluate_policy",
    "require_metric",
    "select_groups",
]

PASS = "pass"
FAIL = "fail"
INSUFFICIENT = "insufficient data"

_DENOMINATOR_WORDS = {
    "selection_rate": "candidates",
    "scoring_rate": "candidates",
    "true_positive_rate": "qualified candidates",
    "false_negative_rate": "qualified candidates",
    "false_positive_rate": "unqualified candidates",
    "precision": "selected candidates",
}


@dataclass(frozen=True)
class Check:
    """The outcome of one rule for one group.

    ``status`` is ``"pass"``, ``"fail"`` or ``"insufficient data"``; ``passed`` says
    whether the gate counts it as passing (insufficient data passes only when the
    policy says ``insufficient_data = "pass"``). ``message`` names the group, the
    metric, the value, the threshold and the interval.
    """

    kind: str
    rule: str
    metric: str
    table: str
    group: str
    status: str
    passed: bool
    message: str
    value: float | None = None
    interval: tuple[float, float] | None = None
    threshold: float | None = None
    n: int | None = None
    p_value: float | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``table = group``, e.g. ``race = Black or African American``."""
        return f"{self.table} = {self.group}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (NaN as None)."""
        out = asdict(self)
        out["interval"] = list(self.interval) if self.interval is not None else None
        return clean(out)


#: What a policy's settings accept (PolicyRules, the [policy] table, biasaudit.testing).
POLICY_CONSTRAINTS: dict[str, list[Constraint]] = {
    "require_significance": [instance_of(bool)],
    "min_group_size": [Interval(Integral, 0, None, fix="Pass e.g. min_group_size=30.")],
    "insufficient_data": [
        Options(str, ("fail", "pass"), fix="Pass insufficient_data='fail' (the safe default).")
    ],
}


@validate_params(POLICY_CONSTRAINTS)
@dataclass(frozen=True)
class PolicyRules:
    """What a policy demands of every group in scope.

    Parameters
    ----------
    bounds : sequence of Bound
        The thresholds (e.g. ``Bound.from_threshold("impact_ratio", 0.8)``).
    require_significance : bool
        Count a violation only when the metric's Z test against the comparison
        group is significant after the audit's multiple-comparison correction
        (adjusted p below the audit's alpha); otherwise it passes with a note.
    min_group_size : int
        A group (or its comparison group) whose metric denominator is smaller
        (candidates for selection, qualified candidates for the true-positive
        rate, ...) has "insufficient data".
    insufficient_data : {"fail", "pass"}
        Whether an "insufficient data" outcome fails the gate or passes it.
    scope : mapping, optional
        ``{"race": ["Black or African American"], "sex": "*"}``: the attribute
        combinations (as labelled in the group table) and groups to gate; default
        every group of every combination.
    """

    bounds: tuple[Bound, ...] = ()
    require_significance: bool = False
    min_group_size: int = 30
    insufficient_data: str = "fail"
    scope: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "bounds", tuple(self.bounds))
        object.__setattr__(self, "min_group_size", int(self.min_group_size))


@dataclass(frozen=True)
class GroupRef:
    """A group of one table: its labels and its row in ``AuditResult.groups``."""

    table: str
    group: str
    attributes: tuple[str, ...]
    values: tuple[str, ...]
    row: pd.Series
    info: dict[str, Any]
    peers: dict[tuple[str, ...], pd.Series] = field(default_factory=dict, repr=False)


def _table_label(attrs: Sequence[str]) -> str:
    return " x ".join(attrs)


def _scope_groups(spec: Any, table: str, present: list[str]) -> list[str]:
    if spec is None or spec == "*" or spec == ["*"]:
        return present
    wanted = [spec] if isinstance(spec, str) else list(spec)
    for group in wanted:
        if group not in present:
            raise E.ValidationError(
                M.SCOPE_UNKNOWN_GROUP.format(group=group, table=table, groups=present)
            )
    return [g for g in present if g in wanted]


def select_groups(result: AuditResult, scope: Mapping[str, Any] | None = None) -> list[GroupRef]:
    """The groups in scope, in table order; a scope naming something absent is an error.

    Examples
    --------
    >>> import biasaudit
    >>> r = biasaudit.audit(biasaudit.datasets.load_resume_study(),
    ...                     attributes=["race", "sex"], selected="callback")
    >>> [g.group for g in select_groups(r, {"race": ["White"]})]
    ['White']
    """
    infos = {_table_label(t["attribute"]): t for t in result.tables}
    rows: dict[str, list[pd.Series]] = {}
    for _, row in result.groups.iterrows():
        rows.setdefault(_table_label(row["attribute"]), []).append(row)
    chosen = dict.fromkeys(infos) if scope is None else dict(scope)
    for table in chosen:
        if table not in infos:
            raise E.ValidationError(M.SCOPE_UNKNOWN_TABLE.format(table=table, tables=list(infos)))
    out = []
    for table, info in infos.items():
        if table not in chosen:
            continue
        by_label = {" / ".join(r["group"]): r for r in rows.get(table, [])}
        peers = {tuple(r["group"]): r for r in rows.get(table, [])}
        for group in _scope_groups(chosen[table], table, list(by_label)):
            row = by_label[group]
            attrs, values = tuple(row["attribute"]), tuple(row["group"])
            out.append(GroupRef(table, group, attrs, values, row, info, peers))
    return out


def denominator(row: pd.Series, gm: GateMetric) -> int:
    """The metric's denominator for one group row (candidates, qualified, selected...)."""

    return int(gm.rate.denominator(_row_counts(row)))


def require_metric(result: AuditResult, gm: GateMetric) -> None:
    """Raise when the audit has no column for the metric (e.g. a TPR gap without a label)."""
    if gm.column not in result.groups.columns:
        need, fix = gm.need()
        message = M.METRIC_NOT_COMPUTABLE.format(metric=gm.column, need=need, fix=fix)
        raise E.ValidationError(message)


def comparison_row(ref: GroupRef, gm: GateMetric) -> pd.Series | None:
    """The row of the group this metric is compared with in ``ref``'s table."""
    target = (ref.info.get("comparison_groups") or {}).get(gm.rate.name)
    return None if target is None else ref.peers.get(tuple(target))


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _newcombe(row: pd.Series, ref: pd.Series, gm: GateMetric) -> tuple[float, float]:
    """Newcombe's hybrid score interval of a difference of two rates, from their Wilson CIs."""
    names = gm.names
    p1, p2 = float(row[names["value"]]), float(ref[names["value"]])
    (l1, u1), (l2, u2) = row[names["ci"]], ref[names["ci"]]
    d = p1 - p2
    return (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def interval_of(row: pd.Series, ref: pd.Series, gm: GateMetric) -> tuple[float, float] | None:
    """Katz interval of a ratio (from the table), Newcombe interval of a difference."""
    if gm.kind == "ratio":
        low, high = row[gm.names["ratio_ci"]]
    else:
        low, high = _newcombe(row, ref, gm)
    return (float(low), float(high)) if _finite(low) and _finite(high) else None


def _insufficiency(
    ref: GroupRef, cmp_row: pd.Series | None, gm: GateMetric, min_size: int
) -> str | None:
    """Why a group cannot be judged on this metric, or None when it can."""
    row, words = ref.row, _DENOMINATOR_WORDS[gm.rate.name]
    if bool(row["excluded_small"]):
        return f"under the audit's minimum share ({float(row['share']):.1%} of known candidates)"
    if cmp_row is None:
        return "no comparison group (the rate is zero or undefined for every eligible group)"
    n = denominator(row, gm)
    if n < min_size:
        return f"{n} {words} < min_group_size {min_size}"
    n_ref = denominator(cmp_row, gm)
    if n_ref < min_size:
        label = " / ".join(cmp_row["group"])
        return f"comparison group {label} has {n_ref} {words} < min_group_size {min_size}"
    if not _finite(row[gm.column]):
        return f"{gm.column} is undefined"
    return None


def _fmt_interval(interval: tuple[float, float] | None, confidence: float) -> str:
    if interval is None:
        return f"[{confidence:.0%} CI undefined]"
    return f"[{confidence:.0%} CI {interval[0]:.3f}, {interval[1]:.3f}]"


def insufficient_check(
    kind: str, rule: str, metric: str, ref: GroupRef, reason: str, rules: PolicyRules, **extra: Any
) -> Check:
    """An "insufficient data" outcome, passing or failing as the policy says."""
    counted = "a pass" if rules.insufficient_data == "pass" else "a failure"
    message = (
        f"{ref.table} = {ref.group}: insufficient data for {metric}: {reason}; "
        f'counted as {counted} (insufficient_data = "{rules.insufficient_data}")'
    )
    return Check(
        kind,
        rule,
        metric,
        ref.table,
        ref.group,
        INSUFFICIENT,
        rules.insufficient_data == "pass",
        message,
        note=reason,
        **extra,
    )


def _policy_check(result: AuditResult, ref: GroupRef, bound: Bound, rules: PolicyRules) -> Check:
    gm = bound.gate
    config = result.provenance["configuration"]
    confidence, alpha = float(config["confidence"]), float(config["alpha"])
    cmp_row = comparison_row(ref, gm)
    reason = _insufficiency(ref, cmp_row, gm, rules.min_group_size)
    if reason is not None:
        return insufficient_check("policy", bound.describe(), gm.column, ref, reason, rules)
    assert cmp_row is not None  # _insufficiency returns a reason when there is none
    row = ref.row
    value, n = float(row[gm.column]), denominator(row, gm)
    label = f"{ref.table} = {ref.group}"
    if list(row["group"]) == list(cmp_row["group"]):
        message = f"{label}: comparison group for {gm.column} ({value:.3f}), so it passes"
        return Check(
            "policy", bound.describe(), gm.column, ref.table, ref.group, PASS, True, message,
            value=value, n=n, threshold=bound.threshold, note="comparison group",
        )  # fmt: skip
    interval = interval_of(row, cmp_row, gm)
    p = float(row[gm.names["p_adjusted"]]) if gm.names["p_adjusted"] in row else math.nan
    shown = f"{label}: {gm.column} = {value:.3f} {_fmt_interval(interval, confidence)}"
    words = _DENOMINATOR_WORDS[gm.rate.name]
    facts = f"{n} {words}, adjusted p = {p:.3g}" if _finite(p) else f"{n} {words}"
    p_value = p if _finite(p) else None

    def outcome(status: str, passed: bool, message: str, note: str = "") -> Check:
        return Check(
            "policy", bound.describe(), gm.column, ref.table, ref.group, status, passed, message,
            value=value, interval=interval, threshold=bound.threshold, n=n, p_value=p_value,
            note=note,
        )  # fmt: skip

    if not bound.violated(value):
        return outcome(PASS, True, f"{shown} meets {bound.describe()} ({facts})")
    significant = _finite(p) and p < alpha
    if rules.require_significance and not significant:
        message = (
            f"{shown} {bound.limit_text(value)} but is not statistically significant "
            f"({facts}, alpha {alpha:g}); passes because require_significance is on"
        )
        return outcome(PASS, True, message, note="violation not statistically significant")
    message = f"{shown} {bound.limit_text(value)} (rule {bound.describe()}; {facts})"
    return outcome(FAIL, False, message)


@validate_params({"rules": [instance_of(PolicyRules)]})
def evaluate_policy(result: AuditResult, rules: PolicyRules) -> list[Check]:
    """Evaluate every bound of the policy for every group in scope.

    Parameters
    ----------
    result : AuditResult
        A fresh audit or one loaded from JSON.
    rules : PolicyRules
        Bounds, significance requirement, minimum group size, scope.

    Returns
    -------
    list of Check
        One per (bound, group), bounds in policy order, groups in table order.

    Raises
    ------
    biasaudit.ValidationError
        When a bound names a metric the audit cannot compute (for example a
        true-positive-rate gap without a label), or the scope names an attribute
        combination or group the audit does not have.

    Examples
    --------
    >>> import pandas as pd, biasaudit
    >>> df = pd.DataFrame({"sex": ["F"] * 50 + ["M"] * 50,
    ...                    "hired": [1] * 10 + [0] * 40 + [1] * 25 + [0] * 25})
    >>> result = biasaudit.audit(df, attributes=["sex"], selected="hired")
    >>> checks = evaluate_policy(result, PolicyRules([Bound("impact_ratio", 0.8)]))
    >>> [(c.group, c.status) for c in checks]
    [('F', 'fail'), ('M', 'pass')]
    >>> print(checks[0].message)
    sex = F: impact_ratio = 0.400 [95% CI 0.215, 0.743] is below the minimum 0.8 \
(rule impact_ratio >= 0.8; 50 candidates, adjusted p = 0.00166)
    """
    for bound in rules.bounds:
        require_metric(result, bound.gate)
    groups = select_groups(result, rules.scope)
    return [_policy_check(result, ref, bound, rules) for bound in rules.bounds for ref in groups]
