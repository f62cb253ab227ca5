"""Random files never make the command line crash (issue 13).

Random byte strings saved as a CSV, Parquet or JSON file, and random small CSVs (odd
header names, duplicates and blanks; cells mixing numbers, text, blanks, control
characters and very long strings) go through ``biasaudit audit`` and ``biasaudit
report`` in this process. Every run ends in exit 0 or 2, never with an exception or a
traceback, and a refusal is exactly one line on stderr. Seeded (derandomized), so the
same examples run every time.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biasaudit.cli import main

GOLDEN = Path(__file__).parent / "golden" / "resume_study.json"

SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _run(argv: list[str]) -> tuple[int, str, str]:
    """``biasaudit ARGV`` here: (exit code, stdout, stderr); any exception fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def _check(argv: list[str]) -> None:
    code, out, err = _run(argv)
    assert "Traceback" not in err + out, err
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and err.endswith("\n"), err
        assert lines[0].startswith("biasaudit"), err
        assert ": error: " in lines[0], err


# -- random bytes ------------------------------------------------------------------------------

BYTES = st.one_of(
    st.binary(max_size=600),
    # near misses: a real header or a Parquet magic number, then garbage
    st.binary(max_size=400).map(lambda b: b"sex,selected,score\n" + b),
    st.binary(max_size=400).map(lambda b: b"PAR1" + b + b"PAR1"),
    st.binary(max_size=400).map(lambda b: b'{"schema_version": "1.0", ' + b),
)


@SETTINGS
@given(data=BYTES, suffix=st.sampled_from([".csv", ".parquet", ".tsv", ".csv.gz"]))
def test_random_bytes_as_data_never_crash(folder: Path, data: bytes, suffix: str) -> None:
    path = folder / f"random{suffix}"
    path.write_bytes(data)
    _check(["audit", str(path), "-a", "sex", "--selected", "selected", "--quiet"])
    _check(["audit", str(path), "-a", "sex", "--score", "score", "--threshold", "0.5", "--quiet"])


@SETTINGS
@given(data=BYTES)
def test_random_bytes_as_a_result_never_crash(folder: Path, data: bytes) -> None:
    path = folder / "random.json"
    path.write_bytes(data)
    _check(["report", str(path), "--markdown", str(folder / "out.md")])
    _check(["compare", str(path), str(path), "--markdown", str(folder / "out.md")])


# -- random CSVs ---------------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "sex", "selected", "score", "", " ", "a.1", "Unnamed: 0", "é"])
CELLS = st.one_of(
    st.integers(-3, 3).map(str),
    st.sampled_from(["0", "1", "0.5", "1e300", "-0", "nan", "NaN", "inf", "-inf", "", " ", "NA"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=8),
    st.text(alphabet=st.characters(max_codepoint=31), max_size=4),
    st.sampled_from(["=1+1", '"', "a,b", "x\ny", "\r", "\x00", "x" * 5000]),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]], bool]:
    header = draw(st.lists(NAMES, min_size=1, max_size=5))
    width = len(header)
    ragged = draw(st.booleans())
    rows = draw(
        st.lists(
            st.lists(
                CELLS, min_size=1 if ragged else width, max_size=width + 1 if ragged else width
            ),
            max_size=12,
        )
    )
    return header, rows, draw(st.booleans())


def _write_csv(path: Path, header: list[str], rows: list[list[str]], quoted: bool) -> None:
    if quoted:  # a well-formed CSV of odd values
        with path.open("w", encoding="utf-8", newline="") as handle:
            # QUOTE_ALL and an escape character: Python 3.10 cannot write a NUL otherwise
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL, escapechar="\\")
            writer.writerows([header, *rows])
    else:  # joined by hand: stray quotes, commas and line breaks break the shape
        text = "\n".join(",".join(row) for row in [header, *rows])
        path.write_bytes(text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(table=tables(), attribute=NAMES, decision=NAMES)
def test_random_csvs_never_crash(folder: Path, table, attribute: str, decision: str) -> None:
    header, rows, quoted = table
    path = folder / "table.csv"
    _write_csv(path, header, rows, quoted)
    _check(["audit", str(path), "-a", attribute, "--selected", decision, "--quiet"])
    _check(["audit", str(path), "-a", attribute, "--score", decision, "--threshold", "0.5", "-q"])


@SETTINGS
@given(rows=st.lists(st.tuples(CELLS, CELLS, CELLS), min_size=1, max_size=20))
def test_random_values_under_the_expected_header_never_crash(folder: Path, rows) -> None:
    """The header is right, so the values themselves reach the audit's checks."""
    path = folder / "values.csv"
    _write_csv(path, ["sex", "selected", "score"], [list(r) for r in rows], quoted=True)
    _check(["audit", str(path), "-a", "sex", "--selected", "selected", "--quiet"])
    _check(["audit", str(path), "-a", "sex", "--score", "score", "--threshold", "0.5", "-q"])
    _check(["audit", str(path), "-a", "sex", "--score", "score", "--top-k", "2", "--quiet"])


# -- a real result with one field replaced, and audits that succeed on odd group values ---------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _leaves(value, path=()):
    """Every path into a JSON document (objects and lists), the document's own first."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            yield from _leaves(item, (*path, index))


RESULT = json.loads(GOLDEN.read_text(encoding="utf-8"))
PATHS = [p for p in _leaves(RESULT) if p]


@SETTINGS
@given(where=st.sampled_from(PATHS), value=JSON_VALUES, drop=st.booleans())
def test_a_damaged_result_never_crashes(folder: Path, where, value, drop: bool) -> None:
    document = json.loads(json.dumps(RESULT))
    parent = document
    for key in where[:-1]:
        parent = parent[key]
    if drop and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = value
    path = folder / "damaged.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    outputs = ["--markdown", str(folder / "r.md"), "--html", str(folder / "r.html")]
    _check(["report", str(path), *outputs, "--csv", str(folder / "r.csv")])
    _check(["compare", str(path), str(GOLDEN), "--markdown", str(folder / "c.md")])


GROUPS = st.sampled_from(["F", "M", "", " ", "NA", "x" * 3000, "\x1b]0;pwned\x07", "=1+1", "a\rb"])


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(
            GROUPS, st.sampled_from(["0", "1", "1", "0", ""]), st.floats(-1e6, 1e6).map(repr)
        ),
        min_size=2,
        max_size=30,
    )
)
def test_audits_of_odd_group_values_write_every_output_or_refuse(folder: Path, rows) -> None:
    path = folder / "groups.csv"
    _write_csv(path, ["sex", "selected", "score"], [list(r) for r in rows], quoted=True)
    outputs = [f"--{kind}" for kind in ("html", "markdown", "csv", "json")]
    files = [str(folder / f"out.{kind}") for kind in ("html", "md", "csv", "json")]
    written = [x for pair in zip(outputs, files) for x in pair]
    _check(["audit", str(path), "-a", "sex", "--selected", "selected", *written])
    _check(["audit", str(path), "-a", "sex", "--score", "score", "--top-fraction", "0.5", "-q"])
