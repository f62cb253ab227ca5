"""Notebook display: AuditResult._repr_html_ (compact, flagged, escaped), RankingResult's."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit.ranking import rank_audit

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = "'\"><img src=x onerror=alert(1)>"


class Elements(HTMLParser):
    """Start tags with attributes, and the text of each table row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(text: str) -> Elements:
    parser = Elements()
    parser.feed(text)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def study():
    return biasaudit.audit(
        biasaudit.datasets.load_resume_study(), attributes=["race", "sex"], selected="callback"
    )


def test_one_compact_table_with_a_heading_per_attribute(study):
    text = study._repr_html_()
    dom = parse(text)
    assert [t for t, _ in dom.tags].count("table") == 1
    assert [t for t, _ in dom.tags].count("tbody") == 3
    rows = dom.rows
    assert rows[0] == [
        "group",
        "n",
        "selected",
        "selection rate [95% CI]",
        "impact ratio [95% CI]",
        "p (adj.)",
        "verdict",
    ]
    assert len(rows) == 1 + 3 + 8  # header, one heading per table, one row per group
    assert rows[1] == ["race: compared with White; unknown: 0"]
    assert rows[2] == [
        "Black or African American",
        "2435",
        "157",
        "0.064 [0.055, 0.075]",
        "0.668 [0.55, 0.81]",
        "<0.001",
        "\u2717 Fails: adverse impact",
    ]
    assert rows[3][-1] == "\u25c6 Reference: comparison group"
    assert rows[4] == ["sex: compared with Female; unknown: 0"]
    assert rows[6][-1] == "\u2713 Passes: no adverse impact indicated"
    assert rows[7] == ["race x sex: compared with White / Female; unknown: 0"]
    assert (
        "biasaudit: 4870 candidates; selection rate; p adjusted (holm, 5 tests); 3 finding(s)"
        in (html.unescape(text))
    )


def test_flags_are_words_and_symbols_not_only_colour(study):
    dom = parse(study._repr_html_())
    flagged = [(a.get("class"), a.get("style")) for t, a in dom.tags if t == "td" and a]
    assert [c for c, _ in flagged] == [
        "ba-fail",
        "ba-ref",
        "ba-ref",
        "ba-ok",
        "ba-fail",
        "ba-fail",
        "ba-ref",
        "ba-ok",
    ]
    assert all("color:" in style for _, style in flagged)


def test_findings_are_listed_collapsed(study):
    dom = parse(study._repr_html_())
    tags = [t for t, _ in dom.tags]
    assert tags.count("details") == 1 and tags.count("li") == len(study.findings) == 3
    assert html.escape(study.findings[0]["message"]) in study._repr_html_()


def test_small_and_undefined_groups():
    rng = np.random.default_rng(3)
    g = rng.choice(["A", "B", "C", "D"], 600, p=[0.5, 0.39, 0.1, 0.01])
    s = (rng.random(600) < np.where(g == "A", 0.3, 0.2)).astype(int)
    result = biasaudit.audit(pd.DataFrame({"g": g, "s": s}), attributes=["g"], selected="s")
    rows = parse(result._repr_html_()).rows
    assert rows[1] == [
        "g: compared with A; unknown: 0; left out under the minimum share: D (n=4, 0.7%)"
    ]
    d = rows[5]
    assert d[:5] == ["D", "4", "0", "0.000 [0.000, 0.490]", "n/a"]
    assert d[-1] == "? Left out: excluded: under the minimum share (0.7% of known candidates)"


def test_scoring_only_audit_names_its_columns():
    frame = pd.DataFrame({"sex": ["F", "M"] * 50, "score": np.arange(100.0)})
    result = biasaudit.audit(frame, attributes=["sex"], score="score")
    header = parse(result._repr_html_()).rows[0]
    assert header[2:4] == ["above median", "scoring rate [95% CI]"]
    # 0..99: the median is 49.5; F holds the even scores, 25 of them above it
    assert parse(result._repr_html_()).rows[2][:4] == ["F", "50", "25", "0.500 [0.366, 0.634]"]


def test_every_user_string_is_escaped():
    frame = pd.DataFrame(
        {
            SCRIPT: ["a" + BREAKOUT] * 60 + ["b"] * 60,
            "s": [1] * 10 + [0] * 50 + [1] * 30 + [0] * 30,
        }
    )
    result = biasaudit.audit(frame, attributes=[SCRIPT], selected="s")
    text = result._repr_html_()
    assert "<script" not in text and "<img" not in text
    dom = parse(text)
    assert {t for t, _ in dom.tags} <= {
        "div", "table", "caption", "thead", "tbody", "tr", "th", "td", "details", "summary",
        "ul", "li",
    }  # fmt: skip
    assert dom.rows[1][0].startswith(SCRIPT + ": compared with b")
    assert dom.rows[2][0] == "a" + BREAKOUT
    assert f"<td>{html.escape('a' + BREAKOUT, quote=True)}</td>" in text


def test_repr_is_the_same_after_a_json_round_trip(study):
    loaded = biasaudit.AuditResult.from_json(study.to_json())
    assert loaded._repr_html_() == study._repr_html_()


def test_ranking_result_html_escapes_group_names():
    frame = pd.DataFrame(
        {"job": ["a"] * 4, "grp": [SCRIPT, "x", SCRIPT, "x"], "rank": [1, 2, 3, 4]}
    )
    ranking = rank_audit(frame, attributes=["grp"], job="job", rank="rank", k=2, n_bootstrap=0)
    text = ranking._repr_html_()
    assert "<script" not in text
    assert html.escape(SCRIPT, quote=False) in text
