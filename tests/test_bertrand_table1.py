"""Bertrand and Mullainathan (2004), Table 1, through biasaudit's public API.

The bundled field experiment is audited as a name-signal study: callback rates by race
for each sample of the paper's Table 1, their ratio, difference and significance. Every
printed number is asserted at the paper's precision:

- five samples (all, Chicago, Boston, females, males) from the data, one ``audit()`` per
  sample, White names as the comparison group;
- the two job-kind samples (females in administrative and in sales jobs) cannot be
  formed from the data (the variable is not in it), so their published counts are
  checked for consistency with the data and their ratio, difference and p-value are
  recomputed from the published counts with the same test;
- the p-values are the uncorrected two-proportion Z test (Pearson's chi-square without
  continuity correction); Fisher's exact test and Yates' correction do not reproduce them.

One printed number is not reproducible: the Boston difference. The paper prints 4.05,
while its own rates give 11.63 - 7.76 = 3.87 and the data 3.88 (126 and 84 callbacks of
1,083 each); the test asserts the data's value and that the printed one is inconsistent.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, fisher_exact

import biasaudit
from biasaudit.datasets import load_resume_study, resume_study_table1
from biasaudit.metrics.significance import two_proportion_z

WHITE, BLACK = "White", "Black or African American"

# Sample: white % [n], African-American % [n], ratio, difference (p-value), as printed.
TABLE_1 = {
    "All sent resumes": ("9.65", 2435, "6.45", 2435, "1.50", "3.20", "0.0000"),
    "Chicago": ("8.06", 1352, "5.40", 1352, "1.49", "2.66", "0.0057"),
    "Boston": ("11.63", 1083, "7.76", 1083, "1.50", "4.05", "0.0023"),
    "Females": ("9.89", 1860, "6.63", 1886, "1.49", "3.26", "0.0003"),
    "Females in administrative jobs": ("10.46", 1358, "6.55", 1359, "1.60", "3.91", "0.0003"),
    "Females in sales jobs": ("8.37", 502, "6.83", 527, "1.22", "1.54", "0.3523"),
    "Males": ("8.87", 575, "5.83", 549, "1.52", "3.04", "0.0513"),
}
SAMPLES = {
    "All sent resumes": lambda d: d,
    "Chicago": lambda d: d[d["city"] == "Chicago"],
    "Boston": lambda d: d[d["city"] == "Boston"],
    "Females": lambda d: d[d["sex"] == "Female"],
    "Males": lambda d: d[d["sex"] == "Male"],
}
BOSTON_DIFFERENCE_IN_THE_DATA = "3.88"
JOB_KIND = ("Females in administrative jobs", "Females in sales jobs")


@pytest.fixture(scope="module")
def resumes() -> pd.DataFrame:
    return load_resume_study()


def _audit(frame: pd.DataFrame) -> pd.DataFrame:
    result = biasaudit.audit(
        frame,
        attributes=["race"],
        selected="callback",
        reference_group={"race": WHITE},
        correction="none",
    )
    return result.groups_frame().set_index("group_label")


def _printed(white: pd.Series, black: pd.Series) -> tuple:
    """A row of Table 1 as the paper prints it, from two audited groups."""
    return (
        f"{100 * white['selection_rate']:.2f}",
        int(white["n"]),
        f"{100 * black['selection_rate']:.2f}",
        int(black["n"]),
        f"{1 / black['impact_ratio']:.2f}",
        f"{100 * (white['selection_rate'] - black['selection_rate']):.2f}",
        f"{black['p_value']:.4f}",
    )


@pytest.mark.parametrize("sample", list(SAMPLES))
def test_samples_from_the_data(resumes: pd.DataFrame, sample: str) -> None:
    groups = _audit(SAMPLES[sample](resumes))
    white, black = groups.loc[WHITE], groups.loc[BLACK]
    expected = TABLE_1[sample]
    if sample == "Boston":
        expected = (*expected[:5], BOSTON_DIFFERENCE_IN_THE_DATA, expected[6])
    assert _printed(white, black) == expected
    # biasaudit's view of the same row: the impact ratio is the inverse of the paper's ratio.
    assert list(black["comparison_group"]) == [WHITE]
    assert black["impact_ratio"] == pytest.approx(
        1 / (white["selection_rate"] / black["selection_rate"])
    )


def test_the_printed_boston_difference_is_not_its_own_rates(resumes: pd.DataFrame) -> None:
    white_rate, _, black_rate, _, _, printed, _ = TABLE_1["Boston"]
    assert f"{float(white_rate) - float(black_rate):.2f}" == "3.87" != printed
    boston = resumes[resumes["city"] == "Boston"]
    called = boston.groupby("race", observed=True)["callback"].sum()
    assert (int(called[WHITE]), int(called[BLACK])) == (126, 84)
    assert f"{100 * (126 - 84) / 1083:.2f}" == BOSTON_DIFFERENCE_IN_THE_DATA


@pytest.mark.parametrize("sample", list(SAMPLES))
def test_the_p_value_is_the_z_test_that_is_chi_square_without_correction(
    resumes: pd.DataFrame, sample: str
) -> None:
    frame = SAMPLES[sample](resumes)
    groups = _audit(frame)
    white, black = groups.loc[WHITE], groups.loc[BLACK]
    table = [
        [white["selected"], white["n"] - white["selected"]],
        [black["selected"], black["n"] - black["selected"]],
    ]
    pearson = chi2_contingency(table, correction=False).pvalue
    assert black["p_value"] == pytest.approx(pearson, rel=1e-9)
    assert black["z"] ** 2 == pytest.approx(chi2_contingency(table, correction=False).statistic)
    assert black["fisher_p"] == pytest.approx(fisher_exact(table).pvalue, rel=1e-9)


def test_fisher_and_yates_do_not_reproduce_the_paper(resumes: pd.DataFrame) -> None:
    chicago = _audit(SAMPLES["Chicago"](resumes)).loc[BLACK]
    assert f"{chicago['p_value']:.4f}" == "0.0057"
    assert f"{chicago['fisher_p']:.4f}" == "0.0071"
    table = [[109, 1352 - 109], [73, 1352 - 73]]
    assert f"{chi2_contingency(table, correction=True).pvalue:.4f}" != "0.0057"


def _published_counts(sample: str) -> tuple[int, int, int, int]:
    white_rate, white_n, black_rate, black_n, *_ = TABLE_1[sample]
    return (
        round(float(white_rate) * white_n / 100),
        white_n,
        round(float(black_rate) * black_n / 100),
        black_n,
    )


@pytest.mark.parametrize("sample", JOB_KIND)
def test_job_kind_rows_from_their_published_counts(sample: str) -> None:
    white_called, white_n, black_called, black_n = _published_counts(sample)
    # The counts give back the printed rates, so they are the paper's counts.
    assert f"{100 * white_called / white_n:.2f}" == TABLE_1[sample][0]
    assert f"{100 * black_called / black_n:.2f}" == TABLE_1[sample][2]
    _, p = two_proportion_z(
        np.array([black_called]), np.array([black_n]), np.array([white_called]), np.array([white_n])
    )
    assert f"{p[0]:.4f}" == TABLE_1[sample][6]
    # The same row through audit(), on a table with those counts.
    frame = pd.DataFrame(
        {
            "race": [WHITE] * white_n + [BLACK] * black_n,
            "callback": [1] * white_called
            + [0] * (white_n - white_called)
            + [1] * black_called
            + [0] * (black_n - black_called),
        }
    )
    groups = _audit(frame)
    assert _printed(groups.loc[WHITE], groups.loc[BLACK]) == TABLE_1[sample]


def test_job_kind_rows_partition_the_female_resumes(resumes: pd.DataFrame) -> None:
    females = _audit(SAMPLES["Females"](resumes))
    admin, sales = (_published_counts(s) for s in JOB_KIND)
    assert (admin[1] + sales[1], admin[3] + sales[3]) == (
        females.loc[WHITE, "n"],
        females.loc[BLACK, "n"],
    )
    assert (admin[0] + sales[0], admin[2] + sales[2]) == (
        females.loc[WHITE, "selected"],
        females.loc[BLACK, "selected"],
    )
    # The data's occupation column is not the paper's job kind: its sales ads hold fewer
    # female resumes than the paper's sales row.
    f = SAMPLES["Females"](resumes)
    sales_ads = f[f["occupation"].isin(["sales_rep", "retail_sales"])]
    counts = sales_ads.groupby("race", observed=True).size()
    assert (int(counts[WHITE]), int(counts[BLACK])) == (392, 400) != (sales[1], sales[3])


def test_the_table_helper_prints_table_1(resumes: pd.DataFrame) -> None:
    table = resume_study_table1()
    assert table["sample"].tolist() == list(TABLE_1)
    for row in table.itertuples(index=False):
        expected = TABLE_1[row.sample]
        if row.sample in JOB_KIND:
            assert row.note.startswith("not reproducible from the data")
            assert pd.isna(row.white_n) and math.isnan(row.p_value)
            continue
        if row.sample == "Boston":
            expected = (*expected[:5], BOSTON_DIFFERENCE_IN_THE_DATA, expected[6])
        printed = (
            f"{row.white_rate:.2f}",
            int(row.white_n),
            f"{row.black_rate:.2f}",
            int(row.black_n),
            f"{row.ratio:.2f}",
            f"{row.difference:.2f}",
            f"{row.p_value:.4f}",
        )
        assert printed == expected
        assert row.note == ""
        groups = _audit(SAMPLES[row.sample](resumes))
        assert row.white_callbacks == groups.loc[WHITE, "selected"]
        assert row.black_callbacks == groups.loc[BLACK, "selected"]


# Callbacks by race within each occupation of the ads (the data's own occupation
# column), counted by hand from the bundled file: (White, African-American) callbacks
# of n resumes each.
BY_OCCUPATION = {
    "clerical": ((38, 289), (29, 289)),
    "manager": ((29, 371), (21, 370)),
    "retail_sales": ((39, 409), (28, 409)),
    "sales_rep": ((30, 368), (19, 368)),
    "secretary": ((82, 810), (51, 811)),
    "supervisor": ((17, 188), (9, 188)),
}


@pytest.mark.parametrize("occupation", sorted(BY_OCCUPATION))
def test_callbacks_by_race_within_each_occupation(resumes: pd.DataFrame, occupation: str) -> None:
    (w_cb, w_n), (b_cb, b_n) = BY_OCCUPATION[occupation]
    subset = resumes[resumes["occupation"] == occupation]
    result = biasaudit.audit(
        subset,
        attributes=["race"],
        selected="callback",
        reference_group={"race": WHITE},
        correction="none",
    )
    groups = result.groups_frame().set_index("group_label")
    assert groups.loc[WHITE, ["selected", "n"]].tolist() == [w_cb, w_n]
    assert groups.loc[BLACK, ["selected", "n"]].tolist() == [b_cb, b_n]
    ratio = (b_cb / b_n) / (w_cb / w_n)
    assert groups.loc[BLACK, "impact_ratio"] == pytest.approx(ratio, rel=1e-12)
    # The p-value is Pearson's chi-square without continuity correction, from scipy.
    table = [[w_cb, w_n - w_cb], [b_cb, b_n - b_cb]]
    expected_p = chi2_contingency(table, correction=False)[1]
    assert groups.loc[BLACK, "p_value"] == pytest.approx(expected_p, rel=1e-9)


def test_occupations_pooled_by_job_strata_match_the_hand_counts(resumes: pd.DataFrame) -> None:
    # With the occupation as the job stratum, the overall rates are the sums of the
    # occupation counts above; the Mantel-Haenszel odds ratio and CMH test (no continuity
    # correction) over the occupations are statsmodels' StratifiedTable values.
    result = biasaudit.audit(
        resumes,
        attributes=["race"],
        selected="callback",
        job="occupation",
        reference_group={"race": WHITE},
    )
    groups = result.groups_frame().set_index("group_label")
    white = [sum(v[0][i] for v in BY_OCCUPATION.values()) for i in (0, 1)]
    black = [sum(v[1][i] for v in BY_OCCUPATION.values()) for i in (0, 1)]
    assert groups.loc[WHITE, ["selected", "n"]].tolist() == white == [235, 2435]
    assert groups.loc[BLACK, ["selected", "n"]].tolist() == black == [157, 2435]
    from statsmodels.stats.contingency_tables import StratifiedTable

    tables = [
        np.array([[b[0], b[1] - b[0]], [w[0], w[1] - w[0]]]) for w, b in BY_OCCUPATION.values()
    ]
    reference = StratifiedTable(tables)
    assert groups.loc[BLACK, "mh_odds_ratio"] == pytest.approx(reference.oddsratio_pooled)
    expected_p = reference.test_null_odds(correction=False).pvalue
    assert groups.loc[BLACK, "cmh_p_value"] == pytest.approx(expected_p, rel=1e-9)
