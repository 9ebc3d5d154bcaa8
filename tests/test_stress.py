"""Trying hard to break injectq: concurrency, faults at every position, leaks.

The figures used here (threads, tasks, iterations) are listed in docs/reliability.md.
"""

import asyncio
import gc
import random
import sys
import threading
import time
import tracemalloc
import weakref
from collections import Counter
from collections.abc import Iterator

import pytest

from injectq import InjectQ, Module, provider, resource

THREADS = 16
ITERATIONS = 200
TASKS = 1000


class Ledger:
    """Counts creations and disposals per class, thread-safely; serials tell objects apart."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.created: Counter[str] = Counter()
        self.disposed: Counter[str] = Counter()
        self.disposed_ids: Counter[int] = Counter()
        self.serials = iter(range(10**9))

    def create(self, name: str) -> int:
        with self.lock:
            self.created[name] += 1
            return next(self.serials)

    def dispose(self, name: str, ident: int) -> None:
        with self.lock:
            self.disposed[name] += 1
            self.disposed_ids[ident] += 1


ledger = Ledger()


@resource
class SlowSingleton:
    def __init__(self) -> None:
        time.sleep(0.01)
        self.serial = ledger.create("singleton")

    def dispose(self) -> None:
        ledger.dispose("singleton", self.serial)


@resource
class RequestState:
    def __init__(self, shared: SlowSingleton) -> None:
        self.shared = shared
        self.serial = ledger.create("scoped")

    def dispose(self) -> None:
        ledger.dispose("scoped", self.serial)


@resource
class Worker:
    def __init__(self, state: RequestState) -> None:
        self.state = state
        self.serial = ledger.create("transient")

    def dispose(self) -> None:
        ledger.dispose("transient", self.serial)


class Unreliable:
    pass


class StressModule(Module):
    def configure(self) -> None:
        self.bind(SlowSingleton).singleton()
        self.bind(RequestState).scoped()
        self.bind(Worker)

    @provider(scope="request")
    def unreliable(self, state: RequestState) -> Unreliable:
        if random.random() < 0.2:
            raise ConnectionError("flaky dependency")
        return Unreliable()


@pytest.fixture(autouse=True)
def fresh_ledger() -> None:
    global ledger
    ledger = Ledger()
    return


def run_threads(container: InjectQ) -> list[set[int]]:
    """16 threads, each handling ITERATIONS requests in their own scopes."""
    barrier = threading.Barrier(THREADS)
    per_scope: list[set[int]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(ITERATIONS):
                with container.scope() as scope:
                    state = scope.get(RequestState)
                    workers = [scope.get(Worker) for _ in range(3)]
                    assert all(w.state is state for w in workers)
                    try:
                        scope.get(Unreliable)
                    except ConnectionError:
                        pass
                    with lock:
                        per_scope.append({id(state)})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a thread is stuck: deadlock?"
    assert errors == []
    return per_scope


@pytest.mark.slow
@pytest.mark.parametrize("switch_interval", [None, 1e-6], ids=["default", "tiny-switch"])
def test_threads_in_their_own_scopes(switch_interval: float | None) -> None:
    """No singleton built twice, no scoped instance shared, every resource disposed once."""
    old = sys.getswitchinterval()
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    try:
        container = InjectQ(StressModule())
        run_threads(container)
        container.close()
    finally:
        sys.setswitchinterval(old)
    requests = THREADS * ITERATIONS
    assert ledger.created["singleton"] == 1
    assert ledger.created["scoped"] == requests  # one per scope: never shared
    assert ledger.created["transient"] == 3 * requests
    assert ledger.disposed == ledger.created  # everything disposed...
    assert set(ledger.disposed_ids.values()) == {1}  # ...exactly once


class AsyncState:
    def __init__(self) -> None:
        self.serial = ledger.create("async scoped")


class AsyncModule(Module):
    @provider(scope="singleton")
    async def shared(self) -> SlowSingleton:
        await asyncio.sleep(0.01)
        return SlowSingleton()

    @provider(scope="request")
    async def state(self, shared: SlowSingleton) -> Iterator[AsyncState]:  # type: ignore[misc]
        await asyncio.sleep(0)
        state = AsyncState()
        yield state
        ledger.dispose("async scoped", state.serial)


@pytest.mark.slow
async def test_a_thousand_tasks_in_their_own_scopes() -> None:
    """1,000 concurrent tasks: one singleton, one state per scope, all disposed once."""
    container = InjectQ(AsyncModule())

    async def request() -> int:
        async with container.scope() as scope:
            state = await scope.aget(AsyncState)
            await asyncio.sleep(0)
            assert await container.aget(AsyncState) is state
            return id(state)

    ids = await asyncio.wait_for(asyncio.gather(*(request() for _ in range(TASKS))), 60)
    await container.aclose()
    assert ledger.created["singleton"] == 1
    assert ledger.created["async scoped"] == TASKS
    assert ledger.disposed["async scoped"] == TASKS
    assert set(ledger.disposed_ids.values()) == {1}
    assert len(ids) == TASKS


# -- faults at every position ----------------------------------------------------------------

CHAIN = ["A", "B", "C", "D"]  # A depends on B, B on C, C on D


def build_chain(fail: str, where: str, events: list[str]) -> tuple[InjectQ, dict[str, type]]:
    """Four request-scoped resources in a chain, failing at one position and one step."""
    classes: dict[str, type] = {}
    for name in reversed(CHAIN):
        dep = classes.get(CHAIN[CHAIN.index(name) + 1]) if name != "D" else None

        def init(self: object, dep: object = None, _name: str = name) -> None:
            if fail == _name and where == "constructor":
                raise LookupError(f"{_name} constructor")
            events.append(f"create {_name}")

        def initialize(self: object, _name: str = name) -> None:
            if fail == _name and where == "initialize":
                raise LookupError(f"{_name} initialize")

        def dispose(self: object, _name: str = name) -> None:
            events.append(f"dispose {_name}")
            if fail == _name and where == "teardown":
                raise LookupError(f"{_name} teardown")

        namespace: dict[str, object] = {"initialize": initialize, "dispose": dispose}
        local: dict[str, object] = {"init": init}
        if dep is None:
            exec("def __init__(self): init(self)", local)
        else:
            exec("def __init__(self, dep): init(self, dep)", local)
            local["__init__"].__annotations__ = {"dep": dep}
        namespace["__init__"] = local["__init__"]
        classes[name] = resource(type(name, (), namespace))

    class Chain(Module):
        def configure(self) -> None:
            for cls in classes.values():
                self.bind(cls).scoped()

    return InjectQ(Chain()), classes


@pytest.mark.parametrize("where", ["constructor", "initialize"])
@pytest.mark.parametrize("fail", CHAIN)
def test_a_failure_anywhere_caches_nothing_and_disposes_what_was_built(
    fail: str, where: str
) -> None:
    """The original error, with its path; earlier resources disposed; the container usable."""
    events: list[str] = []
    container, classes = build_chain(fail, where, events)
    with container.scope() as scope:
        with pytest.raises(LookupError, match=f"{fail} {where}") as info:
            scope.get(classes["A"])
        path = " -> ".join(CHAIN[: CHAIN.index(fail) + 1])
        assert info.value.__notes__ == [f"injectq resolution path: {path}"]
        built_before = [f"create {n}" for n in reversed(CHAIN[CHAIN.index(fail) + 1 :])]
        created = [e for e in events if e.startswith("create")]
        expected_created = built_before + ([f"create {fail}"] if where == "initialize" else [])
        assert created == expected_created
    disposed = [e for e in events if e.startswith("dispose")]
    survivors = CHAIN[CHAIN.index(fail) + 1 :]
    assert disposed == [f"dispose {n}" for n in survivors]  # reverse creation order
    events.clear()
    # nothing half-built stayed cached: a new scope builds the chain and fails the same way
    with container.scope() as scope, pytest.raises(LookupError):
        scope.get(classes["A"])


@pytest.mark.parametrize("fail", CHAIN)
def test_a_failing_teardown_anywhere_does_not_stop_the_others(fail: str) -> None:
    """All four are disposed, in reverse order; the one failure comes as an ExceptionGroup."""
    events: list[str] = []
    container, classes = build_chain(fail, "teardown", events)
    with pytest.raises(ExceptionGroup) as info, container.scope() as scope:
        scope.get(classes["A"])
    assert [e for e in events if e.startswith("dispose")] == [f"dispose {n}" for n in CHAIN]
    assert [str(e) for e in info.value.exceptions] == [f"{fail} teardown"]
    events.clear()
    with pytest.raises(ExceptionGroup), container.scope() as scope:  # still usable, same result
        assert scope.get(classes["A"]) is not None
    assert len([e for e in events if e.startswith("dispose")]) == 4


# -- leaks -----------------------------------------------------------------------------------


class Transient:
    def __init__(self, state: SlowSingleton) -> None:
        self.state = state


def test_transient_resolution_does_not_grow_memory() -> None:
    """100,000 transient resolutions keep traced memory within a small bound."""
    container = InjectQ()
    container.bind(SlowSingleton, scope="singleton")
    container.get(Transient)
    tracemalloc.start()
    try:
        for _ in range(10_000):
            container.get(Transient)
        gc.collect()
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(100_000):
            container.get(Transient)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert grown < 32 * 1024


def test_a_closed_container_holds_no_instances() -> None:
    """After close() nothing the container built is kept alive by it."""
    container = InjectQ(StressModule())
    with container.scope() as scope:
        worker = weakref.ref(scope.get(Worker))
    singleton = weakref.ref(container.get(SlowSingleton))
    container.close()
    gc.collect()
    assert worker() is None
    assert singleton() is None
