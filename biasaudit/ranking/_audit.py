"""rank_audit(): fairness of ordered shortlists per job.

The pool's rankings are read once into arrays sorted by (job, position); every
metric is then a sum over jobs of small per-job statistics (see
:mod:`biasaudit.metrics.ranking`), so pooling, and the bootstrap over jobs, are
matrix products with no Python loop over jobs."""

import warnings
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, SequenceOf, validate_params
from biasaudit.engine._ranking import is_engine_input, ranking_input
from biasaudit.metrics import ranking as R
from biasaudit.pool import CandidatePool
from biasaudit.ranking._messages import (
    BAD_REFERENCE,
    BAD_TARGET,
    FAIR_TRUNCATED,
    KATZ_FALLBACK,
    NEEDS_ORDER,
    ONE_CANDIDATE,
    SHORT_LISTS,
    SMALL_GROUPS,
)
from biasaudit.ranking._options import _attention_text, cutoffs
from biasaudit.ranking._order import _job_codes, _layout, _order_by_rank, _order_by_score
from biasaudit.ranking._stats import _bootstrap, _features, _flatten, _Ranked, _rows_for
from biasaudit.regulations import MIN_SHARE
from biasaudit.results._ranking import _COLUMNS, RankingResult


def _desired(
    target: Mapping[str, Mapping[str, float]] | None, attribute: str, categories: tuple[str, ...]
) -> np.ndarray | None:
    if not target or attribute not in target:
        return None
    shares = {str(key): value for key, value in target[attribute].items()}
    values = np.array([float(shares.get(c, 0.0)) for c in categories])
    unknown = set(shares) - set(categories)
    if unknown or (values < 0).any() or abs(values.sum() - 1) > 1e-6:
        raise E.ValidationError(
            BAD_TARGET.format(attribute=attribute, groups=list(categories), value=dict(shares))
        )
    return values


def _prepare(
    pool: CandidatePool, ks: tuple[int, ...], by: str
) -> tuple[_Ranked, np.ndarray | None, dict[str, Any], tuple[str, ...]]:
    jobs, labels = _job_codes(pool)
    n_jobs = len(labels)
    facts: dict[str, Any] = {"rows": pool.n_rows, "jobs": n_jobs}
    order: np.ndarray | None  # None: the rows are already in (job, position) order
    if by == "score":
        order, ties, tied_jobs = _order_by_score(pool.arrays["score"], jobs, ks, n_jobs)
        facts["jobs_with_ties_at_cutoff"] = ties
        facts["jobs_with_tied_scores"] = tied_jobs
        facts["tie_break"] = "pool order"
    else:
        order, gaps = _order_by_rank(pool, jobs, labels)
        facts["jobs_with_rank_gaps"] = gaps
    sizes = np.bincount(jobs, minlength=n_jobs)
    starts = _layout(sizes)
    j = np.repeat(np.arange(n_jobs, dtype=np.int64), sizes)  # = jobs[order]
    positions = np.arange(1, len(j) + 1) - np.repeat(starts, sizes)
    label = _take(pool.arrays["label"], order) if "label" in pool.arrays else None
    rk = _Ranked(j, positions, sizes, starts, sizes >= 2, label)
    facts["jobs_shorter_than_k"] = {k: int((sizes < k).sum()) for k in ks}
    facts["jobs_with_one_candidate"] = int((sizes == 1).sum())
    return rk, order, facts, labels


def _take(values: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    """Rows in (job, position) order; ``None`` means they already are."""
    return values if order is None else values[order]


def _notes(facts: dict[str, Any]) -> list[str]:
    notes = [SHORT_LISTS.format(k=k, count=c) for k, c in facts["jobs_shorter_than_k"].items() if c]
    if facts["jobs_with_one_candidate"]:
        notes.append(ONE_CANDIDATE.format(count=facts["jobs_with_one_candidate"]))
        warnings.warn(notes[-1], E.InsufficientDataWarning, stacklevel=3)
    for attribute, small in facts.get("excluded_small", {}).items():
        listed = ", ".join(f"{g['group']} (n={g['n']}, {g['share']:.1%})" for g in small)
        notes.append(SMALL_GROUPS.format(attribute=attribute, groups=listed))
    for attribute, where in facts.get("katz_intervals", {}).items():
        notes.append(KATZ_FALLBACK.format(attribute=attribute, groups=", ".join(where)))
    if facts.get("jobs_longer_than_fair_max_length"):
        notes.append(
            FAIR_TRUNCATED.format(
                count=facts["jobs_longer_than_fair_max_length"],
                length=facts["fair_max_length"],
            )
        )
    for k, count in facts.get("jobs_with_ties_at_cutoff", {}).items():
        if count:
            notes.append(
                f"{count} job(s) have tied scores straddling the top-{k} cut-off; "
                "ties are broken by pool order."
            )
    return notes


#: The values rank_audit's options accept.
_K = Interval(Integral, 1, None, closed="left", fix="Pass e.g. k=(10, 20).")
RANK_AUDIT_CONSTRAINTS: dict[str, list[Any]] = {
    "k": [_K, SequenceOf([_K], fix="Pass e.g. k=(10, 20).")],
    "attention": R.ATTENTION,
    "alpha": [Interval(Real, 0, 1, closed="neither", fix="Pass e.g. alpha=0.1.")],
    "seed": [Interval(Integral, 0, None, closed="left", fix="Pass e.g. seed=0.")],
    "rnd_step": [Interval(Integral, 2, None, closed="left", fix="Pass e.g. rnd_step=10.")],
    "n_bootstrap": [Interval(Integral, 0, None, closed="left", fix="Pass e.g. n_bootstrap=200.")],
    "min_share": [Interval(Real, 0, 1, closed="left", fix="Pass e.g. min_share=0.02.")],
    "fair_max_length": [
        None,
        Interval(
            Integral,
            1,
            None,
            closed="left",
            fix="Pass e.g. fair_max_length=1000, or None to test whole lists.",
        ),
    ],
}


@validate_params(RANK_AUDIT_CONSTRAINTS)
def rank_audit(
    data: Any,
    *,
    attributes: Sequence[str] | str,
    job: str | None = None,
    score: str | None = None,
    rank: str | None = None,
    label: str | None = None,
    k: int | Sequence[int] = (10, 20),
    target: Mapping[str, Mapping[str, float]] | None = None,
    attention: float | Sequence[float] | Callable[[np.ndarray], np.ndarray] = 0.5,
    alpha: float = 0.1,
    seed: int = 0,
    rnd_step: int = 10,
    n_bootstrap: int = 200,
    fair_max_length: int | None = 1000,
    reference_group: Mapping[str, str] | None = None,
    min_share: float = MIN_SHARE,
) -> RankingResult:
    """Audit the rankings a matcher produces, job by job and pooled over jobs.

    Positions within each job come from ``rank`` (1 is best) or from ``score``
    (descending; ties broken by pool order and counted in
    ``facts["jobs_with_ties_at_cutoff"]``).

    Metrics, per group of each attribute (``Unknown`` is a group of the
    ranking but never the comparison group nor a protected group):

    - ``selection_rate`` at each k (the top k of a job are selected; a job
      shorter than k has its whole list selected), Wilson interval;
      ``impact_ratio`` against the highest known group; ``mh_odds_ratio``
      with the Cochran-Mantel-Haenszel p-value (strata: jobs) and
      ``breslow_day`` (statistic, homogeneity p-value);
    - ``skew`` at each k: ``ln(top-k count / expected top-k count)`` summed
      over jobs, the expectation using the job's pool share or ``target``;
      ``min_skew`` / ``max_skew``: Geyik et al.'s MinSkew@k / MaxSkew@k per job,
      mean over the jobs where they are finite (MinSkew is -inf in a job whose
      top k lacks a group of its pool; those jobs are counted in
      ``facts["jobs_with_group_absent_from_top_k"]``, and ``n`` says how many
      jobs the mean covers); ``ndkl`` (Z = sum 1/log2(i+1)),
      mean over jobs;
    - ``exposure`` (mean ``1/log2(1+j)`` of the group's members),
      ``exposure_ratio``, ``disparate_treatment_ratio`` (exposure / mean
      label, relative to the highest group; with ``label``), ``attention``
      (geometric ``p(1-p)^(j-1)`` with ``p = attention``, or the weights or
      function given) and ``attention_ratio``;
    - ``rnd``, ``rkl``, ``rrd`` with each known group as the protected group:
      cut-offs ``rnd_step, 2 rnd_step, ...``, discount ``1/log2(i)``,
      normaliser = the larger value of the two extreme rankings (group all
      first / all last); mean over jobs where defined;
    - ``fair_pass_rate``: share of jobs passing the FA*IR test (p = the
      group's share of the job, or ``target``; alpha adjusted for multiple
      prefixes); per-job results in ``per_job``.

    Jobs with a single candidate count in the top-k tables but are left out of
    the position-based metrics (insufficient data, with a warning). Intervals
    other than Wilson's are percentile bootstrap intervals over jobs
    (``n_bootstrap`` draws, ``seed``).

    Parameters
    ----------
    data : DataFrame, pyarrow.Table, CandidatePool, str or Path, or an engine's input
        The candidates, one row per (job, candidate). A Parquet glob or folder, a
        DuckDB relation, a Dask DataFrame or a polars LazyFrame is read with only
        the role columns, each job's rows ordered where the data live.
    attributes : list of str
        Protected-attribute columns.
    job : str, optional
        Job column; without it the whole pool is one ranking.
    score, rank : str
        Exactly one: the matcher score (higher is better) or the rank (1 is best).
    label : str, optional
        Relevance / qualification (0/1) for the disparate treatment ratio.
    k : int or sequence of int
        Cut-offs for the top-k and skew metrics.
    target : mapping, optional
        Desired shares per attribute, e.g. ``{"sex": {"F": 0.5, "M": 0.5}}``.
    attention : float, sequence of float or callable
        The attention model: ``p`` of the geometric model ``p(1-p)^(j-1)``
        (default 0.5); weights for positions 1, 2, ... (e.g. click-through
        rates measured by position; 0 beyond the last); or a function mapping
        an array of positions to weights.
    alpha : float
        FA*IR significance level (before the multiple-testing adjustment).
    seed : int
        Seed of the bootstrap over jobs.
    rnd_step : int
        Cut-off step of rND, rKL and rRD.
    n_bootstrap : int
        Bootstrap draws (0 for none).
    fair_max_length : int or None
        FA*IR tests each job's top ``fair_max_length`` positions (all of a
        shorter job): the exact multiple-testing adjustment takes time
        quadratic in the tested length. ``None`` tests whole lists.
    reference_group : mapping, optional
        Comparison group per attribute, e.g. ``{"sex": "Male"}``, fixed before
        looking at the data; otherwise ratios, CMH tests and intervals compare
        with the highest known group (chosen again in each bootstrap draw).
    min_share : float
        Groups under this share of the known candidates (default 2%, as Local
        Law 144 allows and the audit's group tables do) are reported with their
        rates but get no ratio and no test, and are never the comparison group;
        ``facts["excluded_small"]`` and the notes name them.

    Returns
    -------
    RankingResult

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"job": ["a"] * 4 + ["b"] * 4,
    ...                    "sex": ["F", "M", "M", "F", "M", "F", "F", "M"],
    ...                    "rank": [4, 1, 2, 3, 1, 2, 3, 4]})
    >>> result = rank_audit(df, attributes=["sex"], job="job", rank="rank", k=2)
    >>> result.value("selection_rate", "F", k=2), result.value("impact_ratio", "F", k=2)
    (0.25, 0.3333333333333333)
    """
    ks = cutoffs(k)
    pool, by = _pool(data, attributes, job, score, rank, label)
    rk, order, facts, job_labels = _prepare(pool, ks, by)
    settings = {
        "k": ks,
        "target": target,
        "attention": attention,
        "alpha": alpha,
        "step": rnd_step,
        "fair_max_length": fair_max_length,
        "seed": seed,
        "draws": n_bootstrap,
        "reference_group": dict(reference_group or {}),
        "min_share": min_share,
    }
    if fair_max_length is not None:
        facts["fair_max_length"] = int(fair_max_length)
        facts["jobs_longer_than_fair_max_length"] = int((rk.sizes > fair_max_length).sum())
    rows: list[dict[str, Any]] = []
    per_job = []
    for attribute in pool.attributes:
        found, tests = _audit_attribute(pool, attribute, rk, order, facts, settings)
        rows.extend(found)
        codes = pool.attribute_codes[attribute]
        groups = codes.categories[: codes.n_known]
        per_job.append(_per_job_frame(attribute, groups, tests, rk, job_labels))
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table["k"] = table["k"].astype("Int64")
    table["n"] = table["n"].astype(np.int64)
    return RankingResult(
        table,
        pd.concat(per_job, ignore_index=True),
        facts,
        _configuration(pool, by, settings),
        tuple(_notes(facts)),
    )


def _eligible(
    attribute: str, groups: Sequence[str], n: np.ndarray, s: dict[str, Any], facts: dict
) -> np.ndarray:
    """Known groups at or above the minimum share of the known candidates.

    The others are reported with their rates but get no ratio and no test, and are
    never the comparison group, as in the audit's group tables (Local Law 144's 2%).
    """
    total = n.sum()
    share = n / total if total > 0 else np.zeros(len(n))
    eligible = share >= s["min_share"]
    small = [
        {"group": str(g), "n": int(c), "share": float(sh)}
        for g, c, sh, ok in zip(groups, n, share, eligible)
        if not ok
    ]
    if small:
        facts.setdefault("excluded_small", {})[attribute] = small
    return eligible


def _audit_attribute(
    pool: CandidatePool,
    attribute: str,
    rk: _Ranked,
    order: np.ndarray | None,
    facts: dict[str, Any],
    s: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """The metric rows and the per-job FA*IR tests of one attribute."""
    codes = pool.attribute_codes[attribute]
    groups = _take(codes.codes, order).astype(np.int64)
    desired = _desired(s["target"], attribute, codes.categories)
    G, known, ks = len(codes.categories), codes.n_known, s["k"]
    f, tests = _features(rk, groups, G, known, ks, desired, s)
    absent = {k: int(f[f"absent{k}"].sum()) for k in ks}
    facts.setdefault("jobs_with_group_absent_from_top_k", {})[attribute] = absent
    x, layout = _flatten(f)
    ref = _reference_index(s["reference_group"], attribute, codes.categories[:known])
    eligible = _eligible(attribute, codes.categories[:known], f["n"].sum(axis=0)[:known], s, facts)
    boot = _bootstrap(x, layout, ks, known, s["draws"], s["seed"], ref, eligible)
    rows = _rows_for(attribute, codes.categories, known, f, ks, boot, ref, eligible)
    katz = [f"{r['group']} (k={r['k']})" for r in rows if r.pop("interval", None) == "katz"]
    if katz:
        facts.setdefault("katz_intervals", {})[attribute] = katz
    return rows, tests


def _reference_index(
    reference: Mapping[str, Any] | None, attribute: str, groups: Sequence[str]
) -> int | None:
    """Position of the stated comparison group of ``attribute`` among its known groups."""
    if not reference or attribute not in reference:
        return None
    wanted = str(reference[attribute])
    if wanted not in groups:
        raise E.ValidationError(
            BAD_REFERENCE.format(attribute=attribute, value=wanted, groups=list(groups))
        )
    return list(groups).index(wanted)


def _pool(
    data: Any, attributes: Any, job: Any, score: Any, rank: Any, label: Any
) -> tuple[CandidatePool, str]:
    """The pool and the role that orders it, ``"score"`` or ``"rank"``.

    A :class:`CandidatePool` brings its own columns; when it has both a score
    and a rank, ``score=`` or ``rank=`` (any value) says which one orders it.
    """
    if isinstance(data, CandidatePool):
        roles = {"score": data.score, "rank": data.rank}
        present = [r for r, column in roles.items() if column is not None]
        asked = [r for r, v in (("score", score), ("rank", rank)) if v is not None]
        use = asked if len(present) == 2 and len(asked) == 1 else present
        if len(use) != 1 or use[0] not in present:
            raise E.ValidationError(NEEDS_ORDER.format(given=roles))
        return data, use[0]
    if (score is None) == (rank is None):
        raise E.ValidationError(NEEDS_ORDER.format(given={"score": score, "rank": rank}))

    if is_engine_input(data):  # a lake, DuckDB, Dask, a LazyFrame: ordered where it lives
        roles = {"job": job, "score": score, "rank": rank, "label": label}
        data = ranking_input(data, attributes=attributes, **roles)
    pool = CandidatePool(data, attributes=attributes, job=job, score=score, rank=rank, label=label)
    return pool, "score" if score is not None else "rank"


def _per_job_frame(
    attribute: str,
    groups: tuple[str, ...],
    tests: dict[str, np.ndarray],
    rk: _Ranked,
    job_labels: tuple[str, ...],
) -> pd.DataFrame:
    J, G = tests["first"].shape
    jobs = np.repeat(np.arange(J), G)
    keep = rk.eligible[jobs]
    frame = pd.DataFrame(
        {
            "attribute": attribute,
            "job": np.asarray(job_labels, dtype=object)[jobs],
            "group": np.tile(np.asarray(groups, dtype=object), J),
            "n": rk.sizes[jobs],
            "tested_length": np.asarray(tests["tested"])[jobs],
            "passed": tests["passed"].ravel(),
            "first_failing_prefix": tests["first"].ravel(),
            "alpha_adjusted": tests["alpha"].ravel(),
        }
    )
    return frame[keep].reset_index(drop=True)


def _configuration(pool: CandidatePool, by: str, s: dict[str, Any]) -> dict[str, Any]:
    """What the result records about how it was computed (``s``: the options)."""
    return {
        "attributes": list(pool.attributes),
        "job": pool.job,
        "order": {by: pool.score if by == "score" else pool.rank},
        "label": pool.label,
        "k": list(s["k"]),
        "target": {a: dict(v) for a, v in (s["target"] or {}).items()},
        "exposure_weight": "1/log2(1 + position)",
        "attention": _attention_text(s["attention"]),
        "ndkl_normaliser": "Z = sum_{i=1..n} 1/log2(i + 1), per job, mean over jobs",
        "rank_divergence": {
            "cutoffs": f"{s['step']}, {2 * s['step']}, ... up to the job's length",
            "discount": "1/log2(i)",
            "normaliser": "the largest value any ranking of the job can reach (rND, rKL: the "
            "two extreme rankings, protected all first / all last; rRD: a dynamic programme "
            "over every prefix)",
        },
        "fair": {
            "alpha": s["alpha"],
            "p": "group share of the job's pool (or target)",
            "adjustment": "largest alpha_c <= alpha whose m-table a fair ranking fails "
            "with probability <= alpha (exact DP, bisection)",
            "max_length": s["fair_max_length"],
        },
        "bootstrap": {
            "draws": s["draws"],
            "seed": s["seed"],
            "unit": "job",
            "interval": "percentile 95%",
        },
        "comparison_group": (
            {a: str(g) for a, g in s["reference_group"].items()}
            or "highest known group at or above min_share"
        ),
        "min_share": s["min_share"],
    }
