"""The legal rules in one place: NYC Local Law 144 and the EEOC's four-fifths rule.

Reports and the gate ask these modules; nothing here computes a statistic. See
:mod:`biasaudit.regulations._ll144` and :mod:`biasaudit.regulations._eeoc`.
"""

from __future__ import annotations

from biasaudit.regulations._eeoc import EEO1_RACE, EEO1_SEX, FOUR_FIFTHS
from biasaudit.regulations._ll144 import (
    DATA_TYPES,
    LEGAL_ROLES,
    MIN_SHARE,
    audit_dates,
    legal_role,
    ll144_gaps,
    one_year_after,
    parse_date,
)

__all__ = [
    "DATA_TYPES",
    "EEO1_RACE",
    "EEO1_SEX",
    "FOUR_FIFTHS",
    "LEGAL_ROLES",
    "MIN_SHARE",
    "audit_dates",
    "legal_role",
    "ll144_gaps",
    "one_year_after",
    "parse_date",
]
