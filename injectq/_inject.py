"""`@inject`: inject the parameters a caller did not pass, from the current container."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

from injectq._container import InjectQ
from injectq._introspect import Signature, read_callable
from injectq.errors import ResolutionError, UsageError

__all__ = ["inject"]

R = TypeVar("R")
C = TypeVar("C", bound=type[Any])


@overload
def inject(fn: C) -> C: ...
@overload
def inject(fn: Callable[..., R]) -> Callable[..., R]: ...
def inject(fn: Any) -> Any:
    """Inject the parameters the caller did not pass, from `InjectQ.current`.

    Works on functions, ``async`` functions and methods; on a class it wraps ``__init__``.
    For type checkers the decorated function keeps its return type and accepts any
    arguments, since the injected ones may be left out.
    Every parameter left out by the caller is injected by its annotation, unless some
    parameter is marked ``Inject[T]``: then only the marked ones are. A parameter with a
    default keeps it when its type is unbound. A container is needed only when something is
    left to inject.

    Example:
        ```python
        @inject
        def handle(order_id: int, repo: Repository) -> Order: ...

        with container.activate():
            handle(42)
        ```
    """
    if isinstance(fn, type):
        init = fn.__dict__.get("__init__")
        if init is None:
            msg = (
                f"@inject on {fn.__qualname__}, which defines no __init__ of its own. "
                "Hint: decorate the __init__ that takes the dependencies."
            )
            raise UsageError(msg)
        fn.__init__ = inject(init)  # type: ignore[misc]
        return fn
    if not callable(fn):
        msg = f"@inject decorates a function, got {type(fn).__name__} {fn!r}."
        raise UsageError(msg)
    state: list[tuple[Signature, bool]] = []

    def signature() -> tuple[Signature, bool]:
        # Read on the first call, when forward references have been defined.
        if not state:
            sig = read_callable(fn)
            if sig.problem is not None:
                msg = f"@inject cannot read {sig.owner}: {sig.problem}."
                raise ResolutionError(sig.owner, msg, hint="make its annotations importable.")
            state.append((sig, any(p.explicit for p in sig.params)))
        return state[0]

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            sig, explicit = signature()
            if _all_passed(sig, args, kwargs, explicit_only=explicit):
                return await fn(*args, **kwargs)
            container = InjectQ.current()
            extra = await container._afill(sig, args, kwargs, explicit_only=explicit)
            return await fn(*args, **kwargs, **extra)

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        sig, explicit = signature()
        if _all_passed(sig, args, kwargs, explicit_only=explicit):
            return fn(*args, **kwargs)
        container = InjectQ.current()
        extra = container._fill(sig, args, kwargs, explicit_only=explicit)
        return fn(*args, **kwargs, **extra)

    return wrapper


def _all_passed(
    sig: Signature, args: tuple[Any, ...], kwargs: dict[str, Any], *, explicit_only: bool
) -> bool:
    positional = 0
    for param in sig.params:
        if not param.keyword and positional < len(args):
            positional += 1
            continue
        if param.name in kwargs or (explicit_only and not param.explicit):
            continue
        if not param.annotated and param.has_default:
            continue
        return False
    return True
