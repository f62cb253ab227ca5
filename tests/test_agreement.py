"""Agreement with established libraries on random intersectional data.

fairlearn (group rates and parity summaries), scipy (Fisher exact, chi-square,
Wilson intervals, Benjamini-Hochberg), scikit-learn (ROC AUC with tied
scores) and statsmodels (Cochran-Mantel-Haenszel, Mantel-Haenszel odds ratio,
Breslow-Day, Holm) must give the numbers biasaudit reports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, chi2_contingency, false_discovery_control, fisher_exact
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests

import biasaudit

SEXES = ["Female", "Male", "Nonbinary"]
RACES = [
    "Asian",
    "Black or African American",
    "Hispanic or Latino",
    "Native American or Alaska Native",
    "Native Hawaiian or Pacific Islander",
    "Two or More Races",
    "White",
]
COMBOS = [["sex"], ["race"], ["sex", "race"]]
METRICS = {
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
}


def make_pool(seed: int, n: int = 4000) -> pd.DataFrame:
    """Seeded applicants: 3 sexes x 7 races, 3 jobs, qualification, tied scores.

    Scores are rounded to a 0.5 grid (many ties) and depend on the label and,
    mildly, on the group, so groups differ in rates and in AUC.
    """
    rng = np.random.default_rng(seed)
    sex = rng.choice(SEXES, n, p=[0.46, 0.44, 0.10])
    race = rng.choice(RACES, n, p=[0.16, 0.16, 0.18, 0.08, 0.08, 0.10, 0.24])
    job = rng.choice(["analyst", "engineer", "nurse"], n, p=[0.3, 0.4, 0.3])
    sex_shift = pd.Series(sex).map({"Female": -0.3, "Male": 0.2, "Nonbinary": 0.0}).to_numpy()
    race_shift = rng.normal(0, 0.4, len(RACES))[pd.Categorical(race, RACES).codes]
    label = rng.random(n) < 0.35 + 0.05 * race_shift
    score = np.round(2 * (rng.normal(0, 1.5, n) + 1.2 * label + sex_shift + race_shift)) / 2
    job_cut = pd.Series(job).map({"analyst": 0.5, "engineer": 1.0, "nurse": 0.0}).to_numpy()
    selected = score >= job_cut
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "job": job,
            "qualified": label.astype(int),
            "score": score,
            "selected": selected.astype(int),
        }
    )


@pytest.fixture(scope="module")
def pool() -> pd.DataFrame:
    return make_pool(seed=20240611)


@pytest.fixture(scope="module")
def result(pool):
    return biasaudit.audit(
        pool,
        attributes=["sex", "race"],
        selected="selected",
        score="score",
        label="qualified",
        job="job",
        min_share=0,
    )


def rows(result, combo: list[str]) -> pd.DataFrame:
    frame = result.groups_frame()
    return frame[frame["attribute"].map(lambda a: list(a) == combo)].reset_index(drop=True)


def members(pool: pd.DataFrame, combo: list[str], group: list[str]) -> pd.DataFrame:
    mask = np.ones(len(pool), dtype=bool)
    for attribute, value in zip(combo, group):
        mask &= (pool[attribute] == value).to_numpy()
    return pool[mask]


def summary(result, combo: list[str]) -> dict:
    return next(s for s in result.summaries() if s["attribute"] == combo)


def features(pool: pd.DataFrame, combo: list[str]):
    return pool[combo[0]] if len(combo) == 1 else pool[combo]


def test_generated_pool_fills_every_cell(pool, result):
    # Preconditions of the comparisons below: 21 non-empty cells, each with
    # qualified and unqualified applicants, none excluded.
    cells = rows(result, ["sex", "race"])
    assert len(cells) == 21
    assert (cells["n"] >= 20).all()
    assert ((cells["label_positive"] > 0) & (cells["label_positive"] < cells["n"])).all()
    assert not cells["excluded_small"].any()
    assert int(cells["n"].sum()) == len(pool)


# -- fairlearn ----------------------------------------------------------------


@pytest.mark.parametrize("combo", COMBOS, ids=" x ".join)
def test_fairlearn_metricframe_by_group(pool, result, combo):
    frame = MetricFrame(
        metrics=METRICS,
        y_true=pool["qualified"],
        y_pred=pool["selected"],
        sensitive_features=features(pool, combo),
    )
    ours = rows(result, combo)
    assert len(ours) == len(frame.by_group)
    for _, row in ours.iterrows():
        key = row["group"][0] if len(combo) == 1 else tuple(row["group"])
        for name in METRICS:
            assert row[name] == pytest.approx(frame.by_group.loc[key, name], rel=1e-12), (
                key,
                name,
            )


@pytest.mark.parametrize("combo", COMBOS, ids=" x ".join)
def test_fairlearn_parity_summaries(pool, result, combo):
    args = (pool["qualified"], pool["selected"])
    kwargs = {"sensitive_features": features(pool, combo)}
    ours = summary(result, combo)
    expected = {
        "demographic_parity_difference": demographic_parity_difference(*args, **kwargs),
        "demographic_parity_ratio": demographic_parity_ratio(*args, **kwargs),
        "equal_opportunity_difference": equal_opportunity_difference(*args, **kwargs),
        "equal_opportunity_ratio": equal_opportunity_ratio(*args, **kwargs),
        "equalized_odds_difference": equalized_odds_difference(*args, **kwargs),
        "equalized_odds_ratio": equalized_odds_ratio(*args, **kwargs),
    }
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, rel=1e-12), name
    # Not degenerate: the generated groups really differ.
    assert ours["demographic_parity_difference"] > 0.05


@st.composite
def cell_counts(draw):
    """Per sex x race cell: (qualified selected, qualified rejected, unqualified
    selected, unqualified rejected), each at least 1 so every rate is defined."""
    return [[draw(st.integers(1, 12)) for _ in range(4)] for _ in range(len(SEXES) * len(RACES))]


def pool_from_counts(counts: list[list[int]], seed: int) -> pd.DataFrame:
    parts = []
    outcomes = [(1, 1), (1, 0), (0, 1), (0, 0)]
    for i, cell in enumerate(counts):
        sex, race = SEXES[i // len(RACES)], RACES[i % len(RACES)]
        for (qualified, selected), k in zip(outcomes, cell):
            parts.append(
                pd.DataFrame(
                    {"sex": sex, "race": race, "qualified": qualified, "selected": selected},
                    index=range(k),
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=cell_counts(), seed=st.integers(0, 2**16))
def test_fairlearn_agreement_property(counts, seed):
    pool = pool_from_counts(counts, seed)
    result = biasaudit.audit(
        pool, attributes=["sex", "race"], selected="selected", label="qualified", min_share=0
    )
    for combo in COMBOS:
        frame = MetricFrame(
            metrics=METRICS,
            y_true=pool["qualified"],
            y_pred=pool["selected"],
            sensitive_features=features(pool, combo),
        )
        for _, row in rows(result, combo).iterrows():
            key = row["group"][0] if len(combo) == 1 else tuple(row["group"])
            for name in METRICS:
                assert row[name] == pytest.approx(frame.by_group.loc[key, name], rel=1e-12)
        # fairlearn's between-groups aggregates: demographic parity is the
        # selection-rate ratio / difference, equalized odds the worse of TPR and FPR.
        ratio, difference = frame.ratio(), frame.difference()
        ours = summary(result, combo)
        assert ours["demographic_parity_ratio"] == pytest.approx(ratio["selection_rate"])
        assert ours["demographic_parity_difference"] == pytest.approx(difference["selection_rate"])
        assert ours["equalized_odds_ratio"] == pytest.approx(
            min(ratio["true_positive_rate"], ratio["false_positive_rate"])
        )
        assert ours["equalized_odds_difference"] == pytest.approx(
            max(difference["true_positive_rate"], difference["false_positive_rate"])
        )
        # The Z test against its chi-square twin on the same counts.
        _check_z_against_chi2(rows(result, combo))


# -- scipy ----------------------------------------------------------------------


def _comparison_row(table: pd.DataFrame) -> pd.Series:
    comparison = table["comparison_group"].iloc[0]
    return table[table["group"].map(lambda g: list(g) == list(comparison))].iloc[0]


def _check_z_against_chi2(table: pd.DataFrame) -> int:
    ref = _comparison_row(table)
    checked = 0
    for _, row in table.iterrows():
        if row["group"] == ref["group"]:
            assert np.isnan(row["z"])
            continue
        counts = [
            [row["selected"], row["n"] - row["selected"]],
            [ref["selected"], ref["n"] - ref["selected"]],
        ]
        chi2, p, dof, _ = chi2_contingency(counts, correction=False)
        assert dof == 1
        assert row["z"] ** 2 == pytest.approx(chi2, rel=1e-9)
        assert row["p_value"] == pytest.approx(p, rel=1e-9)
        assert np.sign(row["z"]) == np.sign(row["selection_rate"] - ref["selection_rate"])
        checked += 1
    return checked


@pytest.mark.parametrize("combo", COMBOS, ids=" x ".join)
def test_z_test_equals_chi_square(result, combo):
    table = rows(result, combo)
    assert _check_z_against_chi2(table) == len(table) - 1


@pytest.mark.parametrize("combo", COMBOS, ids=" x ".join)
def test_tpr_z_test_equals_chi_square(result, combo):
    table = rows(result, combo)
    ref = table[table["true_positive_rate"] == table["true_positive_rate"].max()].iloc[0]
    for _, row in table.iterrows():
        if row["group"] == ref["group"]:
            continue
        counts = [
            [row["true_positive"], row["label_positive"] - row["true_positive"]],
            [ref["true_positive"], ref["label_positive"] - ref["true_positive"]],
        ]
        chi2, p, _, _ = chi2_contingency(counts, correction=False)
        assert row["tpr_z"] ** 2 == pytest.approx(chi2, rel=1e-9)
        assert row["tpr_p_value"] == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize("combo", COMBOS, ids=" x ".join)
def test_fisher_exact_matches_scipy(result, combo):
    table = rows(result, combo)
    ref = _comparison_row(table)
    for _, row in table.iterrows():
        if row["group"] == ref["group"]:
            assert np.isnan(row["fisher_p"])
            continue
        counts = [
            [row["selected"], row["n"] - row["selected"]],
            [ref["selected"], ref["n"] - ref["selected"]],
        ]
        _, p = fisher_exact(counts, alternative="two-sided")
        assert row["fisher_p"] == pytest.approx(p, rel=1e-9, abs=1e-300)
        # mid-p is never above p and differs from it by at most half the
        # observed table's probability.
        assert 0 <= p - row["fisher_midp"] <= 0.5 * p + 1e-12


@pytest.mark.parametrize("combo", COMBOS, ids=" x ".join)
@pytest.mark.parametrize(
    ("metric", "successes", "trials"),
    [
        ("selection_rate", "selected", "n"),
        ("true_positive_rate", "true_positive", "label_positive"),
        ("false_positive_rate", "false_positive", None),
    ],
)
def test_wilson_intervals_match_scipy(result, combo, metric, successes, trials):
    for _, row in rows(result, combo).iterrows():
        k = int(row[successes])
        n = int(row[trials]) if trials else int(row["n"] - row["label_positive"])
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        low, high = row[f"{metric}_ci"]
        assert low == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
        assert high == pytest.approx(ci.high, rel=1e-9, abs=1e-12)


def test_benjamini_hochberg_matches_scipy(pool):
    result = biasaudit.audit(
        pool,
        attributes=["sex", "race"],
        selected="selected",
        label="qualified",
        min_share=0,
        correction="bh",
    )
    frame = result.groups_frame()
    # The corrected family: every p-value column that has an adjusted twin.
    columns = [c for c in frame.columns if c + "_adjusted" in frame.columns]
    assert {"p_value", "tpr_p_value", "fpr_p_value"} <= set(columns)
    raw = frame[columns].to_numpy(dtype=float).ravel()
    adjusted = frame[[c + "_adjusted" for c in columns]].to_numpy(dtype=float).ravel()
    finite = np.isfinite(raw)
    assert result.provenance["configuration"]["multiple_testing"]["family_size"] == finite.sum()
    assert finite.sum() > 100
    assert np.isnan(adjusted[~finite]).all()
    assert adjusted[finite] == pytest.approx(false_discovery_control(raw[finite]), rel=1e-12)
    # The same family under Holm, against statsmodels.
    holm = biasaudit.audit(
        pool, attributes=["sex", "race"], selected="selected", label="qualified", min_share=0
    ).groups_frame()
    adjusted = holm[[c + "_adjusted" for c in columns]].to_numpy(dtype=float).ravel()
    expected = multipletests(raw[finite], method="holm")[1]
    assert adjusted[finite] == pytest.approx(expected, rel=1e-12)


# -- scikit-learn ----------------------------------------------------------------


@pytest.mark.parametrize("combo", COMBOS, ids=" x ".join)
def test_auc_matches_sklearn_with_ties(pool, result, combo):
    assert pool["score"].duplicated().mean() > 0.9  # heavy ties
    table = rows(result, combo)
    assert (table["auc_method"] == "exact").all()
    for _, row in table.iterrows():
        group = members(pool, combo, row["group"])
        expected = roc_auc_score(group["qualified"], group["score"])
        assert row["auc"] == pytest.approx(expected, rel=1e-12), row["group"]


@pytest.mark.parametrize("combo", COMBOS, ids=" x ".join)
def test_scoring_rate_is_share_above_full_sample_median(pool, result, combo):
    # LL144: strictly above the median of the FULL sample (numpy.median), with
    # ties at the median (a 0.5 grid has many) counted as not above.
    median = float(np.median(pool["score"]))
    assert (pool["score"] == median).sum() > 50
    for _, row in rows(result, combo).iterrows():
        group = members(pool, combo, row["group"])
        assert row["scoring_rate"] == pytest.approx((group["score"] > median).mean(), rel=1e-12)
        assert row["mean_score"] == pytest.approx(group["score"].mean(), rel=1e-12)


# -- statsmodels: strata ---------------------------------------------------------


def _strata(pool: pd.DataFrame, combo, group, reference) -> np.ndarray:
    """2 x 2 x jobs: focal / comparison by selected / not selected."""
    tables = []
    for job in sorted(pool["job"].unique()):
        in_job = pool[pool["job"] == job]
        focal = members(in_job, combo, group)["selected"]
        comparison = members(in_job, combo, reference)["selected"]
        tables.append(
            [
                [focal.sum(), len(focal) - focal.sum()],
                [comparison.sum(), len(comparison) - comparison.sum()],
            ]
        )
    return np.array(tables, dtype=float).transpose(1, 2, 0)


@pytest.mark.parametrize("combo", COMBOS, ids=" x ".join)
def test_cmh_and_breslow_day_match_statsmodels(pool, result, combo):
    table = rows(result, combo)
    ref = _comparison_row(table)
    compared = 0
    for _, row in table.iterrows():
        if row["group"] == ref["group"]:
            assert np.isnan(row["cmh_p_value"])
            continue
        strata = _strata(pool, combo, row["group"], ref["group"])
        # Every stratum informative (no empty row or column margin), where
        # statsmodels and the textbook formulas agree.
        assert (strata.sum(axis=1) > 0).all() and (strata.sum(axis=0) > 0).all()
        st_table = StratifiedTable(strata)
        assert row["mh_odds_ratio"] == pytest.approx(st_table.oddsratio_pooled, rel=1e-10)
        assert row["cmh_p_value"] == pytest.approx(
            st_table.test_null_odds(correction=False).pvalue, rel=1e-9
        )
        assert row["breslow_day_p"] == pytest.approx(
            st_table.test_equal_odds(adjust=False).pvalue, rel=1e-7
        )
        compared += 1
    assert compared == len(table) - 1
