"""Creation without a recursion limit: chains of 10,000 request-scoped bindings, sync and async."""

import asyncio
import linecache
from collections.abc import Iterator
from typing import Any

import pytest

from injectq import InjectQ, Module, _tracing

DEPTH = 10_000


@pytest.fixture(autouse=True, scope="module")
def _keep_the_source_budget() -> Iterator[None]:
    """Give back the generated-source file names these chains use up (a process budget)."""
    files, shapes = dict(_tracing._FILES), dict(_tracing._SHAPES)
    yield
    for name in set(_tracing._FILES) - set(files):
        linecache.cache.pop(_tracing._FILES[name], None)
    _tracing._FILES.clear()
    _tracing._FILES.update(files)
    _tracing._SHAPES.clear()
    _tracing._SHAPES.update(shapes)


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


CLASSES = chain(DEPTH, "R")


def test_get_of_a_chain_of_ten_thousand_scoped_bindings() -> None:
    """scope.get() of the top builds every level once in the scope: no RecursionError."""
    container = InjectQ(Chain(CLASSES, "request"))
    with container.scope() as scope:
        top = scope.get(CLASSES[-1])
        depth, bottom = bottom_of(top)
        assert depth == DEPTH - 1
        assert bottom is scope.get(CLASSES[0])


def test_aget_of_a_chain_of_ten_thousand_scoped_bindings() -> None:
    """The async face, in an async scope."""
    container = InjectQ(Chain(CLASSES, "request"))

    async def resolve() -> tuple[Any, Any]:
        async with container.scope() as scope:
            return await scope.aget(CLASSES[-1]), await scope.aget(CLASSES[0])

    top, first = asyncio.run(resolve())
    depth, bottom = bottom_of(top)
    assert depth == DEPTH - 1
    assert bottom is first
