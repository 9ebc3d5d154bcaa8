"""Flask integration: a scope per request, ``Injected[T]`` view parameters.

Install with the extra: ``pip install 'injectq[flask]'``. Then one call wires an app::

    from flask import Flask
    from injectq.integrations.flask import Injected, setup

    app = Flask(__name__)

    @app.get("/users")
    def users(repo: Injected[Repository]) -> list[str]: ...

    setup(app, container)

Each request runs in its own scope (``"request"`` unless ``setup(..., scope=...)`` says
otherwise), entered before the app's other ``before_request`` functions and left after its
other ``teardown_request`` functions; a response streamed from a generator keeps it open
until the WSGI server closes the response. The exception that ended the request, also one that Flask
turned into a response (``abort(409)``, an error handler), is thrown into the scope's
generator providers. ``flask.Request`` is context of the scope: bind it with
``self.bind(Request).from_context()`` to inject it into services.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

try:
    from flask import Flask, Request, Response, request
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "injectq.integrations.flask needs Flask. Hint: pip install 'injectq[flask]'."
    raise ImportError(msg) from exc

from injectq import InjectQ
from injectq.integrations._kit import (
    Injected,
    Integration,
    Unit,
    already_set_up,
    injected_parameters,
    note_error,
    wrap_handler,
)

__all__ = ["Injected", "setup"]

_UNIT = "injectq.unit"
_STREAMED = "injectq.streamed"


class _Body:
    """A generator body that leaves the request's scope when the server closes it."""

    def __init__(self, inner: Iterable[Any], unit: Unit) -> None:
        self.inner = inner
        self.unit = unit
        self.left = False

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self.inner
        except GeneratorExit:  # the server stopped reading: not a failure of the request
            raise
        except BaseException as exc:
            if self.unit.error is None:
                self.unit.error = exc
            raise

    def close(self) -> None:
        try:
            close = getattr(self.inner, "close", None)
            if close is not None:
                close()
        finally:
            if not self.left:
                self.left = True
                self.unit.__exit__(None, None, None)


class _Wiring:
    """What `setup` attaches to one app (``app.extensions["injectq"]``)."""

    def __init__(self, app: Flask, container: InjectQ, scope: str) -> None:
        self.app = app
        self.container = container
        self.integration = Integration(
            container,
            framework="Flask",
            scope=scope,
            supplies={Request: _the_request},
            handlers=self.handlers,
        )
        self.seen: set[str] = set()
        self.started = False
        self.lock = threading.Lock()

    def handlers(self) -> Iterator[Callable[..., Any]]:
        for endpoint, view in self.app.view_functions.items():
            if endpoint not in self.seen and injected_parameters(view):
                yield view

    def wrap_views(self) -> None:
        """Validate the views not seen yet, all at once, then wrap those that inject."""
        self.integration.check()
        views = self.app.view_functions
        for endpoint, view in list(views.items()):
            if endpoint in self.seen:
                continue
            if injected_parameters(view):
                views[endpoint] = wrap_handler(view)
            self.seen.add(endpoint)

    def begin(self) -> None:
        if not self.started:
            # Flask refuses new routes once it served a request: the views are final now.
            with self.lock:
                if not self.started:
                    self.wrap_views()
                    self.started = True
        current = cast("Any", request)._get_current_object()
        unit = self.integration.unit(current)
        unit.__enter__()
        current.environ[_UNIT] = unit

    def after(self, response: Response) -> Response:
        environ = request.environ
        unit = environ.get(_UNIT)
        if unit is not None and inspect.isgenerator(response.response):
            response.response = _Body(response.response, unit)
            environ[_STREAMED] = True
        return response

    def end(self, exc: BaseException | None) -> None:
        environ = request.environ
        unit: Unit | None = environ.pop(_UNIT, None)
        if unit is None:
            return
        if exc is not None:
            note_error(exc)
        if not environ.get(_STREAMED):
            unit.__exit__(None, None, None)


def _the_request(current: Request) -> Request:
    return current


def _noting(original: Callable[[Exception], Any]) -> Callable[[Exception], Any]:
    """Flask's handle_user_exception, noting the exception for the request's scope first."""

    def handle_user_exception(e: Exception) -> Any:
        note_error(e)
        return original(e)

    return handle_user_exception


def setup(app: Flask, container: InjectQ, *, scope: str = "request") -> None:
    """Wire ``app`` to ``container``: a scope per request, injection into views.

    Validates every view that exists now with ``Injected[...]`` parameters, at once; views
    added later are validated together when the app serves its first request (Flask accepts
    no new routes after that). Enters the container, creating its eager singletons; close it
    when the app shuts down (Flask has no shut-down hook).

    Args:
        app: The Flask application.
        container: The container views resolve from.
        scope: The name of the scope each request runs in.

    Raises:
        BindingError: A view's ``Injected[...]`` parameter cannot be resolved, or the
            container declares a context key of ``scope`` other than ``flask.Request``.
        UsageError: ``setup()`` was already called for ``app``.
    """
    first = app.extensions.get("injectq")
    if first is not None:
        raise already_set_up(first.integration.framework, app, first.container)
    wiring = _Wiring(app, container, scope)
    wiring.wrap_views()
    container.__enter__()
    app.extensions["injectq"] = wiring
    # Ours first among the before-request functions and last among the after-request and
    # teardown ones (Flask runs those in reverse), so the scope spans the others.
    app.before_request_funcs.setdefault(None, []).insert(0, wiring.begin)
    app.after_request_funcs.setdefault(None, []).insert(0, wiring.after)
    app.teardown_request_funcs.setdefault(None, []).insert(0, wiring.end)
    # Flask answers HTTPException and registered errors here, without re-raising them.
    app.handle_user_exception = _noting(app.handle_user_exception)  # type: ignore[method-assign,assignment]
