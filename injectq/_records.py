"""The DSL's records: the fluent `BindingRecord` builder, and the frozen `Element`.

A ``bind(...)`` call (and each ``@provider`` method, ``multibind`` and ``decorate`` call)
leaves a `BindingRecord` holding what was asked and where; when `injectq._module.collect`
ends, each is frozen into an `Element` (Guice's name for a recorded statement), which
nothing mutates afterwards. `Space` is the private module a record was made in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final, Generic, Self, TypeVar

import attrs

from injectq._keys import Provides, describe, is_callable_target
from injectq._marks import REQUEST, SINGLETON, TRANSIENT
from injectq._source import Source
from injectq.errors import UsageError

__all__ = [
    "BindingRecord",
    "Element",
    "Exposure",
    "Space",
    "TargetKind",
    "classify",
    "freeze",
    "is_generic_class",
]

_UNSET: Any = attrs.make_class("_Unset", {}, repr=False)()


class TargetKind:
    """What a binding's target is."""

    SELF: Final = "self"
    CLASS: Final = "class"
    INSTANCE: Final = "instance"
    PROVIDER: Final = "provider"
    CONTEXT: Final = "context"  # a value handed in when a scope of its name is entered
    EXPOSE: Final = "expose"  # not a binding: a private module's expose(key) call
    COLLECTION: Final = "collection"  # never recorded: the compiled node of list[T]
    FACTORY: Final = "factory"  # a Factory[T] the compiler made: its target is T's product
    DECORATOR: Final = "decorator"  # recorded by decorate(): wraps the binding of its key


B = TypeVar("B", bound=Callable[..., Any])
K = TypeVar("K")


def _fluent(method: B) -> B:
    """Refuse a builder call made after the module's bindings were collected."""

    @functools.wraps(method)
    def call(self: BindingRecord[Any], *args: Any, **kwargs: Any) -> Any:
        if self.recorded:
            msg = (
                f"The binding of {describe(self.key)} made at {self.source} was recorded when "
                f"its module was installed, so .{method.__name__}() on it now would change "
                "nothing. Hint: chain the builder calls inside configure(), e.g. "
                "self.bind(K, Impl).singleton()."
            )
            raise UsageError(msg)
        return method(self, *args, **kwargs)

    return call  # type: ignore[return-value]


@attrs.define(eq=False)
class BindingRecord(Generic[K]):
    """What one ``bind(...)`` call (or ``@provider`` method) asked for, and where.

    The fluent methods return the record itself, so calls chain in any order. Misuse is
    remembered in `problems` and reported by ``install()`` with everything else. For type
    checkers the record is generic in the key's type ``K``: ``.to()`` takes a class or
    provider function of ``K``, ``.to_instance()`` a ``K``.
    """

    key: Any
    target: Any
    kind: str
    source: Source
    name: str | None = None
    scopes: list[str] = attrs.field(factory=list)
    eager_: bool = False
    default_: bool = False
    problems: list[str] = attrs.field(factory=list)
    provider_label: str = ""
    hint: str = ""
    module: str = ""
    recorded: bool = False  # frozen into an Element: further builder calls are misuse
    multi: bool = False  # an element of the collection of `key` (multibind)

    @_fluent
    def to(self, target: type[K] | Callable[..., Provides[K]]) -> Self:
        """Bind to a class (constructor injection) or a provider function."""
        if isinstance(target, type) or is_generic_class(target):
            return self._set_target(target, TargetKind.CLASS, "to")
        if is_callable_target(target):
            return self._set_target(target, TargetKind.PROVIDER, "to")
        self.problems.append(
            f"to() takes a class or a function, got {type(target).__name__} {target!r}; "
            "use to_instance() to bind an object as it is"
        )
        return self

    @_fluent
    def to_instance(self, value: K) -> Self:
        """Bind to an object, served as it is (always a singleton)."""
        return self._set_target(value, TargetKind.INSTANCE, "to_instance")

    @_fluent
    def to_provider(self, fn: Callable[..., Provides[K]]) -> Self:
        """Bind to a function whose parameters are injected and whose result is served."""
        if not callable(fn):
            self.problems.append(f"to_provider() takes a callable, got {type(fn).__name__} {fn!r}")
            return self
        return self._set_target(fn, TargetKind.PROVIDER, "to_provider")

    @_fluent
    def from_context(self, scope: str = REQUEST) -> Self:
        """Take the value from the ``context`` handed to ``container.scope(scope, ...)``.

        The key is one of that scope's context keys: every scope of that name is entered with
        a value for it (``context={Request: request}``; ``Annotated[T, Named(name)]`` for a
        named one), and the container never disposes it.
        """
        self._not_an_element(
            "from_context()",
            "declare the value with self.bind(V).from_context() and contribute an element "
            "built from it, e.g. self.multibind(K, make_k) where make_k takes a V",
        )
        if not isinstance(scope, str) or not scope or scope in (SINGLETON, TRANSIENT):
            self.problems.append(
                f"from_context() takes the name of a scope such as 'request', got {scope!r}; "
                "context is handed in when a scope is entered"
            )
            return self
        self.scopes.append(scope)
        return self._set_target(None, TargetKind.CONTEXT, "from_context")

    @_fluent
    def named(self, name: str) -> Self:
        """Give the binding a name: ``get(K, name=...)`` and ``get_all(K)`` find it."""
        self._not_an_element(
            f"named({name!r})",
            f'drop .named(), or make a named binding with self.bind(K, Impl, name="{name}") '
            "(get_all(K) and dict[str, K] receive the named bindings)",
        )
        if not isinstance(name, str) or not name:
            self.problems.append(f"named() takes a non-empty string, got {name!r}")
        elif self.name is not None and self.name != name:
            self.problems.append(f'the name is set twice: "{self.name}" and "{name}"')
        else:
            self.name = name
        return self

    @_fluent
    def singleton(self) -> Self:
        """One instance for the container's lifetime, created on first use."""
        self.scopes.append(SINGLETON)
        return self

    @_fluent
    def scoped(self, scope: str = REQUEST) -> Self:
        """One instance per active scope of the given name (``"request"`` by default)."""
        if not isinstance(scope, str) or not scope or scope in (SINGLETON, TRANSIENT):
            self.problems.append(
                f"scoped() takes the name of a scope such as 'request', got {scope!r}; "
                "use .singleton() or .transient() for those"
            )
            return self
        self.scopes.append(scope)
        return self

    @_fluent
    def transient(self) -> Self:
        """A new instance on every resolution."""
        self.scopes.append(TRANSIENT)
        return self

    @_fluent
    def eager(self) -> Self:
        """A singleton created when the container is entered (``with container:``)."""
        self.eager_ = True
        return self

    @_fluent
    def as_default(self) -> Self:
        """Let any other module's binding of the same key and name replace this one."""
        self._not_an_element(
            "as_default()",
            "drop .as_default(): every module adds its elements, and an application that "
            "wants other elements binds list[K] itself, which replaces the collection",
        )
        self.default_ = True
        return self

    def _not_an_element(self, call: str, fix: str) -> None:
        """Refuse, at once, a builder call that has no meaning for a collection's element."""
        if not self.multi:
            return
        msg = (
            f"multibind({describe(self.key)}) at {self.source}: .{call} does not apply to an "
            f"element of a collection; list[{describe(self.key)}] receives every element, in "
            f"install order, with no name. Hint: {fix}."
        )
        raise UsageError(msg)

    def _set_target(self, target: Any, kind: str, method: str) -> Self:
        if self.kind != TargetKind.SELF:
            self.problems.append(
                f"the target is set twice: {method}() after a target was already given"
            )
            return self
        self.target = target
        self.kind = kind
        return self

    @property
    def scope(self) -> str | None:
        """The scope set on the binding, if exactly one was set."""
        return self.scopes[-1] if self.scopes else None


@attrs.frozen(eq=False)
class Space:
    """The bindings of one installed `PrivateModule` (compared by identity).

    Attributes:
        module: The private module's class name.
        modules: That module, then the modules that installed it, innermost first.
        source: Where the module's class is defined.
        parent: The space of the private module around it, or None.
    """

    module: str
    modules: tuple[str, ...]
    source: Source
    parent: Space | None = None

    def chain(self) -> tuple[Space, ...]:
        """This space, then each space around it, innermost first."""
        out: list[Space] = []
        space: Space | None = self
        while space is not None:
            out.append(space)
            space = space.parent
        return tuple(out)

    def __repr__(self) -> str:
        return f"<Space {' <- '.join(self.modules)}>"


@attrs.frozen(eq=False, slots=False)  # one per binding at install: as for `Binding`
class Element:
    """One binding as recorded, frozen when `collect` ends: what was asked, and where.

    Attributes:
        key: The key as given (not validated yet).
        target: The class, instance or provider function (the key itself for ``SELF``).
        kind: A `TargetKind`.
        source: Where it was bound, with the chain of modules that installed it.
        name: The binding name, if any.
        scopes: Every scope call made on it, in order (two distinct ones are a problem).
        eager: Declared ``.eager()``.
        default: Declared ``.as_default()``.
        problems: Misuse found while recording, each a sentence.
        provider: The ``Module.method`` label of a ``@provider`` method, else "".
        hint: How to fix `problems`, when recording knows better than the compiler.
        space: The private module it was recorded in (None outside any): only bindings
            recorded there see it, unless that module exposes its key.
        multi: An element of the collection of ``key`` (``multibind``); with kind ``SELF``,
            a declaration of the collection only.
    """

    key: Any
    target: Any
    kind: str
    source: Source
    name: str | None
    scopes: tuple[str, ...]
    eager: bool
    default: bool
    problems: tuple[str, ...]
    provider: str = ""
    hint: str = ""
    space: Space | None = None
    multi: bool = False

    @property
    def declaration(self) -> bool:
        """Whether this is ``multibind(K)`` without a target: it only declares the collection."""
        return self.multi and self.kind == TargetKind.SELF


_PRIVATE_CONTEXT = (
    "from_context() declares a value that whoever enters the scope hands in, which a "
    "private module cannot keep to itself"
)
_PRIVATE_CONTEXT_HINT = (
    "declare it in a module that is not private; the bindings inside the private module "
    "can depend on it as on anything bound outside."
)


def freeze(record: BindingRecord[Any], chain: tuple[str, ...], space: Space | None) -> Element:
    record.recorded = True
    if record.multi and record.kind == TargetKind.SELF and (record.scopes or record.eager_):
        what = "a scope" if record.scopes else ".eager()"
        record.problems.append(
            f"multibind({describe(record.key)}) without a target only declares the "
            f"collection, so {what} on it applies to nothing"
        )
        record.hint = (
            f"give the element a target: self.multibind({describe(record.key)}, Impl)"
            ".singleton(), or drop the scope call to only declare the collection."
        )
    problems, hint = tuple(record.problems), record.hint
    if space is not None and record.kind == TargetKind.CONTEXT and not problems:
        problems, hint = (_PRIVATE_CONTEXT,), _PRIVATE_CONTEXT_HINT
    source = record.source
    if source.modules != chain:  # made outside configure() (a provider method)
        source = source.in_modules(chain)
    return Element(
        record.key,
        record.target,
        record.kind,
        source,
        record.name,
        tuple(record.scopes),
        record.eager_,
        record.default_,
        problems,
        record.provider_label,
        hint,
        space,
        record.multi,
    )


@attrs.frozen
class Exposure:
    """One ``expose(key, name=...)`` call, recorded until `collect` freezes it."""

    key: Any
    name: str | None
    source: Source
    problems: tuple[str, ...] = ()

    def freeze(self, chain: tuple[str, ...], space: Space | None) -> Element:
        return Element(
            self.key,
            None,
            TargetKind.EXPOSE,
            self.source if self.source.modules == chain else self.source.in_modules(chain),
            self.name,
            (),
            eager=False,
            default=False,
            problems=self.problems,
            space=space,
        )


def is_generic_class(target: Any) -> bool:
    import typing

    origin = typing.get_origin(target)
    return isinstance(origin, type)


def classify(target: Any) -> str:
    if target is None:
        return TargetKind.SELF
    if isinstance(target, type) or is_generic_class(target):
        return TargetKind.CLASS
    if is_callable_target(target):
        return TargetKind.PROVIDER
    return TargetKind.INSTANCE
