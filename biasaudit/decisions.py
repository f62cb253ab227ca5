"""Decision rules: turn a matcher's scores (or ranks) into selections.

Each rule is a small frozen object with ``apply(pool)`` returning a boolean
array in pool order plus a dict of facts about the decision (for example how
many jobs had tied scores straddling the cut-off), which the audit records in
its provenance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from biasaudit import _errors as E
from biasaudit._validation import Constraint, Interval, instance_of, validate_params
from biasaudit.pool import CandidatePool

__all__ = [
    "DecisionRule",
    "GivenSelection",
    "Threshold",
    "TopFraction",
    "TopK",
    "above_median",
    "make_rule",
]


class DecisionRule:
    """Base class: ``apply(pool) -> (selected, facts)``."""

    name = "rule"

    def apply(self, pool: CandidatePool) -> tuple[np.ndarray, dict[str, Any]]:
        """Return the boolean selection in pool order and facts about it."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """The rule as plain data for provenance."""
        return {"rule": self.name, **asdict(self)}  # type: ignore[call-overload]


_THRESHOLD = Interval(Real, None, None, fix="Pass e.g. {name}=0.5.")
_TOP_K = Interval(Integral, 1, None, closed="left", fix="Pass e.g. {name}=10.")
_TOP_FRACTION = Interval(Real, 0, 1, closed="right", fix="Pass e.g. {name}=0.1 for the top 10%.")

#: The decision rule's arguments, as every function that builds a rule takes them.
RULE_CONSTRAINTS: dict[str, list[Constraint | None]] = {
    "threshold": [None, _THRESHOLD],
    "top_k": [None, _TOP_K],
    "top_fraction": [None, _TOP_FRACTION],
    "per_job": [instance_of(bool)],
}


def _scores(pool: CandidatePool, rule: str) -> np.ndarray:
    if "score" not in pool.arrays:
        raise E.ValidationError(E.RULE_NEEDS_SCORE.format(rule=rule))
    return pool.arrays["score"]


@dataclass(frozen=True)
class GivenSelection(DecisionRule):
    """Use the pool's ``selected`` column as the decision.

    Examples
    --------
    >>> import pandas as pd
    >>> pool = CandidatePool(pd.DataFrame({"g": ["a", "b"], "s": [1, 0]}),
    ...                      attributes=["g"], selected="s")
    >>> GivenSelection().apply(pool)[0].tolist()
    [True, False]
    """

    name = "given"

    def apply(self, pool: CandidatePool) -> tuple[np.ndarray, dict[str, Any]]:
        """Return the given selection."""
        if "selected" not in pool.arrays:
            raise E.ValidationError(E.NO_DECISION)
        return pool.arrays["selected"], {}


@validate_params({"threshold": [_THRESHOLD]})
@dataclass(frozen=True)
class Threshold(DecisionRule):
    """Select candidates whose score is at least ``threshold``.

    Examples
    --------
    >>> import pandas as pd
    >>> pool = CandidatePool(pd.DataFrame({"g": ["a", "b"], "x": [0.2, 0.7]}),
    ...                      attributes=["g"], score="x")
    >>> Threshold(0.5).apply(pool)[0].tolist()
    [False, True]
    """

    threshold: float
    name = "threshold"

    def apply(self, pool: CandidatePool) -> tuple[np.ndarray, dict[str, Any]]:
        """Select ``score >= threshold``."""
        return _scores(pool, "threshold") >= self.threshold, {}


def _order_within_jobs(
    pool: CandidatePool, rule: str, per_job: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate order best-first inside each job, and each row's job code.

    Uses the score (descending) when present, else the rank column (ascending).
    Ties are broken by the id column when the pool has one (ascending, as every
    engine does, so shuffling the rows changes nothing), else by pool order; the
    cut is deterministic either way.
    """
    if "score" in pool.arrays:
        key = -pool.arrays["score"]
    elif "rank" in pool.arrays:
        key = pool.arrays["rank"]
    else:
        raise E.ValidationError(E.RULE_NEEDS_SCORE.format(rule=rule))
    jobs = (
        pool.job_codes.codes.astype(np.int64)
        if per_job and pool.job_codes is not None
        else np.zeros(pool.n_rows, dtype=np.int64)
    )
    return np.lexsort((_tie_order(pool), key, jobs)), jobs


def _tie_order(pool: CandidatePool) -> np.ndarray:
    """Each row's place in the tie-break: its id's sorted position, else its pool position."""
    ids = pool.arrays.get("id")
    if ids is None:
        return np.arange(pool.n_rows)
    try:
        return np.unique(ids, return_inverse=True)[1].reshape(-1)
    except TypeError:  # ids of mixed types (1 and "a") compare as text
        return np.unique(np.asarray(ids).astype(str), return_inverse=True)[1].reshape(-1)


def _select_top(
    pool: CandidatePool, counts_for: Any, rule: str, per_job: bool = True
) -> tuple[np.ndarray, dict]:
    order, jobs = _order_within_jobs(pool, rule, per_job)
    sizes = np.bincount(jobs)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    quota = counts_for(sizes)
    sorted_jobs = jobs[order]
    position = np.arange(len(order)) - starts[sorted_jobs]
    take = position < quota[sorted_jobs]
    selected = np.zeros(pool.n_rows, dtype=bool)
    selected[order[take]] = True
    key = -pool.arrays["score"] if "score" in pool.arrays else pool.arrays["rank"]
    # A tie straddles the cut when the last taken and the first left out share a key.
    last = starts + np.minimum(quota, sizes) - 1
    has_next = (quota < sizes) & (quota > 0)
    straddle = has_next & (
        key[order[last.clip(0)]] == key[order[(last + 1).clip(0, len(order) - 1)]]
    )
    facts = {
        "jobs": len(sizes),
        "jobs_with_fewer_candidates_than_quota": int((sizes < quota).sum()),
        "jobs_with_ties_at_cutoff": int(straddle.sum()),
        "tie_break": "id column" if "id" in pool.arrays else "pool order",
    }
    return selected, facts


@validate_params({"k": [_TOP_K]})
@dataclass(frozen=True)
class TopK(DecisionRule):
    """Select the ``k`` best-scored candidates of each job (of the pool without a job).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"g": ["a", "b", "a", "b"], "x": [0.1, 0.9, 0.5, 0.3]})
    >>> TopK(2).apply(CandidatePool(df, attributes=["g"], score="x"))[0].tolist()
    [False, True, True, False]
    """

    k: int
    name = "top_k"

    def apply(self, pool: CandidatePool) -> tuple[np.ndarray, dict[str, Any]]:
        """Select the top ``k`` per job."""
        return _select_top(pool, lambda sizes: np.full_like(sizes, self.k), "top_k")


@validate_params({"fraction": [_TOP_FRACTION], "per_job": RULE_CONSTRAINTS["per_job"]})
@dataclass(frozen=True)
class TopFraction(DecisionRule):
    """Select the best ``ceil(fraction * n)`` candidates, overall or per job.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"g": ["a", "b", "a", "b"], "x": [0.1, 0.9, 0.5, 0.3]})
    >>> TopFraction(0.25).apply(CandidatePool(df, attributes=["g"], score="x"))[0].tolist()
    [False, True, False, False]
    """

    fraction: float
    per_job: bool = False
    name = "top_fraction"

    def apply(self, pool: CandidatePool) -> tuple[np.ndarray, dict[str, Any]]:
        """Select the top fraction."""

        def quota(sizes: np.ndarray) -> np.ndarray:
            return np.ceil(self.fraction * sizes - 1e-9).astype(np.int64)

        return _select_top(pool, quota, "top_fraction", per_job=self.per_job)


def above_median(scores: np.ndarray) -> tuple[np.ndarray, float]:
    """LL144 scoring rate: which scores are strictly above the full sample's median.

    Examples
    --------
    >>> above_median(np.array([1.0, 2.0, 3.0, 4.0]))[0].tolist()
    [False, False, True, True]
    """
    median = float(np.median(scores))
    return scores > median, median


@validate_params({**RULE_CONSTRAINTS, "selected": [None, instance_of(str)]})
def make_rule(
    *,
    selected: str | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    top_fraction: float | None = None,
    per_job: bool = False,
) -> DecisionRule:
    """Build the one decision rule the arguments name.

    Examples
    --------
    >>> make_rule(top_k=5)
    TopK(k=5)
    """
    given = {
        "threshold": threshold,
        "top_k": top_k,
        "top_fraction": top_fraction,
        "selected": selected,
    }
    chosen = [name for name, value in given.items() if value is not None]
    if len(chosen) > 1:
        raise E.ValidationError(E.CONFLICTING_RULES.format(rules=chosen))
    if per_job and top_fraction is None and top_k is None:
        rule = chosen[0] if chosen else "selected"
        raise E.ValidationError(E.PER_JOB_WITHOUT_FRACTION.format(rule=rule))
    if threshold is not None:
        return Threshold(threshold)
    if top_k is not None:
        return TopK(top_k)
    if top_fraction is not None:
        return TopFraction(top_fraction, per_job=per_job)
    return GivenSelection()
