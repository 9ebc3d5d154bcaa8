"""The compiled graph: frozen `Binding` nodes, what each parameter receives, and `Graph`.

This is what the compiler (`injectq._graph`) produces and what the resolver and the graph
view read. Nodes compare by identity; a graph never changes once built, except that its
just-in-time overlay (`Graph.jit`) grows and its function plans are cached.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from injectq._introspect import CallKind
from injectq._keys import Key
from injectq._module import Element
from injectq._plan import Strategy
from injectq._source import Source

__all__ = ["Binding", "Dep", "Graph", "empty_graph"]


@attrs.frozen(eq=False)
class Dep:
    """What one parameter of a binding's target receives.

    ``key`` is the key the parameter asked for, whatever it received (a default, None, the
    container): a later install that binds that key recompiles this binding.
    """

    param: str
    keyword: bool
    strategy: str
    binding: Binding | None = None
    value: Any = None
    key: Key | None = None
    items: tuple[tuple[str, Binding], ...] = ()

    def targets(self) -> tuple[Binding, ...]:
        """The bindings this parameter resolves eagerly (not through a Provider)."""
        if self.binding is not None and self.strategy == Strategy.BINDING:
            return (self.binding,)
        if self.strategy == Strategy.MAPPING:
            return tuple(b for _, b in self.items)
        return ()


@attrs.frozen(eq=False)
class Binding:
    """One compiled, validated binding: a node of the graph.

    Attributes:
        key: What it provides.
        scope: ``"singleton"``, ``"transient"`` or a scope name.
        kind: ``"class"``, ``"instance"`` or ``"provider"``.
        target: The class to construct, the instance, or the provider function.
        call: How calling the target returns its value (sync, async, generator...).
        deps: What each parameter receives, in signature order.
        source: Where it was bound (or, just in time, where its class is defined).
        resource: Whether the container runs a lifecycle for it (initialize / teardown).
        async_init: Its ``initialize()`` is ``async``.
        async_teardown: Its teardown (``dispose()`` or generator) needs an ``await``.
        needs_async: Its value, or a dependency's, can only be produced with an ``await``.
        eager: Created when the container is entered.
        jit: Added just in time, not bound by a module.
        record: The element it was compiled from (None for just-in-time bindings).
        default: Declared with ``as_default()``.
    """

    key: Key
    scope: str
    kind: str
    target: Any
    call: CallKind
    deps: tuple[Dep, ...]
    source: Source
    resource: bool
    async_init: bool
    async_teardown: bool
    needs_async: bool
    eager: bool
    jit: bool
    record: Element | None
    default: bool = False

    @property
    def label(self) -> str:
        """A readable name of the key."""
        return str(self.key)

    def __repr__(self) -> str:
        return f"<Binding {self.key} scope={self.scope} at {self.source.location}>"


@attrs.frozen(eq=False)
class Graph:
    """The immutable result of ``install()``: every binding, indexed for lookup.

    Attributes:
        bindings: Every installed binding by key (explicit, and just in time at install).
        unnamed: Unnamed bindings by type, for the fastest lookup.
        named: The named bindings of each type, in install order.
        records: The elements of installed modules, in install order.
        overrides: The elements of override modules, in install order.
        modules: The names of the installed modules.
        strict: Just-in-time bindings are off.
        container_type: The type a parameter annotates to receive the container.
        asked: For each key (and ``("map", T)`` for ``dict[str, T]``), the keys of the
            bindings whose parameters asked for it: what a new binding of it recompiles.
        jit: The overlay of just-in-time bindings compiled at resolution time; only grows,
            under the container's lock.
        plans: Function plans of ``call()``/``@inject``, per function, for this graph.
    """

    bindings: Mapping[Key, Binding]
    unnamed: Mapping[Any, Binding]
    named: Mapping[Any, tuple[tuple[str, Binding], ...]]
    records: tuple[Element, ...]
    overrides: tuple[Element, ...]
    modules: tuple[str, ...]
    strict: bool
    container_type: Any
    asked: Mapping[Any, tuple[Key, ...]] = MappingProxyType({})
    jit: dict[Key, Binding] = attrs.field(factory=dict)
    plans: weakref.WeakKeyDictionary[Any, Any] = attrs.field(factory=weakref.WeakKeyDictionary)

    def find(self, key: Key) -> Binding | None:
        """The binding of ``key``, installed or just in time, or None."""
        return self.bindings.get(key) or self.jit.get(key)

    def every(self) -> Iterator[tuple[Key, Binding]]:
        """Every binding, installed ones first, then the just-in-time overlay."""
        yield from self.bindings.items()
        yield from list(self.jit.items())

    @property
    def eager(self) -> tuple[Binding, ...]:
        """The bindings created when the container is entered, in install order."""
        return tuple(b for b in self.bindings.values() if b.eager)

    def __repr__(self) -> str:
        return f"<Graph bindings={len(self.bindings)} jit={len(self.jit)}>"


def empty_graph(container_type: Any, *, strict: bool) -> Graph:
    """A graph with no bindings."""
    empty: Mapping[Any, Any] = MappingProxyType({})
    return Graph(empty, empty, empty, (), (), (), strict, container_type)
