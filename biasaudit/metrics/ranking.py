"""Ranking metrics: pure, vectorised functions over rankings grouped by job.

Every function takes flat arrays with one entry per candidate: ``jobs`` (integer
job codes ``0..n_jobs-1``), ``positions`` (``1..n`` within each job, 1 is
best) and ``groups`` (integer group codes ``0..n_groups-1``). Rows may come in
any order; functions that need prefixes sort by (job, position) once, and skip
the sort when the rows are already in that order (an O(n) check; callers that
have sorted already pass ``presorted=True`` to skip even that). No function
loops over jobs in Python: per-job quantities come from ``bincount`` and
``cumsum`` over the sorted rows.

Undefined values (a job too short for any cut-off, a ranking whose normaliser
is zero) are NaN, never 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any, TypeVar, cast

import numpy as np
from scipy import stats
from scipy.ndimage import maximum_filter1d

from biasaudit._validation import Interval, SequenceOf, instance_of, validate_params
from biasaudit.metrics.significance import ALPHA

__all__ = [
    "attention_weights",
    "exposure_weights",
    "fair_adjusted_alpha",
    "fair_failure_probability",
    "fair_mtable",
    "fair_test",
    "group_counts",
    "group_sums",
    "ndkl",
    "prefix_counts",
    "rank_divergences",
    "skew_at_k",
    "sort_rankings",
    "top_k_counts",
]


_COUNT = Interval(Integral, 0, None)
_SIZES = {"n_jobs": [_COUNT], "n_groups": [_COUNT]}
_FLAG = [instance_of(bool)]
#: An attention model: geometric p, weights by position, or a function of the positions.
ATTENTION = [
    Interval(Real, 0, 1, closed="right"),
    SequenceOf([Interval(Real, 0, None)]),
    # collections.abc.Callable is an ABC at run time (isinstance works); mypy sees a form.
    instance_of(cast(type, Callable), description="a function of the positions"),
]
_FAIR = {
    "n": [_COUNT],
    "p": [Interval(Real, 0, 1)],
    "alpha": [ALPHA],
}


def sort_rankings(jobs: np.ndarray, positions: np.ndarray) -> np.ndarray | None:
    """Row order that sorts by job, then position; ``None`` when already sorted.

    Examples
    --------
    >>> sort_rankings(np.array([0, 0, 1]), np.array([1, 2, 1])) is None
    True
    >>> sort_rankings(np.array([1, 0, 0]), np.array([1, 2, 1])).tolist()
    [2, 1, 0]
    """
    jobs = np.asarray(jobs, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    if len(jobs) < 2:
        return None
    key = jobs * (int(positions.max()) + 1) + positions
    if bool(np.all(key[1:] > key[:-1])):
        return None
    return np.argsort(key, kind="stable")


#: The third array _sorted reorders: an array, or None (passed through).
_Values = TypeVar("_Values", np.ndarray, "np.ndarray | None")


def _sorted(
    jobs: np.ndarray, positions: np.ndarray, values: _Values, *, presorted: bool = False
) -> tuple[np.ndarray, np.ndarray, _Values]:
    """Reorder the three arrays by (job, position); ``values`` may be None."""
    order = None if presorted else sort_rankings(jobs, positions)

    def reorder(array: np.ndarray) -> np.ndarray:
        return np.asarray(array) if order is None else np.asarray(array)[order]

    return reorder(jobs), reorder(positions), (None if values is None else reorder(values))


def _layout(jobs_sorted: np.ndarray, n_jobs: int) -> tuple[np.ndarray, np.ndarray]:
    # Rows are sorted by job: a binary search per job beats a pass over every row.
    bounds = np.searchsorted(jobs_sorted, np.arange(n_jobs + 1))
    return np.diff(bounds), bounds[:-1]


def _prefix_count(indicator: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Number of true values at or before each row within its job (sorted rows)."""
    dtype = np.int32 if len(indicator) < 2**31 else np.int64
    total = np.cumsum(indicator, dtype=dtype)
    before = np.concatenate((np.zeros(1, dtype), total))[starts]
    sizes = np.diff(np.append(starts, len(indicator)))
    return total - np.repeat(before, sizes)  # rows are sorted by job: a repeat, not a gather


def _job_sums(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each job's block of rows (rows sorted by job)."""
    if not len(values):
        return np.zeros(len(sizes))
    sums = np.add.reduceat(values, np.minimum(starts, len(values) - 1))
    return np.where(sizes > 0, sums, 0.0)  # reduceat gives an empty block one value


@validate_params({"n_jobs": [_COUNT]})
def prefix_counts(jobs: np.ndarray, indicator: np.ndarray, n_jobs: int) -> np.ndarray:
    """Running count of ``indicator`` within each job, for rows sorted by (job, position).

    ``ndkl``, ``rank_divergences`` and ``fair_test`` accept it as ``prefix=`` (with
    ``presorted=True``) so a caller running both computes it once.

    Examples
    --------
    >>> prefix_counts(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 1]), 2).tolist()
    [1, 2, 0, 1]
    """
    jobs = np.asarray(jobs, dtype=np.int64)
    _, starts = _layout(jobs, n_jobs)
    return _prefix_count(np.asarray(indicator, dtype=bool), starts)


@validate_params(_SIZES)
def group_counts(
    jobs: np.ndarray, groups: np.ndarray, n_jobs: int, n_groups: int, mask: np.ndarray | None = None
) -> np.ndarray:
    """Candidates per (job, group), optionally only those where ``mask`` holds.

    Examples
    --------
    >>> group_counts(np.array([0, 0, 1]), np.array([0, 1, 1]), 2, 2).tolist()
    [[1, 1], [0, 1]]
    """
    cell = np.asarray(jobs, dtype=np.int64) * n_groups + np.asarray(groups, dtype=np.int64)
    if mask is not None:
        cell = cell[np.asarray(mask, dtype=bool)]
    return np.bincount(cell, minlength=n_jobs * n_groups).reshape(n_jobs, n_groups)


@validate_params(_SIZES)
def group_sums(
    jobs: np.ndarray, groups: np.ndarray, values: np.ndarray, n_jobs: int, n_groups: int
) -> np.ndarray:
    """Sum of ``values`` per (job, group).

    Examples
    --------
    >>> group_sums(np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([1.0, 2.0, 3.0]),
    ...            2, 2).tolist()
    [[1.0, 2.0], [0.0, 3.0]]
    """
    cell = np.asarray(jobs, dtype=np.int64) * n_groups + np.asarray(groups, dtype=np.int64)
    out = np.bincount(cell, weights=values, minlength=n_jobs * n_groups)
    return out.reshape(n_jobs, n_groups)


@validate_params({**_SIZES, "k": [Interval(Integral, 1, None, fix="Pass e.g. k=10.")]})
def top_k_counts(
    jobs: np.ndarray, positions: np.ndarray, groups: np.ndarray, k: int, n_jobs: int, n_groups: int
) -> np.ndarray:
    """Candidates of each group in the top ``k`` of each job (``position <= k``).

    A job with fewer than ``k`` candidates has all of them in its top ``k``.

    Examples
    --------
    >>> top_k_counts(np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([1, 0, 1]),
    ...              2, 1, 2).tolist()
    [[1, 1]]
    """
    return group_counts(jobs, groups, n_jobs, n_groups, mask=np.asarray(positions) <= k)


def _by_position(positions: np.ndarray, weight: Any) -> np.ndarray:
    """``weight(positions)``; for integer positions a lookup in a table of distinct positions."""
    positions = np.asarray(positions)
    if positions.dtype.kind in "iu" and len(positions) > 1000 and positions.min() >= 0:
        with np.errstate(divide="ignore"):  # position 0 is never looked up
            table = weight(np.arange(int(positions.max()) + 1, dtype=np.float64))
        return table[positions]
    return weight(positions.astype(np.float64))


def exposure_weights(positions: np.ndarray) -> np.ndarray:
    """Position weight ``1 / log2(1 + j)`` (Singh and Joachims 2018).

    Examples
    --------
    >>> exposure_weights(np.array([1, 3])).tolist()
    [1.0, 0.5]
    """
    return _by_position(positions, lambda j: 1.0 / np.log2(1.0 + j))


@validate_params({"model": ATTENTION})
def attention_weights(positions: np.ndarray, model: Any = 0.5) -> np.ndarray:
    """Attention paid to each position under an attention model (Sapiezynski et al. 2019).

    ``model`` is a number ``p`` in (0, 1] for the geometric model
    ``p (1 - p)^(j - 1)``; a sequence of weights for positions 1, 2, ... (for
    example click-through rates measured by position; positions beyond it get
    0); or a function of the array of positions (floats, 1 is the top).

    Examples
    --------
    >>> attention_weights(np.array([1, 2, 3]), 0.5).tolist()
    [0.5, 0.25, 0.125]
    >>> attention_weights(np.array([1, 2, 3, 4]), [0.4, 0.2, 0.1]).tolist()
    [0.4, 0.2, 0.1, 0.0]
    >>> attention_weights(np.array([1, 4]), lambda j: 1 / j).tolist()
    [1.0, 0.25]
    """
    if callable(model):
        return np.asarray(model(np.asarray(positions, dtype=np.float64)), dtype=np.float64)
    if np.ndim(model) == 1:
        table = np.concatenate(([0.0], np.asarray(model, dtype=np.float64)))

        def lookup(j: np.ndarray) -> np.ndarray:
            index = j.astype(np.int64)
            return np.where(index < len(table), table[np.minimum(index, len(table) - 1)], 0.0)

        return _by_position(positions, lookup)
    p = float(model)
    return _by_position(positions, lambda j: p * (1.0 - p) ** (j - 1.0))


def skew_at_k(top: np.ndarray, desired: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Skew@k per (job, group) and MinSkew@k, MaxSkew@k per job (Geyik et al. 2019).

    ``skew = ln(share of the group in the top k / desired share)``, where
    ``top`` holds top-k counts per (job, group) and ``desired`` the desired
    shares per (job, group) (each row summing to 1). Groups with a desired share
    of 0 are undefined (NaN) and left out of Min/MaxSkew; a group with a
    positive desired share but absent from the top k has skew ``-inf``.

    Examples
    --------
    >>> # top 2 holds 2 of group 0; desired shares 0.5 / 0.5:
    >>> # skew_0 = ln(1 / 0.5) = ln 2, skew_1 = ln(0 / 0.5) = -inf
    >>> s, lo, hi = skew_at_k(np.array([[2, 0]]), np.array([[0.5, 0.5]]))
    >>> round(float(s[0, 0]), 4), float(s[0, 1]), float(lo[0]), round(float(hi[0]), 4)
    (0.6931, -inf, -inf, 0.6931)
    """
    top = np.asarray(top, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    total = top.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = top / total
        skew = np.where(desired > 0, np.log(share / desired), np.nan)
    defined = desired > 0
    lowest = np.where(defined, skew, np.inf).min(axis=-1)
    highest = np.where(defined, skew, -np.inf).max(axis=-1)
    empty = ~defined.any(axis=-1) | (total[..., 0] <= 0)
    return skew, np.where(empty, np.nan, lowest), np.where(empty, np.nan, highest)


@validate_params({**_SIZES, "presorted": _FLAG})
def ndkl(
    jobs: np.ndarray,
    positions: np.ndarray,
    groups: np.ndarray,
    n_jobs: int,
    n_groups: int,
    target: np.ndarray | None = None,
    presorted: bool = False,
    prefix: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """Normalised discounted KL divergence per job (Geyik et al. 2019).

    ``NDKL = (1/Z) sum_{i=1..n} KL(D_top-i || D_target) / log2(i + 1)`` with
    ``Z = sum_{i=1..n} 1 / log2(i + 1)``, ``D_top-i`` the group distribution of
    the first ``i`` candidates, ``0 ln 0 = 0``. ``D_target`` is the job's pool
    distribution, or ``target`` (shares per group, the same for every job).
    0 is perfect agreement; a job with no candidates is NaN. Callers that have
    each group's running count (:func:`prefix_counts`) pass them as ``prefix``
    (one array per group, with ``presorted=True``).

    Examples
    --------
    >>> # Ranking a, b; pool shares 1/2, 1/2. i=1: KL((1,0)||(.5,.5)) = ln 2;
    >>> # i=2: KL = 0. NDKL = (ln2 / log2 2 + 0) / (1 / log2 2 + 1 / log2 3)
    >>> #                   = 0.693147 / 1.630930 = 0.4250
    >>> round(float(ndkl(np.array([0, 0]), np.array([1, 2]), np.array([0, 1]), 1, 2)[0]), 4)
    0.425
    """
    jobs, positions, groups = _sorted(jobs, positions, groups, presorted=presorted)
    jobs = np.asarray(jobs, dtype=np.int64)
    sizes, starts = _layout(jobs, n_jobs)
    positions = np.asarray(positions, dtype=np.int64)
    if prefix is None:
        prefix = [_prefix_count(groups == g, starts) for g in range(n_groups)]
    if target is None:
        ends = np.maximum(starts + sizes - 1, 0)
        counts = np.stack([np.where(sizes > 0, c[ends], 0) for c in prefix], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = counts / sizes[:, None]
    else:
        q = np.broadcast_to(np.asarray(target, dtype=np.float64), (n_jobs, n_groups))
    # KL_i = (1/i) sum_g c ln c - ln i - (1/i) sum_g c ln q_g, with c the group's count in
    # the top i: position-only factors come from small tables, ln q_g is applied per job.
    width = int(positions.max()) + 1 if len(positions) else 1
    idx = np.arange(width, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w_tab = np.where(idx > 0, 1.0 / np.log2(idx + 1.0), 0.0)
        a_tab = np.where(idx > 0, w_tab / idx, 0.0)
        clnc_tab = np.where(idx > 0, idx * np.log(idx), 0.0)
        log_q = np.log(q)
    z = np.cumsum(w_tab)[sizes]
    wlog = np.cumsum(w_tab * np.log(np.maximum(idx, 1.0)))[sizes]
    a = a_tab[positions]
    clnc = clnc_tab[prefix[0]]
    for c in prefix[1:]:
        clnc += clnc_tab[c]
    num = _job_sums(a * clnc, starts, sizes) - wlog
    for g in range(n_groups):
        s_g = _job_sums(a * prefix[g], starts, sizes)
        with np.errstate(invalid="ignore"):
            num = num - np.where(s_g > 0, s_g * log_q[:, g], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Rounding can leave -1e-17 where the divergence is exactly 0.
        return np.where(sizes > 0, np.maximum(num / z, 0.0), np.nan)


def _divergence_terms(
    top_plus: np.ndarray, i: np.ndarray, plus: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """rND, rKL and rRD terms (before discount) at cut-off ``i``."""
    minus, top_minus = n - plus, i - top_plus
    with np.errstate(divide="ignore", invalid="ignore"):
        nd = np.abs(top_plus / i - plus / n)
        p, q = top_plus / i, plus / n
        kl = np.where(p > 0, p * np.log(p / q), 0.0) + np.where(
            p < 1, (1 - p) * np.log((1 - p) / (1 - q)), 0.0
        )
        ratio = np.where(top_minus > 0, top_plus / np.where(top_minus > 0, top_minus, 1), 0.0)
        rd = np.abs(ratio - plus / minus)
    return nd, kl, rd


@validate_params(
    {
        "n_jobs": [_COUNT],
        "step": [
            Interval(Integral, 2, None, fix="Pass e.g. step=10 (a cut-off of 1 has log2(1) = 0).")
        ],
        "presorted": _FLAG,
    }
)
def rank_divergences(
    jobs: np.ndarray,
    positions: np.ndarray,
    protected: np.ndarray | None,
    n_jobs: int,
    step: int = 10,
    presorted: bool = False,
    prefix: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """rND, rKL and rRD per job for a binary protected group (Yang and Stoyanovich 2017).

    At cut-offs ``i = step, 2 step, ...`` up to the job's length, with discount
    ``1 / log2(i)``:

    - rND sums ``|S+_i / i - S+ / N|``;
    - rKL sums ``KL((S+_i / i, S-_i / i) || (S+ / N, S- / N))`` (``0 ln 0 = 0``);
    - rRD sums ``|S+_i / S-_i - S+ / S-|``, the prefix ratio taken as 0 when a
      prefix holds no non-protected candidate (undefined ratio).

    Each sum is divided by its normaliser: the largest value any ranking of the
    same pool can reach, computed as the larger of the two extreme rankings
    (all protected candidates first, all protected last). A job shorter than
    ``step``, or whose normaliser is 0 (only one group present), is NaN.

    Returns
    -------
    dict
        ``"rnd"``, ``"rkl"``, ``"rrd"`` (normalised, per job) and
        ``"rnd_max"``, ``"rkl_max"``, ``"rrd_max"`` (the normalisers).

    Examples
    --------
    >>> # 20 candidates, protected = the first 10: the most unfair ranking, rND = 1
    >>> out = rank_divergences(np.zeros(20, int), np.arange(1, 21), np.arange(20) < 10, 1)
    >>> float(out["rnd"][0])
    1.0
    """
    jobs, positions, protected = _sorted(jobs, positions, protected, presorted=presorted)
    jobs = np.asarray(jobs, dtype=np.int64)
    sizes, starts = _layout(jobs, n_jobs)
    if prefix is None:
        prefix = _prefix_count(np.asarray(protected, dtype=bool), starts)
    last = np.maximum(starts + sizes - 1, 0)
    plus = np.where(sizes > 0, prefix[last] if len(prefix) else 0, 0).astype(np.int64)
    job_c, i = _cut_rows(sizes, step)
    top_plus = prefix[starts[job_c] + i.astype(np.int64) - 1].astype(np.float64)
    plus_c, n_c = plus[job_c].astype(np.float64), sizes[job_c].astype(np.float64)
    discount = 1.0 / np.log2(i)
    observed = _divergence_terms(top_plus, i, plus_c, n_c)
    z_all = _normalisers(sizes, plus, step)
    out: dict[str, np.ndarray] = {}
    for name, obs, z in zip(("rnd", "rkl", "rrd"), observed, z_all):
        value = np.bincount(job_c, weights=discount * obs, minlength=n_jobs)
        # Too short for a cut-off, or one group only: nothing to normalise by.
        ok = (sizes >= step) & (z > 1e-12) & (plus > 0) & (plus < sizes)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(ok, value / np.where(ok, z, 1.0), np.nan)
        out[f"{name}_max"] = np.where(sizes >= step, z, np.nan)
    return out


def _cut_rows(sizes: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(list, cut-off) for cut-offs step, 2 step, ... of every list, without a pass over rows."""
    cuts = sizes // step
    owner = np.repeat(np.arange(len(sizes)), cuts)
    first_cut = np.concatenate(([0], np.cumsum(cuts)[:-1]))
    m = np.arange(len(owner)) - first_cut[owner] + 1
    return owner, (m * step).astype(np.float64)


def _normalisers(sizes: np.ndarray, plus: np.ndarray, step: int) -> list[np.ndarray]:
    """Largest rND, rKL, rRD sums of each job over every ranking of its candidates.

    For rND and rKL the largest sum is reached by one of the two extreme rankings
    (the protected group all first, or all last). For rRD it is not: a prefix
    with one non-protected candidate among many protected ones has a larger
    ratio than either extreme, so its largest sum comes from
    :func:`_rrd_normalisers`. They depend only on (length, protected count), so
    they are computed once per distinct pair and shared by the jobs that have it.
    """
    if not len(sizes):
        return [np.zeros(0)] * 3
    base = int(sizes.max()) + 1
    pairs, key = np.unique(sizes.astype(np.int64) * base + plus, return_inverse=True)
    n_u, plus_u = pairs // base, pairs % base
    owner, i = _cut_rows(n_u, step)
    n_c, plus_c = n_u[owner].astype(np.float64), plus_u[owner].astype(np.float64)
    discount = 1.0 / np.log2(i)
    first = _divergence_terms(np.minimum(i, plus_c), i, plus_c, n_c)
    last = _divergence_terms(np.maximum(0.0, i - (n_c - plus_c)), i, plus_c, n_c)
    out = []
    for hi1, hi2 in zip(first[:2], last[:2]):
        z1 = np.bincount(owner, weights=discount * hi1, minlength=len(pairs))
        z2 = np.bincount(owner, weights=discount * hi2, minlength=len(pairs))
        out.append(np.maximum(z1, z2)[np.asarray(key).reshape(-1)])
    out.append(_rrd_normalisers(n_u, plus_u, step)[np.asarray(key).reshape(-1)])
    return out


#: Cells of one batch of the rRD dynamic programme (pairs x protected counts).
_RRD_BATCH_CELLS = 1 << 22


def _rrd_normalisers(n: np.ndarray, plus: np.ndarray, step: int) -> np.ndarray:
    """The largest discounted rRD sum of any ranking of ``n`` candidates, ``plus`` protected.

    Dynamic programming over the protected count ``c`` at each cut-off ``i``: the
    best sum up to ``i`` ending at ``c`` is the term at ``(i, c)`` plus the best
    sum at the previous cut-off over counts ``c - step .. c`` (a prefix gains
    0 to ``step`` protected candidates between cut-offs), with ``c`` kept where a
    ranking can reach it (``i - minus <= c <= min(i, plus)``). All (n, plus)
    pairs advance together, in batches of bounded memory sorted by ``plus``;
    O(n / step * plus) per pair.

    Examples
    --------
    >>> # 20 candidates, 10 protected, cut-offs 10 and 20: 9 protected and 1 other in
    >>> # the top 10 gives |9/1 - 10/10| = 8, more than either extreme ranking (1)
    >>> z = _rrd_normalisers(np.array([20]), np.array([10]), 10)
    >>> round(float(z[0] * np.log2(10)), 6)
    8.0
    """
    n, plus = np.asarray(n, dtype=np.int64), np.asarray(plus, dtype=np.int64)
    out = np.zeros(len(n))
    order = np.argsort(plus, kind="stable")
    widths = plus[order] + 1  # non-decreasing, so a batch's largest width is its last
    start = 0
    while start < len(order):
        size = np.arange(1, len(order) - start + 1) * widths[start:]
        stop = start + max(1, int(np.searchsorted(size, _RRD_BATCH_CELLS, side="right")))
        rows = order[start:stop]
        out[rows] = _rrd_batch(n[rows], plus[rows], step)
        start = stop
    return out


def _rrd_batch(n: np.ndarray, plus: np.ndarray, step: int) -> np.ndarray:
    """:func:`_rrd_normalisers` for one batch of pairs, advanced cut-off by cut-off."""
    minus = n - plus
    counts = np.arange(int(plus.max()) + 1, dtype=np.float64)[None, :]
    best = np.full((len(n), counts.shape[1]), -np.inf)
    best[:, 0] = 0.0
    target = (plus / np.maximum(minus, 1))[:, None]
    for i in range(step, int(n.max()) + 1, step):
        reach = maximum_filter1d(
            best, size=step + 1, axis=1, origin=step // 2, mode="constant", cval=-np.inf
        )
        others = i - counts
        ratio = np.where(others > 0, counts / np.maximum(others, 1.0), 0.0)
        term = np.abs(ratio - target) / np.log2(i)
        feasible = (counts >= (i - minus)[:, None]) & (counts <= np.minimum(i, plus)[:, None])
        best = np.where((n >= i)[:, None], np.where(feasible, reach + term, -np.inf), best)
    defined = (plus > 0) & (minus > 0) & (n >= step)
    return np.where(defined, best.max(axis=1), 0.0)


@validate_params(_FAIR)
def fair_mtable(n: int, p: float, alpha: float) -> np.ndarray:
    """FA*IR minimum protected counts ``m(k) = binom.ppf(alpha, k, p)`` for k = 1..n.

    Examples
    --------
    >>> fair_mtable(6, 0.5, 0.1).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    k = np.arange(1, n + 1)
    return np.maximum(stats.binom.ppf(alpha, k, p), 0).astype(np.int64)


def _failure(mtab: np.ndarray, p: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Probability that a Bernoulli(p) ranking fails some prefix of each m-table row.

    ``mtab`` is ``(keys, n)``; a row's table ends at its length (``lengths``, or
    ``n``), after which it has no constraint. Exact dynamic programme over the
    protected count so far: ``alive[x]`` is the probability of ``x`` protected
    candidates in the prefix with no prefix failed yet.

    Only the live part is touched: rows are taken longest first, so the rows
    still running at step ``k`` are a leading block; after ``k`` steps the count
    is at most ``k``; the states under a table's running maximum are 0 and stay
    0. Each step updates that block in place and zeroes only the states the
    table's increase at ``k`` newly forbids.
    """
    keys, n = mtab.shape
    lengths = np.full(keys, n) if lengths is None else np.asarray(lengths)
    by_length = np.argsort(-lengths, kind="stable")
    mtab, p, lengths = mtab[by_length], p[by_length], lengths[by_length]
    running = np.searchsorted(-lengths, -np.arange(1, n + 1), side="right")  # rows with n >= k
    alive = np.zeros((keys, n + 1))
    alive[:, 0] = 1.0
    q, p = (1 - p)[:, None], p[:, None]
    rows = np.arange(keys)
    floor = np.zeros(keys, dtype=np.int64)  # running max of the table: states below are 0
    for k in range(1, n + 1):
        r = int(running[k - 1])
        low = int(floor[:r].min(initial=0))  # columns under every row's floor are 0
        moved = alive[:r, low:k] * p[:r]
        alive[:r, low : k + 1] *= q[:r]
        alive[:r, low + 1 : k + 1] += moved
        need = mtab[:r, k - 1]
        jump = need - floor[:r]
        for d in range(int(jump.max(initial=0))):  # almost always a single step of 1
            hit = jump > d
            alive[rows[:r][hit], floor[:r][hit] + d] = 0.0
        np.maximum(floor[:r], need, out=floor[:r])
    out = np.empty(keys)
    out[by_length] = 1.0 - alive.sum(axis=1)
    return out


@validate_params(_FAIR)
def fair_failure_probability(n: int, p: float, alpha: float) -> float:
    """Probability that a fair ranking (each position protected with probability p)
    fails some prefix of the unadjusted FA*IR table ``fair_mtable(n, p, alpha)``.

    Examples
    --------
    >>> # n = 1: m(1) = 1 only if alpha > 1 - p; here m(1) = 0, so it never fails
    >>> fair_failure_probability(1, 0.5, 0.1)
    0.0
    """
    mtab = fair_mtable(n, p, alpha)[None, :]
    return float(_failure(mtab, np.array([p]))[0])


_NEAR = 1e-9  # relative distance from a CDF value within which binom.ppf itself decides


def _mtables(a: np.ndarray, n: np.ndarray, p: np.ndarray, width: int) -> np.ndarray:
    """``max(binom.ppf(a, k, p), 0)`` for k = 1..width, 0 beyond each row's length ``n``.

    Built down the table with one CDF per cell instead of a quantile (see
    :func:`_down_the_table`).
    """
    low = np.zeros((len(n), width), dtype=np.int64)
    k = np.arange(1, width + 1)[None, :]
    high = np.where(k <= n[:, None], k, 0)  # m(k) is at most k
    return _down_the_table(a, p, low, high)


def _down_the_table(a: np.ndarray, p: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """m-tables between the bounds ``low`` and ``high``, computed column by column.

    Adding a candidate raises a binomial quantile by 0 or 1, so ``m(k)`` is
    ``m(k - 1)`` when ``binom.cdf(m(k - 1), k, p) >= a`` and ``m(k - 1) + 1``
    otherwise: one CDF per cell where the bounds differ, instead of a quantile.
    A level within 1e-9 (relative) of that CDF, where SciPy's quantile rounds by
    its own tolerance, takes ``binom.ppf`` itself, so the table is always the one
    ``binom.ppf`` gives.
    """
    tab = low.copy()
    open_ = low != high
    previous = np.zeros(len(a))
    for k in range(1, low.shape[1] + 1):
        rows = np.flatnonzero(open_[:, k - 1])
        if len(rows):
            tab[rows, k - 1] = _step(previous[rows], k, a[rows], p[rows])
        previous = tab[:, k - 1].astype(np.float64)
    return tab


def _step(m: np.ndarray, k: np.ndarray | int, a: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``binom.ppf(a, k, p)`` given that it is ``m`` or ``m + 1`` (see ``_down_the_table``)."""
    cdf = stats.binom.cdf(m, k, p)
    value = np.where(cdf >= a, m, m + 1).astype(np.int64)
    near = np.abs(cdf - a) <= _NEAR * a
    if near.any():
        kk = np.broadcast_to(k, m.shape)[near]
        value[near] = np.maximum(stats.binom.ppf(a[near], kk, p[near]), 0)
    return value


def _tables_between(
    a: np.ndarray, n: np.ndarray, p: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """m-tables at levels ``a`` (0 beyond each row's length ``n``), given the tables
    ``low`` and ``high`` at a lower and a higher level: a table only grows with the
    level, so only the cells where they differ can vary.

    A cell where they differ by one is ``low`` exactly when ``binom.cdf(low) >= a``:
    one CDF per cell, all rows at once (see :func:`_step`). Rows where some cell
    differs by more are built down the table (:func:`_down_the_table`).
    """
    tab = low.copy()
    wide = ((high - low) > 1).any(axis=1)
    if wide.any():
        tab[wide] = _down_the_table(a[wide], p[wide], low[wide], high[wide])
    r, c = np.nonzero((low != high) & ~wide[:, None])
    if len(r):
        tab[r, c] = _step(low[r, c].astype(np.float64), c + 1, a[r], p[r])
    return tab


def _adjusted(
    n: np.ndarray, p: np.ndarray, alpha: float, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted levels and their m-tables (``(keys, max n)``) by bisection.

    The table is a non-decreasing step function of the level, so a bisection
    only ever needs the table where the bracket's two tables differ, and a
    midpoint whose table equals the bracket's lower (passing) or upper (failing)
    table needs no dynamic programme: after a few halvings most keys need none.
    Every level tried and every decision is the plain bisection's.
    """
    width = int(n.max()) if len(n) else 0
    hi = np.full(len(n), float(alpha))
    lo = np.zeros(len(n))
    tab_hi = _mtables(hi, n, p, width)
    tab_lo = np.zeros_like(tab_hi)  # binom.ppf(0, k, p) = -1, clipped to 0
    done = _failure(tab_hi, p, n) <= alpha + 1e-12
    todo = np.flatnonzero(~done)
    for _ in range(iterations if len(todo) else 0):
        mid = (lo[todo] + hi[todo]) / 2
        low, high = tab_lo[todo], tab_hi[todo]
        tab = _tables_between(mid, n[todo], p[todo], low, high)
        same_lo, same_hi = (tab == low).all(axis=1), (tab == high).all(axis=1)
        ok = same_lo.copy()
        run = ~same_lo & ~same_hi
        if run.any():
            ok[run] = _failure(tab[run], p[todo][run], n[todo][run]) <= alpha + 1e-12
        lo[todo] = np.where(ok, mid, lo[todo])
        hi[todo] = np.where(ok, hi[todo], mid)
        tab_lo[todo[ok]], tab_hi[todo[~ok]] = tab[ok], tab[~ok]
    return np.where(done, float(alpha), lo), np.where(done[:, None], tab_hi, tab_lo)


@validate_params({"alpha": [ALPHA], "iterations": [Interval(Integral, 1, None)]})
def fair_adjusted_alpha(
    n: np.ndarray, p: np.ndarray, alpha: float, iterations: int = 24
) -> np.ndarray:
    """FA*IR multiple-testing adjustment of ``alpha``, for many (n, p) at once.

    The adjusted level is the largest ``alpha_c <= alpha`` (found by bisection,
    ``iterations`` halvings) whose table ``m(k) = binom.ppf(alpha_c, k, p)``
    is failed by a fair ranking, one where each position is protected
    independently with probability ``p``, with probability at most ``alpha``.
    The failure probability is exact (dynamic programme over prefixes), as in
    Zehlike et al. (2017).

    Examples
    --------
    >>> a = fair_adjusted_alpha(np.array([20]), np.array([0.5]), 0.1)
    >>> bool(a[0] < 0.1), fair_failure_probability(20, 0.5, float(a[0])) <= 0.1
    (True, True)
    """
    n = np.atleast_1d(np.asarray(n, dtype=np.int64))
    p = np.atleast_1d(np.asarray(p, dtype=np.float64))
    return _adjusted(n, p, alpha, iterations)[0]


@validate_params(
    {
        "n_jobs": [_COUNT],
        "alpha": [ALPHA],
        "adjust": _FLAG,
        "presorted": _FLAG,
        "max_length": [None, Interval(Integral, 1, None, fix="Pass e.g. max_length=1000.")],
    }
)
def fair_test(
    jobs: np.ndarray,
    positions: np.ndarray,
    protected: np.ndarray | None,
    n_jobs: int,
    p: np.ndarray,
    alpha: float = 0.1,
    adjust: bool = True,
    presorted: bool = False,
    prefix: np.ndarray | None = None,
    max_length: int | None = None,
) -> dict[str, np.ndarray]:
    """FA*IR ranked group fairness test per job (Zehlike et al. 2017).

    Job ``j`` passes when every prefix of length ``k`` holds at least
    ``m(k) = binom.ppf(alpha_c, k, p[j])`` protected candidates, with
    ``alpha_c`` the adjusted level of :func:`fair_adjusted_alpha` (or ``alpha``
    itself with ``adjust=False``). With ``max_length``, a longer job is tested
    as the top-``max_length`` ranking it begins with (the adjustment's exact
    dynamic programme costs time quadratic in the tested length).

    Returns
    -------
    dict
        ``"passed"`` (bool per job; False for an empty job), ``"first_failing_prefix"``
        (the smallest failing k, 0 when the job passes), ``"alpha_adjusted"`` and
        ``"tested_length"`` (the job's length, or ``max_length`` when shorter).

    Examples
    --------
    >>> # 10 candidates, none protected, p = 0.5: m(k) > 0 from some k on, so it fails
    >>> out = fair_test(np.zeros(10, int), np.arange(1, 11), np.zeros(10, bool), 1,
    ...                 np.array([0.5]))
    >>> bool(out["passed"][0]), int(out["first_failing_prefix"][0]) > 0
    (False, True)
    """
    jobs, positions, protected = _sorted(jobs, positions, protected, presorted=presorted)
    jobs = np.asarray(jobs, dtype=np.int64)
    sizes, starts = _layout(jobs, n_jobs)
    tested = sizes if max_length is None else np.minimum(sizes, max_length)
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), (n_jobs,))
    # One table per distinct (length, p): jobs share them.
    p_values, p_code = np.unique(p, return_inverse=True)
    pair = tested.astype(np.int64) * len(p_values) + p_code.reshape(-1)
    pairs, key = np.unique(pair, return_inverse=True)
    key = np.asarray(key).reshape(-1)
    n_u, p_u = pairs // len(p_values), p_values[pairs % len(p_values)]
    if adjust:
        alpha_u, mtab = _adjusted(n_u, p_u, alpha, 24)
    else:
        alpha_u = np.full(len(n_u), float(alpha))
        mtab = _mtables(alpha_u, n_u, p_u, int(n_u.max()) if len(n_u) else 0)
    positions = np.asarray(positions, dtype=np.int64)
    have = (
        prefix if prefix is not None else _prefix_count(np.asarray(protected, dtype=bool), starts)
    )
    # Row i of job j needs mtab[key[j], position_i - 1]: one flat lookup per row. Rows past
    # the tested length look up its last prefix, where they cannot fail first (counts only
    # grow down a ranking).
    if max_length is not None and len(positions) and positions.max() > max_length:
        positions = np.minimum(positions, max_length)
    cell = np.repeat(key * mtab.shape[1] - 1, sizes) + positions
    flat = mtab.astype(np.int32).ravel()
    fail = np.flatnonzero(have < flat[cell]) if len(cell) else cell
    # Rows are sorted by job then position: the first failing row of a job starts its run.
    fail_jobs = jobs[fail]
    new = np.concatenate(([True], fail_jobs[1:] != fail_jobs[:-1])) if len(fail) else fail > 0
    first = np.zeros(n_jobs, dtype=np.int64)
    first[fail_jobs[new]] = positions[fail[new]]
    passed = (first == 0) & (sizes > 0)
    return {
        "passed": passed,
        "first_failing_prefix": first,
        "alpha_adjusted": alpha_u[key],
        "tested_length": tested,
    }
