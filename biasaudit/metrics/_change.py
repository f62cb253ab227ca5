"""Tests of a change between two audits: did a group's impact ratio really move?

Two audits (a baseline and a candidate matcher, or before and after) each give a
group's impact ratio with its Katz log interval. The change is the ratio of the
two impact ratios; on the log scale it is a difference of two estimates, each
with the standard error its own interval implies, so

    z = (log r1 - log r0) / sqrt(se0^2 + se1^2),  se = (log high - log low) / (2 z_c)

with z_c the normal quantile of the audits' interval level. The two audits are
treated as independent samples; when both read the same candidates, the
estimates are positively correlated and the test is conservative (it finds fewer
changes, never more). The family of changes of one comparison is corrected with
Holm's method, so the chance of calling any unchanged group worse or better is
at most alpha.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from biasaudit.metrics.significance import adjust_pvalues

__all__ = ["RatioChanges", "ratio_changes"]


@dataclass(frozen=True)
class RatioChanges:
    """Per group: the ratio of impact ratios, its interval, and the corrected test.

    Arrays are NaN where a change cannot be tested (an undefined ratio, or an
    interval that reaches 0 or infinity in either audit).
    """

    change: np.ndarray
    low: np.ndarray
    high: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    significant: np.ndarray
    away_from_parity: np.ndarray


def _log_se(low: np.ndarray, high: np.ndarray, z_c: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        se = (np.log(high) - np.log(low)) / (2 * z_c)
    return np.where(np.isfinite(se) & (se > 0), se, np.nan)


def ratio_changes(
    before: tuple[np.ndarray, np.ndarray, np.ndarray],
    after: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> RatioChanges:
    """Test each group's change of impact ratio between two audits, Holm-corrected.

    Parameters
    ----------
    before, after : tuple of arrays
        ``(ratio, ci_low, ci_high)`` per group in the baseline and the candidate
        audit, the groups in the same order.
    confidence : float
        The level of the audits' intervals (their standard errors come from it),
        and of the interval returned for the change.
    alpha : float
        Family-wise error rate of the corrected tests.

    Returns
    -------
    RatioChanges

    Examples
    --------
    >>> r = ratio_changes((np.array([0.95, 0.90]), np.array([0.90, 0.80]),
    ...                    np.array([1.00, 1.01])),
    ...                   (np.array([0.70, 0.91]), np.array([0.66, 0.81]),
    ...                    np.array([0.74, 1.02])))
    >>> r.significant.tolist(), r.away_from_parity.tolist()
    ([True, False], [True, False])
    >>> round(float(r.change[0]), 3)
    0.737
    """
    (r0, lo0, hi0), (r1, lo1, hi1) = (
        tuple(np.asarray(v, dtype=np.float64) for v in side) for side in (before, after)
    )
    z_c = float(stats.norm.ppf(0.5 + confidence / 2))
    se = np.sqrt(_log_se(lo0, hi0, z_c) ** 2 + _log_se(lo1, hi1, z_c) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_change = np.log(r1) - np.log(r0)
        z = log_change / se
    testable = np.isfinite(z)
    z = np.where(testable, z, np.nan)
    p = np.where(testable, 2 * stats.norm.sf(np.abs(z)), np.nan)
    adjusted = adjust_pvalues(p, "holm")
    with np.errstate(invalid="ignore"):
        away = np.abs(np.log(r1)) > np.abs(np.log(r0))
    return RatioChanges(
        change=np.where(testable, np.exp(log_change), np.nan),
        low=np.where(testable, np.exp(log_change - z_c * se), np.nan),
        high=np.where(testable, np.exp(log_change + z_c * se), np.nan),
        z=z,
        p_value=p,
        p_adjusted=adjusted,
        significant=testable & (adjusted < alpha),
        away_from_parity=testable & away,
    )
