"""Declarative parameter constraints: one check and one message for every public argument.

A public function states the values each parameter accepts next to its signature::

    @validate_params({
        "alpha": [Interval(Real, 0, 1, closed="neither", fix="Pass e.g. alpha=0.05.")],
        "top_k": [None, Interval(Integral, 1, None, closed="left")],
        "correction": [Options(str, ("holm", "bh", "none"))],
    })
    def audit(data, *, alpha=0.05, top_k=None, correction="holm"): ...

and a call with a value outside them raises :class:`biasaudit.ValidationError` with
the catalogue's one template :data:`biasaudit._errors.BAD_PARAMETER`, ``"{name} must
be {expected}; got {value!r}. {fix}"``, the expectation rendered from the
constraints. Code that validates values which are not parameters (a dict of options,
a command-line flag) calls :func:`check_param` with the same constraints.

The rules, the same everywhere:

- a list of constraints accepts a value that any of them accepts; ``None`` in the
  list accepts ``None``;
- booleans are never numbers (``True`` is not ``1``), NumPy scalars are numbers like
  Python's (``np.int64(3)`` is an integer, ``np.float32(0.5)`` a number);
- an :class:`Interval` holds finite numbers only: NaN and infinities are refused;
- only the parameters named are checked, and only when the caller passes them
  (defaults are checked once, when the function is decorated).

Inspired by scikit-learn's ``sklearn.utils._param_validation``, in a smaller form.
This module imports only the standard library, NumPy and :mod:`biasaudit._errors`.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import PurePath
from types import MappingProxyType
from typing import Any, Final, TypeVar

import numpy as np

from biasaudit._errors import BAD_PARAMETER, ValidationError

__all__ = [
    "Constraint",
    "InstanceOf",
    "Interval",
    "MappingOf",
    "Options",
    "SequenceOf",
    "check_param",
    "constraints_of",
    "describe",
    "instance_of",
    "validate_params",
]

T = TypeVar("T")

#: Attribute a decorated function (or class) carries: ``{parameter: constraints}``.
CONSTRAINTS_ATTRIBUTE: Final = "__biasaudit_constraints__"

_NO_EXAMPLE: Final = object()
_CLOSED = {"both": (True, True), "left": (True, False), "right": (False, True)}
_CLOSED["neither"] = (False, False)
_LONGEST_VALUE = 80  # characters of a value's repr shown in a message


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _number_text(x: float) -> str:
    return str(x) if isinstance(x, numbers.Integral) else format(x, "g")


def _join(parts: Sequence[str]) -> str:
    """``A``, ``A or B``, ``A, B or C``."""
    if len(parts) <= 2:
        return " or ".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


class Constraint:
    """What one kind of value a parameter accepts, in code and in words.

    Subclasses define :meth:`accepts`, :meth:`describe` and, when they can,
    :meth:`example`. ``fix`` overrides the message's last sentence for this
    constraint; ``{name}`` in it is replaced by the parameter's name.
    """

    __slots__ = ("fix",)

    def __init__(self, *, fix: str | None = None) -> None:
        self.fix = fix

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` satisfies the constraint."""
        raise NotImplementedError

    def describe(self) -> str:
        """The accepted values in words, e.g. ``a number in (0, 1)``."""
        raise NotImplementedError

    def example(self) -> Any:
        """A value the constraint accepts, for the message's fix (``_NO_EXAMPLE`` if none)."""
        return _NO_EXAMPLE

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


class Interval(Constraint):
    """Finite numbers of a type between two bounds.

    Parameters
    ----------
    type : numbers.Real or numbers.Integral
        ``Integral`` accepts integers only (``2.0`` is refused), ``Real`` any
        number. Booleans are refused either way; NumPy scalars are accepted.
    left, right : float or None
        The bounds; ``None`` leaves that side unbounded.
    closed : {"both", "left", "right", "neither"}
        Which bounds belong to the interval.
    fix : str, optional
        The message's fix for this constraint (``{name}`` is the parameter).

    Examples
    --------
    >>> from numbers import Integral, Real
    >>> unit = Interval(Real, 0, 1, closed="neither")
    >>> unit.describe(), unit.accepts(0.05), unit.accepts(1), unit.accepts(True)
    ('a number in (0, 1)', True, False, False)
    >>> Interval(Integral, 1, None, closed="left").describe()
    'an integer >= 1'
    >>> Interval(Real, 0, 1, closed="right").accepts(np.float32(0.5))
    True
    >>> Interval(Real, 0, None).accepts(float("inf")), Interval(Real, None, None).describe()
    (False, 'a finite number')
    """

    __slots__ = ("closed", "left", "left_closed", "right", "right_closed", "type")

    def __init__(
        self,
        type: type,
        left: float | None,
        right: float | None,
        *,
        closed: str = "both",
        fix: str | None = None,
    ) -> None:
        super().__init__(fix=fix)
        if type not in (numbers.Real, numbers.Integral):
            raise TypeError(f"Interval type must be numbers.Real or numbers.Integral; got {type!r}")
        if closed not in _CLOSED:
            raise ValueError(f"closed must be one of {list(_CLOSED)}; got {closed!r}")
        if left is not None and right is not None and left > right:
            raise ValueError(f"empty interval: left {left!r} > right {right!r}")
        self.type, self.left, self.right, self.closed = type, left, right, closed
        self.left_closed, self.right_closed = _CLOSED[closed]

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is a finite number of the type inside the bounds."""
        kind = value.__class__
        if kind is float:  # the common cases skip the ABC checks
            if self.type is numbers.Integral or not math.isfinite(value):
                return False
        elif kind is not int:
            if _is_bool(value) or not isinstance(value, self.type):
                return False
            if not isinstance(value, numbers.Integral) and not math.isfinite(value):
                return False
        left, right = self.left, self.right
        if left is not None and (value < left if self.left_closed else value <= left):
            return False
        return right is None or bool(value <= right if self.right_closed else value < right)

    def describe(self) -> str:
        """``a number in (0, 1]``, ``an integer >= 1``, ``a number < 5``, ``a finite number``."""
        kind = "an integer" if self.type is numbers.Integral else "a number"
        left, right = self.left, self.right
        if left is None and right is None:
            return kind if self.type is numbers.Integral else "a finite number"
        if right is None:
            return f"{kind} {'>=' if self.left_closed else '>'} {_number_text(left)}"  # type: ignore[arg-type]
        if left is None:
            return f"{kind} {'<=' if self.right_closed else '<'} {_number_text(right)}"
        opening, closing = "[" if self.left_closed else "(", "]" if self.right_closed else ")"
        return f"{kind} in {opening}{_number_text(left)}, {_number_text(right)}{closing}"

    def example(self) -> Any:
        """The closed bound, else a point inside (the midpoint of a bounded interval)."""
        left, right = self.left, self.right
        if self.type is numbers.Integral:
            if left is not None:
                return math.ceil(left) if self.left_closed else math.floor(left) + 1
            if right is not None:
                return math.floor(right) if self.right_closed else math.ceil(right) - 1
            return 0
        if left is not None and right is not None:
            return (left + right) / 2
        if left is not None:
            return left if self.left_closed else left + 1
        if right is not None:
            return right if self.right_closed else right - 1
        return 0.0


class Options(Constraint):
    """One of a fixed set of values of a type.

    Parameters
    ----------
    type : type
        The values' type (``str`` for names).
    values : iterable
        The accepted values, in the order the message lists them (a set is sorted).
    fix : str, optional
        The message's fix for this constraint.

    Examples
    --------
    >>> Options(str, ("holm", "bh", "none")).describe()
    "one of 'holm', 'bh', 'none'"
    >>> Options(str, {"pass", "fail"}).describe(), Options(str, ["raise"]).describe()
    ("'fail' or 'pass'", "'raise'")
    >>> Options(str, ("holm", "bh")).accepts("Holm")
    False
    """

    __slots__ = ("type", "values")

    def __init__(self, type: type, values: Iterable[Any], *, fix: str | None = None) -> None:
        super().__init__(fix=fix)
        if isinstance(values, (set, frozenset)):
            values = sorted(values, key=repr)
        self.type, self.values = type, tuple(values)
        if not self.values:
            raise ValueError("Options needs at least one value")

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is of the type and among the values."""
        if value.__class__ is str and self.type is str:  # the common case: a name
            return value in self.values
        return (
            isinstance(value, self.type)
            and not (_is_bool(value) and self.type is not bool)
            and any(value == v for v in self.values)
        )

    def describe(self) -> str:
        """``'a'``, ``'a' or 'b'``, ``one of 'a', 'b', 'c'``."""
        shown = [repr(v) for v in self.values]
        return _join(shown) if len(shown) <= 2 else "one of " + ", ".join(shown)

    def example(self) -> Any:
        """The first value."""
        return self.values[0]


_TYPE_WORDS: dict[type, str] = {
    str: "a string",
    bool: "True or False",
    int: "an integer",
    float: "a number",
    numbers.Integral: "an integer",
    numbers.Real: "a number",
    dict: "a dict",
    list: "a list",
    tuple: "a tuple",
    PurePath: "a path",
    Mapping: "a mapping",
    Sequence: "a sequence",
    Callable: "a function",  # type: ignore[dict-item]
}


def _type_words(kind: type) -> str:
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind]
    name = kind.__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


class InstanceOf(Constraint):
    """Any instance of one of the types (booleans only where ``bool`` is named).

    Parameters
    ----------
    *types : type
        Accepted types; ``bool`` also accepts ``numpy.bool_``.
    description : str, optional
        The words for the message; default from the types (``a string``,
        ``a function``, ``a Job``, ...).
    fix : str, optional
        The message's fix for this constraint.

    Examples
    --------
    >>> InstanceOf(str).describe(), InstanceOf(int).accepts(True), instance_of(bool).accepts(True)
    ('a string', False, True)
    >>> from collections.abc import Callable
    >>> instance_of(Callable).describe(), instance_of(Callable).accepts(len)
    ('a function', True)
    """

    __slots__ = ("description", "types")

    def __init__(
        self, *types: type, description: str | None = None, fix: str | None = None
    ) -> None:
        super().__init__(fix=fix)
        if not types:
            raise TypeError("InstanceOf needs at least one type")
        self.types = (*types, np.bool_) if bool in types else types
        self.description = description or _join([_type_words(t) for t in types])

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is an instance (a boolean only when ``bool`` is named)."""
        if _is_bool(value):
            return bool in self.types
        return isinstance(value, self.types)

    def describe(self) -> str:
        """The description."""
        return self.description


def instance_of(*types: type, description: str | None = None, fix: str | None = None) -> InstanceOf:
    """A type constraint: ``instance_of(str)``, ``instance_of(Path, str)``, ...

    Examples
    --------
    >>> instance_of(str, PurePath).describe()
    'a string or a path'
    """
    return InstanceOf(*types, description=description, fix=fix)


def _item_text(items: Sequence[Constraint | None]) -> str:
    return describe(items)


class SequenceOf(Constraint):
    """A sequence (not a string) whose items each satisfy one of ``items``.

    Parameters
    ----------
    items : list of Constraint or None
        The items' constraints, as for a parameter.
    min_length : int
        Fewest items (1: not empty).
    fix : str, optional
        The message's fix for this constraint.

    Examples
    --------
    >>> from numbers import Integral
    >>> ks = SequenceOf([Interval(Integral, 1, None, closed="left")])
    >>> ks.describe()
    'a non-empty sequence, each item an integer >= 1'
    >>> ks.accepts((10, 20)), ks.accepts([0]), ks.accepts([]), ks.accepts("10")
    (True, False, False, False)
    """

    __slots__ = ("items", "min_length")

    def __init__(
        self, items: Sequence[Constraint | None], *, min_length: int = 1, fix: str | None = None
    ) -> None:
        super().__init__(fix=fix)
        self.items, self.min_length = _as_rule(items), min_length

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is a long enough sequence of accepted items."""
        if isinstance(value, np.ndarray):
            if value.ndim != 1:
                return False
        elif not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
            return False
        return len(value) >= self.min_length and all(_accepts(self.items, v) for v in value)

    def describe(self) -> str:
        """``a non-empty sequence, each item ...``."""
        size = (
            "a non-empty sequence"
            if self.min_length == 1
            else "a sequence"
            if self.min_length <= 0
            else f"a sequence of {self.min_length} or more items"
        )
        return f"{size}, each item {_item_text(self.items)}"

    def example(self) -> Any:
        """A list of ``min_length`` (at least one) example items."""
        item = _example(self.items)
        return _NO_EXAMPLE if item is _NO_EXAMPLE else [item] * max(self.min_length, 1)


class MappingOf(Constraint):
    """A mapping whose values each satisfy one of ``values`` (keys are not checked).

    Examples
    --------
    >>> from numbers import Real
    >>> margins = MappingOf([Interval(Real, 0, None)])
    >>> margins.describe(), margins.accepts({"impact_ratio": 0.1}), margins.accepts({"x": -1})
    ('a mapping, each value a number >= 0', True, False)
    """

    __slots__ = ("values",)

    def __init__(self, values: Sequence[Constraint | None], *, fix: str | None = None) -> None:
        super().__init__(fix=fix)
        self.values = _as_rule(values)

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is a mapping of accepted values."""
        return isinstance(value, Mapping) and all(_accepts(self.values, v) for v in value.values())

    def describe(self) -> str:
        """``a mapping, each value ...``."""
        return f"a mapping, each value {_item_text(self.values)}"


# -- checking a value -------------------------------------------------------------------


def _as_rule(constraints: Any) -> tuple[Constraint | None, ...]:
    if constraints is None or isinstance(constraints, Constraint):
        constraints = [constraints]
    rule = tuple(constraints)
    for c in rule:
        if c is not None and not isinstance(c, Constraint):
            raise TypeError(f"not a constraint: {c!r} (use Interval, Options, instance_of, ...)")
    if not rule:
        raise ValueError("a parameter needs at least one constraint")
    return rule


def _accepts(rule: tuple[Constraint | None, ...], value: Any) -> bool:
    if value is None:
        return None in rule
    for c in rule:  # noqa: SIM110 - a loop, not any(): this runs on every decorated call
        if c is not None and c.accepts(value):
            return True
    return False


def _example(rule: Iterable[Constraint | None]) -> Any:
    for c in rule:
        if c is not None and (found := c.example()) is not _NO_EXAMPLE:
            return found
    return _NO_EXAMPLE


def describe(constraints: Any) -> str:
    """The accepted values in words, as the message's ``expected`` shows them.

    Examples
    --------
    >>> from numbers import Integral
    >>> describe([None, Interval(Integral, 1, None, closed="left")])
    'None or an integer >= 1'
    >>> describe([Options(str, ("score", "rank")), instance_of(dict)])
    "'score' or 'rank' or a dict"
    """
    rule = _as_rule(constraints)
    parts = ["None"] if None in rule else []
    parts += [c.describe() for c in rule if c is not None]
    return _join(parts)


class _Shown:
    """A value whose repr is cut to a readable length for the message."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        text = repr(self.value)
        if len(text) <= _LONGEST_VALUE:
            return text
        return f"{text[: _LONGEST_VALUE - 5]}...{text[-2:]}"


def _fix(name: str, rule: tuple[Constraint | None, ...], expected: str) -> str:
    for c in rule:
        if c is not None and c.fix is not None:
            return c.fix.replace("{name}", name)
    found = _example(rule)
    if found is _NO_EXAMPLE:
        return f"Pass {name} as {expected}."
    return f"Pass e.g. {name}={found!r}."


def parameter_error(
    name: str, value: Any, constraints: Any, fix: str | None = None
) -> ValidationError:
    """The catalogue's error for ``value`` outside ``constraints`` (not raised).

    Examples
    --------
    >>> from numbers import Real
    >>> print(parameter_error("alpha", 5, [Interval(Real, 0, 1, closed="neither")]))
    alpha must be a number in (0, 1); got 5. Pass e.g. alpha=0.5.
    """
    rule = _as_rule(constraints)
    expected = describe(rule)
    text = BAD_PARAMETER.format(
        name=name,
        expected=expected,
        value=_Shown(value),
        fix=fix if fix is not None else _fix(name, rule, expected),
    )
    return ValidationError(text)


def check_param(name: str, value: T, constraints: Any, fix: str | None = None) -> T:
    """Return ``value`` if a constraint accepts it; else raise the catalogue's message.

    For values that are not a function's own parameters: a dict of options, a
    command-line flag, an item read from a file.

    Parameters
    ----------
    name : str
        What the message calls the value (the parameter, option or flag).
    value : object
        The value to check.
    constraints : Constraint, None or a list of them
        Accepted values, as in :func:`validate_params`.
    fix : str, optional
        The message's last sentence; default the first constraint's ``fix``, else
        ``Pass e.g. NAME=EXAMPLE.``

    Returns
    -------
    object
        ``value`` itself.

    Raises
    ------
    biasaudit.ValidationError
        ``"{name} must be {expected}; got {value!r}. {fix}"``.

    Examples
    --------
    >>> from numbers import Integral
    >>> check_param("top_k", 10, Interval(Integral, 1, None, closed="left"))
    10
    >>> check_param("top_k", -1, Interval(Integral, 1, None, closed="left"))
    Traceback (most recent call last):
    biasaudit._errors.ValidationError: top_k must be an integer >= 1; got -1. Pass e.g. top_k=1.
    >>> check_param("method", "nope", Options(str, ("holm", "bh")), fix="Use the default.")
    Traceback (most recent call last):
    biasaudit._errors.ValidationError: method must be 'holm' or 'bh'; got 'nope'. Use the default.
    """
    rule = _as_rule(constraints)
    if not _accepts(rule, value):
        raise parameter_error(name, value, rule, fix)
    return value


# -- the decorator ----------------------------------------------------------------------


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_KEYWORD_ONLY_INDEX: Final = 1 << 30  # past any positional argument


def _wrap(func: Callable[..., Any], constraints: Mapping[str, Any]) -> Callable[..., Any]:
    signature = inspect.signature(func)
    parameters = list(signature.parameters.values())
    unknown = [name for name in constraints if name not in signature.parameters]
    if unknown:
        raise TypeError(f"{func.__qualname__} has no parameter(s) {unknown} to validate")
    plan: list[tuple[str, int, tuple[Constraint | None, ...]]] = []
    for index, parameter in enumerate(parameters):
        if parameter.name not in constraints:
            continue
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise TypeError(f"{func.__qualname__}: *{parameter.name} cannot be validated")
        rule = _as_rule(constraints[parameter.name])
        default = parameter.default
        if default is not inspect.Parameter.empty and not _accepts(rule, default):
            raise TypeError(
                f"{func.__qualname__}: the default {parameter.name}={default!r} "
                f"is not {describe(rule)}"
            )
        position = index if parameter.kind in _POSITIONAL else _KEYWORD_ONLY_INDEX
        plan.append((parameter.name, position, rule))
    steps = tuple(plan)

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        given = len(args)
        for name, position, rule in steps:
            if position < given:
                value = args[position]
            elif name in kwargs:
                value = kwargs[name]
            else:
                continue  # the default, checked once above
            if not _accepts(rule, value):
                raise parameter_error(name, value, rule)
        return func(*args, **kwargs)

    setattr(checked, CONSTRAINTS_ATTRIBUTE, MappingProxyType({n: r for n, _, r in steps}))
    return checked


def validate_params(constraints: Mapping[str, Any]) -> Callable[[T], T]:
    """Decorator: refuse arguments outside their constraints with the catalogue's message.

    Parameters
    ----------
    constraints : mapping
        ``{parameter: [constraint, ...]}``; each value is a list of
        :class:`Constraint` objects and ``None`` (which accepts ``None``), or a
        single one. Parameters not named are not checked.

    Returns
    -------
    callable
        A decorator for a function, a method, a ``classmethod`` / ``staticmethod``
        or a class (its ``__init__`` is checked, e.g. a dataclass's). The result
        keeps the signature, name and docstring (:func:`functools.wraps`) and
        carries ``__biasaudit_constraints__``, the constraints by parameter.

    Raises
    ------
    TypeError
        At decoration, when a named parameter does not exist or its default
        breaks its own constraints.

    Examples
    --------
    >>> from numbers import Integral, Real
    >>> @validate_params({
    ...     "alpha": [Interval(Real, 0, 1, closed="neither", fix="Try 0.05.")],
    ...     "k": [None, Interval(Integral, 1, None, closed="left")],
    ... })
    ... def test(p, *, alpha=0.05, k=None):
    ...     '''A test.'''
    ...     return alpha
    >>> test(0.3, alpha=0.01)
    0.01
    >>> test(0.3, alpha=5)
    Traceback (most recent call last):
    biasaudit._errors.ValidationError: alpha must be a number in (0, 1); got 5. Try 0.05.
    >>> test(0.3, k=0)
    Traceback (most recent call last):
    biasaudit._errors.ValidationError: k must be None or an integer >= 1; got 0. Pass e.g. k=1.
    >>> test.__doc__, str(inspect.signature(test)), sorted(test.__biasaudit_constraints__)
    ('A test.', '(p, *, alpha=0.05, k=None)', ['alpha', 'k'])
    """
    for rule in constraints.values():
        _as_rule(rule)  # a typo'd constraint fails at import, not at the first bad call

    def decorate(target: Any) -> Any:
        if isinstance(target, type):
            checked = _wrap(target.__init__, constraints)  # type: ignore[misc]
            target.__init__ = checked  # type: ignore[misc]
            setattr(target, CONSTRAINTS_ATTRIBUTE, getattr(checked, CONSTRAINTS_ATTRIBUTE))
            return target
        if isinstance(target, (classmethod, staticmethod)):
            return type(target)(_wrap(target.__func__, constraints))
        return _wrap(target, constraints)

    return decorate


def constraints_of(target: Any) -> Mapping[str, tuple[Constraint | None, ...]]:
    """The constraints a decorated function or class declares (empty when none).

    A class declares them by decorating the class or its ``__init__``.

    Examples
    --------
    >>> constraints_of(len)
    {}
    >>> class Pool:
    ...     @validate_params({"n": Interval(numbers.Integral, 1, None)})
    ...     def __init__(self, n=1):
    ...         self.n = n
    >>> list(constraints_of(Pool))
    ['n']
    """
    found = getattr(target, CONSTRAINTS_ATTRIBUTE, None)
    if found is None and isinstance(target, type):
        found = getattr(target.__init__, CONSTRAINTS_ATTRIBUTE, None)  # type: ignore[misc]
    return found if found is not None else {}
