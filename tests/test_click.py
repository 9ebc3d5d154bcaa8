"""The Click integration, driven with Click's CliRunner; a Typer app through the same module."""

import itertools
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, cast

import click
import pytest
import typer
import typer.main
from click.testing import CliRunner

from injectq import BindingError, InjectQ, Module, Named, UsageError, provider, resource
from injectq.integrations.click import Injected, setup, typer_command

events: list[str] = []
DB: list[Path] = []


@pytest.fixture(autouse=True)
def database(tmp_path: Path) -> None:
    events.clear()
    DB.append(tmp_path / "db.sqlite")
    with sqlite3.connect(DB[-1]) as conn:
        conn.execute("CREATE TABLE accounts (name TEXT)")


@resource
class Session:
    count = itertools.count(1)

    def __init__(self) -> None:
        self.number = next(Session.count)

    def dispose(self) -> None:
        events.append(f"dispose {self.number}")


class Invocation:
    """A service built from the command's click.Context: context of the scope."""

    def __init__(self, ctx: click.Context) -> None:
        self.name = ctx.info_name


class Clock:
    def __init__(self) -> None:
        events.append("clock")


class StoreModule(Module):
    def configure(self) -> None:
        self.bind(Session).scoped()
        self.bind(Clock).eager()
        self.bind(str, "hello", name="greeting")

    @provider(scope="request")
    def connection(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(DB[-1], isolation_level=None)
        conn.execute("BEGIN")
        try:
            yield conn
        except BaseException as exc:
            conn.execute("ROLLBACK")
            events.append(f"rollback {type(exc).__name__}")
            raise
        else:
            conn.execute("COMMIT")
            events.append("commit")
        finally:
            conn.close()


class CliModule(StoreModule):
    def configure(self) -> None:
        super().configure()
        self.bind(click.Context).from_context()
        self.bind(Invocation).scoped()


def make_cli() -> click.Group:
    @click.group()
    def cli() -> None:
        pass

    @cli.command()
    @click.argument("name")
    def greet(
        name: str,
        session: Injected[Session],
        again: Injected[Session],
        word: Injected[Annotated[str, Named("greeting")]],
    ) -> None:
        click.echo(f"{word} {name} {session.number} {session is again}")

    @cli.command()
    @click.pass_context
    def whoami(ctx: click.Context, invocation: Injected[Invocation]) -> None:
        click.echo(f"{invocation.name} {ctx.info_name}")

    @cli.command()
    @click.argument("name")
    def create(name: str, conn: Injected[sqlite3.Connection]) -> None:
        conn.execute("INSERT INTO accounts VALUES (?)", (name,))
        if name == "taken":
            raise click.ClickException("taken")
        if name == "done":
            click.get_current_context().exit(0)
        if name == "boom":
            msg = "unexpected"
            raise RuntimeError(msg)
        click.echo("created")

    return cli


def rows() -> list[str]:
    with sqlite3.connect(DB[-1]) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM accounts")]


def test_a_command_runs_in_its_own_scope() -> None:
    """Injected parameters beside Click's own; the scope is left when the command ends."""
    cli = make_cli()
    container = InjectQ(CliModule())
    setup(cli, container)
    result = CliRunner().invoke(cli, ["greet", "ada"])
    assert result.exit_code == 0, result.output
    word, name, number, same = result.output.split()
    assert (word, name, same) == ("hello", "ada", "True")
    assert events == ["clock", f"dispose {number}"]
    assert container.closed  # the invocation's end is the CLI's shut-down


def test_the_click_context_is_context_of_the_scope() -> None:
    """A service taking click.Context receives the command's context."""
    cli = make_cli()
    setup(cli, InjectQ(CliModule()))
    result = CliRunner().invoke(cli, ["whoami"])
    assert result.output == "whoami whoami\n"


@pytest.mark.parametrize(
    ("name", "code", "seen"),
    [("taken", 1, "rollback ClickException"), ("boom", 1, "rollback RuntimeError")],
)
def test_a_failing_command_rolls_back(name: str, code: int, seen: str) -> None:
    """Click turns ClickException into an exit code; the transaction still rolls back."""
    cli = make_cli()
    setup(cli, InjectQ(CliModule()))
    assert CliRunner().invoke(cli, ["create", name]).exit_code == code
    assert events == ["clock", seen]
    assert rows() == []


def test_exit_zero_is_a_success() -> None:
    """ctx.exit(0) ends the command normally: the write is committed."""
    cli = make_cli()
    setup(cli, InjectQ(CliModule()))
    assert CliRunner().invoke(cli, ["create", "done"]).exit_code == 0
    assert events == ["clock", "commit"]
    assert rows() == ["done"]


def test_setup_again_after_the_last_run_closed_its_container() -> None:
    """Each run closes its container; a test may wire the same CLI to a fresh one."""
    cli = make_cli()
    runner = CliRunner()
    setup(cli, InjectQ(CliModule()))
    assert runner.invoke(cli, ["create", "ada"]).output == "created\n"
    setup(cli, InjectQ(CliModule()))
    assert runner.invoke(cli, ["create", "bob"]).output == "created\n"
    assert rows() == ["ada", "bob"]


def test_setup_twice_with_an_open_container_is_a_usage_error() -> None:
    """A second setup() while the first container is open says how to fix it."""
    cli = make_cli()
    container = InjectQ(CliModule())
    setup(cli, container)
    with pytest.raises(UsageError, match=r"Click setup\(\) was called twice"):
        setup(cli, InjectQ(CliModule()))


def test_commands_added_after_setup_are_wired_at_the_run() -> None:
    """The run's start validates and wires commands added since setup()."""
    cli = make_cli()
    setup(cli, InjectQ(CliModule()))

    @cli.command()
    def late(session: Injected[Session]) -> None:
        click.echo(str(session.number))

    result = CliRunner().invoke(cli, ["late"])
    assert result.exit_code == 0, result.output
    assert events == ["clock", f"dispose {result.output.strip()}"]


class Missing:
    def __init__(self, required: int) -> None:
        self.required = required


class Tenant:
    pass


def test_setup_reports_every_broken_command_at_once() -> None:
    """Two commands, two problems, one BindingError with each command's file:line."""

    @click.group()
    def cli() -> None:
        pass

    @cli.command()
    def one(thing: Injected[Missing]) -> None: ...

    @cli.command()
    def two(word: Injected[Annotated[str, Named("greting")]]) -> None: ...

    with pytest.raises(BindingError) as info:
        setup(cli, InjectQ(CliModule()))
    text = str(info.value)
    assert "[missing-binding] Nothing binds Missing." in text
    assert 'Did you mean: str named "greeting"' in text
    assert re.search(r"one defined at: \S*test_click\.py:\d+", text)
    assert re.search(r"two defined at: \S*test_click\.py:\d+", text)


def test_a_context_key_click_cannot_supply_is_reported_at_setup() -> None:
    """A context key other than click.Context: setup() names it and what Click supplies."""

    class TenantModule(Module):
        def configure(self) -> None:
            self.bind(Tenant).from_context()

    with pytest.raises(BindingError, match=r"\[unsupplied-context\] Click cannot supply Tenant"):
        setup(make_cli(), InjectQ(TenantModule()))


def test_setup_refuses_what_is_not_a_command() -> None:
    """Passing the function instead of the command: a UsageError with the fix."""
    with pytest.raises(UsageError, match=r"setup\(\) takes a Click command or group"):
        setup(make_cli, InjectQ(CliModule()))


def make_typer_app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @typer_command
    def create(name: str, conn: Injected[sqlite3.Connection]) -> None:
        conn.execute("INSERT INTO accounts VALUES (?)", (name,))
        if name == "taken":
            raise typer.Exit(code=3)
        if name == "done":
            raise typer.Exit
        print(f"created {name}")

    @app.command()
    @typer_command
    def count(session: Injected[Session]) -> None:
        print(session.number)

    return app


def run_typer(cli: Any, args: list[str]) -> Any:
    """Run a Typer-built command (Typer's own runner takes the Typer app, not its command)."""
    return CliRunner().invoke(cast("click.Command", cli), args)


def test_a_typer_app_through_the_same_integration() -> None:
    """Typer builds its commands without the Injected parameters; setup() fills them."""
    cli = typer.main.get_command(make_typer_app())
    setup(cli, InjectQ(StoreModule()))
    result = run_typer(cli, ["create", "ada"])
    assert result.output == "created ada\n", result.output
    assert events == ["clock", "commit"]
    setup(cli, InjectQ(StoreModule()))
    assert run_typer(cli, ["create", "taken"]).exit_code == 3
    setup(cli, InjectQ(StoreModule()))
    assert run_typer(cli, ["create", "done"]).exit_code == 0
    assert events == ["clock", "commit", "clock", "rollback Exit", "clock", "commit"]
    assert rows() == ["ada", "done"]


def test_typer_help_does_not_show_injected_parameters() -> None:
    """Typer's options and arguments are only the command's own."""
    cli = typer.main.get_command(make_typer_app())
    setup(cli, InjectQ(StoreModule()))
    result = run_typer(cli, ["create", "--help"])
    assert "Usage: root create [OPTIONS] {name}" in result.output
    assert "conn" not in result.output.lower()
