"""Exceptions, warnings and the exact text of every user-facing message.

Messages are constants so that tests can assert them word for word and so that
every message has the same shape: what is wrong, the value received, the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "BiasAuditError",
    "BiasAuditWarning",
    "InsufficientDataWarning",
    "ValidationError",
    "attribute_list",
    "check_columns",
    "check_known_groups",
    "first_few",
    "first_rows",
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
ATTRIBUTE_IS_ROLE = (
    "Column {column!r} is both a protected attribute and the {role} column; an audit of "
    "a group by its own decision or score says nothing. Pass a separate attribute column "
    "(attributes=[...], on the command line --attribute COL) or another {role} column."
)
DUPLICATE_COLUMNS = (
    "File {path!r} names column(s) {columns} more than once; a reader would keep one and "
    "rename the other. Give every column a distinct name in the file."
)
BLANK_JOB_IDS = (
    "Job column {column!r} has {count} blank or missing value(s) ({where}); "
    "each would become a job of its own. Fill in the job of those rows or drop them."
)
DUPLICATE_ATTRIBUTE = (
    "Attribute {column!r} is named twice in {attributes}. Name each protected attribute "
    "once (on the command line, one --attribute per column)."
)
UNKNOWN_INTERSECTION = (
    "Intersection attribute {column!r} is not one of the audited attributes {attributes}. "
    "Audit it too (attributes=[...], on the command line --attribute COL), or name only "
    "audited attributes in intersections= (--intersection A,B)."
)
RANK_WITHOUT_RULE = (
    "A rank column orders the candidates but decides nothing, and there is no score to "
    "rate: got rank and no decision. Pass top_k= or top_fraction= to count each job's "
    "best-ranked candidates as selected, or selected=COLUMN (on the command line --top-k K, "
    "--top-fraction F or --selected COL)."
)
MISSING_ATTRIBUTES = (
    "No protected attribute was given. Columns present: {present}. "
    "Pass attributes=[...] (on the command line --attribute COL, repeatable) with one "
    "or more existing columns."
)

EMPTY_DATA_PATH = (
    "The data path is empty ({data!r}). Give the path of a CSV or Parquet file or folder, "
    "or --example resume-study."
)
KEY_TWICE = (
    "{flag} names {key!r} twice ({first!r} and {second!r}); the last would silently win. "
    "Give {flag} once per column."
)
LEGAL_ROLE_NOT_AUDITED = (
    "--legal-role names column {column!r}, which is not an audited attribute "
    "({attributes}), so it would be ignored. Name an audited attribute (--legal-role COL=ROLE), "
    "or audit that column too (--attribute {column})."
)
SHORT_INTERSECTION = (
    "An intersection crosses two or more attributes; got {combination}, which each audited "
    "attribute's own table already covers. Name two or more, e.g. intersections=[('sex', "
    "'race')] (on the command line --intersection sex,race)."
)
PER_JOB_WITHOUT_FRACTION = (
    "per_job=True applies only to a top_fraction= rule (a top_k= rule is always per job; "
    "threshold= or selected= has no quota to share out per job); got it with {rule}=. Drop "
    "per_job=True, or use top_fraction=F instead."
)
INCONSISTENT_RESULT = (
    "File {paths} is a biasaudit JSON result of the right shape, but its fields disagree with "
    "each other, so no report can be drawn from it ({error}); was it edited by hand? Write it "
    "again with: biasaudit audit DATA ... --json result.json"
)
TOO_MANY_GROUPS = (
    "Attribute(s) {attributes} make a table of {count:,} groups, more than max_groups={limit:,}. "
    "So many groups usually means an id or free-text column, and such a table takes long to "
    "test and cannot be read. Audit a coarser column, or raise the limit with max_groups=N "
    "(on the command line --max-groups N)."
)


def first_few(values: Sequence[object], limit: int = 5) -> str:
    """The first ``limit`` values and how many more, for a message of bounded length.

    Examples
    --------
    >>> first_few(["a", "b"])
    "'a', 'b'"
    >>> first_few(list(range(12)), limit=3)
    '0, 1, 2 and 9 more'
    """
    shown = ", ".join(repr(v) for v in values[:limit])
    rest = len(values) - limit
    return f"{shown} and {rest:,} more" if rest > 0 else shown


#: How the row numbers in the messages count.
ROW_NUMBERS = "row 1 is the first row of data, after the header"


def first_rows(values: Sequence[object], by_id: bool) -> str:
    """Where the offending rows are, for a message: their ids, or their row numbers from 1.

    Examples
    --------
    >>> first_rows([3, 17], by_id=False)
    'first rows: [3, 17]; row 1 is the first row of data, after the header'
    >>> first_rows(["c7"], by_id=True)
    "first ids: ['c7']"
    """
    if by_id:
        return f"first ids: {list(values)}"
    return f"first rows: {list(values)}; {ROW_NUMBERS}"


def attribute_list(attributes: str | Iterable[str] | None) -> list[str]:
    """The protected-attribute columns as a list: one name, or any sequence of them.

    Examples
    --------
    >>> attribute_list("sex"), attribute_list(("sex", "race")), attribute_list(None)
    (['sex'], ['sex', 'race'], [])

    Raises
    ------
    ValidationError
        When a column is named twice.
    """
    names = [attributes] if isinstance(attributes, str) else list(attributes or ())
    twice = sorted({a for a in names if names.count(a) > 1})
    if twice:
        raise ValidationError(DUPLICATE_ATTRIBUTE.format(column=twice[0], attributes=names))
    return names


def check_columns(
    present: Iterable[str], attributes: Iterable[str], roles: Mapping[str, str | None]
) -> None:
    """Raise the pool's message for a missing attribute or role column.

    Every engine calls it before reading any data, so a misspelt column gets the
    same message from a DataFrame, a DuckDB relation, a Parquet lake or Dask.

    Examples
    --------
    >>> check_columns(["sex", "score"], ["sex"], {"score": "score", "label": None})
    >>> try:
    ...     check_columns(["sex"], ["sex"], {"score": "scroe"})
    ... except ValidationError as error:
    ...     print(str(error).split(". ")[0])
    Column 'scroe' is not in the pool
    """
    present = list(present)
    attributes = list(attributes)
    if not attributes:
        raise ValidationError(MISSING_ATTRIBUTES.format(present=present))
    missing = [(c, "attributes") for c in attributes if c not in present]
    missing += [(c, role) for role, c in roles.items() if c is not None and c not in present]
    if missing:
        column, role = missing[0]
        raise ValidationError(MISSING_COLUMN.format(column=column, present=present, role=role))
    named = [(role, c) for role, c in roles.items() if c is not None]
    for i, (role, column) in enumerate(named):
        other = next((r for r, c in named[:i] if c == column), None)
        if other is not None:
            raise ValidationError(ROLE_TWICE.format(column=column, first=other, second=role))
    used = {c: role for role, c in named}
    both = [a for a in attributes if a in used]
    if both:
        raise ValidationError(ATTRIBUTE_IS_ROLE.format(column=both[0], role=used[both[0]]))


ROLE_TWICE = (
    "Column {column!r} is named both as the {first} column and as the {second} column; each "
    "role needs its own column (a decision audited against itself says nothing). Pass "
    "{first}=... and {second}=... with different columns."
)
NON_NUMERIC_SCORE = (
    "Score column {column!r} is not numeric (dtype {dtype}); first values: {examples}. "
    "Pass a numeric column as score=..., or convert it first."
)
NON_FINITE_SCORE = (
    "Score column {column!r} has {count} NaN or infinite value(s) ({where}). "
    "Drop or impute those rows before the audit."
)
NOT_BINARY = (
    "Column {column!r} ({role}) must be binary (0/1 or True/False); "
    "found other values: {values}. Recode it to 0/1."
)
MISSING_BINARY = (
    "Column {column!r} ({role}) has {count} missing value(s) ({where}). "
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
EXAMPLE_AND_DATA = (
    "Both a data file ({data!r}) and --example {example} were given; an audit reads one "
    "pool. Drop the file to audit the example, or drop --example to audit the file."
)
NO_KNOWN_GROUP = (
    "Attribute {column!r} has no known group: every value is missing or unknown. "
    "Pass an attribute whose values are recorded, or map its spellings to categories "
    "(a column mapping's [categories] table; on the command line --mapping FILE)."
)


def check_known_groups(column: str, known: list[str]) -> None:
    """Refuse an attribute with fewer than two known groups: nothing to compare.

    Examples
    --------
    >>> check_known_groups("sex", ["Female", "Male"])
    >>> try:
    ...     check_known_groups("sex", [])
    ... except ValidationError as error:
    ...     print(str(error).split(":")[0])
    Attribute 'sex' has no known group
    """
    if not known:
        raise ValidationError(NO_KNOWN_GROUP.format(column=column))
    if len(known) < 2:
        raise ValidationError(SINGLE_GROUP.format(column=column, groups=list(known)))


NO_DECISION = (
    "No decision to audit: the pool has neither a selected column nor a score. "
    "Pass selected=COLUMN, or score=COLUMN with threshold=, top_k= or top_fraction= "
    "(on the command line --selected COL, or --score COL with --threshold, --top-k or "
    "--top-fraction)."
)
CONFLICTING_RULES = (
    "Only one decision rule can be used; got {rules}. "
    "Pass exactly one of threshold=, top_k=, top_fraction= or selected=."
)
RULE_NEEDS_SCORE = "The {rule} rule needs scores, but no score column was given. Pass score=COLUMN."
#: The one message of an argument outside its constraints (biasaudit._validation renders
#: ``expected`` from the constraints): what is wrong, the value received, the fix.
BAD_PARAMETER = "{name} must be {expected}; got {value!r}. {fix}"
BAD_RULE_VALUE = BAD_PARAMETER  # earlier names of the same message
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
UNWRITABLE_OUTPUT = "Cannot write {path!r}: {problem}. Pass a file path in an existing folder."
UNREADABLE_FILE = (
    "Could not read {path!r} as {kind}: {error}. Check that the file is a valid {kind} file."
)
UNKNOWN_FILE_TYPE = (
    "Cannot tell the format of {path!r} from its extension. "
    "Use a .csv (optionally .gz, .bz2, .zip or .xz compressed), .tsv, .parquet or .pq file."
)
STATS_MISMATCH = (
    "Cannot add sufficient statistics with different {what}: {left} vs {right}. "
    "Reduce both parts with the same attributes, jobs and score bins."
)
NO_DATA = "No data given. Pass a CSV or Parquet file, or --example resume-study."

# -- synthetic pools (biasaudit.synth) and real-data loaders (biasaudit.loaders) --
UNKNOWN_BIAS_KNOB = (
    "Unknown bias knob {name!r}. Known knobs: {known}. "
    "Write a knob as [KNOB:]ATTRIBUTE=GROUP:VALUE, "
    "e.g. 'direct:race=Black or African American:0.7'."
)
BAD_BIAS_SPEC = (
    "Cannot read the bias knob {text!r}. "
    "Write it as [KNOB:]ATTRIBUTE=GROUP:VALUE, e.g. 'race=Black or African American:0.7'."
)
BAD_BIAS_TARGET = (
    "Bias knob {knob!r} names {what} {value!r}, which the pool does not have. "
    "Choose one of: {choices}."
)
BAD_BIAS_VALUE = "Bias knob {knob!r} has value {value!r}; it must be {expected}. {fix}"
DUPLICATE_BIAS_KNOB = (
    "Bias knob {knob!r} is given twice (values {values}). Give each knob once per group."
)
UNREACHABLE_BIAS = (
    "Bias knob {knob!r} asks for an impact ratio of {value}, which this knob cannot reach: "
    "with its settings it spans [{low:.3f}, {high:.3f}]. "
    "Ask for a ratio inside that range, or use the 'direct' knob."
)
BAD_SHARES = (
    "Shares of {attribute!r} must be non-negative and sum to 1; got {shares} (sum {total:.6g}). "
    "Fix the shares so that they add up to 1."
)
UNKNOWN_SHARE_GROUP = (
    "Shares of {attribute!r} name unknown group(s) {groups}. Known groups: {known}. "
    "Use those names (or leave the group out)."
)
UNKNOWN_SYNTH_ATTRIBUTE = (
    "Unknown synthetic attribute {name!r}. Available: {known}. Pass attributes=[...] with those."
)
BAD_SYNTH_ARGUMENT = BAD_PARAMETER
MISSING_DUCKDB = (
    "Reading a Parquet lake, a DuckDB relation or a DuckDB database needs the optional "
    "package 'duckdb'; install it with: "
    "pip install 'biasaudit[duckdb]'"
)
BAD_MAPPING_FILE = "Could not read the mapping file {path!r}: {error}. {fix}"
MAPPING_MISSING_COLUMNS = (
    "The mapping names column(s) {missing} that the data does not have. "
    "Columns present: {present}. Fix [columns] in {path!r}."
)
MAPPING_NO_ATTRIBUTES = (
    "The mapping {path!r} names no protected attribute in [columns]. "
    'Add a line such as sex = "gender" (any key other than {roles} is an attribute).'
)
UNMAPPABLE_VALUES = (
    "Column {column!r} has {count} value(s) that cannot be mapped to the {target} categories "
    "(value: rows): {values}. Add them to [categories.{column}] in the mapping, e.g. "
    '{example!r} = "Unknown", or fix the data.'
)
BAD_CATEGORY_TARGET = (
    "[categories.{column}] maps {value!r} to {target!r}, which is not an {kind} category. "
    "Use one of: {allowed}."
)
SQL_FAILED = "The SQL query failed on {database!r}: {error}. Check the query and the table names."
UNKNOWN_DATA_FORMAT = (
    "Cannot tell the format of {path!r}. Use a .csv, .tsv, .parquet, .jsonl, .ndjson, "
    ".duckdb, .sqlite or .db file, or pass format=..."
)
SQL_NEEDS_QUERY = (
    '{path!r} is a database; say what to read with query="SELECT ..." '
    '(or query = "..." under [source] in the mapping).'
)

# -- matchers (biasaudit.matchers) --
UNKNOWN_MATCHER = (
    "Unknown matcher {name!r}. Available: {known}. "
    "Pass one of those, or install the package that provides it (see 'biasaudit matchers')."
)
BAD_MATCHER_OPTION = (
    "Matcher {matcher!r} does not accept the option(s) {options}. Accepted options: {accepted}. "
    "Fix the option name (see 'biasaudit matchers')."
)
BROKEN_MATCHER_PLUGIN = (
    "The matcher plugin {name!r} ({target}) could not be loaded: {error}. "
    "Reinstall or fix the package that provides it."
)
NOT_A_MATCHER = (
    "{what} is not a matcher: it needs a score(candidates, job) method and a fingerprint. "
    "Wrap a function with biasaudit.matchers.get('callable', func=...)."
)
MATCHER_MISSING_COLUMN = (
    "Matcher {matcher!r} reads column {column!r} ({role}), which the candidates do not have. "
    "Columns present: {present}. Pass {role}=... with an existing column."
)
MATCHER_BAD_OUTPUT = (
    "Matcher {matcher!r} returned {problem} for job {job!r}. "
    "A matcher must return one finite number per candidate, in candidate order."
)
MATCHER_FAILED_ROWS = (
    "Matcher {matcher!r} could not score {count} of {total} candidate-job pair(s) "
    "(first row positions: {rows}); reasons: {reasons}. Scores already computed are cached "
    "when a cache is set: rerun to retry only these, or drop those rows."
)
MATCHER_NEEDS_JOB = (
    "Matcher {matcher!r} compares candidates with a job posting, but no jobs were given. "
    "Pass jobs=... (a Job, a list of them, or a CSV/JSON file; --jobs FILE on the command line)."
)
JOBS_NOT_FOUND = (
    "The pool's job column {column!r} names job(s) {missing} that are not among the jobs given "
    "({known}). Add those postings to the jobs, or fix the job column."
)
MANY_JOBS_NEED_COLUMN = (
    "{count} jobs were given but the pool has no job column to say which candidate applied "
    "to which. Pass job=COLUMN, or one job, or cross=True to score every candidate for every job."
)
BAD_JOB = "Job {where}: {problem}. {fix}"
BAD_JOBS_FILE = "Could not read jobs from {path!r}: {error}. {fix}"
SCORE_COLUMN_EXISTS = (
    "The data already has a column {column!r}, where the matcher's scores would go. "
    "Pass score=... (--score on the command line) with a new column name."
)
MATCHER_ARGUMENT_CONFLICT = "{problem} {fix}"
MISSING_EXTRA = (
    "The {matcher!r} matcher needs the optional package {package!r}; install it with: "
    "pip install 'biasaudit[{extra}]'"
)
HTTP_FAILED = (
    "The scoring service at {url} failed after {attempts} attempt(s): {error}. "
    "Check that the service is up, or raise timeout= / retries=."
)
HTTP_BAD_RESPONSE = (
    "The scoring service at {url} sent a response biasaudit cannot read: {problem}; "
    "body starts: {body!r}. Set response_scores= to the field holding the scores."
)
MISSING_TOKEN = (
    "The environment variable {env!r} named by token_env= is not set. "
    "Export it with the service's token, or leave token_env out for a service without auth."
)
MATCHER_CRASHED = (
    "Matcher {matcher!r} failed while scoring job {job!r}: {error}. "
    "Check the matcher's options and the candidate columns it reads."
)
MISSING_DASK = (
    "Auditing a Dask DataFrame needs the optional package 'dask'; install it with: "
    "pip install 'biasaudit[dask]'"
)
DASK_RULE = (
    "The {rule} rule ranks candidates across a whole job, which a partition-wise Dask "
    "reduction cannot do. Shuffle each job into one partition and pass selected=, or audit "
    "with DuckDB (Parquet files) or in memory."
)

# -- input files, folders and cells (biasaudit._io, loaders, engines) --
PATH_NOT_FOUND = "File {path!r} does not exist. Check the path."
PATH_IS_FOLDER = "{path!r} is a folder, but the {what} must be one file. Give the path of a file."
EMPTY_FOLDER = (
    "Folder {path!r} holds no data to audit: a folder is read as a Parquet dataset, and it has "
    "no .parquet file (subfolders included){others}. Put the Parquet files there, or give the "
    "path of one .csv, .tsv or .parquet file."
)
NO_MATCHING_FILES = (
    "No file matches {pattern!r}. Check the pattern, or give the path of a .csv, .tsv or "
    ".parquet file."
)
BAD_LAKE_FILE = (
    "Could not read {file!r}, one of the {count} Parquet file(s) of {path!r}: {error}. "
    "Replace or remove that file."
)
EXCEL_FILE = (
    "{path!r} is an Excel workbook, which biasaudit does not read. Save the sheet as CSV "
    "(in Excel: File > Save As > CSV) and give that file."
)
NESTED_COLUMN = (
    "Column {column!r} ({role}) holds {kind} values, not one value per candidate. Flatten it to "
    "one plain value per candidate (one row per candidate, one column per item) before the audit."
)
BAD_CELLS = (
    "Column {column!r} ({role}) must hold {expected}, but {count} cell(s) do not; first: "
    "{cells} ({where}). Fix or remove those cells, or recode the column."
)
BLANK_IDS = (
    "Id column {column!r} has {count} blank or missing value(s) (first rows: {rows}; {where}); "
    "every candidate needs its own id. Fill in those ids or drop the rows."
)
MIXED_TYPES = (
    "Column {column!r} ({role}) mixes values of different types ({types}), so it cannot be "
    "read as one column. Make its values one type: all text or all numbers."
)

# -- matcher services and the score cache (biasaudit.matchers, issue 13) --
HTTP_FAILED_FOR_JOB = (
    "The scoring service at {url} failed while scoring job {job!r}, after {attempts} "
    "attempt(s): {error}. Check that the service is up, or raise timeout= / retries=."
)
CACHE_NOT_USABLE = (
    "The score cache {path!r} {problem}. Pass cache=FOLDER (biasaudit keeps scores.sqlite "
    "inside it) or the path of a new .sqlite file."
)
MATCHER_OPTION_MISSING = (
    "Matcher {matcher!r} needs the option(s) {missing}, which were not given. Pass "
    "matcher_options={{{example}: ...}} (on the command line --matcher-option {example_cli}=VALUE)."
)
