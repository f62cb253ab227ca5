"""Plots of an audit for notebooks: ``result.plot.impact_ratios()`` and friends.

Every plot reads numbers the audit already computed (the groups table, its
intervals and verdicts, the score histograms, the ranking section) and draws
them with the same drawing functions as the HTML report
(:mod:`biasaudit.reports._charts`); nothing is recomputed from raw rows.

Each method takes ``attribute=``:

- a name (``"race"``), or an intersection as a tuple (``("race", "sex")``, in
  any order) or as its label (``"race x sex"``): one chart, returned as a
  matplotlib ``Axes``;
- ``None`` (the default): one chart per table (each attribute and each
  intersection of the audit; for score and exposure plots, each attribute),
  returned as a 1-D NumPy array of ``Axes`` (an array even when the audit has
  a single table, so the return type depends only on the call).

``ax=`` draws into existing axes: one ``Axes`` for one chart, a sequence of
``Axes`` (one per chart) otherwise. Without it a new pyplot figure is made
(shown inline in Jupyter), one row of axes per chart.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import biasaudit
>>> result = biasaudit.audit(biasaudit.datasets.load_resume_study(),
...                          attributes=["race", "sex"], selected="callback")
>>> ax = result.plot.impact_ratios("race")
>>> [t.get_text() for t in ax.get_yticklabels()]
['Black or African American', 'White (comparison)']
>>> result.plot.rates().shape          # race, sex and race x sex
(3,)
>>> import matplotlib.pyplot as plt; plt.close("all")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from biasaudit.metrics._registry import METRICS
from biasaudit.metrics._table import FOUR_FIFTHS, column_names
from biasaudit.reports._charts import (
    draw_calibration,
    draw_intervals,
    draw_score_distributions,
)
from biasaudit.reports._chartset import (
    RATIO_LINES,
    IntervalRows,
    exposure_rows,
    interval_rows,
)
from biasaudit.reports._format import INTERSECTION
from biasaudit.results import AuditResult
from biasaudit.results._ranking import RankingResult

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["AuditPlots", "plot_exposure"]

UNKNOWN_ATTRIBUTE = (
    "Attribute {value!r} is not in this {what}. Present: {present}. Pass attribute= one of "
    "those (an intersection as a tuple such as ('race', 'sex') or as 'race x sex')."
)
BAD_ATTRIBUTE = (
    "attribute must be a column name, a tuple of names or None; got {value!r}. "
    "Pass e.g. attribute='race' or attribute=('race', 'sex')."
)
UNKNOWN_METRIC = (
    "Metric {value!r} has no {what} in this audit. Metrics present: {present}. "
    "Pass metric= one of those."
)
NO_HISTOGRAMS = (
    "This audit has no score histograms (decision: {rule!r}), so there are no score "
    "distributions to plot. Audit with score=COLUMN (biasaudit.audit(..., score='score'))."
)
NO_LABEL = (
    "This audit has no ground-truth label, so {what} cannot be plotted. "
    "Audit with label=COLUMN (a 0/1 qualification column)."
)
BAD_LABEL = "label must be None, 0 or 1; got {value!r}. Pass label=None for all candidates."
BAD_BINS = (
    "bins must be a whole number from 1 to {n_bins} (the histograms' resolution); "
    "got {value!r}. Pass e.g. bins=30."
)
NO_RANKING = (
    "This result has no ranking section (sections present: {present}), so there is no "
    "exposure to plot. Audit with biasaudit.audit(..., ranking=True), or pass "
    "ranking=rank_audit(...) (a RankingResult from biasaudit.rank_audit, or its to_dict())."
)
BAD_RANKING = (
    "ranking must be a RankingResult, its to_dict(), or an AuditResult with a ranking "
    "section; got {kind}. Pass ranking=rank_audit(...)."
)
BAD_AX = (
    "ax must be a matplotlib Axes; got {kind}. Pass ax=fig.add_subplot(), or leave it out "
    "for a new figure."
)
AX_COUNT = (
    "ax= needs one Axes per chart: got {got} Axes for {n} charts ({names}). Pass "
    "attribute=... to draw one chart, or a sequence of {n} Axes."
)


# -- attributes and axes -----------------------------------------------------------


def _label(key: Sequence[str]) -> str:
    return " x ".join(key)


def _pick(available: Sequence[tuple[str, ...]], attribute: Any, what: str) -> list[int]:
    """Indices of the charts to draw: all of them for None, else the one named."""
    if attribute is None:
        return list(range(len(available)))
    if isinstance(attribute, str):
        wanted = (attribute,) if (attribute,) in available else tuple(attribute.split(" x "))
    elif (
        isinstance(attribute, Sequence) and attribute and all(isinstance(a, str) for a in attribute)
    ):
        wanted = tuple(attribute)
    else:
        raise ValueError(BAD_ATTRIBUTE.format(value=attribute))
    wanted = tuple(w.strip() for w in wanted)
    for i, key in enumerate(available):
        if key == wanted:
            return [i]
    for i, key in enumerate(available):
        if sorted(key) == sorted(wanted):
            return [i]
    present = [_label(k) for k in available]
    raise ValueError(UNKNOWN_ATTRIBUTE.format(value=attribute, what=what, present=present))


def _is_axes(value: Any) -> bool:
    from matplotlib.axes import Axes

    return isinstance(value, Axes)


def _axes(ax: Any, names: list[str], heights: list[float]) -> list[Axes]:
    """The axes to draw into: new pyplot axes (one row per chart), or the ones given."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(
            len(names),
            1,
            figsize=(9.0, sum(heights)),
            height_ratios=heights,
            layout="constrained",
            squeeze=False,
        )
        return list(grid[:, 0])
    if _is_axes(ax):
        given = [ax]
    elif isinstance(ax, (Sequence, np.ndarray)) and not isinstance(ax, str):
        given = list(np.ravel(np.asarray(ax, dtype=object)))
    else:
        raise ValueError(BAD_AX.format(kind=type(ax).__name__))
    for one in given:
        if not _is_axes(one):
            raise ValueError(BAD_AX.format(kind=type(one).__name__))
    if len(given) != len(names):
        raise ValueError(AX_COUNT.format(got=len(given), n=len(names), names=names))
    return given


def _result(axes: list[Axes], attribute: Any) -> Any:
    """One Axes when an attribute was named, else a 1-D object array of them."""
    if attribute is not None:
        return axes[0]
    out = np.empty(len(axes), dtype=object)
    out[:] = axes
    return out


def _interval_height(k: int) -> float:
    return 1.1 + 0.3 * max(k, 2)


def _draw_rows(
    ax: Axes,
    rows: IntervalRows,
    *,
    title: str,
    xlabel: str,
    lines: Sequence[tuple[float, str]] = (),
    flag_below: float | None = None,
    legend: bool = True,
) -> Axes:
    """One point-and-interval chart with the comparison group and empty rows marked."""
    return draw_intervals(
        ax,
        rows.labels,
        rows.values,
        rows.lows,
        rows.highs,
        title=title,
        xlabel=xlabel,
        reference_lines=lines,
        flag_below=flag_below,
        comparison=rows.comparison,
        notes=rows.notes,
        legend=legend,
    )


# -- ranking rows --------------------------------------------------------------------


def _ranking_records(source: Any) -> list[dict[str, Any]]:
    """The metric rows of a ranking audit, from any of the forms it travels in."""
    if isinstance(source, AuditResult):
        section = source.sections.get("ranking")
        if section is None:
            raise ValueError(NO_RANKING.format(present=sorted(source.sections)))
        return _ranking_records(section)
    if isinstance(source, RankingResult):
        return source.to_dict()["metrics"]
    if isinstance(source, Mapping) and isinstance(source.get("metrics"), list):
        return list(source["metrics"])
    raise ValueError(BAD_RANKING.format(kind=type(source).__name__))


def plot_exposure(
    ranking: Any,
    attribute: str | None = None,
    *,
    ax: Any = None,
    ratio: bool = True,
    legend: bool = True,
) -> Any:
    """Exposure per group of a ranking audit, with its bootstrap intervals.

    Exposure (Singh and Joachims 2018) is the mean position weight
    ``1/log2(1 + position)`` of a group's members; the exposure ratio divides
    it by the highest known group's exposure, or by the ``reference_group``
    the ranking audit was given (that group is marked
    "(comparison)" and drawn as a diamond). A dashed line marks parity 1.0; no
    legal threshold applies to exposure, so no row is flagged. Rows whose value
    is undefined say "insufficient data".

    Parameters
    ----------
    ranking : RankingResult, dict or AuditResult
        A :class:`biasaudit.RankingResult`, its ``to_dict()``, or an
        ``AuditResult`` whose ``sections["ranking"]`` holds one.
    attribute : str, optional
        One attribute (returns an ``Axes``); default: each attribute of the
        ranking audit (returns an array of ``Axes``).
    ax : Axes or sequence of Axes, optional
        Where to draw.
    ratio : bool
        Plot ``exposure_ratio`` (default) or the raw ``exposure``.
    legend : bool
        Show a legend of the marker kinds.

    Returns
    -------
    Axes or numpy.ndarray of Axes

    Raises
    ------
    ValueError
        For an AuditResult without a ranking section, another kind of object,
        or an attribute the ranking audit does not have.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from biasaudit.ranking import rank_audit
    >>> df = pd.DataFrame({"job": ["a"] * 4 + ["b"] * 4,
    ...                    "sex": ["F", "M", "M", "F", "M", "F", "F", "M"],
    ...                    "rank": [4, 1, 2, 3, 1, 2, 3, 4]})
    >>> ranking = rank_audit(df, attributes=["sex"], job="job", rank="rank", k=2)
    >>> ax = plot_exposure(ranking, "sex")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['F', 'M (comparison)']
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    records = _ranking_records(ranking)
    metric = "exposure_ratio" if ratio else "exposure"
    names: list[tuple[str, ...]] = []
    for r in records:
        if r["metric"] == metric and (r["attribute"],) not in names:
            names.append((r["attribute"],))
    chosen = _pick(names, attribute, "ranking audit")
    data = [exposure_rows(records, names[i][0], metric) for i in chosen]
    axes = _axes(ax, [names[i][0] for i in chosen], [_interval_height(len(d.labels)) for d in data])
    for one, i, rows in zip(axes, chosen, data):
        word = "Exposure ratio" if ratio else "Exposure"
        _draw_rows(
            one,
            rows,
            title=f"{word} by group: {names[i][0]}",
            xlabel="exposure ratio (1.0 = parity)"
            if ratio
            else "exposure: mean 1/log2(1 + position)",
            lines=[(1.0, "parity 1.0")] if ratio else [],
            legend=legend,
        )
    return _result(axes, attribute)


# -- the accessor ----------------------------------------------------------------------


class AuditPlots:
    """Plots of an :class:`~biasaudit.AuditResult`, reached as ``result.plot``.

    See the module documentation for ``attribute=``, ``ax=`` and the return
    types. Every impact-ratio, rate and exposure chart marks the comparison
    group (a black diamond, and "(comparison)" after its name); impact-ratio
    charts also mark groups under the four-fifths line (vermillion squares) and
    say in words why a row has no value: "excluded: under the minimum share"
    (left out of impact ratios) or "insufficient data" (undefined ratio).

    Parameters
    ----------
    result : AuditResult
        The audit to plot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import biasaudit
    >>> result = biasaudit.audit(biasaudit.datasets.load_resume_study(),
    ...                          attributes=["race"], selected="callback")
    >>> ax = result.plot.impact_ratios("race")
    >>> [round(float(x), 3) for c in ax.containers for x in c.lines[0].get_xdata()]
    [0.668, 1.0]
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """

    def __init__(self, result: AuditResult) -> None:
        self._result = result

    def _tables(self) -> list[tuple[str, ...]]:
        return [tuple(t["attribute"]) for t in self._result.tables]

    def _names(self, metric: str | None, column: str, what: str) -> dict[str, str]:
        name = self._result.primary_metric if metric is None else metric
        present = [
            m for m in METRICS if column_names(METRICS[m])[column] in self._result.groups.columns
        ]
        if name not in present:
            raise ValueError(UNKNOWN_METRIC.format(value=name, what=what, present=present))
        return column_names(METRICS[name])

    def _intervals(
        self, attribute: Any, ax: Any, build: Any, draw: Any
    ) -> Any:  # build(table) -> IntervalRows; draw(ax, table, rows)
        tables = self._tables()
        chosen = _pick(tables, attribute, "audit")
        data = [build(self._result.tables[i]) for i in chosen]
        names = [_label(tables[i]) for i in chosen]  # as attribute= accepts them
        axes = _axes(ax, names, [_interval_height(len(d.labels)) for d in data])
        for one, i, rows in zip(axes, chosen, data):
            draw(one, INTERSECTION.join(tables[i]), rows)
        return _result(axes, attribute)

    def impact_ratios(
        self,
        attribute: str | Sequence[str] | None = None,
        *,
        ax: Any = None,
        metric: str | None = None,
        show_excluded: bool = True,
        legend: bool = True,
    ) -> Any:
        """Impact ratio per group with its Katz interval, the 0.8 line and parity.

        Parameters
        ----------
        attribute : str or tuple of str, optional
            The table to draw; default: every table (array of ``Axes``).
        ax : Axes or sequence of Axes, optional
            Where to draw.
        metric : str, optional
            Whose ratio: the audit's primary metric by default
            (``selection_rate`` -> ``impact_ratio``, ``scoring_rate`` ->
            ``scoring_impact_ratio``), or another rate of the audit, e.g.
            ``"true_positive_rate"`` (``equal_opportunity_ratio``).
        show_excluded : bool
            Keep groups left out under the minimum share as labelled empty rows
            (the report leaves them out of this chart).
        legend : bool
            Show a legend of the marker kinds.

        Returns
        -------
        Axes or numpy.ndarray of Axes
        """
        names = self._names(metric, "ratio", "impact ratios")
        word = names["ratio"].replace("_", " ")

        def build(table: dict[str, Any]) -> IntervalRows:
            return interval_rows(
                self._result,
                table,
                names["ratio"],
                names["ratio_ci"],
                metric=names["value"],
                drop_excluded=not show_excluded,
            )

        def draw(one: Axes, label: str, rows: IntervalRows) -> None:
            _draw_rows(
                one,
                rows,
                title=f"{word.capitalize()} by group: {label}",
                xlabel=f"{word} (1.0 = parity), 95% interval",
                lines=RATIO_LINES,
                flag_below=FOUR_FIFTHS,
                legend=legend,
            )

        return self._intervals(attribute, ax, build, draw)

    def rates(
        self,
        attribute: str | Sequence[str] | None = None,
        *,
        ax: Any = None,
        metric: str | None = None,
        legend: bool = True,
    ) -> Any:
        """A rate per group with its Wilson interval (the primary metric by default).

        Parameters
        ----------
        attribute : str or tuple of str, optional
            The table to draw; default: every table (array of ``Axes``).
        ax : Axes or sequence of Axes, optional
            Where to draw.
        metric : str, optional
            ``selection_rate``, ``scoring_rate``, or with a label
            ``true_positive_rate``, ``false_positive_rate``, ``precision``, ...
        legend : bool
            Show a legend of the marker kinds.

        Returns
        -------
        Axes or numpy.ndarray of Axes
        """
        names = self._names(metric, "value", "rates")
        word = names["value"].replace("_", " ")

        def build(table: dict[str, Any]) -> IntervalRows:
            return interval_rows(
                self._result,
                table,
                names["value"],
                names["ci"],
                metric=names["value"],
                drop_excluded=False,
            )

        def draw(one: Axes, label: str, rows: IntervalRows) -> None:
            _draw_rows(
                one,
                rows,
                title=f"{word.capitalize()} by group: {label}",
                xlabel=f"{word}, 95% Wilson interval",
                legend=legend,
            )

        return self._intervals(attribute, ax, build, draw)

    def _histograms(self, what: str) -> dict[str, Any]:
        hists = self._result.score_histograms()
        if hists is None:
            rule = self._result.provenance["configuration"]["decision"].get("rule")
            raise ValueError(NO_HISTOGRAMS.format(rule=rule))
        if what == "calibration" and not hists["has_label"]:
            raise ValueError(NO_LABEL.format(what="calibration"))
        return hists

    def _score_axes(self, hists: dict[str, Any], attribute: Any, ax: Any) -> Any:
        available = [(a,) for a in hists["attributes"]]
        chosen = _pick(available, attribute, "audit's score histograms (single attributes)")
        names = [available[i][0] for i in chosen]
        return names, _axes(ax, names, [3.2] * len(names))

    def score_distributions(
        self,
        attribute: str | None = None,
        *,
        ax: Any = None,
        bins: int = 30,
        label: int | None = None,
    ) -> Any:
        """Score density per group (step lines) from the audit's score histograms.

        Parameters
        ----------
        attribute : str, optional
            One attribute; default: each attribute (array of ``Axes``). The
            histograms are kept per single attribute, ``Unknown`` left out.
        ax : Axes or sequence of Axes, optional
            Where to draw.
        bins : int
            Number of bins drawn (adjacent fixed bins of the histograms summed).
        label : {None, 0, 1}
            All candidates (default), or only those with this ground-truth label.

        Returns
        -------
        Axes or numpy.ndarray of Axes
        """
        hists = self._histograms("scores")
        _check_bins(bins, hists["bins"])
        if label is not None and label not in (0, 1):
            raise ValueError(BAD_LABEL.format(value=label))
        if label is not None and not hists["has_label"]:
            raise ValueError(NO_LABEL.format(what="scores by label"))
        names, axes = self._score_axes(hists, attribute, ax)
        for one, name in zip(axes, names):
            h = hists["attributes"][name]
            counts = h["counts"].sum(axis=1) if label is None else h["counts"][:, int(label)]
            suffix = "" if label is None else f" (label = {int(label)})"
            draw_score_distributions(
                one,
                h["groups"],
                counts,
                hists["range"],
                title=f"Score distribution by group: {name}{suffix}",
                n_out=bins,
            )
        return _result(axes, attribute)

    def calibration(
        self,
        attribute: str | None = None,
        *,
        ax: Any = None,
        bins: int = 10,
        min_count: int = 10,
    ) -> Any:
        """Share qualified (label = 1) per score bin and group, from the histograms.

        Bins with fewer than ``min_count`` candidates of a group are not drawn.
        Needs an audit with a score and a label.

        Returns
        -------
        Axes or numpy.ndarray of Axes
        """
        hists = self._histograms("calibration")
        _check_bins(bins, hists["bins"])
        names, axes = self._score_axes(hists, attribute, ax)
        for one, name in zip(axes, names):
            h = hists["attributes"][name]
            draw_calibration(
                one,
                h["groups"],
                h["counts"],
                hists["range"],
                title=f"Calibration by group: {name}",
                n_out=bins,
                min_count=min_count,
            )
        return _result(axes, attribute)

    def exposure(
        self,
        attribute: str | None = None,
        *,
        ax: Any = None,
        ratio: bool = True,
        ranking: Any = None,
        legend: bool = True,
    ) -> Any:
        """Exposure (ratio) per group from the ranking section; see :func:`plot_exposure`.

        ``ranking=`` plots a :class:`~biasaudit.RankingResult` (or its
        ``to_dict()``) instead of ``result.sections["ranking"]``. A result
        without a ranking section raises ``ValueError`` saying how to get one.

        Returns
        -------
        Axes or numpy.ndarray of Axes
        """
        source = self._result if ranking is None else ranking
        return plot_exposure(source, attribute, ax=ax, ratio=ratio, legend=legend)

    def __repr__(self) -> str:
        return (
            "<AuditPlots: impact_ratios(), rates(), score_distributions(), calibration(), "
            "exposure()>"
        )


def _check_bins(bins: Any, n_bins: int) -> None:
    ok = isinstance(bins, (int, np.integer)) and not isinstance(bins, bool)
    if not ok or not 1 <= int(bins) <= n_bins:
        raise ValueError(BAD_BINS.format(n_bins=n_bins, value=bins))
