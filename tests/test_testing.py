"""biasaudit.testing: pytest assertions sharing the gate's policy and comparison code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import ValidationError
from biasaudit.gate import Bound, PolicyRules, RegressionSettings, compare_results, evaluate_policy
from biasaudit.gate import audit_with_records as awr
from biasaudit.testing import assert_no_adverse_impact, assert_no_regression


@pytest.fixture(scope="module")
def resume():
    df = biasaudit.datasets.load_resume_study()
    return biasaudit.audit(df, attributes=["race", "sex"], selected="callback")


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(5)
    n = 1000
    df = pd.DataFrame(
        {
            "cid": range(n),
            "sex": rng.choice(["F", "M"], n),
            "qualified": rng.integers(0, 2, n),
            "old": rng.random(n),
        }
    )
    df["same"] = df["old"] + 0.001
    df["worse"] = df["old"] - 0.3 * (df["sex"] == "F")
    kw = dict(attributes=["sex"], threshold=0.5, id="cid", label="qualified")
    return {s: awr(df, score=s, **kw) for s in ("old", "same", "worse")}


def test_adverse_impact_message_names_group_metric_value_interval_threshold(resume):
    with pytest.raises(AssertionError) as info:
        assert_no_adverse_impact(resume, groups={"race": "*", "sex": "*"})
    assert str(info.value) == (
        "Adverse impact: 1 of 4 check(s) fail:\n"
        "  - race = Black or African American: impact_ratio = 0.668 [95% CI 0.550, 0.811] is "
        "below the minimum 0.8 (rule impact_ratio >= 0.8; 2435 candidates, adjusted p = "
        "0.000199)"
    )


def test_same_checks_as_the_gate_policy(resume):
    with pytest.raises(AssertionError):
        assert_no_adverse_impact(resume)
    rules = PolicyRules([Bound("impact_ratio", 0.8)], require_significance=True)
    gate = [c for c in evaluate_policy(resume, rules) if c.table == "sex"]
    checks = assert_no_adverse_impact(resume, require_significance=True, groups={"sex": "*"})
    assert [c.to_dict() for c in checks] == [c.to_dict() for c in gate]
    assert [c.status for c in checks] == ["pass", "pass"]


def test_passing_assertion_returns_the_checks(resume):
    checks = assert_no_adverse_impact(resume, threshold=0.6, groups={"race": "*"})
    assert [(c.group, c.status) for c in checks] == [
        ("Black or African American", "pass"),
        ("White", "pass"),
    ]


def test_difference_metric_threshold_is_a_gap(pair):
    with pytest.raises(AssertionError) as info:
        assert_no_adverse_impact(
            pair["worse"], metric="equal_opportunity_difference", threshold=0.1
        )
    message = str(info.value)
    assert message.startswith("Adverse impact: 1 of 2 check(s) fail:\n  - sex = F: ")
    assert "is outside ±0.1 (rule |equal_opportunity_difference| <= 0.1;" in message
    assert " qualified candidates, adjusted p = " in message


def test_insufficient_data_fails_unless_allowed():
    df = pd.DataFrame({"sex": ["F"] * 12 + ["M"] * 12, "hired": [1, 0] * 12})
    result = biasaudit.audit(df, attributes=["sex"], selected="hired")
    with pytest.raises(AssertionError) as info:
        assert_no_adverse_impact(result)
    assert "insufficient data for impact_ratio: 12 candidates < min_group_size 30" in str(
        info.value
    )
    checks = assert_no_adverse_impact(result, insufficient_data="pass")
    assert [c.status for c in checks] == ["insufficient data"] * 2
    assert len(assert_no_adverse_impact(result, min_group_size=10)) == 2


def test_no_regression_passes_for_a_tiny_change_and_fails_for_a_biased_one(pair):
    checks = assert_no_regression(pair["old"], pair["same"])
    assert [c.status for c in checks] == ["pass", "pass"]
    with pytest.raises(AssertionError) as info:
        assert_no_regression(pair["old"], pair["worse"], margin=0.05)
    lines = str(info.value).splitlines()
    assert lines[0] == (
        "Regression against the baseline (paired bootstrap, 2000 resamples, seed 0, "
        "simultaneous bounds): 1 of 2 check(s) fail:"
    )
    assert lines[1].startswith("  - sex = F: impact_ratio went from ")
    assert lines[1].endswith(
        "the lower bound exceeds the margin 0.05: a regression beyond the margin is "
        "established at 95% confidence"
    )


def test_no_regression_is_the_gate_comparison(pair):
    settings = RegressionSettings(metrics=("equal_opportunity_difference",), margin=0.02, seed=3)
    gate = compare_results(pair["old"], pair["same"], settings, PolicyRules())
    checks = assert_no_regression(
        pair["old"], pair["same"], metric="equal_opportunity_difference", margin=0.02, seed=3
    )
    assert [c.to_dict() for c in checks] == [c.to_dict() for c in gate.checks]


def test_no_regression_refuses_plain_audits_unless_unpaired(resume):
    with pytest.raises(ValidationError, match="has no per-candidate records"):
        assert_no_regression(resume, resume)
    checks = assert_no_regression(resume, resume, unpaired=True)
    assert {c.details["regression"] for c in checks} == {0.0}


def test_bad_arguments_are_validation_errors(resume):
    with pytest.raises(ValidationError, match="Unknown metric 'impact'"):
        assert_no_adverse_impact(resume, metric="impact")
    with pytest.raises(ValidationError, match="test must be 'inferiority' or 'non-inferiority'"):
        assert_no_regression(resume, resume, unpaired=True, test="two-sided")
