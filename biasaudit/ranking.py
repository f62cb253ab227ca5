"""rank_audit(): fairness of ordered shortlists per job.

The pool's rankings are read once into arrays sorted by (job, position); every
metric is then a sum over jobs of small per-job statistics (see
:mod:`biasaudit.metrics.ranking`), so pooling, and the bootstrap over jobs, are
matrix products with no Python loop over jobs.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit.metrics import ranking as R
from biasaudit.metrics import significance as sig
from biasaudit.pool import CandidatePool

__all__ = ["RankingResult", "rank_audit"]

NEEDS_ORDER = (
    "A ranking audit needs an order: got {given}. "
    "Pass exactly one of score=COLUMN (higher is better) or rank=COLUMN (1 is best)."
)
BAD_RANK_VALUES = (
    "Rank column {column!r} must hold whole numbers from 1 up; found {values}. "
    "Recode the ranks so that 1 is the best candidate of each job."
)
DUPLICATE_RANK = (
    "Rank column {column!r} gives rank {rank} to {count} candidates of job {job!r} "
    "({jobs} job(s) have duplicate ranks). Each rank may appear once per job; "
    "fix the ranks, or pass score=... to let ties be broken by pool order."
)
BAD_OPTION = "{name} must be {expected}; got {value!r}. {fix}"
BAD_TARGET = (
    "target for {attribute!r} must map known groups {groups} to shares that are "
    "non-negative and sum to 1; got {value!r}. Fix the shares."
)
SHORT_LISTS = (
    "k={k} exceeds the length of {count} job list(s); for those jobs the whole list "
    "counts as the top {k}."
)
FAIR_TRUNCATED = (
    "{count} job(s) are longer than fair_max_length={length}: FA*IR tests their top "
    "{length} positions (pass fair_max_length=None to test whole lists; the time grows "
    "with the square of the length)."
)
BAD_REFERENCE = (
    "reference_group for {attribute!r} is {value!r}, which is not one of its known groups "
    "{groups}. Pass one of those (or leave it out to compare with the highest group)."
)
KATZ_FALLBACK = (
    "{attribute}: no job's top k holds a member of {groups}, so every bootstrap draw "
    "over jobs gives an impact ratio of 0; their intervals are Katz log intervals "
    "against the comparison group instead (0.5 added to each cell), whose upper "
    "bound says how large the ratio could still be."
)
ONE_CANDIDATE = (
    "{count} job(s) have a single candidate: insufficient data for position-based "
    "metrics, so they are left out of them (they still count in the top-k tables)."
)

_COLUMNS = ["attribute", "group", "metric", "k", "value", "ci_low", "ci_high", "n", "p_value"]
_ALL = "all"


def _clean(value: Any) -> Any:
    """JSON-safe value: NaN and infinities -> None, NumPy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    return value


@dataclass(frozen=True)
class RankingResult:
    """The outcome of :func:`rank_audit`: a tidy metric table, per-job tests, facts.

    Attributes
    ----------
    table : DataFrame
        One row per attribute / group / metric / k (see :meth:`to_frame`).
    per_job : DataFrame
        FA*IR test per job and protected group: ``passed``,
        ``first_failing_prefix`` (0 when passed) and ``alpha_adjusted``.
    facts : dict
        Counts about the input: jobs, ties at each cut-off, short lists,
        single-candidate jobs, rank gaps.
    configuration : dict
        The options of the audit, the discounts and normalisers used.
    notes : tuple of str
        Plain-language statements about degenerate input.
    """

    table: pd.DataFrame = field(repr=False)
    per_job: pd.DataFrame = field(repr=False)
    facts: dict[str, Any] = field(repr=False)
    configuration: dict[str, Any] = field(repr=False)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", self.table.copy())
        object.__setattr__(self, "per_job", self.per_job.copy())

    def to_frame(self) -> pd.DataFrame:
        """Tidy table (a copy): attribute, group, metric, k, value, ci_low, ci_high, n, p_value.

        ``k`` is the cut-off for top-k metrics and missing otherwise; ``group``
        is ``"all"`` for metrics of the whole ranking (NDKL, MinSkew, MaxSkew).
        """
        return self.table.copy()

    def value(self, metric: str, group: str = _ALL, k: int | None = None, **match: str) -> float:
        """One value of the table, e.g. ``result.value("skew", "F", k=10)``."""
        t = self.table
        rows = (t["metric"] == metric) & (t["group"] == group)
        rows &= t["k"].isna() if k is None else (t["k"] == k)
        for column, wanted in match.items():
            rows &= t[column] == wanted
        if rows.sum() != 1:
            raise KeyError(f"{rows.sum()} rows match {metric!r}, {group!r}, k={k}, {match}")
        return float(t.loc[rows, "value"].iloc[0])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data (NaN and infinities become ``None``)."""
        rows = [
            {c: _clean(v) for c, v in row.items()}
            for row in self.table.astype(object).to_dict(orient="records")
        ]
        return {
            "kind": "ranking",
            "configuration": _clean(self.configuration),
            "facts": _clean(self.facts),
            "notes": list(self.notes),
            "metrics": rows,
        }

    def to_section(self) -> dict[str, Any]:
        """The ``"ranking"`` section of an :class:`~biasaudit.AuditResult`.

        :meth:`to_dict` (every metric, with the configuration and facts) plus
        ``"tables"``, readable tables by caption (lists of row records whose first
        column is the row header), and ``"notes"``, plain-language statements of
        the methods (discounts, normalisers, intervals) and of degenerate input.
        ``"fair"`` summarises the FA*IR test per attribute and group.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"job": ["a"] * 4 + ["b"] * 4,
        ...                    "sex": ["F", "M", "M", "F", "M", "F", "F", "M"],
        ...                    "rank": [4, 1, 2, 3, 1, 2, 3, 4]})
        >>> section = rank_audit(df, attributes=["sex"], job="job", rank="rank",
        ...                      k=2, n_bootstrap=0).to_section()
        >>> section["tables"]["Top-k selection: sex"][0]["Top 2: selection rate [95% CI]"]
        '25.0% [4.6%, 69.9%]'
        """
        from biasaudit._ranking_section import section_for

        return section_for(self)

    def _repr_html_(self) -> str:
        shown = self.table.copy()
        for column in ("value", "ci_low", "ci_high", "p_value"):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        head = f"<p><b>Ranking audit</b>: {self.facts['jobs']} jobs, {self.facts['rows']} rows</p>"
        return head + (f"<ul>{notes}</ul>" if notes else "") + shown.to_html(index=False)

    def __repr__(self) -> str:
        return (
            f"<RankingResult: {self.facts['rows']} candidates, {self.facts['jobs']} jobs, "
            f"{len(self.table)} metric rows>"
        )


# -- validation and positions ------------------------------------------------------


def _check_options(
    k: int | Sequence[int],
    attention: Any,
    alpha: float,
    step: int,
    n_bootstrap: int,
    fair_max_length: int | None = None,
) -> tuple[int, ...]:
    ks = (k,) if isinstance(k, (int, np.integer)) and not isinstance(k, bool) else tuple(k)
    if not ks or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in ks):
        raise E.ValidationError(
            BAD_OPTION.format(name="k", expected="positive integers", value=k, fix="e.g. k=(10,)")
        )
    checks = [
        ("k", all(v >= 1 for v in ks), "positive integers", k, "Pass e.g. k=(10, 20)."),
        (
            "attention",
            _attention_ok(attention),
            "a number in (0, 1] (geometric p), a sequence of non-negative weights by "
            "position, or a function of the positions",
            attention,
            "Pass e.g. attention=0.5, or attention=[0.3, 0.15, 0.1].",
        ),
        ("alpha", 0 < alpha < 1, "in (0, 1)", alpha, "Pass e.g. alpha=0.1."),
        ("rnd_step", step >= 2, "an integer >= 2", step, "Pass e.g. rnd_step=10."),
        ("n_bootstrap", n_bootstrap >= 0, "an integer >= 0", n_bootstrap, "Pass e.g. 200."),
        (
            "fair_max_length",
            fair_max_length is None
            or (
                isinstance(fair_max_length, (int, np.integer))
                and not isinstance(fair_max_length, bool)
                and fair_max_length >= 1
            ),
            "a positive integer or None",
            fair_max_length,
            "Pass e.g. fair_max_length=1000, or None to test whole lists.",
        ),
    ]
    for name, ok, expected, value, fix in checks:
        if not ok:
            raise E.ValidationError(
                BAD_OPTION.format(name=name, expected=expected, value=value, fix=fix)
            )
    return tuple(sorted({int(v) for v in ks}))


def _attention_ok(model: Any) -> bool:
    if callable(model):
        return True
    if isinstance(model, (int, float, np.integer, np.floating)) and not isinstance(model, bool):
        return 0 < float(model) <= 1
    try:
        weights = np.asarray(model, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return bool(
        weights.ndim == 1 and len(weights) and np.isfinite(weights).all() and (weights >= 0).all()
    )


def _attention(positions: np.ndarray, model: Any) -> np.ndarray:
    """The attention model's weights, checked when the model is the user's function."""
    weights = R.attention_weights(positions, model)
    bad = weights.shape != positions.shape or not (np.isfinite(weights) & (weights >= 0)).all()
    if bad:
        raise E.ValidationError(
            BAD_OPTION.format(
                name="attention",
                expected="a function returning one finite, non-negative weight per position",
                value=model,
                fix="Return an array as long as the positions passed in.",
            )
        )
    return weights


def _attention_text(model: Any) -> str:
    if callable(model):
        return f"user function {getattr(model, '__name__', type(model).__name__)} of the position"
    if np.ndim(model) == 1:
        shown = ", ".join(f"{w:g}" for w in np.asarray(model, dtype=float)[:10])
        more = ", ..." if len(model) > 10 else ""
        return f"given weights by position [{shown}{more}], 0 beyond position {len(model)}"
    return f"geometric p(1-p)^(position-1), p={float(model):g}"


def _job_codes(pool: CandidatePool) -> tuple[np.ndarray, tuple[str, ...]]:
    if pool.job_codes is None:
        return np.zeros(pool.n_rows, dtype=np.int64), ("(all)",)
    return pool.job_codes.codes.astype(np.int64), pool.job_codes.categories


def _group_by_job(jobs: np.ndarray, n_jobs: int) -> np.ndarray | None:
    """Stable order that groups rows by job code; ``None`` when they already are.

    Job codes are sorted as unsigned 16-bit digits (NumPy's stable sort of 16-bit
    integers is a radix sort), low digit first: two linear passes at most.
    """
    if len(jobs) < 2 or bool(np.all(jobs[1:] >= jobs[:-1])):
        return None
    order = np.argsort((jobs & 0xFFFF).astype(np.uint16), kind="stable")
    if n_jobs > 0x10000:
        high = (jobs[order] >> 16).astype(np.uint16)
        order = order[np.argsort(high, kind="stable")]
    return order


def _layout(sizes: np.ndarray) -> np.ndarray:
    """Start of each job's block in rows sorted by job."""
    return np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)


def _order_by_rank(
    pool: CandidatePool, jobs: np.ndarray, labels: tuple[str, ...]
) -> tuple[np.ndarray | None, int]:
    rank = pool.arrays["rank"]
    bad = (rank < 1) | (rank != np.floor(rank))
    if bad.any():
        shown = sorted(set(rank[bad].tolist()))[:5]
        raise E.ValidationError(BAD_RANK_VALUES.format(column=pool.rank, values=shown))
    r = rank.astype(np.int64)
    sizes = np.bincount(jobs, minlength=len(labels))
    direct = _permutation_order(jobs, r, sizes)
    if direct is not False:
        return direct, 0
    key = jobs * (int(r.max()) + 1) + r
    order = R.sort_rankings(jobs, r)
    sorted_key = key if order is None else key[order]
    dup = np.flatnonzero(sorted_key[1:] == sorted_key[:-1])
    if len(dup):
        first = dup[0] if order is None else order[dup[0]]
        job_of_dup = sorted_key[dup] // (int(r.max()) + 1)
        count = int((sorted_key == sorted_key[dup[0]]).sum())
        raise E.ValidationError(
            DUPLICATE_RANK.format(
                column=pool.rank,
                rank=int(r[first]),
                count=count,
                job=labels[jobs[first]],
                jobs=len(np.unique(job_of_dup)),
            )
        )
    # Ranks with gaps (1, 2, 5) keep their order; positions become 1, 2, 3.
    ends = np.cumsum(sizes)[sizes > 0] - 1
    top_rank = (r if order is None else r[order])[ends]
    return order, int((top_rank > sizes[sizes > 0]).sum())


def _permutation_order(
    jobs: np.ndarray, rank: np.ndarray, sizes: np.ndarray
) -> np.ndarray | bool | None:
    """The (job, rank) order without a sort, when each job's ranks are exactly 1..size.

    Then row i goes to place ``start[job] + rank - 1``: a scatter. Returns
    ``None`` when the rows are already in that order, and ``False`` when the
    ranks have gaps or duplicates (the caller sorts and explains).
    """
    grouped = len(jobs) < 2 or bool(np.all(jobs[1:] >= jobs[:-1]))

    def per_row(values: np.ndarray) -> np.ndarray:  # a repeat when rows are grouped by job
        return np.repeat(values, sizes) if grouped else values[jobs]

    if not len(rank) or bool((rank > per_row(sizes)).any()):
        return False
    place = per_row(_layout(sizes)) + (rank - 1)
    filled = np.zeros(len(rank), dtype=bool)
    filled[place] = True
    if not filled.all():  # two rows share a place: a duplicate rank
        return False
    if bool(np.all(place[1:] > place[:-1])):
        return None
    order = np.empty(len(rank), dtype=np.int64)
    order[place] = np.arange(len(rank))
    return order


def _sort_rows(keys: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Argsort of each row of a 2-D array, ties in column order.

    A fast unstable sort, then a stable re-sort of the few runs of equal values.
    Only the first ``lengths[i]`` columns of row ``i`` count (the rest is padding
    that sorts last, whose order does not matter).
    """
    order = np.argsort(keys, axis=1)
    value = np.take_along_axis(keys, order, axis=1)
    same = value[:, 1:] == value[:, :-1]
    if lengths is not None:
        same &= np.arange(1, keys.shape[1])[None, :] < lengths[:, None]
    row, col = np.nonzero(same)
    if len(row):
        width = keys.shape[1]
        tied = row * width + col
        at = np.union1d(tied, tied + 1)  # flat positions inside runs of equal values
        flat_order, flat_value = order.reshape(-1), value.reshape(-1)
        cols = flat_order[at]
        flat_order[at] = cols[np.lexsort((cols, flat_value[at], at // width))]
    return order


def _within_jobs(neg: np.ndarray, sizes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Order that sorts each job's block of ``neg`` ascending, ties in row order.

    Jobs of similar length (the same power of two) are sorted together as the
    rows of one padded matrix: no loop over jobs, and at most twice the cells.
    """
    size_class = np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    classes = np.unique(size_class[sizes > 0])
    if len(classes) == 1:  # one matrix holds every job: no gather of rows
        return _sort_block(neg, sizes, starts)
    out = np.empty(len(neg), dtype=np.int64)
    for c in classes:
        members = np.flatnonzero((size_class == c) & (sizes > 0))
        m_sizes, m_starts = sizes[members], starts[members]
        rows = np.repeat(m_starts - _layout(m_sizes), m_sizes) + np.arange(m_sizes.sum())
        out[rows] = rows[_sort_block(neg[rows], m_sizes, _layout(m_sizes))]
    return out


def _sort_block(neg: np.ndarray, sizes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """:func:`_within_jobs` for jobs sorted as the rows of one padded matrix."""
    used = sizes[sizes > 0]
    width = int(used.max()) if len(used) else 0
    if len(used) == len(sizes) and (used == width).all():
        block = neg.reshape(len(sizes), width)
    else:
        block = np.full((len(sizes), width), np.inf)  # padding sorts after every value
        cells = np.arange(len(neg)) + np.repeat(np.arange(len(sizes)) * width - starts, sizes)
        block.reshape(-1)[cells] = neg
    order = _sort_rows(block, sizes) + starts[:, None]
    if order.size == len(neg):  # no padding
        return order.reshape(-1)
    return order[np.arange(width)[None, :] < sizes[:, None]]


def _order_by_score(
    score: np.ndarray, jobs: np.ndarray, ks: tuple[int, ...], n_jobs: int
) -> tuple[np.ndarray, dict[int, int], int]:
    """Rows by job, then descending score, ties broken by pool order."""
    grouped = _group_by_job(jobs, n_jobs)
    sizes = np.bincount(jobs, minlength=n_jobs)
    starts = _layout(sizes)
    neg = -(score if grouped is None else score[grouped])
    local = _within_jobs(neg, sizes, starts)
    order = local if grouped is None else grouped[local]
    s, j = score[order], np.repeat(np.arange(n_jobs), sizes)  # j = jobs[order]
    ties = {}
    for k in ks:
        # A tie straddles the cut when positions k and k + 1 share a score.
        has = sizes > k
        at = starts[has] + k - 1
        ties[k] = int((s[at] == s[at + 1]).sum())
    same = (s[1:] == s[:-1]) & (j[1:] == j[:-1])
    return order, ties, len(np.unique(j[1:][same]))


# -- per-job statistics and pooled metrics ---------------------------------------


@dataclass
class _Ranked:
    jobs: np.ndarray
    positions: np.ndarray
    sizes: np.ndarray
    starts: np.ndarray
    eligible: np.ndarray
    label: np.ndarray | None


def _prefixes(rk: _Ranked, groups: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """Running count of each group within each job (rows sorted by job, position).

    One cumulative sum per group but the last, whose count is the position minus
    the others' (every candidate is in exactly one group).
    """
    out = [R.prefix_counts(rk.jobs, groups == g, len(rk.sizes)) for g in range(n_groups - 1)]
    rest = rk.positions.astype(out[0].dtype if out else np.int32)
    for counts in out:
        rest = rest - counts
    return [*out, rest]


def _at_position(prefix: list[np.ndarray], rk: _Ranked, k: np.ndarray) -> np.ndarray:
    """Each group's count among the first ``k[j]`` candidates of each job, ``(J, G)``."""
    has = (rk.sizes > 0) & (k > 0)
    rows = rk.starts[has] + k[has] - 1
    out = np.zeros((len(rk.sizes), len(prefix)))
    for g, counts in enumerate(prefix):
        out[has, g] = counts[rows]
    return out


def _features(
    rk: _Ranked,
    groups: np.ndarray,
    n_groups: int,
    n_known: int,
    ks: tuple[int, ...],
    desired: np.ndarray | None,
    options: dict[str, Any],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-job statistics whose sums over jobs give every pooled metric."""
    J, G = len(rk.sizes), n_groups
    e = rk.eligible[:, None].astype(np.float64)
    cell = rk.jobs * G + groups  # computed once: every per-(job, group) sum is a bincount

    def per_cell(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(cell, weights=weights, minlength=J * G).reshape(J, G).astype(float)

    # Counts per (job, group) in the top k are running counts read at row k: no pass.
    prefix = _prefixes(rk, groups, G)
    n = _at_position(prefix, rk, rk.sizes)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = n / rk.sizes[:, None]
    want = share if desired is None else np.broadcast_to(desired, (J, G))
    f: dict[str, np.ndarray] = {"n": n, "n_e": n * e}
    for k in ks:
        top = _at_position(prefix, rk, np.minimum(k, rk.sizes))
        f[f"top{k}"] = top
        f[f"top_e{k}"] = top * e
        f[f"want{k}"] = np.minimum(k, rk.sizes)[:, None] * np.nan_to_num(want) * e
        _, lo, hi = R.skew_at_k(top[:, :n_known], want[:, :n_known])
        f[f"absent{k}"] = ((lo == -np.inf) & rk.eligible).astype(np.float64)
        for name, v in (("minskew", lo), ("maxskew", hi)):
            ok = np.isfinite(v) & rk.eligible
            f[f"{name}{k}"], f[f"{name}_n{k}"] = np.where(ok, v, 0.0), ok.astype(np.float64)
    w = R.exposure_weights(rk.positions)
    f["expo"] = per_cell(w) * e
    a = _attention(rk.positions, options["attention"])
    f["att"] = per_cell(a) * e
    if rk.label is not None:
        f["rel"] = per_cell(rk.label.astype(np.float64)) * e
    target = None if desired is None else desired
    d = R.ndkl(rk.jobs, rk.positions, groups, J, G, target=target, presorted=True, prefix=prefix)
    ok = np.isfinite(d) & rk.eligible
    f["ndkl"], f["ndkl_n"] = np.where(ok, d, 0.0), ok.astype(np.float64)
    per_job = _per_group_tests(rk, prefix, n_known, want, options, f)
    return f, per_job


def _per_group_tests(
    rk: _Ranked,
    prefixes: list[np.ndarray],
    n_known: int,
    want: np.ndarray,
    options: dict[str, Any],
    f: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    J = len(rk.sizes)
    cols = {name: np.zeros((J, n_known)) for name in ("rnd", "rkl", "rrd", "fair")}
    counts = {name: np.zeros((J, n_known)) for name in cols}
    first = np.zeros((J, n_known), dtype=np.int64)
    alpha_adj = np.zeros((J, n_known))
    for g in range(n_known):  # a loop over groups, never over jobs
        prefix = prefixes[g]  # running counts, shared by NDKL, rND/rKL/rRD and FA*IR
        div = R.rank_divergences(
            rk.jobs, rk.positions, None, J, step=options["step"], presorted=True, prefix=prefix
        )
        for name in ("rnd", "rkl", "rrd"):
            ok = np.isfinite(div[name]) & rk.eligible
            cols[name][:, g], counts[name][:, g] = np.where(ok, div[name], 0.0), ok
        p = np.nan_to_num(want[:, g])
        fair = R.fair_test(
            rk.jobs,
            rk.positions,
            None,
            J,
            p,
            alpha=options["alpha"],
            presorted=True,
            prefix=prefix,
            max_length=options["fair_max_length"],
        )
        cols["fair"][:, g] = fair["passed"] & rk.eligible
        counts["fair"][:, g] = rk.eligible
        first[:, g], alpha_adj[:, g] = fair["first_failing_prefix"], fair["alpha_adjusted"]
    for name in cols:
        f[name], f[f"{name}_n"] = cols[name], counts[name]
    limit = options["fair_max_length"]
    tested = rk.sizes if limit is None else np.minimum(rk.sizes, limit)
    passed = cols["fair"].astype(bool)
    return {"first": first, "alpha": alpha_adj, "passed": passed, "tested": tested}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _to_highest(values: np.ndarray, n_known: int, ref: int | None = None) -> np.ndarray:
    """Each known group's value over the highest known group's (1.0 is parity), or over
    the stated comparison group ``ref``'s."""
    known = values[..., :n_known]
    if ref is not None:
        best = known[..., ref : ref + 1]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a draw with no finite value
            best = np.nanmax(np.where(np.isfinite(known), known, np.nan), axis=-1, keepdims=True)
    out = np.full(values.shape, np.nan)
    out[..., :n_known] = _ratio(known, np.broadcast_to(best, known.shape))
    return out


def _pooled(
    s: dict[str, np.ndarray], ks: tuple[int, ...], n_known: int, ref: int | None = None
) -> dict[tuple, Any]:
    """Every pooled metric from job sums; leading axes (bootstrap draws) broadcast.
    Ratios divide by the highest known group, or by the comparison group ``ref``."""
    out: dict[tuple, Any] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in ks:
            rate = _ratio(s[f"top{k}"], s["n"])
            out[("selection_rate", k)] = rate
            out[("impact_ratio", k)] = _to_highest(rate, n_known, ref)
            skew = np.log(_ratio(s[f"top_e{k}"], s[f"want{k}"]))
            out[("skew", k)] = skew
            for name in ("minskew", "maxskew"):
                out[(name.replace("skew", "_skew"), k)] = _ratio(s[f"{name}{k}"], s[f"{name}_n{k}"])
        expo = _ratio(s["expo"], s["n_e"])
        out[("exposure", None)] = expo
        out[("exposure_ratio", None)] = _to_highest(expo, n_known, ref)
        att = _ratio(s["att"], s["n_e"])
        out[("attention", None)] = att
        out[("attention_ratio", None)] = _to_highest(att, n_known, ref)
        if "rel" in s:
            relevance = _ratio(s["rel"], s["n_e"])
            out[("mean_relevance", None)] = relevance
            out[("disparate_treatment_ratio", None)] = _to_highest(
                _ratio(expo, relevance), n_known, ref
            )
        out[("ndkl", None)] = _ratio(s["ndkl"], s["ndkl_n"])
        for name in ("rnd", "rkl", "rrd"):
            out[(name, None)] = _ratio(s[name], s[f"{name}_n"])
        out[("fair_pass_rate", None)] = _ratio(s["fair"], s["fair_n"])
    return out


def _flatten(f: dict[str, np.ndarray]) -> tuple[np.ndarray, list[tuple[str, tuple[int, ...]]]]:
    layout = [(name, v.shape[1:]) for name, v in f.items()]
    J = next(iter(f.values())).shape[0]
    return np.concatenate([v.reshape(J, -1) for v in f.values()], axis=1), layout


def _unflatten(x: np.ndarray, layout: list) -> dict[str, np.ndarray]:
    out, at = {}, 0
    for name, shape in layout:
        width = int(np.prod(shape)) if shape else 1
        out[name] = x[..., at : at + width].reshape(*x.shape[:-1], *shape)
        at += width
    return out


def _bootstrap(
    x: np.ndarray,
    layout: list,
    ks: tuple[int, ...],
    n_known: int,
    draws: int,
    seed: int,
    ref: int | None = None,
) -> dict[tuple, tuple[np.ndarray, np.ndarray]]:
    """Percentile intervals from resampling jobs with replacement (seeded)."""
    if draws == 0:
        return {}
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    rng = np.random.default_rng(seed)
    J, chunk, parts = x.shape[0], 50, []
    # One BLAS thread: the products are small, and a threaded BLAS that spins while
    # another process holds a core (a shared CI machine) is many times slower.
    with threadpool_limits(1, user_api="blas"):
        for start in range(0, draws, chunk):
            b = min(chunk, draws - start)
            picks = rng.integers(0, J, size=(b, J)) + (np.arange(b) * J)[:, None]
            weights = np.bincount(picks.ravel(), minlength=b * J).reshape(b, J)
            parts.append(weights.astype(np.float64) @ x)
    metrics = _pooled(_unflatten(np.concatenate(parts), layout), ks, n_known, ref)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {
            # No interpolation, so draws at -inf (a group absent from a top k) stay -inf.
            key: (
                np.nanpercentile(v, 2.5, axis=0, method="lower"),
                np.nanpercentile(v, 97.5, axis=0, method="higher"),
            )
            for key, v in metrics.items()
        }


def _cmh_rows(
    f: dict[str, np.ndarray], k: int, ref: int, g: int
) -> tuple[float, float, float, float]:
    top, n = f[f"top{k}"], f["n"]
    args = (top[:, g], n[:, g], top[:, ref], n[:, ref])
    _, p, odds = sig.mantel_haenszel(*args)
    bd, bd_p = sig.breslow_day(*args, odds)
    return p, odds, bd, bd_p


# -- assembling the table ----------------------------------------------------------

_JOB_LEVEL = {"min_skew", "max_skew", "ndkl"}
_PER_JOB_GROUP = {"rnd", "rkl", "rrd", "fair_pass_rate"}


def _n_for(metric: str, f: dict[str, np.ndarray], g: int, k: int | None) -> float:
    if metric in _JOB_LEVEL:
        key = "ndkl_n" if metric == "ndkl" else f"{metric.replace('_', '')}_n{k}"
        return float(f[key].sum())
    if metric in _PER_JOB_GROUP:
        name = "fair" if metric == "fair_pass_rate" else metric
        return float(f[f"{name}_n"][:, g].sum())
    if metric in ("selection_rate", "impact_ratio"):
        return float(f["n"][:, g].sum())
    return float(f["n_e"][:, g].sum())


def _rows_for(
    attribute: str,
    categories: tuple[str, ...],
    n_known: int,
    f: dict[str, np.ndarray],
    ks: tuple[int, ...],
    boot: dict[tuple, tuple[np.ndarray, np.ndarray]],
    ref: int | None = None,
) -> list[dict[str, Any]]:
    sums = {name: v.sum(axis=0) for name, v in f.items()}
    point = _pooled(sums, ks, n_known, ref)
    rows = []
    for (metric, k), values in point.items():
        low, high = boot.get((metric, k), (None, None))
        if metric in _JOB_LEVEL:
            targets = [(_ALL, None)]
        else:
            targets = [(categories[g], g) for g in range(len(categories))]
            if metric in _PER_JOB_GROUP:
                targets = targets[:n_known]
        for label, g in targets:
            index = () if g is None else (g,)
            value = float(np.asarray(values)[index])
            lo = float(np.asarray(low)[index]) if low is not None else math.nan
            hi = float(np.asarray(high)[index]) if high is not None else math.nan
            n = _n_for(metric, f, 0 if g is None else g, k)
            rows.append(_row(attribute, label, metric, k, value, lo, hi, n, math.nan))
        if metric == "selection_rate":
            _wilson(rows[-len(targets) :], f, k)
        if metric == "impact_ratio":
            _katz_where_degenerate(rows[-len(targets) :], f, k, n_known, ref)
            rows.extend(_cmh(attribute, categories, n_known, f, k, values, ref))
    return rows


def _katz_where_degenerate(
    rows: list[dict[str, Any]],
    f: dict[str, np.ndarray],
    k: int,
    n_known: int,
    stated: int | None = None,
) -> None:
    """Katz intervals where the bootstrap over jobs collapses to a point.

    A group with no candidate in any job's top k has an impact ratio of 0 in
    every bootstrap draw, so the percentile interval would be [0, 0]: certainty
    that the data cannot give. The Katz log interval against the comparison
    group (0.5 added to each cell of a table with a zero, the upper limit capped
    at 1, the most a ratio to the highest group can be) gives an honest upper
    bound instead; the notes name the groups.
    """
    x, n = f[f"top{k}"].sum(axis=0), f["n"].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / np.where(n > 0, n, 1), -np.inf)[:n_known]
    if not len(rate) or not np.isfinite(rate).any():
        return
    ref = int(np.argmax(rate)) if stated is None else stated
    low, high = sig.katz_ratio_ci(x[:n_known], n[:n_known], x[ref], n[ref])
    for g, row in enumerate(rows[:n_known]):
        collapsed = row["ci_high"] == row["ci_low"]  # NaN (no bootstrap) is left alone
        if g != ref and x[g] == 0 and n[g] > 0 and x[ref] > 0 and collapsed:
            # a ratio to the highest group is at most 1 by definition
            cap = 1.0 if stated is None else math.inf
            row["ci_low"], row["ci_high"] = float(low[g]), min(float(high[g]), cap)
            row["interval"] = "katz"


def _row(
    attribute: str,
    group: str,
    metric: str,
    k: int | None,
    value: float,
    lo: float,
    hi: float,
    n: float,
    p: float,
) -> dict[str, Any]:
    return dict(zip(_COLUMNS, (attribute, group, metric, k, value, lo, hi, n, p)))


def _wilson(rows: list[dict[str, Any]], f: dict[str, np.ndarray], k: int) -> None:
    low, high = sig.wilson_interval(f[f"top{k}"].sum(axis=0), f["n"].sum(axis=0))
    for g, row in enumerate(rows):
        row["ci_low"], row["ci_high"] = float(low[g]), float(high[g])


def _cmh(
    attribute: str,
    categories: tuple[str, ...],
    n_known: int,
    f: dict[str, np.ndarray],
    k: int,
    ratios: np.ndarray,
    stated: int | None = None,
) -> list[dict[str, Any]]:
    """CMH odds ratio (p-value) and Breslow-Day per group against the comparison group
    (the highest group, or the stated one)."""
    if not np.isfinite(ratios[:n_known]).any():
        return []
    finite = np.where(np.isfinite(ratios[:n_known]), ratios[:n_known], -1)
    ref = int(np.nanargmax(finite)) if stated is None else stated
    rows = []
    for g in range(n_known):
        if g == ref:
            continue
        p, odds, bd, bd_p = _cmh_rows(f, k, ref, g)
        n = float(f["n"][:, [g, ref]].sum())
        group = categories[g]
        rows.append(_row(attribute, group, "mh_odds_ratio", k, odds, math.nan, math.nan, n, p))
        rows.append(_row(attribute, group, "breslow_day", k, bd, math.nan, math.nan, n, bd_p))
    return rows


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
    ks = _check_options(k, attention, alpha, rnd_step, n_bootstrap, fair_max_length)
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
    boot = _bootstrap(x, layout, ks, known, s["draws"], s["seed"], ref)
    rows = _rows_for(attribute, codes.categories, known, f, ks, boot, ref)
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
    from biasaudit.engine._ranking import is_engine_input, ranking_input

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
            "normaliser": "max over the two extreme rankings: protected all first / all last",
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
            {a: str(g) for a, g in s["reference_group"].items()} or "highest known group"
        ),
    }


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
    "(higher is better; --score COLUMN) or rank=COLUMN (1 is best; --rank COLUMN)."
)
_SECTION_OPTIONS = (
    "alpha",
    "attention",
    "fair_max_length",
    "k",
    "n_bootstrap",
    "reference_group",
    "rnd_step",
    "seed",
    "target",
)


def ranking_options(
    ranking: Any, top_k: int | None = None, reference_group: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """Validate ``audit(ranking=...)``: ``None`` for no ranking, else rank_audit options.

    Without ``k``, the cut-offs are 10 and 20 and the audit's ``top_k`` when it
    has one, so the ranking's top-k table can be read beside the audit's; the
    audit's ``reference_group`` is the ranking's too unless the options say.

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
        return rank_audit(data, attributes=data.attributes, **by, **options).to_section()
    from biasaudit.engine._ranking import ranking_input  # DuckDB, Parquet lakes, Dask

    table = ranking_input(
        data,
        attributes=roles["attributes"],
        job=roles["job"],
        label=roles.get("label"),
        id=roles.get("id"),
        **by,
    )
    names = {k: roles.get(k) for k in ("attributes", "job", "label")}
    return rank_audit(table, **names, **by, **options).to_section()
