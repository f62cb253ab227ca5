"""The ``skills`` adapter: a rule-based screen like an applicant tracking system's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import validate_params
from biasaudit.matchers._base import BATCH_SIZE, BaseMatcher
from biasaudit.matchers._jobs import Job

__all__ = ["EDUCATION_LEVELS", "SkillsMatcher", "education_level"]

#: Ordinal education levels, matched by keyword (first match wins).
EDUCATION_LEVELS: tuple[tuple[str, int], ...] = (
    ("phd", 5),
    ("doctor", 5),
    ("master", 4),
    ("mba", 4),
    ("bachelor", 3),
    ("associate", 2),
    ("high school", 1),
    ("ged", 1),
)
_MAX_LEVEL = 5
_DEFAULT_WEIGHTS = {"required": 0.6, "preferred": 0.2, "experience": 0.2, "education": 0.0}
_SPLIT = re.compile(r"\s*[,;|\n]\s*")


def education_level(text: Any) -> int:
    """Ordinal level of an education description (0 when unknown).

    Examples
    --------
    >>> education_level("Bachelor's degree"), education_level("MBA"), education_level(None)
    (3, 4, 0)
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return 0
    lowered = str(text).lower()
    return next((level for key, level in EDUCATION_LEVELS if key in lowered), 0)


def _normalise_skills(column: pd.Series) -> pd.Series:
    """Each cell as ``|skill a|skill b|`` in lower case, for exact membership tests."""
    if isinstance(column.dtype, pd.CategoricalDtype):  # normalise each category once
        cats = _normalise_skills(pd.Series(column.cat.categories.astype(str)))
        return (
            pd.Series(pd.Categorical.from_codes(column.cat.codes.clip(0), cats))
            .astype(str)
            .where(column.notna().to_numpy(), "||")
        )

    def norm(cell: Any) -> str:
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            return "||"
        items = (
            cell if isinstance(cell, (list, tuple, set, np.ndarray)) else _SPLIT.split(str(cell))
        )
        return "|" + "|".join(str(s).strip().lower() for s in items if str(s).strip()) + "|"

    return pd.Series([norm(c) for c in column], dtype=object)


class SkillsMatcher(BaseMatcher):
    """Rule-based screen: required and preferred skills, experience and education.

    The score (between 0 and 1) is a weighted mean of the parts the job
    defines: the share of its required skills the candidate lists, the share
    of its preferred skills, ``min(years / min_years, 1)`` and whether the
    candidate's education reaches the job's. Parts a job does not define
    (no preferred skills, no minimum years) are left out and the remaining
    weights rescaled. Missing values count as absent (a skill not listed,
    0 years, unknown education), as in a keyword screen.

    Parameters
    ----------
    skills_column : str, optional
        Column listing the candidate's skills (``"Python, SQL"`` or a list);
        matched exactly, case-insensitively.
    text_column : str, optional
        Resume text searched for each skill as a whole word or phrase; used
        when ``skills_column`` is not given or is not in the data.
    years_column, education_column : str, optional
        Years of experience and highest education.
    weights : mapping, optional
        Weights of ``required``, ``preferred``, ``experience`` and ``education``
        (default 0.6, 0.2, 0.2, 0).

    Examples
    --------
    >>> import pandas as pd
    >>> job = Job("J1", required_skills=["Python", "SQL"], min_years=4)
    >>> pool = pd.DataFrame({"skills": ["python, sql", "SQL; Excel"], "years_experience": [2, 8]})
    >>> SkillsMatcher(weights={"required": 0.5, "experience": 0.5}).score(pool, job)
    array([0.75, 0.75])
    """

    name = "skills"
    version = "1"
    needs_job = True

    @validate_params({"batch_size": BATCH_SIZE})
    def __init__(
        self,
        *,
        skills_column: str | None = "skills",
        text_column: str | None = None,
        years_column: str | None = "years_experience",
        education_column: str | None = "education",
        weights: Mapping[str, float] | None = None,
        batch_size: int = 200_000,
    ) -> None:
        self.skills_column = skills_column
        self.text_column = text_column
        self.years_column = years_column
        self.education_column = education_column
        given = dict(weights) if weights is not None else dict(_DEFAULT_WEIGHTS)
        unknown = sorted(set(given) - set(_DEFAULT_WEIGHTS))
        values = [given.get(k, 0.0) for k in _DEFAULT_WEIGHTS]
        if (
            unknown
            or any(not np.isfinite(float(v)) or float(v) < 0 for v in values)
            or not any(values)
        ):
            raise E.ValidationError(
                E.BAD_PARAMETER.format(
                    name="weights",
                    expected=f"non-negative numbers for {list(_DEFAULT_WEIGHTS)}, not all 0",
                    value=given,
                    fix="Pass e.g. weights={'required': 0.7, 'experience': 0.3}.",
                )
            )
        self.weights = {k: float(given.get(k, 0.0)) for k in _DEFAULT_WEIGHTS}
        self.batch_size = int(batch_size)
        self._last: tuple[Any, Any] | None = None

    def params(self) -> dict[str, Any]:
        """Columns and weights."""
        return {
            "skills_column": self.skills_column,
            "text_column": self.text_column,
            "years_column": self.years_column,
            "education_column": self.education_column,
            "weights": self.weights,
        }

    def _prepared(self, candidates: pd.DataFrame) -> dict[str, Any]:
        last = self._last
        if last is not None and last[0] is candidates:  # same batch, next job
            return last[1]
        prepared: dict[str, Any] = {}
        if self.skills_column is not None and self.skills_column in candidates.columns:
            prepared["skills"] = _normalise_skills(candidates[self.skills_column])
        elif self.text_column is not None and self.text_column in candidates.columns:
            text = candidates[self.text_column]
            prepared["text"] = text.astype(object).where(text.notna(), "").astype(str)
        else:
            raise E.ValidationError(
                E.MATCHER_MISSING_COLUMN.format(
                    matcher="skills",
                    column=self.skills_column or self.text_column,
                    role="skills_column",
                    present=list(candidates.columns),
                )
            )
        if self.years_column is not None and self.years_column in candidates.columns:
            years = pd.to_numeric(candidates[self.years_column], errors="coerce")
            prepared["years"] = years.fillna(0).to_numpy(dtype=np.float64)
        if self.education_column is not None and self.education_column in candidates.columns:
            column = candidates[self.education_column]
            levels = {v: education_level(v) for v in pd.unique(column.dropna())}
            prepared["education"] = column.map(levels).fillna(0).to_numpy(dtype=np.float64)
        self._last = (candidates, prepared)
        return prepared

    def _share(self, prepared: dict[str, Any], skills: tuple[str, ...]) -> np.ndarray:
        hits = np.zeros(len(next(iter(prepared.values()))), dtype=np.float64)
        for skill in skills:
            if "skills" in prepared:
                needle = "|" + skill.strip().lower() + "|"
                hits += prepared["skills"].str.contains(needle, regex=False).to_numpy()
            else:
                pattern = r"(?<!\w)" + re.escape(skill.strip()) + r"(?!\w)"
                hits += prepared["text"].str.contains(pattern, case=False, regex=True).to_numpy()
        return hits / len(skills)

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        """Weighted share of the job's criteria each candidate meets (0 to 1)."""
        if job is None:
            raise E.ValidationError(E.MATCHER_NEEDS_JOB.format(matcher="skills"))
        if len(candidates) == 0:
            return np.zeros(0)
        prepared = self._prepared(candidates)
        parts: list[tuple[float, np.ndarray]] = []
        w = self.weights
        if job.required_skills and w["required"]:
            parts.append((w["required"], self._share(prepared, job.required_skills)))
        if job.preferred_skills and w["preferred"]:
            parts.append((w["preferred"], self._share(prepared, job.preferred_skills)))
        if job.min_years and w["experience"] and "years" in prepared:
            parts.append((w["experience"], np.minimum(prepared["years"] / job.min_years, 1.0)))
        if w["education"] and "education" in prepared:
            need = education_level(job.education)
            levels = prepared["education"]
            part = (levels >= need).astype(float) if need else levels / _MAX_LEVEL
            parts.append((w["education"], part))
        if not parts:
            raise E.ValidationError(
                E.BAD_JOB.format(
                    where=repr(job.id),
                    problem="it defines nothing the skills matcher can check with these weights",
                    fix="Give the job required_skills (or min_years), or change weights=.",
                )
            )
        total = sum(weight for weight, _ in parts)
        return np.asarray(sum(weight * part for weight, part in parts) / total)
