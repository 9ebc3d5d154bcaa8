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
``ASGIConnection`` can be declared ``.from_context()``.

Handlers (functions, those of ``Router``s and ``Controller``s) are wired as Litestar
registers them, when the app is created and by ``app.register(...)`` later: the plugin
receives each new route, gives its handlers an injecting function and has Litestar read the
signature again without the ``Injected`` parameters. The handlers given at creation are
validated together when the app is created, one registered later when it is registered
(``app.register`` raises the `BindingError`), and all of them again at start-up. The
container is entered and activated at start-up and closed at shut-down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from types import MethodType
from typing import Any

try:
    from litestar import Litestar, Request, Router, WebSocket
    from litestar.config.app import AppConfig
    from litestar.connection import ASGIConnection
    from litestar.controller import Controller
    from litestar.handlers import BaseRouteHandler
    from litestar.middleware import DefineMiddleware
    from litestar.plugins import InitPluginProtocol, ReceiveRoutePlugin
    from litestar.routes import BaseRoute, HTTPRoute, WebSocketRoute
    from litestar.types import Empty
    from litestar.utils.sync import AsyncCallable
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
            yield from _handlers_of(route)
    elif isinstance(value, type) and issubclass(value, Controller):
        for attribute in vars(value).values():
            if isinstance(attribute, BaseRouteHandler):
                yield attribute


def _handlers_of(route: Any) -> list[BaseRouteHandler]:
    """The handlers of an HTTP or WebSocket route (ASGI routes take no injected parameters)."""
    if isinstance(route, HTTPRoute):
        return list(route.route_handlers)
    if isinstance(route, WebSocketRoute):
        return [route.route_handler]
    return []


def _written(fn: Any) -> Any:
    """The function under what Litestar calls: its thread-pool wrapper and a bound method."""
    if isinstance(fn, AsyncCallable):
        fn = fn.func
    return fn.__func__ if isinstance(fn, MethodType) else fn


def _original(handler: BaseRouteHandler) -> Any:
    """The function the user wrote for ``handler``, under our wrapper too."""
    fn = _written(handler.fn)
    return getattr(fn, "__injectq_handler__", fn)


def _inject_into(handler: BaseRouteHandler, names: tuple[str, ...]) -> None:
    """Give a registered handler a function that fills ``names``; Litestar re-reads it.

    Litestar read the handler's signature when it registered it; the plugin sees the route
    only after that (``receive_route``), so the signature is read again, now without the
    injected parameters, keeping what registration did to the function (a bound method for
    a Controller's handler, the thread-pool wrapper of ``sync_to_thread``).
    """
    called: Any = handler.fn
    in_thread = isinstance(called, AsyncCallable)
    fn: Any = called.func if in_thread else called
    if isinstance(fn, MethodType):
        fn = MethodType(wrap_handler(fn.__func__, hide=names), fn.__self__)
    else:
        fn = wrap_handler(fn, hide=names)
    handler._parsed_fn_signature = Empty  # read again below, from fn
    handler._signature_model = Empty
    handler(fn)
    _ = handler.parsed_fn_signature  # read now, while fn is the plain function
    if in_thread:
        handler(AsyncCallable(fn))


def _read_again(route: BaseRoute) -> None:
    """Rebuild the route's parameter models from its handlers' signatures."""
    if isinstance(route, HTTPRoute):
        route.route_handler_map = {}
        route.create_handler_map()
    elif isinstance(route, WebSocketRoute):
        handler: Any = route.route_handler
        older = getattr(route, "create_handler_kwargs_model", None)  # as in Litestar 2.8
        route.handler_parameter_model = (
            older(handler)
            if older is not None
            else handler.create_kwargs_model(path_parameters=route.path_parameters)
        )


_CALL = "Litestar(..., plugins=[setup(container)])"


class _Named:
    """What messages show for an app being created (its AppConfig's repr runs for pages)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


async def _note(exc: Exception, scope: Any) -> None:
    note_error(exc)


class InjectQPlugin(InitPluginProtocol, ReceiveRoutePlugin):
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
        self._checked: set[Any] = set()

    def __repr__(self) -> str:
        return f"<InjectQPlugin scope={self.integration.scope_name!r}>"

    def _originals(self) -> list[Any]:
        if self._app is not None:
            found = [h for route in self._app.routes for h in _handlers_of(route)]
        else:
            found = [h for value in self._configs[-1].route_handlers for h in _handlers_in(value)]
        # Unreadable annotations are Litestar's to report (it parses every handler).
        return [fn for fn in map(_original, found) if injected_parameters(fn)]

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Add the middleware and hooks, and validate the handlers given to the app.

        Raises:
            UsageError: The plugin was used for a second app, or the app has two of them
                (``setup()`` called twice for it).
            BindingError: Handler parameters the container cannot fill, or a context key
                declared for the scope that Litestar cannot supply.
        """
        app = _Named(f"<Litestar app of {len(app_config.route_handlers)} route handlers>")
        if self._configs:
            raise already_set_up(self.integration.framework, app, self, call=_CALL)
        other = next((p for p in app_config.plugins if isinstance(p, InjectQPlugin)), self)
        if other is not self:  # a second setup() for the same app: two plugins in its list
            raise already_set_up(self.integration.framework, app, other, call=_CALL)
        self._configs.append(app_config)
        units: Any = UnitMiddleware  # a plain ASGI middleware; Litestar's types are narrower
        app_config.middleware.append(DefineMiddleware(units, integration=self.integration))
        app_config.after_exception.append(_note)
        app_config.lifespan.append(self._lifespan)
        self.integration.check()
        self._checked.update(self._originals())
        return app_config

    def receive_route(self, route: BaseRoute) -> None:
        """Wire the handlers of a route Litestar registered, at creation or by ``register``.

        Raises:
            BindingError: A handler registered after the app was created has parameters
                the container cannot fill.
        """
        fresh: list[tuple[BaseRouteHandler, tuple[str, ...]]] = []
        for handler in _handlers_of(route):
            fn = _written(handler.fn)
            if getattr(fn, "__injectq_handler__", None) is not None:
                continue  # wired when an earlier route held it
            names = injected_parameters(fn)
            if names:
                fresh.append((handler, names))
        if not fresh:
            return
        unchecked = [_original(h) for h, _ in fresh if _original(h) not in self._checked]
        if unchecked:
            self.integration.container.validate(*unchecked)
            self._checked.update(unchecked)
        for handler, names in fresh:
            _inject_into(handler, names)
        _read_again(route)

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        self._app = app  # validated again: the handlers registered after creation too
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
