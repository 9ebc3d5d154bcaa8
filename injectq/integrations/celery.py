"""Celery integration: a scope per task run, ``Injected[T]`` task parameters.

Install with the extra: ``pip install 'injectq[celery]'``. Then one call wires an app::

    from celery import Celery
    from injectq.integrations.celery import Injected, setup

    app = Celery("shop", broker="...")

    @app.task
    def send_invoice(order_id: int, mailer: Injected[Mailer]) -> None: ...

    setup(app, container)

Each run of a task in a worker (or through ``apply()`` / eager mode) happens in its own
scope (``"request"`` unless ``setup(..., scope=...)`` says otherwise), entered by Celery's
``task_prerun`` signal and left by ``task_postrun``. An exception the task raised, ``Retry``
included, is thrown into the scope's generator providers, though Celery records it as the
task's state rather than raising it. The running ``celery.Task`` is context of the scope:
bind it with ``self.bind(Task).from_context()`` (or ``Task[Any, Any]``, as type checkers
spell it). Callers pass only the other arguments:
Celery's argument check sees the task without its ``Injected`` parameters.

A worker bootstep ties the container to the worker: its start validates every task again,
tasks declared after ``setup()`` included, and enters the container; its stop (warm or
cold) closes it.
"""

from __future__ import annotations

import inspect
import threading
import typing
import weakref
from collections.abc import Callable, Iterator
from typing import Any

try:
    from celery import Celery, Task, bootsteps, signals
    from celery.utils.functional import head_from_fun
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    msg = "injectq.integrations.celery needs Celery. Hint: pip install 'injectq[celery]'."
    raise ImportError(msg) from exc

from injectq import InjectQ
from injectq.integrations._kit import (
    Injected,
    Integration,
    Unit,
    already_set_up,
    injected_parameters,
    wrap_handler,
)

__all__ = ["Injected", "setup"]

_wired: weakref.WeakKeyDictionary[Celery, _Wiring] = weakref.WeakKeyDictionary()
_wired_lock = threading.Lock()


def _task_function(task: Task[Any, Any]) -> Callable[..., Any]:
    """The function a task runs, as written (before `setup` wrapped it; unbound)."""
    run = task.run
    fn = getattr(run, "__func__", run)
    return getattr(fn, "__injectq_handler__", fn)


class _Wiring:
    """One Celery app wired to one container."""

    def __init__(self, app: Celery, container: InjectQ, scope: str) -> None:
        self.app = app
        self.container = container
        # Type checkers want celery.Task with its parameters (Task[Any, Any]): a key
        # declared that way is the running task too.
        keys = [Task] + [
            info.key
            for info in container.graph
            if info.kind == "context" and typing.get_origin(info.key) is Task
        ]
        self.integration = Integration(
            container,
            framework="Celery",
            scope=scope,
            supplies=dict.fromkeys(keys, _the_task),
            handlers=self.handlers,
        )
        self.units: dict[str, Unit] = {}
        self.wrapped: set[str] = set()

    def tasks(self) -> Iterator[Task[Any, Any]]:
        for task in list(self.app.tasks.values()):
            if task.app is self.app and injected_parameters(_task_function(task)):
                yield task

    def handlers(self) -> Iterator[Callable[..., Any]]:
        for task in self.tasks():
            yield _task_function(task)

    def wrap_tasks(self) -> None:
        """Validate every task at once, then make the new ones inject their parameters."""
        self.integration.check()
        for task in self.tasks():
            if task.name in self.wrapped:
                continue
            fn = _task_function(task)
            bound = inspect.ismethod(task.run)
            handler = wrap_handler(fn, hide=injected_parameters(fn) or ())
            cls = type(task)
            cls.run = handler if bound else staticmethod(handler)  # type: ignore[method-assign]
            # Celery checks a call's arguments against this stand-in of the task's signature:
            # it must not ask callers for what the container provides.
            cls.__header__ = staticmethod(head_from_fun(handler, bound=bound))  # type: ignore[attr-defined]
            self.wrapped.add(task.name)

    def started(self) -> None:
        self.wrap_tasks()
        self.container.__enter__()

    def prerun(self, task: Task[Any, Any], task_id: str) -> None:
        unit = self.integration.unit(task)
        unit.__enter__()
        self.units[task_id] = unit

    def postrun(self, task_id: str) -> None:
        unit = self.units.pop(task_id, None)
        if unit is not None:
            unit.__exit__(None, None, None)


def _the_task(task: Task[Any, Any]) -> Task[Any, Any]:
    return task


def _find(sender: Any) -> _Wiring | None:
    app = getattr(sender, "app", None)
    return None if app is None else _wired.get(app)


def _on_prerun(sender: Any = None, task_id: str = "", task: Any = None, **_: Any) -> None:
    wiring = _find(task)
    if wiring is not None:
        wiring.prerun(task, task_id)


def _on_postrun(sender: Any = None, task_id: str = "", task: Any = None, **_: Any) -> None:
    wiring = _find(task)
    if wiring is not None:
        wiring.postrun(task_id)


signals.task_prerun.connect(_on_prerun, weak=False)
signals.task_postrun.connect(_on_postrun, weak=False)


class _Lifecycle(bootsteps.StartStopStep):
    """A worker bootstep: the container's life is the worker's."""

    def start(self, parent: Any) -> None:
        wiring = _find(parent)
        if wiring is not None:
            wiring.started()

    def stop(self, parent: Any) -> None:
        wiring = _find(parent)
        if wiring is not None:
            wiring.container.close()

    terminate = stop


def setup(app: Celery, container: InjectQ, *, scope: str = "request") -> None:
    """Wire ``app`` to ``container``: a scope per task run, injection into tasks.

    Validates every task of ``app`` with ``Injected[...]`` parameters, at once (this
    finalizes the app, as reading ``app.tasks`` does).

    Args:
        app: The Celery application.
        container: The container tasks resolve from.
        scope: The name of the scope each task run is in.

    Raises:
        BindingError: A task's ``Injected[...]`` parameter cannot be resolved, or the
            container declares a context key of ``scope`` other than ``celery.Task``.
        UsageError: ``setup()`` was already called for ``app``.
    """
    with _wired_lock:
        first = _wired.get(app)
        if first is not None:
            raise already_set_up(first.integration.framework, app, first.container)
        wiring = _Wiring(app, container, scope)
        wiring.wrap_tasks()
        _wired[app] = wiring
        app.steps["worker"].add(_Lifecycle)
