"""The Litestar integration, driven with Litestar's TestClient."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import pytest
from litestar import Controller, Litestar, Request, Router, WebSocket, get, post, websocket
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Stream
from litestar.testing import TestClient

from injectq import INJECTED, BindingError, InjectQ, Module, Named, UsageError, inject
from injectq.integrations.litestar import Injected, current_scope, setup
from tests.asgi_support import (
    AppModule,
    Db,
    Notifier,
    Session,
    clear_events,  # noqa: F401 - the autouse fixture, by import
    events,
)


@get("/hello")
async def hello(request: Request[Any, Any, Any], session: Injected[Session]) -> dict[str, object]:
    return {"session": session.number, "same": current_scope(request).get(Session) is session}


@post("/notes/{text:str}", sync_to_thread=True)
def add_note(text: FromPath[str], tx: Injected[sqlite3.Connection]) -> str:
    tx.execute("insert into notes values (?)", (text,))
    if text == "taken":
        raise HTTPException(status_code=409, detail="taken")
    if text == "crash":
        raise RuntimeError("crash")
    return text


@get("/stream")
async def stream(session: Injected[Session]) -> Stream:
    async def body() -> AsyncIterator[bytes]:
        for part in ("a", "b"):
            events.append(f"chunk {part}")
            yield part.encode()

    return Stream(body())


@get("/named")
async def named(n: Injected[Annotated[Notifier, Named("sms")]]) -> str:
    return n.send()


@websocket("/ws")
async def ws(socket: WebSocket[Any, Any, Any], session: Injected[Session]) -> None:
    await socket.accept()
    await socket.send_json({"session": session.number})
    await socket.close()


class Shop(Controller):
    path = "/shop"

    @get("/")
    async def index(self, n: Injected[Annotated[Notifier, Named("sms")]]) -> str:
        return f"shop {n.send()}"


def make_app(path: Path) -> tuple[Litestar, InjectQ]:
    conn = sqlite3.connect(path)
    conn.execute("create table if not exists notes (text text)")
    conn.commit()
    conn.close()
    container = InjectQ(AppModule(path))
    app = Litestar(
        route_handlers=[
            hello,
            add_note,
            stream,
            Router("/inner", route_handlers=[named]),
            ws,
            Shop,
        ],
        plugins=[setup(container)],
    )
    return app, container


def rows(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("select text from notes")]
    finally:
        conn.close()


def test_each_request_has_its_own_scope(tmp_path: Path) -> None:
    """Two requests, two sessions, each disposed; the container closes at shut-down."""
    app, container = make_app(tmp_path / "db")
    Session.count = 0
    with TestClient(app=app) as client:
        assert client.get("/hello").json() == {"session": 1, "same": True}
        assert client.get("/hello").json() == {"session": 2, "same": True}
    assert events == ["dispose session 1", "dispose session 2"]
    assert container.closed


def test_router_and_controller_handlers_are_injected(tmp_path: Path) -> None:
    """Handlers inside a Router and a Controller get their Injected parameters."""
    app, _ = make_app(tmp_path / "db")
    with TestClient(app=app) as client:
        assert client.get("/inner/named").text == "sms"
        assert client.get("/shop").text == "shop sms"


def test_http_exception_rolls_the_transaction_back(tmp_path: Path) -> None:
    """A write then Litestar's HTTPException(409): a 409 and no row in the database."""
    path = tmp_path / "db"
    app, _ = make_app(path)
    with TestClient(app=app) as client:
        assert client.post("/notes/kept").text == "kept"
        response = client.post("/notes/taken")
    assert response.status_code == 409
    assert response.json()["detail"] == "taken"
    assert rows(path) == ["kept"]
    assert events == ["commit", "rollback HTTPException"]


def test_unhandled_error_rolls_back_and_answers_500(tmp_path: Path) -> None:
    """An error Litestar answers with a 500: a rollback with that error."""
    path = tmp_path / "db"
    app, _ = make_app(path)
    with TestClient(app=app, raise_server_exceptions=False) as client:
        assert client.post("/notes/crash").status_code == 500
    assert rows(path) == []
    assert events == ["rollback RuntimeError"]


def test_streaming_response_keeps_the_scope_to_the_last_chunk(tmp_path: Path) -> None:
    """The session is disposed after the body was streamed."""
    app, _ = make_app(tmp_path / "db")
    Session.count = 0
    with TestClient(app=app) as client:
        assert client.get("/stream").content == b"ab"
    assert events == ["chunk a", "chunk b", "dispose session 1"]


def test_websocket_connection_runs_in_its_own_scope(tmp_path: Path) -> None:
    """A WebSocket connection is a unit of work of its own."""
    app, _ = make_app(tmp_path / "db")
    Session.count = 0
    with TestClient(app=app) as client, client.websocket_connect("/ws") as socket_:
        assert socket_.receive_json() == {"session": 1}
    assert events == ["dispose session 1"]


def test_two_concurrent_requests_never_share_a_scoped_instance(tmp_path: Path) -> None:
    """Both requests hold their session across an await while the other runs."""
    arrived: list[int] = []
    both = asyncio.Event()

    @get("/slow")
    async def slow(session: Injected[Session]) -> int:
        arrived.append(id(session))
        if len(arrived) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 5)
        return id(session)

    app = Litestar(route_handlers=[slow], plugins=[setup(InjectQ(AppModule(tmp_path / "db")))])
    with TestClient(app=app) as client, ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(client.get, "/slow") for _ in range(2)]
        answers = [f.result(timeout=10).json() for f in futures]
    assert len(set(answers)) == 2
    assert sorted(answers) == sorted(arrived)


def test_app_creation_reports_every_handler_problem_at_once(tmp_path: Path) -> None:
    """Unbound and misspelled: one BindingError with each handler's file:line."""

    async def unbound_fn(n: Injected[Notifier]) -> None:
        pass

    async def misspelled_fn(n: Injected[Annotated[Notifier, Named("smss")]]) -> None:
        pass

    unbound = get("/a")(unbound_fn)
    misspelled = get("/b")(misspelled_fn)
    with pytest.raises(BindingError) as info:
        Litestar(
            route_handlers=[unbound, misspelled],
            plugins=[setup(InjectQ(AppModule(tmp_path / "db")))],
        )
    text = str(info.value)
    assert info.value.codes == ("missing-binding", "missing-binding")
    assert "Nothing binds Notifier." in text
    assert 'Did you mean: Notifier named "sms"' in text
    assert f"test_litestar.py:{unbound_fn.__code__.co_firstlineno}" in text
    assert f"test_litestar.py:{misspelled_fn.__code__.co_firstlineno}" in text


def test_one_plugin_for_two_apps_is_refused(tmp_path: Path) -> None:
    """A plugin wires one app; a second is a UsageError with the fix."""
    plugin = setup(InjectQ(AppModule(tmp_path / "db")))
    Litestar(route_handlers=[hello], plugins=[plugin])
    with pytest.raises(UsageError) as info:
        Litestar(route_handlers=[hello], plugins=[plugin])
    assert str(info.value) == (
        "Litestar setup() was called twice for the app <Litestar app of 1 route handlers>; it "
        "is wired to <InjectQPlugin scope='request'> already. Hint: call Litestar(..., "
        "plugins=[setup(container)]) once, where the app is created; for a test that needs "
        "other bindings, use container.override(...) or a new app."
    )


def test_setup_twice_for_one_app_is_refused(tmp_path: Path) -> None:
    """Two plugins of ours in one app would open two scopes per request: refused."""
    container = InjectQ(AppModule(tmp_path / "db"))
    with pytest.raises(UsageError, match=r"Litestar setup\(\) was called twice for the app"):
        Litestar(route_handlers=[hello], plugins=[setup(container), setup(container)])


def test_setup_refuses_a_non_container() -> None:
    """The container argument is checked."""
    with pytest.raises(UsageError, match=r"takes an injectq.InjectQ container, got int"):
        setup(3)  # type: ignore[arg-type]


class Caller:
    def __init__(self, request: Request[Any, Any, Any]) -> None:
        self.path = request.url.path


def test_request_is_context_of_the_request_scope(tmp_path: Path) -> None:
    """A service takes Litestar's Request (as typed, parametrised) from the request's scope."""

    class ContextModule(Module):
        def configure(self) -> None:
            self.bind(Request[Any, Any, Any]).from_context()
            self.bind(Caller).scoped()

    @get("/who")
    async def who(caller: Injected[Caller]) -> str:
        return caller.path

    app = Litestar(route_handlers=[who], plugins=[setup(InjectQ(ContextModule()))])
    with TestClient(app=app) as client:
        assert client.get("/who").text == "/who"


@get("/late")
async def late(session: Injected[Session]) -> int:
    return session.number


@post("/late-notes/{text:str}", sync_to_thread=True)
def late_note(text: FromPath[str], tx: Injected[sqlite3.Connection]) -> str:
    tx.execute("insert into notes values (?)", (text,))
    if text == "taken":
        raise HTTPException(status_code=409, detail="taken")
    return text


@websocket("/late-ws")
async def late_ws(socket: WebSocket[Any, Any, Any], session: Injected[Session]) -> None:
    await socket.accept()
    await socket.send_json({"session": session.number})
    await socket.close()


class LateShop(Controller):
    path = "/late-shop"

    @get("/")
    async def index(self, n: Injected[Annotated[Notifier, Named("sms")]]) -> str:
        return f"late shop {n.send()}"


def test_handlers_registered_after_creation_are_injected(tmp_path: Path) -> None:
    """app.register(): a function, a sync one in a thread, a Router, a Controller, a WebSocket."""
    path = tmp_path / "db"
    app, _ = make_app(path)
    app.register(late)
    app.register(late_note)
    app.register(Router("/late-inner", route_handlers=[named]))
    app.register(LateShop)
    app.register(late_ws)
    Session.count = 0
    with TestClient(app=app) as client:
        assert client.get("/late").json() == 1
        assert client.post("/late-notes/kept").text == "kept"
        assert client.post("/late-notes/taken").status_code == 409
        assert client.get("/late-inner/named").text == "sms"
        assert client.get("/late-shop").text == "late shop sms"
        with client.websocket_connect("/late-ws") as socket_:
            assert socket_.receive_json() == {"session": 2}
    assert events == [
        "dispose session 1",
        "commit",
        "rollback HTTPException",
        "dispose session 2",
    ]
    assert rows(path) == ["kept"]


def test_a_handler_registered_late_is_validated_at_registration(tmp_path: Path) -> None:
    """app.register() of a handler the container cannot serve raises the BindingError."""

    async def unbound_fn(
        n: Injected[Notifier], again: Injected[Annotated[Notifier, Named("smss")]]
    ) -> None:
        pass

    app, _ = make_app(tmp_path / "db")
    with pytest.raises(BindingError) as info:
        app.register(get("/unbound")(unbound_fn))
    text = str(info.value)
    assert info.value.codes == ("missing-binding", "missing-binding")
    assert "Nothing binds Notifier." in text
    assert 'Did you mean: Notifier named "sms"' in text
    assert f"test_litestar.py:{unbound_fn.__code__.co_firstlineno}" in text
    # The route stays registered (Litestar added it before the plugin saw it): start-up,
    # which validates every handler again, refuses to serve it.
    with pytest.raises(ExceptionGroup) as startup, TestClient(app=app):
        pass
    assert startup.group_contains(BindingError, match="Nothing binds Notifier", depth=None)


def test_the_schema_shows_only_the_handlers_own_parameters(tmp_path: Path) -> None:
    """Injected parameters are not request parameters, for early and late handlers alike."""
    app, _ = make_app(tmp_path / "db")
    app.register(late_note)
    with TestClient(app=app) as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
    assert "parameters" not in paths["/hello"]["get"]
    assert [p["name"] for p in paths["/notes/{text}"]["post"]["parameters"]] == ["text"]
    assert [p["name"] for p in paths["/late-notes/{text}"]["post"]["parameters"]] == ["text"]


def test_the_users_handler_objects_are_left_as_written(tmp_path: Path) -> None:
    """The plugin wires the copies Litestar registers: another app can use the same handlers."""
    make_app(tmp_path / "db")
    assert hello.fn.__name__ == "hello"
    assert not hasattr(hello.fn, "__injectq_handler__")
    other = Litestar(route_handlers=[hello], plugins=[setup(InjectQ(AppModule(tmp_path / "db")))])
    with TestClient(app=other) as client:
        assert client.get("/hello").json()["same"] is True


class Peer:
    """A service built from the WebSocket of its connection: context of the scope."""

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self.path = socket.url.path


def test_the_websocket_is_context_of_its_connections_scope() -> None:
    """A service taking Litestar's WebSocket gets the connection's."""

    class SocketModule(Module):
        def configure(self) -> None:
            self.bind(WebSocket[Any, Any, Any]).from_context()
            self.bind(Peer).scoped()

    @websocket("/peer/{name:str}")
    async def peer(socket: WebSocket[Any, Any, Any], who: Injected[Peer]) -> None:
        await socket.accept()
        await socket.send_text(who.path)
        await socket.close()

    app = Litestar(route_handlers=[peer], plugins=[setup(InjectQ(SocketModule()))])
    with TestClient(app=app) as client:
        for name in ("ada", "bob"):
            with client.websocket_connect(f"/peer/{name}") as socket_:
                assert socket_.receive_text() == f"/peer/{name}"


def test_start_up_hooks_run_with_the_container_active(tmp_path: Path) -> None:
    """on_startup hooks run after the container was entered and activated."""
    seen: list[object] = []

    @inject
    def where(db: Db = INJECTED) -> Path:
        return db.path

    def hook() -> None:
        seen.extend([InjectQ.current(), where()])

    container = InjectQ(AppModule(tmp_path / "db"))
    app = Litestar(route_handlers=[hello], on_startup=[hook], plugins=[setup(container)])
    with TestClient(app=app):
        assert seen == [container, tmp_path / "db"]
