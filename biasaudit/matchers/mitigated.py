"""The ``mitigated`` adapter: a scikit-learn matcher post-processed by fairlearn."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, Options, validate_params
from biasaudit.matchers._base import BaseMatcher, MatcherError, require_columns
from biasaudit.matchers._jobs import Job
from biasaudit.matchers.sklearn import SklearnMatcher, state_digest

__all__ = ["MitigatedMatcher"]

_CONSTRAINTS = {
    "demographic_parity": "demographic_parity",
    "equal_opportunity": "true_positive_rate_parity",
    "equalized_odds": "equalized_odds",
}


class MitigatedMatcher(BaseMatcher):
    """A scikit-learn matcher wrapped in fairlearn's ``ThresholdOptimizer``.

    The optimizer learns group-specific (randomised) thresholds on training
    data so that selections satisfy demographic parity or equal opportunity.
    The score is the probability that the mitigated matcher selects the
    candidate, so a threshold of 0.5 (or any top-k rule) audits it. Audit the
    base matcher and this one on the same pool to compare before and after.

    Post-processing needs the protected attribute when scoring (that is how it
    equalises rates); this adapter therefore reads ``sensitive_column``, the
    one matcher that does. Whether that is lawful where you hire is a question
    for counsel: US law, for one, forbids adjusting scores by protected class.

    Parameters
    ----------
    base : SklearnMatcher or estimator
        The fitted matcher (or estimator, with ``features``).
    train : pandas.DataFrame
        Data the thresholds are learnt on: the features, ``label`` and ``sensitive_column``.
    label : str
        Ground-truth column (0/1) in ``train``.
    sensitive_column : str
        Protected-attribute column (in ``train`` and in the candidates).
    constraints : {"demographic_parity", "equal_opportunity", "equalized_odds"}
        The parity to enforce.
    objective : str
        fairlearn objective, default ``"balanced_accuracy_score"``.
    features : list of str, optional
        Needed when ``base`` is a bare estimator.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"x": rng.normal(size=400), "sex": rng.choice(["F", "M"], 400)})
    >>> train["x"] += (train["sex"] == "M") * 1.0
    >>> train["y"] = (train["x"] + rng.normal(size=400) > 0.5).astype(int)
    >>> model = LogisticRegression().fit(train[["x"]], train["y"])
    >>> m = MitigatedMatcher(model, features=["x"], train=train, label="y", sensitive_column="sex")
    >>> s = m.score(train, None)
    >>> rates = pd.Series(s).groupby(train["sex"]).mean()
    >>> bool(abs(rates["F"] - rates["M"]) < 0.05)
    True
    """

    name = "mitigated"
    version = "1"

    @validate_params(
        {
            "constraints": [
                Options(str, _CONSTRAINTS, fix="Pass constraints='demographic_parity'.")
            ],
            "grid_size": [Interval(Integral, 1, None, fix="Pass e.g. grid_size=1000.")],
        }
    )
    def __init__(
        self,
        base: Any,
        *,
        train: pd.DataFrame,
        label: str,
        sensitive_column: str,
        constraints: str = "demographic_parity",
        objective: str = "balanced_accuracy_score",
        features: list[str] | str | None = None,
        grid_size: int = 1000,
    ) -> None:
        from fairlearn.postprocessing import ThresholdOptimizer

        self.base = (
            base
            if isinstance(base, SklearnMatcher)
            else SklearnMatcher(base, features=features or [])
        )
        self.sensitive_column = sensitive_column
        self.uses_attributes = (sensitive_column,)
        self.constraints = constraints
        self.objective = objective
        self.label = label
        require_columns(train, [*self.base.features, label, sensitive_column], "mitigated", "train")
        method = "predict_proba" if hasattr(self.base.estimator, "predict_proba") else "auto"
        self.optimizer = ThresholdOptimizer(
            estimator=self.base.estimator,
            constraints=_CONSTRAINTS[constraints],
            objective=objective,
            grid_size=int(grid_size),
            prefit=True,
            predict_method=method,
        )
        self.optimizer.fit(
            self.base._X(train),
            train[label].to_numpy(),
            sensitive_features=train[sensitive_column].astype(str).to_numpy(),
        )
        self.batch_size = self.base.batch_size

    def params(self) -> dict[str, Any]:
        """The base matcher's fingerprint, the constraint and a hash of the learnt thresholds."""

        return {
            "base": self.base.fingerprint,
            "sensitive_column": self.sensitive_column,
            "constraints": self.constraints,
            "objective": self.objective,
            "thresholds": state_digest(self.optimizer.interpolated_thresholder_.interpolation_dict),
        }

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        """Probability that the mitigated matcher selects each candidate."""
        if len(candidates) == 0:
            return np.zeros(0)
        require_columns(candidates, [self.sensitive_column], "mitigated", "sensitive_column")
        groups = candidates[self.sensitive_column].astype(str).to_numpy()
        known = set(self.optimizer.interpolated_thresholder_.interpolation_dict)
        unseen = sorted(set(groups) - {str(k) for k in known})
        if unseen:
            raise MatcherError(
                E.BAD_PARAMETER.format(
                    name="sensitive_column",
                    expected=f"groups seen in training {sorted(map(str, known))}",
                    value=unseen,
                    fix="Train on data with every group, or drop those candidates.",
                )
            )
        pmf = self.optimizer._pmf_predict(self.base._X(candidates), sensitive_features=groups)
        return np.asarray(pmf, dtype=np.float64)[:, 1]
