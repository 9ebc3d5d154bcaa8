"""The arguments of a call made through ``call()``/``acall()``/``@inject``, from its plan.

A function's plan (`injectq._calls.FunctionPlan`) says what each parameter receives; here the
parameters a caller left out are resolved through the resolver, in the ambient scope, and
placed among the caller's own arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from injectq._calls import FunctionPlan, arrange, pending
from injectq._graph import Dep, Strategy
from injectq._keys import InjectionPoint
from injectq._tracing import trace

__all__ = ["afill", "fill"]


def fill(
    plan: FunctionPlan,
    resolver: Any,
    container: Any,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> tuple[list[Any], dict[str, Any]]:
    """The positional and keyword arguments to call the planned function with."""
    sync = resolver.sync
    filled: list[tuple[int, Any]] = []
    for index, dep in pending(plan, args, kwargs):
        try:
            if dep.strategy == Strategy.BINDING:
                assert dep.binding is not None
                value = sync(dep.binding)(None)
            elif dep.strategy == Strategy.MAPPING:
                value = {n: sync(b)(None) for n, b in dep.items}
            else:
                value = _constant(dep, resolver, container)
        except Exception as exc:
            trace(exc, f"{plan.sig.owner}({dep.param})")
            raise
        filled.append((index, value))
    return arrange(plan, args, kwargs, filled)


async def afill(
    plan: FunctionPlan,
    resolver: Any,
    container: Any,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> tuple[list[Any], dict[str, Any]]:
    """`fill` awaiting async bindings."""
    aresolve = resolver.aresolve
    filled: list[tuple[int, Any]] = []
    for index, dep in pending(plan, args, kwargs):
        try:
            if dep.strategy == Strategy.BINDING:
                assert dep.binding is not None
                value = await aresolve(dep.binding)
            elif dep.strategy == Strategy.MAPPING:
                value = {n: await aresolve(b) for n, b in dep.items}
            else:
                value = _constant(dep, resolver, container)
        except Exception as exc:
            trace(exc, f"{plan.sig.owner}({dep.param})")
            raise
        filled.append((index, value))
    return arrange(plan, args, kwargs, filled)


def _constant(dep: Dep, resolver: Any, container: Any) -> Any:
    """What a parameter receives without resolving anything now."""
    if dep.strategy == Strategy.PROVIDER:
        assert dep.key is not None
        return resolver.provider_for(dep.key, awaitable=dep.awaitable, point=dep.value)
    if dep.strategy == Strategy.CONTAINER:
        return container
    if dep.strategy == Strategy.POINT:  # a function called through the container: no point
        return InjectionPoint(None)
    if dep.strategy == Strategy.FACTORY:  # its callable for the ambient scope
        assert dep.value is not None  # a function plan's factories are built already
        return resolver.sync(dep.value)(None)
    return dep.value
