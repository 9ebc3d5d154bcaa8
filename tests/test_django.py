"""The Django integration, driven with django.test.Client; settings configured here."""

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import django
import httpx
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIHandler
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, path
from django.views import View

from injectq import (
    INJECTED,
    BindingError,
    InjectQ,
    Module,
    Named,
    UsageError,
    inject,
    provider,
)
from injectq.integrations import django as integration
from injectq.integrations.django import Injected, setup
from tests.sync_support import (
    Clock,
    Missing,
    Session,
    StoreModule,
    TenantModule,
    assert_reported,
    clear_events,  # noqa: F401 - the autouse fixture, by import
    events,
    in_two_threads,
    rows,
)

MIDDLEWARE = ["injectq.integrations.django.InjectQMiddleware"]


class Caller:
    def __init__(self, req: HttpRequest) -> None:
        self.name = req.GET.get("name", "nobody")


class Audit:
    """Made by an async generator provider: only the ASGI middleware can inject it."""

    def __init__(self) -> None:
        self.entries: list[str] = []


class WebModule(StoreModule):
    def configure(self) -> None:
        super().configure()
        self.bind(HttpRequest).from_context()
        self.bind(Caller).scoped()

    @provider(scope="request")
    async def audit(self) -> AsyncIterator[Audit]:
        audit = Audit()
        yield audit
        events.append(f"audit {audit.entries}")


@inject
def current_session(session: Session = INJECTED) -> Session:
    return session


@inject
async def acurrent_session(session: Session = INJECTED) -> Session:
    return session


def greet(
    request: HttpRequest,
    session: Injected[Session],
    again: Injected[Session],
    word: Injected[Annotated[str, Named("greeting")]],
) -> JsonResponse:
    return JsonResponse({"word": word, "session": session.number, "same": session is again})


def caller(request: HttpRequest, who: Injected[Caller]) -> HttpResponse:
    return HttpResponse(who.name)


def user(request: HttpRequest, user_id: int, session: Injected[Session]) -> HttpResponse:
    return HttpResponse(f"{user_id} in {session.number}")


def create(request: HttpRequest, name: str, conn: Injected[sqlite3.Connection]) -> HttpResponse:
    conn.execute("INSERT INTO accounts VALUES (?)", (name,))
    if name == "missing":
        raise Http404
    if name == "forbidden":
        raise PermissionDenied
    if name == "boom":
        msg = "unexpected"
        raise RuntimeError(msg)
    return HttpResponse("created")


def stream(request: HttpRequest, session: Injected[Session]) -> StreamingHttpResponse:
    def body() -> Iterator[str]:
        for part in "abc":
            events.append(f"chunk {part}")
            yield part

    return StreamingHttpResponse(body())


def astream(request: HttpRequest, session: Injected[Session]) -> StreamingHttpResponse:
    async def body() -> AsyncIterator[str]:
        for part in "abc":
            events.append(f"chunk {part}")
            # The body runs in the request's scope: what it resolves is the view's.
            yield f"{part}{(await acurrent_session()) is session:d}"

    return StreamingHttpResponse(body())


def lazy_stream(request: HttpRequest, session: Injected[Session]) -> StreamingHttpResponse:
    def body() -> Iterator[str]:
        for part in "abc":
            events.append(f"chunk {part}")
            yield f"{part}{current_session() is session:d}"

    return StreamingHttpResponse(body())


async def agreet(request: HttpRequest, session: Injected[Session], again: Injected[Session]) -> Any:
    await asyncio.sleep(0)
    return JsonResponse({"session": session.number, "same": session is again})


async def acreate(
    request: HttpRequest, name: str, conn: Injected[sqlite3.Connection]
) -> HttpResponse:
    conn.execute("INSERT INTO accounts VALUES (?)", (name,))
    await asyncio.sleep(0)
    if name == "missing":
        raise Http404
    if name == "boom":
        msg = "unexpected"
        raise RuntimeError(msg)
    return HttpResponse("created")


async def audited(request: HttpRequest, audit: Injected[Audit]) -> HttpResponse:
    audit.entries.append("seen")
    return HttpResponse("audited")


ARRIVED: list[int] = []
BOTH = asyncio.Event()


async def ahold(request: HttpRequest, session: Injected[Session]) -> HttpResponse:
    ARRIVED.append(id(session))
    if len(ARRIVED) == 2:
        BOTH.set()
    await asyncio.wait_for(BOTH.wait(), 5)
    return HttpResponse(str(id(session)))


HOLD = threading.Barrier(2, timeout=5)
SEEN: dict[str, int] = {}


def hold(request: HttpRequest, who: str, session: Injected[Session]) -> HttpResponse:
    HOLD.wait()
    SEEN[who] = id(session)
    return HttpResponse(str(session.number))


class Greeting(View):
    def get(self, request: HttpRequest, session: Injected[Session]) -> HttpResponse:
        return HttpResponse(f"view {session.number}")


urlpatterns: list[URLPattern] = [
    path("greet", greet),
    path("caller", caller),
    path("user/<int:user_id>", user),
    path("accounts/<str:name>", create),
    path("stream", stream),
    path("hold/<str:who>", hold),
    path("class", Greeting.as_view()),
    path("astream", astream),
    path("lazy-stream", lazy_stream),
    path("agreet", agreet),
    path("aaccounts/<str:name>", acreate),
    path("ahold", ahold),
    path("audited", audited),
]


@pytest.fixture(autouse=True)
def django_settings() -> Iterator[None]:
    """Settings for this file; each test's container is closed after it."""
    if not settings.configured:
        settings.configure(
            SECRET_KEY="tests",
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=MIDDLEWARE,
            DEBUG=False,
            DATABASES={},
        )
        django.setup()
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=MIDDLEWARE):
        yield
    wiring = integration._wiring
    if wiring is not None:
        wiring.container.close()


def served(module: Module) -> InjectQ:
    container = InjectQ(module)
    setup(container, urlconf=__name__)
    return container


def test_each_request_gets_its_own_scope_disposed_at_its_end(db: Path) -> None:
    """One session per request, shared inside it, disposed when the response is done."""
    served(WebModule(db))
    client = Client()
    first = client.get("/greet").json()
    assert events == [f"dispose session {first['session']}"]
    second = client.get("/greet").json()
    assert first["same"] is second["same"] is True
    assert first["word"] == "hello"
    assert second["session"] == first["session"] + 1


def test_url_arguments_and_injected_parameters_together(db: Path) -> None:
    """Django passes the URL's arguments; the middleware adds the Injected ones."""
    served(WebModule(db))
    assert Client().get("/user/7").content.startswith(b"7 in ")


def test_class_based_view_methods_are_injected(db: Path) -> None:
    """A View's get() takes Injected parameters too."""
    served(WebModule(db))
    assert Client().get("/class").content.startswith(b"view ")
    assert len(events) == 1


def test_the_request_is_context_of_the_scope(db: Path) -> None:
    """A service taking HttpRequest receives this request."""
    served(WebModule(db))
    client = Client()
    assert client.get("/caller?name=ada").content == b"ada"
    assert client.get("/caller?name=bob").content == b"bob"


@pytest.mark.parametrize(
    ("name", "status", "seen"),
    [("missing", 404, "Http404"), ("forbidden", 403, "PermissionDenied")],
)
def test_an_exception_django_turns_into_a_response_rolls_back(
    name: str, status: int, seen: str, db: Path
) -> None:
    """Http404 / PermissionDenied become responses; the transaction still rolls back."""
    served(WebModule(db))
    client = Client()
    assert client.post("/accounts/ada").status_code == 200
    assert client.post(f"/accounts/{name}").status_code == status
    assert events == ["commit", f"rollback {seen}"]
    assert rows(db) == ["ada"]


def test_an_unhandled_error_rolls_back(db: Path) -> None:
    """An exception no one handles: the test client re-raises it, after the rollback."""
    served(WebModule(db))
    with pytest.raises(RuntimeError, match="unexpected"):
        Client().post("/accounts/boom")
    assert events == ["rollback RuntimeError"]
    assert rows(db) == []


def test_an_unhandled_error_is_a_500_page(db: Path) -> None:
    """Without re-raising, the client gets Django's 500 and the row is gone."""
    served(WebModule(db))
    assert Client(raise_request_exception=False).post("/accounts/boom").status_code == 500
    assert events == ["rollback RuntimeError"]
    assert rows(db) == []


def test_streaming_response_keeps_the_scope_until_the_content_ends(db: Path) -> None:
    """The session is disposed after the last chunk was produced."""
    served(WebModule(db))
    response = Client().get("/stream")
    assert events == []
    assert b"".join(response.streaming_content) == b"abc"  # type: ignore[attr-defined]
    assert events[:3] == ["chunk a", "chunk b", "chunk c"]
    assert len(events) == 4
    assert events[3].startswith("dispose session ")


async def collect(chunks: Any) -> bytes:
    return b"".join([chunk async for chunk in chunks])


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_streaming_keeps_the_scope_open_and_the_body_in_it(kind: str, db: Path) -> None:
    """Sync and async iterators: the body sees the view's scope; teardown after the last chunk."""
    served(WebModule(db))
    response = Client().get("/lazy-stream" if kind == "sync" else "/astream")
    assert events == []
    content = response.streaming_content  # type: ignore[attr-defined]
    body = b"".join(content) if kind == "sync" else asyncio.run(collect(content))
    assert body == b"a1b1c1"
    assert events[:3] == ["chunk a", "chunk b", "chunk c"]
    assert len(events) == 4
    assert events[3].startswith("dispose session ")


@pytest.mark.parametrize("where", ["/lazy-stream", "/astream"])
def test_a_stream_closed_before_its_end_leaves_the_scope(where: str, db: Path) -> None:
    """The server closes the response without reading it all: the scope is left then."""
    served(WebModule(db))
    response = Client().get(where)
    assert events == []
    response.close()
    assert len(events) == 1
    assert events[0].startswith("dispose session ")


def test_an_async_view_under_wsgi(db: Path) -> None:
    """Django runs an async view for the sync handler; its Injected arguments are filled."""
    served(WebModule(db))
    answer = Client().get("/agreet").json()
    assert answer["same"] is True
    assert events == [f"dispose session {answer['session']}"]


def test_two_concurrent_requests_never_share_a_scoped_instance(db: Path) -> None:
    """Requests overlapping in two threads each get their own session."""
    served(WebModule(db))
    answers: dict[str, bytes] = {}

    def run(who: str) -> None:
        answers[who] = Client().get(f"/hold/{who}").content

    in_two_threads(run)
    assert SEEN["a"] != SEEN["b"]
    assert answers["a"] != answers["b"]
    assert sorted(events) == sorted(f"dispose session {answers[w].decode()}" for w in ("a", "b"))


def broken(request: HttpRequest, thing: Injected[Missing]) -> HttpResponse:
    return HttpResponse("never")


def misspelled(request: HttpRequest, word: Injected[Annotated[str, Named("greting")]]) -> Any:
    return HttpResponse("never")


broken_urls = ModuleType("broken_urls")
broken_urls.urlpatterns = [path("broken", broken), path("misspelled", misspelled)]  # type: ignore[attr-defined]


def test_setup_reports_every_broken_view_at_once(db: Path) -> None:
    """Two views, two problems, one BindingError with each view's file:line."""
    with pytest.raises(BindingError) as info:
        setup(InjectQ(WebModule(db)), urlconf=broken_urls)
    assert_reported(info.value, "test_django.py", ("broken", "misspelled"))
    assert integration._wiring is None or integration._wiring.container.closed


def test_views_added_after_setup_are_validated_at_the_first_request(db: Path) -> None:
    """The first request checks every view again: a late broken one fails it."""
    served(WebModule(db))
    urlpatterns.append(path("late", broken))
    try:
        with pytest.raises(BindingError, match=r"broken"):
            Client().get("/greet")
    finally:
        urlpatterns.pop()


def test_setup_twice_is_a_usage_error(db: Path) -> None:
    """A second setup() while the first container is open says how to fix it."""
    served(WebModule(db))
    with pytest.raises(UsageError, match=r"Django setup\(\) was called twice in this process"):
        setup(InjectQ(WebModule(db)), urlconf=__name__)


def test_a_request_without_setup_is_a_usage_error() -> None:
    """The middleware without setup(): a clear error naming setup()."""
    with pytest.raises(UsageError, match=r"setup\(container\)"):
        Client().get("/greet")


def test_a_context_key_django_cannot_supply_is_reported_at_setup() -> None:
    """A request-scope context key other than HttpRequest: setup() names it."""
    with pytest.raises(
        BindingError, match=r"\[unsupplied-context\] Django cannot supply Tenant"
    ) as info:
        setup(InjectQ(TenantModule()), urlconf=__name__)
    assert "Django supplies: HttpRequest." in str(info.value)


def test_setup_enters_the_container(db: Path) -> None:
    """Eager singletons exist once setup() returns."""

    class EagerModule(WebModule):
        def configure(self) -> None:
            super().configure()
            self.bind(Clock).eager()

    served(EagerModule(db))
    assert events == ["clock"]


# -- under ASGI: django.core.handlers.asgi.ASGIHandler, driven by httpx ---------------------------


def asgi_client() -> httpx.AsyncClient:
    """An HTTP client of a Django ASGI application (the middleware loaded in async mode)."""
    app: Any = ASGIHandler()  # its annotations are narrower than httpx's ASGI callable
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_asgi_an_async_view_gets_a_scope_per_request(db: Path) -> None:
    """Two requests, two sessions, each shared inside its request and disposed at its end."""
    served(WebModule(db))
    async with asgi_client() as client:
        first = (await client.get("/agreet")).json()
        assert events == [f"dispose session {first['session']}"]
        second = (await client.get("/agreet")).json()
    assert first["same"] is second["same"] is True
    assert second["session"] == first["session"] + 1
    assert events == [f"dispose session {first['session']}", f"dispose session {second['session']}"]


async def test_asgi_sync_views_class_views_and_the_request_as_context(db: Path) -> None:
    """A sync view, a class-based one, and a service built from the request, under ASGI."""
    served(WebModule(db))
    async with asgi_client() as client:
        assert (await client.get("/greet")).json()["same"] is True
        assert (await client.get("/class")).text.startswith("view ")
        assert (await client.get("/caller?name=ada")).text == "ada"
        assert (await client.get("/user/7")).text.startswith("7 in ")


async def test_asgi_an_async_provider_is_injected_and_torn_down(db: Path) -> None:
    """Injected arguments are awaited under ASGI: an async generator provider works."""
    served(WebModule(db))
    async with asgi_client() as client:
        assert (await client.get("/audited")).text == "audited"
    assert events == ["audit ['seen']"]


@pytest.mark.parametrize("where", ["/accounts", "/aaccounts"])
async def test_asgi_http404_rolls_the_transaction_back(where: str, db: Path) -> None:
    """A write, then the 404 Django makes of Http404: the SQLite file has no row."""
    served(WebModule(db))
    async with asgi_client() as client:
        assert (await client.post(f"{where}/ada")).status_code == 200
        assert (await client.post(f"{where}/missing")).status_code == 404
    assert events == ["commit", "rollback Http404"]
    assert rows(db) == ["ada"]


@pytest.mark.parametrize("where", ["/accounts", "/aaccounts"])
async def test_asgi_an_unhandled_error_rolls_back_and_answers_500(where: str, db: Path) -> None:
    """An exception nothing handles: Django's 500, the row rolled back."""
    served(WebModule(db))
    async with asgi_client() as client:
        assert (await client.post(f"{where}/boom")).status_code == 500
    assert events == ["rollback RuntimeError"]
    assert rows(db) == []


@pytest.mark.parametrize("where", ["/lazy-stream", "/astream"])
async def test_asgi_streaming_keeps_the_scope_to_the_last_chunk(where: str, db: Path) -> None:
    """Sync and async iterators under ASGI: the body sees the view's scope, then teardown."""
    served(WebModule(db))
    async with asgi_client() as client:
        response = await client.get(where)
    assert response.content == b"a1b1c1"
    assert events[:3] == ["chunk a", "chunk b", "chunk c"]
    assert len(events) == 4
    assert events[3].startswith("dispose session ")


async def test_asgi_two_concurrent_requests_never_share_a_scoped_instance(db: Path) -> None:
    """Both requests hold their session across an await while the other runs."""
    served(WebModule(db))
    ARRIVED.clear()
    BOTH.clear()
    async with asgi_client() as client:
        answers = await asyncio.wait_for(
            asyncio.gather(client.get("/ahold"), client.get("/ahold")), 10
        )
    ids = sorted(int(a.text) for a in answers)
    assert len(set(ids)) == 2
    assert ids == sorted(ARRIVED)
    assert len(events) == 2


async def test_asgi_a_client_gone_mid_stream_still_leaves_the_scope(db: Path) -> None:
    """The client stops reading after the first chunk: Django abandons the body, then closes
    the response from its sync thread; the scope is left there, in its own context."""
    served(WebModule(db))
    first_chunk = asyncio.Event()
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if requests:
            return requests.pop()
        await first_chunk.wait()
        return {"type": "http.disconnect"}

    async def send(message: Mapping[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            first_chunk.set()
            await asyncio.Event().wait()  # the client is gone: this send never completes

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/astream",
        "raw_path": b"/astream",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    await asyncio.wait_for(ASGIHandler()(scope, receive, send), 10)
    assert events[0] == "chunk a"
    assert len(events) == 2
    assert events[1].startswith("dispose session ")
