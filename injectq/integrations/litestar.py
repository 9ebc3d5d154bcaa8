"""Litestar integration: a plugin giving each request and WebSocket a scope, `Injected[T]`.

Install with the extra: ``pip install 'injectq[litestar]'``. Litestar builds its middleware
when the app is created, so the wiring is a plugin, passed at creation::

    from litestar import Litestar, get
    from injectq.integrations.litestar import Injected, setup

    @get("/users")
    async def users(repo: Injected[Repository]) -> list[str]: ...

    app = Litestar(route_handlers=[users], plugins=[setup(container)])

Each HTTP request and WebSocket connection runs in its own scope (``"request"`` unless
``setup(container, scope=...)`` says otherwise), left after the response was sent with the
exception that ended it, also one Litestar's exception handling turned into a response
(``HTTPException``, ``NotFoundException``...). ``Request``, ``WebSocket`` and
``ASGIConnection`` can be declared ``.from_context()``. Handlers (functions, those of
``Router``s and ``Controller``s) are validated when the app is created and again at
start-up; the container is entered and activated at start-up and closed at shut-down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

try:
    from litestar import Litestar, Request, Router, WebSocket
    from litestar.config.app import AppConfig
    from litestar.connection import ASGIConnection
    from litestar.controller import Controller
    from litestar.handlers import BaseRouteHandler
    from litestar.middleware import DefineMiddleware
    from litestar.plugins import InitPluginProtocol
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "injectq.integrations.litestar needs Litestar. Hint: pip install 'injectq[litestar]'."
    raise ImportError(msg) from exc

from injectq import InjectQ, LifecycleError, Scope
from injectq.integrations._kit import (
    MISSING,
    SCOPE_KEY,
    Connection,
    Injected,
    Integration,
    Supplier,
    UnitMiddleware,
    already_set_up,
    injected_parameters,
    note_error,
    wrap_handler,
)

__all__ = ["InjectQPlugin", "Injected", "current_scope", "setup"]


def _request(conn: Connection) -> Any:
    return Request(conn.scope, conn.receive, conn.send) if conn.scope["type"] == "http" else MISSING  # type: ignore[arg-type]


def _websocket(conn: Connection) -> Any:
    if conn.scope["type"] != "websocket":
        return MISSING
    return WebSocket(conn.scope, conn.receive, conn.send)  # type: ignore[arg-type]


LITESTAR_SUPPLIES: dict[Any, Supplier] = {
    Request: _request,
    WebSocket: _websocket,
    ASGIConnection: lambda conn: ASGIConnection(conn.scope, conn.receive, conn.send),
}


def _handlers_in(value: Any) -> Iterable[BaseRouteHandler]:
    """The route handlers of a handler, a `Router` (its registered copies) or a Controller."""
    if isinstance(value, BaseRouteHandler):
        yield value
    elif isinstance(value, Router):
        for route in value.routes:
            yield from getattr(route, "route_handlers", ())
    elif isinstance(value, type) and issubclass(value, Controller):
        for attribute in vars(value).values():
            if isinstance(attribute, BaseRouteHandler):
                yield attribute


def _original(handler: BaseRouteHandler) -> Any:
    fn = handler.fn
    return getattr(fn, "__injectq_handler__", fn)


async def _note(exc: Exception, scope: Any) -> None:
    note_error(exc)


class InjectQPlugin(InitPluginProtocol):
    """The Litestar plugin that wires an app to a container (made by `setup`).

    Args:
        container: The container handlers resolve from.
        scope: The name of the scope each request and WebSocket runs in.
    """

    def __init__(self, container: InjectQ, *, scope: str = "request") -> None:
        self.integration = Integration(
            container,
            framework="Litestar",
            scope=scope,
            supplies=LITESTAR_SUPPLIES,
            handlers=self._originals,
        )
        self._app: Litestar | None = None
        self._configs: list[AppConfig] = []
        self._found: dict[int, Any] = {}

    def __repr__(self) -> str:
        return f"<InjectQPlugin scope={self.integration.scope_name!r}>"

    def _originals(self) -> list[Any]:
        if self._app is not None:
            for route in self._app.routes:
                for handler in getattr(route, "route_handlers", ()):
                    self._found.setdefault(id(handler), _original(handler))
        # Unreadable annotations are Litestar's to report (it parses every handler).
        return [fn for fn in self._found.values() if injected_parameters(fn)]

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Wrap the handlers, add the middleware and hooks, and validate the handlers.

        Raises:
            UsageError: The plugin was used for a second app.
            BindingError: Handler parameters the container cannot fill, or a context key
                declared for the scope that Litestar cannot supply.
        """
        if self._configs:
            raise already_set_up(self.integration.framework, app_config, self)
        self._configs.append(app_config)
        for value in app_config.route_handlers:
            for handler in _handlers_in(value):
                fn = _original(handler)
                self._found.setdefault(id(handler), fn)
                names = injected_parameters(fn)
                if names and handler.fn is fn:
                    handler(wrap_handler(fn, hide=names))
        units: Any = UnitMiddleware  # a plain ASGI middleware; Litestar's types are narrower
        app_config.middleware.append(DefineMiddleware(units, integration=self.integration))
        app_config.after_exception.append(_note)
        app_config.lifespan.append(self._lifespan)
        self.integration.check()
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        self._app = app  # validated again: handlers registered after creation too
        async with self.integration.alifespan():
            yield


def setup(container: InjectQ, *, scope: str = "request") -> InjectQPlugin:
    """The plugin to pass as ``Litestar(..., plugins=[setup(container)])``.

    Args:
        container: The container handlers resolve from.
        scope: The name of the scope each request and WebSocket runs in.

    Raises:
        UsageError: ``container`` is not an `InjectQ`, or ``scope`` not a scope name.
    """
    return InjectQPlugin(container, scope=scope)


def current_scope(conn: ASGIConnection[Any, Any, Any, Any]) -> Scope:
    """The injectq scope of this request or WebSocket.

    Raises:
        LifecycleError: When the app was created without the plugin.
    """
    found = conn.scope.get(SCOPE_KEY)
    if not isinstance(found, Scope):
        msg = (
            "This request has no injectq scope. Hint: create the app with "
            "Litestar(..., plugins=[injectq.integrations.litestar.setup(container)])."
        )
        raise LifecycleError(msg, owner="request", hint="pass plugins=[setup(container)].")
    return found
