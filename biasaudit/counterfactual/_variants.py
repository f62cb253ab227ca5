"""Name-swap variants: the same resume, with a name (and other signals) of another group.

:func:`make_variants` turns every resume into one variant per signalled group (race x
sex by default), each differing from the others only in the name drawn from that
group's list (``datasets/first_names.csv``, ``datasets/surnames.csv``) and, when asked,
in pronouns, gendered words and an affinity-group line. Every variant keeps its source
resume's id, so the variants of one resume can be compared pairwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from biasaudit._validation import Interval, validate_params
from biasaudit.counterfactual._design import (
    SIGNALS,
    VARIANT_CONSTRAINTS,
    _Design,
    design,
)
from biasaudit.counterfactual._render import NameDrawer, matcher_columns, variant_frame
from biasaudit.counterfactual._sources import _Source, prepare
from biasaudit.matchers._engine import to_pandas

__all__ = ["SIGNALS", "Variants", "make_variants"]


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
