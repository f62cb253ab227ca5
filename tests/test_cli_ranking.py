"""``biasaudit audit ... --ranking`` end to end, through a subprocess.

The command lines start together in a module-scoped fixture (each process spends a
couple of seconds importing pandas and scipy); the tests read their results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit.ranking import RANKING_NEEDS_JOB, rank_audit

BASE = ["audit", "pool.csv", "-a", "sex", "--job", "job"]
COMMANDS: dict[str, list[str]] = {
    "full": [
        *BASE,
        *("--score", "score", "--top-k", "5", "--ranking", "--ranking-k", "5,10"),
        *("--json", "out.json", "--html", "out.html"),
    ],
    "default_k": [*BASE, "--score", "score", "--top-k", "5", "--ranking", "--json", "k.json"],
    "by_rank": [
        *BASE,
        *("--score", "score", "--top-k", "5", "--rank", "position", "--ranking-k", "5"),
        *("--json", "rank.json", "--quiet"),
    ],
    "stdout": [*BASE, "--score", "score", "--top-k", "5", "--ranking-k", "5", "--json", "-"],
    "no_ranking": [*BASE, "--score", "score", "--top-k", "5", "--json", "plain.json", "--quiet"],
    "no_job": ["audit", "pool.csv", "-a", "sex", "--score", "score", "--top-k", "5", "--ranking"],
    "no_order": [*BASE, "--selected", "hired", "--ranking"],
    "bad_k": [*BASE, "--score", "score", "--top-k", "5", "--ranking-k", "10,zero"],
    "duplicate_rank": [*BASE, "--rank", "broken", "--top-k", "5", "--ranking"],
}


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    jobs, size = 40, 25
    n = jobs * size
    sex = rng.choice(["Female", "Male"], n)
    score = np.round(rng.normal(size=n) + 0.5 * (sex == "Male"), 6)
    frame = pd.DataFrame(
        {"job": np.repeat([f"R{j:02d}" for j in range(jobs)], size), "sex": sex, "score": score}
    )
    frame["position"] = (
        frame.groupby("job")["score"].rank(ascending=False, method="first").astype(int)
    )
    frame["broken"] = frame["position"].where(frame["position"] != 3, 2)  # rank 2 twice
    frame["hired"] = (frame["position"] <= 5).astype(int)
    return frame


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "biasaudit", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli_ranking")
    _frame().to_csv(path / "pool.csv", index=False)
    return path


@pytest.fixture(scope="module")
def runs(workdir: Path) -> dict[str, subprocess.CompletedProcess]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(_run, args, workdir) for name, args in COMMANDS.items()}
        return {name: future.result() for name, future in futures.items()}


def test_ranking_section_in_json_html_and_summary(runs, workdir: Path) -> None:
    run = runs["full"]
    assert run.returncode == 0, run.stderr
    data = json.loads((workdir / "out.json").read_text())
    section = data["sections"]["ranking"]
    assert section["configuration"]["k"] == [5, 10]
    assert section["configuration"]["order"] == {"score": "score"}
    expected = rank_audit(_frame(), attributes=["sex"], job="job", score="score", k=(5, 10))
    assert section["tables"] == expected.to_section()["tables"]
    html = (workdir / "out.html").read_text()
    assert '<h2 id="ranking-title">Ranking fairness</h2>' in html
    assert '<caption class="visually-hidden">Exposure and attention: sex</caption>' in html
    # The terminal summary prints the main tables with the numbers of the JSON.
    rate = expected.value("selection_rate", "Female", k=5)
    ratio = expected.value("impact_ratio", "Female", k=5)
    assert "ranking: 1000 candidates in 40 job lists, ordered by score 'score'" in run.stdout
    line = next(
        ln for ln in run.stdout.splitlines() if ln.startswith("Female ") and " 5 " in ln[:20]
    )
    assert f"{100 * rate:.1f}%" in line and f"{ratio:.3f}" in line
    assert "sex  exposure, rank divergence, FA*IR" in run.stdout


def test_default_cut_offs_and_rank_order(runs, workdir: Path) -> None:
    assert runs["default_k"].returncode == 0, runs["default_k"].stderr
    section = json.loads((workdir / "k.json").read_text())["sections"]["ranking"]
    assert section["configuration"]["k"] == [5, 10, 20]
    assert runs["by_rank"].returncode == 0, runs["by_rank"].stderr
    assert runs["by_rank"].stdout == ""  # --quiet
    section = json.loads((workdir / "rank.json").read_text())["sections"]["ranking"]
    assert section["configuration"]["order"] == {"rank": "position"}
    assert section["configuration"]["k"] == [5]


def test_json_on_stdout_and_ranking_k_implies_ranking(runs) -> None:
    run = runs["stdout"]
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["sections"]["ranking"]["configuration"]["k"] == [5]
    loaded = biasaudit.AuditResult.from_json(run.stdout)
    assert "ranking" in loaded.sections


def test_no_section_without_ranking(runs, workdir: Path) -> None:
    assert runs["no_ranking"].returncode == 0
    assert "sections" not in json.loads((workdir / "plain.json").read_text())


@pytest.mark.parametrize(
    "name, message",
    [
        ("no_job", RANKING_NEEDS_JOB),
        (
            "no_order",
            "A ranking audit needs an order: got no --score and no --rank. Pass --score COLUMN "
            "(higher is better) or --rank COLUMN (1 is best).",
        ),
        (
            "duplicate_rank",
            "Rank column 'broken' gives rank 2 to 2 candidates of job 'R00' (40 job(s) have "
            "duplicate ranks). Each rank may appear once per job; fix the ranks, or pass "
            "--score ... to let ties be broken by pool order.",
        ),
    ],
)
def test_input_errors_are_one_line_exit_2(runs, name: str, message: str) -> None:
    run = runs[name]
    assert run.returncode == 2
    assert run.stderr == f"biasaudit: error: {message}\n"
    assert run.stdout == ""


def test_bad_cut_offs_are_a_usage_error(runs) -> None:
    run = runs["bad_k"]
    assert run.returncode == 2
    assert run.stderr == (
        "biasaudit audit: error: argument --ranking-k: expected positive integers like 10,20, "
        "got '10,zero' (see 'biasaudit audit --help')\n"
    )
