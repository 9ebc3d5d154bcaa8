"""The integration kit: units of work, noted exceptions, handler marks and validation."""

import abc
import asyncio
import inspect
import tomllib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated

import pytest

from injectq import BindingError, InjectQ, Module, Named, UsageError, provider
from injectq.integrations._kit import (
    Injected,
    Integration,
    Unit,
    current_unit,
    injected_parameters,
    note_error,
    split_key,
    wrap_handler,
)

events: list[str] = []


@pytest.fixture(autouse=True)
def clear_events() -> None:
    events.clear()


class Repo:
    pass


class Mailer:
    pass


class Notifier(abc.ABC):
    @abc.abstractmethod
    def send(self) -> None: ...


class KitModule(Module):
    def configure(self) -> None:
        self.bind(Repo).scoped()
        self.bind(Mailer, name="smtp").singleton()

    @provider(scope="request")
    def tx(self) -> Iterator[list[str]]:
        events.append("begin")
        try:
            yield []
        except Exception as exc:
            events.append(f"rollback {type(exc).__name__}")
            raise
        events.append("commit")

    @provider(scope="request")
    async def atx(self) -> AsyncIterator[bytes]:
        events.append("abegin")
        try:
            yield b""
        except Exception as exc:
            events.append(f"arollback {type(exc).__name__}")
            raise
        events.append("acommit")


def integration(container: InjectQ) -> Integration:
    return Integration(container, framework="Test")


class Answered(Exception):
    """An error a framework would turn into a response."""


def test_noted_error_reaches_generator_providers_sync() -> None:
    """A noted exception is thrown into the scope's generators; the unit does not raise it."""
    container = InjectQ(KitModule())
    with integration(container).unit(None) as unit:
        assert current_unit() is unit
        unit.scope.get(list[str])
        note_error(Answered("409"))
        note_error(ValueError("later"))  # the first noted wins
    assert current_unit() is None
    assert events == ["begin", "rollback Answered"]
    assert isinstance(unit.error, Answered)


async def test_noted_error_reaches_generator_providers_async() -> None:
    """The async face: the same exception reaches an async generator provider."""
    container = InjectQ(KitModule())
    async with integration(container).unit(None) as unit:
        await unit.scope.aget(bytes)
        note_error(Answered("409"))
    assert events == ["abegin", "arollback Answered"]


@pytest.mark.parametrize("face", ["sync", "async"])
async def test_clean_unit_commits_and_a_raised_error_wins(face: str) -> None:
    """No error: commit. A raised error propagates and is what the generator sees."""
    container = InjectQ(KitModule())
    kit = integration(container)
    if face == "sync":
        with kit.unit(None) as unit:
            unit.scope.get(list[str])
        with pytest.raises(KeyError), kit.unit(None) as unit:
            unit.scope.get(list[str])
            note_error(Answered())
            raise KeyError("boom")
    else:
        async with kit.unit(None) as unit:
            unit.scope.get(list[str])
        with pytest.raises(KeyError):
            async with kit.unit(None) as unit:
                unit.scope.get(list[str])
                note_error(Answered())
                raise KeyError("boom")
    assert events == ["begin", "commit", "begin", "rollback KeyError"]


async def test_note_error_outside_a_unit_is_ignored() -> None:
    """Nothing to note into: no error, no unit."""
    note_error(Answered())
    assert current_unit() is None


async def test_cancelled_unit_passes_the_cancellation_to_the_scope() -> None:
    """A unit cancelled while it waits leaves its scope with the cancellation."""
    container = InjectQ(KitModule())
    kit = integration(container)
    started = asyncio.Event()

    async def work() -> None:
        async with kit.unit(None) as unit:
            unit.scope.get(list[str])
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(work())
    await asyncio.wait_for(started.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert events == ["begin"]  # CancelledError is no Exception: the generator just closes
    assert current_unit() is None


async def test_concurrent_units_never_share_scoped_instances() -> None:
    """Units in concurrent tasks each get their own scope and their own noted error."""
    container = InjectQ(KitModule())
    kit = integration(container)
    seen: dict[int, Repo] = {}

    async def work(i: int) -> None:
        async with kit.unit(None) as unit:
            first = unit.scope.get(Repo)
            await asyncio.sleep(0)
            assert container.get(Repo) is first
            seen[i] = first
            if i % 2:
                note_error(Answered(str(i)))
            await asyncio.sleep(0)
            assert isinstance(unit.error, Answered) == bool(i % 2)

    await asyncio.wait_for(asyncio.gather(*(work(i) for i in range(20))), 5)
    assert len({id(r) for r in seen.values()}) == 20


def handler(
    name: str, repo: Injected[Repo], mailer: Injected[Annotated[Mailer, Named("smtp")]]
) -> str:
    return f"{name} {type(repo).__name__} {type(mailer).__name__}"


async def ahandler(repo: Injected[Repo], x: int = 1) -> Repo:
    return repo


def test_injected_parameters_are_found_by_their_mark() -> None:
    """Only the parameters marked Injected are the container's."""
    assert injected_parameters(handler) == ("repo", "mailer")
    assert injected_parameters(ahandler) == ("repo",)
    assert injected_parameters(len) == ()


def test_wrapped_handler_fills_marked_parameters_and_hides_them() -> None:
    """The wrapper fills the marked parameters from the unit and shows the rest."""
    container = InjectQ(KitModule())
    wrapped = wrap_handler(handler, hide=("repo", "mailer"))
    assert list(inspect.signature(wrapped).parameters) == ["name"]
    assert "repo" not in wrapped.__annotations__
    with integration(container).unit(None):
        assert wrapped("ada") == "ada Repo Mailer"


async def test_wrapped_async_handler_stays_async_and_notes_its_error() -> None:
    """An async handler stays a coroutine function; what it raises is noted for the unit."""
    container = InjectQ(KitModule())

    async def failing(repo: Injected[Repo]) -> None:
        raise Answered("nope")

    wrapped = wrap_handler(failing)
    assert inspect.iscoroutinefunction(wrapped)
    async with integration(container).unit(None) as unit:
        assert isinstance(await wrap_handler(ahandler)(), Repo)
        with pytest.raises(Answered):
            await wrapped()
        assert isinstance(unit.error, Answered)


def test_check_reports_every_handler_problem_at_once() -> None:
    """Validation lists each unfillable Injected parameter with its handler's file:line."""

    def broken(a: Injected[Notifier], b: Injected[Annotated[Mailer, Named("smpt")]]) -> None:
        pass

    container = InjectQ(KitModule())
    kit = Integration(container, framework="Test", handlers=lambda: [handler, broken, broken])
    with pytest.raises(BindingError) as info:
        kit.check()
    text = str(info.value)
    assert info.value.codes == ("missing-binding", "missing-binding")
    assert "Nothing binds Notifier." in text
    assert "parameter 'a' of" in text
    assert 'Nothing binds Mailer named "smpt".' in text
    assert 'Did you mean: Mailer named "smtp"' in text
    assert text.count(f"test_integration_kit.py:{broken.__code__.co_firstlineno}") == 2


def test_integration_refuses_bad_arguments() -> None:
    """Not a container, or not a scope name: a UsageError that says what to pass."""
    with pytest.raises(UsageError, match=r"takes an injectq.InjectQ container, got dict"):
        Integration({}, framework="Test")  # type: ignore[arg-type]
    with pytest.raises(
        UsageError, match=r"takes scope= as the name of the scope .* got .singleton."
    ):
        Integration(InjectQ(), framework="Test", scope="singleton")


def test_split_key_reads_a_named_key() -> None:
    """Annotated[T, Named(x)] is T named x; anything else has no name."""
    assert split_key(Annotated[Mailer, Named("smtp")]) == (Mailer, "smtp")
    assert split_key(Mailer) == (Mailer, None)
    assert split_key(Annotated[Mailer, "other"]) == (Annotated[Mailer, "other"], None)


@pytest.mark.parametrize("face", ["sync", "async"])
async def test_lifespan_enters_activates_and_closes(face: str) -> None:
    """Start-up validates, enters and activates the container; shut-down closes it."""
    container = InjectQ(KitModule())
    kit = integration(container)
    if face == "sync":
        with kit.lifespan():
            assert InjectQ.current() is container
    else:
        async with kit.alifespan():
            assert InjectQ.current() is container
    assert container.closed


def test_unit_object_is_slim() -> None:
    """A unit holds its scope and error only (it is made per request)."""
    container = InjectQ()
    unit = Unit(container.scope())
    assert not hasattr(unit, "__dict__")


class Tenant:
    pass


class TenantModule(Module):
    def configure(self) -> None:
        self.bind(Tenant).from_context()  # declares-tenant


def test_golden_text_of_an_unsupplied_context_key() -> None:
    """[unsupplied-context], whole: what, where it was declared, what the framework has, fix."""
    kit = Integration(InjectQ(TenantModule()), framework="Test", supplies={Repo: lambda raw: raw})
    with pytest.raises(BindingError) as info:
        kit.check()
    lines, first = inspect.getsourcelines(TenantModule)
    line = first + next(i for i, text in enumerate(lines) if "# declares-tenant" in text)
    where = f"tests/test_integration_kit.py:{line}"
    assert str(info.value) == (
        "1 problem found while wiring Test\n"
        "\n"
        '1) [unsupplied-context] Test cannot supply Tenant, declared with .from_context() for the scope "request" its units run in.\n'  # noqa: E501
        f"   Tenant declared at: {where} (in TenantModule)\n"
        "   Test supplies: Repo.\n"
        '   Hint: bind Tenant with a scoped provider that takes what Test supplies, or declare it for a scope you enter yourself: .from_context(scope="job") and container.scope("job", context={...}).'  # noqa: E501
    )


ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = sorted(
    p.stem for p in (ROOT / "injectq" / "integrations").glob("*.py") if not p.stem.startswith("_")
)


def test_the_integrations_are_the_eight_frameworks() -> None:
    """One module per framework the issue names, beside the kit."""
    assert FRAMEWORKS == [
        "aiohttp",
        "celery",
        "click",
        "django",
        "fastapi",
        "flask",
        "litestar",
        "starlette",
    ]


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_each_integration_is_an_extra_with_a_page_and_a_reference(name: str) -> None:
    """`pip install 'injectq[name]'`, installed by `make test` too; a docs page; the API."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    assert [dep.split(">")[0] for dep in extras[name]] == [name]
    assert set(extras[name]) <= set(extras["dev"])
    source = (ROOT / "injectq" / "integrations" / f"{name}.py").read_text(encoding="utf-8")
    assert f"pip install 'injectq[{name}]'" in source
    assert (ROOT / "docs" / f"{name}.md").is_file()
    assert f": {name}.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    reference = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert f"::: injectq.integrations.{name}\n" in reference


def test_the_core_depends_on_attrs_and_typing_extensions_only() -> None:
    """The frameworks are extras: installing injectq brings none of them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert sorted(dep.split(">")[0] for dep in project["dependencies"]) == [
        "attrs",
        "typing-extensions",
    ]
