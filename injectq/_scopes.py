"""The context managers the container hands out: entered scopes, activation, overrides.

They hold their container and reach its internals through it (they sit below
`_container`, which imports them); the container is typed ``Any`` here for that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, overload

from injectq._graph import Binding, Graph, compile_graph
from injectq._keys import Key
from injectq._lifecycle import AMBIENT, ScopeState
from injectq._module import Element
from injectq.errors import ContainerClosedError, UsageError

__all__ = ["Scope", "_Activation", "_Override"]

T = TypeVar("T")


class Scope(ScopeState):
    """An entered scope: ``with container.scope() as scope:`` (also ``async with``).

    Instances of bindings scoped with its name are created once per scope and disposed,
    in reverse creation order, when it ends. Inside it, ``container.get(...)`` serves the
    scope too, as do asyncio tasks and `contextvars.copy_context()` threads started inside.
    """

    __slots__ = ("_open", "_token")

    def __init__(self, container: Any, name: str) -> None:
        # Fields set directly rather than through super().__init__: entering a scope is on
        # every request's path.
        self.name = name
        self.parent = None
        self.cache = {}
        self.closed = False
        self._teardowns = None
        self._extra = None
        self.owner: Any = container
        self.up = None
        self._open = False
        self._token: Any = None

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
                factory = self.owner._sfast[key]
            except (KeyError, TypeError):
                pass  # resolved below, so its errors do not carry this KeyError
            else:
                return factory(self)
            return self.owner._resolve(key, None, self)
        return self.owner._resolve(key, name, self)

    @overload
    async def aget(self, key: Callable[..., T], *, name: str | None = None) -> T: ...
    @overload
    async def aget(self, key: Any, *, name: str | None = None) -> Any: ...
    async def aget(self, key: Any, *, name: str | None = None) -> Any:
        """Resolve ``key`` in this scope, awaiting async providers (see `InjectQ.aget`)."""
        if not self._open:
            self._unusable()
        return await self.owner._aresolve(key, name, self)

    def get_all(self, key: Callable[..., T]) -> dict[str, T]:
        """Every named binding of ``key`` in this scope (see `InjectQ.get_all`)."""
        if not self._open:
            self._unusable()
        found: dict[str, T] = self.owner._get_all(key, self)
        return found

    def _unusable(self) -> None:
        if self.closed:
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
        container = self.owner
        if self._open or self.closed or container._closed:
            self._cannot_enter()
        up = AMBIENT.get()
        self.up = up
        self.parent = container._find_scope(up) if up is not None else container._root
        self._token = AMBIENT.set(self)
        self._open = True
        return self

    def _cannot_enter(self) -> None:
        self.owner._check_open()
        msg = (
            f'This scope "{self.name}" object was entered already. Hint: call '
            "container.scope() again for each new scope."
        )
        raise UsageError(msg)

    def _leave(self) -> None:
        self._open = False
        try:
            AMBIENT.reset(self._token)
        except ValueError:  # left in another context than it was entered in
            AMBIENT.set(self.up)

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._open = False
        try:
            AMBIENT.reset(self._token)
        except ValueError:  # left in another context than it was entered in
            AMBIENT.set(self.up)
        if not self._teardowns:  # nothing to dispose: the common request
            self.closed = True
            self.cache.clear()
            return
        self.close(exc, how=f'`async with container.scope("{self.name}")`')

    async def __aenter__(self) -> Scope:
        return self.__enter__()

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._leave()
        await self.aclose(exc)

    def __repr__(self) -> str:
        return (
            f"<Scope {self.name!r} instances={len(self.cache)} "
            f"teardowns={self.pending_teardowns} closed={self.closed}>"
        )


class _Activation:
    """The context manager ``container.activate()`` returns, and the ambient frame it sets.

    As a frame it has no ``owner`` (it is not a scope); it remembers the container's ambient
    scope at activation, so resolving inside it still sees that scope.
    """

    __slots__ = ("_tokens", "active", "owner", "scope", "up")

    def __init__(self, container: Any) -> None:
        self.active = container
        self.owner: Any = None
        self.scope: ScopeState = container._root
        self.up: Any = None
        self._tokens: list[Any] = []

    def __enter__(self) -> Any:
        up = AMBIENT.get()
        self.up = up
        self.scope = self.active._find_scope(up) if up is not None else self.active._root
        self._tokens.append(AMBIENT.set(self))
        return self.active

    def __exit__(self, *exc: object) -> None:
        AMBIENT.reset(self._tokens.pop())

    async def __aenter__(self) -> Any:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__()


def _record_key(record: Element) -> Key | None:
    try:
        hash(record.key)
    except TypeError:  # an unhashable key; the compiler reports it
        return None
    return Key(record.key, record.name)


def _layer(below: tuple[Element, ...], above: tuple[Element, ...]) -> tuple[Element, ...]:
    """Override records with ``above`` laid over ``below``: a key bound above wins.

    Within one layer two records of the same key are still a duplicate.
    """
    replaced = {_record_key(r) for r in above} - {None}
    return (*(r for r in below if _record_key(r) not in replaced), *above)


class _Override:
    """The context manager ``container.override(...)`` returns."""

    def __init__(self, container: Any, records: tuple[Element, ...]) -> None:
        self._container = container
        self._records = records
        self._saved: Graph | None = None
        self._graph: Graph | None = None

    def _enter(self) -> None:
        container = self._container
        with container._lock:
            container._check_open()
            saved = container._graph
            graph = compile_graph(
                saved.records,
                _layer(saved.overrides, self._records),
                modules=(*saved.modules, "override"),
                strict=saved.strict,
                container_type=saved.container_type,
                previous=saved,
            )
            self._saved, self._graph = saved, graph
            container._overrides.append(self)
            container._swap(graph)

    def _restore(self) -> set[Binding]:
        container = self._container
        with container._lock:
            if not container._overrides or container._overrides[-1] is not self:
                msg = (
                    "Overrides must end in the reverse order they began. Hint: nest the "
                    "`with container.override(...)` blocks."
                )
                raise UsageError(msg)
            assert self._saved is not None
            assert self._graph is not None
            container._overrides.pop()
            container._swap(self._saved)
            kept = {id(b) for _, b in self._saved.every()}
            added = {b for _, b in self._graph.every() if id(b) not in kept}
            container._resolver.forget(added)
            return added

    def __enter__(self) -> Any:
        self._enter()
        return self._container

    def __exit__(self, *exc: object) -> None:
        added = self._restore()
        root = self._container._root
        root.close(
            exc[1] if isinstance(exc[1], BaseException) else None,
            how="`async with container.override(...)`",
            only=lambda b: b in added,
        )

    async def __aenter__(self) -> Any:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        added = self._restore()
        root = self._container._root
        await root.aclose(
            exc[1] if isinstance(exc[1], BaseException) else None, only=lambda b: b in added
        )
