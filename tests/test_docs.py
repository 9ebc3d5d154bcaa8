"""Every ```python block of README.md and docs/ runs, page by page, in one namespace."""

import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
FRAGMENT = "<!-- fragment -->"


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The runnable blocks of a page with their line numbers; fragments are skipped."""
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        if before and before[-1].strip() == FRAGMENT:
            continue
        line = text.count("\n", 0, match.start()) + 2
        blocks.append((line, match.group(1)))
    return blocks


def test_fragment_marker_skips_a_block() -> None:
    """A block preceded by the fragment marker is not run; others are, with line numbers."""
    text = "intro\n```python\na = 1\n```\n<!-- fragment -->\n```python\nb = 2\n```\n"
    assert python_blocks(text) == [(3, "a = 1\n")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples_run(page: Path) -> None:
    """The page's Python examples run as written, in order."""
    blocks = python_blocks(page.read_text(encoding="utf-8"))
    name = "docs_" + re.sub(r"\W", "_", str(page.relative_to(ROOT)))
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        for line, code in blocks:
            exec(compile(code, f"{page.relative_to(ROOT)}:{line}", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
