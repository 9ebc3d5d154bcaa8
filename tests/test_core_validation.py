"""install() validates the whole graph and reports every problem at once."""

import abc
import inspect
from typing import Annotated, Protocol

import pytest

from injectq import (
    BindingError,
    CircularDependencyError,
    InjectQ,
    Module,
    Named,
    provider,
)

HERE = "tests/test_core_validation.py"


def line_of(marker: str) -> int:
    """The line number of the source line carrying ``# <marker>`` in this file."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()  # type: ignore[arg-type]
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# {marker}"))


class PaymentGateway(abc.ABC):
    @abc.abstractmethod
    def charge(self, cents: int) -> None: ...


class StripeGateway(PaymentGateway):
    def charge(self, cents: int) -> None:
        pass


class Checkout:
    def __init__(self, gateway: PaymentGateway) -> None:
        self.gateway = gateway


class RequestContext:
    pass


class AuditLog:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx


class BillingModule(Module):
    def configure(self) -> None:
        self.bind(Checkout)  # checkout-binding
        self.bind(PaymentGateway, StripeGateway, name="stripe")  # stripe-binding


class AuditModule(Module):
    def configure(self) -> None:
        self.bind(AuditLog).singleton()  # audit-binding
        self.bind(RequestContext).scoped()  # context-binding


def test_golden_message_for_missing_binding_and_captive_dependency() -> None:
    """The full text: numbered problems, file:line, module chain, suggestions and hints."""
    with pytest.raises(BindingError) as info:
        InjectQ(BillingModule(), AuditModule())
    expected = f"""2 problems found while installing BillingModule, AuditModule

1) [missing-binding] Nothing binds PaymentGateway.
   Requested by: parameter 'gateway' of Checkout.__init__
   Checkout bound at: {HERE}:{line_of("checkout-binding")} (in BillingModule)
   Did you mean: PaymentGateway named "stripe" ({HERE}:{line_of("stripe-binding")})?
   Not created just in time: PaymentGateway is abstract (it does not implement charge).
   Hint: bind it, e.g. self.bind(PaymentGateway, Impl), or make the parameter optional (gateway: PaymentGateway | None = None).

2) [captive-dependency] Singleton AuditLog depends on RequestContext, scoped "request".
   AuditLog bound at: {HERE}:{line_of("audit-binding")} (in AuditModule)
   RequestContext bound at: {HERE}:{line_of("context-binding")} (in AuditModule)
   Hint: make AuditLog scoped "request" too, or take Provider[RequestContext] instead, which resolves it in the scope active when called."""  # noqa: E501
    assert str(info.value) == expected
    assert info.value.codes == ("missing-binding", "captive-dependency")
    assert info.value.modules == ("BillingModule", "AuditModule")


class Alpha:
    def __init__(self, beta: "Beta") -> None:
        self.beta = beta


class Beta:
    def __init__(self, gamma: "Gamma") -> None:
        self.gamma = gamma


class Gamma:
    def __init__(self, alpha: Alpha) -> None:
        self.alpha = alpha


class CycleModule(Module):
    def configure(self) -> None:
        self.bind(Alpha)
        self.bind(Beta)
        self.bind(Gamma)


def test_cycle_is_a_circular_dependency_error_showing_the_path() -> None:
    """A cycle raises CircularDependencyError whose message shows A -> B -> C -> A."""
    with pytest.raises(CircularDependencyError) as info:
        InjectQ(CycleModule())
    assert info.value.codes == ("cycle",)
    assert "[cycle] Dependency cycle: Alpha -> Beta -> Gamma -> Alpha." in str(info.value)
    assert "Provider[T]" in str(info.value)  # the hint names the way out
    assert isinstance(info.value, BindingError)


class Service:
    pass


class Handler(Protocol):
    def handle(self) -> None: ...


class NoAnnotation:
    def __init__(self, thing) -> None:  # type: ignore[no-untyped-def]
        self.thing = thing


class Variadic:
    def __init__(self, *args: int) -> None:
        self.args = args


class Unresolvable:
    def __init__(self, dep: "DoesNotExist") -> None:  # type: ignore[name-defined] # noqa: F821
        self.dep = dep


class Concrete:
    pass


class Unfinished:  # no ABCMeta: abstract only because its abstract methods were set
    def run(self) -> None:
        pass


Unfinished.__abstractmethods__ = frozenset({"run"})  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("configure", "code", "phrases"),
    [
        pytest.param(
            lambda m: (m.bind(Service), m.bind(Service)),
            "duplicate-binding",
            ["Service is bound 2 times.", "Bound at:", "overrides=[...]", ".as_default()"],
            id="duplicate",
        ),
        pytest.param(
            lambda m: m.bind(PaymentGateway, PaymentGateway),
            "abstract-target",
            ["PaymentGateway is bound to PaymentGateway, which is abstract", "concrete class"],
            id="abstract",
        ),
        pytest.param(
            lambda m: m.bind(Unfinished),
            "abstract-target",
            ["Unfinished is bound to Unfinished, which is abstract (it does not implement run)"],
            id="abstract-without-abc",
        ),
        pytest.param(
            lambda m: m.bind(Handler, Handler),
            "abstract-target",
            ["is a Protocol"],
            id="protocol",
        ),
        pytest.param(
            lambda m: m.bind(Service).singleton().transient(),
            "scope-conflict",
            ["Service is given 2 scopes: singleton, transient."],
            id="two-scopes",
        ),
        pytest.param(
            lambda m: m.bind(Service).scoped().eager(),
            "scope-conflict",
            ["eager but scoped 'request'"],
            id="eager-scoped",
        ),
        pytest.param(
            lambda m: m.bind(Service, "not a service"),
            "wrong-instance-type",
            ["Service is bound to the instance 'not a service', of type str"],
            id="wrong-instance",
        ),
        pytest.param(
            lambda m: m.bind(Service, Concrete),
            "wrong-target-type",
            ["Service is bound to Concrete, which is not a subclass of Service."],
            id="wrong-class",
        ),
        pytest.param(
            lambda m: m.bind("Service", Service),
            "invalid-key",
            ["the string 'Service' is not a type"],
            id="string-key",
        ),
        pytest.param(
            lambda m: m.bind(None, Service),
            "invalid-key",
            ["None is not a type"],
            id="none-key",
        ),
        pytest.param(
            lambda m: m.bind([Service], Service),
            "invalid-key",
            ["is not hashable"],
            id="unhashable-key",
        ),
        pytest.param(
            lambda m: m.bind(NoAnnotation),
            "missing-annotation",
            ["Parameter 'thing' of NoAnnotation.__init__ has no type annotation"],
            id="unannotated",
        ),
        pytest.param(
            lambda m: m.bind(Variadic),
            "variadic-parameter",
            ["Variadic.__init__ takes *args"],
            id="variadic",
        ),
        pytest.param(
            lambda m: m.bind(Unresolvable),
            "unreadable-signature",
            ["a forward reference in its annotations does not resolve", "DoesNotExist"],
            id="forward-ref",
        ),
        pytest.param(
            lambda m: m.bind(Service).named(""),
            "invalid-binding",
            ["named() takes a non-empty string"],
            id="empty-name",
        ),
        pytest.param(
            lambda m: m.bind(Service).scoped("singleton"),
            "invalid-binding",
            ["use .singleton() or .transient() for those"],
            id="scoped-singleton",
        ),
        pytest.param(
            lambda m: m.bind(Service, Service).to(Concrete),
            "invalid-binding",
            ["the target is set twice"],
            id="target-twice",
        ),
    ],
)
def test_each_install_problem_is_reported(configure, code, phrases) -> None:  # type: ignore[no-untyped-def]
    """Each kind of bad binding is one numbered problem with its code and key phrases."""

    class Bad(Module):
        def configure(self) -> None:
            configure(self)

    with pytest.raises(BindingError) as info:
        InjectQ(Bad())
    assert code in info.value.codes
    message = str(info.value)
    for phrase in phrases:
        assert phrase in message
    assert "Hint: " in message
    assert f"{HERE}:" in message  # where it was bound


def test_provider_without_return_annotation_is_reported() -> None:
    """An @provider method must say what it provides."""

    class NoReturn(Module):
        @provider  # no-return
        def make(self):  # type: ignore[no-untyped-def]
            return Service()

    with pytest.raises(BindingError) as info:
        InjectQ(NoReturn())
    assert info.value.codes == ("invalid-binding",)
    assert str(info.value.problems[0].render(1)) == (
        "1) [invalid-binding] @provider NoReturn.make cannot provide anything: it has no "
        "return annotation, so injectq cannot tell what it provides.\n"
        f"   Bound at: {HERE}:{line_of('no-return')} (in NoReturn)\n"
        "   Hint: annotate the type it provides: def make(self, ...) -> SomeService."
    )


def test_every_problem_is_reported_in_one_error() -> None:
    """Independent problems across modules come together, numbered in order."""

    class First(Module):
        def configure(self) -> None:
            self.bind(Checkout)
            self.bind(Service).singleton().transient()

    class Second(Module):
        def configure(self) -> None:
            self.bind(PaymentGateway, PaymentGateway)
            self.bind(Alpha)
            self.bind(Beta)
            self.bind(Gamma)

    with pytest.raises(CircularDependencyError) as info:
        InjectQ(First(), Second())
    assert sorted(info.value.codes) == sorted(
        ["scope-conflict", "abstract-target", "missing-binding", "cycle"]
    )
    text = str(info.value)
    assert text.startswith("4 problems found while installing First, Second")
    for n in range(1, 5):
        assert f"\n{n}) [" in text


def test_duplicate_lists_every_place_and_other_problems_of_each() -> None:
    """A duplicate names both places, and each duplicate's own problems are still found."""

    class A(Module):
        def configure(self) -> None:
            self.bind(PaymentGateway, PaymentGateway)

    class B(Module):
        def configure(self) -> None:
            self.bind(PaymentGateway, StripeGateway)

    with pytest.raises(BindingError) as info:
        InjectQ(A(), B())
    assert set(info.value.codes) == {"abstract-target", "duplicate-binding"}
    assert str(info.value).count("(in A)") >= 1
    assert str(info.value).count("(in B)") == 1


def test_as_default_gives_way_in_either_order() -> None:
    """A default binding is replaced by any other binding of the key, without a duplicate."""

    class Library(Module):
        def configure(self) -> None:
            self.bind(PaymentGateway, StripeGateway).as_default()

    class Fake(PaymentGateway):
        def charge(self, cents: int) -> None:
            pass

    class App(Module):
        def configure(self) -> None:
            self.bind(PaymentGateway, Fake)

    assert type(InjectQ(Library(), App()).get(PaymentGateway)) is Fake
    assert type(InjectQ(App(), Library()).get(PaymentGateway)) is Fake
    assert type(InjectQ(Library()).get(PaymentGateway)) is StripeGateway


def test_two_defaults_still_conflict() -> None:
    """Two defaults for one key are ambiguous, like two ordinary bindings."""

    class One(Module):
        def configure(self) -> None:
            self.bind(PaymentGateway, StripeGateway).as_default()

    class Two(Module):
        def configure(self) -> None:
            self.bind(PaymentGateway, StripeGateway).as_default()

    with pytest.raises(BindingError, match="is bound 2 times"):
        InjectQ(One(), Two())


def test_named_binding_missing_suggests_the_names_that_exist() -> None:
    """Asking for a wrong name at install time suggests the bound names of that type."""

    class Wants:
        def __init__(self, gw: Annotated[PaymentGateway, Named("paypal")]) -> None:
            self.gw = gw

    class M(Module):
        def configure(self) -> None:
            self.bind(PaymentGateway, StripeGateway, name="stripe")
            self.bind(Wants)

    with pytest.raises(BindingError) as info:
        InjectQ(M())
    text = str(info.value)
    assert 'Nothing binds PaymentGateway named "paypal".' in text
    assert 'Did you mean: PaymentGateway named "stripe"' in text


def test_strict_container_reports_unbound_concrete_classes() -> None:
    """With strict=True a needed but unbound concrete class is a missing binding."""

    class NeedsConcrete:
        def __init__(self, c: Concrete) -> None:
            self.c = c

    class M(Module):
        def configure(self) -> None:
            self.bind(NeedsConcrete)

    with pytest.raises(BindingError) as info:
        InjectQ(M(), strict=True)
    assert info.value.codes == ("missing-binding",)
    assert "the container is strict" in str(info.value)
    assert isinstance(InjectQ(M()).get(NeedsConcrete).c, Concrete)  # JIT when not strict


def test_failed_install_leaves_the_previous_graph_in_place() -> None:
    """A second install() that fails changes nothing: the container keeps serving."""
    container = InjectQ()
    container.bind(Service, scope="singleton")
    first = container.get(Service)
    with pytest.raises(BindingError):
        container.install(CycleModule())
    assert container.get(Service) is first
    assert container.graph.get(Alpha) is None


def test_captive_hint_for_a_named_binding_is_valid_code() -> None:
    """The Provider suggestion for a named scoped binding spells the real annotation."""

    class Holder:
        def __init__(self, ctx: Annotated[RequestContext, Named("current")]) -> None:
            self.ctx = ctx

    class M(Module):
        def configure(self) -> None:
            self.bind(RequestContext, name="current").scoped()
            self.bind(Holder).singleton()

    with pytest.raises(BindingError) as info:
        InjectQ(M())
    assert 'take Provider[Annotated[RequestContext, Named("current")]] instead' in str(info.value)


class Cache:
    pass


class Unrelated:
    pass


class SubCache(Cache):
    pass


def test_to_provider_of_a_class_that_is_not_the_key_is_a_wrong_target() -> None:
    """to_provider(C) builds a C: a C that is not the key is refused as bind(K, C) is."""

    class Wrong(Module):
        def configure(self) -> None:
            self.bind(Cache).to_provider(Unrelated)  # type: ignore[arg-type]

    with pytest.raises(BindingError) as info:
        InjectQ(Wrong())
    assert info.value.codes == ("wrong-target-type",)
    lines = str(info.value).splitlines()
    assert lines[2] == (
        "1) [wrong-target-type] Cache is provided by to_provider(Unrelated), which makes "
        "Unrelated instances; Unrelated is not a subclass of Cache."
    )
    assert lines[-1] == (
        "   Hint: give to_provider() a function that returns a Cache instance, or bind Cache "
        "to one of its subclasses."
    )

    class Right(Module):
        def configure(self) -> None:
            self.bind(Cache).to_provider(SubCache)

    assert type(InjectQ(Right()).get(Cache)) is SubCache
