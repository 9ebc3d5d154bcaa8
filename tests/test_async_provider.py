"""`AsyncProvider[T]`: a provider whose call returns an awaitable of `T`, for any binding."""

import asyncio
import inspect
from typing import Any

import pytest

from injectq import (
    AsyncProvider,
    BindingError,
    InjectQ,
    Module,
    Provider,
    ScopeError,
    inject,
    provider,
)
from tests.threads import run_all


class Connection:
    def __init__(self, number: int) -> None:
        self.number = number


class Settings:
    pass


class Session:
    pass


class Counter:
    def __init__(self) -> None:
        self.made = 0


class AsyncModule(Module):
    """An async singleton Connection, a sync transient Settings, a scoped Session."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def configure(self) -> None:
        self.bind(Counter, self.counter)
        self.bind(Settings).transient()
        self.bind(Session).scoped()

    @provider(scope="singleton")
    async def connect(self, counter: Counter) -> Connection:
        await asyncio.sleep(0)
        counter.made += 1
        return Connection(counter.made)


class Reports:
    """A singleton holding providers of an async singleton, a transient and a scoped key."""

    def __init__(
        self,
        connect: AsyncProvider[Connection],
        settings: AsyncProvider[Settings],
        session: AsyncProvider[Session],
    ) -> None:
        self.connect = connect
        self.settings = settings
        self.session = session


def make(counter: Counter | None = None) -> InjectQ:
    class App(Module):
        def configure(self) -> None:
            self.install(AsyncModule(counter or Counter()))
            self.bind(Reports).singleton()

    return InjectQ(App())


async def test_calling_returns_an_awaitable_for_async_and_sync_bindings() -> None:
    """Each call returns an awaitable; awaiting it resolves the binding as get/aget would."""
    container = make()
    reports = container.get(Reports)
    pending = reports.connect()
    assert inspect.isawaitable(pending)
    first = await pending
    assert isinstance(first, Connection)
    assert await reports.connect() is first  # a singleton stays one
    sync_pending = reports.settings()
    assert inspect.isawaitable(sync_pending)  # a sync binding is awaited the same way
    one, two = await sync_pending, await reports.settings()
    assert isinstance(one, Settings)
    assert one is not two  # transient: a new one per call


def test_a_sync_caller_can_drive_it_with_asyncio_run() -> None:
    """From sync code the awaitable is run like any coroutine (the sync twin of the test above)."""
    container = make()
    reports = container.get(Reports)
    settings = asyncio.run(_await(reports.settings()))
    assert isinstance(settings, Settings)


async def _await(awaitable: Any) -> Any:
    return await awaitable


async def test_a_scoped_key_is_resolved_in_the_scope_active_then() -> None:
    """The singleton holding it is no captive: each scope gets its own Session."""
    container = make()
    reports = container.get(Reports)
    async with container.scope():
        a1, a2 = await reports.session(), await reports.session()
    async with container.scope():
        b = await reports.session()
    assert a1 is a2
    assert a1 is not b
    with pytest.raises(ScopeError):
        await reports.session()  # outside any scope


async def test_concurrent_awaits_create_an_async_singleton_once() -> None:
    """Fifty concurrent awaits of the provider build the connection exactly once."""
    counter = Counter()
    container = make(counter)
    reports = container.get(Reports)
    results = await asyncio.gather(*(reports.connect() for _ in range(50)))
    assert counter.made == 1
    assert all(r is results[0] for r in results)


@pytest.mark.usefixtures("fast_switching")
def test_threads_awaiting_it_create_an_async_singleton_once() -> None:
    """Sixteen threads, each with its own event loop, get one connection built once."""
    counter = Counter()
    container = make(counter)
    reports = container.get(Reports)
    seen: list[Connection] = []
    errors: list[BaseException] = []
    import threading

    def worker() -> None:
        try:
            seen.append(asyncio.run(_await(reports.connect())))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    run_all(threads)
    assert not errors
    assert counter.made == 1
    assert len(seen) == 16
    assert all(c is seen[0] for c in seen)


def test_it_and_provider_of_the_same_key_are_different_objects() -> None:
    """Provider[T] and AsyncProvider[T] of one key are each shared, and not the same."""

    class Both:
        def __init__(
            self,
            sync: Provider[Settings],
            asynchronous: AsyncProvider[Settings],
            again: AsyncProvider[Settings],
        ) -> None:
            self.sync, self.asynchronous, self.again = sync, asynchronous, again

    both = InjectQ().get(Both)
    assert isinstance(both.sync(), Settings)
    assert both.asynchronous is both.again
    assert both.asynchronous is not both.sync  # type: ignore[comparison-overlap]


def test_an_unbound_type_is_a_missing_binding_at_install() -> None:
    """AsyncProvider[T] of an unbound T is reported by install(), as Provider[T] is."""

    class Abstract:
        def __init__(self, value: int) -> None:
            self.value = value

    class NeedsIt:
        def __init__(self, it: AsyncProvider[Abstract]) -> None:
            self.it = it

    class M(Module):
        def configure(self) -> None:
            self.bind(NeedsIt)

    with pytest.raises(BindingError, match=r"\[missing-binding\] Nothing binds \S*Abstract\."):
        InjectQ(M())


async def test_call_acall_and_inject_hand_it_to_functions() -> None:
    """Functions get one too, through call(), acall() and @inject."""
    container = make()

    async def use(connect: AsyncProvider[Connection]) -> Connection:
        return await connect()

    @inject
    async def injected(connect: AsyncProvider[Connection]) -> Connection:
        return await connect()

    first = await container.acall(use)
    assert await container.call(use) is first
    async with container.activate():
        assert await injected() is first  # type: ignore[call-arg]


def test_the_graph_view_and_explain_show_it() -> None:
    """DependencyInfo says "async provider"; explain() names it and when it resolves."""
    graph = make().graph
    reports = graph.get(Reports)
    assert reports is not None
    assert [(d.parameter, d.strategy) for d in reports.dependencies] == [
        ("connect", "async provider"),
        ("settings", "async provider"),
        ("session", "async provider"),
    ]
    text = graph.explain(Reports)
    assert "├── connect: AsyncProvider[Connection] (resolved when awaited)" in text.splitlines()
    assert '-.->|"session"|' in graph.to_mermaid()  # a dotted edge, as for Provider[T]
