"""The Matcher protocol, a base class with a stable fingerprint, and shared helpers."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, instance_of

if TYPE_CHECKING:
    from biasaudit.matchers._jobs import Job

FLAG = [instance_of(bool)]
#: Rows per call, the option of every batched matcher.
BATCH_SIZE = [Interval(Integral, 1, None, fix="Pass e.g. batch_size=1000.")]
#: The options of a matcher that calls a service over the network (http, llm).
SERVICE_CONSTRAINTS = {
    "timeout": [Interval(Real, 0, None, closed="neither", fix="Pass e.g. timeout=30 (seconds).")],
    "retries": [Interval(Integral, 0, None, fix="Pass e.g. retries=4.")],
    "backoff": [Interval(Real, 0, None, fix="Pass e.g. backoff=0.5 (seconds).")],
    "concurrency": [Interval(Integral, 1, None, fix="Pass e.g. concurrency=4.")],
}

__all__ = ["BaseMatcher", "Matcher", "MatcherError", "canonical_json", "redact", "text_of"]

#: What stands in for a secret in every output and message.
REDACTED = "***"
#: Query parameters whose value is a secret (compared case-insensitively, ``-`` as ``_``).
SECRET_PARAMETERS = frozenset(
    {"key", "api_key", "apikey", "token", "access_token", "secret", "password", "sig", "signature"}
)
_SECRET_NAMES = "|".join(sorted(re.escape(n).replace("_", "[_-]") for n in SECRET_PARAMETERS))
#: ``name=value`` of a key-like parameter, in a query string or free text.
_SECRET_PARAMETER = re.compile(rf"(?i)(?<![\w-])((?:{_SECRET_NAMES})=)[^&#;,)\s'\"]+")
#: The user-information part of a URL (``https://user:pass@host``).
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s'\"]+@")
#: An ``Authorization`` value quoted in a text (``Bearer abc``, ``Basic abc``).
_AUTH_VALUE = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{4,}")
#: Shorter values are not treated as secrets (redacting "1" everywhere would garble text).
_MIN_SECRET = 4

_LOCK_TYPES = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


class MatcherError(E.BiasAuditError, RuntimeError):
    """A matcher could not score the candidates (service down, unparseable answers, ...)."""


@runtime_checkable
class Matcher(Protocol):
    """What biasaudit needs from a hiring matcher.

    A matcher scores candidates for one job: ``score(candidates, job)`` returns
    one float per row of ``candidates`` (a pandas DataFrame), in row order,
    higher meaning a better match. ``fingerprint`` is a stable string that
    changes whenever the scores could change (adapter, version, parameters); it
    keys the score cache and is recorded in the audit's provenance.

    Optional attributes read by the scoring engine: ``name`` (str),
    ``batch_size`` (rows per call, ``None`` for all at once), ``concurrency``
    (calls in flight at once), ``needs_job`` (bool), ``deterministic`` (bool),
    ``uses_attributes`` (protected-attribute columns the matcher must see),
    ``failure_reasons()`` (counts of why scores are missing) and ``stats``
    (a dict of counters copied into the provenance). A score the matcher
    cannot give is NaN, never a guess: the engine counts it as a failure.

    Examples
    --------
    >>> import numpy as np
    >>> class Constant:
    ...     fingerprint = "constant-0.5"
    ...     def score(self, candidates, job):
    ...         return np.full(len(candidates), 0.5)
    >>> isinstance(Constant(), Matcher)
    True
    """

    @property
    def fingerprint(self) -> str:  # pragma: no cover - protocol
        """Stable identity of the matcher and every parameter that affects its scores."""
        ...

    def score(self, candidates: pd.DataFrame, job: Job | None) -> Any:  # pragma: no cover
        """One float per candidate, in row order, higher is better."""
        ...


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace, for hashing.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.5, None]})
    '{"a":[1.5,null],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, allow_nan=True)


def redact(text: str, secrets: Sequence[str | None] = ()) -> str:
    """``text`` with every secret replaced by ``***``.

    The one redaction used for provenance, cache metadata, reports and
    messages: the user information of URLs (``user:pass@``), the values of
    key-like parameters (``key``, ``api_key``, ``apikey``, ``token``,
    ``access_token``, ``secret``, ``password``, ``sig``, ``signature``; any
    case), ``Bearer``/``Basic`` credentials, and each of ``secrets`` (a token,
    header values) wherever it occurs.

    Parameters
    ----------
    text : str
        A URL, a message or a response body.
    secrets : sequence of str
        Values known to be secret; values shorter than 4 characters are ignored.

    Returns
    -------
    str
        The text with the secrets masked.

    Examples
    --------
    >>> redact("https://bob:hunter2@scoring.example/score?API_KEY=abc&model=v3")
    'https://***@scoring.example/score?API_KEY=***&model=v3'
    >>> redact("invalid token s3cret-42 for Bearer s3cret-42", ["s3cret-42"])
    'invalid token *** for Bearer ***'
    """
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len)[::-1]:
        text = text.replace(secret, REDACTED)
    text = _URL_CREDENTIALS.sub(rf"\1{REDACTED}@", text)
    text = _SECRET_PARAMETER.sub(rf"\1{REDACTED}", text)
    return _AUTH_VALUE.sub(rf"\1\2{REDACTED}", text)


class BaseMatcher:
    """Convenience base class: a fingerprint from ``name``, ``version`` and ``params()``.

    Subclasses set ``name`` and ``version`` (bump it when the scoring changes),
    implement :meth:`score` and :meth:`params` (every parameter that can change
    a score, JSON-serialisable, never a secret).
    """

    name: ClassVar[str] = "base"
    version: ClassVar[str] = "1"
    batch_size: int | None = 10_000
    concurrency: int = 1
    needs_job: bool = False
    deterministic: bool = True
    uses_attributes: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        """Parameters that affect the scores (recorded in the provenance)."""
        return {}

    @property
    def fingerprint(self) -> str:
        """``name:version:sha256(params)[:16]``, stable across runs and machines."""
        digest = hashlib.sha256(canonical_json(self.params()).encode()).hexdigest()[:16]
        return f"{self.name}:{self.version}:{digest}"

    def describe(self) -> dict[str, Any]:
        """Name, fingerprint and parameters, for the provenance."""
        return {"name": self.name, "fingerprint": self.fingerprint, "params": self.params()}

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        """Score ``candidates`` for ``job``; subclasses implement it."""
        raise NotImplementedError

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({shown})"

    #: Per-process caches that a pickled copy (e.g. on a Dask worker) starts without.
    _transient: ClassVar[tuple[str, ...]] = ("_last",)

    def __getstate__(self) -> dict[str, Any]:
        """Picklable state: locks are per process, so a copy gets fresh ones.

        Examples
        --------
        >>> import pickle
        >>> from biasaudit import matchers
        >>> original = matchers.get("skills")
        >>> copy = pickle.loads(pickle.dumps(original))
        >>> copy.fingerprint == original.fingerprint
        True
        """
        state = dict(self.__dict__)
        for key, value in state.items():
            if type(value) in _LOCK_TYPES:
                state[key] = _FreshLock(_LOCK_TYPES[type(value)] is threading.RLock)
        for key in self._transient:
            if key in state:
                state[key] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the state, with a new lock wherever the original held one."""
        for key, value in state.items():
            if isinstance(value, _FreshLock):
                state[key] = threading.RLock() if value.reentrant else threading.Lock()
        self.__dict__.update(state)


class _FreshLock:
    """Stands for a lock in pickled state; unpickling makes a new one."""

    def __init__(self, reentrant: bool) -> None:
        self.reentrant = reentrant


def text_of(candidates: pd.DataFrame, column: str | None, matcher: str) -> pd.Series:
    """The text column as strings, missing values as ``""``; a clear error if absent."""
    if column is None or column not in candidates.columns:
        raise E.ValidationError(
            E.MATCHER_MISSING_COLUMN.format(
                matcher=matcher,
                column=column,
                role="text_column",
                present=list(candidates.columns),
            )
        )
    series = candidates[column]
    return series.astype(object).where(series.notna(), "").astype(str)


def require_columns(
    candidates: pd.DataFrame, columns: Sequence[str], matcher: str, role: str
) -> None:
    """Raise a clear error when a column the matcher reads is missing."""
    for column in columns:
        if column not in candidates.columns:
            raise E.ValidationError(
                E.MATCHER_MISSING_COLUMN.format(
                    matcher=matcher, column=column, role=role, present=list(candidates.columns)
                )
            )


def as_list(value: Any) -> list[str]:
    """A list of strings from a list or a comma/semicolon-separated string (CLI options).

    Examples
    --------
    >>> as_list("python; sql, git")
    ['python', 'sql', 'git']
    >>> as_list(None)
    []
    """
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.replace(";", ",").replace("|", ",").split(",")
        return [p.strip() for p in parts if p.strip()]
    return [str(v).strip() for v in value if str(v).strip()]
