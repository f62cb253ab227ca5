"""The ``http`` and ``llm`` adapters against real servers on 127.0.0.1.

The servers (tests/matchers/fake_servers.py) run in threads of this process,
answer deterministically and count what they receive; faults are injected per
request: slow answers past the timeout, 500s, 429 with Retry-After, malformed JSON.
"""

from __future__ import annotations

import _thread
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import _errors as E
from biasaudit import matchers
from biasaudit.matchers import Job, MatcherError, score_candidates
from biasaudit.matchers.llm import parse_ranking, parse_score

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "matchers"))
from fake_servers import ChatServer, ScoringServer, resume_score  # noqa: E402

TOKEN = "s3cret-Token-4f9a7c"
JOB = Job("J1", "Software Engineer", "Build services in Python.", ["Python"], [], 2)


@pytest.fixture
def server():
    s = ScoringServer()
    yield s
    s.close()


@pytest.fixture
def chat():
    s = ChatServer()
    yield s
    s.close()


@pytest.fixture
def pool() -> pd.DataFrame:
    n = 60
    rng = np.random.default_rng(3)
    texts = ["Python, Python and SQL", "Nurse", "Python developer", "Forklift", ""]
    return pd.DataFrame(
        {
            "cid": [f"c{i:02d}" for i in range(n)],
            "sex": rng.choice(["Female", "Male"], n),
            "resume_text": [texts[i % 5] for i in range(n)],
            "years_experience": rng.integers(0, 10, n),
        }
    )


def http(server, **options):
    defaults = {"fields": "resume_text,years_experience", "backoff": 0.01, "id_column": "cid"}
    return matchers.get("http", url=server.url + "/score", **{**defaults, **options})


def expected(pool):
    return np.array([resume_score(t, y) for t, y in zip(pool.resume_text, pool.years_experience)])


# -- http -------------------------------------------------------------------------------
def test_http_scores_in_pool_order(server, pool):
    report = score_candidates(http(server, batch_size=7), pool, JOB)
    np.testing.assert_allclose(report.scores, expected(pool))
    assert server.requests == 9
    body = next(b for b in server.bodies if b["candidates"][0]["id"] == "c00")
    assert body["job"]["id"] == "J1" and [c["id"] for c in body["candidates"]][-1] == "c06"
    assert set(body["candidates"][0]) == {"id", "resume_text", "years_experience"}


def test_http_field_mapping_and_key_names(server, pool):
    def answer(body):
        people = body["people"]
        assert set(people[0]) == {"id", "resume", "yoe"} and body["posting"]["id"] == "J1"
        return {"result": {"values": [resume_score(p["resume"], p["yoe"]) for p in people]}}

    server.answer = answer
    m = http(
        server,
        fields={"resume_text": "resume", "years_experience": "yoe"},
        request_candidates="people",
        request_job="posting",
        response_scores="result.values",
    )
    np.testing.assert_allclose(score_candidates(m, pool, JOB).scores, expected(pool))
    assert m.params()["rename"] == {"resume_text": "resume", "years_experience": "yoe"}


def test_http_retries_500s(server, pool):
    server.faults = ["500", "503"]
    m = http(server, retries=2, batch_size=60, concurrency=1)
    np.testing.assert_allclose(score_candidates(m, pool, JOB).scores, expected(pool))
    assert server.requests == 3 and m.stats == {"requests": 3, "retries": 2}
    server.faults = ["500"] * 3
    with pytest.raises(MatcherError) as err:
        score_candidates(http(server, retries=2, batch_size=60), pool, JOB)
    assert str(err.value) == E.HTTP_FAILED_FOR_JOB.format(
        url=server.url + "/score", job="J1", attempts=3, error="HTTP 500 Internal Server Error"
    )


def test_http_429_honours_retry_after(server, pool):
    server.faults = ["429:1"]
    started = time.perf_counter()
    score_candidates(http(server, batch_size=60, backoff=0.01), pool, JOB)
    assert time.perf_counter() - started >= 0.95  # waited Retry-After, not the 10 ms backoff
    assert server.requests == 2


def test_http_timeout_is_retried_then_reported(server, pool):
    server.faults = ["slow:0.6"]
    m = http(server, batch_size=60, timeout=0.2, retries=1)
    np.testing.assert_allclose(score_candidates(m, pool, JOB).scores, expected(pool))
    server.faults = ["slow:0.6", "slow:0.6"]
    with pytest.raises(
        MatcherError, match=r"after 2 attempt\(s\): no answer within 0.2 s \(timeout\)"
    ):
        score_candidates(http(server, batch_size=60, timeout=0.2, retries=1), pool, JOB)


def test_http_client_errors_are_not_retried(server, pool):
    server.faults = ["400"]
    with pytest.raises(MatcherError, match=r"1 attempt\(s\): HTTP 400 Bad Request: '\{"):
        score_candidates(http(server, batch_size=60), pool, JOB)
    assert server.requests == 1
    server.faults = ["401"]  # an answer refusing the credentials may echo them: not quoted
    with pytest.raises(MatcherError, match=r"HTTP 401 Unauthorized \(the service refused"):
        score_candidates(http(server, batch_size=60), pool, JOB)
    assert server.requests == 2


def test_http_malformed_json_is_an_error_at_once(server, pool):
    server.faults = ["malformed"]
    with pytest.raises(MatcherError) as err:
        score_candidates(http(server, batch_size=60), pool, JOB)
    assert str(err.value) == E.HTTP_BAD_RESPONSE.format(
        url=server.url + "/score", problem="not valid JSON", body='{"scores": [0.1, oops'
    )
    assert server.requests == 1


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"result": []}, "no 'scores' field"),
        ({"scores": [0.5]}, "expected a list of 3 scores, got 1"),
        ({"scores": [0.5, "high", 0.1]}, "a score is not a finite number: 'high'"),
        ({"scores": [{"id": "c00", "score": 1}]}, "expected a list of 3 scores, got 1"),
    ],
)
def test_http_unreadable_answers(server, pool, answer, problem):
    server.answer = lambda body: answer
    with pytest.raises(MatcherError, match=re.escape(problem)):
        score_candidates(http(server), pool.head(3), JOB)


def test_http_scores_by_id_and_nulls_are_failures(server, pool):
    server.answer = lambda body: {
        "scores": [
            {"id": c["id"], "score": None if c["id"] == "c01" else 0.5}
            for c in reversed(body["candidates"])
        ]
    }
    report = score_candidates(http(server), pool.head(3), JOB)
    assert report.scores[0] == 0.5 and np.isnan(report.scores[1]) and report.n_failed == 1


def test_http_bounded_concurrency(server, pool):
    server.delay = 0.05
    score_candidates(http(server, batch_size=5, concurrency=3), pool, JOB)
    assert server.requests == 12
    assert 2 <= server.max_inflight <= 3


def test_http_bad_options(server):
    with pytest.raises(biasaudit.ValidationError, match="url must be an http"):
        matchers.get("http", url="ftp://x")
    with pytest.raises(biasaudit.ValidationError, match="concurrency must be an integer >= 1"):
        matchers.get("http", url=server.url, concurrency=0)
    with pytest.raises(biasaudit.ValidationError) as err:
        matchers.get("http", url=server.url, token_env="BIASAUDIT_NO_SUCH_TOKEN")
    assert str(err.value) == E.MISSING_TOKEN.format(env="BIASAUDIT_NO_SUCH_TOKEN")


def test_interrupt_and_resume_scores_no_candidate_twice(server, pool, tmp_path):
    """Ctrl-C midway (a real KeyboardInterrupt in the main thread), then a rerun."""

    fired = []

    def interrupt_after_four(s):
        if s.requests >= 4 and not fired:
            fired.append(True)
            _thread.interrupt_main()

    server.on_request = interrupt_after_four
    server.delay = 0.02
    with pytest.raises(KeyboardInterrupt):
        score_candidates(http(server, batch_size=5, concurrency=2), pool, JOB, cache=tmp_path)
    first = sum(server.scored.values())
    assert 20 <= first < 60
    server.on_request = None
    report = score_candidates(http(server, batch_size=5, concurrency=2), pool, JOB, cache=tmp_path)
    assert report.n_cached == first and report.n_scored == 60 - first
    assert sorted(server.scored) == sorted(pool.cid) and set(server.scored.values()) == {1}
    np.testing.assert_allclose(report.scores, expected(pool))


def test_cli_interrupt_and_resume(server, pool, tmp_path):
    """The command line, stopped with SIGINT midway, resumes from its cache."""
    pool.to_csv(tmp_path / "pool.csv", index=False)
    (tmp_path / "jobs.json").write_text(json.dumps([JOB.to_dict()]))
    args = [
        sys.executable, "-m", "biasaudit", "audit", "pool.csv", "-a", "sex",
        "--matcher", "http", "--matcher-option", f"url={server.url}/score",
        "--matcher-option", "fields=resume_text,years_experience",
        "--matcher-option", "id_column=cid", "--matcher-option", "batch_size=4",
        "--matcher-option", "concurrency=1", "--jobs", "jobs.json", "--cache", "cache",
        "--threshold", "0.5", "--json", "out.json",
    ]  # fmt: skip
    proc = subprocess.Popen(args, cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.PIPE)

    fired = []

    def stop(s):
        if s.requests >= 3 and not fired:
            fired.append(True)
            proc.send_signal(signal.SIGINT)

    server.on_request = stop
    server.delay = 0.05
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.decode().strip().endswith("biasaudit: interrupted")
    first = sum(server.scored.values())
    assert 0 < first < 60
    server.on_request = None
    server.delay = 0
    again = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert sorted(server.scored) == sorted(pool.cid) and set(server.scored.values()) == {1}
    scoring = json.loads((tmp_path / "out.json").read_text())["provenance"]["metadata"]["matcher"]
    assert scoring["scoring"]["from_cache"] == first


def test_token_is_sent_but_never_written(server, chat, pool, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BIASAUDIT_TEST_TOKEN", TOKEN)
    m = http(server, token_env="BIASAUDIT_TEST_TOKEN", batch_size=30)
    result = biasaudit.audit(
        pool, attributes=["sex"], matcher=m, jobs=JOB, threshold=0.5, cache=tmp_path / "c"
    )
    assert {h["Authorization"] for h in server.headers} == {f"Bearer {TOKEN}"}
    llm = matchers.get(
        "llm", base_url=chat.url + "/v1", model="m", token_env="BIASAUDIT_TEST_TOKEN"
    )
    score_candidates(llm, pool.head(2), JOB, cache=tmp_path / "c")
    assert chat.headers[0]["Authorization"] == f"Bearer {TOKEN}"
    pool.to_csv(tmp_path / "pool.csv", index=False)
    (tmp_path / "jobs.json").write_text(json.dumps([JOB.to_dict()]))
    cli = subprocess.run(
        [
            sys.executable, "-m", "biasaudit", "audit", "pool.csv", "-a", "sex",
            "--matcher", "http", "--matcher-option", f"url={server.url}/score",
            "--matcher-option", "token_env=BIASAUDIT_TEST_TOKEN", "--jobs", "jobs.json",
            "--threshold", "0.5", "--json", "out.json", "--html", "out.html",
            "--markdown", "out.md", "--cache", "c2",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "BIASAUDIT_TEST_TOKEN": TOKEN},
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    written = [
        result.to_json(),
        repr(m),
        repr(llm),
        json.dumps(m.params()),
        cli.stdout,
        cli.stderr,
        *capsys.readouterr(),
    ]
    written += [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    assert all(TOKEN not in text for text in written)
    server.faults = ["401"]
    with pytest.raises(MatcherError) as err:
        score_candidates(http(server, token_env="BIASAUDIT_TEST_TOKEN"), pool.head(2), JOB)
    assert TOKEN not in str(err.value)


# -- llm --------------------------------------------------------------------------------
def llm(chat, **options):
    return matchers.get("llm", base_url=chat.url + "/v1", model="tiny-chat", **options)


def test_llm_scores_and_passes_sampling_settings(chat, pool):
    m = llm(chat, temperature=0.7, seed=5, repeats=2, concurrency=2)
    report = score_candidates(m, pool.head(5), JOB)
    np.testing.assert_allclose(report.scores, [0.7, 0.1, 0.4, 0.1, 0.1])
    assert {b["temperature"] for b in chat.bodies} == {0.7}
    assert sorted({b["seed"] for b in chat.bodies}) == [5, 6]
    assert {b["model"] for b in chat.bodies} == {"tiny-chat"}
    assert m.stats == {"requests": 10, "answers": 10, "unparseable": 0}
    assert "Build services in Python." in chat.bodies[0]["messages"][1]["content"]


def test_llm_unparseable_answers_are_errors_not_scores(chat, pool):
    frame = pool.head(4).copy()
    frame.loc[2, "resume_text"] = "GARBAGE resume"
    m = llm(chat, repeats=2)
    report = score_candidates(m, frame, JOB)
    assert np.isnan(report.scores[2]) and np.isfinite(np.delete(report.scores, 2)).all()
    assert m.stats["unparseable"] == 2
    with pytest.raises(MatcherError) as err:
        report.raise_for_failures()
    assert "could not score 1 of 4" in str(err.value)
    assert "unparseable answer, e.g. 'I cannot assess this candidate.'" in str(err.value)
    with pytest.raises(MatcherError, match="could not score 1 of 4"):
        biasaudit.audit(frame, attributes=["sex"], matcher=m, jobs=JOB, threshold=0.5)


def test_llm_failed_candidates_are_retried_on_rerun(chat, pool, tmp_path):
    frame = pool.head(4).copy()
    frame.loc[1, "resume_text"] = "GARBAGE"
    score_candidates(llm(chat), frame, JOB, cache=tmp_path)
    assert chat.requests == 4
    score_candidates(llm(chat), frame, JOB, cache=tmp_path)
    assert chat.requests == 5  # only the unscored candidate is asked again


def test_llm_rank_mode_position_bias_and_shuffled_repeats(chat):
    same = pd.DataFrame({"resume_text": ["Experienced welder"] * 3})
    chat.position_biased = True
    fixed = score_candidates(llm(chat, mode="rank", shuffle=False, batch_size=3), same, JOB)
    np.testing.assert_allclose(fixed.scores, [1.0, 0.5, 0.0])  # pure position bias
    shuffled = score_candidates(
        llm(chat, mode="rank", repeats=40, seed=1, batch_size=3), same, JOB
    ).scores
    assert np.abs(shuffled - 0.5).max() < 0.15  # averaged out
    chat.position_biased = False
    mixed = pd.DataFrame({"resume_text": ["Welder", "Python Python engineer", "Cook"]})
    ranked = score_candidates(llm(chat, mode="rank", repeats=5, seed=2, batch_size=3), mixed, JOB)
    assert ranked.scores[1] == 1.0


def test_llm_rank_unparseable_is_counted(chat):
    frame = pd.DataFrame({"resume_text": ["Welder", "GARBAGE", "Cook"]})
    m = llm(chat, mode="rank", repeats=2, batch_size=3)
    report = score_candidates(m, frame, JOB)
    assert np.isnan(report.scores).all() and m.stats["unparseable"] == 2
    assert list(report.failures.values()) == [2]


def test_llm_bad_answer_shape_and_options(chat, pool):
    chat.faults = ["malformed"]
    with pytest.raises(MatcherError, match="body starts"):
        score_candidates(llm(chat, retries=0), pool.head(1), JOB)
    with pytest.raises(biasaudit.ValidationError, match="mode must be 'score' or 'rank'"):
        llm(chat, mode="vibes")
    with pytest.raises(biasaudit.ValidationError, match="repeats must be an integer >= 1"):
        llm(chat, repeats=0)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("85", 85.0),
        ("Score: 85/100", 85.0),
        ("85 out of 100.", 85.0),
        ('{"score": 12.5}', 12.5),
        ("101", None),
        ("-3", None),
        ("", None),
        ("60 or 70", None),
        ("Candidate 2: 80", None),
    ],
)
def test_parse_score(text, value):
    assert parse_score(text) == value


def test_parse_ranking():
    assert parse_ranking("2, 3, 1", 3) == [2, 3, 1]
    assert parse_ranking("[2] > [1]", 2) == [2, 1]
    assert parse_ranking("2, 2, 1", 3) is None
    assert parse_ranking("1, 2, 3, 4", 3) is None
