"""Charts: one drawing function per chart, and the report's inline SVG made from them.

Each ``draw_*`` function draws one chart onto a given matplotlib ``Axes`` and
returns it; :mod:`biasaudit.plot` uses them directly. Each ``*_chart`` function
makes a figure (matplotlib's SVG backend, no pyplot, deterministic output),
calls the drawing function and returns a :class:`Chart` for the HTML report:
the SVG markup (with an accessible ``<title>`` and ``<desc>``), a visible title
and a text alternative. The palette is
Okabe-Ito (colour-blind safe); groups are also told apart by marker shape and
line style, never by colour alone.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.typing import RcKeyType

__all__ = [
    "OKABE_ITO",
    "Chart",
    "calibration_chart",
    "draw_calibration",
    "draw_intervals",
    "draw_score_distributions",
    "interval_chart",
    "score_distribution_chart",
]

#: Okabe and Ito (2008) colour-blind-safe palette. Yellow comes last and is never used for
#: lines: it has too little contrast on white.
OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#F0E442",
)
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_LINES = ("-", "--", ":", "-.")
_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text: searchable, small, readable by screen readers
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
}


def _styled(draw: Callable[..., Axes]) -> Callable[..., Axes]:
    """Run a ``draw_*`` function under the charts' style: text and ticks it creates get
    the style's sizes, and the axes lose their top and right spines (also axes the
    caller made, as the plot API's ``ax=``)."""

    @functools.wraps(draw)
    def wrapper(ax: Axes, *args, **kwargs) -> Axes:
        import matplotlib

        with matplotlib.rc_context(_RC):
            ax.spines[["top", "right"]].set_visible(False)
            ax.tick_params(labelsize=_RC["font.size"])
            return draw(ax, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Chart:
    """One chart: id, visible title, text alternative and inline SVG markup."""

    id: str
    title: str
    alt: str
    svg: str


def _mpl_text(text: str) -> str:
    """Text for matplotlib: a literal ``$`` would otherwise start mathtext."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def _figure(
    width: float, height: float, *, left: float = 0.7, right: float = 0.2, top: float = 0.35
):  # -> (Figure, Axes)
    """A figure with fixed margins in inches (constrained layout costs half the time)."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):  # the axes and ticks take the style's sizes
        fig = Figure(figsize=(width, height))
        fig.subplots_adjust(
            left=left / width,
            right=1 - right / width,
            top=1 - top / height,
            bottom=0.5 / height,
        )
        return fig, fig.add_subplot()


def _text_width(labels: Sequence[str], size: float = 9) -> float:
    """Rough width in inches of the longest label (about 0.55 em per character)."""
    longest = max((len(str(t)) for t in labels), default=0)
    return longest * size * 0.55 / 72


def _to_svg(fig, chart_id: str, title: str, alt: str) -> Chart:
    """Render to SVG, make its ids unique in the page and add title and desc."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.StringIO()
    rc: dict[RcKeyType, Any] = {**_RC, "svg.hashsalt": f"biasaudit-{chart_id}"}
    with matplotlib.rc_context(rc):
        FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = _prefix_ids(svg, chart_id)
    svg = re.sub(r'\s(width|height)="[\d.]+pt"', "", svg, count=2)
    head = (
        f'<svg role="img" aria-labelledby="{chart_id}-t {chart_id}-d" class="chart"'
        f' id="{chart_id}-svg"'
    )
    svg = svg.replace("<svg", head, 1)
    first = svg.index(">") + 1
    svg = (
        svg[:first]
        + f'<title id="{chart_id}-t">{escape(title)}</title>'
        + f'<desc id="{chart_id}-d">{escape(alt)}</desc>'
        + svg[first:]
    )
    return Chart(chart_id, title, alt, svg)


_ID = re.compile(r'\bid="([^"]+)"')


def _prefix_ids(svg: str, prefix: str) -> str:
    """Prefix every id and reference: several inline SVGs share one HTML id space."""
    ids = set(_ID.findall(svg))
    if not ids:
        return svg
    pattern = re.compile(
        r'(\bid="|#)(' + "|".join(map(re.escape, sorted(ids, key=len)[::-1])) + r')(?=["\)])'
    )
    return pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def _style(i: int) -> dict:
    return {
        "color": OKABE_ITO[i % 7],  # never the yellow
        "marker": _MARKERS[i % len(_MARKERS)],
        "linestyle": _LINES[(i // 7) % len(_LINES)],
    }


def interval_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float] | np.ndarray,
    lows: Sequence[float] | np.ndarray,
    highs: Sequence[float] | np.ndarray,
    *,
    xlabel: str,
    reference_lines: Sequence[tuple[float, str]] = (),
    flag_below: float | None = None,
    comparison: Sequence[bool] | np.ndarray | None = None,
    alt: str,
) -> Chart:
    """Horizontal point-and-interval chart as SVG; see :func:`draw_intervals`."""
    short = [_short(t) for t in labels]
    fig, ax = _figure(6.4, 0.9 + 0.28 * max(len(labels), 2), left=0.25 + _text_width(short))
    draw_intervals(
        ax,
        labels,
        values,
        lows,
        highs,
        title=title,
        xlabel=xlabel,
        reference_lines=reference_lines,
        flag_below=flag_below,
        comparison=comparison,
    )
    return _to_svg(fig, chart_id, title, alt)


@_styled
def draw_intervals(
    ax: Axes,
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    title: str,
    xlabel: str,
    reference_lines: Sequence[tuple[float, str]] = (),
    flag_below: float | None = None,
    comparison: Sequence[bool] | None = None,
    notes: Sequence[str | None] | None = None,
    legend: bool = False,
) -> Axes:
    """Draw a horizontal point-and-interval chart, one row per group, onto ``ax``.

    Rows are drawn top to bottom in the order given; a row whose value is NaN
    gets no point. Points under ``flag_below`` are vermillion squares (shape
    and colour). ``comparison`` rows are black diamonds and their tick label
    ends with " (comparison)" (after any shortening of a long label). Each
    non-empty ``notes`` entry of a row without a value is written in italics in
    that row. The first reference line is dashed, the others dotted. One
    ``ErrorbarContainer`` is added per marker kind present, in the order:
    plain, flagged, comparison.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> ax = draw_intervals(ax, ["A", "B"], [1.0, 0.5], [0.9, 0.4], [1.1, 0.7],
    ...                     title="t", xlabel="x", flag_below=0.8)
    >>> [len(c.lines[0].get_xdata()) for c in ax.containers]
    [1, 1]
    """
    k = len(labels)
    short = [_short(t) for t in labels]
    y = np.arange(k)[::-1]
    v, lo, hi = (np.asarray(a, dtype=float) for a in (values, lows, highs))
    ok = np.isfinite(v)
    lo = np.where(np.isfinite(lo), lo, v)
    hi = np.where(np.isfinite(hi), hi, v)
    flagged = np.zeros(k, dtype=bool) if flag_below is None else ok & (v < flag_below)
    ref_rows = np.zeros(k, dtype=bool) if comparison is None else np.asarray(comparison, bool)
    ref = ok & ref_rows
    kinds = (
        (ok & ~flagged & ~ref, 0, "o", "estimate with 95% interval"),
        (flagged & ~ref, 5, "s", f"under {flag_below}"),
        (ref, 6, "D", "comparison group"),
    )
    for mask, colour, marker, name in kinds:
        if mask.any():
            labelled: dict[str, Any] = {"label": name} if legend else {}
            ax.errorbar(
                v[mask],
                y[mask],
                # one (2, n) array: a list of arrays trips a NumPy deprecation in matplotlib 3.10
                xerr=np.vstack((np.maximum(v - lo, 0)[mask], np.maximum(hi - v, 0)[mask])),
                fmt=marker,
                color=OKABE_ITO[colour],
                capsize=3,
                markersize=5,
                **labelled,
            )
    _reference_lines(ax, reference_lines)
    marks = [" (comparison)" if r else "" for r in ref_rows]
    ax.set_yticks(y, [_mpl_text(t) + mark for t, mark in zip(short, marks)])
    ax.set_ylim(-0.7, k - 0.3 + (0.7 if reference_lines else 0))
    ax.set_xlabel(_mpl_text(xlabel))
    ax.set_title(_mpl_text(title), loc="left")
    finite = np.concatenate([lo[ok], hi[ok], [x for x, _ in reference_lines]])
    if finite.size:
        left = min(0.0, float(np.nanmin(finite)))
        ax.set_xlim(left, float(np.nanmax(finite)) * 1.08 + 1e-9)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if notes is not None:
        _row_notes(ax, y[~ok], [n for n, has in zip(notes, ok) if not has])
    if legend and ax.containers:
        ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def _reference_lines(ax: Axes, lines: Sequence[tuple[float, str]]) -> None:
    """Vertical reference lines with their labels at the top (first dashed, others dotted)."""
    for j, (x, text) in enumerate(lines):
        ax.axvline(x, color="#000000", linestyle="--" if j == 0 else ":", linewidth=1)
        ax.annotate(
            _mpl_text(text),
            (x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(-3 if j == 0 else 3, -2),
            textcoords="offset points",
            ha="right" if j == 0 else "left",
            va="top",
            fontsize=8,
        )


def _row_notes(ax: Axes, rows: np.ndarray, notes: Sequence[str | None]) -> None:
    """Italic text at the left edge of rows that have no value."""
    for row, note in zip(rows, notes):
        if note:
            ax.text(
                0.01,
                row,
                _mpl_text(note),
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize="small",
                style="italic",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
            )


def _short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _rebin(
    hist: np.ndarray, n_out: int, bin_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Sum adjacent fixed bins: ``(..., n_bins) -> (..., n_out)``, with the exact new edges.

    ``n_out`` is capped at ``n_bins``. When it does not divide ``n_bins`` the new
    bins hold unequal numbers of fixed bins, so their edges are not equally spaced:
    the edges returned are where each new bin really starts and ends.
    """
    n_bins = hist.shape[-1]
    n_out = max(1, min(int(n_out), n_bins))
    index = np.linspace(0, n_bins, n_out + 1).astype(int)
    low, high = (float(x) for x in bin_range)
    edges = low + index * ((high - low) / n_bins)
    edges[-1] = high
    return np.add.reduceat(hist, index[:-1], axis=-1), edges


def score_distribution_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    hist: np.ndarray,
    bin_range: tuple[float, float],
    *,
    alt: str,
    n_out: int = 30,
) -> Chart:
    """Score density per group as SVG; see :func:`draw_score_distributions`."""
    names = _score_names(labels, np.asarray(hist, dtype=float))
    fig, ax = _figure(6.4, 3.2, right=0.45 + _text_width(names, 7))
    draw_score_distributions(ax, labels, hist, bin_range, title=title, n_out=n_out)
    return _to_svg(fig, chart_id, title, alt)


def _score_names(labels: Sequence[str], counts: np.ndarray) -> list[str]:
    return [f"{_short(label, 30)} (n={int(row.sum())})" for label, row in zip(labels, counts)]


@_styled
def draw_score_distributions(
    ax: Axes,
    labels: Sequence[str],
    hist: np.ndarray,
    bin_range: tuple[float, float],
    *,
    title: str,
    n_out: int = 30,
) -> Axes:
    """Draw the score density per group (step lines) from histograms ``(groups, bins)``.

    Adjacent fixed bins are summed into ``n_out`` bins (at their exact edges,
    which are unequally spaced when ``n_out`` does not divide the number of
    fixed bins); each group's line is its counts over (its total x bin width),
    so the area under it is 1. Groups with no candidates get no line; the
    legend gives each group's n.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = draw_score_distributions(Figure().add_subplot(), ["A", "B"],
    ...                               np.array([[1, 3], [2, 2]]), (0.0, 1.0), title="t", n_out=2)
    >>> [p.get_data().values.tolist() for p in ax.patches]
    [[0.5, 1.5], [1.0, 1.0]]
    """
    counts, edges = _rebin(np.asarray(hist, dtype=float), n_out, bin_range)
    widths = np.diff(edges)
    width = np.where(widths > 0, widths, 1.0)
    for i, (name, row) in enumerate(zip(_score_names(labels, counts), counts)):
        total = row.sum()
        if total == 0:
            continue
        style = _style(i)
        ax.stairs(
            row / (total * width),
            edges,
            color=style["color"],
            linestyle=style["linestyle"],
            linewidth=1.4,
            label=_mpl_text(name),
        )
    ax.set_xlabel("score")
    ax.set_ylabel("density")
    ax.set_title(_mpl_text(title), loc="left")
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def calibration_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    hist: np.ndarray,
    bin_range: tuple[float, float],
    *,
    alt: str,
    n_out: int = 10,
    min_count: int = 10,
) -> Chart:
    """Share qualified per score bin and group as SVG; see :func:`draw_calibration`."""
    names = [_short(label, 30) for label in labels]
    fig, ax = _figure(6.4, 3.2, right=0.45 + _text_width(names, 7))
    draw_calibration(ax, labels, hist, bin_range, title=title, n_out=n_out, min_count=min_count)
    return _to_svg(fig, chart_id, title, alt)


@_styled
def draw_calibration(
    ax: Axes,
    labels: Sequence[str],
    hist: np.ndarray,
    bin_range: tuple[float, float],
    *,
    title: str,
    n_out: int = 10,
    min_count: int = 10,
) -> Axes:
    """Draw the share qualified per score bin and group, from histograms ``(groups, 2, bins)``.

    Bins with fewer than ``min_count`` candidates in a group are not drawn
    (NaN); a group with no bin left gets no line.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> hist = np.array([[[10, 5], [10, 15]]])  # one group: label 0 and label 1 counts
    >>> ax = draw_calibration(Figure().add_subplot(), ["A"], hist, (0.0, 1.0),
    ...                       title="t", n_out=2)
    >>> ax.lines[0].get_ydata().tolist()
    [0.5, 0.75]
    """
    counts, edges = _rebin(np.asarray(hist, dtype=float), n_out, bin_range)
    mids = (edges[:-1] + edges[1:]) / 2
    names = [_short(label, 30) for label in labels]
    for i, (name, row) in enumerate(zip(names, counts)):
        total = row.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total >= min_count, row[1] / total, np.nan)
        if not np.isfinite(share).any():
            continue
        style = _style(i)
        ax.plot(
            mids,
            share,
            color=style["color"],
            marker=style["marker"],
            linestyle=style["linestyle"],
            markersize=4,
            linewidth=1.2,
            label=_mpl_text(name),
        )
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("score (bin centre)")
    ax.set_ylabel("share qualified (label = 1)")
    ax.set_title(_mpl_text(title), loc="left")
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(color="#dddddd", linewidth=0.6)
    return ax
