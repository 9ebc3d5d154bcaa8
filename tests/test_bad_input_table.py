"""Every public entry point given bad input raises an InjectQError with a useful message."""

import asyncio
import inspect
import sys
import traceback
import typing
from collections.abc import Callable
from typing import Any

import pytest

from injectq import (
    BindingError,
    Inject,
    InjectQ,
    InjectQError,
    Module,
    Named,
    Provider,
    Scope,
    UsageError,
    discover,
    inject,
    provider,
    resource,
    scoped,
    singleton,
    transient,
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
        lambda: InjectQ(Good()).override(Service),  # type: ignore[call-overload]
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


# -- the table: every public entry point x every kind of wrong value ------------------------
#
# Each cell either raises the entry point's InjectQError subclass with a message that names
# the value passed, or behaves as the cell in ACCEPTED says. A cell that starts accepting a
# value it refused (or refusing one it accepted) fails here.


class Plain:
    def method(self) -> "Plain":
        return self


class PlainModule(Module):
    def configure(self) -> None:
        self.bind(Plain)


async def make_plain() -> Plain:
    return Plain()


def _variadic(*args: Any, **kwargs: Any) -> None:
    return None


VALUES: dict[str, Any] = {
    "None": None,
    "int": int,
    "object": object,
    "dict": dict,
    "list": list,
    "str": str,
    "type": type,
    "42": 42,
    "'x'": "x",
    "object()": object(),
    "[]": [],
    "{}": {},
    "*args lambda": lambda *args, **kwargs: _variadic(*args, **kwargs),
    "len": len,
    "dict.get": dict.get,
    "bound method": Plain().method,
    "coroutine function": make_plain,
    "class": Plain,
}


def _run(value: Any) -> Any:
    if inspect.isawaitable(value):
        return asyncio.run(value)  # type: ignore[arg-type]
    return value


def _configured(action: Callable[[Module], object]) -> InjectQ:
    class Configured(Module):
        def configure(self) -> None:
            action(self)

    return InjectQ(Configured())


def _override(value: Any) -> Any:
    container = InjectQ(PlainModule())
    with container.override(Plain, value):
        return container.get(Plain)


Entry = tuple[Callable[[Any], Any], type[InjectQError]]

ENTRIES: dict[str, Entry] = {
    "InjectQ(v)": (lambda v: InjectQ(v), UsageError),
    "install(v)": (lambda v: InjectQ().install(v), UsageError),
    "install(overrides=v)": (lambda v: InjectQ().install(overrides=v), UsageError),
    "install(overrides=[v])": (lambda v: InjectQ().install(overrides=[v]), UsageError),
    "container.bind(v)": (lambda v: InjectQ().bind(v), BindingError),
    "container.bind(K, v)": (lambda v: InjectQ().bind(Plain, v), BindingError),
    "container.bind(K, name=v)": (lambda v: InjectQ().bind(Plain, name=v), BindingError),
    "container.bind(K, scope=v)": (lambda v: InjectQ().bind(Plain, scope=v), BindingError),
    "get(v)": (lambda v: InjectQ(PlainModule()).get(v), InjectQError),
    "get(K, name=v)": (lambda v: InjectQ(PlainModule()).get(Plain, name=v), InjectQError),
    "aget(v)": (lambda v: _run(InjectQ(PlainModule()).aget(v)), InjectQError),
    "aget(K, name=v)": (
        lambda v: _run(InjectQ(PlainModule()).aget(Plain, name=v)),
        InjectQError,
    ),
    "get_all(v)": (lambda v: InjectQ(PlainModule()).get_all(v), UsageError),
    "aget_all(v)": (lambda v: _run(InjectQ(PlainModule()).aget_all(v)), UsageError),
    "call(v)": (lambda v: InjectQ(PlainModule()).call(v), InjectQError),
    "acall(v)": (lambda v: _run(InjectQ(PlainModule()).acall(v)), InjectQError),
    "scope(v)": (lambda v: InjectQ().scope(v), UsageError),
    "resource_scope(v)": (lambda v: InjectQ().resource_scope(v), UsageError),
    "override(v)": (lambda v: InjectQ(PlainModule()).override(v), UsageError),
    "override(K, v)": (_override, InjectQError),
    "Module.bind(v)": (lambda v: _configured(lambda m: m.bind(v)), BindingError),
    "Module.bind(K, v)": (lambda v: _configured(lambda m: m.bind(Plain, v)), BindingError),
    "Module.bind(K, name=v)": (
        lambda v: _configured(lambda m: m.bind(Plain, name=v)),
        BindingError,
    ),
    ".to(v)": (lambda v: _configured(lambda m: m.bind(Plain).to(v)), BindingError),
    ".to_instance(v)": (
        lambda v: _configured(lambda m: m.bind(Plain).to_instance(v)),
        BindingError,
    ),
    ".to_provider(v)": (
        lambda v: _configured(lambda m: m.bind(Plain).to_provider(v)),
        BindingError,
    ),
    ".named(v)": (lambda v: _configured(lambda m: m.bind(Plain).named(v)), BindingError),
    ".scoped(v)": (lambda v: _configured(lambda m: m.bind(Plain).scoped(v)), BindingError),
    "Module.install(v)": (lambda v: _configured(lambda m: m.install(v)), UsageError),
    "provider(v)": (lambda v: provider(v), UsageError),
    "provider(name=v)": (lambda v: provider(name=v), UsageError),
    "provider(scope=v)": (lambda v: provider(scope=v), UsageError),
    "resource(v)": (lambda v: resource(v), UsageError),
    "singleton(v)": (lambda v: singleton(v), UsageError),
    "transient(v)": (lambda v: transient(v), UsageError),
    "scoped(v)": (lambda v: scoped(v), UsageError),
    "scoped()(v)": (lambda v: scoped()(v), UsageError),
    "inject(v)": (lambda v: inject(v), UsageError),
    "Named(v)": (lambda v: Named(v), UsageError),
    "Provider[v]": (lambda v: Provider[v], UsageError),  # type: ignore[valid-type]
    "Inject[v]": (lambda v: Inject[v], UsageError),  # type: ignore[misc, valid-type]
    "discover(v)": (lambda v: discover(v), UsageError),
    "discover(names=v)": (lambda v: discover(names=v), UsageError),
}

ANY_VALUE = tuple(VALUES)
CALLABLES = ("*args lambda", "bound method", "coroutine function", "class")
# The values `typing.Annotated[v, ...]` itself refuses: CPython 3.11 takes only types and
# strings there, 3.12 and later take any value.
TYPING_REFUSES = ("42", "object()", "[]", "{}", "dict.get") if sys.version_info < (3, 12) else ()
TYPES = ("int", "object", "dict", "list", "str", "type", "class")


def _is_plain(result: Any) -> bool:
    return type(result) is Plain


def _one_binding(result: Any) -> bool:
    return isinstance(result, InjectQ) and repr(result).startswith("<InjectQ bindings=1 ")


def _same(value: str) -> Callable[[Any], bool]:
    return lambda result: result is VALUES[value]


def _equal(expected: Any) -> Callable[[Any], bool]:
    return lambda result: type(result) is type(expected) and result == expected


def _decorator(result: Any) -> bool:
    return callable(result) and getattr(result, "__name__", "") == "mark"


def _scope_named_x(result: Any) -> bool:
    return isinstance(result, Scope) and result.name == "x"


def _unawaited(result: Any) -> bool:
    if not inspect.iscoroutine(result):
        return False
    result.close()
    return True


def _raises_from_type_itself(result: Any) -> bool:
    """`type()` called with no arguments: the callable's own error, not one of ours."""
    return isinstance(result, TypeError) and str(result) == "type() takes 1 or 3 arguments"


def _typing_alias(value: str) -> Callable[[Any], bool]:
    """`Provider[v]` and `Inject[v]` are typing constructs: typing decides what they take."""

    def check(result: Any) -> bool:
        args = typing.get_args(result)
        expected = VALUES[value]
        if isinstance(expected, str):
            return bool(args[0] == typing.ForwardRef(expected))
        return args[0] is (type(None) if expected is None else expected)

    return check


def _refused_by_typing(result: Any) -> bool:
    """`Annotated[T, ...][42]` fails inside the typing module itself, as any alias would."""
    if not isinstance(result, TypeError | AttributeError) or result.__traceback__ is None:
        return False
    return traceback.extract_tb(result.__traceback__)[-1].filename == typing.__file__


# What a cell does when the value is acceptable there (an alternative spelling, a callable
# that really is a provider, a class that really can be called...).
ACCEPTED: dict[tuple[str, str], Callable[[Any], bool]] = {
    ("install(overrides=v)", "[]"): _equal(None),
    **{("container.bind(v)", v): _equal(None) for v in ("object", "class")},
    **{("container.bind(K, v)", v): _equal(None) for v in ("None", *CALLABLES)},
    **{
        (f"container.bind(K, {k}=v)", v): _equal(None)
        for k in ("name", "scope")
        for v in ("None", "'x'")
    },
    **{(e, "class"): _is_plain for e in ("get(v)", "aget(v)")},
    **{(e, "None"): _is_plain for e in ("get(K, name=v)", "aget(K, name=v)")},
    **{(e, v): _equal({}) for e in ("get_all(v)", "aget_all(v)") for v in TYPES},
    **{(e, "int"): _equal(0) for e in ("call(v)", "acall(v)")},
    **{(e, "object"): lambda r: type(r) is object for e in ("call(v)", "acall(v)")},
    **{(e, "dict"): _equal({}) for e in ("call(v)", "acall(v)")},
    **{(e, "list"): _equal([]) for e in ("call(v)", "acall(v)")},
    **{(e, "str"): _equal("") for e in ("call(v)", "acall(v)")},
    **{(e, "type"): _raises_from_type_itself for e in ("call(v)", "acall(v)")},
    **{(e, "*args lambda"): _equal(None) for e in ("call(v)", "acall(v)")},
    **{(e, v): _is_plain for e in ("call(v)", "acall(v)") for v in ("bound method", "class")},
    ("call(v)", "coroutine function"): _unawaited,  # call() returns what the function does
    ("acall(v)", "coroutine function"): _is_plain,
    **{(e, "'x'"): _scope_named_x for e in ("scope(v)", "resource_scope(v)")},
    **{("override(K, v)", v): _is_plain for v in ("None", "bound method", "class")},
    ("override(K, v)", "*args lambda"): _equal(None),
    **{("Module.bind(v)", v): _one_binding for v in ("object", "class")},
    **{("Module.bind(K, v)", v): _one_binding for v in ("None", *CALLABLES)},
    **{("Module.bind(K, name=v)", v): _one_binding for v in ("None", "'x'")},
    **{(".to(v)", v): _one_binding for v in CALLABLES},
    **{(".to_provider(v)", v): _one_binding for v in CALLABLES},  # object, list: not a Plain
    **{(e, "'x'"): _one_binding for e in (".named(v)", ".scoped(v)")},
    ("provider(v)", "None"): _decorator,
    **{("provider(v)", v): _same(v) for v in ("*args lambda", "coroutine function")},
    **{(f"provider({k}=v)", v): _decorator for k in ("name", "scope") for v in ("None", "'x'")},
    **{(f"{d}(v)", "class"): _same("class") for d in ("resource", "singleton", "transient")},
    ("scoped(v)", "class"): _same("class"),
    ("scoped()(v)", "class"): _same("class"),
    ("scoped(v)", "'x'"): _decorator,
    **{("inject(v)", v): callable for v in ("*args lambda", "bound method", "coroutine function")},
    ("Named(v)", "'x'"): _equal(Named("x")),
    **{("Provider[v]", v): _typing_alias(v) for v in VALUES},
    **{("Inject[v]", v): _typing_alias(v) for v in VALUES if v not in TYPING_REFUSES},
    **{("Inject[v]", v): _refused_by_typing for v in TYPING_REFUSES},
    ("discover(v)", "'x'"): _equal([]),
    **{("discover(names=v)", v): _equal([]) for v in ("None", "[]", "{}")},
}


def _names_the_value(label: str, value: Any, message: str) -> bool:
    """Whether ``message`` shows the value passed: its name, repr or type."""
    shown = {label, repr(value), f'"{value}"' if isinstance(value, str) else label}
    if isinstance(value, type):
        shown.add(value.__qualname__)
    else:
        shown.add(type(value).__name__)
        shown.add(getattr(value, "__qualname__", label))
    return any(text in message for text in shown)


CELLS = [(entry, label) for entry in ENTRIES for label in VALUES]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # coroutine functions called by cells
@pytest.mark.parametrize(("entry", "label"), CELLS, ids=[f"{e} <- {v}" for e, v in CELLS])
def test_every_entry_point_refuses_every_kind_of_wrong_value(entry: str, label: str) -> None:
    """Each cell raises the entry's InjectQError naming the value, or behaves as accepted."""
    action, error = ENTRIES[entry]
    value = VALUES[label]
    accepted = ACCEPTED.get((entry, label))
    outcome: Any
    try:
        outcome = action(value)
    except Exception as exc:
        outcome = exc
    if accepted is not None:
        assert not isinstance(outcome, InjectQError), f"refused an acceptable value: {outcome}"
        assert accepted(outcome), f"{label}: got {outcome!r}"
    else:
        assert isinstance(outcome, error), f"{label}: got {type(outcome).__name__} {outcome!r}"
        assert _names_the_value(label, value, str(outcome)), str(outcome)


def _bound_method() -> Callable[[], Plain]:
    return Plain().method


MARK_ERRORS: list[tuple[Callable[[], object], str]] = [
    (
        lambda: provider(_bound_method()),
        "@provider cannot mark the bound method Plain.method: a bound method takes no "
        "attributes. Hint: @provider marks a def in a Module's body; to bind another "
        "callable, use self.bind(Key).to_provider(obj.method).",
    ),
    (
        lambda: provider(dict.get),
        "@provider cannot mark the built-in function dict.get: it is built in, and its "
        "attributes cannot be set. Hint: @provider marks a def in a Module's body; to bind "
        "another callable, use self.bind(Key).to_provider(get).",
    ),
    (
        lambda: provider(Plain),
        "@provider decorates a function, got class Plain. Hint: bind the class itself "
        "(self.bind(Plain)), or mark it @singleton / @scoped.",
    ),
    (
        lambda: singleton(int),
        "@singleton cannot mark the class int: it is built in, and its attributes cannot be "
        "set. Hint: give the scope where you bind it instead: self.bind(int, ...).singleton().",
    ),
    (
        lambda: scoped("tenant")(object),
        "@scoped cannot mark the class object: it is built in, and its attributes cannot be "
        "set. Hint: give the scope where you bind it instead: self.bind(object, ...).scoped().",
    ),
    (
        lambda: resource(dict),
        "@resource cannot mark the class dict: it is built in, and its attributes cannot be "
        "set. Hint: bind a generator provider that yields it and closes it after the yield, "
        "or wrap it in a class of your own with initialize() and dispose().",
    ),
    (
        lambda: transient(len),  # type: ignore[type-var]
        "@transient decorates a class, got built-in function len.",
    ),
    (
        lambda: discover(42),  # type: ignore[arg-type]
        "discover() takes an entry-point group name, got int 42. Hint: call discover() for "
        "'injectq.modules', or discover('myapp.plugins').",
    ),
    (
        lambda: discover(names="email"),
        "discover(names=...) takes a collection of entry-point names, got str 'email'. "
        "Hint: discover(names=['email', 'sms']).",
    ),
]


@pytest.mark.parametrize(("call", "message"), MARK_ERRORS)
def test_decorators_and_discover_refuse_what_they_cannot_mark(
    call: Callable[[], object], message: str
) -> None:
    """Built-in types, C functions, bound methods and classes get a UsageError, not a raw one."""
    with pytest.raises(UsageError) as info:
        call()
    assert str(info.value) == message
    assert info.value.__cause__ is None


def test_a_class_called_once_is_still_refused_as_an_unreadable_provider() -> None:
    """`call(int)` reads int's constructor; `to_provider(int)` still reads int as a callable.

    Both readers kept their results in one cache, so whichever ran first decided the other:
    after `call(int)`, binding `to_provider(int)` was accepted (and served 0 for the key).
    """
    assert InjectQ().call(int) == 0

    class IntProvider(Module):
        def configure(self) -> None:
            self.bind(int).to_provider(int)  # the right type: only its signature is at fault

    with pytest.raises(BindingError) as info:
        InjectQ(IntProvider())
    assert info.value.codes == ("unreadable-signature",)
    assert "int cannot be injected: its signature cannot be read" in str(info.value)
