"""First names and surnames associated with race/ethnicity and sex, from public tables.

The lists are ``datasets/first_names.csv`` and ``datasets/surnames.csv``; their
sources, licences and how the association strength is measured are in
``datasets/README.md``. ``datasets/extract_names.py`` rebuilds them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from biasaudit._bundled import bundled_path as _bundled_path
from biasaudit._validation import Options, validate_params

__all__ = ["GENERAL", "first_names", "load_first_names", "load_surnames", "surnames"]

#: Race label of names with no strong race/ethnicity association; used for groups
#: without a list of their own.
GENERAL = "general"
_SOURCES = ("census2020", "bertrand_mullainathan_2004")


@lru_cache(maxsize=1)
def _first_table() -> pd.DataFrame:
    return pd.read_csv(_bundled_path("first_names.csv"), keep_default_na=False, na_values=[""])


@lru_cache(maxsize=1)
def _surname_table() -> pd.DataFrame:
    return pd.read_csv(_bundled_path("surnames.csv"), keep_default_na=False, na_values=[""])


def load_first_names() -> pd.DataFrame:
    """The bundled first-name table.

    Returns
    -------
    pandas.DataFrame
        Columns ``first_name``, ``race`` (an EEO-1 race/ethnicity category, or
        ``"general"`` for names without a strong association), ``sex``, ``source``
        (``"census2020"`` or ``"bertrand_mullainathan_2004"``), ``p_race`` (share of
        the name's carriers in ``race`` in the 2020 Census first-name table), ``p_sex``
        (share of the carriers of that sex) and ``count`` (carriers in that table).

    Examples
    --------
    >>> names = load_first_names()
    >>> sorted(names["source"].unique())
    ['bertrand_mullainathan_2004', 'census2020']
    >>> bool((names.groupby(["race", "sex"]).size() >= 20).all())
    True
    """
    return _first_table().copy()


def load_surnames() -> pd.DataFrame:
    """The bundled surname table (2010 Census surnames).

    Returns
    -------
    pandas.DataFrame
        Columns ``last_name``, ``race``, ``source``, ``p_race`` (share of the
        surname's carriers in ``race``) and ``count``.

    Examples
    --------
    >>> load_surnames().query("race == 'Hispanic or Latino'")["last_name"].iloc[:3].tolist()
    ['Alvarez', 'Castillo', 'Chavez']
    """
    return _surname_table().copy()


@validate_params(
    {"source": [Options(str, _SOURCES, fix="Pick a bundled name list (see datasets/README.md).")]}
)
def first_names(
    race: str | None = None, sex: str | None = None, *, source: str = "census2020"
) -> list[str]:
    """First names strongly associated with a race/ethnicity and a sex.

    Parameters
    ----------
    race : str, optional
        An EEO-1 category (``"White"``, ``"Black or African American"``,
        ``"Hispanic or Latino"``, ``"Asian"``) or ``"general"``. All when omitted.
    sex : {"Female", "Male"}, optional
        All when omitted.
    source : {"census2020", "bertrand_mullainathan_2004"}
        Which list: the 2020 Census table, or the 36 names of the resume study
        (White and Black only).

    Returns
    -------
    list of str
        The names, in the table's order (alphabetical within a group).

    Raises
    ------
    ValueError
        If ``source`` is unknown or no name matches.

    Examples
    --------
    >>> first_names("Black or African American", "Female",
    ...             source="bertrand_mullainathan_2004")[:4]
    ['Aisha', 'Ebony', 'Keisha', 'Kenya']
    """
    table = _first_table()
    mask = table["source"] == source
    if race is not None:
        mask &= table["race"] == race
    if sex is not None:
        mask &= table["sex"] == sex
    names = table.loc[mask, "first_name"].tolist()
    if not names:
        of_source = table[table["source"] == source]
        have = sorted(set(zip(of_source["race"], of_source["sex"])))
        raise ValueError(
            f"No first names for race={race!r}, sex={sex!r} in source {source!r}. "
            f"Available (race, sex): {have}."
        )
    return names


def surnames(race: str | None = None) -> list[str]:
    """Surnames strongly associated with a race/ethnicity (2010 Census).

    Parameters
    ----------
    race : str, optional
        An EEO-1 category with a list (``"White"``, ``"Black or African American"``,
        ``"Hispanic or Latino"``, ``"Asian"``, ``"Native American or Alaska Native"``)
        or ``"general"``. All when omitted.

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        If no surname matches.

    Examples
    --------
    >>> "Nguyen" in surnames("Asian")
    True
    """
    table = _surname_table()
    names = (
        table["last_name"].tolist()
        if race is None
        else (table.loc[table["race"] == race, "last_name"].tolist())
    )
    if not names:
        raise ValueError(
            f"No surnames for race={race!r}. Available: {sorted(table['race'].unique())}."
        )
    return names


def draw_names(
    race: np.ndarray,
    race_labels: list[str],
    sex: np.ndarray,
    sex_labels: list[str],
    rng: np.random.Generator,
) -> tuple[pd.Categorical, pd.Categorical]:
    """Draw a first and last name per candidate from their true race and sex codes.

    Groups without a list of their own (or a sex other than Female/Male) draw from the
    ``"general"`` lists. Each name of a list is equally likely.
    """
    first_table, last_table = _name_tables(tuple(race_labels), tuple(sex_labels))
    cell = race.astype(np.int64) * len(sex_labels) + sex.astype(np.int64)
    first = _pick(cell, first_table[1], first_table[2], rng)
    last = _pick(race.astype(np.int64), last_table[1], last_table[2], rng)
    return (
        pd.Categorical.from_codes(first_table[3][first], dtype=first_table[0]),
        pd.Categorical.from_codes(last_table[3][last], dtype=last_table[0]),
    )


@lru_cache(maxsize=16)
def _name_tables(race_labels: tuple[str, ...], sex_labels: tuple[str, ...]) -> tuple[tuple, tuple]:
    """Flattened name lists per (race, sex) and per race, with offsets and category codes."""
    first = _flatten([_first_or_general(r, s) for r in race_labels for s in sex_labels])
    last = _flatten([_surnames_or_general(r) for r in race_labels])
    return first, last


def _first_or_general(race: str, sex: str) -> list[str]:
    table = _first_table()
    census = table[table["source"] == "census2020"]
    if sex not in ("Female", "Male"):
        return census.loc[census["race"] == GENERAL, "first_name"].tolist()
    chosen = census.loc[(census["race"] == race) & (census["sex"] == sex), "first_name"]
    if chosen.empty:
        chosen = census.loc[(census["race"] == GENERAL) & (census["sex"] == sex), "first_name"]
    return chosen.tolist()


def _surnames_or_general(race: str) -> list[str]:
    table = _surname_table()
    chosen = table.loc[table["race"] == race, "last_name"]
    return (
        chosen if not chosen.empty else table.loc[table["race"] == GENERAL, "last_name"]
    ).tolist()


def _flatten(
    lists: list[list[str]],
) -> tuple[pd.CategoricalDtype, np.ndarray, np.ndarray, np.ndarray]:
    lengths = np.array([len(x) for x in lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    flat = np.asarray([name for x in lists for name in x], dtype=object)
    # A name on two lists (e.g. a group's and the general one) is one category.
    categories, codes = np.unique(flat, return_inverse=True)
    return pd.CategoricalDtype(categories.tolist()), offsets, lengths, np.ravel(codes)


def _pick(cell: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, rng) -> np.ndarray:
    u = rng.random(len(cell))
    return offsets[cell] + (u * lengths[cell]).astype(np.int64)
