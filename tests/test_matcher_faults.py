"""Faults of a scoring service, a shared score cache, secrets and bad matcher settings.

Every server here is real and listens on 127.0.0.1: ``FaultServer`` speaks HTTP on
raw sockets so it can misbehave below HTTP (close mid-answer, reset, send a garbled
status line, trickle a byte a second); the shared-cache test runs two real Python
processes against one SQLite file; the secret and bad-setting tests run the command
line.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from biasaudit import _errors as E
from biasaudit import matchers
from biasaudit.cli import main
from biasaudit.matchers import Job, MatcherError, ScoreCache, score_candidates
from biasaudit.matchers._base import redact

JOB = Job("J1", "Software Engineer", "Build services in Python.", ["Python"], [], 2)
SECRET = "SECRET123"
TOKEN = "tok-SECRET-456-abcdef"
HEADER_SECRET = "hdr-SECRET-789"


def _score(candidate: dict) -> float:
    return round(0.1 * str(candidate.get("resume_text", "")).lower().count("python"), 6)


def scores_answer(body: dict) -> dict:
    return {"scores": [_score(c) for c in body["candidates"]]}


def chat_answer(body: dict) -> dict:
    return {"choices": [{"message": {"role": "assistant", "content": "50"}}]}


class FaultServer:
    """HTTP on raw sockets: each request takes the next fault of ``faults``, else answers.

    Faults: ``incomplete`` (headers promise more body than is sent, then close),
    ``close`` (close without a word), ``reset`` (TCP reset), ``badstatus`` (a garbled
    status line), ``trickle`` (the whole answer a byte a second), ``trickle-body``
    (headers at once, the body a byte a second), ``echo401`` / ``echo400`` (an error
    whose body repeats the request line and its headers, secrets included).
    """

    def __init__(self, answer: Callable[[dict], dict], delay: float = 0.0, meet: int = 0) -> None:
        self.answer = answer
        self.delay = delay
        # The first ``meet`` requests are held until all of them have arrived.
        self.meet = threading.Barrier(meet, timeout=30) if meet else None
        self.faults: list[str] = []
        self.requests = 0
        self.scored: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.closed = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.closed.set()
        self.sock.close()

    def _serve(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            head, _, body = head.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = next(
                (int(v) for k, _, v in (x.partition(": ") for x in lines) if k == "Content-Length"),
                0,
            )
            while len(body) < length:
                body += conn.recv(65536)
            with self.lock:
                self.requests += 1
                held = self.meet is not None and self.requests <= self.meet.parties
                fault = self.faults.pop(0) if self.faults else None
            if held:
                assert self.meet is not None
                with contextlib.suppress(threading.BrokenBarrierError):
                    self.meet.wait()
            time.sleep(self.delay)
            self._respond(conn, fault, lines, body)

    def _respond(
        self, conn: socket.socket, fault: str | None, lines: list[str], body: bytes
    ) -> None:
        if fault in ("echo401", "echo400"):
            status = b"401 Unauthorized" if fault == "echo401" else b"400 Bad Request"
            asked = [x for x in lines if x.split(":")[0] in ("Authorization", "X-Api-Key")]
            echo = json.dumps({"error": "refused", "request": [*asked, lines[0]]}).encode()
            conn.sendall(_response(echo, status))
            return
        if fault == "close":
            return
        if fault == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if fault == "badstatus":
            conn.sendall(b"garbage, not HTTP\r\n\r\n")
            return
        request = json.loads(body)
        if fault is None and "candidates" in request:
            with self.lock:
                self.scored.update(str(c["id"]) for c in request["candidates"])
        payload = json.dumps(self.answer(request)).encode()
        whole = _response(payload)
        if fault == "incomplete":
            conn.sendall(_response(payload, extra=50)[: len(whole) - len(payload) + 5])
        elif fault in ("trickle", "trickle-body"):
            start = 0 if fault == "trickle" else len(whole) - len(payload)
            conn.sendall(whole[:start])
            for i in range(start, len(whole)):
                if self.closed.wait(1.0):
                    return
                conn.sendall(whole[i : i + 1])
        else:
            conn.sendall(whole)


def _response(payload: bytes, status: bytes = b"200 OK", extra: int = 0) -> bytes:
    head = (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(payload) + extra).encode() + b"\r\nConnection: close\r\n\r\n"
    )
    return head + payload


@pytest.fixture
def server():
    s = FaultServer(scores_answer)
    yield s
    s.close()


@pytest.fixture
def chat():
    s = FaultServer(chat_answer)
    yield s
    s.close()


@pytest.fixture
def pool() -> pd.DataFrame:
    texts = ["Python and SQL", "Nurse", "Python, Python", "Forklift"]
    return pd.DataFrame(
        {
            "cid": [f"c{i:03d}" for i in range(12)],
            "sex": ["Female", "Male"] * 6,
            "resume_text": [texts[i % 4] for i in range(12)],
        }
    )


def http(server: FaultServer, **options: Any) -> Any:
    defaults = {"fields": "resume_text", "id_column": "cid", "backoff": 0.01, "batch_size": 12}
    return matchers.get("http", url=server.url + "/score", **{**defaults, **options})


def llm(chat: FaultServer, **options: Any) -> Any:
    defaults = {"model": "m", "backoff": 0.01, "concurrency": 1}
    return matchers.get("llm", base_url=chat.url + "/v1", **{**defaults, **options})


CONNECTION_FAULTS = {
    "incomplete": "IncompleteRead",
    "close": "RemoteDisconnected",
    "reset": "Connection",  # ConnectionResetError, or RemoteDisconnected when the RST is late
    "badstatus": "BadStatusLine",
}


# -- connections closed mid-answer are retried like 5xx ---------------------------------
@pytest.mark.parametrize("fault", sorted(CONNECTION_FAULTS))
def test_http_retries_a_connection_closed_mid_answer(server, pool, fault):
    server.faults = [fault, fault]
    m = http(server, retries=2)
    report = score_candidates(m, pool, JOB)
    np.testing.assert_allclose(report.scores, [_score(r) for r in pool.to_dict("records")])
    assert server.requests == 3 and m.stats == {"requests": 3, "retries": 2}


@pytest.mark.parametrize("fault", sorted(CONNECTION_FAULTS))
def test_http_names_the_real_failure_and_the_job_when_retries_run_out(server, pool, fault):
    server.faults = [fault] * 3
    with pytest.raises(MatcherError) as err:
        score_candidates(http(server, retries=2), pool, JOB)
    message = str(err.value)
    assert message.startswith(f"The scoring service at {server.url}/score failed while scoring")
    assert "job 'J1', after 3 attempt(s): the connection broke off (" in message
    assert CONNECTION_FAULTS[fault] in message
    assert "None" not in message and "Check the matcher's options" not in message
    assert server.requests == 3


@pytest.mark.parametrize("fault", ["incomplete", "reset", "badstatus"])
def test_llm_retries_a_connection_closed_mid_answer(chat, pool, fault):
    chat.faults = [fault]
    m = llm(chat, retries=1)
    report = score_candidates(m, pool.head(2), JOB)
    np.testing.assert_allclose(report.scores, [0.5, 0.5])
    assert chat.requests == 3 and m._http.stats["retries"] == 1
    chat.faults = [fault] * 2
    with pytest.raises(MatcherError, match=r"job 'J1', after 2 attempt\(s\): the connection"):
        score_candidates(llm(chat, retries=1), pool.head(1), JOB)


# -- timeout is a total deadline --------------------------------------------------------
@pytest.mark.parametrize("fault", ["trickle", "trickle-body"])
def test_a_trickling_answer_is_cut_at_the_deadline(server, pool, fault):
    """A byte a second never trips a per-read timeout; the deadline stops it at ~1 s."""
    server.faults = [fault]
    started = time.monotonic()
    with pytest.raises(MatcherError) as err:
        score_candidates(http(server, timeout=1, retries=0), pool, JOB)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"a 1 s deadline held the request {elapsed:.1f} s"
    assert "after 1 attempt(s): no answer within 1 s (timeout)" in str(err.value)


def test_a_request_past_its_deadline_is_retried(server, pool):
    server.faults = ["trickle-body"]
    m = http(server, timeout=1, retries=1)
    started = time.monotonic()
    report = score_candidates(m, pool, JOB)
    assert time.monotonic() - started < 3.5
    assert report.n_failed == 0 and m.stats == {"requests": 2, "retries": 1}


def test_llm_timeout_is_a_deadline_too(chat, pool):
    chat.faults = ["trickle"]
    started = time.monotonic()
    with pytest.raises(MatcherError, match=r"no answer within 1 s \(timeout\)"):
        score_candidates(llm(chat, timeout=1, retries=0), pool.head(1), JOB)
    assert time.monotonic() - started < 2.5


# -- a shared cache: two processes score each pair once ---------------------------------
WORKER = """
import json, pathlib, sys, time
import pandas as pd
from biasaudit import matchers
from biasaudit.matchers import Job, score_candidates

url, cache, ready, go = sys.argv[1:5]
pool = pd.DataFrame({
    "cid": [f"c{i:03d}" for i in range(120)],
    "resume_text": ["python " * (i % 5) + f"person {i}" for i in range(120)],
})
m = matchers.get("http", url=url, fields="resume_text", id_column="cid", batch_size=4,
                 concurrency=1, backoff=0.01)
pathlib.Path(ready).touch()
while not pathlib.Path(go).exists():
    time.sleep(0.01)
report = score_candidates(m, pool, Job("J1", "Engineer", "Python"), cache=cache, progress=False)
print(json.dumps({"scored": report.n_scored, "cached": report.n_cached,
                  "failed": report.n_failed, "scores": report.scores.tolist()}))
"""


def test_two_processes_sharing_a_cache_score_each_pair_once(tmp_path):
    """Both score the same 120 pairs at the same time (the service holds its first two
    requests until both have arrived, one from each process); each batch is claimed in
    the cache before it is sent, so the service sees each candidate exactly once."""
    s = FaultServer(scores_answer, delay=0.02, meet=2)
    try:
        script = tmp_path / "worker.py"
        script.write_text(WORKER)
        go = tmp_path / "go"
        argv = [sys.executable, str(script), s.url + "/score", str(tmp_path / "cache")]
        procs = [
            subprocess.Popen(
                [*argv, str(tmp_path / f"ready{i}"), str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(2)
        ]
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
            time.sleep(0.02)
        go.touch()
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            outs.append(json.loads(out))
    finally:
        s.close()
    assert len(s.scored) == 120 and set(s.scored.values()) == {1}, s.scored.most_common(3)
    assert sum(o["scored"] for o in outs) == 120 and sum(o["cached"] for o in outs) == 120
    assert all(o["scored"] >= 4 for o in outs)  # both did part of the work
    assert outs[0]["scores"] == outs[1]["scores"] and not any(o["failed"] for o in outs)
    assert (
        ScoreCache(tmp_path / "cache")._db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    )  # every claim released


def test_a_claim_of_a_process_that_ended_is_void(server, pool, tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    m = http(server)
    cache = ScoreCache(tmp_path)
    key = score_candidates(m, pool.head(0), JOB).fingerprint  # the matcher's fingerprint
    job = f"{matchers._engine.job_key(JOB)}|{matchers._engine.columns_key(pool)}"
    digests = matchers._engine.content_hashes(pool).tolist()
    with cache._db:
        cache._db.executemany(
            "INSERT INTO claims VALUES (?, ?, ?, 'gone', ?, ?, ?)",
            [(key, job, d, matchers._engine._HOST, int(ended.stdout), time.time() + 999)
             for d in digests],
        )  # fmt: skip
    started = time.monotonic()
    report = score_candidates(m, pool, JOB, cache=cache)
    assert time.monotonic() - started < 5 and report.n_scored == len(pool)


def test_pairs_another_run_scores_meanwhile_are_taken_from_the_cache(server, pool, tmp_path):
    """A claim of a live run is left alone; its scores are picked up when they land."""
    m = http(server)
    job = f"{matchers._engine.job_key(JOB)}|{matchers._engine.columns_key(pool)}"
    digests = matchers._engine.content_hashes(pool).tolist()
    other = ScoreCache(tmp_path)
    found, taken = other.claim(m.fingerprint, job, digests[:6], "other-run")
    assert (found, taken) == ({}, set())

    def finish() -> None:
        time.sleep(0.5)
        other.put(m.fingerprint, job, digests[:6], [0.25] * 6)
        other.release("other-run")

    threading.Thread(target=finish, daemon=True).start()
    report = score_candidates(m, pool, JOB, cache=tmp_path)
    assert report.n_cached == 6 and report.n_scored == 6 and server.requests == 1
    assert report.scores[:6].tolist() == [0.25] * 6
    assert sorted(server.scored) == sorted(pool.cid[6:])


# -- secrets ----------------------------------------------------------------------------
def test_redact_masks_credentials_key_parameters_and_known_secrets():
    url = "https://bob:pw@svc.example/score?model=v3&API_KEY=abc&Token=t1&sig=s&signature=x"
    assert redact(url) == (
        "https://***@svc.example/score?model=v3&API_KEY=***&Token=***&sig=***&signature=***"
    )
    for name in ("key", "apikey", "access_token", "secret", "password", "api-key"):
        assert redact(f"http://h/x?{name}=v1&keep=1") == f"http://h/x?{name}=***&keep=1"
    assert redact("monkey=1&keys=2&tokens=3") == "monkey=1&keys=2&tokens=3"
    assert redact(f'{{"auth": "Bearer {TOKEN}"}}') == '{"auth": "Bearer ***"}'
    assert redact(f"echo {HEADER_SECRET}!", [HEADER_SECRET, "ab"]) == "echo ***!"


def test_auth_failure_and_quoted_bodies_hold_no_secret(server, pool, monkeypatch):
    monkeypatch.setenv("BIASAUDIT_FAULT_TOKEN", TOKEN)
    options = {
        "token_env": "BIASAUDIT_FAULT_TOKEN",
        "headers": {"X-Api-Key": HEADER_SECRET},
    }
    url = f"{server.url}/score?api_key={SECRET}"
    for fault in ("echo401", "echo400"):
        server.faults = [fault]
        m = matchers.get("http", url=url, fields="resume_text", **options)
        with pytest.raises(MatcherError) as err:
            score_candidates(m, pool, JOB)
        message = str(err.value)
        assert all(s not in message for s in (SECRET, TOKEN, HEADER_SECRET)), message
        assert "api_key=***" in message
    assert "Bearer ***" in message and "***" in message  # the 400 body is quoted, redacted
    m = matchers.get("http", url=url, fields="resume_text", **options)
    assert SECRET not in json.dumps(m.describe()) + repr(m)
    bad_url = f"ftp://u:{SECRET}@h/x"
    with pytest.raises(E.ValidationError) as err:
        matchers.get("http", url=bad_url)
    assert SECRET not in str(err.value)


def test_a_crashing_matcher_message_is_redacted(pool):
    def crash(candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        raise ValueError(f"could not reach https://u:pw@svc.example/x?api_key={SECRET}")

    with pytest.raises(MatcherError) as err:
        score_candidates(matchers.get("callable", func=crash), pool, JOB)
    assert SECRET not in str(err.value) and "https://***@svc.example/x?api_key=***" in str(
        err.value
    )


def test_cli_audit_writes_no_secret_anywhere(server, pool, tmp_path):
    pool.assign(job="J1").to_csv(tmp_path / "pool.csv", index=False)
    (tmp_path / "jobs.json").write_text(json.dumps([JOB.to_dict()]))
    env = {**os.environ, "BIASAUDIT_FAULT_TOKEN": TOKEN}
    outputs = ["--json", "out.json", "--html", "out.html", "--markdown", "out.md",
               "--csv", "out.csv"]  # fmt: skip
    args = [
        sys.executable, "-m", "biasaudit", "audit", "pool.csv", "-a", "sex", "--job", "job",
        "--matcher", "http", "--matcher-option", f"url={server.url}/score?api_key={SECRET}",
        "--matcher-option", "fields=resume_text",
        "--matcher-option", "token_env=BIASAUDIT_FAULT_TOKEN",
        "--matcher-option", f'headers={{"X-Api-Key": "{HEADER_SECRET}"}}',
        "--jobs", "jobs.json", "--threshold", "0.1", "--cache", "cache", *outputs,
    ]  # fmt: skip
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode in (0, 1), done.stderr
    assert "api_key=***" in (tmp_path / "out.json").read_text()
    server.faults = ["echo401"]
    refused = subprocess.run(
        [*args[:-8], "--cache", "cache2"], cwd=tmp_path, capture_output=True, text=True,
        timeout=120, env=env,
    )  # fmt: skip
    assert refused.returncode == 2 and "HTTP 401" in refused.stderr
    texts = [done.stdout, done.stderr, refused.stdout, refused.stderr]
    texts += [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    assert {name for name in ("out.json", "out.html", "out.md", "out.csv")} <= {
        p.name for p in tmp_path.iterdir()
    }
    for secret in (SECRET, TOKEN, HEADER_SECRET):
        assert all(secret not in text for text in texts), secret


# -- bad settings: one clear message and exit 2 -----------------------------------------
@pytest.fixture
def cli_pool(tmp_path, monkeypatch) -> list[str]:
    pd.DataFrame(
        {
            "sex": ["Female", "Male"] * 10,
            "job_id": ["J1"] * 20,
            "resume_text": ["python developer", "nurse"] * 10,
        }
    ).to_csv(tmp_path / "pool.csv", index=False)
    (tmp_path / "jobs.csv").write_text("id,title,description\nJ1,Engineer,python\n")
    monkeypatch.chdir(tmp_path)
    return ["audit", "pool.csv", "-a", "sex", "--jobs", "jobs.csv", "--job", "job_id",
            "--threshold", "0.1", "--quiet"]  # fmt: skip


def _refused(argv: list[str], capsys: Any) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("biasaudit: error: ") and err.count("\n") == 1
    return err


@pytest.mark.parametrize(
    ("make", "cache", "problem"),
    [
        (lambda p: p.joinpath("ok.csv").write_text("a,b\n"), "ok.csv", "is a file, not a folder"),
        (
            lambda p: (p / "c").mkdir() or (p / "c" / "scores.sqlite").write_text("junk"),
            "c",
            "is not a SQLite database biasaudit can use (file is not a database)",
        ),
        (
            lambda p: p.joinpath("s.sqlite").write_bytes(b"\x00" * 200),
            "s.sqlite",
            "is not a SQLite database biasaudit can use",
        ),
        (lambda p: p.joinpath("f").write_text(""), "f/x.sqlite", "lies inside a file"),
        (lambda p: (p / "d.sqlite").mkdir(), "d.sqlite", "is a folder, not a .sqlite file"),
    ],
)
def test_cli_cache_that_cannot_be_used(cli_pool, tmp_path, capsys, make, cache, problem):
    make(tmp_path)
    err = _refused([*cli_pool, "--matcher", "tfidf", "--cache", cache], capsys)
    assert "The score cache '" in err and problem in err
    assert "Pass --cache FOLDER (biasaudit keeps scores.sqlite inside it)" in err


def test_cache_with_a_foreign_scores_table(tmp_path):
    cache = ScoreCache(tmp_path / "x.sqlite")
    with cache._db:
        cache._db.execute("DROP TABLE scores")
        cache._db.execute("CREATE TABLE scores (a, b)")
    cache.close()
    with pytest.raises(E.ValidationError, match=r"has a 'scores' table of other columns"):
        ScoreCache(tmp_path / "x.sqlite")


def test_cli_matcher_option_named_like_a_registry_argument(cli_pool, capsys):
    err = _refused([*cli_pool, "--matcher", "callable", "--matcher-option", "name=x"], capsys)
    assert "Matcher 'callable' needs the option(s) ['func'], which were not given." in err
    assert "--matcher-option func=VALUE" in err


def test_matcher_option_name_reaches_the_adapter():
    m = matchers.get("callable", func=lambda c, j: np.zeros(len(c)), name="mine")
    assert m.label == "mine"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["nmae=x"], "Matcher 'tfidf' does not accept the option(s) ['nmae']."),
        (["batch_size=0"], "batch_size must be an integer >= 1"),
    ],
)
def test_cli_unknown_or_bad_matcher_option(cli_pool, capsys, options, message):
    extra = [x for o in options for x in ("--matcher-option", o)]
    err = _refused([*cli_pool, "--matcher", "tfidf", *extra], capsys)
    assert message in err


def test_cli_matcher_failure_is_one_message(server, cli_pool, capsys):
    server.faults = ["incomplete"] * 2
    url = f"url={server.url}/score"
    argv = [*cli_pool, "--matcher", "http", "--matcher-option", url,
            "--matcher-option", "retries=1", "--matcher-option", "backoff=0.01"]  # fmt: skip
    err = _refused(argv, capsys)
    assert "failed while scoring job 'J1', after 2 attempt(s)" in err and "IncompleteRead" in err
