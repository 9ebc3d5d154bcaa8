"""Behaviours at the edges: parameter forms through call/@inject, async variants, odd providers."""

import abc
import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import pytest

from injectq import (
    InjectQ,
    InjectQError,
    MissingBindingError,
    Module,
    Named,
    Provider,
    ResolutionError,
    UsageError,
    inject,
    provider,
    resource,
)
from injectq.testing import close_container, container_fixture


class Config:
    def __init__(self) -> None:
        self.url = "sqlite://"


class Handler:
    pass


class Email(Handler):
    pass


class Sms(Handler):
    pass


class Session:
    pass


class EdgeModule(Module):
    def configure(self) -> None:
        self.bind(Config).singleton()
        self.bind(Handler, Email, name="email")
        self.bind(Handler, Sms, name="sms")
        self.bind(Session).scoped()


def takes_everything(
    given: int,
    config: Config,
    lazy: Provider[Session],
    container: InjectQ,
    handlers: dict[str, Handler],
    sms: Annotated[Handler, Named("sms")],
    missing: abc.ABC | None,
    kept: str = "default",
) -> dict[str, object]:
    return {
        "given": given,
        "config": config,
        "lazy": lazy,
        "container": container,
        "handlers": handlers,
        "sms": sms,
        "missing": missing,
        "kept": kept,
    }


def test_call_fills_every_parameter_form() -> None:
    """call() gives each annotation what a constructor parameter would get."""
    c = InjectQ(EdgeModule())
    out = c.call(takes_everything, 1)
    assert out["given"] == 1
    assert out["config"] is c.get(Config)
    assert out["container"] is c
    assert list(out["handlers"]) == ["email", "sms"]  # type: ignore[call-overload]
    assert isinstance(out["sms"], Sms)
    assert out["missing"] is None
    assert out["kept"] == "default"
    with c.scope() as scope:
        assert out["lazy"]() is scope.get(Session)  # type: ignore[operator]


def unannotated(value) -> None:  # type: ignore[no-untyped-def]
    pass


def test_call_explains_a_parameter_it_cannot_fill() -> None:
    """An unannotated parameter the caller left out is reported with the compiler's text."""
    with pytest.raises(ResolutionError) as info:
        InjectQ().call(unannotated)
    assert str(info.value) == (
        "Parameter 'value' of unannotated has no type annotation, so injectq cannot tell what "
        "to pass.\nHint: annotate it (e.g. value: SomeService) or give it a default value."
    )
    assert info.value.key == "unannotated(value)"


async def test_acall_awaits_async_functions_and_async_dependencies() -> None:
    """acall() awaits async bindings for parameters and the function's own result."""

    class AsyncModule(Module):
        @provider
        async def config(self) -> Config:
            await asyncio.sleep(0)
            return Config()

    async def handler(config: Config) -> str:
        return config.url

    assert await InjectQ(AsyncModule()).acall(handler) == "sqlite://"


async def test_aget_all_awaits_named_async_bindings() -> None:
    """aget_all() returns every named binding, awaiting async ones."""

    class Named2(Module):
        @provider(name="slow")
        async def slow(self) -> Handler:
            await asyncio.sleep(0)
            return Email()

        @provider(name="fast")
        def fast(self) -> Handler:
            return Sms()

    handlers = await InjectQ(Named2()).aget_all(Handler)
    assert list(handlers) == ["slow", "fast"]
    assert isinstance(handlers["slow"], Email)


@inject
def read_config(config: Config) -> str:
    return config.url


async def test_activate_as_an_async_context_manager() -> None:
    """`async with container.activate()` makes it current for @inject."""
    c = InjectQ(EdgeModule())
    async with c.activate():
        assert read_config() == "sqlite://"  # type: ignore[call-arg]
    with pytest.raises(InjectQError, match="No injectq container is active"):
        read_config()  # type: ignore[call-arg]


def test_activation_under_another_containers_scope_keeps_each_ambient_scope() -> None:
    """Each container finds its own ambient scope through the other's frames."""
    a, b = InjectQ(EdgeModule()), InjectQ(EdgeModule())
    with a.scope() as a_scope, b.activate(), b.scope() as b_scope, a.activate():
        assert a.get(Session) is a_scope.get(Session)
        assert b.get(Session) is b_scope.get(Session)
        assert InjectQ.current() is a


class Abstract(abc.ABC):
    @abc.abstractmethod
    def f(self) -> None: ...


class NeedsAbstract:
    def __init__(self, dep: Abstract) -> None:
        self.dep = dep


def test_just_in_time_class_with_missing_dependencies_explains_at_resolve_time() -> None:
    """get() of an unbound class whose dependency is missing: a MissingBindingError for it."""
    with pytest.raises(MissingBindingError) as info:
        InjectQ().get(NeedsAbstract)
    assert info.value.key == "Abstract"
    assert info.value.path == ["NeedsAbstract", "Abstract"]
    assert str(info.value) == (
        "Nothing binds Abstract.\n"
        "Requested by: parameter 'dep' of NeedsAbstract.__init__\n"
        "NeedsAbstract created just in time for get(NeedsAbstract)\n"
        "Not created just in time: Abstract is abstract (it does not implement f).\n"
        "Resolution path: NeedsAbstract -> Abstract\n"
        "Hint: bind it, e.g. self.bind(Abstract, Impl), or make the parameter optional "
        "(dep: Abstract | None = None)."
    )


class Twice:
    pass


def test_generator_provider_yielding_twice_is_a_teardown_failure() -> None:
    """A generator provider must yield exactly once; a second yield fails its teardown."""

    class M(Module):
        @provider(scope="request")
        def twice(self) -> Iterator[Twice]:
            yield Twice()
            yield Twice()

    c = InjectQ(M())
    with pytest.raises(ExceptionGroup) as info, c.scope() as scope:
        scope.get(Twice)
    assert "yielded more than once" in str(info.value.exceptions[0])


def test_generator_provider_that_never_yields() -> None:
    """A generator provider that returns without yielding is a clear ResolutionError."""

    class M(Module):
        @provider
        def never(self) -> Iterator[Twice]:
            return
            yield Twice()  # pragma: no cover - unreachable on purpose

    with pytest.raises(ResolutionError, match="returned without yielding a value"):
        InjectQ(M()).get(Twice)


async def test_async_generator_sees_the_scope_exception() -> None:
    """The body's exception is thrown into async generator providers at their yield."""
    seen: list[str] = []

    class M(Module):
        @provider(scope="request")
        async def session(self) -> AsyncIterator[Session]:
            try:
                yield Session()
            except LookupError as exc:
                seen.append(f"rolled back: {exc}")
                raise

    c = InjectQ(M())
    with pytest.raises(LookupError):
        async with c.scope() as scope:
            await scope.aget(Session)
            raise LookupError("no such row")
    assert seen == ["rolled back: no such row"]


def test_resource_warning_when_a_scope_with_teardowns_is_dropped() -> None:
    """A scope garbage-collected with teardowns never run warns with ResourceWarning."""
    import gc

    class M(Module):
        @provider(scope="request")
        def session(self) -> Iterator[Session]:
            yield Session()

    c = InjectQ(M())
    scope = c.scope()
    scope.__enter__()
    scope.get(Session)
    scope._open = False  # abandon it without closing
    from injectq._lifecycle import AMBIENT

    AMBIENT.set(None)
    with pytest.warns(ResourceWarning, match="teardown"):  # noqa: PT031 - collection warns
        del scope
        gc.collect()


def test_close_container_awaits_async_teardowns() -> None:
    """The plugin's close helper closes containers whose teardowns need an await."""
    closed: list[str] = []

    from injectq import resource

    @resource
    class Pool:
        async def dispose(self) -> None:
            closed.append("closed")

    c = InjectQ()
    c.bind(Pool, scope="singleton")
    c.get(Pool)
    close_container(c)
    assert closed == ["closed"]
    assert c.closed


def test_close_container_falls_back_to_aclose_only_for_async_teardowns() -> None:
    """It goes by the error's class, not its text: another error mentioning aclose() stays."""
    from injectq import LifecycleError

    class Refusing(InjectQ):
        def close(self) -> None:
            msg = "The container is busy. Hint: retry, or call aclose() later."
            raise LifecycleError(msg, owner="container")

    container = Refusing()
    with pytest.raises(LifecycleError, match="is busy"):
        close_container(container)
    assert not container.closed


def test_container_fixture_rejects_a_non_callable_factory() -> None:
    """container_fixture() needs a function building the container."""
    with pytest.raises(UsageError, match="takes a function that builds the container"):
        container_fixture(InjectQ())  # type: ignore[arg-type]


def test_override_with_a_module_takes_no_replacement() -> None:
    """override(module, something) is a UsageError that shows the right call."""
    with pytest.raises(UsageError, match="takes no replacement"):
        InjectQ().override(EdgeModule(), Config())  # type: ignore[call-overload]


def test_a_scope_without_teardowns_carries_no_finalizer() -> None:
    """Only a scope state that held a teardown has the finalizer that warns when unclosed."""

    @resource
    class Held:
        def dispose(self) -> None:
            pass

    container = InjectQ()
    container.bind(Held, scope="request")
    with container.scope() as plain:
        assert not hasattr(type(plain._state), "__del__")
    with container.scope() as holding:
        holding.get(Held)
        assert hasattr(type(holding._state), "__del__")
