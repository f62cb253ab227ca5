"""Name-swap variants: the same resume, with a name (and other signals) of another group.

:func:`make_variants` turns every resume into one variant per signalled group (race x
sex by default), each differing from the others only in the name drawn from that
group's list (``datasets/first_names.csv``, ``datasets/surnames.csv``) and, when asked,
in pronouns, gendered words and an affinity-group line. Every variant keeps its source
resume's id, so the variants of one resume can be compared pairwise.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, Options, validate_params
from biasaudit.counterfactual import _messages as M
from biasaudit.counterfactual._signals import affinity_text, swap_gendered_words, swap_pronouns
from biasaudit.matchers._engine import to_pandas
from biasaudit.synth import first_names, surnames
from biasaudit.synth._names import _first_table as _names_first_table

__all__ = ["SIGNALS", "Variants", "make_variants"]

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


@dataclass(frozen=True)
class Variants:
    """Name-swap variants of a set of resumes.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per variant: the source resume's columns (text and name columns
        rewritten; a source column named like a signalled attribute is kept as
        ``original_<name>``), the signalled attribute columns, and bookkeeping:
        ``cf_unit`` (index of the compared unit: a resume, or a resume-job pair),
        ``cf_source_id``, ``cf_variant_id``, ``cf_group`` (label), ``cf_replicate``,
        ``cf_signals`` (signals that changed the text), ``cf_first_name``,
        ``cf_last_name``, ``cf_name_list`` (the list the first name came from) and
        counts of replacements.
    attributes : tuple of str
        The signalled attribute columns.
    groups : tuple of tuple of str
        The signalled groups, in order.
    matcher_columns : tuple of str
        Columns a matcher may see (never the attributes or the bookkeeping).
    units : pandas.DataFrame
        One row per compared unit: ``cf_unit``, ``cf_source_id`` and the job column.
    counts : dict
        Resumes in, kept, dropped (and their first ids), variants, signal counts.
    configuration : dict
        How the variants were made (for the provenance).
    """

    data: pd.DataFrame = field(repr=False)
    attributes: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]
    matcher_columns: tuple[str, ...] = field(repr=False)
    units: pd.DataFrame = field(repr=False)
    counts: dict[str, Any] = field(repr=False)
    configuration: dict[str, Any] = field(repr=False)
    text_column: str = "resume_text"
    job_column: str | None = None

    @property
    def group_labels(self) -> list[str]:
        """``"White / Male"``-style labels of the groups."""
        return [" / ".join(g) for g in self.groups]


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


# -- sources: validated resumes and their names ----------------------------------------
@dataclass
class _Source:
    frame: pd.DataFrame  # the caller's data (never modified)
    rows: np.ndarray  # kept row positions, one per unit
    ids: np.ndarray  # source id per unit
    jobs: np.ndarray | None  # job per unit (cross mode), else None
    first: list[str]
    last: list[str | None]
    full: list[str]
    text: list[str]
    patterns: list[re.Pattern[str]]
    counts: dict[str, Any]


def _column(frame: pd.DataFrame, column: str | None, role: str) -> None:
    if column is not None and column not in frame.columns:
        raise E.ValidationError(
            E.MISSING_COLUMN.format(column=column, present=list(frame.columns), role=role)
        )


def _as_text(series: pd.Series) -> list[str | None]:
    values = series.astype(object).where(series.notna(), None).tolist()
    return [None if v is None or str(v).strip() == "" else str(v).strip() for v in values]


def _names(
    frame: pd.DataFrame, name_column: str | None, first_column: str | None, last_column: str | None
) -> tuple[list[str | None], list[str | None], list[str | None]]:
    """(first, last, full) per row; None where a name is missing."""
    if name_column is not None:
        full = _as_text(frame[name_column])
        parts = [None if f is None else f.split() for f in full]
        first = [None if p is None else p[0] for p in parts]
        last = [None if p is None or len(p) < 2 else p[-1] for p in parts]
        return first, last, full
    first = _as_text(frame[first_column])
    last = _as_text(frame[last_column]) if last_column else [None] * len(frame)
    if last_column:
        full = [None if f is None or s is None else f"{f} {s}" for f, s in zip(first, last)]
    else:
        full = list(first)
    return first, last, full


def _word(text: str) -> str:
    return r"(?<!\w)" + re.escape(text) + r"(?!\w)"


def _name_pattern(first: str, last: str | None, full: str) -> re.Pattern[str]:
    """Whole-word matches of the full name, first and last name, as written and in capitals."""
    forms = {full, full.upper(), first, first.upper()}
    if last:
        forms |= {last, last.upper()}
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")


def _check_columns(frame: pd.DataFrame, id_column: str | None) -> None:
    clash = [c for c in BOOKKEEPING if c in frame.columns]
    if clash:
        raise E.ValidationError(M.COLUMN_CLASH.format(columns=clash))
    if id_column is not None:
        counts = frame[id_column].value_counts()
        dup = counts[counts > 1]
        if len(dup):
            raise E.ValidationError(
                M.DUPLICATE_IDS.format(
                    column=id_column, count=len(dup), values=[_plain(v) for v in dup.index[:5]]
                )
            )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@validate_params({"on_missing": _ON_MISSING})
def prepare(
    frame: pd.DataFrame,
    *,
    text_column: str,
    name_column: str | None,
    first_name_column: str | None,
    last_name_column: str | None,
    id_column: str | None,
    on_missing: str,
    need_name: bool = True,
) -> _Source:
    """Validate the resumes, find each name in its text, and drop or refuse those without."""
    _column(frame, text_column, "text_column")
    for column, role in (
        (name_column, "name_column"),
        (first_name_column, "first_name_column"),
        (last_name_column, "last_name_column"),
        (id_column, "id"),
    ):
        _column(frame, column, role)
    if need_name and name_column is None and first_name_column is None:
        if last_name_column is not None:
            raise E.ValidationError(M.LAST_WITHOUT_FIRST.format(last=last_name_column))
        raise E.ValidationError(M.NO_NAME_COLUMN.format(present=list(frame.columns)))
    if name_column is not None and first_name_column is not None:
        raise E.ValidationError(
            M.CONFLICTING_NAME_COLUMNS.format(name=name_column, first=first_name_column)
        )
    _check_columns(frame, id_column)
    ids = (
        np.asarray([_plain(v) for v in frame[id_column]], dtype=object)
        if id_column is not None
        else np.arange(len(frame), dtype=object)
    )
    text = [str(t) if t is not None else "" for t in _as_raw_text(frame[text_column])]
    if need_name:
        first, last, full = _names(frame, name_column, first_name_column, last_name_column)
    else:
        first = last = full = [None] * len(frame)
    what = f"column {name_column!r}" if name_column else f"column {first_name_column!r}"
    if last_name_column:
        what = f"columns {first_name_column!r} + ' ' + {last_name_column!r}"
    names = (first, last, full)
    return _find_names(frame, ids, text, names, on_missing, what, text_column, need_name)


def _as_raw_text(series: pd.Series) -> list[str | None]:
    return series.astype(object).where(series.notna(), None).tolist()


def _find_names(frame, ids, text, names, on_missing, what, text_column, need_name) -> _Source:
    first, last, full = names
    n = len(frame)
    keep, patterns, no_value, absent = [], [], [], []
    for i in range(n):
        if not need_name:
            keep.append(i)
            continue
        if full[i] is None:
            no_value.append(i)
            continue
        if re.search(_word(full[i]) + "|" + _word(full[i].upper()), text[i]) is None:
            absent.append(i)
            continue
        keep.append(i)
        patterns.append(_name_pattern(first[i], last[i], full[i]))
    if on_missing == "raise" and no_value:
        raise E.ValidationError(
            M.MISSING_NAME_VALUE.format(
                count=len(no_value), what=what, ids=[_plain(ids[i]) for i in no_value[:5]]
            )
        )
    if on_missing == "raise" and absent:
        raise E.ValidationError(
            M.NAME_NOT_IN_TEXT.format(
                count=len(absent),
                total=n,
                what=what,
                column=text_column,
                ids=[_plain(ids[i]) for i in absent[:5]],
            )
        )
    dropped = sorted(no_value + absent)
    if not keep:
        raise E.ValidationError(M.NO_RESUME_LEFT.format(count=n))
    if dropped:
        warnings.warn(
            f"{len(dropped)} of {n} resume(s) left out: no name found in the text "
            f"(first ids: {[_plain(ids[i]) for i in dropped[:5]]}).",
            E.BiasAuditWarning,
            stacklevel=4,
        )
    rows = np.asarray(keep, dtype=np.int64)
    counts = {
        "resumes": n,
        "kept": len(keep),
        "dropped_without_name": len(dropped),
        "dropped_ids": [_plain(ids[i]) for i in dropped[:20]],
    }
    return _Source(
        frame=frame,
        rows=rows,
        ids=ids[rows],
        jobs=None,
        first=[first[i] for i in keep],
        last=[last[i] for i in keep],
        full=[full[i] for i in keep],
        text=[text[i] for i in keep],
        patterns=patterns,
        counts=counts,
    )


def cross_jobs(source: _Source, job_ids: Sequence[str]) -> _Source:
    """Every resume paired with every job: the compared unit becomes a resume-job pair."""
    k = len(job_ids)
    take = np.repeat(np.arange(len(source.rows)), k)

    def rep(values: list) -> list:
        return [values[i] for i in take]

    return _Source(
        frame=source.frame,
        rows=source.rows[take],
        ids=source.ids[take],
        jobs=np.tile(np.asarray(job_ids, dtype=object), len(source.rows)),
        first=rep(source.first),
        last=rep(source.last),
        full=rep(source.full),
        text=rep(source.text),
        patterns=rep(source.patterns) if source.patterns else [],
        counts={**source.counts, "jobs_per_resume": k},
    )


# -- drawing names ---------------------------------------------------------------------
class NameDrawer:
    """Draws first names and surnames for (unit, group) requests, seeded.

    A dimension that is not signalled is either held at one value (``hold``) or, for
    sex, drawn once per unit so that all variants of a resume share it; without race,
    first names come from the race-neutral ``general`` list and surnames stay as they are.
    """

    def __init__(self, plan: _Design, n_units: int, rng: np.random.Generator) -> None:

        self.plan = plan
        self.rng = rng
        races = [plan.value(g, "race") for g in plan.groups]
        sexes = [plan.value(g, "sex") for g in plan.groups]
        self.unit_sex = None
        if "sex" not in plan.dims and "sex" not in plan.hold:
            self.unit_sex = np.asarray(_SEXES, dtype=object)[rng.integers(0, 2, n_units)]
        held_race = plan.hold.get("race")
        self.unit_last = None
        if held_race is not None:
            pool = surnames(held_race)
            self.unit_last = np.asarray(pool, dtype=object)[rng.integers(0, len(pool), n_units)]
        self.first_lists: dict[tuple[str, str], list[str]] = {}
        for race in set(races) | ({held_race} if held_race else set()):
            for sex in _SEXES:
                key = (race or _GENERAL, sex)
                source = plan.source if race else "census2020"
                self.first_lists[key] = first_names(key[0], sex, source=source)
        self.last_lists = {r: surnames(r) for r in set(races) if r is not None}
        self.races, self.sexes = races, sexes

    def draw(
        self, units: np.ndarray, groups: np.ndarray
    ) -> tuple[list[str], list[str | None], list[str]]:
        """(first, last or None for unchanged, list label) for each (unit, group) request."""
        n = len(units)
        u_first = self.rng.random(n)
        u_last = self.rng.random(n)
        first: list[str] = []
        last: list[str | None] = []
        lists: list[str] = []
        held_race = self.plan.hold.get("race")
        for i in range(n):
            g = int(groups[i])
            race = self.races[g] or held_race
            sex = self.sexes[g] or self.plan.hold.get("sex")
            if not sex:
                assert self.unit_sex is not None  # drawn when sex is neither varied nor held
                sex = str(self.unit_sex[units[i]])
            names = self.first_lists[(race or _GENERAL, sex)]
            first.append(names[int(u_first[i] * len(names))])
            lists.append(f"{race or _GENERAL} / {sex}")
            own_race = self.races[g]
            if own_race is not None:
                pool = self.last_lists[own_race]
                last.append(pool[int(u_last[i] * len(pool))])
            else:
                last.append(None if self.unit_last is None else self.unit_last[units[i]])
        return first, last, lists


# -- rendering ------------------------------------------------------------------------
def _replace_names(source: _Source, unit: int, first: str, last: str | None) -> tuple[str, int]:
    old_first, old_last, old_full = source.first[unit], source.last[unit], source.full[unit]
    new_last = last if (last is not None and old_last is not None) else old_last
    new_full = first if old_last is None else f"{first} {new_last}"
    if old_full.count(" ") > 1 and old_last is not None:  # middle names stay in the full name
        middle = old_full[len(old_first) : len(old_full) - len(old_last)]
        new_full = f"{first}{middle}{new_last}"
    mapping = {old_full: new_full, old_full.upper(): new_full.upper()}
    mapping.setdefault(old_first, first)
    mapping.setdefault(old_first.upper(), first.upper())
    if old_last is not None:
        replacement = last if last is not None else old_last  # new_last, never None here
        mapping.setdefault(old_last, replacement)
        mapping.setdefault(old_last.upper(), replacement.upper())
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return mapping[match.group(0)]

    text = source.patterns[unit].sub(replace, source.text[unit])
    return _replace_in_emails(text, old_first, old_last, first, new_last), count


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _replace_in_emails(
    text: str, old_first: str, old_last: str | None, first: str, last: str | None
) -> str:
    """Names in e-mail addresses (``rhett.obrien@...``), lower-cased, separated by non-letters."""
    if "@" not in text:
        return text
    pairs = [(old_first, first)] + ([(old_last, last)] if old_last and last else [])
    pattern = re.compile(
        "|".join(r"(?<![A-Za-z])" + re.escape(o.lower()) + r"(?![A-Za-z])" for o, _ in pairs),
        re.I,
    )
    table = {o.lower(): n.lower() for o, n in pairs}

    def fix(match: re.Match[str]) -> str:
        local, _, domain = match.group(0).partition("@")
        local = pattern.sub(lambda m: table[m.group(0).lower()], local)
        return f"{local}@{domain}"

    return _EMAIL.sub(fix, text)


def render(
    source: _Source,
    plan: _Design,
    units: np.ndarray,
    groups: np.ndarray,
    names: tuple[list, list, list],
    *,
    affinity_lines: Mapping[str, Mapping[str, str | None]] | None = None,
) -> tuple[list[str], dict[str, list]]:
    """The variant texts for (unit, group, names) requests, with what each signal changed."""
    first, last, _ = names
    texts: list[str] = []
    info: dict[str, list] = {"name": [], "pronouns": [], "gendered_words": [], "signals": []}
    for i in range(len(units)):
        unit, group = int(units[i]), plan.groups[int(groups[i])]
        applied = []
        if "name" in plan.signals:
            text, n_name = _replace_names(source, unit, first[i], last[i])
            applied.append("name")
        else:
            text, n_name = source.text[unit], 0
        sex = plan.value(group, "sex")
        n_pron = n_words = 0
        if "pronouns" in plan.signals:
            assert sex is not None  # the plan refuses sex signals without a sex dimension
            text, n_pron = swap_pronouns(text, sex)
            applied += ["pronouns"] if n_pron else []
        if "gendered_words" in plan.signals:
            assert sex is not None  # the plan refuses sex signals without a sex dimension
            text, n_words = swap_gendered_words(text, sex)
            applied += ["gendered_words"] if n_words else []
        if "affinity" in plan.signals:
            text = affinity_text(text, dict(zip(plan.dims, group)), affinity_lines)
            applied.append("affinity")
        texts.append(text)
        info["name"].append(n_name)
        info["pronouns"].append(n_pron)
        info["gendered_words"].append(n_words)
        info["signals"].append("+".join(applied))
    return texts, info


def variant_frame(
    source: _Source,
    plan: _Design,
    units: np.ndarray,
    groups: np.ndarray,
    replicate: np.ndarray,
    *,
    text_column: str,
    name_columns: Sequence[str | None],
    job_column: str | None,
    seed_names: tuple[list, list, list],
    affinity_lines: Mapping[str, Mapping[str, str | None]] | None = None,
    variant_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per (unit, group) request: the source row with its text and names rewritten."""
    texts, info = render(source, plan, units, groups, seed_names, affinity_lines=affinity_lines)
    out = source.frame.iloc[source.rows[units]].reset_index(drop=True)
    renamed = {a: f"original_{a}" for a in plan.attributes if a in out.columns}
    out = out.rename(columns=renamed)
    if source.jobs is not None and job_column is not None:
        out[job_column] = source.jobs[units]
    out[text_column] = pd.Series(texts, dtype=object)
    first, last, lists = seed_names
    _write_names(out, source, units, first, last, name_columns)
    labels = [" / ".join(g) for g in plan.groups]
    for j, attribute in enumerate(plan.attributes):
        out[attribute] = pd.Series([plan.groups[int(g)][j] for g in groups], dtype=object)
    unit_ids = _unit_ids(source)
    out["cf_unit"] = units.astype(np.int64)
    out["cf_source_id"] = pd.Series([_plain(source.ids[u]) for u in units], dtype=object)
    out["cf_variant_id"] = (
        list(variant_ids)
        if variant_ids is not None
        else [f"{unit_ids[u]}#{g + 1}.{r + 1}" for u, g, r in zip(units, groups, replicate)]
    )
    out["cf_group"] = [labels[int(g)] for g in groups]
    out["cf_replicate"] = replicate.astype(np.int64)
    out["cf_signals"] = info["signals"]
    out["cf_first_name"] = pd.Series(first, dtype=object)
    out["cf_last_name"] = pd.Series(
        [last[i] if last[i] is not None else source.last[int(u)] for i, u in enumerate(units)],
        dtype=object,
    )
    out["cf_name_list"] = lists
    out["cf_name_replacements"] = np.asarray(info["name"], dtype=np.int64)
    out["cf_pronouns"] = np.asarray(info["pronouns"], dtype=np.int64)
    out["cf_gendered_words"] = np.asarray(info["gendered_words"], dtype=np.int64)
    return out


def _unit_ids(source: _Source) -> list[str]:
    if source.jobs is None:
        return [str(_plain(i)) for i in source.ids]
    return [f"{_plain(i)}@{j}" for i, j in zip(source.ids, source.jobs)]


def _write_names(
    out: pd.DataFrame,
    source: _Source,
    units: np.ndarray,
    first: list[str],
    last: list[str | None],
    name_columns: Sequence[str | None],
) -> None:
    """Name columns carry the new names too, so a matcher reading them sees the swap."""
    name_column, first_column, last_column = name_columns
    news_last = [
        last[i] if last[i] is not None else source.last[int(u)] for i, u in enumerate(units)
    ]
    if name_column is not None:
        fulls = []
        for i, u in enumerate(units):
            old_first, old_full = source.first[int(u)], source.full[int(u)]
            old_last = source.last[int(u)]
            if old_last is None:
                fulls.append(first[i])
            else:
                middle = old_full[len(old_first) : len(old_full) - len(old_last)]
                fulls.append(f"{first[i]}{middle}{news_last[i]}")
        out[name_column] = pd.Series(fulls, dtype=object)
    if first_column is not None:
        out[first_column] = pd.Series(first, dtype=object)
    if last_column is not None:
        out[last_column] = pd.Series(news_last, dtype=object)


def matcher_columns(frame: pd.DataFrame, plan: _Design, job_column: str | None) -> tuple:
    """Columns a matcher sees: the resume's own, never the groups or the bookkeeping."""
    hidden = set(BOOKKEEPING) | set(plan.attributes)
    hidden |= {f"original_{a}" for a in plan.attributes}
    columns = [c for c in frame.columns if c not in hidden]
    if job_column is not None and job_column not in columns and job_column in frame.columns:
        columns.append(job_column)
    return tuple(columns)


# -- public ----------------------------------------------------------------------------
@validate_params(
    {
        **VARIANT_CONSTRAINTS,
        "replicates": [
            Interval(Integral, 1, None, fix="Pass replicates=1 (one variant per group).")
        ],
    }
)
def make_variants(
    data: Any,
    *,
    text_column: str = "resume_text",
    name_column: str | None = None,
    first_name_column: str | None = None,
    last_name_column: str | None = None,
    groups: Sequence[str] | str = ("race", "sex"),
    signals: Sequence[str] | str = ("name",),
    include: Mapping[str, Sequence[str]] | None = None,
    hold: Mapping[str, str] | None = None,
    source: str = "census2020",
    replicates: int = 1,
    id: str | None = None,
    job: str | None = None,
    on_missing: str = "raise",
    affinity_lines: Mapping[str, Mapping[str, str | None]] | None = None,
    seed: int = 0,
) -> Variants:
    """Variants of each resume that differ only in the signalled group.

    For every resume and every signalled group (by default race/ethnicity x sex:
    White, Black or African American, Hispanic or Latino, Asian x Female, Male), a
    first name is drawn from the group's list (:func:`biasaudit.synth.first_names`)
    and, when race is signalled and the resume has a surname, a surname from the
    race's list (:func:`biasaudit.synth.surnames`); every occurrence of the resume's
    name in the text (full name, first and last name, as written and in capitals,
    whole words, and in e-mail addresses) is replaced. Optional further signals:
    ``pronouns`` (he/him/his <-> she/her/her), ``gendered_words`` (chairman ->
    chairwoman, fraternity -> sorority, Mr -> Ms, ...; see
    :data:`biasaudit.counterfactual._signals.GENDERED_WORDS`) and ``affinity`` (an
    ``Affiliations:`` line such as a Black professionals' or a women's network; a
    neutral line for groups without one).

    Parameters
    ----------
    data : DataFrame, pyarrow.Table, str or Path
        Resumes, one per row; never modified.
    text_column : str
        The resume text.
    name_column : str, optional
        The full name as it appears in the text. Or:
    first_name_column, last_name_column : str, optional
        First name (and surname) columns; the text must contain "First Last".
    groups : str or sequence of str
        Signalled attributes: ``"race"``, ``"sex"`` or both (also ``"race_ethnicity"``,
        ``"ethnicity"``, ``"gender"``); the names become the output columns.
    signals : sequence of str
        From ``"name"``, ``"pronouns"``, ``"gendered_words"``, ``"affinity"``.
    include : mapping, optional
        Groups to signal per attribute, e.g. ``{"race": ["White", "Asian"]}``.
    hold : mapping, optional
        Fix an attribute that is not signalled, e.g. ``{"sex": "Female"}`` when only
        race is signalled (default: a sex drawn per resume, the same for all its
        variants; without race, first names from the race-neutral list).
    source : {"census2020", "bertrand_mullainathan_2004"}
        First-name list (the resume study lists White and Black names only).
    replicates : int
        Variants per resume and group, each with a fresh name.
    id : str, optional
        Unique resume id column (default: row position).
    job : str, optional
        Job column, carried along.
    on_missing : {"raise", "drop"}
        A resume whose text does not contain its name: an error listing how many and
        the first ids, or left out and counted in ``counts``.
    affinity_lines : mapping, optional
        Lines per attribute and group replacing the defaults.
    seed : int
        Seed of the name draws.

    Returns
    -------
    Variants

    Raises
    ------
    biasaudit.ValidationError
        Missing columns, names absent from the text, unknown signals or groups, a
        group without a name list, a single group.

    Examples
    --------
    >>> import pandas as pd
    >>> resumes = pd.DataFrame({"name": ["Emily Walsh"],
    ...                         "resume": ["Emily Walsh\\nShe chaired the debate club."]})
    >>> v = make_variants(resumes, text_column="resume", name_column="name", groups="sex",
    ...                   signals=["name", "pronouns"], hold={"race": "White"}, seed=1)
    >>> v.data[["sex", "cf_first_name"]].values.tolist()
    [['Female', 'Suzanne'], ['Male', 'Brantley']]
    >>> print(v.data["resume"].iloc[1])
    Brantley Meyer
    He chaired the debate club.
    """

    plan = design(groups, signals=signals, include=include, hold=hold, source=source)
    frame = to_pandas(data)
    src = prepare(
        frame,
        text_column=text_column,
        name_column=name_column,
        first_name_column=first_name_column,
        last_name_column=last_name_column,
        id_column=id,
        on_missing=on_missing,
        need_name="name" in plan.signals,
    )
    return build(
        src,
        plan,
        replicates=int(replicates),
        text_column=text_column,
        name_columns=(name_column, first_name_column, last_name_column),
        job_column=job,
        affinity_lines=affinity_lines,
        seed=seed,
    )


def build(
    src: _Source,
    plan: _Design,
    *,
    replicates: int,
    text_column: str,
    name_columns: Sequence[str | None],
    job_column: str | None,
    affinity_lines: Mapping[str, Mapping[str, str | None]] | None,
    seed: int,
) -> Variants:
    """Every unit x group x replicate, names drawn with ``seed``."""
    n, G = len(src.rows), len(plan.groups)
    rng = np.random.default_rng(seed)
    drawer = NameDrawer(plan, n, rng)
    units = np.repeat(np.arange(n), G * replicates)
    groups = np.tile(np.repeat(np.arange(G), replicates), n)
    replicate = np.tile(np.arange(replicates), n * G)
    names = drawer.draw(units, groups)
    data = variant_frame(
        src,
        plan,
        units,
        groups,
        replicate,
        text_column=text_column,
        name_columns=name_columns,
        job_column=job_column,
        seed_names=names,
        affinity_lines=affinity_lines,
    )
    return Variants(
        data=data,
        attributes=plan.attributes,
        groups=plan.groups,
        matcher_columns=matcher_columns(data, plan, job_column),
        units=units_frame(src, job_column),
        counts=_counts(src, data, plan),
        configuration=configuration(plan, text_column, name_columns, replicates, seed),
        text_column=text_column,
        job_column=job_column,
    )


def units_frame(src: _Source, job_column: str | None) -> pd.DataFrame:
    """One row per compared unit."""
    out = pd.DataFrame(
        {"cf_unit": np.arange(len(src.rows)), "cf_source_id": pd.Series(src.ids, dtype=object)}
    )
    if job_column is not None:
        jobs = src.jobs if src.jobs is not None else src.frame[job_column].to_numpy()[src.rows]
        out[job_column] = pd.Series(jobs, dtype=object).astype(str)
    return out


def _counts(src: _Source, data: pd.DataFrame, plan: _Design) -> dict[str, Any]:
    per_unit = data.groupby("cf_unit", sort=True)
    out = {**src.counts, "units": len(src.rows), "variants": len(data)}
    if "pronouns" in plan.signals:
        out["units_with_pronouns"] = int((per_unit["cf_pronouns"].max() > 0).sum())
    if "gendered_words" in plan.signals:
        out["units_with_gendered_words"] = int((per_unit["cf_gendered_words"].max() > 0).sum())
    return out


def _surname_text(plan: _Design) -> str:
    if "race" in plan.dims:
        return "drawn from the 2010 Census list of the signalled race"
    if "race" in plan.hold:
        return f"one per resume from the {plan.hold['race']} list, the same in its variants"
    return "unchanged"


def configuration(
    plan: _Design,
    text_column: str,
    name_columns: Sequence[str | None],
    replicates: int,
    seed: int,
) -> dict[str, Any]:
    """How the variants were made, for the provenance."""
    name_column, first_column, last_column = name_columns
    unsignalled = {}
    if "race" not in plan.dims:
        unsignalled["race"] = plan.hold.get(
            "race", "not signalled: first names from the race-neutral list, surnames unchanged"
        )
    if "sex" not in plan.dims:
        unsignalled["sex"] = plan.hold.get("sex", "drawn once per resume, the same in its variants")
    return {
        "attributes": list(plan.attributes),
        "groups": [" / ".join(g) for g in plan.groups],
        "signals": list(plan.signals),
        "names_source": plan.source,
        "surnames": _surname_text(plan),
        "unsignalled": unsignalled,
        "text_column": text_column,
        "name_column": name_column,
        "first_name_column": first_column,
        "last_name_column": last_column,
        "replicates": replicates,
        "seed": seed,
    }
