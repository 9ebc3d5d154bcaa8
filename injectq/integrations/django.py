"""Django integration: a scope per request, ``Injected[T]`` view parameters, WSGI and ASGI.

Install with the extra: ``pip install 'injectq[django]'``. Add the middleware, first in
``MIDDLEWARE`` so that the scope spans the others::

    MIDDLEWARE = ["injectq.integrations.django.InjectQMiddleware", ...]

and call ``setup(container)`` once the URLconf can be imported (at the end of ``urls.py``,
or in ``wsgi.py`` / ``asgi.py``). Views then take ``Injected[T]`` parameters::

    def users(request: HttpRequest, repo: Injected[Repository]) -> HttpResponse: ...

Each request runs in its own scope (``"request"`` unless ``setup(..., scope=...)`` says
otherwise), under WSGI and under ASGI, where the middleware is asynchronous and
``Injected`` arguments are resolved with ``aget`` (async providers included). A streaming
response, over a sync or an async iterator, keeps the scope open until its content is
exhausted or the response is closed. The exception a view raised, also one that Django
turns into a response (``Http404``, ``PermissionDenied``, a 500 page), is thrown into the
scope's generator providers. ``django.http.HttpRequest`` is context of the scope: bind it
with ``self.bind(HttpRequest).from_context()`` to inject the request into services.

The scope of a request lives in a `contextvars.Context` of its own, entered for the view and
for each chunk of a streamed body: the scope must be left in the context that entered it,
and Django reads a streamed body, and closes the response, elsewhere (the server's thread,
an ``async_to_sync`` loop, the ASGI handler's own task).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator
from types import ModuleType, TracebackType
from typing import Any, cast

try:
    from asgiref.sync import (
        async_to_sync,
        iscoroutinefunction,
        markcoroutinefunction,
        sync_to_async,
    )
    from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.utils.decorators import sync_and_async_middleware
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "injectq.integrations.django needs Django. Hint: pip install 'injectq[django]'."
    raise ImportError(msg) from exc

from injectq import InjectQ, UsageError
from injectq.integrations._kit import (
    Injected,
    Integration,
    Unit,
    ainjected_arguments,
    injected_arguments,
    injected_parameters,
    note_error,
)

__all__ = ["InjectQMiddleware", "Injected", "setup"]

_UNIT = "_injectq_unit"

Arguments = Callable[..., dict[str, Any]]
AsyncArguments = Callable[..., Awaitable[dict[str, Any]]]


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
        self.arguments: dict[Any, Arguments] = {}
        self.aarguments: dict[Any, AsyncArguments] = {}
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

    def arguments_of(self, handler: Callable[..., Any]) -> Arguments:
        try:
            return self.arguments[handler]
        except KeyError:
            found = self.arguments[handler] = injected_arguments(handler)
            return found

    def aarguments_of(self, handler: Callable[..., Any]) -> AsyncArguments:
        try:
            return self.aarguments[handler]
        except KeyError:
            found = self.aarguments[handler] = ainjected_arguments(handler)
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


def _serving() -> _Wiring:
    """The wiring `setup` made, started; or the error that says to call `setup`."""
    wiring = _wiring
    if wiring is None or wiring.container.closed:
        msg = (
            "InjectQMiddleware serves a request, but no open container was given to "
            "setup(). Hint: call injectq.integrations.django.setup(container) once the "
            "URLconf can be imported (at the end of urls.py, or in wsgi.py / asgi.py)."
        )
        raise UsageError(msg)
    if not wiring.started:
        wiring.start()
    return wiring


def _exc_info(
    exc: BaseException | None,
) -> tuple[type[BaseException] | None, BaseException | None, TracebackType | None]:
    return (None, None, None) if exc is None else (type(exc), exc, exc.__traceback__)


class _Request:
    """One request's unit of work, in a context of its own (see the module docstring)."""

    __slots__ = ("context", "left", "unit")

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.context = contextvars.copy_context()
        self.left = False

    def leave(self, exc: BaseException | None) -> None:
        """Leave the scope (once), from outside its context, with what ended the request."""
        if not self.left:
            self.left = True
            self.context.run(self.unit.__exit__, *_exc_info(exc))

    def end(self, exc: BaseException | None) -> None:
        """`leave` from inside the request's context (while serving the view)."""
        self.left = True
        self.unit.__exit__(*_exc_info(exc))

    async def aend(self, exc: BaseException | None) -> None:
        """`end`, awaiting the scope's async teardowns."""
        self.left = True
        await self.unit.__aexit__(*_exc_info(exc))

    async def aleave(self, exc: BaseException | None) -> None:
        """`leave`, awaiting the scope's async teardowns."""
        if not self.left:
            self.left = True
            await asyncio.create_task(self.unit.__aexit__(*_exc_info(exc)), context=self.context)


class _SyncBody:
    """A streamed sync iterator: each chunk made in the request's context, then the exit.

    The scope is left after the last chunk, when the content raises, or when Django closes
    the response, whichever comes first.
    """

    def __init__(self, chunks: Iterable[Any], request: _Request) -> None:
        self.chunks = iter(chunks)
        self.request = request

    def __iter__(self) -> Iterator[Any]:
        run = self.request.context.run
        while True:
            try:
                chunk = run(next, self.chunks)
            except StopIteration:
                self.request.leave(None)
                return
            except BaseException as exc:
                self.request.leave(exc)
                raise
            yield chunk

    def close(self) -> None:
        if not self.request.left:
            try:
                close = getattr(self.chunks, "close", None)
                if close is not None:
                    self.request.context.run(close)
            finally:
                self.request.leave(None)


_END: Any = object()


class _AsyncBody:
    """A streamed async iterator (or, under ASGI, a sync one): see `_SyncBody`.

    Each chunk is made by a task running in the request's context; a sync iterator's chunks
    are made in Django's thread for sync code. Under WSGI the response is closed in a
    thread that may run an event loop already, so there the scope is left without awaiting.
    """

    def __init__(self, chunks: Any, request: _Request, *, asynchronous: bool) -> None:
        self.request = request
        self.asynchronous = asynchronous
        self.chunks: Any
        self.step: Callable[[], Coroutine[Any, Any, Any]]
        if hasattr(chunks, "__aiter__"):
            self.chunks = aiter(chunks)
            self.step = self._anext
        else:
            self.chunks = iter(chunks)
            self.step = sync_to_async(self._next, thread_sensitive=True)

    async def _anext(self) -> Any:
        return await anext(self.chunks, _END)

    def _next(self) -> Any:
        return next(self.chunks, _END)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        request = self.request
        if request.left:
            raise StopAsyncIteration
        try:
            chunk = await asyncio.create_task(self.step(), context=request.context)
        except BaseException as exc:
            await request.aleave(exc)
            raise
        if chunk is _END:
            await request.aleave(None)
            raise StopAsyncIteration
        return chunk

    def close(self) -> None:
        if self.request.left:
            return
        if self.asynchronous:  # Django's ASGI handler calls this in its sync thread
            async_to_sync(self._aclose)()
        else:
            self.request.leave(None)

    async def _aclose(self) -> None:
        try:
            if hasattr(self.chunks, "aclose"):
                await asyncio.create_task(self._close_chunks(), context=self.request.context)
        finally:
            await self.request.aleave(None)

    async def _close_chunks(self) -> None:
        await self.chunks.aclose()


def _streamed(response: HttpResponseBase, request: _Request, *, asynchronous: bool) -> bool:
    """Give a streaming response content that leaves the scope at its end; or say it is not."""
    if not isinstance(response, StreamingHttpResponse):
        return False
    content = response.streaming_content
    if asynchronous or response.is_async:
        response.streaming_content = _AsyncBody(content, request, asynchronous=asynchronous)
    else:
        response.streaming_content = _SyncBody(cast("Iterable[Any]", content), request)
    return True


class _Units:
    """The middleware under WSGI: each request a scope, entered in a context of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """Serve ``request`` inside a new scope, left when its response is done."""
        wiring = _serving()
        unit = _Request(wiring.integration.unit(request))
        setattr(request, _UNIT, wiring)
        return unit.context.run(self._serve, request, unit)

    def _serve(self, request: HttpRequest, unit: _Request) -> HttpResponseBase:
        unit.unit.__enter__()
        try:
            response = self.get_response(request)
        except BaseException as exc:  # only with DEBUG_PROPAGATE_EXCEPTIONS
            unit.end(exc)
            raise
        if not _streamed(response, unit, asynchronous=False):
            unit.end(None)
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


class _AsyncUnits(_Units):
    """The middleware under ASGI: the scope entered and left with ``await``."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:  # type: ignore[override]
        """Serve ``request`` inside a new scope, left when its response is done."""
        wiring = _serving()
        unit = _Request(wiring.integration.unit(request))
        setattr(request, _UNIT, wiring)
        return await asyncio.create_task(self._aserve(request, unit), context=unit.context)

    async def _aserve(self, request: HttpRequest, unit: _Request) -> HttpResponseBase:
        await unit.unit.__aenter__()
        try:
            response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
        except BaseException as exc:
            await unit.aend(exc)
            raise
        if not _streamed(response, unit, asynchronous=True):
            await unit.aend(None)
        return response

    async def process_view(  # type: ignore[override]
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        """Add the view's ``Injected[...]`` arguments, awaited, to those Django passes it."""
        wiring: _Wiring = getattr(request, _UNIT)
        view_kwargs.update(await wiring.aarguments_of(_handler_for(request, view))(**view_kwargs))


@sync_and_async_middleware
def InjectQMiddleware(  # noqa: N802 - the name Django's MIDDLEWARE setting lists
    get_response: Callable[[HttpRequest], Any],
) -> _Units:
    """Run each request in its own scope of the container given to `setup`.

    Django calls it with the next handler of the chain: under ASGI (an async handler) it
    makes the asynchronous middleware, under WSGI the synchronous one.
    """
    if iscoroutinefunction(get_response):
        return _AsyncUnits(get_response)
    return _Units(get_response)
