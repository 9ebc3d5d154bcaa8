"""injectq: dependency injection for Python in the Guice tradition.

Modules record bindings, ``install()`` compiles them into an immutable validated graph, and
the container serves instances and disposes resources.
"""

from injectq._container import InjectQ, Scope
from injectq._inject import inject
from injectq._keys import Inject, Named, Provider
from injectq._module import (
    BindingRecord,
    Module,
    provider,
    resource,
    scoped,
    singleton,
    transient,
)
from injectq.errors import (
    AsyncRequiredError,
    BindingError,
    CircularDependencyError,
    ContainerClosedError,
    InjectQError,
    MissingBindingError,
    Problem,
    ResolutionError,
    ScopeError,
    UsageError,
)

__all__ = [
    "AsyncRequiredError",
    "BindingError",
    "BindingRecord",
    "CircularDependencyError",
    "ContainerClosedError",
    "Inject",
    "InjectQ",
    "InjectQError",
    "MissingBindingError",
    "Module",
    "Named",
    "Problem",
    "Provider",
    "ResolutionError",
    "Scope",
    "ScopeError",
    "UsageError",
    "inject",
    "provider",
    "resource",
    "scoped",
    "singleton",
    "transient",
]
