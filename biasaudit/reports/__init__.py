"""Reports from an :class:`~biasaudit.AuditResult`: HTML, comparison, Markdown, CSV.

The HTML report is one self-contained file (inline CSS and SVG charts, no
script, a Content-Security-Policy that forbids every external request) that an
auditor can publish under NYC Local Law 144, a researcher can attach to a paper
and an engineer to a pull request.

Examples
--------
>>> import biasaudit
>>> from biasaudit.reports import to_markdown
>>> result = biasaudit.audit(biasaudit.datasets.load_resume_study(),
...                          attributes=["race", "sex"], selected="callback")
>>> to_markdown(result).splitlines()[0]
'# Bias audit report'
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from biasaudit.reports._compare import compare_html, compare_markdown
from biasaudit.reports._csv import to_csv
from biasaudit.reports._html import render, utc_now, write
from biasaudit.reports._markdown import to_markdown
from biasaudit.reports._model import build_model
from biasaudit.reports._plot import AuditPlots
from biasaudit.reports._ranking_tables import ranking_html
from biasaudit.reports._sections import json_sections, section_tables, section_with_tables
from biasaudit.reports._summary import summary_html, summary_text
from biasaudit.results import AuditResult
from biasaudit.results._views import register_view

__all__ = [
    "compare_html",
    "compare_markdown",
    "section_tables",
    "to_csv",
    "to_html",
    "to_markdown",
]


def to_html(
    result: AuditResult,
    path: str | Path | None = None,
    *,
    title: str | None = None,
    charts: bool = True,
    generated_at: _dt.datetime | None = None,
) -> str:
    """The audit as one self-contained HTML report (and write it to ``path``).

    Parameters
    ----------
    result : AuditResult
        The audit, from :func:`biasaudit.audit` or :meth:`AuditResult.from_json`
        (a result loaded from JSON has no score histograms, so its report has no
        score-distribution or calibration chart).
    path : str or Path, optional
        Where to write the file (UTF-8).
    title : str, optional
        Report title; default: ``metadata["title"]`` or "Bias audit report".
    charts : bool
        Include the charts (inline SVG).
    generated_at : datetime, optional
        Generation time shown in the report and used for the staleness check
        (default: now, UTC).

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> import biasaudit
    >>> result = biasaudit.audit(biasaudit.datasets.load_resume_study(),
    ...                          attributes=["race"], selected="callback")
    >>> "Local Law 144" in to_html(result, charts=False)
    True
    """
    model = build_model(result, title=title, generated_at=generated_at or utc_now(), charts=charts)
    return write(render("report.html.j2", model), path)


# The results' display conveniences (result.summary(), .plot, .to_html(), ...) are
# rendered here; the results layer looks them up by name (biasaudit.results._views).
for _name, _renderer in (
    ("summary", summary_text),
    ("summary_html", summary_html),
    ("plot", AuditPlots),
    ("html", to_html),
    ("json_sections", json_sections),
    ("ranking_section", section_with_tables),
    ("ranking_html", ranking_html),
):
    register_view(_name, _renderer)
