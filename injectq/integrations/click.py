"""Click (and Typer) integration: a scope per command, ``Injected[T]`` callback parameters.

Install with the extra: ``pip install 'injectq[click]'`` (Typer needs no extra: it ships its own
copy of Click). Then one call wires a CLI::

    import click
    from injectq.integrations.click import Injected, setup

    @click.command()
    @click.argument("name")
    def greet(name: str, greeter: Injected[Greeter]) -> None: ...

    setup(greet, container)

Each command's callback runs in its own scope (``"request"`` unless ``setup(...,
scope=...)`` says otherwise), left with the exception that ended it; ``ctx.exit(0)`` (and
Typer's ``raise typer.Exit()``) is a success, not an error. ``click.Context`` is context of
the scope: bind it with ``self.bind(click.Context).from_context()`` (Typer hands its
commands a context of its own copy of Click, not a ``typer.Context`` instance, so it is
not offered there). The first command of
an invocation is the CLI's start-up: every command is validated again (commands added after
``setup()`` included) and the container is entered; it is closed with the root context.

A Typer app is built the same way (on Typer's copy of Click): decorate its commands with
`typer_command` (below ``@app.command()``) so that Typer leaves the ``Injected`` parameters
alone, then wire the command that ``typer.main.get_command(app)`` returns.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from injectq import InjectQ, UsageError
from injectq.integrations._kit import (
    Injected,
    Integration,
    already_set_up,
    injected_parameters,
    wrap_handler,
)

__all__ = ["Injected", "setup", "typer_command"]

F = TypeVar("F", bound=Callable[..., Any])

_wired: weakref.WeakKeyDictionary[Any, _Wiring] = weakref.WeakKeyDictionary()
_wired_lock = threading.Lock()
_STARTED = "injectq.started"


def typer_command(fn: F) -> F:
    """Let Typer build a command from ``fn`` without its ``Injected[...]`` parameters.

    Typer turns every parameter it sees into a CLI option; this shows it ``fn`` without the
    parameters the container fills. `setup` fills them when the command runs.
    """
    hidden = injected_parameters(fn) or ()
    return wrap_handler(fn, hide=hidden) if hidden else fn  # type: ignore[return-value]


class _Flavour:
    """The Click a command tree is built on: Click itself, or the copy Typer ships.

    Typer builds its commands on its own copy of Click (``typer._click``), whose classes
    are not Click's; the same names in it serve the same purpose.
    """

    def __init__(self, package: str) -> None:
        core = importlib.import_module(f"{package}.core")
        top = sys.modules[package.split(".", maxsplit=1)[0]]
        self.package = package
        self.context: type[Any] = core.Context
        exceptions = importlib.import_module(f"{package}.exceptions")
        self.exit: type[BaseException] = getattr(exceptions, "Exit", None) or top.Exit
        self.current: Callable[[], Any] = importlib.import_module(
            f"{package}.globals"
        ).get_current_context

    @classmethod
    def of(cls, command: Any) -> _Flavour:
        for base in type(command).__mro__:
            module = base.__module__
            if base.__name__ == "Command" and module.endswith(".core"):
                return cls(module.removesuffix(".core"))
        msg = (
            f"setup() takes a Click command or group, got {type(command).__name__} "
            f"{command!r}. Hint: pass the object @click.group()/@click.command() made; for "
            "a Typer app, typer.main.get_command(app)."
        )
        raise UsageError(msg)


def _commands(command: Any) -> Iterator[Any]:
    """A command and, for a group, every command under it."""
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def _original(callback: Callable[..., Any]) -> Callable[..., Any]:
    """The function a callback (maybe wrapped by ``pass_context`` or Typer) was written as."""
    seen = callback
    while True:
        found = getattr(seen, "__injectq_handler__", None)
        if found is not None:
            return found  # type: ignore[no-any-return]
        inner = getattr(seen, "__wrapped__", None)
        if inner is None:
            return seen
        seen = inner


class _Wiring:
    """One Click command tree wired to one container."""

    def __init__(self, root: Any, container: InjectQ, scope: str) -> None:
        self.root = root
        self.flavour = _Flavour.of(root)
        self.wrapped: weakref.WeakSet[Any] = weakref.WeakSet()
        self.lock = threading.Lock()
        self.use(container, scope)

    def use(self, container: InjectQ, scope: str) -> None:
        """Serve the command tree from ``container`` (again, after the last one closed)."""
        self.container = container
        self.integration = Integration(
            container,
            framework="Typer" if self.flavour.package != "click" else "Click",
            scope=scope,
            supplies={self.flavour.context: _the_context},
            handlers=self.handlers,
        )

    def handlers(self) -> Iterator[Callable[..., Any]]:
        for command in _commands(self.root):
            if command.callback is not None:
                fn = _original(command.callback)
                if injected_parameters(fn):
                    yield fn

    def wrap(self) -> None:
        """Validate every command at once, then run the new ones' callbacks in scopes."""
        self.integration.check()
        if self.root.callback is None:  # the start-up hook needs a callback to live in
            self.root.callback = self.starter
            self.wrapped.add(self.root)
        for command in _commands(self.root):
            if command.callback is not None and command not in self.wrapped:
                command.callback = self.in_scope(command.callback)
                self.wrapped.add(command)

    def start(self, ctx: Any) -> None:
        root = ctx.find_root()
        if root.meta.get(_STARTED):
            return
        with self.lock:
            self.wrap()
            self.container.__enter__()
        root.meta[_STARTED] = True
        root.call_on_close(self.container.close)

    def starter(self) -> None:
        """The callback given to a root group that has none: start-up only."""
        self.start(self.flavour.current())

    def in_scope(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        injecting = callback
        if injected_parameters(_original(callback)) and not _fills_itself(callback):
            injecting = wrap_handler(callback)

        flavour = self.flavour

        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            ctx = flavour.current()
            self.start(ctx)
            unit = self.integration.unit(ctx)
            success: BaseException | None = None
            with unit:
                try:
                    return injecting(*args, **kwargs)
                except flavour.exit as exc:
                    if getattr(exc, "exit_code", 1) != 0:
                        raise
                    unit.error = None  # ctx.exit() or typer.Exit(): the command succeeded
                    success = exc
            raise success

        return run


def _fills_itself(callback: Callable[..., Any]) -> bool:
    """Whether the callback reaches a function that `typer_command` made inject itself."""
    seen: Any = callback
    while seen is not None:
        if getattr(seen, "__injectq_handler__", None) is not None:
            return True
        seen = getattr(seen, "__wrapped__", None)
    return False


def _the_context(ctx: Any) -> Any:
    return ctx


def setup(cli: Any, container: InjectQ, *, scope: str = "request") -> None:
    """Wire the command tree of ``cli`` to ``container``: a scope per command run.

    Validates every command's ``Injected[...]`` parameters, at once.

    Args:
        cli: The root command or group (for Typer, ``typer.main.get_command(app)``).
        container: The container commands resolve from.
        scope: The name of the scope each command runs in.

    Raises:
        BindingError: A command's ``Injected[...]`` parameter cannot be resolved, or the
            container declares a context key of ``scope`` other than ``click.Context``.
        UsageError: ``cli`` is not a Click command, or ``setup()`` was already called for it
            with a container that is still open.
    """
    with _wired_lock:
        wiring = _wired.get(cli)
        if wiring is None:
            wiring = _Wiring(cli, container, scope)
        elif not wiring.container.closed:
            raise already_set_up(wiring.integration.framework, cli, wiring.container)
        else:  # the last run closed its container: serve the same commands from this one
            wiring.use(container, scope)
        wiring.wrap()
        _wired[cli] = wiring
