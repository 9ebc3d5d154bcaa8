"""Function plans: what ``call()``, ``acall()`` and ``@inject`` pass to a function.

A function's plan is compiled once per function and graph through the same planner as
constructors (`injectq._plan.plan_param`), so a parameter receives the same thing wherever
it appears, and a parameter that cannot be filled is reported with the compiler's text, as
an `InjectQError`. The plan is cached in the graph it was made for; a new graph (an
``install()``, an override) plans again.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

import injectq._checks as checks
import injectq._keychecks as keychecks
from injectq._build import build_dep
from injectq._compile import add_jit, jit_problems, suggestions_for
from injectq._graph import Dep, Graph
from injectq._introspect import Param, Signature, read_callable, read_class
from injectq._keys import Key, describe
from injectq._nodes import open_matches
from injectq._plan import CALL_SHAPES, Refusal, Shape, Strategy, call_shape, plan_param, to_fill
from injectq._source import object_source
from injectq.errors import (
    BindingError,
    CircularDependencyError,
    InjectQError,
    Problem,
    ResolutionError,
    UsageError,
)

__all__ = ["FunctionPlan", "arrange", "pending", "plan_for", "read_function", "validate"]


@attrs.frozen(eq=False)
class _Failure:
    """A parameter that cannot be filled; raises a fresh error each time it is needed.

    Attributes:
        make: The error a call that leaves the parameter out raises.
        problems: The compiler's problems for it, given lines saying where the function is
            (for `validate`).
    """

    make: Callable[[], InjectQError]
    problems: Callable[[tuple[str, ...]], list[Problem]]


@attrs.frozen(eq=False)
class FunctionPlan:
    """What each parameter of one function receives from one graph.

    Attributes:
        sig: The function's signature, as read once.
        explicit: Some parameter is marked ``Inject[T]``: only those are filled.
        steps: Per parameter of ``sig``, its `Dep`, or why it cannot be filled.
    """

    sig: Signature
    explicit: bool
    steps: tuple[Dep | _Failure, ...]
    # What `pending` found for each call shape (positional count, keyword names) that
    # fills every parameter it leaves out; a shape that fails is worked out each time.
    shapes: dict[Shape, list[tuple[int, Dep]]] = attrs.field(factory=dict, repr=False)


def read_function(fn: Any, what: str = "call()") -> Signature:
    """Read the signature of a function, or of a class's constructor.

    Raises:
        UsageError: ``fn`` is not callable.
        ResolutionError: Its annotations cannot be read.
    """
    if not callable(fn):
        msg = f"{what} takes a callable, got {type(fn).__name__} {fn!r}."
        raise UsageError(msg)
    sig = _signature_of(fn)
    if sig.problem is not None:
        msg = f"{sig.owner} cannot be called with injection: {sig.problem}."
        raise ResolutionError(sig.owner, msg, hint="make its annotations importable.")
    return sig


_FUNCTIONS = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    types.BuiltinMethodType,
    types.MethodDescriptorType,  # dict.get: a C method read unbound
    functools.partial,
)


def _signature_of(fn: Any) -> Signature:
    """The signature ``call()`` fills: a constructor, a function, or an object's ``__call__``."""
    if isinstance(fn, type):
        return read_class(fn)
    if isinstance(fn, _FUNCTIONS):
        return read_callable(fn)
    return read_callable(fn.__call__, f"{type(fn).__qualname__}.__call__")


class _FunctionContext:
    """The planner's context for a function: the graph, and just in time into its overlay."""

    def __init__(self, graph: Graph, owner: str) -> None:
        self.graph = graph
        self.container_type = graph.container_type
        self.owner = owner
        self.param: Param | None = None
        self.failed: dict[Key, _Failure] = {}

    def lookup(self, key: Key) -> Any:
        found = self.graph.find(key)
        if found is None and open_matches(self.graph.generics, key):
            return self.jit(key)  # a closed key of an open binding, compiled now
        return found

    def claimed(self, key: Key) -> bool:
        return False

    def named_of(self, tp: Any) -> list[tuple[str, Any]]:
        return list(self.graph.named.get(tp, ()))

    def wrapped(self, key: Key) -> Any:
        return None  # a function is never a decorator

    def jit(self, key: Key) -> Any:
        assert self.param is not None
        asked_by = f"parameter '{self.param.name}' of {self.owner}"
        try:
            found = add_jit(self.graph, key, asked_by)
        except InjectQError:
            graph = self.graph
            failure = _Failure(
                lambda: _raise_again(graph, key, asked_by),
                lambda where: [
                    attrs.evolve(p, details=(*p.details, *where))
                    for p in jit_problems(graph, key, asked_by)
                ],
            )
            self.failed[key] = failure
            return failure
        return None if isinstance(found, str) else found


def _raise_again(graph: Graph, key: Key, asked_by: str) -> InjectQError:
    try:
        add_jit(graph, key, asked_by)
    except InjectQError as exc:
        return exc
    return ResolutionError(
        str(key), f"{key} could not be created just in time."
    )  # pragma: no cover


def plan_for(graph: Graph, fn: Any, sig: Signature) -> FunctionPlan:
    """The plan of ``fn`` for ``graph``, compiled on first use (hold the container's lock).

    Raises:
        Nothing: a parameter that cannot be filled raises only when a call leaves it out.
    """
    try:
        cached = graph.plans.get(fn)
    except TypeError:  # not weakly referenceable: plan every time
        cached = None
    if cached is not None and cached.sig is sig:
        return cached  # type: ignore[no-any-return]
    ctx = _FunctionContext(graph, sig.owner)
    steps: list[Dep | _Failure] = []
    for param in sig.params:
        ctx.param = param
        planned = plan_param(param, ctx)
        if isinstance(planned, Refusal):
            steps.append(_refused(graph, sig.owner, planned))
        elif isinstance(planned.target, _Failure):
            steps.append(planned.target)
        else:
            steps.append(build_dep(planned, fn))
    plan = FunctionPlan(sig, any(p.explicit for p in sig.params), tuple(steps))
    with contextlib.suppress(TypeError):  # not weakly referenceable
        graph.plans[fn] = plan
    return plan


def _refused(graph: Graph, owner: str, r: Refusal) -> _Failure:
    def missing() -> tuple[str, ...]:
        assert r.key is not None
        lines: list[str] = []
        names = [n for n, _ in graph.named.get(r.key.tp, ())] if r.key.name is None else []
        if names:
            lines.append(
                f"{describe(r.key.tp)} is bound only with names: "
                + ", ".join(f'"{n}"' for n in names)
            )
        close = suggestions_for(graph, r.key)
        if close and not names:
            lines.append("Did you mean: " + " or ".join(close) + "?")
        return tuple(lines)

    kept = graph.kept(r.key) if r.key is not None else None

    def problem(where: tuple[str, ...]) -> Problem:
        if kept and r.code == "missing-binding":
            assert r.key is not None
            return keychecks.not_exposed(r.key, r.param, owner, where, kept)
        return checks.refusal_problem(r, owner, lambda: where, missing)

    def make() -> InjectQError:
        found = problem(())
        path = {id(found): (r.key, [str(r.key)])} if r.key is not None else {}
        return checks.resolution_error(f"{owner}({r.param.name})", [found], path)

    def problems(where: tuple[str, ...]) -> list[Problem]:
        return [problem(where)]

    return _Failure(make, problems)


def pending(
    plan: FunctionPlan,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> list[tuple[int, Dep]]:
    """The parameters a call leaves out that the plan fills, with their `Dep`, in order.

    What a call leaves out depends only on its `call_shape`: the answer is kept per shape
    (up to `CALL_SHAPES` of them), so a function called the same way again pays one
    lookup. The list returned is shared: read it.

    Raises:
        InjectQError: A parameter left out cannot be filled.
    """
    shape = call_shape(args, kwargs)
    out = plan.shapes.get(shape)
    if out is not None:
        return out
    out = []
    for index, param in to_fill(plan.sig, args, kwargs, explicit_only=plan.explicit):
        step = plan.steps[index]
        if isinstance(step, _Failure):
            raise step.make()
        if step.strategy == Strategy.VALUE and param.has_default and not param.positional_only:
            continue  # it keeps its default
        out.append((index, step))
    if len(plan.shapes) < CALL_SHAPES:
        plan.shapes[shape] = out
    return out


def arrange(
    plan: FunctionPlan,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    filled: list[tuple[int, Any]],
) -> tuple[list[Any], dict[str, Any]]:
    """The arguments of the call: positional-only values by position, the rest by keyword."""
    positional = list(args)
    keywords = dict(kwargs)
    params = plan.sig.params
    for index, value in filled:
        param = params[index]
        if param.positional_only:
            while len(positional) < index and params[len(positional)].has_default:
                positional.append(params[len(positional)].default)
            positional.append(value)
        else:
            keywords[param.name] = value
    return positional, keywords


def validate(graph: Graph, functions: Iterable[Any]) -> None:
    """Plan each function as ``call()`` would and report every parameter it cannot fill.

    Only the parameters a call without arguments would fill are checked: with some marked
    ``Inject[T]``, those. Hold the container's lock.

    Raises:
        UsageError: Something given is not callable.
        BindingError: Every problem of every function, each with the function's
            ``file:line``.
    """
    problems: list[Problem] = []
    owners: list[str] = []
    for fn in functions:
        if not callable(fn):
            msg = (
                f"validate() takes functions or classes, got {type(fn).__name__} {fn!r}. "
                "Hint: pass the handler itself, e.g. container.validate(list_users)."
            )
            raise UsageError(msg)
        sig = _signature_of(fn)
        owners.append(sig.owner)
        where = (f"{sig.owner} defined at: {_defined_at(fn)}",)
        if sig.problem is not None:
            problems.append(
                Problem(
                    "unreadable-signature",
                    f"{sig.owner} cannot be called with injection: {sig.problem}.",
                    where,
                    "make every annotation importable at module level.",
                )
            )
            continue
        plan = plan_for(graph, fn, sig)
        for index, _ in to_fill(sig, (), {}, explicit_only=plan.explicit):
            step = plan.steps[index]
            if isinstance(step, _Failure):
                problems.extend(step.problems(where))
    if problems:
        names = ", ".join(dict.fromkeys(owners))
        cls = CircularDependencyError if "cycle" in (p.code for p in problems) else BindingError
        raise cls(problems, during=f"validating {names}")


def _defined_at(fn: Any) -> str:
    """Where ``fn`` was written: through decorators, partials, and to a callable's ``__call__``."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    try:
        target = inspect.unwrap(fn)
    except ValueError:  # a __wrapped__ cycle
        target = fn
    if not isinstance(target, type) and not hasattr(target, "__code__"):
        call = getattr(type(target), "__call__", None)  # noqa: B004 - its code, not callable()
        if hasattr(call, "__code__"):
            target = call
    return object_source(target).location
