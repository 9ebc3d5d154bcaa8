"""Private modules in the compiler: where each binding is visible, and what exposing checks.

A binding recorded inside a `PrivateModule` lives in that module's space: its key carries
the space (`Key.space`), so two private modules bind the same type without a duplicate,
and only bindings whose lookups start inside that space find it. ``expose(key)`` lifts
the binding of ``key`` one space out, as often as the enclosing private modules expose it
too; the binding keeps planning its parameters from the space it was recorded in (Guice's
exposed binding, which delegates to the child injector, without the extra node).

Lookups walk from a binding's own space outwards to the spaces everyone sees
(`chain`): a private binding shadows an outer binding of the same key for the bindings
inside (Guice would report the two as a conflict; a private module is meant to keep its
internals to itself, whatever its users bind).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from injectq._keys import Key, describe, key_problem
from injectq._module import Element, Space, TargetKind
from injectq._plan import Strategy
from injectq.errors import Problem

__all__ = ["Placement", "chain", "dep_nodes", "hoist", "keepers", "place", "visible"]


def chain(space: Space | None) -> tuple[Space | None, ...]:
    """The spaces a lookup from ``space`` sees, innermost first, ending with None."""
    if space is None:
        return (None,)
    return (*space.chain(), None)


def visible(key: Key, home: Space | None) -> bool:
    """Whether a binding keyed ``key`` is seen by lookups starting in ``home``."""
    space = key.space
    if space is None:
        return True
    while home is not None:
        if home is space:
            return True
        home = home.parent
    return False


@attrs.frozen
class Placement:
    """Where each element of one layer is visible.

    Attributes:
        keys: Per binding element (by ``id``), its key with the space it is visible in.
        problems: Exposed keys that their module does not bind.
    """

    keys: dict[int, Key]
    problems: list[Problem]


def place(elements: Iterable[Element]) -> Placement:
    """Compute each binding's visible key, lifting exposed ones out of their modules."""
    elements = list(elements)
    exposed: dict[tuple[Space | None, Key], Element] = {}
    for el in elements:
        if el.kind == TargetKind.EXPOSE and not el.problems and key_problem(el.key) is None:
            exposed.setdefault((el.space, Key(el.key, el.name)), el)
    keys: dict[int, Key] = {}
    used: set[tuple[Space | None, Key]] = set()
    for el in elements:
        if el.kind == TargetKind.EXPOSE or el.multi or key_problem(el.key) is not None:
            continue  # an element of a collection has no key of its own to expose
        plain = Key(el.key, el.name)
        space = el.space
        while space is not None and (space, plain) in exposed:
            if el.kind != TargetKind.DECORATOR:  # a decorator binds nothing to expose
                used.add((space, plain))
            space = space.parent
        keys[id(el)] = plain if space is None else Key(el.key, el.name, space)
    problems = [
        _unbound(el, plain, elements, keys)
        for (space, plain), el in exposed.items()
        if (space, plain) not in used
    ]
    return Placement(keys, problems)


def _unbound(
    expose: Element, plain: Key, elements: Sequence[Element], keys: dict[int, Key]
) -> Problem:
    """An exposed key its module does not bind (perhaps a module inside keeps it)."""
    assert expose.space is not None
    module = expose.space.module
    details = [f"Exposed at: {expose.source}"]
    inner = [
        el
        for el in elements
        if id(el) in keys
        and el.kind != TargetKind.DECORATOR
        and Key(el.key, el.name) == plain
        and keys[id(el)].space is not None
        and keys[id(el)].space is not expose.space
        and _inside(keys[id(el)].space, expose.space)
    ]
    t = describe(plain.tp)
    named = "" if plain.name is None else f', name="{plain.name}"'
    if inner:
        kept = inner[0]
        keeper = keys[id(kept)].space
        assert keeper is not None
        details.append(
            f"{plain} is bound inside {keeper.module}, which does not expose it: {kept.source}"
        )
        hint = f"expose it there too: self.expose({t}{named}) in {keeper.module}.configure()."
    else:
        hint = (
            f"bind it in {module} (or in a module it installs), e.g. self.bind({t}, Impl"
            f"{named}), or drop the expose() call."
        )
    return Problem(
        "expose-unbound",
        f"{module} exposes {plain}, which it does not bind.",
        tuple(details),
        hint,
    )


def _inside(space: Space | None, outer: Space) -> bool:
    while space is not None:
        if space is outer:
            return True
        space = space.parent
    return False


def keepers(kept: Iterable[Any], home: Space | None) -> list[Any]:
    """Of the bindings of a key kept inside private modules, those ``home`` cannot see.

    A binding re-drafted in this compile is listed once (by its key).
    """
    out = {b.key: b for b in kept if not visible(b.key, home)}
    return list(out.values())


# -- just-in-time classes needed inside private modules ------------------------------------


def hoist(comp: Any) -> None:
    """Move each just-in-time draft made inside a private module as far out as it can go.

    A class needed inside a private module is planned there (`injectq._graph.Compiler`'s
    ``private_jit``); when none of its parameters received anything kept inside, it would
    compile the same in the space around, so it lives there and is shared, as Guice keeps
    just-in-time bindings in the parent injector when it can. A draft is placed after the
    drafts it depends on; one that lands where a node of its key exists already is merged
    into that node.

    Args:
        comp: The compiler (its ``drafts``, ``order`` and ``private_jit``).
    """
    placed: dict[int, Space | None] = {}
    merged: dict[int, Any] = {}
    for root in comp.private_jit:
        stack: list[tuple[Any, bool]] = [(root, False)]
        visiting: set[int] = set()
        while stack:
            draft, ready = stack.pop()
            if id(draft) in placed:
                continue
            if not ready:
                visiting.add(id(draft))
                stack.append((draft, True))
                stack.extend(
                    (t, False)
                    for t in dep_nodes(draft)
                    if _movable(t) and id(t) not in placed and id(t) not in visiting
                )
                continue
            space = _innermost(draft, placed, merged)
            placed[id(draft)] = space
            if space is not draft.key.space and _movable(draft):
                _move(comp, draft, space, merged)
    if merged:
        for draft in comp.drafts.values():
            for dep in draft.deps:
                dep.target = merged.get(id(dep.target), dep.target)
                dep.items = [(n, merged.get(id(t), t)) for n, t in dep.items]


def dep_nodes(draft: Any) -> list[Any]:
    """Every node a draft's parameters received, Provider targets included."""
    out: list[Any] = []
    for d in draft.deps:
        if d.strategy in (Strategy.BINDING, Strategy.PROVIDER) and d.target is not None:
            out.append(d.target)
        out.extend(t for _, t in d.items)
    return out


def _movable(node: Any) -> bool:
    """A just-in-time draft (not a compiled node) keyed inside a private module."""
    return (
        hasattr(node, "home")
        and node.jit
        and node.head.record is None
        and node.key.space is not None
    )


def _innermost(draft: Any, placed: dict[int, Space | None], merged: dict[int, Any]) -> Any:
    """The innermost space among what ``draft``'s parameters received."""
    spaces = draft.key.space.chain()
    depth = len(spaces)
    for received in dep_nodes(draft):
        target = merged.get(id(received), received)
        space = placed.get(id(target), target.key.space)
        if space is not None and space in spaces:
            depth = min(depth, spaces.index(space))
    return spaces[depth] if depth < len(spaces) else None


def _move(comp: Any, draft: Any, space: Space | None, merged: dict[int, Any]) -> None:
    """Re-key a just-in-time draft into ``space``, or merge it into the node there."""
    old, new = draft.key, Key(draft.key.tp, draft.key.name, space)
    del comp.drafts[old]
    comp.order.remove(old)
    there = comp.drafts.get(new) or comp.find(new)
    if there is not None:
        merged[id(draft)] = there
        return
    draft.head = attrs.evolve(draft.head, key=new)
    draft.home = space
    comp.drafts[new] = draft
    comp.order.append(new)
