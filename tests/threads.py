"""Threads for the concurrency tests: started together, joined with a timeout, none left."""

import threading
from collections.abc import Sequence


def run_all(threads: Sequence[threading.Thread], *, timeout: float = 10.0) -> None:
    """Start ``threads``, then join each within ``timeout`` seconds; one still alive fails."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
