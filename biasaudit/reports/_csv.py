"""CSV export of the group tables, safe to open in a spreadsheet."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from biasaudit._io import write_text_atomic
from biasaudit.results import AuditResult

__all__ = ["neutralise", "to_csv"]

#: A formula's first character (OWASP) at the start of the cell or of any line in it: a
#: spreadsheet reads a bare carriage return inside a cell as the start of a new row.
_FORMULA_AT_LINE_START = re.compile(r"(\A|[\r\n])(?=[=+\-@\t\r])")


def neutralise(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with ``'``.

    Numbers are left alone (a negative number is data, not a formula).

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-1+2"), neutralise(-1.5)
    ('\\'=HYPERLINK("http://x")', "'-1+2", -1.5)
    >>> neutralise("Female\\r=IMPORTXML(A1)")
    "Female\\r'=IMPORTXML(A1)"
    """
    if isinstance(value, str):
        return _FORMULA_AT_LINE_START.sub(lambda m: m.group(1) + "'", value)
    return value


def _flat(result: AuditResult) -> pd.DataFrame:
    frame = result.groups_frame().drop(columns=["attribute", "group"])
    out = {}
    for column in frame.columns:
        values = list(frame[column])
        if column.endswith("_ci"):
            out[f"{column}_low"] = [v[0] if v is not None else None for v in values]
            out[f"{column}_high"] = [v[1] if v is not None else None for v in values]
        elif column == "comparison_group":
            out[column] = [" / ".join(map(str, v)) if v is not None else None for v in values]
        else:
            out[column] = values
    flat = pd.DataFrame(out)
    for column in flat.columns:
        if flat[column].dtype == object or pd.api.types.is_string_dtype(flat[column]):
            flat[column] = [neutralise(v) for v in flat[column]]
    return flat


def to_csv(result: AuditResult, path: str | Path | None = None) -> str:
    """One row per (attribute combination, group), every metric; intervals split in two.

    Text cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
    are prefixed with ``'`` so that a spreadsheet shows them instead of running
    them (CSV formula injection).

    Examples
    --------
    >>> import biasaudit
    >>> result = biasaudit.audit(biasaudit.datasets.load_resume_study(),
    ...                          attributes=["sex"], selected="callback")
    >>> to_csv(result).splitlines()[0].split(",")[:4]
    ['attribute_label', 'group_label', 'n', 'share']
    """
    buffer = io.StringIO()
    _flat(result).to_csv(buffer, index=False, lineterminator="\n")
    text = buffer.getvalue()
    if path is not None:
        write_text_atomic(path, text)
    return text
