"""``biasaudit counterfactual``: end to end through subprocesses (outputs, exit codes), and the
one-line errors through ``biasaudit.cli.main`` in this process (same code path, no start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from biasaudit.cli import main
from biasaudit.counterfactual import _messages as M
from biasaudit.synth import make_pool

BLACK = "Black or African American"
SCORER = """
import numpy as np
from biasaudit.synth import first_names

BLACK = set(first_names("Black or African American", "Female")) | set(
    first_names("Black or African American", "Male"))


def score(candidates, job):
    black = candidates["first_name"].astype(str).isin(BLACK).to_numpy()
    return candidates["years_experience"].to_numpy(float) - 5.0 * black
"""
POOL = [
    "pool.csv",
    "--first-name-column",
    "first_name",
    "--last-name-column",
    "last_name",
    "--id",
    "candidate_id",
]
TFIDF = [
    "--matcher",
    "tfidf",
    "--jobs",
    "jobs.json",
    "--job",
    "job_id",
    "--text-column",
    "resume_text",
]
CALLABLE = ["--matcher", "callable", "--matcher-option", "func=cf_scorer:score"]

COMMANDS: dict[str, list[str]] = {
    "score": [
        *POOL,
        *TFIDF,
        "--top-k",
        "5",
        "--json",
        "score.json",
        "--html",
        "score.html",
        "--title",
        "Screening tool name swap",
    ],
    "rank": [
        *POOL,
        *CALLABLE,
        "--design",
        "rank",
        "--rounds",
        "10",
        "--groups",
        "race",
        "--include",
        f"race=White,{BLACK}",
        "--hold",
        "sex=Female",
        "--seed",
        "3",
        "--json",
        "rank.json",
    ],
    "stdout": [*POOL, *CALLABLE, "--groups", "sex", "--threshold", "8", "--json", "-"],
}


IN_PROCESS: dict[str, list[str]] = {
    "no_matcher": [*POOL, "--text-column", "resume_text"],
    "missing_name": [
        "broken.csv",
        "--name-column",
        "name",
        "--text-column",
        "cv",
        *CALLABLE[:2],
        "--matcher-option",
        "func=cf_scorer:score",
    ],
    "dropped": [
        "broken.csv",
        "--name-column",
        "name",
        "--text-column",
        "cv",
        "--groups",
        "sex",
        "--drop-missing-names",
        "--matcher",
        "callable",
        "--matcher-option",
        "func=cf_scorer:length",
        "--quiet",
        "--json",
        "dropped.json",
    ],
    "design_conflict": [*POOL, *CALLABLE, "--design", "rank", "--top-k", "3"],
    "bad_signal": [*POOL, *CALLABLE, "--signal", "accent"],
    "bad_include": [*POOL, *CALLABLE, "--include", "race"],
}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd), "PYTHONHASHSEED": "0"}
    return subprocess.run(
        [sys.executable, "-m", "biasaudit", "counterfactual", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    cwd = tmp_path_factory.mktemp("cf-cli")
    pool = make_pool(40, jobs=2, seed=6)
    pool.data.to_csv(cwd / "pool.csv", index=False)
    jobs = [{"id": j.id, "title": j.title, "description": j.description} for j in pool.jobs]
    (cwd / "jobs.json").write_text(json.dumps(jobs))
    (cwd / "cf_scorer.py").write_text(
        SCORER + "\n\ndef length(candidates, job):\n    return candidates['cv'].str.len()\n"
    )
    pd.DataFrame(
        {"name": ["Ann Lee", "Bo Kim", "Cy Poe"], "cv": ["Ann Lee, nurse", "Bo Kim, clerk", "x"]}
    ).to_csv(cwd / "broken.csv", index=False)
    with ThreadPoolExecutor(max_workers=2) as pool_:
        futures = {k: pool_.submit(_run, v, cwd) for k, v in COMMANDS.items()}
        return cwd, {k: f.result() for k, f in futures.items()}


@pytest.fixture
def in_process(runs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Run ``biasaudit counterfactual ARGS`` here: (exit code, stdout, stderr)."""
    cwd, _ = runs
    monkeypatch.chdir(cwd)
    monkeypatch.syspath_prepend(str(cwd))

    def run(name: str) -> tuple[int, str, str]:
        try:
            code = main(["counterfactual", *IN_PROCESS[name]])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_score_design_prints_tables_and_writes_reports(runs) -> None:
    cwd, out = runs
    run = out["score"]
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Counterfactual audit (score design)\n")
    assert "Paired score differences by race × sex (reference: " in run.stdout
    assert "Selection flips with the name (selected when among the best 5 of its job)" in run.stdout
    assert "Group tables over the variants" in run.stdout
    assert "biasaudit 0.1.0 audit of 320 candidates" in run.stdout
    data = json.loads((cwd / "score.json").read_text())
    section = data["sections"]["counterfactual"]
    assert section["design"] == "score" and section["counts"]["units"] == 40
    assert section["configuration"]["matcher"]["name"] == "tfidf"
    html = (cwd / "score.html").read_text()
    assert "Screening tool name swap" in html and 'id="counterfactual-title"' in html


def test_rank_design(runs) -> None:
    cwd, out = runs
    assert out["rank"].returncode == 0, out["rank"].stderr
    assert out["rank"].stdout.startswith("Counterfactual audit (rank design)\n")
    section = json.loads((cwd / "rank.json").read_text())["sections"]["counterfactual"]
    black = next(r for r in section["first_place"] if r["group"] == BLACK)
    assert black["ranked_first"] == 0 and section["counts"]["rankings"] == 400


def test_json_to_stdout_only(runs) -> None:
    _, out = runs
    run = out["stdout"]
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["sections"]["counterfactual"]["configuration"]["attributes"] == ["sex"]


def test_one_line_errors(in_process) -> None:
    expected = {
        "no_matcher": M.CLI_NEEDS_MATCHER,
        "missing_name": M.NAME_NOT_IN_TEXT.format(
            count=1, total=3, what="column 'name'", column="cv", ids=[2]
        ),
        "design_conflict": M.OPTION_FOR_OTHER_DESIGN.format(
            options="--top-k", design="score", given="rank"
        ),
        "bad_signal": M.UNKNOWN_SIGNAL.format(
            value="accent", known=["name", "pronouns", "gendered_words", "affinity"]
        ),
    }
    for name, message in expected.items():
        code, stdout, stderr = in_process(name)
        assert code == 2, (name, stderr)
        assert stderr == f"biasaudit: error: {message}\n", name
        assert stdout == ""
    code, _, stderr = in_process("bad_include")
    assert code == 2 and stderr.count("\n") == 1
    assert M.BAD_KEY_VALUES.format(flag="--include", value="race", example="race=White,Asian") in (
        stderr
    )


def test_dropped_resumes_are_counted_and_warned(runs, in_process) -> None:
    cwd, _ = runs
    code, stdout, stderr = in_process("dropped")
    assert code == 0, stderr
    assert "biasaudit: warning: 1 of 3 resume(s) left out" in stderr and stdout == ""
    section = json.loads((cwd / "dropped.json").read_text())["sections"]["counterfactual"]
    assert section["counts"]["dropped_without_name"] == 1 and section["counts"]["dropped_ids"] == [
        2
    ]
    assert any("1 of 3 resumes were left out" in n for n in section["notes"])
