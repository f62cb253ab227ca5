"""Reading tables from files, turning native frames into narwhals frames, writing safely."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw

from biasaudit import _errors as E

__all__ = [
    "EXCEL_SUFFIXES",
    "atomic_path",
    "check_input_file",
    "check_writable",
    "file_sha256",
    "read_table",
    "to_narwhals",
    "write_all_atomic",
    "write_text_atomic",
]

_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".tsv")
_PARQUET_SUFFIXES = (".parquet", ".pq")
#: Spreadsheet workbooks, refused with a hint to save the sheet as CSV.
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def check_input_file(path: str | Path, what: str = "data") -> Path:
    """The path of an existing file to read, or one clear refusal (missing, or a folder).

    Examples
    --------
    >>> import tempfile
    >>> try:
    ...     check_input_file(tempfile.gettempdir(), "mapping file")
    ... except E.ValidationError as error:
    ...     print(str(error).split(", but ")[1])
    the mapping file must be one file. Give the path of a file.
    """
    path = Path(path)
    if path.is_dir():
        raise E.ValidationError(E.PATH_IS_FOLDER.format(path=str(path), what=what))
    if not path.is_file():
        raise E.ValidationError(E.PATH_NOT_FOUND.format(path=str(path)))
    return path


def file_sha256(path: str | Path, chunk: int = 1 << 22) -> str:
    """SHA-256 of a file's bytes, read in chunks so large files stay out of memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_CSV_SUFFIXES):
        return "CSV"
    if name.endswith(_PARQUET_SUFFIXES):
        return "Parquet"
    if name.endswith(EXCEL_SUFFIXES):
        raise E.ValidationError(E.EXCEL_FILE.format(path=str(path)))
    raise E.ValidationError(E.UNKNOWN_FILE_TYPE.format(path=str(path)))


def read_table(path: str | Path) -> Any:
    """Read a CSV or Parquet file into a pandas DataFrame with clear errors.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (optionally compressed), ``.tsv``, ``.parquet`` or ``.pq`` file.

    Returns
    -------
    pandas.DataFrame
        The table as read.

    Examples
    --------
    >>> from biasaudit.datasets import resume_study_path
    >>> read_table(resume_study_path()).shape[0]
    4870
    """
    import pandas as pd

    path = check_input_file(path)
    kind = _file_kind(path)
    try:
        if kind == "CSV":
            sep = "\t" if path.name.lower().endswith(".tsv") else ","
            header = pd.read_csv(path, sep=sep, header=None, nrows=1).iloc[0].astype(str)
            twice = sorted(set(header[header.duplicated()]))
            if twice:
                raise E.ValidationError(E.DUPLICATE_COLUMNS.format(path=str(path), columns=twice))
            return pd.read_csv(path, sep=sep)
        return pd.read_parquet(path)
    except E.ValidationError:
        raise
    except Exception as exc:
        text = str(exc).strip()
        first_line = text.splitlines()[0].rstrip(".") if text else type(exc).__name__
        raise E.ValidationError(
            E.UNREADABLE_FILE.format(path=str(path), kind=kind, error=first_line)
        ) from exc


def to_narwhals(data: Any) -> nw.DataFrame:
    """Wrap a pandas, polars or pyarrow table as an eager narwhals DataFrame."""
    try:
        frame = nw.from_native(data)
    except TypeError as exc:
        raise E.ValidationError(E.UNSUPPORTED_INPUT.format(kind=type(data).__name__)) from exc
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, nw.DataFrame):
        raise E.ValidationError(E.UNSUPPORTED_INPUT.format(kind=type(data).__name__))
    return frame


def toml_module() -> Any:
    """The TOML reader: the standard library's ``tomllib``, or ``tomli`` on Python 3.10.

    Examples
    --------
    >>> toml_module().loads('a = 1')
    {'a': 1}
    """
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # pragma: no cover - Python 3.10: a dependency there (pyproject.toml)

    return tomli  # pragma: no cover


def check_writable(path: Path) -> None:
    """Refuse, before any work, a path that names a folder or lies in a missing one."""
    if path.is_dir():
        raise E.ValidationError(
            E.UNWRITABLE_OUTPUT.format(path=str(path), problem="it is a folder")
        )
    if not path.parent.is_dir():
        problem = f"its folder {str(path.parent)!r} does not exist"
        raise E.ValidationError(E.UNWRITABLE_OUTPUT.format(path=str(path), problem=problem))


def _staged(target: Path) -> tuple[int, str]:
    """A new temporary file beside ``target``, with the permissions ``target`` will have.

    ``mkstemp`` creates files readable by their owner only (0600); a report written
    through it would lose the permissions a plain ``open`` gives: those of the file
    it replaces, else 0666 less the umask.
    """
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:  # a new file
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    os.chmod(name, mode)
    return handle, name


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only when the block succeeds.

    Readers never see a half-written file, and a failed write (a full disk, an
    interrupted run) leaves any previous file at ``path`` as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    check_writable(target)
    handle, name = _staged(target)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all (:func:`write_all_atomic`)."""
    write_all_atomic({Path(path): text})


def write_all_atomic(texts: dict[Path, str]) -> None:
    """Write several files all or nothing: every one is written beside its target
    first, and the targets are replaced only when all of them were written."""
    for path in texts:
        check_writable(path)
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in texts.items():
            handle, name = _staged(path)
            staged.append((Path(name), path))
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
