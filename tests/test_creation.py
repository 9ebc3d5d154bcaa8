"""The one creation routine: once per scope under threads and tasks, cycles, any depth."""

import asyncio
import contextvars
import gc
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from injectq import InjectQ, Provider, ResolutionError, resource
from injectq._keys import Key
from injectq._links import derive
from tests.threads import run_all

REENTERED = (
    "was asked for again while it was being created (a cycle through Provider[...] or "
    "container.get() in a constructor)."
)


def run_threads(n: int, target: Callable[[int], Any]) -> list[Any]:
    """Run ``target(i)`` in ``n`` threads started together; their results or exceptions."""
    results: list[Any] = [None] * n
    barrier = threading.Barrier(n)

    def work(i: int) -> None:
        barrier.wait(timeout=5)
        try:
            results[i] = target(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    run_all(threads)
    return results


@resource
class Counted:
    """A resource that records every initialize and dispose."""

    made: list["Counted"] = []
    events: list[str] = []

    def __init__(self) -> None:
        Counted.made.append(self)

    def initialize(self) -> None:
        Counted.events.append("initialize")

    def dispose(self) -> None:
        Counted.events.append("dispose")


@pytest.fixture(autouse=True)
def reset_counted() -> None:
    Counted.made = []
    Counted.events = []


@pytest.mark.usefixtures("fast_switching")
def test_sixteen_threads_create_one_singleton_once() -> None:
    """Exactly one instance, one initialize and (at close) one dispose."""
    container = InjectQ()
    container.bind(Counted, scope="singleton")
    results = run_threads(16, lambda _: container.get(Counted))
    assert all(r is results[0] for r in results)
    assert Counted.made == [results[0]]
    assert Counted.events == ["initialize"]
    container.close()
    assert Counted.events == ["initialize", "dispose"]


@pytest.mark.usefixtures("fast_switching")
def test_threads_sharing_a_scope_create_one_scoped_instance() -> None:
    """Threads resolving in one scope get one instance, initialized once, disposed once."""
    container = InjectQ()
    container.bind(Counted, scope="request")
    with container.scope() as scope:
        results = run_threads(16, lambda _: scope.get(Counted))
        assert all(r is results[0] for r in results)
        assert Counted.events == ["initialize"]
    assert Counted.made == [results[0]]
    assert Counted.events == ["initialize", "dispose"]


async def test_concurrent_tasks_create_one_async_singleton() -> None:
    """Many tasks awaiting the first creation share the one instance."""
    calls: list[int] = []

    async def make() -> Counted:
        calls.append(1)
        await asyncio.sleep(0.01)
        return Counted()

    container = InjectQ()
    container.bind(Counted, make, scope="singleton")
    results = await asyncio.wait_for(
        asyncio.gather(*(container.aget(Counted) for _ in range(20))), timeout=5
    )
    assert all(r is results[0] for r in results)
    assert calls == [1]


# -- what a created singleton leaves behind ----------------------------------------------------


class Lonely:
    made = 0

    def __init__(self) -> None:
        Lonely.made += 1


class NeedsLonely:
    def __init__(self, lonely: Lonely) -> None:
        self.lonely = lonely


def test_a_created_singleton_lets_its_generated_functions_go() -> None:
    """Once cached, a singleton keeps no create function, record or claim alive."""
    container = InjectQ()
    container.bind(Lonely, scope="singleton")
    binding = container._graph.bindings[Key(Lonely)]
    create = weakref.ref(container._resolver._creation(binding).create)
    instance = container.get(Lonely)
    gc.collect()
    assert create() is None
    assert binding not in container._resolver._records
    assert list(container._root.cache.values()) == [instance]  # no claim left either
    assert container.get(Lonely) is instance


def test_a_create_function_called_after_its_singleton_was_cached_returns_it() -> None:
    """A caller that missed the cache just before creation finished gets the one instance.

    Its claim wins (the finished creation's claim is gone), and it finds the instance
    instead of building a second one; so does a create function compiled again later.
    """
    Lonely.made = 0
    container = InjectQ()
    container.bind(Lonely, scope="singleton")
    container.bind(NeedsLonely)
    binding = container._graph.bindings[Key(Lonely)]
    stale = container._resolver._creation(binding).create
    first = container.get(Lonely)
    assert stale(container._root) is first
    assert container._resolver._creation(binding).create(container._root) is first
    assert container.get(NeedsLonely).lonely is first  # compiled after: its miss path too
    assert Lonely.made == 1


@pytest.mark.usefixtures("fast_switching")
def test_threads_first_getting_singleton_chains_build_each_once() -> None:
    """Many rounds of threads racing the first get() of a singleton and its dependents."""
    for _ in range(30):
        Lonely.made = 0
        container = InjectQ()
        container.bind(Lonely, scope="singleton")
        container.bind(NeedsLonely, scope="singleton")

        def first_get(i: int, c: InjectQ = container) -> object:
            return c.get(NeedsLonely).lonely if i % 2 else c.get(Lonely)

        results = run_threads(8, first_get)
        assert all(r is results[0] for r in results)
        assert Lonely.made == 1


# -- re-entrancy, in both worlds ---------------------------------------------------------------


class Selfish:
    def __init__(self, me: Provider["Selfish"]) -> None:
        self.me = me()


def test_sync_singleton_asking_for_itself_is_a_clear_error() -> None:
    """Provider[A] called in A's constructor: a ResolutionError, not a recursion."""
    container = InjectQ()
    container.bind(Selfish, scope="singleton")
    with pytest.raises(ResolutionError) as info:
        container.get(Selfish)
    assert str(info.value).splitlines()[0].endswith(REENTERED)
    assert info.value.hint == "call the provider later, not in the constructor."


class Gate:
    pass


@pytest.mark.parametrize("how", ["provider", "aget"])
async def test_async_singleton_awaiting_itself_is_the_same_error(how: str) -> None:
    """An async singleton awaiting itself gets the sync twin's error (class and text)."""
    container = InjectQ()

    async def make_via_provider(me: Provider[Gate]) -> Gate:
        await me()  # type: ignore[misc]  # an async binding's Provider returns an awaitable
        return Gate()

    async def make_via_aget(c: InjectQ) -> Gate:
        await c.aget(Gate)
        return Gate()

    make = make_via_provider if how == "provider" else make_via_aget
    container.bind(Gate, make, scope="singleton")
    with pytest.raises(ResolutionError) as info:
        await asyncio.wait_for(container.aget(Gate), timeout=5)
    assert type(info.value) is ResolutionError
    assert str(info.value).splitlines()[0] == f"{info.value.key} {REENTERED}"
    # Nothing was cached: the next attempt fails the same way instead of hanging.
    with pytest.raises(ResolutionError):
        await asyncio.wait_for(container.aget(Gate), timeout=5)


class East:
    pass


class West:
    pass


def test_a_cycle_entered_from_both_ends_by_two_threads_is_an_error_not_a_deadlock() -> None:
    """East's provider gets West while West's gets East, each from its own thread."""
    both_inside = threading.Barrier(2)

    def east(c: InjectQ) -> East:
        both_inside.wait(timeout=5)
        c.get(West)
        return East()

    def west(c: InjectQ) -> West:
        both_inside.wait(timeout=5)
        c.get(East)
        return West()

    container = InjectQ()
    container.bind(East, east, scope="singleton")
    container.bind(West, west, scope="singleton")
    results = run_threads(2, lambda i: container.get(East if i == 0 else West))
    assert all(isinstance(r, ResolutionError) for r in results), results
    texts = [str(r) for r in results]
    assert any("entered from both ends at once (it would deadlock)" in t for t in texts), texts
    # Nothing half-built was cached, and the container still works for other keys.
    container.bind(Gate, scope="singleton")
    assert isinstance(container.get(Gate), Gate)


async def test_a_cycle_entered_from_both_ends_by_two_tasks_is_an_error() -> None:
    """The async twin: two tasks creating each other's dependency fail, never hang."""
    both_started = asyncio.Event()
    started: list[str] = []

    async def east(c: InjectQ) -> East:
        started.append("east")
        if len(started) == 2:
            both_started.set()
        await both_started.wait()
        await c.aget(West)
        return East()

    async def west(c: InjectQ) -> West:
        started.append("west")
        if len(started) == 2:
            both_started.set()
        await both_started.wait()
        await c.aget(East)
        return West()

    container = InjectQ()
    container.bind(East, east, scope="singleton")
    container.bind(West, west, scope="singleton")
    results = await asyncio.wait_for(
        asyncio.gather(container.aget(East), container.aget(West), return_exceptions=True),
        timeout=5,
    )
    assert all(isinstance(r, ResolutionError) for r in results), results
    assert any("it would deadlock" in str(r) for r in results)


# -- failures -----------------------------------------------------------------------------------


def test_a_failed_creation_caches_nothing_and_the_next_call_retries() -> None:
    """A provider that raises leaves no instance behind; the next get() calls it again."""
    attempts: list[int] = []

    def flaky() -> Gate:
        attempts.append(1)
        if len(attempts) == 1:
            msg = "first try fails"
            raise ConnectionError(msg)
        return Gate()

    container = InjectQ()
    container.bind(Gate, flaky, scope="singleton")
    with pytest.raises(ConnectionError, match="first try fails"):
        container.get(Gate)
    assert container.get(Gate) is container.get(Gate)
    assert len(attempts) == 2


class Plain:
    """A class with nothing to inject."""


class UsesPlain:
    def __init__(self, plain: Plain) -> None:
        self.plain = plain


def test_counts_of_instances_leave_the_claims_of_finished_creations_out() -> None:
    """A finished scoped creation's claim stays in its scope's cache; reprs count instances."""
    container = InjectQ()
    container.bind(Counted, scope="singleton")
    container.bind(Plain, scope="request")
    container.bind(UsesPlain, scope="request")
    container.get(Counted)
    assert repr(container) == "<InjectQ bindings=3 singletons=1>"
    with container.scope() as scope:
        assert scope.get(UsesPlain).plain is scope.get(Plain)
        assert repr(scope) == "<Scope 'request' instances=2 teardowns=0 closed=False>"
    container.close()


@pytest.mark.usefixtures("fast_switching")
def test_threads_that_come_after_a_finished_creation_find_its_instance() -> None:
    """A claim left by a finished creation is never waited for: later threads get the instance.

    Each thread asks for the dependent first, so it probes the finished claim of ``Plain``
    inside another creation; a claim mistaken for a live one would hang or raise a cycle.
    """
    container = InjectQ()
    container.bind(Plain, scope="request")
    container.bind(UsesPlain, scope="transient")
    with container.scope() as scope:
        first = scope.get(Plain)
        results = run_threads(8, lambda _: [scope.get(UsesPlain).plain for _ in range(50)])
    assert all(plain is first for got in results for plain in got)


class InOtherContext:
    """Asks for itself from a copied contextvars context, as a thread pool hop would."""

    def __init__(self, container: InjectQ) -> None:
        self.me = contextvars.copy_context().run(container.get, InOtherContext)


@pytest.mark.parametrize("scope", ["singleton", "request"])
def test_asking_for_itself_from_another_context_is_the_reentry_error(scope: str) -> None:
    """Re-entrancy is told by the claims on the caller's own stack, whatever its context."""
    container = InjectQ()
    container.bind(InOtherContext, scope=scope)
    with container.scope(), pytest.raises(ResolutionError) as info:
        container.get(InOtherContext)
    assert str(info.value).splitlines()[0].endswith(REENTERED)


class Top:
    def __init__(self, middle: "Middle") -> None:
        self.middle = middle


class Middle:
    def __init__(self, bottom: "Bottom") -> None:
        self.bottom = bottom


class Bottom:
    def __init__(self, container: InjectQ) -> None:
        self.top = container.get(Top)


def test_a_claim_held_deep_in_the_stack_is_found_as_the_callers_own() -> None:
    """A binding asked for again two creations further down is still a re-entry."""
    container = InjectQ()
    for cls in (Top, Middle, Bottom):
        container.bind(cls, scope="request")
    with container.scope() as scope:
        with pytest.raises(ResolutionError) as info:
            scope.get(Top)
        assert str(info.value).splitlines()[0].endswith(REENTERED)
        with pytest.raises(ResolutionError):  # nothing half-built was kept: the same again
            scope.get(Top)


@resource
class Tracked:
    """A resource per thread: built at once by all of them, each records its dispose."""

    disposed: list["Tracked"] = []
    together = threading.Barrier(1)

    def __init__(self) -> None:
        Tracked.together.wait(timeout=5)  # all leave construction, to register, at once

    def dispose(self) -> None:
        Tracked.disposed.append(self)


@pytest.mark.usefixtures("fast_switching")
def test_threads_registering_the_first_teardowns_of_a_scope_at_once_lose_none() -> None:
    """A scope's teardown list is made on its first teardown; racing first ones all count."""
    kinds = [type(f"Tracked{i}", (Tracked,), {}) for i in range(8)]
    for _ in range(40):
        Tracked.disposed = []
        Tracked.together = threading.Barrier(len(kinds))
        container = InjectQ()
        for kind in kinds:
            container.bind(kind, scope="request")
        with container.scope() as scope:
            made = run_threads(len(kinds), lambda i: scope.get(kinds[i]))
        assert sorted(map(id, Tracked.disposed)) == sorted(map(id, made))


class Config:
    pass


AWAITS = ["await", "gather"] + (["wait_for"] if sys.version_info >= (3, 12) else [])


@pytest.mark.parametrize("how", AWAITS)
async def test_a_provider_awaiting_a_task_that_asks_for_its_binding_is_an_error(how: str) -> None:
    """The task would wait for the singleton, the provider for the task: said, not hung."""
    container = InjectQ()

    async def make() -> Config:
        task = asyncio.create_task(container.aget(Config))
        if how == "await":
            await task
        elif how == "gather":
            await asyncio.gather(task)
        else:
            await asyncio.wait_for(task, timeout=30)
        return Config()

    container.bind(Config, make, scope="singleton")
    for _ in range(2):  # nothing was cached: the same error again, not a hang
        with pytest.raises(ResolutionError) as info:
            await asyncio.wait_for(container.aget(Config), timeout=5)
        assert str(info.value).splitlines()[0] == (
            f"{info.value.key} was asked for by a task that the task creating it awaits (a "
            "provider awaiting work that needs what it provides): each would wait for the "
            "other forever."
        )
        assert info.value.hint == (
            "pass what the task needs to it as an argument, or start the task after the "
            "binding is built."
        )


def deep_scoped_chain(n: int) -> list[type]:
    """Classes L0..L{n-1}, each taking the previous one, every one recording its build."""

    def bottom(self: Any) -> None:
        type(self).built.append(self)

    def above(self: Any, dep: Any) -> None:
        self.dep = dep
        type(self).built.append(self)

    classes: list[type] = [type("L0", (), {"__init__": bottom, "built": []})]
    for i in range(1, n):

        def init(self: Any, dep: Any) -> None:
            above(self, dep)

        init.__annotations__ = {"dep": classes[-1], "return": None}
        classes.append(type(f"L{i}", (), {"__init__": init, "built": []}))
    return classes


@pytest.mark.usefixtures("fast_switching")
def test_threads_creating_a_deep_chain_in_one_scope_from_both_ends_build_each_once() -> None:
    """Past 32 cached levels a creation goes bottom-up through the records' create functions.

    A record's create function was set before the names it calls were filled in, so a
    thread could run another's half-compiled function ("'NoneType' object is not
    callable"). Each level must be built once and served to every thread.
    """
    for _ in range(30):
        classes = deep_scoped_chain(40)
        container = InjectQ()
        for cls in classes:
            container.bind(cls, scope="request")
        with container.scope() as scope:
            orders = [classes if i % 2 else classes[::-1] for i in range(8)]
            results = run_threads(8, lambda i: [scope.get(cls) for cls in orders[i]])
        assert not [r for r in results if isinstance(r, BaseException)], results
        for cls in classes:
            assert len(cls.built) == 1, cls  # type: ignore[attr-defined]
            assert all(cls.built[0] in got for got in results)  # type: ignore[attr-defined]


class _VanishingMemo(dict[Any, Any]):
    """A memo whose entry for ``gone`` is taken out the moment it is seen (another thread)."""

    def __init__(self, gone: Any, entry: Any) -> None:
        super().__init__({gone: entry})
        self.gone = gone

    def __contains__(self, key: object) -> bool:
        found = super().__contains__(key)
        if found and key is self.gone:
            del self[key]
        return found


def test_derive_survives_its_binding_leaving_the_memo_while_it_looks() -> None:
    """A binding seen in the memo, then taken out of it, is derived again (no KeyError)."""
    container = InjectQ()
    container.bind(Lonely, scope="singleton")
    container.bind(NeedsLonely, scope="singleton")
    binding = container._graph.bindings[Key(NeedsLonely)]
    memo = _VanishingMemo(binding, (7, ()))
    depth, links = derive(binding, memo)
    assert depth == 2
    assert [b.key for b in links] == [Key(Lonely)]


def test_a_compiled_create_function_without_its_record_is_compiled_again() -> None:
    """The record let go with its singleton while another thread compiled the function anew.

    Looking the record up then compiles it once more instead of looking forever.
    """
    container = InjectQ()
    container.bind(Lonely, scope="singleton")
    binding = container._graph.bindings[Key(Lonely)]
    resolver = container._resolver
    resolver._creation(binding)
    del resolver._records[binding]  # what the racing thread's release did
    found: list[Any] = []
    looker = threading.Thread(target=lambda: found.append(resolver._creation(binding)), daemon=True)
    looker.start()
    looker.join(timeout=5)
    assert not looker.is_alive(), "the lookup never ended"
    assert found[0].create(container._root) is container.get(Lonely)


class _PublishedMeanwhile(dict[Any, Any]):
    """A root cache in which another thread caches ``binding`` just before a claim is made.

    That thread's singleton claim has ended already, so the claim made now wins.
    """

    def __init__(self, binding: Any, instance: Any) -> None:
        super().__init__()
        self.binding, self.instance, self.raced = binding, instance, False

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if not self.raced and key is not self.binding:
            self.raced = True
            self[self.binding] = self.instance
        return super().setdefault(key, default)


def test_a_claim_won_after_the_singleton_was_cached_returns_the_instance() -> None:
    """Claiming looks for the instance again once it won: no second construction."""
    Lonely.made = 0
    container = InjectQ()
    container.bind(Lonely, scope="singleton")
    binding = container._graph.bindings[Key(Lonely)]
    record = container._resolver._creation(binding)
    theirs = Lonely()
    container._root.cache = _PublishedMeanwhile(binding, theirs)
    assert record._claim(container._root, [], is_async=False) is theirs
    assert record not in container._root.cache  # the claim was given back
    assert Lonely.made == 1
