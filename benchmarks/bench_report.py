"""Report benchmark: render time and size of the HTML report for 21 intersectional groups.

The audit of a synthetic pool (sex 3 x race 7, with a label and a score, so
every section and chart is present: impact ratios, rates, score distributions,
calibration, error rates) over the two marginal tables and their intersection.
The audit itself is not timed; ``to_html`` is, best of ``--repeat`` runs after
one warm-up run. Targets (issue 6): under 2 s and under 2 MB.

Usage::

    python benchmarks/bench_report.py --rows 100000 --repeat 3 [--out report.html]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _common import make_pool  # noqa: E402

TIME_TARGET_S = 2.0
SIZE_TARGET_BYTES = 2 * 1024 * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="candidates in the pool")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    parser.add_argument("--out", help="also write the report here")
    args = parser.parse_args(argv)

    import biasaudit
    from biasaudit.reports import to_html

    pool = make_pool(args.rows)
    result = biasaudit.audit(
        pool, attributes=["sex", "race"], score="score", threshold=1.0, label="label"
    )
    frame = result.groups_frame()
    intersectional = sum(len(a) == 2 for a in frame["attribute"])
    marginal_tables = len({tuple(a) for a in frame["attribute"] if len(a) == 1})
    when = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

    html = to_html(result, args.out, generated_at=when)  # warm-up: templates, matplotlib
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        html = to_html(result, generated_at=when)
        times.append(time.perf_counter() - start)
    best = min(times)
    size = len(html.encode("utf-8"))
    charts = html.count("<svg")

    print(
        f"rows: {args.rows}; intersectional groups: {intersectional}; "
        f"marginal tables: {marginal_tables}; charts: {charts}"
    )
    print("render times (s): " + ", ".join(f"{t:.3f}" for t in times))
    ok_time, ok_size = best < TIME_TARGET_S, size < SIZE_TARGET_BYTES
    verdict = {True: "OK", False: "MISSED"}
    print(f"best render time: {best:.3f} s (target < {TIME_TARGET_S:.0f} s) {verdict[ok_time]}")
    print(
        f"file size: {size:,} bytes = {size / 1024 / 1024:.2f} MB (target < 2 MB) "
        f"{verdict[ok_size]}"
    )
    return 0 if ok_time and ok_size else 1


if __name__ == "__main__":
    sys.exit(main())
