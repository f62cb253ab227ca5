"""Group fairness metrics on arrays, in the scikit-learn and fairlearn style.

Each function takes ``y_true`` and ``y_pred`` (0/1 or booleans; ``y_true`` may be
``None`` where the metric does not use it) and a keyword-only
``sensitive_features``: one array of group labels, or a DataFrame / 2-D array
whose columns are crossed into intersectional groups. No :func:`biasaudit.audit`
call is needed, and the numbers are those the audit's group tables hold: the
rates, the impact ratio against the highest-rate group (NYC Local Law 144) or a
stated reference group, Wilson intervals for rates, Katz log intervals for
ratios and pooled two-proportion Z tests.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, Options, validate_params
from biasaudit.metrics.significance import (
    CONFIDENCE,
    CORRECTION,
    adjust_pvalues,
    katz_ratio_ci,
    two_proportion_z,
    wilson_interval,
)

__all__ = [
    "disparate_impact_ratio",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "group_summary",
    "impact_ratios",
    "selection_rate",
    "selection_rate_difference",
]

FOUR_FIFTHS = 0.8

_BINARY = (
    "{name} must hold only 0 and 1 (or True and False); got the values {values}. "
    "Pass the decisions or labels as 0/1, or set pos_label= to the value that means 1."
)
_LENGTHS = (
    "y_true, y_pred and sensitive_features must have one entry per candidate; got lengths "
    "{lengths}. Pass arrays of the same length."
)
_NO_LABEL = "{metric} needs y_true (the ground-truth labels); got None. Pass y_true=..."
_NO_REFERENCE = (
    "reference_group {value!r} is not among the groups {groups}. Pass one of those, or "
    "reference_group=None for the highest-rate group."
)
_VALIDATION: dict[str, list[Any]] = {
    "confidence": [CONFIDENCE],
    "alpha": [Interval(Real, 0, 1, closed="neither", fix="Pass e.g. alpha=0.05.")],
    "correction": [CORRECTION],
    "rate": [Options(str, ("selection", "true_positive", "false_positive"))],
}


def _binary(name: str, values: Any, pos_label: Any) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == bool:
        return array.astype(np.int8)
    if pos_label != 1:  # a stated positive label: every other value is negative
        return (array == pos_label).astype(np.int8)
    bad = ~np.isin(array, (0, 1))
    if bad.any():
        shown = sorted({str(v) for v in array[bad][:5]})
        raise E.ValidationError(_BINARY.format(name=name, values=shown))
    return (array == 1).astype(np.int8)


def _groups(sensitive_features: Any) -> tuple[np.ndarray, pd.Index]:
    """Codes per candidate and the group labels (a MultiIndex for several columns)."""
    if isinstance(sensitive_features, pd.DataFrame) or np.ndim(sensitive_features) == 2:
        frame = pd.DataFrame(sensitive_features).astype(str)
        codes, labels = pd.MultiIndex.from_frame(frame).factorize(sort=True)
        return np.asarray(codes), pd.MultiIndex.from_tuples(list(labels), names=frame.columns)
    series = pd.Series(np.asarray(sensitive_features)).astype(str)
    codes, labels = pd.factorize(series, sort=True)
    name = getattr(sensitive_features, "name", None)
    return np.asarray(codes), pd.Index(labels, name=name)


@dataclass(frozen=True)
class _Counts:
    labels: pd.Index
    n: np.ndarray
    hits: np.ndarray


def _counts(
    y_true: Any, y_pred: Any, sensitive_features: Any, rate: str, pos_label: Any
) -> _Counts:
    """Per group: how many candidates count (the rate's denominator) and how many hit."""
    codes, labels = _groups(sensitive_features)
    pred = _binary("y_pred", y_pred, pos_label)
    lengths = [len(codes), len(pred)]
    truth = None
    if y_true is not None:
        truth = _binary("y_true", y_true, pos_label)
        lengths.append(len(truth))
    if len(set(lengths)) > 1:
        raise E.ValidationError(_LENGTHS.format(lengths=lengths))
    if rate != "selection":
        if truth is None:
            raise E.ValidationError(_NO_LABEL.format(metric=f"The {rate} rate"))
        keep = truth == (1 if rate == "true_positive" else 0)
        codes, pred = codes[keep], pred[keep]
    size = len(labels)
    n = np.bincount(codes, minlength=size).astype(np.int64)
    hits = np.bincount(codes, weights=pred, minlength=size).astype(np.int64)
    return _Counts(labels, n, hits)


def _rates(c: _Counts) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c.n > 0, c.hits / np.where(c.n > 0, c.n, 1), np.nan)


def _reference_index(c: _Counts, rates: np.ndarray, reference_group: Hashable | None) -> int:
    """The comparison group: the one stated, else the highest rate (-1: no rate at all)."""
    if reference_group is None:
        if np.isnan(rates).all():
            return -1
        return int(np.nanargmax(rates))
    wanted = (
        tuple(map(str, reference_group))
        if isinstance(reference_group, tuple)
        else str(reference_group)
    )
    if wanted not in c.labels:
        raise E.ValidationError(_NO_REFERENCE.format(value=reference_group, groups=list(c.labels)))
    return int(c.labels.get_loc(wanted))


def selection_rate(y_true: Any, y_pred: Any, *, pos_label: Any = 1) -> float:
    """Share of candidates selected, as fairlearn's ``selection_rate``.

    Parameters
    ----------
    y_true : array-like or None
        Ignored (kept for the scikit-learn metric signature).
    y_pred : array-like of 0/1 or bool
        The decisions.
    pos_label : scalar
        The value of ``y_pred`` that means selected.

    Returns
    -------
    float
        NaN for an empty array.

    Examples
    --------
    >>> selection_rate(None, [1, 0, 0, 1])
    0.5
    """
    pred = _binary("y_pred", y_pred, pos_label)
    return float(pred.mean()) if len(pred) else float("nan")


@validate_params({"rate": _VALIDATION["rate"]})
def impact_ratios(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    reference_group: Hashable | None = None,
    rate: str = "selection",
    pos_label: Any = 1,
) -> pd.Series:
    """Each group's rate over the reference group's rate (LL144's impact ratio).

    Parameters
    ----------
    y_true : array-like or None
        Ground-truth labels; needed for ``rate="true_positive"`` or
        ``"false_positive"``.
    y_pred : array-like of 0/1 or bool
        The decisions.
    sensitive_features : array-like or DataFrame
        Group label per candidate; several columns are crossed.
    reference_group : label or tuple of labels, optional
        The comparison group; default the group with the highest rate.
    rate : {"selection", "true_positive", "false_positive"}
        Which rate to compare.
    pos_label : scalar
        The value meaning 1 in ``y_true`` and ``y_pred``.

    Returns
    -------
    pandas.Series
        Ratio per group (NaN where the reference rate is 0 or a group is empty).

    Examples
    --------
    >>> impact_ratios(None, [1, 1, 0, 0, 1, 0, 0, 0], sensitive_features=list("AAAABBBB"))
    A    1.0
    B    0.5
    Name: impact_ratio, dtype: float64
    """
    c = _counts(y_true, y_pred, sensitive_features, rate, pos_label)
    rates = _rates(c)
    ratios = _ratios(rates, _reference_index(c, rates, reference_group))
    return pd.Series(ratios, index=c.labels, name="impact_ratio")


def _ratios(rates: np.ndarray, ref: int) -> np.ndarray:
    """Each rate over the reference rate; NaN where that is 0 or undefined."""
    den = rates[ref] if ref >= 0 else np.nan
    if not (np.isfinite(den) and den > 0):
        return np.full(len(rates), np.nan)
    return rates / den


def disparate_impact_ratio(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, pos_label: Any = 1
) -> float:
    """The lowest group selection rate over the highest (1 is parity; < 0.8 fails 4/5).

    Equal to fairlearn's ``demographic_parity_ratio``.

    Examples
    --------
    >>> disparate_impact_ratio(None, [1, 1, 0, 0, 1, 0, 0, 0], sensitive_features=list("AAAABBBB"))
    0.5
    """
    rates = _rates(_counts(y_true, y_pred, sensitive_features, "selection", pos_label))
    return _min_over_max(rates)


def _min_over_max(rates: np.ndarray) -> float:
    rates = rates[np.isfinite(rates)]
    if not len(rates) or rates.max() == 0:
        return float("nan")
    return float(rates.min() / rates.max())


def _spread(rates: np.ndarray) -> float:
    rates = rates[np.isfinite(rates)]
    return float(rates.max() - rates.min()) if len(rates) else float("nan")


def selection_rate_difference(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, pos_label: Any = 1
) -> float:
    """The highest group selection rate minus the lowest.

    Equal to fairlearn's ``demographic_parity_difference``.

    Examples
    --------
    >>> selection_rate_difference(None, [1, 1, 0, 0, 1, 0, 0, 0],
    ...                           sensitive_features=list("AAAABBBB"))
    0.25
    """
    return _spread(_rates(_counts(y_true, y_pred, sensitive_features, "selection", pos_label)))


def equal_opportunity_ratio(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, pos_label: Any = 1
) -> float:
    """The lowest group true-positive rate over the highest (qualified candidates selected).

    Examples
    --------
    >>> equal_opportunity_ratio([1, 1, 0, 0, 1, 1, 0, 0], [1, 1, 0, 0, 1, 0, 0, 1],
    ...                         sensitive_features=list("AAAABBBB"))
    0.5
    """
    c = _counts(y_true, y_pred, sensitive_features, "true_positive", pos_label)
    return _min_over_max(_rates(c))


def equalized_odds_difference(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, pos_label: Any = 1
) -> float:
    """The larger of the true- and false-positive rate spreads between groups.

    Equal to fairlearn's ``equalized_odds_difference``.

    Examples
    --------
    >>> equalized_odds_difference([1, 1, 0, 0, 1, 1, 0, 0], [1, 1, 0, 0, 1, 0, 0, 1],
    ...                           sensitive_features=list("AAAABBBB"))
    0.5
    """
    spreads = [
        _spread(_rates(_counts(y_true, y_pred, sensitive_features, rate, pos_label)))
        for rate in ("true_positive", "false_positive")
    ]
    return float(max(spreads))


@validate_params({k: _VALIDATION[k] for k in ("confidence", "alpha", "correction", "rate")})
def group_summary(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    reference_group: Hashable | None = None,
    rate: str = "selection",
    confidence: float = 0.95,
    alpha: float = 0.05,
    correction: str = "holm",
    pos_label: Any = 1,
) -> pd.DataFrame:
    """One row per group: counts, rate and impact ratio with intervals, test, 4/5 flag.

    Parameters
    ----------
    y_true, y_pred, sensitive_features, reference_group, rate, pos_label
        As in :func:`impact_ratios`.
    confidence : float
        Interval confidence (Wilson for rates, Katz log for ratios).
    alpha : float
        Significance level of the ``significant`` column, after ``correction``.
    correction : {"holm", "bh", "none"}
        Multiple-comparison correction over the groups' Z tests.

    Returns
    -------
    pandas.DataFrame
        Columns ``n``, ``hits``, ``rate``, ``rate_low``, ``rate_high``,
        ``impact_ratio``, ``ratio_low``, ``ratio_high``, ``z``, ``p_value``,
        ``p_value_adjusted``, ``significant``, ``four_fifths_violation`` and
        ``comparison`` (True for the reference group, whose test is NaN).

    Examples
    --------
    >>> import biasaudit
    >>> df = biasaudit.datasets.load_resume_study()
    >>> table = group_summary(None, df["callback"], sensitive_features=df["race"])
    >>> row = table.loc["Black or African American"]
    >>> int(row["n"]), int(row["hits"]), round(float(row["impact_ratio"]), 3)
    (2435, 157, 0.668)
    """
    c = _counts(y_true, y_pred, sensitive_features, rate, pos_label)
    rates = _rates(c)
    ref = _reference_index(c, rates, reference_group)
    low, high = wilson_interval(c.hits, c.n, confidence)
    other = np.full(len(rates), ref)
    ref_hits, ref_n = c.hits[other], c.n[other]
    ratios = _ratios(rates, ref)
    r_low, r_high = katz_ratio_ci(c.hits, c.n, ref_hits, ref_n, confidence)
    z, p = two_proportion_z(c.hits, c.n, ref_hits, ref_n)
    is_ref = np.arange(len(rates)) == ref
    z, p = np.where(is_ref, np.nan, z), np.where(is_ref, np.nan, p)
    adjusted = adjust_pvalues(p, correction)
    return pd.DataFrame(
        {
            "n": c.n,
            "hits": c.hits,
            "rate": rates,
            "rate_low": low,
            "rate_high": high,
            "impact_ratio": ratios,
            "ratio_low": np.where(is_ref, np.nan, r_low),
            "ratio_high": np.where(is_ref, np.nan, r_high),
            "z": z,
            "p_value": p,
            "p_value_adjusted": adjusted,
            "significant": np.isfinite(adjusted) & (adjusted < alpha),
            "four_fifths_violation": np.isfinite(ratios) & (ratios < FOUR_FIFTHS),
            "comparison": is_ref,
        },
        index=c.labels,
    )
