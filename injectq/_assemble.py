"""Compile collections out of ordinary bindings (phase 1b).

After phase 1 (`injectq._graph.Compiler.add_elements`) has chosen, over every layer, the
binding of each key, and set the ``multibind`` elements aside, `assemble` turns them into
drafts like any other, so scopes, caching, captive checks, resources and async work on them
unchanged:

- each element of the collection of ``T`` becomes an ordinary draft under a hidden key (a
  `Part` of ``list[T]``), in install order; the collection itself is a draft of kind
  ``"collection"`` bound to ``list[T]``, transient, whose parameters are the elements (its
  factory builds a new list). Binding ``list[T]`` itself replaces it.
"""

from __future__ import annotations

from injectq._graph import Compiler, _Draft
from injectq._introspect import CallKind, Param, list_of
from injectq._keys import Key, Part, describe
from injectq._marks import TRANSIENT
from injectq._module import Element, TargetKind
from injectq._nodes import Binding
from injectq._plan import DepDraft, Strategy

__all__ = ["assemble"]


def assemble(comp: Compiler) -> None:
    """Draft the collections."""
    for tp, elements in comp.multi.items():
        _collection(comp, tp, elements)


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
