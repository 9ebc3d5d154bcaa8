"""Where the cold build's bytecodes go: a count per function, exact and repeatable.

`python -m benchmarks --opcodes [N]` registers, installs and resolves a chain of N
never-seen classes (300 by default) with ``sys.settrace`` counting every bytecode each
function runs, after one build of another chain so that nothing is compiled for the first
time inside the count. It prints, per binding, the bytecodes and Python calls in all and
per function, largest first.

Callgrind (``--instructions``) says how much a build costs; this says which function's
code runs the bytecodes, which callgrind cannot tell apart on CPython 3.11. Only the
interpreted work is counted: a bytecode that calls into C counts once, whatever the call
costs.
"""

from __future__ import annotations

import gc
import os
import sys
from collections import Counter
from collections.abc import Callable
from types import FrameType
from typing import Any

from benchmarks.model import chain_depth, make_chain
from benchmarks.report import ROOT

DEFAULT_CLASSES = 300
ROOT_DIR = str(ROOT) + os.sep  # labels are relative to the checkout


def label(frame: FrameType) -> str:
    """``injectq/_drafts.py:make_draft``: the file, relative to the checkout, and the name."""
    code = frame.f_code
    return f"{code.co_filename.removeprefix(ROOT_DIR)}:{code.co_name}"


def count(work: Callable[[], Any]) -> tuple[Counter[str], Counter[str]]:
    """The bytecodes and the calls of each function while ``work()`` runs (gc paused)."""
    ops: Counter[str] = Counter()
    calls: Counter[str] = Counter()

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "opcode":
            ops[label(frame)] += 1
        elif event == "call":
            frame.f_trace_opcodes = True
            calls[label(frame)] += 1
        return trace

    enabled = gc.isenabled()
    gc.disable()
    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(previous)
        if enabled:
            gc.enable()
    return ops, calls


def cold_build(n: int) -> tuple[Counter[str], Counter[str]]:
    """The counts of one build of ``n`` never-seen classes, after a build of others."""
    from benchmarks.libraries import injectq_chain

    assert chain_depth(injectq_chain(make_chain(n, "W"))) == n
    chain = make_chain(n, "C")
    built: list[object] = []
    counts = count(lambda: built.append(injectq_chain(chain)))
    assert chain_depth(built[0]) == n  # checked outside the count
    return counts


def render(ops: Counter[str], calls: Counter[str], n: int, top: int = 30) -> str:
    total = sum(ops.values())
    rows = [
        f"{total / n:,.0f} bytecodes and {sum(calls.values()) / n:.1f} Python calls per "
        f"binding ({n} never-seen classes: register, install, first get)",
        "",
        "| function | bytecodes per binding | share | calls per binding |",
        "|---|---|---|---|",
    ]
    rows += [
        f"| `{name}` | {value / n:,.1f} | {100 * value / total:.1f}% | {calls[name] / n:.2f} |"
        for name, value in ops.most_common(top)
    ]
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv and argv[0].isdigit() else DEFAULT_CLASSES
    ops, calls = cold_build(n)
    print(render(ops, calls, n))
