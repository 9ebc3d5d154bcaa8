"""Per-request overhead of the framework integrations, against each framework's own DI.

Usage: python -m benchmarks.integrations [--quick]

Every variant serves the same endpoint: it receives a request-scoped ``Service`` that takes
a singleton ``Config`` and returns a small JSON body. Per framework, measured in the same
run and interleaved (the best of several rounds is kept):

- ``bare``: the endpoint builds ``Service(CONFIG)`` itself, no DI at all;
- the framework's own mechanism where it has one (FastAPI ``Depends``, Litestar
  ``Provide``), a per-request dependency built from a singleton;
- ``injectq``: ``setup(app, container)`` and ``Injected[Service]``.

ASGI apps are called in-process (no sockets, no client), so the figures are the
framework's own per-request cost; aiohttp is driven through its test server on loopback,
so its figures include HTTP parsing on both sides, the same for every variant. Printed: µs
per request, the overhead over ``bare``, and injectq's time as a ratio of the framework's
own DI (or of ``bare`` where the framework has none).
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

    start = time.perf_counter()
    for _ in range(count):
        await app(scope(), receive, send)
    elapsed = time.perf_counter() - start
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
            start = time.perf_counter()
            for _ in range(n):
                async with client.get("/x") as response:
                    if response.status != 200:
                        msg = f"aiohttp answered {response.status}"
                        raise RuntimeError(msg)
                    await response.read()
            return (time.perf_counter() - start) / n

        for client in clients.values():
            await run(client, 100)
        for _ in range(rounds):
            for name, client in clients.items():
                best[name] = min(best[name], await run(client, count))
    return best


def report(framework: str, best: dict[str, float]) -> None:
    bare = best["bare"]
    own = next((name for name in best if name not in ("bare", "injectq")), None)
    parts = [f"{name} {seconds * 1e6:7.1f} µs" for name, seconds in best.items()]
    overhead = (best["injectq"] - bare) * 1e6
    reference = own or "bare"
    ratio = best["injectq"] / best[reference]
    print(f"{framework:<10} " + " | ".join(parts))
    own_overhead = f", {own} +{(best[own] - bare) * 1e6:.1f} µs" if own else ""
    print(
        f"{'':<10} injectq / {reference} = {ratio:.2f}x; over bare: injectq "
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


if __name__ == "__main__":
    main()
