"""`InjectQ`, the container: the one place that wires the graph, the lifecycle and the resolver.

``install()`` compiles modules into a new immutable graph and swaps it in atomically.
Resolution reads the current graph through a per-container dict of compiled factories;
everything the container creates belongs to a scope (the container's own root for
singletons), and the ambient scope follows `contextvars`.
"""

from __future__ import annotations

import inspect
import itertools
import os
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import FunctionType, TracebackType
from typing import Any, Final, TypeVar, overload

from typing_extensions import TypeAliasType

from injectq._arguments import afill, fill
from injectq._calls import FunctionPlan, plan_for, read_function, validate
from injectq._checks import missing_key
from injectq._compile import add_jit, extend_graph, gc_paused, named_bindings, suggestions_for
from injectq._fast import checked_key, warm_get
from injectq._graph import Binding, Graph
from injectq._introspect import Signature
from injectq._keychecks import not_exposed_error
from injectq._keys import InjectionPoint, Key, KeyOf, Target, describe
from injectq._lifecycle import ScopeState, ambient, instances, new_state
from injectq._marks import REQUEST, SINGLETON
from injectq._module import Module, collect
from injectq._nodes import at_point, empty_graph
from injectq._overrides import (
    NO_REPLACEMENT,
    OneBinding,
    Override,
    override_modules,
    override_records,
)
from injectq._resolver import Resolver, SyncFactory
from injectq._scopes import Activation, NoCopy, Scope, new_scope
from injectq._view import GraphView
from injectq.errors import (
    AsyncRequiredError,
    ContainerClosedError,
    MissingBindingError,
    NoActiveContainerError,
    UsageError,
)

__all__ = ["Activation", "InjectQ", "Override", "Scope"]

T = TypeVar("T")
_GRAPH: Final = object()  # the key under which the factory dict remembers its graph


class InjectQ(NoCopy):
    """The container: install modules, then resolve what they bind.

    Example:
        ```python
        container = InjectQ(AppModule())
        service = container.get(UserService)
        ```

    Args:
        *modules: Modules to install at once (the same as calling `install` with them).
        strict: Turn off just-in-time construction of unbound concrete classes; needing one
            becomes an install-time error.
        debug: Log every construction, with its time and resolution path, to the
            ``injectq`` logger at DEBUG level. Off by default, and then free: factories are
            generated without it. The environment variable ``INJECTQ_DEBUG=1`` turns it on.

    A container cannot be copied or pickled (`UsageError`): a copy would share its
    singletons and teardowns, so closing one would dispose what the other serves.
    """

    _copy_what = "An InjectQ container"
    _copy_hint = (
        "build another container from the same modules, InjectQ(AppModule()), or vary "
        "this one with container.override(...)."
    )

    def __init__(self, *modules: Module, strict: bool = False, debug: bool | None = None) -> None:
        if debug is None:
            debug = os.environ.get("INJECTQ_DEBUG", "") not in ("", "0")
        self._root = new_state(SINGLETON, None)
        self._resolver = Resolver(
            self._root,
            self._find_scope,
            (self._provide, self._aprovide),
            self,
            self._singleton_ready,
            current=self._current,
            debug=debug,
        )
        self._lock = threading.RLock()
        self._closed = False
        self._overrides: list[Override[InjectQ]] = []
        self._graph = empty_graph(InjectQ, strict=strict)
        # Compiled factories by key for the current graph (each dict remembers its graph under
        # _GRAPH, so a swap is one assignment): zero-argument ones for get() (a created
        # singleton is replaced by a callable returning it), and ones taking a scope.
        self._fast: dict[Any, Any] = {_GRAPH: self._graph}
        self._contexts = self._graph.context
        self._sfast: dict[Any, Any] = {_GRAPH: self._graph}
        self._afast: dict[Any, Any] = {_GRAPH: self._graph}
        self._named_fast: dict[Any, Any] = {_GRAPH: self._graph}
        self._waiting: dict[Binding, list[tuple[dict[Any, Any], Any]]] = {}
        if modules:
            self.install(*modules)

    # -- installing -------------------------------------------------------------------------

    def install(self, *modules: Module, overrides: Module | Iterable[Module] = ()) -> None:
        """Compile modules into the graph, validate it and swap it in atomically.

        May be called again to add modules. Bindings in ``overrides`` replace bindings of the
        same key and name (Guice's ``Modules.override``) and may add new ones.

        Raises:
            BindingError: Listing every problem found, each with where it was bound.
            UsageError: When given something that is not a `Module` instance.
        """
        extra_modules = override_modules(overrides)
        with self._lock, gc_paused:
            self._check_open()
            if self._overrides:
                msg = (
                    "install() was called while an override is active. Hint: install "
                    "modules before entering container.override(...)."
                )
                raise UsageError(msg)
            base = collect(modules)
            extra = collect(extra_modules)
            graph = self._graph
            names = tuple(dict.fromkeys((*graph.modules, *base.modules, *extra.modules)))
            self._swap(extend_graph(graph, base.records, extra.records, modules=names))

    @overload
    def bind(
        self,
        key: type[T] | KeyOf[T],
        target: Target[T] | None = None,
        *,
        name: str | None = None,
        scope: str | None = None,
    ) -> None: ...
    @overload
    def bind(
        self,
        key: TypeAliasType | FunctionType,
        target: Any = None,
        *,
        name: str | None = None,
        scope: str | None = None,
    ) -> None: ...
    def bind(
        self, key: Any, target: Any = None, *, name: str | None = None, scope: str | None = None
    ) -> None:
        """Install a module with this one binding (validated at once).

        Args:
            key: What to bind (see `Module.bind`).
            target: A class, a provider function, or an instance; None binds the key to itself.
            name: The binding's name.
            scope: ``"singleton"``, ``"transient"`` or a scope name such as ``"request"``.
        """
        self.install(OneBinding(key, target, name, scope))

    def _find_scope(self, frame: Any) -> ScopeState:
        """This container's ambient scope, looking down the ambient frames from ``frame``."""
        while frame is not None:
            if frame.owner is self:
                return frame  # type: ignore[no-any-return]
            if frame.owner is None and frame.active is self:
                return frame.scope  # type: ignore[no-any-return]
            frame = frame.up
        return self._root

    def _swap(self, graph: Graph) -> None:
        self._graph = graph
        self._contexts = graph.context  # scope() reads it on every call
        self._fast = fast = {_GRAPH: graph}
        # The instance's own `get`: a closure over this graph's lookup table, so a warm
        # get() is one call, no bound method and no attribute lookups (`_fast.warm_get`).
        # Set as an attribute, not through vars(self): a materialised __dict__ would make
        # every other attribute read of the container unspecialised (about 3x slower).
        object.__setattr__(self, "get", warm_get(fast, self._resolve, InjectQ.get))
        self._sfast = {_GRAPH: graph}
        self._afast = {_GRAPH: graph}
        self._named_fast = {_GRAPH: graph}
        # Per singleton not created yet: the table entries whose code looks it up (`_keep`).
        self._waiting = {}

    def _singleton_ready(self, binding: Binding, instance: Any) -> None:
        """Let get() serve a created singleton without calling its factory."""
        fast = self._fast
        key = binding.key
        if (
            key.name is None
            and key.space is None  # a private module's: get() does not see it
            and not self._closed
            and fast[_GRAPH].find(key) is binding
        ):
            fast[key.tp] = itertools.repeat(instance).__next__
        for table, lookup in self._waiting.pop(binding, ()):
            table.pop(lookup, None)  # its next lookup compiles with this one as a constant

    # -- resolving --------------------------------------------------------------------------

    @overload
    def get(self, key: Callable[..., T], *, name: str | None = None) -> T: ...
    @overload
    def get(self, key: Any, *, name: str | None = None) -> Any: ...
    def get(self, key: Any, *, name: str | None = None) -> Any:
        """Resolve ``key`` (and name) in the ambient scope.

        Raises:
            MissingBindingError: Nothing binds it and it cannot be created just in time.
            ScopeError: It is scoped and no scope of its name is active.
            AsyncRequiredError: It needs an await; use `aget`.
            ContainerClosedError: The container is closed.
        """
        if name is None:
            try:
                factory = self._fast[key]
            except (KeyError, TypeError):
                pass  # resolved below, so its errors do not carry this KeyError
            else:
                return factory()
            return self._resolve(key, None, None)
        return self._resolve(key, name, None)

    @overload
    async def aget(self, key: Callable[..., T], *, name: str | None = None) -> T: ...
    @overload
    async def aget(self, key: Any, *, name: str | None = None) -> Any: ...
    async def aget(self, key: Any, *, name: str | None = None) -> Any:
        """Resolve ``key`` in the ambient scope, awaiting async providers and resources."""
        if name is None:
            try:
                needs_await, factory = self._afast[key]
            except (KeyError, TypeError):
                pass  # resolved below, so its errors do not carry this KeyError
            else:
                return await factory(None) if needs_await else factory(None)
            return await self._aresolve(key, None, None)
        return await self._aresolve(key, name, None)

    def get_all(self, key: Callable[..., T]) -> dict[str, T]:
        """Every named binding of ``key``, by name, in install order."""
        return self._get_all(key, None)

    async def aget_all(self, key: Callable[..., T]) -> dict[str, T]:
        """Every named binding of ``key``, awaiting async ones (see `get_all`)."""
        return await self._aget_all(key, None)

    async def _aget_all(self, key: Any, state: ScopeState | None) -> dict[str, Any]:
        items = self._named(key, "aget_all")
        aresolve = self._resolver.aresolve
        return {n: await aresolve(b, state) for n, b in items}

    def _get_all(self, key: Any, state: ScopeState | None) -> dict[str, Any]:
        items = self._named(key, "get_all")
        sync = self._resolver.sync
        return {n: sync(b)(state) for n, b in items}

    def _named(self, key: Any, what: str) -> tuple[tuple[str, Binding], ...]:
        """The named bindings of ``key``, with those named open bindings serve compiled."""
        self._check_open()
        return named_bindings(self._graph, checked_key(key, what), self._lock)

    def _resolve(self, key: Any, name: str | None, state: ScopeState | None) -> Any:
        """Resolve in ``state``, or in the ambient scope when it is None."""
        lookup: Any = key
        if name is not None:
            fast, lookup = self._named_fast, (key, name)
        elif state is None:
            fast = self._fast
        else:
            fast = self._sfast
        try:
            factory = fast[lookup]
        except (KeyError, TypeError):
            pass  # compiled below, so its errors do not carry this KeyError
        else:
            if state is None:
                # Entries of _fast may take no argument (a created singleton's), and another
                # thread may have published one since get() missed it: call without one.
                return factory()
            return factory(state)
        binding = self._binding(key, name, fast[_GRAPH])
        if binding is None:  # the container itself
            return self
        return self._keep(fast, lookup, binding)(state)

    async def _aresolve(self, key: Any, name: str | None, state: ScopeState | None) -> Any:
        afast = self._afast
        binding = self._binding(key, name, afast[_GRAPH])
        if binding is None:
            return self
        resolver = self._resolver
        if binding.needs_async:
            factory = resolver.async_(binding)
            if name is None and not self._closed:
                afast[key] = (True, factory)
            return await factory(state)
        if name is None:
            return self._keep(afast, key, binding, awaited=True)(state)
        return resolver.sync(binding)(state)

    def _keep(
        self, table: dict[Any, Any], lookup: Any, binding: Binding, *, awaited: bool = False
    ) -> SyncFactory:
        """The sync factory of ``binding`` for one of the lookup tables, put in it.

        The singletons its code uses that exist already are constants of it
        (`Resolver.warm`); each one it still looks up drops the entry once created
        (`_singleton_ready`), so that the next lookup compiles it warmer. Only these tables
        hold such functions: a graph swap and close() replace them. ``awaited``: the table
        of `aget`, whose entries say whether they need an await.
        """
        factory, waits = self._resolver.warm(binding)
        if self._closed:
            return factory
        table[lookup] = (False, factory) if awaited else factory
        if waits:
            waiting = self._waiting
            for singleton in waits:
                waiting.setdefault(singleton, []).append((table, lookup))
            root = self._root.cache
            if any(s in root for s in waits):  # created meanwhile, by another thread
                table.pop(lookup, None)
        return factory

    def _provided(self, key: Key, point: InjectionPoint | None) -> Binding | None:
        """The binding a `Provider[T]` of ``key`` resolves, None for the container itself.

        A binding taking an ``InjectionPoint`` is resolved as built for ``point``, the
        point of the parameter holding the provider.
        """
        if key.space is not None:  # kept inside a private module, compiled at install
            binding: Binding | None = self._graph.find(key)
            assert binding is not None
        else:
            binding = self._binding(key.tp, key.name, self._graph)
        return binding if binding is None or point is None else at_point(binding, point)

    def _provide(self, key: Key, point: InjectionPoint | None = None) -> Any:
        """What calling a `Provider[T]` does: resolve now, in the ambient scope."""
        binding = self._provided(key, point)
        if binding is None:
            return self
        if binding.needs_async:
            return self._resolver.async_(binding)(None)
        return self._resolver.sync(binding)(None)

    async def _aprovide(self, key: Key, point: InjectionPoint | None = None) -> Any:
        """What awaiting an `AsyncProvider[T]`'s call does: resolve, in the ambient scope."""
        binding = self._provided(key, point)
        if binding is None:
            return self
        return await self._resolver.aresolve(binding)

    def _current(self, key: Key) -> Binding:
        """The binding of ``key`` in the current graph (a ``Factory[T]``'s, made on demand)."""
        binding = self._graph.find(key) or self._binding(key.tp, key.name, self._graph)
        assert binding is not None
        return binding

    def _binding(self, key: Any, name: str | None, graph: Graph) -> Binding | None:
        """The binding to resolve for ``key`` and ``name``; None means the container itself.

        Adds a just-in-time binding when ``key`` is an unbound concrete class.
        """
        self._check_open()
        checked_key(key, "get")
        if name is not None and (not isinstance(name, str) or not name):
            msg = f"name= takes a non-empty string, got {name!r}."
            raise UsageError(msg)
        k = Key(key, name)
        binding = graph.find(k)
        if binding is not None:
            return binding
        if name is None and (key is InjectQ or key is graph.container_type):
            return None
        with self._lock:
            graph = self._graph
            binding = graph.find(k)
            if binding is not None:
                return binding
            found = add_jit(graph, k, f"get({describe(key, name)})")
            if isinstance(found, str):
                raise self._missing(k, graph, found)
            return found

    @staticmethod
    def _missing(k: Key, graph: Graph, reason: str) -> MissingBindingError:
        kept = graph.kept(k)
        if kept:
            return not_exposed_error(k, kept)
        names = [n for n, _ in graph.named.get(k.tp, ())]
        return missing_key(k, names, suggestions_for(graph, k), reason)

    # -- calling functions ------------------------------------------------------------------

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call ``fn``, injecting the parameters the caller did not pass.

        A class is constructed as its binding would be: its constructor's parameters are
        injected by the same rules.

        Raises:
            UsageError: ``fn`` is not callable.
            ResolutionError: A parameter left out cannot be injected (a
                `MissingBindingError` when nothing binds its type).
        """
        sig = read_function(fn)
        positional, keywords = self._fill(fn, sig, args, kwargs)
        return fn(*positional, **keywords)

    @overload
    async def acall(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T: ...
    @overload
    async def acall(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...
    async def acall(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` (awaiting it if it is async), injecting what the caller did not pass."""
        sig = read_function(fn, "acall()")
        positional, keywords = await self._afill(fn, sig, args, kwargs)
        result = fn(*positional, **keywords)
        if inspect.isawaitable(result):
            return await result
        return result

    def validate(self, *functions: Callable[..., Any]) -> None:
        """Plan each function (or class) as `call` would; one `BindingError` for all problems.

        Only what a call would inject is checked: with some ``Inject[T]`` parameters, those.
        """
        with self._lock:
            self._check_open()
            validate(self._graph, functions)

    def _plan(self, fn: Any, sig: Signature) -> FunctionPlan:
        """The plan of ``fn`` for the current graph, compiled once per function and graph."""
        self._check_open()
        try:
            plan = self._graph.plans.get(fn)
        except TypeError:
            plan = None
        if plan is None or plan.sig is not sig:
            with self._lock:
                plan = plan_for(self._graph, fn, sig)
        return plan

    def _fill(
        self,
        fn: Any,
        sig: Signature,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> tuple[list[Any], dict[str, Any]]:
        """The arguments to call ``fn`` with: the caller's, plus the injected ones."""
        return fill(self._plan(fn, sig), self._resolver, self, args, kwargs)

    async def _afill(
        self,
        fn: Any,
        sig: Signature,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> tuple[list[Any], dict[str, Any]]:
        """`_fill` awaiting async bindings."""
        return await afill(self._plan(fn, sig), self._resolver, self, args, kwargs)

    # -- scopes and activation --------------------------------------------------------------

    # The method is the function itself: one frame on every request's path.
    scope = new_scope

    def resource_scope(
        self, name: str = REQUEST, *, context: Mapping[Any, Any] | None = None
    ) -> Scope:
        """The same as `scope`, under the name the InjectQ documents use."""
        return self.scope(name, context=context)

    def activate(self) -> Activation[InjectQ]:
        """Make this container current for `@inject` functions (``with``/``async with``).

        The returned `Activation` is entered once at a time; entering it returns the
        container.
        """
        return Activation(self)

    @classmethod
    def current(cls) -> InjectQ:
        """The innermost container made current by `activate` or an entered scope.

        Raises:
            NoActiveContainerError: When no container is active.
        """
        frame = ambient()
        container = None if frame is None else (frame.owner or frame.active)
        if container is None:
            msg = (
                "No injectq container is active. Hint: wrap the call in "
                "`with container.activate():` (or inside `with container.scope():`), or "
                "use container.call(fn, ...)."
            )
            raise NoActiveContainerError(msg)
        return container  # type: ignore[no-any-return]

    # -- overrides --------------------------------------------------------------------------

    @overload
    def override(self, key: Module, /) -> Override[InjectQ]: ...
    @overload
    def override(
        self, key: type[T] | KeyOf[T], replacement: Target[T], *, name: str | None = None
    ) -> Override[InjectQ]: ...
    @overload
    def override(
        self, key: TypeAliasType | FunctionType, replacement: Any, *, name: str | None = None
    ) -> Override[InjectQ]: ...
    def override(
        self, key: Any, replacement: Any = NO_REPLACEMENT, *, name: str | None = None
    ) -> Override[InjectQ]:
        """Replace a binding, or a module's bindings, while the ``with`` block runs.

        ``override(Key, replacement)`` treats ``replacement`` as ``bind`` treats a target;
        ``override(SomeModule())`` replaces (or adds) every binding the module makes.
        Singletons that depend on a replaced binding, directly or not, are built afresh
        inside; when the block ends the originals come back and what was built inside is
        disposed.
        """
        records, label = override_records(key, name, replacement)
        return Override(self, records, label)

    # -- closing ----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            msg = (
                "This container is closed; nothing can be resolved or installed. Hint: "
                "create a new InjectQ(), or resolve before close()/the end of `with`."
            )
            raise ContainerClosedError(msg)

    def close(self) -> None:
        """Dispose the singletons in reverse creation order; closing twice is harmless.

        Raises:
            AsyncTeardownError: When async teardowns are pending (use `aclose`); nothing is
                disposed.
            ExceptionGroup: Every teardown that failed, after all of them ran.
        """
        self._close(None, "`await container.aclose()`")

    def _close(self, exc: BaseException | None, how: str) -> None:
        if self._closed:
            return
        self._root.check_sync_close(how)
        self._closed = True
        self._swap(self._graph)
        self._root.close(exc, how=how)

    async def aclose(self) -> None:
        """Dispose the singletons, awaiting async teardowns (see `close`)."""
        await self._aclose(None)

    async def _aclose(self, exc: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._swap(self._graph)
        await self._root.aclose(exc)

    def __enter__(self) -> InjectQ:
        for binding in self._graph.eager:
            if binding.needs_async:
                msg = (
                    f"The eager singleton {binding.key} needs an await, so it cannot be "
                    "created by a sync `with container:`."
                )
                raise AsyncRequiredError(
                    str(binding.key),
                    msg,
                    source=str(binding.source),
                    hint="use `async with container:`.",
                    path=[str(binding.key)],
                )
            self._resolver.sync(binding)(self._root)
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close(exc, "`async with container:`")

    async def __aenter__(self) -> InjectQ:
        for binding in self._graph.eager:
            await self._resolver.aresolve(binding, self._root)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._aclose(exc)

    # -- introspection ----------------------------------------------------------------------

    @property
    def graph(self) -> GraphView:
        """A read-only view of the installed bindings, for tools and diagnostics."""
        return GraphView(self._graph)

    @property
    def closed(self) -> bool:
        """Whether the container has been closed."""
        return self._closed

    def __repr__(self) -> str:
        return (
            f"<InjectQ bindings={len(self._graph.bindings)} "
            f"singletons={instances(self._root.cache)}{' closed' if self._closed else ''}>"
        )
