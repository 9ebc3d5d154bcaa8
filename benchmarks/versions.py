"""injectq's timing ratios on each CPython from 3.11 to 3.13 that this machine has.

Each scenario runs in one process per interpreter (`benchmarks.one`: injectq and the
hand-written baseline in the same process, best of 7); the ratio is what compares across
versions. An interpreter is the virtual environment `.venv-3.X` that `make test-matrix`
makes (it has injectq's runtime dependencies); a version without one is skipped, and so
is every version when none exists.

Usage: python -m benchmarks --versions [--scenarios S,S]
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

from benchmarks.libraries import SCENARIOS
from benchmarks.report import machine_line, write_block

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ("3.11", "3.12", "3.13")


def interpreters() -> dict[str, str]:
    """The Python of each version's `.venv-3.X`, by version (this one stands for its own)."""
    found: dict[str, str] = {}
    for version in VERSIONS:
        python = ROOT / f".venv-{version}" / "bin" / "python"
        if python.exists():
            found[version] = str(python)
    own = f"{sys.version_info.major}.{sys.version_info.minor}"
    found.setdefault(own, sys.executable)
    return dict(sorted(found.items()))


def ratio(python: str, scenario: str) -> str:
    cmd = [python, "-m", "benchmarks.one", "injectq", scenario]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        return "failed"
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    if "ours" not in outcome:
        return "n/a"
    return f"{outcome['ours'] / outcome['base']:.2f}x"


def main(argv: list[str]) -> None:
    """Time every scenario on every interpreter, print the table, write the docs block."""
    scenarios = list(SCENARIOS)
    if "--scenarios" in argv:
        scenarios = argv[argv.index("--scenarios") + 1].split(",")
    found = interpreters()
    table: dict[str, dict[str, str]] = {}
    for version, python in found.items():
        for scenario in scenarios:
            table.setdefault(scenario, {})[version] = ratio(python, scenario)
            print(f"{version} {scenario:12} {table[scenario][version]}", flush=True)
    rows = [
        "| scenario | " + " | ".join(f"CPython {v}" for v in found) + " |",
        "|---|" + "---|" * len(found),
    ]
    rows += [
        f"| {scenario} | " + " | ".join(table[scenario][v] for v in found) + " |"
        for scenario in scenarios
    ]
    missing = [v for v in VERSIONS if v not in found]
    skipped = f" Not on this machine: {', '.join(missing)}." if missing else ""
    where = machine_line().replace(f"CPython {platform.python_version()}, ", "")
    text = "\n".join(rows) + (
        f"\n\n{where}; each cell injectq's time over the hand-written code's, "
        f"measured in the same process, best of 7.{skipped}"
    )
    write_block("versions", text)
    print()
    print(text)
