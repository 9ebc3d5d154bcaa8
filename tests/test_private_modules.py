"""Private modules: bindings only their own bindings see, except the keys they expose."""

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Annotated

import pytest

from injectq import (
    BindingError,
    InjectQ,
    MissingBindingError,
    Module,
    Named,
    PrivateModule,
    Provider,
    UsageError,
    provider,
    resource,
    singleton,
)
from tests.threads import run_all

events: list[str] = []


class Config:
    def __init__(self, url: str) -> None:
        self.url = url


@resource
class Pool:
    def __init__(self, config: Config) -> None:
        self.config = config
        events.append(f"open {config.url}")

    def dispose(self) -> None:
        events.append(f"close {self.config.url}")


class Repository:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


class Clock:
    pass


class Audit:
    """Bound outside; the private modules' bindings depend on it."""


class PostgresModule(PrivateModule):
    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url

    def configure(self) -> None:
        self.bind(Config, Config(self.url))
        self.bind(Pool).singleton()
        self.bind(Repository, name=self.name).singleton()
        self.expose(Repository, name=self.name)


class Legs(Module):
    def configure(self) -> None:
        self.install(PostgresModule("users", "pg://users"))
        self.install(PostgresModule("orders", "pg://orders"))


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    events.clear()
    yield
    events.clear()


# -- visibility -----------------------------------------------------------------------------


def test_robot_legs_each_repository_gets_its_own_pool() -> None:
    """Two private modules bind Pool and Config; each exposed Repository gets its module's."""
    container = InjectQ(Legs())
    users = container.get(Repository, name="users")
    orders = container.get(Repository, name="orders")
    assert users.pool is not orders.pool
    assert users.pool.config.url == "pg://users"
    assert orders.pool.config.url == "pg://orders"
    assert container.get(Repository, name="users") is users  # singletons, one per leg
    assert users.pool is container.get(Repository, name="users").pool
    assert events == ["open pg://users", "open pg://orders"]


def test_private_singletons_are_disposed_in_reverse_creation_order() -> None:
    """A private singleton resource belongs to the container, like any singleton."""
    container = InjectQ(Legs())
    container.get(Repository, name="orders")
    container.get(Repository, name="users")
    container.close()
    assert events == [
        "open pg://orders",
        "open pg://users",
        "close pg://users",
        "close pg://orders",
    ]


async def test_robot_legs_async() -> None:
    """aget() sees the same: two pools, each Repository its own, one instance each."""
    container = InjectQ(Legs())
    users = await container.aget(Repository, name="users")
    orders = await container.aget(Repository, name="orders")
    assert users.pool is not orders.pool
    assert await container.aget(Repository, name="users") is users
    await container.aclose()
    assert events == [
        "open pg://users",
        "open pg://orders",
        "close pg://orders",
        "close pg://users",
    ]


def test_a_private_key_is_missing_from_the_container() -> None:
    """get() of a key bound only privately names the private module and suggests expose()."""
    container = InjectQ(PostgresModule("users", "pg://u"))
    with pytest.raises(MissingBindingError) as info:
        container.get(Pool)
    line = PostgresModule.configure.__code__.co_firstlineno + 2
    assert str(info.value) == (
        "Nothing outside PostgresModule binds Pool: it is bound only inside that private "
        f"module (tests/test_private_modules.py:{line}), which does not expose it.\n"
        "Hint: expose it: self.expose(Pool) in PostgresModule.configure(), or bind Pool "
        "outside the private module."
    )
    assert info.value.path == ["Pool"]
    with pytest.raises(MissingBindingError, match="Nothing outside PostgresModule binds Config"):
        container.get(Config)


async def test_a_private_key_is_missing_from_the_container_async() -> None:
    """aget() raises the same error."""
    container = InjectQ(PostgresModule("users", "pg://u"))
    with pytest.raises(MissingBindingError, match=r"expose it: self\.expose\(Pool\)"):
        await container.aget(Pool)


def test_a_concrete_private_class_is_not_made_just_in_time_outside() -> None:
    """Pool could be built just in time, but it is bound privately: outside it is missing."""
    container = InjectQ(PostgresModule("users", "pg://u"))
    with pytest.raises(MissingBindingError, match="bound only inside that private module"):
        container.get(Pool)
    assert container.graph.get(Pool) is None
    assert len(container.graph) == 3  # Config, Pool, Repository "users": nothing added


class NeedsPool:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


def test_a_binding_outside_cannot_depend_on_a_private_key() -> None:
    """An outside binding asking for a private key is a `not-exposed` problem."""

    class App(Module):
        def configure(self) -> None:
            self.bind(NeedsPool)
            self.install(PostgresModule("users", "pg://u"))

    with pytest.raises(BindingError) as info:
        InjectQ(App())
    assert info.value.codes == ("not-exposed",)
    assert "Pool is bound only inside PostgresModule, which does not expose it." in str(info.value)


def test_a_function_outside_cannot_receive_a_private_key() -> None:
    """call() plans like a binding outside: the private Pool is not there for it."""
    container = InjectQ(PostgresModule("users", "pg://u"))

    def handler(pool: Pool) -> Pool:
        return pool

    with pytest.raises(MissingBindingError, match="Pool is bound only inside PostgresModule"):
        container.call(handler)
    with pytest.raises(BindingError) as info:
        container.validate(handler)
    assert info.value.codes == ("not-exposed",)


def test_two_private_modules_that_keep_a_key_are_both_named() -> None:
    """A key kept by two private modules: both are named, the first in the hint."""

    class Other(PrivateModule):
        def configure(self) -> None:
            self.bind(Pool)
            self.bind(Config, Config("x"))

    class App(Module):
        def configure(self) -> None:
            self.bind(NeedsPool)
            self.install(PostgresModule("users", "pg://u"))
            self.install(Other())

    with pytest.raises(BindingError) as info:
        InjectQ(App())
    assert info.value.problems[0].message == (
        "Pool is bound only inside private modules that do not expose it: PostgresModule, Other."
    )
    assert info.value.problems[0].hint.startswith("expose it: self.expose(Pool) in PostgresModule")


class UsesAudit:
    def __init__(self, audit: Audit, clock: Clock) -> None:
        self.audit = audit
        self.clock = clock


def test_bindings_inside_depend_on_what_is_bound_outside() -> None:
    """A private binding sees every key bound outside, and exposes what it builds."""

    class Inner(PrivateModule):
        def configure(self) -> None:
            self.bind(UsesAudit)
            self.expose(UsesAudit)

    class App(Module):
        def configure(self) -> None:
            self.bind(Audit).singleton()
            self.bind(Clock).singleton()
            self.install(Inner())

    container = InjectQ(App())
    got = container.get(UsesAudit)
    assert got.audit is container.get(Audit)
    assert got.clock is container.get(Clock)


def test_a_private_binding_shadows_an_outer_one_for_the_bindings_inside() -> None:
    """Inside, the module's own Clock; outside, the public one: no duplicate."""
    inner_clock = Clock()
    outer_clock = Clock()

    class Inner(PrivateModule):
        def configure(self) -> None:
            self.bind(Clock, inner_clock)
            self.bind(UsesAudit)
            self.expose(UsesAudit)

    class App(Module):
        def configure(self) -> None:
            self.bind(Audit)
            self.bind(Clock, outer_clock)
            self.install(Inner())

    container = InjectQ(App())
    assert container.get(UsesAudit).clock is inner_clock
    assert container.get(Clock) is outer_clock


def same_clock(clock: Clock) -> Clock:
    return clock


def test_modules_installed_inside_a_private_module_are_private_too() -> None:
    """What a private module installs is kept inside it, and each private module has its own
    copy, even of modules with equal state."""

    class ClockModule(Module):
        def configure(self) -> None:
            self.bind(Clock).singleton()

    class Left(PrivateModule):
        def configure(self) -> None:
            self.install(ClockModule())
            self.bind(Clock, name="left").to_provider(same_clock)
            self.expose(Clock, name="left")

    class Right(PrivateModule):
        def configure(self) -> None:
            self.install(ClockModule())  # equal to Left's: still configured again here
            self.bind(Clock, name="right").to_provider(same_clock)
            self.expose(Clock, name="right")

    container = InjectQ(Left(), Right())
    left = container.get(Clock, name="left")
    right = container.get(Clock, name="right")
    assert isinstance(left, Clock)
    assert left is not right
    assert container.get(Clock, name="left") is left
    with pytest.raises(MissingBindingError, match="Nothing outside Left and Right binds Clock"):
        container.get(Clock)


class NeedsClockA:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


class NeedsClockB:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


def test_the_same_module_inside_two_private_modules_gives_each_its_singleton() -> None:
    """A module installed by two private modules: a singleton per private module."""

    class ClockModule(Module):
        def configure(self) -> None:
            self.bind(Clock).singleton()

    class Left(PrivateModule):
        def configure(self) -> None:
            self.install(ClockModule())
            self.bind(NeedsClockA)
            self.expose(NeedsClockA)

    class Right(PrivateModule):
        def configure(self) -> None:
            self.install(ClockModule())
            self.bind(NeedsClockB)
            self.expose(NeedsClockB)

    container = InjectQ(Left(), Right())
    assert container.get(NeedsClockA).clock is container.get(NeedsClockA).clock
    assert container.get(NeedsClockA).clock is not container.get(NeedsClockB).clock


def test_nested_private_modules_expose_step_by_step() -> None:
    """An inner private module exposes to the outer one, which exposes to everyone."""

    class Inner(PrivateModule):
        def configure(self) -> None:
            self.bind(Config, Config("inner"))
            self.bind(Pool).singleton()
            self.expose(Pool)

    class Outer(PrivateModule):
        def configure(self) -> None:
            self.install(Inner())
            self.bind(Repository).singleton()
            self.expose(Repository)

    container = InjectQ(Outer())
    repo = container.get(Repository)
    assert repo.pool.config.url == "inner"
    with pytest.raises(MissingBindingError, match="Nothing outside Outer binds Pool"):
        container.get(Pool)
    with pytest.raises(MissingBindingError, match="Nothing outside Inner binds Config"):
        container.get(Config)


def test_exposing_through_two_levels() -> None:
    """A key exposed by the inner module and again by the outer one is seen outside."""

    class Inner(PrivateModule):
        def configure(self) -> None:
            self.bind(Config, Config("deep"))
            self.expose(Config)

    class Outer(PrivateModule):
        def configure(self) -> None:
            self.install(Inner())
            self.expose(Config)

    assert InjectQ(Outer()).get(Config).url == "deep"


def test_exposing_a_key_the_module_does_not_bind_is_a_problem() -> None:
    """expose() of an unbound key: `expose-unbound`, even when another module binds it."""

    class Lonely(PrivateModule):
        def configure(self) -> None:
            self.expose(Clock)

    class App(Module):
        def configure(self) -> None:
            self.bind(Clock)
            self.install(Lonely())

    with pytest.raises(BindingError) as info:
        InjectQ(App())
    assert info.value.codes == ("expose-unbound",)


def test_exposing_a_key_an_inner_private_module_keeps_names_it() -> None:
    """The outer module exposes a key the inner one keeps: the message says where it is."""

    class Inner(PrivateModule):
        def configure(self) -> None:
            self.bind(Clock)

    class Outer(PrivateModule):
        def configure(self) -> None:
            self.install(Inner())
            self.expose(Clock)

    with pytest.raises(BindingError) as info:
        InjectQ(Outer())
    problem = info.value.problems[0]
    assert problem.code == "expose-unbound"
    assert problem.details[1].startswith("Clock is bound inside Inner, which does not expose it: ")
    assert problem.hint == "expose it there too: self.expose(Clock) in Inner.configure()."


def test_expose_outside_configure_is_a_usage_error() -> None:
    """expose() records, like bind(): outside configure() it raises at once."""
    with pytest.raises(UsageError, match=r"expose\(\) was called outside configure\(\)"):
        PostgresModule("a", "b").expose(Pool)


def test_expose_with_an_empty_name_is_invalid() -> None:
    """expose(name="") is reported with the other problems."""

    class Bad(PrivateModule):
        def configure(self) -> None:
            self.bind(Clock, name="x")
            self.expose(Clock, name="")

    with pytest.raises(BindingError) as info:
        InjectQ(Bad())
    assert info.value.problems[0].code == "invalid-binding"
    assert info.value.problems[0].message == (
        "expose(Clock) is invalid: expose() takes a non-empty string as name=, got ''."
    )


def test_exposing_an_invalid_key_is_invalid_key() -> None:
    """expose("Clock"): a string is no key."""

    class Bad(PrivateModule):
        def configure(self) -> None:
            self.expose("Clock")

    with pytest.raises(BindingError) as info:
        InjectQ(Bad())
    assert info.value.codes == ("invalid-key",)


def test_exposed_key_and_an_outer_binding_of_it_are_a_duplicate() -> None:
    """An exposed key is bound in the space around: binding it there too is a duplicate."""

    class App(Module):
        def configure(self) -> None:
            self.bind(Repository, name="users")
            self.install(PostgresModule("users", "pg://u"))

    with pytest.raises(BindingError) as info:
        InjectQ(App())
    assert info.value.codes == ("duplicate-binding",)


def test_two_legs_exposing_the_same_key_are_a_duplicate() -> None:
    """Robot legs must expose different keys (here both expose Repository "users")."""
    with pytest.raises(BindingError) as info:
        InjectQ(PostgresModule("users", "a"), PostgresModule("users", "b"))
    assert info.value.codes == ("duplicate-binding",)


def test_from_context_inside_a_private_module_is_invalid() -> None:
    """A context key is handed in by whoever enters the scope: it cannot be private."""

    class Web(PrivateModule):
        def configure(self) -> None:
            self.bind(Clock).from_context()

    with pytest.raises(BindingError) as info:
        InjectQ(Web())
    problem = info.value.problems[0]
    assert problem.code == "invalid-binding"
    assert "which a private module cannot keep to itself" in problem.message
    assert problem.hint.startswith("declare it in a module that is not private")


def test_private_provider_methods_and_named_maps() -> None:
    """@provider methods of a private module are private; dict[str, T] inside sees both."""

    class Handlers:
        def __init__(self, by_name: dict[str, Clock]) -> None:
            self.by_name = by_name

    class Inner(PrivateModule):
        @provider(name="inner")
        def inner_clock(self) -> Clock:
            return Clock()

        def configure(self) -> None:
            self.bind(Handlers)
            self.expose(Handlers)

    class App(Module):
        def configure(self) -> None:
            self.bind(Clock, name="outer")
            self.install(Inner())

    container = InjectQ(App())
    assert sorted(container.get(Handlers).by_name) == ["inner", "outer"]
    assert sorted(container.get_all(Clock)) == ["outer"]
    with pytest.raises(MissingBindingError):
        container.get(Clock, name="inner")


def test_provider_of_a_private_key_resolves_the_private_binding() -> None:
    """Provider[Pool] inside a private module resolves that module's Pool when called."""

    class Lazy:
        def __init__(self, pool: Provider[Pool]) -> None:
            self.pool = pool

    class Leg(PrivateModule):
        def __init__(self, url: str) -> None:
            self.url = url

        def configure(self) -> None:
            self.bind(Config, Config(self.url))
            self.bind(Pool).singleton()
            self.bind(Lazy, name=self.url)
            self.expose(Lazy, name=self.url)

    container = InjectQ(Leg("a"), Leg("b"))
    a = container.get(Lazy, name="a").pool()
    b = container.get(Lazy, name="b").pool()
    assert (a.config.url, b.config.url) == ("a", "b")
    assert container.get(Lazy, name="a").pool() is a


async def test_provider_of_an_async_private_key() -> None:
    """Provider[T] of an async private binding returns an awaitable of that binding."""

    class Lazy:
        def __init__(self, config: Provider[Config]) -> None:
            self.config = config

    class Leg(PrivateModule):
        @provider
        async def config(self) -> Config:
            await asyncio.sleep(0)
            return Config("async")

        def configure(self) -> None:
            self.bind(Lazy)
            self.expose(Lazy)

    container = InjectQ(Leg())
    lazy = await container.aget(Lazy)
    assert (await lazy.config()).url == "async"  # type: ignore[misc]  # an awaitable


def test_annotated_named_private_key() -> None:
    """Annotated[T, Named(...)] inside a private module finds a private named binding."""

    class Uses:
        def __init__(self, clock: Annotated[Clock, Named("x")]) -> None:
            self.clock = clock

    the_clock = Clock()

    class Inner(PrivateModule):
        def configure(self) -> None:
            self.bind(Clock, the_clock, name="x")
            self.bind(Uses)
            self.expose(Uses)

    assert InjectQ(Inner()).get(Uses).clock is the_clock


def test_eager_private_singletons_are_created_on_entering() -> None:
    """An eager singleton inside a private module is created when the container is entered."""

    class Leg(PrivateModule):
        def configure(self) -> None:
            self.bind(Config, Config("eager"))
            self.bind(Pool).eager()

    with InjectQ(Leg()):
        assert events == ["open eager"]
    assert events == ["open eager", "close eager"]


def test_strict_containers_serve_private_modules() -> None:
    """strict=True changes nothing about visibility."""
    container = InjectQ(Legs(), strict=True)
    assert container.get(Repository, name="users").pool.config.url == "pg://users"


def test_a_later_install_recompiles_private_bindings_that_asked() -> None:
    """A private binding that got None for an unbound key gets the key once it is bound."""

    class Optional:
        def __init__(self, clock: Clock | None = None) -> None:
            self.clock = clock

    class Inner(PrivateModule):
        def configure(self) -> None:
            self.bind(Optional)
            self.expose(Optional)

    container = InjectQ(Inner())
    assert container.get(Optional).clock is None
    the_clock = Clock()
    container.bind(Clock, the_clock)
    assert container.get(Optional).clock is the_clock


def test_as_default_inside_a_private_module() -> None:
    """A default inside gives way to another binding of the key inside the same module."""
    first, second = Clock(), Clock()

    class Lib(Module):
        def configure(self) -> None:
            self.bind(Clock, first).as_default()

    class Inner(PrivateModule):
        def configure(self) -> None:
            self.install(Lib())
            self.bind(Clock, second)
            self.expose(Clock)

    assert InjectQ(Inner()).get(Clock) is second


# -- just-in-time classes -----------------------------------------------------------------------


@singleton
class SharedClock:
    pass


@singleton
class PoolUser:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


class Needs:
    def __init__(self, clock: SharedClock, user: PoolUser) -> None:
        self.clock = clock
        self.user = user


class JitLeg(PrivateModule):
    def __init__(self, url: str) -> None:
        self.url = url

    def configure(self) -> None:
        self.bind(Config, Config(self.url))
        self.bind(Pool).singleton()
        self.bind(Needs, name=self.url)
        self.expose(Needs, name=self.url)


def test_a_just_in_time_class_needing_nothing_private_is_shared() -> None:
    """Planned inside, it needs nothing private: it lives outside, one singleton for all."""
    container = InjectQ(JitLeg("a"), JitLeg("b"))
    a, b = container.get(Needs, name="a"), container.get(Needs, name="b")
    assert a.clock is b.clock
    assert container.get(SharedClock) is a.clock  # the same node outside
    info = container.graph.get(SharedClock)
    assert info is not None
    assert info.just_in_time
    assert info.private_to is None


def test_a_just_in_time_class_needing_a_private_key_stays_inside() -> None:
    """A @singleton class that needs a private Pool: one per private module, kept inside."""
    container = InjectQ(JitLeg("a"), JitLeg("b"))
    a, b = container.get(Needs, name="a"), container.get(Needs, name="b")
    assert a.user is not b.user
    assert a.user.pool.config.url == "a"
    assert b.user.pool.config.url == "b"
    assert container.get(Needs, name="a").user is a.user
    with pytest.raises(MissingBindingError):
        container.get(PoolUser)  # outside, its Pool is not there
    kept = [i for i in container.graph if i.key is PoolUser]
    assert [i.private_to for i in kept] == ["JitLeg", "JitLeg"]


def test_a_just_in_time_class_asked_outside_first_is_the_same_node() -> None:
    """The outer space made SharedClock first; the private module's need merges into it."""
    container = InjectQ()
    outer = container.get(SharedClock)  # just in time, outside
    container.install(JitLeg("a"))
    assert container.get(Needs, name="a").clock is outer


def test_just_in_time_inside_deeply_nested_private_modules() -> None:
    """A class needing the outer private module's key lands in the outer private module."""

    class Middle:
        def __init__(self, user: PoolUser) -> None:
            self.user = user

    class Inner(PrivateModule):
        def configure(self) -> None:
            self.bind(Middle)
            self.expose(Middle)

    class Outer(PrivateModule):
        def configure(self) -> None:
            self.bind(Config, Config("outer"))
            self.bind(Pool).singleton()
            self.install(Inner())
            self.expose(Middle)

    container = InjectQ(Outer())
    assert container.get(Middle).user.pool.config.url == "outer"
    kept = [i for i in container.graph if i.key is PoolUser]
    assert [i.private_to for i in kept] == ["Outer"]


# -- overrides ------------------------------------------------------------------------------


class FakeRepository(Repository):
    def __init__(self) -> None:
        self.pool = None  # type: ignore[assignment]


class Reporter:
    def __init__(self, repo: Annotated[Repository, Named("users")]) -> None:
        self.repo = repo


class ReportingLeg(PrivateModule):
    """Exposes Repository "users" and a Reporter that uses it, inside."""

    def configure(self) -> None:
        self.bind(Config, Config("pg"))
        self.bind(Pool).singleton()
        self.bind(Repository, name="users").singleton()
        self.bind(Reporter).singleton()
        self.expose(Repository, name="users")
        self.expose(Reporter)


def test_overriding_an_exposed_key_replaces_it_for_everyone() -> None:
    """override() of an exposed key: outside and the module's own bindings see the fake."""
    container = InjectQ(ReportingLeg())
    original = container.get(Reporter)
    fake = FakeRepository()
    with container.override(Repository, fake, name="users"):
        assert container.get(Repository, name="users") is fake
        assert container.get(Reporter).repo is fake  # built afresh inside the override
    assert container.get(Reporter) is original
    assert container.get(Repository, name="users") is original.repo


async def test_overriding_an_exposed_key_replaces_it_for_everyone_async() -> None:
    """The same with async with and aget()."""
    container = InjectQ(ReportingLeg())
    original = await container.aget(Reporter)
    fake = FakeRepository()
    async with container.override(Repository, fake, name="users"):
        assert (await container.aget(Reporter)).repo is fake
    assert await container.aget(Reporter) is original


def test_install_overrides_replace_an_exposed_key() -> None:
    """install(overrides=[...]) of an exposed key replaces it inside and out."""
    fake = FakeRepository()

    class Fakes(Module):
        def configure(self) -> None:
            self.bind(Repository, fake, name="users")

    container = InjectQ()
    container.install(ReportingLeg(), overrides=[Fakes()])
    assert container.get(Reporter).repo is fake


def test_overriding_a_private_key_leaves_the_module_alone() -> None:
    """A key the module does not expose cannot be overridden from outside: the override
    adds a binding outside, and the module keeps its own."""
    container = InjectQ(ReportingLeg())
    pool = container.get(Repository, name="users").pool
    other = Pool(Config("other"))
    with container.override(Pool, other):
        assert container.get(Pool) is other  # the override's own, outside
        assert container.get(Repository, name="users").pool is pool
    with pytest.raises(MissingBindingError):
        container.get(Pool)


def test_overriding_inside_a_private_module_with_a_private_override_module() -> None:
    """An override module may itself be private: what it exposes replaces exposed keys."""
    fake = FakeRepository()

    class FakeLeg(PrivateModule):
        def configure(self) -> None:
            self.bind(Repository, fake, name="users")
            self.expose(Repository, name="users")

    container = InjectQ(ReportingLeg())
    with container.override(FakeLeg()):
        assert container.get(Reporter).repo is fake
    assert container.get(Reporter).repo is not fake


def test_what_an_override_built_inside_a_private_module_is_disposed() -> None:
    """Singletons rebuilt inside the override are disposed when it ends; originals stay."""

    @resource
    class Tracked:
        def __init__(self, repo: Annotated[Repository, Named("users")]) -> None:
            self.repo = repo
            events.append("tracked")

        def dispose(self) -> None:
            events.append("tracked disposed")

    class Leg(ReportingLeg):
        def configure(self) -> None:
            super().configure()
            self.bind(Tracked).singleton()
            self.expose(Tracked)

    container = InjectQ(Leg())
    original = container.get(Tracked)
    with container.override(Repository, FakeRepository(), name="users"):
        assert container.get(Tracked) is not original
    assert events == ["open pg", "tracked", "tracked", "tracked disposed"]
    assert container.get(Tracked) is original


# -- concurrency --------------------------------------------------------------------------------


@resource
class SlowPool:
    created = 0
    lock = threading.Lock()

    def __init__(self) -> None:
        time.sleep(0.005)
        with SlowPool.lock:
            SlowPool.created += 1


class SlowUser:
    def __init__(self, pool: SlowPool) -> None:
        self.pool = pool


class SlowLeg(PrivateModule):
    def __init__(self, name: str) -> None:
        self.name = name

    def configure(self) -> None:
        self.bind(SlowPool).singleton()
        self.bind(SlowUser, name=self.name)
        self.expose(SlowUser, name=self.name)


@pytest.mark.usefixtures("fast_switching")
def test_a_private_singleton_is_built_once_under_threads() -> None:
    """16 threads at a 1 µs switch interval: one pool per leg."""
    SlowPool.created = 0
    container = InjectQ(SlowLeg("a"), SlowLeg("b"))
    got: list[SlowUser] = []
    threads = [
        threading.Thread(target=lambda i=i: got.append(container.get(SlowUser, name="ab"[i % 2])))
        for i in range(16)
    ]
    run_all(threads)
    assert SlowPool.created == 2
    assert len({id(u.pool) for u in got}) == 2


async def test_a_private_singleton_is_built_once_under_concurrent_aget() -> None:
    """Concurrent aget() calls: one pool per leg."""
    SlowPool.created = 0
    container = InjectQ(SlowLeg("a"), SlowLeg("b"))
    got = await asyncio.wait_for(
        asyncio.gather(*(container.aget(SlowUser, name="ab"[i % 2]) for i in range(16))), 10
    )
    assert SlowPool.created == 2
    assert len({id(u.pool) for u in got}) == 2


# -- seen -----------------------------------------------------------------------------------


def test_the_graph_view_shows_private_modules_with_what_they_expose() -> None:
    """private_modules lists each private module; each binding says where it is seen."""
    view = InjectQ(Legs()).graph
    legs = view.private_modules
    assert [(p.module, p.modules) for p in legs] == [
        ("PostgresModule", ("PostgresModule", "Legs")),
        ("PostgresModule", ("PostgresModule", "Legs")),
    ]
    assert [[i.label for i in p.exposes] for p in legs] == [
        ['Repository named "users"'],
        ['Repository named "orders"'],
    ]
    assert [sorted(i.label for i in p.keeps) for p in legs] == [["Config", "Pool"]] * 2
    assert legs[0].file == "tests/test_private_modules.py"
    assert legs[0].line == PostgresModule.__init__.__code__.co_firstlineno - 1
    users = view.get(Repository, "users")
    assert users is not None
    assert (users.private_to, users.exposed_by) == (None, "PostgresModule")
    assert view.get(Pool) is None  # get() does not see it, nor does the view's get()
    pools = [i for i in view if i.key is Pool]
    assert [(i.private_to, i.exposed_by) for i in pools] == [("PostgresModule", None)] * 2


def test_to_text_and_explain_follow_each_leg_to_its_own_pool() -> None:
    """explain() of an exposed key walks into the private bindings it uses."""
    view = InjectQ(Legs()).graph
    line = PostgresModule.configure.__code__.co_firstlineno
    here = "tests/test_private_modules.py"
    assert view.explain(Repository, "orders") == (
        f'Repository named "orders"  [singleton, class Repository, exposed by PostgresModule]  '
        f"{here}:{line + 3} (in PostgresModule <- Legs)\n"
        f"└── pool: Pool  =>  Pool  [singleton, class Pool, private to PostgresModule]  "
        f"{here}:{line + 2} (in PostgresModule <- Legs)\n"
        f"    └── config: Config  =>  Config  [singleton, <Config instance>, private to "
        f"PostgresModule]  {here}:{line + 1} (in PostgresModule <- Legs)\n"
    )
    text = view.to_text()
    assert text.count("private to PostgresModule") == 4
    assert text.count("exposed by PostgresModule") == 2


def test_dot_and_mermaid_draw_an_edge_to_each_legs_own_pool() -> None:
    """Two Pools of the same type are two nodes; each Repository points at its own."""
    view = InjectQ(Legs()).graph
    mermaid = view.to_mermaid()
    assert mermaid.count("<br/>private to PostgresModule") == 4
    assert mermaid.count("<br/>exposed by PostgresModule") == 2
    edges = [line.strip() for line in mermaid.splitlines() if "-->" in line]
    assert len(edges) == 4  # repository -> pool, pool -> config, twice
    assert len({edge.split()[-1] for edge in edges}) == 4  # four distinct targets
    dot = view.to_dot()
    assert len([line for line in dot.splitlines() if "->" in line]) == 4
    assert dot.count("\\nprivate to PostgresModule") == 4


def test_the_cli_graph_shows_private_modules() -> None:
    """`python -m injectq graph` prints the private and exposed flags."""
    result = subprocess.run(
        [sys.executable, "-m", "injectq", "graph", "tests.test_private_modules:Legs"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("exposed by PostgresModule") == 2
    assert result.stdout.count("private to PostgresModule") == 4
