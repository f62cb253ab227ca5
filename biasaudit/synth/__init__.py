"""Synthetic candidate pools with known, injected bias; name lists; power analysis.

Examples
--------
>>> from biasaudit.synth import make_pool, required_pool_size
>>> pool = make_pool(5_000, bias="race=Black or African American:0.7", seed=1,
...                  resume_text=False)
>>> round(pool.effects.impact_ratio("race", "Black or African American", "White"), 3)
0.7
>>> required_pool_size(0.8, reference_rate=0.3)
859
"""

from biasaudit.synth._bias import KNOBS, PROXY_FEATURES, Bias
from biasaudit.synth._jobs import OCCUPATIONS, Job, make_jobs
from biasaudit.synth._names import (
    GENERAL,
    first_names,
    load_first_names,
    load_surnames,
    surnames,
)
from biasaudit.synth._pool import DEFAULT_SHARES, SyntheticPool, TrueEffects, make_pool
from biasaudit.synth._power import power, required_pool_size, simulate_power
from biasaudit.synth._text import render_resumes

__all__ = [
    "DEFAULT_SHARES",
    "GENERAL",
    "KNOBS",
    "OCCUPATIONS",
    "PROXY_FEATURES",
    "Bias",
    "Job",
    "SyntheticPool",
    "TrueEffects",
    "first_names",
    "load_first_names",
    "load_surnames",
    "make_jobs",
    "make_pool",
    "power",
    "render_resumes",
    "required_pool_size",
    "simulate_power",
    "surnames",
]
