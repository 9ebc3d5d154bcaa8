"""The pytest plugin, exercised by real pytest runs of small test files."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

CONFTEST = """
from injectq import InjectQ, Module, resource
from injectq.testing import container_fixture

events = []


@resource
class Connection:
    def dispose(self) -> None:
        events.append("disposed")


class Counter:
    def __init__(self) -> None:
        self.value = 0


class Greeter:
    def greet(self) -> str:
        return "real"


class AppModule(Module):
    def configure(self) -> None:
        self.bind(Counter).singleton()
        self.bind(Connection).singleton()
        self.bind(Greeter)


injectq_container = container_fixture(lambda: InjectQ(AppModule()))
"""


def run(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest(
        "-p",
        "asyncio",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        "-q",
    )


def test_each_test_gets_its_own_container(pytester: pytest.Pytester) -> None:
    """State in one test's container does not leak into the next test's."""
    result = run(
        pytester,
        """
from conftest import Counter


def test_first(injectq_container):
    injectq_container.get(Counter).value += 1
    assert injectq_container.get(Counter).value == 1


def test_second(injectq_container):
    assert injectq_container.get(Counter).value == 0
""",
    )
    result.assert_outcomes(passed=2)


def test_container_is_closed_after_the_test(pytester: pytest.Pytester) -> None:
    """Singleton resources are disposed when the test ends."""
    result = run(
        pytester,
        """
import conftest
from conftest import Connection


def test_uses_connection(injectq_container):
    injectq_container.get(Connection)
    assert conftest.events == []


def test_after(injectq_container):
    assert conftest.events == ["disposed"]
""",
    )
    result.assert_outcomes(passed=2)


def test_override_fixture_is_undone_after_the_test(pytester: pytest.Pytester) -> None:
    """injectq_override replaces a binding for one test only."""
    result = run(
        pytester,
        """
from conftest import Greeter


class Fake(Greeter):
    def greet(self):
        return "fake"


def test_overridden(injectq_override, injectq_container):
    injectq_override(Greeter, Fake)
    assert injectq_container.get(Greeter).greet() == "fake"


def test_not_overridden(injectq_container):
    assert injectq_container.get(Greeter).greet() == "real"
""",
    )
    result.assert_outcomes(passed=2)


def test_inject_and_async_tests_use_the_test_container(pytester: pytest.Pytester) -> None:
    """@inject resolves from the test's container; async tests get it too."""
    result = run(
        pytester,
        """
from injectq import InjectQ, inject
from conftest import Counter


@inject
def read(counter: Counter) -> int:
    return counter.value


def test_sync(injectq_container):
    injectq_container.get(Counter).value = 5
    assert read() == 5
    assert InjectQ.current() is injectq_container


async def test_async(injectq_container):
    counter = await injectq_container.aget(Counter)
    assert counter.value == 0
    assert read() == 0
""",
    )
    result.assert_outcomes(passed=2)


def test_the_testing_example_passes() -> None:
    """examples/testing runs green under a real pytest process."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "examples/testing", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
