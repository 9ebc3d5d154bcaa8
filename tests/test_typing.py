"""mypy sees the public API with the types users expect."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = """
import abc
from injectq import Assisted, Factory, InjectQ, Provider

class Service: ...

class Repository(abc.ABC):
    @abc.abstractmethod
    def find(self) -> str: ...

from typing import Generic, TypeVar
T = TypeVar("T")
class Cache(Generic[T]): ...
class User: ...

container = InjectQ()
reveal_type(container.get(Service))
reveal_type(container.get(Repository))
reveal_type(container.get(Cache[User]))
reveal_type(container.get_all(Service))
async def f() -> None:
    reveal_type(await container.aget(Service))
def g(p: Provider[Service]) -> None:
    reveal_type(p())
class Report:
    def __init__(self, title: Assisted[str]) -> None: ...
def h(make: Factory[Report]) -> None:
    reveal_type(make("title"))
"""


def test_revealed_types(tmp_path: Path) -> None:
    """get/aget/get_all/Provider/Factory reveal the bound type (abstract keys included)."""
    case = tmp_path / "cases.py"
    case.write_text(textwrap.dedent(CASES), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(case)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    revealed = [
        line.split("Revealed type is ")[1].strip('"')
        for line in result.stdout.splitlines()
        if "Revealed type is" in line
    ]
    assert revealed == [
        "cases.Service",
        "cases.Repository",
        "cases.Cache[cases.User]",
        "dict[str, cases.Service]",
        "cases.Service",
        "cases.Service",
        "cases.Report",
    ], result.stdout
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert errors == [], result.stdout


def test_pyright_is_clean() -> None:
    """pyright, as configured in pyproject.toml, finds nothing (typing_tests' rejections included).

    `make test` runs pyright too; this test is here so a plain pytest run sees a change that
    breaks what pyright infers, or a pinned rejection that stopped happening.
    """
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout, result.stdout
