"""Where a binding was made: file, line and the chain of modules that installed it.

A `Source` is cheap to make and computed lazily: the relative file name of a ``bind(...)``
call, and the definition line of a class (which `inspect` finds by parsing its module's
source, 57 ms for a class living in a large module), are worked out only when a message or
a tool shows them.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

import attrs

__all__ = ["Source", "caller_source", "object_source"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@attrs.frozen(eq=False, slots=False)  # one per bind() call: a dict is set faster
class Source:
    """The place a binding was made.

    Attributes:
        modules: The module that made the binding, then the modules that installed it,
            innermost first (``("CacheModule", "AppModule")``).
    """

    _raw_file: str | None = None
    _raw_line: int = 0
    _of: Any = None  # a class or function whose definition is the place, found on demand
    modules: tuple[str, ...] = ()
    _where: list[tuple[str, int]] = attrs.field(factory=list, repr=False)

    @property
    def file(self) -> str:
        """The file, relative to the working directory when it lies below it."""
        return self._resolved()[0]

    @property
    def line(self) -> int:
        """The line number (0 when unknown)."""
        return self._resolved()[1]

    def _resolved(self) -> tuple[str, int]:
        if not self._where:  # computed once, on first display
            if self._raw_file is not None:
                self._where.append((_relative(self._raw_file), self._raw_line))
            else:
                self._where.append(_definition(self._of))
        return self._where[0]

    @property
    def location(self) -> str:
        """``file:line``."""
        file, line = self._resolved()
        return f"{file}:{line}"

    def in_modules(self, modules: tuple[str, ...]) -> Source:
        """Return the same place, seen through the given module chain."""
        return Source(self._raw_file, self._raw_line, self._of, modules, self._where)

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


@functools.lru_cache(maxsize=256)
def _in_package(filename: str) -> bool:
    return os.path.dirname(filename) == _PACKAGE_DIR


def caller_source(modules: tuple[str, ...] = (), *, skip: int = 0) -> Source:
    """Return the first frame outside the injectq package: the user's ``bind`` call.

    ``modules`` is the chain of modules the call was made in, when it is known already.
    ``skip`` is how many frames, the caller's first, are injectq's for certain: they are
    passed over without being looked at (looking at a frame makes it an object, which
    costs a good part of what recording a ``bind`` call does).
    """
    frame = sys._getframe(1 + skip)
    while frame is not None and _in_package(frame.f_code.co_filename):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:  # pragma: no cover - only injectq frames on the stack
        return Source("<unknown>", 0, None, modules)
    return Source(frame.f_code.co_filename, frame.f_lineno, None, modules)


def object_source(obj: Any) -> Source:
    """Where a function or class was defined (for ``@provider`` and JIT bindings), lazily."""
    code = getattr(obj, "__code__", None)
    if code is not None and not isinstance(obj, type):
        return Source(code.co_filename, code.co_firstlineno)
    return Source(None, 0, obj)


def _definition(obj: Any) -> tuple[str, int]:
    import inspect

    target = inspect.unwrap(obj) if callable(obj) else obj
    code = getattr(target, "__code__", None)
    if code is not None:
        return _relative(code.co_filename), code.co_firstlineno
    try:
        file = inspect.getsourcefile(target) or "<unknown>"
        _, line = inspect.getsourcelines(target)
    except (OSError, TypeError):
        module = getattr(target, "__module__", None) or "<unknown>"
        return f"<{module}>", 0
    return _relative(file), line
