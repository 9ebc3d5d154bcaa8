"""The errors injectq raises.

Every error derives from `InjectQError` and, where one fits, from the builtin a caller would
catch without knowing injectq::

    InjectQError (Exception)
    ├── UsageError (TypeError)            a public function was called with bad arguments
    │   └── FactoryArgumentError          a Factory[T] called with an argument missing or extra
    ├── ContainerClosedError (RuntimeError)  resolving from a closed container or scope
    ├── NoActiveContainerError (LookupError)  @inject / current() with no container active
    ├── LifecycleError (RuntimeError)     a scope or container cannot be entered or left so
    │   └── AsyncTeardownError            a sync close/exit with async teardowns pending
    ├── PluginLoadError (ImportError)     a discovered plugin failed to load
    ├── BindingError                      install() found problems; lists every one
    │   └── CircularDependencyError       ...and at least one is a cycle
    └── ResolutionError                   raised while building an instance
        ├── MissingBindingError (LookupError)  nothing binds the key asked for
        ├── ScopeError                    a scoped binding resolved outside its scope
        └── AsyncRequiredError            sync get() of something that needs an await

Errors keep structured fields (`key`, `path`, `source`, `problems`) and render them in
`__str__`, so a message always says what was asked, what was found, where it was bound and
how to fix it. Teardown failures are not `InjectQError`s: they come out together as a builtin
`ExceptionGroup`.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

__all__ = [
    "AsyncRequiredError",
    "AsyncTeardownError",
    "BindingError",
    "CircularDependencyError",
    "ContainerClosedError",
    "FactoryArgumentError",
    "InjectQError",
    "LifecycleError",
    "MissingBindingError",
    "NoActiveContainerError",
    "PluginLoadError",
    "Problem",
    "ResolutionError",
    "ScopeError",
    "UsageError",
]


class InjectQError(Exception):
    """The root of every error injectq raises."""


class UsageError(InjectQError, TypeError):
    """A public function of injectq was called with arguments it cannot use."""


class FactoryArgumentError(UsageError):
    """A ``Factory[T]`` was called without an argument it needs, or with one it does not take.

    Attributes:
        factory: The factory, e.g. ``Factory[Report]``.
        missing: The names of the ``Assisted`` parameters not passed that have no default.
        unexpected: What it does not take: keyword names, or ``"3rd positional"``-style
            descriptions of extra positional arguments.
        source: Where what it builds is bound (or defined).
        hint: How to call it.
    """

    def __init__(
        self,
        message: str,
        *,
        factory: str,
        missing: Sequence[str] = (),
        unexpected: Sequence[str] = (),
        source: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.factory = factory
        self.missing = tuple(missing)
        self.unexpected = tuple(unexpected)
        self.source = source
        self.hint = hint


class ContainerClosedError(InjectQError, RuntimeError):
    """Something was resolved from a container or scope that has been closed."""


class NoActiveContainerError(InjectQError, LookupError):
    """`InjectQ.current()` or an `@inject` function found no active container."""


class LifecycleError(InjectQError, RuntimeError):
    """A scope, container or resource cannot be entered, left or disposed as asked.

    Attributes:
        owner: What was being entered or closed (``container``, ``scope "request"``...).
        hint: How to fix it.
    """

    def __init__(self, message: str, *, owner: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.owner = owner
        self.hint = hint


class AsyncTeardownError(LifecycleError):
    """A synchronous close or exit found teardowns that need an ``await``; nothing ran.

    Attributes:
        pending: How many teardowns need an ``await``.
    """

    def __init__(self, message: str, *, owner: str = "", hint: str = "", pending: int = 0) -> None:
        super().__init__(message, owner=owner, hint=hint)
        self.pending = pending


class PluginLoadError(InjectQError, ImportError):
    """A plugin module declared through an entry point could not be loaded."""


@attrs.frozen
class Problem:
    """One problem found while installing modules.

    Attributes:
        code: A short stable tag such as ``missing-binding`` or ``cycle``.
        message: What is wrong, in one sentence.
        details: Further lines: where it was bound, who asked for it, close matches.
        hint: The concrete change that fixes it.
    """

    code: str
    message: str
    details: tuple[str, ...] = ()
    hint: str = ""

    def render(self, number: int) -> str:
        """Render the problem as a numbered entry of a `BindingError` message."""
        head = f"{number}) [{self.code}] {self.message}"
        indent = " " * (len(str(number)) + 2)
        lines = [head]
        lines.extend(f"{indent}{line}" for line in self.details)
        if self.hint:
            hint_lines = self.hint.splitlines()
            lines.append(f"{indent}Hint: {hint_lines[0]}")
            lines.extend(f"{indent}      {line}" for line in hint_lines[1:])
        return "\n".join(lines)


class BindingError(InjectQError):
    """`install()` found problems in the bindings; every problem is listed at once.

    Also raised by `InjectQ.validate` for the functions it checks.

    Attributes:
        problems: Every problem found, in the order they were found.
        modules: The names of the modules being installed.
        during: What was being done when not installing (``validating handle, index``).
    """

    def __init__(
        self, problems: Sequence[Problem], modules: Sequence[str] = (), *, during: str = ""
    ) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.modules: tuple[str, ...] = tuple(modules)
        self.during = during
        super().__init__(self._render())

    def _render(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        where = f" while installing {', '.join(self.modules)}" if self.modules else ""
        if self.during:
            where = f" while {self.during}"
        entries = "\n\n".join(p.render(i) for i, p in enumerate(self.problems, 1))
        return f"{count} {noun} found{where}\n\n{entries}"

    def __str__(self) -> str:
        return self._render()

    @property
    def codes(self) -> tuple[str, ...]:
        """The code of each problem, in order (handy in tests)."""
        return tuple(p.code for p in self.problems)


class CircularDependencyError(BindingError):
    """A `BindingError` whose problems include at least one dependency cycle."""


class ResolutionError(InjectQError):
    """Raised while resolving when an instance cannot be provided.

    Attributes:
        key: A readable name of what was asked for.
        found: What was found instead.
        source: Where the binding involved was made (``file:line (in Module)``), if known.
        hint: How to fix it.
        path: The chain of keys being resolved, outermost first.
    """

    def __init__(
        self,
        key: str,
        found: str,
        *,
        source: str = "",
        hint: str = "",
        path: Sequence[str] = (),
    ) -> None:
        self.key = key
        self.found = found
        self.source = source
        self.hint = hint
        self.path: list[str] = list(path)
        super().__init__(key)

    def __str__(self) -> str:
        lines = [self.found]
        if self.source:
            lines.append(f"Bound at: {self.source}")
        if len(self.path) > 1:
            lines.append(f"Resolution path: {' -> '.join(self.path)}")
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)


class MissingBindingError(ResolutionError, LookupError):
    """Nothing binds the key asked for.

    Attributes:
        candidates: Bound keys close to the one asked for (names of a named binding, or
            similar type names).
    """

    def __init__(
        self,
        key: str,
        found: str,
        *,
        source: str = "",
        hint: str = "",
        path: Sequence[str] = (),
        candidates: Sequence[str] = (),
    ) -> None:
        self.candidates: tuple[str, ...] = tuple(candidates)
        super().__init__(key, found, source=source, hint=hint, path=path)


class ScopeError(ResolutionError):
    """A scoped binding was resolved where no scope of its name is active."""


class AsyncRequiredError(ResolutionError):
    """A synchronous `get()` was asked for something that needs an ``await``."""
