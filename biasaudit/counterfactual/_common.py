"""Pieces both designs share: input defaults, jobs, the reference group, the final audit."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit.counterfactual import _messages as M
from biasaudit.matchers._engine import to_pandas
from biasaudit.matchers._jobs import load_jobs
from biasaudit.results import AuditResult

__all__ = ["Inputs", "attach", "parse_reference", "resolve_inputs"]


@dataclasses.dataclass
class Inputs:
    """The resumes as a pandas frame, with the columns and jobs to use."""

    frame: pd.DataFrame
    text_column: str
    name_column: str | None
    first_name_column: str | None
    last_name_column: str | None
    jobs: Any
    job: str | None
    id: str | None
    source: str


def resolve_inputs(
    data: Any,
    *,
    text_column: str | None,
    name_column: str | None,
    first_name_column: str | None,
    last_name_column: str | None,
    jobs: Any,
    job: str | None,
    id: str | None,
) -> Inputs:
    """A :class:`~biasaudit.synth.SyntheticPool` brings its own columns and postings.

    For a synthetic pool the defaults are ``resume_text``, ``first_name`` /
    ``last_name``, ``job_id``, ``candidate_id`` and the pool's jobs; anything given
    explicitly wins. Other data are read as a table (pandas, polars, pyarrow, a path).
    """

    synthetic = hasattr(data, "effects") and isinstance(getattr(data, "data", None), pd.DataFrame)
    if synthetic:
        frame = data.data
        no_name = name_column is None and first_name_column is None
        return Inputs(
            frame=frame,
            text_column=text_column or "resume_text",
            name_column=name_column,
            first_name_column="first_name" if no_name else first_name_column,
            last_name_column="last_name" if no_name else last_name_column,
            jobs=jobs if jobs is not None else list(data.jobs),
            job=job or "job_id",
            id=id or "candidate_id",
            source="synthetic pool",
        )
    frame = to_pandas(data)
    return Inputs(
        frame=frame,
        text_column=text_column or "resume_text",
        name_column=name_column,
        first_name_column=first_name_column,
        last_name_column=last_name_column,
        jobs=jobs,
        job=job,
        id=id,
        source=str(data) if isinstance(data, str) else type(data).__name__,
    )


def job_plan(inputs: Inputs) -> tuple[Any, list[str] | None, str | None]:
    """(jobs, job ids to cross every resume with, job column).

    With several postings and no job column every resume is scored for every job, and
    the compared unit becomes a resume-job pair (new column ``job``).
    """

    if inputs.job is not None:
        if inputs.job not in inputs.frame.columns:
            raise E.ValidationError(
                E.MISSING_COLUMN.format(
                    column=inputs.job, present=list(inputs.frame.columns), role="job"
                )
            )
        return inputs.jobs, None, inputs.job
    if inputs.jobs is None:
        return None, None, None
    job_list = load_jobs(inputs.jobs)
    if len(job_list) == 1:
        return job_list, None, None
    column = "job" if "job" not in inputs.frame.columns else "matcher_job"
    return job_list, [j.id for j in job_list], column


def parse_reference(
    reference: Any, attributes: Sequence[str], groups: Sequence[tuple[str, ...]]
) -> dict[str, str]:
    """The stated reference group as ``{attribute: value}`` (possibly partial).

    Accepts a label (``"White / Male"``, or ``"White"`` for one attribute), a tuple,
    or a mapping naming some or all signalled attributes.

    Examples
    --------
    >>> parse_reference("White / Male", ["race", "sex"], [("White", "Male"), ("Asian", "Male")])
    {'race': 'White', 'sex': 'Male'}
    >>> parse_reference({"sex": "Male"}, ["race", "sex"], [("White", "Male"), ("Asian", "Male")])
    {'sex': 'Male'}
    """
    if reference is None:
        return {}
    labels = [" / ".join(g) for g in groups]
    if isinstance(reference, str):
        parts = [p.strip() for p in reference.split("/")]
        spec = dict(zip(attributes, parts)) if len(parts) == len(attributes) else None
    elif isinstance(reference, Mapping):
        spec = {str(k): str(v) for k, v in reference.items()}
    elif isinstance(reference, (tuple, list)) and len(reference) == len(attributes):
        spec = dict(zip(attributes, map(str, reference)))
    else:
        spec = None
    if not spec or not all(
        attribute in attributes
        and any(g[list(attributes).index(attribute)] == value for g in groups)
        for attribute, value in spec.items()
    ):
        raise E.ValidationError(M.BAD_REFERENCE.format(value=reference, groups=labels))
    return spec


def subsets(attributes: Sequence[str]) -> list[tuple[int, ...]]:
    """Each attribute alone, then all of them crossed (when there are several)."""
    alone: list[tuple[int, ...]] = [(i,) for i in range(len(attributes))]
    return alone if len(attributes) == 1 else [*alone, tuple(range(len(attributes)))]


def attach(
    result: AuditResult, section: dict[str, Any], findings: Sequence[dict[str, Any]] = ()
) -> AuditResult:
    """The audit result with the counterfactual section attached (a new frozen object);
    the section's own ``findings`` (significant paired differences) come first."""
    sections = {**(result.sections or {}), "counterfactual": section}
    return dataclasses.replace(result, sections=sections, findings=(*findings, *result.findings))


def clean(value: Any) -> Any:
    """JSON-safe: NaN -> None, NumPy scalars -> Python, tuples -> lists."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    return value
