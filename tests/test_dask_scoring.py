"""Scoring a Dask DataFrame with a matcher on the workers of a real LocalCluster."""

from __future__ import annotations

import math
import os
import pickle
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import matchers
from biasaudit.matchers import Job, MatcherError, ScoreCache

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "matchers"))
from fake_servers import ChatServer, ScoringServer  # noqa: E402

# The matchers below are defined in this test module, which the workers cannot
# import: send them by value, as cloudpickle does for a notebook or a script.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

RESUMES = [
    "Python developer with SQL and Git; built REST APIs in Python.",
    "Registered nurse: patient care, IV therapy, BLS certification.",
    "Data analyst. Excel, Tableau dashboards, SQL, statistics.",
    "Forklift operation, inventory, shipping and receiving.",
    "Python and SQL analyst; Excel power user.",
    "",
]
JOBS = (
    Job("J1", "Data Analyst", "Analyse data with SQL and Excel.", ["SQL", "Excel"], ["Python"], 3),
    Job("J2", "Software Engineer", "Build services in Python.", ["Python", "SQL"], [], 2),
    Job("J3", "Nurse", "Patient care on a busy ward.", ["patient care"], ["BLS"], 1),
)


def _pool(n: int = 1200, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = rng.integers(0, 15, n).astype(float)
    return pd.DataFrame(
        {
            "cid": np.arange(n),
            "sex": rng.choice(["Female", "Male", None], n, p=[0.49, 0.48, 0.03]),
            "race": rng.choice(["Asian", "Black", "Hispanic", "White"], n),
            "job_id": rng.choice(["J1", "J2", "J3"], n),
            "resume_text": [
                f"{RESUMES[i % len(RESUMES)]} {int(years[i])} years." for i in range(n)
            ],
            "skills": rng.choice(["Python, SQL", "SQL; Excel", "Excel", "patient care", ""], n),
            "years_experience": years,
            "qualified": (rng.random(n) < 0.4).astype(int),
            "hired": (rng.random(n) < 0.25).astype(int),
        }
    )


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _numbers(result: biasaudit.AuditResult) -> pd.DataFrame:
    frame = result.groups_frame().drop(columns=["attribute", "group"])
    return frame.set_index(["attribute_label", "group_label"]).sort_index()


def _assert_same_audit(expected: biasaudit.AuditResult, got: biasaudit.AuditResult) -> None:
    """Identical counts and histograms; every metric equal to 1e-12."""
    np.testing.assert_array_equal(got.stats.cube, expected.stats.cube)
    assert got.stats.scoring_threshold == expected.stats.scoring_threshold
    if expected.stats.hist is not None:
        np.testing.assert_array_equal(got.stats.hist, expected.stats.hist)
    left, right = _numbers(expected), _numbers(got)
    assert list(left.index) == list(right.index)
    checked = 0
    for column in left.columns:
        if column in ("auc_method", "auc", "auc_bin_error"):
            continue  # exact on pandas, binned on Dask: compared to the bin error below
        for a, b in zip(left[column], right[column]):
            if isinstance(a, tuple):
                for x, y in zip(a, b):
                    assert (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-12, column
            elif isinstance(a, float) and math.isnan(a):
                assert isinstance(b, float) and math.isnan(b), column
            elif isinstance(a, (float, np.floating)):
                assert abs(a - b) <= 1e-12 * max(1.0, abs(a)), column
                checked += 1
            else:
                assert a == b, column
    assert checked > 50
    if "auc" in right:
        gap = (right["auc"] - left["auc"]).abs().dropna()
        assert (gap <= right.loc[gap.index, "auc_bin_error"] + 1e-12).all()


def _pids_log(directory: Path) -> set[int]:
    return {int(p.name.split("-")[0]) for p in directory.glob("*.log")}


def _log_rows(directory: Path) -> list[int]:
    rows: list[int] = []
    for path in directory.glob("*.log"):
        rows += [int(x) for x in path.read_text().split()]
    return rows


class LoggingExperience(matchers.BaseMatcher):
    """Scores experience; logs every row it scores, per process and thread, to a folder.

    ``broken_if`` names a file: while it exists, scoring the row with
    ``cid == broken_row`` raises, as a crashing matcher would.
    """

    name = "logging-experience"
    version = "1"

    def __init__(self, log: Path, *, broken_if: Path | None = None, broken_row: int = -1):
        self.log = str(log)
        self.broken_if = None if broken_if is None else str(broken_if)
        self.broken_row = broken_row
        self.batch_size = 50
        self.nan_every = 0

    def params(self) -> dict:
        return {"nan_every": self.nan_every}  # the log and the fault switch change no score

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        cid = candidates["cid"].to_numpy()
        if self.broken_if and os.path.exists(self.broken_if) and (cid == self.broken_row).any():
            raise RuntimeError(f"cannot read candidate {self.broken_row}")
        name = f"{os.getpid()}-{threading.get_ident()}.log"
        with open(os.path.join(self.log, name), "a") as handle:
            handle.write(" ".join(map(str, cid.tolist())) + "\n")
        scores = candidates["years_experience"].to_numpy(dtype=float) / 15.0
        if self.nan_every:
            scores = np.where(cid % self.nan_every == 7, np.nan, scores)
        return scores


# -- the same numbers as the single-process audit ------------------------------------
CASES = {
    # each row scored for its own job, threshold rule, label: every metric
    "tfidf_own_job": dict(
        matcher="tfidf",
        text_column="resume_text",
        jobs=JOBS,
        job="job_id",
        label="qualified",
        threshold=0.15,
    ),
    # every candidate for every job (no job column): the table is repeated per job
    "skills_every_job": dict(matcher="skills", jobs=JOBS, label="qualified", threshold=0.5),
    # a plain function, scoring rate only
    "function_scoring_rate": dict(
        matcher=lambda c, job: c["years_experience"] / 10 + c["resume_text"].str.len() / 1e3,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_scoring_on_workers_gives_the_single_process_numbers(case, client) -> None:
    df = _pool()
    options = dict(attributes=["sex", "race"], **CASES[case])
    expected = biasaudit.audit(df, **options)
    got = biasaudit.audit(dd.from_pandas(df, npartitions=5), **options)
    assert got.provenance["input"]["engine"] == "dask"
    assert got.stats.n_rows == expected.stats.n_rows == len(df) * (3 if "every" in case else 1)
    _assert_same_audit(expected, got)
    record = got.provenance["metadata"]["matcher"]
    single = expected.provenance["metadata"]["matcher"]
    for key in ("fingerprint", "score_column", "job_column", "jobs", "hidden_columns"):
        assert record[key] == single[key], key
    assert record["every_candidate_for_every_job"] is ("every" in case)
    assert record["scoring"] == {
        "pairs": got.stats.n_rows,
        "scored": got.stats.n_rows,
        "from_cache": 0,
        "failed": 0,
    }
    assert record["scored_on"] == "dask workers (5 partitions)"


def test_partitions_are_scored_on_the_worker_processes(client, tmp_path) -> None:
    df = _pool(600)
    log = tmp_path / "log"
    log.mkdir()
    matcher = LoggingExperience(log)
    result = biasaudit.audit(
        dd.from_pandas(df, npartitions=6), attributes=["sex"], matcher=matcher, threshold=0.5
    )
    workers = set(client.run(os.getpid).values())
    assert len(workers) == 2 and os.getpid() not in workers
    assert _pids_log(log) <= workers  # never the client process
    assert sorted(_log_rows(log)) == list(range(600))  # each row scored exactly once
    expected = biasaudit.audit(
        df, attributes=["sex"], matcher=LoggingExperience(log), threshold=0.5
    )
    np.testing.assert_array_equal(result.stats.cube, expected.stats.cube)
    # the matcher never saw the protected attributes
    assert result.provenance["metadata"]["matcher"]["hidden_columns"] == ["sex"]


# -- the shared cache and failures ------------------------------------------------------
def test_a_crashing_matcher_loses_no_work_and_the_rerun_scores_only_the_rest(
    client, tmp_path
) -> None:
    df = _pool(1000)
    ddf = dd.from_pandas(df, npartitions=4)  # 250 rows each, batches of 50
    log, cache = tmp_path / "log", tmp_path / "cache"
    log.mkdir()
    switch = tmp_path / "broken"
    switch.touch()
    options = dict(attributes=["sex", "race"], threshold=0.5, label="qualified", cache=cache)
    # Row 620 is in partition 2 (rows 500-749), batch 620-649 of it.
    broken = LoggingExperience(log, broken_if=switch, broken_row=620)
    with pytest.raises(MatcherError) as caught:
        biasaudit.audit(ddf, matcher=broken, **options)
    assert str(caught.value) == (
        "Matcher 'logging-experience' failed while scoring job None: "
        "RuntimeError: cannot read candidate 620. "
        "Check the matcher's options and the candidate columns it reads."
    )
    # Every other partition finished; partition 2 kept its batches before the crash.
    lost = list(range(600, 750))
    kept = sorted(set(range(1000)) - set(lost))
    assert sorted(_log_rows(log)) == kept
    store = ScoreCache(cache)
    assert len(store) == len(kept)
    store.close()
    # Fixed (same fingerprint): the rerun scores exactly the rows that were lost.
    for path in log.glob("*.log"):
        path.unlink()
    switch.unlink()
    result = biasaudit.audit(ddf, matcher=broken, **options)
    assert sorted(_log_rows(log)) == lost
    scoring = result.provenance["metadata"]["matcher"]["scoring"]
    assert scoring == {"pairs": 1000, "scored": 150, "from_cache": 850, "failed": 0}
    expected = biasaudit.audit(df, matcher=broken, **{**options, "cache": None})
    _assert_same_audit(expected, result)


def test_the_cache_is_shared_with_an_in_memory_run(client, tmp_path) -> None:
    df = _pool(800)
    options = dict(
        attributes=["sex", "race"],
        matcher="tfidf",
        text_column="resume_text",
        jobs=JOBS,
        job="job_id",
        threshold=0.2,
        cache=tmp_path / "cache",
    )
    expected = biasaudit.audit(df, **options)
    got = biasaudit.audit(dd.from_pandas(df, npartitions=4), **options)
    scoring = got.provenance["metadata"]["matcher"]["scoring"]
    assert scoring == {"pairs": 800, "scored": 0, "from_cache": 800, "failed": 0}
    np.testing.assert_array_equal(got.stats.cube, expected.stats.cube)


def test_concurrent_writers_from_both_workers_lose_no_score(client, tmp_path) -> None:
    df = _pool(2000)
    log = tmp_path / "log"
    log.mkdir()
    matcher = LoggingExperience(log)
    matcher.batch_size = 10  # 200 small transactions from two processes at once
    cache = tmp_path / "cache"
    biasaudit.audit(
        dd.from_pandas(df, npartitions=8),
        attributes=["sex"],
        matcher=matcher,
        threshold=0.5,
        cache=cache,
    )
    assert len(_pids_log(log)) == 2
    store = ScoreCache(cache)
    assert len(store) == 2000
    store.close()


def test_unscored_rows_are_reported_once_with_global_positions(client, tmp_path) -> None:
    df = _pool(2000)
    matcher = LoggingExperience(tmp_path)
    matcher.nan_every = 500  # NaN for cid 7, 507, 1007, 1507: one per partition
    options = dict(attributes=["sex"], matcher=matcher, threshold=0.5)
    with pytest.raises(MatcherError) as single:
        biasaudit.audit(df, **options)
    with pytest.raises(MatcherError) as on_dask:
        biasaudit.audit(dd.from_pandas(df, npartitions=4), **options)
    assert (
        str(on_dask.value)
        == str(single.value)
        == (
            "Matcher 'logging-experience' could not score 4 of 2000 candidate-job pair(s) "
            "(first row positions: [7, 507, 1007, 1507]); reasons: {'no score (NaN)': 4}. "
            "Scores already computed are cached when a cache is set: rerun to retry only "
            "these, or drop those rows."
        )
    )


# -- refused before any scoring --------------------------------------------------------
def test_bad_requests_are_refused_before_any_scoring(client, tmp_path) -> None:
    df = _pool(300)
    ddf = dd.from_pandas(df, npartitions=3)
    matcher = LoggingExperience(tmp_path)
    with pytest.raises(biasaudit.ValidationError, match="ranks candidates across a whole job"):
        biasaudit.audit(ddf, attributes=["sex"], matcher=matcher, top_k=5, job="job_id")
    with pytest.raises(biasaudit.ValidationError) as caught:
        biasaudit.audit(ddf, attributes=["sex", "colour"], matcher=matcher, threshold=0.5)
    assert str(caught.value).startswith("Column 'colour' is not in the pool.")
    bad = df.assign(job_id=df["job_id"].replace({"J3": "J9"}))
    options = dict(attributes=["sex"], matcher="skills", jobs=JOBS[:2], job="job_id", threshold=0.5)
    with pytest.raises(biasaudit.ValidationError) as single:
        biasaudit.audit(bad, **options)
    with pytest.raises(biasaudit.ValidationError) as on_dask:
        biasaudit.audit(dd.from_pandas(bad, npartitions=3), **options)
    assert str(on_dask.value) == str(single.value)
    with pytest.raises(biasaudit.ValidationError, match=r"already has a column .hired."):
        biasaudit.audit(ddf, attributes=["sex"], matcher=matcher, score="hired", threshold=0.5)
    assert list(tmp_path.glob("*.log")) == []  # the matcher was never called


# -- every adapter travels to a worker --------------------------------------------------
@pytest.fixture(scope="module")
def servers():
    scoring, chat = ScoringServer(), ChatServer()
    yield scoring, chat
    scoring.close()
    chat.close()


def _adapters(servers) -> dict:
    from sklearn.linear_model import LogisticRegression

    df = _pool(200)
    model = LogisticRegression().fit(df[["years_experience"]], df["qualified"])
    scoring, chat = servers
    built = {
        "callable": matchers.get("callable", func=lambda c, j: c["years_experience"] * 2.0),
        "sklearn": matchers.get("sklearn", estimator=model, features=["years_experience"]),
        "skills": matchers.get("skills"),
        "tfidf": matchers.get("tfidf", text_column="resume_text", corpus=RESUMES),
        "http": matchers.get(
            "http", url=scoring.url + "/score", fields="resume_text,years_experience"
        ),
        "llm": matchers.get("llm", base_url=chat.url + "/v1", model="fake", seed=1),
        "mitigated": matchers.get(
            "mitigated",
            base=model,
            features=["years_experience"],
            train=df,
            label="qualified",
            sensitive_column="race",
        ),
    }
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        return built
    from tiny_model import tiny_model

    built["embedding"] = matchers.get("embedding", model=tiny_model(), text_column="resume_text")
    return built


def test_every_builtin_adapter_pickles_with_fresh_locks(servers) -> None:
    df = _pool(40)
    adapters = _adapters(servers)
    builtin = set(matchers._registry._BUILTIN)
    assert builtin - {"embedding"} <= set(adapters)
    for name, matcher in adapters.items():
        matcher.score(df.iloc[:3], JOBS[0])  # warm per-process caches (_last, locks held)
        copy = pickle.loads(cloudpickle.dumps(matcher))
        assert copy.fingerprint == matcher.fingerprint, name
        np.testing.assert_allclose(copy.score(df, JOBS[0]), matcher.score(df, JOBS[0]), atol=1e-9)
        for value in vars(copy).values():
            if isinstance(value, type(threading.Lock())):
                assert not value.locked()
        if name in ("tfidf", "skills"):
            assert copy._last is not matcher._last


def test_service_adapters_score_from_the_workers(client, servers) -> None:
    scoring, chat = servers
    df = _pool(120)
    http = matchers.get(
        "http", url=scoring.url + "/score", fields="resume_text,years_experience", batch_size=16
    )
    before = scoring.requests
    options = dict(attributes=["sex"], threshold=0.3)
    got = biasaudit.audit(dd.from_pandas(df, npartitions=3), matcher=http, **options)
    # 3 partitions of 40 rows in batches of 16: 3 requests each
    assert scoring.requests - before == 9
    assert got.provenance["metadata"]["matcher"]["scoring"]["requests"] == 9
    expected = biasaudit.audit(df, matcher=http, **options)
    np.testing.assert_array_equal(got.stats.cube, expected.stats.cube)
    llm = matchers.get("llm", base_url=chat.url + "/v1", model="fake", seed=1)
    small = df.iloc[:30]
    options["jobs"] = JOBS[1]
    got = biasaudit.audit(dd.from_pandas(small, npartitions=2), matcher=llm, **options)
    stats = got.provenance["metadata"]["matcher"]["scoring"]
    assert stats["requests"] == stats["answers"] == 30 and stats["unparseable"] == 0
    expected = biasaudit.audit(small, matcher=llm, **options)
    np.testing.assert_array_equal(got.stats.cube, expected.stats.cube)


def test_a_progress_bar_counts_the_partitions_when_asked(client, capsys) -> None:
    df = _pool(200)
    options = dict(attributes=["sex"], **CASES["function_scoring_rate"])
    biasaudit.audit(dd.from_pandas(df, npartitions=4), progress=True, **options)
    shown = capsys.readouterr().err
    assert "on dask" in shown and "4/4" in shown and "partition" in shown
    biasaudit.audit(dd.from_pandas(df, npartitions=4), progress=False, **options)
    assert "partition" not in capsys.readouterr().err
