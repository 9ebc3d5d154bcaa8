"""Fixtures shared by the sync integration tests (Flask, Django, Celery, Click).

They build on the ASGI tests' (`tests/asgi_support.py`): the same event log cleared before
each test, the same request-scoped `Session` and the same module whose request-scoped
transaction on a real SQLite file commits on success and rolls back on the exception that
ended the unit of work. Added here: the table the sync tests write and read back, a module
with a named binding to misspell and one with an eager singleton, two units of work run at
once in threads, and what the bad-input tests give ``setup()``: two broken handlers each
framework registers as its own, a context key no framework supplies, and the check of the
report.
"""

import re
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pytest

from injectq import BindingError, Module, Named
from injectq.integrations._kit import Injected
from tests.asgi_support import AppModule, Session, clear_events, events

__all__ = [
    "Clock",
    "ClockModule",
    "Missing",
    "Session",
    "StoreModule",
    "Tenant",
    "TenantModule",
    "assert_reported",
    "clear_events",
    "db",
    "events",
    "in_two_threads",
    "misspelled",
    "rows",
    "unbound",
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A real SQLite file with an empty ``accounts`` table (offered by tests/conftest.py)."""
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE accounts (name TEXT)")
    return path


def rows(path: Path) -> list[str]:
    """The names the ``accounts`` table holds, as committed."""
    with sqlite3.connect(path) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM accounts")]


class StoreModule(AppModule):
    """`AppModule` (the session, the transaction) and a named ``str`` to misspell."""

    def configure(self) -> None:
        super().configure()
        self.bind(str, "hello", name="greeting")


class Clock:
    """An eager singleton: it says when the container is entered."""

    def __init__(self) -> None:
        events.append("clock")


class ClockModule(StoreModule):
    """`StoreModule` and the eager `Clock`."""

    def configure(self) -> None:
        super().configure()
        self.bind(Clock).eager()


class Missing:
    """Asked for by a broken handler: nothing binds it, and it cannot be made just in time."""

    def __init__(self, required: int) -> None:
        self.required = required


def unbound(thing: Injected[Missing]) -> Any:
    """A handler nothing can serve: nothing binds `Missing` (never called)."""


def misspelled(word: Injected[Annotated[str, Named("greting")]]) -> Any:
    """A handler asking for a misspelled name: "greting", where "greeting" is bound."""


class Tenant:
    """Declared ``.from_context()`` for the request scope: no framework supplies it."""


class TenantModule(Module):
    """Declares `Tenant` as context of the request scope."""

    def configure(self) -> None:
        self.bind(Tenant).from_context()


def in_two_threads(run: Callable[[str], None]) -> None:
    """Run ``run("a")`` and ``run("b")`` in two threads at a 1 µs switch interval.

    Each thread must finish within 10 s: a hang is a failure.
    """
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(who,)) for who in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
            assert not thread.is_alive()
    finally:
        sys.setswitchinterval(old)


def assert_reported(
    error: BindingError,
    file: str = "sync_support.py",
    names: tuple[str, str] = ("unbound", "misspelled"),
) -> None:
    """One report on two handlers: one asks for `Missing`, the other for "greting".

    By default the handlers are `unbound` and `misspelled`, defined in this file.
    """
    text = str(error)
    assert error.codes == ("missing-binding", "missing-binding")
    assert "[missing-binding] Nothing binds Missing." in text
    assert 'Did you mean: str named "greeting"' in text
    for name in names:
        assert re.search(rf"{name} defined at: \S*{re.escape(file)}:\d+", text), name
