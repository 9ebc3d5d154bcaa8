"""Ending overrides while other threads fill their open scopes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from injectq import InjectQ, Module


class Clock:
    pass


class FakeClock(Clock):
    pass


def _scoped_classes(n: int) -> list[type]:
    return [type(f"Part{i}", (), {}) for i in range(n)]


PARTS: list[Any] = _scoped_classes(40)  # made at run time: typed Any


class PartsModule(Module):
    def configure(self) -> None:
        self.bind(Clock).singleton()
        for cls in PARTS:
            self.bind(cls).to_provider(self._part(cls)).scoped()

    @staticmethod
    def _part(cls: Any) -> Callable[[], Iterator[Any]]:
        def make() -> Iterator[Any]:
            yield cls()  # a teardown: the scope enlists with the container

        make.__annotations__ = {"return": Iterator[cls]}
        return make


class FakeClockModule(Module):
    def configure(self) -> None:
        self.bind(Clock, FakeClock).singleton()


@pytest.mark.usefixtures("fast_switching")
def test_ending_overrides_while_threads_fill_open_scopes() -> None:
    """An override's end walks open scopes that other threads are filling: no RuntimeError."""
    c = InjectQ(PartsModule())
    errors: list[BaseException] = []
    stop = threading.Event()

    def fill() -> None:
        try:
            while not stop.is_set():
                with c.scope() as scope:
                    for cls in PARTS:
                        scope.get(cls)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=fill) for _ in range(2)]
    try:
        for w in workers:
            w.start()
        for _ in range(300):
            with c.override(FakeClockModule()):
                assert type(c.get(Clock)) is FakeClock
    except BaseException as exc:
        errors.append(exc)
    finally:
        stop.set()
        for w in workers:
            w.join(10)
    assert not any(w.is_alive() for w in workers), "a thread hung"
    assert errors == []
    c.close()
