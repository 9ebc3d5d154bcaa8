"""Disposal under signals, cancellation, open scopes and closing mid-construction."""

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from injectq import ContainerClosedError, InjectQ, Module, provider, resource

log: list[str] = []


@pytest.fixture(autouse=True)
def clear_log() -> None:
    log.clear()


def recorder(name: str, raises: BaseException | None = None) -> type:
    """A @resource class whose dispose() logs ``name`` and then raises ``raises``."""

    def dispose(self: object) -> None:
        log.append(name)
        if raises is not None:
            raise raises

    return resource(type(name, (), {"dispose": dispose}))


def container_of(*classes: type) -> InjectQ:
    container = InjectQ()
    for cls in classes:
        container.bind(cls, scope="singleton")
        container.get(cls)
    return container


SIGNALS = [KeyboardInterrupt(), SystemExit(3)]


@pytest.mark.parametrize("signal", SIGNALS, ids=["KeyboardInterrupt", "SystemExit"])
def test_a_signal_from_a_teardown_comes_out_as_itself_after_the_others(
    signal: BaseException,
) -> None:
    """close() runs every teardown, then raises the signal itself, not a group."""
    first, middle, last = recorder("First"), recorder("Middle", signal), recorder("Last")
    container = container_of(first, middle, last)
    with pytest.raises(type(signal)) as info:
        container.close()
    assert info.value is signal
    assert log == ["Last", "Middle", "First"]


@pytest.mark.parametrize("signal", SIGNALS, ids=["KeyboardInterrupt", "SystemExit"])
async def test_a_signal_from_a_teardown_comes_out_of_aclose_as_itself(
    signal: BaseException,
) -> None:
    """The async twin: aclose() raises the signal after the other teardowns ran."""
    container = container_of(recorder("First"), recorder("Middle", signal), recorder("Last"))
    with pytest.raises(type(signal)) as info:
        await container.aclose()
    assert info.value is signal
    assert log == ["Last", "Middle", "First"]


def test_a_signal_wins_over_ordinary_failures_and_names_them() -> None:
    """The ordinary failures closing also met are listed in a note on the signal."""
    container = container_of(recorder("Broken", ValueError("bad")), recorder("Stop", SystemExit(3)))
    with pytest.raises(SystemExit) as info:
        container.close()
    assert info.value.code == 3
    assert info.value.__notes__ == [
        "injectq: 1 other teardown(s) also failed while closing the container: ValueError('bad')"
    ]


def test_a_signal_from_a_scope_teardown_comes_out_of_the_with_block() -> None:
    """Leaving a scope whose teardown raises KeyboardInterrupt raises it, not a group."""
    interrupting, plain = recorder("Interrupting", KeyboardInterrupt()), recorder("Plain")
    container = InjectQ()
    container.bind(interrupting, scope="request")
    container.bind(plain, scope="request")
    with pytest.raises(KeyboardInterrupt), container.scope() as scope:
        scope.get(plain)
        scope.get(interrupting)
    assert log == ["Interrupting", "Plain"]


def test_ordinary_teardown_failures_still_come_as_one_exception_group() -> None:
    """Two failing teardowns: one ExceptionGroup holding both, after every teardown ran."""
    container = container_of(recorder("A", ValueError("a")), recorder("B", KeyError("b")))
    with pytest.raises(ExceptionGroup) as info:
        container.close()
    assert [repr(e) for e in info.value.exceptions] == ["KeyError('b')", "ValueError('a')"]
    assert str(info.value) == "2 teardowns failed while closing the container (2 sub-exceptions)"


# -- a cancelled or timed-out close ---------------------------------------------------------


class Slow:
    """A resource whose async dispose() never finishes on its own."""

    async def dispose(self) -> None:
        log.append("slow dispose started")
        await asyncio.Event().wait()


def slow_container() -> InjectQ:
    quick = recorder("Quick")
    container = InjectQ()
    container.bind(quick, scope="singleton")
    container.bind(resource(Slow), scope="singleton")
    container.get(quick)
    container.get(Slow)  # disposed first: created last
    return container


async def test_a_timed_out_aclose_raises_timeout_error_itself() -> None:
    """asyncio.timeout around aclose(): TimeoutError, and the other teardowns still ran."""
    container = slow_container()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await container.aclose()
    assert log == ["slow dispose started", "Quick"]


async def test_a_wait_for_timeout_of_aclose_raises_timeout_error() -> None:
    """wait_for(aclose(), ...) times out with TimeoutError, not a BaseExceptionGroup."""
    container = slow_container()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(container.aclose(), 0.05)
    assert log == ["slow dispose started", "Quick"]


async def test_a_cancelled_aclose_raises_cancelled_error_itself() -> None:
    """task.cancel() during aclose(): the task ends cancelled, the other teardowns ran."""
    container = slow_container()
    task = asyncio.ensure_future(container.aclose())
    while not log:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert task.cancelled()
    assert log == ["slow dispose started", "Quick"]


async def test_a_cancelled_scope_exit_raises_cancelled_error_itself() -> None:
    """Leaving an async scope under a timeout: TimeoutError, not a group."""
    container = InjectQ()
    container.bind(resource(Slow), scope="request")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05), container.scope() as scope:
            await scope.aget(Slow)
    assert log == ["slow dispose started"]


# -- closing with scopes still open ----------------------------------------------------------


@resource
class Pool:
    def dispose(self) -> None:
        log.append("pool")


@resource
class Session:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def dispose(self) -> None:
        log.append("session")


@resource
class Audit:
    def __init__(self, session: Session) -> None:
        self.session = session

    def dispose(self) -> None:
        log.append("audit")


class LayeredModule(Module):
    def configure(self) -> None:
        self.bind(Pool).singleton()
        self.bind(Session).scoped()
        self.bind(Audit).scoped("job")


def test_close_with_scopes_open_closes_them_first_innermost_first() -> None:
    """The open scopes' resources go before the singletons they use."""
    container = InjectQ(LayeredModule())
    with container.scope() as request:
        request.get(Session)
        with container.scope("job") as job:
            job.get(Audit)
            container.close()
            assert log == ["audit", "session", "pool"]
            with pytest.raises(ContainerClosedError):
                job.get(Audit)
    assert log == ["audit", "session", "pool"]  # leaving the scopes disposes nothing again


async def test_aclose_with_a_scope_open_closes_it_first() -> None:
    """The async twin."""
    container = InjectQ(LayeredModule())
    async with container.scope() as request:
        request.get(Session)
        await container.aclose()
        assert log == ["session", "pool"]
    assert log == ["session", "pool"]


# -- resources finished after their scope closed ----------------------------------------------


def test_a_resource_built_while_the_container_closes_is_disposed() -> None:
    """Another thread closes the container mid-construction: the instance is disposed."""
    building = threading.Event()
    closed = threading.Event()

    @resource
    class Slowly:
        def __init__(self) -> None:
            building.set()
            assert closed.wait(5)

        def initialize(self) -> None:
            log.append("initialize")

        def dispose(self) -> None:
            log.append("dispose")

    container = InjectQ()
    container.bind(Slowly, scope="singleton")
    errors: list[BaseException] = []

    def resolve() -> None:
        try:
            container.get(Slowly)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=resolve)
    thread.start()
    assert building.wait(5)
    container.close()
    closed.set()
    thread.join(5)
    assert not thread.is_alive()
    assert log == ["initialize", "dispose"]
    assert [type(e) for e in errors] == [ContainerClosedError]
    assert "it was disposed at once" in str(errors[0])


class Conn:
    pass


class LateModule(Module):
    @provider(scope="transient")
    def conn(self) -> Iterator[Conn]:
        log.append("open")
        yield Conn()
        log.append("close")

    @provider(scope="transient")
    async def aconn(self) -> AsyncIterator[Pool]:
        log.append("aopen")
        yield Pool()
        log.append("aclose")


async def test_a_transient_resource_resolved_after_its_scope_ended_is_disposed_at_once() -> None:
    """A task started in a scope resolves after it ended: disposed, ContainerClosedError."""
    container = InjectQ(LateModule())
    release = asyncio.Event()

    async def late(key: type) -> object:
        await release.wait()
        return await container.aget(key)

    async with container.scope():
        tasks = [asyncio.ensure_future(late(Conn)), asyncio.ensure_future(late(Pool))]
    release.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
    assert [type(r) for r in results] == [ContainerClosedError, ContainerClosedError]
    assert log == ["open", "close", "aopen", "aclose"]
