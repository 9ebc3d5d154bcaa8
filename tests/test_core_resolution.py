"""Resolution: what each binding form and parameter annotation receives."""

import abc
import re
from collections.abc import Mapping
from typing import Annotated, Generic, NewType, Protocol, TypeVar

import pytest

from injectq import (
    Inject,
    InjectQ,
    InjectQError,
    MissingBindingError,
    Module,
    Named,
    Provider,
    ScopeError,
    inject,
    provider,
    scoped,
    singleton,
    transient,
)

T = TypeVar("T")


class Config:
    def __init__(self, url: str = "sqlite://") -> None:
        self.url = url


class Database(abc.ABC):
    @abc.abstractmethod
    def name(self) -> str: ...


class Postgres(Database):
    def __init__(self, config: Config) -> None:
        self.config = config

    def name(self) -> str:
        return "postgres"


class Handler(Protocol):
    def handle(self) -> str: ...


class Email:
    def handle(self) -> str:
        return "email"


class Sms:
    def handle(self) -> str:
        return "sms"


class Cache(Generic[T]):
    def __init__(self) -> None:
        self.items: list[T] = []


class User:
    pass


class Product:
    pass


UserId = NewType("UserId", int)


def test_bind_interprets_class_instance_function_and_self() -> None:
    """A class is constructed, an instance served as is, a function called, None = self."""
    config = Config("memory://")

    def make_db(config: Config) -> Database:
        return Postgres(config)

    class M(Module):
        def configure(self) -> None:
            self.bind(Config, config)
            self.bind(Database, make_db)
            self.bind(Postgres)
            self.bind(Handler, lambda: Email())

    c = InjectQ(M())
    assert c.get(Config) is config
    assert isinstance(c.get(Database), Postgres)
    assert c.get(Database).config is config  # type: ignore[attr-defined]
    assert c.get(Postgres).config is config
    assert c.get(Handler).handle() == "email"


def test_fluent_builder_in_any_order() -> None:
    """to/named/scope calls chain in any order with the same result."""

    class M(Module):
        def configure(self) -> None:
            self.bind(Handler).named("a").to(Email).singleton()
            self.bind(Handler).singleton().to(Sms).named("b")
            self.bind(Config).to_instance(Config("x"))
            self.bind(Database).to_provider(make_postgres)

    c = InjectQ(M())
    assert c.get(Handler, name="a") is c.get(Handler, name="a")
    assert c.get(Handler, name="b").handle() == "sms"
    assert c.get(Config).url == "x"
    assert c.get(Database).config is c.get(Config)  # type: ignore[attr-defined]


def make_postgres(config: Config) -> Postgres:
    return Postgres(config)


def test_default_scopes_per_binding_kind() -> None:
    """Classes and providers are transient; instances are singletons."""

    class M(Module):
        def configure(self) -> None:
            self.bind(Email)
            self.bind(Sms, lambda: Sms())
            self.bind(Config, Config())

    c = InjectQ(M())
    assert c.get(Email) is not c.get(Email)
    assert c.get(Sms) is not c.get(Sms)
    assert c.get(Config) is c.get(Config)


@singleton
class SingletonService:
    pass


@transient
class TransientService:
    pass


@scoped("tenant")
class TenantService:
    pass


class Interface(abc.ABC):
    pass


@singleton
class DecoratedImpl(Interface):
    pass


def test_class_decorators_set_the_default_scope() -> None:
    """@singleton/@transient/@scoped apply when bound without a scope, and to JIT classes."""

    class M(Module):
        def configure(self) -> None:
            self.bind(TransientService)
            self.bind(TenantService)
            self.bind(Interface, DecoratedImpl)

    c = InjectQ(M())
    assert c.get(SingletonService) is c.get(SingletonService)  # just in time
    assert c.get(TransientService) is not c.get(TransientService)
    assert c.get(Interface) is c.get(Interface)
    with pytest.raises(ScopeError):
        c.get(TenantService)
    with c.scope("tenant") as tenant:
        assert tenant.get(TenantService) is tenant.get(TenantService)


def test_scope_on_the_binding_wins_over_the_decorator() -> None:
    """An explicit .transient() beats @singleton."""

    class M(Module):
        def configure(self) -> None:
            self.bind(SingletonService).transient()

    c = InjectQ(M())
    assert c.get(SingletonService) is not c.get(SingletonService)


def test_provider_methods_with_name_and_scope() -> None:
    """@provider binds its return annotation; name= and scope= apply."""

    class M(Module):
        @provider
        def config(self) -> Config:
            return Config("from provider")

        @provider(name="primary", scope="singleton")
        def primary(self, config: Config) -> Database:
            return Postgres(config)

    c = InjectQ(M())
    assert c.get(Config).url == "from provider"
    assert c.get(Database, name="primary") is c.get(Database, name="primary")
    assert c.get(Database, name="primary").config.url == "from provider"  # type: ignore[attr-defined]


def test_keys_of_every_kind() -> None:
    """ABCs, Protocols, parametrised generics (distinct per argument) and NewTypes."""
    users: Cache[User] = Cache()
    products: Cache[Product] = Cache()

    class M(Module):
        def configure(self) -> None:
            self.bind(Cache[User], users)
            self.bind(Cache[Product], products)
            self.bind(UserId, UserId(42))
            self.bind(Handler, Email)
            self.bind(Database, Postgres)

    c = InjectQ(M())
    assert c.get(Cache[User]) is users
    assert c.get(Cache[Product]) is products
    assert c.get(UserId) == 42
    assert isinstance(c.get(Handler), Email)
    assert isinstance(c.get(Database), Postgres)


class Consumer:
    def __init__(
        self,
        email: Annotated[Handler, Named("email")],
        all_handlers: dict[str, Handler],
        as_mapping: Mapping[str, Handler],
        maybe: Database | None,
        with_default: Config = Config("default"),
    ) -> None:
        self.email = email
        self.all_handlers = all_handlers
        self.as_mapping = as_mapping
        self.maybe = maybe
        self.with_default = with_default


def test_parameter_forms() -> None:
    """Named, dict/Mapping of named bindings, T | None and defaults each get their value."""

    class M(Module):
        def configure(self) -> None:
            self.bind(Handler, Email, name="email")
            self.bind(Handler, Sms, name="sms")
            self.bind(Consumer)

    c = InjectQ(M())
    consumer = c.get(Consumer)
    assert isinstance(consumer.email, Email)
    assert list(consumer.all_handlers) == ["email", "sms"]
    assert list(consumer.as_mapping) == ["email", "sms"]
    assert consumer.maybe is None
    assert consumer.with_default.url == "default"


class DefaultBeatsJit:
    def __init__(self, config: Config = Config("kept")) -> None:
        self.config = config


class OptionalBeatsJit:
    def __init__(self, config: Config | None) -> None:
        self.config = config


class JitWhenNothingElse:
    def __init__(self, config: Config) -> None:
        self.config = config


def test_precedence_default_then_none_then_just_in_time() -> None:
    """For an unbound type: a default wins, then None for T | None, then JIT."""
    c = InjectQ()
    assert c.get(DefaultBeatsJit).config.url == "kept"
    assert c.get(OptionalBeatsJit).config is None
    assert c.get(JitWhenNothingElse).config.url == "sqlite://"
    c.bind(Config, Config("bound"))
    # Just-in-time bindings are compiled again against the new graph: now it is bound.
    assert c.get(DefaultBeatsJit).config.url == "bound"
    assert c.get(OptionalBeatsJit).config.url == "bound"  # type: ignore[union-attr]


def _bind_config() -> Module:
    class M(Module):
        def configure(self) -> None:
            self.bind(Config, Config("bound"))

    return M()


class WantsContainer:
    def __init__(self, container: InjectQ) -> None:
        self.container = container


def test_container_is_injectable_unless_bound() -> None:
    """A parameter annotated InjectQ receives the container itself."""
    c = InjectQ()
    assert c.get(WantsContainer).container is c
    assert c.get(InjectQ) is c


def test_call_and_acall_inject_what_is_not_passed() -> None:
    """container.call passes the caller's arguments and injects the rest."""
    c = InjectQ(_bind_config())

    def handle(order_id: int, config: Config) -> str:
        return f"{order_id}:{config.url}"

    assert c.call(handle, 7) == "7:bound"
    assert c.call(handle, 7, config=Config("explicit")) == "7:explicit"

    async def ahandle(order_id: int, config: Config) -> str:
        return f"{order_id}:{config.url}"

    import asyncio

    assert asyncio.run(c.acall(ahandle, 8)) == "8:bound"


class Exploding:
    attempts = 0

    def __init__(self) -> None:
        Exploding.attempts += 1
        if Exploding.attempts == 1:
            raise ValueError("first attempt fails")


class NeedsExploding:
    def __init__(self, e: Exploding) -> None:
        self.e = e


def test_user_exception_keeps_its_type_gets_the_path_and_caches_nothing() -> None:
    """A constructor's exception reaches the caller unchanged, noted with the path."""

    class M(Module):
        def configure(self) -> None:
            self.bind(Exploding).singleton()
            self.bind(NeedsExploding).singleton()

    c = InjectQ(M())
    Exploding.attempts = 0
    with pytest.raises(ValueError, match="first attempt fails") as info:
        c.get(NeedsExploding)
    assert info.value.__notes__ == ["injectq resolution path: NeedsExploding -> Exploding"]
    second = c.get(NeedsExploding)  # nothing was cached: it tries again
    assert Exploding.attempts == 2
    assert c.get(NeedsExploding) is second


def test_missing_name_lists_the_names_that_exist() -> None:
    """get(K, name=...) for an unbound name says which names are bound."""

    class M(Module):
        def configure(self) -> None:
            self.bind(Handler, Email, name="email")
            self.bind(Handler, Sms, name="sms")

    c = InjectQ(M())
    with pytest.raises(MissingBindingError) as info:
        c.get(Handler, name="fax")
    assert 'the names bound for Handler are: "email", "sms"' in str(info.value)
    assert isinstance(info.value, LookupError)
    with pytest.raises(MissingBindingError, match='is bound only with names: "email", "sms"'):
        c.get(Handler)
    assert list(c.get_all(Handler)) == ["email", "sms"]


def test_second_install_adds_and_keeps_unaffected_singletons() -> None:
    """install() may be called again; singletons untouched by it stay the same objects."""
    c = InjectQ()
    c.bind(Config, scope="singleton")
    config = c.get(Config)
    c.bind(Database, Postgres)
    assert c.get(Config) is config
    assert c.get(Database).config is config  # type: ignore[attr-defined]


def test_module_composition_and_dedup() -> None:
    """Modules install modules; an equal module installed twice is configured once."""
    configured: list[str] = []

    class Shared(Module):
        def configure(self) -> None:
            configured.append("shared")
            self.bind(Config, scope_probe := Config("shared"))
            del scope_probe

    class A(Module):
        def configure(self) -> None:
            self.install(Shared())

    class B(Module):
        def configure(self) -> None:
            self.install(Shared())

    c = InjectQ(A(), B())
    assert configured == ["shared"]
    assert c.get(Config).url == "shared"


# -- @inject ---------------------------------------------------------------------------------


@inject
def greet(name: str, config: Config) -> str:
    return f"{name}@{config.url}"


@inject
async def agreet(name: str, config: Config) -> str:
    return f"{name}@{config.url}"


@inject
def explicit(config: Inject[Config], other: Config | None = None) -> tuple[Config, object]:
    return config, other


class Controller:
    @inject
    def run(self, config: Config) -> str:
        return config.url


@inject
class Injected:
    def __init__(self, config: Config) -> None:
        self.config = config


def test_inject_resolves_from_the_activated_container() -> None:
    """Functions, async functions, methods and classes get what the caller left out."""
    import asyncio

    c = InjectQ(_bind_config())
    with c.activate():
        # Bare annotations are injected too; for checkers only INJECTED defaults may be
        # left out (test_injected_default_...).
        assert greet("ada") == "ada@bound"  # type: ignore[call-arg]
        assert asyncio.run(agreet("bob")) == "bob@bound"  # type: ignore[call-arg]
        assert Controller().run() == "bound"  # type: ignore[call-arg]
        assert Injected().config.url == "bound"  # type: ignore[call-arg]
        config, other = explicit()  # type: ignore[call-arg]
        assert config.url == "bound"
        assert other is None  # explicit mode: only Inject[T] parameters are injected


def test_inject_needs_a_container_only_when_something_is_left_out() -> None:
    """With everything passed no container is needed; otherwise the error says what to do."""
    assert greet("ada", Config("given")) == "ada@given"
    with pytest.raises(InjectQError, match=re.escape("with container.activate()")):
        greet("ada")  # type: ignore[call-arg]


def test_an_entered_scope_makes_its_container_current() -> None:
    """Inside `with container.scope()` @inject resolves from that container."""
    c = InjectQ(_bind_config())
    with c.scope():
        assert InjectQ.current() is c
        assert greet("x") == "x@bound"  # type: ignore[call-arg]


class FakeContainer(InjectQ):
    pass


def test_injectq_parameter_gets_the_binding_when_injectq_is_bound() -> None:
    """Binding InjectQ itself wins over receiving the container."""
    fake = FakeContainer()
    c = InjectQ()
    c.bind(InjectQ, fake)
    assert c.get(WantsContainer).container is fake
    info = c.graph.get(InjectQ)
    assert info is not None
    assert info.modules == ("container.bind",)  # how messages name the shorthand


class WantsLazyMissing:
    def __init__(self, later: "Provider[Database]") -> None:
        self.later = later


def test_provider_of_an_unbound_type_is_an_install_time_error() -> None:
    """Provider[T] of something nothing binds is reported by install, like any missing key."""
    from injectq import BindingError

    class M(Module):
        def configure(self) -> None:
            self.bind(WantsLazyMissing)

    with pytest.raises(BindingError) as info:
        InjectQ(M())
    assert info.value.codes == ("missing-binding",)
    assert "Nothing binds Database." in str(info.value)


@scoped(scope="session")
class SessionThing:
    pass


def test_scoped_decorator_keyword_form() -> None:
    """@scoped(scope=...) names the scope like the positional form."""
    c = InjectQ()
    with pytest.raises(ScopeError, match='scoped "session"'):
        c.get(SessionThing)
    with c.scope("session") as session:
        assert session.get(SessionThing) is c.get(SessionThing)


def test_the_instance_get_is_the_class_get_over_the_current_graph() -> None:
    """container.get is a per-graph closure: same docs and results, and it follows install()."""

    class First:
        pass

    class Second:
        pass

    class One(Module):
        def configure(self) -> None:
            self.bind(First).singleton()

    class Two(Module):
        def configure(self) -> None:
            self.bind(Second).singleton()
            self.bind(First, name="other").singleton()

    c = InjectQ(One())
    before = c.get
    assert before.__wrapped__ is InjectQ.get  # type: ignore[attr-defined]
    assert before.__doc__ == InjectQ.get.__doc__
    first = c.get(First)
    assert InjectQ.get(c, First) is first
    c.install(Two())
    assert c.get is not before  # a new graph, a new lookup table
    assert c.get(First) is first
    assert c.get(Second) is InjectQ.get(c, Second)
    assert c.get(First, name="other") is not first
