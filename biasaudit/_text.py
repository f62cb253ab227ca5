"""Plain-text and notebook (HTML) summaries of an AuditResult."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import column_names

if TYPE_CHECKING:
    from biasaudit.result import AuditResult

__all__ = ["fmt_ci", "fmt_num", "fmt_p", "summary_html", "summary_text"]


def fmt_num(value: Any, digits: int = 3) -> str:
    """A number to ``digits`` decimals, or ``n/a`` when undefined."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def fmt_ci(ci: Any, digits: int = 3) -> str:
    """An interval as ``[low, high]``."""
    low, high = ci
    return f"[{fmt_num(low, digits)}, {fmt_num(high, digits)}]"


def fmt_p(p: Any) -> str:
    """A p-value, with ``<0.001`` for tiny ones."""
    if p is None or (isinstance(p, float) and not math.isfinite(p)):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


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


def _align(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


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
        lines += _align([header, *_rows(result, table)])
    lines += ["", f"findings: {len(result.findings)}"]
    lines += [f"  - {f['message']}" for f in result.findings]
    return "\n".join(lines) + "\n"


def summary_html(result: AuditResult) -> str:
    """Compact notebook table with the verdict of each group (all text escaped)."""
    esc = lambda v: html.escape(str(v), quote=True)  # noqa: E731
    names = column_names(METRICS[result.primary_metric])
    head = "".join(
        f"<th scope='col'>{esc(h)}</th>"
        for h in (
            "attribute",
            "group",
            "n",
            result.primary_metric,
            "95% CI",
            "impact ratio",
            "95% CI",
            "p (adj.)",
            "verdict",
        )
    )
    body = []
    for _, row in result.groups.iterrows():
        bad = row["verdict"].startswith(("adverse", "four-fifths", "statistically"))
        style = " style='color:#b2182b;font-weight:600'" if bad else ""
        cells = [
            " x ".join(row["attribute"]),
            " / ".join(row["group"]),
            int(row["n"]),
            fmt_num(row[names["value"]]),
            fmt_ci(row[names["ci"]]),
            fmt_num(row[names["ratio"]]),
            fmt_ci(row[names["ratio_ci"]]),
            fmt_p(row[names["p_adjusted"]]),
        ]
        tds = "".join(f"<td>{esc(c)}</td>" for c in cells)
        body.append(f"<tr>{tds}<td{style}>{esc(row['verdict'])}</td></tr>")
    rows = result.provenance["rows"]["total"]
    caption = f"biasaudit: {rows} candidates, {len(result.findings)} finding(s)"
    return (
        f"<table class='biasaudit'><caption>{esc(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
