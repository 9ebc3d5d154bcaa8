"""Generated factories read like source: named per binding, with their lines in tracebacks."""

from __future__ import annotations

import abc
import asyncio
import linecache
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from injectq import InjectQ, MissingBindingError, Module


class Leaf:
    def __init__(self) -> None:
        msg = "leaf failed"
        raise ValueError(msg)


class UserService:
    def __init__(self, leaf: Leaf) -> None:
        self.leaf = leaf


class LeafModule(Module):
    def configure(self) -> None:
        self.bind(Leaf).singleton()
        self.bind(UserService)


def _generated_frames(exc: BaseException) -> list[tuple[str, str]]:
    """(function name, source line) of each generated frame, outermost first.

    Each frame's file is the function's own: ``<injectq NAME>``, or ``<injectq NAME #2>``
    when an earlier test generated a function of that name with other code.
    """
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename[:8] == "<injectq"]
    for frame in frames:
        assert frame.filename.startswith(f"<injectq {frame.name}")
        assert linecache.getline(frame.filename, frame.lineno or 0).strip() == frame.line
    return [(frame.name, frame.line or "") for frame in frames]


async def _aget(container: InjectQ, key: Any) -> Any:
    return await container.aget(key)


GETS: list[Callable[[InjectQ, Any], Any]] = [
    lambda c, k: c.get(k),
    lambda c, k: asyncio.run(_aget(c, k)),
]


@pytest.mark.parametrize("get", GETS, ids=["get", "aget"])
def test_a_constructor_error_shows_each_generated_function_and_its_line(
    get: Callable[[InjectQ, Any], Any],
) -> None:
    """The traceback names `get_UserService` and `make_Leaf` and shows the line each ran."""
    container = InjectQ(LeafModule())
    with pytest.raises(ValueError, match="leaf failed") as info:
        get(container, UserService)
    assert _generated_frames(info.value) == [
        ("get_UserService", "v2 = f2(ROOT)"),
        ("make_Leaf", "v1 = T1()"),
    ]
    text = "".join(traceback.format_exception(info.value))
    assert ", line 3, in make_Leaf\n    v1 = T1()\n" in text


class Clock:
    pass


async def broken_clock() -> Clock:
    msg = "no clock"
    raise RuntimeError(msg)


class Report:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


class AsyncModule(Module):
    def configure(self) -> None:
        self.bind(Clock).to_provider(broken_clock).singleton()
        self.bind(Report)


async def test_async_factories_are_named_aget_and_amake() -> None:
    """An async tree's functions are `aget_Report` and `amake_Clock`, with their lines."""
    container = InjectQ(AsyncModule())
    with pytest.raises(RuntimeError, match="no clock") as info:
        await container.aget(Report)
    assert _generated_frames(info.value) == [
        ("aget_Report", "v2 = await f2(ROOT)"),
        ("amake_Clock", "v1 = await T1()"),
    ]
    assert info.value.__context__ is None


class Handler:
    pass


class NamedModule(Module):
    def configure(self) -> None:
        self.bind(Handler, name="email")
        self.bind(list[int]).to_instance([1])


def test_named_and_generic_keys_give_identifier_names() -> None:
    """`Handler named "email"` is `get_Handler_named_email`; `list[int]` is `get_list_int`."""
    container = InjectQ(NamedModule())
    container.get(Handler, name="email")
    resolver = container._resolver  # the compiled functions
    names = sorted(getattr(f, "__name__", "") for f in resolver._compiled.values())
    assert "get_Handler_named_email" in names
    container.get(list[int])
    names = sorted(getattr(f, "__name__", "") for f in resolver._compiled.values())
    assert names == ["get_Handler_named_email", "get_list_int"]


class Shape:
    def __init__(self) -> None:
        raise KeyError("plain")


class Part:
    pass


def _innermost_generated(exc: BaseException) -> traceback.FrameSummary:
    frames = traceback.extract_tb(exc.__traceback__)
    return [f for f in frames if f.filename.startswith("<injectq")][-1]


def test_one_name_with_two_shapes_keeps_two_files() -> None:
    """Two bindings named alike but generated differently each show their own source."""

    class Plain(Module):
        def configure(self) -> None:
            self.bind(Shape)

    def build(part: Part) -> Shape:
        raise KeyError(part)

    class FromProvider(Module):
        def configure(self) -> None:
            self.bind(Part)
            self.bind(Shape).to_provider(build)

    with pytest.raises(KeyError) as plain:
        InjectQ(Plain()).get(Shape)
    with pytest.raises(KeyError) as provided:
        InjectQ(FromProvider()).get(Shape)
    assert _generated_frames(plain.value) == [("get_Shape", "v1 = T1()")]
    assert _generated_frames(provided.value) == [("get_Shape", "v3 = T3(v1)")]
    assert _innermost_generated(plain.value).filename != (
        _innermost_generated(provided.value).filename
    )
    assert provided.value.__context__ is None


def test_source_comes_back_after_linecache_is_cleared() -> None:
    """A function compiled after `linecache.clearcache()` registers its text again."""
    with pytest.raises(ValueError, match="leaf failed"):
        InjectQ(LeafModule()).get(Leaf)
    linecache.clearcache()
    assert linecache.getline("<injectq make_Leaf>", 3) == ""
    with pytest.raises(ValueError, match="leaf failed") as info:
        InjectQ(LeafModule()).get(Leaf)
    assert _generated_frames(info.value)[-1] == ("make_Leaf", "v1 = T1()")


class Unbound(abc.ABC):
    @abc.abstractmethod
    def run(self) -> None: ...


@pytest.mark.parametrize("get", GETS, ids=["get", "aget"])
def test_first_call_errors_carry_no_internal_key_error(
    get: Callable[[InjectQ, Any], Any],
) -> None:
    """Neither a creation failure nor a missing binding has a `KeyError` as its context."""
    container = InjectQ(LeafModule())
    for key in (Leaf, UserService):  # the singleton's own factory, then an inline probe
        with pytest.raises(ValueError, match="leaf failed") as info:
            get(container, key)
        assert info.value.__context__ is None

    class Empty(Module):
        def configure(self) -> None:
            pass

    with pytest.raises(MissingBindingError) as missing:
        get(InjectQ(Empty()), Unbound)
    assert missing.value.__context__ is None


def test_scope_get_and_named_get_carry_no_internal_key_error() -> None:
    """`scope.get` and `get(name=...)` report a first-call failure without a KeyError context."""

    class Scoped(Module):
        def configure(self) -> None:
            self.bind(Leaf).scoped()
            self.bind(Leaf, name="one").singleton()

    container = InjectQ(Scoped())
    with container.scope() as scope, pytest.raises(ValueError, match="leaf failed") as info:
        scope.get(Leaf)
    assert info.value.__context__ is None
    with pytest.raises(ValueError, match="leaf failed") as named:
        container.get(Leaf, name="one")
    assert named.value.__context__ is None


def test_a_none_singleton_is_served_through_an_inline_probe() -> None:
    """A singleton whose value is None is created once and handed as None to each user."""
    calls: list[int] = []

    def nothing() -> Clock:
        calls.append(1)
        return None  # type: ignore[return-value]

    class User:
        def __init__(self, clock: Clock) -> None:
            self.clock = clock

    class NoneModule(Module):
        def configure(self) -> None:
            self.bind(Clock).to_provider(nothing).singleton()
            self.bind(User)

    container = InjectQ(NoneModule())
    assert [container.get(User).clock for _ in range(3)] == [None, None, None]
    assert container.get(Clock) is None
    assert calls == [1]
