"""Policy evaluation of the gate: hand-computed values, intervals, outcomes, messages."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import biasaudit
from biasaudit import ValidationError
from biasaudit.gate import INSUFFICIENT, Bound, PolicyRules, evaluate_policy
from biasaudit.results import AuditResult

Z975 = stats.norm.ppf(0.975)


def _frame(groups: dict[str, tuple[int, int]], label: dict[str, tuple[int, int]] | None = None):
    """Rows per group: (n, selected); with ``label``, (label positives, true positives)."""
    rows = []
    for group, (n, sel) in groups.items():
        pos, tp = (label or {}).get(group, (0, 0))
        for i in range(n):
            selected = i < sel
            # the first tp selected rows and the first (pos - tp) unselected rows are qualified
            qualified = (i < tp) if selected else (sel <= i < sel + pos - tp)
            rows.append({"sex": group, "hired": int(selected), "ok": int(qualified)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def simple():
    return biasaudit.audit(
        _frame({"F": (50, 10), "M": (50, 25)}), attributes=["sex"], selected="hired"
    )


def test_impact_ratio_value_katz_interval_and_p_by_hand(simple):
    checks = evaluate_policy(simple, PolicyRules([Bound("impact_ratio", 0.8)]))
    female, male = checks
    # ratio 0.2 / 0.5; Katz: se(log) = sqrt(1/10 - 1/50 + 1/25 - 1/50)
    se = math.sqrt(1 / 10 - 1 / 50 + 1 / 25 - 1 / 50)
    assert female.value == pytest.approx(0.4)
    assert female.interval == pytest.approx((0.4 * math.exp(-Z975 * se), 0.4 * math.exp(Z975 * se)))
    pooled = 35 / 100
    z = (0.2 - 0.5) / math.sqrt(pooled * (1 - pooled) * (1 / 50 + 1 / 50))
    assert female.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert (female.status, female.passed, female.n, female.threshold) == ("fail", False, 50, 0.8)
    assert female.message == (
        "sex = F: impact_ratio = 0.400 [95% CI 0.215, 0.743] is below the minimum 0.8 "
        "(rule impact_ratio >= 0.8; 50 candidates, adjusted p = 0.00166)"
    )
    assert (male.status, male.note) == ("pass", "comparison group")
    assert male.message == "sex = M: comparison group for impact_ratio (1.000), so it passes"


def test_difference_interval_is_newcombe_as_statsmodels(simple):
    from statsmodels.stats.proportion import confint_proportions_2indep

    rules = PolicyRules([Bound.from_threshold("selection_difference", 0.25)])
    female = evaluate_policy(simple, rules)[0]
    low, high = confint_proportions_2indep(10, 50, 25, 50, method="newcomb", compare="diff")
    assert female.value == pytest.approx(-0.3)
    assert female.interval == pytest.approx((low, high), abs=1e-9)
    assert female.status == "fail"
    assert female.message == (
        "sex = F: selection_difference = -0.300 [95% CI -0.460, -0.113] is outside ±0.25 "
        "(rule |selection_difference| <= 0.25; 50 candidates, adjusted p = 0.00166)"
    )
    wide = PolicyRules([Bound.from_threshold("selection_difference", 0.3)])
    assert evaluate_policy(simple, wide)[0].status == "pass"


def test_require_significance_lets_a_non_significant_violation_pass():
    result = biasaudit.audit(
        _frame({"F": (30, 6), "M": (30, 9)}), attributes=["sex"], selected="hired"
    )
    strict = evaluate_policy(result, PolicyRules([Bound("impact_ratio", 0.8)]))[0]
    lenient = evaluate_policy(
        result, PolicyRules([Bound("impact_ratio", 0.8)], require_significance=True)
    )[0]
    z = (0.2 - 0.3) / math.sqrt(0.25 * 0.75 * (2 / 30))
    se = math.sqrt(1 / 6 - 1 / 30 + 1 / 9 - 1 / 30)  # Katz
    assert lenient.interval == pytest.approx(
        (2 / 3 * math.exp(-Z975 * se), 2 / 3 * math.exp(Z975 * se))
    )
    assert strict.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))  # 0.371
    assert (strict.status, lenient.status, lenient.passed) == ("fail", "pass", True)
    assert lenient.note == "violation not statistically significant"
    assert lenient.message == (
        "sex = F: impact_ratio = 0.667 [95% CI 0.271, 1.641] is below the minimum 0.8 but is "
        "not statistically significant (30 candidates, adjusted p = 0.371, alpha 0.05); passes "
        "because require_significance is on"
    )


def test_small_groups_have_insufficient_data_and_the_policy_decides():
    result = biasaudit.audit(
        _frame({"F": (20, 8), "M": (60, 30), "X": (40, 20)}), attributes=["sex"], selected="hired"
    )
    fail = PolicyRules([Bound("impact_ratio", 0.8)], min_group_size=30)
    checks = {c.group: c for c in evaluate_policy(result, fail)}
    assert checks["F"].status == INSUFFICIENT and not checks["F"].passed
    assert checks["F"].message == (
        "sex = F: insufficient data for impact_ratio: 20 candidates < min_group_size 30; "
        'counted as a failure (insufficient_data = "fail")'
    )
    assert checks["X"].status == "pass"
    lenient = PolicyRules([Bound("impact_ratio", 0.8)], min_group_size=30, insufficient_data="pass")
    assert evaluate_policy(result, lenient)[0].passed


def test_a_small_comparison_group_makes_every_ratio_insufficient():
    result = biasaudit.audit(
        _frame({"F": (100, 30), "M": (10, 8)}), attributes=["sex"], selected="hired"
    )
    female = evaluate_policy(result, PolicyRules([Bound("impact_ratio", 0.8)]))[0]
    assert female.status == INSUFFICIENT
    assert female.note == "comparison group M has 10 candidates < min_group_size 30"


def test_group_under_the_minimum_share_is_insufficient_not_passed():
    result = biasaudit.audit(
        _frame({"A": (500, 200), "B": (480, 190), "C": (15, 1)}),
        attributes=["sex"],
        selected="hired",
    )
    c = evaluate_policy(result, PolicyRules([Bound("impact_ratio", 0.8)], min_group_size=0))[2]
    assert (c.group, c.status) == ("C", INSUFFICIENT)
    assert c.note == "under the audit's minimum share (1.5% of known candidates)"


def test_true_positive_rate_gap_uses_qualified_candidates():
    data = _frame({"F": (100, 40), "M": (100, 50)}, label={"F": (50, 30), "M": (50, 40)})
    result = biasaudit.audit(data, attributes=["sex"], selected="hired", label="ok")
    female = evaluate_policy(
        result, PolicyRules([Bound.from_threshold("equal_opportunity_difference", 0.05)])
    )[0]
    from statsmodels.stats.proportion import confint_proportions_2indep

    assert female.value == pytest.approx(30 / 50 - 40 / 50)
    assert female.n == 50
    low, high = confint_proportions_2indep(30, 50, 40, 50, method="newcomb", compare="diff")
    assert female.interval == pytest.approx((low, high), abs=1e-9)
    pooled = 70 / 100
    z = (0.6 - 0.8) / math.sqrt(pooled * (1 - pooled) * (2 / 50))
    raw = result.groups.loc[0, "tpr_p_value"]
    assert raw == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert female.p_value == pytest.approx(result.groups.loc[0, "tpr_p_value_adjusted"])
    assert female.message == (
        "sex = F: equal_opportunity_difference = -0.200 [95% CI -0.364, -0.020] is outside "
        "±0.05 (rule |equal_opportunity_difference| <= 0.05; 50 qualified candidates, "
        "adjusted p = 0.116)"
    )


def test_upper_bounds_and_two_sided_bounds():
    data = _frame({"F": (100, 40), "M": (100, 50)}, label={"F": (50, 30), "M": (50, 40)})
    result = biasaudit.audit(
        data, attributes=["sex"], selected="hired", label="ok", reference_group={"sex": "M"}
    )
    fnr = evaluate_policy(result, PolicyRules([Bound("fnr_ratio", maximum=1.5)]))[0]
    assert fnr.value == pytest.approx((20 / 50) / (10 / 50))
    assert fnr.status == "fail" and "is above the maximum 1.5" in fnr.message
    both = Bound("impact_ratio", minimum=0.8, maximum=1.25)
    assert both.describe() == "0.8 <= impact_ratio <= 1.25" and both.direction == "away"


def test_false_negative_rate_is_compared_with_the_best_treated_group():
    # F: 30 of 50 qualified hired (FNR 0.4); M: 40 of 50 (FNR 0.2). Lower is better for
    # the false-negative rate, so without a stated reference the comparison is M, the
    # ratio 2.0 and the difference +0.2: an upper bound on fnr_ratio can fail.
    data = _frame({"F": (100, 40), "M": (100, 50)}, label={"F": (50, 30), "M": (50, 40)})
    result = biasaudit.audit(data, attributes=["sex"], selected="hired", label="ok")
    groups = result.groups_frame().set_index("group_label")
    assert groups.loc["F", "fnr_ratio"] == pytest.approx(2.0)
    assert groups.loc["F", "fnr_difference"] == pytest.approx(0.2)
    assert groups.loc["M", "fnr_ratio"] == pytest.approx(1.0)
    # the same group is the comparison for the true-positive rate (FNR = 1 - TPR)
    assert groups.loc["F", "equal_opportunity_ratio"] == pytest.approx(0.6 / 0.8)
    female = evaluate_policy(result, PolicyRules([Bound("fnr_ratio", maximum=1.5)]))[0]
    assert female.value == pytest.approx(2.0)
    assert female.status == "fail" and "is above the maximum 1.5" in female.message


def test_label_metric_without_label_is_refused_with_the_fix(simple):
    with pytest.raises(ValidationError) as info:
        evaluate_policy(
            simple, PolicyRules([Bound.from_threshold("equal_opportunity_difference", 0.05)])
        )
    assert str(info.value) == (
        "Policy metric 'equal_opportunity_difference' cannot be computed from this audit: it "
        "needs a ground-truth label column, and the audit has none. Give the audit a label "
        '(label = "COLUMN" under [tool.biasaudit.pool]; label= in biasaudit.audit), or remove '
        "'equal_opportunity_difference' from the policy."
    )


def test_selection_metric_of_a_scoring_only_audit_is_refused():
    df = pd.DataFrame({"sex": ["F"] * 20 + ["M"] * 20, "s": np.linspace(0, 1, 40)})
    result = biasaudit.audit(df, attributes=["sex"], score="s")
    with pytest.raises(ValidationError, match="needs a decision"):
        evaluate_policy(result, PolicyRules([Bound("impact_ratio", 0.8)]))
    checks = evaluate_policy(result, PolicyRules([Bound("scoring_impact_ratio", 0.8)], False, 0))
    assert [c.status for c in checks] == ["fail", "pass"]


def test_scope_selects_groups_and_names_what_does_not_exist():
    df = biasaudit.datasets.load_resume_study()
    result = biasaudit.audit(df, attributes=["race", "sex"], selected="callback")
    rules = PolicyRules([Bound("impact_ratio", 0.8)], scope={"race": ["Black or African American"]})
    checks = evaluate_policy(result, rules)
    assert [(c.table, c.group, c.status) for c in checks] == [
        ("race", "Black or African American", "fail")
    ]
    every = evaluate_policy(result, PolicyRules([Bound("impact_ratio", 0.8)], scope={"sex": None}))
    assert [c.group for c in every] == ["Female", "Male"]
    with pytest.raises(ValidationError) as info:
        evaluate_policy(result, PolicyRules([Bound("impact_ratio", 0.8)], scope={"gender": "*"}))
    assert str(info.value) == (
        "The policy's scope names 'gender', which is not an attribute combination of this "
        "audit. Combinations audited: ['race', 'sex', 'race x sex']. Fix the scope (its keys "
        "are combinations such as 'race' or 'sex x race')."
    )
    with pytest.raises(ValidationError) as info:
        evaluate_policy(
            result, PolicyRules([Bound("impact_ratio", 0.8)], scope={"race": ["Asian"]})
        )
    assert str(info.value) == (
        "The policy's scope names group 'Asian' of 'race', which is not in the audit. Groups "
        "present: ['Black or African American', 'White']. Fix the spelling, or remove it from "
        "the scope."
    )


def test_same_outcomes_from_a_result_loaded_from_json(simple):
    rules = PolicyRules(
        [Bound("impact_ratio", 0.8), Bound.from_threshold("selection_difference", 0.1)]
    )
    fresh = evaluate_policy(simple, rules)
    loaded = evaluate_policy(AuditResult.from_json(simple.to_json()), rules)
    assert [c.to_dict() for c in fresh] == [c.to_dict() for c in loaded]


def test_bound_and_rules_validation_messages():
    with pytest.raises(ValidationError) as info:
        Bound("impact_ration", 0.8)
    assert str(info.value).startswith(
        "Unknown metric 'impact_ration'. Gateable metrics: ['equal_opportunity_difference', "
    )
    assert "'base_ratio'" not in str(info.value)  # the base rate describes the data, not a matcher
    with pytest.raises(ValidationError, match="must be a minimum, a maximum or both"):
        Bound("impact_ratio")
    with pytest.raises(ValidationError) as info:
        PolicyRules(insufficient_data="skip")
    assert str(info.value) == (
        "insufficient_data must be 'fail' or 'pass'; got 'skip'. "
        "Pass insufficient_data='fail' (the safe default)."
    )
    with pytest.raises(ValidationError, match="min_group_size must be an integer >= 0; got -1"):
        PolicyRules(min_group_size=-1)
    assert Bound.from_threshold("equal_opportunity_difference", 0.05).describe() == (
        "|equal_opportunity_difference| <= 0.05"
    )


def test_a_best_group_with_no_qualified_candidate_turned_away_keeps_differences():
    # M hires all 40 of its qualified (FNR 0), F 30 of 50 (FNR 0.4): the ratio against
    # 0 is undefined, but the difference and the Z test still say something.
    data = _frame({"F": (100, 40), "M": (100, 50)}, label={"F": (50, 30), "M": (40, 40)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", biasaudit.InsufficientDataWarning)
        result = biasaudit.audit(data, attributes=["sex"], selected="hired", label="ok")
    female = result.groups_frame().set_index("group_label").loc["F"]
    assert np.isnan(female["fnr_ratio"])
    assert female["fnr_difference"] == pytest.approx(0.4)
    pooled = 20 / 90
    z = (0.4 - 0.0) / math.sqrt(pooled * (1 - pooled) * (1 / 50 + 1 / 40))
    assert female["fnr_p_value"] == pytest.approx(2 * stats.norm.sf(z))
