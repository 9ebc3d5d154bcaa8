"""Each library's fastest documented way to express each scenario.

`build(library, scenario)` returns a `Bench`: a statement for timeit (or an expression to
await, for the async scenario), its globals, and a check run before timing that the results
are right (types, identity per lifetime). A library that cannot express a scenario raises
`NotAvailable` with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks import model as m

SCENARIOS = [
    "singleton",
    "tree",
    "mixed",
    "request",
    "chain30",
    "async",
    "install1000",
    "cold1000",
]
LIBRARIES = [
    "hand-written",
    "injectq",
    "dishka",
    "dependency-injector",
    "wireup",
    "rodi",
    "that-depends",
    "injector",
    "lagom",
    "punq",
]
CHAIN = m.make_chain(30, prefix="K")
# The request by hand, given a dict ``cache``; and through a scope object's ``get``.
REQUEST_BY_HAND = (
    "state = cache.get(RequestState)\n"
    "if state is None:\n"
    "    state = cache[RequestState] = RequestState()\n"
    "handler = cache.get(RequestHandler)\n"
    "if handler is None:\n"
    "    handler = cache[RequestHandler] = RequestHandler(state)\n"
)
SCOPE_REQUEST = "with scope() as s:\n    s.get(RequestState)\n    s.get(RequestHandler)\n"


class NotAvailable(Exception):
    """The library has no way to express the scenario."""


@dataclass
class Bench:
    stmt: str
    ns: dict[str, Any]
    check: Callable[[], None]
    is_async: bool = False
    setup: str = "pass"
    extra: dict[str, Any] = field(default_factory=dict)


def nested_call(chain: list[type]) -> str:
    expr = f"{chain[0].__name__}()"
    for cls in chain[1:]:
        expr = f"{cls.__name__}({expr})"
    return expr


def chain_ns(chain: list[type]) -> dict[str, Any]:
    return {cls.__name__: cls for cls in chain}


def run(coro: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coro)


# -- the hand-written baseline -------------------------------------------------------------


def hand(scenario: str) -> Bench:
    if scenario == "singleton":
        settings = m.Settings()

        def get_settings() -> m.Settings:
            return settings

        return Bench("get_settings()", {"get_settings": get_settings}, lambda: None)
    if scenario == "tree":
        return Bench(
            "A(B(D()), C(D(), E()))",
            vars(m),
            lambda: m.check_tree(
                m.A(m.B(m.D()), m.C(m.D(), m.E())), m.A(m.B(m.D()), m.C(m.D(), m.E()))
            ),
        )
    if scenario == "mixed":
        ns = {"Service": m.Service, "Repo": m.Repo, "POOL": m.Pool(), "CONFIG": m.Config()}
        return Bench("Service(Repo(POOL), CONFIG)", ns, lambda: None)
    if scenario == "request":
        return Bench("cache = {}\n" + REQUEST_BY_HAND, vars(m), lambda: None)
    if scenario == "chain30":
        return Bench(nested_call(CHAIN), chain_ns(CHAIN), lambda: None)
    if scenario == "async":

        async def tree() -> m.A:
            return m.A(m.B(m.D()), m.C(m.D(), m.E()))

        return Bench("tree()", {"tree": tree}, lambda: None, is_async=True)
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            return m.by_hand(chain or m.make_chain(1000))

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(scenario)


# -- injectq ---------------------------------------------------------------------------------


def injectq_chain(chain: list[type]) -> object:
    """Register each class of ``chain`` in a module, install it and resolve the last one."""
    from injectq import InjectQ, Module

    class ChainModule(Module):
        def configure(self) -> None:
            for cls in chain:
                self.bind(cls)

    return InjectQ(ChainModule()).get(chain[-1])


def injectq(scenario: str) -> Bench:
    from injectq import InjectQ, Module

    if scenario == "singleton":
        c = InjectQ()
        c.bind(m.Settings, scope="singleton")
        c.get(m.Settings)
        return Bench(
            "get(Settings)",
            {"get": c.get, "Settings": m.Settings},
            lambda: _same(c.get(m.Settings), c.get(m.Settings)),
        )
    if scenario in ("tree", "async"):

        class Tree(Module):
            def configure(self) -> None:
                for cls in (m.A, m.B, m.C, m.D, m.E):
                    self.bind(cls)

        c = InjectQ(Tree())
        if scenario == "async":
            return Bench(
                "aget(A)",
                {"aget": c.aget, "A": m.A},
                lambda: m.check_tree(run(c.aget(m.A)), run(c.aget(m.A))),
                is_async=True,
            )
        return Bench(
            "get(A)", {"get": c.get, "A": m.A}, lambda: m.check_tree(c.get(m.A), c.get(m.A))
        )
    if scenario == "mixed":

        class Mixed(Module):
            def configure(self) -> None:
                self.bind(m.Pool).singleton()
                self.bind(m.Config).singleton()
                self.bind(m.Repo)
                self.bind(m.Service)

        c = InjectQ(Mixed())
        return Bench(
            "get(Service)",
            {"get": c.get, "Service": m.Service},
            lambda: m.check_mixed(c.get(m.Service), c.get(m.Service)),
        )
    if scenario == "request":

        class Web(Module):
            def configure(self) -> None:
                self.bind(m.RequestState).scoped()
                self.bind(m.RequestHandler).scoped()

        c = InjectQ(Web())
        stmt = SCOPE_REQUEST

        return Bench(
            stmt,
            {"scope": c.scope, **vars(m)},
            lambda: check_request(c.scope, lambda s, k: s.get(k)),
        )
    if scenario == "chain30":
        c = InjectQ()
        for cls in CHAIN:
            c.bind(cls)
        top = CHAIN[-1]
        return Bench("get(top)", {"get": c.get, "top": top}, lambda: _depth(c.get(top), 30))
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            return injectq_chain(chain or m.make_chain(1000))

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(scenario)


def check_request(enter: Callable[[], Any], get: Callable[[Any, type], Any]) -> None:
    """Scoped instances: shared inside one scope, wired together, fresh in the next scope."""
    with enter() as first:
        handler = get(first, m.RequestHandler)
        assert handler is get(first, m.RequestHandler)
        assert handler.state is get(first, m.RequestState)
    with enter() as second:
        assert get(second, m.RequestHandler) is not handler


def _same(a: object, b: object) -> None:
    assert a is b


def _depth(obj: object, n: int) -> None:
    assert m.chain_depth(obj) == n, m.chain_depth(obj)


# -- dishka ----------------------------------------------------------------------------------


def dishka(scenario: str) -> Bench:
    from dishka import Provider, Scope, make_async_container, make_container

    def transient_provider(*classes: type, singletons: tuple[type, ...] = ()) -> Provider:
        p = Provider(scope=Scope.APP)
        for cls in classes:
            p.provide(cls, cache=False)
        for cls in singletons:
            p.provide(cls)
        return p

    if scenario == "singleton":
        c = make_container(transient_provider(singletons=(m.Settings,)))
        return Bench(
            "get(Settings)",
            {"get": c.get, "Settings": m.Settings},
            lambda: _same(c.get(m.Settings), c.get(m.Settings)),
        )
    if scenario == "tree":
        c = make_container(transient_provider(m.A, m.B, m.C, m.D, m.E))
        return Bench(
            "get(A)", {"get": c.get, "A": m.A}, lambda: m.check_tree(c.get(m.A), c.get(m.A))
        )
    if scenario == "async":
        ac = make_async_container(transient_provider(m.A, m.B, m.C, m.D, m.E))
        return Bench(
            "get(A)",
            {"get": ac.get, "A": m.A},
            lambda: m.check_tree(run(ac.get(m.A)), run(ac.get(m.A))),
            is_async=True,
        )
    if scenario == "mixed":
        c = make_container(transient_provider(m.Repo, m.Service, singletons=(m.Pool, m.Config)))
        return Bench(
            "get(Service)",
            {"get": c.get, "Service": m.Service},
            lambda: m.check_mixed(c.get(m.Service), c.get(m.Service)),
        )
    if scenario == "request":
        p = Provider(scope=Scope.REQUEST)
        p.provide(m.RequestState)
        p.provide(m.RequestHandler)
        c = make_container(p)
        stmt = "with c() as s:\n    s.get(RequestState)\n    s.get(RequestHandler)\n"

        return Bench(stmt, {"c": c, **vars(m)}, lambda: check_request(c, lambda s, k: s.get(k)))
    if scenario == "chain30":
        c = make_container(transient_provider(*CHAIN))
        top = CHAIN[-1]
        return Bench("get(top)", {"get": c.get, "top": top}, lambda: _depth(c.get(top), 30))
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            chain = chain or m.make_chain(1000)
            return make_container(transient_provider(*chain)).get(chain[-1])

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(scenario)


# -- dependency-injector ---------------------------------------------------------------------


def dependency_injector(scenario: str) -> Bench:
    from dependency_injector import containers, providers

    if scenario == "singleton":
        settings = providers.Singleton(m.Settings)
        settings()
        return Bench("settings()", {"settings": settings}, lambda: _same(settings(), settings()))
    if scenario in ("tree", "async"):
        d = providers.Factory(m.D)
        e = providers.Factory(m.E)
        b = providers.Factory(m.B, d=d)
        c_ = providers.Factory(m.C, d=d, e=e)
        a = providers.Factory(m.A, b=b, c=c_)
        if scenario == "async":
            raise NotAvailable("no async resolution of plain (sync) factories")
        return Bench("a()", {"a": a}, lambda: m.check_tree(a(), a()))
    if scenario == "mixed":
        pool = providers.Singleton(m.Pool)
        config = providers.Singleton(m.Config)
        repo = providers.Factory(m.Repo, pool=pool)
        service = providers.Factory(m.Service, repo=repo, config=config)
        return Bench("service()", {"service": service}, lambda: m.check_mixed(service(), service()))
    if scenario == "request":
        raise NotAvailable("no request scope (only thread- or context-local singletons)")
    if scenario == "chain30":
        prov = providers.Factory(CHAIN[0])
        for cls in CHAIN[1:]:
            prov = providers.Factory(cls, dep=prov)
        return Bench("prov()", {"prov": prov}, lambda: _depth(prov(), 30))
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            chain = chain or m.make_chain(1000)
            container = containers.DynamicContainer()
            prev = providers.Factory(chain[0])
            container.p0 = prev
            for i, cls in enumerate(chain[1:], 1):
                prev = providers.Factory(cls, dep=prev)
                setattr(container, f"p{i}", prev)
            return container.p999()

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(scenario)


# -- wireup ----------------------------------------------------------------------------------


def wireup(scenario: str) -> Bench:
    import wireup as w

    def container(
        transients: tuple[type, ...],
        singletons: tuple[type, ...] = (),
        scoped: tuple[type, ...] = (),
    ) -> Any:
        items = [w.injectable(cls, lifetime="transient") for cls in transients]
        items += [w.injectable(cls) for cls in singletons]
        items += [w.injectable(cls, lifetime="scoped") for cls in scoped]
        return w.create_sync_container(injectables=items)

    if scenario == "singleton":
        c = container((), (m.Settings,))
        return Bench(
            "get(Settings)",
            {"get": c.get, "Settings": m.Settings},
            lambda: _same(c.get(m.Settings), c.get(m.Settings)),
        )
    if scenario in ("tree", "mixed", "chain30"):
        if scenario == "tree":
            c = container((m.A, m.B, m.C, m.D, m.E))
            key: type = m.A
        elif scenario == "mixed":
            c = container((m.Repo, m.Service), (m.Pool, m.Config))
            key = m.Service
        else:
            c = container(tuple(CHAIN))
            key = CHAIN[-1]
        # transients resolve only inside a scope in wireup: enter one, as a request would
        scope = c.enter_scope().__enter__()
        checks = {
            "tree": lambda: m.check_tree(scope.get(m.A), scope.get(m.A)),
            "mixed": lambda: m.check_mixed(scope.get(m.Service), scope.get(m.Service)),
            "chain30": lambda: _depth(scope.get(key), 30),
        }
        return Bench("get(key)", {"get": scope.get, "key": key}, checks[scenario])
    if scenario == "request":
        c = container((), scoped=(m.RequestState, m.RequestHandler))
        stmt = "with enter() as s:\n    s.get(RequestState)\n    s.get(RequestHandler)\n"

        return Bench(
            stmt,
            {"enter": c.enter_scope, **vars(m)},
            lambda: check_request(c.enter_scope, lambda s, k: s.get(k)),
        )
    if scenario == "async":
        items = [w.injectable(cls, lifetime="transient") for cls in (m.A, m.B, m.C, m.D, m.E)]
        ac = w.create_async_container(injectables=items)
        scope = run(ac.enter_scope().__aenter__())
        return Bench(
            "get(A)",
            {"get": scope.get, "A": m.A},
            lambda: m.check_tree(run(scope.get(m.A)), run(scope.get(m.A))),
            is_async=True,
        )
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            chain = chain or m.make_chain(1000)
            c = container(tuple(chain))
            with c.enter_scope() as s:
                return s.get(chain[-1])

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(scenario)


# -- rodi ------------------------------------------------------------------------------------


def rodi(scenario: str) -> Bench:
    from rodi import Container

    if scenario == "singleton":
        c = Container()
        c.add_singleton(m.Settings)
        p = c.build_provider()
        return Bench(
            "get(Settings)",
            {"get": p.get, "Settings": m.Settings},
            lambda: _same(p.get(m.Settings), p.get(m.Settings)),
        )
    if scenario in ("tree", "chain30"):
        c = Container()
        classes = (m.A, m.B, m.C, m.D, m.E) if scenario == "tree" else tuple(CHAIN)
        for cls in classes:
            c.add_transient(cls)
        p = c.build_provider()
        key = m.A if scenario == "tree" else CHAIN[-1]
        check = (
            (lambda: m.check_tree(p.get(m.A), p.get(m.A)))
            if scenario == "tree"
            else (lambda: _depth(p.get(key), 30))
        )
        return Bench("get(key)", {"get": p.get, "key": key}, check)
    if scenario == "mixed":
        c = Container()
        c.add_singleton(m.Pool)
        c.add_singleton(m.Config)
        c.add_transient(m.Repo)
        c.add_transient(m.Service)
        p = c.build_provider()
        return Bench(
            "get(Service)",
            {"get": p.get, "Service": m.Service},
            lambda: m.check_mixed(p.get(m.Service), p.get(m.Service)),
        )
    if scenario == "request":
        c = Container()
        c.add_scoped(m.RequestState)
        c.add_scoped(m.RequestHandler)
        p = c.build_provider()
        stmt = "with create_scope() as s:\n    get(RequestState, s)\n    get(RequestHandler, s)\n"

        return Bench(
            stmt,
            {"create_scope": p.create_scope, "get": p.get, **vars(m)},
            lambda: check_request(p.create_scope, lambda s, k: p.get(k, s)),
        )
    if scenario == "async":
        raise NotAvailable("no async resolution")
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            chain = chain or m.make_chain(1000)
            c = Container()
            for cls in chain:
                c.add_transient(cls)
            return c.build_provider().get(chain[-1])

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(scenario)


# -- that-depends ----------------------------------------------------------------------------


def that_depends(scenario: str) -> Bench:
    from that_depends import providers

    if scenario == "singleton":
        settings = providers.Singleton(m.Settings)
        settings.resolve_sync()
        return Bench(
            "get()",
            {"get": settings.resolve_sync},
            lambda: _same(settings.resolve_sync(), settings.resolve_sync()),
        )
    if scenario in ("tree", "async"):
        d = providers.Factory(m.D)
        e = providers.Factory(m.E)
        b = providers.Factory(m.B, d=d)
        c_ = providers.Factory(m.C, d=d, e=e)
        a = providers.Factory(m.A, b=b, c=c_)
        if scenario == "async":
            return Bench(
                "get()",
                {"get": a.resolve},
                lambda: m.check_tree(run(a.resolve()), run(a.resolve())),
                is_async=True,
            )
        return Bench(
            "get()",
            {"get": a.resolve_sync},
            lambda: m.check_tree(a.resolve_sync(), a.resolve_sync()),
        )
    if scenario == "mixed":
        pool = providers.Singleton(m.Pool)
        config = providers.Singleton(m.Config)
        repo = providers.Factory(m.Repo, pool=pool)
        service = providers.Factory(m.Service, repo=repo, config=config)
        return Bench(
            "get()",
            {"get": service.resolve_sync},
            lambda: m.check_mixed(service.resolve_sync(), service.resolve_sync()),
        )
    if scenario == "request":
        raise NotAvailable("request-scoped services need its context-resource machinery")
    if scenario == "chain30":
        prov = providers.Factory(CHAIN[0])
        for cls in CHAIN[1:]:
            prov = providers.Factory(cls, dep=prov)
        return Bench("get()", {"get": prov.resolve_sync}, lambda: _depth(prov.resolve_sync(), 30))
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            chain = chain or m.make_chain(1000)
            prov = providers.Factory(chain[0])
            for cls in chain[1:]:
                prov = providers.Factory(cls, dep=prov)
            return prov.resolve_sync()

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(scenario)


# -- injector --------------------------------------------------------------------------------


def injector(scenario: str) -> Bench:
    import injector as inj

    # injector injects only into constructors marked with its @inject (its documented way)
    for cls in (m.A, m.B, m.C, m.Repo, m.Service, *CHAIN):
        if "__init__" in vars(cls):
            cls.__init__ = inj.inject(cls.__init__)  # type: ignore[misc]

    if scenario == "singleton":
        i = inj.Injector(lambda binder: binder.bind(m.Settings, scope=inj.singleton))
        return Bench(
            "get(Settings)",
            {"get": i.get, "Settings": m.Settings},
            lambda: _same(i.get(m.Settings), i.get(m.Settings)),
        )
    if scenario == "tree":
        i = inj.Injector()
        return Bench(
            "get(A)", {"get": i.get, "A": m.A}, lambda: m.check_tree(i.get(m.A), i.get(m.A))
        )
    if scenario == "mixed":

        def configure(binder: inj.Binder) -> None:
            binder.bind(m.Pool, scope=inj.singleton)
            binder.bind(m.Config, scope=inj.singleton)

        i = inj.Injector(configure)
        return Bench(
            "get(Service)",
            {"get": i.get, "Service": m.Service},
            lambda: m.check_mixed(i.get(m.Service), i.get(m.Service)),
        )
    if scenario == "chain30":
        i = inj.Injector()
        top = CHAIN[-1]
        return Bench("get(top)", {"get": i.get, "top": top}, lambda: _depth(i.get(top), 30))
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            chain = chain or m.make_chain(1000)
            for cls in chain[1:]:
                cls.__init__ = inj.inject(cls.__init__)  # type: ignore[misc]
            i = inj.Injector()
            return i.get(chain[-1])

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(
        {"request": "no request scope built in", "async": "no async resolution"}[scenario]
    )


# -- lagom -----------------------------------------------------------------------------------


def lagom(scenario: str) -> Bench:
    from lagom import Container, Singleton

    if scenario == "singleton":
        c = Container()
        c[m.Settings] = Singleton(m.Settings)
        return Bench(
            "c[Settings]",
            {"c": c, "Settings": m.Settings},
            lambda: _same(c[m.Settings], c[m.Settings]),
        )
    if scenario == "tree":
        c = Container()
        return Bench("c[A]", {"c": c, "A": m.A}, lambda: m.check_tree(c[m.A], c[m.A]))
    if scenario == "mixed":
        c = Container()
        c[m.Pool] = Singleton(m.Pool)
        c[m.Config] = Singleton(m.Config)
        return Bench(
            "c[Service]",
            {"c": c, "Service": m.Service},
            lambda: m.check_mixed(c[m.Service], c[m.Service]),
        )
    if scenario == "chain30":
        c = Container()
        top = CHAIN[-1]
        return Bench("c[top]", {"c": c, "top": top}, lambda: _depth(c[top], 30))
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            chain = chain or m.make_chain(1000)
            return Container()[chain[-1]]

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(
        {"request": "no request scope built in", "async": "no async resolution of sync factories"}[
            scenario
        ]
    )


# -- punq ------------------------------------------------------------------------------------


def punq(scenario: str) -> Bench:
    import punq as p

    def container(transients: tuple[type, ...], singletons: tuple[type, ...] = ()) -> Any:
        c = p.Container()
        for cls in transients:
            c.register(cls)
        for cls in singletons:
            c.register(cls, scope=p.Scope.singleton)
        return c

    if scenario == "singleton":
        c = container((), (m.Settings,))
        return Bench(
            "resolve(Settings)",
            {"resolve": c.resolve, "Settings": m.Settings},
            lambda: _same(c.resolve(m.Settings), c.resolve(m.Settings)),
        )
    if scenario == "tree":
        c = container((m.A, m.B, m.C, m.D, m.E))
        return Bench(
            "resolve(A)",
            {"resolve": c.resolve, "A": m.A},
            lambda: m.check_tree(c.resolve(m.A), c.resolve(m.A), distinct_d=False),
        )
    if scenario == "mixed":
        c = container((m.Repo, m.Service), (m.Pool, m.Config))
        return Bench(
            "resolve(Service)",
            {"resolve": c.resolve, "Service": m.Service},
            lambda: m.check_mixed(c.resolve(m.Service), c.resolve(m.Service)),
        )
    if scenario == "chain30":
        c = container(tuple(CHAIN))
        top = CHAIN[-1]
        return Bench(
            "resolve(top)", {"resolve": c.resolve, "top": top}, lambda: _depth(c.resolve(top), 30)
        )
    if scenario == "install1000":

        def build(chain: list[type] | None = None) -> object:
            chain = chain or m.make_chain(1000)
            return container(tuple(chain)).resolve(chain[-1])

        return Bench("build()", {"build": build}, lambda: _depth(build(), 1000))
    raise NotAvailable(
        {"request": "no scopes besides singleton", "async": "no async resolution"}[scenario]
    )


def floor(scenario: str) -> Bench:
    """The measuring stick of the cold build (`benchmarks.floor`), not a peer."""
    from benchmarks import floor as f

    if scenario == "install1000":
        return Bench("build()", {"build": f.build}, lambda: _depth(f.build(), 1000))
    raise NotAvailable("only the install and cold-build scenarios")


BUILDERS: dict[str, Callable[[str], Bench]] = {
    "hand-written": hand,
    "floor": floor,
    "injectq": injectq,
    "dishka": dishka,
    "dependency-injector": dependency_injector,
    "wireup": wireup,
    "rodi": rodi,
    "that-depends": that_depends,
    "injector": injector,
    "lagom": lagom,
    "punq": punq,
}


def build(library: str, scenario: str) -> Bench:
    if scenario == "cold1000":
        # The install1000 build, given chains defined before the timer starts: classes no
        # code has seen, so the time is registering, installing and resolving only.
        bench = BUILDERS[library]("install1000")
        return Bench("", bench.ns, bench.check, extra={"cold": bench.ns["build"]})
    return BUILDERS[library](scenario)
