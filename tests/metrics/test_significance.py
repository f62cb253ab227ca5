"""Hand-computed reference values for biasaudit.metrics.significance.

Every expected number below is either published (cited next to it) or worked
out by hand from the textbook formula, with the arithmetic shown in a comment,
so that a wrong implementation cannot agree with itself.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biasaudit.metrics.significance import (
    adjust_pvalues,
    breslow_day,
    fisher_exact,
    katz_ratio_ci,
    mantel_haenszel,
    two_proportion_z,
    wilson_interval,
)

Z95 = 1.959963984540054  # standard normal 97.5% quantile


def arr(*values: float) -> np.ndarray:
    return np.array(values, dtype=float)


# -- Wilson score interval ---------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 3
        # (Wilson score interval without continuity correction), 4 decimals.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # 5/10: centre 0.5, half-width = z/(1+z^2/n) * sqrt(p(1-p)/n + z^2/(4n^2))
        # = 1.96/1.38415 * sqrt(0.025 + 0.0096040) = 1.41600 * 0.18602 = 0.26341.
        (5, 10, 0.2366, 0.7634),
        # 0/10: upper = z^2 / (n + z^2) = 3.84146 / 13.84146 = 0.27753.
        (0, 10, 0.0000, 0.2775),
        # 10/10: lower = n / (n + z^2) = 10 / 13.84146 = 0.72247.
        (10, 10, 0.7225, 1.0000),
    ],
)
def test_wilson_interval_published_values(x, n, low, high):
    lo, hi = wilson_interval(arr(x), arr(n))
    assert lo[0] == pytest.approx(low, abs=5e-5)
    assert hi[0] == pytest.approx(high, abs=5e-5)


def test_wilson_interval_confidence_level_and_empty_group():
    # 90%: z = 1.644854; 5/10 -> half = 1.644854/1.270554 * sqrt(0.025 + 0.0067639)
    # = 1.294595 * 0.178224 = 0.2307282.
    lo, hi = wilson_interval(arr(5, 3), arr(10, 0), confidence=0.90)
    assert lo[0] == pytest.approx(0.5 - 0.2307282, abs=2e-7)
    assert hi[0] == pytest.approx(0.5 + 0.2307282, abs=2e-7)
    # An empty group has no interval: NaN, never 0.
    assert np.isnan(lo[1]) and np.isnan(hi[1])


# -- Katz log interval for a ratio of proportions ----------------------------


def test_katz_ratio_ci_hand_computed():
    # LL144 sex table: (555/1181) / (667/1390) = 0.979337.
    # se(log RR) = sqrt(1/555 - 1/1181 + 1/667 - 1/1390) = sqrt(0.00173502) = 0.0416536
    # exp(log(0.979337) -/+ 1.959964 * 0.0416536) = exp(-0.020879 -/+ 0.081640)
    lo, hi = katz_ratio_ci(arr(555), arr(1181), arr(667), arr(1390))
    assert lo[0] == pytest.approx(0.902564, abs=2e-6)
    assert hi[0] == pytest.approx(1.062640, abs=2e-6)


def test_katz_ratio_ci_zero_count_correction():
    # x1 = 0: 0.5 is added to every cell -> (0.5/11) / (5.5/11) = 1/11,
    # se = sqrt(1/0.5 - 1/11 + 1/5.5 - 1/11) = sqrt(2) exactly;
    # upper = exp(log(1/11) + z sqrt 2) = 1.453410; the lower bound is 0 because
    # the observed ratio is 0.
    # x1 = n1 (a rate of 1): (10.5/11) / (5.5/11) = 1.909091,
    # se = sqrt(1/10.5 - 1/11 + 1/5.5 - 1/11) = sqrt(2/21) = 0.308607.
    lo, hi = katz_ratio_ci(arr(0, 10), arr(10, 10), arr(5, 5), arr(10, 10))
    assert lo[0] == 0.0
    assert hi[0] == pytest.approx(math.exp(-math.log(11) + Z95 * math.sqrt(2)), rel=1e-12)
    assert hi[0] == pytest.approx(1.453410, abs=1e-6)
    se = math.sqrt(2 / 21)
    assert lo[1] == pytest.approx(math.exp(math.log(10.5 / 5.5) - Z95 * se), rel=1e-12)
    assert hi[1] == pytest.approx(math.exp(math.log(10.5 / 5.5) + Z95 * se), rel=1e-12)
    assert (lo[1], hi[1]) == pytest.approx((1.042654, 3.495531), abs=1e-6)


def test_katz_ratio_ci_undefined_reference_is_nan():
    # A zero reference rate (x2 = 0) or an empty group leaves the ratio undefined.
    lo, hi = katz_ratio_ci(arr(3, 3, 0), arr(10, 10, 0), arr(0, 4, 4), arr(10, 0, 10))
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_katz_ratio_ci_coverage_simulation():
    # 2000 seeded draws of two binomials; the 95% Katz interval should cover the
    # true ratio 0.3 / 0.5 = 0.6 about 95% of the time.
    rng = np.random.default_rng(20240611)
    draws, n1, n2, p1, p2 = 2000, 200, 250, 0.3, 0.5
    x1 = rng.binomial(n1, p1, draws)
    x2 = rng.binomial(n2, p2, draws)
    lo, hi = katz_ratio_ci(x1, np.full(draws, n1), x2, np.full(draws, n2))
    coverage = float(np.mean((lo <= p1 / p2) & (p1 / p2 <= hi)))
    assert 0.93 <= coverage <= 0.97
    # Small groups with frequent zero counts still keep near-nominal coverage
    # thanks to the 0.5 correction (never below 90%).
    x1 = rng.binomial(15, 0.1, draws)
    x2 = rng.binomial(40, 0.4, draws)
    keep = x2 > 0
    lo, hi = katz_ratio_ci(x1[keep], np.full(keep.sum(), 15), x2[keep], np.full(keep.sum(), 40))
    small_coverage = float(np.mean((lo <= 0.25) & (hi >= 0.25)))
    assert 0.90 <= small_coverage <= 0.995


# -- Two-proportion Z test ---------------------------------------------------


def test_two_proportion_z_hand_computed():
    # 10/50 vs 25/50: pooled P = 35/100, se = sqrt(0.35 * 0.65 * (1/50 + 1/50))
    # = sqrt(0.0091) = 0.0953939; Z = (0.2 - 0.5) / 0.0953939 = -3.144855;
    # two-sided p = 2 * Phi(-3.144855) = 0.0016617.
    z, p = two_proportion_z(arr(10), arr(50), arr(25), arr(50))
    assert z[0] == pytest.approx(-3.144855, abs=1e-6)
    assert p[0] == pytest.approx(0.0016617, abs=1e-7)
    # Swapping the groups flips the sign only.
    z2, p2 = two_proportion_z(arr(25), arr(50), arr(10), arr(50))
    assert z2[0] == pytest.approx(3.144855, abs=1e-6)
    assert p2[0] == pytest.approx(p[0], rel=1e-12)


def test_two_proportion_z_equal_extreme_rates_and_empty_groups():
    # Both rates 0, or both 1: the pooled variance is 0 and no difference is
    # observed, so Z = 0 and p = 1. An empty group gives NaN.
    z, p = two_proportion_z(
        arr(0, 10, 3, 2), arr(10, 10, 0, 5), arr(0, 20, 1, 1), arr(20, 20, 5, 0)
    )
    assert z[:2].tolist() == [0.0, 0.0]
    assert p[:2].tolist() == [1.0, 1.0]
    assert np.isnan(z[2:]).all() and np.isnan(p[2:]).all()


# -- Fisher exact test and mid-p ---------------------------------------------


def _hypergeom_pmfs(x1: int, n1: int, x2: int, n2: int) -> tuple[list[Fraction], Fraction]:
    """Exact pmf of the focal count over every table with the observed margins."""
    total, successes = n1 + n2, x1 + x2
    lo, hi = max(0, n1 + successes - total), min(n1, successes)
    denom = math.comb(total, n1)
    pmf = [
        Fraction(math.comb(successes, k) * math.comb(total - successes, n1 - k), denom)
        for k in range(lo, hi + 1)
    ]
    return pmf, pmf[x1 - lo]


def brute_force_fisher(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Two-sided p (tables no more likely than observed) and mid-p (ties counted half).

    The relative tolerance 1e-7 for "no more likely" is the convention of R's
    fisher.test and scipy.stats.fisher_exact.
    """
    pmf, observed = _hypergeom_pmfs(x1, n1, x2, n2)
    cutoff = observed * Fraction(10_000_001, 10_000_000)
    less = sum((q for q in pmf if q < observed), Fraction(0))
    ties = sum((q for q in pmf if observed <= q <= cutoff), Fraction(0))
    return float(less + ties), float(less + ties / 2)


def test_fisher_exact_hand_computed():
    # 1/10 vs 6/10: margins 20 total, 7 selected, C(20, 10) = 184756 tables.
    # Counts per focal k = 0..7: 286, 5005, 27027, 60060, 60060, 27027, 5005, 286.
    # p = (286 + 5005 + 5005 + 286) / 184756; mid-p = (286 + 286 + 5005) / 184756.
    p, mid = fisher_exact(arr(1), arr(10), arr(6), arr(10))
    assert p[0] == pytest.approx(10582 / 184756, rel=1e-10)
    assert mid[0] == pytest.approx(5577 / 184756, rel=1e-10)
    # Observed table at the mode: p = 1 and mid-p = 1 - pmf(3) / 2 with
    # pmf(3) = C(6,3) C(10,5) / C(16,8) = 5040 / 12870.
    p, mid = fisher_exact(arr(3), arr(8), arr(3), arr(8))
    assert p[0] == 1.0
    assert mid[0] == pytest.approx(1 - 2520 / 12870, rel=1e-10)
    # Only one table is possible (nobody selected): p = 1, mid-p = 1/2.
    p, mid = fisher_exact(arr(0), arr(5), arr(0), arr(7))
    assert (p[0], mid[0]) == (1.0, 0.5)


def test_fisher_exact_empty_group_is_nan():
    p, mid = fisher_exact(arr(0, 2), arr(0, 4), arr(3, 1), arr(9, 0))
    assert np.isnan(p).all() and np.isnan(mid).all()


@settings(max_examples=100, deadline=None)
@given(
    n1=st.integers(1, 30),
    n2=st.integers(1, 30),
    f1=st.floats(0, 1),
    f2=st.floats(0, 1),
)
def test_fisher_exact_matches_brute_force_enumeration(n1, n2, f1, f2):
    x1, x2 = round(f1 * n1), round(f2 * n2)
    p, mid = fisher_exact(arr(x1), arr(n1), arr(x2), arr(n2))
    want_p, want_mid = brute_force_fisher(x1, n1, x2, n2)
    assert p[0] == pytest.approx(min(1.0, want_p), rel=1e-9, abs=1e-15)
    assert mid[0] == pytest.approx(want_mid, rel=1e-9, abs=1e-15)


def test_fisher_exact_vectorised_over_groups():
    x1, n1, x2, n2 = [3, 0, 12, 7], [10, 6, 40, 7], [9, 4, 20, 2], [12, 6, 41, 9]
    p, mid = fisher_exact(arr(*x1), arr(*n1), arr(*x2), arr(*n2))
    for i in range(4):
        want_p, want_mid = brute_force_fisher(x1[i], n1[i], x2[i], n2[i])
        assert p[i] == pytest.approx(min(1.0, want_p), rel=1e-9)
        assert mid[i] == pytest.approx(want_mid, rel=1e-9)


# -- Multiple-comparison corrections -----------------------------------------


def test_adjust_pvalues_holm_hand_computed():
    # Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04;
    # running maximum 0.02, 0.03, 0.06, 0.06; back in input order. NaN is not
    # part of the family (m = 4) and stays NaN.
    out = adjust_pvalues(arr(0.01, np.nan, 0.04, 0.03, 0.005), "holm")
    assert np.isnan(out[1])
    assert out[[0, 2, 3, 4]] == pytest.approx([0.03, 0.06, 0.06, 0.02], abs=1e-15)
    # Capped at 1: 0.5 * 2 = 1.0, then max(1.0, 0.6) = 1.0.
    assert adjust_pvalues(arr(0.6, 0.5), "holm").tolist() == [1.0, 1.0]


# Benjamini and Hochberg (1995), JRSS B 57:289-300, section 4.1: 15 p-values;
# at q = 0.05 the procedure rejects the four smallest, the Bonferroni-type
# (Holm) procedure only three.
BH_1995 = arr(
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000,
)  # fmt: skip


def test_adjust_pvalues_bh_hand_computed():
    # p(i) * 15 / i, then running minimum from the largest p down.
    expected = [
        0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0638571428571, 0.0638571428571,
        0.0645, 0.0765, 0.486, 0.5811818181818, 0.714875, 0.7532307692308,
        0.8132142857143, 1.0,
    ]  # fmt: skip
    shuffled = np.random.default_rng(3).permutation(15)
    out = adjust_pvalues(BH_1995[shuffled], "bh")
    assert out == pytest.approx(np.array(expected)[shuffled], abs=1e-12)
    assert int((adjust_pvalues(BH_1995, "bh") < 0.05).sum()) == 4
    assert int((adjust_pvalues(BH_1995, "holm") < 0.05).sum()) == 3
    # Small hand example: sorted 0.005, 0.01, 0.03, 0.04 -> 0.02, 0.02, 0.04, 0.04.
    out = adjust_pvalues(arr(0.01, 0.04, np.nan, 0.03, 0.005), "bh")
    assert np.isnan(out[2])
    assert out[[0, 1, 3, 4]] == pytest.approx([0.02, 0.04, 0.04, 0.02], abs=1e-15)


def test_adjust_pvalues_none_empty_and_unknown_method():
    p = arr(0.2, np.nan, 0.01)
    out = adjust_pvalues(p, "none")
    assert out[0] == 0.2 and out[2] == 0.01 and np.isnan(out[1])
    assert out is not p  # a copy, the caller's array is left alone
    assert np.isnan(adjust_pvalues(arr(np.nan, np.nan), "holm")).all()
    assert adjust_pvalues(arr(), "bh").shape == (0,)
    with pytest.raises(ValueError, match="method must be one of 'holm', 'bh', 'none'; got 'bonf"):
        adjust_pvalues(arr(0.1, 0.2), "bonferroni")


# -- Strata: Cochran-Mantel-Haenszel and Breslow-Day --------------------------


def test_mantel_haenszel_hand_computed():
    # Stratum 1: a=2 b=8 c=4 d=6 (t=20); stratum 2: a=5 b=5 c=7 d=3.
    # OR_MH = (2*6/20 + 5*3/20) / (8*4/20 + 5*7/20) = 1.35 / 3.35 = 0.402985.
    # E(a) = 10*6/20 + 10*12/20 = 9; Var = 10*10*6*14/(400*19) + 10*10*12*8/(400*19)
    # = (8400 + 9600) / 7600 = 2.368421; CMH = (7 - 9)^2 / 2.368421 = 1.688889.
    statistic, p, odds = mantel_haenszel(arr(2, 5), arr(10, 10), arr(4, 7), arr(10, 10))
    assert odds == pytest.approx(1.35 / 3.35, rel=1e-12)
    assert statistic == pytest.approx(4 / (18000 / 7600), rel=1e-12)
    assert p == pytest.approx(0.193748, abs=1e-6)  # chi-square(1) survival at 1.688889


def test_breslow_day_homogeneous_strata_give_zero_statistic():
    # Two strata with the same odds ratio (4/6 : 2/8 -> OR = (4*8)/(6*2) = 8/3 in
    # both, one table a multiple of the other): Breslow-Day statistic 0, p = 1.
    x1, n1, x2, n2 = arr(4, 8), arr(10, 20), arr(2, 4), arr(10, 20)
    _, _, odds = mantel_haenszel(x1, n1, x2, n2)
    assert odds == pytest.approx(8 / 3, rel=1e-12)
    statistic, p = breslow_day(x1, n1, x2, n2, odds)
    assert statistic == pytest.approx(0.0, abs=1e-10)
    assert p == pytest.approx(1.0, abs=1e-10)
