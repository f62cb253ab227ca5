"""Renderers that the reports layer registers for the results' convenience methods.

``AuditResult.summary()``, ``_repr_html_()``, ``.plot`` and ``to_html()`` (and
their RankingResult counterparts) are conveniences for notebooks: the code that
renders lives in :mod:`biasaudit.reports`, which sits above this layer. Instead
of importing upward, the results look a renderer up here by name; importing
:mod:`biasaudit.reports` (which ``import biasaudit`` always does) registers them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["register_view", "view"]

_VIEWS: dict[str, Callable[..., Any]] = {}


def register_view(name: str, renderer: Callable[..., Any]) -> None:
    """Register ``renderer`` as the view called ``name`` (the reports layer does this).

    Examples
    --------
    >>> register_view("example", lambda result: f"<{result}>")
    >>> view("example")("r")
    '<r>'
    """
    _VIEWS[name] = renderer


def view(name: str) -> Callable[..., Any]:
    """The renderer registered as ``name``.

    Raises
    ------
    RuntimeError
        When nothing registered it (``biasaudit.reports`` was never imported,
        which ``import biasaudit`` prevents).
    """
    try:
        return _VIEWS[name]
    except KeyError:
        raise RuntimeError(
            f"No renderer called {name!r} is registered. Import biasaudit (or "
            "biasaudit.reports) before rendering a result."
        ) from None
