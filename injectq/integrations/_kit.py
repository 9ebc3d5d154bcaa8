"""The integration kit: what every framework integration does, written once.

A framework module maps its own objects onto the pieces here and adds nothing else:

- `Injected[T]` marks a handler parameter for injection (``Annotated[T, Inject]``, so type
  checkers see ``T``); `injected_parameters` finds them and `wrap_handler` fills them.
- `Integration` is one app wired to one container: the context keys the framework can
  supply, the handlers to validate (at ``setup()`` and again at start-up), and the
  container's life (entered and activated at start-up, closed at shut-down).
- `Unit` is one unit of work (a request, a WebSocket connection, a task, a command): it
  enters the scope with the unit's context, keeps the exception that ended the unit, also
  one the framework turned into a response (the framework calls `note_error` from its
  error hook), and leaves the scope with it, so generator providers roll back exactly
  where the framework's own dependencies would.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import typing
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
)
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Annotated, Any, TypeVar

from injectq import InjectQ, Named, Scope, inject
from injectq._keys import INJECT_MARKER, describe
from injectq.errors import BindingError, Problem, UsageError

__all__ = [
    "MISSING",
    "SCOPE_KEY",
    "Connection",
    "Injected",
    "Integration",
    "Unit",
    "UnitMiddleware",
    "ainjected_arguments",
    "already_set_up",
    "current_unit",
    "injected_arguments",
    "injected_parameters",
    "note_error",
    "split_key",
    "wrap_handler",
]

T = TypeVar("T")

Injected = Annotated[T, INJECT_MARKER]
"""``Injected[T]`` marks a handler parameter that the container fills.

``Injected[Annotated[T, Named("x")]]`` asks for a named binding. The other parameters are
left to the framework.
"""

MISSING: Any = object()
"""What a context supplier returns when the unit of work has no such object."""

_CURRENT: ContextVar[Unit | None] = ContextVar("injectq.unit", default=None)

Supplier = Callable[[Any], Any]
"""Takes the framework's object for a unit of work, returns one context value (or `MISSING`)."""


def current_unit() -> Unit | None:
    """The unit of work running in this context, if any."""
    return _CURRENT.get()


def note_error(exc: BaseException) -> None:
    """Keep ``exc`` as what ended the current unit of work (the first one noted wins).

    Framework modules call it from the hook where the framework turns an exception into a
    response, so the scope is left with the exception although nothing re-raises it.
    """
    unit = _CURRENT.get()
    if unit is not None and unit.error is None:
        unit.error = exc


class Unit:
    """One unit of work: a scope entered with its context, left with what ended the unit.

    Use it as ``with`` or ``async with``. Leaving it passes the exception that ended the
    body, or else the one noted with `note_error`, into the scope's exit, where it is thrown
    into generator providers at their ``yield``. A noted exception is not raised again: the
    framework has already answered it.

    Attributes:
        scope: The scope of the unit.
        error: The exception noted for the unit, if any.
    """

    __slots__ = ("_token", "error", "scope")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.error: BaseException | None = None
        self._token: Token[Unit | None] | None = None

    def _ended(self, exc: BaseException | None) -> BaseException | None:
        if self._token is not None:
            try:
                _CURRENT.reset(self._token)
            except ValueError:  # left in another context than it was entered in
                _CURRENT.set(None)
            self._token = None
        return exc if exc is not None else self.error

    def __enter__(self) -> Unit:
        self.scope.__enter__()
        self._token = _CURRENT.set(self)
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        ended = self._ended(exc)
        if ended is None:
            self.scope.__exit__(None, None, None)
        else:
            self.scope.__exit__(type(ended), ended, ended.__traceback__)

    async def __aenter__(self) -> Unit:
        await self.scope.__aenter__()
        self._token = _CURRENT.set(self)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        ended = self._ended(exc)
        if ended is None:
            await self.scope.__aexit__(None, None, None)
        else:
            await self.scope.__aexit__(type(ended), ended, ended.__traceback__)


def injected_parameters(fn: Any) -> tuple[str, ...] | None:
    """The names of ``fn``'s parameters marked `Injected` (``None``: unreadable annotations).

    Read at setup, never per call.
    """
    target = fn.func if isinstance(fn, functools.partial) else fn
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception:  # noqa: BLE001 - container.validate() reports why, with file:line
        return None
    return tuple(
        name
        for name, hint in hints.items()
        if name != "return"
        and typing.get_origin(hint) is Annotated
        and any(meta is INJECT_MARKER for meta in hint.__metadata__)
    )


def wrap_handler(fn: Callable[..., Any], *, hide: Iterable[str] = ()) -> Callable[..., Any]:
    """``fn`` with its `Injected` parameters filled from the current scope.

    The wrapper stays sync or async as ``fn`` is, notes an exception it raises for the unit
    of work, and shows the framework a signature without the parameters named in ``hide``
    (those the container fills), so a framework that reads signatures leaves them alone.
    """
    injecting = inject(fn)
    if inspect.iscoroutinefunction(fn):

        async def async_handler(*args: Any, **kwargs: Any) -> Any:
            try:
                return await injecting(*args, **kwargs)
            except BaseException as exc:
                note_error(exc)
                raise

        handler: Callable[..., Any] = async_handler
    else:

        def sync_handler(*args: Any, **kwargs: Any) -> Any:
            try:
                return injecting(*args, **kwargs)
            except BaseException as exc:
                note_error(exc)
                raise

        handler = sync_handler
    functools.update_wrapper(handler, fn)
    hidden = set(hide)
    if hidden:
        sig = inspect.signature(fn)
        handler.__signature__ = sig.replace(  # type: ignore[attr-defined]
            parameters=[p for n, p in sig.parameters.items() if n not in hidden]
        )
        handler.__annotations__ = {
            n: a for n, a in getattr(fn, "__annotations__", {}).items() if n not in hidden
        }
    handler.__injectq_handler__ = fn  # type: ignore[attr-defined]
    return handler


def injected_arguments(fn: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    """For a framework that passes a handler's arguments in a dict others may add to.

    Django hands its view middleware the keyword arguments it will call the view with;
    the function returned here gives the `Injected` arguments of ``fn`` that are not among
    them (``args(**given)``), resolved from the current scope exactly as `wrap_handler`'s
    wrapper would (through ``@inject``, on a stand-in that takes only those parameters).
    Read at setup or once per handler, never per call.
    """
    names, filled = _stand_in(fn, asynchronous=False)
    if not names:
        return _no_arguments

    def missing(**given: Any) -> dict[str, Any]:
        found: dict[str, Any] = filled(**{n: given[n] for n in names if n in given})
        for name in given:
            found.pop(name, None)
        return found

    return missing


def ainjected_arguments(fn: Callable[..., Any]) -> Callable[..., Awaitable[dict[str, Any]]]:
    """`injected_arguments` for a framework that awaits: the arguments come from ``aget``.

    So a binding that needs an ``await`` (an async provider) can be injected.
    """
    names, filled = _stand_in(fn, asynchronous=True)

    async def missing(**given: Any) -> dict[str, Any]:
        if not names:
            return {}
        found: dict[str, Any] = await filled(**{n: given[n] for n in names if n in given})
        for name in given:
            found.pop(name, None)
        return found

    return missing


def _stand_in(fn: Callable[..., Any], *, asynchronous: bool) -> tuple[tuple[str, ...], Any]:
    """The names of ``fn``'s `Injected` parameters and an ``@inject`` function taking them."""
    target = fn.func if isinstance(fn, functools.partial) else fn
    names = injected_parameters(fn) or ()
    if not names:
        return (), None
    hints = typing.get_type_hints(target, include_extras=True)
    params = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in names]
    arguments: Callable[..., Any]
    if asynchronous:

        async def aarguments(**values: Any) -> dict[str, Any]:
            return values

        arguments = aarguments
    else:

        def sarguments(**values: Any) -> dict[str, Any]:
            return values

        arguments = sarguments
    arguments.__signature__ = inspect.Signature(params)  # type: ignore[union-attr]
    arguments.__annotations__ = {n: hints[n] for n in names}
    arguments.__qualname__ = getattr(fn, "__qualname__", arguments.__qualname__)
    return names, inject(arguments)


def _no_arguments(**given: Any) -> dict[str, Any]:
    return {}


class Integration:
    """One framework app wired to one container.

    Args:
        container: The container handlers resolve from.
        framework: The framework's name, for messages (``"FastAPI"``).
        scope: The name of the scope each unit of work runs in.
        supplies: The context keys the framework can hand in at each unit's start, each
            with the function that takes the framework's object for the unit and returns the
            value (or `MISSING`, when this unit has none, e.g. a ``Request`` for a WebSocket).
        handlers: Returns every handler of the app to validate (called at each `check`).

    Raises:
        UsageError: ``container`` is not an `InjectQ`, or ``scope`` is not a scope name.
    """

    def __init__(
        self,
        container: InjectQ,
        *,
        framework: str,
        scope: str = "request",
        supplies: Mapping[Any, Supplier] | None = None,
        handlers: Callable[[], Iterable[Callable[..., Any]]] = tuple,
    ) -> None:
        if not isinstance(container, InjectQ):
            msg = (
                f"{framework} setup() takes an injectq.InjectQ container, got "
                f"{type(container).__name__} {container!r}. Hint: pass the container your "
                "modules are installed in, e.g. setup(app, InjectQ(AppModule()))."
            )
            raise UsageError(msg)
        if not isinstance(scope, str) or not scope or scope in ("singleton", "transient"):
            msg = (
                f"{framework} setup() takes scope= as the name of the scope each unit of work "
                f"runs in, such as 'request', got {scope!r}. Hint: singletons live in the "
                "container itself; transients need no scope."
            )
            raise UsageError(msg)
        self.container = container
        self.framework = framework
        self.scope_name = scope
        self.supplies: dict[Any, Supplier] = dict(supplies or {})
        self.handlers = handlers
        self._context: tuple[tuple[Any, Supplier], ...] = ()

    def __repr__(self) -> str:
        return f"<{self.framework} integration scope={self.scope_name!r}>"

    def check(self) -> None:
        """Validate the context keys and every handler of the app, all problems at once.

        Raises:
            BindingError: A context key declared for the scope that the framework cannot
                supply, or handler parameters the container cannot fill (each with the
                handler's ``file:line``).
        """
        self._context = self._plan_context()
        found = list(dict.fromkeys(self.handlers()))
        if found:
            self.container.validate(*found)

    def _plan_context(self) -> tuple[tuple[Any, Supplier], ...]:
        planned: list[tuple[Any, Supplier]] = []
        problems: list[Problem] = []
        for info in self.container.graph.context_keys(self.scope_name):
            # Request[Any, Any, Any] is a Request: a parametrised key takes its class's value.
            supplier = None
            if info.name is None:
                supplier = self.supplies.get(typing.get_origin(info.key) or info.key)
            if supplier is not None:
                planned.append((info.key, supplier))
                continue
            offered = ", ".join(describe(k) for k in self.supplies) or "nothing"
            problems.append(
                Problem(
                    "unsupplied-context",
                    f"{self.framework} cannot supply {info.label}, declared with "
                    f'.from_context() for the scope "{self.scope_name}" its units run in.',
                    (
                        f"{info.label} declared at: {info.location} "
                        f"(in {' <- '.join(info.modules)})",
                        f"{self.framework} supplies: {offered}.",
                    ),
                    f"bind {info.label} with a scoped provider that takes what "
                    f"{self.framework} supplies, or declare it for a scope you enter "
                    'yourself: .from_context(scope="job") and '
                    'container.scope("job", context={...}).',
                )
            )
        if problems:
            raise BindingError(problems, during=f"wiring {self.framework}")
        return tuple(planned)

    def unit(self, raw: Any) -> Unit:
        """A new unit of work whose context comes from the framework's object ``raw``."""
        plan = self._context
        if not plan:
            return Unit(self.container.scope(self.scope_name))
        context: dict[Any, Any] = {}
        for key, supply in plan:
            value = supply(raw)
            if value is not MISSING:
                context[key] = value
        return Unit(self.container.scope(self.scope_name, context=context))

    @contextlib.asynccontextmanager
    async def alifespan(self) -> AsyncIterator[None]:
        """Start-up to shut-down: validate, enter and activate the container, then close it."""
        self.check()
        async with self.container:
            with self.container.activate():
                yield

    @contextlib.contextmanager
    def lifespan(self) -> Iterator[None]:
        """`alifespan` for frameworks without an event loop."""
        self.check()
        with self.container, self.container.activate():
            yield


def already_set_up(
    framework: str, app: Any, first: Any, *, call: str = "setup(app, container)"
) -> UsageError:
    """The error for a second ``setup()`` on one app; ``call`` is how the framework's is made."""
    msg = (
        f"{framework} setup() was called twice for the app {app!r}; it is wired to {first!r} "
        f"already. Hint: call {call} once, where the app is created; for a test that needs "
        "other bindings, use container.override(...) or a new app."
    )
    return UsageError(msg)


def split_key(tp: Any) -> tuple[Any, str | None]:
    """``Annotated[T, Named("x")]`` -> ``(T, "x")``; anything else -> ``(tp, None)``."""
    if typing.get_origin(tp) is Annotated:
        names = [m.name for m in tp.__metadata__ if isinstance(m, Named)]
        if names:
            return tp.__origin__, names[-1]
    return tp, None


# -- ASGI: one middleware for every ASGI framework ---------------------------------------------

SCOPE_KEY = "injectq.scope"
"""The key of the unit's `Scope` in the ASGI scope."""

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


class Connection:
    """One ASGI connection: what context suppliers build the framework's objects from.

    Attributes:
        after: Awaited after the app answered, before the scope is left (background tasks).
    """

    __slots__ = ("after", "receive", "scope", "send")

    def __init__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        self.after: Callable[[], Awaitable[None]] | None = None


class UnitMiddleware:
    """Pure ASGI middleware: each HTTP request and WebSocket runs in its own unit of work.

    The unit's scope is also put in the ASGI scope under `SCOPE_KEY`.
    """

    def __init__(self, app: ASGIApp, integration: Integration) -> None:
        self.app = app
        self.integration = integration

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":  # noqa: PLR1714 - cheaper than a tuple
            await self.app(scope, receive, send)
            return
        conn = Connection(scope, receive, send)
        async with self.integration.unit(conn) as unit:
            scope[SCOPE_KEY] = unit.scope
            await self.app(scope, receive, send)
            if conn.after is not None:
                await conn.after()
