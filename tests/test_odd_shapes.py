"""Odd shapes stay bounded: very many groups are refused, warnings stay short."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import _errors as E
from biasaudit.cli import main


@pytest.fixture(scope="module")
def many_groups() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 20_000
    return pd.DataFrame(
        {
            "name": [f"person {i}" for i in range(n)],  # an id named as an attribute
            "sex": rng.choice(["F", "M"], n),
            "hired": rng.integers(0, 2, n),
        }
    )


def test_too_many_groups_is_refused(many_groups: pd.DataFrame) -> None:
    with pytest.raises(E.ValidationError) as info:
        biasaudit.audit(many_groups, attributes=["name"], selected="hired")
    assert str(info.value) == E.TOO_MANY_GROUPS.format(
        attributes=["name"], count=20_000, limit=1000
    )


def test_crossed_table_counts_every_combination(many_groups: pd.DataFrame) -> None:
    data = many_groups.assign(band=many_groups.index % 600)
    with pytest.raises(E.ValidationError, match=r"\['band', 'sex'\] make a table of 1,200"):
        biasaudit.audit(data, attributes=["band", "sex"], selected="hired")
    result = biasaudit.audit(data, attributes=["band", "sex"], selected="hired", max_groups=1200)
    assert len(result.groups_frame()) > 1200


def test_limit_is_validated() -> None:
    frame = pd.DataFrame({"sex": ["F", "M"] * 5, "hired": [0, 1] * 5})
    with pytest.raises(E.ValidationError, match=r"max_groups must be an integer >= 1; got 0"):
        biasaudit.audit(frame, attributes=["sex"], selected="hired", max_groups=0)


def test_cli_refuses_in_flag_words(many_groups: pd.DataFrame, tmp_path, capsys) -> None:
    path = tmp_path / "pool.csv"
    many_groups.to_csv(path, index=False)
    html = tmp_path / "report.html"
    assert main(["audit", str(path), "-a", "name", "--selected", "hired", "--html", str(html)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("biasaudit: error: Attribute(s) ['name'] make a table of 20,000 groups")
    assert "--max-groups N" in err and "Traceback" not in err
    assert not html.exists()
    assert main(["audit", str(path), "-a", "sex", "--selected", "hired", "--max-groups", "0"]) == 2
    assert "--max-groups must be an integer >= 1; got 0" in capsys.readouterr().err


def test_empty_cells_warning_is_summarised() -> None:
    # 300 bands x 2 sexes, but every band has one sex only: 300 empty crossed cells
    band = np.repeat(np.arange(300), 4)
    frame = pd.DataFrame(
        {"band": band, "sex": np.where(band % 2 == 0, "F", "M"), "hired": np.tile([0, 1], 600)}
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        biasaudit.audit(frame, attributes=["band", "sex"], selected="hired")
    messages = [str(w.message) for w in caught if "no candidates" in str(w.message)]
    assert len(messages) == 1
    assert messages[0].startswith("Attribute ['band', 'sex']: groups [['0', 'M'], ['1', 'F'],")
    assert "and 295 more] have no candidates" in messages[0]
    assert len(messages[0]) < 300
