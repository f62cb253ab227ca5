"""Provenance: what was audited, how, with which versions, and when."""

from __future__ import annotations

import datetime as _dt
import functools
import platform
from collections.abc import Mapping
from importlib import metadata as _metadata
from typing import Any

from biasaudit._version import __version__
from biasaudit.engine import SufficientStats

__all__ = ["provenance", "versions"]

_DEPENDENCIES = ("numpy", "pandas", "scipy", "pyarrow", "narwhals", "scikit-learn")


@functools.lru_cache(maxsize=1)
def _installed_versions() -> tuple[tuple[str, str], ...]:
    out = []
    for name in _DEPENDENCIES:
        try:
            out.append((name, _metadata.version(name)))
        except _metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return tuple(out)


def versions() -> dict[str, str]:
    """Versions of biasaudit, Python and the libraries that compute the numbers."""
    return {
        "biasaudit": __version__,
        "python": platform.python_version(),
        **dict(_installed_versions()),
    }


def provenance(
    source: Mapping[str, Any],
    stats: SufficientStats,
    config: dict[str, Any],
    metadata: Mapping[str, Any] | None,
    warnings: list[str],
) -> dict[str, Any]:
    """Everything needed to trace an audit back to its input and settings.

    ``source`` describes the input (``source``, ``sha256``, ``sha256_of``,
    ``roles``, ``rows``, ``unknown`` counts and the ``engine`` that reduced it).
    """
    return {
        "input": {
            "source": source["source"],
            "sha256": source["sha256"],
            "sha256_of": source["sha256_of"],
            "roles": source["roles"],
            "engine": source.get("engine", "numpy"),
        },
        "rows": {
            "total": source["rows"],
            "unknown": source["unknown"],
            "jobs": len(stats.jobs) if source["roles"].get("job") is not None else None,
        },
        "configuration": config,
        "metadata": dict(metadata or {}),
        "warnings": warnings,
        "versions": versions(),
        "timestamp": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    }
