"""Sphinx configuration for the biasaudit documentation.

Build (warnings are errors)::

    python3 -m pip install -e '.[docs]'
    python3 -m sphinx -W --keep-going -b html docs docs/_build/html

Three things are generated at every build, before Sphinx reads a page, into
git-ignored folders:

- ``api/generated/``: one page per public module, listing what the module's
  ``__all__`` exports (autosummary then writes a stub page per name), so the
  API reference follows the package when code moves between private modules;
  plus the ``--help`` text of every command-line command;
- ``notebooks/``: copies of the repository's ``notebooks/*.ipynb``, which
  myst-nb executes (the notebooks live outside the documentation folder, and
  Sphinx reads sources only inside it).
"""

from __future__ import annotations

import inspect
import os
import pkgutil
import shutil
import subprocess
import sys
import types
from importlib import import_module
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# Document the checkout next to this folder, installed or not; the notebook kernels
# (separate processes) and the CLI help run it too.
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(
    path for path in (str(ROOT), os.environ.get("PYTHONPATH")) if path
)

import biasaudit  # noqa: E402

# -- Project ----------------------------------------------------------------------

project = "biasaudit"
author = "biasaudit developers"
copyright = "biasaudit developers"
release = biasaudit.__version__
version = ".".join(release.split(".")[:2])
REPOSITORY = "https://github.com/biasaudit/biasaudit"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.extlinks",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",  # includes myst_parser: Markdown pages and notebooks
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "ci/*",  # example CI files, shown with literalinclude
    "notebooks/*-output",  # files a notebook writes when run in place
    "Thumbs.db",
    ".DS_Store",
]
templates_path = ["_templates"]
nitpicky = False  # type names in docstrings are prose ("array-like", "DataFrame"), not targets

# Links to files of the repository that live outside docs/ (they are not pages).
extlinks = {
    "repo": (f"{REPOSITORY}/blob/main/%s", "%s"),
    "doi": ("https://doi.org/%s", "doi:%s"),
    "arxiv": ("https://arxiv.org/abs/%s", "arXiv:%s"),
}

# -- MyST and notebooks -----------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3  # [text](page.md#a-section-title) links

nb_execution_mode = "cache"  # executed once per notebook content (in docs/_build)
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = 300  # seconds per cell; notebook 05 starts a Dask cluster
nb_execution_raise_on_error = True  # a failing notebook fails the build
nb_execution_show_tb = True  # and the log shows the traceback
nb_execution_in_temp = True  # files the notebooks write go to a temporary folder
nb_merge_streams = True
nb_kernel_rgx_aliases = {".*": "python3"}

# -- API reference ----------------------------------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # members are documented by the class template
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- HTML -------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"biasaudit {release}"
html_baseurl = "https://biasaudit.readthedocs.io/en/latest/"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "github_url": REPOSITORY,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "light"}
# Pages without subpages: no empty "Section Navigation" column, more room for the text.
html_sidebars = {
    page: []
    for page in (
        "index",
        "getting-started",
        "json-contract",
        "methods",
        "architecture",
        "development",
        "notebooks",
    )
}

# -- Generated sources ------------------------------------------------------------

GENERATED = DOCS / "api" / "generated"

#: (page, module, title) of every public module in the API reference, in order.
API_MODULES = [
    ("core", "biasaudit", "Top level: audit, rank_audit, results"),
    ("decisions", "biasaudit.decisions", "Decision rules"),
    ("datasets", "biasaudit.datasets", "Datasets and data loaders"),
    ("metrics", "biasaudit.metrics", "Metrics, intervals and tests"),
    ("regulations", "biasaudit.regulations", "Legal rules: Local Law 144 and the EEOC"),
    ("engine", "biasaudit.engine", "Engines and sufficient statistics"),
    ("matchers", "biasaudit.matchers", "Matchers"),
    ("synth", "biasaudit.synth", "Synthetic pools, names and power"),
    ("counterfactual", "biasaudit.counterfactual", "Name-swap counterfactual audits"),
    ("reports", "biasaudit.reports", "Reports"),
    ("gate", "biasaudit.gate", "CI gate"),
    ("plot", "biasaudit.plot", "Plots"),
    ("testing", "biasaudit.testing", "pytest helpers"),
]

#: Command-line commands whose ``--help`` the CLI reference shows.
CLI_COMMANDS = [
    ["audit"],
    ["report"],
    ["compare"],
    ["synth"],
    ["matchers"],
    ["counterfactual"],
    ["gate"],
    ["baseline", "update"],
]


def _public_names(module: types.ModuleType) -> list[str]:
    """The module's ``__all__``, without submodules and dunder names."""
    names = getattr(module, "__all__", None)
    if names is None:
        return []
    return [
        name
        for name in names
        if not name.startswith("__")
        and not isinstance(getattr(module, name, None), types.ModuleType)
    ]


def _kind(obj: object) -> str:
    if inspect.isclass(obj) and issubclass(obj, (Exception, Warning)):
        return "Exceptions and warnings"
    if inspect.isclass(obj):
        return "Classes"
    if callable(obj):
        return "Functions"
    return "Constants"


def _rst_section(title: str, char: str) -> list[str]:
    return [title, char * len(title), ""]


def _names_block(module_name: str, names: list[str], module: types.ModuleType) -> list[str]:
    """autosummary tables (one stub page per name) and constants, grouped by kind."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(_kind(getattr(module, name)), []).append(name)
    lines = [f".. currentmodule:: {module_name}", ""]
    for kind in ("Functions", "Classes", "Exceptions and warnings"):
        if kind in groups:
            lines += _rst_section(kind, "-")
            lines += [".. autosummary::", "   :toctree: .", "   :nosignatures:", ""]
            lines += [f"   {name}" for name in groups[kind]] + [""]
    if "Constants" in groups:
        lines += _rst_section("Constants", "-")
        for name in groups["Constants"]:
            lines += [f".. autodata:: {name}"]
            if len(repr(getattr(module, name))) > 70:
                lines += ["   :no-value:"]
            lines += [""]
    return lines


def _documented_elsewhere() -> set[int]:
    """ids of objects the top-level page documents (not repeated on subpackage pages)."""
    core = _core_names()
    return {id(getattr(biasaudit, name)) for name in core}


def _core_names() -> list[str]:
    """Top-level names, less the decision rules re-exported from biasaudit.decisions."""
    decisions = import_module("biasaudit.decisions")
    rules = {id(getattr(decisions, n)) for n in getattr(decisions, "__all__", [])}
    return [n for n in _public_names(biasaudit) if id(getattr(biasaudit, n)) not in rules]


def _submodules(module: types.ModuleType) -> list[types.ModuleType]:
    """Submodules a package exports: those in its ``__all__``, or, without one, its
    public (not underscored) submodules."""
    if hasattr(module, "__all__"):
        listed = [getattr(module, name, None) for name in module.__all__]
        return [sub for sub in listed if isinstance(sub, types.ModuleType)]
    if not hasattr(module, "__path__"):
        return []
    return [
        import_module(f"{module.__name__}.{info.name}")
        for info in pkgutil.iter_modules(module.__path__)
        if not info.name.startswith("_")
    ]


def _module_page(page: str, module_name: str, title: str) -> str:
    module = import_module(module_name)
    heading = f"{title} (``{module_name}``)"
    lines = _rst_section(heading, "=")
    lines += [f".. automodule:: {module_name}", "   :no-members:", ""]
    if module_name == "biasaudit":  # its submodules have pages of their own
        lines += _names_block(module_name, _core_names(), module)
        return "\n".join(lines)
    skip = _documented_elsewhere()
    names = [n for n in _public_names(module) if id(getattr(module, n)) not in skip]
    if names:
        lines += _names_block(module_name, names, module)
    skip |= {id(getattr(module, n)) for n in names}
    for sub in _submodules(module):
        sub_names = [n for n in _public_names(sub) if id(getattr(sub, n)) not in skip]
        if not sub_names:  # everything it exports is documented above
            continue
        lines += _rst_section(f"``{sub.__name__}``", "-")
        lines += [f".. automodule:: {sub.__name__}", "   :no-members:", ""]
        lines += [
            line.replace("-" * 3, "~" * 3) if set(line) == {"-"} else line
            for line in _names_block(sub.__name__, sub_names, sub)
        ]
        lines += [f".. currentmodule:: {module_name}", ""]
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    """Write only on change, so that an unchanged page is not read again."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _cli_help(command: list[str]) -> str:
    env = {**os.environ, "COLUMNS": "80"}
    out = subprocess.run(
        [sys.executable, "-m", "biasaudit", *command, "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"biasaudit {' '.join(command)} --help failed:\n{out.stderr}")
    return out.stdout


def generate_api_sources() -> None:
    """Module pages (from each ``__all__``) and CLI help texts under api/generated/."""
    wanted = {f"mod-{page}.rst" for page, _, _ in API_MODULES}
    wanted |= {f"cli-{'-'.join(cmd)}.txt" for cmd in CLI_COMMANDS}
    wanted.add("cli-main.txt")
    # Stub pages of names that left an __all__ must not linger: keep only what this
    # build writes (autosummary rewrites the stubs it needs).
    if GENERATED.exists():
        for path in GENERATED.iterdir():
            if path.name not in wanted:
                path.unlink() if path.is_file() else shutil.rmtree(path)
    for page, module_name, title in API_MODULES:
        _write_if_changed(GENERATED / f"mod-{page}.rst", _module_page(page, module_name, title))
    _write_if_changed(GENERATED / "cli-main.txt", _cli_help([]))
    for command in CLI_COMMANDS:
        _write_if_changed(GENERATED / f"cli-{'-'.join(command)}.txt", _cli_help(command))


def copy_notebooks() -> None:
    """Copy ../notebooks/*.ipynb into notebooks/ for myst-nb (only what changed)."""
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for stale in set(target.glob("*.ipynb")) - {target / s.name for s in sources}:
        stale.unlink()
    for source in sources:
        _write_if_changed(target / source.name, source.read_text(encoding="utf-8"))


generate_api_sources()
copy_notebooks()
