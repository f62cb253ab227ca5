"""One conversion of Python, NumPy and pandas values to plain JSON data."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["clean"]


def clean(value: Any) -> Any:
    """Plain JSON value: NaN -> None, NumPy scalars -> Python, tuples -> lists."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return value
