"""Name-swap variants: names, signals, pairing, determinism and every input error verbatim."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from biasaudit import BiasAuditWarning, ValidationError
from biasaudit.counterfactual import _messages as M
from biasaudit.counterfactual import (
    affinity_text,
    make_variants,
    swap_gendered_words,
    swap_pronouns,
)
from biasaudit.synth import first_names, make_pool, surnames

BLACK = "Black or African American"
RACES = ["White", BLACK, "Hispanic or Latino", "Asian"]


@pytest.fixture
def resumes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rid": ["r1", "r2", "r3"],
            "name": ["Rhett Obrien", "Mary Ann Leeds", "Ann Lee"],
            "race": ["White", "White", "Asian"],
            "years": [3, 9, 5],
            "cv": [
                "RHETT OBRIEN\nRhett Obrien led the team. Contact rhett.obrien@mail.com. "
                "Obrien's work; Mr. Obrien was chairman.",
                "Mary Ann Leeds, Leeds office. Annual report by Mary.",
                "Ann Lee. Annual Leeds trip; Lee-Jones award; ann.lee@x.org",
            ],
        }
    )


# -- signals -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "sex", "expected", "count"),
    [
        ("He said his plan was his.", "Female", "She said her plan was hers.", 3),
        ("HE and Himself; his, then him.", "Female", "SHE and Herself; hers, then her.", 4),
        ("She thanked her team and her.", "Male", "He thanked his team and him.", 3),
        (
            "I met her at the office with her manager.",
            "Male",
            "I met him at the office with his manager.",
            2,
        ),
        (
            "Her own firm; gave her a raise; hers.",
            "Male",
            "His own firm; gave him a raise; his.",
            3,
        ),
        ("She's herself.", "Male", "He's himself.", 2),
        # whole words only: the, there, Shelby, hero, Hershey, other, ushers are untouched
        ("The hero Shelby ate Hershey bars there with other ushers.", "Female", None, 0),
        ("She led her team.", "Female", "She led her team.", 0),
        ("he-man", "Female", "he-man", 0),
    ],
)
def test_swap_pronouns(text: str, sex: str, expected: str | None, count: int) -> None:
    out, n = swap_pronouns(text, sex)
    assert out == (text if expected is None else expected)
    assert n == count


@pytest.mark.parametrize(
    ("text", "sex", "expected", "count"),
    [
        (
            "Chairman of Sigma Fraternity; CHAIRMEN",
            "Female",
            "Chairwoman of Sigma Sorority; CHAIRWOMEN",
            3,
        ),
        (
            "women's soccer; Mrs. and Ms. Diaz; maternity leave",
            "Male",
            "men's soccer; Mr. and Mr. Diaz; paternity leave",
            4,
        ),
        ("men's team, women's team", "Female", "women's team, women's team", 1),
        ("Chairmanship and Mister and fathered", "Female", None, 0),
        ("waitress, actress", "Female", None, 0),
    ],
)
def test_swap_gendered_words(text: str, sex: str, expected: str | None, count: int) -> None:
    out, n = swap_gendered_words(text, sex)
    assert out == (text if expected is None else expected)
    assert n == count


def test_swap_rejects_unknown_sex() -> None:
    with pytest.raises(ValueError, match=r"^sex must be 'Female' or 'Male'; got"):
        swap_pronouns("he", "Nonbinary")


def test_affinity_lines_default_neutral_and_custom() -> None:
    assert affinity_text("CV", {"race": BLACK, "sex": "Female"}) == (
        "CV\nAffiliations: Member, National Association of Black Professionals; "
        "Member, Women in Leadership Network\n"
    )
    # groups without a line get a neutral one: same number of affiliations
    assert affinity_text("CV\n", {"race": "White", "sex": "Male"}) == (
        "CV\nAffiliations: Member, Regional Professionals Association; "
        "Member, Metropolitan Business Network\n"
    )
    custom = {"race": {"White": "Member, Rotary Club"}}
    assert (
        affinity_text("CV", {"race": "White"}, custom) == "CV\nAffiliations: Member, Rotary Club\n"
    )


# -- variants ----------------------------------------------------------------------------
def test_one_variant_per_group_with_names_from_the_lists(resumes: pd.DataFrame) -> None:
    v = make_variants(resumes, text_column="cv", name_column="name", id="rid", seed=3)
    data = v.data
    assert len(data) == 3 * 8 and v.groups == tuple(
        (r, s) for r in RACES for s in ("Female", "Male")
    )
    assert data.groupby("cf_source_id").size().to_dict() == {"r1": 8, "r2": 8, "r3": 8}
    for _, row in data.iterrows():
        assert row["cf_first_name"] in first_names(row["race"], row["sex"])
        assert row["cf_last_name"] in surnames(row["race"])
        assert row["cf_name_list"] == f"{row['race']} / {row['sex']}"
        assert row["cf_group"] == f"{row['race']} / {row['sex']}"
    # the source column named like a signalled attribute is kept apart, hidden from matchers
    assert data["original_race"].tolist() == ["White"] * 16 + ["Asian"] * 8
    assert "original_race" not in v.matcher_columns and "race" not in v.matcher_columns
    assert set(v.matcher_columns) == {"rid", "name", "years", "cv"}
    assert data["cf_variant_id"].is_unique
    assert v.units["cf_source_id"].tolist() == ["r1", "r2", "r3"]


def test_every_occurrence_replaced_and_nothing_else(resumes: pd.DataFrame) -> None:
    v = make_variants(resumes, text_column="cv", name_column="name", id="rid", seed=5)
    first = v.data[v.data["cf_source_id"] == "r1"].iloc[0]
    f, s = first["cf_first_name"], first["cf_last_name"]
    assert first["cv"] == (
        f"{f.upper()} {s.upper()}\n{f} {s} led the team. Contact "
        f"{f.lower()}.{s.lower()}@mail.com. {s}'s work; Mr. {s} was chairman."
    )
    assert first["name"] == f"{f} {s}"
    assert first["cf_name_replacements"] == 4  # e-mail parts are not counted
    # middle names stay; 'Leeds' as a word is the surname, but 'Annual' is not 'Ann'
    second = v.data[v.data["cf_source_id"] == "r2"].iloc[0]
    f2, s2 = second["cf_first_name"], second["cf_last_name"]
    assert second["cv"] == f"{f2} Ann {s2}, {s2} office. Annual report by {f2}."
    assert second["name"] == f"{f2} Ann {s2}"
    third = v.data[v.data["cf_source_id"] == "r3"].iloc[0]
    f3, s3 = third["cf_first_name"], third["cf_last_name"]
    assert third["cv"] == (
        f"{f3} {s3}. Annual Leeds trip; {s3}-Jones award; {f3.lower()}.{s3.lower()}@x.org"
    )


def test_variants_of_a_resume_differ_only_in_the_name(resumes: pd.DataFrame) -> None:
    v = make_variants(resumes, text_column="cv", name_column="name", id="rid", seed=9)
    for _, part in v.data.groupby("cf_source_id"):
        masked = set()
        for _, row in part.iterrows():
            text = row["cv"]
            for name in (row["cf_first_name"], row["cf_last_name"]):
                text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "<N>", text, flags=re.I)
            masked.add(text)
        assert len(masked) == 1


def test_seeded_and_deterministic(resumes: pd.DataFrame) -> None:
    a = make_variants(resumes, text_column="cv", name_column="name", seed=11).data
    b = make_variants(resumes, text_column="cv", name_column="name", seed=11).data
    c = make_variants(resumes, text_column="cv", name_column="name", seed=12).data
    pd.testing.assert_frame_equal(a, b)
    assert a["cf_first_name"].tolist() != c["cf_first_name"].tolist()
    assert resumes["name"].tolist() == ["Rhett Obrien", "Mary Ann Leeds", "Ann Lee"]  # untouched


def test_first_and_last_name_columns_of_a_synthetic_pool() -> None:
    pool = make_pool(20, seed=1, jobs=1)
    v = make_variants(
        pool.data,
        first_name_column="first_name",
        last_name_column="last_name",
        id="candidate_id",
        job="job_id",
        seed=0,
    )
    row = v.data.iloc[3]
    assert row["resume_text"].startswith(f"{row['cf_first_name']} {row['cf_last_name']}\n")
    assert row["first_name"] == row["cf_first_name"] and row["last_name"] == row["cf_last_name"]
    assert {"original_race", "original_sex"} <= set(v.data.columns)
    assert v.units["job_id"].tolist() == pool.data["job_id"].astype(str).tolist()


def test_sex_only_uses_race_neutral_first_names_and_keeps_surnames(resumes) -> None:
    v = make_variants(resumes, text_column="cv", name_column="name", groups="gender", seed=0)
    assert v.attributes == ("gender",) and v.groups == (("Female",), ("Male",))
    for _, row in v.data.iterrows():
        assert row["cf_first_name"] in first_names("general", row["gender"])
        assert row["cf_name_list"] == f"general / {row['gender']}"
    assert v.data["cf_last_name"].tolist() == ["Obrien"] * 2 + ["Leeds"] * 2 + ["Lee"] * 2
    held = make_variants(
        resumes, text_column="cv", name_column="name", groups="sex", hold={"race": BLACK}
    )
    per_resume = held.data.groupby("cf_source_id")["cf_last_name"].nunique()
    assert per_resume.tolist() == [1, 1, 1]  # one Black surname per resume, in both variants
    assert set(held.data["cf_last_name"]) <= set(surnames(BLACK))
    assert held.configuration["unsignalled"] == {"race": BLACK}


def test_race_only_draws_one_sex_per_resume(resumes: pd.DataFrame) -> None:
    v = make_variants(resumes, text_column="cv", name_column="name", groups="race", seed=4)
    lists = v.data.groupby("cf_source_id")["cf_name_list"].apply(
        lambda s: {x.split(" / ")[1] for x in s}
    )
    assert all(len(x) == 1 for x in lists)
    held = make_variants(
        resumes, text_column="cv", name_column="name", groups="race", hold={"sex": "Female"}
    )
    assert {x.split(" / ")[1] for x in held.data["cf_name_list"]} == {"Female"}


def test_pronouns_gendered_words_and_affinity_together() -> None:
    frame = pd.DataFrame(
        {"name": ["Greg Baker"], "cv": ["Greg Baker. He was chairman of his fraternity."]}
    )
    v = make_variants(
        frame,
        text_column="cv",
        name_column="name",
        groups=["race", "sex"],
        include={"race": ["White", BLACK]},
        signals=["name", "pronouns", "gendered_words", "affinity"],
        seed=2,
    )
    black_female = v.data[(v.data["race"] == BLACK) & (v.data["sex"] == "Female")].iloc[0]
    name = f"{black_female['cf_first_name']} {black_female['cf_last_name']}"
    assert black_female["cv"] == (
        f"{name}. She was chairwoman of her sorority.\nAffiliations: Member, National "
        "Association of Black Professionals; Member, Women in Leadership Network\n"
    )
    assert black_female["cf_signals"] == "name+pronouns+gendered_words+affinity"
    white_male = v.data[(v.data["race"] == "White") & (v.data["sex"] == "Male")].iloc[0]
    assert white_male["cf_signals"] == "name+affinity"  # already male: nothing to swap
    assert v.counts["units_with_pronouns"] == 1 and v.counts["units_with_gendered_words"] == 1


def test_bertrand_mullainathan_names() -> None:
    frame = pd.DataFrame({"name": ["Jo Doe"], "cv": ["Jo Doe"]})
    v = make_variants(
        frame, text_column="cv", name_column="name", source="bertrand_mullainathan_2004"
    )
    assert [g[0] for g in v.groups] == ["White", "White", BLACK, BLACK]
    for _, row in v.data.iterrows():
        assert row["cf_first_name"] in first_names(
            row["race"], row["sex"], source="bertrand_mullainathan_2004"
        )


def test_replicates_draw_fresh_names() -> None:
    frame = pd.DataFrame({"name": ["Jo Doe"], "cv": ["Jo Doe"]})
    v = make_variants(
        frame, text_column="cv", name_column="name", groups="sex", replicates=5, seed=0
    )
    assert len(v.data) == 10 and v.data["cf_replicate"].tolist() == [0, 1, 2, 3, 4] * 2
    assert v.data["cf_first_name"].nunique() > 2


# -- bad input, exact messages ----------------------------------------------------------------
def test_name_missing_from_text_is_an_error_listing_ids(resumes: pd.DataFrame) -> None:
    bad = resumes.assign(cv=["Someone else", resumes["cv"][1], "nobody"])
    with pytest.raises(ValidationError) as err:
        make_variants(bad, text_column="cv", name_column="name", id="rid")
    assert str(err.value) == M.NAME_NOT_IN_TEXT.format(
        count=2, total=3, what="column 'name'", column="cv", ids=["r1", "r3"]
    )
    assert str(err.value).startswith("2 of 3 resume(s) do not contain their name (column 'name')")


def test_name_missing_can_be_dropped_and_counted(resumes: pd.DataFrame) -> None:
    bad = resumes.assign(cv=["Someone else", resumes["cv"][1], resumes["cv"][2]])
    with pytest.warns(BiasAuditWarning, match=r"1 of 3 resume\(s\) left out"):
        v = make_variants(bad, text_column="cv", name_column="name", id="rid", on_missing="drop")
    assert v.counts["dropped_without_name"] == 1 and v.counts["dropped_ids"] == ["r1"]
    assert v.counts["kept"] == 2 and set(v.data["cf_source_id"]) == {"r2", "r3"}


def test_first_last_columns_message_and_missing_values(resumes: pd.DataFrame) -> None:
    frame = pd.DataFrame({"f": ["Ann", None], "l": ["Lee", "Kim"], "cv": ["Lee Ann", "Kim"]})
    with pytest.raises(ValidationError) as err:
        make_variants(frame, text_column="cv", first_name_column="f", last_name_column="l")
    assert str(err.value) == M.MISSING_NAME_VALUE.format(
        count=1, what="columns 'f' + ' ' + 'l'", ids=[1]
    )
    frame.loc[1, "f"] = "Bo"
    with pytest.raises(ValidationError) as err:
        make_variants(frame, text_column="cv", first_name_column="f", last_name_column="l")
    assert str(err.value) == M.NAME_NOT_IN_TEXT.format(
        count=2, total=2, what="columns 'f' + ' ' + 'l'", column="cv", ids=[0, 1]
    )


def test_all_dropped_is_an_error(resumes: pd.DataFrame) -> None:
    bad = resumes.assign(cv="none of them")
    with pytest.raises(ValidationError) as err:
        make_variants(bad, text_column="cv", name_column="name", on_missing="drop")
    assert str(err.value) == M.NO_RESUME_LEFT.format(count=3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"include": {"race": ["White", "Native Hawaiian or Pacific Islander"]}},
            M.NO_NAMES_FOR_GROUP.format(
                attribute="race",
                group="Native Hawaiian or Pacific Islander",
                source="census2020",
                available=RACES,
            ),
        ),
        (
            {"include": {"race": ["Asian"]}},
            M.SINGLE_GROUP_ATTRIBUTE.format(attribute="race", groups=["Asian"], example="Asian"),
        ),
        (
            {"signals": ["name", "accent"]},
            M.UNKNOWN_SIGNAL.format(
                value="accent", known=["name", "pronouns", "gendered_words", "affinity"]
            ),
        ),
        (
            {"groups": "race", "signals": ["pronouns"]},
            M.SIGNAL_NEEDS_ATTRIBUTE.format(
                signal="pronouns", attribute="sex", attributes=["race"]
            ),
        ),
        (
            {"groups": "age_band"},
            M.UNKNOWN_GROUP_ATTRIBUTE.format(
                value="age_band",
                aliases=["race", "race_ethnicity", "ethnicity", "race/ethnicity", "sex", "gender"],
            ),
        ),
        (
            {"groups": "race", "hold": {"sex": "Other"}},
            M.BAD_HOLD.format(
                value={"sex": "Other"},
                attributes=["race"],
                races=RACES,
                sexes=["Female", "Male"],
            ),
        ),
        (
            {"include": {"sex": ["Female"]}, "groups": "race"},
            M.BAD_INCLUDE.format(attribute="sex", attributes=["race"]),
        ),
        (
            {"source": "census1990"},
            M.BAD_OPTION.format(
                name="source",
                expected="'census2020' or 'bertrand_mullainathan_2004'",
                value="census1990",
                fix="Pick a bundled name list (see datasets/README.md).",
            ),
        ),
        (
            {"replicates": 0},
            M.BAD_OPTION.format(
                name="replicates",
                expected="an integer >= 1",
                value=0,
                fix="Pass replicates=1 (one variant per group).",
            ),
        ),
    ],
)
def test_design_errors(resumes: pd.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        make_variants(resumes, text_column="cv", name_column="name", **kwargs)
    assert str(err.value) == message


def test_column_errors(resumes: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as err:
        make_variants(resumes, text_column="cv")
    assert str(err.value) == M.NO_NAME_COLUMN.format(present=list(resumes.columns))
    with pytest.raises(ValidationError) as err:
        make_variants(resumes, text_column="cv", name_column="name", first_name_column="name")
    assert str(err.value) == M.CONFLICTING_NAME_COLUMNS.format(name="name", first="name")
    with pytest.raises(ValidationError, match=r"Column 'resume' is not in the pool"):
        make_variants(resumes, name_column="name", text_column="resume")
    with pytest.raises(ValidationError) as err:
        make_variants(resumes.assign(rid="same"), text_column="cv", name_column="name", id="rid")
    assert str(err.value) == M.DUPLICATE_IDS.format(column="rid", count=1, values=["same"])
    with pytest.raises(ValidationError) as err:
        make_variants(resumes.assign(cf_group=1), text_column="cv", name_column="name")
    assert str(err.value) == M.COLUMN_CLASH.format(columns=["cf_group"])
    with pytest.raises(ValidationError) as err:
        make_variants(resumes, text_column="cv", last_name_column="name")
    assert str(err.value) == M.LAST_WITHOUT_FIRST.format(last="name")


def test_text_without_names_for_pronoun_only_swaps() -> None:
    frame = pd.DataFrame({"cv": ["She leads her lab.", "No pronouns here."]})
    v = make_variants(frame, text_column="cv", groups="sex", signals="pronouns")
    assert v.data["cv"].tolist() == [
        "She leads her lab.",
        "He leads his lab.",
        "No pronouns here.",
        "No pronouns here.",
    ]
    assert v.counts["units_with_pronouns"] == 1
    assert np.array_equal(v.data["cf_pronouns"].to_numpy(), [0, 2, 0, 0])
