"""Exact, tie-aware per-group Mann-Whitney statistics for ROC AUC.

One global sort by score is shared by every grouping; each grouping then needs
only a stable radix sort of its small integer codes, so rows end up ordered by
(group, score) and mid-ranks come from tie-block boundaries.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ScoreOrder", "mann_whitney_u"]


class ScoreOrder:
    """The pool's rows sorted by score, computed once and reused per grouping."""

    def __init__(self, score: np.ndarray, label: np.ndarray) -> None:
        self.order = np.argsort(score, kind="stable")
        self.score = score[self.order]
        self.label = label[self.order]


def mann_whitney_u(
    order: ScoreOrder, groups: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group U statistic of positives over negatives (ties count one half).

    Parameters
    ----------
    order : ScoreOrder
        Rows sorted by score.
    groups : ndarray of int
        Group code per row (pool order), in ``[0, n_groups)``.
    n_groups : int
        Number of groups.

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
    small = np.int16 if n_groups < 2**15 else np.int64
    g_sorted = groups[order.order].astype(small, copy=False)
    regroup = np.argsort(g_sorted, kind="stable")
    g = g_sorted[regroup]
    s = order.score[regroup]
    pos = order.label[regroup].astype(bool)
    n = len(s)
    sizes = np.bincount(g, minlength=n_groups)
    group_start = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    new_block = np.empty(n, dtype=bool)
    new_block[:1] = True
    np.not_equal(s[1:], s[:-1], out=new_block[1:])
    new_block[1:] |= g[1:] != g[:-1]
    starts = np.flatnonzero(new_block)
    ends = np.append(starts[1:], n) - 1
    block = np.cumsum(new_block) - 1
    # 1-based mid-rank of each row within its own group.
    midrank = (starts[block] + ends[block]) / 2.0 - group_start[g] + 1.0
    rank_sum = np.bincount(g[pos], weights=midrank[pos], minlength=n_groups)
    n_pos = np.bincount(g[pos], minlength=n_groups).astype(np.float64)
    n_neg = sizes - n_pos
    u = rank_sum - n_pos * (n_pos + 1) / 2.0
    return u, n_pos, n_neg
