"""Rendering: a Jinja2 environment with autoescape on, and the HTML writers."""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from pathlib import Path
from typing import Any

from biasaudit._io import write_text_atomic
from biasaudit._version import __version__

__all__ = ["environment", "render"]


@lru_cache(maxsize=1)
def environment() -> Any:
    """The templates' environment: autoescape for every template, strict undefined."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("biasaudit.reports", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, model: dict[str, Any]) -> str:
    """Render a template with the report model ``m``."""
    return environment().get_template(template).render(m=model, version=__version__)


def write(text: str, path: str | Path | None) -> str:
    """Write UTF-8 text to ``path`` when given; return the text."""
    if path is not None:
        write_text_atomic(path, text)
    return text


def utc_now() -> _dt.datetime:
    """The current time in UTC, to the second."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
