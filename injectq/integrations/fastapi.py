"""FastAPI integration: a scope per request and WebSocket, injection into endpoints.

Install with the extra: ``pip install 'injectq[fastapi]'``. Then one call wires an app::

    from fastapi import FastAPI
    from injectq.integrations.fastapi import Injected, setup

    app = FastAPI()
    setup(app, container)

    @app.get("/users/{user_id}")
    async def read_user(user_id: int, users: Injected[Users]) -> dict: ...

``Injected[T]`` and ``Annotated[T, Injected(T)]`` (``Injected(T, name="x")`` for a named
binding) are FastAPI dependencies, so they work in sub-dependencies too. Every HTTP and
WebSocket request runs in its own scope (``"request"`` unless ``setup(..., scope=...)`` says
otherwise), left after the response's last byte (streaming bodies included) with the
exception that ended the request, also an ``HTTPException`` FastAPI turned into a response,
so generator providers roll back where FastAPI's own yield dependencies would.
``Request``, ``WebSocket``, ``HTTPConnection`` and ``BackgroundTasks`` can be declared
``.from_context()``; the tasks of that ``BackgroundTasks`` run after the response, while
the request's scope is still open. The lifespan validates every endpoint, enters and
activates the container at start-up and closes it at shut-down.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

try:
    from fastapi import BackgroundTasks, Depends, FastAPI
    from fastapi.routing import APIRoute, APIWebSocketRoute
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "injectq.integrations.fastapi needs FastAPI. Hint: pip install 'injectq[fastapi]'."
    raise ImportError(msg) from exc

from injectq import AsyncRequiredError, InjectQ, Named
from injectq._keys import INJECT_MARKER
from injectq.integrations._kit import Connection, Integration, split_key
from injectq.integrations.starlette import (
    STARLETTE_SUPPLIES,
    current_scope,
    routes_of,
    unit_scope,
    wire,
    wrap_routes,
)

__all__ = ["Injected", "current_scope", "setup"]

T = TypeVar("T")


def _background(conn: Connection) -> BackgroundTasks:
    tasks = BackgroundTasks()
    conn.after = tasks
    return tasks


FASTAPI_SUPPLIES = {**STARLETTE_SUPPLIES, BackgroundTasks: _background}

_resolvers: dict[tuple[Any, str | None], Callable[[], Any]] = {}


def _resolver(key: Any, name: str | None) -> Callable[[], Any]:
    """The FastAPI dependency resolving ``key`` in the request's scope (one per key)."""
    try:
        return _resolvers[key, name]
    except KeyError:
        pass
    except TypeError:  # an unhashable key: not shared
        return _make_resolver(key, name)
    made = _resolvers[key, name] = _make_resolver(key, name)
    return made


def _make_resolver(key: Any, name: str | None) -> Callable[[], Any]:
    label = f"Injected({getattr(key, '__qualname__', key)!s})"

    needs_await: list[bool] = []

    async def resolve() -> Any:
        scope = unit_scope(label)
        if not needs_await:
            # The sync path is the fast one. A binding that needs an await raises
            # AsyncRequiredError instead of building itself; from then on this key awaits.
            try:
                return scope.get(key, name=name)
            except AsyncRequiredError:
                needs_await.append(True)
        return await scope.aget(key, name=name)

    resolve.__name__ = resolve.__qualname__ = f"injected_{getattr(key, '__name__', 'dependency')}"
    resolve.__injectq_key__ = (key, name)  # type: ignore[attr-defined]
    return resolve


class _InjectedForm:
    """``Injected[T]`` and ``Injected(T, name=...)``: both are FastAPI dependencies."""

    def __getitem__(self, tp: Any) -> Any:
        key, name = split_key(tp)
        return Annotated[tp, INJECT_MARKER, Depends(_resolver(key, name))]

    def __call__(self, key: Any, *, name: str | None = None) -> Any:
        return Depends(_resolver(key, name))

    def __repr__(self) -> str:
        return "injectq.integrations.fastapi.Injected"


if TYPE_CHECKING:
    # For type checkers a parameter `x: Injected[T]` is a `T`; at run time the same name is
    # also callable, for `Annotated[T, Injected(T)]`.
    Injected = Annotated[T, INJECT_MARKER]
else:
    Injected = _InjectedForm()


def _probes(app: FastAPI) -> Iterable[Callable[..., Any]]:
    """For each function of the app's dependency trees with `Injected` parameters, a stand-in.

    The stand-in takes just those parameters, marked `Injected`, and unwraps to the function
    itself, so validation reports problems at the function's ``file:line``.
    """
    seen: set[int] = set()
    for route in routes_of(app.routes):
        if isinstance(route, APIRoute | APIWebSocketRoute):
            stack = [route.dependant]
            while stack:
                node = stack.pop()
                if id(node) in seen:
                    continue
                seen.add(id(node))
                stack.extend(node.dependencies)
                wanted = [
                    (sub.name, sub.call.__injectq_key__)  # type: ignore[union-attr]
                    for sub in node.dependencies
                    if hasattr(sub.call, "__injectq_key__")
                ]
                if wanted and node.call is not None:
                    yield _probe(node.call, wanted)


def _probe(fn: Callable[..., Any], wanted: list[tuple[str | None, Any]]) -> Callable[..., Any]:
    def probe(**kwargs: Any) -> None:
        """Stands for the function it wraps in validation; never called."""

    params = []
    for index, (param, (key, name)) in enumerate(wanted):
        tp = key if name is None else Annotated[key, Named(name)]
        params.append(
            inspect.Parameter(
                param or f"dependency_{index}",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[tp, INJECT_MARKER],
            )
        )
    probe.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    probe.__annotations__ = {p.name: p.annotation for p in params}
    probe.__wrapped__ = fn  # type: ignore[attr-defined]
    probe.__qualname__ = getattr(fn, "__qualname__", probe.__qualname__)
    probe.__name__ = getattr(fn, "__name__", probe.__name__)
    probe.__module__ = getattr(fn, "__module__", probe.__module__)
    return probe


def setup(app: FastAPI, container: InjectQ, *, scope: str = "request") -> None:
    """Wire ``app`` to ``container``: a scope per request, the container's life per app's.

    Validates every endpoint's `Injected` parameters (sub-dependencies included) now, and
    again at start-up for every endpoint (those added after ``setup()`` too), in one
    `BindingError` with each endpoint's ``file:line``.

    Args:
        app: The FastAPI application.
        container: The container endpoints resolve from.
        scope: The name of the scope each request and WebSocket runs in.

    Raises:
        UsageError: ``setup()`` was called twice for ``app``, or after it started.
        BindingError: Endpoint parameters the container cannot fill, or a context key
            declared for the scope that FastAPI cannot supply.
    """
    integration = Integration(
        container,
        framework="FastAPI",
        scope=scope,
        supplies=FASTAPI_SUPPLIES,
        handlers=lambda: [*_probes(app), *wrap_routes(app.routes, "FastAPI")],
    )
    wire(app, integration)
