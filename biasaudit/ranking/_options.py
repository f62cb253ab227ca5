"""rank_audit's options: validation and the attention models."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from biasaudit import _errors as E
from biasaudit.metrics import ranking as R
from biasaudit.ranking._messages import BAD_OPTION

# -- validation and positions ------------------------------------------------------


def _check_options(
    k: int | Sequence[int],
    attention: Any,
    alpha: float,
    step: int,
    n_bootstrap: int,
    fair_max_length: int | None = None,
) -> tuple[int, ...]:
    # A bool is kept as one value (refused just below), not iterated (a TypeError).
    ks = (k,) if isinstance(k, (int, np.integer)) else tuple(k)
    if not ks or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in ks):
        raise E.ValidationError(
            BAD_OPTION.format(name="k", expected="positive integers", value=k, fix="e.g. k=(10,)")
        )
    checks = [
        ("k", all(v >= 1 for v in ks), "positive integers", k, "Pass e.g. k=(10, 20)."),
        (
            "attention",
            _attention_ok(attention),
            "a number in (0, 1] (geometric p), a sequence of non-negative weights by "
            "position, or a function of the positions",
            attention,
            "Pass e.g. attention=0.5, or attention=[0.3, 0.15, 0.1].",
        ),
    ]
    for name, ok, expected, value, fix in checks:
        if not ok:
            raise E.ValidationError(
                BAD_OPTION.format(name=name, expected=expected, value=value, fix=fix)
            )
    return tuple(sorted({int(v) for v in ks}))


def _attention_ok(model: Any) -> bool:
    if callable(model):
        return True
    if isinstance(model, (int, float, np.integer, np.floating)) and not isinstance(model, bool):
        return 0 < float(model) <= 1
    try:
        weights = np.asarray(model, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return bool(
        weights.ndim == 1 and len(weights) and np.isfinite(weights).all() and (weights >= 0).all()
    )


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
