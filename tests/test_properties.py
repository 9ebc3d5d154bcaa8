"""Property tests: random binding graphs checked against a small reference model.

Each generated graph is a list of nodes; node ``i`` is a class ``N{i}`` with a scope and
constructor parameters naming other nodes. Some parameters name a node that is never bound
(a missing key), some point forward (which can close a cycle), some take a ``Factory`` of
the node instead (its constructor calls it once: a product, never cached, built in the
consumer's scope, which closes no cycle but can capture a scoped binding). Nodes may be bound inside
one of two private modules, exposed or kept; a parameter naming a kept node of another
module is a key it cannot see. Some nodes are elements of the collection ``list[Item]``
instead of bound to their class (contributed from a private module too), and some nodes
take that collection (``items: list[Item]``), which may be declared by no module. Some
bindings are decorated (in the module that binds them) by a class that wraps the instance
and logs its own creation and disposal. The
reference model below predicts which problems ``install`` must report; for valid graphs the
tests resolve every node and check wiring, identity per scope and teardown order.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from injectq import (
    BindingError,
    CircularDependencyError,
    Factory,
    InjectionPoint,
    InjectQ,
    Module,
    Named,
    PrivateModule,
    resource,
)

SCOPES = ("singleton", "transient", "request")


class Item:
    """The element type of the collection: every generated class is one."""


@dataclass
class Node:
    scope: str
    deps: list[int]
    bound: bool = True
    named: bool = False  # bound under the name "n{i}"; dependents ask for that name
    via_provider: bool = False  # bound to a provider function instead of the class
    is_async: bool = False  # bound to an async provider that yields to the loop first
    private: int | None = None  # bound inside private module 0 or 1
    exposed: bool = False  # that private module exposes it
    element: bool = False  # an element of list[Item] (its class), not bound to its class
    wants_all: bool = False  # takes `items: list[Item]`
    factories: set[int] = field(default_factory=set)  # positions in deps taking a Factory
    decorated: bool = False  # its binding is decorated by D{i}, which wraps the instance
    pointed: bool = False  # its provider also takes an InjectionPoint (kept on the instance)


@dataclass
class Model:
    nodes: list[Node]
    declared: bool = True  # a module declares the collection (it may stay empty)
    log: list[tuple[str, int, int]] = field(default_factory=list)  # (event, node, instance)
    # Everything built stays alive, so no id in the log is reused by a later instance.
    alive: list[Any] = field(default_factory=list)
    providers: list[Any] = field(default_factory=list)  # make_N{i}, once built
    classes: list[type] = field(default_factory=list)  # N{i}, once built

    # -- the reference model ------------------------------------------------------------

    def sees(self, i: int, d: int) -> bool:
        """Whether node i's bindings see node d (public, exposed, or in the same module)."""
        dep = self.nodes[d]
        return dep.private is None or dep.exposed or dep.private == self.nodes[i].private

    def hidden(self, i: int) -> bool:
        """Kept inside a private module: get() does not see it (an element: the collection
        everyone sees holds it)."""
        node = self.nodes[i]
        return node.private is not None and not node.exposed and not node.element

    def elements(self) -> list[int]:
        """The nodes in the collection, in install order (contributed from anywhere): the
        generated module binds its own nodes, then installs private module 0, then 1."""
        found = [i for i, n in enumerate(self.nodes) if n.bound and n.element]
        return sorted(found, key=lambda i: (-1 if (p := self.nodes[i].private) is None else p, i))

    def bound_class(self, d: int) -> bool:
        """Whether node ``d``'s class is bound (an element is not)."""
        return self.nodes[d].bound and not self.nodes[d].element

    def edges(self, i: int) -> list[int]:
        """What node ``i`` resolves eagerly (through the collection too, a transient)."""
        node = self.nodes[i]
        found = [
            d
            for j, d in enumerate(node.deps)
            if self.bound_class(d) and self.sees(i, d) and j not in node.factories
        ]
        return found + (self.elements() if node.wants_all else [])

    def made(self, i: int) -> list[int]:
        """The nodes whose factory ``i`` takes (each call builds one, whatever its scope)."""
        node = self.nodes[i]
        return [
            d
            for j, d in enumerate(node.deps)
            if self.bound_class(d) and self.sees(i, d) and j in node.factories
        ]

    def has_hidden_deps(self) -> bool:
        return any(
            self.bound_class(d) and not self.sees(i, d)
            for i, n in enumerate(self.nodes)
            if n.bound
            for d in n.deps
        )

    def has_cycle(self) -> bool:
        state: dict[int, int] = {}

        def visit(i: int) -> bool:
            state[i] = 1
            for d in self.edges(i):
                if state.get(d) == 1 or (d not in state and visit(d)):
                    return True
            state[i] = 2
            return False

        return any(i not in state and visit(i) for i, n in enumerate(self.nodes) if n.bound)

    def has_missing(self) -> bool:
        bound = [n for n in self.nodes if n.bound]
        undeclared = not self.declared and not self.elements()
        return any(
            not self.nodes[d].bound or self.nodes[d].element for n in bound for d in n.deps
        ) or (undeclared and any(n.wants_all for n in bound))

    def captive(self) -> bool:
        """A bound singleton reaching a scoped node through transients only."""

        def reaches_scoped(i: int, seen: set[Any]) -> bool:
            for d in self.edges(i):
                if d in seen:
                    continue
                seen.add(d)
                scope = self.nodes[d].scope
                if scope == "request" or (scope == "transient" and reaches_scoped(d, seen)):
                    return True
            for d in self.made(i):  # a product is built in i's scope, whatever d's scope
                if ("made", d) not in seen:
                    seen.add(("made", d))
                    if reaches_scoped(d, seen):
                        return True
            return False

        return any(
            n.bound and n.scope == "singleton" and reaches_scoped(i, set())
            for i, n in enumerate(self.nodes)
        )

    def expected_codes(self) -> set[str]:
        codes = set()
        if self.has_missing():
            codes.add("missing-binding")
        if self.has_hidden_deps():
            codes.add("not-exposed")
        if self.has_cycle():
            codes.add("cycle")
        else:  # captive dependencies and cached points are checked on acyclic graphs only
            if self.captive():
                codes.add("captive-dependency")
            if any(n.bound and n.pointed and n.scope != "transient" for n in self.nodes):
                codes.add("injection-point-scope")
        return codes

    def owner(self, i: int) -> Any:
        """What node ``i``'s parameters belong to: its provider, or its class."""
        node = self.nodes[i]
        by_provider = (node.via_provider or node.is_async) and not node.element
        return self.providers[i] if by_provider else self.classes[i]

    # -- the classes and module it describes --------------------------------------------

    def build(self) -> tuple[list[type], Module]:
        namespace: dict[str, Any] = {
            "__name__": __name__,
            "log": self.log,
            "alive": self.alive,
            "Annotated": Annotated,
            "Factory": Factory,
            "InjectionPoint": InjectionPoint,
            "Named": Named,
            "asyncio": asyncio,
            "Item": Item,
        }
        source = []
        for i, node in enumerate(self.nodes):
            params = "".join(
                f", p{j}: {_annotation(d, self.nodes[d].named, factory=j in node.factories)}"
                for j, d in enumerate(node.deps)
            )
            body = "".join(
                f"        self.p{j} = p{j}()\n        alive.append(self.p{j})\n"
                f"        log.append(('product', {d}, id(self.p{j})))\n"
                if j in node.factories
                else f"        self.p{j} = p{j}\n"
                for j, d in enumerate(node.deps)
            )
            args = ", ".join(f"p{j}" for j in range(len(node.deps)))
            if node.wants_all:
                params += ", items: 'list[Item]'"
                body += "        self.items = items\n"
                args += ", items" if args else "items"
            signature = ", ".join(
                part for part in (params[2:], "point: InjectionPoint" * node.pointed) if part
            )
            keep = "    made.point = point\n" if node.pointed else ""
            make = (
                f"async def make_N{i}({signature}) -> 'N{i}':\n"
                "    await asyncio.sleep(0)\n"
                f"    made = N{i}({args})\n{keep}    return made\n"
                if node.is_async
                else f"def make_N{i}({signature}) -> 'N{i}':\n"
                f"    made = N{i}({args})\n{keep}    return made\n"
            )
            source.append(
                f"class N{i}(Item):\n"
                f"    def __init__(self{params}) -> None:\n"
                f"{body}"
                "        alive.append(self)\n"
                f"        log.append(('create', {i}, id(self)))\n"
                f"    def dispose(self) -> None:\n"
                f"        log.append(('dispose', {i}, id(self)))\n"
                f"class D{i}(N{i}):\n"
                f"    def __init__(self, inner: 'N{i}') -> None:\n"
                f"        self.__dict__.update(vars(inner))  # its p0, p1... and items\n"
                f"        self.inner = inner\n"
                "        alive.append(self)\n"
                f"        log.append(('create', {i}, id(self)))\n"
                f"{make}"
            )
        exec("".join(source), namespace)
        classes = [resource(namespace[f"N{i}"]) for i in range(len(self.nodes))]
        providers = [namespace[f"make_N{i}"] for i in range(len(self.nodes))]
        decorators = [namespace[f"D{i}"] for i in range(len(self.nodes))]
        self.providers, self.classes = providers, classes
        nodes = self.nodes
        declared = self.declared

        def bind_nodes(module: Module, private: int | None) -> None:
            for i, (cls, node) in enumerate(zip(classes, nodes, strict=True)):
                if not node.bound or node.private != private:
                    continue
                if node.element:  # its class: a provider's result would be no resource
                    element = module.multibind(Item, cls)
                    if node.scope == "request":
                        element.scoped()
                    elif node.scope == "singleton":
                        element.singleton()
                    continue
                name = f"n{i}" if node.named else None
                target = providers[i] if node.via_provider or node.is_async else cls
                builder = module.bind(cls, target, name=name)
                if node.scope == "request":
                    builder.scoped()
                elif node.scope == "singleton":
                    builder.singleton()
                else:
                    builder.transient()
                if node.decorated:
                    module.decorate(cls, decorators[i], name=name)
                if isinstance(module, PrivateModule) and node.exposed:
                    module.expose(cls, name=name)

        class Leg(PrivateModule):
            def __init__(self, number: int) -> None:
                self.number = number

            def configure(self) -> None:
                bind_nodes(self, self.number)

        class Generated(Module):
            def configure(self) -> None:
                if declared:
                    self.multibind(Item)
                bind_nodes(self, None)
                for leg in sorted({n.private for n in nodes if n.private is not None}):
                    self.install(Leg(leg))

        return classes, Generated()


def _annotation(d: int, named: bool, *, factory: bool) -> str:
    """How a generated parameter asks for node ``d``: by name or not, through a factory or not."""
    tp = f"Factory['N{d}']" if factory else f"'N{d}'"
    return f"Annotated[{tp}, Named('n{d}')]" if named else tp


@st.composite
def graphs(
    draw: st.DrawFn, *, allow_problems: bool, allow_async: bool = False, allow_private: bool = False
) -> Model:
    n = draw(st.integers(min_value=1, max_value=7))
    # Half the graphs take some dependencies through factories (none of the async ones: a
    # factory of what needs an await returns an awaitable, which the generated constructors
    # would have to await).
    with_factories = not allow_async and draw(st.booleans())
    nodes = []
    for i in range(n):
        scope = draw(st.sampled_from(SCOPES))
        if allow_problems:
            others = [d for d in range(n) if d != i]
            deps = draw(st.lists(st.sampled_from(others), max_size=3)) if others else []
        else:
            deps = draw(st.lists(st.integers(0, i - 1), max_size=3)) if i else []
        element = draw(st.integers(0, 3)) == 0
        factories = {j for j in range(len(deps)) if with_factories and draw(st.booleans())}
        nodes.append(
            Node(
                scope,
                deps,
                named=not element and draw(st.booleans()),
                via_provider=(via_provider := draw(st.booleans())),
                is_async=not element and allow_async and draw(st.booleans()),
                private=draw(st.sampled_from((None, None, 0, 1))) if allow_private else None,
                exposed=not element and allow_private and draw(st.booleans()),
                element=element,
                wants_all=draw(st.integers(0, 3)) == 0,
                factories=factories,
                decorated=not element and draw(st.integers(0, 3)) == 0,
                pointed=via_provider and not element and draw(st.integers(0, 3)) == 0,
            )
        )
    if allow_problems and n > 1:
        for i in draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True)):
            nodes[i].bound = False
    model = Model(nodes, declared=not allow_problems or draw(st.booleans()))
    if not allow_problems:
        # Keep valid graphs valid: only parameters their node can see, none naming an
        # element; a node takes the collection only when every element comes before it (so
        # no cycle runs through the collection).
        for i, node in enumerate(nodes):
            kept = [j for j, d in enumerate(node.deps) if model.sees(i, d) and not nodes[d].element]
            node.factories = {kept.index(j) for j in node.factories if j in kept}
            node.deps = [node.deps[j] for j in kept]
            if node.wants_all and any(m.element for m in nodes[i:]):
                node.wants_all = False
    for node in nodes:  # a factory of a decorated binding is an install-time problem
        for j in node.factories:
            nodes[node.deps[j]].decorated = False
        if node.pointed:  # its point would be the decorator's parameter: kept apart
            node.decorated = False
    if not allow_problems:
        for node in nodes:  # built per injection point: transient
            if node.pointed:
                node.scope = "transient"
        # Keep valid graphs valid: turn singletons into scoped ones until none is captive.
        while model.captive():
            next(node for node in nodes if node.scope == "singleton").scope = "request"
    return model


def get_node(source: Any, model: Model, classes: list[type], i: int) -> Any:
    """Node ``i`` from ``source`` (a scope or the container); an element via the collection."""
    if model.nodes[i].element:
        return source.get(list[Item])[model.elements().index(i)]
    return source.get(classes[i], name=f"n{i}" if model.nodes[i].named else None)


async def aget_node(source: Any, model: Model, classes: list[type], i: int) -> Any:
    """The async twin of get_node."""
    if model.nodes[i].element:
        return (await source.aget(list[Item]))[model.elements().index(i)]
    return await source.aget(classes[i], name=f"n{i}" if model.nodes[i].named else None)


def resolve_all(scope: Any, model: Model, classes: list[type]) -> list[Any]:
    """Every node get() sees, resolved in ``scope`` (named nodes by their name, elements
    from one resolution of the collection); None for the nodes kept inside private modules."""
    items, order = scope.get(list[Item]), model.elements()
    return [
        None
        if model.hidden(i)
        else items[order.index(i)]
        if model.nodes[i].element
        else scope.get(cls, name=f"n{i}" if model.nodes[i].named else None)
        for i, cls in enumerate(classes)
    ]


async def aresolve_all(scope: Any, model: Model, classes: list[type]) -> list[Any]:
    """The async twin of resolve_all."""
    items, order = await scope.aget(list[Item]), model.elements()
    return [
        None
        if model.hidden(i)
        else items[order.index(i)]
        if model.nodes[i].element
        else await scope.aget(cls, name=f"n{i}" if model.nodes[i].named else None)
        for i, cls in enumerate(classes)
    ]


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(graphs(allow_problems=True, allow_private=True))
def test_install_rejects_exactly_the_invalid_graphs(model: Model) -> None:
    """install() fails iff the model finds a cycle, a missing or hidden key or a captive
    dependency."""
    _, module = model.build()
    expected = model.expected_codes()
    if not expected:
        InjectQ(module, strict=True)
        return
    with pytest.raises(BindingError) as info:
        InjectQ(module, strict=True)
    assert set(info.value.codes) == expected
    assert isinstance(info.value, CircularDependencyError) == ("cycle" in expected)


def check_wiring_and_identity(
    model: Model, classes: list[type], a: list[Any], b: list[Any], c: list[Any]
) -> None:
    """a and b come from one scope, c from another: identity must follow each node's scope.

    A node kept inside a private module is checked through the nodes that depend on it.
    """
    for i, node in enumerate(model.nodes):
        if model.hidden(i):
            continue
        for j, dep in enumerate(node.deps):
            received = getattr(a[i], f"p{j}")
            assert isinstance(received, classes[dep])
            assert hasattr(received, "inner") == model.nodes[dep].decorated  # decorated: D
            if model.nodes[dep].pointed:  # its own point (a factory's product: nobody's)
                name = f"n{dep}" if model.nodes[dep].named else None
                made = j in node.factories
                owner, param = (None, None) if made else (model.owner(i), f"p{j}")
                expected = InjectionPoint(classes[dep], name, owner, param)
                assert getattr(a[i], f"p{j}").point == expected
        if node.pointed:  # resolved directly: the point of nobody
            name = f"n{i}" if node.named else None
            assert a[i].point == InjectionPoint(classes[i], name)
        if node.scope == "singleton":
            assert a[i] is b[i] is c[i]
        elif node.scope == "request":
            assert a[i] is b[i]
            assert a[i] is not c[i]
        else:
            assert a[i] is not b[i]
        # Scoped dependencies are shared inside one scope; a factory's product never is.
        for j, dep in enumerate(node.deps):
            if j in node.factories:
                assert getattr(a[i], f"p{j}") is not a[dep]
                continue
            if model.nodes[dep].scope != "transient" and not model.hidden(dep):
                assert getattr(a[i], f"p{j}") is a[dep]
            if model.nodes[dep].scope == "singleton":
                assert getattr(a[i], f"p{j}") is getattr(c[i], f"p{j}")
        if node.wants_all:  # the collection: each element, in order, shared as it is scoped
            items = a[i].items
            assert [type(x) for x in items] == [classes[e] for e in model.elements()]
            for x, e in zip(items, model.elements(), strict=True):
                if model.nodes[e].scope != "transient":
                    assert x is a[e]


@PROPERTY
@given(graphs(allow_problems=False, allow_private=True))
def test_valid_graphs_resolve_with_the_right_wiring_and_identity(model: Model) -> None:
    """Every dependency is an instance of its node; identity follows each node's scope."""
    classes, module = model.build()
    container = InjectQ(module, strict=True)
    with container.scope() as first:
        a = resolve_all(first, model, classes)
        b = resolve_all(first, model, classes)
    with container.scope() as second:
        c = resolve_all(second, model, classes)
    check_wiring_and_identity(model, classes, a, b, c)
    container.close()


@PROPERTY
@given(graphs(allow_problems=False, allow_async=True, allow_private=True))
def test_valid_graphs_resolve_through_aget_with_the_same_wiring(model: Model) -> None:
    """The async twin: aget() of graphs with async providers wires and caches the same way."""
    classes, module = model.build()

    async def scenario() -> None:
        container = InjectQ(module, strict=True)
        async with container.scope() as first:
            a = await aresolve_all(first, model, classes)
            b = await aresolve_all(first, model, classes)
        async with container.scope() as second:
            c = await aresolve_all(second, model, classes)
        check_wiring_and_identity(model, classes, a, b, c)
        await container.aclose()

    asyncio.run(asyncio.wait_for(scenario(), 10))


@PROPERTY
@given(graphs(allow_problems=False, allow_private=True))
def test_teardown_runs_in_reverse_creation_order(model: Model) -> None:
    """Each closing disposes what it owns in reverse creation order; everything exactly once."""
    classes, module = model.build()
    container = InjectQ(module, strict=True)
    with container.scope() as scope:
        resolve_all(scope, model, classes)
    created = [(n, i) for event, n, i in model.log if event == "create"]
    by_scope = [(n, i) for event, n, i in model.log if event == "dispose"]
    products = {(n, i) for event, n, i in model.log if event == "product"}
    del model.log[:]
    container.close()
    by_container = [(n, i) for event, n, i in model.log if event == "dispose"]

    assert by_scope == [c for c in reversed(created) if c in by_scope]
    assert by_container == [c for c in reversed(created) if c in by_container]
    assert sorted(by_scope + by_container) == sorted(created)  # each disposed once
    # What a factory built belongs to the scope the factory was resolved in, whatever the
    # scope of its binding; everything else to the scope of its binding.
    assert all(model.nodes[n].scope != "singleton" for n, i in by_scope if (n, i) not in products)
    assert all(model.nodes[n].scope != "request" for n, i in by_container if (n, i) not in products)
