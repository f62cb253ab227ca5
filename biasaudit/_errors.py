"""Exceptions, warnings and the exact text of every user-facing message.

Messages are constants so that tests can assert them word for word and so that
every message has the same shape: what is wrong, the value received, the fix.
"""

from __future__ import annotations

__all__ = [
    "BiasAuditError",
    "BiasAuditWarning",
    "InsufficientDataWarning",
    "ValidationError",
]


class BiasAuditError(Exception):
    """Base class of the errors biasaudit raises on purpose."""


class ValidationError(BiasAuditError, ValueError):
    """The input data or arguments cannot be audited as given."""


class BiasAuditWarning(UserWarning):
    """Base class of biasaudit's warnings."""


class InsufficientDataWarning(BiasAuditWarning):
    """A metric is undefined for the data (empty group, zero reference rate)."""


MISSING_COLUMN = (
    "Column {column!r} is not in the pool. Columns present: {present}. "
    "Pass {role}=... with an existing column."
)
MISSING_ATTRIBUTES = (
    "No protected attribute was given. Columns present: {present}. "
    "Pass attributes=[...] with one or more existing columns."
)
NON_NUMERIC_SCORE = (
    "Score column {column!r} is not numeric (dtype {dtype}); first values: {examples}. "
    "Pass a numeric column as score=..., or convert it first."
)
NON_FINITE_SCORE = (
    "Score column {column!r} has {count} NaN or infinite value(s); first row ids: {ids}. "
    "Drop or impute those rows before the audit."
)
NOT_BINARY = (
    "Column {column!r} ({role}) must be binary (0/1 or True/False); "
    "found other values: {values}. Recode it to 0/1."
)
MISSING_BINARY = (
    "Column {column!r} ({role}) has {count} missing value(s); first row ids: {ids}. "
    "Drop or fill those rows before the audit."
)
DUPLICATE_IDS = (
    "Column {column!r} (id) has {count} duplicated value(s): {values}. "
    "Ids must be unique; deduplicate the pool or pass a unique id column."
)
EMPTY_POOL = "The pool has no rows. Pass a table with at least one candidate per group."
SINGLE_GROUP = (
    "Attribute {column!r} has only one known group ({groups}); nothing to compare. "
    "Pass an attribute with two or more groups."
)
NO_DECISION = (
    "No decision to audit: the pool has neither a selected column nor a score. "
    "Pass selected=COLUMN, or score=COLUMN with threshold=, top_k= or top_fraction=."
)
CONFLICTING_RULES = (
    "Only one decision rule can be used; got {rules}. "
    "Pass exactly one of threshold=, top_k=, top_fraction= or selected=."
)
RULE_NEEDS_SCORE = "The {rule} rule needs scores, but no score column was given. Pass score=COLUMN."
BAD_RULE_VALUE = "{name} must be {expected}; got {value!r}. {fix}"
BAD_REFERENCE = (
    "Reference group {value!r} is not a known group of attribute {column!r}. "
    "Groups present: {groups}. Pass reference_group={{{column!r}: one of those}}."
)
BAD_REFERENCE_ATTRIBUTE = (
    "Reference group names attribute {column!r}, which is not audited. "
    "Audited attributes: {attributes}. Name one of those."
)
UNSUPPORTED_INPUT = (
    "Cannot read data of type {kind}. Pass a pandas or polars DataFrame, a pyarrow Table, "
    "a CandidatePool, or a path to a .csv or .parquet file."
)
MISSING_FILE = "File {path!r} does not exist. Check the path, or pass a DataFrame instead."
UNREADABLE_FILE = (
    "Could not read {path!r} as {kind}: {error}. Check that the file is a valid {kind} file."
)
UNKNOWN_FILE_TYPE = (
    "Cannot tell the format of {path!r} from its extension. "
    "Use a .csv, .csv.gz, .parquet or .pq file."
)
STATS_MISMATCH = (
    "Cannot add sufficient statistics with different {what}: {left} vs {right}. "
    "Reduce both parts with the same attributes, jobs and score bins."
)
NO_DATA = "No data given. Pass a CSV or Parquet file, or --example resume-study."
