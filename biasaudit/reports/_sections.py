"""The ranking and counterfactual sections with their readable tables.

Sections hold numbers; their tables are rendered here from those numbers when
the JSON, a report or a notebook shows them, and placed where the JSON has
always carried them.
"""

from __future__ import annotations

from typing import Any

from biasaudit.ranking._section import section_data
from biasaudit.reports._counterfactual_tables import counterfactual_tables
from biasaudit.reports._format import plain_records
from biasaudit.reports._ranking_tables import ranking_tables
from biasaudit.results._audit import AuditResult, is_counterfactual_section, is_ranking_section
from biasaudit.results._ranking import RankingResult

__all__ = ["json_sections", "readable", "section_tables", "section_with_tables", "tables_of"]


def _with_tables(section: dict[str, Any], after: str, tables: dict[str, Any]) -> dict[str, Any]:
    """``section`` with ``"tables"`` (as plain text records) right after the key ``after``."""
    out: dict[str, Any] = {}
    for key, value in section.items():
        if key != "tables":
            out[key] = value
        if key == after:
            out["tables"] = {caption: plain_records(rows) for caption, rows in tables.items()}
    return out


def tables_of(section: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A section's readable tables by caption, cells still :class:`Cell` where they hold
    an interval; a section of another kind keeps the ``tables`` it carries."""
    if is_ranking_section(section):
        return ranking_tables(section)
    return counterfactual_tables(section)


def readable(section: Any) -> Any:
    """A ranking or counterfactual section with its readable tables; any other as it is."""
    after = (
        "metrics"
        if is_ranking_section(section)
        else "counts"
        if is_counterfactual_section(section)
        else None
    )
    return section if after is None else _with_tables(section, after, tables_of(section))


def json_sections(sections: dict[str, Any]) -> dict[str, Any]:
    """An AuditResult's sections as the JSON carries them, with their readable tables."""
    return {name: readable(value) for name, value in sections.items()}


def section_with_tables(result: RankingResult) -> dict[str, Any]:
    """``RankingResult.to_section()``: the section's numbers with its readable tables."""
    return readable(section_data(result))


def section_tables(result: AuditResult, name: str) -> dict[str, list[dict[str, Any]]]:
    """The readable tables of one section of ``result`` (``"ranking"``, ``"counterfactual"``).

    The sections hold numbers; these are the tables a report shows, rendered from
    them, as records by caption (``pandas.DataFrame(records)`` makes a frame).

    Raises
    ------
    KeyError
        When the result has no section called ``name``.

    Examples
    --------
    >>> import pandas as pd, biasaudit
    >>> df = pd.DataFrame({"job": ["a"] * 4 + ["b"] * 4,
    ...                    "sex": ["F", "M", "M", "F", "M", "F", "F", "M"],
    ...                    "score": [0.1, 0.9, 0.8, 0.2, 0.9, 0.7, 0.3, 0.1]})
    >>> result = biasaudit.audit(df, attributes=["sex"], score="score", job="job", top_k=2,
    ...                          ranking={"k": 2, "n_bootstrap": 0})
    >>> section_tables(result, "ranking")["Top-k selection: sex"][0]["Group"]
    'F'
    """
    section = readable(result.sections[name])
    return dict(section.get("tables", {})) if isinstance(section, dict) else {}
