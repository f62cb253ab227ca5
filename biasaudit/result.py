"""Compatibility path: :class:`AuditResult` now lives in :mod:`biasaudit.results`."""

from __future__ import annotations

from biasaudit.metrics._verdicts import findings_for, verdicts_for
from biasaudit.results import SCHEMA_VERSION, AuditResult, json_schema

__all__ = ["SCHEMA_VERSION", "AuditResult", "findings_for", "json_schema", "verdicts_for"]
