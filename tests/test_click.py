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
from typer.testing import CliRunner as TyperRunner

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


class Command:
    """A service built from the running Typer command's context: context of the scope."""

    def __init__(self, ctx: typer.Context) -> None:
        self.ctx = ctx


class TyperModule(StoreModule):
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


def test_a_typer_app_is_wired_as_it_is() -> None:
    """setup(app): typer.testing.CliRunner runs the commands in scopes, the writes roll back."""
    app = make_plain_typer_app()
    runner = TyperRunner()
    setup(app, InjectQ(TyperModule()))
    result = runner.invoke(app, ["create", "ada"])
    assert result.output == "main True True\ncreated ada\n", result.output
    setup(app, InjectQ(TyperModule()))  # the last run closed its container
    assert runner.invoke(app, ["create", "taken"]).exit_code == 3
    setup(app, InjectQ(TyperModule()))
    assert runner.invoke(app, ["create", "done"]).exit_code == 0
    assert [e for e in events if e != "clock"] == ["commit", "rollback Exit", "commit"]
    assert rows() == ["ada", "done"]


def test_typer_context_is_context_of_the_scope() -> None:
    """A service taking typer.Context gets the command's context, in a sub-app too."""
    app = make_plain_typer_app()
    setup(app, InjectQ(TyperModule()))
    result = TyperRunner().invoke(app, ["users", "show"])
    assert result.exit_code == 0, result.output
    assert result.output == "main True True\nshow True True\n"
    assert len([e for e in events if e.startswith("dispose")]) == 1


def test_typer_help_shows_only_the_commands_own_parameters() -> None:
    """Typer builds each command without its Injected parameters."""
    app = make_plain_typer_app()
    setup(app, InjectQ(TyperModule()))
    result = TyperRunner().invoke(app, ["create", "--help"])
    assert "Usage: root create [OPTIONS] {name}" in result.output
    assert "conn" not in result.output.lower()


def test_typer_setup_reports_every_broken_command_at_once() -> None:
    """Two commands, two problems, one BindingError with each command's file:line."""
    app = typer.Typer()

    @app.command()
    def one(thing: Injected[Missing]) -> None: ...

    @app.command()
    def two(word: Injected[Annotated[str, Named("greting")]]) -> None: ...

    with pytest.raises(BindingError) as info:
        setup(app, InjectQ(TyperModule()))
    text = str(info.value)
    assert "[missing-binding] Nothing binds Missing." in text
    assert 'Did you mean: str named "greeting"' in text
    assert re.search(r"one defined at: \S*test_click\.py:\d+", text)
    assert re.search(r"two defined at: \S*test_click\.py:\d+", text)


def test_typer_setup_twice_and_a_context_key_typer_cannot_supply() -> None:
    """A second setup() while the container is open; a context key other than typer.Context."""
    app = make_plain_typer_app()
    setup(app, InjectQ(TyperModule()))
    with pytest.raises(UsageError, match=r"Typer setup\(\) was called twice"):
        setup(app, InjectQ(TyperModule()))

    class TenantModule(TyperModule):
        def configure(self) -> None:
            super().configure()
            self.bind(Tenant).from_context()

    with pytest.raises(BindingError, match=r"\[unsupplied-context\] Typer cannot supply Tenant"):
        setup(make_plain_typer_app(), InjectQ(TenantModule()))


def test_typer_context_in_a_tree_built_with_get_command() -> None:
    """The command tree Typer built, wired with typer_command: typer.Context is served too."""
    app = typer.Typer()

    @app.command()
    @typer_command
    def who(command: Injected[Command]) -> None:
        print(command.ctx.info_name, isinstance(command.ctx, typer.Context))

    cli = typer.main.get_command(app)
    setup(cli, InjectQ(TyperModule()))
    assert run_typer(cli, []).output == "who True\n"
