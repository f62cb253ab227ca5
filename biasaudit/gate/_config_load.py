"""Finding and loading a gate configuration file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from biasaudit import _errors as E
from biasaudit._io import toml_module
from biasaudit.gate import _messages as M
from biasaudit.gate._config import (
    _TOP,
    GateConfig,
)
from biasaudit.gate._config_read import (
    _baseline,
    _check_roles,
    _decision,
    _matcher,
    _policy,
    _pool,
    _Reader,
    _top,
)

__all__ = ["find_config", "load_config"]


def _document(path: Path) -> tuple[Any, str]:
    """The gate's table in the file and its dotted prefix."""
    if path.is_dir():
        raise E.ValidationError(M.CONFIG_IS_FOLDER.format(path=str(path)))
    if not path.is_file():
        raise E.ValidationError(M.CONFIG_MISSING_FILE.format(path=str(path)))
    try:
        document = toml_module().loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise E.ValidationError(M.CONFIG_BAD_TOML.format(path=str(path), error=error)) from exc
    tool = document.get("tool")
    nested = isinstance(tool, Mapping) and "biasaudit" in tool
    if path.name == "pyproject.toml" or (path.name != "biasaudit.toml" and nested):
        if not nested:
            raise E.ValidationError(M.CONFIG_NO_TABLE.format(path=str(path)))
        return tool["biasaudit"], "tool.biasaudit"
    if nested:
        _Reader(path).table(document, "", ("tool",))
        _Reader(path).table(tool, "tool", ("biasaudit",))
        return tool["biasaudit"], "tool.biasaudit"
    return document, ""


def find_config(directory: str | Path | None = None) -> Path:
    """``biasaudit.toml``, else a ``pyproject.toml`` with ``[tool.biasaudit]``, in ``directory``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "pyproject.toml").write_text("[tool.biasaudit]\\n")
    >>> find_config(folder).name
    'pyproject.toml'
    """
    folder = Path(directory) if directory is not None else Path()
    if (folder / "biasaudit.toml").is_file():
        return folder / "biasaudit.toml"
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            document = toml_module().loads(pyproject.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            return pyproject  # load_config reports the syntax error with the file name
        if isinstance(document.get("tool"), Mapping) and "biasaudit" in document["tool"]:
            return pyproject
    raise E.ValidationError(M.CONFIG_NOT_FOUND.format(directory=str(folder.resolve())))


def load_config(
    path: str | Path | None = None, *, directory: str | Path | None = None
) -> GateConfig:
    """Read and validate the gate configuration.

    Parameters
    ----------
    path : str or Path, optional
        The file (``--config``); default: :func:`find_config` in ``directory``.
    directory : str or Path, optional
        Where to look when no path is given (default: the current directory).

    Returns
    -------
    GateConfig

    Raises
    ------
    biasaudit.ValidationError
        For a missing file, invalid TOML, an unknown key, a missing key or a bad
        value; the message names the key and the file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "biasaudit.toml").write_text(
    ...     'attributes = ["sex"]\\n[pool]\\npath = "pool.csv"\\nselected = "hired"\\n'
    ...     '[policy]\\nthresholds = { impact_ratio = 0.8 }\\n')
    >>> config = load_config(directory=folder)
    >>> config.policy.bounds[0].describe(), config.pool.path.name
    ('impact_ratio >= 0.8', 'pool.csv')
    """
    file = Path(path) if path is not None else find_config(directory)
    data, prefix = _document(file)
    r = _Reader(file)
    top = r.table(data, prefix, _TOP)
    if "pool" not in top:
        raise r.missing(
            prefix, "pool", f'Add [{r.key(prefix, "pool")}] with path = "eval/pool.csv".'
        )
    cfg: dict[str, Any] = {
        **_top(r, top, prefix),
        "pool": _pool(r, top["pool"], r.key(prefix, "pool")),
        "decision": _decision(r, top.get("decision", {}), r.key(prefix, "decision")),
        "matcher": _matcher(r, top["matcher"], r.key(prefix, "matcher"))
        if "matcher" in top
        else None,
        "policy": _policy(r, top.get("policy", {}), r.key(prefix, "policy")),
        "baseline": _baseline(r, top["baseline"], r.key(prefix, "baseline"))
        if "baseline" in top
        else None,
    }
    _check_roles(r, cfg, prefix)
    if not cfg["policy"].bounds and cfg["baseline"] is None:
        raise r.missing(
            r.key(prefix, "policy"),
            "thresholds",
            "The gate would check nothing: add thresholds (e.g. { impact_ratio = 0.8 }) "
            "or a [baseline] to compare with.",
        )
    return GateConfig(path=file, prefix=prefix, **cfg)
