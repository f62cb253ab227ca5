"""Sampling a synthetic pool: groups, latent qualification, resume features, skills."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from biasaudit.pool import UNKNOWN
from biasaudit.synth import _bias as B
from biasaudit.synth._jobs import OCCUPATIONS, Job, make_jobs, skill_lookup
from biasaudit.synth._pool_model import _Cells

__all__: list[str] = []  # private helpers of make_pool


_EDUCATION = (
    "High school diploma",
    "Associate degree",
    "Bachelor's degree",
    "Master's degree",
    "Doctorate",
)
_EDUCATION_CUTS = (-0.9, -0.1, 0.9, 1.9)
_DISTRICTS = (
    "Riverside",
    "Oak Park",
    "Hillcrest",
    "Lakeview",
    "Fairmont",
    "Westgate",
    "Northbrook",
)
_PENALISED_DISTRICTS = ("Southfield", "Millbrook", "Eastgate Flats")
_SELECTIVE_COLLEGES = (
    "Westbrook University",
    "Hillcrest College",
    "Summit State University",
    "Carrington Institute of Technology",
)
_OPEN_COLLEGES = (
    "Northfield Community College",
    "Lakeside Technical College",
    "Metro Open University",
)
_SCORE_CENTER, _SCORE_SCALE = 50.0, 10.0


# -- sampling --------------------------------------------------------------------------------


def _categorical(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=list(labels))


def _job_titles(job: np.ndarray, jobs: tuple[Job, ...]) -> pd.Categorical:
    """Each candidate's job title; titles repeat once jobs outnumber the occupations."""
    unique = list(dict.fromkeys(j.title for j in jobs))
    code_of_job = np.array([unique.index(j.title) for j in jobs])
    return _categorical(code_of_job[job], unique)


def _sample_groups(
    rng: np.random.Generator,
    n: int,
    shares: dict[str, dict[str, float]],
    unknown: dict[str, float],
) -> tuple[dict[str, np.ndarray], dict[str, pd.Categorical]]:
    true_codes, observed = {}, {}
    for attribute, groups in shares.items():
        p = np.array(list(groups.values()))
        codes = np.searchsorted(np.cumsum(p), rng.random(n) * p.sum(), side="right")
        codes = np.minimum(codes, len(p) - 1).astype(np.int16)
        true_codes[attribute] = codes
        labels = list(groups)
        shown = codes
        if unknown[attribute] > 0:
            masked = rng.random(n) < unknown[attribute]
            shown = np.where(masked, len(labels), codes).astype(np.int16)
            labels = [*labels, UNKNOWN]
        observed[attribute] = _categorical(shown, labels)
    return true_codes, observed


def _sample(
    rng: np.random.Generator,
    n: int,
    model: B.Model,
    cells: _Cells,
    true_codes: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    radix = np.array([len(g) for g in cells.groups])
    cell = np.zeros(n, dtype=np.int64)
    for i, attribute in enumerate(cells.attributes):
        cell = cell * radix[i] + true_codes[attribute]
    z = rng.standard_normal(n) + model.mu[cell]
    x = rng.random((len(model.beta), n)) < model.prevalence[cell].T
    latent = z + model.delta[cell] - model.beta @ x + model.noise_sd * rng.standard_normal(n)
    qualified = z > model.qualified_cut
    historical = qualified & (rng.random(n) < model.keep[cell])
    return {"z": z, "x": x, "latent": latent, "qualified": qualified, "historical": historical}


def _features(
    rng: np.random.Generator, n: int, z: np.ndarray, x: np.ndarray, jobs: tuple[Job, ...]
) -> dict[str, Any]:
    location_x, gap_x, college_x = x
    years = np.clip(np.rint(7 + 3.5 * z + 3 * rng.standard_normal(n)), 0, 45).astype(np.int16)
    education = np.searchsorted(_EDUCATION_CUTS, 0.8 * z + 0.6 * rng.standard_normal(n))
    district = np.where(
        location_x,
        len(_DISTRICTS) + rng.integers(0, len(_PENALISED_DISTRICTS), n),
        rng.integers(0, len(_DISTRICTS), n),
    )
    college = np.where(
        college_x,
        len(_SELECTIVE_COLLEGES) + rng.integers(0, len(_OPEN_COLLEGES), n),
        rng.integers(0, len(_SELECTIVE_COLLEGES), n),
    )
    gap = np.where(gap_x, rng.integers(7, 37, n), 0).astype(np.int16)
    job = rng.integers(0, len(jobs), n).astype(np.int32)
    skills_mask, matched = _skills(rng, n, z)
    titles = list(OCCUPATIONS)
    occupation = np.array([titles.index(j.title) for j in jobs])[job]
    categories, inverse = _skill_table()
    skills = pd.Categorical.from_codes(
        inverse[occupation * 1024 + skills_mask], dtype=pd.CategoricalDtype(categories)
    )
    return {
        "job_id": _categorical(job, [j.id for j in jobs]),
        "job_title": _job_titles(job, jobs),
        "education": _categorical(education, _EDUCATION),
        "college": _categorical(college, _SELECTIVE_COLLEGES + _OPEN_COLLEGES),
        "years_experience": years,
        "employment_gap_months": gap,
        "location": _categorical(district, _DISTRICTS + _PENALISED_DISTRICTS),
        "skills": skills,
        "required_skills_matched": matched,
    }


@lru_cache(maxsize=1)
def _skill_table() -> tuple[pd.Index, np.ndarray]:
    """Distinct skill texts of every (occupation, skill mask), and each one's position."""
    lookup = skill_lookup(make_jobs(len(OCCUPATIONS)))
    categories, inverse = np.unique(lookup, return_inverse=True)
    return pd.Index(categories.tolist()), np.ravel(inverse)


def _skills(rng: np.random.Generator, n: int, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """10-bit mask of the skills held: required (4), preferred (3), other (3)."""
    logits = (
        np.array([0.5] * 4 + [-0.5] * 3)[:, None] + np.array([1.2] * 4 + [1.0] * 3)[:, None] * z
    )
    p = np.vstack([1 / (1 + np.exp(-logits)), np.full((3, n), 0.3)])
    held = rng.random((10, n)) < p
    mask = (held.astype(np.int64) << np.arange(10)[:, None]).sum(axis=0)
    return mask, held[:4].sum(axis=0).astype(np.int8)
