"""The report's main tables: summary, Local Law 144, EEOC four-fifths rule, error rates."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pandas as pd

from biasaudit.metrics._verdicts import ADVERSE, INSUFFICIENT, NOT_SIGNIFICANT, SIGNIFICANT_WITHIN
from biasaudit.regulations import DATA_TYPES, audit_dates, legal_role, ll144_gaps
from biasaudit.reports._format import (
    DASH,
    finite,
    group_label,
    pct,
    pct_ci,
    ratio,
    ratio_ci,
    verdict_class,
)
from biasaudit.reports._model_base import (
    _ROLE_TITLES,
    Table,
    _attr_label,
    _cell,
    _comparison_row,
    _heading,
    table_groups,
)
from biasaudit.results import AuditResult

__all__: list[str] = []  # private helpers of make_pool


# -- summary ---------------------------------------------------------------------
def _finding_sentence(row: pd.Series, ref: pd.Series | None, ctx: dict[str, Any]) -> str:
    names, what = ctx["names"], ctx["rate_word"]
    who = f"{_attr_label(row['attribute'])} = {group_label(row['group'])}"
    if row["verdict"] == INSUFFICIENT:
        return f"{who}: too few candidates (n = {int(row['n'])}) to compute an impact ratio."
    ref_name = group_label(ref["group"]) if ref is not None else "the comparison group"
    ref_rate = pct(ref[names["value"]]) if ref is not None else "n/a"
    text = (
        f"{who}: {what} {pct(row[names['value']])} {pct_ci(row[names['ci']])} against "
        f"{ref_rate} for {ref_name}, an impact ratio of {ratio(row[names['ratio']])} "
        f"{ratio_ci(row[names['ratio_ci']])}"
    )
    p = row.get(names["p_adjusted"])
    p_text = "< 0.001" if finite(p) and p < 0.001 else (f"= {p:.3f}" if finite(p) else "n/a")
    if row["verdict"] == ADVERSE:
        text += ", under the four-fifths threshold and statistically significant"
    elif row["verdict"] == NOT_SIGNIFICANT:
        text += ", under the four-fifths threshold but not statistically significant"
    else:
        text += ", within four-fifths but a statistically significant difference"
    text += f" (adjusted p {p_text})."
    if finite(row.get("shortfall")) and row["shortfall"] >= 0.5:
        text += f" Parity would have meant {row['shortfall']:.0f} more selections."
    if row.get("flip_flop") is False:
        text += " Selecting one more member of the group would end the violation (flip-flop)."
    return text


#: The check of a name-swap audit's paired findings (biasaudit.counterfactual).
PAIRED = "counterfactual_paired"


def _summary(result: AuditResult, ctx: dict[str, Any]) -> dict[str, Any]:
    groups = result.groups
    verdicts = list(groups["verdict"])
    failing = [v == ADVERSE for v in verdicts]
    checks = [v in (NOT_SIGNIFICANT, SIGNIFICANT_WITHIN) for v in verdicts]
    items = []
    for table in result.tables:
        rows = table_groups(result, table)
        ref = _comparison_row(rows, table, ctx["primary"])
        for _, row in rows.iterrows():
            if row["verdict"] in (ADVERSE, NOT_SIGNIFICANT, SIGNIFICANT_WITHIN, INSUFFICIENT):
                cls, word = verdict_class(row["verdict"])
                items.append({"cls": cls, "word": word, "text": _finding_sentence(row, ref, ctx)})
    paired = [f for f in result.findings if f.get("check") == PAIRED]
    items = [{"cls": "fail", "word": "Name swap", "text": f["message"]} for f in paired] + items
    for finding in result.findings:
        if finding.get("check") not in ("four_fifths", PAIRED):
            items.append({"cls": "warn", "word": "Check", "text": finding["message"]})
    n_fail, n_check = sum(failing), sum(checks)
    if paired:  # the same resume scored differently for another name: that leads
        headline, cls = (
            f"The name alone changed scores: {len(paired)} significant paired difference(s) "
            "on the same resumes (name swap, corrected).",
            "fail",
        )
    elif n_fail:
        headline, cls = f"Adverse impact indicated for {n_fail} group(s).", "fail"
    elif n_check:
        headline, cls = (
            f"No adverse impact established; {n_check} group(s) need a closer look.",
            "warn",
        )
    else:
        headline, cls = "No adverse impact indicated.", "ok"
    evaluated = sum(not bool(e) for e in groups["excluded_small"])
    return {
        "headline": headline,
        "cls": cls,
        "items": items,
        "counts": {
            "candidates": result.provenance["rows"]["total"],
            "groups": len(groups),
            "evaluated": evaluated,
            "adverse": n_fail,
            "check": n_check,
            "excluded": len(groups) - evaluated,
        },
    }


# -- Local Law 144 -----------------------------------------------------------------
def _ll144_table(result: AuditResult, table: dict[str, Any], i: int, ctx: dict[str, Any]) -> Table:
    names = ctx["names"]
    scoring = ctx["primary"] == "selection_rate" and "scoring_rate" in result.groups
    count_col = "selected" if ctx["primary"] == "selection_rate" else "above_median"
    columns = [
        ("Category", False),
        ("Applicants", True),
        ("Selected" if count_col == "selected" else "Scored above median", True),
        (ctx["rate_title"], True),
        ("Impact ratio", True),
    ]
    if scoring:
        columns += [("Scoring rate", True), ("Scoring impact ratio", True)]
    columns.append(("Note", False))
    rows = []
    # LL144 divides by the highest category's rate, whatever comparison the auditor chose
    ll144 = f"ll144_{names['ratio']}"
    for _, row in table_groups(result, table).iterrows():
        note, cls = "", ""
        value = row[ll144] if ll144 in row else row[names["ratio"]]
        impact = ratio(value)
        if row["excluded_small"]:
            impact, cls = "left out", "muted"
            note = (
                f"{pct(row['share'])} of known applicants (under {pct(ctx['min_share'])}): "
                "left out of the impact ratios"
            )
        elif (value == 1.0) if ll144 in row else (row["verdict"] == "comparison group"):
            note = "comparison category (highest rate)"
        cells = [
            _cell(int(row["n"])),
            _cell(int(row.get(count_col, 0))),
            _cell(pct(row[names["value"]])),
            _cell(impact),
        ]
        if scoring:
            column = "ll144_scoring_impact_ratio"
            column = column if column in row else "scoring_impact_ratio"  # older results
            scoring_ratio = "left out" if row["excluded_small"] else ratio(row[column])
            cells += [_cell(pct(row["scoring_rate"])), _cell(scoring_ratio)]
        cells.append(_cell(note))
        rows.append({"header": group_label(row["group"]), "cells": cells, "cls": cls})
    role, guess = legal_role(list(table["attribute"]), ctx["metadata"].get("legal_roles"))
    return Table(
        id=f"ll144-table-{i}",
        caption=f"{_ROLE_TITLES[role]}: {_attr_label(table['attribute'])} "
        f"({ctx['rate_word']}s and impact ratios; "
        f"{table['unknown']} applicant(s) of unknown category not included)",
        columns=columns,
        rows=rows,
        heading=_heading(role, table["attribute"]),
        role=role,
        guess=guess,
        unknown=table["unknown"],
        n_known=table["n_known"],
    )


def _ll144(result: AuditResult, ctx: dict[str, Any], now: _dt.datetime) -> dict[str, Any]:
    prov, meta = result.provenance, ctx["metadata"]
    tables = [_ll144_table(result, t, i, ctx) for i, t in enumerate(result.tables)]
    roles = {t["role"] for t in tables}
    data_type = str(meta.get("data_type") or "")
    explanation = DATA_TYPES.get(data_type.lower())
    gaps = [*ll144_gaps(roles, data_type), *(t["guess"] for t in tables if t["guess"])]
    unknown_any = max((t["unknown"] for t in result.tables), default=0)
    excluded = [
        {
            "attribute": _attr_label(t["attribute"]),
            "group": group_label(e["group"]),
            "n": e["n"],
            "share": pct(e["share"]),
        }
        for t in result.tables
        for e in t.get("excluded_small", [])
    ]
    dates = audit_dates(meta, prov, now)
    return {
        "tables": tables,
        "gaps": gaps,
        "applicants": prov["rows"]["total"],
        "unknown": unknown_any,
        "unknown_by_attribute": prov["rows"].get("unknown", {}),
        "excluded": excluded,
        "data_source": meta.get("data_source") or "not stated",
        "data_type": data_type or "not stated",
        "data_type_explanation": explanation,
        **dates,
    }


# -- EEOC ------------------------------------------------------------------------
def _p(value: Any) -> str:
    if not finite(value):
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _pair(a: Any, b: Any) -> str:
    return DASH if not (finite(a) or finite(b)) else f"{_p(a)} / {_p(b)}"


def _flip(value: Any) -> str:
    if value is True:
        return "holds"
    if value is False:
        return "flips"
    return DASH


def _eeoc_table(result: AuditResult, table: dict[str, Any], i: int, ctx: dict[str, Any]) -> Table:
    names = ctx["names"]
    rows = table_groups(result, table)
    selection = ctx["primary"] == "selection_rate"
    columns = [
        ("Group", False),
        ("n", True),
        ("Selected" if selection else "Above median", True),
        (f"{ctx['rate_title']} [95% CI]", True),
        ("Impact ratio [95% CI]", True),
        ("Z", True),
        (f"p / adjusted ({ctx['correction_short']})", True),
    ]
    if selection:
        columns += [("Fisher p / mid-p", True), ("Shortfall", True), ("Flip-flop", False)]
    columns.append(("Verdict", False))
    out = []
    for _, row in rows.iterrows():
        cls, word = verdict_class(row["verdict"])
        z = row.get(names["z"])
        cells = [
            _cell(int(row["n"])),
            _cell(int(row["selected"] if selection else row.get("above_median", 0))),
            _cell(pct(row[names["value"]]), sub=pct_ci(row[names["ci"]])),
            _cell(ratio(row[names["ratio"]]), sub=ratio_ci(row[names["ratio_ci"]])),
            _cell(f"{z:.2f}" if finite(z) else DASH),
            _cell(_pair(row.get(names["p"]), row.get(names["p_adjusted"]))),
        ]
        if selection:
            short = row.get("shortfall")
            cells += [
                _cell(_pair(row.get("fisher_p"), row.get("fisher_midp"))),
                _cell(f"{short:.1f}" if finite(short) else DASH),
                _cell(_flip(row.get("flip_flop"))),
            ]
        cells.append(_cell(f"{word}: {row['verdict']}", f"verdict {cls}"))
        out.append({"header": group_label(row["group"]), "cells": cells, "cls": ""})
    ref = table.get("comparison_groups", {}).get(ctx["primary"])
    return Table(
        id=f"eeoc-table-{i}",
        caption=f"Four-fifths analysis: {_attr_label(table['attribute'])} "
        f"(compared with {group_label(ref) if ref else 'no group: insufficient data'})",
        columns=columns,
        rows=out,
        heading=_attr_label(table["attribute"]),
    )


def _strata_table(result: AuditResult, table: dict[str, Any], i: int) -> Table | None:
    rows = table_groups(result, table)
    if not result.provenance["rows"].get("jobs") or "cmh_p_value" not in rows:
        return None
    columns = [
        ("Group", False),
        ("Mantel-Haenszel odds ratio", True),
        ("CMH p", True),
        ("Breslow-Day p (homogeneity)", True),
    ]
    out = []
    for _, row in rows.iterrows():
        odds = row.get("mh_odds_ratio")
        cells = [
            _cell(f"{odds:.2f}" if finite(odds) else DASH),
            _cell(_p(row.get("cmh_p_value"))),
            _cell(_p(row.get("breslow_day_p"))),
        ]
        out.append({"header": group_label(row["group"]), "cells": cells, "cls": ""})
    return Table(
        id=f"strata-table-{i}",
        caption=f"Within job strata: {_attr_label(table['attribute'])} "
        f"({result.provenance['rows']['jobs']} jobs, each group against the comparison group)",
        columns=columns,
        rows=out,
    )


# -- error rates -------------------------------------------------------------------
_ERROR_METRICS = (
    ("base_rate", "Base rate (qualified)"),
    ("true_positive_rate", "True-positive rate"),
    ("false_positive_rate", "False-positive rate"),
    ("false_negative_rate", "False-negative rate"),
    ("precision", "Precision"),
)


def _error_table(result: AuditResult, table: dict[str, Any], i: int) -> Table:
    rows = table_groups(result, table)
    columns = [("Group", False), ("n", True), ("Qualified", True)]
    columns += [(f"{title} [95% CI]", True) for _, title in _ERROR_METRICS]
    columns += [("Equal-opportunity difference", True)]
    has_auc = "auc" in rows
    if has_auc:
        columns.append(("AUC", True))
    out = []
    for _, row in rows.iterrows():
        cells = [_cell(int(row["n"])), _cell(int(row.get("label_positive", 0)))]
        for name, _ in _ERROR_METRICS:
            cells.append(_cell(pct(row.get(name)), sub=pct_ci(row.get(name + "_ci"))))
        diff = row.get("equal_opportunity_difference")
        cells.append(_cell(f"{100 * diff:+.1f} pp" if finite(diff) else "n/a"))
        if has_auc:
            cells.append(_cell(ratio(row.get("auc"))))
        cls = "muted" if row["excluded_small"] else ""
        out.append({"header": group_label(row["group"]), "cells": cells, "cls": cls})
    return Table(
        id=f"error-table-{i}",
        caption=f"Error rates by group: {_attr_label(table['attribute'])}",
        columns=columns,
        rows=out,
    )


_SUMMARY_ROWS = (
    ("demographic_parity", "Demographic parity (selection rate)"),
    ("equal_opportunity", "Equal opportunity (true-positive rate)"),
    ("false_positive_rate", "False-positive rate"),
    ("equalized_odds", "Equalized odds (TPR and FPR)"),
    ("precision", "Predictive parity (precision)"),
    ("base_rate", "Base rate (not a fairness criterion)"),
)


def _criteria_table(result: AuditResult) -> Table:
    columns = [("Criterion", False)]
    columns += [(f"{_attr_label(t['attribute'])}: diff. / ratio", True) for t in result.tables]
    rows = []
    for key, title in _SUMMARY_ROWS:
        cells = []
        for table in result.tables:
            s = table.get("summary", {})
            d, r = s.get(f"{key}_difference"), s.get(f"{key}_ratio")
            cells.append(_cell(f"{100 * d:.1f} pp / {ratio(r)}" if finite(d) else "n/a"))
        rows.append({"header": title, "cells": cells, "cls": ""})
    return Table(
        id="criteria-table",
        caption="Largest gap (percentage points) and smallest ratio between eligible groups",
        columns=columns,
        rows=rows,
    )


def _error_rates(result: AuditResult) -> dict[str, Any] | None:
    if "true_positive_rate" not in result.groups:
        return None
    ranges = []
    for table in result.tables:
        rows = table_groups(result, table)
        rows = rows[[not bool(e) for e in rows["excluded_small"]]]
        values = [v for v in rows["base_rate"] if finite(v)]
        if len(values) > 1:
            ranges.append(
                f"{_attr_label(table['attribute'])}: {pct(min(values))} to {pct(max(values))}"
            )
    return {
        "tables": [_error_table(result, t, i) for i, t in enumerate(result.tables)],
        "criteria": _criteria_table(result),
        "base_rate_ranges": ranges,
    }
