"""How the cached bindings of a graph reach each other through transient ones.

A cached binding's construction builds its transient dependencies inline and probes the
cached ones: `derive` finds, once per binding, which cached bindings it probes (its links)
and how many cached levels its tree has (its depth), for `injectq._creation` to create deep
graphs bottom-up; `path_between` names the transients between two of them, for the
resolution path of a failure.
"""

from __future__ import annotations

from typing import Final

from injectq._graph import Binding
from injectq._marks import TRANSIENT

__all__ = ["derive", "path_between"]


def path_between(parent: Binding, child: Binding) -> list[str]:
    """The labels from ``parent`` through transients to ``child`` (``child`` excluded)."""
    stack: list[tuple[Binding, list[str]]] = [(parent, [str(parent.key)])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        for dep in node.deps:
            for target in dep.targets():
                if target is child:
                    return path
                if target.scope == TRANSIENT and id(target) not in seen:
                    seen.add(id(target))
                    stack.append((target, [*path, str(target.key)]))
    return [str(parent.key)]


_LEAF: Final = (1, ())  # a cached binding that probes no other cached binding


def derive(
    binding: Binding, memo: dict[Binding, tuple[int, tuple[Binding, ...]]]
) -> tuple[int, tuple[Binding, ...]]:
    """The cached depth and links of ``binding``, filling ``memo`` for everything below it.

    Links are the cached bindings a construction probes, reached through transients; the
    depth counts cached levels (a transient adds none). Iterative: any depth is fine.
    ``memo`` is shared by threads, and an override ending in another thread may take
    entries out of it meanwhile: a node whose dependencies went missing is derived again.
    """
    found: dict[Binding, tuple[int, tuple[Binding, ...]]] = {}  # what this call derived
    stack: list[tuple[Binding, bool]] = [(binding, False)]
    while stack:
        node, expanded = stack.pop()
        if node in found or node in memo:
            continue
        targets = [
            t
            for dep in node.deps
            for t in dep.targets()
            if not (t.kind == "instance" and not t.resource)
        ]
        if not expanded:
            stack.append((node, True))
            stack.extend((t, False) for t in targets if t not in found and t not in memo)
            continue
        below = {t: found.get(t) or memo.get(t) for t in targets}
        missing = [t for t, entry in below.items() if entry is None]
        if missing:  # taken out of memo meanwhile: derive them again, then this node
            stack.append((node, True))
            stack.extend((t, False) for t in missing)
            continue
        links: dict[Binding, None] = {}
        depth = 0
        for target, entry in below.items():
            assert entry is not None
            depth = max(depth, entry[0])
            if target.scope == TRANSIENT:
                links.update(dict.fromkeys(entry[1]))
            else:
                links[target] = None
        entry = (depth if node.scope == TRANSIENT else depth + 1, tuple(links))
        found[node] = memo[node] = _LEAF if entry == _LEAF else entry  # most are leaves
    entry = found.get(binding) or memo.get(binding)
    if entry is None:  # found in memo at first, and taken out of it since
        return derive(binding, memo)
    return entry
