"""Display strings for the counterfactual section's tables, and its plain-text rendering."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["interval", "num", "pct", "pct_interval", "pval", "signed"]

DASH = "—"


def _finite(value: Any) -> bool:
    try:
        return value is not None and not isinstance(value, bool) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def num(value: Any, digits: int = 4) -> str:
    """Four significant digits, ``n/a`` when undefined.

    Examples
    --------
    >>> num(0.000123456), num(12.3456), num(float("nan"))
    ('0.0001235', '12.35', 'n/a')
    """
    return f"{float(value):.{digits}g}" if _finite(value) else "n/a"


def signed(value: Any, digits: int = 4) -> str:
    """Like :func:`num` with an explicit sign (``+0.012``, ``-0.3``, ``0``)."""
    if not _finite(value):
        return "n/a"
    return "0" if float(value) == 0 else f"{float(value):+.{digits}g}"


def ratio(value: Any) -> str:
    """A ratio to three decimals (``1.000``, ``0.812``), ``n/a`` when undefined."""
    return f"{float(value):.3f}" if _finite(value) else "n/a"


def ratio_interval(ci: Any) -> str:
    """``[0.79, 1.17]``, empty when undefined."""
    if ci is None:
        return ""
    low, high = ci
    if not (_finite(low) and _finite(high)):
        return ""
    return f"[{float(low):.2f}, {float(high):.2f}]"


def interval(ci: Any, digits: int = 4) -> str:
    """``[low, high]``, empty when undefined."""
    low, high = ci if ci is not None else (None, None)
    if not (_finite(low) and _finite(high)):
        return ""
    return f"[{num(low, digits)}, {num(high, digits)}]"


def pct(value: Any) -> str:
    """A proportion as a percentage with one decimal."""
    return f"{100 * float(value):.1f}%" if _finite(value) else "n/a"


def pct_interval(ci: Any) -> str:
    """``[5.5%, 7.5%]``, empty when undefined."""
    low, high = ci if ci is not None else (None, None)
    if not (_finite(low) and _finite(high)):
        return ""
    return f"[{pct(low)}, {pct(high)}]"


def pval(p: Any) -> str:
    """``<0.001``, three decimals, or ``n/a``."""
    if not _finite(p):
        return "n/a"
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def joined(*parts: str) -> str:
    """Non-empty parts separated by a space."""
    return " ".join(p for p in parts if p)
