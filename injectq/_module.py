"""The binding DSL: `Module`, its fluent builder, `@provider` and the class decorators.

Everything here only records. A module's ``configure()`` runs when the container collects it,
and each ``bind(...)`` call leaves a `BindingRecord` builder holding what was asked and where.
When `collect` ends, each builder is frozen into an `Element` (Guice's name for a recorded
statement), which nothing mutates afterwards; the graph compiler decides what the elements
mean and reports what is wrong with them.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeVar, overload

import attrs

from injectq._keys import describe, is_callable_target
from injectq._source import Source, caller_source, object_source
from injectq.errors import UsageError

__all__ = [
    "SINGLETON",
    "TRANSIENT",
    "BindingRecord",
    "Element",
    "Module",
    "ProviderSpec",
    "class_scope",
    "collect",
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

_UNSET: Any = attrs.make_class("_Unset", {}, repr=False)()


class TargetKind:
    """What a binding's target is."""

    SELF: Final = "self"
    CLASS: Final = "class"
    INSTANCE: Final = "instance"
    PROVIDER: Final = "provider"
    CONTEXT: Final = "context"  # a value handed in when a scope of its name is entered


B = TypeVar("B", bound=Callable[..., Any])


def _fluent(method: B) -> B:
    """Refuse a builder call made after the module's bindings were collected."""

    @functools.wraps(method)
    def call(self: BindingRecord, *args: Any, **kwargs: Any) -> Any:
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
class BindingRecord:
    """What one ``bind(...)`` call (or ``@provider`` method) asked for, and where.

    The fluent methods return the record itself, so calls chain in any order. Misuse is
    remembered in `problems` and reported by ``install()`` with everything else.
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

    @_fluent
    def to(self, target: Any) -> BindingRecord:
        """Bind to a class (constructor injection) or a provider function."""
        if isinstance(target, type) or _is_generic_class(target):
            return self._set_target(target, TargetKind.CLASS, "to")
        if is_callable_target(target):
            return self._set_target(target, TargetKind.PROVIDER, "to")
        self.problems.append(
            f"to() takes a class or a function, got {type(target).__name__} {target!r}; "
            "use to_instance() to bind an object as it is"
        )
        return self

    @_fluent
    def to_instance(self, value: Any) -> BindingRecord:
        """Bind to an object, served as it is (always a singleton)."""
        return self._set_target(value, TargetKind.INSTANCE, "to_instance")

    @_fluent
    def to_provider(self, fn: Callable[..., Any]) -> BindingRecord:
        """Bind to a function whose parameters are injected and whose result is served."""
        if not callable(fn):
            self.problems.append(f"to_provider() takes a callable, got {type(fn).__name__} {fn!r}")
            return self
        return self._set_target(fn, TargetKind.PROVIDER, "to_provider")

    @_fluent
    def from_context(self, scope: str = REQUEST) -> BindingRecord:
        """Take the value from the ``context`` handed to ``container.scope(scope, ...)``.

        The key is one of that scope's context keys: every scope of that name is entered with
        a value for it (``context={Request: request}``; ``Annotated[T, Named(name)]`` for a
        named one), and the container never disposes it.
        """
        if not isinstance(scope, str) or not scope or scope in (SINGLETON, TRANSIENT):
            self.problems.append(
                f"from_context() takes the name of a scope such as 'request', got {scope!r}; "
                "context is handed in when a scope is entered"
            )
            return self
        self.scopes.append(scope)
        return self._set_target(None, TargetKind.CONTEXT, "from_context")

    @_fluent
    def named(self, name: str) -> BindingRecord:
        """Give the binding a name: ``get(K, name=...)`` and ``get_all(K)`` find it."""
        if not isinstance(name, str) or not name:
            self.problems.append(f"named() takes a non-empty string, got {name!r}")
        elif self.name is not None and self.name != name:
            self.problems.append(f'the name is set twice: "{self.name}" and "{name}"')
        else:
            self.name = name
        return self

    @_fluent
    def singleton(self) -> BindingRecord:
        """One instance for the container's lifetime, created on first use."""
        self.scopes.append(SINGLETON)
        return self

    @_fluent
    def scoped(self, scope: str = REQUEST) -> BindingRecord:
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
    def transient(self) -> BindingRecord:
        """A new instance on every resolution."""
        self.scopes.append(TRANSIENT)
        return self

    @_fluent
    def eager(self) -> BindingRecord:
        """A singleton created when the container is entered (``with container:``)."""
        self.eager_ = True
        return self

    @_fluent
    def as_default(self) -> BindingRecord:
        """Let any other module's binding of the same key and name replace this one."""
        self.default_ = True
        return self

    def _set_target(self, target: Any, kind: str, method: str) -> BindingRecord:
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


def _freeze(record: BindingRecord, chain: tuple[str, ...]) -> Element:
    record.recorded = True
    return Element(
        record.key,
        record.target,
        record.kind,
        record.source.in_modules(chain),
        record.name,
        tuple(record.scopes),
        record.eager_,
        record.default_,
        tuple(record.problems),
        record.provider_label,
        record.hint,
    )


def _is_generic_class(target: Any) -> bool:
    import typing

    origin = typing.get_origin(target)
    return isinstance(origin, type)


def _classify(target: Any) -> str:
    if target is None:
        return TargetKind.SELF
    if isinstance(target, type) or _is_generic_class(target):
        return TargetKind.CLASS
    if is_callable_target(target):
        return TargetKind.PROVIDER
    return TargetKind.INSTANCE


@attrs.frozen
class ProviderSpec:
    """What ``@provider(...)`` set on a module method."""

    name: str | None = None
    scope: str | None = None


_PROVIDER_ATTR: Final = "__injectq_provider__"
_SCOPE_ATTR: Final = "__injectq_scope__"
_RESOURCE_ATTR: Final = "__injectq_resource__"


class Module:
    """A unit of configuration: subclass it and bind in `configure`.

    Example:
        ```python
        class AppModule(Module):
            def configure(self) -> None:
                self.bind(Database, SqliteDatabase).singleton()
        ```
    """

    def configure(self) -> None:
        """Record this module's bindings; override it. The default binds nothing."""

    def bind(self, key: Any, target: Any = None, *, name: str | None = None) -> BindingRecord:
        """Bind ``key`` to ``target`` and return a builder to set the name and scope.

        Args:
            key: The type asked for: a class, ABC, Protocol, ``Cache[User]``, a NewType.
            target: A class (constructed with its dependencies injected), a function or
                lambda (a provider: its parameters are injected), or any other object (bound
                as is, a singleton). None binds the key to itself.
            name: A name, for several bindings of one type (``get(K, name=...)``).

        Returns:
            The builder: chain ``.singleton()``, ``.scoped()``, ``.named()``, ``.to()``...

        Raises:
            UsageError: When called outside ``configure()``.
        """
        recording = _RECORDING.get(id(self))
        if recording is None:
            msg = (
                f"{type(self).__name__}.bind() was called outside configure(). "
                "Hint: move the bind() calls into configure(self); the container calls it "
                "when the module is installed."
            )
            raise UsageError(msg)
        record = BindingRecord(
            key, target, _classify(target), caller_source(), module=type(self).__name__
        )
        if name is not None:
            record.named(name)
        recording.append(record)
        return record

    def install(self, module: Module) -> None:
        """Install another module from inside ``configure()``: modules compose."""
        recording = _RECORDING.get(id(self))
        if recording is None:
            msg = (
                f"{type(self).__name__}.install() was called outside configure(). "
                "Hint: call self.install(OtherModule()) inside configure(self), or pass "
                "both modules to container.install()."
            )
            raise UsageError(msg)
        if not isinstance(module, Module):
            msg = (
                f"{type(self).__name__}.install() takes a Module instance, got "
                f"{type(module).__name__} {module!r}. Hint: "
                + (
                    "instantiate it: install(" + module.__name__ + "())."
                    if isinstance(module, type) and issubclass(module, Module)
                    else "pass an instance of a Module subclass."
                )
            )
            raise UsageError(msg)
        recording.append(module)

    def _provider_records(self) -> Iterator[BindingRecord]:
        from injectq._introspect import provided_type

        seen: set[str] = set()
        for klass in type(self).__mro__:
            for attr, value in vars(klass).items():
                fn = value.__func__ if isinstance(value, staticmethod | classmethod) else value
                spec = getattr(fn, _PROVIDER_ATTR, None)
                if attr in seen or not isinstance(spec, ProviderSpec):
                    continue
                seen.add(attr)
                bound = getattr(self, attr)
                key, _, problem, hint = provided_type(bound)
                record = BindingRecord(
                    key,
                    bound,
                    TargetKind.PROVIDER,
                    object_source(fn),
                    provider_label=f"{type(self).__name__}.{attr}",
                    module=type(self).__name__,
                )
                if problem is not None:
                    record.problems.append(problem)
                    record.hint = hint
                if spec.name is not None:
                    record.named(spec.name)
                if spec.scope is not None:
                    _apply_scope(record, spec.scope)
                yield record


def _apply_scope(record: BindingRecord, scope: str) -> None:
    if scope == SINGLETON:
        record.singleton()
    elif scope == TRANSIENT:
        record.transient()
    else:
        record.scoped(scope)


@attrs.frozen
class Collected:
    """The elements of a set of modules, flattened in install order."""

    records: tuple[Element, ...]
    modules: tuple[str, ...]


# The recording of each module whose configure() is running, by id(): kept off the module
# instance, so configuring a module leaves its attributes (and so its de-duplication key)
# as they were.
_RECORDING: dict[int, list[Any]] = {}


def _dedupe_key(module: Module) -> Any:
    """Equal-state instances of one class share a key; others are told apart by identity."""
    try:
        key = (type(module), tuple(sorted(vars(module).items())))
        hash(key)
    except TypeError:  # unhashable or unorderable state
        return id(module)
    return key


def collect(modules: tuple[Any, ...]) -> Collected:
    """Run ``configure()`` of each module (and what it installs) and gather the records.

    A module installed twice (the same instance, or another instance of the same class with
    equal attributes) is configured once, as Guice does.

    Raises:
        UsageError: When something that is not a `Module` instance is installed.
    """
    records: list[Element] = []
    seen: set[Any] = set()
    names: list[str] = []

    def visit(module: Module, chain: tuple[str, ...]) -> None:
        key = _dedupe_key(module)
        if key in seen:
            return
        seen.add(key)
        chain = (type(module).__name__, *chain)
        recording: list[Any] = []
        _RECORDING[id(module)] = recording
        try:
            module.configure()
        except Exception as exc:
            exc.add_note(f"while configuring {' <- '.join(chain)}")
            raise
        finally:
            del _RECORDING[id(module)]
        recording.extend(module._provider_records())
        for item in recording:
            if isinstance(item, Module):
                visit(item, chain)
            else:
                records.append(_freeze(item, chain))

    for module in modules:
        if not isinstance(module, Module):
            hint = (
                f"instantiate it: install({module.__name__}())"
                if isinstance(module, type) and issubclass(module, Module)
                else "pass instances of Module subclasses"
            )
            msg = (
                f"install() takes Module instances, got {type(module).__name__} "
                f"{module!r}. Hint: {hint}."
            )
            raise UsageError(msg)
        names.append(type(module).__name__)
        visit(module, ())
    return Collected(tuple(records), tuple(names))


@overload
def provider(fn: F, /) -> F: ...
@overload
def provider(*, name: str | None = None, scope: str | None = None) -> Callable[[F], F]: ...
def provider(fn: Any = None, /, *, name: str | None = None, scope: str | None = None) -> Any:
    """Mark a module method as a provider of its return annotation's type.

    The method's parameters are injected. It may be sync, ``async``, a generator or an async
    generator (the code after ``yield`` is its teardown). ``@provider(name=..., scope=...)``
    names the binding and sets its scope (``"singleton"``, ``"transient"`` or a scope name).
    """
    if scope is not None and (not isinstance(scope, str) or not scope):
        msg = f"@provider(scope=...) takes a scope name string, got {scope!r}."
        raise UsageError(msg)
    if name is not None and (not isinstance(name, str) or not name):
        msg = f"@provider(name=...) takes a non-empty string, got {name!r}."
        raise UsageError(msg)
    spec = ProviderSpec(name, scope)

    def mark(f: F) -> F:
        target = f.__func__ if isinstance(f, staticmethod | classmethod) else f
        if not callable(target) or isinstance(target, type):
            msg = f"@provider decorates a function, got {describe_value(f)}."
            if isinstance(target, type):
                msg += (
                    f" Hint: bind the class itself (self.bind({target.__name__})), or mark it "
                    "@singleton / @scoped."
                )
            raise UsageError(msg)
        _mark(target, _PROVIDER_ATTR, spec, "provider", f)
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
    import typing

    origin = typing.get_origin(cls) or cls
    if not isinstance(origin, type):
        return None
    value = vars(origin).get(_SCOPE_ATTR)
    return value if isinstance(value, str) else None


def is_resource_class(cls: Any) -> bool:
    """Whether ``cls`` (or a base) is marked ``@resource``."""
    return getattr(cls, _RESOURCE_ATTR, False) is True
