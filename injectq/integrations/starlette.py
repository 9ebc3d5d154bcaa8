"""Starlette integration: a scope per request and WebSocket, `Injected[T]` endpoint parameters.

Install with the extra: ``pip install 'injectq[starlette]'``. Then one call wires an app::

    from starlette.applications import Starlette
    from injectq.integrations.starlette import Injected, setup

    async def users(request: Request, repo: Injected[Repository]) -> JSONResponse: ...

    app = Starlette(routes=[Route("/users", users)])
    setup(app, container)

Each HTTP request and WebSocket connection runs in its own scope (``"request"`` unless
``setup(..., scope=...)`` says otherwise), entered before the app handles it and left after
the response's last byte (streaming bodies included), with the exception that ended it, also
one an exception handler turned into a response. ``Request``, ``WebSocket`` and
``HTTPConnection`` can be declared ``.from_context()``. The lifespan validates every endpoint,
enters and activates the container at start-up and closes it at shut-down.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

try:
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException, WebSocketException
    from starlette.middleware.exceptions import ExceptionMiddleware
    from starlette.requests import HTTPConnection, Request
    from starlette.routing import (
        Host,
        Mount,
        Route,
        Router,
        WebSocketRoute,
        request_response,
        websocket_session,
    )
    from starlette.websockets import WebSocket
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "injectq.integrations.starlette needs Starlette. Hint: pip install 'injectq[starlette]'."
    raise ImportError(msg) from exc

from injectq import InjectQ, LifecycleError, Scope
from injectq.errors import UsageError
from injectq.integrations._kit import (
    MISSING,
    SCOPE_KEY,
    Connection,
    Injected,
    Integration,
    Supplier,
    UnitMiddleware,
    already_set_up,
    current_unit,
    injected_parameters,
    note_error,
    wrap_handler,
)

__all__ = ["Injected", "current_scope", "setup"]


def _request(conn: Connection) -> Any:
    return Request(conn.scope, conn.receive, conn.send) if conn.scope["type"] == "http" else MISSING


def _websocket(conn: Connection) -> Any:
    if conn.scope["type"] != "websocket":
        return MISSING
    return WebSocket(conn.scope, conn.receive, conn.send)


STARLETTE_SUPPLIES: dict[Any, Supplier] = {
    Request: _request,
    WebSocket: _websocket,
    HTTPConnection: lambda conn: HTTPConnection(conn.scope, conn.receive),
}


class _NotingHandlers(dict[Any, Any]):
    """The app's exception handlers, each noting the exception for the unit it answers."""

    def __init__(self, handlers: Iterable[tuple[Any, Any]]) -> None:
        super().__init__()
        for key, handler in handlers:
            self[key] = handler

    def __setitem__(self, key: Any, handler: Any) -> None:
        super().__setitem__(key, _noting(handler))


def _noting(handler: Any) -> Any:
    if getattr(handler, "__injectq_noting__", False):
        return handler
    if inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - async callable objects too
    ):

        async def async_noting(conn: Any, exc: Exception) -> Any:
            note_error(exc)
            return await handler(conn, exc)

        noting: Any = async_noting
    else:

        def sync_noting(conn: Any, exc: Exception) -> Any:
            note_error(exc)
            return handler(conn, exc)

        noting = sync_noting
    noting.__injectq_noting__ = True
    noting.__wrapped__ = handler
    return noting


def wire(app: Starlette, integration: Integration) -> None:
    """Wire a Starlette (or FastAPI) app to an integration; shared by both modules.

    Validates the integration's handlers now and again at start-up.

    Raises:
        UsageError: ``setup()`` was called for this app already, or the app has started.
    """
    first = getattr(app.state, "injectq", None)
    if first is not None:
        raise already_set_up(integration.framework, app, first)
    if app.middleware_stack is not None:
        msg = (
            f"{integration.framework} setup() was called after the app started serving. "
            "Hint: call setup(app, container) where the app is created, before it runs."
        )
        raise UsageError(msg)
    app.state.injectq = integration
    noted = _NotingHandlers(app.exception_handlers.items())
    defaults = ExceptionMiddleware(app)
    if HTTPException not in noted:
        noted[HTTPException] = defaults.http_exception
    if WebSocketException not in noted:
        noted[WebSocketException] = defaults.websocket_exception
    app.exception_handlers = noted
    app.add_middleware(UnitMiddleware, integration=integration)

    integration.check()
    user_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        # Validates again: endpoints added after setup() are covered too.
        async with integration.alifespan(), user_lifespan(application) as state:
            yield state

    app.router.lifespan_context = lifespan


def routes_of(routes: Iterable[Any]) -> Iterable[Any]:
    """Every route, also those inside mounts, hosts and routers."""
    for route in routes:
        if isinstance(route, Mount | Host | Router):
            yield from routes_of(route.routes)
        else:
            yield route


_PLAIN: dict[str, Callable[[Callable[..., Any]], Any]] = {
    "request_response.<locals>.app": request_response,
    "websocket_session.<locals>.app": websocket_session,
}


def wrap_routes(routes: Iterable[Any], framework: str) -> Iterable[Callable[..., Any]]:
    """Give Starlette routes whose endpoint has `Injected` parameters an injecting endpoint.

    Yields the endpoints to validate. A route wrapped before is yielded, not wrapped again.
    """
    for route in routes_of(routes):
        if type(route) not in (Route, WebSocketRoute):
            continue
        endpoint = route.endpoint
        if not (inspect.isfunction(endpoint) or inspect.ismethod(endpoint)):
            continue
        names = injected_parameters(endpoint)
        if names is None:
            yield endpoint  # unreadable annotations: validate() says why
            continue
        if not names:
            continue
        yield endpoint
        holder: Any = route
        app = route.app
        while getattr(app, "__qualname__", "") not in _PLAIN:
            if getattr(app, "__injectq_wrapped__", False):
                break
            holder, app = app, getattr(app, "app", None)
            if app is None:
                msg = (
                    f"{framework} setup() cannot reach the endpoint of the route "
                    f"{route.path!r}: a route middleware keeps the inner app in no `.app` "
                    "attribute. Hint: decorate the endpoint with @injectq.inject instead, or "
                    "give the middleware an `app` attribute."
                )
                raise UsageError(msg)
        if getattr(app, "__injectq_wrapped__", False):
            continue
        make = _PLAIN[app.__qualname__]
        wrapped = make(wrap_handler(endpoint))
        wrapped.__injectq_wrapped__ = True
        holder.app = wrapped


def setup(app: Starlette, container: InjectQ, *, scope: str = "request") -> None:
    """Wire ``app`` to ``container``: a scope per request, the container's life per app's.

    Validates the `Injected` parameters of every endpoint now, and of every endpoint again at
    start-up (endpoints added after ``setup()`` too), in one `BindingError`.

    Args:
        app: The Starlette application.
        container: The container endpoints resolve from.
        scope: The name of the scope each request and WebSocket runs in.

    Raises:
        UsageError: ``setup()`` was called twice for ``app``, or after it started.
        BindingError: Endpoint parameters the container cannot fill, or a context key
            declared for the scope that Starlette cannot supply.
    """
    integration = Integration(
        container,
        framework="Starlette",
        scope=scope,
        supplies=STARLETTE_SUPPLIES,
        handlers=lambda: wrap_routes(app.routes, "Starlette"),
    )
    wire(app, integration)


def current_scope(conn: HTTPConnection) -> Scope:
    """The injectq scope of this request or WebSocket.

    Raises:
        LifecycleError: When `setup` was not called for the app.
    """
    found = conn.scope.get(SCOPE_KEY)
    if not isinstance(found, Scope):
        msg = (
            "This request has no injectq scope. Hint: call "
            "injectq.integrations.starlette.setup(app, container) when creating the app."
        )
        raise LifecycleError(msg, owner="request", hint="call setup(app, container).")
    return found


def unit_scope(what: str) -> Scope:
    """The scope of the running unit, for resolvers the framework calls (FastAPI's)."""
    unit = current_unit()
    if unit is None:
        msg = (
            f"{what} ran outside a request wired by injectq. Hint: call "
            "setup(app, container) when creating the app."
        )
        raise LifecycleError(msg, owner="request", hint="call setup(app, container).")
    return unit.scope
