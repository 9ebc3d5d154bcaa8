"""Type-checked, never run: what type checkers see of the integrations' `Injected`."""

from collections.abc import Awaitable, Callable
from typing import Annotated, assert_type

from aiohttp import web

from injectq import Named
from injectq.integrations import aiohttp, fastapi, litestar, starlette


class Users:
    pass


def fastapi_endpoint(
    a: fastapi.Injected[Users],
    b: fastapi.Injected[Annotated[Users, Named("x")]],
    # pyright never lets an Annotated alias be called; mypy does. With pyright, write
    # Injected[T] (the call form is kept for existing FastAPI code).
    c: Annotated[Users, fastapi.Injected(Users)],  # pyright: ignore[reportCallIssue]
    d: Annotated[Users, fastapi.Injected(Users, name="x")],  # pyright: ignore[reportCallIssue]
) -> None:
    assert_type(a, Users)
    assert_type(b, Users)
    assert_type(c, Users)
    assert_type(d, Users)


def starlette_endpoint(a: starlette.Injected[Users]) -> None:
    assert_type(a, Users)


def litestar_handler(a: litestar.Injected[Users]) -> None:
    assert_type(a, Users)


async def aiohttp_handler(request: web.Request, a: aiohttp.Injected[Users]) -> web.Response:
    assert_type(a, Users)
    return web.Response()


def aiohttp_routes(app: web.Application) -> None:
    typed = aiohttp.handler(aiohttp_handler)
    assert_type(typed, Callable[[web.Request], Awaitable[web.Response]])
    app.router.add_get("/", typed)
