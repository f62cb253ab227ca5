"""Ranking metrics at scale: 100,000 jobs x 100 candidates (1e7 rows).

Times :func:`biasaudit.ranking.rank_audit` on a prebuilt CandidatePool (the
metrics: top-k tables with CMH, skew, NDKL, exposure, attention, rND/rKL/rRD,
FA*IR with the adjusted alpha, and the bootstrap over jobs), separately from
reading the table into the pool. Target: under 5 s for the metrics, with
``rank=`` and with ``score=``. Wall-clock and CPU seconds are both printed: on
a shared machine the wall clock includes time spent waiting for a core.

A last case has jobs of 50 to 150 candidates (about 1e7 rows too): unequal
lengths give thousands of distinct (length, group share) pairs, each with its
own FA*IR adjustment, which is the costly part there.

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


def make_rankings(
    jobs: int, size: int, seed: int = 0, sizes: np.ndarray | None = None
) -> pd.DataFrame:
    """Jobs of ``size`` candidates (or ``sizes[j]``); men score a little higher."""
    rng = np.random.default_rng(seed)
    sizes = np.full(jobs, size) if sizes is None else np.asarray(sizes)
    n = int(sizes.sum())
    sex = rng.choice(np.array(["F", "M"]), n, p=[0.45, 0.55])
    score = rng.normal(size=n) + 0.2 * (sex == "M")
    job = np.repeat(np.arange(jobs), sizes)
    # Rank 1 is best: order each job by descending score.
    order = np.lexsort((-score, job))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, sizes) + 1
    return pd.DataFrame(
        {
            "job": job,
            "sex": pd.Categorical(sex),
            "score": score,
            "rank": rank,
            "label": rng.integers(0, 2, n),
        }
    )


def timed(func: Callable[[], object], repeat: int) -> tuple[float, float, float, object]:
    """Median and best wall-clock seconds, median CPU seconds, and the last result."""
    times, cpu, out = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), min(times), statistics.median(cpu), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = make_rankings(args.jobs, args.size)
    rows = []

    def case(name: str, func: Callable[[], object]) -> object:
        median, best, cpu, out = timed(func, args.repeat)
        rows.append((name, median, best, cpu))
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
        lengths = np.random.default_rng(1).integers(
            args.size // 2, 3 * args.size // 2 + 1, args.jobs
        )
        mixed = make_rankings(len(lengths), 0, sizes=lengths)
        by_mixed = CandidatePool(mixed, attributes=["sex"], job="job", score="score")
        case(
            f"rank_audit(score=), {len(mixed):,} rows, unequal jobs",
            lambda: rank_audit(by_mixed, **options),
        )
    print(
        f"{args.jobs:,} jobs x {args.size} candidates = {len(frame):,} rows; "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"NumPy {np.__version__}; median (best) of {args.repeat}"
    )
    print(f"{'step':<52} {'median s':>9} {'best s':>8} {'CPU s':>7}")
    for name, median, best, cpu in rows:
        print(f"{name:<52} {median:>9.2f} {best:>8.2f} {cpu:>7.2f}")
    table = result.to_frame()  # type: ignore[attr-defined]
    shown = table[table["metric"].isin(["impact_ratio", "exposure_ratio", "ndkl", "rnd"])]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
