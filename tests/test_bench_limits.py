"""The shapes of benchmarks/limits.py do what their rows say they do, and no more."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from benchmarks import limits
from benchmarks.libraries import Bench
from benchmarks.model import RequestHandler, RequestState, Settings

CONTRACT_SHAPES = ["catch", "in-check", "get-none", "typed", "served"]


def test_the_shapes_that_serve_transients_are_the_contract_shapes() -> None:
    serving = [s for s in limits.SINGLETON_SHAPES if limits.serves_transients(s)]
    assert sorted(serving) == sorted(CONTRACT_SHAPES)


@pytest.mark.parametrize("shape", list(limits.SINGLETON_SHAPES))
def test_every_shape_serves_one_created_singleton(shape: str) -> None:
    get, _ = limits.singleton_get(shape)
    first = get(Settings)
    assert type(first) is Settings
    assert get(Settings) is first


@pytest.mark.parametrize("shape", CONTRACT_SHAPES)
def test_the_contract_shapes_serve_transients_names_and_their_own_error(shape: str) -> None:
    get, transient = limits.singleton_get(shape)
    made = get(transient)
    assert type(made) is RequestState
    assert get(transient) is not made
    assert get(Settings, name="x") is get(Settings)
    with pytest.raises(limits._Missing, match="nothing binds"):
        get(RequestHandler)
    with pytest.raises(limits._Missing, match="name 'y'"):
        get(Settings, name="y")
    with pytest.raises(limits._Missing):
        get([])  # an unhashable key: the shape's error, not a TypeError


def test_the_shapes_that_fall_short_fall_short_as_their_rows_say() -> None:
    lookup, served = limits.singleton_get("lookup")
    assert served is object
    with pytest.raises(TypeError):
        lookup(Settings, name="x")  # no name= at all
    getitem, _ = limits.singleton_get("c-getitem")
    with pytest.raises(TypeError, match="keyword"):
        getitem(Settings, name="x")
    cached, _ = limits.singleton_get("lru-cache")
    assert cached(Settings, name="x") is cached(Settings)
    assert cached(RequestState) is cached(RequestState)  # a transient, cached: not allowed
    named, _ = limits.singleton_get("named")
    assert named(Settings, name="x") is named(Settings)
    with pytest.raises(KeyError):
        named(RequestState)  # a transient: a raw KeyError, no instance


def test_the_injectq_rows_measure_a_singleton_and_a_transient() -> None:
    get, transient = limits._injectq_get()
    assert get(Settings) is get(Settings)
    assert get(transient) is not get(transient)
    limits.build("injectq", "transient").check()
    limits.build("hand-written", "transient").check()


@pytest.mark.parametrize("shape", list(limits.SINGLETON_SHAPES))
def test_every_singleton_bench_checks_out(shape: str) -> None:
    limits.build(shape, "singleton").check()
    if limits.serves_transients(shape):
        limits.build(shape, "transient").check()
    else:
        with pytest.raises(ValueError, match="serves no transient"):
            limits.build(shape, "transient")


def _run(bench: Bench) -> dict[str, object]:
    namespace = dict(bench.ns)
    exec(bench.stmt, namespace)  # the benchmark's own statement
    return namespace


def test_the_ambient_shape_is_the_ambient_scope_inside_its_block_only() -> None:
    bench = limits.build("ambient", "request")
    bench.check()
    namespace = _run(bench)
    assert type(namespace["handler"]) is RequestHandler
    assert namespace["handler"].state is namespace["state"]
    assert limits.AMBIENT.get() is None


def test_the_minimal_scope_builds_once_per_scope_nests_and_follows_contextvars() -> None:
    limits.build("minimal", "request").check()
    with limits.MinimalScope() as outer:
        with limits.MinimalScope() as inner:
            assert limits.AMBIENT.get() is inner
            assert inner.get(RequestHandler).state is inner.get(RequestState)
            assert inner.get(RequestState) is not outer.get(RequestState)
        assert limits.AMBIENT.get() is outer
        assert inner.get(Settings, name="x") is limits._NAMED[Settings, "x"]
        seen = contextvars.copy_context().run(limits.AMBIENT.get)

        async def in_task() -> object:
            return limits.AMBIENT.get()

        assert asyncio.run(in_task()) is outer  # a task started inside sees the scope
    assert seen is outer
    assert limits.AMBIENT.get() is None
    with pytest.raises(limits._Missing):
        limits.MinimalScope().get(RequestHandler, name="y")
