"""Drawing names per group and writing them (and the other signals) into the resumes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from biasaudit.counterfactual._design import _GENERAL, _SEXES, BOOKKEEPING, _Design
from biasaudit.counterfactual._signals import affinity_text, swap_gendered_words, swap_pronouns
from biasaudit.counterfactual._sources import _plain, _Source
from biasaudit.synth import first_names, surnames


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
