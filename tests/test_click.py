"""The Click integration, driven with Click's CliRunner; Typer apps through the same module."""

import sqlite3
from pathlib import Path
from typing import Annotated, Any, cast

import click
import pytest
import typer
import typer.main
from click.testing import CliRunner
from typer.testing import CliRunner as TyperRunner

from injectq import BindingError, InjectQ, Named, UsageError
from injectq.integrations.click import Injected, setup, typer_command
from tests.sync_support import (
    ClockModule,
    Session,
    TenantModule,
    assert_reported,
    clear_events,  # noqa: F401 - the autouse fixture, by import
    events,
    misspelled,
    rows,
    unbound,
)


class Invocation:
    """A service built from the command's click.Context: context of the scope."""

    def __init__(self, ctx: click.Context) -> None:
        self.name = ctx.info_name


class CliModule(ClockModule):
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


def test_a_command_runs_in_its_own_scope(db: Path) -> None:
    """Injected parameters beside Click's own; the scope is left when the command ends."""
    cli = make_cli()
    container = InjectQ(CliModule(db))
    setup(cli, container)
    result = CliRunner().invoke(cli, ["greet", "ada"])
    assert result.exit_code == 0, result.output
    word, name, number, same = result.output.split()
    assert (word, name, same) == ("hello", "ada", "True")
    assert events == ["clock", f"dispose session {number}"]
    assert container.closed  # the invocation's end is the CLI's shut-down


def test_the_click_context_is_context_of_the_scope(db: Path) -> None:
    """A service taking click.Context receives the command's context."""
    cli = make_cli()
    setup(cli, InjectQ(CliModule(db)))
    result = CliRunner().invoke(cli, ["whoami"])
    assert result.output == "whoami whoami\n"


@pytest.mark.parametrize(
    ("name", "code", "seen"),
    [("taken", 1, "rollback ClickException"), ("boom", 1, "rollback RuntimeError")],
)
def test_a_failing_command_rolls_back(name: str, code: int, seen: str, db: Path) -> None:
    """Click turns ClickException into an exit code; the transaction still rolls back."""
    cli = make_cli()
    setup(cli, InjectQ(CliModule(db)))
    assert CliRunner().invoke(cli, ["create", name]).exit_code == code
    assert events == ["clock", seen]
    assert rows(db) == []


def test_exit_zero_is_a_success(db: Path) -> None:
    """ctx.exit(0) ends the command normally: the write is committed."""
    cli = make_cli()
    setup(cli, InjectQ(CliModule(db)))
    assert CliRunner().invoke(cli, ["create", "done"]).exit_code == 0
    assert events == ["clock", "commit"]
    assert rows(db) == ["done"]


def test_setup_again_after_the_last_run_closed_its_container(db: Path) -> None:
    """Each run closes its container; a test may wire the same CLI to a fresh one."""
    cli = make_cli()
    runner = CliRunner()
    setup(cli, InjectQ(CliModule(db)))
    assert runner.invoke(cli, ["create", "ada"]).output == "created\n"
    setup(cli, InjectQ(CliModule(db)))
    assert runner.invoke(cli, ["create", "bob"]).output == "created\n"
    assert rows(db) == ["ada", "bob"]


def test_setup_twice_with_an_open_container_is_a_usage_error(db: Path) -> None:
    """A second setup() while the first container is open says how to fix it."""
    cli = make_cli()
    container = InjectQ(CliModule(db))
    setup(cli, container)
    with pytest.raises(UsageError, match=r"Click setup\(\) was called twice"):
        setup(cli, InjectQ(CliModule(db)))


def test_commands_added_after_setup_are_wired_at_the_run(db: Path) -> None:
    """The run's start validates and wires commands added since setup()."""
    cli = make_cli()
    setup(cli, InjectQ(CliModule(db)))

    @cli.command()
    def late(session: Injected[Session]) -> None:
        click.echo(str(session.number))

    result = CliRunner().invoke(cli, ["late"])
    assert result.exit_code == 0, result.output
    assert events == ["clock", f"dispose session {result.output.strip()}"]


@pytest.mark.parametrize("kind", ["click", "typer"])
def test_setup_reports_every_broken_command_at_once(kind: str, db: Path) -> None:
    """Two commands, two problems, one BindingError with each command's file:line."""
    cli: Any = click.Group("cli") if kind == "click" else typer.Typer()
    cli.command()(unbound)
    cli.command()(misspelled)
    with pytest.raises(BindingError) as info:
        setup(cli, InjectQ(CliModule(db) if kind == "click" else TyperModule(db)))
    assert_reported(info.value)


@pytest.mark.parametrize("framework", ["Click", "Typer"])
def test_a_context_key_the_framework_cannot_supply_is_reported_at_setup(framework: str) -> None:
    """A context key other than the command's context: setup() names it."""
    cli = make_cli() if framework == "Click" else make_plain_typer_app()
    expected = rf"\[unsupplied-context\] {framework} cannot supply Tenant"
    with pytest.raises(BindingError, match=expected):
        setup(cli, InjectQ(TenantModule()))


def test_setup_refuses_what_is_not_a_command(db: Path) -> None:
    """Passing the function instead of the command: a UsageError with the fix."""
    with pytest.raises(UsageError, match=r"setup\(\) takes a Click command or group"):
        setup(make_cli, InjectQ(CliModule(db)))


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


def test_a_typer_app_through_the_same_integration(db: Path) -> None:
    """Typer builds its commands without the Injected parameters; setup() fills them."""
    cli = typer.main.get_command(make_typer_app())
    setup(cli, InjectQ(ClockModule(db)))
    result = run_typer(cli, ["create", "ada"])
    assert result.output == "created ada\n", result.output
    assert events == ["clock", "commit"]
    setup(cli, InjectQ(ClockModule(db)))
    assert run_typer(cli, ["create", "taken"]).exit_code == 3
    setup(cli, InjectQ(ClockModule(db)))
    assert run_typer(cli, ["create", "done"]).exit_code == 0
    assert events == ["clock", "commit", "clock", "rollback Exit", "clock", "commit"]
    assert rows(db) == ["ada", "done"]


def test_typer_help_does_not_show_injected_parameters(db: Path) -> None:
    """Typer's options and arguments are only the command's own."""
    cli = typer.main.get_command(make_typer_app())
    setup(cli, InjectQ(ClockModule(db)))
    result = run_typer(cli, ["create", "--help"])
    assert "Usage: root create [OPTIONS] {name}" in result.output
    assert "conn" not in result.output.lower()


class Command:
    """A service built from the running Typer command's context: context of the scope."""

    def __init__(self, ctx: typer.Context) -> None:
        self.ctx = ctx


class TyperModule(ClockModule):
    def configure(self) -> None:
        super().configure()
        self.bind(typer.Context).from_context()
        self.bind(Command).scoped()


def make_plain_typer_app() -> typer.Typer:
    """A Typer app written as Typer's docs write one: no decorator of ours."""
    app = typer.Typer()
    users = typer.Typer()
    app.add_typer(users, name="users")

    @app.callback()
    def main(ctx: typer.Context, command: Injected[Command]) -> None:
        print(f"main {command.ctx is ctx} {isinstance(ctx, typer.Context)}")

    @app.command()
    def create(name: str, conn: Injected[sqlite3.Connection]) -> None:
        conn.execute("INSERT INTO accounts VALUES (?)", (name,))
        if name == "taken":
            raise typer.Exit(code=3)
        if name == "done":
            raise typer.Exit
        print(f"created {name}")

    @users.command("show")
    def show(ctx: typer.Context, command: Injected[Command], session: Injected[Session]) -> None:
        print(f"{command.ctx.info_name} {command.ctx is ctx} {session.number > 0}")

    return app


def test_a_typer_app_is_wired_as_it_is(db: Path) -> None:
    """setup(app): typer.testing.CliRunner runs the commands in scopes, the writes roll back."""
    app = make_plain_typer_app()
    runner = TyperRunner()
    setup(app, InjectQ(TyperModule(db)))
    result = runner.invoke(app, ["create", "ada"])
    assert result.output == "main True True\ncreated ada\n", result.output
    setup(app, InjectQ(TyperModule(db)))  # the last run closed its container
    assert runner.invoke(app, ["create", "taken"]).exit_code == 3
    setup(app, InjectQ(TyperModule(db)))
    assert runner.invoke(app, ["create", "done"]).exit_code == 0
    assert [e for e in events if e != "clock"] == ["commit", "rollback Exit", "commit"]
    assert rows(db) == ["ada", "done"]


def test_typer_context_is_context_of_the_scope(db: Path) -> None:
    """A service taking typer.Context gets the command's context, in a sub-app too."""
    app = make_plain_typer_app()
    setup(app, InjectQ(TyperModule(db)))
    result = TyperRunner().invoke(app, ["users", "show"])
    assert result.exit_code == 0, result.output
    assert result.output == "main True True\nshow True True\n"
    assert len([e for e in events if e.startswith("dispose")]) == 1


def test_typer_help_shows_only_the_commands_own_parameters(db: Path) -> None:
    """Typer builds each command without its Injected parameters."""
    app = make_plain_typer_app()
    setup(app, InjectQ(TyperModule(db)))
    result = TyperRunner().invoke(app, ["create", "--help"])
    assert "Usage: root create [OPTIONS] {name}" in result.output
    assert "conn" not in result.output.lower()


def test_typer_setup_twice_is_a_usage_error(db: Path) -> None:
    """A second setup() of a Typer app while its container is open says how to fix it."""
    app = make_plain_typer_app()
    setup(app, InjectQ(TyperModule(db)))
    with pytest.raises(UsageError, match=r"Typer setup\(\) was called twice"):
        setup(app, InjectQ(TyperModule(db)))


def test_typer_context_in_a_tree_built_with_get_command(db: Path) -> None:
    """The command tree Typer built, wired with typer_command: typer.Context is served too."""
    app = typer.Typer()

    @app.command()
    @typer_command
    def who(command: Injected[Command]) -> None:
        print(command.ctx.info_name, isinstance(command.ctx, typer.Context))

    cli = typer.main.get_command(app)
    setup(cli, InjectQ(TyperModule(db)))
    assert run_typer(cli, []).output == "who True\n"
