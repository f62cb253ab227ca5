"""Ranking metrics: hand-computed values, degenerate input, agreement with audit()."""

from __future__ import annotations

import itertools
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import InsufficientDataWarning, ValidationError
from biasaudit.metrics import ranking as R
from biasaudit.ranking import DUPLICATE_RANK, RankingResult, rank_audit

LOG2_3 = math.log2(3)


@pytest.fixture
def two_jobs() -> pd.DataFrame:
    """Job a ranks M, M, F, F; job b ranks M, F, F, M (best first)."""
    return pd.DataFrame(
        {
            "job": ["a"] * 4 + ["b"] * 4,
            "sex": ["F", "M", "M", "F", "M", "F", "F", "M"],
            "rank": [4, 1, 2, 3, 1, 2, 3, 4],
        }
    )


def audit2(frame: pd.DataFrame, **options: object) -> RankingResult:
    defaults = {"attributes": ["sex"], "job": "job", "rank": "rank", "k": 2, "rnd_step": 2}
    return rank_audit(frame, **{**defaults, **options})


# -- top-k selection ---------------------------------------------------------------


def test_top_k_selection_rates_and_impact_ratio(two_jobs: pd.DataFrame) -> None:
    r = audit2(two_jobs)
    # top 2 of a: M, M; of b: M, F. F: 1 of 4 = 0.25; M: 3 of 4 = 0.75; ratio 1/3.
    assert r.value("selection_rate", "F", k=2) == 0.25
    assert r.value("selection_rate", "M", k=2) == 0.75
    assert r.value("impact_ratio", "F", k=2) == pytest.approx(1 / 3)
    assert r.value("impact_ratio", "M", k=2) == 1.0
    low, high = biasaudit.metrics.significance.wilson_interval(np.array([1]), np.array([4]))
    row = r.to_frame().query("metric == 'selection_rate' and group == 'F'").iloc[0]
    assert (row.ci_low, row.ci_high) == pytest.approx((low[0], high[0]))
    assert row.n == 4


def test_cmh_and_breslow_day_pool_the_jobs(two_jobs: pd.DataFrame) -> None:
    r = audit2(two_jobs)
    sig = biasaudit.metrics.significance
    # Strata (F sel, F n, M sel, M n): a = (0, 2, 2, 2), b = (1, 2, 1, 2).
    _, p, odds = sig.mantel_haenszel(
        np.array([0, 1]), np.array([2, 2]), np.array([2, 1]), np.array([2, 2])
    )
    # MH odds ratio = sum(a d / t) / sum(b c / t) = (0 + 1*1/4) / (2*2/4 + 1*1/4) = 0.2
    assert odds == pytest.approx(0.2)
    assert r.value("mh_odds_ratio", "F", k=2) == pytest.approx(0.2)
    row = r.to_frame().query("metric == 'mh_odds_ratio'").iloc[0]
    assert row.p_value == pytest.approx(p)
    bd, bd_p = sig.breslow_day(
        np.array([0, 1]), np.array([2, 2]), np.array([2, 1]), np.array([2, 2]), odds
    )
    row = r.to_frame().query("metric == 'breslow_day'").iloc[0]
    assert (row.value, row.p_value) == pytest.approx((bd, bd_p))


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_agrees_with_audit(k: int) -> None:
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame(
        {
            "job": rng.integers(0, 30, n).astype(str),
            "sex": rng.choice(["F", "M", "X"], n),
            # Rounded scores: plenty of ties, broken by pool order in both.
            "s": rng.normal(size=n).round(1),
        }
    )
    r = rank_audit(frame, attributes=["sex"], job="job", score="s", k=k, n_bootstrap=0)
    a = biasaudit.audit(frame, attributes=["sex"], score="s", top_k=k, job="job")
    groups = a.groups_frame().query("attribute_label == 'sex'").set_index("group_label")
    for g in ("F", "M", "X"):
        assert r.value("selection_rate", g, k=k) == pytest.approx(groups.loc[g, "selection_rate"])
    ties = a.provenance["configuration"]["decision"]["jobs_with_ties_at_cutoff"]
    assert r.facts["jobs_with_ties_at_cutoff"][k] == ties


# -- skew, NDKL ---------------------------------------------------------------------


def test_skew_min_max_skew(two_jobs: pd.DataFrame) -> None:
    r = audit2(two_jobs)
    # Pooled skew: F has 0 + 1 = 1 in the top 2s, expects 2 x 0.5 + 2 x 0.5 = 2: ln 0.5.
    assert r.value("skew", "F", k=2) == pytest.approx(math.log(0.5))
    # M: 2 + 1 = 3 against 2: ln 1.5.
    assert r.value("skew", "M", k=2) == pytest.approx(math.log(1.5))
    # MaxSkew: job a ln(1 / 0.5) = ln 2, job b ln(0.5 / 0.5) = 0; mean ln2 / 2.
    assert r.value("max_skew", k=2) == pytest.approx(math.log(2) / 2)
    # MinSkew: job a is -inf (no F in its top 2), so only job b (0) is averaged.
    assert r.value("min_skew", k=2) == 0.0
    row = r.to_frame().query("metric == 'min_skew'").iloc[0]
    assert row.n == 1
    assert r.facts["jobs_with_group_absent_from_top_k"] == {"sex": {2: 1}}


def test_skew_against_a_target(two_jobs: pd.DataFrame) -> None:
    r = audit2(two_jobs, target={"sex": {"F": 0.25, "M": 0.75}})
    # F: 1 in the top 2s against 2 x 0.25 + 2 x 0.25 = 1: ln 1 = 0.
    assert r.value("skew", "F", k=2) == pytest.approx(0.0)
    # M: 3 against 3: 0.
    assert r.value("skew", "M", k=2) == pytest.approx(0.0)
    with pytest.raises(ValidationError, match="sum to 1"):
        audit2(two_jobs, target={"sex": {"F": 0.5, "M": 0.6}})


def test_skew_at_k_function() -> None:
    # top 3 holds 2 of group 0 and 1 of group 1; desired 0.5 / 0.5.
    # skew_0 = ln((2/3) / 0.5) = ln(4/3) = 0.287682; skew_1 = ln((1/3) / 0.5) = -0.405465
    skew, lo, hi = R.skew_at_k(np.array([[2, 1]]), np.array([[0.5, 0.5]]))
    assert skew[0].tolist() == pytest.approx([math.log(4 / 3), math.log(2 / 3)])
    assert (lo[0], hi[0]) == pytest.approx((math.log(2 / 3), math.log(4 / 3)))


def test_ndkl_hand_computed(two_jobs: pd.DataFrame) -> None:
    # Job a: M, M, F, F against (0.5, 0.5). KL of the top i:
    #   i=1 (0,1): ln 2; i=2 (0,1): ln 2; i=3 (1/3, 2/3): 1/3 ln(2/3) + 2/3 ln(4/3) = 0.056633;
    #   i=4: 0. Weights 1, 1/log2 3, 1/2, 1/log2 5.
    kl3 = (1 / 3) * math.log(2 / 3) + (2 / 3) * math.log(4 / 3)
    z = 1 + 1 / LOG2_3 + 0.5 + 1 / math.log2(5)
    ndkl_a = (math.log(2) + math.log(2) / LOG2_3 + kl3 / 2) / z  # 0.452370
    # Job b: M, F, F, M: i=1 ln 2; i=2 0; i=3 (F 2/3) 0.056633; i=4 0.
    ndkl_b = (math.log(2) + kl3 / 2) / z  # 0.281645
    per_job = R.ndkl(
        np.array([0, 0, 0, 0, 1, 1, 1, 1]),
        np.array([1, 2, 3, 4, 1, 2, 3, 4]),
        np.array([1, 1, 0, 0, 1, 0, 0, 1]),
        2,
        2,
    )
    assert per_job.tolist() == pytest.approx([ndkl_a, ndkl_b])
    assert audit2(two_jobs).value("ndkl") == pytest.approx((ndkl_a + ndkl_b) / 2)


# -- exposure and attention ---------------------------------------------------------


def test_exposure_and_attention(two_jobs: pd.DataFrame) -> None:
    r = audit2(two_jobs)
    # F sits at 3, 4 (job a) and 2, 3 (job b): weights 1/log2 4, 1/log2 5, 1/log2 3, 1/log2 4.
    f = (0.5 + 1 / math.log2(5) + 1 / LOG2_3 + 0.5) / 4  # 0.515402
    m = (1 + 1 / LOG2_3 + 1 + 1 / math.log2(5)) / 4  # 0.765402
    assert r.value("exposure", "F") == pytest.approx(f)
    assert r.value("exposure", "M") == pytest.approx(m)
    assert r.value("exposure_ratio", "F") == pytest.approx(f / m)
    # Attention p = 0.5: positions 1..4 get 0.5, 0.25, 0.125, 0.0625.
    # F: (0.125 + 0.0625 + 0.25 + 0.125) / 4 = 0.140625; M: (0.5 + 0.25 + 0.5 + 0.0625) / 4.
    assert r.value("attention", "F") == pytest.approx(0.140625)
    assert r.value("attention", "M") == pytest.approx(0.328125)
    assert r.value("attention_ratio", "F") == pytest.approx(0.140625 / 0.328125)
    # Another attention model: p = 0.2 -> 0.2, 0.16, 0.128, 0.1024
    r2 = audit2(two_jobs, attention=0.2)
    assert r2.value("attention", "F") == pytest.approx((0.128 + 0.1024 + 0.16 + 0.128) / 4)
    # Weights measured by position (e.g. click-through rates), 0 beyond the last given:
    # positions 1..4 get 0.4, 0.2, 0.1, 0 -> F (0.1 + 0 + 0.2 + 0.1) / 4, M (0.4 + 0.2 +
    # 0.4 + 0) / 4.
    r3 = audit2(two_jobs, attention=[0.4, 0.2, 0.1])
    assert r3.value("attention", "F") == pytest.approx(0.4 / 4)
    assert r3.value("attention", "M") == pytest.approx(1.0 / 4)
    assert "0 beyond position 3" in r3.configuration["attention"]
    # Any function of the position: 1/j -> F (1/3 + 1/4 + 1/2 + 1/3) / 4
    r4 = audit2(two_jobs, attention=lambda j: 1 / j)
    assert r4.value("attention", "F") == pytest.approx((1 / 3 + 1 / 4 + 1 / 2 + 1 / 3) / 4)
    assert r4.configuration["attention"] == "user function <lambda> of the position"


def test_disparate_treatment_ratio() -> None:
    # One job: M (y=1), F (y=1), M (y=0), F (y=1).
    frame = pd.DataFrame({"sex": ["M", "F", "M", "F"], "rank": [1, 2, 3, 4], "y": [1, 1, 0, 1]})
    r = rank_audit(frame, attributes=["sex"], rank="rank", label="y", k=2)
    # Exposure M = (1 + 1/2) / 2 = 0.75; F = (1/log2 3 + 1/log2 5) / 2 = 0.530803.
    # Mean relevance M = 0.5, F = 1. Exposure per relevance: M 1.5, F 0.530803.
    expo_f = (1 / LOG2_3 + 1 / math.log2(5)) / 2
    assert r.value("mean_relevance", "F") == 1.0
    assert r.value("disparate_treatment_ratio", "F") == pytest.approx(expo_f / 1.5)
    assert r.value("disparate_treatment_ratio", "M") == 1.0


# -- rND, rKL, rRD --------------------------------------------------------------------


def test_rank_divergences_hand_computed() -> None:
    # 20 candidates, 10 protected: 3 in the top 10, 7 in the bottom 10. Cut-offs 10, 20.
    protected = np.array(
        [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1], bool
    )  # top 10: 3 protected; bottom 10: 7
    out = R.rank_divergences(np.zeros(20, int), np.arange(1, 21), protected, 1, step=10)
    d = 1 / math.log2(10)
    # rND: i=10 |0.3 - 0.5| = 0.2; i=20 0. Max (all protected first or last): 0.5.
    assert out["rnd"][0] == pytest.approx(0.2 / 0.5)
    assert out["rnd_max"][0] == pytest.approx(0.5 * d)
    # rKL: KL((0.3, 0.7) || (0.5, 0.5)) = 0.3 ln 0.6 + 0.7 ln 1.4 = 0.082283; max ln 2.
    kl = 0.3 * math.log(0.6) + 0.7 * math.log(1.4)
    assert out["rkl"][0] == pytest.approx(kl / math.log(2))
    # rRD: |3/7 - 10/10| = 0.571429. Max: 9 protected and 1 other in the top 10,
    # |9/1 - 10/10| = 8 (the extremes reach only 1: all first, ratio taken as 0; all last, 0/10).
    assert out["rrd"][0] == pytest.approx(4 / 7 / 8)
    assert out["rrd_max"][0] == pytest.approx(8 * d)
    # The same numbers through rank_audit, with "p" as the protected group.
    frame = pd.DataFrame({"g": np.where(protected, "p", "q"), "rank": np.arange(1, 21)})
    r = rank_audit(frame, attributes=["g"], rank="rank", k=10)
    assert r.value("rnd", "p") == pytest.approx(0.4)
    assert r.value("rrd", "p") == pytest.approx(4 / 7 / 8)


def test_rank_divergences_extremes_and_short_lists() -> None:
    pos = np.arange(1, 21)
    first = R.rank_divergences(np.zeros(20, int), pos, pos <= 10, 1)
    last = R.rank_divergences(np.zeros(20, int), pos, pos > 10, 1)
    fair = R.rank_divergences(np.zeros(20, int), pos, pos % 2 == 0, 1)
    assert first["rnd"][0] == last["rnd"][0] == 1.0
    assert fair["rnd"][0] == 0.0
    # 9 candidates: no cut-off at 10, so undefined (NaN), not 0.
    short = R.rank_divergences(np.zeros(9, int), np.arange(1, 10), np.arange(9) < 4, 1)
    assert math.isnan(short["rnd"][0])


# -- FA*IR -----------------------------------------------------------------------------


def _brute_failure(n: int, p: float, mtable: np.ndarray) -> float:
    total = 0.0
    for seq in itertools.product([0, 1], repeat=n):
        counts = np.cumsum(seq)
        if (counts < mtable).any():
            total += p ** sum(seq) * (1 - p) ** (n - sum(seq))
    return total


def test_fair_mtable_and_failure_probability() -> None:
    # binom.ppf(0.1, k, 0.5): CDF(0) at k = 1..3 is 0.5, 0.25, 0.125 >= 0.1 -> 0;
    # k = 4: CDF(0) = 0.0625 < 0.1 <= CDF(1) = 0.3125 -> 1.
    assert R.fair_mtable(6, 0.5, 0.1).tolist() == [0, 0, 0, 1, 1, 1]
    # A fair ranking fails only if none of the first 4 is protected: 0.5^4.
    assert R.fair_failure_probability(6, 0.5, 0.1) == pytest.approx(0.0625)
    for n, p, a in [(10, 0.3, 0.1), (12, 0.5, 0.1), (11, 0.7, 0.05)]:
        exact = _brute_failure(n, p, R.fair_mtable(n, p, a))
        assert R.fair_failure_probability(n, p, a) == pytest.approx(exact)


def test_fair_adjusted_alpha_is_the_largest_valid_level() -> None:
    n, p = np.array([12, 30, 4]), np.array([0.5, 0.3, 0.5])
    adjusted = R.fair_adjusted_alpha(n, p, 0.1)
    # n = 4: the unadjusted table fails with 0.0625 <= 0.1: no adjustment needed.
    assert adjusted[2] == 0.1
    for ni, pi, ai in zip(n[:2], p[:2], adjusted[:2]):
        assert ai < 0.1
        assert R.fair_failure_probability(int(ni), float(pi), float(ai)) <= 0.1
        assert R.fair_failure_probability(int(ni), float(pi), float(ai) + 1e-6) > 0.1
    # Checked by enumeration for n = 12.
    exact = _brute_failure(12, 0.5, R.fair_mtable(12, 0.5, float(adjusted[0])))
    assert exact <= 0.1


def test_fair_test_first_failing_prefix() -> None:
    # Job 0: no protected among the first 4 of 6 -> m(4) = 1 fails at prefix 4.
    # Job 1: protected at 1 and 4 -> passes.
    jobs = np.repeat([0, 1], 6)
    positions = np.tile(np.arange(1, 7), 2)
    protected = np.array([0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0], bool)
    out = R.fair_test(jobs, positions, protected, 2, np.array([0.5, 1 / 3]), alpha=0.1)
    assert out["passed"].tolist() == [False, True]
    assert out["first_failing_prefix"].tolist() == [4, 0]
    # Rows in another order give the same answer.
    perm = np.random.default_rng(0).permutation(12)
    again = R.fair_test(jobs[perm], positions[perm], protected[perm], 2, np.array([0.5, 1 / 3]))
    assert again["first_failing_prefix"].tolist() == [4, 0]


def test_fair_pass_rate_in_audit(two_jobs: pd.DataFrame) -> None:
    r = audit2(two_jobs)
    # n = 4, p = 0.5, alpha 0.1: m = [0, 0, 0, 1]; both jobs hold 2 of each group: pass.
    assert r.value("fair_pass_rate", "F") == 1.0
    assert r.per_job["passed"].all() and len(r.per_job) == 4


# -- degenerate input -------------------------------------------------------------------


def test_one_group_only() -> None:
    frame = pd.DataFrame({"sex": ["F"] * 4, "rank": [1, 2, 3, 4]})
    with pytest.raises(ValidationError, match="only one known group"):
        rank_audit(frame, attributes=["sex"], rank="rank")
    # Within a job one group only: the metrics are defined and say "no skew".
    jobs, pos, groups = np.zeros(4, int), np.arange(1, 5), np.zeros(4, int)
    assert R.ndkl(jobs, pos, groups, 1, 1)[0] == 0.0
    skew, lo, hi = R.skew_at_k(R.top_k_counts(jobs, pos, groups, 2, 1, 1), np.array([[1.0]]))
    assert (skew[0, 0], lo[0], hi[0]) == (0.0, 0.0, 0.0)
    # ... and rND has nothing to normalise by: NaN, not 0.
    assert math.isnan(
        R.rank_divergences(np.zeros(20, int), np.arange(1, 21), np.ones(20), 1)["rnd"][0]
    )


def test_k_larger_than_the_list(two_jobs: pd.DataFrame) -> None:
    r = audit2(two_jobs, k=(2, 10))
    assert r.value("selection_rate", "F", k=10) == 1.0
    assert r.facts["jobs_shorter_than_k"] == {2: 0, 10: 2}
    assert any("k=10 exceeds the length of 2 job list(s)" in n for n in r.notes)
    # Skew at k beyond the list compares the whole list with itself: 0.
    assert r.value("skew", "F", k=10) == pytest.approx(0.0)


def test_ties_in_score_are_broken_by_pool_order() -> None:
    frame = pd.DataFrame({"sex": ["F", "M", "F", "M"], "s": [0.5, 0.5, 0.5, 0.1]})
    r = rank_audit(frame, attributes=["sex"], score="s", k=(1, 2), n_bootstrap=0)
    # Order F, M, F, M (pool order among the 0.5s): top 1 = F; top 2 = F, M.
    assert r.value("selection_rate", "F", k=1) == 0.5
    assert r.value("selection_rate", "M", k=1) == 0.0
    assert r.facts["jobs_with_ties_at_cutoff"] == {1: 1, 2: 1}
    assert r.facts["jobs_with_tied_scores"] == 1
    assert any("tied scores straddling the top-1" in n for n in r.notes)


def test_duplicate_ranks_name_the_job_and_rank(two_jobs: pd.DataFrame) -> None:
    frame = two_jobs.copy()
    frame.loc[6, "rank"] = 2  # job b now has rank 2 twice
    with pytest.raises(ValidationError) as info:
        audit2(frame)
    assert str(info.value) == DUPLICATE_RANK.format(column="rank", rank=2, count=2, job="b", jobs=1)
    assert isinstance(info.value, ValueError)


def test_job_with_one_candidate(two_jobs: pd.DataFrame) -> None:
    frame = pd.concat(
        [two_jobs, pd.DataFrame({"job": ["c"], "sex": ["F"], "rank": [1]})], ignore_index=True
    )
    with pytest.warns(InsufficientDataWarning, match="single candidate"):
        r = audit2(frame)
    assert r.facts["jobs_with_one_candidate"] == 1
    # Counted in the top-k table (F: 1 + 1 of 5) ...
    assert r.value("selection_rate", "F", k=2) == pytest.approx(2 / 5)
    # ... left out of the position metrics, which equal those without job c.
    base = audit2(two_jobs)
    assert r.value("exposure", "F") == pytest.approx(base.value("exposure", "F"))
    assert r.value("ndkl") == pytest.approx(base.value("ndkl"))
    assert set(r.per_job["job"]) == {"a", "b"}


def test_bad_options(two_jobs: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="exactly one of score"):
        rank_audit(two_jobs, attributes=["sex"], job="job")
    with pytest.raises(ValidationError, match="k must be an integer >= 1 or a non-empty sequence"):
        audit2(two_jobs, k=(0, 2))
    for bad_model in (0, 1.5, [], [0.3, -0.1], [[0.5]], "high"):
        with pytest.raises(ValidationError, match=r"attention must be a number in \(0, 1\]"):
            audit2(two_jobs, attention=bad_model)
    with pytest.raises(ValidationError, match="one finite, non-negative weight per position"):
        audit2(two_jobs, attention=lambda j: -j)
    bad = two_jobs.assign(rank=two_jobs["rank"] + 0.5)
    with pytest.raises(ValidationError, match="whole numbers"):
        audit2(bad)


# -- invariance, bootstrap, output ------------------------------------------------------


def _random_rankings(seed: int, jobs: int = 40, size: int = 25) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "job": np.repeat([f"j{i:03d}" for i in range(jobs)], size),
            "sex": rng.choice(["F", "M"], jobs * size, p=[0.4, 0.6]),
            "race": rng.choice(["A", "B", "C"], jobs * size),
            "y": rng.integers(0, 2, jobs * size),
        }
    )
    frame["s"] = rng.normal(size=len(frame)) + 0.3 * (frame["sex"] == "M")
    return frame


def test_invariance_to_job_and_row_order() -> None:
    frame = _random_rankings(1)
    options = {"attributes": ["sex", "race"], "job": "job", "score": "s", "label": "y"}
    base = rank_audit(frame, **options, k=(5, 10)).to_frame()
    shuffled = frame.sample(frac=1, random_state=7)
    # Pool order breaks ties; with continuous scores there are none, so row order is free.
    again = rank_audit(shuffled, **options, k=(5, 10)).to_frame()
    pd.testing.assert_frame_equal(base, again)
    # Renaming jobs reorders them; point values and Wilson intervals stay the same.
    renamed = frame.assign(job=frame["job"].map(lambda j: "z" + j[::-1]))
    other = rank_audit(renamed, **options, k=(5, 10)).to_frame()
    np.testing.assert_allclose(other["value"], base["value"], equal_nan=True)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    frame = _random_rankings(2)
    options = {"attributes": ["sex"], "job": "job", "score": "s", "k": 10}
    one = rank_audit(frame, **options, seed=5).to_frame()
    two = rank_audit(frame, **options, seed=5).to_frame()
    pd.testing.assert_frame_equal(one, two)
    three = rank_audit(frame, **options, seed=6).to_frame()
    assert not np.allclose(one["ci_low"], three["ci_low"], equal_nan=True)
    rows = one[one["metric"].isin(["exposure", "ndkl", "rnd", "impact_ratio", "skew"])]
    assert (rows["ci_low"] <= rows["value"] + 1e-12).all()
    assert (rows["value"] <= rows["ci_high"] + 1e-12).all()


def test_outputs_are_json_safe_and_frozen(two_jobs: pd.DataFrame) -> None:
    r = audit2(two_jobs)
    text = json.dumps(r.to_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["configuration"]["rank_divergence"]["discount"] == "1/log2(i)"
    assert "all first / all last" in data["configuration"]["rank_divergence"]["normaliser"]
    frame = r.to_frame()
    frame.loc[0, "value"] = 99.0
    assert r.to_frame().loc[0, "value"] != 99.0
    assert "<table" in r._repr_html_()
    with pytest.raises(AttributeError):
        r.facts = {}  # type: ignore[misc]
    assert list(frame.columns) == [
        "attribute",
        "group",
        "metric",
        "k",
        "value",
        "ci_low",
        "ci_high",
        "n",
        "p_value",
    ]


def test_unknown_group_is_reported_but_never_the_comparison() -> None:
    frame = pd.DataFrame(
        {"sex": ["Unknown", "F", "M", "F", "M", "Unknown"], "rank": [1, 2, 3, 4, 5, 6]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        r = rank_audit(frame, attributes=["sex"], rank="rank", k=2)
    # Top 2: Unknown, F. F rate 1/2, M 0: F is the comparison group.
    assert r.value("impact_ratio", "F", k=2) == 1.0
    assert math.isnan(r.value("impact_ratio", "Unknown", k=2))
    assert r.value("selection_rate", "Unknown", k=2) == 0.5


@pytest.mark.parametrize("n_jobs", [1, 7, 300, 70_000])
def test_score_order_is_job_then_descending_score_then_pool_order(n_jobs: int) -> None:
    from biasaudit.ranking._order import _order_by_score

    rng = np.random.default_rng(n_jobs)
    for _ in range(3):
        n = int(rng.integers(n_jobs, 3 * n_jobs + 200))
        jobs = np.arange(n) % n_jobs  # every code 0..n_jobs-1 is used
        jobs = np.sort(jobs) if rng.random() < 0.5 else rng.permutation(jobs)
        scores = rng.integers(0, 6, n).astype(float)  # many ties
        scores[rng.random(n) < 0.1] = -0.0
        order, _, _ = _order_by_score(scores, jobs, (1,), n_jobs)
        expected = np.lexsort((np.arange(n), -scores, jobs))
        np.testing.assert_array_equal(order, expected)


def test_rank_order_without_a_sort_matches_the_sorted_order() -> None:
    from biasaudit.ranking._order import _permutation_order

    rng = np.random.default_rng(2)
    sizes = rng.integers(1, 40, 50)
    jobs = np.repeat(np.arange(50), sizes)
    ranks = np.concatenate([rng.permutation(s) + 1 for s in sizes])
    perm = rng.permutation(len(jobs))
    order = _permutation_order(jobs[perm], ranks[perm], sizes)
    np.testing.assert_array_equal(order, np.lexsort((ranks[perm], jobs[perm])))
    in_order = np.concatenate([np.arange(1, s + 1) for s in sizes])
    assert _permutation_order(jobs, in_order, sizes) is None
    gap = ranks.copy()
    gap[ranks == sizes[jobs]] += 1  # each job's last rank skips one: a gap
    assert _permutation_order(jobs, gap, sizes) is False
    dup = ranks.copy()
    dup[(ranks == 1)] = 2  # rank 2 twice in every job
    assert _permutation_order(jobs, dup, sizes) is False


def test_fair_per_job_report_in_audit() -> None:
    # Job x: 10 M then 10 F; job y alternates. p = 0.5 for both (pool share).
    frame = pd.DataFrame(
        {
            "job": ["x"] * 20 + ["y"] * 20,
            "sex": ["M"] * 10 + ["F"] * 10 + ["F", "M"] * 10,
            "rank": list(range(1, 21)) * 2,
        }
    )
    r = rank_audit(frame, attributes=["sex"], job="job", rank="rank", k=10)
    row = r.per_job.query("job == 'x' and group == 'F'").iloc[0]
    table = R.fair_mtable(20, 0.5, float(row.alpha_adjusted))
    # No F in the top 10, so job x fails at the first k whose m(k) >= 1.
    assert not row.passed
    assert row.first_failing_prefix == int(np.argmax(table >= 1)) + 1
    assert r.per_job.query("job == 'y'")["passed"].all()
    assert r.value("fair_pass_rate", "F") == 0.5
    # The adjusted level is the one fair_adjusted_alpha gives for (20, 0.5).
    assert row.alpha_adjusted == pytest.approx(R.fair_adjusted_alpha([20], [0.5], 0.1)[0])
    # With a target share of 0 for F, m(k) = 0 everywhere: every job passes.
    r0 = rank_audit(
        frame, attributes=["sex"], job="job", rank="rank", k=10, target={"sex": {"M": 1.0}}
    )
    assert r0.value("fair_pass_rate", "F") == 1.0


def _naive_divergences(protected: list[bool], step: int) -> dict[str, float]:
    n, plus = len(protected), sum(protected)

    def kl(p: float, q: float) -> float:
        return sum(a * math.log(a / b) for a, b in ((p, q), (1 - p, 1 - q)) if a > 0)

    def terms(order: list[bool], i: int) -> dict[str, float]:
        top = sum(order[:i])
        ratio = top / (i - top) if i > top else 0.0
        return {
            "rnd": abs(top / i - plus / n),
            "rkl": kl(top / i, plus / n),
            "rrd": abs(ratio - plus / (n - plus)),
        }

    def total(order: list[bool], name: str) -> float:
        return sum(terms(order, i)[name] / math.log2(i) for i in range(step, n + 1, step))

    extremes = [sorted(protected, reverse=True), sorted(protected)]
    out = {
        name: total(protected, name) / max(total(e, name) for e in extremes)
        for name in ("rnd", "rkl")
    }
    out["rrd_sum"] = total(protected, "rrd")  # its normaliser is checked by brute force below
    return out


def test_rank_divergences_match_a_naive_loop_on_random_rankings() -> None:
    rng = np.random.default_rng(4)
    sizes = rng.integers(10, 60, 25)
    jobs = np.repeat(np.arange(25), sizes)
    positions = np.concatenate([np.arange(1, s + 1) for s in sizes])
    protected = rng.random(len(jobs)) < 0.3
    perm = rng.permutation(len(jobs))
    out = R.rank_divergences(jobs[perm], positions[perm], protected[perm], 25, step=5)
    for j in range(25):
        flags = protected[jobs == j].tolist()
        if 0 < sum(flags) < len(flags):
            naive = _naive_divergences(flags, 5)
            for name in ("rnd", "rkl"):
                assert out[name][j] == pytest.approx(naive[name])
            assert out["rrd"][j] * out["rrd_max"][j] == pytest.approx(naive["rrd_sum"])
        else:
            assert math.isnan(out["rnd"][j])


@pytest.mark.parametrize("step", [2, 3, 4])
def test_normalisers_are_the_largest_value_over_every_ranking(step: int) -> None:
    # Every ranking of n candidates, p protected: the largest normalised value is exactly 1
    # (rRD normalised by the two extreme rankings reached 1.67 at n = 10, p = 2).
    for n in (7, 10):
        for plus in range(1, n):
            flags = np.zeros((math.comb(n, plus), n), bool)
            for row, combo in enumerate(itertools.combinations(range(n), plus)):
                flags[row, list(combo)] = True
            jobs = np.repeat(np.arange(len(flags)), n)
            positions = np.tile(np.arange(1, n + 1), len(flags))
            out = R.rank_divergences(jobs, positions, flags.ravel(), len(flags), step=step)
            for name in ("rnd", "rkl", "rrd"):
                assert np.nanmax(out[name]) == pytest.approx(1.0), (name, n, plus)


def test_ndkl_matches_a_naive_loop_on_random_rankings() -> None:
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 30, 20)
    jobs = np.repeat(np.arange(20), sizes)
    positions = np.concatenate([np.arange(1, s + 1) for s in sizes])
    groups = rng.integers(0, 3, len(jobs))
    out = R.ndkl(jobs, positions, groups, 20, 3)
    for j in range(20):
        g = groups[jobs == j]
        q = np.bincount(g, minlength=3) / len(g)
        num = den = 0.0
        for i in range(1, len(g) + 1):
            p = np.bincount(g[:i], minlength=3) / i
            kl = sum(a * math.log(a / b) for a, b in zip(p, q) if a > 0)
            num += kl / math.log2(i + 1)
            den += 1 / math.log2(i + 1)
        assert out[j] == pytest.approx(num / den, abs=1e-12)
