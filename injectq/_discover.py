"""Find plugin modules that installed distributions declare as entry points."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from typing import Any

from injectq._marks import describe_value
from injectq._module import Module
from injectq.errors import PluginLoadError, UsageError

__all__ = ["DEFAULT_GROUP", "discover"]

DEFAULT_GROUP = "injectq.modules"


def discover(group: str = DEFAULT_GROUP, *, names: Iterable[str] | None = None) -> list[Module]:
    """Load the plugin modules that installed distributions declare in an entry-point group.

    A plugin author declares, in the plugin's ``pyproject.toml``::

        [project.entry-points."injectq.modules"]
        email = "acme_email.wiring:EmailModule"

    and the application installs whatever is present::

        container.install(CoreModule(), *discover())

    An entry point may name a `Module` subclass (instantiated with no arguments), a `Module`
    instance, or a function returning one. Modules come back sorted by distribution name,
    then entry-point name, so the install order does not depend on the order packages were
    installed in.

    Args:
        group: The entry-point group to read.
        names: Only these entry-point names (all of them when None). A name that no
            installed distribution declares is an error.

    Returns:
        The plugin modules, ready to install.

    Raises:
        PluginLoadError: A plugin failed to import, or did not produce a Module; the message
            names the entry point and its distribution.
        UsageError: ``group`` is not a non-empty string, or ``names`` not a collection of
            strings.
    """
    if not isinstance(group, str) or not group:
        msg = (
            f"discover() takes an entry-point group name, got {describe_value(group)}. "
            f"Hint: call discover() for {DEFAULT_GROUP!r}, or discover('myapp.plugins')."
        )
        raise UsageError(msg)
    wanted = None if names is None else _wanted(names)
    found = [
        ep
        for ep in importlib.metadata.entry_points(group=group)
        if wanted is None or ep.name in wanted
    ]
    if wanted is not None:
        missing = wanted - {ep.name for ep in found}
        if missing:
            available = sorted(ep.name for ep in importlib.metadata.entry_points(group=group))
            msg = (
                f"No installed distribution declares the plugin(s) "
                f"{', '.join(sorted(missing))} in the entry-point group {group!r}; "
                f"declared: {', '.join(available) or 'none'}. Hint: install the plugin's "
                "package, or check the name in its [project.entry-points] table."
            )
            raise PluginLoadError(msg)
    found.sort(key=lambda ep: (_dist_name(ep).lower(), ep.name))
    return [_load(ep, group) for ep in found]


def _wanted(names: object) -> set[str]:
    """The entry-point names asked for, checked to be strings (a lone string is refused)."""
    items = tuple(names) if isinstance(names, Iterable) and not isinstance(names, str) else None
    if items is None or not all(isinstance(n, str) for n in items):
        msg = (
            f"discover(names=...) takes a collection of entry-point names, got "
            f"{describe_value(names)}. Hint: discover(names=['email', 'sms'])."
        )
        raise UsageError(msg)
    return set(items)


def _dist_name(ep: importlib.metadata.EntryPoint) -> str:
    dist = ep.dist
    return dist.name if dist is not None else ""


def _describe(ep: importlib.metadata.EntryPoint, group: str) -> str:
    dist = ep.dist
    owner = f"distribution {dist.name} {dist.version}" if dist is not None else "unknown dist"
    return f'plugin "{ep.name}" ({ep.value} in group {group!r}, from {owner})'


def _load(ep: importlib.metadata.EntryPoint, group: str) -> Module:
    where = _describe(ep, group)
    try:
        target: Any = ep.load()
    except Exception as exc:
        msg = (
            f"The {where} failed to load: {type(exc).__name__}: {exc}. Hint: check that "
            "the distribution is installed completely and that the entry point names an "
            "importable module:attribute."
        )
        raise PluginLoadError(msg) from exc
    try:
        if isinstance(target, type) and issubclass(target, Module):
            module = target()
        elif isinstance(target, Module):
            module = target
        elif callable(target):
            module = target()
        else:
            module = target
    except Exception as exc:
        msg = (
            f"The {where} failed while creating its module: {type(exc).__name__}: {exc}. "
            "Hint: a plugin's Module class must be constructible without arguments."
        )
        raise PluginLoadError(msg) from exc
    if not isinstance(module, Module):
        msg = (
            f"The {where} produced {type(module).__name__} {module!r}, not an injectq "
            "Module. Hint: point the entry point at a Module subclass, a Module instance, "
            "or a function returning one."
        )
        raise PluginLoadError(msg)
    return module
