"""What the gate writes: JUnit XML and a Markdown summary for a pull request."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from biasaudit.gate._policy import FAIL, INSUFFICIENT, PASS, Check
from biasaudit.reports._format import DASH, printable
from biasaudit.reports._markdown import md

__all__ = ["junit_xml", "summary_markdown"]


def _case(parent: ET.Element, check: Check) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        classname=f"biasaudit.{check.kind}.{check.metric}",
        name=check.label,
    )
    if not check.passed:
        kind = "insufficient data" if check.status == INSUFFICIENT else f"{check.kind} failure"
        failure = ET.SubElement(case, "failure", message=check.message, type=kind)
        failure.text = check.message
    elif check.status == INSUFFICIENT:
        ET.SubElement(case, "skipped", message=check.message)
    else:
        ET.SubElement(case, "system-out").text = check.message


def _suite(root: ET.Element, name: str, checks: list[Check], properties: dict[str, Any]) -> None:
    failures = sum(not c.passed for c in checks)
    skipped = sum(c.passed and c.status == INSUFFICIENT for c in checks)
    suite = ET.SubElement(
        root,
        "testsuite",
        name=name,
        tests=str(len(checks)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    props = ET.SubElement(suite, "properties")
    for key, value in properties.items():
        ET.SubElement(props, "property", name=key, value=str(value))
    for check in checks:
        _case(suite, check)


def junit_xml(outcome: Any) -> str:
    """JUnit XML of a :class:`GateOutcome`: one test case per rule and group.

    A failing check is a ``<failure>`` carrying its message; insufficient data
    counted as a pass is ``<skipped>``; the policy checks and the regression checks
    are two test suites.
    """
    checks = list(outcome.checks)
    root = ET.Element(
        "testsuites",
        name="biasaudit gate",
        tests=str(len(checks)),
        failures=str(sum(not c.passed for c in checks)),
        errors="0",
    )
    common = {"config": outcome.config_path or "", "verdict": outcome.verdict()}
    _suite(root, "biasaudit.policy", list(outcome.policy), common)
    if outcome.comparison is not None:
        props = {**common, "baseline": outcome.baseline_path, "method": outcome.comparison.method}
        _suite(root, "biasaudit.regression", list(outcome.comparison.checks), props)
    ET.indent(root)
    # XML 1.0 cannot carry control characters: a group value holding one would make the
    # report unparseable for a CI test reporter, so they are written as escapes.
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + printable(ET.tostring(root, "unicode")) + "\n"
    )


def _num(value: Any, digits: int = 3, sign: bool = False) -> str:
    if value is None:
        return DASH
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _interval(check: Check, sign: bool = False) -> str:
    if check.interval is None:
        return DASH
    low, high = check.interval
    return f"[{_num(low, sign=sign)}, {_num(high, sign=sign)}]"


def _outcome_word(check: Check) -> str:
    if check.status == INSUFFICIENT:
        return "insufficient data (counts as " + ("pass)" if check.passed else "failure)")
    if check.status == PASS and check.note:
        return f"pass ({check.note})"
    return check.status


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _policy_table(checks: list[Check], confidence: float) -> list[str]:
    lines = [
        _row(["Rule", "Group", "Value", f"{confidence:.0%} CI", "n", "Adjusted p", "Outcome"]),
        _row(["---", "---", "---:", "---", "---:", "---:", "---"]),
    ]
    for c in checks:
        p = f"{c.p_value:.3g}" if c.p_value is not None else DASH
        n = str(c.n) if c.n is not None else DASH
        cells = [c.rule, c.label, _num(c.value), _interval(c), n, p, _outcome_word(c)]
        lines.append(_row([md(x) for x in cells]))
    return [*lines, ""]


def _regression_table(checks: list[Check], confidence: float) -> list[str]:
    lines = [
        _row(
            [
                "Metric",
                "Group",
                "Baseline",
                "Candidate",
                "Regression",
                f"One-sided {confidence:.0%} bounds",
                "Margin",
                "Outcome",
            ]
        ),
        _row(["---", "---", "---:", "---:", "---:", "---", "---:", "---"]),
    ]
    for c in checks:
        d = c.details
        cells = [
            c.metric,
            c.label,
            _num(d.get("baseline")),
            _num(d.get("candidate")),
            _num(d.get("regression"), sign=True),
            _interval(c, sign=True),
            f"{c.threshold:g}" if c.threshold is not None else DASH,
            _outcome_word(c),
        ]
        lines.append(_row([md(x) for x in cells]))
    return [*lines, ""]


def _insufficient_table(checks: list[Check]) -> list[str]:
    lines = [_row(["Check", "Group", "Why", "Counts as"]), _row(["---", "---", "---", "---"])]
    for c in checks:
        counted = "pass" if c.passed else "failure"
        lines.append(_row([md(x) for x in (c.rule, c.label, c.note, counted)]))
    return [*lines, ""]


def _context(outcome: Any) -> list[str]:
    prov = outcome.result.provenance
    meta = prov.get("metadata") or {}
    pool = meta.get("evaluation_pool") or {}
    parts = [f"configuration `{md(outcome.config_path)}`"] if outcome.config_path else []
    if pool:
        sha = str(pool.get("sha256", ""))[:12]
        parts.append(f"pool `{md(pool.get('path'))}` (SHA-256 {sha}…)")
    parts.append(f"{prov['rows']['total']:,} audited rows")
    matcher = meta.get("matcher") or {}
    if matcher.get("fingerprint"):
        parts.append(f"matcher `{md(matcher['fingerprint'])}`")
    if outcome.comparison is not None:
        parts.append(f"baseline `{md(outcome.baseline_path)}` ({md(outcome.comparison.method)})")
    else:
        parts.append("no baseline comparison")
    return [" · ".join(parts), ""]


def _method_note(outcome: Any) -> list[str]:
    if outcome.comparison is None:
        return []
    s = outcome.comparison.settings
    rule = (
        "fails when the lower bound exceeds the margin (a regression beyond the margin is "
        "established)"
        if s.test == "inferiority"
        else "fails unless the upper bound is within the margin (a regression beyond the "
        "margin must be ruled out)"
    )
    paired = (
        "resampling candidates, each with both decisions (paired)"
        if outcome.comparison.paired
        else "resampling each audit's groups independently (unpaired: the pools differ)"
    )
    return [
        f"Regression is how much worse a group's metric is than in the baseline; its "
        f"{s.confidence:.0%} one-sided bounds come from {s.resamples} bootstrap replicates "
        f"{paired}, and hold for all the run's regression checks at once (simultaneous "
        f"bounds: at most a {1 - s.confidence:.0%} chance of any false alarm). The "
        f"{md(s.test)} test {rule}.",
        "",
    ]


def summary_markdown(outcome: Any) -> str:
    """The gate's summary in Markdown, fit for a pull-request comment or a job summary."""
    confidence = float(outcome.result.provenance["configuration"]["confidence"])
    status = "PASS" if outcome.passed else "FAIL"
    lines = [f"## biasaudit gate: {status}", "", md(outcome.verdict()), "", *_context(outcome)]
    violations = [c for c in outcome.policy if c.status == FAIL]
    if violations:
        lines += ["### Policy violations", "", *_policy_table(violations, confidence)]
    if outcome.regressions:
        conf = outcome.comparison.settings.confidence
        lines += ["### Regressions against the baseline", ""]
        lines += _regression_table(outcome.regressions, conf)
    if outcome.insufficient:
        lines += ["### Insufficient data", "", *_insufficient_table(outcome.insufficient)]
    if not (violations or outcome.regressions or outcome.insufficient):
        lines += ["Every check passes.", ""]
    lines += _method_note(outcome)
    lines += ["<details><summary>All policy checks</summary>", ""]
    lines += _policy_table(list(outcome.policy), confidence)
    lines += ["</details>", ""]
    if outcome.comparison is not None:
        conf = outcome.comparison.settings.confidence
        lines += ["<details><summary>All baseline comparisons</summary>", ""]
        lines += _regression_table(list(outcome.comparison.checks), conf)
        lines += ["</details>", ""]
    return printable("\n".join(lines))
