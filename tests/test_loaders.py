"""Loaders: files, SQL, column mappings, EEO-1 normalisation, and `audit --mapping`."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pytest

from biasaudit import ValidationError, audit
from biasaudit import _errors as E
from biasaudit._io import toml_module as _toml
from biasaudit.cli import main
from biasaudit.loaders import (
    EEO1_RACE,
    ColumnMapping,
    load,
    normalize_eeo1,
    read_mapping,
    read_sql,
)

BLACK = "Black or African American"
RAW = pd.DataFrame(
    {
        "applicant_id": [101, 102, 103, 104, 105, 106, 107, 108],
        "gender": ["F", "male", "Woman", "M", "Female", "MALE", "Decline to state", None],
        "ethnicity": [
            "Caucasian", "African American", "Hispanic/Latino", "Asian",
            "Non-Hispanic White", "BLACK", "Two or more races", "prefer not to say",
        ],
        "hired": [1, 0, 1, 1, 0, 0, 1, 0],
        "req": ["A", "A", "B", "B", "A", "B", "A", "B"],
    }
)  # fmt: skip
MAPPING_TOML = """
[columns]
id = "applicant_id"
sex = "gender"
race = "ethnicity"
selected = "hired"
job = "req"
"""
EXPECTED_SEX = ["Female", "Male", "Female", "Male", "Female", "Male", "Unknown", "Unknown"]
EXPECTED_RACE = ["White", BLACK, "Hispanic or Latino", "Asian", "White", BLACK,
                 "Two or More Races", "Unknown"]  # fmt: skip


@pytest.fixture
def mapping_file(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING_TOML)
    return path


def _write(frame: pd.DataFrame, path) -> None:
    name = path.name
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    elif name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    elif name.endswith(".jsonl"):
        frame.to_json(path, orient="records", lines=True)
    elif name.endswith(".sqlite"):
        with sqlite3.connect(path) as connection:
            frame.to_sql("applicants", connection, index=False)
        connection.close()
    else:
        duckdb = pytest.importorskip("duckdb")
        connection = duckdb.connect(str(path))
        connection.register("raw", frame)
        connection.execute("CREATE TABLE applicants AS SELECT * FROM raw")
        connection.close()


@pytest.mark.parametrize("filename", ["a.csv", "a.parquet", "a.jsonl", "a.sqlite", "a.duckdb"])
def test_every_format_loads_the_same_mapped_frame(tmp_path, mapping_file, filename):
    path = tmp_path / filename
    _write(RAW, path)
    query = "SELECT * FROM applicants ORDER BY applicant_id"
    is_db = filename.endswith((".sqlite", ".duckdb"))
    frame = load(path, mapping=mapping_file, query=query if is_db else None)
    assert list(frame.columns[:5]) == ["id", "sex", "race", "selected", "job"]
    assert frame["sex"].tolist() == EXPECTED_SEX
    assert frame["race"].tolist() == EXPECTED_RACE
    assert frame["selected"].tolist() == RAW["hired"].tolist()


def test_query_from_the_mapping_file(tmp_path):
    database = tmp_path / "hr.db"  # .db: recognised as SQLite by its header
    _write(RAW, tmp_path / "hr.sqlite")
    (tmp_path / "hr.sqlite").rename(database)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[source]\nquery = "SELECT * FROM applicants WHERE req = \'A\'"\n'
                       + MAPPING_TOML)  # fmt: skip
    frame = load(database, mapping=mapping)
    assert len(frame) == 4 and set(frame["job"]) == {"A"}


def test_read_sql_with_connections():
    connection = sqlite3.connect(":memory:")
    RAW.to_sql("applicants", connection, index=False)
    assert read_sql("SELECT COUNT(*) AS n FROM applicants", connection)["n"].item() == 8
    with pytest.raises(ValidationError, match="The SQL query failed on 'sqlite connection'"):
        read_sql("SELECT * FROM missing_table", connection)
    duckdb = pytest.importorskip("duckdb")
    duck = duckdb.connect()
    duck.register("applicants", RAW)
    assert len(read_sql("SELECT * FROM applicants", duck)) == 8


def test_database_without_query(tmp_path):
    path = tmp_path / "a.sqlite"
    _write(RAW, path)
    with pytest.raises(ValidationError) as info:
        load(path)
    assert str(info.value) == E.SQL_NEEDS_QUERY.format(path=str(path))


def test_missing_duckdb_gives_the_install_hint(tmp_path, monkeypatch):
    path = tmp_path / "a.duckdb"
    path.write_bytes(b"\0" * 64)
    monkeypatch.setitem(sys.modules, "duckdb", None)
    with pytest.raises(ImportError) as info:
        read_sql("SELECT 1", path)
    assert str(info.value) == E.MISSING_DUCKDB
    assert "pip install 'biasaudit[duckdb]'" in str(info.value)


def test_mapping_object_and_audit_options():
    mapping = ColumnMapping({"sex": "gender", "selected": "hired", "job": "req"})
    assert mapping.attributes == ["sex"]
    assert mapping.audit_options() == {"attributes": ["sex"], "selected": "selected", "job": "job"}
    frame = mapping.apply(RAW)
    # unmapped source columns are kept, the caller's frame is untouched
    assert "ethnicity" in frame.columns and "gender" in RAW.columns
    result = audit(frame, **mapping.audit_options())
    assert set(result.groups_frame()["group_label"]) == {"Female", "Male"}


def test_mapping_naming_absent_columns(tmp_path):
    mapping = ColumnMapping({"sex": "gender", "race": "race_code", "score": "points"},
                            path="m.toml")  # fmt: skip
    with pytest.raises(ValidationError) as info:
        mapping.apply(RAW)
    assert str(info.value) == E.MAPPING_MISSING_COLUMNS.format(
        missing=["race_code", "points"], present=list(RAW.columns), path="m.toml"
    )


def test_unmappable_values_are_all_reported():
    raw = RAW.assign(ethnicity=["White", "Other", "Asian/Pacific Islander", "Other", "W", "Black",
                                "Asian", "Hispanic"])  # fmt: skip
    mapping = ColumnMapping({"race": "ethnicity", "sex": "gender"})
    with pytest.raises(ValidationError) as info:
        mapping.apply(raw)
    assert str(info.value) == E.UNMAPPABLE_VALUES.format(
        column="race", count=3, target="EEO-1 race/ethnicity",
        values={"Other": 2, "Asian/Pacific Islander": 1, "W": 1}, example="Other",
    )  # fmt: skip


def test_categories_table_resolves_unmappable_values():
    raw = RAW.assign(ethnicity=["White", "Other", "API", "Other", "W", "Black", "Asian", "Hisp"])
    categories = {"race": {"Other": "Unknown", "API": "Unknown", "W": "White",
                           "hisp": "Hispanic or Latino"}}  # fmt: skip
    frame = ColumnMapping({"race": "ethnicity"}, categories).apply(raw)
    assert frame["race"].tolist() == ["White", "Unknown", "Unknown", "Unknown", "White", BLACK,
                                      "Asian", "Hispanic or Latino"]  # fmt: skip


def test_category_target_must_be_eeo1():
    mapping = ColumnMapping({"race": "ethnicity"}, {"race": {"Other": "Martian"}})
    with pytest.raises(ValidationError, match="'Martian', which is not an EEO-1 race/ethnicity"):
        mapping.apply(RAW)


def test_as_is_and_exhaustive_tables_for_other_attributes():
    raw = pd.DataFrame({"age": ["<40", "40+", "40+", None], "vet": ["Y", "N", "X", "Y"],
                        "hired": [1, 0, 1, 0]})  # fmt: skip
    mapping = ColumnMapping(
        {"age_band": "age", "veteran": "vet", "selected": "hired"},
        {"veteran": {"Y": "Veteran", "N": "Not a veteran"}},
    )
    with pytest.raises(ValidationError, match=r"Column 'veteran' has 1 value\(s\).*'X': 1"):
        mapping.apply(raw)
    mapping = ColumnMapping(
        {"age_band": "age", "veteran": "vet", "selected": "hired"},
        {"veteran": {"Y": "Veteran", "N": "Not a veteran", "X": "Unknown"}},
    )
    frame = mapping.apply(raw)
    assert frame["age_band"].tolist()[:3] == ["<40", "40+", "40+"]
    assert frame["veteran"].tolist() == ["Veteran", "Not a veteran", "Unknown", "Veteran"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns]\nselected = 'hired'\n", "names no protected attribute"),
        ("[column]\nsex = 'gender'\n", "unknown table(s) ['column']"),
        ("[columns\n", "Could not read the mapping file"),
        ("[columns]\nsex = 'gender'\n[categories]\nrace = 'race'\n", "not an attribute"),
        ("[columns]\nsex = 'gender'\n[categories]\nsex = 'eeo'\n", "not 'sex', 'race' or 'as-is'"),
    ],
)
def test_bad_mapping_files(tmp_path, text, message):
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(ValidationError) as info:
        read_mapping(path)
    assert message in str(info.value)


# -- EEO-1 normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("White", "White"), ("WHITE", "White"), ("caucasian", "White"),
        ("White (Not Hispanic or Latino)", "White"), ("Non-Hispanic White", "White"),
        ("NH White", "White"), ("Black", BLACK), ("Black/African American", BLACK),
        ("African-American", BLACK), ("Black or African American (Not Hispanic or Latino)", BLACK),
        ("afam", BLACK), ("Hispanic", "Hispanic or Latino"), ("Latinx", "Hispanic or Latino"),
        ("Hispanic/Latino", "Hispanic or Latino"), ("Asian", "Asian"),
        ("Native Hawaiian or Other Pacific Islander", "Native Hawaiian or Pacific Islander"),
        ("Pacific Islander", "Native Hawaiian or Pacific Islander"),
        ("American Indian or Alaska Native", "Native American or Alaska Native"),
        ("AI/AN", "Native American or Alaska Native"),
        ("Two or More Races", "Two or More Races"), ("Multiracial", "Two or More Races"),
        ("Decline to Self-Identify", "Unknown"), ("", "Unknown"), ("N/A", "Unknown"),
        (None, "Unknown"), (float("nan"), "Unknown"),
    ],
)  # fmt: skip
def test_race_spellings(raw, expected):
    assert normalize_eeo1([raw], "race").values.tolist() == [expected]


@pytest.mark.parametrize(
    "raw", ["Other", "Asian/Pacific Islander", "A", "B", "Non-Hispanic Hispanic", "Martian"]
)
def test_race_values_that_are_never_guessed(raw):
    out = normalize_eeo1([raw], "race", errors="report")
    assert out.unmapped == {raw: 1}
    assert out.values.tolist() == ["Unknown"]
    with pytest.raises(ValidationError, match="cannot be mapped"):
        normalize_eeo1([raw], "race")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("F", "Female"), ("female", "Female"), ("Women", "Female"), ("M", "Male"),
     ("MALE", "Male"), ("man", "Male"), ("Prefer not to say", "Unknown")],
)  # fmt: skip
def test_sex_spellings(raw, expected):
    assert normalize_eeo1([raw], "sex").values.tolist() == [expected]


def test_sex_non_binary_is_reported_not_guessed():
    out = normalize_eeo1(["F", "Non-binary", "X", "Non-binary"], "sex", errors="report")
    assert out.unmapped == {"Non-binary": 2, "X": 1}
    assert out.mapping == {"F": "Female"}


def test_normalize_keeps_the_index_and_the_input():
    series = pd.Series(["Latina", "White"], index=[10, 20], name="eth")
    out = normalize_eeo1(series, "race")
    assert out.values.index.tolist() == [10, 20]
    assert series.tolist() == ["Latina", "White"]
    assert set(EEO1_RACE) >= set(out.values)


# -- files and the CLI ---------------------------------------------------------------------------


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        load(tmp_path / "nope.csv")
    weird = tmp_path / "data.foo"
    weird.write_text("x")
    with pytest.raises(ValidationError) as info:
        load(weird)
    assert str(info.value) == E.UNKNOWN_DATA_FORMAT.format(path=str(weird))
    workbook = tmp_path / "data.xlsx"  # told to save it as CSV, not just "unknown format"
    workbook.write_text("x")
    with pytest.raises(ValidationError) as info:
        load(workbook)
    assert str(info.value) == E.EXCEL_FILE.format(path=str(workbook))
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet")
    with pytest.raises(ValidationError, match=r"Could not read .* as Parquet"):
        load(broken)


def test_cli_audit_with_mapping(tmp_path, mapping_file, capsys):
    data = tmp_path / "applicants.jsonl"
    _write(pd.concat([RAW] * 20, ignore_index=True).assign(
        applicant_id=range(160)), data)  # fmt: skip
    code = main(["audit", str(data), "--mapping", str(mapping_file), "--json", "-"])
    assert code == 0
    out = capsys.readouterr().out
    assert '"Hispanic or Latino"' in out and '"Female"' in out
    meta = json.loads(out)["provenance"]["metadata"]
    # the audit hashes the mapped columns; the original file and the mapping are traced too
    assert meta["loaded_from"] == {
        "source": str(data),
        "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
    }
    assert meta["mapping_file"]["sha256"] == hashlib.sha256(mapping_file.read_bytes()).hexdigest()


def test_cli_audit_mapping_errors_exit_2(tmp_path, capsys):
    data = tmp_path / "applicants.csv"
    _write(RAW.assign(ethnicity=["Other"] * 8), data)
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING_TOML)
    assert main(["audit", str(data), "--mapping", str(mapping), "-q"]) == 2
    err = capsys.readouterr().err
    assert "Column 'race' has 1 value(s) that cannot be mapped" in err
    assert "Traceback" not in err
    mapping.write_text(MAPPING_TOML.replace('"gender"', '"sex_code"'))
    assert main(["audit", str(data), "--mapping", str(mapping), "-q"]) == 2
    assert "The mapping names column(s) ['sex_code']" in capsys.readouterr().err
    assert main(["audit", str(data), "--mapping", str(tmp_path / "none.toml"), "-q"]) == 2


def test_a_corrupt_database_file_is_an_input_error(tmp_path):
    pytest.importorskip("duckdb")
    path = tmp_path / "broken.duckdb"
    path.write_bytes(b"this is not a database" * 10)
    with pytest.raises(ValidationError, match="The SQL query failed on"):
        read_sql("SELECT 1", path)


def test_every_extra_named_in_a_message_exists():
    root = Path(__file__).resolve().parent.parent
    extras = _toml().loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    named = set(re.findall(r"biasaudit\[([a-z0-9_-]+)\]", (root / "biasaudit" / "_errors.py")
                           .read_text()))  # fmt: skip
    assert "duckdb" in named
    assert named <= set(extras)
    assert any(d.startswith("duckdb") for d in extras["test"])


def test_separate_hispanic_question_is_folded_into_race():
    raw = pd.DataFrame(
        {
            "race": ["White", "Black", "White", "Asian", None, "Hispanic", "White"],
            "eth": ["Y", "No", None, "N", "Yes", "Not provided", "Not Hispanic or Latino"],
            "hired": [1, 0, 1, 1, 0, 1, 0],
        }
    )
    mapping = ColumnMapping({"race": "race", "hispanic_or_latino": "eth", "selected": "hired"})
    frame = mapping.apply(raw)
    assert frame["race"].tolist() == [
        "Hispanic or Latino", BLACK, "Unknown", "Asian", "Hispanic or Latino",
        "Hispanic or Latino", "White",
    ]  # fmt: skip
    assert frame["hispanic_or_latino"].tolist() == ["Yes", "No", "Unknown", "No", "Yes",
                                                    "Unknown", "No"]  # fmt: skip
    assert mapping.audit_options() == {"attributes": ["race"], "selected": "selected"}


def test_hispanic_question_errors():
    raw = pd.DataFrame({"race": ["White", "Asian"], "eth": ["Maybe", "N"], "hired": [1, 0]})
    mapping = ColumnMapping({"race": "race", "hispanic_or_latino": "eth", "selected": "hired"})
    with pytest.raises(ValidationError) as info:
        mapping.apply(raw)
    assert str(info.value) == E.UNMAPPABLE_VALUES.format(
        column="hispanic_or_latino", count=1, target="yes/no", values={"Maybe": 1},
        example="Maybe",
    )  # fmt: skip
    fixed = ColumnMapping(
        {"race": "race", "hispanic_or_latino": "eth", "selected": "hired"},
        {"hispanic_or_latino": {"Maybe": "Unknown"}},
    )
    assert fixed.apply(raw)["race"].tolist() == ["Unknown", "Asian"]
    with pytest.raises(ValidationError, match="no race attribute"):
        ColumnMapping({"sex": "sex", "hispanic_or_latino": "eth"})
    with pytest.raises(ValidationError, match="not an EEO-1 Hispanic-or-Latino answer"):
        ColumnMapping(
            {"race": "race", "hispanic_or_latino": "eth"}, {"hispanic_or_latino": {"Maybe": "Si"}}
        ).apply(raw)
