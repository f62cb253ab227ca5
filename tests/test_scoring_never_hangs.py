"""A matcher that fails once while several calls run at a time ends the run promptly.

Before the fix, scoring waited on calls that shutdown(cancel_futures=True) had
cancelled, which never complete for wait(): with concurrency=4 and one failure the
run hung forever. Each run here is bounded by a thread join with a timeout.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import biasaudit.matchers._engine as engine
from biasaudit.matchers import BaseMatcher, Job, MatcherError, score_candidates


def _run_bounded(target, seconds: float) -> tuple[bool, BaseException | None]:
    outcome: dict[str, BaseException | None] = {"error": None}

    def body() -> None:
        try:
            target()
        except BaseException as exc:  # reported to the test
            outcome["error"] = exc

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), outcome["error"]


@pytest.mark.parametrize("seed", range(5))
def test_one_failure_among_concurrent_calls_ends_the_run(seed: int) -> None:
    rng = np.random.default_rng(seed)
    fail_at = int(rng.integers(0, 40))
    calls = {"n": 0}
    lock = threading.Lock()

    class Flaky(BaseMatcher):
        """A service that takes a while per call and refuses one of them."""

        name = "flaky"
        batch_size = 1
        concurrency = 4

        def score(self, candidates: pd.DataFrame, job: Job | None = None) -> np.ndarray:
            with lock:
                calls["n"] += 1
                mine = calls["n"]
            time.sleep(0.01)
            if mine == fail_at + 1:
                raise RuntimeError("service said no")
            return np.ones(len(candidates))

    matcher = Flaky()
    frame = pd.DataFrame({"text": [f"resume {i}" for i in range(60)]})
    jobs = [Job(id="j1", title="Nurse", description="care")]

    finished, error = _run_bounded(
        lambda: score_candidates(matcher, frame, jobs, cross=True, progress=False),
        seconds=30,
    )
    assert finished, "scoring hung after a matcher failure"
    assert isinstance(error, MatcherError)
    assert "service said no" in str(error)


def test_calls_still_queued_when_one_fails_do_not_hang_the_run(monkeypatch) -> None:
    """Deterministic form: one worker thread, so three of four submitted calls are queued
    when the first fails; shutdown(cancel_futures=True) cancels them, and the old wait()
    on those cancelled calls never returned."""
    monkeypatch.setattr(
        engine, "ThreadPoolExecutor", lambda max_workers, **kw: ThreadPoolExecutor(1, **kw)
    )

    class FailsFirst(BaseMatcher):
        name = "fails-first"
        batch_size = 1
        concurrency = 4

        def score(self, candidates: pd.DataFrame, job: Job | None = None) -> np.ndarray:
            raise RuntimeError("first call refused")

    frame = pd.DataFrame({"text": [f"resume {i}" for i in range(8)]})
    jobs = [Job(id="j1", title="Nurse", description="care")]
    finished, error = _run_bounded(
        lambda: score_candidates(FailsFirst(), frame, jobs, cross=True, progress=False),
        seconds=20,
    )
    assert finished, "scoring hung on calls cancelled while still queued"
    assert isinstance(error, MatcherError) and "first call refused" in str(error)
