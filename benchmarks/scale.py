"""Scale checks for injectq: how time and memory grow with the size of the work.

Each check runs in its own process (`python -m benchmarks.scale CHECK` prints one JSON line),
so a crash or a `RecursionError` is one failed row, and no cache of one check warms another.
`python -m benchmarks --scale` runs them all, prints the table and writes the figures.

The classes are made fresh in each process from generated source (one class statement and
one constructor per class, with real annotations), so no per-class or per-code-object cache
is warm. Growth factors compare the time at 10x the size with the time at 1x: ~10 is linear.
Times are the process's CPU time (`time.process_time`), which other processes sharing the
machine disturb less than the wall clock.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import subprocess
import sys
import time
import timeit
import tracemalloc
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_counter = [0]


def fresh_classes(
    n: int, parent: Callable[[int], int | None], *, base: type | None = None
) -> list[type]:
    """N never-seen classes; class i takes `dep: <class parent(i)>` (or `base`, or nothing)."""
    _counter[0] += 1
    module_name = f"benchmarks._fresh{_counter[0]}"
    module = types.ModuleType(module_name)
    namespace = module.__dict__
    namespace["Base"] = base
    source = []
    for i in range(n):
        p = parent(i)
        dep = f"X{p}" if p is not None else ("Base" if base is not None else None)
        if dep is None:
            source.append(f"class X{i}:\n    pass\n")
        else:
            source.append(
                f"class X{i}:\n"
                f"    def __init__(self, dep: {dep}) -> None:\n"
                "        self.dep = dep\n"
            )
    sys.modules[module_name] = module
    for start in range(0, n, 500):  # compiling one huge module is much slower than chunks
        code = compile("".join(source[start : start + 500]), f"<{module_name}>", "exec")
        exec(code, namespace)
    return [namespace[f"X{i}"] for i in range(n)]


def tree_parent(i: int) -> int | None:
    """A binary tree: each class depends on its parent, so depth stays ~log2(n)."""
    return (i - 1) // 2 if i else None


def chain_parent(i: int) -> int | None:
    return i - 1 if i else None


def no_parent(i: int) -> int | None:
    return None


def module_of(classes: list[type], scope: str | None = None) -> Any:
    from injectq import Module

    class Bulk(Module):
        def configure(self) -> None:
            for cls in classes:
                builder = self.bind(cls)
                if scope == "singleton":
                    builder.singleton()
                elif scope is not None:
                    builder.scoped(scope)

    return Bulk()


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.process_time()
    fn()
    return time.process_time() - start


# -- the checks; each returns {"points": [[size, value], ...], ...} -------------------------


def check_install() -> dict[str, Any]:
    from injectq import InjectQ

    points = []
    for n in (1_000, 10_000, 100_000):
        classes = fresh_classes(n, tree_parent)
        module = module_of(classes)
        points.append([n, timed(lambda module=module: InjectQ(module))])
    return {"points": points, "unit": "s"}


def check_bind() -> dict[str, Any]:
    """1,000 `container.bind()` calls, each a new class depending on an earlier one."""
    from injectq import InjectQ

    classes = fresh_classes(1_000, tree_parent)
    c = InjectQ()
    stamps = [0.0]
    gc.collect()
    start = time.process_time()
    for cls in classes:
        c.bind(cls)
        stamps.append(time.process_time() - start)
    # The cost of the 200 calls after the first 200, against the 200 after the first 800.
    early, late = stamps[400] - stamps[200], stamps[1000] - stamps[800]
    return {
        "points": [[200, stamps[200]], [800, stamps[800]], [1000, stamps[1000]]],
        "unit": "s",
        "note": f"calls 801-1000 cost {late / early:.2f}x calls 201-400 (flat: ~1)",
    }


def check_jit() -> dict[str, Any]:
    """First `get()` of never-seen, unbound classes, each needing a bound singleton."""
    from injectq import InjectQ

    points = []
    for n in (1_000, 10_000):
        config = fresh_classes(1, no_parent)[0]
        c = InjectQ()
        c.bind(config, scope="singleton")
        classes = fresh_classes(n, no_parent, base=config)

        def resolve(c: Any = c, classes: list[type] = classes) -> None:
            for cls in classes:
                c.get(cls)

        points.append([n, timed(resolve)])
    return {"points": points, "unit": "s"}


def check_overrides() -> dict[str, Any]:
    """10,000 sequential `override()`s of a singleton's dependency: memory must stay flat."""
    from injectq import InjectQ

    (db,) = fresh_classes(1, no_parent)
    fake = type("FakeDb", (db,), {})
    (service,) = fresh_classes(1, no_parent, base=db)
    c = InjectQ()
    c.bind(db, scope="singleton")
    c.bind(service, scope="singleton")
    c.get(service)

    def run(count: int) -> None:
        for _ in range(count):
            with c.override(db, fake()):
                c.get(service)

    run(100)  # warm: whatever is built once is not growth
    gc.collect()
    tracemalloc.start()
    marks = []
    start = time.process_time()
    times = []
    for size in (1_000, 9_000):
        run(size)
        times.append(time.process_time() - start)
        gc.collect()
        marks.append(tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()
    per = (marks[1] - marks[0]) / 9_000
    return {
        "points": [[1_000, times[0]], [10_000, times[1]]],
        "unit": "s",
        "bytes_per_override": per,
        "note": f"{per:+.1f} bytes retained per override from the 1,001st on (flat: ~0)",
    }


def _chain(kind: str, via: str, n: int) -> float:
    from injectq import InjectQ

    classes = fresh_classes(n, chain_parent)
    c = InjectQ(module_of(classes, "singleton" if kind == "singleton" else "request"))
    top = classes[-1]

    def depth(obj: object) -> int:
        d = 1
        while hasattr(obj, "dep"):
            obj = obj.dep
            d += 1
        return d

    gc.collect()
    start = time.process_time()
    if kind == "singleton" and via == "get":
        obj = c.get(top)
    elif kind == "singleton":
        obj = asyncio.run(c.aget(top))
    elif via == "get":
        with c.scope() as s:
            obj = s.get(top)
    else:

        async def scoped() -> object:
            async with c.scope() as s:
                return await s.aget(top)

        obj = asyncio.run(scoped())
    elapsed = time.process_time() - start
    assert depth(obj) == n, depth(obj)
    return elapsed


def chain_check(kind: str, via: str) -> Callable[[], dict[str, Any]]:
    def check() -> dict[str, Any]:
        points: list[list[Any]] = []
        for n in (1_000, 10_000):
            try:
                points.append([n, _chain(kind, via, n)])
            except RecursionError as exc:  # a failed row, not a crash
                points.append([n, f"RecursionError: {exc}"])
        return {"points": points, "unit": "s"}

    return check


def check_resolve_size() -> dict[str, Any]:
    """`get` of a created singleton and of a transient, with 10 vs 10,000 bindings."""
    from injectq import InjectQ

    def measure(bindings: int) -> tuple[float, float]:
        settings, leaf = fresh_classes(2, no_parent)
        extra = fresh_classes(bindings - 2, tree_parent)
        c = InjectQ(module_of(extra))
        c.bind(settings, scope="singleton")
        c.bind(leaf)
        c.get(settings)
        c.get(leaf)
        out = []
        for key in (settings, leaf):
            timer = timeit.Timer("get(K)", globals={"get": c.get, "K": key})
            number, _ = timer.autorange()
            out.append(min(timer.repeat(7, number)) / number)
        return out[0], out[1]

    small, large = measure(10), measure(10_000)
    return {
        "singleton_ns": [small[0] * 1e9, large[0] * 1e9],
        "transient_ns": [small[1] * 1e9, large[1] * 1e9],
        "unit": "ns",
    }


def check_memory() -> dict[str, Any]:
    """Bytes per created singleton and per entered scope holding one scoped instance.

    The singleton figure is given beside what hand-written code holding the same instances
    in a dict costs: the instance itself, and its class's first-instance cost (CPython's
    shared attribute keys), which no container can avoid.
    """
    from injectq import InjectQ

    n = 10_000
    own = fresh_classes(n, no_parent)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    by_hand = {cls: cls() for cls in own}
    gc.collect()
    per_instance = (tracemalloc.get_traced_memory()[0] - before) / n
    tracemalloc.stop()
    del by_hand, own

    classes = fresh_classes(n, no_parent)
    c = InjectQ(module_of(classes, "singleton"))
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for cls in classes:
        c.get(cls)
    gc.collect()
    per_singleton = (tracemalloc.get_traced_memory()[0] - before) / n
    tracemalloc.stop()

    (state,) = fresh_classes(1, no_parent)
    web = InjectQ(module_of([state], "request"))
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    scopes = []
    for _ in range(n):
        s = web.scope()
        s.__enter__()
        s.get(state)
        scopes.append(s)
    per_scope = (tracemalloc.get_traced_memory()[0] - before) / n
    tracemalloc.stop()
    for s in reversed(scopes):
        s.__exit__(None, None, None)
    return {
        "singleton_bytes": per_singleton,
        "hand_written_bytes": per_instance,
        "overhead_bytes": per_singleton - per_instance,
        "scope_bytes": per_scope,
        "unit": "bytes",
    }


CHECKS: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "install": ("install N bindings (a binary tree of fresh classes)", check_install),
    "bind": ("N incremental `container.bind()` calls", check_bind),
    "jit": ("first `get()` of N never-seen unbound classes", check_jit),
    "overrides": ("N sequential `override()`s", check_overrides),
    "chain-singleton-get": ("chain of N singletons, `get()`", chain_check("singleton", "get")),
    "chain-singleton-aget": ("chain of N singletons, `aget()`", chain_check("singleton", "aget")),
    "chain-scoped-get": ("chain of N request-scoped, `get()`", chain_check("scoped", "get")),
    "chain-scoped-aget": ("chain of N request-scoped, `aget()`", chain_check("scoped", "aget")),
    "resolve-size": ("`get` with 10 vs 10,000 bindings installed", check_resolve_size),
    "memory": ("memory per singleton / per scope", check_memory),
}


# -- running and reporting ----------------------------------------------------------------


def run_check(name: str, pythonpath: str | None = None, timeout: float = 600) -> dict[str, Any]:
    """Run one check in a fresh process; a failure or a timeout becomes an `error` row."""
    import os

    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, "-m", "benchmarks.scale", name]
    try:
        result = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        err = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
        return {"error": err[-1][:120]}
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def growth_cells(points: list[list[Any]]) -> tuple[str, str, str]:
    """Sizes, times, and the growth factor of each step against the linear one.

    A point whose value is a string failed (its error): it shows as failed, with no growth.
    """
    sizes = " / ".join(f"{int(n):,}" for n, _ in points)
    times = " / ".join(
        f"**failed** ({t.split(':')[0]})" if isinstance(t, str) else _seconds(t) for _, t in points
    )
    steps = []
    for (n0, t0), (n1, t1) in itertools.pairwise(points):
        if isinstance(t0, str) or isinstance(t1, str) or t0 <= 0:
            steps.append("n/a")
        else:
            steps.append(f"{t1 / t0:.1f}x (linear {n1 / n0:.3g}x)")
    return sizes, times, "; ".join(steps)


def _seconds(t: float) -> str:
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def render(results: dict[str, dict[str, Any]]) -> str:
    """The Markdown table of every check."""
    rows = ["| check | N | time | growth |", "|---|---|---|---|"]
    for name, (title, _) in CHECKS.items():
        outcome = results.get(name)
        if outcome is None:
            continue
        if "error" in outcome:
            rows.append(f"| {title} | | **failed**: {outcome['error']} | |")
            continue
        if "points" in outcome:
            sizes, times, growth = growth_cells(outcome["points"])
            if "note" in outcome:
                growth += f"; {outcome['note']}"
            rows.append(f"| {title} | {sizes} | {times} | {growth} |")
        elif name == "resolve-size":
            cells = []
            for label in ("singleton", "transient"):
                small, large = outcome[f"{label}_ns"]
                cells.append(
                    f"{label} {small:.0f} ns vs {large:.0f} ns ({(large / small - 1) * 100:+.1f}%)"
                )
            rows.append(f"| {title} | 10 / 10,000 | {'; '.join(cells)} | |")
        elif name == "memory":
            hand = outcome.get("hand_written_bytes")
            over = (
                f" ({outcome['overhead_bytes']:.0f} over hand-written {hand:.0f})" if hand else ""
            )
            rows.append(
                f"| {title} | 10,000 | {outcome['singleton_bytes']:.0f} bytes per "
                f"singleton{over}; {outcome['scope_bytes']:.0f} bytes per scope | |"
            )
    return "\n".join(rows)


def run_all(names: list[str] | None = None, pythonpath: str | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in names or list(CHECKS):
        results[name] = run_check(name, pythonpath)
        print(f"scale {name:22} {json.dumps(results[name])[:150]}", flush=True)
    return results


def main() -> None:
    name = sys.argv[1]
    print(json.dumps(CHECKS[name][1]()))


if __name__ == "__main__":
    main()
