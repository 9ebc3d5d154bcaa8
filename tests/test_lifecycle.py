"""Scopes, resources, async resolution and disposal."""

import asyncio
import contextvars
import gc
import threading
import time
import tracemalloc
import weakref
from collections.abc import AsyncIterator, Iterator

import pytest

from injectq import (
    AsyncRequiredError,
    ContainerClosedError,
    InjectQ,
    InjectQError,
    Module,
    Provider,
    ScopeError,
    provider,
    resource,
)

log: list[str] = []


@pytest.fixture(autouse=True)
def clear_log() -> Iterator[None]:
    log.clear()
    yield
    log.clear()


class Request:
    pass


class Tenant:
    pass


class RequestModule(Module):
    def configure(self) -> None:
        self.bind(Request).scoped()
        self.bind(Tenant).scoped("tenant")


# -- scopes ----------------------------------------------------------------------------------


def test_scoped_identity_inside_and_across_scopes() -> None:
    """One instance per scope; the ambient scope serves the same one; scopes never share."""
    c = InjectQ(RequestModule())
    with c.scope() as first:
        a = first.get(Request)
        assert c.get(Request) is a
    with c.scope() as second:
        assert second.get(Request) is not a


def test_resolving_outside_a_scope_is_a_scope_error() -> None:
    """The error names the scope, says none is active, and how to fix it."""
    c = InjectQ(RequestModule())
    with pytest.raises(ScopeError) as info:
        c.get(Request)
    text = str(info.value)
    assert 'Request is scoped "request", but no "request" scope is active' in text
    assert "with container.scope" in text
    with c.scope("tenant"), pytest.raises(ScopeError, match='the active scopes are "tenant"'):
        c.get(Request)


def test_nested_scopes_see_outer_instances_and_same_name_gets_its_own() -> None:
    """An inner scope sees outer scopes' instances; an inner scope of the same name has its own."""
    c = InjectQ(RequestModule())
    with c.scope("tenant") as tenant, c.scope() as outer:
        t = tenant.get(Tenant)
        r = outer.get(Request)
        with c.scope() as inner:
            assert inner.get(Tenant) is t
            assert inner.get(Request) is not r
        assert c.get(Request) is r


def test_resource_scope_is_the_same_thing() -> None:
    """resource_scope() takes the same arguments and behaves like scope()."""
    c = InjectQ(RequestModule())
    with c.resource_scope("tenant") as tenant:
        assert tenant.get(Tenant) is c.get(Tenant)


def test_ambient_scope_follows_threads_started_with_copy_context() -> None:
    """A thread running in a copied context sees the scope it was started in."""
    c = InjectQ(RequestModule())
    with c.scope() as scope:
        expected = scope.get(Request)
        seen: list[Request] = []
        ctx = contextvars.copy_context()
        thread = threading.Thread(target=lambda: seen.append(ctx.run(c.get, Request)))
        thread.start()
        thread.join()
    assert seen == [expected]


async def test_tasks_see_their_scope_and_concurrent_scopes_never_share() -> None:
    """Tasks created inside a scope see it; 50 concurrent scopes get 50 instances."""
    c = InjectQ(RequestModule())

    async def request() -> Request:
        async with c.scope():
            mine = c.get(Request)
            await asyncio.sleep(0)
            child = await asyncio.create_task(_get(c))
            assert child is mine
            assert c.get(Request) is mine
            return mine

    results = await asyncio.gather(*(request() for _ in range(50)))
    assert len({id(r) for r in results}) == 50


async def _get(c: InjectQ) -> Request:
    return c.get(Request)


def test_entering_a_scope_twice_or_using_it_closed_is_refused() -> None:
    """A scope object is entered once; after exit nothing resolves from it."""
    c = InjectQ(RequestModule())
    scope = c.scope()
    with scope:
        pass
    with pytest.raises(ContainerClosedError, match="closed"):
        scope.get(Request)
    with pytest.raises(InjectQError):
        scope.__enter__()


# -- Provider[T] -----------------------------------------------------------------------------


class Auditor:
    def __init__(self, request: Provider[Request]) -> None:
        self.request = request


def test_provider_resolves_in_the_scope_active_when_called() -> None:
    """A singleton holding Provider[Request] gets each scope's own Request."""

    class M(Module):
        def configure(self) -> None:
            self.bind(Request).scoped()
            self.bind(Auditor).singleton()

    c = InjectQ(M())
    auditor = c.get(Auditor)
    with c.scope() as one:
        assert auditor.request() is one.get(Request)
    with c.scope() as two:
        assert auditor.request() is two.get(Request)
    with pytest.raises(ScopeError):
        auditor.request()


# -- resources -------------------------------------------------------------------------------


@resource
class Connection:
    def __init__(self) -> None:
        log.append("construct")

    def initialize(self) -> None:
        log.append("initialize")

    def dispose(self) -> None:
        log.append("dispose")


@resource
class AsyncConnection:
    async def initialize(self) -> None:
        await asyncio.sleep(0)
        log.append("ainitialize")

    async def dispose(self) -> None:
        await asyncio.sleep(0)
        log.append("adispose")


class ResourceModule(Module):
    def configure(self) -> None:
        self.bind(Connection).scoped()

    @provider(scope="request")
    def session(self, conn: Connection) -> Iterator[Request]:
        log.append("session open")
        try:
            yield Request()
        except Exception as exc:
            log.append(f"session saw {type(exc).__name__}")
            raise
        finally:
            log.append("session closed")


def test_a_subclass_of_a_resource_is_a_resource_and_a_plain_class_is_not() -> None:
    """@resource is inherited: a subclass is initialized and disposed; a plain class is not."""

    class PooledConnection(Connection):
        pass

    class Plain:
        def initialize(self) -> None:
            log.append("plain initialize")

    log.clear()
    c = InjectQ()
    c.bind(PooledConnection, scope="singleton")
    c.bind(Plain, scope="singleton")
    with c:
        c.get(PooledConnection)
        c.get(Plain)
    assert log == ["construct", "initialize", "dispose"]


def test_resources_initialize_before_use_and_dispose_in_reverse_order() -> None:
    """initialize() before anyone gets it; teardown in reverse creation order at scope end."""
    c = InjectQ(ResourceModule())
    with c.scope() as scope:
        scope.get(Request)
        assert log == ["construct", "initialize", "session open"]
    assert log[3:] == ["session closed", "dispose"]


def test_scope_exited_by_an_exception_disposes_and_lets_it_through() -> None:
    """The body's exception reaches the caller; the generator sees it at its yield."""
    c = InjectQ(ResourceModule())
    with pytest.raises(KeyError), c.scope() as scope:
        scope.get(Request)
        raise KeyError("boom")
    assert log[-3:] == ["session saw KeyError", "session closed", "dispose"]


class Swallower:
    pass


def test_generator_cannot_swallow_the_scope_exception() -> None:
    """A generator that catches the thrown exception does not stop it propagating."""

    class M(Module):
        @provider(scope="request")
        def swallow(self) -> Iterator[Swallower]:
            try:
                yield Swallower()
            except RuntimeError:
                log.append("swallowed")

    c = InjectQ(M())
    with pytest.raises(RuntimeError, match="body"), c.scope() as scope:
        scope.get(Swallower)
        raise RuntimeError("body")
    assert log == ["swallowed"]


class Failing:
    def __init__(self, name: str) -> None:
        self.name = name

    def dispose(self) -> None:
        log.append(f"dispose {self.name}")
        raise ValueError(self.name)


def test_teardown_failures_are_collected_into_one_exception_group() -> None:
    """Every teardown runs; failures come together, with the body's exception as context."""
    c = InjectQ()

    @resource
    class A(Failing):
        def __init__(self) -> None:
            super().__init__("a")

    @resource
    class B(Failing):
        def __init__(self, a: A) -> None:
            super().__init__("b")

    c.bind(A, scope="request")
    c.bind(B, scope="request")
    with pytest.raises(ExceptionGroup) as info, c.scope() as scope:
        scope.get(B)
        raise LookupError("body")
    assert log == ["dispose b", "dispose a"]
    assert [str(e) for e in info.value.exceptions] == ["b", "a"]
    assert isinstance(info.value.__context__, LookupError)
    assert "2 teardowns failed while closing the scope" in str(info.value)


def test_one_failing_teardown_is_still_a_group() -> None:
    """Even a single failure is raised as an ExceptionGroup."""

    @resource
    class Only(Failing):
        def __init__(self) -> None:
            super().__init__("only")

    c = InjectQ()
    c.bind(Only, scope="singleton")
    c.get(Only)
    with pytest.raises(ExceptionGroup) as info:
        c.close()
    assert len(info.value.exceptions) == 1


def test_transient_resource_belongs_to_the_scope_it_was_resolved_in() -> None:
    """A transient resource is disposed with its scope; outside scopes, with the container."""
    c = InjectQ()
    c.bind(Connection)
    with c.scope() as scope:
        scope.get(Connection)
    assert log.count("dispose") == 1
    c.get(Connection)
    assert log.count("dispose") == 1
    c.close()
    assert log.count("dispose") == 2


def test_instance_bindings_are_initialized_on_first_use_and_only_resources_disposed() -> None:
    """bind(K, obj) of a @resource class initializes lazily; plain instances are left alone."""
    conn = Connection()
    log.clear()
    c = InjectQ()
    c.bind(Connection, conn)
    assert log == []
    assert c.get(Connection) is conn
    assert log == ["initialize"]
    c.close()
    assert log == ["initialize", "dispose"]


class ContextManagerClass:
    def __enter__(self) -> "ContextManagerClass":
        log.append("entered")
        return self

    def __exit__(self, *exc: object) -> None:
        log.append("exited")


def test_context_manager_classes_are_not_entered_implicitly() -> None:
    """A class with __enter__ is constructed, not entered; a generator provider can enter it."""
    c = InjectQ()
    c.bind(ContextManagerClass, scope="request")
    with c.scope() as scope:
        scope.get(ContextManagerClass)
    assert log == []


def test_close_twice_is_harmless_and_resolving_after_close_fails() -> None:
    """close() is idempotent; get() afterwards raises ContainerClosedError."""
    c = InjectQ()
    c.bind(Connection, scope="singleton")
    c.get(Connection)
    c.close()
    c.close()
    assert log.count("dispose") == 1
    with pytest.raises(ContainerClosedError, match="closed"):
        c.get(Connection)


def test_with_container_creates_eager_singletons_and_disposes_on_exit() -> None:
    """Entering creates eager singletons only; plain singletons stay lazy."""

    @resource
    class Lazy(Connection):
        pass

    class M(Module):
        def configure(self) -> None:
            self.bind(Connection).eager()
            self.bind(Lazy).singleton()

    c = InjectQ(M())
    assert log == []  # install builds nothing
    with c:
        assert log == ["construct", "initialize"]
    assert log[-1] == "dispose"


# -- async -----------------------------------------------------------------------------------


class AsyncModule(Module):
    def configure(self) -> None:
        self.bind(AsyncConnection).scoped()

    @provider(scope="request")
    async def client(self, conn: AsyncConnection) -> AsyncIterator[Request]:
        log.append("client open")
        yield Request()
        log.append("client closed")


async def test_async_resources_and_generators_in_a_scope() -> None:
    """aget awaits async initialize and providers; async with awaits their teardown."""
    c = InjectQ(AsyncModule())
    async with c.scope() as scope:
        await scope.aget(Request)
        assert log == ["ainitialize", "client open"]
    assert log[2:] == ["client closed", "adispose"]


async def test_sync_get_of_an_async_binding_names_aget() -> None:
    """The error names the binding, what needs the await, and says to use aget()."""
    c = InjectQ(AsyncModule())
    async with c.scope():
        with pytest.raises(AsyncRequiredError) as info:
            c.get(Request)
    text = str(info.value)
    assert "Request cannot be resolved synchronously" in text
    assert "await container.aget(Request)" in text


async def test_sync_exit_with_async_teardowns_pending_names_async_with() -> None:
    """Leaving a sync scope with async teardowns raises, naming `async with`."""
    c = InjectQ(AsyncModule())
    scope = c.scope()
    with pytest.raises(InjectQError, match="async with"):
        with scope:
            await scope.aget(Request)
    assert "adispose" not in log  # nothing was disposed half-way
    assert not scope.closed
    await scope._state.aclose()  # the teardowns are still there to run
    assert log[-1] == "adispose"


async def test_sync_close_with_async_teardowns_names_aclose() -> None:
    """close() refuses, naming aclose(), and disposes nothing; aclose() then works."""
    c = InjectQ()
    c.bind(AsyncConnection, scope="singleton")
    await c.aget(AsyncConnection)
    with pytest.raises(InjectQError, match=r"aclose\(\)"):
        c.close()
    assert "adispose" not in log
    await c.aclose()
    assert log[-1] == "adispose"


class Slow:
    constructed = 0

    def __init__(self) -> None:
        time.sleep(0.05)
        Slow.constructed += 1


def test_singleton_built_once_under_16_threads() -> None:
    """16 threads asking at once for a slow singleton get one instance, built once."""
    Slow.constructed = 0
    c = InjectQ()
    c.bind(Slow, scope="singleton")
    barrier = threading.Barrier(16)
    results: list[Slow] = []

    def worker() -> None:
        barrier.wait()
        results.append(c.get(Slow))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert Slow.constructed == 1
    assert len({id(r) for r in results}) == 1
    assert len(results) == 16


class AsyncSingleton:
    pass


async def test_async_singleton_provider_runs_once_for_100_concurrent_agets() -> None:
    """100 concurrent aget() of an async singleton provider run it once."""
    calls = 0

    class M(Module):
        @provider(scope="singleton")
        async def make(self) -> AsyncSingleton:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)
            return AsyncSingleton()

    c = InjectQ(M())
    results = await asyncio.gather(*(c.aget(AsyncSingleton) for _ in range(100)))
    assert calls == 1
    assert len({id(r) for r in results}) == 1


class Flaky:
    attempts = 0

    def __init__(self, conn: Connection) -> None:
        Flaky.attempts += 1
        if Flaky.attempts == 1:
            raise OSError("flaky")


def test_failing_provider_caches_nothing_and_earlier_resources_are_disposed() -> None:
    """A failure leaves nothing cached; what was created before it is still disposed."""
    Flaky.attempts = 0
    c = InjectQ()
    c.bind(Connection, scope="request")
    c.bind(Flaky, scope="request")
    with c.scope() as scope:
        with pytest.raises(OSError, match="flaky"):
            scope.get(Flaky)
        assert isinstance(scope.get(Flaky), Flaky)  # the next resolve tries again
    assert Flaky.attempts == 2
    assert log == ["construct", "initialize", "dispose"]


@resource
class BadInit:
    def initialize(self) -> None:
        raise OSError("cannot initialize")

    def dispose(self) -> None:
        log.append("disposed a half-built instance")


def test_failing_initialize_caches_nothing() -> None:
    """An initialize() that raises leaves nothing cached or registered for disposal."""
    c = InjectQ()
    c.bind(BadInit, scope="singleton")
    for _ in range(2):
        with pytest.raises(OSError, match="cannot initialize") as info:
            c.get(BadInit)
        assert info.value.__notes__ == ["injectq resolution path: BadInit"]
    c.close()
    assert log == []


def test_ten_thousand_scopes_leave_nothing_alive_and_memory_flat() -> None:
    """Scope enter/exit in a loop: no instance survives and traced memory stays bounded."""
    c = InjectQ(RequestModule())
    refs: list[weakref.ref[Request]] = []
    tracemalloc.start()
    try:
        for i in range(10_000):
            with c.scope() as scope:
                instance = scope.get(Request)
                if i % 1000 == 0:
                    refs.append(weakref.ref(instance))
            if i == 999:
                gc.collect()
                baseline = tracemalloc.get_traced_memory()[0]
        del instance, scope
        gc.collect()
        final = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert all(ref() is None for ref in refs)
    assert final - baseline < 64 * 1024  # flat: a few KiB of noise at most


class Remote:
    pass


class UsesRemoteLater:
    def __init__(self, remote: Provider[Remote]) -> None:
        self.remote = remote


async def test_provider_of_an_async_binding_returns_an_awaitable() -> None:
    """Calling Provider[T] for a binding that needs an await gives something to await."""

    class M(Module):
        def configure(self) -> None:
            self.bind(UsesRemoteLater).singleton()

        @provider(scope="singleton")
        async def remote(self) -> Remote:
            await asyncio.sleep(0)
            return Remote()

    c = InjectQ(M())
    holder = c.get(UsesRemoteLater)  # fine synchronously: the provider is lazy
    pending = holder.remote()
    assert asyncio.iscoroutine(pending)
    remote = await pending
    assert remote is await c.aget(Remote)


def test_a_request_scope_and_the_root_set_every_field_of_their_state() -> None:
    """new_scope sets a state's fields inline (no frame); it must set all that new_state does."""
    from injectq._lifecycle import ScopeState, new_state

    container = InjectQ()
    fields = [f for f in ScopeState.__slots__ if f != "__weakref__"]
    made = container.scope("job")._state
    root = new_state("singleton", None)
    for state in (made, root):
        assert all(hasattr(state, f) for f in fields), [f for f in fields if not hasattr(state, f)]
    assert [type(getattr(made, f)) for f in fields if f not in ("parent", "owner", "name")] == [
        type(getattr(root, f)) for f in fields if f not in ("parent", "owner", "name")
    ]
    assert made.parent is container._root
