"""Matchers: protocol, registry and plugins, jobs, the scoring engine, local adapters,
audit() and CLI integration, and the conformance test over every registered adapter."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import _errors as E
from biasaudit import matchers
from biasaudit.matchers import Job, MatcherError, ScoreCache, load_jobs, score_candidates

HERE = Path(__file__).parent
PLUGIN = HERE / "matchers" / "plugin"
sys.path.insert(0, str(HERE / "matchers"))
from fake_servers import ChatServer, ScoringServer  # noqa: E402

RESUMES = [
    "Python developer with SQL and Git; built REST APIs in Python.",
    "Registered nurse: patient care, IV therapy, BLS certification.",
    "Data analyst. Excel, Tableau dashboards, SQL, statistics.",
    "Forklift operation, inventory, shipping and receiving.",
    "Python and SQL analyst; Excel power user.",
    "",
]


@pytest.fixture
def pool() -> pd.DataFrame:
    """60 candidates with text, skills, experience, education, two attributes and a job."""
    rng = np.random.default_rng(7)
    n = 60
    frame = pd.DataFrame(
        {
            "cid": [f"c{i:02d}" for i in range(n)],
            "sex": rng.choice(["Female", "Male"], n),
            "race": rng.choice(["Asian", "Black", "White"], n),
            "job_id": rng.choice(["J1", "J2"], n),
            "resume_text": [RESUMES[i % len(RESUMES)] for i in range(n)],
            "skills": rng.choice(["Python, SQL", "SQL; Excel", "Excel", "patient care"], n),
            "years_experience": rng.integers(0, 12, n).astype(float),
            "education": rng.choice(["High school diploma", "Bachelor's degree", "Master's"], n),
            "hired": rng.integers(0, 2, n),
        }
    )
    frame.loc[3, "resume_text"] = None
    frame.loc[4, "years_experience"] = np.nan
    return frame


@pytest.fixture
def jobs() -> tuple[Job, ...]:
    return (
        Job(
            "J1",
            "Data Analyst",
            "Analyse data with SQL and Excel.",
            ["SQL", "Excel"],
            ["Python"],
            3,
        ),
        Job("J2", "Software Engineer", "Build services in Python.", ["Python", "SQL"], [], 2),
    )


@pytest.fixture
def plugin_path(monkeypatch):
    """The tiny plugin's package and dist-info on sys.path; nothing global changes."""
    monkeypatch.syspath_prepend(str(PLUGIN))
    return PLUGIN


# -- protocol and registry --------------------------------------------------------------
def test_protocol_and_fingerprint_are_stable():
    a = matchers.get("skills", weights={"required": 1.0})
    b = matchers.get("skills", weights={"required": 1.0})
    c = matchers.get("skills", weights={"required": 2.0})
    assert isinstance(a, matchers.Matcher)
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert a.fingerprint.startswith("skills:1:")


def test_registry_lists_builtins_and_errors_are_exact():
    names = matchers.names()
    for name in ("callable", "sklearn", "skills", "tfidf", "embedding", "http", "llm", "mitigated"):
        assert name in names
    with pytest.raises(biasaudit.ValidationError) as err:
        matchers.get("nope")
    assert str(err.value) == E.UNKNOWN_MATCHER.format(name="nope", known=names)
    with pytest.raises(biasaudit.ValidationError) as err:
        matchers.get("tfidf", colour="red")
    assert "does not accept the option(s) ['colour']" in str(err.value)


def test_register_and_unregister():
    matchers.register("constant", lambda: matchers.CallableMatcher(lambda c, j: np.ones(len(c))))
    try:
        m = matchers.get("constant")
        assert m.score(pd.DataFrame({"a": [1, 2]}), None).tolist() == [1.0, 1.0]
    finally:
        matchers.unregister("constant")
    assert "constant" not in matchers.names()


def test_entry_point_plugin_is_found(plugin_path, pool):
    info = {m.name: m for m in matchers.available()}
    assert info["wordcount"].origin == "plugin: biasaudit-tiny-plugin 0.1.0"
    m = matchers.get("wordcount", cap=10)
    scores = score_candidates(m, pool[["resume_text"]]).scores
    assert scores[0] == 1.0 and scores[3] == 0.0  # 10+ words; missing text


def test_broken_plugin_is_reported(tmp_path, monkeypatch):
    dist = tmp_path / "broken_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[biasaudit.matchers]\nbroken = no_such_module:X\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(biasaudit.ValidationError, match=r"plugin 'broken'.*could not be loaded"):
        matchers.get("broken")
    listed = {m.name: m.summary for m in matchers.available()}
    assert listed["broken"].startswith("(cannot be loaded")


# -- jobs -------------------------------------------------------------------------------
def test_jobs_from_csv_and_json(tmp_path):
    csv = tmp_path / "jobs.csv"
    csv.write_text(
        "id,title,description,required_skills,preferred_skills,min_years\n"
        "001,Analyst,Crunch numbers,SQL; Excel,Python,3\n"
        "J2,Nurse,,patient care,,\n"
    )
    a = load_jobs(csv)
    assert [j.id for j in a] == ["001", "J2"]
    assert a[0].required_skills == ("SQL", "Excel") and a[0].min_years == 3.0
    assert a[1].min_years is None and a[1].description == ""
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps({"jobs": [j.to_dict() for j in a]}))
    assert load_jobs(path) == a
    path.write_text(json.dumps({"J9": "Warehouse associate, forklift"}))
    assert load_jobs(path)[0].description == "Warehouse associate, forklift"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": "J1", "required": ["SQL"]}]', "unknown field(s) ['required']"),
        ('[{"title": "x"}]', "it has no 'id'"),
        ('[{"id": "J1"}, {"id": "J1"}]', "duplicated id(s) ['J1']"),
        ('[{"id": "J1", "min_years": "many"}]', "min_years must be a number >= 0"),
        ("{not json", "Could not read jobs from"),
        ("[]", "no jobs given"),
    ],
)
def test_bad_jobs_files(tmp_path, content, message):
    path = tmp_path / "jobs.json"
    path.write_text(content)
    with pytest.raises(biasaudit.ValidationError, match=re.escape(message)):
        load_jobs(path)


def test_missing_jobs_file():
    with pytest.raises(biasaudit.ValidationError, match="does not exist"):
        load_jobs("no/such/jobs.csv")


# -- engine -----------------------------------------------------------------------------
class Counting:
    """A matcher that records every batch it is asked to score."""

    fingerprint = "counting:1"
    name = "counting"

    def __init__(self, batch_size=7, fail_on=None, concurrency=1):
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.calls: list[int] = []
        self.seen: list[str] = []
        self.fail_on = fail_on

    def score(self, candidates, job):
        self.calls.append(len(candidates))
        self.seen.extend(f"{job.id if job else '-'}:{c}" for c in candidates["cid"])
        if self.fail_on is not None and len(self.calls) == self.fail_on:
            raise MatcherError("service down")
        return candidates["years_experience"].fillna(0).to_numpy() / 10


def test_engine_batches_in_pool_order_and_does_not_mutate(pool):
    before = pool.copy()
    m = Counting(batch_size=7)
    report = score_candidates(m, pool)
    assert m.calls == [7] * 8 + [4]
    np.testing.assert_array_equal(report.scores, pool["years_experience"].fillna(0) / 10)
    pd.testing.assert_frame_equal(pool, before)
    assert report.n_scored == 60 and report.n_cached == 0 and report.n_failed == 0


def test_engine_per_row_jobs_and_cross_product(pool, jobs):
    m = Counting(batch_size=100)
    report = score_candidates(m, pool, jobs, job_column="job_id")
    assert report.jobs == tuple(pool["job_id"])
    assert sorted(m.seen) == sorted(f"{j}:{c}" for j, c in zip(pool["job_id"], pool["cid"]))
    m = Counting(batch_size=25)
    cross = score_candidates(m, pool, jobs, cross=True)
    assert len(cross.scores) == 120 and cross.jobs[:60] == ("J1",) * 60
    assert len(set(m.seen)) == 120 == len(m.seen)


def test_engine_job_errors(pool, jobs):
    with pytest.raises(biasaudit.ValidationError) as err:
        score_candidates(Counting(), pool, jobs[:1], job_column="job_id")
    assert str(err.value) == E.JOBS_NOT_FOUND.format(column="job_id", missing=["J2"], known=["J1"])
    with pytest.raises(biasaudit.ValidationError, match="2 jobs were given but the pool has no"):
        score_candidates(Counting(), pool, jobs)
    with pytest.raises(biasaudit.ValidationError, match="no jobs were given"):
        score_candidates(matchers.get("tfidf"), pool)


def test_engine_rejects_bad_matcher_output(pool):
    short = matchers.CallableMatcher(lambda c, j: np.ones(len(c) - 1))
    with pytest.raises(MatcherError, match="returned 59 scores for 60 candidates"):
        score_candidates(short, pool)
    inf = matchers.CallableMatcher(lambda c, j: np.full(len(c), np.inf))
    with pytest.raises(MatcherError, match="returned infinite scores"):
        score_candidates(inf, pool)
    text = matchers.CallableMatcher(lambda c, j: ["high"] * len(c))
    with pytest.raises(MatcherError, match="non-numeric output"):
        score_candidates(text, pool)
    crash = matchers.CallableMatcher(lambda c, j: c["nope"])
    with pytest.raises(MatcherError, match="failed while scoring job None: KeyError"):
        score_candidates(crash, pool)


def test_nan_scores_are_failures_not_zeros(pool):
    m = matchers.CallableMatcher(lambda c, j: c["years_experience"].to_numpy())
    report = score_candidates(m, pool)
    assert report.n_failed == 1 and np.isnan(report.scores[4])
    with pytest.raises(MatcherError, match=r"could not score 1 of 60 .*first row positions: \[4\]"):
        report.raise_for_failures()


def test_cache_resumes_after_failure_without_rescoring(pool, tmp_path):
    m = Counting(batch_size=10, fail_on=3)
    with pytest.raises(MatcherError, match="service down"):
        score_candidates(m, pool, cache=tmp_path)
    first = list(m.seen)
    assert len(first) == 30  # two batches stored, the third failed
    m2 = Counting(batch_size=10)
    report = score_candidates(m2, pool, cache=tmp_path)
    assert report.n_cached == 20 and report.n_scored == 40
    assert not set(first[:20]) & set(m2.seen)
    np.testing.assert_allclose(report.scores, pool["years_experience"].fillna(0) / 10)
    m3 = Counting(batch_size=10)
    again = score_candidates(m3, pool.iloc[::-1], cache=tmp_path)  # order does not matter
    assert m3.calls == [] and again.n_cached == 60
    assert len(ScoreCache(tmp_path)) == 60


def test_cache_handles_list_cells(tmp_path):
    frame = pd.DataFrame({"skills": [["python", "sql"], ["excel"]], "years_experience": [1, 2]})
    m = matchers.CallableMatcher(lambda c, j: c["skills"].str.len())
    assert score_candidates(m, frame, cache=tmp_path).scores.tolist() == [2.0, 1.0]
    assert score_candidates(m, frame, cache=tmp_path).n_cached == 2


def test_cache_keys_on_fingerprint_content_and_job(pool, jobs, tmp_path):
    m = Counting(batch_size=100)
    score_candidates(m, pool, jobs[0], cache=tmp_path)
    edited = pool.copy()
    edited.loc[0, "resume_text"] = "changed"
    m2 = Counting(batch_size=100)
    score_candidates(m2, edited, jobs[0], cache=tmp_path)
    assert m2.seen == ["J1:c00"]
    m3 = Counting(batch_size=100)
    posting = Job("J1", "Data Analyst", "A different posting text.")
    score_candidates(m3, pool, posting, cache=tmp_path)
    assert len(m3.seen) == 60
    m4 = Counting(batch_size=100)
    m4.fingerprint = "counting:2"
    score_candidates(m4, pool, jobs[0], cache=tmp_path)
    assert len(m4.seen) == 60


def test_progress_bar_quiet_when_not_a_tty(pool, capsys):
    score_candidates(Counting(), pool)
    assert capsys.readouterr().err == ""
    score_candidates(Counting(), pool, progress=True)
    assert "scoring (counting)" in capsys.readouterr().err
    score_candidates(Counting(), pool, progress=True, quiet=True)
    assert capsys.readouterr().err == ""


# -- local adapters ---------------------------------------------------------------------
def test_callable_per_row_and_import_string(pool):
    m = matchers.get("callable", func=lambda row, job: len(row["skills"]), per_row=True)
    assert m.score(pool.head(2), None).tolist() == [float(len(s)) for s in pool["skills"][:2]]
    m = matchers.get("callable", func="numpy:ones_like")
    assert m.fingerprint.startswith("callable:1:")
    with pytest.raises(biasaudit.ValidationError, match="an importable 'module:function'"):
        matchers.get("callable", func="no_such_module:f")


def test_callable_fingerprint_follows_code_and_params():
    a = matchers.CallableMatcher(lambda c, j: c["x"], params={"w": 1})
    b = matchers.CallableMatcher(lambda c, j: c["x"] * 2, params={"w": 1})
    c = matchers.CallableMatcher(lambda c, j: c["x"], params={"w": 2})
    assert len({a.fingerprint, b.fingerprint, c.fingerprint}) == 3


def test_sklearn_matcher_probability_and_decision_function(pool, tmp_path):
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    X, y = pool[["years_experience"]].fillna(0), (pool["years_experience"].fillna(0) > 5)
    proba = LogisticRegression().fit(X, y)
    m = matchers.get("sklearn", estimator=proba, features="years_experience")
    s = m.score(pool.fillna({"years_experience": 0}), None)
    np.testing.assert_allclose(s, proba.predict_proba(X)[:, 1])
    svc = LinearSVC().fit(X, y)
    np.testing.assert_allclose(
        matchers.SklearnMatcher(svc, features=["years_experience"]).score(X, None),
        svc.decision_function(X),
    )
    path = tmp_path / "model.joblib"
    joblib.dump(proba, path)
    loaded = matchers.get("sklearn", estimator=str(path), features="years_experience")
    assert loaded.fingerprint == m.fingerprint
    with pytest.raises(biasaudit.ValidationError, match="one of the estimator's classes"):
        matchers.SklearnMatcher(proba, features=["years_experience"], positive_class="yes").score(
            X, None
        )


def test_sklearn_missing_features_are_a_clear_error(pool):
    from sklearn.linear_model import LogisticRegression

    train = _train(pool)
    model = LogisticRegression().fit(train[["years_experience"]], train["good"])
    m = matchers.SklearnMatcher(model, features=["years_experience"])
    with pytest.raises(MatcherError, match=r"failed while scoring job None: ValueError: .*NaN"):
        score_candidates(m, pool)


def test_sklearn_text_pipeline(pool):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    text = pool["resume_text"].fillna("")
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(
        text, text.str.contains("Python")
    )
    m = matchers.SklearnMatcher(pipe, features="resume_text", text=True)
    s = m.score(pool, None)
    assert s[0] > 0.5 > s[1]


def test_skills_matcher_reference_values():
    job = Job("J", required_skills=["Python", "SQL"], preferred_skills=["Git"], min_years=4)
    frame = pd.DataFrame(
        {
            "skills": ["python, sql, git", "SQL", None, "PythonSQL"],
            "years_experience": [8, 2, np.nan, 4],
        }
    )
    m = matchers.SkillsMatcher(weights={"required": 0.5, "preferred": 0.25, "experience": 0.25})
    # 1: all; 2: half required, no git, 2/4 years; 3: nothing; 4: no exact skill, full years
    np.testing.assert_allclose(m.score(frame, job), [1.0, 0.25 + 0.125, 0.0, 0.25])


def test_skills_matcher_on_text_and_education():
    job = Job("J", required_skills=["SQL", "C++"], education="Bachelor's degree")
    frame = pd.DataFrame(
        {
            "resume": ["Wrote SQL and C++ daily", "NoSQL stores, C++", "mysql"],
            "degree": ["MSc, Master of Science", "High school diploma", None],
        }
    )
    m = matchers.SkillsMatcher(
        skills_column=None,
        text_column="resume",
        education_column="degree",
        weights={"required": 1, "education": 1},
    )
    np.testing.assert_allclose(m.score(frame, job), [1.0, 0.25, 0.0])


def test_skills_matcher_bad_weights():
    with pytest.raises(biasaudit.ValidationError, match="weights must be non-negative"):
        matchers.SkillsMatcher(weights={"required": -1})
    with pytest.raises(biasaudit.ValidationError, match="weights must be non-negative"):
        matchers.SkillsMatcher(weights={"charisma": 1})


def test_tfidf_scores_are_batch_independent(pool, jobs):
    m = matchers.get("tfidf", text_column="resume_text")
    whole = m.score(pool, jobs[1])
    parts = np.concatenate([m.score(pool.iloc[i : i + 7], jobs[1]) for i in range(0, 60, 7)])
    np.testing.assert_allclose(whole, parts)
    assert whole[0] == whole.max() and whole[3] == 0.0  # Python developer; missing text
    weighted = matchers.get("tfidf", text_column="resume_text", corpus=RESUMES)
    assert weighted.fingerprint != m.fingerprint
    assert np.all(
        (weighted.score(pool, jobs[0]) >= 0) & (weighted.score(pool, jobs[0]) <= 1 + 1e-12)
    )


def test_tfidf_agrees_with_sklearn_tfidf_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    corpus = ["python sql developer", "nurse patient care", "sql excel analyst", "python"]
    job = Job("J", description="python sql")
    m = matchers.TfidfMatcher(text_column="t", corpus=corpus, stop_words=None)
    vec = TfidfVectorizer(sublinear_tf=True).fit(corpus)
    expected = (vec.transform(corpus) @ vec.transform([job.text]).T).toarray().ravel()
    np.testing.assert_allclose(m.score(pd.DataFrame({"t": corpus}), job), expected, rtol=1e-9)


# -- audit() and the CLI ----------------------------------------------------------------
def test_audit_with_matcher_does_not_mutate_and_records_fingerprint(pool, jobs):
    before = pool.copy()
    result = biasaudit.audit(
        pool,
        attributes=["sex", "race"],
        matcher="skills",
        jobs=jobs,
        job="job_id",
        top_k=5,
        label="hired",
    )
    pd.testing.assert_frame_equal(pool, before)
    meta = result.provenance["metadata"]["matcher"]
    assert meta["fingerprint"] == matchers.get("skills").fingerprint
    assert meta["hidden_columns"] == ["sex", "race", "hired"]
    assert meta["scoring"] == {"pairs": 60, "scored": 60, "from_cache": 0, "failed": 0}
    assert result.provenance["input"]["roles"]["score"] == "matcher_score"
    expected = matchers.get("skills").score(pool[pool.job_id == "J1"], jobs[0])
    scored = matchers.score_candidates(matchers.get("skills"), pool, jobs, job_column="job_id")
    np.testing.assert_allclose(scored.scores[pool.job_id.to_numpy() == "J1"], expected)
    json.loads(result.to_json())


def test_audit_with_matcher_reads_polars_and_files(pool, jobs, tmp_path):
    polars = pytest.importorskip("polars")
    expected = biasaudit.audit(pool, attributes=["sex"], matcher="skills", jobs=jobs[0], top_k=9)
    from_polars = biasaudit.audit(
        polars.from_pandas(pool), attributes=["sex"], matcher="skills", jobs=jobs[0], top_k=9
    )
    pool.to_parquet(tmp_path / "pool.parquet")
    from_file = biasaudit.audit(
        tmp_path / "pool.parquet", attributes=["sex"], matcher="skills", jobs=jobs[0], top_k=9
    )
    for other in (from_polars, from_file):
        pd.testing.assert_frame_equal(expected.groups, other.groups)
    meta = from_file.provenance["metadata"]["matcher"]
    assert (
        meta["input_file"] == str(tmp_path / "pool.parquet")
        and len(meta["input_file_sha256"]) == 64
    )


def test_audit_matcher_never_sees_attributes(pool):
    seen = []

    def spy(candidates, job):
        seen.append(set(candidates.columns))
        return candidates["years_experience"].fillna(0).to_numpy()

    biasaudit.audit(pool, attributes=["sex", "race"], matcher=spy, selected="hired")
    assert seen and not seen[0] & {"sex", "race", "hired"}


def test_audit_cross_product_and_equivalence_with_precomputed(pool, jobs):
    result = biasaudit.audit(
        pool, attributes=["sex"], matcher="tfidf", text_column="resume_text", jobs=jobs, top_k=5
    )
    assert result.provenance["rows"]["total"] == 120
    assert result.provenance["metadata"]["matcher"]["every_candidate_for_every_job"] is True
    m = matchers.get("tfidf", text_column="resume_text")
    long = pd.concat([pool.assign(job=j.id, s=m.score(pool, j)) for j in jobs], ignore_index=True)
    manual = biasaudit.audit(long, attributes=["sex"], score="s", job="job", top_k=5)
    pd.testing.assert_frame_equal(
        result.groups.drop(columns="verdict"), manual.groups.drop(columns="verdict")
    )


def test_audit_matcher_argument_errors(pool, jobs):
    with pytest.raises(biasaudit.ValidationError) as err:
        biasaudit.audit(
            pool.assign(matcher_score=1.0), attributes=["sex"], matcher="skills", jobs=jobs[0]
        )
    assert str(err.value) == E.SCORE_COLUMN_EXISTS.format(column="matcher_score")
    with pytest.raises(biasaudit.ValidationError, match="without a matcher"):
        biasaudit.audit(pool, attributes=["sex"], jobs=jobs, selected="hired")
    with pytest.raises(biasaudit.ValidationError, match="reads no text column"):
        biasaudit.audit(pool, attributes=["sex"], matcher="sklearn", text_column="resume_text")
    with pytest.raises(biasaudit.ValidationError, match="apply only to a matcher given by name"):
        biasaudit.audit(pool, attributes=["sex"], matcher=matchers.get("skills"), text_column="x")
    with pytest.raises(biasaudit.ValidationError, match="is not a matcher"):
        biasaudit.audit(pool, attributes=["sex"], matcher=42)
    with pytest.raises(biasaudit.ValidationError, match="reads column 'resume'"):
        biasaudit.audit(
            pool, attributes=["sex"], matcher="tfidf", text_column="resume", jobs=jobs[0]
        )


def _cli_all(commands, cwd):
    """Run ``biasaudit`` command lines at once (each process spends ~2 s on imports)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "biasaudit", *args],
            cwd=cwd,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args, env in commands
    ]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    return out


def test_cli_matchers_and_audit_with_matcher(pool, jobs, tmp_path):
    pool.to_csv(tmp_path / "pool.csv", index=False)
    (tmp_path / "jobs.json").write_text(json.dumps([j.to_dict() for j in jobs]))
    plugin = {"PYTHONPATH": os.pathsep.join([str(PLUGIN), os.environ.get("PYTHONPATH", "")])}
    audit = ["audit", "pool.csv", "-a", "sex"]
    listing, run, plug, bad = _cli_all(
        [
            (["matchers"], plugin),
            (
                [
                    *audit, "--job", "job_id", "--matcher", "skills",
                    "--matcher-option", 'weights={"required": 1}', "--jobs", "jobs.json",
                    "--top-k", "5", "--json", "out.json", "--cache", "cache",
                ],
                {},
            ),
            (
                [
                    *audit, "--matcher", "wordcount", "--matcher-option", "cap=5",
                    "--threshold", "1", "--quiet",
                ],
                plugin,
            ),
            ([*audit, "--matcher", "tfidf"], {}),
        ],
        tmp_path,
    )  # fmt: skip
    assert listing.returncode == 0
    assert "tfidf" in listing.stdout
    assert "wordcount  plugin: biasaudit-tiny-plugin 0.1.0" in listing.stdout
    assert run.returncode == 0, run.stderr
    # no progress bar when stderr is not a terminal: only where the output went
    assert run.stderr == "biasaudit: wrote the JSON result to out.json\n"
    out = json.loads((tmp_path / "out.json").read_text())
    meta = out["provenance"]["metadata"]["matcher"]
    assert meta["fingerprint"] == matchers.get("skills", weights={"required": 1}).fingerprint
    assert meta["input_file_sha256"]
    assert len(ScoreCache(tmp_path / "cache")) == 60
    assert plug.returncode == 0, plug.stderr
    assert plug.stdout == ""
    assert bad.returncode == 2
    assert bad.stderr == "biasaudit: error: " + E.MATCHER_NEEDS_JOB.format(matcher="tfidf") + "\n"


# -- conformance: every registered adapter ----------------------------------------------
@pytest.fixture(scope="module")
def servers():
    scoring, chat = ScoringServer(), ChatServer()
    yield scoring, chat
    scoring.close()
    chat.close()


def _train(pool):
    frame = pool.fillna({"years_experience": 0})
    return frame.assign(good=(frame["years_experience"] > 5).astype(int))


def _build(name, pool, servers, tmp_path_factory):
    """Each adapter with a configuration that suits the shared pool."""
    from sklearn.linear_model import LogisticRegression

    train = _train(pool)
    model = LogisticRegression().fit(train[["years_experience"]], train["good"])
    # scikit-learn models refuse missing features (tested separately); the rest get them

    if name == "callable":
        return matchers.get("callable", func=lambda c, j: c["resume_text"].fillna("").str.len())
    if name == "sklearn":
        return matchers.get("sklearn", estimator=model, features=["years_experience"])
    if name == "skills":
        return matchers.get("skills")
    if name == "tfidf":
        return matchers.get("tfidf", text_column="resume_text")
    if name == "http":
        return matchers.get(
            "http", url=servers[0].url + "/score", fields="resume_text,years_experience"
        )
    if name == "llm":
        return matchers.get("llm", base_url=servers[1].url + "/v1", model="fake", seed=1)
    if name == "mitigated":
        return matchers.get(
            "mitigated",
            base=model,
            features=["years_experience"],
            train=train,
            label="good",
            sensitive_column="sex",
        )
    if name == "embedding":
        pytest.importorskip("sentence_transformers", reason="extra 'embeddings' not installed")
        from tiny_model import tiny_model

        return matchers.get("embedding", model=tiny_model())
    if name == "wordcount":
        return matchers.get("wordcount")
    raise AssertionError(f"no conformance configuration for {name!r}: add one")


BUILTIN = sorted(matchers._registry._BUILTIN)


@pytest.mark.parametrize("name", [*BUILTIN, "wordcount"])
def test_conformance(name, pool, jobs, servers, plugin_path, tmp_path_factory):
    if name in ("sklearn", "mitigated"):
        pool = pool.fillna({"years_experience": 0})
    m = _build(name, pool, servers, tmp_path_factory)
    assert isinstance(m, matchers.Matcher)
    assert (
        isinstance(m.fingerprint, str)
        and m.fingerprint == _build(name, pool, servers, tmp_path_factory).fingerprint
    )
    before = pool.copy()
    job = jobs[0]
    scores = np.asarray(m.score(pool, job))
    pd.testing.assert_frame_equal(pool, before)  # no mutation
    assert scores.shape == (60,) and scores.dtype == np.float64
    assert np.isfinite(scores).all()  # missing text and NaN years are handled
    # pool order: scoring a permutation permutes the scores
    order = np.random.default_rng(0).permutation(60)
    np.testing.assert_allclose(np.asarray(m.score(pool.iloc[order], job)), scores[order], atol=1e-6)
    # empty pool
    empty = np.asarray(m.score(pool.iloc[:0], job))
    assert empty.shape == (0,)
    if getattr(m, "deterministic", True):
        np.testing.assert_array_equal(np.asarray(m.score(pool, job)), scores)
    # through the engine, in batches, the same scores
    report = score_candidates(m, pool, job, batch_size=16)
    np.testing.assert_allclose(report.scores, scores, atol=1e-6)
    assert name in matchers.names()
