"""The legal rules in biasaudit.regulations, and the report's use of them."""

from __future__ import annotations

import datetime as dt

import pytest

import biasaudit
from biasaudit import ValidationError
from biasaudit.regulations import (
    EEO1_RACE,
    FOUR_FIFTHS,
    MIN_SHARE,
    audit_dates,
    legal_role,
    ll144_gaps,
    one_year_after,
)
from biasaudit.reports import to_html

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("attributes", "declared", "role", "guessed"),
    [
        (["sex"], None, "sex", False),
        (["Gender"], None, "sex", False),
        (["race_ethnicity"], None, "race/ethnicity", False),
        (["applicant_gender"], None, "sex", True),
        (["self_reported_ethnic_group"], None, "race/ethnicity", True),
        (["age_band"], None, "other", False),
        (["cohort"], {"cohort": "sex"}, "sex", False),
        (["applicant_gender"], {"applicant_gender": "other"}, "other", False),
        (["sex", "race"], None, "intersectional", False),
    ],
)
def test_legal_role(attributes, declared, role, guessed) -> None:
    got, note = legal_role(attributes, declared)
    assert got == role
    assert (note is not None) == guessed
    if guessed:
        assert f"--legal-role {attributes[0]}={role}" in note


def test_a_declared_role_must_be_a_legal_one() -> None:
    with pytest.raises(ValidationError) as info:
        legal_role(["x"], {"x": "gender"})
    assert str(info.value).startswith("legal_roles['x'] must be one of")


def test_constants() -> None:
    assert FOUR_FIFTHS == 0.8 and MIN_SHARE == 0.02
    assert "Hispanic or Latino" in EEO1_RACE and len(EEO1_RACE) == 7
    assert biasaudit.audit.__wrapped__.__kwdefaults__["min_share"] == MIN_SHARE


def test_gaps_and_dates() -> None:
    assert ll144_gaps({"sex"}, "") == [
        "No attribute is named like 'race/ethnicity': Local Law 144 asks for a "
        "race/ethnicity table.",
        "Only one attribute was audited, so there is no intersectional table.",
        "The type of data (historical, pooled or test) is not stated.",
    ]
    assert one_year_after(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    fresh = audit_dates({"audit_date": "2026-01-10", "distribution_date": "2026-02-01"}, {}, NOW)
    assert fresh["warnings"] == [] and fresh["expires"] == "2027-01-10"
    stale = audit_dates({"audit_date": "2025-01-10", "distribution_date": "2025-02-01"}, {}, NOW)
    assert stale["warnings"][0].startswith("This audit is stale: it is dated 2025-01-10")


def test_the_report_announces_a_guessed_role_and_not_a_declared_one() -> None:
    df = biasaudit.datasets.load_resume_study().rename(columns={"sex": "applicant_gender"})
    options = dict(attributes=["race", "applicant_gender"], selected="callback")
    guessed = to_html(biasaudit.audit(df, **options), charts=False, generated_at=NOW)
    assert "was taken to be the Local Law 144 sex category because of its name" in guessed
    declared = biasaudit.audit(df, **options, metadata={"legal_roles": {"applicant_gender": "sex"}})
    html = to_html(declared, charts=False, generated_at=NOW)
    assert "was taken to be" not in html
    assert "Sex: applicant_gender" in html
