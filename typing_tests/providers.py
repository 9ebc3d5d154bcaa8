"""Type-checked, never run: `Provider[T]` returns a `T`, `AsyncProvider[T]` an awaitable of one."""

from collections.abc import Awaitable
from typing import assert_type

from injectq import AsyncProvider, Provider


class Connection:
    pass


async def consumers(provide: Provider[Connection], aprovide: AsyncProvider[Connection]) -> None:
    assert_type(provide(), Connection)
    assert_type(aprovide(), Awaitable[Connection])
    assert_type(await aprovide(), Connection)
    forgot_await: Connection = aprovide()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    del forgot_await
    aprovide(1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
