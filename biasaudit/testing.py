"""Assertions for pytest: fail a test when a matcher shows adverse impact or regresses.

They run the same policy and baseline-comparison code as ``biasaudit gate`` and raise
``AssertionError`` with one line per failing group, naming the group, the metric,
the value, the threshold and the interval.

Examples
--------
>>> import pandas as pd, biasaudit
>>> from biasaudit.testing import assert_no_adverse_impact
>>> df = pd.DataFrame({"sex": ["F"] * 50 + ["M"] * 50,
...                    "hired": [1] * 22 + [0] * 28 + [1] * 25 + [0] * 25})
>>> checks = assert_no_adverse_impact(biasaudit.audit(df, attributes=["sex"], selected="hired"))
>>> [c.status for c in checks]
['pass', 'pass']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

from biasaudit._validation import Interval, instance_of, validate_params
from biasaudit.gate._metrics import Bound
from biasaudit.gate._policy import POLICY_CONSTRAINTS, Check, PolicyRules, evaluate_policy
from biasaudit.gate._regression import REGRESSION_CONSTRAINTS, RegressionSettings, compare_results
from biasaudit.results import AuditResult

__all__ = ["assert_no_adverse_impact", "assert_no_regression"]


def _raise_failures(title: str, checks: list[Check]) -> None:
    failing = [c for c in checks if not c.passed]
    if failing:
        lines = [f"{title}: {len(failing)} of {len(checks)} check(s) fail:"]
        lines += [f"  - {c.message}" for c in failing]
        raise AssertionError("\n".join(lines))


_SCOPE = {key: POLICY_CONSTRAINTS[key] for key in ("min_group_size", "insufficient_data")}


@validate_params(
    {
        **POLICY_CONSTRAINTS,
        "threshold": [Interval(Real, None, None, fix="Pass e.g. threshold=0.8.")],
        "metric": [instance_of(str)],
    }
)
def assert_no_adverse_impact(
    result: AuditResult,
    *,
    threshold: float = 0.8,
    metric: str = "impact_ratio",
    require_significance: bool = False,
    min_group_size: int = 30,
    insufficient_data: str = "fail",
    groups: Mapping[str, Any] | None = None,
) -> list[Check]:
    """Assert that every group in scope meets the threshold on ``metric``.

    Parameters
    ----------
    result : AuditResult
        The audit of the matcher under test.
    threshold : float
        For a ``*_ratio`` metric the minimum (0.8: the four-fifths rule); for a
        ``*_difference`` metric the largest allowed gap ``|value|``.
    metric : str
        A gateable column of the group table (see ``biasaudit.gate.GATE_METRICS``),
        e.g. ``"impact_ratio"`` or ``"equal_opportunity_difference"``.
    require_significance : bool
        Let a violation pass when it is not statistically significant (adjusted
        p-value of the metric's Z test at or above the audit's alpha).
    min_group_size : int
        Groups (or comparison groups) with a smaller metric denominator have
        "insufficient data".
    insufficient_data : {"fail", "pass"}
        Whether insufficient data fails the assertion.
    groups : mapping, optional
        Scope, e.g. ``{"race": ["Black or African American"], "sex": "*"}``.

    Returns
    -------
    list of Check
        Every check, when none fails.

    Raises
    ------
    AssertionError
        One line per failing group: group, metric, value, interval, threshold.

    Examples
    --------
    >>> import pandas as pd, biasaudit
    >>> df = pd.DataFrame({"sex": ["F"] * 50 + ["M"] * 50,
    ...                    "hired": [1] * 10 + [0] * 40 + [1] * 25 + [0] * 25})
    >>> assert_no_adverse_impact(biasaudit.audit(df, attributes=["sex"], selected="hired"))
    Traceback (most recent call last):
    AssertionError: Adverse impact: 1 of 2 check(s) fail:
      - sex = F: impact_ratio = 0.400 [95% CI 0.215, 0.743] is below the minimum 0.8 \
(rule impact_ratio >= 0.8; 50 candidates, adjusted p = 0.00166)
    """
    rules = PolicyRules(
        bounds=(Bound.from_threshold(metric, threshold),),
        require_significance=require_significance,
        min_group_size=min_group_size,
        insufficient_data=insufficient_data,
        scope=groups,
    )
    checks = evaluate_policy(result, rules)
    _raise_failures("Adverse impact", checks)
    return checks


@validate_params({**REGRESSION_CONSTRAINTS, **_SCOPE, "unpaired": [instance_of(bool)]})
def assert_no_regression(
    baseline: AuditResult,
    candidate: AuditResult,
    *,
    margin: float | Mapping[str, float] = 0.05,
    metric: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    test: str = "inferiority",
    resamples: int = 2000,
    seed: int = 0,
    unpaired: bool = False,
    min_group_size: int = 30,
    insufficient_data: str = "fail",
    groups: Mapping[str, Any] | None = None,
) -> list[Check]:
    """Assert that no group is measurably worse in ``candidate`` than in ``baseline``.

    The regression of a group is how much its metric got worse (for a ratio, the
    drop); with ``test="inferiority"`` the assertion fails when the one-sided lower
    bootstrap bound of the regression at ``confidence`` exceeds ``margin``, with
    ``test="non-inferiority"`` unless the upper bound is within it (see
    :mod:`biasaudit.gate._regression`).

    Parameters
    ----------
    baseline, candidate : AuditResult
        From :func:`biasaudit.gate.audit_with_records` on the same pool (paired
        bootstrap over candidates), or any two audits with ``unpaired=True``.
    margin : float or mapping
        Allowed regression in the metric's units (or ``{metric: margin}``).
    metric : str or list of str, optional
        Metrics to compare; default the primary impact ratio.
    confidence, test, resamples, seed
        Bootstrap settings (deterministic for a given seed).
    unpaired : bool
        Compare audits of different pools (unpaired bootstrap).
    min_group_size, insufficient_data, groups
        As in :func:`assert_no_adverse_impact`.

    Returns
    -------
    list of Check
        Every comparison, when none fails.

    Raises
    ------
    AssertionError
        One line per group that regressed, with both values, the regression and its
        bounds, and the margin.
    biasaudit.ValidationError
        When the audits cannot be paired (no records, different pools) and
        ``unpaired`` is false.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from biasaudit.gate import audit_with_records
    >>> df = pd.DataFrame({"cid": range(400), "sex": ["F", "M"] * 200,
    ...                    "old": np.random.default_rng(0).random(400)})
    >>> df["new"] = df["old"] + 0.01
    >>> base = audit_with_records(df, attributes=["sex"], score="old", threshold=0.5, id="cid")
    >>> cand = audit_with_records(df, attributes=["sex"], score="new", threshold=0.5, id="cid")
    >>> len(assert_no_regression(base, cand, margin=0.05))
    2
    """
    metrics = (metric,) if isinstance(metric, str) else tuple(metric or ())
    settings = RegressionSettings(
        metrics=metrics,
        margin=margin,
        confidence=confidence,
        test=test,
        resamples=resamples,
        seed=seed,
    )
    rules = PolicyRules(
        min_group_size=min_group_size, insufficient_data=insufficient_data, scope=groups
    )
    comparison = compare_results(baseline, candidate, settings, rules, unpaired=unpaired)
    checks = list(comparison.checks)
    _raise_failures(f"Regression against the baseline ({comparison.method})", checks)
    return checks
