"""Property tests under concurrency: the random graphs of test_properties, resolved at once.

Threads (with a tiny switch interval) and asyncio tasks (with async providers that yield
to the loop) resolve every node of a random valid graph (factories included) in random
orders (an element of the collection through ``list[Item]``; a decorated node is the
decorator's instance, built after the one it wraps). Whatever the
interleaving, each cached node is built once per lifetime and served to everyone who shares
that lifetime, transients are new each time, and everything built is disposed once.
"""

import asyncio
import random
import sys
import threading
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from injectq import InjectQ
from tests.test_properties import Model, aget_node, get_node, graphs
from tests.threads import run_all

CONCURRENT = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_lifetimes(model: Model, results: list[tuple[int, list[Any]]]) -> None:
    """Results are (scope group, one instance per node): identity must follow the scopes."""
    created: dict[int, list[int]] = {}
    products = {ident for event, _, ident in model.log if event == "product"}
    for event, n, ident in model.log:
        if event == "create" and ident not in products:  # what a factory built is never served
            created.setdefault(n, []).append(ident)
    for i, node in enumerate(model.nodes):
        served = [(group, r[i]) for group, r in results]
        ids = {id(obj) for _, obj in served}
        if node.scope == "transient":
            assert len(ids) == len(served), f"transient N{i} served twice"
            continue
        per_group: dict[int, Any] = {}
        for group, obj in served:
            assert per_group.setdefault(group, obj) is obj, f"N{i} ({node.scope}) built twice"
        if node.scope == "singleton":
            assert len(ids) == 1, f"singleton N{i} built more than once"
        else:
            assert len(ids) == len(per_group), f"scoped N{i} shared between scopes"
        made = ids | {id(obj.inner) for _, obj in served if node.decorated}  # and what D wraps
        assert sorted(created[i]) == sorted(made), f"N{i} built but not served, or twice"


def check_disposed_once(model: Model) -> None:
    created = sorted(ident for event, _, ident in model.log if event == "create")
    disposed = sorted(ident for event, _, ident in model.log if event == "dispose")
    assert disposed == created  # everything built was disposed, once


@CONCURRENT
@given(graphs(allow_problems=False), st.integers(2, 4), st.randoms(use_true_random=False))
def test_threads_in_their_own_scopes_share_singletons_only(
    model: Model, threads: int, rnd: random.Random
) -> None:
    """Each thread enters its own scope: singletons are shared, scoped instances are not."""
    classes, module = model.build()
    container = InjectQ(module, strict=True)
    results: list[tuple[int, list[Any]]] = []
    errors: list[BaseException] = []
    orders = [rnd.sample(range(len(classes)), len(classes)) for _ in range(threads)]
    barrier = threading.Barrier(threads)

    def work(group: int, order: list[int]) -> None:
        try:
            barrier.wait(5)
            with container.scope():
                got = {i: get_node(container, model, classes, i) for i in order}
                results.append((group, [got[i] for i in range(len(classes))]))
        except BaseException as exc:
            errors.append(exc)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        pool = [threading.Thread(target=work, args=(g, o)) for g, o in enumerate(orders)]
        run_all(pool)
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors
    check_lifetimes(model, results)
    container.close()
    check_disposed_once(model)


@CONCURRENT
@given(
    graphs(allow_problems=False, allow_async=True),
    st.integers(2, 4),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_concurrent_tasks_build_each_cached_node_once(
    model: Model, tasks: int, shared: bool, rnd: random.Random
) -> None:
    """Tasks resolving at once, in one shared scope or each in its own: one build per lifetime."""
    classes, module = model.build()
    orders = [rnd.sample(range(len(classes)), len(classes)) for _ in range(tasks)]

    async def scenario() -> list[tuple[int, list[Any]]]:
        container = InjectQ(module, strict=True)

        async def resolve(scope: Any, order: list[int]) -> list[Any]:
            got = {}
            for i in order:
                got[i] = await aget_node(scope, model, classes, i)
            return [got[i] for i in range(len(classes))]

        async def own_scope(order: list[int]) -> list[Any]:
            async with container.scope() as scope:
                return await resolve(scope, order)

        if shared:
            async with container.scope() as scope:
                outcomes = await asyncio.gather(*(resolve(scope, o) for o in orders))
            results = [(0, r) for r in outcomes]
        else:
            outcomes = await asyncio.gather(*(own_scope(o) for o in orders))
            results = list(enumerate(outcomes))
        await container.aclose()
        return results

    results = asyncio.run(asyncio.wait_for(scenario(), 10))
    check_lifetimes(model, results)
    check_disposed_once(model)


def check_shared_creations(model: Model, results: list[list[Any]]) -> None:
    """Concurrent resolutions in one scope: each cached node built once, served to all."""
    created: dict[int, list[int]] = {}
    products = {ident for event, _, ident in model.log if event == "product"}
    for event, n, ident in model.log:
        if event == "create" and ident not in products:  # what a factory built is never served
            created.setdefault(n, []).append(ident)
    for i, node in enumerate(model.nodes):
        served = [r[i] for r in results]
        if node.scope == "transient":
            assert len({id(s) for s in served}) == len(served)
        elif served:
            assert all(s is served[0] for s in served), f"N{i} ({node.scope}) served twice"
            made = [id(served[0].inner), id(served[0])] if node.decorated else [id(served[0])]
            assert created[i] == made, f"N{i} ({node.scope}) built twice"


CONCURRENT = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CONCURRENT
@given(graphs(allow_problems=False), st.integers(2, 5), st.randoms(use_true_random=False))
def test_concurrent_threads_build_each_cached_node_once(
    model: Model, threads: int, rnd: random.Random
) -> None:
    """Threads resolving one graph in one scope at once: nothing cached is built twice."""
    classes, module = model.build()
    container = InjectQ(module, strict=True)
    results: list[list[Any]] = []
    errors: list[BaseException] = []
    orders = [rnd.sample(range(len(classes)), len(classes)) for _ in range(threads)]
    barrier = threading.Barrier(threads)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with container.scope() as scope:

            def work(order: list[int]) -> None:
                try:
                    barrier.wait(5)
                    got: dict[int, Any] = {}
                    for i in order:
                        got[i] = get_node(scope, model, classes, i)
                    results.append([got[i] for i in range(len(classes))])
                except BaseException as exc:
                    errors.append(exc)

            pool = [threading.Thread(target=work, args=(o,)) for o in orders]
            run_all(pool)
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors
    check_shared_creations(model, results)
    container.close()
    check_disposed_once(model)


@CONCURRENT
@given(
    graphs(allow_problems=False, allow_async=True),
    st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=2, max_size=5),
    st.randoms(use_true_random=False),
)
def test_concurrent_tasks_with_random_cancellations(
    model: Model, cancels: list[int | None], rnd: random.Random
) -> None:
    """Tasks resolving one graph in one scope, some cancelled at random points.

    Each task is either left alone (None) or cancelled after that many loop iterations.
    The tasks left alone finish with the right results, whoever was cancelled; nothing
    cached is built twice; everything built is disposed once when the scope and container
    close.
    """
    classes, module = model.build()
    orders = [rnd.sample(range(len(classes)), len(classes)) for _ in cancels]

    async def scenario() -> list[list[Any]]:
        container = InjectQ(module, strict=True)
        async with container.scope() as scope:

            async def work(order: list[int]) -> list[Any]:
                got: dict[int, Any] = {}
                for i in order:
                    got[i] = await aget_node(scope, model, classes, i)
                return [got[i] for i in range(len(classes))]

            tasks = [asyncio.create_task(work(order)) for order in orders]
            for step in range(8):
                for task, when in zip(tasks, cancels, strict=True):
                    if when == step:
                        task.cancel()
                await asyncio.sleep(0)
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        await container.aclose()
        results = []
        for outcome, when in zip(outcomes, cancels, strict=True):
            if isinstance(outcome, asyncio.CancelledError):
                assert when is not None, "a task that nobody cancelled was cancelled"
            else:
                assert not isinstance(outcome, BaseException), outcome
                results.append(outcome)
        return results

    results = asyncio.run(asyncio.wait_for(scenario(), 10))
    check_shared_creations(model, results)
    check_disposed_once(model)
