"""What injectq's compositions cost, against the plain resolutions they stand for.

Usage: python -m benchmarks.features [--quick]    (also: python -m benchmarks --features)

Each scenario times an injectq operation and its baseline, also made with injectq, in the
same process, interleaved, keeping the best of several rounds; the ratio is the feature's
time over the baseline's (1.00x: the feature costs nothing beyond what it stands for):

- ``collection``: ``get(list[T])`` of a collection of N transient elements, against N plain
  ``get()`` calls of transient bindings of the same classes.
- ``generic-singleton`` / ``generic-transient``: resolving a transient that depends on a
  closed key of an open generic binding (``Repo[User]`` from ``bind(Repo[T], ...)``), warm
  singleton or transient, against the same with a plain class.
- ``generic-get``: ``get(Repo[User])`` of a warm closed-generic singleton against ``get()``
  of a plain one (the difference is hashing the key: a ``typing`` alias hashes in Python).
- ``private-singleton`` / ``private-transient``: ``get()`` of a binding exposed by a private
  module (its dependencies kept inside) against the same bound plainly.
- ``factory``: a ``Factory[T]`` call building ``T(db, name)`` from its ``Assisted`` name and
  an injected singleton, against ``get()`` of a transient ``U(db, name="x")``: the same
  construction, with the name a default ("one transient resolution plus the call").
- ``decorated``: a warm ``get()`` of a decorated singleton (two decorators), against a warm
  ``get()`` of a plain singleton.
- ``point``: ``get()`` of a transient whose dependency's provider takes an
  ``InjectionPoint``, against the same with a provider that takes none.

To add a scenario, write a function returning a `Scenario` and list it in `SCENARIOS`.
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from benchmarks.report import machine_line, write_block
from injectq import Assisted, InjectionPoint

N = 10  # elements of the collection


@dataclass
class Scenario:
    title: str
    target: str  # what the ratio should be, as the issue states it
    ours: Callable[[], Any]
    base: Callable[[], Any]
    check: Callable[[], None]


def collection() -> Scenario:
    from injectq import InjectQ, Module

    class Element:
        pass

    classes = [type(f"E{i}", (Element,), {}) for i in range(N)]

    class Collected(Module):
        def configure(self) -> None:
            for cls in classes:
                self.multibind(Element, cls)

    class Plain(Module):
        def configure(self) -> None:
            for cls in classes:
                self.bind(cls)

    collected = InjectQ(Collected())
    plain = InjectQ(Plain())
    get_list, get = collected.get, plain.get
    key = list[Element]
    exec_ns: dict[str, Any] = {"get": get, **{f"E{i}": c for i, c in enumerate(classes)}}
    body = "def n_gets():\n    return [" + ", ".join(f"get(E{i})" for i in range(N)) + "]\n"
    exec(body, exec_ns)
    n_gets = exec_ns["n_gets"]

    def check() -> None:
        first, second = get_list(key), get_list(key)
        assert [type(x) for x in first] == classes
        assert all(a is not b for a, b in zip(first, second, strict=True))
        assert [type(x) for x in n_gets()] == classes

    return Scenario(
        f"`get(list[T])` of {N} transient elements vs {N} plain `get()`s",
        "about 1x",
        lambda: get_list(key),
        n_gets,
        check,
    )


T = TypeVar("T")


class Session:
    pass


class User:
    pass


class Repo(Generic[T]):
    def __init__(self, session: Session) -> None:
        self.session = session


class PlainRepo:
    def __init__(self, session: Session) -> None:
        self.session = session


class Service:
    def __init__(self, repo: Repo[User]) -> None:
        self.repo = repo


class PlainService:
    def __init__(self, repo: PlainRepo) -> None:
        self.repo = repo


AnyRepo = Repo[T]  # the open key, named at module level for type checkers
USER_REPO = Repo[User]


def _generic(scope: str, *, direct: bool) -> Scenario:
    from injectq import InjectQ, Module

    class Open(Module):
        def configure(self) -> None:
            self.bind(Session).singleton()
            getattr(self.bind(AnyRepo), scope)()  # .singleton() or .transient()
            self.bind(Service)

    class Plain(Module):
        def configure(self) -> None:
            self.bind(Session).singleton()
            getattr(self.bind(PlainRepo), scope)()
            self.bind(PlainService)

    get_open, get_plain = InjectQ(Open()).get, InjectQ(Plain()).get
    ours_key: Any = USER_REPO if direct else Service
    base_key: Any = PlainRepo if direct else PlainService

    def check() -> None:
        assert type(get_open(USER_REPO)) is Repo
        assert type(get_open(Service).repo) is Repo
        singleton = scope == "singleton"
        assert (get_open(USER_REPO) is get_open(USER_REPO)) == singleton
        assert (get_plain(PlainRepo) is get_plain(PlainRepo)) == singleton

    what = "a warm singleton" if scope == "singleton" else "a transient"
    title = (
        f"`get(Repo[User])` of {what} from `bind(Repo[T], ...)` vs `get()` of a plain one"
        if direct
        else f"a transient depending on {what} `Repo[User]` from `bind(Repo[T], ...)` vs on "
        "a plain class"
    )
    return Scenario(
        title,
        "1x plus hashing the key (a typing alias)" if direct else "about 1x",
        lambda: get_open(ours_key),
        lambda: get_plain(base_key),
        check,
    )


class Pool:
    pass


class Repository:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


def _private(scope: str) -> Scenario:
    from injectq import InjectQ, Module, PrivateModule

    class Leg(PrivateModule):
        def configure(self) -> None:
            self.bind(Pool).singleton()  # kept inside
            getattr(self.bind(Repository), scope)()
            self.expose(Repository)

    class Plain(Module):
        def configure(self) -> None:
            self.bind(Pool).singleton()
            getattr(self.bind(Repository), scope)()

    get_exposed, get_plain = InjectQ(Leg()).get, InjectQ(Plain()).get

    def check() -> None:
        assert type(get_exposed(Repository).pool) is Pool
        singleton = scope == "singleton"
        assert (get_exposed(Repository) is get_exposed(Repository)) == singleton

    what = "a warm singleton" if scope == "singleton" else "a transient"
    return Scenario(
        f"`get()` of {what} exposed by a private module (its Pool kept inside) vs bound plainly",
        "about 1x",
        lambda: get_exposed(Repository),
        lambda: get_plain(Repository),
        check,
    )


class Database:
    pass


class Widget:  # its annotations name module-level classes: they are read as strings
    def __init__(self, db: Database, name: Assisted[str]) -> None:
        self.db = db
        self.name = name


class PlainWidget:
    def __init__(self, db: Database, name: str = "x") -> None:
        self.db = db
        self.name = name


def factory() -> Scenario:
    from injectq import Factory, InjectQ, Module

    class Widgets(Module):
        def configure(self) -> None:
            self.bind(Database).singleton()
            self.bind(PlainWidget)

    container = InjectQ(Widgets())
    make, get = container.get(Factory[Widget]), container.get

    def check() -> None:
        made, plain = make("x"), get(PlainWidget)
        assert type(made) is Widget
        assert made.name == plain.name == "x"
        assert made.db is plain.db
        assert make("x") is not made

    return Scenario(
        "`Factory[T]` call vs `get()` of a transient of the same shape",
        "about 1x",
        lambda: make("x"),
        lambda: get(PlainWidget),
        check,
    )


class Store:
    pass


class CachingStore(Store):
    def __init__(self, inner: Store) -> None:
        self.inner = inner


def logged_store(store: Store) -> Store:
    return CachingStore(store)


def decorated() -> Scenario:
    from injectq import InjectQ, Module

    class Decorated(Module):
        def configure(self) -> None:
            self.bind(Store).singleton()
            self.decorate(Store, CachingStore)
            self.decorate(Store, logged_store)

    class Plain(Module):
        def configure(self) -> None:
            self.bind(Store).singleton()

    decorated_get, plain_get = InjectQ(Decorated()).get, InjectQ(Plain()).get

    def check() -> None:
        first = decorated_get(Store)
        assert first is decorated_get(Store)
        assert type(first.inner.inner) is Store  # type: ignore[attr-defined]
        assert plain_get(Store) is plain_get(Store)

    return Scenario(
        "warm `get()` of a decorated singleton vs a plain one",
        "about 1x",
        lambda: decorated_get(Store),
        lambda: plain_get(Store),
        check,
    )


class Tag:
    def __init__(self, owner: object) -> None:
        self.owner = owner


class Tagged:
    def __init__(self, tag: Tag) -> None:
        self.tag = tag


class PlainTag(Tag):
    pass


class PlainTagged:
    def __init__(self, tag: PlainTag) -> None:
        self.tag = tag


def make_tag(point: InjectionPoint) -> Tag:
    return Tag(point.owner)


def make_plain_tag() -> PlainTag:
    return PlainTag(None)


def point() -> Scenario:
    from injectq import InjectQ, Module

    class Tags(Module):
        def configure(self) -> None:
            self.bind(Tag, make_tag)
            self.bind(PlainTag, make_plain_tag)
            self.bind(Tagged)
            self.bind(PlainTagged)

    get = InjectQ(Tags()).get

    def check() -> None:
        assert get(Tagged).tag.owner is Tagged
        assert get(PlainTagged).tag.owner is None
        assert get(Tagged).tag is not get(Tagged).tag

    return Scenario(
        "`get()` of a transient whose dependency's provider takes an `InjectionPoint` vs one "
        "that takes none",
        "about 1x",
        lambda: get(Tagged),
        lambda: get(PlainTagged),
        check,
    )


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "collection": collection,
    "generic-singleton": lambda: _generic("singleton", direct=False),
    "generic-transient": lambda: _generic("transient", direct=False),
    "generic-get": lambda: _generic("singleton", direct=True),
    "private-singleton": lambda: _private("singleton"),
    "private-transient": lambda: _private("transient"),
    "factory": factory,
    "decorated": decorated,
    "point": point,
}


def best(fn: Callable[[], Any], number: int, rounds: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=rounds)) / number


def measure(scenario: Scenario, *, quick: bool) -> tuple[float, float]:
    """Best time per call of the feature and of its baseline, in ns, rounds interleaved."""
    scenario.check()
    number = timeit.Timer(scenario.ours).autorange()[0]
    ours = base = float("inf")
    for _ in range(3 if quick else 9):
        ours = min(ours, best(scenario.ours, number, 1))
        base = min(base, best(scenario.base, number, 1))
    return ours * 1e9, base * 1e9


def run(*, quick: bool = False, only: list[str] | None = None) -> str:
    """Run the scenarios, print each ratio, and return the results table."""
    rows = ["| scenario | target | feature | baseline | ratio |", "|---|---|---|---|---|"]
    for name in only or list(SCENARIOS):
        scenario = SCENARIOS[name]()
        ours, base = measure(scenario, quick=quick)
        print(f"{name:14} {ours:9.0f} ns  {base:9.0f} ns  x{ours / base:.2f}", flush=True)
        rows.append(
            f"| {scenario.title} | {scenario.target} | {ours:,.0f} ns | {base:,.0f} ns | "
            f"{ours / base:.2f}x |"
        )
    rounds = "quick run: best of 3 rounds" if quick else "best of 9 rounds"
    return "\n".join(rows) + f"\n\n{machine_line()}; {rounds}, feature and baseline interleaved."


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    only = argv[argv.index("--only") + 1].split(",") if "--only" in argv else None
    table = run(quick=quick, only=only)
    if only is None:
        write_block("features", table)
    print()
    print(table)


if __name__ == "__main__":
    main(sys.argv[1:])
