"""A state machine over install, override, scope, get, aget and close.

Hypothesis drives one container through random sequences of operations on random graphs of
``@resource`` classes (sync and async providers, singleton, request-scoped and transient
bindings, some dependencies taken through a ``Factory`` that the constructor calls once;
some installed as private modules exposing their keys, which overrides replace from
outside; some of them elements of the collection ``list[Item]`` instead, contributed by one
install after another; some decorated by a class that wraps what overrides replace) and
checks, after every step and at the end:

- everything served (and all it holds) was initialized exactly once;
- nothing is built twice where it is cached (a singleton per override state, a scoped
  instance per scope), and transients and what factories build are new each time;
- nothing is disposed twice, and nothing is served after its disposal (nor anything it
  holds); ending a scope, an override or the container disposes newest first;
- nothing leaks: every instance built is disposed once the scopes, overrides and the
  container are closed; what an override or a scope built is disposed when it ends.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from injectq import (
    BindingRecord,
    Factory,
    InjectQ,
    InjectQError,
    Module,
    PrivateModule,
    ScopeError,
    resource,
)

SCOPES = ("singleton", "request", "transient")


class Item:
    """The element type of the collection: every generated class is one."""


@dataclass
class Node:
    cls: type
    scope: str
    is_async: bool
    deps: list[int]
    needs_scope: bool
    needs_async: bool
    reaches: set[int]  # every node this one depends on, directly or not
    element: bool = False  # its class is an element of list[Item] instead of bound itself
    factories: set[int] = field(default_factory=set)  # positions in deps taking a Factory
    builds_scope: bool = False  # building a new one needs a scope (what a factory needs)
    decorator: Any = None  # the class decorating its binding (every one is made, not used)
    decorated: bool = False  # its binding is decorated (never the product of a factory)


@dataclass
class Log:
    """What the generated classes report: creations and disposals, in order."""

    created: list[Any] = field(default_factory=list)
    initialized: list[Any] = field(default_factory=list)
    disposed: list[Any] = field(default_factory=list)


def make_node(
    index: int,
    scope: str,
    is_async: bool,
    deps: list[int],
    nodes: list[Node],
    log: Log,
    factories: set[int] = frozenset(),  # type: ignore[assignment]
) -> tuple[Node, Any, Any]:
    """The class of a new node, its provider, and the provider of its replacement."""
    namespace: dict[str, Any] = {"log": log, "asyncio": asyncio, "Item": Item, "Factory": Factory}
    for d in deps:
        namespace[f"N{d}"] = nodes[d].cls
    params = ", ".join(
        f"p{j}: Factory[N{d}]" if j in factories else f"p{j}: N{d}" for j, d in enumerate(deps)
    )
    args = ", ".join(f"p{j}" for j in range(len(deps)))
    built = ", ".join(f"p{j}()" if j in factories else f"p{j}" for j in range(len(deps)))
    sleep = "    await asyncio.sleep(0)\n" if is_async else ""
    prefix = "async " if is_async else ""
    source = (
        f"class N{index}(Item):\n"
        f"    node = {index}\n"
        f"    def __init__(self{', ' if params else ''}{params}) -> None:\n"
        f"        self.deps = ({built}{',' if built else ''})\n"
        f"        log.created.append(self)\n"
        f"    def initialize(self) -> None:\n"
        f"        log.initialized.append(self)\n"
        f"    def dispose(self) -> None:\n"
        f"        log.disposed.append(self)\n"
        f"class Fake{index}(N{index}):\n"
        f"    pass\n"
        f"class Deco{index}(N{index}):\n"
        f"    def __init__(self, inner: N{index}) -> None:\n"
        f"        self.inner = inner\n"
        f"        self.deps = inner.deps\n"
        f"        log.created.append(self)\n"
        f"{prefix}def make({params}) -> N{index}:\n"
        f"{sleep}"
        f"    return N{index}({args})\n"
        f"{prefix}def fake({params}) -> N{index}:\n"
        f"{sleep}"
        f"    return Fake{index}({args})\n"
    )
    exec(source, namespace)
    cls = resource(namespace[f"N{index}"])
    reaches = set(deps).union(*(nodes[d].reaches for d in deps))
    # A product is built with what its node needs, whatever that node's own scope.
    builds_scope = any(
        nodes[d].builds_scope if j in factories else nodes[d].needs_scope
        for j, d in enumerate(deps)
    )
    needs_scope = scope == "request" or (scope == "transient" and builds_scope)
    needs_async = is_async or any(nodes[d].needs_async for d in deps)
    node = Node(
        cls,
        scope,
        is_async,
        deps,
        needs_scope,
        needs_async,
        reaches,
        factories=factories,
        builds_scope=builds_scope,
    )
    node.decorator = namespace[f"Deco{index}"]
    return node, namespace["make"], namespace["fake"]


def binding_module(
    bindings: list[tuple[Node, Any]],
    *,
    private: bool = False,
    declare: bool = False,
    decorate: bool = True,
) -> Module:
    """A module binding each node to its target; a private module exposing each of them.

    An element node is contributed to list[Item] instead (from inside the private module
    too: the collection is everyone's); ``declare`` declares the collection; with
    ``decorate``, the decorated nodes are decorated.
    """

    def bind_all(module: Module) -> None:
        if declare:
            module.multibind(Item)
        for node, target in bindings:
            builder: BindingRecord[Any]
            if node.element:  # its class: a provider's result would be no resource
                builder = module.multibind(Item, node.cls)
            else:
                builder = module.bind(node.cls).to_provider(target)
                if decorate and node.decorated:
                    module.decorate(node.cls, node.decorator)
            if node.scope == "singleton":
                builder.singleton()
            elif node.scope == "request":
                builder.scoped()
            else:
                builder.transient()

    class Bindings(Module):
        def configure(self) -> None:
            bind_all(self)

    class PrivateBindings(PrivateModule):
        def configure(self) -> None:
            bind_all(self)
            for node, _ in bindings:
                if not node.element:
                    self.expose(node.cls)

    return PrivateBindings() if private else Bindings()


@dataclass
class OpenScope:
    manager: Any
    scope: Any
    cached: dict[int, Any] = field(default_factory=dict)
    wrapped: dict[int, Any] = field(default_factory=dict)  # what each cached decorator wraps
    # Everything the scope owns, also what an override unpinned from `cached`: its disposal
    # still comes with the scope's, first when an override ends.
    owned: list[Any] = field(default_factory=list)
    transients: list[Any] = field(default_factory=list)


@dataclass
class OpenOverride:
    manager: Any
    node: int
    saved: dict[int, Any]  # the singletons' expected instances before it, restored after


class ContainerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.log = Log()
        self.container = InjectQ()
        self.loop = asyncio.new_event_loop()
        self.nodes: list[Node] = []
        self.fakes: list[Any] = []
        self.singletons: dict[int, Any] = {}  # node -> the instance it must be now
        self.scopes: list[OpenScope] = []
        self.overrides: list[OpenOverride] = []
        self.walked: set[int] = set()  # ids of instances whose graph was checked
        self.keep: list[Any] = []  # keeps walked instances alive, so ids stay unique
        self.closed = False
        self.served = 0

    # -- operations -----------------------------------------------------------------------

    @initialize(data=st.data(), count=st.integers(1, 4), private=st.booleans())
    def first_install(self, data: st.DataObject, count: int, private: bool) -> None:
        self.install(data, count, private, declare=True)

    @precondition(lambda self: not self.closed and not self.overrides and len(self.nodes) < 12)
    @rule(data=st.data(), count=st.integers(1, 3), private=st.booleans())
    def install(
        self, data: st.DataObject, count: int, private: bool = False, *, declare: bool = False
    ) -> None:
        bindings = []
        for _ in range(count):
            index = len(self.nodes)
            scope = data.draw(st.sampled_from(SCOPES))
            is_async = data.draw(st.booleans())
            allowed = [
                i
                for i, n in enumerate(self.nodes)
                if (scope != "singleton" or not n.needs_scope)  # no captive dependency
                and not n.element  # an element is reached through the collection only
            ]
            deps = data.draw(st.lists(st.sampled_from(allowed), max_size=3)) if allowed else []
            # A factory of what needs no await (its calls would return awaitables), and for
            # a singleton, of what needs no scope to build (no captive dependency).
            factories = {
                j
                for j, d in enumerate(deps)
                if not self.nodes[d].needs_async
                and not self.nodes[d].decorated  # a factory of it would be refused
                and (scope != "singleton" or not self.nodes[d].builds_scope)
                and data.draw(st.integers(0, 2)) == 0
            }
            node, make, fake = make_node(
                index, scope, is_async, deps, self.nodes, self.log, factories
            )
            node.element = not is_async and data.draw(st.booleans())
            node.decorated = not node.element and data.draw(st.integers(0, 2)) == 0
            self.nodes.append(node)
            self.fakes.append(fake)
            bindings.append((node, make))
        self.container.install(binding_module(bindings, private=private, declare=declare))

    @precondition(lambda self: not self.closed)
    @rule()
    def enter_scope(self) -> None:
        manager = self.container.scope()
        scope = manager.__enter__()
        self.scopes.append(OpenScope(manager, scope))

    @precondition(lambda self: bool(self.scopes))
    @rule()
    def leave_scope(self) -> None:
        top = self.scopes.pop()
        self.in_reverse_creation_order(lambda: top.manager.__exit__(None, None, None))
        disposed = self.disposed_ids()
        for obj in [*top.cached.values(), *top.wrapped.values(), *top.transients]:
            assert id(obj) in disposed, f"{type(obj).__name__} of a scope not disposed at its end"

    @precondition(lambda self: not self.closed and any(not n.element for n in self.nodes))
    @rule(data=st.data())
    def enter_override(self, data: st.DataObject) -> None:
        k = data.draw(st.sampled_from([i for i, n in enumerate(self.nodes) if not n.element]))
        node = self.nodes[k]
        affected = {i for i, n in enumerate(self.nodes) if i == k or k in n.reaches}
        saved = {i: self.singletons.pop(i) for i in affected if i in self.singletons}
        for open_scope in self.scopes:  # which scoped instances an override renews: unpinned
            for i in affected:
                open_scope.cached.pop(i, None)
                open_scope.wrapped.pop(i, None)
        manager = self.container.override(binding_module([(node, self.fakes[k])], decorate=False))
        manager.__enter__()
        self.overrides.append(OpenOverride(manager, k, saved))

    @precondition(lambda self: bool(self.overrides))
    @rule()
    def leave_override(self) -> None:
        top = self.overrides.pop()
        affected = {i for i, n in enumerate(self.nodes) if i == top.node or top.node in n.reaches}
        built = [self.singletons.pop(i) for i in affected if i in self.singletons]
        self.in_disposal_order(lambda: top.manager.__exit__(None, None, None))
        disposed = self.disposed_ids()
        for obj in built:
            assert id(obj) in disposed, f"{type(obj).__name__} built in an override kept"
        self.singletons.update(top.saved)
        for open_scope in self.scopes:
            for i in affected:
                open_scope.cached.pop(i, None)
                open_scope.wrapped.pop(i, None)

    @precondition(lambda self: any(not n.element for n in self.nodes))
    @rule(data=st.data(), sync=st.integers(0, 3), enter=st.booleans())
    def resolve(self, data: st.DataObject, sync: int, enter: bool) -> None:
        k = data.draw(st.sampled_from([i for i, n in enumerate(self.nodes) if not n.element]))
        self.resolve_key(self.nodes[k].cls, [k], sync, enter=enter)

    @rule(sync=st.integers(0, 3), enter=st.booleans())
    def resolve_collection(self, sync: int, enter: bool) -> None:
        elements = [i for i, n in enumerate(self.nodes) if n.element]
        self.resolve_key(list[Item], elements, sync, enter=enter)

    def resolve_key(self, key: Any, nodes: list[int], sync: int, *, enter: bool) -> None:
        """Resolve ``key``: a node's class, or list[Item] holding the element ``nodes``."""
        collection = key == list[Item]
        needs_scope = any(self.nodes[i].needs_scope for i in nodes)
        needs_async = any(self.nodes[i].needs_async for i in nodes)
        if enter and needs_scope and not self.scopes and not self.closed:
            self.enter_scope()
        # What needs an await is mostly asked with aget, sometimes with get (refused).
        use_async = sync > 0 if needs_async else sync == 0
        source = self.scopes[-1].scope if self.scopes else self.container
        if use_async:
            call: Any = lambda: self.loop.run_until_complete(  # noqa: E731
                asyncio.wait_for(source.aget(key), 5)
            )
        else:
            call = lambda: source.get(key)  # noqa: E731
        if self.closed:
            with pytest.raises(InjectQError):
                call()
            return
        try:
            obj = call()
        except InjectQError as exc:
            refused: InjectQError | None = exc
        else:
            refused = None
        outside = needs_scope and not self.scopes
        needs_await = needs_async and not use_async
        if refused is not None:
            # Either reason may be reported first when both apply.
            assert (outside and isinstance(refused, ScopeError)) or (
                needs_await and "aget" in str(refused)
            ), refused
            return
        # Served: it was in scope, and if it needs an await, what needs it is already built.
        assert not outside, "a scoped binding was served outside its scope"
        self.served += 1
        served = obj if collection else [obj]
        assert isinstance(served, list)
        assert len(served) == len(nodes)
        for o, i in zip(served, nodes, strict=True):  # the elements come in install order
            assert isinstance(o, self.nodes[i].cls)
            self.check_served(o, i, fresh_expected=self.nodes[i].scope == "transient")

    @precondition(
        lambda self: not self.closed and not self.scopes and not self.overrides and self.served > 5
    )
    @rule(use_async=st.booleans())
    def close(self, use_async: bool) -> None:
        if use_async:
            self.in_reverse_creation_order(
                lambda: self.loop.run_until_complete(asyncio.wait_for(self.container.aclose(), 5))
            )
        else:
            self.in_reverse_creation_order(self.container.close)
        self.closed = True
        disposed = self.disposed_ids()
        for obj in self.singletons.values():
            assert id(obj) in disposed
        self.singletons.clear()

    # -- checks ---------------------------------------------------------------------------

    def in_disposal_order(self, end: Callable[[], object]) -> None:
        """Run the end of an override: open scopes lose theirs first, innermost first.

        Within each scope, and then within the container, newest first (as ``close()``
        with scopes open does).
        """
        before = len(self.log.disposed)
        end()
        born = {id(obj): n for n, obj in enumerate(self.log.created)}
        owner: dict[int, int] = {}
        for depth, open_scope in enumerate(self.scopes):
            for obj in open_scope.owned:
                owner[id(obj)] = depth
        done = [id(obj) for obj in self.log.disposed[before:]]
        expected = sorted(done, key=lambda i: (-owner.get(i, -1), -born[i]))
        assert done == expected, "disposed out of scope-then-creation order"

    def in_reverse_creation_order(self, end: Callable[[], object]) -> None:
        """Run what ends a scope, an override or the container: it disposes newest first."""
        before = len(self.log.disposed)
        end()
        born = {id(obj): n for n, obj in enumerate(self.log.created)}
        ages = [born[id(obj)] for obj in self.log.disposed[before:]]
        assert ages == sorted(ages, reverse=True), "disposed out of reverse creation order"

    def disposed_ids(self) -> set[int]:
        return {id(obj) for obj in self.log.disposed}

    def check_served(self, obj: Any, k: int, *, fresh_expected: bool) -> None:
        """Identity per lifetime for obj and everything it holds; nothing disposed served."""
        disposed = self.disposed_ids()
        stack = [(obj, k, fresh_expected, False, False)]
        while stack:
            current, i, must_be_new, in_singleton, product = stack.pop()
            node = self.nodes[i]
            assert type(current).node == i
            assert id(current) not in disposed, f"served N{i} after its disposal"
            inits = sum(obj is current for obj in self.log.initialized)
            assert inits == 1, f"N{i} served initialized {inits} times"
            if product:  # what a factory built: new, whatever its node's scope
                assert id(current) not in self.walked, f"a factory's N{i} served twice"
            elif node.scope == "singleton":
                expected = self.singletons.setdefault(i, current)
                assert current is expected, f"singleton N{i} built twice"
            elif node.scope == "request":
                expected = self.scopes[-1].cached.setdefault(i, current)
                assert current is expected, f"scoped N{i} built twice in one scope"
                if id(current) not in self.walked:
                    self.scopes[-1].owned.append(current)
            elif must_be_new:
                assert id(current) not in self.walked, f"transient N{i} served twice"
            if id(current) in self.walked:
                continue
            self.walked.add(id(current))
            self.keep.append(current)
            if (product or node.scope == "transient") and self.scopes and not in_singleton:
                self.scopes[-1].transients.append(current)  # it belongs to the scope
                self.scopes[-1].owned.append(current)
            wrapped = getattr(current, "inner", None)  # a decorator's: it lives where that does
            if wrapped is not None:
                assert isinstance(wrapped, node.cls)
                assert sum(obj is wrapped for obj in self.log.initialized) == 1
                self.walked.add(id(wrapped))
                self.keep.append(wrapped)
                if node.scope == "request" and not product:
                    self.scopes[-1].wrapped[i] = wrapped
                    self.scopes[-1].owned.append(wrapped)
                elif (product or node.scope == "transient") and self.scopes and not in_singleton:
                    self.scopes[-1].transients.append(wrapped)
                    self.scopes[-1].owned.append(wrapped)
            inner = in_singleton or (node.scope == "singleton" and not product)
            for j, (dep, d) in enumerate(zip(current.deps, node.deps, strict=True)):
                made = j in node.factories
                stack.append((dep, d, made or self.nodes[d].scope == "transient", inner, made))

    @invariant()
    def nothing_disposed_twice(self) -> None:
        ids = [id(obj) for obj in self.log.disposed]
        assert len(ids) == len(set(ids)), "an instance was disposed twice"

    def teardown(self) -> None:
        try:
            while self.scopes:
                self.leave_scope()
            while self.overrides:
                self.leave_override()
            if not self.closed:
                self.in_reverse_creation_order(self.container.close)
            self.nothing_disposed_twice()
            created = {id(obj) for obj in self.log.created}
            disposed = self.disposed_ids()
            assert created == disposed, f"{len(created - disposed)} instances never disposed"
        finally:
            self.loop.close()


ContainerMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_container_state_machine = ContainerMachine.TestCase
