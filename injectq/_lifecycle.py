"""Scopes, their caches and teardown stacks, and disposal.

A `ScopeState` owns the instances created for it: its cache maps a compiled `Binding` (by
identity) to its instance (and each creation record to its claim, see `injectq._creation`),
and its teardown stack lists what must be disposed, in creation order. The container's root
state is the singleton scope. Scopes chain to the scope that was active when they were
entered; a scoped binding is served by the nearest scope of its name.

Disposal runs in reverse creation order and never stops at the first failure. Ordinary
failures come out together as one `ExceptionGroup`; `KeyboardInterrupt` and `SystemExit`
come out as themselves, and so does the cancellation of an ``aclose()``, after the other
teardowns ran (as `asyncio.TaskGroup` does). Closing the root closes first the scopes still
open under it that hold teardowns, innermost first, so no singleton is disposed before the
scoped resources that may use it.

A teardown registered while (or after) its scope closes is run at once, and the resolution
that registered it fails with `ContainerClosedError`: nothing initialized is ever left
without its teardown.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Final

from injectq._graph import Binding
from injectq.errors import AsyncTeardownError, ContainerClosedError, LifecycleError

__all__ = [
    "AMBIENT",
    "ScopeState",
    "Teardown",
    "ambient",
    "enter_frame",
    "instances",
    "leave_frame",
    "new_state",
]

AMBIENT: ContextVar[Any] = ContextVar("injectq_ambient", default=None)
"""The innermost entered scope or ``activate()`` record, of any container, or None.

Each of those frames links to the frame that was ambient before it (``up``), so one
variable, set once per scope, tells every container its ambient scope and tells `@inject`
the current container."""

# Its methods, bound once. CPython 3.11 compiles a method call on an imported name
# (``AMBIENT.get()`` in another module) as an attribute read, which makes a bound method
# on every call; entering and leaving a scope is on every request's path.
ambient: Final = AMBIENT.get
enter_frame: Final = AMBIENT.set
leave_frame: Final = AMBIENT.reset


class Teardown:
    """How an instance is disposed."""

    DISPOSE: Final = 0  # call .dispose()
    ADISPOSE: Final = 1  # await .dispose()
    GENERATOR: Final = 2  # resume the generator after its yield
    AGENERATOR: Final = 3  # resume the async generator after its yield


_ASYNC_KINDS: Final = (Teardown.ADISPOSE, Teardown.AGENERATOR)
_FIRST_TEARDOWN: Final = threading.Lock()  # makes a state's teardown list exactly once
_SIGNALS: Final = (KeyboardInterrupt, SystemExit)


class _Entry(tuple):  # type: ignore[type-arg]
    """One pending teardown, ``(kind, obj, binding)``, equal only to itself.

    A registration that races with a close takes its entry back with ``list.remove``, which
    must never match another entry whose object merely compares equal.
    """

    __slots__ = ()
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__


class ScopeState:
    """The instances and teardowns of one scope (or of the container, for singletons).

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

    # Made by `new_state`, not by calling the class: a request enters a scope, and a
    # Python-level __init__ frame would cost it as much as its two scoped lookups.
    name: str
    parent: ScopeState | None
    cache: dict[Any, Any]  # Binding -> instance; creation record -> claim
    closed: bool
    _teardowns: list[_Entry] | None
    # On a root: the scopes under it that hold teardowns, so closing the root can close
    # them first (weak: a scope nobody closes still warns when it is collected).
    _extra: dict[int, weakref.ref[ScopeState]] | None
    owner: Any  # the container, for scopes that become ambient frames
    up: Any  # the ambient frame this scope was entered over

    def names(self) -> list[str]:
        """The names of the active scopes, innermost first."""
        out: list[str] = []
        state: ScopeState | None = self
        while state is not None:
            out.append(state.name)
            state = state.parent
        return out

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

    # -- registering teardowns --------------------------------------------------------------

    def add_teardown(self, kind: int, obj: Any, binding: Binding) -> None:
        """Register ``obj`` to be disposed when this scope ends.

        Raises:
            ContainerClosedError: The scope is closed (or closed meanwhile); ``obj`` was
                disposed at once.
        """
        entry = self._register(kind, obj, binding)
        if entry is not None:
            if kind in _ASYNC_KINDS:  # needs an await that a sync resolution cannot make
                raise self._closed_error(binding, disposed=False)
            try:
                _dispose_sync(entry, None)
            except BaseException as error:
                raise self._closed_error(binding, disposed=True) from error
            raise self._closed_error(binding, disposed=True)

    async def aadd_teardown(self, kind: int, obj: Any, binding: Binding) -> None:
        """Register ``obj`` to be disposed when this scope ends (async teardowns awaited).

        Raises:
            ContainerClosedError: The scope is closed (or closed meanwhile); ``obj`` was
                disposed at once.
        """
        entry = self._register(kind, obj, binding)
        if entry is not None:
            try:
                await _dispose_async(entry, None)
            except BaseException as error:
                raise self._closed_error(binding, disposed=True) from error
            raise self._closed_error(binding, disposed=True)

    def _register(self, kind: int, obj: Any, binding: Binding) -> _Entry | None:
        """Append a teardown; return it back when the scope is closed and it must run now."""
        entry = _Entry((kind, obj, binding))
        if self.closed:
            return entry
        teardowns = self._teardowns
        if teardowns is None:  # the first teardown: two threads may register it at once
            with _FIRST_TEARDOWN:
                teardowns = self._teardowns
                if teardowns is None:
                    teardowns = self._teardowns = []
        if not teardowns:
            # Only a state that holds teardowns needs the finalizer that warns when it is
            # collected unclosed; the common scope, which never does, pays for none.
            self.__class__ = _HoldingScopeState  # pyright: ignore[reportAttributeAccessIssue]
            if self.parent is not None:
                self._enlist()
        teardowns.append(entry)
        if not self.closed:
            return None
        # A close began meanwhile: exactly one of it and us pops the entry.
        try:
            teardowns.remove(entry)
        except ValueError:
            # The close took it and disposes it; the instance must still not be served.
            raise self._closed_error(binding, disposed=True) from None
        return entry

    def _closed_error(self, binding: Binding, *, disposed: bool) -> ContainerClosedError:
        done = (
            "it was disposed at once"
            if disposed
            else "its teardown needs an await, so a sync get() could not run it"
        )
        msg = (
            f"{binding.key} was created in the {self.describe()}, which closed before it "
            f"was ready; {done}. Hint: resolve it while the scope is open (close the "
            "container or scope only after the work that uses it has finished)."
        )
        return ContainerClosedError(msg)

    def _enlist(self) -> None:
        """Tell the root that this scope holds teardowns (closing the root closes it first)."""
        root = self.parent
        assert root is not None
        while root.parent is not None:
            root = root.parent
        registry = root._extra
        if registry is None:
            registry = root._extra = {}
        registry[id(self)] = weakref.ref(self)

    def _delist(self) -> None:
        root = self.parent
        if root is None:
            return
        while root.parent is not None:
            root = root.parent
        if root._extra is not None:
            root._extra.pop(id(self), None)

    def _closing_order(self) -> list[ScopeState]:
        """What closing this state closes: the open scopes under a root first, then it."""
        registry = self._extra if self.parent is None else None
        if not registry:
            return [self]
        alive = [s for ref in reversed(list(registry.values())) if (s := ref()) is not None]
        inner = sorted(  # innermost first; among equals, the latest first (sort is stable)
            (s for s in alive if not s.closed), key=lambda s: len(s.names()), reverse=True
        )
        return [*inner, self]

    # -- disposal ---------------------------------------------------------------------------

    def check_sync_close(self, how: str) -> None:
        """Raise, disposing nothing, when a sync close would leave async teardowns undone."""
        for state in self._closing_order():
            pending = state.async_teardowns
            if pending:
                msg = (
                    f"The {state.describe()} holds {pending} teardown(s) that need an "
                    f"await (async dispose() or async generator providers), so it cannot be "
                    f"closed synchronously; nothing was disposed. Hint: use {how}."
                )
                raise AsyncTeardownError(
                    msg, owner=state.describe(), hint=f"use {how}.", pending=pending
                )

    def close(
        self,
        exc: BaseException | None = None,
        *,
        how: str = "await container.aclose()",
        only: Callable[[Binding], bool] | None = None,
    ) -> None:
        """Dispose everything in reverse creation order; raise all failures together.

        Args:
            exc: The exception that ends the scope, thrown into generator providers.
            how: How to close asynchronously, for the message when that is needed.
            only: Dispose and forget only the bindings it accepts; the scope stays open.
        """
        if only is not None:
            states = self._closing_order()
            pending = sum(
                1
                for st in states
                for t in st._teardowns or ()
                if only(t[2]) and t[0] in _ASYNC_KINDS
            )
            if pending:
                msg = (
                    f"{pending} teardown(s) of what was built for this override need an await "
                    f"(async dispose() or async generator providers), so it cannot end "
                    f"synchronously; nothing was disposed. Hint: use {how}."
                )
                raise AsyncTeardownError(
                    msg, owner=self.describe(), hint=f"use {how}.", pending=pending
                )
            failures = _run_sync(self._pick(states, only), exc)
            self._raise(failures, exc)
            return
        if self.closed or self.closed_at_once():
            return
        self.check_sync_close(how)
        failures = []
        for state in self._closing_order():
            failures += state._drain_sync(exc)
        self._raise(failures, exc)

    async def aclose(
        self,
        exc: BaseException | None = None,
        *,
        only: Callable[[Binding], bool] | None = None,
    ) -> None:
        """Dispose everything, awaiting async teardowns; raise all failures together."""
        if only is not None:
            failures = await _run_async(self._pick(self._closing_order(), only), exc)
            self._raise(failures, exc)
            return
        if self.closed or self.closed_at_once():
            return
        failures = []
        for state in self._closing_order():
            failures += await state._adrain(exc)
        self._raise(failures, exc)

    def closed_at_once(self) -> bool:
        """Close now when there is nothing to dispose (the common request); whether it did.

        Both faces of closing start here; a sync scope exit inlines it.
        """
        if self._teardowns or self._extra:
            return False
        self.closed = True
        self.cache.clear()
        return True

    def _drain_sync(self, exc: BaseException | None) -> list[BaseException]:
        self.closed = True
        self._delist()
        failures: list[BaseException] = []
        teardowns = self._teardowns
        while teardowns:
            try:
                entry = teardowns.pop()
            except IndexError:  # a racing registration took its entry back
                break
            try:
                _dispose_sync(entry, exc)
            except BaseException as error:  # noqa: BLE001 - every failure is kept
                failures.append(error)
        self.cache.clear()
        return failures

    async def _adrain(self, exc: BaseException | None) -> list[BaseException]:
        self.closed = True
        self._delist()
        failures: list[BaseException] = []
        teardowns = self._teardowns
        while teardowns:
            try:
                entry = teardowns.pop()
            except IndexError:
                break
            try:
                await _dispose_async(entry, exc)
            except BaseException as error:  # noqa: BLE001 - every failure is kept
                failures.append(error)
        self.cache.clear()
        return failures

    @staticmethod
    def _pick(states: list[ScopeState], only: Callable[[Binding], bool]) -> list[_Entry]:
        """Take the accepted teardowns out of ``states`` (innermost first), in disposal order.

        The states also forget the accepted bindings' instances; they stay open.
        """
        picked: list[_Entry] = []
        for state in states:  # other threads may be filling these states: copy, then take
            teardowns = state._teardowns or []
            taken: list[_Entry] = []
            for entry in [t for t in teardowns.copy() if only(t[2])]:
                try:
                    teardowns.remove(entry)
                except ValueError:  # a racing close took it, and disposes it
                    continue
                taken.append(entry)
            picked += reversed(taken)
            # The cache also holds creation claims, keyed by their records (which name their
            # binding): a claim goes first, so nobody waits on it once its instance is gone.
            cache = state.cache
            keys = [k for k in cache.copy() if only(k if isinstance(k, Binding) else k.binding)]
            keys.sort(key=lambda k: isinstance(k, Binding))
            for key in keys:
                cache.pop(key, None)
        return picked

    def _raise(self, failures: list[BaseException], exc: BaseException | None) -> None:
        """Raise what disposal collected, the way `asyncio.TaskGroup` does.

        A `KeyboardInterrupt` or `SystemExit` wins and comes out as itself; then a
        cancellation, when nothing else failed; otherwise every ordinary failure together.
        """
        if not failures:
            return
        where = f"while closing the {self.describe()}"
        signals = [f for f in failures if isinstance(f, _SIGNALS)]
        cancelled = [f for f in failures if isinstance(f, asyncio.CancelledError)]
        errors = [f for f in failures if f not in signals and f not in cancelled]
        if signals or (cancelled and not errors):
            first = (signals or cancelled)[0]
            others = [f for f in failures if f is not first]
            if others:
                first.add_note(
                    f"injectq: {len(others)} other teardown(s) also failed {where}: "
                    + ", ".join(repr(f) for f in others)
                )
            raise first
        noun = "teardown" if len(errors) == 1 else "teardowns"
        group = BaseExceptionGroup(f"{len(errors)} {noun} failed {where}", errors)
        if exc is not None:
            group.__context__ = exc
        raise group

    def __repr__(self) -> str:
        return (
            f"<ScopeState {self.name!r} instances={instances(self.cache)} "
            f"teardowns={self.pending_teardowns} closed={self.closed}>"
        )


class _HoldingScopeState(ScopeState):
    """A `ScopeState` that has held a teardown: it warns when collected unclosed."""

    __slots__ = ()

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


def new_state(name: str, parent: ScopeState | None, owner: Any = None) -> ScopeState:
    """A new, empty, open scope state (the container's root when ``parent`` is None).

    `injectq._scopes.new_scope` sets the same fields inline for a request's scope.
    """
    state = ScopeState()  # no __init__: cheaper than object.__new__(ScopeState)
    state.name = name
    state.parent = parent
    state.cache = {}
    state.closed = False
    state._teardowns = None  # a list from the first teardown on (most scopes have none)
    state._extra = None
    state.owner = owner
    state.up = None
    return state


def instances(cache: dict[Any, Any]) -> int:
    """How many instances a scope cache holds (it holds creation claims too)."""
    return sum(1 for key in cache if isinstance(key, Binding))


def _run_sync(entries: list[_Entry], exc: BaseException | None) -> list[BaseException]:
    """Dispose ``entries`` in the order given (disposal order), keeping every failure."""
    failures: list[BaseException] = []
    for entry in entries:
        try:
            _dispose_sync(entry, exc)
        except BaseException as error:  # noqa: BLE001 - every failure is kept
            failures.append(error)
    return failures


async def _run_async(entries: list[_Entry], exc: BaseException | None) -> list[BaseException]:
    failures: list[BaseException] = []
    for entry in entries:
        try:
            await _dispose_async(entry, exc)
        except BaseException as error:  # noqa: BLE001 - every failure is kept
            failures.append(error)
    return failures


def _dispose_sync(entry: _Entry, exc: BaseException | None) -> None:
    kind, obj, binding = entry
    if kind == Teardown.DISPOSE:
        obj.dispose()
    elif kind == Teardown.GENERATOR:
        _finish_gen(obj, binding, exc)
    else:
        msg = (
            f"{binding.key} needs an async teardown, which a synchronous close cannot run. "
            "Hint: close with aclose() / `async with`."
        )
        raise AsyncTeardownError(msg, owner=str(binding.key), pending=1)


async def _dispose_async(entry: _Entry, exc: BaseException | None) -> None:
    kind, obj, binding = entry
    if kind == Teardown.ADISPOSE:
        await obj.dispose()
    elif kind == Teardown.AGENERATOR:
        await _finish_agen(obj, binding, exc)
    else:
        _dispose_sync(entry, exc)


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
