"""Exact, tie-aware per-group Mann-Whitney statistics for ROC AUC.

One global sort by score is shared by every grouping: it yields the tie blocks
(runs of equal scores) and puts the label and attribute codes in score order.
Each grouping then needs only a stable radix sort of its small integer codes,
so rows end up ordered by (group, score), and a row's mid-rank within its group
comes from the boundaries of its (group, tie block) run.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ScoreOrder", "mann_whitney_u"]


def _small_int(n_values: int) -> type:
    return np.int16 if n_values < 2**15 else np.int64


class ScoreOrder:
    """Rows sorted by score once; tie blocks and per-row data in that order.

    Parameters
    ----------
    score : ndarray of float
        Scores in pool order.
    label : ndarray of bool
        Labels in pool order.
    """

    def __init__(self, score: np.ndarray, label: np.ndarray) -> None:
        self.order = np.argsort(score)  # ties need no stable order: blocks handle them
        ordered = score[self.order]
        new_block = np.empty(len(ordered), dtype=bool)
        new_block[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new_block[1:])
        #: Tie-block id of each row in score order (equal scores share an id).
        kind = np.int32 if len(ordered) < 2**31 else np.int64
        self.block = np.cumsum(new_block, dtype=kind) - 1
        self.label = label[self.order].astype(bool, copy=False)
        self._codes: dict[int, np.ndarray] = {}

    def take(self, codes: np.ndarray) -> np.ndarray:
        """Codes put in score order (cached per array)."""
        key = id(codes)
        if key not in self._codes:
            self._codes[key] = codes[self.order]
        return self._codes[key]


def mann_whitney_u(
    order: ScoreOrder, groups: np.ndarray, n_groups: int, *, sorted_codes: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group U statistic of positives over negatives (ties count one half).

    Parameters
    ----------
    order : ScoreOrder
        Rows sorted by score.
    groups : ndarray of int
        Group code per row in ``[0, n_groups)``: in pool order, or already in
        score order when ``sorted_codes`` is true.
    n_groups : int
        Number of groups.
    sorted_codes : bool
        Whether ``groups`` is already in score order.

    Returns
    -------
    u, n_pos, n_neg : ndarray
        ``AUC = u / (n_pos * n_neg)`` for each group.

    Examples
    --------
    >>> s = ScoreOrder(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    >>> mann_whitney_u(s, np.zeros(4, dtype=np.int8), 1)[0].tolist()
    [3.0]
    """
    g_sorted = groups if sorted_codes else groups[order.order]
    g_sorted = g_sorted.astype(_small_int(n_groups), copy=False)
    regroup = np.argsort(g_sorted, kind="stable")  # radix sort: rows by (group, score)
    g = g_sorted[regroup]
    block = order.block[regroup]
    pos = order.label[regroup]
    n = len(g)
    sizes = np.bincount(g, minlength=n_groups)
    group_start = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    run_start = np.empty(n, dtype=bool)
    run_start[:1] = True
    np.not_equal(block[1:], block[:-1], out=run_start[1:])
    run_start[1:] |= g[1:] != g[:-1]
    starts = np.flatnonzero(run_start)
    ends = np.append(starts[1:], n) - 1
    pos_rows = np.flatnonzero(pos)
    run = (np.cumsum(run_start, dtype=np.int64) - 1)[pos_rows]
    g_pos = g[pos_rows]
    # 1-based mid-rank of each positive within its own group.
    midrank = (starts[run] + ends[run]) / 2.0 - group_start[g_pos] + 1.0
    rank_sum = np.bincount(g_pos, weights=midrank, minlength=n_groups)
    n_pos = np.bincount(g_pos, minlength=n_groups).astype(np.float64)
    n_neg = sizes - n_pos
    u = rank_sum - n_pos * (n_pos + 1) / 2.0
    return u, n_pos, n_neg
