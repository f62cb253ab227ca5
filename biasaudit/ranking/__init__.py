"""Ranking audits: fairness of ordered shortlists per job (:func:`rank_audit`).

Modules: ``_options`` (validation, attention models), ``_order`` (rows in job and
position order), ``_stats`` (per-job statistics, pooling, bootstrap, CMH),
``_audit`` (:func:`rank_audit`), ``_section`` (the ranking section of
:func:`biasaudit.audit`), ``_messages``. The result class lives in
:mod:`biasaudit.results`.
"""

from __future__ import annotations

from biasaudit.ranking._audit import rank_audit
from biasaudit.ranking._messages import (
    BAD_OPTION,
    BAD_RANK_VALUES,
    BAD_REFERENCE,
    BAD_TARGET,
    DUPLICATE_RANK,
    FAIR_TRUNCATED,
    KATZ_FALLBACK,
    NEEDS_ORDER,
    ONE_CANDIDATE,
    SHORT_LISTS,
)
from biasaudit.ranking._section import (
    RANKING_NEEDS_JOB,
    RANKING_NEEDS_ORDER,
    RANKING_OPTIONS,
    RANKING_TYPE,
    check_ranking_roles,
    ranking_options,
    ranking_section,
    section_data,
)
from biasaudit.results._ranking import RankingResult

__all__ = [
    "BAD_OPTION",
    "BAD_RANK_VALUES",
    "BAD_REFERENCE",
    "BAD_TARGET",
    "DUPLICATE_RANK",
    "FAIR_TRUNCATED",
    "KATZ_FALLBACK",
    "NEEDS_ORDER",
    "ONE_CANDIDATE",
    "RANKING_NEEDS_JOB",
    "RANKING_NEEDS_ORDER",
    "RANKING_OPTIONS",
    "RANKING_TYPE",
    "SHORT_LISTS",
    "RankingResult",
    "check_ranking_roles",
    "rank_audit",
    "ranking_options",
    "ranking_section",
    "section_data",
]
