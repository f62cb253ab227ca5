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
from typing import Any, cast

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._io import to_narwhals
from biasaudit.decisions import make_rule
from biasaudit.engine._inputs import (
    BINARY_ROLES,
    MAX_SHOWN,
    NUMERIC_ROLES,
    blank_mask,
    cell_report,
    refuse_blank_ids,
    refuse_cells,
)
from biasaudit.engine._numpy import reduce_arrays
from biasaudit.engine._stats import SufficientStats
from biasaudit.pool import UNKNOWN, CandidatePool, Codes, _binary, _numeric, _sorted_labels

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
    # Vectorised: values outside the known list (missing, unknown spellings) get -1.
    codes = pd.Categorical(series, categories=known).codes.astype(np.int16)
    codes[codes < 0] = len(known)
    labels = tuple(str(v) for v in known) + ((UNKNOWN,) if has_unknown else ())
    return Codes(codes, labels, has_unknown)


def _bin_of(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Each value's histogram bin over ``[low, high]`` (values outside: -1)."""
    index = np.floor((x - low) * (_SELECT_BINS / (high - low)))
    index = np.minimum(index, _SELECT_BINS - 1)
    index[(x < low) | (x > high) | np.isnan(x)] = -1
    return index.astype(np.int64)


def _order_stats(scores: Any, ks: list[int], low: float, high: float, dask: Any) -> list[float]:
    """Exact consecutive order statistics (0-based ranks ``ks``) of a Dask series.

    A pass counts the values per bin of ``[low, high]``; the bin holding the
    wanted ranks becomes the new range (its own extremes, so every pass makes
    progress) until it holds few enough values to gather. Both middle values of
    an even sample come from the same passes.
    """
    below = 0  # values smaller than ``low``
    parts = scores.to_delayed()

    def run(fn: Any) -> list:
        return list(dask.compute(*[dask.delayed(fn)(p) for p in parts]))

    while True:
        if low == high:  # every value left in range is the same
            return [low for _ in ks]

        def counts(part: pd.Series, lo: float = low, hi: float = high) -> np.ndarray:
            b = _bin_of(part.to_numpy(dtype=np.float64), lo, hi)
            return np.bincount(b[b >= 0], minlength=_SELECT_BINS)

        cumulative = np.cumsum(sum(run(counts)))
        bins = [int(np.searchsorted(cumulative, k - below, side="right")) for k in ks]

        def within(part: pd.Series, wanted: int, lo: float = low, hi: float = high) -> np.ndarray:
            x = part.to_numpy(dtype=np.float64)
            return x[_bin_of(x, lo, hi) == wanted]

        if bins[0] != bins[-1]:
            # Two consecutive ranks in different bins: the largest value of the first
            # bin and the smallest of the second (the bins between them are empty).
            def ends(part: pd.Series, a: int = bins[0], b: int = bins[-1]) -> tuple:
                x, y = within(part, a), within(part, b)
                return (x.max() if len(x) else -np.inf, y.min() if len(y) else np.inf)

            found = run(ends)
            return [float(max(f[0] for f in found)), float(min(f[1] for f in found))]
        b = bins[0]
        before = below + (int(cumulative[b - 1]) if b else 0)
        held = int(cumulative[b]) - (before - below)
        if held <= _GATHER_LIMIT:
            values = np.concatenate(run(lambda part, b=b: within(part, b)))
            ranks = [k - before for k in ks]
            values = np.partition(values, ranks)
            return [float(values[r]) for r in ranks]

        def extremes(part: pd.Series, b: int = b) -> tuple:
            x = within(part, b)
            return (x.min() if len(x) else np.inf, x.max() if len(x) else -np.inf)

        found = run(extremes)
        # Every value between the bin's extremes is in the bin: progress each pass.
        low, high = float(min(f[0] for f in found)), float(max(f[1] for f in found))
        below = before


def _median(scores: Any, n: int, low: float, high: float, dask: Any) -> float:
    ks = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    return float(np.mean(_order_stats(scores, ks, low, high, dask)))


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

    frame = to_narwhals(part)
    ids = part[roles["id"]].to_numpy() if roles.get("id") else np.arange(offset, offset + len(part))
    arrays = {}
    for role in ("score", "rank", "selected", "label"):
        if roles.get(role):
            reader = _binary if role in ("label", "selected") else _numeric
            arrays[role] = reader(frame, roles[role], role, ids)
    jobs = _codes(part[roles["job"]], *cats["__job__"]) if roles.get("job") else None
    # The rule reads only a pool's arrays, job_codes and n_rows: this partition's stand-in.
    view = cast(CandidatePool, SimpleNamespace(arrays=arrays, job_codes=jobs, n_rows=len(part)))
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


def _blanks(part: pd.DataFrame, roles: dict) -> dict[str, tuple[int, list]]:
    """Blank or missing job ids and ids of a partition: how many, and the first positions
    (job ids: named by the id column when there is one, as in memory)."""
    found = {}
    for role in ("job", "id"):
        if roles.get(role):
            mask = blank_mask(part[roles[role]])
            at = np.flatnonzero(mask)[:MAX_SHOWN]
            named = role == "job" and roles.get("id")
            first = part[roles["id"]].to_numpy()[at] if named else at
            found[role] = (int(mask.sum()), [v.item() if hasattr(v, "item") else v for v in first])
    return found


def _refuse_blanks(surveys: list, roles: dict, offsets: np.ndarray) -> None:
    """Refuse blank ids and blank job ids (named as in memory: by id, else by row from 1)."""
    for role in ("id", "job"):
        found = [(s[3][role], int(o)) for s, o in zip(surveys, offsets)] if roles.get(role) else []
        count = sum(blank[0] for blank, _ in found)
        if not count:
            continue
        if role == "id":
            rows = [int(p) + o + 1 for (_, first), o in found for p in first]
            refuse_blank_ids(roles["id"], count, rows)
        by_id = bool(roles.get("id"))
        rows = [v if by_id else int(v) + o + 1 for (_, first), o in found for v in first]
        where = E.first_rows(rows[:MAX_SHOWN], by_id=by_id)
        raise E.ValidationError(
            E.BLANK_JOB_IDS.format(column=roles["job"], count=count, where=where)
        )


def _cells(part: pd.DataFrame, offset: int, columns: list[tuple[str, str]]) -> list:
    """Each text column's offending cells in a partition (rows counted from 1 globally)."""
    return [cell_report(part[column], role, offset) for role, column in columns]


def _refuse_text_cells(ddf: Any, roles: dict, offsets: np.ndarray, n: int, dask: Any) -> None:
    """Name the cells of a text score, rank or 0/1 column that are not what the role needs."""
    columns = [
        (role, roles[role])
        for role in (*NUMERIC_ROLES, *BINARY_ROLES)
        if roles.get(role) and not _numeric_dtype(ddf, roles[role])
    ]
    if not columns:
        return
    parts = zip(ddf.to_delayed(), offsets)
    reports = dask.compute(*[dask.delayed(_cells)(p, int(o), columns) for p, o in parts])
    for i, (role, column) in enumerate(columns):
        count = sum(r[i][0] for r in reports)
        refuse_cells(column, role, count, [c for r in reports for c in r[i][1]], rows=n)


def _distinct(part: pd.DataFrame, column: str, roles: dict) -> list:
    """A partition's distinct values of a grouping column; lists or records refused."""
    values = part[column]
    present = values.notna().to_numpy()
    cell = values.iloc[int(present.argmax())] if present.any() else None
    if isinstance(cell, (list, tuple, np.ndarray, dict)):  # a nested Parquet column
        role = next((r for r, c in roles.items() if c == column), "attributes")
        kind = "struct" if isinstance(cell, dict) else "list"
        raise E.ValidationError(E.NESTED_COLUMN.format(column=column, role=role, kind=kind))
    return values.drop_duplicates().astype(object).tolist()


def _survey(part: pd.DataFrame, keys: Sequence[str], score: str | None, roles: dict):
    """One pass over a partition: its length, distinct key values, score facts, blank ids."""
    id_column = roles.get("id")
    distinct = [_distinct(part, c, roles) for c in keys]
    facts = None
    if score is not None:
        values = pd.to_numeric(part[score], errors="coerce").to_numpy(dtype=np.float64)
        finite = np.isfinite(values)
        bad = np.flatnonzero(~finite)
        ids = part[id_column].to_numpy()[bad[:5]] if id_column else bad[:5]
        ok = values[finite]
        bounds = (float(ok.min()), float(ok.max())) if len(ok) else None
        facts = (len(bad), [v.item() if hasattr(v, "item") else v for v in ids], bounds)
    return len(part), distinct, facts, _blanks(part, roles)


def _score_constants(
    ddf: Any, roles: dict, surveys: list, offsets: np.ndarray, n: int, dask: Any
) -> dict[str, Any]:
    """Refuse non-finite scores (first rows named globally); fix the range and the median."""
    column = roles["score"]
    facts = [survey[2] for survey in surveys]
    count = sum(f[0] for f in facts)
    if count:
        by_id = bool(roles.get("id"))
        ids = [i if by_id else int(i) + int(o) + 1 for f, o in zip(facts, offsets) for i in f[1]]
        where = E.first_rows(ids[:5], by_id=by_id)
        raise E.ValidationError(E.NON_FINITE_SCORE.format(column=column, count=count, where=where))
    bounds = [f[2] for f in facts if f[2] is not None]
    low, high = min(b[0] for b in bounds), max(b[1] for b in bounds)
    score = ddf[column].astype("float64")
    return {"bin_range": (low, high), "median": _median(score, n, low, high, dask)}


def _numeric_dtype(ddf: Any, column: str | None) -> bool:
    return column is not None and pd.api.types.is_numeric_dtype(ddf[column].dtype)


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
    E.check_columns(ddf.columns, attributes, roles)
    keys = [*attributes, *([roles["job"]] if roles.get("job") else [])]
    # A non-numeric score column is reported by the partition reduction, with its dtype.
    score = roles.get("score") if _numeric_dtype(ddf, roles.get("score")) else None
    surveys = dask.compute(
        *[dask.delayed(_survey)(p, keys, score, roles) for p in ddf.to_delayed()]
    )
    lengths = [survey[0] for survey in surveys]
    n = int(sum(lengths))
    if n == 0:
        raise E.ValidationError(E.EMPTY_POOL)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    _refuse_blanks(list(surveys), roles, offsets)
    _refuse_text_cells(ddf, roles, offsets, n, dask)
    uniques = [
        list(dict.fromkeys(v for survey in surveys for v in survey[1][i])) for i in range(len(keys))
    ]
    cats = {a: _categories(u, unknown_values) for a, u in zip(attributes, uniques)}
    if roles.get("job"):
        cats["__job__"] = _categories(uniques[-1], ())
    for a in attributes:
        E.check_known_groups(a, list(cats[a][0]))
    constants: dict[str, Any] = {}
    if score is not None:
        constants = _score_constants(ddf, roles, list(surveys), offsets, n, dask)
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
