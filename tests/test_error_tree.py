"""Every raise site uses a class of the error tree, with its structured fields."""

from collections.abc import AsyncIterator, Iterator

import pytest

from injectq import (
    AsyncRequiredError,
    AsyncTeardownError,
    InjectQ,
    LifecycleError,
    Module,
    NoActiveContainerError,
    provider,
)


class Conn: ...


class AsyncConnModule(Module):
    @provider(scope="singleton")
    async def conn(self) -> AsyncIterator[Conn]:
        yield Conn()


def test_current_without_an_active_container_is_a_lookup_error() -> None:
    """InjectQ.current() with nothing active raises NoActiveContainerError (a LookupError)."""
    with pytest.raises(NoActiveContainerError, match="No injectq container is active") as info:
        InjectQ.current()
    assert isinstance(info.value, LookupError)


async def test_sync_close_with_async_teardowns_counts_them() -> None:
    """A sync close() with an async teardown pending raises AsyncTeardownError; nothing runs."""
    container = InjectQ(AsyncConnModule())
    await container.aget(Conn)
    with pytest.raises(AsyncTeardownError) as info:
        container.close()
    assert info.value.pending == 1
    assert info.value.owner == "container"
    assert "aclose()" in info.value.hint
    assert isinstance(info.value, RuntimeError)
    assert not container.closed
    await container.aclose()


def test_generator_provider_yielding_twice_is_a_lifecycle_error() -> None:
    """A generator provider that yields a second value fails its teardown with LifecycleError."""

    class Twice(Module):
        @provider(scope="singleton")
        def conn(self) -> Iterator[Conn]:
            yield Conn()
            yield Conn()

    container = InjectQ(Twice())
    container.get(Conn)
    with pytest.raises(ExceptionGroup) as info:
        container.close()
    (error,) = info.value.exceptions
    assert isinstance(error, LifecycleError)
    assert "yielded more than once" in str(error)
    assert error.owner == "Conn"


def test_sync_enter_with_an_async_eager_singleton_is_async_required() -> None:
    """`with container:` refuses an eager singleton that needs an await, naming `async with`."""

    class Eager(Module):
        def configure(self) -> None:
            self.bind(Conn, self.make).eager()

        @staticmethod
        async def make() -> Conn:
            return Conn()

    container = InjectQ(Eager())
    with pytest.raises(AsyncRequiredError, match="eager singleton Conn needs an await") as info:
        container.__enter__()
    assert info.value.hint == "use `async with container:`."
    assert info.value.key == "Conn"
