"""The gate's configuration: ``[tool.biasaudit]`` in pyproject.toml, or biasaudit.toml.

Discovery: ``--config FILE``, else ``biasaudit.toml``, else ``pyproject.toml`` in the
current directory. In ``biasaudit.toml`` the keys sit at the top level or under
``[tool.biasaudit]``. Every key is checked: an unknown key is an error naming the key
and the file, so that a typo cannot silently weaken the gate. Relative paths (the
pool, the jobs, the cache, the baseline) are read relative to the configuration
file's directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

from biasaudit._validation import Constraint, Interval
from biasaudit._validation import validate_params as _validate_params
from biasaudit.decisions import RULE_CONSTRAINTS
from biasaudit.gate._policy import PolicyRules
from biasaudit.gate._regression import RegressionSettings
from biasaudit.metrics.significance import ALPHA, CONFIDENCE, CORRECTION

__all__ = [
    "BaselineConfig",
    "DecisionConfig",
    "GateConfig",
    "MatcherConfig",
    "PoolConfig",
]


CONFIG_NAMES = ("biasaudit.toml", "pyproject.toml")

_TOP = (
    "attributes",
    "intersections",
    "reference_group",
    "min_share",
    "correction",
    "alpha",
    "confidence",
    "pool",
    "decision",
    "matcher",
    "policy",
    "baseline",
)
_POOL = ("path", "id", "job", "label", "score", "selected", "jobs", "text_column")
_DECISION = ("threshold", "top_k", "top_fraction", "per_job")
_MATCHER = ("name", "options", "cache")
_POLICY = ("thresholds", "require_significance", "min_group_size", "insufficient_data", "scope")
_BASELINE = ("path", "metrics", "margin", "confidence", "test", "resamples", "seed")


@dataclass(frozen=True)
class PoolConfig:
    """The evaluation pool: file, column roles, job postings, resume text column."""

    path: Path
    id: str | None = None
    job: str | None = None
    label: str | None = None
    score: str | None = None
    selected: str | None = None
    jobs: Path | None = None
    text_column: str | None = None


@_validate_params(RULE_CONSTRAINTS)
@dataclass(frozen=True)
class DecisionConfig:
    """At most one decision rule over the scores."""

    threshold: float | None = None
    top_k: int | None = None
    top_fraction: float | None = None
    per_job: bool = False

    @property
    def given(self) -> bool:
        """Whether a rule is configured."""
        return any(v is not None for v in (self.threshold, self.top_k, self.top_fraction))


@dataclass(frozen=True)
class MatcherConfig:
    """The matcher under test, as ``biasaudit audit --matcher`` takes it."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)
    cache: Path | None = None


@dataclass(frozen=True)
class BaselineConfig:
    """Where the accepted baseline lives and how candidates are compared with it."""

    path: Path
    settings: RegressionSettings


#: The audit settings a configuration holds, as audit() takes them.
AUDIT_SETTINGS: dict[str, list[Constraint]] = {
    "min_share": [Interval(Real, 0, 1, closed="left", fix="Pass e.g. min_share=0.02.")],
    "correction": [CORRECTION],
    "alpha": [ALPHA],
    "confidence": [CONFIDENCE],
}


@_validate_params(AUDIT_SETTINGS)
@dataclass(frozen=True)
class GateConfig:
    """A validated gate configuration (see :func:`load_config`)."""

    path: Path
    prefix: str
    attributes: tuple[str, ...]
    pool: PoolConfig
    policy: PolicyRules
    decision: DecisionConfig = DecisionConfig()
    matcher: MatcherConfig | None = None
    baseline: BaselineConfig | None = None
    intersections: tuple[tuple[str, ...], ...] = ()
    reference_group: dict[str, str] = field(default_factory=dict)
    min_share: float = 0.02
    correction: str = "holm"
    alpha: float = 0.05
    confidence: float = 0.95

    @property
    def directory(self) -> Path:
        """The configuration file's directory (relative paths start here)."""
        return self.path.parent

    def audit_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`biasaudit.gate.audit_with_records` (data excluded)."""
        pool, decision = self.pool, self.decision
        options: dict[str, Any] = {
            "attributes": list(self.attributes),
            "intersections": [list(x) for x in self.intersections] or None,
            "reference_group": dict(self.reference_group) or None,
            "min_share": self.min_share,
            "correction": self.correction,
            "alpha": self.alpha,
            "confidence": self.confidence,
            "id": pool.id,
            "job": pool.job,
            "label": pool.label,
            "score": pool.score,
            "selected": pool.selected,
            "threshold": decision.threshold,
            "top_k": decision.top_k,
            "top_fraction": decision.top_fraction,
            "per_job": decision.per_job,
        }
        if self.matcher is not None:
            options.update(
                matcher=self.matcher.name,
                matcher_options=dict(self.matcher.options) or None,
                jobs=str(pool.jobs) if pool.jobs is not None else None,
                text_column=pool.text_column,
                cache=str(self.matcher.cache) if self.matcher.cache is not None else None,
            )
        return options
