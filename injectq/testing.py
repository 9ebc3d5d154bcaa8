"""pytest support: a fresh container per test in one line, and overrides undone after it.

The plugin is registered through the ``pytest11`` entry point, so installing injectq makes
its fixtures available. In a ``conftest.py``::

    from injectq.testing import container_fixture

    injectq_container = container_fixture(lambda: InjectQ(AppModule()), overrides=[FakesModule()])

Every test that asks for ``injectq_container`` gets a new container, made current (so
`@inject` functions resolve from it) and closed after the test. The built-in
``injectq_override`` fixture replaces one binding (or a module's) for the rest of the test.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from injectq import AsyncTeardownError, InjectQ, Module, UsageError

__all__ = ["OverrideFn", "close_container", "container_fixture", "injectq_override"]

OverrideFn = Callable[..., InjectQ]
"""``override(key, replacement, *, name=None)`` or ``override(module)``."""

CONTAINER_FIXTURE = "injectq_container"


def close_container(container: InjectQ) -> None:
    """Close ``container``, awaiting async teardowns in a fresh event loop if it needs to.

    Raises:
        BaseExceptionGroup: The teardowns that failed, as `InjectQ.close` raises them.
    """
    try:
        container.close()
    except AsyncTeardownError:  # nothing was disposed: do it all with awaits
        asyncio.run(container.aclose())


def container_fixture(
    factory: Callable[[], InjectQ],
    *,
    overrides: Iterable[Module] = (),
    name: str = CONTAINER_FIXTURE,
    activate: bool = True,
) -> Any:
    """Make a pytest fixture that gives each test its own container.

    Assign the result to a name in a ``conftest.py`` (or a test module); the fixture is
    registered under ``name``.

    Args:
        factory: Builds the application's container, e.g. ``lambda: InjectQ(AppModule())``.
        overrides: Modules whose bindings replace the application's in every test
            (``install(overrides=...)``, Guice's ``Modules.override``).
        name: The fixture's name; ``injectq_override`` works with the default one.
        activate: Make the container current for the test, so `@inject` functions and
            `InjectQ.current` use it.

    Returns:
        The fixture function.
    """
    modules = tuple(overrides)
    if not callable(factory):
        msg = (
            f"container_fixture() takes a function that builds the container, got "
            f"{type(factory).__name__} {factory!r}. Hint: container_fixture(lambda: "
            "InjectQ(AppModule()))."
        )
        raise UsageError(msg)

    @pytest.fixture(name=name)
    def _container() -> Iterator[InjectQ]:
        container = factory()
        if not isinstance(container, InjectQ):
            msg = (
                f"The factory given to container_fixture() returned "
                f"{type(container).__name__} {container!r}, not an InjectQ container."
            )
            raise UsageError(msg)
        if modules:
            container.install(overrides=modules)
        with contextlib.ExitStack() as stack:
            if activate:
                stack.enter_context(container.activate())
            yield container
        close_container(container)

    return _container


@pytest.fixture
def injectq_override(request: pytest.FixtureRequest) -> Iterator[OverrideFn]:
    """Replace bindings of the test's ``injectq_container`` until the test ends.

    Call it as ``injectq_override(Database, FakeDatabase())`` or
    ``injectq_override(FakesModule())``; it returns the container. Overrides are undone in
    reverse order after the test, and what was built for them is disposed.
    """
    stack = contextlib.ExitStack()

    def override(key: Any, replacement: Any = _NOTHING, *, name: str | None = None) -> InjectQ:
        container = request.getfixturevalue(CONTAINER_FIXTURE)
        if not isinstance(container, InjectQ):  # pragma: no cover - the fixture checks it
            msg = f"The {CONTAINER_FIXTURE} fixture did not return an InjectQ container."
            raise UsageError(msg)
        if replacement is _NOTHING:
            stack.enter_context(container.override(key))
        else:
            stack.enter_context(container.override(key, replacement, name=name))
        return container

    with stack:
        yield override


_NOTHING: Any = object()
