"""`InjectQ.validate`: handlers planned as call() plans them, every problem reported at once."""

import abc
import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import pytest

from injectq import (
    BindingError,
    CircularDependencyError,
    Inject,
    InjectQ,
    MissingBindingError,
    Module,
    Named,
    UsageError,
    inject,
)

HERE = "tests/test_validate.py"


def line_of(marker: str) -> int:
    """The line number of the source line carrying ``# <marker>`` in this file."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()  # type: ignore[arg-type]
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# {marker}"))


class Notifier:
    pass


class Session:
    pass


class Repository(abc.ABC):
    @abc.abstractmethod
    def save(self) -> None: ...


class Settings:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn


class Needs:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo


class Loop:
    def __init__(self, other: "LoopBack") -> None:
        self.other = other


class LoopBack:
    def __init__(self, loop: Loop) -> None:
        self.loop = loop


class WebModule(Module):
    def configure(self) -> None:
        self.bind(Notifier, Notifier(), name="email")  # email-bound
        self.bind(Session).scoped()


def create_order(  # create-order
    order_id: int,
    repo: Inject[Repository],
    notifier: Inject[Annotated[Notifier, Named("emial")]],
    session: Inject[Session],
) -> None: ...


def list_orders(session: Session, repo: Repository) -> None:  # list-orders
    pass


def fine(session: Session, notifier: Annotated[Notifier, Named("email")]) -> None:
    pass


def test_golden_two_handlers_three_problems() -> None:
    """One BindingError with every problem of both handlers; the scoped one is fine."""
    container = InjectQ(WebModule())
    with pytest.raises(BindingError) as info:
        container.validate(create_order, list_orders)
    create, listing, email = line_of("create-order"), line_of("list-orders"), line_of("email-bound")
    assert str(info.value) == (
        "3 problems found while validating create_order, list_orders\n"
        "\n"
        "1) [missing-binding] Nothing binds Repository.\n"
        "   Requested by: parameter 'repo' of create_order\n"
        f"   create_order defined at: {HERE}:{create}\n"
        "   Hint: bind it, e.g. self.bind(Repository, Impl), or make the parameter optional "
        "(repo: Repository | None = None).\n"
        "\n"
        '2) [missing-binding] Nothing binds Notifier named "emial".\n'
        "   Requested by: parameter 'notifier' of create_order\n"
        f"   create_order defined at: {HERE}:{create}\n"
        f'   Did you mean: Notifier named "email" ({HERE}:{email})?\n'
        '   Hint: bind it: self.bind(Notifier, Impl, name="emial"), or fix the name in '
        "Annotated[Notifier, Named(...)].\n"
        "\n"
        "3) [missing-binding] Nothing binds Repository.\n"
        "   Requested by: parameter 'repo' of list_orders\n"
        f"   list_orders defined at: {HERE}:{listing}\n"
        "   Hint: bind it, e.g. self.bind(Repository, Impl), or make the parameter optional "
        "(repo: Repository | None = None)."
    )
    assert info.value.codes == ("missing-binding",) * 3
    assert info.value.modules == ()
    assert info.value.during == "validating create_order, list_orders"


def test_valid_handlers_pass() -> None:
    """Nothing is raised when every injected parameter can be filled (scoped ones too)."""
    container = InjectQ(WebModule())
    container.validate(fine)
    container.validate()


def test_only_marked_parameters_are_checked() -> None:
    """With Inject[T] on some parameters, unmarked ones (order_id: int) are not reported."""
    container = InjectQ(WebModule())
    container.bind(Repository, lambda: _Repo())
    with pytest.raises(BindingError) as info:
        container.validate(create_order)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].message == 'Nothing binds Notifier named "emial".'


class _Repo(Repository):
    def save(self) -> None:
        pass


def test_validate_agrees_with_call() -> None:
    """What validate() reports is what call() raises for the same parameter."""
    container = InjectQ(WebModule())
    with pytest.raises(BindingError) as info:
        container.validate(list_orders)
    with container.scope(), pytest.raises(MissingBindingError) as called:
        container.call(list_orders)
    assert info.value.problems[0].message in str(called.value)
    container.bind(Repository, _Repo)
    container.validate(list_orders)
    with container.scope():
        container.call(list_orders)


def test_parameters_passed_by_caller_are_still_checked_but_defaults_kept() -> None:
    """A parameter with a default and an unbound type is fine; an unannotated one is not."""

    def handler(x, y: int = 3, s: Session | None = None) -> None:  # type: ignore[no-untyped-def] # no-annotation
        pass

    container = InjectQ()
    with pytest.raises(BindingError) as info:
        container.validate(handler)
    line = line_of("no-annotation")
    assert str(info.value) == (
        "1 problem found while validating "
        "test_parameters_passed_by_caller_are_still_checked_but_defaults_kept.<locals>.handler\n"
        "\n"
        "1) [missing-annotation] Parameter 'x' of "
        "test_parameters_passed_by_caller_are_still_checked_but_defaults_kept.<locals>.handler "
        "has no type annotation, so injectq cannot tell what to pass.\n"
        "   test_parameters_passed_by_caller_are_still_checked_but_defaults_kept.<locals>.handler"
        f" defined at: {HERE}:{line}\n"
        "   Hint: annotate it (e.g. x: SomeService) or give it a default value."
    )


def show_settings(settings: Settings) -> None:  # show-settings
    pass


def deep(needs: Needs) -> None:  # deep-handler
    pass


def test_just_in_time_failures_carry_the_handler_line() -> None:
    """A class that cannot be built just in time names the handler that needed it."""
    container = InjectQ()
    with pytest.raises(BindingError) as info:
        container.validate(show_settings, deep)
    settings, needs = line_of("show-settings"), line_of("deep-handler")
    first, second = (p.render(1) for p in info.value.problems)
    assert first == (
        "1) [missing-binding] Nothing binds Settings.\n"
        "   Requested by: parameter 'settings' of show_settings\n"
        "   Tried just in time for parameter 'settings' of show_settings, but its parameters "
        "cannot be injected: 'dsn' (nothing binds str).\n"
        f"   show_settings defined at: {HERE}:{settings}\n"
        "   Hint: bind Settings (or install the module that binds it), e.g. "
        "self.bind(Settings, Settings(...)) or a @provider returning Settings."
    )
    assert second == (
        "1) [missing-binding] Nothing binds Repository.\n"
        "   Requested by: parameter 'repo' of Needs.__init__\n"
        "   Needs created just in time for parameter 'needs' of deep\n"
        "   Not created just in time: Repository is abstract (it does not implement save).\n"
        f"   deep defined at: {HERE}:{needs}\n"
        "   Hint: bind it, e.g. self.bind(Repository, Impl), or make the parameter optional "
        "(repo: Repository | None = None)."
    )
    assert container.graph.get(Needs) is None  # nothing half-built was kept


def loops(loop: Loop) -> None:
    pass


def test_cycle_is_a_circular_dependency_error() -> None:
    """A cycle among classes made just in time comes as CircularDependencyError."""
    with pytest.raises(CircularDependencyError) as info:
        InjectQ().validate(loops)
    assert info.value.codes == ("cycle",)
    assert info.value.problems[0].message == "Dependency cycle: Loop -> LoopBack -> Loop."


def test_classes_and_wrapped_functions() -> None:
    """A class is checked by its constructor; a wrapped function by its own definition line."""

    @inject
    def wrapped(repo: Repository) -> None:  # wrapped-def
        pass

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        return inner

    container = InjectQ()
    with pytest.raises(BindingError) as info:
        container.validate(Needs, wrapped, deco(list_orders))
    details = [p.details for p in info.value.problems]
    owner = "test_classes_and_wrapped_functions.<locals>.wrapped"
    assert details[0][:2] == (
        "Requested by: parameter 'repo' of Needs.__init__",
        f"Needs.__init__ defined at: {HERE}:{inspect.getsourcelines(Needs)[1]}",
    )
    assert details[1][:2] == (
        f"Requested by: parameter 'repo' of {owner}",
        f"{owner} defined at: {HERE}:{line_of('wrapped-def') - 1}",
    )
    assert details[2][1] == f"list_orders defined at: {HERE}:{line_of('list-orders')}"


@pytest.mark.parametrize("bad", [42, "handler", None])
def test_not_callable_is_a_usage_error(bad: object) -> None:
    """Passing something that is not callable is a UsageError saying what was given."""
    with pytest.raises(UsageError) as info:
        InjectQ().validate(bad)  # type: ignore[arg-type]
    assert str(info.value) == (
        f"validate() takes functions or classes, got {type(bad).__name__} {bad!r}. "
        "Hint: pass the handler itself, e.g. container.validate(list_users)."
    )


def test_unreadable_signature_is_reported() -> None:
    """An annotation that does not resolve is a problem of its own, not a raw NameError."""

    def broken(x: "Nowhere") -> None:  # type: ignore[name-defined] # noqa: F821
        pass

    with pytest.raises(BindingError) as info:
        InjectQ().validate(broken)
    assert info.value.codes == ("unreadable-signature",)
    assert "does not resolve" in info.value.problems[0].message


class Endpoint:
    def __call__(self, repo: Repository) -> None:  # endpoint-call
        pass


def test_callable_objects_and_partials_point_at_their_code() -> None:
    """A callable object is placed at its __call__; a partial at the function it wraps."""
    container = InjectQ()
    with pytest.raises(BindingError) as info:
        container.validate(Endpoint(), functools.partial(list_orders, Session()))
    first, second = (p.details for p in info.value.problems)
    assert first[1] == f"Endpoint.__call__ defined at: {HERE}:{line_of('endpoint-call')}"
    assert second[1].endswith(f" defined at: {HERE}:{line_of('list-orders')}")
