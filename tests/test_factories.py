"""Factories with runtime arguments: ``Factory[T]`` and ``Assisted[...]`` parameters."""

import asyncio
import inspect
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated

import pytest

from injectq import (
    INJECTED,
    Assisted,
    AsyncFactory,
    BindingError,
    ContainerClosedError,
    Factory,
    FactoryArgumentError,
    InjectQ,
    InjectQError,
    MissingBindingError,
    Module,
    Named,
    Provider,
    ResolutionError,
    ScopeError,
    UsageError,
    inject,
    provider,
    resource,
)
from tests.threads import run_all

log: list[str] = []


@pytest.fixture(autouse=True)
def clear_log() -> Iterator[None]:
    log.clear()
    yield
    log.clear()


class Database:
    pass


class FakeDatabase(Database):
    pass


class Report:
    def __init__(self, db: Database, title: Assisted[str], year: Assisted[int] = 2026) -> None:
        self.db = db
        self.title = title
        self.year = year


class Reporter:
    def __init__(self, new_report: Factory[Report]) -> None:
        self.new_report = new_report
        self.q3 = new_report(title="Q3", year=2025)


class AppModule(Module):
    def configure(self) -> None:
        self.bind(Database).singleton()
        self.bind(Reporter)


def test_factory_builds_a_new_product_per_call_with_assisted_and_injected_arguments() -> None:
    """Assisted arguments by keyword or position, with defaults; the rest injected."""
    container = InjectQ(AppModule())
    reporter = container.get(Reporter)
    q3 = reporter.q3
    assert (q3.title, q3.year) == ("Q3", 2025)
    assert q3.db is container.get(Database)
    by_position = reporter.new_report("Q4", 2024)
    defaulted = reporter.new_report("annual")
    assert (by_position.title, by_position.year) == ("Q4", 2024)
    assert (defaulted.title, defaulted.year) == ("annual", 2026)
    assert len({id(q3), id(by_position), id(defaulted)}) == 3  # never cached
    assert by_position.db is q3.db  # the singleton dependency is shared


def test_get_of_factory_works_and_the_container_serves_one_per_resolution() -> None:
    """``get(Factory[T])`` returns the same kind of callable a parameter receives."""
    container = InjectQ(AppModule())
    make = container.get(Factory[Report])
    report = make("direct")
    assert isinstance(report, Report)
    assert report.title == "direct"
    assert make("again") is not report
    assert getattr(make, "__name__", None) == "Factory[Report]"


def test_bound_implementation_class_constructor_is_used() -> None:
    """``bind(T, Impl)``: the factory calls Impl's constructor and its own Assisted params."""

    class Shape:
        pass

    class Circle(Shape):
        def __init__(self, db: Database, radius: Assisted[float]) -> None:
            self.db = db
            self.radius = radius

    class Shapes(Module):
        def configure(self) -> None:
            self.bind(Shape, Circle)

    container = InjectQ(Shapes())
    circle = container.get(Factory[Shape])(radius=2.0)
    assert type(circle) is Circle
    assert circle.radius == 2.0
    assert type(circle.db) is Database


def test_scope_of_the_product_binding_does_not_cache_what_a_factory_builds() -> None:
    """A singleton binding of T still gets a new T per factory call."""

    class Counter:
        def __init__(self, start: Assisted[int] = 0) -> None:
            self.start = start

    class Counters(Module):
        def configure(self) -> None:
            self.bind(Counter).singleton()

    make = InjectQ(Counters()).get(Factory[Counter])
    assert make(1) is not make(1)


def test_provider_function_target_takes_assisted_parameters() -> None:
    """A provider bound to T may mark parameters Assisted too."""

    class Greeting:
        def __init__(self, text: str) -> None:
            self.text = text

    def greet(db: Database, name: Assisted[str], punctuation: Assisted[str] = "!") -> Greeting:
        return Greeting(f"hello {name}{punctuation} ({type(db).__name__})")

    class Greetings(Module):
        def configure(self) -> None:
            self.bind(Greeting, greet)

    make = InjectQ(Greetings()).get(Factory[Greeting])
    assert make("ada").text == "hello ada! (Database)"
    assert make("bob", punctuation="?").text == "hello bob? (Database)"


def test_named_factory_builds_the_named_binding() -> None:
    """``Annotated[Factory[T], Named(...)]`` (or ``Factory[Annotated[T, Named]]``) is by name."""

    class Handler:
        pass

    class Email(Handler):
        def __init__(self, to: Assisted[str]) -> None:
            self.to = to

    class Uses:
        def __init__(
            self,
            outer: Annotated[Factory[Handler], Named("email")],
            inner: Factory[Annotated[Handler, Named("email")]],
        ) -> None:
            self.outer = outer
            self.inner = inner

    class Handlers(Module):
        def configure(self) -> None:
            self.bind(Handler, Email, name="email")

    container = InjectQ(Handlers())
    uses = container.get(Uses)
    assert type(uses.outer("a")) is Email
    inner = uses.inner("b")
    assert isinstance(inner, Email)
    assert inner.to == "b"
    named = container.get(Factory[Handler], name="email")("c")
    assert isinstance(named, Email)
    assert named.to == "c"


def test_positional_only_and_keyword_only_assisted_parameters_keep_their_kind() -> None:
    """The callable's signature mirrors the product's Assisted parameters."""

    class Point:
        def __init__(self, x: Assisted[int], /, db: Database, *, label: Assisted[str]) -> None:
            self.x = x
            self.label = label
            self.db = db

    make = InjectQ().get(Factory[Point])
    point = make(1, label="origin")
    assert (point.x, point.label) == (1, "origin")
    with pytest.raises(TypeError):
        make(x=1, label="a")  # positional-only
    with pytest.raises(FactoryArgumentError):
        make(1, "positional label")  # keyword-only


def test_factory_of_a_class_without_assisted_parameters_takes_no_argument() -> None:
    """A class with no Assisted parameter: a factory that builds a new one per call."""
    make = InjectQ(AppModule()).get(Factory[Reporter])
    assert make() is not make()


# -- call errors ---------------------------------------------------------------------------


def where(cls: type) -> str:
    return f"tests/test_factories.py:{inspect.getsourcelines(cls)[1]}"


@pytest.mark.parametrize(
    ("call", "expected", "missing", "unexpected"),
    [
        (
            lambda make: make(),
            "Factory[Report] was called without 'title': it is an Assisted parameter of "
            "Report.__init__ with no default.",
            ("title",),
            (),
        ),
        (
            lambda make: make("a", 1, 2),
            "Factory[Report] takes 2 positional arguments (title, year), but 3 were given.",
            (),
            ("1 positional argument",),
        ),
        (
            lambda make: make("a", colour="red"),
            "Factory[Report] got the unexpected argument 'colour'; the Assisted parameters of "
            "Report.__init__ are: 'title', 'year'.",
            (),
            ("colour",),
        ),
        (
            lambda make: make(year=1, db=Database()),
            "Factory[Report] was called without 'title': it is an Assisted parameter of "
            "Report.__init__ with no default.",
            ("title",),
            ("db",),
        ),
    ],
    ids=["missing", "too-many", "unexpected-keyword", "injected-one-passed"],
)
def test_a_call_with_missing_or_unexpected_arguments_names_them(
    call: object, expected: str, missing: tuple[str, ...], unexpected: tuple[str, ...]
) -> None:
    """The error is an InjectQError and a TypeError, naming the argument and the product."""
    make = InjectQ(AppModule()).get(Factory[Report])
    with pytest.raises(FactoryArgumentError) as info:
        call(make)  # type: ignore[operator]
    error = info.value
    assert isinstance(error, InjectQError)
    assert isinstance(error, TypeError)
    assert isinstance(error, UsageError)
    assert str(error) == (
        f"{expected}\nReport defined at: {where(Report)}\n"
        "Hint: call it as Factory[Report](title, year=2026)."
    )
    assert error.factory == "Factory[Report]"
    assert error.missing == missing
    assert error.unexpected == unexpected
    assert error.source == where(Report)


def test_a_product_that_cannot_be_resolved_directly_says_to_ask_for_its_factory() -> None:
    """``get(T)`` of a class with Assisted parameters is a ResolutionError naming them."""
    container = InjectQ(AppModule())
    with pytest.raises(ResolutionError) as info:
        container.get(Report)
    assert str(info.value) == (
        "Report cannot be resolved directly: its parameters 'title', 'year' are Assisted, "
        "passed when a Factory[Report] is called.\n"
        f"Bound at: {where(Report)}\n"
        "Hint: resolve Factory[Report] and call it with the Assisted arguments."
    )

    class Later:
        def __init__(self, report: Provider[Report]) -> None:
            self.report = report

    later = container.get(Later)  # a Provider resolves when called: no install problem
    with pytest.raises(ResolutionError, match="cannot be resolved directly"):
        later.report()


def test_call_and_inject_fill_a_factory_parameter() -> None:
    """``call()``/``@inject`` give functions a factory like constructors get one."""

    def build(title: str, new_report: Factory[Report]) -> Report:
        return new_report(title)

    @inject
    def injected(new_report: Factory[Report] = INJECTED) -> Report:
        return new_report("injected")

    container = InjectQ(AppModule())
    assert container.call(build, "called").title == "called"
    with container.activate():
        assert injected().title == "injected"


def test_optional_or_defaulted_factory_of_an_unbuildable_product() -> None:
    """``Factory[T] | None`` gets None and a default stays when T cannot be built."""

    class Port:
        def __init__(self, number: Assisted[int]) -> None:
            self.number = number

    class Abstract:
        def __init__(self) -> None:
            raise NotImplementedError

    import abc

    class Gateway(abc.ABC):
        @abc.abstractmethod
        def pay(self) -> None: ...

    class Uses:
        def __init__(self, maybe: Factory[Gateway] | None, ports: Factory[Port]) -> None:
            self.maybe = maybe
            self.ports = ports

    uses = InjectQ().get(Uses)
    assert uses.maybe is None
    assert uses.ports(80).number == 80


def test_provider_of_a_factory_resolves_it_when_called() -> None:
    """``Provider[Factory[T]]`` hands out the factory in the scope active at call time."""

    class Lazy:
        def __init__(self, later: Provider[Factory[Report]]) -> None:
            self.later = later

    container = InjectQ(AppModule())
    lazy = container.get(Lazy)
    assert lazy.later()("late").title == "late"


def test_factory_of_provider_is_refused() -> None:
    """``Factory[Provider[T]]`` is not something injectq builds."""

    class Odd:
        def __init__(self, make: Factory[Provider[Report]]) -> None:
            self.make = make

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Odd)

    with pytest.raises(BindingError) as info:
        InjectQ(Wiring())
    assert info.value.codes == ("unsupported-annotation",)
    assert "Factory[Provider[Report]] is not supported; use Provider[Factory[T]]" in str(info.value)


def test_get_of_a_factory_of_an_abstract_class_is_a_missing_binding() -> None:
    """Nothing to construct: MissingBindingError naming the product."""
    import abc

    class Gateway(abc.ABC):
        @abc.abstractmethod
        def pay(self) -> None: ...

    with pytest.raises(MissingBindingError, match=r"Nothing binds Factory\[.*Gateway\]"):
        InjectQ().get(Factory[Gateway])


# -- install-time validation -----------------------------------------------------------------


def test_unbound_injected_dependency_of_a_product_is_reported_at_install() -> None:
    """The product's injected parameters are validated at install, naming the consumer."""
    import abc

    class Store(abc.ABC):
        @abc.abstractmethod
        def put(self) -> None: ...

    class Invoice:
        def __init__(self, store: Store, number: Assisted[int]) -> None:
            self.store = store

    class Billing:
        def __init__(self, new_invoice: Factory[Invoice]) -> None:
            self.new_invoice = new_invoice

    class BillingModule(Module):
        def configure(self) -> None:
            self.bind(Billing)

    with pytest.raises(BindingError) as info:
        InjectQ(BillingModule())
    assert info.value.codes == ("missing-binding",)
    text = str(info.value)
    assert "Requested by: parameter 'store' of " in text
    assert "Invoice built by Factory[" in text
    assert "for parameter 'new_invoice' of " in text
    assert "or mark it Assisted[" in text


def test_product_bound_to_an_instance_is_a_factory_target_problem() -> None:
    """A factory cannot construct an instance binding anew."""

    class Settings:
        pass

    class Uses:
        def __init__(self, make: Factory[Settings]) -> None:
            self.make = make

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Settings, Settings())
            self.bind(Uses)

    with pytest.raises(BindingError) as info:
        InjectQ(Wiring())
    assert info.value.codes == ("factory-target",)


def test_injecting_a_class_with_assisted_parameters_directly_is_refused() -> None:
    """A parameter asking for T (not Factory[T]) of an assisted class: assisted-parameter."""

    class Wrong:
        def __init__(self, report: Report) -> None:
            self.report = report

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Wrong)

    with pytest.raises(BindingError) as info:
        InjectQ(Wiring())
    assert info.value.codes == ("assisted-parameter",)
    assert "take report: Factory[Report]" in str(info.value)


def test_an_eager_binding_with_assisted_parameters_is_refused() -> None:
    """Eager means built at start, which needs the Assisted arguments nobody passes."""

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Report).eager()

    with pytest.raises(BindingError) as info:
        InjectQ(Wiring())
    assert info.value.codes == ("assisted-parameter",)


def test_strict_container_builds_only_bound_products() -> None:
    """``strict=True``: a factory of an unbound class is a missing binding; bound is fine."""

    class Strict(Module):
        def configure(self) -> None:
            self.bind(Database)
            self.bind(Reporter)

    with pytest.raises(BindingError) as info:
        InjectQ(Strict(), strict=True)
    assert info.value.codes == ("missing-binding",)
    assert "Nothing binds Report." in str(info.value)

    class Bound(Strict):
        def configure(self) -> None:
            super().configure()
            self.bind(Report)

    assert InjectQ(Bound(), strict=True).get(Reporter).q3.title == "Q3"


# -- scopes, captive dependencies, cycles ------------------------------------------------------


class RequestData:
    pass


class Row:
    def __init__(self, data: RequestData, index: Assisted[int]) -> None:
        self.data = data
        self.index = index


class Table:
    def __init__(self, new_row: Factory[Row]) -> None:
        self.new_row = new_row


def test_a_singleton_holding_a_factory_of_a_request_scoped_product_is_captive() -> None:
    """The factory builds in the scope it was resolved in: a singleton's is the root."""

    class Captive(Module):
        def configure(self) -> None:
            self.bind(RequestData).scoped()
            self.bind(Table).singleton()

    with pytest.raises(BindingError) as info:
        InjectQ(Captive())
    assert info.value.codes == ("captive-dependency",)
    assert "(via Factory[Row] -> Row)" in str(info.value)


def test_a_factory_resolved_in_a_scope_builds_with_that_scope() -> None:
    """Scoped dependencies of the product come from the scope the factory was resolved in."""

    class Web(Module):
        def configure(self) -> None:
            self.bind(RequestData).scoped()
            self.bind(Table)

    container = InjectQ(Web())
    with container.scope() as scope:
        table = scope.get(Table)
        first, second = table.new_row(1), table.new_row(2)
        assert first.data is second.data is scope.get(RequestData)
    with container.scope() as other:
        assert container.get(Table).new_row(3).data is other.get(RequestData)
        assert other.get(RequestData) is not first.data
    with pytest.raises(ScopeError):
        container.get(Table).new_row(4)  # resolved outside any scope


def test_cycles_through_a_factory_are_allowed() -> None:
    """A product may need what holds its factory, or a factory of itself (a tree)."""

    class Node:
        def __init__(self, children: Factory["Node"], name: Assisted[str]) -> None:
            self.children = children
            self.name = name

    class Manager:
        def __init__(self, hire: "Factory[Worker]") -> None:
            self.hire = hire

    class Worker:
        def __init__(self, manager: Manager, name: Assisted[str]) -> None:
            self.manager = manager
            self.name = name

    globals().update(Node=Node, Worker=Worker)
    try:

        class Org(Module):
            def configure(self) -> None:
                self.bind(Manager).singleton()

        container = InjectQ(Org())
        manager = container.get(Manager)
        worker = manager.hire("ada")
        assert worker.manager is manager
        root = container.get(Factory[Node])("root")
        leaf = root.children("leaf")
        assert leaf.name == "leaf"
        assert leaf.children("deeper").name == "deeper"
    finally:
        del globals()["Node"], globals()["Worker"]


# -- lifecycle -------------------------------------------------------------------------------


@resource
class Conn:
    def __init__(self, name: Assisted[str]) -> None:
        self.name = name
        log.append(f"open {name}")

    def dispose(self) -> None:
        log.append(f"close {self.name}")


@resource
class AsyncConn:
    def __init__(self, name: Assisted[str]) -> None:
        self.name = name

    async def initialize(self) -> None:
        await asyncio.sleep(0)
        log.append(f"open {self.name}")

    async def dispose(self) -> None:
        await asyncio.sleep(0)
        log.append(f"close {self.name}")


def test_resource_products_belong_to_the_scope_the_factory_was_resolved_in() -> None:
    """Disposed when that scope ends, newest first; outside any scope, by the container."""
    container = InjectQ()
    with container.scope() as scope:
        make = scope.get(Factory[Conn])
        make("a")
        make("b")
        assert log == ["open a", "open b"]
    assert log == ["open a", "open b", "close b", "close a"]
    log.clear()
    outside = container.get(Factory[Conn])
    outside("c")
    outside("d")
    assert log == ["open c", "open d"]
    container.close()
    assert log == ["open c", "open d", "close d", "close c"]


def test_async_resource_products_are_awaited_and_disposed_by_their_scope() -> None:
    """The async twin: a product needing an await makes the factory return an awaitable."""

    async def scenario() -> None:
        container = InjectQ()
        async with container.scope() as scope:
            make = await scope.aget(AsyncFactory[AsyncConn])
            pending = make("a")
            assert asyncio.iscoroutine(pending)
            first = await pending
            await make("b")
            assert first.name == "a"
            assert log == ["open a", "open b"]
        assert log == ["open a", "open b", "close b", "close a"]
        log.clear()
        outside = container.get(Factory[AsyncConn])  # a sync get: the factory itself is sync
        made = outside("c")  # typed AsyncConn: AsyncFactory[T] says it is awaitable
        assert inspect.isawaitable(made)
        await made
        await container.aclose()
        assert log == ["open c", "close c"]

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_generator_provider_products_are_torn_down_by_their_scope() -> None:
    """A generator provider target: its code after yield runs when the scope ends."""

    class Session:
        def __init__(self, user: str) -> None:
            self.user = user

    def session(db: Database, user: Assisted[str]) -> Iterator[Session]:
        log.append(f"begin {user}")
        yield Session(user)
        log.append(f"end {user}")

    async def asession(user: Assisted[str]) -> AsyncIterator[Session]:
        log.append(f"abegin {user}")
        yield Session(user)
        log.append(f"aend {user}")

    class Sessions(Module):
        def configure(self) -> None:
            self.bind(Session, session)
            self.bind(Session, asession, name="async")

    container = InjectQ(Sessions())
    with container.scope() as scope:
        make = scope.get(Factory[Session])
        assert make("ann").user == "ann"
        make("bo")
    assert log == ["begin ann", "begin bo", "end bo", "end ann"]
    log.clear()

    async def scenario() -> None:
        async with container.scope() as scope:
            make = scope.get(AsyncFactory[Session], name="async")
            assert (await make("cy")).user == "cy"
        assert log == ["abegin cy", "aend cy"]

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_async_dependency_makes_the_call_awaitable_and_sync_get_of_the_factory_works() -> None:
    """A product whose dependency needs an await: sync and async consumers alike."""

    class Remote:
        pass

    class Client:
        def __init__(self, remote: Remote, path: Assisted[str]) -> None:
            self.remote = remote
            self.path = path

    class Api:
        def __init__(self, new_client: AsyncFactory[Client]) -> None:
            self.new_client = new_client

    class RemoteModule(Module):
        @provider(scope="singleton")
        async def remote(self) -> Remote:
            await asyncio.sleep(0)
            return Remote()

    container = InjectQ(RemoteModule())
    api = container.get(Api)  # the consumer needs no await: the factory is sync

    async def scenario() -> None:
        client = await api.new_client("/a")
        assert client.path == "/a"
        assert client.remote is await container.aget(Remote)
        aapi = await container.aget(Api)
        assert (await aapi.new_client(path="/b")).remote is client.remote

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_a_product_that_raises_leaves_nothing_behind_and_carries_its_path() -> None:
    """User code raising inside the product reaches the caller unchanged, with the path."""

    class Boom:
        def __init__(self, db: Database, fuse: Assisted[int]) -> None:
            msg = f"fuse {fuse}"
            raise ValueError(msg)

    class Holder:
        def __init__(self, make: Factory[Boom]) -> None:
            self.make = make

    holder = InjectQ(AppModule()).get(Holder)
    with pytest.raises(ValueError, match="fuse 3") as info:
        holder.make(3)
    assert any("Boom" in note for note in info.value.__notes__)


def test_a_factory_of_a_closed_scope_refuses_to_build_a_resource() -> None:
    """Resolved in a scope that has ended: building a resource there is an error."""
    container = InjectQ()
    with container.scope() as scope:
        make = scope.get(Factory[Conn])
    with pytest.raises(ContainerClosedError):
        make("late")
    assert log == ["open late", "close late"]  # disposed at once, nothing left open


# -- overrides and later installs ------------------------------------------------------------


class Leaf:
    pass


class Wrapped:
    def __init__(self, leaves: Factory[Leaf]) -> None:
        self.leaves = leaves


def keep_wrapped(inner: Wrapped) -> Wrapped:
    return inner


class Middle:
    def __init__(self, wrapped: Wrapped) -> None:
        self.wrapped = wrapped


class Top:
    def __init__(self, middles: Factory[Middle]) -> None:
        self.middles = middles


def test_an_override_keeps_a_scoped_instance_whose_factory_parameter_it_does_not_touch() -> None:
    """A factory built while another factory's product tree is built: regression.

    Overriding Middle recompiles the whole graph (Wrapped is decorated). Factory[Middle]
    was built first, its product's tree reaching Wrapped before Factory[Leaf] was built:
    Wrapped's parameter found no factory, Wrapped counted as changed, and the open scope
    built a second Wrapped. The factories a product's tree takes are built first now.
    """

    class Graph(Module):
        def configure(self) -> None:
            self.bind(Leaf).scoped()
            self.bind(Wrapped).scoped()
            self.decorate(Wrapped, keep_wrapped)
            self.bind(Middle).scoped()
            self.bind(Top).scoped()

    class NewMiddle(Module):
        def configure(self) -> None:
            self.bind(Middle).scoped()

    c = InjectQ(Graph())
    with c.scope() as scope:
        top = scope.get(Top)
        wrapped = scope.get(Wrapped)
        assert top.middles().wrapped is wrapped
        with c.override(NewMiddle()):
            assert scope.get(Wrapped) is wrapped
            assert scope.get(Top).middles().wrapped is wrapped
        assert scope.get(Wrapped) is wrapped


class Audit:
    def __init__(self, db: Database, event: Assisted[str]) -> None:
        self.db = db
        self.event = event


class Auditor:
    def __init__(self, new_audit: Factory[Audit]) -> None:
        self.new_audit = new_audit


class AuditModule(Module):
    def configure(self) -> None:
        self.bind(Database)
        self.bind(Auditor).singleton()


def test_override_rebuilds_singletons_holding_an_affected_factory_and_restores_exactly() -> None:
    """A factory is a dependency like any other: an override of what it builds with renews
    the singletons holding it while it holds; a factory resolved before keeps its graph."""
    container = InjectQ(AuditModule())
    auditor = container.get(Auditor)
    assert type(auditor.new_audit("before").db) is Database
    with container.override(Database, FakeDatabase):
        inside = container.get(Auditor)
        assert inside is not auditor
        assert type(inside.new_audit("inside").db) is FakeDatabase
        assert type(container.get(Factory[Audit])("direct").db) is FakeDatabase
        assert type(auditor.new_audit("held").db) is Database  # resolved before: as it was
    assert container.get(Auditor) is auditor
    assert type(auditor.new_audit("after").db) is Database
    assert type(container.get(Factory[Audit])("direct").db) is Database


def test_an_override_that_does_not_touch_the_product_keeps_the_singleton() -> None:
    """Singletons holding a factory untouched by the override stay shared."""

    class Unrelated:
        pass

    container = InjectQ(AuditModule())
    auditor = container.get(Auditor)
    with container.override(Unrelated, Unrelated()):
        assert container.get(Auditor) is auditor


def test_override_of_the_product_key_builds_the_replacement_class() -> None:
    """``overrides=`` and ``override(Module)`` replacing T's binding: the replacement is built."""

    class FakeAudit(Audit):
        pass

    class Test(Module):
        def configure(self) -> None:
            self.bind(Audit, FakeAudit)

    container = InjectQ()
    container.install(AuditModule(), overrides=[Test()])
    assert type(container.get(Auditor).new_audit("x")) is FakeAudit
    other = InjectQ(AuditModule())
    auditor = other.get(Auditor)
    with other.override(Test()):
        assert type(other.get(Auditor).new_audit("inside")) is FakeAudit
    assert other.get(Auditor) is auditor
    assert type(auditor.new_audit("outside")) is Audit


def test_resources_built_with_an_override_are_disposed_when_it_ends() -> None:
    """What a factory of the override built in the container is disposed at its end."""

    class Opened:
        pass

    @resource
    class Tracked:
        def __init__(self, opened: Opened, name: Assisted[str]) -> None:
            self.name = name

        def dispose(self) -> None:
            log.append(f"close {self.name}")

    class Fake(Opened):
        pass

    container = InjectQ()
    container.get(Factory[Tracked])("kept")
    with container.override(Opened, Fake):
        container.get(Factory[Tracked])("inside")
    assert log == ["close inside"]
    container.close()
    assert log == ["close inside", "close kept"]


def test_a_later_install_renews_singletons_whose_factory_it_changes() -> None:
    """``install()`` binding the product's optional dependency: holders are built afresh."""

    class Extra:
        pass

    class Widget:
        def __init__(self, label: Assisted[str], extra: Extra | None = None) -> None:
            self.extra = extra

    class Holder:
        def __init__(self, make: Factory[Widget]) -> None:
            self.make = make

    class First(Module):
        def configure(self) -> None:
            self.bind(Holder).singleton()

    class Second(Module):
        def configure(self) -> None:
            self.bind(Extra).singleton()

    container = InjectQ(First())
    holder = container.get(Holder)
    assert holder.make("a").extra is None
    container.install(Second())
    renewed = container.get(Holder)
    assert renewed is not holder
    assert renewed.make("b").extra is container.get(Extra)
    assert container.get(Factory[Widget])("c").extra is container.get(Extra)


# -- concurrency -----------------------------------------------------------------------------


@pytest.mark.usefixtures("fast_switching")
def test_a_singleton_holding_a_factory_is_built_once_under_threads() -> None:
    """16 threads at a 1 µs switch interval: one singleton, one product per call."""
    built: list[object] = []

    class Slow:
        def __init__(self, new_audit: Factory[Audit]) -> None:
            time.sleep(0.001)
            built.append(self)
            self.new_audit = new_audit

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Database).singleton()
            self.bind(Slow).singleton()

    container = InjectQ(Wiring())
    products: list[Audit] = []
    lock = threading.Lock()

    def work() -> None:
        slow = container.get(Slow)
        for i in range(20):
            audit = slow.new_audit(str(i))
            with lock:
                products.append(audit)

    threads = [threading.Thread(target=work) for _ in range(16)]
    run_all(threads, timeout=30)
    assert len(built) == 1
    assert len({id(p) for p in products}) == 16 * 20
    assert len({id(p.db) for p in products}) == 1


def test_a_singleton_holding_a_factory_is_built_once_under_concurrent_aget() -> None:
    """The async twin: concurrent aget() calls share one singleton."""
    built: list[object] = []

    class Slow:
        def __init__(self, new_audit: Factory[Audit]) -> None:
            built.append(self)
            self.new_audit = new_audit

    class Wiring(Module):
        @provider(scope="singleton")
        async def slow(self, new_audit: Factory[Audit]) -> Slow:
            await asyncio.sleep(0.001)
            return Slow(new_audit)

        def configure(self) -> None:
            self.bind(Database).singleton()

    container = InjectQ(Wiring())

    async def scenario() -> None:
        found = await asyncio.gather(*(container.aget(Slow) for _ in range(16)))
        assert len({id(s) for s in found}) == 1
        audits = [found[0].new_audit(str(i)) for i in range(5)]
        assert len({id(a) for a in audits}) == 5

    asyncio.run(asyncio.wait_for(scenario(), 10))
    assert len(built) == 1


# -- seen ------------------------------------------------------------------------------------


def test_the_graph_view_shows_factories_and_what_they_build() -> None:
    """A factory is a binding of kind "factory"; its dependencies are its product's."""
    from tests.cli_fixtures.factories import Database as Db
    from tests.cli_fixtures.factories import Report as Rep
    from tests.cli_fixtures.factories import Reporter as Rpt
    from tests.cli_fixtures.factories import ReportModule

    graph = InjectQ(ReportModule()).graph
    reporter = graph.get(Rpt)
    assert reporter is not None
    [dep] = reporter.dependencies
    assert (dep.parameter, dep.strategy, dep.key) == ("new_report", "factory", Factory[Rep])
    factory = graph.get(Factory[Rep])
    assert factory is not None
    assert (factory.kind, factory.target, factory.scope) == ("factory", "Report", "transient")
    assert [(d.parameter, d.strategy, d.key) for d in factory.dependencies] == [
        ("db", "binding", Db),
        ("title", "assisted", None),
    ]
    text = graph.to_text()
    assert "    new_report: Factory[Report] (builds a new one per call)" in text
    assert "    title: passed by the caller of the factory (Assisted)" in text
    fixture = "tests/cli_fixtures/factories.py"
    lines = Path(fixture).read_text(encoding="utf-8").splitlines()
    bound = next(i for i, line in enumerate(lines, 1) if "self.bind(Database)" in line)
    defined = next(i for i, line in enumerate(lines, 1) if line.startswith("class Report:"))
    assert graph.explain(Rpt).splitlines()[1:] == [
        "└── new_report: Factory[Report] (builds a new one per call)  =>  Factory[Report]  "
        f"[transient, factory Report, just in time]  {fixture}:{defined}",
        "    ├── db: Database  =>  Database  [singleton, class Database]  "
        f"{fixture}:{bound} (in ReportModule)",
        "    └── title: passed by the caller of the factory (Assisted)",
    ]
    assert '  n1 -> n2 [label="new_report", style=dotted];' in graph.to_dot()
    assert '  n1 ==>|"new_report"| n2' in graph.to_mermaid()


def test_the_command_line_shows_factories() -> None:
    """`python -m injectq graph` and `explain` show the factory edge and what it builds."""
    import subprocess

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "injectq", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    graph = cli("graph", "tests.cli_fixtures.factories:ReportModule")
    assert graph.returncode == 0, graph.stderr
    assert "Factory[Report]  [transient, factory Report, just in time]" in graph.stdout
    explain = cli("explain", "tests.cli_fixtures.factories:ReportModule", "Reporter")
    assert explain.returncode == 0, explain.stderr
    assert "new_report: Factory[Report] (builds a new one per call)" in explain.stdout
    mermaid = cli("graph", "tests.cli_fixtures.factories:ReportModule", "--format", "mermaid")
    assert '==>|"new_report"|' in mermaid.stdout


def test_async_factory_returns_awaitables_even_for_a_sync_product() -> None:
    """``AsyncFactory[T]``: the spelling checkers read as returning an awaitable."""

    class Plain:
        def __init__(self, db: Database, n: Assisted[int]) -> None:
            self.n = n

    class Uses:
        def __init__(self, sync: Factory[Plain], awaited: AsyncFactory[Plain]) -> None:
            self.sync = sync
            self.awaited = awaited

    uses = InjectQ().get(Uses)
    assert uses.sync(1).n == 1

    async def scenario() -> None:
        pending = uses.awaited(2)
        assert inspect.isawaitable(pending)
        assert (await pending).n == 2

    asyncio.run(asyncio.wait_for(scenario(), 10))


# -- private modules -------------------------------------------------------------------------


class Pool:
    pass


class Repo:
    def __init__(self, pool: Pool, table: Assisted[str]) -> None:
        self.pool = pool
        self.table = table


class Service:
    def __init__(self, new_repo: Factory[Repo]) -> None:
        self.new_repo = new_repo


def test_a_factory_inside_a_private_module_builds_with_its_private_bindings() -> None:
    """Robot legs: each private module's factory builds with its own private singleton."""
    from injectq import PrivateModule

    class Leg(PrivateModule):
        def __init__(self, name: str) -> None:
            self.name = name

        def configure(self) -> None:
            self.bind(Pool).singleton()  # kept inside
            self.bind(Service, name=self.name)
            self.expose(Service, name=self.name)

    container = InjectQ(Leg("left"), Leg("right"))
    left = container.get(Service, name="left").new_repo("a")
    right = container.get(Service, name="right").new_repo("b")
    assert left.pool is not right.pool
    assert container.get(Service, name="left").new_repo("c").pool is left.pool
    with pytest.raises(MissingBindingError):
        container.get(Factory[Repo])  # outside, Pool is kept: nothing can build Repo


def test_a_factory_of_an_exposed_binding_builds_it_from_inside() -> None:
    """An exposed class whose dependencies are kept: its factory outside still builds it."""
    from injectq import PrivateModule

    class Storage(PrivateModule):
        def configure(self) -> None:
            self.bind(Pool).singleton()
            self.bind(Repo)
            self.expose(Repo)

    class Outside(Module):
        def configure(self) -> None:
            self.bind(Service)

    container = InjectQ(Storage(), Outside())
    repo = container.get(Service).new_repo("users")
    assert repo.table == "users"
    assert container.get(Factory[Repo])("x").pool is repo.pool


def test_nested_overrides_of_a_product_renew_and_dispose_its_holders_each_time() -> None:
    """Regression: the same replacement twice (nested) is a new binding each time, so a
    singleton holding its factory built inside the inner override is disposed at its end."""

    @resource
    class Holder:
        def __init__(self, make: Factory[Audit]) -> None:
            self.audit = make("held")

        def dispose(self) -> None:
            log.append("dispose holder")

    def fake(db: Database, event: Assisted[str]) -> Audit:
        return Audit(FakeDatabase(), event)

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Database)
            self.bind(Holder).singleton()

    container = InjectQ(Wiring())
    with container.override(Audit, fake):
        with container.override(Audit, fake):
            inner = container.get(Holder)
            assert type(inner.audit.db) is FakeDatabase
            assert log == []
        assert log == ["dispose holder"]  # built inside the inner override: disposed with it
        assert container.get(Holder) is not inner
