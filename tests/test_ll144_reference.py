"""The NYC Local Law 144 worked example (6 RCNY § 5-301(b)), row by row.

The rule prints a sex table, a race/ethnicity table and an intersectional
table (see docs/methods.md). Its race table and its intersectional
table do not add up to the same totals (Hispanic or Latino: 408 applicants in
one, 205 + 190 = 395 in the other), so the race table is built from its own
applicants and every assertion is about a row, never a cross-table sum. The
sex table is the margin of the intersectional table (1390 and 1181), so both
come from one frame.

Rounding: the rule prints rates as whole percents ("48%") in the sex and race
tables and to one decimal ("43.9%") in the intersectional table, and impact
ratios to two ("0.97") or three ("0.979") decimals. Each value is compared at
the precision it is printed with: it must round to the printed figure, i.e.
lie within half a unit of its last printed digit (see ``printed``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import biasaudit

HISPANIC = "Hispanic or Latino"
WHITE = "White"
BLACK = "Black or African American"
NHPI = "Native Hawaiian or Pacific Islander"
ASIAN = "Asian"
AIAN = "Native American or Alaska Native"
TWO = "Two or More Races"

# (group, applicants, selected, printed rate, printed impact ratio)
SEX_TABLE = [
    ("Male", 1390, 667, "48%", "1.00"),
    ("Female", 1181, 555, "47%", "0.979"),
]
RACE_TABLE = [
    (HISPANIC, 408, 204, "50%", "0.97"),
    (WHITE, 797, 412, "52%", "1.00"),
    (BLACK, 390, 170, "44%", "0.84"),
    (NHPI, 119, 52, "44%", "0.85"),
    (ASIAN, 616, 302, "49%", "0.95"),
    (AIAN, 41, 18, "44%", "0.85"),
    (TWO, 213, 96, "45%", "0.87"),
]
# (race, sex, applicants, selected, printed rate, printed impact ratio)
INTERSECTIONAL_TABLE = [
    (HISPANIC, "Male", 205, 90, "43.9%", "0.841"),
    (HISPANIC, "Female", 190, 82, "43.2%", "0.827"),
    (WHITE, "Male", 412, 215, "52.2%", "1.000"),
    (BLACK, "Male", 226, 95, "42.0%", "0.806"),
    (NHPI, "Male", 87, 37, "42.5%", "0.815"),
    (ASIAN, "Male", 321, 167, "52.0%", "0.997"),
    (AIAN, "Male", 24, 11, "45.8%", "0.878"),
    (TWO, "Male", 115, 52, "45.2%", "0.866"),
    (WHITE, "Female", 385, 197, "51.2%", "0.981"),
    (BLACK, "Female", 164, 75, "45.7%", "0.876"),
    (NHPI, "Female", 32, 15, "46.9%", "0.898"),
    (ASIAN, "Female", 295, 135, "45.8%", "0.877"),
    (AIAN, "Female", 17, 7, "41.2%", "0.789"),
    (TWO, "Female", 98, 44, "44.9%", "0.860"),
]
# Cells under 2% of the 2571 known applicants of the intersectional table.
SMALL_CELLS = {("Female", AIAN), ("Female", NHPI), ("Male", AIAN)}
UNKNOWN = 250
UNKNOWN_SELECTED = 120


def printed(text: str) -> tuple[float, float]:
    """The printed figure as a fraction and half a unit of its last digit."""
    percent = text.endswith("%")
    digits = text.rstrip("%")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    scale = 100 if percent else 1
    return float(digits) / scale, 0.5 * 10.0**-decimals / scale


def assert_printed(value: float, text: str) -> None:
    figure, half_unit = printed(text)
    assert abs(value - figure) <= half_unit + 1e-12, f"{value!r} does not print as {text}"


def applicants(n: int, selected: int, **columns) -> list[dict]:
    return [{**columns, "selected": int(i < selected)} for i in range(n)]


def shuffled(rows: list[dict], seed: int) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


@pytest.fixture(scope="module")
def intersectional_df() -> pd.DataFrame:
    """One row per applicant of the intersectional table, plus 250 unknowns.

    All 250 have unknown sex (so the sex margins stay 1390 and 1181); 150 of
    them also have unknown race, 100 a known race. Missing values come in the
    spellings a real export has: None, NaN and the word "Unknown".
    """
    rows = []
    for race, sex, n, selected, _, _ in INTERSECTIONAL_TABLE:
        rows += applicants(n, selected, sex=sex, race=race)
    sexes = [None, np.nan, "Unknown"]
    races = [None, np.nan, "Unknown"] * 50 + [WHITE, BLACK, ASIAN, HISPANIC] * 25
    for i in range(UNKNOWN):
        rows.append({"sex": sexes[i % 3], "race": races[i], "selected": int(i < UNKNOWN_SELECTED)})
    return shuffled(rows, seed=144)


@pytest.fixture(scope="module")
def race_df() -> pd.DataFrame:
    """The race table's own 2584 applicants, plus 250 with unknown race."""
    rows = []
    for race, n, selected, _, _ in RACE_TABLE:
        rows += applicants(n, selected, race=race)
    rows += applicants(UNKNOWN, UNKNOWN_SELECTED, race=None)
    return shuffled(rows, seed=5301)


@pytest.fixture(scope="module")
def result(intersectional_df):
    return biasaudit.audit(intersectional_df, attributes=["sex", "race"], selected="selected")


@pytest.fixture(scope="module")
def race_result(race_df):
    return biasaudit.audit(race_df, attributes=["race"], selected="selected")


def table(result, label: str) -> pd.DataFrame:
    frame = result.groups_frame()
    return frame[frame["attribute_label"] == label].set_index("group_label")


def info(result, attributes: list[str]) -> dict:
    return next(t for t in result.tables if t["attribute"] == attributes)


# -- sex table ---------------------------------------------------------------


@pytest.mark.parametrize(("sex", "n", "selected", "rate", "ratio"), SEX_TABLE)
def test_sex_table_row(result, sex, n, selected, rate, ratio):
    row = table(result, "sex").loc[sex]
    assert (row["n"], row["selected"]) == (n, selected)
    assert row["selection_rate"] == pytest.approx(selected / n, rel=1e-12)
    assert_printed(row["selection_rate"], rate)
    assert_printed(row["impact_ratio"], ratio)


def test_sex_table_comparison_and_unknowns(result):
    sex = table(result, "sex")
    assert list(sex.index) == ["Female", "Male"]  # Unknown is not a group row
    assert sex["comparison_group"].tolist() == [["Male"], ["Male"]]
    assert sex["impact_ratio"].tolist() == pytest.approx([(555 / 1181) / (667 / 1390), 1.0])
    assert not sex["excluded_small"].any()
    sex_info = info(result, ["sex"])
    assert sex_info["unknown"] == UNKNOWN
    assert sex_info["unknown_selected"] == UNKNOWN_SELECTED
    assert sex_info["n_known"] == 1390 + 1181
    assert sex["share"].tolist() == pytest.approx([1181 / 2571, 1390 / 2571])
    summary = next(s for s in result.summaries() if s["attribute"] == ["sex"])
    assert_printed(summary["demographic_parity_ratio"], "0.979")


# -- race / ethnicity table ---------------------------------------------------


@pytest.mark.parametrize(("race", "n", "selected", "rate", "ratio"), RACE_TABLE)
def test_race_table_row(race_result, race, n, selected, rate, ratio):
    row = table(race_result, "race").loc[race]
    assert (row["n"], row["selected"]) == (n, selected)
    assert_printed(row["selection_rate"], rate)
    if race == AIAN:
        # Under 2%: n and rate still shown, left out of the impact ratio.
        assert bool(row["excluded_small"])
        assert np.isnan(row["impact_ratio"])
    else:
        assert not row["excluded_small"]
        assert_printed(row["impact_ratio"], ratio)


def test_race_table_ratios_with_every_category(race_df):
    # The rule's table still prints 0.85 for Native American or Alaska Native:
    # with no minimum share every printed ratio is reproduced.
    result = biasaudit.audit(race_df, attributes=["race"], selected="selected", min_share=0)
    race = table(result, "race")
    assert not race["excluded_small"].any()
    for group, _, _, rate, ratio in RACE_TABLE:
        assert_printed(race.loc[group, "selection_rate"], rate)
        assert_printed(race.loc[group, "impact_ratio"], ratio)


def test_race_table_under_two_percent_flag(race_result):
    race = table(race_result, "race")
    row = race.loc[AIAN]
    # 41 of the 2584 known applicants (1.6%); the 250 unknowns are not in the base.
    assert row["share"] == pytest.approx(41 / 2584, rel=1e-12)
    assert f"{row['share']:.1%}" == "1.6%"
    assert row["selection_rate"] == pytest.approx(18 / 41, rel=1e-12)
    assert row["verdict"].startswith("excluded: under the minimum share")
    assert "1.6%" in row["verdict"]
    for column in ("impact_ratio", "z", "p_value", "fisher_p", "shortfall"):
        assert np.isnan(row[column]), column
    assert row["four_fifths_violation"] is None
    assert np.isnan(row["impact_ratio_ci"]).all()
    # Its Wilson interval (a rate, not a ratio) is still reported.
    low, high = row["selection_rate_ci"]
    assert low < 18 / 41 < high
    assert race["excluded_small"].sum() == 1
    race_info = info(race_result, ["race"])
    assert race_info["excluded_small"] == [
        {"group": [AIAN], "n": 41, "share": pytest.approx(41 / 2584)}
    ]
    assert race_info["n_known"] == 2584
    assert race_info["unknown"] == UNKNOWN
    assert race_info["unknown_selected"] == UNKNOWN_SELECTED


def test_race_table_impact_ratio_is_against_highest_rate(race_result):
    race = table(race_result, "race")
    eligible = race[~race["excluded_small"]]
    best = eligible["selection_rate"].idxmax()
    assert best == WHITE
    assert race_result.tables[0]["comparison_groups"]["selection_rate"] == [WHITE]
    assert all(c == [WHITE] for c in race["comparison_group"])
    assert race.loc[WHITE, "verdict"] == "comparison group"
    white_rate = 412 / 797
    for group, n, selected, _, _ in RACE_TABLE:
        if group != AIAN:
            assert race.loc[group, "impact_ratio"] == pytest.approx(
                (selected / n) / white_rate, rel=1e-12
            )
    # Every impact ratio is at most 1 against the highest-rate group.
    assert (eligible["impact_ratio"] <= 1.0).all()


def test_reference_group_white_matches_highest_here(race_df, race_result):
    # White has the highest rate in the rule's table, so naming it as the
    # reference changes nothing.
    named = biasaudit.audit(
        race_df, attributes=["race"], selected="selected", reference_group={"race": WHITE}
    )
    pd.testing.assert_series_equal(
        table(named, "race")["impact_ratio"], table(race_result, "race")["impact_ratio"]
    )
    assert named.provenance["configuration"]["reference_group"] == {"race": WHITE}
    assert race_result.provenance["configuration"]["reference_group"] is None


def test_reference_group_changes_the_comparison(race_df):
    named = biasaudit.audit(
        race_df, attributes=["race"], selected="selected", reference_group={"race": ASIAN}
    )
    race = table(named, "race")
    asian_rate = 302 / 616
    assert all(c == [ASIAN] for c in race["comparison_group"])
    assert race.loc[ASIAN, "impact_ratio"] == 1.0
    assert race.loc[ASIAN, "verdict"] == "comparison group"
    # White's rate (51.7%) is above Asian (49.0%): a ratio above 1.
    assert race.loc[WHITE, "impact_ratio"] == pytest.approx((412 / 797) / asian_rate, rel=1e-12)
    assert_printed(race.loc[WHITE, "impact_ratio"], "1.054")
    assert race.loc[BLACK, "impact_ratio"] == pytest.approx((170 / 390) / asian_rate, rel=1e-12)
    assert np.isnan(race.loc[ASIAN, "z"])
    assert np.isfinite(race.loc[WHITE, "z"]) and race.loc[WHITE, "z"] > 0


# -- intersectional table -----------------------------------------------------


@pytest.fixture(scope="module")
def result_all(intersectional_df):
    """The same audit with no minimum share: no cell is left out."""
    return biasaudit.audit(
        intersectional_df, attributes=["sex", "race"], selected="selected", min_share=0
    )


@pytest.mark.parametrize(("race", "sex", "n", "selected", "rate", "ratio"), INTERSECTIONAL_TABLE)
def test_intersectional_table_row(result, result_all, race, sex, n, selected, rate, ratio):
    row = table(result, "sex x race").loc[f"{sex} / {race}"]
    assert (row["n"], row["selected"]) == (n, selected)
    assert row["share"] == pytest.approx(n / 2571, rel=1e-12)
    assert_printed(row["selection_rate"], rate)
    assert bool(row["excluded_small"]) == ((sex, race) in SMALL_CELLS)
    if (sex, race) in SMALL_CELLS:
        assert np.isnan(row["impact_ratio"])
        assert row["verdict"].startswith("excluded: under the minimum share")
    else:
        assert_printed(row["impact_ratio"], ratio)
    # With no minimum share every cell gets the printed impact ratio.
    assert_printed(table(result_all, "sex x race").loc[f"{sex} / {race}", "impact_ratio"], ratio)


def test_intersectional_comparison_is_highest_cell(result):
    cells = table(result, "sex x race")
    assert len(cells) == 14  # 2 sexes x 7 races, unknown cells are not rows
    # White Male (52.2%) edges out Asian Male (52.0%).
    assert all(c == ["Male", WHITE] for c in cells["comparison_group"])
    assert cells.loc[f"Male / {ASIAN}", "impact_ratio"] == pytest.approx(
        (167 / 321) / (215 / 412), rel=1e-12
    )
    small = sorted(tuple(e["group"]) for e in info(result, ["sex", "race"])["excluded_small"])
    assert small == sorted(SMALL_CELLS)


def test_intersectional_reference_group_changes_the_comparison(intersectional_df):
    named = biasaudit.audit(
        intersectional_df,
        attributes=["sex", "race"],
        selected="selected",
        reference_group={"sex": "Female", "race": WHITE},
    )
    cells = table(named, "sex x race")
    assert all(c == ["Female", WHITE] for c in cells["comparison_group"])
    female_white = 197 / 385
    assert cells.loc[f"Male / {WHITE}", "impact_ratio"] == pytest.approx(
        (215 / 412) / female_white, rel=1e-12
    )
    assert_printed(cells.loc[f"Male / {WHITE}", "impact_ratio"], "1.020")
    # The single-attribute tables are named too: sex against Female, race against White.
    assert all(c == ["Female"] for c in table(named, "sex")["comparison_group"])
    assert table(named, "sex").loc["Male", "impact_ratio"] == pytest.approx(
        (667 / 1390) / (555 / 1181), rel=1e-12
    )


def test_unknown_count_is_reported(result):
    cross = info(result, ["sex", "race"])
    assert cross["unknown"] == UNKNOWN
    assert cross["unknown_selected"] == UNKNOWN_SELECTED
    assert cross["n_known"] == 2571
    # 150 of the 250 have unknown race; the other 100 have a known race.
    assert info(result, ["race"])["unknown"] == 150
    assert result.provenance["rows"]["total"] == 2571 + UNKNOWN
    assert result.provenance["rows"]["unknown"] == {"sex": UNKNOWN, "race": 150}
    frame = result.groups_frame()
    assert not frame["group_label"].str.contains("Unknown").any()
    data = json.loads(result.to_json())
    tables = {" x ".join(t["attribute"]): t for t in data["tables"]}
    assert tables["sex x race"]["unknown"] == UNKNOWN
    assert tables["sex"]["unknown"] == UNKNOWN
    assert data["provenance"]["rows"]["unknown"] == {"sex": UNKNOWN, "race": 150}


def test_four_fifths_rule_on_every_cell(result_all):
    # With every cell in, only Female / Native American or Alaska Native falls
    # under four-fifths (0.789); Male / Black (0.806) is just above it.
    cells = table(result_all, "sex x race")
    violations = cells.index[cells["four_fifths_violation"].astype(bool)].tolist()
    assert violations == [f"Female / {AIAN}"]
    row = cells.loc[f"Female / {AIAN}"]
    # 17 applicants: not statistically significant (two-proportion Z, 7/17 vs 215/412).
    assert row["p_value"] > 0.05
    assert row["verdict"] == "four-fifths violation, not statistically significant"
    # Shortfall: 17 x 215/412 - 7 = 1.8714 selections short of the comparison rate.
    assert row["shortfall"] == pytest.approx(17 * 215 / 412 - 7, rel=1e-12)
    # Flip-flop: one more selection gives (8/17) / (215/412) = 0.902, above
    # four-fifths, so the violation does not survive (not practically significant).
    assert row["flip_flop"] is False
    assert cells.loc[f"Male / {BLACK}", "four_fifths_violation"] is False
    assert cells.loc[f"Male / {WHITE}", "shortfall"] == 0.0


# -- the LL144 ratio whatever comparison the auditor chose -------------------------


def test_ll144_ratios_divide_by_the_highest_rate_even_with_a_stated_reference(race_df):
    # The auditor compares with Black or African American (the EEOC analysis), but Local
    # Law 144's summary divides by the highest category's rate: White, 412 of 797.
    result = biasaudit.audit(race_df, attributes=["race"], selected="selected",
                             reference_group={"race": BLACK})  # fmt: skip
    race = table(result, "race")
    assert race.loc[BLACK, "impact_ratio"] == 1.0
    assert race.loc[WHITE, "impact_ratio"] == pytest.approx((412 / 797) / (170 / 390))
    for group, _, _, _, ratio in RACE_TABLE:
        if group != AIAN:  # under 2%: left out
            assert_printed(race.loc[group, "ll144_impact_ratio"], ratio)
    assert np.isnan(race.loc[AIAN, "ll144_impact_ratio"])
    # the report's LL144 table shows the rule's ratios and names the highest category
    html = result.to_html()
    start = html.index('id="ll144-table-0"')
    ll144 = html[start : html.index("</table>", start)]
    assert "0.84" in ll144 and "1.50" not in ll144
    assert "comparison category (highest rate)" in ll144
    assert "chosen by the auditor" not in ll144


def test_ll144_ratio_equals_the_impact_ratio_without_a_reference(result):
    frame = result.groups_frame()
    both = frame[["impact_ratio", "ll144_impact_ratio"]].to_numpy(float)
    np.testing.assert_array_equal(both[:, 0], both[:, 1])
