"""The scoring design: every variant scored, groups compared resume by resume.

:func:`name_swap_audit` scores one variant per signalled group of every resume, then
compares each group with a reference group on the same resumes (paired score
differences, their intervals and tests, selection flips at the decision rule) and runs
:func:`biasaudit.audit` on the variants for the group selection tables.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit import decisions as D
from biasaudit._validation import instance_of, validate_params
from biasaudit.audit import audit
from biasaudit.counterfactual import _format as F
from biasaudit.counterfactual import _messages as M
from biasaudit.counterfactual._common import (
    attach,
    clean,
    job_plan,
    parse_reference,
    resolve_inputs,
    subsets,
)
from biasaudit.counterfactual._design import VARIANT_CONSTRAINTS, design
from biasaudit.counterfactual._scoring import (
    describe_matcher,
    is_rank_mode,
    resolve_matcher,
    score_rows,
)
from biasaudit.counterfactual._sources import cross_jobs, prepare
from biasaudit.counterfactual._stats import (
    STATS_CONSTRAINTS,
    flip_statistics,
    min_pairs,
    paired_statistics,
)
from biasaudit.counterfactual._variants import Variants, build
from biasaudit.decisions import make_rule
from biasaudit.metrics.significance import CORRECTION, adjust_pvalues, wilson_interval

__all__ = ["compare_groups", "cutoffs", "name_swap_audit"]

SCORE_COLUMN = "cf_score"
SELECTED_COLUMN = "cf_selected"
REFERENCE = "reference group"
INSUFFICIENT = "insufficient data"
IDENTICAL = "identical scores"
LOWER = "scored lower than the reference (significant)"
HIGHER = "scored higher than the reference (significant)"
NOT_SIGNIFICANT = "no significant difference"


# -- decision rule -----------------------------------------------------------------------
def _rule(
    threshold: float | None, top_k: int | None, top_fraction: float | None, per_job: bool
) -> dict[str, Any] | None:

    if threshold is None and top_k is None and top_fraction is None:
        return None
    rule = make_rule(threshold=threshold, top_k=top_k, top_fraction=top_fraction, per_job=per_job)
    return dict(rule.describe())


def describe_rule(rule: dict[str, Any] | None, job: str | None) -> str:
    """Plain words for the decision rule."""
    if rule is None:
        return "no decision rule"
    if rule["rule"] == "threshold":
        return f"selected when the score is at least {rule['threshold']:g}"
    where = "of its job" if job is not None else "of the pool"
    if rule["rule"] == "top_k":
        return f"selected when among the best {rule['k']} {where}"
    scope = where if rule.get("per_job") else "of the pool"
    return f"selected when among the best {rule['fraction']:.0%} {scope}"


def cutoffs(
    original: np.ndarray | None, unit_jobs: np.ndarray | None, rule: dict[str, Any]
) -> np.ndarray:
    """The score each unit needs to be selected, the other applicants being unchanged.

    With a threshold it is the threshold. With top-k (per job) or top fraction it is
    the k-th best original score among the *other* applicants of the job (their
    resumes as they are, with their own names); a unit whose job has fewer than k
    other applicants is always selected. A variant scoring exactly the cut-off is
    selected (ties go to the candidate).

    Examples
    --------
    >>> cutoffs(np.array([5.0, 3.0, 9.0, 1.0]), None, {"rule": "top_k", "k": 2})
    array([3., 5., 3., 5.])
    """
    if rule["rule"] == "threshold":
        sized = unit_jobs if unit_jobs is not None else original
        assert sized is not None  # the threshold rule needs the scores or the units' jobs
        return np.full(len(sized), float(rule["threshold"]))
    assert original is not None  # only the threshold rule goes without the scores
    by_job = rule["rule"] == "top_k" or bool(rule.get("per_job"))
    strata = unit_jobs if (by_job and unit_jobs is not None) else np.zeros(len(original))
    out = np.empty(len(original))
    for value in pd.unique(strata):
        idx = np.flatnonzero(strata == value)
        n = len(idx)
        k = int(rule["k"]) if rule["rule"] == "top_k" else math.ceil(rule["fraction"] * n)
        order = np.argsort(-original[idx], kind="stable")
        ranked = original[idx][order]
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        if n - 1 < k:
            out[idx] = -np.inf
            continue
        out[idx] = np.where(position < k, ranked[min(k, n - 1)], ranked[k - 1])
    return out


# -- comparisons ---------------------------------------------------------------------------
def _reference_index(keys: list[tuple], means: np.ndarray, attrs: list[str], spec: dict) -> int:
    if all(a in spec for a in attrs):
        return keys.index(tuple(spec[a] for a in attrs))
    return int(np.nanargmax(means))


def compare_groups(
    scores: np.ndarray,
    groups: Sequence[tuple[str, ...]],
    attributes: Sequence[str],
    *,
    reference: Mapping[str, str] | None = None,
    selected: np.ndarray | None = None,
    correction: str = "holm",
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Paired comparisons of every group with the reference, per attribute and crossed.

    Parameters
    ----------
    scores : array, shape (units, groups)
        Each unit's score with each group's variant.
    groups : sequence of tuple
        The signalled groups (columns of ``scores``).
    attributes : sequence of str
        Signalled attributes. Each alone is compared on the mean of a unit's
        variants in that attribute's group; all crossed, on the variants themselves.
    reference : mapping, optional
        Stated reference (``{"race": "White"}``) for each table whose attributes it
        names; otherwise the group with the highest mean score.
    selected : array of bool, shape (units, groups), optional
        Selection of each variant, for the flip rates (crossed table only).
    correction, alpha, confidence
        Multiple-testing correction over all comparisons (each test family
        separately), significance level, interval confidence.

    Returns
    -------
    tuple of (list of dict, list of dict)
        Comparison records (one per table and group, the reference included) and flip
        records (one per group of the crossed table, then ``"any group"``).

    Examples
    --------
    >>> s = np.array([[1.0, 0.5], [2.0, 1.0], [1.5, 1.5]])
    >>> rows, _ = compare_groups(s, [("F",), ("M",)], ["sex"])
    >>> [(r["group"], r["reference"], r["mean_difference"]) for r in rows]
    [('F', 'F', 0.0), ('M', 'F', -0.5)]
    """
    spec = dict(reference or {})
    records: list[dict[str, Any]] = []
    flips: list[dict[str, Any]] = []
    for subset in subsets(attributes):
        attrs = [attributes[j] for j in subset]
        keys = list(dict.fromkeys(tuple(g[j] for j in subset) for g in groups))
        member = np.array([[tuple(g[j] for j in subset) == k for g in groups] for k in keys])
        unit_means = scores @ member.T / member.sum(axis=1)
        ref = _reference_index(keys, unit_means.mean(axis=0), attrs, spec)
        for i, key in enumerate(keys):
            stats = paired_statistics(unit_means[:, i] - unit_means[:, ref], confidence)
            records.append(
                {
                    "attributes": attrs,
                    "group": " / ".join(key),
                    "reference": " / ".join(keys[ref]),
                    "is_reference": i == ref,
                    "mean_score": float(unit_means[:, i].mean()),
                    **stats,
                }
            )
        if len(subset) == len(attributes) and selected is not None:
            flips = _flips(selected, keys, ref, confidence)
    _adjust(records, ["wilcoxon_p", "sign_p"], correction)
    _adjust(flips[:-1] if flips else [], ["mcnemar_p"], correction)
    n_min = min_pairs(alpha)
    for record in records:
        record["verdict"] = _verdict(record, alpha, n_min)
    return records, flips


def _flips(selected: np.ndarray, keys: list[tuple], ref: int, confidence: float) -> list[dict]:
    out = []
    for i, key in enumerate(keys):
        stats = flip_statistics(selected[:, i], selected[:, ref], confidence)
        out.append({"group": " / ".join(key), "is_reference": i == ref, **stats})
    changed = selected.min(axis=1) != selected.max(axis=1)
    n = len(changed)
    low, high = wilson_interval(np.array([changed.sum()]), np.array([n]), confidence)
    out.append(
        {
            "group": "any group",
            "is_reference": False,
            "n": n,
            "flips": int(changed.sum()),
            "flip_rate": float(changed.mean()) if n else math.nan,
            "flip_rate_ci": (float(low[0]), float(high[0])),
        }
    )
    return out


def paired_findings(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The significant paired differences (after correction) as findings of the audit.

    They lead: the same resume scored differently for a different name is the
    direct evidence a name-swap audit exists to find, and the group tables over
    the variants (an unpaired comparison) can miss it.

    Examples
    --------
    >>> rec = {"attributes": ["race"], "group": "Black", "reference": "White",
    ...        "is_reference": False, "verdict": LOWER, "mean_difference": -0.05,
    ...        "mean_ci": (-0.06, -0.04), "lower": 400, "higher": 0, "n": 400,
    ...        "wilcoxon_p_adjusted": 1e-9}
    >>> paired_findings([rec])[0]["message"][:60]
    'name swap: race = Black scored lower than White on the same '
    """
    out = []
    for r in records:
        if r["verdict"] not in (LOWER, HIGHER):
            continue
        word = "lower" if r["verdict"] == LOWER else "higher"
        low, high = r["mean_ci"]
        out.append(
            {
                "check": "counterfactual_paired",
                "attribute": list(r["attributes"]),
                "group": r["group"].split(" / "),
                "metric": "mean_score_difference",
                "value": clean(r["mean_difference"]),
                "threshold": 0.0,
                "p_value_adjusted": clean(r["wilcoxon_p_adjusted"]),
                "verdict": r["verdict"],
                "message": (
                    f"name swap: {' x '.join(r['attributes'])} = {r['group']} scored {word} "
                    f"than {r['reference']} on the same resume: mean difference "
                    f"{r['mean_difference']:+.3g} [{low:+.3g}, {high:+.3g}], {r['lower']} of "
                    f"{r['n']} lower and {r['higher']} higher, adjusted p = "
                    f"{r['wilcoxon_p_adjusted']:.3g}"
                ),
            }
        )
    return out


def _adjust(records: list[dict[str, Any]], keys: list[str], correction: str) -> None:
    tested = [r for r in records if not r["is_reference"]]
    for key in keys:
        adjusted = adjust_pvalues(np.array([r[key] for r in tested], dtype=float), correction)
        for record, value in zip(tested, adjusted):
            record[f"{key}_adjusted"] = float(value)
        for record in records:
            record.setdefault(f"{key}_adjusted", math.nan)


def _verdict(record: dict[str, Any], alpha: float, n_min: int) -> str:
    if record["is_reference"]:
        return REFERENCE
    nonzero = record["higher"] + record["lower"]
    if record["n"] > 0 and nonzero == 0:
        return IDENTICAL
    if nonzero < n_min:
        return INSUFFICIENT
    p = record["wilcoxon_p_adjusted"]
    if not (np.isfinite(p) and p < alpha):
        return NOT_SIGNIFICANT
    direction = record["mean_difference"] or record["median_difference"]
    return LOWER if direction < 0 else HIGHER


# -- section ---------------------------------------------------------------------------------
def _headline(records: list[dict[str, Any]], flips: list[dict[str, Any]], unit: str) -> str:
    """One sentence with the result: significant differences, largest gap, flips."""
    tested = [r for r in records if not r["is_reference"]]
    hits = [r for r in tested if r["verdict"] in (LOWER, HIGHER)]
    if hits:
        worst = min(hits, key=lambda r: r["mean_difference"])
        text = (
            f"Result: {len(hits)} of {len(tested)} comparisons show a significant score "
            f"difference after correction; the largest drop is {worst['group']} against "
            f"{worst['reference']}, mean {F.signed(worst['mean_difference'])} "
            f"{F.interval(worst['mean_ci'])}."
        )
    elif all(r["verdict"] == IDENTICAL for r in tested):
        text = "Result: the matcher gave every variant of each resume the same score."
    else:
        text = "Result: no comparison shows a significant score difference after correction."
    if flips:
        total = flips[-1]
        text += (
            f" The name changed the selection of {total['flips']} of {total['n']} {unit} "
            f"({F.pct(total['flip_rate'])} {F.pct_interval(total['flip_rate_ci'])})."
        )
    return text


def _notes(variants: Variants, context: dict[str, Any]) -> list[str]:
    counts, config = variants.counts, variants.configuration
    unit = "resume-job pairs" if counts.get("jobs_per_resume") else "resumes"
    notes = [
        _headline(context["records"], context["flips"], unit),
        f"{counts['units']} {unit}, {counts['variants']} variants: one per signalled group "
        f"({len(variants.groups)} groups), identical except for the "
        f"{', '.join(config['signals'])} signal(s); first names from the "
        f"{config['names_source']} lists, surnames: {config['surnames']}.",
        "A difference is a group's variant minus the reference group's variant of the same "
        "resume: negative means the group's name lowered the score; 'identical scores' means "
        "every paired difference is 0. The reference is the group with the highest mean score "
        "unless one was stated; a reference chosen from the data makes the tests somewhat "
        "anti-conservative, so state it (reference=...) for a confirmatory test.",
        "Mean difference with a t interval; median difference with the exact distribution-free "
        "interval from two order statistics (coverage at least the stated level; the achieved "
        "coverage is in the JSON); Wilcoxon signed-rank test with Pratt's treatment of zero "
        "differences (ranked, then dropped), p-value as scipy.stats.wilcoxon method='auto'; "
        f"exact sign test on the non-zero differences. {context['correction_text']}",
        f"With fewer than {context['n_min']} non-zero differences no test can reach "
        f"alpha = {context['alpha']:g}: such groups read '{INSUFFICIENT}'.",
        "The tests compare these name lists; they speak for other names only as far as the "
        "lists represent their groups.",
    ]
    if context["rule"] is not None:
        notes.append(
            f"Flips: a resume flips when its selection ({context['rule_text']}) differs between "
            "the group's variant and the reference group's. For top-k and top-fraction rules the "
            "other applicants keep their own resumes and names; ties at the cut-off go to the "
            "candidate. Exact McNemar test on the flips in each direction; Wilson intervals."
        )
    else:
        notes.append("No decision rule was given, so no selection flips were computed.")
    if counts["dropped_without_name"]:
        notes.append(
            f"{counts['dropped_without_name']} of {counts['resumes']} resumes were left out "
            f"because their text does not contain their name (first ids: "
            f"{counts['dropped_ids'][:5]})."
        )
    for signal, key in (("Pronouns", "pronouns"), ("Gendered words", "gendered_words")):
        if key in config["signals"]:
            notes.append(
                f"{signal} were found and swapped in {counts[f'units_with_{key}']} of "
                f"{counts['units']} {unit}; in the others this signal is absent."
            )
    return notes


def _section(
    variants: Variants,
    records: list[dict[str, Any]],
    flips: list[dict[str, Any]],
    configuration: dict[str, Any],
    context: dict[str, Any],
) -> dict[str, Any]:
    return clean(
        {
            "kind": "counterfactual",
            "design": "score",
            "configuration": configuration,
            "counts": variants.counts,
            "notes": _notes(variants, context),
            "comparisons": records,
            "flips": flips,
        }
    )


# -- public ---------------------------------------------------------------------------------
@validate_params(
    {
        **VARIANT_CONSTRAINTS,
        **D.RULE_CONSTRAINTS,
        **STATS_CONSTRAINTS,
        "correction": [CORRECTION],
        "progress": [None, instance_of(bool)],
    }
)
def name_swap_audit(
    data: Any,
    *,
    matcher: Any,
    matcher_options: Mapping[str, Any] | None = None,
    jobs: Any = None,
    job: str | None = None,
    text_column: str | None = None,
    name_column: str | None = None,
    first_name_column: str | None = None,
    last_name_column: str | None = None,
    id: str | None = None,
    groups: Sequence[str] | str = ("race", "sex"),
    signals: Sequence[str] | str = ("name",),
    include: Mapping[str, Sequence[str]] | None = None,
    hold: Mapping[str, str] | None = None,
    source: str = "census2020",
    reference: Any = None,
    threshold: float | None = None,
    top_k: int | None = None,
    top_fraction: float | None = None,
    per_job: bool = False,
    on_missing: str = "raise",
    affinity_lines: Mapping[str, Mapping[str, str | None]] | None = None,
    cache: Any = None,
    progress: bool | None = None,
    correction: str = "holm",
    alpha: float = 0.05,
    confidence: float = 0.95,
    seed: int = 0,
    metadata: Mapping[str, Any] | None = None,
) -> Any:
    """Name-swap audit, scoring design: the same resumes, only the signalled group changed.

    Every resume gets one variant per signalled group (see
    :func:`~biasaudit.counterfactual.make_variants`); the matcher scores every variant
    (through :func:`biasaudit.matchers.score_candidates`, so a ``cache`` makes reruns
    cheap); each group is compared with a reference group on the same resumes.

    Parameters
    ----------
    data : DataFrame, pyarrow.Table, str, Path or SyntheticPool
        Resumes, one per row (a :class:`~biasaudit.synth.SyntheticPool` brings its
        text, name and job columns and its postings).
    matcher : str, Matcher or callable
        A registry name (``"tfidf"``, ...; a name-based matcher reads ``text_column``),
        a matcher object or a function ``f(candidates, job)``. It sees the resume's own
        columns, rewritten, never the signalled groups.
    matcher_options : mapping, optional
        Options of a matcher given by name.
    jobs : Job, list, str or Path, optional
        Postings; with several and no ``job`` column every resume is scored for
        every job and the compared unit is a resume-job pair.
    job : str, optional
        Column naming each resume's job.
    text_column, name_column, first_name_column, last_name_column, id
        See :func:`~biasaudit.counterfactual.make_variants`.
    groups, signals, include, hold, source, on_missing, affinity_lines, seed
        See :func:`~biasaudit.counterfactual.make_variants`.
    reference : str, tuple or mapping, optional
        Reference group (``"White / Male"`` or ``{"race": "White"}``); default: the
        group with the highest mean score in each table.
    threshold, top_k, top_fraction, per_job
        Decision rule for selection and flip rates: ``score >= threshold``, the best
        ``top_k`` of each job, or the best ``top_fraction`` of the pool (of each job
        with ``per_job``); for the last two, the other applicants keep their original
        resumes. None: scoring-rate tables only, no flips.
    cache : str or Path, optional
        Score cache directory.
    progress : bool, optional
        Force the scoring progress bar on or off.
    correction : {"holm", "bh", "none"}
        Correction over the comparisons (each test family separately), and in the
        audit's group tables.
    alpha, confidence : float
        Significance level and interval confidence.
    metadata : mapping, optional
        Facts for the provenance and the report (title, data source, ...).

    Returns
    -------
    AuditResult
        Group tables over the signalled groups (:func:`biasaudit.audit` on the
        variants), with ``sections["counterfactual"]``: ``kind``, ``design``
        (``"score"``), ``configuration``, ``counts``, ``tables`` (display rows),
        ``notes``, ``comparisons`` and ``flips`` (the numbers).

    Examples
    --------
    >>> from biasaudit.synth import first_names, make_pool
    >>> pool = make_pool(60, jobs=1, seed=3)
    >>> black = first_names("Black or African American", "Female")
    >>> penalty = lambda c, job: c["years_experience"] - 2.0 * c["first_name"].isin(black)
    >>> result = name_swap_audit(pool, matcher=penalty, groups="race", hold={"sex": "Female"},
    ...                          include={"race": ["White", "Black or African American"]},
    ...                          threshold=8, seed=1)
    >>> row = result.sections["counterfactual"]["comparisons"][1]
    >>> row["group"], row["reference"], row["verdict"]
    ('Black or African American', 'White', 'scored lower than the reference (significant)')
    """
    plan = design(groups, signals=signals, include=include, hold=hold, source=source)
    rule = _rule(threshold, top_k, top_fraction, per_job)
    inputs = resolve_inputs(
        data,
        text_column=text_column,
        name_column=name_column,
        first_name_column=first_name_column,
        last_name_column=last_name_column,
        jobs=jobs,
        job=job,
        id=id,
    )
    built = resolve_matcher(matcher, matcher_options, inputs.text_column)
    if is_rank_mode(built):
        raise E.ValidationError(M.RANK_MATCHER_IN_SCORE_DESIGN.format(matcher=built.name))
    variants, job_list, src = _variants(inputs, plan, on_missing, affinity_lines, seed)
    spec = parse_reference(reference, plan.attributes, plan.groups)
    frame = variants.data
    ids = frame["cf_variant_id"].tolist()
    scores, scoring = score_rows(
        built,
        frame,
        variants.matcher_columns,
        jobs=job_list,
        job_column=variants.job_column,
        ids=ids,
        cache=cache,
        progress=progress,
    )
    S = scores.reshape(len(variants.units), len(plan.groups))
    selected, originals = _select(built, src, variants, rule, S, job_list, cache, progress)
    records, flips = compare_groups(
        S,
        plan.groups,
        plan.attributes,
        reference=spec,
        selected=selected,
        correction=correction,
        alpha=alpha,
        confidence=confidence,
    )
    context = {
        "rule": rule,
        "rule_text": describe_rule(rule, variants.job_column),
        "alpha": alpha,
        "n_min": min_pairs(alpha),
        "correction_text": _correction_text(correction, records),
        "records": records,
        "flips": flips,
    }
    configuration = {
        **variants.configuration,
        "design": "score",
        "reference": spec or "highest mean score",
        "decision": rule,
        "decision_text": context["rule_text"],
        "job_column": variants.job_column,
        "matcher": describe_matcher(built),
        "scoring": {**scoring, **({"originals": originals} if originals else {})},
        "correction": correction,
        "alpha": alpha,
        "confidence": confidence,
        "methods": _methods(),
    }
    _warn_insufficient(records)
    section = _section(variants, records, flips, configuration, context)
    result = _audit(frame, scores, selected, variants, spec, configuration, metadata, context)
    return attach(result, section, paired_findings(records))


def _variants(
    inputs: Any, plan: Any, on_missing: str, affinity_lines: Any, seed: int
) -> tuple[Variants, Any, Any]:
    job_list, crossed, job_column = job_plan(inputs)
    src = prepare(
        inputs.frame,
        text_column=inputs.text_column,
        name_column=inputs.name_column,
        first_name_column=inputs.first_name_column,
        last_name_column=inputs.last_name_column,
        id_column=inputs.id,
        on_missing=on_missing,
        need_name="name" in plan.signals,
    )
    if crossed:
        src = cross_jobs(src, crossed)
    variants = build(
        src,
        plan,
        replicates=1,
        text_column=inputs.text_column,
        name_columns=(inputs.name_column, inputs.first_name_column, inputs.last_name_column),
        job_column=job_column,
        affinity_lines=affinity_lines,
        seed=seed,
    )
    return variants, job_list, src


def _select(
    matcher: Any,
    src: Any,
    variants: Variants,
    rule: dict[str, Any] | None,
    S: np.ndarray,
    job_list: Any,
    cache: Any,
    progress: bool | None,
) -> tuple[np.ndarray | None, dict[str, Any] | None]:
    """Selection of every variant under the rule (others' original resumes for top-k)."""
    if rule is None:
        return None, None
    job_column = variants.job_column
    unit_jobs = variants.units[job_column].to_numpy() if job_column else None
    if rule["rule"] == "threshold":
        return cutoffs(None, np.zeros(len(S)), rule)[:, None] <= S, None
    originals = src.frame.iloc[src.rows].reset_index(drop=True)
    if src.jobs is not None:
        originals[job_column] = src.jobs
    columns = [c for c in variants.matcher_columns if c in originals.columns]
    ids = variants.units["cf_source_id"].tolist()
    scores, info = score_rows(
        matcher,
        originals,
        columns,
        jobs=job_list,
        job_column=job_column,
        ids=ids,
        cache=cache,
        progress=progress,
    )
    return cutoffs(scores, unit_jobs, rule)[:, None] <= S, info


def _correction_text(correction: str, records: list[dict[str, Any]]) -> str:
    m = sum(not r["is_reference"] for r in records)
    name = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no"}[correction]
    return (
        f"p-values carry the {name} correction over the {m} comparisons of these tables, each "
        "test (Wilcoxon, sign, McNemar) as its own family."
    )


def _methods() -> dict[str, str]:
    return {
        "mean_difference_ci": "t interval",
        "median_difference_ci": "exact order-statistic interval (binomial; coverage >= level)",
        "wilcoxon": "scipy.stats.wilcoxon, zero_method='pratt', method='auto'",
        "sign_test": "scipy.stats.binomtest on the non-zero differences, two-sided",
        "flip_rate_ci": "Wilson score interval",
        "mcnemar": "exact (binomial test of lost among flips), two-sided",
    }


def _warn_insufficient(records: list[dict[str, Any]]) -> None:
    short = [r["group"] for r in records if r["verdict"] == INSUFFICIENT]
    if short:
        warnings.warn(
            f"Name swap: too few non-zero paired differences to test {short}; "
            f"they read '{INSUFFICIENT}'.",
            E.InsufficientDataWarning,
            stacklevel=3,
        )


def _audit(
    frame: pd.DataFrame,
    scores: np.ndarray,
    selected: np.ndarray | None,
    variants: Variants,
    spec: dict[str, str],
    configuration: dict[str, Any],
    metadata: Mapping[str, Any] | None,
    context: dict[str, Any],
) -> Any:
    """:func:`biasaudit.audit` on the variants: group tables over the signalled groups."""

    table = frame.copy(deep=False)
    table[SCORE_COLUMN] = scores
    if selected is not None:
        table[SELECTED_COLUMN] = selected.reshape(-1).astype(np.int8)
    counts = variants.counts
    facts = {
        "title": "Name-swap counterfactual audit",
        "data_type": "test",
        "data_source": (
            f"Name-swap variants of {counts['kept']} resumes ({counts['variants']} variants, "
            f"signals: {', '.join(variants.configuration['signals'])}); "
            f"decision: {context['rule_text']}."
        ),
        **dict(metadata or {}),
        "counterfactual": clean(configuration),
    }
    return audit(
        table,
        attributes=list(variants.attributes),
        score=SCORE_COLUMN,
        selected=SELECTED_COLUMN if selected is not None else None,
        job=variants.job_column,
        id="cf_variant_id",
        reference_group=spec or None,
        correction=configuration["correction"],
        alpha=configuration["alpha"],
        confidence=configuration["confidence"],
        metadata=facts,
    )
