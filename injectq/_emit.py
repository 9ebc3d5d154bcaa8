"""The emitter of generated functions: one binding's construction as straight-line code.

`injectq._resolver` decides what to compile (which binding, sync or async, cached or not)
and publishes what it compiled; `Emitter` writes each function's statements: transient
dependencies built inline, singletons probed in the root cache (or held as constants, for
a lookup table's function), scoped dependencies through their own factories, and the
lifecycle steps a binding has. Each line keeps the resolution path it serves, so a
failure is traced from the line number of the traceback (`injectq._tracing`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, Protocol

from injectq._codegen import PROLOGUE, compile_function
from injectq._creation import Creation, creation_lines
from injectq._factories import assisted_only
from injectq._graph import Binding, Dep, Strategy
from injectq._keys import InjectionPoint, Key, ProviderFn, origin_of
from injectq._lifecycle import AMBIENT, ScopeState, Teardown
from injectq._marks import SINGLETON, TRANSIENT
from injectq._module import TargetKind
from injectq._provided import CallKind
from injectq._tracing import (
    AWAITABLE_TYPES,
    afirst,
    awaitable_key,
    first,
    located,
    log_built,
    no_context,
    returned_awaitable,
    scope_error,
    trace_at,
)

__all__ = [
    "ACREATE",
    "APRODUCT",
    "ASYNC",
    "CREATE",
    "INLINE_BUDGET",
    "PRODUCT",
    "SYNC",
    "WARM",
    "Emitter",
    "Host",
    "Need",
    "prologue_names",
]

INLINE_BUDGET = 64
"""How many transient dependencies one generated factory builds inline before it calls the
factory of the next one (bounds code size and keeps deep chains off the recursion limit)."""


class Host(Protocol):
    """What an emitter asks of the resolver it writes for (`injectq._resolver.Resolver`)."""

    root: ScopeState
    debug: bool
    container: Any
    find_scope: Callable[[Any], ScopeState]

    def provider_for(
        self, key: Key, *, awaitable: bool = False, point: InjectionPoint | None = None
    ) -> ProviderFn[Any]:
        """The `Provider[T]` handed to parameters of ``key``."""
        ...

    def factory_for(self, key: Key) -> Callable[[ScopeState | None], Any]:
        """For a ``Factory[T]`` parameter holding no factory: its callable."""
        ...


def prologue_names(resolver: Host) -> dict[str, Any]:
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
# already are constants of its code (the resolver never keeps it: see `Resolver.warm`).
WARM = "warm"
ASYNC = "async"
CREATE = "create"
ACREATE = "acreate"
PRODUCT = "product"  # what a factory builds: takes the scope and the Assisted arguments
APRODUCT = "aproduct"
Need = tuple[dict[str, Any], str, tuple[str, Binding]]
"""A name in a namespace that will hold the compiled function of ``(kind, binding)``."""


class Emitter:
    """Writes one generated function: straight-line statements, one per line.

    Transient dependencies are built inline (up to `INLINE_BUDGET` of them); singletons are
    an inline cache probe; scoped dependencies call their own factory. Each line remembers
    the resolution path it serves, so a failure is traced from the traceback's line number.
    """

    def __init__(self, resolver: Host, *, is_async: bool, constants: bool = False) -> None:
        self.resolver = resolver
        self.is_async = is_async
        # With `constants` (`WARM`), a created singleton is a constant; the ones probed
        # because they are not created yet go to the namespace as WAITS.
        self.constants = constants
        self.ns: dict[str, Any] = {"trace_at": trace_at, "located": located, "PATHS": _NO_PATHS}
        self.lines: list[str] = []
        self.paths: dict[int, tuple[Key, ...]] = {}
        self.needs: list[Need] = []
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
                    self.ns.setdefault("WAITS", []).append(b)
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
            self.ns.update(prologue_names(self.resolver))
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
        ns.update(prologue_names(self.resolver))
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
