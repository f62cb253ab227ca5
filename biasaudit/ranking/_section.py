"""The ranking section of :func:`biasaudit.audit`: options, roles and the numbers it stores."""

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit.engine._ranking import ranking_input
from biasaudit.pool import CandidatePool
from biasaudit.ranking._audit import rank_audit
from biasaudit.results._ranking import RankingResult

# -- the ranking section of audit() -----------------------------------------------

RANKING_TYPE = (
    "ranking must be True, False or a dict of rank_audit options; got {value!r}. "
    "Pass ranking=True, or e.g. ranking={{'k': (10, 20)}}."
)
RANKING_OPTIONS = (
    "ranking option(s) {names} are not options of rank_audit; options: {allowed}. "
    "Fix the names (the ranking uses the audit's own attributes, job, score or rank, and label)."
)
RANKING_NEEDS_JOB = (
    "A ranking audit needs a job column: each job's candidates form one ranked list; got "
    "job=None. Pass job=COLUMN (on the command line --job COLUMN), or call "
    "biasaudit.rank_audit(...) without a job to rank the whole pool as one list."
)
RANKING_NEEDS_ORDER = (
    "A ranking audit needs an order: got score=None and rank=None. Pass score=COLUMN "
    "(higher is better) or rank=COLUMN (1 is best)."
)
_SECTION_OPTIONS = (
    "alpha",
    "attention",
    "fair_max_length",
    "k",
    "min_share",
    "n_bootstrap",
    "reference_group",
    "rnd_step",
    "seed",
    "target",
)


def ranking_options(
    ranking: Any,
    top_k: int | None = None,
    reference_group: Mapping[str, Any] | None = None,
    min_share: float | None = None,
) -> dict[str, Any] | None:
    """Validate ``audit(ranking=...)``: ``None`` for no ranking, else rank_audit options.

    Without ``k``, the cut-offs are 10 and 20 and the audit's ``top_k`` when it
    has one, so the ranking's top-k table can be read beside the audit's; the
    audit's ``reference_group`` and ``min_share`` are the ranking's too unless the
    options say.

    Examples
    --------
    >>> ranking_options(True, top_k=5)
    {'k': (5, 10, 20)}
    >>> ranking_options({"k": 10, "n_bootstrap": 0})
    {'k': 10, 'n_bootstrap': 0}
    >>> ranking_options(False) is None
    True
    """
    if ranking is None or ranking is False:
        return None
    if ranking is True:
        options: dict[str, Any] = {}
    elif isinstance(ranking, Mapping):
        options = dict(ranking)
    else:
        raise E.ValidationError(RANKING_TYPE.format(value=ranking))
    unknown = sorted(set(options) - set(_SECTION_OPTIONS))
    if unknown:
        raise E.ValidationError(
            RANKING_OPTIONS.format(names=unknown, allowed=list(_SECTION_OPTIONS))
        )
    if "k" not in options:
        options["k"] = tuple(sorted({10, 20, *([int(top_k)] if top_k else [])}))
    if reference_group and "reference_group" not in options:  # the audit's own comparison
        options["reference_group"] = {a: str(g) for a, g in reference_group.items()}
    if min_share is not None and "min_share" not in options:
        options["min_share"] = min_share
    return options


def check_ranking_roles(job: str | None, score: str | None, rank: str | None) -> None:
    """A ranking section needs a job column and an order (score or rank)."""
    if job is None:
        raise E.ValidationError(RANKING_NEEDS_JOB)
    if score is None and rank is None:
        raise E.ValidationError(RANKING_NEEDS_ORDER)


def ranking_section(data: Any, options: Mapping[str, Any], **roles: Any) -> dict[str, Any]:
    """Run :func:`rank_audit` for ``audit(ranking=...)`` and return its section.

    ``data`` is the audit's pool (or an engine's input, read with the engine's
    ranking reader); ``roles`` are ``attributes``, ``job``, ``score``, ``rank``,
    ``label`` (and ``id`` for an engine). The list of each job is ordered by
    ``rank`` when the audit has one, else by ``score``.
    """
    by = {"rank": roles["rank"]} if roles.get("rank") is not None else {"score": roles["score"]}
    if isinstance(data, CandidatePool):
        return section_data(rank_audit(data, attributes=data.attributes, **by, **options))
    table = ranking_input(
        data,
        attributes=roles["attributes"],
        job=roles["job"],
        label=roles.get("label"),
        id=roles.get("id"),
        **by,
    )
    names: dict[str, Any] = {k: roles.get(k) for k in ("attributes", "job", "label")}
    return section_data(rank_audit(table, **names, **by, **options))


def fair_summary(per_job: pd.DataFrame, attribute: str) -> dict[str, dict[str, Any]]:
    """Per group of ``attribute``: jobs tested, failing, and where they first fail."""
    out: dict[str, dict[str, Any]] = {}
    frame = per_job[per_job["attribute"] == attribute]
    for group, rows in frame.groupby("group", sort=False):
        failing = rows.loc[~rows["passed"].astype(bool), "first_failing_prefix"].to_numpy()
        entry: dict[str, Any] = {"tested": len(rows), "failing": len(failing)}
        if len(failing):
            entry["first_failing_prefix_median"] = float(np.median(failing))
            entry["first_failing_prefix_min"] = int(failing.min())
            entry["first_failing_prefix_max"] = int(failing.max())
        out[str(group)] = entry
    return out


def _methods(result: RankingResult) -> list[str]:
    """What was computed and how: the first is a one-line summary of the input."""
    c, f = result.configuration, result.facts
    column, name = next(iter(c["order"].items()))
    how = "descending, ties broken by pool order" if column == "score" else "1 is best"
    divergence, fair, boot = c["rank_divergence"], c["fair"], c["bootstrap"]
    target = " or the stated target share" if c["target"] else ""
    tested = f" (prefixes up to length {fair['max_length']})" if fair["max_length"] else ""
    stated = c.get("comparison_group")
    comparison = (
        "the stated comparison group (" + ", ".join(f"{a} = {g}" for a, g in stated.items()) + ")"
        if isinstance(stated, dict) and stated
        else "the highest group"
    )
    return [
        f"{f['rows']} candidates in {f['jobs']} ranked job list(s), ordered by the {column} "
        f"column {name!r} ({how}); top-k cut-offs {', '.join(str(k) for k in c['k'])}.",
        "Top-k selection: the top k candidates of each job count as selected (the whole list "
        "of a job shorter than k). Selection rates pool the jobs, with Wilson 95% intervals; "
        f"the impact ratio divides by {comparison}'s rate. The Mantel-Haenszel odds ratio "
        "and the Cochran-Mantel-Haenszel p-value compare each group with that group job by "
        "job, because pooling jobs naively can reverse a comparison.",
        f"Exposure: mean position weight {c['exposure_weight']} of the group's members (Singh "
        f"and Joachims 2018). Attention: {c['attention']} (Sapiezynski et al. 2019). Ratios "
        f"divide by {comparison}'s value, so 1.0 is parity."
        + (
            " The disparate treatment ratio compares exposure per unit of mean relevance."
            if c.get("label")
            else ""
        ),
        "Skew@k = ln(the group's top-k count / its expected top-k count), both summed over "
        f"jobs, the expectation from each job's pool share{target} (Geyik et al. 2019): 0 is "
        "proportional, negative is under-represented. MinSkew@k and MaxSkew@k are per job, "
        "averaged over the jobs where they are finite (a group absent from a job's top k makes "
        "its MinSkew minus infinity). NDKL: the KL divergence of each prefix's group shares "
        "from the pool's, discounted by 1/log2(i + 1) and normalised by Z = sum 1/log2(i + 1) "
        "over the job's positions; mean over jobs, 0 is proportional.",
        "rND, rKL and rRD (Yang and Stoyanovich 2017) take each group in turn as the protected "
        f"group, at cut-offs {divergence['cutoffs']}, with discount {divergence['discount']}; "
        "each is divided by its normaliser, the largest value any ranking of the same job can "
        "reach (for rND and rKL one of the two extreme rankings, the protected group all first "
        "or all last; for rRD found over every prefix, since one other candidate among many "
        "protected ones exceeds both extremes), so 0 is no divergence and 1 is the most "
        "divergent ranking possible; mean over the jobs where defined.",
        "FA*IR (Zehlike et al. 2017): a job fails for a group when some prefix of length k "
        "holds fewer of its members than m(k) = binom.ppf(alpha_c, k, p), p the group's share "
        f"of the job{target}, and alpha = {fair['alpha']} adjusted to alpha_c so that a fair "
        f"ranking fails some prefix{tested} with probability alpha.",
        f"Intervals other than Wilson's are percentile bootstrap intervals over jobs "
        f"({boot['draws']} draws, seed {boot['seed']})."
        if boot["draws"]
        else "No bootstrap was run (n_bootstrap=0): only selection rates have intervals.",
    ]


def section_data(result: RankingResult) -> dict[str, Any]:
    """The ``"ranking"`` section of an AuditResult: numbers, facts and notes, no text tables.

    :meth:`RankingResult.to_dict` (every metric, the configuration and facts)
    plus ``"notes"`` (the input summary, degenerate input, the methods),
    ``"input_notes"``, ``"method_notes"`` and ``"fair"``, the FA*IR test per
    attribute and group. The readable tables are rendered from these numbers
    by :mod:`biasaudit.reports` when a report or the JSON is written.
    """
    data = result.to_dict()
    fair = {a: fair_summary(result.per_job, a) for a in result.configuration["attributes"]}
    methods = _methods(result)
    return {
        **data,
        "notes": [methods[0], *result.notes, *methods[1:]],
        "input_notes": list(result.notes),
        "method_notes": methods[1:],
        "fair": fair,
    }
