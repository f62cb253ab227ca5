"""Which charts a result gets, and the numbers each one shows.

:func:`interval_rows` reads a table's values, intervals, comparison group and
special rows from the result (never from raw data); the report
(:func:`charts_for`) and :mod:`biasaudit.plot` both draw from it.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from biasaudit.reports._format import INTERSECTION, group_label, pct, ratio
from biasaudit.results import AuditResult

__all__ = [
    "RATIO_LINES",
    "IntervalRows",
    "charts_for",
    "exposure_rows",
    "interval_rows",
    "table_rows",
]

#: Reference lines of every impact-ratio chart: the four-fifths threshold, then parity.
RATIO_LINES = ((FOUR_FIFTHS, "four-fifths 0.8"), (1.0, "parity 1.0"))


EXCLUDED_NOTE = "excluded: under the minimum share"
INSUFFICIENT_NOTE = "insufficient data"


@dataclass(frozen=True)
class IntervalRows:
    """The numbers of one point-and-interval chart, one entry per group, in table order.

    ``comparison`` marks the metric's comparison group; ``notes`` says why a
    row is special (left out under the minimum share, or an undefined value);
    ``left_out`` lists the groups dropped under the minimum share.
    """

    labels: list[str]
    values: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    comparison: np.ndarray
    notes: list[str | None]
    left_out: list[str]


def table_rows(result: AuditResult, table: dict[str, Any]) -> Any:
    """The rows of ``result.groups`` that belong to one table (attribute combination)."""
    frame = result.groups
    return frame[[list(a) == list(table["attribute"]) for a in frame["attribute"]]]


def interval_rows(
    result: AuditResult,
    table: dict[str, Any],
    value: str,
    ci: str,
    *,
    metric: str,
    drop_excluded: bool,
) -> IntervalRows:
    """Read columns ``value`` and ``ci`` of one table's groups (a missing bound is NaN).

    Examples
    --------
    >>> import biasaudit
    >>> r = biasaudit.audit(biasaudit.datasets.load_resume_study(), attributes=["race"],
    ...                     selected="callback")
    >>> rows = interval_rows(r, r.tables[0], "impact_ratio", "impact_ratio_ci",
    ...                      metric="selection_rate", drop_excluded=True)
    >>> rows.labels, rows.values.round(3).tolist(), rows.comparison.tolist()
    (['Black or African American', 'White'], [0.668, 1.0], [False, True])
    """
    rows = table_rows(result, table)
    excluded = np.array([bool(e) for e in rows["excluded_small"]], dtype=bool)
    left_out = [group_label(g) for g in rows[excluded]["group"]] if drop_excluded else []
    if drop_excluded:
        rows, excluded = rows[~excluded], excluded[~excluded]
    cis = np.array(
        [[np.nan if c is None else c for c in pair] for pair in rows[ci]], dtype=float
    ).reshape(-1, 2)
    values = np.array(rows[value], dtype=float)
    reference = table["comparison_groups"].get(metric)
    notes = [
        EXCLUDED_NOTE if out else (None if np.isfinite(v) else INSUFFICIENT_NOTE)
        for out, v in zip(excluded, values)
    ]
    return IntervalRows(
        labels=[group_label(g) for g in rows["group"]],
        values=values,
        lows=cis[:, 0],
        highs=cis[:, 1],
        comparison=np.array([list(g) == list(reference or []) for g in rows["group"]], bool),
        notes=notes,
        left_out=left_out,
    )


def exposure_rows(records: list[dict[str, Any]], attribute: str, metric: str) -> IntervalRows:
    """The rows of an exposure chart from a ranking audit's metric records.

    ``metric`` is ``"exposure_ratio"`` or ``"exposure"``; the comparison group
    is the one whose exposure ratio is exactly 1 (the highest, or the stated one).
    """

    def number(value: Any) -> float:
        return np.nan if value is None else float(value)

    def pick(name: str) -> list[dict[str, Any]]:
        return [
            r
            for r in records
            if r["attribute"] == attribute and r["metric"] == name and r.get("k") is None
        ]

    rows = pick(metric)
    highest = {r["group"] for r in pick("exposure_ratio") if number(r["value"]) == 1.0}
    values = np.array([number(r["value"]) for r in rows], dtype=float)
    return IntervalRows(
        labels=[str(r["group"]) for r in rows],
        values=values,
        lows=np.array([number(r["ci_low"]) for r in rows], dtype=float),
        highs=np.array([number(r["ci_high"]) for r in rows], dtype=float),
        comparison=np.array([r["group"] in highest for r in rows], dtype=bool),
        notes=[None if np.isfinite(v) else INSUFFICIENT_NOTE for v in values],
        left_out=[],
    )


def _exposure_charts(section: dict[str, Any]) -> list[Chart]:
    """One exposure-ratio chart per attribute of a ranking section."""
    records = section.get("metrics") or []
    attributes = list(dict.fromkeys(r["attribute"] for r in records))
    out = []
    for i, attr in enumerate(attributes):
        rows = exposure_rows(records, attr, "exposure_ratio")
        if not len(rows.labels):
            continue
        alt = _interval_alt(
            f"Exposure ratio (mean position weight 1/log2(1 + position), relative to the "
            f"comparison group) per group of {attr}",
            rows.labels,
            rows.values,
            zip(rows.lows, rows.highs),
            lambda x: ratio(x, 2),
            [],
            "; a dashed line marks parity 1.0 and the comparison group is drawn as a diamond",
        )
        out.append(
            interval_chart(
                f"chart-exposure-{i}",
                f"Exposure ratio in the rankings: {attr}",
                rows.labels,
                rows.values,
                rows.lows,
                rows.highs,
                xlabel="exposure ratio (1.0 = parity)",
                reference_lines=((1.0, "parity 1.0"),),
                comparison=rows.comparison,
                alt=alt,
            )
        )
    return out


def _interval_alt(kind: str, labels, values, cis, fmt, left_out: list[str], extra: str) -> str:
    parts = [
        f"{label} {fmt(v)} [{fmt(lo)}, {fmt(hi)}]" if np.isfinite(v) else f"{label} n/a"
        for label, v, (lo, hi) in zip(labels, values, cis)
    ]
    text = f"{kind}, with 95% intervals{extra}. " + "; ".join(parts) + "."
    if left_out:
        text += " Left out (under the minimum share): " + ", ".join(left_out) + "."
    return text


def _column_word(column: str) -> str:
    """`` (scoring impact ratio)`` for a column other than the plain impact ratio."""
    words = column.replace("_", " ")
    return "" if words == "impact ratio" else f" ({words})"


def _ratio_chart(result: AuditResult, table: dict, i: int, names: dict, attr: str) -> Chart:
    rows = interval_rows(
        result, table, names["ratio"], names["ratio_ci"], metric=names["value"], drop_excluded=True
    )
    title = f"Impact ratio by group: {attr}"
    alt = _interval_alt(
        f"Impact ratio{_column_word(names['ratio'])} per group of {attr}",
        rows.labels,
        rows.values,
        zip(rows.lows, rows.highs),
        lambda x: ratio(x, 2),
        rows.left_out,
        "; a dashed line marks the four-fifths threshold 0.8, a dotted line parity 1.0, "
        "groups under 0.8 are drawn as squares and the comparison group as a diamond",
    )
    return interval_chart(
        f"chart-ratio-{i}",
        title,
        rows.labels,
        rows.values,
        rows.lows,
        rows.highs,
        xlabel="impact ratio (1.0 = parity)",
        reference_lines=RATIO_LINES,
        flag_below=FOUR_FIFTHS,
        comparison=rows.comparison,
        alt=alt,
    )


def _rate_chart(
    result: AuditResult, table: dict, i: int, names: dict, attr: str, word: str
) -> Chart:
    rows = interval_rows(
        result, table, names["value"], names["ci"], metric=names["value"], drop_excluded=False
    )
    title = f"{word.capitalize()} by group: {attr}"
    alt = _interval_alt(
        f"{word.capitalize()} per group of {attr}",
        rows.labels,
        rows.values,
        zip(rows.lows, rows.highs),
        pct,
        [],
        "",
    )
    return interval_chart(
        f"chart-rate-{i}",
        title,
        rows.labels,
        rows.values,
        rows.lows,
        rows.highs,
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


def charts_for(result: AuditResult, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """Chart groups: impact ratios, rates, score charts when histograms exist, and
    exposure ratios when the result has a ranking section."""
    names = column_names(METRICS[ctx["primary"]])
    groups = []
    for i, table in enumerate(result.tables):
        attr = INTERSECTION.join(table["attribute"])
        charts = [
            _ratio_chart(result, table, i, names, attr),
            _rate_chart(result, table, i, names, attr, ctx["rate_word"]),
        ]
        groups.append({"title": f"{attr}", "charts": charts})
    hists = result.score_histograms()
    if hists is not None:
        title = "Score distributions" + (" and calibration" if hists["has_label"] else "")
        groups.append({"title": title, "charts": _score_charts(hists)})
    ranking = (getattr(result, "sections", None) or {}).get("ranking")
    if isinstance(ranking, dict):
        charts = _exposure_charts(ranking)
        if charts:
            groups.append({"title": "Ranking exposure", "charts": charts})
    return groups
