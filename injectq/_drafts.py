"""A binding being compiled (`Draft`), and how its head is made from a target.

A draft holds the frozen head of its future `Binding` (scope, call kind, lifecycle, what it
was compiled from) and its target's signature, read once; the compiler's dependency phase
(`injectq._graph`) fills in what each parameter receives, and `injectq._build` freezes it.
"""

from __future__ import annotations

import inspect
from typing import Any

import attrs

import injectq._checks as checks
import injectq._composite_checks as composite
from injectq._introspect import Signature, read_callable, read_class
from injectq._keys import Key, origin_of
from injectq._marks import is_resource_class as _is_resource
from injectq._module import Element, Space, TargetKind
from injectq._nodes import Binding
from injectq._plan import DepDraft
from injectq._provided import CallKind, call_kind
from injectq._source import Source
from injectq.errors import Problem

__all__ = ["Draft", "make_draft"]


@attrs.define(eq=False)
class Draft:
    """A binding being compiled: its frozen head, plus what the dependency phase fills in.

    The head holds every field of the final `Binding` except ``deps`` and ``needs_async``
    (and a factory's ``target``, its built product); `injectq._build` fills those in and
    the head becomes the node itself, so a head is never shared between drafts.
    """

    head: Binding
    sig: Signature | None
    deps: list[DepDraft] = attrs.field(factory=list)
    needs_async: bool | None = None
    built: Binding | None = None
    needed_by: Draft | None = None  # the draft whose parameter made this one just in time
    needed_as: str = ""  # the name of that parameter
    asked_by: str = ""  # for a just-in-time root: who asked ("get(A)")
    queued: bool = False  # in the dependency phase's queue already
    home: Space | None = None  # where its parameters are looked up (its private module)
    bound: bool = False  # a product's: built from a binding of its key (not just in time)
    product: Draft | None = None  # a factory's: the draft of what each call builds
    product_of: Key | None = None  # a product's: the key of its factory (``Factory[T]``)
    wraps: Any = None  # a decorator's: the node it decorates (its parameter of `decorates`)
    decorates: Key | None = None  # a decorator's: the decorated key

    key = property(lambda self: self.head.key)
    scope = property(lambda self: self.head.scope)
    source = property(lambda self: self.head.source)
    jit = property(lambda self: self.head.jit)
    kind = property(lambda self: self.head.kind)
    record = property(lambda self: self.head.record)
    target = property(lambda self: self.head.target)


def make_draft(
    key: Key,
    el: Element | None,
    kind: str,
    target: Any,
    *,
    scope: str,
    source: Source,
    typevars: dict[Any, Any] | None = None,
    decorator: bool = False,
) -> Draft | Problem:
    """A draft's frozen head and its target's signature, read once, or what is wrong.

    The target is checked first (abstract, not a ``key``, a wrong instance; a decorator
    class that cannot be constructed); then its call kind and lifecycle are read.

    ``typevars`` is given for a closed key served by an open binding ``el`` (its
    provider is read with them filled in); such a draft counts as just in time.
    """

    def where() -> tuple[str, ...]:
        return (f"{'Decorated' if decorator else 'Bound'} at: {source}",)

    if key.space is None and (type(key.tp) is type or key.served is key.tp):
        served = key
    else:
        served = Key(key.served, key.name)
    if decorator:
        problem = composite.decorator_target_problem(served, kind, target, where)
    else:
        problem = checks.target_problem(served, kind, target, where)
    if problem is not None:
        return problem
    call, sig, resource_cls = CallKind.SYNC, None, None
    resource = False
    if kind == TargetKind.CLASS:
        resource_cls = origin_of(target)
        sig = read_class(target)
    elif kind == TargetKind.INSTANCE:
        resource_cls = type(target)
    elif kind == TargetKind.CONTEXT:
        pass  # handed in at scope entry: no signature, never disposed
    else:
        call = call_kind(target)
        sig = read_callable(target, typevars=typevars)
        if call in (CallKind.GENERATOR, CallKind.ASYNC_GENERATOR):
            resource = True
        elif not decorator:  # a decorator function may return the instance it was given
            resource_cls = origin_of(served.tp)
    async_init, async_teardown = False, call is CallKind.ASYNC_GENERATOR
    if resource_cls is not None and isinstance(resource_cls, type) and _is_resource(resource_cls):
        resource = True
        init = getattr(resource_cls, "initialize", None)
        dispose = getattr(resource_cls, "dispose", None)
        async_init = init is not None and inspect.iscoroutinefunction(init)
        async_teardown = dispose is not None and inspect.iscoroutinefunction(dispose)
    head = Binding(
        key,
        scope,
        kind,
        target,
        call,
        (),
        source,
        resource,
        async_init,
        async_teardown,
        needs_async=False,
        eager=el.eager if el is not None else False,
        jit=el is None or typevars is not None,
        record=el,
        default=el.default if el is not None else False,
    )
    return Draft(head, sig, home=el.space if el is not None else key.space)
