"""The Celery integration: tasks run through apply() and a real worker thread (memory broker)."""

import sqlite3
import threading
from pathlib import Path
from typing import Annotated, Any

import pytest
from celery import Celery, Task
from celery.contrib.testing.worker import start_worker
from celery.exceptions import Retry

from injectq import BindingError, InjectQ, Named, UsageError
from injectq.integrations.celery import Injected, setup
from tests.sync_support import (
    ClockModule,
    Session,
    TenantModule,
    assert_reported,
    clear_events,  # noqa: F401 - the autouse fixture, by import
    events,
    in_two_threads,
    misspelled,
    rows,
    unbound,
)


class Job:
    """A service built from the running task: context of the task's scope."""

    def __init__(self, task: Task[Any, Any]) -> None:
        self.label = f"{task.name}:{task.request.id is not None}"


class TaskModule(ClockModule):
    def configure(self) -> None:
        super().configure()
        self.bind(Task[Any, Any]).from_context()
        self.bind(Job).scoped()


def make_app(db: Path) -> tuple[Celery, InjectQ, dict[str, Any]]:
    app = Celery("tests", broker="memory://", backend="cache+memory://", set_as_current=False)
    app.conf.broker_transport_options = {"polling_interval": 0.01}
    tasks: dict[str, Any] = {}

    @app.task(shared=False)
    def add(x: int, y: int, session: Injected[Session], again: Injected[Session]) -> list[Any]:
        return [x + y, session.number, session is again]

    @app.task(bind=True, shared=False)
    def label(self: Task[Any, Any], job: Injected[Job]) -> str:
        return job.label

    @app.task(shared=False)
    def greet(word: Injected[Annotated[str, Named("greeting")]]) -> str:
        return word

    @app.task(shared=False)
    def create(name: str, conn: Injected[sqlite3.Connection]) -> str:
        conn.execute("INSERT INTO accounts VALUES (?)", (name,))
        if name == "boom":
            msg = "unexpected"
            raise RuntimeError(msg)
        return "created"

    @app.task(shared=False)
    def flaky(name: str, conn: Injected[sqlite3.Connection]) -> None:
        conn.execute("INSERT INTO accounts VALUES (?)", (name,))
        raise Retry("again")

    tasks.update(add=add, label=label, greet=greet, create=create, flaky=flaky)
    container = InjectQ(TaskModule(db))
    setup(app, container)
    return app, container, tasks


def test_each_run_gets_its_own_scope_disposed_at_its_end(db: Path) -> None:
    """One session per task run, shared inside it, disposed when the run ends."""
    _, _, tasks = make_app(db)
    total, first, same = tasks["add"].apply((1, 2)).get()
    assert (total, same) == (3, True)
    assert events == [f"dispose session {first}"]
    _, second, _ = tasks["add"].apply((3, 4)).get()
    assert second == first + 1
    assert events == [f"dispose session {first}", f"dispose session {second}"]


def test_the_running_task_is_context_of_the_scope(db: Path) -> None:
    """A service taking celery.Task receives the task being run (a bound task too)."""
    _, _, tasks = make_app(db)
    assert tasks["label"].apply().get() == "tests.test_celery.label:True"
    assert tasks["greet"].apply().get() == "hello"


def test_callers_pass_only_the_other_arguments(db: Path) -> None:
    """Celery's argument check sees the task without its Injected parameters."""
    _, _, tasks = make_app(db)
    assert tasks["add"].apply(kwargs={"x": 1, "y": 1}).get()[0] == 2
    with pytest.raises(TypeError, match="y"):
        tasks["add"].apply_async((1,))


def test_a_failing_task_rolls_back(db: Path) -> None:
    """The task's exception reaches the generator provider: the row is rolled back."""
    _, _, tasks = make_app(db)
    assert tasks["create"].apply(("ada",)).get() == "created"
    result = tasks["create"].apply(("boom",))
    assert result.failed()
    assert isinstance(result.result, RuntimeError)
    assert events == ["commit", "rollback RuntimeError"]
    assert rows(db) == ["ada"]


def test_a_retry_rolls_back(db: Path) -> None:
    """Retry ends the run with an exception too: what the run wrote is rolled back."""
    _, _, tasks = make_app(db)
    assert tasks["flaky"].apply(("bob",)).state == "RETRY"
    assert events == ["rollback Retry"]
    assert rows(db) == []


def test_a_real_worker_thread_runs_tasks_in_scopes(db: Path) -> None:
    """A worker enters the container at its start and closes it when it stops.

    Its start also validates and wires the tasks declared since setup().
    """
    app, container, tasks = make_app(db)

    @app.task(shared=False)
    def late(session: Injected[Session]) -> int:
        return session.number

    assert events == []  # setup() alone builds nothing: the worker's start does
    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        assert events == ["clock"]
        number = late.delay().get(timeout=10)
        assert events == ["clock", f"dispose session {number}"]
        events.remove(f"dispose session {number}")
        assert tasks["create"].delay("ada").get(timeout=10) == "created"
        assert tasks["label"].delay().get(timeout=10) == "tests.test_celery.label:True"
        with pytest.raises(RuntimeError, match="unexpected"):
            tasks["create"].delay("boom").get(timeout=10)
        assert not container.closed
    assert container.closed
    assert events == ["clock", "commit", "rollback RuntimeError"]
    assert rows(db) == ["ada"]


def test_two_concurrent_runs_never_share_a_scoped_instance(db: Path) -> None:
    """Runs overlapping in two threads each get their own session."""
    app = Celery("hold", broker="memory://", backend="cache+memory://", set_as_current=False)
    barrier = threading.Barrier(2, timeout=5)

    @app.task(shared=False)
    def hold(session: Injected[Session]) -> int:
        barrier.wait()  # both runs are inside their scope now
        return id(session)

    setup(app, InjectQ(TaskModule(db)))
    found: dict[str, int] = {}

    def run(who: str) -> None:
        found[who] = hold.apply().get()

    in_two_threads(run)
    assert found["a"] != found["b"]
    assert len([e for e in events if e.startswith("dispose")]) == 2


def test_setup_reports_every_broken_task_at_once(db: Path) -> None:
    """Two tasks, two problems, one BindingError with each task's file:line."""
    app = Celery("broken", broker="memory://", set_as_current=False)
    app.task(shared=False)(unbound)
    app.task(shared=False)(misspelled)
    with pytest.raises(BindingError) as info:
        setup(app, InjectQ(TaskModule(db)))
    assert_reported(info.value)


def test_a_context_key_celery_cannot_supply_is_reported_at_setup() -> None:
    """A context key other than celery.Task: setup() names it and what Celery supplies."""
    app = Celery("tenant", broker="memory://", set_as_current=False)
    with pytest.raises(BindingError, match=r"\[unsupplied-context\] Celery cannot supply Tenant"):
        setup(app, InjectQ(TenantModule()))


def test_setup_twice_is_a_usage_error(db: Path) -> None:
    """A second setup() on one app says so and how to fix it."""
    app, container, _ = make_app(db)
    with pytest.raises(UsageError, match=r"Celery setup\(\) was called twice"):
        setup(app, container)
