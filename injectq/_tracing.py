"""How generated code reports what goes wrong: resolution paths, source lines, errors.

A failure in user code keeps its type; each generated function it unwinds through prepends
its part of the resolution path (``A -> B -> C``), kept on a `ResolutionError` or as a note
on any other exception. Each generated function is named after its binding and has a file
name of its own, whose text is registered in `linecache` once an exception passes through
it, so tracebacks show the generated line that was running. The errors generated code
raises for a provider that misbehaves (a generator that never yields, a plain function
returning a coroutine, a sync resolution of something that needs an await) or for a scope
that does not fit (a scoped binding resolved outside its scope, a context key its scope
holds no value for) are built here, one new error per raise.
"""

from __future__ import annotations

import asyncio
import collections.abc
import linecache
import logging
import re
import sys
import threading
import types
from typing import Any, Final

from injectq._checks import annotation
from injectq._graph import Binding
from injectq._keys import Key, describe, origin_of
from injectq._provided import CallKind
from injectq.errors import AsyncRequiredError, ResolutionError, ScopeError

__all__ = [
    "AWAITABLE_TYPES",
    "LOGGER",
    "afirst",
    "async_required",
    "awaitable_key",
    "first",
    "function_name",
    "located",
    "log_built",
    "no_context",
    "render_path",
    "returned_awaitable",
    "scope_error",
    "show_source",
    "source_file",
    "trace",
    "trace_at",
]

_NOTE_PREFIX = "injectq resolution path: "


def trace(exc: BaseException, *labels: str) -> None:
    """Prepend ``labels`` (outermost first) to the resolution path carried by ``exc``.

    Only the thread and task that first traced ``exc`` extend its path: a creation failure
    handed to the tasks and threads that waited for it is the same object raised again in
    each, and its path stays the creator's instead of growing once per waiter.
    """
    if not labels:
        return
    try:
        state = exc.__dict__
        if state.setdefault("_injectq_owner", _tracer()) != _tracer():
            return
        if isinstance(exc, ResolutionError):
            exc.path[:0] = labels
            return
        path: list[str] | None = state.get("_injectq_path")
        if path is None:
            path = list(labels)
            state["_injectq_path"] = path
            exc.add_note(_NOTE_PREFIX + render_path(path))
            state["_injectq_note"] = len(exc.__notes__) - 1
        else:
            path[:0] = labels
            exc.__notes__[state["_injectq_note"]] = _NOTE_PREFIX + render_path(path)
    except Exception:  # noqa: BLE001, S110 - an exception without __dict__ keeps no path
        pass


def _tracer() -> tuple[int, int]:
    """Who is unwinding now: the thread, and the asyncio task if one is running."""
    try:
        task = id(asyncio.current_task())
    except RuntimeError:  # no event loop in this thread
        task = 0
    return threading.get_ident(), task


def trace_at(exc: BaseException, paths: dict[int, tuple[Key, ...]]) -> None:
    """Prepend the path of the generated line that was running when ``exc`` went through.

    Also shows that function's text in tracebacks (`show_source`).
    """
    tb = exc.__traceback__
    if tb is not None:
        show_source(tb.tb_frame)
        trace(exc, *[str(key) for key in paths.get(tb.tb_lineno, ())])


LOGGER = logging.getLogger("injectq")


def log_built(binding: Binding, seconds: float, path: tuple[Key, ...]) -> None:
    """Log one construction (only called by factories compiled with debug on)."""
    LOGGER.debug(
        "built %s (%s, %s) in %.3f ms via %s",
        binding.key,
        binding.scope,
        binding.source,
        seconds * 1000,
        render_path([str(key) for key in path]),
    )


def render_path(path: list[str]) -> str:
    """``A -> B -> C``, eliding the middle of very long paths."""
    if len(path) > 12:
        middle = f"... ({len(path) - 10} more) ..."
        return " -> ".join([*path[:5], middle, *path[-5:]])
    return " -> ".join(path)


def first(gen: Any, binding: Binding) -> Any:
    try:
        return next(gen)
    except StopIteration:
        msg = (
            f"The generator provider of {binding.key} ({binding.source}) returned without "
            "yielding a value. Hint: a generator provider yields exactly one value."
        )
        raise ResolutionError(str(binding.key), msg, source=str(binding.source)) from None


async def afirst(gen: Any, binding: Binding) -> Any:
    try:
        return await gen.__anext__()
    except StopAsyncIteration:
        msg = (
            f"The async generator provider of {binding.key} ({binding.source}) returned "
            "without yielding a value. Hint: it must yield exactly one value."
        )
        raise ResolutionError(str(binding.key), msg, source=str(binding.source)) from None


def awaitable_key(tp: Any) -> bool:
    """Whether a key's type is itself awaitable (`Awaitable[T]`, a coroutine, a future)."""
    origin = origin_of(tp)
    try:
        return isinstance(origin, type) and issubclass(origin, collections.abc.Awaitable)
    except TypeError:  # a runtime-uncheckable protocol
        return False


AWAITABLE_TYPES: Final = frozenset({types.CoroutineType, asyncio.Future, asyncio.Task})
"""What a sync provider returns when it was meant to be ``async``."""


def returned_awaitable(binding: Binding, value: Any) -> ResolutionError:
    """The error for a sync provider that returned an awaitable; a coroutine is closed.

    A Task or Future is left as it is: it belongs to the event loop that runs it.
    """
    if isinstance(value, types.CoroutineType):
        value.close()  # never awaited, and never will be: no "was never awaited" warning
        what = "a coroutine"
    else:
        what = f"an asyncio.{'Task' if isinstance(value, asyncio.Task) else 'Future'}"
    fn = binding.target
    name = getattr(fn, "__qualname__", None) or repr(fn)
    msg = (
        f"The provider {name} of {binding.key} returned {what}, not a "
        f"{describe(binding.key.served)}: it is a plain function, and injectq does not await "
        "what a plain function returns."
    )
    key = binding.key
    named = "" if key.name is None else f", name={key.name!r}"
    aget = f"await container.aget({describe(key.tp)}{named})"
    if getattr(fn, "__name__", "") == "<lambda>":
        hint = f"bind the async function the lambda calls instead of the lambda, and use `{aget}`."
    else:
        hint = f"declare it `async def {getattr(fn, '__name__', name)}(...)` and use `{aget}`."
    return ResolutionError(str(binding.key), msg, source=str(binding.source), hint=hint)


def _async_cause(binding: Binding) -> Binding:
    """The binding in ``binding``'s tree that itself needs an await."""
    seen: set[int] = set()
    stack = [binding]
    while stack:
        node = stack.pop()
        if node.call in (CallKind.ASYNC, CallKind.ASYNC_GENERATOR) or node.async_init:
            return node
        for dep in node.deps:
            for target in dep.targets():
                if target.needs_async and id(target) not in seen:
                    seen.add(id(target))
                    stack.append(target)
    return binding  # pragma: no cover - needs_async always has a cause


def async_required(binding: Binding) -> AsyncRequiredError:
    """The error for a sync resolution of a binding that needs an ``await``."""
    cause = _async_cause(binding)
    if cause.call in (CallKind.ASYNC, CallKind.ASYNC_GENERATOR):
        why = f"its provider {getattr(cause.target, '__qualname__', cause.target)} is async"
    else:
        why = "its initialize() is async"
    via = "" if cause is binding else f" through {cause.key}"
    msg = (
        f"{binding.key} cannot be resolved synchronously: it needs an await{via} ({why}, "
        f"bound at {cause.source})."
    )
    return AsyncRequiredError(
        str(binding.key),
        msg,
        source=str(binding.source),
        hint=f"use `await container.aget({describe(binding.key.tp)})` (or `await scope.aget(...)`) "
        "instead of get().",
        path=[str(binding.key)],
    )


_PREFIXES = {
    "sync": "get_",
    "warm": "get_",
    "async": "aget_",
    "create": "make_",
    "acreate": "amake_",
    "product": "new_",
    "aproduct": "anew_",
}


def function_name(kind: str, b: Binding) -> str:
    """The name of ``b``'s generated ``kind`` function: ``get_UserService``, ``make_Db``...

    The key's readable name made an identifier: ``Handler named "email"`` gives
    ``get_Handler_named_email``, ``list[int]`` gives ``get_list_int``.
    """
    text = re.sub(r"\W+", "_", str(b.key)).strip("_")[:80]
    if not text.isidentifier():
        text = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_")
    return _PREFIXES[kind] + (text or "key")


def source_file(name: str, shape: int) -> str:
    """The file name that shows generated function ``name`` in tracebacks.

    One per binding name and shape (the number of its generated text in this process):
    ``<injectq get_UserService #3>``. Its text goes into `linecache` when an exception
    first passes through the function (`show_source`), not when it is compiled: functions
    that never fail, nearly all of them, cost no entry, and a created singleton's functions
    can be let go with nothing left behind.
    """
    return f"<injectq {name} #{shape}>"


def show_source(frame: types.FrameType) -> None:
    """Register the text of the generated function running in ``frame`` in `linecache`.

    The text is its shape's (``LINES`` in its namespace, one list for every binding of the
    shape; the ``def`` line says ``factory``, a traceback names the function from its
    code).
    """
    lines = frame.f_globals.get("LINES")
    if lines is None:
        return
    filename = frame.f_code.co_filename
    entry = linecache.cache.get(filename)
    if entry is None or len(entry) < 3 or entry[2] is not lines:
        linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)


def located(exc: BaseException) -> BaseException:
    """``exc``, about to be raised by the generated function that calls this, its text shown."""
    show_source(sys._getframe(1))
    return exc


def scope_error(binding: Binding, state: Any) -> ScopeError:
    """The error for a scoped binding resolved where no scope of its name is active."""
    active = state.names()[:-1]
    found = (
        "no scope is active"
        if not active
        else "the active scopes are " + ", ".join(f'"{n}"' for n in active)
    )
    msg = (
        f'{binding.key} is scoped "{binding.scope}", but no "{binding.scope}" scope is '
        f"active ({found})."
    )
    hint = (
        f'resolve it inside `with container.scope("{binding.scope}"):` (or `async with`), '
        "or take Provider[...] in a singleton and call it inside the scope."
    )
    if binding.kind == "context":
        msg = msg.replace(" is scoped ", " is context of scope ", 1)
        hint = (
            f'resolve it inside `with container.scope("{binding.scope}", context='
            f"{{{annotation(binding.key)}: ...}}):` (or `async with`), or take Provider[...] "
            "in a singleton and call it inside the scope."
        )
    return ScopeError(
        str(binding.key), msg, source=str(binding.source), hint=hint, path=[str(binding.key)]
    )


def no_context(binding: Binding, state: Any) -> ScopeError:
    """The error for a context key of a scope that was entered without its value."""
    msg = (
        f'{binding.key} is context of scope "{binding.scope}", but this "{binding.scope}" '
        "scope holds no value for it (it was entered before the key was declared, or while "
        "an override replaced it)."
    )
    hint = (
        f'enter a new scope: container.scope("{binding.scope}", '
        f"context={{{annotation(binding.key)}: ...}})."
    )
    return ScopeError(
        str(binding.key), msg, source=str(binding.source), hint=hint, path=[str(binding.key)]
    )
