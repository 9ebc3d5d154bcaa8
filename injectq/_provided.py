"""What a provider function provides, and how calling a callable returns its value.

`call_kind` tells a plain function from a coroutine or generator function (`CallKind`);
`provided_type` reads the type a ``@provider`` method provides from its return
annotation, seeing through the iterator a generator provider is annotated with.
"""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import Callable
from typing import Any, Final

from injectq._introspect import hints_of
from injectq._keys import describe, key_problem

__all__ = ["CallKind", "call_kind", "provided_type"]

_EMPTY = inspect.Parameter.empty


class CallKind:
    """How a provider function returns its value (plain strings: compared per binding).

    An `enum.Enum` member costs a metaclass lookup each time it is named, and the compiler
    and the emitter name these for every binding they handle.
    """

    SYNC: Final = "sync"
    ASYNC: Final = "async"
    GENERATOR: Final = "generator"
    ASYNC_GENERATOR: Final = "async generator"


def provided_type(fn: Callable[..., Any]) -> tuple[Any, str, str | None, str]:
    """Return the type a ``@provider`` function provides, its call kind, any problem and its fix.

    Generator providers annotated ``Iterator[T]``, ``AsyncIterator[T]``, ``Generator[T, ...]``
    or ``AsyncGenerator[T, ...]`` provide ``T``. A generator annotated with a plain ``T`` is a
    problem, but ``T`` is still returned: it is plainly the type meant, so nothing that needs
    it is reported again.
    """
    kind = call_kind(fn)
    name = getattr(fn, "__name__", "provide")
    hints, problem = hints_of(fn, {})
    if problem is not None:
        return None, kind, problem, "make every annotation of the method importable."
    ret = hints.get("return", _EMPTY)
    if ret is _EMPTY:
        return (
            None,
            kind,
            "it has no return annotation, so injectq cannot tell what it provides",
            f"annotate the type it provides: def {name}(self, ...) -> SomeService.",
        )
    if kind in (CallKind.GENERATOR, CallKind.ASYNC_GENERATOR):
        origin = typing.get_origin(ret)
        args = typing.get_args(ret)
        iterator = "Iterator" if kind is CallKind.GENERATOR else "AsyncIterator"
        if (
            origin
            not in (
                collections.abc.Iterator,
                collections.abc.Generator,
                collections.abc.Iterable,
                collections.abc.AsyncIterator,
                collections.abc.AsyncGenerator,
                collections.abc.AsyncIterable,
            )
            or not args
        ):
            meant = ret if key_problem(ret) is None else None
            shown = describe(ret) if meant is not None else "T"
            return (
                meant,
                kind,
                f"it is {'an' if kind is CallKind.ASYNC_GENERATOR else 'a'} {kind} "
                f"annotated {describe(ret)}, so it provides no type",
                f"annotate it -> {iterator}[{shown}] to provide {shown}.",
            )
        ret = args[0]
    return ret, kind, None, ""


def call_kind(fn: Any) -> str:
    """Tell whether calling ``fn`` returns a value, a coroutine or a generator."""
    target = inspect.unwrap(fn) if not isinstance(fn, type) else fn
    if inspect.isasyncgenfunction(target):
        return CallKind.ASYNC_GENERATOR
    if inspect.isgeneratorfunction(target):
        return CallKind.GENERATOR
    if inspect.iscoroutinefunction(target):
        return CallKind.ASYNC
    return CallKind.SYNC
