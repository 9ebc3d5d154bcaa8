"""Compile binding records into an immutable, validated graph.

The compiler runs no user code. It picks the winning record for each key (defaults give way,
overrides replace, duplicates are reported), reads each target's signature once, decides what
every parameter receives, adds just-in-time bindings for concrete classes that are needed,
and validates the whole graph: every problem is collected and raised together in one
`BindingError`.

The result is a DAG of frozen `Binding` nodes that compare by identity. A later compile
(another ``install()``, an override) reuses every node whose record and dependencies did not
change, so instances cached for a node survive exactly when they should: a node that depends,
directly or not, on a replaced binding is a new node and gets built afresh.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from injectq._introspect import CallKind, Param, Signature, call_kind, read_callable, read_class
from injectq._keys import Key, describe, key_problem
from injectq._module import (
    SINGLETON,
    TRANSIENT,
    BindingRecord,
    TargetKind,
    class_scope,
    is_resource_class,
)
from injectq._source import Source, object_source
from injectq.errors import BindingError, CircularDependencyError, Problem

__all__ = ["Binding", "Dep", "Graph", "Strategy", "compile_graph", "extend_graph"]


class Strategy:
    """How a parameter gets its value."""

    BINDING: Final = "binding"  # resolve another binding
    VALUE: Final = "value"  # a constant: the parameter's default, or None for T | None
    PROVIDER: Final = "provider"  # a Provider[T] for a key
    MAPPING: Final = "mapping"  # dict of the named bindings of a type
    CONTAINER: Final = "container"  # the container itself


@attrs.frozen(eq=False)
class Dep:
    """What one parameter of a binding's target receives."""

    param: str
    keyword: bool
    strategy: str
    binding: Binding | None = None
    value: Any = None
    key: Key | None = None
    items: tuple[tuple[str, Binding], ...] = ()

    def targets(self) -> tuple[Binding, ...]:
        """The bindings this parameter resolves eagerly (not through a Provider)."""
        if self.binding is not None and self.strategy == Strategy.BINDING:
            return (self.binding,)
        if self.strategy == Strategy.MAPPING:
            return tuple(b for _, b in self.items)
        return ()


@attrs.frozen(eq=False)
class Binding:
    """One compiled, validated binding: a node of the graph.

    Attributes:
        key: What it provides.
        scope: ``"singleton"``, ``"transient"`` or a scope name.
        kind: ``"class"``, ``"instance"`` or ``"provider"``.
        target: The class to construct, the instance, or the provider function.
        call: How calling the target returns its value (sync, async, generator...).
        deps: What each parameter receives, in signature order.
        source: Where it was bound.
        resource: Whether the container runs a lifecycle for it (initialize / teardown).
        async_init: Its ``initialize()`` is ``async``.
        async_teardown: Its teardown (``dispose()`` or generator) needs an ``await``.
        needs_async: Its value, or a dependency's, can only be produced with an ``await``.
        eager: Created when the container is entered.
        jit: Added just in time, not bound by a module.
        record: The record it was compiled from (None for just-in-time bindings).
        default: Declared with ``as_default()``.
    """

    key: Key
    scope: str
    kind: str
    target: Any
    call: CallKind
    deps: tuple[Dep, ...]
    source: Source
    resource: bool
    async_init: bool
    async_teardown: bool
    needs_async: bool
    eager: bool
    jit: bool
    record: BindingRecord | None
    default: bool = False

    @property
    def label(self) -> str:
        """A readable name of the key."""
        return str(self.key)

    def __repr__(self) -> str:
        return f"<Binding {self.key} scope={self.scope} at {self.source.location}>"


@attrs.frozen(eq=False)
class Graph:
    """The immutable result of ``install()``: every binding, indexed for lookup.

    Attributes:
        bindings: Every binding by key (explicit and just-in-time).
        unnamed: Unnamed bindings by type, for the fastest lookup.
        named: The named bindings of each type, in install order.
        records: The records of installed modules, in install order.
        overrides: The records of override modules, in install order.
        modules: The names of the installed modules.
        strict: Just-in-time bindings are off.
        container_type: The type a parameter annotates to receive the container.
    """

    bindings: Mapping[Key, Binding]
    unnamed: Mapping[Any, Binding]
    named: Mapping[Any, tuple[tuple[str, Binding], ...]]
    records: tuple[BindingRecord, ...]
    overrides: tuple[BindingRecord, ...]
    modules: tuple[str, ...]
    strict: bool
    container_type: Any

    @property
    def eager(self) -> tuple[Binding, ...]:
        """The bindings created when the container is entered, in install order."""
        return tuple(b for b in self.bindings.values() if b.eager)

    def __repr__(self) -> str:
        return f"<Graph bindings={len(self.bindings)}>"


def empty_graph(container_type: Any, *, strict: bool) -> Graph:
    """A graph with no bindings."""
    return Graph(
        MappingProxyType({}),
        MappingProxyType({}),
        MappingProxyType({}),
        (),
        (),
        (),
        strict,
        container_type,
    )


# --- compiling --------------------------------------------------------------------------


@attrs.define(eq=False)
class _DepSpec:
    param: str
    keyword: bool
    strategy: str
    target: _Spec | Binding | None = None
    value: Any = None
    key: Key | None = None
    items: list[tuple[str, _Spec | Binding]] = attrs.field(factory=list)

    def targets(self) -> list[_Spec | Binding]:
        if self.target is not None and self.strategy == Strategy.BINDING:
            return [self.target]
        if self.strategy == Strategy.MAPPING:
            return [t for _, t in self.items]
        return []


@attrs.define(eq=False)
class _Spec:
    key: Key
    record: BindingRecord | None
    kind: str
    target: Any
    scope: str
    source: Source
    call: CallKind = CallKind.SYNC
    resource: bool = False
    async_init: bool = False
    async_teardown: bool = False
    eager: bool = False
    jit: bool = False
    default: bool = False
    sig: Signature | None = None
    deps: list[_DepSpec] = attrs.field(factory=list)
    needs_async: bool | None = None
    built: Binding | None = None

    @property
    def label(self) -> str:
        return str(self.key)


def _scope_of(node: _Spec | Binding) -> str:
    return node.scope


def _deps_of(node: _Spec | Binding) -> Iterable[_Spec | Binding]:
    return [t for d in node.deps for t in d.targets()]


class _Compiler:
    def __init__(
        self,
        *,
        strict: bool,
        container_type: Any,
        previous: Graph | None,
        existing: Mapping[Key, Binding] | None = None,
    ) -> None:
        self.strict = strict
        self.container_type = container_type
        self.previous = previous
        self.existing: Mapping[Key, Binding] = existing or {}
        self.specs: dict[Key, _Spec] = {}
        self.order: list[Key] = []
        self.problems: list[Problem] = []
        self.has_cycle = False
        self.pending: list[_Spec] = []

    # -- picking winners ------------------------------------------------------------------

    def add_records(self, records: tuple[BindingRecord, ...], *, overriding: bool) -> None:
        groups: dict[Key, list[BindingRecord]] = {}
        for record in records:
            for text in record.problems:
                self.problems.append(
                    Problem(
                        "invalid-binding",
                        f"The binding of {describe(record.key)} is invalid: {text}.",
                        (f"Bound at: {record.source}",),
                        "fix the bind(...) call at that line.",
                    )
                )
            if record.key is None and record.provider_method:
                continue  # its missing return annotation is reported above
            problem = key_problem(record.key)
            if problem is not None:
                self.problems.append(
                    Problem(
                        "invalid-key",
                        f"{problem}, so it cannot be a binding key.",
                        (f"Bound at: {record.source}",),
                        "bind a class, an ABC, a Protocol, a parametrised generic such as "
                        "Cache[User], or a NewType.",
                    )
                )
                continue
            groups.setdefault(Key(record.key, record.name), []).append(record)
        for key, group in groups.items():
            winner = self._winner(key, group, overriding=overriding)
            if winner is None:
                continue
            if key not in self.specs:
                self.order.append(key)
            spec = self._spec_for(key, winner)
            if spec is not None:
                self.specs[key] = spec

    def _winner(
        self, key: Key, group: list[BindingRecord], *, overriding: bool
    ) -> BindingRecord | None:
        chosen = [r for r in group if not r.default_] or group
        if len(chosen) > 1:
            for record in chosen:  # still report what else is wrong with each of them
                self._spec_for(key, record)
            where = tuple(f"Bound at: {r.source}" for r in chosen)
            what = "overrides bind" if overriding else "is bound"
            self.problems.append(
                Problem(
                    "duplicate-binding",
                    f"{key} {what} {len(chosen)} times.",
                    where,
                    "keep one of them; to replace a binding from another module, install the "
                    "replacement with install(..., overrides=[...]), or mark the library's binding "
                    ".as_default().",
                )
            )
            return None
        return chosen[0]

    # -- one record -> one spec -----------------------------------------------------------

    def _spec_for(self, key: Key, record: BindingRecord) -> _Spec | None:
        kind = record.kind
        target = record.target
        if kind == TargetKind.SELF:
            target = record.key
            kind = TargetKind.CLASS

        def where() -> tuple[str, ...]:  # rendered only for a problem
            return (f"Bound at: {record.source}",)

        distinct = list(dict.fromkeys(record.scopes))
        if len(distinct) > 1:
            self.problems.append(
                Problem(
                    "scope-conflict",
                    f"{key} is given {len(distinct)} scopes: " + ", ".join(distinct) + ".",
                    where(),
                    "keep one scope call on the binding.",
                )
            )
            return None
        scope = distinct[0] if distinct else None
        if record.eager_:
            if scope not in (None, SINGLETON):
                self.problems.append(
                    Problem(
                        "scope-conflict",
                        f"{key} is eager but scoped {scope!r}; only singletons can be eager.",
                        where(),
                        f"drop .eager() or the .{_scope_call(scope)} call.",
                    )
                )
                return None
            scope = SINGLETON
        if kind == TargetKind.INSTANCE:
            if scope not in (None, SINGLETON):
                self.problems.append(
                    Problem(
                        "scope-conflict",
                        f"{key} is bound to an instance, which is always a "
                        f"singleton, but is also scoped {scope!r}.",
                        where(),
                        f"drop the .{_scope_call(scope)} call, or bind a class or provider.",
                    )
                )
                return None
            scope = SINGLETON
        elif scope is None:
            scope = (class_scope(target) if kind == TargetKind.CLASS else None) or TRANSIENT
        spec = _Spec(
            key,
            record,
            kind,
            target,
            scope,
            record.source,
            eager=record.eager_,
            default=record.default_,
        )
        if not self._check_target(spec):
            return None
        return spec

    def _check_target(self, spec: _Spec) -> bool:
        key, target = spec.key, spec.target

        def where() -> tuple[str, ...]:  # rendered only for a problem
            return (f"Bound at: {spec.source}",)

        if spec.kind == TargetKind.CLASS:
            problem = _construct_problem(target)
            if problem is not None:
                self.problems.append(
                    Problem(
                        "abstract-target",
                        f"{key} is bound to {describe(target)}, which {problem}.",
                        where(),
                        f"bind {describe(key.tp)} to a concrete class, e.g. "
                        f"self.bind({describe(key.tp)}, {describe(key.tp)}Impl), or to a provider "
                        "function or an instance.",
                    )
                )
                return False
            key_cls = typing.get_origin(key.tp) or key.tp
            target_cls = typing.get_origin(target) or target
            if (
                isinstance(key_cls, type)
                and not _is_protocol(key_cls)
                and isinstance(target_cls, type)
                and not _safe_issubclass(target_cls, key_cls)
            ):
                self.problems.append(
                    Problem(
                        "wrong-target-type",
                        f"{key} is bound to {describe(target)}, which is not "
                        f"a subclass of {describe(key.tp)}.",
                        where(),
                        f"bind {describe(key.tp)} to one of its subclasses, or use to_provider() "
                        "to build it another way.",
                    )
                )
                return False
            spec.resource = is_resource_class(target_cls)
            self._resource_hooks(spec, target_cls)
            spec.sig = read_class(target)
        elif spec.kind == TargetKind.INSTANCE:
            key_cls = key.tp
            if (
                isinstance(key_cls, type)
                and not _is_protocol(key_cls)
                and not isinstance(target, key_cls)
            ):
                self.problems.append(
                    Problem(
                        "wrong-instance-type",
                        f"{key} is bound to the instance {_short(target)}, "
                        f"of type {describe(type(target))}, which is not an instance of "
                        f"{describe(key_cls)}.",
                        where(),
                        f"bind an instance of {describe(key_cls)}, or use to_provider() "
                        "with a function that returns one.",
                    )
                )
                return False
            spec.resource = is_resource_class(type(target))
            self._resource_hooks(spec, type(target))
        else:
            spec.call = call_kind(spec.target)
            spec.sig = read_callable(spec.target)
            if spec.call in (CallKind.GENERATOR, CallKind.ASYNC_GENERATOR):
                spec.resource = True
                spec.async_teardown = spec.call is CallKind.ASYNC_GENERATOR
            else:
                provided = typing.get_origin(key.tp) or key.tp
                if isinstance(provided, type) and is_resource_class(provided):
                    spec.resource = True
                    self._resource_hooks(spec, provided)
        return True

    @staticmethod
    def _resource_hooks(spec: _Spec, cls: Any) -> None:
        if not spec.resource:
            return
        init = getattr(cls, "initialize", None)
        dispose = getattr(cls, "dispose", None)
        spec.async_init = init is not None and inspect.iscoroutinefunction(init)
        spec.async_teardown = dispose is not None and inspect.iscoroutinefunction(dispose)

    # -- dependencies ---------------------------------------------------------------------

    def resolve_all(self) -> None:
        self.pending = [self.specs[k] for k in self.order if k in self.specs]
        while self.pending:
            spec = self.pending.pop(0)
            self._resolve_deps(spec)

    def _lookup(self, key: Key) -> _Spec | Binding | None:
        spec = self.specs.get(key)
        if spec is not None:
            return spec
        return self.existing.get(key)

    def _resolve_deps(self, spec: _Spec) -> None:
        sig = spec.sig
        if sig is None:
            return
        owner = sig.owner

        def where() -> tuple[str, ...]:  # rendered only for a problem
            return (f"{describe(spec.key.tp, spec.key.name)} bound at: {spec.source}",)

        if sig.problem is not None:
            self.problems.append(
                Problem(
                    "unreadable-signature",
                    f"{owner} cannot be injected: {sig.problem}.",
                    where(),
                    "make every annotation importable at module level (a class defined inside a "
                    "function cannot be named by a string annotation), or bind a provider.",
                )
            )
            return
        if sig.variadic and spec.kind == TargetKind.CLASS:
            self.problems.append(
                Problem(
                    "variadic-parameter",
                    f"{owner} takes {', '.join(sig.variadic)}, which injectq cannot fill.",
                    where(),
                    "declare the parameters it needs explicitly, or bind "
                    f"{describe(spec.key.tp)} to a provider function that constructs it.",
                )
            )
            return
        for param in sig.params:
            dep = self._resolve_param(spec, owner, param, where)
            if dep is not None:
                spec.deps.append(dep)

    def _resolve_param(
        self, spec: _Spec, owner: str, p: Param, where: Callable[[], tuple[str, ...]]
    ) -> _DepSpec | None:
        requested = f"Requested by: parameter '{p.name}' of {owner}"
        if not p.annotated or p.problem is not None:
            if p.has_default:
                return _DepSpec(p.name, p.keyword, Strategy.VALUE, value=p.default)
            if not p.annotated:
                self.problems.append(
                    Problem(
                        "missing-annotation",
                        f"Parameter '{p.name}' of {owner} has no type "
                        "annotation, so injectq cannot tell what to pass.",
                        where(),
                        f"annotate it (e.g. {p.name}: SomeService) or give it a default value.",
                    )
                )
            else:
                self.problems.append(
                    Problem(
                        "unsupported-annotation",
                        f"Parameter '{p.name}' of {owner} cannot be injected: {p.problem}.",
                        where(),
                        "annotate it with a single type, or give it a default value.",
                    )
                )
            return None
        key_problem_text = key_problem(p.tp)
        if key_problem_text is not None:
            if p.has_default:
                return _DepSpec(p.name, p.keyword, Strategy.VALUE, value=p.default)
            self.problems.append(
                Problem(
                    "invalid-key",
                    f"Parameter '{p.name}' of {owner} asks for {describe(p.tp)}: "
                    f"{key_problem_text}.",
                    (requested, *where()),
                    "annotate it with a class, an ABC, a Protocol or a parametrised generic.",
                )
            )
            return None
        key = Key(p.tp, p.name_of)
        if p.provider:
            found = self._lookup(key) or self._jit(key)
            if found is None:
                if p.optional or p.has_default:
                    return _DepSpec(
                        p.name,
                        p.keyword,
                        Strategy.VALUE,
                        value=p.default if p.has_default else None,
                    )
                self._missing(key, spec, p, owner, where)
                return None
            return _DepSpec(p.name, p.keyword, Strategy.PROVIDER, key=key, target=found)
        found = self._lookup(key)
        if found is not None:
            return _DepSpec(p.name, p.keyword, Strategy.BINDING, target=found)
        if p.tp is self.container_type and p.name_of is None:
            return _DepSpec(p.name, p.keyword, Strategy.CONTAINER)
        if p.mapping_of is not None and p.name_of is None:
            items = self._named_of(p.mapping_of)
            return _DepSpec(p.name, p.keyword, Strategy.MAPPING, items=items, key=Key(p.mapping_of))
        if p.has_default:
            return _DepSpec(p.name, p.keyword, Strategy.VALUE, value=p.default)
        if p.optional:
            return _DepSpec(p.name, p.keyword, Strategy.VALUE, value=None)
        jit = self._jit(key)
        if jit is not None:
            return _DepSpec(p.name, p.keyword, Strategy.BINDING, target=jit)
        self._missing(key, spec, p, owner, where)
        return None

    def _named_of(self, tp: Any) -> list[tuple[str, _Spec | Binding]]:
        items: list[tuple[str, _Spec | Binding]] = []
        seen: set[Key] = set()
        for key in self.order:
            if key.tp == tp and key.name is not None and key in self.specs:
                items.append((key.name, self.specs[key]))
                seen.add(key)
        for key, binding in self.existing.items():
            if key.tp == tp and key.name is not None and key not in seen:
                items.append((key.name, binding))
        return items

    def jit_problem(self, key: Key) -> str | None:
        """Why ``key`` cannot be constructed just in time, or None when it can."""
        if key.name is not None:
            return "it is a named key, and named keys are never created just in time"
        if self.strict:
            return "is not bound and the container is strict (no just-in-time bindings)"
        return _construct_problem(key.tp, jit=True)

    def _jit(self, key: Key) -> _Spec | None:
        if self.jit_problem(key) is not None:
            return None
        existing = self._lookup(key)
        if isinstance(existing, _Spec):
            return existing
        target = key.tp
        scope = class_scope(target) or TRANSIENT
        source = object_source(typing.get_origin(target) or target)
        spec = _Spec(
            key,
            None,
            TargetKind.CLASS,
            target,
            scope,
            source,
            jit=True,
        )
        self._check_target(spec)
        self.specs[key] = spec
        self.order.append(key)
        self.pending.append(spec)
        return spec

    def _missing(
        self, key: Key, spec: _Spec, p: Param, owner: str, where: Callable[[], tuple[str, ...]]
    ) -> None:
        details = [f"Requested by: parameter '{p.name}' of {owner}", *where()]
        suggestions = self.suggestions(key)
        if suggestions:
            details.append("Did you mean: " + " or ".join(suggestions) + "?")
        reason = self.jit_problem(key)
        if reason is not None and key.name is None and isinstance(key.tp, type):
            details.append(f"Not created just in time: {describe(key.tp)} {reason}.")
        self.problems.append(
            Problem(
                "missing-binding", f"Nothing binds {key}.", tuple(details), _missing_hint(key, p)
            )
        )

    def suggestions(self, key: Key) -> list[str]:
        """Bound keys close to ``key``: other names of its type, then similar type names."""
        out: list[str] = []
        candidates: dict[str, _Spec | Binding] = {}
        for k in [*self.order, *self.existing]:
            node = self._lookup(k)
            if node is None or (isinstance(node, _Spec) and node.jit):
                continue
            if k.tp == key.tp and k.name != key.name:
                out.append(f"{k} ({node.source.location})")
            else:
                candidates[str(k)] = node
        wanted = str(key)
        close = difflib.get_close_matches(wanted, list(candidates), n=3, cutoff=0.75)
        out.extend(f"{name} ({candidates[name].source.location})" for name in close)
        return out[:4]

    # -- whole-graph checks ---------------------------------------------------------------

    def check_cycles(self) -> None:
        done: set[int] = set()
        reported: set[frozenset[int]] = set()
        for key in list(self.order):
            root = self.specs.get(key)
            if root is None or id(root) in done:
                continue
            # Depth-first with an explicit stack: (spec, its eager targets, next index).
            path: list[_Spec] = [root]
            on_path: dict[int, int] = {id(root): 0}
            stack: list[tuple[_Spec, list[_Spec], int]] = [(root, _spec_targets(root), 0)]
            while stack:
                spec, targets, index = stack[-1]
                if index == len(targets):
                    stack.pop()
                    path.pop()
                    del on_path[id(spec)]
                    done.add(id(spec))
                    continue
                stack[-1] = (spec, targets, index + 1)
                target = targets[index]
                if id(target) in on_path:
                    cycle = path[on_path[id(target)] :]
                    ident = frozenset(id(s) for s in cycle)
                    if ident not in reported:
                        reported.add(ident)
                        self._report_cycle(cycle)
                elif id(target) not in done:
                    on_path[id(target)] = len(path)
                    path.append(target)
                    stack.append((target, _spec_targets(target), 0))

    def _report_cycle(self, cycle: list[_Spec]) -> None:
        self.has_cycle = True
        path = " -> ".join(s.label for s in [*cycle, cycle[0]])
        details = [f"{s.label} {'defined' if s.jit else 'bound'} at: {s.source}" for s in cycle]
        self.problems.append(
            Problem(
                "cycle",
                f"Dependency cycle: {path}.",
                tuple(details),
                "break the cycle: let one side take Provider[T] (resolved when called) instead "
                "of T, or move the shared part into a third class.",
            )
        )

    def check_captive(self) -> None:
        for key in self.order:
            spec = self.specs.get(key)
            if spec is None or spec.scope != SINGLETON:
                continue
            found = _find_scoped(spec)
            if found is None:
                continue
            path, scoped = found
            via = f" (via {' -> '.join(n_label(n) for n in path[1:-1])})" if len(path) > 2 else ""
            self.problems.append(
                Problem(
                    "captive-dependency",
                    f'Singleton {spec.label} depends on {n_label(scoped)}, scoped "{scoped.scope}"'
                    f"{via}.",
                    (
                        f"{spec.label} bound at: {spec.source}",
                        f"{n_label(scoped)} bound at: {scoped.source}",
                    ),
                    f'make {spec.label} scoped "{scoped.scope}" too, or take '
                    f"Provider[{_annotation(scoped.key)}] instead, which resolves "
                    "it in the scope active when called.",
                )
            )

    def compute_async(self) -> None:
        for key in self.order:
            spec = self.specs.get(key)
            if spec is not None:
                _needs_async(spec)

    # -- building -------------------------------------------------------------------------

    def build(self) -> dict[Key, Binding]:
        built: dict[Key, Binding] = {}
        for key in self.order:
            spec = self.specs.get(key)
            if spec is not None:
                built[key] = self._build(spec)
        return built

    def _build(self, root: _Spec) -> Binding:
        stack: list[tuple[_Spec, bool]] = [(root, False)]
        while stack:
            spec, ready = stack.pop()
            if spec.built is not None:
                continue
            if not ready:
                stack.append((spec, True))
                stack.extend((t, False) for t in _spec_targets(spec) if t.built is None)
                continue
            deps = tuple(self._build_dep(d) for d in spec.deps)
            prev = self.previous.bindings.get(spec.key) if self.previous is not None else None
            if prev is not None and _same(prev, spec, deps):
                spec.built = prev
                continue
            spec.built = Binding(
                spec.key,
                spec.scope,
                spec.kind,
                spec.target,
                spec.call,
                deps,
                spec.source,
                spec.resource,
                spec.async_init,
                spec.async_teardown,
                bool(spec.needs_async),
                spec.eager,
                spec.jit,
                spec.record,
                spec.default,
            )
        assert root.built is not None
        return root.built

    @staticmethod
    def _build_dep(d: _DepSpec) -> Dep:
        def built(node: _Spec | Binding) -> Binding:
            if isinstance(node, Binding):
                return node
            assert node.built is not None
            return node.built

        # A Provider[T] resolves its key when called, through the graph current then, so
        # it holds no node (Provider edges may form cycles; the built graph must not).
        binding = (
            built(d.target) if d.target is not None and d.strategy == Strategy.BINDING else None
        )
        items = tuple((n, built(t)) for n, t in d.items)
        return Dep(d.param, d.keyword, d.strategy, binding, d.value, d.key, items)

    def fail(self, modules: tuple[str, ...]) -> None:
        if not self.problems:
            return
        cls = CircularDependencyError if self.has_cycle else BindingError
        raise cls(self.problems, modules)


def _scope_call(scope: str | None) -> str:
    return "transient()" if scope == TRANSIENT else f'scoped("{scope}")'


def n_label(node: _Spec | Binding) -> str:
    """A readable label of a spec or binding."""
    return str(node.key)


def _spec_targets(spec: _Spec) -> list[_Spec]:
    """The specs (not already built bindings) that ``spec`` resolves eagerly."""
    return [t for d in spec.deps for t in d.targets() if isinstance(t, _Spec)]


def _find_scoped(
    spec: _Spec,
) -> tuple[list[_Spec | Binding], _Spec | Binding] | None:
    """Depth-first through transients: the first scoped node a singleton would capture."""
    seen: set[int] = set()
    stack: list[list[_Spec | Binding]] = [[spec]]
    while stack:
        path = stack.pop()
        for target in reversed(list(_deps_of(path[-1]))):
            if id(target) in seen:
                continue
            seen.add(id(target))
            scope = _scope_of(target)
            if scope not in (SINGLETON, TRANSIENT):
                return [*path, target], target
            if scope == TRANSIENT:
                stack.append([*path, target])
    return None


def _needs_async(root: _Spec | Binding) -> bool:
    """Whether producing ``root`` needs an await (its own call, or a dependency's)."""
    if isinstance(root, Binding):
        return root.needs_async
    stack: list[tuple[_Spec, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node.needs_async is not None:
            continue
        children = list(_deps_of(node))
        if not ready:
            stack.append((node, True))
            stack.extend(
                (c, False) for c in children if isinstance(c, _Spec) and c.needs_async is None
            )
            continue
        result = node.call in (CallKind.ASYNC, CallKind.ASYNC_GENERATOR) or node.async_init
        node.needs_async = result or any(
            (c.needs_async if isinstance(c, Binding) else bool(c.needs_async)) for c in children
        )
    return bool(root.needs_async)


def _same(prev: Binding, spec: _Spec, deps: tuple[Dep, ...]) -> bool:
    if prev.jit != spec.jit or prev.scope != spec.scope or prev.eager != spec.eager:
        return False
    if spec.jit:
        if prev.target is not spec.target:
            return False
    elif prev.record is not spec.record:
        return False
    if len(prev.deps) != len(deps):
        return False
    for old, new in zip(prev.deps, deps, strict=True):
        if old.strategy != new.strategy or old.binding is not new.binding:
            return False
        if len(old.items) != len(new.items) or any(
            a[0] != b[0] or a[1] is not b[1] for a, b in zip(old.items, new.items, strict=True)
        ):
            return False
    return True


def _is_protocol(cls: Any) -> bool:
    return bool(getattr(cls, "_is_protocol", False))


def _safe_issubclass(cls: type, parent: type) -> bool:
    try:
        return issubclass(cls, parent)
    except TypeError:
        return True  # cannot tell: do not block the binding on a guess


def _construct_problem(tp: Any, *, jit: bool = False) -> str | None:
    """Why ``tp`` cannot be constructed by injectq, or None when it can."""
    origin = typing.get_origin(tp) or tp
    if not isinstance(origin, type):
        return f"is a {type(tp).__name__}, not a class"
    if _is_protocol(origin):
        return "is a Protocol"
    if inspect.isabstract(origin):
        missing = ", ".join(sorted(getattr(origin, "__abstractmethods__", ())))
        return f"is abstract (it does not implement {missing})"
    if jit:
        import enum

        if origin.__module__ == "builtins":
            return f"is the builtin type {origin.__name__}, which must be bound explicitly"
        if issubclass(origin, enum.Enum):
            return "is an Enum, whose members must be bound explicitly"
        if origin.__module__ in ("typing", "typing_extensions", "collections.abc"):
            return "is a typing construct, not a concrete class"
    return None


def _annotation(key: Key) -> str:
    """How a parameter annotation asks for ``key``: ``T`` or ``Annotated[T, Named("x")]``."""
    if key.name is None:
        return describe(key.tp)
    return f'Annotated[{describe(key.tp)}, Named("{key.name}")]'


def _missing_hint(key: Key, p: Param) -> str:
    t = describe(key.tp)
    if key.name is not None:
        return (
            f'bind it: self.bind({t}, Impl, name="{key.name}"), or fix the name in '
            f"Annotated[{t}, Named(...)]."
        )
    return (
        f"bind it, e.g. self.bind({t}, Impl), or make the parameter optional "
        f"({p.name}: {t} | None = None)."
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _finish(
    comp: _Compiler,
    base: tuple[BindingRecord, ...],
    overrides: tuple[BindingRecord, ...],
    modules: tuple[str, ...],
) -> Graph:
    comp.resolve_all()
    comp.check_cycles()
    if not comp.has_cycle:
        comp.check_captive()
        comp.compute_async()
    comp.fail(modules)
    built = dict(comp.existing)
    built.update(comp.build())
    unnamed = {k.tp: b for k, b in built.items() if k.name is None}
    named: dict[Any, list[tuple[str, Binding]]] = {}
    for key, binding in built.items():
        if key.name is not None:
            named.setdefault(key.tp, []).append((key.name, binding))
    return Graph(
        MappingProxyType(built),
        MappingProxyType(unnamed),
        MappingProxyType({tp: tuple(items) for tp, items in named.items()}),
        base,
        overrides,
        modules,
        comp.strict,
        comp.container_type,
    )


def compile_graph(
    records: tuple[BindingRecord, ...],
    overrides: tuple[BindingRecord, ...],
    *,
    modules: tuple[str, ...],
    strict: bool,
    container_type: Any,
    previous: Graph | None,
) -> Graph:
    """Compile and validate records into a graph, reusing unchanged nodes of ``previous``.

    Raises:
        BindingError: Listing every problem found (`CircularDependencyError` when one of
            them is a cycle).
    """
    comp = _Compiler(strict=strict, container_type=container_type, previous=previous)
    comp.add_records(records, overriding=False)
    if overrides:
        comp.add_records(overrides, overriding=True)
    return _finish(comp, records, overrides, modules)


def extend_graph(graph: Graph, key: Key) -> Graph | str:
    """Add a just-in-time binding for ``key`` (and what it needs) to ``graph``.

    Returns:
        The extended graph, or why ``key`` cannot be created just in time.

    Raises:
        BindingError: When the class can be created but its own dependencies are wrong.
    """
    comp = _Compiler(
        strict=graph.strict,
        container_type=graph.container_type,
        previous=graph,
        existing=graph.bindings,
    )
    reason = comp.jit_problem(key)
    if reason is not None:
        return reason
    comp._jit(key)
    return _finish(comp, graph.records, graph.overrides, graph.modules)


def suggestions_for(graph: Graph, key: Key) -> list[str]:
    """Bound keys close to ``key`` (for a missing-binding message at resolve time)."""
    comp = _Compiler(
        strict=graph.strict,
        container_type=graph.container_type,
        previous=graph,
        existing=graph.bindings,
    )
    return comp.suggestions(key)
