"""Type-checked, never run: `bind(K, target)` and the builder take only what serves a `K`.

Each rejected line carries the ignore comment of both checkers; mypy (warn_unused_ignores)
and pyright (reportUnnecessaryTypeIgnoreComment) fail when a rejection stops happening.
"""

import abc
from collections.abc import AsyncIterator, Iterator
from typing import Generic, NewType, Protocol, TypeVar, assert_type

from injectq import BindingRecord, InjectQ, Module

T = TypeVar("T")


class Repository(abc.ABC):
    @abc.abstractmethod
    def find(self) -> str: ...


class SqlRepository(Repository):
    def find(self) -> str:
        return "sql"


class Unrelated:
    pass


class Greeter(Protocol):
    def greet(self) -> str: ...


class English:
    def greet(self) -> str:
        return "hello"


class Cache(Generic[T]):
    pass


UserId = NewType("UserId", int)


def make_repository() -> SqlRepository:
    return SqlRepository()


async def open_repository() -> SqlRepository:
    return SqlRepository()


def repository_session() -> Iterator[SqlRepository]:
    yield SqlRepository()


async def repository_asession() -> AsyncIterator[SqlRepository]:
    yield SqlRepository()


def make_unrelated() -> Unrelated:
    return Unrelated()


class Accepted(Module):
    def configure(self) -> None:
        assert_type(self.bind(Repository, SqlRepository), BindingRecord[Repository])
        assert_type(self.bind(Repository), BindingRecord[Repository])  # abstract keys too
        self.bind(Repository, make_repository)  # a provider function of the key
        self.bind(Repository, open_repository)  # ... async
        self.bind(Repository, repository_session)  # ... a generator
        self.bind(Repository, repository_asession)  # ... an async generator
        self.bind(Repository, lambda: SqlRepository())  # noqa: PLW0108
        self.bind(Repository, SqlRepository())  # an instance
        self.bind(Greeter, English)  # a protocol and a class that implements it
        self.bind(Greeter, English())
        self.bind(Cache[int], Cache[int])
        self.bind(int, 3)
        self.bind(UserId, UserId(3))
        self.bind(list[Repository], lambda: [SqlRepository()])
        self.bind(Repository, name="sql").to(SqlRepository).singleton()
        self.bind(Repository).to(make_repository)
        self.bind(Repository).to_instance(SqlRepository())
        self.bind(Repository).to_provider(open_repository)
        assert_type(self.bind(Repository).named("x").scoped(), BindingRecord[Repository])


class Rejected(Module):
    def configure(self) -> None:
        self.bind(Repository, Unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.bind(Repository, make_unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.bind(Repository, lambda: Unrelated())  # type: ignore[arg-type,return-value]  # noqa: PLW0108  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.bind(Repository, Unrelated())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.bind(Greeter, Unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.bind(Cache[int], Cache[str])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.bind(int, "3")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.bind(Repository).to(Unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        self.bind(Repository).to(make_unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        self.bind(Repository).to_instance(Unrelated())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        self.bind(Repository).to_provider(make_unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        self.bind(Repository, name="x").to(Unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def container_bind(container: InjectQ) -> None:
    container.bind(Repository, SqlRepository, scope="singleton")
    container.bind(Repository, make_repository)
    container.bind(Repository, Unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]


def overrides(container: InjectQ) -> None:
    with container.override(Repository, SqlRepository()):
        pass
    with container.override(Repository, make_repository), container.override(Accepted()):
        pass
    container.override(Repository, Unrelated())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
    container.override(Repository, Unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
