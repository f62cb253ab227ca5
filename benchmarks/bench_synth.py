"""Synthetic pool benchmark: biasaudit.synth.make_pool with and without resume text.

Every (size, text) configuration runs in a fresh subprocess (clean heap and peak
memory). Times are wall-clock, best of ``--repeat`` runs after one warm-up run. The
pool has sex and race, three jobs and a direct bias knob; the "text" runs also render
one plain-text resume per candidate.

Targets (issue 4): 1,000,000 candidates with resume text in under 30 s, without text
in under 5 s.

Usage::

    python benchmarks/bench_synth.py --sizes 1e4,1e5,1e6 --repeat 3 \\
        --out benchmarks/results_synth.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as C  # noqa: E402

TARGETS_S = {("text", 1_000_000): 30.0, ("no_text", 1_000_000): 5.0}
BIAS = "race=Black or African American:0.7"


def _worker(n: int, text: bool, repeat: int) -> dict[str, Any]:
    from biasaudit.synth import make_pool, render_resumes

    C.reset_peak_rss()
    before = C.rss_bytes()

    def run() -> None:
        make_pool(n, jobs=3, bias=BIAS, resume_text=text, seed=C.SEED)

    timing = C.best_of(run, repeat)
    pool = make_pool(n, jobs=3, bias=BIAS, resume_text=False, seed=C.SEED)
    start = time.perf_counter()
    texts = render_resumes(pool.data) if text else None
    render_s = time.perf_counter() - start if text else None
    return {
        "n": n,
        "text": text,
        **timing,
        "render_text_s": render_s,
        "frame_bytes": C.table_bytes(pool.data if texts is None else pool.data.assign(t=texts)),
        "peak_rss_bytes": C.peak_rss_bytes(),
        "rss_before_bytes": before,
    }


def _spawn(n: int, text: bool, repeat: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", str(n), str(int(text)), str(repeat)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", help="write the results as JSON")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        n, text, repeat = (int(v) for v in args.worker)
        print(json.dumps(_worker(n, bool(text), repeat)))
        return 0
    results = []
    failed = []
    for n in C.parse_sizes(args.sizes):
        for text in (False, True):
            row = _spawn(n, text, args.repeat)
            target = TARGETS_S.get(("text" if text else "no_text", n))
            row["target_s"] = target
            row["meets_target"] = None if target is None else row["best_s"] < target
            if row["meets_target"] is False:
                failed.append(row)
            results.append(row)
            print(
                f"n={n:>9,} text={'yes' if text else 'no ':<3} best {row['best_s']:7.3f} s  "
                f"median {row['median_s']:7.3f} s  peak RSS "
                f"{row['peak_rss_bytes'] / 2**20:7.0f} MiB"
                + ("" if target is None else f"  target < {target:g} s: "
                   + ("met" if row["meets_target"] else "MISSED"))
            )  # fmt: skip
    if args.out:
        C.write_json(
            args.out,
            {"benchmark": "synth", "machine": C.machine_info(),
             "versions": C.versions(["biasaudit", "numpy", "pandas", "scipy"]),
             "results": results},
        )  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
