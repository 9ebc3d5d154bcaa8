"""Function plans: what ``call()``, ``acall()`` and ``@inject`` pass to a function.

A function's plan is compiled once per function and graph through the same planner as
constructors (`injectq._plan.plan_param`), so a parameter receives the same thing wherever
it appears, and a parameter that cannot be filled is reported with the compiler's text, as
an `InjectQError`. The plan is cached in the graph it was made for; a new graph (an
``install()``, an override) plans again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

import attrs

import injectq._checks as checks
from injectq._graph import Dep, Graph, add_jit, build_dep, suggestions_for
from injectq._introspect import Param, Signature, read_callable, read_class
from injectq._keys import Key, describe
from injectq._plan import Refusal, Strategy, plan_param, to_fill
from injectq.errors import InjectQError, ResolutionError, UsageError

__all__ = ["FunctionPlan", "arrange", "pending", "plan_for", "read_function"]


@attrs.frozen(eq=False)
class _Failure:
    """A parameter that cannot be filled; raises a fresh error each time it is needed."""

    make: Callable[[], InjectQError]


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


def read_function(fn: Any, what: str = "call()") -> Signature:
    """Read the signature of a function, or of a class's constructor.

    Raises:
        UsageError: ``fn`` is not callable.
        ResolutionError: Its annotations cannot be read.
    """
    if not callable(fn):
        msg = f"{what} takes a callable, got {type(fn).__name__} {fn!r}."
        raise UsageError(msg)
    sig = read_class(fn) if isinstance(fn, type) else read_callable(fn)
    if sig.problem is not None:
        msg = f"{sig.owner} cannot be called with injection: {sig.problem}."
        raise ResolutionError(sig.owner, msg, hint="make its annotations importable.")
    return sig


class _FunctionContext:
    """The planner's context for a function: the graph, and just in time into its overlay."""

    def __init__(self, graph: Graph, owner: str) -> None:
        self.graph = graph
        self.container_type = graph.container_type
        self.owner = owner
        self.param: Param | None = None
        self.failed: dict[Key, _Failure] = {}

    def lookup(self, key: Key) -> Any:
        return self.graph.find(key)

    def claimed(self, key: Key) -> bool:
        return False

    def named_of(self, tp: Any) -> list[tuple[str, Any]]:
        return list(self.graph.named.get(tp, ()))

    def jit(self, key: Key) -> Any:
        assert self.param is not None
        asked_by = f"parameter '{self.param.name}' of {self.owner}"
        try:
            found = add_jit(self.graph, key, asked_by)
        except InjectQError:
            failure = _Failure(lambda: _raise_again(self.graph, key, asked_by))
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
            steps.append(build_dep(planned))
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

    def make() -> InjectQError:
        problem = checks.refusal_problem(r, owner, lambda: (), missing)
        path = {id(problem): (r.key, [str(r.key)])} if r.key is not None else {}
        return checks.resolution_error(f"{owner}({r.param.name})", [problem], path)

    return _Failure(make)


def pending(
    plan: FunctionPlan, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> list[tuple[int, Dep]]:
    """The parameters a call leaves out that the plan fills, with their `Dep`, in order.

    Raises:
        InjectQError: A parameter left out cannot be filled.
    """
    out: list[tuple[int, Dep]] = []
    for index, param in to_fill(plan.sig, args, kwargs, explicit_only=plan.explicit):
        step = plan.steps[index]
        if isinstance(step, _Failure):
            raise step.make()
        if step.strategy == Strategy.VALUE and param.has_default and not param.positional_only:
            continue  # it keeps its default
        out.append((index, step))
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
