"""Matchers: score candidate pools with any hiring matcher, then audit the scores.

A matcher scores candidates for a job: ``score(candidates, job)`` returns one
float per candidate (higher is better) and ``fingerprint`` identifies it and its
parameters. Adapters wrap a Python function (``callable``), a scikit-learn model
(``sklearn``), a keyword/skills screen (``skills``), TF-IDF text similarity
(``tfidf``), a sentence-transformers model (``embedding``), an HTTP scoring
service (``http``), an OpenAI-compatible LLM (``llm``) and a fairlearn-mitigated
model (``mitigated``). Third-party packages add their own through the
``biasaudit.matchers`` entry-point group.

Examples
--------
>>> import pandas as pd
>>> from biasaudit import matchers
>>> job = matchers.Job("J1", title="Analyst", required_skills=["SQL", "Excel"])
>>> pool = pd.DataFrame({"skills": ["SQL, Excel", "Excel", "Welding"]})
>>> matchers.score_candidates(matchers.get("skills"), pool, job).scores
array([1. , 0.5, 0. ])
"""

from biasaudit.matchers._base import BaseMatcher, Matcher, MatcherError
from biasaudit.matchers._engine import ScoreCache, ScoreReport, content_hashes, score_candidates
from biasaudit.matchers._jobs import Job, load_jobs
from biasaudit.matchers._registry import (
    ENTRY_POINT_GROUP,
    MatcherInfo,
    available,
    get,
    names,
    register,
    unregister,
)
from biasaudit.matchers.callable import CallableMatcher
from biasaudit.matchers.skills import SkillsMatcher
from biasaudit.matchers.sklearn import SklearnMatcher
from biasaudit.matchers.tfidf import TfidfMatcher

__all__ = [
    "ENTRY_POINT_GROUP",
    "BaseMatcher",
    "CallableMatcher",
    "Job",
    "Matcher",
    "MatcherError",
    "MatcherInfo",
    "ScoreCache",
    "ScoreReport",
    "SkillsMatcher",
    "SklearnMatcher",
    "TfidfMatcher",
    "available",
    "content_hashes",
    "get",
    "load_jobs",
    "names",
    "register",
    "score_candidates",
    "unregister",
]
