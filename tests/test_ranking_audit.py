"""audit(ranking=...): the ranking section in the AuditResult, its JSON, report and summary."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import InsufficientDataWarning, ValidationError
from biasaudit.pool import CandidatePool
from biasaudit.ranking import (
    RANKING_NEEDS_JOB,
    RANKING_NEEDS_ORDER,
    RANKING_OPTIONS,
    RANKING_TYPE,
    rank_audit,
)

LOG2 = math.log2


@pytest.fixture
def two_jobs() -> pd.DataFrame:
    """Job a ranks M, M, F, F; job b ranks M, F, F, M (best first); scores agree."""
    return pd.DataFrame(
        {
            "job": ["a"] * 4 + ["b"] * 4,
            "sex": ["F", "M", "M", "F", "M", "F", "F", "M"],
            "rank": [4, 1, 2, 3, 1, 2, 3, 4],
            "score": [0.1, 0.9, 0.8, 0.2, 0.9, 0.7, 0.6, 0.1],
            "qualified": [1, 1, 0, 0, 1, 1, 0, 0],
        }
    )


def pool(n_jobs: int = 60, size: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_jobs * size
    sex = rng.choice(["F", "M"], n, p=[0.45, 0.55])
    race = rng.choice(["Black", "White", "Asian"], n, p=[0.3, 0.5, 0.2])
    score = rng.normal(size=n) + 0.4 * (sex == "M") + 0.3 * (race == "White")
    return pd.DataFrame(
        {
            "job": np.repeat([f"J{j:03d}" for j in range(n_jobs)], size),
            "sex": sex,
            "race": race,
            "score": score,
            "qualified": (rng.random(n) < 0.5).astype(int),
        }
    )


# -- hand-computed -----------------------------------------------------------------


def test_section_numbers_by_hand(two_jobs: pd.DataFrame) -> None:
    result = biasaudit.audit(
        two_jobs,
        attributes=["sex"],
        score="score",
        job="job",
        top_k=2,
        ranking={"k": 2, "n_bootstrap": 0},
    )
    section = result.to_dict()["sections"]["ranking"]  # the JSON form, with readable tables
    assert section["kind"] == "ranking"
    assert section["configuration"]["order"] == {"score": "score"}
    top = {r["Group"]: r for r in section["tables"]["Top-k selection: sex"]}
    # Top 2 of a: M, M; of b: M, F. F 1 of 4, M 3 of 4; impact ratio 1/3.
    assert top["F"]["Top 2: selection rate [95% CI]"] == "25.0% [4.6%, 69.9%]"
    assert top["F"]["Top 2: impact ratio [95% CI]"] == "0.333"  # no bootstrap: no interval
    assert top["M"]["Top 2: MH odds ratio (CMH)"] == "comparison group"
    # MH odds ratio = sum(a d / t) / sum(b c / t) = (0 + 1/4) / (4/4 + 1/4) = 0.2
    assert top["F"]["Top 2: MH odds ratio (CMH)"].startswith("0.20 (p = ")
    # Exposure: F sits at 3, 4 (job a) and 2, 3 (job b); M at 1, 2 and 1, 4.
    f_exposure = (1 / LOG2(4) + 1 / LOG2(5) + 1 / LOG2(3) + 1 / LOG2(4)) / 4
    m_exposure = (1 + 1 / LOG2(3) + 1 + 1 / LOG2(5)) / 4
    expo = {r["Group"]: r for r in section["tables"]["Exposure and attention: sex"]}
    assert expo["F"]["Exposure [95% CI]"] == f"{f_exposure:.3f}"
    assert expo["F"]["Exposure ratio [95% CI]"] == f"{f_exposure / m_exposure:.3f}"
    metrics = {(m["group"], m["metric"]): m for m in section["metrics"] if m["k"] is None}
    assert metrics[("F", "exposure")]["value"] == pytest.approx(f_exposure)
    assert metrics[("F", "exposure_ratio")]["value"] == pytest.approx(f_exposure / m_exposure)
    # The audit's own top-2 selection rate is the ranking's top-2 rate.
    rates = result.groups_frame().set_index("group_label")["selection_rate"]
    assert rates["F"] == 0.25 and rates["M"] == 0.75


def test_section_is_rank_audit_on_the_same_pool() -> None:
    df = pool()
    result = biasaudit.audit(
        df,
        attributes=["sex", "race"],
        score="score",
        job="job",
        top_k=10,
        label="qualified",
        ranking=True,
    )
    section = result.to_dict()["sections"]["ranking"]
    direct = rank_audit(
        df, attributes=["sex", "race"], score="score", job="job", label="qualified", k=(10, 20)
    ).to_section()
    assert section == direct
    assert section["configuration"]["k"] == [10, 20]
    for attribute in ("sex", "race"):
        assert f"Top-k selection: {attribute}" in section["tables"]
        assert f"Exposure and attention: {attribute}" in section["tables"]
    # The disparate treatment ratio needs the label: it is there.
    assert any(m["metric"] == "disparate_treatment_ratio" for m in section["metrics"])
    # FA*IR summary agrees with the per-job frame.
    per_job = rank_audit(
        df, attributes=["sex", "race"], score="score", job="job", k=(10, 20)
    ).per_job.query("attribute == 'sex' and group == 'F'")
    fair = section["fair"]["sex"]["F"]
    assert fair["tested"] == len(per_job) == 60
    assert fair["failing"] == int((~per_job["passed"]).sum())
    failing = per_job.loc[~per_job["passed"], "first_failing_prefix"]
    if len(failing):
        assert fair["first_failing_prefix_median"] == float(failing.median())
        assert fair["first_failing_prefix_min"] == int(failing.min())


def test_default_cut_offs_include_the_audit_top_k() -> None:
    result = biasaudit.audit(
        pool(), attributes=["sex"], score="score", job="job", top_k=5, ranking=True
    )
    section = result.sections["ranking"]
    assert section["configuration"]["k"] == [5, 10, 20]
    rates = {
        m["group"]: m["value"]
        for m in section["metrics"]
        if m["metric"] == "selection_rate" and m["k"] == 5
    }
    groups = result.groups_frame().set_index("group_label")["selection_rate"]
    assert rates == pytest.approx(groups.to_dict())


def test_options_pass_through_and_rank_orders_when_given(two_jobs: pd.DataFrame) -> None:
    reversed_score = two_jobs.assign(score=-two_jobs["score"])  # the rank column disagrees
    result = biasaudit.audit(
        reversed_score,
        attributes=["sex"],
        score="score",
        rank="rank",
        job="job",
        threshold=-0.5,
        ranking={"k": (1, 2), "n_bootstrap": 0, "seed": 3, "attention": 0.3},
    )
    config = result.sections["ranking"]["configuration"]
    assert config["order"] == {"rank": "rank"}
    assert config["k"] == [1, 2] and config["bootstrap"]["draws"] == 0
    assert config["attention"].endswith("p=0.3")
    by_rank = rank_audit(two_jobs, attributes=["sex"], job="job", rank="rank", k=2, n_bootstrap=0)
    rate = next(
        m
        for m in result.sections["ranking"]["metrics"]
        if m["metric"] == "selection_rate" and m["group"] == "F" and m["k"] == 2
    )
    assert rate["value"] == by_rank.value("selection_rate", "F", k=2) == 0.25


def test_a_candidate_pool_brings_its_roles(two_jobs: pd.DataFrame) -> None:
    data = CandidatePool(two_jobs, attributes=["sex"], job="job", score="score")
    result = biasaudit.audit(data, top_k=2, ranking={"k": 2, "n_bootstrap": 0})
    assert result.sections["ranking"]["configuration"]["order"] == {"score": "score"}
    no_job = CandidatePool(two_jobs, attributes=["sex"], score="score")
    with pytest.raises(ValidationError) as info:
        biasaudit.audit(no_job, top_k=2, ranking=True)
    assert str(info.value) == RANKING_NEEDS_JOB


def test_without_ranking_there_is_no_section(two_jobs: pd.DataFrame) -> None:
    for off in (None, False):
        result = biasaudit.audit(
            two_jobs, attributes=["sex"], score="score", job="job", top_k=2, ranking=off
        )
        assert "ranking" not in result.sections


# -- bad input ----------------------------------------------------------------------


def test_needs_a_job_and_an_order(two_jobs: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as info:
        biasaudit.audit(two_jobs, attributes=["sex"], score="score", top_k=2, ranking=True)
    assert str(info.value) == RANKING_NEEDS_JOB
    assert RANKING_NEEDS_JOB == (
        "A ranking audit needs a job column: each job's candidates form one ranked list; got "
        "job=None. Pass job=COLUMN (on the command line --job COLUMN), or call "
        "biasaudit.rank_audit(...) without a job to rank the whole pool as one list."
    )
    selected = two_jobs.assign(hired=[0, 1, 1, 0, 1, 0, 0, 0])
    with pytest.raises(ValidationError) as info:
        biasaudit.audit(selected, attributes=["sex"], selected="hired", job="job", ranking=True)
    assert str(info.value) == RANKING_NEEDS_ORDER
    assert RANKING_NEEDS_ORDER == (
        "A ranking audit needs an order: got score=None and rank=None. Pass score=COLUMN "
        "(higher is better) or rank=COLUMN (1 is best)."
    )


def test_bad_ranking_values(two_jobs: pd.DataFrame) -> None:
    options = dict(attributes=["sex"], score="score", job="job", top_k=2)
    with pytest.raises(ValidationError) as info:
        biasaudit.audit(two_jobs, **options, ranking="yes")
    assert str(info.value) == RANKING_TYPE.format(value="yes")
    assert str(info.value) == (
        "ranking must be True, False or a dict of rank_audit options; got 'yes'. "
        "Pass ranking=True, or e.g. ranking={'k': (10, 20)}."
    )
    with pytest.raises(ValidationError) as info:
        biasaudit.audit(two_jobs, **options, ranking={"k": 2, "job": "job", "cutoffs": 3})
    assert str(info.value) == RANKING_OPTIONS.format(
        names=["cutoffs", "job"],
        allowed=[
            "alpha",
            "attention",
            "fair_max_length",
            "k",
            "min_share",
            "n_bootstrap",
            "reference_group",
            "rnd_step",
            "seed",
            "target",
        ],
    )
    # rank_audit's own checks apply to the options.
    with pytest.raises(ValidationError, match="k must be an integer >= 1 or a non-empty sequence"):
        biasaudit.audit(two_jobs, **options, ranking={"k": 0})


def test_duplicate_ranks_and_single_candidate_jobs(two_jobs: pd.DataFrame) -> None:
    dup = two_jobs.copy()
    dup.loc[6, "rank"] = 2
    with pytest.raises(ValidationError, match="gives rank 2 to 2 candidates of job 'b'"):
        biasaudit.audit(dup, attributes=["sex"], rank="rank", job="job", top_k=2, ranking=True)
    lone = pd.concat(
        [two_jobs, pd.DataFrame({"job": ["c"], "sex": ["F"], "score": [0.5], "rank": [1]})]
    )
    with pytest.warns(InsufficientDataWarning, match="single candidate"):
        result = biasaudit.audit(
            lone, attributes=["sex"], score="score", job="job", top_k=2, ranking={"k": 2}
        )
    section = result.sections["ranking"]
    assert section["input_notes"] == [
        "k=2 exceeds the length of 1 job list(s); for those jobs the whole list counts as the "
        "top 2.",
        "1 job(s) have a single candidate: insufficient data for position-based metrics, so "
        "they are left out of them (they still count in the top-k tables).",
    ]
    assert section["notes"][1:3] == section["input_notes"]
    assert "single candidate" in result.summary()


# -- JSON, report, summary -------------------------------------------------------------


@pytest.fixture(scope="module")
def ranked() -> biasaudit.AuditResult:
    return biasaudit.audit(
        pool(),
        attributes=["sex", "race"],
        score="score",
        job="job",
        top_k=10,
        label="qualified",
        ranking={"k": (5, 10)},
    )


def test_json_round_trip_keeps_the_section_and_validates(ranked, tmp_path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    path = tmp_path / "audit.json"
    ranked.to_json(path)
    data = json.loads(path.read_text())
    jsonschema.validate(data, biasaudit.result.json_schema())
    loaded = biasaudit.AuditResult.from_json(path)
    assert loaded.to_dict()["sections"]["ranking"] == data["sections"]["ranking"]
    assert loaded.to_json() == ranked.to_json()  # byte-identical again, timestamp included
    # The exposure rows the exposure plot reads.
    rows = [
        m
        for m in loaded.sections["ranking"]["metrics"]
        if m["metric"] in ("exposure", "exposure_ratio") and m["attribute"] == "sex"
    ]
    assert {(m["group"], m["metric"]) for m in rows} == {
        (g, m) for g in ("F", "M") for m in ("exposure", "exposure_ratio")
    }
    assert set(rows[0]) == {
        "attribute",
        "group",
        "metric",
        "k",
        "value",
        "ci_low",
        "ci_high",
        "n",
        "p_value",
    }
    assert all(m["k"] is None and m["ci_low"] <= m["value"] <= m["ci_high"] for m in rows)


def test_plot_exposure_reads_the_section(ranked) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    plot = getattr(ranked, "plot", None)
    if plot is None or not hasattr(plot, "exposure"):
        pytest.skip("result.plot.exposure() is not in this tree")
    ax = plot.exposure("sex")
    assert ax is not None


def test_summary_prints_the_main_ranking_tables(ranked) -> None:
    text = ranked.summary()
    assert "ranking: 1800 candidates in 60 job lists, ordered by score 'score'" in text
    assert "sex  top-k selection (each job's top k counted as selected)" in text
    assert "race  exposure, rank divergence, FA*IR" in text
    section = ranked.sections["ranking"]
    rate = next(
        m
        for m in section["metrics"]
        if (m["attribute"], m["group"], m["metric"], m["k"]) == ("sex", "F", "selection_rate", 5)
    )
    line = next(
        ln
        for ln in text.splitlines()
        if ln.startswith("F ") and f"{100 * rate['value']:.1f}%" in ln
    )
    assert line.split()[:3] == ["F", str(rate["n"]), "5"]
    # The same lines from the JSON.
    loaded = biasaudit.AuditResult.from_json(ranked.to_json())
    assert loaded.summary() == text


def test_report_renders_the_section(ranked) -> None:
    import datetime as dt

    from biasaudit.reports import to_html

    html = to_html(ranked, generated_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    assert '<h2 id="ranking-title">Ranking fairness</h2>' in html
    assert 'href="#ranking"' in html
    assert "How these measures are computed" in html
    # the exposure ratios are charted too, with their numbers in the text alternative
    assert 'id="chart-exposure-0-svg"' in html
    assert "Exposure ratio in the rankings: sex" in html
    records = ranked.sections["ranking"]["metrics"]
    exposure = [r for r in records if r["metric"] == "exposure_ratio"]
    female = next(r for r in exposure if r["group"] == "F")
    assert f"F {female['value']:.2f} [" in html
    start = html.index('id="ranking-table-0"')
    table = html[start : html.index("</table>", start)]
    # the caption repeats the heading above the table: hidden visually, kept for screen readers
    assert '<caption class="visually-hidden">Top-k selection: sex</caption>' in table
    assert '<h3 id="ranking-table-0-title">Top-k selection: sex</h3>' in html
    top = ranked.to_dict()["sections"]["ranking"]["tables"]["Top-k selection: sex"][0]
    value, interval = top["Top 5: selection rate [95% CI]"].split(" ", 1)
    assert f'>{value}<span class="sub">{interval}</span>' in table
    assert "discount 1/log2(i)" in html and "Z = sum 1/log2(i + 1)" in html
    # Rendered from the saved JSON too.
    loaded = biasaudit.AuditResult.from_json(ranked.to_json())
    again = to_html(loaded, generated_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    assert again == html


def test_group_names_are_escaped_in_the_report(two_jobs: pd.DataFrame) -> None:
    evil = two_jobs.assign(sex=two_jobs["sex"].map({"F": "<script>x</script>", "M": "M&M"}))
    result = biasaudit.audit(
        evil, attributes=["sex"], score="score", job="job", top_k=2, ranking={"k": 2}
    )
    html = result.to_html()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "M&amp;M" in html


def test_sections_survive_replace_and_other_sections(ranked) -> None:
    other = dataclasses.replace(ranked, sections={**ranked.sections, "counterfactual": {}})
    assert other.sections["ranking"] is ranked.sections["ranking"]


def test_duckdb_input_gives_the_in_memory_section(tmp_path) -> None:
    duckdb = pytest.importorskip("duckdb")
    df = pool(30, 20, seed=4)
    df["cid"] = np.arange(len(df))
    options = dict(
        attributes=["sex"], score="score", job="job", top_k=5, ranking={"k": (5,), "seed": 1}
    )
    expected = biasaudit.audit(df, **options).to_dict()["sections"]["ranking"]
    df.to_parquet(tmp_path / "pool.parquet", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        got = biasaudit.audit(str(tmp_path / "pool.parquet"), id="cid", **options)
    section = got.to_dict()["sections"]["ranking"]
    assert section["tables"] == expected["tables"]
    assert section["facts"] == expected["facts"]
    assert duckdb is not None


def test_a_group_absent_from_every_top_k_gets_a_katz_interval_not_zero_width() -> None:
    # 4 jobs of 10; group "C" (2 per job) always ranks last, so no top-3 holds one: the
    # bootstrap over jobs would say [0, 0]. The Katz interval against the comparison
    # group (0.5 added to each cell) is used instead, its upper limit capped at 1.
    rows = []
    for j in range(4):
        groups = ["A"] * 4 + ["B"] * 4 + ["C"] * 2
        rows += [{"job": j, "g": g, "rank": i + 1} for i, g in enumerate(groups)]
    df = pd.DataFrame(rows)
    result = rank_audit(df, attributes=["g"], job="job", rank="rank", k=3)
    row = result.table.query("metric == 'impact_ratio' and group == 'C'").iloc[0]
    assert row["value"] == 0.0
    # by hand: C 0 of 8, A 12 of 16 -> with 0.5 added: (0.5 / 9) / (12.5 / 17)
    from scipy import stats

    log_ratio = np.log((0.5 / 9) / (12.5 / 17))
    se = np.sqrt(1 / 0.5 - 1 / 9 + 1 / 12.5 - 1 / 17)
    high = min(np.exp(log_ratio + stats.norm.ppf(0.975) * se), 1.0)
    assert row["ci_low"] == 0.0
    assert row["ci_high"] == pytest.approx(high)
    assert 0 < row["ci_high"] <= 1
    assert any("Katz log intervals" in n and "C (k=3)" in n for n in result.notes)


def test_a_stated_comparison_group_is_used_for_ratios_tests_and_intervals() -> None:
    # Two jobs of 4: F holds ranks 1 and 4 in job a, 2 and 3 in job b; top 2: F 2 of 4,
    # M 2 of 4. Against M (stated), F's ratio is 1.0; exposure ratio by hand.
    df = pd.DataFrame(
        {
            "job": ["a"] * 4 + ["b"] * 4,
            "sex": ["F", "M", "M", "F", "M", "F", "F", "M"],
            "rank": [1, 2, 3, 4, 1, 2, 3, 4],
        }
    )
    result = rank_audit(
        df, attributes=["sex"], job="job", rank="rank", k=2, reference_group={"sex": "M"}
    )
    w = 1 / np.log2(1 + np.arange(1, 5))
    female = (w[0] + w[3] + w[1] + w[2]) / 4
    male = (w[1] + w[2] + w[0] + w[3]) / 4
    assert result.value("exposure_ratio", "F") == pytest.approx(female / male)
    assert result.value("impact_ratio", "M", k=2) == 1.0
    assert result.configuration["comparison_group"] == {"sex": "M"}
    cmh = result.table.query("metric == 'mh_odds_ratio'")
    assert cmh["group"].tolist() == ["F"]  # each group against M, not M against itself
    section = result.to_section()
    assert any("the stated comparison group (sex = M)" in n for n in section["notes"])


def test_a_fixed_comparison_lets_bootstrap_intervals_exceed_one() -> None:
    rng = np.random.default_rng(5)
    jobs, size = 60, 20
    df = pd.DataFrame(
        {
            "job": np.repeat(np.arange(jobs), size),
            "sex": rng.choice(["F", "M"], jobs * size),
            "score": rng.normal(size=jobs * size),
        }
    )
    fixed = rank_audit(df, attributes=["sex"], job="job", score="score", k=5,
                       reference_group={"sex": "M"})  # fmt: skip
    free = rank_audit(df, attributes=["sex"], job="job", score="score", k=5)
    f_fixed = fixed.table.query("metric == 'impact_ratio' and group == 'F'").iloc[0]
    f_free = free.table.query("metric == 'impact_ratio' and group == 'F'").iloc[0]
    assert f_fixed["ci_low"] < 1 < f_fixed["ci_high"]  # no bias: the interval straddles 1
    assert f_free["ci_high"] <= 1.0  # against the highest group it cannot exceed 1


def test_an_unknown_comparison_group_is_refused_with_the_known_groups() -> None:
    df = pd.DataFrame({"job": ["a"] * 4, "sex": ["F", "M", "M", "F"], "rank": [1, 2, 3, 4]})
    with pytest.raises(biasaudit.ValidationError) as caught:
        rank_audit(df, attributes=["sex"], job="job", rank="rank", k=2,
                   reference_group={"sex": "Male"})  # fmt: skip
    assert str(caught.value) == (
        "reference_group for 'sex' is 'Male', which is not one of its known groups "
        "['F', 'M']. Pass one of those (or leave it out to compare with the highest group)."
    )


def test_audit_passes_its_reference_group_to_the_ranking_section() -> None:
    df = pd.DataFrame(
        {
            "job": np.repeat(["a", "b", "c"], 10),
            "sex": ["F", "M"] * 15,
            "score": np.linspace(0, 1, 30),
        }
    )
    result = biasaudit.audit(df, attributes=["sex"], score="score", job="job", top_k=3,
                             ranking=True, reference_group={"sex": "F"})  # fmt: skip
    assert result.sections["ranking"]["configuration"]["comparison_group"] == {"sex": "F"}


def test_groups_under_the_minimum_share_are_never_the_comparison_group() -> None:
    # 20 jobs of 100: "tiny" (one candidate per job, 1% of the pool) is always ranked
    # first; without the 2% rule it would be the comparison group of every ratio.
    rng = np.random.default_rng(3)
    jobs = np.repeat(np.arange(20), 100)
    group = np.where(np.arange(2000) % 100 == 0, "tiny", rng.choice(["A", "B"], 2000))
    score = rng.random(2000) + (group == "tiny") * 2 + (group == "A") * 0.2
    frame = pd.DataFrame({"job": jobs, "g": group, "score": score})
    result = rank_audit(frame, attributes=["g"], job="job", score="score", k=10, n_bootstrap=50)
    assert math.isnan(result.value("exposure_ratio", "tiny"))
    assert math.isnan(result.value("impact_ratio", "tiny", k=10))
    assert result.value("exposure_ratio", "A") == pytest.approx(1.0)  # A, not tiny, is highest
    assert result.value("exposure_ratio", "B") < 1.0
    assert result.value("selection_rate", "tiny", k=10) == 1.0  # its rate is still shown
    assert result.facts["excluded_small"]["g"] == [{"group": "tiny", "n": 20, "share": 0.01}]
    assert any("tiny (n=20, 1.0%) fall under the minimum share" in n for n in result.notes)
    assert "tiny" not in set(result.table.query("metric == 'mh_odds_ratio'")["group"])
    everyone = rank_audit(frame, attributes=["g"], job="job", score="score", k=10, min_share=0)
    assert everyone.value("exposure_ratio", "tiny") == pytest.approx(1.0)
