"""Exact text of the counterfactual audits' messages: what is wrong, the value, the fix."""

from __future__ import annotations

from biasaudit._errors import BAD_PARAMETER

NO_NAME_COLUMN = (
    "No name column given: a name swap must know each resume's name as it appears in the "
    "text. Columns present: {present}. Pass name_column=... (the full name) or "
    "first_name_column=... (and last_name_column=...)."
)
CONFLICTING_NAME_COLUMNS = (
    "Both name_column={name!r} and first_name_column={first!r} were given. "
    "Pass the full name column or the first (and last) name columns, not both."
)
LAST_WITHOUT_FIRST = (
    "last_name_column={last!r} was given without first_name_column. "
    "Pass first_name_column=... as well, or name_column=... for the full name."
)
NAME_NOT_IN_TEXT = (
    "{count} of {total} resume(s) do not contain their name ({what}) in the text column "
    "{column!r}; first ids: {ids}. Fix the name or text columns, or pass on_missing='drop' "
    "(--drop-missing-names) to leave those resumes out; they are then counted in the result."
)
MISSING_NAME_VALUE = (
    "{count} resume(s) have no name in {what}; first ids: {ids}. "
    "Fill the names, or pass on_missing='drop' (--drop-missing-names) to leave them out."
)
NO_RESUME_LEFT = (
    "No resume is left to compare: all {count} lack their name in the text. "
    "Check name_column / first_name_column and text_column."
)
UNKNOWN_SIGNAL = (
    "Unknown signal {value!r}. Known signals: {known}. "
    "Pass signals=[...] (--signal on the command line) with those."
)
NO_SIGNAL = "No signal given. Pass signals=['name'] (and optionally {others})."
SIGNAL_NEEDS_ATTRIBUTE = (
    "Signal {signal!r} signals {attribute!r}, which is not among the signalled attributes "
    "{attributes}. Add {attribute!r} to groups=, or leave the signal out."
)
UNKNOWN_GROUP_ATTRIBUTE = (
    "Cannot signal {value!r}: names signal only race/ethnicity and sex. "
    "Pass groups= with 'race' and/or 'sex' (also accepted: {aliases})."
)
DUPLICATE_GROUP_ATTRIBUTE = (
    "groups= names {dimension!r} twice ({values}). Name each of race and sex at most once."
)
NO_NAMES_FOR_GROUP = (
    "No name list signals {attribute} = {group!r} (first names from source {source!r}); "
    "groups with a list: {available}. Leave the group out of include=. "
    "See datasets/README.md for why some groups have no list."
)
SINGLE_GROUP_ATTRIBUTE = (
    "Signalled attribute {attribute!r} has a single group ({groups}); nothing to compare. "
    "Include two or more groups, or keep it fixed with hold={{{attribute!r}: {example!r}}} "
    "and signal the other attribute only."
)
BAD_INCLUDE = (
    "include= names {attribute!r}, which is not signalled (signalled: {attributes}). "
    "Name only signalled attributes, or add it to groups=."
)
BAD_HOLD = (
    "hold= can fix only an attribute that is not signalled, to one group with a name list; "
    "got {value!r} (signalled: {attributes}; race groups with lists: {races}; sexes: {sexes})."
)
BAD_REFERENCE = (
    "Reference group {value!r} is not a signalled group. Signalled groups: {groups}. "
    "Pass reference= one of those, as a label ('White / Male') or a mapping "
    "({{'race': 'White', 'sex': 'Male'}})."
)
COLUMN_CLASH = (
    "The data already has column(s) {columns}, which the name swap writes. "
    "Rename them before the audit."
)
DUPLICATE_IDS = (
    "Column {column!r} (id) has {count} duplicated value(s): {values}. "
    "Each resume needs a unique id; deduplicate the data or pass another id column."
)
BAD_OPTION = BAD_PARAMETER  # the catalogue's one message of a bad argument
VARIANTS_UNSCORED = (
    "Matcher {matcher!r} could not score {count} of {total} name-swap variant(s) "
    "(first variant ids: {ids}); reasons: {reasons}. A name swap compares every variant of a "
    "resume, so none may be missing: fix the matcher, or rerun with a cache to retry only these."
)
RANK_MATCHER_IN_SCORE_DESIGN = (
    "Matcher {matcher!r} ranks shortlists (mode='rank'): its scores are positions relative to "
    "whoever shares the shortlist, so paired score differences mean nothing. "
    "Use the ranking design (rank_swap_audit, --design rank), or mode='score'."
)
RANK_MATCHER_SHUFFLES = (
    "Matcher {matcher!r} shuffles each shortlist itself (shuffle=True), so the position check "
    "could not know the order the model saw. Pass the matcher option shuffle=false: "
    "the ranking design shuffles the order itself, and records it."
)
SET_SIZE = (
    "Set column {column!r}: {count} set(s) do not hold exactly {size} resumes (one per "
    "signalled group), e.g. {examples}. Make each set hold {size} equally qualified resumes, "
    "or leave set_column out to rank copies of one resume."
)
SET_SPANS_JOBS = (
    "Set column {column!r}: {count} set(s) mix resumes of different jobs, e.g. {examples}. "
    "A set is ranked for one job; keep each set within one job."
)
CLI_NEEDS_MATCHER = (
    "No matcher given: a name swap scores every variant with one. "
    "Pass --matcher NAME (see 'biasaudit matchers'), e.g. --matcher tfidf --jobs jobs.csv."
)
OPTION_FOR_OTHER_DESIGN = (
    "Option(s) {options} apply only to the {design} design; got --design {given}. "
    "Leave them out, or pass --design {design}."
)
BAD_KEY_VALUES = "Expected ATTRIBUTE=VALUE[,VALUE...] for {flag}; got {value!r}. E.g. {example}."
