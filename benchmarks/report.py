"""Where the benchmark runs write their figures: the blocks of docs/performance.md."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "performance.md"


def write_block(marker: str, text: str) -> None:
    """Replace the text between `<!-- MARKER:start -->` and `<!-- MARKER:end -->`."""
    content = PAGE.read_text(encoding="utf-8")
    content = re.sub(
        rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)",
        lambda mt: mt.group(1) + text + "\n" + mt.group(2),
        content,
        flags=re.DOTALL,
    )
    PAGE.write_text(content, encoding="utf-8")


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown CPU"
    match = re.search(r"model name\s*:\s*(.+)", text)
    return match.group(1).strip() if match else "unknown CPU"


def git_commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"


def machine_line() -> str:
    """Where and when the figures were measured, with the load the machine was under.

    Timing ratios on a machine shared with other work drift by tens of percent; the load
    average says how far to trust them (the instruction counts do not depend on it).
    """
    load = os.getloadavg()[1] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"Measured on {cpu_model()}, {os.cpu_count()} cores, CPython "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}, commit {git_commit()}, "
        f"load average {load:.1f} (5 min, at the end of the run)"
    )
