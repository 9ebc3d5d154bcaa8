"""The compiler's whole-graph checks: cycles, captive dependencies, and what needs an await.

They run in phase 4 (`injectq._graph.Compiler.check`) over the drafts, once every
parameter is planned; like `injectq._checks` they return `Problem` records, run no user
code, and their texts are pinned by the golden tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from injectq._checks import annotation
from injectq._keys import Key
from injectq._marks import SINGLETON, TRANSIENT
from injectq._module import TargetKind
from injectq._plan import Strategy
from injectq._provided import CallKind
from injectq.errors import Problem

__all__ = ["captives", "cycles", "needs_async"]


# -- whole-graph checks --------------------------------------------------------------------


def _eager_targets(node: Any) -> list[Any]:
    out: list[Any] = []
    for d in node.deps:  # a loop, not a comprehension: no frame per node (install is hot)
        out += d.targets()
    return out


def cycles(roots: Sequence[Any], draft: type[Any]) -> list[Problem]:
    """Every dependency cycle among the drafts, each reported once with its path.

    ``draft`` is the class of the nodes being compiled (`injectq._drafts.Draft`): the walk
    goes through those only, compiled nodes having no cycle below them. The same walk
    decides what needs an await: each draft it finishes gets the ``needs_async`` that
    `needs_async` would give it, so a graph without cycles is walked once. (With a cycle,
    the flags of the drafts on it mean nothing: the install fails.)
    """
    problems: list[Problem] = []
    done: set[int] = set()
    reported: set[frozenset[int]] = set()
    for root in roots:
        if id(root) in done:
            continue
        path: list[Any] = [root]
        on_path: dict[int, int] = {id(root): 0}
        children = _eager_targets(root)
        # Per node on the path: the node, its eager targets, and those not walked yet.
        stack: list[tuple[Any, list[Any], Iterator[Any]]] = [(root, children, iter(children))]
        while stack:
            node, children, todo = stack[-1]
            for target in todo:
                if not isinstance(target, draft):
                    continue
                ident = id(target)
                if ident in on_path:
                    cycle = path[on_path[ident] :]
                    members = frozenset(id(s) for s in cycle)
                    if members not in reported:
                        reported.add(members)
                        problems.append(_cycle(cycle))
                elif ident not in done:
                    on_path[ident] = len(path)
                    path.append(target)
                    below = _eager_targets(target)
                    stack.append((target, below, iter(below)))
                    break
            else:  # every target walked: the node is done
                stack.pop()
                path.pop()
                del on_path[id(node)]
                done.add(id(node))
                if node.needs_async is None:
                    node.needs_async = _awaits(node, children)
    return problems


def _cycle(cycle: list[Any]) -> Problem:
    path = " -> ".join(str(s.key) for s in [*cycle, cycle[0]])
    details = [f"{s.key} {'defined' if s.jit else 'bound'} at: {s.source}" for s in cycle]
    return Problem(
        "cycle",
        f"Dependency cycle: {path}.",
        tuple(details),
        "break the cycle: let one side take Provider[T] (resolved when called) instead of T, "
        "or move the shared part into a third class.",
    )


def captives(roots: Sequence[Any], lookup: Callable[[Key], Any]) -> list[Problem]:
    """Each singleton among ``roots`` that would capture a scoped binding.

    A factory builds its product in the scope it was resolved in, so a singleton that takes
    a ``Factory[T]`` holds what building ``T`` needs (``lookup`` finds a compiled node's
    factory by key).
    """
    problems: list[Problem] = []
    for node in roots:
        if node.scope != SINGLETON:
            continue
        found = _find_scoped(node, lookup)
        if found is None:
            continue
        path, scoped = found
        via = f" (via {' -> '.join(str(n.key) for n in path[1:-1])})" if len(path) > 2 else ""
        # Through a factory the singleton takes, it is the factory that must be resolved late.
        lazy = path[1] if getattr(path[1], "product", None) is not None else scoped
        problems.append(
            Problem(
                "captive-dependency",
                f"Singleton {node.key} depends on {scoped.key}, {_scoped(scoped)}{via}.",
                (f"{node.key} bound at: {node.source}", f"{scoped.key} bound at: {scoped.source}"),
                f'make {node.key} scoped "{scoped.scope}" too, or take '
                f"Provider[{annotation(lazy.key)}] instead, which resolves it in the scope "
                "active when called.",
            )
        )
    return problems


def _scoped(node: Any) -> str:
    """``scoped "request"``, or ``context of scope "request"`` for a context key."""
    if node.kind == TargetKind.CONTEXT:
        return f'context of scope "{node.scope}"'
    return f'scoped "{node.scope}"'


def _held(node: Any, lookup: Callable[[Key], Any]) -> list[Any]:
    """What building ``node`` builds or holds the means to build in its own scope."""
    out = _eager_targets(node)
    for d in node.deps:
        if d.strategy == Strategy.FACTORY:
            factory = getattr(d, "target", None) or lookup(d.key)  # a draft's, or by key
            if factory is not None:
                out.append(factory)
    product = getattr(node, "product", None)
    if product is not None:
        out.append(product)
    return out


def _find_scoped(root: Any, lookup: Callable[[Key], Any]) -> tuple[list[Any], Any] | None:
    """Depth-first through transients: the first scoped node a singleton would capture."""
    seen: set[int] = set()
    stack: list[list[Any]] = [[root]]
    while stack:
        path = stack.pop()
        for target in reversed(_held(path[-1], lookup)):
            if id(target) in seen:
                continue
            seen.add(id(target))
            if target.scope not in (SINGLETON, TRANSIENT):
                return [*path, target], target
            if target.scope == TRANSIENT:
                stack.append([*path, target])
    return None


# -- which drafts need an await ----------------------------------------------------------


def needs_async(root: Any, draft: type[Any]) -> bool:
    """Whether producing the draft ``root`` needs an await (its own call, or a dependency's).

    Sets ``needs_async`` on every draft (an instance of ``draft``) below it; compiled nodes
    know theirs already.
    """
    stack: list[tuple[Any, list[Any] | None]] = [(root, None)]
    while stack:
        node, children = stack.pop()
        if node.needs_async is not None:
            continue
        if children is None:  # first visit: its children first, then itself again
            children = _eager_targets(node)
            stack.append((node, children))
            stack += [(c, None) for c in children if isinstance(c, draft) and c.needs_async is None]
            continue
        node.needs_async = _awaits(node, children)
    return bool(root.needs_async)


def _awaits(draft: Any, children: list[Any]) -> bool:
    """Whether producing ``draft`` needs an await, its children's flags set already."""
    h = draft.head
    if h.call in (CallKind.ASYNC, CallKind.ASYNC_GENERATOR) or h.async_init:
        return True
    for child in children:  # noqa: SIM110 - no generator per draft: install is hot
        if child.needs_async:
            return True
    return False
