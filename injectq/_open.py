"""Open generics in the compiler: recording an open binding, and closing it for one key.

``bind(Repo[T], SqlRepo[T])`` records an `OpenBinding`, checked on its own at install
(`register`). When a lookup finds no binding of a closed key such as ``Repo[User]``, the
open bindings visible there that match it are tried (`derive`): the type variables are
filled in (``T = User``), the target is closed (``SqlRepo[User]``, or a provider read with
``T`` filled in) and checked to be able to serve the key, and the result is an ordinary
draft of its own, with its own scope: a singleton open binding gives one instance per
closed key. A closed binding of the key wins, being found first.

The functions take the `injectq._graph.Compiler` whose state they read and extend.
"""

from __future__ import annotations

import typing
from typing import Any

import injectq._checks as checks
import injectq._keychecks as keychecks
from injectq._generics import ancestor_args, bound_problem, free_typevars, substitute
from injectq._keys import Key, describe, origin_of
from injectq._marks import TRANSIENT, class_scope
from injectq._module import Element, TargetKind
from injectq._nodes import OpenBinding, open_matches

__all__ = ["derive", "is_open", "open_param", "register", "replaced_by_open", "scope_of"]


def is_open(key: Key) -> bool:
    """Whether a binding key holds a type variable (``Repo[T]``)."""
    return not isinstance(key.tp, type) and bool(free_typevars(key.tp))


def register(comp: Any, key: Key, el: Element, *, keep: bool = True) -> None:
    """Check an open binding on its own; with ``keep``, record it in ``comp.generics``."""
    kind, target = el.kind, el.target
    if kind == TargetKind.SELF:
        kind, target = TargetKind.CLASS, el.key
    distinct = list(dict.fromkeys(el.scopes))
    problem = checks.scope_problem(el, key, distinct[-1] if distinct else None, distinct)
    if problem is None:
        problem = keychecks.open_binding_problem(key, el, kind, target)
    if problem is None and kind == TargetKind.CLASS:
        problem = checks.target_problem(key, kind, target, lambda: (f"Bound at: {el.source}",))
    if problem is not None:
        comp.problems.append(problem)
        return
    if keep:
        comp.generics[key] = OpenBinding(key, el, kind, target)
        comp.open_added.append(key)


def derive(comp: Any, key: Key) -> Any:
    """The draft serving the closed ``key`` from a matching open binding, or None.

    A key no open binding matches gives None; one that matches but cannot be served gives
    None too, after a ``generic-mismatch`` problem (the key is then claimed, so nothing
    that needs it is reported again).
    """
    if key in comp.underived:
        return None
    found = open_matches(comp.generics, key)
    if not found:
        return None
    comp.underived.add(key)  # tried once per compile, whatever the outcome
    if len(found) > 1:
        _mismatch(
            comp,
            key,
            found[0][0],
            f"{key} matches {len(found)} open bindings: "
            + ", ".join(f"{describe(b.key.tp)} ({b.source.location})" for b, _ in found),
            f"bind {describe(key.tp)} itself, which wins over open bindings, or keep one of them.",
        )
        return None
    binding, values = found[0]
    closed = _close(comp, key, binding, values)
    if closed is None:
        return None
    target, typevars = closed
    el = binding.record
    draft = comp.head(
        key, el, binding.kind, target, scope=scope_of(binding), source=el.source, typevars=typevars
    )
    if draft is None:
        return None
    draft.needed_by, draft.needed_as = comp.current, comp.current_param
    comp.drafts[key] = draft
    comp.order.append(key)
    if comp.pending or comp.current is not None:  # resolving: queue it now
        draft.queued = True
        comp.pending.append(draft)
    return draft


def scope_of(binding: OpenBinding) -> str:
    """The scope of each closed key an open binding serves: its own, else its class's."""
    distinct = list(dict.fromkeys(binding.record.scopes))
    if distinct:
        return distinct[-1]
    return (class_scope(binding.target) if binding.kind == TargetKind.CLASS else None) or TRANSIENT


def _close(
    comp: Any, key: Key, binding: OpenBinding, values: dict[Any, Any]
) -> tuple[Any, dict[Any, Any]] | None:
    """The target serving ``key``, and the type variables to read a provider with."""
    for tv, value in values.items():
        reason = bound_problem(tv, value)
        if reason is not None:
            _mismatch(
                comp,
                key,
                binding,
                reason,
                f"bind {describe(key.tp)} itself, or widen the bound of {tv.__name__}.",
            )
            return None
    if binding.kind != TargetKind.CLASS:
        return binding.target, values
    try:
        target = substitute(binding.target, values)
    except TypeError as exc:
        _mismatch(
            comp,
            key,
            binding,
            f"{describe(binding.target)} cannot take {_values(values)} ({exc})",
            f"bind {describe(key.tp)} itself, which wins over the open binding.",
        )
        return None
    key_origin = typing.get_origin(key.tp)
    given = ancestor_args(target, key_origin) if isinstance(key_origin, type) else None
    wanted = typing.get_args(key.tp)
    if given is not None and given != wanted and not any(free_typevars(a) for a in given):
        generic: Any = key_origin
        shown = describe(generic[given])  # Repo[(User,)] is Repo[User]
        _mismatch(
            comp,
            key,
            binding,
            f"{describe(target)} is a {shown}, not a {key}",
            f"bind {describe(key.tp)} itself (a closed binding wins over the open one), or "
            f"bind {describe(binding.key.tp)} to a class generic in {_names(binding)} that "
            f"passes {_names(binding)} on to {describe(key_origin)}.",
        )
        return None
    return target, {}


def open_param(comp: Any, draft: Any, owner: str, param: Any) -> None:
    """A parameter of a closed target still holding a type variable the key does not fill."""
    binding = comp.generics.get(Key(draft.head.record.key, draft.key.name, draft.key.space))
    free = ", ".join(tv.__name__ for tv in free_typevars(param.tp))
    _mismatch(
        comp,
        draft.key,
        binding,
        f"parameter '{param.name}' of {owner} asks for {describe(param.tp)}, and "
        f"{describe(draft.key.tp)} does not say what {free} is",
        f"bind {describe(draft.head.record.key)} to the target parametrised with its type "
        f"variables (e.g. {describe(origin_of(draft.head.target))}"
        f"[{_names(binding)}]), so they reach its constructor.",
        draft=draft,
    )


def replaced_by_open(comp: Any) -> list[Key]:
    """The plain just-in-time nodes of the base graph that a new open binding now serves."""
    if not comp.open_added:
        return []
    added = {k: comp.generics[k] for k in comp.open_added}
    return [
        k
        for k, node in comp.base.bindings.items()
        if node.jit and node.record is None and open_matches(added, k)
    ]


def _mismatch(
    comp: Any, key: Key, binding: Any, reason: str, hint: str, *, draft: Any = None
) -> None:
    """Report that ``binding`` cannot serve ``key``, and claim the key."""
    asker, param = (
        (draft.needed_by, draft.needed_as) if draft else (comp.current, comp.current_param)
    )
    if asker is not None and asker.sig is not None:
        asked = (f"Requested by: parameter '{param}' of {asker.sig.owner}", *comp.where(asker))
    else:
        by = draft.asked_by if draft is not None and draft.asked_by else comp.asked_by
        asked = (f"Requested by: {by}",) if by else ()
    problem = keychecks.generic_mismatch(key, binding, reason, asked, hint)
    comp.problems.append(problem)
    comp.claimed_keys.add(key)


def _values(values: dict[Any, Any]) -> str:
    return ", ".join(f"{tv.__name__}={describe(v)}" for tv, v in values.items())


def _names(binding: Any) -> str:
    return ", ".join(tv.__name__ for tv in free_typevars(binding.key.tp)) if binding else "T"
