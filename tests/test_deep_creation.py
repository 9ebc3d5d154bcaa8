"""Creation without a recursion limit: chains of 10,000 singletons and of 10,000
request-scoped bindings, sync and async."""

import asyncio
import gc
from typing import Any

import pytest

from injectq import InjectQ, Module

DEPTH = 10_000


def chain(n: int, prefix: str) -> list[type]:
    """Classes {prefix}0..{prefix}{n-1}, each taking the previous one."""
    classes: list[type] = [type(f"{prefix}0", (), {})]
    for _ in range(1, n):

        def init(self: Any, dep: Any) -> None:
            self.dep = dep

        init.__annotations__ = {"dep": classes[-1], "return": None}
        classes.append(type(f"{prefix}{len(classes)}", (), {"__init__": init}))
    return classes


class Chain(Module):
    def __init__(self, classes: list[type], scope: str) -> None:
        self.classes = classes
        self.scope = scope

    def configure(self) -> None:
        for cls in self.classes:
            if self.scope == "singleton":
                self.bind(cls).singleton()
            else:
                self.bind(cls).scoped(self.scope)


def bottom_of(obj: Any) -> tuple[int, Any]:
    """How many links lead down from ``obj``, and what is at the bottom."""
    n = 0
    while hasattr(obj, "dep"):
        obj = obj.dep
        n += 1
    return n, obj


SINGLETONS = chain(DEPTH, "S")


def test_get_of_a_chain_of_ten_thousand_singletons() -> None:
    """get() of the top builds every level once: no RecursionError."""
    container = InjectQ(Chain(SINGLETONS, "singleton"))
    top = container.get(SINGLETONS[-1])
    depth, bottom = bottom_of(top)
    assert depth == DEPTH - 1
    assert bottom is container.get(SINGLETONS[0])


def test_aget_of_a_chain_of_ten_thousand_singletons() -> None:
    """The async face: aget() of the top, also without RecursionError."""
    container = InjectQ(Chain(SINGLETONS, "singleton"))
    top = asyncio.run(container.aget(SINGLETONS[-1]))
    depth, bottom = bottom_of(top)
    assert depth == DEPTH - 1
    assert bottom is container.get(SINGLETONS[0])


def test_a_failure_deep_in_a_long_chain_keeps_its_type_and_path() -> None:
    """The bottom of a 2,000-singleton chain raises: same type, a path from the top."""
    classes = chain(2_000, "F")

    def broken(self: Any) -> None:
        msg = "bottom broke"
        raise OSError(msg)

    classes[0].__init__ = broken  # type: ignore[misc]
    container = InjectQ(Chain(classes, "singleton"))
    with pytest.raises(OSError, match="bottom broke") as info:
        container.get(classes[-1])
    assert info.value.__notes__ == [
        "injectq resolution path: F1999 -> F1998 -> F1997 -> F1996 -> F1995 -> "
        "... (1990 more) ... -> F4 -> F3 -> F2 -> F1 -> F0"
    ]


SCOPED = chain(DEPTH, "R")


def test_get_of_a_chain_of_ten_thousand_scoped_bindings() -> None:
    """scope.get() of the top builds every level once in the scope: no RecursionError."""
    container = InjectQ(Chain(SCOPED, "request"))
    with container.scope() as scope:
        top = scope.get(SCOPED[-1])
        depth, bottom = bottom_of(top)
        assert depth == DEPTH - 1
        assert bottom is scope.get(SCOPED[0])


def test_aget_of_a_chain_of_ten_thousand_scoped_bindings() -> None:
    """The async face, in an async scope."""
    container = InjectQ(Chain(SCOPED, "request"))

    async def resolve() -> tuple[Any, Any]:
        async with container.scope() as scope:
            return await scope.aget(SCOPED[-1]), await scope.aget(SCOPED[0])

    top, first = asyncio.run(resolve())
    depth, bottom = bottom_of(top)
    assert depth == DEPTH - 1
    assert bottom is first


def test_a_deep_get_pauses_the_collector_and_resumes_it_after_success_and_failure() -> None:
    """Compiling and creating a deep graph runs with gc paused; gc is on again after."""
    observed: list[bool] = []

    class Watch:
        def __init__(self) -> None:
            observed.append(gc.isenabled())

    classes = chain(100, "G")
    classes[0].__init__ = Watch.__init__  # type: ignore[misc]
    container = InjectQ(Chain(classes, "singleton"))
    assert gc.isenabled()
    container.get(classes[-1])
    assert observed == [False]  # built bottom-up by the work list, collector paused
    assert gc.isenabled()

    def broken(self: Any) -> None:
        raise OSError

    failing = chain(100, "H")
    failing[0].__init__ = broken  # type: ignore[misc]
    with pytest.raises(OSError):
        InjectQ(Chain(failing, "singleton")).get(failing[-1])
    assert gc.isenabled()
