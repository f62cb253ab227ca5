"""Engines benchmark: the same audit on every engine, at 1e7, 1e8 and 2e8 rows.

Three parts (see benchmarks/README.md, "Engines"):

a. 1e7 rows, in one worker process, side by side: pandas, polars, a polars
   LazyFrame, pyarrow, DuckDB (an in-memory table and a Parquet lake) and Dask
   (2 worker processes; the frame read from the lake, and the same frame
   persisted in the workers' memory), each against pandas and against a NumPy
   ``bincount`` lower bound doing the same counting work. Two workloads:
   ``given`` (a selected column and a label: counts only) and ``score`` (a
   threshold rule on a float score, with the label: also the exact median, score
   sums and histograms).
b. 1e7 and 1e8 rows: DuckDB on Parquet and Dask (2 workers) reading Parquet,
   each in a fresh process; wall time of the audit, and peak RSS of the whole
   process tree (the Dask scheduler, nannies and workers included), sampled
   with psutil, plus the kernel's high-water mark of the main process.
c. 2e8 rows (about 2.9 GB of Parquet, written row group by row group from a
   seeded generator, never held in memory): ``biasaudit audit 'lake/*.parquet'
   ...`` on the command line, its peak RSS (psutil tree sampling and
   ``/usr/bin/time -v``) against the 2 GiB target; the dataset is deleted after.

Usage::

    python benchmarks/bench_engines.py --parts a,b,c --out engines.json
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as C  # noqa: E402

CHUNK = 1_000_000  # rows per generator chunk and per Parquet row group
FILE_ROWS = 10_000_000
N_JOBS = 1000
THRESHOLD = 1.05  # about 20% of the synthetic scores are at or above it
GIB = 2**30
ATTRIBUTES = ["sex", "race"]
WORKLOADS: dict[str, dict[str, Any]] = {
    "given": dict(selected="selected", label="label", exact_auc=False),
    "score": dict(score="score", threshold=THRESHOLD, label="label", exact_auc=False),
}
COLUMNS = {
    "given": ["sex", "race", "selected", "label"],
    "score": ["sex", "race", "score", "label"],
}


# -- data ------------------------------------------------------------------------
def chunk(i: int, rows: int = CHUNK) -> Any:
    """Rows ``i * CHUNK ...`` of the synthetic pool, as an Arrow table (seeded per chunk).

    The distributions are those of ``_common.make_pool``; ``selected`` is a fixed
    threshold of the score (so chunks are independent), ``job`` one of 1,000
    requisitions and ``id`` the global row number.
    """
    import pyarrow as pa

    rng = np.random.default_rng([C.SEED, i])
    sex = C._draw(rng, C.SEX_P, rows)
    race = C._draw(rng, C.RACE_P, rows)
    label = (rng.random(rows) < C.LABEL_RATE).astype(np.int8)
    score = rng.standard_normal(rows)
    score += label
    score += np.asarray(C.SEX_SHIFT)[sex]
    score += np.asarray(C.RACE_SHIFT)[race]
    jobs = pa.array([f"J{j:04d}" for j in range(N_JOBS)])
    return pa.table(
        {
            "id": np.arange(i * CHUNK, i * CHUNK + rows, dtype=np.int64),
            "job": pa.DictionaryArray.from_arrays(rng.integers(0, N_JOBS, rows, np.int16), jobs),
            "sex": pa.DictionaryArray.from_arrays(sex, pa.array(list(C.SEX))),
            "race": pa.DictionaryArray.from_arrays(race, pa.array(list(C.RACE))),
            "label": label,
            "selected": (score >= THRESHOLD).astype(np.int8),
            "score": score,
        }
    )


def write_lake(path: Path, n: int) -> dict[str, Any]:
    """Write ``n`` rows as Parquet files of FILE_ROWS rows, one chunk (row group) at a time."""
    import pyarrow.parquet as pq

    path.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    n_chunks = n // CHUNK
    per_file = FILE_ROWS // CHUNK
    schema = chunk(0, 1).schema
    for first in range(0, n_chunks, per_file):
        name = path / f"part-{first // per_file:05d}.parquet"
        with pq.ParquetWriter(name, schema) as writer:
            for i in range(first, min(first + per_file, n_chunks)):
                writer.write_table(chunk(i), row_group_size=CHUNK)
    size = sum(f.stat().st_size for f in path.glob("*.parquet"))
    return {
        "rows": n,
        "files": len(list(path.glob("*.parquet"))),
        "bytes": size,
        "write_s": time.perf_counter() - start,
    }


def size_label(n: int) -> str:
    """``10_000_000`` -> ``"1e7"``."""
    mantissa, exponent = f"{n:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def ensure_lake(root: Path, n: int) -> tuple[Path, dict[str, Any]]:
    path = root / f"lake-{size_label(n)}"
    marker = path / "_done.json"
    if marker.exists():
        return path, json.loads(marker.read_text())
    shutil.rmtree(path, ignore_errors=True)
    info = write_lake(path, n)
    marker.write_text(json.dumps(info))
    return path, info


# -- timing helpers --------------------------------------------------------------
def loadavg() -> float | None:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def timed(fn: Any, repeat: int) -> dict[str, Any]:
    out = C.best_of(fn, repeat)
    return {"best_s": out["best_s"], "runs_s": out["runs_s"]}


def start_cluster() -> Any:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        silence_logs=40,
    )
    return Client(cluster)


# -- part a ----------------------------------------------------------------------
def lower_bound(codes: dict[str, np.ndarray], workload: str) -> Any:
    """The counting work of the audit in plain NumPy: a bincount per statistic.

    ``given``: one bincount of (cell, selected, label). ``score``: the exact
    median (np.partition), the threshold decision, one bincount of (cell,
    selected, label, above median), two weighted bincounts (score sum and sum of
    squares) and one of the 512-bin histogram per (cell, label).
    """
    cell = codes["sex"].astype(np.int64) * 7 + codes["race"]
    label = codes["label"]
    if workload == "given":
        return lambda: np.bincount((cell * 2 + codes["selected"]) * 2 + label, minlength=84)
    score = codes["score"]

    def run() -> Any:
        median = np.median(score)
        key = ((cell * 2 + (score >= THRESHOLD)) * 2 + label) * 2 + (score > median)
        counts = np.bincount(key, minlength=168)
        sums = np.bincount(cell, weights=score, minlength=21)
        squares = np.bincount(cell, weights=score * score, minlength=21)
        low, high = score.min(), score.max()
        b = np.minimum(((score - low) * (512 / (high - low))).astype(np.int64), 511)
        hist = np.bincount((cell * 2 + label) * 512 + b, minlength=21 * 2 * 512)
        return counts, sums, squares, hist

    return run


def polars_group_by(frame: Any, workload: str) -> Any:
    """A native polars group_by over the same keys (the counts only), for reference."""
    import polars as pl

    if workload == "given":
        return lambda: frame.group_by(["sex", "race", "selected", "label"]).len()
    median = frame["score"].median()
    return lambda: frame.group_by(
        "sex", "race", "label", s=pl.col("score") >= THRESHOLD, ab=pl.col("score") > median
    ).agg(pl.len(), pl.col("score").sum().alias("sum"), (pl.col("score") ** 2).sum().alias("sq"))


def part_a(root: Path, n: int, repeat: int) -> dict[str, Any]:
    """Run part (a) in a fresh process; returns its JSON."""
    lake, info = ensure_lake(root, n)
    return spawn(["--worker", "a", "--lake", str(lake), "--repeat", str(repeat)], info)


def worker_a(lake: Path, repeat: int) -> dict[str, Any]:
    import dask.dataframe as dd
    import duckdb
    import polars as pl
    import pyarrow.parquet as pq

    import biasaudit

    warnings.simplefilter("ignore")
    table = pq.read_table(lake)  # the same rows as the lake, in memory
    frame = table.to_pandas()
    pl_frame = pl.from_arrow(table)
    con = duckdb.connect()
    con.register("arrow_pool", table)
    con.execute("CREATE TABLE pool AS SELECT * FROM arrow_pool")
    client = start_cluster()
    files = sorted(glob.glob(str(lake / "*.parquet")))
    codes = {
        "sex": frame["sex"].cat.codes.to_numpy(),
        "race": frame["race"].cat.codes.to_numpy(),
        "label": frame["label"].to_numpy(),
        "selected": frame["selected"].to_numpy(),
        "score": frame["score"].to_numpy(),
    }
    out: dict[str, Any] = {"rows": len(frame), "workloads": {}}
    for workload, options in WORKLOADS.items():
        cols = COLUMNS[workload]
        persisted = dd.read_parquet(files, columns=cols).persist()
        inputs = {
            "pandas": frame[cols],
            "polars": pl_frame.select(cols),
            "polars_lazy": pl_frame.lazy(),
            "pyarrow": table.select(cols),
            "duckdb_table": con.table("pool"),
            "duckdb_parquet": str(lake / "*.parquet"),
            "dask_parquet": dd.read_parquet(files, columns=cols),
            "dask_persisted": persisted,
        }
        reference = biasaudit.audit(frame[cols], attributes=ATTRIBUTES, **options).stats.cube
        rows: dict[str, Any] = {}
        for name, data in inputs.items():
            load = loadavg()
            rows[name] = timed(
                lambda d=data, o=options: biasaudit.audit(d, attributes=ATTRIBUTES, **o), repeat
            )
            got = biasaudit.audit(data, attributes=ATTRIBUTES, **options).stats.cube
            rows[name]["same_counts_as_pandas"] = bool(np.array_equal(got, reference))
            rows[name]["loadavg_1min"] = [load, loadavg()]
        rows["numpy_bincount_lower_bound"] = timed(lower_bound(codes, workload), repeat)
        rows["polars_group_by_counts_only"] = timed(polars_group_by(pl_frame, workload), repeat)
        out["workloads"][workload] = rows
        del persisted
    client.close()
    return out


# -- parts b and c: one audit per fresh process, memory sampled over the tree --------
def sample_tree(proc: subprocess.Popen, interval: float = 0.05) -> dict[str, Any]:
    """Wait for ``proc`` while summing the RSS of it and all its descendants."""
    import psutil

    root = psutil.Process(proc.pid)
    peak = peak_processes = 0
    samples = 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            total = 0
            for p in tree:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            if total > peak:
                peak, peak_processes = total, len(tree)
            samples += 1
        except psutil.Error:
            pass
        time.sleep(interval)
    return {
        "tree_peak_rss_bytes": peak,
        "processes_at_peak": peak_processes,
        "samples": samples,
        "interval_s": interval,
    }


def spawn(argv: list[str], extra: dict[str, Any] | None = None, timeout: float = 1800) -> dict:
    """Run this script as a worker; its JSON result, wall time and sampled tree memory."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), *argv, "--result-file", str(result)]
        load = loadavg()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        memory = sample_tree(proc)
        _, stderr = proc.communicate(timeout=timeout)
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not result.exists():
            return {"error": stderr.strip().splitlines()[-15:], "returncode": proc.returncode}
        out = json.loads(result.read_text())
    out.update(memory)
    out["process_wall_s"] = wall
    out["loadavg_1min"] = [load, loadavg()]
    if extra:
        out["data"] = extra
    return out


def worker_b(lake: Path, engine: str, workload: str) -> dict[str, Any]:
    """One audit of the lake (after a small warm-up that imports everything)."""
    import biasaudit

    warnings.simplefilter("ignore")
    options = WORKLOADS[workload]
    client = start_cluster() if engine == "dask" else None
    files = sorted(glob.glob(str(lake / "*.parquet")))

    def data(paths: list[str]) -> Any:
        if engine == "dask":
            import dask.dataframe as dd

            return dd.read_parquet(paths, columns=COLUMNS[workload])
        return paths[0] if len(paths) == 1 else str(lake / "*.parquet")

    biasaudit.audit(data(files[:1]), attributes=ATTRIBUTES, **options)  # warm-up: imports
    C.reset_peak_rss()
    start = time.perf_counter()
    result = biasaudit.audit(data(files), attributes=ATTRIBUTES, **options)
    seconds = time.perf_counter() - start
    out = {
        "engine": engine,
        "workload": workload,
        "audit_s": seconds,
        "rows": result.stats.n_rows,
        "main_process_peak_rss_bytes": C.peak_rss_bytes(),
        "cube_sha256": __import__("hashlib").sha256(result.stats.cube.tobytes()).hexdigest(),
    }
    if client is not None:
        client.close()
    return out


def part_b(root: Path, sizes: list[int], engines: list[str], workloads: list[str]) -> dict:
    out: dict[str, Any] = {}
    for n in sizes:
        lake, info = ensure_lake(root, n)
        for engine in engines:
            for workload in workloads:
                key = f"{engine}/{workload}/{size_label(n)}"
                print(f"  b: {key} ...", flush=True)
                out[key] = spawn(
                    [
                        "--worker",
                        "b",
                        "--lake",
                        str(lake),
                        "--engine",
                        engine,
                        "--workload",
                        workload,
                    ],
                    info,
                )
    return out


def part_c(root: Path, n: int, keep: bool) -> dict[str, Any]:
    """The out-of-core claim: the CLI audits a 2e8-row lake in under 2 GiB."""
    need = n * 15 * 1.2  # ~14 bytes per row on disk, plus headroom
    free = shutil.disk_usage(root).free
    out: dict[str, Any] = {"free_disk_bytes_before": free}
    if free < need:
        out["skipped"] = f"only {free / GIB:.1f} GiB free under {root}; need {need / GIB:.1f}"
        return out
    lake, info = ensure_lake(root, n)
    out["data"] = info
    runs = {
        "score": ["--score", "score", "--threshold", str(THRESHOLD), "--job", "job"],
        "given": ["--selected", "selected", "--label", "label", "--job", "job"],
    }
    for name, flags in runs.items():
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "audit.json"
            timing = Path(tmp) / "time.txt"
            cmd = [
                "/usr/bin/time",
                "-v",
                "-o",
                str(timing),
                sys.executable,
                "-m",
                "biasaudit",
                "audit",
                str(lake / "*.parquet"),
                "--attribute",
                "sex",
                "--attribute",
                "race",
                *flags,
                "--quiet",
                "--json",
                str(report),
            ]
            load = loadavg()
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            memory = sample_tree(proc)
            _, stderr = proc.communicate()
            run: dict[str, Any] = {
                "command": " ".join(cmd[4:]),
                "returncode": proc.returncode,
                "wall_s": time.perf_counter() - start,
                **memory,
                "loadavg_1min": [load, loadavg()],
            }
            for line in timing.read_text().splitlines() if timing.exists() else []:
                if "Maximum resident set size" in line:
                    run["time_v_max_rss_bytes"] = int(line.split(":")[-1]) * 1024
            if proc.returncode not in (0, 1):
                run["error"] = stderr.strip().splitlines()[-10:]
            elif report.exists():
                run["rows_audited"] = json.loads(report.read_text())["provenance"]["rows"]["total"]
            out[name] = run
    if not keep:
        shutil.rmtree(lake)
        out["deleted"] = True
    return out


# -- report ----------------------------------------------------------------------
def table_a(a: dict[str, Any]) -> str:
    lines = []
    for workload, rows in a["workloads"].items():
        pandas = rows["pandas"]["best_s"]
        bound = rows["numpy_bincount_lower_bound"]["best_s"]
        lines += [
            f"\nWorkload `{workload}`, {a['rows']:.0e} rows:\n",
            "| engine | best (s) | / pandas | / bincount bound | same counts |",
            "|---|---:|---:|---:|---|",
        ]
        for name, r in rows.items():
            same = r.get("same_counts_as_pandas", "")
            lines.append(
                f"| {name} | {r['best_s']:.3f} | {r['best_s'] / pandas:.2f}x | "
                f"{r['best_s'] / bound:.1f}x | {same} |"
            )
    return "\n".join(lines)


def table_b(b: dict[str, Any]) -> str:
    lines = [
        "| engine / workload / rows | audit (s) | tree peak RSS (GiB) | main peak (GiB) | load |",
        "|---|---:|---:|---:|---|",
    ]
    for key, r in b.items():
        if "error" in r:
            lines.append(f"| {key} | error | | | |")
            continue
        lines.append(
            f"| {key} | {r['audit_s']:.2f} | {r['tree_peak_rss_bytes'] / GIB:.2f} | "
            f"{r['main_process_peak_rss_bytes'] / GIB:.2f} | {r['loadavg_1min']} |"
        )
    return "\n".join(lines)


def scaling(b: dict[str, Any], small_n: int, large_n: int) -> dict[str, float]:
    """Audit time at the large size over the time at the small size, per engine and workload."""
    out = {}
    for key, r in b.items():
        engine, workload, size = key.split("/")
        if size == size_label(large_n) and "audit_s" in r:
            small = b.get(f"{engine}/{workload}/{size_label(small_n)}", {})
            if "audit_s" in small:
                out[f"{engine}/{workload}"] = r["audit_s"] / small["audit_s"]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="a,b,c")
    parser.add_argument("--root", default=str(Path(tempfile.gettempdir()) / "biasaudit-bench"))
    parser.add_argument("--n-a", type=float, default=1e7)
    parser.add_argument("--sizes-b", default="1e7,1e8")
    parser.add_argument("--n-c", type=float, default=2e8)
    parser.add_argument("--engines-b", default="duckdb,dask")
    parser.add_argument("--workloads-b", default="score,given")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep-data", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--lake", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        lake = Path(args.lake)
        result = (
            worker_a(lake, args.repeat)
            if args.worker == "a"
            else worker_b(lake, args.engine, args.workload)
        )
        C.write_json(args.result_file, result)
        return
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    started = time.perf_counter()
    report: dict[str, Any] = {
        "machine": C.machine_info(),
        "versions": C.versions(
            ["biasaudit", "numpy", "pandas", "polars", "pyarrow", "duckdb", "dask", "distributed"]
        ),
    }
    if "a" in parts:
        print("part a ...", flush=True)
        report["a"] = part_a(root, int(args.n_a), args.repeat)
        print(table_a(report["a"]) if "workloads" in report["a"] else report["a"], flush=True)
    if "b" in parts:
        print("part b ...", flush=True)
        sizes = C.parse_sizes(args.sizes_b)
        report["b"] = part_b(root, sizes, args.engines_b.split(","), args.workloads_b.split(","))
        report["b_scaling"] = scaling(report["b"], sizes[0], sizes[-1])
        print(table_b(report["b"]), "\nscaling:", report["b_scaling"], flush=True)
    if "c" in parts:
        print("part c ...", flush=True)
        report["c"] = part_c(root, int(args.n_c), args.keep_data)
        print(json.dumps(report["c"], indent=1, default=str), flush=True)
    if not args.keep_data:
        for path in root.glob("lake-*"):
            shutil.rmtree(path, ignore_errors=True)
    report["total_s"] = time.perf_counter() - started
    print(f"total {report['total_s']:.0f} s")
    if args.out:
        C.write_json(args.out, report)


if __name__ == "__main__":
    main()
