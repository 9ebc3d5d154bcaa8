"""How low the warm singleton and the request can go in CPython: a ladder of shapes.

Each shape does a little more of what injectq's contract asks of ``container.get(K)`` (the
warm singleton) or of ``with container.scope() as s: s.get(...)`` (the request), written as
plainly as Python allows. `python -m benchmarks --limits` counts each one's instructions per
operation under callgrind, as `benchmarks.instructions` does for injectq, and divides by
the hand-written baseline's count. The cheapest shape that does all the contract asks is
the least any pure-Python container can cost, and the shapes that fall short show what
each part of the contract costs.

What the contract asks (docs/API.md):

- ``get(K)`` serves a created singleton, and also a transient (a new instance each call,
  never cached), and ``get(K, name="x")`` a named binding; an unknown key is an error of
  injectq's own, not a ``KeyError``.
- Entering a scope makes it the ambient scope through `contextvars` (``container.get()``
  and tasks started inside it find it); leaving restores the previous one. ``s.get(K)``
  takes ``name=`` too, and builds a scoped instance once per scope.

The shapes are tested (tests/test_bench_limits.py) to do what their row says, and no more.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
from collections.abc import Callable
from typing import Any, Self

from benchmarks import model as m
from benchmarks.libraries import REQUEST_BY_HAND, SCOPE_REQUEST, Bench, check_request

# shape -> what it does, in ladder order; injectq's own shape (`served`) last.
SINGLETON_SHAPES: dict[str, str] = {
    "lookup": "one dict lookup: `return table[key]` (no transients, no names)",
    "c-getitem": "a C-level `dict.__getitem__` as get (no transients, no name=)",
    "lru-cache": "a C-level `functools.cache` (takes name=, but caches transients)",
    "named": "`(key, name=None)`, returns `table[key]` (no transients)",
    "catch": "as `named`; a miss (a transient) is a caught `KeyError`",
    "in-check": "as `named`, `key in created` first; else calls the key's factory",
    "get-none": "as `named`, `created.get(key)` first; else (None) calls the factory",
    "typed": "as `named`; a factory's entry is of a private type, checked and called",
    "served": "as `named`; every entry is called (a created singleton's is C-level)",
}
REQUEST_SHAPES: dict[str, str] = {
    "ambient": "the hand-written body inside a `with` that sets and resets a contextvar",
    "minimal": "a scope object: ambient, `s.get(key, name=None)`, a dict cache per scope",
}


class _Missing(Exception):
    """What the shapes raise for a key they do not serve: an error type of their own."""


def _unknown(key: Any, name: str | None = None) -> Any:
    msg = f"nothing binds {key!r} (name {name!r})"
    raise _Missing(msg)


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


_NAMED: dict[tuple[Any, str], Any] = {}  # what ``get(Settings, name="x")`` serves


def _named(key: Any, name: str) -> Any:
    """A named binding's instance: the path no shape's warm ``get(K)`` takes."""
    try:
        return _NAMED[key, name]
    except (KeyError, TypeError):
        return _unknown(key, name)


def singleton_get(shape: str) -> tuple[Callable[..., Any], type]:
    """A ``get`` of this shape, and the transient class it serves (``object`` if none).

    Every shape but ``lookup`` and ``c-getitem`` serves ``get(Settings, name="x")`` too.
    """
    settings = m.Settings()
    _NAMED[m.Settings, "x"] = settings
    if shape == "lookup":
        instances: dict[Any, Any] = {m.Settings: settings}

        def lookup(key: Any) -> Any:
            return instances[key]

        return lookup, object
    if shape == "c-getitem":
        return {m.Settings: settings}.__getitem__, object
    if shape == "lru-cache":

        @functools.cache
        def cached(key: Any, name: str | None = None) -> Any:
            return settings if key is m.Settings else key()

        return cached, object  # a transient would be cached: it serves none
    if shape == "named":
        plain: dict[Any, Any] = {m.Settings: settings}

        def named(key: Any, name: str | None = None) -> Any:
            if name is None:
                return plain[key]
            return _named(key, name)

        return named, object
    if shape == "catch":
        hits: dict[Any, Any] = {m.Settings: settings}
        makers: dict[Any, Any] = {m.RequestState: m.RequestState}

        def catch(key: Any, name: str | None = None) -> Any:
            if name is None:
                try:
                    return hits[key]
                except (KeyError, TypeError):
                    pass
                try:
                    maker = makers[key]
                except (KeyError, TypeError):
                    return _unknown(key)
                return maker()
            return _named(key, name)

        return catch, m.RequestState
    if shape == "in-check":
        created: dict[Any, Any] = {m.Settings: settings}
        factories: dict[Any, Any] = {m.RequestState: m.RequestState}

        def in_check(key: Any, name: str | None = None) -> Any:
            if name is None:
                try:
                    if key in created:
                        return created[key]
                    factory = factories[key]
                except (KeyError, TypeError):
                    return _unknown(key)
                return factory()
            return _named(key, name)

        return in_check, m.RequestState
    if shape == "get-none":
        probed: dict[Any, Any] = {m.Settings: settings}
        # Every key has a factory: a created singleton that is None is served by its own.
        fallbacks: dict[Any, Any] = {m.RequestState: m.RequestState, m.Settings: lambda: settings}

        def get_none(key: Any, name: str | None = None) -> Any:
            if name is None:
                try:
                    found = probed.get(key)
                    if found is not None:
                        return found
                    factory = fallbacks[key]
                except (KeyError, TypeError):
                    return _unknown(key)
                return factory()
            return _named(key, name)

        return get_none, m.RequestState
    if shape == "typed":
        kinds: dict[Any, Any] = {m.Settings: settings, m.RequestState: _Factory(m.RequestState)}

        def typed(key: Any, name: str | None = None) -> Any:
            if name is None:
                try:
                    found = kinds[key]
                except (KeyError, TypeError):
                    return _unknown(key)
                if type(found) is _Factory:
                    return found.make()
                return found
            return _named(key, name)

        return typed, m.RequestState
    if shape == "served":
        # What each key's entry is called for: a created singleton's is a C-level callable
        # returning it (no Python frame), a transient's its class.
        table: dict[Any, Any] = {
            m.Settings: itertools.repeat(settings).__next__,
            m.RequestState: m.RequestState,
        }

        def served(key: Any, name: str | None = None) -> Any:
            if name is None:
                try:
                    factory = table[key]
                except (KeyError, TypeError):
                    return _unknown(key)
                return factory()
            return _named(key, name)

        return served, m.RequestState
    raise ValueError(shape)


AMBIENT: contextvars.ContextVar[Any] = contextvars.ContextVar("ambient", default=None)


class AmbientScope:
    """A dict cache that is the ambient scope while a ``with`` block runs, and no more.

    It has no ``__init__`` frame: the cache is made on entry.
    """

    __slots__ = ("cache", "token")
    cache: dict[Any, Any]

    def __enter__(self) -> Self:
        self.cache = {}
        self.token = AMBIENT.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        AMBIENT.reset(self.token)


class MinimalScope(AmbientScope):
    """An ambient scope whose ``get`` builds each scoped instance once (``FACTORIES``).

    None is taken as not built yet: these instances never are None.
    """

    __slots__ = ()

    def get(self, key: Any, name: str | None = None) -> Any:
        if name is not None:
            return _named(key, name)
        found = self.cache.get(key)
        if found is None:
            try:
                factory = FACTORIES[key]
            except (KeyError, TypeError):
                return _unknown(key)
            found = self.cache[key] = factory(self)
        return found


FACTORIES: dict[Any, Callable[[MinimalScope], Any]] = {
    m.RequestState: lambda s: m.RequestState(),
    m.RequestHandler: lambda s: m.RequestHandler(s.get(m.RequestState)),
}

# The baseline's own statements, inside the block, on the scope's cache.
_AMBIENT_BODY = "with scope() as s:\n    cache = s.cache\n" + "".join(
    "    " + line for line in REQUEST_BY_HAND.splitlines(keepends=True)
)


def serves_transients(shape: str) -> bool:
    """Whether the shape's ``get`` does all the contract asks (transients included)."""
    return singleton_get(shape)[1] is not object


def build(shape: str, scenario: str) -> Bench:
    """The `Bench` of a shape: the scenario's statement, as `benchmarks.libraries` has it.

    ``transient`` is a scenario of this ladder's own: ``get(K)`` of a transient, against
    calling ``K()`` by hand (shape ``hand-written``); shape ``injectq`` is injectq's.
    """
    if scenario == "transient":
        if shape == "hand-written":
            return Bench("RequestState()", vars(m), lambda: None)
        get, transient = _injectq_get() if shape == "injectq" else singleton_get(shape)
        if transient is object:
            raise ValueError(f"{shape} serves no transient")
        return Bench(
            "get(RequestState)",
            {"get": get, "RequestState": transient},
            lambda: _check_transient(get),
        )
    if scenario == "singleton":
        get, _ = singleton_get(shape)
        return Bench(
            "get(Settings)",
            {"get": get, "Settings": m.Settings},
            lambda: _check_singleton(get),
        )
    if scenario == "request" and shape == "ambient":
        return Bench(
            _AMBIENT_BODY,
            {"scope": AmbientScope, **vars(m)},
            lambda: _check_ambient(AmbientScope),
        )
    if scenario == "request" and shape == "minimal":
        return Bench(
            SCOPE_REQUEST,
            {"scope": MinimalScope, **vars(m)},
            lambda: check_request(MinimalScope, lambda s, k: s.get(k)),
        )
    raise ValueError(f"{shape}/{scenario}")


def _injectq_get() -> tuple[Callable[..., Any], type]:
    from injectq import InjectQ

    container = InjectQ()
    container.bind(m.Settings, scope="singleton")
    container.bind(m.RequestState)
    return container.get, m.RequestState


def _check_transient(get: Callable[..., Any]) -> None:
    assert type(get(m.RequestState)) is m.RequestState
    assert get(m.RequestState) is not get(m.RequestState)


def _check_singleton(get: Callable[..., Any]) -> None:
    assert type(get(m.Settings)) is m.Settings
    assert get(m.Settings) is get(m.Settings)


def _check_ambient(scope: type[AmbientScope]) -> None:
    with scope() as s:
        assert AMBIENT.get() is s
    assert AMBIENT.get() is None
