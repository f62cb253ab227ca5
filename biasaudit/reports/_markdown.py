"""A Markdown summary: the verdicts, the Local Law 144 tables and the provenance."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from biasaudit._io import write_text_atomic
from biasaudit.reports._format import printable
from biasaudit.reports._html import utc_now
from biasaudit.reports._model import build_model
from biasaudit.reports._model_base import Table
from biasaudit.results import AuditResult

__all__ = ["md", "md_table", "to_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(value: Any) -> str:
    """Escape text for Markdown: HTML entities, Markdown punctuation, no line breaks."""
    text = html.escape(str(value), quote=False)
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _joined(cell: dict[str, str]) -> str:
    return f"{cell['text']} {cell['sub']}" if cell.get("sub") else cell["text"]


def md_table(table: Table) -> list[str]:
    """A pipe table with the caption as an italic line above it."""
    columns = [label for label, _ in table["columns"]]
    align = ["---:" if numeric else "---" for _, numeric in table["columns"]]
    lines = [f"*{md(table['caption'])}*", ""]
    lines.append("| " + " | ".join(md(c) for c in columns) + " |")
    lines.append("| " + " | ".join(align) + " |")
    for row in table["rows"]:
        cells = [row["header"], *(_joined(c) for c in row["cells"])]
        lines.append("| " + " | ".join(md(c) for c in cells) + " |")
    return [*lines, ""]


def _ll144_lines(ll: dict[str, Any]) -> list[str]:
    lines = ["## Local Law 144 bias audit summary", ""]
    lines += [f"> **Warning:** {md(w)}" for w in ll["warnings"]]
    lines += [f"> **Missing:** {md(g)}" for g in ll["gaps"]]
    if ll["warnings"] or ll["gaps"]:
        lines.append("")
    explanation = f": {ll['data_type_explanation']}" if ll["data_type_explanation"] else ""
    lines += [
        f"- Date of the audit: {md(ll['audit_date'])}",
        f"- Distribution date of the tool: {md(ll['distribution_date'])}",
        f"- Number of applicants: {ll['applicants']}",
        f"- Applicants of unknown category (not in any rate): {ll['unknown']}",
        f"- Data source: {md(ll['data_source'])}",
        f"- Type of data: {md(ll['data_type'] + explanation)}",
        "",
    ]
    for table in ll["tables"]:
        lines += md_table(table)
    for e in ll["excluded"]:
        lines.append(
            f"- Left out of the impact ratios (under the minimum share): {md(e['attribute'])} = "
            f"{md(e['group'])}, {e['n']} applicants, {e['share']} of known applicants."
        )
    return lines


def to_markdown(
    result: AuditResult, path: str | Path | None = None, *, title: str | None = None
) -> str:
    """A Markdown summary of the audit (for a pull request, an issue or a README).

    Every user-supplied string is escaped, so group names cannot inject HTML or
    Markdown. Charts are left to the HTML report.
    """
    m = build_model(result, title=title, generated_at=utc_now(), charts=False)
    s = m["summary"]
    lines = [f"# {md(m['title'])}", "", f"**{md(s['headline'])}**", ""]
    lines.append(
        f"{s['counts']['candidates']} candidates; {s['counts']['evaluated']} of "
        f"{s['counts']['groups']} groups evaluated; correction: {md(m['ctx']['correction'])}."
    )
    lines.append("")
    lines += [f"- **{md(item['word'])}**: {md(item['text'])}" for item in s["items"]]
    lines += ["", *_ll144_lines(m["ll144"]), "## Four-fifths analysis", ""]
    for table in m["eeoc"]:
        lines += md_table(table)
    lines += ["## Provenance", ""]
    prov = result.provenance
    lines += [
        f"- Input: {md(prov['input'].get('source'))}, SHA-256 `{md(prov['input'].get('sha256'))}`",
        f"- Rows: {prov['rows']['total']}; audit timestamp {md(prov.get('timestamp'))}",
        "- Versions: " + md(", ".join(f"{k} {v}" for k, v in prov.get("versions", {}).items())),
        "",
    ]
    text = printable("\n".join(lines))
    if path is not None:
        write_text_atomic(path, text)
    return text
