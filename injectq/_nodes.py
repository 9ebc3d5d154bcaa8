"""The compiled graph: frozen `Binding` nodes, what each parameter receives, and `Graph`.

This is what the compiler (`injectq._graph`) produces and what the resolver and the graph
view read. Nodes compare by identity; a graph never changes once built, except that its
just-in-time overlay (`Graph.jit`) grows and its function plans are cached.
"""

from __future__ import annotations

import typing
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from injectq._generics import match
from injectq._keys import InjectionPoint, Key, Part, origin_of
from injectq._module import Element, TargetKind
from injectq._plan import Strategy
from injectq._source import Source

__all__ = [
    "Binding",
    "Dep",
    "Graph",
    "OpenBinding",
    "at_point",
    "carry_overlay",
    "declared_context",
    "empty_graph",
    "is_composite",
    "next_graph",
    "open_keepers",
    "open_matches",
    "owned",
    "plain_jit",
    "takes_point",
    "unchanged",
]


@attrs.frozen(eq=False, slots=False)  # one per parameter at install: as for `Binding`
class Dep:
    """What one parameter of a binding's target receives.

    ``key`` is the key the parameter asked for, whatever it received (a default, None, the
    container): a later install that binds that key recompiles this binding. ``value`` is
    the constant of a ``VALUE`` parameter, the `Param` of an ``ASSISTED`` one, and for a
    ``FACTORY`` one the factory binding (None when it was compiled after this one, in a
    cycle through it: it is then found by key).
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


@attrs.frozen(eq=False, slots=False)  # one per binding at install: a dict is set faster
class Binding:
    """One compiled, validated binding: a node of the graph.

    Attributes:
        key: What it provides.
        scope: ``"singleton"``, ``"transient"`` or a scope name.
        kind: ``"class"``, ``"instance"``, ``"provider"``, ``"context"`` or ``"factory"``.
        target: The class to construct, the instance, or the provider function; for a
            ``"factory"`` (a ``Factory[T]`` the compiler made), its product: the transient
            binding, not in the graph's indexes, that each call of the factory builds.
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
        points: For a binding whose target takes an ``InjectionPoint``: the binding as built
            for each injection point, made once (`at_point`) and shared by the graphs that
            keep this node.
    """

    key: Key
    scope: str
    kind: str
    target: Any
    call: str  # a `CallKind`
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
    points: dict[InjectionPoint, Binding] = attrs.field(factory=dict, repr=False)

    @property
    def label(self) -> str:
        """A readable name of the key."""
        return str(self.key)

    @property
    def callee(self) -> Any:
        """What the generated code calls to build the value.

        A parametrised generic is called through its class: calling ``SqlRepo[User]``
        costs a Python-level ``__call__``, which sets ``__orig_class__``.
        """
        if self.kind == "class":
            return origin_of(self.target)
        return self.target

    @property
    def closes(self) -> Any:
        """The open key (``Repo[T]``) of the open binding this closed key was compiled from.

        None for a binding that no open binding served.
        """
        return self.record.key if self.jit and self.record is not None else None

    @property
    def per_point(self) -> bool:
        """Whether its target takes an ``InjectionPoint``: it is built per injection point."""
        return takes_point(self.deps)

    @property
    def product(self) -> Binding | None:
        """What a ``"factory"`` binding builds on each call; None for any other binding."""
        return self.target if self.kind == TargetKind.FACTORY else None

    def __repr__(self) -> str:
        return f"<Binding {self.key} scope={self.scope} at {self.source.location}>"


@attrs.frozen(eq=False)
class OpenBinding:
    """A binding of an open generic key (``bind(Repo[T], SqlRepo[T])``), not itself a node.

    Each closed key it serves (``Repo[User]``) is compiled into a `Binding` of its own, the
    type variables filled in, when the graph needs it (or ``get()`` asks for it).

    Attributes:
        key: The open key, with the space it is visible in.
        record: The element it was recorded from.
        kind: ``"class"`` or ``"provider"``.
        target: The generic class (``SqlRepo[T]``) or provider function.
    """

    key: Key
    record: Element
    kind: str
    target: Any
    jit: bool = False  # never made just in time; read where bindings and these meet

    @property
    def source(self) -> Source:
        """Where it was bound."""
        return self.record.source

    def __repr__(self) -> str:
        return f"<OpenBinding {self.key} at {self.source.location}>"


def plain_jit(node: Any) -> bool:
    """Made just in time for a class (not served by an open binding): a node or a draft."""
    return bool(node.jit) and node.record is None


def open_keepers(generics: Mapping[Key, OpenBinding], key: Key) -> list[OpenBinding]:
    """The open bindings inside private modules that match the closed ``key``."""
    if not generics:
        return []
    private = {k: b for k, b in generics.items() if k.space is not None}
    found: list[OpenBinding] = []
    for space in dict.fromkeys(k.space for k in private):
        found.extend(b for b, _ in open_matches(private, Key(key.tp, key.name, space)))
    return found


def open_matches(
    generics: Mapping[Key, OpenBinding], key: Key
) -> list[tuple[OpenBinding, dict[Any, Any]]]:
    """The open bindings in ``key``'s space that can serve the closed ``key``.

    Each comes with the values of its type variables.
    """
    if not generics or isinstance(key.tp, type):
        return []
    origin = typing.get_origin(key.tp)
    if origin is None:
        return []
    out = []
    for open_key, binding in generics.items():
        if open_key.space is not key.space or open_key.name != key.name:
            continue
        if typing.get_origin(open_key.tp) is not origin:
            continue
        values = match(open_key.tp, key.tp)
        if values is not None:
            out.append((binding, values))
    return out


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
        generics: The open generic bindings by their open key; the closed keys they serve
            are in ``bindings`` (or, asked for later, in ``jit``).
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
    generics: Mapping[Key, OpenBinding] = MappingProxyType({})

    def kept(self, key: Key) -> list[Any]:
        """What private modules bind for ``key`` (a closed key also through open bindings)."""
        return [*self.private.get(Key(key.tp, key.name), ()), *open_keepers(self.generics, key)]

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


def takes_point(deps: Iterable[Any]) -> bool:
    """Whether any of ``deps`` (of a node or a draft) is an ``InjectionPoint`` parameter."""
    for d in deps:  # noqa: SIM110 - asked of every dependency at install: no generator
        if d.strategy == Strategy.POINT:
            return True
    return False


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
    generics: Mapping[Key, OpenBinding] | None = None,
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
        for asked_key in _asks(binding):
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
        generics=MappingProxyType(dict(generics if generics is not None else base.generics)),
    )


def at_point(binding: Binding, point: InjectionPoint) -> Binding:
    """``binding`` as built for one injection point: its ``InjectionPoint`` is ``point``.

    A binding that takes no ``InjectionPoint`` is returned as it is; otherwise each point
    gets one node, made once (the parameters of the same point share it, so a binding
    holding it compiles to the same node again).
    """
    found = binding.points.get(point)
    if found is not None or not binding.per_point:
        return found or binding
    deps = tuple(
        attrs.evolve(d, strategy=Strategy.VALUE, value=point) if d.strategy == Strategy.POINT else d
        for d in binding.deps
    )
    return binding.points.setdefault(point, attrs.evolve(binding, deps=deps, points={}))


def owned(binding: Binding) -> list[Binding]:
    """The nodes no index holds that ``binding`` owns: its product, its per-point nodes."""
    out = list(binding.points.values())
    product = binding.product
    if product is not None:
        out += [product, *product.points.values()]
    return out


def _asks(binding: Binding) -> Iterator[Any]:
    """The keys whose binding, bound anew, recompiles ``binding``.

    A factory asks for its product's key (which class it builds) and what the product's
    parameters asked for; a parameter asking for a generic also asks for any open binding of
    its origin.
    """
    product = binding.product
    if product is not None:
        yield product.key
        binding = product
    for dep in binding.deps:
        if dep.key is None:
            continue
        yield ("map", dep.key.tp) if dep.strategy == Strategy.MAPPING else dep.key
        if not isinstance(dep.key.tp, type):  # a generic: a new open binding may serve it
            origin = typing.get_origin(dep.key.tp)
            if origin is not None:
                yield ("generic", origin)


def _copy(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
    """A dict copy of a read-only mapping, in C: its keys are not hashed again."""
    return mapping.copy()  # type: ignore[attr-defined,no-any-return]


def carry_overlay(old: Graph, new: Graph) -> None:
    """Keep the just-in-time nodes of ``old`` that ``new`` would compile the same way.

    A node is kept when every parameter would receive the same thing from ``new``, so the
    instances cached for it (a just-in-time ``@singleton``) stay shared across installs.
    """
    # A factory is compiled again when asked for: it depends on how its product is bound
    # (what holds it is dropped with it, pass after pass).
    jit = {
        k: b
        for k, b in old.jit.items()
        if k not in new.bindings
        and Key(k.tp, k.name) not in new.private
        and (b.closes is None if open_matches(new.generics, k) == [] else _same_open(new, b))
        and b.kind != TargetKind.FACTORY
    }
    changed = True
    while changed:  # a dropped node drops the nodes that depend on it, pass after pass
        changed = False
        for key, binding in list(jit.items()):
            if not all(_still(dep, new, jit) for dep in binding.deps):
                del jit[key]
                changed = True
    new.jit.update(jit)


def _same_open(graph: Graph, binding: Binding) -> bool:
    """Whether ``binding`` was compiled from an open binding that ``graph`` still has."""
    if binding.record is None or not binding.jit:
        return False  # a plain just-in-time node, which an open binding now replaces
    found = graph.generics.get(Key(binding.record.key, binding.key.name, binding.key.space))
    return found is not None and found.record is binding.record


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
        if isinstance(dep.value, InjectionPoint) and found is not None:
            return found.points.get(dep.value) is dep.binding  # the node of its point
        return found is dep.binding
    if dep.strategy == Strategy.FACTORY:
        return found is not None and found is dep.value
    # A default, None or the container: still nothing bound, nor an open binding for it.
    return found is None and not open_matches(new.generics, key)


def unchanged(prev: Binding, h: Binding, deps: tuple[Dep, ...]) -> bool:
    """Whether ``prev`` can stand for a node with head ``h`` and ``deps`` (reuse it)."""
    if prev.jit != h.jit or prev.scope != h.scope or prev.eager != h.eager:
        return False
    if h.jit:
        if prev.target is not h.target and prev.target != h.target:
            return False  # a closed generic target is an equal alias, maybe not the same
        if prev.record is not h.record:
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
        if old.strategy == Strategy.FACTORY and (new.value is None or old.value is not new.value):
            return False  # another factory, or one not built yet (a cycle through it)
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


def is_composite(binding: Binding) -> bool:
    """Whether ``binding`` is part of a collection or a decorator chain (or is one)."""
    return (
        isinstance(binding.key.tp, Part)
        or binding.kind == TargetKind.COLLECTION
        or (binding.record is not None and binding.record.kind == TargetKind.DECORATOR)
    )
