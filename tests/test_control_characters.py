"""Group values carrying control characters or formulas cannot act on a terminal, a log,
a spreadsheet or an XML reader: every text output neutralises them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

import biasaudit
from biasaudit.gate import Bound, PolicyRules, evaluate_policy, junit_xml
from biasaudit.reports import to_csv, to_markdown

NASTY = "Female\x1b]0;owned\x07\r=IMPORTXML(A1)"


@pytest.fixture(scope="module")
def result():
    frame = pd.DataFrame(
        {"sex": [NASTY] * 40 + ["Male"] * 40, "hired": [1] * 8 + [0] * 32 + [1] * 20 + [0] * 20}
    )
    return biasaudit.audit(frame, attributes=["sex"], selected="hired")


@pytest.mark.parametrize("render", [lambda r: r.summary(), to_markdown])
def test_terminal_and_markdown_show_escapes(result, render) -> None:
    text = render(result)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "\\x1b" in text and "\\x07" in text  # shown, not acted on


def test_csv_cells_cannot_start_a_formula_on_any_line(result) -> None:
    text = to_csv(result)
    assert "\r=IMPORTXML" not in text
    assert "\r'=IMPORTXML(A1)" in text


def test_junit_is_valid_xml(result) -> None:
    outcome_checks = evaluate_policy(result, PolicyRules([Bound("impact_ratio", 0.8)]))
    assert outcome_checks
    xml = junit_xml(_Outcome(result, outcome_checks))
    ET.fromstring(xml.split("\n", 1)[1])  # parses
    assert "\x1b" not in xml and "\\x1b" in xml


class _Outcome:
    """The parts of a GateOutcome that junit_xml reads."""

    def __init__(self, result, checks) -> None:
        self.result = result
        self.checks = tuple(checks)
        self.policy = tuple(checks)
        self.comparison = None
        self.config_path = None

    def verdict(self) -> str:
        return "test"
