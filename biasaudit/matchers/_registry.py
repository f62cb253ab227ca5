"""The matcher registry: built-in adapters plus the ``biasaudit.matchers`` entry points."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from biasaudit import _errors as E

__all__ = [
    "ENTRY_POINT_GROUP",
    "MatcherInfo",
    "available",
    "get",
    "names",
    "register",
    "unregister",
]

#: Entry-point group third-party packages use to add matchers.
ENTRY_POINT_GROUP = "biasaudit.matchers"

#: Built-in adapters: name -> "module:factory".
_BUILTIN: dict[str, str] = {
    "callable": "biasaudit.matchers.callable:CallableMatcher",
    "sklearn": "biasaudit.matchers.sklearn:SklearnMatcher",
    "skills": "biasaudit.matchers.skills:SkillsMatcher",
    "tfidf": "biasaudit.matchers.tfidf:TfidfMatcher",
    "embedding": "biasaudit.matchers.embedding:EmbeddingMatcher",
    "http": "biasaudit.matchers.http:HttpMatcher",
    "llm": "biasaudit.matchers.llm:LLMMatcher",
    "mitigated": "biasaudit.matchers.mitigated:MitigatedMatcher",
}
#: Built-ins that need an optional extra: name -> (module to import, extra).
_EXTRAS: dict[str, tuple[str, str]] = {"embedding": ("sentence_transformers", "embeddings")}
_REGISTERED: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class MatcherInfo:
    """One available matcher: its name, where it comes from and what it does."""

    name: str
    origin: str
    target: str
    summary: str


def register(name: str, factory: Callable[..., Any]) -> None:
    """Register a matcher factory under ``name`` for this Python session.

    Parameters
    ----------
    name : str
        The name :func:`get` and ``--matcher`` accept.
    factory : callable
        Called with the options and returning a matcher (often the class itself).

    Examples
    --------
    >>> from biasaudit.matchers import CallableMatcher
    >>> register("length", lambda: CallableMatcher(lambda c, j: c["text"].str.len()))
    >>> "length" in names()
    True
    >>> unregister("length")
    """
    _REGISTERED[name] = factory


def unregister(name: str) -> None:
    """Remove a matcher added with :func:`register` (built-ins and plugins stay)."""
    _REGISTERED.pop(name, None)


def _entry_points() -> dict[str, metadata.EntryPoint]:
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def _summary(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _factory(name: str) -> tuple[Callable[..., Any], str]:
    if name in _REGISTERED:
        return _REGISTERED[name], "registered"
    if name in _BUILTIN:
        return _load(_BUILTIN[name]), "built-in"
    eps = _entry_points()
    if name in eps:
        ep = eps[name]
        try:
            return ep.load(), _origin(ep)
        except Exception as exc:  # a broken plugin must not look like a missing one
            raise E.ValidationError(
                E.BROKEN_MATCHER_PLUGIN.format(name=name, target=ep.value, error=exc)
            ) from exc
    raise E.ValidationError(E.UNKNOWN_MATCHER.format(name=name, known=names()))


def _origin(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"plugin: {dist.name} {dist.version}" if dist is not None else "plugin"


def names() -> list[str]:
    """Names of every available matcher, sorted.

    Examples
    --------
    >>> {"callable", "tfidf", "skills"} <= set(names())
    True
    """
    return sorted({*_BUILTIN, *_REGISTERED, *_entry_points()})


def available() -> list[MatcherInfo]:
    """Every matcher that :func:`get` can build: built-in, registered and plugins.

    Examples
    --------
    >>> [m.origin for m in available() if m.name == "tfidf"]
    ['built-in']
    """
    out = []
    eps = _entry_points()
    for name in names():
        if name in _REGISTERED:
            out.append(MatcherInfo(name, "registered", repr(_REGISTERED[name]), ""))
        elif name in _BUILTIN:
            target = _BUILTIN[name]
            summary = _summary(_load(target))
            if name in _EXTRAS and not _installed(_EXTRAS[name][0]):
                summary += f" (needs: pip install 'biasaudit[{_EXTRAS[name][1]}]')"
            out.append(MatcherInfo(name, "built-in", target, summary))
        else:
            ep = eps[name]
            try:
                summary = _summary(ep.load())
            except Exception as exc:
                summary = f"(cannot be loaded: {exc})"
            out.append(MatcherInfo(name, _origin(ep), ep.value, summary))
    return out


def _signature(factory: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(factory)
    except (TypeError, ValueError):
        return None


def _check_options(name: str, factory: Callable[..., Any], options: dict[str, Any]) -> None:
    """Refuse options the factory does not take, and say which required ones are missing."""
    signature = _signature(factory)
    if signature is None:
        return
    params = list(signature.parameters.values())
    named = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    by_keyword = [p.name for p in named if p.kind is not p.POSITIONAL_ONLY]
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        bad = sorted(set(options) - set(by_keyword))
        if bad:
            raise E.ValidationError(
                E.BAD_MATCHER_OPTION.format(matcher=name, options=bad, accepted=by_keyword)
            )
    missing = [p.name for p in named if p.default is p.empty and p.name not in options]
    if missing:
        raise E.ValidationError(
            E.MATCHER_OPTION_MISSING.format(
                matcher=name, missing=missing, example=repr(missing[0]), example_cli=missing[0]
            )
        )


def get(name: str, /, **options: Any) -> Any:
    """Build the matcher called ``name`` with ``options``.

    Parameters
    ----------
    name : str
        A built-in adapter (``callable``, ``sklearn``, ``skills``, ``tfidf``,
        ``embedding``, ``http``, ``llm``, ``mitigated``), a name given to
        :func:`register`, or one from an installed package's
        ``biasaudit.matchers`` entry point.
    **options
        Passed to the adapter (see its class for the accepted options); an
        option may be called ``name`` too (the callable adapter's label).

    Returns
    -------
    Matcher

    Raises
    ------
    biasaudit.ValidationError
        For an unknown name, an option the adapter does not accept, or a
        required option left out.

    Examples
    --------
    >>> from biasaudit import matchers
    >>> m = matchers.get("skills", skills_column="skills")
    >>> m.fingerprint.startswith("skills:")
    True
    """
    factory, _ = _factory(name)
    _check_options(name, factory, options)
    matcher = factory(**options)
    if not (hasattr(matcher, "score") and hasattr(matcher, "fingerprint")):
        raise E.ValidationError(E.NOT_A_MATCHER.format(what=f"What {name!r} built ({matcher!r})"))
    return matcher
