"""Where a binding was made: file, line and the chain of modules that installed it."""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

import attrs

__all__ = ["Source", "caller_source", "object_source"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@attrs.frozen
class Source:
    """The place a binding was made.

    Attributes:
        file: The file, relative to the working directory when it lies below it.
        line: The line number (0 when unknown).
        modules: The module that made the binding, then the modules that installed it,
            innermost first (``("CacheModule", "AppModule")``).
    """

    file: str
    line: int
    modules: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"

    def in_modules(self, modules: tuple[str, ...]) -> Source:
        """Return the same place, seen through the given module chain."""
        return attrs.evolve(self, modules=modules)

    def __str__(self) -> str:
        if self.modules:
            return f"{self.location} (in {' <- '.join(self.modules)})"
        return self.location


@functools.lru_cache(maxsize=1024)
def _relative(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith("..") else rel


def caller_source() -> Source:
    """Return the first frame outside the injectq package: the user's ``bind`` call."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == _PACKAGE_DIR:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:  # pragma: no cover - only injectq frames on the stack
        return Source("<unknown>", 0)
    return Source(_relative(frame.f_code.co_filename), frame.f_lineno)


def object_source(obj: Any) -> Source:
    """Return where a function or class was defined (for ``@provider`` and JIT bindings)."""
    import inspect

    target = inspect.unwrap(obj) if callable(obj) else obj
    code = getattr(target, "__code__", None)
    if code is not None:
        return Source(_relative(code.co_filename), code.co_firstlineno)
    try:
        file = inspect.getsourcefile(target) or "<unknown>"
        _, line = inspect.getsourcelines(target)
    except (OSError, TypeError):
        module = getattr(target, "__module__", None) or "<unknown>"
        return Source(f"<{module}>", 0)
    return Source(_relative(file), line)
