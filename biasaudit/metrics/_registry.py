"""The registry of per-group rate metrics, each a ratio of two cube counts.

A metric is a pure function of the sufficient statistics: its numerator and
denominator are sums over the outcome axes of the marginal cube (shape
``(..., 2 selected, 2 label, 2 above median)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["METRICS", "Counts", "RateMetric", "counts_from_cube"]


@dataclass(frozen=True)
class Counts:
    """Per-group counts, each an array over the groups of one table."""

    n: np.ndarray
    selected: np.ndarray
    label_positive: np.ndarray
    true_positive: np.ndarray
    false_positive: np.ndarray
    above_median: np.ndarray

    @property
    def label_negative(self) -> np.ndarray:
        """Candidates whose label is negative."""
        return self.n - self.label_positive

    @property
    def false_negative(self) -> np.ndarray:
        """Qualified candidates not selected."""
        return self.label_positive - self.true_positive


def counts_from_cube(cube: np.ndarray) -> Counts:
    """Counts from a cube whose last three axes are (selected, label, above).

    Examples
    --------
    >>> cube = np.zeros((2, 2, 2, 2), dtype=int); cube[0, 1, 1, 0] = 4; cube[1, 0, 0, 1] = 2
    >>> counts_from_cube(cube).true_positive.tolist()
    [4, 0]
    """
    return Counts(
        n=cube.sum(axis=(-3, -2, -1)),
        selected=cube[..., 1, :, :].sum(axis=(-2, -1)),
        label_positive=cube[..., :, 1, :].sum(axis=(-2, -1)),
        true_positive=cube[..., 1, 1, :].sum(axis=-1),
        false_positive=cube[..., 1, 0, :].sum(axis=-1),
        above_median=cube[..., 1].sum(axis=(-2, -1)),
    )


@dataclass(frozen=True)
class RateMetric:
    """A rate ``numerator / denominator`` computed per group.

    ``requires`` names what the pool must have (``"label"`` or ``"score"``);
    ``key`` is the short prefix used for the metric's test columns;
    ``in_family`` says whether its Z tests join the audit's multiple-testing
    family (not for the base rate, a property of the data rather than of the
    decision, nor for the false-negative rate, whose test repeats the
    true-positive rate's). ``favourable`` says which end of the rate treats a
    group best: ``"high"`` (selection, true positives, ...) or ``"low"`` (the
    false-negative rate: qualified candidates turned away). Without a stated
    reference group, the comparison group is the best-treated one, so ratios of
    a ``"low"`` metric are 1 or more and ``fnr_ratio <= 1.25`` means something.
    """

    name: str
    key: str
    numerator: Callable[[Counts], np.ndarray]
    denominator: Callable[[Counts], np.ndarray]
    requires: str | None
    description: str
    in_family: bool = True
    favourable: str = "high"


METRICS: dict[str, RateMetric] = {
    m.name: m
    for m in (
        RateMetric(
            "selection_rate",
            "selection",
            lambda c: c.selected,
            lambda c: c.n,
            None,
            "Share of the group selected (LL144 selection rate).",
        ),
        RateMetric(
            "scoring_rate",
            "scoring",
            lambda c: c.above_median,
            lambda c: c.n,
            "score",
            "Share of the group scored strictly above the full sample's median (LL144).",
        ),
        RateMetric(
            "base_rate",
            "base",
            lambda c: c.label_positive,
            lambda c: c.n,
            "label",
            "Share of the group that is qualified (label positive).",
            in_family=False,
        ),
        RateMetric(
            "true_positive_rate",
            "tpr",
            lambda c: c.true_positive,
            lambda c: c.label_positive,
            "label",
            "Share of qualified candidates selected (equal opportunity).",
        ),
        RateMetric(
            "false_positive_rate",
            "fpr",
            lambda c: c.false_positive,
            lambda c: c.label_negative,
            "label",
            "Share of unqualified candidates selected.",
        ),
        RateMetric(
            "false_negative_rate",
            "fnr",
            lambda c: c.false_negative,
            lambda c: c.label_positive,
            "label",
            "Share of qualified candidates not selected.",
            in_family=False,
            favourable="low",
        ),
        RateMetric(
            "precision",
            "precision",
            lambda c: c.true_positive,
            lambda c: c.selected,
            "label",
            "Share of selected candidates who are qualified (predictive parity).",
        ),
    )
}
