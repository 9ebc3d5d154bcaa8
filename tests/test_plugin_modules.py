"""Plugins: named bindings from independent modules, defaults, and entry-point discovery."""

import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

import pytest

from injectq import (
    InjectQ,
    MissingBindingError,
    Module,
    PluginLoadError,
    discover,
)


class Handler(Protocol):
    def handle(self, text: str) -> str: ...


class Email:
    def handle(self, text: str) -> str:
        return f"email:{text}"


class Sms:
    def handle(self, text: str) -> str:
        return f"sms:{text}"


class Push:
    def handle(self, text: str) -> str:
        return f"push:{text}"


class EmailPlugin(Module):
    def configure(self) -> None:
        self.bind(Handler, Email, name="email")


class SmsPlugin(Module):
    def configure(self) -> None:
        self.bind(Handler).named("sms").to(Sms)


class PushPlugin(Module):
    def configure(self) -> None:
        self.bind(Handler, Push, name="push")


class Router:
    def __init__(self, handlers: dict[str, Handler], view: Mapping[str, Handler]) -> None:
        self.handlers = handlers
        self.view = view


def test_get_all_returns_every_named_binding_in_install_order() -> None:
    """Independent modules' named bindings come back by name, in install order."""
    c = InjectQ(SmsPlugin(), EmailPlugin())
    c.install(PushPlugin())
    handlers = c.get_all(Handler)
    assert list(handlers) == ["sms", "email", "push"]
    assert handlers["email"].handle("hi") == "email:hi"
    assert c.get(Handler, name="push").handle("x") == "push:x"


def test_dict_and_mapping_parameters_receive_the_same_named_bindings() -> None:
    """dict[str, T] and Mapping[str, T] parameters receive what get_all returns."""
    c = InjectQ(EmailPlugin(), SmsPlugin())
    router = c.get(Router)
    assert list(router.handlers) == list(router.view) == list(c.get_all(Handler))
    assert {type(h) for h in router.handlers.values()} == {Email, Sms}


def test_no_named_bindings_gives_an_empty_mapping() -> None:
    """With no plugin installed the mapping is empty, not an error."""
    assert InjectQ().get(Router).handlers == {}
    assert InjectQ().get_all(Handler) == {}


def test_a_missing_name_lists_the_existing_names() -> None:
    """get(K, name=...) for an unknown plugin name names the ones that exist."""
    c = InjectQ(EmailPlugin(), SmsPlugin())
    with pytest.raises(MissingBindingError) as info:
        c.get(Handler, name="fax")
    assert '"email", "sms"' in str(info.value)
    assert info.value.candidates  # structured too


# -- discovery ---------------------------------------------------------------------------

PLUGIN_SOURCE = """
from injectq import Module


class Greeting:
    def __init__(self, text: str) -> None:
        self.text = text


class GreetingModule(Module):
    def configure(self) -> None:
        self.bind(Greeting, Greeting("hello from a plugin"))


class Farewell:
    pass


def make_farewell_module() -> Module:
    class FarewellModule(Module):
        def configure(self) -> None:
            self.bind(Farewell)

    return FarewellModule()


INSTANCE = GreetingModule()
NOT_A_MODULE = 42
"""


def make_distribution(
    root: Path, dist: str, version: str, entry_points: dict[str, str], package: str
) -> None:
    """Write an installed-looking distribution (package + .dist-info) under ``root``."""
    pkg = root / package
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(PLUGIN_SOURCE), encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = "\n".join(f"{name} = {value}" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[test.injectq.plugins]\n{lines}\n", encoding="utf-8")


@pytest.fixture
def plugin_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("acme_")]:
        del sys.modules[name]


def test_discover_loads_classes_instances_and_factories_in_a_stable_order(
    plugin_root: Path,
) -> None:
    """Entry points naming a Module class, instance or factory all load, sorted by dist."""
    make_distribution(
        plugin_root, "zeta-plugins", "1.0", {"greeting": "acme_zeta:GreetingModule"}, "acme_zeta"
    )
    make_distribution(
        plugin_root,
        "alpha-plugins",
        "2.0",
        {"farewell": "acme_alpha:make_farewell_module", "instance": "acme_alpha:INSTANCE"},
        "acme_alpha",
    )
    modules = discover("test.injectq.plugins")
    assert [type(m).__name__ for m in modules] == [
        "FarewellModule",
        "GreetingModule",
        "GreetingModule",
    ]
    assert [type(m).__module__ for m in modules] == ["acme_alpha", "acme_alpha", "acme_zeta"]
    container = InjectQ(*modules[:2])
    assert container.get(sys.modules["acme_alpha"].Greeting).text == "hello from a plugin"


def test_discover_names_filter(plugin_root: Path) -> None:
    """names= keeps only the listed plugins; an unknown name is an error listing the rest."""
    make_distribution(
        plugin_root,
        "acme-one",
        "1.0",
        {"greeting": "acme_one:GreetingModule", "farewell": "acme_one:make_farewell_module"},
        "acme_one",
    )
    assert len(discover("test.injectq.plugins", names=["farewell"])) == 1
    with pytest.raises(PluginLoadError, match="declared: farewell, greeting"):
        discover("test.injectq.plugins", names=["nope"])


@pytest.mark.parametrize(
    ("value", "phrases"),
    [
        ("acme_broken.missing:Thing", ["failed to load", "ModuleNotFoundError"]),
        ("acme_broken:DoesNotExist", ["failed to load", "AttributeError"]),
        ("acme_broken:NOT_A_MODULE", ["produced int 42, not an injectq Module"]),
    ],
    ids=["import-error", "missing-attribute", "wrong-type"],
)
def test_a_broken_plugin_names_its_distribution(
    plugin_root: Path, value: str, phrases: list[str]
) -> None:
    """A plugin that fails to load raises PluginLoadError naming the distribution."""
    make_distribution(plugin_root, "acme-broken", "0.3.1", {"bad": value}, "acme_broken")
    with pytest.raises(PluginLoadError) as info:
        discover("test.injectq.plugins")
    text = str(info.value)
    assert 'plugin "bad"' in text
    assert "distribution acme-broken 0.3.1" in text
    assert "Hint:" in text
    for phrase in phrases:
        assert phrase in text
    assert isinstance(info.value, ImportError)


def test_discover_with_no_plugins_is_empty() -> None:
    """A group nobody declares yields no modules."""
    assert discover("test.injectq.nobody-declares-this") == []
