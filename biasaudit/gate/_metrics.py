"""Which group-table columns a policy can gate, and what each one is computed from.

A gateable metric is a ``*_ratio`` (1.0 is parity) or ``*_difference`` (0.0 is parity)
column of :attr:`AuditResult.groups`, built from one rate of
:data:`biasaudit.metrics._registry.METRICS` against the table's comparison group.
The base rate is left out: it describes the data, not the matcher's decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

from biasaudit import _errors as E
from biasaudit._validation import Interval, validate_params
from biasaudit.gate import _messages as M
from biasaudit.metrics._registry import METRICS, RateMetric
from biasaudit.metrics._table import column_names

__all__ = ["GATE_METRICS", "Bound", "GateMetric", "gate_metric"]


@dataclass(frozen=True)
class GateMetric:
    """One gateable column: its rate metric and whether it is a ratio or a difference."""

    column: str
    rate: RateMetric
    kind: str  # "ratio" or "difference"

    @property
    def parity(self) -> float:
        """The value at parity: 1.0 for a ratio, 0.0 for a difference."""
        return 1.0 if self.kind == "ratio" else 0.0

    @property
    def names(self) -> dict[str, str]:
        """Column names of the rate's value, interval, ratio, difference and tests."""
        return column_names(self.rate)

    def need(self) -> tuple[str, str]:
        """What the audit must have for this metric, and how to give it."""
        if self.rate.requires == "label":
            return "a ground-truth label column", (
                'Give the audit a label (label = "COLUMN" under [tool.biasaudit.pool]; label= in '
                f"biasaudit.audit), or remove {self.column!r} from the policy."
            )
        if self.rate.requires == "score":
            return "a score column", (
                'Give the audit a score (a matcher, or score = "COLUMN" under '
                f"[tool.biasaudit.pool]), or remove {self.column!r} from the policy."
            )
        return "a decision (a selected column or a decision rule)", (
            "Add a decision rule ([tool.biasaudit.decision] threshold, top_k or top_fraction) "
            f"or a selected column, or remove {self.column!r} from the policy."
        )


def _catalogue() -> dict[str, GateMetric]:
    out = {}
    for rate in METRICS.values():
        if rate.name == "base_rate":
            continue
        names = column_names(rate)
        for kind in ("ratio", "difference"):
            out[names[kind]] = GateMetric(names[kind], rate, kind)
    return out


#: Gateable columns by name, e.g. ``impact_ratio``, ``equal_opportunity_difference``.
GATE_METRICS: dict[str, GateMetric] = _catalogue()


def gate_metric(name: str) -> GateMetric:
    """The gateable metric called ``name``, or a clear error.

    Examples
    --------
    >>> gate_metric("equal_opportunity_difference").rate.name
    'true_positive_rate'
    """
    if name not in GATE_METRICS:
        raise E.ValidationError(M.UNKNOWN_METRIC.format(metric=name, known=sorted(GATE_METRICS)))
    return GATE_METRICS[name]


@validate_params(
    {
        "minimum": [None, Interval(Real, None, None, fix="Pass e.g. minimum=0.8.")],
        "maximum": [None, Interval(Real, None, None, fix="Pass e.g. maximum=1.25.")],
    }
)
@dataclass(frozen=True)
class Bound:
    """A policy threshold on one metric: ``minimum <= value <= maximum`` for every group.

    Use :meth:`from_threshold` for the shorthand: a ratio threshold ``t`` means
    ``value >= t`` (e.g. impact ratio at least 0.8); a difference threshold ``t``
    means ``|value| <= t`` (e.g. a true-positive-rate gap of at most 0.05).

    Examples
    --------
    >>> Bound.from_threshold("impact_ratio", 0.8).describe()
    'impact_ratio >= 0.8'
    >>> Bound.from_threshold("equal_opportunity_difference", 0.05).describe()
    '|equal_opportunity_difference| <= 0.05'
    >>> Bound("fnr_ratio", maximum=1.25).violated(1.3)
    True
    """

    metric: str
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        gate_metric(self.metric)
        for name in ("minimum", "maximum"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))
        if self.minimum is None and self.maximum is None:
            raise E.ValidationError(
                E.BAD_RULE_VALUE.format(
                    name=f"the bound of {self.metric!r}",
                    expected="a minimum, a maximum or both",
                    value=None,
                    fix="Pass e.g. minimum=0.8.",
                )
            )
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise E.ValidationError(
                E.BAD_RULE_VALUE.format(
                    name=f"the bound of {self.metric!r}",
                    expected="a minimum not above the maximum",
                    value=(self.minimum, self.maximum),
                    fix="Swap the two values.",
                )
            )

    @classmethod
    @validate_params({"threshold": [Interval(Real, None, None, fix="Pass e.g. threshold=0.8.")]})
    def from_threshold(cls, metric: str, threshold: float) -> Bound:
        """The shorthand: ratios at least ``threshold``, differences within ``±threshold``."""
        value = float(threshold)
        if gate_metric(metric).kind == "ratio":
            return cls(metric, minimum=value)
        return cls(metric, minimum=-abs(value), maximum=abs(value))

    @property
    def gate(self) -> GateMetric:
        """The metric this bound applies to."""
        return GATE_METRICS[self.metric]

    @property
    def direction(self) -> str:
        """Which way is worse: ``"down"`` (only a minimum), ``"up"`` or ``"away"`` from parity."""
        if self.maximum is None:
            return "down"
        if self.minimum is None:
            return "up"
        return "away"

    @property
    def threshold(self) -> float:
        """The number a report shows: the minimum, or the maximum when there is one."""
        return self.maximum if self.maximum is not None else self.minimum  # type: ignore[return-value]

    def violated(self, value: float) -> bool:
        """Whether ``value`` lies outside the bound."""
        low = self.minimum is not None and value < self.minimum
        return bool(low or (self.maximum is not None and value > self.maximum))

    def describe(self) -> str:
        """The bound as text, e.g. ``impact_ratio >= 0.8``."""
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            if lo == -hi:
                return f"|{self.metric}| <= {hi:g}"
            return f"{lo:g} <= {self.metric} <= {hi:g}"
        if lo is not None:
            return f"{self.metric} >= {lo:g}"
        return f"{self.metric} <= {hi:g}"

    def limit_text(self, value: float) -> str:
        """Which side of the bound ``value`` falls on, in words."""
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None and lo == -hi:
            return f"is outside ±{hi:g}"
        if lo is not None and value < lo:
            return f"is below the minimum {self.minimum:g}"
        return f"is above the maximum {self.maximum:g}"


def default_direction(metric: str) -> str:
    """Which way a metric gets worse when no bound says: ratios down, differences away.

    Examples
    --------
    >>> default_direction("impact_ratio"), default_direction("selection_difference")
    ('down', 'away')
    """
    return "down" if gate_metric(metric).kind == "ratio" else "away"
