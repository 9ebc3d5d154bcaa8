"""injectq: dependency injection for Python in the Guice tradition.

Modules record bindings, ``install()`` compiles them into an immutable validated graph, and
the container serves instances and disposes resources.
"""

from injectq._container import Activation, InjectQ, Override, Scope
from injectq._discover import discover
from injectq._inject import inject
from injectq._keys import (
    INJECTED,
    Assisted,
    AsyncFactory,
    AsyncProvider,
    Factory,
    Inject,
    InjectionPoint,
    Named,
    Provider,
)
from injectq._marks import provider, resource, scoped, singleton, transient
from injectq._module import BindingRecord, Module, PrivateModule
from injectq._view import BindingInfo, DependencyInfo, GraphView, PrivateModuleInfo
from injectq.errors import (
    AsyncRequiredError,
    AsyncTeardownError,
    BindingError,
    CircularDependencyError,
    ContainerClosedError,
    FactoryArgumentError,
    InjectQError,
    LifecycleError,
    MissingBindingError,
    NoActiveContainerError,
    PluginLoadError,
    Problem,
    ResolutionError,
    ScopeError,
    UsageError,
)

__all__ = [
    "INJECTED",
    "Activation",
    "Assisted",
    "AsyncFactory",
    "AsyncProvider",
    "AsyncRequiredError",
    "AsyncTeardownError",
    "BindingError",
    "BindingInfo",
    "BindingRecord",
    "CircularDependencyError",
    "ContainerClosedError",
    "DependencyInfo",
    "Factory",
    "FactoryArgumentError",
    "GraphView",
    "Inject",
    "InjectQ",
    "InjectQError",
    "InjectionPoint",
    "LifecycleError",
    "MissingBindingError",
    "Module",
    "Named",
    "NoActiveContainerError",
    "Override",
    "PluginLoadError",
    "PrivateModule",
    "PrivateModuleInfo",
    "Problem",
    "Provider",
    "ResolutionError",
    "Scope",
    "ScopeError",
    "UsageError",
    "discover",
    "inject",
    "provider",
    "resource",
    "scoped",
    "singleton",
    "transient",
]
