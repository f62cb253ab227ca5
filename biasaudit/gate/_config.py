"""The gate's configuration: ``[tool.biasaudit]`` in pyproject.toml, or biasaudit.toml.

Discovery: ``--config FILE``, else ``biasaudit.toml``, else ``pyproject.toml`` in the
current directory. In ``biasaudit.toml`` the keys sit at the top level or under
``[tool.biasaudit]``. Every key is checked: an unknown key is an error naming the key
and the file, so that a typo cannot silently weaken the gate. Relative paths (the
pool, the jobs, the cache, the baseline) are read relative to the configuration
file's directory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

from biasaudit import _errors as E
from biasaudit._io import toml_module
from biasaudit._validation import Constraint, Interval, describe, instance_of
from biasaudit._validation import validate_params as _validate_params
from biasaudit.decisions import RULE_CONSTRAINTS
from biasaudit.gate import _messages as M
from biasaudit.gate._metrics import GATE_METRICS, Bound
from biasaudit.gate._policy import POLICY_CONSTRAINTS, PolicyRules
from biasaudit.gate._regression import REGRESSION_CONSTRAINTS, RegressionSettings
from biasaudit.metrics.significance import ALPHA, CONFIDENCE, CORRECTION

__all__ = [
    "BaselineConfig",
    "DecisionConfig",
    "GateConfig",
    "MatcherConfig",
    "PoolConfig",
    "find_config",
    "load_config",
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


def _document(path: Path) -> tuple[Any, str]:
    """The gate's table in the file and its dotted prefix."""
    if not path.is_file():
        raise E.ValidationError(M.CONFIG_MISSING_FILE.format(path=str(path)))
    try:
        document = toml_module().loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise E.ValidationError(M.CONFIG_BAD_TOML.format(path=str(path), error=error)) from exc
    tool = document.get("tool")
    nested = isinstance(tool, Mapping) and "biasaudit" in tool
    if path.name == "pyproject.toml" or (path.name != "biasaudit.toml" and nested):
        if not nested:
            raise E.ValidationError(M.CONFIG_NO_TABLE.format(path=str(path)))
        return tool["biasaudit"], "tool.biasaudit"
    if nested:
        _Reader(path).table(document, "", ("tool",))
        _Reader(path).table(tool, "tool", ("biasaudit",))
        return tool["biasaudit"], "tool.biasaudit"
    return document, ""


def find_config(directory: str | Path | None = None) -> Path:
    """``biasaudit.toml``, else a ``pyproject.toml`` with ``[tool.biasaudit]``, in ``directory``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "pyproject.toml").write_text("[tool.biasaudit]\\n")
    >>> find_config(folder).name
    'pyproject.toml'
    """
    folder = Path(directory) if directory is not None else Path()
    if (folder / "biasaudit.toml").is_file():
        return folder / "biasaudit.toml"
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            document = toml_module().loads(pyproject.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            return pyproject  # load_config reports the syntax error with the file name
        if isinstance(document.get("tool"), Mapping) and "biasaudit" in document["tool"]:
            return pyproject
    raise E.ValidationError(M.CONFIG_NOT_FOUND.format(directory=str(folder.resolve())))


def load_config(
    path: str | Path | None = None, *, directory: str | Path | None = None
) -> GateConfig:
    """Read and validate the gate configuration.

    Parameters
    ----------
    path : str or Path, optional
        The file (``--config``); default: :func:`find_config` in ``directory``.
    directory : str or Path, optional
        Where to look when no path is given (default: the current directory).

    Returns
    -------
    GateConfig

    Raises
    ------
    biasaudit.ValidationError
        For a missing file, invalid TOML, an unknown key, a missing key or a bad
        value; the message names the key and the file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "biasaudit.toml").write_text(
    ...     'attributes = ["sex"]\\n[pool]\\npath = "pool.csv"\\nselected = "hired"\\n'
    ...     '[policy]\\nthresholds = { impact_ratio = 0.8 }\\n')
    >>> config = load_config(directory=folder)
    >>> config.policy.bounds[0].describe(), config.pool.path.name
    ('impact_ratio >= 0.8', 'pool.csv')
    """
    file = Path(path) if path is not None else find_config(directory)
    data, prefix = _document(file)
    r = _Reader(file)
    top = r.table(data, prefix, _TOP)
    if "pool" not in top:
        raise r.missing(
            prefix, "pool", f'Add [{r.key(prefix, "pool")}] with path = "eval/pool.csv".'
        )
    cfg: dict[str, Any] = {
        **_top(r, top, prefix),
        "pool": _pool(r, top["pool"], r.key(prefix, "pool")),
        "decision": _decision(r, top.get("decision", {}), r.key(prefix, "decision")),
        "matcher": _matcher(r, top["matcher"], r.key(prefix, "matcher"))
        if "matcher" in top
        else None,
        "policy": _policy(r, top.get("policy", {}), r.key(prefix, "policy")),
        "baseline": _baseline(r, top["baseline"], r.key(prefix, "baseline"))
        if "baseline" in top
        else None,
    }
    _check_roles(r, cfg, prefix)
    if not cfg["policy"].bounds and cfg["baseline"] is None:
        raise r.missing(
            r.key(prefix, "policy"),
            "thresholds",
            "The gate would check nothing: add thresholds (e.g. { impact_ratio = 0.8 }) "
            "or a [baseline] to compare with.",
        )
    return GateConfig(path=file, prefix=prefix, **cfg)
