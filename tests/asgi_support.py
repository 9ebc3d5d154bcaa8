"""Fixtures shared by the ASGI integration tests (Starlette, Litestar, aiohttp).

An event log cleared before each test, a request-scoped resource that counts its instances,
a named notifier, and a module whose request-scoped transaction on a real SQLite file
commits on success and rolls back on the exception that ended the request.
"""

import abc
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from injectq import Module, provider, resource

events: list[str] = []


@pytest.fixture(autouse=True)
def clear_events() -> None:
    events.clear()


@resource
class Session:
    count = 0

    def __init__(self) -> None:
        Session.count += 1
        self.number = Session.count

    def dispose(self) -> None:
        events.append(f"dispose session {self.number}")


class Notifier(abc.ABC):
    @abc.abstractmethod
    def send(self) -> str: ...


class Sms(Notifier):
    def send(self) -> str:
        return "sms"


class Db:
    def __init__(self, path: Path) -> None:
        self.path = path


class DbModule(Module):
    """The database at ``path`` and a request-scoped transaction on it.

    The transaction commits when the request ends normally and rolls back on the exception
    that ended it, logging either to ``log`` (this module's ``events`` by default).
    """

    def __init__(self, path: Path, log: list[str] | None = None) -> None:
        self.path = path
        self.log = events if log is None else log

    def configure(self) -> None:
        self.bind(Db, Db(self.path))

    @provider(scope="request")
    def tx(self, db: Db) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(db.path, check_same_thread=False)
        try:
            yield conn
        except BaseException as exc:
            conn.rollback()
            self.log.append(f"rollback {type(exc).__name__}")
            raise
        else:
            conn.commit()
            self.log.append("commit")
        finally:
            conn.close()


class AppModule(DbModule):
    """`DbModule` plus the counted request-scoped `Session` and a notifier named "sms"."""

    def configure(self) -> None:
        super().configure()
        self.bind(Session).scoped()
        self.bind(Notifier, Sms, name="sms")
