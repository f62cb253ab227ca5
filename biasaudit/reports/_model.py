"""The report's view model: every number of an AuditResult, formatted, in sections.

Nothing here recomputes a metric: each cell is read from the result's group
table, findings, summaries or provenance. Charts read the sufficient statistics
(score histograms) when the result carries them. Every string stays raw here;
the Jinja2 templates escape it (autoescape is on).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import pandas as pd

from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import column_names
from biasaudit.metrics._verdicts import ADVERSE, INSUFFICIENT, NOT_SIGNIFICANT, SIGNIFICANT_WITHIN
from biasaudit.regulations import DATA_TYPES, audit_dates, legal_role, ll144_gaps
from biasaudit.reports._chartset import charts_for
from biasaudit.reports._counterfactual_tables import counterfactual_tables
from biasaudit.reports._format import (
    Cell,
    finite,
    group_label,
    pct,
    pct_ci,
    ratio,
    ratio_ci,
    verdict_class,
)
from biasaudit.reports._ranking_tables import ranking_tables
from biasaudit.results._audit import is_ranking_section

__all__ = ["DATA_TYPES", "Table", "build_model", "table_groups"]

_CORRECTIONS = {
    "holm": "Holm (family-wise error rate)",
    "bh": "Benjamini-Hochberg (false discovery rate)",
    "none": "none",
}


class Table(dict):
    """A semantic table for the templates: id, caption, columns, rows, notes.

    ``columns`` is a list of ``(label, numeric)``; each row is
    ``{"header": str, "cells": [str | (str, css_class)], "cls": str}``.
    """


def _cell(text: Any, cls: str = "", sub: str = "") -> dict[str, str]:
    """A table cell; ``sub`` (an interval) is shown under the value."""
    return {"text": str(text), "cls": cls, "sub": sub}


def table_groups(result: Any, table: dict[str, Any]) -> pd.DataFrame:
    """The group rows of one attribute combination."""
    frame = result.groups
    mask = [list(a) == list(table["attribute"]) for a in frame["attribute"]]
    return frame[mask]


def _attr_label(attrs: Any) -> str:
    return " × ".join(str(a) for a in attrs)


_ROLE_TITLES = {
    "sex": "Sex",
    "race/ethnicity": "Race/ethnicity",
    "intersectional": "Intersectional",
    "other": "Category",
}


def _heading(role: str, attrs: Any) -> str:
    label = _attr_label(attrs)
    title = _ROLE_TITLES[role]
    return title if label.lower() == title.lower() else f"{title}: {label}"


def _primary(result: Any) -> tuple[str, dict[str, str]]:
    primary = result.primary_metric
    return primary, column_names(METRICS[primary])


def _comparison_row(rows: pd.DataFrame, table: dict[str, Any], metric: str) -> pd.Series | None:
    ref = table.get("comparison_groups", {}).get(metric)
    if ref is None:
        return None
    match = rows[[list(g) == list(ref) for g in rows["group"]]]
    return None if match.empty else match.iloc[0]


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


def _summary(result: Any, ctx: dict[str, Any]) -> dict[str, Any]:
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
    for finding in result.findings:
        if finding.get("check") not in ("four_fifths",):
            items.append({"cls": "warn", "word": "Check", "text": finding["message"]})
    n_fail, n_check = sum(failing), sum(checks)
    if n_fail:
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
def _ll144_table(result: Any, table: dict[str, Any], i: int, ctx: dict[str, Any]) -> Table:
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
    role, _ = legal_role(list(table["attribute"]), ctx["metadata"].get("legal_roles"))
    return Table(
        id=f"ll144-table-{i}",
        caption=f"{_ROLE_TITLES[role]}: {_attr_label(table['attribute'])} "
        f"({ctx['rate_word']}s and impact ratios; "
        f"{table['unknown']} applicant(s) of unknown category not included)",
        columns=columns,
        rows=rows,
        heading=_heading(role, table["attribute"]),
        role=role,
        unknown=table["unknown"],
        n_known=table["n_known"],
    )


def _ll144(result: Any, ctx: dict[str, Any], now: _dt.datetime) -> dict[str, Any]:
    prov, meta = result.provenance, ctx["metadata"]
    tables = [_ll144_table(result, t, i, ctx) for i, t in enumerate(result.tables)]
    roles = {t["role"] for t in tables}
    data_type = str(meta.get("data_type") or "")
    explanation = DATA_TYPES.get(data_type.lower())
    declared = meta.get("legal_roles")
    guesses = [legal_role(list(t["attribute"]), declared)[1] for t in result.tables]
    gaps = [*ll144_gaps(roles, data_type), *(g for g in guesses if g)]
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
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _pair(a: Any, b: Any) -> str:
    return "–" if not (finite(a) or finite(b)) else f"{_p(a)} / {_p(b)}"


def _flip(value: Any) -> str:
    if value is True:
        return "holds"
    if value is False:
        return "flips"
    return "–"


def _eeoc_table(result: Any, table: dict[str, Any], i: int, ctx: dict[str, Any]) -> Table:
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
            _cell(f"{z:.2f}" if finite(z) else "–"),
            _cell(_pair(row.get(names["p"]), row.get(names["p_adjusted"]))),
        ]
        if selection:
            short = row.get("shortfall")
            cells += [
                _cell(_pair(row.get("fisher_p"), row.get("fisher_midp"))),
                _cell(f"{short:.1f}" if finite(short) else "–"),
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


def _strata_table(result: Any, table: dict[str, Any], i: int) -> Table | None:
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
            _cell(f"{odds:.2f}" if finite(odds) else "–"),
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


def _error_table(result: Any, table: dict[str, Any], i: int) -> Table:
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


def _criteria_table(result: Any) -> Table:
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


def _error_rates(result: Any) -> dict[str, Any] | None:
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


# -- optional sections (ranking, counterfactual) -------------------------------------
_NUMBER_LIKE = re.compile(r"^(n/a|[-+]?\d)")


def _generic_table(
    frame: Any, section: str, i: int, caption: str, intervals: bool = False
) -> Table:
    """A table from records: a :class:`Cell` shows its interval under its value (as the
    audit's own tables do); with ``intervals``, a column whose cells all read as
    numbers is aligned as numbers."""
    frame = pd.DataFrame(frame)
    columns = [(str(c), pd.api.types.is_numeric_dtype(frame[c])) for c in frame.columns]
    if intervals:
        columns = [
            (label, numeric or all(_NUMBER_LIKE.match(str(v)) for v in frame[label]))
            for label, numeric in columns
        ]
    rows = []
    for _, row in frame.iterrows():
        values = [ratio(v) if isinstance(v, float) else v for v in row]
        cells = [_cell(v.text, sub=v.sub) if isinstance(v, Cell) else _cell(v) for v in values[1:]]
        rows.append({"header": str(values[0]), "cells": cells, "cls": ""})
    return Table(id=f"{section}-table-{i}", caption=caption, columns=columns, rows=rows)


def optional_sections(result: Any) -> list[dict[str, Any]]:
    """Ranking and counterfactual sections, when the result carries them.

    ``result.sections["ranking"]`` or ``["counterfactual"]`` (or an attribute of
    that name) that is a DataFrame (or a list of records) becomes a section with
    one table; a dict ``{"tables": {caption: frame or records}, "notes": [str]}``
    gives several tables and notes (other keys are data for JSON readers). Notes
    also listed in ``"method_notes"`` are shown after the tables, as methods.
    """
    out = []
    sections = getattr(result, "sections", None) or {}
    for key, title in (("ranking", "Ranking fairness"), ("counterfactual", "Counterfactual audit")):
        value = sections.get(key, getattr(result, key, None))
        if value is None:
            continue
        methods: list[str] = []
        if isinstance(value, dict):
            frames = (
                ranking_tables(value) if is_ranking_section(value) else counterfactual_tables(value)
            )
            notes = list(value.get("notes", []))
            methods = [n for n in value.get("method_notes", []) if n in notes]
            notes = [n for n in notes if n not in methods]
        else:
            frames, notes = {f"{title} by group": value}, []
        split = key == "ranking"
        tables = [_generic_table(f, key, i, c, split) for i, (c, f) in enumerate(frames.items())]
        out.append(
            {"id": key, "title": title, "tables": tables, "notes": notes, "methods": methods}
        )
    return out


# -- appendix and provenance -------------------------------------------------------------
def _appendix(result: Any) -> Table:
    frame = result.to_frame()
    columns = [
        ("Attribute", False),
        ("Group", False),
        ("Metric", False),
        ("Value [95% CI]", True),
        ("Denominator n", True),
        ("Ratio", True),
        ("p", True),
        ("p adjusted", True),
        ("Flag", False),
    ]
    rows = []
    for _, row in frame.iterrows():
        rows.append(
            {
                "header": row["attribute"],
                "cells": [
                    _cell(row["group"]),
                    _cell(row["metric"].replace("_", " ")),
                    _cell(ratio(row["value"], 4), sub=ratio_ci((row["ci_low"], row["ci_high"]), 4)),
                    _cell(int(row["n"])),
                    _cell(ratio(row["ratio"])),
                    _cell(_p(row["p_value"])),
                    _cell(_p(row["p_value_adjusted"])),
                    _cell(row["flag"] or ""),
                ],
                "cls": "",
            }
        )
    return Table(
        id="appendix-table",
        caption="Every metric for every group (tidy form of the result)",
        columns=columns,
        rows=rows,
    )


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, list) for v in value):
        return "; ".join(" × ".join(map(str, v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items()) or "–"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) or "–"
    return "–" if value is None else str(value)


def provenance_items(result: Any, generated_at: str) -> list[tuple[str, str]]:
    """(label, value) pairs of the provenance, in reading order."""
    prov = result.provenance
    config = prov["configuration"]
    items = [
        ("Input", _plain(prov["input"].get("source"))),
        (f"SHA-256 ({prov['input'].get('sha256_of', 'input')})", prov["input"].get("sha256", "")),
        ("Column roles", _plain(prov["input"].get("roles"))),
        ("Rows", _plain(prov["rows"].get("total"))),
        ("Unknown category, per attribute", _plain(prov["rows"].get("unknown"))),
        ("Job strata", _plain(prov["rows"].get("jobs"))),
    ]
    items += [(f"Configuration: {k.replace('_', ' ')}", _plain(v)) for k, v in config.items()]
    items += [
        (f"Metadata: {k.replace('_', ' ')}", _plain(v)) for k, v in prov.get("metadata", {}).items()
    ]
    items += [("Audit warnings", _plain(prov.get("warnings") or "none"))]
    items += [(f"Version: {k}", str(v)) for k, v in prov.get("versions", {}).items()]
    items += [("Report software", _report_versions())]
    items += [
        ("Audit timestamp (UTC)", str(prov.get("timestamp"))),
        ("Report generated (UTC)", generated_at),
    ]
    return items


def _report_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("jinja2", "matplotlib"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:  # pragma: no cover
            out.append(f"{name} not installed")
    return ", ".join(out)


# -- the whole model ----------------------------------------------------------------------
def _context(result: Any) -> dict[str, Any]:
    primary, names = _primary(result)
    config = result.provenance["configuration"]
    correction = config["multiple_testing"]["method"]
    return {
        "primary": primary,
        "names": names,
        "rate_word": "selection rate" if primary == "selection_rate" else "scoring rate",
        "rate_title": "Selection rate" if primary == "selection_rate" else "Scoring rate",
        "metadata": dict(result.provenance.get("metadata") or {}),
        "min_share": config.get("min_share", 0.02),
        "reference": config.get("reference_group"),
        "correction_short": correction,
        "correction": _CORRECTIONS.get(correction, correction),
    }


def build_model(
    result: Any,
    *,
    title: str | None = None,
    generated_at: _dt.datetime | None = None,
    charts: bool = True,
) -> dict[str, Any]:
    """Everything the report template shows, as plain data (strings unescaped)."""

    now = generated_at or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    ctx = _context(result)
    config = result.provenance["configuration"]
    title = title or ctx["metadata"].get("title") or "Bias audit report"
    model = {
        "title": str(title),
        "ctx": ctx,
        "config": config,
        "summary": _summary(result, ctx),
        "ll144": _ll144(result, ctx, now),
        "eeoc": [_eeoc_table(result, t, i, ctx) for i, t in enumerate(result.tables)],
        "strata": [
            s for i, t in enumerate(result.tables) if (s := _strata_table(result, t, i)) is not None
        ],
        "errors": _error_rates(result),
        "optional": optional_sections(result),
        "charts": charts_for(result, ctx) if charts else None,
        "has_histograms": result.score_histograms() is not None,
        "has_score": "mean_score" in result.groups,
        "appendix": _appendix(result),
        "provenance": provenance_items(result, now.isoformat()),
        "generated_at": now.isoformat(),
    }
    model["sections"] = _sections(model)
    return model


def _sections(model: dict[str, Any]) -> list[tuple[str, str]]:
    out = [
        ("summary", "Summary"),
        ("ll144", "Local Law 144 bias audit summary"),
        ("eeoc", "Four-fifths rule and significance"),
    ]
    if model["errors"]:
        out.append(("error-rates", "Error rates (with a ground-truth label)"))
    out += [(s["id"], s["title"]) for s in model["optional"]]
    if model["charts"] is not None:
        out.append(("charts", "Charts"))
    out += [
        ("methodology", "Methodology and definitions"),
        ("limitations", "Limitations"),
        ("provenance", "Data provenance"),
        ("appendix", "Appendix: full table"),
    ]
    return out
