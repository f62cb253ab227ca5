"""`biasaudit gate` and `biasaudit baseline update` end to end: exit codes, outputs, errors."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from biasaudit.cli import main
from biasaudit.results import AuditResult, json_schema

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "gate_fixtures"


def _project(folder: Path, matcher: str = "v1") -> Path:
    """A repository with the documented configuration, the pinned pool and a matcher."""
    (folder / "eval").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "eval_pool.csv", folder / "eval" / "pool.csv")
    shutil.copy(FIXTURES / "jobs.json", folder / "eval" / "jobs.json")
    shutil.copy(ROOT / "docs" / "ci" / "biasaudit.toml", folder / "biasaudit.toml")
    _use_matcher(folder, matcher)
    return folder


def _use_matcher(folder: Path, name: str) -> None:
    shutil.copy(FIXTURES / f"ci_matchers_{name}.py", folder / "ci_matchers.py")


def _in_process(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``biasaudit ARGS`` in this process (fast), with a freshly imported matcher module."""
    sys.modules.pop("ci_matchers", None)
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setattr(sys, "dont_write_bytecode", True)  # edits within a second must be seen
        mp.delenv("GITHUB_STEP_SUMMARY", raising=False)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    sys.modules.pop("ci_matchers", None)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def _run(folder: Path, *args: str, env: dict[str, str] | None = None):
    """The installed command in a fresh process, in the project folder."""
    command = [sys.executable, "-c", "import sys; from biasaudit.cli import main; sys.exit(main())"]
    environment = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    environment.update(env or {})
    return subprocess.run(
        [*command, *args], cwd=folder, capture_output=True, text=True, env=environment, timeout=300
    )


def _validate(data: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(data))
    assert not errors, [e.message for e in errors[:5]]


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    """The whole story, run once: no baseline, accept v1, a biased change, a benign one.

    The biased change runs as a separate process (the real command line and its
    environment); the other steps run in this process to keep the test fast.
    """
    folder = _project(tmp_path_factory.mktemp("repo"))
    runs = {"no_baseline": _in_process(folder, "gate")}
    runs["update"] = _in_process(folder, "baseline", "update")
    shutil.copy(folder / ".biasaudit" / "baseline.json", folder / "first-baseline.json")
    runs["same"] = _in_process(folder, "gate")
    _use_matcher(folder, "gap_penalty")
    summary = folder / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    (folder / "out").mkdir()
    runs["biased"] = _run(
        folder,
        "gate",
        "--junit",
        "out/gate.xml",
        "--summary",
        "out/gate.md",
        "--html",
        "out/comparison.html",
        "--report-html",
        "out/audit.html",
        "--json",
        "out/candidate.json",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    _use_matcher(folder, "v2")
    runs["benign"] = _in_process(folder, "gate", "--json", "out/benign.json", "--quiet")
    runs["promote"] = _in_process(folder, "baseline", "update", "--from", "out/benign.json")
    runs["after"] = _in_process(folder, "gate", "--quiet")
    return folder, runs


def test_missing_baseline_says_how_to_create_one(flow):
    run = flow[1]["no_baseline"]
    assert run.returncode == 2
    assert run.stderr == (
        "biasaudit: error: No baseline at '.biasaudit/baseline.json'. Record the accepted "
        "matcher's audit as the baseline with: biasaudit baseline update\n"
    )


def test_baseline_update_writes_a_valid_result_with_records(flow):
    folder, runs = flow
    run = runs["update"]
    assert run.returncode == 0, run.stderr
    data = json.loads((folder / "first-baseline.json").read_text(encoding="utf-8"))
    records = data["sections"]["gate"]["records"]
    assert run.stdout == (
        f"biasaudit baseline: wrote .biasaudit/baseline.json (1600 audited rows, pool SHA-256 "
        f"{records['pool_sha256'][:12]}…, matcher "
        f"{data['provenance']['metadata']['matcher']['fingerprint']})\n"
    )
    assert records["count"] == 1600 and records["id_column"] == "candidate_id"
    assert records["pool_sha256_of"].startswith("every column except selected")
    assert "outcome" not in data["sections"]["gate"]
    _validate(data)


def test_unchanged_matcher_passes_with_no_regression(flow):
    run = flow[1]["same"]
    assert run.returncode == 0, run.stderr
    assert run.stdout == (
        "biasaudit gate: PASS (0 policy violations, 0 regressions, 0 with insufficient data; "
        "24 checks); baseline .biasaudit/baseline.json (paired bootstrap, 2000 resamples, "
        "seed 0, simultaneous bounds)\n"
    )


def test_a_change_that_introduces_bias_fails(flow):
    run = flow[1]["biased"]
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1] == (
        "biasaudit gate: FAIL (2 policy violations, 1 regression, 0 with insufficient data; "
        "24 checks); baseline .biasaudit/baseline.json (paired bootstrap, 2000 resamples, "
        "seed 0, simultaneous bounds)"
    )
    assert lines[0] == (
        "  policy: sex = Female: impact_ratio = 0.713 [95% CI 0.618, 0.824] is below the minimum "
        "0.8 (rule impact_ratio >= 0.8; 783 candidates, adjusted p = 0.000161)"
    )
    # The equal-opportunity change (+0.169) is no longer a regression beyond the margin once
    # the bounds hold for all 12 regression checks at once; the impact-ratio one still is.
    assert [line.split(":")[0] for line in lines[:-1]] == ["  policy"] * 2 + ["  regression"]
    assert all("sex = Female" in line for line in lines[:-1])


def test_junit_has_one_case_per_rule_and_group(flow):
    root = ET.parse(flow[0] / "out" / "gate.xml").getroot()
    assert (root.get("tests"), root.get("failures")) == ("24", "3")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert {k: (s.get("tests"), s.get("failures")) for k, s in suites.items()} == {
        "biasaudit.policy": ("12", "2"),
        "biasaudit.regression": ("12", "1"),
    }
    cases = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(set(cases)) == 24
    failing = {
        (c.get("classname"), c.get("name")): c.find("failure")
        for c in root.iter("testcase")
        if c.find("failure") is not None
    }
    assert sorted(failing) == [
        ("biasaudit.policy.equal_opportunity_difference", "sex = Female"),
        ("biasaudit.policy.impact_ratio", "sex = Female"),
        ("biasaudit.regression.impact_ratio", "sex = Female"),
    ]
    ratio = failing[("biasaudit.regression.impact_ratio", "sex = Female")]
    assert ratio.get("message").startswith(
        "sex = Female: impact_ratio went from 1.000 (baseline) to 0.713 (candidate)"
    )
    assert ratio.text == ratio.get("message")


def test_markdown_summary_goes_to_the_file_and_the_job_summary(flow):
    folder = flow[0]
    summary = (folder / "out" / "gate.md").read_text(encoding="utf-8")
    assert summary.startswith("## biasaudit gate: FAIL\n")
    assert "### Policy violations" in summary and "### Regressions against the baseline" in summary
    assert (
        "| impact\\_ratio &gt;= 0.8 | sex = Female | 0.713 | \\[0.618, 0.824\\] | 783 | "
        "0.000161 | fail |"
    ) in summary
    step = (folder / "step-summary.md").read_text(encoding="utf-8")
    assert step == "earlier step\n" + summary + "\n"


def test_html_comparison_audit_report_and_json(flow):
    folder = flow[0]
    comparison = (folder / "out" / "comparison.html").read_text(encoding="utf-8")
    assert "Audit comparison" in comparison and "worse" in comparison
    assert "Local Law 144" in (folder / "out" / "audit.html").read_text(encoding="utf-8")
    data = json.loads((folder / "out" / "candidate.json").read_text(encoding="utf-8"))
    _validate(data)
    outcome = data["sections"]["gate"]["outcome"]
    assert outcome["passed"] is False and len(outcome["checks"]) == 24
    assert outcome["comparison"]["paired"] is True and outcome["comparison"]["candidates"] == 1600


def test_a_change_without_bias_passes_and_can_become_the_baseline(flow):
    folder, runs = flow
    assert runs["benign"].returncode == 0, runs["benign"].stderr
    assert runs["benign"].stdout.startswith("biasaudit gate: PASS (0 policy violations, ")
    assert runs["promote"].returncode == 0, runs["promote"].stderr
    baseline = AuditResult.from_json(folder / ".biasaudit" / "baseline.json")
    benign = AuditResult.from_json(folder / "out" / "benign.json")
    assert baseline.sections["gate"]["records"] == benign.sections["gate"]["records"]
    assert "outcome" not in baseline.sections["gate"]
    assert runs["after"].returncode == 0
    assert runs["after"].stdout.startswith("biasaudit gate: PASS")


# -- bad input, in process ----------------------------------------------------------------------

SCORED = """
attributes = ["sex"]
[pool]
path = "pool.csv"
id = "cid"
score = "s"
[decision]
threshold = 0.5
[policy]
thresholds = {{ impact_ratio = 0.8 }}
min_group_size = 10
{extra}
[baseline]
path = "baseline.json"
"""


@pytest.fixture
def scored(tmp_path, monkeypatch):
    """A project gating a score column of the pool itself (no matcher)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    n = 200
    frame = pd.DataFrame(
        {
            "cid": range(n),
            "sex": ["F", "M"] * (n // 2),
            "s": [((i * 37) % 100) / 100 for i in range(n)],
        }
    )
    frame.to_csv(tmp_path / "pool.csv", index=False)
    (tmp_path / "biasaudit.toml").write_text(SCORED.format(extra=""), encoding="utf-8")
    return tmp_path


def _main(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_baseline_of_another_pool_is_refused_unless_unpaired(scored, capsys):
    assert _main(capsys, "baseline", "update")[0] == 0
    frame = pd.read_csv(scored / "pool.csv")
    frame.iloc[:-2].to_csv(scored / "pool.csv", index=False)
    code, out, err = _main(capsys, "gate")
    assert code == 2 and out == ""
    assert err.startswith(
        "biasaudit: error: The baseline and the candidate audited different evaluation pools "
        "(pool content SHA-256 "
    )
    assert "; 200 vs 198 audited rows), so their candidates cannot be paired." in err
    code, out, err = _main(capsys, "gate", "--unpaired")
    assert code == 0, err
    assert out.endswith(
        "baseline baseline.json (unpaired bootstrap, 2000 resamples, seed 0, simultaneous bounds)\n"
    )


def test_the_baseline_is_byte_identical_apart_from_the_timestamp(scored, capsys):
    assert _main(capsys, "baseline", "update", "--quiet", "--baseline", "a.json")[0] == 0
    assert _main(capsys, "baseline", "update", "--quiet", "--baseline", "b.json")[0] == 0
    a, b = ((scored / f"{x}.json").read_text(encoding="utf-8") for x in "ab")
    stamp = re.compile(r'"timestamp": "[^"]+"')
    assert stamp.sub("", a) == stamp.sub("", b) and len(stamp.findall(a)) == 1


def test_baseline_of_another_schema_version_is_refused(scored, capsys):
    assert _main(capsys, "baseline", "update", "--quiet") == (0, "", "")
    path = scored / "baseline.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["schema_version"] = "0.9"
    path.write_text(json.dumps(data), encoding="utf-8")
    from biasaudit import __version__

    assert _main(capsys, "gate") == (
        2,
        "",
        "biasaudit: error: Baseline 'baseline.json' was written with result schema_version "
        f"'0.9'; this biasaudit ({__version__}) reads schema_version '1.0'. Re-create the "
        "baseline with this version: biasaudit baseline update\n",
    )
    path.write_text("{not json", encoding="utf-8")
    code, _, err = _main(capsys, "gate")
    assert code == 2 and err.startswith(
        "biasaudit: error: File 'baseline.json' is not a biasaudit baseline (not JSON: "
    )
    assert err.endswith("). Re-create it with: biasaudit baseline update\n")


def test_other_config_files_are_named_in_the_fix(scored, capsys):
    (scored / "ci").mkdir()
    (scored / "ci" / "gate.toml").write_text(
        SCORED.format(extra="").replace('"pool.csv"', '"../pool.csv"'), encoding="utf-8"
    )
    code, _, err = _main(capsys, "gate", "--config", "ci/gate.toml")
    assert code == 2
    assert err == (
        "biasaudit: error: No baseline at 'ci/baseline.json'. Record the accepted matcher's "
        "audit as the baseline with: biasaudit baseline update --config ci/gate.toml\n"
    )


def test_scope_naming_a_missing_group_is_an_input_error(scored, capsys):
    text = SCORED.format(extra='scope = { sex = ["X"] }')
    (scored / "biasaudit.toml").write_text(text, encoding="utf-8")
    message = (
        "biasaudit: error: The policy's scope names group 'X' of 'sex', which is not in the "
        "audit. Groups present: ['F', 'M']. Fix the spelling, or remove it from the scope.\n"
    )
    assert _main(capsys, "baseline", "update", "--quiet") == (2, "", message)
    assert not (scored / "baseline.json").exists()  # a broken policy writes no baseline
    (scored / "biasaudit.toml").write_text(text.split("[baseline]")[0], encoding="utf-8")
    assert _main(capsys, "gate") == (2, "", message)
    code, _, err = _main(capsys, "gate", "--baseline", "none.json")
    assert code == 2
    assert err == (
        "biasaudit: error: No baseline at 'none.json'. Record the accepted matcher's audit as "
        "the baseline with: biasaudit baseline update\n"
    )


def test_policy_metric_the_audit_cannot_compute(scored, capsys):
    text = SCORED.format(extra="").replace(
        "impact_ratio = 0.8", "equal_opportunity_difference = 0.05"
    )
    (scored / "biasaudit.toml").write_text(text, encoding="utf-8")
    code, _, err = _main(capsys, "baseline", "update")
    assert code == 2
    assert err == (
        "biasaudit: error: Policy metric 'equal_opportunity_difference' cannot be computed from "
        "this audit: it needs a ground-truth label column, and the audit has none. Give the "
        'audit a label (label = "COLUMN" under [tool.biasaudit.pool]; label= in '
        "biasaudit.audit), or remove 'equal_opportunity_difference' from the policy.\n"
    )


def test_unknown_key_in_the_config_is_exit_2(scored, capsys):
    text = SCORED.format(extra="minimum_group_size = 5")
    (scored / "biasaudit.toml").write_text(text, encoding="utf-8")
    code, out, err = _main(capsys, "gate")
    assert (code, out) == (2, "")
    assert err.startswith("biasaudit: error: Unknown key 'policy.minimum_group_size' in ")


def test_unpaired_needs_a_baseline_and_update_needs_a_path(scored, capsys):
    text = SCORED.format(extra="").split("[baseline]")[0]
    (scored / "biasaudit.toml").write_text(text, encoding="utf-8")
    code, _, err = _main(capsys, "gate", "--unpaired")
    assert code == 2
    assert err == (
        "biasaudit: error: --unpaired was given but there is no baseline to compare with. "
        "Configure [tool.biasaudit.baseline] path, or pass --baseline FILE.\n"
    )
    code, _, err = _main(capsys, "baseline", "update")
    assert code == 2
    assert err == (
        "biasaudit: error: Cannot update the baseline: 'biasaudit.toml' has no [baseline] table "
        'with a path. Add [tool.biasaudit.baseline] with path = ".biasaudit/baseline.json", or '
        "pass --baseline FILE.\n"
    )
    code, out, _ = _main(capsys, "gate", "--html", "report.html")
    assert code == 0 and out.endswith("; no baseline comparison\n")
    assert "Local Law 144" in (scored / "report.html").read_text(encoding="utf-8")


def test_promoting_a_plain_audit_is_refused(scored, capsys):
    assert main(["audit", "pool.csv", "-a", "sex", "--score", "s", "--threshold", "0.5",
                 "--json", "plain.json", "--quiet"]) == 0  # fmt: skip
    code, _, err = _main(capsys, "baseline", "update", "--from", "plain.json")
    assert code == 2
    assert err == (
        "biasaudit: error: The accepted (plain.json) audit has no per-candidate records "
        "(sections['gate']['records']), which the paired comparison needs. Re-create it with "
        "'biasaudit baseline update' (in Python: biasaudit.gate.audit_with_records), or compare "
        "unpaired (unpaired=True; on the command line, biasaudit gate --unpaired).\n"
    )


def test_insufficient_data_is_reported_and_fails_by_default(scored, capsys):
    text = SCORED.format(extra="").replace("min_group_size = 10", "min_group_size = 150")
    (scored / "biasaudit.toml").write_text(text.split("[baseline]")[0], encoding="utf-8")
    code, out, _ = _main(capsys, "gate", "--summary", "s.md")
    assert code == 1
    assert out.splitlines()[-1] == (
        "biasaudit gate: FAIL (0 policy violations, 0 regressions, 2 with insufficient data "
        "(counted as failures); 2 checks); no baseline comparison"
    )
    assert "### Insufficient data" in (scored / "s.md").read_text(encoding="utf-8")
    lenient = text.replace(
        "min_group_size = 150", 'min_group_size = 150\ninsufficient_data = "pass"'
    )
    (scored / "biasaudit.toml").write_text(lenient.split("[baseline]")[0], encoding="utf-8")
    code, out, _ = _main(capsys, "gate", "--junit", "j.xml")
    assert code == 0
    root = ET.parse(scored / "j.xml").getroot()
    assert [c.find("skipped") is not None for c in root.iter("testcase")] == [True, True]


def test_help_lists_the_gate_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["baseline", "--help"])
    assert info.value.code == 0
    assert "update" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["baseline"])
    assert info.value.code == 2
