"""The Celery integration: tasks run through apply() and a real worker thread (memory broker)."""

import itertools
import re
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from celery import Celery, Task
from celery.contrib.testing.worker import start_worker
from celery.exceptions import Retry

from injectq import BindingError, InjectQ, Module, Named, UsageError, provider, resource
from injectq.integrations.celery import Injected, setup

events: list[str] = []


@pytest.fixture(autouse=True)
def clear_events() -> None:
    events.clear()


@resource
class Session:
    count = itertools.count(1)

    def __init__(self) -> None:
        self.number = next(Session.count)

    def dispose(self) -> None:
        events.append(f"dispose {self.number}")


class Job:
    """A service built from the running task: context of the task's scope."""

    def __init__(self, task: Task[Any, Any]) -> None:
        self.label = f"{task.name}:{task.request.id is not None}"


class Clock:
    def __init__(self) -> None:
        events.append("clock")


def worker_module(db: Path) -> Module:
    class TaskModule(Module):
        def configure(self) -> None:
            self.bind(Session).scoped()
            self.bind(Task[Any, Any]).from_context()
            self.bind(Job).scoped()
            self.bind(Clock).eager()
            self.bind(str, "hello", name="greeting")

        @provider(scope="request")
        def connection(self) -> Iterator[sqlite3.Connection]:
            conn = sqlite3.connect(db, isolation_level=None)
            conn.execute("BEGIN")
            try:
                yield conn
            except BaseException as exc:
                conn.execute("ROLLBACK")
                events.append(f"rollback {type(exc).__name__}")
                raise
            else:
                conn.execute("COMMIT")
                events.append("commit")
            finally:
                conn.close()

    return TaskModule()


def make_app(db: Path) -> tuple[Celery, InjectQ, dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS accounts (name TEXT)")
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
    container = InjectQ(worker_module(db))
    setup(app, container)
    return app, container, tasks


def rows(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM accounts")]


def test_each_run_gets_its_own_scope_disposed_at_its_end(tmp_path: Path) -> None:
    """One session per task run, shared inside it, disposed when the run ends."""
    _, _, tasks = make_app(tmp_path / "db.sqlite")
    total, first, same = tasks["add"].apply((1, 2)).get()
    assert (total, same) == (3, True)
    assert events == [f"dispose {first}"]
    _, second, _ = tasks["add"].apply((3, 4)).get()
    assert second == first + 1
    assert events == [f"dispose {first}", f"dispose {second}"]


def test_the_running_task_is_context_of_the_scope(tmp_path: Path) -> None:
    """A service taking celery.Task receives the task being run (a bound task too)."""
    _, _, tasks = make_app(tmp_path / "db.sqlite")
    assert tasks["label"].apply().get() == "tests.test_celery.label:True"
    assert tasks["greet"].apply().get() == "hello"


def test_callers_pass_only_the_other_arguments(tmp_path: Path) -> None:
    """Celery's argument check sees the task without its Injected parameters."""
    _, _, tasks = make_app(tmp_path / "db.sqlite")
    assert tasks["add"].apply(kwargs={"x": 1, "y": 1}).get()[0] == 2
    with pytest.raises(TypeError, match="y"):
        tasks["add"].apply_async((1,))


def test_a_failing_task_rolls_back(tmp_path: Path) -> None:
    """The task's exception reaches the generator provider: the row is rolled back."""
    db = tmp_path / "db.sqlite"
    _, _, tasks = make_app(db)
    assert tasks["create"].apply(("ada",)).get() == "created"
    result = tasks["create"].apply(("boom",))
    assert result.failed()
    assert isinstance(result.result, RuntimeError)
    assert events == ["commit", "rollback RuntimeError"]
    assert rows(db) == ["ada"]


def test_a_retry_rolls_back(tmp_path: Path) -> None:
    """Retry ends the run with an exception too: what the run wrote is rolled back."""
    db = tmp_path / "db.sqlite"
    _, _, tasks = make_app(db)
    assert tasks["flaky"].apply(("bob",)).state == "RETRY"
    assert events == ["rollback Retry"]
    assert rows(db) == []


def test_a_real_worker_thread_runs_tasks_in_scopes(tmp_path: Path) -> None:
    """A worker enters the container at its start and closes it when it stops.

    Its start also validates and wires the tasks declared since setup().
    """
    db = tmp_path / "db.sqlite"
    app, container, tasks = make_app(db)

    @app.task(shared=False)
    def late(session: Injected[Session]) -> int:
        return session.number

    assert events == []  # setup() alone builds nothing: the worker's start does
    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        assert events == ["clock"]
        number = late.delay().get(timeout=10)
        assert events == ["clock", f"dispose {number}"]
        events.remove(f"dispose {number}")
        assert tasks["create"].delay("ada").get(timeout=10) == "created"
        assert tasks["label"].delay().get(timeout=10) == "tests.test_celery.label:True"
        with pytest.raises(RuntimeError, match="unexpected"):
            tasks["create"].delay("boom").get(timeout=10)
        assert not container.closed
    assert container.closed
    assert events == ["clock", "commit", "rollback RuntimeError"]
    assert rows(db) == ["ada"]


def test_two_concurrent_runs_never_share_a_scoped_instance(tmp_path: Path) -> None:
    """Runs overlapping in two threads each get their own session."""
    app = Celery("hold", broker="memory://", backend="cache+memory://", set_as_current=False)
    barrier = threading.Barrier(2, timeout=5)

    @app.task(shared=False)
    def hold(session: Injected[Session]) -> int:
        barrier.wait()  # both runs are inside their scope now
        return id(session)

    setup(app, InjectQ(worker_module(tmp_path / "db.sqlite")))
    found: dict[str, int] = {}

    def run(who: str) -> None:
        found[who] = hold.apply().get()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(w,)) for w in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
            assert not t.is_alive()
    finally:
        sys.setswitchinterval(old)
    assert found["a"] != found["b"]
    assert len([e for e in events if e.startswith("dispose")]) == 2


class Missing:
    def __init__(self, required: int) -> None:
        self.required = required


class Tenant:
    pass


def test_setup_reports_every_broken_task_at_once(tmp_path: Path) -> None:
    """Two tasks, two problems, one BindingError with each task's file:line."""
    app = Celery("broken", broker="memory://", set_as_current=False)

    @app.task(shared=False)
    def one(thing: Injected[Missing]) -> None: ...

    @app.task(shared=False)
    def two(word: Injected[Annotated[str, Named("greting")]]) -> None: ...

    with pytest.raises(BindingError) as info:
        setup(app, InjectQ(worker_module(tmp_path / "db.sqlite")))
    text = str(info.value)
    assert "[missing-binding] Nothing binds Missing." in text
    assert 'Did you mean: str named "greeting"' in text
    assert re.search(r"one defined at: \S*test_celery\.py:\d+", text)
    assert re.search(r"two defined at: \S*test_celery\.py:\d+", text)


def test_a_context_key_celery_cannot_supply_is_reported_at_setup() -> None:
    """A context key other than celery.Task: setup() names it and what Celery supplies."""

    class TenantModule(Module):
        def configure(self) -> None:
            self.bind(Tenant).from_context()

    app = Celery("tenant", broker="memory://", set_as_current=False)
    with pytest.raises(BindingError, match=r"\[unsupplied-context\] Celery cannot supply Tenant"):
        setup(app, InjectQ(TenantModule()))


def test_setup_twice_is_a_usage_error(tmp_path: Path) -> None:
    """A second setup() on one app says so and how to fix it."""
    app, container, _ = make_app(tmp_path / "db.sqlite")
    with pytest.raises(UsageError, match=r"Celery setup\(\) was called twice"):
        setup(app, container)
