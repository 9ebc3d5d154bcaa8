"""Overrides: install(overrides=...) and container.override(...) as context managers."""

import abc
from collections.abc import AsyncIterator, Iterator

import pytest

from injectq import (
    AsyncTeardownError,
    BindingError,
    InjectQ,
    Module,
    UsageError,
    provider,
    resource,
)

events: list[str] = []


class Database(abc.ABC):
    @abc.abstractmethod
    def name(self) -> str: ...


class Postgres(Database):
    def name(self) -> str:
        return "postgres"


class FakeDatabase(Database):
    def name(self) -> str:
        return "fake"


class Repository:
    def __init__(self, db: Database) -> None:
        self.db = db


class Service:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo


class Clock:
    pass


class Mailer:
    pass


class ProductionModule(Module):
    def configure(self) -> None:
        self.bind(Database, Postgres).singleton()
        self.bind(Repository).singleton()
        self.bind(Service).singleton()
        self.bind(Clock).singleton()


class TestModule(Module):
    __test__ = False

    def configure(self) -> None:
        self.bind(Database, FakeDatabase).singleton()
        self.bind(Mailer)  # not bound in production: added


def test_install_with_overrides_replaces_and_adds() -> None:
    """Modules.override semantics: test bindings replace, new keys are added, rest kept."""
    c = InjectQ()
    c.install(ProductionModule(), overrides=[TestModule()])
    assert c.get(Service).repo.db.name() == "fake"
    assert isinstance(c.get(Mailer), Mailer)
    assert isinstance(c.get(Clock), Clock)


def test_duplicates_among_override_modules_are_an_error() -> None:
    """Two override modules binding the same key conflict like any duplicate."""
    with pytest.raises(BindingError, match="overrides bind 2 times"):
        InjectQ().install(
            ProductionModule(),
            overrides=[TestModule(), TestModule.__new__(type("Other", (TestModule,), {}))],
        )


def test_override_rebuilds_dependents_and_keeps_the_rest() -> None:
    """Singletons depending on the override are rebuilt inside; others stay shared."""
    c = InjectQ(ProductionModule())
    service, clock = c.get(Service), c.get(Clock)
    assert service.repo.db.name() == "postgres"
    with c.override(Database, FakeDatabase()):
        inside = c.get(Service)
        assert inside is not service  # the captured Postgres is never served here
        assert inside.repo.db.name() == "fake"
        assert c.get(Service) is inside  # still a singleton while the override holds
        assert c.get(Clock) is clock  # untouched by the override: the same object
    assert c.get(Service) is service  # the original comes back
    assert c.get(Service).repo.db.name() == "postgres"


async def test_async_override_context_manager() -> None:
    """`async with container.override(...)` behaves the same."""
    c = InjectQ(ProductionModule())
    service = c.get(Service)
    async with c.override(TestModule()):
        assert c.get(Service).repo.db.name() == "fake"
        assert isinstance(c.get(Mailer), Mailer)
    assert c.get(Service) is service


def test_override_restored_when_the_body_raises() -> None:
    """An exception inside the block still restores the originals."""
    c = InjectQ(ProductionModule())
    with pytest.raises(RuntimeError), c.override(Database, FakeDatabase()):
        raise RuntimeError("test failed")
    assert c.get(Database).name() == "postgres"


def test_overrides_nest_and_must_end_in_order() -> None:
    """Inner overrides of the same key win while they hold; ending out of order is refused."""

    class Other(Database):
        def name(self) -> str:
            return "other"

    c = InjectQ(ProductionModule())
    outer = c.override(Database, FakeDatabase())
    inner = c.override(Database, Other())
    with outer:
        with inner:
            assert c.get(Service).repo.db.name() == "other"
        assert c.get(Service).repo.db.name() == "fake"
    assert c.get(Service).repo.db.name() == "postgres"

    first = c.override(Database, FakeDatabase())
    second = c.override(Database, Other())
    first.__enter__()
    second.__enter__()
    with pytest.raises(UsageError, match="reverse order"):
        first.__exit__(None, None, None)
    second.__exit__(None, None, None)
    first.__exit__(None, None, None)


def test_override_target_forms_follow_bind() -> None:
    """A class, an instance or a function each works as the replacement."""
    c = InjectQ(ProductionModule())
    with c.override(Database, FakeDatabase):
        assert c.get(Database).name() == "fake"
    fake = FakeDatabase()
    with c.override(Database, fake):
        assert c.get(Database) is fake
    with c.override(Database, lambda: fake):
        assert c.get(Database) is fake


def test_named_and_transient_and_scoped_overrides() -> None:
    """name= overrides one named binding; transient and scoped bindings follow too."""

    class Handler:
        pass

    class Special(Handler):
        pass

    class M(Module):
        def configure(self) -> None:
            self.bind(Handler, name="a")
            self.bind(Handler, name="b")
            self.bind(Mailer).scoped()

    c = InjectQ(M())
    with c.override(Handler, Special, name="a"):
        assert type(c.get(Handler, name="a")) is Special
        assert type(c.get(Handler, name="b")) is Handler
    with c.scope() as scope:
        before = scope.get(Mailer)
        replacement = Mailer()
        with c.override(Mailer, replacement):
            assert scope.get(Mailer) is replacement
        assert scope.get(Mailer) is before


def repository_needing_unbound(missing: "Unbound") -> Repository:
    raise AssertionError("never called: the override is rejected at entry")


class Unbound(abc.ABC):
    @abc.abstractmethod
    def f(self) -> None: ...


def test_an_invalid_derived_graph_is_rejected_at_entry() -> None:
    """An override is validated like any install: problems raise BindingError on entry."""
    c = InjectQ(ProductionModule())
    with (
        pytest.raises(BindingError, match="Nothing binds Unbound"),
        c.override(Repository, repository_needing_unbound),
    ):
        pass
    assert c.get(Service).repo.db.name() == "postgres"  # nothing changed


@resource
class TrackedDatabase(Database):
    def name(self) -> str:
        return "tracked"

    def dispose(self) -> None:
        events.append("tracked disposed")


def test_what_was_built_inside_is_disposed_when_the_override_ends() -> None:
    """Resources created for the override are disposed at its end, not at close()."""
    events.clear()

    class Gen(Module):
        @provider(scope="singleton")
        def clock(self) -> Iterator[Clock]:
            yield Clock()
            events.append("generator finished")

    c = InjectQ(ProductionModule())
    with c.override(Database, TrackedDatabase):
        c.get(Service)
        assert events == []
    assert events == ["tracked disposed"]
    with c.override(Gen()):
        c.get(Clock)
    assert events == ["tracked disposed", "generator finished"]
    c.close()
    assert events == ["tracked disposed", "generator finished"]


def test_install_during_an_override_is_refused() -> None:
    """The base graph cannot change while an override holds."""
    c = InjectQ(ProductionModule())
    with c.override(Database, FakeDatabase()), pytest.raises(UsageError, match="override"):
        c.install(TestModule())


def test_override_is_container_wide_across_threads() -> None:
    """Another thread (another context) sees the override too."""
    import threading

    c = InjectQ(ProductionModule())
    seen: list[str] = []
    with c.override(Database, FakeDatabase()):
        t = threading.Thread(target=lambda: seen.append(c.get(Database).name()))
        t.start()
        t.join()
    assert seen == ["fake"]


# -- what an override built, used by a scope that outlives it ----------------------------


class _DbModule(Module):
    def configure(self) -> None:
        self.bind(Database, Postgres).singleton()


class _FakeSingletonModule(Module):
    def configure(self) -> None:
        self.bind(Database, TrackedDatabase).singleton()


class _ScopedRepoModule(Module):
    @provider(scope="request")
    def repo(self, db: Database) -> Iterator[Repository]:
        repo = Repository(db)
        yield repo
        events.append(f"repo teardown with {repo.db.name()}")


class _AsyncScopedRepoModule(Module):
    @provider(scope="request")
    async def repo(self, db: Database) -> AsyncIterator[Repository]:
        repo = Repository(db)
        yield repo
        events.append(f"repo teardown with {repo.db.name()}")


def test_override_end_disposes_scoped_users_before_the_replacement() -> None:
    """A scope still open when an override ends loses what used the override first.

    The scoped Repository holding the override's singleton is torn down before that
    singleton is disposed, and the scope then serves a new Repository of the real graph.
    """
    events.clear()
    c = InjectQ(_DbModule(), _ScopedRepoModule())
    with c, c.scope() as scope:
        with c.override(_FakeSingletonModule()):
            inside = scope.get(Repository)
            assert inside.db.name() == "tracked"
        assert events == ["repo teardown with tracked", "tracked disposed"]
        after = scope.get(Repository)
        assert after is not inside
        assert after.db.name() == "postgres"
    assert events == [
        "repo teardown with tracked",
        "tracked disposed",
        "repo teardown with postgres",
    ]


async def test_async_override_end_disposes_scoped_users_before_the_replacement() -> None:
    """The async pair: ``async with override()`` inside an open async scope."""
    events.clear()
    c = InjectQ(_DbModule(), _AsyncScopedRepoModule())
    async with c, c.scope() as scope:
        async with c.override(_FakeSingletonModule()):
            inside = await scope.aget(Repository)
            assert inside.db.name() == "tracked"
        assert events == ["repo teardown with tracked", "tracked disposed"]
        after = await scope.aget(Repository)
        assert after is not inside
    assert events[-1] == "repo teardown with postgres"


async def test_sync_override_end_with_async_teardowns_pending_disposes_nothing() -> None:
    """A sync ``with override()`` whose scoped users need an await refuses, keeping them."""
    events.clear()
    c = InjectQ(_DbModule(), _AsyncScopedRepoModule())
    async with c, c.scope() as scope:
        ov = c.override(_FakeSingletonModule())
        ov.__enter__()
        inside = await scope.aget(Repository)
        with pytest.raises(AsyncTeardownError, match=r"1 teardown\(s\).*override") as info:
            ov.__exit__(None, None, None)
        assert info.value.pending == 1
        assert events == []
        assert (await scope.aget(Repository)) is not inside  # the override itself has ended
    # the refused teardowns stay where they were and run when their scope ends
    assert events == [
        "repo teardown with postgres",
        "repo teardown with tracked",
        "tracked disposed",
    ]
