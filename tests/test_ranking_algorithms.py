"""The fast ranking algorithms agree with plain reference implementations.

The speed-ups of ``biasaudit.metrics.ranking`` (FA*IR tables built with one CDF per
cell, a bisection that skips the dynamic programme when a table is already known,
a dynamic programme over the live states only) and of ``biasaudit.ranking`` (orders
without a global sort) must not change a result: each is checked here against the
straightforward computation it replaced.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from biasaudit.metrics import ranking as R
from biasaudit.ranking import rank_audit


def _ppf_tables(a: np.ndarray, n: np.ndarray, p: np.ndarray, width: int) -> np.ndarray:
    k = np.arange(1, width + 1)[None, :]
    m = np.maximum(stats.binom.ppf(a[:, None], k, p[:, None]), 0)
    return np.where(k <= n[:, None], m, 0).astype(np.int64)


def _dp_failure(mtab: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The full-width dynamic programme, every state updated at every step."""
    keys, n = mtab.shape
    alive = np.zeros((keys, n + 1))
    alive[:, 0] = 1.0
    count = np.arange(n + 1)[None, :]
    for k in range(1, n + 1):
        shifted = np.zeros_like(alive)
        shifted[:, 1:] = alive[:, :-1]
        alive = alive * (1 - p[:, None]) + shifted * p[:, None]
        alive[count < mtab[:, k - 1 : k]] = 0.0
    return 1.0 - alive.sum(axis=1)


def _bisection(n: np.ndarray, p: np.ndarray, alpha: float, iterations: int = 24) -> np.ndarray:
    """FA*IR's adjusted alpha by a plain bisection: a fresh table and DP at every step."""
    width = int(n.max())
    hi, lo = np.full(len(n), alpha), np.zeros(len(n))
    done = _dp_failure(_ppf_tables(hi, n, p, width), p) <= alpha + 1e-12
    for _ in range(iterations):
        mid = (lo + hi) / 2
        ok = _dp_failure(_ppf_tables(mid, n, p, width), p) <= alpha + 1e-12
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    return np.where(done, alpha, lo)


def _keys(seed: int, count: int, longest: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = rng.integers(1, longest + 1, count)
    # Shares as they arise (c / n), round ones, and the extremes 0 and 1.
    p = rng.integers(0, n + 1) / n
    p[: count // 4] = rng.choice([0.0, 0.1, 0.25, 0.5, 0.75, 1.0], count // 4)
    return n, p


def test_tables_built_with_cdfs_equal_binom_ppf() -> None:
    n, p = _keys(0, 300, 120)
    rng = np.random.default_rng(1)
    for a in (np.full(300, 0.1), rng.random(300) * 0.2, np.full(300, 0.05)):
        np.testing.assert_array_equal(R._mtables(a, n, p, 120), _ppf_tables(a, n, p, 120))


def test_tables_between_two_known_tables_equal_binom_ppf() -> None:
    n, p = _keys(2, 300, 80)
    rng = np.random.default_rng(3)
    lo_level = rng.random(300) * 0.05
    hi_level = lo_level + rng.random(300) * 10.0 ** rng.integers(-6, -1, 300)
    mid = (lo_level + hi_level) / 2
    low, high = _ppf_tables(lo_level, n, p, 80), _ppf_tables(hi_level, n, p, 80)
    tables = R._tables_between(mid, n, p, low, high)
    np.testing.assert_array_equal(tables, _ppf_tables(mid, n, p, 80))


@pytest.mark.parametrize("k, x, p", [(10, 2, 0.5), (7, 0, 0.5), (40, 9, 0.4), (3, 1, 0.25)])
def test_a_level_exactly_at_a_cdf_value_gets_binom_ppf_s_table(k: int, x: int, p: float) -> None:
    # Where the level equals a CDF value, binom.ppf's own rounding decides the cell.
    at = np.array([stats.binom.cdf(x, k, p)])
    n, share = np.array([k]), np.array([p])
    expected = _ppf_tables(at, n, share, k)
    np.testing.assert_array_equal(R._mtables(at, n, share, k), expected)
    low = _ppf_tables(at * (1 - 1e-6), n, share, k)
    high = _ppf_tables(at * (1 + 1e-6), n, share, k)
    np.testing.assert_array_equal(R._tables_between(at, n, share, low, high), expected)


def test_failure_probability_over_live_states_equals_the_full_dp() -> None:
    n, p = _keys(4, 200, 90)
    levels = np.random.default_rng(5).random(200) * 0.2
    mtab = _ppf_tables(levels, n, p, 90)
    fast = R._failure(mtab, p, n)
    np.testing.assert_allclose(fast, _dp_failure(mtab, p), rtol=0, atol=1e-14)
    assert fast.max() > 0.05  # the tables do fail sometimes: the check is not vacuous


@pytest.mark.parametrize("alpha", [0.1, 0.05])
def test_adjusted_alpha_equals_a_plain_bisection(alpha: float) -> None:
    n, p = _keys(6, 120, 60)
    fast = R.fair_adjusted_alpha(n, p, alpha)
    np.testing.assert_array_equal(fast, _bisection(n, p, alpha))
    assert (fast < alpha).sum() > 50  # most keys are adjusted


def _first_failure(flags: np.ndarray, p: float, level: float) -> int:
    table = np.maximum(stats.binom.ppf(level, np.arange(1, len(flags) + 1), p), 0)
    failing = np.flatnonzero(np.cumsum(flags) < table)
    return int(failing[0]) + 1 if len(failing) else 0


def test_fair_test_matches_a_loop_over_jobs() -> None:
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 70, 60)
    jobs = np.repeat(np.arange(60), sizes)
    positions = np.concatenate([np.arange(1, s + 1) for s in sizes])
    protected = rng.random(len(jobs)) < rng.uniform(0.1, 0.6, 60)[jobs]
    p = np.bincount(jobs, weights=protected, minlength=60) / sizes
    perm = rng.permutation(len(jobs))
    out = R.fair_test(jobs[perm], positions[perm], protected[perm], 60, p, alpha=0.1)
    level = R.fair_adjusted_alpha(sizes, p, 0.1)
    for j in range(60):
        first = _first_failure(protected[jobs == j], p[j], level[j])
        assert out["first_failing_prefix"][j] == first
        assert out["passed"][j] == (first == 0)
        assert out["alpha_adjusted"][j] == level[j]
    assert 0 < out["passed"].sum() < 60


def test_fair_max_length_tests_the_top_of_long_lists() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    protected = rng.random(n) < 0.4
    protected[150:170] = False  # a drought from position 151 on
    jobs, positions = np.zeros(n, dtype=np.int64), np.arange(1, n + 1)
    share = np.array([protected.mean()])
    out = R.fair_test(jobs, positions, protected, 1, share, max_length=200)
    top = R.fair_test(jobs[:200], positions[:200], protected[:200], 1, share)
    for key in ("passed", "first_failing_prefix", "alpha_adjusted"):
        np.testing.assert_array_equal(out[key], top[key])
    assert out["tested_length"].tolist() == [200]
    assert out["alpha_adjusted"][0] == R.fair_adjusted_alpha([200], share, 0.1)[0]


def test_rank_audit_reports_the_fair_truncation() -> None:
    rng = np.random.default_rng(9)
    frame = pd.DataFrame({"sex": rng.choice(["F", "M"], 1500), "score": rng.random(1500)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        short = rank_audit(frame, attributes=["sex"], score="score", k=10, fair_max_length=300)
    assert short.facts["jobs_longer_than_fair_max_length"] == 1
    assert short.notes[-1] == (
        "1 job(s) are longer than fair_max_length=300: FA*IR tests their top 300 positions "
        "(pass fair_max_length=None to test whole lists; the time grows with the square of "
        "the length)."
    )
    assert short.per_job["tested_length"].tolist() == [300, 300]
    assert short.configuration["fair"]["max_length"] == 300
    whole = rank_audit(frame, attributes=["sex"], score="score", k=10, fair_max_length=None)
    assert whole.per_job["tested_length"].tolist() == [1500, 1500]
    assert "jobs_longer_than_fair_max_length" not in whole.facts
    # Everything but FA*IR is the same.
    a, b = short.to_frame(), whole.to_frame()
    same = a["metric"] != "fair_pass_rate"
    pd.testing.assert_frame_equal(a[same], b[same])
    assert math.isfinite(short.value("fair_pass_rate", "F"))


@pytest.mark.parametrize("value", [0, -5, 2.5, True])
def test_bad_fair_max_length(value: object) -> None:
    frame = pd.DataFrame({"sex": ["F", "M"] * 5, "rank": range(1, 11)})
    with pytest.raises(ValueError) as info:
        rank_audit(frame, attributes=["sex"], rank="rank", fair_max_length=value)
    assert str(info.value) == (
        f"fair_max_length must be None or an integer >= 1; got {value!r}. "
        "Pass e.g. fair_max_length=1000, or None to test whole lists."
    )
