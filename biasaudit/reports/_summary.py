"""Plain-text and notebook (HTML) summaries of an AuditResult."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import column_names
from biasaudit.reports._format import align, fmt_ci, fmt_num, fmt_p, printable, verdict_class
from biasaudit.reports._ranking_tables import ranking_text

if TYPE_CHECKING:
    from biasaudit.results import AuditResult

__all__ = ["summary_html", "summary_text"]


def _rows(result: AuditResult, table: dict[str, Any]) -> list[list[str]]:
    names = column_names(METRICS[result.primary_metric])
    frame = result.groups
    rows = []
    mask = [list(a) == table["attribute"] for a in frame["attribute"]]
    for _, row in frame[mask].iterrows():
        rows.append(
            [
                " / ".join(row["group"]),
                str(int(row["n"])),
                str(int(row["selected"]))
                if result.primary_metric == "selection_rate"
                else str(int(row.get("above_median", 0))),
                f"{fmt_num(row[names['value']])} {fmt_ci(row[names['ci']], 3)}",
                f"{fmt_num(row[names['ratio']])} {fmt_ci(row[names['ratio_ci']], 2)}",
                fmt_p(row[names["p_adjusted"]]),
                row["verdict"],
            ]
        )
    return rows


def summary_text(result: AuditResult) -> str:
    """The terminal summary: one aligned table per attribute combination."""
    prov = result.provenance
    config = prov["configuration"]
    primary = result.primary_metric.replace("_", " ")
    lines = [
        f"biasaudit {prov['versions']['biasaudit']} audit of {prov['rows']['total']} candidates",
        f"input: {prov['input']['source']} (sha256 {prov['input']['sha256'][:16]}...)",
        f"decision: {config['decision'].get('rule')}; primary metric: {primary}; "
        f"correction: {config['multiple_testing']['method']} over "
        f"{config['multiple_testing']['family_size']} tests",
    ]
    header = [
        "group",
        "n",
        "selected" if primary.startswith("selection") else "above median",
        f"{primary} [95% CI]",
        "impact ratio [95% CI]",
        "p (adj.)",
        "verdict",
    ]
    for table in result.tables:
        comparison = table["comparison_groups"].get(result.primary_metric)
        lines += [
            "",
            f"{' x '.join(table['attribute'])}  (compared with: "
            f"{' / '.join(comparison) if comparison else 'none'}; "
            f"unknown: {table['unknown']})",
        ]
        lines += align([header, *_rows(result, table)])
    if "ranking" in (result.sections or {}):  # audit(ranking=...): its main tables
        lines += ranking_text(result.sections["ranking"])
    lines += ["", f"findings: {len(result.findings)}"]
    lines += [f"  - {f['message']}" for f in result.findings]
    return printable("\n".join(lines) + "\n")


#: Short flag shown before each verdict in the notebook table: a word and a symbol as
#: well as a colour, so that the flag survives grey-scale printing and colour blindness.
_FLAG_STYLE = {
    "fail": ("\u2717", "color:#b2182b;font-weight:600"),
    "warn": ("!", "color:#8a5a00;font-weight:600"),
    "ok": ("\u2713", "color:#1a7a3a"),
    "ref": ("\u25c6", "color:#333333"),
    "na": ("?", "color:#666666"),
}


def _flag_cell(verdict: str) -> str:
    """``<td>`` with the symbol, the short word and the full verdict (escaped)."""
    cls, word = verdict_class(verdict)
    symbol, style = _FLAG_STYLE.get(cls, _FLAG_STYLE["na"])
    return (
        f"<td class='ba-{cls}' style='{style}'>{html.escape(symbol)} "
        f"{html.escape(word)}: {html.escape(verdict)}</td>"
    )


def _value_ci(value: Any, ci: Any, ci_digits: int) -> str:
    """``0.064 [0.055, 0.075]``; just ``n/a`` when neither the value nor its interval exists."""
    text = fmt_num(value)
    low, high = ci
    if all(fmt_num(x) == "n/a" for x in (low, high)):
        return text
    return f"{text} {fmt_ci(ci, ci_digits)}"


def _html_rows(result: AuditResult, table: dict[str, Any], names: dict[str, str]) -> list[str]:
    esc = lambda v: html.escape(str(v), quote=True)  # noqa: E731
    mask = [list(a) == list(table["attribute"]) for a in result.groups["attribute"]]
    count = "selected" if result.primary_metric == "selection_rate" else "above_median"
    out = []
    for _, row in result.groups[mask].iterrows():
        cells = [
            " / ".join(row["group"]),
            int(row["n"]),
            int(row.get(count, 0)),
            _value_ci(row[names["value"]], row[names["ci"]], 3),
            _value_ci(row[names["ratio"]], row[names["ratio_ci"]], 2),
            fmt_p(row[names["p_adjusted"]]),
        ]
        tds = "".join(f"<td>{esc(c)}</td>" for c in cells)
        out.append(f"<tr>{tds}{_flag_cell(str(row['verdict']))}</tr>")
    return out


def _table_heading(result: AuditResult, table: dict[str, Any]) -> str:
    comparison = table["comparison_groups"].get(result.primary_metric)
    text = (
        f"{' x '.join(table['attribute'])}: compared with "
        f"{' / '.join(comparison) if comparison else 'none'}; unknown: {table['unknown']}"
    )
    if table.get("excluded_small"):
        left = ", ".join(
            f"{' / '.join(e['group'])} (n={e['n']}, {e['share']:.1%})"
            for e in table["excluded_small"]
        )
        text += f"; left out under the minimum share: {left}"
    return html.escape(text)


def summary_html(result: AuditResult) -> str:
    """Compact notebook table: one row per group under a heading per table, flagged verdicts.

    Every group's rate and impact ratio (with intervals), adjusted p-value and
    verdict; the verdict carries a symbol and a short word (not only colour).
    The findings follow in a collapsed list. All text is escaped.

    Examples
    --------
    >>> import biasaudit
    >>> result = biasaudit.audit(biasaudit.datasets.load_resume_study(),
    ...                          attributes=["race"], selected="callback")
    >>> html_text = summary_html(result)
    >>> html_text.count("<tr>"), "Fails: adverse impact" in html_text
    (4, True)
    """
    names = column_names(METRICS[result.primary_metric])
    primary = result.primary_metric.replace("_", " ")
    head = "".join(
        f"<th scope='col'>{html.escape(h)}</th>"
        for h in (
            "group",
            "n",
            "selected" if result.primary_metric == "selection_rate" else "above median",
            f"{primary} [95% CI]",
            "impact ratio [95% CI]",
            "p (adj.)",
            "verdict",
        )
    )
    bodies = []
    for table in result.tables:
        heading = (
            f"<tr><th scope='rowgroup' colspan='7' style='text-align:left'>"
            f"{_table_heading(result, table)}</th></tr>"
        )
        bodies.append(f"<tbody>{heading}{''.join(_html_rows(result, table, names))}</tbody>")
    prov = result.provenance
    testing = prov["configuration"]["multiple_testing"]
    caption = (
        f"biasaudit: {prov['rows']['total']} candidates; {primary}; p adjusted "
        f"({testing['method']}, {testing['family_size']} tests); "
        f"{len(result.findings)} finding(s)"
    )
    findings = "".join(f"<li>{html.escape(f['message'])}</li>" for f in result.findings)
    details = (
        f"<details><summary>{len(result.findings)} finding(s)</summary><ul>{findings}</ul>"
        "</details>"
        if findings
        else ""
    )
    return (
        f"<div class='biasaudit'><table class='biasaudit'><caption>{html.escape(caption)}"
        f"</caption><thead><tr>{head}</tr></thead>{''.join(bodies)}</table>{details}</div>"
    )
