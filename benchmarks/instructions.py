"""Instructions per operation, counted by valgrind's callgrind: figures without timing noise.

For each scenario and for injectq and the hand-written baseline, the scenario's statement
runs N times in one process under callgrind, then 2N times in another; the difference of the
two totals divided by N is the cost of one warm operation, with start-up, imports, set-up and
the first (specialising) runs cancelled out. Hash randomisation is fixed so runs repeat.

Usage: python -m benchmarks --instructions [--scenarios S,S] [--python PATH]
       python -m benchmarks --limits [--python PATH]   (the shapes of `benchmarks.limits`)
Without valgrind on the PATH it says so and exits 0 (install: apt-get install valgrind).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.report import git_commit, write_block

ROOT = Path(__file__).resolve().parent.parent
# Scenario -> (N, label); 2N is run too.
SCENARIOS: dict[str, tuple[int, str]] = {
    "singleton": (20_000, "warm singleton `get`"),
    "mixed": (10_000, "singletons + transients"),
    "request": (5_000, "request: enter scope, 2 scoped, exit"),
    "cold": (2, "register + install 1,000 never-seen classes + resolve"),
}
LIBRARIES = ("injectq", "hand-written")
SHAPE = "shape:"  # a library name "shape:NAME" runs that shape of `benchmarks.limits`


def cold_ops(library: str, n: int) -> None:
    """Install and resolve n chains of 1,000 classes that no code has seen yet.

    Both counts (N and 2N ops) define the same 2N chains first, so defining the classes
    cancels out: what remains is registering, installing and resolving (for the baseline,
    constructing the chain by hand).
    """
    from benchmarks.libraries import injectq_chain
    from benchmarks.model import by_hand, chain_depth, make_chain

    chains = [make_chain(1000) for _ in range(2 * SCENARIOS["cold"][0])]
    if library == "hand-written":
        for chain in chains[:n]:
            assert chain_depth(by_hand(chain)) == 1000
        return
    for chain in chains[:n]:
        assert chain_depth(injectq_chain(chain)) == 1000


def run_ops(library: str, scenario: str, n: int) -> None:
    """Build the scenario, check it, then run its statement n times (inside callgrind)."""
    import asyncio
    import timeit

    from benchmarks.libraries import build

    if scenario == "cold":
        cold_ops(library, n)
        return
    if library.startswith(SHAPE):
        from benchmarks import limits

        bench = limits.build(library.removeprefix(SHAPE), scenario)
    else:
        bench = build(library, scenario)
    bench.check()
    if bench.is_async:
        ns: dict[str, Any] = dict(bench.ns)
        exec("async def _loop(n):\n    for _ in range(n):\n        await " + bench.stmt + "\n", ns)
        asyncio.run(ns["_loop"](n))
    else:
        timeit.Timer(bench.stmt, bench.setup, globals=bench.ns).timeit(n)


def total_instructions(python: str, library: str, scenario: str, n: int) -> int:
    """Instructions executed by one whole process that runs the scenario n times."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            python,
            "-m",
            "benchmarks.instructions",
            "--run",
            library,
            scenario,
            str(n),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        result = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["?"])[-1]
            msg = f"{library}/{scenario} x{n} failed under callgrind: {last}"
            raise RuntimeError(msg)
        text = out.read_text(encoding="utf-8")
    match = re.search(r"^(?:summary|totals):\s*(\d+)", text, flags=re.MULTILINE)
    if match is None:
        msg = f"no instruction total in the callgrind output of {library}/{scenario}"
        raise RuntimeError(msg)
    return int(match.group(1))


def per_op(python: str, library: str, scenario: str, n: int | None = None) -> float:
    n = n or SCENARIOS[scenario][0]
    once = total_instructions(python, library, scenario, n)
    twice = total_instructions(python, library, scenario, 2 * n)
    return (twice - once) / n


def render(results: dict[str, dict[str, Any]], python_version: str) -> str:
    rows = [
        "| scenario | injectq | hand-written | ratio |",
        "|---|---|---|---|",
    ]
    for scenario, outcome in results.items():
        label = SCENARIOS[scenario][1]
        if "error" in outcome:
            rows.append(f"| {label} | **failed**: {outcome['error']} | | |")
            continue
        ours, base = outcome["injectq"], outcome["hand-written"]
        rows.append(f"| {label} | {ours:,.0f} | {base:,.0f} | {ours / base:.2f}x |")
    note = (
        f"Instructions per operation (valgrind callgrind, CPython {python_version}, "
        f"{time.strftime('%Y-%m-%d')}, commit {git_commit()}): "
        "(count for 2N ops - count for N ops) / N, "
        "one process per count; lower is better."
    )
    return "\n".join(rows) + f"\n\n{note}"


def _python(argv: list[str]) -> str | None:
    """The interpreter to count (``--python``), or None when valgrind is missing."""
    if shutil.which("valgrind") is None:
        print(
            "valgrind not found: instruction counts skipped "
            "(install it, e.g. apt-get install valgrind, and run again)"
        )
        return None
    return argv[argv.index("--python") + 1] if "--python" in argv else sys.executable


def _version(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def limits_main(argv: list[str]) -> None:
    """Count each shape of `benchmarks.limits` beside injectq and the baseline; write them."""
    from benchmarks import limits

    python = _python(argv)
    if python is None:
        return
    n = SCENARIOS["singleton"][0]

    def count(shape: str, scenario: str) -> float:
        # The transient scenario is this ladder's own (`limits.build`), for every shape.
        own = shape in LIBRARIES and scenario != "transient"
        library = shape if own else SHAPE + shape
        figure = per_op(python, library, scenario, n if scenario == "transient" else None)
        print(f"limits {scenario:10} {shape:12} {figure:,.0f}", flush=True)
        return figure

    figures: dict[str, dict[str, Any]] = {"singleton": {}, "transient": {}, "request": {}}
    base = {s: count("hand-written", s) for s in figures}
    rows = [
        "| shape | what `get` is | singleton `get` | ratio | transient `get` | ratio |",
        "|---|---|---|---|---|---|",
    ]
    ladder = {**limits.SINGLETON_SHAPES, "injectq": "injectq's `container.get`"}
    for shape, what in ladder.items():
        hit = figures["singleton"][shape] = count(shape, "singleton")
        cells = f"| {shape} | {what} | {hit:,.0f} | {hit / base['singleton']:.2f}x |"
        if shape == "injectq" or limits.serves_transients(shape):
            made = figures["transient"][shape] = count(shape, "transient")
            cells += f" {made:,.0f} | {made / base['transient']:.2f}x |"
        else:
            cells += " n/a | |"
        rows.append(cells)
    rows += [
        f"| hand-written | `return SETTINGS`; `RequestState()` | {base['singleton']:,.0f} | "
        f"1.00x | {base['transient']:,.0f} | 1.00x |",
        "",
        "| shape | the request | instructions | ratio |",
        "|---|---|---|---|",
    ]
    for shape, what in {**limits.REQUEST_SHAPES, "injectq": "injectq's scope"}.items():
        made = figures["request"][shape] = count(shape, "request")
        rows.append(f"| {shape} | {what} | {made:,.0f} | {made / base['request']:.2f}x |")
    rows.append(f"| hand-written | a dict as the cache | {base['request']:,.0f} | 1.00x |")
    for scenario, figure in base.items():
        figures[scenario]["hand-written"] = figure
    version = _version(python)
    note = (
        f"Instructions per operation (valgrind callgrind, CPython {version}, "
        f"{time.strftime('%Y-%m-%d')}, commit {git_commit()}), counted as above."
    )
    text = "\n".join(rows) + f"\n\n{note}"
    (ROOT / "docs" / "performance_limits.json").write_text(
        json.dumps({"python": version, "scenarios": figures}, indent=1) + "\n",
        encoding="utf-8",
    )
    write_block("limits", text)
    print()
    print(text)


def main(argv: list[str]) -> None:
    """Count, print the table, and write the figures (JSON and the docs block)."""
    python = _python(argv)
    if python is None:
        return
    scenarios = list(SCENARIOS)
    if "--scenarios" in argv:
        scenarios = argv[argv.index("--scenarios") + 1].split(",")
    version = _version(python)
    results: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        try:
            results[scenario] = {lib: per_op(python, lib, scenario) for lib in LIBRARIES}
        except RuntimeError as exc:
            results[scenario] = {"error": str(exc)[:160]}
        print(f"instructions {scenario:12} {json.dumps(results[scenario])}", flush=True)
    text = render(results, version)
    figures = {"python": version, "machine": platform.machine(), "scenarios": results}
    (ROOT / "docs" / "performance_instructions.json").write_text(
        json.dumps(figures, indent=1) + "\n", encoding="utf-8"
    )
    write_block("instructions", text)
    print()
    print(text)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        run_ops(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main(sys.argv[1:])
