"""Generated factories read like source: named per binding, with their lines in tracebacks."""

from __future__ import annotations

import abc
import asyncio
import gc
import linecache
import threading
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from injectq import (
    AsyncRequiredError,
    InjectQ,
    MissingBindingError,
    Module,
    ResolutionError,
    ScopeError,
)
from injectq._keys import Key


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


async def _aget(container: InjectQ, key: Any, name: str | None) -> Any:
    return await container.aget(key, name=name)


GETS: list[Callable[..., Any]] = [
    lambda c, k, name=None: c.get(k, name=name),
    lambda c, k, name=None: asyncio.run(_aget(c, k, name)),
]


@pytest.mark.parametrize("get", GETS, ids=["get", "aget"])
def test_a_constructor_error_shows_each_generated_function_and_its_line(
    get: Callable[..., Any],
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
    assert ", line 9, in make_Leaf\n    v1 = T1()\n" in text


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

    def names() -> list[str]:  # what the container compiled, and what its tables keep
        kept = [*container._resolver._compiled.values(), *container._named_fast.values()]
        kept += container._fast.values()
        return sorted({getattr(f, "__name__", "") for f in kept} - {""})

    container.get(Handler, name="email")
    assert "get_Handler_named_email" in names()
    container.get(list[int])
    assert names() == ["get_Handler_named_email", "get_list_int"]


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
    get: Callable[..., Any],
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


class Db:
    pass


async def open_db() -> Db:
    return Db()


def open_db_sync() -> Db:
    return open_db()  # type: ignore[return-value]  # the mistake under test


class Repo:
    def __init__(self, db: Db) -> None:
        self.db = db


class CoroutineModule(Module):
    def configure(self) -> None:
        self.bind(Db).to_provider(open_db_sync)
        self.bind(Db, lambda: open_db(), name="lambda").singleton()
        self.bind(Repo)


PLAIN_HINT = "Hint: declare it `async def open_db_sync(...)` and use `await container.aget(Db)`."
LAMBDA_HINT = (
    "Hint: bind the async function the lambda calls instead of the lambda, and use "
    "`await container.aget(Db, name='lambda')`."
)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # "coroutine ... was never awaited"
@pytest.mark.parametrize("get", GETS, ids=["get", "aget"])
@pytest.mark.parametrize(
    ("key", "name", "lines"),
    [
        (
            Db,
            None,
            [
                "The provider open_db_sync of Db returned a coroutine, not a Db: it is a plain "
                "function, and injectq does not await what a plain function returns.",
                PLAIN_HINT,
            ],
        ),
        (
            Repo,
            None,
            [
                "The provider open_db_sync of Db returned a coroutine, not a Db: it is a plain "
                "function, and injectq does not await what a plain function returns.",
                "Resolution path: Repo -> Db",
                PLAIN_HINT,
            ],
        ),
        (
            Db,
            "lambda",
            [
                "The provider CoroutineModule.configure.<locals>.<lambda> of Db named "
                '"lambda" returned a coroutine, not a Db: it is a plain function, and injectq '
                "does not await what a plain function returns.",
                LAMBDA_HINT,
            ],
        ),
    ],
    ids=["direct", "dependency", "lambda"],
)
def test_a_sync_provider_returning_a_coroutine_is_reported_and_the_coroutine_closed(
    get: Callable[..., Any], key: type, name: str | None, lines: list[str]
) -> None:
    """get() and aget() raise naming the provider and its binding; nothing is left unawaited."""
    container = InjectQ(CoroutineModule())
    for _ in range(2):  # the second raise carries its own path, not a longer one
        with pytest.raises(ResolutionError) as info:
            get(container, key, name=name)
        text = str(info.value).splitlines()
        assert [text[0], *text[2:]] == lines
        assert text[1].startswith("Bound at: tests/test_generated_code.py:")
        assert info.value.key == str(Key(Db, name))
        gc.collect()  # a coroutine left open would warn now


@pytest.mark.parametrize("kind", ["Task", "Future"])
async def test_a_sync_provider_returning_a_task_or_future_is_reported(kind: str) -> None:
    """A plain function that hands back a Task or Future was meant async: get/aget say so."""
    loop = asyncio.get_running_loop()
    made: list[asyncio.Future[Db]] = []

    def open_db_later() -> Db:
        fut: asyncio.Future[Db] = (
            loop.create_task(open_db()) if kind == "Task" else loop.create_future()
        )
        made.append(fut)
        return fut  # type: ignore[return-value]  # the mistake under test

    class LaterModule(Module):
        def configure(self) -> None:
            self.bind(Db).to_provider(open_db_later)

    container = InjectQ(LaterModule())
    expected = (
        f"The provider {open_db_later.__qualname__} of Db returned an asyncio.{kind}, not a "
        "Db: it is a plain function, and injectq does not await what a plain function returns."
    )
    with pytest.raises(ResolutionError) as sync_info:
        container.get(Db)
    with pytest.raises(ResolutionError) as async_info:
        await container.aget(Db)
    for info in (sync_info, async_info):
        text = str(info.value).splitlines()
        assert text[0] == expected
        assert text[-1] == "Hint: declare it `async def open_db_later(...)` and use " + (
            "`await container.aget(Db)`."
        )
    assert [f.cancelled() for f in made] == [False, False]  # left to the loop that owns them
    for fut in made:
        fut.cancel()
    await asyncio.gather(*made, return_exceptions=True)


async def test_a_provider_of_an_awaitable_key_may_return_one() -> None:
    """A key that is itself awaitable (`Awaitable[int]`) is served as returned, unawaited."""

    async def seven() -> int:
        return 7

    def later() -> Awaitable[int]:
        return seven()

    class AwaitableModule(Module):
        def configure(self) -> None:
            self.bind(Awaitable[int]).to_provider(later)

    container = InjectQ(AwaitableModule())
    assert await container.get(Awaitable[int]) == 7
    assert await (await container.aget(Awaitable[int])) == 7


class Token:
    pass


async def make_token() -> Token:
    return Token()


def test_needs_await_errors_carry_only_their_own_path() -> None:
    """Each sync resolution of an async binding raises a new error with its own path."""

    class TokenModule(Module):
        def configure(self) -> None:
            self.bind(Token).to_provider(make_token)

    def handler(token: Token) -> None:
        raise AssertionError  # never called: its parameter needs an await

    container = InjectQ(TokenModule())
    errors = []
    for call in (container.call, container.call, lambda _: container.get(Token)):
        with pytest.raises(AsyncRequiredError) as info:
            call(handler)
        errors.append(info.value)
    label = f"{handler.__qualname__}(token)"
    assert [e.path for e in errors] == [[label, "Token"]] * 2 + [["Token"]]
    assert len({id(e) for e in errors}) == 3


class Request:
    pass


def test_errors_generated_code_raises_show_the_line_that_raised() -> None:
    """A scope error and a needs-await error show the generated line that raised them."""

    class Errors(Module):
        def configure(self) -> None:
            self.bind(Request).scoped()
            self.bind(Token).to_provider(make_token)

    container = InjectQ(Errors())
    with pytest.raises(ScopeError) as scope_info:
        container.get(Request)
    with pytest.raises(AsyncRequiredError) as await_info:
        container.get(Token)
    assert _generated_frames(scope_info.value) == [
        ("get_Request", "raise located(scope_error(B, o))")
    ]
    assert _generated_frames(await_info.value) == [("get_Token", "raise located(error(B))")]


class Conn:
    pass


class Session:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn


def _failing_conn_module(started: threading.Event) -> Module:
    async def connect() -> Conn:
        started.set()
        await asyncio.sleep(0.2)
        msg = "refused"
        raise ConnectionError(msg)

    class ConnModule(Module):
        def configure(self) -> None:
            self.bind(Conn).to_provider(connect).singleton()
            self.bind(Session)

    return ConnModule()


async def test_a_failure_shared_by_waiting_tasks_keeps_one_path() -> None:
    """Tasks waiting for a failed creation get its error with the creator's path, not longer."""
    container = InjectQ(_failing_conn_module(threading.Event()))
    results = await asyncio.wait_for(
        asyncio.gather(*(container.aget(Session) for _ in range(4)), return_exceptions=True),
        timeout=5,
    )
    first = results[0]
    assert isinstance(first, ConnectionError)
    assert all(r is first for r in results)  # one failure, shared
    assert first.__notes__ == ["injectq resolution path: Session -> Conn"]


def test_a_failure_shared_with_a_waiting_thread_keeps_one_path() -> None:
    """A thread waiting for another thread's async creation does not extend its path."""
    started = threading.Event()
    container = InjectQ(_failing_conn_module(started))
    errors: list[BaseException] = []

    def resolve() -> None:
        try:
            asyncio.run(container.aget(Session))
        except ConnectionError as exc:
            errors.append(exc)

    creator = threading.Thread(target=resolve)
    creator.start()
    assert started.wait(timeout=5)
    waiter = threading.Thread(target=resolve)
    waiter.start()
    creator.join(timeout=5)
    waiter.join(timeout=5)
    assert not creator.is_alive()
    assert not waiter.is_alive()
    assert len(errors) == 2
    assert errors[0] is errors[1]
    assert errors[0].__notes__ == ["injectq resolution path: Session -> Conn"]


class Alpha:
    def __init__(self) -> None:
        msg = "alpha failed"
        raise ValueError(msg)


class Beta:
    def __init__(self) -> None:
        msg = "beta failed"
        raise ValueError(msg)


def test_bindings_of_one_shape_have_their_own_files_and_share_one_text() -> None:
    """Each binding's function has its own file name; the lines registered are the shape's.

    The lines are one list for every binding of the shape (a binding costs a linecache
    entry, not a copy of its text); the ``def`` line of that text says ``factory``.
    """
    container = InjectQ()
    container.bind(Alpha, scope="singleton")
    container.bind(Beta, scope="singleton")
    with pytest.raises(ValueError, match="alpha") as alpha_info:
        container.get(Alpha)
    with pytest.raises(ValueError, match="beta") as beta_info:
        container.get(Beta)
    alpha, beta = _innermost_generated(alpha_info.value), _innermost_generated(beta_info.value)
    assert alpha.name == "make_Alpha"
    assert alpha.filename.startswith("<injectq make_Alpha #")
    assert beta.filename.startswith("<injectq make_Beta #")
    assert alpha.filename.split("#")[1] == beta.filename.split("#")[1]  # one shape
    alpha_entry: Any = linecache.cache[alpha.filename]
    beta_entry: Any = linecache.cache[beta.filename]
    assert alpha_entry[2] is beta_entry[2]
    assert linecache.getline(alpha.filename, 1) == "def factory(s):\n"


class Quiet:
    pass


def test_a_function_that_never_fails_registers_no_source() -> None:
    """Source goes into `linecache` when an exception passes through, not at compile time."""
    container = InjectQ()
    container.bind(Quiet)
    container.get(Quiet)
    assert not [f for f in linecache.cache if f.startswith("<injectq get_Quiet ")]
