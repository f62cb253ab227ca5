"""Every counterfactual statistic against hand computation, scipy and statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from biasaudit.counterfactual import flip_statistics, median_interval, paired_statistics
from biasaudit.counterfactual._paired import (
    HIGHER,
    IDENTICAL,
    INSUFFICIENT,
    LOWER,
    NOT_SIGNIFICANT,
    REFERENCE,
    compare_groups,
    cutoffs,
)
from biasaudit.counterfactual._ranking import first_place_statistics, goodness_of_fit, rank_within
from biasaudit.counterfactual._stats import min_pairs, wilcoxon_method


# -- median interval ----------------------------------------------------------------------
def test_median_interval_by_hand() -> None:
    # n = 10: P(B <= 1) = 11/1024 <= 0.025 < P(B <= 2) = 56/1024, so k = 2: [d(2), d(9)]
    low, high, coverage = median_interval(np.array([5, 1, 9, 3, 7, 2, 8, 4, 10, 6.0]))
    assert (low, high) == (2.0, 9.0)
    assert coverage == pytest.approx(1 - 2 * 11 / 1024)
    # n = 6 is the smallest with a 95% interval: [min, max], coverage 1 - 2/64
    assert median_interval(np.arange(6.0)) == (0.0, 5.0, pytest.approx(1 - 2 / 64))
    assert all(math.isnan(x) for x in median_interval(np.arange(5.0)))
    assert all(math.isnan(x) for x in median_interval(np.array([])))


@pytest.mark.parametrize("n", [6, 7, 12, 25, 40, 101])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_median_interval_matches_scipy_quantile_test(n: int, confidence: float) -> None:
    d = np.random.default_rng(n).normal(size=n)
    low, high, coverage = median_interval(d, confidence)
    ci = stats.quantile_test(d, q=0, p=0.5).confidence_interval(confidence)
    if math.isnan(ci.low):  # n = 6, 7 at 99%: no pair of order statistics is wide enough
        assert math.isnan(low) and math.isnan(high) and n < 8 and confidence == 0.99
        return
    assert (low, high) == (ci.low, ci.high)
    assert coverage >= confidence


# -- paired statistics ----------------------------------------------------------------------
def test_paired_statistics_against_scipy() -> None:
    rng = np.random.default_rng(7)
    d = np.round(rng.normal(-0.3, 1.0, 40), 3)
    s = paired_statistics(d)
    ci = stats.ttest_1samp(d, 0).confidence_interval(0.95)
    assert s["mean_ci"] == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert s["mean_difference"] == pytest.approx(d.mean())
    assert s["sd"] == pytest.approx(d.std(ddof=1))
    assert s["median_difference"] == np.median(d)
    w = stats.wilcoxon(d, zero_method="pratt")
    assert (s["wilcoxon_statistic"], s["wilcoxon_p"]) == (w.statistic, w.pvalue)
    pos, neg = int((d > 0).sum()), int((d < 0).sum())
    assert s["sign_p"] == pytest.approx(stats.binomtest(pos, pos + neg).pvalue)
    assert (s["higher"], s["lower"], s["equal"]) == (pos, neg, int((d == 0).sum()))
    assert s["wilcoxon_method"] == (
        "exact" if len(set(np.abs(d))) == 40 else "normal approximation"
    )


def test_wilcoxon_and_sign_test_with_zeros_by_hand() -> None:
    # Pratt: |d| ranks with the zero included 1..6, the zero's rank dropped:
    # T+ = 2 + 4 + 5 + 6 = 17, T- = 3. Under random signs of {2, 3, 4, 5, 6} (sum 20),
    # T+ >= 17 for {all, all but 2, all but 3} and T+ <= 3 for {}, {2}, {3}: p = 6/32.
    d = np.array([0.0, 1.0, -2.0, 3.0, 4.0, 5.0])
    s = paired_statistics(d)
    assert s["wilcoxon_statistic"] == 3.0
    assert s["wilcoxon_p"] == pytest.approx(6 / 32)
    assert s["wilcoxon_method"] == "exhaustive permutation"
    # sign test drops the zero: 4 of 5 positive, p = 2 * (5 + 1) / 32
    assert s["sign_p"] == pytest.approx(12 / 32)
    assert (s["higher"], s["lower"], s["equal"]) == (4, 1, 1)
    # with many zeros Pratt's and Wilcox's conventions differ; Pratt's is the one used
    many = np.array([0, 0, 0, 1, 2, 3, 4, -5, 6, 7, 8, 9, 10, 11, -12.0])
    pratt = paired_statistics(many)["wilcoxon_p"]
    assert pratt == pytest.approx(stats.wilcoxon(many, zero_method="pratt").pvalue)
    assert pratt == pytest.approx(0.0521292773)
    assert stats.wilcoxon(many, zero_method="wilcox").pvalue == pytest.approx(0.0843794426)


def test_all_zero_differences_are_not_tested() -> None:
    s = paired_statistics(np.zeros(30))
    assert math.isnan(s["wilcoxon_p"]) and math.isnan(s["sign_p"])
    assert s["mean_ci"] == (0.0, 0.0) and s["median_ci"] == (0.0, 0.0)
    assert s["wilcoxon_method"] == "not run"


def test_wilcoxon_method_rule() -> None:
    assert wilcoxon_method(np.arange(1.0, 51.0)) == "exact"
    assert wilcoxon_method(np.arange(1.0, 52.0)) == "normal approximation"
    assert wilcoxon_method(np.array([1.0, 1.0, 2.0])) == "exhaustive permutation"
    assert wilcoxon_method(np.r_[0.0, np.arange(1.0, 20.0)]) == "normal approximation"


def test_min_pairs() -> None:
    for alpha in (0.1, 0.05, 0.01, 0.001):
        m = min_pairs(alpha)
        assert 2 * 0.5**m <= alpha < 2 * 0.5 ** (m - 1)


# -- flips --------------------------------------------------------------------------------
def test_flip_statistics_by_hand_and_statsmodels() -> None:
    ref = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0], bool)
    sel = np.array([1, 0, 0, 0, 0, 1, 0, 0, 1, 0], bool)
    f = flip_statistics(sel, ref)
    assert (f["n"], f["selected"], f["flips"], f["lost"], f["gained"]) == (10, 3, 4, 3, 1)
    assert f["flip_rate"] == 0.4
    assert f["flip_rate_ci"] == pytest.approx(proportion_confint(4, 10, method="wilson"))
    assert f["mcnemar_p"] == pytest.approx(2 * 5 / 16)  # exact McNemar: 3 of 4 discordant
    from statsmodels.stats.contingency_tables import mcnemar

    table = [[2, 3], [1, 4]]  # rows: reference selected/not; cols: group selected/not
    assert f["mcnemar_p"] == pytest.approx(mcnemar(table, exact=True).pvalue)
    none = flip_statistics(ref, ref)
    assert none["flips"] == 0 and math.isnan(none["mcnemar_p"])


# -- decision cut-offs ------------------------------------------------------------------
def test_cutoffs_top_k_per_job_against_the_other_applicants() -> None:
    original = np.array([5.0, 3.0, 9.0, 1.0, 7.0, 2.0])
    jobs = np.array(["a", "a", "a", "a", "b", "b"])
    # job a, top 2 of others: for 9 and 5 (in the top 2) the 2nd best other is 3;
    # for 3 and 1 it is 5. Job b has only one other applicant: always selected.
    assert cutoffs(original, jobs, {"rule": "top_k", "k": 2}).tolist() == [
        3.0,
        5.0,
        3.0,
        5.0,
        -np.inf,
        -np.inf,
    ]
    # top fraction 0.5 of the pool (6 units): k = 3 best among the 5 others
    assert cutoffs(original, jobs, {"rule": "top_fraction", "fraction": 0.5}).tolist() == [
        3.0,
        5.0,
        3.0,
        5.0,
        3.0,
        5.0,
    ]
    per_job = {"rule": "top_fraction", "fraction": 0.5, "per_job": True}
    assert cutoffs(original, jobs, per_job).tolist() == [3.0, 5.0, 3.0, 5.0, 2.0, 7.0]
    assert cutoffs(None, jobs, {"rule": "threshold", "threshold": 4.0}).tolist() == [4.0] * 6


def test_flip_rate_by_hand_through_compare_groups() -> None:
    # 5 resumes x 2 groups, threshold 0.5
    scores = np.array([[0.6, 0.4], [0.7, 0.6], [0.3, 0.55], [0.8, 0.45], [0.2, 0.1]])
    selected = scores >= 0.5
    rows, flips = compare_groups(
        scores, [("F",), ("M",)], ["sex"], reference={"sex": "F"}, selected=selected
    )
    male = flips[1]
    assert (male["selected"], male["flips"], male["lost"], male["gained"]) == (2, 3, 2, 1)
    assert male["flip_rate"] == 0.6
    assert flips[-1]["group"] == "any group" and flips[-1]["flips"] == 3
    assert rows[1]["mean_difference"] == pytest.approx(np.mean(scores[:, 1] - scores[:, 0]))


# -- comparisons: references, marginal tables, corrections, verdicts ---------------------------
def _two_by_two(seed: int = 0, n: int = 60) -> tuple[np.ndarray, list[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 1, (n, 1))
    effect = np.array([0.0, -0.05, -0.4, -0.45])  # (W,F) (W,M) (B,F) (B,M)
    groups = [("W", "F"), ("W", "M"), ("B", "F"), ("B", "M")]
    return base + effect + rng.normal(0, 0.2, (n, 4)), groups


def test_compare_groups_tables_and_holm() -> None:
    scores, groups = _two_by_two()
    rows, _ = compare_groups(scores, groups, ["race", "sex"], correction="holm")
    tables = [tuple(r["attributes"]) for r in rows]
    assert tables == [("race",)] * 2 + [("sex",)] * 2 + [("race", "sex")] * 4
    race_b = rows[1]
    assert (race_b["group"], race_b["reference"]) == ("B", "W")
    marginal = scores[:, 2:].mean(axis=1) - scores[:, :2].mean(axis=1)
    assert race_b["mean_difference"] == pytest.approx(marginal.mean())
    crossed = [r for r in rows if len(r["attributes"]) == 2]
    assert [r["reference"] for r in crossed] == ["W / F"] * 4  # highest mean
    tested = [r for r in rows if not r["is_reference"]]
    raw = [r["wilcoxon_p"] for r in tested]
    expected = multipletests(raw, method="holm")[1]
    assert [r["wilcoxon_p_adjusted"] for r in tested] == pytest.approx(expected)
    bh = compare_groups(scores, groups, ["race", "sex"], correction="bh")[0]
    bh_tested = [r["wilcoxon_p_adjusted"] for r in bh if not r["is_reference"]]
    assert bh_tested == pytest.approx(multipletests(raw, method="fdr_bh")[1])
    assert race_b["verdict"] == LOWER
    assert rows[0]["verdict"] == REFERENCE


def test_stated_reference_and_higher_verdict() -> None:
    scores, groups = _two_by_two()
    rows, _ = compare_groups(scores, groups, ["race", "sex"], reference={"race": "B"})
    race = [r for r in rows if r["attributes"] == ["race"]]
    assert race[0]["group"] == "W" and race[0]["reference"] == "B" and race[0]["verdict"] == HIGHER
    sex = [r for r in rows if r["attributes"] == ["sex"]]
    assert sex[0]["reference"] == "F"  # not named: the highest mean


def test_verdicts_identical_insufficient_and_not_significant() -> None:
    groups = [("F",), ("M",)]
    same = np.tile(np.arange(10.0)[:, None], (1, 2))
    assert compare_groups(same, groups, ["sex"])[0][1]["verdict"] == IDENTICAL
    few = np.array([[1.0, 0.5], [2.0, 1.0], [3.0, 2.5]])
    row = compare_groups(few, groups, ["sex"])[0][1]
    assert row["verdict"] == INSUFFICIENT and math.isnan(row["median_ci"][0])
    noise = np.random.default_rng(3).normal(size=(30, 2))
    assert (
        compare_groups(noise, groups, ["sex"], reference={"sex": "F"})[0][1]["verdict"]
        == NOT_SIGNIFICANT
    )


# -- ranking design statistics -------------------------------------------------------------
def test_rank_within_breaks_ties_at_random() -> None:
    rng = np.random.default_rng(0)
    ranking = np.repeat(np.arange(2000), 2)
    ranks, tied = rank_within(np.zeros(4000), ranking, rng)
    assert tied == 2000
    first_of_pair = ranks[::2] == 1
    assert 0.45 < first_of_pair.mean() < 0.55
    ranks, tied = rank_within(
        np.array([1.0, 3.0, 2.0, 5.0, 5.0, 4.0]), np.array([0, 0, 0, 1, 1, 1]), rng
    )
    assert ranks[:3].tolist() == [3, 1, 2] and sorted(ranks[3:5].tolist()) == [1, 2] and tied == 1


def test_goodness_of_fit_against_scipy_and_hand() -> None:
    g = goodness_of_fit(np.array([50, 30, 20]), np.array([1, 1, 1]) / 3)
    expected = 100 / 3
    chi2 = sum((o - expected) ** 2 / expected for o in (50, 30, 20))
    assert g["statistic"] == pytest.approx(chi2) and g["df"] == 2
    assert g["p_value"] == pytest.approx(stats.chi2.sf(chi2, 2))
    assert g["p_value"] == pytest.approx(stats.chisquare([50, 30, 20]).pvalue)
    unequal = goodness_of_fit(np.array([10, 30]), np.array([0.25, 0.75]))
    assert unequal["statistic"] == pytest.approx(0.0)
    short = goodness_of_fit(np.array([3, 5]), np.array([0.5, 0.5]))  # expected 4 < 5
    assert math.isnan(short["p_value"]) and short["min_expected"] == 4.0


def test_first_place_statistics_wilson_and_katz() -> None:
    rows = first_place_statistics(np.array([60, 25, 15]), np.array([100, 100, 100]))
    assert [r["rate"] for r in rows] == [0.6, 0.25, 0.15]
    assert rows[0]["is_reference"] and rows[2]["impact_ratio"] == pytest.approx(0.25)
    assert rows[2]["rate_ci"] == pytest.approx(proportion_confint(15, 100, method="wilson"))
    # Katz log interval by hand: se = sqrt(1/15 - 1/100 + 1/60 - 1/100)
    se = math.sqrt(1 / 15 - 1 / 100 + 1 / 60 - 1 / 100)
    z = stats.norm.ppf(0.975)
    assert rows[2]["impact_ratio_ci"] == pytest.approx(
        (0.25 * math.exp(-z * se), 0.25 * math.exp(z * se))
    )
    stated = first_place_statistics(np.array([60, 25, 15]), np.array([100, 100, 100]), reference=1)
    assert stated[0]["impact_ratio"] == pytest.approx(2.4)
