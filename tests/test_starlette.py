"""The Starlette integration, driven with Starlette's TestClient."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from injectq import INJECTED, BindingError, InjectQ, Module, Named, UsageError, inject
from injectq.integrations.starlette import Injected, current_scope, setup
from tests.asgi_support import (
    AppModule,
    Db,
    Notifier,
    Session,
    clear_events,  # noqa: F401 - the autouse fixture, by import
    events,
)


async def hello(request: Request, session: Injected[Session]) -> JSONResponse:
    return JSONResponse(
        {"session": session.number, "same": current_scope(request).get(Session) is session}
    )


def add_note(request: Request, tx: Injected[sqlite3.Connection]) -> PlainTextResponse:
    text = request.path_params["text"]
    tx.execute("insert into notes values (?)", (text,))
    if text == "taken":
        raise HTTPException(status_code=409, detail="taken")
    if text == "crash":
        raise RuntimeError("crash")
    return PlainTextResponse(text)


def stream(request: Request, session: Injected[Session]) -> StreamingResponse:
    def body() -> Iterator[bytes]:
        for part in ("a", "b"):
            events.append(f"chunk {part}")
            yield part.encode()

    return StreamingResponse(body())


def named(request: Request, n: Injected[Annotated[Notifier, Named("sms")]]) -> PlainTextResponse:
    return PlainTextResponse(n.send())


async def ws(websocket: WebSocket, session: Injected[Session]) -> None:
    await websocket.accept()
    await websocket.send_json({"session": session.number})
    await websocket.close()


def plain(request: Request) -> PlainTextResponse:
    return PlainTextResponse("plain")


class Tagging:
    """A route middleware, to show the endpoint behind it is still reached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        events.append("route middleware")
        await self.app(scope, receive, send)


def make_app(path: Path) -> tuple[Starlette, InjectQ]:
    conn = sqlite3.connect(path)
    conn.execute("create table if not exists notes (text text)")
    conn.commit()
    conn.close()
    container = InjectQ(AppModule(path))
    app = Starlette(
        routes=[
            Route("/hello", hello),
            Route("/notes/{text}", add_note, methods=["POST"]),
            Route("/stream", stream),
            Mount("/inner", routes=[Route("/named", named, middleware=[Middleware(Tagging)])]),
            WebSocketRoute("/ws", ws),
            Route("/plain", plain),
        ]
    )
    setup(app, container)
    return app, container


def rows(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("select text from notes")]
    finally:
        conn.close()


def test_each_request_has_its_own_scope(tmp_path: Path) -> None:
    """Two requests, two sessions, each disposed; current_scope is the request's scope."""
    app, container = make_app(tmp_path / "db")
    Session.count = 0
    with TestClient(app) as client:
        assert client.get("/hello").json() == {"session": 1, "same": True}
        assert client.get("/hello").json() == {"session": 2, "same": True}
        assert client.get("/plain").text == "plain"
    assert events == ["dispose session 1", "dispose session 2"]
    assert container.closed


def test_http_exception_rolls_the_transaction_back(tmp_path: Path) -> None:
    """A write then Starlette's HTTPException(409): a 409 and no row in the database."""
    path = tmp_path / "db"
    app, _ = make_app(path)
    with TestClient(app) as client:
        assert client.post("/notes/kept").text == "kept"
        response = client.post("/notes/taken")
    assert response.status_code == 409
    assert response.text == "taken"
    assert rows(path) == ["kept"]
    assert events == ["commit", "rollback HTTPException"]


def test_own_exception_handler_still_answers_and_the_scope_sees_the_error(
    tmp_path: Path,
) -> None:
    """A handler added after setup() answers; the error still reaches the transaction."""
    path = tmp_path / "db"
    app, _ = make_app(path)

    async def teapot(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled", status_code=418)

    app.add_exception_handler(RuntimeError, teapot)
    with TestClient(app) as client:
        response = client.post("/notes/crash")
    assert (response.status_code, response.text) == (418, "handled")
    assert rows(path) == []
    assert events == ["rollback RuntimeError"]


def test_unhandled_error_rolls_back_and_answers_500(tmp_path: Path) -> None:
    """An error nothing handles: a 500 and a rollback with that error."""
    path = tmp_path / "db"
    app, _ = make_app(path)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/notes/crash").status_code == 500
    assert rows(path) == []
    assert events == ["rollback RuntimeError"]


def test_streaming_response_keeps_the_scope_to_the_last_chunk(tmp_path: Path) -> None:
    """The session is disposed after the body was streamed."""
    app, _ = make_app(tmp_path / "db")
    Session.count = 0
    with TestClient(app) as client:
        assert client.get("/stream").content == b"ab"
    assert events == ["chunk a", "chunk b", "dispose session 1"]


def test_mounted_route_behind_route_middleware_is_injected(tmp_path: Path) -> None:
    """Routes inside a Mount, behind route-level middleware, get their parameters too."""
    app, _ = make_app(tmp_path / "db")
    with TestClient(app) as client:
        assert client.get("/inner/named").text == "sms"
    assert events == ["route middleware"]


def test_websocket_connection_runs_in_its_own_scope(tmp_path: Path) -> None:
    """A WebSocket connection is a unit of work of its own."""
    app, _ = make_app(tmp_path / "db")
    Session.count = 0
    with TestClient(app) as client, client.websocket_connect("/ws") as socket_:
        assert socket_.receive_json() == {"session": 1}
    assert events == ["dispose session 1"]


def test_two_concurrent_requests_never_share_a_scoped_instance(tmp_path: Path) -> None:
    """Both requests hold their session across an await while the other runs."""
    arrived: list[int] = []
    both = asyncio.Event()

    async def slow(request: Request, session: Injected[Session]) -> JSONResponse:
        arrived.append(id(session))
        if len(arrived) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 5)
        return JSONResponse(id(session))

    app, _ = make_app(tmp_path / "db")
    app.router.routes.append(Route("/slow", slow))
    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(client.get, "/slow") for _ in range(2)]
        answers = [f.result(timeout=10).json() for f in futures]
    assert len(set(answers)) == 2
    assert sorted(answers) == sorted(arrived)


def test_setup_reports_every_endpoint_problem_at_once(tmp_path: Path) -> None:
    """Unbound and misspelled: one BindingError with each endpoint's file:line."""

    def unbound(request: Request, n: Injected[Notifier]) -> Response:
        return Response()

    def misspelled(request: Request, n: Injected[Annotated[Notifier, Named("smss")]]) -> Response:
        return Response()

    app = Starlette(routes=[Route("/a", unbound), Route("/b", misspelled)])
    with pytest.raises(BindingError) as info:
        setup(app, InjectQ(AppModule(tmp_path / "db")))
    text = str(info.value)
    assert info.value.codes == ("missing-binding", "missing-binding")
    assert "Nothing binds Notifier." in text
    assert 'Did you mean: Notifier named "sms"' in text
    assert f"test_starlette.py:{unbound.__code__.co_firstlineno}" in text
    assert f"test_starlette.py:{misspelled.__code__.co_firstlineno}" in text


def test_routes_added_after_setup_are_validated_and_injected_at_startup(tmp_path: Path) -> None:
    """A route added after setup(): wrapped at start-up, and validated there."""
    app, _ = make_app(tmp_path / "db")

    def late(request: Request, n: Injected[Annotated[Notifier, Named("sms")]]) -> Response:
        return PlainTextResponse(n.send())

    app.router.routes.append(Route("/late", late))
    with TestClient(app) as client:
        assert client.get("/late").text == "sms"

    def broken(request: Request, n: Injected[Notifier]) -> Response:
        return Response()

    app2, _ = make_app(tmp_path / "db2")
    app2.router.routes.append(Route("/broken", broken))
    with pytest.raises(BindingError, match=r"Nothing binds Notifier\."):
        with TestClient(app2):
            pass


def test_setup_twice_is_refused(tmp_path: Path) -> None:
    """A second setup() on one app is a UsageError with the fix."""
    app, _ = make_app(tmp_path / "db")
    with pytest.raises(UsageError, match=r"Starlette setup\(\) was called twice"):
        setup(app, InjectQ())


def test_setup_after_the_app_started_is_refused(tmp_path: Path) -> None:
    """Once the app serves, setup() can no longer add its middleware."""
    app = Starlette(routes=[Route("/plain", plain)])
    with TestClient(app) as client:
        client.get("/plain")
    with pytest.raises(UsageError, match=r"after the app started serving"):
        setup(app, InjectQ())


def test_route_middleware_without_an_app_attribute_is_reported(tmp_path: Path) -> None:
    """An endpoint setup() cannot reach is a UsageError naming the route."""

    class Opaque:
        def __init__(self, app: ASGIApp) -> None:
            self._inner = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await self._inner(scope, receive, send)

    def endpoint(request: Request, s: Injected[Session]) -> Response:
        return Response()

    app = Starlette(routes=[Route("/x", endpoint, middleware=[Middleware(Opaque)])])
    with pytest.raises(UsageError, match=r"cannot reach the endpoint of the route '/x'"):
        setup(app, InjectQ(AppModule(tmp_path / "db")))


class Caller:
    def __init__(self, request: Request) -> None:
        self.path = request.url.path


class Tenant:
    pass


def test_request_is_context_of_the_request_scope(tmp_path: Path) -> None:
    """A service takes the Request; a WebSocket unit leaves it out and still runs."""

    class ContextModule(Module):
        def configure(self) -> None:
            self.bind(Request).from_context()
            self.bind(HTTPConnection).from_context()
            self.bind(Caller).scoped()

    def who(request: Request, caller: Injected[Caller], conn: Injected[HTTPConnection]) -> Response:
        return PlainTextResponse(f"{caller.path} {conn.url.path}")

    container = InjectQ(ContextModule())
    app = Starlette(routes=[Route("/who", who)])
    setup(app, container)
    with TestClient(app) as client:
        assert client.get("/who").text == "/who /who"


def test_a_context_key_starlette_cannot_supply_is_refused_at_setup() -> None:
    """A key Starlette has no value for is a BindingError at setup()."""

    class TenantModule(Module):
        def configure(self) -> None:
            self.bind(Tenant).from_context()

    with pytest.raises(BindingError) as info:
        setup(Starlette(), InjectQ(TenantModule()))
    assert info.value.codes == ("unsupplied-context",)
    assert "Starlette supplies: Request, WebSocket, HTTPConnection." in str(info.value)


@pytest.mark.usefixtures("fast_switching")
def test_threads_racing_through_sync_endpoints_keep_their_own_scopes(tmp_path: Path) -> None:
    """Sync endpoints in the thread pool, switching every microsecond: no scope is shared."""
    import time

    seen: list[tuple[str, int]] = []

    def mine(request: Request, session: Injected[Session]) -> PlainTextResponse:
        tag = request.query_params["tag"]
        first = session.number
        time.sleep(0)
        assert current_scope(request).get(Session).number == first
        seen.append((tag, first))
        return PlainTextResponse(f"{tag} {first}")

    app = Starlette(routes=[Route("/mine", mine)])
    setup(app, InjectQ(AppModule(tmp_path / "db")))
    Session.count = 0
    with TestClient(app) as client, ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda i: client.get(f"/mine?tag=t{i}").text, range(120), timeout=60)
        )
    tags = [a.split()[0] for a in answers]
    numbers = [int(a.split()[1]) for a in answers]
    assert tags == [f"t{i}" for i in range(120)]
    assert sorted(numbers) == list(range(1, 121))
    assert sorted(events) == sorted(f"dispose session {n}" for n in range(1, 121))


class Peer:
    """A service built from the WebSocket of its connection: context of the scope."""

    def __init__(self, websocket: WebSocket) -> None:
        self.path = websocket.url.path


def test_the_websocket_is_context_of_its_connections_scope() -> None:
    """A service taking Starlette's WebSocket gets the connection's."""

    class SocketModule(Module):
        def configure(self) -> None:
            self.bind(WebSocket).from_context()
            self.bind(Peer).scoped()

    async def peer(websocket: WebSocket, who: Injected[Peer]) -> None:
        await websocket.accept()
        await websocket.send_text(who.path)
        await websocket.close()

    app = Starlette(routes=[WebSocketRoute("/peer/{name}", peer)])
    setup(app, InjectQ(SocketModule()))
    with TestClient(app) as client:
        for name in ("ada", "bob"):
            with client.websocket_connect(f"/peer/{name}") as socket_:
                assert socket_.receive_text() == f"/peer/{name}"


def test_start_up_code_runs_with_the_container_active(tmp_path: Path) -> None:
    """The app's own lifespan runs inside the container's: @inject functions resolve."""
    seen: list[object] = []

    @inject
    def where(db: Db = INJECTED) -> Path:
        return db.path

    @asynccontextmanager
    async def own(app: Starlette) -> AsyncIterator[None]:
        seen.extend([InjectQ.current(), where()])
        yield

    app = Starlette(lifespan=own)
    container = InjectQ(AppModule(tmp_path / "db"))
    setup(app, container)
    with TestClient(app):
        assert seen == [container, tmp_path / "db"]
