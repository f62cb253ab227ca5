"""Bad inputs end in exit 2 and one line that names the cause, never a traceback.

Each case builds its files in ``tmp_path``, runs ``biasaudit.cli.main`` and
checks the exit code, the single line on stderr and its key words; the Python
API refuses the same input with biasaudit's ValidationError.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import biasaudit
from biasaudit import ValidationError
from biasaudit.cli import main
from biasaudit.loaders import load, read_mapping
from biasaudit.results import load_result

GOLDEN = Path(__file__).parent / "golden" / "resume_study.json"


def _pool(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "sex": ["F", "M"] * (n // 2),
            "score": [i / n for i in range(n)],
            "selected": [i % 3 == 0 for i in range(n)],
            "job": ["a", "b", "c", "d"] * (n // 4),
        }
    ).astype({"selected": int})


def _csv(path: Path, frame: pd.DataFrame) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def _lake(folder: Path, *frames: pd.DataFrame) -> str:
    folder.mkdir()
    for i, frame in enumerate(frames):
        frame.to_parquet(folder / f"part{i}.parquet", index=False)
    return str(folder)


# -- each case: (files -> CLI arguments, words the message must hold) ---------------------------


def _list_attribute(tmp: Path) -> list[str]:
    table = pa.table({"sex": [["F"], ["M"], ["F", "M"]], "selected": [1, 0, 1]})
    pq.write_table(table, tmp / "list.parquet")
    return ["audit", str(tmp / "list.parquet"), "-a", "sex", "--selected", "selected"]


def _corrupt_lake_file(tmp: Path) -> list[str]:
    lake = _lake(tmp / "lake", _pool())
    (tmp / "lake" / "z.parquet").write_bytes(b"garbage")
    return ["audit", lake, "-a", "sex", "--selected", "selected"]


def _empty_folder(tmp: Path) -> list[str]:
    (tmp / "empty").mkdir()
    return ["audit", str(tmp / "empty"), "-a", "sex", "--selected", "selected"]


def _text_in_score(tmp: Path) -> list[str]:
    frame = _pool(300).astype({"score": object})
    frame.loc[249, "score"] = "abc"
    path = _csv(tmp / "mixed.csv", frame)
    return ["audit", path, "-a", "sex", "--score", "score", "--threshold", "0.5"]


def _text_in_lake_score(tmp: Path) -> list[str]:
    frame = _pool().astype({"score": str})
    frame.loc[6, "score"] = "n/a"
    lake = _lake(tmp / "lake", frame.iloc[:20], frame.iloc[20:].reset_index(drop=True))
    return ["audit", lake, "-a", "sex", "--score", "score", "--threshold", "0.5"]


def _lake_types_differ(tmp: Path) -> list[str]:
    frame = _pool().astype({"score": str})
    frame.loc[6, "score"] = "n/a"
    lake = _lake(tmp / "lake", _pool(), frame)
    return ["audit", lake, "-a", "sex", "--score", "score", "--threshold", "0.5"]


def _stray_decision(tmp: Path) -> list[str]:
    frame = _pool().astype({"selected": object})
    frame.loc[9, "selected"] = "yes"
    return ["audit", _csv(tmp / "p.csv", frame), "-a", "sex", "--selected", "selected"]


def _blank_job_in_lake(tmp: Path) -> list[str]:
    frame = _pool()
    frame.loc[5, "job"] = None
    lake = _lake(tmp / "lake", frame)
    return ["audit", lake, "-a", "sex", "--score", "score", "--job", "job", "--top-k", "3"]


def _blank_ids(tmp: Path) -> list[str]:
    frame = _pool()
    frame.loc[[3, 7], "id"] = None
    path = _csv(tmp / "p.csv", frame)
    return ["audit", path, "-a", "sex", "--selected", "selected", "--id", "id"]


def _blank_ids_in_lake(tmp: Path) -> list[str]:
    frame = _pool()
    frame.loc[3, "id"] = " "
    lake = _lake(tmp / "lake", frame)
    return ["audit", lake, "-a", "sex", "--selected", "selected", "--id", "id"]


def _result_version(tmp: Path) -> list[str]:
    (tmp / "bad.json").write_text(json.dumps({"schema_version": 99}))
    return ["report", str(tmp / "bad.json"), "--html", str(tmp / "x.html")]


def _result_field_type(tmp: Path) -> list[str]:
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    data["groups"][0]["n"] = "many"
    (tmp / "bad.json").write_text(json.dumps(data))
    return ["report", str(tmp / "bad.json"), "--html", str(tmp / "x.html")]


def _header_only(tmp: Path) -> list[str]:
    (tmp / "h.csv").write_text("sex,selected\n")
    return ["audit", str(tmp / "h.csv"), "-a", "sex", "--selected", "selected"]


def _binary_garbage(tmp: Path) -> list[str]:
    (tmp / "g.csv").write_bytes(bytes(range(256)) * 8)
    return ["audit", str(tmp / "g.csv"), "-a", "sex", "--selected", "selected"]


def _excel(tmp: Path) -> list[str]:
    (tmp / "pool.xlsx").write_bytes(b"PK\x03\x04")
    return ["audit", str(tmp / "pool.xlsx"), "-a", "sex", "--selected", "selected"]


def _unknown_extension(tmp: Path) -> list[str]:
    (tmp / "pool.dat").write_text("sex,selected\nF,1\n")
    return ["audit", str(tmp / "pool.dat"), "-a", "sex", "--selected", "selected"]


def _missing_file(tmp: Path) -> list[str]:
    return ["audit", str(tmp / "nope.csv"), "-a", "sex", "--selected", "selected"]


def _mapping_folder(tmp: Path) -> list[str]:
    (tmp / "m").mkdir()
    path = _csv(tmp / "p.csv", _pool())
    return ["audit", path, "--mapping", str(tmp / "m")]


def _mapping_syntax(tmp: Path) -> list[str]:
    (tmp / "m.toml").write_text('[columns\nsex = "sex"\n')
    path = _csv(tmp / "p.csv", _pool())
    return ["audit", path, "--mapping", str(tmp / "m.toml")]


def _jobs_folder(tmp: Path) -> list[str]:
    (tmp / "jobs").mkdir()
    path = _csv(tmp / "p.csv", _pool().drop(columns="score"))
    return ["audit", path, "-a", "sex", "--matcher", "tfidf", "--jobs", str(tmp / "jobs")]


CASES: dict[str, tuple[Callable[[Path], list[str]], list[str]]] = {
    "list attribute": (_list_attribute, ["'sex' (attributes)", "list", "Flatten"]),
    "corrupt lake file": (_corrupt_lake_file, ["z.parquet", "2 Parquet file(s)", "Replace"]),
    "empty folder": (_empty_folder, ["holds no data", ".parquet file", "give the path"]),
    "text in score": (_text_in_score, ["1 cell(s)", "row 250: 'abc'", "first row of data"]),
    "text in lake score": (_text_in_lake_score, ["part0.parquet row 7: 'n/a'", "1 cell(s)"]),
    "lake types differ": (_lake_types_differ, ["part1.parquet", "'score' holds text", "numbers"]),
    "stray decision": (_stray_decision, ["'selected'", "0 or 1", "row 10: 'yes'"]),
    "blank job in lake": (_blank_job_in_lake, ["Job column 'job'", "1 blank"]),
    "blank ids": (_blank_ids, ["Id column 'id'", "2 blank", "rows: 4, 8"]),
    "blank ids in lake": (_blank_ids_in_lake, ["Id column 'id'", "1 blank", "row 4"]),
    "result version": (_result_version, ["schema_version 99", "reads schema_version '1.0'"]),
    "result field type": (_result_field_type, ["groups[0].n must be an integer", "'many'"]),
    "header only": (_header_only, ["no rows"]),
    "binary garbage": (_binary_garbage, ["Could not read", "as CSV"]),
    "excel": (_excel, ["Excel workbook", "Save the sheet as CSV"]),
    "unknown extension": (_unknown_extension, ["Cannot tell the format", ".parquet"]),
    "missing file": (_missing_file, ["does not exist", "Check the path"]),
    "mapping folder": (_mapping_folder, ["is a folder", "mapping file"]),
    "mapping syntax": (_mapping_syntax, ["Could not read the mapping file", "line 1"]),
    "jobs folder": (_jobs_folder, ["is a folder", "the jobs file must be one file"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_cli_refuses_with_one_line(name: str, tmp_path: Path, capsys) -> None:
    build, words = CASES[name]
    code = main(build(tmp_path))
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "Traceback" not in captured.err
    assert captured.err.startswith("biasaudit: error: ") and captured.err.count("\n") == 1
    for word in words:
        assert word in captured.err
    assert "DataFrame" not in captured.err  # no Python words on the command line
    assert not (tmp_path / "x.html").exists()


# -- the Python API: the same inputs, biasaudit's ValidationError ------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "list attribute",
        "corrupt lake file",
        "empty folder",
        "text in score",
        "text in lake score",
        "lake types differ",
        "stray decision",
        "blank job in lake",
        "blank ids",
        "blank ids in lake",
        "header only",
        "binary garbage",
        "excel",
        "unknown extension",
        "missing file",
    ],
)
def test_api_refuses_audit_inputs(name: str, tmp_path: Path) -> None:
    build, words = CASES[name]
    args = build(tmp_path)
    options = {"attributes": ["sex"]}
    flags = {"--selected": "selected", "--score": "score", "--job": "job", "--id": "id"}
    for flag, key in flags.items():
        if flag in args:
            options[key] = args[args.index(flag) + 1]
    for flag, key in {"--threshold": "threshold", "--top-k": "top_k"}.items():
        if flag in args:
            options[key] = float(args[args.index(flag) + 1]) if key == "threshold" else 3
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(args[1], **options)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("name", ["result version", "result field type"])
def test_api_refuses_results(name: str, tmp_path: Path) -> None:
    build, words = CASES[name]
    with pytest.raises(ValidationError) as caught:
        load_result(build(tmp_path)[1])
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("name", ["mapping folder", "mapping syntax"])
def test_api_refuses_mappings(name: str, tmp_path: Path) -> None:
    args = CASES[name][0](tmp_path)
    mapping = args[args.index("--mapping") + 1]
    with pytest.raises(ValidationError):
        read_mapping(mapping)
    with pytest.raises(ValidationError):
        load(args[1], mapping=mapping)


# -- frames: mixed types, blanks and text cells on every engine --------------------------------


def test_mixed_types_are_named_not_an_arrow_traceback() -> None:
    score = _pool().astype({"score": object})
    score.loc[39, "score"] = "abc"  # ints and text in one object column: ArrowInvalid before
    with pytest.raises(ValidationError, match=r"row 40: 'abc'"):
        biasaudit.audit(score, attributes=["sex"], score="score", threshold=0.5)
    sex = _pool().astype({"sex": object})
    sex.loc[0, "sex"] = 1
    with pytest.raises(
        ValidationError, match=r"mixes values of different types \(\['int', 'str'\]\)"
    ):
        biasaudit.audit(sex, attributes=["sex"], selected="selected")


def test_one_blank_id_is_refused() -> None:
    frame = _pool()
    frame.loc[0, "id"] = None  # unique, so the duplicate check let it through
    with pytest.raises(ValidationError, match=r"Id column 'id' has 1 blank .*rows: 1;"):
        biasaudit.audit(frame, attributes=["sex"], selected="selected", id="id")


def _engines(frame: pd.DataFrame) -> dict[str, object]:
    dd = pytest.importorskip("dask.dataframe")
    return {
        "memory": frame,
        "duckdb": duckdb.from_df(frame),
        "dask": dd.from_pandas(frame, npartitions=3),
    }


@pytest.mark.parametrize("engine", ["memory", "duckdb", "dask"])
def test_every_engine_refuses_blank_job_ids_alike(engine: str) -> None:
    frame = _pool().drop(columns="id")
    frame.loc[30, "job"] = " "
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(
            _engines(frame)[engine], attributes=["sex"], score="score", job="job", threshold=0.5
        )
    assert str(caught.value) == biasaudit._errors.BLANK_JOB_IDS.format(
        column="job", count=1, where=biasaudit._errors.first_rows([31], by_id=False)
    )


@pytest.mark.parametrize("engine", ["memory", "duckdb", "dask"])
def test_every_engine_names_text_cells_alike(engine: str) -> None:
    frame = _pool().astype({"score": str})
    frame.loc[[12, 33], "score"] = ["abc", ""]
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(_engines(frame)[engine], attributes=["sex"], score="score", threshold=0.5)
    assert "2 cell(s) do not; first: row 13: 'abc', row 34: " in str(caught.value)


def test_a_list_attribute_is_refused_on_dask_as_in_memory(tmp_path: Path) -> None:
    dd = pytest.importorskip("dask.dataframe")
    path = tmp_path / "list.parquet"
    pq.write_table(pa.table({"sex": [["F"], ["M"]] * 20, "hired": [0, 1] * 20}), path)
    messages = []
    for data in (str(path), dd.read_parquet(path)):
        with pytest.raises(ValidationError) as caught:
            biasaudit.audit(data, attributes=["sex"], selected="hired")
        messages.append(str(caught.value))
    assert messages[1].startswith("Column 'sex' (attributes) holds list")
    assert messages[0].split(" values,")[0].startswith(messages[1].split(" values,")[0])
