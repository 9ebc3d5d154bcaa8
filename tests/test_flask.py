"""The Flask integration, driven with Flask's test client and a real werkzeug server."""

import http.client
import itertools
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import pytest
from flask import Flask, Request, Response, abort, request
from werkzeug.serving import make_server

from injectq import BindingError, InjectQ, Module, Named, UsageError, provider
from injectq.integrations.flask import Injected, setup
from tests.sync_support import (
    Missing,
    Session,
    StoreModule,
    TenantModule,
    assert_reported,
    clear_events,  # noqa: F401 - the autouse fixture, by import
    events,
    in_two_threads,
    misspelled,
    rows,
    unbound,
)


class Greeter:
    def __init__(self, session: Session) -> None:
        self.session = session


class Caller:
    """A service built from the request: context of the request scope."""

    def __init__(self, req: Request) -> None:
        self.name = req.args.get("name", "nobody")


class Clock:
    pass


class WebModule(StoreModule):
    def configure(self) -> None:
        super().configure()
        self.bind(Greeter).scoped()
        self.bind(Request).from_context()
        self.bind(Caller).scoped()
        self.bind(Clock).eager()


def make_app(path: Path) -> tuple[Flask, InjectQ]:
    app = Flask(__name__)
    container = InjectQ(WebModule(path))

    @app.get("/greet")
    def greet(
        greeter: Injected[Greeter],
        again: Injected[Greeter],
        word: Injected[Annotated[str, Named("greeting")]],
    ) -> dict[str, object]:
        return {"word": word, "session": greeter.session.number, "same": greeter is again}

    @app.get("/caller")
    def caller(who: Injected[Caller]) -> str:
        return who.name

    @app.get("/user/<int:user_id>")
    def user(user_id: int, session: Injected[Session]) -> str:
        return f"{user_id} in {session.number}"

    @app.get("/stream")
    def stream(session: Injected[Session]) -> Response:
        def body() -> Iterator[str]:
            for part in "abc":
                events.append(f"chunk {part}")
                yield part

        return Response(body())

    setup(app, container)
    return app, container


def test_each_request_gets_its_own_scope_disposed_at_its_end(db: Path) -> None:
    """One session per request, shared inside it, disposed when the request ends."""
    app, _ = make_app(db)
    client = app.test_client()
    first = client.get("/greet").get_json()
    assert events == [f"dispose session {first['session']}"]
    second = client.get("/greet").get_json()
    assert first["same"] is second["same"] is True
    assert first["word"] == "hello"
    assert second["session"] == first["session"] + 1
    assert events == [f"dispose session {first['session']}", f"dispose session {second['session']}"]


def test_view_arguments_and_injected_parameters_together(db: Path) -> None:
    """URL variables are passed by Flask; only the Injected parameters are resolved."""
    app, _ = make_app(db)
    text = app.test_client().get("/user/7").get_data(as_text=True)
    assert text.startswith("7 in ")


def test_async_views_are_injected_too(db: Path) -> None:
    """An async view gets its Injected parameters; its session is disposed per request."""
    app, _ = make_app(db)

    @app.get("/async")
    async def greet_async(greeter: Injected[Greeter]) -> str:
        return f"async {greeter.session.number}"

    text = app.test_client().get("/async").get_data(as_text=True)
    number = text.removeprefix("async ")
    assert text.startswith("async ")
    assert events == [f"dispose session {number}"]


def test_the_request_is_context_of_the_scope(db: Path) -> None:
    """A service taking flask.Request receives this request's object."""
    app, _ = make_app(db)
    client = app.test_client()
    assert client.get("/caller?name=ada").get_data(as_text=True) == "ada"
    assert client.get("/caller?name=bob").get_data(as_text=True) == "bob"


def test_setup_enters_the_container(db: Path) -> None:
    """setup() creates the eager singletons; the container stays open for requests."""
    app, container = make_app(db)
    assert not container.closed
    assert "injectq" in app.extensions


def test_streaming_response_keeps_the_scope_until_the_body_is_closed(db: Path) -> None:
    """A generator body is sent before the request's scope is left."""
    app, _ = make_app(db)
    with app.test_client().get("/stream") as response:
        assert response.get_data() == b"abc"
        assert events == ["chunk a", "chunk b", "chunk c"]
    assert events[:3] == ["chunk a", "chunk b", "chunk c"]
    assert len(events) == 4
    assert events[3].startswith("dispose session ")


def make_bank(path: Path) -> Flask:
    """An app whose request scope holds a real SQLite transaction."""
    app = Flask(__name__)

    @app.post("/accounts/<name>")
    def create(name: str, conn: Injected[sqlite3.Connection]) -> str:
        conn.execute("INSERT INTO accounts VALUES (?)", (name,))
        if name == "taken":
            abort(409)
        if name == "boom":
            msg = "unexpected"
            raise RuntimeError(msg)
        return "created"

    setup(app, InjectQ(StoreModule(path)))
    return app


def test_abort_rolls_the_transaction_back(db: Path) -> None:
    """abort(409) becomes a response, and the generator provider still sees it: no row."""
    client = make_bank(db).test_client()
    assert client.post("/accounts/ada").status_code == 200
    assert client.post("/accounts/taken").status_code == 409
    assert events == ["commit", "rollback Conflict"]
    assert rows(db) == ["ada"]


def test_unhandled_error_rolls_back_and_answers_500(db: Path) -> None:
    """An exception no handler takes: a 500 response, the transaction rolled back."""
    client = make_bank(db).test_client()
    assert client.post("/accounts/boom").status_code == 500
    assert events == ["rollback RuntimeError"]
    assert rows(db) == []


def test_unhandled_error_propagates_in_testing_mode(db: Path) -> None:
    """With TESTING the error reaches the caller, after the scope saw it."""
    app = make_bank(db)
    app.config["TESTING"] = True
    with pytest.raises(RuntimeError, match="unexpected"):
        app.test_client().post("/accounts/boom")
    assert events == ["rollback RuntimeError"]
    assert rows(db) == []


def test_two_concurrent_requests_never_share_a_scoped_instance(db: Path) -> None:
    """Requests overlapping in two threads each get their own session."""
    app = Flask(__name__)
    barrier = threading.Barrier(2, timeout=5)
    seen: dict[str, int] = {}

    @app.get("/hold/<who>")
    def hold(who: str, session: Injected[Session]) -> str:
        barrier.wait()  # both requests are inside their scope now
        seen[who] = id(session)
        return str(session.number)

    container = InjectQ(WebModule(db))
    setup(app, container)
    answers: dict[str, str] = {}

    def run(who: str) -> None:
        answers[who] = app.test_client().get(f"/hold/{who}").get_data(as_text=True)

    in_two_threads(run)
    assert seen["a"] != seen["b"]
    assert answers["a"] != answers["b"]
    assert sorted(events) == sorted(f"dispose session {answers[w]}" for w in ("a", "b"))


def test_views_added_after_setup_are_injected_and_validated_at_first_request(db: Path) -> None:
    """Flask takes no routes after its first request: that is when late views are checked."""
    app, _ = make_app(db)

    @app.get("/late")
    def late(session: Injected[Session]) -> str:
        return "late"

    assert app.test_client().get("/late").get_data(as_text=True) == "late"


def test_late_view_with_an_unbound_dependency_fails_the_first_request(db: Path) -> None:
    """A late view that cannot be injected is a BindingError, naming it."""
    app, _ = make_app(db)
    app.config["TESTING"] = True

    @app.get("/broken")
    def broken(thing: Injected[Missing]) -> str:
        return "never"

    with pytest.raises(BindingError, match=r"broken"):
        app.test_client().get("/greet")


def test_setup_reports_every_broken_view_at_once(db: Path) -> None:
    """Two views, two problems, one BindingError with each view's file:line."""
    app = Flask(__name__)
    app.get("/one")(unbound)
    app.get("/two")(misspelled)
    with pytest.raises(BindingError) as info:
        setup(app, InjectQ(WebModule(db)))
    assert_reported(info.value)
    assert "injectq" not in app.extensions


def test_setup_twice_is_a_usage_error(db: Path) -> None:
    """A second setup() on one app says so and how to fix it."""
    app, container = make_app(db)
    with pytest.raises(UsageError, match=r"Flask setup\(\) was called twice for the app"):
        setup(app, container)


def test_a_context_key_flask_cannot_supply_is_reported_at_setup() -> None:
    """A request-scope context key other than flask.Request: setup() names it."""
    with pytest.raises(
        BindingError, match=r"\[unsupplied-context\] Flask cannot supply Tenant"
    ) as info:
        setup(Flask(__name__), InjectQ(TenantModule()))
    assert "Flask supplies: Request." in str(info.value)


def test_a_real_server_under_concurrent_load() -> None:
    """500 requests, 20 at a time, to werkzeug's threaded server: each scope closed once."""
    opened: list[int] = []
    closed: list[int] = []
    lock = threading.Lock()
    tickets = itertools.count()

    class Tracked:
        def __init__(self, req: Request) -> None:
            self.tag = req.args["tag"]

    class ServerModule(Module):
        def configure(self) -> None:
            self.bind(Request).from_context()
            self.bind(Tracked).scoped()

        @provider(scope="request")
        def ticket(self, tracked: Tracked) -> Iterator[int]:
            with lock:
                number = next(tickets)
                opened.append(number)
            yield number
            with lock:
                closed.append(number)

    app = Flask(__name__)

    @app.get("/work")
    def work(tracked: Injected[Tracked], ticket: Injected[int]) -> str:
        return f"{tracked.tag}:{request.args['tag']}"

    setup(app, InjectQ(ServerModule()))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def get(tag: int) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("GET", f"/work?tag={tag}")
            return conn.getresponse().read().decode()
        finally:
            conn.close()

    try:
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(get, range(500), timeout=60))
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert answers == [f"{tag}:{tag}" for tag in range(500)]
    assert len(opened) == 500
    assert sorted(opened) == sorted(closed)
