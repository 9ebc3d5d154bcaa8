"""Phase 5 of the compiler: drafts become the frozen nodes of the new graph.

`build` walks each draft's dependencies bottom-up (without recursion) and freezes each
draft into a `Binding`; a draft whose element and dependencies did not change is the
previous graph's node (`injectq._nodes.unchanged`), so the instances cached for it
survive. `build_dep` freezes what one parameter receives, also for function plans.
"""

from __future__ import annotations

from typing import Any

from injectq._graph import Compiler, _Draft
from injectq._keys import Key
from injectq._nodes import Binding, Dep, Graph, unchanged
from injectq._plan import DepDraft, Strategy

__all__ = ["build", "build_dep"]


def build(comp: Compiler) -> dict[Key, Binding]:
    """Turn every draft of ``comp`` into a frozen `Binding`, bottom-up, by key in order.

    A draft whose element and dependencies did not change is the previous graph's node, so
    the instances cached for it survive.
    """
    built: dict[Key, Binding] = {}
    for key in comp.order:
        built[key] = _build(comp.previous, comp.drafts[key])
    return built


def _build(previous: Graph | None, root: _Draft) -> Binding:
    stack: list[tuple[_Draft, bool]] = [(root, False)]
    while stack:
        draft, ready = stack.pop()
        if draft.built is not None:
            continue
        if not ready:
            stack.append((draft, True))
            stack.extend(
                (t, False)
                for d in draft.deps
                for t in d.targets()
                if isinstance(t, _Draft) and t.built is None
            )
            continue
        deps = tuple(build_dep(d) for d in draft.deps)
        prev = previous.find(draft.key) if previous is not None else None
        if prev is not None and unchanged(prev, draft.head, deps):
            draft.built = prev
            continue
        h = draft.head
        draft.built = Binding(
            h.key,
            h.scope,
            h.kind,
            h.target,
            h.call,
            deps,
            h.source,
            h.resource,
            h.async_init,
            h.async_teardown,
            bool(draft.needs_async),
            h.eager,
            h.jit,
            h.record,
            h.default,
        )
    assert root.built is not None
    return root.built


def build_dep(d: DepDraft) -> Dep:
    def built(node: Any) -> Binding:
        if isinstance(node, Binding):
            return node
        assert node.built is not None
        return node.built  # type: ignore[no-any-return]

    # A Provider[T] resolves its key when called, through the graph current then, so it
    # holds no node (Provider edges may form cycles; the built graph must not).
    binding = built(d.target) if d.strategy == Strategy.BINDING else None
    items = tuple((n, built(t)) for n, t in d.items)
    key = d.key
    if d.strategy == Strategy.PROVIDER and d.target.key.space is not None:
        key = d.target.key  # kept inside a private module: resolved by its own key
    p = d.param
    return Dep(p.name, p.keyword, d.strategy, binding, d.value, key, items, d.awaitable)
