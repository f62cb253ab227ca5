"""Running the gate: audit the pool (with the matcher), check the policy, compare."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._io import check_input_file, file_sha256, read_table, write_text_atomic
from biasaudit._validation import check_param, instance_of, validate_params
from biasaudit._version import __version__
from biasaudit.audit import AUDIT_CONSTRAINTS, audit
from biasaudit.decisions import RULE_CONSTRAINTS, above_median, make_rule
from biasaudit.gate import _messages as M
from biasaudit.gate._config import CONFIG_NAMES, GateConfig
from biasaudit.gate._outputs import junit_xml, summary_markdown
from biasaudit.gate._policy import FAIL, INSUFFICIENT, Check, evaluate_policy
from biasaudit.gate._records import Records, pool_identity
from biasaudit.gate._regression import Comparison, RegressionSettings, compare_results
from biasaudit.matchers._audit import score_for_audit
from biasaudit.matchers._engine import to_pandas
from biasaudit.pool import CandidatePool
from biasaudit.results import SCHEMA_VERSION, AuditResult, load_result

__all__ = [
    "GateOutcome",
    "audit_with_records",
    "load_baseline",
    "run_audit",
    "run_gate",
    "update_baseline",
    "update_command",
    "with_gate_section",
]


def with_gate_section(result: AuditResult, update: Mapping[str, Any]) -> AuditResult:
    """A copy of ``result`` whose ``sections["gate"]`` also holds ``update``."""
    gate = {**(result.sections.get("gate") or {}), **dict(update)}
    return dataclasses.replace(result, sections={**result.sections, "gate": gate})


def _read(data: Any) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    if isinstance(data, (str, Path)):
        path = check_input_file(data)
        return read_table(path), {"path": shown_path(path), "sha256": file_sha256(path)}

    return to_pandas(data), None


def _selection(pool: Any, rule: Mapping[str, Any]) -> np.ndarray | None:

    given = any(rule[k] is not None for k in ("threshold", "top_k", "top_fraction"))
    if not given and pool.selected is None:
        return None
    return make_rule(selected=pool.selected, **rule).apply(pool)[0]


_PROGRESS = [None, instance_of(bool)]


@validate_params({**RULE_CONSTRAINTS, "progress": _PROGRESS})
def audit_with_records(
    data: Any,
    *,
    attributes: Sequence[str] | str,
    selected: str | None = None,
    score: str | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    top_fraction: float | None = None,
    per_job: bool = False,
    job: str | None = None,
    label: str | None = None,
    id: str | None = None,
    matcher: Any = None,
    jobs: Any = None,
    text_column: str | None = None,
    matcher_options: Mapping[str, Any] | None = None,
    cache: Any = None,
    progress: bool | None = None,
    metadata: Mapping[str, Any] | None = None,
    **options: Any,
) -> AuditResult:
    """:func:`biasaudit.audit`, plus the per-candidate records a paired comparison needs.

    Takes the arguments of :func:`biasaudit.audit` (``data`` a DataFrame or a CSV /
    Parquet path; ``rank`` is not supported) and returns the same result, with
    ``sections["gate"]["records"]``: each audited row's attribute cell, label and
    decisions, and the SHA-256 of the pool's content apart from the ``score`` and
    ``selected`` columns. Two such results of the same pool can be compared candidate
    by candidate (:func:`biasaudit.testing.assert_no_regression`, ``biasaudit gate``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"cid": range(6), "sex": ["F", "M"] * 3,
    ...                    "s": [0.9, 0.8, 0.2, 0.7, 0.4, 0.1]})
    >>> r = audit_with_records(df, attributes=["sex"], score="s", threshold=0.5, id="cid")
    >>> r.sections["gate"]["records"]["count"]
    6
    """
    if options.get("rank") is not None:
        raise E.ValidationError(M.RANK_UNSUPPORTED.format(rank=options["rank"]))
    for name, value in options.items():  # audit()'s own options, checked before any scoring
        if name in AUDIT_CONSTRAINTS:
            check_param(name, value, AUDIT_CONSTRAINTS[name])
    frame, source = _read(data)
    attrs = [attributes] if isinstance(attributes, str) else list(attributes)
    scored = any(v is not None for v in (matcher, jobs, text_column, matcher_options))
    if scored:  # the matcher reads every column but the outcome: all of them define the pool
        columns = [c for c in frame.columns if c != selected]
        what = "every column except selected (what the matcher reads, and the roles)"
    else:  # the scores are given: the candidates are their ids, groups, jobs and labels
        columns = [c for c in (id, *attrs, job, label) if c is not None and c in frame.columns]
        what = "the id, attribute, job and label columns"
    identity = pool_identity(frame, id=id, columns=columns)
    meta = {**dict(metadata or {}), **({"evaluation_pool": source} if source else {})}
    n_input, crossed = len(frame), False
    if scored:
        frame, score, job, meta = score_for_audit(
            frame,
            matcher=matcher,
            jobs=jobs,
            text_column=text_column,
            matcher_options=matcher_options,
            attributes=attributes,
            score=score,
            job=job,
            label=label,
            selected=selected,
            cache=cache,
            progress=progress,
            metadata=meta,
        )
        crossed = bool(meta["matcher"]["every_candidate_for_every_job"])
    roles = dict(attributes=attributes, job=job, label=label, score=score, selected=selected, id=id)
    rule = dict(threshold=threshold, top_k=top_k, top_fraction=top_fraction, per_job=per_job)
    facts = (n_input, crossed, identity, what)
    return _audit_frame(frame, facts, {**roles, **rule}, options, meta)


def _audit_frame(
    frame: pd.DataFrame,
    facts: tuple[int, bool, str, str],
    args: Mapping[str, Any],
    options: Mapping[str, Any],
    meta: Mapping[str, Any],
) -> AuditResult:

    n_input, crossed, identity, what = facts
    id_column = args["id"]
    pool = CandidatePool(
        frame,
        attributes=args["attributes"],
        job=args["job"],
        label=args["label"],
        score=args["score"],
        selected=args["selected"],
        id=None if crossed else id_column,
    )
    rule = {k: args[k] for k in ("threshold", "top_k", "top_fraction", "per_job")}
    result = audit(pool, **rule, **options, metadata=dict(meta))
    score = pool.arrays.get("score")
    ids = (
        frame[id_column].to_numpy()
        if id_column is not None
        else np.tile(np.arange(n_input), len(frame) // max(n_input, 1))
    )
    records = Records.build(
        pool,
        selected=_selection(pool, rule),
        above_median=above_median(score)[0] if score is not None else None,
        ids=ids,
        pool_sha256=identity,
        id_column=id_column,
        pool_sha256_of=what,
    )
    return with_gate_section(result, {"records": records.to_json()})


@contextlib.contextmanager
def _importable(directory: Path) -> Iterator[None]:
    """Let a callable matcher ``"module:function"`` live next to the configuration file."""
    entry = str(directory.resolve())
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)


@validate_params({"config": [instance_of(GateConfig)], "progress": _PROGRESS})
def run_audit(config: GateConfig, *, progress: bool | None = None) -> AuditResult:
    """Audit the configured evaluation pool (scored by the configured matcher, if any)."""
    config_file = {"path": shown_path(config.path), "sha256": file_sha256(config.path)}
    metadata = {"gate_config": config_file}
    with _importable(config.directory):
        return audit_with_records(
            config.pool.path, **config.audit_options(), progress=progress, metadata=metadata
        )


def update_command(config: GateConfig | None) -> str:
    """The command that re-creates the baseline for this configuration."""
    command = "biasaudit baseline update"
    if config is None:
        return command
    default = (
        config.path.name in CONFIG_NAMES and config.path.parent.resolve() == Path.cwd().resolve()
    )
    return command if default else f"{command} --config {shown_path(config.path)}"


def load_baseline(path: str | Path, *, command: str = "biasaudit baseline update") -> AuditResult:
    """The baseline result at ``path``, refusing another schema version with an explanation."""

    path = Path(path)
    if not path.is_file():
        raise E.ValidationError(M.MISSING_BASELINE.format(path=shown_path(path), command=command))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        problem = f"not JSON: {str(exc).splitlines()[0]}"
        raise E.ValidationError(
            M.NOT_A_BASELINE.format(path=shown_path(path), problem=problem, command=command)
        ) from exc
    if not isinstance(data, dict) or "schema_version" not in data:
        raise E.ValidationError(
            M.NOT_A_BASELINE.format(
                path=shown_path(path), problem="no schema_version", command=command
            )
        )
    if data["schema_version"] != SCHEMA_VERSION:
        raise E.ValidationError(
            M.BASELINE_SCHEMA.format(
                path=shown_path(path),
                found=data["schema_version"],
                version=__version__,
                expected=SCHEMA_VERSION,
                command=command,
            )
        )
    try:
        return AuditResult.from_json(path)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise E.ValidationError(
            M.NOT_A_BASELINE.format(path=shown_path(path), problem=problem, command=command)
        ) from exc


def shown_path(path: str | Path) -> str:
    """A path as the user would type it: relative to the current directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


@dataclass(frozen=True)
class GateOutcome:
    """The gate's verdict: policy checks, baseline comparison and the candidate audit."""

    result: AuditResult
    policy: tuple[Check, ...]
    comparison: Comparison | None = None
    baseline: AuditResult | None = None
    config_path: str | None = None
    baseline_path: str | None = None
    insufficient_data: str = "fail"

    @property
    def checks(self) -> tuple[Check, ...]:
        """Every check: policy first, then regressions."""
        return self.policy + (self.comparison.checks if self.comparison else ())

    @property
    def passed(self) -> bool:
        """Whether every check passes (insufficient data as the policy says)."""
        return all(c.passed for c in self.checks)

    @property
    def violations(self) -> list[Check]:
        """Policy checks that fail on the numbers."""
        return [c for c in self.policy if c.status == FAIL]

    @property
    def regressions(self) -> list[Check]:
        """Groups measurably worse than in the baseline."""
        return [c for c in (self.comparison.checks if self.comparison else ()) if c.status == FAIL]

    @property
    def insufficient(self) -> list[Check]:
        """Checks that could not be judged for lack of data."""
        return [c for c in self.checks if c.status == INSUFFICIENT]

    def verdict(self) -> str:
        """One line, e.g. ``biasaudit gate: FAIL (2 policy violations, 1 regression, ...)``."""
        counted = "failures" if self.insufficient_data == "fail" else "passes"
        few = len(self.insufficient)
        counts = (
            f"{_plural(len(self.violations), 'policy violation')}, "
            f"{_plural(len(self.regressions), 'regression')}, "
            f"{few} with insufficient data" + (f" (counted as {counted})" if few else "") + "; "
            f"{_plural(len(self.checks), 'check')}"
        )
        if self.comparison is None:
            against = "no baseline comparison"
        else:
            against = f"baseline {self.baseline_path} ({self.comparison.method})"
        return f"biasaudit gate: {'PASS' if self.passed else 'FAIL'} ({counts}); {against}"

    def to_dict(self) -> dict[str, Any]:
        """The verdict and every check as plain JSON-able data."""
        return {
            "passed": self.passed,
            "verdict": self.verdict(),
            "config": self.config_path,
            "baseline": self.baseline_path,
            "comparison": None
            if self.comparison is None
            else {
                "paired": self.comparison.paired,
                "method": self.comparison.method,
                "test": self.comparison.settings.test,
                "confidence": self.comparison.settings.confidence,
                **self.comparison.details,
            },
            "checks": [c.to_dict() for c in self.checks],
        }

    def to_markdown(self) -> str:
        """The summary for a pull-request comment (see :func:`summary_markdown`)."""

        return summary_markdown(self)

    def to_junit(self, path: str | Path | None = None) -> str:
        """JUnit XML, one test case per rule and group (see :func:`junit_xml`)."""

        text = junit_xml(self)
        if path is not None:
            write_text_atomic(path, text)
        return text


@validate_params(
    {"config": [instance_of(GateConfig)], "unpaired": [instance_of(bool)], "progress": _PROGRESS}
)
def run_gate(
    config: GateConfig,
    *,
    baseline: str | Path | None = None,
    unpaired: bool = False,
    progress: bool | None = None,
) -> GateOutcome:
    """Audit the pool, evaluate the policy and compare with the baseline.

    Parameters
    ----------
    config : GateConfig
        From :func:`biasaudit.gate.load_config`.
    baseline : str or Path, optional
        Compare with this baseline instead of the configured ``[baseline] path``.
    unpaired : bool
        Compare with a baseline of another pool (unpaired bootstrap).
    progress : bool, optional
        Show the matcher's progress bar (default: on a terminal).

    Returns
    -------
    GateOutcome
        Its ``result`` is the candidate audit with ``sections["gate"]`` holding the
        per-candidate records and the outcome, ready to become the next baseline.
    """
    path = Path(baseline) if baseline is not None else None
    if path is None and config.baseline is not None:
        path = config.baseline.path
    base = load_baseline(path, command=update_command(config)) if path is not None else None
    result = run_audit(config, progress=progress)
    policy = tuple(evaluate_policy(result, config.policy))
    comparison = None
    if base is not None:
        settings = config.baseline.settings if config.baseline else RegressionSettings()
        comparison = compare_results(base, result, settings, config.policy, unpaired=unpaired)
    outcome = GateOutcome(
        result,
        policy,
        comparison,
        base,
        shown_path(config.path),
        shown_path(path) if path is not None else None,
        config.policy.insufficient_data,
    )
    return dataclasses.replace(
        outcome, result=with_gate_section(result, {"outcome": outcome.to_dict()})
    )


@validate_params({"config": [None, instance_of(GateConfig)], "progress": _PROGRESS})
def update_baseline(
    config: GateConfig | None,
    *,
    source: str | Path | None = None,
    path: str | Path | None = None,
    progress: bool | None = None,
) -> tuple[AuditResult, Path]:
    """Record an accepted audit as the new baseline; returns it and where it was written.

    The audit is run from the configuration, or read from ``source`` (a JSON result
    written by ``biasaudit gate --json``, which holds the per-candidate records).
    """
    if path is not None:
        target = Path(path)
    elif config is not None and config.baseline is not None:
        target = config.baseline.path
    else:
        where = str(config.path) if config is not None else "the configuration"
        raise E.ValidationError(M.NO_BASELINE_PATH.format(path=where))
    if source is not None:
        result = load_result(str(source))
        Records.of(result, f"accepted ({source})")
    elif config is not None:
        result = run_audit(config, progress=progress)
    else:  # pragma: no cover - the command line always passes one of them
        raise E.ValidationError(M.NO_BASELINE_PATH.format(path="the configuration"))
    if config is not None:  # a policy the audit cannot be judged by is an error: write nothing
        evaluate_policy(result, config.policy)
    gate = {k: v for k, v in (result.sections.get("gate") or {}).items() if k != "outcome"}
    result = dataclasses.replace(result, sections={**result.sections, "gate": gate})
    target.parent.mkdir(parents=True, exist_ok=True)
    result.to_json(target)
    return result, target
