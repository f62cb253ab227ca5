"""The Dask engine: each partition is reduced where it lives, the statistics add up.

Sufficient statistics are mergeable, so every partition is reduced on its
worker by the in-memory engine (with pool-level constants fixed first: the
category lists, the full sample's median and the histogram range) and only the
small statistics travel back to be summed. The median is found exactly by
order-statistic selection over histograms, not by Dask's approximate quantile.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._io import to_narwhals
from biasaudit.decisions import make_rule
from biasaudit.engine._stats import SufficientStats
from biasaudit.pool import UNKNOWN, Codes, _binary, _numeric, _sorted_labels

__all__ = ["is_dask", "reduce_dask"]

_SELECT_BINS = 4096
_GATHER_LIMIT = 2_000_000


def is_dask(data: Any) -> bool:
    """Whether ``data`` is a Dask DataFrame."""
    return type(data).__module__.startswith("dask") and hasattr(data, "npartitions")


def _require_dask() -> Any:
    try:
        import dask
    except ImportError as exc:  # pragma: no cover - exercised without the extra
        raise ImportError(E.MISSING_DASK) from exc
    return dask


def _categories(values: Sequence[Any], unknown_values: Sequence[str]) -> tuple[list, bool]:
    unknown = {str(u) for u in unknown_values} | {UNKNOWN}
    present = [v for v in values if not _is_missing(v)]
    known = _sorted_labels([v for v in dict.fromkeys(present) if str(v) not in unknown])
    has_unknown = len(known) < len(values)
    return known, has_unknown


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _codes(series: pd.Series, known: list, has_unknown: bool) -> Codes:
    """Encode one partition's column with the global category list."""
    position = {v: i for i, v in enumerate(known)}
    unknown_code = len(known)
    values = series.astype(object).to_numpy()
    codes = np.fromiter(
        (position.get(v, unknown_code) if not _is_missing(v) else unknown_code for v in values),
        dtype=np.int64,
        count=len(values),
    )
    labels = tuple(str(v) for v in known) + ((UNKNOWN,) if has_unknown else ())
    return Codes(codes.astype(np.int16), labels, has_unknown)


def _kth_smallest(scores: Any, k: int, low: float, high: float, dask: Any) -> float:
    """Exact k-th smallest value (0-based) of a Dask series, by histogram narrowing."""
    below = 0
    while True:
        edges = np.linspace(low, high, _SELECT_BINS + 1)

        def counts(part: pd.Series, lo: float = low, hi: float = high, e: Any = edges) -> Any:
            x = part.to_numpy(dtype=np.float64)
            x = x[(x >= lo) & (x <= hi)]
            return np.histogram(x, bins=e)[0]

        parts = scores.to_delayed()
        total = sum(dask.compute(*[dask.delayed(counts)(p) for p in parts]))
        cumulative = np.cumsum(total)
        b = int(np.searchsorted(cumulative, k - below, side="right"))
        before = below + (cumulative[b - 1] if b else 0)
        lo_b, hi_b = edges[b], edges[b + 1]
        inside = int(total[b])
        if inside <= _GATHER_LIMIT or lo_b == hi_b or np.nextafter(lo_b, np.inf) >= hi_b:
            last = b == _SELECT_BINS - 1

            def grab(part: pd.Series, lo: float = lo_b, hi: float = hi_b, end: bool = last) -> Any:
                x = part.to_numpy(dtype=np.float64)
                return x[(x >= lo) & ((x <= hi) if end else (x < hi))]

            values = np.concatenate(dask.compute(*[dask.delayed(grab)(p) for p in parts]))
            return float(np.partition(values, k - before)[k - before])
        below, low, high = before, lo_b, hi_b


def _median(scores: Any, n: int, low: float, high: float, dask: Any) -> float:
    if n % 2:
        return _kth_smallest(scores, n // 2, low, high, dask)
    a = _kth_smallest(scores, n // 2 - 1, low, high, dask)
    b = _kth_smallest(scores, n // 2, low, high, dask)
    return float(np.mean([a, b]))


def _reduce_partition(
    part: pd.DataFrame,
    offset: int,
    attributes: Sequence[str],
    roles: dict,
    rule: dict | None,
    cats: dict,
    constants: dict,
) -> SufficientStats:
    """Validate and reduce one partition with the in-memory engine and global constants."""
    from biasaudit.engine._numpy import reduce_arrays

    frame = to_narwhals(part)
    ids = part[roles["id"]].to_numpy() if roles.get("id") else np.arange(offset, offset + len(part))
    arrays = {}
    for role in ("score", "rank", "selected", "label"):
        if roles.get(role):
            reader = _binary if role in ("label", "selected") else _numeric
            arrays[role] = reader(frame, roles[role], role, ids)
    jobs = _codes(part[roles["job"]], *cats["__job__"]) if roles.get("job") else None
    view = SimpleNamespace(arrays=arrays, job_codes=jobs, n_rows=len(part))
    selected = make_rule(**rule).apply(view)[0] if rule else None
    return reduce_arrays(
        {a: _codes(part[a], *cats[a]) for a in attributes},
        selected,
        jobs=jobs,
        label=arrays.get("label"),
        score=arrays.get("score"),
        scoring_threshold=constants.get("median"),
        bin_range=constants.get("bin_range"),
    )


def _check_scores(ddf: Any, roles: dict, offsets: np.ndarray, dask: Any) -> None:
    """Count non-finite scores over all partitions; name the first rows globally."""
    column = roles["score"]

    def bad_rows(part: pd.DataFrame, offset: int) -> tuple[int, list]:
        values = pd.to_numeric(part[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        ids = part[roles["id"]].to_numpy()[bad] if roles.get("id") else bad + offset
        return len(bad), [v.item() if hasattr(v, "item") else v for v in ids[:5]]

    if not pd.api.types.is_numeric_dtype(ddf[column].dtype):
        return  # the partition reduction reports a non-numeric score column
    found = dask.compute(
        *[dask.delayed(bad_rows)(p, int(o)) for p, o in zip(ddf.to_delayed(), offsets)]
    )
    count = sum(c for c, _ in found)
    if count:
        ids = [i for _, part_ids in found for i in part_ids][:5]
        raise E.ValidationError(E.NON_FINITE_SCORE.format(column=column, count=count, ids=ids))


def reduce_dask(
    ddf: Any,
    *,
    attributes: Sequence[str],
    roles: dict[str, Any],
    rule: dict[str, Any] | None,
    unknown_values: Sequence[str] = ("Unknown", "unknown", "UNKNOWN", ""),
) -> tuple[SufficientStats, dict[str, Any]]:
    """Reduce a Dask DataFrame to sufficient statistics on its workers.

    ``rule`` holds the keyword arguments of :func:`biasaudit.decisions.make_rule`
    (``selected=`` or ``threshold=``), or None for a scoring-only audit. Rules
    that rank within the whole pool (top-k, top fraction) need every job's rows
    together; shuffle by job first or use the in-memory or DuckDB engine.
    """
    dask = _require_dask()
    present = list(ddf.columns)
    for column in [*attributes, *(c for c in roles.values() if c)]:
        if column not in present:
            role = (
                "attributes"
                if column in attributes
                else next(r for r, c in roles.items() if c == column)
            )
            raise E.ValidationError(
                E.MISSING_COLUMN.format(column=column, present=present, role=role)
            )
    keys = [*attributes, *([roles["job"]] if roles.get("job") else [])]
    lengths, *uniques = dask.compute(
        ddf.map_partitions(len), *[ddf[c].drop_duplicates() for c in keys]
    )
    n = int(sum(lengths))
    if n == 0:
        raise E.ValidationError(E.EMPTY_POOL)
    cats = {a: _categories(list(u), unknown_values) for a, u in zip(attributes, uniques)}
    if roles.get("job"):
        cats["__job__"] = _categories(list(uniques[-1]), ())
    for a in attributes:
        if len(cats[a][0]) < 2:
            raise E.ValidationError(E.SINGLE_GROUP.format(column=a, groups=cats[a][0]))
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    if roles.get("score"):
        _check_scores(ddf, roles, offsets, dask)
    constants: dict[str, Any] = {}
    if roles.get("score"):
        score = ddf[roles["score"]].astype("float64")
        low, high = dask.compute(score.min(), score.max())
        if np.isfinite(low) and np.isfinite(high):
            constants = {
                "bin_range": (float(low), float(high)),
                "median": _median(score, n, float(low), float(high), dask),
            }
    parts = [
        dask.delayed(_reduce_partition)(p, int(o), attributes, roles, rule, cats, constants)
        for p, o in zip(ddf.to_delayed(), offsets)
    ]
    results = dask.compute(*parts)
    stats = results[0]
    for other in results[1:]:
        stats = stats + other
    unknown = {
        a: int(stats.marginal((a,)).reshape(len(stats.categories[i]), -1)[-1].sum())
        if stats.has_unknown[i]
        else 0
        for i, a in enumerate(stats.attributes)
    }
    return stats, {"rows": n, "unknown": unknown, "partitions": len(lengths)}
