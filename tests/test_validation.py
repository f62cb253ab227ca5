"""One validation mechanism for every public argument (biasaudit._validation).

Two parts: unit tests of the constraint objects, ``check_param`` and the
``validate_params`` decorator; then a walk over every public callable that
generates out-of-range values from each declared constraint and checks that the
call is refused with the catalogue's one message shape, plus the must-refuse cases
of the architecture issue (``alpha=5``, ``confidence=1.5``, a negative ``top_k``,
``min_share=-0.1``, a FA*IR ``alpha`` of 2, ...).
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
import timeit
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from numbers import Integral, Real
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import ValidationError
from biasaudit import _errors as E
from biasaudit._validation import (
    Constraint,
    InstanceOf,
    Interval,
    MappingOf,
    Options,
    SequenceOf,
    check_param,
    constraints_of,
    describe,
    instance_of,
    validate_params,
)
from biasaudit.counterfactual import _messages as CF

#: The catalogue's message shape: ``{name} must be {expected}; got {value!r}. {fix}``.
SHAPE = re.compile(r"^(\w+) must be .+; got .+\. .+")


def refused(constraints: Any, value: Any) -> bool:
    try:
        check_param("x", value, constraints)
    except ValidationError:
        return True
    return False


def message(call: Callable[[], Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return str(caught.value)


# -- the catalogue -----------------------------------------------------------------------


def test_the_catalogue_defines_the_message_once():
    assert E.BAD_PARAMETER == "{name} must be {expected}; got {value!r}. {fix}"
    assert E.BAD_RULE_VALUE is E.BAD_PARAMETER
    assert E.BAD_SYNTH_ARGUMENT is E.BAD_PARAMETER
    assert CF.BAD_OPTION is E.BAD_PARAMETER


def test_validation_error_is_a_value_error_and_a_biasaudit_error():
    assert issubclass(ValidationError, ValueError)
    assert issubclass(ValidationError, biasaudit.BiasAuditError)


# -- Interval ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("constraint", "words"),
    [
        (Interval(Real, 0, 1, closed="neither"), "a number in (0, 1)"),
        (Interval(Real, 0, 1, closed="both"), "a number in [0, 1]"),
        (Interval(Real, 0, 1, closed="left"), "a number in [0, 1)"),
        (Interval(Real, 0, 1, closed="right"), "a number in (0, 1]"),
        (Interval(Real, 0.5, 1, closed="left"), "a number in [0.5, 1)"),
        (Interval(Real, 0, None), "a number >= 0"),
        (Interval(Real, 0, None, closed="neither"), "a number > 0"),
        (Interval(Real, None, 5), "a number <= 5"),
        (Interval(Real, None, 5, closed="left"), "a number < 5"),
        (Interval(Real, None, None), "a finite number"),
        (Interval(Integral, 1, None), "an integer >= 1"),
        (Interval(Integral, 1, None, closed="left"), "an integer >= 1"),
        (Interval(Integral, 100, None), "an integer >= 100"),
        (Interval(Integral, 1, 512), "an integer in [1, 512]"),
        (Interval(Integral, None, None), "an integer"),
    ],
)
def test_interval_words(constraint: Interval, words: str) -> None:
    assert constraint.describe() == words


UNIT = Interval(Real, 0, 1, closed="neither")
COUNT = Interval(Integral, 1, None)


@pytest.mark.parametrize(
    ("constraint", "value", "ok"),
    [
        (UNIT, 0.05, True),
        (UNIT, 0, False),
        (UNIT, 1, False),
        (UNIT, 5, False),
        (UNIT, -0.1, False),
        (Interval(Real, 0, 1), 0, True),
        (Interval(Real, 0, 1), 1, True),
        (Interval(Real, 0, 1, closed="left"), 1, False),
        (Interval(Real, 0, 1, closed="right"), 0, False),
        (UNIT, math.nan, False),
        (Interval(Real, None, None), math.inf, False),
        (Interval(Real, 0, None), math.inf, False),
        (Interval(Real, None, None), -math.inf, False),
        (UNIT, True, False),  # booleans are not numbers
        (Interval(Real, 0, 1), False, False),
        (UNIT, np.True_, False),
        (UNIT, "0.5", False),
        (UNIT, None, False),
        (UNIT, [0.5], False),
        (UNIT, np.float32(0.5), True),  # NumPy scalars are numbers
        (UNIT, np.float64(0.5), True),
        (UNIT, np.float64(math.nan), False),
        (UNIT, Fraction(1, 2), True),
        (UNIT, Decimal("0.5"), False),  # not a numbers.Real
        (COUNT, 3, True),
        (COUNT, np.int64(3), True),
        (COUNT, np.uint8(3), True),
        (COUNT, 0, False),
        (COUNT, -1, False),
        (COUNT, 2.0, False),  # integers only, even a whole float
        (COUNT, 2.5, False),
        (COUNT, np.float64(2), False),
        (COUNT, True, False),
        (Interval(Real, 0, None), 10**400, True),  # a huge int is compared, not converted
    ],
)
def test_interval_accepts(constraint: Interval, value: Any, ok: bool) -> None:
    assert constraint.accepts(value) is ok


def test_interval_refuses_a_bad_definition():
    with pytest.raises(TypeError):
        Interval(float, 0, 1)
    with pytest.raises(ValueError, match="closed must be one of"):
        Interval(Real, 0, 1, closed="open")
    with pytest.raises(ValueError, match="empty interval"):
        Interval(Real, 1, 0)


@pytest.mark.parametrize(
    ("constraint", "example"),
    [
        (UNIT, 0.5),
        (COUNT, 1),
        (Interval(Integral, 0, None, closed="neither"), 1),
        (Interval(Integral, None, 5, closed="left"), 4),
        (Interval(Real, 0, None, closed="neither"), 1),
        (Interval(Real, None, None), 0.0),
    ],
)
def test_interval_example_is_inside(constraint: Interval, example: Any) -> None:
    assert constraint.example() == example
    assert constraint.accepts(example)


# -- Options, instance_of, SequenceOf, MappingOf -----------------------------------------


def test_options_words_and_order():
    assert Options(str, ["raise"]).describe() == "'raise'"
    assert Options(str, ("score", "rank")).describe() == "'score' or 'rank'"
    assert Options(str, ("holm", "bh", "none")).describe() == "one of 'holm', 'bh', 'none'"
    assert Options(str, {"pass", "fail"}).describe() == "'fail' or 'pass'"  # a set is sorted


def test_options_accepts_members_of_the_type_only():
    corrections = Options(str, ("holm", "bh", "none"))
    assert corrections.accepts("bh") and corrections.accepts(np.str_("bh"))
    assert not corrections.accepts("Holm")
    assert not corrections.accepts(["holm"])
    assert not corrections.accepts(None)
    assert not Options(int, (0, 1)).accepts(True)  # a boolean is not an integer option
    assert not Options(int, (0, 1)).accepts(np.int64(1))  # the type is an isinstance check
    assert Options(Integral, (0, 1)).accepts(np.int64(1))
    with pytest.raises(ValueError):
        Options(str, ())


def test_instance_of_words_and_booleans():
    assert instance_of(str).describe() == "a string"
    assert instance_of(bool).describe() == "True or False"
    assert instance_of(Mapping).describe() == "a mapping"
    assert instance_of(Callable).describe() == "a function"  # type: ignore[arg-type]
    assert instance_of(str, Path).describe() == "a string or a Path"

    class Apple:
        pass

    assert instance_of(Apple).describe() == "an Apple"
    assert instance_of(dict, description="a table").describe() == "a table"
    assert instance_of(bool).accepts(True) and instance_of(bool).accepts(np.False_)
    assert not instance_of(bool).accepts(1)
    assert not instance_of(int).accepts(True)  # a boolean is not a number
    assert isinstance(instance_of(str), InstanceOf)
    with pytest.raises(TypeError):
        InstanceOf()


def test_sequence_of():
    ks = SequenceOf([Interval(Integral, 1, None)])
    assert ks.describe() == "a non-empty sequence, each item an integer >= 1"
    assert ks.accepts((10, 20)) and ks.accepts([1]) and ks.accepts(np.array([1, 2]))
    assert not ks.accepts([]) and not ks.accepts([0]) and not ks.accepts([1, 2.5])
    assert not ks.accepts("12") and not ks.accepts(np.array([[1]])) and not ks.accepts(3)
    anything = SequenceOf([instance_of(str)], min_length=0)
    assert anything.describe() == "a sequence, each item a string"
    assert anything.accepts([])
    pairs = SequenceOf([None, instance_of(str)], min_length=2)
    assert pairs.describe() == "a sequence of 2 or more items, each item None or a string"
    assert pairs.accepts(["a", None]) and not pairs.accepts(["a"])
    assert ks.example() == [1]


def test_mapping_of():
    margins = MappingOf([Interval(Real, 0, None)])
    assert margins.describe() == "a mapping, each value a number >= 0"
    assert margins.accepts({}) and margins.accepts({"impact_ratio": 0.1})
    assert not margins.accepts({"impact_ratio": -0.1}) and not margins.accepts([0.1])


def test_describe_puts_none_first_and_joins_the_rest():
    assert describe([COUNT, None]) == "None or an integer >= 1"
    assert describe(COUNT) == "an integer >= 1"
    assert describe(None) == "None"
    three = [UNIT, SequenceOf([UNIT]), instance_of(Callable)]  # type: ignore[arg-type]
    assert describe(three) == (
        "a number in (0, 1), a non-empty sequence, each item a number in (0, 1) or a function"
    )
    with pytest.raises(TypeError, match="not a constraint"):
        describe(["a number"])
    with pytest.raises(ValueError):
        describe([])


# -- check_param: the message ------------------------------------------------------------


def test_check_param_returns_the_value():
    value = np.float64(0.2)
    assert check_param("alpha", value, UNIT) is value
    assert check_param("top_k", None, [None, COUNT]) is None


@pytest.mark.parametrize(
    ("name", "value", "constraints", "fix", "text"),
    [
        (
            "alpha",
            5,
            UNIT,
            None,
            "alpha must be a number in (0, 1); got 5. Pass e.g. alpha=0.5.",
        ),
        (
            "alpha",
            5,
            Interval(Real, 0, 1, closed="neither", fix="Pass e.g. {name}=0.05."),
            None,
            "alpha must be a number in (0, 1); got 5. Pass e.g. alpha=0.05.",
        ),
        (
            "alpha",
            5,
            Interval(Real, 0, 1, closed="neither", fix="Pass e.g. {name}=0.05."),
            "Use the default.",
            "alpha must be a number in (0, 1); got 5. Use the default.",
        ),
        (
            "top_k",
            -1,
            [None, COUNT],
            None,
            "top_k must be None or an integer >= 1; got -1. Pass e.g. top_k=1.",
        ),
        ("top_k", None, COUNT, None, "top_k must be an integer >= 1; got None. Pass e.g. top_k=1."),
        (
            "top_k",
            True,
            COUNT,
            None,
            "top_k must be an integer >= 1; got True. Pass e.g. top_k=1.",
        ),
        (
            "correction",
            "nope",
            Options(str, ("holm", "bh", "none")),
            None,
            "correction must be one of 'holm', 'bh', 'none'; got 'nope'. "
            "Pass e.g. correction='holm'.",
        ),
        (
            "name",
            3,
            instance_of(str),
            None,
            "name must be a string; got 3. Pass name as a string.",
        ),
        (
            "confidence",
            np.float64(1.5),
            UNIT,
            None,
            f"confidence must be a number in (0, 1); got {np.float64(1.5)!r}. "
            "Pass e.g. confidence=0.5.",
        ),
    ],
)
def test_check_param_message_exactly(name, value, constraints, fix, text) -> None:
    with pytest.raises(ValidationError) as caught:
        check_param(name, value, constraints, fix=fix)
    assert str(caught.value) == text
    assert str(caught.value) == E.BAD_PARAMETER.format(
        name=name, expected=describe(constraints), value=value, fix=text.split(". ", 1)[1]
    )


def test_a_long_value_is_cut_in_the_message():
    value = list(range(1000))
    text = message(lambda: check_param("k", value, SequenceOf([COUNT])))
    shown = text.split("; got ")[1].split(". Pass")[0]
    assert len(shown) <= 80 and shown.startswith("[0, 1, 2") and shown.endswith("...9]")
    assert SHAPE.match(text)


# -- validate_params: the decorator ------------------------------------------------------


ALPHA = Interval(Real, 0, 1, closed="neither", fix="Pass e.g. {name}=0.05.")


def _plain(p, q=1, *, alpha=0.05, k=None, method="holm"):
    """A docstring."""
    return p, q, alpha, k, method


checked = validate_params(
    {
        "q": [COUNT],
        "alpha": [ALPHA],
        "k": [None, COUNT],
        "method": [Options(str, ("holm", "bh"))],
    }
)(_plain)


def test_the_decorator_keeps_signature_name_and_docstring():
    assert inspect.signature(checked) == inspect.signature(_plain)
    assert checked.__name__ == "_plain" and checked.__doc__ == "A docstring."
    assert checked.__wrapped__ is _plain  # type: ignore[attr-defined]
    assert checked(0, 2, alpha=0.1, k=3, method="bh") == (0, 2, 0.1, 3, "bh")
    assert checked(0) == (0, 1, 0.05, None, "holm")  # defaults: checked at decoration


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: checked(0, 0), "q must be an integer >= 1; got 0. Pass e.g. q=1."),
        (lambda: checked(0, q=2.5), "q must be an integer >= 1; got 2.5. Pass e.g. q=1."),
        (
            lambda: checked(0, alpha=5),
            "alpha must be a number in (0, 1); got 5. Pass e.g. alpha=0.05.",
        ),
        (
            lambda: checked(0, alpha=None),
            "alpha must be a number in (0, 1); got None. Pass e.g. alpha=0.05.",
        ),
        (lambda: checked(0, k=-1), "k must be None or an integer >= 1; got -1. Pass e.g. k=1."),
        (
            lambda: checked(0, method="nope"),
            "method must be 'holm' or 'bh'; got 'nope'. Pass e.g. method='holm'.",
        ),
    ],
)
def test_the_decorator_refuses_with_the_catalogue_message(call, text) -> None:
    assert message(call) == text


def test_the_decorator_checks_only_the_named_parameters():
    assert checked("anything", 1) == ("anything", 1, 0.05, None, "holm")


def test_constraints_are_listed_read_only():
    found = constraints_of(checked)
    assert isinstance(found, MappingProxyType)
    assert list(found) == ["q", "alpha", "k", "method"]
    assert found["k"] == (None, COUNT)
    assert checked.__biasaudit_constraints__ is found  # type: ignore[attr-defined]
    assert constraints_of(_plain) == {}


def test_mistakes_are_caught_when_decorating():
    with pytest.raises(TypeError, match="has no parameter"):
        validate_params({"alpah": [ALPHA]})(_plain)
    with pytest.raises(TypeError, match=r"the default alpha=0.05 is not an integer >= 1"):
        validate_params({"alpha": [COUNT]})(_plain)
    with pytest.raises(TypeError, match="not a constraint"):
        validate_params({"alpha": ["a number in (0, 1)"]})

    def star(*values, **options):
        return values

    with pytest.raises(TypeError, match="cannot be validated"):
        validate_params({"values": [COUNT]})(star)


def test_methods_classmethods_staticmethods_and_keyword_only():
    class Model:
        @validate_params({"rate": [UNIT]})
        def __init__(self, rate=0.5):
            self.rate = rate

        @validate_params({"k": [COUNT]})
        def top(self, k, *, by=None):
            return k

        @classmethod
        @validate_params({"rate": [UNIT]})
        def build(cls, rate):
            return cls(rate)

        @validate_params({"rate": [UNIT]})
        @classmethod
        def other(cls, *, rate):
            return cls(rate)

        @staticmethod
        @validate_params({"k": [COUNT]})
        def helper(k):
            return k

    assert Model(0.2).top(3) == 3 and Model.build(0.3).rate == 0.3
    assert Model.other(rate=0.4).rate == 0.4 and Model.helper(2) == 2
    assert message(lambda: Model(2)).startswith("rate must be a number in (0, 1); got 2.")
    assert message(lambda: Model().top(0)).startswith("k must be an integer >= 1; got 0.")
    assert message(lambda: Model().top(k=0)).startswith("k must be")
    assert message(lambda: Model.build(1)).startswith("rate must be")
    assert message(lambda: Model.other(rate=0)).startswith("rate must be")
    assert message(lambda: Model.helper(0)).startswith("k must be")
    assert list(constraints_of(Model)) == ["rate"]
    assert list(constraints_of(Model.top)) == ["k"]
    assert str(inspect.signature(Model.top)) == "(self, k, *, by=None)"


def test_a_decorated_dataclass_checks_its_fields():
    @validate_params({"k": [COUNT], "share": [UNIT]})
    @dataclass(frozen=True)
    class Rule:
        k: int
        share: float = 0.5

    assert Rule(3) == Rule(k=3, share=0.5)
    assert message(lambda: Rule(0)) == "k must be an integer >= 1; got 0. Pass e.g. k=1."
    assert message(lambda: Rule(1, share=1.0)).startswith("share must be a number in (0, 1)")
    assert list(constraints_of(Rule)) == ["k", "share"]
    assert str(inspect.signature(Rule)) == "(k: 'int', share: 'float' = 0.5) -> None"


def test_positional_only_parameters():
    @validate_params({"k": [COUNT]})
    def head(k, /, rest=None):
        return k

    assert head(2) == 2
    assert message(lambda: head(0)).startswith("k must be")


def test_the_check_costs_microseconds():
    n = 20_000
    base = min(timeit.repeat(lambda: _plain(0, 2, alpha=0.1, k=3), number=n, repeat=5)) / n
    cost = min(timeit.repeat(lambda: checked(0, 2, alpha=0.1, k=3), number=n, repeat=5)) / n
    assert cost - base < 20e-6  # a few microseconds on a laptop; generous for CI


# -- every public callable ---------------------------------------------------------------

PUBLIC_MODULES = (
    "biasaudit",
    "biasaudit.decisions",
    # biasaudit.metrics has no __all__: its public modules are walked instead.
    "biasaudit.metrics.significance",
    "biasaudit.metrics.ranking",
    "biasaudit.matchers",
    "biasaudit.synth",
    "biasaudit.counterfactual",
    "biasaudit.gate",
    "biasaudit.engine",
    "biasaudit.testing",
    "biasaudit.datasets",
)
#: Built-in matchers that matchers.get() builds by name but __all__ does not list.
EXTRA_CALLABLES = (
    "biasaudit.matchers.http:HttpMatcher",
    "biasaudit.matchers.llm:LLMMatcher",
    "biasaudit.matchers.embedding:EmbeddingMatcher",
    "biasaudit.matchers.mitigated:MitigatedMatcher",
)


def _public_callables() -> dict[str, Any]:
    found: dict[str, Any] = {}

    def add(obj: Any) -> None:
        if inspect.ismodule(obj) or not callable(obj):
            return
        if isinstance(obj, type) and issubclass(obj, (BaseException, Warning)):
            return
        key = f"{obj.__module__}.{obj.__qualname__}"
        found.setdefault(key, obj)
        if isinstance(obj, type):  # decorated methods: Bound.from_threshold, ...
            for name, member in vars(obj).items():
                method = isinstance(member, (classmethod, staticmethod)) or inspect.isfunction(
                    member
                )
                if method and name != "__init__" and constraints_of(getattr(obj, name)):
                    found.setdefault(f"{key}.{name}", getattr(obj, name))

    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            add(getattr(module, name))
    for target in EXTRA_CALLABLES:
        module_name, name = target.split(":")
        add(getattr(importlib.import_module(module_name), name))
    return found


PUBLIC = _public_callables()
CONSTRAINED = {key: obj for key, obj in PUBLIC.items() if constraints_of(obj)}

_FRAME = pd.DataFrame({"g": ["a", "b"] * 5, "s": [0.1 * i for i in range(10)], "hired": [0, 1] * 5})
_ARRAY = np.array([0, 0, 1, 1])
_POOL = biasaudit.gate.PoolConfig(path=Path("pool.csv"), selected="hired")
_CONFIG = biasaudit.gate.GateConfig(
    path=Path("biasaudit.toml"),
    prefix="",
    attributes=("g",),
    pool=_POOL,
    policy=biasaudit.gate.PolicyRules(),
)


def _scores(candidates: pd.DataFrame, job: Any) -> np.ndarray:
    return np.zeros(len(candidates))


#: Valid arguments for each constrained public callable's required parameters (the
#: out-of-range value under test is added to them). Values the decorator checks come
#: from their constraints; the others only need to bind, as the check runs first.
BASE: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "biasaudit.audit.audit": ((_FRAME,), {"attributes": ["g"], "selected": "hired"}),
    "biasaudit.ranking._audit.rank_audit": ((_FRAME,), {"attributes": ["g"], "score": "s"}),
    "biasaudit.decisions.Threshold": ((0.5,), {}),
    "biasaudit.decisions.TopK": ((10,), {}),
    "biasaudit.decisions.TopFraction": ((0.1,), {}),
    "biasaudit.metrics.significance.wilson_interval": ((_ARRAY, _ARRAY + 2), {}),
    "biasaudit.metrics.significance.katz_ratio_ci": ((_ARRAY, _ARRAY + 2, _ARRAY, _ARRAY + 2), {}),
    "biasaudit.metrics.significance.adjust_pvalues": ((np.array([0.01, 0.2]),), {}),
    "biasaudit.metrics.ranking.prefix_counts": ((_ARRAY, _ARRAY, 2), {}),
    "biasaudit.metrics.ranking.group_counts": ((_ARRAY, _ARRAY, 2, 2), {}),
    "biasaudit.metrics.ranking.group_sums": ((_ARRAY, _ARRAY, _ARRAY * 1.0, 2, 2), {}),
    "biasaudit.metrics.ranking.top_k_counts": ((_ARRAY, _ARRAY + 1, _ARRAY, 2, 2, 2), {}),
    "biasaudit.metrics.ranking.attention_weights": ((_ARRAY + 1,), {}),
    "biasaudit.metrics.ranking.ndkl": ((_ARRAY, _ARRAY + 1, _ARRAY, 2, 2), {}),
    "biasaudit.metrics.ranking.rank_divergences": ((_ARRAY, _ARRAY + 1, _ARRAY == 1, 2), {}),
    "biasaudit.metrics.ranking.fair_mtable": ((10, 0.5, 0.1), {}),
    "biasaudit.metrics.ranking.fair_failure_probability": ((10, 0.5, 0.1), {}),
    "biasaudit.metrics.ranking.fair_adjusted_alpha": ((np.array([10]), np.array([0.5]), 0.1), {}),
    "biasaudit.metrics.ranking.fair_test": ((_ARRAY, _ARRAY + 1, _ARRAY == 1, 2, 0.5), {}),
    "biasaudit.matchers._engine.score_candidates": ((None, _FRAME), {}),
    "biasaudit.matchers.callable.CallableMatcher": ((_scores,), {}),
    "biasaudit.matchers.sklearn.SklearnMatcher": ((None,), {"features": ["s"]}),
    "biasaudit.matchers.http.HttpMatcher": (("http://127.0.0.1:9/score",), {}),
    "biasaudit.matchers.llm.LLMMatcher": (("http://127.0.0.1:9/v1",), {"model": "tiny"}),
    "biasaudit.matchers.embedding.EmbeddingMatcher": (("no/model",), {}),
    "biasaudit.matchers.mitigated.MitigatedMatcher": (
        (None,),
        {"train": _FRAME, "label": "hired", "sensitive_column": "g"},
    ),
    "biasaudit.synth._pool.make_pool": ((100,), {}),
    "biasaudit.synth._jobs.make_jobs": ((3,), {}),
    "biasaudit.synth._power.power": ((500, 0.8), {"reference_rate": 0.3}),
    "biasaudit.synth._power.required_pool_size": ((0.8,), {"reference_rate": 0.3}),
    "biasaudit.synth._power.simulate_power": ((500, 0.8), {"reference_rate": 0.3}),
    "biasaudit.counterfactual._paired.name_swap_audit": ((_FRAME,), {"matcher": _scores}),
    "biasaudit.counterfactual._ranking.rank_swap_audit": ((_FRAME,), {"matcher": _scores}),
    "biasaudit.counterfactual._variants.make_variants": ((_FRAME,), {}),
    "biasaudit.counterfactual._signals.swap_pronouns": (("He led.", "Female"), {}),
    "biasaudit.counterfactual._signals.swap_gendered_words": (("Chairman.", "Female"), {}),
    "biasaudit.counterfactual._stats.median_interval": ((np.arange(10.0),), {}),
    "biasaudit.counterfactual._stats.paired_statistics": ((np.arange(10.0),), {}),
    "biasaudit.counterfactual._stats.flip_statistics": ((_ARRAY == 1, _ARRAY == 0), {}),
    "biasaudit.gate._metrics.Bound": (("impact_ratio",), {"minimum": 0.8}),
    "biasaudit.gate._metrics.Bound.from_threshold": (("impact_ratio", 0.8), {}),
    "biasaudit.gate._config.GateConfig": (
        (Path("biasaudit.toml"), "", ("g",), _POOL, biasaudit.gate.PolicyRules()),
        {},
    ),
    "biasaudit.gate._regression.compare_results": ((None, None), {}),
    "biasaudit.gate._policy.evaluate_policy": ((None, biasaudit.gate.PolicyRules()), {}),
    "biasaudit.gate._run.audit_with_records": ((_FRAME,), {"attributes": ["g"]}),
    "biasaudit.gate._run.run_audit": ((_CONFIG,), {}),
    "biasaudit.gate._run.run_gate": ((_CONFIG,), {}),
    "biasaudit.gate._run.update_baseline": ((_CONFIG,), {}),
    "biasaudit.testing.assert_no_adverse_impact": ((None,), {}),
    "biasaudit.testing.assert_no_regression": ((None, None), {}),
    "biasaudit.engine._numpy.reduce_arrays": (({}, None), {}),
    "biasaudit.engine._ranksum.mann_whitney_u": ((None, _ARRAY, 2), {}),
    "biasaudit.engine._ranksum.CellScores": ((_ARRAY * 1.0, _ARRAY, _ARRAY, 2), {}),
    "biasaudit.loaders._read.load": ((_FRAME,), {}),
    "biasaudit.loaders._eeo1.normalize_eeo1": ((["F"], "sex"), {}),
}


def _base(key: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return BASE.get(key, ((), {}))


def _bound(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> inspect.BoundArguments:
    signature = inspect.signature(obj)
    return signature.bind(*args, **kwargs)


def test_the_walk_finds_the_constrained_public_callables():
    # A floor, not a census: a decorator removed by mistake shows here.
    expected = {
        "biasaudit.decisions.TopK",
        "biasaudit.decisions.make_rule",
        "biasaudit.metrics.significance.wilson_interval",
        "biasaudit.metrics.ranking.fair_test",
        "biasaudit.synth._pool.make_pool",
        "biasaudit.synth._power.required_pool_size",
        "biasaudit.counterfactual._paired.name_swap_audit",
        "biasaudit.counterfactual._ranking.rank_swap_audit",
        "biasaudit.gate._policy.PolicyRules",
        "biasaudit.gate._regression.RegressionSettings",
        "biasaudit.gate._metrics.Bound.from_threshold",
        "biasaudit.testing.assert_no_regression",
        "biasaudit.matchers.http.HttpMatcher",
        "biasaudit.matchers.tfidf.TfidfMatcher",
        "biasaudit.matchers._engine.score_candidates",
        "biasaudit.engine._numpy.reduce_arrays",
        "biasaudit.loaders._read.load",
    }
    assert expected <= set(CONSTRAINED)


@pytest.mark.parametrize("key", sorted(CONSTRAINED))
def test_base_arguments_bind_and_satisfy_the_constraints(key: str) -> None:
    obj = CONSTRAINED[key]
    args, kwargs = _base(key)
    bound = _bound(obj, args, kwargs)  # every required parameter has a base value
    for name, value in bound.arguments.items():
        rule = constraints_of(obj).get(name)
        if rule is not None:
            assert not refused(rule, value), f"{key}: base {name}={value!r}"


def _bad_values(constraint: Constraint) -> list[Any]:
    """Values just outside one constraint, of the right type and of wrong ones."""
    if isinstance(constraint, Interval):
        out: list[Any] = [True, "0.5", object()]
        step = 1 if constraint.type is Integral else 0.5
        if constraint.left is not None:
            out += [constraint.left - step, constraint.left]
        if constraint.right is not None:
            out += [constraint.right + step, constraint.right]
        if constraint.type is Integral:
            out += [(constraint.left or 0) + 0.5, 2.0]
        else:
            out += [math.nan, math.inf, -math.inf]
        return out
    if isinstance(constraint, Options):
        return ["not-an-option", 1.5, object(), [constraint.values[0]]]
    if isinstance(constraint, SequenceOf):
        items = [v for c in constraint.items if c is not None for v in _bad_values(c)]
        return ["text", [], *([v] for v in items[:4])]
    if isinstance(constraint, MappingOf):
        values = [v for c in constraint.values if c is not None for v in _bad_values(c)]
        return [{"key": v} for v in values[:4]]
    return [object(), 1.5, "text"]


def _cases() -> list[Any]:
    cases = []
    for key, obj in sorted(CONSTRAINED.items()):
        for name, rule in constraints_of(obj).items():
            candidates = [v for c in rule if c is not None for v in _bad_values(c)]
            if None not in rule:
                candidates.append(None)
            seen: list[str] = []
            for value in candidates:
                shown = f"{type(value).__name__}:{value!r}"
                if shown in seen or not refused(rule, value):
                    continue  # e.g. a string where a string is one of the options
                seen.append(shown)
                cases.append(pytest.param(key, name, value, id=f"{key}-{name}={value!r}"[:120]))
    return cases


@pytest.mark.parametrize(("key", "name", "value"), _cases())
def test_every_constrained_parameter_refuses_out_of_range_values(key, name, value) -> None:
    obj = CONSTRAINED[key]
    args, kwargs = _base(key)
    bound = _bound(obj, args, kwargs)
    bound.arguments[name] = value
    text = message(lambda: obj(*bound.args, **bound.kwargs))
    shape = SHAPE.match(text)
    assert shape is not None, text
    assert shape.group(1) == name
    assert f"must be {describe(constraints_of(obj)[name])}; got " in text


#: Parameter names whose values have a range wherever they appear in the public API.
RANGED = {
    "alpha",
    "confidence",
    "correction",
    "top_k",
    "top_fraction",
    "threshold",
    "per_job",
    "min_share",
    "fair_alpha",
    "seed",
    "n_bootstrap",
    "fair_max_length",
    "rnd_step",
    "resamples",
    "margin",
    "min_group_size",
    "insufficient_data",
    "require_significance",
    "rounds",
    "replicates",
    "n_sims",
    "n_tests",
    "power",
    "allocation",
    "selection_rate",
    "qualified_rate",
    "noise_sd",
    "unknown_share",
    "batch_size",
    "timeout",
    "retries",
    "backoff",
    "concurrency",
    "grid_size",
    "ngram_max",
    "max_tokens",
    "repeats",
    "n_bins",
    "on_missing",
    "progress",
}
#: Not (yet) declared by their owners: to be picked up by the architecture refactor.
PENDING: set[tuple[str, str]] = set()
#: Results and records: they hold computed values (a group's threshold, a pool's seed),
#: built by the package itself, not arguments a user passes.
RESULTS = {
    "biasaudit.gate._policy.Check",
    "biasaudit.gate._run.GateOutcome",
    "biasaudit.results._ranking.RankingResult",
    "biasaudit.results._audit.AuditResult",
    "biasaudit.synth._pool.SyntheticPool",
    "biasaudit.synth._pool.TrueEffects",
}


def _ranged_parameters() -> list[Any]:
    out = []
    for key, obj in sorted(PUBLIC.items()):
        if key in RESULTS:
            continue
        target = obj.__init__ if isinstance(obj, type) else obj
        try:
            names = list(inspect.signature(target).parameters)
        except (TypeError, ValueError):  # pragma: no cover - builtins
            continue
        for name in names:
            if name in RANGED:
                marks = (
                    [
                        pytest.mark.xfail(
                            strict=False, reason="declared in the architecture refactor"
                        )
                    ]
                    if (key, name) in PENDING
                    else []
                )
                out.append(pytest.param(key, name, id=f"{key}-{name}", marks=marks))
    return out


@pytest.mark.parametrize(("key", "name"), _ranged_parameters())
def test_every_public_ranged_parameter_is_declared(key: str, name: str) -> None:
    assert name in constraints_of(PUBLIC[key]), f"{key}({name}=...) has no constraints"


# -- the cases the architecture issue names ----------------------------------------------


def _swap(**options: Any) -> Any:
    return biasaudit.counterfactual.name_swap_audit(_FRAME, matcher=_scores, **options)


MUST_REFUSE = [
    # (call, parameter, value shown)
    (lambda: biasaudit.decisions.make_rule(top_k=-1), "top_k", "-1"),
    (lambda: biasaudit.TopK(-1), "k", "-1"),
    (lambda: biasaudit.TopFraction(0), "fraction", "0"),
    (lambda: biasaudit.gate.DecisionConfig(top_k=-1), "top_k", "-1"),
    (lambda: biasaudit.gate.audit_with_records(_FRAME, attributes=["g"], top_k=-1), "top_k", "-1"),
    (
        lambda: biasaudit.gate.audit_with_records(
            _FRAME, attributes=["g"], selected="hired", min_share=-0.1
        ),
        "min_share",
        "-0.1",
    ),
    (
        lambda: biasaudit.gate.GateConfig(*BASE["biasaudit.gate._config.GateConfig"][0], alpha=5),
        "alpha",
        "5",
    ),
    (
        lambda: biasaudit.gate.GateConfig(
            *BASE["biasaudit.gate._config.GateConfig"][0], min_share=-0.1
        ),
        "min_share",
        "-0.1",
    ),
    (lambda: _swap(alpha=5), "alpha", "5"),
    (lambda: _swap(alpha=0), "alpha", "0"),
    (lambda: _swap(confidence=1.5), "confidence", "1.5"),
    (lambda: _swap(confidence=0), "confidence", "0"),
    (lambda: _swap(top_k=-1), "top_k", "-1"),
    (lambda: _swap(top_fraction=0), "top_fraction", "0"),
    (lambda: _swap(correction="nope"), "correction", "'nope'"),
    (
        lambda: biasaudit.counterfactual.rank_swap_audit(_FRAME, matcher=_scores, rounds=0),
        "rounds",
        "0",
    ),
    (
        lambda: biasaudit.metrics.significance.wilson_interval(_ARRAY, _ARRAY, 1.5),
        "confidence",
        "1.5",
    ),
    (lambda: biasaudit.metrics.significance.wilson_interval(_ARRAY, _ARRAY, 0), "confidence", "0"),
    (
        lambda: biasaudit.metrics.significance.katz_ratio_ci(_ARRAY, _ARRAY, _ARRAY, _ARRAY, 1.5),
        "confidence",
        "1.5",
    ),
    (lambda: biasaudit.metrics.significance.adjust_pvalues(_ARRAY, "nope"), "method", "'nope'"),
    # FA*IR's alpha ("fair alpha") in the ranking metrics
    (lambda: biasaudit.metrics.ranking.fair_mtable(10, 0.5, 2), "alpha", "2"),
    (
        lambda: biasaudit.metrics.ranking.fair_test(
            _ARRAY, _ARRAY + 1, _ARRAY == 1, 2, 0.5, alpha=2
        ),
        "alpha",
        "2",
    ),
    (
        lambda: biasaudit.metrics.ranking.fair_adjusted_alpha(np.array([5]), np.array([0.5]), 0),
        "alpha",
        "0",
    ),
    (lambda: biasaudit.metrics.ranking.top_k_counts(_ARRAY, _ARRAY, _ARRAY, -1, 1, 2), "k", "-1"),
    (lambda: biasaudit.synth.make_pool(0), "n", "0"),
    (lambda: biasaudit.synth.make_pool(10, unknown_share=1.0), "unknown_share", "1.0"),
    (lambda: biasaudit.synth.make_pool(10, noise_sd=-0.1), "noise_sd", "-0.1"),
    (lambda: biasaudit.synth.make_pool(10, selection_rate=1.2), "selection_rate", "1.2"),
    (lambda: biasaudit.synth.power(500, 0.8, reference_rate=0.3, alpha=5), "alpha", "5"),
    (lambda: biasaudit.synth.required_pool_size(0.8, reference_rate=1.3), "reference_rate", "1.3"),
    (lambda: biasaudit.gate.PolicyRules(min_group_size=-1), "min_group_size", "-1"),
    (lambda: biasaudit.gate.RegressionSettings(confidence=1.5), "confidence", "1.5"),
    (
        lambda: biasaudit.testing.assert_no_regression(None, None, confidence=1.5),
        "confidence",
        "1.5",
    ),
    (lambda: biasaudit.matchers.get("http", url="http://x", timeout=0), "timeout", "0"),
    (lambda: biasaudit.matchers.get("tfidf", batch_size=-1), "batch_size", "-1"),
    (lambda: biasaudit.datasets.load(_FRAME, format="xlsx"), "format", "'xlsx'"),
]


@pytest.mark.parametrize(("call", "name", "shown"), MUST_REFUSE)
def test_the_issue_cases_are_refused(call, name: str, shown: str) -> None:
    text = message(call)
    assert SHAPE.match(text), text
    assert text.startswith(f"{name} must be ") and f"; got {shown}. " in text


def test_an_impact_ratio_above_one_over_the_reference_rate_is_refused():
    text = message(lambda: biasaudit.synth.required_pool_size(4.0, reference_rate=0.3))
    assert text == (
        "impact_ratio must be a number in (0, 3.33333); got 4.0. Pass e.g. impact_ratio=0.8."
    )


def test_audit_with_records_checks_the_audit_options_before_scoring():
    calls = []

    def matcher(candidates: pd.DataFrame, job: Any) -> np.ndarray:
        calls.append(len(candidates))
        return np.zeros(len(candidates))

    with pytest.raises(ValidationError, match=r"^alpha must be"):
        biasaudit.gate.audit_with_records(
            _FRAME, attributes=["g"], matcher=matcher, threshold=0.5, alpha=5
        )
    assert calls == []


# -- audit() and rank_audit() ----------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"alpha": 5}, "alpha"),
        ({"alpha": 0}, "alpha"),
        ({"confidence": 1.5}, "confidence"),
        ({"confidence": 0}, "confidence"),
        ({"min_share": -0.1}, "min_share"),
        ({"top_k": -1, "score": "s", "selected": None}, "top_k"),
        ({"top_fraction": 0, "score": "s", "selected": None}, "top_fraction"),
        ({"correction": "nope"}, "correction"),
    ],
)
def test_audit_refuses_out_of_range_values(options: dict, name: str) -> None:
    kwargs = {"attributes": ["g"], "selected": "hired", **options}
    text = message(lambda: biasaudit.audit(_FRAME, **kwargs))
    assert SHAPE.match(text) and text.startswith(f"{name} must be "), text


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"alpha": 5}, "alpha"),
        ({"alpha": 0}, "alpha"),
        ({"k": [0]}, "k"),
        ({"k": -1}, "k"),
        ({"attention": 1.5}, "attention"),
        ({"rnd_step": 1}, "rnd_step"),
        ({"n_bootstrap": -1}, "n_bootstrap"),  # the bootstrap draws; 0 means none
        ({"fair_max_length": 0}, "fair_max_length"),
        ({"seed": -1}, "seed"),
    ],
)
def test_rank_audit_refuses_out_of_range_values(options: dict, name: str) -> None:
    text = message(lambda: biasaudit.rank_audit(_FRAME, attributes=["g"], score="s", **options))
    assert SHAPE.match(text) and text.startswith(f"{name} must be "), text
    assert name in constraints_of(biasaudit.rank_audit)
