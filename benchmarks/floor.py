"""The least a validating container does to register, install and resolve a cold chain.

This is not a library: it is the measuring stick of the ``cold1000`` scenario. It keeps
what the scenario's target asks injectq to keep (each binding's ``file:line``, and the
install-time checks that apply to these classes: a duplicate, an abstract class, an
annotation that is not a class, a missing binding, a cycle) and nothing else: no scopes, no
names, no overrides, no generated code, no messages beyond one line. It reads
constructors as injectq's quick reader does (the code object, ``__annotations__``, a bare
string annotation looked up in the function's globals), keeps one list per binding, and
builds the chain by walking it once.

`python -m benchmarks --floor` times it against hand-written construction and injectq in
the same way as ``cold1000`` (one process each, fresh classes per build, CPU time).
"""

from __future__ import annotations

import sys
import types
from typing import Any

from benchmarks import model as m

_ABSTRACT = 1 << 20  # Py_TPFLAGS_IS_ABSTRACT: an ABC with abstract methods left


class Module:
    """Records ``bind(cls)`` calls with the file and line each was made at."""

    def __init__(self, classes: list[type]) -> None:
        self.classes = classes
        self.records: list[tuple[type, str, int]] = []

    def bind(self, cls: type) -> None:
        frame = sys._getframe(1)
        self.records.append((cls, frame.f_code.co_filename, frame.f_lineno))

    def configure(self) -> None:
        for cls in self.classes:
            self.bind(cls)


def read(cls: type) -> tuple[type, ...]:
    """The classes ``cls``'s constructor takes, in order."""
    for klass in cls.__mro__:
        if "__init__" in klass.__dict__:
            fn = klass.__dict__["__init__"]
            break
    else:
        return ()
    if not isinstance(fn, types.FunctionType):  # object.__init__: takes nothing
        return ()
    code = fn.__code__
    annotations = fn.__annotations__
    out: list[type] = []
    for name in code.co_varnames[1 : code.co_argcount]:
        tp = annotations.get(name)
        if type(tp) is str:  # from __future__ import annotations: a bare name
            tp = fn.__globals__.get(tp)
        if type(tp) is not type:
            msg = f"parameter {name!r} of {cls.__qualname__}: {tp!r} is not a class"
            raise TypeError(msg)
        out.append(tp)
    return tuple(out)


def install(module: Module) -> dict[type, list[Any]]:
    """Each bound class's dependencies, file and line, after every check passed."""
    module.configure()
    nodes: dict[type, list[Any]] = {}
    for cls, file, line in module.records:
        if cls in nodes:
            msg = f"{cls.__qualname__} bound twice: {nodes[cls][1]}:{nodes[cls][2]}, {file}:{line}"
            raise LookupError(msg)
        if cls.__flags__ & _ABSTRACT:
            msg = f"{cls.__qualname__} bound at {file}:{line} is abstract"
            raise TypeError(msg)
        nodes[cls] = [read(cls), file, line]
    for cls, (deps, file, line) in nodes.items():
        for dep in deps:
            if dep not in nodes:
                msg = (
                    f"nothing binds {dep.__qualname__}, asked by {cls.__qualname__} ({file}:{line})"
                )
                raise LookupError(msg)
    _check_cycles(nodes)
    return nodes


def _check_cycles(nodes: dict[type, list[Any]]) -> None:
    state: dict[type, int] = {}  # 1: on the path, 2: done
    for root in nodes:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(nodes[root][0]))]
        while stack:
            cls, deps = stack[-1]
            for dep in deps:
                seen = state.get(dep)
                if seen == 1:
                    msg = f"dependency cycle through {dep.__qualname__}"
                    raise RecursionError(msg)
                if seen is None:
                    state[dep] = 1
                    stack.append((dep, iter(nodes[dep][0])))
                    break
            else:
                state[cls] = 2
                stack.pop()


def get(nodes: dict[type, list[Any]], cls: type) -> Any:
    """A new ``cls``, its dependencies built first (each once per call)."""
    made: dict[type, Any] = {}
    stack = [cls]
    while stack:
        top = stack[-1]
        deps = nodes[top][0]
        todo = [d for d in deps if d not in made]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        made[top] = top(*[made[d] for d in deps])
    return made[cls]


def build(chain: list[type] | None = None) -> object:
    chain = chain or m.make_chain(1000)
    return get(install(Module(chain)), chain[-1])
