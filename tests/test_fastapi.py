"""The FastAPI integration, driven with FastAPI's TestClient and a real uvicorn server."""

import abc
import asyncio
import socket
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from injectq import (
    INJECTED,
    BindingError,
    InjectQ,
    Module,
    Named,
    UsageError,
    inject,
    provider,
    resource,
)
from injectq.integrations.fastapi import Injected, current_scope, setup
from tests.asgi_support import DbModule

events: list[str] = []


@pytest.fixture(autouse=True)
def clear_events() -> None:
    events.clear()


class Settings:
    greeting = "hello"


@resource
class Session:
    count = 0

    def __init__(self) -> None:
        Session.count += 1
        self.number = Session.count

    def dispose(self) -> None:
        events.append(f"dispose session {self.number}")


class Users:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def greet(self, name: str) -> str:
        return f"{self.settings.greeting} {name} (session {self.session.number})"


class Clock:
    pass


class Notifier(abc.ABC):
    @abc.abstractmethod
    def send(self) -> str: ...


class Email(Notifier):
    def send(self) -> str:
        return "email"


class WebModule(Module):
    def configure(self) -> None:
        self.bind(Settings).singleton()
        self.bind(Session).scoped()
        self.bind(Users).scoped()
        self.bind(Clock).eager()
        self.bind(Notifier, Email, name="email")

    @provider(scope="request")
    async def token(self) -> AsyncIterator[str]:
        events.append("token open")
        yield "secret"
        events.append("token closed")


def make_app() -> tuple[FastAPI, InjectQ]:
    container = InjectQ(WebModule())
    app = FastAPI()

    @app.get("/greet/{name}")
    def greet(
        name: str,
        users: Annotated[Users, Injected(Users)],
        again: Injected[Users],
    ) -> dict[str, object]:
        return {"text": users.greet(name), "same": users is again}

    @app.get("/token")
    async def token(value: Injected[str]) -> dict[str, str]:
        return {"token": value}

    @app.get("/stream")
    def stream(session: Injected[Session]) -> StreamingResponse:
        def body() -> Iterator[bytes]:
            for part in ("a", "b", "c"):
                events.append(f"chunk {part}")
                yield part.encode()

        return StreamingResponse(body())

    @app.get("/fail")
    def fail(session: Annotated[Session, Injected(Session)]) -> None:
        raise HTTPException(status_code=418, detail="teapot")

    @app.get("/named")
    def named(
        a: Injected[Annotated[Notifier, Named("email")]],
        b: Annotated[Notifier, Injected(Notifier, name="email")],
    ) -> list[str]:
        return [a.send(), b.send()]

    setup(app, container)
    return app, container


def test_each_request_gets_its_own_scope_and_disposes_it() -> None:
    """Two requests, two sessions; one request shares its session; disposed per response."""
    app, _ = make_app()
    Session.count = 0
    with TestClient(app) as client:
        first = client.get("/greet/ada").json()
        second = client.get("/greet/bob").json()
    assert first == {"text": "hello ada (session 1)", "same": True}
    assert second == {"text": "hello bob (session 2)", "same": True}
    assert events == ["dispose session 1", "dispose session 2"]


def test_named_bindings_in_both_spellings() -> None:
    """Injected[Annotated[T, Named(x)]] and Injected(T, name=x) pick the named binding."""
    app, _ = make_app()
    with TestClient(app) as client:
        assert client.get("/named").json() == ["email", "email"]


def test_streaming_response_disposes_after_the_last_chunk() -> None:
    """The request scope ends only after the streamed body was sent."""
    app, _ = make_app()
    Session.count = 0
    with TestClient(app) as client:
        assert client.get("/stream").content == b"abc"
    assert events == ["chunk a", "chunk b", "chunk c", "dispose session 1"]


def test_async_generator_providers_in_endpoints() -> None:
    """Async providers resolve and their teardown runs after the response."""
    app, _ = make_app()
    with TestClient(app) as client:
        assert client.get("/token").json() == {"token": "secret"}
    assert events == ["token open", "token closed"]


def test_endpoint_error_still_disposes_the_request_scope() -> None:
    """An HTTP error from the endpoint: the status goes out, the session is disposed."""
    app, _ = make_app()
    Session.count = 0
    with TestClient(app) as client:
        assert client.get("/fail").status_code == 418
    assert events == ["dispose session 1"]


def test_lifespan_enters_and_closes_the_container() -> None:
    """Startup creates eager singletons; shutdown closes the container."""
    app, container = make_app()
    with TestClient(app):
        assert container.graph.get(Clock) is not None
        assert not container.closed
    assert container.closed


def test_user_lifespan_is_preserved() -> None:
    """A lifespan of the app's own still runs inside the container's."""

    @asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[None]:
        events.append("own startup")
        yield
        events.append("own shutdown")

    app = FastAPI(lifespan=own)
    container = InjectQ(WebModule())
    setup(app, container)
    with TestClient(app):
        assert events == ["own startup"]
    assert events == ["own startup", "own shutdown"]
    assert container.closed


def test_override_in_a_test_is_served_by_endpoints() -> None:
    """container.override(...) replaces what endpoints receive while it holds."""
    app, container = make_app()

    class Loud(Settings):
        greeting = "HEY"

    with TestClient(app) as client, container.override(Settings, Loud()):
        assert client.get("/greet/ada").json()["text"].startswith("HEY ada")


def test_missing_setup_is_a_clear_error() -> None:
    """Using Injected without setup() says what to call."""
    app = FastAPI()

    @app.get("/x")
    def x(users: Annotated[Users, Injected(Users)]) -> None:
        pass

    with TestClient(app) as client, pytest.raises(Exception, match=r"setup\(app, container\)"):
        client.get("/x")


def test_current_scope_is_the_requests_scope() -> None:
    """current_scope(request) is the scope the request's injections come from."""
    app, _ = make_app()

    @app.get("/scope")
    def which(request: Request, session: Injected[Session]) -> bool:
        return current_scope(request).get(Session) is session

    with TestClient(app) as client:
        assert client.get("/scope").json() is True


# -- sub-dependencies and WebSockets ----------------------------------------------------------


def test_injected_inside_a_sub_dependency() -> None:
    """A FastAPI dependency of the endpoint can itself take Injected parameters."""
    app, _ = make_app()

    def greeting(users: Injected[Users], name: str = "sub") -> str:
        return users.greet(name)

    @app.get("/sub")
    def sub(text: Annotated[str, Depends(greeting)], session: Injected[Session]) -> list[object]:
        return [text, session.number]

    Session.count = 0
    with TestClient(app) as client:
        assert client.get("/sub").json() == ["hello sub (session 1)", 1]


def test_a_websocket_connection_runs_in_its_own_scope() -> None:
    """Each WebSocket connection gets a scope of its own, left when it closes."""
    app, _ = make_app()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, session: Injected[Session]) -> None:
        await websocket.accept()
        await websocket.send_json({"session": session.number})
        await websocket.close()

    Session.count = 0
    with TestClient(app) as client:
        for number in (1, 2):
            with client.websocket_connect("/ws") as socket_:
                assert socket_.receive_json() == {"session": number}
    assert events == ["dispose session 1", "dispose session 2"]


# -- the transaction case ----------------------------------------------------------------------


def transaction_app(path: Path) -> FastAPI:
    conn = sqlite3.connect(path)
    conn.execute("create table notes (text text)")
    conn.commit()
    conn.close()

    app = FastAPI()

    @app.post("/notes/{text}")
    def add(text: str, tx: Injected[sqlite3.Connection]) -> str:
        tx.execute("insert into notes values (?)", (text,))
        if text == "taken":
            raise HTTPException(status_code=409, detail="taken")
        if text == "crash":
            raise RuntimeError("crash")
        return text

    setup(app, InjectQ(DbModule(path, events)))
    return app


def rows(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("select text from notes")]
    finally:
        conn.close()


def test_http_exception_rolls_the_transaction_back(tmp_path: Path) -> None:
    """A write then HTTPException(409): FastAPI answers 409 and the database holds no row."""
    path = tmp_path / "notes.db"
    with TestClient(transaction_app(path)) as client:
        assert client.post("/notes/kept").status_code == 200
        response = client.post("/notes/taken")
    assert response.status_code == 409
    assert response.json() == {"detail": "taken"}
    assert rows(path) == ["kept"]
    assert events == ["commit", "rollback HTTPException"]


def test_unhandled_error_rolls_back_and_answers_500(tmp_path: Path) -> None:
    """An error FastAPI does not handle: a 500, a rollback with that very error."""
    path = tmp_path / "notes.db"
    with TestClient(transaction_app(path), raise_server_exceptions=False) as client:
        assert client.post("/notes/crash").status_code == 500
    assert rows(path) == []
    assert events == ["rollback RuntimeError"]


def test_validation_error_of_the_request_reaches_the_scope(tmp_path: Path) -> None:
    """FastAPI resolves dependencies before it rejects a request (422): the write rolls back."""
    path = tmp_path / "notes.db"
    app = transaction_app(path)

    @app.post("/typed/{n}")
    def typed(n: int, tx: Injected[sqlite3.Connection]) -> int:
        return n

    with TestClient(app) as client:
        assert client.post("/typed/x").status_code == 422
    assert events == ["rollback RequestValidationError"]


# -- concurrency -------------------------------------------------------------------------------


def test_two_concurrent_requests_never_share_a_scoped_instance() -> None:
    """Two requests in flight at once, each holding its session across an await."""
    app, _ = make_app()
    arrived: list[int] = []
    both = asyncio.Event()

    @app.get("/slow")
    async def slow(session: Injected[Session]) -> int:
        arrived.append(id(session))
        if len(arrived) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 5)
        return id(session)

    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(client.get, "/slow") for _ in range(2)]
        answers = [f.result(timeout=10).json() for f in futures]
    assert len(set(answers)) == 2
    assert sorted(answers) == sorted(arrived)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_real_server_500_requests_at_concurrency_20() -> None:
    """Under uvicorn: every scope opened is closed exactly once, no request sees another's."""
    import uvicorn

    opened: list[int] = []
    closed: list[int] = []

    class Echo:
        def __init__(self) -> None:
            self.value = ""

    class ServerModule(Module):
        def configure(self) -> None:
            self.bind(Echo).scoped()

        @provider(scope="request")
        async def marker(self) -> AsyncIterator[int]:
            number = len(opened)
            opened.append(number)
            yield number
            closed.append(number)

    app = FastAPI()

    @app.get("/echo/{value}")
    async def echo(value: str, box: Injected[Echo], mark: Injected[int]) -> list[object]:
        box.value = value
        await asyncio.sleep(0.001)
        return [box.value, mark]

    container = InjectQ(ServerModule())
    setup(app, container)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:

            def one(i: int) -> list[object]:
                response = http.get(f"/echo/v{i}")
                assert response.status_code == 200
                data: list[object] = response.json()
                return data

            with ThreadPoolExecutor(20) as pool:
                answers = list(pool.map(one, range(500), timeout=60))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert [a[0] for a in answers] == [f"v{i}" for i in range(500)]
    assert len({a[1] for a in answers}) == 500
    assert sorted(opened) == sorted(closed) == list(range(500))
    assert container.closed


# -- validation at setup and start-up ----------------------------------------------------------


def test_setup_reports_every_endpoint_problem_at_once() -> None:
    """Unbound and misspelled: one BindingError, each with the endpoint's file:line."""
    app = FastAPI()

    @app.get("/a")
    def unbound(n: Injected[Notifier]) -> None:
        pass

    @app.get("/b")
    def misspelled(n: Annotated[Notifier, Injected(Notifier, name="emial")]) -> None:
        pass

    with pytest.raises(BindingError) as info:
        setup(app, InjectQ(WebModule()))
    text = str(info.value)
    assert info.value.codes == ("missing-binding", "missing-binding")
    assert "Nothing binds Notifier." in text
    assert 'Nothing binds Notifier named "emial".' in text
    assert 'Did you mean: Notifier named "email"' in text
    assert f"test_fastapi.py:{unbound.__code__.co_firstlineno}" in text
    assert f"test_fastapi.py:{misspelled.__code__.co_firstlineno}" in text
    assert "parameter 'n' of test_setup_reports_every_endpoint_problem_at_once.<locals>" in text


def test_endpoints_added_after_setup_are_validated_at_startup() -> None:
    """An endpoint declared after setup() with an unfillable parameter fails start-up."""
    app, _ = make_app()

    @app.get("/late")
    def late(n: Injected[Notifier]) -> None:
        pass

    with pytest.raises(BindingError, match=r"Nothing binds Notifier\.") as info:
        with TestClient(app):
            pass
    assert f"test_fastapi.py:{late.__code__.co_firstlineno}" in str(info.value)


def test_sub_dependency_problems_name_the_dependency() -> None:
    """A sub-dependency's Injected parameter is validated at its own file:line."""

    def needs(n: Injected[Notifier]) -> str:
        return "x"

    app = FastAPI()

    @app.get("/x")
    def endpoint(value: Annotated[str, Depends(needs)]) -> None:
        pass

    with pytest.raises(BindingError) as info:
        setup(app, InjectQ(WebModule()))
    assert f"test_fastapi.py:{needs.__code__.co_firstlineno}" in str(info.value)
    assert "parameter 'n' of" in str(info.value)


def test_setup_twice_is_refused() -> None:
    """A second setup() on one app says so, with the fix."""
    app, _ = make_app()
    with pytest.raises(UsageError, match=r"setup\(\) was called twice .*Hint: call setup"):
        setup(app, InjectQ())


def test_setup_with_something_else_than_a_container() -> None:
    """The container argument is checked."""
    with pytest.raises(UsageError, match=r"takes an injectq.InjectQ container, got str"):
        setup(FastAPI(), "container")  # type: ignore[arg-type]


# -- the framework's objects as context ------------------------------------------------------


class Tenant:
    pass


class Audit:
    def __init__(self, request: Request, tasks: BackgroundTasks, session: Session) -> None:
        self.path = request.url.path
        self.session = session
        tasks.add_task(self.flush)

    def flush(self) -> None:
        events.append(f"flush {self.path} (session {self.session.number})")


class ContextModule(Module):
    def configure(self) -> None:
        self.bind(Request).from_context()
        self.bind(BackgroundTasks).from_context()
        self.bind(Audit).scoped()


def test_request_and_background_tasks_are_context_of_the_request_scope() -> None:
    """Services take Request and BackgroundTasks; the tasks run before the scope ends."""
    app, container = make_app()
    container.install(ContextModule())

    @app.get("/audit")
    def audit(a: Injected[Audit]) -> str:
        return a.path

    Session.count = 0
    with TestClient(app) as client:
        assert client.get("/audit").json() == "/audit"
        assert client.get("/greet/ada").status_code == 200  # no Audit: no task, no error
    assert events == ["flush /audit (session 1)", "dispose session 1", "dispose session 2"]


def test_a_context_key_fastapi_cannot_supply_is_refused_at_setup() -> None:
    """A key declared .from_context() for the request scope that FastAPI has not: setup fails."""

    class TenantModule(Module):
        def configure(self) -> None:
            self.bind(Tenant).from_context()

    with pytest.raises(BindingError) as info:
        setup(FastAPI(), InjectQ(TenantModule()))
    text = str(info.value)
    assert info.value.codes == ("unsupplied-context",)
    assert (
        'FastAPI cannot supply Tenant, declared with .from_context() for the scope "request"'
        in text
    )
    assert "FastAPI supplies: Request, WebSocket, HTTPConnection, BackgroundTasks." in text
    assert "Tenant declared at: tests/test_fastapi.py:" in text
    assert "Hint: bind Tenant with a scoped provider that takes what FastAPI supplies" in text


def test_a_key_that_turns_async_under_an_override_is_awaited() -> None:
    """Served sync first; an override with an async provider is then awaited, not refused."""
    app, container = make_app()

    @app.get("/settings")
    async def settings(s: Injected[Settings]) -> str:
        return s.greeting

    class Loud(Settings):
        greeting = "LOUD"

    async def loud() -> Settings:
        return Loud()

    with TestClient(app) as client:
        assert client.get("/settings").json() == "hello"
        with container.override(Settings, loud):
            assert client.get("/settings").json() == "LOUD"
        assert client.get("/settings").json() == "hello"


class Peer:
    """A service built from the WebSocket of its connection: context of the scope."""

    def __init__(self, websocket: WebSocket) -> None:
        self.path = websocket.url.path


def test_the_websocket_is_context_of_its_connections_scope() -> None:
    """A service taking FastAPI's WebSocket gets the connection's."""

    class SocketModule(Module):
        def configure(self) -> None:
            self.bind(WebSocket).from_context()
            self.bind(Peer).scoped()

    app = FastAPI()

    @app.websocket("/peer/{name}")
    async def peer(websocket: WebSocket, name: str, who: Injected[Peer]) -> None:
        await websocket.accept()
        await websocket.send_text(who.path)
        await websocket.close()

    setup(app, InjectQ(SocketModule()))
    with TestClient(app) as client:
        for name in ("ada", "bob"):
            with client.websocket_connect(f"/peer/{name}") as socket_:
                assert socket_.receive_text() == f"/peer/{name}"


def test_start_up_code_runs_with_the_container_active() -> None:
    """The app's own lifespan runs inside the container's: @inject functions resolve."""
    seen: list[object] = []

    @inject
    def greeting(settings: Settings = INJECTED) -> str:
        return settings.greeting

    @asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[None]:
        seen.extend([InjectQ.current(), greeting()])
        yield

    app = FastAPI(lifespan=own)
    container = InjectQ(WebModule())
    setup(app, container)
    with TestClient(app):
        assert seen == [container, "hello"]
