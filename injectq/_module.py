"""The binding DSL: `Module`, `PrivateModule` and `collect` (marks: `injectq._marks`).

Everything here only records. A module's ``configure()`` runs when the container collects it,
and each ``bind(...)`` call leaves a `BindingRecord` builder holding what was asked and where.
When `collect` ends, each builder is frozen into an `Element` (Guice's name for a recorded
statement), which nothing mutates afterwards; the graph compiler decides what the elements
mean and reports what is wrong with them. The builder and the records are in
`injectq._records`.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload

import attrs
from typing_extensions import TypeAliasType

from injectq._keys import KeyOf, Provides, Target, describe
from injectq._marks import PROVIDER_ATTR, SINGLETON, TRANSIENT, ProviderSpec
from injectq._records import (
    BindingRecord,
    Element,
    Exposure,
    Space,
    TargetKind,
    classify,
    freeze,
    is_generic_class,
)
from injectq._source import caller_source, object_source
from injectq.errors import UsageError

K = TypeVar("K")

__all__ = [  # the records are re-exported: the compiler reads them from here too
    "BindingRecord",
    "Collected",
    "Element",
    "Module",
    "PrivateModule",
    "Space",
    "TargetKind",
    "collect",
    "is_generic_class",
]


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

    @overload
    def bind(
        self, key: type[K] | KeyOf[K], target: Target[K] | None = None, *, name: str | None = None
    ) -> BindingRecord[K]: ...
    @overload
    def bind(
        self,
        key: TypeAliasType | types.FunctionType,  # `type` aliases; NewTypes for pyright
        target: Any = None,
        *,
        name: str | None = None,
    ) -> BindingRecord[Any]: ...
    def bind(self, key: Any, target: Any = None, *, name: str | None = None) -> BindingRecord[Any]:
        """Bind ``key`` to ``target`` and return a builder to set the name and scope.

        For type checkers, a class ``target`` must be a subclass of ``key``, a function must
        return a ``key`` (or a coroutine or generator of one) and an instance must be one.

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
        record = self._record("bind", key, target)
        if name is not None:
            record.named(name)
        return record

    @overload
    def multibind(
        self, key: type[K] | KeyOf[K], target: Target[K] | None = None
    ) -> BindingRecord[K]: ...
    @overload
    def multibind(
        self, key: TypeAliasType | types.FunctionType, target: Any = None
    ) -> BindingRecord[Any]: ...
    def multibind(self, key: Any, target: Any = None) -> BindingRecord[Any]:
        """Contribute one element to the collection of ``key``; with no target, declare it.

        Parameters annotated ``list[K]`` or ``Sequence[K]`` (unless bound themselves)
        receive a new list of every element, in install order, from every module installed
        (an element contributed inside a `PrivateModule` joins the collection everyone sees,
        and is planned inside that module). Each element is a binding of its own: chain
        ``.singleton()``, ``.scoped()``, ``.to()``... as for `bind`; for type checkers its
        target must serve a ``key``, as for `bind`. A collection nobody declares or
        contributes to is a missing binding; binding ``list[K]`` itself replaces it.

        Args:
            key: The element type.
            target: As for `bind` (a class, a provider function, an instance). None only
                declares the collection (it may stay empty), unless ``.to()`` follows.

        Returns:
            The element's builder. ``.named()``, ``.as_default()`` and ``.from_context()``
            raise `UsageError` on it: elements have no name.

        Raises:
            UsageError: When called outside ``configure()``.
        """
        record = self._record("multibind", key, target)
        record.multi = True
        return record

    @overload
    def decorate(
        self,
        key: type[K] | KeyOf[K],
        decorator: type[K] | Callable[..., Provides[K]],
        *,
        name: str | None = None,
    ) -> None: ...
    @overload
    def decorate(
        self,
        key: TypeAliasType | types.FunctionType,
        decorator: Callable[..., Any],
        *,
        name: str | None = None,
    ) -> None: ...
    def decorate(self, key: Any, decorator: Any, *, name: str | None = None) -> None:
        """Pass every instance of ``key``'s binding through ``decorator``.

        ``decorator`` is a class or a function; its parameter annotated with ``key``'s type
        receives the instance, its other parameters are injected, and what it returns is
        what everyone receives. Several decorators of one key apply in install order, the
        first innermost. The decorated binding keeps its scope (a singleton is decorated
        once); overrides replace what is inside the decorators. For type checkers the
        decorator must make a ``key``, as a target of `bind` must.

        Args:
            key: The decorated type.
            decorator: A class or function with a parameter of type ``key``.
            name: The name of the decorated binding, if it is a named one.

        Raises:
            UsageError: When called outside ``configure()``.
        """
        record = self._record("decorate", key, None)
        record.kind = TargetKind.DECORATOR
        record.target = decorator
        if name is not None:
            record.named(name)
        if isinstance(decorator, type) or is_generic_class(decorator) or callable(decorator):
            return
        record.problems.append(
            f"decorate() takes a class or a function, got {type(decorator).__name__} {decorator!r}"
        )
        record.hint = (
            f"pass a class whose constructor takes a {describe(key)}, or a function taking a "
            f"{describe(key)} and returning the decorated one."
        )

    def _record(self, method: str, key: Any, target: Any) -> BindingRecord[Any]:
        entry = _RECORDING.get(id(self))
        if entry is None:
            msg = (
                f"{type(self).__name__}.{method}() was called outside configure(). "
                f"Hint: move the {method}() calls into configure(self); the container calls "
                "it when the module is installed."
            )
            raise UsageError(msg)
        recording, chain = entry
        # Called by bind(), multibind() or decorate() only: two frames of injectq's.
        record: BindingRecord[Any] = BindingRecord(
            key, target, classify(target), caller_source(chain, skip=2), module=type(self).__name__
        )
        recording.append(record)
        return record

    def install(self, module: Module) -> None:
        """Install another module from inside ``configure()``: modules compose."""
        entry = _RECORDING.get(id(self))
        if entry is None:
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
        entry[0].append(module)

    def _provider_records(self) -> Iterator[BindingRecord[Any]]:
        from injectq._provided import provided_type

        seen: set[str] = set()
        for klass in type(self).__mro__:
            for attr, value in vars(klass).items():
                fn = value.__func__ if isinstance(value, staticmethod | classmethod) else value
                spec = getattr(fn, PROVIDER_ATTR, None)
                if attr in seen or not isinstance(spec, ProviderSpec):
                    continue
                seen.add(attr)
                bound = getattr(self, attr)
                key, _, problem, hint = provided_type(bound)
                record: BindingRecord[Any] = BindingRecord(
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
                record.multi = spec.multi
                if spec.name is not None:
                    record.named(spec.name)
                if spec.scope is not None:
                    _apply_scope(record, spec.scope)
                yield record


class PrivateModule(Module):
    """A module whose bindings only its own bindings see, except the keys it exposes.

    The bindings of a private module, and of the modules it installs, are visible only to
    the bindings inside it; `expose` makes a key visible to the modules around it. The
    bindings inside may depend on anything bound outside. Two private modules may bind the
    same key (Guice's "robot legs"): each of its bindings sees its own.

    Example:
        ```python
        class PostgresModule(PrivateModule):
            def configure(self) -> None:
                self.bind(Pool, PgPool).singleton()  # seen only inside
                self.bind(Repository, PgRepository)
                self.expose(Repository)
        ```
    """

    def expose(self, key: Any, *, name: str | None = None) -> None:
        """Make the binding of ``key`` (and ``name``) visible outside this module.

        The module (or a module it installs, exposing it there too) must bind the key;
        ``install()`` reports an exposed key that it does not bind.

        Raises:
            UsageError: When called outside ``configure()``.
        """
        entry = _RECORDING.get(id(self))
        if entry is None:
            msg = (
                f"{type(self).__name__}.expose() was called outside configure(). "
                "Hint: call self.expose(Key) inside configure(self), next to the bind() "
                "call of that key."
            )
            raise UsageError(msg)
        problems: tuple[str, ...] = ()
        if name is not None and (not isinstance(name, str) or not name):
            problems = (f"expose() takes a non-empty string as name=, got {name!r}",)
        recording, chain = entry
        recording.append(Exposure(key, name, caller_source(chain), problems))


def _apply_scope(record: BindingRecord[Any], scope: str) -> None:
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


# The recording of each module whose configure() is running, and the chain of modules
# that installed it (itself first), by id(): kept off the module instance, so configuring
# a module leaves its attributes (and so its de-duplication key) as they were. A source
# made during configure() carries the chain already; `freeze` need not copy it.
_RECORDING: dict[int, tuple[list[Any], tuple[str, ...]]] = {}


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
    # Modules are told apart per private module: each private module that installs a
    # module gets its own copy of its bindings, as Guice's private binders do.
    seen: dict[Space | None, set[Any]] = {}
    names: list[str] = []

    def visit(module: Module, chain: tuple[str, ...], space: Space | None) -> None:
        key = _dedupe_key(module)
        if key in seen.setdefault(space, set()):
            return
        seen[space].add(key)
        chain = (type(module).__name__, *chain)
        if isinstance(module, PrivateModule):
            space = Space(chain[0], chain, object_source(type(module)), space)
        recording: list[Any] = []
        _RECORDING[id(module)] = (recording, chain)
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
                visit(item, chain, space)
            elif isinstance(item, Exposure):
                records.append(item.freeze(chain, space))
            else:
                records.append(freeze(item, chain, space))

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
        visit(module, (), None)
    return Collected(tuple(records), tuple(names))
