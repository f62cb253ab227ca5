"""Ties at a top-k or top-fraction cut-off are broken the same way on every engine.

With an id column, by id (so the order of the rows changes nothing); without one,
by pool order (in memory) and by the files' row order on a Parquet lake.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import biasaudit


def _tied_pool(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "cid": rng.permutation(n) * 7 + 3,  # ids not in row order
            "sex": rng.choice(["F", "M"], n),
            "job": rng.choice(["j1", "j2", "j3"], n),
            "score": rng.integers(0, 4, n) / 4,  # four values: ties at every cut-off
        }
    )


def _selected(result: biasaudit.AuditResult) -> dict[str, int]:
    frame = result.groups_frame()
    rows = frame[frame["attribute"] == "sex"]
    return dict(zip(rows["group_label"], rows["selected"].astype(int)))


RULES = [{"top_k": 5}, {"top_fraction": 0.3}, {"top_fraction": 0.3, "per_job": True}]


@settings(max_examples=25, derandomize=True, deadline=None)
@given(seed=st.integers(0, 10_000), rule=st.sampled_from(RULES))
def test_shuffling_rows_changes_nothing_when_an_id_is_given(seed: int, rule: dict) -> None:
    pool = _tied_pool(seed)
    options = dict(attributes=["sex"], score="score", job="job", id="cid", **rule)
    before = biasaudit.audit(pool, **options)
    shuffled = pool.sample(frac=1.0, random_state=seed)
    after = biasaudit.audit(shuffled, **options)
    assert _selected(after) == _selected(before)
    assert before.provenance["configuration"]["decision"]["tie_break"] == "id column"


@pytest.mark.parametrize("rule", RULES)
def test_pandas_and_duckdb_agree_with_ties(rule: dict, tmp_path) -> None:
    pool = _tied_pool(11)
    options = dict(attributes=["sex"], score="score", job="job", **rule)
    expected = biasaudit.audit(pool, id="cid", **options)
    assert (
        expected.provenance["configuration"]["decision"]["jobs_with_ties_at_cutoff"] > 0
    )  # ties are tested
    shuffled = pool.sample(frac=1.0, random_state=3)
    relation = duckdb.connect().from_df(shuffled)
    on_duckdb = biasaudit.audit(relation, id="cid", **options)
    assert _selected(on_duckdb) == _selected(expected)
    assert on_duckdb.provenance["configuration"]["decision"]["tie_break"] == "id column"
    # Without an id: pool order in memory, the files' row order on a lake.
    lake = tmp_path / "lake"
    lake.mkdir()
    shuffled.iloc[:60].to_parquet(lake / "a.parquet")
    shuffled.iloc[60:].to_parquet(lake / "b.parquet")
    in_memory = biasaudit.audit(shuffled, **options)
    on_lake = biasaudit.audit(str(lake), **options)
    assert _selected(on_lake) == _selected(in_memory)
    assert in_memory.provenance["configuration"]["decision"]["tie_break"] == "pool order"
    assert on_lake.provenance["configuration"]["decision"]["tie_break"].startswith("pool order")
