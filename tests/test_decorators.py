"""Decorators: Module.decorate() wraps every instance of a binding, keeping its scope."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, ClassVar

import pytest

from injectq import (
    AsyncRequiredError,
    BindingError,
    Factory,
    InjectQ,
    Module,
    Named,
    PrivateModule,
    Provider,
    provider,
    resource,
)
from tests.threads import run_all


class Repository:
    def find(self) -> str:
        return "sql"


class SqlRepository(Repository):
    pass


class FakeRepository(Repository):
    def find(self) -> str:
        return "fake"


class Cache:
    pass


class CachingRepository(Repository):
    def __init__(self, inner: Repository, cache: Cache) -> None:
        self.inner = inner
        self.cache = cache

    def find(self) -> str:
        return f"cached {self.inner.find()}"


class Settings:
    prefix = "logged"


def logging_repository(repository: Repository, settings: Settings) -> Repository:
    class Logged(Repository):
        inner = repository

        def find(self) -> str:
            return f"{settings.prefix} {repository.find()}"

    return Logged()


class RepoModule(Module):
    def configure(self) -> None:
        self.bind(Repository, SqlRepository).singleton()
        self.bind(Cache).singleton()
        self.decorate(Repository, CachingRepository)


def test_a_class_decorator_receives_the_instance_and_injected_parameters() -> None:
    """The decorator's parameter of the key's type gets the instance; the rest is injected."""
    container = InjectQ(RepoModule())
    repository = container.get(Repository)
    assert isinstance(repository, CachingRepository)
    assert type(repository.inner) is SqlRepository
    assert repository.cache is container.get(Cache)
    assert repository.find() == "cached sql"


def test_decorators_apply_in_install_order_the_first_innermost() -> None:
    """Several decorators wrap each other in install order; a function decorator works too."""

    class Logging(Module):
        def configure(self) -> None:
            self.decorate(Repository, logging_repository)

    container = InjectQ(RepoModule(), Logging())
    assert container.get(Repository).find() == "logged cached sql"
    reversed_order = InjectQ(Logging(), RepoModule())
    assert reversed_order.get(Repository).find() == "cached logged sql"


def test_everyone_receives_the_decorated_instance() -> None:
    """Parameters, get(), Provider[T] and call() all receive what the decorator returned."""

    class Service:
        def __init__(self, repository: Repository, later: Provider[Repository]) -> None:
            self.repository = repository
            self.later = later

    def use(repository: Repository) -> str:
        return repository.find()

    container = InjectQ(RepoModule())
    service = container.get(Service)
    assert service.repository is container.get(Repository)
    assert service.later() is container.get(Repository)
    assert container.call(use) == "cached sql"


def test_a_singleton_is_decorated_once() -> None:
    """The decorated binding keeps its scope: a singleton is decorated once."""
    calls: list[Repository] = []

    def counting(repository: Repository) -> Repository:
        calls.append(repository)
        return CachingRepository(repository, Cache())

    class Counting(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository).singleton()
            self.decorate(Repository, counting)

    container = InjectQ(Counting())
    assert container.get(Repository) is container.get(Repository)
    assert len(calls) == 1
    assert container.graph.get(Repository).scope == "singleton"  # type: ignore[union-attr]


def test_a_scoped_binding_is_decorated_once_per_scope_and_a_transient_each_time() -> None:
    """Scoped: one decorated instance per scope; transient: decorated on every resolution."""

    class Scoped(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository).scoped()
            self.bind(Cache)
            self.decorate(Repository, CachingRepository)

    container = InjectQ(Scoped())
    with container.scope() as first:
        a = first.get(Repository)
        assert first.get(Repository) is a
    with container.scope() as second:
        assert second.get(Repository) is not a

    class Transient(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository)
            self.bind(Cache)
            self.decorate(Repository, CachingRepository)

    transient = InjectQ(Transient())
    one, two = transient.get(Repository), transient.get(Repository)
    assert one is not two
    assert one.inner is not two.inner  # type: ignore[attr-defined]


def test_decorating_an_instance_binding_and_a_provider() -> None:
    """Instances (always singletons) and providers are decorated like classes."""
    sql = SqlRepository()

    class Instance(Module):
        def configure(self) -> None:
            self.bind(Repository, sql)
            self.bind(Cache)
            self.decorate(Repository, CachingRepository)

    container = InjectQ(Instance())
    assert container.get(Repository).inner is sql  # type: ignore[attr-defined]
    assert container.get(Repository) is container.get(Repository)


def test_a_named_binding_is_decorated_by_name() -> None:
    """decorate(K, D, name=...) wraps the named binding only; D asks for plain K."""

    class Named2(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository, name="primary")
            self.bind(Repository, FakeRepository, name="replica")
            self.bind(Cache)
            self.decorate(Repository, CachingRepository, name="primary")

    container = InjectQ(Named2())
    assert container.get(Repository, name="primary").find() == "cached sql"
    assert container.get(Repository, name="replica").find() == "fake"
    assert list(container.get_all(Repository)) == ["primary", "replica"]

    def take(repository: Annotated[Repository, Named("primary")]) -> str:
        return repository.find()

    assert container.call(take) == "cached sql"


def test_a_decorator_parameter_annotated_with_the_keys_name() -> None:
    """Annotated[K, Named(name)] of the decorated name receives the instance too."""

    def tag(inner: Annotated[Repository, Named("x")]) -> Repository:
        return CachingRepository(inner, Cache())

    class Tagged(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository, name="x")
            self.decorate(Repository, tag, name="x")

    assert InjectQ(Tagged()).get(Repository, name="x").find() == "cached sql"


def test_a_collection_can_be_decorated() -> None:
    """decorate(list[T], ...) receives the new list of elements."""

    def sort(items: list[Repository]) -> list[Repository]:
        return sorted(items, key=lambda r: r.find())

    class Sorted(Module):
        def configure(self) -> None:
            self.multibind(Repository, SqlRepository)
            self.multibind(Repository, FakeRepository)
            self.decorate(list[Repository], sort)

    assert [r.find() for r in InjectQ(Sorted()).get(list[Repository])] == ["fake", "sql"]


# -- problems ------------------------------------------------------------------------------


def test_decorating_a_key_nothing_binds() -> None:
    """decorate() of an unbound key is a decorate-unbound problem, even for a concrete class."""

    class Unbound(Module):
        def configure(self) -> None:
            self.decorate(Repository, CachingRepository)

    with pytest.raises(BindingError) as info:
        InjectQ(Unbound())
    assert info.value.codes == ("decorate-unbound",)
    assert "decorate(Repository, CachingRepository): nothing binds Repository" in str(info.value)


def test_decorating_a_named_key_bound_under_another_name_suggests_it() -> None:
    """The message suggests the names bound for the type."""

    class Wrong(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository, name="primary")
            self.decorate(Repository, CachingRepository, name="main")

    with pytest.raises(BindingError) as info:
        InjectQ(Wrong())
    assert 'Did you mean: Repository named "primary"' in str(info.value)


def test_a_decorator_without_a_parameter_of_the_keys_type() -> None:
    """A decorator that cannot receive the instance is a decorator-parameter problem."""

    def ignores(cache: Cache) -> Repository:
        return SqlRepository()

    class NoParam(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository)
            self.decorate(Repository, ignores)

    with pytest.raises(BindingError) as info:
        InjectQ(NoParam())
    assert info.value.codes == ("decorator-parameter",)
    assert "ignores has no parameter of type Repository" in str(info.value)
    assert "def ignores(inner: Repository, ...) -> Repository" in str(info.value)


def test_a_decorator_with_two_parameters_of_the_keys_type() -> None:
    """Two parameters that could receive the instance are ambiguous: reported, not guessed."""

    class Both(Repository):
        def __init__(self, a: Repository, b: Repository) -> None:
            self.a, self.b = a, b

    class Ambiguous(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository)
            self.decorate(Repository, Both)

    with pytest.raises(BindingError) as info:
        InjectQ(Ambiguous())
    assert info.value.codes == ("decorator-parameter",)
    assert "has 2 parameters of type Repository ('a', 'b')" in str(info.value)


def test_an_abstract_decorator_and_a_non_callable_one() -> None:
    """An abstract decorator class and a decorator that is no callable are reported."""
    import abc

    class Abstract(Repository, abc.ABC):
        def __init__(self, inner: Repository) -> None:
            self.inner = inner

        @abc.abstractmethod
        def extra(self) -> None: ...

    class Bad(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository)
            self.bind(Cache)
            self.decorate(Repository, Abstract)
            self.decorate(Cache, 42)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]

    with pytest.raises(BindingError) as info:
        InjectQ(Bad())
    assert info.value.codes == ("invalid-binding", "abstract-target")
    assert "decorate() takes a class or a function, got int 42" in str(info.value)
    assert "Abstract is abstract (it does not implement extra)" in str(info.value)


class Audit:
    def __init__(self, level: int) -> None:
        self.level = level


class RequestInfo:
    pass


def audited(repository: Repository, audit: Audit) -> Repository:
    return repository


def test_problems_of_the_decorators_parameters_name_the_decorator() -> None:
    """A dependency of a decorator nothing binds: the decorator's place in the message."""

    class Missing(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository)
            self.decorate(Repository, audited)

    with pytest.raises(BindingError) as info:
        InjectQ(Missing())
    assert info.value.codes == ("missing-binding",)
    assert "Repository decorated by audited at: tests/test_decorators.py:" in str(info.value)


def test_a_decorator_taking_a_scoped_dependency_of_a_singleton_is_captive() -> None:
    """The decorated singleton stays a singleton: a request-scoped parameter is captive."""

    def per_request(repository: Repository, info: RequestInfo) -> Repository:
        return repository

    class Captive(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository).singleton()
            self.bind(RequestInfo).scoped()
            self.decorate(Repository, per_request)

    with pytest.raises(BindingError) as info:
        InjectQ(Captive())
    assert info.value.codes == ("captive-dependency",)
    assert 'Singleton Repository depends on RequestInfo, scoped "request"' in str(info.value)


def test_decorating_a_context_key_is_refused() -> None:
    """A context key is handed in at scope entry: there is no binding to decorate."""

    class Request:
        pass

    def wrap(request: Request) -> Request:
        return request

    class Context(Module):
        def configure(self) -> None:
            self.bind(Request).from_context()
            self.decorate(Request, wrap)

    with pytest.raises(BindingError) as info:
        InjectQ(Context())
    assert info.value.codes == ("decorate-unbound",)
    assert "Request is a context key" in str(info.value)


def test_a_decorator_taking_the_decorated_key_through_a_provider_is_no_cycle() -> None:
    """Provider[K] in a decorator is the decorated K, resolved later: no inner, no cycle."""

    class Lazy(Repository):
        def __init__(self, inner: Repository, again: Provider[Repository]) -> None:
            self.inner, self.again = inner, again

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository).singleton()
            self.decorate(Repository, Lazy)

    container = InjectQ(Wiring())
    repository = container.get(Repository)
    assert repository.again() is repository  # type: ignore[attr-defined]


# -- overrides -----------------------------------------------------------------------------


def test_an_override_replaces_what_is_inside_the_decorators() -> None:
    """override(K, Fake): the decorators stay around the replacement; leaving restores."""
    container = InjectQ(RepoModule())
    before = container.get(Repository)
    with container.override(Repository, FakeRepository()):
        assert container.get(Repository).find() == "cached fake"
    assert container.get(Repository) is before
    assert before.find() == "cached sql"


def test_override_modules_replace_inside_and_may_add_decorators() -> None:
    """install(overrides=...) binding K goes inside; an override's decorate() adds one."""

    class Test(Module):
        def configure(self) -> None:
            self.bind(Repository, FakeRepository)
            self.decorate(Repository, logging_repository)

    container = InjectQ()
    container.install(RepoModule(), overrides=[Test()])
    assert container.get(Repository).find() == "logged cached fake"
    with container.override(Repository, SqlRepository()):
        assert container.get(Repository).find() == "logged cached sql"
    assert container.get(Repository).find() == "logged cached fake"


def test_overriding_a_decorators_dependency_rebuilds_the_decorated_singleton() -> None:
    """The decorated singleton depends on the decorator's parameters: rebuilt inside."""
    container = InjectQ(RepoModule())
    before = container.get(Repository)
    other = Cache()
    with container.override(Cache, other):
        assert container.get(Repository).cache is other  # type: ignore[attr-defined]
    assert container.get(Repository) is before


# -- installing again ----------------------------------------------------------------------


def test_a_later_install_adds_a_decorator() -> None:
    """install() of a module that decorates a key installed before wraps it from then on."""

    class Logging(Module):
        def configure(self) -> None:
            self.decorate(Repository, logging_repository)

    container = InjectQ(RepoModule())
    assert container.get(Repository).find() == "cached sql"
    container.install(Logging())
    assert container.get(Repository).find() == "logged cached sql"


def test_a_later_install_of_a_decorators_optional_dependency() -> None:
    """A decorator's optional parameter bound later: the chain is recompiled with it."""

    class Prefix:
        text = "new"

    def prefixed(repository: Repository, prefix: Prefix | None = None) -> Repository:
        text = prefix.text if prefix is not None else "none"

        class P(Repository):
            def find(self) -> str:
                return f"{text} {repository.find()}"

        return P()

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository)
            self.decorate(Repository, prefixed)

    container = InjectQ(Wiring())
    assert container.get(Repository).find() == "none sql"
    container.bind(Prefix)
    assert container.get(Repository).find() == "new sql"


# -- private modules -----------------------------------------------------------------------


def test_a_private_module_decorates_its_own_binding_before_exposing_it() -> None:
    """Inside a PrivateModule: the decorator may use what it keeps; everyone gets it."""

    class Kept:
        pass

    def wrap(repository: Repository, kept: Kept) -> Repository:
        return CachingRepository(repository, Cache())

    class Postgres(PrivateModule):
        def configure(self) -> None:
            self.bind(Kept)
            self.bind(Repository, SqlRepository)
            self.decorate(Repository, wrap)
            self.expose(Repository)

    container = InjectQ(Postgres(), strict=True)
    assert container.get(Repository).find() == "cached sql"
    info = container.graph.get(Repository)
    assert info is not None
    assert info.role == "decorator"
    assert info.exposed_by == "Postgres"


# -- async and lifecycle ---------------------------------------------------------------------


def test_an_async_decorator_needs_aget() -> None:
    """An async decorator makes the key need an await, like an async provider."""

    async def slow(repository: Repository) -> Repository:
        await asyncio.sleep(0)
        return CachingRepository(repository, Cache())

    class Async(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository).singleton()
            self.decorate(Repository, slow)

    container = InjectQ(Async())
    with pytest.raises(AsyncRequiredError, match=r"aget\(Repository\)"):
        container.get(Repository)
    decorated = asyncio.run(container.aget(Repository))
    assert decorated.find() == "cached sql"


async def test_an_async_inner_binding_is_decorated_through_aget() -> None:
    """The binding inside may be async: aget() awaits it, then decorates."""

    class Async(Module):
        @provider(scope="singleton")
        async def repository(self) -> Repository:
            await asyncio.sleep(0)
            return SqlRepository()

        def configure(self) -> None:
            self.bind(Cache)
            self.decorate(Repository, CachingRepository)

    container = InjectQ(Async())
    first = await container.aget(Repository)
    assert first.find() == "cached sql"
    assert await container.aget(Repository) is first


@resource
class Pool:
    log: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.log.append("open pool")

    def dispose(self) -> None:
        self.log.append("close pool")


@resource
class Wrapped(Pool):
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        Pool.log.append("open wrapper")

    def dispose(self) -> None:
        Pool.log.append("close wrapper")


def test_resources_inside_and_around_are_disposed_newest_first() -> None:
    """The inner resource is created first, the decorator's after; disposal reverses it."""

    class Resources(Module):
        def configure(self) -> None:
            self.bind(Pool).scoped()
            self.decorate(Pool, Wrapped)

    Pool.log.clear()
    container = InjectQ(Resources())
    with container.scope() as scope:
        assert isinstance(scope.get(Pool), Wrapped)
    assert Pool.log == ["open pool", "open wrapper", "close wrapper", "close pool"]


def test_a_function_decorator_returning_the_instance_does_not_dispose_it_twice() -> None:
    """A function decorator's result is no resource of its own (it may be the instance)."""

    def tag(pool: Pool) -> Pool:
        return pool

    class Tagged(Module):
        def configure(self) -> None:
            self.bind(Pool).singleton()
            self.decorate(Pool, tag)

    Pool.log.clear()
    container = InjectQ(Tagged())
    container.get(Pool)
    container.close()
    assert Pool.log == ["open pool", "close pool"]


async def test_a_generator_decorator_tears_down_in_its_scope() -> None:
    """An (async) generator decorator's code after yield runs when its scope ends."""
    log: list[str] = []

    def around(repository: Repository) -> Iterator[Repository]:
        log.append("enter")
        yield repository
        log.append("exit")

    async def aaround(repository: Repository) -> AsyncIterator[Repository]:
        log.append("aenter")
        yield repository
        log.append("aexit")

    class Gen(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository).scoped()
            self.decorate(Repository, around)
            self.decorate(Repository, aaround)

    container = InjectQ(Gen())
    async with container.scope() as scope:
        await scope.aget(Repository)
    assert log == ["enter", "aenter", "aexit", "exit"]


@pytest.mark.usefixtures("fast_switching")
def test_a_decorated_singleton_is_built_once_under_16_threads() -> None:
    """16 threads: one inner instance, decorated once, served to all."""
    inner_built: list[object] = []
    decorated: list[object] = []

    class Slow(Repository):
        def __init__(self) -> None:
            time.sleep(0.01)
            inner_built.append(self)

    def wrap(repository: Repository) -> Repository:
        time.sleep(0.01)
        made = CachingRepository(repository, Cache())
        decorated.append(made)
        return made

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Repository, Slow).singleton()
            self.decorate(Repository, wrap)

    container = InjectQ(Wiring())
    barrier = threading.Barrier(16)
    results: list[Any] = [None] * 16

    def work(i: int) -> None:
        barrier.wait(timeout=5)
        results[i] = container.get(Repository)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    run_all(threads)
    assert len(inner_built) == 1
    assert len(decorated) == 1
    assert all(r is decorated[0] for r in results)


async def test_a_decorated_singleton_is_built_once_under_concurrent_aget() -> None:
    """Concurrent aget(): one async decoration, shared."""
    decorated: list[object] = []

    async def wrap(repository: Repository) -> Repository:
        await asyncio.sleep(0.01)
        made = CachingRepository(repository, Cache())
        decorated.append(made)
        return made

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository).singleton()
            self.decorate(Repository, wrap)

    container = InjectQ(Wiring())
    results = await asyncio.wait_for(
        asyncio.gather(*(container.aget(Repository) for _ in range(50))), 10
    )
    assert len(decorated) == 1
    assert all(r is decorated[0] for r in results)


def test_an_eager_singleton_is_decorated_on_entering() -> None:
    """.eager() on the decorated binding: the decorated instance is made on entering."""
    made: list[str] = []

    def wrap(repository: Repository) -> Repository:
        made.append("decorated")
        return repository

    class Eager(Module):
        def configure(self) -> None:
            self.bind(Repository, SqlRepository).eager()
            self.decorate(Repository, wrap)

    with InjectQ(Eager()):
        assert made == ["decorated"]


# -- seen ------------------------------------------------------------------------------------


def test_the_graph_view_shows_the_chain_in_order() -> None:
    """The key's binding is the outermost decorator; each part has its role and label."""

    class Logging(Module):
        def configure(self) -> None:
            self.decorate(Repository, logging_repository)

    view = InjectQ(RepoModule(), Logging()).graph
    outer = view.get(Repository)
    assert outer is not None
    assert (outer.role, outer.target, outer.scope) == (
        "decorator",
        "logging_repository",
        "singleton",
    )
    parts = [(i.role, i.label, i.target) for i in view if i.key is Repository]
    assert parts == [
        ("decorator", "Repository", "logging_repository"),
        ("inner", "Repository (undecorated)", "SqlRepository"),
        ("decorator", "Repository (decorated by CachingRepository)", "CachingRepository"),
    ]


def test_explain_shows_the_decorator_chain() -> None:
    """explain(K): the outermost decorator, then each one inside, down to the binding."""

    class Logging(Module):
        def configure(self) -> None:
            self.decorate(Repository, logging_repository)

    lines = InjectQ(RepoModule(), Logging()).graph.explain(Repository).splitlines()
    assert lines[0].startswith("Repository  [singleton, decorator logging_repository]  tests/")
    assert lines[1].startswith(
        "├── repository: Repository (decorated by CachingRepository)  =>  Repository (decorated"
        " by CachingRepository)  [singleton, decorator CachingRepository]"
    )
    assert lines[2].startswith(
        "│   ├── inner: Repository (undecorated)  =>  Repository (undecorated)  [singleton, "
        "class SqlRepository]"
    )
    assert lines[3].startswith("│   └── cache: Cache  =>  Cache  [singleton, class Cache]")
    assert lines[4].startswith("└── settings: Settings  =>  Settings  [transient, class Settings")


def test_dot_and_mermaid_draw_the_chain() -> None:
    """Decorators are drawn as decorators, with an edge to what they wrap."""
    view = InjectQ(RepoModule()).graph
    dot = view.to_dot()
    assert 'label="Repository\\ndecorator: CachingRepository"' in dot
    assert 'label="Repository (undecorated)\\nclass: SqlRepository"' in dot
    assert '[label="inner"]' in dot
    mermaid = view.to_mermaid()
    assert "Repository<br/>decorator: CachingRepository" in mermaid
    assert '-->|"inner"|' in mermaid


class Report:
    def __init__(self, title: str) -> None:
        self.title = title


class LoggedReport(Report):
    def __init__(self, inner: Report) -> None:
        self.inner = inner


class Reporter:
    def __init__(self, new_report: Factory[Report]) -> None:
        self.new_report = new_report


def test_a_factory_of_a_decorated_binding_is_refused() -> None:
    """What a Factory builds would skip the decorators: refused at install, with the fix."""

    class Reports(Module):
        def configure(self) -> None:
            self.bind(str, "q3")
            self.bind(Report)
            self.decorate(Report, LoggedReport)
            self.bind(Reporter)

    with pytest.raises(BindingError) as info:
        InjectQ(Reports())
    assert info.value.codes == ("factory-target",)
    text = str(info.value)
    assert (
        "Factory[Report] cannot build Report: Report is decorated (by LoggedReport), and what a "
        "factory builds is not passed through decorators." in text
    )
    assert "Report decorated by LoggedReport at: tests/test_decorators.py:" in text
