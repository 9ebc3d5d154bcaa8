"""The one parameter planner: what a parameter receives, decided in one place.

`plan_param` is used for every parameter injectq fills: constructors and providers while
the graph compiles, and functions passed to ``call()``/``acall()``/``@inject``, whose plan
(`FunctionPlan`) is compiled once per function and graph. It decides, in this order
(API.md's fine print):

1. ``Assisted[T]``: given by the caller of a `Factory` (never injected, whatever ``T`` is);
2. no usable annotation: the default value, else a problem;
3. an annotation that cannot be a key (``Literal[...]``, ``x: []``), or an open generic
   (``Repo[T]``, which says nothing about which ``Repo`` it wants): the default, else a
   problem;
4. a decorator's parameter of the decorated key: the binding inside the decorator;
5. ``Provider[T]`` / ``AsyncProvider[T]``: a provider of ``T`` (for ``AsyncProvider``
   one whose call returns an awaitable) when ``T`` is bound or can be made just in time,
   else the default or ``None`` for ``Provider[T] | None``, else a missing binding;
6. ``Factory[T]`` / ``AsyncFactory[T]``: the factory of ``T`` (a bound ``Factory[T]`` key
   is its binding), when ``T`` is bound to a class or provider or can be made just in
   time, else the default or ``None``, else a missing binding of ``T``;
7. a bound key: its binding (``list[T]`` is bound to its collection once declared);
8. the container type (``InjectQ``): the container itself; ``InjectionPoint``: who asks
   for the binding being built (each parameter it is injected into gets its own);
9. ``dict[str, T]`` / ``Mapping[str, T]``: the named bindings of ``T``;
10. ``list[T]`` / ``Sequence[T]``: the collection of ``T`` (the binding of ``list[T]``),
    else the default or ``None``, else a missing collection;
11. a default value, then ``None`` for ``T | None``;
12. ``type[C]`` of a class ``C``: the class itself (as Guice injects a ``TypeLiteral``; an
    open generic's ``type[T]`` becomes ``type[User]`` for ``Repo[User]``);
13. a concrete class: a just-in-time binding;
14. otherwise a missing binding.

The planner reads no signature (`injectq._introspect` did) and renders no message: a
problem is a `Refusal` that the caller turns into the compiler's text (`injectq._checks`).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any, Final, Protocol

import attrs

from injectq._generics import free_typevars
from injectq._introspect import Param, Signature, list_of
from injectq._keys import InjectionPoint, Key, factory_key, key_problem, product_key
from injectq._module import TargetKind

__all__ = ["Context", "DepDraft", "Refusal", "Slot", "Strategy", "plan_param", "to_fill"]


class Strategy:
    """How a parameter gets its value."""

    BINDING: Final = "binding"  # resolve another binding
    VALUE: Final = "value"  # a constant: the parameter's default, or None for T | None
    PROVIDER: Final = "provider"  # a Provider[T] for a key
    MAPPING: Final = "mapping"  # dict of the named bindings of a type
    CONTAINER: Final = "container"  # the container itself
    FACTORY: Final = "factory"  # a Factory[T]: a callable building T (resolved by key)
    POINT: Final = "point"  # an InjectionPoint: who asks for the binding being built
    ASSISTED: Final = "assisted"  # given by the caller of a factory (value: the Param)


@attrs.define(eq=False)
class DepDraft:
    """What one parameter receives, while its targets may still be compiling.

    Attributes:
        param: The parameter.
        strategy: A `Strategy`.
        target: The node a ``BINDING`` (or ``PROVIDER``, ``FACTORY``) parameter resolves.
        value: The constant of a ``VALUE`` parameter; the `Param` of an ``ASSISTED`` one.
        key: The key the parameter asked for (None when it has no usable annotation).
        items: The named nodes of a ``MAPPING`` parameter.
        awaitable: A ``PROVIDER`` whose call returns an awaitable (``AsyncProvider[T]``).
    """

    param: Param
    strategy: str
    target: Any = None
    value: Any = None
    key: Key | None = None
    items: list[tuple[str, Any]] = attrs.field(factory=list)
    awaitable: bool = False

    def targets(self) -> list[Any]:
        """The nodes this parameter resolves eagerly (a Provider resolves later)."""
        if self.strategy == Strategy.BINDING:
            return [self.target]
        if self.strategy == Strategy.MAPPING:
            return [t for _, t in self.items]
        return []


@attrs.frozen
class Refusal:
    """Why a parameter cannot be injected; rendered by `injectq._checks`.

    Attributes:
        code: The problem code: ``missing-annotation``, ``unsupported-annotation``,
            ``invalid-key``, ``open-key`` (an annotation holding a type variable),
            ``missing-binding`` or ``missing-collection`` (a ``list[T]`` nothing declares);
            ``claimed`` when the key belongs to a binding whose own problem is reported
            already (nothing more to say).
        param: The parameter.
        key: The key asked for (``missing-binding``, ``missing-collection``, ``claimed``).
        reason: The key problem (``invalid-key``).
    """

    code: str
    param: Param
    key: Key | None = None
    reason: str = ""


class Context(Protocol):
    """What the planner asks of whoever plans: the compiler, or a function plan."""

    container_type: Any

    def lookup(self, key: Key) -> Any:
        """The node bound to ``key``, or None."""

    def claimed(self, key: Key) -> bool:
        """Whether ``key`` is bound by a binding that is itself invalid (reported already)."""
        ...

    def jit(self, key: Key) -> Any:
        """A just-in-time node for ``key``, or None when it cannot be made."""

    def named_of(self, tp: Any) -> list[tuple[str, Any]]:
        """The named nodes of ``tp``, in install order."""
        ...

    def wrapped(self, key: Key) -> Any:
        """While planning a decorator of ``key``: the node it decorates, else None."""


def plan_param(p: Param, ctx: Context) -> DepDraft | Refusal:
    """Decide what parameter ``p`` receives (see the module docstring for the order)."""
    if p.assisted:
        return DepDraft(p, Strategy.ASSISTED, value=p)
    if not p.annotated or p.problem is not None:
        if p.has_default:
            return DepDraft(p, Strategy.VALUE, value=p.default)
        return Refusal("missing-annotation" if not p.annotated else "unsupported-annotation", p)
    if not isinstance(p.tp, type) and free_typevars(p.tp):
        if p.has_default:
            return DepDraft(p, Strategy.VALUE, value=p.default)
        return Refusal("open-key", p)
    reason = key_problem(p.tp)
    if reason is not None:
        if p.has_default:
            return DepDraft(p, Strategy.VALUE, value=p.default)
        return Refusal("invalid-key", p, reason=reason)
    key = Key(p.tp, p.name_of)
    if not p.provider and not p.factory:
        inner = ctx.wrapped(key)
        if inner is not None:
            return DepDraft(p, Strategy.BINDING, target=inner, key=inner.key)
    if p.factory:
        key = factory_key(key, awaitable=p.async_factory)
    if p.provider:
        found = ctx.lookup(key) or ctx.jit(key)
        if found is not None:
            return DepDraft(p, Strategy.PROVIDER, target=found, key=key, awaitable=p.async_provider)
        if p.has_default or p.optional:
            return DepDraft(p, Strategy.VALUE, value=p.default if p.has_default else None, key=key)
        return Refusal("claimed" if ctx.claimed(key) else "missing-binding", p, key)
    if p.factory:
        found = ctx.lookup(key) or ctx.jit(key)
        if found is not None:
            made = getattr(found, "kind", None) == TargetKind.FACTORY  # not bound by a module
            return DepDraft(p, Strategy.FACTORY if made else Strategy.BINDING, found, key=key)
        if p.has_default or p.optional:
            return DepDraft(p, Strategy.VALUE, value=p.default if p.has_default else None, key=key)
        return Refusal("claimed" if ctx.claimed(key) else "missing-binding", p, product_key(key))
    found = ctx.lookup(key)
    if found is not None:
        return DepDraft(p, Strategy.BINDING, target=found, key=key)
    if p.name_of is None and p.tp is ctx.container_type:
        return DepDraft(p, Strategy.CONTAINER, key=key)
    if p.name_of is None and p.tp is InjectionPoint:
        return DepDraft(p, Strategy.POINT, key=key)
    if p.mapping_of is not None and p.name_of is None:
        return DepDraft(
            p, Strategy.MAPPING, key=Key(p.mapping_of), items=ctx.named_of(p.mapping_of)
        )
    if p.collection_of is not None and p.name_of is None:
        key = Key(list_of(p.collection_of))
        found = ctx.lookup(key)
        if found is not None:
            return DepDraft(p, Strategy.BINDING, target=found, key=key)
        if p.has_default or p.optional:
            return DepDraft(p, Strategy.VALUE, value=p.default if p.has_default else None, key=key)
        return Refusal("claimed" if ctx.claimed(key) else "missing-collection", p, key)
    if p.has_default or p.optional:
        return DepDraft(p, Strategy.VALUE, value=p.default if p.has_default else None, key=key)
    if ctx.claimed(key):
        return Refusal("claimed", p, key)
    if p.name_of is None and typing.get_origin(p.tp) is type:
        (cls,) = typing.get_args(p.tp) or (None,)
        if isinstance(cls, type):
            return DepDraft(p, Strategy.VALUE, value=cls, key=key)
    found = ctx.jit(key)
    if found is not None:
        return DepDraft(p, Strategy.BINDING, target=found, key=key)
    return Refusal("missing-binding", p, key)


CALL_SHAPES: Final = 32
"""How many call shapes a function's fills are kept for: a function is called a few ways
at most; past that each call works its own out."""

Shape = tuple[int, tuple[str, ...]]
"""A call's shape: how many positional arguments it passes, and which keywords."""


def call_shape(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Shape:
    """The shape of a call: all that `to_fill` (so what it leaves out) depends on."""
    return len(args), tuple(kwargs)


Slot = int | str
"""Where a filled-in argument goes: a position (positional-only) or a keyword."""


def to_fill(
    sig: Signature, args: tuple[Any, ...], kwargs: Any, *, explicit_only: bool
) -> list[tuple[int, Param]]:
    """The parameters of ``sig`` a call leaves out, each with its index in ``sig.params``.

    A parameter left out that has no annotation but a default is not listed: it keeps its
    default. With ``explicit_only`` (some parameter is marked ``Inject[T]``), only marked
    parameters are filled. The answer depends on the call's `call_shape` alone, so callers
    keep it per shape.
    """
    out: list[tuple[int, Param]] = []
    positional = 0
    for index, param in enumerate(sig.params):
        if not param.keyword and positional < len(args):
            positional += 1
            continue
        if (param.name in kwargs and not param.positional_only) or (
            explicit_only and not param.explicit
        ):
            continue
        if not param.annotated and param.has_default:
            continue
        out.append((index, param))
    return out
