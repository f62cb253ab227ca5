"""Where the bundled data files are: in an installed wheel or in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["bundled_path"]

_INSTALLED_DIR = "_datasets"  # where the wheel puts the repository's datasets/ folder
_SOURCE_DIR = "datasets"  # the folder in a source checkout, next to the package directory

_MISSING_DATASET = (
    "Bundled dataset {filename!r} was not found. Looked in: {searched}. "
    "The biasaudit installation is incomplete; reinstall it with: "
    "pip install --force-reinstall biasaudit"
)


def bundled_path(filename: str) -> Path:
    """Locate a bundled data file in an installed wheel or in a source checkout.

    Parameters
    ----------
    filename : str
        Name of the file inside the repository's ``datasets/`` folder.

    Returns
    -------
    pathlib.Path
        The existing file.

    Raises
    ------
    FileNotFoundError
        If the file is in neither place; the message lists the paths searched.
    """
    installed = resources.files("biasaudit") / _INSTALLED_DIR / filename
    source = Path(__file__).resolve().parent.parent / _SOURCE_DIR / filename
    for candidate in (installed, source):
        # Only a real file can be returned as a Path (not, say, a member of a zip archive).
        if isinstance(candidate, Path) and candidate.is_file():
            return candidate
    searched = [str(installed), str(source)]
    raise FileNotFoundError(_MISSING_DATASET.format(filename=filename, searched=searched))
