"""Build instances from the compiled graph.

Each binding is compiled once, on first use, into one specialised function (sync and, when
its tree needs an ``await``, async) whose body calls the constructor or provider directly
with its dependencies' factories as arguments, runs the lifecycle steps the binding has, and
probes the owning scope's cache. Nothing here reads a signature or a type hint: all of that
was decided by the graph compiler.

Each generated function is named after its binding and shows its source in tracebacks;
when user code raises, each one it unwinds through prepends its part of the resolution path
``A -> B -> C`` (see `injectq._tracing`). Here is what to compile and when to publish it;
`injectq._emit` writes each function's statements.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from injectq._codegen import (
    INSTANCE_SOURCE,
    PROLOGUE,
    RAISES_SOURCE,
    SCOPED_SOURCE,
    SINGLETON_SOURCE,
)
from injectq._compile import gc_paused
from injectq._creation import Creation
from injectq._emit import (
    ACREATE,
    APRODUCT,
    ASYNC,
    CREATE,
    PRODUCT,
    SYNC,
    WARM,
    Emitter,
    Need,
    prologue_names,
)
from injectq._factories import assisted_only, assisted_params, factory_function
from injectq._graph import Binding
from injectq._keys import InjectionPoint, Key, ProviderFn
from injectq._lifecycle import ScopeState
from injectq._links import derive
from injectq._marks import SINGLETON, TRANSIENT
from injectq._module import TargetKind
from injectq._tracing import (
    async_required,
    function_name,
    scope_error,
    trace,
)

__all__ = ["Resolver"]

SyncFactory = Callable[[ScopeState | None], Any]
AsyncFactory = Callable[[ScopeState | None], Awaitable[Any]]


class Resolver:
    """Compiles bindings into factories and runs them; one per container.

    A factory takes the scope to resolve in, or none for the ambient one (read from the
    container's context variable). Singletons and scoped instances are created through a
    slow path that takes a per-binding lock; everything else is a straight-line function.
    Compiling never recurses: a generated function names the factories it calls, and a
    work list compiles them and fills the names in before the first call.
    """

    def __init__(
        self,
        root: ScopeState,
        find_scope: Callable[[Any], ScopeState],
        provide: tuple[Callable[[Key, Any], Any], Callable[[Key, Any], Awaitable[Any]]],
        container: Any,
        on_singleton: Callable[[Binding, Any], None],
        *,
        current: Callable[[Key], Binding],
        debug: bool = False,
    ) -> None:
        self.root = root
        self.debug = debug
        self.find_scope = find_scope
        self.container = container
        self._provide, self._aprovide = provide
        self._current = current
        self._on_singleton = on_singleton
        self._compiled: dict[tuple[str, Binding], Any] = {}
        self._providers: dict[tuple[Key, bool, Any], ProviderFn[Any]] = {}
        self._factories: dict[Key, Callable[[ScopeState | None], Any]] = {}
        # Per cached binding: how many cached levels deep its tree is, and what it probes.
        self._derived: dict[Binding, tuple[int, tuple[Binding, ...]]] = {}
        self._records: dict[Binding, Creation] = {}

    def forget(self, bindings: set[Binding]) -> None:
        """Drop the compiled functions of bindings no longer in use.

        Other threads may compile meanwhile: iterate a snapshot (``list()`` of a dict is
        taken in one step) and tolerate entries that are already gone.
        """
        compiled = self._compiled
        for item in list(compiled):
            if item[1] in bindings:
                compiled.pop(item, None)
        for binding in bindings:
            self._derived.pop(binding, None)
            self._records.pop(binding, None)

    def _created(self, b: Binding, instance: Any) -> None:
        """A singleton is cached: publish it, then let its generated functions go.

        What is compiled later and needs them compiles them again (a dependency's create
        function, called only on a miss, finds the instance). Another thread may hold them
        meanwhile: they stay valid to call.
        """
        self._on_singleton(b, instance)
        compiled = self._compiled
        for kind in (SYNC, CREATE, ASYNC, ACREATE):
            compiled.pop((kind, b), None)
        self._records.pop(b, None)

    def _new_creation(self, b: Binding, *, is_async: bool) -> Creation:
        depth, links = self._derived.get(b) or derive(b, self._derived)
        creation = Creation(
            b,
            is_async=is_async,
            on_created=self._created if b.scope == SINGLETON else None,
            depth=depth,
            links=links,
            lookup=self._creation,
            trace=_trace_labels,
            root=self.root,
        )
        # Threads compiling the same binding at once must share one record: its claims are
        # what makes creation happen once (dict.setdefault is atomic).
        return self._records.setdefault(b, creation)

    def _creation(self, binding: Binding) -> Creation:
        """The creation record of a cached binding (compiled on first use)."""
        # A sync scoped binding's factory is its create function too.
        sync_kind = CREATE if binding.scope == SINGLETON else SYNC
        kind = ACREATE if binding.needs_async else sync_kind
        while True:
            if (kind, binding) not in self._compiled:
                self._ensure(kind, binding)
            record = self._records.get(binding)
            if record is not None:
                return record
            # Forgotten meanwhile (an override ended in another thread), or let go with its
            # created singleton while another thread compiled its function again (which
            # stays, without its record): compile it anew.
            self._compiled.pop((kind, binding), None)

    # -- entry points -----------------------------------------------------------------------

    def sync(self, binding: Binding) -> SyncFactory:
        """The sync factory of ``binding``, compiled on first use."""
        factory = self._compiled.get((SYNC, binding))
        if factory is None:
            factory = self._ensure(SYNC, binding)
        return factory  # type: ignore[no-any-return]

    def warm(self, binding: Binding) -> tuple[SyncFactory, tuple[Binding, ...]]:
        """The sync factory of ``binding`` for a lookup table, and the singletons it probes.

        For a transient binding, every singleton its inlined tree uses that is created
        already is a constant of the code (no cache probe); the singletons returned are
        probed as `sync`'s code does, not created yet. Once one is, a warmer function is
        worth compiling: the caller keeps this one only until then. A function compiled so
        is not kept here: only the container's lookup tables (``get()``, ``scope.get()``,
        ``aget()``) may hold it, since they are replaced with the graph and at close, and
        it must not outlive the graph, or the close, that its constants belong to.
        """
        if binding.scope != TRANSIENT:
            return self.sync(binding), ()
        factory = self._ensure(WARM, binding)
        return factory, tuple(getattr(factory, "__globals__", {}).get("WAITS", ()))

    def async_(self, binding: Binding) -> AsyncFactory:
        """The async factory of ``binding`` (for bindings that need an await)."""
        factory = self._compiled.get((ASYNC, binding))
        if factory is None:
            factory = self._ensure(ASYNC, binding)
        return factory  # type: ignore[no-any-return]

    async def aresolve(self, binding: Binding, state: ScopeState | None = None) -> Any:
        """Resolve ``binding`` in ``state`` (default: the ambient scope), awaiting as needed."""
        if binding.needs_async:
            return await self.async_(binding)(state)
        return self.sync(binding)(state)

    def provider_for(
        self, key: Key, *, awaitable: bool = False, point: InjectionPoint | None = None
    ) -> ProviderFn[Any]:
        """The `Provider[T]` (``awaitable``: `AsyncProvider[T]`) handed to parameters of ``key``.

        ``point`` is the parameter's injection point: what a binding taking an
        ``InjectionPoint`` receives when the provider resolves it.
        """
        provider = self._providers.get((key, awaitable, point))
        if provider is None:
            provide = self._aprovide if awaitable else self._provide
            provider = ProviderFn(functools.partial(provide, key, point))
            self._providers[key, awaitable, point] = provider
        return provider

    def factory_for(self, key: Key) -> Callable[[ScopeState | None], Any]:
        """For a ``Factory[T]`` parameter holding no factory (see `build_dep`): its callable."""
        make = self._factories.get(key)
        if make is None:
            make = self._factories.setdefault(key, functools.partial(self._make_factory, key))
        return make

    def _make_factory(self, key: Key, s: ScopeState | None) -> Any:
        return self.sync(self._current(key))(s)

    # -- compiling --------------------------------------------------------------------------

    def _ensure(self, kind: str, binding: Binding) -> Any:
        """Compile ``(kind, binding)`` and everything its code calls, without recursion.

        New functions are published only after every name they call is filled in: another
        thread may look one up the moment it is published, and must find it complete. The
        garbage collector is paused meanwhile, as for an install: everything compiled
        survives, and a first get() of a deep graph compiles thousands of functions.
        """
        with gc_paused:
            return self._compile_all(kind, binding)

    def _compile_all(self, kind: str, binding: Binding) -> Any:
        compiled = self._compiled
        staged: dict[tuple[str, Binding], Any] = {}
        # Functions already compiled, taken once: an override ending in another thread may
        # drop them from `compiled` meanwhile, and they stay valid to call.
        found: dict[tuple[str, Binding], Any] = {}
        work = [(kind, binding)]
        fills: list[tuple[dict[str, Any], str, tuple[str, Binding]]] = []
        creates: list[tuple[Creation, Any]] = []
        while work:
            item = work.pop()
            if item in staged or item in found:
                continue
            function = compiled.get(item)
            if function is not None:
                found[item] = function
                continue
            function, needs, record = self._compile_one(*item)
            staged[item] = function
            if record is not None:
                creates.append((record, function))
            for ns, name, need in needs:
                fills.append((ns, name, need))
                if need not in staged and need not in found:
                    work.append(need)
        for ns, name, need in fills:
            ns[name] = staged[need] if need in staged else found[need]
        # A record's create function is published like the rest, once complete: another
        # thread's deep creation calls it through the record (two threads may compile the
        # same binding at once and share its record; either's function will do).
        for record, function in creates:
            record.create = function
        if kind == WARM:  # the caller keeps it (`warm`); what it calls is kept as usual
            function = staged.pop((kind, binding))
            compiled.update(staged)
            return function
        compiled.update(staged)
        target = (kind, binding)
        return staged[target] if target in staged else found[target]

    def _compile_one(self, kind: str, b: Binding) -> tuple[Any, list[Need], Creation | None]:
        """The function of ``(kind, b)``, the names it needs filled, and its creation record.

        The record is given when the function is the record's create function, which the
        caller sets once the names are filled.
        """
        is_async = kind in (ASYNC, ACREATE, APRODUCT)
        emitter = Emitter(self, is_async=is_async, constants=kind == WARM)
        if kind in (PRODUCT, APRODUCT):  # what a factory builds, from its Assisted arguments
            args = {p.name: f"a{i}" for i, p in enumerate(assisted_params(b))}
            result = emitter.construct(b, (), args=args)
            name = function_name(kind, b)
            made = emitter.function(name, result, params=tuple(args.values()))
            return made, emitter.needs, None
        if b.kind == TargetKind.FACTORY:
            names = prologue_names(self)
            made = factory_function(emitter, b, names, PROLOGUE, (PRODUCT, APRODUCT))
            return made, emitter.needs, None
        if kind in (CREATE, ACREATE):
            creation = self._new_creation(b, is_async=is_async)
            emitter.owner = b.scope
            result = emitter.construct(b, ())
            made = emitter.creation_function(function_name(kind, b), result, creation)
            return made, emitter.needs, creation
        name = function_name(kind, b)
        ns = emitter.ns
        ns["B"] = b
        if not is_async and b.needs_async:
            # A new error each time: a raised error collects the resolution path it unwinds.
            ns["error"] = async_required
            return emitter.exec_source(RAISES_SOURCE, name), [], None
        if b.kind == "instance" and not b.resource:
            ns["INSTANCE"] = b.target
            return emitter.exec_source(INSTANCE_SOURCE, name), [], None
        if assisted_params(b):  # built only by a Factory[T] call, from its Assisted arguments
            ns["error"] = assisted_only
            return emitter.exec_source(RAISES_SOURCE, name), [], None
        if b.scope == TRANSIENT:
            factory = emitter.function(name, emitter.construct(b, ()), prologue=True)
            return factory, emitter.needs, None
        if b.scope != SINGLETON and not is_async:
            creation = self._new_creation(b, is_async=False)
            emitter.owner = b.scope
            result = emitter.construct(b, ())
            made = emitter.scoped_function(b, name, result, creation)
            return made, emitter.needs, creation
        ns["create"] = None
        emitter.needs.append((ns, "create", (ACREATE if is_async else CREATE, b)))
        ns.update(prologue_names(self))
        fmt = {"a": "async " if is_async else "", "aw": "await " if is_async else ""}
        if b.scope == SINGLETON:
            ns["cache"] = self.root.cache
            src = SINGLETON_SOURCE.format(**fmt)
        else:
            ns["NAME"] = b.scope
            ns["scope_error"] = scope_error
            src = SCOPED_SOURCE.format(prologue="\n".join(PROLOGUE), **fmt)
        return emitter.exec_source(src, name), emitter.needs, None


def _trace_labels(exc: BaseException, labels: tuple[str, ...]) -> None:
    trace(exc, *labels)
