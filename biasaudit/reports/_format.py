"""Small formatting helpers shared by the HTML, Markdown and comparison reports."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from biasaudit.metrics._verdicts import ADVERSE, COMPARISON, INSUFFICIENT, NOT_SIGNIFICANT, PASS
from biasaudit.metrics._verdicts import SIGNIFICANT_WITHIN as WITHIN

__all__ = [
    "DASH",
    "INTERSECTION",
    "MISSING",
    "Cell",
    "align",
    "finite",
    "fmt_ci",
    "fmt_num",
    "fmt_p",
    "group_label",
    "pct",
    "pct_ci",
    "printable",
    "ratio",
    "ratio_ci",
    "verdict_class",
]

#: The one glyph for a number that is undefined (a rate of an empty group, say).
MISSING = "n/a"
#: The one glyph for a cell with nothing to show by design (the comparison group's own
#: test, an empty list); the counterfactual tables use the same character.
DASH = "—"

#: How reports join the attributes of an intersection ("race × sex"). The JSON and the
#: group frames keep " x " (their contract), which the plot API also accepts.
INTERSECTION = " × "

#: Verdict -> CSS class and the short word shown beside it (never colour alone).
_CLASSES = {
    ADVERSE: ("fail", "Fails"),
    NOT_SIGNIFICANT: ("warn", "Check"),
    WITHIN: ("warn", "Check"),
    PASS: ("ok", "Passes"),
    COMPARISON: ("ref", "Reference"),
    INSUFFICIENT: ("na", "No data"),
}


def finite(value: Any) -> bool:
    """True for a real, finite number."""
    try:
        return value is not None and not isinstance(value, bool) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def pct(value: Any, digits: int = 1) -> str:
    """A proportion as a percentage (``0.0645 -> '6.4%'``), ``n/a`` when undefined."""
    return f"{100 * float(value):.{digits}f}%" if finite(value) else "n/a"


def pct_ci(ci: Any, digits: int = 1) -> str:
    """An interval of proportions as ``[5.5%, 7.5%]``."""
    low, high = ci if ci is not None else (None, None)
    if not (finite(low) and finite(high)):
        return ""
    return f"[{pct(low, digits)}, {pct(high, digits)}]"


def ratio(value: Any, digits: int = 3) -> str:
    """A ratio to ``digits`` decimals, ``n/a`` when undefined."""
    return f"{float(value):.{digits}f}" if finite(value) else "n/a"


def ratio_ci(ci: Any, digits: int = 2) -> str:
    """A ratio interval as ``[0.55, 0.81]``."""
    low, high = ci if ci is not None else (None, None)
    if not (finite(low) and finite(high)):
        return ""
    return f"[{ratio(low, digits)}, {ratio(high, digits)}]"


def verdict_class(verdict: str) -> tuple[str, str]:
    """CSS class and short word of a verdict (excluded groups count as no data)."""
    return _CLASSES.get(verdict, ("na", "Left out"))


def group_label(group: Any) -> str:
    """``['Black', 'Female'] -> 'Black / Female'``."""
    return " / ".join(str(g) for g in group) if isinstance(group, (list, tuple)) else str(group)


def fmt_num(value: Any, digits: int = 3) -> str:
    """A number to ``digits`` decimals, or ``n/a`` when undefined."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def fmt_ci(ci: Any, digits: int = 3) -> str:
    """An interval as ``[low, high]``; nothing when it has no finite bound (none exists).

    Examples
    --------
    >>> fmt_ci((0.5, 0.75), 2), fmt_ci((float("nan"), float("nan")))
    ('[0.50, 0.75]', '')
    """
    low, high = ci
    if not (finite(low) or finite(high)):
        return ""
    return f"[{fmt_num(low, digits)}, {fmt_num(high, digits)}]"


def fmt_p(p: Any) -> str:
    """A p-value, with ``<0.001`` for tiny ones."""
    if p is None or (isinstance(p, float) and not math.isfinite(p)):
        return DASH
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def align(rows: list[list[str]]) -> list[str]:
    """Terminal table lines: each column padded to its widest cell, two spaces apart.

    Examples
    --------
    >>> align([["group", "n"], ["Female", "12"]])
    ['group   n', 'Female  12']
    """
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


@dataclass(frozen=True)
class Cell:
    """A formatted table cell that keeps its value and its interval apart.

    HTML shows ``sub`` (the interval) under ``text``; text outputs (JSON,
    Markdown, terminal) read ``str(cell)``, ``"value [low, high]"``. Built from
    the numbers at render time, so nothing is parsed back out of a string.

    Examples
    --------
    >>> str(Cell("0.785", "[0.407, 1.000]")), str(Cell("n/a"))
    ('0.785 [0.407, 1.000]', 'n/a')
    """

    text: str
    sub: str = ""

    def __str__(self) -> str:
        return f"{self.text} {self.sub}" if self.sub else self.text


def plain_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table records with every :class:`Cell` written out as text (for JSON)."""
    return [{k: str(v) if isinstance(v, Cell) else v for k, v in r.items()} for r in records]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text with control characters shown as escapes, line breaks and tabs kept.

    A group value carrying ESC, BEL or a carriage return could retitle a terminal,
    overwrite a log line or break a Markdown table; written as ``\\x1b`` it cannot.

    Examples
    --------
    >>> printable("Female\\x1b]0;pwned\\x07\\r=1\\nnext")
    'Female\\\\x1b]0;pwned\\\\x07\\\\x0d=1\\nnext'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
