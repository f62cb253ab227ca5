"""Readable tables and terminal lines of a ranking section, rendered from its numbers.

Nothing here computes a metric: every cell is read from the section's metric
records (values, intervals, p-values) or its FA*IR summary and formatted for
readers, so a result loaded from JSON renders the same tables.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from biasaudit.reports._format import DASH, MISSING, Cell, align, fmt_num, fmt_p, pct
from biasaudit.results._ranking import RankingResult

__all__ = ["ranking_html", "ranking_tables", "ranking_text"]


def _with_ci(row: Any, fmt: Any = fmt_num) -> Cell:
    """The value with its interval ``[low, high]``; the interval is left out when undefined.

    ``row`` is a row of the tidy table or one of the section's metric records.
    """
    if row is None:
        return Cell(MISSING)
    text = fmt(row["value"])
    low, high = row["ci_low"], row["ci_high"]
    if text != MISSING and fmt_num(low) != MISSING and fmt_num(high) != MISSING:
        return Cell(text, f"[{fmt(low)}, {fmt(high)}]")
    return Cell(text)


def _p(value: Any) -> str:
    if fmt_num(value) == MISSING:
        return MISSING
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


class _Rows:
    """Lookup of one attribute's rows of the tidy table by (metric, group, k)."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.rows = {
            (r.metric, r.group, None if pd.isna(r.k) else int(r.k)): r
            for r in table.itertuples(index=False)
        }

    def get(self, metric: str, group: str, k: int | None = None) -> pd.Series | None:
        row = self.rows.get((metric, group, k))
        return None if row is None else pd.Series(row._asdict())


def _top_k_table(rows: _Rows, groups: list[str], ks: list[int]) -> list[dict[str, Any]]:
    out = []
    for group in groups:
        n = rows.get("selection_rate", group, ks[0])
        record: dict[str, Any] = {"Group": group, "Candidates": int(n["n"]) if n is not None else 0}
        for k in ks:
            record[f"Top {k}: selection rate [95% CI]"] = _with_ci(
                rows.get("selection_rate", group, k), pct
            )
            record[f"Top {k}: impact ratio [95% CI]"] = _with_ci(rows.get("impact_ratio", group, k))
            odds = rows.get("mh_odds_ratio", group, k)
            ratio = rows.get("impact_ratio", group, k)
            if odds is not None:
                text = f"{fmt_num(odds['value'], 2)} ({_p(odds['p_value'])})"
            elif ratio is not None and ratio["value"] == 1.0:
                text = "comparison group"
            else:
                text = MISSING
            record[f"Top {k}: MH odds ratio (CMH)"] = text
        out.append(record)
    return out


def _exposure_table(rows: _Rows, groups: list[str], has_label: bool) -> list[dict[str, Any]]:
    out = []
    for group in groups:
        record = {
            "Group": group,
            "Exposure [95% CI]": _with_ci(rows.get("exposure", group)),
            "Exposure ratio [95% CI]": _with_ci(rows.get("exposure_ratio", group)),
            "Attention [95% CI]": _with_ci(rows.get("attention", group)),
            "Attention ratio [95% CI]": _with_ci(rows.get("attention_ratio", group)),
        }
        if has_label:
            record["Mean relevance"] = fmt_num(_value(rows.get("mean_relevance", group)))
            record["Disparate treatment ratio [95% CI]"] = _with_ci(
                rows.get("disparate_treatment_ratio", group)
            )
        out.append(record)
    return out


def _value(row: pd.Series | None) -> float:
    return math.nan if row is None else float(row["value"])


def _skew_table(rows: _Rows, groups: list[str], ks: list[int]) -> list[dict[str, Any]]:
    out = []
    for group in groups:
        record: dict[str, Any] = {"Group": group}
        for k in ks:
            record[f"Skew@{k} [95% CI]"] = _with_ci(rows.get("skew", group, k))
        out.append(record)
    return out


def _whole_ranking_table(rows: _Rows, ks: list[int]) -> list[dict[str, Any]]:
    """MinSkew@k, MaxSkew@k and NDKL: one value per job, averaged over jobs."""
    wanted = [(f"{name}@{k}", metric, k) for k in ks for name, metric in _EXTREMES]
    out = []
    for label, metric, k in [*wanted, ("NDKL", "ndkl", None)]:
        row = rows.get(metric, "all", k)
        jobs = int(row["n"]) if row is not None else 0
        out.append({"Measure": label, "Mean over jobs [95% CI]": _with_ci(row), "Jobs": jobs})
    return out


_EXTREMES = (("MinSkew", "min_skew"), ("MaxSkew", "max_skew"))


def _divergence_table(
    rows: _Rows, known: list[str], fair: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    out = []
    for group in known:
        record: dict[str, Any] = {"Protected group": group}
        for label, metric in (("rND", "rnd"), ("rKL", "rkl"), ("rRD", "rrd")):
            record[f"{label} [95% CI]"] = _with_ci(rows.get(metric, group))
        jobs = rows.get("rnd", group)
        record["Jobs (rND)"] = int(jobs["n"]) if jobs is not None else 0
        summary = fair.get(group, {})
        record["FA*IR pass rate [95% CI]"] = _with_ci(rows.get("fair_pass_rate", group), pct)
        record["Jobs failing FA*IR"] = (
            f"{summary['failing']} of {summary['tested']}" if summary.get("tested") else MISSING
        )
        record["First failing prefix: median (range)"] = _prefix_text(summary)
        out.append(record)
    return out


def _prefix_text(summary: dict[str, Any]) -> str:
    if not summary.get("failing"):
        return "none fails"
    return (
        f"{fmt_num(summary['first_failing_prefix_median'], 1).rstrip('0').rstrip('.')} "
        f"({summary['first_failing_prefix_min']}-{summary['first_failing_prefix_max']})"
    )


def ranking_tables(section: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Readable tables by caption (lists of row records whose first column is the header)."""
    frame = pd.DataFrame(section["metrics"])
    ks = [int(k) for k in section["configuration"]["k"]]
    has_label = section["configuration"].get("label") is not None
    tables: dict[str, list[dict[str, Any]]] = {}
    for attribute in section["configuration"]["attributes"]:
        sub = frame[frame["attribute"] == attribute]
        rows = _Rows(sub)
        groups = [g for g in dict.fromkeys(sub["group"]) if g != "all"]
        known = [g for g in groups if rows.get("rnd", g) is not None]
        fair = section["fair"][attribute]
        tables[f"Top-k selection: {attribute}"] = _top_k_table(rows, groups, ks)
        tables[f"Exposure and attention: {attribute}"] = _exposure_table(rows, groups, has_label)
        tables[f"Representation in the top k (skew): {attribute}"] = _skew_table(rows, groups, ks)
        tables[f"Whole-ranking measures (MinSkew, MaxSkew, NDKL): {attribute}"] = (
            _whole_ranking_table(rows, ks)
        )
        tables[f"Rank divergence and FA*IR, each group as the protected group: {attribute}"] = (
            _divergence_table(rows, known, fair)
        )
    return tables


# -- terminal -------------------------------------------------------------------------


def _metric_rows(section: dict[str, Any]) -> dict[tuple, dict[str, Any]]:
    return {(m["attribute"], m["group"], m["metric"], m["k"]): m for m in section["metrics"]}


def _ci_text(m: dict[str, Any] | None, fmt: Any) -> str:
    return str(_with_ci(m, fmt))


def _top_k_lines(section: dict[str, Any], attribute: str, groups: list[str]) -> list[str]:
    rows, ks = _metric_rows(section), section["configuration"]["k"]
    header = ["group", "n", "k", "top-k rate [95% CI]", "impact ratio [95% CI]", "MH OR", "CMH p"]
    table = [header]
    for group in groups:
        for k in ks:
            rate = rows.get((attribute, group, "selection_rate", k))
            odds = rows.get((attribute, group, "mh_odds_ratio", k))
            table.append(
                [
                    group,
                    str(rate["n"]) if rate else "0",
                    str(k),
                    _ci_text(rate, pct),
                    _ci_text(rows.get((attribute, group, "impact_ratio", k)), fmt_num),
                    fmt_num(odds["value"], 2) if odds else DASH,
                    fmt_p(odds["p_value"]) if odds else DASH,
                ]
            )
    return align(table)


def _exposure_lines(section: dict[str, Any], attribute: str, groups: list[str]) -> list[str]:
    rows = _metric_rows(section)
    fair = section.get("fair", {}).get(attribute, {})
    table = [["group", "exposure [95% CI]", "exposure ratio [95% CI]", "rND [95% CI]", "FA*IR"]]
    for group in groups:
        summary = fair.get(group)
        failing = f"{summary['failing']} of {summary['tested']} jobs fail" if summary else DASH
        table.append(
            [
                group,
                _ci_text(rows.get((attribute, group, "exposure", None)), fmt_num),
                _ci_text(rows.get((attribute, group, "exposure_ratio", None)), fmt_num),
                _ci_text(rows.get((attribute, group, "rnd", None)), fmt_num),
                failing,
            ]
        )
    return align(table)


def ranking_text(section: dict[str, Any]) -> list[str]:
    """The terminal summary of a ranking section: top-k and exposure tables per attribute.

    Read from the section's metric records, so a result loaded from JSON prints
    the same lines.
    """
    config, facts = section["configuration"], section["facts"]
    column = next(iter(config["order"].items()))
    lines = [
        "",
        f"ranking: {facts['rows']} candidates in {facts['jobs']} job lists, ordered by "
        f"{column[0]} {column[1]!r}; top-k cut-offs {', '.join(map(str, config['k']))}",
    ]
    rows = _metric_rows(section)
    for attribute in config["attributes"]:
        groups = [
            m["group"]
            for m in section["metrics"]
            if m["attribute"] == attribute and m["metric"] == "exposure"
        ]
        ndkl = rows.get((attribute, "all", "ndkl", None))
        lines += ["", f"{attribute}  top-k selection (each job's top k counted as selected)"]
        lines += _top_k_lines(section, attribute, groups)
        lines += [
            "",
            f"{attribute}  exposure, rank divergence, FA*IR "
            f"(NDKL {fmt_num(ndkl['value']) if ndkl else MISSING})",
        ]
        lines += _exposure_lines(section, attribute, groups)
    lines += [f"  - {note}" for note in section.get("input_notes", [])]
    return lines


def ranking_html(result: RankingResult) -> str:
    """The notebook display of a RankingResult: its notes and tidy metric table."""
    shown = result.to_frame()
    for column in ("value", "ci_low", "ci_high", "p_value"):
        shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    facts = result.facts
    head = f"<p><b>Ranking audit</b>: {facts['jobs']} jobs, {facts['rows']} rows</p>"
    return head + (f"<ul>{notes}</ul>" if notes else "") + shown.to_html(index=False)
