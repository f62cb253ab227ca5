"""A change that introduces bias: it penalises employment gaps, which women have more often."""

import numpy as np


def score(candidates, job):
    skills = candidates["required_skills_matched"] / 4
    base = 0.7 * skills + 0.3 * np.minimum(candidates["years_experience"] / 10, 1)
    return base - 0.25 * (candidates["employment_gap_months"] > 6)
