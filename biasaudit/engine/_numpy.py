"""The in-memory engine: one ``np.bincount`` pass per statistic over integer codes."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np

from biasaudit._validation import Interval, validate_params
from biasaudit.engine._stats import SufficientStats
from biasaudit.pool import Codes

__all__ = ["DEFAULT_BINS", "cell_index", "reduce_arrays"]

#: Number of fixed score bins in the histograms (binned AUC, calibration).
DEFAULT_BINS = 512
#: Rows reduced at a time, so temporaries stay a few tens of MB at any pool size.
CHUNK_ROWS = 1 << 19


def cell_index(codes: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Row-major flat index of each row's cell, given per-axis codes and axis sizes."""
    flat = np.zeros(len(codes[0]), dtype=np.int64)
    for code, size in zip(codes, sizes):
        flat *= size
        flat += code
    return flat


def _bins(score: np.ndarray, bin_range: tuple[float, float], n_bins: int) -> np.ndarray:
    low, high = bin_range
    width = (high - low) or 1.0
    index = ((score - low) * (n_bins / width)).astype(np.int64)
    return np.clip(index, 0, n_bins - 1, out=index)


@validate_params(
    {
        "scoring_threshold": [None, Interval(Real, None, None)],
        "n_bins": [Interval(Integral, 1, None, fix="Pass e.g. n_bins=512.")],
    }
)
def reduce_arrays(
    attributes: Mapping[str, Codes],
    selected: np.ndarray | None,
    *,
    jobs: Codes | None = None,
    label: np.ndarray | None = None,
    score: np.ndarray | None = None,
    scoring_threshold: float | None = None,
    bin_range: tuple[float, float] | None = None,
    n_bins: int = DEFAULT_BINS,
) -> SufficientStats:
    """Reduce row arrays to :class:`SufficientStats` in a few vectorised passes.

    Parameters
    ----------
    attributes : mapping of str to Codes
        Attribute codes; their category lists define the cube's axes.
    selected : ndarray of bool or None
        The decision per row; None for a scoring-only audit.
    jobs : Codes, optional
        Job stratum codes (one stratum when absent).
    label : ndarray of bool, optional
        Ground-truth qualification.
    score : ndarray of float, optional
        Scores; with ``scoring_threshold`` (the full sample's median) and
        ``bin_range`` they give the above-median counts and histograms.
    scoring_threshold, bin_range : optional
        Pool-level constants, so that chunks reduced apart stay addable.
    n_bins : int
        Number of histogram bins.

    Returns
    -------
    SufficientStats

    Examples
    --------
    >>> import numpy as np
    >>> sex = Codes(np.array([0, 1, 1]), ("F", "M"), False)
    >>> stats = reduce_arrays({"sex": sex}, np.array([True, False, True]))
    >>> stats.marginal(("sex",))[:, 1].sum(axis=(1, 2)).tolist()
    [1, 1]
    """
    n_rows = len(next(iter(attributes.values())).codes)
    if score is not None and bin_range is None:
        bin_range = (float(score.min()), float(score.max())) if n_rows else (0.0, 1.0)
    if n_rows <= CHUNK_ROWS:
        return _reduce_chunk(
            attributes, selected, jobs, label, score, scoring_threshold, bin_range, n_bins
        )
    # Chunks keep the row-sized temporaries small; their statistics add up exactly.
    total = None
    for start in range(0, n_rows, CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        stats = _reduce_chunk(
            {a: _take(c, part) for a, c in attributes.items()},
            None if selected is None else selected[part],
            None if jobs is None else _take(jobs, part),
            None if label is None else label[part],
            None if score is None else score[part],
            scoring_threshold,
            bin_range,
            n_bins,
        )
        total = stats if total is None else total + stats
    assert total is not None  # n_rows > CHUNK_ROWS: at least one chunk
    return total


def _take(codes: Codes, part: slice) -> Codes:
    return Codes(codes.codes[part], codes.categories, codes.has_unknown)


def _reduce_chunk(
    attributes: Mapping[str, Codes],
    selected: np.ndarray | None,
    jobs: Codes | None,
    label: np.ndarray | None,
    score: np.ndarray | None,
    scoring_threshold: float | None,
    bin_range: tuple[float, float] | None,
    n_bins: int,
) -> SufficientStats:
    names = tuple(attributes)
    sizes = [len(attributes[a].categories) for a in names]
    job_names = jobs.categories if jobs is not None else ("(all)",)
    sizes.append(len(job_names))
    n_cells = int(np.prod(sizes))
    parts = [attributes[a].codes for a in names]
    parts.append(jobs.codes if jobs is not None else np.zeros(len(parts[0]), dtype=np.int8))
    cell = cell_index(parts, sizes)
    key = cell * 8
    if selected is not None:
        key += selected.astype(np.int64) * 4
    if label is not None:
        key += label.astype(np.int64) * 2
    if score is not None and scoring_threshold is not None:
        key += score > scoring_threshold
    cube = np.bincount(key, minlength=n_cells * 8).reshape(*sizes, 2, 2, 2)
    del key
    score_sum = score_sq = hist = None
    if score is not None:
        score_sum, score_sq, hist, bin_range = _score_stats(
            cell, sizes, score, label, bin_range, n_bins
        )
    return SufficientStats(
        attributes=names,
        categories=tuple(attributes[a].categories for a in names),
        has_unknown=tuple(attributes[a].has_unknown for a in names),
        jobs=tuple(job_names),
        cube=cube,
        score_sum=score_sum,
        score_sq=score_sq,
        hist=hist,
        bin_range=bin_range if score is not None else None,
        scoring_threshold=scoring_threshold if score is not None else None,
        has_label=label is not None,
        has_selection=selected is not None,
    )


def _score_stats(
    cell: np.ndarray,
    sizes: list[int],
    score: np.ndarray,
    label: np.ndarray | None,
    bin_range: tuple[float, float] | None,
    n_bins: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float]]:
    """Score sum, sum of squares and histogram per cell, and the histogram's range."""
    n_cells = int(np.prod(sizes))
    total = np.bincount(cell, weights=score, minlength=n_cells).reshape(sizes)
    squares = np.bincount(cell, weights=score * score, minlength=n_cells).reshape(sizes)
    if bin_range is None:
        bin_range = (float(score.min()), float(score.max()))
    attr_cell = cell // sizes[-1]
    n_attr = n_cells // sizes[-1]
    lab = label.astype(np.int64) if label is not None else 0
    key = (attr_cell * 2 + lab) * n_bins + _bins(score, bin_range, n_bins)
    hist = np.bincount(key, minlength=n_attr * 2 * n_bins).reshape(*sizes[:-1], 2, n_bins)
    return total, squares, hist, bin_range
