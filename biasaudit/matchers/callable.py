"""The ``callable`` adapter: any Python function as a matcher."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import validate_params
from biasaudit.matchers._base import BATCH_SIZE, FLAG, BaseMatcher
from biasaudit.matchers._jobs import Job
from biasaudit.matchers._registry import _load

__all__ = ["CallableMatcher"]


def _import(target: str) -> Callable[..., Any]:

    if ":" not in target:
        raise E.ValidationError(
            E.BAD_PARAMETER.format(
                name="func",
                expected="a function or 'module:function'",
                value=target,
                fix="Pass e.g. func='mypackage.scoring:score'.",
            )
        )
    try:
        return _load(target)
    except (ImportError, AttributeError) as exc:
        raise E.ValidationError(
            E.BAD_PARAMETER.format(
                name="func",
                expected="an importable 'module:function'",
                value=target,
                fix=f"It could not be imported ({exc}).",
            )
        ) from exc


def _code_digest(func: Callable[..., Any]) -> str:
    """Hash of the function's source (or bytecode), so editing it changes the fingerprint."""
    try:
        text = inspect.getsource(func).encode()
    except (OSError, TypeError):
        code = getattr(func, "__code__", None)
        text = (
            code.co_code + repr(code.co_consts).encode()
            if code is not None
            else repr(func).encode()
        )
    return hashlib.sha256(text).hexdigest()[:16]


class CallableMatcher(BaseMatcher):
    """Any Python function as a matcher.

    Parameters
    ----------
    func : callable or str
        ``func(candidates, job) -> scores`` (a DataFrame batch and a
        :class:`Job` or ``None``; one number per row), or with ``per_row=True``
        ``func(row, job) -> score`` with ``row`` a dict. A string
        ``"module:function"`` is imported (for the command line).
    per_row : bool
        Call ``func`` once per candidate instead of once per batch.
    name : str, optional
        Shown in progress bars and the provenance (default: the function's name).
    params : mapping, optional
        Settings the function depends on; they go into the fingerprint, so
        changing them invalidates cached scores.
    batch_size : int
        Candidates per call.
    needs_job : bool
        Refuse to run without job postings.

    Notes
    -----
    The fingerprint hashes the function's source code (or bytecode), its
    ``params`` and nothing else: a function that reads global state or files
    should list what it depends on in ``params``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = CallableMatcher(lambda c, job: c["years"] / 10, name="experience")
    >>> m.score(pd.DataFrame({"years": [2, 5]}), None)
    array([0.2, 0.5])
    """

    name = "callable"
    version = "1"

    @validate_params({"per_row": FLAG, "batch_size": BATCH_SIZE, "needs_job": FLAG})
    def __init__(
        self,
        func: Callable[..., Any] | str,
        *,
        per_row: bool = False,
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
        batch_size: int = 10_000,
        needs_job: bool = False,
    ) -> None:
        self.func = _import(func) if isinstance(func, str) else func
        if not callable(self.func):
            raise E.ValidationError(E.NOT_A_MATCHER.format(what=repr(func)))
        self.per_row = bool(per_row)
        self.label = name or getattr(self.func, "__qualname__", type(self.func).__name__)
        self.extra = dict(params or {})
        self.batch_size = int(batch_size)
        self.needs_job = bool(needs_job)
        # Taken once: a pickled copy (a Dask worker's) may not find the source again.
        self.code = _code_digest(self.func)

    def params(self) -> dict[str, Any]:
        """Function name, code digest, ``per_row`` and the user's ``params``."""
        return {
            "function": f"{getattr(self.func, '__module__', '?')}.{self.label}",
            "code": self.code,
            "per_row": self.per_row,
            "params": self.extra,
        }

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        """Call the function on the batch (or on each row)."""
        if self.per_row:
            rows = candidates.to_dict("records")
            return np.array([float(self.func(row, job)) for row in rows], dtype=np.float64)
        out = self.func(candidates, job)
        if isinstance(out, (pd.Series, pd.DataFrame)):
            out = out.to_numpy()
        try:
            return np.asarray(out, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):  # the engine reports non-numeric output clearly
            return np.asarray(out, dtype=object).reshape(-1)
