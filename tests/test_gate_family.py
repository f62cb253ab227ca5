"""The gate's regression verdict controls its family-wise error rate (issue 12).

Baseline and candidate matchers from the same process (scores = merit + matcher noise,
the candidate's noise correlated 0.9 with the baseline's, as after a retraining), on
2,000 candidates in 14 intersectional groups, selecting the top 30%: the chance that
a run reports any regression stays at most alpha, paired and unpaired, because the
bounds are simultaneous over the run's checks. A real drop (every woman's score
lowered: impact ratio about 1.0 -> 0.66) is still caught. Seeded; the larger run is
benchmarks/bench_gate_fwer.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from biasaudit.gate import PolicyRules, RegressionSettings, audit_with_records, compare_results
from biasaudit.gate._bootstrap import simultaneous_bounds

RACES = ["A", "B", "C", "D", "E", "F", "G"]
SHARES = [0.4, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03]
OPTIONS = dict(attributes=["sex", "race"], id="cid", score="score")


def _pool(rng: np.random.Generator, n: int = 2000) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cid": np.arange(n),
            "sex": rng.choice(["F", "M"], n),
            "race": rng.choice(RACES, n, p=SHARES),
            "merit": rng.normal(size=n),
            "noise": rng.normal(size=n),
        }
    )


def _scored(pool: pd.DataFrame, rng: np.random.Generator, drop: float = 0.0) -> pd.DataFrame:
    noise = 0.9 * pool["noise"] + np.sqrt(1 - 0.81) * rng.normal(size=len(pool))
    score = pool["merit"] + noise - drop * (pool["sex"] == "F")
    return pool.assign(score=score)


def _runs(pairs: int, unpaired: bool, drop: float, seed: int) -> tuple[float, float]:
    """Share of runs with any regression reported, and with sex = F's reported."""
    rng = np.random.default_rng(seed)
    settings = RegressionSettings(metrics=["impact_ratio"], resamples=500)
    alarms = caught = 0
    for _ in range(pairs):
        base_pool = _pool(rng)
        cand_pool = _pool(rng) if unpaired else base_pool
        audits = []
        for frame in (_scored(base_pool, rng), _scored(cand_pool, rng, drop)):
            cut = float(np.quantile(frame["score"], 0.7))
            audits.append(audit_with_records(frame, threshold=cut, **OPTIONS))
        checks = compare_results(*audits, settings, PolicyRules(), unpaired=unpaired).checks
        failed = [c for c in checks if c.status == "fail"]
        alarms += bool(failed)
        caught += any(c.group == "F" for c in failed)
    return alarms / pairs, caught / pairs


@pytest.mark.parametrize("unpaired", [False, True], ids=["paired", "unpaired"])
def test_false_alarm_rate_is_at_most_alpha(unpaired: bool) -> None:
    rate, _ = _runs(100, unpaired, drop=0.0, seed=1)
    assert rate <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 100), rate


def test_a_real_drop_is_caught() -> None:
    _, caught = _runs(40, unpaired=False, drop=0.4, seed=2)
    assert caught >= 0.9, caught


def test_simultaneous_bounds_cover_every_check_at_once() -> None:
    # 12 correlated checks with no regression: the share of samples in which any bound
    # misses 0 is about 1 - confidence; single 95% bounds would miss far more often.
    rng = np.random.default_rng(3)
    cov = 0.5 + 0.5 * np.eye(12)
    misses = single = 0
    for _ in range(200):
        sample = rng.multivariate_normal(np.zeros(12), cov)  # the observed regressions
        reps = sample + rng.multivariate_normal(np.zeros(12), cov, size=1000)
        low, _ = simultaneous_bounds(sample, reps, 0.95, np.ones(12, bool))
        misses += bool((low > 0).any())
        single += bool((np.quantile(reps, 0.05, axis=0) > 0).any())
    assert misses / 200 <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 200)
    assert single / 200 > 0.15  # what per-check bounds gave
