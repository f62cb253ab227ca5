"""rank_audit's options: validation and the attention models."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from biasaudit import _errors as E
from biasaudit.metrics import ranking as R
from biasaudit.ranking._messages import BAD_OPTION

# -- validation and positions ------------------------------------------------------


def cutoffs(k: int | Sequence[int]) -> tuple[int, ...]:
    """The top-k cut-offs, sorted and without repeats (validated by rank_audit's constraints).

    Examples
    --------
    >>> cutoffs(10), cutoffs((20, 10, 20))
    ((10,), (10, 20))
    """
    ks = (k,) if isinstance(k, (int, np.integer)) else tuple(k)
    return tuple(sorted({int(v) for v in ks}))


def _attention(positions: np.ndarray, model: Any) -> np.ndarray:
    """The attention model's weights, checked when the model is the user's function."""
    weights = R.attention_weights(positions, model)
    bad = weights.shape != positions.shape or not (np.isfinite(weights) & (weights >= 0)).all()
    if bad:
        raise E.ValidationError(
            BAD_OPTION.format(
                name="attention",
                expected="a function returning one finite, non-negative weight per position",
                value=model,
                fix="Return an array as long as the positions passed in.",
            )
        )
    return weights


def _attention_text(model: Any) -> str:
    if callable(model):
        return f"user function {getattr(model, '__name__', type(model).__name__)} of the position"
    if np.ndim(model) == 1:
        shown = ", ".join(f"{w:g}" for w in np.asarray(model, dtype=float)[:10])
        more = ", ..." if len(model) > 10 else ""
        return f"given weights by position [{shown}{more}], 0 beyond position {len(model)}"
    return f"geometric p(1-p)^(position-1), p={float(model):g}"
