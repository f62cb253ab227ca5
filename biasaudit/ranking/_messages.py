"""Messages of rank_audit: what is wrong, the value, the fix."""

from biasaudit import _errors as E

NEEDS_ORDER = (
    "A ranking audit needs an order: got {given}. "
    "Pass exactly one of score=COLUMN (higher is better) or rank=COLUMN (1 is best)."
)
BAD_RANK_VALUES = (
    "Rank column {column!r} must hold whole numbers from 1 up; found {values}. "
    "Recode the ranks so that 1 is the best candidate of each job."
)
DUPLICATE_RANK = (
    "Rank column {column!r} gives rank {rank} to {count} candidates of job {job!r} "
    "({jobs} job(s) have duplicate ranks). Each rank may appear once per job; "
    "fix the ranks, or pass score=... to let ties be broken by pool order."
)
BAD_OPTION = E.BAD_PARAMETER  # the catalogue's one template
BAD_TARGET = (
    "target for {attribute!r} must map known groups {groups} to shares that are "
    "non-negative and sum to 1; got {value!r}. Fix the shares."
)
SHORT_LISTS = (
    "k={k} exceeds the length of {count} job list(s); for those jobs the whole list "
    "counts as the top {k}."
)
FAIR_TRUNCATED = (
    "{count} job(s) are longer than fair_max_length={length}: FA*IR tests their top "
    "{length} positions (pass fair_max_length=None to test whole lists; the time grows "
    "with the square of the length)."
)
BAD_REFERENCE = (
    "reference_group for {attribute!r} is {value!r}, which is not one of its known groups "
    "{groups}. Pass one of those (or leave it out to compare with the highest group)."
)
SMALL_GROUPS = (
    "{attribute}: {groups} fall under the minimum share of the known candidates; their "
    "rates are shown, but they get no ratio or test and are never the comparison group, "
    "as in the group tables."
)
KATZ_FALLBACK = (
    "{attribute}: no job's top k holds a member of {groups}, so every bootstrap draw "
    "over jobs gives an impact ratio of 0; their intervals are Katz log intervals "
    "against the comparison group instead (0.5 added to each cell), whose upper "
    "bound says how large the ratio could still be."
)
ONE_CANDIDATE = (
    "{count} job(s) have a single candidate: insufficient data for position-based "
    "metrics, so they are left out of them (they still count in the top-k tables)."
)
