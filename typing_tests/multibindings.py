"""Type-checked, never run: collections (`multibind`, `@provider(multi=True)`, `list[T]`).

Each rejected line carries the ignore comment of both checkers; mypy (warn_unused_ignores)
and pyright (reportUnnecessaryTypeIgnoreComment) fail when a rejection stops happening.
"""

import abc
from collections.abc import Sequence
from typing import assert_type

from injectq import BindingRecord, InjectQ, Module, provider


class Middleware(abc.ABC):
    @abc.abstractmethod
    def handle(self) -> None: ...


class Gzip(Middleware):
    def handle(self) -> None:
        pass


class Unrelated:
    pass


def make_gzip() -> Gzip:
    return Gzip()


def make_unrelated() -> Unrelated:
    return Unrelated()


class Accepted(Module):
    def configure(self) -> None:
        assert_type(self.multibind(Middleware), BindingRecord[Middleware])  # a declaration
        assert_type(self.multibind(Middleware, Gzip).singleton(), BindingRecord[Middleware])
        self.multibind(Middleware, make_gzip).scoped()
        self.multibind(Middleware, Gzip())
        self.multibind(Middleware).to(Gzip).eager()
        self.multibind(Middleware).to_provider(make_gzip)
        self.multibind(Middleware).to_instance(Gzip())

    @provider(multi=True)
    def extra(self) -> Middleware:
        return Gzip()


class Rejected(Module):
    def configure(self) -> None:
        self.multibind(Middleware, Unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.multibind(Middleware, make_unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue]
        self.multibind(Middleware).to(Unrelated)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def resolved(container: InjectQ) -> None:
    assert_type(container.get(list[Middleware]), list[Middleware])
    assert_type(await container.aget(list[Middleware]), list[Middleware])

    def takes(middlewares: Sequence[Middleware]) -> int:
        return len(middlewares)

    assert_type(container.call(takes), int)
