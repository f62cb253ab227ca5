"""Matcher benchmark: scoring throughput and the score cache's payoff.

1. ``tfidf`` and ``skills`` score 100,000 synthetic resumes against 10 jobs
   (1,000,000 candidate-job pairs) through the shared scoring engine
   (``score_candidates(..., cross=True)``); target under 10 s each.
2. ``http`` against the test suite's scoring server on 127.0.0.1: a first run
   (every batch a real request), then a fully cached rerun; target: the rerun
   at least 20x faster.

Resumes are generated here (vectorised, seeded), not by biasaudit.synth, so the
benchmark measures only the matchers. Times are wall-clock, best of
``--repeat`` runs, on whatever machine runs it.

Usage::

    python benchmarks/bench_matchers.py [--n 100000] [--jobs 10] [--http-n 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "matchers"))

from biasaudit import matchers  # noqa: E402
from biasaudit.matchers import Job, score_candidates  # noqa: E402

SKILLS = [
    "Python",
    "SQL",
    "Git",
    "Docker",
    "Kubernetes",
    "AWS",
    "JavaScript",
    "Linux",
    "Excel",
    "Tableau",
    "statistics",
    "R",
    "CRM",
    "negotiation",
    "Salesforce",
    "forecasting",
    "inventory",
    "forklift",
    "triage",
    "scheduling",
]
FILLER = [
    "experienced",
    "reliable",
    "team",
    "player",
    "delivered",
    "projects",
    "on",
    "time",
    "improved",
    "process",
    "led",
    "customers",
    "reports",
    "stakeholders",
    "quality",
    "results",
]


def make_resumes(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` resumes: a skills list, years of experience, and text of about 40 words."""
    rng = np.random.default_rng(seed)
    held = rng.random((n, len(SKILLS))) < 0.25
    skills = np.array(SKILLS, dtype=object)
    skill_text = [", ".join(skills[row]) for row in held]
    filler = np.array(FILLER, dtype=object)[rng.integers(0, len(FILLER), (n, 30))]
    text = [
        f"{' '.join(f[:15])}. Skills: {s}. {' '.join(f[15:])}." for f, s in zip(filler, skill_text)
    ]
    return pd.DataFrame(
        {
            "candidate_id": np.arange(n),
            "skills": skill_text,
            "years_experience": rng.integers(0, 25, n),
            "resume_text": text,
        }
    )


def make_jobs(k: int, seed: int = 8) -> list[Job]:
    rng = np.random.default_rng(seed)
    jobs = []
    for i in range(k):
        picked = rng.choice(len(SKILLS), 6, replace=False)
        required, preferred = [SKILLS[p] for p in picked[:4]], [SKILLS[p] for p in picked[4:]]
        jobs.append(
            Job(
                f"J{i:02d}",
                title=f"Role {i}",
                description=f"We need {', '.join(required)}; nice to have {', '.join(preferred)}.",
                required_skills=required,
                preferred_skills=preferred,
                min_years=float(rng.integers(1, 8)),
            )
        )
    return jobs


def best_of(repeat: int, run) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - started)
    return min(times), out


def bench_local(n: int, k: int, repeat: int) -> dict[str, dict]:
    frame, jobs = make_resumes(n), make_jobs(k)
    results = {}
    for name, matcher in (
        ("tfidf", matchers.get("tfidf", text_column="resume_text")),
        ("skills", matchers.get("skills")),
    ):
        seconds, report = best_of(
            repeat, lambda m=matcher: score_candidates(m, frame, jobs, cross=True, quiet=True)
        )
        assert report.n_failed == 0 and len(report.scores) == n * k
        results[name] = {
            "candidates": n,
            "jobs": k,
            "pairs": n * k,
            "seconds": round(seconds, 3),
            "pairs_per_second": round(n * k / seconds),
            "target_seconds": 10,
            "meets_target": seconds < 10,
        }
    return results


def bench_http(n: int) -> dict:
    from fake_servers import ScoringServer

    frame, job = make_resumes(n), make_jobs(1)[0]
    server = ScoringServer()
    try:
        options = dict(fields="resume_text,years_experience", batch_size=50, concurrency=4)
        with tempfile.TemporaryDirectory() as cache:
            first, _ = best_of(
                1,
                lambda: score_candidates(
                    matchers.get("http", url=server.url + "/score", **options),
                    frame,
                    job,
                    cache=cache,
                    quiet=True,
                ),
            )
            requests = server.requests
            rerun, report = best_of(
                3,
                lambda: score_candidates(
                    matchers.get("http", url=server.url + "/score", **options),
                    frame,
                    job,
                    cache=cache,
                    quiet=True,
                ),
            )
    finally:
        server.close()
    assert report.n_cached == n and server.requests == requests
    return {
        "candidates": n,
        "requests_first_run": requests,
        "first_run_seconds": round(first, 3),
        "cached_rerun_seconds": round(rerun, 4),
        "speedup": round(first / rerun, 1),
        "target_speedup": 20,
        "meets_target": first / rerun >= 20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--http-n", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the results as JSON")
    args = parser.parse_args(argv)
    results = {
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "local": bench_local(args.n, args.jobs, args.repeat),
        "http": bench_http(args.http_n),
    }
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
