"""The ``tfidf`` adapter: cosine similarity of resume text and job text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, instance_of, validate_params
from biasaudit.matchers._base import BATCH_SIZE, FLAG, BaseMatcher, text_of
from biasaudit.matchers._jobs import Job

__all__ = ["TfidfMatcher"]

_N_FEATURES = 2**20


class TfidfMatcher(BaseMatcher):
    """Cosine similarity between a resume's TF-IDF vector and the job's.

    Words are hashed into a fixed space (no vocabulary is learnt from the pool),
    so a candidate's score depends only on their own text, the job and the
    ``corpus``: it does not change with the batch or the rest of the pool,
    which keeps cached scores valid. IDF weights are learnt from ``corpus``
    when one is given; without it every word weighs the same (term-frequency
    cosine, English stop words removed).

    Parameters
    ----------
    text_column : str
        Resume text column.
    corpus : iterable of str, optional
        Documents to learn IDF weights from (e.g. a sample of resumes).
    sublinear_tf : bool
        Use ``1 + log(tf)``.
    ngram_max : int
        Longest word n-gram (1: words, 2: words and word pairs).
    stop_words : str or None
        ``"english"`` or ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> job = Job("J1", title="Data analyst", description="SQL, Excel and Tableau dashboards")
    >>> pool = pd.DataFrame({"resume": ["Built Tableau dashboards in SQL", "Forklift operator"]})
    >>> scores = TfidfMatcher(text_column="resume").score(pool, job)
    >>> bool(scores[0] > 0.3 and scores[1] == 0)
    True
    """

    name = "tfidf"
    version = "1"
    needs_job = True

    @validate_params(
        {
            "sublinear_tf": FLAG,
            "ngram_max": [Interval(Integral, 1, None, fix="Pass e.g. ngram_max=2 for bigrams.")],
            "stop_words": [None, instance_of(str)],
            "batch_size": BATCH_SIZE,
        }
    )
    def __init__(
        self,
        *,
        text_column: str = "resume_text",
        corpus: Iterable[str] | None = None,
        sublinear_tf: bool = True,
        ngram_max: int = 1,
        stop_words: str | None = "english",
        batch_size: int = 200_000,
    ) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.text_column = text_column
        self.sublinear_tf = bool(sublinear_tf)
        self.ngram_max = int(ngram_max)
        self.stop_words = stop_words
        self.batch_size = int(batch_size)
        self._hasher = HashingVectorizer(
            n_features=_N_FEATURES,
            alternate_sign=False,
            norm=None,
            ngram_range=(1, self.ngram_max),
            stop_words=stop_words,
            dtype=np.float64,
        )
        self._idf: np.ndarray | None = None
        self._corpus_digest: str | None = None
        if corpus is not None:
            self._fit_idf([str(t) for t in corpus])
        self._last: tuple[Any, Any] | None = None

    def _fit_idf(self, corpus: list[str]) -> None:
        counts = self._hasher.transform(corpus)
        df = np.bincount(counts.indices, minlength=_N_FEATURES)
        # Smoothed IDF, as scikit-learn's TfidfTransformer(smooth_idf=True).
        self._idf = np.log((1 + len(corpus)) / (1 + df)) + 1.0
        digest = hashlib.sha256()
        for text in corpus:
            digest.update(text.encode())
            digest.update(b"\0")
        self._corpus_digest = digest.hexdigest()[:16]

    def params(self) -> dict[str, Any]:
        """Text column, weighting and the corpus digest."""
        return {
            "text_column": self.text_column,
            "sublinear_tf": self.sublinear_tf,
            "ngram_max": self.ngram_max,
            "stop_words": self.stop_words,
            "corpus": self._corpus_digest,
            "features": _N_FEATURES,
        }

    def _vectors(self, texts: Any) -> Any:
        from sklearn.preprocessing import normalize

        matrix = self._hasher.transform(texts)
        if self.sublinear_tf:
            matrix.data = 1.0 + np.log(matrix.data)
        if self._idf is not None:
            matrix.data *= self._idf[matrix.indices]
        return normalize(matrix, copy=False)

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        """Cosine similarity (0 to 1) of each resume with the job's text."""

        if job is None:
            raise E.ValidationError(E.MATCHER_NEEDS_JOB.format(matcher="tfidf"))
        if len(candidates) == 0:
            return np.zeros(0)
        last = self._last
        if last is not None and last[0] is candidates:  # same batch, next job
            resumes = last[1]
        else:
            resumes = self._vectors(text_of(candidates, self.text_column, "tfidf"))
            self._last = (candidates, resumes)
        posting = self._vectors([job.text])
        return np.asarray((resumes @ posting.T).toarray()).reshape(-1)
