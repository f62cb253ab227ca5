"""Fairness metrics as pure functions: usable on arrays without :func:`biasaudit.audit`.

- group fairness in the scikit-learn / fairlearn style (``y_true``, ``y_pred``,
  keyword-only ``sensitive_features=``): :func:`selection_rate`,
  :func:`impact_ratios`, :func:`disparate_impact_ratio`,
  :func:`selection_rate_difference`, :func:`equal_opportunity_ratio`,
  :func:`equalized_odds_difference`, :func:`group_summary`;
- intervals, tests and corrections (:mod:`biasaudit.metrics.significance`):
  :func:`wilson_interval`, :func:`katz_ratio_ci`, :func:`two_proportion_z`,
  :func:`fisher_exact`, :func:`adjust_pvalues`, :func:`mantel_haenszel`,
  :func:`breslow_day`;
- ranking metrics per job (:mod:`biasaudit.metrics.ranking`): exposure and
  attention weights, skew@k, NDKL, rND/rKL/rRD, the FA*IR test.

Examples
--------
>>> from biasaudit.metrics import impact_ratios
>>> impact_ratios(None, [1, 1, 0, 0, 1, 0, 0, 0], sensitive_features=list("AAAABBBB")).to_dict()
{'A': 1.0, 'B': 0.5}
"""

from __future__ import annotations

from biasaudit.metrics import ranking, significance
from biasaudit.metrics._fairness import (
    disparate_impact_ratio,
    equal_opportunity_ratio,
    equalized_odds_difference,
    group_summary,
    impact_ratios,
    selection_rate,
    selection_rate_difference,
)
from biasaudit.metrics.significance import (
    adjust_pvalues,
    breslow_day,
    fisher_exact,
    katz_ratio_ci,
    mantel_haenszel,
    two_proportion_z,
    wilson_interval,
)

__all__ = [
    "adjust_pvalues",
    "breslow_day",
    "disparate_impact_ratio",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "fisher_exact",
    "group_summary",
    "impact_ratios",
    "katz_ratio_ci",
    "mantel_haenszel",
    "ranking",
    "selection_rate",
    "selection_rate_difference",
    "significance",
    "two_proportion_z",
    "wilson_interval",
]
