"""The problems of decorators, and their texts (collections' are in `injectq._checks`).

Like `injectq._checks`, every function here returns `Problem` records and runs no user
code; the golden tests pin these texts and ``docs/errors.md`` lists their codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from injectq._checks import annotation, construct_problem, suggestions
from injectq._introspect import Signature
from injectq._keys import Key, describe, product_key
from injectq._module import Element, TargetKind
from injectq._source import Source
from injectq.errors import Problem

__all__ = [
    "decorate_context",
    "decorate_unbound",
    "decorator_name",
    "decorator_parameter_problem",
    "decorator_target_problem",
    "factory_of_decorated",
    "inner_parameters",
    "is_decorated",
]

Where = Callable[[], tuple[str, ...]]


def decorator_name(decorator: Any) -> str:
    """How messages name a decorator: its qualified name."""
    return str(getattr(decorator, "__qualname__", None) or describe(decorator))


def _call(key: Key, decorator: Any) -> str:
    """``decorate(Repository, CachingRepository)``, with ``name=`` when the key has one."""
    named = f', name="{key.name}"' if key.name is not None else ""
    return f"decorate({describe(key.tp)}, {decorator_name(decorator)}{named})"


def decorate_unbound(key: Key, el: Element, bound: Iterable[tuple[Key, Any]]) -> Problem:
    """A decorator of a key nothing binds."""
    t = describe(key.tp)
    lines = [f"Decorated at: {el.source}"]
    close = suggestions(key, bound)
    if close:
        lines.append("Did you mean: " + " or ".join(close) + "?")
    named = f', name="{key.name}"' if key.name is not None else ""
    return Problem(
        "decorate-unbound",
        f"{_call(key, el.target)}: nothing binds {key}, so there is nothing to decorate.",
        tuple(lines),
        f"bind it, e.g. self.bind({t}, Impl{named}), in this module or one installed with it: "
        "a decorator wraps a binding and never makes one (not even just in time).",
    )


def decorate_context(key: Key, el: Element, source: Source) -> Problem:
    """A decorator of a context key, whose value is handed in at scope entry."""
    return Problem(
        "decorate-unbound",
        f"{_call(key, el.target)}: {key} is a context key, whose value is handed in when a "
        "scope is entered; there is no binding to decorate.",
        (f"Decorated at: {el.source}", f"{key} declared at: {source}"),
        f"bind what you would decorate as a provider that takes {annotation(key)}, and "
        "decorate that key.",
    )


def decorator_target_problem(key: Key, kind: str, target: Any, where: Where) -> Problem | None:
    """A decorator class that cannot be constructed (abstract, a Protocol)."""
    if kind != TargetKind.CLASS:
        return None
    problem = construct_problem(target)
    if problem is None:
        return None
    return Problem(
        "abstract-target",
        f"{_call(key, target)}: {describe(target)} {problem}, so it cannot be constructed.",
        where(),
        "decorate with a concrete class, or with a function that returns the decorated "
        f"{describe(key.tp)}.",
    )


def inner_parameters(key: Key, sig: Signature) -> list[str]:
    """The parameters of a decorator that ask for the key it decorates.

    A parameter annotated with the key's type (or ``Annotated[T, Named(name)]`` with the
    key's own name) receives the decorated instance; ``Provider[T]`` does not count.
    """
    return [
        p.name
        for p in sig.params
        if p.annotated
        and p.problem is None
        and not p.provider
        and p.tp == key.tp
        and p.name_of in (None, key.name)
    ]


def decorator_parameter_problem(
    key: Key, decorator: Any, sig: Signature, where: Where
) -> Problem | None:
    """A decorator without exactly one parameter of the decorated key's type."""
    found = inner_parameters(key, sig)
    if len(found) == 1:
        return None
    t = describe(key.tp)
    if not found:
        example = (
            f"def __init__(self, inner: {t}, ...) -> None"
            if isinstance(decorator, type)
            else f"def {getattr(decorator, '__name__', 'decorate')}(inner: {t}, ...) -> {t}"
        )
        return Problem(
            "decorator-parameter",
            f"{_call(key, decorator)}: {sig.owner} has no parameter of type {t} to receive "
            "the instance it decorates.",
            where(),
            f"add a parameter annotated {t}, e.g. {example}.",
        )
    listed = ", ".join(f"'{n}'" for n in found)
    return Problem(
        "decorator-parameter",
        f"{_call(key, decorator)}: {sig.owner} has {len(found)} parameters of type {t} "
        f"({listed}); exactly one receives the instance it decorates.",
        where(),
        f"keep one parameter annotated {t}; for the others take another type, or "
        f"Provider[{annotation(key)}] for the decorated binding itself.",
    )


def is_decorated(node: Any) -> bool:
    """Whether a draft or compiled binding is the outermost decorator of its key."""
    record = getattr(node, "record", None)
    if record is None and hasattr(node, "head"):
        record = node.head.record
    return record is not None and record.kind == TargetKind.DECORATOR


def factory_of_decorated(key: Key, node: Any, asker: Any, param: str, comp: Any) -> Problem:
    """A ``Factory[T]`` of a decorated ``T``: its products would skip the decorators."""
    product = product_key(key)
    assert product is not None
    name = decorator_name(node.target)
    requested = f"parameter '{param}' of {asker.sig.owner}" if asker and asker.sig else ""
    lines = [f"Requested by: {requested}"] if requested else []
    if asker is not None:
        lines.extend(comp.where(asker))
    lines.append(f"{product} decorated by {name} at: {node.source}")
    return Problem(
        "factory-target",
        f"{key} cannot build {product}: {product} is decorated (by {name}), and what a "
        "factory builds is not passed through decorators.",
        tuple(lines),
        f"ask for {annotation(product)} itself (decorated, in its scope), or bind the class "
        "to build under a key of its own and take a Factory of that key.",
    )
