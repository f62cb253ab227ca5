"""The report's optional sections (ranking, counterfactual), its appendix and its provenance."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from biasaudit.reports._format import (
    DASH,
    INTERSECTION,
    Cell,
    ratio,
    ratio_ci,
)
from biasaudit.reports._model_base import Table, _cell
from biasaudit.reports._model_tables import _p
from biasaudit.reports._sections import tables_of
from biasaudit.results import AuditResult

__all__ = ["optional_sections", "provenance_items"]

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


def optional_sections(result: AuditResult) -> list[dict[str, Any]]:
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
            frames = tables_of(value)
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
def _appendix(result: AuditResult) -> Table:
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
        return "; ".join(INTERSECTION.join(map(str, v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items()) or DASH
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) or DASH
    return DASH if value is None else str(value)


def provenance_items(result: AuditResult, generated_at: str) -> list[tuple[str, str]]:
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
