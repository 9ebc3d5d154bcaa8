"""The aiohttp integration, driven with aiohttp's test server and client."""

import asyncio
import sqlite3
from pathlib import Path
from typing import Annotated

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from injectq import INJECTED, BindingError, InjectQ, Module, Named, UsageError, inject
from injectq.integrations.aiohttp import Injected, current_scope, handler, setup
from tests.asgi_support import (
    AppModule,
    Db,
    Notifier,
    Session,
    clear_events,  # noqa: F401 - the autouse fixture, by import
    events,
)


async def hello(request: web.Request, session: Injected[Session]) -> web.Response:
    same = current_scope(request).get(Session) is session
    return web.json_response({"session": session.number, "same": same})


async def add_note(request: web.Request, tx: Injected[sqlite3.Connection]) -> web.Response:
    text = request.match_info["text"]
    tx.execute("insert into notes values (?)", (text,))
    if text == "taken":
        raise web.HTTPConflict(text="taken")
    if text == "crash":
        raise RuntimeError("crash")
    return web.Response(text=text)


async def stream(request: web.Request, session: Injected[Session]) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    for part in ("a", "b"):
        events.append(f"chunk {part}")
        await response.write(part.encode())
    await response.write_eof()
    return response


async def named(
    request: web.Request, n: Injected[Annotated[Notifier, Named("sms")]]
) -> web.Response:
    return web.Response(text=n.send())


async def ws(request: web.Request, session: Injected[Session]) -> web.WebSocketResponse:
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    await socket.send_json({"session": session.number})
    await socket.close()
    return socket


async def plain(request: web.Request) -> web.Response:
    return web.Response(text="plain")


def make_app(path: Path) -> tuple[web.Application, InjectQ]:
    conn = sqlite3.connect(path)
    conn.execute("create table if not exists notes (text text)")
    conn.commit()
    conn.close()
    container = InjectQ(AppModule(path))
    app = web.Application()
    app.router.add_get("/hello", handler(hello))
    app.router.add_post("/notes/{text}", handler(add_note))
    app.router.add_get("/stream", handler(stream))
    app.router.add_get("/named", handler(named))
    app.router.add_get("/ws", handler(ws))
    app.router.add_get("/plain", plain)
    setup(app, container)
    return app, container


def rows(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("select text from notes")]
    finally:
        conn.close()


async def test_each_request_has_its_own_scope(tmp_path: Path) -> None:
    """Two requests, two sessions, each disposed; the container closes at clean-up."""
    app, container = make_app(tmp_path / "db")
    Session.count = 0
    async with TestClient(TestServer(app)) as client:
        assert await (await client.get("/hello")).json() == {"session": 1, "same": True}
        assert await (await client.get("/hello")).json() == {"session": 2, "same": True}
        assert await (await client.get("/plain")).text() == "plain"
        assert await (await client.get("/named")).text() == "sms"
        assert not container.closed
    assert events == ["dispose session 1", "dispose session 2"]
    assert container.closed


async def test_http_exception_rolls_the_transaction_back(tmp_path: Path) -> None:
    """A write then web.HTTPConflict: a 409 and no row in the database."""
    path = tmp_path / "db"
    app, _ = make_app(path)
    async with TestClient(TestServer(app)) as client:
        assert await (await client.post("/notes/kept")).text() == "kept"
        response = await client.post("/notes/taken")
        assert response.status == 409
        assert await response.text() == "taken"
    assert rows(path) == ["kept"]
    assert events == ["commit", "rollback HTTPConflict"]


async def test_unhandled_error_rolls_back_and_answers_500(tmp_path: Path) -> None:
    """An error aiohttp answers with a 500: a rollback with that error."""
    path = tmp_path / "db"
    app, _ = make_app(path)
    async with TestClient(TestServer(app)) as client:
        assert (await client.post("/notes/crash")).status == 500
    assert rows(path) == []
    assert events == ["rollback RuntimeError"]


async def test_streaming_response_keeps_the_scope_to_the_last_chunk(tmp_path: Path) -> None:
    """The session is disposed after the body was streamed."""
    app, _ = make_app(tmp_path / "db")
    Session.count = 0
    async with TestClient(TestServer(app)) as client:
        assert await (await client.get("/stream")).read() == b"ab"
    assert events == ["chunk a", "chunk b", "dispose session 1"]


async def test_websocket_connection_runs_in_its_own_scope(tmp_path: Path) -> None:
    """A WebSocket connection is a unit of work of its own."""
    app, _ = make_app(tmp_path / "db")
    Session.count = 0
    async with TestClient(TestServer(app)) as client:
        socket = await client.ws_connect("/ws")
        assert await socket.receive_json() == {"session": 1}
        assert (await socket.receive()).type == WSMsgType.CLOSE
        await socket.close()
    assert events == ["dispose session 1"]


async def test_two_concurrent_requests_never_share_a_scoped_instance(tmp_path: Path) -> None:
    """Both requests hold their session across an await while the other runs."""
    arrived: list[int] = []
    both = asyncio.Event()

    async def slow(request: web.Request, session: Injected[Session]) -> web.Response:
        arrived.append(id(session))
        if len(arrived) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 5)
        return web.json_response(id(session))

    app = web.Application()
    app.router.add_get("/slow", handler(slow))
    setup(app, InjectQ(AppModule(tmp_path / "db")))
    async with TestClient(TestServer(app)) as client:

        async def one() -> int:
            answer: int = await (await client.get("/slow")).json()
            return answer

        answers = await asyncio.wait_for(asyncio.gather(one(), one()), 10)
    assert len(set(answers)) == 2
    assert sorted(answers) == sorted(arrived)


def test_setup_reports_every_handler_problem_at_once(tmp_path: Path) -> None:
    """Unbound and misspelled: one BindingError with each handler's file:line."""

    async def unbound(request: web.Request, n: Injected[Notifier]) -> web.Response:
        return web.Response()

    async def misspelled(
        request: web.Request, n: Injected[Annotated[Notifier, Named("smss")]]
    ) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_get("/a", handler(unbound))
    app.router.add_get("/b", handler(misspelled))
    with pytest.raises(BindingError) as info:
        setup(app, InjectQ(AppModule(tmp_path / "db")))
    text = str(info.value)
    assert info.value.codes == ("missing-binding", "missing-binding")
    assert "Nothing binds Notifier." in text
    assert 'Did you mean: Notifier named "sms"' in text
    assert f"test_aiohttp.py:{unbound.__code__.co_firstlineno}" in text
    assert f"test_aiohttp.py:{misspelled.__code__.co_firstlineno}" in text


async def test_routes_added_after_setup_are_injected_and_validated_at_startup(
    tmp_path: Path,
) -> None:
    """A route added after setup() is covered at start-up: injected, or refused."""
    app, _ = make_app(tmp_path / "db")

    async def late(
        request: web.Request, n: Injected[Annotated[Notifier, Named("sms")]]
    ) -> web.Response:
        return web.Response(text=f"late {n.send()}")

    app.router.add_get("/late", handler(late))
    async with TestClient(TestServer(app)) as client:
        assert await (await client.get("/late")).text() == "late sms"

    async def broken(request: web.Request, n: Injected[Notifier]) -> web.Response:
        return web.Response()

    app2, _ = make_app(tmp_path / "db2")
    app2.router.add_get("/broken", handler(broken))
    with pytest.raises(BindingError, match=r"Nothing binds Notifier\."):
        await asyncio.wait_for(TestServer(app2).start_server(), 10)


async def test_a_middleware_added_after_setup_is_refused_at_startup(tmp_path: Path) -> None:
    """setup() must wrap the handlers directly; a later middleware is a clear error."""
    app, _ = make_app(tmp_path / "db")

    @web.middleware
    async def later(request: web.Request, handler: object) -> web.StreamResponse:
        raise AssertionError("never called")

    app.middlewares.append(later)
    server = TestServer(app)
    with pytest.raises(UsageError, match=r"setup\(\) must come after the app's own middlewares"):
        await asyncio.wait_for(server.start_server(), 10)
    await server.close()


def test_setup_twice_is_refused(tmp_path: Path) -> None:
    """A second setup() on one app is a UsageError with the fix."""
    app, _ = make_app(tmp_path / "db")
    with pytest.raises(UsageError, match=r"aiohttp setup\(\) was called twice"):
        setup(app, InjectQ())


class Caller:
    def __init__(self, request: web.Request) -> None:
        self.request = request


async def test_the_handlers_own_request_is_context(tmp_path: Path) -> None:
    """A service receives the very request object the handler got."""

    class ContextModule(Module):
        def configure(self) -> None:
            self.bind(web.Request).from_context()
            self.bind(Caller).scoped()

    async def who(request: web.Request, caller: Injected[Caller]) -> web.Response:
        return web.Response(text=str(caller.request is request))

    app = web.Application()
    app.router.add_get("/who", handler(who))
    setup(app, InjectQ(ContextModule()))
    async with TestClient(TestServer(app)) as client:
        assert await (await client.get("/who")).text() == "True"


class Tenant:
    pass


def test_a_context_key_aiohttp_cannot_supply_is_refused_at_setup() -> None:
    """A key aiohttp has no value for is a BindingError at setup()."""

    class TenantModule(Module):
        def configure(self) -> None:
            self.bind(Tenant).from_context()

    with pytest.raises(BindingError) as info:
        setup(web.Application(), InjectQ(TenantModule()))
    assert info.value.codes == ("unsupplied-context",)
    assert "aiohttp supplies: Request, BaseRequest." in str(info.value)


async def test_start_up_handlers_run_with_the_container_active(tmp_path: Path) -> None:
    """on_startup handlers run after the container was entered and activated."""
    seen: list[object] = []

    @inject
    def where(db: Db = INJECTED) -> Path:
        return db.path

    async def hook(app: web.Application) -> None:
        seen.extend([InjectQ.current(), where()])

    app, container = make_app(tmp_path / "db")
    app.on_startup.append(hook)
    async with TestClient(TestServer(app)):
        assert seen == [container, tmp_path / "db"]
