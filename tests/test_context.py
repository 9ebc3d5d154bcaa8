"""Context data at scope entry: `.from_context()` keys handed in by `scope(context=...)`."""

import asyncio
import inspect
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, NewType, Protocol

import pytest

from injectq import (
    BindingError,
    InjectQ,
    Module,
    Named,
    Provider,
    Scope,
    ScopeError,
    UsageError,
    provider,
    resource,
)
from tests.threads import run_all

HERE = "tests/test_context.py"
TenantId = NewType("TenantId", str)


def line_of(marker: str) -> int:
    """The line number of the source line carrying ``# <marker>`` in this file."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()  # type: ignore[arg-type]
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# {marker}"))


class Request:
    def __init__(self, path: str) -> None:
        self.path = path


class Greeting(Protocol):
    def greet(self) -> str: ...


class Handler:
    def __init__(self, request: Request, user: Annotated[str, Named("user")]) -> None:
        self.request = request
        self.user = user


class Audit:
    def __init__(self, request: Provider[Request]) -> None:
        self.request = request


class WebModule(Module):
    def configure(self) -> None:
        self.bind(Request).from_context()  # request-declared
        self.bind(str, name="user").from_context()  # user-declared
        self.bind(TenantId).from_context(scope="tenant")  # tenant-declared
        self.bind(Handler).scoped()
        self.bind(Audit).singleton()


def values(request: Request, user: str = "ann") -> dict[Any, Any]:
    return {Request: request, Annotated[str, Named("user")]: user}


Enter = Callable[[InjectQ, str, dict[Any, Any] | None], Any]


def _sync(container: InjectQ, name: str, context: dict[Any, Any] | None) -> Any:
    with container.scope(name, context=context) as scope:
        return scope.get(Handler) if name == "request" else scope.get(TenantId)


def _async(container: InjectQ, name: str, context: dict[Any, Any] | None) -> Any:
    async def run() -> Any:
        async with container.resource_scope(name, context=context) as scope:
            if name == "request":
                return await scope.aget(Handler)
            return await scope.aget(TenantId)

    return asyncio.run(asyncio.wait_for(run(), 5))


BOTH = pytest.mark.parametrize("enter", [_sync, _async], ids=["sync", "async"])


@BOTH
def test_values_are_served_in_their_scope(enter: Enter) -> None:
    """The value handed in is what the scope serves, to get() and to dependants."""
    container = InjectQ(WebModule())
    request = Request("/orders")
    handler = enter(container, "request", values(request, "bob"))
    assert handler.request is request
    assert handler.user == "bob"
    assert enter(container, "tenant", {TenantId: TenantId("acme")}) == "acme"


def test_the_scope_and_the_ambient_get_serve_the_same_value() -> None:
    """scope.get, container.get and a Provider called inside the scope agree."""
    container = InjectQ(WebModule())
    request = Request("/")
    with container.scope(context=values(request)) as scope:
        assert scope.get(Request) is request
        assert container.get(Request) is request
        assert container.get(str, name="user") == "ann"
        assert container.get(Audit).request() is request
    with container.scope(context=values(Request("/other"))):
        assert container.get(Audit).request().path == "/other"


@BOTH
def test_missing_values_are_named(enter: Enter) -> None:
    """Entering without every declared key raises ScopeError naming each missing one."""
    container = InjectQ(WebModule())
    request_line, user_line = line_of("request-declared"), line_of("user-declared")
    with pytest.raises(ScopeError) as info:
        enter(container, "request", None)
    assert str(info.value) == (
        'The scope "request" was entered without a value for its context keys Request '
        f'({HERE}:{request_line}), str named "user" ({HERE}:{user_line}).\n'
        'Hint: hand them in: container.scope("request", context={Request: ..., '
        'Annotated[str, Named("user")]: ...}).'
    )
    with pytest.raises(ScopeError) as info:
        enter(container, "request", {Request: Request("/")})
    assert str(info.value) == (
        'The scope "request" was entered without a value for its context key str named '
        f'"user" ({HERE}:{user_line}).\n'
        'Hint: hand it in: container.scope("request", context={Annotated[str, '
        'Named("user")]: ...}).'
    )
    assert info.value.key == 'str named "user"'


@BOTH
def test_undeclared_keys_are_named_with_the_fix(enter: Enter) -> None:
    """A key no module declared for that scope: ScopeError naming it and .from_context()."""
    container = InjectQ(WebModule())
    with pytest.raises(ScopeError) as info:
        enter(container, "request", {**values(Request("/")), int: 3})
    assert str(info.value) == (
        'context= of scope "request" holds int, which no module declares for it.\n'
        'Hint: declare it in a module: self.bind(int).from_context(scope="request"), or '
        "leave it out of context=."
    )
    tenant_line = line_of("tenant-declared")
    with pytest.raises(ScopeError) as info:
        enter(container, "request", {**values(Request("/")), TenantId: TenantId("x")})
    assert str(info.value) == (
        'context= of scope "request" holds TenantId, which no module declares for it; it is '
        f'context of scope "tenant" ({HERE}:{tenant_line}).\n'
        'Hint: hand it to container.scope("tenant", context=...), or declare it for '
        '"request" instead: self.bind(TenantId).from_context(scope="request").'
    )
    handler_line = line_of("handler-bound")
    container.bind(Request, Request("/spare"), name="spare")  # handler-bound
    with pytest.raises(ScopeError) as info:
        enter(container, "request", {**values(Request("/")), Annotated[Request, Named("spare")]: 1})
    assert str(info.value) == (
        'context= of scope "request" holds Request named "spare", which no module declares '
        f"for it; it is bound at {HERE}:{handler_line} without .from_context().\n"
        'Hint: declare it in a module: self.bind(Request, name="spare").from_context('
        'scope="request"), or leave it out of context=.'
    )


@BOTH
def test_a_value_plainly_of_another_type_is_refused(enter: Enter) -> None:
    """A plain-class key checks its value with isinstance; the error names both types."""
    container = InjectQ(WebModule())
    with pytest.raises(ScopeError) as info:
        enter(container, "request", {Request: "/orders", Annotated[str, Named("user")]: "x"})
    assert str(info.value) == (
        "context= of scope \"request\" gives Request the value '/orders', of type str, which "
        "is not an instance of Request.\n"
        f"Bound at: {HERE}:{line_of('request-declared')} (in WebModule)\n"
        "Hint: hand in an instance of Request, or declare the key as the type the value has."
    )


class Loose(Module):
    def configure(self) -> None:
        self.bind(TenantId).from_context()
        self.bind(Greeting).from_context()
        self.bind(list[int]).from_context()


def test_keys_that_are_not_plain_classes_are_not_type_checked() -> None:
    """NewType, Protocol and generic keys take their value as handed in."""
    container = InjectQ(Loose())
    odd: object = object()
    with container.scope(context={TenantId: 7, Greeting: odd, list[int]: ("a",)}) as scope:
        tenant: Any = scope.get(TenantId)
        numbers: Any = scope.get(list[int])
        assert tenant == 7
        assert scope.get(Greeting) is odd
        assert numbers == ("a",)


class Page:
    def __init__(self, request: Request) -> None:
        self.request = request


class PageModule(Module):
    def configure(self) -> None:
        self.bind(Page)  # transient


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_a_binding_needing_it_outside_its_scope_is_a_scope_error(use_async: bool) -> None:
    """Resolved outside a scope of its name (or in another scope) it is a ScopeError."""
    container = InjectQ(WebModule(), PageModule())

    def resolve(key: type[Any]) -> Any:
        if use_async:
            return asyncio.run(asyncio.wait_for(container.aget(key), 5))
        return container.get(key)

    with pytest.raises(ScopeError) as info:
        resolve(Page)
    assert str(info.value) == (
        'Request is context of scope "request", but no "request" scope is active (no scope '
        "is active).\n"
        f"Bound at: {HERE}:{line_of('request-declared')} (in WebModule)\n"
        "Resolution path: Page -> Request\n"
        'Hint: resolve it inside `with container.scope("request", context={Request: ...}):` '
        "(or `async with`), or take Provider[...] in a singleton and call it inside the scope."
    )
    with pytest.raises(ScopeError) as info:
        resolve(Audit).request()
    assert info.value.path == ["Request"]
    with container.scope("tenant", context={TenantId: TenantId("a")}):
        with pytest.raises(ScopeError) as info:
            resolve(Page)
        assert '(the active scopes are "tenant")' in str(info.value)
    with container.scope(context=values(Request("/p"))):
        assert resolve(Page).request.path == "/p"


class Captive(Module):
    def configure(self) -> None:
        self.bind(Request).from_context()
        self.bind(Handler).singleton()  # captive-bound
        self.bind(str, name="user").from_context()  # captive-user


def test_a_singleton_depending_on_it_is_a_captive_dependency() -> None:
    """Install-time captive-dependency problem, with the Provider[T] escape in the hint."""
    with pytest.raises(BindingError) as info:
        InjectQ(Captive())
    assert info.value.codes == ("captive-dependency",)
    handler, user = line_of("captive-bound"), line_of("captive-user")
    assert info.value.problems[0].render(1) == (
        '1) [captive-dependency] Singleton Handler depends on str named "user", context of '
        'scope "request".\n'
        f"   Handler bound at: {HERE}:{handler} (in Captive)\n"
        f'   str named "user" bound at: {HERE}:{user} (in Captive)\n'
        '   Hint: make Handler scoped "request" too, or take Provider[Annotated[str, '
        'Named("user")]] instead, which resolves it in the scope active when called.'
    )


@resource
class Connection:
    def __init__(self) -> None:
        self.disposed = 0

    def dispose(self) -> None:
        self.disposed += 1


class Holder:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection


class Disposal(Module):
    def configure(self) -> None:
        self.bind(Connection).from_context()
        self.bind(Holder).scoped()

    @provider(scope="request")
    def label(self, connection: Connection) -> Iterator[str]:
        yield f"conn-{id(connection)}"


@BOTH
def test_context_values_are_never_disposed(enter: Any) -> None:
    """A @resource value handed in is not disposed when its scope ends (sync and async)."""
    container = InjectQ(Disposal())
    connection = Connection()

    async def run_async() -> None:
        async with container.scope(context={Connection: connection}) as scope:
            assert (await scope.aget(Holder)).connection is connection
            await scope.aget(str)

    if enter is _sync:
        with container.scope(context={Connection: connection}) as scope:
            assert scope.get(Holder).connection is connection
            scope.get(str)
    else:
        asyncio.run(asyncio.wait_for(run_async(), 5))
    container.close()
    assert connection.disposed == 0


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_override_replaces_a_context_key(use_async: bool) -> None:
    """Under override() the key need not be handed in; if it is, the override still wins."""
    container = InjectQ(WebModule())
    fake = Request("/fake")
    user_only = {Annotated[str, Named("user")]: "x"}

    def inside() -> list[Request]:
        with container.scope(context=user_only) as scope:
            seen = [scope.get(Handler).request]
        with container.scope(context=values(Request("/real"))) as scope:
            seen.append(scope.get(Request))
        assert [i.label for i in container.graph.context_keys()] == ['str named "user"']
        return seen

    async def ainside() -> list[Request]:
        async with container.override(Request, fake):
            async with container.scope(context=user_only) as scope:
                seen = [(await scope.aget(Handler)).request]
            async with container.scope(context=values(Request("/real"))) as scope:
                seen.append(await scope.aget(Request))
            return seen

    if use_async:
        seen = asyncio.run(asyncio.wait_for(ainside(), 5))
    else:
        with container.override(Request, fake):
            seen = inside()
    assert seen == [fake, fake]
    real = Request("/real")
    with container.scope(context=values(real)) as scope:
        assert scope.get(Request) is real
    with pytest.raises(ScopeError):
        container.scope(context=user_only)


class Library(Module):
    def configure(self) -> None:
        self.bind(Request).from_context().as_default()
        self.bind(str, name="user").from_context()


class App(Module):
    def configure(self) -> None:
        self.bind(Request, lambda: Request("/app"))


def test_a_default_context_key_replaced_by_a_binding() -> None:
    """A library's from_context().as_default() gives way to the app's binding."""
    container = InjectQ(Library(), App())
    with container.scope(context={Annotated[str, Named("user")]: "x"}) as scope:
        assert scope.get(Request).path == "/app"
    with container.scope(context=values(Request("/ignored"))) as scope:
        assert scope.get(Request).path == "/app"


def test_nested_scopes() -> None:
    """An inner scope of another name sees the outer values; one of the same name needs its own."""
    container = InjectQ(WebModule())
    outer = Request("/outer")
    with container.scope(context=values(outer)):
        with container.scope("tenant", context={TenantId: TenantId("t")}):
            assert container.get(Handler).request is outer
        with pytest.raises(ScopeError):
            container.scope()
        inner = Request("/inner")
        with container.scope(context=values(inner)):
            assert container.get(Request) is inner
        assert container.get(Request) is outer


def test_a_scope_entered_before_the_key_was_declared() -> None:
    """A scope open while install() declares a key holds no value: a ScopeError says why."""
    container = InjectQ()
    with container.scope():
        container.install(WebModule())
        with pytest.raises(ScopeError) as info:
            container.get(Request)
    assert str(info.value) == (
        'Request is context of scope "request", but this "request" scope holds no value for '
        "it (it was entered before the key was declared, or while an override replaced it).\n"
        f"Bound at: {HERE}:{line_of('request-declared')} (in WebModule)\n"
        'Hint: enter a new scope: container.scope("request", context={Request: ...}).'
    )


def test_installing_more_modules_adds_context_keys() -> None:
    """Keys declared by a later install() are required from then on."""
    container = InjectQ()
    with container.scope():
        pass
    container.install(Loose())
    assert [i.label for i in container.graph.context_keys()] == [
        "TenantId",
        "Greeting",
        "list[int]",
    ]
    with pytest.raises(ScopeError):
        container.scope()
    container.install(Requests())
    assert [i.label for i in container.graph.context_keys()][-1] == "Request"
    assert len(container.graph.context_keys()) == 4
    assert container.graph.context_keys("tenant") == ()


class Requests(Module):
    def configure(self) -> None:
        self.bind(Request).from_context()


@pytest.mark.parametrize(
    ("build", "code", "message"),
    [
        (
            lambda m: m.bind(Request).from_context("singleton"),
            "invalid-binding",
            "The binding of Request is invalid: from_context() takes the name of a scope such "
            "as 'request', got 'singleton'; context is handed in when a scope is entered.",
        ),
        (
            lambda m: m.bind(Request).from_context().singleton(),
            "scope-conflict",
            "Request is given 2 scopes: request, singleton.",
        ),
        (
            lambda m: m.bind(Request, Request).from_context(),
            "invalid-binding",
            "The binding of Request is invalid: the target is set twice: from_context() after "
            "a target was already given.",
        ),
        (
            lambda m: m.bind(Request).from_context().eager(),
            "scope-conflict",
            "Request is eager but scoped 'request'; only singletons can be eager.",
        ),
    ],
    ids=["singleton-scope", "two-scopes", "with-target", "eager"],
)
def test_misuse_is_a_binding_error(
    build: Callable[[Module], object], code: str, message: str
) -> None:
    """Misusing from_context() is reported at install like any binding misuse."""

    class Bad(Module):
        def configure(self) -> None:
            build(self)

    with pytest.raises(BindingError) as info:
        InjectQ(Bad())
    assert info.value.codes == (code,)
    assert info.value.problems[0].message == message


@pytest.mark.parametrize("bad", [[1, 2], "request", 3])
def test_context_must_be_a_mapping(bad: Any) -> None:
    """context= that is not a mapping is a UsageError naming what was given."""
    with pytest.raises(UsageError) as info:
        InjectQ(WebModule()).scope(context=bad)
    assert str(info.value) == (
        f"scope() takes context= as a mapping from keys to values, got {type(bad).__name__} "
        f'{bad!r}. Hint: container.scope("request", context={{Request: request}}).'
    )


def test_no_context_declared_and_none_given_is_the_plain_scope() -> None:
    """Without declarations an empty context is fine, and any key is undeclared."""
    container = InjectQ()
    with container.scope(context={}) as scope:
        assert isinstance(scope, Scope)
    with pytest.raises(ScopeError):
        container.scope(context={Request: Request("/")})
    declaring = InjectQ(WebModule())
    with declaring.scope("job") as job, declaring.scope("job", context={}) as inner:
        assert (job.name, inner.name) == ("job", "job")
    with pytest.raises(ScopeError) as info:
        declaring.scope("job", context={Request: Request("/")})
    assert str(info.value).startswith(
        'context= of scope "job" holds Request, which no module declares for it; it is '
        'context of scope "request"'
    )


@pytest.mark.usefixtures("fast_switching")
def test_concurrent_threads_never_see_each_others_values() -> None:
    """Threads entering scopes with their own values, switching every microsecond."""
    container = InjectQ(WebModule())
    seen: list[tuple[str, str, str]] = []
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for round_ in range(200):
                path = f"/{index}/{round_}"
                with container.scope(context=values(Request(path), str(index))) as scope:
                    handler = scope.get(Handler)
                    seen.append((path, handler.request.path, container.get(str, name="user")))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    run_all(threads, timeout=20)
    assert errors == []
    assert len(seen) == 1600
    assert all(want == got and want.split("/")[1] == user for want, got, user in seen)


def test_concurrent_tasks_never_see_each_others_values() -> None:
    """asyncio tasks in their own scopes, interleaving at every await."""
    container = InjectQ(WebModule())

    async def one(index: int) -> tuple[str, str]:
        async with container.scope(context=values(Request(f"/{index}"))) as scope:
            await asyncio.sleep(0)
            handler = await scope.aget(Handler)
            await asyncio.sleep(0)
            assert handler.request is await container.aget(Request)
            return f"/{index}", (await container.aget(Request)).path

    async def main() -> list[tuple[str, str]]:
        return await asyncio.gather(*(one(i) for i in range(50)))

    results = asyncio.run(asyncio.wait_for(main(), 10))
    assert all(want == got for want, got in results)


def test_cancelled_inside_leaves_nothing_behind() -> None:
    """A task cancelled inside its scope leaves the scope closed, the value not disposed."""
    container = InjectQ(Disposal())
    connection = Connection()
    started = asyncio.Event()
    scopes: list[Scope] = []

    async def body() -> None:
        async with container.scope(context={Connection: connection}) as scope:
            scopes.append(scope)
            await scope.aget(str)
            started.set()
            await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.create_task(body())
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)

    asyncio.run(main())
    assert scopes[0].closed
    assert connection.disposed == 0


# -- the graph view and the CLI ------------------------------------------------------------


def test_graph_view_shows_context_keys() -> None:
    """BindingInfo kind "context"; context_keys() per scope; every export shows them."""
    graph = InjectQ(WebModule()).graph
    info = graph.get(Request)
    assert info is not None
    assert (info.kind, info.scope, info.target) == (
        "context",
        "request",
        'from_context(scope="request")',
    )
    assert (info.resource, info.dependencies, info.location) == (
        False,
        (),
        f"{HERE}:{line_of('request-declared')}",
    )
    assert [(i.key, i.name) for i in graph.context_keys()] == [(Request, None), (str, "user")]
    assert [(i.key, i.name) for i in graph.context_keys("tenant")] == [(TenantId, None)]
    assert graph.context_keys("other") == ()
    line = line_of("request-declared")
    assert (
        f'Request  [context of scope "request"]  {HERE}:{line} (in WebModule)'
        in graph.to_text().splitlines()
    )
    explained = graph.explain(Handler).splitlines()
    assert explained[1] == (
        f'├── request: Request  =>  Request  [context of scope "request"]  {HERE}:{line} '
        "(in WebModule)"
    )
    assert 'label="Request\\ncontext: from_context(scope=\\"request\\")"' in graph.to_dot()
    assert '["Request<br/>context: from_context(scope=#quot;request#quot;)"]' in graph.to_mermaid()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "injectq", *args],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_graph_and_explain_show_context_keys() -> None:
    """`python -m injectq graph/explain/check` treat a context key like any binding."""
    wiring = "tests/cli_fixtures/wiring.py"
    checked = _cli("check", "tests.cli_fixtures.wiring:WebModule")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == "ok: 2 bindings from 1 module(s) (WebModule) install cleanly\n"
    graph = _cli("graph", "tests.cli_fixtures.wiring:WebModule")
    assert graph.returncode == 0, graph.stderr
    assert graph.stdout.splitlines()[0].startswith(
        f'Request  [context of scope "request"]  {wiring}:'
    )
    explained = _cli("explain", "tests.cli_fixtures.wiring:WebModule", "Page")
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.splitlines()[1].startswith(
        '└── request: Request  =>  Request  [context of scope "request"]'
    )


def show(handler: Handler, request: Request) -> str:
    return f"{handler.user} {request.path}"


@BOTH
def test_handlers_taking_context_validate_and_are_called(enter: Enter) -> None:
    """validate() accepts a handler needing context keys; call()/acall() get the values."""
    container = InjectQ(WebModule())
    container.validate(show)
    request = Request("/x")
    if enter is _sync:
        with container.scope(context=values(request, "eve")):
            assert container.call(show) == "eve /x"
        return

    async def run() -> str:
        async with container.scope(context=values(request, "eve")):
            return await container.acall(show)

    assert asyncio.run(asyncio.wait_for(run(), 5)) == "eve /x"
