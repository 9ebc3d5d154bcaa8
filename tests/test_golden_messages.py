"""Golden texts: the full message of every install-time problem code, exactly."""

import abc
import inspect
import re
from collections.abc import Callable
from typing import Generic, Literal, Protocol, TypeVar

import pytest

from injectq import (
    Assisted,
    BindingError,
    Factory,
    InjectionPoint,
    InjectQ,
    Module,
    PrivateModule,
)

HERE = "tests/test_golden_messages.py"


def line_of(marker: str) -> int:
    """The line number of the source line carrying ``# <marker>`` in this file."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()  # type: ignore[arg-type]
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# {marker}"))


class Service:
    pass


class Other:
    pass


class Port(abc.ABC):
    @abc.abstractmethod
    def open(self) -> None: ...


class Speaker(Protocol):
    def speak(self) -> str: ...


class NoAnnotation:
    def __init__(self, thing) -> None:  # type: ignore[no-untyped-def]
        self.thing = thing


class UnionParam:
    def __init__(self, value: int | str) -> None:
        self.value = value


class LiteralParam:
    def __init__(self, mode: Literal["a", "b"]) -> None:
        self.mode = mode


class Variadic:
    def __init__(self, *parts: int) -> None:
        self.parts = parts


class Unresolvable:
    def __init__(self, dep: "Nowhere") -> None:  # type: ignore[name-defined] # noqa: F821
        self.dep = dep


class Ping:
    def __init__(self, pong: "Pong") -> None:
        self.pong = pong


class Pong:
    def __init__(self, ping: Ping) -> None:
        self.ping = ping


class RequestData:
    pass


class Cache:
    def __init__(self, data: RequestData) -> None:
        self.data = data


class Settings:
    pass


class Report:
    def __init__(self, port: Port, title: Assisted[str]) -> None:
        self.port = port


class Reporter:
    def __init__(self, new_report: Factory[Report]) -> None:
        self.new_report = new_report


class UsesSettings:
    def __init__(self, make: Factory[Settings]) -> None:
        self.make = make


class Row:  # row-class
    def __init__(self, index: Assisted[int]) -> None:
        self.index = index


class Grid:
    def __init__(self, row: Row) -> None:
        self.row = row


class Line:
    def __init__(self, data: RequestData, index: Assisted[int]) -> None:
        self.data = data


class Table:
    def __init__(self, new_line: Factory[Line]) -> None:
        self.new_line = new_line


def _empty_name(m: Module) -> None:
    m.bind(Service).named("")  # empty-name


def _string_key(m: Module) -> None:
    m.bind("Service", Service)  # type: ignore[call-overload]  # string-key


def _twice(m: Module) -> None:
    m.bind(Service)  # first
    m.bind(Service)  # second


def _two_scopes(m: Module) -> None:
    m.bind(Service).singleton().transient()  # two-scopes


def _eager_scoped(m: Module) -> None:
    m.bind(Service).scoped().eager()  # eager-scoped


def _scoped_instance(m: Module) -> None:
    m.bind(Service, Service()).scoped()  # scoped-instance


def _abstract(m: Module) -> None:
    m.bind(Port, Port)  # abstract


def _protocol(m: Module) -> None:
    m.bind(Speaker, Speaker)  # protocol


def _wrong_class(m: Module) -> None:
    m.bind(Service, Other)  # type: ignore[arg-type]  # wrong-class


def _wrong_instance(m: Module) -> None:
    m.bind(Service, 42)  # type: ignore[arg-type]  # wrong-instance


def _unreadable(m: Module) -> None:
    m.bind(Unresolvable)  # unreadable


def _variadic(m: Module) -> None:
    m.bind(Variadic)  # variadic


def _no_annotation(m: Module) -> None:
    m.bind(NoAnnotation)  # no-annotation


def _union(m: Module) -> None:
    m.bind(UnionParam)  # union


def _literal(m: Module) -> None:
    m.bind(LiteralParam)  # literal


def make_service(port: Port) -> Service:
    return Service()


def _missing(m: Module) -> None:
    m.bind(Service, make_service)  # missing


def _cycle(m: Module) -> None:
    m.bind(Ping)  # ping
    m.bind(Pong)  # pong


def _captive(m: Module) -> None:
    m.bind(Cache).singleton()  # cache
    m.bind(RequestData).scoped()  # request-data


class Keeper(PrivateModule):
    def configure(self) -> None:
        self.bind(RequestData)  # kept


class Exposer(PrivateModule):
    def configure(self) -> None:
        self.expose(Other)  # exposes-other


T = TypeVar("T")


class Box(Generic[T]):
    pass


class OtherBox(Box[Other]):
    pass


class WantsServiceBox:
    def __init__(self, box: Box[Service]) -> None:
        self.box = box


AnyBox = Box[T]


def _open_generic(m: Module) -> None:
    m.bind(AnyBox, Box())  # open-instance


def _generic_mismatch(m: Module) -> None:
    m.bind(AnyBox, OtherBox)  # open-box
    m.bind(WantsServiceBox)  # wants-box


def _not_exposed(m: Module) -> None:
    m.bind(Cache)  # wants-kept
    m.install(Keeper())


def _expose_unbound(m: Module) -> None:
    m.install(Exposer())


class Middleware:
    pass


class Server:
    def __init__(self, middlewares: list[Middleware]) -> None:
        self.middlewares = middlewares


def _undeclared_collection(m: Module) -> None:
    m.bind(Server)  # undeclared-collection


def _captive_element(m: Module) -> None:
    m.bind(Server).singleton()  # server
    m.multibind(Middleware, Middleware)
    m.multibind(Middleware, Middleware).scoped()  # scoped-element


class Tagged:
    def __init__(self, point: InjectionPoint) -> None:
        self.point = point


def _point_singleton(m: Module) -> None:
    m.bind(Tagged).singleton()  # point-singleton


def _factory_missing(m: Module) -> None:
    m.bind(Reporter)  # factory-missing


def _factory_target(m: Module) -> None:
    m.bind(Settings, Settings())  # settings-instance
    m.bind(UsesSettings)  # uses-settings


def _assisted_injected(m: Module) -> None:
    m.bind(Grid)  # grid


def _factory_captive(m: Module) -> None:
    m.bind(Table).singleton()  # table
    m.bind(RequestData).scoped()  # table-data


class Wrapper(Service):
    def __init__(self, inner: Service) -> None:
        self.inner = inner


class NoInner(Service):
    def __init__(self, other: Other) -> None:
        self.other = other


def _decorate_unbound(m: Module) -> None:
    m.decorate(Service, Wrapper)  # decorate-unbound


def _decorator_parameter(m: Module) -> None:
    m.bind(Service)
    m.decorate(Service, NoInner)  # no-inner


CASES: list[tuple[str, Callable[[Module], None]]] = [
    ("empty-name", _empty_name),
    ("string-key", _string_key),
    ("twice", _twice),
    ("two-scopes", _two_scopes),
    ("eager-scoped", _eager_scoped),
    ("scoped-instance", _scoped_instance),
    ("abstract", _abstract),
    ("protocol", _protocol),
    ("wrong-class", _wrong_class),
    ("wrong-instance", _wrong_instance),
    ("unreadable", _unreadable),
    ("variadic", _variadic),
    ("no-annotation", _no_annotation),
    ("union", _union),
    ("literal", _literal),
    ("missing", _missing),
    ("cycle", _cycle),
    ("captive", _captive),
    ("not-exposed", _not_exposed),
    ("expose-unbound", _expose_unbound),
    ("undeclared-collection", _undeclared_collection),
    ("captive-element", _captive_element),
    ("open-generic", _open_generic),
    ("generic-mismatch", _generic_mismatch),
    ("factory-missing", _factory_missing),
    ("factory-target", _factory_target),
    ("assisted-injected", _assisted_injected),
    ("factory-captive", _factory_captive),
    ("decorate-unbound", _decorate_unbound),
    ("decorator-parameter", _decorator_parameter),
    ("point-singleton", _point_singleton),
]


def render(configure: Callable[[Module], None]) -> str:
    class Golden(Module):
        def configure(self) -> None:
            configure(self)

    with pytest.raises(BindingError) as info:
        InjectQ(Golden())
    return str(info.value)


EXPECTED: dict[str, str] = {
    "empty-name": """\
1) [invalid-binding] The binding of Service is invalid: named() takes a non-empty string, got ''.
   Bound at: {HERE}:{L:empty-name} (in Golden)
   Hint: fix the bind(...) call at that line.""",
    "string-key": """\
1) [invalid-key] 'Service' cannot be a binding key: the string 'Service' is not a type (forward references are not keys).
   Bound at: {HERE}:{L:string-key} (in Golden)
   Hint: bind a class, an ABC, a Protocol, a parametrised generic such as Cache[User], or a NewType.""",  # noqa: E501
    "twice": """\
1) [duplicate-binding] Service is bound 2 times.
   Bound at: {HERE}:{L:first} (in Golden)
   Bound at: {HERE}:{L:second} (in Golden)
   Hint: keep one of them; to replace a binding from another module, install the replacement with install(..., overrides=[...]), or mark the library's binding .as_default().""",  # noqa: E501
    "two-scopes": """\
1) [scope-conflict] Service is given 2 scopes: singleton, transient.
   Bound at: {HERE}:{L:two-scopes} (in Golden)
   Hint: keep one scope call on the binding.""",
    "eager-scoped": """\
1) [scope-conflict] Service is eager but scoped 'request'; only singletons can be eager.
   Bound at: {HERE}:{L:eager-scoped} (in Golden)
   Hint: drop .eager() or the .scoped("request") call.""",
    "scoped-instance": """\
1) [scope-conflict] Service is bound to an instance, which is always a singleton, but is also scoped 'request'.
   Bound at: {HERE}:{L:scoped-instance} (in Golden)
   Hint: drop the .scoped("request") call, or bind a class or provider.""",  # noqa: E501
    "abstract": """\
1) [abstract-target] Port is bound to Port, which is abstract (it does not implement open).
   Bound at: {HERE}:{L:abstract} (in Golden)
   Hint: bind Port to a concrete class, e.g. self.bind(Port, PortImpl), or to a provider function or an instance.""",  # noqa: E501
    "protocol": """\
1) [abstract-target] Speaker is bound to Speaker, which is a Protocol.
   Bound at: {HERE}:{L:protocol} (in Golden)
   Hint: bind Speaker to a concrete class, e.g. self.bind(Speaker, SpeakerImpl), or to a provider function or an instance.""",  # noqa: E501
    "wrong-class": """\
1) [wrong-target-type] Service is bound to Other, which is not a subclass of Service.
   Bound at: {HERE}:{L:wrong-class} (in Golden)
   Hint: bind Service to one of its subclasses, or use to_provider() to build it another way.""",
    "wrong-instance": """\
1) [wrong-instance-type] Service is bound to the instance 42, of type int, which is not an instance of Service.
   Bound at: {HERE}:{L:wrong-instance} (in Golden)
   Hint: bind an instance of Service, or use to_provider() with a function that returns one.""",  # noqa: E501
    "unreadable": """\
1) [unreadable-signature] Unresolvable.__init__ cannot be injected: a forward reference in its annotations does not resolve (name 'Nowhere' is not defined).
   Unresolvable bound at: {HERE}:{L:unreadable} (in Golden)
   Hint: make every annotation importable at module level (a class defined inside a function cannot be named by a string annotation), or bind a provider.""",  # noqa: E501
    "variadic": """\
1) [variadic-parameter] Variadic.__init__ takes *parts, which injectq cannot fill.
   Variadic bound at: {HERE}:{L:variadic} (in Golden)
   Hint: declare the parameters it needs explicitly, or bind Variadic to a provider function that constructs it.""",  # noqa: E501
    "no-annotation": """\
1) [missing-annotation] Parameter 'thing' of NoAnnotation.__init__ has no type annotation, so injectq cannot tell what to pass.
   NoAnnotation bound at: {HERE}:{L:no-annotation} (in Golden)
   Hint: annotate it (e.g. thing: SomeService) or give it a default value.""",  # noqa: E501
    "union": """\
1) [unsupported-annotation] Parameter 'value' of UnionParam.__init__ cannot be injected: its annotation int | str is a union of several types; injectq injects one type (or T | None).
   UnionParam bound at: {HERE}:{L:union} (in Golden)
   Hint: annotate it with a single type, or give it a default value.""",  # noqa: E501
    "literal": """\
1) [invalid-key] Parameter 'mode' of LiteralParam.__init__ asks for Literal['a', 'b']: Literal['a', 'b'] is a union or literal, not a single type.
   LiteralParam bound at: {HERE}:{L:literal} (in Golden)
   Hint: annotate it with a class, an ABC, a Protocol or a parametrised generic, or give it a default value.""",  # noqa: E501
    "missing": """\
1) [missing-binding] Nothing binds Port.
   Requested by: parameter 'port' of make_service
   Service bound at: {HERE}:{L:missing} (in Golden)
   Not created just in time: Port is abstract (it does not implement open).
   Hint: bind it, e.g. self.bind(Port, Impl), or make the parameter optional (port: Port | None = None).""",  # noqa: E501
    "cycle": """\
1) [cycle] Dependency cycle: Ping -> Pong -> Ping.
   Ping bound at: {HERE}:{L:ping} (in Golden)
   Pong bound at: {HERE}:{L:pong} (in Golden)
   Hint: break the cycle: let one side take Provider[T] (resolved when called) instead of T, or move the shared part into a third class.""",  # noqa: E501
    "captive": """\
1) [captive-dependency] Singleton Cache depends on RequestData, scoped "request".
   Cache bound at: {HERE}:{L:cache} (in Golden)
   RequestData bound at: {HERE}:{L:request-data} (in Golden)
   Hint: make Cache scoped "request" too, or take Provider[RequestData] instead, which resolves it in the scope active when called.""",  # noqa: E501
    "not-exposed": """\
1) [not-exposed] RequestData is bound only inside Keeper, which does not expose it.
   Requested by: parameter 'data' of Cache.__init__
   Cache bound at: {HERE}:{L:wants-kept} (in Golden)
   RequestData bound at: {HERE}:{L:kept} (in Keeper <- Golden)
   Hint: expose it: self.expose(RequestData) in Keeper.configure(), or bind RequestData outside the private module.""",  # noqa: E501
    "expose-unbound": """\
1) [expose-unbound] Exposer exposes Other, which it does not bind.
   Exposed at: {HERE}:{L:exposes-other} (in Exposer <- Golden)
   Hint: bind it in Exposer (or in a module it installs), e.g. self.bind(Other, Impl), or drop the expose() call.""",  # noqa: E501
    "undeclared-collection": """\
1) [missing-binding] Nothing declares or contributes to the collection list[Middleware].
   Requested by: parameter 'middlewares' of Server.__init__
   Server bound at: {HERE}:{L:undeclared-collection} (in Golden)
   Hint: declare it with self.multibind(Middleware) (it may stay empty), or contribute with self.multibind(Middleware, Impl); or make the parameter optional (middlewares: list[Middleware] | None = None).""",  # noqa: E501
    "captive-element": """\
1) [captive-dependency] Singleton Server depends on Middleware (element 2 of list[Middleware]), scoped "request" (via list[Middleware]).
   Server bound at: {HERE}:{L:server} (in Golden)
   Middleware (element 2 of list[Middleware]) bound at: {HERE}:{L:scoped-element} (in Golden)
   Hint: make Server scoped "request" too, or take Provider[list[Middleware]] instead, which resolves it in the scope active when called.""",  # noqa: E501
    "open-generic": """\
1) [open-generic] Box[T] is an open generic key (it holds T), but it is bound to an instance, which cannot be every closed key it would serve.
   Bound at: {HERE}:{L:open-instance} (in Golden)
   Hint: bind it to a generic class or a provider, e.g. self.bind(Box[T], Impl[T]), or bind each closed key to its instance, e.g. self.bind(Box[SomeClass], obj).""",  # noqa: E501
    "generic-mismatch": """\
1) [generic-mismatch] The open binding Box[T] cannot serve Box[Service]: OtherBox is a Box[Other], not a Box[Service].
   Requested by: parameter 'box' of WantsServiceBox.__init__
   WantsServiceBox bound at: {HERE}:{L:wants-box} (in Golden)
   Box[T] bound at: {HERE}:{L:open-box} (in Golden)
   Hint: bind Box[Service] itself (a closed binding wins over the open one), or bind Box[T] to a class generic in T that passes T on to Box.""",  # noqa: E501
    "factory-missing": """\
1) [missing-binding] Nothing binds Port.
   Requested by: parameter 'port' of Report.__init__
   Report built by Factory[Report] for parameter 'new_report' of Reporter.__init__
   Reporter bound at: {HERE}:{L:factory-missing} (in Golden)
   Not created just in time: Port is abstract (it does not implement open).
   Hint: bind it, e.g. self.bind(Port, Impl), or make the parameter optional (port: Port | None = None), or mark it Assisted[Port] to pass it when calling Factory[Report].""",  # noqa: E501
    "factory-target": """\
1) [factory-target] Factory[Settings] cannot build Settings: Settings is bound to an instance, which a factory cannot construct anew.
   Requested by: parameter 'make' of UsesSettings.__init__
   UsesSettings bound at: {HERE}:{L:uses-settings} (in Golden)
   Settings bound at: {HERE}:{L:settings-instance} (in Golden)
   Hint: bind Settings to a class or a provider function (each call of the factory constructs one), or ask for Settings itself.""",  # noqa: E501
    "assisted-injected": """\
1) [assisted-parameter] Row cannot be injected: its parameter 'index' is Assisted, passed when a Factory[Row] is called.
   Requested by: parameter 'row' of Grid.__init__
   Grid bound at: {HERE}:{L:grid} (in Golden)
   Row defined at: {HERE}:{L:row-class}
   Hint: take row: Factory[Row] and call it with the Assisted argument, or drop Assisted[...] from Row's parameter.""",  # noqa: E501
    "factory-captive": """\
1) [captive-dependency] Singleton Table depends on RequestData, scoped "request" (via Factory[Line] -> Line).
   Table bound at: {HERE}:{L:table} (in Golden)
   RequestData bound at: {HERE}:{L:table-data} (in Golden)
   Hint: make Table scoped "request" too, or take Provider[Factory[Line]] instead, which resolves it in the scope active when called.""",  # noqa: E501
    "decorate-unbound": """\
1) [decorate-unbound] decorate(Service, Wrapper): nothing binds Service, so there is nothing to decorate.
   Decorated at: {HERE}:{L:decorate-unbound} (in Golden)
   Hint: bind it, e.g. self.bind(Service, Impl), in this module or one installed with it: a decorator wraps a binding and never makes one (not even just in time).""",  # noqa: E501
    "decorator-parameter": """\
1) [decorator-parameter] decorate(Service, NoInner): NoInner.__init__ has no parameter of type Service to receive the instance it decorates.
   Service decorated by NoInner at: {HERE}:{L:no-inner} (in Golden)
   Hint: add a parameter annotated Service, e.g. def __init__(self, inner: Service, ...) -> None.""",  # noqa: E501
    "point-singleton": """\
1) [injection-point-scope] Tagged is a singleton, but Tagged.__init__ takes an InjectionPoint (parameter 'point'): it is built for each parameter it is injected into, so one instance cannot serve them all.
   Tagged bound at: {HERE}:{L:point-singleton} (in Golden)
   Hint: drop .singleton() (or the scope of its @provider or class): a binding taking an InjectionPoint is transient; or drop the InjectionPoint parameter.""",  # noqa: E501
}


@pytest.mark.parametrize(("name", "configure"), CASES, ids=[name for name, _ in CASES])
def test_golden_text_of_each_problem(name: str, configure: Callable[[Module], None]) -> None:
    """The whole message, line for line: what, where (file:line, module), and the hint."""
    expected = re.sub(r"\{L:([a-z-]+)\}", lambda m: str(line_of(m.group(1))), EXPECTED[name])
    expected = expected.replace("{HERE}", HERE)
    assert render(configure) == f"1 problem found while installing Golden\n\n{expected}"


def test_every_problem_code_has_a_golden_text() -> None:
    """The table covers every code the compiler reports."""
    codes = {text.split("] ")[0].split("[")[1] for text in EXPECTED.values()}
    assert codes == {
        "abstract-target",
        "assisted-parameter",
        "captive-dependency",
        "cycle",
        "decorate-unbound",
        "decorator-parameter",
        "duplicate-binding",
        "expose-unbound",
        "generic-mismatch",
        "factory-target",
        "injection-point-scope",
        "invalid-binding",
        "invalid-key",
        "missing-annotation",
        "missing-binding",
        "not-exposed",
        "open-generic",
        "scope-conflict",
        "unreadable-signature",
        "unsupported-annotation",
        "variadic-parameter",
        "wrong-instance-type",
        "wrong-target-type",
    }
