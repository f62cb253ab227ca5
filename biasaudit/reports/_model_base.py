"""The report model's building blocks: semantic tables, cells, group rows, labels."""

from __future__ import annotations

from typing import Any

import pandas as pd

from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import column_names
from biasaudit.reports._format import INTERSECTION
from biasaudit.results import AuditResult

__all__ = ["Table", "table_groups"]

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


def table_groups(result: AuditResult, table: dict[str, Any]) -> pd.DataFrame:
    """The group rows of one attribute combination."""
    frame = result.groups
    mask = [list(a) == list(table["attribute"]) for a in frame["attribute"]]
    return frame[mask]


def _attr_label(attrs: Any) -> str:
    return INTERSECTION.join(str(a) for a in attrs)


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


def _primary(result: AuditResult) -> tuple[str, dict[str, str]]:
    primary = result.primary_metric
    return primary, column_names(METRICS[primary])


def _comparison_row(rows: pd.DataFrame, table: dict[str, Any], metric: str) -> pd.Series | None:
    ref = table.get("comparison_groups", {}).get(metric)
    if ref is None:
        return None
    match = rows[[list(g) == list(ref) for g in rows["group"]]]
    return None if match.empty else match.iloc[0]
