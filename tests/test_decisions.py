"""Decision rules: threshold, top-k per job, top fraction, the given column, LL144 scoring."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import (
    CandidatePool,
    GivenSelection,
    InsufficientDataWarning,
    Threshold,
    TopFraction,
    TopK,
    ValidationError,
)
from biasaudit import _errors as E
from biasaudit.decisions import above_median, make_rule


def audit_quietly(data: object, **options: object) -> biasaudit.AuditResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        return biasaudit.audit(data, **options)


@pytest.fixture
def ranked() -> pd.DataFrame:
    """Two jobs; j1 has a three-way tie at 0.5, j2 has only three candidates."""
    return pd.DataFrame(
        {
            "g": ["a", "b", "a", "b", "a", "b", "a", "b", "a"],
            "job": ["j1", "j2", "j1", "j1", "j2", "j1", "j2", "j1", "j1"],
            "s": [0.5, 0.9, 0.9, 0.5, 0.1, 0.5, 0.3, 0.2, 0.7],
            "hired": [1, 0, 0, 1, 1, 0, 0, 0, 1],
            "rank": [3, 1, 1, 4, 3, 5, 2, 6, 2],
        }
    )


def pool_of(frame: pd.DataFrame, **roles: str) -> CandidatePool:
    return CandidatePool(frame, attributes=["g"], **roles)


# -- threshold --------------------------------------------------------------------


def test_threshold_selects_scores_at_or_above_it(ranked: pd.DataFrame) -> None:
    selected, facts = Threshold(0.5).apply(pool_of(ranked, score="s"))
    assert selected.tolist() == [True, True, True, True, False, True, False, False, True]
    assert facts == {}
    assert Threshold(0.51).apply(pool_of(ranked, score="s"))[0].sum() == 3
    assert Threshold(-1).apply(pool_of(ranked, score="s"))[0].all()
    assert not Threshold(2).apply(pool_of(ranked, score="s"))[0].any()


def test_threshold_audit_counts(ranked: pd.DataFrame) -> None:
    result = audit_quietly(ranked, attributes=["g"], score="s", threshold=0.5)
    groups = result.groups_frame().set_index("group_label")
    assert groups.loc["a", "selected"] == 3  # 0.5, 0.9, 0.7
    assert groups.loc["b", "selected"] == 3  # 0.9, 0.5, 0.5
    decision = result.provenance["configuration"]["decision"]
    assert decision["rule"] == "threshold"
    assert decision["threshold"] == 0.5


# -- top k ------------------------------------------------------------------------


def test_top_k_per_job_breaks_ties_by_pool_order(ranked: pd.DataFrame) -> None:
    selected, facts = TopK(2).apply(pool_of(ranked, score="s", job="job"))
    # j1 (rows 0, 2, 3, 5, 7, 8): 0.9 (row 2), then 0.7 (row 8).
    # j2 (rows 1, 4, 6): 0.9 (row 1), 0.3 (row 6).
    assert np.flatnonzero(selected).tolist() == [1, 2, 6, 8]
    assert facts == {
        "jobs": 2,
        "jobs_with_fewer_candidates_than_quota": 0,
        "jobs_with_ties_at_cutoff": 0,
        "tie_break": "pool order",
    }
    selected, facts = TopK(3).apply(pool_of(ranked, score="s", job="job"))
    # j1's third place is a three-way tie at 0.5 (rows 0, 3, 5): the first row wins.
    assert np.flatnonzero(selected).tolist() == [0, 1, 2, 4, 6, 8]
    assert facts["jobs_with_ties_at_cutoff"] == 1
    assert facts["jobs_with_fewer_candidates_than_quota"] == 0


def test_top_k_tie_break_follows_row_position_not_the_index(ranked: pd.DataFrame) -> None:
    frame = ranked.iloc[::-1].reset_index(drop=True)
    frame.index = frame.index[::-1]
    selected, _ = TopK(3).apply(pool_of(frame, score="s", job="job"))
    chosen = frame.iloc[np.flatnonzero(selected)]
    j1_tied = chosen[(chosen["job"] == "j1") & (chosen["s"] == 0.5)]
    # Reversed, the tied rows come in the order 5, 3, 0 of the original: row 5 wins now.
    assert j1_tied["rank"].tolist() == [5]


def test_top_k_larger_than_a_jobs_list(ranked: pd.DataFrame) -> None:
    selected, facts = TopK(4).apply(pool_of(ranked, score="s", job="job"))
    assert selected.sum() == 4 + 3
    assert selected[[1, 4, 6]].all()
    assert facts["jobs_with_fewer_candidates_than_quota"] == 1
    # j1's 4th and 5th places are both 0.5: a tie straddles the cut.
    assert facts["jobs_with_ties_at_cutoff"] == 1
    selected, facts = TopK(50).apply(pool_of(ranked, score="s", job="job"))
    assert selected.all()
    assert facts["jobs_with_fewer_candidates_than_quota"] == 2
    assert facts["jobs_with_ties_at_cutoff"] == 0


def test_top_k_without_a_job_column_ranks_the_whole_pool(ranked: pd.DataFrame) -> None:
    selected, facts = TopK(3).apply(pool_of(ranked, score="s"))
    # 0.9 (rows 1, 2) and 0.7 (row 8).
    assert np.flatnonzero(selected).tolist() == [1, 2, 8]
    assert facts["jobs"] == 1
    assert facts["jobs_with_ties_at_cutoff"] == 0
    selected, facts = TopK(2).apply(pool_of(ranked, score="s"))
    assert np.flatnonzero(selected).tolist() == [1, 2]
    assert facts["jobs_with_ties_at_cutoff"] == 0
    selected, facts = TopK(4).apply(pool_of(ranked, score="s"))
    assert np.flatnonzero(selected).tolist() == [0, 1, 2, 8]
    assert facts["jobs_with_ties_at_cutoff"] == 1


def test_top_k_uses_the_rank_column_without_scores(ranked: pd.DataFrame) -> None:
    selected, _ = TopK(2).apply(pool_of(ranked, rank="rank", job="job"))
    # Ranks 1 and 2 in each job.
    assert np.flatnonzero(selected).tolist() == [1, 2, 6, 8]


def test_top_k_ties_are_reported_in_the_result_provenance(ranked: pd.DataFrame) -> None:
    result = audit_quietly(ranked, attributes=["g"], score="s", job="job", top_k=3)
    decision = result.provenance["configuration"]["decision"]
    assert decision["rule"] == "top_k"
    assert decision["k"] == 3
    assert decision["jobs"] == 2
    assert decision["jobs_with_ties_at_cutoff"] == 1
    assert decision["jobs_with_fewer_candidates_than_quota"] == 0
    assert decision["tie_break"] == "pool order"
    groups = result.groups_frame().set_index("group_label")
    # Selected rows 0, 1, 2, 4, 6, 8: every "a" row and row 1 of "b".
    assert groups.loc["a", "selected"] == 5
    assert groups.loc["b", "selected"] == 1


def test_top_k_result_counts_match_the_rule(ranked: pd.DataFrame) -> None:
    result = audit_quietly(ranked, attributes=["g"], score="s", job="job", top_k=3)
    selected, _ = TopK(3).apply(pool_of(ranked, score="s", job="job"))
    expected = ranked.assign(sel=selected).groupby("g")["sel"].sum().to_dict()
    groups = result.groups_frame().set_index("group_label")
    assert groups["selected"].to_dict() == expected


# -- top fraction -----------------------------------------------------------------


def test_top_fraction_overall(ranked: pd.DataFrame) -> None:
    pool = pool_of(ranked, score="s", job="job")
    selected, facts = TopFraction(0.3).apply(pool)
    # ceil(0.3 * 9) = 3 over the whole pool, job ignored: rows 1, 2 (0.9) and 8 (0.7).
    assert np.flatnonzero(selected).tolist() == [1, 2, 8]
    assert facts["jobs"] == 1
    selected, facts = TopFraction(0.5).apply(pool)
    # ceil(4.5) = 5: then 0.5 (rows 0, 3 of the tied 0, 3, 5).
    assert np.flatnonzero(selected).tolist() == [0, 1, 2, 3, 8]
    assert facts["jobs_with_ties_at_cutoff"] == 1
    assert TopFraction(1).apply(pool)[0].all()


def test_top_fraction_per_job(ranked: pd.DataFrame) -> None:
    pool = pool_of(ranked, score="s", job="job")
    selected, facts = TopFraction(0.5, per_job=True).apply(pool)
    # j1: ceil(0.5 * 6) = 3 -> rows 2, 8 and row 0 (first of the 0.5 tie);
    # j2: ceil(0.5 * 3) = 2 -> rows 1, 6.
    assert np.flatnonzero(selected).tolist() == [0, 1, 2, 6, 8]
    assert facts["jobs"] == 2
    assert facts["jobs_with_ties_at_cutoff"] == 1


def test_top_fraction_exact_multiples_are_not_rounded_up() -> None:
    frame = pd.DataFrame({"g": ["a", "b"] * 5, "s": np.arange(10) / 10})
    selected, _ = TopFraction(0.3).apply(pool_of(frame, score="s"))
    assert selected.sum() == 3  # 0.3 * 10 is 3.0000000000000004 in floating point


def test_top_fraction_in_the_result_provenance(ranked: pd.DataFrame) -> None:
    result = audit_quietly(
        ranked, attributes=["g"], score="s", job="job", top_fraction=0.5, per_job=True
    )
    decision = result.provenance["configuration"]["decision"]
    assert (decision["rule"], decision["fraction"], decision["per_job"]) == (
        "top_fraction",
        0.5,
        True,
    )
    assert decision["jobs_with_ties_at_cutoff"] == 1


# -- the given column -------------------------------------------------------------


def test_given_selection(ranked: pd.DataFrame) -> None:
    selected, facts = GivenSelection().apply(pool_of(ranked, selected="hired"))
    assert selected.tolist() == [bool(v) for v in ranked["hired"]]
    assert facts == {}
    result = audit_quietly(ranked, attributes=["g"], selected="hired", score="s")
    assert result.provenance["configuration"]["decision"]["rule"] == "given"
    groups = result.groups_frame().set_index("group_label")
    assert groups["selected"].to_dict() == ranked.groupby("g")["hired"].sum().to_dict()


def test_given_selection_without_a_selected_column(ranked: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as caught:
        GivenSelection().apply(pool_of(ranked, score="s"))
    assert str(caught.value) == E.NO_DECISION


# -- LL144 scoring rate -----------------------------------------------------------


def test_above_median_is_strict() -> None:
    above, median = above_median(np.array([1.0, 2.0, 2.0, 2.0, 3.0, 4.0]))
    assert median == 2.0
    assert above.tolist() == [False, False, False, False, True, True]
    above, median = above_median(np.array([4.0, 1.0, 3.0, 2.0]))
    assert median == 2.5
    assert above.tolist() == [True, False, True, False]


def test_scoring_rate_uses_the_full_samples_median_with_ties() -> None:
    # Median of the whole pool is 2 (a tied value); only 3s and 4s are above it.
    frame = pd.DataFrame(
        {
            "g": ["a", "a", "a", "a", "b", "b", "b", "b"],
            "s": [1.0, 2.0, 3.0, 4.0, 2.0, 2.0, 2.0, 3.0],
        }
    )
    result = audit_quietly(frame, attributes=["g"], score="s")
    config = result.provenance["configuration"]
    assert config["scoring_threshold"] == 2.0
    assert config["decision"]["rule"] == "none (scoring rate only)"
    assert config["primary_metric"] == "scoring_rate"
    groups = result.groups_frame().set_index("group_label")
    assert groups.loc["a", "above_median"] == 2
    assert groups.loc["b", "above_median"] == 1
    assert groups.loc["a", "scoring_rate"] == pytest.approx(0.5)
    assert groups.loc["b", "scoring_rate"] == pytest.approx(0.25)
    assert groups.loc["b", "scoring_impact_ratio"] == pytest.approx(0.5)


def test_scoring_rate_is_reported_next_to_a_selection_rule() -> None:
    frame = pd.DataFrame(
        {"g": ["a", "b"] * 6, "s": [5, 1, 4, 2, 3, 3, 3, 3, 2, 4, 1, 5], "j": ["x"] * 12}
    )
    result = audit_quietly(frame, attributes=["g"], score="s", top_k=4)
    config = result.provenance["configuration"]
    assert config["scoring_threshold"] == 3.0
    groups = result.groups_frame().set_index("group_label")
    # Above 3: a has 5, 4; b has 4, 5.
    assert groups["above_median"].to_dict() == {"a": 2, "b": 2}
    assert groups["selected"].to_dict() == {"a": 2, "b": 2}


# -- rule errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "rules"),
    [
        (dict(threshold=0.5, top_k=3), ["threshold", "top_k"]),
        (dict(top_k=3, top_fraction=0.1), ["top_k", "top_fraction"]),
        (dict(selected="hired", threshold=0.5), ["threshold", "selected"]),
        (
            dict(selected="hired", threshold=0.5, top_k=1, top_fraction=0.5),
            ["threshold", "top_k", "top_fraction", "selected"],
        ),
    ],
)
def test_conflicting_rules(ranked: pd.DataFrame, options: dict, rules: list) -> None:
    expected = E.CONFLICTING_RULES.format(rules=rules)
    with pytest.raises(ValidationError) as caught:
        make_rule(**options)
    assert str(caught.value) == expected
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(ranked, attributes=["g"], score="s", **options)
    assert str(caught.value) == expected


def test_conflicting_rules_message_in_full(ranked: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(ranked, attributes=["g"], selected="hired", score="s", top_k=2)
    assert str(caught.value) == (
        "Only one decision rule can be used; got ['top_k', 'selected']. "
        "Pass exactly one of threshold=, top_k=, top_fraction= or selected=."
    )


BAD_VALUES = [
    (lambda: TopK(0), "k", "an integer >= 1", 0, "Pass e.g. k=10."),
    (lambda: TopK(-2), "k", "an integer >= 1", -2, "Pass e.g. k=10."),
    (lambda: TopK(2.5), "k", "an integer >= 1", 2.5, "Pass e.g. k=10."),
    (lambda: TopK(True), "k", "an integer >= 1", True, "Pass e.g. k=10."),
    (
        lambda: TopFraction(1.5),
        "fraction",
        "a number in (0, 1]",
        1.5,
        "Pass e.g. fraction=0.1 for the top 10%.",
    ),
    (
        lambda: TopFraction(0),
        "fraction",
        "a number in (0, 1]",
        0,
        "Pass e.g. fraction=0.1 for the top 10%.",
    ),
    (
        lambda: TopFraction(math.nan),
        "fraction",
        "a number in (0, 1]",
        math.nan,
        "Pass e.g. fraction=0.1 for the top 10%.",
    ),
    (
        lambda: Threshold(math.nan),
        "threshold",
        "a finite number",
        math.nan,
        "Pass e.g. threshold=0.5.",
    ),
    (
        lambda: Threshold(math.inf),
        "threshold",
        "a finite number",
        math.inf,
        "Pass e.g. threshold=0.5.",
    ),
    (lambda: Threshold("0.5"), "threshold", "a finite number", "0.5", "Pass e.g. threshold=0.5."),
]


@pytest.mark.parametrize(("build", "name", "expected", "value", "fix"), BAD_VALUES)
def test_bad_rule_values(build, name: str, expected: str, value: object, fix: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()
    assert str(caught.value) == E.BAD_RULE_VALUE.format(
        name=name, expected=expected, value=value, fix=fix
    )


@pytest.mark.parametrize(
    ("options", "text"),
    [
        (dict(top_k=0), "top_k must be None or an integer >= 1; got 0. Pass e.g. top_k=10."),
        (
            dict(top_fraction=1.5),
            "top_fraction must be None or a number in (0, 1]; got 1.5. "
            "Pass e.g. top_fraction=0.1 for the top 10%.",
        ),
        (
            dict(threshold=float("nan")),
            "threshold must be None or a finite number; got nan. Pass e.g. threshold=0.5.",
        ),
    ],
)
def test_bad_rule_values_through_audit(ranked: pd.DataFrame, options: dict, text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(ranked, attributes=["g"], score="s", **options)
    assert str(caught.value) == text


def test_numpy_integer_k_is_accepted(ranked: pd.DataFrame) -> None:
    selected, _ = TopK(np.int64(2)).apply(pool_of(ranked, score="s", job="job"))
    assert selected.sum() == 4


@pytest.mark.parametrize(
    "build",
    [
        lambda: Threshold(np.float32(0.5)),
        lambda: Threshold(np.int64(1)),
        lambda: TopFraction(np.float32(0.25)),
    ],
    ids=["threshold-float32", "threshold-int64", "fraction-float32"],
)
def test_numpy_numbers_are_accepted_like_python_numbers(build) -> None:
    # TopK takes np.integer; a finite NumPy number is "a finite number" too.
    build()


@pytest.mark.parametrize(
    ("build", "name", "expected", "fix"),
    [
        (lambda: Threshold(True), "threshold", "a finite number", "Pass e.g. threshold=0.5."),
        (
            lambda: TopFraction(True),
            "fraction",
            "a number in (0, 1]",
            "Pass e.g. fraction=0.1 for the top 10%.",
        ),
    ],
    ids=["threshold", "top_fraction"],
)
def test_booleans_are_refused_like_top_k_refuses_them(build, name, expected, fix) -> None:
    with pytest.raises(ValidationError) as caught:
        build()
    assert str(caught.value) == E.BAD_RULE_VALUE.format(
        name=name, expected=expected, value=True, fix=fix
    )


@pytest.mark.parametrize("rule", [Threshold(0.5), TopK(2), TopFraction(0.5)])
def test_score_rules_need_a_score(ranked: pd.DataFrame, rule) -> None:
    with pytest.raises(ValidationError) as caught:
        rule.apply(pool_of(ranked, selected="hired"))
    assert str(caught.value) == E.RULE_NEEDS_SCORE.format(rule=rule.name)


def test_rule_needs_score_message_in_full(ranked: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(ranked, attributes=["g"], threshold=0.5)
    assert str(caught.value) == (
        "The threshold rule needs scores, but no score column was given. Pass score=COLUMN."
    )


def test_no_decision_message_in_full(ranked: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(ranked, attributes=["g"], job="job")
    assert str(caught.value) == (
        "No decision to audit: the pool has neither a selected column nor a score. "
        "Pass selected=COLUMN, or score=COLUMN with threshold=, top_k= or top_fraction= "
        "(on the command line --selected COL, or --score COL with --threshold, --top-k or "
        "--top-fraction)."
    )
