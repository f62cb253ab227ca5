"""Intervals and tests for rates and ratios, vectorised over groups.

All functions take NumPy arrays of counts and return arrays; undefined values
(empty groups, zero denominators) are NaN, never 0.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy import stats
from scipy.special import gammaln

from biasaudit._validation import Interval, Options, validate_params

__all__ = [
    "adjust_pvalues",
    "breslow_day",
    "fisher_exact",
    "katz_ratio_ci",
    "mantel_haenszel",
    "two_proportion_z",
    "wilson_interval",
]

Z95 = float(stats.norm.ppf(0.975))

#: What every function taking these arguments accepts (intervals, tests, audits).
CONFIDENCE = Interval(Real, 0, 1, closed="neither", fix="Pass e.g. {name}=0.95.")
ALPHA = Interval(Real, 0, 1, closed="neither", fix="Pass e.g. {name}=0.05.")
CORRECTIONS = ("holm", "bh", "none")
CORRECTION = Options(
    str, CORRECTIONS, fix="Pass {name}='holm' (family-wise) or 'bh' (false discovery rate)."
)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@validate_params({"confidence": [CONFIDENCE]})
def wilson_interval(
    successes: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions.

    Examples
    --------
    >>> low, high = wilson_interval(np.array([667]), np.array([1390]))
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.4537, 0.5061)
    """
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    p = _ratio(x, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At x = 0 and x = n the Wilson bound is exactly 0 (resp. 1); set it so.
    low = np.where(n > 0, np.where(x <= 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
    high = np.where(n > 0, np.where(x >= n, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    return low, high


@validate_params({"confidence": [CONFIDENCE]})
def katz_ratio_ci(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Katz log interval for the ratio of two proportions ``(x1/n1) / (x2/n2)``.

    When a count is zero, 0.5 is added to every cell of that 2x2 table (the
    Haldane-Anscombe correction) so the interval stays defined; a zero
    reference rate leaves the ratio itself undefined (NaN).

    Examples
    --------
    >>> low, high = katz_ratio_ci(np.array([555]), np.array([1181]),
    ...                           np.array([667]), np.array([1390]))
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (0.903, 1.063)
    """
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    x1, n1, x2, n2 = (np.asarray(v, dtype=np.float64) for v in (x1, n1, x2, n2))
    zero = (x1 == 0) | (x2 == 0) | (x1 == n1) | (x2 == n2)
    a, b = np.where(zero, x1 + 0.5, x1), np.where(zero, x2 + 0.5, x2)
    m1, m2 = np.where(zero, n1 + 1, n1), np.where(zero, n2 + 1, n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(_ratio(a, m1) / _ratio(b, m2))
        se = np.sqrt(1 / a - 1 / m1 + 1 / b - 1 / m2)
        low, high = np.exp(log_ratio - z * se), np.exp(log_ratio + z * se)
    undefined = (n1 <= 0) | (n2 <= 0) | (x2 <= 0)
    low = np.where(undefined, np.nan, np.where(x1 == 0, 0.0, low))
    return low, np.where(undefined, np.nan, high)


def two_proportion_z(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled two-proportion Z statistic and two-sided p-value (EEOC "two SDs").

    Equal rates of 0 or 1 in both groups give Z = 0 and p = 1: no difference
    is observed.

    Examples
    --------
    >>> z, p = two_proportion_z(np.array([555]), np.array([1181]),
    ...                         np.array([667]), np.array([1390]))
    >>> round(float(z[0]), 3)
    -0.502
    """
    x1, n1, x2, n2 = (np.asarray(v, dtype=np.float64) for v in (x1, n1, x2, n2))
    pooled = _ratio(x1 + x2, n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = np.where(se > 0, (_ratio(x1, n1) - _ratio(x2, n2)) / np.where(se > 0, se, 1), 0.0)
    defined = (n1 > 0) & (n2 > 0)
    z = np.where(defined, z, np.nan)
    p = np.where(defined, 2 * stats.norm.sf(np.abs(z)), np.nan)
    return z, p


def _logpmf(k: int, total: int, successes: int, draws: int) -> float:
    return float(
        gammaln(successes + 1)
        - gammaln(k + 1)
        - gammaln(successes - k + 1)
        + gammaln(total - successes + 1)
        - gammaln(draws - k + 1)
        - gammaln(total - successes - draws + k + 1)
        - gammaln(total + 1)
        + gammaln(draws + 1)
        + gammaln(total - draws + 1)
    )


def _boundary(lo: int, hi: int, inside) -> int:
    """Smallest k in [lo, hi] with inside(k) true, for a monotone predicate."""
    while lo < hi:
        mid = (lo + hi) // 2
        if inside(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _fisher_one(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    total, successes, draws = n1 + n2, x1 + x2, n1
    lo, hi = max(0, draws + successes - total), min(draws, successes)
    if lo == hi:
        return 1.0, 0.5
    dist = stats.hypergeom(total, successes, draws)
    observed = _logpmf(x1, total, successes, draws)
    tol = 1e-7
    mode = int((draws + 1) * (successes + 1) // (total + 2))
    mode = min(max(mode, lo), hi)
    at_most = lambda k: _logpmf(k, total, successes, draws) <= observed + tol  # noqa: E731
    # Left of the mode the pmf rises: the tail is [lo, k_left].
    k_left = _boundary(lo, mode, lambda k: not at_most(k)) - 1
    # Right of the mode the pmf falls: the tail is [k_right, hi].
    k_right = _boundary(mode, hi + 1, lambda k: k > hi or at_most(k))
    p = (dist.cdf(k_left) if k_left >= lo else 0.0) + (
        dist.sf(k_right - 1) if k_right <= hi else 0.0
    )
    equal = [
        k
        for k in {k_left, k_left - 1, k_right, k_right + 1, x1}
        if lo <= k <= hi and abs(_logpmf(k, total, successes, draws) - observed) <= tol
    ]
    mid = p - 0.5 * sum(float(np.exp(_logpmf(k, total, successes, draws))) for k in equal)
    return float(min(1.0, p)), float(min(1.0, max(0.0, mid)))


def fisher_exact(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided Fisher exact test of two proportions, and its mid-p variant.

    The two-sided p-value sums the probabilities of every table no more likely
    than the observed one (as :func:`scipy.stats.fisher_exact`); the mid-p
    value counts tables exactly as likely as the observed one by half. Found by
    binary search on the unimodal hypergeometric pmf, so large groups cost
    O(log n).

    Examples
    --------
    >>> p, midp = fisher_exact(np.array([1]), np.array([10]), np.array([6]), np.array([10]))
    >>> round(float(p[0]), 4), round(float(midp[0]), 4)
    (0.0573, 0.0302)
    """
    arrays = [np.atleast_1d(np.asarray(v)) for v in (x1, n1, x2, n2)]
    p = np.full(arrays[0].shape, np.nan)
    mid = np.full(arrays[0].shape, np.nan)
    for i, (a, m, b, k) in enumerate(zip(*arrays)):
        if m > 0 and k > 0:
            p[i], mid[i] = _fisher_one(int(a), int(m), int(b), int(k))
    return p, mid


@validate_params({"method": [CORRECTION]})
def adjust_pvalues(p: np.ndarray, method: str = "holm") -> np.ndarray:
    """Correct a family of p-values for multiple comparisons; NaN stays NaN.

    ``"holm"`` controls the family-wise error rate (Holm 1979),
    ``"bh"`` the false discovery rate (Benjamini and Hochberg 1995),
    ``"none"`` returns the p-values unchanged.

    Examples
    --------
    >>> adjust_pvalues(np.array([0.01, 0.04, 0.03]), "holm").round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=np.float64)
    out = p.copy()
    ok = np.isfinite(p)
    values = p[ok]
    m = len(values)
    if m == 0 or method == "none":
        return out
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:  # "bh"
        adjusted = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[ok] = result
    return out


def mantel_haenszel(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[float, float, float]:
    """Cochran-Mantel-Haenszel test across strata (no continuity correction).

    Arguments hold one entry per stratum: focal selected and total, comparison
    selected and total. Strata with fewer than two candidates carry no
    information and are skipped.

    Returns
    -------
    statistic, p_value, common_odds_ratio : float
        The CMH chi-square (1 df), its p-value and the Mantel-Haenszel odds
        ratio (focal over comparison); NaN when undefined.

    Examples
    --------
    >>> s, p, odds = mantel_haenszel(np.array([2, 5]), np.array([10, 10]),
    ...                              np.array([4, 7]), np.array([10, 10]))
    >>> round(s, 3), round(odds, 3)
    (1.689, 0.403)
    """
    a, n1, c, n2 = (np.asarray(v, dtype=np.float64) for v in (x1, n1, x2, n2))
    b, d = n1 - a, n2 - c
    t = n1 + n2
    keep = t >= 2
    a, b, c, d, n1, n2, t = (v[keep] for v in (a, b, c, d, n1, n2, t))
    m1 = a + c
    expected = n1 * m1 / t
    variance = n1 * n2 * m1 * (t - m1) / (t * t * (t - 1))
    var_total = variance.sum()
    num, den = (a * d / t).sum(), (b * c / t).sum()
    odds = num / den if den > 0 else np.nan
    if var_total <= 0:
        return float("nan"), float("nan"), float(odds)
    statistic = float((a.sum() - expected.sum()) ** 2 / var_total)
    return statistic, float(stats.chi2.sf(statistic, 1)), float(odds)


def breslow_day(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, odds_ratio: float
) -> tuple[float, float]:
    """Breslow-Day test that the odds ratio is the same in every stratum.

    Uses the Mantel-Haenszel common odds ratio, without Tarone's correction.

    Examples
    --------
    >>> s, p = breslow_day(np.array([2, 5]), np.array([10, 10]),
    ...                    np.array([4, 7]), np.array([10, 10]), 0.403)
    >>> round(s, 3)
    0.009
    """
    a, n1, c, n2 = (np.asarray(v, dtype=np.float64) for v in (x1, n1, x2, n2))
    m1 = a + c
    informative = (n1 > 0) & (n2 > 0) & (m1 > 0) & (m1 < n1 + n2)
    if informative.sum() < 2 or not np.isfinite(odds_ratio) or odds_ratio <= 0:
        return float("nan"), float("nan")
    a, n1, n2, m1 = a[informative], n1[informative], n2[informative], m1[informative]
    # Expected focal count e solves e (n2 - m1 + e) = psi (n1 - e)(m1 - e).
    psi = odds_ratio
    qa = 1 - psi
    qb = (n2 - m1) + psi * (n1 + m1)
    qc = -psi * n1 * m1
    lo, hi = np.maximum(0, m1 - n2), np.minimum(n1, m1)
    if abs(qa) < 1e-12:
        e = -qc / qb
    else:
        disc = np.sqrt(qb * qb - 4 * qa * qc)
        r1, r2 = (-qb + disc) / (2 * qa), (-qb - disc) / (2 * qa)
        e = np.where((r1 >= lo - 1e-9) & (r1 <= hi + 1e-9), r1, r2)
    var = 1 / (1 / e + 1 / (n1 - e) + 1 / (m1 - e) + 1 / (n2 - m1 + e))
    statistic = float(((a - e) ** 2 / var).sum())
    return statistic, float(stats.chi2.sf(statistic, len(a) - 1))
