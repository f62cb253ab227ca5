"""Does the audit find what make_pool put in? Coverage, false-alarm rate and power.

These run the real audit on many seeded pools. They stay fast by using small pools
without resume text and, for the thousands of replicates of the false-alarm and power
checks, one pool split into independent replicates whose counts go through the same
vectorised interval and test functions the audit uses (a few replicates are checked
against ``audit()`` itself).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import biasaudit
from biasaudit import audit
from biasaudit.metrics.significance import katz_ratio_ci, two_proportion_z
from biasaudit.synth import make_pool, power, required_pool_size, simulate_power

BLACK = "Black or African American"
TWO = {"race": {"White": 0.5, BLACK: 0.5}}


def _replicate_counts(data, replicates: int) -> tuple[np.ndarray, ...]:
    """Per replicate: (selected, n) of Black and of White candidates."""
    replicate = (data["candidate_id"].to_numpy() - 1) % replicates
    black = (data["race"] == BLACK).to_numpy()
    chosen = data["selected"].to_numpy().astype(bool)
    count = lambda mask: np.bincount(replicate[mask], minlength=replicates)  # noqa: E731
    return count(black & chosen), count(black), count(~black & chosen), count(~black)


def test_interval_covers_the_injected_impact_ratio_in_200_pools():
    """95% Katz intervals of audit() cover the true 0.7 in at least 90% of 200 pools."""
    covered = 0
    for seed in range(200):
        pool = make_pool(
            1500, attributes=["race"], shares=TWO, bias=f"race={BLACK}:0.7",
            resume_text=False, seed=seed,
        )  # fmt: skip
        truth = pool.effects.impact_ratio("race", BLACK, "White")
        assert truth == pytest.approx(0.7, abs=1e-9)
        result = audit(
            pool.data, attributes=["race"], selected="selected", reference_group={"race": "White"}
        )
        row = result.groups_frame().set_index("group_label").loc[BLACK]
        low, high = row["impact_ratio_ci"]
        covered += bool(low <= truth <= high)
    assert covered >= 180, covered
    # and not absurdly wide: the nominal level is 95%
    assert covered <= 199


def test_four_fifths_with_significance_fires_at_the_nominal_rate_without_bias():
    """With no bias, the 'adverse impact' flag fires in about alpha of the audits.

    Groups of ~150 make any significant difference also a four-fifths violation,
    so the flag's rate under the null is the two-sided test's level, 5%.
    """
    replicates, size = 4000, 300
    pool = make_pool(
        replicates * size, attributes=["race"], shares=TWO, resume_text=False, seed=2024
    )
    x1, n1, x2, n2 = _replicate_counts(pool.data, replicates)
    _, p = two_proportion_z(x1, n1, x2, n2)
    r1, r2 = x1 / n1, x2 / n2
    low_ratio = np.minimum(r1, r2) / np.maximum(r1, r2)
    flagged = (p < 0.05) & (low_ratio < 0.8)
    rate = flagged.mean()
    se = np.sqrt(0.05 * 0.95 / replicates)
    assert abs(rate - 0.05) < 3.5 * se, rate
    # the vectorised flag is the audit's verdict
    replicate = (pool.data["candidate_id"].to_numpy() - 1) % replicates
    for r in [*np.flatnonzero(flagged)[:4], *np.flatnonzero(~flagged)[:4]]:
        result = audit(pool.data[replicate == r], attributes=["race"], selected="selected")
        verdicts = set(result.groups_frame()["verdict"])
        assert ("adverse impact" in verdicts) == bool(flagged[r]), r


def test_required_pool_size_reaches_the_power_in_simulated_pools():
    """Pools of the recommended size detect a true 0.7 in about 80% of the audits."""
    n = required_pool_size(0.7, reference_rate=0.3, power=0.8)
    assert n == 367
    replicates = 1000
    pool = make_pool(
        replicates * 2 * n, attributes=["race"], shares=TWO, bias=f"race={BLACK}:0.7",
        resume_text=False, seed=77,
    )  # fmt: skip
    x1, n1, x2, n2 = _replicate_counts(pool.data, replicates)
    _, p = two_proportion_z(x1, n1, x2, n2)
    detected = (p < 0.05).mean()
    # group sizes vary around n in these pools, which costs a little power
    assert 0.76 <= detected <= 0.84, detected
    # the interval machinery agrees: upper Katz limit under 1 about as often
    _, high = katz_ratio_ci(x1, n1, x2, n2)
    assert abs((high < 1).mean() - detected) < 0.03


@pytest.mark.parametrize(
    ("ratio", "rate", "wanted", "allocation"),
    [(0.8, 0.3, 0.8, 1.0), (0.7, 0.1, 0.9, 1.0), (0.8, 0.5, 0.8, 3.0), (1.2, 0.2, 0.8, 1.0)],
)
def test_required_pool_size_against_exact_power(ratio, rate, wanted, allocation):
    """Exact power of the Z test at the recommended n (full binomial enumeration)."""
    n1 = required_pool_size(ratio, reference_rate=rate, power=wanted, allocation=allocation)
    n2 = int(np.ceil(allocation * n1))
    exact = _exact_power(n1, ratio * rate, n2, rate)
    assert abs(exact - wanted) < 0.015, exact
    assert power(n1, ratio, reference_rate=rate, allocation=allocation) >= wanted - 1e-9
    smaller = _exact_power(int(n1 * 0.8), ratio * rate, int(n2 * 0.8), rate)
    assert smaller < wanted - 0.03
    simulated = simulate_power(
        n1, ratio, reference_rate=rate, allocation=allocation, n_sims=20_000, seed=1
    )
    assert abs(simulated - exact) < 0.01


def _exact_power(n1: int, p1: float, n2: int, p2: float, alpha: float = 0.05) -> float:
    x1, x2 = np.arange(n1 + 1)[:, None], np.arange(n2 + 1)[None, :]
    _, p = two_proportion_z(
        np.broadcast_to(x1, (n1 + 1, n2 + 1)), np.full((n1 + 1, n2 + 1), n1),
        np.broadcast_to(x2, (n1 + 1, n2 + 1)), np.full((n1 + 1, n2 + 1), n2),
    )  # fmt: skip
    weight = stats.binom.pmf(x1, n1, p1) * stats.binom.pmf(x2, n2, p2)
    return float((weight * (p < alpha)).sum())


def test_required_pool_size_grows_with_corrections_and_power():
    base = required_pool_size(0.8, reference_rate=0.3)
    assert required_pool_size(0.8, reference_rate=0.3, n_tests=6) > base
    assert required_pool_size(0.8, reference_rate=0.3, power=0.9) > base
    assert required_pool_size(0.9, reference_rate=0.3) > base


def test_adverse_impact_criterion_is_stricter():
    loose = simulate_power(400, 0.8, reference_rate=0.3, n_sims=5000, seed=3)
    strict = simulate_power(
        400, 0.8, reference_rate=0.3, criterion="adverse_impact", n_sims=5000, seed=3
    )
    assert strict < loose


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"impact_ratio": 1.0, "reference_rate": 0.3}, "different from 1"),
        ({"impact_ratio": 0.8, "reference_rate": 1.3}, r"reference_rate must be a number"),
        ({"impact_ratio": 0.8, "reference_rate": 0.3, "power": 1.0}, "power must be"),
        ({"impact_ratio": 0.8, "reference_rate": 0.3, "n_tests": 0}, "n_tests must be"),
        ({"impact_ratio": 4.0, "reference_rate": 0.3}, "impact_ratio must be"),
    ],
)
def test_required_pool_size_bad_input(kwargs, message):
    with pytest.raises(biasaudit.ValidationError, match=message):
        required_pool_size(**kwargs)
