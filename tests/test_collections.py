"""Collections (multibindings): multibind(), @provider(multi=True) and list[T] / Sequence[T]."""

import asyncio
import collections.abc
import threading
import time
import typing
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Annotated, Any

import pytest

from injectq import (
    INJECTED,
    AsyncRequiredError,
    BindingError,
    InjectQ,
    MissingBindingError,
    Module,
    Named,
    Provider,
    ScopeError,
    UsageError,
    inject,
    provider,
    resource,
)
from tests.threads import run_all


class Middleware:
    pass


class Auth(Middleware):
    pass


class Gzip(Middleware):
    pass


class Cors(Middleware):
    def __init__(self, origins: str) -> None:
        self.origins = origins


class Server:
    def __init__(self, middlewares: list[Middleware]) -> None:
        self.middlewares = middlewares


class HttpModule(Module):
    def configure(self) -> None:
        self.multibind(Middleware)
        self.multibind(Middleware, Auth).singleton()
        self.multibind(Middleware, Gzip)
        self.bind(str, "*")

    @provider(multi=True)
    def cors(self, origins: str) -> Middleware:
        return Cors(origins)


def kinds(items: Sequence[object]) -> list[type]:
    return [type(item) for item in items]


# -- what a collection holds ---------------------------------------------------------------


def test_elements_in_install_order_each_with_its_own_scope() -> None:
    """list[T] receives every element in install order; each element keeps its scope."""
    container = InjectQ(HttpModule())
    first = container.get(Server).middlewares
    second = container.get(Server).middlewares
    assert kinds(first) == [Auth, Gzip, Cors]
    assert first[0] is second[0]  # the singleton element
    assert first[1] is not second[1]  # transient elements are new each time
    assert first[2] is not second[2]
    assert first[2].origins == "*"  # type: ignore[attr-defined]
    assert first is not second  # a new list each time


@pytest.mark.parametrize(
    "annotation",
    [
        list[Middleware],
        Sequence[Middleware],
        collections.abc.Sequence[Middleware],
        typing.Sequence[Middleware],
        typing.List[Middleware],  # noqa: UP006
    ],
    ids=["list", "abc-Sequence", "collections.abc", "typing.Sequence", "typing.List"],
)
def test_every_spelling_of_the_collection_receives_it(annotation: Any) -> None:
    """list[T], Sequence[T] (typing or collections.abc) and typing.List[T] all receive it."""

    def use(items: annotation) -> list[type]:
        return kinds(items)

    container = InjectQ(HttpModule())
    assert container.call(use) == [Auth, Gzip, Cors]


def test_get_and_aget_of_the_collection() -> None:
    """container.get(list[T]) and aget(list[T]) serve a new list of the elements."""
    container = InjectQ(HttpModule())
    got = container.get(list[Middleware])
    assert kinds(got) == [Auth, Gzip, Cors]
    agot = asyncio.run(container.aget(list[Middleware]))
    assert kinds(agot) == [Auth, Gzip, Cors]
    assert got[0] is agot[0]
    assert got is not container.get(list[Middleware])


def test_a_declared_collection_may_stay_empty() -> None:
    """multibind(T) with no target declares the collection: list[T] receives []."""

    class Declares(Module):
        def configure(self) -> None:
            self.multibind(Middleware)

    container = InjectQ(Declares())
    assert container.get(Server).middlewares == []
    assert container.get(list[Middleware]) == []


def test_contributions_come_from_every_module_of_the_install_tree() -> None:
    """Modules anywhere in the install tree contribute, in install order."""

    class Inner(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Gzip)

    class Outer(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Auth)
            self.install(Inner())
            self.multibind(Middleware).to(Cors)
            self.bind(str, "o")

    class Other(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Middleware())

    container = InjectQ(Outer(), Other())
    assert kinds(container.get(list[Middleware])) == [Auth, Gzip, Cors, Middleware]


def test_elements_take_every_target_form() -> None:
    """Classes, instances, functions, .to_provider() and .to_instance() all contribute."""
    shared = Gzip()

    def make(origins: str) -> Middleware:
        return Cors(origins)

    class Forms(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Auth)
            self.multibind(Middleware, shared)
            self.multibind(Middleware, lambda: Cors("fn"))
            self.multibind(Middleware).to_provider(make)
            self.multibind(Middleware).to_instance(shared)
            self.bind(str, "arg")

    items = InjectQ(Forms()).get(list[Middleware])
    assert kinds(items) == [Auth, Gzip, Cors, Cors, Gzip]
    assert items[1] is shared
    assert items[4] is shared
    assert [getattr(i, "origins", None) for i in items] == [None, None, "fn", "arg", None]


def test_scoped_elements_are_shared_within_a_scope() -> None:
    """A scoped element is one instance per scope, like any scoped binding."""

    class Scoped(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Auth).scoped()

    container = InjectQ(Scoped())
    with container.scope() as scope:
        a = scope.get(list[Middleware])[0]
        assert container.get(list[Middleware])[0] is a
    with container.scope() as scope:
        assert scope.get(list[Middleware])[0] is not a
    with pytest.raises(ScopeError, match=r"element 1 of list\[Middleware\]"):
        container.get(list[Middleware])


def test_an_element_depends_on_bindings_and_on_other_collections() -> None:
    """Elements are injected like any binding, including with another collection."""

    class Plugin:
        pass

    class Registry(Middleware):
        def __init__(self, plugins: list[Plugin]) -> None:
            self.plugins = plugins

    class Wiring(Module):
        def configure(self) -> None:
            self.multibind(Plugin, Plugin)
            self.multibind(Plugin, Plugin)
            self.multibind(Middleware, Registry)

    (registry,) = InjectQ(Wiring()).get(list[Middleware])
    assert len(registry.plugins) == 2  # type: ignore[attr-defined]


T = typing.TypeVar("T")


class Cache(typing.Generic[T]):
    pass


class User:
    pass


class Product:
    pass


def test_collections_are_per_type() -> None:
    """Cache[User] and Cache[Product] elements are different collections."""

    class Caches(Module):
        def configure(self) -> None:
            self.multibind(Cache[User], Cache[User])
            self.multibind(Cache[Product])

    container = InjectQ(Caches())
    assert len(container.get(list[Cache[User]])) == 1
    assert container.get(list[Cache[Product]]) == []


def test_get_all_and_named_maps_hold_named_bindings_only() -> None:
    """get_all(T) and dict[str, T] are untouched by multibind: named bindings only."""

    class Both(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Auth)
            self.bind(Middleware, Gzip, name="gzip")

    def names(by_name: dict[str, Middleware]) -> list[str]:
        return list(by_name)

    container = InjectQ(Both())
    assert list(container.get_all(Middleware)) == ["gzip"]
    assert container.call(names) == ["gzip"]
    assert kinds(container.get(list[Middleware])) == [Auth]
    assert type(container.get(Middleware)) is Middleware  # just in time: no element is T's


def test_call_and_inject_receive_the_collection() -> None:
    """call() and @inject fill list[T] parameters by the same rules."""

    @inject
    def handler(middlewares: Sequence[Middleware] = INJECTED) -> int:
        return len(middlewares)

    container = InjectQ(HttpModule())
    assert container.call(handler) == 3
    with container.activate():
        assert handler() == 3


# -- missing, optional, replaced -------------------------------------------------------


def test_an_undeclared_collection_is_a_missing_binding() -> None:
    """Nothing declares list[T]: an install-time missing binding naming multibind()."""

    class Needs(Module):
        def configure(self) -> None:
            self.bind(Server)

    with pytest.raises(BindingError) as info:
        InjectQ(Needs())
    assert info.value.codes == ("missing-binding",)
    assert "Nothing declares or contributes to the collection list[Middleware]." in str(info.value)
    assert "self.multibind(Middleware)" in str(info.value)


def test_get_of_an_undeclared_collection() -> None:
    """get(list[T]) of an undeclared collection raises MissingBindingError with the fix."""
    with pytest.raises(MissingBindingError) as info:
        InjectQ().get(list[Middleware])
    assert str(info.value).startswith(
        "Nothing declares or contributes to the collection list[Middleware]."
    )
    assert "self.multibind(Middleware)" in str(info.value)


def test_a_just_in_time_class_needing_an_undeclared_collection() -> None:
    """The report names the collection, not the class created just in time."""
    with pytest.raises(MissingBindingError, match=r"collection list\[Middleware\]"):
        InjectQ().get(Server)


def test_optional_and_default_collections() -> None:
    """T | None receives None and a default is kept when the collection is undeclared."""

    def optional(items: list[Middleware] | None) -> object:
        return items

    def default(items: Sequence[Middleware] = ()) -> object:
        return items

    container = InjectQ()
    assert container.call(optional) is None
    assert container.call(default) == ()
    declared = InjectQ(HttpModule())
    assert kinds(declared.call(optional)) == [Auth, Gzip, Cors]  # type: ignore[arg-type]


def test_binding_list_itself_replaces_the_collection() -> None:
    """bind(list[T], ...) replaces the collection for list[T] and Sequence[T] alike."""
    mine: list[Middleware] = [Gzip()]

    class Replaces(Module):
        def configure(self) -> None:
            self.bind(list[Middleware], mine)

    def seq(items: Sequence[Middleware]) -> object:
        return items

    container = InjectQ(HttpModule(), Replaces())
    assert container.get(list[Middleware]) is mine
    assert container.get(Server).middlewares is mine
    assert container.call(seq) is mine


def test_a_collection_replaces_a_default_list_binding() -> None:
    """A library's bind(list[T], ...).as_default() gives way to a declared collection."""

    class Library(Module):
        def configure(self) -> None:
            self.bind(list[Middleware], lambda: [Gzip()]).as_default()

    assert kinds(InjectQ(Library()).get(list[Middleware])) == [Gzip]
    assert kinds(InjectQ(Library(), HttpModule()).get(list[Middleware])) == [Auth, Gzip, Cors]


def test_named_list_is_not_the_collection() -> None:
    """Annotated[list[T], Named(...)] asks for a named binding of list[T]."""

    def named(items: Annotated[list[Middleware], Named("x")]) -> object:
        return items

    with pytest.raises(MissingBindingError, match=r'list\[Middleware\] named "x"'):
        InjectQ(HttpModule()).call(named)


# -- misuse ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "fix"),
    [
        (lambda r: r.named("x"), 'self.bind(K, Impl, name="x")'),
        (lambda r: r.as_default(), "binds list[K] itself"),
        (lambda r: r.from_context(), "self.bind(V).from_context()"),
    ],
    ids=["named", "as_default", "from_context"],
)
def test_element_builder_calls_that_mean_nothing_raise(
    call: Callable[[Any], Any], fix: str
) -> None:
    """.named(), .as_default() and .from_context() on an element raise UsageError at once."""

    class Misuse(Module):
        def configure(self) -> None:
            call(self.multibind(Middleware, Auth))

    with pytest.raises(UsageError) as info:
        InjectQ(Misuse())
    text = str(info.value)
    assert text.startswith(f"multibind(Middleware) at {__file__.split('/')[-2]}/")
    assert "does not apply to an element of a collection" in text
    assert fix in text


def test_a_named_multi_provider_raises() -> None:
    """@provider(multi=True, name=...) is refused when the method is decorated."""
    with pytest.raises(UsageError, match="an element of a collection has no name"):
        provider(multi=True, name="x")


def test_a_scope_on_a_bare_declaration_is_reported() -> None:
    """multibind(T).singleton() with no target: nothing to scope, an install-time problem."""

    class Bare(Module):
        def configure(self) -> None:
            self.multibind(Middleware).singleton()

    with pytest.raises(BindingError) as info:
        InjectQ(Bare())
    assert info.value.codes == ("invalid-binding",)
    assert "without a target only declares the collection" in str(info.value)
    assert "self.multibind(Middleware, Impl).singleton()" in str(info.value)


def test_element_problems_are_reported_with_the_element() -> None:
    """A missing dependency of an element names the element and where it was bound."""

    class Settings:
        def __init__(self, dsn: str) -> None:
            self.dsn = dsn

    class NeedsSettings(Middleware):
        def __init__(self, settings: Settings) -> None:
            self.settings = settings

    class Broken(Module):
        def configure(self) -> None:
            self.multibind(Middleware, NeedsSettings)
            self.multibind(Middleware, Auth).singleton().transient()

    with pytest.raises(BindingError) as info:
        InjectQ(Broken())
    text = str(info.value)
    assert info.value.codes == ("scope-conflict", "missing-binding")
    assert "Middleware (element 2 of list[Middleware]) is given 2 scopes" in text
    assert "Middleware (element 1 of list[Middleware]) bound at: tests/" in text


def test_a_cycle_through_a_collection() -> None:
    """An element that needs its own collection is a cycle, shown through the elements."""

    class Loop(Middleware):
        def __init__(self, all_of_them: list[Middleware]) -> None:
            self.all_of_them = all_of_them

    class Loops(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Loop)

    with pytest.raises(BindingError) as info:
        InjectQ(Loops())
    assert info.value.codes == ("cycle",)
    assert (
        "Dependency cycle: list[Middleware] -> Middleware (element 1 of list[Middleware]) -> "
        "list[Middleware]." in str(info.value)
    )


def test_provider_of_the_collection_breaks_the_cycle_and_the_capture() -> None:
    """Provider[list[T]] resolves the collection when called, in the active scope."""

    class Audit:
        def __init__(self, middlewares: Provider[list[Middleware]]) -> None:
            self.middlewares = middlewares

    class Wiring(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Auth).scoped()
            self.bind(Audit).singleton()

    container = InjectQ(Wiring())
    audit = container.get(Audit)
    with container.scope():
        assert kinds(audit.middlewares()) == [Auth]


def test_a_singleton_capturing_a_scoped_element() -> None:
    """A singleton taking list[T] with a request-scoped element is a captive dependency."""

    class Captive(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Gzip)
            self.multibind(Middleware, Auth).scoped()
            self.bind(Server).singleton()

    with pytest.raises(BindingError) as info:
        InjectQ(Captive())
    assert info.value.codes == ("captive-dependency",)
    text = str(info.value)
    assert (
        'Singleton Server depends on Middleware (element 2 of list[Middleware]), scoped "request" '
        "(via list[Middleware])." in text
    )
    assert "take Provider[list[Middleware]] instead" in text


# -- overrides -----------------------------------------------------------------------------


class TestContributions(Module):
    def configure(self) -> None:
        self.multibind(Middleware, Middleware)


def test_override_modules_add_contributions() -> None:
    """install(overrides=[...]) adds the override modules' elements after the others."""
    container = InjectQ()
    container.install(HttpModule(), overrides=[TestContributions()])
    assert kinds(container.get(list[Middleware])) == [Auth, Gzip, Cors, Middleware]


def test_override_of_a_module_adds_and_restores_exactly() -> None:
    """override(Module) adds elements; leaving it restores the collection and its singletons."""
    container = InjectQ(HttpModule())
    before = container.get(list[Middleware])
    with container.override(TestContributions()):
        inside = container.get(list[Middleware])
        assert kinds(inside) == [Auth, Gzip, Cors, Middleware]
        assert inside[0] is before[0]  # the singleton element is untouched
    after = container.get(list[Middleware])
    assert kinds(after) == [Auth, Gzip, Cors]
    assert after[0] is before[0]


def test_override_binding_the_list_replaces_the_whole_collection() -> None:
    """Binding list[T] in an override replaces the collection; leaving restores it."""
    fake = [Middleware()]
    container = InjectQ(HttpModule())
    with container.override(list[Middleware], fake):
        assert container.get(list[Middleware]) is fake
        assert container.get(Server).middlewares is fake
    assert kinds(container.get(list[Middleware])) == [Auth, Gzip, Cors]

    class Replace(Module):
        def configure(self) -> None:
            self.bind(list[Middleware], fake)

    replaced = InjectQ()
    replaced.install(HttpModule(), overrides=[Replace()])
    assert replaced.get(Server).middlewares is fake


def test_an_override_of_an_elements_dependency() -> None:
    """Overriding what an element needs rebuilds that element inside the override only."""
    container = InjectQ(HttpModule())
    with container.override(str, "override"):
        assert container.get(list[Middleware])[2].origins == "override"  # type: ignore[attr-defined]
    assert container.get(list[Middleware])[2].origins == "*"  # type: ignore[attr-defined]


@resource
class Tracked(Middleware):
    log: typing.ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.log.append("create")

    def dispose(self) -> None:
        self.log.append("dispose")


def test_what_an_override_built_is_disposed_when_it_ends() -> None:
    """A singleton element added by an override is disposed when the override ends."""

    class Adds(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Tracked).singleton()

    Tracked.log.clear()
    container = InjectQ(HttpModule())
    with container.override(Adds()):
        container.get(list[Middleware])
        assert Tracked.log == ["create"]
    assert Tracked.log == ["create", "dispose"]
    container.close()
    assert Tracked.log == ["create", "dispose"]


# -- installing again --------------------------------------------------------------------


def test_a_later_install_adds_contributions_and_keeps_singletons() -> None:
    """install() again adds elements to a collection; singleton elements stay the same."""

    class More(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Middleware)

    container = InjectQ(HttpModule())
    auth = container.get(Server).middlewares[0]
    container.install(More())
    after = container.get(Server).middlewares
    assert kinds(after) == [Auth, Gzip, Cors, Middleware]
    assert after[0] is auth


def test_a_later_install_declares_a_collection_an_optional_parameter_waited_for() -> None:
    """A binding that got None for list[T] | None receives the collection once declared."""

    class Waits:
        def __init__(self, items: list[Middleware] | None = None) -> None:
            self.items = items

    container = InjectQ()
    container.bind(Waits)
    assert container.get(Waits).items is None
    container.install(HttpModule())
    assert kinds(container.get(Waits).items or []) == [Auth, Gzip, Cors]


def test_a_later_install_of_what_an_element_needs() -> None:
    """An element whose optional dependency is bound later is rebuilt with it."""

    class Tuned(Middleware):
        def __init__(self, level: int | None = None) -> None:
            self.level = level

    class Tunes(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Tuned)

    container = InjectQ(Tunes())
    assert container.get(list[Middleware])[0].level is None  # type: ignore[attr-defined]
    container.bind(int, 9)
    assert container.get(list[Middleware])[0].level == 9  # type: ignore[attr-defined]


def test_a_later_install_binding_the_list_replaces_the_collection() -> None:
    """install() of bind(list[T], ...) after the collection replaces it."""
    container = InjectQ(HttpModule())
    container.get(Server)
    mine: list[Middleware] = []
    container.bind(list[Middleware], mine)
    assert container.get(Server).middlewares is mine


# -- async and lifecycle ---------------------------------------------------------------------


class AsyncModule(Module):
    def configure(self) -> None:
        self.multibind(Middleware, Auth)

    @provider(multi=True)
    async def slow(self) -> Middleware:
        await asyncio.sleep(0)
        return Gzip()


def test_an_async_element_needs_aget() -> None:
    """A collection with an async element is resolved with aget(); get() names aget()."""
    container = InjectQ(AsyncModule())
    with pytest.raises(AsyncRequiredError, match=r"aget\(list\[Middleware\]\)"):
        container.get(list[Middleware])
    items = asyncio.run(container.aget(list[Middleware]))
    assert kinds(items) == [Auth, Gzip]


async def test_async_elements_in_an_async_scope() -> None:
    """Async generator elements are torn down by the scope that created them."""
    log: list[str] = []

    class Gen(Module):
        @provider(multi=True, scope="request")
        async def first(self) -> AsyncIterator[Middleware]:
            log.append("open 1")
            yield Auth()
            log.append("close 1")

        @provider(multi=True, scope="request")
        async def second(self) -> AsyncIterator[Middleware]:
            log.append("open 2")
            yield Gzip()
            log.append("close 2")

    container = InjectQ(Gen())
    async with container.scope() as scope:
        items = await scope.aget(list[Middleware])
        assert kinds(items) == [Auth, Gzip]
    assert log == ["open 1", "open 2", "close 2", "close 1"]


def test_elements_are_disposed_by_their_owners_in_reverse_creation_order() -> None:
    """Scoped elements go with their scope, singletons with the container, newest first."""
    log: list[str] = []

    def element(name: str) -> Callable[[], Iterator[Middleware]]:
        def make() -> Iterator[Middleware]:
            log.append(f"open {name}")
            yield Middleware()
            log.append(f"close {name}")

        return make

    class Gen(Module):
        def configure(self) -> None:
            self.multibind(Middleware).to_provider(element("s1")).singleton()
            self.multibind(Middleware).to_provider(element("r1")).scoped()
            self.multibind(Middleware).to_provider(element("s2")).singleton()
            self.multibind(Middleware).to_provider(element("r2")).scoped()

    container = InjectQ(Gen())
    with container.scope() as scope:
        scope.get(list[Middleware])
    assert log == ["open s1", "open r1", "open s2", "open r2", "close r2", "close r1"]
    container.close()
    assert log[-2:] == ["close s2", "close s1"]


@pytest.mark.usefixtures("fast_switching")
def test_a_singleton_element_is_built_once_under_16_threads() -> None:
    """16 threads resolving the collection at once share one singleton element."""
    built: list[object] = []

    class Slow(Middleware):
        def __init__(self) -> None:
            time.sleep(0.01)
            built.append(self)

    class Wiring(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Slow).singleton()
            self.multibind(Middleware, Gzip)

    container = InjectQ(Wiring())
    barrier = threading.Barrier(16)
    results: list[Any] = [None] * 16

    def work(i: int) -> None:
        barrier.wait(timeout=5)
        results[i] = container.get(list[Middleware])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    run_all(threads)
    assert len(built) == 1
    assert all(r[0] is built[0] for r in results)


async def test_a_singleton_element_is_built_once_under_concurrent_aget() -> None:
    """Concurrent aget() of the collection shares one async singleton element."""
    built: list[object] = []

    class Slow(Module):
        @provider(multi=True, scope="singleton")
        async def slow(self) -> Middleware:
            await asyncio.sleep(0.01)
            made = Middleware()
            built.append(made)
            return made

    container = InjectQ(Slow())
    results = await asyncio.wait_for(
        asyncio.gather(*(container.aget(list[Middleware]) for _ in range(50))), 10
    )
    assert len(built) == 1
    assert all(r[0] is built[0] for r in results)


def test_eager_singleton_elements_are_created_on_entering() -> None:
    """.eager() on an element makes it a singleton created when the container is entered."""
    built: list[str] = []

    class Eager(Middleware):
        def __init__(self) -> None:
            built.append("eager")

    class Wiring(Module):
        def configure(self) -> None:
            self.multibind(Middleware, Eager).eager()

    with InjectQ(Wiring()) as container:
        assert built == ["eager"]
        assert container.get(list[Middleware])[0] is container.get(list[Middleware])[0]


# -- seen ------------------------------------------------------------------------------------


def test_the_graph_view_shows_the_collection_and_its_elements() -> None:
    """GraphView lists the collection (kind "collection") and each element (role "element")."""
    view = InjectQ(HttpModule()).graph
    collection = view.get(list[Middleware])
    assert collection is not None
    assert collection.kind == "collection"
    assert [d.part for d in collection.dependencies] == [
        "Middleware (element 1 of list[Middleware])",
        "Middleware (element 2 of list[Middleware])",
        "Middleware (element 3 of list[Middleware])",
    ]
    elements = [info for info in view if info.role == "element"]
    assert [(e.key, e.scope, e.target) for e in elements] == [
        (Middleware, "singleton", "Auth"),
        (Middleware, "transient", "Gzip"),
        (Middleware, "transient", "HttpModule.cors"),
    ]
    assert elements[0].label == "Middleware (element 1 of list[Middleware])"
    assert view.get(Middleware) is None


def test_explain_shows_the_elements_under_the_collection() -> None:
    """explain(list[T]) shows each element, in order, with its own binding."""
    text = InjectQ(HttpModule()).graph.explain(list[Middleware])
    lines = text.splitlines()
    assert lines[0].startswith("list[Middleware]  [transient, collection of 3]  tests/")
    assert lines[1].startswith(
        "├── #1: Middleware (element 1 of list[Middleware])  =>  Middleware (element 1 of "
        "list[Middleware])  [singleton, class Auth]"
    )
    assert lines[3].startswith("└── #3: Middleware (element 3 of list[Middleware])")
    assert lines[4].startswith("    └── origins: str  =>  str  [singleton, <str instance>]")


def test_dot_and_mermaid_draw_an_edge_per_element() -> None:
    """to_dot() and to_mermaid() draw the collection's edges to its elements."""
    view = InjectQ(HttpModule()).graph
    dot = view.to_dot()
    assert 'label="list[Middleware]\\ncollection of 3"' in dot
    assert dot.count('[label="#') == 3
    mermaid = view.to_mermaid()
    assert "list[Middleware]<br/>collection of 3" in mermaid
    assert mermaid.count('|"#') == 3


def test_a_collection_next_to_a_singleton_parameter() -> None:
    """Regression: the collection's variable in generated code is its own, not a sibling's."""

    class Pair:
        def __init__(self, server: Server, items: list[Middleware]) -> None:
            self.server, self.items = server, items

    class Wiring(Module):
        def configure(self) -> None:
            self.multibind(Middleware)
            self.bind(Server).singleton()

    pair = InjectQ(Wiring()).get(Pair)
    assert type(pair.server) is Server
    assert pair.items == []


def test_an_element_contributed_inside_a_private_module() -> None:
    """It joins the collection everyone sees and is planned inside its module."""
    from injectq import PrivateModule

    class Secret:
        pass

    class UsesSecret(Middleware):
        def __init__(self, secret: Secret) -> None:
            self.secret = secret

    class Plugin(PrivateModule):
        def configure(self) -> None:
            self.bind(Secret).singleton()  # kept inside
            self.multibind(Middleware, UsesSecret)

    container = InjectQ(HttpModule(), Plugin(), strict=True)
    items = container.get(list[Middleware])
    assert kinds(items) == [Auth, Gzip, Cors, UsesSecret]
    assert isinstance(items[3].secret, Secret)  # type: ignore[attr-defined]
    with pytest.raises(MissingBindingError):
        container.get(Secret)  # still private
