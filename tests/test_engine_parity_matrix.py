"""Engine-parity matrix: each audit feature, on every engine, gives the pandas numbers.

tests/test_engine_parity.py compares the engines on a hand-made pool; this module
runs one test per (feature, engine) pair on the synthetic pool, so a gap shows up
in the test id. Engines: polars (eager and lazy), a DuckDB relation, Parquet (one
file, read into memory; a glob and a folder, reduced in DuckDB) and Dask; pandas
(the in-memory NumPy engine) is the reference. Features: an extra intersection,
exact AUC (also checked against scikit-learn), top-k and top-fraction decisions,
and ranking metrics (audit(ranking=...) and rank_audit).

Dask runs on the synchronous scheduler (no ``distributed`` cluster): the partitions
are still reduced one by one and summed, which is what parity depends on, and the
run is deterministic and fast. tests/test_engine_parity.py covers a real LocalCluster.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import biasaudit
from biasaudit.synth import make_pool

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

pytestmark = pytest.mark.filterwarnings("ignore::biasaudit.InsufficientDataWarning")

ENGINES = (
    "polars",
    "polars_lazy",
    "duckdb_relation",
    "parquet_file",
    "parquet_glob",
    "parquet_folder",
    "dask",
)
AUC_COLUMNS = ("auc", "auc_method", "auc_bin_error")
THREE = ["sex", "race", "education"]
EXTRA = ["sex", "race"]  # not a default combination of THREE (those are each alone + all three)


@functools.cache
def _synthetic(n: int, jobs: int) -> pd.DataFrame:
    frame = make_pool(n, jobs=jobs, seed=5, resume_text=False).data
    # Integer-rounded scores: many ties, so the exact AUC must be tie-aware.
    return frame.assign(coarse_score=frame["score"].round(0))


def _pool() -> pd.DataFrame:
    return _synthetic(3000, 3).copy()


_REFERENCES: dict[str, biasaudit.AuditResult] = {}


def _reference(**options: Any) -> biasaudit.AuditResult:
    """The pandas audit of :func:`_pool`, computed once for the whole engine matrix."""
    key = repr(sorted(options.items()))
    if key not in _REFERENCES:
        _REFERENCES[key] = biasaudit.audit(_pool(), **options)
    return _REFERENCES[key]


def _ranking_pool() -> pd.DataFrame:
    # Many short lists: FA*IR on three 1000-long lists would take seconds per call.
    return _synthetic(1000, 20).copy()


@pytest.fixture(autouse=True)
def _synchronous_dask():
    try:
        import dask
    except ImportError:  # the dask cases skip themselves
        yield
        return
    with dask.config.set(scheduler="synchronous"):
        yield


def _on(engine: str, df: pd.DataFrame, tmp_path: Path) -> Any:
    """``df`` as the input of ``engine``."""
    if engine == "polars":
        return pl.from_pandas(df)
    if engine == "polars_lazy":
        return pl.from_pandas(df).lazy()
    if engine == "duckdb_relation":
        return duckdb.connect().from_df(df)
    if engine == "dask":
        dd = pytest.importorskip("dask.dataframe")
        return dd.from_pandas(df, npartitions=3)
    lake = tmp_path / "lake"
    lake.mkdir()
    if engine == "parquet_file":
        df.to_parquet(lake / "pool.parquet", index=False)
        return str(lake / "pool.parquet")
    for i, rows in enumerate(np.array_split(np.arange(len(df)), 3)):
        df.iloc[rows].to_parquet(lake / f"part-{i}.parquet", index=False)
    return str(lake / "*.parquet") if engine == "parquet_glob" else str(lake)


def _engine_of(engine: str) -> str:
    # One Parquet file is read into memory (README: "a path to a CSV / Parquet file");
    # a glob or a folder is a lake, reduced in DuckDB.
    numpy = ("polars", "polars_lazy", "parquet_file")
    return "dask" if engine == "dask" else "numpy" if engine in numpy else "duckdb"


def _combinations(result: biasaudit.AuditResult) -> list[tuple[str, ...]]:
    return [tuple(c) for c in result.provenance["configuration"]["combinations"]]


def _rows_of(result: biasaudit.AuditResult, combo: list[str]) -> pd.DataFrame:
    groups = result.groups
    return groups[[list(a) == list(combo) for a in groups["attribute"]]].reset_index(drop=True)


def _without_auc(groups: pd.DataFrame) -> list[str]:
    return [c for c in groups.columns if c not in AUC_COLUMNS]


def _assert_dask_auc_is_the_binned_one(got, options: dict, groups_close) -> None:
    # Dask documents the binned AUC (README, "Dask": exact rank sums do not merge
    # across partitions), so it must equal the in-memory binned AUC, bin error
    # included, and lie within that bin error of the exact AUC.
    assert all(m.startswith("binned") for m in got.groups["auc_method"])
    binned = _reference(exact_auc=False, **options)
    groups_close(binned.groups, got.groups, list(AUC_COLUMNS))
    exact = _reference(**options).groups
    gap = (got.groups["auc"] - exact["auc"]).abs()
    defined = exact["auc"].notna()
    assert defined.sum() > 10
    assert (gap[defined] <= got.groups["auc_bin_error"][defined] + 1e-12).all()


# -- 1. an extra intersection ------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_extra_intersection_matches_pandas(engine: str, tmp_path: Path, groups_close) -> None:
    df = _pool()
    options = dict(
        attributes=THREE,
        intersections=[EXTRA],
        score="score",
        label="qualified",
        threshold=50.0,
        job="job_id",
    )
    expected = _reference(**options)
    defaults = _combinations(_reference(**{**options, "intersections": None}))
    assert tuple(EXTRA) not in defaults
    assert _combinations(expected) == [*defaults, tuple(EXTRA)]
    assert (expected.groups["auc_method"] == "exact").all()

    got = biasaudit.audit(_on(engine, df, tmp_path), **options)
    assert got.provenance["input"]["engine"] == _engine_of(engine)
    assert _combinations(got) == _combinations(expected)
    assert len(_rows_of(got, EXTRA)) == df["sex"].nunique() * df["race"].nunique()
    groups_close(expected.groups, got.groups, _without_auc(expected.groups))
    if engine == "dask":
        _assert_dask_auc_is_the_binned_one(got, options, groups_close)
        return
    # Every row, the extra intersection's included, has the exact AUC. Before the fix
    # DuckDB (relation and Parquet) gave the ('sex', 'race') rows the binned one.
    assert got.groups["auc_method"].tolist() == ["exact"] * len(got.groups)
    groups_close(expected.groups, got.groups, ["auc", "auc_method"])
    groups_close(_rows_of(expected, EXTRA), _rows_of(got, EXTRA), ["auc", "auc_method"])


# -- 2. exact AUC, with ties, against pandas and scikit-learn ----------------------------
def _sklearn_auc(df: pd.DataFrame, where: dict[str, str], score: str) -> float:
    rows = np.ones(len(df), dtype=bool)
    for column, value in where.items():
        rows &= (df[column] == value).to_numpy()
    return float(roc_auc_score(df.loc[rows, "qualified"], df.loc[rows, score]))


def _auc_of(result: biasaudit.AuditResult, where: dict[str, str]) -> tuple[float, str, float]:
    rows = _rows_of(result, list(where))
    for _, row in rows.iterrows():
        if list(row["group"]) == list(where.values()):
            return float(row["auc"]), row["auc_method"], float(row.get("auc_bin_error", np.nan))
    raise AssertionError(f"no group {where}")


SKLEARN_GROUPS = (
    {"sex": "Female"},
    {"race": "Black or African American"},
    {"education": "Master's degree"},
    {"sex": "Male", "race": "Hispanic or Latino"},  # the extra intersection
)


@pytest.mark.parametrize("engine", ENGINES)
def test_exact_auc_matches_pandas_and_sklearn(engine: str, tmp_path: Path, groups_close) -> None:
    df = _pool()
    assert df["coarse_score"].duplicated().sum() > 2500  # heavily tied
    options = dict(attributes=THREE, intersections=[EXTRA], score="coarse_score", label="qualified")
    expected = _reference(**options)
    for where in SKLEARN_GROUPS:  # the reference engine first
        auc, method, _ = _auc_of(expected, where)
        assert method == "exact"
        assert auc == pytest.approx(_sklearn_auc(df, where, "coarse_score"), rel=1e-12)

    got = biasaudit.audit(_on(engine, df, tmp_path), **options)
    groups_close(expected.groups, got.groups, _without_auc(expected.groups))
    if engine == "dask":
        _assert_dask_auc_is_the_binned_one(got, options, groups_close)
        for where in SKLEARN_GROUPS:
            auc, method, error = _auc_of(got, where)
            assert method.startswith("binned")
            assert abs(auc - _sklearn_auc(df, where, "coarse_score")) <= error + 1e-12
        return
    assert (got.groups["auc_method"] == "exact").all()
    np.testing.assert_allclose(
        got.groups["auc"].to_numpy(float),
        expected.groups["auc"].to_numpy(float),
        rtol=1e-12,
        atol=1e-12,
        equal_nan=True,
    )
    for where in SKLEARN_GROUPS:
        auc, method, _ = _auc_of(got, where)
        assert method == "exact"
        assert auc == pytest.approx(_sklearn_auc(df, where, "coarse_score"), rel=1e-12)


# -- 3. top-k and top-fraction decisions -------------------------------------------------
RULES = {
    "top_k_per_job": dict(top_k=25, job="job_id"),
    "top_k_per_job_flag": dict(top_k=25, per_job=True, job="job_id"),
    "top_k_pool": dict(top_k=300),
    "top_fraction_per_job": dict(top_fraction=0.1, per_job=True, job="job_id"),
    "top_fraction_pool": dict(top_fraction=0.1, job="job_id"),
}
DECISION_KEYS = ("rule", "k", "fraction", "per_job", "score_column", "jobs")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("rule", sorted(RULES))
def test_top_k_decisions_match_pandas(rule: str, engine: str, tmp_path: Path, groups_close) -> None:
    df = _pool()
    assert df["score"].is_unique  # no tie at a cut-off: SQL has no row order to break it
    options = dict(attributes=["sex", "race"], score="score", label="qualified", **RULES[rule])
    data = _on(engine, df, tmp_path)
    if engine == "dask":  # documented refusal: ranking within a job is not partition-wise
        name = "top_k" if "top_k" in RULES[rule] else "top_fraction"
        with pytest.raises(biasaudit.ValidationError, match=f"The {name} rule ranks candidates"):
            biasaudit.audit(data, **options)
        return
    expected = _reference(**options)
    got = biasaudit.audit(data, **options)
    np.testing.assert_array_equal(got.stats.cube, expected.stats.cube)
    groups_close(expected.groups, got.groups)
    want, have = (r.provenance["configuration"]["decision"] for r in (expected, got))
    # "jobs" of a pool-wide top fraction: see test_pool_wide_top_fraction_ranks_one_list.
    keys = [k for k in DECISION_KEYS if rule != "top_fraction_pool" or k != "jobs"]
    assert {k: want.get(k) for k in keys} == {k: have.get(k) for k in keys}
    sizes = df.groupby("job_id", observed=True).size() if "job" in RULES[rule] else None
    if "top_k" in RULES[rule]:  # the best k of each job (of the pool without a job)
        k = RULES[rule]["top_k"]
        quota = min(k, len(df)) if sizes is None else int(sizes.clip(upper=k).sum())
    elif RULES[rule].get("per_job"):
        quota = int(np.ceil(0.1 * sizes).sum())
    else:
        quota = int(np.ceil(0.1 * len(df)))
    assert int(_rows_of(got, ["sex"])["selected"].sum()) == quota


@pytest.mark.parametrize(
    "engine",
    [e for e in ENGINES if e != "dask"],
)
def test_pool_wide_top_fraction_ranks_one_list(engine: str, tmp_path: Path) -> None:
    # Without per_job the top fraction ranks the whole pool as one list, job column or
    # not; the provenance's "jobs" counts the lists ranked (decisions._select_top).
    df = _pool()
    options = dict(attributes=["sex"], score="score", top_fraction=0.1, job="job_id")
    assert _reference(**options).provenance["configuration"]["decision"]["jobs"] == 1
    got = biasaudit.audit(_on(engine, df, tmp_path), **options)
    assert got.provenance["configuration"]["decision"]["jobs"] == 1


# -- 4. ranking metrics ------------------------------------------------------------------
RANK_ROLES = dict(attributes=["sex", "race"], score="score", label="qualified", job="job_id")
RANK_AUDIT = dict(RANK_ROLES, k=[5, 15], n_bootstrap=50)


# The pandas references are computed once for the whole engine matrix.
@functools.cache
def _pandas_ranking_section(which: str) -> dict:
    ranking = True if which == "true" else {"k": [10, 20]}
    options = dict(RANK_ROLES, threshold=50.0, ranking=ranking)
    return biasaudit.audit(_ranking_pool(), **options).sections["ranking"]


@functools.cache
def _pandas_rank_audit() -> biasaudit.RankingResult:
    return biasaudit.rank_audit(_ranking_pool(), **RANK_AUDIT)


def _assert_same_records(want: list[dict], have: list[dict], where: str, close) -> None:
    assert len(want) == len(have) > 50, where
    for i, (a, b) in enumerate(zip(want, have)):
        assert a.keys() == b.keys(), f"{where} row {i}"
        for key in a:
            close(a[key], b[key], f"{where} row {i} ({a.get('metric')}) {key}", rtol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("ranking", [True, {"k": [10, 20]}], ids=["true", "k_10_20"])
def test_audit_ranking_section_matches_pandas(
    ranking: Any, engine: str, tmp_path: Path, close
) -> None:
    df = _ranking_pool()
    assert df["score"].is_unique  # ordering needs no tie-break, so SQL order is pandas order
    options = dict(RANK_ROLES, threshold=50.0, ranking=ranking)
    expected = _pandas_ranking_section("true" if ranking is True else "k_10_20")
    got = biasaudit.audit(_on(engine, df, tmp_path), **options).sections["ranking"]
    assert expected["configuration"]["k"] == [10, 20]
    assert sorted({m["metric"] for m in expected["metrics"]}) == sorted(
        {m["metric"] for m in got["metrics"]}
    )
    _assert_same_records(expected["metrics"], got["metrics"], engine, close)
    assert got["facts"] == expected["facts"]
    assert got["configuration"] == expected["configuration"]


@pytest.mark.parametrize("engine", ENGINES)
def test_rank_audit_matches_pandas(engine: str, tmp_path: Path, close) -> None:
    df = _ranking_pool()
    expected = _pandas_rank_audit()
    got = biasaudit.rank_audit(_on(engine, df, tmp_path), **RANK_AUDIT)
    want, have = expected.to_frame(), got.to_frame()
    assert list(want.columns) == list(have.columns)
    _assert_same_records(want.to_dict("records"), have.to_dict("records"), engine, close)
    pd.testing.assert_frame_equal(expected.per_job, got.per_job, obj=engine)
    assert got.facts == expected.facts
    assert got.configuration == expected.configuration
