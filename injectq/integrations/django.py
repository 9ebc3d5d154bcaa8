"""Django integration: a scope per request, ``Injected[T]`` view parameters.

Install with the extra: ``pip install 'injectq[django]'``. Add the middleware, first in
``MIDDLEWARE`` so that the scope spans the others::

    MIDDLEWARE = ["injectq.integrations.django.InjectQMiddleware", ...]

and call ``setup(container)`` once the URLconf can be imported (at the end of ``urls.py``,
or in ``wsgi.py``). Views then take ``Injected[T]`` parameters::

    def users(request: HttpRequest, repo: Injected[Repository]) -> HttpResponse: ...

Each request runs in its own scope (``"request"`` unless ``setup(..., scope=...)`` says
otherwise); a streaming response keeps it open until its content is consumed and closed.
The exception a view raised, also one that Django turns into a response (``Http404``,
``PermissionDenied``, a 500 page), is thrown into the scope's generator providers.
``django.http.HttpRequest`` is context of the scope: bind it with
``self.bind(HttpRequest).from_context()`` to inject the request into services.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any, cast

try:
    from django.http import HttpRequest, HttpResponseBase
    from django.urls import URLPattern, URLResolver, get_resolver
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "injectq.integrations.django needs Django. Hint: pip install 'injectq[django]'."
    raise ImportError(msg) from exc

from injectq import InjectQ, UsageError
from injectq.integrations._kit import (
    Injected,
    Integration,
    Unit,
    injected_arguments,
    injected_parameters,
    note_error,
)

__all__ = ["InjectQMiddleware", "Injected", "setup"]

_UNIT = "_injectq_unit"


class _Wiring:
    """What `setup` registered: the container, the scope name, the URLconf to check."""

    def __init__(self, container: InjectQ, scope: str, urlconf: str | ModuleType | None) -> None:
        self.container = container
        self.urlconf = urlconf
        self.integration = Integration(
            container,
            framework="Django",
            scope=scope,
            supplies={HttpRequest: _the_request},
            handlers=self.handlers,
        )
        self.arguments: dict[Any, Callable[..., dict[str, Any]]] = {}
        self.started = False
        self.lock = threading.Lock()

    def handlers(self) -> Iterator[Callable[..., Any]]:
        for handler in _handlers(get_resolver(cast("str | None", self.urlconf)).url_patterns):
            if injected_parameters(handler):
                yield handler

    def start(self) -> None:
        """Validate every view once more when the first request comes (Django's start-up)."""
        with self.lock:
            if not self.started:
                self.integration.check()
                self.started = True

    def arguments_of(self, handler: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
        try:
            return self.arguments[handler]
        except KeyError:
            found = self.arguments[handler] = injected_arguments(handler)
            return found


def _the_request(request: HttpRequest) -> HttpRequest:
    return request


_wiring: _Wiring | None = None
_setup_lock = threading.Lock()


def _handlers(patterns: Iterable[Any]) -> Iterator[Callable[..., Any]]:
    """Every view function of a URLconf, and the handler methods of class-based views."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _handlers(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield from _view_handlers(pattern.callback)


def _view_handlers(view: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        yield view
        return
    for method in view_class.http_method_names:
        handler = getattr(view_class, method, None)
        if callable(handler):
            yield handler


def _handler_for(request: HttpRequest, view: Callable[..., Any]) -> Callable[..., Any]:
    """The function that will take the view's arguments: a class-based view's method."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = getattr(view_class, (request.method or "get").lower(), None)
        if method is not None:
            return method  # type: ignore[no-any-return]
    return view


def setup(
    container: InjectQ, *, scope: str = "request", urlconf: str | ModuleType | None = None
) -> None:
    """Serve Django's requests from ``container``, through `InjectQMiddleware`.

    Validates every view of the URLconf with ``Injected[...]`` parameters, at once, and
    again when the first request comes (views added in between are covered). Enters the
    container, creating its eager singletons; close it when the process ends (Django has
    no shut-down hook).

    Args:
        container: The container views resolve from.
        scope: The name of the scope each request runs in.
        urlconf: The URLconf (module or its dotted name) to check; by default
            ``settings.ROOT_URLCONF``.

    Raises:
        BindingError: A view's ``Injected[...]`` parameter cannot be resolved, or the
            container declares a context key of ``scope`` other than
            ``django.http.HttpRequest``.
        UsageError: ``setup()`` was already called with a container that is still open.
    """
    global _wiring  # noqa: PLW0603 - Django builds middleware itself; setup hands it this
    with _setup_lock:
        if _wiring is not None and not _wiring.container.closed:
            msg = (
                f"Django setup() was called twice in this process; it serves "
                f"{_wiring.container!r} already, which is still open. Hint: call setup() "
                "once, where the URLconf is complete; for a test that needs other "
                "bindings, use container.override(...), or close the first container."
            )
            raise UsageError(msg)
        wiring = _Wiring(container, scope, urlconf)
        wiring.integration.check()
        container.__enter__()
        _wiring = wiring


def _stream(content: Iterable[Any], unit: Unit) -> Iterator[Any]:
    """Streamed content that leaves the scope when it ends or is closed."""
    try:
        yield from content
    except GeneratorExit:  # the server stopped reading: not a failure of the request
        raise
    except BaseException as exc:
        if unit.error is None:
            unit.error = exc
        raise
    finally:
        unit.__exit__(None, None, None)


class InjectQMiddleware:
    """Runs each request in its own scope of the container given to `setup`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """Serve ``request`` inside a new scope, left when its response is done."""
        wiring = _wiring
        if wiring is None or wiring.container.closed:
            msg = (
                "InjectQMiddleware serves a request, but no open container was given to "
                "setup(). Hint: call injectq.integrations.django.setup(container) once the "
                "URLconf can be imported (at the end of urls.py, or in wsgi.py)."
            )
            raise UsageError(msg)
        if not wiring.started:
            wiring.start()
        unit = wiring.integration.unit(request)
        setattr(request, _UNIT, wiring)
        unit.__enter__()
        try:
            response = self.get_response(request)
        except BaseException as exc:  # only with DEBUG_PROPAGATE_EXCEPTIONS
            unit.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if response.streaming and not getattr(response, "is_async", False):
            # Left when the content ends or the server closes the response, instead.
            response.streaming_content = _stream(response.streaming_content, unit)  # type: ignore[attr-defined]
        else:
            unit.__exit__(None, None, None)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        """Add the view's ``Injected[...]`` arguments to those Django passes it."""
        wiring: _Wiring = getattr(request, _UNIT)
        view_kwargs.update(wiring.arguments_of(_handler_for(request, view))(**view_kwargs))

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """Note the view's exception for the scope, whatever response Django makes of it."""
        note_error(exception)
