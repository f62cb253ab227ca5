"""Ranking metrics at scale: 100,000 jobs x 100 candidates (1e7 rows).

Times :func:`biasaudit.ranking.rank_audit` on a prebuilt CandidatePool (the
metrics: top-k tables with CMH, skew, NDKL, exposure, attention, rND/rKL/rRD,
FA*IR with the adjusted alpha, and the bootstrap over jobs), separately from
reading the table into the pool. Target: under 5 s for the metrics.

Usage::

    python benchmarks/bench_ranking.py [--jobs 100000] [--size 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from biasaudit import InsufficientDataWarning
from biasaudit.pool import CandidatePool
from biasaudit.ranking import rank_audit


def make_rankings(jobs: int, size: int, seed: int = 0) -> pd.DataFrame:
    """Jobs of equal size; men score a little higher, so the ranking is biased."""
    rng = np.random.default_rng(seed)
    n = jobs * size
    sex = rng.choice(np.array(["F", "M"]), n, p=[0.45, 0.55])
    score = rng.normal(size=n) + 0.2 * (sex == "M")
    job = np.repeat(np.arange(jobs), size)
    # Rank 1 is best: order each job by descending score.
    order = np.lexsort((-score, job))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.tile(np.arange(1, size + 1), jobs)
    return pd.DataFrame(
        {
            "job": job,
            "sex": pd.Categorical(sex),
            "score": score,
            "rank": rank,
            "label": rng.integers(0, 2, n),
        }
    )


def timed(func: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = make_rankings(args.jobs, args.size)
    rows = []

    def case(name: str, func: Callable[[], object]) -> object:
        median, best, out = timed(func, args.repeat)
        rows.append((name, median, best))
        return out

    options = {"attributes": ["sex"], "k": (10, 20)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        by_rank = case(
            "pool: read 1e7 rows (rank, label)",
            lambda: CandidatePool(frame, attributes=["sex"], job="job", rank="rank", label="label"),
        )
        by_score = case(
            "pool: read 1e7 rows (score)",
            lambda: CandidatePool(frame, attributes=["sex"], job="job", score="score"),
        )
        result = case(
            "rank_audit(rank=, label=), 200 bootstrap draws", lambda: rank_audit(by_rank, **options)
        )
        case(
            "rank_audit(rank=), no bootstrap", lambda: rank_audit(by_rank, **options, n_bootstrap=0)
        )
        case(
            "rank_audit(score=) incl. sort by score, 200 draws",
            lambda: rank_audit(by_score, **options),
        )
    print(
        f"{args.jobs:,} jobs x {args.size} candidates = {len(frame):,} rows; "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"NumPy {np.__version__}; median (best) of {args.repeat}"
    )
    print(f"{'step':<52} {'median s':>9} {'best s':>8}")
    for name, median, best in rows:
        print(f"{name:<52} {median:>9.2f} {best:>8.2f}")
    table = result.to_frame()  # type: ignore[attr-defined]
    shown = table[table["metric"].isin(["impact_ratio", "exposure_ratio", "ndkl", "rnd"])]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
