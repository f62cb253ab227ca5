"""Shared fixtures: a small seeded candidate table and a tolerant comparison of results."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd
import pytest


def _close(left: Any, right: Any, rtol: float) -> bool:
    """Equal, with NaN equal to NaN and floats within ``rtol`` (recursing into sequences)."""
    if isinstance(left, (list, tuple, np.ndarray)) and isinstance(right, (list, tuple, np.ndarray)):
        return len(left) == len(right) and all(_close(a, b, rtol) for a, b in zip(left, right))
    numbers = (Number, np.number)
    if (
        isinstance(left, numbers)
        and isinstance(right, numbers)
        and not isinstance(left, (bool, np.bool_))
        and not isinstance(right, (bool, np.bool_))
    ):
        a, b = float(left), float(right)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=rtol, abs_tol=rtol)
    if left is None or right is None:
        return left is None and right is None
    return bool(left == right)


def assert_close(left: Any, right: Any, where: str = "", rtol: float = 1e-9) -> None:
    """Assert two values (numbers, intervals, lists, None) agree; NaN matches NaN."""
    assert _close(left, right, rtol), f"{where}: {left!r} != {right!r}"


def assert_groups_close(
    left: pd.DataFrame, right: pd.DataFrame, columns: list[str] | None = None
) -> None:
    """Assert two ``AuditResult.groups`` frames hold the same numbers, row by row."""
    columns = list(left.columns) if columns is None else columns
    assert len(left) == len(right)
    assert set(columns) <= set(right.columns)
    for column in columns:
        for i, (a, b) in enumerate(zip(left[column], right[column])):
            assert_close(a, b, f"row {i} ({left['group'][i]}), column {column!r}")


@pytest.fixture(scope="session")
def close():
    """The ``assert_close`` helper (session-scoped, so hypothesis tests can use it)."""
    return assert_close


@pytest.fixture(scope="session")
def groups_close():
    """The ``assert_groups_close`` helper."""
    return assert_groups_close


@pytest.fixture
def candidates() -> pd.DataFrame:
    """120 seeded candidates: two attributes (race with missing values), job, score, decision."""
    rng = np.random.default_rng(20240611)
    n = 120
    frame = pd.DataFrame(
        {
            "cid": [f"c{i:03d}" for i in range(n)],
            "sex": rng.choice(["Female", "Male"], n),
            "race": rng.choice(["Asian", "Black", "White"], n).astype(object),
            "job": rng.choice(["j1", "j2", "j3"], n),
            "score": rng.integers(0, 33, n) / 32,
            "hired": rng.integers(0, 2, n),
        }
    )
    frame.loc[[3, 17, 40], "race"] = None
    frame.loc[[5], "race"] = "unknown"
    return frame
