"""Type-checked, never run: what mypy and pyright infer for the public API."""

import abc
from collections.abc import Awaitable
from typing import Generic, TypeVar, assert_type

from injectq import (
    INJECTED,
    Activation,
    Assisted,
    AsyncFactory,
    BindingInfo,
    Factory,
    InjectionPoint,
    InjectQ,
    Module,
    Override,
    PrivateModule,
    PrivateModuleInfo,
    Provider,
    Scope,
    inject,
    provider,
)


class Service:
    pass


class Repository(abc.ABC):
    @abc.abstractmethod
    def find(self) -> str: ...


T = TypeVar("T")


class Cache(Generic[T]):
    pass


class User:
    pass


def handler_for_validate(service: Service) -> None:
    pass


async def check(container: InjectQ, provide: Provider[Service]) -> None:
    assert_type(container.get(Service), Service)
    assert_type(container.get(Repository), Repository)  # abstract keys keep their type
    assert_type(container.get(Cache[User]), Cache[User])
    assert_type(container.get(Service, name="primary"), Service)
    assert_type(await container.aget(Service), Service)
    assert_type(container.get_all(Service), dict[str, Service])
    assert_type(provide(), Service)
    with container.scope() as scope:
        assert_type(scope, Scope)
        assert_type(scope.get(Service), Service)
        assert_type(await scope.aget(Service), Service)
    async with container.resource_scope("tenant", context={User: User()}) as tenant:
        assert_type(tenant, Scope)
        assert_type(tenant.get_all(Service), dict[str, Service])
        assert_type(await tenant.aget_all(Service), dict[str, Service])
        assert_type(tenant.name, str)
        assert_type(tenant.closed, bool)
    assert_type(await container.aget_all(Service), dict[str, Service])
    assert_type(container.activate(), Activation[InjectQ])
    with container.activate() as active:
        assert_type(active, InjectQ)
    async with container.override(Service, Service()) as overridden:
        assert_type(overridden, InjectQ)
    assert_type(container.override(Service, Service()), Override[InjectQ])
    assert_type(container.validate(handler_for_validate), None)

    def handler(order_id: int, service: Service) -> str:
        return str(order_id)

    async def ahandler(order_id: int, service: Service) -> bytes:
        return b""

    assert_type(container.call(handler, 1), str)
    assert_type(await container.acall(ahandler, 1), bytes)  # the coroutine's result
    assert_type(await container.acall(handler, 1), str)  # a sync function's result

    @inject
    def injected(order_id: int, service: Service = INJECTED) -> float:
        return 1.0

    assert_type(injected(1), float)  # INJECTED parameters may be left out

    class M(Module):
        def configure(self) -> None:
            self.bind(Service).singleton().named("x")

    assert_type(container.install(M()), None)


class PrivateTyping(PrivateModule):
    def configure(self) -> None:
        self.bind(Service).singleton()
        assert_type(self.expose(Service), None)
        assert_type(self.expose(Cache[User], name="users"), None)


def check_private_views(container: InjectQ) -> None:
    for info in container.graph.private_modules:
        assert_type(info, PrivateModuleInfo)
        assert_type(info.exposes, tuple[BindingInfo, ...])
        assert_type(info.keeps[0].private_to, str | None)
        assert_type(info.exposes[0].exposed_by, str | None)


class MemoryCache(Cache[T]):
    pass


AnyCache = Cache[T]  # an open key, named at module level for the checkers
AnyMemoryCache = MemoryCache[T]


class OpenGenericTyping(Module):
    def configure(self) -> None:
        self.bind(AnyCache, AnyMemoryCache).singleton()


def check_open_generics(container: InjectQ) -> None:
    assert_type(container.get(Cache[User]), Cache[User])
    assert_type(container.get(MemoryCache[User]), MemoryCache[User])


class Report:
    def __init__(self, service: Service, title: Assisted[str], year: Assisted[int] = 2026) -> None:
        self.title = title
        self.year = year


def factories(container: InjectQ, new_report: Factory[Report]) -> None:
    assert_type(new_report(title="Q3", year=2025), Report)  # Factory[T] returns T
    assert_type(new_report("Q4"), Report)
    assert_type(container.get(Factory[Report]), Factory[Report])
    assert_type(container.get(Factory[Report])("annual"), Report)
    assert_type(Report(Service(), "direct").title, str)  # Assisted[T] is T for checkers
    wrong: Factory[Service] = new_report  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    assert wrong


async def async_factories(new_report: AsyncFactory[Report], container: InjectQ) -> None:
    assert_type(new_report("Q1"), Awaitable[Report])  # the spelling for an async product
    assert_type(container.get(AsyncFactory[Report]), AsyncFactory[Report])
    assert_type(await new_report("Q2"), Report)


class PointModule(Module):
    @provider
    def tagged(self, point: InjectionPoint) -> Service:
        assert_type(point.parameter, str | None)
        assert_type(point.name, str | None)
        return Service()
