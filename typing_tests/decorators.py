"""Type-checked, never run: `Module.decorate(K, decorator)` takes what makes a `K`.

Each rejected line carries the ignore comment of both checkers; mypy (warn_unused_ignores)
and pyright (reportUnnecessaryTypeIgnoreComment) fail when a rejection stops happening.
"""

import abc
from collections.abc import Iterator

from injectq import Module


class Repository(abc.ABC):
    @abc.abstractmethod
    def find(self) -> str: ...


class SqlRepository(Repository):
    def find(self) -> str:
        return "sql"


class Caching(Repository):
    def __init__(self, inner: Repository) -> None:
        self.inner = inner

    def find(self) -> str:
        return self.inner.find()


class Unrelated:
    def __init__(self, inner: Repository) -> None:
        self.inner = inner


def logged(inner: Repository) -> Repository:
    return inner


async def alogged(inner: Repository) -> Repository:
    return inner


def around(inner: Repository) -> Iterator[Repository]:
    yield inner


def ordered(items: list[Repository]) -> list[Repository]:
    return sorted(items, key=lambda r: r.find())


def unrelated(inner: Repository) -> Unrelated:
    return Unrelated(inner)


class Accepted(Module):
    def configure(self) -> None:
        self.bind(Repository, SqlRepository)
        self.decorate(Repository, Caching)  # a class that is a Repository
        self.decorate(Repository, logged)  # a function returning one
        self.decorate(Repository, alogged)  # ... async
        self.decorate(Repository, around)  # ... a generator
        self.decorate(Repository, logged, name="primary")
        self.decorate(list[Repository], ordered)  # a collection


class Rejected(Module):
    def configure(self) -> None:
        self.decorate(Repository, Unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.decorate(Repository, unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
