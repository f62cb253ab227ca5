"""Identity signals besides the name: pronouns, gendered words, affinity-group lines.

Each function rewrites one text towards a target group and returns the new text with
the number of replacements, so the audit can say how often a signal was present.
Replacements keep the case of the word they replace (``he``, ``He``, ``HE``) and match
whole words only (``he`` never matches inside ``the``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from biasaudit._validation import Options, validate_params

__all__ = [
    "AFFINITY_LINES",
    "GENDERED_WORDS",
    "NEUTRAL_AFFINITY",
    "affinity_text",
    "swap_gendered_words",
    "swap_pronouns",
]

_SEXES = ("Female", "Male")

#: (male form, female form); the swap replaces the other sex's forms with the target's.
GENDERED_WORDS: tuple[tuple[str, str], ...] = (
    ("chairman", "chairwoman"),
    ("chairmen", "chairwomen"),
    ("spokesman", "spokeswoman"),
    ("spokesmen", "spokeswomen"),
    ("salesman", "saleswoman"),
    ("salesmen", "saleswomen"),
    ("businessman", "businesswoman"),
    ("businessmen", "businesswomen"),
    ("congressman", "congresswoman"),
    ("foreman", "forewoman"),
    ("policeman", "policewoman"),
    ("waiter", "waitress"),
    ("waiters", "waitresses"),
    ("actor", "actress"),
    ("steward", "stewardess"),
    ("fraternity", "sorority"),
    ("fraternities", "sororities"),
    ("brotherhood", "sisterhood"),
    ("men's", "women's"),
    ("husband", "wife"),
    ("father", "mother"),
    ("fathers", "mothers"),
    ("paternity", "maternity"),
    ("mr", "ms"),
)
#: Female forms with no one-to-one male form: replaced towards male, never produced.
_EXTRA_FEMALE = {"mrs": "mr"}

#: Default affinity-group line per (attribute, group); ``None`` means the neutral line.
AFFINITY_LINES: dict[str, dict[str, str | None]] = {
    "race": {
        "White": None,
        "Black or African American": "Member, National Association of Black Professionals",
        "Hispanic or Latino": "Member, Association of Hispanic and Latino Professionals",
        "Asian": "Member, Asian American Professionals Association",
    },
    "sex": {"Female": "Member, Women in Leadership Network", "Male": None},
}
#: Neutral lines, so that every variant carries the same number of affiliation lines.
NEUTRAL_AFFINITY = {
    "race": "Member, Regional Professionals Association",
    "sex": "Member, Metropolitan Business Network",
}

_PRONOUN = re.compile(r"(?<![\w'])(he|him|his|himself|she|her|hers|herself)(?![\w-])", re.I)
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")
# After "her", these words mean it was an object ("gave her the book": him), not a
# possessive ("her book": his).
_OBJECT_FOLLOWERS = frozenset(
    """a an the this that these those some any each every all both no to for with and or nor
    but as at in on of from by about into onto over under after before during through until
    since than then so if when while because though although again also too well very up
    down out off back here there now today yesterday once twice his her their my our your its
    is was were be been being has had have will would can could should may might must
    who whom which what how why where whose""".split()  # noqa: SIM905
)
_SUBJECT_OR_REFLEXIVE = {
    "Female": {"he": "she", "him": "her", "himself": "herself"},
    "Male": {"she": "he", "hers": "his", "herself": "himself"},
}


def _match_case(template: str, word: str) -> str:
    """``word`` in the case pattern of ``template`` (lower, Title or UPPER)."""
    if len(template) > 1 and template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


_TARGET_SEX = {"sex": [Options(str, _SEXES, fix="Pass the variant's sex, e.g. {name}='Female'.")]}


@validate_params(_TARGET_SEX)
def swap_pronouns(text: str, sex: str) -> tuple[str, int]:
    """Rewrite third-person pronouns to those of ``sex``.

    Towards ``"Female"``: he/him/himself -> she/her/herself; ``his`` -> ``her`` before a
    word, ``hers`` otherwise ("the idea was his"). Towards ``"Male"``: she -> he,
    hers -> his, herself -> himself, and ``her`` -> ``his`` before a word that is not a
    determiner, preposition, conjunction or auxiliary ("her team" -> "his team"), else
    ``him`` ("thanked her for" -> "thanked him for"). The ``her`` rule is a heuristic;
    check the variants when the text is unusual.

    Parameters
    ----------
    text : str
        The text to rewrite.
    sex : {"Female", "Male"}
        The sex the pronouns should signal.

    Returns
    -------
    tuple of (str, int)
        The new text and the number of pronouns replaced.

    Examples
    --------
    >>> swap_pronouns("He led his team; the award was his. HE thanked them.", "Female")
    ('She led her team; the award was hers. SHE thanked them.', 4)
    >>> swap_pronouns("We thanked her for her work and gave her the prize.", "Male")
    ('We thanked him for his work and gave him the prize.', 3)
    """
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        word = match.group(1)
        lower = word.lower()
        new = _SUBJECT_OR_REFLEXIVE[sex].get(lower)
        if new is None:
            new = _ambiguous(lower, sex, text, match.end())
        if new is None:  # already the target sex's form
            return word
        count += 1
        return _match_case(word, new)

    return _PRONOUN.sub(replace, text), count


def _ambiguous(word: str, sex: str, text: str, end: int) -> str | None:
    """``his`` (towards Female) and ``her`` (towards Male) depend on what follows."""
    following = _NEXT_WORD.match(text, end)
    before_word = following is not None and text[end : following.start(1)].strip() == ""
    if sex == "Female" and word == "his":
        return "her" if before_word else "hers"
    if sex == "Male" and word == "her":
        if (
            before_word
            and following is not None
            and following.group(1).lower() not in _OBJECT_FOLLOWERS
        ):
            return "his"
        return "him"
    return None


def _gendered_table(sex: str) -> dict[str, str]:
    if sex == "Female":
        return {m: f for m, f in GENDERED_WORDS}
    return {**{f: m for m, f in GENDERED_WORDS}, **_EXTRA_FEMALE}


_GENDERED = {
    sex: re.compile(
        r"(?<![\w'])("
        + "|".join(re.escape(w) for w in sorted(_gendered_table(sex), key=len, reverse=True))
        + r")(?![\w'])",
        re.I,
    )
    for sex in _SEXES
}


@validate_params(_TARGET_SEX)
def swap_gendered_words(text: str, sex: str) -> tuple[str, int]:
    """Rewrite gendered words (:data:`GENDERED_WORDS`) to those of ``sex``.

    Parameters
    ----------
    text : str
        The text to rewrite.
    sex : {"Female", "Male"}
        The sex the words should signal.

    Returns
    -------
    tuple of (str, int)
        The new text and the number of words replaced.

    Examples
    --------
    >>> swap_gendered_words("Chairman of the Sigma fraternity; Mr. Lee's men's team", "Female")
    ("Chairwoman of the Sigma sorority; Ms. Lee's women's team", 4)
    >>> swap_gendered_words("Mrs. Diaz, SORORITY treasurer", "Male")
    ('Mr. Diaz, FRATERNITY treasurer', 2)
    """
    table = _gendered_table(sex)
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return _match_case(match.group(1), table[match.group(1).lower()])

    return _GENDERED[sex].sub(replace, text), count


def affinity_text(
    text: str,
    group: Mapping[str, str],
    lines: Mapping[str, Mapping[str, str | None]] | None = None,
) -> str:
    """Append an ``Affiliations:`` line signalling each attribute's group.

    A group without a line of its own (by default White and Male) gets a neutral
    line instead, so that every variant of a resume carries the same number of
    affiliations and differs only in what they signal.

    Parameters
    ----------
    text : str
        The resume.
    group : mapping
        The signalled group, e.g. ``{"race": "Asian", "sex": "Female"}``.
    lines : mapping, optional
        Lines per attribute and group that replace the defaults
        (:data:`AFFINITY_LINES`); ``None`` as a value means the neutral line.

    Returns
    -------
    str

    Examples
    --------
    >>> affinity_text("Jo Lee\\nSkills: SQL\\n", {"race": "Asian", "sex": "Male"})
    'Jo Lee\\nSkills: SQL\\nAffiliations: Member, Asian American Professionals Association; Member, Metropolitan Business Network\\n'
    """  # noqa: E501
    entries = []
    for attribute, value in group.items():
        custom = dict((lines or {}).get(attribute, {}))
        line = custom[value] if value in custom else AFFINITY_LINES[attribute].get(value)
        entries.append(line or NEUTRAL_AFFINITY[attribute])
    joiner = "" if text.endswith("\n") or not text else "\n"
    return f"{text}{joiner}Affiliations: {'; '.join(entries)}\n"
