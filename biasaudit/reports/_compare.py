"""Comparison report: a baseline and a candidate audit side by side, changes highlighted."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import numpy as np

from biasaudit.metrics._change import RatioChanges, ratio_changes
from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import column_names
from biasaudit.metrics._verdicts import ADVERSE
from biasaudit.metrics.significance import katz_ratio_ci
from biasaudit.reports._format import DASH, INTERSECTION, finite, fmt_p, group_label, pct, ratio
from biasaudit.reports._html import render, utc_now, write
from biasaudit.reports._markdown import md, md_table
from biasaudit.reports._model_base import Table
from biasaudit.results import AuditResult

__all__ = ["compare_html", "compare_markdown", "compare_model"]


def _index(result: AuditResult) -> dict[tuple, Any]:
    return {
        (tuple(row["attribute"]), tuple(row["group"])): row for _, row in result.groups.iterrows()
    }


#: What the comparison reports of a group's change, from the test of its impact ratio.
Assessment = tuple[str, str]


#: The count columns of each primary rate: (numerator, denominator).
_COUNTS = {"selection_rate": ("selected", "n"), "scoring_rate": ("above_median", "n")}


def _standing(
    rows: dict, keys: list, metric: str, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each group's rate relative to the rest of its table (its known groups' other
    candidates), with the Katz log interval: no comparison group to choose."""
    num, den = _COUNTS[metric]
    x = np.array([rows[k][num] for k in keys], float)
    n = np.array([rows[k][den] for k in keys], float)
    totals = {
        attrs: (sum(float(r[num]) for (a, _), r in rows.items() if a == attrs),
                sum(float(r[den]) for (a, _), r in rows.items() if a == attrs))
        for attrs in {k[0] for k in keys}
    }  # fmt: skip
    x_rest = np.array([totals[k[0]][0] for k in keys]) - x
    n_rest = np.array([totals[k[0]][1] for k in keys]) - n
    low, high = katz_ratio_ci(x, n, x_rest, n_rest, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x / n) / (x_rest / n_rest), low, high


def _tests(
    keys: list, base: dict, cand: dict, metric: str, confidence: float, alpha: float
) -> dict[tuple, Assessment]:
    """Each group's assessment: the Holm-corrected test of the change of its rate relative
    to the rest of its table (a ratio that needs no comparison group, so a change of the
    highest group between the audits can neither hide a fall nor invent one)."""
    out: dict[tuple, Assessment] = {}
    tested = []
    for key in keys:
        b, c = base.get(key), cand.get(key)
        if b is None or c is None:
            out[key] = ("", "new group" if b is None else "no longer present")
        elif metric not in _COUNTS:
            out[key] = ("", f"not tested: no counts for {metric}")
        else:
            tested.append(key)
    if not tested:
        return out
    before = _standing(base, tested, metric, confidence)
    after = _standing(cand, tested, metric, confidence)
    result = ratio_changes(before, after, confidence=confidence, alpha=alpha)
    for i, key in enumerate(tested):
        out[key] = _assessment(base[key], cand[key], result, i, before[0][i], after[0][i])
    return out


def _assessment(
    b: Any, c: Any, r: RatioChanges, i: int, standing0: float, standing1: float
) -> Assessment:
    """(css class, words) of one tested change; words never rely on colour."""
    if not finite(r.change[i]):
        return "", "not tested: the rate is undefined in one audit"
    size = (
        f"rate relative to the other groups {ratio(standing0)} → {ratio(standing1)}, "
        f"× {ratio(r.change[i])} [{ratio(r.low[i])}, {ratio(r.high[i])}], "
        f"adjusted p = {fmt_p(r.p_adjusted[i])}"
    )
    if r.significant[i] and not r.away_from_parity[i]:
        return "change-better", f"better: {size}"
    if r.significant[i] and standing1 < 1:
        return "change-worse", f"worse: {size}"
    if r.significant[i]:  # further above parity: the others' rows show what it costs them
        return "", f"more favoured than before: {size}"
    verdict = f"; verdict {b['verdict']} → {c['verdict']}" if b["verdict"] != c["verdict"] else ""
    return "", f"no significant change: {size}{verdict}"


def _delta(a: Any, b: Any, scale: float, unit: str, digits: int) -> str:
    if not (finite(a) and finite(b)):
        return "n/a"
    return f"{scale * (b - a):+.{digits}f}{unit}"


def _combo_table(
    attrs: tuple, keys: list, base: dict, cand: dict, i: int, names, tests: dict
) -> Table:
    columns = [
        ("Group", False),
        ("Baseline rate", True),
        ("Candidate rate", True),
        ("Change (pp)", True),
        ("Baseline impact ratio", True),
        ("Candidate impact ratio", True),
        ("Change", True),
        ("Baseline verdict", False),
        ("Candidate verdict", False),
        ("Assessment", False),
    ]
    rows = []
    for key in keys:
        b, c = base.get(key), cand.get(key)
        cls, words = tests[key]
        get = lambda r, col: r[col] if r is not None else None  # noqa: E731
        cells = [
            pct(get(b, names["value"])),
            pct(get(c, names["value"])),
            _delta(get(b, names["value"]), get(c, names["value"]), 100, "", 1),
            ratio(get(b, names["ratio"])),
            ratio(get(c, names["ratio"])),
            _delta(get(b, names["ratio"]), get(c, names["ratio"]), 1, "", 3),
            get(b, "verdict") or DASH,
            get(c, "verdict") or DASH,
            words,
        ]
        rows.append(
            {
                "header": group_label(key[1]),
                "cells": [{"text": str(x), "cls": "", "sub": ""} for x in cells],
                "cls": cls,
            }
        )
    label = INTERSECTION.join(attrs)
    return Table(
        id=f"compare-table-{i}",
        caption=f"Baseline and candidate by group: {label}",
        heading=label,
        columns=columns,
        rows=rows,
    )


def _config_diff(a: dict, b: dict, prefix: str = "") -> list[tuple[str, str, str]]:
    out = []
    for key in sorted(set(a) | set(b), key=str):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += _config_diff(va, vb, f"{prefix}{key}.")
        elif va != vb:
            out.append((f"{prefix}{key}", str(va), str(vb)))
    return out


def _input_identity(result: AuditResult) -> tuple[str, str] | None:
    """(what was hashed, SHA-256) of the candidates an audit read, before any scoring.

    The gate's pool fingerprint, else the file a matcher scored, else the audit's input
    hash; None for a matcher run on a data frame (its input hash covers the new scores).
    """
    records = (getattr(result, "sections", None) or {}).get("gate", {}).get("records", {})
    if records.get("pool_sha256"):
        return "evaluation pool", str(records["pool_sha256"])
    matcher = result.provenance.get("metadata", {}).get("matcher") or {}
    if matcher.get("input_file_sha256"):
        return "input file", str(matcher["input_file_sha256"])
    if matcher:
        return None
    return "input", str(result.provenance["input"].get("sha256"))


def compare_model(
    baseline: AuditResult, candidate: AuditResult, *, title: str | None, generated_at: _dt.datetime
) -> dict[str, Any]:
    """The comparison's view model (plain data; the template escapes it)."""
    names = column_names(METRICS[candidate.primary_metric])
    base, cand = _index(baseline), _index(candidate)
    keys = list(base) + [k for k in cand if k not in base]
    combos = list(dict.fromkeys(k[0] for k in keys))
    config = candidate.provenance["configuration"]
    confidence, alpha = float(config["confidence"]), float(config["alpha"])
    tests = _tests(keys, base, cand, candidate.primary_metric, confidence, alpha)
    tables = [
        _combo_table(attrs, [k for k in keys if k[0] == attrs], base, cand, i, names, tests)
        for i, attrs in enumerate(combos)
    ]
    changes = [row["cls"] for t in tables for row in t["rows"]]
    worse, better = changes.count("change-worse"), changes.count("change-better")
    pb, pc = baseline.provenance, candidate.provenance
    base_id, cand_id = _input_identity(baseline), _input_identity(candidate)
    notes = []
    if baseline.primary_metric != candidate.primary_metric:
        notes.append(
            f"The audits use different primary metrics ({baseline.primary_metric} and "
            f"{candidate.primary_metric}); rates are not directly comparable."
        )
    if base_id is None or cand_id is None or base_id[0] != cand_id[0]:
        notes.append(
            "Whether the two audits read the same candidates cannot be told: a matcher's "
            "scores are part of the audited columns' SHA-256. Audit a file, or use "
            "biasaudit gate, to have the pool itself fingerprinted."
        )
    elif base_id[1] != cand_id[1]:
        notes.append(
            f"The two audits read different inputs ({base_id[0]} SHA-256 differs): changes "
            "mix the effect of the matcher with that of the data."
        )
    headline = (
        f"{worse} group(s) significantly worse, {better} significantly better."
        if worse or better
        else "No significant change between baseline and candidate."
    )
    return {
        "title": title or "Audit comparison: baseline and candidate",
        "headline": headline,
        "cls": "fail" if worse else ("ok" if better else "ref"),
        "worse": worse,
        "better": better,
        "tables": tables,
        "notes": notes,
        "config_diff": _config_diff(pb["configuration"], pc["configuration"]),
        "sides": [_side("Baseline", baseline), _side("Candidate", candidate)],
        "same_input": base_id is not None and base_id == cand_id,
        "alpha": alpha,
        "confidence": confidence,
        "generated_at": generated_at.isoformat(),
        "sections": [
            ("summary", "Summary"),
            ("inputs", "Inputs and configuration"),
            ("changes", "Changes by group"),
            ("method", "How changes are judged"),
        ],
    }


def _side(name: str, result: AuditResult) -> dict[str, Any]:
    prov = result.provenance
    return {
        "name": name,
        "title": (prov.get("metadata") or {}).get("title") or DASH,
        "source": str(prov["input"].get("source")),
        "sha256": str(prov["input"].get("sha256")),
        "rows": prov["rows"]["total"],
        "timestamp": str(prov.get("timestamp")),
        "findings": len(result.findings),
        "adverse": sum(v == ADVERSE for v in result.groups["verdict"]),
        "version": prov.get("versions", {}).get("biasaudit", "?"),
    }


def compare_html(
    baseline: AuditResult,
    candidate: AuditResult,
    path: str | Path | None = None,
    *,
    title: str | None = None,
    generated_at: _dt.datetime | None = None,
) -> str:
    """HTML report comparing two audits (baseline and candidate matcher, before/after).

    Groups are matched by attribute combination and group name. Each group's
    change of impact ratio is tested (:func:`biasaudit.metrics._change.ratio_changes`:
    the ratio of the two impact ratios with its interval, Holm-corrected over
    the groups), and a group is called worse or better only when the change is
    significant, worse when it moved away from parity.

    Examples
    --------
    >>> import biasaudit
    >>> df = biasaudit.datasets.load_resume_study()
    >>> a = biasaudit.audit(df, attributes=["race"], selected="callback")
    >>> "No significant change" in compare_html(a, a)
    True
    """
    model = compare_model(baseline, candidate, title=title, generated_at=generated_at or utc_now())
    return write(render("compare.html.j2", model), path)


def compare_markdown(
    baseline: AuditResult, candidate: AuditResult, *, title: str | None = None
) -> str:
    """The comparison as Markdown (for a pull-request comment)."""

    m = compare_model(baseline, candidate, title=title, generated_at=utc_now())
    lines = [f"# {md(m['title'])}", "", f"**{md(m['headline'])}**", ""]
    lines += [f"> {md(n)}" for n in m["notes"]]
    for table in m["tables"]:
        lines += ["", *md_table(table)]
    return "\n".join(lines) + "\n"
