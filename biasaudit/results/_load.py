"""Read a saved AuditResult from a JSON file, with one clear error for anything else."""

from __future__ import annotations

import json
from pathlib import Path

from biasaudit import _errors as E
from biasaudit.results._audit import AuditResult

__all__ = ["NOT_A_RESULT", "load_result"]

NOT_A_RESULT = (
    "File '{path}' is not a biasaudit JSON result ({problem}). "
    "Write one with: biasaudit audit DATA ... --json result.json"
)


def load_result(path: str | Path) -> AuditResult:
    """An AuditResult from a JSON file, or one clear error.

    Raises
    ------
    ValidationError
        When the file is missing or is not a biasaudit JSON result.

    Examples
    --------
    >>> try:
    ...     load_result("no-such-result.json")
    ... except E.ValidationError as error:
    ...     print(str(error).split(" (")[1])
    no such file). Write one with: biasaudit audit DATA ... --json result.json
    """
    if not Path(path).is_file():
        raise E.ValidationError(NOT_A_RESULT.format(path=path, problem="no such file"))
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "schema_version" not in data:
            raise KeyError("schema_version")
        return AuditResult.from_json(path)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        problem = f"missing {exc}" if isinstance(exc, KeyError) else type(exc).__name__
        raise E.ValidationError(NOT_A_RESULT.format(path=path, problem=problem)) from None
