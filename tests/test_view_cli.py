"""The graph view, its exports, and `python -m injectq` run as a user would."""

import subprocess
import sys
from pathlib import Path

import pytest

from injectq import InjectQ
from tests.cli_fixtures.wiring import AppModule, Handler, Service, Session

TESTS = Path(__file__).resolve().parent
HERE = "tests/cli_fixtures/wiring.py"


def test_binding_info_fields() -> None:
    """Each binding is described: key, name, scope, kind, target, deps, source, modules."""
    graph = InjectQ(AppModule()).graph
    service = graph.get(Service)
    assert service is not None
    assert (service.scope, service.kind, service.target) == ("singleton", "class", "Service")
    assert [(d.parameter, d.strategy) for d in service.dependencies] == [
        ("config", "binding"),
        ("handlers", "mapping"),
        ("session", "provider"),
    ]
    assert service.dependencies[1].names == ("email",)
    assert service.modules == ("AppModule",)
    assert service.location.startswith(f"{HERE}:")
    email = graph.get(Handler, "email")
    assert email is not None
    assert email.label == 'Handler named "email"'
    assert graph.get(Session).scope == "request"  # type: ignore[union-attr]
    assert graph.get(str) is None
    assert len(graph) == 4
    assert graph.modules == ("AppModule",)


def test_text_export() -> None:
    """to_text lists each binding and what its parameters receive."""
    text = InjectQ(AppModule()).graph.to_text()
    lines = text.splitlines()
    assert lines[0].startswith("Config  [singleton, class Config]  tests/cli_fixtures/wiring.py:")
    assert '    handlers: dict of Handler named "email"' in lines
    assert "    session: Provider[Session] (resolved when called)" in lines


def test_mermaid_export_groups_scopes_and_marks_providers() -> None:
    """Mermaid: a subgraph per scope, dotted edges for Provider[T], escaped quotes."""
    text = InjectQ(AppModule()).graph.to_mermaid()
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  subgraph scope_singleton["singleton"]' in lines
    assert '  subgraph scope_request["request"]' in lines
    assert '    n1["Handler named #quot;email#quot;<br/>class: Email"]' in lines
    assert '  n3 -.->|"session"| n2' in lines
    assert '  n3 -->|"handlers[email]"| n1' in lines


def test_dot_export() -> None:
    """DOT: clusters per scope, labelled edges, dashed Provider edges, escaped quotes."""
    text = InjectQ(AppModule()).graph.to_dot()
    assert text.startswith("digraph injectq {")
    assert "subgraph cluster_scope_request {" in text
    assert 'n1 [label="Handler named \\"email\\"\\nclass: Email"' in text
    assert 'n3 -> n2 [label="session", style=dashed];' in text
    assert text.rstrip().endswith("}")


def test_explain_shows_the_chain() -> None:
    """explain() prints the binding and what each parameter resolves to."""
    text = InjectQ(AppModule()).graph.explain(Service)
    lines = text.splitlines()
    assert lines[0].startswith("Service  [singleton, class Service]")
    assert lines[1].startswith("├── config: Config  =>  Config  [singleton, class Config]")
    assert lines[2] == '├── handlers: dict of Handler named "email"'
    assert lines[3] == "└── session: Provider[Session] (resolved when called)"
    assert InjectQ(AppModule()).graph.explain(Handler) == (
        "Handler is not bound (it is bound with names: 'email').\n"
    )


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "injectq", *args],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_clean_exits_0_with_a_summary() -> None:
    """A clean wiring prints one line and exits 0."""
    result = cli("check", "tests.cli_fixtures.wiring:AppModule")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok: 4 bindings from 1 module(s) (AppModule) install cleanly\n"


def test_check_with_problems_exits_1_printing_them() -> None:
    """Problems are printed as the aggregated BindingError; exit status 1."""
    result = cli("check", "tests.cli_fixtures.wiring:BrokenModule")
    assert result.returncode == 1
    assert "injectq.BindingError: 1 problem found while installing BrokenModule" in result.stderr
    assert "1) [missing-binding] Nothing binds Missing." in result.stderr
    assert result.stderr.rstrip().endswith("check failed: 1 problem")


@pytest.mark.parametrize(
    ("fmt", "start"),
    [("text", "Config  [singleton"), ("mermaid", "flowchart LR"), ("dot", "digraph injectq {")],
)
def test_graph_formats(fmt: str, start: str) -> None:
    """`graph --format` prints the chosen export."""
    result = cli("graph", "tests.cli_fixtures.wiring:make_app", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(start)


def test_explain_by_class_name() -> None:
    """`explain MODULE KEY` finds the key by its class name."""
    result = cli("explain", "tests.cli_fixtures.wiring:INSTANCE", "Service")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Service  [singleton, class Service]")


def test_explain_of_a_key_bound_only_by_name_exits_1() -> None:
    """`explain` of a type bound only with names says so and fails."""
    result = cli("explain", "tests.cli_fixtures.wiring:AppModule", "Handler")
    assert result.returncode == 1
    assert result.stdout == "Handler is not bound (it is bound with names: 'email').\n"


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        ((), "a command is needed"),
        (("frobnicate", "x:y"), "invalid choice"),
        (("check", "tests.cli_fixtures.wiring"), "is not a MODULE:ATTR reference"),
        (("check", "no_such_package.mod:App"), "cannot import 'no_such_package.mod'"),
        (("check", "tests.cli_fixtures.wiring:Nope"), "has no attribute 'Nope'"),
        (("check", "tests.cli_fixtures.wiring:NOT_A_MODULE"), "not an injectq Module"),
        (("explain", "tests.cli_fixtures.wiring:AppModule", "Unknown"), "no bound key is named"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: tuple[str, ...], phrase: str) -> None:
    """Wrong arguments get one clear line on stderr, exit 2, and no traceback."""
    result = cli(*args)
    assert result.returncode == 2
    assert phrase in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_graph_shows_a_collection_with_its_elements() -> None:
    """`graph` lists the collection, then each element, with scope, target and place."""
    result = cli("graph", "tests.cli_fixtures.wiring:PluginsModule")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PluginHost  [transient, class PluginHost]")
    assert lines[1] == "    plugins: list[Plugin]"
    assert lines[2].startswith(f"list[Plugin]  [transient, collection of 2]  {HERE}:")
    assert lines[3:5] == [
        "    #1: Plugin (element 1 of list[Plugin])",
        "    #2: Plugin (element 2 of list[Plugin])",
    ]
    assert lines[5].startswith(
        f"Plugin (element 1 of list[Plugin])  [singleton, class Metrics]  {HERE}:"
    )
    assert lines[6].startswith(
        f"Plugin (element 2 of list[Plugin])  [transient, class Tracing]  {HERE}:"
    )


def test_explain_shows_the_elements_of_a_collection_parameter() -> None:
    """`explain` of a class taking list[T] shows the collection, then each element."""
    result = cli("explain", "tests.cli_fixtures.wiring:PluginsModule", "PluginHost")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith(
        "└── plugins: list[Plugin]  =>  list[Plugin]  [transient, collection of 2]"
    )
    assert lines[2].startswith(
        "    ├── #1: Plugin (element 1 of list[Plugin])  =>  Plugin (element 1 of list[Plugin])"
        "  [singleton, class Metrics]"
    )
    assert lines[3].startswith("    └── #2: Plugin (element 2 of list[Plugin])")


def test_explain_shows_a_decorator_chain() -> None:
    """`explain` of a decorated key shows the decorator, then the binding inside it."""
    result = cli("explain", "tests.cli_fixtures.wiring:DecoratedModule", "Store")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Store  [singleton, decorator CachedStore]  {HERE}:")
    assert lines[1].startswith(
        "└── inner: Store (undecorated)  =>  Store (undecorated)  [singleton, class Store]"
    )
    graph = cli("graph", "tests.cli_fixtures.wiring:DecoratedModule", "--format", "mermaid")
    assert "Store<br/>decorator: CachedStore" in graph.stdout
    assert '-->|"inner"|' in graph.stdout
