"""Injection points: a provider that knows who asks (``InjectionPoint``)."""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import pytest

from injectq import (
    INJECTED,
    BindingError,
    Factory,
    InjectionPoint,
    InjectQ,
    Module,
    Named,
    Provider,
    inject,
    provider,
)
from tests.threads import run_all

log: list[str] = []


@pytest.fixture(autouse=True)
def clear_log() -> Iterator[None]:
    log.clear()
    yield
    log.clear()


class LoggerModule(Module):
    @provider
    def logger(self, point: InjectionPoint) -> logging.Logger:
        return logging.getLogger(point.owner.__qualname__ if point.owner else "app")


class Orders:
    def __init__(self, log: logging.Logger) -> None:
        self.log = log


class Billing:
    def __init__(self, log: logging.Logger, audit: logging.Logger) -> None:
        self.log = log
        self.audit = audit


class Label:
    """A value built from its point, so each point's value can be told apart."""

    def __init__(self, point: InjectionPoint) -> None:
        self.point = point


class Labelled:
    def __init__(self, first: Label, second: Label) -> None:
        self.first = first
        self.second = second


def test_a_provider_receives_the_point_of_each_parameter_it_is_injected_into() -> None:
    """The owner is the consuming class; the parameter is the consuming parameter's name."""
    container = InjectQ(LoggerModule())
    assert container.get(Orders).log.name == "Orders"
    labelled = container.get(Labelled)
    assert labelled.first.point == InjectionPoint(Label, None, Labelled, "first")
    assert labelled.second.point == InjectionPoint(Label, None, Labelled, "second")
    assert labelled.first is not container.get(Labelled).first  # transient: new each time


def test_a_direct_get_has_no_owner_and_no_parameter() -> None:
    """``get()`` asks for itself: owner and parameter are None."""
    container = InjectQ(LoggerModule())
    assert container.get(logging.Logger).name == "app"
    assert container.get(Label).point == InjectionPoint(Label, None, None, None)


def test_the_point_names_the_key_asked_for_with_its_name() -> None:
    """A named binding's point carries the name asked for."""

    class Named_(Module):
        def configure(self) -> None:
            self.bind(Label, name="primary")

    class Uses:
        def __init__(self, label: Annotated[Label, Named("primary")]) -> None:
            self.label = label

    point = InjectQ(Named_()).get(Uses).label.point
    assert (point.key, point.name, point.owner, point.parameter) == (
        Label,
        "primary",
        Uses,
        "label",
    )


def test_owners_are_the_implementation_class_the_provider_or_the_product() -> None:
    """``bind(I, Impl)``: Impl; a provider function: the function; a factory product: T."""
    from injectq import Assisted

    class Port:
        pass

    class Adapter(Port):
        def __init__(self, label: Label) -> None:
            self.label = label

    def make_labelled(label: Label) -> Labelled:
        return Labelled(label, label)

    class Made:
        def __init__(self, label: Label, n: Assisted[int]) -> None:
            self.label = label

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Port, Adapter)
            self.bind(Labelled, make_labelled)

    container = InjectQ(Wiring())
    adapter = container.get(Port)
    assert isinstance(adapter, Adapter)
    assert adapter.label.point.owner is Adapter
    assert container.get(Labelled).first.point.owner is make_labelled
    assert container.get(Factory[Made])(1).label.point.owner is Made


def test_call_and_inject_pass_the_function_as_owner() -> None:
    """Through ``call()`` and ``@inject`` the owner is the function."""

    def handler(order_id: int, log: logging.Logger) -> str:
        return log.name

    @inject
    def injected(label: Label = INJECTED) -> Label:
        return label

    container = InjectQ(LoggerModule())
    assert (
        container.call(handler, 1)
        == "test_call_and_inject_pass_the_function_as_owner.<locals>.handler"
    )
    with container.activate():
        assert injected().point.owner is injected.__wrapped__  # type: ignore[attr-defined]
        assert injected().point.parameter == "label"


def test_a_provider_passes_the_point_of_the_parameter_holding_it() -> None:
    """``Provider[T]`` of such a binding: the point of the parameter that holds the provider."""

    class Later:
        def __init__(self, label: Provider[Label]) -> None:
            self.label = label

    later = InjectQ().get(Later)
    assert later.label().point == InjectionPoint(Label, None, Later, "label")
    assert later.label() is not later.label()


def test_each_point_gets_its_own_node_once_and_the_graph_keeps_it() -> None:
    """Points are computed at install: a second install keeps the consumers' nodes."""

    class Extra:
        pass

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Labelled).singleton()

    class More(Module):
        def configure(self) -> None:
            self.bind(Extra)

    container = InjectQ(Wiring())
    first = container.get(Labelled)
    container.install(More())
    assert container.get(Labelled) is first  # untouched singleton stays shared


@pytest.mark.parametrize("scope", ["singleton", "request"])
def test_binding_one_as_a_singleton_or_scoped_is_refused(scope: str) -> None:
    """One instance cannot serve every point: an install-time problem of its own."""

    class Wiring(Module):
        def configure(self) -> None:
            builder = self.bind(Label)
            builder.singleton() if scope == "singleton" else builder.scoped()

    with pytest.raises(BindingError) as info:
        InjectQ(Wiring())
    assert info.value.codes == ("injection-point-scope",)
    assert "takes an InjectionPoint (parameter 'point')" in str(info.value)


def test_a_provider_method_bound_as_a_singleton_is_refused() -> None:
    """``@provider(scope="singleton")`` taking a point: the same problem."""

    class Wiring(Module):
        @provider(scope="singleton")
        def logger(self, point: InjectionPoint) -> logging.Logger:
            return logging.getLogger("x")

    with pytest.raises(BindingError) as info:
        InjectQ(Wiring())
    assert info.value.codes == ("injection-point-scope",)


@pytest.mark.usefixtures("fast_switching")
def test_a_singleton_consumer_gets_its_own_point_and_is_built_once_under_threads() -> None:
    """A singleton holding a point-built value: built once by 16 threads at 1 µs."""
    built: list[object] = []

    class Shared:
        def __init__(self, label: Label) -> None:
            built.append(self)
            self.label = label

    class Wiring(Module):
        def configure(self) -> None:
            self.bind(Shared).singleton()

    container = InjectQ(Wiring())
    found: list[object] = []
    threads = [
        threading.Thread(target=lambda: found.append(container.get(Shared))) for _ in range(16)
    ]
    run_all(threads, timeout=30)
    assert len(built) == 1
    assert {id(s) for s in found} == {id(built[0])}
    assert built[0].label.point.owner is Shared  # type: ignore[attr-defined]


def test_the_async_twin_resolves_points_through_async_providers() -> None:
    """An async provider taking a point, resolved through aget()."""

    class Tag:
        def __init__(self, owner: object) -> None:
            self.owner = owner

    class Tagged:
        def __init__(self, tag: Tag) -> None:
            self.tag = tag

    class Wiring(Module):
        @provider
        async def tag(self, point: InjectionPoint) -> Tag:
            await asyncio.sleep(0)
            return Tag(point.owner)

    container = InjectQ(Wiring())

    async def scenario() -> None:
        tagged = await container.aget(Tagged)
        assert tagged.tag.owner is Tagged
        assert (await container.aget(Tag)).owner is None
        together = await asyncio.gather(*(container.aget(Tagged) for _ in range(8)))
        assert {t.tag.owner for t in together} == {Tagged}

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_point_built_resources_belong_to_the_scope_they_were_resolved_in() -> None:
    """A generator provider taking a point: one per point, disposed newest first."""

    class Handle:
        def __init__(self, who: str) -> None:
            self.who = who

    class TwoHandles:
        def __init__(self, a: Handle, b: Handle) -> None:
            self.a = a
            self.b = b

    class Wiring(Module):
        @provider
        def handle(self, point: InjectionPoint) -> Iterator[Handle]:
            who = point.parameter or "direct"
            log.append(f"open {who}")
            yield Handle(who)
            log.append(f"close {who}")

    container = InjectQ(Wiring())
    with container.scope() as scope:
        both = scope.get(TwoHandles)
        assert (both.a.who, both.b.who) == ("a", "b")
    assert log == ["open a", "open b", "close b", "close a"]
    log.clear()

    class AsyncWiring(Module):
        @provider
        async def handle(self, point: InjectionPoint) -> AsyncIterator[Handle]:
            who = point.parameter or "direct"
            log.append(f"open {who}")
            yield Handle(who)
            log.append(f"close {who}")

    async def scenario() -> None:
        other = InjectQ(AsyncWiring())
        async with other.scope() as scope:
            both = await scope.aget(TwoHandles)
            assert both.b.who == "b"
        assert log == ["open a", "open b", "close b", "close a"]

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_override_replaces_a_point_binding_and_restores_it() -> None:
    """Overriding the point-built key: the replacement serves; afterwards the original."""

    class Fixed(Label):
        pass

    container = InjectQ()
    with container.override(Label, lambda: Fixed(InjectionPoint(Label))):
        assert type(container.get(Labelled).first) is Fixed
    labelled = container.get(Labelled)
    assert type(labelled.first) is Label
    assert labelled.first.point.parameter == "first"

    class ByPoint(Module):
        @provider
        def label(self, point: InjectionPoint) -> Label:
            return Fixed(point)

    with container.override(ByPoint()):
        inside = container.get(Labelled)
        assert type(inside.second) is Fixed
        assert inside.second.point.parameter == "second"
    assert type(container.get(Labelled).second) is Label


def test_the_graph_view_marks_point_bindings() -> None:
    """The view: a dependency of strategy "point", a flag on the binding."""
    graph = InjectQ(LoggerModule()).graph
    info = graph.get(logging.Logger)
    assert info is not None
    assert info.injection_point
    assert [(d.parameter, d.strategy) for d in info.dependencies] == [("point", "point")]
    text = graph.to_text()
    assert "per injection point" in text
    assert "    point: the injection point (who asks)" in text
