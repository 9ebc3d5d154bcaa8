"""The scope-like context managers the container hands out: `Scope` and `Activation`.

`Scope` is the public face of a `ScopeState` (the cache and teardown stack generated code
works on): entering it makes the state the ambient frame, so ``container.get`` and the
generated factories find it with one context-variable read; `context_scope` fills a new
scope with the values of its context keys. `Activation` is the frame
``container.activate()`` pushes for `@inject`.

Each is entered and left at most once at a time, in the context that entered it, in
nesting order; anything else is refused with a `UsageError` before any state changes, so a
misuse never corrupts the ambient frames of other code. They hold their container and
reach its internals through it (this module sits below `_container`, which imports it);
the container is typed ``Any`` here for that reason, and `Activation` is generic in it so
that ``with container.activate() as c`` still knows ``c``.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Annotated, Any, Final, Generic, NoReturn, TypeVar, cast, overload

from injectq._checks import annotation, is_protocol
from injectq._graph import Binding
from injectq._keys import Key, Named, describe
from injectq._lifecycle import (
    ScopeState,
    ambient,
    enter_frame,
    instances,
    leave_frame,
)
from injectq._marks import REQUEST, SINGLETON, TRANSIENT
from injectq._module import TargetKind
from injectq.errors import ContainerClosedError, ScopeError, UsageError

__all__ = ["Activation", "NoCopy", "Scope", "context_cache", "new_scope"]

T = TypeVar("T")
C = TypeVar("C")
_ENDED: Final[Any] = object()  # the token of a frame that was left
_ASYNC_WITH_SCOPE: Final = "`async with container.scope(...)`"


class NoCopy:
    """Refuses `copy.copy`, `copy.deepcopy` and `pickle` with a message that says why.

    A copy of a container or scope would share its live instances and teardowns, so
    closing either would dispose what the other still serves.
    """

    __slots__ = ()
    _copy_what: str = "This object"
    _copy_hint: str = ""

    def _refuse(self, how: str) -> NoReturn:
        msg = (
            f"{self._copy_what} cannot be {how}: it holds live instances, their teardowns "
            f"and locks, which a copy would share or lose. Hint: {self._copy_hint}"
        )
        raise UsageError(msg)

    def __copy__(self) -> NoReturn:
        self._refuse("copied")

    def __deepcopy__(self, memo: object) -> NoReturn:
        self._refuse("deep-copied")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        self._refuse("pickled")


def _describe_frame(frame: Any) -> str:
    """How a message names an ambient frame: a scope or an activation."""
    if isinstance(frame, ScopeState):
        return f'scope "{frame.name}"'
    return "container.activate()"


def _leave(frame: Any, token: Any, what: str) -> None:
    """Reset the ambient frame to what it was before ``frame``, or refuse to.

    ``frame`` must be the innermost ambient frame of the running context, and that context
    must be the one that entered it; otherwise nothing changes and `UsageError` says which
    rule was broken.
    """
    if ambient() is not frame:
        _refuse_leave(frame, what)
    try:
        leave_frame(token)
    except ValueError:  # the token belongs to another contextvars context
        raise UsageError(_other_context(what)) from None


def _refuse_leave(frame: Any, what: str) -> NoReturn:
    """Raise for leaving ``frame`` while it is not the innermost ambient frame here."""
    inner = ambient()
    while inner is not None and inner.up is not frame:
        inner = inner.up
    if inner is None:
        raise UsageError(_other_context(what))
    msg = (
        f"The {what} cannot be left while the {_describe_frame(inner)} entered inside it "
        "is still open. Hint: leave them in the reverse order they were entered (nest the "
        "`with` blocks)."
    )
    raise UsageError(msg)


def _other_context(what: str) -> str:
    return (
        f"The {what} is being left from another task or thread (another contextvars "
        "context) than the one that entered it. Hint: leave it where it was entered; to "
        "share a scope with other tasks, pass the Scope object and call scope.get(...)."
    )


class Scope(NoCopy):
    """An entered scope: ``with container.scope() as scope:`` (also ``async with``).

    Instances of bindings scoped with its name are created once per scope and disposed,
    in reverse creation order, when it ends. Inside it, ``container.get(...)`` serves the
    scope too, as do asyncio tasks and `contextvars.copy_context()` threads started inside.
    A scope is entered once: entering it again, leaving it twice, leaving it before a scope
    entered inside it, or from another task than the one that entered it is a `UsageError`.
    """

    __slots__ = ("_container", "_open", "_state", "_token")
    _copy_what = "A Scope"
    _copy_hint = "enter a new container.scope() where you need one."

    # Made by `new_scope` (no __init__ frame: entering a scope is on every request's path).
    _state: ScopeState
    _container: Any
    _open: bool
    _token: Any  # None: never entered; _ENDED: left

    def __init__(self, *args: object, **kwargs: object) -> None:
        msg = "A Scope is made by container.scope(name). Hint: use `with container.scope():`."
        raise UsageError(msg)

    @property
    def name(self) -> str:
        """The scope's name, e.g. ``"request"``."""
        return self._state.name

    @property
    def closed(self) -> bool:
        """Whether the scope has ended and disposed its instances."""
        return self._state.closed

    @overload
    def get(self, key: Callable[..., T], *, name: str | None = None) -> T: ...
    @overload
    def get(self, key: Any, *, name: str | None = None) -> Any: ...
    def get(self, key: Any, *, name: str | None = None) -> Any:
        """Resolve ``key`` in this scope (see `InjectQ.get`)."""
        if not self._open:
            self._unusable()
        if name is None:
            try:
                factory = self._container._sfast[key]
            except (KeyError, TypeError):
                pass  # resolved below, so its errors do not carry this KeyError
            else:
                return factory(self._state)
            return self._container._resolve(key, None, self._state)
        return self._container._resolve(key, name, self._state)

    @overload
    async def aget(self, key: Callable[..., T], *, name: str | None = None) -> T: ...
    @overload
    async def aget(self, key: Any, *, name: str | None = None) -> Any: ...
    async def aget(self, key: Any, *, name: str | None = None) -> Any:
        """Resolve ``key`` in this scope, awaiting async providers (see `InjectQ.aget`)."""
        if not self._open:
            self._unusable()
        if name is None:  # the lookup of `InjectQ.aget`, with this scope's state
            try:
                needs_await, factory = self._container._afast[key]
            except (KeyError, TypeError):
                pass  # resolved below, so its errors do not carry this KeyError
            else:
                return await factory(self._state) if needs_await else factory(self._state)
        return await self._container._aresolve(key, name, self._state)

    def get_all(self, key: Callable[..., T]) -> dict[str, T]:
        """Every named binding of ``key`` in this scope (see `InjectQ.get_all`)."""
        if not self._open:
            self._unusable()
        found: dict[str, T] = self._container._get_all(key, self._state)
        return found

    async def aget_all(self, key: Callable[..., T]) -> dict[str, T]:
        """Every named binding of ``key`` in this scope, awaiting async ones."""
        if not self._open:
            self._unusable()
        found: dict[str, T] = await self._container._aget_all(key, self._state)
        return found

    def _unusable(self) -> NoReturn:
        if self._token is not None:
            msg = (
                f'The scope "{self.name}" is closed; nothing can be resolved from it. '
                "Hint: resolve inside the `with` block, or enter a new scope."
            )
            raise ContainerClosedError(msg)
        msg = (
            f'The scope "{self.name}" has not been entered. Hint: use it as '
            f'`with container.scope("{self.name}") as scope:`.'
        )
        raise UsageError(msg)

    def __enter__(self) -> Scope:
        if self._token is not None or self._container._closed:
            self._cannot_enter()
        state = self._state
        up = ambient()
        if up is not None:  # else the state's parent stays the container's root
            state.up = up
            state.parent = self._container._find_scope(up)
        self._token = enter_frame(state)
        self._open = True
        return self

    def _cannot_enter(self) -> NoReturn:
        self._container._check_open()
        msg = (
            f'This scope "{self.name}" object was entered already. Hint: call '
            "container.scope() again for each new scope."
        )
        raise UsageError(msg)

    def _exit(self) -> ScopeState:
        """Stop being the ambient scope; return the state to close. Refuse any misuse."""
        state = self._state
        if self._open and ambient() is state:
            try:
                leave_frame(self._token)
            except ValueError:  # the token belongs to another contextvars context
                raise UsageError(_other_context(f'scope "{self.name}"')) from None
            self._open = False
            self._token = _ENDED
            return self._state
        if self._open:
            _refuse_leave(state, f'scope "{self.name}"')
        if self._token is None:
            msg = (
                f'The scope "{self.name}" was never entered, so it cannot be left. '
                f'Hint: use it as `with container.scope("{self.name}") as scope:`.'
            )
        else:
            msg = (
                f'The scope "{self.name}" was left already; a scope is left once. '
                "Hint: enter a new container.scope() for another block."
            )
        raise UsageError(msg)

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        state = self._state
        if self._open and ambient() is state:  # the common case, `_exit` inlined
            try:
                leave_frame(self._token)
            except ValueError:  # the token belongs to another contextvars context
                raise UsageError(_other_context(f'scope "{self.name}"')) from None
            self._open = False
            self._token = _ENDED
        else:
            self._exit()  # refuses
        # `ScopeState.closed_at_once` inlined: a request's scope has nothing to dispose,
        # and a call here would cost it a frame.
        if state._teardowns:
            state.close(exc, how=_ASYNC_WITH_SCOPE)
        else:
            state.closed = True
            state.cache.clear()

    async def __aenter__(self) -> Scope:
        return self.__enter__()

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        state = self._exit()
        if not state.closed_at_once():
            await state.aclose(exc)

    def __repr__(self) -> str:
        state = self._state
        return (
            f"<Scope {state.name!r} instances={instances(state.cache)} "
            f"teardowns={state.pending_teardowns} closed={state.closed}>"
        )


class _MadeScope(Scope):
    """The class of the scopes `new_scope` makes: `Scope` itself refuses to be called.

    It has no ``__init__`` frame (``object.__init__``): a scope is made on every request.
    """

    __slots__ = ()
    __init__ = object.__init__  # pyright: ignore[reportAssignmentType]


def new_scope(
    container: Any, name: str = REQUEST, *, context: Mapping[Any, Any] | None = None
) -> Scope:
    """A new scope of this name, to enter with ``with`` or ``async with``.

    Scoped bindings of that name get one instance per scope, disposed when it ends.
    ``context`` holds a value for each key declared ``.from_context(scope=name)``
    (``{Request: request}``); a missing or undeclared key is a `ScopeError`.
    """
    # `InjectQ.scope` itself (``container`` is ``self``): a request makes one.
    if name is not REQUEST and (
        not isinstance(name, str) or not name or name in (SINGLETON, TRANSIENT)
    ):
        msg = (
            f"scope() takes a scope name such as 'request', got {name!r}. Hint: "
            "singletons live in the container itself; transients need no scope."
        )
        raise UsageError(msg)
    # The fields `new_state` sets, set here without its frame (a request makes a scope);
    # tests/test_lifecycle.py checks that both set every field.
    state = ScopeState()
    state.name = name
    state.parent = container._root
    state.cache = {}
    state.closed = False
    state._teardowns = None
    state._extra = None
    state.owner = container
    state.up = None
    if context is not None or container._contexts:
        state.cache = context_cache(container, name, context)
    scope: Scope = _MadeScope()
    scope._state = state
    scope._container = container
    scope._open = False
    scope._token = None
    return scope


class Activation(NoCopy, Generic[C]):
    """What ``container.activate()`` returns: makes the container current while entered.

    Inside ``with container.activate():`` (or ``async with``), `InjectQ.current` and
    `@inject` functions use the container. As an ambient frame it has no ``owner`` (it is
    not a scope); it remembers the container's ambient scope at activation, so resolving
    inside it still sees that scope. One object is active at most once at a time, in one
    task; it may be entered again after it was left.
    """

    __slots__ = ("_token", "active", "owner", "scope", "up")
    _copy_what = "An Activation"
    _copy_hint = "call container.activate() where you need one."

    def __init__(self, container: C) -> None:
        self.active: C = container
        self.owner: Any = None
        self.scope: ScopeState = cast(Any, container)._root
        self.up: Any = None
        self._token: Any = None

    def __enter__(self) -> C:
        if self._token is not None:
            msg = (
                "This container.activate() object is active already (in this task or "
                "another one). Hint: call container.activate() again for each block or "
                "task; it is cheap."
            )
            raise UsageError(msg)
        container = cast(Any, self.active)
        up = ambient()
        self.up = up
        self.scope = container._find_scope(up) if up is not None else container._root
        self._token = enter_frame(self)
        return self.active

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is None:
            msg = (
                "This container.activate() object is not active, so it cannot be left "
                "(it was never entered, or was left already). Hint: use it as `with "
                "container.activate():`."
            )
            raise UsageError(msg)
        _leave(self, self._token, "container.activate()")
        self._token = None

    async def __aenter__(self) -> C:
        return self.__enter__()

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(et, exc, tb)

    def __repr__(self) -> str:
        state = "idle" if self._token is None else "active"
        return f"<Activation {state}>"


def context_cache(container: Any, name: str, context: Any) -> dict[Any, Any]:
    """The cache a new scope starts with: the values of its context keys.

    Raises:
        UsageError: ``context`` is not a mapping.
        ScopeError: A key of ``context`` is not declared for this scope, a value is plainly
            not of its key's type, or a declared key has no value.
    """
    graph = container._graph
    declared: Mapping[Key, Binding] | None = graph.context.get(name)
    if declared is None:
        if context is None:  # another scope declares context, this one none
            return {}
        declared = {}
    if context is None:
        context = {}
    elif not isinstance(context, Mapping):
        msg = (
            f"scope() takes context= as a mapping from keys to values, got "
            f"{type(context).__name__} {context!r}. Hint: "
            f'container.scope("{name}", context={{Request: request}}).'
        )
        raise UsageError(msg)
    cache: dict[Binding, Any] = {}
    for given, value in context.items():
        key = _key_of(given)
        binding = declared.get(key)
        if binding is None:
            raise _undeclared(graph, name, key)
        if binding.kind != TargetKind.CONTEXT:
            continue  # replaced by an override or a binding: the replacement serves it
        if _plainly_not(binding.key, value):
            raise _wrong_type(name, binding, value)
        cache[binding] = value
    missing = [b for b in declared.values() if b.kind == TargetKind.CONTEXT and b not in cache]
    if missing:
        raise _missing(name, missing)
    return cache


def _key_of(given: Any) -> Key:
    """The key a ``context=`` entry stands for: ``T``, or ``Annotated[T, Named(name)]``."""
    if typing.get_origin(given) is Annotated:
        names = [m.name for m in given.__metadata__ if isinstance(m, Named)]
        return Key(typing.get_args(given)[0], names[-1] if names else None)
    return Key(given)


def _plainly_not(key: Key, value: Any) -> bool:
    """Whether ``value`` is plainly not of the key's type (checked for plain classes only)."""
    tp = key.tp
    if not isinstance(tp, type) or is_protocol(tp):
        return False  # only a plain class can be checked plainly
    try:
        return not isinstance(value, tp)
    except TypeError:
        return False


def _declare(key: Key, name: str) -> str:
    named = "" if key.name is None else f', name="{key.name}"'
    return f'self.bind({describe(key.tp)}{named}).from_context(scope="{name}")'


def _undeclared(graph: Any, name: str, key: Key) -> ScopeError:
    found = f'context= of scope "{name}" holds {key}, which no module declares for it'
    hint = f"declare it in a module: {_declare(key, name)}, or leave it out of context=."
    elsewhere = [(other, keys[key]) for other, keys in graph.context.items() if key in keys]
    bound = graph.bindings.get(key)
    if elsewhere:
        other, binding = elsewhere[0]
        found += f'; it is context of scope "{other}" ({binding.source.location})'
        hint = (
            f'hand it to container.scope("{other}", context=...), or declare it for '
            f'"{name}" instead: {_declare(key, name)}.'
        )
    elif bound is not None:
        found += f"; it is bound at {bound.source.location} without .from_context()"
    return ScopeError(str(key), found + ".", hint=hint)


def _wrong_type(name: str, binding: Binding, value: Any) -> ScopeError:
    t = describe(binding.key.tp)
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    found = (
        f'context= of scope "{name}" gives {binding.key} the value {text}, of type '
        f"{describe(type(value))}, which is not an instance of {t}."
    )
    return ScopeError(
        str(binding.key),
        found,
        source=str(binding.source),
        hint=f"hand in an instance of {t}, or declare the key as the type the value has.",
    )


def _missing(name: str, missing: list[Binding]) -> ScopeError:
    listed = ", ".join(f"{b.key} ({b.source.location})" for b in missing)
    entries = ", ".join(f"{annotation(b.key)}: ..." for b in missing)
    found = (
        f'The scope "{name}" was entered without a value for its context '
        f"key{'s' if len(missing) > 1 else ''} {listed}."
    )
    return ScopeError(
        ", ".join(str(b.key) for b in missing),
        found,
        hint=f"hand {'them' if len(missing) > 1 else 'it'} in: "
        f'container.scope("{name}", context={{{entries}}}).',
    )
