"""What generated code needs for ``Factory[T]``: the callable's source, and its errors.

A factory binding (kind ``"factory"``) is compiled by the resolver into a function that,
given a scope, returns the callable handed to a ``Factory[T]`` parameter. That callable has
the signature of the product's ``Assisted`` parameters (their kinds and defaults, a required
one defaulting to a marker it checks), so a call costs one call of the product's generated
function: nothing is parsed or decided per call beyond the arguments' presence. The product
is built in the scope the factory was resolved in, with the bindings of the graph it was
resolved from (as any dependency: a singleton holding one is built afresh in an override
that changes what it builds).

Names inside the generated callable other than the parameters start with ``__injectq_``, so
no parameter name of a user's class can shadow them.
"""

from __future__ import annotations

import types
from typing import Any, Final

from injectq._checks import annotation
from injectq._introspect import Param
from injectq._keys import awaits, describe
from injectq._nodes import Binding
from injectq._plan import Strategy
from injectq._tracing import function_name
from injectq.errors import FactoryArgumentError, ResolutionError

__all__ = [
    "MISSING",
    "assisted_only",
    "assisted_params",
    "bad_call",
    "callable_name",
    "factory_function",
    "maker_source",
    "name_callable",
]

MISSING: Final[Any] = type("Missing", (), {"__repr__": lambda self: "<required>"})()

Kinds = tuple[str, str]
"""The default the generated callable gives a required ``Assisted`` parameter."""


def assisted_params(product: Binding) -> list[Param]:
    """The product's ``Assisted`` parameters, in signature order."""
    return [d.value for d in product.deps if d.strategy == Strategy.ASSISTED]


def callable_name(factory: Binding) -> str:
    """The generated callable's name, as tracebacks and Python's own errors show it."""
    return str(factory.key)


def maker_source(product: Binding, ns: dict[str, Any], prologue: list[str]) -> str:
    """The source of the function that returns a factory's callable for scope ``s``.

    ``prologue`` finds the ambient scope when ``s`` is None; ``ns`` receives the defaults.
    The names the callable refers to (``__injectq_B`` the factory, ``__injectq_P`` the
    product's generated function, ``__injectq_bad``, ``__injectq_M``) are the caller's.
    """
    params = assisted_params(product)
    head: list[str] = []
    names = [p.name for p in params]
    required = [p.name for p in params if not p.has_default]
    for index, p in enumerate(params):
        default = "__injectq_M"
        if p.has_default:
            default = f"__injectq_d{index}"
            ns[default] = p.default
        if p.keyword and "*__injectq_extra" not in head:
            head.append("*__injectq_extra")
        head.append(f"{p.name}={default}")
        if p.positional_only and not (
            index + 1 < len(params) and params[index + 1].positional_only
        ):
            head.append("/")
    if "*__injectq_extra" not in head:
        head.append("*__injectq_extra")
    head.append("**__injectq_kw")
    checks = [f"{n} is __injectq_M" for n in required] + ["__injectq_extra", "__injectq_kw"]
    values = f"({', '.join(names)}{',' if len(names) == 1 else ''})"
    call = ", ".join(["__injectq_s", *names])
    return "\n".join(
        [
            "def factory(s=None):",
            *prologue,
            "    __injectq_s = s",
            f"    def new({', '.join(head)}):",
            f"        if {' or '.join(checks)}:",
            f"            raise __injectq_bad(__injectq_B, {values}, __injectq_extra, "
            "__injectq_kw)",
            f"        return __injectq_P({call})",
            "    return new",
            "",
        ]
    )


def factory_function(
    emitter: Any, factory: Binding, names: dict[str, Any], prologue: list[str], kinds: Kinds
) -> Any:
    """The generated function returning, for a scope, the callable a ``Factory[T]`` receives.

    Args:
        emitter: The resolver's code writer for it (its namespace and the functions it needs).
        factory: The factory binding.
        names: What ``prologue`` refers to.
        prologue: The lines finding the ambient scope when ``s`` is None.
        kinds: The compile kinds of a sync and of an async product function.
    """
    product = factory.product
    assert product is not None
    ns = emitter.ns
    ns.update(names, __injectq_B=factory, __injectq_M=MISSING, __injectq_P=None)
    ns["__injectq_bad"] = bad_call
    make = kinds[1] if product.needs_async or awaits(factory.key) else kinds[0]
    emitter.needs.append((ns, "__injectq_P", (make, product)))
    src = maker_source(product, ns, prologue)
    function = emitter.exec_source(src, function_name("sync", factory))
    return name_callable(function, callable_name(factory))


def name_callable(function: Any, name: str) -> Any:
    """Give the callable that ``function`` defines (its ``new``) the readable ``name``."""
    code = function.__code__
    consts = tuple(
        c.replace(co_name=name, co_qualname=name)
        if isinstance(c, types.CodeType) and c.co_name == "new"
        else c
        for c in code.co_consts
    )
    function.__code__ = code.replace(co_consts=consts)
    return function


def _signature(factory: Binding, params: list[Param]) -> str:
    shown = []
    for p in params:
        text = p.name if not p.has_default else f"{p.name}={p.default!r}"
        shown.append(text)
    return f"{factory.key}({', '.join(shown)})"


def _owner(product: Binding) -> str:
    target = product.target
    name = getattr(target, "__qualname__", None) or describe(target)
    return f"{name}.__init__" if isinstance(target, type) else str(name)


def bad_call(
    factory: Binding, values: tuple[Any, ...], extra: tuple[Any, ...], kwargs: dict[str, Any]
) -> FactoryArgumentError:
    """The error for a call of ``factory``'s callable with arguments missing or extra.

    Args:
        factory: The factory binding.
        values: What each ``Assisted`` parameter received (`MISSING` when not passed).
        extra: Positional arguments beyond those parameters.
        kwargs: Keyword arguments that name none of them.
    """
    product = factory.product
    assert product is not None
    params = assisted_params(product)
    missing = [p.name for p, v in zip(params, values, strict=True) if v is MISSING]
    positional = [p for p in params if not p.keyword]
    unexpected = [*kwargs]
    if extra:
        unexpected.insert(0, f"{len(extra)} positional argument{'s' if len(extra) > 1 else ''}")
    owner = _owner(product)
    if missing:
        quoted = ", ".join(f"'{n}'" for n in missing)
        many = len(missing) > 1
        first = (
            f"{factory.key} was called without {quoted}: {'they are' if many else 'it is an'} "
            f"Assisted parameter{'s' if many else ''} of {owner} with no default."
        )
    elif extra:
        first = (
            f"{factory.key} takes {len(positional)} positional argument"
            f"{'' if len(positional) == 1 else 's'} ({', '.join(p.name for p in positional)}), "
            f"but {len(positional) + len(extra)} were given."
        )
    else:
        quoted = ", ".join(f"'{n}'" for n in kwargs)
        takes = ", ".join(f"'{p.name}'" for p in params) or "none"
        first = (
            f"{factory.key} got the unexpected argument{'s' if len(kwargs) > 1 else ''} "
            f"{quoted}; the Assisted parameters of {owner} are: {takes}."
        )
    source = str(product.source)
    hint = f"call it as {_signature(factory, params)}."
    message = f"{first}\n{product.key} {'defined' if product.jit else 'bound'} at: {source}"
    return FactoryArgumentError(
        f"{message}\nHint: {hint}",
        factory=str(factory.key),
        missing=missing,
        unexpected=unexpected,
        source=source,
        hint=hint,
    )


def assisted_only(binding: Binding) -> ResolutionError:
    """The error for resolving a binding directly whose target takes ``Assisted`` parameters."""
    names = [d.param for d in binding.deps if d.strategy == Strategy.ASSISTED]
    quoted = ", ".join(f"'{n}'" for n in names)
    many = len(names) > 1
    t = annotation(binding.key)
    msg = (
        f"{binding.key} cannot be resolved directly: its parameter{'s' if many else ''} "
        f"{quoted} {'are' if many else 'is'} Assisted, passed when a Factory[{t}] is called."
    )
    return ResolutionError(
        str(binding.key),
        msg,
        source=str(binding.source),
        hint=f"resolve Factory[{t}] and call it with the Assisted argument{'s' if many else ''}.",
        path=[str(binding.key)],
    )
