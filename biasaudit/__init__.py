"""biasaudit: audit hiring matchers for algorithmic bias.

The optional subpackages (``counterfactual``, ``gate``, ``matchers``, ``plot``,
``reports``, ``synth``, ``testing``) load on first use.

Examples
--------
>>> import biasaudit
>>> df = biasaudit.datasets.load_resume_study()
>>> result = biasaudit.audit(df, attributes=["race", "sex"], selected="callback")
>>> len(result.groups)
8
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Eager on purpose: importing the submodule biasaudit.audit would otherwise
# shadow the audit() function with the module of the same name; and reports
# registers the renderers behind result.summary(), .plot and .to_html().
from biasaudit import datasets, decisions, engine, metrics, reports
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
from biasaudit.ranking import RankingResult, rank_audit
from biasaudit.results import SCHEMA_VERSION, AuditResult

if TYPE_CHECKING:  # pragma: no cover
    from biasaudit import counterfactual, gate, matchers, plot, synth, testing

#: Optional, heavier subpackages, imported on first use.
_SUBMODULES = (
    "counterfactual",
    "gate",
    "matchers",
    "plot",
    "result",
    "synth",
    "testing",
)

__all__ = [
    "SCHEMA_VERSION",
    "UNKNOWN",
    "AuditResult",
    "BiasAuditError",
    "BiasAuditWarning",
    "CandidatePool",
    "GivenSelection",
    "InsufficientDataWarning",
    "RankingResult",
    "SufficientStats",
    "Threshold",
    "TopFraction",
    "TopK",
    "ValidationError",
    "__version__",
    "audit",
    "counterfactual",
    "datasets",
    "decisions",
    "engine",
    "gate",
    "matchers",
    "metrics",
    "plot",
    "rank_audit",
    "reports",
    "synth",
    "testing",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value = importlib.import_module(f"biasaudit.{name}")
    else:
        raise AttributeError(f"module 'biasaudit' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
