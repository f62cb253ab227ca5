"""biasaudit: audit hiring matchers for algorithmic bias.

Examples
--------
>>> import biasaudit
>>> df = biasaudit.datasets.load_resume_study()
>>> result = biasaudit.audit(df, attributes=["race", "sex"], selected="callback")
>>> len(result.groups)
8
"""

from biasaudit import datasets, decisions, engine, metrics
from biasaudit._errors import (
    BiasAuditError,
    BiasAuditWarning,
    InsufficientDataWarning,
    ValidationError,
)
from biasaudit._version import __version__
from biasaudit.audit import audit
from biasaudit.decisions import GivenSelection, Threshold, TopFraction, TopK
from biasaudit.engine import SufficientStats
from biasaudit.pool import UNKNOWN, CandidatePool
from biasaudit.result import SCHEMA_VERSION, AuditResult

__all__ = [
    "SCHEMA_VERSION",
    "UNKNOWN",
    "AuditResult",
    "BiasAuditError",
    "BiasAuditWarning",
    "CandidatePool",
    "GivenSelection",
    "InsufficientDataWarning",
    "SufficientStats",
    "Threshold",
    "TopFraction",
    "TopK",
    "ValidationError",
    "__version__",
    "audit",
    "datasets",
    "decisions",
    "engine",
    "metrics",
]
