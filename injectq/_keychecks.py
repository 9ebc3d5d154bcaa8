"""The texts of problems about where a key is seen and how an open key is closed.

Private modules (a key kept inside one, an exposed key it does not bind) and open generic
bindings (one unusable on its own, one that cannot serve a closed key). Like
`injectq._checks`, each function returns a `Problem` or an error and raises nothing.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from injectq._generics import free_typevars
from injectq._introspect import Param
from injectq._keys import Key, describe
from injectq._module import Element, TargetKind
from injectq.errors import MissingBindingError, Problem

__all__ = [
    "closed_example",
    "generic_mismatch",
    "not_exposed",
    "not_exposed_error",
    "open_binding_problem",
    "open_key_error",
    "open_reason",
]


def open_binding_problem(key: Key, el: Element, kind: str, target: Any) -> Problem | None:
    """What makes an open generic binding (``bind(Repo[T], ...)``) unusable on its own."""
    names = ", ".join(tv.__name__ for tv in free_typevars(key.tp))
    t = describe(key.tp)
    closed = closed_example(key.tp)
    generic = f"self.bind({t}, Impl[{names}])"
    if kind == TargetKind.INSTANCE:
        why = "it is bound to an instance, which cannot be every closed key it would serve"
        hint = f"bind it to a generic class or a provider, e.g. {generic}, or bind each closed "
        hint += f"key to its instance, e.g. self.bind({closed}, obj)."
    elif kind == TargetKind.CONTEXT:
        why = "a context value is one object, which cannot be every closed key it would serve"
        hint = f"declare each closed key instead, e.g. self.bind({closed}).from_context()."
    elif el.eager:
        why = "it is eager, and no closed key is known when the container is entered"
        hint = f"drop .eager(), or bind the closed key eagerly: self.bind({closed}, ...).eager()."
    elif kind == TargetKind.CLASS and (
        extra := [tv for tv in free_typevars(target) if tv not in free_typevars(key.tp)]
    ):
        why = (
            f"its target {describe(target)} holds "
            + ", ".join(tv.__name__ for tv in extra)
            + f", which {t} does not fill"
        )
        hint = f"give the target only {names}, e.g. {generic}."
    else:
        return None
    return Problem(
        "open-generic",
        f"{key} is an open generic key (it holds {names}), but {why}.",
        (f"Bound at: {el.source}",),
        hint,
    )


def generic_mismatch(
    key: Key, binding: Any, reason: str, asked: tuple[str, ...], hint: str
) -> Problem:
    """An open generic binding that cannot serve a closed key the graph needs."""
    open_key = describe(binding.key.tp, binding.key.name) if binding is not None else "?"
    where = (f"{open_key} bound at: {binding.source}",) if binding is not None else ()
    return Problem(
        "generic-mismatch",
        f"The open binding {open_key} cannot serve {key}: {reason}.",
        (*asked, *where),
        hint,
    )


def not_exposed(
    key: Key, p: Param, owner: str, where: tuple[str, ...], kept: Sequence[Any]
) -> Problem:
    """A parameter asking for a key that only private modules it cannot see bind."""
    modules = list(dict.fromkeys(node.key.space.module for node in kept))
    first = kept[0].key.space
    if len(modules) == 1:
        message = f"{key} is bound only inside {modules[0]}, which does not expose it."
    else:
        message = (
            f"{key} is bound only inside private modules that do not expose it: "
            + ", ".join(modules)
            + "."
        )
    t = describe(key.tp)
    named = "" if key.name is None else f', name="{key.name}"'
    return Problem(
        "not-exposed",
        message,
        (
            f"Requested by: parameter '{p.name}' of {owner}",
            *where,
            *dict.fromkeys(f"{key} bound at: {node.source}" for node in kept),
        ),
        f"expose it: self.expose({t}{named}) in {first.module}.configure(), or bind {t} "
        "outside the private module.",
    )


def not_exposed_error(k: Key, kept: Sequence[Any]) -> MissingBindingError:
    """The error for ``get()`` of a key that only private modules bind."""
    modules = list(dict.fromkeys(node.key.space.module for node in kept))
    places = ", ".join(dict.fromkeys(node.source.location for node in kept))
    if len(modules) == 1:
        found = (
            f"Nothing outside {modules[0]} binds {k}: it is bound only inside that private "
            f"module ({places}), which does not expose it."
        )
    else:
        found = (
            f"Nothing outside {' and '.join(modules)} binds {k}: it is bound only inside "
            f"those private modules ({places}), which do not expose it."
        )
    t = describe(k.tp)
    named = "" if k.name is None else f', name="{k.name}"'
    hint = (
        f"expose it: self.expose({t}{named}) in {modules[0]}.configure(), or bind {t} "
        "outside the private module."
    )
    return MissingBindingError(str(k), found, hint=hint, path=[str(k)])


def open_key_error(key: Any, what: str) -> str:
    """The message for ``get()`` (``what``) of a key holding a type variable, else ""."""
    if not free_typevars(key):
        return ""
    return (
        f"{what}() takes a closed key, got {describe(key)}: {open_reason(key)}. "
        f"Hint: give its type arguments, e.g. {what}({closed_example(key)})."
    )


def open_reason(tp: Any) -> str:
    """Why an annotation holding type variables says nothing about what to inject."""
    names = ", ".join(tv.__name__ for tv in free_typevars(tp))
    if isinstance(tp, typing.TypeVar):
        return f"it is the type variable {names}, which nothing here fills"
    return f"it is an open generic (it holds {names}), which names no one type"


def closed_example(tp: Any) -> str:
    """A closed key like ``tp`` for a hint: ``Repo[SomeClass]``."""
    origin = typing.get_origin(tp)
    if origin is None:
        return "SomeClass"
    return f"{describe(origin)}[SomeClass]"
