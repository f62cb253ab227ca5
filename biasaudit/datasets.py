"""Loaders for the real data bundled with biasaudit.

The files live in the repository's ``datasets/`` folder, which the wheel installs as
``biasaudit/_datasets``. Their sources, licences and column dictionaries are in
``datasets/README.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from biasaudit._bundled import bundled_path as _bundled_path
from biasaudit.audit import audit

__all__ = ["load_resume_study", "resume_study_path", "resume_study_table1"]

_RESUME_STUDY_FILE = "resume_study.csv"
_UNEXPECTED_VALUES = (
    "Bundled dataset {filename!r} has unexpected values in column {column!r}: {values}. "
    "The file was modified or is damaged; reinstall biasaudit, or in a source checkout "
    "rebuild it with: python datasets/extract_resume_study.py"
)

_FLAG_COLUMNS = (
    "callback",
    "equal_opportunity_employer",
    "job_req_any",
    "job_req_experience",
    "job_req_communication",
    "job_req_education",
    "job_req_computer",
    "job_req_organization",
    "college_degree",
    "honors",
    "volunteer",
    "military",
    "employment_holes",
    "worked_during_school",
    "email",
    "computer_skills",
    "special_skills",
)
_CATEGORIES = {
    "sex": ["Female", "Male"],
    "race": ["Black or African American", "White"],
    "city": ["Boston", "Chicago"],
    "occupation": ["clerical", "manager", "retail_sales", "sales_rep", "secretary", "supervisor"],
    "industry": [
        "business_and_personal_service",
        "finance_insurance_real_estate",
        "health_education_social_services",
        "manufacturing",
        "transportation_communication",
        "wholesale_and_retail_trade",
        "unknown",
    ],
    "job_ownership": ["nonprofit", "private", "public", "unknown"],
    "job_req_min_experience": ["none", "some", "0", "0.5", *map(str, range(1, 9)), "10"],
    "job_req_school": ["none_listed", "high_school_grad", "some_college", "college"],
    "resume_quality": ["low", "high"],
}
_RESUME_STUDY_DTYPES: dict[str, str] = {
    "id": "int32",
    "job_ad_id": "int32",
    "first_name": "str",
    "federal_contractor": "Int8",  # nullable: unknown for 1,768 resumes
    "years_experience": "int8",
    "num_jobs": "int8",
    "years_college": "int8",
    **dict.fromkeys(_FLAG_COLUMNS, "int8"),
    # Read as text, checked against the vocabulary, then made Categorical (see _categorize).
    **dict.fromkeys(_CATEGORIES, "str"),
}


def resume_study_path() -> Path:
    """Path of the bundled Bertrand and Mullainathan (2004) resume study CSV.

    Returns
    -------
    pathlib.Path
        ``biasaudit/_datasets/resume_study.csv`` in an installed wheel, or
        ``datasets/resume_study.csv`` in a source or editable checkout.

    Raises
    ------
    FileNotFoundError
        If the file is missing from the installation.

    See Also
    --------
    load_resume_study : the same data as a typed pandas DataFrame.

    Examples
    --------
    >>> from biasaudit.datasets import resume_study_path
    >>> resume_study_path().name
    'resume_study.csv'
    """
    return _bundled_path(_RESUME_STUDY_FILE)


def load_resume_study() -> pd.DataFrame:
    """Load the resume field experiment of Bertrand and Mullainathan (2004).

    4,870 fictitious resumes sent to help-wanted ads in Boston and Chicago in 2001-2002, each
    randomly given a first name that signals race (Black or White) and sex; the outcome is
    whether the employer called back. Sources, licence and the column dictionary are in
    ``datasets/README.md``.

    Returns
    -------
    pandas.DataFrame
        One row per resume, 33 columns. ``sex``, ``race`` and the other text columns with a
        fixed vocabulary are Categorical; ``callback`` and the other 0/1 flags are ``int8``;
        ``federal_contractor`` is nullable ``Int8`` (missing when the ad did not say).

    Raises
    ------
    FileNotFoundError
        If the bundled file is missing from the installation.
    ValueError
        If the file holds values outside the documented vocabulary (a damaged file).

    References
    ----------
    .. [1] M. Bertrand and S. Mullainathan, "Are Emily and Greg More Employable than Lakisha
       and Jamal? A Field Experiment on Labor Market Discrimination", American Economic
       Review 94(4), 991-1013, 2004. https://doi.org/10.1257/0002828042002561

    Examples
    --------
    >>> from biasaudit.datasets import load_resume_study
    >>> resumes = load_resume_study()
    >>> resumes.shape
    (4870, 33)
    >>> callback_rate = resumes.groupby("race", observed=True)["callback"].mean()
    >>> callback_rate.round(4).to_dict()
    {'Black or African American': 0.0645, 'White': 0.0965}
    """
    path = resume_study_path()
    frame = pd.read_csv(path, dtype=_RESUME_STUDY_DTYPES, encoding="utf-8")
    return _categorize(frame, path.name)


# Table 1's samples, in the paper's order: (label, column, value); None is every resume.
_TABLE1_SAMPLES = (
    ("All sent resumes", None, None),
    ("Chicago", "city", "Chicago"),
    ("Boston", "city", "Boston"),
    ("Females", "sex", "Female"),
    ("Females in administrative jobs", None, "administrative"),
    ("Females in sales jobs", None, "sales"),
    ("Males", "sex", "Male"),
)
_JOB_KIND_NOTE = (
    "not reproducible from the data: the paper splits the female resumes by a job-kind "
    "variable of the original data that the bundled file does not carry (it is not the "
    "occupation column; see datasets/README.md)"
)
_TABLE1_COLUMNS = [
    "sample",
    "white_callbacks",
    "white_n",
    "white_rate",
    "black_callbacks",
    "black_n",
    "black_rate",
    "ratio",
    "difference",
    "p_value",
    "note",
]


def _table1_row(label: str, resumes: pd.DataFrame) -> dict[str, object]:
    result = audit(
        resumes,
        attributes=["race"],
        selected="callback",
        reference_group={"race": "White"},
        correction="none",
    )
    groups = result.groups_frame().set_index("group_label")
    white, black = groups.loc["White"], groups.loc["Black or African American"]
    return {
        "sample": label,
        "white_callbacks": int(white["selected"]),
        "white_n": int(white["n"]),
        "white_rate": 100 * float(white["selection_rate"]),
        "black_callbacks": int(black["selected"]),
        "black_n": int(black["n"]),
        "black_rate": 100 * float(black["selection_rate"]),
        "ratio": 1 / float(black["impact_ratio"]),
        "difference": 100 * float(white["selection_rate"] - black["selection_rate"]),
        "p_value": float(black["p_value"]),
        "note": "",
    }


def resume_study_table1() -> pd.DataFrame:
    """Table 1 of Bertrand and Mullainathan (2004), computed from the bundled data.

    Each sample is audited with :func:`biasaudit.audit` (race as the attribute,
    callback as the decision, White names as the comparison group). Rates and
    differences are in percent, as in the paper; ``ratio`` is the White rate
    over the African-American rate (the inverse of biasaudit's impact ratio);
    ``p_value`` is biasaudit's two-proportion Z test, uncorrected, which equals
    Pearson's chi-square test without continuity correction and reproduces the
    paper's p-values (Fisher's exact test does not: 0.0071 for Chicago against
    the paper's 0.0057).

    Two rows cannot be computed: the paper's split of the female resumes into
    administrative and sales jobs uses a variable the data do not carry. They are
    kept, in the paper's order, with missing values and a ``note``, not dropped.
    One printed number differs: the paper gives 4.05 as the Boston difference,
    but its own rates (11.63 - 7.76) and the data (126 - 84 callbacks of 1,083)
    give 3.88.

    Returns
    -------
    pandas.DataFrame
        One row per sample: ``sample``, ``white_callbacks``, ``white_n``,
        ``white_rate``, ``black_callbacks``, ``black_n``, ``black_rate``,
        ``ratio``, ``difference``, ``p_value``, ``note``.

    Examples
    --------
    >>> from biasaudit.datasets import resume_study_table1
    >>> table = resume_study_table1().set_index("sample")
    >>> chicago = table.loc["Chicago", ["white_rate", "black_rate", "ratio", "p_value"]]
    >>> chicago.astype(float).round(4).tolist()
    [8.0621, 5.3994, 1.4932, 0.0057]
    >>> table.loc["Females in sales jobs", "note"][:33]
    'not reproducible from the data: t'
    """
    resumes = load_resume_study()
    rows: list[dict[str, Any]] = []
    for label, column, value in _TABLE1_SAMPLES:
        if column is None and value is not None:  # the job-kind rows
            rows.append({"sample": label, "note": _JOB_KIND_NOTE})
            continue
        subset = resumes if column is None else resumes[resumes[column] == value]
        rows.append(_table1_row(label, subset))
    table = pd.DataFrame(rows, columns=_TABLE1_COLUMNS)
    return table.astype({c: "Int64" for c in _TABLE1_COLUMNS if c.endswith(("_n", "callbacks"))})


def _categorize(frame: pd.DataFrame, filename: str) -> pd.DataFrame:
    """Check flags and text columns against their vocabulary; make the text Categorical."""
    # Casting straight to a CategoricalDtype would turn an unknown value into NaN silently.
    allowed = {**{c: [0, 1] for c in _FLAG_COLUMNS}, **_CATEGORIES}
    for column, vocabulary in allowed.items():
        bad = ~frame[column].isin(vocabulary)
        if bad.any():
            shown = sorted({str(v) for v in frame.loc[bad, column]})[:5]
            raise ValueError(
                _UNEXPECTED_VALUES.format(filename=filename, column=column, values=shown)
            )
    return frame.astype({c: pd.CategoricalDtype(v) for c, v in _CATEGORIES.items()})


# The loaders for an auditor's own data (CSV, Parquet, JSON Lines, SQLite or DuckDB queries,
# TOML column mappings, EEO-1 normalisation) live in biasaudit.loaders; re-exported here so
# that biasaudit.datasets covers both the bundled and the real data.
from biasaudit.loaders import (  # noqa: E402
    ColumnMapping,
    load,
    normalize_eeo1,
    read_mapping,
    read_sql,
)

__all__ += ["ColumnMapping", "load", "normalize_eeo1", "read_mapping", "read_sql"]
