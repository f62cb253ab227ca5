"""RankingResult: the outcome of :func:`biasaudit.rank_audit`, numbers only.

Its display conveniences (``to_section``, ``_repr_html_``) delegate to the reports
layer through :mod:`biasaudit.results._views`.
"""

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from biasaudit._json import clean as _clean
from biasaudit.results._views import view

_COLUMNS = ["attribute", "group", "metric", "k", "value", "ci_low", "ci_high", "n", "p_value"]
_ALL = "all"


@dataclass(frozen=True)
class RankingResult:
    """The outcome of :func:`rank_audit`: a tidy metric table, per-job tests, facts.

    Attributes
    ----------
    table : DataFrame
        One row per attribute / group / metric / k (see :meth:`to_frame`).
    per_job : DataFrame
        FA*IR test per job and protected group: ``passed``,
        ``first_failing_prefix`` (0 when passed) and ``alpha_adjusted``.
    facts : dict
        Counts about the input: jobs, ties at each cut-off, short lists,
        single-candidate jobs, rank gaps.
    configuration : dict
        The options of the audit, the discounts and normalisers used.
    notes : tuple of str
        Plain-language statements about degenerate input.
    """

    table: pd.DataFrame = field(repr=False)
    per_job: pd.DataFrame = field(repr=False)
    facts: dict[str, Any] = field(repr=False)
    configuration: dict[str, Any] = field(repr=False)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", self.table.copy())
        object.__setattr__(self, "per_job", self.per_job.copy())

    def to_frame(self) -> pd.DataFrame:
        """Tidy table (a copy): attribute, group, metric, k, value, ci_low, ci_high, n, p_value.

        ``k`` is the cut-off for top-k metrics and missing otherwise; ``group``
        is ``"all"`` for metrics of the whole ranking (NDKL, MinSkew, MaxSkew).
        """
        return self.table.copy()

    def value(self, metric: str, group: str = _ALL, k: int | None = None, **match: str) -> float:
        """One value of the table, e.g. ``result.value("skew", "F", k=10)``."""
        t = self.table
        rows = (t["metric"] == metric) & (t["group"] == group)
        rows &= t["k"].isna() if k is None else (t["k"] == k)
        for column, wanted in match.items():
            rows &= t[column] == wanted
        if rows.sum() != 1:
            raise KeyError(f"{rows.sum()} rows match {metric!r}, {group!r}, k={k}, {match}")
        return float(t.loc[rows, "value"].iloc[0])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data (NaN and infinities become ``None``)."""
        rows = [
            {c: _clean(v) for c, v in row.items()}
            for row in self.table.astype(object).to_dict(orient="records")
        ]
        return {
            "kind": "ranking",
            "configuration": _clean(self.configuration),
            "facts": _clean(self.facts),
            "notes": list(self.notes),
            "metrics": rows,
        }

    def to_section(self) -> dict[str, Any]:
        """The ``"ranking"`` section of an :class:`~biasaudit.AuditResult`.

        :meth:`to_dict` (every metric, with the configuration and facts) plus
        ``"tables"``, readable tables by caption (lists of row records whose first
        column is the row header), and ``"notes"``, plain-language statements of
        the methods (discounts, normalisers, intervals) and of degenerate input.
        ``"fair"`` summarises the FA*IR test per attribute and group.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"job": ["a"] * 4 + ["b"] * 4,
        ...                    "sex": ["F", "M", "M", "F", "M", "F", "F", "M"],
        ...                    "rank": [4, 1, 2, 3, 1, 2, 3, 4]})
        >>> from biasaudit import rank_audit
        >>> section = rank_audit(df, attributes=["sex"], job="job", rank="rank",
        ...                      k=2, n_bootstrap=0).to_section()
        >>> section["tables"]["Top-k selection: sex"][0]["Top 2: selection rate [95% CI]"]
        '25.0% [4.6%, 69.9%]'
        """
        return view("ranking_section")(self)

    def _repr_html_(self) -> str:
        return view("ranking_html")(self)

    def __repr__(self) -> str:
        return (
            f"<RankingResult: {self.facts['rows']} candidates, {self.facts['jobs']} jobs, "
            f"{len(self.table)} metric rows>"
        )
