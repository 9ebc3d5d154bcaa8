"""The FastAPI integration, driven with FastAPI's TestClient."""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from injectq import InjectQ, Module, provider, resource
from injectq.integrations.fastapi import Injected, setup

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


class WebModule(Module):
    def configure(self) -> None:
        self.bind(Settings).singleton()
        self.bind(Session).scoped()
        self.bind(Users).scoped()
        self.bind(Clock).eager()

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
        again: Annotated[Users, Injected(Users)],
    ) -> dict[str, object]:
        return {"text": users.greet(name), "same": users is again}

    @app.get("/token")
    async def token(value: Annotated[str, Injected(str)]) -> dict[str, str]:
        return {"token": value}

    @app.get("/stream")
    def stream(session: Annotated[Session, Injected(Session)]) -> StreamingResponse:
        def body() -> Iterator[bytes]:
            for part in ("a", "b", "c"):
                events.append(f"chunk {part}")
                yield part.encode()

        return StreamingResponse(body())

    @app.get("/fail")
    def fail(session: Annotated[Session, Injected(Session)]) -> None:
        raise HTTPException(status_code=418, detail="teapot")

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
    from contextlib import asynccontextmanager

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
