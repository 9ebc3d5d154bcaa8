"""Async creation under cancellation: waiters shielded, creators hand over, nothing leaks."""

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from injectq import InjectQ, Module, provider, resource


class Service:
    pass


class Slow:
    """A singleton whose provider blocks on a gate the test opens (the first call only)."""


def slow_container() -> tuple[InjectQ, asyncio.Event, list[str]]:
    """A container whose async singleton Slow waits for ``gate`` on its first creation."""
    gate = asyncio.Event()
    calls: list[str] = []

    async def make() -> Slow:
        calls.append("make")
        if len(calls) == 1:
            await gate.wait()
        return Slow()

    container = InjectQ()
    container.bind(Slow, make, scope="singleton")
    return container, gate, calls


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0)


async def test_cancelling_a_waiter_leaves_the_creator_and_other_waiters_alone() -> None:
    """The creator finishes normally; the other waiter gets the one instance."""
    container, gate, calls = slow_container()
    creator = asyncio.ensure_future(container.aget(Slow))
    await until(lambda: calls == ["make"])
    cancelled = asyncio.ensure_future(container.aget(Slow))
    patient = asyncio.ensure_future(container.aget(Slow))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.sleep(0)
    gate.set()
    value = await asyncio.wait_for(creator, 5)
    assert await asyncio.wait_for(patient, 5) is value
    assert cancelled.cancelled()
    assert calls == ["make"]
    assert await container.aget(Slow) is value


@pytest.mark.parametrize("how", ["cancel", "wait_for", "task_group"])
async def test_a_cancelled_creator_hands_creation_to_the_next_waiter(how: str) -> None:
    """task.cancel(), a wait_for timeout or a failing TaskGroup sibling: waiters go on."""
    container, _gate, calls = slow_container()
    outcome: list[str] = []

    async def creator() -> None:
        try:
            if how == "wait_for":
                await asyncio.wait_for(container.aget(Slow), 0.02)
            elif how == "task_group":

                async def failing_sibling() -> None:
                    await until(lambda: len(waiters) == 3)
                    await asyncio.sleep(0.01)
                    msg = "sibling failed"
                    raise ValueError(msg)

                async with asyncio.TaskGroup() as group:
                    group.create_task(container.aget(Slow))
                    group.create_task(failing_sibling())
            else:
                await container.aget(Slow)
        except TimeoutError:
            outcome.append("timeout")
        except ExceptionGroup as group:
            outcome.append("group failed: " + ", ".join(repr(e) for e in group.exceptions))

    waiters: list[asyncio.Future[Slow]] = []
    task = asyncio.ensure_future(creator())
    await until(lambda: calls == ["make"])
    waiters.extend(asyncio.ensure_future(container.aget(Slow)) for _ in range(3))
    await asyncio.sleep(0.005)
    if how == "cancel":
        task.cancel()
    results = await asyncio.wait_for(asyncio.gather(*waiters), 5)
    assert all(r is results[0] for r in results)
    assert calls == ["make", "make"]  # the creator's attempt, then one waiter's
    await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 5)
    expected = {
        "cancel": [],
        "wait_for": ["timeout"],
        "task_group": ["group failed: ValueError('sibling failed')"],
    }[how]
    assert outcome == expected
    assert await container.aget(Slow) is results[0]


# -- a cancellation landing at every await of one creation -------------------------------------

log: list[str] = []


class Token:
    pass


class Conn:
    pass


@resource
class Client:
    def __init__(self, token: Token, conn: Conn) -> None:
        self.token = token
        self.conn = conn

    async def initialize(self) -> None:
        log.append("client initialize")
        await step("client initialize")

    async def dispose(self) -> None:
        log.append("client dispose")


POINTS = ["token", "conn open", "client initialize"]
stop_at: list[str] = []
reached: asyncio.Event | None = None


async def step(point: str) -> None:
    """An await of the creation; it blocks forever at the point the test cancels at."""
    await asyncio.sleep(0)
    if stop_at and stop_at[0] == point:
        assert reached is not None
        reached.set()
        await asyncio.Event().wait()


class ClientModule(Module):
    def configure(self) -> None:
        self.bind(Client).singleton()

    @provider(scope="singleton")
    async def token(self) -> Token:
        await step("token")
        return Token()

    @provider(scope="singleton")
    async def conn(self) -> AsyncIterator[Conn]:
        log.append("conn open")
        await step("conn open")
        yield Conn()
        log.append("conn close")


@pytest.mark.parametrize("point", POINTS)
async def test_a_cancellation_at_any_await_of_a_creation_caches_and_leaks_nothing(
    point: str,
) -> None:
    """Cancel where ``point`` awaits; the next aget() builds afresh and close disposes all."""
    global reached
    log.clear()
    stop_at[:] = [point]
    reached = asyncio.Event()
    container = InjectQ(ClientModule())
    task = asyncio.ensure_future(container.aget(Client))
    await asyncio.wait_for(reached.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    stop_at.clear()
    client = await asyncio.wait_for(container.aget(Client), 5)
    assert await container.aget(Client) is client
    await asyncio.wait_for(container.aclose(), 5)
    # Whatever was initialized is disposed exactly once; nothing half-built was served.
    assert log.count("client initialize") == (2 if point == "client initialize" else 1)
    assert log.count("client dispose") == 1
    assert log.count("conn close") == 1  # the one that yielded; a cancelled one never did


class Link:
    """A request-scoped async resource: each records its close."""

    closed: list["Link"] = []


async def test_cancelling_a_scoped_aget_mid_creation_lets_the_scope_create_it_again() -> None:
    """scope.aget (its lookup table included): a cancelled creation caches nothing."""
    gate = asyncio.Event()
    made: list[Link] = []

    async def connect() -> AsyncIterator[Link]:
        conn = Link()
        made.append(conn)
        if len(made) == 1:
            await gate.wait()  # the first creation is cancelled here
        yield conn
        Link.closed.append(conn)

    container = InjectQ()
    container.bind(Link, connect, scope="request")
    Link.closed = []
    for round_ in range(2):  # the second round finds the factory in the table
        async with container.scope() as scope:
            if round_ == 0:
                task = asyncio.ensure_future(scope.aget(Link))
                await until(lambda: len(made) == 1)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            conn = await scope.aget(Link)
            assert await scope.aget(Link) is conn
        assert Link.closed[-1] is conn
    assert Link.closed == made[1:]  # the cancelled one never yielded, so never closed
