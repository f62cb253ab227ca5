"""Baseline comparison: cell-reduced paired bootstrap, unpaired bootstrap, records, refusals."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import biasaudit
from biasaudit import ValidationError
from biasaudit.gate import (
    Bound,
    PolicyRules,
    Records,
    RegressionSettings,
    audit_with_records,
    compare_results,
)
from biasaudit.gate._bootstrap import (
    CellTable,
    Contrast,
    _design,
    contrast_statistics,
    paired_bootstrap,
    regression,
    unpaired_bootstrap,
)
from biasaudit.gate._metrics import gate_metric
from biasaudit.results import AuditResult

RULES = PolicyRules([Bound("impact_ratio", 0.8)], min_group_size=30)


def _pool(n: int = 1200, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], n)
    race = rng.choice(["Asian", "Black", "White"], n, p=[0.2, 0.3, 0.5])
    merit = rng.normal(size=n)
    gap = rng.random(n) < np.where(sex == "Female", 0.5, 0.15)
    return pd.DataFrame(
        {
            "cid": np.arange(n) * 7 + 3,
            "sex": sex,
            "race": race,
            "qualified": (merit + rng.normal(scale=0.5, size=n) > 0).astype(int),
            "v1": merit,
            "v1_tweak": merit + rng.normal(scale=0.02, size=n),
            "biased": merit - 1.5 * gap,
        }
    )


@pytest.fixture(scope="module")
def pool() -> pd.DataFrame:
    return _pool()


def _audit(df: pd.DataFrame, score: str, **kw):
    options = dict(attributes=["sex", "race"], score=score, threshold=0.3, id="cid")
    return audit_with_records(df, **{**options, **kw})


@pytest.fixture(scope="module")
def audits(pool):
    return {name: _audit(pool, name, label="qualified") for name in ("v1", "v1_tweak", "biased")}


# -- the cell reduction -------------------------------------------------------------------------


def _random_rows(n: int, seed: int):
    rng = np.random.default_rng(seed)
    cell = rng.integers(0, 6, n)  # 2 x 3 attribute cells
    label = rng.random(n) < 0.5
    sel_b = rng.random(n) < 0.3 + 0.1 * (cell % 2)
    sel_c = np.where(rng.random(n) < 0.9, sel_b, ~sel_b)
    above = (rng.random(n) < 0.5, rng.random(n) < 0.5)
    return cell, label, (sel_b, sel_c), above


def _contrasts():
    group = np.array([True, False, True, False, True, False])  # attribute A = 0
    ref = ~group
    out = []
    for name, direction in (
        ("impact_ratio", "down"),
        ("equal_opportunity_difference", "away"),
        ("precision_ratio", "down"),
        ("scoring_difference", "up"),
    ):
        out.append(Contrast(gate_metric(name), direction, group, (ref, ref)))
    return out


def _naive(rows, idx, contrasts):
    """Each contrast's (baseline, candidate) values straight from the resampled rows."""
    cell, label, selected, above = (
        rows[0][idx],
        rows[1][idx],
        [s[idx] for s in rows[2]],
        [a[idx] for a in rows[3]],
    )
    out = np.empty((len(contrasts), 2))
    for i, c in enumerate(contrasts):
        for side in (0, 1):
            sel = selected[side]
            num_den = {
                "selection_rate": (sel, np.ones_like(sel)),
                "true_positive_rate": (sel & label, label),
                "precision": (sel & label, sel),
                "scoring_rate": (above[side], np.ones_like(sel)),
            }[c.metric.rate.name]
            in_g, in_r = c.group[cell], c.reference[side][cell]
            g = num_den[0][in_g].sum() / num_den[1][in_g].sum()
            r = num_den[0][in_r].sum() / num_den[1][in_r].sum()
            out[i, side] = g / r if c.metric.kind == "ratio" else g - r
    return out


def test_statistics_from_cell_counts_equal_statistics_from_resampled_candidates():
    rows = _random_rows(500, seed=1)
    contrasts = _contrasts()
    table = CellTable.reduce(rows[0], rows[1], list(rows[2]), list(rows[3]))
    design = _design(table, contrasts)
    bits = [rows[1], rows[2][0], rows[2][1], rows[3][0], rows[3][1]]
    key = rows[0].astype(np.int64)
    for b in bits:
        key = key * 2 + b
    distinct = np.unique(key)
    position = np.searchsorted(distinct, key)
    rng = np.random.default_rng(7)
    for _ in range(50):
        idx = rng.integers(0, 500, 500)
        counts = np.bincount(position[idx], minlength=len(distinct))
        from_cells = contrast_statistics(counts.astype(float) @ design, contrasts)
        np.testing.assert_allclose(from_cells, _naive(rows, idx, contrasts), rtol=1e-12)
    assert table.total == 500 and len(table.count) == len(distinct)


def test_multinomial_replicates_match_candidate_resampling_in_distribution():
    rows = _random_rows(400, seed=2)
    contrasts = _contrasts()[:1]
    table = CellTable.reduce(rows[0], rows[1], list(rows[2]), list(rows[3]))
    _, observed, reps = paired_bootstrap(table, contrasts, resamples=4000, seed=11)
    rng = np.random.default_rng(12)
    naive = np.array(
        [
            regression(_naive(rows, rng.integers(0, 400, 400), contrasts)[None], contrasts)[0, 0]
            for _ in range(4000)
        ]
    )
    assert np.isfinite(reps).all()
    ks = stats.ks_2samp(reps[:, 0], naive)
    assert ks.statistic < 0.04  # two samples of 4,000 from one distribution
    assert reps[:, 0].mean() == pytest.approx(naive.mean(), abs=0.003)
    assert reps[:, 0].std() == pytest.approx(naive.std(), rel=0.06)
    assert observed[0] == pytest.approx(
        regression(_naive(rows, np.arange(400), contrasts)[None], contrasts)[0, 0]
    )


def test_regression_directions_by_hand():
    values = np.array([[[0.9, 0.7], [-0.02, -0.08], [0.9, 0.7]]])  # (1, C, 2): baseline, candidate
    contrasts = [
        Contrast(gate_metric("impact_ratio"), "down", np.ones(1, bool), (np.ones(1, bool),) * 2),
        Contrast(
            gate_metric("selection_difference"), "away", np.ones(1, bool), (np.ones(1, bool),) * 2
        ),
        Contrast(gate_metric("fnr_ratio"), "up", np.ones(1, bool), (np.ones(1, bool),) * 2),
    ]
    np.testing.assert_allclose(regression(values, contrasts)[0], [0.2, 0.06, -0.2])
    # "away" on a ratio measures distance from 1: 1.1 -> 0.95 is closer to parity
    away = [
        Contrast(gate_metric("impact_ratio"), "away", np.ones(1, bool), (np.ones(1, bool),) * 2)
    ]
    assert regression(np.array([[[1.1, 0.95]]]), away)[0, 0] == pytest.approx(-0.05)


def test_the_cost_of_a_replicate_does_not_depend_on_the_pool_size():
    rows = _random_rows(1000, seed=3)
    contrasts = _contrasts()
    table = CellTable.reduce(rows[0], rows[1], list(rows[2]), list(rows[3]))
    huge = CellTable(table.cell, table.label, table.selected, table.above, table.count * 10_000)
    start = time.perf_counter()
    _, _, reps = paired_bootstrap(huge, contrasts, resamples=2000, seed=0)
    assert time.perf_counter() - start < 5.0  # 10 million candidates
    assert huge.total == 10_000_000 and reps.shape == (2000, 4)


# -- paired comparison of real audits ----------------------------------------------------------


def test_observed_values_are_the_audit_tables_values(audits):
    base, cand = audits["v1"], audits["biased"]
    settings = RegressionSettings(metrics=("impact_ratio", "equal_opportunity_difference"))
    comparison = compare_results(base, cand, settings, PolicyRules(min_group_size=30))
    method = "paired bootstrap, 2000 resamples, seed 0, simultaneous bounds"
    assert comparison.paired and comparison.method == method
    for check in comparison.checks:
        for side, result in (("baseline", base), ("candidate", cand)):
            frame = result.groups_frame()
            row = frame[(frame.attribute_label == check.table) & (frame.group_label == check.group)]
            assert check.details[side] == pytest.approx(float(row[check.metric].iloc[0]), abs=1e-12)


def test_a_biased_change_fails_and_a_small_tweak_passes(audits):
    biased = compare_results(audits["v1"], audits["biased"], RegressionSettings(), RULES)
    failed = [(c.table, c.group) for c in biased.checks if c.status == "fail"]
    assert failed == [
        ("sex", "Female"),
        ("sex x race", "Female / Black"),
        ("sex x race", "Female / White"),
    ]
    female = next(c for c in biased.checks if c.group == "Female")
    assert female.details["regression"] > 0.2 and female.interval[0] > 0.05
    assert female.message.endswith(
        "the lower bound exceeds the margin 0.05: a regression beyond the margin is established "
        "at 95% confidence"
    )
    tweak = compare_results(audits["v1"], audits["v1_tweak"], RegressionSettings(), RULES)
    assert all(c.passed for c in tweak.checks)


def test_identical_decisions_give_no_regression_in_any_replicate(audits):
    same = compare_results(audits["v1"], audits["v1"], RegressionSettings(), RULES)
    for check in same.checks:
        assert check.details["regression"] == 0.0 and check.interval == (0.0, 0.0)


def test_pairing_makes_a_small_change_far_more_precise(audits):
    paired = compare_results(audits["v1"], audits["v1_tweak"], RegressionSettings(), RULES)
    unpaired = compare_results(
        audits["v1"], audits["v1_tweak"], RegressionSettings(), RULES, unpaired=True
    )
    method = "unpaired bootstrap, 2000 resamples, seed 0, simultaneous bounds"
    assert unpaired.method == method and not unpaired.paired
    width = {
        name: np.mean([c.interval[1] - c.interval[0] for c in comp.checks if c.interval])
        for name, comp in (("paired", paired), ("unpaired", unpaired))
    }
    assert width["paired"] < width["unpaired"] / 3


def test_bounds_are_the_percentiles_and_the_two_tests_differ():
    rows = _random_rows(300, seed=5)
    contrasts = _contrasts()[:1]
    table = CellTable.reduce(rows[0], rows[1], list(rows[2]), list(rows[3]))
    _, observed, reps = paired_bootstrap(table, contrasts, resamples=2000, seed=4)
    low, high = np.quantile(reps[:, 0], [0.05, 0.95])
    assert low < observed[0] < high
    # A margin between the bounds: inferiority passes, non-inferiority fails.
    margin = (low + high) / 2
    assert not low > margin and high > margin


def test_inferiority_and_non_inferiority_on_one_comparison(pool):
    base = _audit(pool, "v1")
    cand = _audit(pool.assign(v2=pool["v1"] - 0.12 * (pool["sex"] == "Female")), "v2")
    rules = PolicyRules(min_group_size=30, scope={"sex": ["Female"]})
    inferiority = compare_results(base, cand, RegressionSettings(margin=0.05), rules).checks[0]
    non_inf = compare_results(
        base, cand, RegressionSettings(margin=0.05, test="non-inferiority"), rules
    ).checks[0]
    low, high = inferiority.interval
    assert low < 0.05 < high  # a regression of the size of the margin, not established
    assert inferiority.passed and not non_inf.passed
    assert non_inf.message.endswith(
        "the upper bound exceeds the margin 0.05: a regression beyond the margin cannot be "
        "ruled out at 95% confidence"
    )
    assert non_inf.rule == "impact_ratio: regression <= 0.05 (non-inferiority test, 95%)"


def test_same_seed_same_result_other_seed_other_bounds(audits):
    a = compare_results(audits["v1"], audits["biased"], RegressionSettings(seed=1), RULES)
    b = compare_results(audits["v1"], audits["biased"], RegressionSettings(seed=1), RULES)
    c = compare_results(audits["v1"], audits["biased"], RegressionSettings(seed=2), RULES)
    assert [x.to_dict() for x in a.checks] == [x.to_dict() for x in b.checks]
    assert a.checks[0].interval != c.checks[0].interval


def test_comparison_survives_the_json_round_trip(audits):
    direct = compare_results(audits["v1"], audits["biased"], RegressionSettings(), RULES)
    loaded = [AuditResult.from_json(audits[k].to_json()) for k in ("v1", "biased")]
    again = compare_results(*loaded, RegressionSettings(), RULES)
    assert [x.to_dict() for x in direct.checks] == [x.to_dict() for x in again.checks]


# -- unpaired ----------------------------------------------------------------------------------


def test_unpaired_replicates_are_binomial_given_the_denominators():
    counts = np.array([[[30, 100, 50, 100], [20, 100, 50, 100]]])  # baseline, candidate
    group, ref = np.array([True]), np.array([False])
    contrast = [Contrast(gate_metric("selection_difference"), "up", group, (ref, ref))]
    values, observed, reps = unpaired_bootstrap(counts, contrast, resamples=20_000, seed=3)
    np.testing.assert_allclose(values, [[-0.2, -0.3]])
    assert observed[0] == pytest.approx(-0.1)
    # D = (g_c - r_c) - (g_b - r_b): the sum of four independent binomial variances
    variance = (0.3 * 0.7 + 0.5 * 0.5 + 0.2 * 0.8 + 0.5 * 0.5) / 100
    assert reps[:, 0].var() == pytest.approx(variance, rel=0.03)
    assert reps[:, 0].mean() == pytest.approx(-0.1, abs=0.002)


def test_unpaired_comparison_of_different_pools(pool):
    other = _pool(seed=9)
    base, cand = _audit(pool, "v1"), _audit(other, "v1")
    with pytest.raises(ValidationError) as info:
        compare_results(base, cand, RegressionSettings(), RULES)
    b = base.sections["gate"]["records"]["pool_sha256"][:12]
    c = cand.sections["gate"]["records"]["pool_sha256"][:12]
    assert str(info.value) == (
        f"The baseline and the candidate audited different evaluation pools (pool content "
        f"SHA-256 {b}… (baseline) vs {c}… (candidate)), so their candidates cannot be paired. "
        "Re-create the baseline on the current pool with 'biasaudit baseline update' from the "
        "accepted matcher, or compare unpaired (unpaired=True; on the command line, biasaudit "
        "gate --unpaired), which mixes the effect of the data with that of the matcher."
    )
    unpaired = compare_results(base, cand, RegressionSettings(), RULES, unpaired=True)
    assert all(c.passed for c in unpaired.checks)


def test_plain_audits_compare_only_unpaired():
    df = biasaudit.datasets.load_resume_study()
    plain = biasaudit.audit(df, attributes=["race"], selected="callback")
    with pytest.raises(ValidationError) as info:
        compare_results(plain, plain, RegressionSettings(), RULES)
    assert str(info.value) == (
        "The baseline audit has no per-candidate records (sections['gate']['records']), which "
        "the paired comparison needs. Re-create it with 'biasaudit baseline update' (in Python: "
        "biasaudit.gate.audit_with_records), or compare unpaired (unpaired=True; on the "
        "command line, biasaudit gate --unpaired)."
    )
    checks = compare_results(plain, plain, RegressionSettings(), RULES, unpaired=True).checks
    assert [c.details["regression"] for c in checks] == [0.0, 0.0]


# -- insufficient data in a comparison --------------------------------------------------------


def test_groups_missing_or_too_small_in_the_baseline_are_insufficient(pool):
    base = _audit(pool[pool["race"] != "Asian"], "v1")  # an older pool without Asian candidates
    cand = _audit(pool, "v1", label="qualified")
    rules = PolicyRules(min_group_size=30, scope={"race": ["Asian"]})
    check = compare_results(base, cand, RegressionSettings(), rules, unpaired=True).checks[0]
    assert check.status == "insufficient data" and not check.passed
    assert check.note == "the group is not in the baseline audit"
    eo = RegressionSettings(metrics=("equal_opportunity_difference",))
    check = compare_results(base, cand, eo, PolicyRules(scope={"sex": ["Female"]}), unpaired=True)
    assert check.checks[0].note == "the baseline audit has no equal_opportunity_difference"
    small = _audit(pool.iloc[:100], "v1", label="qualified")
    check = compare_results(small, cand, eo, PolicyRules(scope={"sex": ["Female"]}), unpaired=True)
    assert check.checks[0].note.startswith("in the baseline: ") and check.checks[0].note.endswith(
        "qualified candidates < min_group_size 30"
    )


def test_undefined_replicates_make_a_comparison_insufficient():
    df = pd.DataFrame(
        {
            "cid": range(80),
            "sex": ["F"] * 40 + ["M"] * 40,
            "s": [0.0] * 40 + [1.0] + [0.0] * 39,  # one selected man: the comparison rate
        }
    )
    kw = dict(attributes=["sex"], score="s", threshold=0.5, id="cid", reference_group={"sex": "M"})
    base, cand = audit_with_records(df, **kw), audit_with_records(df, **kw)
    check = compare_results(base, cand, RegressionSettings(), PolicyRules(min_group_size=0)).checks[
        0
    ]
    assert check.status == "insufficient data"
    assert check.note.startswith("impact_ratio is undefined in ") and check.note.endswith(
        "% of the bootstrap replicates"
    )
    share = float(check.note.split(" in ")[1].split("%")[0]) / 100
    assert share == pytest.approx((79 / 80) ** 80, abs=0.03)  # the one selected man not drawn


# -- records -----------------------------------------------------------------------------------


def test_records_round_trip_and_canonical_order(pool):
    result = _audit(pool.sample(frac=1.0, random_state=1), "v1", label="qualified")
    records = Records.of(result, "candidate")
    again = Records.from_json(json.loads(json.dumps(records.to_json())))
    for name in ("cell", "label", "selected", "above_median"):
        np.testing.assert_array_equal(getattr(records, name), getattr(again, name))
    ordered = Records.of(_audit(pool, "v1", label="qualified"), "candidate")
    assert records.pool_sha256 == ordered.pool_sha256 and records.keys_sha256 == ordered.keys_sha256
    np.testing.assert_array_equal(records.selected, ordered.selected)
    size = len(json.dumps(records.to_json()))
    assert size < 3.5 * len(pool) + 1500


@pytest.mark.filterwarnings("ignore::biasaudit.InsufficientDataWarning")
@pytest.mark.parametrize(
    "rule",
    [
        {"score": "v1", "threshold": 0.3},
        {"score": "v1", "top_k": 50, "job": "req"},
        {"score": "v1", "top_fraction": 0.25, "per_job": True, "job": "req"},
        {"selected": "hired"},
        {"score": "v1"},
    ],
)
def test_records_count_like_the_audit(pool, rule):
    frame = pool.assign(req=np.where(pool["cid"] % 3 == 0, "J1", "J2"), hired=pool["cid"] % 2)
    kw = dict(attributes=["sex", "race"], id="cid", label="qualified")
    result = audit_with_records(frame, **kw, **rule)
    records = Records.of(result, "candidate")
    frame = result.groups_frame().set_index(["attribute_label", "group_label"])
    for (table, group), row in frame.iterrows():
        attrs, values = table.split(" x "), group.split(" / ")
        members = records.group_mask(attrs, values)[records.cell]
        assert members.sum() == row["n"]
        if records.selected is None:  # a scoring-only audit
            assert "selected" not in rule and "threshold" not in rule and row["selected"] == 0
        else:
            assert (records.selected & members).sum() == row["selected"]
            assert (records.selected & records.label & members).sum() == row["true_positive"]
        if records.above_median is not None:
            assert (records.above_median & members).sum() == row["above_median"]
        else:
            assert "score" not in rule


def test_the_pool_identity_ignores_other_score_columns_but_not_the_candidates(pool):
    a = Records.of(_audit(pool, "v1"), "a")
    b = Records.of(_audit(pool.assign(extra=1.0), "biased"), "b")
    c = Records.of(_audit(pool.assign(race=pool["race"].iloc[::-1].to_numpy()), "v1"), "c")
    assert a.pool_sha256 == b.pool_sha256 != c.pool_sha256
    assert "id, attribute, job and label" in a.pool_sha256_of


def test_records_of_another_format_are_refused(audits):
    data = json.loads(audits["v1"].to_json())
    data["sections"]["gate"]["records"]["format"] = 99
    with pytest.raises(ValidationError) as info:
        compare_results(AuditResult.from_json(json.dumps(data)), audits["v1"])
    assert str(info.value) == (
        "The baseline audit holds per-candidate records of format 99; this biasaudit reads "
        "format 1. Re-create it with: biasaudit baseline update"
    )


def test_rank_is_refused(pool):
    with pytest.raises(ValidationError) as info:
        audit_with_records(pool, attributes=["sex"], score="v1", rank="r")
    assert str(info.value) == (
        "audit_with_records does not take rank='r': the gate compares decisions made from "
        "scores. Pass score= with a decision rule (e.g. top_k=10) instead."
    )


def test_settings_validation():
    with pytest.raises(
        ValidationError,
        match=r"margin must be a number >= 0 or a mapping, each value a number >= 0; got -0\.1",
    ):
        RegressionSettings(margin=-0.1)
    with pytest.raises(ValidationError, match=r"confidence must be a number in \[0.5, 1\)"):
        RegressionSettings(confidence=1.0)
    with pytest.raises(ValidationError, match="resamples must be an integer >= 100; got 10"):
        RegressionSettings(resamples=10)
    with pytest.raises(ValidationError) as info:
        RegressionSettings(test="superiority")
    assert str(info.value) == (
        "test must be 'inferiority' or 'non-inferiority'; got 'superiority'. "
        "Pass test='inferiority' (fail only on an established regression)."
    )
    assert RegressionSettings(margin={"impact_ratio": 0.1}).margin_for("impact_ratio") == 0.1
