"""Load real applicant data: files, SQL queries, column mappings and EEO-1 categories.

A mapping file (TOML) says which source column plays which role and how category
values translate::

    [source]                       # optional, for a database: what to read
    query = "SELECT * FROM applicants WHERE year = 2025"

    [columns]                      # biasaudit name = source column
    id = "applicant_id"
    selected = "hired"
    job = "requisition"
    sex = "gender"                 # any name that is not a role is a protected attribute
    race = "ethnicity"

    [categories.race]              # extra spellings, checked before the built-in ones
    "Asian/Pacific Islander" = "Unknown"

    [categories]
    age_band = "as-is"             # keep an attribute's values unchanged

A separate yes/no Hispanic-or-Latino question (``hispanic_or_latino = "column"`` in
``[columns]``) is folded into the race attribute as EEO-1 does: Hispanic or Latino of
any race counts as Hispanic or Latino.

Attributes named ``sex`` are normalised to the EEO-1 sex categories and attributes
named ``race``, ``race_ethnicity`` or ``ethnicity`` to the EEO-1 race/ethnicity
categories. A value that neither the built-in spellings nor the mapping's
``[categories]`` table know is never guessed: loading stops and lists every such
value with its number of rows.

Modules: ``_read`` (files and SQL), ``_mapping`` (TOML column mappings),
``_eeo1`` (EEO-1 category spellings).
"""

from __future__ import annotations

from biasaudit.loaders._eeo1 import (
    EEO1_RACE,
    EEO1_SEX,
    HISPANIC_FLAG,
    ROLES,
    Normalized,
    normalize_eeo1,
)
from biasaudit.loaders._mapping import ColumnMapping, read_mapping
from biasaudit.loaders._read import load, read_sql

__all__ = [
    "EEO1_RACE",
    "EEO1_SEX",
    "HISPANIC_FLAG",
    "ROLES",
    "ColumnMapping",
    "Normalized",
    "load",
    "normalize_eeo1",
    "read_mapping",
    "read_sql",
]
