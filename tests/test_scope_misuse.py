"""Scopes, activate() and override() refuse every misuse clearly and leave no state behind."""

from __future__ import annotations

import abc
import asyncio
import contextvars
import copy
import pickle
import threading
from collections.abc import Callable
from typing import Any

import pytest

from injectq import (
    Activation,
    ContainerClosedError,
    InjectQ,
    MissingBindingError,
    Module,
    Override,
    Scope,
    UsageError,
    scoped,
)
from injectq._lifecycle import AMBIENT, ScopeState


@scoped
class RequestData:
    """A request-scoped class (just in time)."""


@scoped("tenant")
class TenantData:
    """A tenant-scoped class (just in time)."""


class Database:
    """The production database."""


class FakeDatabase(Database):
    """A test double."""


class DbModule(Module):
    def configure(self) -> None:
        self.bind(Database).singleton()


def test_scope_is_a_small_public_type_wrapping_its_state() -> None:
    """Scope offers name, closed, get, aget, get_all, aget_all; it is not the cache itself."""
    c = InjectQ()
    scope = c.scope("tenant")
    assert isinstance(scope, Scope)
    assert not isinstance(scope, ScopeState)
    assert not hasattr(scope, "cache")
    assert scope.name == "tenant"
    assert scope.closed is False
    with scope:
        assert scope.get(TenantData) is scope.get(TenantData)
        assert c.get(TenantData) is scope.get(TenantData)
    assert scope.closed is True
    assert repr(scope) == "<Scope 'tenant' instances=0 teardowns=0 closed=True>"


def test_a_scope_is_made_by_the_container_only() -> None:
    """Calling the Scope class says how a scope is made."""
    with pytest.raises(UsageError, match=r"container\.scope\(name\)"):
        Scope(InjectQ(), "request")


async def test_aget_all_is_the_async_twin_of_get_all() -> None:
    """scope.aget_all and container.aget_all give what get_all gives, by name in order."""

    class Handlers(Module):
        def configure(self) -> None:
            self.bind(Database, Database, name="main").scoped()
            self.bind(Database, FakeDatabase, name="fake").scoped()

    c = InjectQ(Handlers())
    async with c.scope() as scope:
        found = await scope.aget_all(Database)
        assert list(found) == ["main", "fake"]
        assert type(found["fake"]) is FakeDatabase
        assert found == scope.get_all(Database)
        assert await c.aget_all(Database) == found


def test_resolving_from_an_ended_scope_is_refused() -> None:
    """After its block, a scope serves nothing (sync and async)."""
    c = InjectQ()
    scope = c.scope()
    with scope:
        pass
    with pytest.raises(ContainerClosedError, match=r'The scope "request" is closed'):
        scope.get(RequestData)
    with pytest.raises(ContainerClosedError, match=r'The scope "request" is closed'):
        asyncio.run(scope.aget(RequestData))
    with pytest.raises(ContainerClosedError, match=r'The scope "request" is closed'):
        asyncio.run(scope.aget_all(RequestData))


# -- leaving a scope twice, or one never entered ------------------------------------------


def test_leaving_a_scope_twice_is_refused_and_leaves_the_ambient_scope_alone() -> None:
    """A second __exit__ raises UsageError; the scope around it is still ambient."""
    c = InjectQ()
    with c.scope() as outer:
        inner = c.scope()
        with inner:
            pass
        with pytest.raises(UsageError) as info:
            inner.__exit__(None, None, None)
        assert AMBIENT.get() is outer._state
        assert c.get(RequestData) is outer.get(RequestData)
    assert str(info.value) == (
        'The scope "request" was left already; a scope is left once. Hint: enter a new '
        "container.scope() for another block."
    )


async def test_async_leaving_a_scope_twice_is_refused() -> None:
    """The async twin: a second __aexit__ raises the same UsageError."""
    c = InjectQ()
    scope = c.scope()
    async with scope:
        pass
    with pytest.raises(UsageError, match="was left already"):
        await scope.__aexit__(None, None, None)
    assert AMBIENT.get() is None


@pytest.mark.parametrize("how", ["sync", "async"])
def test_leaving_a_scope_never_entered_is_refused(how: str) -> None:
    """Exiting a scope that was never entered raises UsageError naming the right use."""
    scope = InjectQ().scope("tenant")
    with pytest.raises(UsageError) as info:
        if how == "sync":
            scope.__exit__(None, None, None)
        else:
            asyncio.run(scope.__aexit__(None, None, None))
    assert str(info.value) == (
        'The scope "tenant" was never entered, so it cannot be left. Hint: use it as '
        '`with container.scope("tenant") as scope:`.'
    )
    assert AMBIENT.get() is None


@pytest.mark.parametrize("how", ["sync", "async"])
def test_entering_a_scope_twice_is_refused(how: str) -> None:
    """A scope object is entered once, also after it ended."""
    c = InjectQ()
    scope = c.scope()

    async def enter_again() -> None:
        async with scope:
            pass

    with scope:
        with pytest.raises(UsageError, match="was entered already"):
            scope.__enter__()
        assert AMBIENT.get() is scope._state
    with pytest.raises(UsageError, match=r"call container.scope\(\) again"):
        if how == "sync":
            scope.__enter__()
        else:
            asyncio.run(enter_again())
    assert AMBIENT.get() is None


# -- nesting order and the task that entered ------------------------------------------------


def test_leaving_nested_scopes_out_of_order_is_refused_and_changes_nothing() -> None:
    """Leaving the outer scope first raises, naming the inner one; then the right order works."""
    c = InjectQ()
    outer = c.scope()
    inner = c.scope("tenant")
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(UsageError) as info:
        outer.__exit__(None, None, None)
    assert str(info.value) == (
        'The scope "request" cannot be left while the scope "tenant" entered inside it is '
        "still open. Hint: leave them in the reverse order they were entered (nest the "
        "`with` blocks)."
    )
    assert AMBIENT.get() is inner._state
    assert c.get(TenantData) is inner.get(TenantData)
    assert c.get(RequestData) is outer.get(RequestData)
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)
    assert AMBIENT.get() is None
    assert outer.closed
    assert inner.closed


async def test_async_leaving_nested_scopes_out_of_order_is_refused() -> None:
    """The async twin, with an activation between the two scopes."""
    c = InjectQ()
    outer = c.scope()
    await outer.__aenter__()
    activation = c.activate()
    await activation.__aenter__()
    with pytest.raises(UsageError, match=r"while the container.activate\(\) entered inside"):
        await outer.__aexit__(None, None, None)
    await activation.__aexit__(None, None, None)
    await outer.__aexit__(None, None, None)
    assert AMBIENT.get() is None


async def test_a_scope_left_from_another_task_is_refused() -> None:
    """A task that inherited the scope cannot leave it; the entering task still can."""
    c = InjectQ()
    scope = c.scope()
    await scope.__aenter__()

    async def leave_elsewhere() -> None:
        with pytest.raises(UsageError) as info:
            await scope.__aexit__(None, None, None)
        assert "another task or thread" in str(info.value)
        assert AMBIENT.get() is scope._state  # the other task's view is intact too

    await asyncio.wait_for(asyncio.create_task(leave_elsewhere()), 5)
    assert AMBIENT.get() is scope._state
    assert scope.get(RequestData) is c.get(RequestData)
    await scope.__aexit__(None, None, None)
    assert AMBIENT.get() is None


async def test_a_scope_left_from_an_unrelated_task_is_refused() -> None:
    """A task started before the scope does not see it as ambient and cannot leave it."""
    c = InjectQ()
    entered = asyncio.Event()
    scope = c.scope()

    async def leave_elsewhere() -> str:
        await entered.wait()
        with pytest.raises(UsageError) as info:
            scope.__exit__(None, None, None)
        assert AMBIENT.get() is None
        return str(info.value)

    task = asyncio.create_task(leave_elsewhere())
    with scope:
        entered.set()
        text = await asyncio.wait_for(task, 5)
        assert AMBIENT.get() is scope._state
    assert text == (
        'The scope "request" is being left from another task or thread (another '
        "contextvars context) than the one that entered it. Hint: leave it where it was "
        "entered; to share a scope with other tasks, pass the Scope object and call "
        "scope.get(...)."
    )


def test_a_scope_left_from_a_copied_context_thread_is_refused() -> None:
    """A thread running in a copy of the context cannot leave the scope it inherited."""
    c = InjectQ()
    errors: list[BaseException] = []
    with c.scope() as scope:
        context = contextvars.copy_context()

        def leave() -> None:
            try:
                scope.__exit__(None, None, None)
            except UsageError as exc:
                errors.append(exc)

        thread = threading.Thread(target=context.run, args=(leave,))
        thread.start()
        thread.join(5)
        assert not thread.is_alive()
        assert AMBIENT.get() is scope._state
    assert len(errors) == 1
    assert "another task or thread" in str(errors[0])
    assert scope.closed


# -- activate() -----------------------------------------------------------------------------


def test_activate_returns_a_public_type_entered_as_the_container() -> None:
    """activate() gives an Activation; entering it yields the container and makes it current."""
    c = InjectQ()
    activation = c.activate()
    assert isinstance(activation, Activation)
    with activation as entered:
        assert entered is c
        assert InjectQ.current() is c
        assert repr(activation) == "<Activation active>"
    assert repr(activation) == "<Activation idle>"
    with activation:  # again, after it was left
        assert InjectQ.current() is c


@pytest.mark.parametrize("how", ["sync", "async"])
def test_leaving_activate_never_entered_is_refused(how: str) -> None:
    """Exiting an activation that is not active raises UsageError (not IndexError)."""
    activation = InjectQ().activate()
    with pytest.raises(UsageError) as info:
        if how == "sync":
            activation.__exit__(None, None, None)
        else:
            asyncio.run(activation.__aexit__(None, None, None))
    assert str(info.value) == (
        "This container.activate() object is not active, so it cannot be left (it was "
        "never entered, or was left already). Hint: use it as `with container.activate():`."
    )


@pytest.mark.parametrize("how", ["sync", "async"])
def test_entering_activate_twice_is_refused(how: str) -> None:
    """An active activation cannot be entered again; the first entry is undisturbed."""
    c = InjectQ()
    activation = c.activate()

    async def enter_again() -> None:
        async with activation:
            pass

    with activation:
        with pytest.raises(UsageError, match="is active already"):
            if how == "sync":
                activation.__enter__()
            else:
                asyncio.run(enter_again())
        assert AMBIENT.get() is activation
    assert AMBIENT.get() is None


async def test_one_activation_shared_by_two_tasks_is_refused_in_the_second() -> None:
    """The second task gets UsageError (not ValueError); the first leaves cleanly."""
    c = InjectQ()
    activation = c.activate()
    inside = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with activation:
            inside.set()
            await release.wait()
            assert InjectQ.current() is c

    async def second() -> None:
        await inside.wait()
        with pytest.raises(UsageError, match=r"call container.activate\(\) again"):
            async with activation:
                pass  # pragma: no cover - refused at entry
        release.set()

    await asyncio.wait_for(asyncio.gather(first(), second()), 5)
    assert AMBIENT.get() is None


# -- override() -----------------------------------------------------------------------------


def test_entering_one_override_twice_is_refused_and_the_original_comes_back() -> None:
    """A second entry of an active override raises; leaving restores the original."""
    c = InjectQ(DbModule())
    original = c.get(Database)
    override = c.override(Database, FakeDatabase)
    assert isinstance(override, Override)
    with override as entered:
        assert entered is c
        with pytest.raises(UsageError) as info:
            override.__enter__()
        assert type(c.get(Database)) is FakeDatabase
    assert str(info.value) == (
        "This override(Database) is active already; entering it again would stack it on "
        "itself and the original would never come back. Hint: call container.override(...) "
        "again for a second block."
    )
    assert c.get(Database) is original
    with override:  # again, after it ended
        assert type(c.get(Database)) is FakeDatabase
    assert c.get(Database) is original


async def test_async_entering_one_override_twice_is_refused() -> None:
    """The async twin of the double entry."""
    c = InjectQ(DbModule())
    original = await c.aget(Database)
    override = c.override(DbModule())
    async with override:
        with pytest.raises(UsageError, match=r"override\(DbModule\(\)\) is active already"):
            await override.__aenter__()
    assert await c.aget(Database) is original


@pytest.mark.parametrize("how", ["sync", "async"])
def test_ending_an_override_never_entered_is_refused(how: str) -> None:
    """Exiting an inactive override raises UsageError and restores nothing."""
    c = InjectQ(DbModule())
    original = c.get(Database)
    override = c.override(Database, FakeDatabase())
    with pytest.raises(UsageError, match=r"override\(Database\) is not active"):
        if how == "sync":
            override.__exit__(None, None, None)
        else:
            asyncio.run(override.__aexit__(None, None, None))
    assert c.get(Database) is original


# -- copies and pickles ---------------------------------------------------------------------

COPIES: dict[str, Callable[[object], object]] = {
    "copied": copy.copy,
    "deep-copied": copy.deepcopy,
    "pickled": pickle.dumps,
}


@pytest.mark.parametrize("how", sorted(COPIES))
def test_a_container_cannot_be_copied_or_pickled(how: str) -> None:
    """copy, deepcopy and pickle raise UsageError; the original's singletons survive."""
    disposed: list[str] = []

    class Pool:
        def dispose(self) -> None:
            disposed.append("pool")

    c = InjectQ()
    c.bind(Pool, scope="singleton")
    from injectq import resource

    resource(Pool)
    pool = c.get(Pool)
    with pytest.raises(UsageError) as info:
        COPIES[how](c)
    assert str(info.value) == (
        f"An InjectQ container cannot be {how}: it holds live instances, their teardowns "
        "and locks, which a copy would share or lose. Hint: build another container from "
        "the same modules, InjectQ(AppModule()), or vary this one with "
        "container.override(...)."
    )
    assert c.get(Pool) is pool
    assert disposed == []


OBJECTS: dict[str, tuple[Callable[[InjectQ], Any], str]] = {
    "scope": (lambda c: c.scope(), "A Scope"),
    "activation": (lambda c: c.activate(), "An Activation"),
    "override": (lambda c: c.override(Database, FakeDatabase), "An Override"),
}


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("what", sorted(OBJECTS))
def test_scopes_activations_and_overrides_cannot_be_copied(what: str, how: str) -> None:
    """The objects the container hands out refuse copies the same way."""
    make, label = OBJECTS[what]
    with pytest.raises(UsageError, match=f"^{label} cannot be {how}: .* Hint: "):
        COPIES[how](make(InjectQ()))


# -- install(overrides=...) -----------------------------------------------------------------


class AppModule(Module):
    def configure(self) -> None:
        self.bind(Database)


_LEAVE_OUT = "install(AppModule(), overrides=[TestModule()]), or leave overrides= out"


@pytest.mark.parametrize(
    ("overrides", "found", "hint"),
    [
        (None, "NoneType None", _LEAVE_OUT),
        (42, "int 42", _LEAVE_OUT),
        ("TestModule", "str 'TestModule'", _LEAVE_OUT),
        (AppModule, f"type {AppModule!r}", "pass an instance: overrides=[AppModule()]"),
    ],
    ids=["None", "int", "str", "module-class"],
)
def test_wrong_overrides_values_are_usage_errors(overrides: Any, found: str, hint: str) -> None:
    """install(overrides=...) names what it got and how to pass modules."""
    c = InjectQ()
    with pytest.raises(UsageError) as info:
        c.install(overrides=overrides)
    assert str(info.value) == (
        f"install(overrides=...) takes a module or a list of modules, got {found}. Hint: {hint}."
    )
    assert repr(c) == "<InjectQ bindings=0 singletons=0>"


@pytest.mark.parametrize("overrides", [[AppModule], [None]], ids=["class-in-list", "None-in-list"])
def test_wrong_items_of_overrides_are_usage_errors(overrides: list[Any]) -> None:
    """A list holding something other than module instances is refused by install()."""
    with pytest.raises(UsageError, match=r"^install\(\) takes Module instances, got "):
        InjectQ().install(overrides=overrides)


def test_overrides_take_one_module_or_any_iterable_of_them() -> None:
    """A single module, a tuple and a generator are all accepted."""

    class Fake(Module):
        def configure(self) -> None:
            self.bind(Database, FakeDatabase)

    for overrides in (Fake(), (Fake(),), (m for m in [Fake()])):
        c = InjectQ()
        c.install(AppModule(), overrides=overrides)
        assert type(c.get(Database)) is FakeDatabase


class Session:
    pass


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session


async def test_scope_aget_serves_from_the_lookup_table_what_scope_get_serves() -> None:
    """scope.aget and scope.get, first and later calls: one instance per scope, shared."""
    container = InjectQ()
    container.bind(Session, scope="request")
    container.bind(Repository)
    seen = []
    for _ in range(2):  # the second scope finds the looked-up factories in the table
        async with container.scope() as scope:
            first = await scope.aget(Session)
            assert await scope.aget(Session) is first
            assert scope.get(Session) is first
            assert (await scope.aget(Repository)).session is first
            seen.append(first)
        assert scope.closed
        with pytest.raises(ContainerClosedError):
            await scope.aget(Session)
    assert seen[0] is not seen[1]


async def test_scope_aget_of_a_key_bound_later_or_overridden_sees_the_new_graph() -> None:
    """The table scope.aget reads is the container's current one."""
    container = InjectQ()
    container.bind(Session, scope="request")
    async with container.scope() as scope:
        plain = await scope.aget(Session)
    fake = Session()
    with container.override(Session, fake):
        async with container.scope() as scope:
            assert await scope.aget(Session) is fake
    async with container.scope() as scope:
        assert type(await scope.aget(Session)) is Session
        assert await scope.aget(Session) is not plain
    async with container.scope() as scope:
        for _ in range(2):  # the table has no entry for it: each call resolves, and fails
            with pytest.raises(MissingBindingError) as info:
                await scope.aget(Unbindable)
            assert info.value.__context__ is None


class Unbindable(abc.ABC):
    @abc.abstractmethod
    def run(self) -> None: ...
