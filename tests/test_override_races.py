"""The resolve fast paths and overrides under threads, and overrides at scale."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Callable

import pytest

from injectq import InjectQ, Module, resource


def run_threads(target: Callable[[], None], count: int, timeout: float = 10) -> None:
    """Start ``count`` threads on ``target`` together; fail if any is still running after."""
    barrier = threading.Barrier(count)

    def start() -> None:
        barrier.wait(timeout)
        target()

    threads = [threading.Thread(target=start, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"


SINGLETONS = [type(f"Single{i}", (), {}) for i in range(100)]


class Singletons(Module):
    def configure(self) -> None:
        for cls in SINGLETONS:
            self.bind(cls).singleton()


@pytest.mark.usefixtures("fast_switching")
def test_concurrent_first_gets_of_singletons_give_one_instance_each_and_no_error() -> None:
    """8 threads racing through 100 first get()s: no internal TypeError, one instance each."""
    for _ in range(40):
        c = InjectQ(Singletons())
        seen: list[dict[type, object]] = []
        errors: list[BaseException] = []

        def worker(c: InjectQ = c, seen: list[dict[type, object]] = seen) -> None:
            mine: dict[type, object] = {}
            try:
                for cls in SINGLETONS:
                    mine[cls] = c.get(cls)
            except Exception as exc:
                errors.append(exc)
            seen.append(mine)

        run_threads(worker, 8)
        assert errors == []
        for cls in SINGLETONS:
            assert len({id(found[cls]) for found in seen}) == 1


def test_a_lookup_that_finds_a_just_created_singleton_serves_it() -> None:
    """The slow path of get() may meet the zero-argument factory another thread published."""
    c = InjectQ(Singletons())
    first = c.get(SINGLETONS[0])  # publishes the created instance for get()
    # What a get() that missed the fast dict just before the publication runs next:
    assert c._resolve(SINGLETONS[0], None, None) is first


class Database:
    """The production database."""


class Service:
    def __init__(self, db: Database) -> None:
        self.db = db


class Fakes(Module):
    def configure(self) -> None:
        self.bind(Database, FakeDatabase).singleton()


@resource
class FakeDatabase(Database):
    disposed = 0

    def dispose(self) -> None:
        type(self).disposed += 1


class Production(Module):
    def configure(self) -> None:
        self.bind(Database).singleton()
        self.bind(Service).singleton()


WARM = [type(f"Warm{i}", (), {}) for i in range(1500)]
JIT = [type(f"Jit{i}", (), {}) for i in range(6000)]


@pytest.mark.usefixtures("fast_switching")
def test_leaving_overrides_while_another_thread_compiles_works_and_disposes() -> None:
    """Overrides end cleanly while a thread compiles just-in-time classes; all are disposed.

    Many compiled functions (the warm classes) make leaving an override walk a large table
    while the other thread adds to it.
    """
    FakeDatabase.disposed = 0
    c = InjectQ(Production())
    original = c.get(Service)
    for cls in WARM:
        c.get(cls)
    stop = threading.Event()
    failures: list[BaseException] = []

    def compile_forever() -> None:
        try:
            for cls in JIT:
                if stop.is_set():
                    return
                c.get(cls)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=compile_forever, daemon=True)
    thread.start()
    try:
        for _ in range(30):
            with c.override(Fakes()):
                assert type(c.get(Service).db) is FakeDatabase
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert failures == []
    assert FakeDatabase.disposed == 30
    assert c.get(Service) is original


def overridden(c: InjectQ, count: int) -> list[weakref.ref[Database]]:
    """Run ``count`` overrides of Database, each with a new replacement; weakrefs to them."""
    refs: list[weakref.ref[Database]] = []
    for _ in range(count):
        fake = Database()
        refs.append(weakref.ref(fake))
        with c.override(Database, fake):
            assert c.get(Service).db is fake
        del fake
    return refs


def test_ended_overrides_keep_nothing_alive() -> None:
    """1,000 sequential overrides leave no replacement, creation record or function behind."""
    c = InjectQ(Production())
    original = c.get(Service)
    overridden(c, 10)
    gc.collect()
    before = dict(c._resolver._records), dict(c._resolver._compiled)
    refs = overridden(c, 1000)
    gc.collect()
    assert [r for r in refs if r() is not None] == []
    assert c._resolver._records.keys() == before[0].keys()  # one creation record a binding
    assert c._resolver._compiled.keys() == before[1].keys()
    assert c.get(Service) is original


async def test_async_ended_overrides_keep_nothing_alive() -> None:
    """The async twin: ``async with`` overrides leave no replacement behind."""
    c = InjectQ(Production())
    original = await c.aget(Service)
    refs: list[weakref.ref[Database]] = []
    for _ in range(200):
        fake = Database()
        refs.append(weakref.ref(fake))
        async with c.override(Database, fake):
            assert (await c.aget(Service)).db is fake
        del fake
    await asyncio.sleep(0)
    gc.collect()
    assert [r for r in refs if r() is not None] == []
    assert await c.aget(Service) is original


class Link:
    pass


class FakeLink(Link):
    pass


class Session:
    def __init__(self, link: Link) -> None:
        self.link = link


class Page:
    def __init__(self, session: Session) -> None:
        self.session = session


@pytest.mark.usefixtures("fast_switching")
def test_threads_resolving_in_scopes_while_overrides_come_and_go_see_no_internal_error() -> None:
    """Ending an override forgets what was compiled for it while other threads compile it.

    A thread deriving a creation record's depth found an entry taken out of the shared
    table (a raw `KeyError` of a Binding), and one asking for a record found it gone.
    """
    c = InjectQ()
    c.bind(Link, scope="singleton")
    c.bind(Session, scope="request")
    c.bind(Page, scope="request")
    stop = threading.Event()
    failures: list[BaseException] = []

    def resolve() -> None:
        try:
            while not stop.is_set():
                with c.scope() as scope:
                    page = scope.get(Page)
                    assert type(page.session.link) in (Link, FakeLink)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=resolve, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(4000):
            with c.override(Link, FakeLink()):
                pass
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
