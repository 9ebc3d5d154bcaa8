"""Compile collections and decorator chains out of ordinary bindings (phase 1b).

After phase 1 (`injectq._graph.Compiler.add_elements`) has chosen, over every layer, the
binding of each key, and set the ``multibind`` and ``decorate`` elements aside, `assemble`
turns them into drafts like any other, so scopes, caching, captive checks, resources and
async work on them unchanged:

- each element of the collection of ``T`` becomes an ordinary draft under a hidden key (a
  `Part` of ``list[T]``), in install order; the collection itself is a draft of kind
  ``"collection"`` bound to ``list[T]``, transient, whose parameters are the elements (its
  factory builds a new list). Binding ``list[T]`` itself replaces it.
- the binding of a decorated key moves to a hidden key (``role="inner"``); each decorator
  becomes a draft with the inner's scope whose parameter of the key's type receives the
  node inside it (the planner asks `Compiler.wrapped`); the outermost one takes the key.
  An override replaces the binding before it moves inside, so the decorators stay.
"""

from __future__ import annotations

import attrs

import injectq._composite_checks as composite
from injectq._drafts import Draft as _Draft
from injectq._graph import Compiler
from injectq._introspect import Param, list_of
from injectq._keys import Key, Part, describe
from injectq._marks import TRANSIENT
from injectq._module import Element, TargetKind, is_generic_class
from injectq._nodes import Binding
from injectq._plan import DepDraft, Strategy
from injectq._provided import CallKind

__all__ = ["assemble"]


def assemble(comp: Compiler) -> None:
    """Draft the collections, then the decorator chains (a collection can be decorated)."""
    for tp, elements in comp.multi.items():
        _collection(comp, tp, elements)
    for key, decorators in comp.decorators.items():
        _chain(comp, key, decorators)


def _collection(comp: Compiler, tp: object, elements: list[Element]) -> None:
    key = Key(list_of(tp))
    at = len(comp.order)  # the collection comes before its elements
    drafts: list[_Draft] = []
    number = 0
    for el in elements:
        if el.declaration:
            continue
        number += 1
        part = Key(Part(tp, "element", number, key, f"{describe(tp)} (element {number} of {key})"))
        if el.problems:
            continue  # reported in phase 1
        draft = comp._draft(part, el)
        if draft is not None:
            comp.add_draft(part, draft)
            drafts.append(draft)
    bound = comp.drafts.get(key)
    if (bound is not None and not bound.head.default) or key in comp.claimed_keys:
        return  # list[T] is bound itself: that binding replaces the collection
    head = Binding(
        key,
        TRANSIENT,
        TargetKind.COLLECTION,
        tp,
        CallKind.SYNC,
        (),
        elements[0].source,
        resource=False,
        async_init=False,
        async_teardown=False,
        needs_async=False,
        eager=False,
        jit=False,
        record=elements[0],
    )
    deps = [
        DepDraft(
            Param(f"#{i}", keyword=False, annotated=True, tp=tp), Strategy.BINDING, d, key=d.key
        )
        for i, d in enumerate(drafts, 1)
    ]
    if bound is None:
        comp.order.insert(at, key)
    comp.drafts[key] = _Draft(head, None, deps)


def _chain(comp: Compiler, key: Key, decorators: list[Element]) -> None:
    inner = comp.drafts.get(key)
    if inner is None:
        if key not in comp.claimed_keys:  # else its own problem is reported already
            comp.problems.append(composite.decorate_unbound(key, decorators[0], comp._bound()))
        return
    if inner.kind == TargetKind.CONTEXT:
        comp.problems.append(composite.decorate_context(key, decorators[0], inner.source))
        return
    eager = inner.head.eager
    inside = _part(key, "inner", 0, f"{key} (undecorated)")
    inner.head = attrs.evolve(inner.head, key=inside, eager=False)
    del comp.drafts[key]  # the outermost decorator takes its place (and its place in order)
    comp.add_draft(inside, inner)
    node = inner
    last = len(decorators)
    for index, el in enumerate(decorators, 1):
        name = composite.decorator_name(el.target)
        at = (
            key if index == last else _part(key, "decorated", index, f"{key} (decorated by {name})")
        )
        target = el.target
        is_class = isinstance(target, type) or is_generic_class(target)
        draft = comp.head(
            at,
            el,
            TargetKind.CLASS if is_class else TargetKind.PROVIDER,
            target,
            scope=node.scope,
            source=el.source,
            decorator=True,
        )
        if draft is None:  # reported; nothing that needs the key is reported too
            comp.claimed_keys.add(key)
            comp.order.remove(key)
            return
        draft.wraps, draft.decorates = node, key
        if index == last:
            if eager:
                draft.head = attrs.evolve(draft.head, eager=True)
            comp.drafts[key] = draft
            for kept in comp.private.values():  # a private binding: the chain is what it keeps
                kept[:] = [draft if d is inner else d for d in kept]
        else:
            comp.add_draft(at, draft)
        node = draft


def _part(key: Key, role: str, index: int, label: str) -> Key:
    """The hidden key of a part of ``key``'s decorator chain, in ``key``'s space."""
    return Key(Part(key.served, role, index, key, label), None, key.space)
