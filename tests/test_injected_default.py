"""The default `INJECTED`: a parameter to inject that callers (and type checkers) may omit."""

import copy
import pickle
import re

import pytest

from injectq import (
    INJECTED,
    BindingError,
    InjectQ,
    InjectQError,
    MissingBindingError,
    Module,
    inject,
)


class Config:
    def __init__(self, url: str = "sqlite://") -> None:
        self.url = url


class Unbound:
    def __init__(self, reason: str) -> None:
        self.reason = reason


class ConfigModule(Module):
    def configure(self) -> None:
        self.bind(Config, Config("bound"))


@inject
def greet(name: str, config: Config = INJECTED) -> str:
    return f"{name}@{config.url}"


@inject
async def agreet(name: str, config: Config = INJECTED) -> str:
    return f"{name}@{config.url}"


@inject
def marked_only(config: Config = INJECTED, other: Config | None = None) -> tuple[Config, object]:
    return config, other


class Controller:
    @inject
    def run(self, suffix: str, config: Config = INJECTED) -> str:
        return config.url + suffix


@inject
class Service:
    def __init__(self, label: str, config: Config = INJECTED) -> None:
        self.label = label
        self.config = config


class Report:
    """Bound and constructed by the container: INJECTED is not a default there either."""

    def __init__(self, config: Config = INJECTED) -> None:
        self.config = config


def test_omitted_injected_parameters_are_injected_sync() -> None:
    """Functions, methods and classes get the INJECTED parameters their callers leave out."""
    container = InjectQ(ConfigModule())
    bound = container.get(Config)
    with container.activate():
        assert greet("ada") == "ada@bound"
        assert Controller().run("!") == "bound!"
        service = Service("x")
        assert service.label == "x"
        assert service.config is bound


async def test_omitted_injected_parameters_are_injected_async() -> None:
    """An async function gets its INJECTED parameters the same way."""
    container = InjectQ(ConfigModule())
    async with container.activate():
        assert await agreet("bob") == "bob@bound"


def test_a_passed_argument_wins_and_needs_no_container() -> None:
    """A caller that passes the parameter gets it, and no container is needed then."""
    given = Config("given")
    assert greet("ada", given) == "ada@given"
    assert greet("ada", config=given) == "ada@given"
    assert Service("x", given).config is given


def test_injected_marks_explicitly_like_inject() -> None:
    """Marked parameters are the only ones injected: the others keep their defaults."""
    container = InjectQ(ConfigModule())
    with container.activate():
        config, other = marked_only()
    assert config is container.get(Config)
    assert other is None


def test_call_and_constructors_inject_an_injected_parameter() -> None:
    """container.call() and a bound class's constructor inject it: it is not a default."""

    class M(Module):
        def configure(self) -> None:
            self.install(ConfigModule())
            self.bind(Report)

    container = InjectQ(M())
    bound = container.get(Config)
    assert container.call(greet.__wrapped__, "ada") == "ada@bound"  # type: ignore[attr-defined]
    assert container.get(Report).config is bound
    assert container.call(Report).config is bound


async def test_acall_injects_an_injected_parameter() -> None:
    """acall() of the undecorated async function injects it too."""
    container = InjectQ(ConfigModule())
    undecorated = agreet.__wrapped__  # type: ignore[attr-defined]
    assert await container.acall(undecorated, "bob") == "bob@bound"


def test_an_unbound_injected_type_is_a_missing_binding_not_the_default() -> None:
    """With nothing to inject the call fails; INJECTED never stands in as a value."""

    @inject
    def needs(unbound: Unbound = INJECTED) -> Unbound:
        return unbound

    container = InjectQ()
    with container.activate(), pytest.raises(MissingBindingError, match="Nothing binds Unbound"):
        needs()


def test_a_constructor_with_an_unbound_injected_type_fails_at_install() -> None:
    """For a binding, an INJECTED parameter of an unbound type is reported by install()."""

    class NeedsUnbound:
        def __init__(self, unbound: Unbound = INJECTED) -> None:
            self.unbound = unbound

    class M(Module):
        def configure(self) -> None:
            self.bind(NeedsUnbound)

    with pytest.raises(BindingError, match=re.escape("[missing-binding] Nothing binds Unbound")):
        InjectQ(M())


def test_an_unannotated_injected_parameter_is_reported() -> None:
    """INJECTED without an annotation cannot be injected: the error says so."""

    def untyped(thing=INJECTED):  # type: ignore[no-untyped-def]
        return thing

    with pytest.raises(InjectQError, match="thing"):
        InjectQ().call(untyped)


def test_outside_inject_the_marker_says_what_to_do() -> None:
    """A function called without @inject receives the marker, whose repr explains it."""

    def plain(config: Config = INJECTED) -> object:
        return config

    assert plain() is INJECTED
    assert repr(INJECTED) == (
        "<injectq.INJECTED: a parameter to inject; call the function through @inject "
        "or container.call()>"
    )


def test_the_marker_survives_copy_and_pickle() -> None:
    """Copies and pickles of INJECTED are INJECTED (defaults get copied by frameworks)."""
    assert copy.copy(INJECTED) is INJECTED
    assert copy.deepcopy(INJECTED) is INJECTED
    assert pickle.loads(pickle.dumps(INJECTED)) is INJECTED
