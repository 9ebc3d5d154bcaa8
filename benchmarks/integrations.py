"""Per-request overhead of the framework integrations, against each framework's own DI.

Usage: python -m benchmarks.integrations [--quick]

Every variant serves the same endpoint: it receives a request-scoped ``Service`` that takes
a singleton ``Config`` and returns a small JSON body. Per framework, measured in the same
run and interleaved (the best of several rounds is kept):

- ``bare``: the endpoint builds ``Service(CONFIG)`` itself, no DI at all;
- the framework's own mechanism where it has one (FastAPI ``Depends``, Litestar
  ``Provide``), a per-request dependency built from a singleton;
- ``injectq``: ``setup(app, container)`` and ``Injected[Service]``.

ASGI apps (Django's ``ASGIHandler`` too) and WSGI apps (Flask, Django's ``WSGIHandler``) are
called in-process (no sockets, no client), so the figures are the framework's own
per-request cost; Celery tasks run through ``task.apply()`` (no broker, no worker); aiohttp
is driven through its test server on loopback, so its figures include HTTP parsing on both
sides, the same for every variant. Printed: µs per request, the overhead over ``bare``, and
injectq's time as a ratio of the framework's own DI (or of ``bare`` where the framework has
none). Click is not measured: a CLI run is one process, whose container is entered at its
first command and closed at its end.

Times are the CPU time of this process (`time.process_time`), threads included (Django's
ASGI handler runs sync code in a thread; aiohttp's client and server share the process), so
the load other processes put on a shared machine does not enter the figures.
"""

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from injectq import InjectQ, Module

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGI = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


class Config:
    def __init__(self) -> None:
        self.greeting = "hello"


class Service:
    def __init__(self, config: Config) -> None:
        self.config = config

    def answer(self) -> dict[str, str]:
        return {"text": self.config.greeting}


CONFIG = Config()


class BenchModule(Module):
    def configure(self) -> None:
        self.bind(Config, CONFIG)
        self.bind(Service).scoped()


# -- driving ASGI apps in-process ----------------------------------------------------------------


async def _lifespan(app: ASGI) -> Callable[[], Awaitable[None]]:
    """Run the app's start-up; return what runs its shut-down."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: dict[str, Any]) -> None:
        await outbox.put(message)

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await inbox.put({"type": "lifespan.startup"})
    started = await asyncio.wait_for(outbox.get(), 10)
    if started["type"] != "lifespan.startup.complete":
        msg = f"start-up failed: {started}"
        raise RuntimeError(msg)

    async def shutdown() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(outbox.get(), 10)
        await asyncio.wait_for(task, 10)

    return shutdown


async def _requests(app: ASGI, path: str, count: int) -> float:
    """Seconds per GET of ``path``, each a fresh ASGI scope; checks every answer is 200."""
    body = {"type": "http.request", "body": b"", "more_body": False}
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return body

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    def scope() -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"bench")],
            "client": ("127.0.0.1", 1),
            "server": ("bench", 80),
            "state": {},
        }

    start = time.process_time()
    for _ in range(count):
        await app(scope(), receive, send)
    elapsed = time.process_time() - start
    if statuses != [200] * count:
        msg = f"{path}: not every answer was 200 ({sorted(set(statuses))})"
        raise RuntimeError(msg)
    return elapsed / count


# -- the apps ------------------------------------------------------------------------------------


def fastapi_apps() -> dict[str, ASGI]:
    from typing import Annotated

    from fastapi import Depends, FastAPI

    from injectq.integrations.fastapi import Injected, setup

    bare = FastAPI()

    @bare.get("/x")
    async def bare_endpoint() -> dict[str, str]:
        return Service(CONFIG).answer()

    own = FastAPI()

    async def service() -> Service:  # async: no thread hop, FastAPI's cheapest dependency
        return Service(CONFIG)

    @own.get("/x")
    async def own_endpoint(s: Annotated[Service, Depends(service)]) -> dict[str, str]:
        return s.answer()

    ours = FastAPI()
    setup(ours, InjectQ(BenchModule()))

    @ours.get("/x")
    async def ours_endpoint(s: Injected[Service]) -> dict[str, str]:
        return s.answer()

    return {"bare": bare, "Depends": own, "injectq": ours}


def starlette_apps() -> dict[str, ASGI]:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from injectq.integrations.starlette import Injected, setup

    async def bare_endpoint(request: Request) -> JSONResponse:
        return JSONResponse(Service(CONFIG).answer())

    async def ours_endpoint(request: Request, s: Injected[Service]) -> JSONResponse:
        return JSONResponse(s.answer())

    ours = Starlette(routes=[Route("/x", ours_endpoint)])
    setup(ours, InjectQ(BenchModule()))
    return {"bare": Starlette(routes=[Route("/x", bare_endpoint)]), "injectq": ours}


def litestar_apps() -> dict[str, ASGI]:
    from litestar import Litestar, get
    from litestar.di import Provide

    from injectq.integrations.litestar import Injected, setup

    @get("/x")
    async def bare_endpoint() -> dict[str, str]:
        return Service(CONFIG).answer()

    def service() -> Service:
        return Service(CONFIG)

    @get("/x", dependencies={"s": Provide(service, sync_to_thread=False)})
    async def own_endpoint(s: Service) -> dict[str, str]:
        return s.answer()

    @get("/x")
    async def ours_endpoint(s: Injected[Service]) -> dict[str, str]:
        return s.answer()

    return {
        "bare": Litestar(route_handlers=[bare_endpoint], logging_config=None),
        "Provide": Litestar(
            route_handlers=[own_endpoint], signature_types=[Service], logging_config=None
        ),
        "injectq": Litestar(
            route_handlers=[ours_endpoint],
            plugins=[setup(InjectQ(BenchModule()))],
            logging_config=None,
        ),
    }


async def measure_asgi(apps: dict[str, ASGI], count: int, rounds: int) -> dict[str, float]:
    best = dict.fromkeys(apps, float("inf"))
    stops = [await _lifespan(app) for app in apps.values()]
    try:
        for app in apps.values():  # warm up: plans, caches, first-call paths
            await _requests(app, "/x", 200)
        for _ in range(rounds):
            for name, app in apps.items():
                best[name] = min(best[name], await _requests(app, "/x", count))
    finally:
        for stop in stops:
            await stop()
    return best


async def measure_aiohttp(count: int, rounds: int) -> dict[str, float]:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from injectq.integrations.aiohttp import Injected, handler, setup

    async def bare_endpoint(request: web.Request) -> web.Response:
        return web.json_response(Service(CONFIG).answer())

    async def ours_endpoint(request: web.Request, s: Injected[Service]) -> web.Response:
        return web.json_response(s.answer())

    bare = web.Application()
    bare.router.add_get("/x", bare_endpoint)
    ours = web.Application()
    ours.router.add_get("/x", handler(ours_endpoint))
    setup(ours, InjectQ(BenchModule()))
    best = {"bare": float("inf"), "injectq": float("inf")}
    quiet = {"access_log": None}
    async with (
        TestClient(TestServer(bare, **quiet)) as one,
        TestClient(TestServer(ours, **quiet)) as two,
    ):
        clients = {"bare": one, "injectq": two}

        async def run(client: TestClient[Any, Any], n: int) -> float:
            start = time.process_time()
            for _ in range(n):
                async with client.get("/x") as response:
                    if response.status != 200:
                        msg = f"aiohttp answered {response.status}"
                        raise RuntimeError(msg)
                    await response.read()
            return (time.process_time() - start) / n

        for client in clients.values():
            await run(client, 100)
        for _ in range(rounds):
            for name, client in clients.items():
                best[name] = min(best[name], await run(client, count))
    return best


# -- WSGI apps, Django under ASGI, Celery tasks -------------------------------------------------


def _environ(path: str) -> dict[str, Any]:
    import io

    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "bench",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def _wsgi_call(app: Callable[..., Any], path: str) -> Callable[[], None]:
    """One GET of ``path`` through a WSGI app, its body read and closed; checks the 200."""
    statuses: list[str] = []

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    def call() -> None:
        body = app(_environ(path), start_response)
        try:
            b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        if statuses.pop() != "200 OK":
            msg = f"{path}: the WSGI app did not answer 200"
            raise RuntimeError(msg)

    return call


def measure_calls(
    calls: dict[str, Callable[[], None]], count: int, rounds: int
) -> dict[str, float]:
    """The best time per call of each variant, interleaved round by round."""
    best = dict.fromkeys(calls, float("inf"))
    for call in calls.values():
        for _ in range(200):
            call()
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.process_time()
            for _ in range(count):
                call()
            best[name] = min(best[name], (time.process_time() - start) / count)
    return best


def flask_calls() -> dict[str, Callable[[], None]]:
    from flask import Flask

    from injectq.integrations.flask import Injected, setup

    bare = Flask("bare")

    @bare.get("/x")
    def bare_view() -> dict[str, str]:
        return Service(CONFIG).answer()

    ours = Flask("ours")

    @ours.get("/x")
    def ours_view(s: Injected[Service]) -> dict[str, str]:
        return s.answer()

    setup(ours, InjectQ(BenchModule()))
    return {"bare": _wsgi_call(bare, "/x"), "injectq": _wsgi_call(ours, "/x")}


def _django() -> tuple[Any, Any]:
    """Django configured for the bench: the two views, and settings for both handlers."""
    import types

    import django
    from django.conf import settings
    from django.http import HttpRequest, JsonResponse
    from django.urls import path

    from injectq.integrations.django import Injected, setup

    def bare_view(request: HttpRequest) -> JsonResponse:
        return JsonResponse(Service(CONFIG).answer())

    def ours_view(request: HttpRequest, s: Injected[Service]) -> JsonResponse:
        return JsonResponse(s.answer())

    urls = types.ModuleType("bench_urls")
    urls.urlpatterns = [path("bare", bare_view), path("ours", ours_view)]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    settings.configure(
        SECRET_KEY="bench",
        ALLOWED_HOSTS=["bench"],
        ROOT_URLCONF=urls.__name__,
        MIDDLEWARE=[],
        DEBUG=False,
        DATABASES={},
        LOGGING_CONFIG=None,
    )
    django.setup()
    setup(InjectQ(BenchModule()), urlconf=urls)
    from django.test import override_settings

    ours = override_settings(MIDDLEWARE=["injectq.integrations.django.InjectQMiddleware"])
    return override_settings(MIDDLEWARE=[]), ours


def django_calls(settings: tuple[Any, Any]) -> dict[str, Callable[[], None]]:
    from django.core.handlers.wsgi import WSGIHandler

    bare, ours = settings
    with bare:
        bare_handler = WSGIHandler()
    with ours:
        ours_handler = WSGIHandler()
    return {"bare": _wsgi_call(bare_handler, "/bare"), "injectq": _wsgi_call(ours_handler, "/ours")}


async def _django_asgi_request(app: ASGI, path: str) -> None:
    """One GET through Django's ASGIHandler; the disconnect comes after the response."""
    done = asyncio.Event()
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        elif not message.get("more_body"):
            done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    await app(scope, receive, send)
    if statuses != [200]:
        msg = f"{path}: Django answered {statuses}"
        raise RuntimeError(msg)


async def measure_django_asgi(
    settings: tuple[Any, Any], count: int, rounds: int
) -> dict[str, float]:
    from django.core.handlers.asgi import ASGIHandler

    bare, ours = settings
    with bare:
        bare_app: Any = ASGIHandler()
    with ours:
        ours_app: Any = ASGIHandler()
    apps = {"bare": (bare_app, "/bare"), "injectq": (ours_app, "/ours")}
    best = dict.fromkeys(apps, float("inf"))
    for app, path in apps.values():
        for _ in range(100):
            await _django_asgi_request(app, path)
    for _ in range(rounds):
        for name, (app, path) in apps.items():
            start = time.process_time()
            for _ in range(count):
                await _django_asgi_request(app, path)
            best[name] = min(best[name], (time.process_time() - start) / count)
    return best


def celery_calls() -> dict[str, Callable[[], None]]:
    from celery import Celery

    from injectq.integrations.celery import Injected, setup

    app = Celery("bench", broker="memory://", set_as_current=False)

    @app.task(shared=False)
    def bare() -> dict[str, str]:
        return Service(CONFIG).answer()

    @app.task(shared=False)
    def ours(s: Injected[Service]) -> dict[str, str]:
        return s.answer()

    setup(app, InjectQ(BenchModule()))

    def run(task: Any) -> Callable[[], None]:
        def call() -> None:
            if task.apply().get() != {"text": "hello"}:
                msg = "the task did not answer"
                raise RuntimeError(msg)

        return call

    return {"bare": run(bare), "injectq": run(ours)}


def report(framework: str, best: dict[str, float]) -> None:
    bare = best["bare"]
    own = next((name for name in best if name not in ("bare", "injectq")), None)
    parts = [f"{name} {seconds * 1e6:7.1f} µs" for name, seconds in best.items()]
    overhead = (best["injectq"] - bare) * 1e6
    reference = own or "bare"
    ratio = best["injectq"] / best[reference]
    print(f"{framework:<11} " + " | ".join(parts))
    own_overhead = f", {own} +{(best[own] - bare) * 1e6:.1f} µs" if own else ""
    print(
        f"{'':<11} injectq / {reference} = {ratio:.2f}x; over bare: injectq "
        f"+{overhead:.1f} µs{own_overhead}"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    count, rounds = (300, 2) if quick else (500, 15)
    print(f"per-request time, best of {rounds} rounds of {count} requests")
    report("FastAPI", asyncio.run(measure_asgi(fastapi_apps(), count, rounds)))
    report("Starlette", asyncio.run(measure_asgi(starlette_apps(), count, rounds)))
    report("Litestar", asyncio.run(measure_asgi(litestar_apps(), count, rounds)))
    report("aiohttp", asyncio.run(measure_aiohttp(count // 4, rounds)))
    report("Flask", measure_calls(flask_calls(), count, rounds))
    django = _django()
    report("Django", measure_calls(django_calls(django), count, rounds))
    report("Django/ASGI", asyncio.run(measure_django_asgi(django, count // 2, rounds)))
    report("Celery", measure_calls(celery_calls(), count // 2, rounds))


if __name__ == "__main__":
    main()
