"""Reading a gate configuration's tables: every key checked, the file and key in each message."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any

from biasaudit import _errors as E
from biasaudit._validation import Constraint, Interval, describe, instance_of
from biasaudit.decisions import RULE_CONSTRAINTS
from biasaudit.gate import _messages as M
from biasaudit.gate._config import (
    _BASELINE,
    _DECISION,
    _MATCHER,
    _POLICY,
    _POOL,
    AUDIT_SETTINGS,
    BaselineConfig,
    DecisionConfig,
    MatcherConfig,
    PoolConfig,
)
from biasaudit.gate._metrics import GATE_METRICS, Bound
from biasaudit.gate._policy import POLICY_CONSTRAINTS, PolicyRules
from biasaudit.gate._regression import REGRESSION_CONSTRAINTS, RegressionSettings

__all__: list[str] = []  # private readers, used by _config_load


# -- reading ------------------------------------------------------------------------------------


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0 and all(_is_text(v) for v in value)


class _Shape(Constraint):
    """A value's structure in a configuration file (a list of names, a table, ...)."""

    __slots__ = ("ok", "words")

    def __init__(self, ok: Callable[[Any], bool], words: str) -> None:
        super().__init__()
        self.ok, self.words = ok, words

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has the shape."""
        return bool(self.ok(value))

    def describe(self) -> str:
        """The shape in words."""
        return self.words


_NUMBER = Interval(Real, None, None)
_BOOLEAN = [instance_of(bool, description="true or false")]
_TEXT_LIST = _Shape(_is_text_list, "a list of column names")
_TABLE = _Shape(lambda v: isinstance(v, Mapping), "a table")


@dataclass(frozen=True)
class _Reader:
    """Typed access to one file's tables, with messages naming the key and the file."""

    path: Path

    def key(self, where: str, key: str) -> str:
        return f"{where}.{key}" if where else key

    def table(self, data: Any, where: str, allowed: Sequence[str]) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise E.ValidationError(
                M.CONFIG_BAD_VALUE.format(
                    key=where,
                    path=str(self.path),
                    expected="a table",
                    value=data,
                    fix=f"Write it as [{where}] with keys {list(allowed)}.",
                )
            )
        for key in data:
            if key not in allowed:
                raise E.ValidationError(
                    M.CONFIG_UNKNOWN_KEY.format(
                        key=self.key(where, key), path=str(self.path), allowed=list(allowed)
                    )
                )
        return dict(data)

    def value(
        self,
        data: Mapping[str, Any],
        where: str,
        key: str,
        constraints: Sequence[Constraint],
        fix: str,
        default: Any = None,
    ) -> Any:
        """The key's value (``default`` when absent), refused unless a constraint accepts it."""
        if key not in data:
            return default
        value = data[key]
        if not any(c.accepts(value) for c in constraints):
            raise E.ValidationError(
                M.CONFIG_BAD_VALUE.format(
                    key=self.key(where, key),
                    path=str(self.path),
                    expected=describe(constraints),
                    value=value,
                    fix=fix,
                )
            )
        return value

    def text(self, data: Mapping[str, Any], where: str, key: str) -> str | None:
        shape = [_Shape(_is_text, "a non-empty string")]
        return self.value(data, where, key, shape, f'Write e.g. {key} = "column".')

    def file(self, data: Mapping[str, Any], where: str, key: str) -> Path | None:
        shape = [_Shape(_is_text, "a path (a string)")]
        value = self.value(data, where, key, shape, f'Write e.g. {key} = "eval/file".')
        return None if value is None else (self.path.parent / value)

    def missing(self, where: str, key: str, fix: str) -> E.ValidationError:
        return E.ValidationError(
            M.CONFIG_MISSING_KEY.format(key=self.key(where, key), path=str(self.path), fix=fix)
        )

    def conflict(self, where: str, keys: Sequence[str], fix: str) -> E.ValidationError:
        names = [self.key(where, k) for k in keys]
        return E.ValidationError(M.CONFIG_CONFLICT.format(keys=names, path=str(self.path), fix=fix))


def _top(r: _Reader, data: Mapping[str, Any], where: str) -> dict[str, Any]:
    attributes = r.value(
        data, where, "attributes", [_TEXT_LIST], 'Write e.g. attributes = ["sex", "race"].'
    )
    if attributes is None:
        raise r.missing(where, "attributes", 'Name the protected attributes: attributes = ["sex"].')
    intersections = r.value(
        data,
        where,
        "intersections",
        [
            _Shape(
                lambda v: isinstance(v, list) and all(_is_text_list(x) for x in v),
                "a list of lists of column names",
            )
        ],
        'Write e.g. intersections = [["sex", "age_band"]].',
        [],
    )
    reference = r.value(
        data,
        where,
        "reference_group",
        [
            _Shape(
                lambda v: isinstance(v, Mapping) and all(_is_text(x) for x in v.values()),
                "a table of attribute = group",
            )
        ],
        'Write e.g. reference_group = { race = "White" }.',
        {},
    )
    settings = {
        name: r.value(data, where, name, AUDIT_SETTINGS[name], f"Write e.g. {name} = {example}.")
        for name, example in (
            ("min_share", "0.02"),
            ("correction", '"holm"'),
            ("alpha", "0.05"),
            ("confidence", "0.95"),
        )
        if name in data
    }
    return {
        "attributes": tuple(attributes),
        "intersections": tuple(tuple(x) for x in intersections),
        "reference_group": dict(reference),
        **{k: v if k == "correction" else float(v) for k, v in settings.items()},
    }


def _pool(r: _Reader, data: Any, where: str) -> PoolConfig:
    table = r.table(data, where, _POOL)
    path = r.file(table, where, "path")
    if path is None:
        raise r.missing(where, "path", 'Point it at the evaluation pool: path = "eval/pool.csv".')
    roles = {k: r.text(table, where, k) for k in ("id", "job", "label", "score", "selected")}
    return PoolConfig(
        path=path,
        jobs=r.file(table, where, "jobs"),
        text_column=r.text(table, where, "text_column"),
        **roles,
    )


def _decision(r: _Reader, data: Any, where: str) -> DecisionConfig:
    table = r.table(data, where, _DECISION)
    given = [k for k in ("threshold", "top_k", "top_fraction") if k in table]
    if len(given) > 1:
        raise r.conflict(where, given, "Keep exactly one decision rule.")
    rule = {
        name: r.value(table, where, name, [c for c in RULE_CONSTRAINTS[name] if c is not None], fix)
        for name, fix in (
            ("threshold", "Write e.g. threshold = 0.5."),
            ("top_k", "Write e.g. top_k = 10."),
            ("top_fraction", "Write e.g. top_fraction = 0.2."),
        )
    }
    per_job = r.value(table, where, "per_job", _BOOLEAN, "Write per_job = true.", False)
    if per_job and rule["top_fraction"] is None:
        raise r.conflict(
            where,
            ["per_job", *given] if given else ["per_job"],
            "per_job applies only to top_fraction (top_k is always per job): remove it.",
        )
    return DecisionConfig(
        threshold=None if rule["threshold"] is None else float(rule["threshold"]),
        top_k=rule["top_k"],
        top_fraction=None if rule["top_fraction"] is None else float(rule["top_fraction"]),
        per_job=per_job,
    )


def _matcher(r: _Reader, data: Any, where: str) -> MatcherConfig:
    table = r.table(data, where, _MATCHER)
    name = r.text(table, where, "name")
    if name is None:
        raise r.missing(
            where, "name", 'Name the matcher, e.g. name = "tfidf" (see: biasaudit matchers).'
        )
    options = r.value(
        table,
        where,
        "options",
        [instance_of(Mapping, description="a table of options")],
        'Write e.g. options = { func = "my_module:score" }.',
        {},
    )
    return MatcherConfig(name=name, options=dict(options), cache=r.file(table, where, "cache"))


def _bound(r: _Reader, where: str, metric: str, value: Any) -> Bound:
    key = r.key(where, metric)
    if metric not in GATE_METRICS:
        raise E.ValidationError(
            M.CONFIG_UNKNOWN_METRIC.format(
                key=key, path=str(r.path), metric=metric, known=sorted(GATE_METRICS)
            )
        )
    if _NUMBER.accepts(value):
        return Bound.from_threshold(metric, float(value))
    expected = "a number, or a table with min and/or max"
    fix = f"Write e.g. {metric} = 0.8, or {metric} = {{ min = 0.8 }}."
    if isinstance(value, Mapping):
        table = r.table(value, key, ("min", "max"))
        low = r.value(table, key, "min", [_NUMBER], fix)
        high = r.value(table, key, "max", [_NUMBER], fix)
        if low is not None and high is not None and low > high:
            raise E.ValidationError(
                M.CONFIG_BAD_VALUE.format(
                    key=key, path=str(r.path), expected="min <= max", value=value, fix=fix
                )
            )
        if low is not None or high is not None:
            return Bound(metric, low, high)
    raise E.ValidationError(
        M.CONFIG_BAD_VALUE.format(
            key=key, path=str(r.path), expected=expected, value=value, fix=fix
        )
    )


def _scope(r: _Reader, table: Mapping[str, Any], where: str) -> dict[str, Any] | None:
    scope = r.value(
        table,
        where,
        "scope",
        [
            _Shape(
                lambda v: (
                    isinstance(v, Mapping) and all(x == "*" or _is_text_list(x) for x in v.values())
                ),
                'a table of combination = "*" or a list of groups',
            )
        ],
        'Write e.g. scope = { race = ["Black or African American"], sex = "*" }.',
    )
    return None if scope is None else {k: (None if v == "*" else list(v)) for k, v in scope.items()}


def _policy(r: _Reader, data: Any, where: str) -> PolicyRules:
    table = r.table(data, where, _POLICY)
    thresholds = r.value(
        table,
        where,
        "thresholds",
        [instance_of(Mapping, description="a table of metric = threshold")],
        "Write e.g. thresholds = { impact_ratio = 0.8 }.",
        {},
    )
    inner = r.key(where, "thresholds")
    bounds = tuple(_bound(r, inner, metric, value) for metric, value in thresholds.items())
    return PolicyRules(
        bounds=bounds,
        require_significance=r.value(
            table,
            where,
            "require_significance",
            _BOOLEAN,
            "Write require_significance = true.",
            False,
        ),
        min_group_size=r.value(
            table,
            where,
            "min_group_size",
            POLICY_CONSTRAINTS["min_group_size"],
            "Write e.g. min_group_size = 30.",
            30,
        ),
        insufficient_data=r.value(
            table,
            where,
            "insufficient_data",
            POLICY_CONSTRAINTS["insufficient_data"],
            'Write insufficient_data = "fail" (or "pass").',
            "fail",
        ),
        scope=_scope(r, table, where),
    )


def _margin(r: _Reader, table: Mapping[str, Any], where: str) -> Any:
    value = r.value(
        table,
        where,
        "margin",
        REGRESSION_CONSTRAINTS["margin"],
        "Write e.g. margin = 0.05, or margin = { impact_ratio = 0.05 }.",
        0.05,
    )
    if isinstance(value, Mapping):
        for metric in value:
            if metric not in GATE_METRICS:
                raise E.ValidationError(
                    M.CONFIG_UNKNOWN_METRIC.format(
                        key=r.key(r.key(where, "margin"), metric),
                        path=str(r.path),
                        metric=metric,
                        known=sorted(GATE_METRICS),
                    )
                )
        return {k: float(v) for k, v in value.items()}
    return float(value)


def _baseline(r: _Reader, data: Any, where: str) -> BaselineConfig:
    table = r.table(data, where, _BASELINE)
    path = r.file(table, where, "path")
    if path is None:
        raise r.missing(
            where, "path", 'Say where the baseline lives: path = ".biasaudit/baseline.json".'
        )
    metrics = r.value(
        table,
        where,
        "metrics",
        [_Shape(_is_text_list, "a list of metric names")],
        'Write e.g. metrics = ["impact_ratio"].',
        [],
    )
    for i, metric in enumerate(metrics):
        if metric not in GATE_METRICS:
            raise E.ValidationError(
                M.CONFIG_UNKNOWN_METRIC.format(
                    key=f"{r.key(where, 'metrics')}[{i}]",
                    path=str(r.path),
                    metric=metric,
                    known=sorted(GATE_METRICS),
                )
            )
    fixes = {
        "confidence": "Write e.g. confidence = 0.95.",
        "test": 'Write test = "inferiority" (or "non-inferiority").',
        "resamples": "Write e.g. resamples = 2000.",
        "seed": "Write e.g. seed = 0.",
    }
    given = {
        name: r.value(table, where, name, REGRESSION_CONSTRAINTS[name], fix)
        for name, fix in fixes.items()
        if name in table
    }
    settings = RegressionSettings(metrics=tuple(metrics), margin=_margin(r, table, where), **given)
    return BaselineConfig(path=path, settings=settings)


def _check_roles(r: _Reader, cfg: dict[str, Any], where: str) -> None:
    """Combinations that would make the gate test something else than intended."""
    pool, decision, matcher = cfg["pool"], cfg["decision"], cfg["matcher"]
    pool_where = r.key(where, "pool")
    if matcher is not None and pool.selected is not None:
        raise r.conflict(
            where,
            ["matcher", "pool.selected"],
            "With a matcher the decision comes from its scores: remove pool.selected "
            "(or remove the matcher to gate a given decision column).",
        )
    if matcher is not None and pool.score is not None:
        raise r.conflict(
            where,
            ["matcher", "pool.score"],
            "With a matcher the scores are computed: remove pool.score.",
        )
    if matcher is None:
        unused = [k for k in ("jobs", "text_column") if getattr(pool, k) is not None]
        if unused:
            raise r.conflict(
                pool_where,
                unused,
                f"{unused} are read only by a matcher: add [{r.key(where, 'matcher')}].",
            )
    if decision.given and pool.selected is not None:
        raise r.conflict(
            where,
            ["decision", "pool.selected"],
            "Use either a decision rule over scores or the given selected column.",
        )
    if decision.given and matcher is None and pool.score is None:
        raise r.missing(
            pool_where,
            "score",
            "The decision rule needs scores: name the score column, or add a matcher.",
        )
    if not decision.given and pool.selected is None and pool.score is None and matcher is None:
        raise r.missing(
            where,
            "decision",
            "Nothing to audit: add a matcher or pool.score with a decision rule, or pool.selected.",
        )
