"""Regression tests for bugs found while building injectq, one per bug."""

import threading
from typing import Any

import pytest

from injectq import BindingError, InjectQ, Module
from injectq._resolver import Resolver


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
    with pytest.raises(BindingError, match="Greeting is bound 2 times"):
        InjectQ(ListStateModule(["a"]), ListStateModule(["a"]))


class Child:
    pass


class Parent:
    def __init__(self, child: Child) -> None:
        self.child = child


def test_a_factory_is_never_visible_before_its_dependencies_are_filled_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another thread asking while a dependency compiles gets a complete factory.

    Compiling published a factory before the names of the factories it calls were filled
    in; a thread resolving at that moment called None ('NoneType' object is not callable).
    """
    original = Resolver._compile_one
    started = threading.Event()
    release = threading.Event()

    def slow_compile(self: Resolver, kind: str, binding: object) -> object:
        if getattr(binding, "key", None) is not None and binding.key.tp is Child:  # type: ignore[attr-defined]
            started.set()
            release.wait(5)
        return original(self, kind, binding)  # type: ignore[arg-type]

    monkeypatch.setattr(Resolver, "_compile_one", slow_compile)
    container = InjectQ()
    container.bind(Child, scope="request")
    container.bind(Parent)
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with container.scope() as scope:
                scope.get(Parent)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(5)
    other = threading.Thread(target=first)
    other.start()
    release.set()
    thread.join(5)
    other.join(5)
    assert errors == []


def test_string_annotations_inside_annotated_resolve_in_their_own_module() -> None:
    """Two modules' Annotated["Thing", Named("x")] each resolve to their own Thing.

    typing caches Annotated[...] objects, so both modules share one ForwardRef("Thing"),
    which kept its first evaluation: the second module's provider asked for the first
    module's class (found by the property tests with generated modules).
    """
    from injectq import Named

    def make_module(label: str) -> tuple[type, Module]:
        namespace: dict[str, Any] = {"__name__": f"generated_{label}", "Named": Named}
        exec(
            "from typing import Annotated\n"
            "class Thing:\n"
            "    pass\n"
            "def make(thing: Annotated['Thing', Named('x')]) -> str:\n"
            "    return type(thing).__module__\n",
            namespace,
        )
        thing, make = namespace["Thing"], namespace["make"]

        class M(Module):
            def configure(self) -> None:
                self.bind(thing, name="x")
                self.bind(str, make)

        return thing, M()

    for label in ["first", "second"]:
        _, module = make_module(label)
        assert InjectQ(module).get(str) == f"generated_{label}"
