"""Command-line pieces of the reports: options of ``biasaudit audit``, ``report``, ``compare``."""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from jinja2.exceptions import UndefinedError

from biasaudit._errors import (
    INCONSISTENT_RESULT,
    KEY_TWICE,
    LEGAL_ROLE_NOT_AUDITED,
    ValidationError,
)
from biasaudit._io import check_writable, write_all_atomic
from biasaudit.regulations import LEGAL_ROLES
from biasaudit.reports import compare_html, compare_markdown, to_csv, to_html, to_markdown
from biasaudit.results import AuditResult, load_result

__all__ = [
    "add_report_options",
    "audit_metadata",
    "check_legal_roles",
    "check_outputs",
    "check_paths",
    "one_each",
    "register",
    "write_reports",
]


#: Metadata of the bundled example, shown in its Local Law 144 summary.
EXAMPLE_METADATA = {
    "resume-study": {
        "title": "Resume field experiment: callbacks by race and sex",
        "data_source": (
            "Bundled example: Bertrand and Mullainathan (2004), 'Are Emily and Greg more "
            "employable than Lakisha and Jamal?': 4,870 fictitious resumes with names signalling "
            "race and sex, sent to job ads in Boston and Chicago; the outcome is an employer "
            "callback. It illustrates the report; it is not an audit of an automated tool."
        ),
        "data_type": "test",
    }
}


def _iso_date(text: str) -> str:
    try:
        return _dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def add_report_options(parser: argparse.ArgumentParser, *, metadata: bool = True) -> None:
    """``--html``, ``--markdown``, ``--csv``, ``--title`` (and the LL144 metadata options)."""
    group = parser.add_argument_group("reports")
    group.add_argument("--html", metavar="OUT", help="write the self-contained HTML report")
    group.add_argument("--markdown", metavar="OUT", help="write a Markdown summary")
    group.add_argument("--csv", metavar="OUT", help="write the group tables as CSV")
    group.add_argument("--title", help="report title")
    if not metadata:
        return
    group.add_argument("--data-source", help="where the data come from and why (LL144 summary)")
    group.add_argument(
        "--data-type",
        choices=["historical", "pooled", "test"],
        help="type of data, as Local Law 144 names them",
    )
    group.add_argument(
        "--distribution-date", type=_iso_date, metavar="YYYY-MM-DD", help="tool's distribution date"
    )
    group.add_argument(
        "--audit-date", type=_iso_date, metavar="YYYY-MM-DD", help="audit date (default: today)"
    )
    group.add_argument(
        "--legal-role",
        action="append",
        type=_legal_role,
        default=[],
        metavar="COL=ROLE",
        help="the Local Law 144 category of an attribute (ROLE: "
        + ", ".join(LEGAL_ROLES)
        + "); otherwise it is read from the column name, and a guess is stated in the report",
    )


def _legal_role(text: str) -> tuple[str, str]:
    column, _, role = text.partition("=")
    if not column or role not in LEGAL_ROLES:
        raise argparse.ArgumentTypeError(
            f"--legal-role must be COL=ROLE with ROLE one of {', '.join(LEGAL_ROLES)}; "
            f"got {text!r}. Pass e.g. --legal-role gender=sex."
        )
    return column, role


def audit_metadata(args: argparse.Namespace) -> dict[str, Any] | None:
    """Metadata for ``audit(..., metadata=...)`` from the options (example defaults first)."""
    out: dict[str, Any] = dict(EXAMPLE_METADATA.get(getattr(args, "example", None) or "", {}))
    for name in ("title", "data_source", "data_type", "distribution_date", "audit_date"):
        value = getattr(args, name, None)
        if value:
            out[name] = value
    if getattr(args, "legal_role", None):
        out["legal_roles"] = one_each(args.legal_role, "--legal-role")
    return out or None


def one_each(pairs: Sequence[tuple[str, str]], flag: str) -> dict[str, str]:
    """``COLUMN=VALUE`` pairs of a repeatable flag as a dict; a column given twice is refused
    (the last one would silently win).

    Examples
    --------
    >>> one_each([("sex", "Female"), ("race", "White")], "--reference-group")
    {'sex': 'Female', 'race': 'White'}
    """
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out and out[key] != value:
            raise ValidationError(
                KEY_TWICE.format(flag=flag, key=key, first=out[key], second=value)
            )
        out[key] = value
    return out


def check_legal_roles(args: argparse.Namespace, attributes: Sequence[str]) -> None:
    """Refuse --legal-role for a column that is not an audited attribute (it was ignored)."""
    roles = one_each(getattr(args, "legal_role", None) or [], "--legal-role")
    extra = [c for c in roles if c not in attributes]
    if extra:
        raise ValidationError(
            LEGAL_ROLE_NOT_AUDITED.format(column=extra[0], attributes=list(attributes))
        )


#: The file outputs of a command: what each is, and the option that names its path.
_OUTPUTS = (
    ("HTML report", "html"),
    ("Markdown", "markdown"),
    ("CSV", "csv"),
    ("JSON result", "json"),
)


def _output_paths(args: argparse.Namespace) -> list[tuple[str, str, Path]]:
    """(what, option, path) of each file output asked for; ``--json -`` is not a file."""
    out = []
    for what, option in _OUTPUTS:
        value = getattr(args, option, None)
        if value and value != "-":
            out.append((what, option, Path(value)))
    return out


#: The input files a command may name: the option that holds each, and how to name it.
_INPUTS = (
    ("data", "the data file"),
    ("result", "the JSON result"),
    ("baseline", "the baseline result"),
    ("candidate", "the candidate result"),
    ("mapping", "--mapping"),
    ("jobs", "--jobs"),
)
OUTPUT_TWICE = (
    "{first} and {second} both name {path!r}; one output would overwrite the other. "
    "Give each output its own path."
)
OUTPUT_IS_INPUT = (
    "{flag} names {path!r}, which is {what}, an input of this command; writing there would "
    "destroy it. Give {flag} another path."
)


def check_paths(
    outputs: Sequence[tuple[str, str | Path | None]],
    inputs: Sequence[tuple[str, str | Path | None]] = (),
) -> None:
    """Refuse, before any work, an output path that cannot be written, that two outputs
    share, or that names one of the command's input files (``(flag or what, path)`` pairs;
    a path of None or ``-`` is not a file)."""
    seen: dict[Path, str] = {}
    given = {
        Path(p).resolve(): what
        for what, p in inputs
        if isinstance(p, (str, Path)) and str(p) not in ("", "-")
    }
    for flag, value in outputs:
        if not value or str(value) == "-":
            continue
        path = Path(value)
        check_writable(path)
        key = path.resolve()
        if key in given:
            raise ValidationError(
                OUTPUT_IS_INPUT.format(flag=flag, path=str(value), what=given[key])
            )
        if key in seen:
            raise ValidationError(
                OUTPUT_TWICE.format(first=seen[key], second=flag, path=str(value))
            )
        seen[key] = flag


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an unwritable --html, --markdown, --csv or --json path, two
    outputs at one path, and an output over an input file (the data, the result, ...)."""
    outputs = [(f"--{option}", path) for _, option, path in _output_paths(args)]
    inputs = [(what, getattr(args, name, None)) for name, what in _INPUTS]
    check_paths(outputs, inputs)


def write_reports(result: AuditResult, args: argparse.Namespace) -> None:
    """Write the outputs the options ask for (--html, --markdown, --csv, --json FILE).

    Every path is checked before anything is rendered, and the files are replaced
    together only when all of them were written, so a failure leaves none behind
    (and any older files as they were). Unless --quiet, says where each one went.
    """
    title = getattr(args, "title", None)
    render: dict[str, Callable[[], str]] = {
        "html": lambda: to_html(result, title=title),
        "markdown": lambda: to_markdown(result, title=title),
        "csv": lambda: to_csv(result),
        "json": result.to_json,
    }
    chosen = _output_paths(args)
    check_outputs(args)
    write_all_atomic({path: render[option]() for _, option, path in chosen})
    if not getattr(args, "quiet", False):
        for what, _, path in chosen:
            sys.stderr.write(f"biasaudit: wrote the {what} to {path}\n")


#: What rendering a result whose fields disagree (a hand-edited file) can raise.
_RENDER_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, UndefinedError)


@contextlib.contextmanager
def _saved(*paths: str) -> Iterator[None]:
    """Render saved results, refusing one whose fields disagree in one line, not a traceback.

    The schema check when a result is read catches a missing field or a wrong type;
    fields of the right types that contradict each other (a table naming groups the
    rows lack, a section edited by hand) surface only while drawing the report.
    """
    try:
        yield
    except ValidationError:
        raise
    except _RENDER_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        raise ValidationError(
            INCONSISTENT_RESULT.format(paths=" or ".join(repr(p) for p in paths), error=error)
        ) from exc


def _run_report(args: argparse.Namespace) -> int:

    result = load_result(args.result)
    with _saved(args.result):
        if not (args.html or args.markdown or args.csv):
            sys.stdout.write(to_markdown(result, title=args.title))
            return 0
        write_reports(result, args)
    return 0


def _run_compare(args: argparse.Namespace) -> int:

    check_outputs(args)
    baseline, candidate = load_result(args.baseline), load_result(args.candidate)
    with _saved(args.baseline, args.candidate):  # rendered whole before anything is written
        markdown = compare_markdown(baseline, candidate, title=args.title)
        texts = {Path(args.markdown): markdown} if args.markdown else {}
        if args.html:
            texts[Path(args.html)] = compare_html(baseline, candidate, title=args.title)
    write_all_atomic(texts)
    if not (args.html or args.markdown):
        sys.stdout.write(markdown)
    return 0


def register(sub: Any) -> dict[str, Any]:
    """Add ``report`` and ``compare`` to the ``biasaudit`` command."""
    p = sub.add_parser(
        "report",
        help="write reports from a saved JSON result",
        description="Write the HTML report, a Markdown summary or CSV from a JSON result "
        "(Markdown to stdout when no output is named).",
    )
    p.add_argument("result", help="JSON result written by biasaudit audit --json")
    add_report_options(p, metadata=False)
    c = sub.add_parser(
        "compare",
        help="compare two JSON results (baseline and candidate)",
        description="Compare two audits side by side, changes highlighted "
        "(Markdown to stdout when no output is named).",
    )
    c.add_argument("baseline", help="JSON result of the baseline")
    c.add_argument("candidate", help="JSON result of the candidate")
    c.add_argument("--html", metavar="OUT", help="write the HTML comparison report")
    c.add_argument("--markdown", metavar="OUT", help="write the comparison as Markdown")
    c.add_argument("--title", help="report title")
    return {"report": _run_report, "compare": _run_compare}
