"""The compiler's validation checks and the text of every problem they report.

Each function here looks at drafts or compiled nodes (anything with ``key``, ``scope``,
``source``, ``jit`` and ``deps``) and returns `Problem` records; none raises, and none runs
user code. Every message says what is wrong, where it was bound (or why it was created just
in time), and a ``Hint:`` with the fix. The golden tests pin these texts. The checks over
the whole graph (cycles, captive dependencies, what needs an await) are in
`injectq._graph_checks`, a decorator's in `injectq._composite_checks`.
"""

from __future__ import annotations

import difflib
import enum
import inspect
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from injectq._introspect import Param, Signature, collection_of
from injectq._keychecks import closed_example, open_reason
from injectq._keys import Key, Part, describe, origin_of
from injectq._marks import SINGLETON, TRANSIENT
from injectq._module import Element, TargetKind
from injectq._plan import Refusal
from injectq.errors import MissingBindingError, Problem, ResolutionError

__all__ = [
    "annotation",
    "construct_problem",
    "element_problems",
    "missing_key",
    "refusal_problem",
    "resolution_error",
    "suggestions",
    "target_problem",
]

Where = Callable[[], tuple[str, ...]]


# -- recorded elements ---------------------------------------------------------------------


def element_problems(el: Element) -> list[Problem]:
    """Misuse recorded by the DSL, one problem each."""
    if el.kind == TargetKind.EXPOSE:
        return [
            Problem(
                "invalid-binding",
                f"expose({describe(el.key)}) is invalid: {text}.",
                (f"Exposed at: {el.source}",),
                "fix the expose(...) call at that line.",
            )
            for text in el.problems
        ]
    where = (f"Bound at: {el.source}",)
    if el.provider:
        return [
            Problem(
                "invalid-binding",
                f"@provider {el.provider} cannot provide anything: {text}.",
                where,
                el.hint or "fix the method's return annotation.",
            )
            for text in el.problems
        ]
    if el.multi:
        what, call = f"An element of list[{describe(el.key)}]", "multibind"
    elif el.kind == TargetKind.DECORATOR:
        what, call = f"The decorator of {describe(el.key, el.name)}", "decorate"
    else:
        what, call = f"The binding of {describe(el.key)}", "bind"
    return [
        Problem(
            "invalid-binding",
            f"{what} is invalid: {text}.",
            where,
            el.hint or f"fix the {call}(...) call at that line.",
        )
        for text in el.problems
    ]


def invalid_key(el: Element, problem: str) -> Problem:
    """A key that cannot be a key."""
    if el.kind == TargetKind.EXPOSE:
        return Problem(
            "invalid-key",
            f"{describe(el.key)} cannot be exposed: {problem}.",
            (f"Exposed at: {el.source}",),
            "expose the key a binding of the module is bound to, e.g. self.expose(Repository).",
        )
    return Problem(
        "invalid-key",
        f"{describe(el.key)} cannot be a binding key: {problem}.",
        (f"Bound at: {el.source}",),
        "bind a class, an ABC, a Protocol, a parametrised generic such as Cache[User], or a "
        "NewType.",
    )


def duplicate(key: Key, sources: Sequence[Any], *, overriding: bool) -> Problem:
    """One key and name bound more than once in one layer."""
    what = "overrides bind" if overriding else "is bound"
    return Problem(
        "duplicate-binding",
        f"{key} {what} {len(sources)} times.",
        tuple(f"Bound at: {s}" for s in sources),
        "keep one of them; to replace a binding from another module, install the replacement "
        "with install(..., overrides=[...]), or mark the library's binding .as_default().",
    )


def scope_problem(el: Element, key: Key, scope: str | None, distinct: list[str]) -> Problem | None:
    """Two scopes, an eager non-singleton, or a scoped instance."""
    if len(distinct) > 1:
        return Problem(
            "scope-conflict",
            f"{key} is given {len(distinct)} scopes: " + ", ".join(distinct) + ".",
            (f"Bound at: {el.source}",),
            "keep one scope call on the binding.",
        )
    if el.eager and scope not in (None, SINGLETON):
        return Problem(
            "scope-conflict",
            f"{key} is eager but scoped {scope!r}; only singletons can be eager.",
            (f"Bound at: {el.source}",),
            f"drop .eager() or the .{_scope_call(scope)} call.",
        )
    if el.kind == TargetKind.INSTANCE and scope not in (None, SINGLETON):
        return Problem(
            "scope-conflict",
            f"{key} is bound to an instance, which is always a singleton, but is also scoped "
            f"{scope!r}.",
            (f"Bound at: {el.source}",),
            f"drop the .{_scope_call(scope)} call, or bind a class or provider.",
        )
    return None


def _scope_call(scope: str | None) -> str:
    return "transient()" if scope == TRANSIENT else f'scoped("{scope}")'


# -- targets and signatures ----------------------------------------------------------------


def target_problem(key: Key, kind: str, target: Any, where: Where) -> Problem | None:
    """A class target that cannot be constructed or is not a ``key``; a wrong instance."""
    if kind == TargetKind.CLASS:
        problem = construct_problem(target)
        if problem is not None:
            t = describe(key.tp)
            return Problem(
                "abstract-target",
                f"{key} is bound to {describe(target)}, which {problem}.",
                where(),
                f"bind {t} to a concrete class, e.g. self.bind({t}, {t}Impl), or to a provider "
                "function or an instance.",
            )
        if target is key.tp:  # bound to itself: a subclass of itself
            return None
        key_cls = origin_of(key.tp)
        target_cls = origin_of(target)
        if (
            isinstance(key_cls, type)
            and not is_protocol(key_cls)
            and isinstance(target_cls, type)
            and not _safe_issubclass(target_cls, key_cls)
        ):
            return Problem(
                "wrong-target-type",
                f"{key} is bound to {describe(target)}, which is not a subclass of "
                f"{describe(key.tp)}.",
                where(),
                f"bind {describe(key.tp)} to one of its subclasses, or use to_provider() to "
                "build it another way.",
            )
    elif kind == TargetKind.PROVIDER and isinstance(target, type):
        # to_provider(SomeClass) builds a SomeClass: it must be a key, as for bind(K, C).
        served = key.served
        key_cls = origin_of(served)
        if (
            isinstance(key_cls, type)
            and not is_protocol(key_cls)
            and not _safe_issubclass(target, key_cls)
        ):
            t = describe(served)
            return Problem(
                "wrong-target-type",
                f"{key} is provided by to_provider({describe(target)}), which makes "
                f"{describe(target)} instances; {describe(target)} is not a subclass of {t}.",
                where(),
                f"give to_provider() a function that returns a {t} instance, or bind {t} to "
                "one of its subclasses.",
            )
    elif kind == TargetKind.INSTANCE:
        key_cls = key.tp
        if (
            isinstance(key_cls, type)
            and not is_protocol(key_cls)
            and not isinstance(target, key_cls)
        ):
            return Problem(
                "wrong-instance-type",
                f"{key} is bound to the instance {_short(target)}, of type "
                f"{describe(type(target))}, which is not an instance of {describe(key_cls)}.",
                where(),
                f"bind an instance of {describe(key_cls)}, or use to_provider() with a function "
                "that returns one.",
            )
    return None


def signature_problem(key: Key, sig: Signature, *, is_class: bool, where: Where) -> Problem | None:
    """A signature that cannot be read, or a class constructor taking ``*args``."""
    if sig.problem is not None:
        return Problem(
            "unreadable-signature",
            f"{sig.owner} cannot be injected: {sig.problem}.",
            where(),
            "make every annotation importable at module level (a class defined inside a "
            "function cannot be named by a string annotation), or bind a provider.",
        )
    if sig.variadic and is_class:
        return Problem(
            "variadic-parameter",
            f"{sig.owner} takes {', '.join(sig.variadic)}, which injectq cannot fill.",
            where(),
            "declare the parameters it needs explicitly, or bind "
            f"{describe(key.tp)} to a provider function that constructs it.",
        )
    return None


def refusal_problem(
    r: Refusal, owner: str, where: Where, missing: Where, *, factory: Key | None = None
) -> Problem:
    """The problem for a parameter the planner could not fill.

    Args:
        r: The planner's refusal.
        owner: ``Checkout.__init__`` or the function's name.
        where: Lines saying where the owner was bound (or why it was made just in time).
        missing: Extra lines for a missing binding (close matches, why not just in time).
        factory: When the owner is what a factory builds, the factory's key: a missing
            binding's hint then says the parameter may be marked ``Assisted[...]``.
    """
    p = r.param
    requested = f"Requested by: parameter '{p.name}' of {owner}"
    if r.code == "missing-annotation":
        return Problem(
            "missing-annotation",
            f"Parameter '{p.name}' of {owner} has no type annotation, so injectq cannot tell "
            "what to pass.",
            where(),
            f"annotate it (e.g. {p.name}: SomeService) or give it a default value.",
        )
    if r.code == "unsupported-annotation":
        return Problem(
            "unsupported-annotation",
            f"Parameter '{p.name}' of {owner} cannot be injected: {p.problem}.",
            where(),
            "annotate it with a single type, or give it a default value.",
        )
    if r.code == "invalid-key":
        return Problem(
            "invalid-key",
            f"Parameter '{p.name}' of {owner} asks for {describe(p.tp)}: {r.reason}.",
            where(),
            "annotate it with a class, an ABC, a Protocol or a parametrised generic, or give it "
            "a default value.",
        )
    if r.code == "open-key":
        return Problem(
            "invalid-key",
            f"Parameter '{p.name}' of {owner} asks for {describe(p.tp)}: {open_reason(p.tp)}.",
            where(),
            "annotate it with a closed key (its type arguments given, e.g. "
            f"{closed_example(p.tp)}), or give it a default value.",
        )
    assert r.key is not None
    if r.code == "missing-collection":
        t = describe(collection_of(r.key.tp))
        return Problem(
            "missing-binding",
            f"Nothing declares or contributes to the collection {r.key}.",
            (requested, *where(), *missing()),
            f"declare it with self.multibind({t}) (it may stay empty), or contribute with "
            f"self.multibind({t}, Impl); or make the parameter optional ({p.name}: "
            f"{describe(p.tp)} | None = None).",
        )
    hint = missing_hint(r.key, p)
    if factory is not None:
        hint = hint.removesuffix(".") + (
            f", or mark it Assisted[{describe(p.tp)}] to pass it when calling {factory}."
        )
    return Problem(
        "missing-binding", f"Nothing binds {r.key}.", (requested, *where(), *missing()), hint
    )


def missing_hint(key: Key, p: Param) -> str:
    """How to fix a missing binding asked for by parameter ``p``."""
    t = describe(key.tp)
    if key.name is not None:
        return (
            f'bind it: self.bind({t}, Impl, name="{key.name}"), or fix the name in '
            f"Annotated[{t}, Named(...)]."
        )
    asked = f"Factory[{t}]" if p.factory else t
    return (
        f"bind it, e.g. self.bind({t}, Impl), or make the parameter optional "
        f"({p.name}: {asked} | None = None)."
    )


def jit_failed(
    key: Key, why: str, refused: Iterable[tuple[Refusal, str]], asked: Problem
) -> Problem:
    """One root cause: ``key`` is unbound and just-in-time construction cannot fill it.

    Args:
        key: The class tried just in time.
        why: Why it was tried: ``because App needed it``, ``for get(Settings)``.
        refused: Each parameter it cannot take, with why.
        asked: The missing-binding problem as its requester would see it.
    """
    t = describe(key.tp)
    params = ", ".join(f"'{r.param.name}' ({text})" for r, text in refused)
    return Problem(
        "missing-binding",
        f"Nothing binds {key}.",
        (
            *asked.details,
            f"Tried just in time {why}, but its parameters cannot be injected: {params}.",
        ),
        f"bind {t} (or install the module that binds it), e.g. self.bind({t}, {t}(...)) or a "
        f"@provider returning {t}.",
    )


def blames_owner(r: Refusal) -> bool:
    """Whether a just-in-time class's refused parameter means the class itself is the gap.

    Nobody binds ``str`` or an unannotated parameter: the fix is to bind the class.
    """
    if r.code == "missing-collection":
        return False  # the collection is the gap, whoever asks for it
    if r.code != "missing-binding":
        return r.code != "claimed"
    assert r.key is not None
    tp = r.key.tp
    return r.key.name is None and getattr(tp, "__module__", None) == "builtins"


def refusal_text(r: Refusal) -> str:
    """A few words on why one parameter cannot be injected (inside a `jit_failed` problem)."""
    if r.code == "missing-annotation":
        return "no type annotation"
    if r.code == "unsupported-annotation":
        return str(r.param.problem)
    if r.code == "invalid-key":
        return r.reason
    if r.code == "missing-collection":
        return f"nothing declares the collection {r.key}"
    if r.code == "open-key":
        return open_reason(r.param.tp)
    return f"nothing binds {r.key}"


_TPFLAGS_IS_ABSTRACT = 1 << 20  # what `inspect.isabstract` reads of a class that is no ABC


def construct_problem(tp: Any, *, jit: bool = False) -> str | None:
    """Why ``tp`` cannot be constructed by injectq, or None when it can."""
    if type(tp) is type and not jit and not tp.__flags__ & _TPFLAGS_IS_ABSTRACT:
        return None  # a plain class (no Protocol, no ABC) bound explicitly: the common case
    origin = origin_of(tp)
    if not isinstance(origin, type):
        return f"is a {type(tp).__name__}, not a class"
    if is_protocol(origin):
        return "is a Protocol"
    if inspect.isabstract(origin):
        missing = ", ".join(sorted(getattr(origin, "__abstractmethods__", ())))
        return f"is abstract (it does not implement {missing})"
    if jit:
        if origin.__module__ == "builtins":
            return f"is the builtin type {origin.__name__}, which must be bound explicitly"
        if issubclass(origin, enum.Enum):
            return "is an Enum, whose members must be bound explicitly"
        if origin.__module__ in ("typing", "typing_extensions", "collections.abc"):
            return "is a typing construct, not a concrete class"
    return None


def is_protocol(cls: Any) -> bool:
    """Whether ``cls`` is a `typing.Protocol`."""
    if type(cls) is type:  # a Protocol's metaclass is typing's own
        return False
    return bool(getattr(cls, "_is_protocol", False))


def _safe_issubclass(cls: type, parent: type) -> bool:
    try:
        return issubclass(cls, parent)
    except TypeError:
        return True  # cannot tell: do not block the binding on a guess


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def suggestions(key: Key, bound: Iterable[tuple[Key, Any]]) -> list[str]:
    """Bound keys close to ``key``: other names of its type, then similar type names."""
    out: list[str] = []
    candidates: dict[str, Any] = {}
    for k, node in bound:
        if node.jit:
            continue
        if k.tp == key.tp and k.name != key.name:
            out.append(f"{k} ({node.source.location})")
        else:
            candidates[str(k)] = node
    close = difflib.get_close_matches(str(key), list(candidates), n=3, cutoff=0.75)
    out.extend(f"{name} ({candidates[name].source.location})" for name in close)
    return out[:4]


def annotation(key: Key) -> str:
    """How a parameter annotation asks for ``key``: ``T`` or ``Annotated[T, Named("x")]``.

    An element of a collection is asked for through the collection, ``list[T]``.
    """
    if isinstance(key.tp, Part):
        return annotation(key.tp.of)
    if key.name is None:
        return describe(key.tp)
    return f'Annotated[{describe(key.tp)}, Named("{key.name}")]'


# -- at resolution time --------------------------------------------------------------------


def missing_key(
    k: Key, names: Sequence[str], close: Sequence[str], reason: str
) -> MissingBindingError:
    """The error for ``get()`` of a key nothing binds and that cannot be made just in time.

    Args:
        k: The key asked for.
        names: The names bound for its type, in install order.
        close: Bound keys close to it (`suggestions`).
        reason: Why it cannot be created just in time.
    """
    t = describe(k.tp)
    item = collection_of(k.tp) if typing.get_origin(k.tp) is list else None
    if item is not None and k.name is None:
        return MissingBindingError(
            str(k),
            f"Nothing declares or contributes to the collection {k}.",
            hint=f"declare it in a module: self.multibind({describe(item)}), or contribute "
            f"with self.multibind({describe(item)}, Impl).",
            candidates=close,
            path=[str(k)],
        )
    listed = ", ".join(f'"{n}"' for n in names)
    found = f"Nothing binds {k}"
    if k.name is not None and names:
        found += f"; the names bound for {t} are: {listed}"
    elif k.name is None and names:
        found += f"; {t} is bound only with names: {listed}"
    else:
        found += f" ({reason})"
    if close and not names:
        found += ". Did you mean: " + " or ".join(close) + "?"
    else:
        found += "."
    if k.name is not None:
        hint = (
            f'bind it in a module: self.bind({t}, Impl, name="{k.name}"), or ask for one of the '
            "names above."
        )
    elif names:
        hint = f'ask for a name: get({t}, name="{names[0]}"), or get_all({t}) for all of them.'
    else:
        hint = f"bind it in a module: self.bind({t}, Impl)."
    return MissingBindingError(str(k), found, hint=hint, candidates=close or names, path=[str(k)])


def resolution_error(
    what: str, problems: Sequence[Problem], missing: dict[int, tuple[Key, list[str]]]
) -> ResolutionError:
    """The error for a just-in-time binding that cannot be compiled, raised by ``get()``.

    A missing binding is a `MissingBindingError` for the key nothing binds, with the path
    that led to it; any other problem a `ResolutionError` with the compiler's text.

    Args:
        what: What was asked for, for an error that is not a missing binding.
        problems: What the compiler found, in order.
        missing: For missing-binding problems (by ``id``), the key and the dependency path.
    """
    first = problems[0]
    found = "\n".join([first.message, *first.details])
    if len(problems) > 1:
        more = "\n\n".join(p.render(i) for i, p in enumerate(problems[1:], 2))
        found += f"\n\nAlso found:\n\n{more}"
    if id(first) in missing:
        key, path = missing[id(first)]
        return MissingBindingError(str(key), found, hint=first.hint, path=path)
    return ResolutionError(what, found, hint=first.hint)
