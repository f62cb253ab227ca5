"""The results layer: frozen audit outcomes holding numbers, and their provenance.

Nothing here renders text: the display conveniences of the result classes
delegate to :mod:`biasaudit.reports` through :mod:`biasaudit.results._views`.
"""

from __future__ import annotations

from biasaudit.results._audit import SCHEMA_VERSION, AuditResult, json_schema
from biasaudit.results._load import load_result
from biasaudit.results._ranking import RankingResult

__all__ = ["SCHEMA_VERSION", "AuditResult", "RankingResult", "json_schema", "load_result"]
