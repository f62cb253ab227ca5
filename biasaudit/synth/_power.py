"""Power analysis: how many candidates an audit needs to detect a given impact ratio."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy import stats

from biasaudit import _errors as E
from biasaudit._errors import ValidationError
from biasaudit._validation import Interval, Options, check_param, validate_params
from biasaudit.metrics.significance import ALPHA, two_proportion_z

__all__ = ["power", "required_pool_size", "simulate_power"]

_CRITERIA = ("significant", "adverse_impact")
_RATIO_FIX = "Pass e.g. impact_ratio=0.8."
#: The arguments every power function takes (the impact ratio's upper bound, 1 over the
#: reference rate, is checked in the body).
POWER_CONSTRAINTS = {
    "impact_ratio": [Interval(Real, 0, None, closed="neither", fix=_RATIO_FIX)],
    "reference_rate": [
        Interval(Real, 0, 1, closed="neither", fix="Pass the comparison group's rate, e.g. 0.3.")
    ],
    "alpha": [ALPHA],
    "allocation": [Interval(Real, 0, None, closed="neither", fix="Pass e.g. allocation=1.")],
    "n_tests": [
        Interval(
            Integral, 1, None, fix="Pass the number of tests corrected together, e.g. n_tests=1."
        )
    ],
}
_N = [Interval(Integral, 1, None, fix="Pass the focal group's size, e.g. n=500.")]


def _rates(impact_ratio: float, reference_rate: float) -> tuple[float, float]:
    p2 = float(reference_rate)
    bound = Interval(Real, 0, 1 / p2, closed="neither", fix=_RATIO_FIX)
    ratio = float(check_param("impact_ratio", impact_ratio, bound))
    if ratio == 1:
        raise ValidationError(
            E.BAD_PARAMETER.format(
                name="impact_ratio",
                expected="different from 1 (there is nothing to detect)",
                value=impact_ratio,
                fix=_RATIO_FIX,
            )
        )
    return ratio * p2, p2


def _alpha(alpha: float, n_tests: int) -> float:
    return float(alpha) / int(n_tests)


@validate_params({"n": _N, **POWER_CONSTRAINTS})
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
    k = float(allocation)
    z_alpha = stats.norm.isf(_alpha(alpha, n_tests) / 2)
    pooled = (p1 + k * p2) / (1 + k)
    null_sd = math.sqrt(pooled * (1 - pooled) * (1 + 1 / k))
    alt_sd = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2) / k)
    return float(stats.norm.cdf((abs(p1 - p2) * math.sqrt(n) - z_alpha * null_sd) / alt_sd))


@validate_params(
    {
        **POWER_CONSTRAINTS,
        "power": [Interval(Real, 0, 1, closed="neither", fix="Pass e.g. power=0.8.")],
    }
)
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
    k, wanted = float(allocation), float(power)
    z_alpha = stats.norm.isf(_alpha(alpha, n_tests) / 2)
    z_beta = stats.norm.ppf(wanted)
    pooled = (p1 + k * p2) / (1 + k)
    null_sd = math.sqrt(pooled * (1 - pooled) * (1 + 1 / k))
    alt_sd = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2) / k)
    return math.ceil(((z_alpha * null_sd + z_beta * alt_sd) / (p1 - p2)) ** 2 - 1e-9)


@validate_params(
    {
        "n": _N,
        **POWER_CONSTRAINTS,
        "criterion": [Options(str, _CRITERIA, fix="Pass criterion='significant'.")],
        "n_sims": [Interval(Integral, 1, None, fix="Pass e.g. n_sims=10_000.")],
        "seed": [None, Interval(Integral, 0, None, fix="Pass e.g. seed=1.")],
    }
)
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
    p1, p2 = _rates(impact_ratio, reference_rate)
    k = float(allocation)
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
