"""Phase 5 of the compiler: drafts become the frozen nodes of the new graph.

`build` walks each draft's dependencies bottom-up (without recursion) and freezes each
draft into a `Binding`; a draft whose element and dependencies did not change is the
previous graph's node (`injectq._nodes.unchanged`), so the instances cached for it
survive. `build_dep` freezes what one parameter receives, also for function plans.
"""

from __future__ import annotations

from typing import Any

from injectq._drafts import Draft as _Draft
from injectq._graph import Compiler
from injectq._keys import InjectionPoint, Key
from injectq._module import TargetKind
from injectq._nodes import Binding, Dep, Graph, at_point, takes_point, unchanged
from injectq._plan import DepDraft, Strategy

__all__ = ["build", "build_dep"]


def build(comp: Compiler) -> dict[Key, Binding]:
    """Turn every draft of ``comp`` into a frozen `Binding`, bottom-up, by key in order.

    A draft whose element and dependencies did not change is the previous graph's node, so
    the instances cached for it survive. A factory's product is built with its factory and
    held by it; factories are built first where nothing forces otherwise, so the parameters
    taking them see whether they are the previous graph's (see `build_dep`).
    """
    factories = [comp.drafts[key] for key in comp.order if comp.drafts[key].product is not None]
    if factories:
        _build_factories(comp.previous, factories)
    return {key: _build(comp.previous, comp.drafts[key]) for key in comp.order}


def _build_factories(previous: Graph | None, factories: list[_Draft]) -> None:
    """Build each factory after the factories that the tree of what it builds takes.

    A parameter taking a factory is the previous graph's only when that factory was built
    first, as the previous graph's (`build_dep`): so a factory whose product's tree takes
    another factory builds that one first, unless a cycle goes through them (then the
    parameter that closes the cycle finds its factory unbuilt, and its owner counts as
    changed).
    """
    building: set[int] = set()
    for first in factories:
        stack: list[tuple[_Draft, bool]] = [(first, False)]
        while stack:
            factory, ready = stack.pop()
            if factory.built is not None:
                continue
            if ready:
                _build(previous, factory)
                building.discard(id(factory))
                continue
            if id(factory) in building:  # a cycle through factories
                continue
            building.add(id(factory))
            stack.append((factory, True))
            stack += [(f, False) for f in _taken_factories(factory) if id(f) not in building]


def _taken_factories(factory: _Draft) -> list[_Draft]:
    """The unbuilt factory drafts that parameters in the tree of ``factory``'s product take."""
    found: list[_Draft] = []
    seen: set[int] = set()
    stack: list[Any] = [factory.product]
    while stack:
        node = stack.pop()
        if not isinstance(node, _Draft) or node.built is not None or id(node) in seen:
            continue
        seen.add(id(node))
        for d in node.deps:
            if d.strategy == Strategy.FACTORY and isinstance(d.target, _Draft):
                if d.target.built is None:
                    found.append(d.target)
            else:
                stack += d.targets()
        if node.product is not None:  # a factory reached as a binding builds its product too
            stack.append(node.product)
    return found


def _build(previous: Graph | None, root: _Draft) -> Binding:
    stack: list[tuple[_Draft, bool]] = [(root, False)]
    while stack:
        draft, ready = stack.pop()
        if draft.built is not None:
            continue
        if not ready:
            stack.append((draft, True))
            # Loops, not comprehensions: no frame per draft (install is hot).
            for d in draft.deps:
                for t in d.targets():
                    if isinstance(t, _Draft) and t.built is None:
                        stack.append((t, False))  # noqa: PERF401
            made = draft.product
            if made is not None and made.built is None:
                stack.append((made, False))
            continue
        owner = draft.head.target if draft.head.kind in _OWNERS else None
        built = []
        for d in draft.deps:
            built.append(build_dep(d, owner))  # noqa: PERF401
        deps = tuple(built)
        prev = _previous(draft, previous)
        h = draft.head
        target = h.target
        if draft.product is not None:  # a factory holds what it builds
            target = draft.product.built
            if prev is not None and prev.target is target:
                draft.built = prev
                continue
        elif prev is not None and unchanged(prev, h, deps):
            draft.built = prev
            continue
        draft.built = _seal(h, target, deps, needs_async=bool(draft.needs_async))
    assert root.built is not None
    return root.built


def _seal(head: Binding, target: Any, deps: tuple[Dep, ...], *, needs_async: bool) -> Binding:
    """Make a draft's head its final node: the fields only the dependency phase knows.

    The head was made for this draft alone (`injectq._drafts.make_draft`) and nothing
    outside the compile has seen it, so it is completed in place rather than copied: from
    here on it is a node of the graph, and nothing sets its fields again.
    """
    fields = head.__dict__
    fields["target"] = target
    fields["deps"] = deps
    fields["needs_async"] = needs_async
    return head


def _previous(draft: _Draft, previous: Graph | None) -> Binding | None:
    """The node of the previous graph that ``draft`` may turn out to be again."""
    if previous is None:
        return None
    if draft.product_of is not None:  # a product: its factory's, by the factory's key
        factory = previous.find(draft.product_of)
        return factory.product if factory is not None else None
    prev = previous.find(draft.key)
    if prev is not None and (prev.kind == TargetKind.FACTORY) != (draft.product is not None):
        return None
    return prev


_OWNERS = (TargetKind.CLASS, TargetKind.PROVIDER)  # the kinds whose parameters are points


def build_dep(d: DepDraft, owner: Any = None) -> Dep:
    """Freeze what one parameter receives; ``owner`` is the class or function it belongs to.

    A parameter resolving a binding whose target takes an ``InjectionPoint`` resolves that
    binding as built for its own point (`at_point`; ``value`` keeps the point), and a
    ``Provider`` parameter of such a binding keeps its point in ``value``, for later.
    """
    p = d.param
    # A Provider[T] resolves its key when called, through the graph current then, so it
    # holds no node (Provider edges may form cycles; the built graph must not). A factory
    # parameter may close a cycle too (what the factory builds may need the parameter's
    # owner): it is no edge, and its value is the factory when that was built first (else
    # None: it is found by key when resolved, and its owner counts as changed).
    binding = _built(d.target, owner, p.name) if d.strategy == Strategy.BINDING else None
    items = tuple((n, _built(t, owner, p.name)) for n, t in d.items) if d.items else ()
    key = d.key
    if d.strategy in (Strategy.PROVIDER, Strategy.FACTORY) and d.target.key.space is not None:
        key = d.target.key  # kept inside a private module: resolved by its own key
    value = d.value
    if d.strategy == Strategy.FACTORY:
        value = d.target if isinstance(d.target, Binding) else d.target.built
    elif d.strategy == Strategy.PROVIDER and _per_point(d.target):
        value = _point(d.key, owner, p.name)  # providers of other bindings stay one per key
    elif binding is not None:
        base = d.target if isinstance(d.target, Binding) else d.target.built
        if binding is not base:  # built for this parameter's point: keep which
            value = _point(base.key, owner, p.name)
    return Dep(p.name, p.keyword, d.strategy, binding, value, key, items, d.awaitable)


def _point(key: Key | None, owner: Any, param: str) -> InjectionPoint | None:
    """The injection point of parameter ``param`` of ``owner`` asking for ``key``."""
    if owner is None or key is None:
        return None
    return InjectionPoint(key.served, key.name, owner, param)


def _built(node: Any, owner: Any, param: str) -> Binding:
    """The node a parameter resolves: ``node`` built, or built for the parameter's point."""
    if not isinstance(node, Binding):
        assert node.built is not None
        node = node.built
    where = _point(node.key, owner, param) if node.per_point else None
    return node if where is None else at_point(node, where)


def _per_point(node: Any) -> bool:
    """Whether a draft or a node takes an ``InjectionPoint``."""
    return takes_point(node.deps)
