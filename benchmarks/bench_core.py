"""Core benchmark: biasaudit.audit against fairlearn MetricFrame and aequitas.

The same work at every size: selection rate, true-positive rate and
false-positive rate for the 21 sex x race cells and for each marginal (sex,
race), plus the ratios between groups; separately, the exact per-group ROC AUC
over a float score.

Every (tool, size) runs in a fresh subprocess that rebuilds the same
deterministic synthetic table, so the tools cannot disturb each other's heap and
aequitas can run under its own interpreter (its ``pandas<3`` pin clashes with
this project's pandas). Times are wall-clock, best of ``--repeat`` runs after
one warm-up run. See benchmarks/README.md for the method and the results.

Usage::

    python benchmarks/bench_core.py --sizes 1e5,1e6,1e7 --peers fairlearn,aequitas \\
        --repeat 3 --out benchmarks/results.json
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common as C  # noqa: E402

ATTRIBUTES = ["sex", "race"]
COMBOS = [("sex",), ("race",), ("sex", "race")]
DEFAULT_AEQUITAS_PYTHON = "/tmp/aeq-venv/bin/python"
TARGETS = {
    "audit_s_at_1e7": 1.0,
    "speedup_vs_fairlearn": 100.0,
    "exact_auc_s_at_1e7": 3.0,
    "peak_memory_over_table": 1.5,
}


def _key(attribute_values: dict[str, str]) -> str:
    return ",".join(f"{a}={v}" for a, v in attribute_values.items())


# -- workers (each runs in its own process) ------------------------------------
def _audit_kwargs(score: bool, exact_auc: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(
        attributes=ATTRIBUTES, selected="selected", label="label", exact_auc=exact_auc
    )
    if score:
        kwargs["score"] = "score"
    return kwargs


def _biasaudit_check(result: Any, pool: Any, exact: Any) -> dict[str, Any]:
    """Rates per group from the audit, and exact AUC checked against scikit-learn."""
    from sklearn.metrics import roc_auc_score

    frame = result.groups_frame()
    rates = {}
    for row in frame.itertuples():
        key = _key(dict(zip(row.attribute, row.group)))
        rates[key] = [row.selection_rate, row.true_positive_rate, row.false_positive_rate]
    from biasaudit.engine import cell_index

    score, label = pool.arrays["score"], pool.arrays["label"]
    worst = 0.0
    for combo in COMBOS:
        codes = [pool.attribute_codes[a] for a in combo]
        sizes = [len(c.categories) for c in codes]
        groups = cell_index([c.codes for c in codes], sizes)
        u, n_pos, n_neg = exact[combo]
        for g in range(math.prod(sizes)):
            mask = groups == g
            if n_pos[g] and n_neg[g]:
                ref = roc_auc_score(label[mask], score[mask])
                worst = max(worst, abs(u[g] / (n_pos[g] * n_neg[g]) - ref))
    return {"rates": rates, "auc_max_abs_diff_vs_sklearn": worst}


def worker_biasaudit(n: int, repeat: int, auc: bool, check: bool) -> dict[str, Any]:
    import biasaudit
    from biasaudit.engine._reduce import _exact_auc
    from biasaudit.pool import CandidatePool

    df = C.make_pool(n)
    out: dict[str, Any] = {"n": n, "table_bytes": C.table_bytes(df[C.COLUMNS_AUDIT])}

    def run_audit() -> Any:
        return biasaudit.audit(df, **_audit_kwargs(score=False, exact_auc=False))

    out["audit"] = C.best_of(run_audit, repeat)
    out["pool"] = C.best_of(
        lambda: CandidatePool(df, attributes=ATTRIBUTES, selected="selected", label="label"),
        repeat,
    )
    if not auc:
        return out
    out["audit_score"] = C.best_of(
        lambda: biasaudit.audit(df, **_audit_kwargs(score=True, exact_auc=False)), repeat
    )
    out["audit_score_auc"] = C.best_of(
        lambda: biasaudit.audit(df, **_audit_kwargs(score=True, exact_auc=True)), repeat
    )
    out["exact_auc_delta_s"] = out["audit_score_auc"]["best_s"] - out["audit_score"]["best_s"]
    pool = CandidatePool(
        df, attributes=ATTRIBUTES, selected="selected", label="label", score="score"
    )

    def run_mwu() -> dict[str, float]:
        # The same call as audit(exact_auc=True): bucket by (label, cell) once,
        # then the Mann-Whitney U of every group of every combination.
        start = time.perf_counter()
        _exact_auc(pool, COMBOS)
        return {"exact_u_all_combinations": time.perf_counter() - start}

    out["mwu_engine"] = C.best_of(run_mwu, repeat)
    if check:
        out["check"] = _biasaudit_check(run_audit(), pool, _exact_auc(pool, COMBOS))
    return out


def worker_memory(n: int, config: str) -> dict[str, Any]:
    """Peak memory of one audit over a table holding only the columns it reads.

    RSS: the kernel's high-water mark is reset just before the call
    (``/proc/self/clear_refs``), so peak minus the RSS before the call is what
    the audit added on top of the table (NumPy, pandas *and* Arrow buffers).
    tracemalloc is reported as a cross-check; it sees NumPy and Python
    allocations but not Arrow's own memory pool.
    """
    import biasaudit

    kwargs = _audit_kwargs(score=config == "audit_auc", exact_auc=config == "audit_auc")
    columns = C.COLUMNS_AUC if config == "audit_auc" else C.COLUMNS_AUDIT
    biasaudit.audit(C.make_pool(2000)[columns], **kwargs)  # import everything lazily loaded
    df = C.make_pool(n)[columns].copy()
    gc.collect()
    size = C.table_bytes(df)
    rss_before = C.rss_bytes()
    reset_ok = C.reset_peak_rss()
    baseline = C.peak_rss_bytes() if not reset_ok else rss_before
    result = biasaudit.audit(df, **kwargs)
    peak = C.peak_rss_bytes()
    del result
    gc.collect()
    tracemalloc.start()
    result = biasaudit.audit(df, **kwargs)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    extra = peak - (baseline or 0)
    return {
        "n": n,
        "config": config,
        "columns": columns,
        "table_bytes": size,
        "rss_before_bytes": rss_before,
        "rss_peak_bytes": peak,
        "peak_reset": reset_ok,
        "extra_rss_bytes": extra,
        "extra_rss_over_table": extra / size,
        "tracemalloc_peak_bytes": traced_peak,
        "tracemalloc_over_table": traced_peak / size,
    }


def worker_fairlearn(n: int, repeat: int, check: bool) -> dict[str, Any]:
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    df = C.make_pool(n)
    metrics = {
        "selection_rate": selection_rate,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
    }
    features = {
        "sex_x_race": lambda: df[ATTRIBUTES],
        "sex": lambda: df["sex"],
        "race": lambda: df["race"],
    }
    frames: dict[str, Any] = {}

    def run() -> dict[str, float]:
        parts = {}
        for name, feature in features.items():
            start = time.perf_counter()
            frame = MetricFrame(
                metrics=metrics,
                y_true=df["label"],
                y_pred=df["selected"],
                sensitive_features=feature(),
            )
            _ = frame.by_group
            frame.ratio()
            frame.difference()
            parts[name] = time.perf_counter() - start
            frames[name] = frame
        return parts

    out: dict[str, Any] = {"n": n, "run": C.best_of(run, repeat)}
    if check:
        rates = {}
        for name, frame in frames.items():
            attrs = ATTRIBUTES if name == "sex_x_race" else [name]
            for index, row in frame.by_group.iterrows():
                values = index if isinstance(index, tuple) else (index,)
                key = _key(dict(zip(attrs, map(str, values))))
                rates[key] = [row["selection_rate"], row["tpr"], row["fpr"]]
        out["check"] = {"rates": rates}
    return out


def worker_aequitas(n: int, repeat: int, check: bool) -> dict[str, Any]:
    import pandas as pd
    from aequitas.bias import Bias
    from aequitas.group import Group

    df = C.make_pool(n)[C.COLUMNS_AUDIT]
    # aequitas wants object-dtype attribute columns and has no intersections of
    # its own: build both before timing it (reported apart as prep).
    start = time.perf_counter()
    data = pd.DataFrame(
        {
            "sex": df["sex"].astype(str).astype(object),
            "race": df["race"].astype(str).astype(object),
            "selected": df["selected"],
            "label": df["label"],
        }
    )
    data["sex_x_race"] = data["sex"] + "\x1f" + data["race"]
    prep = time.perf_counter() - start
    del df
    tables: dict[str, Any] = {}

    def run() -> dict[str, float]:
        start = time.perf_counter()
        crosstab, _ = Group().get_crosstabs(
            data, attr_cols=["sex", "race", "sex_x_race"], score_col="selected", label_col="label"
        )
        middle = time.perf_counter()
        tables["bias"] = Bias().get_disparity_major_group(crosstab, original_df=data)
        return {"get_crosstabs": middle - start, "get_disparity": time.perf_counter() - middle}

    out: dict[str, Any] = {"n": n, "prep_s": prep, "run": C.best_of(run, repeat)}
    out["versions"] = C.versions(["aequitas", "pandas", "numpy"])
    out["python"] = sys.version.split()[0]
    if check:
        rates = {}
        for row in tables["bias"].itertuples():
            if row.attribute_name == "sex_x_race":
                key = _key(dict(zip(ATTRIBUTES, row.attribute_value.split("\x1f"))))
            else:
                key = _key({row.attribute_name: row.attribute_value})
            rates[key] = [row.pprev, row.tpr, row.fpr]
        out["check"] = {"rates": rates}
    return out


def run_worker_main(args: argparse.Namespace) -> None:
    warnings.simplefilter("ignore")
    if args.worker == "biasaudit":
        result = worker_biasaudit(args.n, args.repeat, args.auc, args.check)
    elif args.worker == "memory":
        result = worker_memory(args.n, args.config)
    elif args.worker == "fairlearn":
        result = worker_fairlearn(args.n, args.repeat, args.check)
    elif args.worker == "aequitas":
        result = worker_aequitas(args.n, args.repeat, args.check)
    else:
        raise SystemExit(f"unknown worker {args.worker!r}")
    C.write_json(args.result_file, result)


# -- driver --------------------------------------------------------------------
def spawn(python: str, worker: str, n: int, timeout: float, **options: Any) -> dict[str, Any]:
    """Run one worker in a fresh interpreter; its JSON result or an error record."""
    with tempfile.TemporaryDirectory() as tmp:
        result_file = Path(tmp) / "result.json"
        cmd = [python, str(Path(__file__).resolve()), "--worker", worker, "--n", str(n)]
        cmd += ["--result-file", str(result_file)]
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            if value is True:
                cmd.append(flag)
            elif value not in (None, False):
                cmd += [flag, str(value)]
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"skipped": f"timed out after {timeout:.0f} s"}
        elapsed = time.perf_counter() - start
        if proc.returncode != 0 or not result_file.exists():
            return {"error": proc.stderr.strip().splitlines()[-20:], "returncode": proc.returncode}
        result = json.loads(result_file.read_text())
        result["process_wall_s"] = elapsed
        # 1-minute load average around the worker: above ~1 on this 2-core box
        # means something else competed for the CPU while it was timed.
        result["loadavg_1min"] = [load_before, os.getloadavg()[0] if load_before else None]
        return result


def source_fingerprint() -> dict[str, Any]:
    """Which biasaudit code was measured: git HEAD, dirty flag, hash of the sources."""
    import biasaudit

    root = Path(biasaudit.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    out: dict[str, Any] = {"package_dir": str(root), "sources_sha256": digest.hexdigest()}
    try:
        git = ["git", "-C", str(root.parent)]
        head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", str(root)], capture_output=True, text=True
        )
        out["git_head"] = head.stdout.strip() or None
        out["package_dirty"] = bool(dirty.stdout.strip())
    except OSError:
        pass
    return out


def aequitas_python(requested: str | None) -> tuple[str | None, str]:
    """The interpreter that runs aequitas, and how it was chosen."""
    candidates = []
    if requested:
        candidates.append((requested, "--aequitas-python"))
    if os.environ.get("BENCH_AEQUITAS_PYTHON"):
        candidates.append((os.environ["BENCH_AEQUITAS_PYTHON"], "$BENCH_AEQUITAS_PYTHON"))
    candidates += [(sys.executable, "this interpreter"), (DEFAULT_AEQUITAS_PYTHON, "default venv")]
    for python, how in candidates:
        if not Path(python).exists():
            continue
        probe = subprocess.run(
            [python, "-c", "import aequitas.group, aequitas.bias"], capture_output=True
        )
        if probe.returncode == 0:
            return python, how
    return None, "aequitas not importable from any candidate interpreter"


def _agree(reference: dict[str, list[float]], other: dict[str, list[float]]) -> dict[str, Any]:
    missing = sorted(set(reference) ^ set(other))
    worst = 0.0
    for key in set(reference) & set(other):
        for a, b in zip(reference[key], other[key]):
            if not (math.isnan(a) and math.isnan(b)):
                worst = max(worst, abs(a - b))
    return {
        "groups_compared": len(set(reference) & set(other)),
        "unmatched": missing,
        "max_abs_diff": worst,
    }


def peer_plan(
    history: list[tuple[int, float]], n: int, repeat: int, budget: float, total: float
) -> tuple[int, float | None, str | None]:
    """Repeats to run at size ``n`` from a linear extrapolation of the last run."""
    if not history:
        return repeat, None, None
    n_prev, t_prev = history[-1]
    estimate = t_prev * n / n_prev
    if estimate > budget:
        return (
            0,
            estimate,
            (
                f"skipped: estimated {estimate:.0f} s per run (linear from {t_prev:.1f} s at "
                f"n={n_prev:,}) exceeds the {budget:.0f} s budget"
            ),
        )
    return max(1, min(repeat, int(total // estimate) - 1)), estimate, None


def run_peer(
    peer: str, python: str, n: int, args: argparse.Namespace, history: list, check: bool
) -> dict[str, Any]:
    reps, estimate, reason = peer_plan(
        history, n, args.repeat, args.peer_budget, args.peer_total_budget
    )
    if reason:
        return {"skipped": reason, "estimate_s": estimate}
    timeout = (reps + 1) * args.peer_budget * 1.5 + 120
    result = spawn(python, peer, n, timeout, repeat=reps, check=check)
    result["repeat"] = reps
    if "run" in result:
        history.append((n, result["run"]["best_s"]))
    elif "skipped" in result:
        history.append((n, float("inf")))
    return result


def drive(args: argparse.Namespace) -> dict[str, Any]:
    sizes = C.parse_sizes(args.sizes)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = set(peers) - {"fairlearn", "aequitas"}
    if unknown:
        raise SystemExit(f"unknown peers: {sorted(unknown)}; choose from fairlearn, aequitas")
    auc_sizes = set(C.parse_sizes(args.auc_sizes)) if args.auc_sizes else set(sizes)
    results: dict[str, Any] = {
        "machine": C.machine_info(),
        "versions": C.versions(
            [
                "biasaudit",
                "numpy",
                "pandas",
                "pyarrow",
                "scipy",
                "narwhals",
                "fairlearn",
                "scikit-learn",
            ]
        ),
        "biasaudit_source": source_fingerprint(),
        "config": {
            "sizes": sizes,
            "peers": peers,
            "repeat": args.repeat,
            "peer_budget_s": args.peer_budget,
            "peer_total_budget_s": args.peer_total_budget,
            "seed": C.SEED,
            "argv": sys.argv,
        },
        "sizes": {},
    }
    pythons = {"fairlearn": (sys.executable, "this interpreter")}
    if "aequitas" in peers:
        pythons["aequitas"] = aequitas_python(args.aequitas_python)
        results["config"]["aequitas_python"] = pythons["aequitas"]
    history: dict[str, list] = {p: [] for p in peers}
    for n in sizes:
        check = n == sizes[0]
        row: dict[str, Any] = {}
        _log(f"n={n:,}: biasaudit")
        row["biasaudit"] = spawn(
            sys.executable,
            "biasaudit",
            n,
            3600,
            repeat=args.repeat,
            auc=n in auc_sizes,
            check=check,
        )
        if not args.no_memory:
            for config in ("audit", "audit_auc"):
                _log(f"n={n:,}: memory ({config})")
                row.setdefault("memory", {})[config] = spawn(
                    sys.executable, "memory", n, 1800, config=config
                )
        for peer in peers:
            python, how = pythons[peer]
            _log(f"n={n:,}: {peer}")
            if python is None:
                row[peer] = {"skipped": how}
                continue
            row[peer] = run_peer(peer, python, n, args, history[peer], check)
        row["ratios"] = ratios(row, peers)
        if check:
            row["agreement"] = agreement(row, peers)
        results["sizes"][str(n)] = row
        C.write_json(args.out, results)
        _log(json.dumps(row["ratios"]))
    results["targets"] = targets(results)
    C.write_json(args.out, results)
    return results


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ratios(row: dict[str, Any], peers: list[str]) -> dict[str, float | None]:
    base = row["biasaudit"].get("audit", {}).get("best_s")
    out: dict[str, float | None] = {}
    for peer in peers:
        best = row[peer].get("run", {}).get("best_s")
        out[peer] = best / base if best and base else None
        if peer == "aequitas" and best and base:
            out["aequitas_with_prep"] = (best + row[peer]["prep_s"]) / base
    return out


def agreement(row: dict[str, Any], peers: list[str]) -> dict[str, Any]:
    reference = row["biasaudit"].get("check", {}).get("rates")
    if not reference:
        return {}
    return {
        peer: _agree(reference, row[peer]["check"]["rates"])
        for peer in peers
        if "check" in row[peer]
    }


def targets(results: dict[str, Any]) -> dict[str, Any]:
    sizes = results["sizes"]
    largest = max(sizes, key=int)
    big = sizes[largest]
    out: dict[str, Any] = {"largest_size": int(largest)}
    audit_s = big["biasaudit"].get("audit", {}).get("best_s")
    out["audit_s"] = {
        "value": audit_s,
        "target": TARGETS["audit_s_at_1e7"],
        "met": audit_s is not None and audit_s <= TARGETS["audit_s_at_1e7"],
    }
    speedups = {
        n: row["ratios"].get("fairlearn")
        for n, row in sizes.items()
        if row["ratios"].get("fairlearn")
    }
    out["speedup_vs_fairlearn"] = {
        "value": speedups,
        "target": TARGETS["speedup_vs_fairlearn"],
        "met": bool(speedups) and min(speedups.values()) >= TARGETS["speedup_vs_fairlearn"],
    }
    delta = big["biasaudit"].get("exact_auc_delta_s")
    engine = big["biasaudit"].get("mwu_engine", {}).get("best_s")
    out["exact_auc_s"] = {
        "audit_delta": delta,
        "engine": engine,
        "target": TARGETS["exact_auc_s_at_1e7"],
        "met": delta is not None and delta <= TARGETS["exact_auc_s_at_1e7"],
    }
    memory = {cfg: m.get("extra_rss_over_table") for cfg, m in big.get("memory", {}).items()}
    out["peak_memory_over_table"] = {
        "value": memory,
        "target": TARGETS["peak_memory_over_table"],
        "met": bool(memory)
        and all(v is not None and v <= TARGETS["peak_memory_over_table"] for v in memory.values()),
    }
    return out


# -- reporting -----------------------------------------------------------------
def _fmt(value: float | None, spec: str = ".3f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def _times(value: float) -> str:
    return f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


def markdown_table(results: dict[str, Any]) -> str:
    lines = [
        "| rows | biasaudit audit (s) | fairlearn (s) | fairlearn / biasaudit | "
        "aequitas (s) [+prep] | aequitas / biasaudit [with prep] | exact AUC, audit delta (s) "
        "| exact AUC, engine (s) | peak extra RSS / table: audit, audit+AUC |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, row in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        ba, ratio = row["biasaudit"], row["ratios"]
        cells = [f"{int(n):.0e}".replace("+0", ""), _fmt(ba.get("audit", {}).get("best_s"))]
        fl = row.get("fairlearn", {})
        cells += [
            _fmt(fl["run"]["best_s"], ".2f") if "run" in fl else ("skipped" if fl else "-"),
            _times(ratio["fairlearn"]) if "run" in fl else "-",
        ]
        aq = row.get("aequitas", {})
        if "run" in aq:
            cells.append(f"{aq['run']['best_s']:.2f} [+{aq['prep_s']:.2f}]")
            cells.append(f"{_times(ratio['aequitas'])} [{_times(ratio['aequitas_with_prep'])}]")
        else:
            cells += ["skipped" if aq else "-", "-"]
        cells.append(_fmt(ba.get("exact_auc_delta_s"), ".2f"))
        cells.append(_fmt(ba.get("mwu_engine", {}).get("best_s"), ".2f"))
        mem = row.get("memory", {})
        cells.append(
            ", ".join(
                _fmt(mem.get(c, {}).get("extra_rss_over_table"), ".2f", "x")
                for c in ("audit", "audit_auc")
            )
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e5,1e6,1e7", help="comma-separated row counts")
    parser.add_argument("--peers", default="fairlearn,aequitas", help="comma-separated peers")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after one warm-up")
    parser.add_argument("--out", default="results.json", help="where to write the JSON results")
    parser.add_argument(
        "--auc-sizes", default=None, help="sizes at which to time exact AUC (default: all)"
    )
    parser.add_argument(
        "--peer-budget",
        type=float,
        default=180.0,
        help="skip a peer at a size whose estimated single run exceeds this many seconds",
    )
    parser.add_argument(
        "--peer-total-budget",
        type=float,
        default=300.0,
        help="fewer repeats for a peer when warm-up + repeats would exceed this many seconds",
    )
    parser.add_argument(
        "--aequitas-python",
        default=None,
        help=f"interpreter with aequitas installed (default: $BENCH_AEQUITAS_PYTHON, "
        f"else this one, else {DEFAULT_AEQUITAS_PYTHON})",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    # Internal: worker mode.
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--auc", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        run_worker_main(args)
        return
    results = drive(args)
    print(markdown_table(results))
    print(json.dumps(results["targets"], indent=2))


if __name__ == "__main__":
    main()
