"""Bootstrap distributions of the change in a group metric between two audits.

**Paired** (both audits scored the same candidates): resampling candidates with
replacement, each carrying its cell, label and both decisions. Every statistic is a
function of the counts per distinct (attribute cell, label, baseline decisions,
candidate decisions) combination, so the pool is first reduced to those counts and a
bootstrap replicate is one multinomial draw of ``N`` candidates over them: exactly
the distribution of the counts of a candidate resample, at a cost independent of
``N``. All metrics and groups share the same replicates.

**Unpaired** (different pools): each side and each group is resampled on its own,
stratified by group and conditional on its denominator: the numerator of the rate is
redrawn as ``Binomial(denominator, observed rate)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from biasaudit.gate._metrics import GateMetric
from biasaudit.metrics._registry import Counts

__all__ = [
    "CellTable",
    "Contrast",
    "contrast_statistics",
    "paired_bootstrap",
    "regression",
    "simultaneous_bounds",
    "unpaired_bootstrap",
]


@dataclass(frozen=True)
class CellTable:
    """Distinct (cell, label, selected, above median) x (baseline, candidate) rows and counts.

    ``selected`` and ``above`` have shape ``(2, K)``: row 0 the baseline, row 1 the
    candidate.
    """

    cell: np.ndarray
    label: np.ndarray
    selected: np.ndarray
    above: np.ndarray
    count: np.ndarray

    @property
    def total(self) -> int:
        """Number of candidates (rows) reduced."""
        return int(self.count.sum())

    @classmethod
    def reduce(
        cls,
        cell: np.ndarray,
        label: np.ndarray | None,
        selected: Sequence[np.ndarray | None],
        above: Sequence[np.ndarray | None],
    ) -> CellTable:
        """Count the rows per distinct combination.

        Examples
        --------
        >>> t = CellTable.reduce(np.array([0, 0, 1, 0]), None,
        ...                      [np.array([1, 1, 0, 0]), np.array([1, 1, 0, 1])], [None, None])
        >>> t.count.tolist(), t.selected.astype(int).tolist()
        ([1, 2, 1], [[0, 1, 0], [1, 1, 0]])
        """
        zero = np.zeros(len(cell), dtype=np.int64)

        def bit(a: np.ndarray | None) -> np.ndarray:
            return zero if a is None else np.asarray(a, dtype=np.int64)

        parts = [bit(label), bit(selected[0]), bit(selected[1]), bit(above[0]), bit(above[1])]
        key = np.asarray(cell, dtype=np.int64)
        for part in parts:
            key = key * 2 + part
        keys, count = np.unique(key, return_counts=True)
        decoded = []
        for _ in parts:
            decoded.append(keys % 2)
            keys = keys // 2
        ac, ab, sc, sb, lab = decoded
        return cls(
            cell=keys,
            label=lab.astype(bool),
            selected=np.vstack([sb, sc]).astype(bool),
            above=np.vstack([ab, ac]).astype(bool),
            count=count.astype(np.int64),
        )


@dataclass(frozen=True)
class Contrast:
    """One group's metric against its comparison group, on both sides.

    ``group`` and ``reference`` are boolean masks over the finest cells (the
    reference may differ between the baseline, index 0, and the candidate, 1).
    """

    metric: GateMetric
    direction: str
    group: np.ndarray
    reference: tuple[np.ndarray, np.ndarray]


def _indicators(table: CellTable, side: int, metric: GateMetric) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct row: does it count in the metric's numerator, its denominator?"""
    sel, lab = table.selected[side], table.label
    counts = Counts(
        n=np.ones(len(table.count), dtype=np.int64),
        selected=sel.astype(np.int64),
        label_positive=lab.astype(np.int64),
        true_positive=(sel & lab).astype(np.int64),
        false_positive=(sel & ~lab).astype(np.int64),
        above_median=table.above[side].astype(np.int64),
    )
    return metric.rate.numerator(counts), metric.rate.denominator(counts)


def _design(table: CellTable, contrasts: Sequence[Contrast]) -> np.ndarray:
    """(K, 8 C) matrix: per contrast and side, numerator and denominator of group and reference."""
    columns = []
    for c in contrasts:
        in_group = c.group[table.cell]
        for side in (0, 1):
            num, den = _indicators(table, side, c.metric)
            in_ref = c.reference[side][table.cell]
            columns += [num * in_group, den * in_group, num * in_ref, den * in_ref]
    if not columns:  # float64: exact for counts below 2**53, and matrix products use BLAS
        return np.zeros((len(table.count), 0))
    return np.stack(columns, axis=1).astype(np.float64)


def _rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def contrast_statistics(sums: np.ndarray, contrasts: Sequence[Contrast]) -> np.ndarray:
    """Metric values from the sums of :func:`_design`, shape ``(..., C, 2)``.

    The last axis holds the baseline (0) and the candidate (1).
    """
    sums = np.asarray(sums, dtype=np.float64).reshape(*np.shape(sums)[:-1], len(contrasts), 2, 4)
    group = _rate(sums[..., 0], sums[..., 1])
    ref = _rate(sums[..., 2], sums[..., 3])
    kinds = np.array([c.metric.kind == "ratio" for c in contrasts])[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ref > 0, group / np.where(ref > 0, ref, 1), np.nan)
    return np.where(kinds, ratio, group - ref)


def regression(values: np.ndarray, contrasts: Sequence[Contrast]) -> np.ndarray:
    """How much worse the candidate is than the baseline, per contrast (positive is worse).

    ``down``: baseline - candidate; ``up``: candidate - baseline; ``away``: the
    increase in distance from parity, ``|candidate - parity| - |baseline - parity|``.
    """
    base, cand = values[..., 0], values[..., 1]
    out = np.empty(np.shape(base))
    for i, c in enumerate(contrasts):
        b, k = base[..., i], cand[..., i]
        if c.direction == "down":
            out[..., i] = b - k
        elif c.direction == "up":
            out[..., i] = k - b
        else:
            p = c.metric.parity
            out[..., i] = np.abs(k - p) - np.abs(b - p)
    return out


def paired_bootstrap(
    table: CellTable, contrasts: Sequence[Contrast], *, resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed values, observed regressions and bootstrap regressions of paired audits.

    Returns
    -------
    values : ndarray, shape (C, 2)
        Observed baseline and candidate values of each contrast.
    observed : ndarray, shape (C,)
        Observed regression of each contrast.
    replicates : ndarray, shape (resamples, C)
        Regression in each bootstrap replicate (NaN where undefined).

    Examples
    --------
    With identical decisions on both sides, every replicate shows no change:

    >>> from biasaudit.gate._metrics import gate_metric
    >>> sel = np.array([1, 0, 1, 1, 0, 0], dtype=bool)
    >>> t = CellTable.reduce(np.array([0, 0, 0, 1, 1, 1]), None, [sel, sel], [None, None])
    >>> c = Contrast(gate_metric("impact_ratio"), "down", np.array([False, True]),
    ...              (np.array([True, False]),) * 2)
    >>> values, observed, reps = paired_bootstrap(t, [c], resamples=200, seed=0)
    >>> values.round(3).tolist(), float(observed[0]), float(np.nanmax(np.abs(reps)))
    ([[0.5, 0.5]], 0.0, 0.0)
    """
    design = _design(table, contrasts)
    values = contrast_statistics(table.count.astype(np.float64) @ design, contrasts)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(table.total, table.count / table.total, size=resamples)
    sums = draws.astype(np.float64) @ design
    replicates = regression(contrast_statistics(sums, contrasts), contrasts)
    return values, regression(values[None], contrasts)[0], replicates


def unpaired_bootstrap(
    counts: np.ndarray, contrasts: Sequence[Contrast], *, resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same outputs for independent audits, from per-group counts.

    ``counts`` has shape ``(C, 2, 4)``: per contrast and side, the numerator and
    denominator of the group and of its comparison group (the group itself when it
    is the comparison group, which the caller marks by equal masks).
    """
    counts = np.asarray(counts, dtype=np.int64)
    rng = np.random.default_rng(seed)
    draws = np.empty((resamples, len(contrasts), 2, 4), dtype=np.float64)
    for i, c in enumerate(contrasts):
        for side in (0, 1):
            num, den, rnum, rden = counts[i, side]
            draws[:, i, side, 0] = _binomial(rng, den, num, resamples)
            same = np.array_equal(c.group, c.reference[side])
            draws[:, i, side, 2] = (
                draws[:, i, side, 0] if same else _binomial(rng, rden, rnum, resamples)
            )
            draws[:, i, side, 1], draws[:, i, side, 3] = den, rden
    values = contrast_statistics(counts.reshape(len(contrasts) * 8), contrasts)
    replicates = regression(
        contrast_statistics(draws.reshape(resamples, len(contrasts) * 8), contrasts), contrasts
    )
    return values, regression(values[None], contrasts)[0], replicates


def simultaneous_bounds(
    observed: np.ndarray, replicates: np.ndarray, confidence: float, usable: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided percentile bounds that hold for every usable check at once.

    A single-step min-P adjustment on the bootstrap itself: each replicate value is
    replaced by its position in its own check's bootstrap distribution (an empirical
    CDF), the most extreme position over the checks is taken in each replicate, and
    the ``1 - confidence`` quantile of those minima is the level ``a`` at which every
    check's own percentile bound is read (``L`` = its ``a`` quantile, ``U`` = its
    ``1 - a'`` quantile). The chance that any bound of the family misses its
    regression is then at most ``1 - confidence`` (asymptotically), however many
    groups and metrics are checked and however they are correlated; per-check
    bounds at ``1 - confidence`` each do not control that family-wise rate. Working
    on positions rather than scaled deviations keeps one heavy-tailed check (a small
    group's ratio) from widening everyone's bounds. A check whose replicates do not
    vary (identical decisions) has bounds equal to its value.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> reps = rng.normal(size=(4000, 10))
    >>> low, high = simultaneous_bounds(np.zeros(10), reps, 0.95, np.ones(10, bool))
    >>> bool(-3.0 < low[0] < -2.3)  # wider than the single 95% bound -1.645
    True
    """
    observed = np.asarray(observed, dtype=np.float64)
    low, high = observed.copy(), observed.copy()
    if not len(observed) or not len(replicates):
        return low, high
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN check
        spread = usable & (np.nanstd(replicates, axis=0) > 0)
    if not spread.any():
        return low, high
    reps = replicates[:, spread]
    ranks = stats.rankdata(reps, axis=0, nan_policy="omit")  # NaN stays NaN
    finite = np.isfinite(reps).sum(axis=0)
    below, above = ranks / finite, (finite + 1 - ranks) / finite
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a_low = float(np.nanquantile(np.nanmin(below, axis=1), 1 - confidence))
        a_high = float(np.nanquantile(np.nanmin(above, axis=1), 1 - confidence))
        low[spread] = np.nanquantile(reps, a_low, axis=0, method="inverted_cdf")
        high[spread] = np.nanquantile(reps, 1 - a_high, axis=0, method="inverted_cdf")
    return low, high


def _binomial(rng: np.random.Generator, n: int, k: int, size: int) -> np.ndarray:
    if n <= 0:
        return np.zeros(size)
    return rng.binomial(int(n), k / n, size=size).astype(np.float64)
