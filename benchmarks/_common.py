"""Helpers shared by the benchmark driver and its workers.

This module imports only NumPy and pandas (plus the standard library), so that
a worker can run under another interpreter, e.g. a virtualenv holding aequitas,
whose pandas pin clashes with the project's own.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SEED = 20240611

SEX = ("Female", "Male", "Nonbinary")
SEX_P = (0.49, 0.48, 0.03)
RACE = (
    "White",
    "Hispanic or Latino",
    "Black or African American",
    "Asian",
    "Two or more races",
    "American Indian or Alaska Native",
    "Native Hawaiian or Pacific Islander",
)
RACE_P = (0.58, 0.19, 0.12, 0.06, 0.03, 0.01, 0.01)
# Injected score penalties (in standard deviations) so the audit has findings.
SEX_SHIFT = (-0.10, 0.0, -0.15)
RACE_SHIFT = (0.0, -0.12, -0.20, 0.05, -0.05, -0.25, -0.10)
LABEL_RATE = 0.30
SELECT_FRACTION = 0.20

COLUMNS_AUDIT = ["sex", "race", "label", "selected"]
COLUMNS_AUC = ["sex", "race", "label", "selected", "score"]


def parse_sizes(text: str) -> list[int]:
    """``"1e5,1e6"`` -> ``[100000, 1000000]`` (sorted, deduplicated)."""
    return sorted({int(float(part)) for part in text.split(",") if part.strip()})


def _draw(rng: np.random.Generator, p: tuple[float, ...], n: int) -> np.ndarray:
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int8)


def make_pool(n: int, seed: int = SEED) -> pd.DataFrame:
    """A synthetic hiring pool with injected bias.

    Columns: ``sex`` (3 categories) and ``race`` (7 categories) as pandas
    categoricals, ``label`` (0/1 int8, qualified), ``selected`` (0/1 int8, top
    20% of the score) and ``score`` (float64). Deterministic for a given ``n``
    and ``seed``, so every worker (and every interpreter) sees the same data.
    """
    rng = np.random.default_rng(seed)
    sex = _draw(rng, SEX_P, n)
    race = _draw(rng, RACE_P, n)
    label = (rng.random(n) < LABEL_RATE).astype(np.int8)
    score = rng.standard_normal(n)
    score += label
    score += np.asarray(SEX_SHIFT)[sex]
    score += np.asarray(RACE_SHIFT)[race]
    cut = np.quantile(score, 1.0 - SELECT_FRACTION)
    selected = (score >= cut).astype(np.int8)
    return pd.DataFrame(
        {
            "sex": pd.Categorical.from_codes(sex, categories=list(SEX)),
            "race": pd.Categorical.from_codes(race, categories=list(RACE)),
            "label": label,
            "selected": selected,
            "score": score,
        }
    )


def table_bytes(frame: pd.DataFrame) -> int:
    """In-memory size of a frame: values, categorical codes and categories, index."""
    return int(frame.memory_usage(deep=True, index=True).sum())


def best_of(fn: Callable[[], Any], repeat: int, warmup: bool = True) -> dict[str, Any]:
    """Wall time of ``fn``: one warm-up call, then ``repeat`` timed calls.

    A ``fn`` returning a dict of ``{part: seconds}`` gets the parts of its best
    run reported too.
    """
    if warmup:
        out = fn()
        del out
    runs: list[float] = []
    parts: list[Any] = []
    for _ in range(max(1, repeat)):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - start)
        parts.append(out if isinstance(out, dict) else None)
        del out
    best = min(range(len(runs)), key=runs.__getitem__)
    result: dict[str, Any] = {
        "best_s": runs[best],
        "median_s": statistics.median(runs),
        "runs_s": runs,
    }
    if parts[best] is not None:
        result["parts_s"] = parts[best]
    return result


# -- memory --------------------------------------------------------------------
def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_bytes() -> int | None:
    """Current resident set size (Linux /proc), in bytes."""
    kib = _status_kib("VmRSS")
    return None if kib is None else kib * 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (Linux >= 4.0); True when it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """RSS high-water mark since start or the last :func:`reset_peak_rss`, in bytes."""
    kib = _status_kib("VmHWM")
    if kib is None:
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return kib * 1024


# -- machine -------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total_gib() -> float | None:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def versions(names: list[str]) -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine_info() -> dict[str, Any]:
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_total_gib": memory_total_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
    }


def write_json(path: str | Path, payload: Any) -> None:
    Path(path).write_text(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")
