"""One group table: every metric for the groups of one attribute combination.

Reads only :class:`~biasaudit.engine.SufficientStats` (and, for exact AUC, the
per-group Mann-Whitney statistics the engine computed).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from biasaudit._errors import TOO_MANY_GROUPS, InsufficientDataWarning, ValidationError, first_few
from biasaudit.engine import SufficientStats
from biasaudit.metrics import significance as sig
from biasaudit.metrics._registry import METRICS, Counts, RateMetric, counts_from_cube
from biasaudit.pool import UNKNOWN
from biasaudit.regulations import FOUR_FIFTHS

__all__ = [
    "FOUR_FIFTHS",
    "MAX_GROUPS",
    "TableSpec",
    "check_table_sizes",
    "column_names",
    "group_table",
]

#: The most groups one table of an audit may have (max_groups=).
MAX_GROUPS = 1000


def check_table_sizes(
    known: Mapping[str, Sequence[Any]],
    combinations: Sequence[tuple[str, ...]],
    max_groups: int = MAX_GROUPS,
) -> None:
    """Refuse an audit whose tables would have more than ``max_groups`` groups.

    A table of crossed attributes has one group per combination of their known
    groups. Thousands of groups usually mean an id or free-text column; such
    tables take long to test and no reader can use them.

    Examples
    --------
    >>> check_table_sizes({"sex": ["F", "M"], "race": list("ABC")}, [("sex", "race")], 6)
    >>> check_table_sizes({"name": [str(i) for i in range(5000)]}, [("name",)])
    Traceback (most recent call last):
    ...
    biasaudit._errors.ValidationError: Attribute(s) ['name'] make a table of 5,000 groups, ...
    """
    for attrs in combinations:
        count = math.prod(len(known[a]) for a in attrs)
        if count > max_groups:
            raise ValidationError(
                TOO_MANY_GROUPS.format(attributes=list(attrs), count=count, limit=max_groups)
            )


_SPECIAL = {
    "selection_rate": {"ratio": "impact_ratio", "z": "z", "p": "p_value"},
    "scoring_rate": {"ratio": "scoring_impact_ratio"},
    "true_positive_rate": {
        "ratio": "equal_opportunity_ratio",
        "difference": "equal_opportunity_difference",
    },
}


def column_names(metric: RateMetric) -> dict[str, str]:
    """Column names of a metric's value, interval, ratio, difference and test.

    Examples
    --------
    >>> column_names(METRICS["selection_rate"])["ratio"]
    'impact_ratio'
    """
    key = metric.key
    names = {
        "value": metric.name,
        "ci": f"{metric.name}_ci",
        "ratio": f"{key}_ratio",
        "difference": f"{key}_difference",
        "z": f"{key}_z",
        "p": f"{key}_p_value",
    }
    names.update(_SPECIAL.get(metric.name, {}))
    names["ratio_ci"] = names["ratio"] + "_ci"
    names["p_adjusted"] = names["p"] + "_adjusted"
    return names


@dataclass(frozen=True)
class TableSpec:
    """How to build a table: thresholds and the chosen reference group."""

    min_share: float = 0.02
    confidence: float = 0.95
    alpha: float = 0.05
    reference: dict[str, str] = field(default_factory=dict)


def _metrics_for(stats: SufficientStats) -> list[RateMetric]:
    has = {
        None,
        *(("label",) if stats.has_label else ()),
        *(("score",) if stats.hist is not None else ()),
    }
    return [
        m
        for m in METRICS.values()
        if m.requires in has and (m.name != "selection_rate" or stats.has_selection)
    ]


def _comparison(
    values: np.ndarray, eligible: np.ndarray, reference: int | None, favourable: str = "high"
) -> int | None:
    """The stated reference group, else the best-treated eligible group."""
    if reference is not None:
        return reference if eligible[reference] else None
    sign = 1.0 if favourable == "high" else -1.0
    masked = np.where(eligible & np.isfinite(values), sign * values, -np.inf)
    if not np.isfinite(masked).any():
        return None
    return int(np.argmax(masked))


def _pairs(
    metric: RateMetric,
    counts: Counts,
    eligible: np.ndarray,
    reference: int | None,
    spec: TableSpec,
    names: dict[str, str],
) -> tuple[dict[str, Any], int | None]:
    """Value, interval, comparison, ratio, difference and Z test of one metric."""
    num = metric.numerator(counts).astype(np.float64)
    den = metric.denominator(counts).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    low, high = sig.wilson_interval(num, den, spec.confidence)
    ok = eligible & (den > 0)
    ref = _comparison(value, ok, reference, metric.favourable)
    cols: dict[str, Any] = {names["value"]: value, names["ci"]: list(zip(low, high))}
    nan = np.full(len(value), np.nan)
    # A lower-is-better rate of 0 in the best group (no qualified candidate turned
    # away) leaves ratios undefined, but differences and tests against it still speak.
    zero_best = ref is not None and metric.favourable == "low" and value[ref] == 0
    if ref is None or not (value[ref] > 0 or zero_best):
        if ok.any():
            warnings.warn(
                f"{metric.name}: the comparison group's rate is zero or undefined, so ratios "
                "and tests against it are NaN (insufficient data).",
                InsufficientDataWarning,
                stacklevel=5,
            )
        cols.update(
            {
                names["ratio"]: nan,
                names["ratio_ci"]: list(zip(nan, nan)),
                names["difference"]: nan,
                names["z"]: nan,
                names["p"]: nan,
            }
        )
        return cols, ref
    rx, rn = np.full_like(num, num[ref]), np.full_like(den, den[ref])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ok & (value[ref] > 0), value / value[ref], np.nan)
    r_low, r_high = sig.katz_ratio_ci(num, den, rx, rn, spec.confidence)
    z, p = sig.two_proportion_z(num, den, rx, rn)
    others = ok.copy()
    others[ref] = False
    cols.update(
        {
            names["ratio"]: ratio,
            # The comparison group's ratio to itself is 1 by definition: no interval.
            names["ratio_ci"]: list(
                zip(np.where(others, r_low, np.nan), np.where(others, r_high, np.nan))
            ),
            names["difference"]: np.where(ok, value - value[ref], np.nan),
            names["z"]: np.where(others, z, np.nan),
            names["p"]: np.where(others, p, np.nan),
        }
    )
    return cols, ref


def _selection_extras(
    counts: Counts, ref: int | None, eligible: np.ndarray, spec: TableSpec
) -> dict[str, Any]:
    """Four-fifths flag, Fisher tests, shortfall and flip-flop for selection."""
    k = len(counts.n)
    out: dict[str, Any] = {
        "four_fifths_violation": [None] * k,
        "fisher_p": np.full(k, np.nan),
        "fisher_midp": np.full(k, np.nan),
        "shortfall": np.full(k, np.nan),
        "flip_flop": [None] * k,
    }
    if ref is None or counts.selected[ref] == 0:
        return out
    x, n = counts.selected.astype(float), counts.n.astype(float)
    ref_rate = x[ref] / n[ref]
    others = eligible & (n > 0)
    others[ref] = False
    idx = np.flatnonzero(others)
    p, midp = sig.fisher_exact(x[idx], n[idx], np.full(len(idx), x[ref]), np.full(len(idx), n[ref]))
    out["fisher_p"][idx], out["fisher_midp"][idx] = p, midp
    for i in np.flatnonzero(eligible & (n > 0)):
        ratio = (x[i] / n[i]) / ref_rate
        violation = bool(ratio < FOUR_FIFTHS)
        out["four_fifths_violation"][i] = violation
        out["shortfall"][i] = max(0.0, n[i] * ref_rate - x[i])
        if violation:
            flipped = (min(x[i] + 1, n[i]) / n[i]) / ref_rate
            out["flip_flop"][i] = bool(flipped < FOUR_FIFTHS)
    return out


def _ll144_ratios(cols: dict[str, Any], eligible: np.ndarray) -> dict[str, Any]:
    """Local Law 144's impact ratios: each rate over the highest eligible group's rate.

    The same as ``impact_ratio`` / ``scoring_impact_ratio`` unless the audit states a
    ``reference_group``; the LL144 summary always uses these (the rule divides by
    the highest category's rate), the EEOC analysis the stated comparison.
    """
    out = {}
    for metric in ("selection_rate", "scoring_rate"):
        names = column_names(METRICS[metric])
        if names["value"] not in cols:
            continue
        value = np.asarray(cols[names["value"]], dtype=np.float64)
        best = _comparison(value, eligible, None)  # the highest eligible rate
        usable = eligible & np.isfinite(value)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = value / value[best] if best is not None else np.full(len(value), np.nan)
        out[f"ll144_{names['ratio']}"] = np.where(usable, ratio, np.nan)
    return out


def _labels(stats: SufficientStats, attrs: tuple[str, ...]) -> tuple[list[tuple], np.ndarray]:
    cats = [stats.categories[stats.attributes.index(a)] for a in attrs]
    labels = list(itertools.product(*cats))
    unknown = np.array([UNKNOWN in g and _is_unknown(stats, attrs, g) for g in labels], dtype=bool)
    return labels, unknown


def _is_unknown(stats: SufficientStats, attrs: tuple[str, ...], group: tuple) -> bool:
    for attribute, value in zip(attrs, group):
        i = stats.attributes.index(attribute)
        if stats.has_unknown[i] and value == stats.categories[i][-1]:
            return True
    return False


def _reference_index(labels: list[tuple], attrs: tuple[str, ...], spec: TableSpec) -> int | None:
    if not spec.reference or not all(a in spec.reference for a in attrs):
        return None
    wanted = tuple(str(spec.reference[a]) for a in attrs)
    return labels.index(wanted) if wanted in labels else None


def _auc(stats: SufficientStats, attrs: tuple[str, ...], exact: Any) -> dict[str, Any]:
    if exact is not None:
        u, n_pos, n_neg = exact
        with np.errstate(divide="ignore", invalid="ignore"):
            auc = np.where((n_pos > 0) & (n_neg > 0), u / (n_pos * n_neg), np.nan)
        return {"auc": auc, "auc_method": "exact"}
    hist = stats.marginal_hist(attrs)
    hist = hist.reshape(-1, 2, hist.shape[-1]).astype(np.float64)
    neg, pos = hist[:, 0, :], hist[:, 1, :]
    below = np.cumsum(neg, axis=1) - neg
    pairs = pos.sum(1) * neg.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = np.where(pairs > 0, (pos * (below + 0.5 * neg)).sum(1) / pairs, np.nan)
        bound = np.where(pairs > 0, 0.5 * (pos * neg).sum(1) / pairs, np.nan)
    return {"auc": auc, "auc_method": f"binned ({hist.shape[-1]} bins)", "auc_bin_error": bound}


def _strata_tests(
    stats: SufficientStats, attrs: tuple[str, ...], ref: int | None, eligible: np.ndarray
) -> dict[str, np.ndarray]:
    k = int(np.prod([len(stats.categories[stats.attributes.index(a)]) for a in attrs]))
    out = {name: np.full(k, np.nan) for name in ("mh_odds_ratio", "cmh_p_value", "breslow_day_p")}
    if ref is None or len(stats.jobs) < 2:
        return out
    by_job = counts_from_cube(
        stats.marginal(attrs, keep_jobs=True).reshape(k, len(stats.jobs), 2, 2, 2)
    )
    x, n = by_job.selected, by_job.n
    for i in np.flatnonzero(eligible):
        if i == ref:
            continue
        _, p, odds = sig.mantel_haenszel(x[i], n[i], x[ref], n[ref])
        _, bd_p = sig.breslow_day(x[i], n[i], x[ref], n[ref], odds)
        out["mh_odds_ratio"][i], out["cmh_p_value"][i], out["breslow_day_p"][i] = odds, p, bd_p
    return out


def group_table(
    stats: SufficientStats,
    attrs: tuple[str, ...],
    spec: TableSpec,
    exact_auc: Any = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every metric for the groups of one attribute combination.

    Returns the known groups as a wide DataFrame (one row per group) and a dict
    describing the table (unknown count, excluded groups, comparison groups).
    """
    labels, unknown = _labels(stats, attrs)
    counts = counts_from_cube(stats.marginal(attrs).reshape(len(labels), 2, 2, 2))
    n_known = counts.n[~unknown].sum()
    share = np.where(unknown, np.nan, counts.n / n_known if n_known else np.nan)
    small = ~unknown & (share < spec.min_share)
    eligible = ~unknown & ~small & (counts.n > 0)
    reference = _reference_index(labels, attrs, spec)
    cols: dict[str, Any] = {
        "attribute": [list(attrs)] * len(labels),
        "group": [list(g) for g in labels],
        "n": counts.n,
        "share": share,
        "excluded_small": small,
        "selected": counts.selected,
    }
    if stats.has_label:
        cols.update(
            label_positive=counts.label_positive,
            true_positive=counts.true_positive,
            false_positive=counts.false_positive,
        )
    if stats.hist is not None:
        cols["above_median"] = counts.above_median
    comparisons: dict[str, Any] = {}
    for metric in _metrics_for(stats):
        names = column_names(metric)
        metric_cols, ref = _pairs(metric, counts, eligible, reference, spec, names)
        cols.update(metric_cols)
        comparisons[metric.name] = list(labels[ref]) if ref is not None else None
        if metric.name == "selection_rate":
            cols.update(_selection_extras(counts, ref, eligible, spec))
            cols.update(_strata_tests(stats, attrs, ref, eligible))
        if metric.name == ("selection_rate" if stats.has_selection else "scoring_rate"):
            cols["comparison_group"] = [comparisons[metric.name]] * len(labels)
    cols.update(_ll144_ratios(cols, eligible))
    if stats.hist is not None:
        total, _ = stats.marginal_scores(attrs)
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["mean_score"] = np.where(counts.n > 0, total.reshape(-1) / counts.n, np.nan)
        if stats.has_label:
            cols.update(_auc(stats, attrs, exact_auc))
    frame = pd.DataFrame(cols)
    info = _table_info(attrs, labels, counts, unknown, small, eligible, comparisons, share)
    info["summary"] = _summary(frame.loc[eligible], _metrics_for(stats))
    frame = frame.loc[~unknown].reset_index(drop=True)
    return frame, info


_SUMMARY_NAMES = {
    "selection_rate": "demographic_parity",
    "scoring_rate": "scoring_parity",
    "true_positive_rate": "equal_opportunity",
}


def _summary(eligible: pd.DataFrame, metrics: list[RateMetric]) -> dict[str, float | None]:
    """Largest gap (max - min) and smallest ratio (min / max) over eligible groups."""
    out: dict[str, float | None] = {}
    for metric in metrics:
        values = eligible[metric.name].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        prefix = _SUMMARY_NAMES.get(metric.name, metric.name)
        if len(values) < 2:
            out[f"{prefix}_difference"] = out[f"{prefix}_ratio"] = None
            continue
        high, low = values.max(), values.min()
        out[f"{prefix}_difference"] = float(high - low)
        out[f"{prefix}_ratio"] = float(low / high) if high > 0 else None
    if "true_positive_rate_difference" in out or "equal_opportunity_difference" in out:
        tpr_d, fpr_d = (
            out.get("equal_opportunity_difference"),
            out.get("false_positive_rate_difference"),
        )
        tpr_r, fpr_r = out.get("equal_opportunity_ratio"), out.get("false_positive_rate_ratio")
        out["equalized_odds_difference"] = (
            None if tpr_d is None or fpr_d is None else max(tpr_d, fpr_d)
        )
        out["equalized_odds_ratio"] = None if tpr_r is None or fpr_r is None else min(tpr_r, fpr_r)
    return out


def _table_info(attrs, labels, counts, unknown, small, eligible, comparisons, share) -> dict:
    empty = [list(g) for g, u, n in zip(labels, unknown, counts.n) if not u and n == 0]
    if empty:
        warnings.warn(
            f"Attribute {list(attrs)}: groups [{first_few(empty)}] have no candidates; their "
            "metrics are NaN (insufficient data).",
            InsufficientDataWarning,
            stacklevel=4,
        )
    return {
        "attribute": list(attrs),
        "n_known": int(counts.n[~unknown].sum()),
        "unknown": int(counts.n[unknown].sum()),
        "unknown_selected": int(counts.selected[unknown].sum()),
        "excluded_small": [
            {"group": list(g), "n": int(n), "share": float(s)}
            for g, n, s, f in zip(labels, counts.n, share, small)
            if f
        ],
        "comparison_groups": comparisons,
    }
