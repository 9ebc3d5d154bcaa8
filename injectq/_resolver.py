"""Build instances from the compiled graph.

Each binding is compiled once, on first use, into one specialised function (sync and, when
its tree needs an ``await``, async) whose body calls the constructor or provider directly
with its dependencies' factories as arguments, runs the lifecycle steps the binding has, and
probes the owning scope's cache. Nothing here reads a signature or a type hint: all of that
was decided by the graph compiler.

When user code raises, each factory it unwinds through prepends its key to a note on the
exception, so the caller sees the resolution path ``A -> B -> C`` with the original type.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from injectq._graph import Binding, Dep, Strategy
from injectq._introspect import CallKind
from injectq._keys import Key, ProviderFn, describe
from injectq._lifecycle import ScopeState, Teardown
from injectq._module import SINGLETON, TRANSIENT
from injectq.errors import AsyncRequiredError, ContainerClosedError, ResolutionError, ScopeError

__all__ = ["Resolver", "trace"]

SyncFactory = Callable[[ScopeState], Any]
AsyncFactory = Callable[[ScopeState], Awaitable[Any]]

_NOTE_PREFIX = "injectq resolution path: "


def trace(exc: BaseException, label: str) -> None:
    """Prepend ``label`` to the resolution path carried by ``exc``."""
    if isinstance(exc, ResolutionError):
        exc.path.insert(0, label)
        return
    try:
        path: list[str] | None = exc.__dict__.get("_injectq_path")
        if path is None:
            path = [label]
            exc.__dict__["_injectq_path"] = path
            exc.add_note(_NOTE_PREFIX + label)
            exc.__dict__["_injectq_note"] = len(exc.__notes__) - 1
        else:
            path.insert(0, label)
            exc.__notes__[exc.__dict__["_injectq_note"]] = _NOTE_PREFIX + " -> ".join(path)
    except Exception:  # noqa: BLE001, S110 - an exception without __dict__ keeps no path
        pass


def _first(gen: Any, binding: Binding) -> Any:
    try:
        return next(gen)
    except StopIteration:
        msg = (f"The generator provider of {binding.key} ({binding.source}) returned without "
               "yielding a value. Hint: a generator provider yields exactly one value.")
        raise ResolutionError(str(binding.key), msg, source=str(binding.source)) from None


async def _afirst(gen: Any, binding: Binding) -> Any:
    try:
        return await gen.__anext__()
    except StopAsyncIteration:
        msg = (f"The async generator provider of {binding.key} ({binding.source}) returned "
               "without yielding a value. Hint: it must yield exactly one value.")
        raise ResolutionError(str(binding.key), msg, source=str(binding.source)) from None


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
    msg = (f"{binding.key} cannot be resolved synchronously: it needs an await{via} ({why}, "
           f"bound at {cause.source}).")
    return AsyncRequiredError(
        str(binding.key), msg, source=str(binding.source),
        hint=f"use `await container.aget({describe(binding.key.tp)})` (or `await scope.aget(...)`) "
        "instead of get().", path=[str(binding.key)])


def scope_error(binding: Binding, state: ScopeState) -> ScopeError:
    """The error for a scoped binding resolved where no scope of its name is active."""
    active = state.names()[:-1]
    found = ("no scope is active" if not active
             else "the active scopes are " + ", ".join(f'"{n}"' for n in active))
    msg = (f'{binding.key} is scoped "{binding.scope}", but no "{binding.scope}" scope is '
           f"active ({found}).")
    hint = (f'resolve it inside `with container.scope("{binding.scope}"):` (or `async with`), '
            "or take Provider[...] in a singleton and call it inside the scope.")
    return ScopeError(str(binding.key), msg, source=str(binding.source), hint=hint,
                      path=[str(binding.key)])


class Resolver:
    """Compiles bindings into factories and runs them; one per container."""

    def __init__(
        self,
        root: ScopeState,
        provide: Callable[[Key], Any],
        container: Any,
    ) -> None:
        self.root = root
        self._provide = provide
        self._container = container
        self._sync: dict[Binding, SyncFactory] = {}
        self._async: dict[Binding, AsyncFactory] = {}
        self._providers: dict[Key, ProviderFn[Any]] = {}

    def forget(self, bindings: set[Binding]) -> None:
        """Drop the compiled factories of bindings no longer in use."""
        for binding in bindings:
            self._sync.pop(binding, None)
            self._async.pop(binding, None)

    # -- entry points -----------------------------------------------------------------------

    def sync(self, binding: Binding) -> SyncFactory:
        """The sync factory of ``binding`` (compiling it and its dependencies if needed)."""
        factory = self._sync.get(binding)
        if factory is None:
            for node in _post_order(binding):
                if node not in self._sync:
                    self._sync[node] = self._compile(node, is_async=False)
            factory = self._sync[binding]
        return factory

    def async_(self, binding: Binding) -> AsyncFactory:
        """The async factory of ``binding`` (only for bindings that need an await)."""
        factory = self._async.get(binding)
        if factory is None:
            for node in _post_order(binding):
                if node.needs_async and node not in self._async:
                    self._async[node] = self._compile(node, is_async=True)
                elif not node.needs_async and node not in self._sync:
                    self._sync[node] = self._compile(node, is_async=False)
            factory = self._async[binding]
        return factory

    async def aresolve(self, binding: Binding, state: ScopeState) -> Any:
        """Resolve ``binding`` in ``state``, awaiting what needs it."""
        if binding.needs_async:
            return await self.async_(binding)(state)
        return self.sync(binding)(state)

    def provider_for(self, key: Key) -> ProviderFn[Any]:
        """The `Provider[T]` object handed to parameters asking for ``key``."""
        provider = self._providers.get(key)
        if provider is None:
            provider = ProviderFn(functools.partial(self._provide, key))
            self._providers[key] = provider
        return provider

    # -- compiling --------------------------------------------------------------------------

    def _compile(self, b: Binding, *, is_async: bool) -> Any:
        if not is_async and b.needs_async:
            error_binding = b

            def needs_await(_: ScopeState) -> Any:
                raise async_required(error_binding)

            return needs_await
        ns: dict[str, Any] = {"B": b, "LABEL": str(b.key), "trace": trace}
        make_src = self._make_source(b, ns, is_async=is_async)
        if b.scope == TRANSIENT:
            src = _TRANSIENT_ASYNC if is_async else _TRANSIENT_SYNC
        else:
            ns["create"] = self._creator(b, ns, make_src, is_async=is_async)
            if b.scope == SINGLETON:
                ns["cache"] = self.root.cache
                ns["ROOT"] = self.root
                src = _SINGLETON_ASYNC if is_async else _SINGLETON_SYNC
            else:
                ns["NAME"] = b.scope
                ns["scope_error"] = scope_error
                src = _SCOPED_ASYNC if is_async else _SCOPED_SYNC
        src = src.replace("MAKE", _indent(make_src, 8))
        exec(compile(src, f"<injectq factory {b.key}>", "exec"), ns)  # noqa: S102
        return ns["factory"]

    def _make_source(self, b: Binding, ns: dict[str, Any], *, is_async: bool) -> str:
        """Statements that leave the new instance in ``v`` (s = the owning scope)."""
        lines: list[str] = []
        if b.kind == "instance":
            ns["INSTANCE"] = b.target
            lines.append("v = INSTANCE")
            cls: Any = type(b.target)
        else:
            ns["T"] = b.target
            call = f"T({self._args(b.deps, ns, is_async=is_async)})"
            if b.call is CallKind.ASYNC:
                lines.append(f"v = await {call}")
            elif b.call is CallKind.GENERATOR:
                ns["first"] = _first
                lines += [f"g = {call}", "v = first(g, B)",
                          f"s.add_teardown({Teardown.GENERATOR}, g, B)"]
            elif b.call is CallKind.ASYNC_GENERATOR:
                ns["afirst"] = _afirst
                lines += [f"g = {call}", "v = await afirst(g, B)",
                          f"s.add_teardown({Teardown.AGENERATOR}, g, B)"]
            else:
                lines.append(f"v = {call}")
            cls = b.target if b.kind == "class" else b.key.tp
        if b.resource and b.call in (CallKind.SYNC, CallKind.ASYNC):
            import typing

            cls = typing.get_origin(cls) or cls
            if getattr(cls, "initialize", None) is not None:
                lines.append("await v.initialize()" if b.async_init else "v.initialize()")
            if getattr(cls, "dispose", None) is not None:
                kind = Teardown.ADISPOSE if b.async_teardown else Teardown.DISPOSE
                lines.append(f"s.add_teardown({kind}, v, B)")
        return "\n".join(lines)

    def _args(self, deps: tuple[Dep, ...], ns: dict[str, Any], *, is_async: bool) -> str:
        parts: list[str] = []
        for i, dep in enumerate(deps):
            expr = self._dep_expr(i, dep, ns, is_async=is_async)
            parts.append(f"{dep.param}={expr}" if dep.keyword else expr)
        return ", ".join(parts)

    def _dep_expr(self, i: int, dep: Dep, ns: dict[str, Any], *, is_async: bool) -> str:
        strategy = dep.strategy
        if strategy == Strategy.BINDING:
            assert dep.binding is not None
            return self._call_dep(f"d{i}", dep.binding, ns, is_async=is_async)
        if strategy == Strategy.VALUE:
            ns[f"v{i}"] = dep.value
            return f"v{i}"
        if strategy == Strategy.PROVIDER:
            assert dep.key is not None
            ns[f"p{i}"] = self.provider_for(dep.key)
            return f"p{i}"
        if strategy == Strategy.CONTAINER:
            ns["container"] = self._container
            return "container"
        items = []
        for j, (name, binding) in enumerate(dep.items):
            ns[f"n{i}_{j}"] = name
            items.append(f"n{i}_{j}: " + self._call_dep(f"m{i}_{j}", binding, ns,
                                                         is_async=is_async))
        return "{" + ", ".join(items) + "}"

    def _call_dep(self, name: str, binding: Binding, ns: dict[str, Any], *, is_async: bool) -> str:
        if is_async and binding.needs_async:
            ns[name] = self._async[binding]
            return f"(await {name}(s))"
        ns[name] = self._sync[binding]
        return f"{name}(s)"

    def _creator(self, b: Binding, ns: dict[str, Any], make_src: str, *, is_async: bool) -> Any:
        """The slow path: create the instance once per owning scope, under its lock."""
        src = (_MAKE_ASYNC if is_async else _MAKE_SYNC).replace("MAKE", _indent(make_src, 4))
        exec(compile(src, f"<injectq maker {b.key}>", "exec"), ns)  # noqa: S102
        make = ns.pop("make")
        label = str(b.key)
        if is_async:
            return functools.partial(_create_async, b, make, label)
        return functools.partial(_create_sync, b, make, label)


def _closed(b: Binding, owner: ScopeState) -> ContainerClosedError:
    msg = (f"Cannot resolve {b.key}: the {owner.describe()} is closed. Hint: resolve inside "
           "the `with` block, or from a container that is still open.")
    return ContainerClosedError(msg)


def _create_sync(
    b: Binding,
    make: Callable[[ScopeState], Any],
    label: str,
    owner: ScopeState,
) -> Any:
    cache = owner.cache
    with owner.lock_for(b):
        try:
            return cache[b]
        except KeyError:
            pass
        if owner.closed:
            raise _closed(b, owner)
        if b in owner.building:
            msg = (f"{b.key} was asked for again while it was being created (a cycle through "
                   "Provider[...] or container.get() in a constructor).")
            raise ResolutionError(label, msg, source=str(b.source),
                                  hint="call the provider later, not in the constructor.",
                                  path=[label])
        owner.building.add(b)
        try:
            value = make(owner)
        except Exception as exc:
            trace(exc, label)
            raise
        finally:
            owner.building.discard(b)
        cache[b] = value
    return value


async def _create_async(
    b: Binding,
    make: Callable[[ScopeState], Awaitable[Any]],
    label: str,
    owner: ScopeState,
) -> Any:
    cache = owner.cache
    with owner.lock_for(b):
        try:
            return cache[b]
        except KeyError:
            pass
        if owner.closed:
            raise _closed(b, owner)
        future: concurrent.futures.Future[Any] | None = owner.pending.get(b)
        creator = future is None
        if future is None:
            future = concurrent.futures.Future()
            owner.pending[b] = future
    if not creator:
        return await asyncio.wrap_future(future)
    try:
        value = await make(owner)
    except BaseException as exc:
        if isinstance(exc, Exception):
            trace(exc, label)
        with owner.lock_for(b):
            owner.pending.pop(b, None)
        future.set_exception(exc)
        raise
    with owner.lock_for(b):
        cache[b] = value
        owner.pending.pop(b, None)
    future.set_result(value)
    return value


def _post_order(root: Binding) -> list[Binding]:
    """``root`` and everything it resolves eagerly, dependencies first (no recursion)."""
    out: list[Binding] = []
    seen: set[int] = {id(root)}
    stack: list[tuple[Binding, int]] = [(root, 0)]
    while stack:
        node, index = stack.pop()
        targets = [t for d in node.deps for t in d.targets()]
        if index < len(targets):
            stack.append((node, index + 1))
            child = targets[index]
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, 0))
        else:
            out.append(node)
    return out


def _indent(src: str, width: int) -> str:
    pad = " " * width
    return "\n".join(pad + line if line else line for line in src.splitlines()).lstrip()


_TRANSIENT_SYNC = """
def factory(s):
    try:
        MAKE
        return v
    except Exception as e:
        trace(e, LABEL)
        raise
"""

_TRANSIENT_ASYNC = """
async def factory(s):
    try:
        MAKE
        return v
    except Exception as e:
        trace(e, LABEL)
        raise
"""

_SINGLETON_SYNC = """
def factory(s):
    try:
        return cache[B]
    except KeyError:
        return create(ROOT)
"""

_SINGLETON_ASYNC = """
async def factory(s):
    try:
        return cache[B]
    except KeyError:
        return await create(ROOT)
"""

_SCOPED_SYNC = """
def factory(s):
    t = s
    while t.name != NAME:
        t = t.parent
        if t is None:
            raise scope_error(B, s)
    try:
        return t.cache[B]
    except KeyError:
        return create(t)
"""

_SCOPED_ASYNC = """
async def factory(s):
    t = s
    while t.name != NAME:
        t = t.parent
        if t is None:
            raise scope_error(B, s)
    try:
        return t.cache[B]
    except KeyError:
        return await create(t)
"""

_MAKE_SYNC = """
def make(s):
    MAKE
    return v
"""

_MAKE_ASYNC = """
async def make(s):
    MAKE
    return v
"""
