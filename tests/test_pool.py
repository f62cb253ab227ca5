"""CandidatePool: every validation message word for word, unknown groups, file inputs.

Each expected message is built from the constant in ``biasaudit._errors`` with the
expected values filled in, and at least one test per message also spells the whole
text out, so that a change of wording is caught here.
"""

from __future__ import annotations

import copy
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import UNKNOWN, CandidatePool, InsufficientDataWarning, ValidationError
from biasaudit import _errors as E

COLUMNS = ["sex", "score", "hired", "cid"]


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": ["F", "M", "F", "M", "F", "M", "F", "M"],
            "score": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
            "hired": [1, 0, 1, 0, 0, 1, 1, 0],
            "cid": ["a", "b", "c", "d", "e", "f", "g", "h"],
        }
    )


def message(**pool_options: object) -> str:
    data = pool_options.pop("data")
    with pytest.raises(ValidationError) as caught:
        CandidatePool(data, **pool_options)
    return str(caught.value)


def audit_quietly(data: object, **options: object) -> biasaudit.AuditResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        return biasaudit.audit(data, **options)


# -- columns and roles ------------------------------------------------------------


def test_missing_attribute_column_lists_the_columns_present(small: pd.DataFrame) -> None:
    got = message(data=small, attributes=["race"], selected="hired")
    assert got == E.MISSING_COLUMN.format(column="race", present=COLUMNS, role="attributes")
    assert got == (
        "Column 'race' is not in the pool. Columns present: ['sex', 'score', 'hired', 'cid']. "
        "Pass attributes=... with an existing column."
    )


@pytest.mark.parametrize("role", ["job", "label", "score", "selected", "rank", "id"])
def test_missing_role_column_names_the_role(small: pd.DataFrame, role: str) -> None:
    got = message(data=small, attributes=["sex"], **{role: "nope"})
    assert got == E.MISSING_COLUMN.format(column="nope", present=COLUMNS, role=role)


def test_missing_column_through_audit(small: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(small, attributes=["sex"], selected="callback")
    assert str(caught.value) == (
        "Column 'callback' is not in the pool. Columns present: "
        "['sex', 'score', 'hired', 'cid']. Pass selected=... with an existing column."
    )


@pytest.mark.parametrize("attributes", [[], (), None])
def test_no_attributes(small: pd.DataFrame, attributes: object) -> None:
    got = message(data=small, attributes=attributes, selected="hired")
    assert got == E.MISSING_ATTRIBUTES.format(present=COLUMNS)
    assert got == (
        "No protected attribute was given. Columns present: ['sex', 'score', 'hired', 'cid']. "
        "Pass attributes=[...] (on the command line --attribute COL, repeatable) with one "
        "or more existing columns."
    )


def test_no_attributes_through_audit(small: pd.DataFrame) -> None:
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(small, selected="hired")
    assert str(caught.value) == E.MISSING_ATTRIBUTES.format(present=COLUMNS)


# -- scores -----------------------------------------------------------------------


def test_non_numeric_score(small: pd.DataFrame) -> None:
    frame = small.assign(score=["high", "low", "mid", "low", "high", "low", "mid", "low"])
    got = message(data=frame, attributes=["sex"], score="score")
    examples = ["high", "low", "mid"]
    # pandas 3 stores text as Arrow large_string; pandas 2 as object, read as string
    dtype = "large_string" if pd.__version__ >= "3" else "string"
    assert got == E.NON_NUMERIC_SCORE.format(column="score", dtype=dtype, examples=examples)
    assert got == (
        f"Score column 'score' is not numeric (dtype {dtype}); first values: "
        "['high', 'low', 'mid']. Pass a numeric column as score=..., or convert it first."
    )


def test_nan_and_infinite_scores_give_count_and_row_positions(small: pd.DataFrame) -> None:
    frame = small.assign(score=[0.1, np.nan, 0.3, np.inf, -np.inf, 0.6, 0.7, 0.8])
    got = message(data=frame, attributes=["sex"], score="score")
    assert got == E.NON_FINITE_SCORE.format(
        column="score", count=3, where=E.first_rows([2, 4, 5], by_id=False)
    )
    assert got == (
        "Score column 'score' has 3 NaN or infinite value(s) (first rows: [2, 4, 5]; row 1 is "
        "the first row of data, after the header). Drop or impute those rows before the audit."
    )


def test_non_finite_scores_show_the_id_values_with_an_id_column(small: pd.DataFrame) -> None:
    frame = small.assign(score=[np.nan] * 7 + [0.5])
    got = message(data=frame, attributes=["sex"], score="score", id="cid")
    # Only the first five ids are shown; the count covers all of them.
    assert got == E.NON_FINITE_SCORE.format(
        column="score", count=7, where=E.first_rows(["a", "b", "c", "d", "e"], by_id=True)
    )


def test_non_finite_scores_with_integer_ids(small: pd.DataFrame) -> None:
    frame = small.assign(score=[0.1, 0.2, np.inf, 0.4, 0.5, 0.6, 0.7, 0.8], cid=range(100, 108))
    got = message(data=frame, attributes=["sex"], score="score", id="cid")
    assert got == E.NON_FINITE_SCORE.format(
        column="score", count=1, where=E.first_rows([102], by_id=True)
    )


# -- binary columns ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ([0, 1, 2, 3, 0, 1, 2, 1], [2, 3]),
        ([0, 1, 0.5, 1, 0, 1, 0, 1], [0.5]),
        (["yes", "no", "yes", "no", "yes", "no", "maybe", "no"], ["maybe", "no", "yes"]),
    ],
)
@pytest.mark.parametrize("role", ["selected", "label"])
def test_binary_column_with_other_values(
    small: pd.DataFrame, role: str, values: list, shown: list
) -> None:
    got = message(data=small.assign(flag=values), attributes=["sex"], **{role: "flag"})
    assert got == E.NOT_BINARY.format(column="flag", role=role, values=shown)


def test_not_binary_message_in_full(small: pd.DataFrame) -> None:
    frame = small.assign(hired=[0, 1, 2, 1, 0, 7, 0, 1])
    got = message(data=frame, attributes=["sex"], selected="hired")
    assert got == (
        "Column 'hired' (selected) must be binary (0/1 or True/False); "
        "found other values: [2, 7]. Recode it to 0/1."
    )


@pytest.mark.parametrize("role", ["selected", "label"])
def test_missing_values_in_a_binary_column(small: pd.DataFrame, role: str) -> None:
    frame = small.assign(flag=[0, 1, None, 1, 0, None, 0, 1])
    got = message(data=frame, attributes=["sex"], **{role: "flag"})
    assert got == E.MISSING_BINARY.format(
        column="flag", role=role, count=2, where=E.first_rows([3, 6], by_id=False)
    )


def test_missing_binary_message_in_full_with_ids(small: pd.DataFrame) -> None:
    frame = small.assign(hired=pd.array([0, 1, None, 1, 0, 1, 0, 1], dtype="Int8"))
    got = message(data=frame, attributes=["sex"], selected="hired", id="cid")
    assert got == (
        "Column 'hired' (selected) has 1 missing value(s) (first ids: ['c']). "
        "Drop or fill those rows before the audit."
    )


def test_boolean_and_float_binary_columns_are_accepted(small: pd.DataFrame) -> None:
    frame = small.assign(hired=small["hired"].astype(bool), q=small["hired"].astype(float))
    pool = CandidatePool(frame, attributes=["sex"], selected="hired", label="q")
    assert pool.arrays["selected"].tolist() == [bool(v) for v in small["hired"]]
    assert pool.arrays["label"].tolist() == pool.arrays["selected"].tolist()


# -- ids, empty pool, single group ------------------------------------------------


def test_duplicate_ids(small: pd.DataFrame) -> None:
    frame = small.assign(cid=["c", "a", "c", "a", "b", "a", "d", "e"])
    got = message(data=frame, attributes=["sex"], selected="hired", id="cid")
    assert got == E.DUPLICATE_IDS.format(column="cid", count=2, values=["a", "c"])
    assert got == (
        "Column 'cid' (id) has 2 duplicated value(s): ['a', 'c']. "
        "Ids must be unique; deduplicate the pool or pass a unique id column."
    )


def test_duplicate_integer_ids(small: pd.DataFrame) -> None:
    frame = small.assign(cid=[7, 7, 1, 2, 3, 4, 5, 6])
    got = message(data=frame, attributes=["sex"], selected="hired", id="cid")
    assert got == E.DUPLICATE_IDS.format(column="cid", count=1, values=[7])


def test_empty_pool(small: pd.DataFrame) -> None:
    got = message(data=small.iloc[:0], attributes=["sex"], selected="hired")
    assert got == E.EMPTY_POOL
    assert got == "The pool has no rows. Pass a table with at least one candidate per group."


def test_single_known_group(small: pd.DataFrame) -> None:
    frame = small.assign(sex=["F", None, "F", "Unknown", "F", "", "unknown", "F"])
    got = message(data=frame, attributes=["sex"], selected="hired")
    assert got == E.SINGLE_GROUP.format(column="sex", groups=["F"])
    assert got == (
        "Attribute 'sex' has only one known group (['F']); nothing to compare. "
        "Pass an attribute with two or more groups."
    )


def test_attribute_with_no_known_group(small: pd.DataFrame) -> None:
    got = message(data=small.assign(sex=[None] * 8), attributes=["sex"], selected="hired")
    assert got == E.NO_KNOWN_GROUP.format(column="sex")  # not "only one known group ([])"


# -- files ------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    got = message(data=path, attributes=["sex"], selected="hired")
    assert got == E.PATH_NOT_FOUND.format(path=str(path))  # no Python words: the CLI says it too
    assert got == f"File '{path}' does not exist. Check the path."
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(str(path), attributes=["sex"], selected="hired")
    assert str(caught.value) == got


def test_unknown_file_extension(tmp_path: Path, small: pd.DataFrame) -> None:
    path = tmp_path / "pool.dat"
    small.to_csv(path, index=False)
    got = message(data=path, attributes=["sex"], selected="hired")
    assert got == E.UNKNOWN_FILE_TYPE.format(path=str(path))
    assert got == (
        f"Cannot tell the format of '{path}' from its extension. "
        "Use a .csv (optionally .gz, .bz2, .zip or .xz compressed), .tsv, .parquet or .pq file."
    )


def _first_line(read, path: Path) -> str:
    with pytest.raises(Exception) as caught:
        read(path)
    return str(caught.value).strip().splitlines()[0].rstrip(".")


def test_malformed_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "pool.parquet"
    path.write_bytes(b"sex,hired\nF,1\n")
    got = message(data=path, attributes=["sex"], selected="hired")
    error = _first_line(pd.read_parquet, path)
    assert got == E.UNREADABLE_FILE.format(path=str(path), kind="Parquet", error=error)
    assert got.startswith(f"Could not read '{path}' as Parquet: ")
    assert got.endswith(" Check that the file is a valid Parquet file.")
    assert ".. " not in got


def test_malformed_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_text('sex,hired\n"F,1\nM,0,1,2\n')
    got = message(data=path, attributes=["sex"], selected="hired")
    error = _first_line(pd.read_csv, path)
    assert got == E.UNREADABLE_FILE.format(path=str(path), kind="CSV", error=error)


def test_empty_csv_file_message_in_full(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_bytes(b"")
    got = message(data=path, attributes=["sex"], selected="hired")
    assert got == (
        f"Could not read '{path}' as CSV: No columns to parse from file. "
        "Check that the file is a valid CSV file."
    )


def test_header_only_csv_is_an_empty_pool(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_text("sex,hired\n")
    assert message(data=path, attributes=["sex"], selected="hired") == E.EMPTY_POOL


def test_unsupported_input_type() -> None:
    got = message(data=[{"sex": "F"}], attributes=["sex"], selected="hired")
    assert got == E.UNSUPPORTED_INPUT.format(kind="list")
    assert got == (
        "Cannot read data of type list. Pass a pandas or polars DataFrame, a pyarrow Table, "
        "a CandidatePool, or a path to a .csv or .parquet file."
    )


# -- unknown attribute values -----------------------------------------------------


def test_missing_attribute_values_become_the_unknown_group(candidates: pd.DataFrame) -> None:
    pool = CandidatePool(candidates, attributes=["sex", "race"], selected="hired")
    assert pool.unknown_counts() == {"sex": 0, "race": 4}
    race = pool.attribute_codes["race"]
    assert race.categories == ("Asian", "Black", "White", UNKNOWN)
    assert race.has_unknown and race.n_known == 3
    assert (race.codes == 3).sum() == 4


def test_unknown_group_is_counted_and_excluded_from_rates(candidates: pd.DataFrame) -> None:
    result = audit_quietly(candidates, attributes=["sex", "race"], selected="hired")
    unknown = candidates["race"].isna() | (candidates["race"] == "unknown")
    tables = {tuple(t["attribute"]): t for t in result.tables}
    assert tables[("race",)]["unknown"] == 4
    assert tables[("race",)]["unknown_selected"] == int(candidates.loc[unknown, "hired"].sum())
    assert tables[("race",)]["n_known"] == len(candidates) - 4
    assert tables[("sex",)]["unknown"] == 0
    assert tables[("sex", "race")]["unknown"] == 4
    assert result.provenance["rows"]["unknown"] == {"sex": 0, "race": 4}
    groups = result.groups_frame()
    assert not any(UNKNOWN in g for g in groups["group"])
    race = groups[groups["attribute_label"] == "race"].set_index("group_label")
    assert list(race.index) == ["Asian", "Black", "White"]
    known = candidates[~unknown]
    for name, part in known.groupby("race"):
        assert race.loc[name, "n"] == len(part)
        assert race.loc[name, "selection_rate"] == pytest.approx(part["hired"].mean())
        assert race.loc[name, "share"] == pytest.approx(len(part) / len(known))


def test_custom_unknown_spellings(small: pd.DataFrame) -> None:
    frame = small.assign(sex=["F", "M", "n/a", "M", "F", "?", "F", "M"])
    pool = CandidatePool(frame, attributes=["sex"], selected="hired", unknown_values=["n/a", "?"])
    assert pool.unknown_counts() == {"sex": 2}
    assert pool.attribute_codes["sex"].categories == ("F", "M", UNKNOWN)


def test_a_literal_unknown_value_outside_unknown_values_is_counted_consistently(
    small: pd.DataFrame,
) -> None:
    # "Unknown" is a known value here (unknown_values only names "n/a"), next to a real
    # missing value: the labels must stay distinct and the pool and the table must agree.
    frame = small.assign(sex=["F", "M", "Unknown", "Unknown", None, "F", "M", "F"])
    pool = CandidatePool(frame, attributes=["sex"], selected="hired", unknown_values=["n/a"])
    categories = pool.attribute_codes["sex"].categories
    assert len(set(categories)) == len(categories), categories
    result = audit_quietly(pool)
    assert result.tables[0]["unknown"] == pool.unknown_counts()["sex"]
    assert result.groups["n"].sum() + result.tables[0]["unknown"] == len(frame)


# -- the caller's data and file inputs --------------------------------------------


def test_the_callers_frame_is_never_modified(candidates: pd.DataFrame) -> None:
    frame = candidates.assign(
        sex=candidates["sex"].astype("category"), flag=candidates["hired"].astype(bool)
    )
    frame.index = frame.index[::-1] * 3
    before = copy.deepcopy(frame)
    runs = [
        dict(selected="hired"),
        dict(score="score"),
        dict(score="score", threshold=0.5),
        dict(score="score", job="job", top_k=5, id="cid"),
        dict(score="score", job="job", top_fraction=0.2, per_job=True),
        dict(selected="flag", label="hired", score="score"),
    ]
    for options in runs:
        audit_quietly(frame, attributes=["sex", "race"], **options)
        pd.testing.assert_frame_equal(frame, before, check_exact=True)
        assert frame.index.equals(before.index)
        assert frame.dtypes.equals(before.dtypes)


def test_a_polars_frame_is_never_modified(candidates: pd.DataFrame) -> None:
    pl = pytest.importorskip("polars")
    frame = pl.from_pandas(candidates)
    before = frame.clone()
    audit_quietly(frame, attributes=["sex", "race"], score="score", job="job", top_k=3)
    assert frame.equals(before)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".csv.gz", ".pq"])
def test_file_paths_give_the_same_numbers_as_the_frame(
    tmp_path: Path, candidates: pd.DataFrame, suffix: str, groups_close
) -> None:
    path = tmp_path / f"pool{suffix}"
    if ".csv" in suffix:
        candidates.to_csv(path, index=False)
    else:
        candidates.to_parquet(path, index=False)
    options = dict(attributes=["sex", "race"], score="score", job="job", top_k=4, id="cid")
    from_frame = audit_quietly(candidates, **options)
    from_path = audit_quietly(path, **options)
    from_str = audit_quietly(str(path), **options)
    groups_close(from_frame.groups, from_path.groups)
    groups_close(from_frame.groups, from_str.groups)
    assert from_frame.tables == from_path.tables
    assert from_frame.provenance["rows"] == from_path.provenance["rows"]
    expected = {**from_frame.provenance["configuration"]}
    assert from_path.provenance["configuration"] == expected


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_provenance_sha256_is_the_files_sha256(
    tmp_path: Path, candidates: pd.DataFrame, suffix: str
) -> None:
    path = tmp_path / f"pool{suffix}"
    if suffix == ".csv":
        candidates.to_csv(path, index=False)
    else:
        candidates.to_parquet(path, index=False)
    result = audit_quietly(path, attributes=["sex", "race"], selected="hired")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.provenance["input"]["sha256"] == digest
    assert result.provenance["input"]["sha256_of"] == "file bytes"
    assert result.provenance["input"]["source"] == str(path)
    assert CandidatePool(path, attributes=["sex"], selected="hired").sha256 == digest


def test_frame_fingerprint_depends_on_the_role_columns_only(candidates: pd.DataFrame) -> None:
    options = dict(attributes=["sex", "race"], selected="hired")
    base = CandidatePool(candidates, **options)
    assert base.source == "dataframe"
    assert len(base.sha256) == 64
    assert CandidatePool(candidates.assign(extra=1), **options).sha256 == base.sha256
    flipped = candidates.assign(hired=1 - candidates["hired"])
    assert CandidatePool(flipped, **options).sha256 != base.sha256
    result = audit_quietly(candidates, **options)
    assert result.provenance["input"]["sha256"] == base.sha256
    assert result.provenance["input"]["sha256_of"] == "role columns"
