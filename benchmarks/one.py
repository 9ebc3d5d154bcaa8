"""Time one library on one scenario against the hand-written baseline, in this process.

Prints one JSON line: {"ours": ns, "base": ns} per operation, or {"na": reason}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import timeit
from typing import Any

from benchmarks.libraries import Bench, NotAvailable, build


def time_sync(bench: Bench, repeats: int) -> float:
    timer = timeit.Timer(bench.stmt, bench.setup, globals=bench.ns)
    number, _ = timer.autorange()
    return min(timer.repeat(repeats, number)) / number


def time_async(bench: Bench, repeats: int) -> float:
    ns: dict[str, Any] = dict(bench.ns)
    exec("async def _loop(n):\n    for _ in range(n):\n        await " + bench.stmt + "\n", ns)
    loop = asyncio.new_event_loop()
    import time

    def run(n: int) -> float:
        start = time.perf_counter()
        loop.run_until_complete(ns["_loop"](n))
        return time.perf_counter() - start

    n = 1
    while run(n) < 0.2:
        n *= 2
    return min(run(n) for _ in range(repeats)) / n


def time_cold(bench: Bench, repeats: int) -> float:
    """Best time per build over fresh chains of never-seen classes, defined before timing."""
    import gc
    import time

    from benchmarks.model import make_chain

    build = bench.extra["cold"]
    best = float("inf")
    for _ in range(repeats):
        chains = [make_chain(1000) for _ in range(3)]
        gc.collect()
        gc.disable()  # as timeit does for the other scenarios
        try:
            # CPU time: one build is long enough for other processes to take turns inside it.
            start = time.process_time()
            for chain in chains:
                build(chain)
            best = min(best, (time.process_time() - start) / len(chains))
        finally:
            gc.enable()
    return best


def measure(bench: Bench, repeats: int) -> float:
    if "cold" in bench.extra:
        return time_cold(bench, repeats)
    return time_async(bench, repeats) if bench.is_async else time_sync(bench, repeats)


def main() -> None:
    library, scenario = sys.argv[1], sys.argv[2]
    repeats = 3 if "--quick" in sys.argv else 7
    try:
        bench = build(library, scenario)
    except NotAvailable as exc:
        print(json.dumps({"na": str(exc)}))
        return
    except Exception as exc:
        print(json.dumps({"na": f"failed to build: {type(exc).__name__}: {exc}"}))
        return
    bench.check()  # correct results before any timing
    base = build("hand-written", scenario)
    ours = measure(bench, repeats)
    baseline = measure(base, repeats)
    print(json.dumps({"ours": ours * 1e9, "base": baseline * 1e9}))


if __name__ == "__main__":
    main()
