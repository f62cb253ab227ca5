"""The rules that turn a group table's numbers into verdicts and findings.

A verdict is a plain-language label per group on the primary metric; a finding is
a check that fails or cannot be evaluated. Both are data: reports word them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from biasaudit._json import clean as _clean
from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import FOUR_FIFTHS, column_names

__all__ = [
    "ADVERSE",
    "COMPARISON",
    "INSUFFICIENT",
    "NOT_SIGNIFICANT",
    "PASS",
    "SIGNIFICANT_WITHIN",
    "findings_for",
    "verdicts_for",
]

ADVERSE = "adverse impact"
NOT_SIGNIFICANT = "four-fifths violation, not statistically significant"
SIGNIFICANT_WITHIN = "statistically significant disparity within four-fifths"
INSUFFICIENT = "insufficient data"
COMPARISON = "comparison group"
PASS = "no adverse impact indicated"


def _verdict(row: pd.Series, names: dict[str, str], alpha: float) -> str:
    if row["excluded_small"]:
        return f"excluded: under the minimum share ({row['share']:.1%} of known candidates)"
    ratio, p = row[names["ratio"]], row[names["p_adjusted"]]
    if not np.isfinite(ratio):
        return INSUFFICIENT
    if row["comparison_group"] == row["group"]:
        return COMPARISON
    significant = bool(np.isfinite(p) and p < alpha)
    if ratio < FOUR_FIFTHS:
        return ADVERSE if significant else NOT_SIGNIFICANT
    if significant and ratio < 1:
        return SIGNIFICANT_WITHIN
    return PASS


def verdicts_for(groups: pd.DataFrame, primary: str, alpha: float) -> list[str]:
    """Plain-language verdict per group on the primary metric (selection or scoring).

    Adverse impact means an impact ratio under four-fifths that is also
    statistically significant after the multiple-comparison correction; the
    other verdicts say which half of that holds.
    """
    names = column_names(METRICS[primary])
    return [_verdict(row, names, alpha) for _, row in groups.iterrows()]


def _finding(row: pd.Series, check: str, names: dict[str, str], message: str) -> dict:
    return {
        "check": check,
        "attribute": list(row["attribute"]),
        "group": list(row["group"]),
        "metric": names["ratio"],
        "value": _clean(row[names["ratio"]]),
        "threshold": FOUR_FIFTHS,
        "p_value_adjusted": _clean(row.get(names["p_adjusted"])),
        "verdict": row.get("verdict") if check == "four_fifths" else message.split(":")[0],
        "message": message,
    }


def findings_for(groups: pd.DataFrame, primary: str, alpha: float) -> list[dict[str, Any]]:
    """Checks that fail (four-fifths, significance) or cannot be evaluated."""
    out = []
    names = column_names(METRICS[primary])
    for _, row in groups.iterrows():
        verdict = row["verdict"]
        label = f"{' x '.join(row['attribute'])} = {' / '.join(row['group'])}"
        if verdict in (ADVERSE, NOT_SIGNIFICANT, SIGNIFICANT_WITHIN):
            msg = (
                f"{verdict}: {label} has {primary.replace('_', ' ')} {row[names['value']]:.3f}, "
                f"impact ratio {row[names['ratio']]:.3f} (threshold {FOUR_FIFTHS}), "
                f"adjusted p = {row[names['p_adjusted']]:.3g}"
            )
            out.append(_finding(row, "four_fifths", names, msg))
        elif verdict == INSUFFICIENT:
            out.append(
                _finding(
                    row,
                    "four_fifths",
                    names,
                    f"{INSUFFICIENT}: {label} has n = {row['n']}; its impact ratio is undefined",
                )
            )
    if primary == "selection_rate" and "scoring_impact_ratio" in groups:
        scoring = column_names(METRICS["scoring_rate"])
        for _, row in groups.iterrows():
            ratio = row["scoring_impact_ratio"]
            if not row["excluded_small"] and np.isfinite(ratio) and ratio < FOUR_FIFTHS:
                label = f"{' x '.join(row['attribute'])} = {' / '.join(row['group'])}"
                msg = (
                    f"scoring four-fifths violation: {label} has scoring impact ratio "
                    f"{ratio:.3f} (threshold {FOUR_FIFTHS})"
                )
                out.append(_finding(row, "four_fifths_scoring", scoring, msg))
    return out
