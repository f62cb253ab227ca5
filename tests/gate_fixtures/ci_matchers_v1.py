"""The accepted matcher of the gate tests: required skills matched and experience."""

import numpy as np


def score(candidates, job):
    skills = candidates["required_skills_matched"] / 4
    return 0.7 * skills + 0.3 * np.minimum(candidates["years_experience"] / 10, 1)
