"""Read a saved AuditResult from a JSON file, with one clear error for anything else.

A file that is JSON but not a result this version reads is refused with what is
wrong: the schema version it was written with, or the first field whose value
does not have the type the JSON contract (``biasaudit/schema``) gives it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from biasaudit import _errors as E
from biasaudit.results._audit import SCHEMA_VERSION, AuditResult, json_schema

__all__ = ["BAD_RESULT_FIELD", "NOT_A_RESULT", "RESULT_VERSION", "load_result", "result_problem"]

NOT_A_RESULT = (
    "File '{path}' is not a biasaudit JSON result ({problem}). "
    "Write one with: biasaudit audit DATA ... --json result.json"
)
RESULT_VERSION = (
    "File '{path}' is a biasaudit JSON result of schema_version {found!r}; this biasaudit "
    "reads schema_version {expected!r}. Write it again with this version: "
    "biasaudit audit DATA ... --json result.json"
)
BAD_RESULT_FIELD = (
    "File '{path}' is not a valid biasaudit JSON result: {problem}. Write it again, unedited, "
    "with: biasaudit audit DATA ... --json result.json"
)

_JSON_TYPES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _fits(value: Any, kinds: list[str]) -> bool:
    found = _json_type(value)
    whole = found == "number" and float(value).is_integer()  # 3.0 is an integer in JSON Schema
    return (
        found in kinds
        or (found == "integer" and "number" in kinds)
        or (whole and "integer" in kinds)
    )


def result_problem(
    value: Any, schema: dict[str, Any], where: str = "", root: Any = None
) -> str | None:
    """The first place where ``value`` breaks the types of ``schema``, in words, or None.

    Reads the structural part of JSON Schema: ``type``, ``required``,
    ``properties``, ``items``, ``minItems``, ``maxItems``, ``additionalProperties``,
    ``enum``, ``$ref``, ``oneOf`` and ``allOf`` (ranges and patterns are left to the
    reader).

    Examples
    --------
    >>> schema = {"type": "object", "required": ["groups"],
    ...           "properties": {"groups": {"type": "array", "items": {"type": "integer"}}}}
    >>> result_problem({"groups": [1, "x"]}, schema)
    "field groups[1] must be an integer; got 'x' (a string)"
    >>> result_problem({}, schema)
    'field groups is missing'
    """
    root = schema if root is None else root
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return result_problem(value, target, where, root)
    name = where or "the top level"
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        if not _fits(value, kinds):
            expected = " or ".join(_JSON_TYPES[k] for k in kinds)
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            got = _JSON_TYPES[_json_type(value)]
            return f"field {name} must be {expected}; got {shown} ({got})"
    if "enum" in schema and value not in schema["enum"]:
        return f"field {name} must be one of {schema['enum']}; got {value!r}"
    for sub in schema.get("allOf", []):
        problem = result_problem(value, sub, where, root)
        if problem:
            return problem
    options = [result_problem(value, sub, where, root) for sub in schema.get("oneOf", [])]
    if options and all(options):
        return options[0]
    if isinstance(value, dict):
        return _object_problem(value, schema, where, root)
    if isinstance(value, list) and len(value) < schema.get("minItems", 0):
        return f"field {name} must have at least {schema['minItems']} item(s); got {len(value)}"
    if isinstance(value, list) and len(value) > schema.get("maxItems", len(value)):
        return f"field {name} must have at most {schema['maxItems']} item(s); got {len(value)}"
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problem = result_problem(item, schema["items"], f"{where}[{i}]", root)
            if problem:
                return problem
    return None


def _object_problem(value: dict, schema: dict[str, Any], where: str, root: Any) -> str | None:
    prefix = f"{where}." if where else ""
    for key in schema.get("required", []):
        if key not in value:
            return f"field {prefix}{key} is missing"
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        sub = properties.get(key, extra if isinstance(extra, dict) else None)
        problem = result_problem(item, sub, f"{prefix}{key}", root) if sub else None
        if problem:
            return problem
    return None


def load_result(path: str | Path) -> AuditResult:
    """An AuditResult from a JSON file, or one clear error.

    Raises
    ------
    ValidationError
        When the file is missing or is not a biasaudit JSON result: the message
        says what is wrong (not JSON, another schema version, a field of the
        wrong type) and how to write a good one.

    Examples
    --------
    >>> try:
    ...     load_result("no-such-result.json")
    ... except E.ValidationError as error:
    ...     print(str(error).split(" (")[1])
    no such file). Write one with: biasaudit audit DATA ... --json result.json
    """
    if Path(path).is_dir():
        raise E.ValidationError(E.PATH_IS_FOLDER.format(path=str(path), what="JSON result"))
    if not Path(path).is_file():
        raise E.ValidationError(NOT_A_RESULT.format(path=path, problem="no such file"))
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        problem = f"not JSON: {str(exc).splitlines()[0]}" if str(exc) else "not JSON"
        raise E.ValidationError(NOT_A_RESULT.format(path=path, problem=problem)) from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise E.ValidationError(NOT_A_RESULT.format(path=path, problem="no schema_version"))
    if data["schema_version"] != SCHEMA_VERSION:
        raise E.ValidationError(
            RESULT_VERSION.format(path=path, found=data["schema_version"], expected=SCHEMA_VERSION)
        )
    broken = result_problem(data, json_schema())
    if broken:
        raise E.ValidationError(BAD_RESULT_FIELD.format(path=path, problem=broken))
    try:
        return AuditResult.from_json(path)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        problem = f"missing {exc}" if isinstance(exc, KeyError) else type(exc).__name__
        raise E.ValidationError(NOT_A_RESULT.format(path=path, problem=problem)) from None
