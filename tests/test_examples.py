"""Every example script runs to completion as a user would run it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(
    p
    for p in (ROOT / "examples").rglob("*.py")
    if "testing" not in p.relative_to(ROOT / "examples").parts
    and '__name__ == "__main__"' in p.read_text(encoding="utf-8")
)


def test_there_are_examples() -> None:
    """The examples folder holds runnable scripts (the flagship demo among them)."""
    assert ROOT / "examples" / "plugins" / "app.py" in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_example_runs(script: Path) -> None:
    """The script exits 0 and prints something."""
    result = subprocess.run(
        [sys.executable, str(script.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
