"""Every public entry point given bad input raises an InjectQError with a useful message."""

from collections.abc import Callable
from typing import Any

import pytest

from injectq import (
    BindingError,
    InjectQ,
    InjectQError,
    Module,
    Named,
    UsageError,
    inject,
    provider,
    scoped,
    singleton,
)


class Service:
    pass


class Good(Module):
    def configure(self) -> None:
        self.bind(Service)


def closed_container() -> InjectQ:
    c = InjectQ(Good())
    c.close()
    return c


class Outside(Module):
    pass


def class_with_star_args() -> type:
    class StarArgs:
        def __init__(self, *args: Any) -> None:
            self.args = args

    return StarArgs


CASES: list[tuple[str, Callable[[], object], type[InjectQError], list[str]]] = [
    (
        "get a string",
        lambda: InjectQ().get("Service"),
        UsageError,
        ["get() takes a type", "'Service'", "Hint:"],
    ),
    ("get None", lambda: InjectQ().get(None), UsageError, ["None is not a type"]),
    ("get unhashable", lambda: InjectQ().get([Service]), UsageError, ["not hashable"]),
    (
        "get empty name",
        lambda: InjectQ(Good()).get(Service, name=""),
        UsageError,
        ["non-empty string"],
    ),
    (
        "get_all a string",
        lambda: InjectQ().get_all("Service"),  # type: ignore[arg-type]
        UsageError,
        ["get_all() takes a type"],
    ),
    (
        "install a class",
        lambda: InjectQ().install(Good),  # type: ignore[arg-type]
        UsageError,
        ["install() takes Module instances", "install(Good())"],
    ),
    (
        "install a number",
        lambda: InjectQ().install(42),  # type: ignore[arg-type]
        UsageError,
        ["got int 42"],
    ),
    (
        "constructor with a class",
        lambda: InjectQ(Good),  # type: ignore[arg-type]
        UsageError,
        ["install(Good())"],
    ),
    (
        "bind outside configure",
        lambda: Outside().bind(Service),
        UsageError,
        ["outside configure()", "Hint:"],
    ),
    (
        "install outside configure",
        lambda: Outside().install(Good()),
        UsageError,
        ["outside configure()"],
    ),
    ("empty Named", lambda: Named(""), UsageError, ["non-empty string"]),
    (
        "provider on a number",
        lambda: provider(42),  # type: ignore[call-overload]
        UsageError,
        ["@provider decorates a function"],
    ),
    ("provider with bad scope", lambda: provider(scope=""), UsageError, ["scope name"]),
    ("scoped('singleton')", lambda: scoped("singleton"), UsageError, ["@singleton"]),
    (
        "singleton on a function",
        lambda: singleton(len),  # type: ignore[type-var]
        UsageError,
        ["decorates a class"],
    ),
    ("empty scope name", lambda: InjectQ().scope(""), UsageError, ["scope name"]),
    (
        "scope named singleton",
        lambda: InjectQ().scope("singleton"),
        UsageError,
        ["singletons live in the container"],
    ),
    (
        "override without replacement",
        lambda: InjectQ(Good()).override(Service),
        UsageError,
        ["needs a replacement", "override(Service, FakeImpl())"],
    ),
    (
        "call a number",
        lambda: InjectQ().call(42),  # type: ignore[arg-type]
        UsageError,
        ["call() takes a callable"],
    ),
    (
        "inject a number",
        lambda: inject(42),  # type: ignore[call-overload]
        UsageError,
        ["@inject decorates a function"],
    ),
    (
        "resolve from a closed container",
        lambda: closed_container().get(Service),
        InjectQError,
        ["container is closed", "Hint:"],
    ),
    (
        "install into a closed container",
        lambda: closed_container().install(Good()),
        InjectQError,
        ["closed"],
    ),
    (
        "bind a lambda without annotations to a key",
        lambda: InjectQ().bind(Service, lambda x: Service()),
        BindingError,
        ["Parameter 'x'", "has no type annotation"],
    ),
    (
        "class with *args",
        lambda: InjectQ().bind(class_with_star_args()),
        BindingError,
        ["takes *args", "declare the parameters"],
    ),
    (
        "unresolvable forward reference",
        lambda: InjectQ().call(_forward),
        InjectQError,
        ["forward reference", "Nowhere"],
    ),
    (
        "scope used before entering",
        lambda: InjectQ().scope().get(Service),
        UsageError,
        ["has not been entered"],
    ),
]


def _forward(x: "Nowhere") -> None:  # type: ignore[name-defined] # noqa: F821
    pass


@pytest.mark.parametrize(
    ("call", "error", "phrases"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_a_clear_injectq_error(
    call: Callable[[], object], error: type[InjectQError], phrases: list[str]
) -> None:
    """The error is ours (never a bare KeyError/AttributeError/TypeError) and says how to fix."""
    with pytest.raises(InjectQError) as info:
        call()
    assert isinstance(info.value, error)
    message = str(info.value)
    for phrase in phrases:
        assert phrase in message
