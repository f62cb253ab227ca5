"""``biasaudit counterfactual``: name-swap audits from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from biasaudit import _errors as E
from biasaudit.cli._matchers import add_matcher_options, matcher_kwargs
from biasaudit.cli._reports import (
    add_report_options,
    audit_metadata,
    check_outputs,
    write_reports,
)
from biasaudit.counterfactual import _messages as M
from biasaudit.counterfactual import name_swap_audit, rank_swap_audit
from biasaudit.reports._counterfactual_tables import section_text

__all__ = ["register"]

_SCORE_ONLY = ("threshold", "top_k", "top_fraction", "per_job")
_RANK_ONLY = ("rounds", "set_column")


def _key_values(flag: str, example: str):
    def parse(text: str) -> tuple[str, list[str]]:
        key, sep, value = text.partition("=")
        values = [v.strip() for v in value.split(",") if v.strip()]
        if not sep or not key.strip() or not values:
            raise argparse.ArgumentTypeError(
                M.BAD_KEY_VALUES.format(flag=flag, value=text, example=example)
            )
        return key.strip(), values

    return parse


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="CSV or Parquet file of resumes")
    names = p.add_argument_group("names and signals")
    names.add_argument("--name-column", metavar="COL", help="full name as written in the text")
    names.add_argument("--first-name-column", metavar="COL", help="first name column")
    names.add_argument("--last-name-column", metavar="COL", help="surname column")
    names.add_argument(
        "--signal",
        action="append",
        dest="signals",
        metavar="SIGNAL",
        help="name (default), pronouns, gendered_words, affinity (repeat)",
    )
    names.add_argument("--groups", default="race,sex", help="signalled attributes (race,sex)")
    names.add_argument(
        "--include",
        action="append",
        type=_key_values("--include", "race=White,Asian"),
        default=[],
        metavar="ATTR=G1,G2",
        help="signal only these groups of an attribute",
    )
    names.add_argument(
        "--hold",
        action="append",
        type=_key_values("--hold", "sex=Female"),
        default=[],
        metavar="ATTR=GROUP",
        help="fix an attribute that is not signalled",
    )
    names.add_argument(
        "--names-source",
        choices=["census2020", "bertrand_mullainathan_2004"],
        default="census2020",
        help="first-name lists",
    )
    names.add_argument(
        "--drop-missing-names",
        action="store_true",
        help="leave out (and count) resumes whose text lacks their name, instead of failing",
    )
    audit = p.add_argument_group("design and decision")
    audit.add_argument("--design", choices=["score", "rank"], default="score")
    rule = audit.add_mutually_exclusive_group()
    rule.add_argument("--threshold", type=float, help="score design: selected when score >= T")
    rule.add_argument("--top-k", type=int, help="score design: the best K of each job")
    rule.add_argument("--top-fraction", type=float, help="score design: the best fraction F")
    audit.add_argument("--per-job", action="store_true", help="--top-fraction within each job")
    audit.add_argument("--rounds", type=int, help="rank design: rankings per set (default 50)")
    audit.add_argument("--set-column", metavar="COL", help="rank design: sets of equal resumes")
    audit.add_argument("--reference", metavar="GROUP", help="reference group, e.g. 'White / Male'")
    audit.add_argument("--job", metavar="COL", help="job column of the resumes")
    audit.add_argument("--id", metavar="COL", help="unique resume id column")
    audit.add_argument("--correction", choices=["holm", "bh", "none"], default="holm")
    audit.add_argument("--alpha", type=float, default=0.05)
    audit.add_argument("--seed", type=int, default=0, help="seed of the name draws (default 0)")
    audit.add_argument("--json", metavar="OUT", help="write the JSON result to OUT ('-': stdout)")
    audit.add_argument("--quiet", "-q", action="store_true", help="print no summary")


def _check_design(args: argparse.Namespace) -> None:
    other = _RANK_ONLY if args.design == "score" else _SCORE_ONLY
    given = [
        "--" + name.replace("_", "-") for name in other if getattr(args, name) not in (None, False)
    ]
    if given:
        design = "rank" if args.design == "score" else "score"
        raise E.ValidationError(
            M.OPTION_FOR_OTHER_DESIGN.format(
                options=", ".join(given), design=design, given=args.design
            )
        )


def _options(args: argparse.Namespace) -> dict[str, Any]:

    if not args.matcher:
        raise E.ValidationError(M.CLI_NEEDS_MATCHER)
    _check_design(args)
    matcher = matcher_kwargs(args)
    options = {
        "matcher": matcher["matcher"],
        "matcher_options": matcher["matcher_options"],
        "jobs": matcher["jobs"],
        "text_column": matcher["text_column"],
        "cache": matcher["cache"],
        "progress": matcher["progress"],
        "job": args.job,
        "id": args.id,
        "name_column": args.name_column,
        "first_name_column": args.first_name_column,
        "last_name_column": args.last_name_column,
        "groups": args.groups,
        "signals": args.signals or ["name"],
        "include": {k: v for k, v in args.include} or None,
        "hold": {k: v[0] for k, v in args.hold} or None,
        "source": args.names_source,
        "reference": args.reference,
        "on_missing": "drop" if args.drop_missing_names else "raise",
        "alpha": args.alpha,
        "seed": args.seed,
        "metadata": audit_metadata(args),
    }
    if args.design == "score":
        options.update(
            threshold=args.threshold,
            top_k=args.top_k,
            top_fraction=args.top_fraction,
            per_job=args.per_job,
            correction=args.correction,
        )
    else:
        rounds = 50 if args.rounds is None else args.rounds  # --rounds 0 is refused, not 50
        options.update(rounds=rounds, set_column=args.set_column)
    return options


def _run(args: argparse.Namespace) -> int:

    check_outputs(args)  # before any scoring
    run = name_swap_audit if args.design == "score" else rank_swap_audit
    result = run(args.data, **_options(args))
    write_reports(result, args)  # every file output, --json FILE included
    if args.json == "-":
        sys.stdout.write(result.to_json())
        return 0
    if not args.quiet:
        sys.stdout.write(section_text(result.sections["counterfactual"]))
        sys.stdout.write("\nGroup tables over the variants\n\n")
        sys.stdout.write(result.summary())
    return 0


def register(sub: Any) -> dict[str, Any]:
    """Add ``counterfactual`` to the ``biasaudit`` command."""

    p = sub.add_parser(
        "counterfactual",
        help="name-swap audit: the same resumes, only the signalled group changed",
        description="Score (or rank) variants of each resume that differ only in the name "
        "and other signals of race/ethnicity and sex, and compare the groups resume by resume.",
    )
    _add_arguments(p)
    add_matcher_options(p)  # --matcher, --matcher-option, --jobs, --text-column, --cache
    add_report_options(p)  # --html, --markdown, --csv, --title and the LL144 metadata
    return {"counterfactual": _run}
