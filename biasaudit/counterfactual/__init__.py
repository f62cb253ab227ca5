"""Name-swap counterfactual audits: the same resume, only the signalled group changed.

Two designs, as in the audit studies of AI hiring tools:

- :func:`name_swap_audit` (scoring design): every resume gets one variant per signalled
  group (race/ethnicity x sex by default), the matcher scores each, and every group is
  compared with a reference group on the same resumes: paired score differences with
  intervals, Wilcoxon signed-rank and sign tests, and the flip rate at the decision rule.
- :func:`rank_swap_audit` (ranking design, after Bloomberg's 2024 audit of GPT
  ranking): sets of equally qualified resumes, one per group, ranked many times with
  names redrawn and the order shuffled; the rate of being ranked first per group, its
  impact ratio, a chi-square test against equal shares and a position-bias check.

Both return an :class:`~biasaudit.AuditResult` (group tables over the signalled groups)
with the analysis in ``result.sections["counterfactual"]``. :func:`make_variants` builds
the variants alone.

Examples
--------
>>> from biasaudit.counterfactual import make_variants
>>> import pandas as pd
>>> v = make_variants(pd.DataFrame({"name": ["Ana Diaz"], "cv": ["Ana Diaz, analyst"]}),
...                   text_column="cv", name_column="name", seed=0)
>>> len(v.data), v.attributes
(8, ('race', 'sex'))
"""

from biasaudit.counterfactual._design import SIGNALS
from biasaudit.counterfactual._paired import name_swap_audit
from biasaudit.counterfactual._ranking import rank_swap_audit
from biasaudit.counterfactual._signals import (
    AFFINITY_LINES,
    GENDERED_WORDS,
    affinity_text,
    swap_gendered_words,
    swap_pronouns,
)
from biasaudit.counterfactual._stats import (
    flip_statistics,
    median_interval,
    paired_statistics,
)
from biasaudit.counterfactual._variants import Variants, make_variants

__all__ = [
    "AFFINITY_LINES",
    "GENDERED_WORDS",
    "SIGNALS",
    "Variants",
    "affinity_text",
    "flip_statistics",
    "make_variants",
    "median_interval",
    "name_swap_audit",
    "paired_statistics",
    "rank_swap_audit",
    "swap_gendered_words",
    "swap_pronouns",
]
