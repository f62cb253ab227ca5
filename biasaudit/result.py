"""AuditResult: the frozen outcome of an audit, and its JSON contract."""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biasaudit.metrics._registry import METRICS, Counts
from biasaudit.metrics._table import FOUR_FIFTHS, column_names

__all__ = ["SCHEMA_VERSION", "AuditResult", "findings_for", "json_schema", "verdicts_for"]

#: Version of the JSON contract (``biasaudit/schema/audit-result.schema.json``).
SCHEMA_VERSION = "1.0"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`AuditResult.to_json` (draft 2020-12).

    Examples
    --------
    >>> json_schema()["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    True
    """
    from importlib.resources import files

    text = files("biasaudit").joinpath("schema/audit-result.schema.json").read_text("utf-8")
    return json.loads(text)


ADVERSE = "adverse impact"
NOT_SIGNIFICANT = "four-fifths violation, not statistically significant"
SIGNIFICANT_WITHIN = "statistically significant disparity within four-fifths"
INSUFFICIENT = "insufficient data"
COMPARISON = "comparison group"
PASS = "no adverse impact indicated"


def _verdict(row: pd.Series, names: dict[str, str], alpha: float) -> str:
    if row["excluded_small"]:
        return f"excluded: under the minimum share ({row['share']:.1%} of known candidates)"
    ratio, p = row[names["ratio"]], row[names["p_adjusted"]]
    if not np.isfinite(ratio):
        return INSUFFICIENT
    if row["comparison_group"] == row["group"]:
        return COMPARISON
    significant = bool(np.isfinite(p) and p < alpha)
    if ratio < FOUR_FIFTHS:
        return ADVERSE if significant else NOT_SIGNIFICANT
    if significant and ratio < 1:
        return SIGNIFICANT_WITHIN
    return PASS


def verdicts_for(groups: pd.DataFrame, primary: str, alpha: float) -> list[str]:
    """Plain-language verdict per group on the primary metric (selection or scoring).

    Adverse impact means an impact ratio under four-fifths that is also
    statistically significant after the multiple-comparison correction; the
    other verdicts say which half of that holds.
    """
    names = column_names(METRICS[primary])
    return [_verdict(row, names, alpha) for _, row in groups.iterrows()]


def _finding(row: pd.Series, check: str, names: dict[str, str], message: str) -> dict:
    return {
        "check": check,
        "attribute": list(row["attribute"]),
        "group": list(row["group"]),
        "metric": names["ratio"],
        "value": _clean(row[names["ratio"]]),
        "threshold": FOUR_FIFTHS,
        "p_value_adjusted": _clean(row.get(names["p_adjusted"])),
        "verdict": row.get("verdict") if check == "four_fifths" else message.split(":")[0],
        "message": message,
    }


def findings_for(groups: pd.DataFrame, primary: str, alpha: float) -> list[dict[str, Any]]:
    """Checks that fail (four-fifths, significance) or cannot be evaluated."""
    out = []
    names = column_names(METRICS[primary])
    for _, row in groups.iterrows():
        verdict = row["verdict"]
        label = f"{' x '.join(row['attribute'])} = {' / '.join(row['group'])}"
        if verdict in (ADVERSE, NOT_SIGNIFICANT, SIGNIFICANT_WITHIN):
            msg = (
                f"{verdict}: {label} has {primary.replace('_', ' ')} {row[names['value']]:.3f}, "
                f"impact ratio {row[names['ratio']]:.3f} (threshold {FOUR_FIFTHS}), "
                f"adjusted p = {row[names['p_adjusted']]:.3g}"
            )
            out.append(_finding(row, "four_fifths", names, msg))
        elif verdict == INSUFFICIENT:
            out.append(
                _finding(
                    row,
                    "four_fifths",
                    names,
                    f"{INSUFFICIENT}: {label} has n = {row['n']}; its impact ratio is undefined",
                )
            )
    if primary == "selection_rate" and "scoring_impact_ratio" in groups:
        scoring = column_names(METRICS["scoring_rate"])
        for _, row in groups.iterrows():
            ratio = row["scoring_impact_ratio"]
            if not row["excluded_small"] and np.isfinite(ratio) and ratio < FOUR_FIFTHS:
                label = f"{' x '.join(row['attribute'])} = {' / '.join(row['group'])}"
                msg = (
                    f"scoring four-fifths violation: {label} has scoring impact ratio "
                    f"{ratio:.3f} (threshold {FOUR_FIFTHS})"
                )
                out.append(_finding(row, "four_fifths_scoring", scoring, msg))
    return out


def _clean(value: Any) -> Any:
    """Plain JSON value: NaN -> None, NumPy scalars -> Python, tuples -> lists."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return value


@dataclass(frozen=True)
class AuditResult:
    """The outcome of :func:`biasaudit.audit`: group tables, findings, provenance.

    The object is frozen and its accessors return copies, so nothing a caller
    does to a returned frame changes the result.

    Examples
    --------
    >>> import biasaudit
    >>> df = biasaudit.datasets.load_resume_study()
    >>> result = biasaudit.audit(df, attributes=["race", "sex"], selected="callback")
    >>> result.groups_frame().query("attribute_label == 'race'")[
    ...     ["group_label", "selection_rate"]].round(4).values.tolist()
    [['Black or African American', 0.0645], ['White', 0.0965]]
    """

    groups: pd.DataFrame = field(repr=False)
    tables: tuple[dict[str, Any], ...] = field(repr=False)
    findings: tuple[dict[str, Any], ...] = field(repr=False)
    provenance: dict[str, Any] = field(repr=False)
    stats: Any = field(default=None, repr=False, compare=False)
    sections: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    histograms: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", self.groups.copy())

    # -- tables ---------------------------------------------------------------
    def groups_frame(self) -> pd.DataFrame:
        """One row per (attribute combination, group) with every metric (a copy)."""
        out = self.groups.copy()
        out.insert(0, "attribute_label", [" x ".join(a) for a in out["attribute"]])
        out.insert(1, "group_label", [" / ".join(g) for g in out["group"]])
        return out

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per attribute combination / group / metric.

        Columns: ``attribute``, ``group``, ``metric``, ``value``, ``ci_low``,
        ``ci_high``, ``n``, ``ratio``, ``p_value``, ``p_value_adjusted``, ``flag``.
        """
        rows = []
        for _, row in self.groups.iterrows():
            for metric in METRICS.values():
                names = column_names(metric)
                if names["value"] not in row:
                    continue
                low, high = row[names["ci"]]
                flag = row["verdict"] if metric.name == self.primary_metric else None
                rows.append(
                    {
                        "attribute": " x ".join(row["attribute"]),
                        "group": " / ".join(row["group"]),
                        "metric": metric.name,
                        "value": row[names["value"]],
                        "ci_low": low,
                        "ci_high": high,
                        "n": int(metric.denominator(_row_counts(row))),
                        "ratio": row[names["ratio"]],
                        "p_value": row[names["p"]],
                        "p_value_adjusted": row.get(names["p_adjusted"], np.nan),
                        "flag": flag,
                    }
                )
        return pd.DataFrame(rows)

    def score_histograms(self) -> dict[str, Any] | None:
        """Fixed-bin score histograms per attribute and known group, or None.

        Taken from the sufficient statistics (or from the JSON the result was
        loaded from); ``None`` when the audit had no score column.

        Returns
        -------
        dict or None
            ``{"range": (low, high), "bins": n_bins, "has_label": bool,
            "attributes": {attr: {"groups": [...], "counts": array}}}`` where
            ``counts`` has shape ``(groups, 2, bins)``: label negative (or no
            label) and label positive, summed over jobs, ``Unknown`` left out.

        Examples
        --------
        >>> import biasaudit, numpy as np
        >>> df = biasaudit.datasets.load_resume_study()
        >>> df["score"] = np.linspace(0, 1, len(df))
        >>> h = biasaudit.audit(df, attributes=["sex"], score="score",
        ...                     threshold=0.5).score_histograms()
        >>> h["attributes"]["sex"]["groups"], int(h["attributes"]["sex"]["counts"].sum())
        (['Female', 'Male'], 4870)
        """
        if self.histograms is not None:
            return _histograms_from_json(self.histograms)
        stats = self.stats
        if stats is None or stats.hist is None:
            return None
        attributes = {}
        for i, attr in enumerate(stats.attributes):
            groups = [str(c) for c in stats.categories[i]]
            counts = np.asarray(stats.marginal_hist((attr,)), dtype=np.int64)
            if stats.has_unknown[i]:
                groups, counts = groups[:-1], counts[:-1]
            attributes[attr] = {"groups": groups, "counts": counts}
        return {
            "range": tuple(float(x) for x in stats.bin_range),
            "bins": int(stats.hist.shape[-1]),
            "has_label": bool(stats.has_label),
            "attributes": attributes,
        }

    @property
    def primary_metric(self) -> str:
        """``"selection_rate"``, or ``"scoring_rate"`` for a scoring-only audit."""
        return self.provenance["configuration"]["primary_metric"]

    def summaries(self) -> list[dict[str, Any]]:
        """Per attribute combination: parity differences and ratios over groups."""
        return [{"attribute": t["attribute"], **t["summary"]} for t in self.tables]

    # -- JSON -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON contract as plain Python data."""
        groups = [
            {k: _clean(v) for k, v in row.items()} for row in self.groups.to_dict(orient="records")
        ]
        tables = [_clean({k: v for k, v in t.items() if k != "summary"}) for t in self.tables]
        out = {
            "schema_version": SCHEMA_VERSION,
            "provenance": _clean(self.provenance),
            "findings": _clean(list(self.findings)),
            "summaries": _clean(self.summaries()),
            "tables": tables,
            "groups": groups,
        }
        if self.sections:
            out["sections"] = _clean(self.sections)
        hist = self.score_histograms()
        if hist is not None:
            out["score_histograms"] = _histograms_to_json(hist)
        return out

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """Serialise to JSON (and write it to ``path`` when given)."""
        text = _compact_int_arrays(json.dumps(self.to_dict(), indent=indent, allow_nan=False))
        text += "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, source: str | Path) -> AuditResult:
        """Load a result written by :meth:`to_json` (a path or a JSON string).

        Raises ValueError when the text is not an AuditResult of this schema
        version.
        """
        text = Path(source).read_text(encoding="utf-8") if _is_path(source) else str(source)
        data = json.loads(text)
        version = data.get("schema_version") if isinstance(data, dict) else None
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"Not a biasaudit {SCHEMA_VERSION} result (schema_version {version!r}). "
                "Re-run the audit with this version of biasaudit."
            )
        groups = pd.DataFrame(data["groups"])
        for column in groups.columns:
            groups[column] = _restore(column, groups[column])
        summaries = [{k: v for k, v in s.items() if k != "attribute"} for s in data["summaries"]]
        tables = tuple({**t, "summary": s} for t, s in zip(data["tables"], summaries))
        return cls(
            groups=groups,
            tables=tables,
            findings=tuple(data["findings"]),
            provenance=data["provenance"],
            sections=data.get("sections") or {},
            histograms=data.get("score_histograms"),
        )

    # -- display --------------------------------------------------------------
    def summary(self) -> str:
        """A readable plain-text summary table (what the CLI prints)."""
        from biasaudit._text import summary_text

        return summary_text(self)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from biasaudit._text import summary_html

        return summary_html(self)

    @property
    def plot(self) -> Any:
        """Plots for notebooks: ``result.plot.impact_ratios()``, ``.rates()``, ...

        An :class:`biasaudit.plot.AuditPlots` accessor whose methods
        (``impact_ratios``, ``rates``, ``score_distributions``, ``calibration``,
        ``exposure``) return matplotlib ``Axes``.
        """
        from biasaudit.plot import AuditPlots

        return AuditPlots(self)

    def to_html(self, path: str | Path | None = None, **options: Any) -> str:
        """The self-contained HTML audit report; see :func:`biasaudit.reports.to_html`."""
        from biasaudit.reports import to_html

        return to_html(self, path, **options)

    def __repr__(self) -> str:
        rows = self.provenance["rows"]["total"]
        return (
            f"<AuditResult: {rows} candidates, {len(self.groups)} groups, "
            f"{len(self.findings)} findings>"
        )


def _row_counts(row: pd.Series) -> Counts:
    return Counts(
        **{
            name: row.get(name, 0)
            for name in (
                "n",
                "selected",
                "label_positive",
                "true_positive",
                "false_positive",
                "above_median",
            )
        }
    )


_TEXT_COLUMNS = ("attribute", "group", "comparison_group", "verdict", "auc_method")
_FLAG_COLUMNS = ("four_fifths_violation", "flip_flop")


def _restore(name: str, column: pd.Series) -> pd.Series:
    """Undo JSON's encoding of one group column: null -> NaN, intervals -> tuples."""
    if name.endswith("_ci"):
        return pd.Series(
            [tuple(np.nan if x is None else x for x in v) for v in column], index=column.index
        )
    if name in _TEXT_COLUMNS or name in _FLAG_COLUMNS or column.dtype == bool:
        return column
    return pd.to_numeric(column.astype(object).where(column.notna(), np.nan))


_INT_ARRAY = re.compile(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]")


def _compact_int_arrays(text: str) -> str:
    """Put arrays of integers (histogram counts) on one line each in indented JSON."""
    return _INT_ARRAY.sub(lambda m: "[" + ", ".join(re.split(r",\s*", m.group(1))) + "]", text)


def _histograms_to_json(hist: dict[str, Any]) -> dict[str, Any]:
    return {
        "range": [float(x) for x in hist["range"]],
        "bins": int(hist["bins"]),
        "has_label": bool(hist["has_label"]),
        "attributes": [
            {
                "attribute": attr,
                "groups": list(h["groups"]),
                "counts": np.asarray(h["counts"]).tolist(),
            }
            for attr, h in hist["attributes"].items()
        ],
    }


def _histograms_from_json(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "range": tuple(float(x) for x in data["range"]),
        "bins": int(data["bins"]),
        "has_label": bool(data["has_label"]),
        "attributes": {
            h["attribute"]: {
                "groups": [str(g) for g in h["groups"]],
                "counts": np.asarray(h["counts"], dtype=np.int64).reshape(
                    len(h["groups"]), 2, int(data["bins"])
                ),
            }
            for h in data["attributes"]
        },
    }


def _is_path(source: str | Path) -> bool:
    if isinstance(source, Path):
        return True
    return not source.lstrip().startswith("{")


def escape(value: Any) -> str:
    """HTML-escape any value for display."""
    return html.escape(str(value), quote=True)
