"""Inputs that used to be audited silently are refused with one message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import ValidationError
from biasaudit.cli import main


def test_a_csv_header_naming_a_column_twice_is_refused(tmp_path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("sex,sex,hired\nF,M,1\nM,F,0\nF,F,1\nM,M,0\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        biasaudit.audit(str(path), attributes=["sex"], selected="hired")
    assert "names column(s) ['sex'] more than once" in str(info.value)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_an_attribute_that_is_also_a_role_is_refused(engine) -> None:
    frame = pd.DataFrame({"hired": [0, 1] * 10, "sex": ["F", "M"] * 10})
    data = frame if engine == "pandas" else pytest.importorskip("duckdb").from_df(frame)
    with pytest.raises(ValidationError) as info:
        biasaudit.audit(data, attributes=["hired"], selected="hired")
    assert str(info.value).startswith(
        "Column 'hired' is both a protected attribute and the selected column"
    )


@pytest.mark.parametrize("blank", ["", "  ", None])
def test_blank_job_ids_are_refused(blank) -> None:
    frame = pd.DataFrame(
        {
            "sex": ["F", "M"] * 10,
            "score": np.arange(20.0),
            "job": ["a"] * 9 + [blank] + ["b"] * 10,
        }
    )
    with pytest.raises(ValidationError) as info:
        biasaudit.audit(frame, attributes=["sex"], score="score", job="job", top_k=2)
    assert str(info.value).startswith("Job column 'job' has 1 blank or missing value(s)")


def test_the_cli_refuses_the_attribute_as_the_decision(tmp_path, capsys) -> None:
    path = tmp_path / "pool.csv"
    pd.DataFrame({"hired": [0, 1] * 10}).to_csv(path, index=False)
    assert main(["audit", str(path), "-a", "hired", "--selected", "hired"]) == 2
    err = capsys.readouterr().err
    assert "is both a protected attribute and the selected column" in err
    assert "--attribute COL" in err and "Traceback" not in err


def test_an_attribute_with_no_known_group_says_so() -> None:
    frame = pd.DataFrame({"sex": [None, "Unknown"] * 10, "hired": [0, 1] * 10})
    with pytest.raises(ValidationError) as info:
        biasaudit.audit(frame, attributes=["sex"], selected="hired")
    assert str(info.value).startswith("Attribute 'sex' has no known group")


def test_a_file_and_an_example_together_are_refused(tmp_path, capsys) -> None:
    path = tmp_path / "pool.csv"
    pd.DataFrame({"sex": ["F", "M"], "hired": [0, 1]}).to_csv(path, index=False)
    assert main(["audit", str(path), "--example", "resume-study", "--quiet"]) == 2
    assert "Both a data file" in capsys.readouterr().err
