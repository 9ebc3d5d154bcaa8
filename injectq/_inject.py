"""`@inject`: inject the parameters a caller did not pass, from the current container."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, overload

from injectq._calls import read_function
from injectq._container import InjectQ
from injectq._introspect import Signature
from injectq._plan import CALL_SHAPES, Shape, call_shape, to_fill
from injectq.errors import UsageError

__all__ = ["inject"]

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type[Any])


@overload
def inject(fn: C) -> C: ...
@overload
def inject(fn: Callable[P, R]) -> Callable[P, R]: ...
def inject(fn: Any) -> Any:
    """Inject the parameters the caller did not pass, from `InjectQ.current`.

    Works on functions, ``async`` functions and methods; on a class it wraps ``__init__``.
    Every parameter left out by the caller is injected by its annotation, unless some
    parameter is marked, with ``Inject[T]`` or the default `INJECTED`: then only the marked
    ones are. A parameter with a default keeps it when its type is unbound. A container is
    needed only when something is left to inject.

    For type checkers the decorated function keeps its signature, so its callers are checked
    for the arguments they pass; give the injected parameters the default `INJECTED` to let
    callers leave them out.

    Example:
        ```python
        @inject
        def handle(order_id: int, repo: Repository = INJECTED) -> Order: ...

        with container.activate():
            handle(42)
        ```
    """
    if isinstance(fn, type):
        init = fn.__dict__.get("__init__")
        if not inspect.isfunction(init):
            what = (
                "defines no __init__ of its own"
                if init is None
                else f"is a built-in or extension type ({fn.__module__}.{fn.__qualname__})"
            )
            msg = (
                f"@inject on the class {fn.__qualname__}, which {what}. Hint: decorate the "
                "__init__ that takes the dependencies, or use container.call(cls, ...)."
            )
            raise UsageError(msg)
        fn.__init__ = inject(init)  # type: ignore[misc]
        return fn
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or isinstance(fn, functools.partial)):
        msg = (
            f"@inject decorates a function, got {type(fn).__name__} {fn!r}. Hint: decorate a "
            "def or async def (or a method); to call anything else with injection, use "
            "container.call(fn, ...)."
        )
        raise UsageError(msg)
    state: list[tuple[Signature, bool]] = []
    # Per `call_shape`: whether a call of it leaves anything to inject (then a container is
    # needed; what it fills, `pending` keeps per shape in the plan).
    shapes: dict[Shape, bool] = {}

    def leaves_out(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        shape = call_shape(args, kwargs)
        found = shapes.get(shape)
        if found is None:
            if not state:  # read on the first call, when forward references are defined
                sig = read_function(fn, "@inject")
                state.append((sig, any(p.explicit for p in sig.params)))
            found = bool(to_fill(state[0][0], args, kwargs, explicit_only=state[0][1]))
            if len(shapes) < CALL_SHAPES:
                shapes[shape] = found
        return found

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            if not leaves_out(args, kwargs):
                return await fn(*args, **kwargs)
            container = InjectQ.current()
            positional, keywords = await container._afill(fn, state[0][0], args, kwargs)
            return await fn(*positional, **keywords)

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not leaves_out(args, kwargs):
            return fn(*args, **kwargs)
        container = InjectQ.current()
        positional, keywords = container._fill(fn, state[0][0], args, kwargs)
        return fn(*positional, **keywords)

    return wrapper
