"""The compiled graph: frozen `Binding` nodes, what each parameter receives, and `Graph`.

This is what the compiler (`injectq._graph`) produces and what the resolver and the graph
view read. Nodes compare by identity; a graph never changes once built, except that its
just-in-time overlay (`Graph.jit`) grows and its function plans are cached.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from injectq._introspect import CallKind
from injectq._keys import Key
from injectq._module import Element, TargetKind
from injectq._plan import Strategy
from injectq._source import Source

__all__ = [
    "Binding",
    "Dep",
    "Graph",
    "carry_overlay",
    "declared_context",
    "empty_graph",
    "next_graph",
    "unchanged",
]


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
    awaitable: bool = False  # a PROVIDER whose call returns an awaitable (AsyncProvider[T])

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
        context: Per scope name, the keys declared ``from_context()`` for it, each with the
            binding serving it (a ``"context"`` binding, or what replaced it), computed once
            per graph.
        private: Per key without its space, the bindings kept inside private modules
            (``bindings`` holds them under their own keys): what a missing binding names.
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
    context: Mapping[str, Mapping[Key, Binding]] = MappingProxyType({})
    private: Mapping[Key, tuple[Binding, ...]] = MappingProxyType({})

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


def next_graph(
    base: Graph,
    built: dict[Key, Binding],
    records: tuple[Element, ...],
    overrides: tuple[Element, ...],
    modules: tuple[str, ...],
    *,
    context: Mapping[str, Mapping[Key, Binding]] | None = None,
) -> Graph:
    """The graph after ``base``: its indexes copied (in C) and updated with the built nodes.

    The cost is in the nodes built, plus a dict copy per index: an install on top of a
    large graph does not walk its bindings in Python.
    """
    bindings = _copy(base.bindings)
    bindings.update(built)
    unnamed = _copy(base.unnamed)
    named = _copy(base.named)
    asked = _copy(base.asked)
    private = _copy(base.private)
    for key, binding in built.items():
        if key.space is not None:  # kept inside a private module: not in the indexes
            if not binding.jit:
                plain = Key(key.tp, key.name)
                others = tuple(b for b in private.get(plain, ()) if b.key != key)
                private[plain] = (*others, binding)
        elif key.name is None:
            unnamed[key.tp] = binding
        else:
            items = [(n, b) for n, b in named.get(key.tp, ()) if n != key.name]
            position = next(
                (i for i, (n, _) in enumerate(named.get(key.tp, ())) if n == key.name),
                len(items),
            )
            items.insert(position, (key.name, binding))
            named[key.tp] = tuple(items)
        for dep in binding.deps:
            if dep.key is None:
                continue
            asked_key: Any = ("map", dep.key.tp) if dep.strategy == Strategy.MAPPING else dep.key
            seen = asked.get(asked_key, ())
            if key not in seen:
                asked[asked_key] = (*seen, key)
    return Graph(
        MappingProxyType(bindings),
        MappingProxyType(unnamed),
        MappingProxyType(named),
        records,
        overrides,
        modules,
        base.strict,
        base.container_type,
        MappingProxyType(asked),
        context=MappingProxyType(context if context is not None else base.context),
        private=MappingProxyType(private),
    )


def _copy(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
    """A dict copy of a read-only mapping, in C: its keys are not hashed again."""
    return mapping.copy()  # type: ignore[attr-defined,no-any-return]


def carry_overlay(old: Graph, new: Graph) -> None:
    """Keep the just-in-time nodes of ``old`` that ``new`` would compile the same way.

    A node is kept when every parameter would receive the same thing from ``new``, so the
    instances cached for it (a just-in-time ``@singleton``) stay shared across installs.
    """
    jit = {
        k: b
        for k, b in old.jit.items()
        if k not in new.bindings and Key(k.tp, k.name) not in new.private
    }
    changed = True
    while changed:  # a dropped node drops the nodes that depend on it, pass after pass
        changed = False
        for key, binding in list(jit.items()):
            if not all(_still(dep, new, jit) for dep in binding.deps):
                del jit[key]
                changed = True
    new.jit.update(jit)


def _still(dep: Dep, new: Graph, jit: Mapping[Key, Binding]) -> bool:
    """Whether ``new`` (with the overlay ``jit``) gives a parameter the same as before."""
    key = dep.key
    if key is None or dep.strategy == Strategy.PROVIDER:
        return True  # a default for no annotation; a Provider resolves when called
    if dep.strategy == Strategy.MAPPING:
        return tuple(new.named.get(key.tp, ())) == dep.items
    if dep.binding is not None and dep.binding.key.space is not None:
        key = dep.binding.key  # received from inside a private module, which shadows
    found = new.bindings.get(key) or jit.get(key)
    if dep.strategy == Strategy.BINDING:
        return found is dep.binding
    return found is None  # a default, None or the container: still nothing bound


def unchanged(prev: Binding, h: Binding, deps: tuple[Dep, ...]) -> bool:
    """Whether ``prev`` can stand for a node with head ``h`` and ``deps`` (reuse it)."""
    if prev.jit != h.jit or prev.scope != h.scope or prev.eager != h.eager:
        return False
    if h.jit:
        if prev.target is not h.target:
            return False
    elif prev.record is not h.record:
        return False
    if len(prev.deps) != len(deps):
        return False
    for old, new in zip(prev.deps, deps, strict=True):
        if old.strategy != new.strategy or old.binding is not new.binding:
            return False
        if old.strategy == Strategy.VALUE and old.value is not new.value:
            return False
        if len(old.items) != len(new.items) or any(
            a[0] != b[0] or a[1] is not b[1] for a, b in zip(old.items, new.items, strict=True)
        ):
            return False
    return True


def declared_context(
    before: Mapping[str, Mapping[Key, Binding]],
    elements: Iterable[Element],
    find: Callable[[Key], Binding],
) -> dict[str, Mapping[Key, Binding]]:
    """The context keys declared per scope name, each with the binding that serves it now.

    A key stays declared when a default or an override replaces its ``from_context()``
    binding: the replacement serves it, and a value handed in for it is not needed.
    """
    keys = {name: list(declared) for name, declared in before.items()}
    for el in elements:
        if el.kind == TargetKind.CONTEXT and not el.problems and el.scopes:
            keys.setdefault(el.scopes[-1], []).append(Key(el.key, el.name))
    return {
        name: MappingProxyType({k: find(k) for k in dict.fromkeys(declared)})
        for name, declared in keys.items()
    }
