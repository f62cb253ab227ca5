"""Invariance properties over the metric registry (DESIGN convention 6).

Every test iterates over ``biasaudit.metrics._registry.METRICS``, so a metric added to
the registry is covered without touching this file. Pools are small random tables
(2-3 attributes with 2-4 values and some missing values, a label, a score with ties,
a decision); hypothesis runs derandomized, so every run sees the same examples.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import biasaudit
import biasaudit.results._provenance
from biasaudit import InsufficientDataWarning
from biasaudit.metrics._registry import METRICS, Counts
from biasaudit.metrics._table import column_names

PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow],
)

ATTRIBUTES = ("sex", "race", "age")
VALUES = ("v0", "v1", "v2", "v3")
# Renaming targets chosen so that a renaming usually changes the sorted group order.
NEW_NAMES = ("zeta", "Alpha", "mid", "0-9", "éclair", "b b", "Zed", "aa")


@pytest.fixture(scope="module", autouse=True)
def _cached_versions():
    """Look package versions up once: importlib.metadata costs ~30 ms per audit."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            biasaudit.results._provenance,
            "versions",
            functools.lru_cache(biasaudit.results._provenance.versions),
        )
        yield


@dataclass(frozen=True)
class Case:
    """A random pool as plain columns, the levels of each attribute and the audit options."""

    columns: dict[str, list[Any]]
    levels: dict[str, tuple[str, ...]]
    options: dict[str, Any]

    def frame(self, order: list[int] | None = None) -> pd.DataFrame:
        frame = pd.DataFrame(self.columns)
        return frame if order is None else frame.iloc[order].reset_index(drop=True)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n_attributes = draw(st.integers(2, 3))
    n = draw(st.integers(6, 30))
    columns: dict[str, list[Any]] = {}
    levels = {}
    for name in ATTRIBUTES[:n_attributes]:
        k = draw(st.integers(2, 4))
        # Known values three times as likely as a missing one.
        column = draw(st.lists(st.sampled_from(VALUES[:k] * 3 + (None,)), min_size=n, max_size=n))
        if len({v for v in column if v is not None}) < 2:
            column[0], column[1] = VALUES[0], VALUES[1]
        columns[name] = column
        levels[name] = VALUES[:k]
    columns["score"] = [x / 8 for x in draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))]
    columns["qualified"] = draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n))
    columns["hired"] = draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n))
    options: dict[str, Any] = {"attributes": list(levels), "score": "score"}
    if draw(st.booleans()):
        options["label"] = "qualified"
    if draw(st.booleans()):
        options["selected"] = "hired"
    else:
        options["threshold"] = draw(st.integers(0, 8)) / 8
    return Case(columns, levels, options)


def run(data: Any, options: dict[str, Any]) -> biasaudit.AuditResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        return biasaudit.audit(data, **options)


def by_group(result: biasaudit.AuditResult) -> dict[tuple, pd.Series]:
    return {(tuple(r["attribute"]), tuple(r["group"])): r for _, r in result.groups.iterrows()}


def metric_columns(groups: pd.DataFrame, parts: tuple[str, ...]) -> list[str]:
    """The registry metrics' columns of the given kinds that this audit produced."""
    out = []
    for metric in METRICS.values():
        names = column_names(metric)
        if names["value"] in groups:
            out.extend(names[p] for p in parts)
    return out


def summaries(result: biasaudit.AuditResult) -> dict[tuple, dict[str, Any]]:
    return {tuple(s.pop("attribute")): s for s in result.summaries()}


def assert_same_summaries(left: dict, right: dict, close: Any) -> None:
    assert left.keys() == right.keys()
    for attrs, values in left.items():
        assert values.keys() == right[attrs].keys()
        for key, value in values.items():
            close(value, right[attrs][key], f"summary {attrs} {key}")


RATE_PARTS = ("value", "ratio", "difference")
EXTRA_INVARIANTS = ["share", "excluded_small", "mean_score", "auc"]


@PROPERTY
@given(case=cases(), data=st.data())
def test_row_order_changes_nothing(case: Case, data: st.DataObject, close: Any) -> None:
    n = len(case.columns["score"])
    order = data.draw(st.permutations(range(n)))
    base = run(case.frame(), case.options)
    shuffled = run(case.frame(order), case.options)
    left, right = by_group(base), by_group(shuffled)
    assert left.keys() == right.keys()
    numeric = metric_columns(base.groups, ("value", "ci", "ratio", "ratio_ci", "difference", "p"))
    columns = [c for c in [*numeric, *EXTRA_INVARIANTS] if c in base.groups]
    for key, row in left.items():
        for column in columns:
            close(row[column], right[key][column], f"{key} {column}")
    assert_same_summaries(summaries(base), summaries(shuffled), close)


@PROPERTY
@given(case=cases(), data=st.data())
def test_relabelling_groups_changes_nothing(case: Case, data: st.DataObject, close: Any) -> None:
    mapping = {
        attribute: dict(
            zip(
                values,
                data.draw(
                    st.lists(
                        st.sampled_from(NEW_NAMES),
                        min_size=len(values),
                        max_size=len(values),
                        unique=True,
                    )
                ),
            )
        )
        for attribute, values in case.levels.items()
    }
    renamed = {
        name: [mapping[name].get(v, v) for v in column] if name in mapping else column
        for name, column in case.columns.items()
    }
    base = run(case.frame(), case.options)
    relabelled = run(pd.DataFrame(renamed), case.options)
    right = by_group(relabelled)
    columns = [
        c
        for c in [*metric_columns(base.groups, (*RATE_PARTS, "ci")), *EXTRA_INVARIANTS]
        if c in base.groups
    ]
    seen = set()
    for (attrs, group), row in by_group(base).items():
        key = (attrs, tuple(mapping[a][g] for a, g in zip(attrs, group)))
        assert key in right, f"group {group} of {attrs} renamed to {key[1]} is missing"
        seen.add(key)
        for column in columns:
            close(row[column], right[key][column], f"{attrs} {group} -> {key[1]} {column}")
    assert seen == set(right)
    assert_same_summaries(summaries(base), summaries(relabelled), close)
    assert [t["unknown"] for t in base.tables] == [t["unknown"] for t in relabelled.tables]


@PROPERTY
@given(case=cases())
def test_duplicating_every_row_keeps_rates_and_ratios(case: Case, close: Any) -> None:
    base = run(case.frame(), case.options)
    doubled = run(pd.concat([case.frame(), case.frame()], ignore_index=True), case.options)
    left, right = by_group(base), by_group(doubled)
    assert left.keys() == right.keys()
    columns = [
        c for c in [*metric_columns(base.groups, RATE_PARTS), *EXTRA_INVARIANTS] if c in base.groups
    ]
    for key, row in left.items():
        assert right[key]["n"] == 2 * row["n"]
        for column in columns:
            close(row[column], right[key][column], f"{key} {column}")
    assert_same_summaries(summaries(base), summaries(doubled), close)


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(value)


def check_rates_are_proportions(result: biasaudit.AuditResult) -> None:
    """Every rate is in [0, 1], every ratio >= 0, every parity summary in [0, 1]."""
    groups = result.groups
    for metric in METRICS.values():
        names = column_names(metric)
        if names["value"] not in groups:
            continue
        for key, value in zip(groups["group"], groups[names["value"]]):
            assert np.isnan(value) or 0.0 <= value <= 1.0, f"{metric.name} {key}: {value}"
        for key, value in zip(groups["group"], groups[names["ratio"]]):
            assert np.isnan(value) or value >= 0.0, f"{names['ratio']} {key}: {value}"
    for summary in result.summaries():
        for key, value in summary.items():
            if key != "attribute" and _finite(value):
                assert 0.0 <= value <= 1.0 + 1e-12, f"{summary['attribute']} {key}: {value}"


def check_intervals_contain_estimates(result: biasaudit.AuditResult) -> None:
    """Rate and ratio intervals are defined where their estimate is, and contain it."""
    groups = result.groups
    eps = 1e-12
    compared = {
        (tuple(t["attribute"]), metric, tuple(group))
        for t in result.tables
        for metric, group in t.get("comparison_groups", {}).items()
        if group
    }
    for metric in METRICS.values():
        names = column_names(metric)
        if names["value"] not in groups:
            continue
        for point, interval in (("value", "ci"), ("ratio", "ratio_ci")):
            for attrs, group, value, (low, high) in zip(
                groups["attribute"], groups["group"], groups[names[point]], groups[names[interval]]
            ):
                if not _finite(value):
                    continue
                if point == "ratio" and (tuple(attrs), metric.name, tuple(group)) in compared:
                    # the comparison group's ratio to itself is 1, with no interval
                    assert value == 1.0 and not (_finite(low) or _finite(high)), group
                    continue
                where = f"{names[point]} of {group}: {value} not in [{low}, {high}]"
                assert _finite(low) and _finite(high), where
                assert low - eps <= value <= high + eps, where
                if point == "value":
                    assert 0.0 <= low <= high <= 1.0, where


def check_rates_match_row_counts(case: Case, result: biasaudit.AuditResult) -> None:
    """Each registry rate is numerator / denominator of counts taken row by row."""
    frame = case.frame()
    selected = (
        frame["hired"].to_numpy() == 1
        if "selected" in case.options
        else frame["score"].to_numpy() >= case.options["threshold"]
    )
    label = frame["qualified"].to_numpy() == 1
    above = frame["score"].to_numpy() > np.median(frame["score"])
    rows = by_group(result)
    for attribute, values in case.levels.items():
        for value in values:
            member = (frame[attribute] == value).to_numpy()
            if not member.any():
                continue
            counts = Counts(
                n=np.array([member.sum()]),
                selected=np.array([(member & selected).sum()]),
                label_positive=np.array([(member & label).sum()]),
                true_positive=np.array([(member & label & selected).sum()]),
                false_positive=np.array([(member & ~label & selected).sum()]),
                above_median=np.array([(member & above).sum()]),
            )
            row = rows[((attribute,), (value,))]
            for metric in METRICS.values():
                if metric.name not in row:
                    continue
                num, den = metric.numerator(counts)[0], metric.denominator(counts)[0]
                expected = num / den if den else math.nan
                where = f"{metric.name} of {attribute}={value}"
                if math.isnan(expected):
                    assert math.isnan(row[metric.name]), f"{where}: {row[metric.name]} (not NaN)"
                else:
                    assert row[metric.name] == pytest.approx(expected, rel=1e-12), where


@PROPERTY
@given(case=cases())
def test_rates_are_proportions_within_their_intervals_and_match_row_counts(case: Case) -> None:
    # One audit, three checks: audits cost ~50 ms, so the checks share it.
    result = run(case.frame(), case.options)
    check_rates_are_proportions(result)
    check_intervals_contain_estimates(result)
    check_rates_match_row_counts(case, result)


@settings(PROPERTY, max_examples=12)
@given(case=cases())
def test_polars_input_gives_the_same_numbers_as_pandas(
    case: Case, close: Any, groups_close: Any
) -> None:
    pl = pytest.importorskip("polars")
    from_pandas = run(pd.DataFrame(case.columns), case.options)
    from_polars = run(pl.DataFrame(case.columns), case.options)
    groups_close(from_pandas.groups, from_polars.groups)
    assert_same_summaries(summaries(from_pandas), summaries(from_polars), close)
    assert from_pandas.provenance["input"]["sha256"] == from_polars.provenance["input"]["sha256"]
    assert from_pandas.provenance["rows"] == from_polars.provenance["rows"]


def test_zero_and_full_rates_have_exact_interval_ends() -> None:
    """A rate of 0 (or 1) is the lower (upper) end of its interval exactly, not a ulp off."""
    frame = pd.DataFrame({"g": ["a"] * 7 + ["b"] * 10, "hired": [0] * 7 + [1] * 10})
    groups = run(frame, {"attributes": ["g"], "selected": "hired"}).groups
    (a_low, _), (_, b_high) = groups["selection_rate_ci"]
    assert list(groups["selection_rate"]) == [0.0, 1.0]
    assert a_low == 0.0, f"interval of 0/7 starts at {a_low!r}"
    assert b_high == 1.0, f"interval of 10/10 ends at {b_high!r}"
