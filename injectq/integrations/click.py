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
the scope: bind it with ``self.bind(click.Context).from_context()``. The first command of
an invocation is the CLI's start-up: every command is validated again (commands added after
``setup()`` included) and the container is entered; it is closed with the root context.

A Typer app is wired as it is: ``setup(app, container)``. Typer builds a Click command tree
from the app each time it runs (``app()``, ``typer.testing.CliRunner().invoke(app, ...)``),
so `setup` wraps the functions registered on the app (commands, callbacks, sub-apps) in
place: Typer builds each command without its ``Injected`` parameters, and its callback runs
in a scope. ``typer.Context`` is context of the scope (declare
``self.bind(typer.Context).from_context()``): `setup` has Typer make its contexts as
``typer.Context``, which Typer otherwise only uses as an annotation. Register a Typer app's
commands before calling `setup`; one registered later is validated and wired at the next
run's start-up, too late for the command tree Typer built for that run. A command tree built
with ``typer.main.get_command(app)`` can be wired too; decorate its commands with
`typer_command` (below ``@app.command()``) so that Typer leaves the ``Injected`` parameters
alone.
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
    parameters the container fills. `setup` fills them when the command runs. Needed only
    for a command tree built with ``typer.main.get_command(app)``: ``setup(app, ...)`` on
    the Typer app does it for every command registered.
    """
    hidden = injected_parameters(fn) or ()
    return wrap_handler(fn, hide=hidden) if hidden else fn  # type: ignore[return-value]


class _Flavour:
    """The Click a command tree is built on: Click itself, or the copy Typer ships.

    Typer builds its commands on its own copy of Click (``typer._click``), whose classes
    are not Click's; the same names in it serve the same purpose. Typer's ``typer.Context``
    subclasses that copy's ``Context`` (``rich``); Click's own is ``click.Context``.
    """

    def __init__(self, package: str) -> None:
        core = importlib.import_module(f"{package}.core")
        top = sys.modules[package.split(".", maxsplit=1)[0]]
        self.package = package
        self.context: type[Any] = core.Context
        named: Any = getattr(top, "Context", None)
        rich = isinstance(named, type) and named is not core.Context
        self.rich: type[Any] | None = named if rich and issubclass(named, core.Context) else None
        exceptions = importlib.import_module(f"{package}.exceptions")
        self.exit: type[BaseException] = getattr(exceptions, "Exit", None) or top.Exit
        self.current: Callable[[], Any] = importlib.import_module(
            f"{package}.globals"
        ).get_current_context

    @classmethod
    def of(cls, command: Any) -> _Flavour:
        kind = command if isinstance(command, type) else type(command)
        for base in kind.__mro__:
            module = base.__module__
            if base.__name__ == "Command" and module.endswith(".core"):
                return cls(module.removesuffix(".core"))
        msg = (
            f"setup() takes a Click command or group, or a Typer app, got "
            f"{type(command).__name__} {command!r}. Hint: pass the object "
            "@click.group()/@click.command() made, or the typer.Typer() app."
        )
        raise UsageError(msg)

    def supplies(self) -> dict[Any, Callable[[Any], Any]]:
        """The context key a command's unit is handed: ``click.Context``, ``typer.Context``."""
        return {self.rich or self.context: _the_context}


def _commands(command: Any) -> Iterator[Any]:
    """A command and, for a group, every command under it."""
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def _typer_app(cli: Any) -> bool:
    typer = sys.modules.get("typer")
    return typer is not None and isinstance(cli, typer.Typer)


def _typer_holders(app: Any) -> Iterator[Any]:
    """What holds the functions of a Typer app: its commands, callbacks and sub-apps."""
    yield from app.registered_commands
    yield app.info  # typer.Typer(callback=...)
    if app.registered_callback is not None:
        yield app.registered_callback
    for group in app.registered_groups:
        yield group  # app.add_typer(sub, callback=...)
        if group.typer_instance is not None:
            yield from _typer_holders(group.typer_instance)


def _callback_of(holder: Any) -> Callable[..., Any] | None:
    """A holder's function, if it has one (Typer keeps placeholders where none was given)."""
    callback = holder.callback
    return callback if callable(callback) else None


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
    """One Click command tree (or one Typer app) wired to one container."""

    def __init__(self, root: Any, container: InjectQ, scope: str) -> None:
        self.root = root
        self.typer = _typer_app(root)
        if self.typer:
            self.flavour = _Flavour.of(importlib.import_module("typer.core").TyperCommand)
        else:
            self.flavour = _Flavour.of(root)
        self.wrapped: weakref.WeakSet[Any] = weakref.WeakSet()
        self.lock = threading.Lock()
        self.use(container, scope)

    def use(self, container: InjectQ, scope: str) -> None:
        """Serve the command tree from ``container`` (again, after the last one closed)."""
        self.container = container
        self.integration = Integration(
            container,
            framework="Typer" if self.typer or self.flavour.package != "click" else "Click",
            scope=scope,
            supplies=self.flavour.supplies(),
            handlers=self.handlers,
        )

    def holders(self) -> Iterator[Any]:
        return _typer_holders(self.root) if self.typer else _commands(self.root)

    def handlers(self) -> Iterator[Callable[..., Any]]:
        for holder in self.holders():
            callback = _callback_of(holder)
            if callback is not None:
                fn = _original(callback)
                if injected_parameters(fn):
                    yield fn

    def wrap(self) -> None:
        """Validate every command at once, then run the new ones' callbacks in scopes."""
        self.integration.check()
        if not self.typer and self.root.callback is None:
            # The start-up hook needs a callback to live in, run before any subcommand's.
            self.root.callback = self.starter
            self.wrapped.add(self.root)
        for holder in self.holders():
            callback = _callback_of(holder)
            if callback is not None and holder not in self.wrapped:
                holder.callback = self.in_scope(callback)
                self.wrapped.add(holder)
        if self.flavour.rich is not None:
            if self.typer:
                _typer_contexts(self.root, self.flavour)
            else:
                for command in _commands(self.root):
                    if command.context_class is self.flavour.context:
                        command.context_class = self.flavour.rich

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
        names = injected_parameters(_original(callback))
        if names and not _fills_itself(callback):
            # Typer reads the function's signature when it builds a command: hide them.
            injecting = wrap_handler(callback, hide=names if self.typer else ())

        flavour = self.flavour

        @functools.wraps(injecting)
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


_rich_classes: dict[type[Any], type[Any]] = {}


def _rich(cls: type[Any], flavour: _Flavour) -> type[Any]:
    """``cls`` (a Typer command or group class) making ``typer.Context`` contexts."""
    if cls.context_class is not flavour.context:
        return cls  # already typer.Context, or a context class of the user's own
    found = _rich_classes.get(cls)
    if found is None:
        namespace = {"context_class": flavour.rich, "__module__": cls.__module__}
        found = _rich_classes[cls] = type(cls.__name__, (cls,), namespace)
    return found


def _typer_contexts(app: Any, flavour: _Flavour, added: Any = None) -> None:
    """Have Typer build the commands and groups of ``app`` with ``typer.Context`` contexts.

    Typer picks a command's class from its ``CommandInfo``, a group's from the first of
    ``add_typer(cls=...)``, the app's ``@callback(cls=...)`` and ``Typer(cls=...)`` that was
    given; the class is set where Typer will read it.
    """
    core = importlib.import_module("typer.core")
    placeholder = importlib.import_module("typer.models").DefaultPlaceholder
    for info in app.registered_commands:
        info.cls = _rich(info.cls or core.TyperCommand, flavour)
    holders = [h for h in (added, app.registered_callback, app.info) if h is not None]
    given = next((h for h in holders if not isinstance(h.cls, placeholder)), None)
    if given is not None:
        given.cls = _rich(given.cls or core.TyperGroup, flavour)
    else:
        holders[-1].cls = _rich(core.TyperGroup, flavour)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _typer_contexts(group.typer_instance, flavour, group)


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
        cli: The root command or group, or a ``typer.Typer`` app.
        container: The container commands resolve from.
        scope: The name of the scope each command runs in.

    Raises:
        BindingError: A command's ``Injected[...]`` parameter cannot be resolved, or the
            container declares a context key of ``scope`` other than the command's context
            (``click.Context``; for Typer, ``typer.Context``).
        UsageError: ``cli`` is neither a Click command nor a Typer app, or ``setup()`` was
            already called for it with a container that is still open.
    """
    with _wired_lock:
        wiring = _wired.get(cli)
        if wiring is None:
            wiring = _Wiring(cli, container, scope)
        elif not wiring.container.closed:
            framework = wiring.integration.framework
            raise already_set_up(framework, cli, wiring.container, call="setup(cli, container)")
        else:  # the last run closed its container: serve the same commands from this one
            wiring.use(container, scope)
        wiring.wrap()
        _wired[cli] = wiring
