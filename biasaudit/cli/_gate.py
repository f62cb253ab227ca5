"""Command line: ``biasaudit gate`` and ``biasaudit baseline update``.

Exit codes: 0 the gate passes, 1 a policy violation or a regression, 2 a usage or
input error (one line on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from biasaudit import _errors as E
from biasaudit._io import write_text_atomic
from biasaudit.cli._reports import check_paths
from biasaudit.gate._config_load import load_config
from biasaudit.gate._policy import evaluate_policy
from biasaudit.gate._run import GateOutcome, run_gate, shown_path, update_baseline
from biasaudit.reports import compare_html, to_html

__all__ = ["register"]

UNPAIRED_WITHOUT_BASELINE = (
    "--unpaired was given but there is no baseline to compare with. Configure "
    "[tool.biasaudit.baseline] path, or pass --baseline FILE."
)


def _gate_parser(sub: Any) -> None:
    p = sub.add_parser(
        "gate",
        help="CI gate: audit the evaluation pool, check the policy, compare with the baseline",
        description="Audit the configured evaluation pool (scored by the configured matcher), "
        "check the policy and compare with the accepted baseline. Exit 0 when it passes, "
        "1 on a policy violation or a regression, 2 on a usage or input error.",
    )
    p.add_argument("--config", metavar="FILE", help="biasaudit.toml or pyproject.toml")
    p.add_argument("--baseline", metavar="FILE", help="compare with this baseline instead")
    p.add_argument(
        "--unpaired",
        action="store_true",
        help="compare with a baseline of another pool (unpaired bootstrap)",
    )
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML (one case per rule and group)")
    p.add_argument("--summary", metavar="FILE", help="write the Markdown summary")
    p.add_argument(
        "--html",
        metavar="FILE",
        help="write the HTML comparison with the baseline (the audit report without one)",
    )
    p.add_argument("--report-html", metavar="FILE", help="write the candidate's HTML audit report")
    p.add_argument(
        "--json", metavar="FILE", help="write the candidate audit with its records and outcome"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only the verdict line")


def _baseline_parser(sub: Any) -> None:
    p = sub.add_parser(
        "baseline",
        help="manage the gate's accepted baseline",
        description="Record an accepted audit as the baseline the gate compares with.",
    )
    actions = p.add_subparsers(dest="baseline_command", metavar="ACTION")
    actions.required = True
    u = actions.add_parser(
        "update",
        help="record the accepted matcher's audit as the new baseline",
        description="Audit the evaluation pool with the configured matcher (or take the "
        "audit saved by 'biasaudit gate --json') and write it as the baseline.",
    )
    u.add_argument("--config", metavar="FILE", help="biasaudit.toml or pyproject.toml")
    u.add_argument(
        "--from",
        dest="source",
        metavar="RESULT.json",
        help="promote a saved 'biasaudit gate --json' result instead of auditing again",
    )
    u.add_argument("--baseline", metavar="FILE", help="write here instead of [baseline] path")
    u.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")


def _write_outputs(outcome: GateOutcome, args: argparse.Namespace) -> None:

    if args.junit:
        outcome.to_junit(args.junit)
    step_summary = _step_summary()
    if args.summary or step_summary:
        markdown = outcome.to_markdown()
        if args.summary:
            write_text_atomic(args.summary, markdown)
        if step_summary:
            with open(step_summary, "a", encoding="utf-8") as handle:
                handle.write(markdown + "\n")
    if args.html:
        if outcome.baseline is not None:
            compare_html(outcome.baseline, outcome.result, args.html)
        else:
            to_html(outcome.result, args.html)
    if args.report_html:
        to_html(outcome.result, args.report_html)
    if args.json:
        outcome.result.to_json(args.json)


def _step_summary() -> str | None:
    return os.environ.get("GITHUB_STEP_SUMMARY") or None


def _run_gate(args: argparse.Namespace) -> int:

    config = load_config(args.config)
    if args.unpaired and args.baseline is None and config.baseline is None:
        raise E.ValidationError(UNPAIRED_WITHOUT_BASELINE)
    baseline = args.baseline or (config.baseline.path if config.baseline else None)
    outputs = ("junit", "summary", "html", "report_html", "json")
    check_paths(  # before the audit: no output over the baseline, the pool or the policy
        [("--" + name.replace("_", "-"), getattr(args, name)) for name in outputs],
        [
            ("the gate's configuration", config.path),
            ("the baseline", baseline),
            ("the evaluation pool", config.pool.path),
        ],
    )
    outcome = run_gate(
        config,
        baseline=args.baseline,
        unpaired=args.unpaired,
        progress=False if args.quiet else None,
    )
    _write_outputs(outcome, args)
    if not args.quiet:
        for check in outcome.checks:
            if not check.passed:
                sys.stdout.write(f"  {check.kind}: {check.message}\n")
    sys.stdout.write(outcome.verdict() + "\n")
    return 0 if outcome.passed else 1


def _run_baseline(args: argparse.Namespace) -> int:

    config = None
    if not (args.source and args.baseline) or args.config:
        config = load_config(args.config)
    result, target = update_baseline(
        config, source=args.source, path=args.baseline, progress=False if args.quiet else None
    )
    if args.quiet:
        return 0
    records = result.sections["gate"]["records"]
    matcher = (result.provenance.get("metadata") or {}).get("matcher") or {}
    sys.stdout.write(
        f"biasaudit baseline: wrote {shown_path(target)} ({records['count']} audited rows, "
        f"pool SHA-256 "
        f"{records['pool_sha256'][:12]}…"
        + (f", matcher {matcher['fingerprint']}" if matcher.get("fingerprint") else "")
        + ")\n"
    )
    if config is not None and config.policy.bounds:
        failing = [c for c in evaluate_policy(result, config.policy) if not c.passed]
        if failing:
            sys.stdout.write(
                f"note: this baseline does not meet the policy ({len(failing)} check(s) fail); "
                "the gate will still compare later changes with it.\n"
            )
    return 0


def register(sub: Any) -> dict[str, Any]:
    """Add ``gate`` and ``baseline`` to the ``biasaudit`` command."""
    _gate_parser(sub)
    _baseline_parser(sub)
    return {"gate": _run_gate, "baseline": _run_baseline}
