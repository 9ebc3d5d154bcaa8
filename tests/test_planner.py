"""One planner: call(), acall(), @inject and constructors give a parameter the same thing."""

import abc
import asyncio
import functools
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pytest

from injectq import (
    BindingError,
    InjectQ,
    MissingBindingError,
    Module,
    Named,
    Provider,
    ResolutionError,
    UsageError,
    inject,
)


class Config:
    pass


class Abstract(abc.ABC):
    @abc.abstractmethod
    def run(self) -> None: ...


class Handler:
    pass


class Sms(Handler):
    pass


class Wiring(Module):
    def configure(self) -> None:
        self.bind(Config).singleton()
        self.bind(Handler, Sms, name="sms")


class SomeClass:
    def __init__(self, n: int, config: Config) -> None:
        self.n = n
        self.config = config


def test_call_on_a_class_injects_its_constructor() -> None:
    """call(SomeClass, 3) passes 3 and injects the annotated constructor parameter."""
    c = InjectQ(Wiring())
    made = c.call(SomeClass, 3)
    assert made.n == 3
    assert made.config is c.get(Config)


async def test_acall_on_a_class_injects_its_constructor() -> None:
    """acall(SomeClass, 3) does the same as call()."""
    c = InjectQ(Wiring())
    made = await c.acall(SomeClass, 3)
    assert made.n == 3
    assert made.config is c.get(Config)


def positional_only(config: Config, n: int = 1, /, *, k: int = 2) -> tuple[Config, int, int]:
    return config, n, k


def test_call_injects_positional_only_parameters_by_position() -> None:
    """A positional-only parameter is injected by position, its neighbours keep defaults."""
    c = InjectQ(Wiring())
    assert c.call(positional_only) == (c.get(Config), 1, 2)
    other = Config()
    assert c.call(positional_only, other, 5, k=6) == (other, 5, 6)


async def test_acall_injects_positional_only_parameters_by_position() -> None:
    """acall() passes positional-only parameters by position too."""
    c = InjectQ(Wiring())
    assert await c.acall(positional_only) == (c.get(Config), 1, 2)


def test_inject_fills_positional_only_parameters() -> None:
    """@inject passes an injected positional-only parameter by position."""
    wrapped = inject(positional_only)
    c = InjectQ(Wiring())
    with c.activate():
        assert wrapped() == (c.get(Config), 1, 2)  # type: ignore[call-arg]


def needs_later_positional(a: int = 7, config: Config | None = None, /) -> tuple[int, Any]:
    return a, config


def test_positional_only_default_before_an_injected_one_is_passed_along() -> None:
    """An earlier positional-only default is passed so the injected one lands in place."""
    c = InjectQ(Wiring())
    assert c.call(needs_later_positional) == (7, c.get(Config))


def optional_provider(p: Provider[Abstract] | None = None) -> object:
    return p


class OptionalProvider:
    def __init__(self, p: Provider[Abstract] | None = None) -> None:
        self.p = p


def _through_constructor(c: InjectQ) -> object:
    return c.get(OptionalProvider).p


def _through_call(c: InjectQ) -> object:
    return c.call(optional_provider)


def _through_inject(c: InjectQ) -> object:
    with c.activate():
        return inject(optional_provider)()


@pytest.mark.parametrize(
    "way", [_through_constructor, _through_call, _through_inject], ids=["ctor", "call", "inject"]
)
def test_optional_provider_of_an_unbound_abstract_type_is_none(
    way: Callable[[InjectQ], object],
) -> None:
    """Provider[Abstract] | None = None receives None, not a provider that cannot resolve."""
    assert way(InjectQ()) is None


def literal_param(x: Literal[1]) -> object:
    return x


def list_param(x: []) -> object:  # type: ignore[valid-type]
    return x


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (
            literal_param,
            "Parameter 'x' of literal_param asks for Literal[1]: Literal[1] is a union or "
            "literal, not a single type.\n"
            "Hint: annotate it with a class, an ABC, a Protocol or a parametrised generic, or "
            "give it a default value.",
        ),
        (
            list_param,
            "Parameter 'x' of list_param asks for []: list [] is not hashable.\n"
            "Hint: annotate it with a class, an ABC, a Protocol or a parametrised generic, or "
            "give it a default value.",
        ),
    ],
    ids=["literal", "list"],
)
def test_annotations_that_are_no_key_are_reported_by_call(
    fn: Callable[..., object], expected: str
) -> None:
    """A Literal or a list annotation is a ResolutionError with the compiler's text."""
    with pytest.raises(ResolutionError) as info:
        InjectQ().call(fn)
    assert str(info.value) == expected
    assert InjectQ().call(fn, 1) == 1  # passed by the caller: nothing to inject


def test_call_of_a_missing_binding_is_a_missing_binding_error() -> None:
    """An abstract parameter nothing binds: MissingBindingError naming it and who asked."""

    def needs(dep: Abstract) -> None:
        pass

    with pytest.raises(MissingBindingError) as info:
        InjectQ().call(needs)
    assert info.value.key == "Abstract"
    assert str(info.value) == (
        "Nothing binds Abstract.\n"
        "Requested by: parameter 'dep' of "
        "test_call_of_a_missing_binding_is_a_missing_binding_error.<locals>.needs\n"
        "Hint: bind it, e.g. self.bind(Abstract, Impl), or make the parameter optional "
        "(dep: Abstract | None = None)."
    )


def test_call_reports_a_fresh_error_each_time() -> None:
    """A cached plan raises a new error per call: its path does not grow."""

    def needs(dep: Abstract) -> None:
        pass

    c = InjectQ()
    errors = []
    for _ in range(3):
        with pytest.raises(MissingBindingError) as info:
            c.call(needs)
        errors.append(info.value)
    assert errors[0] is not errors[1]
    assert [e.path for e in errors] == [["Abstract"]] * 3


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            list,
            "@inject on the class list, which is a built-in or extension type (builtins.list). "
            "Hint: decorate the __init__ that takes the dependencies, or use "
            "container.call(cls, ...).",
        ),
        (
            int,
            "@inject on the class int, which defines no __init__ of its own. Hint: decorate "
            "the __init__ that takes the dependencies, or use container.call(cls, ...).",
        ),
        (
            len,
            "@inject decorates a function, got builtin_function_or_method <built-in function "
            "len>. Hint: decorate a def or async def (or a method); to call anything else with "
            "injection, use container.call(fn, ...).",
        ),
        (
            Config(),
            "@inject decorates a function, got Config {obj!r}. Hint: decorate a def or async "
            "def (or a method); to call anything else with injection, use "
            "container.call(fn, ...).",
        ),
    ],
    ids=["list", "int", "builtin-function", "instance"],
)
def test_inject_refuses_what_is_not_a_function(target: Any, expected: str) -> None:
    """@inject on builtins, C types and objects is a UsageError saying what to do."""
    with pytest.raises(UsageError) as info:
        inject(target)
    assert str(info.value) == expected.replace("{obj!r}", repr(target))


def test_inject_accepts_a_partial() -> None:
    """functools.partial objects are functions for @inject."""

    def add(a: int, config: Config) -> tuple[int, Config]:
        return a, config

    c = InjectQ(Wiring())
    with c.activate():
        assert inject(functools.partial(add, 1))() == (1, c.get(Config))


class Kinds:
    def __init__(
        self,
        config: Config,
        sms: Annotated[Handler, Named("sms")],
        handlers: dict[str, Handler],
        container: InjectQ,
        lazy: Provider[Config],
        maybe: Abstract | None,
        kept: int = 5,
    ) -> None:
        self.values = (config, sms, handlers, container, lazy(), maybe, kept)


def kinds(
    config: Config,
    sms: Annotated[Handler, Named("sms")],
    handlers: dict[str, Handler],
    container: InjectQ,
    lazy: Provider[Config],
    maybe: Abstract | None,
    kept: int = 5,
) -> tuple[object, ...]:
    return (config, sms, handlers, container, lazy(), maybe, kept)


def _normal(values: tuple[object, ...]) -> tuple[object, ...]:
    config, sms, handlers, container, lazy, maybe, kept = values
    assert isinstance(handlers, dict)
    return (config, type(sms), list(handlers), container, lazy, maybe, kept)


def test_constructor_call_and_inject_decide_alike() -> None:
    """Every parameter form gets the same through a constructor, call() and @inject."""
    c = InjectQ(Wiring())
    by_ctor = _normal(c.get(Kinds).values)
    by_call = _normal(c.call(kinds))
    with c.activate():
        by_inject = _normal(inject(kinds)())  # type: ignore[call-arg]
    expected = (c.get(Config), Sms, ["sms"], c, c.get(Config), None, 5)
    assert by_ctor == by_call == by_inject == expected


def test_a_function_plan_follows_a_new_graph() -> None:
    """The plan is per graph: after bind(), call() sees the new binding."""

    class Impl(Abstract):
        def run(self) -> None:
            pass

    def maybe(dep: Abstract | None = None) -> object:
        return dep

    c = InjectQ()
    assert c.call(maybe) is None
    c.bind(Abstract, Impl)
    assert isinstance(c.call(maybe), Impl)


def test_a_function_plan_is_compiled_once_per_graph() -> None:
    """Calling again reuses the plan: the function's just-in-time classes are not recompiled."""

    def takes(config: Config) -> Config:
        return config

    c = InjectQ()
    first = c.call(takes)
    graph = c._graph
    plan = graph.plans[takes]
    assert c.call(takes) is not first  # Config is transient
    assert graph.plans[takes] is plan
    assert c._graph is graph  # just in time went to the overlay, not a new graph


class Settings:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn


def handler(settings: Settings) -> Settings:
    return settings


def test_just_in_time_problem_of_a_function_parameter_names_the_parameter() -> None:
    """A parameter whose class cannot be made just in time says who needed it."""
    with pytest.raises(MissingBindingError) as info:
        InjectQ().call(handler)
    assert info.value.path == ["Settings"]
    assert str(info.value) == (
        "Nothing binds Settings.\n"
        "Requested by: parameter 'settings' of handler\n"
        "Tried just in time for parameter 'settings' of handler, but its parameters cannot be "
        "injected: 'dsn' (nothing binds str).\n"
        "Hint: bind Settings (or install the module that binds it), e.g. "
        "self.bind(Settings, Settings(...)) or a @provider returning Settings."
    )


def test_a_bad_annotation_of_a_constructor_is_an_install_problem() -> None:
    """The same Literal annotation on a bound class is an install-time invalid-key problem."""

    class Bad:
        def __init__(self, x: Literal[1]) -> None:
            self.x = x

    class M(Module):
        def configure(self) -> None:
            self.bind(Bad)

    with pytest.raises(BindingError) as info:
        InjectQ(M())
    assert info.value.codes == ("invalid-key",)
    assert info.value.problems[0].message == (
        "Parameter 'x' of test_a_bad_annotation_of_a_constructor_is_an_install_problem."
        "<locals>.Bad.__init__ asks for Literal[1]: Literal[1] is a union or literal, not a "
        "single type."
    )


def test_acall_awaits_a_function_plan_of_an_async_function() -> None:
    """acall() with an async function and an injected class, under a bounded wait."""

    async def handler(config: Config) -> Config:
        await asyncio.sleep(0)
        return config

    c = InjectQ(Wiring())
    result = asyncio.run(asyncio.wait_for(c.acall(handler), timeout=5))
    assert result is c.get(Config)


class Greeter:
    def __call__(self, config: Config, times: int = 1) -> tuple[Config, int]:
        return config, times


def test_call_of_a_callable_object_injects_its_call_method() -> None:
    """An object with __call__ is called with that method's parameters injected."""
    c = InjectQ(Wiring())
    assert c.call(Greeter(), times=2) == (c.get(Config), 2)


def test_call_of_a_builtin_type_passes_the_arguments_through() -> None:
    """A builtin class with nothing left to inject is simply called."""
    assert InjectQ().call(int, "3") == 3
