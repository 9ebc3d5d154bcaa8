"""`python -m benchmarks --opcodes`: the bytecodes of the cold build, counted per function."""

from __future__ import annotations

from collections import Counter

from benchmarks import opcodes


def _leaf(x: int) -> int:
    return x + 1


def _caller() -> int:
    total = 0
    for i in range(10):
        total += _leaf(i)
    return total


def test_each_call_of_a_function_counts_its_bytecodes_again() -> None:
    once, once_calls = opcodes.count(lambda: _leaf(1))
    ten, ten_calls = opcodes.count(_caller)
    leaf = next(name for name in once if name.endswith(":_leaf"))
    assert once[leaf] > 0
    assert ten[leaf] == 10 * once[leaf]
    assert (once_calls[leaf], ten_calls[leaf]) == (1, 10)
    assert ten[leaf.replace(":_leaf", ":_caller")] > 0


def test_the_tracer_in_place_before_is_put_back() -> None:
    import sys

    def outer(frame: object, event: str, arg: object) -> None:
        return None

    sys.settrace(outer)
    try:
        opcodes.count(lambda: _leaf(1))
        assert sys.gettrace() is outer
    finally:
        sys.settrace(None)


def test_the_cold_build_names_injectqs_functions_per_binding() -> None:
    ops, calls = opcodes.cold_build(20)
    assert ops["injectq/_drafts.py:make_draft"] > 0
    assert calls["injectq/_drafts.py:make_draft"] == 20  # one draft per class, none warm
    assert calls["injectq/_introspect.py:_read_class"] == 20  # each class read once
    text = opcodes.render(ops, calls, 20, top=5)
    assert "never-seen classes" in text
    assert text.count("\n| `") == 5


def test_render_gives_shares_of_the_total() -> None:
    ops: Counter[str] = Counter({"a.py:f": 30, "a.py:g": 10})
    calls: Counter[str] = Counter({"a.py:f": 2, "a.py:g": 1})
    text = opcodes.render(ops, calls, 10)
    assert text.splitlines()[0].startswith("4 bytecodes and 0.3 Python calls per binding")
    assert "| `a.py:f` | 3.0 | 75.0% | 0.20 |" in text
    assert "| `a.py:g` | 1.0 | 25.0% | 0.10 |" in text
