"""Command-line messages speak in flags, not Python parameters.

Every message constant of the catalogue (biasaudit._errors), filled with sample
values and reworded by :func:`biasaudit.cli.in_cli_words` for the audit command,
must not tell a command-line user to pass ``name=value`` for a parameter that a
flag sets, nor to pass a DataFrame.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict

import pytest

from biasaudit import _errors as E
from biasaudit.cli import build_parser, flag_names, in_cli_words
from biasaudit.counterfactual import _messages as counterfactual_messages
from biasaudit.ranking import _section as ranking_messages

PARSER = build_parser()[0]
FLAGS = flag_names(PARSER, "audit")
#: Each module of message constants, and the command whose flags its messages name.
CATALOGUES = [
    (E, "audit"),
    (ranking_messages, "audit"),
    (counterfactual_messages, "counterfactual"),
]


class _Sample(string.Formatter):
    """Fills every placeholder of a message with a sample value."""

    def get_value(self, key, args, kwargs):
        return kwargs[key]

    def format_field(self, value, format_spec):
        return "'x'"


def _messages() -> list[tuple[str, str, str]]:
    fill = _Sample()
    return [
        (f"{module.__name__}.{name}", command, fill.vformat(text, (), defaultdict(str)))
        for module, command in CATALOGUES
        for name, text in vars(module).items()
        if name.isupper() and isinstance(text, str)
    ]


MESSAGES = _messages()


def test_there_are_messages_to_check() -> None:
    assert len(MESSAGES) > 40


@pytest.mark.parametrize(("name", "command", "message"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_cli_message_names_flags(name: str, command: str, message: str) -> None:
    flags = flag_names(PARSER, command)
    worded = in_cli_words(message, flags)
    assert "pass a DataFrame instead" not in worded
    if "on the command line" in worded:  # already worded for both audiences
        return
    leftovers = [
        p for p in re.findall(r"(?<![\w'\"-])([a-z_]+)=", worded) if p in flags or p[:-1] in flags
    ]
    assert leftovers == [], worded


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "alpha must be a number in (0, 1); got 2. Pass e.g. alpha=0.05.",
            "--alpha must be a number in (0, 1); got 2. Pass e.g. --alpha 0.05.",
        ),
        ("Got job=None. Pass job=COLUMN.", "Got no --job. Pass --job COLUMN."),
        (
            "Pass attributes=[...] with existing columns.",
            "Pass --attribute COL with existing columns.",
        ),
        ("Pass intersections=[('a', 'b')].", "Pass intersections=[('a', 'b')]."),
        ("Pass per_job=True.", "Pass --per-job."),
        ("Pass signals=['name'].", "Pass --signal name."),
        ("Both id='a' and job='b'.", "Both --id 'a' and --job 'b'."),
        (
            "Group 'score=5' is odd; pass score=COLUMN.",
            "Group 'score=5' is odd; pass --score COLUMN.",
        ),
        ("Pass reference_group={'race': 'White'}.", "Pass --reference-group race='White'."),
        ("Unrelated=1 stays.", "Unrelated=1 stays."),
    ],
)
def test_rewording(message: str, expected: str) -> None:
    flags = {**flag_names(PARSER, "counterfactual"), **FLAGS}
    assert in_cli_words(message, flags) == expected
