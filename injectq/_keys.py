"""Keys: what a binding is bound to (a type plus an optional name), and their markers."""

from __future__ import annotations

import types
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated, Any, Final, Generic, NamedTuple, Protocol, TypeAlias, TypeVar

import attrs

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "INJECTED",
    "Assisted",
    "AsyncFactory",
    "AsyncProvider",
    "Factory",
    "Inject",
    "InjectionPoint",
    "Key",
    "KeyOf",
    "Named",
    "Part",
    "Provider",
    "Provides",
    "Target",
    "describe",
    "factory_key",
    "key_problem",
    "origin_of",
    "product_key",
]


class Key(NamedTuple):
    """A binding's identity: a type-like object, an optional name, and where it is visible.

    ``space`` is None for a key everyone sees; a binding kept inside a private module has
    that module's space (`injectq._module.Space`, compared by identity), so two private
    modules may bind the same type and name. Messages show a key without its space.

    The type of a hidden binding (an element of a collection) is a `Part`; `served` is then
    the type its instances have.

    A key is a tuple: install hashes and compares keys many times per binding, and a
    tuple does both in C. Nothing else is a 3-tuple where keys are looked up.
    """

    tp: Any
    name: str | None = None
    space: Any = None

    def __str__(self) -> str:
        return describe(self.tp, self.name)

    @property
    def served(self) -> Any:
        """The type of what this key serves: ``tp``, or the type a `Part` is of."""
        tp = self.tp
        return tp.tp if isinstance(tp, Part) else tp


@attrs.frozen(cache_hash=True)
class Part:
    """The type of a hidden key: a binding that is part of what another key serves.

    Nothing asks for a part by annotation; the compiler makes one for each element of a
    collection (``role="element"``, of the key ``list[T]``). Parts compare by what they are
    part of, their role and their position, so a recompiled graph finds the same keys.

    Attributes:
        tp: The type its instances have (``T``).
        role: ``"element"``.
        index: The position: the element's number (from 1).
        of: The key it is part of.
        label: How messages name it: ``Middleware (element 2 of list[Middleware])``.
    """

    tp: Any
    role: str
    index: int
    of: Key
    label: str = attrs.field(eq=False)

    def __repr__(self) -> str:
        return self.label


@attrs.frozen
class Named:
    """Marks an `Annotated` parameter to receive a named binding.

    Example:
        ``def __init__(self, handler: Annotated[Handler, Named("email")]) -> None``
    """

    name: str

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            from injectq.errors import UsageError

            msg = f"Named() takes a non-empty string, got {self.name!r}."
            raise UsageError(msg)


class _InjectMarker:
    """The metadata `Inject[T]` puts in `Annotated`."""

    def __repr__(self) -> str:
        return "Inject"


INJECT_MARKER = _InjectMarker()

Inject = Annotated[T, INJECT_MARKER]
"""``Inject[T]`` marks a parameter of an `@inject` function for injection explicitly."""


class _Injected:
    """The type of `INJECTED`; its repr says what to do when it reaches a function."""

    __slots__ = ()

    def __repr__(self) -> str:
        return (
            "<injectq.INJECTED: a parameter to inject; call the function through @inject "
            "or container.call()>"
        )

    def __reduce__(self) -> str:
        return "INJECTED"


INJECTED: Any = _Injected()
"""The default that marks a parameter for injection: ``repo: Repository = INJECTED``.

Like ``Inject[T]`` it marks the parameter explicitly; being a default, it also tells type
checkers that callers of an `@inject` function (or of a class decorated with it) may leave
the parameter out, while they check every argument passed.
"""


class _AssistedMarker:
    """The metadata `Assisted[T]` puts in `Annotated`."""

    def __repr__(self) -> str:
        return "Assisted"


ASSISTED_MARKER = _AssistedMarker()

Assisted = Annotated[T, ASSISTED_MARKER]
"""``Assisted[T]`` marks a constructor parameter that the caller of a `Factory` passes.

Example:
    ``def __init__(self, db: Database, title: Assisted[str]) -> None``
"""


class Provider(Protocol[T_co]):
    """A zero-argument callable that resolves ``T`` each time it is called.

    A parameter annotated ``Provider[T]`` receives one. It resolves ``T`` in the scope that is
    active when it is called, which lets a singleton use a scoped service without capturing
    it. For a binding that needs an ``await``, calling it returns an awaitable.
    """

    def __call__(self) -> T_co:
        """Resolve ``T``."""
        ...


class AsyncProvider(Protocol[T_co]):
    """A zero-argument callable returning an awaitable that resolves ``T``.

    A parameter annotated ``AsyncProvider[T]`` receives one: the typed way to take a
    `Provider` of a binding that needs an ``await`` (a ``Provider[T]`` of it returns an
    awaitable too, but its type says ``T``). Calling it always returns an awaitable, for a
    sync binding as well, so the binding can turn async without its consumers changing;
    ``T`` is resolved, when that awaitable is awaited, in the scope active then.
    """

    def __call__(self) -> Awaitable[T_co]:
        """Return an awaitable resolving ``T``."""
        ...


# How `bind(K, target)` is typed, so that checkers reject `bind(Repository, Unrelated)`.
#
# A key parameter is typed ``type[K] | KeyOf[K]`` and a target ``Target[K]``. The key alone
# must decide K: were K solved from both arguments, mypy would take the common base (object)
# and pyright the union ``Repository | Unrelated``, and accept the call. Each checker needs
# its own `KeyOf` for that:
# - mypy infers K from ``type[K]`` first and from callable-typed parameters (the target)
#   after, so K is the key's type when the target is checked. Its `KeyOf` matches nothing;
#   it is there because a union, unlike a bare ``type[K]``, lets abstract classes and
#   protocols through (mypy accepts only concrete classes where ``type[K]`` is expected).
# - pyright solves K from the arguments in order and widens it to fit a later one, unless
#   an earlier one fixed it exactly. Its `KeyOf` matches every class object through the
#   metaclass method ``__subclasses__() -> list[type[K]]``: K inside a list is invariant,
#   so the key fixes K exactly.
# mypy reads ``if MYPY:`` as it reads ``if TYPE_CHECKING:`` and skips the other branch;
# pyright (and Python) take the second definition, the one that counts for them.
MYPY: Final = False

if MYPY:

    class KeyOf(Protocol[T_co]):  # pyright: ignore[reportRedeclaration]
        """What mypy sees: a protocol no key matches (the key is a ``type[K]``)."""

        def __injectq_key_of__(self) -> T_co:
            """Never present: no object matches this protocol."""
            ...

else:

    class KeyOf(Protocol[T]):
        """What pyright sees: a class object, whose instances are exactly ``T``."""

        def __subclasses__(self) -> list[type[T]]:
            """The metaclass method every class object has."""
            ...


Provides: TypeAlias = T | Awaitable[T] | Iterator[T] | AsyncIterator[T]
"""What a provider function of ``T`` returns: ``T``, or a coroutine or (async) generator of it."""

Target: TypeAlias = type[T] | Callable[..., Provides[T]] | T
"""What ``bind(K, target)`` takes: a class of ``K``, a provider function of ``K``, an instance."""


class Factory(Protocol[T_co]):
    """A callable that builds a new ``T`` each time it is called (never cached).

    A parameter annotated ``Factory[T]`` receives one. It takes the parameters that ``T``'s
    constructor marks `Assisted` (by position or keyword, with their defaults) and injects
    all the others; when ``T`` is bound to a class, that class's constructor is the one
    used. When building ``T`` needs an ``await``, calling it returns an awaitable (its type
    says ``T``: take an `AsyncFactory` instead).
    """

    def __call__(self, *args: Any, **kwargs: Any) -> T_co:
        """Build a new ``T`` from the assisted arguments."""
        ...


class AsyncFactory(Protocol[T_co]):
    """A `Factory` whose calls return an awaitable of the new ``T``.

    The typed way to take a factory of what needs an ``await`` to build (as `AsyncProvider`
    is for `Provider`): calling it always returns an awaitable, also when building ``T``
    needs none, so ``T`` can turn async without its consumers changing.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Awaitable[T_co]:
        """Return an awaitable building a new ``T`` from the assisted arguments."""
        ...


def factory_key(key: Key, *, awaitable: bool = False) -> Key:
    """The key of the factory of ``key``'s products: ``Factory[T]`` (``AsyncFactory[T]``)."""
    generic: Any = AsyncFactory if awaitable else Factory  # subscripted with a runtime value
    return Key(generic[key.tp], key.name, key.space)


def product_key(key: Key) -> Key | None:
    """For ``Factory[T]`` or ``AsyncFactory[T]``, the key of ``T``; None for any other key."""
    if typing.get_origin(key.tp) not in (Factory, AsyncFactory):
        return None
    args = typing.get_args(key.tp)
    return Key(args[0], key.name, key.space) if args else None


def awaits(key: Key) -> bool:
    """Whether ``key`` is ``AsyncFactory[T]``, whose calls always return awaitables."""
    return typing.get_origin(key.tp) is AsyncFactory


@attrs.frozen
class InjectionPoint:
    """Who asks for a binding whose provider takes an ``InjectionPoint`` parameter.

    Each parameter that such a binding is injected into gets its own point, made once when
    the graph is compiled.

    Attributes:
        key: The type being injected (the binding's key).
        name: The binding name asked for, or None.
        owner: The class or function whose parameter is being injected; None for a direct
            ``get()``.
        parameter: That parameter's name; None for a direct ``get()``.
    """

    key: Any
    name: str | None = None
    owner: Any = None
    parameter: str | None = None


_GENERIC_ALIASES: tuple[type, ...] = (
    types.GenericAlias,
    type(typing.List[int]),  # noqa: UP006 - the typing flavour of an alias is its own class
)
_NEW_TYPE: type = typing.NewType


def describe(tp: Any, name: str | None = None) -> str:
    """Return a short readable name for a key: ``Cache[User]``, ``Handler named "email"``."""
    text = _type_name(tp)
    if name is not None:
        text += f' named "{name}"'
    return text


def _type_name(tp: Any) -> str:
    if isinstance(tp, Part):
        return tp.label
    if tp is None or tp is type(None):
        return "None"
    if isinstance(tp, _GENERIC_ALIASES):
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            return _type_name(args[0])
        if origin in (typing.Union, types.UnionType):
            return " | ".join(_type_name(a) for a in args)
        base = _type_name(origin)
        return f"{base}[{', '.join(_type_name(a) for a in args)}]"
    if isinstance(tp, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(tp))
    if isinstance(tp, _NEW_TYPE):
        return str(getattr(tp, "__name__", tp))
    if isinstance(tp, type):
        return tp.__qualname__
    if isinstance(tp, TypeVar):
        return tp.__name__
    if isinstance(tp, list):
        return "[" + ", ".join(_type_name(a) for a in tp) + "]"
    if tp is Ellipsis:
        return "..."
    if isinstance(tp, str):
        return repr(tp)
    name = getattr(tp, "__qualname__", None) or getattr(tp, "__name__", None)
    return str(name) if name else repr(tp)


def origin_of(tp: Any) -> Any:
    """``typing.get_origin(tp) or tp``: the class behind ``Repo[User]``, a plain class itself.

    A plain class (whose metaclass is `type`) is answered without asking `typing`: install
    asks this of every binding's key and target several times.
    """
    if type(tp) is type:
        return tp
    return typing.get_origin(tp) or tp


def key_problem(tp: Any) -> str | None:
    """Say why ``tp`` cannot be a key, or return None when it can.

    A key is a class (ABCs and Protocols included), a parametrised generic such as
    ``Cache[User]``, a ``NewType`` or a ``type`` alias statement.
    """
    if type(tp) is type:  # a plain class, the common case (hashed by identity)
        return None
    try:
        hash(tp)
    except TypeError:
        return f"{type(tp).__name__} {tp!r} is not hashable"
    if isinstance(tp, type):
        return None
    if isinstance(tp, _GENERIC_ALIASES):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            return "Annotated[...] is not a key: bind the type and use name=... instead"
        if origin in (typing.Union, typing.Literal):
            return f"{describe(tp)} is a union or literal, not a single type"
        return None
    if isinstance(tp, _NEW_TYPE):
        return None
    if type(tp).__name__ == "TypeAliasType":
        return None
    if isinstance(tp, types.UnionType):
        return f"{describe(tp)} is a union, not a single type"
    if tp is None:
        return "None is not a type"
    if isinstance(tp, str):
        return f"the string {tp!r} is not a type (forward references are not keys)"
    return f"{type(tp).__name__} {tp!r} is not a type"


def is_callable_target(value: Any) -> bool:
    """Tell whether ``bind(K, value)`` treats ``value`` as a provider function.

    Functions, lambdas, bound methods, builtins and `functools.partial` objects are providers;
    any other object (including instances that define ``__call__``) is an instance binding.
    """
    import functools

    return isinstance(
        value,
        types.FunctionType
        | types.MethodType
        | types.BuiltinFunctionType
        | types.BuiltinMethodType
        | functools.partial,
    )


class ProviderFn(Generic[T]):
    """The runtime form of a `Provider[T]`: resolves its key from a container when called."""

    __slots__ = ("_resolve",)

    def __init__(self, resolve: Callable[[], T]) -> None:
        self._resolve = resolve

    def __call__(self) -> T:
        return self._resolve()

    def __repr__(self) -> str:
        return f"<Provider {self._resolve!r}>"
