"""Exact, tie-aware per-group Mann-Whitney statistics for ROC AUC.

Rows are bucketed once by (label, finest attribute cell) with a radix sort of a
small integer key, and the scores of each bucket are sorted in place. A group of
any attribute combination is a union of finest cells, so its sorted negative and
positive scores are the merge of a few buckets (no merge at all for the finest
cells), and ``U`` counts, for each positive, the negatives below it plus half the
negatives tied with it, by binary search.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from biasaudit._validation import Interval, validate_params

__all__ = ["CellScores", "mann_whitney_u"]


class CellScores:
    """Scores sorted within each (label, cell) bucket.

    Parameters
    ----------
    score : ndarray of float
        Scores in pool order.
    label : ndarray of bool
        Labels in pool order.
    cell : ndarray of int
        Finest attribute cell of each row, in ``[0, n_cells)``.
    n_cells : int
        Number of finest cells.
    """

    @validate_params({"n_cells": [Interval(Integral, 1, None)]})
    def __init__(
        self, score: np.ndarray, label: np.ndarray, cell: np.ndarray, n_cells: int
    ) -> None:
        small = np.int16 if 2 * n_cells < 2**15 else np.int64
        key = label.astype(small) * small(n_cells) + cell.astype(small, copy=False)
        order = np.argsort(key, kind="stable")  # radix sort for 16-bit keys
        self.values = score[order]
        del order
        counts = np.bincount(key, minlength=2 * n_cells)
        self.bounds = np.concatenate(([0], np.cumsum(counts)))
        for b in range(2 * n_cells):
            self.values[self.bounds[b] : self.bounds[b + 1]].sort()
        self.n_cells = n_cells

    def scores(self, cells: np.ndarray, positive: bool) -> np.ndarray:
        """Sorted scores of the given cells' negatives or positives."""
        offset = self.n_cells if positive else 0
        parts = [self.values[self.bounds[c + offset] : self.bounds[c + offset + 1]] for c in cells]
        if len(parts) == 1:
            return parts[0]
        return np.sort(np.concatenate(parts)) if parts else np.empty(0)


def _u(negatives: np.ndarray, positives: np.ndarray) -> float:
    if not len(negatives) or not len(positives):
        return 0.0
    below = np.searchsorted(negatives, positives, side="left")
    upto = np.searchsorted(negatives, positives, side="right")
    return float(below.sum() + 0.5 * (upto - below).sum())


@validate_params({"n_groups": [Interval(Integral, 0, None)]})
def mann_whitney_u(
    cells: CellScores, group_of_cell: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group U statistic of positives over negatives (ties count one half).

    Parameters
    ----------
    cells : CellScores
        Scores bucketed by (label, finest cell).
    group_of_cell : ndarray of int
        The group each finest cell belongs to, in ``[0, n_groups)``.
    n_groups : int
        Number of groups.

    Returns
    -------
    u, n_pos, n_neg : ndarray
        ``AUC = u / (n_pos * n_neg)`` for each group.

    Examples
    --------
    >>> c = CellScores(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]),
    ...                np.zeros(4, dtype=np.int8), 1)
    >>> mann_whitney_u(c, np.zeros(1, dtype=np.int64), 1)[0].tolist()
    [3.0]
    """
    u = np.zeros(n_groups)
    n_pos = np.zeros(n_groups)
    n_neg = np.zeros(n_groups)
    for g in range(n_groups):
        members = np.flatnonzero(group_of_cell == g)
        negatives = cells.scores(members, positive=False)
        positives = cells.scores(members, positive=True)
        u[g], n_pos[g], n_neg[g] = _u(negatives, positives), len(positives), len(negatives)
    return u, n_pos, n_neg
