"""The engine: mergeable sufficient statistics and the binned AUC's error bound."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

import biasaudit
from biasaudit import CandidatePool, InsufficientDataWarning, SufficientStats, ValidationError
from biasaudit import _errors as E
from biasaudit.decisions import above_median
from biasaudit.engine import reduce_arrays
from biasaudit.metrics._table import TableSpec, group_table
from biasaudit.pool import Codes

MERGE = settings(derandomize=True, database=None, deadline=None, max_examples=40)


def make_frame(seed: int, n: int, with_unknown: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M", "X"], n).astype(object),
            "race": rng.choice(["A", "B", "C", "D"], n),
            "job": rng.choice(["j1", "j2", "j3"], n),
            "score": rng.normal(size=n).round(2),
            "qualified": rng.integers(0, 2, n),
            "hired": rng.integers(0, 2, n),
        }
    )
    if with_unknown:
        frame.loc[rng.random(n) < 0.1, "sex"] = None
        frame.loc[[0, 1, 2], "sex"] = ["F", "M", "X"]
    return frame


def make_pool(frame: pd.DataFrame) -> CandidatePool:
    return CandidatePool(
        frame,
        attributes=["sex", "race"],
        job="job",
        label="qualified",
        score="score",
        selected="hired",
    )


def take(codes: Codes, rows: np.ndarray) -> Codes:
    """The rows' codes with the whole pool's categories (so the parts stay addable)."""
    return Codes(codes.codes[rows], codes.categories, codes.has_unknown)


def reduce_rows(
    pool: CandidatePool, rows: np.ndarray, threshold: float, bin_range: tuple[float, float]
) -> SufficientStats:
    return reduce_arrays(
        {a: take(c, rows) for a, c in pool.attribute_codes.items()},
        pool.arrays["selected"][rows],
        jobs=take(pool.job_codes, rows),
        label=pool.arrays["label"][rows],
        score=pool.arrays["score"][rows],
        scoring_threshold=threshold,
        bin_range=bin_range,
    )


def assert_stats_equal(left: SufficientStats, right: SufficientStats) -> None:
    assert left.attributes == right.attributes
    assert left.categories == right.categories
    assert left.has_unknown == right.has_unknown
    assert left.jobs == right.jobs
    assert left.bin_range == right.bin_range
    assert left.scoring_threshold == right.scoring_threshold
    assert (left.has_label, left.has_selection) == (right.has_label, right.has_selection)
    assert left.cube.dtype.kind == right.cube.dtype.kind == "i"
    np.testing.assert_array_equal(left.cube, right.cube)
    np.testing.assert_allclose(left.score_sum, right.score_sum, rtol=0, atol=1e-9)
    np.testing.assert_allclose(left.score_sq, right.score_sq, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(left.hist, right.hist)


@MERGE
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(4, 200),
    data=st.data(),
)
def test_stats_of_two_parts_add_up_to_the_whole(seed: int, n: int, data: st.DataObject) -> None:
    pool = make_pool(make_frame(seed, n))
    score = pool.arrays["score"]
    threshold = above_median(score)[1]
    whole = reduce_arrays(
        pool.attribute_codes,
        pool.arrays["selected"],
        jobs=pool.job_codes,
        label=pool.arrays["label"],
        score=score,
        scoring_threshold=threshold,
    )
    assert whole.bin_range == (score.min(), score.max())
    assert whole.n_rows == n
    split = data.draw(st.sampled_from(["halves", "random"]))
    if split == "halves":
        first = np.arange(n) < n // 2
    else:
        first = np.random.default_rng(seed).random(n) < 0.5
    part1 = reduce_rows(pool, np.flatnonzero(first), threshold, whole.bin_range)
    part2 = reduce_rows(pool, np.flatnonzero(~first), threshold, whole.bin_range)
    assert_stats_equal(part1 + part2, whole)
    assert_stats_equal(part2 + part1, whole)
    assert (part1 + part2).n_rows == part1.n_rows + part2.n_rows == n


def test_three_chunks_add_up_and_addition_is_associative() -> None:
    pool = make_pool(make_frame(7, 301))
    threshold = above_median(pool.arrays["score"])[1]
    bins = (float(pool.arrays["score"].min()), float(pool.arrays["score"].max()))
    whole = reduce_rows(pool, np.arange(301), threshold, bins)
    a, b, c = (
        reduce_rows(pool, rows, threshold, bins) for rows in np.array_split(np.arange(301), 3)
    )
    assert_stats_equal((a + b) + c, whole)
    assert_stats_equal(a + (b + c), whole)


def test_stats_add_without_scores_or_labels() -> None:
    sex = Codes(np.array([0, 1, 1, 0, 1]), ("F", "M"), False)
    selected = np.array([True, False, True, True, False])
    whole = reduce_arrays({"sex": sex}, selected)
    parts = [
        reduce_arrays({"sex": take(sex, rows)}, selected[rows])
        for rows in (np.arange(2), np.arange(2, 5))
    ]
    total = parts[0] + parts[1]
    np.testing.assert_array_equal(total.cube, whole.cube)
    assert total.score_sum is None and total.hist is None
    assert total.marginal(("sex",))[:, 1].sum(axis=(1, 2)).tolist() == [2, 1]


def _base_stats(**changes: object) -> SufficientStats:
    sex = Codes(np.array([0, 1, 1, 0]), ("F", "M"), False)
    options: dict = dict(
        label=np.array([True, False, True, False]),
        score=np.array([0.1, 0.2, 0.3, 0.4]),
        scoring_threshold=0.25,
        bin_range=(0.0, 1.0),
    )
    attributes = {"sex": sex}
    if "attributes" in changes:
        attributes = changes.pop("attributes")  # type: ignore[assignment]
    options.update(changes)
    return reduce_arrays(attributes, np.array([True, False, False, True]), **options)


MISMATCHES = {
    "attributes": (
        dict(attributes={"gender": Codes(np.array([0, 1, 1, 0]), ("F", "M"), False)}),
        "attributes",
        ("sex",),
        ("gender",),
    ),
    "categories": (
        dict(attributes={"sex": Codes(np.array([0, 1, 1, 2]), ("F", "M", "X"), False)}),
        "categories",
        (("F", "M"),),
        (("F", "M", "X"),),
    ),
    "unknown": (
        dict(attributes={"sex": Codes(np.array([0, 1, 1, 0]), ("F", "M"), True)}),
        "unknown flags",
        (False,),
        (True,),
    ),
    "jobs": (
        dict(jobs=Codes(np.array([0, 1, 1, 0]), ("j1", "j2"), False)),
        "jobs",
        ("(all)",),
        ("j1", "j2"),
    ),
    "bins": (dict(bin_range=(0.0, 2.0)), "score bins", (0.0, 1.0), (0.0, 2.0)),
    "threshold": (dict(scoring_threshold=0.3), "scoring thresholds", 0.25, 0.3),
    "label": (dict(label=None), "label presence", True, False),
    "histogram": (dict(n_bins=16), "histogram shapes", (2, 2, 512), (2, 2, 16)),
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_adding_stats_with_different_layouts_is_refused(case: str) -> None:
    changes, what, left, right = MISMATCHES[case]
    expected = E.STATS_MISMATCH.format(what=what, left=left, right=right)
    with pytest.raises(ValidationError) as caught:
        _base_stats() + _base_stats(**changes)
    assert str(caught.value) == expected


def test_stats_mismatch_message_in_full() -> None:
    other = {"race": Codes(np.array([0, 1, 1, 0]), ("A", "B"), False)}
    with pytest.raises(ValidationError) as caught:
        _base_stats() + _base_stats(attributes=other)
    assert str(caught.value) == (
        "Cannot add sufficient statistics with different attributes: ('sex',) vs ('race',). "
        "Reduce both parts with the same attributes, jobs and score bins."
    )


# -- binned AUC ------------------------------------------------------------------


def _auc_frame(seed: int, n: int, quantum: float | None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    label = rng.integers(0, 2, n)
    score = rng.normal(size=n) + 0.8 * label + 0.3 * (group == "a")
    if quantum is not None:
        score = np.round(score / quantum) * quantum
    return pd.DataFrame({"g": group, "y": label, "s": score, "sel": rng.integers(0, 2, n)})


def _exact(frame: pd.DataFrame) -> dict[str, float]:
    return {g: roc_auc_score(part["y"], part["s"]) for g, part in frame.groupby("g")}


@pytest.mark.parametrize(
    ("seed", "n", "quantum"),
    [(1, 400, None), (2, 1500, None), (3, 600, 0.25), (4, 300, 0.001)],
)
def test_binned_auc_is_within_its_reported_bin_error(seed: int, n: int, quantum: float) -> None:
    frame = _auc_frame(seed, n, quantum)
    options = dict(attributes=["g"], selected="sel", label="y", score="s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        exact = biasaudit.audit(frame, **options).groups
        binned = biasaudit.audit(frame, exact_auc=False, **options).groups
    reference = _exact(frame)
    assert [g[0] for g in exact["group"]] == [g[0] for g in binned["group"]] == ["a", "b"]
    assert list(exact["auc_method"]) == ["exact", "exact"]
    assert binned["auc_method"].iloc[0] == "binned (512 bins)"
    for i, group in enumerate(["a", "b"]):
        assert exact["auc"].iloc[i] == pytest.approx(reference[group], abs=1e-12)
        error = binned["auc_bin_error"].iloc[i]
        assert 0 <= error <= 0.5
        assert abs(binned["auc"].iloc[i] - reference[group]) <= error + 1e-12


@pytest.mark.parametrize("n_bins", [4, 16, 64])
def test_binned_auc_bound_holds_with_coarse_bins(n_bins: int) -> None:
    frame = _auc_frame(5, 500, None)
    pool = CandidatePool(frame, attributes=["g"], label="y", score="s", selected="sel")
    stats = reduce_arrays(
        pool.attribute_codes,
        pool.arrays["selected"],
        label=pool.arrays["label"],
        score=pool.arrays["score"],
        scoring_threshold=above_median(pool.arrays["score"])[1],
        n_bins=n_bins,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        table, _ = group_table(stats, ("g",), TableSpec())
    reference = _exact(frame)
    assert table["auc_method"].iloc[0] == f"binned ({n_bins} bins)"
    for i, group in enumerate(["a", "b"]):
        error = table["auc_bin_error"].iloc[i]
        assert 0 < error <= 0.5
        assert abs(table["auc"].iloc[i] - reference[group]) <= error + 1e-12
