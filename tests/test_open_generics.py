"""Open generics: ``bind(Repo[T], SqlRepo[T])`` serves every closed ``Repo[X]``."""

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Generic, TypeVar

import pytest

from injectq import (
    INJECTED,
    BindingError,
    InjectQ,
    MissingBindingError,
    Module,
    Named,
    PrivateModule,
    Provider,
    ResolutionError,
    UsageError,
    inject,
    provider,
    resource,
)
from injectq._keys import Key
from tests.threads import run_all

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

events: list[str] = []


class User:
    pass


class Product:
    pass


class Session:
    pass


class Repo(Generic[T]):
    model: type
    session: Session


@resource
class SqlRepo(Repo[T]):
    def __init__(self, model: type[T], session: Session, extra: list[T] | None = None) -> None:
        self.model = model
        self.session = session
        self.extra = extra
        events.append(f"open {model.__name__}")

    def dispose(self) -> None:
        events.append(f"close {self.model.__name__}")


# Type checkers take Repo[T] written inside an expression for a type variable used out of
# its scope; a module-level alias names the open key for them (and is Repo[T] at runtime).
AnyRepo = Repo[T]
AnySqlRepo = SqlRepo[T]


class Shop:
    def __init__(self, users: Repo[User], products: Repo[Product]) -> None:
        self.users = users
        self.products = products


class Generics(Module):
    def configure(self) -> None:
        self.bind(Session).singleton()
        self.bind(AnyRepo, AnySqlRepo).singleton()
        self.bind(Shop)


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    events.clear()
    yield
    events.clear()


# -- serving closed keys --------------------------------------------------------------------


def test_an_open_binding_serves_each_closed_key_with_its_type_filled_in() -> None:
    """Repo[User] is a SqlRepo[User]: type[T] receives User; list[T] | None its None."""
    container = InjectQ(Generics())
    shop = container.get(Shop)
    assert type(shop.users) is SqlRepo
    assert shop.users.model is User
    assert shop.products.model is Product
    assert shop.users.session is shop.products.session
    assert shop.users.extra is None


def test_a_singleton_open_binding_gives_one_instance_per_closed_key() -> None:
    """Scopes apply per closed key."""
    container = InjectQ(Generics())
    shop = container.get(Shop)
    assert container.get(Repo[User]) is shop.users
    assert container.get(Repo[Product]) is shop.products
    assert id(shop.users) != id(shop.products)
    assert container.get(Shop).users is shop.users


async def test_a_singleton_open_binding_gives_one_instance_per_closed_key_async() -> None:
    """aget() serves the same instances."""
    container = InjectQ(Generics())
    users = await container.aget(Repo[User])
    assert await container.aget(Repo[User]) is users
    assert (await container.aget(Shop)).users is users
    assert id(await container.aget(Repo[Product])) != id(users)


def test_scoped_and_transient_open_bindings() -> None:
    """A scoped open binding: one per scope and closed key; a transient one: new each time."""

    class Box(Generic[T]):
        pass

    class Fresh(Generic[T]):
        pass

    class Scoped(Module):
        def configure(self) -> None:
            self.bind(Box[T]).scoped()  # type: ignore[valid-type]  # inline, see AnyRepo
            self.bind(Fresh[T]).transient()  # type: ignore[valid-type]

    container = InjectQ(Scoped())
    with container.scope():
        a = container.get(Box[User])
        assert container.get(Box[User]) is a
        assert id(container.get(Box[Product])) != id(a)
    with container.scope():
        assert container.get(Box[User]) is not a
    assert container.get(Fresh[User]) is not container.get(Fresh[User])


def test_each_closed_key_is_disposed_in_reverse_creation_order() -> None:
    """Closed singletons are resources of the container like any other."""
    container = InjectQ(Generics())
    container.get(Repo[Product])
    container.get(Repo[User])
    container.close()
    assert events == ["open Product", "open User", "close User", "close Product"]


def test_a_closed_binding_wins_over_the_open_one() -> None:
    """bind(Repo[User], ...) serves Repo[User]; the open binding serves the others."""

    class UserRepo(Repo[User]):
        pass

    class Both(Generics):
        def configure(self) -> None:
            super().configure()
            self.bind(Repo[User], UserRepo)

    container = InjectQ(Both())
    shop = container.get(Shop)
    assert type(shop.users) is UserRepo
    assert type(shop.products) is SqlRepo


def test_a_closed_binding_installed_later_replaces_the_served_one() -> None:
    """A later install of the closed key replaces what the open binding served."""

    class UserRepo(Repo[User]):
        pass

    container = InjectQ(Generics())
    products = container.get(Shop).products
    container.bind(Repo[User], UserRepo)
    shop = container.get(Shop)
    assert type(shop.users) is UserRepo
    assert shop.products is products  # untouched: the same singleton


def test_an_open_binding_installed_later_replaces_what_was_made_just_in_time() -> None:
    """Repo is concrete: get(Repo[User]) built it just in time; an open binding then takes over."""
    container = InjectQ()
    container.bind(Session)
    assert type(container.get(Repo[User])) is Repo
    container.bind(AnyRepo, AnySqlRepo)
    assert type(container.get(Repo[User])) is SqlRepo

    class NeedsRepo:
        def __init__(self, repo: Repo[Product] | None = None) -> None:
            self.repo = repo

    other = InjectQ()
    other.bind(Session)
    other.bind(NeedsRepo)
    assert other.get(NeedsRepo).repo is None
    other.bind(AnyRepo, AnySqlRepo)  # the binding that asked is compiled again
    repo = other.get(NeedsRepo).repo
    assert repo is not None
    assert repo.model is Product


def test_a_closed_key_not_needed_at_install_is_compiled_once_when_asked() -> None:
    """get() of a closed key nothing needed compiles it just in time, into the overlay, once."""
    container = InjectQ(Generics())
    assert container.graph.get(Repo[str]) is None
    repo = container.get(Repo[str])
    assert repo.model is str
    info = container.graph.get(Repo[str])
    assert info is not None
    assert info.closes == AnyRepo
    assert [k.tp for k in container._graph.jit] == [Repo[str]]  # in the overlay, once
    node = container._graph.find(Key(Repo[str]))
    assert container.get(Repo[str]) is repo
    assert container._graph.find(Key(Repo[str])) is node
    assert len(container._graph.jit) == 1


def test_call_and_inject_receive_closed_keys() -> None:
    """Functions are planned by the same rules: Repo[User] comes from the open binding."""
    container = InjectQ(Generics())

    def handler(repo: Repo[User]) -> Repo[User]:
        return repo

    assert container.call(handler) is container.get(Repo[User])

    @inject
    def injected(repo: Repo[Product] = INJECTED) -> type:
        return repo.model

    with container.activate():
        assert injected() is Product


def test_provider_of_a_closed_key() -> None:
    """Provider[Repo[User]] resolves what the open binding serves."""

    class Lazy:
        def __init__(self, repo: Provider[Repo[User]]) -> None:
            self.repo = repo

    container = InjectQ(Generics())
    assert container.get(Lazy).repo() is container.get(Repo[User])


def test_a_provider_function_serves_an_open_key() -> None:
    """A provider's annotations holding T are read with T filled in."""

    def make(model: type[T], session: Session) -> Repo[T]:
        repo: Repo[T] = Repo()
        repo.model = model
        return repo

    class Providers(Module):
        def configure(self) -> None:
            self.bind(Session)
            self.bind(AnyRepo, make)

    container = InjectQ(Providers())
    assert container.get(Repo[User]).model is User
    assert container.get(Repo[Product]).model is Product


def test_a_provider_method_serves_an_open_key() -> None:
    """@provider methods whose return annotation holds T are open bindings too."""

    class Methods(Module):
        @provider(scope="singleton")
        def repo(self, model: type[T]) -> Repo[T]:
            repo: Repo[T] = Repo()
            repo.model = model
            return repo

    container = InjectQ(Methods())
    assert container.get(Repo[User]).model is User
    assert container.get(Repo[User]) is container.get(Repo[User])


async def test_an_async_provider_serves_an_open_key() -> None:
    """An async provider of an open key: aget() of each closed key awaits it."""

    class Async(Module):
        @provider
        async def repo(self, model: type[T]) -> Repo[T]:
            await asyncio.sleep(0)
            repo: Repo[T] = Repo()
            repo.model = model
            return repo

    container = InjectQ(Async())
    assert (await container.aget(Repo[User])).model is User


def test_named_open_bindings() -> None:
    """A named open binding serves Annotated[Repo[User], Named(...)], get_all and dict[str, ...]."""

    class Memory(Repo[T]):
        pass

    class Named_(Module):
        def configure(self) -> None:
            self.bind(Session)
            self.bind(AnyRepo, AnySqlRepo, name="sql")
            self.bind(AnyRepo, Memory[T], name="memory")  # type: ignore[valid-type]

    class Uses:
        def __init__(
            self, sql: Annotated[Repo[User], Named("sql")], every: dict[str, Repo[User]]
        ) -> None:
            self.sql = sql
            self.every = every

    container = InjectQ(Named_())
    uses = container.get(Uses)
    assert type(uses.sql) is SqlRepo
    assert {n: type(r) for n, r in uses.every.items()} == {"sql": SqlRepo, "memory": Memory}
    assert {n: type(r) for n, r in container.get_all(Repo[Product]).items()} == {
        "sql": SqlRepo,
        "memory": Memory,
    }


async def test_aget_all_of_named_open_bindings() -> None:
    """aget_all() lists what named open bindings serve."""

    class Named_(Module):
        def configure(self) -> None:
            self.bind(Session)
            self.bind(AnyRepo, AnySqlRepo, name="sql")

    container = InjectQ(Named_())
    assert list(await container.aget_all(Repo[User])) == ["sql"]


def test_patterns_with_several_type_variables_and_nesting() -> None:
    """Type variables are matched wherever they stand: Mapper[K, V], Repo[list[T]]."""

    class Mapper(Generic[K, V]):
        def __init__(self, source: type[K], target: type[V]) -> None:
            self.source = source
            self.target = target

    class ListRepo(Repo[list[T]]):
        def __init__(self, item: type[T]) -> None:
            self.item = item

    class Patterns(Module):
        def configure(self) -> None:
            self.bind(Mapper[K, V])  # type: ignore[valid-type]
            self.bind(Repo[list[T]], ListRepo[T])  # type: ignore[valid-type]

    container = InjectQ(Patterns())
    mapper = container.get(Mapper[User, Product])
    assert (mapper.source, mapper.target) == (User, Product)
    assert container.get(Repo[list[User]]).item is User  # type: ignore[attr-defined]


def test_an_inherited_constructor_is_read_with_the_type_variables_filled_in() -> None:
    """A class deriving from SqlRepo[User] gets its inherited type[T] filled in."""

    class UserRepo(SqlRepo[User]):
        pass

    container = InjectQ()
    container.bind(Session)
    assert container.get(UserRepo).model is User


def test_a_class_two_levels_below_a_parametrised_base_reads_it_filled_in() -> None:
    """A subclass of a class deriving from SqlRepo[User] has no generic base of its own."""

    class UserRepo(SqlRepo[User]):
        pass

    class AuditedUserRepo(UserRepo):
        pass

    container = InjectQ()
    container.bind(Session)
    assert container.get(AuditedUserRepo).model is User


def test_strict_containers_serve_closed_keys() -> None:
    """A closed key of an open binding is bound, not made just in time."""
    container = InjectQ(Generics(), strict=True)
    assert container.get(Repo[str]).model is str


# -- problems -------------------------------------------------------------------------------


class UserRepo(Repo[User]):
    pass


class NeedsProducts:
    def __init__(self, products: Repo[Product]) -> None:
        self.products = products


def test_an_implementation_that_cannot_serve_a_needed_key_is_a_mismatch() -> None:
    """UserRepo is a Repo[User]: serving Repo[Product] with it is `generic-mismatch`."""

    class Wrong(Module):
        def configure(self) -> None:
            self.bind(AnyRepo, UserRepo)
            self.bind(NeedsProducts)

    with pytest.raises(BindingError) as info:
        InjectQ(Wrong())
    assert info.value.codes == ("generic-mismatch",)
    assert info.value.problems[0].message == (
        "The open binding Repo[T] cannot serve Repo[Product]: UserRepo is a Repo[User], not a "
        "Repo[Product]."
    )


def test_a_mismatch_found_at_get_is_a_resolution_error() -> None:
    """A closed key asked for at runtime that the open binding cannot serve."""
    container = InjectQ()
    container.bind(AnyRepo, UserRepo)
    assert type(container.get(Repo[User])) is UserRepo
    with pytest.raises(ResolutionError) as info:
        container.get(Repo[Product])
    assert "UserRepo is a Repo[User], not a Repo[Product]" in str(info.value)
    assert "Requested by: get(Repo[Product])" in str(info.value)


class Entity:
    pass


E = TypeVar("E", bound=Entity)


class Store(Generic[E]):
    def __init__(self, kind: type[E]) -> None:
        self.kind = kind


class Customer(Entity):
    pass


AnyStore = Store[E]


def test_a_type_variable_bound_is_checked() -> None:
    """Store[E] with E bound to Entity cannot serve Store[int]."""
    container = InjectQ()
    container.bind(AnyStore)
    assert container.get(Store[Customer]).kind is Customer

    class NeedsInts:
        def __init__(self, store: Store[int]) -> None:  # type: ignore[type-var]
            self.store = store

    with pytest.raises(BindingError) as info:
        container.bind(NeedsInts)
    assert info.value.problems[0].message == (
        "The open binding Store[E] cannot serve Store[int]: int is not a subclass of Entity, "
        "the bound of E."
    )


def test_a_target_that_does_not_take_the_type_variables_is_a_mismatch() -> None:
    """bind(Repo[T], SqlRepo): SqlRepo's type[T] is never filled in."""

    class Bare(Module):
        def configure(self) -> None:
            self.bind(Session)
            self.bind(AnyRepo, SqlRepo)
            self.bind(NeedsProducts)

    with pytest.raises(BindingError) as info:
        InjectQ(Bare())
    problem = info.value.problems[0]
    assert problem.code == "generic-mismatch"
    assert problem.message == (
        "The open binding Repo[T] cannot serve Repo[Product]: parameter 'model' of "
        "SqlRepo.__init__ asks for type[T], and Repo[Product] does not say what T is."
    )


def test_two_open_bindings_matching_one_key_are_a_mismatch() -> None:
    """Repo[T] and Repo[list[T]] both match Repo[list[User]]: which one is not guessed."""

    class ListRepo(Repo[list[T]]):
        pass

    class NeedsLists:
        def __init__(self, repo: Repo[list[User]]) -> None:
            self.repo = repo

    class Two(Module):
        def configure(self) -> None:
            self.bind(Session)
            self.bind(AnyRepo, AnySqlRepo)
            self.bind(Repo[list[T]], ListRepo[T])  # type: ignore[valid-type]
            self.bind(NeedsLists)

    with pytest.raises(BindingError) as info:
        InjectQ(Two())
    assert info.value.codes == ("generic-mismatch",)
    assert "Repo[list[User]] matches 2 open bindings: Repo[T] (" in str(info.value)


@pytest.mark.parametrize(
    ("configure", "why"),
    [
        (lambda m: m.bind(AnyRepo, Repo()), "it is bound to an instance"),
        (lambda m: m.bind(AnyRepo).from_context(), "a context value is one object"),
        (lambda m: m.bind(AnyRepo).eager(), "it is eager"),
        (lambda m: m.bind(AnyRepo, SqlRepo[K]), "its target SqlRepo[K] holds K"),  # type: ignore[valid-type]
    ],
    ids=["instance", "context", "eager", "extra-variable"],
)
def test_an_open_binding_unusable_on_its_own(configure: object, why: str) -> None:
    """Problems of the open binding itself are `open-generic`, reported at install."""

    class Bad(Module):
        def configure(self) -> None:
            configure(self)  # type: ignore[operator]

    with pytest.raises(BindingError) as info:
        InjectQ(Bad())
    assert info.value.codes == ("open-generic",)
    assert why in info.value.problems[0].message


def test_an_open_binding_to_an_abstract_class_is_abstract_target() -> None:
    """The open target is checked like any target."""
    import abc

    class Abstract(Repo[T], abc.ABC):
        @abc.abstractmethod
        def find(self) -> None: ...

    with pytest.raises(BindingError) as info:
        InjectQ().bind(AnyRepo, Abstract[T])  # type: ignore[valid-type]
    assert info.value.codes == ("abstract-target",)


def test_two_open_bindings_of_one_key_are_a_duplicate() -> None:
    """The same open key bound twice, also across installs."""
    container = InjectQ()
    container.bind(AnyRepo, AnySqlRepo)
    with pytest.raises(BindingError) as info:
        container.bind(AnyRepo, AnySqlRepo)
    assert info.value.codes == ("duplicate-binding",)


def test_a_parameter_asking_for_an_open_key_is_invalid() -> None:
    """A parameter annotated Repo[T] outside an open binding names no type."""

    class Asks:
        def __init__(self, repo: Repo[T]) -> None:
            self.repo = repo

    with pytest.raises(BindingError) as info:
        InjectQ().bind(Asks)
    assert info.value.codes == ("invalid-key",)
    assert info.value.problems[0].message == (
        "Parameter 'repo' of test_a_parameter_asking_for_an_open_key_is_invalid.<locals>.Asks."
        "__init__ asks for Repo[T]: it is an open generic (it holds T), which names no one type."
    )


def test_get_of_an_open_key_is_a_usage_error() -> None:
    """get(Repo[T]) cannot say which Repo it wants."""
    container = InjectQ(Generics())
    with pytest.raises(UsageError, match=r"get\(\) takes a closed key, got Repo\[T\]"):
        container.get(AnyRepo)


def test_without_an_open_binding_a_concrete_generic_is_made_just_in_time() -> None:
    """Nothing binds Repo[T]: Repo[User] is the class Repo, built just in time, as before."""
    container = InjectQ()
    assert type(container.get(Repo[User])) is Repo


# -- private modules ------------------------------------------------------------------------


def test_an_open_binding_inside_a_private_module_is_kept_there() -> None:
    """A private open binding serves the bindings inside; outside Repo[User] is not there."""

    class Leg(PrivateModule):
        def configure(self) -> None:
            self.bind(Session)
            self.bind(AnyRepo, AnySqlRepo)
            self.bind(Shop)
            self.expose(Shop)

    container = InjectQ(Leg())
    assert container.get(Shop).users.model is User
    with pytest.raises(MissingBindingError, match="Nothing outside Leg binds Repo"):
        container.get(Repo[User])

    class Outside:
        def __init__(self, repo: Repo[User]) -> None:
            self.repo = repo

    with pytest.raises(BindingError) as info:
        container.bind(Outside)
    assert info.value.codes == ("not-exposed",)


def test_an_exposed_open_binding_serves_everyone_from_inside() -> None:
    """expose(Repo[T]): closed keys are seen outside; their dependencies come from inside."""
    inner = Session()

    class Leg(PrivateModule):
        def configure(self) -> None:
            self.bind(Session, inner)
            self.bind(AnyRepo, AnySqlRepo)
            self.expose(AnyRepo)

    container = InjectQ(Leg())
    assert container.get(Repo[User]).session is inner
    assert container.get(Shop).products.session is inner
    with pytest.raises(MissingBindingError):
        container.get(Session)


# -- overrides ------------------------------------------------------------------------------


class FakeRepo(Repo[T]):
    def __init__(self, model: type[T]) -> None:
        self.model = model


AnyFakeRepo = FakeRepo[T]


def test_overriding_the_open_binding_replaces_every_closed_key() -> None:
    """override(Repo[T], FakeRepo[T]) serves each closed key inside; the originals come back."""
    container = InjectQ(Generics())
    original = container.get(Shop).users
    with container.override(AnyRepo, AnyFakeRepo):
        shop = container.get(Shop)
        assert type(shop.users) is FakeRepo
        assert type(container.get(Repo[str])) is FakeRepo
    assert container.get(Repo[User]) is original
    assert type(container.get(Repo[str])) is SqlRepo


async def test_overriding_the_open_binding_async() -> None:
    """The same with async with."""
    container = InjectQ(Generics())
    original = await container.aget(Repo[User])
    async with container.override(AnyRepo, AnyFakeRepo):
        assert type(await container.aget(Repo[User])) is FakeRepo
    assert await container.aget(Repo[User]) is original


def test_overriding_one_closed_key_leaves_the_others_to_the_open_binding() -> None:
    """override(Repo[User], fake) wins for that key only; what was built inside is disposed."""
    container = InjectQ(Generics())
    products = container.get(Repo[Product])
    fake = FakeRepo(User)
    with container.override(Repo[User], fake):
        assert container.get(Shop).users is fake
        assert container.get(Repo[Product]) is products
    assert container.get(Repo[User]).model is User
    assert events == ["open Product", "open User"]


def test_install_overrides_replace_the_open_binding() -> None:
    """install(overrides=[...]) with an open binding replaces the installed one."""

    class Fakes(Module):
        def configure(self) -> None:
            self.bind(AnyRepo, AnyFakeRepo)

    container = InjectQ()
    container.install(Generics(), overrides=[Fakes()])
    assert type(container.get(Shop).users) is FakeRepo


def test_a_runtime_closed_singleton_stays_shared_across_an_unrelated_override() -> None:
    """Closed keys compiled at get() survive an override of something else."""
    container = InjectQ(Generics())
    repo = container.get(Repo[str])
    with container.override(Shop, Shop(repo, repo)):  # type: ignore[arg-type]
        assert container.get(Repo[str]) is repo
    assert container.get(Repo[str]) is repo


# -- concurrency --------------------------------------------------------------------------------


class SlowRepo(Repo[T]):
    created = 0
    lock = threading.Lock()

    def __init__(self, model: type[T]) -> None:
        time.sleep(0.005)
        self.model = model
        with SlowRepo.lock:
            SlowRepo.created += 1


AnySlowRepo = SlowRepo[T]


@pytest.mark.usefixtures("fast_switching")
def test_a_closed_singleton_is_built_once_under_threads() -> None:
    """16 threads asking for two closed keys no one needed at install: one instance each."""
    SlowRepo.created = 0
    container = InjectQ()
    container.bind(AnyRepo, AnySlowRepo, scope="singleton")
    got: list[object] = []
    keys = [Repo[User], Repo[Product]]
    threads = [
        threading.Thread(target=lambda i=i: got.append(container.get(keys[i % 2])))
        for i in range(16)
    ]
    run_all(threads)
    assert SlowRepo.created == 2
    assert len({id(r) for r in got}) == 2


async def test_a_closed_singleton_is_built_once_under_concurrent_aget() -> None:
    """Concurrent aget() calls of two closed keys: one instance each."""
    SlowRepo.created = 0
    container = InjectQ()
    container.bind(AnyRepo, AnySlowRepo, scope="singleton")
    keys = [Repo[User], Repo[Product]]
    got = await asyncio.wait_for(
        asyncio.gather(*(container.aget(keys[i % 2]) for i in range(16))), 10
    )
    assert SlowRepo.created == 2
    assert len({id(r) for r in got}) == 2


# -- seen -----------------------------------------------------------------------------------


def test_the_graph_view_shows_open_bindings_and_their_closed_keys() -> None:
    """The open binding is listed (open_generic), each closed key with what it closes."""
    view = InjectQ(Generics()).graph
    open_info = view.get(AnyRepo)
    assert open_info is not None
    assert (open_info.open_generic, open_info.scope, open_info.target) == (
        True,
        "singleton",
        "SqlRepo[T]",
    )
    users = view.get(Repo[User])
    assert users is not None
    assert (users.closes, users.target, users.just_in_time) == (AnyRepo, "SqlRepo[User]", False)
    assert [(d.parameter, d.strategy, d.key) for d in users.dependencies] == [
        ("model", "value", type[User]),
        ("session", "binding", Session),
        ("extra", "value", None),
    ]
    text = view.to_text()
    line = Generics.configure.__code__.co_firstlineno + 2
    here = "tests/test_open_generics.py"
    assert (
        f"Repo[User]  [singleton, class SqlRepo[User], closes Repo[T]]  {here}:{line} "
        "(in Generics)\n    model: the class User\n    session: Session\n" in text
    )
    assert f"Repo[T]  [singleton, class SqlRepo[T], open generic]  {here}:{line}" in text
    assert len(view) == 5  # Session, Shop, Repo[User], Repo[Product], Repo[T]
    assert "closes Repo[T]" in view.explain(Shop)
    mermaid = view.to_mermaid()
    assert "Repo[T]<br/>class: SqlRepo[T]" in mermaid


# -- type[C] ----------------------------------------------------------------------------------


class Uses:
    def __init__(self, kind: type[User], other: type[Product] = Product) -> None:
        self.kind = kind
        self.other = other


def test_a_type_parameter_receives_the_class() -> None:
    """type[C] that nothing binds receives C; a default still wins; a binding of it wins."""
    container = InjectQ()
    uses = container.get(Uses)
    assert (uses.kind, uses.other) == (User, Product)

    class Special(User):
        pass

    class BindsTheType(Module):
        def configure(self) -> None:
            self.bind(type[User]).to_instance(Special)

    container.install(BindsTheType())
    assert container.get(Uses).kind is Special


def test_instances_of_a_generic_target_are_made_through_its_class() -> None:
    """A closed target is constructed by its class: no typing __call__ on the hot path."""
    container = InjectQ(Generics())
    repo = container.get(Repo[User])
    assert type(repo) is SqlRepo
    assert not hasattr(repo, "__orig_class__")
