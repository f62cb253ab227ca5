"""Job postings: the ``Job`` type and loading jobs from CSV or JSON files."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from biasaudit import _errors as E
from biasaudit._io import check_input_file
from biasaudit.matchers._base import as_list

__all__ = ["Job", "load_jobs"]

_FIELDS = (
    "id",
    "title",
    "description",
    "required_skills",
    "preferred_skills",
    "min_years",
    "education",
)


@dataclass(frozen=True)
class Job:
    """A job posting that candidates are matched against.

    Parameters
    ----------
    id : str
        Requisition id; it matches the values of the pool's job column.
    title, description : str
        Posting text (text matchers compare resumes with ``title`` + ``description``).
    required_skills, preferred_skills : tuple of str
        Skills the posting asks for (the ``skills`` matcher counts them).
    min_years : float, optional
        Minimum years of experience.
    education : str, optional
        Minimum education, e.g. ``"Bachelor's degree"``.

    Examples
    --------
    >>> job = Job("J1", title="Data Analyst", required_skills=["SQL", "Excel"])
    >>> job.required_skills
    ('SQL', 'Excel')
    >>> job.text
    'Data Analyst. Required: SQL, Excel.'
    """

    id: str
    title: str = ""
    description: str = ""
    required_skills: tuple[str, ...] = field(default=())
    preferred_skills: tuple[str, ...] = field(default=())
    min_years: float | None = None
    education: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.id is None or str(self.id).strip() == "":
            raise E.ValidationError(
                E.BAD_JOB.format(
                    where="(no id)", problem="the id is empty", fix="Give every job an id."
                )
            )
        set_(self, "id", str(self.id))
        set_(self, "title", "" if self.title is None else str(self.title))
        set_(self, "description", "" if _missing(self.description) else str(self.description))
        set_(self, "required_skills", tuple(as_list(_none(self.required_skills))))
        set_(self, "preferred_skills", tuple(as_list(_none(self.preferred_skills))))
        set_(self, "education", None if _missing(self.education) else str(self.education))
        years = _none(self.min_years)
        if years is not None:
            try:
                years = float(years)
            except (TypeError, ValueError):
                years = math.nan
            if not math.isfinite(years) or years < 0:
                raise E.ValidationError(
                    E.BAD_JOB.format(
                        where=repr(self.id),
                        problem=f"min_years must be a number >= 0, got {self.min_years!r}",
                        fix="Fix min_years or leave it empty.",
                    )
                )
        set_(self, "min_years", years)

    @property
    def text(self) -> str:
        """Title, description and skills as one text (what text matchers read)."""
        parts = [self.title.strip(), self.description.strip()]
        if self.required_skills and not _all_in(self.required_skills, self.description):
            parts.append("Required: " + ", ".join(self.required_skills))
        if self.preferred_skills and not _all_in(self.preferred_skills, self.description):
            parts.append("Preferred: " + ", ".join(self.preferred_skills))
        return ". ".join(p.rstrip(".") for p in parts if p) + "."

    def to_dict(self) -> dict[str, Any]:
        """The posting as a JSON-ready dict (lists for the skills)."""
        out = asdict(self)
        out["required_skills"] = list(self.required_skills)
        out["preferred_skills"] = list(self.preferred_skills)
        return out

    @classmethod
    def from_any(cls, value: Any, where: str = "") -> Job:
        """A Job from a Job, a mapping, or an object with the same attributes.

        Examples
        --------
        >>> Job.from_any({"id": 7, "title": "Nurse", "required_skills": "BLS; triage"}).id
        '7'
        """
        if isinstance(value, Job):
            return value
        if isinstance(value, Mapping):
            unknown = sorted(set(map(str, value)) - set(_FIELDS))
            if unknown:
                raise E.ValidationError(
                    E.BAD_JOB.format(
                        where=where or repr(value.get("id")),
                        problem=f"unknown field(s) {unknown}",
                        fix=f"Use only the fields {list(_FIELDS)}.",
                    )
                )
            if "id" not in value:
                raise E.ValidationError(
                    E.BAD_JOB.format(
                        where=where or "(no id)",
                        problem="it has no 'id'",
                        fix="Give every job an id.",
                    )
                )
            return cls(**{k: value[k] for k in _FIELDS if k in value})
        if hasattr(value, "id"):  # e.g. biasaudit.synth's postings
            return cls(**{k: getattr(value, k) for k in _FIELDS if hasattr(value, k)})
        raise E.ValidationError(
            E.BAD_JOB.format(
                where=where or repr(value),
                problem=f"cannot make a job from a {type(value).__name__}",
                fix="Pass a Job, a dict with an 'id', or a CSV/JSON file of jobs.",
            )
        )


def _none(value: Any) -> Any:
    return None if _missing(value) else value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _all_in(skills: Iterable[str], text: str) -> bool:
    lowered = text.lower()
    return all(s.lower() in lowered for s in skills)


def _read_file(path: Path) -> list[Any]:
    check_input_file(path, "jobs file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            raw = json.loads(path.read_text(encoding="utf-8"))
            raw = raw.get("jobs", raw) if isinstance(raw, dict) else raw
            if isinstance(raw, dict):  # {"J1": "posting text", ...}
                raw = [{"id": k, "description": v} for k, v in raw.items()]
            if not isinstance(raw, list):
                raise ValueError("expected a list of job objects")
            return raw
        if suffix in (".csv", ".tsv"):
            import pandas as pd

            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype={"id": str})
            return [{k: v for k, v in row.items()} for row in frame.to_dict("records")]
    except (ValueError, UnicodeDecodeError) as exc:
        raise E.ValidationError(
            E.BAD_JOBS_FILE.format(
                path=str(path),
                error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                fix="Write a JSON list of objects or a CSV with an 'id' column.",
            )
        ) from exc
    raise E.ValidationError(
        E.BAD_JOBS_FILE.format(
            path=str(path),
            error=f"unknown extension {suffix!r}",
            fix="Use a .json, .csv or .tsv file.",
        )
    )


def load_jobs(source: Any) -> tuple[Job, ...]:
    """Jobs from a file (CSV/TSV/JSON), a Job, a mapping, or a list of those.

    A CSV has one row per job and the columns ``id`` (required), ``title``,
    ``description``, ``required_skills`` and ``preferred_skills`` (separated by
    ``;`` or ``,``), ``min_years`` and ``education``. A JSON file holds a list of
    objects with the same fields (or ``{"jobs": [...]}``, or ``{id: text}``).

    Parameters
    ----------
    source : str, Path, Job, mapping or sequence
        Where the postings come from.

    Returns
    -------
    tuple of Job
        In the given order; ids are unique.

    Examples
    --------
    >>> jobs = load_jobs([{"id": "J1", "title": "Nurse"}, {"id": "J2", "title": "Clerk"}])
    >>> [j.id for j in jobs]
    ['J1', 'J2']
    """
    if isinstance(source, (str, Path)):
        items: list[Any] = _read_file(Path(source))
        where = f"in {str(source)!r}"
    elif isinstance(source, Job) or (isinstance(source, Mapping) and "id" in source):
        items, where = [source], ""
    elif isinstance(source, Mapping):  # {id: description}
        items, where = [{"id": k, "description": v} for k, v in source.items()], ""
    else:
        items, where = list(source), ""
    jobs = tuple(
        Job.from_any(item, f"#{i + 1} {where}".strip() if where else "")
        for i, item in enumerate(items)
    )
    seen: dict[str, int] = {}
    for job in jobs:
        seen[job.id] = seen.get(job.id, 0) + 1
    dup = [k for k, v in seen.items() if v > 1]
    if dup:
        raise E.ValidationError(
            E.BAD_JOB.format(
                where=where or "list",
                problem=f"duplicated id(s) {dup}",
                fix="Give every job a unique id.",
            )
        )
    if not jobs:
        raise E.ValidationError(
            E.BAD_JOB.format(
                where=where or "list", problem="no jobs given", fix="Pass one or more jobs."
            )
        )
    return jobs
