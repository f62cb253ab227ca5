"""The bad-input catalogue: every plausible mistake ends in exit 2 and one clear line.

A module-scoped folder holds realistic inputs (a synthetic pool as CSV and Parquet, a
ranked pool, jobs files, saved JSON results, a gate configuration and its baseline)
and the broken files the cases need. Each case runs ``biasaudit.cli.main(argv)`` in
that folder and checks: exit code 2 (argparse usage errors included), no traceback
and no exception escaping, exactly one line on stderr in the catalogue's shape
("biasaudit: error: ..." or "biasaudit <command>: error: ..."), nothing on stdout,
the message's key words (what is wrong, the value, the fix), no Python parameter
words such as ``score=`` for a flag-set parameter, and no file created or changed.

A case marked xfail fails today in a module another change owns (issue 13); the mark
comes off when that change lands.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import ValidationError
from biasaudit.cli import build_parser, flag_names, main
from biasaudit.synth import make_pool

ROOT = Path(__file__).resolve().parents[1]
PARSER = build_parser()[0]
COMMANDS = ("audit", "report", "compare", "synth", "counterfactual", "gate")

GATE_TOML = """\
attributes = ["sex"]
alpha = 0.05
[pool]
path = "pool.csv"
id = "candidate_id"
score = "score"
[decision]
threshold = {threshold}
[policy]
thresholds = {{ impact_ratio = 0.8 }}
min_group_size = 10
[baseline]
path = "baseline.json"
"""
SCORER = "def score(candidates, job):\n    return candidates['years_experience'] / 40\n"


#: Saved results with one field damaged, as a hand edit or a truncated merge leaves them.
DAMAGED = {
    "no_rule.json": lambda d: d["provenance"]["configuration"]["decision"].pop("rule"),
    "bad_comparison.json": lambda d: d["tables"][0].update(comparison_groups="x"),
    "short_interval.json": lambda d: d["groups"][0].update(selection_rate_ci=[]),
    "no_groups.json": lambda d: d.update(groups=[]),
    "no_comparison_group.json": lambda d: d["groups"][0].pop("comparison_group"),
}


def _csv(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / name, index=False)


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse usage errors exit 2 through SystemExit
        return exc.code if isinstance(exc.code, int) else 1


def _build(folder: Path) -> None:
    """The realistic inputs, and the broken ones the cases name."""
    pool = make_pool(240, jobs=3, seed=13)
    frame = pool.data
    threshold = float(frame["score"].median())
    frame.to_csv(folder / "pool.csv", index=False)
    frame.to_parquet(folder / "pool.parquet", index=False)
    ranked = frame.assign(
        rank=frame.groupby("job_id", observed=True)["score"].rank(ascending=False, method="first")
    )
    _csv(folder, "ranked.csv", ranked.drop(columns="resume_text"))
    jobs = [
        {
            "id": j.id,
            "title": j.title,
            "description": j.description,
            "required_skills": "; ".join(j.required_skills),
        }
        for j in pool.jobs
    ]
    (folder / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    pd.DataFrame(jobs).to_csv(folder / "jobs.csv", index=False)
    (folder / "scorer.py").write_text(SCORER, encoding="utf-8")
    # saved results, a gate configuration and its baseline, as the guides describe
    small = frame.drop(columns="resume_text")
    for name, attribute in (("result.json", "sex"), ("result_race.json", "race")):
        args = ["audit", "pool.csv", "-a", attribute, "--selected", "selected"]
        assert _run([*args, "--json", str(folder / name), "--quiet"]) == 0
    (folder / "biasaudit.toml").write_text(GATE_TOML.format(threshold=threshold), encoding="utf-8")
    assert _run(["baseline", "update", "--quiet"]) == 0
    assert _run(["gate", "--quiet", "--json", "gate_run.json"]) == 0
    # the broken files
    (folder / "adir").mkdir()
    (folder / "csvdir").mkdir()
    _csv(folder / "csvdir", "part1.csv", small.head(20))
    (folder / "empty.csv").write_bytes(b"")
    (folder / "empty.json").write_bytes(b"")
    (folder / "header.csv").write_text("candidate_id,sex,selected,score\n", encoding="utf-8")
    (folder / "garbage.csv").write_bytes(bytes(range(256)) * 4 + b"\x00\xff" * 300)
    (folder / "garbage.parquet").write_bytes(b"PAR1" + bytes(range(200)))
    (folder / "pool.txt").write_text((folder / "pool.csv").read_text(encoding="utf-8"))
    (folder / "pool.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    latin = "candidate_id,sex,name,selected\n" + "".join(
        f"{i},{'F' if i % 2 else 'M'},M\u00fcller \u00c9l\u00e8ve,{i % 3 == 0:d}\n"
        for i in range(40)
    )
    (folder / "latin1.csv").write_bytes(latin.encode("latin-1"))
    dup = small[["candidate_id", "sex", "race", "selected"]].rename(columns={"race": "sex"})
    _csv(folder, "dup_header.csv", dup)
    (folder / "semicolon.csv").write_text(
        "candidate_id;sex;selected\n" + "".join(f"{i};F;{i % 2}\n" for i in range(40)),
        encoding="utf-8",
    )
    rows = len(small)
    _csv(folder, "decision_two.csv", small.assign(selected=np.arange(rows) % 3))
    _csv(
        folder,
        "decision_yes.csv",
        small.assign(selected=np.where(np.arange(rows) % 2, "yes", "no")),
    )
    _csv(
        folder,
        "decision_blank.csv",
        small.assign(selected=small["selected"].where(np.arange(rows) != 7)),
    )
    score_text = small.astype({"score": object})
    score_text.loc[11, "score"] = "high"
    _csv(folder, "score_text.csv", score_text)
    _csv(
        folder,
        "score_nan.csv",
        small.assign(score=np.where(np.arange(rows) % 5 == 0, np.nan, small["score"])),
    )
    _csv(
        folder,
        "score_inf.csv",
        small.assign(score=np.where(np.arange(rows) == 3, np.inf, small["score"])),
    )
    _csv(folder, "one_group.csv", small.assign(sex="Female"))
    _csv(folder, "all_unknown.csv", small.assign(sex=""))
    blank_job = small.astype({"job_id": object})
    blank_job.loc[[4, 9], "job_id"] = ""
    _csv(folder, "blank_job.csv", blank_job)
    blank_id = small.astype({"candidate_id": object})
    blank_id.loc[5, "candidate_id"] = None
    _csv(folder, "blank_id.csv", blank_id)
    rank_text = ranked.drop(columns="resume_text").astype({"rank": object})
    rank_text.loc[2, "rank"] = "first"
    _csv(folder, "rank_text.csv", rank_text)
    # configuration files
    (folder / "bad.toml").write_text(
        'attributes = ["sex"\n[pool\npath = "pool.csv"\n', encoding="utf-8"
    )
    (folder / "types.toml").write_text(
        GATE_TOML.format(threshold=threshold).replace("alpha = 0.05", 'alpha = "five percent"'),
        encoding="utf-8",
    )
    (folder / "typo.toml").write_text(
        GATE_TOML.format(threshold=threshold).replace("min_group_size", "minimum_group_size"),
        encoding="utf-8",
    )
    (folder / "nopool.toml").write_text(
        GATE_TOML.format(threshold=threshold).replace(
            'path = "pool.csv"', 'path = "eval/pool.csv"'
        ),
        encoding="utf-8",
    )
    (folder / "two_rules.toml").write_text(
        GATE_TOML.format(threshold=threshold).replace("[decision]\n", "[decision]\ntop_k = 5\n"),
        encoding="utf-8",
    )
    (folder / "nobaseline.toml").write_text(
        GATE_TOML.format(threshold=threshold).split("[baseline]")[0], encoding="utf-8"
    )
    (folder / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (folder / "map_types.toml").write_text("[columns]\nsex = 5\n", encoding="utf-8")
    (folder / "map_missing.toml").write_text('[columns]\nsex = "gender"\n', encoding="utf-8")
    (folder / "map_table.toml").write_text('[colums]\nsex = "sex"\n', encoding="utf-8")
    # JSON that is not a result
    (folder / "notresult.json").write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    (folder / "list.json").write_text("[1, 2, 3]", encoding="utf-8")
    (folder / "truncated.json").write_text(
        (folder / "result.json").read_text(encoding="utf-8")[:500], encoding="utf-8"
    )
    future = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    future["schema_version"] = "99.0"
    (folder / "future.json").write_text(json.dumps(future), encoding="utf-8")
    for name, damage in DAMAGED.items():
        document = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        damage(document)
        (folder / name).write_text(json.dumps(document), encoding="utf-8")
    (folder / "jobs_bad.json").write_text('[{"id": "J001", "title": ', encoding="utf-8")
    (folder / "jobs_noid.csv").write_text("title,description\nNurse,Care\n", encoding="utf-8")
    (folder / "cache.db").write_text("not a database\n", encoding="utf-8")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The inputs, built once; never run in (a case that writes over one spoils no other)."""
    path = tmp_path_factory.mktemp("catalogue")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(path)
        mp.delenv("GITHUB_STEP_SUMMARY", raising=False)
        _build(path)
    return path


@pytest.fixture(scope="module")
def folder(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the inputs that the cases run in."""
    path = tmp_path_factory.mktemp("work") / "catalogue"
    shutil.copytree(pristine, path)
    return path


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "folder"
        for p in sorted(folder.rglob("*"))
        if "__pycache__" not in p.parts
    }


def case(id: str, command: str, words: str | list[str], stdout: bool = False, xfail: str = ""):
    """One row: the command line (split as a shell would), the words its message must hold
    (substrings, or one regex), whether it writes to stdout by design, why it fails today."""
    marks = [pytest.mark.xfail(strict=True, reason=f"issue 13: {xfail}")] if xfail else []
    return pytest.param(shlex.split(command), words, stdout, id=id, marks=marks)


OWNED_LOADERS = "biasaudit/loaders, _io.py or the JSON-result reader"
LEAD = "biasaudit/cli/__init__.py or biasaudit/audit.py"
READER = "the JSON-result reader does not check the field, and the report crashes"

CALLABLE = "--matcher callable --matcher-option func=scorer:score"
NAMES = f"--first-name-column first_name --last-name-column last_name {CALLABLE}"
CF = f"counterfactual pool.csv {NAMES}"
MATCH = "--matcher tfidf --jobs jobs.json --job job_id --top-k 5"
SEL = "audit pool.csv -a sex --selected selected"
SCORE = "audit pool.csv -a sex --score score"

CASES = [
    # -- audit
    case(
        "audit-missing-file",
        "audit nope.csv -a sex --selected selected",
        words=["'nope.csv'", "does not exist", "Check the path"],
    ),
    case(
        "audit-no-data",
        "audit -a sex --selected selected",
        words=["No data given", "--example resume-study"],
    ),
    case(
        "audit-empty-path",
        "audit '' -a sex --selected selected",
        words="''.*(empty|path)",
    ),
    case(
        "audit-empty-file",
        "audit empty.csv -a sex --selected selected",
        words=["'empty.csv'", "as CSV", "valid CSV"],
    ),
    case(
        "audit-header-only",
        "audit header.csv -a sex --selected selected",
        words=["no rows", "at least one candidate"],
    ),
    case(
        "audit-binary-garbage",
        "audit garbage.csv -a sex --selected selected",
        words=["'garbage.csv'", "as CSV", "valid CSV"],
    ),
    case(
        "audit-wrong-extension",
        "audit pool.txt -a sex --selected selected",
        words=["'pool.txt'", "Cannot tell the format", ".csv", ".parquet"],
    ),
    case(
        "audit-excel",
        "audit pool.xlsx -a sex --selected selected",
        words=["'pool.xlsx'", "Excel", "Save the sheet as CSV"],
    ),
    case(
        "audit-not-utf8",
        "audit latin1.csv -a sex --selected selected",
        words=["'latin1.csv'", "utf-8", "valid CSV"],
    ),
    case(
        "audit-duplicate-header",
        "audit dup_header.csv -a sex --selected selected",
        words=["'dup_header.csv'", "['sex'] more than once", "distinct name"],
    ),
    case(
        "audit-semicolon-csv",
        "audit semicolon.csv -a sex --selected selected",
        words=["'sex' is not in the pool", "candidate_id;sex;selected", "--attribute"],
    ),
    case(
        "audit-folder-of-csv",
        "audit csvdir -a sex --selected selected",
        words=["'csvdir'", "no .parquet file", "'part1.csv'", "give the path of one"],
    ),
    case(
        "audit-empty-folder",
        "audit adir -a sex --selected selected",
        words=["'adir' holds no data", "Put the Parquet files there"],
    ),
    case(
        "audit-garbage-parquet",
        "audit garbage.parquet -a sex --selected selected",
        words=["'garbage.parquet'", "as Parquet", "valid Parquet"],
    ),
    case(
        "audit-example-and-data",
        "audit pool.csv --example resume-study",
        words=["'pool.csv'", "--example resume-study", "Drop the file"],
    ),
    case(
        "audit-unknown-example",
        "audit --example resume --quiet",
        words=["--example", "'resume'", "resume-study"],
    ),
    case(
        "audit-two-data-files",
        "audit pool.csv pool.parquet -a sex --selected selected",
        words=["unrecognized arguments: pool.parquet", "--help"],
    ),
    case(
        "audit-unknown-flag",
        f"{SEL} --frobnicate",
        words=["--frobnicate", "--help"],
    ),
    case(
        "audit-missing-attribute",
        "audit pool.csv -a gender --selected selected",
        words=["'gender' is not in the pool", "'sex'", "--attribute"],
    ),
    case(
        "audit-attribute-wrong-case",
        "audit pool.csv -a Sex --selected selected",
        words=["'Sex' is not in the pool", "'sex'"],
    ),
    case(
        "audit-blank-attribute-name",
        "audit pool.csv -a '' --selected selected",
        words=["Column '' is not in the pool", "--attribute"],
    ),
    case(
        "audit-no-attribute",
        "audit pool.csv --selected selected",
        words=["No protected attribute", "--attribute COL"],
    ),
    case(
        "audit-attribute-twice",
        f"{SEL} -a sex",
        words=["'sex' is named twice", "--attribute"],
    ),
    case(
        "audit-attribute-is-decision",
        "audit pool.csv -a selected --selected selected",
        words=[
            "'selected' is both a protected attribute and the selected column",
            "--attribute COL",
        ],
    ),
    case(
        "audit-attribute-is-score",
        "audit pool.csv -a score --score score --threshold 50",
        words=["'score' is both a protected attribute and the score column"],
    ),
    case(
        "audit-attribute-is-label",
        f"{SEL} --label sex",
        words=["'sex'", "label column"],
    ),
    case(
        "audit-attribute-is-job",
        f"{SEL} --job sex",
        words=["'sex'", "job column"],
    ),
    case(
        "audit-attribute-is-id",
        f"{SEL} --id sex",
        words=["'sex'", "id column"],
    ),
    case(
        "audit-missing-selected",
        "audit pool.csv -a sex --selected hired",
        words=["'hired' is not in the pool", "--selected"],
    ),
    case(
        "audit-missing-score",
        "audit pool.csv -a sex --score points --threshold 50",
        words=["'points' is not in the pool", "--score"],
    ),
    case(
        "audit-missing-job",
        f"{SCORE} --job requisition --top-k 3",
        words=["'requisition' is not in the pool", "--job"],
    ),
    case(
        "audit-missing-label",
        f"{SEL} --label qualified_flag",
        words=["'qualified_flag' is not in the pool", "--label"],
    ),
    case(
        "audit-missing-id",
        f"{SEL} --id cid",
        words=["'cid' is not in the pool", "--id"],
    ),
    case(
        "audit-duplicate-ids",
        f"{SEL} --id job_id",
        words=["'job_id'", "duplicated", "'J001'", "unique"],
    ),
    case(
        "audit-blank-ids",
        "audit blank_id.csv -a sex --selected selected --id candidate_id",
        words=["Id column 'candidate_id'", "1 blank", "6", "Fill in those ids"],
    ),
    case(
        "audit-no-decision",
        "audit pool.csv -a sex",
        words=["No decision to audit", "--selected COL", "--score COL"],
    ),
    case(
        "audit-threshold-without-score",
        "audit pool.csv -a sex --threshold 50",
        words=["threshold rule needs scores", "--score COLUMN"],
    ),
    case(
        "audit-two-rules",
        f"{SEL} --score score --threshold 50",
        words=["Only one decision rule", "'threshold', 'selected'", "--top-k"],
    ),
    case(
        "audit-threshold-and-top-k",
        f"{SCORE} --threshold 50 --top-k 3",
        words=["--top-k", "not allowed with", "--threshold"],
    ),
    case(
        "audit-threshold-not-a-number",
        f"{SCORE} --threshold high",
        words=["--threshold", "invalid float value: 'high'"],
    ),
    case(
        "audit-threshold-nan",
        f"{SCORE} --threshold nan",
        words=["--threshold must be a finite number", "nan", "--threshold 0.5"],
    ),
    case(
        "audit-threshold-inf",
        f"{SCORE} --threshold inf",
        words=["--threshold", "got inf"],
    ),
    case(
        "audit-top-k-zero",
        f"{SCORE} --top-k 0",
        words=["--top-k must be an integer >= 1", "got 0", "--top-k 10"],
    ),
    case(
        "audit-top-k-fraction",
        f"{SCORE} --top-k 2.5",
        words=["--top-k", "invalid int value: '2.5'"],
    ),
    case(
        "audit-top-fraction-above-1",
        f"{SCORE} --top-fraction 1.5",
        words=["--top-fraction must be a number in (0, 1]", "1.5", "--top-fraction 0.1"],
    ),
    case(
        "audit-top-fraction-zero",
        f"{SCORE} --top-fraction 0",
        words=["--top-fraction", "got 0.0"],
    ),
    case(
        "audit-top-fraction-percent",
        f"{SCORE} --top-fraction 30%",
        words=["--top-fraction", "'30%'"],
    ),
    case(
        "audit-per-job-with-threshold",
        f"{SCORE} --threshold 50 --per-job",
        words=["--per-job", "--top-fraction"],
    ),
    case(
        "audit-decision-not-binary",
        "audit decision_two.csv -a sex --selected selected",
        words=["'selected'", "binary", "[2]", "Recode it to 0/1"],
    ),
    case(
        "audit-decision-yes-no",
        "audit decision_yes.csv -a sex --selected selected",
        words=["'selected'", "binary", "'yes'", "Recode"],
    ),
    case(
        "audit-decision-blank",
        "audit decision_blank.csv -a sex --selected selected",
        words=["'selected'", "1 missing", "[8]", "Drop or fill"],
    ),
    case(
        "audit-decision-is-score",
        "audit pool.csv -a sex --selected score",
        words=["'score' (selected) must be binary", "Recode"],
    ),
    case(
        "audit-label-not-binary",
        f"{SEL} --label job_title",
        words=["'job_title' (label)", "'Data Analyst'", "Recode"],
    ),
    case(
        "audit-score-with-text",
        "audit score_text.csv -a sex --score score --threshold 50",
        words=["'score'", "must hold numbers", "row 12: 'high'", "Fix or remove"],
    ),
    case(
        "audit-score-is-text-column",
        "audit pool.csv -a sex --score sex --threshold 1",
        words=["'sex' (score) must hold numbers", "'Male'"],
    ),
    case(
        "audit-nan-scores",
        "audit score_nan.csv -a sex --score score --threshold 50",
        words=["'score'", "48 NaN", "[1, 6, 11", "Drop or impute"],
    ),
    case(
        "audit-infinite-score",
        "audit score_inf.csv -a sex --score score --top-k 5 --job job_id",
        words=["'score'", "infinite", "[4]"],
    ),
    case(
        "audit-blank-job-ids",
        "audit blank_job.csv -a sex --score score --job job_id --top-k 3",
        words=["Job column 'job_id'", "2 blank", "[5, 10]", "Fill in the job"],
    ),
    case(
        "audit-ranking-without-job",
        f"{SCORE} --ranking",
        words=["needs a job column", "--job COLUMN"],
    ),
    case(
        "audit-ranking-k-zero",
        f"{SCORE} --job job_id --ranking-k 0",
        words=["--ranking-k", "positive integers like 10,20", "'0'"],
    ),
    case(
        "audit-ranking-k-text",
        f"{SCORE} --job job_id --ranking-k ten",
        words=["--ranking-k", "'ten'"],
    ),
    case(
        "audit-ranking-k-list-with-zero",
        f"{SCORE} --job job_id --ranking-k 5,0",
        words=["'5,0'"],
    ),
    case(
        "audit-missing-rank",
        "audit ranked.csv -a sex --score score --job job_id --rank position --ranking",
        words=["'position' is not in the pool", "--rank"],
    ),
    case(
        "audit-rank-with-text",
        "audit rank_text.csv -a sex --score score --job job_id --rank rank --ranking",
        words=["'rank' (rank) must hold numbers", "row 3: 'first'"],
    ),
    case(
        "audit-rank-decides-nothing",
        "audit ranked.csv -a sex --job job_id --rank rank --ranking",
        words=["rank column orders the candidates but decides nothing", "--top-k K"],
    ),
    case(
        "audit-intersection-not-audited",
        f"{SEL} --intersection sex,race",
        words=["Intersection attribute 'race'", "['sex']", "--attribute COL"],
    ),
    case(
        "audit-intersection-twice",
        f"{SEL} -a race --intersection sex,sex",
        words=["'sex' is named twice"],
    ),
    case(
        "audit-intersection-plus",
        f"{SEL} -a race --intersection sex+race",
        words=["'sex+race'", "--intersection A,B"],
    ),
    case(
        "audit-intersection-trailing-comma",
        f"{SEL} -a race --intersection sex,",
        words=["Intersection attribute ''", "--intersection A,B"],
    ),
    case(
        "audit-intersection-of-one",
        f"{SEL} -a race --intersection sex",
        words=["--intersection", "'sex'"],
    ),
    case(
        "audit-reference-no-equals",
        f"{SEL} --reference-group sex",
        words=["--reference-group", "ATTRIBUTE=VALUE", "'sex'"],
    ),
    case(
        "audit-reference-unknown-group",
        f"{SEL} --reference-group sex=Other",
        words=["'Other' is not a known group", "['Female', 'Male']", "--reference-group sex="],
    ),
    case(
        "audit-reference-wrong-case",
        f"{SEL} --reference-group sex=female",
        words=["'female'", "['Female', 'Male']"],
    ),
    case(
        "audit-reference-unknown-attribute",
        f"{SEL} --reference-group gender=Female",
        words=["'gender'", "not audited", "['sex']"],
    ),
    case(
        "audit-score-is-selected",
        "audit pool.csv -a sex --score selected --selected selected",
        words=["'selected'", "--score", "--selected", "different columns"],
    ),
    case(
        "audit-reference-twice",
        f"{SEL} --reference-group sex=Female --reference-group sex=Male",
        words=["--reference-group", "'sex'"],
    ),
    case(
        "audit-alpha-one",
        f"{SEL} --alpha 1",
        words=["--alpha must be a number in (0, 1)", "1.0", "--alpha 0.05"],
    ),
    case(
        "audit-alpha-nan",
        f"{SEL} --alpha nan",
        words=["--alpha", "got nan"],
    ),
    case(
        "audit-alpha-negative",
        f"{SEL} --alpha -0.1",
        words=["--alpha", "-0.1"],
    ),
    case(
        "audit-alpha-percent",
        f"{SEL} --alpha 5%",
        words=["--alpha", "'5%'"],
    ),
    case(
        "audit-confidence-percent",
        f"{SEL} --confidence 95",
        words=["--confidence must be a number in (0, 1)", "95.0", "--confidence 0.95"],
    ),
    case(
        "audit-confidence-one",
        f"{SEL} --confidence 1",
        words=["--confidence", "1.0"],
    ),
    case(
        "audit-min-share-one",
        f"{SEL} --min-share 1",
        words=["--min-share must be a number in [0, 1)", "--min-share 0.02"],
    ),
    case(
        "audit-min-share-percent",
        f"{SEL} --min-share 2%",
        words=["--min-share", "'2%'"],
    ),
    case(
        "audit-min-share-nan",
        f"{SEL} --min-share nan",
        words=["--min-share", "nan"],
    ),
    case(
        "audit-max-groups-zero",
        f"{SEL} --max-groups 0",
        words=["--max-groups must be an integer >= 1", "got 0"],
    ),
    case(
        "audit-max-groups-text",
        f"{SEL} --max-groups many",
        words=["--max-groups", "'many'"],
    ),
    case(
        "audit-too-many-groups",
        "audit pool.csv -a candidate_id --selected selected --max-groups 50",
        words=["['candidate_id']", "240 groups", "--max-groups N"],
    ),
    case(
        "audit-unknown-correction",
        f"{SEL} --correction bonferroni",
        words=["--correction", "'bonferroni'", "'holm'"],
    ),
    case(
        "audit-one-group",
        "audit one_group.csv -a sex --selected selected",
        words=["'sex' has only one known group", "['Female']", "two or more groups"],
    ),
    case(
        "audit-all-unknown",
        "audit all_unknown.csv -a sex --selected selected",
        words=["'sex' has no known group", "--mapping FILE"],
    ),
    case(
        "audit-bad-month",
        f"{SEL} --audit-date 2026-13-01",
        words=["--audit-date", "YYYY-MM-DD", "'2026-13-01'"],
    ),
    case(
        "audit-us-date",
        f"{SEL} --distribution-date 01/15/2026",
        words=["--distribution-date", "YYYY-MM-DD", "'01/15/2026'"],
    ),
    case(
        "audit-word-date",
        f"{SEL} --audit-date tomorrow",
        words=["--audit-date", "'tomorrow'"],
    ),
    case(
        "audit-unknown-data-type",
        f"{SEL} --data-type live",
        words=["--data-type", "'live'", "'historical'"],
    ),
    case(
        "audit-title-without-value",
        f"{SEL} --title",
        words=["--title", "expected one argument"],
    ),
    case(
        "audit-unknown-legal-role",
        f"{SEL} --legal-role sex=gender",
        words=["--legal-role must be COL=ROLE", "race/ethnicity", "'sex=gender'"],
    ),
    case(
        "audit-legal-role-no-equals",
        f"{SEL} --legal-role sex",
        words=["--legal-role", "'sex'"],
    ),
    case(
        "audit-legal-role-not-audited",
        f"{SEL} --legal-role region=sex",
        words=["'region'", "--legal-role"],
    ),
    case(
        "audit-missing-mapping",
        "audit pool.csv --selected selected --mapping nomap.toml",
        words=["'nomap.toml' does not exist", "Check the path"],
    ),
    case(
        "audit-mapping-syntax",
        "audit pool.csv --selected selected --mapping bad.toml",
        words=["mapping file 'bad.toml'", "line 2", "[columns]"],
    ),
    case(
        "audit-mapping-types",
        "audit pool.csv --selected selected --mapping map_types.toml",
        words=["'map_types.toml'", "not all text", 'name = "source column"'],
    ),
    case(
        "audit-mapping-missing-column",
        "audit pool.csv --selected selected --mapping map_missing.toml",
        words=["['gender']", "Fix [columns] in 'map_missing.toml'"],
    ),
    case(
        "audit-mapping-unknown-table",
        "audit pool.csv --selected selected --mapping map_table.toml",
        words=["['colums']", "[columns], [categories] and [source]"],
    ),
    case(
        "audit-mapping-is-folder",
        "audit pool.csv --selected selected --mapping adir",
        words=["'adir' is a folder", "mapping file"],
    ),
    case(
        "audit-unknown-matcher",
        "audit pool.csv -a sex --matcher nosuch --top-k 5",
        words=["Unknown matcher 'nosuch'", "'tfidf'", "biasaudit matchers"],
    ),
    case(
        "audit-matcher-without-jobs",
        "audit pool.csv -a sex --matcher tfidf --top-k 5 --job job_id",
        words=["'tfidf'", "no jobs were given", "--jobs FILE"],
    ),
    case(
        "audit-missing-jobs-file",
        "audit pool.csv -a sex --matcher tfidf --jobs nojobs.json --top-k 5 --job job_id",
        words=["'nojobs.json' does not exist"],
    ),
    case(
        "audit-jobs-bad-json",
        "audit pool.csv -a sex --matcher tfidf --jobs jobs_bad.json --top-k 5 --job job_id",
        words=["'jobs_bad.json'", "line 1 column 26", "JSON list of objects"],
    ),
    case(
        "audit-jobs-without-id",
        "audit pool.csv -a sex --matcher tfidf --jobs jobs_noid.csv --top-k 5 --job job_id",
        words=["'jobs_noid.csv'", "no 'id'", "Give every job an id"],
    ),
    case(
        "audit-jobs-is-folder",
        "audit pool.csv -a sex --matcher tfidf --jobs adir --top-k 5 --job job_id",
        words=["'adir' is a folder", "jobs file"],
    ),
    case(
        "audit-jobs-without-matcher",
        f"{SCORE} --jobs jobs.json --top-k 5",
        words=["--jobs given without --matcher", "--matcher NAME"],
    ),
    case(
        "audit-matcher-option-no-equals",
        f"audit pool.csv -a sex {MATCH} --matcher-option ngram_max",
        words=["--matcher-option", "KEY=VALUE", "'ngram_max'"],
    ),
    case(
        "audit-matcher-unknown-option",
        f"audit pool.csv -a sex {MATCH} --matcher-option colour=blue",
        words=["'tfidf'", "['colour']", "'ngram_max'"],
    ),
    case(
        "audit-matcher-missing-module",
        "audit pool.csv -a sex --matcher callable --matcher-option func=nomodule:score "
        "--jobs jobs.json --job job_id --top-k 5",
        words=["'nomodule:score'", "No module named 'nomodule'"],
    ),
    case(
        "audit-matcher-needs-url",
        "audit pool.csv -a sex --matcher http --jobs jobs.json --job job_id --top-k 5",
        words=["'http'", "['url']", "--matcher-option url=VALUE"],
    ),
    case(
        "audit-matcher-missing-text-column",
        f"audit pool.csv -a sex {MATCH} --text-column cv",
        words=["'cv'", "--text-column"],
    ),
    case(
        "audit-matcher-score-column-exists",
        f"audit pool.csv -a sex {MATCH} --score score",
        words=["already has a column 'score'", "--score"],
    ),
    case(
        "audit-cache-not-sqlite",
        f"audit pool.csv -a sex {MATCH} --cache cache.db",
        words=["'cache.db'", "not a SQLite database", "--cache FOLDER"],
    ),
    case(
        "audit-cache-is-a-csv",
        f"audit pool.csv -a sex {MATCH} --cache pool.csv",
        words=["'pool.csv' is a file", "--cache FOLDER"],
    ),
    case(
        "audit-html-missing-folder",
        f"{SEL} --html missing/out.html",
        words=["'missing/out.html'", "'missing' does not exist", "existing folder"],
    ),
    case(
        "audit-html-is-folder",
        f"{SEL} --html adir",
        words=["Cannot write 'adir'", "is a folder"],
    ),
    case(
        "audit-json-missing-folder",
        f"{SEL} --json missing/r.json",
        words=["'missing/r.json'"],
    ),
    case(
        "audit-csv-is-folder",
        f"{SEL} --csv adir",
        words=["Cannot write 'adir'"],
    ),
    case(
        "audit-one-output-of-two-unwritable",
        f"{SEL} --html ok.html --markdown missing/x.md",
        words=["'missing/x.md'"],
    ),
    case(
        "audit-json-over-the-data",
        f"{SEL} --json pool.csv",
        words=["'pool.csv'", "--json", "input"],
    ),
    case(
        "audit-csv-over-the-parquet",
        "audit pool.parquet -a sex --selected selected --csv pool.parquet",
        words=["'pool.parquet'", "--csv", "input"],
    ),
    case(
        "audit-two-outputs-one-path",
        f"{SEL} --html r.html --markdown r.html",
        words=["'r.html'", "--html", "--markdown"],
    ),
    case(
        "audit-json-over-the-mapping",
        "audit pool.csv --selected selected --mapping map_missing.toml --json map_missing.toml",
        words=["'map_missing.toml'", "--json"],
    ),
    # -- report
    case(
        "report-missing-file",
        "report nope.json",
        words=["'nope.json'", "biasaudit audit DATA ... --json"],
    ),
    case("report-empty-file", "report empty.json", words=["'empty.json'", "not JSON"]),
    case(
        "report-not-a-result",
        "report notresult.json",
        words=["'notresult.json'", "no schema_version"],
    ),
    case(
        "report-json-list", "report list.json", words=["'list.json'", "not a biasaudit JSON result"]
    ),
    case(
        "report-truncated",
        "report truncated.json",
        words=["'truncated.json'", "not JSON", "line 23"],
    ),
    case(
        "report-future-schema",
        "report future.json",
        words=[
            "'future.json'",
            "schema_version '99.0'",
            "reads schema_version '1.0'",
            "Write it again",
        ],
    ),
    case(
        "report-csv-given", "report pool.csv", words=["'pool.csv'", "not a biasaudit JSON result"]
    ),
    case("report-binary-given", "report garbage.csv", words=["'garbage.csv'", "not JSON"]),
    case(
        "report-parquet-given",
        "report pool.parquet",
        words=["'pool.parquet'", "not a biasaudit JSON result"],
    ),
    case(
        "report-folder-given",
        "report adir",
        words=["'adir'", "folder"],
    ),
    case(
        "report-result-without-decision-rule",
        "report no_rule.json --html r.html",
        words=["'no_rule.json'", "decision"],
    ),
    case(
        "report-result-comparison-groups-text",
        "report bad_comparison.json --markdown r.md",
        words=["'bad_comparison.json'", "comparison_groups"],
    ),
    case(
        "report-result-empty-interval",
        "report short_interval.json --markdown r.md",
        words=["'short_interval.json'", "selection_rate_ci"],
    ),
    case(
        "report-result-without-groups",
        "report no_groups.json --markdown r.md",
        words=["'no_groups.json'", "groups"],
    ),
    case(
        "report-result-without-comparison-group",
        "report no_comparison_group.json --csv r.csv",
        words=["'no_comparison_group.json'", "comparison_group"],
    ),
    case(
        "compare-result-without-groups",
        "compare no_groups.json result.json --markdown c.md",
        words=["'no_groups.json'", "groups"],
    ),
    case("report-html-is-folder", "report result.json --html adir", words=["Cannot write 'adir'"]),
    case(
        "report-csv-missing-folder",
        "report result.json --csv missing/x.csv",
        words=["'missing/x.csv'", "'missing' does not exist"],
    ),
    case(
        "report-markdown-over-the-result",
        "report result.json --markdown result.json",
        words=["'result.json'", "--markdown", "input"],
    ),
    case(
        "report-two-outputs-one-path",
        "report result.json --html r.html --csv r.html",
        words=["'r.html'", "--html", "--csv"],
    ),
    case("report-no-result", "report", words=["required: result"]),
    # -- compare
    case("compare-missing-candidate", "compare result.json nope.json", words=["'nope.json'"]),
    case("compare-one-result", "compare result.json", words=["required: candidate"]),
    case(
        "compare-csv-candidate",
        "compare result.json pool.csv",
        words=["'pool.csv'", "not a biasaudit JSON result"],
    ),
    case(
        "compare-future-schema",
        "compare result.json future.json",
        words=["'future.json'", "'99.0'"],
    ),
    case("compare-not-a-result", "compare notresult.json result.json", words=["'notresult.json'"]),
    case(
        "compare-html-missing-folder",
        "compare result.json result_race.json --html missing/c.html",
        words=["'missing/c.html'"],
    ),
    case(
        "compare-markdown-is-folder",
        "compare result.json result_race.json --markdown adir",
        words=["Cannot write 'adir'"],
    ),
    case(
        "compare-html-over-the-baseline",
        "compare result.json result_race.json --html result.json",
        words=["'result.json'", "--html", "input"],
    ),
    case(
        "compare-two-outputs-one-path",
        "compare result.json result_race.json --html c.html --markdown c.html",
        words=["'c.html'", "--html", "--markdown"],
    ),
    # -- synth
    case(
        "synth-n-zero",
        "synth --n 0 --out p.csv",
        words=["--n must be an integer >= 1", "got 0", "--n 10_000"],
    ),
    case("synth-n-text", "synth --n lots --out p.csv", words=["--n", "'lots'"]),
    case("synth-no-out", "synth --n 100", words=["required: --out"]),
    case(
        "synth-out-excel",
        "synth --n 100 --out p.xlsx",
        words=["--out must be a .parquet, .csv or .jsonl", "'p.xlsx'"],
    ),
    case("synth-out-no-extension", "synth --n 100 --out p", words=["--out", "got 'p'"]),
    case(
        "synth-out-missing-folder",
        "synth --n 100 --out missing/p.csv",
        words=["'missing/p.csv'", "existing folder"],
    ),
    case(
        "synth-effects-missing-folder",
        "synth --n 100 --out p.csv --effects missing/e.json",
        words=["'missing/e.json'", "existing folder"],
    ),
    case(
        "synth-effects-is-folder",
        "synth --n 100 --out p.csv --effects adir",
        words=["Cannot write 'adir'"],
    ),
    case(
        "synth-effects-same-as-out",
        "synth --n 100 --out p.csv --effects p.csv",
        words=["'p.csv'", "--out", "--effects"],
    ),
    case("synth-out-is-folder", "synth --n 100 --out adir", words=["Cannot write 'adir'"]),
    case(
        "synth-bias-unreadable",
        "synth --n 100 --out p.csv --bias nope=x",
        words=["'nope=x'", "[KNOB:]ATTRIBUTE=GROUP:VALUE"],
    ),
    case(
        "synth-bias-no-value", "synth --n 100 --out p.csv --bias sex=Female", words=["'sex=Female'"]
    ),
    case(
        "synth-bias-unknown-group",
        "synth --n 100 --out p.csv --bias sex=Martian:0.5",
        words=["'Martian'", "['Female', 'Male']"],
    ),
    case(
        "synth-bias-negative",
        "synth --n 100 --out p.csv --bias sex=Female:-1",
        words=["-1.0", "positive ratio"],
    ),
    case(
        "synth-bias-unknown-knob",
        "synth --n 100 --out p.csv --bias colour:sex=Female:0.7",
        words=["Unknown bias knob 'colour'", "'proxy_location'"],
    ),
    case(
        "synth-bias-twice",
        "synth --n 100 --out p.csv --bias sex=Female:0.5 --bias sex=Female:0.6",
        words=["given twice", "[0.5, 0.6]"],
    ),
    case(
        "synth-shares-do-not-sum",
        "synth --n 100 --out p.csv --share sex=Female:0.7",
        words=["'sex'", "sum 0.7", "add up to 1"],
    ),
    case(
        "synth-share-text",
        "synth --n 100 --out p.csv --share sex=Female:seventy",
        words=["--share", "'sex=Female:seventy'"],
    ),
    case(
        "synth-share-unknown-group",
        "synth --n 100 --out p.csv --share sex=Martian:0.5 --share sex=Male:0.5",
        words=["['Martian']", "['Female', 'Male']"],
    ),
    case(
        "synth-unknown-attribute",
        "synth --n 100 --out p.csv --attribute religion",
        words=["'religion'", "'age_band'", "--attribute COL"],
    ),
    case(
        "synth-unknown-share-above-1",
        "synth --n 100 --out p.csv --unknown-share 1.5",
        words=["--unknown-share", "1.5", "--unknown-share 0.02"],
    ),
    case(
        "synth-qualified-rate-negative",
        "synth --n 100 --out p.csv --qualified-rate -1",
        words=["--qualified-rate", "-1.0", "--qualified-rate 0.5"],
    ),
    case(
        "synth-selection-rate-zero",
        "synth --n 100 --out p.csv --selection-rate 0",
        words=["--selection-rate", "0.0"],
    ),
    case(
        "synth-seed-negative",
        "synth --n 100 --out p.csv --seed -1",
        words=["--seed", "-1", "--seed 7"],
    ),
    case(
        "synth-jobs-zero",
        "synth --n 100 --out p.csv --jobs 0",
        words=["--jobs must be an integer >= 1"],
    ),
    # -- cf
    case(
        "cf-no-name-column",
        f"counterfactual pool.csv {CALLABLE}",
        words=["No name column given", "--name-column", "--first-name-column"],
    ),
    case(
        "cf-missing-name-column",
        f"counterfactual pool.csv --first-name-column given_name {CALLABLE}",
        words=["'given_name' is not in the pool", "--first-name-column"],
    ),
    case(
        "cf-no-matcher",
        "counterfactual pool.csv --first-name-column first_name --last-name-column last_name",
        words=["--matcher"],
    ),
    case(
        "cf-unknown-matcher",
        "counterfactual pool.csv --first-name-column first_name --matcher nosuch",
        words=["Unknown matcher 'nosuch'"],
    ),
    case(
        "cf-missing-file",
        f"counterfactual nope.csv {NAMES}",
        words=["'nope.csv' does not exist"],
    ),
    case(
        "cf-empty-file",
        f"counterfactual empty.csv {NAMES}",
        words=["'empty.csv'", "as CSV"],
    ),
    case("cf-no-data", "counterfactual", words=["required: data"]),
    case(
        "cf-rank-design-with-top-k",
        f"{CF} --design rank --top-k 3",
        words=["--top-k apply only to the score design", "--design rank"],
    ),
    case(
        "cf-unknown-signal",
        f"{CF} --signal accent",
        words=["Unknown signal 'accent'", "'pronouns'", "--signal"],
    ),
    case(
        "cf-unknown-names-source",
        f"{CF} --names-source ssa",
        words=["--names-source", "'ssa'", "'census2020'"],
    ),
    case(
        "cf-rounds-zero",
        f"{CF} --design rank --rounds 0",
        words=["--rounds", "got 0", "--rounds 50"],
    ),
    case(
        "cf-hold-no-equals",
        f"{CF} --hold sex",
        words=["--hold", "'sex'", "sex=Female"],
    ),
    case(
        "cf-include-unknown-group",
        f"{CF} --include race=White,Martian",
        words=["'Martian'", "--include"],
    ),
    case(
        "cf-unknown-reference",
        f"{CF} --reference Martian",
        words=["'Martian' is not a signalled group", "'White / Male'", "--reference"],
    ),
    case(
        "cf-unknown-groups",
        f"{CF} --groups religion",
        words=["'religion'", "--groups", "'race'"],
    ),
    case(
        "cf-alpha-two",
        f"{CF} --alpha 2",
        words=["--alpha must be a number in (0, 1)", "2.0"],
    ),
    case(
        "cf-top-k-zero",
        f"{CF} --top-k 0",
        words=["--top-k", "got 0", "--top-k 10"],
    ),
    case(
        "cf-seed-negative",
        f"{CF} --seed -3",
        words=["--seed", "-3", "--seed 0"],
    ),
    case(
        "cf-html-missing-folder",
        f"{CF} --html missing/x.html",
        words=["'missing/x.html'"],
    ),
    case(
        "cf-json-over-the-data",
        f"{CF} --json pool.csv",
        words=["'pool.csv'", "--json", "input"],
    ),
    # -- gate
    case(
        "gate-missing-config",
        "gate --config nope.toml",
        words=["'nope.toml' does not exist", "--config"],
    ),
    case(
        "gate-config-syntax",
        "gate --config bad.toml",
        words=["'bad.toml' is not valid TOML", "line 2", "Fix the syntax"],
    ),
    case(
        "gate-config-wrong-type",
        "gate --config types.toml",
        words=["'alpha'", "'types.toml'", "'five percent'", "alpha = 0.05"],
    ),
    case(
        "gate-config-typo",
        "gate --config typo.toml",
        words=["'policy.minimum_group_size'", "'min_group_size'", "Fix the spelling"],
    ),
    case(
        "gate-config-missing-pool",
        "gate --config nopool.toml",
        words=["'eval/pool.csv' does not exist"],
    ),
    case(
        "gate-config-two-rules",
        "gate --config two_rules.toml",
        words=["'decision.threshold', 'decision.top_k'", "exactly one decision rule"],
    ),
    case("gate-config-is-folder", "gate --config adir", words=["'adir'", "folder"]),
    case("gate-config-is-csv", "gate --config pool.csv", words=["'pool.csv' is not valid TOML"]),
    case(
        "gate-pyproject-without-table",
        "gate --config pyproject.toml",
        words=["[tool.biasaudit]", "--config FILE"],
    ),
    case(
        "gate-missing-baseline",
        "gate --baseline nope.json",
        words=["No baseline at 'nope.json'", "biasaudit baseline update"],
    ),
    case(
        "gate-baseline-not-a-result",
        "gate --baseline notresult.json",
        words=["'notresult.json' is not a biasaudit baseline", "baseline update"],
    ),
    case(
        "gate-baseline-future-schema",
        "gate --baseline future.json",
        words=["'future.json'", "'99.0'", "Re-create the baseline"],
    ),
    case(
        "gate-baseline-without-records",
        "gate --baseline result.json",
        words=["no per-candidate records", "biasaudit baseline update"],
    ),
    case(
        "gate-unpaired-without-baseline",
        "gate --config nobaseline.toml --unpaired",
        words=["--unpaired", "no baseline", "--baseline FILE"],
    ),
    case("gate-junit-is-folder", "gate --junit adir", words=["Cannot write 'adir'"]),
    case("gate-summary-missing-folder", "gate --summary missing/s.md", words=["'missing/s.md'"]),
    case("gate-json-missing-folder", "gate --json missing/g.json", words=["'missing/g.json'"]),
    case("gate-report-html-is-folder", "gate --report-html adir", words=["Cannot write 'adir'"]),
    case(
        "gate-junit-over-the-baseline",
        "gate --junit baseline.json",
        words=["'baseline.json'", "--junit", "input"],
    ),
    case(
        "gate-json-over-the-baseline",
        "gate --json baseline.json",
        words=["--json names 'baseline.json'", "the baseline"],
    ),
    case(
        "gate-html-over-the-pool", "gate --html pool.csv", words=["'pool.csv'", "evaluation pool"]
    ),
    case(
        "gate-summary-over-the-config",
        "gate --summary biasaudit.toml",
        words=["'biasaudit.toml'", "configuration"],
    ),
    case(
        "gate-second-output-unwritable",
        "gate --junit ok.xml --summary missing/s.md",
        words=["'missing/s.md'"],
    ),
    case(
        "gate-two-outputs-one-path",
        "gate --html g.html --report-html g.html",
        words=["--html and --report-html both name 'g.html'"],
    ),
    case("gate-positional", "gate extra", words=["unrecognized arguments: extra"]),
    # -- baseline
    case("baseline-no-action", "baseline", words=["required: ACTION"]),
    case("baseline-unknown-action", "baseline delete", words=["'delete'", "'update'"]),
    case("baseline-from-missing", "baseline update --from nope.json", words=["'nope.json'"]),
    case(
        "baseline-from-plain-audit",
        "baseline update --from result.json",
        words=["(result.json)", "no per-candidate records", "biasaudit baseline update"],
    ),
    case(
        "baseline-from-future",
        "baseline update --from future.json",
        words=["'future.json'", "'99.0'"],
    ),
    case("baseline-to-folder", "baseline update --baseline adir", words=["Cannot write 'adir'"]),
    case(
        "baseline-config-syntax",
        "baseline update --config bad.toml",
        words=["'bad.toml' is not valid TOML"],
    ),
    case(
        "baseline-without-path",
        "baseline update --config nobaseline.toml",
        words=["'nobaseline.toml' has no [baseline] table", "--baseline FILE"],
    ),
    # -- matchers
    case("matchers-extra-argument", "matchers extra", words=["unrecognized arguments: extra"]),
    case("matchers-unknown-flag", "matchers --verbose", words=["--verbose"]),
]


@pytest.fixture
def run_in(folder: Path, pristine: Path, monkeypatch: pytest.MonkeyPatch):
    """Run a command line in the folder: (exit code, whether it created or changed a file).

    Files a case created or changed are put back from the pristine copy afterwards.
    """
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    before = _snapshot(folder)
    changed: list[bool] = []

    def run(argv: list[str]) -> tuple[int, bool]:
        code = _run(argv)
        changed.append(_snapshot(folder) != before)
        return code, changed[-1]

    yield run
    if any(changed):
        monkeypatch.chdir(pristine)
        shutil.rmtree(folder)
        shutil.copytree(pristine, folder)


@pytest.mark.parametrize(("argv", "words", "stdout"), CASES)
def test_bad_input_is_refused_in_one_line(argv, words, stdout, run_in, capsys):
    code, changed = run_in(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    assert code == 2, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    command = argv[0]
    assert re.match(rf"biasaudit( {command})?: error: \S", err), err
    if not stdout:
        assert out == "", out
    for word in [words] if isinstance(words, str) else words:
        if isinstance(words, str):
            assert re.search(word, err), (word, err)
        else:
            assert word in err, (word, err)
    # a message worded for both audiences ("... (on the command line --flag)") may keep
    # its Python words next to the flag, as tests/test_cli_words.py allows
    both = "on the command line" in err
    flags = flag_names(PARSER, command) if command in COMMANDS and not both else {}
    python_words = [
        w for w in re.findall(r"(?<![\w'\"-])([a-z_]+)=", err) if w in flags and w not in ("id",)
    ]
    assert python_words == [], err
    assert "DataFrame" not in err
    assert not changed, "a refused command created or changed a file"


# -- the Python API: the same bad inputs, biasaudit's ValidationError in Python words ---------

API_CASES = [
    pytest.param(
        "one_group.csv",
        {"selected": "selected"},
        ["'sex' has only one known group", "['Female']"],
        id="one-group",
    ),
    pytest.param(
        "dup_header.csv",
        {"selected": "selected"},
        ["['sex'] more than once"],
        id="duplicate-header",
    ),
    pytest.param(
        "score_text.csv",
        {"score": "score", "threshold": 50},
        ["row 12: 'high'", "must hold numbers"],
        id="score-with-text",
    ),
    pytest.param(
        "blank_job.csv",
        {"score": "score", "job": "job_id", "top_k": 3},
        ["Job column 'job_id'", "2 blank"],
        id="blank-job-ids",
    ),
    pytest.param(
        "pool.csv", {"selected": "hired"}, ["'hired' is not in the pool", "selected="], id="missing"
    ),
    pytest.param(
        "pool.csv",
        {"threshold": 50},
        ["threshold rule needs scores", "Pass score=COLUMN"],
        id="threshold-without-score",
    ),
    pytest.param(
        "pool.csv",
        {"selected": "selected", "alpha": 2},
        ["alpha must be a number in (0, 1)", "alpha=0.05"],
        id="alpha-two",
    ),
    pytest.param(
        "pool.csv",
        {"selected": "selected", "confidence": 95},
        ["confidence must be", "confidence=0.95"],
        id="confidence-percent",
    ),
    pytest.param(
        "pool.csv",
        {"selected": "selected", "reference_group": {"sex": "Other"}},
        ["'Other' is not a known group", "reference_group="],
        id="unknown-reference-group",
    ),
    pytest.param(
        "pool.csv",
        {"score": "score", "top_k": 0},
        ["top_k must be", "got 0", "top_k=10"],
        id="top-k-zero",
    ),
    pytest.param(
        "pool.txt", {"selected": "selected"}, ["Cannot tell the format"], id="wrong-extension"
    ),
    pytest.param("empty.csv", {"selected": "selected"}, ["'empty.csv'"], id="empty-file"),
]


@pytest.mark.parametrize(("data", "options", "words"), API_CASES)
def test_api_refuses_with_python_words(data, options, words, folder, monkeypatch) -> None:
    monkeypatch.chdir(folder)
    with pytest.raises(ValidationError) as caught:
        biasaudit.audit(data, attributes=["sex"], **options)
    message = str(caught.value)
    for word in words:
        assert word in message, (word, message)


def test_the_catalogue_is_large() -> None:
    assert len(CASES) >= 100
    commands = {param.values[0][0] for param in CASES}
    assert commands >= {*COMMANDS, "baseline", "matchers"}
