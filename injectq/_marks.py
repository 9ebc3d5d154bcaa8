"""The DSL's marks: `@provider`, `@singleton`, `@transient`, `@scoped`, `@resource`.

They and the scope names they take live here.

A mark is an attribute set on the function or class; `injectq._module` reads provider marks
while collecting a module, and the compiler reads class marks (`class_scope`,
`is_resource_class`) when a class is a target.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, Final, TypeVar, overload

import attrs

from injectq._keys import origin_of
from injectq.errors import UsageError

__all__ = [
    "PROVIDER_ATTR",
    "REQUEST",
    "SINGLETON",
    "TRANSIENT",
    "ProviderSpec",
    "class_scope",
    "describe_value",
    "is_resource_class",
    "provider",
    "resource",
    "scoped",
    "singleton",
    "transient",
]

SINGLETON: Final = "singleton"
TRANSIENT: Final = "transient"
REQUEST: Final = "request"

C = TypeVar("C", bound=type[Any])
F = TypeVar("F", bound=Callable[..., Any])


@attrs.frozen
class ProviderSpec:
    """What ``@provider(...)`` set on a module method."""

    name: str | None = None
    scope: str | None = None
    multi: bool = False


PROVIDER_ATTR: Final = "__injectq_provider__"
_SCOPE_ATTR: Final = "__injectq_scope__"
_RESOURCE_ATTR: Final = "__injectq_resource__"


@overload
def provider(fn: F, /) -> F: ...
@overload
def provider(
    *, name: str | None = None, scope: str | None = None, multi: bool = False
) -> Callable[[F], F]: ...
def provider(
    fn: Any = None, /, *, name: str | None = None, scope: str | None = None, multi: bool = False
) -> Any:
    """Mark a module method as a provider of its return annotation's type.

    The method's parameters are injected. It may be sync, ``async``, a generator or an async
    generator (the code after ``yield`` is its teardown). ``@provider(name=..., scope=...)``
    names the binding and sets its scope (``"singleton"``, ``"transient"`` or a scope name).
    ``@provider(multi=True)`` contributes an element to the collection of its type instead
    (as ``self.multibind(T, ...)`` does), received by parameters annotated ``list[T]``.
    """
    if scope is not None and (not isinstance(scope, str) or not scope):
        msg = f"@provider(scope=...) takes a scope name string, got {scope!r}."
        raise UsageError(msg)
    if name is not None and (not isinstance(name, str) or not name):
        msg = f"@provider(name=...) takes a non-empty string, got {name!r}."
        raise UsageError(msg)
    if not isinstance(multi, bool):
        msg = f"@provider(multi=...) takes True or False, got {multi!r}."
        raise UsageError(msg)
    if multi and name is not None:
        msg = (
            f'@provider(multi=True, name="{name}"): an element of a collection has no name; '
            "list[T] receives every element in install order. Hint: drop name=..., or "
            "drop multi=True to make a named binding (get_all() and dict[str, T] receive "
            "those)."
        )
        raise UsageError(msg)
    spec = ProviderSpec(name, scope, multi)

    def mark(f: F) -> F:
        raw: Any = f  # narrowing f itself would lose its type F for the return
        target = raw.__func__ if isinstance(raw, staticmethod | classmethod) else raw
        if not callable(target) or isinstance(target, type):
            msg = f"@provider decorates a function, got {describe_value(f)}."
            if isinstance(target, type):
                msg += (
                    f" Hint: bind the class itself (self.bind({target.__name__})), or mark it "
                    "@singleton / @scoped."
                )
            raise UsageError(msg)
        _mark(target, PROVIDER_ATTR, spec, "provider", f)
        return f

    if fn is None:
        return mark
    return mark(fn)


def describe_value(value: Any) -> str:
    """How a message names a value passed where it does not fit: ``int 42``, ``class int``."""
    if isinstance(value, type):
        return f"class {value.__qualname__}"
    if isinstance(value, types.FunctionType):
        return f"function {value.__qualname__}"
    if isinstance(value, types.MethodType):
        return f"bound method {value.__qualname__}"
    if isinstance(value, types.BuiltinFunctionType | types.MethodDescriptorType):
        return f"built-in function {value.__qualname__}"
    return f"{type(value).__name__} {value!r}"


def _mark(target: Any, attr: str, value: Any, label: str, decorated: Any) -> None:
    """Set a decorator's mark on ``target``; built-in objects and bound methods refuse it."""
    try:
        setattr(target, attr, value)
    except (AttributeError, TypeError):
        key = decorated.__name__ if isinstance(decorated, type) else "Key"
        if label == "provider":
            fn = getattr(decorated, "__name__", "fn")
            if isinstance(decorated, types.MethodType):
                fn = f"obj.{fn}"
            hint = (
                "@provider marks a def in a Module's body; to bind another callable, use "
                f"self.bind(Key).to_provider({fn})"
            )
        elif label == "resource":
            hint = (
                "bind a generator provider that yields it and closes it after the yield, or "
                "wrap it in a class of your own with initialize() and dispose()"
            )
        else:
            hint = f"give the scope where you bind it instead: self.bind({key}, ...).{label}()"
        why = (
            "a bound method takes no attributes"
            if isinstance(decorated, types.MethodType)
            else "it is built in, and its attributes cannot be set"
        )
        msg = f"@{label} cannot mark the {describe_value(decorated)}: {why}. Hint: {hint}."
        raise UsageError(msg) from None


def _scope_decorator(scope: str, label: str) -> Callable[[C], C]:
    def mark(cls: C) -> C:
        if not isinstance(cls, type):
            msg = f"@{label} decorates a class, got {describe_value(cls)}."
            raise UsageError(msg)
        _mark(cls, _SCOPE_ATTR, scope, label, cls)
        return cls

    return mark


def singleton(cls: C, /) -> C:
    """Give a class the singleton scope when it is bound without one (Guice's ``@Singleton``)."""
    return _scope_decorator(SINGLETON, "singleton")(cls)


def transient(cls: C, /) -> C:
    """Give a class the transient scope when it is bound without one."""
    return _scope_decorator(TRANSIENT, "transient")(cls)


@overload
def scoped(cls: C, /) -> C: ...
@overload
def scoped(scope: str = REQUEST, /) -> Callable[[C], C]: ...
@overload
def scoped(*, scope: str = REQUEST) -> Callable[[C], C]: ...
def scoped(arg: Any = REQUEST, /, *, scope: str | None = None) -> Any:
    """Give a class a named scope (``"request"`` by default) when bound without one.

    Usable bare (``@scoped``) or with a name (``@scoped("tenant")``, ``@scoped(scope=...)``).
    """
    if isinstance(arg, type):
        return _scope_decorator(REQUEST, "scoped")(arg)
    name = scope if scope is not None else arg
    if not isinstance(name, str) or not name or name in (SINGLETON, TRANSIENT):
        msg = (
            f"@scoped takes a scope name such as 'request', got {name!r}. "
            "Hint: use @singleton or @transient for those."
        )
        raise UsageError(msg)
    return _scope_decorator(name, "scoped")


def resource(cls: C, /) -> C:
    """Mark a class whose ``initialize()`` and ``dispose()`` the container calls.

    ``initialize()`` (sync or ``async``) runs once after construction, before anyone receives
    the instance; ``dispose()`` runs when the scope that owns the instance ends.
    """
    if not isinstance(cls, type):
        msg = f"@resource decorates a class, got {describe_value(cls)}."
        raise UsageError(msg)
    _mark(cls, _RESOURCE_ATTR, True, "resource", cls)  # noqa: FBT003 - the mark's value
    return cls


def class_scope(cls: Any) -> str | None:
    """The scope a class decorator set on ``cls`` itself (not inherited), if any."""
    origin = origin_of(cls)
    if not isinstance(origin, type):
        return None
    value = vars(origin).get(_SCOPE_ATTR)
    return value if isinstance(value, str) else None


def is_resource_class(cls: Any) -> bool:
    """Whether ``cls`` (or a base) is marked ``@resource``."""
    if isinstance(cls, type):  # its classes' own dicts: an absent attribute costs an exception
        for klass in cls.__mro__:
            own = klass.__dict__
            if _RESOURCE_ATTR in own:
                return own[_RESOURCE_ATTR] is True
        return False
    return getattr(cls, _RESOURCE_ATTR, False) is True
