"""Type variables in keys and targets: matching, substituting, and what a class is a kind of.

An *open* key holds a `TypeVar` (``Repo[T]``); a *closed* one holds none (``Repo[User]``).
`match` finds the type variables of an open key that make it a closed one; `substitute`
puts them into an annotation or a generic target; `typevar_map` tells, for a parametrised
generic class, what each type variable of it and of its generic bases stands for (so an
``__init__`` inherited from ``Base[T]`` is read with ``T`` filled in); `ancestor_args` says
which arguments a class gives a generic base (``UserRepo(Repo[User])`` is a ``Repo[User]``).

Nothing here decides what a binding means: the compiler does, with these answers.
"""

from __future__ import annotations

import typing
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "ancestor_args",
    "bound_problem",
    "free_typevars",
    "match",
    "substitute",
    "typevar_map",
]


def free_typevars(tp: Any) -> tuple[Any, ...]:
    """The type variables ``tp`` holds (none for a closed key or a plain class)."""
    if isinstance(tp, TypeVar):
        return (tp,)
    if isinstance(tp, type):
        return ()
    found = getattr(tp, "__parameters__", ())
    return tuple(found) if isinstance(found, tuple) else ()


def match(pattern: Any, tp: Any) -> dict[Any, Any] | None:
    """The values of ``pattern``'s type variables that make it ``tp``, or None when none do.

    Example:
        ``match(Repo[T], Repo[User]) == {T: User}``; ``match(Pair[T, T], Pair[int, str])``
        is None.
    """
    found: dict[Any, Any] = {}
    return found if _unify(pattern, tp, found) else None


def _unify(pattern: Any, tp: Any, found: dict[Any, Any]) -> bool:
    if isinstance(pattern, TypeVar):
        if pattern in found:
            return bool(found[pattern] == tp)
        found[pattern] = tp
        return True
    if isinstance(pattern, list):  # the parameter list of a Callable[[...], R]
        return (
            isinstance(tp, list)
            and len(pattern) == len(tp)
            and all(_unify(p, t, found) for p, t in zip(pattern, tp, strict=True))
        )
    origin = typing.get_origin(pattern)
    if origin is None or not free_typevars(pattern):
        return bool(pattern == tp)
    if typing.get_origin(tp) is not origin:
        return False
    p_args, t_args = typing.get_args(pattern), typing.get_args(tp)
    return len(p_args) == len(t_args) and all(
        _unify(p, t, found) for p, t in zip(p_args, t_args, strict=True)
    )


def substitute(tp: Any, values: dict[Any, Any]) -> Any:
    """``tp`` with its type variables replaced by ``values`` (those missing stay free).

    Raises:
        TypeError: When ``tp`` refuses the values (a generic that takes fewer arguments).
    """
    if not values:
        return tp
    if isinstance(tp, TypeVar):
        return values.get(tp, tp)
    free = free_typevars(tp)
    if not free:
        return tp
    return tp[tuple(values.get(tv, tv) for tv in free)]


def typevar_map(cls: Any) -> tuple[type | None, dict[type, dict[Any, Any]]]:
    """A parametrised generic's origin, and what the type variables of its ancestry stand for.

    Per class of the generic ancestry, each of that class's own type variables.
    ``SqlRepo[User]`` where ``class SqlRepo(BaseRepo[T])`` maps ``SqlRepo`` and
    ``BaseRepo`` each to their own variable standing for ``User``. A plain class has an
    empty map of its own.
    """
    origin = typing.get_origin(cls)
    if isinstance(cls, type):
        origin = cls  # a plain class: what it gives its generic bases
    if not isinstance(origin, type):
        return None, {}
    own = dict(zip(getattr(origin, "__parameters__", ()), typing.get_args(cls), strict=False))
    maps: dict[type, dict[Any, Any]] = {origin: own}
    stack: list[tuple[type, dict[Any, Any]]] = [(origin, own)]
    while stack:
        klass, values = stack.pop()
        for base in getattr(klass, "__orig_bases__", ()):
            base_origin = typing.get_origin(base)
            if not isinstance(base_origin, type) or base_origin in (Generic, Protocol):
                continue
            if base_origin in maps:
                continue
            try:
                args = tuple(substitute(a, values) for a in typing.get_args(base))
            except TypeError:
                continue
            params = getattr(base_origin, "__parameters__", ())
            maps[base_origin] = dict(zip(params, args, strict=False))
            stack.append((base_origin, maps[base_origin]))
    return origin, maps


def ancestor_args(cls: Any, base: type) -> tuple[Any, ...] | None:
    """The arguments the generic class ``cls`` gives its generic base ``base``, if it says.

    ``ancestor_args(UserRepo, Repo) == (User,)`` for ``class UserRepo(Repo[User])``; None
    when ``cls`` derives from ``base`` without arguments, or not at all.
    """
    origin, maps = typevar_map(cls)
    if origin is None:
        return None
    if origin is base:
        args = typing.get_args(cls)
        return args or None
    params = getattr(base, "__parameters__", ())
    if base not in maps or not params:
        return None
    values = maps[base]
    return tuple(values.get(tv, tv) for tv in params)


def bound_problem(tv: Any, value: Any) -> str | None:
    """Why ``value`` cannot stand for the type variable ``tv`` (its bound, its constraints)."""
    if not isinstance(value, type):
        return None  # only plain classes are checked: anything else cannot be told
    bound = getattr(tv, "__bound__", None)
    if isinstance(bound, type) and not _subclass(value, bound):
        return (
            f"{value.__qualname__} is not a subclass of {bound.__qualname__}, the bound of "
            f"{tv.__name__}"
        )
    constraints = getattr(tv, "__constraints__", ())
    checkable = constraints and all(isinstance(c, type) for c in constraints)
    if checkable and not any(_subclass(value, c) for c in constraints):
        allowed = ", ".join(c.__qualname__ for c in constraints)
        return f"{value.__qualname__} is none of {tv.__name__}'s constraints ({allowed})"
    return None


def _subclass(cls: type, parent: type) -> bool:
    try:
        return issubclass(cls, parent)
    except TypeError:
        return True  # cannot tell: do not refuse on a guess
