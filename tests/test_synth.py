"""make_pool: columns, determinism, knobs, the exact truth, bad input and the synth CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from biasaudit import ValidationError
from biasaudit import _errors as E
from biasaudit.cli import main
from biasaudit.synth import (
    DEFAULT_SHARES,
    KNOBS,
    Bias,
    first_names,
    make_jobs,
    make_pool,
    surnames,
)

BLACK = "Black or African American"
HISPANIC = "Hispanic or Latino"
TWO = {"race": {"White": 0.5, BLACK: 0.5}}
COLUMNS = [
    "candidate_id",
    "first_name",
    "last_name",
    "sex",
    "race",
    "job_id",
    "job_title",
    "education",
    "college",
    "years_experience",
    "employment_gap_months",
    "location",
    "skills",
    "required_skills_matched",
    "qualified",
    "historical_hire",
    "score",
    "selected",
    "resume_text",
]


@pytest.fixture(scope="module")
def big_pool():
    """One large pool with every kind of knob acting at once."""
    return make_pool(
        300_000,
        jobs=4,
        bias=[
            f"race={BLACK}:0.7",
            f"proxy_location:race={HISPANIC}:0.85",
            "base_rate:sex=Female:0.9",
            "proxy_gap:sex=Female:0.9",
            f"label:race={BLACK}:0.8",
            "proxy_college:race=Asian:0.9",
        ],
        resume_text=False,
        seed=11,
    )


def test_columns_and_types():
    pool = make_pool(500, jobs=2, seed=1)
    data = pool.data
    assert list(data.columns) == COLUMNS
    assert data["candidate_id"].is_unique
    assert set(data["qualified"].unique()) <= {0, 1}
    assert set(data["selected"].unique()) <= {0, 1}
    assert set(data["job_id"].unique()) <= {"J001", "J002"}
    assert [j.id for j in pool.jobs] == ["J001", "J002"]
    assert (data["selected"] == (data["score"] >= pool.effects.threshold)).all()
    # historical hires are a subset of the qualified
    assert not ((data["historical_hire"] == 1) & (data["qualified"] == 0)).any()
    assert pool.attributes == ("sex", "race")


def test_same_seed_same_pool_and_different_seed_differs():
    a = make_pool(300, seed=5, bias=f"race={BLACK}:0.8")
    b = make_pool(300, seed=5, bias=f"race={BLACK}:0.8")
    c = make_pool(300, seed=6, bias=f"race={BLACK}:0.8")
    pd.testing.assert_frame_equal(a.data, b.data)
    assert not a.data["score"].equals(c.data["score"])


def test_optional_attributes_and_unknown_share():
    pool = make_pool(
        20_000,
        attributes=["sex", "race", "age_band", "disability"],
        unknown_share={"race": 0.1},
        resume_text=False,
        seed=2,
    )
    data = pool.data
    assert set(data["age_band"].unique()) == set(DEFAULT_SHARES["age_band"])
    assert set(data["disability"].unique()) == {"No", "Yes"}
    unknown = (data["race"] == "Unknown").mean()
    assert 0.09 < unknown < 0.11
    assert "Unknown" not in set(data["sex"].unique())
    result = pool.audit()
    race_table = next(t for t in result.tables if t["attribute"] == ["race"])
    assert race_table["unknown"] == int((data["race"] == "Unknown").sum())


def test_zero_share_groups_are_absent():
    pool = make_pool(200, attributes=["race"], shares=TWO, seed=0, resume_text=False)
    assert list(pool.data["race"].cat.categories) == ["White", BLACK]
    assert set(pool.effects.groups["group_label"]) == {"White", BLACK}


def test_direct_knob_true_ratio_is_exact():
    pool = make_pool(10, bias=f"race={BLACK}:0.7", seed=0)
    knob = pool.effects.knobs.iloc[0]
    assert knob["knob"] == "direct"
    assert knob["implied_impact_ratio"] == pytest.approx(0.7, abs=1e-9)
    assert pool.effects.impact_ratio("race", BLACK, "White") == pytest.approx(0.7, abs=1e-9)
    untouched = pool.effects.groups.query("attribute_label == 'race' and group_label == 'White'")
    assert untouched["selection_rate"].iloc[0] == pytest.approx(0.3, abs=1e-9)


def test_base_rate_knob_implies_qualification_and_selection_ratios():
    pool = make_pool(10, bias={"base_rate:sex=Female": 0.8}, seed=0, resume_text=False)
    row = pool.effects.knobs.iloc[0]
    assert row["parameter"] == "qualification_shift_sd"
    assert row["implied_qualified_ratio"] == pytest.approx(0.8)
    # a lower base rate also lowers selection, though not by the same ratio
    assert 0.5 < row["implied_impact_ratio"] < 0.8
    truth = pool.effects.groups.set_index(["attribute_label", "group_label"])
    ratio = (
        truth.loc[("sex", "Female"), "qualified_rate"]
        / truth.loc[("sex", "Male"), "qualified_rate"]
    )
    assert ratio == pytest.approx(0.8)


def test_favouring_knob_and_combined_knobs():
    pool = make_pool(10, bias=["race=Asian:1.2", f"race={BLACK}:0.7", "sex=Female:0.9"], seed=0)
    truth = pool.effects.groups.set_index(["attribute_label", "group_label"])
    # Asian is now the highest-rate group, so LL144 impact ratios are relative to it
    assert truth.loc[("race", "Asian"), "impact_ratio"] == pytest.approx(1.0)
    assert truth.loc[("race", "White"), "impact_ratio"] < 1
    # knobs are calibrated alone; in combination the exact truth is in effects.groups
    cell = truth.loc[("sex x race", f"Female / {BLACK}"), "selection_rate"]
    assert cell < truth.loc[("sex x race", f"Male / {BLACK}"), "selection_rate"]


def test_truth_matches_a_large_sample(big_pool):
    """The closed-form rates agree with the generated data within sampling error."""
    data = big_pool.data
    truth = big_pool.effects.groups
    for attribute in ("sex", "race"):
        table = truth[truth["attribute_label"] == attribute]
        for row in table.itertuples():
            members = data[data[attribute] == row.group_label]
            if len(members) < 5000:
                continue
            checks = {
                "selection_rate": members["selected"],
                "qualified_rate": members["qualified"],
                "historical_hire_rate": members["historical_hire"],
                "true_positive_rate": members.loc[members["qualified"] == 1, "selected"],
                "false_positive_rate": members.loc[members["qualified"] == 0, "selected"],
            }
            for name, values in checks.items():
                expected = getattr(row, name)
                se = np.sqrt(expected * (1 - expected) / len(values))
                assert abs(values.mean() - expected) < 4.5 * se + 1e-9, (attribute, row, name)


def test_proxy_knobs_shift_the_features(big_pool):
    data = big_pool.data
    knobs = big_pool.effects.knobs.set_index("knob")
    penalised = data["location"].isin(["Southfield", "Millbrook", "Eastgate Flats"])
    hispanic = data["race"] == HISPANIC
    expected = knobs.loc["proxy_location", "parameter_value"]
    assert penalised[hispanic].mean() == pytest.approx(expected, abs=0.01)
    assert penalised[~hispanic].mean() == pytest.approx(0.15, abs=0.01)
    gap = data["employment_gap_months"] > 0
    female = data["sex"] == "Female"
    assert gap[female].mean() > gap[~female].mean() + 0.05
    assert (data.loc[gap, "employment_gap_months"] >= 7).all()
    open_college = data["college"].str.contains("Community|Technical|Open", regex=True)
    asian = data["race"] == "Asian"
    assert open_college[asian].mean() > open_college[~asian].mean()


def test_label_knob_biases_only_the_historical_label(big_pool):
    truth = big_pool.effects.groups.set_index(["attribute_label", "group_label"])
    black, white = truth.loc[("race", BLACK)], truth.loc[("race", "White")]
    assert black["qualified_rate"] == pytest.approx(white["qualified_rate"], rel=1e-9)
    ratio = black["historical_hire_rate"] / white["historical_hire_rate"]
    assert ratio == pytest.approx(0.8, rel=1e-9)


def test_features_track_qualification(big_pool):
    data = big_pool.data
    qualified = data["qualified"] == 1
    assert (
        data.loc[qualified, "years_experience"].mean()
        > data.loc[~qualified, "years_experience"].mean()
    )
    assert (
        data.loc[qualified, "required_skills_matched"].mean()
        > data.loc[~qualified, "required_skills_matched"].mean()
    )
    assert data["required_skills_matched"].between(0, 4).all()


def test_names_follow_true_race_and_sex():
    pool = make_pool(3000, seed=4, resume_text=False)
    data = pool.data
    for race in ("White", BLACK, HISPANIC, "Asian"):
        for sex in ("Female", "Male"):
            rows = data[(data["race"] == race) & (data["sex"] == sex)]
            assert set(rows["first_name"]) <= set(first_names(race, sex))
        assert set(data.loc[data["race"] == race, "last_name"]) <= set(surnames(race))
    aian = data[data["race"] == "Native American or Alaska Native"]
    assert set(aian["last_name"]) <= set(surnames("Native American or Alaska Native"))
    nhpi = data[data["race"] == "Native Hawaiian or Pacific Islander"]
    assert set(nhpi["first_name"]) <= set(first_names("general"))


def test_resume_text_renders_the_columns():
    pool = make_pool(50, seed=9)
    for row in pool.data.head(10).itertuples():
        text = row.resume_text
        assert text.startswith(f"{row.first_name} {row.last_name}\n")
        assert f"Location: {row.location}\n" in text
        assert f"Applying for: {row.job_title} ({row.job_id})\n" in text
        assert f"Education: {row.education}, {row.college}\n" in text
        assert f"Experience: {row.years_experience} years" in text
        assert f"Skills: {row.skills}\n" in text
        assert ("career break" in text) == (row.employment_gap_months > 0)


def test_jobs_have_postings():
    jobs = make_jobs(10)
    assert len({j.id for j in jobs}) == 10
    for job in jobs:
        assert len(job.required_skills) == 4 and len(job.preferred_skills) == 3
        for skill in job.required_skills + job.preferred_skills:
            assert skill in job.description


def test_bias_parsing_forms_agree():
    text = make_pool(100, bias=f"direct:race={BLACK}:0.75", seed=1, resume_text=False)
    mapping = make_pool(100, bias={f"race={BLACK}": 0.75}, seed=1, resume_text=False)
    objects = make_pool(100, bias=[Bias("direct", "race", BLACK, 0.75)], seed=1, resume_text=False)
    pd.testing.assert_frame_equal(text.data, mapping.data)
    pd.testing.assert_frame_equal(text.data, objects.data)
    assert Bias.parse('race="Black or African American":0.7').group == BLACK


# -- bad input: exact messages ----------------------------------------------------------------


def test_unknown_knob_message():
    with pytest.raises(ValidationError) as info:
        make_pool(10, bias="bogus:race=White:0.7")
    assert str(info.value) == E.UNKNOWN_BIAS_KNOB.format(name="bogus", known=list(KNOBS))


def test_unreadable_knob_message():
    with pytest.raises(ValidationError) as info:
        make_pool(10, bias="race Black 0.7")
    assert str(info.value) == E.BAD_BIAS_SPEC.format(text="race Black 0.7")


def test_shares_must_sum_to_one():
    shares = {"race": {"White": 0.5, "Asian": 0.4}}
    with pytest.raises(ValidationError) as info:
        make_pool(10, shares=shares)
    assert str(info.value) == E.BAD_SHARES.format(
        attribute="race", shares=shares["race"], total=0.9
    )


def test_negative_share_and_unknown_group():
    with pytest.raises(ValidationError, match="non-negative and sum to 1"):
        make_pool(10, shares={"sex": {"Female": 1.5, "Male": -0.5}})
    with pytest.raises(ValidationError) as info:
        make_pool(10, shares={"sex": {"Woman": 1.0}})
    assert str(info.value) == E.UNKNOWN_SHARE_GROUP.format(
        attribute="sex", groups=["Woman"], known=["Female", "Male"]
    )


def test_bad_targets_and_values():
    with pytest.raises(ValidationError) as info:
        make_pool(10, bias="age_band=Under 40:0.8")
    assert "names attribute 'age_band'" in str(info.value)
    with pytest.raises(ValidationError, match="names group 'Whit'"):
        make_pool(10, bias="race=Whit:0.8")
    with pytest.raises(ValidationError, match=r"must be in \(0, 1\]"):
        make_pool(10, bias="label:race=White:1.5")
    with pytest.raises(ValidationError, match="cannot reach"):
        make_pool(10, bias="proxy_gap:race=White:0.1")
    with pytest.raises(ValidationError, match="given twice"):
        make_pool(10, bias=["race=White:0.8", "direct:race=White:0.9"])
    with pytest.raises(ValidationError, match="Unknown synthetic attribute 'religion'"):
        make_pool(10, attributes=["religion"])
    with pytest.raises(ValidationError, match="attributes must be one or more of"):
        make_pool(10, attributes=[])
    with pytest.raises(ValidationError, match="n must be an integer >= 1"):
        make_pool(0)
    with pytest.raises(ValidationError, match=r"selection_rate must be a number in \(0, 1\)"):
        make_pool(10, selection_rate=1.2)


# -- CLI ----------------------------------------------------------------------------------------


def test_cli_synth_writes_pool_and_effects(tmp_path, capsys):
    out, effects = tmp_path / "pool.parquet", tmp_path / "effects.json"
    code = main(
        [
            "synth", "--n", "2000", "--jobs", "2", "--bias", f"race={BLACK}:0.7",
            "--seed", "3", "--out", str(out), "--effects", str(effects),
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "implied impact ratio 0.700" in printed
    data = pd.read_parquet(out)
    expected = make_pool(2000, jobs=2, bias=f"race={BLACK}:0.7", seed=3).data
    assert data["score"].tolist() == expected["score"].tolist()
    assert "resume_text" in data.columns
    document = json.loads(effects.read_text())
    assert document["knobs"][0]["implied_impact_ratio"] == pytest.approx(0.7)
    code = main(["audit", str(out), "-a", "race", "--selected", "selected", "--quiet"])
    assert code == 0


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_cli_synth_other_formats(tmp_path, suffix):
    out = tmp_path / f"pool{suffix}"
    args = ["synth", "--n", "50", "--no-text", "--seed", "1", "--out", str(out), "-q"]
    assert main(args) == 0
    data = pd.read_csv(out) if suffix == ".csv" else pd.read_json(out, lines=True)
    assert len(data) == 50 and "resume_text" not in data.columns


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bias", "bogus:race=White:0.7"], "Unknown bias knob 'bogus'"),
        (["--share", "race=White:0.5", "--share", "race=Asian:0.4"], "sum to 1"),
        (["--bias", "race=Whit:0.7"], "names group 'Whit'"),
        (["--out", "pool.xlsx"], "--out must be a .parquet, .csv or .jsonl file"),
    ],
)
def test_cli_synth_bad_input_exits_2(tmp_path, capsys, args, message):
    base = ["synth", "--n", "20", "--out", str(tmp_path / "p.csv")]
    assert main(base + args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_synth_bad_share_syntax_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["synth", "--n", "20", "--share", "race", "--out", str(tmp_path / "p.csv")])
    assert info.value.code == 2
    assert "ATTRIBUTE=GROUP:SHARE" in capsys.readouterr().err


def test_knobs_on_optional_attributes():
    pool = make_pool(
        50_000,
        attributes=["age_band", "disability"],
        bias=["age_band=40 and over:0.75", "proxy_gap:disability=Yes:0.8"],
        resume_text=False,
        seed=8,
    )
    # each knob is calibrated alone; the other knob's candidates in both age bands shift the
    # combined truth a little, and effects.groups has that exact value
    truth = pool.effects.impact_ratio("age_band", "40 and over", "Under 40")
    assert truth == pytest.approx(0.75, abs=0.005)
    assert pool.effects.knobs.iloc[0]["implied_impact_ratio"] == pytest.approx(0.75)
    assert pool.effects.impact_ratio("disability", "Yes", "No") == pytest.approx(0.8, abs=0.01)
    result = pool.audit(reference_group={"age_band": "Under 40"})
    row = result.groups_frame().set_index("group_label").loc["40 and over"]
    low, high = row["impact_ratio_ci"]
    assert low < truth < high


def test_bad_unknown_share():
    with pytest.raises(ValidationError, match=r"unknown_share must be a number in \[0, 1\)"):
        make_pool(10, unknown_share=1.0)
    with pytest.raises(ValidationError, match="Unknown synthetic attribute 'age_band'"):
        make_pool(10, unknown_share={"age_band": 0.1})


def test_using_synth_keeps_biasaudit_audit_a_function():
    """make_pool and pool.audit() must not leave biasaudit.audit pointing at the submodule."""
    import subprocess
    import sys

    code = (
        "import biasaudit\n"
        "from biasaudit.synth import make_pool\n"
        "pool = make_pool(300, seed=1, resume_text=False)\n"
        "pool.audit()\n"
        "assert callable(biasaudit.audit), type(biasaudit.audit)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_more_jobs_than_occupations_repeat_titles_not_ids():
    """Job 9 onwards reuses an occupation's title; ids stay distinct, titles stay correct."""
    pool = make_pool(3000, jobs=12, seed=1, resume_text=False)
    data = pool.data
    assert data["job_id"].nunique() == 12
    titles = {job.id: job.title for job in pool.jobs}
    assert (data["job_title"].astype(str) == data["job_id"].astype(str).map(titles)).all()
    assert list(data["job_title"].cat.categories) == list(dict.fromkeys(titles.values()))
