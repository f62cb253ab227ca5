"""Column mapping files (TOML): which source column plays which role, and category spellings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from biasaudit import _errors as E
from biasaudit._io import check_input_file, toml_module
from biasaudit.loaders._eeo1 import (
    _FLAG_SPELLINGS,
    _KINDS,
    _UNKNOWN_SPELLINGS,
    HISPANIC_FLAG,
    ROLES,
    _extra_tables,
    _key,
    _map_one,
    _present,
    _unmappable_message,
    normalize_eeo1,
)
from biasaudit.pool import UNKNOWN

# -- mapping files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column plays which role, and how category values translate.

    Parameters
    ----------
    columns : mapping
        ``{biasaudit name: source column}``. Keys in ``ROLES`` (``id``, ``job``,
        ``label``, ``score``, ``selected``, ``rank``) are roles; ``hispanic_or_latino``
        names a separate yes/no Hispanic-or-Latino question that is folded into the
        race attribute (see :meth:`apply`); every other key is a protected attribute.
    categories : mapping
        Per attribute, either a ``{raw value: category}`` table (added to the built-in
        EEO-1 spellings for ``sex`` and ``race``; exhaustive for other attributes),
        or one of the strings ``"sex"``, ``"race"`` (normalise as that EEO-1
        attribute) or ``"as-is"`` (keep the values).
    query : str, optional
        SQL query to run when the data is a database.
    path : str, optional
        Where the mapping was read from (for messages).

    Examples
    --------
    >>> import pandas as pd
    >>> mapping = ColumnMapping({"sex": "gender", "selected": "hired"})
    >>> raw = pd.DataFrame({"gender": ["F", "M", "Declined"], "hired": [1, 0, 1]})
    >>> mapping.apply(raw)["sex"].tolist()
    ['Female', 'Male', 'Unknown']
    >>> mapping.audit_options()
    {'attributes': ['sex'], 'selected': 'selected'}
    """

    columns: Mapping[str, str]
    categories: Mapping[str, Any] = field(default_factory=dict)
    query: str | None = None
    path: str = "<mapping>"

    def __post_init__(self) -> None:
        fix = 'Write [columns] as name = "source column".'
        if not self.columns or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.columns.items()
        ):
            raise E.ValidationError(
                E.BAD_MAPPING_FILE.format(
                    path=self.path, error="[columns] is missing, empty or not all text", fix=fix
                )
            )
        if not self.attributes:
            raise E.ValidationError(
                E.MAPPING_NO_ATTRIBUTES.format(path=self.path, roles=list(ROLES))
            )
        if HISPANIC_FLAG in self.columns and self._race_attribute() is None:
            raise E.ValidationError(
                E.BAD_MAPPING_FILE.format(
                    path=self.path,
                    error=f"[columns] has {HISPANIC_FLAG} but no race attribute to fold it into",
                    fix='Add e.g. race = "race column" to [columns].',
                )
            )
        for name, spec in self.categories.items():
            if name == HISPANIC_FLAG and HISPANIC_FLAG in self.columns:
                continue
            if name not in self.attributes:
                raise E.ValidationError(
                    E.BAD_MAPPING_FILE.format(
                        path=self.path,
                        error=f"[categories] names {name!r}, which is not an attribute in "
                        f"[columns] (attributes: {self.attributes})",
                        fix="Name an attribute from [columns], or add it there.",
                    )
                )
            if isinstance(spec, str) and spec not in ("sex", "race", "as-is"):
                raise E.ValidationError(
                    E.BAD_MAPPING_FILE.format(
                        path=self.path,
                        error=f"[categories] {name} = {spec!r} is not 'sex', 'race' or 'as-is'",
                        fix="Use one of those, or a [categories." + name + "] table.",
                    )
                )

    @property
    def attributes(self) -> list[str]:
        """The protected attributes: every ``[columns]`` key that is not a role."""
        return [name for name in self.columns if name not in (*ROLES, HISPANIC_FLAG)]

    def audit_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`biasaudit.audit` on the mapped frame."""
        roles = {name: name for name in self.columns if name in ROLES}
        return {"attributes": self.attributes, **roles}

    def _race_attribute(self) -> str | None:
        return next((a for a in self.attributes if self._kind(a) == "race"), None)

    def _kind(self, attribute: str) -> str:
        spec = self.categories.get(attribute)
        if isinstance(spec, str):
            return spec
        return _KINDS.get(attribute, "as-is")

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rename the mapped columns and normalise the attributes' categories.

        The mapped columns come first under their biasaudit names; the other source
        columns follow unchanged (a source column whose name a mapped column takes is
        left out). The input is not modified.

        Raises
        ------
        biasaudit.ValidationError
            If a mapped column is absent, or any attribute holds a value that cannot be
            mapped (every such value of every attribute is listed).

        Notes
        -----
        With a ``hispanic_or_latino`` column (yes/no spellings; extra ones under
        ``[categories.hispanic_or_latino]``), EEO-1's rule applies: "Yes" makes the
        race attribute "Hispanic or Latino" whatever the race answer; "No" keeps the
        race answer; an unknown answer makes a non-Hispanic race answer "Unknown",
        because that person may be Hispanic or Latino. The column is kept, normalised
        to Yes / No / Unknown.
        """
        present = [str(c) for c in frame.columns]
        missing = [c for c in dict.fromkeys(self.columns.values()) if c not in present]
        if missing:
            raise E.ValidationError(
                E.MAPPING_MISSING_COLUMNS.format(missing=missing, present=present, path=self.path)
            )
        out = {name: frame[source] for name, source in self.columns.items()}
        used = set(self.columns.values()) | set(self.columns)
        out.update({c: frame[c] for c in frame.columns if c not in used})
        result = pd.DataFrame(out, index=frame.index)
        problems = []
        for attribute in self.attributes:
            try:
                result[attribute] = self._normalize(attribute, result[attribute])
            except E.ValidationError as exc:
                problems.append(str(exc))
        if HISPANIC_FLAG in self.columns:
            try:
                result[HISPANIC_FLAG] = self._flag(result[HISPANIC_FLAG])
            except E.ValidationError as exc:
                problems.append(str(exc))
        if problems:
            raise E.ValidationError("\n".join(problems))
        if HISPANIC_FLAG in self.columns:
            race = self._race_attribute()
            result[race] = _fold_hispanic(result[race], result[HISPANIC_FLAG])
        return result

    def _flag(self, values: pd.Series) -> pd.Series:
        table = {**dict.fromkeys(_UNKNOWN_SPELLINGS, UNKNOWN)}
        for answer, keys in _FLAG_SPELLINGS.items():
            table.update(dict.fromkeys(keys, answer))
        extra = self.categories.get(HISPANIC_FLAG)
        extra = extra if isinstance(extra, Mapping) else {}
        _extra_tables(extra, HISPANIC_FLAG, "hispanic", ("Yes", "No"))
        table.update({_key(k): v for k, v in extra.items()})
        counts = values.astype(object).where(values.notna(), None).value_counts(dropna=False)
        mapping = {raw: _map_one(raw, "sex", dict(extra), table) for raw in counts.index}
        unmapped = {raw: int(counts[raw]) for raw, found in mapping.items() if found is None}
        if unmapped:
            raise E.ValidationError(_unmappable_message(HISPANIC_FLAG, "yes/no", unmapped))
        out = values.astype(object).map(mapping)
        return out.where(out.notna(), UNKNOWN).astype(object)

    def _normalize(self, attribute: str, values: pd.Series) -> pd.Series:
        kind = self._kind(attribute)
        table = self.categories.get(attribute)
        table = table if isinstance(table, Mapping) else {}
        if kind in ("sex", "race"):
            return normalize_eeo1(values, kind, extra=table, column=attribute).values
        if not table:
            return values
        lookup = {**{_key(k): v for k, v in table.items()}, **dict(table)}
        mapped = values.map(
            lambda v: lookup.get(v, lookup.get(_key(v))) if _present(v) else UNKNOWN
        )
        bad = values[mapped.isna() & values.notna()]
        if len(bad):
            unmapped = {k: int(v) for k, v in bad.value_counts().items()}
            raise E.ValidationError(_unmappable_message(attribute, "listed", unmapped))
        return mapped


def _fold_hispanic(race: pd.Series, flag: pd.Series) -> pd.Series:
    """EEO-1: Hispanic or Latino first; an unknown answer leaves a race answer undecided."""
    hispanic = "Hispanic or Latino"
    undecided = (flag == UNKNOWN) & (race != hispanic)
    out = race.where(flag != "Yes", hispanic)
    return out.where(~undecided, UNKNOWN)


def read_mapping(path: str | Path) -> ColumnMapping:
    """Read a column mapping from a TOML file with ``[columns]``, ``[categories]``, ``[source]``.

    Parameters
    ----------
    path : str or Path
        The TOML file.

    Returns
    -------
    ColumnMapping

    Raises
    ------
    biasaudit.ValidationError
        If the file is missing, is not valid TOML, or has unknown tables.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.toml").write_text('[columns]\\nsex = "gender"\\nselected = "hired"\\n')
    >>> read_mapping(folder / "m.toml").audit_options()
    {'attributes': ['sex'], 'selected': 'selected'}
    """
    path = check_input_file(path, "mapping file")
    fix = "Write a TOML file with a [columns] table (see biasaudit.loaders)."
    try:
        document = toml_module().loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise E.ValidationError(
            E.BAD_MAPPING_FILE.format(path=str(path), error=str(exc).splitlines()[0], fix=fix)
        ) from exc
    unknown = sorted(set(document) - {"columns", "categories", "source"})
    if unknown:
        raise E.ValidationError(
            E.BAD_MAPPING_FILE.format(
                path=str(path),
                error=f"unknown table(s) {unknown}",
                fix="Use only [columns], [categories] and [source].",
            )
        )
    source = document.get("source", {})
    return ColumnMapping(
        columns=document.get("columns", {}),
        categories=document.get("categories", {}),
        query=source.get("query") if isinstance(source, Mapping) else None,
        path=str(path),
    )
