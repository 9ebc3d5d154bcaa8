"""A public, read-only view of a compiled graph, for tools and diagnostics."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import attrs

from injectq._graph import Binding, Dep, Graph, Strategy
from injectq._keys import Key, Part, describe
from injectq._module import TargetKind
from injectq._nodes import OpenBinding
from injectq._open import scope_of
from injectq._provided import CallKind, call_kind

__all__ = ["BindingInfo", "DependencyInfo", "GraphView", "PrivateModuleInfo"]


@attrs.frozen
class DependencyInfo:
    """What one parameter of a binding receives.

    Attributes:
        parameter: The parameter name.
        strategy: ``"binding"``, ``"value"`` (a default, or None for ``T | None``),
            ``"provider"`` (a `Provider[T]`), ``"async provider"`` (an `AsyncProvider[T]`),
            ``"factory"`` (a `Factory[T]`), ``"assisted"`` (passed by the caller of the
            factory that builds it), ``"point"`` (the `InjectionPoint` of whoever asks),
            ``"mapping"`` (the named bindings of a type) or ``"container"`` (the container
            itself).
        key: The type asked for (``Factory[T]`` for ``"factory"``; None for ``"value"``,
            ``"assisted"`` and ``"container"``).
        name: The binding name asked for, if any.
        names: For ``"mapping"``: the names of the bindings it receives, in install order.
        part: When it receives an element of a collection or the binding inside a
            decorator: that binding's label (``Middleware (element 2 of list[Middleware])``,
            ``Repository (undecorated)``).
    """

    parameter: str
    strategy: str
    key: Any = None
    name: str | None = None
    names: tuple[str, ...] = ()
    part: str = ""


@attrs.frozen
class BindingInfo:
    """One installed binding.

    Attributes:
        key: The type it provides.
        name: Its name, or None.
        scope: ``"singleton"``, ``"transient"`` or a scope name.
        kind: ``"class"``, ``"instance"``, ``"provider"``, ``"async provider"``,
            ``"generator"``, ``"async generator"``, ``"context"`` (declared
            ``.from_context()``: handed in when a scope of its name is entered) or
            ``"collection"`` (``list[T]``: its dependencies are the elements, in order) or
            ``"factory"`` (a ``Factory[T]``, made for the parameters that take one).
        target: A readable name of the class, function or instance it is bound to (for a
            factory: the class or provider function each call builds with).
        dependencies: What each parameter of the target receives.
        needs_async: Whether resolving it needs an ``await``.
        resource: Whether the container initializes or disposes it.
        eager: Created when the container is entered.
        just_in_time: Added because something needed it, not bound by a module.
        default: Declared with ``as_default()``.
        file: The file it was bound in.
        line: The line it was bound at.
        modules: The module that bound it, then the modules that installed that one.
        private_to: The private module whose bindings alone see it, or None when every
            binding (and ``get()``) sees it.
        exposed_by: For a binding made inside a private module and seen outside it: the
            private module whose ``expose()`` made it visible there.
        role: ``""`` for a binding of its own key; ``"element"`` for an element of a
            collection (``key`` is the element type); ``"inner"`` for a decorated binding
            as it was bound, inside its decorators; ``"decorator"`` for each decorator
            (the outermost holds the key; ``key`` and ``name`` are the decorated key's).
        part: For the roles but the outermost decorator: how messages name it.
        open_generic: An open generic binding (its key holds a type variable, ``Repo[T]``):
            not resolved itself, it serves each closed key that matches it.
        closes: For a closed key served by an open binding (``Repo[User]``): that open
            binding's key (``Repo[T]``); else None.
        injection_point: Its target takes an ``InjectionPoint``: it is built for each
            parameter it is injected into, with that parameter's point.
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
    private_to: str | None = None
    exposed_by: str | None = None
    role: str = ""
    part: str = ""
    open_generic: bool = False
    closes: Any = None
    injection_point: bool = False

    @property
    def label(self) -> str:
        """``Handler named "email"``; a part's own label (``Repository (undecorated)``)."""
        return self.part or describe(self.key, self.name)

    @property
    def location(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"


@attrs.frozen
class PrivateModuleInfo:
    """One installed `PrivateModule`: what it keeps to itself and what it exposes.

    Attributes:
        module: The private module's class name.
        modules: That module, then the modules that installed it.
        file: The file its class is defined in.
        line: The line its class is defined at.
        exposes: The bindings it makes visible to the modules around it.
        keeps: The bindings only the bindings inside it see (just-in-time ones included).
    """

    module: str
    modules: tuple[str, ...]
    file: str
    line: int
    exposes: tuple[BindingInfo, ...]
    keeps: tuple[BindingInfo, ...]


_KINDS = {
    CallKind.ASYNC: "async provider",
    CallKind.GENERATOR: "generator",
    CallKind.ASYNC_GENERATOR: "async generator",
}


def _public(key: Key) -> tuple[Any, str | None, str]:
    """The type and name a view shows for ``key``, and a part's label."""
    tp = key.tp
    if isinstance(tp, Part):
        return tp.tp, tp.of.name if tp.role != "element" else None, tp.label
    return tp, key.name, ""


def _role(binding: Binding) -> str:
    tp = binding.key.tp
    if isinstance(tp, Part) and tp.role in ("element", "inner"):
        return tp.role
    if binding.record is not None and binding.record.kind == TargetKind.DECORATOR:
        return "decorator"
    return ""


def _info(binding: Binding) -> BindingInfo:
    kind = _KINDS.get(binding.call, "provider") if binding.kind == "provider" else binding.kind
    built = binding.product or binding  # a factory shows what it builds with
    if binding.kind == "instance":
        target = f"<{type(binding.target).__qualname__} instance>"
    elif binding.kind == "context":
        target = f'from_context(scope="{binding.scope}")'
    elif typing.get_origin(binding.target) is not None:
        target = describe(binding.target)  # a parametrised generic class: SqlRepo[User]
    else:
        target = getattr(built.target, "__qualname__", None) or describe(built.target)
    deps = []
    for dep in built.deps:
        key: Key | None = None
        if dep.strategy == Strategy.BINDING and dep.binding is not None:
            key = dep.binding.key
        elif dep.strategy in (
            Strategy.PROVIDER,
            Strategy.MAPPING,
            Strategy.FACTORY,
        ) or _is_class_value(dep):
            key = dep.key
        tp, name, part = _public(key) if key is not None else (None, None, "")
        deps.append(
            DependencyInfo(
                dep.param,
                "async provider" if dep.awaitable else dep.strategy,
                tp,
                name,
                tuple(n for n, _ in dep.items),
                part,
            )
        )
    source = binding.source
    space = binding.key.space
    home = binding.record.space if binding.record is not None else None
    tp, name, part = _public(binding.key)
    return BindingInfo(
        tp,
        name,
        binding.scope,
        kind,
        target,
        tuple(deps),
        binding.needs_async,
        binding.resource,
        binding.eager,
        binding.jit and binding.closes is None,
        binding.default,
        source.file,
        source.line,
        source.modules,
        space.module if space is not None else None,
        _exposer(home, space).module if home is not None and home is not space else None,
        _role(binding),
        part,
        closes=binding.closes,
        injection_point=built.per_point,
    )


def _open_info(binding: OpenBinding) -> BindingInfo:
    """An open generic binding: no parameters of its own, it serves closed keys."""
    el, space = binding.record, binding.key.space
    home = el.space
    if binding.kind == "provider":
        kind, target = _KINDS.get(call_kind(binding.target), "provider"), binding.target
        shown = getattr(target, "__qualname__", None) or describe(target)
    else:
        kind, shown = "class", describe(binding.target)
    source = el.source
    return BindingInfo(
        binding.key.tp,
        binding.key.name,
        scope_of(binding),
        kind,
        shown,
        (),
        needs_async=False,
        resource=False,
        eager=False,
        just_in_time=False,
        default=el.default,
        file=source.file,
        line=source.line,
        modules=source.modules,
        private_to=space.module if space is not None else None,
        exposed_by=_exposer(home, space).module if home is not None and home is not space else None,
        open_generic=True,
    )


def _exposer(home: Any, space: Any) -> Any:
    """The private module, on ``home``'s chain, whose expose() lifted a binding to ``space``."""
    while home.parent is not space:
        home = home.parent
    return home


class GraphView:
    """The installed bindings of a container, in install order (read-only).

    Example:
        ```python
        for info in container.graph:
            print(info.label, info.scope, info.location)
        ```
    """

    __slots__ = ("_graph", "_infos", "_nodes")

    def __init__(self, graph: Graph) -> None:
        self._graph = graph
        self._infos: dict[Key, BindingInfo] | None = None
        self._nodes: dict[Key, Binding] = {}

    def _all(self) -> dict[Key, BindingInfo]:
        if self._infos is None:
            self._nodes = dict(self._graph.every())
            infos = {key: _info(b) for key, b in self._nodes.items()}
            infos.update((key, _open_info(b)) for key, b in self._graph.generics.items())
            self._infos = infos
        return self._infos

    def __iter__(self) -> Iterator[BindingInfo]:
        return iter(self._all().values())

    def __len__(self) -> int:
        graph = self._graph
        return len(graph.bindings) + len(graph.jit) + len(graph.generics)

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

    @property
    def private_modules(self) -> tuple[PrivateModuleInfo, ...]:
        """Each installed private module, with what it exposes and what it keeps, in order."""
        infos = self._all()
        spaces: dict[Any, tuple[list[BindingInfo], list[BindingInfo]]] = {}
        nodes: list[tuple[Key, Any]] = [*self._nodes.items(), *self._graph.generics.items()]
        for key, node in nodes:
            home = node.record.space if node.record is not None else key.space
            while home is not None:
                exposes, keeps = spaces.setdefault(home, ([], []))
                if home is key.space:
                    keeps.append(infos[key])
                    break
                exposes.append(infos[key])
                home = home.parent
        return tuple(
            PrivateModuleInfo(
                space.module,
                space.modules,
                space.source.file,
                space.source.line,
                tuple(exposes),
                tuple(keeps),
            )
            for space, (exposes, keeps) in spaces.items()
        )

    def context_keys(self, scope: str = "request") -> tuple[BindingInfo, ...]:
        """The context keys a scope of this name must be handed, in install order.

        These are the keys declared ``.from_context(scope=...)`` for it (kind ``"context"``);
        one that an override or another binding replaces is served by the replacement and
        is not listed. An integration hands in ``context={info.key: value}``, or
        ``Annotated[info.key, Named(info.name)]`` for a named one.
        """
        declared = self._graph.context.get(scope, {})
        return tuple(_info(b) for b in declared.values() if b.kind == "context")

    def __repr__(self) -> str:
        return f"<GraphView bindings={len(self)}>"

    # -- exports ----------------------------------------------------------------------------

    def _ids(self) -> dict[Key, str]:
        return {key: f"n{i}" for i, key in enumerate(self._all())}

    def _edges(self) -> list[tuple[str, str, str, str]]:
        """(from id, to id, parameter, edge kind) for every dependency edge.

        The kind is ``"binding"``, ``"provider"`` (resolved when called) or ``"factory"``
        (builds a new one per call).
        """
        ids = self._ids()
        edges = []
        for key, node in self._nodes.items():
            for dep in (node.product or node).deps:  # a factory's: what it builds with
                if dep.strategy == Strategy.BINDING and dep.binding is not None:
                    target = ids.get(dep.binding.key)
                    if target is not None:
                        edges.append((ids[key], target, dep.param, "binding"))
                elif dep.strategy in (Strategy.PROVIDER, Strategy.FACTORY) and dep.key is not None:
                    target = ids.get(dep.key)
                    if target is not None:
                        edges.append((ids[key], target, dep.param, dep.strategy))
                elif dep.strategy == Strategy.MAPPING:
                    for name, item in dep.items:
                        target = ids.get(item.key)
                        if target is not None:
                            edges.append((ids[key], target, f"{dep.param}[{name}]", "binding"))
        return edges

    def _by_scope(self) -> dict[str, list[tuple[str, BindingInfo]]]:
        groups: dict[str, list[tuple[str, BindingInfo]]] = {}
        ids = self._ids()
        for key, info in self._all().items():
            groups.setdefault(info.scope, []).append((ids[key], info))
        return groups

    def to_dot(self) -> str:
        """The graph in Graphviz DOT: one cluster per scope, Provider[T] edges dashed.

        Factory[T] edges are dotted.
        """
        lines = [
            "digraph injectq {",
            "  rankdir=LR;",
            '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
        ]
        for scope, members in self._by_scope().items():
            colour = _COLOURS.get(scope, _COLOURS["scoped"])
            lines.append(f"  subgraph cluster_{_ident(scope)} {{")
            lines.append(f'    label="{_dot_escape(scope)}"; color="{colour}";')
            for node, info in members:
                label = _dot_escape("\n".join(_label_lines(info)))
                lines.append(f'    {node} [label="{label}", fillcolor="{colour}"];')
            lines.append("  }")
        for source, target, parameter, kind in self._edges():
            style = _DOT_STYLES.get(kind, "")
            lines.append(f'  {source} -> {target} [label="{_dot_escape(parameter)}"{style}];')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_mermaid(self) -> str:
        """The graph as a Mermaid flowchart: one subgraph per scope, dotted Provider edges.

        Factory edges are thick.
        """
        lines = ["flowchart LR"]
        for scope, members in self._by_scope().items():
            lines.append(f'  subgraph {_ident(scope)}["{_mermaid_escape(scope)}"]')
            for node, info in members:
                label = "<br/>".join(_mermaid_escape(part) for part in _label_lines(info))
                lines.append(f'    {node}["{label}"]')
            lines.append("  end")
        for source, target, parameter, kind in self._edges():
            arrow = _MERMAID_ARROWS.get(kind, "-->")
            lines.append(f'  {source} {arrow}|"{_mermaid_escape(parameter)}"| {target}')
        for scope in self._by_scope():
            colour = _COLOURS.get(scope, _COLOURS["scoped"])
            lines.append(f"  style {_ident(scope)} fill:{colour}")
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        """One line per binding, with what each parameter receives indented below it."""
        lines = []
        for info in self:
            lines.append(_summary(info))
            lines.extend(f"    {_dependency(dep)}" for dep in info.dependencies)
        return "\n".join(lines) + ("\n" if lines else "")

    def explain(self, key: Any, name: str | None = None) -> str:
        """How ``key`` is resolved: the chain of bindings below it, as an indented tree.

        A binding already shown higher in the tree is not expanded again.
        """
        root = self.get(key, name)
        if root is None:
            names = [info.name for info in self if info.key == key and info.name]
            hint = (
                f" (it is bound with names: {', '.join(repr(n) for n in names)})" if names else ""
            )
            return f"{describe(key, name)} is not bound{hint}.\n"
        infos = self._all()
        lines = [_summary(root)]
        start = Key(key, name)
        seen = {start}
        stack: list[tuple[Key, int, str]] = [(start, 0, "")]
        while stack:
            at, index, indent = stack.pop()
            info = infos[at]
            if index >= len(info.dependencies):
                continue
            node = self._nodes[at]
            stack.append((at, index + 1, indent))
            dep = info.dependencies[index]
            last = index == len(info.dependencies) - 1
            branch, child_indent = ("└── ", "    ") if last else ("├── ", "│   ")
            lines.append(f"{indent}{branch}{_dependency(dep)}")
            held = (node.product or node).deps[index]
            target = held.binding if held.strategy == Strategy.BINDING else None
            if held.strategy == Strategy.FACTORY and held.key is not None and held.key in infos:
                target = self._nodes[held.key]
            if target is not None and target.key in infos:
                child = infos[target.key]
                lines[-1] += f"  =>  {_summary(child)}"
                if target.key in seen:
                    if child.dependencies:
                        lines[-1] += "  (shown above)"
                else:
                    seen.add(target.key)
                    stack.append((target.key, 0, indent + child_indent))
        return "\n".join(lines) + "\n"


_COLOURS = {"singleton": "#dbeafe", "transient": "#f3f4f6", "scoped": "#fef3c7"}
_DOT_STYLES = {"provider": ", style=dashed", "factory": ", style=dotted"}
_MERMAID_ARROWS = {"provider": "-.->", "factory": "==>"}


def _ident(text: str) -> str:
    return "scope_" + "".join(c if c.isalnum() else "_" for c in text)


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _mermaid_escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _label_lines(info: BindingInfo) -> list[str]:
    """The lines of a node's label in the drawings: key, target, where it is seen."""
    lines = [info.label, _what(info, ": ")]
    if info.private_to is not None:
        lines.append(f"private to {info.private_to}")
    if info.exposed_by is not None:
        lines.append(f"exposed by {info.exposed_by}")
    return lines


def _what(info: BindingInfo, sep: str = " ") -> str:
    """What a binding is: ``class Impl``, ``decorator Caching``, ``collection of 3``."""
    if info.role == "decorator":
        return f"decorator{sep}{info.target}"
    if info.kind == "collection":
        return f"collection of {len(info.dependencies)}"
    if info.kind == "instance" and sep == " ":
        return info.target
    return f"{info.kind}{sep}{info.target}"


def _summary(info: BindingInfo) -> str:
    flags = [
        info.scope if info.scope in ("singleton", "transient") else f'scoped "{info.scope}"',
        _what(info),
    ]
    if info.kind == "context":
        flags = [f'context of scope "{info.scope}"']
    if info.needs_async:
        flags.append("async")
    if info.just_in_time:
        flags.append("just in time")
    if info.open_generic:
        flags.append("open generic")
    if info.closes is not None:
        flags.append(f"closes {describe(info.closes)}")
    if info.injection_point:
        flags.append("per injection point")
    if info.default:
        flags.append("default")
    if info.private_to is not None:
        flags.append(f"private to {info.private_to}")
    if info.exposed_by is not None:
        flags.append(f"exposed by {info.exposed_by}")
    where = f"{info.location} (in {' <- '.join(info.modules)})" if info.modules else (info.location)
    return f"{info.label}  [{', '.join(flags)}]  {where}"


def _is_class_value(dep: Dep) -> bool:
    """A ``type[C]`` parameter that receives the class ``C`` itself."""
    if dep.strategy != Strategy.VALUE or dep.key is None:
        return False
    return typing.get_origin(dep.key.tp) is type and typing.get_args(dep.key.tp) == (dep.value,)


def _dependency(dep: DependencyInfo) -> str:
    if dep.part:
        return f"{dep.parameter}: {dep.part}"
    if dep.strategy == "binding":
        return f"{dep.parameter}: {describe(dep.key, dep.name)}"
    if dep.strategy == "provider":
        return f"{dep.parameter}: Provider[{describe(dep.key, dep.name)}] (resolved when called)"
    if dep.strategy == "async provider":
        what = describe(dep.key, dep.name)
        return f"{dep.parameter}: AsyncProvider[{what}] (resolved when awaited)"
    if dep.strategy == "factory":
        return f"{dep.parameter}: {describe(dep.key, dep.name)} (builds a new one per call)"
    if dep.strategy == "assisted":
        return f"{dep.parameter}: passed by the caller of the factory (Assisted)"
    if dep.strategy == "mapping":
        names = ", ".join(f'"{n}"' for n in dep.names) or "none yet"
        return f"{dep.parameter}: dict of {describe(dep.key)} named {names}"
    if dep.strategy == "container":
        return f"{dep.parameter}: the container"
    if dep.strategy == "point":
        return f"{dep.parameter}: the injection point (who asks)"
    if dep.key is not None:  # type[C]: the class itself
        return f"{dep.parameter}: the class {describe(typing.get_args(dep.key)[0])}"
    return f"{dep.parameter}: its default value (or None)"
