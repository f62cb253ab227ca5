"""What the variants signal: the groups, the signals, the name lists, the held attributes."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral

import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, Options, validate_params
from biasaudit.counterfactual import _messages as M
from biasaudit.synth._names import _first_table as _names_first_table

#: Signals a variant can carry; ``name`` is the name itself.
SIGNALS = ("name", "pronouns", "gendered_words", "affinity")
_SEX_SIGNALS = ("pronouns", "gendered_words")
_ALIASES = {
    "race": "race",
    "race_ethnicity": "race",
    "ethnicity": "race",
    "race/ethnicity": "race",
    "sex": "sex",
    "gender": "sex",
}
_SEXES = ("Female", "Male")
_RACE_ORDER = ("White", "Black or African American", "Hispanic or Latino", "Asian")
_GENERAL = "general"
_SOURCES = ("census2020", "bertrand_mullainathan_2004")
_SOURCE = [Options(str, _SOURCES, fix="Pick a bundled name list (see datasets/README.md).")]
_ON_MISSING = [
    Options(
        str,
        ("raise", "drop"),
        fix="Pass on_missing='drop' to leave resumes without their name out (counted).",
    )
]
#: What every function that draws variants accepts.
VARIANT_CONSTRAINTS = {
    "source": _SOURCE,
    "on_missing": _ON_MISSING,
    "seed": [Interval(Integral, 0, None, fix="Pass e.g. seed=0.")],
}


#: Columns the name swap adds; the data must not have them already.
# -- configuration ---------------------------------------------------------------------
@dataclass
class _Design:
    """What is signalled, how names are drawn, and the groups."""

    attributes: tuple[str, ...]  # user's column names, in order
    dims: tuple[str, ...]  # "race" / "sex" for each attribute
    groups: tuple[tuple[str, ...], ...]
    signals: tuple[str, ...]
    source: str
    hold: dict[str, str]

    def value(self, group: tuple[str, ...], dim: str) -> str | None:
        return group[self.dims.index(dim)] if dim in self.dims else None


def _first_table() -> pd.DataFrame:
    return _names_first_table()


def _available_races(source: str) -> list[str]:
    table = _first_table()
    races = set(table.loc[(table["source"] == source) & (table["race"] != _GENERAL), "race"])
    return sorted(races, key=lambda r: (_RACE_ORDER.index(r) if r in _RACE_ORDER else 99, r))


def _parse_signals(signals: Sequence[str] | str) -> tuple[str, ...]:
    items = [signals] if isinstance(signals, str) else list(signals)
    items = [s.strip().replace("-", "_") for i in items for s in str(i).split(",") if s.strip()]
    if not items:
        raise E.ValidationError(M.NO_SIGNAL.format(others=list(SIGNALS[1:])))
    for item in items:
        if item not in SIGNALS:
            raise E.ValidationError(M.UNKNOWN_SIGNAL.format(value=item, known=list(SIGNALS)))
    return tuple(dict.fromkeys(items))


def _parse_attributes(groups: Sequence[str] | str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    items = groups.split(",") if isinstance(groups, str) else list(groups)
    attributes = tuple(str(a).strip() for a in items if str(a).strip())
    if not attributes:
        raise E.ValidationError(M.UNKNOWN_GROUP_ATTRIBUTE.format(value="", aliases=list(_ALIASES)))
    dims = []
    for attribute in attributes:
        dim = _ALIASES.get(attribute.lower())
        if dim is None:
            raise E.ValidationError(
                M.UNKNOWN_GROUP_ATTRIBUTE.format(value=attribute, aliases=list(_ALIASES))
            )
        if dim in dims:
            raise E.ValidationError(
                M.DUPLICATE_GROUP_ATTRIBUTE.format(dimension=dim, values=list(attributes))
            )
        dims.append(dim)
    return attributes, tuple(dims)


def _values(dim: str, source: str) -> list[str]:
    return _available_races(source) if dim == "race" else list(_SEXES)


def _parse_hold(
    hold: Mapping[str, str] | None, attributes: tuple[str, ...], dims: tuple[str, ...], source: str
) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (hold or {}).items():
        dim = _ALIASES.get(str(key).lower())
        if dim is None or dim in dims or str(value) not in _values(dim, source):
            raise E.ValidationError(
                M.BAD_HOLD.format(
                    value={key: value},
                    attributes=list(attributes),
                    races=_available_races(source),
                    sexes=list(_SEXES),
                )
            )
        out[dim] = str(value)
    return out


def _group_values(
    attribute: str, dim: str, include: Mapping[str, Sequence[str]] | None, source: str
) -> list[str]:
    available = _values(dim, source)
    wanted = (include or {}).get(attribute)
    if wanted is None:
        return available
    wanted = [wanted] if isinstance(wanted, str) else [str(v) for v in wanted]
    for value in wanted:
        if value not in available:
            raise E.ValidationError(
                M.NO_NAMES_FOR_GROUP.format(
                    attribute=attribute, group=value, source=source, available=available
                )
            )
    if len(set(wanted)) < 2:
        raise E.ValidationError(
            M.SINGLE_GROUP_ATTRIBUTE.format(
                attribute=attribute, groups=wanted, example=wanted[0] if wanted else available[0]
            )
        )
    return list(dict.fromkeys(wanted))


@validate_params({"source": _SOURCE})
def design(
    groups: Sequence[str] | str = ("race", "sex"),
    *,
    signals: Sequence[str] | str = ("name",),
    include: Mapping[str, Sequence[str]] | None = None,
    hold: Mapping[str, str] | None = None,
    source: str = "census2020",
) -> _Design:
    """Validate what is signalled and list the groups (race x sex by default)."""
    attributes, dims = _parse_attributes(groups)
    parsed = _parse_signals(signals)
    for signal in parsed:
        if signal in _SEX_SIGNALS and "sex" not in dims:
            raise E.ValidationError(
                M.SIGNAL_NEEDS_ATTRIBUTE.format(
                    signal=signal, attribute="sex", attributes=list(attributes)
                )
            )
    for key in include or {}:
        if key not in attributes:
            raise E.ValidationError(
                M.BAD_INCLUDE.format(attribute=key, attributes=list(attributes))
            )
    values = [_group_values(a, d, include, source) for a, d in zip(attributes, dims)]
    held = _parse_hold(hold, attributes, dims, source)
    combos = tuple(tuple(c) for c in itertools.product(*values))
    return _Design(attributes, dims, combos, parsed, source, held)


BOOKKEEPING = (
    "cf_unit",
    "cf_source_id",
    "cf_variant_id",
    "cf_group",
    "cf_replicate",
    "cf_signals",
    "cf_first_name",
    "cf_last_name",
    "cf_name_list",
    "cf_name_replacements",
    "cf_pronouns",
    "cf_gendered_words",
    "cf_score",
    "cf_selected",
    "cf_ranking",
    "cf_set",
    "cf_position",
    "cf_group_index",
    "cf_rank",
    "cf_first",
)
