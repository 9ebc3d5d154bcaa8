"""Reading signatures: the quick reader of plain functions agrees with the full one."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from injectq import INJECTED
from injectq._introspect import Param, Signature, _read, plain_param, read_callable, read_class


class Dep:
    pass


class Other:
    pass


def plain(a: Dep, b: Other) -> None:
    pass


def defaults(a: Dep, b: int = 3, *, c: Other, d: str = "x") -> None:
    pass


def positional_only(a: Dep, b: int = 1, /, c: Other | None = None) -> None:
    pass


def variadic(a: Dep, *rest: int, key: Other, **extra: str) -> None:
    pass


def unannotated(a, b=2) -> None:  # type: ignore[no-untyped-def]
    pass


def builtin_names(a: int, b: str, c: bytes) -> None:
    pass


class SelfReferring:
    def __init__(self, parent: SelfReferring | None, peer: SelfReferring) -> None:
        self.parent = parent
        self.peer = peer


def _full(fn: Any, owner: str, *, skip: int, localns: dict[str, Any]) -> Signature:
    """The full reader: inspect.signature and typing.get_type_hints."""
    params = list(inspect.signature(fn).parameters.values())[skip:]
    return _read(fn, owner, params, {}, localns)


@pytest.mark.parametrize(
    "fn",
    [plain, defaults, positional_only, variadic, unannotated, builtin_names],
    ids=lambda fn: fn.__name__,
)
def test_quick_reader_of_a_function_matches_the_full_reader(fn: Callable[..., Any]) -> None:
    """Names, kinds, defaults, annotations and *args of a function, read either way."""
    assert read_callable(fn) == _full(fn, fn.__qualname__, skip=0, localns={})


def test_quick_reader_of_a_constructor_matches_the_full_reader() -> None:
    """A constructor naming its own class in a string annotation reads the same."""
    init = SelfReferring.__init__
    expected = _full(
        init, "SelfReferring.__init__", skip=1, localns={"SelfReferring": SelfReferring}
    )
    assert read_class(SelfReferring) == expected


class Quick:
    def __init__(self, dep: Dep, count: int = 0) -> None:
        self.dep = dep
        self.count = count


def test_plain_constructors_skip_inspect_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    """A constructor with bare-name annotations is read from its code object alone."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError

    monkeypatch.setattr(inspect, "signature", refuse)
    sig = read_class(Quick)
    assert [(p.name, p.tp, p.default) for p in sig.params] == [
        ("dep", Dep, inspect.Parameter.empty),
        ("count", int, 0),
    ]


def test_a_wrapper_is_read_as_the_function_it_wraps() -> None:
    """functools.wraps: the signature is the wrapped function's, as inspect reads it."""

    @functools.wraps(plain)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        plain(*args, **kwargs)

    assert [p.name for p in read_callable(wrapper).params] == ["a", "b"]


def test_a_wrapped_constructor_is_read_as_the_one_it_wraps() -> None:
    """A constructor decorated with functools.wraps is read as the function it wraps."""

    def init(self: Any, a: Dep, b: Other) -> None:
        pass

    class Wrapped:
        @functools.wraps(init)  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)

    sig = read_class(Wrapped)
    assert [(p.name, p.tp) for p in sig.params] == [("a", Dep), ("b", Other)]
    assert sig.variadic == ()


class Holder:
    def make(self, dep: Dep, count: int = 2) -> Other:
        return Other()


def test_a_bound_method_is_read_without_its_self() -> None:
    """A bound method (a @provider method) reads as inspect.signature reads it."""
    bound = Holder().make
    assert read_callable(bound) == _full(bound, bound.__qualname__, skip=0, localns={})


def test_reading_leaves_the_functions_annotations_as_they_were() -> None:
    """Real classes and bare-name strings side by side: read as the full reader does, and
    the function's own ``__annotations__`` still holds the strings afterwards."""

    def mixed(a, b, *rest, c, **extra):  # type: ignore[no-untyped-def]
        pass

    mixed.__annotations__ = {"a": Dep, "b": "Other", "c": "int", "return": None}
    before = dict(mixed.__annotations__)
    sig = read_callable(mixed)
    assert sig == _full(mixed, mixed.__qualname__, skip=0, localns={})
    assert [(p.name, p.tp) for p in sig.params] == [("a", Dep), ("b", Other), ("c", int)]
    assert sig.variadic == ("*rest", "**extra")
    assert mixed.__annotations__ == before
    assert mixed.__annotations__["b"] == "Other"


@pytest.mark.parametrize("tp", [Dep, None])
@pytest.mark.parametrize("default", [inspect.Parameter.empty, 3, None, INJECTED])
@pytest.mark.parametrize(
    ("keyword", "positional_only"), [(False, False), (True, False), (False, True)]
)
def test_plain_param_is_the_record_the_constructor_makes(
    tp: type | None, default: object, keyword: bool, positional_only: bool
) -> None:
    """The quick reader's parameters hold every field the attrs constructor sets, alike."""
    made = plain_param("dep", tp, default, keyword=keyword, positional_only=positional_only)
    expected = Param(
        "dep",
        keyword,
        annotated=tp is not None,
        tp=tp,
        default=default,
        positional_only=positional_only,
    )
    assert type(made) is Param
    assert vars(made) == vars(expected)
    assert made.explicit is (default is INJECTED)
    assert made.has_default is (default not in (inspect.Parameter.empty, INJECTED))


def test_a_constructor_defaulting_to_injected_is_read_quickly_as_explicit() -> None:
    """``dep: Dep = INJECTED`` reads as explicit with no default, as the full reader has it."""

    class Marked:
        def __init__(self, dep: Dep = INJECTED) -> None:
            self.dep = dep

    (param,) = read_class(Marked).params
    assert (param.tp, param.explicit, param.has_default) == (Dep, True, False)
    assert read_class(Marked) == _full(
        Marked.__init__,
        "test_a_constructor_defaulting_to_injected_is_read_quickly_as_explicit"
        ".<locals>.Marked.__init__",
        skip=1,
        localns={"Marked": Marked},
    )
