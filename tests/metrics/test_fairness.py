"""The array metrics agree with fairlearn, with hand counts and with audit()'s tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    true_positive_rate,
)
from fairlearn.metrics import (
    equalized_odds_difference as fl_equalized_odds_difference,
)
from fairlearn.metrics import selection_rate as fl_selection_rate
from hypothesis import given, settings
from hypothesis import strategies as st

import biasaudit
from biasaudit import ValidationError
from biasaudit.metrics import (
    disparate_impact_ratio,
    equal_opportunity_ratio,
    equalized_odds_difference,
    group_summary,
    impact_ratios,
    selection_rate,
    selection_rate_difference,
)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 3000
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "race": rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2]),
            "label": rng.integers(0, 2, n),
        }
    )
    p = 0.25 + 0.15 * (frame["sex"] == "M") + 0.1 * frame["label"]
    frame["pred"] = (rng.random(n) < p).astype(int)
    return frame


def test_hand_counts() -> None:
    y_pred = [1, 1, 0, 0, 1, 0, 0, 0]
    groups = list("AAAABBBB")
    assert selection_rate(None, y_pred) == 3 / 8
    assert impact_ratios(None, y_pred, sensitive_features=groups).to_dict() == {"A": 1.0, "B": 0.5}
    assert disparate_impact_ratio(None, y_pred, sensitive_features=groups) == 0.5
    assert selection_rate_difference(None, y_pred, sensitive_features=groups) == 0.25


def test_against_fairlearn(data: pd.DataFrame) -> None:
    y, p, s = data["label"], data["pred"], data["race"]
    assert disparate_impact_ratio(y, p, sensitive_features=s) == pytest.approx(
        demographic_parity_ratio(y, p, sensitive_features=s), abs=1e-15
    )
    assert selection_rate_difference(y, p, sensitive_features=s) == pytest.approx(
        demographic_parity_difference(y, p, sensitive_features=s), abs=1e-15
    )
    assert equalized_odds_difference(y, p, sensitive_features=s) == pytest.approx(
        fl_equalized_odds_difference(y, p, sensitive_features=s), abs=1e-15
    )
    frame = MetricFrame(
        metrics={"rate": fl_selection_rate, "tpr": true_positive_rate},
        y_true=y,
        y_pred=p,
        sensitive_features=data[["sex", "race"]],
    )
    summary = group_summary(y, p, sensitive_features=data[["sex", "race"]])
    np.testing.assert_allclose(summary["rate"], frame.by_group["rate"].to_numpy(), atol=1e-15)
    tpr = group_summary(y, p, sensitive_features=data[["sex", "race"]], rate="true_positive")
    np.testing.assert_allclose(tpr["rate"], frame.by_group["tpr"].to_numpy(), atol=1e-15)
    by_group = frame.by_group["tpr"]
    assert equal_opportunity_ratio(y, p, sensitive_features=data[["sex", "race"]]) == (
        pytest.approx(by_group.min() / by_group.max(), abs=1e-15)
    )


def test_group_summary_equals_the_audit_table() -> None:
    df = biasaudit.datasets.load_resume_study()
    result = biasaudit.audit(df, attributes=["race"], selected="callback", correction="holm")
    groups = result.groups_frame().set_index("group_label")
    summary = group_summary(None, df["callback"], sensitive_features=df["race"])
    for group, row in summary.iterrows():
        audited = groups.loc[group]
        assert row["rate"] == pytest.approx(audited["selection_rate"], abs=1e-15)
        assert (row["rate_low"], row["rate_high"]) == pytest.approx(
            tuple(audited["selection_rate_ci"]), abs=1e-15
        )
        assert row["impact_ratio"] == pytest.approx(audited["impact_ratio"], abs=1e-15)
        if not row["comparison"]:
            assert (row["ratio_low"], row["ratio_high"]) == pytest.approx(
                tuple(audited["impact_ratio_ci"]), abs=1e-15
            )
            assert row["p_value"] == pytest.approx(audited["p_value"], abs=1e-15)


def test_reference_group_and_intersections(data: pd.DataFrame) -> None:
    ratios = impact_ratios(None, data["pred"], sensitive_features=data["sex"], reference_group="F")
    rates = data.groupby("sex")["pred"].mean()
    assert ratios["M"] == pytest.approx(rates["M"] / rates["F"], abs=1e-15)
    crossed = impact_ratios(
        None, data["pred"], sensitive_features=data[["sex", "race"]], reference_group=("F", "A")
    )
    cells = data.groupby(["sex", "race"])["pred"].mean()
    assert crossed[("M", "C")] == pytest.approx(cells[("M", "C")] / cells[("F", "A")], abs=1e-15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: selection_rate(None, [0, 2]), "y_pred must hold only 0 and 1"),
        (
            lambda: impact_ratios(None, [0, 1], sensitive_features=["a"]),
            "must have one entry per candidate; got lengths [1, 2]",
        ),
        (
            lambda: impact_ratios(None, [0, 1], sensitive_features=["a", "b"], rate="tp"),
            "rate must be one of",
        ),
        (
            lambda: equal_opportunity_ratio(None, [0, 1], sensitive_features=["a", "b"]),
            "needs y_true",
        ),
        (
            lambda: impact_ratios(None, [0, 1], sensitive_features=["a", "b"], reference_group="z"),
            "reference_group 'z' is not among the groups",
        ),
        (
            lambda: group_summary(None, [0, 1], sensitive_features=["a", "b"], confidence=1.5),
            "confidence must be a number in (0, 1); got 1.5",
        ),
    ],
)
def test_bad_input_is_refused_with_one_message(call, message) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert message in str(info.value)


def test_pos_label_and_booleans() -> None:
    assert selection_rate(None, ["yes", "no", "no", "no"], pos_label="yes") == 0.25
    assert selection_rate(None, np.array([True, False])) == 0.5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 1)), min_size=1, max_size=60),
)
def test_ratios_are_rates_over_the_highest_rate(rows) -> None:
    groups, pred = zip(*rows)
    ratios = impact_ratios(None, list(pred), sensitive_features=list(groups))
    rates = pd.Series(pred).groupby(pd.Series(groups)).mean()
    if rates.max() == 0:
        assert ratios.isna().all()
    else:
        np.testing.assert_allclose(ratios.to_numpy(), (rates / rates.max()).to_numpy())
        assert ratios.max() == 1.0
