"""Paired statistics of a name swap: score differences, their tests, selection flips.

Pure functions of arrays: ``d`` holds one paired difference per resume (a group's
variant minus the reference group's variant of the same resume).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from biasaudit._validation import validate_params
from biasaudit.metrics.significance import ALPHA, CONFIDENCE, wilson_interval

__all__ = [
    "flip_statistics",
    "median_interval",
    "min_pairs",
    "paired_statistics",
    "wilcoxon_method",
]

#: The tests' and intervals' settings, as the counterfactual audits take them.
STATS_CONSTRAINTS = {"alpha": [ALPHA], "confidence": [CONFIDENCE]}


@validate_params({"alpha": [ALPHA]})
def min_pairs(alpha: float) -> int:
    """Fewest non-zero pairs with which a two-sided sign test can reach ``alpha``.

    With ``m`` non-zero differences the smallest attainable p-value of the sign test
    (and of the exact signed-rank test) is ``2 * 0.5**m``.

    Examples
    --------
    >>> min_pairs(0.05), min_pairs(0.01)
    (6, 8)
    """
    return max(1, math.ceil(math.log2(2.0 / alpha) - 1e-12))


@validate_params({"confidence": [CONFIDENCE]})
def median_interval(d: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Exact distribution-free interval for the median: two order statistics.

    ``[d_(k), d_(n+1-k)]`` with the largest ``k`` whose coverage
    ``1 - 2 P(B <= k - 1)``, ``B ~ Binomial(n, 1/2)``, is at least ``confidence``
    (the interval behind the sign test; it needs no symmetry). NaN when ``n`` is too
    small for any ``k`` (fewer than 6 values at 95%).

    Returns
    -------
    tuple of float
        ``(low, high, achieved coverage)``.

    Examples
    --------
    >>> median_interval(np.arange(1.0, 11.0))
    (2.0, 9.0, 0.978515625)
    >>> median_interval(np.array([1.0, 2.0, 3.0]))
    (nan, nan, nan)
    """
    values = np.sort(np.asarray(d, dtype=np.float64))
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    cdf = stats.binom.cdf(np.arange(n + 1), n, 0.5)
    ok = np.flatnonzero(cdf <= (1 - confidence) / 2 + 1e-12)
    if len(ok) == 0:
        return math.nan, math.nan, math.nan
    k = int(ok[-1]) + 1
    return float(values[k - 1]), float(values[n - k]), float(1 - 2 * cdf[k - 1])


def wilcoxon_method(d: np.ndarray) -> str:
    """Which p-value ``scipy.stats.wilcoxon(d, zero_method="pratt")`` computes.

    SciPy's ``method="auto"``: more than 50 pairs, the normal approximation; otherwise
    the exact distribution when no difference is zero or tied, an exhaustive
    permutation of signs with 13 pairs or fewer, else the normal approximation
    (tie- and zero-corrected).

    Examples
    --------
    >>> wilcoxon_method(np.array([1.0, -2.0, 3.0])), wilcoxon_method(np.array([0.0, 1.0, 1.0]))
    ('exact', 'exhaustive permutation')
    """
    n = len(d)
    if n > 50:
        return "normal approximation"
    magnitudes = np.abs(d[d != 0])
    if not (np.any(d == 0) or len(np.unique(magnitudes)) < len(magnitudes)):
        return "exact"
    return "exhaustive permutation" if n <= 13 else "normal approximation"


def _wilcoxon(d: np.ndarray) -> tuple[float, float]:
    if len(d) == 0 or not np.any(d != 0):
        return math.nan, math.nan  # no non-zero difference: nothing to rank
    result = stats.wilcoxon(d, zero_method="pratt", method="auto")
    return float(result.statistic), float(result.pvalue)


def _t_interval(d: np.ndarray, confidence: float) -> tuple[float, float, float]:
    n = len(d)
    if n < 2:
        return math.nan, math.nan, math.nan
    sd = float(np.std(d, ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    mean = float(np.mean(d))
    return mean - half, mean + half, sd


@validate_params({"confidence": [CONFIDENCE]})
def paired_statistics(d: np.ndarray, confidence: float = 0.95) -> dict[str, Any]:
    """Every paired statistic of one comparison.

    Parameters
    ----------
    d : array of float
        Paired differences (group's variant minus the reference's, per resume).
    confidence : float
        Interval confidence.

    Returns
    -------
    dict
        ``n``; ``mean_difference`` with its t interval (``mean_ci``) and ``sd``;
        ``median_difference`` with the exact order-statistic interval
        (``median_ci``, ``median_ci_coverage``); ``higher``, ``lower``, ``equal``
        (counts of positive, negative, zero differences); ``wilcoxon_statistic``
        and ``wilcoxon_p`` (signed-rank, Pratt's treatment of zeros: ranked, then
        dropped) with ``wilcoxon_method``; ``sign_p`` (exact binomial sign test on
        the non-zero differences). NaN where undefined.

    Examples
    --------
    >>> s = paired_statistics(np.array([-0.2, -0.1, 0.0, -0.3, 0.1, -0.4, -0.2]))
    >>> s["higher"], s["lower"], s["equal"], round(s["sign_p"], 4)
    (1, 5, 1, 0.2188)
    """
    d = np.asarray(d, dtype=np.float64)
    low, high, sd = _t_interval(d, confidence)
    m_low, m_high, coverage = median_interval(d, confidence)
    statistic, p = _wilcoxon(d)
    higher, lower = int((d > 0).sum()), int((d < 0).sum())
    sign_p = (
        float(stats.binomtest(higher, higher + lower, 0.5).pvalue) if higher + lower else math.nan
    )
    return {
        "n": len(d),
        "mean_difference": float(np.mean(d)) if len(d) else math.nan,
        "mean_ci": (low, high),
        "sd": sd,
        "median_difference": float(np.median(d)) if len(d) else math.nan,
        "median_ci": (m_low, m_high),
        "median_ci_coverage": coverage,
        "higher": higher,
        "lower": lower,
        "equal": int((d == 0).sum()),
        "wilcoxon_statistic": statistic,
        "wilcoxon_p": p,
        "wilcoxon_method": wilcoxon_method(d) if np.any(d != 0) else "not run",
        "sign_p": sign_p,
    }


@validate_params({"confidence": [CONFIDENCE]})
def flip_statistics(
    selected: np.ndarray, reference: np.ndarray, confidence: float = 0.95
) -> dict[str, Any]:
    """Selection flips between a group's variants and the reference's, resume by resume.

    Parameters
    ----------
    selected, reference : array of bool
        Whether each resume is selected with the group's name and with the
        reference group's name.
    confidence : float
        Wilson interval confidence.

    Returns
    -------
    dict
        ``n``, ``selected`` (with the group's name), ``flips`` (selection differs),
        ``flip_rate`` with its Wilson interval ``flip_rate_ci``, ``lost`` (selected
        only with the reference name), ``gained`` (only with the group's name) and
        ``mcnemar_p`` (exact McNemar test: binomial test of ``lost`` among the flips).

    Examples
    --------
    >>> f = flip_statistics(np.array([1, 0, 0, 1, 0], bool), np.array([1, 1, 1, 0, 0], bool))
    >>> f["flips"], f["lost"], f["gained"], f["flip_rate"]
    (3, 2, 1, 0.6)
    """
    sel = np.asarray(selected, dtype=bool)
    ref = np.asarray(reference, dtype=bool)
    n = len(sel)
    lost, gained = int((ref & ~sel).sum()), int((sel & ~ref).sum())
    flips = lost + gained
    low, high = wilson_interval(np.array([flips]), np.array([n]), confidence)
    return {
        "n": n,
        "selected": int(sel.sum()),
        "flips": flips,
        "flip_rate": flips / n if n else math.nan,
        "flip_rate_ci": (float(low[0]), float(high[0])),
        "lost": lost,
        "gained": gained,
        "mcnemar_p": float(stats.binomtest(lost, flips, 0.5).pvalue) if flips else math.nan,
    }
