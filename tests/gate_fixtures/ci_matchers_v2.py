"""A change that does not introduce bias: experience weighs a little more, capped later."""

import numpy as np


def score(candidates, job):
    skills = candidates["required_skills_matched"] / 4
    return 0.65 * skills + 0.35 * np.minimum(candidates["years_experience"] / 12, 1)
