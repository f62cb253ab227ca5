"""The report's view model: every number of an AuditResult, formatted, in sections.

Nothing here recomputes a metric: each cell is read from the result's group
table, findings, summaries or provenance. Charts read the sufficient statistics
(score histograms) when the result carries them. Every string stays raw here;
the Jinja2 templates escape it (autoescape is on).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from biasaudit.reports._chartset import charts_for
from biasaudit.reports._model_base import _CORRECTIONS, _primary
from biasaudit.reports._model_extra import _appendix, optional_sections, provenance_items
from biasaudit.reports._model_tables import (
    _eeoc_table,
    _error_rates,
    _ll144,
    _strata_table,
    _summary,
)
from biasaudit.results import AuditResult

__all__ = ["build_model"]


# -- the whole model ----------------------------------------------------------------------
def _context(result: AuditResult) -> dict[str, Any]:
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
    result: AuditResult,
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
