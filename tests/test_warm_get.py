"""A transient's lookup entry holds the singletons it builds as constants once they exist.

The function that ``get()`` (and ``scope.get()``, ``aget()``, a named ``get()``) compiles
for a transient binding looks each singleton of its tree up in the root cache until that
singleton is created; the next lookup after its creation compiles the function again
with the instance as a constant of its code. These tests read the generated source from
a traceback, and check that the instances served are the ones a cache lookup would give,
across overrides, close, failures and threads.
"""

from __future__ import annotations

import asyncio
import linecache
import threading
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from injectq import ContainerClosedError, InjectQ, Module, Provider
from tests.threads import run_all


class Pool:
    pass


class Config:
    pass


class Repo:
    fail = False

    def __init__(self, pool: Pool) -> None:
        if Repo.fail:
            msg = "repo down"
            raise RuntimeError(msg)
        self.pool = pool


class Service:
    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config


class Mixed(Module):
    def configure(self) -> None:
        self.bind(Pool).singleton()
        self.bind(Config).singleton()
        self.bind(Repo)
        self.bind(Service)


def _source_of_get_service(c: InjectQ, get: Callable[[], object] | None = None) -> str:
    """The generated source of ``get_Service``, as a traceback through ``get()`` shows it."""
    Repo.fail = True
    try:
        with pytest.raises(RuntimeError, match="repo down") as info:
            (get or (lambda: c.get(Service)))()
    finally:
        Repo.fail = False
    for frame, _ in traceback.walk_tb(info.value.__traceback__):
        if frame.f_code.co_name.startswith("get_Service"):
            return "".join(linecache.getlines(frame.f_code.co_filename))
    raise AssertionError("no get_Service frame in the traceback")


def test_created_singletons_are_constants_of_the_next_get() -> None:
    c = InjectQ(Mixed())
    first = c.get(Service)  # compiled before Pool and Config exist: it looks them up
    pool, config = c.get(Pool), c.get(Config)
    assert first.repo.pool is pool
    assert first.config is config
    source = _source_of_get_service(c)
    assert "cache[" not in source  # no lookup left: both are constants
    for _ in range(3):
        s = c.get(Service)
        assert s is not first
        assert s.repo is not first.repo  # transients stay new
        assert s.repo.pool is pool
        assert s.config is config


def test_a_singleton_not_created_yet_is_looked_up_until_it_is() -> None:
    c = InjectQ(Mixed())
    config = c.get(Config)  # Config exists, Pool does not
    Repo.fail = True
    try:
        with pytest.raises(RuntimeError, match="repo down") as info:
            c.get(Service)  # Pool is created before Repo fails
    finally:
        Repo.fail = False
    frames = [f for f, _ in traceback.walk_tb(info.value.__traceback__)]
    code = next(f.f_code for f in frames if f.f_code.co_name == "get_Service")
    source = "".join(linecache.getlines(code.co_filename))
    assert source.count("cache[") == 1  # Pool was looked up; Config was a constant
    s = c.get(Service)
    assert s.config is config
    assert s.repo.pool is c.get(Pool)
    assert "cache[" not in _source_of_get_service(c)


def test_an_override_serves_its_own_singleton_and_the_original_comes_back() -> None:
    c = InjectQ(Mixed())
    original = c.get(Service).repo.pool
    c.get(Service)
    replacement = Pool()
    with c.override(Pool, replacement):
        assert c.get(Service).repo.pool is replacement
        assert c.get(Service).repo.pool is replacement
    assert c.get(Service).repo.pool is original
    assert c.get(Service).repo.pool is original


def test_after_close_nothing_is_served_from_constants() -> None:
    class Holder:
        def __init__(self, services: Provider[Service]) -> None:
            self.services = services

    c = InjectQ(Mixed())
    c.bind(Holder)
    holder = c.get(Holder)
    c.get(Service)
    c.get(Service)  # warm now
    assert holder.services().repo.pool is c.get(Pool)
    c.close()
    with pytest.raises(ContainerClosedError):
        c.get(Service)
    with pytest.raises(ContainerClosedError):
        holder.services()


def test_a_singleton_that_is_none_is_served_as_none() -> None:
    class Maybe:
        def __init__(self, config: Config | None, pool: Pool) -> None:
            self.config = config
            self.pool = pool

    def nothing() -> Any:  # a provider of Config that returns None
        return None

    class WithNone(Module):
        def configure(self) -> None:
            self.bind(Config).to_provider(nothing).singleton()
            self.bind(Pool).singleton()
            self.bind(Maybe)

    c = InjectQ(WithNone())
    for _ in range(3):
        made = c.get(Maybe)
        assert made.config is None
        assert made.pool is c.get(Pool)


def test_threads_getting_transients_while_singletons_are_created_share_them(
    fast_switching: None,
) -> None:
    for _ in range(20):
        c = InjectQ(Mixed())
        seen: list[tuple[Pool, Config]] = []
        errors: list[BaseException] = []

        def work(c: InjectQ = c) -> None:
            try:
                for _ in range(30):
                    s = c.get(Service)
                    seen.append((s.repo.pool, s.config))
            except BaseException as exc:
                errors.append(exc)

        run_all([threading.Thread(target=work) for _ in range(6)])
        assert errors == []
        assert len(seen) == 180
        assert {id(p) for p, _ in seen} == {id(c.get(Pool))}
        assert {id(k) for _, k in seen} == {id(c.get(Config))}


class NamedService(Service):
    pass


def test_each_lookup_table_holds_created_singletons_as_constants() -> None:
    """scope.get(), aget(), scope.aget() and a named get() warm up as get() does."""

    class Named(Mixed):
        def configure(self) -> None:
            super().configure()
            self.bind(Service, NamedService, name="named")

    c = InjectQ(Named())
    loop = asyncio.new_event_loop()
    try:
        with c.scope() as scope:
            ways: dict[str, Callable[[], object]] = {
                "scope.get": lambda: scope.get(Service),
                "aget": lambda: loop.run_until_complete(c.aget(Service)),
                "scope.aget": lambda: loop.run_until_complete(scope.aget(Service)),
                "named get": lambda: c.get(Service, name="named"),
            }
            for way, get in ways.items():
                first = get()
                assert isinstance(first, Service)
                assert first.repo.pool is c.get(Pool), way
                assert "cache[" not in _source_of_get_service(c, get), way
                again = get()
                assert isinstance(again, Service)
                assert again is not first
                assert again.repo.pool is first.repo.pool
                assert again.config is first.config
    finally:
        loop.close()


def test_a_scope_open_at_close_serves_nothing_from_constants() -> None:
    c = InjectQ(Mixed())
    with c.scope() as scope:
        scope.get(Service)
        assert scope.get(Service).repo.pool is c.get(Pool)  # warm now
        c.close()
        with pytest.raises(ContainerClosedError):
            scope.get(Service)
