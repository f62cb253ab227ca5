"""NYC Local Law 144 (and its rule, 6 RCNY 5-300): what a bias audit must show.

The legal rules live here, in one place, for the reports and the gate to ask:
the categories an audit must tabulate (sex, race/ethnicity, their
intersection), which attribute plays which legal role, the 2% exclusion, the
data types the rule names, and the one-year validity of an audit.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from biasaudit import _errors as E

__all__ = [
    "DATA_TYPES",
    "LEGAL_ROLES",
    "MIN_SHARE",
    "audit_dates",
    "legal_role",
    "ll144_gaps",
    "one_year_after",
    "parse_date",
]

#: The rule lets an auditor leave out of the impact ratios a category that is under
#: 2% of the data (6 RCNY 5-301, "exclusion of small categories").
MIN_SHARE = 0.02

#: The legal roles an attribute can play in the LL144 tables.
LEGAL_ROLES = ("sex", "race/ethnicity", "other")

#: Column names that mean a legal role without guessing (the names the loaders and
#: the EEO-1 mapping produce); any other name is guessed from its words, and said so.
_KNOWN_NAMES = {
    "sex": "sex",
    "gender": "sex",
    "race": "race/ethnicity",
    "ethnicity": "race/ethnicity",
    "race_ethnicity": "race/ethnicity",
    "race/ethnicity": "race/ethnicity",
}
_GUESS_WORDS = (
    ("sex", "sex"),
    ("gender", "sex"),
    ("race", "race/ethnicity"),
    ("ethnic", "race/ethnicity"),
)

_GUESSED = (
    "The attribute {attribute!r} was taken to be the Local Law 144 {role} category because "
    "of its name. State it with metadata={{'legal_roles': {{{attribute!r}: {role!r}}}}} "
    "(on the command line --legal-role {attribute}={role})."
)
_BAD_ROLE = (
    "legal_roles[{attribute!r}] must be one of {roles}; got {value!r}. "
    "Pass e.g. legal_roles={{{attribute!r}: 'sex'}}."
)


#: Data types Local Law 144 names, with the explanation printed in the report.
DATA_TYPES = {
    "historical": (
        "Historical data: the tool's real decisions or scores on the applicants of the "
        "employer or employment agency that uses it."
    ),
    "pooled": (
        "Historical data pooled from several employers or employment agencies that use the "
        "same tool, used when one user's own data are insufficient or absent."
    ),
    "test": (
        "Test data: candidates the tool was run on for this audit rather than real "
        "applicants, used when there is not enough historical data; the data source "
        "below says why and how the test data were made."
    ),
}


def legal_role(
    attributes: Sequence[str], declared: Mapping[str, str] | None = None
) -> tuple[str, str | None]:
    """The legal role of a table's attributes, and a note when the role was guessed.

    A table of several attributes is ``"intersectional"``. One attribute's role
    is the declared one (``metadata["legal_roles"]``), else the one its name
    states (``sex``, ``gender``, ``race``, ``ethnicity``, ``race_ethnicity``),
    else a guess from the words in its name, announced by the returned note.

    Examples
    --------
    >>> legal_role(["sex"])
    ('sex', None)
    >>> legal_role(["applicant_gender"])[0]
    'sex'
    >>> legal_role(["cohort"], {"cohort": "race/ethnicity"})
    ('race/ethnicity', None)
    >>> legal_role(["sex", "race"])
    ('intersectional', None)
    """
    if len(attributes) > 1:
        return "intersectional", None
    name = str(attributes[0])
    stated = (declared or {}).get(name)
    if stated is not None:
        if stated not in LEGAL_ROLES:
            roles = list(LEGAL_ROLES)
            raise E.ValidationError(_BAD_ROLE.format(attribute=name, roles=roles, value=stated))
        return stated, None
    lowered = name.lower()
    if lowered in _KNOWN_NAMES:
        return _KNOWN_NAMES[lowered], None
    for word, role in _GUESS_WORDS:
        if word in lowered:
            return role, _GUESSED.format(attribute=name, role=role)
    return "other", None


def ll144_gaps(roles: set[str], data_type: str) -> list[str]:
    """What the published summary lacks under the rule: a required table, the data type.

    Examples
    --------
    >>> ll144_gaps({"sex", "race/ethnicity", "intersectional"}, "historical")
    []
    """
    gaps = [
        f"No attribute is named like {word!r}: Local Law 144 asks for a {word} table."
        for word in ("sex", "race/ethnicity")
        if word not in roles
    ]
    if "intersectional" not in roles:
        gaps.append("Only one attribute was audited, so there is no intersectional table.")
    if not data_type:
        gaps.append("The type of data (historical, pooled or test) is not stated.")
    elif DATA_TYPES.get(data_type.lower()) is None:
        gaps.append(f"The data type {data_type!r} is not one Local Law 144 names.")
    return gaps


def parse_date(value: Any) -> _dt.date | None:
    """An ISO date (or date-time) as a date, None when absent or not ISO."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if not value:
        return None
    try:
        return _dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def one_year_after(day: _dt.date) -> _dt.date:
    """The same calendar day one year later (29 February becomes 28 February).

    Local Law 144 counts "no more than one year" in calendar years, so a year that
    crosses 29 February is 366 days long.

    Examples
    --------
    >>> one_year_after(_dt.date(2024, 1, 1))
    datetime.date(2025, 1, 1)
    >>> one_year_after(_dt.date(2024, 2, 29))
    datetime.date(2025, 2, 28)
    """
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + 1, day=28)


def audit_dates(
    meta: Mapping[str, Any], prov: Mapping[str, Any], now: _dt.datetime
) -> dict[str, Any]:
    """The audit and distribution dates, the expiry, and the rule's date warnings.

    Examples
    --------
    >>> now = _dt.datetime(2026, 6, 1)
    >>> audit_dates({"audit_date": "2024-01-01", "distribution_date": "2024-02-01"},
    ...             {}, now)["warnings"][0][:24]
    'This audit is stale: it '
    """
    audit_raw = meta.get("audit_date") or prov.get("timestamp", "")[:10]
    audit_date, dist_raw = parse_date(audit_raw), meta.get("distribution_date")
    dist_date = parse_date(dist_raw)
    warnings = []
    if audit_date is None:
        warnings.append(f"The audit date {audit_raw!r} is not an ISO date (YYYY-MM-DD).")
    elif now.date() > one_year_after(audit_date):
        warnings.append(
            f"This audit is stale: it is dated {audit_date.isoformat()}, more than one year "
            f"before this report was generated ({now.date().isoformat()}). Local Law 144 "
            "requires a bias audit no more than one year before the tool is used."
        )
    if dist_raw in (None, ""):
        warnings.append(
            "The distribution date of the tool is not stated; the published summary must "
            "include it (pass --distribution-date or metadata={'distribution_date': ...})."
        )
    elif dist_date is None:
        warnings.append(f"The distribution date {dist_raw!r} is not an ISO date (YYYY-MM-DD).")
    elif audit_date and dist_date > one_year_after(audit_date):
        warnings.append(
            f"The tool's distribution date ({dist_date.isoformat()}) is more than one year "
            f"after the audit date ({audit_date.isoformat()}): the audit was stale when the "
            "tool was distributed."
        )
    if audit_date:
        expires = one_year_after(audit_date)
    return {
        "audit_date": audit_date.isoformat() if audit_date else str(audit_raw),
        "expires": expires.isoformat() if audit_date else None,
        "distribution_date": dist_date.isoformat() if dist_date else (dist_raw or "not stated"),
        "warnings": warnings,
    }
