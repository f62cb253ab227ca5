"""The gate's false-alarm rate and power, simultaneous bounds beside per-check bounds.

Baseline and candidate matchers from the same process (see tests/test_gate_family.py:
2,000 candidates, sex x race, 14 intersectional groups, top 30% selected, the
candidate's matcher noise correlated 0.9 with the baseline's), paired (same pool) and
unpaired (two pools). For each design it reports the share of runs in which the gate
reports any regression when nothing changed (the family-wise false-alarm rate; alpha
0.05), with the simultaneous bounds the gate uses and with the per-check percentile
bounds it used before, and the share of runs that catch a real drop (every woman's
score lowered by 0.25 or 0.4 sd: impact ratio about 1.0 -> 0.78 or 0.66).

Usage::

    python benchmarks/bench_gate_fwer.py [--pairs 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_gate_family import _runs

import biasaudit.gate._regression as regression

SIMULTANEOUS = regression.simultaneous_bounds


def _per_check(observed, replicates, confidence, usable):
    """The bounds before: each check's own percentile bounds, no correction."""
    return (
        np.nanquantile(replicates, 1 - confidence, axis=0),
        np.nanquantile(replicates, confidence, axis=0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    args = parser.parse_args()
    print(f"{args.pairs} runs per cell; alpha 0.05; seeded")
    print(f"{'design':10} {'bounds':14} {'false alarms':>13} {'power 0.25':>11} {'power 0.4':>10}")
    for unpaired in (False, True):
        for name, bounds in (("simultaneous", SIMULTANEOUS), ("per check", _per_check)):
            regression.simultaneous_bounds = bounds
            start = time.perf_counter()
            alarms, _ = _runs(args.pairs, unpaired, drop=0.0, seed=1)
            powers = [_runs(args.pairs // 3, unpaired, drop=d, seed=2)[1] for d in (0.25, 0.4)]
            design = "unpaired" if unpaired else "paired"
            print(
                f"{design:10} {name:14} {alarms:13.3f} {powers[0]:11.3f} {powers[1]:10.3f}"
                f"   ({time.perf_counter() - start:.0f} s)"
            )
    regression.simultaneous_bounds = SIMULTANEOUS


if __name__ == "__main__":
    main()
