"""EEO-1 categories: normalising the spellings of sex and race/ethnicity values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Options, validate_params
from biasaudit.pool import UNKNOWN
from biasaudit.regulations import EEO1_RACE, EEO1_SEX

#: Keys of ``[columns]`` that are roles; every other key is a protected attribute.
ROLES: tuple[str, ...] = ("id", "job", "label", "score", "selected", "rank")
#: ``[columns]`` key of a separate Hispanic-or-Latino question (EEO-1 asks it apart from race).
HISPANIC_FLAG = "hispanic_or_latino"
_FLAG_SPELLINGS = {
    "Yes": ("yes", "y", "true", "t", "1", "1 0", "hispanic", "hispanic or latino", "latino",
            "latina", "latinx", "hispanic latino"),
    "No": ("no", "n", "false", "f", "0", "0 0", "not hispanic", "not hispanic or latino",
           "non hispanic", "nonhispanic", "not hispanic latino"),
}  # fmt: skip
_KINDS = {"sex": "sex", "race": "race", "race_ethnicity": "race", "ethnicity": "race"}
_KIND_NAMES = {
    "sex": "EEO-1 sex",
    "race": "EEO-1 race/ethnicity",
    "hispanic": "EEO-1 Hispanic-or-Latino answer",
    "as-is": "listed",
}

_UNKNOWN_SPELLINGS = (
    "",
    "unknown",
    "unk",
    "na",
    "n a",
    "none",
    "null",
    "nan",
    "missing",
    "not specified",
    "unspecified",
    "not provided",
    "not reported",
    "not disclosed",
    "undisclosed",
    "declined",
    "decline",
    "decline to state",
    "declined to state",
    "decline to answer",
    "declined to answer",
    "decline to self identify",
    "declined to self identify",
    "prefer not to say",
    "prefer not to answer",
    "i prefer not to answer",
    "i don t wish to answer",
    "i do not wish to answer",
    "do not wish to answer",
    "choose not to disclose",
    "i choose not to disclose",
)
_SEX_SPELLINGS = {
    "Female": ("female", "f", "woman", "women"),
    "Male": ("male", "m", "man", "men"),
}
_RACE_SPELLINGS = {
    "White": (
        "white",
        "caucasian",
        "cauc",
        "white caucasian",
        "white american",
        "european american",
    ),
    "Black or African American": (
        "black",
        "african american",
        "black or african american",
        "black african american",
        "african american black",
        "black american",
        "afam",
        "afr am",
    ),
    "Hispanic or Latino": (
        "hispanic",
        "latino",
        "latina",
        "latinx",
        "latine",
        "hispanic or latino",
        "hispanic latino",
        "hispanic or latina",
        "hispanic latina",
        "hispanic or latinx",
        "hispanic latinx",
        "latino hispanic",
        "latinx hispanic",
        "hispanic of any race",
    ),
    "Asian": ("asian", "asian american"),
    "Native Hawaiian or Pacific Islander": (
        "native hawaiian or pacific islander",
        "native hawaiian or other pacific islander",
        "native hawaiian pacific islander",
        "native hawaiian other pacific islander",
        "pacific islander",
        "native hawaiian",
        "hawaiian",
        "nhpi",
        "nhopi",
    ),
    "Native American or Alaska Native": (
        "native american or alaska native",
        "american indian or alaska native",
        "american indian or alaskan native",
        "native american or alaskan native",
        "american indian alaska native",
        "native american alaska native",
        "native american",
        "american indian",
        "alaska native",
        "alaskan native",
        "aian",
        "ai an",
    ),
    "Two or More Races": (
        "two or more races",
        "two or more",
        "2 or more races",
        "2 or more",
        "multiracial",
        "multi racial",
        "mixed",
        "mixed race",
        "biracial",
        "multiple races",
    ),
}
# "Non-Hispanic White" and "White (Not Hispanic or Latino)" mean White: the EEO-1
# race categories other than Hispanic or Latino are non-Hispanic by definition.
_NON_HISPANIC = (
    "not hispanic or latino",
    "not hispanic or latinx",
    "not hispanic",
    "non hispanic",
    "nonhispanic",
    "nh",
)


def _key(value: Any) -> str:
    text = str(value).lower().replace("&", " and ").replace("'", " ")
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


def _builtin(kind: str) -> dict[str, str]:
    table = dict.fromkeys(_UNKNOWN_SPELLINGS, UNKNOWN)
    spellings = _SEX_SPELLINGS if kind == "sex" else _RACE_SPELLINGS
    for category, keys in spellings.items():
        table.update(dict.fromkeys(keys, category))
    return table


def _lookup_race(key: str, table: dict[str, str]) -> str | None:
    if key in table:
        return table[key]
    for qualifier in _NON_HISPANIC:
        for base in (key.removeprefix(qualifier + " "), key.removesuffix(" " + qualifier)):
            found = table.get(base.strip())
            if base != key and found not in (None, UNKNOWN, "Hispanic or Latino"):
                return found
    return None


@dataclass(frozen=True)
class Normalized:
    """Result of :func:`normalize_eeo1`.

    Attributes
    ----------
    values : pandas.Series
        The normalised values (missing and unknown spellings become ``"Unknown"``;
        with ``errors="report"`` unmappable values also become ``"Unknown"``, and
        ``unmapped`` lists them).
    mapping : dict
        Every distinct source value and the category it became.
    unmapped : dict
        Every value that could not be mapped, with its number of rows.
    """

    values: pd.Series
    mapping: dict[Any, str]
    unmapped: dict[Any, int] = field(default_factory=dict)


@validate_params(
    {
        "kind": [Options(str, ("sex", "race"), fix="Pass kind='sex' or kind='race'.")],
        "errors": [Options(str, ("raise", "report"))],
    }
)
def normalize_eeo1(
    values: Any,
    kind: str,
    *,
    extra: Mapping[Any, str] | None = None,
    errors: str = "raise",
    column: str | None = None,
) -> Normalized:
    """Map common spellings of sex or race/ethnicity onto the EEO-1 categories.

    Matching ignores case, spacing and punctuation ("BLACK/AFRICAN-AMERICAN",
    "Hispanic or Latino", "Non-Hispanic White", "Caucasian"). Missing values and
    spellings of "unknown" or "declined to state" become ``"Unknown"``. Values that
    could mean more than one category (for example "Asian/Pacific Islander", "Other"
    or a one-letter code) are never guessed: they are reported.

    Parameters
    ----------
    values : array-like
        The raw values (a pandas Series keeps its index).
    kind : {"sex", "race"}
        Which EEO-1 categories.
    extra : mapping, optional
        Additional ``{raw value: category}`` entries, checked first (exact value,
        then the same case- and punctuation-insensitive match). Categories must be
        EEO-1 categories or ``"Unknown"``.
    errors : {"raise", "report"}
        ``"raise"``: a :class:`biasaudit.ValidationError` lists every unmappable
        value with its row count. ``"report"``: they become ``"Unknown"`` and are
        listed in ``Normalized.unmapped``.
    column : str, optional
        Column name for messages.

    Returns
    -------
    Normalized

    Raises
    ------
    biasaudit.ValidationError
        With ``errors="raise"``, if any value cannot be mapped, or if ``extra`` maps
        to a category that is not an EEO-1 one.

    Examples
    --------
    >>> out = normalize_eeo1(["Caucasian", "AFRICAN AMERICAN", "Latina", None,
    ...                       "White (Not Hispanic or Latino)", "Other"],
    ...                      "race", errors="report")
    >>> out.values.tolist()
    ['White', 'Black or African American', 'Hispanic or Latino', 'Unknown', 'White', 'Unknown']
    >>> out.unmapped
    {'Other': 1}
    >>> normalize_eeo1(["F", "male", "Woman"], "sex").values.tolist()
    ['Female', 'Male', 'Female']
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    name = column or (str(series.name) if series.name is not None else kind)
    allowed = EEO1_SEX if kind == "sex" else EEO1_RACE
    exact, fuzzy = _extra_tables(extra or {}, name, kind, allowed)
    table = {**_builtin(kind), **fuzzy}
    counts = series.astype(object).where(series.notna(), None).value_counts(dropna=False)
    mapping: dict[Any, str] = {}
    unmapped: dict[Any, int] = {}
    for raw, count in counts.items():
        found = _map_one(raw, kind, exact, table)
        if found is None:
            unmapped[raw] = int(count)
        else:
            mapping[raw] = found
    if unmapped and errors == "raise":
        raise E.ValidationError(_unmappable_message(name, _KIND_NAMES[kind], unmapped))
    out = series.astype(object).map(mapping)  # unmapped (errors="report") and missing: NaN
    return Normalized(out.where(out.notna(), UNKNOWN).astype(object), mapping, unmapped)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value)


def _map_one(raw: Any, kind: str, exact: dict[Any, str], table: dict[str, str]) -> str | None:
    if not _present(raw) or (isinstance(raw, str) and raw.strip() == ""):
        return UNKNOWN
    if raw in exact:
        return exact[raw]
    key = _key(raw)
    return _lookup_race(key, table) if kind == "race" else table.get(key)


def _extra_tables(
    extra: Mapping[Any, str], column: str, kind: str, allowed: tuple[str, ...]
) -> tuple[dict[Any, str], dict[str, str]]:
    for raw, target in extra.items():
        if target not in (*allowed, UNKNOWN):
            raise E.ValidationError(
                E.BAD_CATEGORY_TARGET.format(
                    column=column,
                    value=raw,
                    target=target,
                    kind=_KIND_NAMES[kind],
                    allowed=[*allowed, UNKNOWN],
                )
            )
    return dict(extra), {_key(raw): target for raw, target in extra.items()}


def _unmappable_message(column: str, target: str, unmapped: dict[Any, int]) -> str:
    ordered = dict(sorted(unmapped.items(), key=lambda item: (-item[1], str(item[0]))))
    example = str(next(iter(ordered)))
    return E.UNMAPPABLE_VALUES.format(
        column=column, count=len(ordered), target=target, values=ordered, example=example
    )
