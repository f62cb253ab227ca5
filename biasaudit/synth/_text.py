"""Resume text rendered from a synthetic pool's columns, vectorised over categories."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["render_resumes"]


def _strings(column: pd.Series) -> list[str]:
    """A column as Python strings, formatting each distinct value once."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = np.asarray(column.cat.categories.astype(str), dtype=object)
        return categories[column.cat.codes.to_numpy()].tolist()
    values, inverse = np.unique(column.to_numpy(), return_inverse=True)
    return np.asarray([str(v) for v in values], dtype=object)[np.ravel(inverse)].tolist()


def _gap_phrases(months: pd.Series) -> list[str]:
    values, inverse = np.unique(months.to_numpy(), return_inverse=True)
    phrases = np.asarray(
        ["" if m == 0 else f" (career break of {m} months)" for m in values], dtype=object
    )
    return phrases[np.ravel(inverse)].tolist()


def render_resumes(data: pd.DataFrame) -> pd.Series:
    """Plain-text resumes from a pool made by :func:`biasaudit.synth.make_pool`.

    Each resume holds the candidate's name, location, the posting applied to,
    education, experience (with any career break), and skills: the same facts as
    the pool's columns, so a text matcher sees what the structured columns say.

    Parameters
    ----------
    data : pandas.DataFrame
        A pool's ``data`` (needs ``first_name``, ``last_name``, ``location``,
        ``job_title``, ``job_id``, ``education``, ``college``, ``years_experience``,
        ``employment_gap_months`` and ``skills``).

    Returns
    -------
    pandas.Series
        One string per row, index aligned with ``data``.

    Examples
    --------
    >>> from biasaudit.synth import make_pool
    >>> pool = make_pool(1, seed=0, resume_text=False)
    >>> text = render_resumes(pool.data).iloc[0]
    >>> [line.split(":")[0] for line in text.splitlines()[1:]]
    ['Location', 'Applying for', 'Education', 'Experience', 'Skills']
    """
    parts = zip(
        _strings(data["first_name"]),
        _strings(data["last_name"]),
        _strings(data["location"]),
        _strings(data["job_title"]),
        _strings(data["job_id"]),
        _strings(data["education"]),
        _strings(data["college"]),
        _strings(data["years_experience"]),
        _gap_phrases(data["employment_gap_months"]),
        _strings(data["skills"]),
    )
    text = [
        f"{first} {last}\nLocation: {where}\nApplying for: {title} ({job})\n"
        f"Education: {education}, {college}\nExperience: {years} years{gap}\nSkills: {skills}\n"
        for first, last, where, title, job, education, college, years, gap, skills in parts
    ]
    return pd.Series(text, index=data.index, name="resume_text", dtype=object)
