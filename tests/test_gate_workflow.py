"""The documented GitHub Actions workflow: it parses, its commands exist, and its steps,
run locally on a git repository, fail a biased matcher change and pass a fair one."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from biasaudit.cli import build_parser, main

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "docs" / "ci" / "biasaudit-gate.yml"
FIXTURES = Path(__file__).resolve().parent / "gate_fixtures"
EXPRESSIONS = {"github.base_ref": "main"}


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _expand(script: str) -> str:
    """Replace GitHub expressions ``${{ ... }}`` by local values."""
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: EXPRESSIONS[m.group(1)], script)


def _commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script (continuations joined, operators split)."""
    out = []
    for line in _expand(script).replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] = []
        for token in lexer:
            if token in ("||", "&&", ";", "|"):
                out.append(command)
                command = []
            elif token in (">", ">>"):
                next(lexer)  # the redirection target is not an argument
            else:
                command.append(token)
        out.append(command)
    return [c for c in out if c]


def _steps(job: str) -> list[dict]:
    return _workflow()["jobs"][job]["steps"]


def test_the_workflow_is_valid_yaml_with_a_gate_and_a_baseline_job():
    doc = _workflow()
    assert doc["name"] == "biasaudit gate"
    assert set(doc["jobs"]) == {"gate", "baseline"}
    assert doc["jobs"]["gate"]["if"] == "github.event_name == 'pull_request'"
    assert doc["jobs"]["baseline"]["permissions"] == {"contents": "write"}
    for job in doc["jobs"].values():
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step)
    upload = next(s for s in _steps("gate") if s.get("uses", "").startswith("actions/upload"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "biasaudit-reports/"


def test_every_run_step_uses_commands_that_exist():
    parser, handlers = build_parser()
    seen = set()
    for job in ("gate", "baseline"):
        for step in _steps(job):
            for command in _commands(step.get("run", "")):
                seen.add(command[0])
                if command[0] == "biasaudit":
                    args = parser.parse_args(command[1:])  # exits 2 on an unknown option
                    assert args.command in handlers
                else:
                    assert shutil.which(command[0]), f"{command[0]} is not installed"
    assert {"biasaudit", "git", "mkdir", "pip"} <= seen


# -- the steps, run for real --------------------------------------------------------------------


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True, env=_git_env()
    )
    return done.stdout


def _git_env() -> dict[str, str]:
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    identity.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    return {**os.environ, **identity, "GIT_CONFIG_NOSYSTEM": "1", "HOME": os.environ["HOME"]}


def _run_job(job: str, folder: Path, tmp: Path, **env: str) -> dict[str, int]:
    """Run the job's ``run:`` steps (all but Install) with bash -e; exit code per step name."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / "biasaudit"  # this interpreter's biasaudit, whatever PATH holds
    launcher.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -c "import sys; from biasaudit.cli import main; '
        f'sys.exit(main())" "$@"\n',
        encoding="utf-8",
    )
    launcher.chmod(0o755)
    environment = {
        **_git_env(),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp),
        "GITHUB_STEP_SUMMARY": str(tmp / "step-summary.md"),
        **env,
    }
    codes = {}
    for step in _steps(job):
        if "run" not in step or step.get("name") == "Install":
            continue
        done = subprocess.run(
            ["bash", "-e", "-c", _expand(step["run"])],
            cwd=folder,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        codes[step["name"]] = done.returncode
        if done.returncode != 0:
            break
    return codes


def _use_matcher(folder: Path, name: str) -> None:
    shutil.copy(FIXTURES / f"ci_matchers_{name}.py", folder / "ci_matchers.py")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="no git")
def test_the_workflow_steps_gate_a_pull_request_and_accept_the_merge(tmp_path, monkeypatch):
    origin, seed, work = tmp_path / "origin.git", tmp_path / "seed", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    (seed / "eval").mkdir(parents=True)
    shutil.copy(FIXTURES / "eval_pool.csv", seed / "eval" / "pool.csv")
    shutil.copy(FIXTURES / "jobs.json", seed / "eval" / "jobs.json")
    shutil.copy(ROOT / "docs" / "ci" / "biasaudit.toml", seed / "biasaudit.toml")
    _use_matcher(seed, "v1")
    with monkeypatch.context() as mp, contextlib.redirect_stdout(io.StringIO()):
        mp.chdir(seed)
        mp.setattr(sys, "dont_write_bytecode", True)
        sys.modules.pop("ci_matchers", None)
        assert main(["baseline", "update"]) == 0  # the setup step: the first baseline
        sys.modules.pop("ci_matchers", None)
    shutil.rmtree(seed / "__pycache__", ignore_errors=True)
    _git(seed, "init", "-q", "-b", "main")
    _git(seed, "add", ".")
    _git(seed, "commit", "-q", "-m", "matcher v1 and its baseline")
    _git(seed, "push", "-q", str(origin), "main")
    _git(tmp_path, "clone", "-q", str(origin), str(work))
    first = _git(work, "show", "origin/main:.biasaudit/baseline.json")

    # A pull request that penalises employment gaps: the gate step fails.
    _git(work, "checkout", "-q", "-b", "gap-penalty")
    _use_matcher(work, "gap_penalty")
    codes = _run_job("gate", work, tmp_path)
    assert codes == {"Policy and baseline accepted on the target branch": 0, "Bias gate": 1}
    reports = work / "biasaudit-reports"
    assert sorted(p.name for p in reports.iterdir()) == [
        "audit.html",
        "candidate.json",
        "comparison.html",
        "gate.md",
        "gate.xml",
    ]
    step_summary = (tmp_path / "step-summary.md").read_text(encoding="utf-8")
    assert step_summary.startswith("## biasaudit gate: FAIL")

    # Loosening its own policy does not help the pull request: the workflow restores the
    # target branch's biasaudit.toml before the gate runs.
    shutil.rmtree(reports)
    policy = work / "biasaudit.toml"
    loose = policy.read_text(encoding="utf-8")
    loose = loose.replace("impact_ratio = 0.8", "impact_ratio = 0.0").replace(
        "margin = 0.05", "margin = 1.0"
    )
    policy.write_text(loose, encoding="utf-8")
    _git(work, "commit", "-q", "-am", "loosen the gate")
    codes = _run_job("gate", work, tmp_path)
    assert codes == {"Policy and baseline accepted on the target branch": 0, "Bias gate": 1}
    assert "impact_ratio = 0.8" in policy.read_text(encoding="utf-8")
    shutil.rmtree(reports)
    _git(work, "reset", "-q", "--hard", "HEAD~1")  # the author drops that commit

    # The author fixes the change: the gate passes.
    _use_matcher(work, "v2")
    assert _run_job("gate", work, tmp_path) == {
        "Policy and baseline accepted on the target branch": 0,
        "Bias gate": 0,
    }

    # Merged to main: the baseline job records and pushes the new baseline.
    shutil.rmtree(reports)
    _git(work, "add", "ci_matchers.py")
    _git(work, "commit", "-q", "-m", "matcher v2")
    _git(work, "checkout", "-q", "main")
    _git(work, "merge", "-q", "--ff-only", "gap-penalty")
    _git(work, "push", "-q", "origin", "main")
    sha = _git(work, "rev-parse", "HEAD").strip()
    codes = _run_job("baseline", work, tmp_path, GITHUB_SHA=sha)
    assert codes == {"Accept the merged matcher as the baseline": 0, "Commit the baseline": 0}
    accepted = _git(origin, "show", "main:.biasaudit/baseline.json")
    assert accepted != first
    assert _git(origin, "log", "-1", "--format=%s", "main").strip() == (
        f"biasaudit: accept the baseline of {sha}"
    )
