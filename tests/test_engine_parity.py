"""The same audit on every engine gives the same counts and metrics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit.ranking import RankingResult, rank_audit

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")


def _pool(n: int = 6000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male", None], n, p=[0.48, 0.49, 0.03])
    race = rng.choice(["Asian", "Black", "Hispanic", "White", "Unknown"], n)
    label = rng.random(n) < 0.35
    # Continuous scores, so no tie straddles a top-k cut (SQL has no row order).
    score = rng.normal(size=n) + 0.4 * label - 0.2 * (race == "Black")
    return pd.DataFrame(
        {
            "cid": np.arange(n),
            "sex": sex,
            "race": race,
            "job": rng.choice(["j1", "j2", "j3", "j4"], n),
            "label": label.astype(int),
            "hired": (rng.random(n) < 0.2 + 0.1 * label).astype(int),
            "score": score,
        }
    )


AUDITS = {
    "given": dict(selected="hired", label="label", job="job"),
    "threshold": dict(score="score", threshold=0.5, label="label"),
    "top_k": dict(score="score", top_k=50, job="job", label="label", id="cid"),
    "top_fraction": dict(score="score", top_fraction=0.15, label="label"),
    "top_fraction_per_job": dict(score="score", top_fraction=0.1, per_job=True, job="job"),
    "scoring_only": dict(score="score"),
}


def _engines(df: pd.DataFrame, tmp_path: Path) -> dict:
    lake = tmp_path / "lake"
    lake.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(df)), 3)):
        df.iloc[part].to_parquet(lake / f"part-{i}.parquet", index=False)
    con = duckdb.connect()
    return {
        "polars": pl.from_pandas(df),
        "polars_lazy": pl.from_pandas(df).lazy(),
        "pyarrow": pa.Table.from_pandas(df, preserve_index=False),
        "duckdb_relation": con.from_df(df),
        "parquet_glob": str(lake / "*.parquet"),
        "parquet_folder": str(lake),
    }


def _numbers(result: biasaudit.AuditResult) -> pd.DataFrame:
    frame = result.groups_frame().drop(columns=["attribute", "group"])
    return frame.set_index(["attribute_label", "group_label"]).sort_index()


def _assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.index) == list(right.index)
    for column in left.columns:
        if column in ("auc_method", "auc", "auc_bin_error"):
            continue
        for a, b in zip(left[column], right[column]):
            if isinstance(a, tuple):
                for x, y in zip(a, b):
                    assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(
                        y, rel=1e-12, abs=1e-12
                    ), column
            elif isinstance(a, float) and math.isnan(a):
                assert isinstance(b, float) and math.isnan(b), column
            elif isinstance(a, (float, np.floating)):
                assert a == pytest.approx(b, rel=1e-12, abs=1e-12), column
            else:
                assert a == b, column


@pytest.mark.parametrize("name", sorted(AUDITS))
def test_every_engine_gives_the_pandas_numbers(name: str, tmp_path: Path) -> None:
    df = _pool()
    options = dict(attributes=["sex", "race"], **AUDITS[name])
    expected = biasaudit.audit(df, **options)
    for engine, data in _engines(df, tmp_path).items():
        got = biasaudit.audit(data, **options)
        assert got.stats.n_rows == expected.stats.n_rows, engine
        assert got.stats.scoring_threshold == expected.stats.scoring_threshold, engine
        np.testing.assert_array_equal(got.stats.cube.sum(axis=-4), expected.stats.cube.sum(axis=-4))
        _assert_same(_numbers(expected), _numbers(got))
        assert got.provenance["rows"]["unknown"] == expected.provenance["rows"]["unknown"]


def test_a_lazy_frame_materialises_only_the_role_columns() -> None:
    df = _pool(500)

    def boom(series: pl.Series) -> pl.Series:
        raise RuntimeError("an unused column was computed")

    lazy = (
        pl.from_pandas(df)
        .lazy()
        .with_columns(unused=pl.col("score").map_batches(boom, return_dtype=pl.Float64))
    )
    with pytest.raises(Exception, match="an unused column was computed"):
        lazy.collect()
    options = dict(attributes=["sex", "race"], score="score", threshold=0.2, label="label")
    got = biasaudit.audit(lazy, **options)
    _assert_same(_numbers(biasaudit.audit(df, **options)), _numbers(got))
    with pytest.raises(biasaudit.ValidationError) as caught:  # every column named, as in memory
        biasaudit.audit(lazy, attributes=["sex"], selected="nope")
    assert "Columns present: ['cid', 'sex', 'race', 'job', 'label', 'hired', 'score', " in str(
        caught.value
    )


# -- ranking metrics on every engine ---------------------------------------------------
RANKINGS = {
    "by_score": dict(job="job", score="score", label="label", k=(5, 40)),
    "by_rank": dict(job="job", rank="position", k=(10,)),
    "tied_scores": dict(job="job", score="coarse", k=(5, 40)),
}


def _ranking_pool(n: int = 3000) -> pd.DataFrame:
    df = _pool(n)
    df["job"] = np.random.default_rng(3).choice([f"r{i:02d}" for i in range(30)], n)
    df["position"] = df.groupby("job")["score"].rank(ascending=False, method="first").astype(int)
    df["coarse"] = df["score"].round(1)  # ties straddle the cut-offs
    return df


def _rank(data, options: dict) -> RankingResult:
    from biasaudit.engine._ranking import ranking_input

    roles = {k: options.get(k) for k in ("attributes", "job", "score", "rank", "label")}
    return rank_audit(ranking_input(data, id="cid", **roles), **options)


def _assert_same_ranking(expected, got, engine: str) -> None:
    left, right = expected.to_frame(), got.to_frame()
    assert len(left) == len(right) > 90, engine
    for column in left.columns:
        if column in ("value", "ci_low", "ci_high", "p_value"):
            np.testing.assert_allclose(
                right[column].to_numpy(float),
                left[column].to_numpy(float),
                rtol=1e-12,
                atol=1e-12,
                equal_nan=True,
                err_msg=f"{engine}: {column}",
            )
        else:
            assert left[column].astype(str).tolist() == right[column].astype(str).tolist(), engine
    pd.testing.assert_frame_equal(expected.per_job, got.per_job, obj=engine)
    assert got.facts == expected.facts, engine
    assert got.configuration == expected.configuration, engine


@pytest.mark.parametrize("name", sorted(RANKINGS))
def test_ranking_on_every_engine_gives_the_pandas_numbers(name: str, tmp_path: Path) -> None:
    df = _ranking_pool()
    options = dict(attributes=["sex", "race"], n_bootstrap=50, **RANKINGS[name])
    expected = rank_audit(df, **options)
    if name == "tied_scores":
        assert sum(expected.facts["jobs_with_ties_at_cutoff"].values()) > 0
    for engine, data in _engines(df, tmp_path).items():
        _assert_same_ranking(expected, _rank(data, options), engine)


def test_rank_audit_reads_any_engine_input_directly(tmp_path: Path) -> None:
    # rank_audit(lake / relation / LazyFrame) orders the rows where they live; with
    # distinct scores no tie-break is needed, so even a DuckDB relation matches pandas.
    df = _ranking_pool()
    options = dict(attributes=["sex", "race"], n_bootstrap=50, **RANKINGS["by_score"])
    assert df["score"].is_unique
    expected = rank_audit(df, **options)
    for engine, data in _engines(df, tmp_path).items():
        _assert_same_ranking(expected, rank_audit(data, **options), engine)


def test_ranking_input_orders_in_duckdb_and_reads_only_the_role_columns(tmp_path: Path) -> None:
    from biasaudit.engine._ranking import ranking_input

    df = _ranking_pool(2000)
    lake = tmp_path / "lake"
    lake.mkdir()
    df.iloc[:900].to_parquet(lake / "a.parquet", index=False)
    df.iloc[900:].to_parquet(lake / "b.parquet", index=False)
    table = ranking_input(
        str(lake), attributes=["sex", "race"], job="job", score="coarse", label="label"
    )
    assert table.column_names == ["sex", "race", "job", "coarse", "label"]
    assert pa.types.is_dictionary(table.column("sex").type)
    got = table.to_pandas()
    expected = df.assign(row=np.arange(len(df))).sort_values(
        ["job", "coarse", "row"], ascending=[True, False, True], kind="stable"
    )
    assert got["coarse"].tolist() == expected["coarse"].tolist()
    # missing values read back as None or NaN depending on the pandas version
    assert got["sex"].astype(object).fillna("<NA>").tolist() == (
        expected["sex"].astype(object).fillna("<NA>").tolist()
    )
    with pytest.raises(biasaudit.ValidationError) as caught:
        ranking_input(str(lake), attributes=["sex"], job="job", score="nope")
    assert str(caught.value).startswith(
        "Column 'nope' is not in the pool. Columns present: ['cid',"
    )
    assert "file_row_number" not in str(caught.value)


def test_duckdb_exact_auc_matches_numpy(tmp_path: Path) -> None:
    df = _pool()
    df["score"] = df["score"].round(1)  # many ties
    options = dict(attributes=["sex", "race"], score="score", threshold=0.0, label="label")
    expected = _numbers(biasaudit.audit(df, **options))
    got = _numbers(biasaudit.audit(duckdb.connect().from_df(df), **options))
    np.testing.assert_allclose(got["auc"], expected["auc"], rtol=1e-12)
    assert (got["auc_method"] == "exact").all()


def test_binned_auc_within_its_bin_error() -> None:
    df = _pool()
    options = dict(attributes=["sex", "race"], score="score", threshold=0.0, label="label")
    exact = _numbers(biasaudit.audit(df, **options))
    binned = _numbers(biasaudit.audit(df, exact_auc=False, **options))
    gap = (binned["auc"] - exact["auc"]).abs()
    assert (gap <= binned["auc_bin_error"] + 1e-12).all()


def test_parquet_lake_provenance_hashes_the_files(tmp_path: Path) -> None:
    import hashlib

    df = _pool(500)
    lake = tmp_path / "lake"
    lake.mkdir()
    df.iloc[:250].to_parquet(lake / "a.parquet", index=False)
    df.iloc[250:].to_parquet(lake / "b.parquet", index=False)
    result = biasaudit.audit(str(lake / "*.parquet"), attributes=["sex"], selected="hired")
    digest = hashlib.sha256()
    for name in ("a.parquet", "b.parquet"):
        digest.update((lake / name).read_bytes())
    assert result.provenance["input"]["sha256"] == digest.hexdigest()
    assert result.provenance["input"]["engine"] == "duckdb"


def test_duckdb_validation_messages_match_the_in_memory_ones() -> None:
    df = _pool(300)
    df.loc[[3, 17], "score"] = np.nan
    rel = duckdb.connect().from_df(df)
    for data in (df, rel):
        with pytest.raises(biasaudit.ValidationError) as caught:
            biasaudit.audit(data, attributes=["sex"], score="score", threshold=0.1, id="cid")
        assert str(caught.value) == (
            "Score column 'score' has 2 NaN or infinite value(s) (first ids: [3, 17]). "
            "Drop or impute those rows before the audit."
        )
    bad = _pool(300)
    bad.loc[5, "hired"] = 2
    for data in (bad, duckdb.connect().from_df(bad)):
        with pytest.raises(biasaudit.ValidationError, match=r"found other values: \[2\]"):
            biasaudit.audit(data, attributes=["sex"], selected="hired")
    with pytest.raises(biasaudit.ValidationError, match="Column 'nope' is not in the pool"):
        biasaudit.audit(duckdb.connect().from_df(df), attributes=["nope"], selected="hired")


@pytest.mark.parametrize(
    "values",
    [["true", "false"], ["yes", "no"], [0.0, 0.5], [True, False], [0, 1]],
    ids=["text-true-false", "text-yes-no", "fraction", "booleans", "zero-one"],
)
def test_duckdb_accepts_exactly_the_binary_columns_the_pool_accepts(values: list) -> None:
    # Text such as 'true'/'false' is refused in memory; DuckDB used to accept it (or
    # fail with a raw conversion error) because it compared the values cast to text.
    df = pd.DataFrame({"sex": ["F", "M"] * 20, "hired": values * 20})
    outcomes = []
    for data in (df, duckdb.connect().from_df(df)):
        try:
            rates = biasaudit.audit(data, attributes=["sex"], selected="hired").groups_frame()
            outcomes.append(rates["selection_rate"].tolist())
        except biasaudit.ValidationError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1]


DASK_AUDITS = ("given", "threshold", "scoring_only")


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("name", DASK_AUDITS)
def test_dask_on_a_local_cluster_gives_the_pandas_numbers(name: str, dask_client) -> None:
    dd = pytest.importorskip("dask.dataframe")
    df = _pool()
    df.loc[df.index[::97], "score"] = df["score"].iloc[0]  # ties at arbitrary places
    options = dict(attributes=["sex", "race"], exact_auc=False, **AUDITS[name])
    expected = biasaudit.audit(df, **options)
    got = biasaudit.audit(dd.from_pandas(df, npartitions=5), **options)
    assert got.provenance["input"]["engine"] == "dask"
    assert got.stats.scoring_threshold == expected.stats.scoring_threshold
    np.testing.assert_array_equal(got.stats.cube, expected.stats.cube)
    if expected.stats.hist is not None:
        np.testing.assert_array_equal(got.stats.hist, expected.stats.hist)
    _assert_same(_numbers(expected), _numbers(got))


def test_dask_errors_name_global_rows_and_refuse_pool_wide_rules(dask_client) -> None:
    dd = pytest.importorskip("dask.dataframe")
    df = _pool(400)
    df.loc[[5, 350], "score"] = np.inf
    ddf = dd.from_pandas(df.drop(columns="cid"), npartitions=4)
    with pytest.raises(biasaudit.ValidationError) as caught:
        biasaudit.audit(ddf, attributes=["sex"], score="score", threshold=0.0)
    assert str(caught.value) == (
        "Score column 'score' has 2 NaN or infinite value(s) (first rows: [6, 351]; row 1 is "
        "the first row of data, after the header). Drop or impute those rows before the audit."
    )
    with pytest.raises(biasaudit.ValidationError, match="ranks candidates across a whole job"):
        biasaudit.audit(ddf, attributes=["sex"], score="score", top_k=3)


def test_ranking_on_dask_gives_the_pandas_numbers(dask_client) -> None:
    dd = pytest.importorskip("dask.dataframe")
    df = _ranking_pool()
    for name in sorted(RANKINGS):
        options = dict(attributes=["sex", "race"], n_bootstrap=50, **RANKINGS[name])
        expected = rank_audit(df, **options)
        _assert_same_ranking(expected, _rank(dd.from_pandas(df, npartitions=5), options), name)


def test_a_duckdb_relation_is_reduced_inside_duckdb() -> None:
    # DuckDB 1.x puts the relation class in module '_duckdb', 2.x in 'duckdb._relation':
    # both must take the DuckDB engine, not be pulled into memory as a table.
    df = _pool(300)
    result = biasaudit.audit(duckdb.connect().from_df(df), attributes=["sex"], selected="hired")
    assert result.provenance["input"]["engine"] == "duckdb"
