"""The classes every library builds, and how to check that a result is right."""

from __future__ import annotations


class D:
    pass


class E:
    pass


class B:
    def __init__(self, d: D) -> None:
        self.d = d


class C:
    def __init__(self, d: D, e: E) -> None:
        self.d = d
        self.e = e


class A:
    def __init__(self, b: B, c: C) -> None:
        self.b = b
        self.c = c


class Config:
    def __init__(self) -> None:
        self.url = "sqlite://"


class Pool:
    pass


class Repo:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


class Service:
    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config


class Settings:  # the warm singleton
    pass


class RequestState:
    pass


class RequestHandler:
    def __init__(self, state: RequestState) -> None:
        self.state = state


def check_tree(a: object, other: object, *, distinct_d: bool = True) -> None:
    assert type(a) is A
    assert type(other) is A
    assert a is not other
    assert type(a.b.d) is D
    assert type(a.c.e) is E
    if distinct_d:  # transients: two Ds (punq shares instances within one resolution)
        assert a.b.d is not a.c.d  # type: ignore[attr-defined]


def check_mixed(s: object, other: object) -> None:
    assert type(s) is Service
    assert s is not other
    assert s.repo is not other.repo  # type: ignore[attr-defined]
    assert s.repo.pool is other.repo.pool  # type: ignore[attr-defined]  # singleton pool
    assert s.config is other.config  # type: ignore[attr-defined]


def make_chain(n: int, prefix: str = "L") -> list[type]:
    """Classes L0..L{n-1}, each taking the previous one (real annotations, module-level)."""
    namespace: dict[str, object] = {"__name__": "benchmarks.chain"}
    source = [f"class {prefix}0:\n    pass\n"]
    source += [
        f"class {prefix}{i}:\n    def __init__(self, dep: {prefix}{i - 1}) -> None:\n"
        f"        self.dep = dep\n"
        for i in range(1, n)
    ]
    exec("".join(source), namespace)
    import sys
    import types

    module = types.ModuleType("benchmarks.chain")
    module.__dict__.update(namespace)
    sys.modules["benchmarks.chain"] = module
    return [namespace[f"{prefix}{i}"] for i in range(n)]  # type: ignore[misc]


def chain_depth(obj: object) -> int:
    depth = 1
    while hasattr(obj, "dep"):
        obj = obj.dep
        depth += 1
    return depth


def by_hand(chain: list[type]) -> object:
    obj = chain[0]()
    for cls in chain[1:]:
        obj = cls(obj)
    return obj
