"""The DuckDB and Dask engines find the exact median in bounded memory, whatever the ties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

duckdb = pytest.importorskip("duckdb")

from biasaudit.engine import _duckdb as D  # noqa: E402


def _samples() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    return {
        "normal_even": rng.normal(size=10_000),
        "normal_odd": rng.normal(size=10_001),
        "ties": rng.integers(-3, 4, size=5_000).astype(float),
        "ties_odd": np.round(rng.exponential(size=4_999), 1),
        "constant": np.full(101, 2.5),
        "two_values": np.array([0.0] * 50 + [1.0] * 50),
        "tiny_spread": 1e9 + rng.integers(0, 3, size=2_000) * np.spacing(1e9),
        "one": np.array([-7.25]),
    }


@pytest.mark.parametrize("narrow", [False, True])
@pytest.mark.parametrize("name", sorted(_samples()))
def test_median_equals_numpy(name: str, narrow: bool, monkeypatch) -> None:
    values = _samples()[name]
    if narrow:  # force several narrowing passes before the gather
        monkeypatch.setattr(D, "_SELECT_BINS", 8)
        monkeypatch.setattr(D, "_GATHER_LIMIT", 40)
    q = D._Query(D.DuckDBSource(duckdb.connect().from_df(pd.DataFrame({"x": values})), "test", []))
    got = D._median(q, '"x"', len(values), float(values.min()), float(values.max()))
    assert got == float(np.median(values))


def test_narrowing_takes_few_passes(monkeypatch) -> None:
    values = np.random.default_rng(1).normal(size=200_000)
    q = D._Query(D.DuckDBSource(duckdb.connect().from_df(pd.DataFrame({"x": values})), "test", []))
    seen: list[str] = []
    rows = q.rows
    monkeypatch.setattr(q, "rows", lambda sql: seen.append(sql) or rows(sql))
    monkeypatch.setattr(D, "_GATHER_LIMIT", 1_000)
    got = D._median(q, '"x"', len(values), float(values.min()), float(values.max()))
    assert got == float(np.median(values))
    histograms = [s for s in seen if "GROUP BY b" in s]
    assert 1 <= len(histograms) <= 3  # 4096 bins: each pass divides the range a thousandfold


@pytest.mark.parametrize("narrow", [False, True])
def test_dask_median_equals_numpy(narrow: bool, monkeypatch) -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    from biasaudit.engine import _dask as K

    if narrow:
        monkeypatch.setattr(K, "_SELECT_BINS", 8)
        monkeypatch.setattr(K, "_GATHER_LIMIT", 40)
    with dask.config.set(scheduler="synchronous"):
        for name, values in _samples().items():
            series = dd.from_pandas(pd.Series(values), npartitions=3)
            got = K._median(series, len(values), float(values.min()), float(values.max()), dask)
            assert got == float(np.median(values)), name
