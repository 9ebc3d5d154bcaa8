"""Build instances from the compiled graph.

Each binding is compiled once, on first use, into one specialised function (sync and, when
its tree needs an ``await``, async) whose body calls the constructor or provider directly
with its dependencies' factories as arguments, runs the lifecycle steps the binding has, and
probes the owning scope's cache. Nothing here reads a signature or a type hint: all of that
was decided by the graph compiler.

Each generated function is named after its binding and shows its source in tracebacks;
when user code raises, each one it unwinds through prepends its part of the resolution path
``A -> B -> C`` (see `injectq._tracing`).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from injectq._codegen import (
    INSTANCE_SOURCE,
    PROLOGUE,
    RAISES_SOURCE,
    SCOPED_SOURCE,
    SINGLETON_SOURCE,
    compile_function,
)
from injectq._compile import gc_paused
from injectq._creation import Creation, creation_lines
from injectq._factories import assisted_only, assisted_params, factory_function
from injectq._graph import Binding, Dep, Strategy
from injectq._introspect import CallKind
from injectq._keys import InjectionPoint, Key, ProviderFn, origin_of
from injectq._lifecycle import AMBIENT, ScopeState, Teardown
from injectq._links import derive
from injectq._marks import SINGLETON, TRANSIENT
from injectq._module import TargetKind
from injectq._tracing import (
    AWAITABLE_TYPES,
    afirst,
    async_required,
    awaitable_key,
    first,
    function_name,
    located,
    log_built,
    no_context,
    returned_awaitable,
    scope_error,
    trace,
    trace_at,
)

__all__ = ["Resolver"]

INLINE_BUDGET = 64
"""How many transient dependencies one generated factory builds inline before it calls the
factory of the next one (bounds code size and keeps deep chains off the recursion limit)."""

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
        return factory, getattr(factory, "__globals__", {}).get("WAITS", ())

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

    def _compile_one(self, kind: str, b: Binding) -> tuple[Any, list[_Need], Creation | None]:
        """The function of ``(kind, b)``, the names it needs filled, and its creation record.

        The record is given when the function is the record's create function, which the
        caller sets once the names are filled.
        """
        is_async = kind in (ASYNC, ACREATE, APRODUCT)
        emitter = _Emitter(self, is_async=is_async, constants=kind == WARM)
        if kind in (PRODUCT, APRODUCT):  # what a factory builds, from its Assisted arguments
            args = {p.name: f"a{i}" for i, p in enumerate(assisted_params(b))}
            result = emitter.construct(b, (), args=args)
            name = function_name(kind, b)
            made = emitter.function(name, result, params=tuple(args.values()))
            return made, emitter.needs, None
        if b.kind == TargetKind.FACTORY:
            names = _prologue_names(self)
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
        ns.update(_prologue_names(self))
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


def _prologue_names(resolver: Resolver) -> dict[str, Any]:
    """What the generated prologue that finds the ambient scope refers to."""
    return {
        "AMB": AMBIENT,
        "ROOT": resolver.root,
        "C": resolver.container,
        "find": resolver.find_scope,
    }


_USES_SCOPE = re.compile(r"\bs\b")
_NO_PATHS: dict[int, tuple[Key, ...]] = {}  # a template's, whose lines serve no one path
_MISSING: Any = object()
SYNC = "sync"
# A lookup table's function of a transient binding: the singletons it builds that exist
# already are constants of its code (never kept in `_compiled`: see `Resolver.warm`).
WARM = "warm"
ASYNC = "async"
CREATE = "create"
ACREATE = "acreate"
PRODUCT = "product"  # what a factory builds: takes the scope and the Assisted arguments
APRODUCT = "aproduct"
_Need = tuple[dict[str, Any], str, tuple[str, Binding]]


class _Emitter:
    """Writes one generated function: straight-line statements, one per line.

    Transient dependencies are built inline (up to `INLINE_BUDGET` of them); singletons are
    an inline cache probe; scoped dependencies call their own factory. Each line remembers
    the resolution path it serves, so a failure is traced from the traceback's line number.
    """

    def __init__(self, resolver: Resolver, *, is_async: bool, constants: bool = False) -> None:
        self.resolver = resolver
        self.is_async = is_async
        # With `constants` (`WARM`), a created singleton is a constant; the ones probed
        # because they are not created yet go to the namespace as WAITS.
        self.constants = constants
        self.ns: dict[str, Any] = {"trace_at": trace_at, "located": located, "PATHS": _NO_PATHS}
        self.lines: list[str] = []
        self.paths: dict[int, tuple[Key, ...]] = {}
        self.needs: list[_Need] = []
        self.count = 0
        self.budget = INLINE_BUDGET
        # The scope name of ``s`` throughout the function, when it is the owning scope of
        # the cached binding being created: dependencies scoped alike are cached in ``s``.
        self.owner: str | None = None

    def name(self, prefix: str, value: Any) -> str:
        self.count += 1
        name = f"{prefix}{self.count}"
        self.ns[name] = value
        return name

    def need(self, kind: str, b: Binding) -> str:
        """A name that will hold the compiled ``kind`` function of ``b``."""
        name = self.name("f", None)
        self.needs.append((self.ns, name, (kind, b)))
        return name

    def emit(self, line: str, path: tuple[Key, ...]) -> None:
        self.lines.append(line)
        self.paths[len(self.lines)] = path

    def construct(
        self, b: Binding, path: tuple[Key, ...], *, args: dict[str, str] | None = None
    ) -> str:
        """Emit statements building a new instance of ``b`` in scope ``s``; return its var.

        ``args``: the variables holding a factory's product's Assisted arguments.
        """
        if b.kind == "context":  # its value is put in the cache at scope entry, or missing
            self.ns["no_context"] = no_context
            self.emit(f"raise no_context({self.name('B', b)}, s)", path)
            return "None"
        path = (*path, b.key)  # made labels only when something fails (`trace_at`)
        if b.kind == "instance":
            var = self.name("i", b.target)
        else:
            collection = b.kind == TargetKind.COLLECTION
            values = self._arguments(b, path, args, collection=collection)
            if collection:  # a new list of its elements
                self.count += 1  # its own number: `var` below must not be an element's
                call = f"[{', '.join(values)}]"
            else:
                call = f"{self.name('T', b.callee)}({', '.join(values)})"
            var = f"v{self.count}"
            binding = self.name("B", b)
            if self.resolver.debug:
                self.ns["clock"] = time.perf_counter
                self.emit(f"t{var} = clock()", path)
            if b.call is CallKind.ASYNC:
                self.emit(f"{var} = await {call}", path)
            elif b.call is CallKind.GENERATOR:
                self.ns["first"] = first
                self.emit(f"g{var} = {call}", path)
                self.emit(f"{var} = first(g{var}, {binding})", path)
                self.emit(f"s.add_teardown({Teardown.GENERATOR}, g{var}, {binding})", path)
            elif b.call is CallKind.ASYNC_GENERATOR:
                self.ns["afirst"] = afirst
                self.emit(f"g{var} = {call}", path)
                self.emit(f"{var} = await afirst(g{var}, {binding})", path)
                self.emit(f"await s.aadd_teardown({Teardown.AGENERATOR}, g{var}, {binding})", path)
            else:
                self.emit(f"{var} = {call}", path)
                if b.kind == "provider" and not awaitable_key(b.key.served):
                    # A plain `def` (or a lambda) that returned a coroutine, a Task or a
                    # Future was meant async (one set lookup: no cost for other values).
                    self.ns["AWAITS"] = AWAITABLE_TYPES
                    self.ns["returned_awaitable"] = returned_awaitable
                    self.emit(f"if type({var}) in AWAITS:", path)
                    self.emit(f"    raise returned_awaitable({binding}, {var})", path)
            if self.resolver.debug:
                self.ns["built"] = log_built
                self.emit(f"built({binding}, clock() - t{var}, {self.name('path', path)})", path)
        if b.resource and b.call in (CallKind.SYNC, CallKind.ASYNC):
            self._lifecycle(b, var, path)
        return var

    def _arguments(
        self, b: Binding, path: tuple[Key, ...], args: dict[str, str] | None, *, collection: bool
    ) -> list[str]:
        """The argument expressions of ``b``'s call (emitting the statements they need)."""
        values = []
        for d in b.deps:
            if d.strategy == Strategy.POINT:  # resolved directly (get()): nobody's parameter
                expr = self.name("ip", InjectionPoint(b.key.served, b.key.name))
            elif d.strategy != Strategy.ASSISTED:
                expr = self.dep(d, path)
            elif args is not None:
                expr = args[d.param]
            else:  # a path that install() refuses, but a get() may take
                self.ns["assisted_only"] = assisted_only
                self.emit(f"raise assisted_only({self.name('B', b)})", path)
                expr = "None"
            if collection and not expr.isidentifier():
                # Elements are created in install order: a call is made a statement here,
                # not left in the list display after the inline ones.
                self.count += 1
                self.emit(f"m{self.count} = {expr}", path)
                expr = f"m{self.count}"
            values.append(f"{d.param}={expr}" if d.keyword else expr)
        return values

    def _lifecycle(self, b: Binding, var: str, path: tuple[Key, ...]) -> None:
        if b.kind == "instance":
            cls = type(b.target)
        else:
            cls = b.target if b.kind == "class" else b.key.served
        cls = origin_of(cls)
        binding = self.name("B", b)
        if getattr(cls, "initialize", None) is not None:
            self.emit(f"{'await ' if b.async_init else ''}{var}.initialize()", path)
        if getattr(cls, "dispose", None) is not None:
            kind = Teardown.ADISPOSE if b.async_teardown else Teardown.DISPOSE
            # In async code an async teardown is registered with an await: when the scope
            # has closed meanwhile, registering runs it at once.
            awaited = self.is_async and b.async_teardown
            add = "await s.aadd_teardown" if awaited else "s.add_teardown"
            self.emit(f"{add}({kind}, {var}, {binding})", path)

    def dep(self, d: Dep, path: tuple[Key, ...]) -> str:
        """An expression for one parameter's value (emitting statements it needs first)."""
        strategy = d.strategy
        if strategy == Strategy.BINDING:
            assert d.binding is not None
            return self.binding(d.binding, path)
        if strategy == Strategy.VALUE:
            return self.name("c", d.value)
        if strategy == Strategy.PROVIDER:
            assert d.key is not None
            provider = self.resolver.provider_for(d.key, awaitable=d.awaitable, point=d.value)
            return self.name("p", provider)
        if strategy == Strategy.CONTAINER:
            return self.name("container", self.resolver.container)
        if strategy == Strategy.FACTORY:
            if d.value is not None:
                return self.binding(d.value, path)
            assert d.key is not None  # compiled after this binding: found when resolved
            return f"{self.name('fk', self.resolver.factory_for(d.key))}(s)"
        items = [f"{self.name('n', n)}: {self.binding(b, path)}" for n, b in d.items]
        return "{" + ", ".join(items) + "}"

    def binding(self, b: Binding, path: tuple[Key, ...]) -> str:
        """An expression for a dependency's instance."""
        is_async = self.is_async and b.needs_async
        aw = "await " if is_async else ""
        if b.kind == "instance" and not b.resource:
            return self.name("i", b.target)
        if b.kind == TargetKind.FACTORY:  # its callable, bound to this scope
            return f"({self.need(SYNC, b)}(s))"
        if b.scope == TRANSIENT and self.budget > 0:
            self.budget -= 1
            return self.construct(b, path)
        if b.scope == SINGLETON:
            if self.constants:
                instance = self.resolver.root.cache.get(b, _MISSING)
                if instance is _MISSING:
                    self.ns["WAITS"] = (*self.ns.get("WAITS", ()), b)
                elif instance is not None:  # a singleton that is None is probed, as below
                    return self.name("c", instance)
            key = self.name("B", b)
            create = self.need(ACREATE if is_async else CREATE, b)
            var = f"v{self.count}"
            self.ns["cache"] = self.resolver.root.cache
            self.ns["ROOT"] = self.resolver.root
            # A miss creates outside the handler, so what creation raises does not carry this
            # KeyError as its context. `is None` is the cheapest test a hit can pay (two
            # instructions); a singleton that is None is served by `create`, which finds it.
            self.emit("try:", path)
            self.emit(f"    {var} = cache[{key}]", path)
            self.emit("except KeyError:", path)
            self.emit(f"    {var} = None", path)
            self.emit(f"if {var} is None:", path)
            self.emit(f"    {var} = {aw}{create}(ROOT)", path)
            return var
        factory = self.need(ASYNC if is_async else SYNC, b)
        if b.scope == self.owner and b.scope != TRANSIENT:
            # Cached in ``s`` too: a hit is an inline probe, a miss calls its factory (whose
            # walk to the owning scope stops at ``s`` at once).
            key = self.name("B", b)
            var = f"v{self.count}"
            self.ns["MISSING"] = _MISSING
            self.emit(f"{var} = s.cache.get({key}, MISSING)", path)
            self.emit(f"if {var} is MISSING:", path)
            self.emit(f"    {var} = {aw}{factory}(s)", path)
            return var
        return f"({aw}{factory}(s))"

    def function(
        self, name: str, result: str, *, prologue: bool = False, params: tuple[str, ...] = ()
    ) -> Any:
        """Wrap the emitted statements into a function ``name`` returning ``result``.

        It takes the scope (None for the ambient one, with ``prologue``), then ``params``.
        """
        scope = "s=None" if prologue else "s"
        head = f"{'async ' if self.is_async else ''}def factory({', '.join([scope, *params])}):"
        out = [head]
        # The ambient scope is looked up only when the body uses it (a resource to register,
        # a scoped dependency): a plain transient tree never pays for it.
        if prologue and any(_USES_SCOPE.search(line) for line in self.lines):
            self.ns.update(_prologue_names(self.resolver))
            out += PROLOGUE
        out.append("    try:")
        offset = len(out)
        out += [f"        {line}" for line in self.lines]
        out += [
            f"        return {result}",
            "    except Exception as e:",
            "        trace_at(e, PATHS)",
            "        raise",
        ]
        self.ns["PATHS"] = {line + offset: p for line, p in self.paths.items()}
        return self.exec_source("\n".join(out) + "\n", name)

    def creation_function(self, name: str, result: str, creation: Creation) -> Any:
        """The create function of a cached binding (claim, build, publish).

        The emitted construction, wrapped in the creation template of the lifecycle layer.
        """
        before, after = creation_lines(
            is_async=self.is_async, deep=creation.deep, notify=creation.on_created is not None
        )
        self.ns.update(creation.namespace())
        out = [f"{'async ' if self.is_async else ''}def factory(s):", *before]
        offset = len(out)
        out += [f"        {line}" for line in self.lines]
        out.append(f"        done = {result}")
        out += after
        self.ns["PATHS"] = {line + offset: p for line, p in self.paths.items()}
        return self.exec_source("\n".join(out) + "\n", name)

    def scoped_function(self, b: Binding, name: str, result: str, creation: Creation) -> Any:
        """The sync factory of a scoped binding: find its scope, probe, else create it there.

        Also its create function (given its owning scope, the walk stops at once): the
        creation template is inlined, so a new scope's first resolution makes no extra call.
        """
        ns = self.ns
        ns.update(NAME=b.scope, scope_error=scope_error, MISSING=_MISSING)
        ns.update(_prologue_names(self.resolver))
        ns.update(creation.namespace())
        before, after = creation_lines(
            is_async=False, deep=creation.deep, notify=False, probed=True
        )
        out = [
            "def factory(s=None):",
            *PROLOGUE,
            "    o = s",
            "    while s.name != NAME:",
            "        s = s.parent",
            "        if s is None:",
            "            raise located(scope_error(B, o))",
            "    sc = s.cache",
            "    done = sc.get(B, MISSING)",  # a new scope misses: cheaper than KeyError
            "    if done is not MISSING:",
            "        return done",
            *before,
        ]
        offset = len(out)
        out += [f"        {line}" for line in self.lines]
        out.append(f"        done = {result}")
        out += after
        ns["PATHS"] = {line + offset: p for line, p in self.paths.items()}
        return self.exec_source("\n".join(out) + "\n", name)

    def exec_source(self, src: str, name: str) -> Any:
        """Run ``src`` (which defines ``factory``) in the namespace; return it as ``name``."""
        return compile_function(self.ns, src, name)
