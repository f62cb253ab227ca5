"""The exact text of every message the gate shows (what is wrong, the value, the fix).

Tests assert these word for word.
"""

from __future__ import annotations

__all__: list[str] = []

# -- configuration --------------------------------------------------------------------------
CONFIG_NOT_FOUND = (
    "No gate configuration in {directory!r}: there is no biasaudit.toml and no pyproject.toml "
    "with a [tool.biasaudit] table. Create biasaudit.toml (see docs/ci/biasaudit.toml), "
    "or pass --config FILE."
)
CONFIG_MISSING_FILE = (
    "Configuration file {path!r} does not exist. Pass --config with an existing file."
)
CONFIG_IS_FOLDER = (
    "Configuration {path!r} is a folder, not a file. Pass --config with the path of "
    "biasaudit.toml or pyproject.toml (or run the command in that folder without --config)."
)
CONFIG_BAD_TOML = "Configuration file {path!r} is not valid TOML: {error}. Fix the syntax."
CONFIG_NO_TABLE = (
    "{path!r} has no [tool.biasaudit] table. Add one with the gate settings "
    "(see docs/ci/biasaudit.toml), or pass --config FILE."
)
CONFIG_UNKNOWN_KEY = (
    "Unknown key {key!r} in {path!r}. Allowed keys here: {allowed}. Fix the spelling: an "
    "unknown key is an error so that a typo cannot silently weaken the gate."
)
CONFIG_MISSING_KEY = "Key {key!r} is missing in {path!r}. {fix}"
CONFIG_BAD_VALUE = "Key {key!r} in {path!r} must be {expected}; got {value!r}. {fix}"
CONFIG_CONFLICT = "Keys {keys} in {path!r} cannot be used together. {fix}"
CONFIG_UNKNOWN_METRIC = (
    "Key {key!r} in {path!r} names metric {metric!r}, which the gate does not know. "
    "Gateable metrics: {known}. Use one of those."
)

# -- policy evaluation ----------------------------------------------------------------------
UNKNOWN_METRIC = "Unknown metric {metric!r}. Gateable metrics: {known}. Pass one of those."
METRIC_NOT_COMPUTABLE = (
    "Policy metric {metric!r} cannot be computed from this audit: it needs {need}, and the "
    "audit has none. {fix}"
)
SCOPE_UNKNOWN_TABLE = (
    "The policy's scope names {table!r}, which is not an attribute combination of this audit. "
    "Combinations audited: {tables}. Fix the scope (its keys are combinations such as "
    "'race' or 'sex x race')."
)
SCOPE_UNKNOWN_GROUP = (
    "The policy's scope names group {group!r} of {table!r}, which is not in the audit. "
    "Groups present: {groups}. Fix the spelling, or remove it from the scope."
)

RANK_UNSUPPORTED = (
    "audit_with_records does not take rank={rank!r}: the gate compares decisions made from "
    "scores. Pass score= with a decision rule (e.g. top_k=10) instead."
)

# -- baseline -------------------------------------------------------------------------------
MISSING_BASELINE = (
    "No baseline at {path!r}. Record the accepted matcher's audit as the baseline with: {command}"
)
NOT_A_BASELINE = (
    "File {path!r} is not a biasaudit baseline ({problem}). Re-create it with: {command}"
)
BASELINE_SCHEMA = (
    "Baseline {path!r} was written with result schema_version {found!r}; this biasaudit "
    "({version}) reads schema_version {expected!r}. Re-create the baseline with this version: "
    "{command}"
)
RECORDS_FORMAT = (
    "The {which} audit holds per-candidate records of format {found!r}; this biasaudit reads "
    "format {expected}. Re-create it with: {command}"
)
NO_RECORDS = (
    "The {which} audit has no per-candidate records (sections['gate']['records']), which the "
    "paired comparison needs. Re-create it with 'biasaudit baseline update' (in Python: "
    "biasaudit.gate.audit_with_records), or compare unpaired (unpaired=True; on the command "
    "line, biasaudit gate --unpaired)."
)
POOL_MISMATCH = (
    "The baseline and the candidate audited different evaluation pools ({details}), so their "
    "candidates cannot be paired. Re-create the baseline on the current pool with 'biasaudit "
    "baseline update' from the accepted matcher, or compare unpaired (unpaired=True; on the "
    "command line, biasaudit gate --unpaired), which mixes the effect of the data with that "
    "of the matcher."
)
NO_BASELINE_PATH = (
    "Cannot update the baseline: {path!r} has no [baseline] table with a path. Add "
    '[tool.biasaudit.baseline] with path = ".biasaudit/baseline.json", or pass --baseline FILE.'
)
