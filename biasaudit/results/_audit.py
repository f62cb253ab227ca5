"""AuditResult: the frozen outcome of an audit, and its JSON contract.

The display methods (``summary``, ``_repr_html_``, ``plot``, ``to_html``) are thin
delegates to the reports layer, reached through :mod:`biasaudit.results._views`,
so that this layer never imports the layer above it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biasaudit._io import write_text_atomic
from biasaudit._json import clean as _clean
from biasaudit.metrics._registry import METRICS, Counts
from biasaudit.metrics._table import column_names
from biasaudit.results._views import view

__all__ = ["SCHEMA_VERSION", "AuditResult", "json_schema"]

#: Version of the JSON contract (``biasaudit/schema/audit-result.schema.json``).
SCHEMA_VERSION = "1.0"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`AuditResult.to_json` (draft 2020-12).

    Examples
    --------
    >>> json_schema()["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    True
    """
    text = files("biasaudit").joinpath("schema/audit-result.schema.json").read_text("utf-8")
    return json.loads(text)


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
            out["sections"] = _clean(view("json_sections")(self.sections))
        hist = self.score_histograms()
        if hist is not None:
            out["score_histograms"] = _histograms_to_json(hist)
        return out

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """Serialise to JSON (and write it to ``path`` when given)."""
        text = _compact_int_arrays(json.dumps(self.to_dict(), indent=indent, allow_nan=False))
        text += "\n"
        if path is not None:
            write_text_atomic(path, text)
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
            sections=_numbers_only(data.get("sections") or {}),
            histograms=data.get("score_histograms"),
        )

    # -- display --------------------------------------------------------------
    def summary(self) -> str:
        """A readable plain-text summary table (what the CLI prints)."""
        return view("summary")(self)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return view("summary_html")(self)

    @property
    def plot(self) -> Any:
        """Plots for notebooks: ``result.plot.impact_ratios()``, ``.rates()``, ...

        An :class:`biasaudit.plot.AuditPlots` accessor whose methods
        (``impact_ratios``, ``rates``, ``score_distributions``, ``calibration``,
        ``exposure``) return matplotlib ``Axes``.
        """
        return view("plot")(self)

    def to_html(self, path: str | Path | None = None, **options: Any) -> str:
        """The self-contained HTML audit report; see :func:`biasaudit.reports.to_html`."""
        return view("html")(self, path, **options)

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


def _numbers_only(sections: dict[str, Any]) -> dict[str, Any]:
    """Sections as results hold them: the JSON's rendered ranking and counterfactual
    tables are dropped.

    Reports render them again from the numbers, so a loaded result and the
    audit that wrote it hold the same data.
    """
    return {
        name: (
            {k: v for k, v in value.items() if k != "tables"}
            if is_ranking_section(value) or is_counterfactual_section(value)
            else value
        )
        for name, value in sections.items()
    }


def is_counterfactual_section(value: Any) -> bool:
    """Whether ``value`` is the section a name-swap or rank-swap audit attaches."""
    return isinstance(value, dict) and value.get("kind") == "counterfactual" and "design" in value


def is_ranking_section(value: Any) -> bool:
    """Whether ``value`` is the section that ``audit(ranking=...)`` attaches.

    Its readable tables are rendered from its numbers; any other section (one a
    user attached, say) travels as it is.
    """
    return isinstance(value, dict) and value.get("kind") == "ranking" and "fair" in value
