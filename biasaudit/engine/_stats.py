"""Sufficient statistics: the small, exact, mergeable summary every metric reads."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from biasaudit import _errors as E

__all__ = ["OUTCOME_AXES", "SufficientStats"]

#: The last three axes of ``SufficientStats.cube``: selected, label, above median.
OUTCOME_AXES = ("selected", "label", "above_median")


@dataclass(frozen=True)
class SufficientStats:
    """Counts per (attribute cell x job stratum) and score summaries per cell.

    ``cube`` has shape ``(*categories, n_jobs, 2, 2, 2)``: one axis per attribute
    (its categories, ``Unknown`` last when present), one for the job stratum and
    three binary outcome axes (selected, label positive, score above the full
    sample's median). Every count the metrics need (n, selected, label
    positives, true and false positives, scoring-rate counts) is a sum over
    this cube. ``score_sum`` and ``score_sq`` have shape ``(*categories,
    n_jobs)``; ``hist`` holds fixed-bin score histograms with shape
    ``(*categories, 2, n_bins)`` (label negative, positive), summed over jobs so
    that its size does not grow with the number of jobs.

    Two statistics with the same layout add up with ``+``: reduce chunks,
    files or partitions separately and sum them.

    Examples
    --------
    >>> import numpy as np
    >>> cube = np.zeros((2, 1, 2, 2, 2), dtype=np.int64); cube[0, 0, 1, 0, 0] = 3
    >>> s = SufficientStats(("sex",), (("F", "M"),), (False,), ("(all)",), cube)
    >>> int((s + s).cube.sum())
    6
    """

    attributes: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    has_unknown: tuple[bool, ...]
    jobs: tuple[str, ...]
    cube: np.ndarray
    score_sum: np.ndarray | None = None
    score_sq: np.ndarray | None = None
    hist: np.ndarray | None = None
    bin_range: tuple[float, float] | None = None
    scoring_threshold: float | None = None
    has_label: bool = False
    has_selection: bool = True
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def _layout(self) -> tuple:
        return (
            self.attributes,
            self.categories,
            self.has_unknown,
            self.jobs,
            self.bin_range,
            self.scoring_threshold,
            self.has_label,
            self.has_selection,
            None if self.hist is None else self.hist.shape,
        )

    def __add__(self, other: SufficientStats) -> SufficientStats:
        names = (
            "attributes",
            "categories",
            "unknown flags",
            "jobs",
            "score bins",
            "scoring thresholds",
            "label presence",
            "selection presence",
            "histogram shapes",
        )
        for name, left, right in zip(names, self._layout(), other._layout()):
            if left != right:
                raise E.ValidationError(E.STATS_MISMATCH.format(what=name, left=left, right=right))

        def add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            return None if a is None or b is None else a + b

        return replace(
            self,
            cube=self.cube + other.cube,
            score_sum=add(self.score_sum, other.score_sum),
            score_sq=add(self.score_sq, other.score_sq),
            hist=add(self.hist, other.hist),
            meta={},
        )

    @property
    def n_rows(self) -> int:
        """Total number of candidates summarised."""
        return int(self.cube.sum())

    def axes_of(self, attributes: tuple[str, ...]) -> tuple[int, ...]:
        """Cube axes of the given attributes, in their order."""
        return tuple(self.attributes.index(a) for a in attributes)

    def marginal(self, attributes: tuple[str, ...], *, keep_jobs: bool = False) -> np.ndarray:
        """Counts over the given attributes: shape ``(*their categories, [jobs,] 2, 2, 2)``."""
        drop = [i for i in range(len(self.attributes)) if self.attributes[i] not in attributes]
        if not keep_jobs:
            drop.append(len(self.attributes))
        out = self.cube.sum(axis=tuple(drop))
        return _reorder(out, self, attributes)

    def marginal_scores(self, attributes: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Score sum and sum of squares over the given attributes, jobs summed."""
        assert self.score_sum is not None and self.score_sq is not None, "no scores reduced"
        drop = tuple(
            i
            for i in range(len(self.attributes) + 1)
            if i == len(self.attributes) or self.attributes[i] not in attributes
        )
        return (
            _reorder(self.score_sum.sum(axis=drop), self, attributes),
            _reorder(self.score_sq.sum(axis=drop), self, attributes),
        )

    def marginal_hist(self, attributes: tuple[str, ...]) -> np.ndarray:
        """Histograms over the given attributes: shape ``(*categories, 2, n_bins)``."""
        assert self.hist is not None, "no scores reduced"
        drop = tuple(i for i, a in enumerate(self.attributes) if a not in attributes)
        return _reorder(self.hist.sum(axis=drop), self, attributes)


def _reorder(array: np.ndarray, stats: SufficientStats, attributes: tuple[str, ...]) -> np.ndarray:
    """Move attribute axes (kept in the cube's order) into the requested order."""
    kept = [a for a in stats.attributes if a in attributes]
    if kept == list(attributes):
        return array
    perm = [kept.index(a) for a in attributes] + list(range(len(kept), array.ndim))
    return array.transpose(perm)
