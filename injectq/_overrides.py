"""``container.override(...)`` and ``install(overrides=...)``: graphs laid over graphs.

An `Override` compiles the container's graph with replacement records laid over it, swaps
that graph in while it is entered, and on leaving swaps the replaced graph back, drops
what was compiled for the override and disposes what was built inside it. It sits in the
container's layer, below `_container`, and reaches the container's internals through the
object it is given (typed ``Any`` here; the public type is generic in the container).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Final, Generic, TypeVar, cast

import attrs

from injectq._compile import compile_graph
from injectq._graph import Binding, Graph
from injectq._keys import Key, describe
from injectq._marks import SINGLETON, TRANSIENT
from injectq._module import Element, Module, TargetKind, collect
from injectq._nodes import owned
from injectq._scopes import NoCopy
from injectq._source import caller_source
from injectq.errors import UsageError

__all__ = [
    "NO_REPLACEMENT",
    "OneBinding",
    "Override",
    "layer_overrides",
    "override_modules",
    "override_records",
]

C = TypeVar("C")


class OneBinding(Module):
    """The module ``container.bind(...)`` installs."""

    def __init__(self, key: Any, target: Any, name: str | None, scope: str | None) -> None:
        self.key = key
        self.target = target
        self.name = name
        self.scope = scope

    def configure(self) -> None:
        record = self.bind(self.key, self.target, name=self.name)
        if self.scope == SINGLETON:
            record.singleton()
        elif self.scope == TRANSIENT:
            record.transient()
        elif self.scope is not None:
            record.scoped(self.scope)


OneBinding.__name__ = OneBinding.__qualname__ = "container.bind"  # how messages name it


def override_modules(overrides: Any) -> tuple[Any, ...]:
    """The modules of ``install(overrides=...)``: one module, or an iterable of them."""
    if isinstance(overrides, Module):
        return (overrides,)
    if isinstance(overrides, Iterable) and not isinstance(overrides, str | bytes | Mapping):
        return tuple(overrides)
    if isinstance(overrides, type) and issubclass(overrides, Module):
        fix = f"pass an instance: overrides=[{overrides.__name__}()]"
    else:
        fix = "install(AppModule(), overrides=[TestModule()]), or leave overrides= out"
    msg = (
        f"install(overrides=...) takes a module or a list of modules, got "
        f"{type(overrides).__name__} {overrides!r}. Hint: {fix}."
    )
    raise UsageError(msg)


NO_REPLACEMENT: Final[Any] = object()


def override_records(
    key: Any, name: str | None, replacement: Any = NO_REPLACEMENT
) -> tuple[tuple[Element, ...], str]:
    """The records ``container.override(...)`` lays over the graph, and how to name it."""
    if isinstance(key, Module):
        if replacement is not NO_REPLACEMENT:
            msg = "override(module) takes no replacement. Hint: override(SomeModule())."
            raise UsageError(msg)
        return collect((key,)).records, f"override({type(key).__name__}())"
    if replacement is NO_REPLACEMENT:
        msg = (
            f"override({describe(key)}) needs a replacement. Hint: "
            f"override({describe(key)}, FakeImpl()) or override(TestModule())."
        )
        raise UsageError(msg)
    records = collect((OneBinding(key, replacement, name, None),)).records
    source = caller_source().in_modules(("override",))
    records = tuple(attrs.evolve(record, source=source) for record in records)
    return records, f"override({describe(key)})"


def _record_key(record: Element) -> Key | None:
    """The key a record binds, or None when it replaces nothing (an element, a decorator)."""
    if record.multi or record.kind == TargetKind.DECORATOR:
        return None  # overrides add elements and decorators: they replace nothing
    try:
        hash(record.key)
    except TypeError:  # an unhashable key; the compiler reports it
        return None
    return Key(record.key, record.name)


def layer_overrides(below: tuple[Element, ...], above: tuple[Element, ...]) -> tuple[Element, ...]:
    """Override records with ``above`` laid over ``below``: a key bound above wins.

    Within one layer two records of the same key are still a duplicate. Elements of
    collections and decorators are kept from every layer (``list[T]`` bound above replaces
    a collection).
    """
    replaced = {_record_key(r) for r in above} - {None}
    return (*(r for r in below if _record_key(r) not in replaced), *above)


class Override(NoCopy, Generic[C]):
    """What ``container.override(...)`` returns: the replacement holds while entered.

    Entering compiles the container's graph with the replacement laid over it and swaps it
    in; leaving swaps the graph it replaced back in, drops what was compiled for it, and
    disposes what was built inside (the body's exception, if any, is thrown into generator
    teardowns). Overrides end in the reverse order they began. One object is active at most
    once at a time; it may be entered again after it ended.
    """

    __slots__ = ("_container", "_graph", "_label", "_records", "_saved")
    _copy_what = "An Override"
    _copy_hint = "call container.override(...) again where you need one."

    def __init__(self, container: C, records: tuple[Element, ...], label: str) -> None:
        self._container = container
        self._records = records
        self._label = label
        self._saved: Graph | None = None
        self._graph: Graph | None = None

    def _enter(self) -> C:
        container = cast(Any, self._container)
        with container._lock:
            container._check_open()
            if self._saved is not None:
                msg = (
                    f"This {self._label} is active already; entering it again would stack "
                    "it on itself and the original would never come back. Hint: call "
                    "container.override(...) again for a second block."
                )
                raise UsageError(msg)
            saved = container._graph
            graph = compile_graph(
                saved.records,
                layer_overrides(saved.overrides, self._records),
                modules=(*saved.modules, "override"),
                strict=saved.strict,
                container_type=saved.container_type,
                previous=saved,
            )
            self._saved, self._graph = saved, graph
            container._overrides.append(self)
            container._swap(graph)
        return self._container

    def _restore(self) -> set[Binding]:
        """Swap the replaced graph back in; return the bindings only the override had."""
        container = cast(Any, self._container)
        with container._lock:
            saved = self._saved
            if saved is None:
                msg = (
                    f"This {self._label} is not active, so it cannot end (it was never "
                    "entered, or ended already). Hint: use it as `with "
                    "container.override(...):`."
                )
                raise UsageError(msg)
            if container._overrides[-1] is not self:
                msg = (
                    f"The {self._label} cannot end while an override entered after it is "
                    "still active: overrides must end in the reverse order they began. "
                    "Hint: nest the `with container.override(...)` blocks."
                )
                raise UsageError(msg)
            # The current graph, not the one entering compiled: just-in-time bindings added
            # inside the override may depend on the replacement and must go too.
            current: Graph = container._graph
            container._overrides.pop()
            container._swap(saved)
            self._saved = self._graph = None
            kept = {id(b) for _, b in saved.every()}
            added = {b for _, b in current.every() if id(b) not in kept}
            added |= {o for b in list(added) for o in owned(b)}  # held by no index
            container._resolver.forget(added)
            return added

    def __enter__(self) -> C:
        return self._enter()

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        added = self._restore()
        cast(Any, self._container)._root.close(
            exc, how="`async with container.override(...)`", only=added.__contains__
        )

    async def __aenter__(self) -> C:
        return self._enter()

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        added = self._restore()
        await cast(Any, self._container)._root.aclose(exc, only=added.__contains__)

    def __repr__(self) -> str:
        return f"<Override {self._label} {'active' if self._saved is not None else 'idle'}>"


# -- context data at scope entry ---------------------------------------------------------
