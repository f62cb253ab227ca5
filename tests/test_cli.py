"""The ``biasaudit`` command end to end, through a subprocess (DESIGN conventions 7 and 8).

Every command line of this module starts at once in a module-scoped fixture (each
process spends ~2 s importing pandas and scipy), and the tests read the results.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import biasaudit
from biasaudit import _errors as E
from biasaudit.cli import build_parser, flag_names, in_cli_words

SCHEMA = Path(biasaudit.__file__).parent / "schema" / "audit-result.schema.json"
BLACK = "Black or African American"
TIMESTAMP = re.compile(r'"timestamp": "[^"]*"')

# name -> (arguments after "biasaudit", PYTHONHASHSEED)
COMMANDS: dict[str, tuple[list[str], str]] = {
    "example": (["audit", "--example", "resume-study", "--json", "out.json"], "1"),
    "json_stdout": (["audit", "--example", "resume-study", "--json", "-"], "2"),
    "version": (["--version"], "0"),
    "missing_file": (["audit", "nope.csv", "-a", "g", "--selected", "hired"], "0"),
    "missing_column": (["audit", "pool.csv", "-a", "race", "--selected", "hired"], "0"),
    "not_binary": (["audit", "pool.csv", "-a", "g", "--selected", "stage"], "0"),
    "conflicting": (
        ["audit", "pool.csv", "-a", "g", "--selected", "hired", "--score", "s", "--top-k", "2"],
        "0",
    ),
    "no_data": (["audit", "-a", "g", "--selected", "hired"], "0"),
    "bad_option": (["audit", "pool.csv", "-a", "g", "--selected", "hired", "--frobnicate"], "0"),
}


def _run(args: list[str], seed: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "biasaudit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    pd.DataFrame(
        {
            "g": ["a", "b", "a", "b", "a", "b"],
            "hired": [1, 0, 1, 1, 0, 0],
            "stage": [0, 1, 2, 1, 3, 0],
            "s": [0.9, 0.1, 0.5, 0.7, 0.2, 0.4],
        }
    ).to_csv(path / "pool.csv", index=False)
    return path


@pytest.fixture(scope="module")
def runs(workdir: Path) -> dict[str, subprocess.CompletedProcess]:
    with ThreadPoolExecutor(max_workers=len(COMMANDS)) as pool:
        futures = {
            name: pool.submit(_run, args, seed, workdir) for name, (args, seed) in COMMANDS.items()
        }
        return {name: future.result() for name, future in futures.items()}


def _table(stdout: str, title: str) -> list[str]:
    """The rows of the summary table whose heading starts with ``title``."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{title}  ("))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start + 1 : end]


def test_example_audit_prints_the_race_table(runs) -> None:
    run = runs["example"]
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    rows = _table(run.stdout, "race")
    assert rows[0].split()[:2] == ["group", "n"]
    black = next(r for r in rows if r.startswith(BLACK + " "))
    white = next(r for r in rows if r.startswith("White "))
    assert black.rstrip().endswith("  adverse impact")
    assert white.rstrip().endswith("  comparison group")
    assert black.split()[4:6] == ["2435", "157"]  # n and callbacks of the published study


def test_json_file_is_written_and_holds_the_same_verdict(runs, workdir: Path) -> None:
    assert runs["example"].returncode == 0
    data = json.loads((workdir / "out.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == biasaudit.SCHEMA_VERSION
    race = {tuple(g["group"]): g for g in data["groups"] if g["attribute"] == ["race"]}
    assert race[(BLACK,)]["verdict"] == "adverse impact"
    assert race[(BLACK,)]["n"] == 2435
    assert race[(BLACK,)]["selected"] == 157
    assert race[("White",)]["verdict"] == "comparison group"
    assert data["provenance"]["rows"]["total"] == 4870


def test_json_validates_against_the_schema(runs, workdir: Path) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA.name} is not written yet")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    for text in ((workdir / "out.json").read_text(encoding="utf-8"), runs["json_stdout"].stdout):
        errors = sorted(validator.iter_errors(json.loads(text)), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_json_to_stdout_writes_only_json(runs) -> None:
    run = runs["json_stdout"]
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    data = json.loads(run.stdout)
    assert data["schema_version"] == biasaudit.SCHEMA_VERSION
    assert run.stdout.startswith("{") and run.stdout.endswith("}\n")


def test_two_runs_give_identical_json_apart_from_the_timestamp(runs, workdir: Path) -> None:
    # The two runs use different PYTHONHASHSEED values, so set or dict-of-hash
    # ordering cannot hide behind a fixed seed.
    first = (workdir / "out.json").read_text(encoding="utf-8")
    second = runs["json_stdout"].stdout
    assert len(TIMESTAMP.findall(first)) == len(TIMESTAMP.findall(second)) == 1
    assert TIMESTAMP.sub('"timestamp": ""', first) == TIMESTAMP.sub('"timestamp": ""', second)


def test_version(runs) -> None:
    run = runs["version"]
    assert run.returncode == 0
    assert run.stdout == f"biasaudit {biasaudit.__version__}\n"


def _error_cases() -> dict[str, str]:
    return {
        "missing_file": E.PATH_NOT_FOUND.format(path="nope.csv"),
        "missing_column": E.MISSING_COLUMN.format(
            column="race", present=["g", "hired", "stage", "s"], role="attributes"
        ),
        "not_binary": E.NOT_BINARY.format(column="stage", role="selected", values=[2, 3]),
        "conflicting": E.CONFLICTING_RULES.format(rules=["top_k", "selected"]),
        "no_data": E.NO_DATA,
    }


@pytest.mark.parametrize(
    "name", ["missing_file", "missing_column", "not_binary", "conflicting", "no_data"]
)
def test_input_errors_exit_2_with_one_line_and_no_traceback(runs, name: str) -> None:
    run = runs[name]
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    message = in_cli_words(_error_cases()[name], flag_names(build_parser()[0], "audit"))
    assert run.stderr == f"biasaudit: error: {message}\n"
    assert run.stdout == ""


def test_error_message_in_full(runs) -> None:
    assert runs["missing_file"].stderr == (
        "biasaudit: error: File 'nope.csv' does not exist. Check the path.\n"
    )
    assert runs["no_data"].stderr == (
        "biasaudit: error: No data given. Pass a CSV or Parquet file, or --example resume-study.\n"
    )


def test_bad_option_exits_2_with_one_line_and_no_traceback(runs) -> None:
    run = runs["bad_option"]
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    assert run.stderr == (
        "biasaudit: error: unrecognized arguments: --frobnicate (see 'biasaudit --help')\n"
    )
    # Convention 7 and the parser's own docstring: a one-line message, no usage block.
    assert run.stderr.count("\n") == 1, run.stderr
