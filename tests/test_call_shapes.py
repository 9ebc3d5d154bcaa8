"""``call()``/``acall()``/``@inject`` keep what each call shape leaves out; answers stay right.

A function's plan keeps, per shape (how many positional arguments, which keywords), the
parameters a call of that shape leaves for injection; ``@inject`` keeps which parameters
a shape leaves out. These tests call the same function in several shapes, alternately,
so an answer kept for one shape would show up in another.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from injectq import INJECTED, InjectQ, MissingBindingError, inject
from injectq._plan import CALL_SHAPES, to_fill


class Repo:
    pass


class Clock:
    pass


def handler(x: int, repo: Repo, clock: Clock | None = None) -> tuple[int, Repo, Clock | None]:
    return x, repo, clock


def _container() -> InjectQ:
    c = InjectQ()
    c.bind(Repo, scope="singleton")
    return c


def test_call_fills_what_each_shape_leaves_out_alternating_shapes() -> None:
    c = _container()
    mine = Repo()
    for _ in range(3):  # each shape twice and more: the kept answer is the one used
        assert c.call(handler, 1) == (1, c.get(Repo), None)
        assert c.call(handler, 2, mine) == (2, mine, None)
        assert c.call(handler, 3, repo=mine) == (3, mine, None)
        assert c.call(handler, x=4) == (4, c.get(Repo), None)
        assert c.call(handler, repo=mine, x=5) == (5, mine, None)


class Missing:
    def __init__(self, value: int) -> None:  # an int nothing binds: cannot be injected
        self.value = value


def needs_missing(x: int, missing: Missing) -> Missing:
    return missing


def test_a_shape_that_cannot_be_filled_fails_every_time_and_others_still_work() -> None:
    c = InjectQ()
    given = Missing(0)
    for _ in range(2):
        with pytest.raises(MissingBindingError, match="Missing"):
            c.call(needs_missing, 1)
        assert c.call(needs_missing, 1, given) is given
        assert c.call(needs_missing, missing=given, x=1) is given


def test_each_shape_is_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept answers are used: `to_fill` runs once per shape, not once per call."""
    import injectq._calls
    import injectq._inject

    seen: list[tuple[int, tuple[str, ...]]] = []

    def counting(sig: Any, args: Any, kwargs: Any, *, explicit_only: bool) -> Any:
        seen.append((len(args), tuple(kwargs)))
        return to_fill(sig, args, kwargs, explicit_only=explicit_only)

    monkeypatch.setattr(injectq._calls, "to_fill", counting)
    monkeypatch.setattr(injectq._inject, "to_fill", counting)
    c = _container()

    @inject
    def decorated(x: int, repo: Repo = INJECTED) -> Repo:
        return repo

    for _ in range(4):
        c.call(handler, 1)
        c.call(handler, x=1)
        with c.activate():
            decorated(1)
    # call()'s two shapes, each in its plan; then @inject's one shape, once in the wrapper
    # (does it leave anything out?) and once in the plan (what does it fill?).
    assert seen == [(1, ()), (0, ("x",)), (1, ()), (1, ())]
    for _ in range(4):
        c.call(handler, 1)
        with c.activate():
            decorated(1)
    assert len(seen) == 4  # later calls of known shapes work nothing out


def test_kept_shapes_belong_to_the_graph_they_were_planned_in() -> None:
    c = _container()
    first = c.call(handler, 1)[1]
    replacement = Repo()
    with c.override(Repo, replacement):
        assert c.call(handler, 1)[1] is replacement
    assert c.call(handler, 1)[1] is first


def test_more_shapes_than_are_kept_are_still_filled_right() -> None:
    c = _container()

    def many(*args: int, repo: Repo, **kwargs: int) -> tuple[int, int, Repo]:
        return len(args), len(kwargs), repo

    for n in range(CALL_SHAPES + 8):
        args = tuple(range(n))
        kwargs = {f"k{i}": i for i in range(n % 5)}
        assert c.call(many, *args, **kwargs) == (n, n % 5, c.get(Repo))
        mine = Repo()
        assert c.call(many, *args, repo=mine, **kwargs)[2] is mine


def test_inject_fills_what_each_shape_leaves_out_sync_and_async() -> None:
    c = _container()
    mine = Repo()

    @inject
    def sync(x: int, repo: Repo = INJECTED) -> tuple[int, Repo]:
        return x, repo

    @inject
    async def asynchronous(x: int, repo: Repo = INJECTED) -> tuple[int, Repo]:
        return x, repo

    async def both() -> None:
        for _ in range(3):
            assert sync(1) == (1, c.get(Repo))
            assert sync(2, mine) == (2, mine)
            assert sync(x=3, repo=mine) == (3, mine)
            assert await asynchronous(1) == (1, c.get(Repo))
            assert await asynchronous(2, mine) == (2, mine)
            assert await asynchronous(x=3, repo=mine) == (3, mine)

    with c.activate():
        asyncio.run(both())
    # Everything passed: no container is needed, whatever shapes came before.
    assert sync(4, mine) == (4, mine)
