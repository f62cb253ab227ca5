"""Which charts a result gets, with titles and text alternatives built from its numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import FOUR_FIFTHS, column_names
from biasaudit.reports._charts import (
    Chart,
    calibration_chart,
    interval_chart,
    score_distribution_chart,
)
from biasaudit.reports._format import group_label, pct, ratio

__all__ = ["charts_for"]


def _rows(result: Any, table: dict[str, Any]) -> Any:
    frame = result.groups
    return frame[[list(a) == list(table["attribute"]) for a in frame["attribute"]]]


def _interval_alt(kind: str, labels, values, cis, fmt, left_out: list[str], extra: str) -> str:
    parts = [
        f"{label} {fmt(v)} [{fmt(lo)}, {fmt(hi)}]" if np.isfinite(v) else f"{label} n/a"
        for label, v, (lo, hi) in zip(labels, values, cis)
    ]
    text = f"{kind}, with 95% intervals{extra}. " + "; ".join(parts) + "."
    if left_out:
        text += " Left out (under the minimum share): " + ", ".join(left_out) + "."
    return text


def _ratio_chart(result: Any, table: dict, i: int, names: dict, attr: str) -> Chart:
    rows = _rows(result, table)
    keep = rows[[not bool(e) for e in rows["excluded_small"]]]
    left_out = [group_label(g) for g in rows[[bool(e) for e in rows["excluded_small"]]]["group"]]
    labels = [group_label(g) for g in keep["group"]]
    values = np.array(keep[names["ratio"]], dtype=float)
    cis = [tuple(np.nan if c is None else c for c in ci) for ci in keep[names["ratio_ci"]]]
    title = f"Impact ratio by group: {attr}"
    alt = _interval_alt(
        f"Impact ratio ({names['ratio'].replace('_', ' ')}) per group of {attr}",
        labels,
        values,
        cis,
        lambda x: ratio(x, 2),
        left_out,
        "; a dashed line marks the four-fifths threshold 0.8, a dotted line parity 1.0, and "
        "groups under 0.8 are drawn as squares",
    )
    return interval_chart(
        f"chart-ratio-{i}",
        title,
        labels,
        values,
        [c[0] for c in cis],
        [c[1] for c in cis],
        xlabel="impact ratio (1.0 = parity)",
        reference_lines=[(FOUR_FIFTHS, "four-fifths 0.8"), (1.0, "parity 1.0")],
        flag_below=FOUR_FIFTHS,
        alt=alt,
    )


def _rate_chart(result: Any, table: dict, i: int, names: dict, attr: str, word: str) -> Chart:
    rows = _rows(result, table)
    labels = [group_label(g) for g in rows["group"]]
    values = np.array(rows[names["value"]], dtype=float)
    cis = [tuple(np.nan if c is None else c for c in ci) for ci in rows[names["ci"]]]
    title = f"{word.capitalize()} by group: {attr}"
    alt = _interval_alt(
        f"{word.capitalize()} per group of {attr}", labels, values, cis, pct, [], ""
    )
    return interval_chart(
        f"chart-rate-{i}",
        title,
        labels,
        values,
        [c[0] for c in cis],
        [c[1] for c in cis],
        xlabel=word,
        alt=alt,
    )


def _score_charts(hists: dict[str, Any]) -> list[Chart]:
    low, high = hists["range"]
    out = []
    for i, (attr, h) in enumerate(hists["attributes"].items()):
        labels, hist = h["groups"], h["counts"]
        counts = hist.sum(axis=1)
        means = [f"{label} n={int(c.sum())}" for label, c in zip(labels, counts)]
        alt = (
            f"Score density per group of {attr} (30 equal-width bins from "
            f"{low:.3g} to {high:.3g}): "
            + "; ".join(means)
            + ". Mean scores per group are in the appendix table."
        )
        out.append(
            score_distribution_chart(
                f"chart-score-{i}",
                f"Score distribution by group: {attr}",
                labels,
                counts,
                hists["range"],
                alt=alt,
            )
        )
        if hists["has_label"]:
            alt = (
                f"Share qualified (label = 1) per score decile bin for each group of {attr}; "
                "bins with fewer than 10 candidates of a group are not drawn. Well-calibrated "
                "groups have lines that lie on top of each other."
            )
            out.append(
                calibration_chart(
                    f"chart-calibration-{i}",
                    f"Calibration by group: {attr}",
                    labels,
                    hist,
                    hists["range"],
                    alt=alt,
                )
            )
    return out


def charts_for(result: Any, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """Chart groups: impact ratios, rates, and score charts when histograms exist."""
    names = column_names(METRICS[ctx["primary"]])
    groups = []
    for i, table in enumerate(result.tables):
        attr = " × ".join(table["attribute"])
        charts = [
            _ratio_chart(result, table, i, names, attr),
            _rate_chart(result, table, i, names, attr, ctx["rate_word"]),
        ]
        groups.append({"title": f"{attr}", "charts": charts})
    hists = result.score_histograms()
    if hists is not None:
        title = "Score distributions" + (" and calibration" if hists["has_label"] else "")
        groups.append({"title": title, "charts": _score_charts(hists)})
    return groups
