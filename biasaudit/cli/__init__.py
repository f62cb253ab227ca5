"""The ``biasaudit`` command line: a thin layer over the Python API.

Exit codes: 0 success, 1 policy violated (gate), 2 usage or input error.
Expected input problems print one message to stderr, without a traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from biasaudit import _errors as E
from biasaudit._io import file_sha256
from biasaudit._validation import check_param
from biasaudit._version import __version__
from biasaudit.audit import AUDIT_CONSTRAINTS, MAX_GROUPS, audit
from biasaudit.cli import _counterfactual, _gate, _matchers, _reports, _synth
from biasaudit.cli._matchers import add_matcher_options, matcher_kwargs
from biasaudit.cli._reports import (
    add_report_options,
    audit_metadata,
    check_legal_roles,
    check_outputs,
    one_each,
    write_reports,
)
from biasaudit.datasets import resume_study_path
from biasaudit.loaders import load, read_mapping

__all__ = ["main"]

EXAMPLES: dict[str, dict[str, Any]] = {
    "resume-study": {
        "attributes": ["race", "sex"],
        "selected": "callback",
        "description": "Bertrand and Mullainathan (2004) resume field experiment",
    },
}


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors exit 2 with a one-line message."""

    def error(self, message: str) -> NoReturn:  # exit 2 with one line
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _key_value(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected ATTRIBUTE=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def _cutoffs(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers like 10,20, got {text!r}")
    return values


def _audit_parser(sub: Any) -> None:
    p = sub.add_parser(
        "audit",
        help="audit a table of candidates for adverse impact",
        description="Audit a table of candidates (CSV or Parquet) and print the group tables.",
    )
    p.add_argument("data", nargs="?", help="CSV or Parquet file of candidates")
    p.add_argument("--example", choices=sorted(EXAMPLES), help="audit a bundled dataset")
    p.add_argument(
        "--attribute",
        "-a",
        action="append",
        dest="attributes",
        metavar="COL",
        help="protected-attribute column (repeat for several)",
    )
    p.add_argument("--selected", metavar="COL", help="column with the 0/1 decision")
    p.add_argument("--score", metavar="COL", help="column with the matcher's score")
    rule = p.add_mutually_exclusive_group()
    rule.add_argument("--threshold", type=float, help="select score >= T")
    rule.add_argument("--top-k", type=int, help="select the best K per job")
    rule.add_argument("--top-fraction", type=float, help="select the best fraction F")
    p.add_argument("--per-job", action="store_true", help="apply --top-fraction per job")
    p.add_argument("--job", metavar="COL", help="job / requisition column (strata)")
    p.add_argument("--label", metavar="COL", help="ground-truth qualification column (0/1)")
    p.add_argument("--rank", metavar="COL", help="rank within job (1 is best)")
    p.add_argument(
        "--ranking",
        action="store_true",
        help="also audit each job's ranked list (top-k, exposure, skew, rND, FA*IR); "
        "needs --job and --score or --rank (--rank orders the lists when given)",
    )
    p.add_argument(
        "--ranking-k",
        type=_cutoffs,
        metavar="K,K",
        help="cut-offs of the ranking audit (default 10,20 and --top-k); implies --ranking",
    )
    p.add_argument("--id", metavar="COL", help="unique candidate id column")
    p.add_argument(
        "--reference-group",
        action="append",
        type=_key_value,
        default=[],
        metavar="ATTR=VALUE",
        help="compare against this group instead of the highest",
    )
    p.add_argument(
        "--intersection",
        action="append",
        default=[],
        metavar="A,B",
        help="extra attribute combination to audit",
    )
    p.add_argument(
        "--min-share",
        type=float,
        default=0.02,
        help="leave groups under this share out of impact ratios (default 0.02)",
    )
    p.add_argument(
        "--max-groups",
        type=int,
        default=MAX_GROUPS,
        metavar="N",
        help=f"refuse tables of more than N groups (default {MAX_GROUPS})",
    )
    p.add_argument("--correction", choices=["holm", "bh", "none"], default="holm")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument(
        "--confidence", type=float, default=0.95, help="interval confidence (default 0.95)"
    )
    p.add_argument("--json", metavar="OUT", help="write the JSON result to OUT ('-' for stdout)")
    p.add_argument("--quiet", "-q", action="store_true", help="print no summary")
    p.add_argument(
        "--mapping",
        metavar="TOML",
        help="column mapping ([columns], [categories], [source] query); also reads "
        "JSON Lines, SQLite and DuckDB",
    )

    add_report_options(p)  # --html, --markdown, --csv, --title and the LL144 metadata

    add_matcher_options(p)  # --matcher, --matcher-option, --jobs, --text-column, --cache


#: audit()'s parameters that flags of the audit command set, checked before any work.
_CHECKED_FLAGS = (
    "threshold",
    "top_k",
    "top_fraction",
    "min_share",
    "alpha",
    "confidence",
    "max_groups",
)


def check_flags(args: argparse.Namespace) -> None:
    """Refuse out-of-range audit flags with audit()'s own constraints, before any work.

    :func:`main` words the message with the flag (:func:`in_cli_words`).

    Examples
    --------
    >>> check_flags(argparse.Namespace(alpha=0.05, confidence=0.95))
    >>> try:
    ...     check_flags(argparse.Namespace(alpha=5.0))
    ... except E.ValidationError as error:
    ...     print(in_cli_words(str(error), {"alpha": "--alpha"}))
    --alpha must be a number in (0, 1); got 5.0. Pass e.g. --alpha 0.05.
    """
    for name in _CHECKED_FLAGS:
        value = getattr(args, name, None)
        if value is not None:  # a flag is a value, never None: check without that option
            check_param(name, value, [rule for rule in AUDIT_CONSTRAINTS[name] if rule is not None])


def _run_audit(args: argparse.Namespace) -> int:
    check_flags(args)
    check_outputs(args)
    options: dict[str, Any] = {}
    traced: dict[str, Any] = {}
    data = args.data
    if args.example and args.data:
        raise E.ValidationError(E.EXAMPLE_AND_DATA.format(data=args.data, example=args.example))
    if args.example:
        example = EXAMPLES[args.example]
        data = resume_study_path()
        options = {"attributes": example["attributes"], "selected": example["selected"]}
    if data is None:
        raise E.ValidationError(E.NO_DATA)
    if not str(data).strip():  # '' would read the working folder as a Parquet lake
        raise E.ValidationError(E.EMPTY_DATA_PATH.format(data=data))
    if args.mapping:  # mapped names and normalised EEO-1 categories; CLI options still win
        mapping = read_mapping(args.mapping)
        traced = _mapped_source(data, args.mapping)
        try:
            data = load(data, mapping=mapping)
        except ImportError as exc:  # a missing optional extra (duckdb) is an input problem
            raise E.ValidationError(str(exc)) from exc
        options = {**mapping.audit_options(), **options}
    for name in (
        "attributes",
        "selected",
        "score",
        "threshold",
        "top_k",
        "top_fraction",
        "job",
        "label",
        "rank",
        "id",
    ):
        value = getattr(args, name)
        if value is not None:
            options[name] = value
    check_legal_roles(args, E.attribute_list(options.get("attributes")))
    result = audit(
        data,
        **options,
        per_job=args.per_job,
        reference_group=one_each(args.reference_group, "--reference-group") or None,
        intersections=[tuple(x.split(",")) for x in args.intersection] or None,
        min_share=args.min_share,
        max_groups=args.max_groups,
        correction=args.correction,
        alpha=args.alpha,
        confidence=args.confidence,
        metadata={**(audit_metadata(args) or {}), **traced} or None,
        ranking={"k": args.ranking_k} if args.ranking_k else args.ranking or None,
        **matcher_kwargs(args),
    )
    write_reports(result, args)  # every file output, --json FILE included
    if args.json == "-":
        sys.stdout.write(result.to_json())
    if not args.quiet and args.json != "-":
        sys.stdout.write(result.summary())
    return 0


def _mapped_source(data: Any, mapping_path: str) -> dict[str, Any]:
    """Provenance of a mapped load: the audit hashes the mapped columns, so record the
    SHA-256 of the original file (when it is one) and of the mapping file as well."""

    source: dict[str, Any] = {"source": str(data)}
    if Path(str(data)).is_file():
        source["sha256"] = file_sha256(data)
    mapping = {"path": str(mapping_path), "sha256": file_sha256(mapping_path)}
    return {"loaded_from": source, "mapping_file": mapping}


#: Modules that add subcommands: each has ``register(subparsers) -> {name: handler}``,
#: a handler taking the parsed arguments and returning the exit code.
COMMAND_MODULES: tuple[ModuleType, ...] = (_reports, _synth, _matchers, _counterfactual, _gate)


def _commands(sub: Any) -> dict[str, Any]:
    _audit_parser(sub)
    handlers: dict[str, Any] = {"audit": _run_audit}
    for module in COMMAND_MODULES:
        handlers.update(module.register(sub))
    return handlers


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Any]]:
    """The argument parser of the ``biasaudit`` command and its subcommand handlers."""
    parser = _Parser(prog="biasaudit", description="Audit hiring matchers for algorithmic bias.")
    parser.add_argument("--version", action="version", version=f"biasaudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    return parser, _commands(sub)


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    sys.stderr.write(f"biasaudit: warning: {message}\n")


def flag_names(parser: argparse.ArgumentParser, command: str) -> dict[str, str]:
    """Each option's destination (the Python parameter) and its flag, for one subcommand."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    actions = sub.choices[command]._actions
    return {
        a.dest: max(a.option_strings, key=len)
        for a in actions
        if a.option_strings and a.dest not in ("help", argparse.SUPPRESS)
    }


def in_cli_words(message: str, flags: dict[str, str]) -> str:
    """A catalogue message about Python parameters, reworded for the command line.

    Messages that already speak to both audiences ("... (on the command line
    --flag ...)") pass through. Otherwise each ``name=value`` whose parameter a
    flag of the subcommand sets names the flag (``score=COLUMN`` becomes
    ``--score COLUMN``, ``score=None`` becomes ``no --score``,
    ``reference_group={'race': 'White'}`` becomes ``--reference-group
    race='White'``), a leading ``name must be`` names the flag, and advice that
    only fits Python ("or pass a DataFrame instead") is dropped.

    Examples
    --------
    >>> in_cli_words("top_k must be an integer >= 1; got -1. Pass e.g. top_k=10.",
    ...              {"top_k": "--top-k"})
    '--top-k must be an integer >= 1; got -1. Pass e.g. --top-k 10.'
    >>> in_cli_words("Got score=None and rank=None. Pass score=COLUMN.",
    ...              {"score": "--score", "rank": "--rank"})
    'Got no --score and no --rank. Pass --score COLUMN.'
    >>> in_cli_words("Pass reference_group={'sex': one of those}.",
    ...              {"reference_group": "--reference-group"})
    'Pass --reference-group sex=one of those.'
    >>> in_cli_words("File 'x' does not exist. Check the path, or pass a DataFrame instead.", {})
    "File 'x' does not exist. Check the path."
    >>> in_cli_words("Column 'x' is not in the pool.", {"top_k": "--top-k"})
    "Column 'x' is not in the pool."
    """
    message = _PYTHON_ONLY.sub("", message)
    if "on the command line" in message:
        return message
    match = re.match(r"^(\w+) must be ", message)
    subject = None if match is None else _flag(match.group(1), flags)
    if match is not None and subject is not None:
        message = subject + message[len(match.group(1)) :]
    message = _MAPPING_ARG.sub(lambda m: _mapping_words(m, flags), message)
    return _KEYWORD_ARG.sub(lambda m: _keyword_words(m, flags), message)


#: Advice that fits only a Python caller, dropped from command-line messages.
_PYTHON_ONLY = re.compile(r",? or pass an? (?:DataFrame|pandas DataFrame)[^.]*(?= ?\.)")
#: ``name={'column': value}``: a mapping argument (reference_group=...).
_MAPPING_ARG = re.compile(r"(?<![\w'\"-])(\w+)=\{'([^']*)': ([^{}]*)\}")
#: ``name=value`` with a simple value: ``None``, ``COLUMN``, ``10``, ``...``, ``[...]``,
#: a quoted string or a list of one quoted string (``['name']``, one use of a repeatable flag).
_KEYWORD_ARG = re.compile(
    r"(?<![\w'\"-])([a-z_]+)=(\[\.\.\.\]|\['[^'\[\]]*'\]|'[^']*'|[\w.\-]*)(?![\[{('\"])"
)


def _flag(name: str, flags: dict[str, str]) -> str | None:
    """The flag that sets parameter ``name`` (``intersections`` -> ``--intersection``)."""
    return flags.get(name) or (flags.get(name[:-1]) if name.endswith("s") else None)


def _mapping_words(match: re.Match[str], flags: dict[str, str]) -> str:
    flag = _flag(match.group(1), flags)
    return match.group(0) if flag is None else f"{flag} {match.group(2)}={match.group(3)}"


def _keyword_words(match: re.Match[str], flags: dict[str, str]) -> str:
    name, value = match.group(1), match.group(2)
    flag = _flag(name, flags)
    if flag is None:
        return match.group(0)
    end = "" if value == "..." else value[len(value.rstrip(".")) :]  # a sentence's full stop
    value = value[: len(value) - len(end)]
    if value == "None":
        return f"no {flag}{end}"
    if value in ("True", ""):
        return flag + end
    if value.startswith("['"):
        value = value[2:-2]
    return f"{flag} {'COL' if value == '[...]' else value}{end}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Examples
    --------
    >>> main(["audit", "--example", "resume-study", "--quiet"])
    0
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # answer at once, before subcommands import pandas
        sys.stdout.write(f"biasaudit {__version__}\n")
        return 0
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    warnings.showwarning = _show_warning
    try:
        return handlers[args.command](args)
    except (E.BiasAuditError, FileNotFoundError) as exc:
        flags = flag_names(parser, args.command)
        sys.stderr.write(f"biasaudit: error: {in_cli_words(str(exc), flags)}\n")
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:  # scores already computed are in the cache (--cache)
        sys.stderr.write("biasaudit: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
