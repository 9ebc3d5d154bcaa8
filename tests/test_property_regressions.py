"""Bugs the concurrency property tests found, shrunk to plain regression tests."""

import asyncio
import sys
import threading
import time

from injectq import InjectQ


def test_cancelling_the_creator_of_an_async_singleton_does_not_cancel_its_waiter() -> None:
    """The waiter takes over the creation and gets the singleton."""

    class Client:
        pass

    async def make_client() -> Client:
        await asyncio.sleep(0)
        return Client()

    async def scenario() -> list[object]:
        c = InjectQ()
        c.bind(Client, make_client, scope="singleton")
        creator = asyncio.create_task(c.aget(Client))
        waiter = asyncio.create_task(c.aget(Client))
        await asyncio.sleep(0)  # the creator is inside make_client, the waiter waits
        creator.cancel()
        return list(await asyncio.gather(creator, waiter, return_exceptions=True))

    first, second = asyncio.run(asyncio.wait_for(scenario(), 5))
    assert isinstance(first, asyncio.CancelledError)
    assert isinstance(second, Client)


def test_a_scoped_instance_is_built_once_when_threads_share_the_scope() -> None:
    """Two threads asking one scope for a scoped binding: one construction, one instance."""
    built: list[object] = []

    class Session:
        def __init__(self) -> None:
            time.sleep(0.05)  # the second thread arrives while the first constructs
            built.append(self)

    c = InjectQ()
    c.bind(Session, scope="request")
    got: list[object] = []
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with c.scope() as scope:
            threads = [
                threading.Thread(target=lambda: got.append(scope.get(Session))) for _ in range(2)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(5)
    finally:
        sys.setswitchinterval(old)
    assert len(got) == 2
    assert got[0] is got[1]
    assert len(built) == 1
