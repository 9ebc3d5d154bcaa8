"""Scopes, their caches and teardown stacks, and disposal.

A `ScopeState` owns the instances created for it: its cache maps a compiled `Binding` (by
identity) to its instance, and its teardown stack lists what must be disposed, in creation
order. The container's root state is the singleton scope. Scopes chain to the scope that was
active when they were entered; a scoped binding is served by the nearest scope of its name.

Disposal runs in reverse creation order, never stops at the first failure, and raises every
failure together as one `ExceptionGroup`.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Final

from injectq._graph import Binding
from injectq.errors import AsyncTeardownError, ContainerClosedError, LifecycleError

__all__ = ["AMBIENT", "ScopeState", "Teardown"]

AMBIENT: ContextVar[Any] = ContextVar("injectq_ambient", default=None)
"""The innermost entered scope or ``activate()`` record, of any container, or None.

Each of those frames links to the frame that was ambient before it (``up``), so one
variable, set once per scope, tells every container its ambient scope and tells `@inject`
the current container."""

_LOCK_FOR_LOCKS = threading.Lock()  # only guards the lazy creation of a scope's locks


class Teardown:
    """How an instance is disposed."""

    DISPOSE: Final = 0  # call .dispose()
    ADISPOSE: Final = 1  # await .dispose()
    GENERATOR: Final = 2  # resume the generator after its yield
    AGENERATOR: Final = 3  # resume the async generator after its yield


class ScopeState:
    """The instances and teardowns of one scope (or of the container, for singletons).

    Entering a scope allocates this object and its cache; the teardown stack and the
    bookkeeping for concurrent creation are made only when first needed.

    Attributes:
        name: The scope's name; ``"singleton"`` for the container's root.
        parent: The scope that was active when this one was entered.
        cache: Instances by binding.
        closed: Whether the scope has ended.
    """

    __slots__ = (
        "__weakref__",
        "_extra",
        "_teardowns",
        "cache",
        "closed",
        "name",
        "owner",
        "parent",
        "up",
    )

    def __init__(self, name: str, parent: ScopeState | None) -> None:
        self.name = name
        self.parent = parent
        self.cache: dict[Binding, Any] = {}
        self.closed = False
        self._teardowns: list[tuple[int, Any, Binding]] | None = None
        self._extra: _Extra | None = None
        self.owner: Any = None  # the container, for scopes that become ambient frames
        self.up: Any = None  # the ambient frame this scope was entered over

    @property
    def extra(self) -> _Extra:
        """Bookkeeping for concurrent creation, made on first use."""
        extra = self._extra
        if extra is None:
            with _LOCK_FOR_LOCKS:
                extra = self._extra
                if extra is None:
                    extra = self._extra = _Extra()
        return extra

    # -- creation bookkeeping ---------------------------------------------------------------

    def lock_for(self, binding: Binding) -> threading.RLock:
        """The lock that serialises creating ``binding`` in this scope."""
        locks = self.extra.locks
        lock = locks.get(binding)
        if lock is None:
            lock = locks.setdefault(binding, threading.RLock())
        return lock

    @property
    def pending(self) -> dict[Binding, Any]:
        """Futures of instances being created asynchronously, by binding."""
        return self.extra.pending

    @property
    def building(self) -> set[Binding]:
        """Bindings whose instance is being created synchronously (re-entrancy guard)."""
        return self.extra.building

    def names(self) -> list[str]:
        """The names of the active scopes, innermost first."""
        out: list[str] = []
        state: ScopeState | None = self
        while state is not None:
            out.append(state.name)
            state = state.parent
        return out

    def add_teardown(self, kind: int, obj: Any, binding: Binding) -> None:
        """Register ``obj`` to be disposed when this scope ends."""
        if self.closed:
            msg = (
                f"{binding.key} was created in the {self.describe()}, which is already "
                "closed, so nothing could dispose it. Hint: resolve it while the scope is "
                "open, or in a new scope."
            )
            raise ContainerClosedError(msg)
        teardowns = self._teardowns
        if teardowns is None:
            teardowns = self._teardowns = []
        teardowns.append((kind, obj, binding))

    def describe(self) -> str:
        """``scope "request"`` or ``container``."""
        return "container" if self.parent is None else f'scope "{self.name}"'

    @property
    def async_teardowns(self) -> int:
        """How many pending teardowns need an ``await``."""
        return sum(1 for t in self._teardowns or () if t[0] in _ASYNC_KINDS)

    @property
    def pending_teardowns(self) -> int:
        """How many instances wait to be disposed."""
        return len(self._teardowns) if self._teardowns else 0

    # -- disposal ---------------------------------------------------------------------------

    def _take(self, only: Callable[[Binding], bool] | None) -> list[tuple[int, Any, Binding]]:
        teardowns = self._teardowns or []
        if only is None:
            self._teardowns = None
            return teardowns
        self._teardowns = [t for t in teardowns if not only(t[2])]
        return [t for t in teardowns if only(t[2])]

    def check_sync_close(self, how: str) -> None:
        """Raise, disposing nothing, when a sync close would leave async teardowns undone."""
        pending = self.async_teardowns
        if pending:
            msg = (
                f"The {self.describe()} holds {pending} teardown(s) that need an "
                f"await (async dispose() or async generator providers), so it cannot be "
                f"closed synchronously; nothing was disposed. Hint: use {how}."
            )
            raise AsyncTeardownError(
                msg, owner=self.describe(), hint=f"use {how}.", pending=pending
            )

    def close(
        self,
        exc: BaseException | None = None,
        *,
        how: str = "await container.aclose()",
        only: Callable[[Binding], bool] | None = None,
    ) -> None:
        """Dispose everything in reverse creation order; raise all failures together."""
        if only is None:
            if self.closed:
                return
            if not self._teardowns:  # nothing to dispose: the common request
                self.closed = True
                self.cache.clear()
                return
            self.check_sync_close(how)
            self.closed = True
        else:
            selected = [t for t in self._teardowns or () if only(t[2])]
            if any(t[0] in _ASYNC_KINDS for t in selected):
                self.check_sync_close(how)
        entries = self._take(only)
        failures: list[BaseException] = []
        for kind, obj, binding in reversed(entries):
            try:
                _dispose_sync(kind, obj, binding, exc)
            except BaseException as error:  # noqa: BLE001 - every failure is kept
                failures.append(error)
        self._forget(only)
        self._raise(failures, exc)

    async def aclose(
        self,
        exc: BaseException | None = None,
        *,
        only: Callable[[Binding], bool] | None = None,
    ) -> None:
        """Dispose everything, awaiting async teardowns; raise all failures together."""
        if only is None:
            if self.closed:
                return
            self.closed = True
        entries = self._take(only)
        failures: list[BaseException] = []
        for kind, obj, binding in reversed(entries):
            try:
                if kind == Teardown.ADISPOSE:
                    await obj.dispose()
                elif kind == Teardown.AGENERATOR:
                    await _finish_agen(obj, binding, exc)
                else:
                    _dispose_sync(kind, obj, binding, exc)
            except BaseException as error:  # noqa: BLE001 - every failure is kept
                failures.append(error)
        self._forget(only)
        self._raise(failures, exc)

    def _forget(self, only: Callable[[Binding], bool] | None) -> None:
        if only is None:
            self.cache.clear()
            self._extra = None
        else:
            for binding in [b for b in self.cache if only(b)]:
                del self.cache[binding]
            extra = self._extra
            if extra is not None:  # the creation locks of bindings no graph holds any more
                for binding in [b for b in extra.locks if only(b)]:
                    del extra.locks[binding]

    def _raise(self, failures: list[BaseException], exc: BaseException | None) -> None:
        if not failures:
            return
        noun = "teardown" if len(failures) == 1 else "teardowns"
        group = BaseExceptionGroup(
            f"{len(failures)} {noun} failed while closing the {self.describe()}", failures
        )
        if exc is not None:
            group.__context__ = exc
        raise group

    def __del__(self) -> None:
        try:
            if self._teardowns and not self.closed:
                warnings.warn(
                    f"the {self.describe()} was garbage-collected with "
                    f"{len(self._teardowns)} teardown(s) never run; close it (or use 'with')",
                    ResourceWarning,
                    stacklevel=1,
                )
        except Exception:  # noqa: BLE001, S110 - never raise from a finalizer
            pass

    def __repr__(self) -> str:
        return (
            f"<ScopeState {self.name!r} instances={len(self.cache)} "
            f"teardowns={self.pending_teardowns} closed={self.closed}>"
        )


_ASYNC_KINDS = (Teardown.ADISPOSE, Teardown.AGENERATOR)


class _Extra:
    """A scope's bookkeeping for concurrent creation (most scopes never need it)."""

    __slots__ = ("building", "locks", "pending")

    def __init__(self) -> None:
        self.locks: dict[Binding, threading.RLock] = {}
        self.pending: dict[Binding, Any] = {}
        self.building: set[Binding] = set()


def _dispose_sync(kind: int, obj: Any, binding: Binding, exc: BaseException | None) -> None:
    if kind == Teardown.DISPOSE:
        obj.dispose()
    elif kind == Teardown.GENERATOR:
        _finish_gen(obj, binding, exc)
    else:  # pragma: no cover - async kinds are refused before a sync close starts
        msg = f"{binding.key} needs an async teardown"
        raise AsyncTeardownError(msg, owner=str(binding.key), pending=1)


def _yielded_twice(binding: Binding) -> LifecycleError:
    msg = (
        f"The generator provider of {binding.key} ({binding.source}) yielded more than "
        "once. Hint: a generator provider yields exactly one value; put its teardown after "
        "that yield."
    )
    return LifecycleError(
        msg,
        owner=str(binding.key),
        hint="a generator provider yields exactly one value; put its teardown after that yield.",
    )


def _finish_gen(gen: Any, binding: Binding, exc: BaseException | None) -> None:
    if exc is None:
        try:
            next(gen)
        except StopIteration:
            return
    else:
        try:
            gen.throw(exc)
        except StopIteration:
            return  # it swallowed the exception; the scope still raises it
        except BaseException as error:
            if error is exc:
                return  # re-raised: not a teardown failure
            raise
    gen.close()
    raise _yielded_twice(binding)


async def _finish_agen(gen: Any, binding: Binding, exc: BaseException | None) -> None:
    if exc is None:
        try:
            await gen.__anext__()
        except StopAsyncIteration:
            return
    else:
        try:
            await gen.athrow(exc)
        except StopAsyncIteration:
            return
        except BaseException as error:
            if error is exc:
                return
            raise
    await gen.aclose()
    raise _yielded_twice(binding)
