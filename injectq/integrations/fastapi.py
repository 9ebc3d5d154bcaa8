"""FastAPI (and Starlette) integration: a request scope per request, injection into endpoints.

Install with the extra: ``pip install 'injectq[fastapi]'``. Then one call wires an app::

    from fastapi import FastAPI
    from injectq.integrations.fastapi import Injected, setup

    app = FastAPI()
    setup(app, container)

    @app.get("/users/{user_id}")
    async def read_user(user_id: int, users: Annotated[Users, Injected(Users)]) -> dict: ...

Every HTTP and websocket request runs inside its own ``async with container.scope("request")``,
entered before the app handles the request and left after the response's last byte was sent
(streaming bodies included), so request-scoped resources are disposed per request. The app's
lifespan enters the container at startup (creating eager singletons) and closes it at
shutdown, around any lifespan of your own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

try:
    from fastapi import Depends, FastAPI, Request
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "injectq.integrations.fastapi needs FastAPI. Hint: pip install 'injectq[fastapi]'."
    raise ImportError(msg) from exc

from injectq import InjectQ, LifecycleError, Scope

__all__ = ["Injected", "current_scope", "setup"]

_SCOPE_KEY = "injectq.scope"

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


class _RequestScopeMiddleware:
    """Pure ASGI middleware: each request runs inside its own injectq scope."""

    def __init__(self, app: ASGIApp, container: InjectQ, scope_name: str) -> None:
        self.app = app
        self.container = container
        self.scope_name = scope_name

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        async with self.container.scope(self.scope_name) as request_scope:
            scope[_SCOPE_KEY] = request_scope
            await self.app(scope, receive, send)


def setup(app: FastAPI, container: InjectQ, *, scope: str = "request") -> None:
    """Wire ``app`` to ``container``: a scope per request, the container's life per app's.

    Args:
        app: The FastAPI application.
        container: The container endpoints resolve from.
        scope: The name of the scope each request runs in.
    """
    app.state.injectq = container
    app.add_middleware(_RequestScopeMiddleware, container=container, scope_name=scope)
    user_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with container, user_lifespan(application) as state:
            yield state

    app.router.lifespan_context = lifespan


def current_scope(request: Request) -> Scope:
    """The injectq scope of this request.

    Raises:
        LifecycleError: When `setup` was not called for the app.
    """
    found = request.scope.get(_SCOPE_KEY)
    if not isinstance(found, Scope):
        msg = (
            "This request has no injectq scope. Hint: call "
            "injectq.integrations.fastapi.setup(app, container) when creating the app."
        )
        raise LifecycleError(msg, owner="request", hint="call setup(app, container).")
    return found


def Injected(key: Any, *, name: str | None = None) -> Any:  # noqa: N802 - reads like Depends
    """A FastAPI dependency that resolves ``key`` in the request's scope.

    Use it as the metadata of an ``Annotated`` parameter, which keeps the endpoint's type
    honest: ``users: Annotated[Users, Injected(Users)]``.

    Args:
        key: What to resolve.
        name: The binding name, for named bindings.
    """

    async def resolve(request: Request) -> Any:
        return await current_scope(request).aget(key, name=name)

    resolve.__name__ = f"injected_{getattr(key, '__name__', 'dependency')}"
    return Depends(resolve)
