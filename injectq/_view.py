"""A public, read-only view of a compiled graph, for tools and diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from injectq._graph import Binding, Graph, Strategy
from injectq._introspect import CallKind
from injectq._keys import Key, describe

__all__ = ["BindingInfo", "DependencyInfo", "GraphView"]


@attrs.frozen
class DependencyInfo:
    """What one parameter of a binding receives.

    Attributes:
        parameter: The parameter name.
        strategy: ``"binding"``, ``"value"`` (a default, or None for ``T | None``),
            ``"provider"`` (a `Provider[T]`), ``"mapping"`` (the named bindings of a type)
            or ``"container"`` (the container itself).
        key: The type asked for (None for ``"value"`` and ``"container"``).
        name: The binding name asked for, if any.
        names: For ``"mapping"``: the names of the bindings it receives, in install order.
    """

    parameter: str
    strategy: str
    key: Any = None
    name: str | None = None
    names: tuple[str, ...] = ()


@attrs.frozen
class BindingInfo:
    """One installed binding.

    Attributes:
        key: The type it provides.
        name: Its name, or None.
        scope: ``"singleton"``, ``"transient"`` or a scope name.
        kind: ``"class"``, ``"instance"``, ``"provider"``, ``"async provider"``,
            ``"generator"`` or ``"async generator"``.
        target: A readable name of the class, function or instance it is bound to.
        dependencies: What each parameter of the target receives.
        needs_async: Whether resolving it needs an ``await``.
        resource: Whether the container initializes or disposes it.
        eager: Created when the container is entered.
        just_in_time: Added because something needed it, not bound by a module.
        default: Declared with ``as_default()``.
        file: The file it was bound in.
        line: The line it was bound at.
        modules: The module that bound it, then the modules that installed that one.
    """

    key: Any
    name: str | None
    scope: str
    kind: str
    target: str
    dependencies: tuple[DependencyInfo, ...]
    needs_async: bool
    resource: bool
    eager: bool
    just_in_time: bool
    default: bool
    file: str
    line: int
    modules: tuple[str, ...]

    @property
    def label(self) -> str:
        """``Handler named "email"``."""
        return describe(self.key, self.name)

    @property
    def location(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"


_KINDS = {
    CallKind.ASYNC: "async provider",
    CallKind.GENERATOR: "generator",
    CallKind.ASYNC_GENERATOR: "async generator",
}


def _info(binding: Binding) -> BindingInfo:
    kind = _KINDS.get(binding.call, "provider") if binding.kind == "provider" else binding.kind
    if binding.kind == "instance":
        target = f"<{type(binding.target).__qualname__} instance>"
    else:
        target = getattr(binding.target, "__qualname__", None) or describe(binding.target)
    deps = []
    for dep in binding.deps:
        key: Key | None = None
        if dep.strategy == Strategy.BINDING and dep.binding is not None:
            key = dep.binding.key
        elif dep.strategy in (Strategy.PROVIDER, Strategy.MAPPING):
            key = dep.key
        deps.append(
            DependencyInfo(
                dep.param,
                dep.strategy,
                key.tp if key is not None else None,
                key.name if key is not None else None,
                tuple(n for n, _ in dep.items),
            )
        )
    source = binding.source
    return BindingInfo(
        binding.key.tp,
        binding.key.name,
        binding.scope,
        kind,
        target,
        tuple(deps),
        binding.needs_async,
        binding.resource,
        binding.eager,
        binding.jit,
        binding.default,
        source.file,
        source.line,
        source.modules,
    )


class GraphView:
    """The installed bindings of a container, in install order (read-only).

    Example:
        ```python
        for info in container.graph:
            print(info.label, info.scope, info.location)
        ```
    """

    __slots__ = ("_graph", "_infos")

    def __init__(self, graph: Graph) -> None:
        self._graph = graph
        self._infos: dict[Key, BindingInfo] | None = None

    def _all(self) -> dict[Key, BindingInfo]:
        if self._infos is None:
            self._infos = {key: _info(b) for key, b in self._graph.bindings.items()}
        return self._infos

    def __iter__(self) -> Iterator[BindingInfo]:
        return iter(self._all().values())

    def __len__(self) -> int:
        return len(self._graph.bindings)

    def get(self, key: Any, name: str | None = None) -> BindingInfo | None:
        """The binding of ``key`` (and name), or None."""
        try:
            return self._all().get(Key(key, name))
        except TypeError:  # an unhashable key is bound to nothing
            return None

    @property
    def modules(self) -> tuple[str, ...]:
        """The names of the installed modules, in install order."""
        return self._graph.modules

    def __repr__(self) -> str:
        return f"<GraphView bindings={len(self)}>"
