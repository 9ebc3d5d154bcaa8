"""The compiler's entry points: a whole graph, an extension of one, a just-in-time binding.

Each runs the phases of `injectq._graph` in order over a `Compiler`, then assembles the
new `Graph` (`injectq._nodes.next_graph`).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Any, Final

import injectq._checks as checks
from injectq._assemble import assemble
from injectq._build import build
from injectq._graph import Compiler
from injectq._keys import Key, describe, key_problem, product_key
from injectq._module import Element, TargetKind
from injectq._nodes import (
    Binding,
    Graph,
    carry_overlay,
    declared_context,
    empty_graph,
    is_composite,
    next_graph,
    open_matches,
)
from injectq.errors import Problem, ResolutionError

__all__ = [
    "GcPaused",
    "add_jit",
    "compile_graph",
    "extend_graph",
    "gc_paused",
    "jit_problems",
    "named_bindings",
    "suggestions_for",
]


class GcPaused(contextlib.ContextDecorator):
    """Pause the cyclic garbage collector for an install or a compile; resume it after.

    An install allocates objects that all survive (records, nodes, plans, indexes); the
    collector would traverse them again and again, which made installing 100,000 bindings
    several times slower than linear. Nested uses leave the collector to the outermost one,
    and a collector that was off stays off.
    """

    def __init__(self) -> None:
        self._resume = threading.local()

    def __enter__(self) -> None:
        stack = self._resume.__dict__.setdefault("stack", [])
        enabled = gc.isenabled()
        stack.append(enabled)
        if enabled:
            gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._resume.stack.pop():
            gc.enable()


gc_paused: Final = GcPaused()
"""`GcPaused` for the compiler's entry points and ``install()``."""


@gc_paused
def compile_graph(
    records: tuple[Element, ...],
    overrides: tuple[Element, ...],
    *,
    modules: tuple[str, ...],
    strict: bool,
    container_type: Any,
    previous: Graph | None,
) -> Graph:
    """Compile every element into a new graph, reusing unchanged nodes of ``previous``.

    Raises:
        BindingError: Listing every problem found (`CircularDependencyError` when one of
            them is a cycle).
    """
    comp = Compiler(empty_graph(container_type, strict=strict), previous)
    comp.add_elements(records, overriding=False)
    if overrides:
        comp.add_elements(overrides, overriding=True)
    assemble(comp)
    comp.resolve_all()
    comp.check()
    comp.fail(modules)
    built = build(comp)
    context = declared_context({}, (*records, *overrides), built.__getitem__)
    graph = next_graph(
        comp.base, built, records, overrides, modules, context=context, generics=comp.generics
    )
    if previous is not None:
        carry_overlay(previous, graph)
    return graph


@gc_paused
def extend_graph(
    graph: Graph,
    records: tuple[Element, ...],
    overrides: tuple[Element, ...],
    *,
    modules: tuple[str, ...],
) -> Graph:
    """Compile new elements on top of ``graph``, keeping every node they do not affect.

    Only the new elements, and the bindings that asked (directly or not) for one of their
    keys, are compiled; every other node is kept, and so are the instances cached for it.
    New elements that take part in collections or decorator chains, or reach one, compile
    the whole graph instead (unchanged nodes, and their instances, are still kept).

    Raises:
        BindingError: As `compile_graph`.
    """

    def whole() -> Graph:
        return compile_graph(
            graph.records + records,
            graph.overrides + overrides,
            modules=modules,
            strict=graph.strict,
            container_type=graph.container_type,
            previous=graph,
        )

    if overrides or graph.overrides or _composes(graph, records):  # layers interact
        return whole()
    comp = Compiler(graph, graph)
    comp.add_elements(records, overriding=False)
    if not comp.recompile_askers():
        return whole()
    comp.resolve_all()
    comp.check()
    comp.fail(modules)
    built = build(comp)

    def find(key: Key) -> Binding:
        return built.get(key) or graph.bindings[key]

    context = declared_context(graph.context, records, find)
    new = next_graph(
        comp.base,
        built,
        graph.records + records,
        (),
        modules,
        context=context,
        generics=comp.generics,
    )
    carry_overlay(graph, new)
    return new


def _composes(graph: Graph, records: tuple[Element, ...]) -> bool:
    """Whether new elements make or replace part of a collection or a decorator chain."""
    bindings = graph.bindings
    for el in records:
        if el.multi or el.kind == TargetKind.DECORATOR:
            return True
        if bindings and key_problem(el.key) is None:  # nothing to replace in a first install
            kept = bindings.get(Key(el.key, el.name))
            if kept is not None and is_composite(kept):
                return True
    return False


def add_jit(graph: Graph, key: Key, asked_by: str) -> Binding | str:
    """Compile a just-in-time binding for ``key`` (and what it needs) into the overlay.

    The caller holds the container's lock. Returns the binding, or why ``key`` cannot be
    created just in time at all.

    Raises:
        MissingBindingError: A dependency nothing binds, with the path that led to it.
        ResolutionError: Any other problem of the classes tried just in time.
    """
    comp = _jit_compiler(graph, key, asked_by)
    if isinstance(comp, str):
        return comp
    if comp.problems:
        raise _jit_error(comp, key)
    built = build(comp)
    graph.jit.update(built)
    return built[key]


def named_bindings(graph: Graph, tp: Any, lock: Any) -> tuple[tuple[str, Binding], ...]:
    """The named bindings of ``tp`` (``get_all``), in install order.

    For a closed generic key, the names that named open bindings serve are compiled into
    the overlay first (under ``lock``, the container's), so they are listed too.
    """
    named = graph.named.get(tp, ())
    if not graph.generics or isinstance(tp, type):
        return named
    names = {n for n, _ in named}
    wanted = [
        k.name
        for k in graph.generics
        if k.name is not None
        and k.name not in names
        and open_matches(graph.generics, Key(tp, k.name))
    ]
    if not wanted:
        return named
    with lock:
        for name in wanted:
            if graph.find(Key(tp, name)) is None:
                found = add_jit(graph, Key(tp, name), f"get_all({describe(tp)})")
                assert not isinstance(found, str)
    return (*named, *((name, graph.jit[Key(tp, name)]) for name in wanted))


def jit_problems(graph: Graph, key: Key, asked_by: str) -> list[Problem]:
    """The compiler's problems for a just-in-time binding of ``key``; the graph is untouched."""
    comp = _jit_compiler(graph, key, asked_by)
    return [] if isinstance(comp, str) else comp.problems


def _jit_compiler(graph: Graph, key: Key, asked_by: str) -> Compiler | str:
    """A compiler that has planned and checked ``key`` just in time, or why it cannot."""
    comp = Compiler(graph, graph, overlay=True)
    comp.asked_by = asked_by
    draft = comp.lookup(key) if graph.generics else None  # a closed key of an open binding
    if draft is None and comp.problems:  # an open binding that cannot serve it
        return comp
    if draft is None:
        reason = comp.jit_reason(key)
        if reason is not None:
            return reason
        draft = comp.jit(key)
    if draft is None:  # a factory whose product cannot be built
        inner = product_key(key)
        assert inner is not None
        if comp.problems:
            return comp
        return f"{inner} {comp.jit_reason(inner)}"
    draft.asked_by = asked_by
    comp.resolve_all()
    comp.check()
    return comp


def _jit_error(comp: Compiler, key: Key) -> ResolutionError:
    return checks.resolution_error(str(key), comp.problems, comp.missing)


def suggestions_for(graph: Graph, key: Key) -> list[str]:
    """Bound keys close to ``key`` (for a missing-binding message at resolve time)."""
    public = ((k, b) for k, b in graph.bindings.items() if k.space is None)
    return checks.suggestions(key, public)
