"""Regression tests for bugs found while building injectq, one per bug."""

from injectq import InjectQ, Module


class Greeting:
    def __init__(self, text: str) -> None:
        self.text = text


class ListStateModule(Module):
    def __init__(self, words: list[str]) -> None:
        self.words = words

    def configure(self) -> None:
        self.bind(Greeting, Greeting(" ".join(self.words)))


def test_module_with_unhashable_state_installs() -> None:
    """A module holding a list attribute installs (dedup falls back to identity)."""
    container = InjectQ(ListStateModule(["hello", "world"]))
    assert container.get(Greeting).text == "hello world"


def test_two_modules_with_equal_unhashable_state_are_both_configured() -> None:
    """Modules whose state cannot be compared are never merged: both bind, and clash."""
    import pytest

    from injectq import BindingError

    with pytest.raises(BindingError, match="Greeting is bound 2 times"):
        InjectQ(ListStateModule(["a"]), ListStateModule(["a"]))
