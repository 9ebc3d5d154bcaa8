"""What a ``Factory[T]`` builds, as the compiler sees it, and the problems it can have.

A parameter annotated ``Factory[T]`` is planned as a factory binding of the key
``Factory[T]`` (kind ``"factory"``), made by the compiler when first asked for. Its target
is its *product*: a transient draft of the class or provider ``T`` is bound to (or of ``T``
itself, just in time), held by no index, whose parameters marked ``Assisted[...]`` are
passed by each call. This module chooses what the product is built with, makes the
factory's head, and words the problems: a ``T`` bound to something a factory cannot build
anew, and a parameter asking directly for what only a factory can build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from injectq._checks import annotation
from injectq._keys import Key, describe, origin_of, product_key
from injectq._marks import TRANSIENT
from injectq._module import TargetKind
from injectq._nodes import Binding
from injectq._plan import Strategy
from injectq._provided import CallKind
from injectq._source import Source, object_source
from injectq.errors import Problem

__all__ = [
    "assisted_problems",
    "can_build",
    "factory_head",
    "factory_target",
    "home_of",
    "made_where",
    "product_target",
    "record_of",
]

Made = tuple[str, Any, Source]
"""What a product is built with: its kind (class or provider), its target, its source."""


def product_target(node: Any, inner: Key, *, buildable: bool) -> Made | None:
    """What a factory of ``inner`` builds with: ``node``'s target, or ``inner``'s class.

    Args:
        node: The binding (or draft) of ``inner``, or None when nothing binds it.
        inner: The product's key.
        buildable: Whether ``inner``'s class can be made just in time.

    Returns:
        None when there is nothing to build. The caller checks ``node``'s kind first.
    """
    if node is not None:
        return node.kind, node.target, node.source
    if not buildable:
        return None
    target = inner.tp
    return TargetKind.CLASS, target, object_source(origin_of(target))


def can_build(node: Any) -> bool:
    """Whether a factory can build anew what ``node`` binds (a class or a provider)."""
    return node.kind in (TargetKind.CLASS, TargetKind.PROVIDER)


def record_of(node: Any) -> Any:
    """The element a binding (or draft) was compiled from; None for a just-in-time one."""
    return node.record if isinstance(node, Binding) else node.head.record


def home_of(binding: Binding) -> Any:
    """Where a compiled binding's parameters are looked up from (its private module)."""
    return binding.record.space if binding.record is not None else binding.key.space


def factory_head(key: Key, source: Source) -> Binding:
    """The head of the factory binding of ``key`` (``Factory[T]``); its target comes later."""
    return Binding(
        key,
        TRANSIENT,
        TargetKind.FACTORY,
        None,
        CallKind.SYNC,
        (),
        source,
        resource=False,
        async_init=False,
        async_teardown=False,
        needs_async=False,
        eager=False,
        jit=True,
        record=None,
    )


def made_where(draft: Any, where: Callable[[Any], tuple[str, ...]]) -> tuple[str, ...] | None:
    """Where a factory's draft or its product's comes from; None for any other draft.

    A product: where its binding is, then which factory builds it; a factory: who asked.
    """
    if draft.product_of is not None:
        bound = (f"{draft.key} bound at: {draft.source}",) if draft.bound else ()
        return (*bound, *where(draft.needed_by))
    if draft.product is None:
        return None
    made = f"{draft.product.key} built by {draft.key}"
    asker = draft.needed_by
    if asker is None:
        return (f"{made} for {draft.asked_by}" if draft.asked_by else made,)
    owner = asker.sig.owner if asker.sig is not None else str(asker.key)
    return (f"{made} for parameter '{draft.needed_as}' of {owner}", *where(asker))


def factory_target(
    key: Key, node: Any, asker: Any, param: str, where: Callable[[Any], tuple[str, ...]]
) -> Problem:
    """A ``Factory[T]`` of a ``T`` bound to something a factory cannot construct anew."""
    product = product_key(key)
    assert product is not None
    requested = f"parameter '{param}' of {asker.sig.owner}" if asker and asker.sig else ""
    what = {TargetKind.INSTANCE: "an instance", TargetKind.CONTEXT: "context of a scope"}.get(
        node.kind, f"a {node.kind} binding"
    )
    asked = (f"Requested by: {requested}",) if requested else ()
    return Problem(
        "factory-target",
        f"{key} cannot build {product}: {product} is bound to {what}, which a factory "
        "cannot construct anew.",
        (
            *asked,
            *(where(asker) if asker is not None else ()),
            f"{product} bound at: {node.source}",
        ),
        f"bind {describe(product.tp)} to a class or a provider function (each call of the "
        f"factory constructs one), or ask for {annotation(product)} itself.",
    )


def assisted_problems(
    nodes: Iterable[Any], where: Callable[[Any], tuple[str, ...]]
) -> list[Problem]:
    """Each parameter (or eager binding) asking directly for what only a factory can build.

    A binding whose target takes ``Assisted[...]`` parameters is built by a ``Factory[T]``
    call only; each draft among ``nodes`` whose parameter asks for it is a problem.
    """
    problems: list[Problem] = []
    for node in nodes:
        if node.head.eager and _assisted(node):
            problems.append(_eager_assisted(node, where))
        owner = node.sig.owner if node.sig is not None else str(node.key)
        for d in node.deps:
            for target in d.targets():
                names = _assisted(target)
                if names:
                    problems.append(
                        _assisted_injected(
                            target, names, d.param.name, owner=owner, node=node, where=where
                        )
                    )
    return problems


def _assisted(node: Any) -> list[str]:
    """The names of ``node``'s parameters marked ``Assisted[...]``."""
    return [
        d.param if isinstance(d.param, str) else d.param.name
        for d in node.deps
        if d.strategy == Strategy.ASSISTED
    ]


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _assisted_injected(
    target: Any,
    names: list[str],
    param: str,
    *,
    owner: str,
    node: Any,
    where: Callable[[Any], tuple[str, ...]],
) -> Problem:
    t = annotation(target.key)
    plural = "s" if len(names) > 1 else ""
    defined = "defined" if target.jit else "bound"
    return Problem(
        "assisted-parameter",
        f"{target.key} cannot be injected: its parameter{plural} {_quoted(names)} "
        f"{'are' if plural else 'is'} Assisted, passed when a Factory[{t}] is called.",
        (
            f"Requested by: parameter '{param}' of {owner}",
            *where(node),
            f"{target.key} {defined} at: {target.source}",
        ),
        f"take {param}: Factory[{t}] and call it with the Assisted argument{plural}, or drop "
        f"Assisted[...] from {describe(target.key.tp)}'s parameter{plural}.",
    )


def _eager_assisted(node: Any, where: Callable[[Any], tuple[str, ...]]) -> Problem:
    names = _assisted(node)
    plural = "s" if len(names) > 1 else ""
    return Problem(
        "assisted-parameter",
        f"{node.key} is eager, but its parameter{plural} {_quoted(names)} "
        f"{'are' if plural else 'is'} Assisted, passed only when a "
        f"Factory[{annotation(node.key)}] is called.",
        where(node),
        f"drop .eager() and take Factory[{annotation(node.key)}] where it is needed, or drop "
        "Assisted[...] from its parameters.",
    )
