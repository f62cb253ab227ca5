"""Command line: ``biasaudit matchers`` and the ``--matcher`` options of ``biasaudit audit``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from biasaudit import _errors as E
from biasaudit.matchers import available

__all__ = ["add_matcher_options", "matcher_kwargs", "parse_option", "register"]


def parse_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as JSON when it is JSON (numbers, lists), else text.

    Examples
    --------
    >>> parse_option("batch_size=16"), parse_option("url=http://h/score")
    (('batch_size', 16), ('url', 'http://h/score'))
    >>> parse_option('weights={"required": 1}')
    ('weights', {'required': 1})
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return key.strip().replace("-", "_"), parsed


def add_matcher_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--matcher``, ``--matcher-option``, ``--jobs``, ``--text-column``, ``--cache``."""
    group = parser.add_argument_group("scoring with a matcher (see 'biasaudit matchers')")
    group.add_argument("--matcher", metavar="NAME", help="score the candidates with this matcher")
    group.add_argument(
        "--matcher-option",
        action="append",
        type=parse_option,
        default=[],
        metavar="KEY=VALUE",
        help="matcher option (repeat; VALUE read as JSON when it is JSON)",
    )
    group.add_argument("--jobs", metavar="FILE", help="job postings (CSV or JSON)")
    group.add_argument("--text-column", metavar="COL", help="resume text column")
    group.add_argument(
        "--cache", metavar="DIR", help="score cache: an interrupted run resumes where it stopped"
    )


def matcher_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The ``audit()`` keyword arguments for the matcher options given (``{}`` if none)."""
    if not getattr(args, "matcher", None):
        given = [
            flag
            for flag, value in (
                ("--matcher-option", getattr(args, "matcher_option", None)),
                ("--jobs", getattr(args, "jobs", None)),
                ("--text-column", getattr(args, "text_column", None)),
                ("--cache", getattr(args, "cache", None)),
            )
            if value
        ]
        if given:
            raise E.ValidationError(
                E.MATCHER_ARGUMENT_CONFLICT.format(
                    problem=f"{', '.join(given)} given without --matcher.",
                    fix="Add --matcher NAME (see 'biasaudit matchers'), or leave those out.",
                )
            )
        return {}
    return {
        "matcher": args.matcher,
        "matcher_options": dict(args.matcher_option) or None,
        "jobs": args.jobs,
        "text_column": args.text_column,
        "cache": args.cache,
        "progress": False if args.quiet else None,
    }


def _run_matchers(args: argparse.Namespace) -> int:

    rows = [(m.name, m.origin, m.summary) for m in available()]
    width = [max(len(r[i]) for r in [("name", "origin", ""), *rows]) for i in range(2)]
    sys.stdout.write(f"{'name':<{width[0]}}  {'origin':<{width[1]}}  description\n")
    for name, origin, summary in rows:
        sys.stdout.write(f"{name:<{width[0]}}  {origin:<{width[1]}}  {summary}\n")
    sys.stdout.write(
        "\nUse: biasaudit audit DATA --matcher NAME [--matcher-option KEY=VALUE ...] "
        "[--jobs FILE]\n"
    )
    return 0


def register(sub: Any) -> dict[str, Any]:
    """Add ``matchers`` to the ``biasaudit`` command."""
    sub.add_parser(
        "matchers",
        help="list the available matchers (built-in and installed plugins)",
        description="List the matchers that 'biasaudit audit --matcher NAME' accepts.",
    )
    return {"matchers": _run_matchers}
