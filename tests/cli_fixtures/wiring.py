"""A small application wiring, clean and broken variants."""

from typing import Protocol

from injectq import Module, Provider


class Config:
    pass


class Handler(Protocol):
    def handle(self) -> None: ...


class Email:
    def handle(self) -> None:
        pass


class Session:
    pass


class Service:
    def __init__(
        self, config: Config, handlers: dict[str, Handler], session: Provider[Session]
    ) -> None:
        self.config = config


class AppModule(Module):
    def configure(self) -> None:
        self.bind(Config).singleton()
        self.bind(Handler, Email, name="email")
        self.bind(Session).scoped()
        self.bind(Service).singleton()


class Missing(Protocol):
    def go(self) -> None: ...


class NeedsMissing:
    def __init__(self, missing: Missing) -> None:
        self.missing = missing


class BrokenModule(Module):
    def configure(self) -> None:
        self.bind(NeedsMissing)


def make_app() -> Module:
    return AppModule()


INSTANCE = AppModule()
NOT_A_MODULE = "just a string"


class Request:
    pass


class Page:
    def __init__(self, request: Request) -> None:
        self.request = request


class WebModule(Module):
    def configure(self) -> None:
        self.bind(Request).from_context()
        self.bind(Page).scoped()


class Plugin(Protocol):
    def start(self) -> None: ...


class Metrics:
    def start(self) -> None:
        pass


class Tracing:
    def start(self) -> None:
        pass


class PluginHost:
    def __init__(self, plugins: list[Plugin]) -> None:
        self.plugins = plugins


class PluginsModule(Module):
    def configure(self) -> None:
        self.multibind(Plugin, Metrics).singleton()
        self.multibind(Plugin, Tracing)
        self.bind(PluginHost)


class Store:
    def load(self) -> str:
        return "stored"


class CachedStore(Store):
    def __init__(self, inner: Store) -> None:
        self.inner = inner


class DecoratedModule(Module):
    def configure(self) -> None:
        self.bind(Store).singleton()
        self.decorate(Store, CachedStore)
