"""Injection points as the compiler sees them: which bindings take one, and their problems.

A binding whose target (a provider, or a class's constructor) has a parameter annotated
``InjectionPoint`` is built anew for each parameter it is injected into, with that
parameter's point (`injectq._nodes.at_point`, applied by `injectq._build.build_dep`). Such a
binding cannot be cached: one instance would serve every point. This module words that
problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from injectq._marks import SINGLETON, TRANSIENT
from injectq._plan import Strategy
from injectq.errors import Problem

__all__ = ["scope_problems"]


def scope_problems(nodes: Iterable[Any], where: Callable[[Any], tuple[str, ...]]) -> list[Problem]:
    """Each draft among ``nodes`` that takes an ``InjectionPoint`` but is not transient."""
    problems: list[Problem] = []
    for node in nodes:
        if node.scope == TRANSIENT:
            continue
        params = [d.param.name for d in node.deps if d.strategy == Strategy.POINT]
        if not params:
            continue
        scoped = "a singleton" if node.scope == SINGLETON else f'scoped "{node.scope}"'
        call = "singleton()" if node.scope == SINGLETON else f'scoped("{node.scope}")'
        owner = node.sig.owner if node.sig is not None else str(node.key)
        problems.append(
            Problem(
                "injection-point-scope",
                f"{node.key} is {scoped}, but {owner} takes an InjectionPoint (parameter "
                f"'{params[0]}'): it is built for each parameter it is injected into, so "
                "one instance cannot serve them all.",
                where(node),
                f"drop .{call} (or the scope of its @provider or class): a binding taking an "
                "InjectionPoint is transient; or drop the InjectionPoint parameter.",
            )
        )
    return problems
