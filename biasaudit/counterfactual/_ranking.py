"""The ranking design: equally qualified resumes, one per group, ranked many times.

As in Bloomberg's 2024 audit of GPT resume ranking: for each set of equally qualified
resumes (copies of one resume, or a set the user names), every ranking assigns the
signalled groups to the resumes at random, draws fresh names, shuffles the order in
which the resumes are presented, and asks the matcher to rank them (by score, or an
``llm`` matcher in ``mode="rank"``). The outcome is how often each group is ranked
first, against the equal share a fair ranker would give.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from biasaudit import _errors as E
from biasaudit._validation import Interval, instance_of, validate_params
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
from biasaudit.counterfactual._render import NameDrawer, matcher_columns, variant_frame
from biasaudit.counterfactual._scoring import (
    describe_matcher,
    is_rank_mode,
    resolve_matcher,
    score_rows,
)
from biasaudit.counterfactual._sources import cross_jobs, prepare
from biasaudit.counterfactual._stats import STATS_CONSTRAINTS
from biasaudit.metrics.significance import katz_ratio_ci, wilson_interval

__all__ = ["first_place_statistics", "goodness_of_fit", "rank_swap_audit", "rank_within"]

FIRST_COLUMN = "cf_first"
MIN_EXPECTED = 5


def rank_within(
    scores: np.ndarray, ranking: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """Rank (1 is best) of each row within its ranking; ties broken at random.

    Returns
    -------
    tuple of (array of int, int)
        The ranks and the number of rankings whose best score is tied.

    Examples
    --------
    >>> rank_within(np.array([0.2, 0.9, 0.5, 1.0, 3.0]), np.array([0, 0, 0, 1, 1]),
    ...             np.random.default_rng(0))
    (array([3, 1, 2, 2, 1]), 0)
    """
    noise = rng.random(len(scores))
    order = np.lexsort((noise, -scores, ranking))
    ranks = np.empty(len(scores), dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(ranking[order])) + 1]
    sizes = np.diff(np.r_[starts, len(order)])
    ranks[order] = np.arange(len(order)) - np.repeat(starts, sizes) + 1
    best = scores[order][starts]
    second = np.where(sizes > 1, scores[order][np.minimum(starts + 1, len(order) - 1)], -np.inf)
    return ranks, int((best == second).sum())


def goodness_of_fit(counts: np.ndarray, expected_share: np.ndarray) -> dict[str, Any]:
    """Chi-square goodness-of-fit of counts against expected shares.

    ``p_value`` is NaN (insufficient data) when an expected count is under 5, where the
    chi-square approximation is not trusted.

    Examples
    --------
    >>> g = goodness_of_fit(np.array([30, 10]), np.array([0.5, 0.5]))
    >>> g["statistic"], g["df"], round(g["p_value"], 5)
    (10.0, 1, 0.00157)
    """
    counts = np.asarray(counts, dtype=np.float64)
    expected = np.asarray(expected_share, dtype=np.float64) * counts.sum()
    df = len(counts) - 1
    if counts.sum() == 0 or np.min(expected) < MIN_EXPECTED:
        nan = math.nan
        return {"statistic": nan, "df": df, "p_value": nan, "min_expected": float(expected.min())}
    result = stats.chisquare(counts, f_exp=expected)
    return {
        "statistic": float(result.statistic),
        "df": df,
        "p_value": float(result.pvalue),
        "min_expected": float(expected.min()),
    }


def first_place_statistics(
    wins: np.ndarray,
    appearances: np.ndarray,
    confidence: float = 0.95,
    reference: int | None = None,
) -> list[dict[str, Any]]:
    """Rate of being ranked first per group, with Wilson and Katz intervals.

    Parameters
    ----------
    wins, appearances : array of int
        Rankings each group won, and rankings it appeared in.
    confidence : float
        Interval confidence.
    reference : int, optional
        Index of the comparison group; default the highest rate.

    Examples
    --------
    >>> rows = first_place_statistics(np.array([30, 10]), np.array([40, 40]))
    >>> [(r["rate"], round(r["impact_ratio"], 4)) for r in rows]
    [(0.75, 1.0), (0.25, 0.3333)]
    """
    wins = np.asarray(wins, dtype=np.float64)
    appearances = np.asarray(appearances, dtype=np.float64)
    rates = np.where(appearances > 0, wins / np.maximum(appearances, 1), np.nan)
    ref = int(np.nanargmax(rates)) if reference is None else reference
    low, high = wilson_interval(wins, appearances, confidence)
    n = len(wins)
    k_low, k_high = katz_ratio_ci(
        wins, appearances, np.full(n, wins[ref]), np.full(n, appearances[ref]), confidence
    )
    ratio = rates / rates[ref] if rates[ref] > 0 else np.full(n, np.nan)
    return [
        {
            "is_reference": i == ref,
            "rankings": int(appearances[i]),
            "ranked_first": int(wins[i]),
            "rate": float(rates[i]),
            "rate_ci": (float(low[i]), float(high[i])),
            "impact_ratio": float(ratio[i]),
            "impact_ratio_ci": (float(k_low[i]), float(k_high[i])),
        }
        for i in range(n)
    ]


# -- the rankings ------------------------------------------------------------------------
def _sets(src: Any, frame: pd.DataFrame, set_column: str | None, job_column: str | None, G: int):
    """Units of each set: copies of one resume, or the ``G`` resumes of a named set."""
    n = len(src.rows)
    if set_column is None:
        return [np.full(G, u) for u in range(n)], [str(u) for u in range(n)]
    if set_column not in frame.columns:
        raise E.ValidationError(
            E.MISSING_COLUMN.format(column=set_column, present=list(frame.columns), role="set")
        )
    labels = frame[set_column].astype(str).to_numpy()[src.rows]
    keys = labels if src.jobs is None else np.array([f"{s}@{j}" for s, j in zip(labels, src.jobs)])
    members = {k: np.flatnonzero(keys == k) for k in dict.fromkeys(keys)}
    wrong = {k: len(v) for k, v in members.items() if len(v) != G}
    if wrong:
        examples = dict(list(wrong.items())[:3])
        raise E.ValidationError(
            M.SET_SIZE.format(column=set_column, count=len(wrong), size=G, examples=examples)
        )
    if job_column is not None and src.jobs is None:
        jobs = frame[job_column].astype(str).to_numpy()[src.rows]
        mixed = [k for k, v in members.items() if len(set(jobs[v])) > 1]
        if mixed:
            raise E.ValidationError(
                M.SET_SPANS_JOBS.format(column=set_column, count=len(mixed), examples=mixed[:3])
            )
    return list(members.values()), list(members)


def _requests(sets: list[np.ndarray], G: int, rounds: int, rng: np.random.Generator):
    """Per row: unit, group, set index, ranking id and presented position (1-based)."""
    n_rank = len(sets) * rounds
    assign = rng.permuted(np.tile(np.arange(G), (n_rank, 1)), axis=1)  # group of each slot
    shown = rng.permuted(np.tile(np.arange(G), (n_rank, 1)), axis=1)  # slot at each position
    set_index = np.repeat(np.arange(len(sets)), rounds)
    slots = np.stack([sets[s] for s in set_index])  # (rankings, G) units per slot
    rows = np.arange(n_rank)[:, None]
    units = slots[rows, shown].reshape(-1)
    groups = assign[rows, shown].reshape(-1)
    ranking = np.repeat(np.arange(n_rank), G)
    position = np.tile(np.arange(1, G + 1), n_rank)
    return units, groups, np.repeat(set_index, G), ranking, position


def _score(built, frame, columns, job_list, job_column, cache, progress, G):
    ids = frame["cf_variant_id"].tolist()
    if is_rank_mode(built):
        if getattr(built, "shuffle", False):
            raise E.ValidationError(M.RANK_MATCHER_SHUFFLES.format(matcher=built.name))
        return score_rows(
            built,
            frame,
            columns,
            jobs=job_list,
            job_column=job_column,
            ids=ids,
            progress=progress,
            batch_size=G,
            dedupe=False,
        )
    return score_rows(
        built,
        frame,
        columns,
        jobs=job_list,
        job_column=job_column,
        ids=ids,
        cache=cache,
        progress=progress,
    )


# -- statistics and section --------------------------------------------------------------
def _group_rows(frame, plan, spec, confidence) -> tuple[list[dict], list[dict]]:
    """First-place rows per attribute alone and crossed, and their goodness-of-fit tests."""
    first = frame[FIRST_COLUMN].to_numpy() == 1
    n_rankings = int(frame["cf_ranking"].nunique())
    group_index = frame["cf_group_index"].to_numpy()
    ranks = frame["cf_rank"].to_numpy()
    rows, tests = [], []
    for subset in subsets(plan.attributes):
        attrs = [plan.attributes[j] for j in subset]
        keys = list(dict.fromkeys(tuple(g[j] for j in subset) for g in plan.groups))
        key_of = np.array([keys.index(tuple(g[j] for j in subset)) for g in plan.groups])
        k = key_of[group_index]
        wins = np.bincount(k[first], minlength=len(keys))
        per = np.bincount(key_of, minlength=len(keys))  # groups in each key
        appear = per * n_rankings
        ref = keys.index(tuple(spec[a] for a in attrs)) if all(a in spec for a in attrs) else None
        stats_rows = first_place_statistics(wins, appear, confidence, ref)
        mean_rank = np.bincount(k, weights=ranks, minlength=len(keys)) / np.maximum(appear, 1)
        for i, row in enumerate(stats_rows):
            rows.append(
                {
                    "attributes": attrs,
                    "group": " / ".join(keys[i]),
                    "expected_rate": 1 / len(plan.groups),
                    "mean_rank": float(mean_rank[i]),
                    **row,
                }
            )
        fit = goodness_of_fit(wins, per / per.sum())
        tests.append({"test": f"equal first-place shares by {' × '.join(attrs)}", **fit})
    return rows, tests


def _position_rows(frame, G, confidence) -> tuple[list[dict], dict]:
    first = frame[FIRST_COLUMN].to_numpy() == 1
    position = frame["cf_position"].to_numpy()
    wins = np.bincount(position[first] - 1, minlength=G)
    n = int(frame["cf_ranking"].nunique())
    low, high = wilson_interval(wins, np.full(G, n), confidence)
    rows = [
        {
            "position": p + 1,
            "rankings": n,
            "ranked_first": int(wins[p]),
            "rate": wins[p] / n if n else math.nan,
            "rate_ci": (float(low[p]), float(high[p])),
        }
        for p in range(G)
    ]
    fit = goodness_of_fit(wins, np.full(G, 1 / G))
    return rows, {"test": "no position bias (first place uniform over presented positions)", **fit}


def _per_job(frame, job_column, plan) -> list[dict]:
    if job_column is None or frame[job_column].nunique() < 2:
        return []
    out = []
    G = len(plan.groups)
    for job, part in frame.groupby(job_column, sort=True, observed=True):
        first = part[FIRST_COLUMN].to_numpy() == 1
        wins = np.bincount(part["cf_group_index"].to_numpy()[first], minlength=G)
        n = int(part["cf_ranking"].nunique())
        fit = goodness_of_fit(wins, np.full(G, 1 / G))
        rates = {" / ".join(g): wins[i] / n for i, g in enumerate(plan.groups)}
        out.append({"job": str(job), "rankings": n, "rates": rates, **fit})
    return out


def _headline(rows: list[dict], tests: list[dict], alpha: float) -> str:
    """One sentence: do first places differ across the crossed groups, and the extremes."""
    crossed = tests[-2]  # the last attribute table is the crossed one; then the position test
    attrs = max((r["attributes"] for r in rows), key=len)
    mine = [r for r in rows if r["attributes"] == attrs]
    high = max(mine, key=lambda r: r["rate"])
    low = min(mine, key=lambda r: r["rate"])
    p = crossed["p_value"]
    if not np.isfinite(p):
        verdict = "too few rankings to test whether first places differ"
    elif p < alpha:
        verdict = f"first places differ significantly across groups (chi-square p {F.pval(p)})"
    else:
        verdict = f"no significant difference in first places (chi-square p {F.pval(p)})"
    return (
        f"Result: {verdict}; most often first: {high['group']} ({F.pct(high['rate'])}), "
        f"least often: {low['group']} ({F.pct(low['rate'])}, impact ratio "
        f"{F.ratio(low['impact_ratio'])})."
    )


def _notes(counts, config, context) -> list[str]:
    sets = (
        f"sets of {context['G']} resumes named by column {config['set_column']!r}"
        if config["set_column"]
        else f"{context['G']} copies of each resume"
    )
    notes = [
        _headline(context["rows"], context["tests"], context["alpha"]),
        f"{counts['rankings']} rankings: {counts['sets']} sets ({sets}) x {config['rounds']} "
        "rounds. In each round the groups are assigned to the resumes at random, names are "
        "drawn afresh and the presentation order is shuffled; the matcher "
        f"{context['how']}.",
        f"A fair ranker puts each group first in 1/{context['G']} of the rankings. Rates have "
        "Wilson intervals; impact ratios (against the stated group or the highest rate) have "
        "Katz log intervals, which treat the groups as independent samples although their "
        "first places share the same rankings (an approximation).",
        f"Chi-square goodness-of-fit tests (scipy.stats.chisquare) are not corrected for "
        f"multiplicity; a test with an expected count under {MIN_EXPECTED} reads "
        "'insufficient data'.",
        f"Ties for first place were broken at random (seeded): {counts['tied_first']} ranking(s).",
    ]
    if not context["rank_mode"]:
        notes.append(
            "The matcher scores each resume on its own, so presented position cannot affect "
            "it: the position check is a sanity check here. It matters for matchers that see "
            "the whole list (an llm matcher in rank mode)."
        )
    if counts["dropped_without_name"]:
        notes.append(
            f"{counts['dropped_without_name']} of {counts['resumes']} resumes were left out "
            f"because their text does not contain their name (first ids: "
            f"{counts['dropped_ids'][:5]})."
        )
    return notes


# -- public --------------------------------------------------------------------------------


@validate_params(
    {
        **VARIANT_CONSTRAINTS,
        **STATS_CONSTRAINTS,
        "rounds": [Interval(Integral, 1, None, fix="Pass rounds=50 (rankings per set).")],
        "progress": [None, instance_of(bool)],
    }
)
def rank_swap_audit(
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
    set_column: str | None = None,
    rounds: int = 50,
    reference: Any = None,
    on_missing: str = "raise",
    affinity_lines: Mapping[str, Mapping[str, str | None]] | None = None,
    cache: Any = None,
    progress: bool | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    seed: int = 0,
    metadata: Mapping[str, Any] | None = None,
) -> Any:
    """Name-swap audit, ranking design: who is ranked first among equals?

    Each set holds one resume per signalled group: ``G`` copies of one resume (default;
    identical except for the signals) or the ``G`` resumes sharing a ``set_column``
    value (equally qualified resumes the user chose). Every set is ranked ``rounds``
    times; each time the groups are assigned to the resumes at random, names are drawn
    afresh and the order of presentation is shuffled. A pointwise matcher ranks by
    score (ties broken at random, seeded); an ``llm`` matcher in ``mode="rank"`` ranks
    each shortlist itself (pass ``shuffle=false``: this design shuffles and records
    the order; no cache, since its scores depend on the shortlist).

    Parameters
    ----------
    data, matcher, matcher_options, jobs, job
        As for :func:`~biasaudit.counterfactual.name_swap_audit`.
    text_column, name_column, first_name_column, last_name_column, id
        As for :func:`~biasaudit.counterfactual.make_variants`.
    groups, signals, include, hold, source, on_missing
        As for :func:`~biasaudit.counterfactual.make_variants`.
    affinity_lines, cache, progress, seed, metadata
        As for :func:`~biasaudit.counterfactual.name_swap_audit`.
    set_column : str, optional
        Column grouping equally qualified resumes into sets of exactly one per group.
    rounds : int
        Rankings per set.
    reference : str, tuple or mapping, optional
        Comparison group of the impact ratios; default the highest first-place rate.
    alpha, confidence : float
        Significance level of the tests and interval confidence.

    Returns
    -------
    AuditResult
        :func:`biasaudit.audit` on the ranked variants with ``selected`` = ranked
        first, and ``sections["counterfactual"]`` with ``design="rank"``: ``tables``,
        ``notes``, ``first_place``, ``positions``, ``tests`` and ``per_job``.

    Examples
    --------
    >>> import pandas as pd
    >>> resumes = pd.DataFrame({"name": ["Ana Diaz", "Bo Chen"],
    ...                         "cv": ["Ana Diaz, analyst", "Bo Chen, nurse"]})
    >>> ranker = lambda c, job: c["cv"].str.contains("nurse") * 1.0  # blind to names
    >>> result = rank_swap_audit(resumes, matcher=ranker, text_column="cv", name_column="name",
    ...                          groups="sex", hold={"race": "White"}, rounds=100, seed=2)
    >>> [(r["group"], r["ranked_first"]) for r in result.sections["counterfactual"]["first_place"]]
    [('Female', 113), ('Male', 87)]
    """

    plan = design(groups, signals=signals, include=include, hold=hold, source=source)
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
    if is_rank_mode(built) and getattr(built, "shuffle", False):
        raise E.ValidationError(M.RANK_MATCHER_SHUFFLES.format(matcher=built.name))
    spec = parse_reference(reference, plan.attributes, plan.groups)
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
    G = len(plan.groups)
    sets, set_labels = _sets(src, inputs.frame, set_column, job_column, G)
    rng = np.random.default_rng(seed)
    units, gidx, set_index, ranking, position = _requests(sets, G, int(rounds), rng)
    names = NameDrawer(plan, len(src.rows), rng).draw(units, gidx)
    ids = [f"{set_labels[s]}#r{r + 1}.p{p}" for s, r, p in zip(set_index, ranking, position)]
    frame = variant_frame(
        src,
        plan,
        units,
        gidx,
        ranking,
        text_column=inputs.text_column,
        name_columns=(inputs.name_column, inputs.first_name_column, inputs.last_name_column),
        job_column=job_column,
        seed_names=names,
        affinity_lines=affinity_lines,
        variant_ids=ids,
    )
    columns = matcher_columns(frame, plan, job_column)
    scores, scoring = _score(built, frame, columns, job_list, job_column, cache, progress, G)
    ranks, tied = rank_within(scores, ranking, rng)
    frame = frame.rename(columns={"cf_replicate": "cf_ranking"})
    frame["cf_set"] = [set_labels[s] for s in set_index]
    frame["cf_position"] = position
    frame["cf_group_index"] = gidx
    frame["cf_score"] = scores
    frame["cf_rank"] = ranks
    frame[FIRST_COLUMN] = (ranks == 1).astype(np.int8)
    rows, tests = _group_rows(frame, plan, spec, confidence)
    positions, position_test = _position_rows(frame, G, confidence)
    tests.append(position_test)
    per_job = _per_job(frame, job_column, plan)
    counts = {
        **src.counts,
        "units": len(src.rows),
        "sets": len(sets),
        "rankings": len(sets) * int(rounds),
        "rows": len(frame),
        "tied_first": tied,
    }
    configuration = {
        "design": "rank",
        "attributes": list(plan.attributes),
        "groups": [" / ".join(g) for g in plan.groups],
        "signals": list(plan.signals),
        "names_source": plan.source,
        "set_column": set_column,
        "rounds": int(rounds),
        "reference": spec or "highest first-place rate",
        "job_column": job_column,
        "matcher": describe_matcher(built),
        "ranked_by": "the matcher's shortlist ranking" if is_rank_mode(built) else "score",
        "scoring": scoring,
        "alpha": alpha,
        "confidence": confidence,
        "seed": seed,
        "methods": {
            "rate_ci": "Wilson score interval",
            "impact_ratio_ci": "Katz log interval",
            "goodness_of_fit": f"scipy.stats.chisquare; expected counts >= {MIN_EXPECTED}",
            "ties": "broken at random (seeded)",
        },
    }
    context: dict[str, Any] = {
        "G": G,
        "rank_mode": is_rank_mode(built),
        "how": "ranks each shortlist itself"
        if is_rank_mode(built)
        else "scores each resume and the scores are ranked",
    }
    context.update(rows=rows, tests=tests, alpha=alpha)
    _warn(tests)
    section = clean(
        {
            "kind": "counterfactual",
            "design": "rank",
            "configuration": configuration,
            "counts": counts,
            "notes": _notes(counts, configuration, context),
            "first_place": rows,
            "positions": positions,
            "tests": tests,
            "per_job": per_job,
        }
    )
    result = _audit(frame, plan, job_column, spec, configuration, counts, metadata)
    return attach(result, section)


def _warn(tests: list[dict[str, Any]]) -> None:
    short = [t["test"] for t in tests if not np.isfinite(t["p_value"])]
    if short:
        warnings.warn(
            f"Ranking design: too few rankings for {short} (an expected count under "
            f"{MIN_EXPECTED}); they read 'insufficient data'.",
            E.InsufficientDataWarning,
            stacklevel=3,
        )


def _audit(frame, plan, job_column, spec, configuration, counts, metadata) -> Any:

    facts = {
        "title": "Name-swap ranking audit",
        "data_type": "test",
        "data_source": (
            f"{counts['rankings']} rankings of name-swapped resumes ({counts['sets']} sets x "
            f"{configuration['rounds']} rounds); selected = ranked first."
        ),
        **dict(metadata or {}),
        "counterfactual": clean(configuration),
    }
    return audit(
        frame,
        attributes=list(plan.attributes),
        selected=FIRST_COLUMN,
        score="cf_score",
        job=job_column,
        id="cf_variant_id",
        reference_group=spec or None,
        alpha=configuration["alpha"],
        confidence=configuration["confidence"],
        metadata=facts,
    )
