"""Loaders for the real data bundled with biasaudit.

The files live in the repository's ``datasets/`` folder, which the wheel installs as
``biasaudit/_datasets``. Their sources, licences and column dictionaries are in
``datasets/README.md``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["load_resume_study", "resume_study_path"]

_RESUME_STUDY_FILE = "resume_study.csv"
_INSTALLED_DIR = "_datasets"  # where the wheel puts the repository's datasets/ folder
_SOURCE_DIR = "datasets"  # the folder in a source checkout, next to the package directory

_MISSING_DATASET = (
    "Bundled dataset {filename!r} was not found. Looked in: {searched}. "
    "The biasaudit installation is incomplete; reinstall it with: "
    "pip install --force-reinstall biasaudit"
)
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


def _bundled_path(filename: str) -> Path:
    """Locate a bundled data file in an installed wheel or in a source checkout.

    Parameters
    ----------
    filename : str
        Name of the file inside the repository's ``datasets/`` folder.

    Returns
    -------
    pathlib.Path
        The existing file.

    Raises
    ------
    FileNotFoundError
        If the file is in neither place; the message lists the paths searched.
    """
    installed = resources.files("biasaudit") / _INSTALLED_DIR / filename
    source = Path(__file__).resolve().parent.parent / _SOURCE_DIR / filename
    for candidate in (installed, source):
        # Only a real file can be returned as a Path (not, say, a member of a zip archive).
        if isinstance(candidate, Path) and candidate.is_file():
            return candidate
    searched = [str(installed), str(source)]
    raise FileNotFoundError(_MISSING_DATASET.format(filename=filename, searched=searched))


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
