"""The text of generated functions and how it is compiled.

`injectq._resolver` writes each binding's function from these templates and its emitter's
lines; `compile_function` compiles a text once per shape and gives every binding's function
its own name and file (see `injectq._tracing.source_file`), for readable tracebacks.
"""

from __future__ import annotations

import itertools
import types
from typing import Any, Final

from injectq._tracing import source_file

__all__ = [
    "INSTANCE_SOURCE",
    "PROLOGUE",
    "RAISES_SOURCE",
    "SCOPED_SOURCE",
    "SINGLETON_SOURCE",
    "compile_function",
]

# Finds the ambient scope of this container: the top frame when it is one of its scopes
# (one identity check), the root when nothing is ambient, else a walk down the frames.
PROLOGUE: Final = [
    "    if s is None:",
    "        s = AMB.get()",
    "        if s is None:",
    "            s = ROOT",
    "        elif s.owner is not C:",
    "            s = find(s)",
]

# Generated text -> its code, its number and its lines: one of each per shape, shared by the
# functions of every binding of that shape (and by their `linecache` entries).
_CODE: dict[str, tuple[types.CodeType, int, list[str]]] = {}
_CODE_LIMIT: Final = 4096
_NUMBERS = itertools.count(1)


def compile_function(ns: dict[str, Any], src: str, name: str) -> Any:
    """Run ``src`` (which defines ``factory``) in ``ns``; return the function as ``name``.

    Bindings of the same shape generate the same text (names are numbered, values live
    in the namespace), so they share one compiled code object. Each binding's function
    gets a copy of it carrying its own name and file name; the shape's lines go into
    `linecache` under that file name once an exception passes through the function, so a
    traceback shows ``get_UserService`` and its line. Every template therefore handles
    what goes through it (``trace_at``) or marks what it raises (``located``).
    """
    shape = _CODE.get(src)
    if shape is None:
        code = compile(src, "<injectq>", "exec")
        shape = (code, next(_NUMBERS), src.splitlines(keepends=True))
        if len(_CODE) < _CODE_LIMIT:
            _CODE[src] = shape
    code, number, lines = shape
    ns["LINES"] = lines  # what `injectq._tracing.show_source` registers, once it fails
    exec(code, ns)  # noqa: S102
    function = ns.pop("factory")
    function.__code__ = function.__code__.replace(
        co_name=name, co_qualname=name, co_filename=source_file(name, number)
    )
    function.__name__ = function.__qualname__ = name
    return function


# Serve the instance cached in CACHE, else create it in OWNER; what creation raises goes
# through trace_at outside the KeyError handler (so it does not carry the KeyError).
_PROBE_OR_CREATE: Final = """    try:
        return CACHE[B]
    except KeyError:
        pass
    try:
        return {aw}create(OWNER)
    except Exception as e:
        trace_at(e, PATHS)
        raise
"""

SINGLETON_SOURCE: Final = "\n{a}def factory(s=None):\n" + _PROBE_OR_CREATE.replace(
    "CACHE", "cache"
).replace("OWNER", "ROOT")

SCOPED_SOURCE: Final = """
{a}def factory(s=None):  # async only: concurrent tasks share one creation
{prologue}
    t = s
    while t.name != NAME:
        t = t.parent
        if t is None:
            raise located(scope_error(B, s))
""" + _PROBE_OR_CREATE.replace("CACHE", "t.cache").replace("OWNER", "t")

INSTANCE_SOURCE: Final = """
def factory(s=None):
    return INSTANCE
"""

RAISES_SOURCE: Final = """
def factory(s=None):
    raise located(error(B))
"""
