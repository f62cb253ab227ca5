"""Power analysis: how many candidates an audit needs to detect a given impact ratio."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from scipy import stats

from biasaudit import _errors as E
from biasaudit._errors import ValidationError
from biasaudit.metrics.significance import two_proportion_z

__all__ = ["power", "required_pool_size", "simulate_power"]

_CRITERIA = ("significant", "adverse_impact")


def _number(name: str, value: Any, low: float, high: float, fix: str, *, closed: bool = False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    inside = ok and (low <= value <= high if closed else low < value < high)
    if not inside:
        bracket = f"[{low:g}, {high:g}]" if closed else f"({low:g}, {high:g})"
        raise ValidationError(
            E.BAD_SYNTH_ARGUMENT.format(
                name=name, expected=f"a number in {bracket}", value=value, fix=fix
            )
        )
    return float(value)


def _rates(impact_ratio: Any, reference_rate: Any) -> tuple[float, float]:
    p2 = _number("reference_rate", reference_rate, 0, 1, "Pass the comparison group's rate.")
    ratio = _number("impact_ratio", impact_ratio, 0, 1 / p2, "Pass e.g. impact_ratio=0.8.")
    if ratio == 1:
        raise ValidationError(
            E.BAD_SYNTH_ARGUMENT.format(
                name="impact_ratio",
                expected="different from 1 (there is nothing to detect)",
                value=impact_ratio,
                fix="Pass e.g. impact_ratio=0.8.",
            )
        )
    return ratio * p2, p2


def _alpha(alpha: Any, n_tests: Any) -> float:
    a = _number("alpha", alpha, 0, 1, "Pass e.g. alpha=0.05.")
    if not isinstance(n_tests, numbers.Integral) or n_tests < 1:
        raise ValidationError(
            E.BAD_SYNTH_ARGUMENT.format(
                name="n_tests",
                expected="a positive integer",
                value=n_tests,
                fix="Pass the number of tests corrected together, e.g. n_tests=1.",
            )
        )
    return a / int(n_tests)


def power(
    n: int,
    impact_ratio: float,
    *,
    reference_rate: float,
    alpha: float = 0.05,
    allocation: float = 1.0,
    n_tests: int = 1,
) -> float:
    """Approximate power of the audit's two-proportion Z test (normal approximation).

    Parameters
    ----------
    n : int
        Candidates in the focal group; the comparison group has ``allocation * n``.
    impact_ratio : float
        True ratio of the focal group's selection rate to the comparison group's.
    reference_rate : float
        True selection rate of the comparison group.
    alpha : float
        Two-sided significance level.
    allocation : float
        Comparison group size over focal group size.
    n_tests : int
        Tests corrected together; ``alpha / n_tests`` is used (Bonferroni, which is
        also where Holm starts, so the figure is conservative for Holm).

    Returns
    -------
    float

    Examples
    --------
    >>> round(power(859, 0.8, reference_rate=0.3), 3)
    0.8
    """
    p1, p2 = _rates(impact_ratio, reference_rate)
    k = _number("allocation", allocation, 0, math.inf, "Pass e.g. allocation=1.")
    z_alpha = stats.norm.isf(_alpha(alpha, n_tests) / 2)
    pooled = (p1 + k * p2) / (1 + k)
    null_sd = math.sqrt(pooled * (1 - pooled) * (1 + 1 / k))
    alt_sd = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2) / k)
    return float(stats.norm.cdf((abs(p1 - p2) * math.sqrt(n) - z_alpha * null_sd) / alt_sd))


def required_pool_size(
    impact_ratio: float,
    *,
    reference_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation: float = 1.0,
    n_tests: int = 1,
) -> int:
    """Candidates per group an audit needs to detect a given impact ratio.

    "Detect" means the audit's pooled two-proportion Z test (the EEOC "two standard
    deviations" test) is significant at ``alpha`` (two-sided, divided by ``n_tests``
    for a multiple-comparison correction). The sample size comes from the normal
    approximation (Fleiss, Levin and Paik, *Statistical Methods for Rates and
    Proportions*, 3rd ed., 2003, eq. 4.19 without continuity correction);
    :func:`simulate_power` checks it.

    Parameters
    ----------
    impact_ratio : float
        True impact ratio to detect (e.g. 0.8: the four-fifths line).
    reference_rate : float
        Selection rate of the comparison group.
    alpha : float
        Significance level.
    power : float
        Wanted probability of detecting the disparity.
    allocation : float
        Comparison group size over focal group size (e.g. 4 when the comparison group
        is four times larger).
    n_tests : int
        Tests corrected together (Bonferroni bound; conservative for Holm).

    Returns
    -------
    int
        Candidates in the focal group; the comparison group needs
        ``ceil(allocation * n)``.

    Raises
    ------
    biasaudit.ValidationError
        For rates outside (0, 1), an impact ratio of 1, or a bad ``power``/``alpha``.

    Examples
    --------
    >>> required_pool_size(0.8, reference_rate=0.3)
    859
    >>> required_pool_size(0.8, reference_rate=0.3, allocation=4)
    545
    """
    p1, p2 = _rates(impact_ratio, reference_rate)
    k = _number("allocation", allocation, 0, math.inf, "Pass e.g. allocation=1.")
    wanted = _number("power", power, 0, 1, "Pass e.g. power=0.8.")
    z_alpha = stats.norm.isf(_alpha(alpha, n_tests) / 2)
    z_beta = stats.norm.ppf(wanted)
    pooled = (p1 + k * p2) / (1 + k)
    null_sd = math.sqrt(pooled * (1 - pooled) * (1 + 1 / k))
    alt_sd = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2) / k)
    return math.ceil(((z_alpha * null_sd + z_beta * alt_sd) / (p1 - p2)) ** 2 - 1e-9)


def simulate_power(
    n: int,
    impact_ratio: float,
    *,
    reference_rate: float,
    alpha: float = 0.05,
    allocation: float = 1.0,
    n_tests: int = 1,
    criterion: str = "significant",
    n_sims: int = 10_000,
    seed: int | None = None,
) -> float:
    """Power of the audit's test by simulation of binomial selection counts.

    Parameters
    ----------
    n, impact_ratio, reference_rate, alpha, allocation, n_tests
        As in :func:`power`.
    criterion : {"significant", "adverse_impact"}
        ``"significant"``: the Z test is significant; ``"adverse_impact"``: also the
        observed impact ratio is under 0.8 (the audit's "adverse impact" verdict).
    n_sims : int
        Simulated audits.
    seed : int, optional
        Random seed.

    Returns
    -------
    float
        Share of simulated audits that detect the disparity.

    Examples
    --------
    >>> round(simulate_power(859, 0.8, reference_rate=0.3, n_sims=20_000, seed=1), 2)
    0.8
    """
    if criterion not in _CRITERIA:
        raise ValidationError(
            E.BAD_SYNTH_ARGUMENT.format(
                name="criterion",
                expected=f"one of {list(_CRITERIA)}",
                value=criterion,
                fix="Pass criterion='significant'.",
            )
        )
    p1, p2 = _rates(impact_ratio, reference_rate)
    k = _number("allocation", allocation, 0, math.inf, "Pass e.g. allocation=1.")
    rng = np.random.default_rng(seed)
    n1, n2 = int(n), math.ceil(k * n)
    x1, x2 = rng.binomial(n1, p1, n_sims), rng.binomial(n2, p2, n_sims)
    _, p = two_proportion_z(x1, np.full(n_sims, n1), x2, np.full(n_sims, n2))
    hit = p < _alpha(alpha, n_tests)
    if criterion == "adverse_impact":
        r1, r2 = x1 / n1, x2 / n2
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.minimum(r1, r2) / np.maximum(r1, r2)
        hit &= ratio < 0.8
    return float(hit.mean())
