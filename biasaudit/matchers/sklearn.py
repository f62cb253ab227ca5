"""The ``sklearn`` adapter: a fitted scikit-learn estimator or Pipeline."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._io import check_input_file
from biasaudit._validation import validate_params
from biasaudit.matchers._base import BATCH_SIZE, FLAG, BaseMatcher, as_list, require_columns
from biasaudit.matchers._jobs import Job

__all__ = ["SklearnMatcher", "estimator_scores", "state_digest"]


def _load_model(path: str | Path) -> Any:
    import joblib

    return joblib.load(check_input_file(path, "model file"))


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _feed(obj: Any, digest: Any, depth: int = 0) -> None:
    """Feed an estimator's fitted state into ``digest`` in a canonical form."""
    if depth > 50:
        digest.update(b"...")
    elif isinstance(obj, np.ndarray):
        digest.update(f"nd{obj.dtype.str}{obj.shape}".encode())
        if obj.dtype == object:
            _feed(obj.tolist(), digest, depth + 1)
        else:
            digest.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, dict):
        for key in sorted(obj, key=str):
            digest.update(f"k{key!s}".encode())
            _feed(obj[key], digest, depth + 1)
    elif isinstance(obj, (list, tuple)):
        digest.update(f"l{len(obj)}".encode())
        for item in obj:
            _feed(item, digest, depth + 1)
    elif hasattr(obj, "get_params") and hasattr(obj, "__dict__"):
        digest.update(type(obj).__qualname__.encode())
        _feed(vars(obj), digest, depth + 1)
    else:
        digest.update(_ADDRESS.sub("", repr(obj)).encode())


def state_digest(estimator: Any) -> str:
    """A stable hash of an estimator's parameters and fitted state.

    The same model gives the same digest after a save and load (unlike a
    pickle hash, which depends on array memory layout).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> a = LogisticRegression().fit([[0], [1]], [0, 1])
    >>> b = LogisticRegression().fit([[0], [1]], [0, 1])
    >>> c = LogisticRegression(C=2).fit([[0], [1]], [0, 1])
    >>> state_digest(a) == state_digest(b) != state_digest(c)
    True
    """
    digest = hashlib.sha256()
    _feed(estimator, digest)
    return digest.hexdigest()[:16]


def estimator_scores(estimator: Any, X: Any, positive_class: Any = None) -> np.ndarray:
    """Scores from an estimator: P(positive class), else decision_function, else predict.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0], [1], [2], [3]], [0, 0, 1, 1])
    >>> bool(estimator_scores(model, [[0], [3]])[1] > 0.5)
    True
    """
    if hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(X))
        classes = list(getattr(estimator, "classes_", range(proba.shape[1])))
        target = classes[-1] if positive_class is None else positive_class
        if target not in classes:
            raise E.ValidationError(
                E.BAD_PARAMETER.format(
                    name="positive_class",
                    expected=f"one of the estimator's classes {classes}",
                    value=positive_class,
                    fix="Pass the label of a good match.",
                )
            )
        return proba[:, classes.index(target)]
    if hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X), dtype=np.float64).reshape(-1)
    return np.asarray(estimator.predict(X), dtype=np.float64).reshape(-1)


class SklearnMatcher(BaseMatcher):
    """A fitted scikit-learn estimator or Pipeline over named feature columns.

    The score is the predicted probability of the positive class
    (``predict_proba``), else ``decision_function``, else ``predict``.

    Parameters
    ----------
    estimator : estimator or str
        A fitted estimator or Pipeline, or the path of one saved with joblib
        (only load files you trust: unpickling runs code).
    features : list of str or str
        Columns passed to the estimator, in order (a comma-separated string on
        the command line). A single text column is passed as a 1-D array of
        strings when ``text=True`` (for a text Pipeline).
    positive_class : optional
        The class meaning "good match" (default: the last of ``classes_``).
    text : bool
        Pass the single feature as a 1-D array (text vectorizer pipelines).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> train = pd.DataFrame({"years": [0, 1, 5, 8], "good": [0, 0, 1, 1]})
    >>> model = LogisticRegression().fit(train[["years"]], train["good"])
    >>> m = SklearnMatcher(model, features=["years"])
    >>> scores = m.score(pd.DataFrame({"years": [0, 9]}), None)
    >>> bool(scores[0] < 0.5 < scores[1])
    True
    """

    name = "sklearn"
    version = "1"

    @validate_params({"text": FLAG, "batch_size": BATCH_SIZE})
    def __init__(
        self,
        estimator: Any,
        *,
        features: list[str] | str,
        positive_class: Any = None,
        text: bool = False,
        batch_size: int = 50_000,
    ) -> None:
        self.source = str(estimator) if isinstance(estimator, (str, Path)) else None
        self.estimator = _load_model(estimator) if self.source else estimator
        if not (hasattr(self.estimator, "predict") or hasattr(self.estimator, "predict_proba")):
            raise E.ValidationError(E.NOT_A_MATCHER.format(what=repr(self.estimator)[:80]))
        self.features = as_list(features)
        if not self.features:
            raise E.ValidationError(
                E.BAD_PARAMETER.format(
                    name="features",
                    expected="one or more column names",
                    value=features,
                    fix="Pass features=['col', ...].",
                )
            )
        self.positive_class = positive_class
        self.text = bool(text)
        self.batch_size = int(batch_size)

    def params(self) -> dict[str, Any]:
        """Estimator class, a hash of its fitted state, features and positive class."""
        return {
            "estimator": type(self.estimator).__name__,
            "state": state_digest(self.estimator),
            "features": self.features,
            "positive_class": self.positive_class,
            "text": self.text,
        }

    def _X(self, candidates: pd.DataFrame) -> Any:
        require_columns(candidates, self.features, "sklearn", "features")
        if self.text:
            column = candidates[self.features[0]]
            return column.astype(object).where(column.notna(), "").astype(str).to_numpy()
        return candidates[self.features]

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        """Scores of the batch (the job is not used)."""
        if len(candidates) == 0:
            return np.zeros(0)
        return np.asarray(
            estimator_scores(self.estimator, self._X(candidates), self.positive_class),
            dtype=np.float64,
        )
