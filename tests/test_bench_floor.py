"""The cold build's measuring stick does the checks it is credited with, and builds right."""

from __future__ import annotations

import abc

import pytest

from benchmarks import floor
from benchmarks.model import chain_depth, make_chain


def _install(*classes: type) -> dict[type, list[object]]:
    return floor.install(floor.Module(list(classes)))


def test_it_builds_a_fresh_chain_with_each_binding_where_it_was_bound() -> None:
    chain = make_chain(50, prefix="F")
    nodes = _install(*chain)
    built = floor.get(nodes, chain[-1])
    assert chain_depth(built) == 50
    assert floor.get(nodes, chain[-1]) is not built
    deps, file, line = nodes[chain[1]]
    assert deps == (chain[0],)
    assert file == floor.__file__
    assert isinstance(line, int)
    assert line > 0


def test_it_refuses_a_missing_binding_a_duplicate_and_a_cycle() -> None:
    first, second = make_chain(2, prefix="G")
    with pytest.raises(LookupError, match="nothing binds G0, asked by G1"):
        _install(second)
    with pytest.raises(LookupError, match="G0 bound twice"):
        _install(first, first)

    class Ping:
        def __init__(self, pong: Pong) -> None:
            self.pong = pong

    class Pong:
        def __init__(self, ping: Ping) -> None:
            self.ping = ping

    Ping.__init__.__annotations__["pong"] = Pong  # the string names a local class
    Pong.__init__.__annotations__["ping"] = Ping
    with pytest.raises(RecursionError, match="dependency cycle"):
        _install(Ping, Pong)


def test_it_refuses_an_abstract_class_and_an_annotation_that_is_not_a_class() -> None:
    class Base(abc.ABC):
        @abc.abstractmethod
        def run(self) -> None: ...

    class Takes:
        def __init__(self, count: int | None) -> None:
            self.count = count

    with pytest.raises(TypeError, match="is abstract"):
        _install(Base)
    with pytest.raises(TypeError, match=r"parameter 'count' of .*Takes"):
        _install(Takes)
