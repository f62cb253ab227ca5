"""Name-swap audits end to end: known effects recovered, nominal error rates, outputs, errors."""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import biasaudit
from biasaudit import InsufficientDataWarning, ValidationError
from biasaudit import _errors as E
from biasaudit.counterfactual import _messages as M
from biasaudit.counterfactual import name_swap_audit, rank_swap_audit
from biasaudit.matchers import MatcherError
from biasaudit.reports import section_tables
from biasaudit.synth import first_names, make_pool

sys.path.insert(0, str(Path(__file__).parent / "matchers"))
from fake_servers import ChatServer

BLACK = "Black or African American"
BLACK_NAMES = set(first_names(BLACK, "Female")) | set(first_names(BLACK, "Male"))
SCHEMA = Path(biasaudit.__file__).parent / "schema" / "audit-result.schema.json"


def _noise(texts: pd.Series, sd: float) -> np.ndarray:
    """A fixed pseudo-random N(0, sd^2) per text: matcher noise unrelated to any group."""
    out = []
    for text in texts:
        seed = int(hashlib.sha256(str(text).encode()).hexdigest()[:16], 16)
        out.append(np.random.default_rng(seed).normal(0.0, sd))
    return np.asarray(out)


def biased(delta: float, sd: float = 1.0):
    """Score = experience + noise - delta when the first name is on a Black list."""

    def score(candidates: pd.DataFrame, job) -> np.ndarray:
        black = candidates["first_name"].astype(str).isin(BLACK_NAMES).to_numpy()
        noise = _noise(candidates["resume_text"], sd) if sd else 0.0
        return candidates["years_experience"].to_numpy(float) + noise - delta * black

    return score


@pytest.fixture(scope="module")
def pool():
    return make_pool(60, jobs=1, seed=11)


TWO_GROUPS = {"groups": "race", "include": {"race": ["White", BLACK]}, "hold": {"sex": "Female"}}


# -- reference checks: a known effect is recovered, no effect rejects at the nominal rate ---
def test_injected_name_effect_recovered_in_every_black_group(pool) -> None:
    result = name_swap_audit(pool, matcher=biased(0.8), reference="White / Male", seed=3)
    rows = result.sections["counterfactual"]["comparisons"]
    crossed = {r["group"]: r for r in rows if r["attributes"] == ["race", "sex"]}
    for sex in ("Female", "Male"):
        row = crossed[f"{BLACK} / {sex}"]
        low, high = row["mean_ci"]
        assert low <= -0.8 <= high and high < 0
        assert row["verdict"] == "scored lower than the reference (significant)"
    for group in ("Hispanic or Latino / Female", "Asian / Male", "White / Female"):
        low, high = crossed[group]["mean_ci"]
        assert low <= 0 <= high, group
    race = {r["group"]: r for r in rows if r["attributes"] == ["race"]}
    assert race[BLACK]["reference"] == "White"
    assert race[BLACK]["mean_ci"][0] <= -0.8 <= race[BLACK]["mean_ci"][1]


def test_interval_covers_delta_at_the_nominal_rate(pool) -> None:
    covered, rejected = 0, 0
    reps = 30
    for seed in range(reps):
        result = name_swap_audit(
            pool, matcher=biased(0.8), reference="White", seed=seed, **TWO_GROUPS
        )
        row = result.sections["counterfactual"]["comparisons"][1]
        covered += row["mean_ci"][0] <= -0.8 <= row["mean_ci"][1]
        rejected += row["wilcoxon_p_adjusted"] < 0.05
    # t interval, normal differences: coverage 95%; P(Bin(30, 0.95) <= 24) = 0.016
    assert covered >= 25
    assert stats.binom.cdf(24, reps, 0.95) < 0.02
    # sd(d) = sqrt(2), se = sqrt(2 / 60) = 0.18: delta 0.8 is 4.4 se, power ~ 0.99
    assert rejected >= 27


def test_no_effect_rejects_at_about_the_nominal_rate(pool) -> None:
    reps, hits = 40, {"wilcoxon": 0, "sign": 0, "t": 0}
    for seed in range(reps):
        result = name_swap_audit(
            pool, matcher=biased(0.0), reference="White", seed=100 + seed, **TWO_GROUPS
        )
        row = result.sections["counterfactual"]["comparisons"][1]
        hits["wilcoxon"] += row["wilcoxon_p"] < 0.05
        hits["sign"] += row["sign_p"] < 0.05
        hits["t"] += not (row["mean_ci"][0] <= 0 <= row["mean_ci"][1])
    # P(Bin(40, 0.05) >= 7) = 0.014: more than 6 rejections would mean an inflated rate
    assert stats.binom.sf(6, reps, 0.05) < 0.02
    assert all(v <= 6 for v in hits.values()), hits


def test_nominal_rate_of_the_paired_statistics_in_many_simulations() -> None:
    from biasaudit.counterfactual import paired_statistics

    rng = np.random.default_rng(2024)
    reps, n = 1000, 60  # over 50 pairs: scipy's normal approximation (fast)
    wil = sign = t = 0
    for _ in range(reps):
        s = paired_statistics(rng.normal(size=n))
        wil += s["wilcoxon_p"] < 0.05
        sign += s["sign_p"] < 0.05
        t += not (s["mean_ci"][0] <= 0 <= s["mean_ci"][1])
    # 1000 draws: the rate's sd is 0.007 at 0.05; the sign test is conservative (discrete)
    assert 0.03 <= wil / reps <= 0.07 and 0.03 <= t / reps <= 0.07
    assert 0.01 <= sign / reps <= 0.065


# -- flips, by hand, through the whole audit ------------------------------------------------
RESUMES = pd.DataFrame(
    {
        "rid": ["a", "b", "c", "d"],
        "name": ["Jo Doe", "Al Roe", "Cy Poe", "Ed Moe"],
        "cv": ["Jo Doe", "Al Roe", "Cy Poe", "Ed Moe"],
        "points": [1.0, 1.5, 2.5, 4.0],
    }
)


def _black_penalty(candidates: pd.DataFrame, job) -> np.ndarray:
    first = candidates["cv"].str.split().str[0]
    return candidates["points"].to_numpy() - 1.0 * first.isin(BLACK_NAMES).to_numpy()


def test_threshold_flips_by_hand() -> None:
    # threshold 2: White variants score 1, 1.5, 2.5, 4 (2 selected), Black 0, .5, 1.5, 3 (1):
    # resume c flips (selected only with the White name)
    with pytest.warns(InsufficientDataWarning):
        result = name_swap_audit(
            RESUMES,
            matcher=_black_penalty,
            text_column="cv",
            name_column="name",
            id="rid",
            threshold=2.0,
            **TWO_GROUPS,
        )
    section = result.sections["counterfactual"]
    black = section["flips"][1]
    assert (black["group"], black["selected"], black["flips"], black["lost"]) == (BLACK, 1, 1, 1)
    assert black["flip_rate"] == 0.25 and section["flips"][-1]["flips"] == 1
    row = section["comparisons"][1]
    assert row["mean_difference"] == -1.0 and row["verdict"] == "insufficient data"
    groups = result.groups_frame().set_index("group_label")
    assert groups.loc["White", "selected"] == 2 and groups.loc[BLACK, "selected"] == 1


def test_top_k_flips_against_the_original_applicants() -> None:
    # Original resumes (own names: none on a Black list) score 1, 1.5, 2.5, 4.
    # Top 2: a variant needs the 2nd best score among the other three originals:
    # a: 2.5, b: 2.5, c: 1.5, d: 1.5. White variants: c, d selected; Black: d only (3 >= 1.5),
    # c: 1.5 >= 1.5 -> selected as well (ties go to the candidate). No flips.
    with pytest.warns(InsufficientDataWarning):
        result = name_swap_audit(
            RESUMES,
            matcher=_black_penalty,
            text_column="cv",
            name_column="name",
            id="rid",
            top_k=2,
            **TWO_GROUPS,
        )
    flips = result.sections["counterfactual"]["flips"]
    assert [f["selected"] for f in flips[:2]] == [2, 2] and flips[-1]["flips"] == 0
    with pytest.warns(InsufficientDataWarning):
        result = name_swap_audit(
            RESUMES.assign(points=[1.0, 1.5, 2.2, 4.0]),
            matcher=_black_penalty,
            text_column="cv",
            name_column="name",
            id="rid",
            top_k=2,
            **TWO_GROUPS,
        )
    flips = result.sections["counterfactual"]["flips"]
    assert flips[1]["selected"] == 1 and flips[1]["lost"] == 1 and flips[-1]["flips"] == 1
    config = result.sections["counterfactual"]["configuration"]
    assert config["decision"] == {"rule": "top_k", "k": 2}
    assert config["scoring"]["originals"]["pairs"] == 4


def test_scoring_only_has_no_flips() -> None:
    with pytest.warns(InsufficientDataWarning):
        result = name_swap_audit(
            RESUMES, matcher=_black_penalty, text_column="cv", name_column="name", **TWO_GROUPS
        )
    section = result.sections["counterfactual"]
    assert section["flips"] == [] and result.primary_metric == "scoring_rate"
    assert "No decision rule was given, so no selection flips were computed." in section["notes"]


# -- outputs ---------------------------------------------------------------------------------
def test_section_json_html_schema_and_determinism(pool, tmp_path: Path) -> None:
    kwargs = dict(matcher=biased(1.5), top_k=5, seed=4, reference={"race": "White", "sex": "Male"})
    result = name_swap_audit(pool, **kwargs)
    section = result.sections["counterfactual"]
    assert section["kind"] == "counterfactual" and section["design"] == "score"
    assert "tables" not in section  # numbers only; the tables are rendered from them
    section = {**section, "tables": section_tables(result, "counterfactual")}
    assert (
        section_tables(result, "counterfactual")
        == (result.to_dict()["sections"]["counterfactual"]["tables"])
    )
    assert list(section["tables"]) == [
        "Paired score differences by race (reference: White)",
        "Paired score differences by sex (reference: Male)",
        "Paired score differences by race × sex (reference: White / Male)",
        "Selection flips with the name (selected when among the best 5 of its job)",
    ]
    first = section["tables"]["Paired score differences by race (reference: White)"][0]
    assert next(iter(first)) == "race" and first["verdict"] == "reference group"
    text = result.to_json()
    jsonschema.validate(json.loads(text), json.loads(SCHEMA.read_text()))
    again = biasaudit.AuditResult.from_json(text)
    assert again.sections["counterfactual"] == json.loads(
        json.dumps(result.sections["counterfactual"])
    )
    assert again.to_dict()["sections"]["counterfactual"] == json.loads(json.dumps(section))
    stamp = re.compile(r'"timestamp": "[^"]*"')
    second = name_swap_audit(pool, **kwargs).to_json()
    assert stamp.sub("", text) == stamp.sub("", second)
    html = again.to_html()
    assert '<h2 id="counterfactual-title">Counterfactual audit</h2>' in html
    assert "Paired score differences by race × sex (reference: White / Male)" in html
    assert "Result: " in html and "scored lower than the reference (significant)" in html
    assert section["notes"][0].startswith("Result: ")
    groups = result.groups_frame()
    assert set(groups["attribute_label"]) == {"race", "sex", "race x sex"}
    assert int(groups.query("attribute_label == 'race'")["n"].sum()) == 60 * 8
    meta = result.provenance["metadata"]
    assert meta["data_type"] == "test" and meta["counterfactual"]["design"] == "score"


def test_cache_makes_reruns_free(pool, tmp_path: Path) -> None:
    first = name_swap_audit(pool, matcher="tfidf", cache=tmp_path, **TWO_GROUPS)
    second = name_swap_audit(pool, matcher="tfidf", cache=tmp_path, **TWO_GROUPS)
    scored = first.sections["counterfactual"]["configuration"]["scoring"]
    again = second.sections["counterfactual"]["configuration"]["scoring"]
    assert scored["from_cache"] == 0 and scored["scored"] == scored["pairs"] > 0
    assert again["from_cache"] == again["pairs"] and again["scored"] == 0
    assert (
        first.sections["counterfactual"]["comparisons"]
        == second.sections["counterfactual"]["comparisons"]
    )


def test_every_resume_for_every_job_without_a_job_column(pool) -> None:
    frame = pool.data.drop(columns=["job_id"]).head(10)
    jobs = make_pool(10, jobs=2, seed=1).jobs
    result = name_swap_audit(
        frame,
        matcher="tfidf",
        jobs=jobs,
        first_name_column="first_name",
        last_name_column="last_name",
        id="candidate_id",
        top_k=3,
        **TWO_GROUPS,
    )
    section = result.sections["counterfactual"]
    assert section["counts"]["units"] == 20 and section["counts"]["jobs_per_resume"] == 2
    assert section["configuration"]["job_column"] == "job"
    assert section["flips"][0]["n"] == 20


# -- bad input ----------------------------------------------------------------------------------
def test_matcher_returning_nan_on_some_variants(pool) -> None:
    def flaky(candidates: pd.DataFrame, job) -> np.ndarray:
        out = candidates["years_experience"].to_numpy(float)
        return np.where(candidates["first_name"].astype(str).isin(BLACK_NAMES), np.nan, out)

    with pytest.raises(MatcherError) as err:
        name_swap_audit(pool, matcher=flaky, **TWO_GROUPS)
    ids = [f"{cid}#2.1" for cid in pool.data["candidate_id"].head(5)]
    assert str(err.value) == M.VARIANTS_UNSCORED.format(
        matcher="callable", count=60, total=120, ids=ids, reasons={"no score (NaN)": 60}
    )


def test_matcher_raising(pool) -> None:
    def broken(candidates: pd.DataFrame, job) -> np.ndarray:
        raise RuntimeError("model file missing")

    with pytest.raises(MatcherError) as err:
        name_swap_audit(pool, matcher=broken, **TWO_GROUPS)
    assert str(err.value) == E.MATCHER_CRASHED.format(
        matcher="callable", job="J001", error="RuntimeError: model file missing"
    )


def test_rank_mode_matcher_refused_in_the_scoring_design(pool) -> None:
    with pytest.raises(ValidationError) as err:
        name_swap_audit(
            pool,
            matcher="llm",
            matcher_options={"base_url": "http://127.0.0.1:9/v1", "model": "m", "mode": "rank"},
            **TWO_GROUPS,
        )
    assert str(err.value) == M.RANK_MATCHER_IN_SCORE_DESIGN.format(matcher="llm")


def test_too_few_resumes_is_insufficient_data(pool) -> None:
    with pytest.warns(InsufficientDataWarning, match="too few non-zero paired differences"):
        result = name_swap_audit(
            pool.data.head(3),
            matcher=biased(1.0),
            first_name_column="first_name",
            last_name_column="last_name",
            **TWO_GROUPS,
        )
    row = result.sections["counterfactual"]["comparisons"][1]
    assert row["verdict"] == "insufficient data" and row["n"] == 3
    assert row["median_ci"] == [None, None]  # JSON null: undefined, never a made-up number
    assert math.isfinite(row["mean_difference"])


def test_bad_reference_rule_and_options(pool) -> None:
    with pytest.raises(ValidationError) as err:
        name_swap_audit(pool, matcher=biased(0), reference="Asian", **TWO_GROUPS)
    assert str(err.value) == M.BAD_REFERENCE.format(value="Asian", groups=["White", BLACK])
    with pytest.raises(ValidationError) as err:
        name_swap_audit(pool, matcher=biased(0), threshold=1, top_k=2, **TWO_GROUPS)
    assert str(err.value) == E.CONFLICTING_RULES.format(rules=["threshold", "top_k"])
    with pytest.raises(ValidationError, match=r"^correction must be one of 'holm', 'bh', 'none'"):
        name_swap_audit(pool, matcher=biased(0), correction="bonferroni", **TWO_GROUPS)


# -- ranking design ---------------------------------------------------------------------------
def test_ranking_design_finds_a_penalised_group(pool) -> None:
    result = rank_swap_audit(
        pool.data.head(8),
        matcher=biased(3.0, sd=0.5),
        first_name_column="first_name",
        last_name_column="last_name",
        job="job_id",
        rounds=25,
        seed=1,
    )
    section = result.sections["counterfactual"]
    assert section["counts"]["rankings"] == 200 and section["counts"]["rows"] == 1600
    crossed = {r["group"]: r for r in section["first_place"] if r["attributes"] == ["race", "sex"]}
    assert sum(r["ranked_first"] for r in crossed.values()) == 200
    for sex in ("Female", "Male"):
        assert crossed[f"{BLACK} / {sex}"]["ranked_first"] <= 2
    tests = {t["test"]: t for t in section["tests"]}
    assert tests["equal first-place shares by race × sex"]["p_value"] < 1e-6
    assert (
        tests["no position bias (first place uniform over presented positions)"]["p_value"] > 0.01
    )
    # the group tables of the audit are the same first-place counts
    groups = result.groups_frame().set_index("group_label")
    for label, row in crossed.items():
        assert groups.loc[label, "selected"] == row["ranked_first"]
        assert groups.loc[label, "n"] == 200


def test_ranking_design_without_effect(pool) -> None:
    result = rank_swap_audit(
        pool.data.head(10),
        matcher=biased(0.0, sd=1.0),
        first_name_column="first_name",
        last_name_column="last_name",
        groups="sex",
        hold={"race": "White"},
        rounds=40,
        seed=5,
    )
    section = result.sections["counterfactual"]
    rates = [r["rate"] for r in section["first_place"]]
    assert sum(r["ranked_first"] for r in section["first_place"]) == 400
    assert section["tests"][0]["p_value"] > 0.01 and all(0.4 < r < 0.6 for r in rates)


def test_llm_rank_mode_position_bias_detected() -> None:
    server = ChatServer()
    try:
        frame = pd.DataFrame({"name": ["Jo Doe"] * 1, "resume_text": ["Jo Doe. Python, SQL."]})
        options = {
            "base_url": server.url + "/v1",
            "model": "tiny",
            "mode": "rank",
            "shuffle": False,
        }
        result = rank_swap_audit(
            frame,
            matcher="llm",
            matcher_options=options,
            jobs=[{"id": "J1", "title": "Analyst"}],
            name_column="name",
            groups="sex",
            hold={"race": "White"},
            rounds=30,
            seed=0,
        )
    finally:
        server.close()
    section = result.sections["counterfactual"]
    # identical resumes: the fake model keeps the listed order, so position 1 always wins
    assert [p["ranked_first"] for p in section["positions"]] == [30, 0]
    tests = {t["test"]: t for t in section["tests"]}
    assert (
        tests["no position bias (first place uniform over presented positions)"]["p_value"] < 1e-6
    )
    assert tests["equal first-place shares by sex"]["p_value"] > 0.01  # groups shuffled
    assert server.requests == 30 and section["configuration"]["ranked_by"] == (
        "the matcher's shortlist ranking"
    )
    with pytest.raises(ValidationError) as err:
        rank_swap_audit(
            frame,
            matcher="llm",
            matcher_options={**options, "shuffle": True},
            jobs=[{"id": "J1"}],
            name_column="name",
            groups="sex",
        )
    assert str(err.value) == M.RANK_MATCHER_SHUFFLES.format(matcher="llm")


def test_named_sets_of_equal_resumes(pool) -> None:
    frame = pool.data.head(8).assign(tier=["s1"] * 4 + ["s2"] * 4)
    with pytest.warns(InsufficientDataWarning, match="too few rankings"):
        result = rank_swap_audit(
            frame,
            matcher=biased(0.0, sd=0.0),
            set_column="tier",
            first_name_column="first_name",
            last_name_column="last_name",
            groups="race",
            hold={"sex": "Male"},
            rounds=3,
            seed=0,
        )
    section = result.sections["counterfactual"]
    assert section["counts"]["sets"] == 2 and section["counts"]["rankings"] == 6
    assert math.isnan(section["tests"][0]["p_value"] or math.nan)  # expected 1.5 < 5
    with pytest.raises(ValidationError) as err:
        rank_swap_audit(
            frame.head(7),
            matcher=biased(0.0),
            set_column="tier",
            first_name_column="first_name",
            last_name_column="last_name",
            groups="race",
            rounds=2,
        )
    assert str(err.value) == M.SET_SIZE.format(column="tier", count=1, size=4, examples={"s2": 3})
    mixed = frame.assign(job_id=["J1", "J2"] * 4)
    with pytest.raises(ValidationError) as err:
        rank_swap_audit(
            mixed,
            matcher=biased(0.0),
            set_column="tier",
            job="job_id",
            first_name_column="first_name",
            last_name_column="last_name",
            groups="race",
            rounds=2,
        )
    assert str(err.value) == M.SET_SPANS_JOBS.format(column="tier", count=2, examples=["s1", "s2"])


def test_a_paired_effect_is_a_finding_and_leads_the_summary(pool) -> None:
    # A small penalty, invisible to the unpaired group tables of the variants, is found by
    # the paired comparison: it is a finding, and every output leads with it.
    result = name_swap_audit(pool, matcher=biased(0.05, sd=0.0), **TWO_GROUPS, seed=3)
    paired = [f for f in result.findings if f["check"] == "counterfactual_paired"]
    assert [(f["group"], f["verdict"]) for f in paired] == [
        ([BLACK], "scored lower than the reference (significant)")
    ]
    assert result.findings[0] is paired[0]
    assert paired[0]["message"].startswith(f"name swap: race = {BLACK} scored lower than White")
    headline = "The name alone changed scores: 1 significant paired difference(s)"
    assert headline in biasaudit.reports.to_markdown(result)
    assert headline in biasaudit.reports.to_html(result)
    assert "name swap: race" in result.summary()
    assert json.loads(result.to_json())["findings"][0]["check"] == "counterfactual_paired"
    fair = name_swap_audit(pool, matcher=biased(0.0), **TWO_GROUPS, seed=3)
    assert not [f for f in fair.findings if f["check"] == "counterfactual_paired"]
    assert "The name alone changed scores" not in biasaudit.reports.to_markdown(fair)
