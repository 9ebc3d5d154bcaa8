"""Run every library on every scenario and write the results table.

Usage: python -m benchmarks [--quick] [--only LIB,LIB] [--scenarios S,S]
"""

from __future__ import annotations

import gc
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from benchmarks.libraries import LIBRARIES, SCENARIOS

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "singleton": 2.4,
    "tree": 1.3,
    "mixed": 1.5,
    "request": 2.0,
    "chain30": 1.2,
    "async": 1.5,
    "install1000": 25.0,
}
TITLES = {
    "singleton": "warm singleton `get`",
    "tree": "transient tree A(B(D), C(D, E))",
    "mixed": "singletons + transients",
    "request": "request: enter scope, 2 scoped, exit",
    "chain30": "30-deep transient chain",
    "async": "async resolve of the tree",
    "install1000": "install 1,000 chained bindings + resolve",
}
DISTS = {
    "injectq": "injectq",
    "dishka": "dishka",
    "dependency-injector": "dependency-injector",
    "wireup": "wireup",
    "rodi": "rodi",
    "that-depends": "that-depends",
    "injector": "injector",
    "lagom": "lagom",
    "punq": "punq",
}


def run_one(library: str, scenario: str, quick: bool) -> dict[str, object]:
    cmd = [sys.executable, "-m", "benchmarks.one", library, scenario]
    if quick:
        cmd.append("--quick")
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        return {"na": f"error: {last[:80]}"}
    return json.loads(result.stdout.strip().splitlines()[-1])


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown CPU"
    match = re.search(r"model name\s*:\s*(.+)", text)
    return match.group(1).strip() if match else "unknown CPU"


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def injectq_extras() -> list[str]:
    """Memory per scope and per singleton, and the scaling check, for injectq."""
    from benchmarks import model as m
    from injectq import InjectQ, Module

    lines = []

    class Web(Module):
        def configure(self) -> None:
            self.bind(m.RequestState).scoped()

    c = InjectQ(Web())
    n = 10_000
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    scopes = []
    for _ in range(n):
        s = c.scope()
        s.__enter__()
        s.get(m.RequestState)
        scopes.append(s)
    per_scope = (tracemalloc.get_traced_memory()[0] - before) / n
    for s in reversed(scopes):
        s.__exit__(None, None, None)
    del scopes
    tracemalloc.stop()
    lines.append(
        f"- memory per entered scope holding one scoped instance: "
        f"{per_scope:.0f} bytes (10,000 scopes held at once; the instance included)"
    )

    classes = [type(f"S{i}", (), {}) for i in range(n)]
    c2 = InjectQ()

    class Many(Module):
        def configure(self) -> None:
            for cls in classes:
                self.bind(cls).singleton()

    c2.install(Many())
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for cls in classes:
        c2.get(cls)
    per_singleton = (tracemalloc.get_traced_memory()[0] - before) / n
    tracemalloc.stop()
    lines.append(
        f"- memory per created singleton: {per_singleton:.0f} bytes "
        "(10,000 empty singletons, the instances included)"
    )

    import timeit

    def resolve_time(bindings: int) -> float:
        extra = [type(f"X{i}", (), {}) for i in range(bindings)]

        class Big(Module):
            def configure(self) -> None:
                for cls in (m.A, m.B, m.C, m.D, m.E, *extra):
                    self.bind(cls)

        big = InjectQ(Big())
        timer = timeit.Timer("get(A)", globals={"get": big.get, "A": m.A})
        number, _ = timer.autorange()
        return min(timer.repeat(7, number)) / number

    small, large = resolve_time(10), resolve_time(10_000)
    lines.append(
        f"- resolve time of the tree with 10 vs 10,000 bindings installed: "
        f"{small * 1e9:.0f} ns vs {large * 1e9:.0f} ns "
        f"({(large / small - 1) * 100:+.1f}%)"
    )

    for count in (1_000, 5_000, 10_000):
        extra = [type(f"Y{i}", (), {}) for i in range(count)]

        class Install(Module):
            def __init__(self, classes: list[type]) -> None:
                self.classes = classes

            def configure(self) -> None:
                for cls in self.classes:
                    self.bind(cls)

        start = time.perf_counter()
        InjectQ(Install(extra))
        elapsed = time.perf_counter() - start
        lines.append(
            f"- install of {count:,} bindings: {elapsed * 1000:.0f} ms "
            f"({elapsed * 1000 / (count / 1000):.1f} ms per 1,000)"
        )
    return lines


def main() -> None:
    quick = "--quick" in sys.argv
    libraries = LIBRARIES[1:]
    scenarios = SCENARIOS
    for flag in ("--only", "--scenarios"):
        if flag in sys.argv:
            value = sys.argv[sys.argv.index(flag) + 1].split(",")
            if flag == "--only":
                libraries = value
            else:
                scenarios = value
    results: dict[str, dict[str, dict[str, object]]] = {}
    for scenario in scenarios:
        for library in libraries:
            outcome = run_one(library, scenario, quick)
            results.setdefault(scenario, {})[library] = outcome
            shown = (
                f"x{outcome['ours'] / outcome['base']:.2f}"
                if "ours" in outcome  # type: ignore[operator]
                else f"n/a ({outcome['na']})"
            )
            print(f"{scenario:12} {library:20} {shown}", flush=True)
    table = render(results, libraries, scenarios, quick)
    extras = injectq_extras() if "injectq" in libraries else []
    text = table + (
        "\n\n**injectq, memory and scaling:**\n\n" + "\n".join(extras) if extras else ""
    )
    (ROOT / "docs" / "performance_table.md").write_text(text + "\n", encoding="utf-8")
    page = ROOT / "docs" / "performance.md"
    if page.exists():
        content = page.read_text(encoding="utf-8")
        content = re.sub(
            r"(<!-- bench:start -->\n).*?(<!-- bench:end -->)",
            lambda mt: mt.group(1) + text + "\n" + mt.group(2),
            content,
            flags=re.DOTALL,
        )
        page.write_text(content, encoding="utf-8")
    print()
    print(text)


def render(
    results: dict[str, dict[str, dict[str, object]]],
    libraries: list[str],
    scenarios: list[str],
    quick: bool,
) -> str:
    header = "| scenario | target | " + " | ".join(libraries) + " |"
    rule = "|---|---|" + "---|" * len(libraries)
    rows = [header, rule]
    for scenario in scenarios:
        cells = []
        for library in libraries:
            outcome = results[scenario][library]
            if "ours" in outcome:
                ratio = outcome["ours"] / outcome["base"]  # type: ignore[operator]
                cell = f"{ratio:.2f}x"
                if library == "injectq":
                    cell = f"**{cell}**"
            else:
                cell = "n/a"
            cells.append(cell)
        rows.append(f"| {TITLES[scenario]} | <= {TARGETS[scenario]}x | " + " | ".join(cells) + " |")
    machine = (
        f"Measured on {cpu_model()}, {os.cpu_count()} cores, CPython "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}"
        f"{' (quick run: 3 repeats)' if quick else ', best of 7 repeats'}. "
        "Ratios are time per operation divided by the hand-written equivalent's, "
        "measured in the same process; lower is better."
    )
    versions = ", ".join(f"{lib} {version(DISTS[lib])}" for lib in libraries)
    reasons = []
    for scenario in scenarios:
        for library in libraries:
            outcome = results[scenario][library]
            if "na" in outcome:
                reasons.append(f"{library} / {scenario}: {outcome['na']}")
    notes = "\n".join(f"- n/a: {r}" for r in reasons)
    return "\n".join(rows) + f"\n\n{machine}\n\nVersions: {versions}.\n\n{notes}"


if __name__ == "__main__":
    main()
