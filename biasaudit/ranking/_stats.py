"""Per-job statistics, pooled metrics, bootstrap over jobs and CMH tests of a ranking audit."""

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from biasaudit.metrics import ranking as R
from biasaudit.metrics import significance as sig
from biasaudit.ranking._options import _attention
from biasaudit.results._ranking import _ALL, _COLUMNS

# -- per-job statistics and pooled metrics ---------------------------------------


@dataclass
class _Ranked:
    jobs: np.ndarray
    positions: np.ndarray
    sizes: np.ndarray
    starts: np.ndarray
    eligible: np.ndarray
    label: np.ndarray | None


def _prefixes(rk: _Ranked, groups: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """Running count of each group within each job (rows sorted by job, position).

    One cumulative sum per group but the last, whose count is the position minus
    the others' (every candidate is in exactly one group).
    """
    out = [R.prefix_counts(rk.jobs, groups == g, len(rk.sizes)) for g in range(n_groups - 1)]
    rest = rk.positions.astype(out[0].dtype if out else np.int32)
    for counts in out:
        rest = rest - counts
    return [*out, rest]


def _at_position(prefix: list[np.ndarray], rk: _Ranked, k: np.ndarray) -> np.ndarray:
    """Each group's count among the first ``k[j]`` candidates of each job, ``(J, G)``."""
    has = (rk.sizes > 0) & (k > 0)
    rows = rk.starts[has] + k[has] - 1
    out = np.zeros((len(rk.sizes), len(prefix)))
    for g, counts in enumerate(prefix):
        out[has, g] = counts[rows]
    return out


def _features(
    rk: _Ranked,
    groups: np.ndarray,
    n_groups: int,
    n_known: int,
    ks: tuple[int, ...],
    desired: np.ndarray | None,
    options: dict[str, Any],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-job statistics whose sums over jobs give every pooled metric."""
    J, G = len(rk.sizes), n_groups
    e = rk.eligible[:, None].astype(np.float64)
    cell = rk.jobs * G + groups  # computed once: every per-(job, group) sum is a bincount

    def per_cell(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(cell, weights=weights, minlength=J * G).reshape(J, G).astype(float)

    # Counts per (job, group) in the top k are running counts read at row k: no pass.
    prefix = _prefixes(rk, groups, G)
    n = _at_position(prefix, rk, rk.sizes)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = n / rk.sizes[:, None]
    want = share if desired is None else np.broadcast_to(desired, (J, G))
    f: dict[str, np.ndarray] = {"n": n, "n_e": n * e}
    for k in ks:
        top = _at_position(prefix, rk, np.minimum(k, rk.sizes))
        f[f"top{k}"] = top
        f[f"top_e{k}"] = top * e
        f[f"want{k}"] = np.minimum(k, rk.sizes)[:, None] * np.nan_to_num(want) * e
        _, lo, hi = R.skew_at_k(top[:, :n_known], want[:, :n_known])
        f[f"absent{k}"] = ((lo == -np.inf) & rk.eligible).astype(np.float64)
        for name, v in (("minskew", lo), ("maxskew", hi)):
            ok = np.isfinite(v) & rk.eligible
            f[f"{name}{k}"], f[f"{name}_n{k}"] = np.where(ok, v, 0.0), ok.astype(np.float64)
    w = R.exposure_weights(rk.positions)
    f["expo"] = per_cell(w) * e
    a = _attention(rk.positions, options["attention"])
    f["att"] = per_cell(a) * e
    if rk.label is not None:
        f["rel"] = per_cell(rk.label.astype(np.float64)) * e
    target = None if desired is None else desired
    d = R.ndkl(rk.jobs, rk.positions, groups, J, G, target=target, presorted=True, prefix=prefix)
    ok = np.isfinite(d) & rk.eligible
    f["ndkl"], f["ndkl_n"] = np.where(ok, d, 0.0), ok.astype(np.float64)
    per_job = _per_group_tests(rk, prefix, n_known, want, options, f)
    return f, per_job


def _per_group_tests(
    rk: _Ranked,
    prefixes: list[np.ndarray],
    n_known: int,
    want: np.ndarray,
    options: dict[str, Any],
    f: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    J = len(rk.sizes)
    cols = {name: np.zeros((J, n_known)) for name in ("rnd", "rkl", "rrd", "fair")}
    counts = {name: np.zeros((J, n_known)) for name in cols}
    first = np.zeros((J, n_known), dtype=np.int64)
    alpha_adj = np.zeros((J, n_known))
    for g in range(n_known):  # a loop over groups, never over jobs
        prefix = prefixes[g]  # running counts, shared by NDKL, rND/rKL/rRD and FA*IR
        div = R.rank_divergences(
            rk.jobs, rk.positions, None, J, step=options["step"], presorted=True, prefix=prefix
        )
        for name in ("rnd", "rkl", "rrd"):
            ok = np.isfinite(div[name]) & rk.eligible
            cols[name][:, g], counts[name][:, g] = np.where(ok, div[name], 0.0), ok
        p = np.nan_to_num(want[:, g])
        fair = R.fair_test(
            rk.jobs,
            rk.positions,
            None,
            J,
            p,
            alpha=options["alpha"],
            presorted=True,
            prefix=prefix,
            max_length=options["fair_max_length"],
        )
        cols["fair"][:, g] = fair["passed"] & rk.eligible
        counts["fair"][:, g] = rk.eligible
        first[:, g], alpha_adj[:, g] = fair["first_failing_prefix"], fair["alpha_adjusted"]
    for name in cols:
        f[name], f[f"{name}_n"] = cols[name], counts[name]
    limit = options["fair_max_length"]
    tested = rk.sizes if limit is None else np.minimum(rk.sizes, limit)
    passed = cols["fair"].astype(bool)
    return {"first": first, "alpha": alpha_adj, "passed": passed, "tested": tested}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _to_highest(
    values: np.ndarray, n_known: int, ref: int | None = None, eligible: np.ndarray | None = None
) -> np.ndarray:
    """Each eligible known group's value over the highest eligible group's (1.0 is parity),
    or over the stated comparison group ``ref``'s; groups under the minimum share (not
    ``eligible``) get no ratio and are never the comparison group."""
    known = values[..., :n_known]
    usable = np.ones(n_known, bool) if eligible is None else eligible
    if ref is not None:
        best = known[..., ref : ref + 1]
    else:
        candidates = np.where(np.isfinite(known) & usable, known, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a draw with no finite value
            best = np.nanmax(candidates, axis=-1, keepdims=True)
    out = np.full(values.shape, np.nan)
    out[..., :n_known] = np.where(usable, _ratio(known, np.broadcast_to(best, known.shape)), np.nan)
    return out


def _pooled(
    s: dict[str, np.ndarray],
    ks: tuple[int, ...],
    n_known: int,
    ref: int | None = None,
    eligible: np.ndarray | None = None,
) -> dict[tuple, Any]:
    """Every pooled metric from job sums; leading axes (bootstrap draws) broadcast.
    Ratios divide by the highest known group, or by the comparison group ``ref``."""
    out: dict[tuple, Any] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in ks:
            rate = _ratio(s[f"top{k}"], s["n"])
            out[("selection_rate", k)] = rate
            out[("impact_ratio", k)] = _to_highest(rate, n_known, ref, eligible)
            skew = np.log(_ratio(s[f"top_e{k}"], s[f"want{k}"]))
            out[("skew", k)] = skew
            for name in ("minskew", "maxskew"):
                out[(name.replace("skew", "_skew"), k)] = _ratio(s[f"{name}{k}"], s[f"{name}_n{k}"])
        expo = _ratio(s["expo"], s["n_e"])
        out[("exposure", None)] = expo
        out[("exposure_ratio", None)] = _to_highest(expo, n_known, ref, eligible)
        att = _ratio(s["att"], s["n_e"])
        out[("attention", None)] = att
        out[("attention_ratio", None)] = _to_highest(att, n_known, ref, eligible)
        if "rel" in s:
            relevance = _ratio(s["rel"], s["n_e"])
            out[("mean_relevance", None)] = relevance
            out[("disparate_treatment_ratio", None)] = _to_highest(
                _ratio(expo, relevance), n_known, ref, eligible
            )
        out[("ndkl", None)] = _ratio(s["ndkl"], s["ndkl_n"])
        for name in ("rnd", "rkl", "rrd"):
            out[(name, None)] = _ratio(s[name], s[f"{name}_n"])
        out[("fair_pass_rate", None)] = _ratio(s["fair"], s["fair_n"])
    return out


def _flatten(f: dict[str, np.ndarray]) -> tuple[np.ndarray, list[tuple[str, tuple[int, ...]]]]:
    layout = [(name, v.shape[1:]) for name, v in f.items()]
    J = next(iter(f.values())).shape[0]
    return np.concatenate([v.reshape(J, -1) for v in f.values()], axis=1), layout


def _unflatten(x: np.ndarray, layout: list) -> dict[str, np.ndarray]:
    out, at = {}, 0
    for name, shape in layout:
        width = int(np.prod(shape)) if shape else 1
        out[name] = x[..., at : at + width].reshape(*x.shape[:-1], *shape)
        at += width
    return out


def _bootstrap(
    x: np.ndarray,
    layout: list,
    ks: tuple[int, ...],
    n_known: int,
    draws: int,
    seed: int,
    ref: int | None = None,
    eligible: np.ndarray | None = None,
) -> dict[tuple, tuple[np.ndarray, np.ndarray]]:
    """Percentile intervals from resampling jobs with replacement (seeded)."""
    if draws == 0:
        return {}
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    rng = np.random.default_rng(seed)
    J, chunk, parts = x.shape[0], 50, []
    # One BLAS thread: the products are small, and a threaded BLAS that spins while
    # another process holds a core (a shared CI machine) is many times slower.
    with threadpool_limits(1, user_api="blas"):
        for start in range(0, draws, chunk):
            b = min(chunk, draws - start)
            picks = rng.integers(0, J, size=(b, J)) + (np.arange(b) * J)[:, None]
            weights = np.bincount(picks.ravel(), minlength=b * J).reshape(b, J)
            parts.append(weights.astype(np.float64) @ x)
    metrics = _pooled(_unflatten(np.concatenate(parts), layout), ks, n_known, ref, eligible)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {
            # No interpolation, so draws at -inf (a group absent from a top k) stay -inf.
            key: (
                np.nanpercentile(v, 2.5, axis=0, method="lower"),
                np.nanpercentile(v, 97.5, axis=0, method="higher"),
            )
            for key, v in metrics.items()
        }


def _cmh_rows(
    f: dict[str, np.ndarray], k: int, ref: int, g: int
) -> tuple[float, float, float, float]:
    top, n = f[f"top{k}"], f["n"]
    args = (top[:, g], n[:, g], top[:, ref], n[:, ref])
    _, p, odds = sig.mantel_haenszel(*args)
    bd, bd_p = sig.breslow_day(*args, odds)
    return p, odds, bd, bd_p


# -- assembling the table ----------------------------------------------------------

_JOB_LEVEL = {"min_skew", "max_skew", "ndkl"}
_PER_JOB_GROUP = {"rnd", "rkl", "rrd", "fair_pass_rate"}


def _n_for(metric: str, f: dict[str, np.ndarray], g: int, k: int | None) -> float:
    if metric in _JOB_LEVEL:
        key = "ndkl_n" if metric == "ndkl" else f"{metric.replace('_', '')}_n{k}"
        return float(f[key].sum())
    if metric in _PER_JOB_GROUP:
        name = "fair" if metric == "fair_pass_rate" else metric
        return float(f[f"{name}_n"][:, g].sum())
    if metric in ("selection_rate", "impact_ratio"):
        return float(f["n"][:, g].sum())
    return float(f["n_e"][:, g].sum())


def _rows_for(
    attribute: str,
    categories: tuple[str, ...],
    n_known: int,
    f: dict[str, np.ndarray],
    ks: tuple[int, ...],
    boot: dict[tuple, tuple[np.ndarray, np.ndarray]],
    ref: int | None = None,
    eligible: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    sums = {name: v.sum(axis=0) for name, v in f.items()}
    point = _pooled(sums, ks, n_known, ref, eligible)
    rows = []
    for (metric, k), values in point.items():
        low, high = boot.get((metric, k), (None, None))
        if metric in _JOB_LEVEL:
            targets: list[tuple[str, int | None]] = [(_ALL, None)]
        else:
            targets = [(categories[g], g) for g in range(len(categories))]
            if metric in _PER_JOB_GROUP:
                targets = targets[:n_known]
        for label, g in targets:
            index = () if g is None else (g,)
            value = float(np.asarray(values)[index])
            lo = float(np.asarray(low)[index]) if low is not None else math.nan
            hi = float(np.asarray(high)[index]) if high is not None else math.nan
            n = _n_for(metric, f, 0 if g is None else g, k)
            rows.append(_row(attribute, label, metric, k, value, lo, hi, n, math.nan))
        if metric == "selection_rate":
            _wilson(rows[-len(targets) :], f, k)
        if metric == "impact_ratio":
            _katz_where_degenerate(rows[-len(targets) :], f, k, n_known, ref, eligible)
            rows.extend(_cmh(attribute, categories, n_known, f, k, values, ref))
    return rows


def _katz_where_degenerate(
    rows: list[dict[str, Any]],
    f: dict[str, np.ndarray],
    k: int,
    n_known: int,
    stated: int | None = None,
    eligible: np.ndarray | None = None,
) -> None:
    """Katz intervals where the bootstrap over jobs collapses to a point.

    A group with no candidate in any job's top k has an impact ratio of 0 in
    every bootstrap draw, so the percentile interval would be [0, 0]: certainty
    that the data cannot give. The Katz log interval against the comparison
    group (0.5 added to each cell of a table with a zero, the upper limit capped
    at 1, the most a ratio to the highest group can be) gives an honest upper
    bound instead; the notes name the groups.
    """
    x, n = f[f"top{k}"].sum(axis=0), f["n"].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / np.where(n > 0, n, 1), -np.inf)[:n_known]
    if eligible is not None:
        rate = np.where(eligible, rate, -np.inf)
    if not len(rate) or not np.isfinite(rate).any():
        return
    ref = int(np.argmax(rate)) if stated is None else stated
    low, high = sig.katz_ratio_ci(x[:n_known], n[:n_known], x[ref], n[ref])
    for g, row in enumerate(rows[:n_known]):
        collapsed = row["ci_high"] == row["ci_low"]  # NaN (no bootstrap) is left alone
        if g != ref and x[g] == 0 and n[g] > 0 and x[ref] > 0 and collapsed:
            # a ratio to the highest group is at most 1 by definition
            cap = 1.0 if stated is None else math.inf
            row["ci_low"], row["ci_high"] = float(low[g]), min(float(high[g]), cap)
            row["interval"] = "katz"


def _row(
    attribute: str,
    group: str,
    metric: str,
    k: int | None,
    value: float,
    lo: float,
    hi: float,
    n: float,
    p: float,
) -> dict[str, Any]:
    return dict(zip(_COLUMNS, (attribute, group, metric, k, value, lo, hi, n, p)))


def _wilson(rows: list[dict[str, Any]], f: dict[str, np.ndarray], k: int) -> None:
    low, high = sig.wilson_interval(f[f"top{k}"].sum(axis=0), f["n"].sum(axis=0))
    for g, row in enumerate(rows):
        row["ci_low"], row["ci_high"] = float(low[g]), float(high[g])


def _cmh(
    attribute: str,
    categories: tuple[str, ...],
    n_known: int,
    f: dict[str, np.ndarray],
    k: int,
    ratios: np.ndarray,
    stated: int | None = None,
) -> list[dict[str, Any]]:
    """CMH odds ratio (p-value) and Breslow-Day per group against the comparison group
    (the highest group, or the stated one)."""
    if not np.isfinite(ratios[:n_known]).any():
        return []
    finite = np.where(np.isfinite(ratios[:n_known]), ratios[:n_known], -1)
    ref = int(np.nanargmax(finite)) if stated is None else stated
    rows = []
    for g in range(n_known):
        if g == ref or not np.isfinite(ratios[g]):  # a group under the minimum share: no test
            continue
        p, odds, bd, bd_p = _cmh_rows(f, k, ref, g)
        n = float(f["n"][:, [g, ref]].sum())
        group = categories[g]
        rows.append(_row(attribute, group, "mh_odds_ratio", k, odds, math.nan, math.nan, n, p))
        rows.append(_row(attribute, group, "breslow_day", k, bd, math.nan, math.nan, n, bd_p))
    return rows
