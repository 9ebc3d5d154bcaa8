"""Large and deep graphs compile and resolve without hitting the recursion limit."""

import sys

import pytest

from injectq import InjectQ, Module, Provider


def make_chain(n: int) -> list[type]:
    """Classes C0..Cn-1 where each Ck takes the previous one in its constructor."""
    namespace: dict[str, object] = {"__name__": __name__}
    source = ["class C0:\n    pass\n"]
    source += [
        f"class C{i}:\n    def __init__(self, dep: C{i - 1}) -> None:\n        self.dep = dep\n"
        for i in range(1, n)
    ]
    exec("".join(source), namespace)
    return [namespace[f"C{i}"] for i in range(n)]  # type: ignore[misc]


class ChainModule(Module):
    def __init__(self, classes: list[type], *, reverse: bool) -> None:
        self.classes = classes
        self.reverse = reverse

    def configure(self) -> None:
        for cls in reversed(self.classes) if self.reverse else self.classes:
            self.bind(cls)


@pytest.mark.parametrize("reverse", [False, True], ids=["declared-in-order", "reversed"])
def test_chain_deeper_than_the_recursion_limit_resolves(reverse: bool) -> None:
    """A transient chain three times the recursion limit installs and resolves fully."""
    n = 3 * sys.getrecursionlimit()
    classes = make_chain(n)
    container = InjectQ(ChainModule(classes, reverse=reverse))
    top = container.get(classes[-1])
    depth = 1
    node = top
    while hasattr(node, "dep"):
        node = node.dep
        depth += 1
    assert depth == n
    assert type(node) is classes[0]


def test_chain_built_just_in_time_resolves() -> None:
    """Unbound deep chains are created just in time without recursion either."""
    classes = make_chain(2 * sys.getrecursionlimit())
    top = InjectQ().get(classes[-1])
    assert type(top.dep.dep) is classes[-3]


def test_failure_deep_in_a_long_chain_reports_an_abbreviated_path() -> None:
    """A constructor failing at the bottom of a long chain carries a readable path note."""
    classes = make_chain(40)

    def explode(self: object) -> None:
        raise RuntimeError("bottom failed")

    classes[0].__init__ = explode  # type: ignore[misc]
    with pytest.raises(RuntimeError, match="bottom failed") as info:
        InjectQ().get(classes[-1])
    (note,) = info.value.__notes__
    assert note.startswith("injectq resolution path: C39 -> C38 -> C37 -> C36 -> C35 -> ...")
    assert "(30 more)" in note
    assert note.endswith("C4 -> C3 -> C2 -> C1 -> C0")


class Left:
    def __init__(self, right: Provider["Right"]) -> None:
        self.right = right


class Right:
    def __init__(self, left: Left) -> None:
        self.left = left


def test_cycle_through_a_provider_is_allowed() -> None:
    """A cycle broken by Provider[T] installs, and the provider resolves lazily."""
    container = InjectQ()
    container.bind(Left)
    container.bind(Right)
    left = container.get(Left)
    right = left.right()
    assert isinstance(right, Right)
    assert isinstance(right.left, Left)
    assert right.left is not left  # transients: a fresh Left behind the provider
