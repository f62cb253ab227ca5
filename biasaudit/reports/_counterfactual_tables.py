"""Readable tables of a counterfactual (name-swap) section, rendered from its numbers.

The section holds the paired comparisons, selection flips, first places and tests
as numbers; these tables are made from them when a report, the JSON or the
command line shows the section, so a result loaded from JSON renders the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from biasaudit.counterfactual import _format as F
from biasaudit.counterfactual._common import subsets
from biasaudit.counterfactual._ranking import MIN_EXPECTED
from biasaudit.reports._format import INTERSECTION, align
from biasaudit.results._audit import is_counterfactual_section

__all__ = [
    "counterfactual_tables",
    "is_counterfactual_section",
    "section_text",
]


def counterfactual_tables(section: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Readable tables by caption; a section of another kind keeps its own ``tables``."""
    if not is_counterfactual_section(section):
        return dict(section.get("tables", {}))
    config = section["configuration"]
    if section["design"] == "rank":
        return _rank_tables(
            section["first_place"],
            section["positions"],
            section["tests"],
            section["per_job"],
            config["attributes"],
            config["alpha"],
        )
    return _score_tables(
        section["comparisons"], section["flips"], config["attributes"], config["decision_text"]
    )


def _paired_rows(records: list[dict[str, Any]], attrs: list[str]) -> list[dict[str, str]]:
    rows = []
    for r in (r for r in records if r["attributes"] == attrs):
        ref = r["is_reference"]
        rows.append(
            {
                INTERSECTION.join(attrs): r["group"],
                "resumes": str(r["n"]),
                "mean score": F.num(r["mean_score"]),
                "mean difference [95% t CI]": F.DASH
                if ref
                else F.joined(F.signed(r["mean_difference"]), F.interval(r["mean_ci"])),
                "median difference [exact CI]": F.DASH
                if ref
                else F.joined(F.signed(r["median_difference"]), F.interval(r["median_ci"])),
                "higher / lower / equal": F.DASH
                if ref
                else f"{r['higher']} / {r['lower']} / {r['equal']}",
                "Wilcoxon p (adj.)": F.DASH if ref else F.pval(r["wilcoxon_p_adjusted"]),
                "sign test p (adj.)": F.DASH if ref else F.pval(r["sign_p_adjusted"]),
                "verdict": r["verdict"],
            }
        )
    return rows


def _flip_rows(flips: list[dict[str, Any]], label: str) -> list[dict[str, str]]:
    rows = []
    for f in flips:
        ref, total = f["is_reference"], f["group"] == "any group"
        rows.append(
            {
                label: f["group"],
                "resumes": str(f["n"]),
                "selected with this name": F.DASH
                if total
                else f"{f['selected']} ({F.pct(f['selected'] / f['n'] if f['n'] else None)})",
                "flips vs reference [95% CI]": F.DASH
                if ref
                else F.joined(
                    f"{f['flips']} ({F.pct(f['flip_rate'])})", F.pct_interval(f["flip_rate_ci"])
                ),
                "lost / gained": F.DASH if ref or total else f"{f['lost']} / {f['gained']}",
                "McNemar p (adj.)": F.DASH if ref or total else F.pval(f["mcnemar_p_adjusted"]),
            }
        )
    return rows


def _score_tables(
    records: list[dict[str, Any]],
    flips: list[dict[str, Any]],
    attributes: Sequence[str],
    rule_text: str,
) -> dict[str, list[dict[str, str]]]:
    tables = {}
    for subset in subsets(attributes):
        attrs = [attributes[j] for j in subset]
        ref = next(r["reference"] for r in records if r["attributes"] == attrs)
        caption = f"Paired score differences by {' × '.join(attrs)} (reference: {ref})"
        tables[caption] = _paired_rows(records, attrs)
    if flips:
        label = INTERSECTION.join(attributes)
        tables[f"Selection flips with the name ({rule_text})"] = _flip_rows(flips, label)
    return tables


def _conclusion(p: float, alpha: float) -> str:
    if not np.isfinite(p):
        return f"insufficient data (an expected count under {MIN_EXPECTED})"
    return "rejected: shares differ" if p < alpha else "not rejected"


def _rank_tables(
    rows: list[dict[str, Any]],
    positions: list[dict[str, Any]],
    tests: list[dict[str, Any]],
    per_job: list[dict[str, Any]],
    attributes: Sequence[str],
    alpha: float,
) -> dict[str, list[dict[str, str]]]:
    tables: dict[str, list[dict[str, str]]] = {}
    for subset in subsets(attributes):
        attrs = [attributes[j] for j in subset]
        mine = [r for r in rows if r["attributes"] == attrs]
        ref = next(r["group"] for r in mine if r["is_reference"])
        caption = f"Ranked first, by {' × '.join(attrs)} (impact ratios against {ref})"
        tables[caption] = [
            {
                INTERSECTION.join(attrs): r["group"],
                "appearances": str(r["rankings"]),
                "ranked first": str(r["ranked_first"]),
                "rate [95% CI]": F.joined(F.pct(r["rate"]), F.pct_interval(r["rate_ci"])),
                "impact ratio [95% CI]": F.joined(
                    F.ratio(r["impact_ratio"]), F.ratio_interval(r["impact_ratio_ci"])
                ),
                "mean rank": f"{r['mean_rank']:.2f}",
            }
            for r in mine
        ]
    tables["Ranked first, by presented position"] = [
        {
            "position": str(r["position"]),
            "rankings": str(r["rankings"]),
            "ranked first": str(r["ranked_first"]),
            "rate [95% CI]": F.joined(F.pct(r["rate"]), F.pct_interval(r["rate_ci"])),
        }
        for r in positions
    ]
    tables["Chi-square goodness-of-fit tests"] = [
        {
            "null hypothesis": t["test"],
            "chi-square": F.num(t["statistic"]),
            "df": str(t["df"]),
            "p": F.pval(t["p_value"]),
            "conclusion": _conclusion(t["p_value"], alpha),
        }
        for t in tests
    ]
    if per_job:
        tables["Rate of being ranked first, by job"] = [
            {
                "job": j["job"],
                "rankings": str(j["rankings"]),
                **{g: F.pct(v) for g, v in j["rates"].items()},
                "chi-square p": F.pval(j["p_value"]),
            }
            for j in per_job
        ]
    return tables


def section_text(section: dict[str, Any]) -> str:
    """The section's tables and notes as aligned plain text (what the CLI prints).

    Examples
    --------
    >>> print(section_text({"design": "score", "tables": {"T": [{"group": "A", "n": 3}]},
    ...                     "notes": ["A note."]}), end="")
    Counterfactual audit (score design)
    <BLANKLINE>
    T
    group  n
    A      3
    <BLANKLINE>
    - A note.
    """
    lines = [f"Counterfactual audit ({section.get('design', '?')} design)"]
    for caption, records in counterfactual_tables(section).items():
        if not records:
            continue
        header = list(records[0])
        rows = [header] + [[str(r.get(c, "")) for c in header] for r in records]
        lines += ["", caption, *align(rows)]
    notes = section.get("notes", [])
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"
