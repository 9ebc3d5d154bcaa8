"""The compiler: frozen elements, incremental compiles, the just-in-time overlay, lazy sources."""

import abc
import inspect
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

import injectq._drafts
import injectq._introspect
import injectq._source
from injectq import (
    BindingError,
    InjectQ,
    MissingBindingError,
    Module,
    ResolutionError,
    UsageError,
    provider,
    singleton,
)
from injectq._module import collect
from tests.threads import run_all


class Config:
    pass


class DbModule(Module):
    def configure(self) -> None:
        self.bind(Config).singleton()


def test_module_installed_again_with_an_equal_instance_is_not_a_duplicate() -> None:
    """An instance installed before de-duplicates with a fresh equal one."""
    m = DbModule()
    InjectQ(m)
    c = InjectQ(m, DbModule())
    assert isinstance(c.get(Config), Config)


def test_configuring_a_module_leaves_its_attributes_alone() -> None:
    """Collecting a module sets nothing on it."""
    m = DbModule()
    InjectQ(m)
    assert vars(m) == {}


def test_elements_are_frozen_once_collected() -> None:
    """What collect() returns cannot be changed afterwards."""
    element = collect((DbModule(),)).records[0]
    assert element.scopes == ("singleton",)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        element.name = "other"  # type: ignore[misc]


def test_source_of_a_just_in_time_class_is_found_only_when_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A JIT class's file:line (inspect parses its module) waits until a tool shows it."""
    calls: list[object] = []
    real = inspect.getsourcelines

    def counting(obj: Any) -> Any:
        calls.append(obj)
        return real(obj)

    monkeypatch.setattr(inspect, "getsourcelines", counting)
    c = InjectQ()
    assert isinstance(c.get(logging.Formatter), logging.Formatter)
    assert calls == []
    info = c.graph.get(logging.Formatter)
    assert info is not None
    assert info.file.endswith("logging/__init__.py")
    assert calls == [logging.Formatter]
    assert info.line == real(logging.Formatter)[1]


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    read: list[Any] = []
    real = injectq._introspect.read_class

    def counting(cls: Any) -> Any:
        read.append(cls)
        return real(cls)

    monkeypatch.setattr(injectq._drafts, "read_class", counting)
    return read


def test_bind_compiles_only_what_is_new(monkeypatch: pytest.MonkeyPatch) -> None:
    """One more binding on top of many reads one constructor, not all of them."""
    classes = [type(f"C{i}", (), {}) for i in range(200)]

    class Many(Module):
        def configure(self) -> None:
            for cls in classes:
                self.bind(cls)

    c = InjectQ(Many())
    read = _counting_reads(monkeypatch)
    extra = type("Extra", (), {})
    c.bind(extra)
    assert read == [extra]
    assert len(c.graph) == 201


class Optional:
    pass


class UsesOptional:
    def __init__(self, dep: Optional | None = None) -> None:
        self.dep = dep


class Unrelated:
    pass


class Both(Module):
    def configure(self) -> None:
        self.bind(UsesOptional).singleton()
        self.bind(Unrelated).singleton()


def test_bind_recompiles_what_asked_for_the_new_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A binding that got None for an unbound key gets the new binding; others stay shared."""
    c = InjectQ(Both())
    before, unrelated = c.get(UsesOptional), c.get(Unrelated)
    assert before.dep is None
    read = _counting_reads(monkeypatch)
    c.bind(Optional)
    after = c.get(UsesOptional)
    assert isinstance(after.dep, Optional)
    assert after is not before
    assert c.get(Unrelated) is unrelated
    assert sorted(cls.__name__ for cls in read) == ["Optional", "UsesOptional"]


class Store(abc.ABC):
    @abc.abstractmethod
    def save(self) -> None: ...


class MemoryStore(Store):
    def save(self) -> None:
        pass


class DiskStore(Store):
    def save(self) -> None:
        pass


class UsesStore:
    def __init__(self, store: Store) -> None:
        self.store = store


class Library(Module):
    def configure(self) -> None:
        self.bind(Store, MemoryStore).as_default()
        self.bind(UsesStore)


class App(Module):
    def configure(self) -> None:
        self.bind(Store, DiskStore)  # app-store


def test_a_later_install_replaces_a_default_and_its_users() -> None:
    """install() of a binding over an as_default() one replaces it for its users too."""
    c = InjectQ(Library())
    assert isinstance(c.get(UsesStore).store, MemoryStore)
    c.install(App())
    assert isinstance(c.get(UsesStore).store, DiskStore)


def test_a_later_install_of_a_bound_key_is_a_duplicate_naming_both() -> None:
    """Binding an installed key again in a later install lists both places."""
    c = InjectQ(App())
    with pytest.raises(BindingError) as info:
        c.install(App())
    assert info.value.codes == ("duplicate-binding",)
    assert info.value.problems[0].message == "Store is bound 2 times."
    assert len(info.value.problems[0].details) == 2


@singleton
class Cached:
    pass


def test_just_in_time_bindings_go_to_an_overlay_not_a_new_graph() -> None:
    """get() of an unbound class leaves the installed graph in place and serves it after."""
    c = InjectQ(DbModule())
    graph = c._graph
    first = c.get(Cached)
    assert c._graph is graph
    assert c.get(Cached) is first
    info = c.graph.get(Cached)
    assert info is not None
    assert info.just_in_time


class C(abc.ABC):
    @abc.abstractmethod
    def run(self) -> None: ...


class B:
    def __init__(self, c: C) -> None:
        self.c = c


class A:
    def __init__(self, b: B) -> None:
        self.b = b


DEEP = (
    "Nothing binds C.\n"
    "Requested by: parameter 'c' of B.__init__\n"
    "B created just in time because A needed it\n"
    "A created just in time for get(A)\n"
    "Not created just in time: C is abstract (it does not implement run).\n"
    "Resolution path: A -> B -> C\n"
    "Hint: bind it, e.g. self.bind(C, Impl), or make the parameter optional (c: C | None = None)."
)


def test_deep_missing_dependency_behind_just_in_time_classes() -> None:
    """get(A), A -> B -> C with C abstract: MissingBindingError for C with its path."""
    with pytest.raises(MissingBindingError) as info:
        InjectQ().get(A)
    assert (info.value.key, info.value.path) == ("C", ["A", "B", "C"])
    assert str(info.value) == DEEP


async def test_deep_missing_dependency_behind_just_in_time_classes_async() -> None:
    """aget(A) raises the same MissingBindingError as get(A)."""
    with pytest.raises(MissingBindingError) as info:
        await InjectQ().aget(A)
    assert (info.value.key, info.value.path) == ("C", ["A", "B", "C"])
    assert str(info.value) == DEEP


HERE = "tests/test_compiler.py"


def line_of(marker: str) -> int:
    """The line number of the source line carrying ``# <marker>`` in this file."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()  # type: ignore[arg-type]
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# {marker}"))


class Settings:
    def __init__(self, dsn: str, name: str) -> None:
        self.dsn = dsn
        self.name = name


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


class ForgotSettings(Module):
    def configure(self) -> None:
        self.bind(Service)  # service-binding


def test_forgotten_settings_module_is_one_root_cause() -> None:
    """An unbound Settings(dsn: str, name: str): one problem saying to bind Settings."""
    with pytest.raises(BindingError) as info:
        InjectQ(ForgotSettings())
    assert str(info.value) == (
        "1 problem found while installing ForgotSettings\n\n"
        "1) [missing-binding] Nothing binds Settings.\n"
        "   Requested by: parameter 'settings' of Service.__init__\n"
        f"   Service bound at: {HERE}:{line_of('service-binding')} (in ForgotSettings)\n"
        "   Tried just in time because Service needed it, but its parameters cannot be "
        "injected: 'dsn' (nothing binds str), 'name' (nothing binds str).\n"
        "   Hint: bind Settings (or install the module that binds it), e.g. "
        "self.bind(Settings, Settings(...)) or a @provider returning Settings."
    )


class Front:
    def __init__(self, a: A) -> None:
        self.a = a


class FrontModule(Module):
    def configure(self) -> None:
        self.bind(Front)  # front-binding


def test_problem_of_a_just_in_time_class_says_who_needed_it() -> None:
    """A missing dependency two just-in-time classes down names the chain to the binding."""
    with pytest.raises(BindingError) as info:
        InjectQ(FrontModule())
    assert str(info.value) == (
        "1 problem found while installing FrontModule\n\n"
        "1) [missing-binding] Nothing binds C.\n"
        "   Requested by: parameter 'c' of B.__init__\n"
        "   B created just in time because A needed it\n"
        "   A created just in time because Front needed it\n"
        f"   Front bound at: {HERE}:{line_of('front-binding')} (in FrontModule)\n"
        "   Not created just in time: C is abstract (it does not implement run).\n"
        "   Hint: bind it, e.g. self.bind(C, Impl), or make the parameter optional "
        "(c: C | None = None)."
    )


class Connection:
    def __init__(self, *options: str) -> None:
        self.options = options


class Repository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection


class WrongProvider(Module):
    def configure(self) -> None:
        self.bind(Repository)

    @provider  # wrong-provider
    async def connection(self) -> Connection:  # type: ignore[misc]
        yield Connection()


def test_wrong_provider_annotation_is_reported_once() -> None:
    """An async generator annotated -> T: its own problem only, no knock-on problems."""
    with pytest.raises(BindingError) as info:
        InjectQ(WrongProvider())
    assert str(info.value) == (
        "1 problem found while installing WrongProvider\n\n"
        "1) [invalid-binding] @provider WrongProvider.connection cannot provide anything: it "
        "is an async generator annotated Connection, so it provides no type.\n"
        f"   Bound at: {HERE}:{line_of('wrong-provider')} (in WrongProvider)\n"
        "   Hint: annotate it -> AsyncIterator[Connection] to provide Connection."
    )


class RightProvider(Module):
    @provider
    async def connection(self) -> AsyncIterator[Connection]:
        yield Connection("fast")


async def test_async_generator_provider_with_the_right_annotation_serves_its_value() -> None:
    """The hint's annotation is the one that works."""
    c = InjectQ(RightProvider())
    async with c:
        assert (await c.aget(Connection)).options == ("fast",)


@singleton
class JitSingleton:
    pass


class UsesJitSingleton:
    def __init__(self, single: JitSingleton) -> None:
        self.single = single


@singleton
class JitWithOptional:
    def __init__(self, dep: Optional | None = None) -> None:
        self.dep = dep


def test_just_in_time_singleton_stays_shared_across_an_unrelated_install() -> None:
    """A singleton created just in time is the same object after bind() and in an override."""
    c = InjectQ()
    single = c.get(JitSingleton)
    assert c.get(UsesJitSingleton).single is single
    c.bind(Unrelated)
    assert c.get(JitSingleton) is single
    assert c.get(UsesJitSingleton).single is single
    with c.override(Unrelated, Unrelated()):
        assert c.get(JitSingleton) is single
    assert c.get(JitSingleton) is single


def test_just_in_time_singleton_is_rebuilt_when_what_it_asked_for_is_bound() -> None:
    """A just-in-time node whose parameter would now get a binding is compiled afresh."""
    c = InjectQ()
    before = c.get(JitWithOptional)
    assert before.dep is None
    c.bind(Optional)
    after = c.get(JitWithOptional)
    assert after is not before
    assert isinstance(after.dep, Optional)


@singleton
class SharedJit:
    pass


class NeedsShared:
    def __init__(self, shared: SharedJit) -> None:
        self.shared = shared


@pytest.mark.usefixtures("fast_switching")
def test_threads_creating_just_in_time_bindings_at_once_share_one_singleton() -> None:
    """Eight threads racing through first get()/call() of unbound classes: one singleton."""
    fresh = [type(f"Fresh{i}", (NeedsShared,), {}) for i in range(40)]

    def takes(needs: NeedsShared) -> SharedJit:
        return needs.shared

    c = InjectQ()
    seen: list[object] = []
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for cls in fresh[offset::8]:
                seen.append(c.get(cls).shared)
            seen.append(c.get(SharedJit))
            seen.append(c.call(takes))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    run_all(threads)
    assert errors == []
    assert len(seen) == 40 + 16
    assert all(s is seen[0] for s in seen)
    assert len(c._graph.jit) == 42  # the 40 classes, SharedJit and NeedsShared


class Channel:
    pass


class Email(Channel):
    pass


class Pager(Channel):
    pass


class Notifier:
    def __init__(self, channels: dict[str, Channel]) -> None:
        self.channels = channels


class Channels(Module):
    def configure(self) -> None:
        self.bind(Channel, Email, name="email")
        self.bind(Notifier).singleton()
        self.bind(Channel, Email, name="urgent").as_default()


def test_a_later_named_binding_reaches_the_mappings_that_asked_for_its_type() -> None:
    """A later named binding reaches dict[str, K] users; a replaced default keeps its place."""
    c = InjectQ(Channels())
    assert list(c.get(Notifier).channels) == ["email", "urgent"]
    c.bind(Channel, Pager, name="night")
    assert list(c.get(Notifier).channels) == ["email", "urgent", "night"]
    c.bind(Channel, Pager, name="urgent")
    kinds = {name: type(ch) for name, ch in c.get(Notifier).channels.items()}
    assert kinds == {"email": Email, "urgent": Pager, "night": Pager}
    assert list(c.get_all(Channel)) == ["email", "urgent", "night"]


class Ping:
    def __init__(self, pong: "Pong") -> None:
        self.pong = pong


class Pong:
    def __init__(self, ping: Ping) -> None:
        self.ping = ping


def _cycle_text() -> str:
    ping, pong = (inspect.getsourcelines(cls)[1] for cls in (Ping, Pong))
    return (
        "Dependency cycle: Ping -> Pong -> Ping.\n"
        f"Ping defined at: {HERE}:{ping}\n"
        f"Pong defined at: {HERE}:{pong}\n"
        "Hint: break the cycle: let one side take Provider[T] (resolved when called) instead "
        "of T, or move the shared part into a third class."
    )


def test_cycle_among_just_in_time_classes_is_a_resolution_error() -> None:
    """get() of a class whose just-in-time dependencies loop back: the cycle, its path."""
    with pytest.raises(ResolutionError) as info:
        InjectQ().get(Ping)
    assert info.value.key == "Ping"
    assert str(info.value) == _cycle_text()


async def test_cycle_among_just_in_time_classes_is_a_resolution_error_async() -> None:
    """aget() reports the same cycle as get()."""
    with pytest.raises(ResolutionError) as info:
        await InjectQ().aget(Ping)
    assert str(info.value) == _cycle_text()


def test_install_does_not_work_out_file_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """The file of each bind() call is made relative only when something shows it."""
    made: list[str] = []
    real = injectq._source._relative

    def counting(path: str) -> str:
        made.append(path)
        return real(path)

    monkeypatch.setattr(injectq._source, "_relative", counting)
    c = InjectQ(Both(), DbModule())
    c.get(UsesOptional)
    assert made == []
    info = c.graph.get(Unrelated)
    assert info is not None
    assert info.file == HERE
    assert set(made) == {__file__}  # the view shows every binding: each worked out once
    assert len(made) == len(c.graph)


def test_builder_used_after_install_is_refused() -> None:
    """A bind() builder kept past configure() cannot change the recorded binding."""
    kept: list[Any] = []

    class Keeps(Module):
        def configure(self) -> None:
            kept.append(self.bind(Config))  # kept-builder

    c = InjectQ(Keeps())
    with pytest.raises(UsageError) as info:
        kept[0].singleton()
    assert str(info.value) == (
        f"The binding of Config made at {HERE}:{line_of('kept-builder')} (in Keeps) was recorded "
        "when its module was installed, so .singleton() on it now would change nothing. Hint: "
        "chain the builder calls inside configure(), e.g. self.bind(K, Impl).singleton()."
    )
    assert c.get(Config) is not c.get(Config)  # still transient


class _Plain:
    pass


def test_install_pauses_the_garbage_collector_and_resumes_it() -> None:
    """install() runs with the collector off and leaves it as it found it, also on errors."""
    import gc

    from injectq import BindingError

    seen: list[bool] = []

    class Watching(Module):
        def configure(self) -> None:
            seen.append(gc.isenabled())
            self.bind(_Plain)

    class Broken(Module):
        def configure(self) -> None:
            self.bind(_Plain, int)  # type: ignore[arg-type]  # a wrong target: install raises

    assert gc.isenabled()
    InjectQ(Watching())
    assert seen == [False]
    assert gc.isenabled()
    with pytest.raises(BindingError):
        InjectQ(Broken())
    assert gc.isenabled()
    gc.disable()
    try:
        InjectQ(Watching())
        assert not gc.isenabled()  # one that was off stays off
    finally:
        gc.enable()
