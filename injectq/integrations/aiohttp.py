"""aiohttp integration: a scope per request, `Injected[T]` handler parameters.

Install with the extra: ``pip install 'injectq[aiohttp]'``. Then one call wires an app::

    from aiohttp import web
    from injectq.integrations.aiohttp import Injected, setup

    async def users(request: web.Request, repo: Injected[Repository]) -> web.Response: ...

    app = web.Application()
    app.router.add_get("/users", users)
    setup(app, container)

Each request (a WebSocket connection is a request whose handler returns a
``WebSocketResponse``) runs in its own scope (``"request"`` unless ``setup(..., scope=...)``
says otherwise), left when the handler returns, with the exception that ended it (also a
``web.HTTPException``, which aiohttp turns into a response). ``web.Request`` can be declared
``.from_context()``: it is the very request the handler receives. Handlers are validated at
``setup()`` and again at start-up (routes added later too); the container is entered and
activated at start-up and closed at clean-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, cast

try:
    from aiohttp import web
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "injectq.integrations.aiohttp needs aiohttp. Hint: pip install 'injectq[aiohttp]'."
    raise ImportError(msg) from exc

from injectq import InjectQ, LifecycleError, Scope
from injectq.errors import UsageError
from injectq.integrations._kit import (
    Injected,
    Integration,
    Supplier,
    already_set_up,
    injected_parameters,
    wrap_handler,
)

__all__ = ["Injected", "current_scope", "handler", "setup"]

INTEGRATION_KEY = web.AppKey("injectq.integration", Integration)
SCOPE_KEY = web.RequestKey("injectq.scope", Scope)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
R = TypeVar("R", bound=web.StreamResponse)

AIOHTTP_SUPPLIES: dict[Any, Supplier] = {web.Request: lambda r: r, web.BaseRequest: lambda r: r}


class _Wiring:
    """The handlers of one app: each original with `Injected` parameters, and its wrapper."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.wrapped: dict[Any, Handler] = {}

    def handlers(self) -> list[Callable[..., Any]]:
        found: list[Callable[..., Any]] = []
        for route in self.app.router.routes():
            handler = route.handler
            if isinstance(handler, type):  # a class-based view: left as it is
                continue
            names = injected_parameters(handler)
            if names is None:
                found.append(handler)  # unreadable annotations: validate() says why
            elif names:
                found.append(handler)
                if handler not in self.wrapped:
                    self.wrapped[handler] = wrap_handler(handler)
        return found


def setup(app: web.Application, container: InjectQ, *, scope: str = "request") -> None:
    """Wire ``app`` to ``container``: a scope per request, the container's life per app's.

    Args:
        app: The aiohttp application (before it starts).
        container: The container handlers resolve from.
        scope: The name of the scope each request runs in.

    Raises:
        UsageError: ``setup()`` was called twice for ``app``, or after it started.
        BindingError: Handler parameters the container cannot fill, or a context key
            declared for the scope that aiohttp cannot supply.
    """
    wiring = _Wiring(app)
    integration = Integration(
        container,
        framework="aiohttp",
        scope=scope,
        supplies=AIOHTTP_SUPPLIES,
        handlers=wiring.handlers,
    )
    if INTEGRATION_KEY in app:
        raise already_set_up(integration.framework, app, app[INTEGRATION_KEY])
    if app.frozen:
        msg = (
            "aiohttp setup() was called after the app started. Hint: call "
            "setup(app, container) where the app is created, before it runs."
        )
        raise UsageError(msg)
    integration.check()
    app[INTEGRATION_KEY] = integration
    wrapped = wiring.wrapped

    @web.middleware
    async def units(request: web.Request, handler: Handler) -> web.StreamResponse:
        async with integration.unit(request) as unit:
            request[SCOPE_KEY] = unit.scope
            # The innermost middleware receives the route's own handler.
            return await wrapped.get(handler, handler)(request)

    app.middlewares.append(units)

    async def lifespan(application: web.Application) -> AsyncIterator[None]:
        if application.middlewares[-1] is not units:
            msg = (
                "aiohttp setup() must come after the app's own middlewares: a middleware "
                "added after it sits between injectq and the handlers. Hint: append your "
                "middlewares to app.middlewares first, then call setup(app, container)."
            )
            raise UsageError(msg)
        async with integration.alifespan():
            yield

    app.cleanup_ctx.append(lifespan)


def handler(fn: Callable[..., Awaitable[R]]) -> Callable[[web.Request], Awaitable[R]]:
    """Type a handler with `Injected` parameters as aiohttp's handler type.

    aiohttp types handlers as taking the request alone; the `Injected` ones are filled by
    ``setup()``. This changes nothing at run time::

        app.router.add_get("/users", handler(users))
    """
    return cast("Callable[[web.Request], Awaitable[R]]", fn)


def current_scope(request: web.Request) -> Scope:
    """The injectq scope of this request.

    Raises:
        LifecycleError: When `setup` was not called for the app.
    """
    found = request.get(SCOPE_KEY)
    if not isinstance(found, Scope):
        msg = (
            "This request has no injectq scope. Hint: call "
            "injectq.integrations.aiohttp.setup(app, container) when creating the app."
        )
        raise LifecycleError(msg, owner="request", hint="call setup(app, container).")
    return found
