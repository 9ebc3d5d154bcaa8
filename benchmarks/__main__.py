"""Run every library on every scenario and write the results table.

Usage: python -m benchmarks [--quick] [--only LIB,LIB] [--scenarios S,S]
       python -m benchmarks --scale            (the scale checks only)
       python -m benchmarks --instructions     (instruction counts under callgrind)
       python -m benchmarks --limits           (the least CPython allows: benchmarks.limits)
       python -m benchmarks --features [--quick]  (collections, decorators... vs plain)
       python -m benchmarks --versions [--scenarios S,S]  (injectq on CPython 3.11-3.13)
       python -m benchmarks --floor [--quick]  (the cold build against a minimal container)
       python -m benchmarks --opcodes [N]      (the cold build's bytecodes per function)
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

from benchmarks import scale
from benchmarks.libraries import LIBRARIES, SCENARIOS
from benchmarks.report import git_commit, machine_line, write_block

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "singleton": 1.8,
    "tree": 1.3,
    "mixed": 1.5,
    "request": 1.8,
    "chain30": 1.2,
    "async": 1.5,
    "install1000": 25.0,
    "cold1000": 15.0,
}
TITLES = {
    "singleton": "warm singleton `get`",
    "tree": "transient tree A(B(D), C(D, E))",
    "mixed": "singletons + transients",
    "request": "request: enter scope, 2 scoped, exit",
    "chain30": "30-deep transient chain",
    "async": "async resolve of the tree",
    "install1000": "install 1,000 chained bindings + resolve",
    "cold1000": "register + install 1,000 never-seen classes + resolve",
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


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def run_scale() -> str:
    """Run the scale checks, write their figures (JSON and the docs block), return the table."""
    results = scale.run_all()
    machine = f"{machine_line()}; one process per check, each size measured once."
    figures = {"machine": machine, "commit": git_commit(), "checks": results}
    (ROOT / "docs" / "performance_scale.json").write_text(
        json.dumps(figures, indent=1) + "\n", encoding="utf-8"
    )
    text = scale.render(results) + f"\n\n{machine}"
    write_block("scale", text)
    return text


def run_floor(quick: bool) -> str:
    """Time the cold build of injectq and of `benchmarks.floor`; write the docs block."""
    ours = run_one("injectq", "cold1000", quick)
    least = run_one("floor", "cold1000", quick)
    if "ours" not in ours or "ours" not in least:
        return f"n/a: injectq {ours.get('na', 'ok')}; floor {least.get('na', 'ok')}"
    # Nanoseconds per build of 1,000 classes; each ratio against its own process's baseline.
    figures = [
        ("hand-written", float(least["base"]), 1.0),  # type: ignore[arg-type]
        ("minimal validating container", float(least["ours"]), float(least["base"])),  # type: ignore[arg-type]
        ("injectq", float(ours["ours"]), float(ours["base"])),  # type: ignore[arg-type]
    ]
    rows = [
        "| cold build, 1,000 never-seen classes | per class | vs hand-written |",
        "|---|---|---|",
    ]
    for label, ns, base in figures:
        ratio = 1.0 if label == "hand-written" else ns / base
        rows.append(f"| {label} | {ns / 1e6:.2f} us | {ratio:.1f}x |")
    machine = f"{machine_line()}; {'quick run: 3 repeats' if quick else 'best of 7 repeats'}."
    text = "\n".join(rows) + f"\n\n{machine}"
    write_block("floor", text)
    return text


def main() -> None:
    if "--floor" in sys.argv:
        print("\n" + run_floor("--quick" in sys.argv))
        return
    if "--scale" in sys.argv:
        print("\n" + run_scale())
        return
    if "--features" in sys.argv:
        from benchmarks import features

        features.main(sys.argv[sys.argv.index("--features") + 1 :])
        return
    if "--versions" in sys.argv:
        from benchmarks import versions

        versions.main(sys.argv[sys.argv.index("--versions") + 1 :])
        return
    if "--limits" in sys.argv:
        from benchmarks import instructions

        instructions.limits_main(sys.argv[sys.argv.index("--limits") + 1 :])
        return
    if "--opcodes" in sys.argv:
        from benchmarks import opcodes

        opcodes.main(sys.argv[sys.argv.index("--opcodes") + 1 :])
        return
    if "--instructions" in sys.argv:
        from benchmarks import instructions

        instructions.main(sys.argv[sys.argv.index("--instructions") + 1 :])
        return
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
    scale_text = run_scale() if "injectq" in libraries else ""
    if "injectq" in libraries and "cold1000" in scenarios:
        print("\n" + run_floor(quick))
    text = table + (f"\n\n**injectq at scale:**\n\n{scale_text}" if scale_text else "")
    (ROOT / "docs" / "performance_table.md").write_text(text + "\n", encoding="utf-8")
    write_block("bench", table)
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
        f"{machine_line()}"
        f"{'; quick run: 3 repeats' if quick else '; best of 7 repeats'}. "
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
