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


class AppModule(Module):
    def __init__(self, path: Path) -> None:
        self.path = path

    def configure(self) -> None:
        self.bind(Session).scoped()
        self.bind(Notifier, Sms, name="sms")
        self.bind(Db, Db(self.path))

    @provider(scope="request")
    def tx(self, db: Db) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(db.path, check_same_thread=False)
        try:
            yield conn
        except BaseException as exc:
            conn.rollback()
            events.append(f"rollback {type(exc).__name__}")
            raise
        else:
            conn.commit()
            events.append("commit")
        finally:
            conn.close()
