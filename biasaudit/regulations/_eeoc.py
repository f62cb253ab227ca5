"""EEOC rules: the four-fifths threshold and the EEO-1 categories."""

from __future__ import annotations

__all__ = ["EEO1_RACE", "EEO1_SEX", "FOUR_FIFTHS"]

#: The Uniform Guidelines' four-fifths rule (29 CFR 1607.4(D)): a group selected at
#: less than 80% of the rate of the highest group shows evidence of adverse impact.
FOUR_FIFTHS = 0.8

#: EEO-1 sex categories.
EEO1_SEX: tuple[str, ...] = ("Female", "Male")

#: EEO-1 race/ethnicity categories, worded as in the Local Law 144 rule's tables.
EEO1_RACE: tuple[str, ...] = (
    "Hispanic or Latino",
    "White",
    "Black or African American",
    "Native Hawaiian or Pacific Islander",
    "Asian",
    "Native American or Alaska Native",
    "Two or More Races",
)
