"""Type-checked, never run: callers of `@inject` functions and classes are checked.

Each rejected line carries the ignore comment of both checkers; mypy (warn_unused_ignores)
and pyright (reportUnnecessaryTypeIgnoreComment) fail when a rejection stops happening.
"""

from collections.abc import Awaitable, Callable
from typing import assert_type

from injectq import INJECTED, InjectQ, inject


class Repository:
    pass


@inject
def handle(order_id: int, repo: Repository = INJECTED) -> str:
    return str(order_id)


@inject
async def ahandle(order_id: int, repo: Repository = INJECTED) -> bytes:
    return b""


@inject
class Service:
    def __init__(self, name: str, repo: Repository = INJECTED) -> None:
        self.name = name


class Controller:
    @inject
    def run(self, times: int, repo: Repository = INJECTED) -> int:
        return 0


async def callers(container: InjectQ) -> None:
    assert_type(handle(42), str)  # the injected parameter may be left out
    assert_type(handle(42, Repository()), str)  # ... or passed
    assert_type(handle(order_id=42, repo=Repository()), str)
    assert_type(await ahandle(42), bytes)
    assert_type(Service("x"), Service)
    assert_type(Controller().run(times=2), int)
    kept: Callable[[int], str] = handle  # the signature is kept, with its defaults
    del kept
    assert_type(container.call(handle, 42), str)
    assert_type(await container.acall(ahandle, 42), bytes)  # the coroutine's result

    handle("42")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    handle()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    handle(42, repo=object())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    handle(42, repository=Repository())  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    ahandle(b"42")  # type: ignore[arg-type, unused-coroutine]  # pyright: ignore[reportArgumentType, reportUnusedCoroutine]
    Service(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Service()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Controller().run()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    waiting: Awaitable[str] = ahandle(1)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    del waiting
