"""Rows in (job, position) order: by the rank column or by scores, with no loop over jobs."""

from typing import Literal

import numpy as np

from biasaudit import _errors as E
from biasaudit.metrics import ranking as R
from biasaudit.pool import CandidatePool
from biasaudit.ranking._messages import BAD_RANK_VALUES, DUPLICATE_RANK


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
) -> np.ndarray | Literal[False] | None:
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
